/* Loops until a value that never comes: the verifier must refuse it. */
#include <uringscope.h>

US_ON_START(c)
{
	return us_nop(c, 0);
}

US_ON_COMPLETE(c, e)
{
	volatile u64 *v = &c->var[0]; /* volatile: the compiler may not assume the loop ends */

	while (*v != 7)
		c->var[1] += e->res + 1;
	return 0;
}
