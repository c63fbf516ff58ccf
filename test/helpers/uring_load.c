// SPDX-License-Identifier: MIT
/*
 * uring_load: a small io_uring load generator with known request counts, so
 * the tracer's numbers can be checked exactly.
 *
 *   uring_load chains N [--full]   N linked chains: read 4096 -> nop -> nop.
 *                                  The file holds 100 bytes, so the read is
 *                                  short and the kernel cancels both NOPs;
 *                                  with --full it holds 4096 and nothing is
 *                                  cancelled.
 *   uring_load nops N [BATCH]      N NOPs, BATCH per io_uring_enter (256).
 *   uring_load skip N              N NOPs flagged IOSQE_CQE_SKIP_SUCCESS (no
 *                                  CQE, no completion event), then one NOP.
 *   uring_load recvwait N [US]     N recvs on an empty socket, each followed
 *                                  by the peer's write (after US microseconds,
 *                                  default 0): the kernel arms a poll for
 *                                  each, and the write wakes it.
 *   uring_load waits N US          N rounds of three io_uring_enter waits of
 *                                  about US microseconds each: one ended by a
 *                                  timeout request's CQE, one by the wait's
 *                                  own timeout (-ETIME), one by a signal
 *                                  (SIGALRM, -EINTR).
 *   uring_load loop                nop -> nop chains until SIGTERM/SIGINT;
 *                                  prints "ready" once the ring is up and
 *                                  the number of chains run on exit.
 * Options: --sqpoll runs the ring with an SQPOLL thread.
 * Prints "submitted=<n> completed=<n> cancelled=<n> elapsed_ns=<n>" when done
 * (elapsed: the request loop alone, without ring setup).
 */
#include <errno.h>
#include <fcntl.h>
#include <liburing.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t stop;
static unsigned long submitted, completed, cancelled;

static void on_signal(int sig) { (void)sig; stop = 1; }

static unsigned long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static void die(const char *what, int err)
{
	fprintf(stderr, "uring_load: %s: %s\n", what, strerror(err < 0 ? -err : err));
	exit(1);
}

static void reap(struct io_uring *ring, unsigned want)
{
	struct io_uring_cqe *cqe;

	while (want) {
		int ret = io_uring_wait_cqe(ring, &cqe);

		if (ret == -EINTR)
			continue;
		if (ret < 0)
			die("wait_cqe", ret);
		completed++;
		if (cqe->res == -ECANCELED)
			cancelled++;
		io_uring_cqe_seen(ring, cqe);
		want--;
	}
}

static struct io_uring_sqe *sqe_or_die(struct io_uring *ring)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(ring);

	if (!sqe)
		die("get_sqe", EBUSY);
	return sqe;
}

static void submit(struct io_uring *ring, unsigned n)
{
	int ret = io_uring_submit(ring);

	if (ret < 0)
		die("submit", ret);
	submitted += n;
}

static int make_file(size_t size)
{
	char path[] = "/tmp/uring_load.XXXXXX";
	char buf[4096];
	int fd = mkstemp(path);

	if (fd < 0)
		die("mkstemp", errno);
	unlink(path);
	memset(buf, 'x', sizeof(buf));
	if (write(fd, buf, size) != (ssize_t)size)
		die("write", errno);
	return fd;
}

static void run_chains(struct io_uring *ring, unsigned long n, int full)
{
	static char buf[4096];
	int fd = make_file(full ? 4096 : 100);

	for (unsigned long i = 0; i < n; i++) {
		struct io_uring_sqe *sqe = sqe_or_die(ring);

		io_uring_prep_read(sqe, fd, buf, sizeof(buf), 0);
		sqe->flags |= IOSQE_IO_LINK;
		sqe->user_data = i * 3;
		sqe = sqe_or_die(ring);
		io_uring_prep_nop(sqe);
		sqe->flags |= IOSQE_IO_LINK;
		sqe->user_data = i * 3 + 1;
		sqe = sqe_or_die(ring);
		io_uring_prep_nop(sqe);
		sqe->user_data = i * 3 + 2;
		submit(ring, 3);
		reap(ring, 3);
	}
	close(fd);
}

static void run_nops(struct io_uring *ring, unsigned long n, unsigned batch)
{
	while (n) {
		unsigned k = n < batch ? (unsigned)n : batch;

		for (unsigned i = 0; i < k; i++)
			io_uring_prep_nop(sqe_or_die(ring));
		submit(ring, k);
		reap(ring, k);
		n -= k;
	}
}

static void run_recvwait(struct io_uring *ring, unsigned long n, unsigned long delay_us)
{
	struct timespec delay = { delay_us / 1000000, (delay_us % 1000000) * 1000 };
	char buf[64];
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv))
		die("socketpair", errno);
	for (unsigned long i = 0; i < n; i++) {
		struct io_uring_sqe *sqe = io_uring_get_sqe(ring);

		io_uring_prep_recv(sqe, sv[1], buf, sizeof(buf), 0);
		io_uring_submit(ring);
		submitted++;
		/* Nothing to read at submit: the recv is parked on a poll until this write. */
		if (delay_us)
			nanosleep(&delay, NULL);
		if (write(sv[0], "x", 1) != 1)
			die("write", errno);
		reap(ring, 1);
	}
	close(sv[0]);
	close(sv[1]);
}

static void on_alarm(int sig) { (void)sig; }

static void run_waits(struct io_uring *ring, unsigned long n, unsigned long us)
{
	struct __kernel_timespec ts = { us / 1000000, (us % 1000000) * 1000 };
	struct itimerval alarm_in = { { 0, 0 }, { us / 1000000, us % 1000000 } };
	struct sigaction sa = { 0 };
	struct io_uring_cqe *cqe;
	int ret;

	sa.sa_handler = on_alarm; /* no SA_RESTART: the wait returns -EINTR */
	sigaction(SIGALRM, &sa, NULL);
	for (unsigned long i = 0; i < n; i++) {
		/* 1. A timeout request: its CQE ends the wait. */
		io_uring_prep_timeout(io_uring_get_sqe(ring), &ts, 0, 0);
		submitted++;
		ret = io_uring_submit_and_wait(ring, 1);
		if (ret < 0)
			die("submit_and_wait", ret);
		reap(ring, 1);
		/* 2. Nothing in flight: the wait's own timeout ends it. */
		ret = io_uring_wait_cqe_timeout(ring, &cqe, &ts);
		if (ret != -ETIME)
			die("wait_cqe_timeout", ret < 0 ? ret : -EPROTO);
		/* 3. Nothing in flight, no timeout: a signal ends it. */
		setitimer(ITIMER_REAL, &alarm_in, NULL);
		ret = io_uring_wait_cqe(ring, &cqe);
		if (ret != -EINTR)
			die("wait_cqe", ret < 0 ? ret : -EPROTO);
	}
}

static void run_skip(struct io_uring *ring, unsigned long n)
{
	while (n) {
		unsigned k = n < 64 ? (unsigned)n : 64;

		for (unsigned i = 0; i < k; i++) {
			struct io_uring_sqe *sqe = sqe_or_die(ring);

			io_uring_prep_nop(sqe);
			sqe->flags |= IOSQE_CQE_SKIP_SUCCESS;
		}
		submit(ring, k);
		n -= k;
	}
	io_uring_prep_nop(sqe_or_die(ring));
	submit(ring, 1);
	reap(ring, 1);
}

static void run_loop(struct io_uring *ring)
{
	unsigned long chains = 0;

	printf("ready\n");
	fflush(stdout);
	while (!stop) {
		struct io_uring_sqe *sqe = sqe_or_die(ring);

		io_uring_prep_nop(sqe);
		sqe->flags |= IOSQE_IO_LINK;
		io_uring_prep_nop(sqe_or_die(ring));
		submit(ring, 2);
		reap(ring, 2);
		chains++;
		if (chains % 64 == 0)
			usleep(1000); /* a steady, modest rate */
	}
	fprintf(stderr, "chains=%lu\n", chains);
}

int main(int argc, char **argv)
{
	struct io_uring_params p = { 0 };
	struct io_uring ring;
	int full = 0, ret;
	unsigned batch = 256;
	unsigned long long t0, t1;

	if (argc < 2) {
		fprintf(stderr, "usage: uring_load chains N [--full] | nops N [BATCH] | skip N | recvwait N [US] | waits N US | loop [--sqpoll]\n");
		return 2;
	}
	for (int i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "--sqpoll")) {
			p.flags |= IORING_SETUP_SQPOLL;
			p.sq_thread_idle = 100;
		} else if (!strcmp(argv[i], "--full")) {
			full = 1;
		}
	}
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	ret = io_uring_queue_init_params(1024, &ring, &p);
	if (ret < 0)
		die("queue_init", ret);

	t0 = now_ns();
	if (!strcmp(argv[1], "chains") && argc > 2) {
		run_chains(&ring, strtoul(argv[2], NULL, 0), full);
	} else if (!strcmp(argv[1], "nops") && argc > 2) {
		if (argc > 3 && argv[3][0] != '-')
			batch = (unsigned)strtoul(argv[3], NULL, 0);
		if (batch < 1 || batch > 1024)
			batch = 256;
		run_nops(&ring, strtoul(argv[2], NULL, 0), batch);
	} else if (!strcmp(argv[1], "skip") && argc > 2) {
		run_skip(&ring, strtoul(argv[2], NULL, 0));
	} else if (!strcmp(argv[1], "recvwait") && argc > 2) {
		run_recvwait(&ring, strtoul(argv[2], NULL, 0),
			     argc > 3 && argv[3][0] != '-' ? strtoul(argv[3], NULL, 0) : 0);
	} else if (!strcmp(argv[1], "waits") && argc > 3) {
		run_waits(&ring, strtoul(argv[2], NULL, 0), strtoul(argv[3], NULL, 0));
	} else if (!strcmp(argv[1], "loop")) {
		run_loop(&ring);
	} else {
		fprintf(stderr, "uring_load: unknown mode %s\n", argv[1]);
		return 2;
	}
	t1 = now_ns();
	io_uring_queue_exit(&ring);
	printf("submitted=%lu completed=%lu cancelled=%lu elapsed_ns=%llu\n", submitted, completed,
	       cancelled, t1 - t0);
	return 0;
}
