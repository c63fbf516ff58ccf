// SPDX-License-Identifier: MIT
/*
 * raw_chains: the engine's `user` loop written directly against liburing,
 * as the baseline of `npm run bench:engine`. Same shape as the engine: C
 * chains in flight, each issues its next step when the previous completes,
 * completions reaped in batches with one io_uring_submit_and_wait.
 *
 *   raw_chains nop CHAINS STEPS CONCURRENCY
 *   raw_chains copy SRC DST CHUNK CONCURRENCY
 * Prints "steps=<n> elapsed_ns=<n>".
 */
#include <errno.h>
#include <fcntl.h>
#include <liburing.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

struct chain {
	unsigned long index;
	unsigned step;
	int res;
	int active;
};

static unsigned long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static void die(const char *what, int err)
{
	fprintf(stderr, "raw_chains: %s: %s\n", what, strerror(err < 0 ? -err : err));
	exit(1);
}

int main(int argc, char **argv)
{
	struct io_uring ring;
	struct io_uring_cqe *cqe;
	unsigned long chains, started = 0, done = 0, steps = 0;
	unsigned nsteps, conc, chunk = 0, head, seen;
	int copy, src = -1, dst = -1, ret;
	unsigned long long t0;
	off_t size = 0;
	char *bufs = NULL;
	struct chain *c;

	if (argc < 5) {
		fprintf(stderr, "usage: raw_chains nop CHAINS STEPS CONC | copy SRC DST CHUNK CONC\n");
		return 2;
	}
	copy = !strcmp(argv[1], "copy");
	if (copy) {
		struct stat st;

		src = open(argv[2], O_RDONLY);
		dst = open(argv[3], O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (src < 0 || dst < 0 || fstat(src, &st))
			die("open", errno);
		size = st.st_size;
		chunk = (unsigned)strtoul(argv[4], NULL, 0);
		conc = (unsigned)strtoul(argv[5], NULL, 0);
		chains = (size + chunk - 1) / chunk;
		nsteps = 2;
		bufs = aligned_alloc(4096, (size_t)chunk * conc);
	} else {
		chains = strtoul(argv[2], NULL, 0);
		nsteps = (unsigned)strtoul(argv[3], NULL, 0);
		conc = (unsigned)strtoul(argv[4], NULL, 0);
	}
	c = calloc(conc, sizeof(*c));
	ret = io_uring_queue_init(conc * 2 > 256 ? conc * 2 : 256, &ring, 0);
	if (ret < 0)
		die("queue_init", ret);

	t0 = now_ns();
	for (;;) {
		for (unsigned s = 0; s < conc && started < chains; s++) {
			if (c[s].active)
				continue;
			c[s] = (struct chain){ .index = started++, .step = 0, .active = 1 };
			struct io_uring_sqe *sqe = io_uring_get_sqe(&ring);

			if (copy)
				io_uring_prep_read(sqe, src, bufs + (size_t)s * chunk, chunk, c[s].index * chunk);
			else
				io_uring_prep_nop(sqe);
			io_uring_sqe_set_data64(sqe, s);
		}
		if (done == chains)
			break;
		ret = io_uring_submit_and_wait(&ring, 1);
		if (ret < 0 && ret != -EINTR)
			die("submit_and_wait", ret);
		seen = 0;
		io_uring_for_each_cqe(&ring, head, cqe) {
			unsigned s = (unsigned)io_uring_cqe_get_data64(cqe);
			int res = cqe->res;

			seen++;
			if (res < 0)
				die("request", res);
			steps++;
			if (++c[s].step == nsteps) {
				c[s].active = 0;
				done++;
				continue;
			}
			struct io_uring_sqe *sqe = io_uring_get_sqe(&ring);

			if (copy)
				io_uring_prep_write(sqe, dst, bufs + (size_t)s * chunk, (unsigned)res, c[s].index * chunk);
			else
				io_uring_prep_nop(sqe);
			io_uring_sqe_set_data64(sqe, s);
		}
		io_uring_cq_advance(&ring, seen);
	}
	printf("steps=%lu elapsed_ns=%llu\n", steps, now_ns() - t0);
	io_uring_queue_exit(&ring);
	return 0;
}
