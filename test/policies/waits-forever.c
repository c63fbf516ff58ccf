/*
 * A chain that waits on a request that never completes: a receive on end b
 * of the workload's socketpair, which nobody writes to. The run must stop
 * as stalled and say what it waited for, not wait in io_uring_enter forever.
 */
#include <uringscope.h>

#define B 1 /* sock.b */

US_ON_START(c)
{
	return us_recv(c, B, 0, 16, 0);
}

US_ON_COMPLETE(c, e)
{
	return e->res < 0 ? e->res : 0;
}
