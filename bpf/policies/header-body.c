/* SPDX-License-Identifier: MIT */
/*
 * header-body as a C policy: read record i's 4-byte length header, parse it
 * from the buffer, and issue the body read of exactly that length — the
 * decision a kernel link cannot make, since the length is only known once
 * the header is in memory. Same results as workloads/builtin/header-body.json.
 */
#include <uringscope.h>

US_STATS(records, body_bytes, empty_bodies);

#define IN 0
#define STRIDE 4004      /* a record: u32 length + at most 4000 bytes of body */
#define MAX_BODY (STRIDE - 4)
#define EOVERFLOW 75

enum { HEADER, BODY };

US_ON_START(c)
{
	return us_read(c, IN, 0, 4, (u64)c->chain * STRIDE, HEADER);
}

US_ON_COMPLETE(c, e)
{
	u32 len;

	if (e->res < 0)
		return e->res;
	if (e->tag == HEADER) {
		if (e->res == 0)
			return 0; /* past the last record: done */
		len = us_buf_u32(c, 0);
		if (len > MAX_BODY)
			return -EOVERFLOW; /* a corrupt header must not overrun the buffer */
		if (len == 0)
			us_stat_add(c, empty_bodies, 1);
		return us_read(c, IN, 4, len, e->off + 4, BODY);
	}
	us_stat_add(c, records, 1);
	us_stat_add(c, body_bytes, (u64)e->res);
	return 0;
}
