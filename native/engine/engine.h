// The engine: runs a plan's chains on one io_uring ring, on the calling
// thread, under the `link` or `user` strategy. Decisions come from
// bpf/chain.h (the policy shared with BPF); this file only moves requests.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <string>

#include "plan.h"
#include "tracer.h"  // bpf/tracer.h: US_HIST_BUCKETS

// stopReason "stalled" under link or user: what the run was waiting for.
struct StallDetail {
  bool set = false;
  uint64_t quietSinceNs = 0;  // nothing completed from this long into the run
  uint64_t quietForNs = 0;    // for this long
  uint64_t inFlight[US_OP_COUNT + 1] = {};  // requests in the kernel, by enum us_op
  uint64_t chains = 0;        // chains waiting on them
  uint64_t oldestChain = 0;   // the earliest started of those chains
  uint64_t oldestStartNs = 0; // when it started, into the run
};

struct EngineStats {
  uint64_t chains = 0;          // chains finished
  uint64_t chainsFailed = 0;
  uint64_t chainsInterrupted = 0;
  uint64_t steps = 0;           // successful step completions
  uint64_t resubmits = 0;       // requests issued again after a kernel link cancelled them
  uint64_t cancelled = 0;       // -ECANCELED completions reaped
  uint64_t retries = 0;         // steps re-issued by onShort/onError retry
  uint64_t bytes = 0;           // bytes moved by read/write/send/recv steps
  uint64_t readChecksum = 0;    // sum over chains of FNV-1a(bytes the chain read)
  uint64_t enterCalls = 0;      // io_uring_enter calls the engine made
  uint64_t submitted[US_OP_COUNT + 1] = {};  // by enum us_op; last = ASYNC_CANCEL
  uint64_t completed[US_OP_COUNT + 1] = {};
  uint64_t latHist[US_HIST_BUCKETS] = {};    // chain latency, ns
  uint64_t latMaxNs = 0;
  uint64_t wallNs = 0;
  uint64_t cpuNs = 0;           // the run thread
  uint64_t processCpuNs = 0;    // the whole process, io threads included
  uint64_t voluntary = 0;       // the run thread's context switches
  uint64_t involuntary = 0;
  uint64_t replayIssued = 0;    // replay: requests issued (resubmits after a kernel cancel included)
  uint64_t replayDiffer = 0;    // replay: requests whose final result is not the recorded one
  int32_t firstError = 0;       // res of the first failed chain
  std::string stopReason = "completed";
  bool usedFixedBuffers = false;
  std::string bpfPath;          // strategy bpf: "ops" or "map-backed-sqpoll"
  std::map<std::string, uint64_t> policy;  // strategy bpf: the policy's own counters
  StallDetail stall;
};

struct ProgressSink {
  virtual void progress(const EngineStats &s) = 0;
  // A C policy's us_emit(): passed on as it arrives (batched by the caller).
  virtual void emit(uint32_t chain, uint32_t kind, uint64_t a, uint64_t b) = 0;
  virtual ~ProgressSink() = default;
};

// Runs the plan over `fds`. Returns "" or a one-line setup error. `stop` is
// polled between batches: chains in flight are cancelled and reaped.
std::string runEngine(const EnginePlan &plan, const std::vector<int> &fds, std::atomic<bool> &stop,
                      ProgressSink *sink, EngineStats *out);

// io_uring's name for an engine op, as the tracer reports it.
const char *kernelOpName(int op, bool fixedBuffers);
