/* SPDX-License-Identifier: MIT */
/*
 * The native runtime of a C policy (strategy `user`, `--policy FILE.c`):
 * built per policy into a shared object (scripts/build-policy.sh) that the
 * engine loads (native/engine/policy_user.cc). It gives the policy the same
 * API as the BPF runtime and the same bookkeeping (bpf/policy_runtime.h), so
 * both strategies take identical decisions; the engine moves the actions.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tracer.h"
#include "uringscope.h"

static uint8_t *g_bufs;
static uint32_t g_slot_bytes;
static uint32_t g_data_bytes;
static uint64_t g_stats[16];

/* The API's hooks (bpf/uringscope.h). */
static inline const u8 *us_rt_buf(u32 slot)
{
	return g_bufs ? g_bufs + (size_t)slot * g_slot_bytes : 0;
}

static inline u32 us_rt_buf_bytes(void)
{
	return g_data_bytes;
}

static inline u64 *us_rt_stats(void)
{
	return (u64 *)g_stats;
}

#include US_POLICY_SOURCE
#include "policy_runtime.h"

#define US_EXPORT __attribute__((visibility("default")))

_Static_assert(sizeof(g_stats) / sizeof(g_stats[0]) == US_MAX_STATS, "stats array size");

/* Where the chain buffers are: slot i's at bufs + i * slot_bytes, data_bytes long. */
US_EXPORT void us_native_init(uint8_t *bufs, uint32_t slot_bytes, uint32_t data_bytes)
{
	g_bufs = bufs;
	g_slot_bytes = slot_bytes;
	g_data_bytes = data_bytes;
}

US_EXPORT uint32_t us_native_ctx_size(void)
{
	return sizeof(struct us_ctx);
}

US_EXPORT void us_native_begin(struct us_ctx *c, uint32_t slot, uint32_t chain)
{
	us_rt_begin(c, slot, chain);
}

US_EXPORT void us_native_complete(struct us_ctx *c, uint32_t tag, int32_t res, uint32_t cflags)
{
	us_rt_complete(c, tag, res, cflags);
}

US_EXPORT void us_native_issued(struct us_ctx *c, const struct us_action *a)
{
	us_rt_issued(c, a);
}

US_EXPORT bool us_native_over(struct us_ctx *c)
{
	return us_rt_over(c);
}

US_EXPORT const uint64_t *us_native_stats(void)
{
	return g_stats;
}
