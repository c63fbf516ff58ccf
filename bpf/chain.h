/* SPDX-License-Identifier: MIT */
/*
 * IO chains: the compiled step template (struct us_step), the state of one
 * chain (struct us_chain), and the rules that plan a step and react to its
 * completion. This is the one policy source: the engine compiles it natively
 * (strategies `link` and `user`) and it is written to be BPF-compatible
 * (fixed-size state, bounded loops, explicit bounds checks on the buffer)
 * so the `bpf` strategy can run the same decisions at completion time.
 */
#ifndef URINGSCOPE_CHAIN_H
#define URINGSCOPE_CHAIN_H

#include "tracer.h"

#ifndef __always_inline
#define __always_inline inline __attribute__((always_inline))
#endif

#define US_MAX_STEPS 16
#define US_MAX_FDS 16
#define US_MAX_EXPECT 4

/*
 * The engine's ops. An X-macro so the enum and the names the addon exports
 * (native/abi.cc, the workload's step "op") cannot drift apart:
 * X(enum suffix, name in workloads).
 */
#define US_OPS(X)                                                                    \
	X(NOP, nop)                                                                  \
	X(READ, read)                                                                \
	X(WRITE, write)                                                              \
	X(READV, readv)                                                              \
	X(WRITEV, writev)                                                            \
	X(SEND, send)                                                                \
	X(RECV, recv)                                                                \
	X(TIMEOUT, timeout)                                                          \
	X(POLL, poll)                                                                \
	X(FSYNC, fsync)                                                              \
	X(OPENAT, openat)  /* opens the target's path; the fd is the step's result */ \
	X(CLOSE, close)    /* closes the fd an earlier openat returned */

#define US_OP_ENUM(e, n) US_OP_##e,
enum us_op { US_OPS(US_OP_ENUM) US_OP_COUNT };
#undef US_OP_ENUM

enum us_len_mode { US_LEN_FIXED = 0, US_LEN_PREVIOUS, US_LEN_HEADER };
enum us_off_mode { US_OFF_FIXED = 0, US_OFF_PER_CHAIN, US_OFF_CONTINUE, US_OFF_SAME_AS };
enum us_on_short { US_SHORT_CONTINUE = 0, US_SHORT_RETRY };
enum us_on_zero { US_ZERO_STOP = 0, US_ZERO_CONTINUE };
enum us_on_error { US_ERR_FAIL = 0, US_ERR_RETRY, US_ERR_SKIP };

#define US_STEP_HARDLINK 0x1
#define US_STEP_ASYNC 0x2
#define US_STEP_DONTWAIT 0x4

struct us_step {
	u8 op;        /* enum us_op */
	u8 fd;        /* index into the run's fd table */
	u8 len_mode;  /* enum us_len_mode */
	u8 off_mode;  /* enum us_off_mode */
	u8 on_short;
	u8 on_zero;
	u8 on_error;
	u8 flags;     /* US_STEP_* */
	u16 retries;  /* onError retry budget per step */
	u16 ref;      /* step referred to by US_LEN_HEADER / US_OFF_SAME_AS */
	u32 len;      /* US_LEN_FIXED: bytes */
	u32 buf_off;  /* where the data lives in the chain's buffer */
	u32 header_at;/* US_LEN_HEADER: byte of the u32 in step `ref`'s data */
	u32 n_expect;
	s32 expect[US_MAX_EXPECT]; /* errnos (positive) that count as success */
	s32 fd_from;  /* >= 0: use the fd that openat step `fd_from` returned, not the target's */
	u64 off;      /* US_OFF_FIXED: offset; US_OFF_PER_CHAIN: base */
	u64 stride;   /* US_OFF_PER_CHAIN */
	u64 timeout_ns;
};

enum us_chain_status { US_CHAIN_RUNNING = 0, US_CHAIN_DONE, US_CHAIN_FAILED };

struct us_chain {
	u32 index;     /* chain number within the run */
	u32 step;      /* next step to issue */
	u32 status;    /* enum us_chain_status */
	s32 error;     /* res of the step that failed the chain */
	u32 tries;     /* onError retries spent on the current step */
	u32 partial;   /* bytes already moved by the current step (onShort retry) */
	u32 moved[US_MAX_STEPS];   /* bytes each step moved */
	u64 off[US_MAX_STEPS];     /* offset each step used */
	u64 cursor[US_MAX_FDS];    /* where the last step on each fd stopped */
	u64 steps_done;            /* successful step completions */
	u64 retries;               /* steps re-issued after a retryable error/short transfer */
};

/* One request, planned. */
struct us_req {
	u8 op;
	u8 fd;
	u16 step;
	u32 len;
	u32 buf_off;
	u64 off;
	u64 timeout_ns;
	u32 flags;
	s32 raw_fd;   /* >= 0: an fd opened by the chain itself (openat); else fd-table index `fd` */
};

static __always_inline u32 us_le32(const u8 *p)
{
	return (u32)p[0] | ((u32)p[1] << 8) | ((u32)p[2] << 16) | ((u32)p[3] << 24);
}

static __always_inline bool us_moves_data(u8 op)
{
	return op == US_OP_READ || op == US_OP_WRITE || op == US_OP_READV || op == US_OP_WRITEV ||
	       op == US_OP_SEND || op == US_OP_RECV;
}

/*
 * Plans step i of chain c. `buf` is the chain's buffer (buf_len bytes), read
 * for header lengths. Returns 0, or a negative errno when the step cannot be
 * planned (a header length past the buffer: -EOVERFLOW = -75).
 */
static __always_inline int us_plan(const struct us_step *steps, u32 nsteps, const struct us_chain *c,
				   u32 i, const u8 *buf, u32 buf_len, struct us_req *r)
{
	const struct us_step *s;
	u32 len = 0;
	u64 off = 0;

	if (i >= nsteps || i >= US_MAX_STEPS)
		return -22;
	s = &steps[i];
	switch (s->len_mode) {
	case US_LEN_PREVIOUS:
		len = i > 0 ? c->moved[(i - 1) & (US_MAX_STEPS - 1)] : 0;
		break;
	case US_LEN_HEADER: {
		u32 at = steps[s->ref & (US_MAX_STEPS - 1)].buf_off + s->header_at;

		if (at > buf_len || buf_len - at < 4)
			return -75;
		len = us_le32(buf + at);
		break;
	}
	default:
		len = s->len;
	}
	switch (s->off_mode) {
	case US_OFF_PER_CHAIN:
		off = s->off + (u64)c->index * s->stride;
		break;
	case US_OFF_CONTINUE:
		off = c->cursor[s->fd & (US_MAX_FDS - 1)];
		break;
	case US_OFF_SAME_AS:
		off = c->off[s->ref & (US_MAX_STEPS - 1)];
		break;
	default:
		off = s->off;
	}
	/* Resuming a short transfer: the rest of it. */
	u32 bo = s->buf_off;
	if (c->partial && i == c->step) {
		len = len > c->partial ? len - c->partial : 0;
		off += c->partial;
		bo += c->partial;
	}
	if (us_moves_data(s->op) && (bo > buf_len || len > buf_len - bo))
		return -75; /* the data would not fit the chain's buffer */
	r->op = s->op;
	r->fd = s->fd;
	r->step = (u16)i;
	r->len = len;
	r->buf_off = bo;
	r->off = off;
	r->timeout_ns = s->timeout_ns;
	r->flags = s->flags;
	r->raw_fd = s->fd_from >= 0 ? (s32)c->moved[s->fd_from & (US_MAX_STEPS - 1)] : -1;
	return 0;
}

static __always_inline bool us_expected(const struct us_step *s, s32 res)
{
	u32 k;

	for (k = 0; k < US_MAX_EXPECT; k++)
		if (k < s->n_expect && -res == s->expect[k])
			return true;
	return false;
}

enum us_decision {
	US_NEXT = 0, /* issue c->step (advanced, or the same step again) */
	US_DONE,     /* chain finished */
	US_FAILED,   /* chain failed with c->error */
};

/*
 * Applies the completion of step i (planned as `r`, result `res`) to chain c
 * and says what comes next. Never called for -ECANCELED completions of a
 * broken kernel link: those are the engine's to resubmit.
 */
static __always_inline int us_complete(const struct us_step *steps, u32 nsteps, struct us_chain *c,
				       const struct us_req *r, s32 res)
{
	u32 i = r->step & (US_MAX_STEPS - 1);
	const struct us_step *s = &steps[i];
	u32 total;

	if (res < 0 && !us_expected(s, res)) {
		if (s->on_error == US_ERR_RETRY && c->tries < s->retries) {
			c->tries++;
			c->retries++;
			return US_NEXT; /* same step again */
		}
		if (s->on_error != US_ERR_SKIP) {
			c->status = US_CHAIN_FAILED;
			c->error = res;
			return US_FAILED;
		}
		res = 0; /* skipped: moved nothing */
	} else if (res < 0) {
		res = 0; /* an expected error, e.g. a timeout that fired */
	}

	total = c->partial + (u32)res;
	if (us_moves_data(s->op) && res > 0 && total < r->len + c->partial && s->on_short == US_SHORT_RETRY) {
		c->partial = total;
		c->retries++;
		return US_NEXT; /* the rest of the same step */
	}
	c->moved[i] = total;
	c->off[i] = r->off - c->partial;
	c->cursor[s->fd & (US_MAX_FDS - 1)] = r->off - c->partial + total;
	c->partial = 0;
	c->tries = 0;
	c->steps_done++;
	if (us_moves_data(s->op) && total == 0 && r->len > 0 && s->on_zero == US_ZERO_STOP) {
		c->status = US_CHAIN_DONE;
		return US_DONE;
	}
	c->step = i + 1;
	if (c->step >= nsteps) {
		c->status = US_CHAIN_DONE;
		return US_DONE;
	}
	return US_NEXT;
}

/* FNV-1a over bytes: the checksum of data a chain read. */
#define US_FNV_OFFSET 0xcbf29ce484222325ULL
#define US_FNV_PRIME 0x100000001b3ULL

#endif /* URINGSCOPE_CHAIN_H */
