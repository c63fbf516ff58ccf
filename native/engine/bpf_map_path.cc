// The bpf strategy's map-backed SQPOLL path (BpfRun, bpf_run.h; Linux 6.6+
// for NO_MMAP | NO_SQARRAY): the policy runs at each io_uring_complete (a
// tracepoint program filtered by ctx), writes the next SQE into the ring
// memory and bumps the SQ tail, and the ring's SQPOLL thread issues it, with
// no userspace submission. This thread sleeps on the policy's ring buffer,
// waking only for rare records (SQPOLL asleep, all chains done), a 100 ms
// timer, or a stop request. An SQPOLL thread gone idle sets
// IORING_SQ_NEED_WAKEUP and only userspace can wake it (io_uring_enter with
// IORING_ENTER_SQ_WAKEUP): that is wakeIfAsleep below.
#include <bpf/libbpf.h>
#include <linux/io_uring.h>
#include <time.h>

#include <atomic>

#include "bpf_run.h"
#include "run_clock.h"

void BpfRun::wakeIfAsleep(bool force) {
  if (!force && !wakeAsked_) {
    bool asleep = false;
    for (uint32_t r = 0; r < nrings_ && !asleep; r++)
      asleep = *reinterpret_cast<volatile uint32_t *>(ringMem(r) + lay_.sq_flags) & IORING_SQ_NEED_WAKEUP;
    if (!asleep) return;
  }
  if (ops_) return;  // no SQPOLL thread to wake
  for (uint32_t r = 0; r < nrings_; r++) {
    if (*reinterpret_cast<volatile uint32_t *>(ringMem(r) + lay_.sq_flags) & IORING_SQ_NEED_WAKEUP) {
      ringEnter(ringFds_[r], IORING_ENTER_SQ_WAKEUP);
      st_->enterCalls++;
      st_->policy["wakeups"]++;
    }
  }
  wakeAsked_ = false;
}

void BpfRun::runMap(std::atomic<bool> &stop, ProgressSink *sink) {
  sink_ = sink;
  RunClock clock;
  uint64_t t0 = clock.startNs();
  uint64_t kicks = kickCount();
  if (sh_.runStartNs) *sh_.runStartNs = t0;  // the same clock as bpf_ktime_get_ns()
  postNops(US_TAG_KICK, uint32_t(kicks), 0);
  wakeIfAsleep(false);

  Watch w(t0, plan_.progressMs);
  for (;;) {
    ring_buffer__poll(rb_, 100);
    // Records written without a wake-up (a policy's emits) are read here, at most 100 ms late.
    ring_buffer__consume(rb_);
    uint64_t now = clockNs(CLOCK_MONOTONIC);
    wakeIfAsleep(false);
    // More slots than SQ entries: kick the rest as room frees up.
    if (kicks_ < kicks && !w.stopping) postNops(US_TAG_KICK, uint32_t(kicks - kicks_), kicks_);
    bool kicked = kicks_ == kicks && __atomic_load_n(&sh_.userCompleted[0], __ATOMIC_ACQUIRE) >= kicks_;
    if (kicked && __atomic_load_n(sh_.active, __ATOMIC_ACQUIRE) == 0) break;
    checkStop(w, stop, now);
    Stall stall = checkStall(w, now);
    if (stall == Stall::kGiveUp) break;
    if (stall == Stall::kParked) {
      for (uint32_t r = 0; r < nrings_; r++) postNops(US_TAG_UNPARK, 1, r);  // a completion on each ring to run parked steps from
      wakeIfAsleep(true);
    }
    reportProgress(w, now);
  }
  ring_buffer__consume(rb_);  // the last emits
  if (sh_.counters[US_PC_BUDGET_STOP]) st_->stopReason = "budget";
  clock.stop(st_);
  collect();
}
