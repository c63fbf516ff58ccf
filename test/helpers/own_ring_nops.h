// SPDX-License-Identifier: MIT
/*
 * The work each child of seqfork and liveforks does: NOPS NOPs on a ring of
 * its own, submitted at once, every completion reaped and checked. Returns 0
 * when all completed with res 0.
 */
#pragma once

#include <liburing.h>

static inline int nops_on_own_ring(unsigned nops)
{
	struct io_uring ring;
	struct io_uring_cqe *cqe;
	unsigned i;

	if (io_uring_queue_init(nops, &ring, 0))
		return 1;
	for (i = 0; i < nops; i++)
		io_uring_prep_nop(io_uring_get_sqe(&ring));
	if (io_uring_submit_and_wait(&ring, nops) != (int)nops)
		return 1;
	for (i = 0; i < nops; i++) {
		if (io_uring_wait_cqe(&ring, &cqe) || cqe->res != 0)
			return 1;
		io_uring_cqe_seen(&ring, cqe);
	}
	io_uring_queue_exit(&ring);
	return 0;
}
