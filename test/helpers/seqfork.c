// SPDX-License-Identifier: MIT
/*
 * seqfork: N short-lived processes one after another, each with a ring of
 * its own: fork, the child submits NOPS NOPs, reaps them and exits, the
 * parent waits, and so on. A traced shell, build or forking server looks
 * like this to the tracer: a stream of processes that come and go.
 *
 *   seqfork N [NOPS]    (NOPS defaults to 10)
 * Prints "children=<n> nops=<n>" when every child has exited with status 0.
 */
#include <liburing.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

static int child(unsigned nops)
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

int main(int argc, char **argv)
{
	unsigned long n, i;
	unsigned nops;
	int status;
	pid_t pid;

	if (argc < 2) {
		fprintf(stderr, "usage: seqfork N [NOPS]\n");
		return 2;
	}
	n = strtoul(argv[1], NULL, 10);
	nops = argc > 2 ? (unsigned)strtoul(argv[2], NULL, 10) : 10;
	if (nops == 0 || nops > 4096) {
		fprintf(stderr, "seqfork: NOPS must be 1..4096\n");
		return 2;
	}
	for (i = 0; i < n; i++) {
		pid = fork();
		if (pid < 0) {
			perror("fork");
			return 1;
		}
		if (pid == 0)
			_exit(child(nops));
		if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status)) {
			fprintf(stderr, "seqfork: child %lu failed\n", i);
			return 1;
		}
	}
	printf("children=%lu nops=%lu\n", n, n * nops);
	return 0;
}
