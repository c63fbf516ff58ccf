// The liburing ring of the userspace-driven strategies (the declarative
// engine, link_user_loop.cc, and C policies under `user`, policy_user.cc):
// setup from the plan's ring options, SQEs that flush when the SQ is full,
// and every io_uring_enter counted by liburing's own rules
// (EngineStats::enterCalls).
#pragma once

#include <liburing.h>

#include <cstdint>
#include <string>

#include "engine.h"

class EngineRing {
 public:
  explicit EngineRing(EngineStats *st) : st_(st) {}
  EngineRing(const EngineRing &) = delete;
  EngineRing &operator=(const EngineRing &) = delete;
  ~EngineRing();

  // "" or a one-line error.
  std::string init(const RingOptions &o, uint32_t entries, uint32_t cqEntries);
  io_uring *raw() { return &ring_; }

  // An SQE (nullptr only if even a flushed SQ has no room).
  io_uring_sqe *sqe();
  // Queues one request that cancels everything in flight (the stop, or a
  // stall), counted as an ASYNC_CANCEL; its CQE carries US_UD_CANCEL_ALL.
  void cancelAll();
  // Hands pending SQEs to the kernel; with `wait`, also waits for a CQE.
  void submit(bool wait);
  // Submits what is pending and waits for a CQE or `ns` to pass.
  void waitFor(uint64_t ns);
  // The same in one io_uring_enter (IORING_FEAT_EXT_ARG, 5.11+: a submit
  // that also waits with a timeout), for waits that must not last forever.
  void submitAndWaitFor(uint64_t ns);
  // CQEs reaped so far (reap and drain): a count that stops moving is a stall.
  uint64_t reaped() const { return reaped_; }
  bool ready() { return io_uring_cq_ready(&ring_) > 0; }

  // Calls f(cqe) for every CQE ready now.
  template <class F>
  void reap(F f) {
    io_uring_cqe *cqe;
    unsigned head, seen = 0;
    io_uring_for_each_cqe(&ring_, head, cqe) {
      f(cqe);
      seen++;
    }
    io_uring_cq_advance(&ring_, seen);
    reaped_ += seen;
  }

  // Waits for CQEs one at a time, calling f, while more() holds (the end of
  // a run), each wait at most `ns`: a kernel that never answers must not
  // keep the run from reporting.
  template <class M, class F>
  void drain(M more, F f, uint64_t ns) {
    submit(false);
    while (more()) {
      io_uring_cqe *c;
      __kernel_timespec kts{int64_t(ns / 1000000000ull), int64_t(ns % 1000000000ull)};
      if (io_uring_wait_cqe_timeout(&ring_, &c, &kts)) break;
      st_->enterCalls++;
      f(c);
      io_uring_cqe_seen(&ring_, c);
      reaped_++;
    }
  }

 private:
  EngineStats *st_;
  io_uring ring_{};
  bool up_ = false;
  bool sqpoll_ = false;
  uint32_t pending_ = 0;  // SQEs not yet submitted
  uint64_t reaped_ = 0;
};
