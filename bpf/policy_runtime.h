/* SPDX-License-Identifier: MIT */
/*
 * What happens around a policy call, the same in both backends (the BPF
 * runtime bpf/runtime/policy.bpf.c and the native one native/policy/runtime.c),
 * so `user` and `bpf` feed a policy identical inputs: the chain's bookkeeping
 * before the call and the rule that says when a chain is over. Moving the
 * queued actions into a ring is each backend's own business.
 *
 * Include after uringscope.h and after the policy source (it calls
 * us_on_start / us_on_complete).
 */
#ifndef URINGSCOPE_POLICY_RUNTIME_H
#define URINGSCOPE_POLICY_RUNTIME_H

#include "uringscope.h"

/* Starts chain `chain` in the slot whose context is c. */
static __always_inline void us_rt_begin(struct us_ctx *c, u32 slot, u32 chain)
{
	int r;

	__builtin_memset(c, 0, sizeof(*c));
	c->slot = slot;
	c->chain = chain;
	c->status = US_CHAIN_RUNNING;
	r = us_on_start(c);
	if (r < 0 && c->status == US_CHAIN_RUNNING)
		us_fail(c, r);
}

/* The completion of c's request `tag`: bookkeeping, then the policy. */
static __always_inline void us_rt_complete(struct us_ctx *c, u32 tag, s32 res, u32 cflags)
{
	struct us_cqe e = {};
	const struct us_sqe *q;
	int r;

	tag &= US_MAX_TAGS - 1;
	q = &c->req[tag];
	if (c->inflight)
		c->inflight--;
	c->inflight_mask &= ~(1u << tag);
	if (c->status != US_CHAIN_RUNNING)
		return; /* a late completion of a chain the policy ended */
	if (res > 0 && us_moves_data(q->op))
		c->bytes += (u64)res;
	c->completions++;
	if (c->posted == c->nact) {
		c->nact = 0;
		c->posted = 0;
	}
	e.res = res;
	e.flags = cflags;
	e.tag = tag;
	e.op = q->op;
	e.len = q->len;
	e.buf_off = q->buf_off;
	e.off = q->off;
	r = us_on_complete(c, &e);
	if (r < 0 && c->status == US_CHAIN_RUNNING)
		us_fail(c, r);
}

/* Records that action `a` (an ISSUE) went into the ring. */
static __always_inline void us_rt_issued(struct us_ctx *c, const struct us_action *a)
{
	u32 tag = a->q.tag & (US_MAX_TAGS - 1);

	c->req[tag] = a->q;
	c->inflight++;
	c->inflight_mask |= 1u << tag;
}

/*
 * After the backend moved the queued actions into the ring (posted == nact
 * unless the SQ was full): is the chain over? A running chain with nothing
 * in flight and nothing queued is done.
 */
static __always_inline bool us_rt_over(struct us_ctx *c)
{
	if (c->posted != c->nact)
		return false;
	if (c->status == US_CHAIN_RUNNING && c->inflight == 0)
		c->status = US_CHAIN_DONE;
	return c->status != US_CHAIN_RUNNING && c->inflight == 0;
}

#endif /* URINGSCOPE_POLICY_RUNTIME_H */
