/*
 * Divides by a variable that is 0: BPF defines x / 0 = 0, C leaves it
 * undefined, so the native build (strategy user) must name this line.
 */
#include <uringscope.h>

US_ON_START(c)
{
	c->var[1] = 100 / c->var[0];
	return us_nop(c, 0);
}

US_ON_COMPLETE(c, e)
{
	return 0;
}
