/* SPDX-License-Identifier: MIT */
/*
 * retry as a C policy: a timeout that fires (-ETIME is the expected result),
 * a send, then a non-blocking receive; on -EAGAIN the policy backs off with
 * a growing timeout (2, 4, 8 ... µs) and tries again, and after 100 tries it
 * skips the receive instead of failing the chain. Then a NOP. Same bytes
 * and checksums as workloads/builtin/retry.json, no userspace round trip per
 * retry under `bpf`.
 */
#include <uringscope.h>

US_STATS(eagain, backoffs, skipped);

#define A 0
#define B 1
#define MSG 64
#define ETIME 62
#define EAGAIN 11
#define MAX_TRIES 100

enum { T_WAIT, T_SEND, T_RECV, T_BACKOFF, T_DONE }; /* tags (prefixed: the BPF build sees vmlinux.h names) */
enum { TRIES };

static __always_inline int recv_now(struct us_ctx *c)
{
	int r = us_recv(c, B, 0, MSG, T_RECV);

	return r ? r : us_last_flags(c, US_DONTWAIT);
}

US_ON_START(c)
{
	return us_timeout(c, 20000, T_WAIT);
}

US_ON_COMPLETE(c, e)
{
	switch (e->tag) {
	case T_WAIT:
		if (e->res < 0 && e->res != -ETIME)
			return e->res;
		return us_send(c, A, 0, MSG, T_SEND);
	case T_SEND:
		return e->res < 0 ? e->res : recv_now(c);
	case T_RECV:
		if (e->res == -EAGAIN) {
			us_stat_add(c, eagain, 1);
			if (c->var[TRIES] >= MAX_TRIES) {
				us_stat_add(c, skipped, 1);
				return us_nop(c, T_DONE);
			}
			us_stat_add(c, backoffs, 1);
			return us_timeout(c, 2000ULL << (c->var[TRIES]++ & 7), T_BACKOFF);
		}
		return e->res < 0 ? e->res : us_nop(c, T_DONE);
	case T_BACKOFF:
		return recv_now(c);
	}
	return 0;
}
