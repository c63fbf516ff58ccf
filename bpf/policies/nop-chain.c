/* SPDX-License-Identifier: MIT */
/*
 * nop-chain as a C policy: 8 NOPs, each issued when the previous completes —
 * the pure per-step cost of a policy call. Same results as
 * workloads/builtin/nop-chain.json.
 */
#include <uringscope.h>

#define STEPS 8

US_ON_START(c)
{
	return us_nop(c, 0);
}

US_ON_COMPLETE(c, e)
{
	if (e->res < 0)
		return e->res;
	return e->tag + 1 < STEPS ? us_nop(c, e->tag + 1) : 0;
}
