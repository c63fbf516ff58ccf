/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * Upstream io_uring bpf-ops (Linux 7.1+, CONFIG_IO_URING_BPF_OPS) as the BPF
 * side sees it, for programs built against an older kernel's vmlinux.h (6.18
 * here has none of it; the Makefile defines US_VMLINUX_HAS_BPF_OPS when the
 * build kernel's has). Layouts are the 7.2 ones (read from Debian's 7.2.13
 * BTF): loop_step gets an opaque struct iou_ctx, and the kfuncs take it.
 * The kfunc prototypes must match the kernel's exactly (libbpf checks them):
 * hence the empty struct and size_t.
 *
 * Loading with Debian 12's libbpf 1.1 (no struct_ops links in it): the
 * loader flags the program BPF_F_SLEEPABLE and the map BPF_F_LINK, writes the
 * map value itself (prog fd and ring_fd at the offsets the kernel's BTF
 * gives) and creates the link with bpf_link_create(BPF_STRUCT_OPS): see
 * test/helpers/uring_ops.c.
 */
#ifndef URINGSCOPE_BPF_OPS_H
#define URINGSCOPE_BPF_OPS_H

#ifndef US_VMLINUX_HAS_BPF_OPS
struct iou_ctx {};

struct iou_loop_params {
	__u32 cq_wait_idx; /* the CQ index to sleep until (compared with the CQ tail) */
} __attribute__((preserve_access_index));

struct io_uring_bpf_ops {
	int (*loop_step)(struct iou_ctx *, struct iou_loop_params *);
	__u32 ring_fd;
	void *priv;
};

enum {
	IOU_LOOP_CONTINUE = 0,
	IOU_LOOP_STOP = 1, /* io_uring_enter returns 0 */
};

enum {
	IOU_REGION_MEM = 0, /* the registered parameter region */
	IOU_REGION_CQ = 1,  /* SQ/CQ headers and CQEs: the IORING_OFF_SQ_RING layout */
	IOU_REGION_SQ = 2,  /* the SQEs */
};
#endif

/* Submits nr SQEs from the SQ (sleepable: the program must be BPF_F_SLEEPABLE). */
extern int bpf_io_uring_submit_sqes(struct iou_ctx *ctx, __u32 nr) __ksym;
/* A region of the ring; NULL when rdwr_buf_size (a constant) exceeds it. */
extern __u8 *bpf_io_uring_get_region(struct iou_ctx *ctx, __u32 region_id, const size_t rdwr_buf_size) __ksym;

#endif /* URINGSCOPE_BPF_OPS_H */
