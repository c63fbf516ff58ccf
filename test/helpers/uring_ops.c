/*
 * uring_ops N [HOLD_MS]: an application whose ring is driven by its own io_uring
 * bpf-ops program (bpf/tests/ops_nops.bpf.c): N NOPs issued from loop_step,
 * one io_uring_enter for all of them. The tracer's tests trace it from
 * outside. It stays HOLD_MS after the loop (a long-running application, whose
 * programs a tracer finds in its fd table), then prints
 * "issued=N reaped=N steps=S enter=R"; exit 77 when the
 * kernel has no io_uring bpf-ops (Linux 7.1+).
 *
 * Loading it with Debian 12's libbpf 1.1, which has no struct_ops links: the
 * program is flagged sleepable (it calls a sleepable kfunc), the map
 * BPF_F_LINK, the map value is written here (prog fd and ring fd at the
 * offsets the kernel's BTF gives), and the link is created by hand. The
 * link dies with the process, and the ops with it.
 */
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <liburing.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "tests/ops_nops.skel.h"

#define US_BPF_F_LINK 8192     /* Debian 12's linux/bpf.h (6.1) predates it */
#define US_BPF_STRUCT_OPS 44   /* enum bpf_attach_type */

static int member_offset(const struct btf *b, const char *type, const char *member)
{
	int id = btf__find_by_name_kind(b, type, BTF_KIND_STRUCT);
	const struct btf_type *t;
	const struct btf_member *m;
	int i;

	if (id < 0)
		return -1;
	t = btf__type_by_id(b, id);
	m = btf_members(t);
	for (i = 0; i < btf_vlen(t); i++, m++)
		if (!strcmp(btf__name_by_offset(b, m->name_off), member))
			return btf_member_bit_offset(t, i) / 8;
	return -1;
}

static int quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	return level == LIBBPF_DEBUG ? 0 : vfprintf(stderr, fmt, ap);
}

int main(int argc, char **argv)
{
	unsigned n = argc > 1 ? (unsigned)atoi(argv[1]) : 1000;
	unsigned hold_ms = argc > 2 ? (unsigned)atoi(argv[2]) : 0;
	struct io_uring_params p = { .flags = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN };
	struct io_uring ring;
	struct ops_nops_bpf *skel;
	struct btf *kbtf;
	int data, step_off, fd_off, map_fd, link_fd, ret, zero = 0;
	char *value;
	long entered;

	libbpf_set_print(quiet);
	kbtf = btf__load_vmlinux_btf();
	if (!kbtf || btf__find_by_name_kind(kbtf, "io_uring_bpf_ops", BTF_KIND_STRUCT) < 0) {
		fprintf(stderr, "uring_ops: this kernel has no io_uring bpf-ops\n");
		return 77;
	}
	/* 64 entries: the program's SQ region size. No NO_SQARRAY: liburing 2.3 would fill an SQ array over the ring header. */
	ret = io_uring_queue_init_params(64, &ring, &p);
	if (ret) {
		fprintf(stderr, "uring_ops: io_uring_setup: %s\n", strerror(-ret));
		return 1;
	}
	skel = ops_nops_bpf__open();
	if (!skel)
		return 1;
	skel->rodata->total = n;
	skel->rodata->sq_tail_off = p.sq_off.tail;
	skel->rodata->cq_head_off = p.cq_off.head;
	skel->rodata->cq_tail_off = p.cq_off.tail;
	skel->rodata->sq_mask = p.sq_entries - 1;
	bpf_program__set_flags(skel->progs.loop_step, BPF_F_SLEEPABLE);
	bpf_map__set_map_flags(skel->maps.ops, US_BPF_F_LINK);
	ret = ops_nops_bpf__load(skel);
	if (ret) {
		fprintf(stderr, "uring_ops: load: %s\n", strerror(-ret));
		return 1;
	}
	data = member_offset(kbtf, "bpf_struct_ops_io_uring_bpf_ops", "data");
	step_off = member_offset(kbtf, "io_uring_bpf_ops", "loop_step");
	fd_off = member_offset(kbtf, "io_uring_bpf_ops", "ring_fd");
	if (data < 0 || step_off < 0 || fd_off < 0) {
		fprintf(stderr, "uring_ops: io_uring_bpf_ops layout not in BTF\n");
		return 1;
	}
	value = calloc(1, bpf_map__value_size(skel->maps.ops));
	*(__u64 *)(value + data + step_off) = bpf_program__fd(skel->progs.loop_step);
	*(__u32 *)(value + data + fd_off) = ring.ring_fd;
	map_fd = bpf_map__fd(skel->maps.ops);
	if (bpf_map_update_elem(map_fd, &zero, value, 0)) {
		perror("uring_ops: struct_ops map update");
		return 1;
	}
	link_fd = bpf_link_create(map_fd, 0, US_BPF_STRUCT_OPS, NULL);
	if (link_fd < 0) {
		fprintf(stderr, "uring_ops: attach: %s\n", strerror(-link_fd));
		return 1;
	}
	/* The whole run: loop_step issues, reaps and stops inside this call. */
	entered = syscall(__NR_io_uring_enter, ring.ring_fd, 0, 0, IORING_ENTER_GETEVENTS, NULL, 0);
	usleep(hold_ms * 1000);
	printf("issued=%u reaped=%u steps=%u enter=%ld\n", skel->bss->issued, skel->bss->reaped,
	       skel->bss->steps, entered);
	return entered == 0 && skel->bss->reaped == n ? 0 : 1;
}
