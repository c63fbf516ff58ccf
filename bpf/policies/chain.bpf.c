// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * The in-kernel chain policy (strategy `bpf`): runs the workload's step
 * template (bpf/chain.h — the same planning and completion rules the engine
 * runs in userspace for `user` and `link`) at every completion of our ring,
 * and issues the next step by writing an SQE into the ring memory, which is
 * this program's mmapable map, and bumping the SQ tail; the SQPOLL thread
 * issues it. New chains start here too, so userspace is not woken per step
 * nor per chain: it only kicks each slot once with a NOP and reads a ring
 * buffer of rare records.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "policy.h"
#include "hist.h"

char LICENSE[] SEC("license") = "Dual MIT/GPL";

#define ECANCELED 125
#define EBUSY 16
#define IORING_SQ_NEED_WAKEUP (1U << 0)
#define IOSQE_ASYNC_BIT (1U << 4)
#define MSG_DONTWAIT 0x40

#define UD_KICK 0xff   /* user_data step of the NOP that starts a slot */
#define UD_UNPARK 0xfe /* user_data step of a NOP that retries parked steps */
#define UD_CANCEL 0xfd /* user_data step of userspace's cancel-all at stop */

/* Set by the loader before load. */
const volatile u32 owner_tgid = 0;
const volatile u32 nsteps = 0;
const volatile u32 concurrency = 1;
const volatile bool checksum = true;   /* FNV-1a of the bytes read (results checking) */
const volatile u32 data_bytes = 4096;  /* chain data region per slot */
const volatile u32 slot_bytes = 8192;  /* data + scratch (iovecs, timespecs) per slot */
const volatile struct us_ring_layout lay = {};
const volatile s32 fds[US_MAX_FDS] = {};
const volatile u32 path_off[US_MAX_FDS] = {};   /* openat: where each target's path sits at paths_uaddr */
const volatile u32 open_flags[US_MAX_FDS] = {};

/*
 * The step template. Not const: bpf/chain.h takes plain pointers, and clang
 * folds loads through a non-volatile pointer into a const zero-initialised
 * array to zeros. Written by the loader before load, read-only afterwards.
 */
struct us_step steps[US_MAX_STEPS] = {};

/* Shared with userspace through the skeleton's .bss mapping. */
u64 ring_ctx = 0;      /* our ring, learned at io_uring_create */
u64 bufs_uaddr = 0;    /* where userspace mapped the bufs map */
u64 paths_uaddr = 0;   /* NUL-terminated target paths in the engine's memory (openat) */
u64 total_chains = 0;  /* 0: until stop */
u64 step_budget = 0;   /* 0: unlimited */
u64 next_chain = 0;
u32 stop = 0;
u32 sq_lock = 0;
u32 active = 0;        /* slots running a chain */
u32 parked = 0;        /* slots waiting for room in the SQ */
u64 counters[US_PC_COUNT] = {};
u64 op_issued[US_OP_COUNT] = {};
u64 op_completed[US_OP_COUNT] = {};
u64 user_completed[3] = {}; /* completions of what userspace posted: [0] kicks, [1] cancels, [2] unparks */
u64 cancelled = 0;
u64 lat_hist[US_HIST_BUCKETS] = {};
u64 lat_max = 0;

struct slot {
	struct us_chain c;
	struct us_req r;   /* the request in flight (or parked) */
	u64 start_ns;
	u64 sum;           /* FNV-1a of the bytes this chain read */
	u32 parked;
	u32 busy;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);         /* resized by the loader */
	__type(key, u32);
	__type(value, struct slot);
} slots SEC(".maps");

/* Ring header + CQEs, then the SQE array: io_uring's memory (NO_MMAP). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, 1);
	__uint(key_size, 4);
	__uint(value_size, 4096);       /* resized by the loader */
} ring_mem SEC(".maps");

/* Chain buffers, one slot_bytes element per slot, mapped by userspace too. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, 1);         /* resized by the loader */
	__uint(key_size, 4);
	__uint(value_size, 4096);       /* resized by the loader */
} bufs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 20);
} done SEC(".maps");

static __always_inline void add(u32 c, u64 v)
{
	if (c < US_PC_COUNT)
		__sync_fetch_and_add(&counters[c], v);
}

static __always_inline void notify(u32 kind, u32 slot, u32 chain, u32 status, u64 lat, bool wake)
{
	struct us_done *d = bpf_ringbuf_reserve(&done, sizeof(*d), 0);

	if (!d)
		return;
	d->kind = kind;
	d->slot = slot;
	d->chain = chain;
	d->status = status;
	d->latency_ns = lat;
	bpf_ringbuf_submit(d, wake ? BPF_RB_FORCE_WAKEUP : BPF_RB_NO_WAKEUP);
}

static __always_inline bool lock_sq(void)
{
	int i;

	/*
	 * The lock is held for a few stores; a producer that loses 16 times
	 * parks its step instead (retried at the next completion). More
	 * iterations also make the verifier's path history too long.
	 */
	for (i = 0; i < 16; i++) {
		if (__sync_val_compare_and_swap(&sq_lock, 0, 1) == 0)
			return true;
		add(US_PC_LOCK_SPINS, 1);
	}
	return false;
}

static __always_inline void unlock_sq(void)
{
	__sync_fetch_and_and(&sq_lock, 0);
}

static __always_inline u8 kernel_op(u8 op)
{
	switch (op) {
	case US_OP_READ: return IORING_OP_READ;
	case US_OP_WRITE: return IORING_OP_WRITE;
	case US_OP_READV: return IORING_OP_READV;
	case US_OP_WRITEV: return IORING_OP_WRITEV;
	case US_OP_SEND: return IORING_OP_SEND;
	case US_OP_RECV: return IORING_OP_RECV;
	case US_OP_TIMEOUT: return IORING_OP_TIMEOUT;
	case US_OP_POLL: return IORING_OP_POLL_ADD;
	case US_OP_FSYNC: return IORING_OP_FSYNC;
	case US_OP_OPENAT: return IORING_OP_OPENAT;
	case US_OP_CLOSE: return IORING_OP_CLOSE;
	}
	return IORING_OP_NOP;
}

/*
 * Writes one SQE for slot's request and publishes it. Caller holds sq_lock.
 * Returns false when the SQ is full.
 */
static __always_inline bool post_locked(u8 *mem, u8 *sbuf, u32 slot, struct us_req *r)
{
	u32 *head, *tail, *flags, t, idx;
	struct io_uring_sqe *sqe;
	u64 uaddr = bufs_uaddr + (u64)slot * slot_bytes;
	u32 scratch = data_bytes + (r->step & (US_MAX_STEPS - 1)) * 16;
	u8 op = r->op;

	if (lay.sq_head > lay.mem_bytes - 4 || lay.sq_tail > lay.mem_bytes - 4 || lay.sq_flags > lay.mem_bytes - 4)
		return false;
	head = (u32 *)(mem + lay.sq_head);
	tail = (u32 *)(mem + lay.sq_tail);
	t = *tail;
	if (t - *(volatile u32 *)head >= lay.sq_entries)
		return false;
	idx = t & (lay.sq_entries - 1);
	if (lay.sqes_base + idx * 64 > lay.mem_bytes - 64)
		return false;
	sqe = (struct io_uring_sqe *)(mem + lay.sqes_base + idx * 64);
	__builtin_memset(sqe, 0, 64);
	sqe->opcode = kernel_op(op);
	sqe->user_data = US_UD(slot, r->step);
	if (r->flags & US_STEP_ASYNC)
		sqe->flags = IOSQE_ASYNC_BIT;
	if (op != US_OP_NOP && op != US_OP_TIMEOUT)
		sqe->fd = r->raw_fd >= 0 ? r->raw_fd : fds[r->fd & (US_MAX_FDS - 1)];
	switch (op) {
	case US_OP_READ:
	case US_OP_WRITE:
	case US_OP_SEND:
	case US_OP_RECV:
		sqe->addr = uaddr + r->buf_off;
		sqe->len = r->len;
		sqe->off = r->off;
		if ((op == US_OP_SEND || op == US_OP_RECV) && (r->flags & US_STEP_DONTWAIT))
			sqe->msg_flags = MSG_DONTWAIT;
		break;
	case US_OP_READV:
	case US_OP_WRITEV:
		/* One iovec in the slot's scratch area, where the kernel can read it. */
		if (scratch <= slot_bytes - 16) {
			u64 *iov = (u64 *)(sbuf + scratch);

			iov[0] = uaddr + r->buf_off;
			iov[1] = r->len;
			sqe->addr = uaddr + scratch;
			sqe->len = 1;
			sqe->off = r->off;
		}
		break;
	case US_OP_TIMEOUT:
		if (scratch <= slot_bytes - 16) {
			u64 *ts = (u64 *)(sbuf + scratch);

			ts[0] = r->timeout_ns / 1000000000ULL;
			ts[1] = r->timeout_ns % 1000000000ULL;
			sqe->addr = uaddr + scratch;
			sqe->len = 1;
		}
		break;
	case US_OP_POLL:
		sqe->poll32_events = 1; /* POLLIN */
		break;
	case US_OP_OPENAT:
		sqe->fd = -100; /* AT_FDCWD */
		sqe->addr = paths_uaddr + path_off[r->fd & (US_MAX_FDS - 1)];
		sqe->open_flags = open_flags[r->fd & (US_MAX_FDS - 1)];
		break;
	}
	asm volatile("" ::: "memory"); /* the SQE is written before the tail moves (x86 keeps stores in order) */
	*(volatile u32 *)tail = t + 1;
	add(US_PC_ISSUED, 1);
	if (op < US_OP_COUNT)
		__sync_fetch_and_add(&op_issued[op], 1);
	flags = (u32 *)(mem + lay.sq_flags);
	if (*(volatile u32 *)flags & IORING_SQ_NEED_WAKEUP) {
		add(US_PC_NEED_WAKEUP, 1);
		notify(US_DONE_WAKE, slot, 0, 0, 0, true);
	}
	return true;
}

/* Issues s->r, or parks it when the SQ is full or the lock is contended. */
static __always_inline void post(u8 *mem, u8 *sbuf, u32 slot, struct slot *s)
{
	if (step_budget && counters[US_PC_ISSUED] >= step_budget) {
		add(US_PC_BUDGET_STOP, 1);
		s->c.status = US_CHAIN_FAILED;
		s->c.error = -EBUSY;
		return;
	}
	if (lock_sq()) {
		bool ok = post_locked(mem, sbuf, slot, &s->r);

		unlock_sq();
		if (ok)
			return;
	}
	if (!s->parked) {
		s->parked = 1;
		__sync_fetch_and_add(&parked, 1);
		add(US_PC_SQ_FULL, 1);
	}
}

struct sum_ctx {
	u8 *buf;
	u32 start;
	u32 n;
	u64 h;
};

/*
 * FNV-1a over the bytes a step read, 8 bytes per bpf_loop iteration: a
 * callback per byte would cost more than the IO it checks.
 */
static long sum_word(u64 i, void *p)
{
	struct sum_ctx *c = p;
	u32 at = c->start + (u32)i * 8;
	u64 h = c->h;
	u8 *b;

	if (at > data_bytes - 8 || (u32)i * 8 + 8 > c->n)
		return 1;
	b = c->buf + at;
	h = (h ^ b[0]) * US_FNV_PRIME;
	h = (h ^ b[1]) * US_FNV_PRIME;
	h = (h ^ b[2]) * US_FNV_PRIME;
	h = (h ^ b[3]) * US_FNV_PRIME;
	h = (h ^ b[4]) * US_FNV_PRIME;
	h = (h ^ b[5]) * US_FNV_PRIME;
	h = (h ^ b[6]) * US_FNV_PRIME;
	h = (h ^ b[7]) * US_FNV_PRIME;
	c->h = h;
	return 0;
}

static long sum_byte(u64 i, void *p)
{
	struct sum_ctx *c = p;
	u32 at = c->start + (u32)i;

	if (at >= data_bytes)
		return 1;
	c->h = (c->h ^ c->buf[at]) * US_FNV_PRIME;
	return 0;
}

static __always_inline bool start_chain(u32 slot, struct slot *s, u8 *sbuf, u64 now)
{
	u64 idx;

	if (stop || (step_budget && counters[US_PC_ISSUED] >= step_budget))
		return false;
	idx = __sync_fetch_and_add(&next_chain, 1);
	if (total_chains && idx >= total_chains)
		return false;
	__builtin_memset(&s->c, 0, sizeof(s->c));
	s->c.index = (u32)idx;
	s->start_ns = now;
	s->sum = US_FNV_OFFSET;
	if (us_plan(steps, nsteps, &s->c, 0, sbuf, data_bytes, &s->r)) {
		s->c.status = US_CHAIN_FAILED;
		s->c.error = -75;
	}
	return true;
}

/* Runs the slot forward from a completion: finish/start chains, post the next step. */
static __always_inline void advance(u8 *mem, u8 *sbuf, u32 slot, struct slot *s, u64 now)
{
	int guard;

	/* At most two chains end here: the finished one and one that fails to plan. */
	for (guard = 0; guard < 2; guard++) {
		if (s->c.status == US_CHAIN_RUNNING) {
			post(mem, sbuf, slot, s);
			if (s->c.status == US_CHAIN_RUNNING)
				return;
		}
		if (s->busy) {
			u64 lat = now - s->start_ns;

			if (s->c.status == US_CHAIN_DONE) {
				add(US_PC_CHAINS, 1);
				add(US_PC_CHECKSUM, s->sum);
				u32 b = us_hist_bucket(lat);

				if (b < US_HIST_BUCKETS)
					__sync_fetch_and_add(&lat_hist[b], 1);
				if (lat > lat_max)
					lat_max = lat;
			} else {
				add(US_PC_CHAINS_FAILED, 1);
				if (!counters[US_PC_FIRST_ERROR])
					counters[US_PC_FIRST_ERROR] = (u64)(-(s64)s->c.error);
			}
			add(US_PC_RETRIES, s->c.retries);
			notify(US_DONE_CHAIN, slot, s->c.index, s->c.status, lat, false);
		}
		if (!start_chain(slot, s, sbuf, now)) {
			if (s->busy) {
				s->busy = 0;
				if (__sync_fetch_and_add(&active, -1) == 1)
					notify(US_DONE_IDLE, slot, 0, 0, 0, true); /* the last one: wake userspace */
			}
			return;
		}
		if (!s->busy) {
			s->busy = 1;
			__sync_fetch_and_add(&active, 1);
		}
	}
}

struct unpark_ctx {
	u8 *mem;
	u64 now;
	u32 budget;
};

static long unpark_one(u64 i, void *p)
{
	struct unpark_ctx *u = p;
	u32 slot = (u32)i;
	struct slot *s = bpf_map_lookup_elem(&slots, &slot);
	u8 *sbuf = bpf_map_lookup_elem(&bufs, &slot);
	bool ok = false;

	if (!s || !sbuf || !s->parked)
		return 0;
	if (lock_sq()) {
		ok = post_locked(u->mem, sbuf, slot, &s->r);
		unlock_sq();
	}
	if (!ok)
		return 1; /* still full: stop scanning */
	s->parked = 0;
	__sync_fetch_and_sub(&parked, 1);
	add(US_PC_UNPARKED, 1);
	return --u->budget == 0;
}

SEC("tp_btf/io_uring_create")
int BPF_PROG(policy_create, int fd, void *ring)
{
	if ((bpf_get_current_pid_tgid() >> 32) == owner_tgid && !ring_ctx)
		ring_ctx = (u64)ring;
	return 0;
}

SEC("tp_btf/io_uring_complete")
int BPF_PROG(policy_complete, struct io_ring_ctx *ring, void *req, struct io_uring_cqe *cqe)
{
	u64 ud, now;
	u32 slot, step, zero = 0, *cqh, *cqt;
	s32 res;
	u8 *mem, *sbuf;
	struct slot *s;

	if ((u64)ring != ring_ctx || !ring_ctx)
		return 0;
	mem = bpf_map_lookup_elem(&ring_mem, &zero);
	if (!mem)
		return 0;
	add(US_PC_INVOCATIONS, 1);
	/*
	 * Consume the CQ: every CQE of this ring is handled here. The CQE being
	 * traced is not yet committed, so it is consumed by the next call.
	 */
	if (lay.cq_head <= lay.mem_bytes - 4 && lay.cq_tail <= lay.mem_bytes - 4) {
		cqh = (u32 *)(mem + lay.cq_head);
		cqt = (u32 *)(mem + lay.cq_tail);
		*(volatile u32 *)cqh = *(volatile u32 *)cqt;
	}

	ud = cqe->user_data;
	res = cqe->res;
	slot = (u32)(ud >> 8);
	step = (u32)(ud & 0xff);
	now = bpf_ktime_get_ns();

	if (parked) {
		struct unpark_ctx u = { .mem = mem, .now = now, .budget = 8 };

		bpf_loop(concurrency, unpark_one, &u, 0);
	}
	if (step == UD_UNPARK || step == UD_CANCEL) {
		__sync_fetch_and_add(&user_completed[step == UD_CANCEL ? 1 : 2], 1);
		return 0;
	}
	s = bpf_map_lookup_elem(&slots, &slot);
	sbuf = bpf_map_lookup_elem(&bufs, &slot);
	if (!s || !sbuf)
		return 0;

	if (step == UD_KICK) {
		__sync_fetch_and_add(&user_completed[0], 1);
		s->busy = 0;
		s->c.status = US_CHAIN_DONE; /* nothing to account: start the first chain */
		if (start_chain(slot, s, sbuf, now)) {
			s->busy = 1;
			__sync_fetch_and_add(&active, 1);
			advance(mem, sbuf, slot, s, now);
		}
		return 0;
	}

	if (s->r.op < US_OP_COUNT)
		__sync_fetch_and_add(&op_completed[s->r.op], 1);
	if (res == -ECANCELED) {
		__sync_fetch_and_add(&cancelled, 1);
		if (stop) {
			s->c.status = US_CHAIN_FAILED;
			s->c.error = res;
			add(US_PC_CHAINS_STOPPED, 1);
			s->busy = 0;
			if (__sync_fetch_and_add(&active, -1) == 1)
				notify(US_DONE_IDLE, slot, 0, 0, 0, true);
			return 0;
		}
	}
	if (s->c.status != US_CHAIN_RUNNING || step != s->r.step)
		return 0;

	if (res > 0 && us_moves_data(s->r.op)) {
		add(US_PC_BYTES, (u64)res);
		if (checksum && (s->r.op == US_OP_READ || s->r.op == US_OP_READV || s->r.op == US_OP_RECV)) {
			u32 words = (u32)res / 8;
			struct sum_ctx c = { .buf = sbuf, .start = s->r.buf_off, .n = (u32)res, .h = s->sum };

			bpf_loop(words, sum_word, &c, 0);
			c.start += words * 8;
			bpf_loop((u32)res - words * 8, sum_byte, &c, 0);
			s->sum = c.h;
		}
	}
	{
		u64 before = s->c.steps_done;

		if (us_complete(steps, nsteps, &s->c, &s->r, res) == US_NEXT &&
		    us_plan(steps, nsteps, &s->c, s->c.step, sbuf, data_bytes, &s->r)) {
			s->c.status = US_CHAIN_FAILED;
			s->c.error = -75;
		}
		add(US_PC_STEPS, s->c.steps_done - before);
	}
	advance(mem, sbuf, slot, s, now);
	return 0;
}
