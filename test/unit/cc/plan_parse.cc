// The engine's plan parser (native/engine/plan.cc) on its own: reads a plan
// on stdin and prints what parsePlan (and, given a directory, checkScratch-
// Files) made of it as one JSON line, every string as hex of its bytes so any
// byte survives the trip. Built by `make unit` into build/unit/, run by
// test/unit/plan-encoding.test.ts against what workloads/plan-text.ts writes.
#include <cinttypes>
#include <cstdio>
#include <iostream>
#include <sstream>

#include "plan.h"

static std::string hex(const std::string &s) {
  std::string out;
  char b[3];
  for (unsigned char c : s) {
    snprintf(b, sizeof b, "%02x", c);
    out += b;
  }
  return "\"" + out + "\"";
}

int main(int argc, char **argv) {
  std::stringstream in;
  in << std::cin.rdbuf();
  EnginePlan p;
  std::string err = parsePlan(in.str(), &p);
  if (err.empty() && argc > 1) err = checkScratchFiles(p, argv[1]);
  if (!err.empty()) {
    printf("{\"error\":%s}\n", hex(err).c_str());
    return 0;
  }
  const char *strategy = p.strategy == Strategy::Link ? "link" : p.strategy == Strategy::User ? "user" : "bpf";
  printf("{\"strategy\":\"%s\",\"chains\":\"%" PRIu64 "\",\"durationNs\":\"%" PRIu64 "\",\"concurrency\":%u,\"rate\":%.17g,"
         "\"bufferBytes\":%u,\"checksum\":%d,\"bpfOps\":%d,\"ringEntries\":%u,\"rings\":%u,\"targets\":[",
         strategy, p.chains, p.durationNs, p.concurrency, p.rate, p.bufferBytes, p.checksum, p.bpfOps, p.ring.entries,
         p.ring.rings);
  for (size_t i = 0; i < p.targets.size(); i++) {
    const TargetPlan &t = p.targets[i];
    printf("%s{\"name\":%s,\"kind\":%s,\"path\":%s,\"content\":%s,\"size\":\"%" PRIu64 "\",\"seed\":\"%" PRIu64 "\"}",
           i ? "," : "", hex(t.name).c_str(), hex(t.kind).c_str(), hex(t.path).c_str(), hex(t.content).c_str(), t.size,
           t.seed);
  }
  printf("],\"steps\":[");
  for (size_t i = 0; i < p.steps.size(); i++) {
    const us_step &s = p.steps[i];
    printf("%s{\"op\":%u,\"fd\":%u,\"len\":%u,\"fdFrom\":%d,\"expect\":[", i ? "," : "", s.op, s.fd, s.len, s.fd_from);
    for (uint32_t k = 0; k < s.n_expect; k++) printf("%s%d", k ? "," : "", s.expect[k]);
    printf("]}");
  }
  printf("],\"policy\":{\"name\":%s,\"bpf\":%s,\"native\":%s},\"replay\":%s}\n", hex(p.policy.name).c_str(),
         hex(p.policy.bpfObject).c_str(), hex(p.policy.nativeObject).c_str(), hex(p.replayPath).c_str());
  return 0;
}
