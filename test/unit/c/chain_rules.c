/* SPDX-License-Identifier: MIT */
/*
 * us_plan/us_complete (bpf/chain.h) without a ring: the rules the engine and
 * the bpf policy share, fed made-up completions. liburing-test style: each
 * check prints what failed and the binary exits 1; 0 means every rule held.
 * Built by `make unit` into build/unit/, run by test/unit/chain.test.ts.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include "chain.h"

static int failures;

#define CHECK(cond)                                                              \
	do {                                                                     \
		if (!(cond)) {                                                   \
			fprintf(stderr, "%s:%d: %s: failed: %s\n", __FILE__,    \
				__LINE__, __func__, #cond);                      \
			failures++;                                              \
		}                                                                \
	} while (0)

static u8 buf[8192];

/* A two-step chain: read 4096 at 0 from fd 0, then write what was read to fd 1. */
static void read_then_write(struct us_step *s)
{
	memset(s, 0, 2 * sizeof(*s));
	s[0].op = US_OP_READ;
	s[0].len = 4096;
	s[0].fd_from = -1;
	s[1].op = US_OP_WRITE;
	s[1].fd = 1;
	s[1].len_mode = US_LEN_PREVIOUS;
	s[1].off_mode = US_OFF_SAME_AS;
	s[1].ref = 0;
	s[1].fd_from = -1;
}

static void full_read_advances(void)
{
	struct us_step s[2];
	struct us_chain c = { 0 };
	struct us_req r = { 0 };

	read_then_write(s);
	CHECK(us_plan(s, 2, &c, 0, buf, sizeof(buf), &r) == 0);
	CHECK(r.len == 4096 && r.off == 0 && r.step == 0);
	CHECK(us_complete(s, 2, &c, &r, 4096) == US_NEXT);
	CHECK(c.step == 1 && c.moved[0] == 4096 && c.steps_done == 1 && c.cursor[0] == 4096);
	CHECK(us_plan(s, 2, &c, 1, buf, sizeof(buf), &r) == 0);
	CHECK(r.op == US_OP_WRITE && r.len == 4096 && r.off == 0); /* len previous, off same as step 0 */
}

static void short_read_continue(void)
{
	struct us_step s[2];
	struct us_chain c = { 0 };
	struct us_req r = { 0 };

	read_then_write(s);
	s[0].on_short = US_SHORT_CONTINUE;
	us_plan(s, 2, &c, 0, buf, sizeof(buf), &r);
	CHECK(us_complete(s, 2, &c, &r, 1000) == US_NEXT);
	CHECK(c.step == 1 && c.moved[0] == 1000 && c.retries == 0);
	us_plan(s, 2, &c, 1, buf, sizeof(buf), &r);
	CHECK(r.len == 1000); /* the write moves only what was read */
}

static void short_read_retry(void)
{
	struct us_step s[2];
	struct us_chain c = { 0 };
	struct us_req r = { 0 };

	read_then_write(s);
	s[0].on_short = US_SHORT_RETRY;
	us_plan(s, 2, &c, 0, buf, sizeof(buf), &r);
	CHECK(us_complete(s, 2, &c, &r, 1000) == US_NEXT);
	CHECK(c.step == 0 && c.partial == 1000 && c.retries == 1);
	/* The rest of the same step: 3096 bytes at 1000, into the buffer at 1000. */
	CHECK(us_plan(s, 2, &c, 0, buf, sizeof(buf), &r) == 0);
	CHECK(r.len == 3096 && r.off == 1000 && r.buf_off == 1000);
	CHECK(us_complete(s, 2, &c, &r, 3096) == US_NEXT);
	CHECK(c.step == 1 && c.moved[0] == 4096 && c.off[0] == 0 && c.partial == 0 && c.cursor[0] == 4096);
}

static void zero_read_eof(void)
{
	struct us_step s[2];
	struct us_chain c = { 0 };
	struct us_req r = { 0 };

	read_then_write(s);
	s[0].on_zero = US_ZERO_STOP;
	us_plan(s, 2, &c, 0, buf, sizeof(buf), &r);
	CHECK(us_complete(s, 2, &c, &r, 0) == US_DONE);
	CHECK(c.status == US_CHAIN_DONE && c.step == 0);

	memset(&c, 0, sizeof(c));
	s[0].on_zero = US_ZERO_CONTINUE;
	us_plan(s, 2, &c, 0, buf, sizeof(buf), &r);
	CHECK(us_complete(s, 2, &c, &r, 0) == US_NEXT);
	CHECK(c.step == 1 && c.moved[0] == 0);
}

static void errors(void)
{
	struct us_step s[2];
	struct us_chain c = { 0 };
	struct us_req r = { 0 };

	read_then_write(s);
	s[0].on_error = US_ERR_FAIL;
	us_plan(s, 2, &c, 0, buf, sizeof(buf), &r);
	CHECK(us_complete(s, 2, &c, &r, -5) == US_FAILED);
	CHECK(c.status == US_CHAIN_FAILED && c.error == -5);

	/* Retry: the budget is per step, then the chain fails. */
	memset(&c, 0, sizeof(c));
	s[0].on_error = US_ERR_RETRY;
	s[0].retries = 2;
	CHECK(us_complete(s, 2, &c, &r, -11) == US_NEXT);
	CHECK(us_complete(s, 2, &c, &r, -11) == US_NEXT);
	CHECK(c.tries == 2 && c.retries == 2 && c.step == 0);
	CHECK(us_complete(s, 2, &c, &r, -11) == US_FAILED);

	/* Skip: the step moved nothing and the chain goes on. */
	memset(&c, 0, sizeof(c));
	s[0].on_error = US_ERR_SKIP;
	s[0].on_zero = US_ZERO_CONTINUE;
	CHECK(us_complete(s, 2, &c, &r, -5) == US_NEXT);
	CHECK(c.step == 1 && c.moved[0] == 0);

	/* An expected errno counts as success (a timeout that fired: -ETIME = -62). */
	memset(&c, 0, sizeof(c));
	memset(s, 0, sizeof(s[0]));
	s[0].op = US_OP_TIMEOUT;
	s[0].fd_from = -1;
	s[0].n_expect = 1;
	s[0].expect[0] = 62;
	us_plan(s, 2, &c, 0, buf, sizeof(buf), &r);
	CHECK(us_complete(s, 2, &c, &r, -62) == US_NEXT);
	CHECK(c.step == 1 && c.status == US_CHAIN_RUNNING);
}

static void chain_end(void)
{
	struct us_step s[2];
	struct us_chain c = { 0 };
	struct us_req r = { 0 };

	read_then_write(s);
	us_plan(s, 2, &c, 0, buf, sizeof(buf), &r);
	us_complete(s, 2, &c, &r, 4096);
	us_plan(s, 2, &c, 1, buf, sizeof(buf), &r);
	CHECK(us_complete(s, 2, &c, &r, 4096) == US_DONE);
	CHECK(c.status == US_CHAIN_DONE && c.step == 2 && c.steps_done == 2);
	CHECK(us_plan(s, 2, &c, 2, buf, sizeof(buf), &r) == -22); /* no step past the end */
}

static void plan_bounds(void)
{
	struct us_step s[2];
	struct us_chain c = { 0 };
	struct us_req r = { 0 };

	read_then_write(s);
	s[0].len = sizeof(buf) + 1;
	CHECK(us_plan(s, 2, &c, 0, buf, sizeof(buf), &r) == -75); /* would overrun the buffer */
	s[0].off_mode = US_OFF_PER_CHAIN;
	s[0].len = 512;
	s[0].off = 100;
	s[0].stride = 512;
	c.index = 3;
	CHECK(us_plan(s, 2, &c, 0, buf, sizeof(buf), &r) == 0 && r.off == 100 + 3 * 512);
}

int main(void)
{
	full_read_advances();
	short_read_continue();
	short_read_retry();
	zero_read_eof();
	errors();
	chain_end();
	plan_bounds();
	if (failures) {
		fprintf(stderr, "chain_rules: %d check(s) failed\n", failures);
		return 1;
	}
	printf("chain_rules: ok\n");
	return 0;
}
