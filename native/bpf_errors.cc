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

std::string lastLogLine(const std::string &log) {
  size_t end = log.find_last_not_of(" \n\t");
  if (end == std::string::npos) return "";
  size_t start = log.find_last_of('\n', end);
  start = start == std::string::npos ? 0 : start + 1;
  return log.substr(start, end - start + 1);
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
      msg += ". A tracepoint is missing: is tracefs mounted (mount -t tracefs nodev /sys/kernel/tracing) and does the kernel have io_uring tracepoints? Run `uringscope doctor`";
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
