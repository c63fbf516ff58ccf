/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * The map-backed ring every in-kernel policy drives (strategy `bpf`): its
 * memory is this object's mmapable map, handed to io_uring with
 * IORING_SETUP_NO_MMAP | NO_SQARRAY | SQPOLL, so a program running at
 * completion time can write SQEs and bump the SQ tail; the SQPOLL thread
 * issues them. Shared by the declarative interpreter
 * (bpf/policies/chain.bpf.c) and the runtime of C policies
 * (bpf/runtime/policy.bpf.c); the engine's loader (native/engine/
 * bpf_ring_setup.cc) finds the globals below by name.
 */
#ifndef URINGSCOPE_RING_BPF_H
#define URINGSCOPE_RING_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "policy.h"
#include "hist.h"

#define ECANCELED 125
#define EBUSY 16
#define IORING_SQ_NEED_WAKEUP (1U << 0)
#define IOSQE_IO_LINK_BIT (1U << 2)
#define IOSQE_IO_HARDLINK_BIT (1U << 3)
#define IOSQE_ASYNC_BIT (1U << 4)
#define IORING_ASYNC_CANCEL_ALL_BIT (1U << 0)
#define MSG_DONTWAIT 0x40

/* user_data steps of userspace's NOPs and cancel: US_TAG_* in bpf/policy.h. */

/* Set by the loader before load. */
const volatile u32 owner_tgid = 0;
const volatile u32 nrings = 1;         /* SQPOLL rings the slots are spread over: slot % nrings */
const volatile u32 concurrency = 1;
const volatile bool checksum = true;   /* FNV-1a of the bytes read (results checking) */
const volatile u32 data_bytes = 4096;  /* chain data region per slot */
const volatile u32 slot_bytes = 8192;  /* data + scratch (iovecs, timespecs) per slot */
const volatile struct us_ring_layout lay = {};
const volatile s32 fds[US_MAX_FDS] = {};
const volatile u32 path_off[US_MAX_FDS] = {};   /* openat: where each target's path sits at paths_uaddr */
const volatile u32 open_flags[US_MAX_FDS] = {};
const volatile bool fixed_bufs = false; /* the bufs map is registered as fixed buffer 0: READ/WRITE_FIXED */

/* Shared with userspace, found by name in .bss. */
u64 ring_ctx[US_MAX_RINGS] = {}; /* our rings, learned at io_uring_create, in creation order */
u32 rings_seen = 0;
u64 bufs_uaddr = 0;    /* where userspace mapped the bufs map */
u64 paths_uaddr = 0;   /* NUL-terminated target paths in the engine's memory (openat) */
u64 total_chains = 0;  /* 0: until stop */
u64 step_budget = 0;   /* 0: unlimited */
u64 next_chain = 0;
u32 stop = 0;
u32 sq_lock[US_MAX_RINGS] = {}; /* one producer lock per ring's SQ */
u32 active = 0;        /* slots running a chain */
u32 parked = 0;        /* slots waiting for room in the SQ */
u64 counters[US_PC_COUNT] = {};
u64 op_issued[US_OP_COUNT + 1] = {};    /* last: ASYNC_CANCEL a policy issued */
u64 op_completed[US_OP_COUNT + 1] = {};
u64 user_completed[3] = {}; /* completions of what userspace posted: [0] kicks, [1] cancels, [2] unparks */
u64 cancelled = 0;
u64 lat_hist[US_HIST_BUCKETS] = {};
u64 lat_max = 0;

/* Ring header + CQEs, then the SQE array: io_uring's memory (NO_MMAP). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, 1);         /* resized by the loader: one element per ring */
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
	d->a = 0;
	d->b = 0;
	bpf_ringbuf_submit(d, wake ? BPF_RB_FORCE_WAKEUP : BPF_RB_NO_WAKEUP);
}

/*
 * Each slot runs on one ring (slot % nrings, chosen by userspace's kick);
 * the slot remembers it in its map value: a ring index read from the map is
 * an unknown scalar to the verifier, where slot % nrings computed from a
 * bpf_loop index would make every iteration of the unpark scan a distinct
 * state to verify.
 */
static __always_inline u8 *ring_mem_at(u32 r)
{
	r = nrings > 1 ? r & (US_MAX_RINGS - 1) : 0;
	return bpf_map_lookup_elem(&ring_mem, &r);
}

/* A ring's producer lock; with one ring, a constant address (what the verifier handles best). */
static __always_inline u32 *ring_lock(u32 ring)
{
	return nrings > 1 ? &sq_lock[ring & (US_MAX_RINGS - 1)] : &sq_lock[0];
}

static __always_inline bool lock_sq(u32 ring)
{
	u32 *lock = ring_lock(ring);
	int i;

	/*
	 * The lock is held for a few stores; a producer that loses 16 times
	 * parks its step instead (retried at the next completion). More
	 * iterations also make the verifier's path history too long.
	 */
	for (i = 0; i < 16; i++) {
		if (__sync_val_compare_and_swap(lock, 0, 1) == 0)
			return true;
		add(US_PC_LOCK_SPINS, 1);
	}
	return false;
}

static __always_inline void unlock_sq(u32 ring)
{
	__sync_fetch_and_and(ring_lock(ring), 0);
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

/* Free SQ entries and the current tail. Caller holds sq_lock. */
static __always_inline u32 sq_room(u8 *mem, u32 *tail_out)
{
	u32 t, h;

	if (lay.sq_head > lay.mem_bytes - 4 || lay.sq_tail > lay.mem_bytes - 4)
		return 0;
	t = *(volatile u32 *)(mem + lay.sq_tail);
	h = *(volatile u32 *)(mem + lay.sq_head);
	*tail_out = t;
	return lay.sq_entries - (t - h);
}

static __always_inline struct io_uring_sqe *sqe_at(u8 *mem, u32 t)
{
	u32 idx = t & (lay.sq_entries - 1);

	if (lay.sqes_base + idx * 64 > lay.mem_bytes - 64)
		return 0;
	return (struct io_uring_sqe *)(mem + lay.sqes_base + idx * 64);
}

/*
 * Writes the SQE for request r of `slot` at SQ position t (not yet
 * published). `link` is 0, IOSQE_IO_LINK or IOSQE_IO_HARDLINK. Scratch
 * space (an iovec, a timespec) for the request sits past the slot's data,
 * 16 bytes per step/tag.
 */
static __always_inline bool write_sqe(u8 *mem, u8 *sbuf, u32 slot, u32 t, const struct us_req *r, u8 link)
{
	struct io_uring_sqe *sqe = sqe_at(mem, t);
	u64 uaddr = bufs_uaddr + (u64)slot * slot_bytes;
	u32 scratch = data_bytes + (r->step & (US_MAX_STEPS - 1)) * 16;
	u8 op = r->op;

	if (!sqe)
		return false;
	__builtin_memset(sqe, 0, 64);
	sqe->opcode = kernel_op(op);
	sqe->user_data = US_UD(slot, r->step);
	sqe->flags = link;
	if (r->flags & US_STEP_ASYNC)
		sqe->flags |= IOSQE_ASYNC_BIT;
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
		if (fixed_bufs && (op == US_OP_READ || op == US_OP_WRITE)) {
			/* The whole bufs map is registered buffer 0: no page pinning per request. */
			sqe->opcode = op == US_OP_READ ? IORING_OP_READ_FIXED : IORING_OP_WRITE_FIXED;
			sqe->buf_index = 0;
		}
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
	if (op < US_OP_COUNT)
		__sync_fetch_and_add(&op_issued[op], 1);
	return true;
}

/* An ASYNC_CANCEL of every request of `slot` tagged `tag`, at SQ position t. */
static __always_inline bool write_cancel(u8 *mem, u32 slot, u32 t, u32 tag)
{
	struct io_uring_sqe *sqe = sqe_at(mem, t);

	if (!sqe)
		return false;
	__builtin_memset(sqe, 0, 64);
	sqe->opcode = IORING_OP_ASYNC_CANCEL;
	sqe->addr = US_UD(slot, tag);
	sqe->cancel_flags = IORING_ASYNC_CANCEL_ALL_BIT;
	sqe->user_data = US_UD(slot, US_TAG_CANCEL);
	__sync_fetch_and_add(&op_issued[US_OP_COUNT], 1);
	return true;
}

/* Makes SQEs up to position t visible to the SQPOLL thread, waking it if it sleeps. */
static __always_inline void publish(u8 *mem, u32 t, u32 n, u32 slot)
{
	asm volatile("" ::: "memory"); /* the SQEs are written before the tail moves (x86 keeps stores in order) */
	*(volatile u32 *)(mem + lay.sq_tail) = t;
	add(US_PC_ISSUED, n);
	if (lay.sq_flags <= lay.mem_bytes - 4 && (*(volatile u32 *)(mem + lay.sq_flags) & IORING_SQ_NEED_WAKEUP)) {
		add(US_PC_NEED_WAKEUP, 1);
		notify(US_DONE_WAKE, slot, 0, 0, 0, true);
	}
}

/* Consumes the CQ: every CQE of this ring is handled at its completion. */
static __always_inline void consume_cq(u8 *mem)
{
	/* The CQE being traced is not yet committed, so it is consumed by the next call. */
	if (lay.cq_head <= lay.mem_bytes - 4 && lay.cq_tail <= lay.mem_bytes - 4)
		*(volatile u32 *)(mem + lay.cq_head) = *(volatile u32 *)(mem + lay.cq_tail);
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

/* FNV-1a of `n` bytes at buf + start, continuing from h. */
static __always_inline u64 fnv_bytes(u8 *buf, u32 start, u32 n, u64 h)
{
	u32 words = n / 8;
	struct sum_ctx c = { .buf = buf, .start = start, .n = n, .h = h };

	bpf_loop(words, sum_word, &c, 0);
	c.start += words * 8;
	bpf_loop(n - words * 8, sum_byte, &c, 0);
	return c.h;
}

static __always_inline bool is_read_op(u8 op)
{
	return op == US_OP_READ || op == US_OP_READV || op == US_OP_RECV;
}

static __always_inline void account_chain(u32 slot, u32 chain, u32 status, s32 error, u64 sum, u64 lat)
{
	if (status == US_CHAIN_DONE) {
		u32 b = us_hist_bucket(lat);

		add(US_PC_CHAINS, 1);
		add(US_PC_CHECKSUM, sum);
		if (b < US_HIST_BUCKETS)
			__sync_fetch_and_add(&lat_hist[b], 1);
		if (lat > lat_max)
			lat_max = lat;
	} else {
		add(US_PC_CHAINS_FAILED, 1);
		if (!counters[US_PC_FIRST_ERROR])
			counters[US_PC_FIRST_ERROR] = (u64)(-(s64)error);
	}
	notify(US_DONE_CHAIN, slot, chain, status, lat, false);
}

/* The next chain number, or false when the run starts no more chains. */
static __always_inline bool next_chain_index(u64 *idx)
{
	if (stop || (step_budget && counters[US_PC_ISSUED] >= step_budget))
		return false;
	*idx = __sync_fetch_and_add(&next_chain, 1);
	return !total_chains || *idx < total_chains;
}

static __always_inline bool budget_spent(void)
{
	if (step_budget && counters[US_PC_ISSUED] >= step_budget) {
		add(US_PC_BUDGET_STOP, 1);
		return true;
	}
	return false;
}

/* A slot takes a chain / has none left: `active` counts busy slots; the last to idle wakes userspace. */
static __always_inline void slot_busy(u32 *busy)
{
	if (!*busy) {
		*busy = 1;
		__sync_fetch_and_add(&active, 1);
	}
}

static __always_inline void slot_idle(u32 slot, u32 *busy)
{
	if (*busy) {
		*busy = 0;
		if (__sync_fetch_and_add(&active, -1) == 1)
			notify(US_DONE_IDLE, slot, 0, 0, 0, true);
	}
}

/* A completion of our ring, decoded. */
struct ring_cqe {
	u8 *mem;    /* the ring's memory */
	u32 ring;   /* its index */
	u64 now;
	u32 slot;   /* user_data: slot << 8 | tag */
	u32 tag;
	s32 res;
	u32 cflags;
};

/*
 * The head of every policy's completion program: is it our ring (then the
 * CQ is consumed and the CQE decoded)? The caller runs its unpark scan next,
 * then ring_control() for what userspace posted.
 */
static __always_inline bool ring_completion(void *ring, struct ring_cqe *ev)
{
	u32 r;

	if (!ring)
		return false;
	for (r = 0; r < US_MAX_RINGS; r++)
		if (ring_ctx[r] == (u64)ring)
			break;
	if (r >= US_MAX_RINGS)
		return false;
	/* The slot's ring is this one: a slot's requests all go to its ring. */
	ev->ring = r;
	ev->mem = bpf_map_lookup_elem(&ring_mem, &r);
	if (!ev->mem)
		return false;
	add(US_PC_INVOCATIONS, 1);
	consume_cq(ev->mem);
	return true;
}

/* The rest of the CQE, read only once the ring is known to be ours. */
static __always_inline void ring_cqe_decode(struct ring_cqe *ev, u64 ud, s32 res, u32 cflags)
{
	ev->res = res;
	ev->cflags = cflags;
	ev->slot = (u32)(ud >> 8);
	ev->tag = (u32)(ud & 0xff);
	ev->now = bpf_ktime_get_ns();
}

/* Parked slots are retried from any completion: `scan` is the policy's bpf_loop callback per slot. */
struct unpark_ctx {
	u32 ring;     /* the completing ring: only its slots (its completion lock serialises them) */
	u64 now;
	u32 budget;   /* slots unparked per completion at most */
};

/*
 * A scan callback starts with this: `budget` must stop at 0, not only be
 * tested after a decrement. bpf_loop's count here (concurrency) is a
 * constant, so the verifier walks the callback up to that many times unless
 * an iteration starts from a state it has seen; a budget that stops at 0
 * gives at most 9 distinct starts, one that kept counting down (0, then
 * 0xffffffff, ...) made every iteration new: on 6.18.44, 100 slots ran into
 * the 1M-instruction limit and 1000 into the jump-sequence limit.
 */
static __always_inline bool unpark_spent(const struct unpark_ctx *u)
{
	return u->budget == 0;
}

static __always_inline void unpark_scan(const struct ring_cqe *ev, long (*scan)(u64, void *))
{
	struct unpark_ctx u = { .ring = ev->ring, .now = ev->now, .budget = 8 };

	if (parked)
		bpf_loop(concurrency, scan, &u, 0);
}

/* Userspace's unpark NOPs and stop-time cancel: counted, nothing else to do. */
static __always_inline bool ring_control(u32 tag)
{
	if (tag != US_TAG_UNPARK && tag != US_TAG_STOP)
		return false;
	__sync_fetch_and_add(&user_completed[tag == US_TAG_STOP ? 1 : 2], 1);
	return true;
}

SEC("tp_btf/io_uring_create")
int BPF_PROG(policy_create, int fd, void *ring)
{
	u32 i;

	if ((bpf_get_current_pid_tgid() >> 32) != owner_tgid)
		return 0;
	i = __sync_fetch_and_add(&rings_seen, 1);
	if (i < nrings && i < US_MAX_RINGS)
		ring_ctx[i] = (u64)ring;
	return 0;
}

/*
 * A policy's completion program, in both shapes the kernels have:
 * io_uring_complete(ctx, req, cqe) on newer kernels (6.18, 7.x),
 * (ctx, req, user_data, res, cflags, extra1, extra2) up to 6.12. The engine's
 * loader keeps the one that fits the running kernel's BTF prototype
 * (native/kernel_btf.h) and switches the other off. `body` is the policy's
 * int body(struct ring_cqe *ev), called for completions on our rings only
 * (the CQE is read after that check, which keeps verification as small as
 * it was with one shape: a concurrency of 1000 stays under the verifier's
 * jump-sequence limit).
 */
#define RING_TRACEPOINT_PROGRAMS(body)                                                   \
	SEC("tp_btf/io_uring_complete")                                                  \
	int BPF_PROG(policy_complete, struct io_ring_ctx *ring, void *req,               \
		     struct io_uring_cqe *cqe)                                           \
	{                                                                                \
		struct ring_cqe ev;                                                      \
                                                                                         \
		if (!ring_completion(ring, &ev))                                         \
			return 0;                                                        \
		ring_cqe_decode(&ev, cqe->user_data, cqe->res, cqe->flags);              \
		return body(&ev);                                                        \
	}                                                                                \
	SEC("tp_btf/io_uring_complete")                                                  \
	int BPF_PROG(policy_complete_args, void *ring, void *req, u64 user_data,         \
		     int res, unsigned int cflags)                                       \
	{                                                                                \
		struct ring_cqe ev;                                                      \
                                                                                         \
		if (!ring_completion(ring, &ev))                                         \
			return 0;                                                        \
		ring_cqe_decode(&ev, user_data, res, cflags);                            \
		return body(&ev);                                                        \
	}

/*
 * Every shape of a policy's completion handling the object carries: the two
 * tracepoint ones, and in the .ops objects (-DUS_OPS_LOOP) the bpf-ops loop
 * step (bpf/runtime/ops.bpf.h).
 */
#ifdef US_OPS_LOOP
#include "ops.bpf.h"
#define RING_COMPLETION_PROGRAMS(body) RING_TRACEPOINT_PROGRAMS(body) RING_OPS_PROGRAM(body)
#else
#define RING_COMPLETION_PROGRAMS(body) RING_TRACEPOINT_PROGRAMS(body)
#endif

#endif /* URINGSCOPE_RING_BPF_H */
