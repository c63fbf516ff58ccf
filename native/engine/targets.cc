#include "targets.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

OpenTargets::~OpenTargets() { closeAll(); }

void OpenTargets::closeAll() {
  for (int fd : fds)
    if (fd >= 0) close(fd);
  fds.clear();
  for (auto &p : created) unlink(p.c_str());
  created.clear();
}

namespace {

// xorshift64*: deterministic content from a seed, cheap to generate.
struct Prng {
  uint64_t s;
  explicit Prng(uint64_t seed) : s(seed ? seed : 0x9E3779B97F4A7C15ULL) {}
  uint64_t next() {
    s ^= s >> 12;
    s ^= s << 25;
    s ^= s >> 27;
    return s * 2685821657736338717ULL;
  }
};

std::string errnoText(int e) { return std::string(strerror(e)); }

// Set by the engine's signal handler: a long scratch write stops within a
// piece (1 MiB), so Ctrl-C during a run's setup takes effect at once.
const std::atomic<bool> *gWriteStop = nullptr;
const char kInterrupted[] = "interrupted (stop requested while it was written)";

std::string writeAll(int fd, const uint8_t *data, size_t size, uint64_t at) {
  size_t done = 0;
  while (done < size) {
    if (gWriteStop && gWriteStop->load()) return kInterrupted;
    ssize_t n = pwrite(fd, data + done, std::min<size_t>(size - done, 1 << 20), off_t(at + done));
    if (n < 0) {
      if (errno == EINTR) continue;
      return errnoText(errno);
    }
    done += size_t(n);
  }
  return "";
}

// Random content: 8 PRNG bytes per word, one PRNG byte per byte of a tail.
// Generated in pieces (a multiple of 8 bytes, except the last) so a large
// file (a replay's scratch copy of a recorded one) never sits in memory.
void randomBytes(Prng &r, uint8_t *p, size_t n) {
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t v = r.next();
    memcpy(p + i, &v, 8);
  }
  for (; i < n; i++) p[i] = uint8_t(r.next());
}

std::string writeRandom(int fd, const TargetPlan &t) {
  const size_t piece = 1 << 20;
  std::vector<uint8_t> buf(piece);
  Prng r(t.seed);
  for (uint64_t at = 0; at < t.size; at += piece) {
    size_t n = size_t(std::min<uint64_t>(piece, t.size - at));
    randomBytes(r, buf.data(), n);
    std::string err = writeAll(fd, buf.data(), n, at);
    if (!err.empty()) return err;
  }
  return "";
}

std::string tcpPair(int *a, int *b) {
  int l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (l < 0) return errnoText(errno);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  std::string err;
  if (bind(l, reinterpret_cast<sockaddr *>(&addr), sizeof addr) || listen(l, 1) ||
      getsockname(l, reinterpret_cast<sockaddr *>(&addr), &len)) {
    err = errnoText(errno);
    close(l);
    return err;
  }
  *a = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (*a < 0 || connect(*a, reinterpret_cast<sockaddr *>(&addr), sizeof addr)) {
    err = errnoText(errno);
    if (*a >= 0) close(*a);
    close(l);
    return err;
  }
  *b = accept4(l, nullptr, nullptr, SOCK_CLOEXEC);
  if (*b < 0) err = errnoText(errno);
  close(l);
  int one = 1;
  // Ping-pong of small messages: do not wait for Nagle.
  setsockopt(*a, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (*b >= 0) setsockopt(*b, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return err;
}

}  // namespace

void fillContent(const TargetPlan &t, std::vector<uint8_t> *out) {
  out->assign(t.size, 0);
  Prng r(t.seed);
  if (t.content == "random") {
    randomBytes(r, out->data(), out->size());
  } else if (t.content == "records" && t.recordMaxBody > 0) {
    // Record i at i * (4 + maxBody): u32 LE body length (1..maxBody), body.
    size_t slot = 4 + size_t(t.recordMaxBody);
    for (uint32_t i = 0; i < t.recordCount && (i + 1) * slot <= out->size(); i++) {
      uint32_t len = 1 + uint32_t(r.next() % t.recordMaxBody);
      uint8_t *p = out->data() + i * slot;
      p[0] = uint8_t(len);
      p[1] = uint8_t(len >> 8);
      p[2] = uint8_t(len >> 16);
      p[3] = uint8_t(len >> 24);
      for (uint32_t k = 0; k < len; k++) p[4 + k] = uint8_t(r.next() >> 32);
    }
  }
}

std::string openTargets(const EnginePlan &plan, OpenTargets *o, const std::atomic<bool> *stop) {
  gWriteStop = stop;
  for (const TargetPlan &t : plan.targets) {
    std::string err;
    if (t.kind == "file") {
      int flags = O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC | (t.direct ? O_DIRECT : 0);
      int fd = open(t.path.c_str(), flags, 0644);
      if (fd < 0) {
        err = "cannot create " + t.path + ": " + errnoText(errno);
      } else {
        o->fds.push_back(fd);
        o->created.push_back(t.path);
        if (t.size) {
          std::vector<uint8_t> data;
          if (t.content != "random") fillContent(t, &data);
          // O_DIRECT needs aligned buffers: write the content through a
          // second, buffered descriptor.
          int wfd = t.direct ? open(t.path.c_str(), O_WRONLY | O_CLOEXEC) : fd;
          std::string werr = wfd < 0           ? errnoText(errno)
                             : t.content == "random" ? writeRandom(wfd, t)
                                                     : writeAll(wfd, data.data(), data.size(), 0);
          if (t.direct && wfd >= 0) close(wfd);
          if (werr.empty() && fsync(fd) && errno != EINVAL) werr = errnoText(errno);
          if (!werr.empty()) err = "cannot fill " + t.path + ": " + werr;
        }
      }
    } else if (t.kind == "path") {
      // Someone else's file: read-only here and in targetPaths (openat), never in `created`,
      // so it is never created, truncated, written or removed (test/plan-injection.test.ts).
      int fd = open(t.path.c_str(), O_RDONLY | O_CLOEXEC);
      if (fd < 0) err = "cannot open " + t.path + ": " + errnoText(errno);
      else o->fds.push_back(fd);
    } else if (t.kind == "socketpair" || t.kind == "pipe" || t.kind == "tcp") {
      int p[2] = {-1, -1};
      if (t.kind == "socketpair") {
        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, p)) err = errnoText(errno);
      } else if (t.kind == "pipe") {
        int q[2];
        if (pipe2(q, O_CLOEXEC)) err = errnoText(errno);
        else {
          p[0] = q[1];  // a = write end
          p[1] = q[0];  // b = read end
        }
      } else {
        err = tcpPair(&p[0], &p[1]);
      }
      if (!err.empty()) err = "cannot create " + t.kind + " " + t.name + ": " + err;
      o->fds.push_back(p[0]);
      o->fds.push_back(p[1]);
    } else {
      err = "unknown target kind " + t.kind;
    }
    if (!err.empty()) {
      o->closeAll();
      return "target " + t.name + ": " + err;
    }
  }
  return "";
}

bool fileChecksum(const std::string &path, uint64_t *sum, uint64_t *size) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  uint64_t h = US_FNV_OFFSET, n = 0;
  uint8_t buf[1 << 16];
  ssize_t r;
  while ((r = read(fd, buf, sizeof buf)) > 0) {
    for (ssize_t i = 0; i < r; i++) h = (h ^ buf[i]) * US_FNV_PRIME;
    n += uint64_t(r);
  }
  close(fd);
  *sum = h;
  *size = n;
  return r == 0;
}

void targetPaths(const EnginePlan &plan, std::vector<std::string> *paths, std::vector<int> *flags) {
  for (const TargetPlan &t : plan.targets) {
    if (t.kind == "file" || t.kind == "path") {
      paths->push_back(t.path);
      flags->push_back((t.kind == "file" ? O_RDWR : O_RDONLY) | O_CLOEXEC);
    } else {
      for (int end = 0; end < 2; end++) {
        paths->push_back("");
        flags->push_back(0);
      }
    }
  }
}
