/* SPDX-License-Identifier: MIT */
/*
 * The native runtime of a C policy (strategy `user`, `--policy FILE.c`):
 * built per policy into a shared object (scripts/build-policy.sh) that the
 * engine loads (native/engine/policy_user.cc). It gives the policy the same
 * API as the BPF runtime and the same bookkeeping (bpf/policy_runtime.h), so
 * both strategies take identical decisions; the engine moves the actions.
 */
#include <stdbool.h>
#include <time.h>
#include <stddef.h>
#include <stdint.h>

#include "tracer.h"
#include "uringscope.h"

static uint8_t *g_bufs;
static uint32_t g_slot_bytes;
static uint32_t g_data_bytes;
static uint64_t g_stats[16];
static const struct us_input *g_input;      /* per-chain input (replay), or none */
static const uint32_t *g_input_index;       /* per chain: first record, count */
static uint32_t g_input_chains;
static uint64_t g_run_start_ns;

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

static inline const struct us_input *us_rt_input(u32 chain, u32 i)
{
	if (!g_input || chain >= g_input_chains || i >= g_input_index[2 * chain + 1])
		return 0;
	return &g_input[g_input_index[2 * chain] + i];
}

static inline u64 us_rt_elapsed(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts); /* the clock bpf_ktime_get_ns() reads */
	return (u64)ts.tv_sec * 1000000000ull + (u64)ts.tv_nsec - g_run_start_ns;
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

/* Per-chain input: `index` holds (first, count) pairs, one per chain. */
US_EXPORT void us_native_set_input(const void *records, const uint32_t *index, uint32_t chains)
{
	g_input = records;
	g_input_index = index;
	g_input_chains = chains;
}

US_EXPORT void us_native_set_start(uint64_t ns)
{
	g_run_start_ns = ns;
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

/*
 * Division by zero. C leaves x / 0 undefined (x86 traps with SIGFPE) where
 * BPF defines x / 0 = 0 and x % 0 = x, so one policy cannot mean the same
 * under both strategies. scripts/build-policy.sh compiles this runtime with
 * -fsanitize=integer-divide-by-zero, whose check calls the handler below
 * (clang's UBSan ABI: the data starts with the source position) just before
 * the division; the engine's fatal hook then reports that line and exits
 * instead of dying of a signal nobody explains. Without a hook it returns,
 * and the division traps as before.
 */
struct us_ubsan_loc {
	const char *file;
	uint32_t line;
	uint32_t column;
};

static void (*g_fatal)(const char *file, uint32_t line, uint32_t column, const char *what);

US_EXPORT void us_native_on_fatal(void (*fatal)(const char *, uint32_t, uint32_t, const char *))
{
	g_fatal = fatal;
}

void __ubsan_handle_divrem_overflow(struct us_ubsan_loc *loc, void *lhs, void *rhs)
{
	(void)lhs;
	(void)rhs;
	if (g_fatal)
		g_fatal(loc->file, loc->line, loc->column, "divides by zero");
}
