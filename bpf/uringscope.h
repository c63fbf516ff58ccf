/* SPDX-License-Identifier: MIT */
/*
 * The uringscope policy API: chain policies written in C.
 *
 * A policy is one C file that includes this header and defines two entries:
 *
 *     #include <uringscope.h>
 *
 *     US_STATS(bodies, empty);              // optional: named global counters
 *
 *     US_ON_START(c)                        // a chain starts: issue its first request(s)
 *     {
 *             return us_read(c, 0, 0, 4, (u64)c->chain * 4004, 0);
 *     }
 *
 *     US_ON_COMPLETE(c, e)                  // one of the chain's requests completed
 *     {
 *             if (e->tag == 0 && e->res == 4)
 *                     return us_read(c, 0, 4, us_buf_u32(c, 0), (u64)c->chain * 4004 + 4, 1);
 *             return 0;                     // nothing left in flight: the chain is done
 *     }
 *
 * The same source runs under two strategies and takes the same decisions:
 *   bpf   compiled with clang for BPF, verified, and run by the kernel at the
 *         completion of every request of the chain (tp_btf/io_uring_complete);
 *         the requests it issues are written straight into the ring (SQPOLL
 *         picks them up): the application is not woken per step;
 *   user  compiled natively into the engine, called for every CQE it reaps.
 * Under `user` the BPF build is still loaded through the verifier first, so a
 * policy that could write out of bounds or loop forever never runs at all.
 *
 * What a policy may do, from either entry (each returns 0 or a negative errno):
 *   us_read/us_write/us_send/us_recv/us_nop/us_fsync/us_timeout/us_openat/
 *   us_close/us_submit  queue a request (tag 0..US_MAX_TAGS-1 names it in its
 *                       completion); us_link() links the last one queued to
 *                       the next (IOSQE_IO_LINK: the kernel cancels the rest
 *                       of the link when one fails or is short);
 *   us_cancel(c, tag)   cancel this chain's request with that tag;
 *   us_drop(c)          end the chain now (done) and cancel what is in flight;
 *   us_fail(c, err)     end the chain as failed with -errno `err`;
 *   c->var[0..7]        the chain's own state (zeroed when it starts);
 *   us_stat_add(c,i,v)  add to global counter i (named by US_STATS, shown
 *                       live in the TUI and in the run's `engine.policy`);
 *   us_buf_u8/u16/u32/u64(c, off)  read the chain's buffer (where its reads
 *                       land), bounds-checked: out of range reads give 0;
 *   us_emit(c, kind, a, b)  send a record to userspace (a BPF ring buffer
 *                       under `bpf`): no CQE, no wake-up;
 *   us_chain_input(c, i)  the chain's i-th input record (32 bytes; NULL past
 *                       its last) when the run has input, e.g. a replay's
 *                       recorded requests (bpf/replay.h);
 *   us_elapsed(c)       nanoseconds since the run started (pacing).
 * Returning a negative errno fails the chain. A chain ends when the policy
 * says so (us_drop/us_fail) or when nothing of it is in flight and nothing
 * was queued; completions that arrive after it ended are not delivered.
 * Calls for one ring never overlap (the kernel holds the ring's completion
 * lock); the runtime counts it if they ever do (`overlaps`). With
 * `--rings N` the rings' calls run on N CPUs at once: a chain stays on one
 * ring, and the global counters are atomic.
 *
 * The BPF build sees the kernel's types (vmlinux.h): a name of yours that
 * clashes with one of them (an enumerator like DONE) is a compile error, so
 * prefix your own.
 *
 * Targets are fd-table indices, in the workload's order: a file or path
 * target takes one entry, a socketpair/tcp/pipe two (NAME.a, then NAME.b).
 */
#ifndef URINGSCOPE_API_H
#define URINGSCOPE_API_H

#include "chain.h" /* u8..u64, enum us_op, US_STEP_* */

#define US_MAX_ACTIONS 8  /* requests/cancels/emits one call may queue */
#define US_MAX_TAGS 16    /* requests of one chain in flight at once */
#define US_MAX_VARS 8
#define US_MAX_STATS 16

/* struct us_sqe.flags */
#define US_ASYNC US_STEP_ASYNC       /* IOSQE_ASYNC: punt to io-wq */
#define US_DONTWAIT US_STEP_DONTWAIT /* send/recv: MSG_DONTWAIT */
#define US_FD_RAW 0x8                /* fd is a real fd (e.g. an openat's result), not a target index */
#define US_IO_LINK 0x10              /* IOSQE_IO_LINK to the next request queued */
#define US_IO_HARDLINK 0x20          /* IOSQE_IO_HARDLINK: errors do not break it */

/* A request a policy issues. */
struct us_sqe {
	u8 op;        /* enum us_op */
	u8 flags;     /* US_* above */
	u8 tag;       /* given back in its completion */
	u8 pad;
	s32 fd;       /* fd-table index, or a real fd with US_FD_RAW */
	u32 len;
	u32 buf_off;  /* where in the chain's buffer the data goes / comes from */
	u64 off;      /* file offset; US_OP_TIMEOUT: nanoseconds */
};

enum us_action_kind { US_ACT_ISSUE = 1, US_ACT_CANCEL, US_ACT_EMIT };

struct us_action {
	u32 kind;     /* enum us_action_kind */
	u32 emit_kind;
	struct us_sqe q; /* ISSUE: the request; CANCEL: q.tag */
	u64 a, b;     /* EMIT */
};

/* A run's per-chain input: opaque 32-byte records the policy casts to its own type. */
struct us_input {
	u64 w[4];
};

/* A completion, as the policy sees it. */
struct us_cqe {
	s32 res;      /* bytes, or -errno (-ECANCELED: a broken link or a cancel) */
	u32 flags;    /* CQE flags */
	u32 tag;
	u32 op;       /* what was asked: */
	u32 len;
	u32 buf_off;
	u64 off;
};

/* One chain. The policy reads the fields and writes var[]; the rest is the runtime's. */
struct us_ctx {
	u32 chain;     /* chain number within the run: 0, 1, 2, ... */
	u32 slot;      /* the runtime's slot (where the buffer lives) */
	u32 status;    /* enum us_chain_status (bpf/chain.h) */
	s32 error;     /* US_CHAIN_FAILED: the -errno */
	u32 inflight;  /* requests of this chain in the kernel (the completing one excluded) */
	u32 inflight_mask; /* bit per tag in flight */
	u32 completions;   /* completions delivered to the policy so far */
	u32 nact;      /* actions queued (runtime: executed up to `posted`) */
	u32 posted;
	u32 pad;
	u64 bytes;     /* bytes moved so far by this chain's data requests */
	u64 var[US_MAX_VARS];
	struct us_sqe req[US_MAX_TAGS]; /* what each tag asked for */
	struct us_action act[US_MAX_ACTIONS];
};

/* Userspace that only needs the types (the engine) stops here. */
#ifndef US_API_TYPES_ONLY

/*
 * The backend's hooks, defined by whoever includes this header (the BPF
 * runtime, bpf/runtime/policy.bpf.c, or the native one, native/policy/runtime.c).
 */
static const u8 *us_rt_buf(u32 slot);  /* the buffer of the chain in `slot` */
static u32 us_rt_buf_bytes(void);      /* its length */
static u64 *us_rt_stats(void);         /* US_MAX_STATS global counters */
static const struct us_input *us_rt_input(u32 chain, u32 i); /* NULL past the chain's input */
static u64 us_rt_elapsed(void);        /* ns since the run started (CLOCK_MONOTONIC) */

/* Named global counters: US_STATS(a, b, c) gives indices a, b, c and their names. */
#ifdef __bpf__
#define US__VISIBLE
#else
#define US__VISIBLE __attribute__((visibility("default"))) /* the engine reads it with dlsym */
#endif
#define US_STATS(...)                                   \
	enum { __VA_ARGS__, US__NSTATS };               \
	US__VISIBLE const volatile char us_stat_names[] = #__VA_ARGS__

#define US_ON_START(c) static __always_inline int us_on_start(struct us_ctx *c)
#define US_ON_COMPLETE(c, e) static __always_inline int us_on_complete(struct us_ctx *c, const struct us_cqe *e)

static __always_inline struct us_action *us__act(struct us_ctx *c, u32 kind)
{
	u32 n = c->nact;
	struct us_action *a;

	if (n >= US_MAX_ACTIONS)
		return 0;
	a = &c->act[n & (US_MAX_ACTIONS - 1)];
	a->kind = kind;
	c->nact = n + 1;
	return a;
}

/* Queues any request. */
static __always_inline int us_submit(struct us_ctx *c, const struct us_sqe *q)
{
	struct us_action *a;

	if (q->op >= US_OP_COUNT || q->tag >= US_MAX_TAGS)
		return -22; /* EINVAL */
	a = us__act(c, US_ACT_ISSUE);
	if (!a)
		return -28; /* ENOSPC: more than US_MAX_ACTIONS in one call */
	a->q = *q;
	return 0;
}

static __always_inline int us__io(struct us_ctx *c, u8 op, s32 fd, u32 buf_off, u32 len, u64 off, u32 tag, u8 flags)
{
	struct us_sqe q = { .op = op, .flags = flags, .tag = (u8)tag, .fd = fd, .len = len, .buf_off = buf_off, .off = off };

	return us_submit(c, &q);
}

static __always_inline int us_read(struct us_ctx *c, s32 fd, u32 buf_off, u32 len, u64 off, u32 tag)
{
	return us__io(c, US_OP_READ, fd, buf_off, len, off, tag, 0);
}

static __always_inline int us_write(struct us_ctx *c, s32 fd, u32 buf_off, u32 len, u64 off, u32 tag)
{
	return us__io(c, US_OP_WRITE, fd, buf_off, len, off, tag, 0);
}

static __always_inline int us_send(struct us_ctx *c, s32 fd, u32 buf_off, u32 len, u32 tag)
{
	return us__io(c, US_OP_SEND, fd, buf_off, len, 0, tag, 0);
}

static __always_inline int us_recv(struct us_ctx *c, s32 fd, u32 buf_off, u32 len, u32 tag)
{
	return us__io(c, US_OP_RECV, fd, buf_off, len, 0, tag, 0);
}

static __always_inline int us_nop(struct us_ctx *c, u32 tag)
{
	return us__io(c, US_OP_NOP, 0, 0, 0, 0, tag, 0);
}

static __always_inline int us_fsync(struct us_ctx *c, s32 fd, u32 tag)
{
	return us__io(c, US_OP_FSYNC, fd, 0, 0, 0, tag, 0);
}

static __always_inline int us_timeout(struct us_ctx *c, u64 ns, u32 tag)
{
	return us__io(c, US_OP_TIMEOUT, 0, 0, 0, ns, tag, 0);
}

/* Opens the path of file/path target `target`; the completion's res is the fd. */
static __always_inline int us_openat(struct us_ctx *c, s32 target, u32 tag)
{
	return us__io(c, US_OP_OPENAT, target, 0, 0, 0, tag, 0);
}

/* Closes a real fd (one an openat returned). */
static __always_inline int us_close(struct us_ctx *c, s32 fd, u32 tag)
{
	return us__io(c, US_OP_CLOSE, fd, 0, 0, 0, tag, US_FD_RAW);
}

/* The flags of the request queued last: e.g. us_last_flags(c, US_FD_RAW | US_ASYNC). */
static __always_inline int us_last_flags(struct us_ctx *c, u8 flags)
{
	u32 n = c->nact;

	if (n == 0 || n > US_MAX_ACTIONS || c->act[(n - 1) & (US_MAX_ACTIONS - 1)].kind != US_ACT_ISSUE)
		return -22;
	c->act[(n - 1) & (US_MAX_ACTIONS - 1)].q.flags |= flags;
	return 0;
}

/* Links the request queued last to the next one queued (a kernel link). */
static __always_inline int us_link(struct us_ctx *c)
{
	return us_last_flags(c, US_IO_LINK);
}

static __always_inline int us_cancel(struct us_ctx *c, u32 tag)
{
	struct us_action *a;

	if (tag >= US_MAX_TAGS || !(c->inflight_mask & (1u << tag)))
		return -2; /* ENOENT: nothing in flight with that tag */
	a = us__act(c, US_ACT_CANCEL);
	if (!a)
		return -28;
	a->q.tag = (u8)tag;
	return 0;
}

static __always_inline int us_fail(struct us_ctx *c, s32 err)
{
	c->status = US_CHAIN_FAILED;
	c->error = err < 0 ? err : -err;
	return 0;
}

/* Ends the chain now (done): what it has in flight is cancelled. */
static __always_inline int us_drop(struct us_ctx *c)
{
	u32 t;

	for (t = 0; t < US_MAX_TAGS; t++)
		if (c->inflight_mask & (1u << t))
			us_cancel(c, t);
	c->status = US_CHAIN_DONE;
	return 0;
}

static __always_inline int us_emit(struct us_ctx *c, u32 kind, u64 a, u64 b)
{
	struct us_action *x = us__act(c, US_ACT_EMIT);

	if (!x)
		return -28;
	x->emit_kind = kind;
	x->a = a;
	x->b = b;
	return 0;
}

static __always_inline void us_stat_add(struct us_ctx *c, u32 i, u64 v)
{
	u64 *s = us_rt_stats();

	(void)c;
	if (s && i < US_MAX_STATS)
		__sync_fetch_and_add(&s[i], v);
}

static __always_inline u64 us__load(const struct us_ctx *c, u32 off, u32 size)
{
	const u8 *b = us_rt_buf(c->slot);
	u32 n = us_rt_buf_bytes();
	u64 v = 0;
	u32 k;

	if (!b || off > n || n - off < size)
		return 0;
	for (k = 0; k < 8; k++)
		if (k < size)
			v |= (u64)b[off + k] << (8 * k);
	return v;
}

static __always_inline const struct us_input *us_chain_input(const struct us_ctx *c, u32 i)
{
	return us_rt_input(c->chain, i);
}

static __always_inline u64 us_elapsed(const struct us_ctx *c)
{
	(void)c;
	return us_rt_elapsed();
}

/* Little-endian loads from the chain's buffer; 0 when out of range. */
static __always_inline u8 us_buf_u8(const struct us_ctx *c, u32 off) { return (u8)us__load(c, off, 1); }
static __always_inline u16 us_buf_u16(const struct us_ctx *c, u32 off) { return (u16)us__load(c, off, 2); }
static __always_inline u32 us_buf_u32(const struct us_ctx *c, u32 off) { return (u32)us__load(c, off, 4); }
static __always_inline u64 us_buf_u64(const struct us_ctx *c, u32 off) { return us__load(c, off, 8); }

#endif /* US_API_TYPES_ONLY */
#endif /* URINGSCOPE_API_H */
