/*
 * A chain that ends at once: its start issues no request. Under user each
 * chain is over on return; under bpf a slot moves on only from completions,
 * so the run stalls, and says so.
 */
#include <uringscope.h>

US_ON_START(c)
{
	return 0;
}

US_ON_COMPLETE(c, e)
{
	return 0;
}
