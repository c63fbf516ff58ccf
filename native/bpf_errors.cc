#include "bpf_errors.h"

#include <bpf/libbpf.h>

#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <mutex>

namespace us {
namespace {

std::mutex logMu;
std::string logTail;

int printFn(enum libbpf_print_level level, const char *fmt, va_list args) {
  if (level == LIBBPF_DEBUG) return 0;
  char buf[1024];
  vsnprintf(buf, sizeof buf, fmt, args);
  std::lock_guard<std::mutex> g(logMu);
  logTail += buf;
  // Keep only the tail: the verifier log can be long, its end says why.
  if (logTail.size() > 16384) logTail.erase(0, logTail.size() - 16384);
  return 0;
}

}  // namespace

void captureLibbpfLog() { libbpf_set_print(printFn); }

std::string takeLibbpfLog() {
  std::lock_guard<std::mutex> g(logMu);
  std::string s;
  s.swap(logTail);
  return s;
}

std::string firstVerifierError(const std::string &log) {
  // libbpf prints "prog 'NAME': BPF program load failed: ..." then the
  // verifier log between BEGIN/END PROG LOAD LOG; its last line before END is
  // the reason.
  std::string prog;
  size_t p = log.find("prog '");
  if (p != std::string::npos) {
    size_t q = log.find('\'', p + 6);
    if (q != std::string::npos) prog = log.substr(p + 6, q - p - 6);
  }
  std::string reason;
  size_t end = log.find("-- END PROG LOAD LOG --");
  if (end != std::string::npos) {
    size_t e = log.find_last_not_of(" \n\t", end == 0 ? 0 : end - 1);
    if (e != std::string::npos) {
      // Skip libbpf's "processed N insns" summary line if it is last.
      size_t s = log.find_last_of('\n', e);
      std::string last = log.substr(s == std::string::npos ? 0 : s + 1, e - (s == std::string::npos ? 0 : s + 1) + 1);
      if (last.rfind("processed ", 0) == 0 && s != std::string::npos && s > 0) {
        size_t s2 = log.find_last_of('\n', s - 1);
        last = log.substr(s2 == std::string::npos ? 0 : s2 + 1, s - (s2 == std::string::npos ? 0 : s2 + 1));
      }
      reason = last;
    }
  } else {
    size_t e = log.find_last_not_of(" \n\t");
    if (e != std::string::npos) {
      size_t s = log.find_last_of('\n', e);
      reason = log.substr(s == std::string::npos ? 0 : s + 1, e - (s == std::string::npos ? 0 : s + 1) + 1);
    }
  }
  if (prog.empty()) return reason;
  return "program " + prog + ": " + reason;
}

std::string explainBpfError(const std::string &what, int err) {
  int e = err < 0 ? -err : err;
  std::string msg = what + ": " + strerror(e);
  switch (e) {
    case EPERM:
    case EACCES:
      msg += ". Run as root, or grant CAP_BPF and CAP_PERFMON (sudo setcap cap_bpf,cap_perfmon+ep $(which node))";
      break;
    case ENOENT:
      msg += ". A tracepoint is missing: does the kernel have io_uring tracepoints and BTF? Run `uringscope doctor`";
      break;
    case ENOMEM:
      msg += ". The kernel refused the memory for BPF maps: lower --inflight/--ring-mb or raise the memlock limit (ulimit -l unlimited)";
      break;
    case EINVAL:
    case ENOTSUP:
      msg += ". The kernel lacks a BPF feature uringscope needs (BTF raw tracepoints, ring buffers): run `uringscope doctor`";
      break;
    default:
      break;
  }
  return msg;
}

}  // namespace us
