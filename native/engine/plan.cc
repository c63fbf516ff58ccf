#include "plan.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <map>
#include <sstream>

namespace {

// A line's fields, decoded, and the first reason the line is refused.
struct Fields {
  std::map<std::string, std::string> v;
  std::string err;
  bool has(const char *k) const { return v.count(k) != 0; }
};

bool safeByte(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || (c && strchr("-._~/,", c));
}

int hexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

// Undoes workloads/plan-text.ts's encoding (see plan.h); "" or why not.
std::string decode(const std::string &in, std::string *out) {
  out->clear();
  for (size_t i = 0; i < in.size(); i++) {
    unsigned char c = in[i];
    if (c == '%') {
      int hi = i + 2 < in.size() ? hexDigit(in[i + 1]) : -1, lo = hi >= 0 ? hexDigit(in[i + 2]) : -1;
      if (lo < 0) return "a % not followed by two hex digits at byte " + std::to_string(i);
      if (hi == 0 && lo == 0) return "%00 (a path or name cannot hold a NUL byte)";
      out->push_back(char(hi * 16 + lo));
      i += 2;
    } else if (safeByte(c)) {
      out->push_back(char(c));
    } else {
      char hex[8];
      snprintf(hex, sizeof hex, "0x%02x", c);
      return std::string("byte ") + hex + " at byte " + std::to_string(i) + " is not %-encoded";
    }
  }
  return "";
}

// Splits "k=v k=v" into decoded fields; a word that is not key=value, a key
// given twice or a value that does not decode refuses the line.
Fields fieldsOf(std::istringstream &in) {
  Fields f;
  std::string word, value;
  for (int i = 1; f.err.empty() && in >> word; i++) {
    size_t eq = word.find('=');
    std::string k = eq == std::string::npos ? "" : word.substr(0, eq);
    if (k.empty() || k.find_first_not_of("abcdefghijklmnopqrstuvwxyz_") != std::string::npos)
      f.err = "field " + std::to_string(i) + " is not key=value";
    else if (f.has(k.c_str()))
      f.err = k + "= given twice";
    else if (std::string why = decode(word.substr(eq + 1), &value); !why.empty())
      f.err = k + "= does not decode: " + why;
    else
      f.v[k] = value;
  }
  return f;
}

// Whole decimal numbers only, within T: no silent 0 for "abc", no wrap for "-1" or "300" in a u8.
template <class T>
T num(Fields &f, const char *k, T def = 0) {
  auto it = f.v.find(k);
  if (it == f.v.end()) return def;
  const std::string &s = it->second;
  const bool neg = !s.empty() && s[0] == '-';
  char *end = nullptr;
  errno = 0;
  long long sv = 0;
  unsigned long long uv = 0;
  if (neg) sv = strtoll(s.c_str(), &end, 10);
  else uv = strtoull(s.c_str(), &end, 10);
  bool digits = s.size() > size_t(neg) && isdigit(static_cast<unsigned char>(s[neg]));
  bool fits = neg ? std::numeric_limits<T>::is_signed && sv >= (long long)std::numeric_limits<T>::min()
                  : uv <= (unsigned long long)std::numeric_limits<T>::max();
  if (!digits || *end || errno || !fits) {
    if (f.err.empty()) f.err = std::string(k) + "= is not a whole number that fits (got \"" + s + "\")";
    return def;
  }
  return neg ? T(sv) : T(uv);
}

double real(Fields &f, const char *k) {
  auto it = f.v.find(k);
  if (it == f.v.end()) return 0;
  char *end = nullptr;
  double v = strtod(it->second.c_str(), &end);
  if (it->second.empty() || *end || !std::isfinite(v) || v < 0) {
    if (f.err.empty()) f.err = std::string(k) + "= is not a number (got \"" + it->second + "\")";
    return 0;
  }
  return v;
}

std::string str(const Fields &f, const char *k) {
  auto it = f.v.find(k);
  return it == f.v.end() ? "" : it->second;
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
    if (!f.err.empty()) return "plan line " + std::to_string(n) + ": " + f.err;
    if (kind == "run") {
      std::string s = str(f, "strategy");
      if (s == "link") p->strategy = Strategy::Link;
      else if (s == "user") p->strategy = Strategy::User;
      else if (s == "bpf") p->strategy = Strategy::Bpf;
      else return "plan line " + std::to_string(n) + ": unknown strategy \"" + s + "\"";
      p->chains = num<uint64_t>(f, "chains", p->chains);
      p->durationNs = num<uint64_t>(f, "duration_ns");
      p->concurrency = num<uint32_t>(f, "concurrency", p->concurrency);
      p->rate = real(f, "rate");
      p->bufferBytes = num<uint32_t>(f, "buffer", p->bufferBytes);
      p->progressMs = num<uint32_t>(f, "progress_ms");
      p->stepBudget = num<uint64_t>(f, "step_budget");
      p->checksum = num<bool>(f, "checksum", true);
      p->bpfOps = str(f, "bpf_path") == "ops";
    } else if (kind == "ring") {
      p->ring.entries = num<uint32_t>(f, "entries", 256);
      p->ring.exactEntries = num<bool>(f, "exact_entries");
      p->ring.sqpoll = num<bool>(f, "sqpoll");
      p->ring.sqThreadIdleMs = num<uint32_t>(f, "idle_ms", 100);
      p->ring.deferTaskrun = num<bool>(f, "defer_taskrun");
      p->ring.registeredBuffers = num<bool>(f, "registered_buffers");
      p->ring.registeredFiles = num<bool>(f, "registered_files");
      p->ring.rings = num<uint32_t>(f, "rings", 1);
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
      t.size = num<uint64_t>(f, "size");
      t.content = str(f, "content");
      t.recordCount = num<uint32_t>(f, "records");
      t.recordMaxBody = num<uint32_t>(f, "max_body");
      t.direct = num<bool>(f, "direct");
      t.seed = num<uint64_t>(f, "seed");
      p->targets.push_back(t);
    } else if (kind == "step") {
      if (p->steps.size() >= US_MAX_STEPS) return "plan: more than " + std::to_string(US_MAX_STEPS) + " steps";
      us_step s;
      memset(&s, 0, sizeof s);
      s.op = num<uint8_t>(f, "op");
      s.fd = num<uint8_t>(f, "fd");
      s.len_mode = num<uint8_t>(f, "len_mode");
      s.off_mode = num<uint8_t>(f, "off_mode");
      s.on_short = num<uint8_t>(f, "on_short");
      s.on_zero = num<uint8_t>(f, "on_zero");
      s.on_error = num<uint8_t>(f, "on_error");
      s.flags = num<uint8_t>(f, "flags");
      s.retries = num<uint16_t>(f, "retries");
      s.ref = num<uint16_t>(f, "ref");
      s.len = num<uint32_t>(f, "len");
      s.buf_off = num<uint32_t>(f, "buf_off");
      s.header_at = num<uint32_t>(f, "header_at");
      s.off = num<uint64_t>(f, "off");
      s.stride = num<uint64_t>(f, "stride");
      s.timeout_ns = num<uint64_t>(f, "timeout_ns");
      s.fd_from = num<int32_t>(f, "fd_from", -1);
      std::istringstream es(str(f, "expect"));
      std::string e;
      while (std::getline(es, e, ',') && s.n_expect < US_MAX_EXPECT) {
        Fields one;
        one.v["expect"] = e;
        s.expect[s.n_expect++] = num<int32_t>(one, "expect");
        if (!one.err.empty()) f.err = one.err;
      }
      if (s.op >= US_OP_COUNT) return "plan line " + std::to_string(n) + ": unknown op";
      p->steps.push_back(s);
    } else if (kind == "replay") {
      p->replayPath = str(f, "path");
      if (p->replayPath.empty()) return "plan line " + std::to_string(n) + ": replay needs path=";
    } else {
      return "plan line " + std::to_string(n) + ": unknown item \"" + kind + "\"";
    }
    if (!f.err.empty()) return "plan line " + std::to_string(n) + ": " + f.err;
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

std::string checkScratchFiles(const EnginePlan &p, const std::string &dir) {
  for (const TargetPlan &t : p.targets) {
    if (t.kind != "file") continue;
    bool plainName = !t.name.empty() && t.name.find_first_not_of(
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-") == std::string::npos;
    if (!plainName || t.path != dir + "/" + t.name)
      return "plan: file target \"" + t.name + "\" is not " + dir + "/NAME (the engine creates and removes files only in its plan's directory)";
  }
  return "";
}
