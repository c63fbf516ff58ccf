// SPDX-License-Identifier: MIT
/*
 * liveforks: N processes alive at once, each with a ring of its own. Every
 * child submits NOPS NOPs, reaps them, tells the parent it is done and then
 * waits until every child is done, so that all N are live targets together:
 * a forking server with more workers than the tracer's targets table holds.
 *
 *   liveforks N [NOPS]    (NOPS defaults to 10)
 * Prints "children=<n> nops=<n>" when every child has exited with status 0.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "own_ring_nops.h"

int main(int argc, char **argv)
{
	unsigned long n, i, failed = 0;
	int done[2], gate[2], status;
	unsigned nops;
	char c;

	if (argc < 2) {
		fprintf(stderr, "usage: liveforks N [NOPS]\n");
		return 2;
	}
	n = strtoul(argv[1], NULL, 10);
	nops = argc > 2 ? (unsigned)strtoul(argv[2], NULL, 10) : 10;
	if (n == 0 || n > 100000 || nops == 0 || nops > 4096) {
		fprintf(stderr, "liveforks: N must be 1..100000 and NOPS 1..4096\n");
		return 2;
	}
	if (pipe(done) || pipe(gate)) {
		perror("pipe");
		return 1;
	}
	for (i = 0; i < n; i++) {
		pid_t pid = fork();

		if (pid < 0) {
			perror("fork");
			return 1;
		}
		if (pid == 0) {
			int rc;

			close(done[0]);
			close(gate[1]);
			rc = nops_on_own_ring(nops);
			c = rc ? 'x' : 'k';
			if (write(done[1], &c, 1) != 1)
				_exit(1);
			/* Held until the parent closes the gate: every child is live at once. */
			while (read(gate[0], &c, 1) > 0)
				;
			_exit(rc);
		}
	}
	close(done[1]);
	close(gate[0]);
	for (i = 0; i < n; i++)
		if (read(done[0], &c, 1) != 1 || c != 'k')
			failed++;
	close(gate[1]);
	for (i = 0; i < n; i++)
		if (wait(&status) < 0 || !WIFEXITED(status) || WEXITSTATUS(status))
			failed++;
	if (failed) {
		fprintf(stderr, "liveforks: %lu children failed\n", failed);
		return 1;
	}
	printf("children=%lu nops=%lu\n", n, n * nops);
	return 0;
}
