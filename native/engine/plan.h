// The run plan the engine executes, as written by workloads/plan.ts and
// recording/replay-run.ts (through workloads/plan-text.ts): one line per
// item, `kind key=value ...`, fields separated by spaces. Text because it is
// tiny, written once per run, and readable in a bug report.
//
// Every value is percent-encoded: the bytes A-Z a-z 0-9 - . _ ~ / , stand
// for themselves, any other byte is %XX (two hex digits), so a value never
// holds a space, a newline or an `=`: data (a path with a newline in it, say)
// cannot end its line and start a forged one. The engine refuses, naming the
// line, any line whose words are not key=value, whose key repeats, whose
// value has a byte outside that set or a malformed escape or %00 (a path is a
// C string), and any number that is not whole decimal text within its field's
// type (strtoull would read "abc" as 0 and "-1" as 2^64-1).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

extern "C" {
#include "chain.h"  // bpf/chain.h: steps and the policy shared with BPF
}
#include "replay_table.h"

enum class Strategy { Link, User, Bpf };

struct RingOptions {
  uint32_t entries = 256;
  bool exactEntries = false;  // the workload set entries: do not grow the ring for concurrency
  bool sqpoll = false;
  uint32_t sqThreadIdleMs = 100;
  bool deferTaskrun = false;
  bool registeredBuffers = false;
  bool registeredFiles = false;
  uint32_t rings = 1;  // strategy bpf: SQPOLL rings (one thread each) the chains are spread over
};

struct TargetPlan {
  std::string name;
  std::string kind;     // file | path | socketpair | tcp | pipe
  std::string path;     // file (created) or path (opened read-only)
  uint64_t size = 0;
  std::string content;  // zero | random | records
  uint32_t recordCount = 0;
  uint32_t recordMaxBody = 0;
  bool direct = false;
  uint64_t seed = 0;
};

// A C policy (--policy), built twice from one source by scripts/build-policy.sh.
struct PolicyPlan {
  std::string name;          // for messages: the source file's name
  std::string bpfObject;     // strategy bpf: the runtime + policy BPF object
  std::string nativeObject;  // strategy user: the shared object
};

struct EnginePlan {
  Strategy strategy = Strategy::User;
  RingOptions ring;
  uint64_t chains = 1000;
  uint64_t durationNs = 0;  // 0 = run `chains` chains
  uint32_t concurrency = 16;
  double rate = 0;          // chains started per second, 0 = unlimited
  uint32_t bufferBytes = 4096;
  uint32_t progressMs = 0;  // 0 = no progress lines
  bool checksum = true;     // FNV-1a of every byte read (results checking); off for overhead benchmarks
  uint64_t stepBudget = 0;  // strategy bpf: steps the policy may issue (0 = unlimited)
  bool bpfOps = false;      // strategy bpf: run the policy in the ring's bpf-ops loop (7.1+), not map-backed SQPOLL
  std::vector<TargetPlan> targets;
  std::vector<us_step> steps;
  PolicyPlan policy;  // empty: the workload's steps decide (declarative)
  // Replay (`replay path=FILE`): every chain takes its requests from this
  // table instead of `steps`; main.cc loads it, and `chains` is its chain count.
  std::string replayPath;
  ReplayTable replay;
  bool isReplay() const { return !replayPath.empty(); }
};

// Parses a plan; returns "" or a one-line error.
std::string parsePlan(const std::string &text, EnginePlan *out);

// Whether every file target (created, written, then removed) is DIR/NAME,
// DIR the plan file's own directory (the run directory uringscope made) and
// NAME a plain target name: "" or a one-line error. So whatever a plan says,
// the engine creates and removes files only there; path targets it only reads.
std::string checkScratchFiles(const EnginePlan &plan, const std::string &dir);
