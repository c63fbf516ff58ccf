/* Does not compile: an undeclared identifier. */
#include <uringscope.h>

US_ON_START(c)
{
	return us_nop(c, no_such_tag);
}

US_ON_COMPLETE(c, e)
{
	return 0;
}
