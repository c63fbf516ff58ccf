// When a userspace-driven run (link_user_loop.cc, policy_user.cc) has waited
// too long for a completion. Those loops block in io_uring_enter until a CQE
// comes; a request the kernel never completes would block them forever,
// silently. The rule is the bpf strategy's (bpf_strategy.cc checkStall):
// nothing completed for 10 s while chains are in flight is a stall, and the
// cancel that follows gets 2 s more before the run gives up on what is still
// in the kernel.
#pragma once

#include <algorithm>
#include <cstdint>

#include "engine.h"

class StallWatch {
 public:
  static constexpr uint64_t kQuietNs = 10000000000ull;
  static constexpr uint64_t kGraceNs = 2000000000ull;

  // How long the loop may wait from `now`, given the CQEs reaped so far; 0
  // when the run has waited its limit (the quiet 10 s, or after a stall the
  // 2 s grace). Called before each blocking wait only, so a busy run reads
  // the clock no more than it did.
  uint64_t left(uint64_t reaped, uint64_t now) {
    if (reaped != reaped_ || !since_) {
      reaped_ = reaped;
      since_ = now;
    }
    uint64_t until = since_ + (stalled_ ? kGraceNs : kQuietNs);
    if (quietUntil_) until = std::max(until, quietUntil_ + kQuietNs);
    return until > now ? until - now : 0;
  }
  // Nothing in flight (a paced run between chains): the quiet starts again
  // at the next wait.
  void idle() { since_ = 0; }
  // A request that completes only after `when` (a TIMEOUT step): no stall before it.
  void expectQuietUntil(uint64_t when) { quietUntil_ = std::max(quietUntil_, when); }
  // The stall is reported: what is left gets the grace period.
  void stalled(uint64_t now) {
    stalled_ = true;
    since_ = now;
    quietUntil_ = 0;
  }
  bool isStalled() const { return stalled_; }
  // Since when nothing has completed (CLOCK_MONOTONIC ns).
  uint64_t quietSince() const { return since_; }

  // Reports the stall in `st` (EngineStats::stall: how long it has been
  // quiet, the requests still in the kernel, the chains waiting on them and
  // the oldest of those; `chainOf(slot)` is a slot's chain index), ends the
  // run as "stalled" and starts the grace period. The caller cancels.
  template <class Slots, class ChainOf>
  void report(EngineStats *st, uint64_t now, uint64_t t0, const Slots &slots, ChainOf chainOf) {
    StallDetail &d = st->stall;
    d.set = true;
    d.quietSinceNs = since_ - t0;
    d.quietForNs = now - since_;
    for (int op = 0; op <= US_OP_COUNT; op++) d.inFlight[op] = st->submitted[op] - st->completed[op];
    bool first = true;
    for (const auto &s : slots) {
      if (!s.active) continue;
      d.chains++;
      if (first || s.startNs - t0 < d.oldestStartNs) {
        d.oldestChain = chainOf(s);
        d.oldestStartNs = s.startNs - t0;
        first = false;
      }
    }
    st->stopReason = "stalled";
    stalled(now);
  }

 private:
  uint64_t reaped_ = 0;
  uint64_t since_ = 0;
  uint64_t quietUntil_ = 0;
  bool stalled_ = false;
};
