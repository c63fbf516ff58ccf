/*
 * Stress: each chain issues three rounds of two NOPs linked together, both
 * punted to io-wq (US_ASYNC), the next round when the second of a pair
 * completes: completions arrive from io-wq workers, links are built in BPF.
 */
#include <uringscope.h>

US_STATS(pairs);

enum { FIRST, SECOND };
#define ROUNDS 3

static __always_inline int pair(struct us_ctx *c)
{
	int r = us_nop(c, FIRST);

	r = r ?: us_last_flags(c, US_ASYNC | US_IO_LINK);
	r = r ?: us_nop(c, SECOND);
	return r ?: us_last_flags(c, US_ASYNC);
}

US_ON_START(c)
{
	return pair(c);
}

US_ON_COMPLETE(c, e)
{
	if (e->res < 0)
		return e->res;
	if (e->tag != SECOND)
		return 0;
	us_stat_add(c, pairs, 1);
	return ++c->var[0] < ROUNDS ? pair(c) : 0;
}
