// The bpf strategy's run (BpfRun), shared by the files that implement it,
// one job each:
// - bpf_ring_setup.cc: the policy object loaded with the ring layout as
//   constants, and the rings built on its mmapable map;
// - bpf_map_path.cc: the map-backed SQPOLL path's loop;
// - bpf_ops_path.cc: the bpf-ops path's threads (Linux 7.1+);
// - bpf_strategy.cc: the entry points (bpf_strategy.h) and what both paths
//   do while they run: SQEs posted from userspace, the stop, stall and
//   progress checks each turn (Watch), the counters read back.
// The rest of the engine sees bpf_strategy.h only.
#pragma once

#include <bpf/libbpf.h>
#include <linux/io_uring.h>
#include <pthread.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include "bpf_object.h"
#include "engine.h"

extern "C" {
#include "policy.h"
#define US_API_TYPES_ONLY
#include "uringscope.h"
}

// io_uring_enter with nothing to submit (liburing 2.3 cannot drive a
// NO_MMAP ring: the raw syscall).
inline int ringEnter(int fd, uint32_t flags) {
  return int(syscall(__NR_io_uring_enter, fd, 0, 0, flags, nullptr, 0));
}

class BpfRun {
 public:
  BpfRun(const EnginePlan &p, const std::vector<int> &fds, EngineStats *st) : plan_(p), fds_(fds), st_(st), ops_(p.bpfOps) {}
  ~BpfRun();
  std::string setup();
  std::string prepare();  // probe the layout, open, configure and load (verify) the object
  void run(std::atomic<bool> &stop, ProgressSink *sink);  // runMap or runOps
  void runMap(std::atomic<bool> &stop, ProgressSink *sink);
  void runOps(std::atomic<bool> &stop, ProgressSink *sink);
  void enterLoop(uint32_t r, const std::atomic<bool> &giveUp);
  bool opsRunOver() const;

 private:
  template <class Fill>
  bool postUser(uint32_t r, Fill fill);
  uint32_t postNops(uint64_t step, uint32_t n, uint32_t firstSlot);
  void postCancel();
  uint32_t ringOf(uint32_t slot) const { return nrings_ > 1 ? slot % nrings_ : 0; }
  uint8_t *ringMem(uint32_t r) const { return mem_ + size_t(r) * lay_.mem_bytes; }
  void wakeIfAsleep(bool force);
  void wake();  // makes the ring look at its SQ now: SQPOLL wakeup, or the loop step's io_uring_enter interrupted
  void watch(std::atomic<bool> &stop, const std::atomic<bool> &ended, std::atomic<bool> &giveUp, uint64_t t0, uint64_t kicks);
  void collect();

  // What both paths' loops look at each turn (the map path's run loop, the
  // ops path's watcher): a stop asked, progress made, the next progress line.
  struct Watch {
    explicit Watch(uint64_t t0, uint32_t progressMs) : t0(t0), stalledSince(t0), nextProgress(t0 + uint64_t(progressMs) * 1000000ull) {}
    uint64_t t0, lastIssued = 0, stalledSince, nextProgress;
    bool stopping = false;
  };
  enum class Stall { kNo, kParked, kGiveUp };
  uint64_t kickCount() const;
  void checkStop(Watch &w, const std::atomic<bool> &stop, uint64_t now);
  Stall checkStall(Watch &w, uint64_t now);
  void reportProgress(Watch &w, uint64_t now);

  // The runtime's globals in the loaded object (shared memory with the programs).
  struct Shared {
    uint64_t *ringCtx, *bufsUaddr, *pathsUaddr, *totalChains, *stepBudget;
    uint32_t *sqLock, *active, *parked, *stop;
    uint64_t *counters, *opIssued, *opCompleted, *userCompleted, *cancelled, *latHist, *latMax;
    uint64_t *stats;       // C policies only: the US_STATS counters
    uint64_t *runStartNs;  // C policies only: us_elapsed()'s origin
    // The ops objects only (bpf/runtime/ops.bpf.h).
    uint64_t *kickTotal, *opsSteps, *opsStops, *opsErrors, *opsSubmitted;
    uint64_t *opsFirstError;
    uint32_t *opsTid;
  };
  std::string configure();
  std::string bindShared();
  std::string fillInput();

  const EnginePlan &plan_;
  const std::vector<int> &fds_;
  EngineStats *st_;
  ProgressSink *sink_ = nullptr;
  BpfObject obj_;
  Shared sh_{};
  std::vector<std::string> statNames_;
  us_ring_layout lay_{};
  uint32_t nrings_ = 1;
  uint8_t *mem_ = nullptr;  // every ring's memory, one mem_bytes element each
  uint8_t *bufs_ = nullptr;
  size_t bufsBytes_ = 0;
  std::vector<int> ringFds_;
  ring_buffer *rb_ = nullptr;
  bool wakeAsked_ = false;
  uint32_t kicks_ = 0;
  std::vector<char> pathBuf_;  // target paths for openat, alive for the whole run
  uint64_t userNops_ = 0;     // kick and unpark NOPs posted from here
  uint64_t userCancels_ = 0;  // cancel-all requests posted from here
  bool ops_ = false;          // the bpf-ops path
  std::vector<int> opsLinks_;        // the attachments of the policy's io_uring_bpf_ops, one per ring
  std::vector<pthread_t> loopers_;   // the thread in io_uring_enter on each ring (ops)
  std::atomic<uint64_t> opsEnters_{0};
  std::atomic<bool> ringFailed_{false};  // a ring's thread could not enable or enter its ring
};
