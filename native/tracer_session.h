// The tracer session: loads bpf/tracer.bpf.c through its skeleton, keeps the
// target set, sums the per-CPU aggregates into snapshots and moves event
// records from the BPF ring buffer into batches on its own thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

extern "C" {
#include "tracer.h"  // bpf/tracer.h: shared with the BPF side
}
#include "ops_programs.h"
#include "tracer_hooks.h"

struct tracer_bpf;
struct ring_buffer;

struct TracerConfig {
  bool events = false;
  bool followForks = true;
  std::string comm;                 // "" = no comm filter
  uint32_t inflightEntries = 65536; // requests tracked between submit and completion
  uint32_t ringBytes = 16u << 20;   // event ring buffer (power of two, >= page)
  uint64_t maxPendingBytes = 256ull << 20; // events waiting for JS to drain
  // Per-target aggregation (`serve`): slots for this many targets besides the
  // shared slot 0 (bpf/tracer.h). 0 = off: one slot, as trace/run/top use it.
  uint32_t perTarget = 0;
  bool traceAll = false;            // every process using io_uring (but us) is a target
  bool anatomy = false;             // each request's path and phases (trace --anatomy)
};

struct OpSnapshot {
  uint32_t opcode;
  us_op_stats stats;
  us_phase_stats phases;  // trace --anatomy only (else all zero)
};

struct ThreadSnapshot {
  uint32_t tid;
  us_thread t;
};

// One process's share (per-target mode): its stat slot(s) merged.
struct TargetSnapshot {
  uint32_t tgid;
  std::vector<OpSnapshot> ops;
  uint64_t counters[US_C_COUNT] = {};
};

struct Snapshot {
  uint64_t ktimeNs = 0;
  std::vector<OpSnapshot> ops;          // opcodes with any activity
  uint64_t counters[US_C_COUNT] = {};
  std::vector<ThreadSnapshot> threads;
  uint64_t userDrops = 0;               // records lost between ring buffer and JS
  uint64_t eventsReceived = 0;          // records taken off the ring buffer
  std::vector<TargetSnapshot> targets;  // per-target mode only
  bool hasReap = false;                 // trace --anatomy only
  us_dist reap{};                       // wait's last CQE -> return to userspace
};

class TracerSession {
 public:
  explicit TracerSession(const TracerConfig &cfg) : cfg_(cfg) {}
  ~TracerSession() { close(); }

  // Load + attach. Returns "" on success or a one-line error.
  std::string open();
  // Stops all programs and reads the last records; maps stay readable.
  void detach();
  void close();
  bool isOpen() const { return skel_ != nullptr; }

  std::string addTarget(uint32_t tgid);
  std::string removeTarget(uint32_t tgid);
  std::vector<uint32_t> targets() const;
  // Per-target mode: a process that is gone and was reported for the last
  // time. Its slots are zeroed and freed, its rings and threads forgotten,
  // and it stops being a target. (Its counts leave the global totals too.)
  std::string forgetTarget(uint32_t tgid);
  // The bpf-ops programs seen running a traced ring's loop (bpf/tracer.h us_ops_prog),
  // with their steps and BPF time while traced.
  std::vector<us::OpsProgram> seenOpsPrograms() const;

  // Which programs run on this kernel and which figures are absent (after open()).
  const std::vector<us::TracerHook> &hooks() const { return hooks_; }

  Snapshot snapshot() const;
  // Moves out the records consumed so far (each US_EVENT_SIZE bytes).
  std::vector<uint8_t> drain();

 private:
  static int onRecord(void *self, void *data, size_t size);
  void pollLoop();
  uint32_t statSlots() const { return cfg_.perTarget ? cfg_.perTarget + 1 : 1; }
  // Sums op_stats row `key` over CPUs into `out`; false when it cannot be read.
  bool readOp(uint32_t key, us_op_stats *out) const;
  void readPhases(uint32_t opcode, us_phase_stats *out) const;
  void readReap(us_dist *out) const;

  std::string loadOnce(int *err, std::string *log);

  TracerConfig cfg_;
  std::vector<us::TracerHook> hooks_;
  tracer_bpf *skel_ = nullptr;
  ring_buffer *rb_ = nullptr;
  bool detached_ = false;
  std::thread poller_;
  std::atomic<bool> stop_{false};
  mutable std::mutex mu_;
  std::vector<uint8_t> pending_;
  std::atomic<uint64_t> userDrops_{0};
  std::atomic<uint64_t> received_{0};
};
