/* SPDX-License-Identifier: MIT */
/*
 * echo as a C policy (workloads echo and echo-tcp): send 512 bytes on end a,
 * receive them on end b, send back what arrived, receive the echo on a. A
 * receive that comes back short is re-issued for the rest, accumulating in
 * the chain's own state. Same results as workloads/builtin/echo.json.
 */
#include <uringscope.h>

US_STATS(round_trips, short_recvs);

#define A 0          /* sock.a */
#define B 1          /* sock.b */
#define MSG 512

enum { PING, RECV_PING, PONG, RECV_PONG };
enum { GOT_PING, GOT_PONG }; /* c->var[]: bytes received so far */

static __always_inline int recv_rest(struct us_ctx *c, const struct us_cqe *e, s32 fd, u32 base, u32 slot)
{
	c->var[slot] += (u64)e->res;
	if (c->var[slot] >= MSG || e->res == 0)
		return 1; /* complete (or the peer closed: stop as the workload does) */
	us_stat_add(c, short_recvs, 1);
	us_recv(c, fd, base + (u32)c->var[slot], MSG - (u32)c->var[slot], e->tag);
	return 0;
}

US_ON_START(c)
{
	return us_send(c, A, 0, MSG, PING);
}

US_ON_COMPLETE(c, e)
{
	if (e->res < 0)
		return e->res;
	switch (e->tag) {
	case PING:
		return us_recv(c, B, 512, MSG, RECV_PING);
	case RECV_PING:
		if (!recv_rest(c, e, B, 512, GOT_PING) || e->res == 0)
			return 0;
		return us_send(c, B, 512, (u32)c->var[GOT_PING], PONG);
	case PONG:
		return us_recv(c, A, 1024, MSG, RECV_PONG);
	case RECV_PONG:
		if (recv_rest(c, e, A, 1024, GOT_PONG))
			us_stat_add(c, round_trips, 1);
		return 0;
	}
	return 0;
}
