// Strategy `bpf`: the chain policy runs inside the kernel: the declarative
// interpreter (bpf/policies/chain.bpf.c), or a C policy compiled with its
// runtime (bpf/runtime/policy.bpf.c, --policy). The rings are built on the
// policy's mmapable map (bpf_ring_setup.cc) and every slot is kicked once;
// one of two paths drives them from there (bpf_run.h):
// - map-backed SQPOLL (bpf_map_path.cc): the policy runs at each completion
//   (a tracepoint) and an SQPOLL thread issues what it queued;
// - ops (bpf_ops_path.cc, Linux 7.1+): the policy runs in the ring's own
//   bpf-ops loop step inside one io_uring_enter.
// This file is the entry point (bpf_strategy.h) and what both paths do while
// they run: SQEs posted from userspace under the producer lock shared with
// BPF, the wake-up, the stop, stall and progress checks each turn, and the
// counters read back from the policy's globals.
#include <linux/io_uring.h>
#include <pthread.h>
#include <signal.h>
#include <time.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <string>
#include <vector>

#include "bpf_run.h"
#include "bpf_strategy.h"

// Writes one SQE into ring r's SQ from userspace, under the producer lock
// shared with BPF. False when that SQ is full (or the lock never frees).
template <class Fill>
bool BpfRun::postUser(uint32_t r, Fill fill) {
  uint32_t *lock = &sh_.sqLock[r];
  uint32_t expected = 0;
  for (int spin = 0; !__atomic_compare_exchange_n(lock, &expected, 1u, false, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED); spin++) {
    expected = 0;
    if (spin > 1000000) return false;
  }
  uint8_t *mem = ringMem(r);
  auto *head = reinterpret_cast<volatile uint32_t *>(mem + lay_.sq_head);
  auto *tail = reinterpret_cast<volatile uint32_t *>(mem + lay_.sq_tail);
  uint32_t t = *tail;
  bool room = t - *head < lay_.sq_entries;
  if (room) {
    auto *sqe = reinterpret_cast<io_uring_sqe *>(mem + lay_.sqes_base + (t & (lay_.sq_entries - 1)) * 64);
    memset(sqe, 0, 64);
    fill(sqe);
    __atomic_store_n(tail, t + 1, __ATOMIC_RELEASE);
  }
  __atomic_store_n(lock, 0u, __ATOMIC_RELEASE);
  return room;
}

// NOPs (kicks, unparks) for slots firstSlot.., each on its slot's ring; stops
// at the first that finds its SQ full, so kicks go out in slot order.
uint32_t BpfRun::postNops(uint64_t step, uint32_t n, uint32_t firstSlot) {
  uint32_t k = 0;
  for (; k < n; k++) {
    uint32_t slot = firstSlot + k;
    bool ok = postUser(ringOf(slot), [&](io_uring_sqe *sqe) {
      sqe->opcode = IORING_OP_NOP;
      sqe->user_data = US_UD(slot, step);
    });
    if (!ok) break;
  }
  userNops_ += k;
  if (step == US_TAG_KICK) kicks_ += k;
  return k;
}

// Cancels everything in flight on every ring (stop).
void BpfRun::postCancel() {
  for (uint32_t r = 0; r < nrings_; r++) {
    while (!postUser(r, [](io_uring_sqe *sqe) {
      sqe->opcode = IORING_OP_ASYNC_CANCEL;
      sqe->cancel_flags = IORING_ASYNC_CANCEL_ANY;
      sqe->user_data = US_UD(0, US_TAG_STOP);
    }))
      if (ops_) wake();  // a full SQ drains: its SQPOLL thread is woken below, the loop step here
    userCancels_++;
  }
  wake();
}

void BpfRun::wake() {
  if (ops_) {
    for (pthread_t t : loopers_) pthread_kill(t, SIGUSR1);  // io_uring_enter returns EINTR; the loop step runs again on re-entry
  } else {
    wakeIfAsleep(true);
  }
}

uint64_t BpfRun::kickCount() const {
  return plan_.durationNs ? plan_.concurrency : std::min<uint64_t>(plan_.concurrency, plan_.chains);
}

// A signal cancels what is in flight; the duration lets the chains in flight
// finish (under ops, their completions still run the loop step).
void BpfRun::checkStop(Watch &w, const std::atomic<bool> &stop, uint64_t now) {
  if (w.stopping) return;
  if (stop.load()) {
    w.stopping = true;
    st_->stopReason = "signal";
    __atomic_store_n(sh_.stop, 1u, __ATOMIC_RELEASE);
    postCancel();
  } else if (plan_.durationNs && now - w.t0 >= plan_.durationNs) {
    w.stopping = true;
    st_->stopReason = "duration";
    __atomic_store_n(sh_.stop, 1u, __ATOMIC_RELEASE);
  }
}

// Progress is steps issued, or chains ending (a policy's chains can fail
// before issuing anything). Without it for 100 ms, parked steps need a
// completion to run from (kParked: the caller posts one); for 10 s, what is in
// flight is cancelled; if even that does not drain the slots in 2 s more (a
// slot whose chain issued nothing has nothing to cancel), the run gives up
// rather than hang (kGiveUp). The 10 s are what the docs promise.
BpfRun::Stall BpfRun::checkStall(Watch &w, uint64_t now) {
  uint64_t issued = __atomic_load_n(&sh_.counters[US_PC_ISSUED], __ATOMIC_RELAXED) +
                    __atomic_load_n(&sh_.counters[US_PC_CHAINS], __ATOMIC_RELAXED) +
                    __atomic_load_n(&sh_.counters[US_PC_CHAINS_FAILED], __ATOMIC_RELAXED);
  if (issued != w.lastIssued) {
    w.lastIssued = issued;
    w.stalledSince = now;
    return Stall::kNo;
  }
  if (*sh_.parked && now - w.stalledSince > 100000000ull) return Stall::kParked;
  if (st_->stopReason == "stalled") return now - w.stalledSince > 2000000000ull ? Stall::kGiveUp : Stall::kNo;
  if (now - w.stalledSince > 10000000000ull) {
    st_->stopReason = "stalled";
    __atomic_store_n(sh_.stop, 1u, __ATOMIC_RELEASE);
    postCancel();
    w.stalledSince = now;
  }
  return Stall::kNo;
}

void BpfRun::reportProgress(Watch &w, uint64_t now) {
  if (!sink_ || !plan_.progressMs || now < w.nextProgress) return;
  collect();
  sink_->progress(*st_);
  w.nextProgress += uint64_t(plan_.progressMs) * 1000000ull;
}

void BpfRun::run(std::atomic<bool> &stop, ProgressSink *sink) {
  if (ops_) return runOps(stop, sink);
  runMap(stop, sink);
}

void BpfRun::collect() {
  const uint64_t *c = sh_.counters;
  st_->chains = c[US_PC_CHAINS];
  st_->chainsFailed = c[US_PC_CHAINS_FAILED] - c[US_PC_CHAINS_STOPPED];
  st_->chainsInterrupted = c[US_PC_CHAINS_STOPPED];
  st_->steps = c[US_PC_STEPS];
  st_->retries = c[US_PC_RETRIES];
  st_->bytes = c[US_PC_BYTES];
  st_->readChecksum = c[US_PC_CHECKSUM];
  st_->firstError = -int32_t(c[US_PC_FIRST_ERROR]);
  st_->cancelled = *sh_.cancelled;
  for (int op = 0; op < US_OP_COUNT; op++) {
    st_->submitted[op] = sh_.opIssued[op];
    st_->completed[op] = sh_.opCompleted[op];
  }
  // What userspace posted: kick/unpark NOPs are NOPs to the kernel.
  st_->submitted[US_OP_NOP] += userNops_;
  st_->completed[US_OP_NOP] += sh_.userCompleted[0] + sh_.userCompleted[2];
  st_->submitted[US_OP_COUNT] = userCancels_ + sh_.opIssued[US_OP_COUNT];
  st_->completed[US_OP_COUNT] = sh_.userCompleted[1] + sh_.opCompleted[US_OP_COUNT];
  for (int b = 0; b < US_HIST_BUCKETS; b++) st_->latHist[b] = sh_.latHist[b];
  st_->latMaxNs = *sh_.latMax;
  if (ops_) {
    st_->policy["opsLoopSteps"] = *sh_.opsSteps;
    st_->policy["opsStops"] = *sh_.opsStops;
    st_->policy["opsErrors"] = *sh_.opsErrors;
    st_->policy["opsSubmitted"] = *sh_.opsSubmitted;
  }
#define US_POLICY_OUT(e, n) st_->policy[#n] = c[US_PC_##e];
  US_POLICY_COUNTERS(US_POLICY_OUT)
#undef US_POLICY_OUT
  for (size_t i = 0; sh_.stats && i < statNames_.size() && i < US_MAX_STATS; i++) {
    st_->policy["stat." + statNames_[i]] = sh_.stats[i];
    // The replay policy (bpf/replay/policy.c) counts what the replay summary reports.
    if (plan_.isReplay() && statNames_[i] == "issued") st_->replayIssued = sh_.stats[i];
    if (plan_.isReplay() && statNames_[i] == "results_differ") st_->replayDiffer = sh_.stats[i];
  }
}


std::string verifyPolicy(const EnginePlan &plan, const std::vector<int> &fds) {
  EngineStats unused;
  BpfRun r(plan, fds, &unused);
  return r.prepare();
}

std::string runBpfStrategy(const EnginePlan &plan, const std::vector<int> &fds, std::atomic<bool> &stop,
                           ProgressSink *sink, EngineStats *out) {
  BpfRun r(plan, fds, out);
  std::string e = r.setup();
  if (!e.empty()) return e;
  r.run(stop, sink);
  return "";
}
