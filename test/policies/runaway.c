/* Never ends a chain: every completion issues another NOP (the seed's live-lock). */
#include <uringscope.h>

US_ON_START(c)
{
	return us_nop(c, 0);
}

US_ON_COMPLETE(c, e)
{
	return us_nop(c, 0);
}
