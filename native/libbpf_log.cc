#include "libbpf_log.h"

#include <bpf/libbpf.h>
#include <linux/capability.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <regex>
#include <sstream>
#include <vector>

namespace us {
namespace {

std::mutex mu;
std::string captured;
bool capturing = false;

int printFn(enum libbpf_print_level level, const char *fmt, va_list args) {
  if (level == LIBBPF_DEBUG) return 0;
  // The verifier log comes as one "%s": size the buffer for it.
  va_list copy;
  va_copy(copy, args);
  int n = vsnprintf(nullptr, 0, fmt, copy);
  va_end(copy);
  if (n < 0) return 0;
  std::string buf(size_t(n) + 1, '\0');
  vsnprintf(&buf[0], buf.size(), fmt, args);
  buf.resize(size_t(n));
  std::lock_guard<std::mutex> g(mu);
  if (capturing) {
    captured += buf;
    // The end of the log says why; a policy that is too large logs megabytes.
    if (captured.size() > (1u << 20)) captured.erase(0, captured.size() - (1u << 20));
  } else if (getenv("URINGSCOPE_DEBUG")) {
    fputs(buf.c_str(), stderr);
  }
  return 0;
}

bool startsWith(const std::string &s, const char *p) { return s.rfind(p, 0) == 0; }

std::string trim(const std::string &s) {
  size_t a = s.find_first_not_of(" \t"), b = s.find_last_not_of(" \t\r\n");
  return a == std::string::npos ? "" : s.substr(a, b - a + 1);
}

}  // namespace

void beginLibbpfLog() {
  libbpf_set_print(printFn);
  std::lock_guard<std::mutex> g(mu);
  captured.clear();
  capturing = true;
}

std::string endLibbpfLog() {
  std::lock_guard<std::mutex> g(mu);
  capturing = false;
  std::string s;
  s.swap(captured);
  if (getenv("URINGSCOPE_DEBUG")) fputs(s.c_str(), stderr);
  return s;
}

std::string failedProgram(const std::string &log) {
  // "libbpf: prog 'NAME': BPF program load failed: ..." (the last one wins:
  // earlier lines may name programs that loaded).
  static const std::regex failed(R"(prog '([^']+)': (BPF program load failed|failed to load|failed to resolve|.*relo))");
  std::string name;
  for (std::sregex_iterator it(log.begin(), log.end(), failed), end; it != end; ++it) name = (*it)[1];
  return name;
}

bool parseVerifierLog(const std::string &log, VerifierError *out) {
  size_t begin = log.find("-- BEGIN PROG LOAD LOG --");
  if (begin == std::string::npos) {
    // A long log keeps only its tail (see printFn): still a verifier log if it ends like one.
    if (log.find("-- END PROG LOAD LOG --") == std::string::npos) return false;
    begin = 0;
  }
  size_t end = log.find("-- END PROG LOAD LOG --", begin);
  std::string body = log.substr(begin, end == std::string::npos ? std::string::npos : end - begin);
  std::vector<std::string> lines;
  std::istringstream in(body);
  for (std::string l; std::getline(in, l);) lines.push_back(l);

  static const std::regex insn(R"(^\d+: \()");
  static const std::regex src(R"(^; (.*) @ (\S+):(\d+)$)");
  // The complaint: what follows the last instruction the verifier walked.
  size_t lastInsn = 0;
  for (size_t i = 1; i < lines.size(); i++)
    if (std::regex_search(lines[i], insn)) lastInsn = i;
  std::string msg;
  for (size_t i = lastInsn ? lastInsn + 1 : 1; i < lines.size(); i++) {
    std::string l = trim(lines[i]);
    if (l.empty() || startsWith(l, "processed ") || startsWith(l, "verification time") ||
        startsWith(l, "stack depth") || startsWith(l, "libbpf:") || startsWith(l, "; ") ||
        startsWith(l, "-- ") || startsWith(l, "cur state:") || startsWith(l, "old state:") ||
        std::regex_search(l, insn))
      continue;
    msg += (msg.empty() ? "" : "; ") + l;
  }
  // Some complaints end the instruction line itself ("... goto pc-3 infinite loop detected at insn 376").
  static const std::regex inline_msg(R"((infinite loop detected.*|back-edge from insn.*|unreachable insn.*))");
  std::smatch im;
  if (msg.empty() && lastInsn && std::regex_search(lines[lastInsn], im, inline_msg)) msg = im[1];
  if (msg.empty() && lastInsn == 0) return false;
  out->program = failedProgram(log.substr(0, begin == 0 ? log.size() : begin + 1));
  out->message = msg.empty() ? "refused (no reason in the log)" : msg;
  for (size_t i = lastInsn + 1; i-- > 1;) {
    std::smatch m;
    if (std::regex_match(lines[i], m, src)) {
      out->source = trim(m[1]);
      out->file = m[2];
      out->line = std::stoi(m[3]);
      break;
    }
  }
  return true;
}

bool haveBpfPrivileges() {
  __user_cap_header_struct hdr{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2] = {};
  if (syscall(SYS_capget, &hdr, data) != 0) return geteuid() == 0;
  auto has = [&](int cap) { return (data[cap / 32].effective >> (cap % 32)) & 1u; };
  const int kSysAdmin = 21, kPerfmon = 38, kBpf = 39;  // linux/capability.h (Debian 12's lacks the last two)
  return has(kSysAdmin) || (has(kBpf) && has(kPerfmon));
}

std::string kernelName() {
  utsname u;
  return uname(&u) == 0 ? std::string("Linux ") + u.release : "this kernel";
}

// The active kernel lockdown mode, as /sys/kernel/security/lockdown brackets it.
static std::string lockdownMode() {
  FILE *f = fopen("/sys/kernel/security/lockdown", "r");
  char buf[128] = {};
  if (!f) return "lockdown unknown";
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  fclose(f);
  std::string s(buf, n);
  size_t a = s.find('['), b = s.find(']');
  return a != std::string::npos && b > a ? "lockdown " + s.substr(a + 1, b - a - 1) : "lockdown unknown";
}

std::string explainLoadFailure(const std::string &what, int err, const std::string &log) {
  VerifierError v;
  if (parseVerifierLog(log, &v)) {
    std::string where = v.line ? v.file + ":" + std::to_string(v.line) + ": " : "";
    std::string code = v.source.empty() ? "" : " (at `" + v.source + "`)";
    return where + "the verifier of " + kernelName() + " refused " + what + ": " + v.message + code;
  }
  int e = err < 0 ? -err : err;
  std::string prog = failedProgram(log);
  std::string subject = what + (prog.empty() || what.find(prog) != std::string::npos ? "" : " (program " + prog + ")");
  if ((e == EPERM || e == EACCES) && !haveBpfPrivileges())
    return "cannot load " + subject + ": " + strerror(e) +
           ". Run as root, or grant CAP_BPF and CAP_PERFMON (sudo setcap cap_bpf,cap_perfmon+ep $(which node))";
  if (e == EPERM || e == EACCES)
    return "cannot load " + subject + ": " + kernelName() + " said " + strerror(e) +
           " although this process has CAP_BPF and CAP_PERFMON (" + lockdownMode() +
           "; the kernel's build or an LSM forbids it): run `uringscope doctor`";
  if (e == ESRCH || e == ENOENT)
    return "cannot load " + subject + ": a kernel hook or type it needs is missing on " + kernelName() +
           ": run `uringscope doctor`";
  if (e == ENOTSUP || e == EOPNOTSUPP)
    return "cannot load " + subject + ": " + kernelName() + " lacks a BPF feature it needs: run `uringscope doctor`";
  return "cannot load " + subject + ": " + strerror(e) + " (run with URINGSCOPE_DEBUG=1 for libbpf's log)";
}

std::string explainOpenFailure(const std::string &what, int err, const std::string &log) {
  // A C policy is compiled against extern declarations (bpf/uringscope.h):
  // its entry points are externs of the runtime, and a function it calls but
  // never defines stays an extern too, which libbpf finds nowhere in BTF.
  static const std::regex ext(R"(failed to find BTF for extern '([^']+)')");
  std::smatch m;
  if (std::regex_search(log, m, ext)) {
    std::string sym = m[1];
    if (sym == "us_on_start" || sym == "us_on_complete") {
      std::string macro = sym == "us_on_start" ? "US_ON_START(c)" : "US_ON_COMPLETE(c, e)";
      return what + " has no " + macro + " entry point: a policy defines US_ON_START(c) and US_ON_COMPLETE(c, e) (see bpf/uringscope.h)";
    }
    return what + " calls " + sym + "(), which it does not define and the policy API (bpf/uringscope.h) does not have";
  }
  int e = err < 0 ? -err : err;
  return "cannot open " + what + ": " + strerror(e) + " (run with URINGSCOPE_DEBUG=1 for libbpf's log)";
}

std::string explainBpfError(const std::string &what, int err) {
  int e = err < 0 ? -err : err;
  std::string msg = what + ": " + strerror(e);
  switch (e) {
    case EPERM:
    case EACCES:
      if (!haveBpfPrivileges())
        msg += ". Run as root, or grant CAP_BPF and CAP_PERFMON (sudo setcap cap_bpf,cap_perfmon+ep $(which node))";
      else
        msg += " by " + kernelName() + " although this process has CAP_BPF and CAP_PERFMON: run `uringscope doctor`";
      break;
    case ENOENT:
    case ESRCH:
      msg += ". A kernel hook is missing on " + kernelName() + ": run `uringscope doctor`";
      break;
    case ENOMEM:
      msg += ". The kernel refused the memory for BPF maps: lower --inflight/--ring-mb or raise the memlock limit (ulimit -l unlimited)";
      break;
    case EINVAL:
    case ENOTSUP:
      msg += ". " + kernelName() + " lacks a BPF feature uringscope needs: run `uringscope doctor`";
      break;
    default:
      break;
  }
  return msg;
}

}  // namespace us
