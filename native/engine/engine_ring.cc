#include "engine_ring.h"

#include <cstring>

extern "C" {
#include "policy.h" /* US_UD_CANCEL_ALL */
}

EngineRing::~EngineRing() {
  if (up_) io_uring_queue_exit(&ring_);
}

std::string EngineRing::init(const RingOptions &o, uint32_t entries, uint32_t cqEntries) {
  io_uring_params p;
  memset(&p, 0, sizeof p);
  if (o.sqpoll) {
    p.flags |= IORING_SETUP_SQPOLL;
    p.sq_thread_idle = o.sqThreadIdleMs;
  }
  if (o.deferTaskrun) p.flags |= IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN;
  p.flags |= IORING_SETUP_CQSIZE;
  p.cq_entries = cqEntries;
  int r = io_uring_queue_init_params(entries, &ring_, &p);
  if (r < 0) return std::string("io_uring_setup failed: ") + strerror(-r);
  up_ = true;
  sqpoll_ = o.sqpoll;
  return "";
}

io_uring_sqe *EngineRing::sqe() {
  io_uring_sqe *q = io_uring_get_sqe(&ring_);
  if (!q) {  // SQ full: hand what we have to the kernel and take a fresh one
    submit(false);
    q = io_uring_get_sqe(&ring_);
  }
  if (q) pending_++;
  return q;
}

void EngineRing::cancelAll() {
  io_uring_sqe *q = sqe();
  if (!q) return;
  io_uring_prep_cancel64(q, 0, IORING_ASYNC_CANCEL_ANY);
  io_uring_sqe_set_data64(q, US_UD_CANCEL_ALL);
  st_->submitted[US_OP_COUNT]++;
}

void EngineRing::submit(bool wait) {
  // Count the io_uring_enter calls liburing will make, by its own rules.
  bool needWake = sqpoll_ && (IO_URING_READ_ONCE(*ring_.sq.kflags) & IORING_SQ_NEED_WAKEUP);
  if (wait) {
    io_uring_submit_and_wait(&ring_, 1);  // -EINTR (signal) and -EBUSY are retried by the caller's loop
    st_->enterCalls++;
  } else {
    if (pending_ == 0) return;
    io_uring_submit(&ring_);
    if (!sqpoll_ || needWake) st_->enterCalls++;
  }
  pending_ = 0;
}

void EngineRing::waitFor(uint64_t ns) {
  submit(false);
  __kernel_timespec kts{int64_t(ns / 1000000000ull), int64_t(ns % 1000000000ull)};
  io_uring_cqe *c;
  io_uring_wait_cqe_timeout(&ring_, &c, &kts);
  st_->enterCalls++;
}

void EngineRing::submitAndWaitFor(uint64_t ns) {
  __kernel_timespec kts{int64_t(ns / 1000000000ull), int64_t(ns % 1000000000ull)};
  io_uring_cqe *c;
  // -ETIME (nothing came), -EINTR (a signal): the caller's loop looks again.
  io_uring_submit_and_wait_timeout(&ring_, &c, 1, &kts, nullptr);
  st_->enterCalls++;
  pending_ = 0;
}
