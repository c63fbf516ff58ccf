// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * uringscope tracer: per-request io_uring latency and counts, link failures,
 * io_uring_enter syscalls and context switches of the target processes,
 * aggregated in the kernel; optionally every request as a ring buffer record.
 *
 * For `serve` the aggregates also get a per-process dimension (stat slots,
 * bpf/tracer.h): chosen at load time, off for everything else, so trace, run
 * and top load the same one-slot maps as before.
 *
 * The hooks are BTF raw tracepoints (tp_btf): cheaper than classic
 * tracepoints, typed (fields are read straight from the kernel structs with
 * CO-RE), and independent of tracefs. Only what no tracepoint shows uses
 * fentry/fexit on io_uring's own functions: bpf-ops loops, and the request
 * anatomy of --anatomy (anatomy.bpf.h).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "tracer.h"
#include "hist.h"

#define ECANCELED 125
#define E2BIG 7 /* a full map refuses an update */
#define PF_EXITING 0x00000004
#define IORING_CQE_F_MORE (1U << 1)
#define PF_IO_WORKER 0x00000010
#define TASK_DEAD 0x00000080 /* include/linux/sched.h, the same since 4.14 */

char LICENSE[] SEC("license") = "Dual MIT/GPL";

/* Set by the loader before load. */
const volatile bool events_enabled = false;
const volatile bool follow_forks = true;
const volatile bool comm_filter_set = false;
const volatile char comm_filter[US_COMM_LEN] = {};
const volatile u32 inflight_mask = 65535; /* inflight entries - 1 (a power of two) */
/* Per-target aggregation (tracer.h): 1 = off, else slots in use (<= US_STAT_SLOTS_MAX). */
const volatile u32 stat_slots = 1;
/* `serve --all`: every process that creates or submits to a ring becomes a target. */
const volatile bool trace_all = false;
const volatile u32 self_tgid = 0; /* never adopted by trace_all: our own process */
/* trace --anatomy: each request's path (the anatomy hooks load only then). */
const volatile bool anatomy = false;

#define PER_TARGET (stat_slots > 1)

/*
 * tgids to trace: all their threads, including iou-sqp-* and iou-wrk-*. The
 * sched_switch and sys_enter hooks ask this for every task on the machine, so
 * the first US_TARGET_SLOTS tgids live in a plain array scanned without a
 * helper call; more (forks, comm matches) spill into the hash map, which the
 * loader also fills. target_slots is written by the loader and by BPF.
 */
#define US_TARGET_SLOTS 16
u32 target_slots[US_TARGET_SLOTS] = {};
bool targets_spilled = false;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, u32);
	__type(value, u8);
} targets SEC(".maps");

/*
 * Rings (ctx pointers) created or used by a target. io_uring events are
 * filtered by ring, not by the current task: completions can run in any
 * context. The first US_RING_SLOTS rings live in a plain array that the hot
 * path scans without a helper call; more spill into a hash map.
 */
#define US_RING_SLOTS 16
u64 ring_slots[US_RING_SLOTS] = {};
bool rings_spilled = false;
/* The stat slot of the process that adopted ring_slots[i] (per-target mode). */
u32 ring_stat[US_RING_SLOTS] = {};

/*
 * Spilled rings; the value is the ring's stat slot. Nothing tells BPF when a
 * ring is freed (io_ring_ctx_free has no tracepoint), so the map is an LRU:
 * once it is full the rings of exited processes, idle since, go first. A
 * live ring that was evicted is adopted again by its next submit.
 */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, u64);
	__type(value, u32);
} rings SEC(".maps");

/*
 * Per-target mode: which tgid owns each stat slot (0 = free; slot 0 is the
 * shared one), claimed by BPF when a target's ring is adopted and released by
 * the loader once the process has gone and been reported. stat_ops[s] has a
 * bit per opcode that slot s has seen, so a snapshot reads only those rows of
 * op_stats instead of all US_MAX_OPS x stat_slots of them.
 */
u32 stat_tgids[US_STAT_SLOTS_MAX] = {};
u64 stat_ops[US_STAT_SLOTS_MAX] = {};

/* Processes that found every stat slot taken, so each is counted once. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, u32);
	__type(value, u8);
} dropped_tgids SEC(".maps");

/*
 * Requests between submit_req and their final completion, direct-mapped by a
 * hash of the req pointer (overwrite on submit): an array lookup is inlined
 * by the JIT, where a hash map costs three helper calls and a bucket lock per
 * request. A collision loses one request's timing and is counted (evicted).
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 65536); /* resized by the loader, power of two */
	__type(key, u32);
	__type(value, struct us_inflight);
} inflight SEC(".maps");

/* Keyed by stat slot * US_MAX_OPS + opcode (resized by the loader: US_MAX_OPS x stat_slots). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, US_MAX_OPS);
	__type(key, u32);
	__type(value, struct us_op_stats);
} op_stats SEC(".maps");

struct us_counters {
	u64 c[US_C_COUNT];
};

/* Keyed by stat slot (resized by the loader to stat_slots). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, u32);
	__type(value, struct us_counters);
} counters SEC(".maps");

#define US_THREADS_MAX 8192
/*
 * Exited threads keep their own entries (a finished command's --threads list
 * names them all) until the table holds US_THREADS_KEEP entries; from then
 * on each thread that exits is folded into its kind's retired entry, so the
 * table never fills with the dead. thread_entries counts the entries: BPF
 * adds and retires, the loader subtracts what it deletes.
 */
#define US_THREADS_KEEP (US_THREADS_MAX / 2)
u32 thread_entries = 0;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, US_THREADS_MAX);
	__type(key, u32);
	__type(value, struct us_thread);
} threads SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, US_OPS_PROGS_MAX);
	__type(key, u32); /* program id */
	__type(value, struct us_ops_prog);
} ops_progs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 16 << 20); /* resized by the loader */
} events SEC(".maps");

/* Counts into a stat slot's counters (slot 0 when per-target mode is off). */
static __always_inline void count_at(u32 slot, u32 idx, u64 v)
{
	struct us_counters *c = bpf_map_lookup_elem(&counters, &slot);

	if (c && idx < US_C_COUNT)
		c->c[idx] += v;
}

static __always_inline void count(u32 idx, u64 v)
{
	count_at(0, idx, v);
}

static __always_inline bool is_target_tgid(u32 tgid)
{
	int i;

#pragma unroll
	for (i = 0; i < US_TARGET_SLOTS; i++)
		if (target_slots[i] == tgid)
			return tgid != 0;
	return targets_spilled && bpf_map_lookup_elem(&targets, &tgid) != NULL;
}

static __always_inline void add_target(u32 tgid)
{
	u8 one = 1;
	int i;

	if (is_target_tgid(tgid))
		return;
#pragma unroll
	for (i = 0; i < US_TARGET_SLOTS; i++)
		if (target_slots[i] == 0 && __sync_val_compare_and_swap(&target_slots[i], 0, tgid) == 0)
			return;
	if (bpf_map_update_elem(&targets, &tgid, &one, BPF_ANY) == 0)
		targets_spilled = true;
	else if (bpf_map_update_elem(&dropped_tgids, &tgid, &one, BPF_NOEXIST) == 0)
		count(US_C_TARGETS_MISSED, 1); /* once per process */
}

static __always_inline void remove_target(u32 tgid)
{
	int i;

#pragma unroll
	for (i = 0; i < US_TARGET_SLOTS; i++)
		if (target_slots[i] == tgid)
			__sync_val_compare_and_swap(&target_slots[i], tgid, 0);
	if (targets_spilled)
		bpf_map_delete_elem(&targets, &tgid);
}

static __always_inline u32 current_tgid(void)
{
	return bpf_get_current_pid_tgid() >> 32;
}

/*
 * The ring's stat slot + 1, or 0 when the ring is not traced. Without the
 * per-target dimension every traced ring is slot 0 and ring_stat is not read.
 */
static __always_inline u32 ring_lookup(u64 ctx)
{
	u32 *v;
	int i;

#pragma unroll
	for (i = 0; i < US_RING_SLOTS; i++)
		if (ring_slots[i] == ctx)
			return PER_TARGET ? ring_stat[i] + 1 : 1;
	if (!rings_spilled)
		return 0;
	v = bpf_map_lookup_elem(&rings, &ctx);
	if (!v)
		return 0;
	return PER_TARGET ? *v + 1 : 1;
}

static __always_inline bool ring_traced(u64 ctx)
{
	return ring_lookup(ctx) != 0;
}

/*
 * The stat slot of `tgid`: the one it has, else a free one claimed now, else
 * the shared slot 0 (counted once per process in TARGETS_DROPPED). Runs only
 * when a ring is adopted, never per request, so a plain bounded scan is fine.
 * Two rings of one process adopted at the same instant may claim two slots:
 * the loader merges slots by tgid.
 */
static __noinline u32 stat_slot_of(u32 tgid)
{
	u32 i, n = stat_slots;
	u8 one = 1;

	for (i = 1; i < US_STAT_SLOTS_MAX && i < n; i++)
		if (stat_tgids[i] == tgid)
			return i;
	for (i = 1; i < US_STAT_SLOTS_MAX && i < n; i++)
		if (stat_tgids[i] == 0 && __sync_val_compare_and_swap(&stat_tgids[i], 0, tgid) == 0)
			return i;
	if (bpf_map_update_elem(&dropped_tgids, &tgid, &one, BPF_NOEXIST) == 0)
		count(US_C_TARGETS_DROPPED, 1);
	return 0;
}

/* Adopts a ring for `tgid`; returns its stat slot + 1 (as ring_lookup). */
static __always_inline u32 adopt_ring(u64 ctx, u32 tgid)
{
	u32 r = ring_lookup(ctx), slot = 0;
	int i;

	if (r)
		return r;
	if (PER_TARGET)
		slot = stat_slot_of(tgid);
#pragma unroll
	for (i = 0; i < US_RING_SLOTS; i++) {
		if (ring_slots[i] == 0 && __sync_val_compare_and_swap(&ring_slots[i], 0, ctx) == 0) {
			/* A completion racing with this store counts into slot 0 once. */
			if (PER_TARGET)
				ring_stat[i] = slot;
			count_at(slot, US_C_RINGS, 1);
			return slot + 1;
		}
	}
	if (bpf_map_update_elem(&rings, &ctx, &slot, BPF_NOEXIST) == 0) {
		rings_spilled = true;
		count_at(slot, US_C_RINGS, 1);
	}
	return slot + 1;
}

/* A ring of another process at an address we know: ours is gone. */
static __always_inline void forget_ring(u64 ctx)
{
	int i;

#pragma unroll
	for (i = 0; i < US_RING_SLOTS; i++)
		if (ring_slots[i] == ctx)
			__sync_val_compare_and_swap(&ring_slots[i], ctx, 0);
	if (rings_spilled)
		bpf_map_delete_elem(&rings, &ctx);
}

static __always_inline u32 inflight_slot(u64 req)
{
	/* Fibonacci hashing: req pointers are slab-aligned, the high bits mix. */
	return (u32)((req * 0x9E3779B97F4A7C15ULL) >> 40) & inflight_mask;
}

/*
 * trace_all (`serve --all`): any process but ours that uses a ring becomes a
 * target, so its threads' switches and syscalls are followed from then on.
 */
static __always_inline bool adopt_process(u32 tgid)
{
	if (is_target_tgid(tgid))
		return true;
	if (!trace_all || tgid == 0 || tgid == self_tgid)
		return false;
	add_target(tgid);
	return true;
}

/*
 * A ring is traced if it is known, or if a target thread touches it.
 * Returns its stat slot + 1, 0 when it is not traced.
 */
static __always_inline u32 ring_of_target(u64 ctx)
{
	u32 r = ring_lookup(ctx), tgid;

	if (r)
		return r;
	tgid = current_tgid();
	if (!adopt_process(tgid))
		return 0;
	return adopt_ring(ctx, tgid);
}

/* `r` is a ring_lookup() result (stat slot + 1, non-zero). */
static __always_inline struct us_op_stats *op_slot(u32 r, u32 op)
{
	u32 slot = r - 1, key;

	if (op >= US_MAX_OPS)
		op = US_MAX_OPS - 1;
	if (!PER_TARGET)
		return bpf_map_lookup_elem(&op_stats, &op);
	if (slot >= US_STAT_SLOTS_MAX)
		slot = 0;
	/* Read first: the atomic or is paid once per (slot, opcode), not per request. */
	if (!(stat_ops[slot] & (1ULL << op)))
		__sync_fetch_and_or(&stat_ops[slot], 1ULL << op);
	key = slot * US_MAX_OPS + op;
	return bpf_map_lookup_elem(&op_stats, &key);
}

static __always_inline bool is_rw_op(u8 op)
{
	/* Opcodes whose prep fills struct io_rw (kiocb.ki_pos, len). */
	switch (op) {
	case 1:  /* READV */
	case 2:  /* WRITEV */
	case 4:  /* READ_FIXED */
	case 5:  /* WRITE_FIXED */
	case 22: /* READ */
	case 23: /* WRITE */
		return true;
	}
	return false;
}

SEC("tp_btf/io_uring_create")
int BPF_PROG(on_create, int fd, void *ring)
{
	u32 tgid = current_tgid();

	if (adopt_process(tgid)) {
		/* Per target, a new ring at a dead one's address must not count for the dead one. */
		if (PER_TARGET)
			forget_ring((u64)ring);
		adopt_ring((u64)ring, tgid);
	} else {
		forget_ring((u64)ring);
	}
	return 0;
}

/*
 * Per-kernel variants. A hook whose tracepoint or arguments differ between
 * kernels has one program per shape, all sharing one body; the loader
 * (native/tracer_hooks.cc) reads the running kernel's BTF prototypes
 * (btf_trace_<name>) and switches off the programs that do not fit, so one
 * object runs from Debian 12's 6.1 to 7.x. A figure whose hook has no variant
 * on a kernel is reported absent, and the rest still runs.
 */

#include "anatomy.bpf.h"

/*
 * A request is submitted: 6.3+ names the tracepoint io_uring_submit_req(req),
 * 6.1 io_uring_submit_sqe(req, force_nonblock). `key` is the req address as a
 * number: the verifier refuses arithmetic on a BTF pointer, and the inflight
 * slot hashes it.
 */
static __always_inline int submit_common(struct io_kiocb *req, u64 key)
{
	/* tp_btf arguments are BTF pointers: plain loads, no probe_read calls. */
	u64 ring = (u64)req->ctx;
	u32 idx, r;
	struct us_inflight *in;
	struct us_op_stats *st;
	u8 opcode;

	r = ring_of_target(ring);
	if (!r)
		return 0;

	idx = inflight_slot(key);
	opcode = req->opcode;
	st = op_slot(r, opcode);
	if (st)
		st->submitted++;

	in = bpf_map_lookup_elem(&inflight, &idx);
	if (!in)
		return 0;
	if (in->req == key)
		count(US_C_STALE_REQS, 1); /* req memory reused: that request never completed */
	else if (in->req)
		count(US_C_INFLIGHT_EVICTED, 1);
	in->req = key;
	in->submit_ns = bpf_ktime_get_ns();
	in->opcode = opcode;
	in->path = 0;
	if (anatomy)
		phases_start(idx, key, in->submit_ns);
	if (events_enabled) {
		/* Only records use these: aggregate mode skips the reads. */
		in->tid = (u32)bpf_get_current_pid_tgid();
		in->sqe_flags = (u16)(req->flags & 0xff); /* REQ_F_* low bits are the IOSQE_* bits */
		in->fd = req->cqe.fd; /* io_init_req stores sqe->fd here (6.0+) */
		/* struct io_rw is io_uring-internal: a kernel without it in BTF records no off/len. */
		if (bpf_core_type_exists(struct io_rw) && is_rw_op(opcode)) {
			struct io_rw *rw = (struct io_rw *)&req->cmd;

			in->off = BPF_CORE_READ(rw, kiocb.ki_pos);
			in->len = BPF_CORE_READ(rw, len);
		} else {
			in->off = 0;
			in->len = 0;
		}
	}
	return 0;
}

SEC("tp_btf/io_uring_submit_req")
int BPF_PROG(on_submit_req, struct io_kiocb *req)
{
	u64 key;

	bpf_probe_read_kernel(&key, sizeof(key), &ctx[0]);
	return submit_common(req, key);
}

SEC("tp_btf/io_uring_submit_sqe")
int BPF_PROG(on_submit_sqe, struct io_kiocb *req, bool force_nonblock)
{
	u64 key;

	bpf_probe_read_kernel(&key, sizeof(key), &ctx[0]);
	return submit_common(req, key);
}

static __always_inline void emit_event(u64 ctx, u64 req, u64 user_data,
				       struct us_inflight *in, u8 opcode, u8 type,
				       u64 now, s32 res, u32 cflags)
{
	struct us_event *e;
	u64 avail;

	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		count(US_C_EVENT_DROPS, 1);
		return;
	}
	e->submit_ns = in ? in->submit_ns : 0;
	e->complete_ns = now;
	e->ctx = ctx;
	e->req = req;
	e->user_data = user_data;
	e->off = in ? in->off : 0;
	e->tgid = current_tgid();
	e->submit_tid = in ? in->tid : 0;
	e->complete_tid = (u32)bpf_get_current_pid_tgid();
	e->len = in ? in->len : 0;
	e->res = res;
	e->fd = in ? in->fd : -1;
	e->cflags = cflags;
	e->opcode = opcode;
	e->type = type;
	e->sqe_flags = in ? in->sqe_flags : 0;
	/*
	 * Waking the reader for every record would cost an irq_work per request;
	 * the reader polls with a short timeout anyway, so only force a wakeup
	 * once a quarter of the buffer is waiting.
	 */
	avail = bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA);
	bpf_ringbuf_submit(e, avail > (bpf_ringbuf_query(&events, BPF_RB_RING_SIZE) >> 2) ?
				      BPF_RB_FORCE_WAKEUP : BPF_RB_NO_WAKEUP);
	count(US_C_EVENTS, 1);
}

/*
 * A completion is posted. `req` is NULL for auxiliary CQEs; a multishot
 * request completes several times, the last without IORING_CQE_F_MORE.
 */
static __always_inline int complete_common(u64 ring, void *req, u64 user_data, s32 res, u32 cflags)
{
	u64 key = (u64)req; /* a void * argument: the verifier sees a number */
	u32 idx = inflight_slot(key), r;
	u64 now;
	u8 opcode;
	bool final, timed = false;
	struct us_inflight *in;
	struct us_op_stats *st;

	r = ring_lookup(ring);
	if (!r)
		return 0;
	if (!req) {
		count_at(r - 1, US_C_AUX_CQES, 1);
		return 0;
	}
	now = bpf_ktime_get_ns();
	if (anatomy)
		reap_cqe(ring, now);
	opcode = BPF_CORE_READ((struct io_kiocb *)req, opcode);
	final = !(cflags & IORING_CQE_F_MORE);

	st = op_slot(r, opcode);
	if (st) {
		st->completed++;
		if (res == -ECANCELED)
			st->cancelled++;
		else if (res < 0)
			st->errors++;
	}

	in = bpf_map_lookup_elem(&inflight, &idx);
	if (in && in->req == key) {
		timed = true;
		if (final && st) {
			/* With the anatomy, up to where its phases end (anatomy.bpf.h). */
			u64 lat = (anatomy ? phases_end(key, opcode, in->submit_ns, now) : now) - in->submit_ns;
			u32 b = us_hist_bucket(lat);

			if (anatomy)
				count_paths(st, in->path);
			st->lat_count++;
			st->lat_sum_ns += lat;
			if (lat > st->lat_max_ns)
				st->lat_max_ns = lat;
			if (b < US_HIST_BUCKETS)
				st->hist[b]++;
		}
	} else if (final) {
		count_at(r - 1, US_C_UNTRACKED, 1);
	}

	if (events_enabled)
		emit_event(ring, key, user_data, timed ? in : NULL, opcode,
			   final ? US_EV_COMPLETE : US_EV_MORE, now, res, cflags);
	if (timed && final)
		__sync_val_compare_and_swap(&in->req, key, 0);
	return 0;
}

/* 6.15+: the CQE as posted (big CQEs included). */
SEC("tp_btf/io_uring_complete")
int BPF_PROG(on_complete, struct io_ring_ctx *ring, void *req, struct io_uring_cqe *cqe)
{
	return complete_common((u64)ring, req, cqe->user_data, cqe->res, cqe->flags);
}

/* Up to 6.14: (ctx, req, user_data, res, cflags, extra1, extra2). */
SEC("tp_btf/io_uring_complete")
int BPF_PROG(on_complete_args, void *ring, void *req, u64 user_data, int res, unsigned int cflags)
{
	return complete_common((u64)ring, req, user_data, res, cflags);
}

/*
 * The program behind a ring's bpf-ops (7.1+), from the kernel's own records:
 * ctx->bpf_ops is the kdata of the struct_ops map's value (bpf_io_reg), which
 * is kvalue.data inside struct bpf_struct_ops_map; links[] holds one link per
 * function member with a program, in member order, and loop_step is
 * io_uring_bpf_ops's only one. ctx->bpf_ops is not in this build's vmlinux.h
 * (6.18 has no bpf-ops): CO-RE finds the field where the program loads.
 */
struct io_ring_ctx___ops {
	void *bpf_ops;
} __attribute__((preserve_access_index));

#define BPF_MAP_TYPE_STRUCT_OPS_ 26
#define BPF_PROG_TYPE_STRUCT_OPS_ 27
#define US_OPS_MAX_CPUS 1024

/* Each CPU's per-cpu offset (x86: this_cpu_off), to read a __percpu pointer
 * whose BTF carries no percpu tag: bpf_per_cpu_ptr() takes only tagged ones. */
extern const unsigned long this_cpu_off __ksym __weak;

static __always_inline struct bpf_prog *ops_prog_of(void *ring)
{
	void *kdata = BPF_CORE_READ((struct io_ring_ctx___ops *)ring, bpf_ops);
	struct bpf_struct_ops_map *m;
	struct bpf_link **links, *link = NULL;
	struct bpf_prog *prog;

	if (!kdata)
		return NULL;
	m = (void *)((char *)kdata - bpf_core_field_offset(struct bpf_struct_ops_map, kvalue) -
		     bpf_core_field_offset(struct bpf_struct_ops_value, data));
	if (BPF_CORE_READ(m, map.map_type) != BPF_MAP_TYPE_STRUCT_OPS_)
		return NULL;
	links = BPF_CORE_READ(m, links);
	if (!links || bpf_probe_read_kernel(&link, sizeof(link), links) || !link)
		return NULL;
	prog = BPF_CORE_READ(link, prog);
	if (!prog || BPF_CORE_READ(prog, type) != BPF_PROG_TYPE_STRUCT_OPS_)
		return NULL;
	return prog;
}

/* The program's run count and BPF time, summed over CPUs as bpf_prog_get_stats() does. */
static __always_inline void ops_prog_stats(struct bpf_prog *prog, u64 *cnt, u64 *ns)
{
	unsigned long stats = (unsigned long)BPF_CORE_READ(prog, stats);
	u32 cpu;

	*cnt = 0;
	*ns = 0;
	if (!stats || !&this_cpu_off)
		return;
	for (cpu = 0; cpu < US_OPS_MAX_CPUS; cpu++) {
		const unsigned long *off = bpf_per_cpu_ptr(&this_cpu_off, cpu);
		struct bpf_prog_stats *st;
		u64 v;

		if (!off)
			break;
		st = (struct bpf_prog_stats *)(stats + *off);
		if (!bpf_probe_read_kernel(&v, sizeof(v), &st->cnt))
			*cnt += v;
		if (!bpf_probe_read_kernel(&v, sizeof(v), &st->nsecs))
			*ns += v;
	}
}

/*
 * A loop starts on a traced ring: the first time its program is seen, take
 * its statistics as the base, so that steps are counted even for a program
 * that is gone before anyone could open it.
 */
SEC("fentry/io_run_loop")
int BPF_PROG(on_ops_loop_start, void *ring)
{
	struct us_ops_prog p = {};
	struct bpf_prog *prog;
	u32 id;

	if (!ring_lookup((u64)ring))
		return 0;
	prog = ops_prog_of(ring);
	if (!prog)
		return 0;
	id = BPF_CORE_READ(prog, aux, id);
	if (bpf_map_lookup_elem(&ops_progs, &id))
		return 0;
	p.tgid = current_tgid();
	BPF_CORE_READ_STR_INTO(&p.name, prog, aux, name);
	ops_prog_stats(prog, &p.first_cnt, &p.first_ns);
	p.last_cnt = p.first_cnt;
	p.last_ns = p.first_ns;
	bpf_map_update_elem(&ops_progs, &id, &p, BPF_NOEXIST);
	return 0;
}

/* A loop ends: its program's statistics now, unless the ops went meanwhile. */
static __always_inline void ops_loop_done(void *ring)
{
	struct bpf_prog *prog = ops_prog_of(ring);
	struct us_ops_prog *p;
	u64 cnt, ns;
	u32 id;

	if (!prog)
		return;
	id = BPF_CORE_READ(prog, aux, id);
	p = bpf_map_lookup_elem(&ops_progs, &id);
	if (!p)
		return;
	ops_prog_stats(prog, &cnt, &ns);
	if (cnt > p->last_cnt)
		p->last_cnt = cnt;
	if (ns > p->last_ns)
		p->last_ns = ns;
}

/*
 * Upstream io_uring bpf-ops (Linux 7.1+): io_run_loop(ctx) is an
 * io_uring_enter that runs the ring's loop_step until it stops (0) or fails;
 * bpf_io_uring_submit_sqes(ctx, nr) is the kfunc through which the program
 * submits. Kernel functions, not tracepoints: the loader switches these off
 * where the kernel has neither (native/tracer_hooks.cc).
 */
SEC("fexit/io_run_loop")
int BPF_PROG(on_ops_loop, void *ring, int ret)
{
	u32 r = ring_lookup((u64)ring);

	if (!r)
		return 0;
	count_at(r - 1, US_C_OPS_LOOPS, 1);
	ops_loop_done(ring);
	if (ret == 0)
		count_at(r - 1, US_C_OPS_STOPS, 1);
	else if (ret < 0 && ret != -4 /* EINTR: a signal, not the loop's failure */)
		count_at(r - 1, US_C_OPS_ERRORS, 1);
	return 0;
}

SEC("fexit/bpf_io_uring_submit_sqes")
int BPF_PROG(on_ops_submit, void *loop_ctx, u32 nr, int ret)
{
	u32 tgid = current_tgid();

	/* The loop runs in the thread that entered the ring: a target's. */
	if (ret <= 0 || !is_target_tgid(tgid))
		return 0;
	count_at(PER_TARGET ? stat_slot_of(tgid) : 0, US_C_OPS_SQES, (u64)ret);
	return 0;
}

SEC("tp_btf/io_uring_fail_link")
int BPF_PROG(on_fail_link, struct io_kiocb *req, struct io_kiocb *link)
{
	u32 r = ring_lookup((u64)req->ctx);

	if (r)
		count_at(r - 1, US_C_FAIL_LINK, 1);
	return 0;
}

SEC("tp_btf/io_uring_req_failed")
int BPF_PROG(on_req_failed, const struct io_uring_sqe *sqe, struct io_kiocb *req, int error)
{
	/* May fire before submit_req, so the ring may not be adopted yet. */
	u32 r = ring_of_target((u64)req->ctx);

	if (r)
		count_at(r - 1, US_C_REQ_FAILED, 1);
	return 0;
}

SEC("tp_btf/io_uring_cqe_overflow")
int BPF_PROG(on_cqe_overflow, void *ring)
{
	u32 r = ring_lookup((u64)ring);

	if (r)
		count_at(r - 1, US_C_CQE_OVERFLOW, 1);
	return 0;
}

SEC("tp_btf/io_uring_queue_async_work")
int BPF_PROG(on_queue_async_work, struct io_kiocb *req, int rw)
{
	u32 r = ring_lookup((u64)req->ctx);
	u64 key;

	if (!r)
		return 0;
	count_at(r - 1, US_C_ASYNC_PUNT, 1);
	if (anatomy) {
		bpf_probe_read_kernel(&key, sizeof(key), &ctx[0]);
		mark_path(key, 1 << US_PATH_IOWQ);
		phases_change(key, 1 << US_PHASE_IOWQ_WAIT | US_ISSUED, 0);
	}
	return 0;
}

SEC("tp_btf/io_uring_poll_arm")
int BPF_PROG(on_poll_arm, struct io_kiocb *req, int mask, int events)
{
	u64 key;

	if (!ring_traced((u64)req->ctx))
		return 0;
	count(US_C_POLL_ARM, 1);
	if (anatomy) {
		bpf_probe_read_kernel(&key, sizeof(key), &ctx[0]);
		mark_path(key, 1 << US_PATH_POLL);
		phases_change(key, 1 << US_PHASE_POLL_WAIT, 0);
	}
	return 0;
}

/* 6.1+ traces this task work add only in __io_poll_execute: the poll fired (or was cancelled). */
SEC("tp_btf/io_uring_task_add")
int BPF_PROG(on_task_add, struct io_kiocb *req, int mask)
{
	u64 key;

	if (!ring_traced((u64)req->ctx))
		return 0;
	count(US_C_TASK_ADD, 1);
	if (anatomy) {
		bpf_probe_read_kernel(&key, sizeof(key), &ctx[0]);
		phases_change(key, 0, 1 << US_PHASE_POLL_WAIT);
	}
	return 0;
}

SEC("tp_btf/io_uring_task_work_run")
int BPF_PROG(on_task_work_run, void *tctx, unsigned int count_)
{
	if (is_target_tgid(current_tgid()))
		count(US_C_TASK_WORK_RUN, 1);
	return 0;
}

SEC("tp_btf/io_uring_local_work_run")
int BPF_PROG(on_local_work_run, void *ring, int count_, unsigned int loops)
{
	if (ring_traced((u64)ring))
		count(US_C_LOCAL_WORK_RUN, 1);
	return 0;
}

static __always_inline bool iou_named(const char *comm)
{
	return comm[0] == 'i' && comm[1] == 'o' && comm[2] == 'u' && comm[3] == '-';
}

/* io threads are named iou-sqp-<pid> or iou-wrk-<pid>, but only once they
 * run: until then they carry their creator's name. */
static __always_inline void classify(struct us_thread *th, struct task_struct *t)
{
	bpf_probe_read_kernel_str(th->comm, sizeof(th->comm), t->comm);
	if (t->flags & PF_IO_WORKER)
		th->kind = th->comm[4] == 's' ? US_KIND_SQPOLL : US_KIND_IOWQ;
	else
		th->kind = US_KIND_APP;
}

static __always_inline struct us_thread *thread_entry(struct task_struct *t, u32 tid, u32 tgid)
{
	struct us_thread *th = bpf_map_lookup_elem(&threads, &tid);
	struct us_thread init = {};
	long err;

	if (th) {
		if (th->kind != US_KIND_APP && !iou_named(th->comm))
			classify(th, t);
		return th;
	}
	/* Retired already (on_process_exit): its last switches go to its kind's retired entry. */
	if ((t->flags & PF_EXITING) && thread_entries >= US_THREADS_KEEP)
		return NULL;
	init.tgid = tgid;
	classify(&init, t);
	err = bpf_map_update_elem(&threads, &tid, &init, BPF_NOEXIST);
	if (err == 0)
		__sync_fetch_and_add(&thread_entries, 1);
	else if (err == -E2BIG)
		count(US_C_THREADS_MISSED, 1);
	return bpf_map_lookup_elem(&threads, &tid);
}

/* The retired entry of exited threads of one kind (bpf/tracer.h), made on first use. */
static __always_inline struct us_thread *retired_entry(u32 kind, u32 tgid)
{
	u32 owner = PER_TARGET ? tgid : 0;
	u32 key = US_RETIRED_TID | (kind & 3) << 22 | (owner & 0x3fffff);
	struct us_thread *th = bpf_map_lookup_elem(&threads, &key);
	struct us_thread init = {};
	long err;

	if (th)
		return th;
	init.tgid = owner;
	init.kind = kind;
	__builtin_memcpy(init.comm, "(exited)", 9);
	err = bpf_map_update_elem(&threads, &key, &init, BPF_NOEXIST);
	if (err == 0)
		__sync_fetch_and_add(&thread_entries, 1);
	else if (err == -E2BIG)
		count(US_C_THREADS_MISSED, 1);
	return bpf_map_lookup_elem(&threads, &key);
}

SEC("tp_btf/sched_switch")
int BPF_PROG(on_sched_switch, bool preempt, struct task_struct *prev, struct task_struct *next,
	     unsigned int prev_state)
{
	u64 now = 0;
	u32 tgid = prev->tgid;
	struct us_thread *th;

	/* A task's final switch out (do_task_dead) was counted by on_process_exit. */
	if (is_target_tgid(tgid) && !(prev_state & TASK_DEAD)) {
		now = bpf_ktime_get_ns();
		th = thread_entry(prev, prev->pid, tgid);
		if (!th && (prev->flags & PF_EXITING)) {
			/* A switch out between on_process_exit, which retired it, and its death. */
			struct us_thread k = {};

			classify(&k, prev);
			th = retired_entry(k.kind, tgid);
			if (th)
				__sync_fetch_and_add(&th->voluntary, 1);
			th = NULL;
		}
		if (th) {
			/* Same rule as the kernel's nvcsw/nivcsw accounting. */
			if (!preempt && prev_state)
				__sync_fetch_and_add(&th->voluntary, 1);
			else
				__sync_fetch_and_add(&th->involuntary, 1);
			if (th->last_in_ns)
				__sync_fetch_and_add(&th->oncpu_ns, now - th->last_in_ns);
			th->last_out_ns = now;
		}
	}
	tgid = next->tgid;
	if (is_target_tgid(tgid)) {
		if (!now)
			now = bpf_ktime_get_ns();
		th = thread_entry(next, next->pid, tgid);
		if (th) {
			if (th->last_out_ns) {
				__sync_fetch_and_add(&th->offcpu_ns, now - th->last_out_ns);
				/* Off the CPU inside io_uring_enter's wait for CQEs. */
				if (th->wait_start_ns) {
					__sync_fetch_and_add(&th->wait_ns, now - th->last_out_ns);
					count(US_C_WAIT_NS, now - th->last_out_ns);
				}
			}
			th->last_out_ns = 0;
			th->last_in_ns = now;
		}
	}
	return 0;
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(on_fork, struct task_struct *parent, struct task_struct *child)
{
	u32 ptgid = parent->tgid, ctgid = child->tgid;

	/* New threads share the tgid; new processes (fio jobs) are followed. */
	if (follow_forks && ptgid != ctgid && is_target_tgid(ptgid))
		add_target(ctgid);
	return 0;
}

/*
 * A thread exits. Its final switch out, in do_task_dead, may come after a
 * sibling has removed the target, so it is counted here, as the voluntary
 * switch it is (sched_switch skips TASK_DEAD). An io thread names itself
 * iou-sqp-* or iou-wrk-* only once it runs, so one that never left the CPU
 * since its first switch in still carries its creator's name: name it now.
 *
 * Once the threads table holds US_THREADS_KEEP entries, the thread's counts
 * move to its kind's retired entry and its own entry goes, so the table has
 * room however many threads come and go. When no thread of the process is
 * left (do_exit drops signal->live before this tracepoint, on every kernel
 * since 2.6), the process stops being a target, so a target table never
 * fills up with the dead. Per-target mode (serve) leaves the process to the
 * loader, which forgets it once reported.
 */
SEC("tp_btf/sched_process_exit")
int BPF_PROG(on_process_exit, struct task_struct *p)
{
	u32 tgid = p->tgid, tid = p->pid;
	struct us_thread *th, *r;
	u64 now;

	/* By tid, not by target: a sibling may have removed the target already. */
	th = bpf_map_lookup_elem(&threads, &tid);
	if (th && th->tgid == tgid) {
		now = bpf_ktime_get_ns();
		if (th->kind != US_KIND_APP && !iou_named(th->comm))
			classify(th, p);
		__sync_fetch_and_add(&th->voluntary, 1);
		if (th->last_in_ns)
			__sync_fetch_and_add(&th->oncpu_ns, now - th->last_in_ns);
		th->last_in_ns = 0;
		if (thread_entries >= US_THREADS_KEEP) {
			r = retired_entry(th->kind, tgid);
			if (r) {
				__sync_fetch_and_add(&r->voluntary, th->voluntary);
				__sync_fetch_and_add(&r->involuntary, th->involuntary);
				__sync_fetch_and_add(&r->offcpu_ns, th->offcpu_ns);
				__sync_fetch_and_add(&r->oncpu_ns, th->oncpu_ns);
				__sync_fetch_and_add(&r->enter_calls, th->enter_calls);
				__sync_fetch_and_add(&r->enter_ns, th->enter_ns);
				__sync_fetch_and_add(&r->enter_to_submit, th->enter_to_submit);
				__sync_fetch_and_add(&r->waits, th->waits);
				__sync_fetch_and_add(&r->wait_ns, th->wait_ns);
			}
			if (bpf_map_delete_elem(&threads, &tid) == 0)
				__sync_fetch_and_sub(&thread_entries, 1);
		}
	}
	if (anatomy)
		bpf_map_delete_elem(&issuing, &tid);
	if (!PER_TARGET && p->signal->live.counter == 0 && is_target_tgid(tgid))
		remove_target(tgid);
	return 0;
}

static __always_inline bool comm_matches(const char *comm)
{
	int i;

	for (i = 0; i < US_COMM_LEN; i++) {
		if (comm[i] != comm_filter[i])
			return false;
		if (!comm[i])
			break;
	}
	return true;
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(on_exec, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	char comm[US_COMM_LEN];
	u32 tgid = p->tgid, tid = p->pid;
	struct us_thread *th;

	bpf_probe_read_kernel_str(comm, sizeof(comm), p->comm);
	if (comm_filter_set && comm_matches(comm))
		add_target(tgid);
	/* A traced thread that execs keeps its counts under its new name. */
	th = bpf_map_lookup_elem(&threads, &tid);
	if (th)
		classify(th, p);
	return 0;
}

/*
 * io_uring_enter, from the raw syscall tracepoints filtered on the syscall
 * number first. The per-syscall classic tracepoint would cost a perf record
 * per call (and tracefs); fentry is not available on every kernel (not on
 * the 6.18 guests here). The entry time lives in the thread's entry, so a
 * call costs two lookups and no map updates.
 */
#define US_NR_IO_URING_ENTER 426 /* same number on x86-64 and arm64 */

static __always_inline long syscall_nr(struct pt_regs *regs)
{
#if defined(__TARGET_ARCH_x86)
	return regs->orig_ax;
#elif defined(__TARGET_ARCH_arm64)
	return ((struct user_pt_regs *)regs)->regs[8]; /* x8 holds the number on entry */
#else
	return -1;
#endif
}

SEC("tp_btf/sys_enter")
int BPF_PROG(on_sys_enter, struct pt_regs *regs, long id)
{
	u64 pid_tgid;
	u32 tgid, to_submit;
	struct us_thread *th;

	if (id != US_NR_IO_URING_ENTER)
		return 0;
	pid_tgid = bpf_get_current_pid_tgid();
	tgid = pid_tgid >> 32;
	if (!is_target_tgid(tgid))
		return 0;
	th = thread_entry(bpf_get_current_task_btf(), (u32)pid_tgid, tgid);
	if (!th)
		return 0;
	th->enter_start_ns = bpf_ktime_get_ns();
	to_submit = (u32)PT_REGS_PARM2_CORE_SYSCALL(regs);
	th->enter_to_submit += to_submit; /* the thread's own entry: only it writes here */
	count(US_C_ENTER_CALLS, 1);
	count(US_C_ENTER_TO_SUBMIT, to_submit);
	return 0;
}

/*
 * io_uring_enter is about to wait for CQEs (io_cqring_wait traces this only
 * once the CQ holds fewer than it waits for): the thread's off-CPU time from
 * here to its return is wait time, and the return value says what ended it.
 */
SEC("tp_btf/io_uring_cqring_wait")
int BPF_PROG(on_cqring_wait, void *ring, int min_events)
{
	u64 pid_tgid = bpf_get_current_pid_tgid(), zero = 0, r = (u64)ring;
	u32 tgid = pid_tgid >> 32;
	struct us_thread *th;

	if (!is_target_tgid(tgid))
		return 0;
	th = thread_entry(bpf_get_current_task_btf(), (u32)pid_tgid, tgid);
	if (!th)
		return 0;
	th->wait_start_ns = bpf_ktime_get_ns();
	th->wait_ring = r;
	__sync_fetch_and_add(&th->waits, 1);
	count(US_C_WAITS, 1);
	if (anatomy)
		bpf_map_update_elem(&wait_cqe, &r, &zero, BPF_ANY);
	return 0;
}

#define ETIME 62
#define EINTR 4
#define ERESTARTSYS 512           /* ERESTARTSYS..ERESTART_RESTARTBLOCK (516): a signal, */
#define ERESTART_RESTARTBLOCK 516 /* seen here before the syscall restart turns them into EINTR */

/* What ended a wait, from io_uring_enter's return (which is the submit count when it also submitted). */
static __always_inline u32 wait_end(long ret)
{
	if (ret >= 0)
		return US_C_WAITS_EVENTS;
	if (ret == -ETIME)
		return US_C_WAITS_TIMEOUT;
	if (ret == -EINTR || (ret <= -ERESTARTSYS && ret >= -ERESTART_RESTARTBLOCK))
		return US_C_WAITS_SIGNAL;
	return US_C_WAITS_ERROR;
}

SEC("tp_btf/sys_exit")
int BPF_PROG(on_sys_exit, struct pt_regs *regs, long ret)
{
	u32 tid;
	u64 d, now;
	struct us_thread *th;

	if (syscall_nr(regs) != US_NR_IO_URING_ENTER)
		return 0;
	tid = (u32)bpf_get_current_pid_tgid();
	th = bpf_map_lookup_elem(&threads, &tid);
	if (!th || !th->enter_start_ns)
		return 0;
	now = bpf_ktime_get_ns();
	d = now - th->enter_start_ns;
	th->enter_start_ns = 0;
	count(US_C_ENTER_NS, d);
	__sync_fetch_and_add(&th->enter_calls, 1);
	__sync_fetch_and_add(&th->enter_ns, d);
	if (th->wait_start_ns) {
		count(wait_end(ret), 1);
		if (anatomy)
			reap_end(th->wait_ring, th->wait_start_ns, now);
		th->wait_start_ns = 0;
	}
	return 0;
}
