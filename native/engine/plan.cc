#include "plan.h"

#include <cstdlib>
#include <cstring>
#include <map>
#include <sstream>

namespace {

using Fields = std::map<std::string, std::string>;

// Splits "k=v k=v path=/a b" into fields; `path` takes the rest of the line.
Fields fieldsOf(std::istringstream &in) {
  Fields f;
  std::string word;
  while (in >> word) {
    size_t eq = word.find('=');
    if (eq == std::string::npos) continue;
    std::string k = word.substr(0, eq), v = word.substr(eq + 1);
    if (k == "path") {
      std::string rest;
      std::getline(in, rest);
      v += rest;
    }
    f[k] = v;
  }
  return f;
}

uint64_t num(const Fields &f, const char *k, uint64_t def = 0) {
  auto it = f.find(k);
  return it == f.end() ? def : strtoull(it->second.c_str(), nullptr, 0);
}

std::string str(const Fields &f, const char *k) {
  auto it = f.find(k);
  return it == f.end() ? "" : it->second;
}

}  // namespace

std::string parsePlan(const std::string &text, EnginePlan *p) {
  std::istringstream lines(text);
  std::string line;
  int n = 0;
  while (std::getline(lines, line)) {
    n++;
    std::istringstream in(line);
    std::string kind;
    if (!(in >> kind) || kind[0] == '#') continue;
    Fields f = fieldsOf(in);
    if (kind == "run") {
      std::string s = str(f, "strategy");
      if (s == "link") p->strategy = Strategy::Link;
      else if (s == "user") p->strategy = Strategy::User;
      else if (s == "bpf") p->strategy = Strategy::Bpf;
      else return "plan line " + std::to_string(n) + ": unknown strategy \"" + s + "\"";
      p->chains = num(f, "chains", p->chains);
      p->durationNs = num(f, "duration_ns");
      p->concurrency = uint32_t(num(f, "concurrency", p->concurrency));
      p->rate = strtod(str(f, "rate").c_str(), nullptr);
      p->bufferBytes = uint32_t(num(f, "buffer", p->bufferBytes));
      p->progressMs = uint32_t(num(f, "progress_ms"));
      p->stepBudget = num(f, "step_budget");
      p->checksum = num(f, "checksum", 1) != 0;
      p->bpfOps = str(f, "bpf_path") == "ops";
    } else if (kind == "ring") {
      p->ring.entries = uint32_t(num(f, "entries", 256));
      p->ring.exactEntries = num(f, "exact_entries") != 0;
      p->ring.sqpoll = num(f, "sqpoll");
      p->ring.sqThreadIdleMs = uint32_t(num(f, "idle_ms", 100));
      p->ring.deferTaskrun = num(f, "defer_taskrun");
      p->ring.registeredBuffers = num(f, "registered_buffers");
      p->ring.registeredFiles = num(f, "registered_files");
      p->ring.rings = uint32_t(num(f, "rings", 1));
    } else if (kind == "policy") {
      std::string k = str(f, "kind");
      if (!str(f, "name").empty()) p->policy.name = str(f, "name");
      if (k == "bpf") p->policy.bpfObject = str(f, "path");
      else if (k == "native") p->policy.nativeObject = str(f, "path");
      else return "plan line " + std::to_string(n) + ": unknown policy kind \"" + k + "\"";
    } else if (kind == "target") {
      TargetPlan t;
      t.name = str(f, "name");
      t.kind = str(f, "kind");
      t.path = str(f, "path");
      t.size = num(f, "size");
      t.content = str(f, "content");
      t.recordCount = uint32_t(num(f, "records"));
      t.recordMaxBody = uint32_t(num(f, "max_body"));
      t.direct = num(f, "direct");
      t.seed = num(f, "seed");
      p->targets.push_back(t);
    } else if (kind == "step") {
      if (p->steps.size() >= US_MAX_STEPS) return "plan: more than " + std::to_string(US_MAX_STEPS) + " steps";
      us_step s;
      memset(&s, 0, sizeof s);
      s.op = uint8_t(num(f, "op"));
      s.fd = uint8_t(num(f, "fd"));
      s.len_mode = uint8_t(num(f, "len_mode"));
      s.off_mode = uint8_t(num(f, "off_mode"));
      s.on_short = uint8_t(num(f, "on_short"));
      s.on_zero = uint8_t(num(f, "on_zero"));
      s.on_error = uint8_t(num(f, "on_error"));
      s.flags = uint8_t(num(f, "flags"));
      s.retries = uint16_t(num(f, "retries"));
      s.ref = uint16_t(num(f, "ref"));
      s.len = uint32_t(num(f, "len"));
      s.buf_off = uint32_t(num(f, "buf_off"));
      s.header_at = uint32_t(num(f, "header_at"));
      s.off = num(f, "off");
      s.stride = num(f, "stride");
      s.timeout_ns = num(f, "timeout_ns");
      s.fd_from = f.count("fd_from") ? int32_t(strtol(f["fd_from"].c_str(), nullptr, 0)) : -1;
      std::string ex = str(f, "expect");
      std::istringstream es(ex);
      std::string e;
      while (std::getline(es, e, ',') && s.n_expect < US_MAX_EXPECT)
        if (!e.empty()) s.expect[s.n_expect++] = int32_t(strtol(e.c_str(), nullptr, 0));
      if (s.op >= US_OP_COUNT) return "plan line " + std::to_string(n) + ": unknown op";
      p->steps.push_back(s);
    } else if (kind == "replay") {
      p->replayPath = str(f, "path");
      if (p->replayPath.empty()) return "plan line " + std::to_string(n) + ": replay needs path=";
    } else {
      return "plan line " + std::to_string(n) + ": unknown item \"" + kind + "\"";
    }
  }
  if (p->steps.empty() && !p->isReplay()) return "plan has no steps";
  if (!p->steps.empty() && p->isReplay()) return "plan: a replay has no steps";
  if (!p->policy.name.empty() && (p->policy.bpfObject.empty() || p->policy.nativeObject.empty()))
    return "plan: a policy needs both its bpf and native objects";
  if (!p->policy.name.empty() && p->isReplay() && p->strategy != Strategy::Bpf)
    return "plan: a replay takes a policy only under bpf";
  if (p->concurrency == 0) p->concurrency = 1;
  return "";
}
