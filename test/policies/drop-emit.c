/*
 * The rest of the API: each chain queues a 10 s timeout and a NOP linked to
 * a second NOP; when the second NOP completes the policy emits a record and
 * drops the chain, which cancels the timeout. A chain therefore takes
 * microseconds, not 10 s (the tracer sees every timeout cancelled).
 */
#include <uringscope.h>

US_STATS(dropped, linked_nops);

enum { T_TIMEOUT, T_NOP1, T_NOP2 };

US_ON_START(c)
{
	int r = us_timeout(c, 10000000000ULL, T_TIMEOUT);

	r = r ?: us_nop(c, T_NOP1);
	r = r ?: us_link(c);
	return r ?: us_nop(c, T_NOP2);
}

US_ON_COMPLETE(c, e)
{
	/* The timeout's own completion (-ECANCELED) comes after the drop: a chain that ended sees no more. */
	if (e->res < 0)
		return e->res;
	us_stat_add(c, linked_nops, 1);
	if (e->tag == T_NOP2) {
		us_emit(c, 7, c->chain, c->inflight);
		us_stat_add(c, dropped, 1);
		return us_drop(c);
	}
	return 0;
}
