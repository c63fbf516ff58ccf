/* Writes past its per-chain state with an index it takes from a result: the verifier must refuse it. */
#include <uringscope.h>

US_ON_START(c)
{
	return us_nop(c, 0);
}

US_ON_COMPLETE(c, e)
{
	c->var[(u32)e->res & 0xfff] = 1;
	return 0;
}
