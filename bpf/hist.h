/* SPDX-License-Identifier: MIT */
/*
 * The latency histogram bucket rule, shared by the tracer (BPF) and the
 * engine (native): 2^US_HIST_SUB_BITS linear sub-buckets per power of two.
 * tracers/histogram.ts reads buckets with the same rule. Plain C that the
 * verifier accepts: no loops, no calls.
 */
#ifndef URINGSCOPE_HIST_H
#define URINGSCOPE_HIST_H

#include "tracer.h"

#ifndef __always_inline
#define __always_inline inline __attribute__((always_inline))
#endif

/* floor(log2(v)) for v > 0, branch-light. */
static __always_inline u32 us_log2_u64(u64 v)
{
	u32 r = 0, shift;

	shift = (v > 0xFFFFFFFFULL) << 5; v >>= shift; r |= shift;
	shift = (v > 0xFFFF) << 4; v >>= shift; r |= shift;
	shift = (v > 0xFF) << 3; v >>= shift; r |= shift;
	shift = (v > 0xF) << 2; v >>= shift; r |= shift;
	shift = (v > 0x3) << 1; v >>= shift; r |= shift;
	r |= (v >> 1);
	return r;
}

static __always_inline u32 us_hist_bucket(u64 ns)
{
	u32 l, sub, b;

	if (ns < (1 << US_HIST_SUB_BITS))
		return (u32)ns;
	l = us_log2_u64(ns);
	sub = (ns >> (l - US_HIST_SUB_BITS)) & ((1 << US_HIST_SUB_BITS) - 1);
	b = ((l - US_HIST_SUB_BITS + 1) << US_HIST_SUB_BITS) + sub;
	return b < US_HIST_BUCKETS ? b : US_HIST_BUCKETS - 1;
}

#endif /* URINGSCOPE_HIST_H */
