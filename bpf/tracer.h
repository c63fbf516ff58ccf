/* SPDX-License-Identifier: MIT */
/*
 * Types shared by bpf/tracer.bpf.c (kernel side) and native/tracer_session.cc (the
 * addon). The TS side mirrors the event record layout in tracers/layout.ts;
 * US_EVENT_SIZE and the field offsets there must follow this file.
 */
#ifndef URINGSCOPE_TRACER_H
#define URINGSCOPE_TRACER_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
typedef __u8 u8;
typedef __u16 u16;
typedef __u32 u32;
typedef __s32 s32;
typedef __u64 u64;
#endif

#define US_MAX_OPS 64          /* io_uring opcodes are < 64 on every kernel we know */
#define US_COMM_LEN 16

/*
 * Per-target aggregation (`serve`): op_stats and counters get a target
 * dimension, keyed by a small "stat slot" per process (tgid) instead of the
 * tgid itself, so the hot path stays an inlined array lookup. Slot 0 is the
 * shared slot: everything when the dimension is off (trace, run, top: one
 * slot, exactly as before), and targets that found no free slot when it is
 * on. US_STAT_SLOTS_MAX bounds the slot table; the loader picks how many are
 * used (stat_slots, = --max-targets + 1).
 */
#define US_STAT_SLOTS_MAX 256

/*
 * Latency histogram: 4 linear sub-buckets per power of two ("log2 / 4"), so a
 * bucket is at most 25% wide. Values below 4 ns get one bucket each; 160
 * buckets reach 2^40 ns (~18 minutes), larger values land in the last one.
 */
#define US_HIST_SUB_BITS 2
#define US_HIST_BUCKETS 160

/*
 * Global counters, one per-CPU array slot each (summed by the addon). An
 * X-macro so the enum and the names the addon exports cannot drift apart:
 * X(enum suffix, name in snapshots, meaning).
 */
#define US_COUNTERS(X)                                                                       \
	X(FAIL_LINK, failLink)           /* io_uring_fail_link: a link broke, rest cancelled */ \
	X(REQ_FAILED, reqFailed)         /* io_uring_req_failed (may precede submit_req) */     \
	X(CQE_OVERFLOW, cqOverflows)     /* io_uring_cqe_overflow */                            \
	X(ASYNC_PUNT, asyncPunts)        /* io_uring_queue_async_work: handed to io-wq */       \
	X(POLL_ARM, pollArms)            /* io_uring_poll_arm */                                \
	X(TASK_ADD, taskAdds)            /* io_uring_task_add */                                \
	X(TASK_WORK_RUN, taskWorkRuns)   /* io_uring_task_work_run */                           \
	X(LOCAL_WORK_RUN, localWorkRuns) /* io_uring_local_work_run (DEFER_TASKRUN rings) */    \
	X(ENTER_CALLS, enterCalls)       /* io_uring_enter syscalls by target threads */        \
	X(ENTER_TO_SUBMIT, enterToSubmit) /* sum of their to_submit argument */                 \
	X(ENTER_NS, enterNs)             /* time spent inside io_uring_enter */                 \
	X(EVENT_DROPS, eventDrops)       /* records lost: event ring buffer full */             \
	X(EVENTS, eventsWritten)         /* records written to the event ring buffer */        \
	X(STALE_REQS, staleRequests)     /* submitted, never completed (CQE_SKIP_SUCCESS...) */ \
	X(UNTRACKED, untracked)          /* final completions whose submit was not seen */      \
	X(INFLIGHT_EVICTED, evicted)     /* timing lost: another request took its slot */     \
	X(AUX_CQES, auxCqes)             /* completions without a request */                    \
	X(RINGS, rings)                  /* rings (ctx) adopted as targets */                   \
	X(TARGETS_DROPPED, targetsDropped) /* per-target mode: processes left without a slot */ \
	X(TARGETS_MISSED, targetsMissed) /* processes not traced: the targets table was full */ \
	X(THREADS_MISSED, threadsMissed) /* thread events not counted: the threads table was full */ \
	X(OPS_LOOPS, opsLoops)           /* io_run_loop: an io_uring_enter run by bpf-ops (7.1+) */ \
	X(OPS_STOPS, opsStops)           /* ... that ended with IOU_LOOP_STOP (returned 0) */   \
	X(OPS_ERRORS, opsErrors)         /* ... that ended with an error (not -EINTR) */        \
	X(OPS_SQES, opsSqes)             /* SQEs submitted by bpf_io_uring_submit_sqes */ \
	X(WAITS, waits)                  /* io_uring_cqring_wait: an io_uring_enter waits for CQEs */ \
	X(WAIT_NS, waitNs)               /* ... off-CPU time inside those waits */             \
	X(WAITS_EVENTS, waitsEvents)     /* ... ended with io_uring_enter returning >= 0 */     \
	X(WAITS_TIMEOUT, waitsTimeout)   /* ... ended by its timeout (-ETIME) */                \
	X(WAITS_SIGNAL, waitsSignal)     /* ... ended by a signal (-EINTR, -ERESTART*) */       \
	X(WAITS_ERROR, waitsError)       /* ... ended with another error */

#define US_COUNTER_ENUM(e, n) US_C_##e,
enum us_counter { US_COUNTERS(US_COUNTER_ENUM) US_C_COUNT };
#undef US_COUNTER_ENUM

/*
 * The paths a request's issue can take (trace --anatomy), one bit each in
 * us_inflight.path and one count each in us_op_stats.paths: a request that
 * takes several in turn (poll, then block IO on the retry) counts in each.
 * X(enum suffix, name in summaries, meaning).
 */
#define US_PATHS(X)                                                                     \
	X(INLINE, inline) /* the first issue attempt completed it (a result or an error) */ \
	X(POLL, poll)     /* -EAGAIN, then a poll armed: retried when the file is ready */  \
	X(IOWQ, iowq)     /* handed to an io-wq worker (IOSQE_ASYNC, or it would block) */  \
	X(BLOCK, block)   /* an issue attempt queued block IO (a bio) */                    \
	X(QUEUED, queued) /* the first attempt queued it elsewhere, without block IO */

#define US_PATH_ENUM(e, n) US_PATH_##e,
enum us_path { US_PATHS(US_PATH_ENUM) US_PATH_COUNT };
#undef US_PATH_ENUM

/*
 * The phases of a request's latency (trace --anatomy). Each nanosecond from
 * its submit to its final CQE belongs to exactly one phase: the first of this
 * list that is in progress at that instant (a read blocked on the device
 * inside an io-wq worker is in `device`), so a request's phases add up to its
 * latency. X(enum suffix, name in summaries, meaning).
 */
#define US_PHASES(X)                                                                          \
	X(DEVICE, device)      /* a block request it queued is at the device (issue -> complete) */ \
	X(IOWQ_RUN, iowqRun)   /* an io-wq worker is running it (io_wq_submit_work) */             \
	X(IOWQ_WAIT, iowqWait) /* handed to io-wq, no worker has started it yet */                 \
	X(POLL_WAIT, pollWait) /* a poll is armed: waiting for the file to be ready */             \
	X(ISSUE, issue)        /* none of these, before its first issue attempt returned */        \
	X(COMPLETE, complete)  /* none of these, after it: task work, until the CQE is posted */

#define US_PHASE_ENUM(e, n) US_PHASE_##e,
enum us_phase { US_PHASES(US_PHASE_ENUM) US_PHASE_COUNT };
#undef US_PHASE_ENUM

/* A distribution of durations: how many, their sum, the largest, a histogram. */
struct us_dist {
	u64 count;
	u64 sum_ns;
	u64 max_ns;
	u64 hist[US_HIST_BUCKETS];
};

/*
 * Per-opcode phase statistics (trace --anatomy), one per-CPU array slot per
 * opcode: of the final completions whose phases were followed from submit,
 * each phase's distribution over the requests that spent time in it.
 */
struct us_phase_stats {
	u64 requests; /* final completions with phases (their latencies sum to timed_ns) */
	u64 timed_ns;
	struct us_dist phase[US_PHASE_COUNT];
};

/* Per-opcode statistics, one per-CPU array slot per opcode. */
struct us_op_stats {
	u64 submitted;
	u64 completed;  /* every CQE (multishot requests post several) */
	u64 errors;     /* res < 0 and res != -ECANCELED */
	u64 cancelled;  /* res == -ECANCELED */
	u64 lat_count;  /* requests with a measured submit->final completion latency */
	u64 lat_sum_ns;
	u64 lat_max_ns;
	u64 paths[US_PATH_COUNT]; /* final completions by path taken (trace --anatomy) */
	u64 hist[US_HIST_BUCKETS];
};

enum us_thread_kind {
	US_KIND_APP = 0,
	US_KIND_SQPOLL = 1, /* iou-sqp-* */
	US_KIND_IOWQ = 2,   /* iou-wrk-* */
	US_KIND_COUNT
};

/*
 * Per-thread statistics of target threads, keyed by tid. A thread that exits
 * is folded into a "retired" entry so that the table holds live threads only
 * (a traced shell or build forks without end) and no sum goes down: its key
 * is US_RETIRED_TID | kind << 22 | tgid (tgid 0 when per-target mode is
 * off). Real tids are below PID_MAX_LIMIT (2^22), so the keys never meet.
 */
#define US_RETIRED_TID 0x80000000u

struct us_thread {
	u32 tgid;
	u32 kind;
	char comm[US_COMM_LEN];
	u64 voluntary;
	u64 involuntary;
	u64 offcpu_ns;
	u64 oncpu_ns;
	u64 enter_calls;
	u64 enter_ns;
	u64 enter_to_submit; /* sum of io_uring_enter's to_submit argument */
	u64 waits;   /* io_uring_enter calls that waited for CQEs (io_uring_cqring_wait) */
	u64 wait_ns; /* off-CPU time inside those waits */
	u64 last_out_ns; /* internal: when it was switched out (0 = running/unknown) */
	u64 last_in_ns;  /* internal: when it was switched in */
	u64 enter_start_ns; /* internal: io_uring_enter in progress since */
	u64 wait_start_ns;  /* internal: waiting for CQEs since (0 = not waiting) */
	u64 wait_ring;      /* internal: the ring it waits on */
};

/* A request between submit_req and its final completion (slot in a
 * direct-mapped array indexed by a hash of the req pointer). */
struct us_inflight {
	u64 req;         /* 0 = free */
	u64 submit_ns;
	u64 off;
	u32 tid;
	u32 len;
	s32 fd;
	u8 opcode;
	u8 path;         /* 1 << US_PATH_* bits (trace --anatomy) */
	u16 sqe_flags;
};

enum us_event_type {
	US_EV_COMPLETE = 0, /* final completion of a request */
	US_EV_MORE = 1,     /* a multishot completion with IORING_CQE_F_MORE */
};

/* One per-request record on the event ring buffer. Fixed size: 80 bytes. */
struct us_event {
	u64 submit_ns;   /* 0 when the submit was not seen */
	u64 complete_ns;
	u64 ctx;
	u64 req;
	u64 user_data;
	u64 off;
	u32 tgid;
	u32 submit_tid;
	u32 complete_tid;
	u32 len;
	s32 res;
	s32 fd;
	u32 cflags;
	u8 opcode;
	u8 type;
	u16 sqe_flags;
};
#define US_EVENT_SIZE 80

/*
 * An io_uring_bpf_ops program (Linux 7.1+) seen running the loop of a traced
 * ring, keyed by its program id. The program's own run statistics (the
 * kernel's bpf_prog_stats summed over CPUs, counted while BPF_ENABLE_STATS is
 * held) are read when the first loop seen starts (first_*) and whenever a
 * loop ends (last_*): its loop steps while traced are last_cnt - first_cnt,
 * still readable once the program and its process are gone.
 */
#define US_OPS_PROGS_MAX 1024
#define US_PROG_NAME_LEN 16 /* BPF_OBJ_NAME_LEN */

struct us_ops_prog {
	u32 tgid; /* the process whose ring ran it first */
	u32 pad;
	char name[US_PROG_NAME_LEN];
	u64 first_cnt;
	u64 first_ns;
	u64 last_cnt;
	u64 last_ns;
};

#endif /* URINGSCOPE_TRACER_H */
