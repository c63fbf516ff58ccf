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
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "own_ring_nops.h"

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
			_exit(nops_on_own_ring(nops));
		if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status)) {
			fprintf(stderr, "seqfork: child %lu failed\n", i);
			return 1;
		}
	}
	printf("children=%lu nops=%lu\n", n, n * nops);
	return 0;
}
