// uringscope-engine [--parent PID --lifeline FD] PLAN_FILE: runs one
// workload plan and reports on stdout,
// one JSON object per line: {"type":"progress",...} while running (when the
// plan asks), then {"type":"engine",...} or {"type":"error","message":...}.
//
// The engine is its own process so that a run is traced exactly like any
// other io_uring program (by tgid: its thread, its SQPOLL and io-wq
// threads), with none of Node's own threads or rings mixed in. It must not
// outlive uringscope, though: see lifeline.h.
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cinttypes>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

#include "bpf_strategy.h"
#include "engine.h"
#include "error_line.h"
#include "lifeline.h"
#include "policy_user.h"
#include "targets.h"

namespace {

std::atomic<bool> gStop{false};

void onSignal(int) { gStop.store(true); }

std::string jsonString(const std::string &s) {
  std::string o = "\"";
  for (char ch : s) {
    if (ch == '"' || ch == '\\') o += '\\';
    if (static_cast<unsigned char>(ch) < 0x20) {
      char b[8];
      snprintf(b, sizeof b, "\\u%04x", ch);
      o += b;
      continue;
    }
    o += ch;
  }
  return o + "\"";
}

void printCounts(const EngineStats &s) {
  printf("\"chains\":%" PRIu64 ",\"chainsFailed\":%" PRIu64 ",\"chainsInterrupted\":%" PRIu64
         ",\"steps\":%" PRIu64 ",\"resubmits\":%" PRIu64 ",\"cancelled\":%" PRIu64 ",\"retries\":%" PRIu64
         ",\"bytes\":%" PRIu64,
         s.chains, s.chainsFailed, s.chainsInterrupted, s.steps, s.resubmits, s.cancelled, s.retries, s.bytes);
}

void printPolicy(const EngineStats &s) {
  if (s.policy.empty()) return;
  printf(",\"policy\":{");
  bool first = true;
  for (auto &kv : s.policy) {
    printf("%s%s:%" PRIu64, first ? "" : ",", jsonString(kv.first).c_str(), kv.second);
    first = false;
  }
  printf("}");
}

// Strategy bpf: the policy's counters (read from its maps) ride along, so a
// live view can show what the kernel side is doing.
struct StdoutProgress : ProgressSink {
  // The first records a policy emits, one JSON line each; the rest are only
  // counted (engine.policy.emits): a policy emitting per step must not turn
  // the pipe to Node into the bottleneck.
  void emit(uint32_t chain, uint32_t kind, uint64_t a, uint64_t b) override {
    if (emitted_++ >= kMaxEmitLines) return;
    printf("{\"type\":\"emit\",\"chain\":%u,\"kind\":%u,\"a\":%" PRIu64 ",\"b\":%" PRIu64 "}\n", chain, kind, a, b);
    fflush(stdout);
  }
  static constexpr uint64_t kMaxEmitLines = 1000;
  uint64_t emitted_ = 0;
  void progress(const EngineStats &s) override {
    printf("{\"type\":\"progress\",");
    printCounts(s);
    printf(",\"enterCalls\":%" PRIu64, s.enterCalls);
    printPolicy(s);
    printf("}\n");
    fflush(stdout);
  }
};

void printResult(const EnginePlan &plan, const EngineStats &s, const OpenTargets &t) {
  const char *strategy = plan.strategy == Strategy::Link ? "link" : plan.strategy == Strategy::User ? "user" : "bpf";
  printf("{\"type\":\"engine\",\"strategy\":\"%s\",", strategy);
  printCounts(s);
  printf(",\"readChecksum\":\"%016" PRIx64 "\",\"wallNs\":%" PRIu64 ",\"cpuNs\":%" PRIu64
         ",\"processCpuNs\":%" PRIu64 ",\"enterCalls\":%" PRIu64
         ",\"ctxSwitches\":{\"voluntary\":%" PRIu64 ",\"involuntary\":%" PRIu64 "}",
         s.readChecksum, s.wallNs, s.cpuNs, s.processCpuNs, s.enterCalls, s.voluntary, s.involuntary);
  printf(",\"stopReason\":\"%s\",\"firstError\":%d", s.stopReason.c_str(), s.firstError);
  if (!s.bpfPath.empty()) printf(",\"bpfPath\":\"%s\"", s.bpfPath.c_str());
  if (s.stall.set) {
    // What a stalled run waited for (link, user): the requests still in the kernel, by op.
    const StallDetail &d = s.stall;
    printf(",\"stall\":{\"quietSinceNs\":%" PRIu64 ",\"quietForNs\":%" PRIu64 ",\"chains\":%" PRIu64
           ",\"oldestChain\":%" PRIu64 ",\"oldestChainStartNs\":%" PRIu64 ",\"inFlight\":{",
           d.quietSinceNs, d.quietForNs, d.chains, d.oldestChain, d.oldestStartNs);
    bool any = false;
    for (int op = 0; op <= US_OP_COUNT; op++) {
      if (!d.inFlight[op]) continue;
      printf("%s\"%s\":%" PRIu64, any ? "," : "", kernelOpName(op, s.usedFixedBuffers), d.inFlight[op]);
      any = true;
    }
    printf("}}");
  }
  if (plan.isReplay())
    printf(",\"replay\":{\"requests\":%zu,\"issued\":%" PRIu64 ",\"resultsDiffer\":%" PRIu64 "}",
           plan.replay.reqs.size(), s.replayIssued, s.replayDiffer);
  printf(",\"requests\":{");
  bool first = true;
  for (int op = 0; op <= US_OP_COUNT; op++) {
    if (!s.submitted[op] && !s.completed[op]) continue;
    printf("%s\"%s\":{\"submitted\":%" PRIu64 ",\"completed\":%" PRIu64 "}", first ? "" : ",",
           kernelOpName(op, s.usedFixedBuffers), s.submitted[op], s.completed[op]);
    first = false;
  }
  printf("},\"chainLatencyMaxNs\":%" PRIu64 ",\"chainLatencyHist\":[", s.latMaxNs);
  first = true;
  for (int b = 0; b < US_HIST_BUCKETS; b++) {
    if (!s.latHist[b]) continue;
    printf("%s[%d,%" PRIu64 "]", first ? "" : ",", b, s.latHist[b]);
    first = false;
  }
  printf("],\"files\":{");
  first = true;
  size_t fdIndex = 0;
  // A replay's scratch files only stand in for the recorded ones: not worth reading back.
  static const std::vector<TargetPlan> none;
  for (const TargetPlan &tp : plan.isReplay() ? none : plan.targets) {
    if (tp.kind == "file" || tp.kind == "path") {
      uint64_t sum = 0, size = 0;
      if (fileChecksum(tp.path, &sum, &size)) {
        printf("%s%s:{\"size\":%" PRIu64 ",\"checksum\":\"%016" PRIx64 "\"}", first ? "" : ",",
               jsonString(tp.name).c_str(), size, sum);
        first = false;
      }
      fdIndex++;
    } else {
      fdIndex += 2;
    }
  }
  (void)t;
  printf("}");
  printPolicy(s);
  printf("}\n");
  fflush(stdout);
}

// Loads the replay table; its chains are the run's chains.
std::string prepareReplay(EnginePlan *plan) {
  if (plan->strategy == Strategy::Bpf && plan->policy.bpfObject.empty())
    return "replay under bpf needs the replay policy (bpf/replay/policy.c)";
  std::string err = loadReplayTable(plan->replayPath, &plan->replay);
  if (!err.empty()) return err;
  plan->chains = plan->replay.chains.size();
  plan->durationNs = 0;
  plan->checksum = false;  // replayed reads land in a shared scratch buffer: their bytes mean nothing
  return "";
}

}  // namespace

void printError(const std::string &msg) {
  printf("{\"type\":\"error\",\"message\":%s}\n", jsonString(msg).c_str());
  fflush(stdout);
}

// Exits through here once main() has armed the lifeline: an orphaned
// engine also removes its run directory, which its dead parent cannot.
int finish(int code) {
  lifelineCleanup(gStop.load());
  return code;
}

int main(int argc, char **argv) {
  // The stop handler first: from the next line on, a dying parent sends SIGTERM.
  struct sigaction sa {};
  sa.sa_handler = onSignal;
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGHUP, &sa, nullptr);
  signal(SIGPIPE, SIG_IGN);

  LifelineArgs life;
  std::string usage = parseLifelineArgs(&argc, &argv, &life);
  if (!usage.empty() || argc != 2) {
    fprintf(stderr, "uringscope-engine: %s\nusage: uringscope-engine [--parent PID --lifeline FD] PLAN_FILE\n",
            usage.empty() ? "one plan file" : usage.c_str());
    return 2;
  }
  std::string planPath = argv[1];
  size_t slash = planPath.rfind('/');
  std::string planDir = slash == std::string::npos ? "." : planPath.substr(0, slash);
  if (!armLifeline(life, planDir, &gStop)) return finish(1);

  std::ifstream f(argv[1]);
  if (!f) {
    printError(std::string("cannot read plan ") + argv[1]);
    return finish(1);
  }
  std::stringstream ss;
  ss << f.rdbuf();
  EnginePlan plan;
  std::string err = parsePlan(ss.str(), &plan);
  if (err.empty()) err = checkScratchFiles(plan, planDir);
  if (err.empty() && plan.isReplay()) err = prepareReplay(&plan);
  if (!err.empty()) {
    printError(err);
    return finish(1);
  }

  OpenTargets targets;
  err = openTargets(plan, &targets, &gStop);
  if (!err.empty() && gStop.load()) {
    // Ctrl-C or SIGTERM while the targets were written (a replay's copy of a
    // large file takes a while): the run ends there, stopped, not failed.
    EngineStats stopped;
    stopped.stopReason = "signal";
    targets.closeAll();
    printResult(plan, stopped, targets);
    return finish(0);
  }
  if (!err.empty()) {
    printError(err);
    return finish(1);
  }
  EngineStats stats;
  StdoutProgress progress;
  if (plan.strategy == Strategy::Bpf)
    err = runBpfStrategy(plan, targets.fds, gStop, &progress, &stats);
  else if (plan.strategy == Strategy::User && !plan.policy.name.empty())
    err = runPolicyUser(plan, targets.fds, gStop, &progress, &stats);
  else
    err = runEngine(plan, targets.fds, gStop, &progress, &stats);
  if (!err.empty()) {
    targets.closeAll();
    printError(err);
    return finish(1);
  }
  printResult(plan, stats, targets);
  targets.closeAll();  // closes fds, removes the scratch files
  return finish(0);
}
