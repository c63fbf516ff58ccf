// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * A ring driven by its own io_uring bpf-ops program, as an application would
 * write one (test/helpers/uring_ops.c loads it): each loop step reaps the CQ,
 * issues the next NOP and submits it with the kfunc, and stops once `total`
 * NOPs completed. One io_uring_enter runs the whole loop. The tracer's tests
 * watch it from outside.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "bpf_ops.h"

char LICENSE[] SEC("license") = "GPL";

/* Ring geometry from io_uring_params, set by the loader. */
const volatile __u32 total = 1000;
const volatile __u32 sq_tail_off = 0, cq_head_off = 0, cq_tail_off = 0, sq_mask = 0;

/* What it did, read by the loader afterwards. */
__u32 issued, reaped, steps;

#define REGION_CQ_BYTES 4096       /* the ring headers live in the first page */
#define REGION_SQ_BYTES (64 * 64)  /* 64 SQEs: the helper's ring size */

SEC("struct_ops/loop_step")
int BPF_PROG(loop_step, struct iou_ctx *ictx, struct iou_loop_params *lp)
{
	__u8 *rings, *sqes;
	__u32 *cqh, *sqt, head, tail, t;
	struct io_uring_sqe *sqe;

	steps++;
	rings = bpf_io_uring_get_region(ictx, IOU_REGION_CQ, REGION_CQ_BYTES);
	sqes = bpf_io_uring_get_region(ictx, IOU_REGION_SQ, REGION_SQ_BYTES);
	if (!rings || !sqes)
		return IOU_LOOP_STOP;
	/* Offsets masked into the region so the verifier can bound them. */
	cqh = (__u32 *)(rings + (cq_head_off & 0xffc));
	tail = *(volatile __u32 *)(rings + (cq_tail_off & 0xffc));
	head = *cqh;
	reaped += tail - head;
	*cqh = tail;
	if (reaped >= total)
		return IOU_LOOP_STOP;
	if (issued == reaped) {
		sqt = (__u32 *)(rings + (sq_tail_off & 0xffc));
		t = *sqt;
		sqe = (struct io_uring_sqe *)(sqes + ((t & sq_mask) & 63) * 64);
		__builtin_memset(sqe, 0, sizeof(*sqe));
		sqe->opcode = 0; /* IORING_OP_NOP */
		sqe->user_data = issued;
		*sqt = t + 1;
		issued++;
		bpf_io_uring_submit_sqes(ictx, 1);
	}
	/* Sleep in the kernel until the next completion. */
	lp->cq_wait_idx = tail + 1;
	return IOU_LOOP_CONTINUE;
}

SEC(".struct_ops")
struct io_uring_bpf_ops ops = {
	.loop_step = (void *)loop_step,
};
