// The bpf strategy's ops path (BpfRun, bpf_run.h; Linux 7.1+,
// bpf/runtime/ops.bpf.h): the policy runs in the ring's own io_uring_bpf_ops
// loop step. Every io_uring_enter on a ring with ops attached runs the BPF
// loop instead of the normal submit/wait, until the step returns
// IOU_LOOP_STOP (the enter then returns 0); the ring is DEFER_TASKRUN |
// SINGLE_ISSUER. A watcher thread does what the map path's loop does, and
// interrupts that io_uring_enter (SIGUSR1, EINTR) when it has queued
// something the loop must see: the rest of the kicks, an unpark, the stop.
// With --rings N, each ring has its own thread in io_uring_enter and its own
// attachment (SINGLE_ISSUER: a ring's thread enables it, so it is the ring's
// one issuer).
#include <bpf/libbpf.h>
#include <linux/io_uring.h>
#include <pthread.h>
#include <signal.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <thread>
#include <vector>

#include "bpf_run.h"
#include "run_clock.h"

#ifndef IORING_REGISTER_ENABLE_RINGS
#define IORING_REGISTER_ENABLE_RINGS 12
#endif

namespace {

void onPoke(int) {}  // SIGUSR1 only interrupts the loop step's io_uring_enter

}  // namespace

// The ops path: this thread sits in io_uring_enter on the first ring (and one
// more thread per further ring) while the policy's loop step runs the chains;
// watch() (another thread) does the rest.
void BpfRun::runOps(std::atomic<bool> &stop, ProgressSink *sink) {
  sink_ = sink;
  RunClock clock;
  uint64_t t0 = clock.startNs();
  uint64_t kicks = kickCount();
  if (sh_.runStartNs) *sh_.runStartNs = t0;
  *sh_.kickTotal = kicks;
  postNops(US_TAG_KICK, uint32_t(kicks), 0);  // each ring's first loop step submits its kicks; the watcher posts any that did not fit

  // No SA_RESTART: the poke must end the wait.
  struct sigaction sa {};
  sa.sa_handler = onPoke;
  sigaction(SIGUSR1, &sa, nullptr);
  std::atomic<bool> ended{false}, giveUp{false};
  loopers_.assign(nrings_, pthread_self());
  // The other threads take no signal but the poke: SIGINT/SIGTERM must land
  // here, in the first ring's io_uring_enter.
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_BLOCK, &all, &old);
  std::vector<std::thread> more;
  for (uint32_t r = 1; r < nrings_; r++) {
    more.emplace_back([this, r, &giveUp] {
      sigset_t poke;
      sigemptyset(&poke);
      sigaddset(&poke, SIGUSR1);
      pthread_sigmask(SIG_UNBLOCK, &poke, nullptr);
      enterLoop(r, giveUp);
    });
    loopers_[r] = more.back().native_handle();
  }
  std::thread watcher([&] { watch(stop, ended, giveUp, t0, kicks); });
  pthread_sigmask(SIG_SETMASK, &old, nullptr);

  enterLoop(0, giveUp);
  for (std::thread &t : more) t.join();  // the watcher pokes rings still asleep once the run is over
  ended.store(true);
  watcher.join();
  st_->enterCalls += opsEnters_.load();
  ring_buffer__consume(rb_);  // the last emits
  if (sh_.counters[US_PC_BUDGET_STOP]) st_->stopReason = "budget";
  if (*sh_.opsErrors) {
    st_->stopReason = "error";
    if (!st_->firstError) st_->firstError = -int32_t(*sh_.opsFirstError);
  }
  clock.stop(st_);
  collect();
}

// One ring's thread: enables its ring if it started disabled (it is then the
// ring's single issuer), says which ring it enters, and stays in
// io_uring_enter until the loop step returns IOU_LOOP_STOP.
void BpfRun::enterLoop(uint32_t r, const std::atomic<bool> &giveUp) {
  int fd = ringFds_[r];
  // A thread that did not create the ring has no io_uring task context until
  // it registers or submits, and 7.2's bpf_io_uring_submit_sqes does not make
  // one (io_submit_sqes then dereferences NULL: a kernel oops, seen in the
  // lab on 7.2.13). Registering the ring fd makes it before the first step.
  io_uring_rsrc_update reg{};
  reg.offset = UINT32_MAX;  // any free slot
  reg.data = uint64_t(fd);
  if (r > 0 && (syscall(__NR_io_uring_register, fd, IORING_REGISTER_ENABLE_RINGS, nullptr, 0) < 0 ||
                syscall(__NR_io_uring_register, fd, IORING_REGISTER_RING_FDS, &reg, 1) < 0)) {
    st_->stopReason = "error";
    if (!st_->firstError) st_->firstError = -errno;
    ringFailed_.store(true);
    return;
  }
  __atomic_store_n(&sh_.opsTid[r], uint32_t(gettid()), __ATOMIC_RELEASE);
  for (;;) {
    int n = ringEnter(fd, IORING_ENTER_GETEVENTS);
    opsEnters_++;
    if (n >= 0) break;  // the loop step returned IOU_LOOP_STOP
    if (errno != EINTR) {
      st_->stopReason = "error";
      if (!st_->firstError) st_->firstError = -errno;
      ringFailed_.store(true);
      break;
    }
    if (giveUp.load()) break;
    // A signal: SIGINT/SIGTERM set `stop` (the watcher cancels), or the watcher's poke.
  }
}

// What the map-backed path's loop does, beside the ops loop: emits and
// progress, the kicks that did not fit, the stop (signal, duration, stall).
void BpfRun::watch(std::atomic<bool> &stop, const std::atomic<bool> &ended, std::atomic<bool> &giveUp, uint64_t t0,
                   uint64_t kicks) {
  Watch w(t0, plan_.progressMs);
  while (!ended.load()) {
    ring_buffer__poll(rb_, 100);
    ring_buffer__consume(rb_);
    uint64_t now = clockNs(CLOCK_MONOTONIC);
    // Poked until every ring's thread is out: a poke that lands just before
    // a thread enters is lost on it.
    if (giveUp.load()) {
      wake();
      continue;
    }
    // A ring the kernel refused (a submission, or the ring itself): the
    // others cannot finish the run's kicks, so the run ends here.
    if (*sh_.opsErrors || ringFailed_.load()) {
      giveUp.store(true);
      continue;
    }
    // The ring whose loop step saw the run end has stopped; the others sleep until poked.
    if (nrings_ > 1 && opsRunOver()) wake();
    if (kicks_ < kicks && !w.stopping && postNops(US_TAG_KICK, uint32_t(kicks - kicks_), kicks_)) wake();
    checkStop(w, stop, now);
    Stall stall = checkStall(w, now);
    if (stall == Stall::kGiveUp) {
      giveUp.store(true);
      continue;
    }
    if (stall == Stall::kParked && postNops(US_TAG_UNPARK, 1, 0)) wake();  // a completion to run parked steps from
    reportProgress(w, now);
  }
}

// ops_finished() in bpf/runtime/ops.bpf.h, read from here.
bool BpfRun::opsRunOver() const {
  uint64_t total = __atomic_load_n(sh_.kickTotal, __ATOMIC_ACQUIRE);
  return total && __atomic_load_n(&sh_.userCompleted[0], __ATOMIC_ACQUIRE) >= total &&
         __atomic_load_n(sh_.active, __ATOMIC_ACQUIRE) == 0;
}
