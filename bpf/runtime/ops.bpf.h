/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * The bpf-ops shape of a policy (Linux 7.1+, `--bpf-path ops`): the same
 * policy body the completion tracepoint calls on the map-backed path, called
 * here from the ring's own event loop. The ring still lives in ring_mem
 * (NO_MMAP | NO_SQARRAY), but it is DEFER_TASKRUN | SINGLE_ISSUER without
 * SQPOLL: the engine makes one io_uring_enter, and inside it each loop step
 *   1. hands every new CQE to the policy body (which writes its next SQEs
 *      into the SQ, exactly as on the map-backed path),
 *   2. submits whatever is queued (the policy's requests and userspace's
 *      kicks, unparks and stop-time cancel) with bpf_io_uring_submit_sqes,
 *   3. sleeps in the kernel until the next completion (cq_wait_idx), or
 *      returns IOU_LOOP_STOP once every slot is idle after its kick, or when
 *      the kernel refuses a submission.
 * With --rings N there are N such rings, each entered by its own engine
 * thread with its own attachment of this program (ops_tid says which ring a
 * step is for); the ring whose step sees the run end stops, and the engine
 * pokes the others, whose steps then see it too.
 * Built only into the .ops objects (-DUS_OPS_LOOP, see the Makefile and
 * scripts/build-policy.sh): an object with a struct_ops map does not load on
 * a kernel without io_uring_bpf_ops. The engine switches the completion
 * programs off in these objects (native/engine/bpf_ring_setup.cc).
 */
#ifndef URINGSCOPE_OPS_BPF_H
#define URINGSCOPE_OPS_BPF_H

#include "bpf_ops.h"

/* Shared with userspace, found by name in .bss. */
u64 kick_total = 0;   /* kicks userspace posts: the run ends when all completed and no slot is busy */
u64 ops_steps = 0;    /* loop steps run */
u64 ops_stops = 0;    /* IOU_LOOP_STOP returns */
u64 ops_errors = 0;   /* submissions the kernel refused */
u64 ops_first_error = 0; /* errno of the first refused submission */
u64 ops_submitted = 0; /* SQEs submitted from loop_step (policy's and userspace's) */
/*
 * With --rings N each ring has its own thread in io_uring_enter and its own
 * attachment of this program: the loop step runs in that thread, and the
 * opaque iou_ctx says nothing about which ring it is, so userspace writes
 * each ring's thread id here before entering.
 */
u32 ops_tid[US_MAX_RINGS] = {};

struct ops_walk {
	u8 *mem;
	u32 head;
	u32 ring;
};

/* The ring whose loop step this is (-1: not a thread of ours). */
static __always_inline int ops_ring(void)
{
	u32 tid, r;

	if (nrings <= 1)
		return 0;
	tid = (u32)bpf_get_current_pid_tgid();
	for (r = 0; r < US_MAX_RINGS; r++)
		if (r < nrings && ops_tid[r] == tid)
			return r;
	return -1;
}

/* The CQE at position i past the walk's head, decoded as the completion program would. */
static __always_inline bool ops_cqe_at(struct ops_walk *w, u64 i, struct ring_cqe *ev)
{
	u32 at = lay.cqes + ((w->head + (u32)i) & (lay.cq_entries - 1)) * 16;
	struct io_uring_cqe *cqe;

	if (at > lay.mem_bytes - 16)
		return false;
	cqe = (struct io_uring_cqe *)(w->mem + at);
	ev->mem = w->mem;
	ev->ring = w->ring;
	add(US_PC_INVOCATIONS, 1);
	ring_cqe_decode(ev, cqe->user_data, cqe->res, cqe->flags);
	return true;
}

static __always_inline bool ops_finished(void)
{
	return kick_total && user_completed[0] >= kick_total && !active;
}

/*
 * `body` as in RING_COMPLETION_PROGRAMS. The CQ is walked with bpf_loop, so
 * the body is verified once, as in the completion program.
 */
#define RING_OPS_PROGRAM(body)                                                          \
	static long ops_one_cqe(u64 i, void *p)                                         \
	{                                                                               \
		struct ring_cqe ev;                                                     \
                                                                                        \
		if (!ops_cqe_at(p, i, &ev))                                             \
			return 1;                                                       \
		body(&ev);                                                              \
		return 0;                                                               \
	}                                                                               \
	SEC("struct_ops/loop_step")                                                     \
	int BPF_PROG(policy_loop_step, struct iou_ctx *ictx, struct iou_loop_params *lp) \
	{                                                                               \
		u32 head, tail, queued;                                                 \
		int n, r = ops_ring();                                                  \
		struct ops_walk w;                                                      \
		u8 *mem = r < 0 ? NULL : ring_mem_at(r);                                \
                                                                                        \
		__sync_fetch_and_add(&ops_steps, 1);                                    \
		if (!mem || lay.cq_head > lay.mem_bytes - 4 || lay.cq_tail > lay.mem_bytes - 4 || \
		    lay.sq_head > lay.mem_bytes - 4 || lay.sq_tail > lay.mem_bytes - 4) {  \
			__sync_fetch_and_add(&ops_stops, 1);                            \
			return IOU_LOOP_STOP;                                           \
		}                                                                       \
		head = *(volatile u32 *)(mem + lay.cq_head);                            \
		tail = *(volatile u32 *)(mem + lay.cq_tail);                            \
		w.mem = mem;                                                            \
		w.head = head;                                                          \
		w.ring = r;                                                             \
		bpf_loop(tail - head, ops_one_cqe, &w, 0);                              \
		*(volatile u32 *)(mem + lay.cq_head) = tail;                            \
		queued = *(volatile u32 *)(mem + lay.sq_tail) - *(volatile u32 *)(mem + lay.sq_head); \
		if (queued) {                                                           \
			n = bpf_io_uring_submit_sqes(ictx, queued);                     \
			if (n < 0) {                                                    \
				__sync_fetch_and_add(&ops_errors, 1);                   \
				if (!ops_first_error)                                   \
					ops_first_error = -n;                           \
				__sync_fetch_and_add(&ops_stops, 1);                    \
				return IOU_LOOP_STOP;                                   \
			}                                                               \
			__sync_fetch_and_add(&ops_submitted, n);                        \
		}                                                                       \
		if (ops_finished()) {                                                   \
			__sync_fetch_and_add(&ops_stops, 1);                            \
			return IOU_LOOP_STOP;                                           \
		}                                                                       \
		lp->cq_wait_idx = tail + 1; /* sleep until the next completion */      \
		return IOU_LOOP_CONTINUE;                                               \
	}                                                                               \
	SEC(".struct_ops")                                                              \
	struct io_uring_bpf_ops policy_ops = {                                          \
		.loop_step = (void *)policy_loop_step,                                  \
	};

#endif /* URINGSCOPE_OPS_BPF_H */
