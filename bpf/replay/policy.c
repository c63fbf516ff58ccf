/* SPDX-License-Identifier: MIT */
/*
 * Replay under bpf (`uringscope replay FILE --strategy bpf`): each chain's
 * recorded requests (bpf/replay.h) arrive as the chain's input; the policy
 * issues them one at a time, each once whatever its result (as `replay
 * --strategy user` does), and paces a chain's start to its recorded (scaled)
 * time with a timeout tagged T_WAIT, so no userspace wake-up is needed for
 * pacing either. It counts what the replay summary reports.
 */
#include <uringscope.h>
#include <replay.h>

US_STATS(issued, results_differ, waits);

#define T_REQ 0
#define T_WAIT 15      /* the pacing timeout: not a recorded request */
#define EARLY_NS 20000 /* closer than this to its time, a chain just starts */

static __always_inline const struct us_replay_req *rec(struct us_ctx *c, u32 k)
{
	return (const struct us_replay_req *)us_chain_input(c, k);
}

/* Issues the chain's request k, or ends the chain past its last. */
static __always_inline int issue(struct us_ctx *c, u32 k)
{
	const struct us_replay_req *r = rec(c, k);
	struct us_sqe q = {};

	if (!r)
		return 0;
	c->var[0] = k;
	q.op = r->op;
	q.tag = T_REQ;
	q.fd = r->fd;
	q.len = r->len;
	q.off = r->off; /* US_RP_CUR_POS is io_uring's -1: the file position; a timeout's ns */
	q.flags = (r->flags & US_RP_ASYNC) ? US_ASYNC : 0;
	us_stat_add(c, issued, 1);
	return us_submit(c, &q);
}

US_ON_START(c)
{
	const struct us_replay_req *r = rec(c, 0);
	u64 now = us_elapsed(c);

	if (r && r->start_ns > now + EARLY_NS) {
		us_stat_add(c, waits, 1);
		return us_timeout(c, r->start_ns - now, T_WAIT);
	}
	return issue(c, 0);
}

US_ON_COMPLETE(c, e)
{
	const struct us_replay_req *r;

	if (e->tag == T_WAIT)
		return issue(c, 0);
	r = rec(c, (u32)c->var[0]);
	if (r && e->res != r->res)
		us_stat_add(c, results_differ, 1);
	return issue(c, (u32)c->var[0] + 1);
}
