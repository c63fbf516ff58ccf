/* SPDX-License-Identifier: MIT */
/*
 * short-read as a C policy: read a file 4 KiB at a time into consecutive
 * buffer slices; a short read is not an error (the next read continues where
 * it stopped, instead of the kernel cancelling the rest of a link), and EOF
 * (0 bytes) ends the chain. Same results as workloads/builtin/short-read.json.
 */
#include <uringscope.h>

US_STATS(short_reads, eofs);

#define IN 0        /* the workload's first target: "in" */
#define CHUNK 4096
#define READS 4

US_ON_START(c)
{
	return us_read(c, IN, 0, CHUNK, 0, 0);
}

US_ON_COMPLETE(c, e)
{
	if (e->res < 0)
		return e->res; /* fail the chain with the error */
	if (e->res == 0) {
		us_stat_add(c, eofs, 1);
		return 0; /* EOF: nothing more in flight, the chain is done */
	}
	if ((u32)e->res < e->len)
		us_stat_add(c, short_reads, 1);
	if (e->tag + 1 >= READS)
		return 0;
	return us_read(c, IN, e->buf_off + CHUNK, CHUNK, e->off + (u32)e->res, e->tag + 1);
}
