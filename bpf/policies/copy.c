/* SPDX-License-Identifier: MIT */
/*
 * copy as a C policy: read a 64 KiB chunk, then write exactly the bytes the
 * read returned to the same offset of the destination (the last chunk is
 * short: no cancelled write, no resubmission). Same results as
 * workloads/builtin/copy.json.
 */
#include <uringscope.h>

US_STATS(chunks, short_chunks);

#define SRC 0
#define DST 1
#define CHUNK 65536

enum { READ, WRITE };

US_ON_START(c)
{
	return us_read(c, SRC, 0, CHUNK, (u64)c->chain * CHUNK, READ);
}

US_ON_COMPLETE(c, e)
{
	if (e->res < 0)
		return e->res;
	if (e->tag == READ && e->res > 0) {
		us_stat_add(c, chunks, 1);
		if ((u32)e->res < e->len)
			us_stat_add(c, short_chunks, 1);
		return us_write(c, DST, 0, (u32)e->res, e->off, WRITE);
	}
	return 0; /* EOF, or the write is done */
}
