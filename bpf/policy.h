/* SPDX-License-Identifier: MIT */
/*
 * The `bpf` strategy: types shared by the in-kernel chain policy
 * (bpf/policies/chain.bpf.c) and the engine that loads it
 * (native/engine/bpf_*.cc, listed in bpf_run.h).
 *
 * The ring's memory (ring header + CQEs, then the SQE array) is a
 * BPF_F_MMAPABLE array map handed to io_uring_setup with IORING_SETUP_NO_MMAP
 * | NO_SQARRAY | SQPOLL; the chain buffers are a second mmapable map. The
 * policy runs on io_uring_complete for our ring: it applies bpf/chain.h to
 * the completion, writes the next SQE into the map and bumps the SQ tail, and
 * the SQPOLL thread issues it. Userspace is not woken per step.
 */
#ifndef URINGSCOPE_POLICY_H
#define URINGSCOPE_POLICY_H

#include "chain.h"

/* SQPOLL rings the bpf strategy can spread its chains over (one SQPOLL thread each). */
#define US_MAX_RINGS 4

/* Ring geometry, learned by a dry-run io_uring_setup before the policy loads (the same for every ring). */
struct us_ring_layout {
	u32 sq_head;     /* offsets into the rings region */
	u32 sq_tail;
	u32 sq_flags;
	u32 cq_head;
	u32 cq_tail;
	u32 cqes;
	u32 sq_entries;
	u32 cq_entries;
	u32 sqes_base;   /* offset of the SQE array in the ring_mem value */
	u32 mem_bytes;   /* rings region + SQE array */
};

/* Policy counters (a .bss array, read by userspace through the skeleton). */
#define US_POLICY_COUNTERS(X)                                                        \
	X(INVOCATIONS, invocations)     /* completions of our ring seen by the policy */ \
	X(ISSUED, stepsIssued)          /* SQEs written by BPF */                       \
	X(STEPS, steps)                 /* successful step completions */               \
	X(CHAINS, chains)               /* chains finished */                           \
	X(CHAINS_FAILED, chainsFailed)                                                  \
	X(CHAINS_STOPPED, chainsInterrupted)                                            \
	X(RETRIES, retries)             /* steps re-issued by onShort/onError retry */  \
	X(BYTES, bytes)                 /* bytes moved by data steps */                 \
	X(SQ_FULL, sqFullParks)         /* a step found the SQ full and was parked */   \
	X(UNPARKED, unparked)           /* parked steps issued later */                 \
	X(LOCK_SPINS, lockSpins)        /* producer lock contention */                  \
	X(NEED_WAKEUP, wakeupRequests)  /* SQPOLL idle when a step was posted */        \
	X(BUDGET_STOP, budgetStops)     /* steps refused: the run's step budget is spent */ \
	X(CHECKSUM, readChecksum)       /* sum over chains of FNV-1a of bytes read */   \
	X(FIRST_ERROR, firstError)      /* -errno of the first failed chain */          \
	X(EMITS, emits)                 /* records a C policy sent with us_emit */      \
	X(EMITS_LOST, emitsLost)        /* ... that found the ring buffer full */       \
	X(CANCELS, policyCancels)       /* cancels a C policy issued */                 \
	X(OVERLAPS, overlaps)           /* policy calls for one chain that overlapped (never expected) */

#define US_PC_ENUM(e, n) US_PC_##e,
enum us_policy_counter { US_POLICY_COUNTERS(US_PC_ENUM) US_PC_COUNT };
#undef US_PC_ENUM

enum us_done_kind {
	US_DONE_CHAIN = 0, /* a chain finished (status in `status`) */
	US_DONE_IDLE = 1,  /* a slot went idle: no chain left to start */
	US_DONE_WAKE = 2,  /* the SQPOLL thread sleeps with work posted: wake it */
	US_DONE_EMIT = 3,  /* a C policy's us_emit(): `status` is its kind, a and b its values */
};

/* A record on the policy's ring buffer. Never one per step. */
struct us_done {
	u32 kind;
	u32 slot;
	u32 chain;
	u32 status;
	u64 latency_ns;
	u64 a;
	u64 b;
};

/* user_data of a policy request: slot << 8 | step. */
#define US_UD(slot, step) (((u64)(slot) << 8) | (step))

/*
 * The step/tag bytes reserved by the runtimes, one home for the BPF side
 * (bpf/runtime/ring.bpf.h, the policies) and the engine (bpf_strategy.cc,
 * policy_user.cc). Steps of a chain or a policy's own tags stay below them.
 */
#define US_TAG_KICK 0xff   /* the NOP userspace posts to start a slot */
#define US_TAG_UNPARK 0xfe /* a NOP userspace posts so parked steps are retried */
#define US_TAG_STOP 0xfd   /* userspace's cancel-all at stop */
#define US_TAG_CANCEL 0xfc /* a cancel a C policy issued (us_cancel, us_drop), in both runtimes */

/* The whole user_data of the engine's own cancel-all at stop (strategies link and user). */
#define US_UD_CANCEL_ALL (~0ULL)

#endif /* URINGSCOPE_POLICY_H */
