/* SPDX-License-Identifier: MIT */
/*
 * open-read-close as a C policy: open the file, then — with the fd the open
 * returned — queue the read and the close as one kernel link the policy
 * builds (a hard link: the close runs even if the read fails, so no fd
 * leaks). Same results as workloads/builtin/open-read-close.json.
 */
#include <uringscope.h>

US_STATS(opened, closed);

#define IN 0
#define LEN 4096

enum { OPEN, READ, CLOSE };

US_ON_START(c)
{
	return us_openat(c, IN, OPEN);
}

US_ON_COMPLETE(c, e)
{
	int r;

	if (e->tag == OPEN) {
		if (e->res < 0)
			return e->res;
		us_stat_add(c, opened, 1);
		r = us_read(c, e->res, 0, LEN, 0, READ);
		r = r ?: us_last_flags(c, US_FD_RAW | US_IO_HARDLINK);
		return r ?: us_close(c, e->res, CLOSE);
	}
	if (e->tag == CLOSE && e->res == 0)
		us_stat_add(c, closed, 1);
	return e->res < 0 ? e->res : 0;
}
