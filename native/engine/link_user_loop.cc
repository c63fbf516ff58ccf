// The userspace loop of the `link` and `user` strategies over a declarative
// chain (and of a replay under them): one liburing ring (EngineRing), each
// chain's next step planned from bpf/chain.h's rules; under `link` the rest
// of the chain goes into the SQ as one kernel link (IOSQE_IO_LINK: a short
// read or failure cancels the rest with -ECANCELED, which is re-planned),
// under `user` one request at a time. C policies under `user` run in
// policy_user.cc, the `bpf` strategy in bpf_strategy.cc.
#include "engine.h"
#include "engine_ring.h"
#include "sqe_prep.h"
#include "run_clock.h"
#include "stall_watch.h"
#include "targets.h"

#include <liburing.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>

#include <fcntl.h>
#include <sys/prctl.h>

#include <cerrno>
#include <cstring>
#include <algorithm>
#include <memory>
#include <vector>

extern "C" {
#include "hist.h"
#include "policy.h" /* US_UD_CANCEL_ALL */
}

namespace {

const uint32_t kCancelOp = US_OP_COUNT;  // index of ASYNC_CANCEL in the per-op counters
const uint32_t kNone = ~0u;

struct Slot {
  us_chain c;
  uint8_t *buf = nullptr;
  uint32_t outstanding = 0;  // requests of this chain in the kernel
  uint64_t startNs = 0;
  uint64_t sum = US_FNV_OFFSET;
  uint32_t issued = 0;       // bit per step: issued at least once (resubmits)
  bool active = false;
  bool waste = false;        // a link completion did not match the chain's state
  us_req req[US_MAX_STEPS];  // the request in flight per step
  iovec iov[US_MAX_STEPS];
  __kernel_timespec ts[US_MAX_STEPS];
  // Replay: the chain's records in the table, and which of them are in the
  // kernel ([rpNext, rpEnd): one request, or under `link` one link group).
  uint32_t rpChain = 0;
  uint32_t rpNext = 0;
  uint32_t rpEnd = 0;
  uint32_t rpIssued = 0;    // records issued at least once: issuing again is a resubmit
  uint32_t rpRedo = kNone;  // first in-flight record the kernel cancelled although the recording ran it
  std::vector<iovec> rpIov;  // per record of the group in flight (valid until it completes)
  std::vector<__kernel_timespec> rpTs;
};

class Engine {
 public:
  Engine(const EnginePlan &p, const std::vector<int> &fds, EngineStats *st)
      : plan_(p), fds_(fds), st_(st), nsteps_(uint32_t(p.steps.size())),
        linkMax_(p.isReplay() ? p.replay.maxGroup : nsteps_) {
    targetPaths(p, &paths_, &openFlags_);
  }

  std::string setup();
  void run(std::atomic<bool> &stop, ProgressSink *sink);
  ~Engine() {

  }

 private:
  io_uring_sqe *sqe() { return ring_.sqe(); }
  void submit(bool wait) { ring_.submit(wait); }
  bool startChain(Slot &s);
  void issue(Slot &s);
  void issueReplay(Slot &s);
  void prep(Slot &s, const us_req &r, io_uring_sqe *q, iovec *iov, __kernel_timespec *ts, uint64_t userData);
  void onCqe(io_uring_cqe *cqe);
  void onReplayCqe(Slot &s, uint32_t k, int32_t res);
  uint64_t startOffsetNs(uint64_t chain, double ratePerNs) const;
  void finishChain(Slot &s);
  void noteStall(uint64_t now);

  const EnginePlan &plan_;
  const std::vector<int> &fds_;
  EngineStats *st_;
  uint32_t nsteps_;
  uint32_t linkMax_;  // the most requests one kernel link can hold
  std::vector<std::string> paths_;  // per fd-table entry: what openat opens
  std::vector<int> openFlags_;
  EngineRing ring_{st_};
  bool fixedFiles_ = false;
  bool fixedBufs_ = false;
  std::vector<Slot> slots_;
  std::unique_ptr<uint8_t[], void (*)(void *)> arena_{nullptr, free};
  uint64_t nextChain_ = 0;
  uint64_t t0_ = 0;
  StallWatch stall_;
  uint32_t active_ = 0;
  bool stopping_ = false;
};

std::string Engine::setup() {
  uint32_t entries = plan_.ring.entries;
  uint32_t need = plan_.concurrency * linkMax_ + 1;
  if (entries < need && plan_.strategy == Strategy::Link) entries = need;  // a whole link must fit
  std::string e = ring_.init(plan_.ring, entries, entries * 2);
  if (!e.empty()) return e;
  int ret;

  size_t bufBytes = (size_t(plan_.bufferBytes) + 4095) & ~size_t(4095);  // page-aligned for O_DIRECT
  void *mem = nullptr;
  if (posix_memalign(&mem, 4096, bufBytes * plan_.concurrency)) return "cannot allocate chain buffers";
  memset(mem, 0, bufBytes * plan_.concurrency);
  arena_.reset(static_cast<uint8_t *>(mem));
  slots_.resize(plan_.concurrency);
  for (uint32_t i = 0; i < plan_.concurrency; i++) slots_[i].buf = arena_.get() + i * bufBytes;

  if (plan_.ring.registeredBuffers) {
    iovec v{arena_.get(), bufBytes * plan_.concurrency};
    ret = io_uring_register_buffers(ring_.raw(), &v, 1);
    if (ret < 0) return std::string("cannot register buffers: ") + strerror(-ret);
    fixedBufs_ = true;
  }
  if (plan_.ring.registeredFiles && !fds_.empty()) {
    ret = io_uring_register_files(ring_.raw(), fds_.data(), unsigned(fds_.size()));
    if (ret < 0) return std::string("cannot register files: ") + strerror(-ret);
    fixedFiles_ = true;
  }
  st_->usedFixedBuffers = fixedBufs_;
  if (plan_.isReplay()) {
    const std::vector<us_replay_req> &reqs = plan_.replay.reqs;
    for (size_t i = 0; i < reqs.size(); i++) {
      if (replayOpUsesFd(reqs[i].op) && reqs[i].fd >= fds_.size())
        return "replay record " + std::to_string(i) + ": fd index " + std::to_string(reqs[i].fd) + " but the plan has " +
               std::to_string(fds_.size()) + " targets";
      if (us_moves_data(reqs[i].op) && reqs[i].len > plan_.bufferBytes)
        return "replay record " + std::to_string(i) + ": " + std::to_string(reqs[i].len) + " bytes do not fit the " +
               std::to_string(plan_.bufferBytes) + "-byte buffer";
    }
    for (Slot &s : slots_) {
      s.rpIov.resize(linkMax_);
      s.rpTs.resize(linkMax_);
    }
    // Chain starts are paced to the recorded times: without this the
    // default 50 us timer slack would smear every wait.
    prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
  }
  return "";
}

bool Engine::startChain(Slot &s) {
  memset(&s.c, 0, sizeof s.c);
  s.c.index = uint32_t(nextChain_++);
  s.outstanding = 0;
  s.sum = US_FNV_OFFSET;
  s.issued = 0;
  s.active = true;
  s.waste = false;
  s.startNs = clockNs(CLOCK_MONOTONIC);
  s.rpChain = s.c.index;
  s.rpNext = s.rpEnd = s.rpIssued = 0;
  s.rpRedo = kNone;
  active_++;
  issue(s);
  return true;
}

// Issues the chain's next request (user) or the rest of it as a kernel link.
void Engine::issue(Slot &s) {
  if (plan_.isReplay()) {
    issueReplay(s);
    return;
  }
  uint32_t bufLen = plan_.bufferBytes;
  // Only a link needs a scratch copy of the chain to plan ahead in; `user`
  // plans one step from the chain itself (the copy is ~400 bytes a step).
  const bool link = plan_.strategy == Strategy::Link;
  us_chain sim;
  if (link) sim = s.c;
  const us_chain *state = link ? &sim : &s.c;
  us_req planned[US_MAX_STEPS];
  uint32_t n = 0;
  for (uint32_t i = s.c.step; i < nsteps_ && n < US_MAX_STEPS; i++) {
    // A length taken from data the link has not read yet, or an fd an openat
    // in this link has not returned yet, cannot be planned.
    if (n > 0 && plan_.steps[i].len_mode == US_LEN_HEADER) break;
    if (n > 0 && plan_.steps[i].fd_from >= int32_t(s.c.step)) break;
    int err = us_plan(plan_.steps.data(), nsteps_, state, i, s.buf, bufLen, &planned[n]);
    if (err) {
      if (n == 0) {
        s.c.status = US_CHAIN_FAILED;
        s.c.error = err;
        finishChain(s);
        return;
      }
      break;
    }
    n++;
    if (!link) break;
    // Plan the rest as if this step moved everything it asked for.
    if (us_complete(plan_.steps.data(), nsteps_, &sim, &planned[n - 1], int32_t(planned[n - 1].len)) != US_NEXT ||
        sim.step != i + 1)
      break;
  }
  for (uint32_t k = 0; k < n; k++) {
    const us_req &r = planned[k];
    io_uring_sqe *q = sqe();
    if (!q) {  // cannot happen with the ring sized for concurrency * steps
      s.c.status = US_CHAIN_FAILED;
      s.c.error = -EBUSY;
      if (s.outstanding == 0) finishChain(s);
      return;
    }
    s.req[r.step] = r;
    uint64_t ud = (uint64_t(&s - slots_.data()) << 8) | r.step;
    prep(s, r, q, &s.iov[r.step], &s.ts[r.step], ud);
    if (k + 1 < n) q->flags |= (plan_.steps[r.step].flags & US_STEP_HARDLINK) ? IOSQE_IO_HARDLINK : IOSQE_IO_LINK;
    uint32_t bit = 1u << r.step;
    if (s.issued & bit) st_->resubmits++;
    s.issued |= bit;
    s.outstanding++;
    st_->submitted[r.op]++;
  }
}

// Issues the chain's next recorded request (user), or the rest of its
// recorded link group as one kernel link (link). A replay never re-plans:
// lengths and offsets are the recorded ones, whatever earlier results were.
void Engine::issueReplay(Slot &s) {
  const ReplayChain &ch = plan_.replay.chains[s.rpChain];
  const us_replay_req *recs = plan_.replay.reqs.data() + ch.first;
  const bool link = plan_.strategy == Strategy::Link;
  uint32_t end = s.rpNext + 1;
  while (link && end < ch.count && (recs[end - 1].flags & (US_RP_LINK | US_RP_HARDLINK)) && end - s.rpNext < linkMax_)
    end++;
  const uint64_t slot = uint64_t(&s - slots_.data());
  for (uint32_t k = s.rpNext; k < end; k++) {
    const us_replay_req &rec = recs[k];
    io_uring_sqe *q = sqe();
    if (!q) {  // cannot happen with the ring sized for concurrency * the longest link
      end = k;
      break;
    }
    us_req r{};
    r.op = rec.op;
    r.len = rec.len;
    r.off = rec.off;
    r.timeout_ns = rec.op == US_OP_TIMEOUT ? rec.off : 0;
    r.flags = (rec.flags & US_RP_ASYNC) ? US_STEP_ASYNC : 0;
    r.raw_fd = replayOpUsesFd(rec.op) ? fds_[rec.fd] : -1;  // fd indexes past 255 do not fit us_req.fd
    prep(s, r, q, &s.rpIov[k - s.rpNext], &s.rpTs[k - s.rpNext], (slot << 32) | k);
    if (k + 1 < end) q->flags |= (rec.flags & US_RP_HARDLINK) ? IOSQE_IO_HARDLINK : IOSQE_IO_LINK;
    if (k < s.rpIssued) st_->resubmits++;
    st_->replayIssued++;
    st_->submitted[rec.op]++;
    s.outstanding++;
  }
  s.rpEnd = end;
  if (end > s.rpIssued) s.rpIssued = end;
  if (s.outstanding == 0) {  // nothing could be issued
    s.c.status = US_CHAIN_FAILED;
    s.c.error = -EBUSY;
    finishChain(s);
  }
}

void Engine::prep(Slot &s, const us_req &r, io_uring_sqe *q, iovec *iov, __kernel_timespec *ts, uint64_t userData) {
  int fd = r.raw_fd >= 0 ? r.raw_fd : r.fd < fds_.size() ? fds_[r.fd] : -1;
  bool fixed = fixedFiles_ && r.raw_fd < 0;
  int fdArg = fixed ? int(r.fd) : fd;
  uint8_t *p = s.buf + r.buf_off;
  // Under `link`, a short send/recv must break the link as a short read
  // does, so the rest is re-planned from what really moved.
  int msgFlags = (r.flags & US_STEP_DONTWAIT) ? MSG_DONTWAIT : 0;
  if (plan_.strategy == Strategy::Link && !(r.flags & US_STEP_DONTWAIT)) msgFlags |= MSG_WAITALL;
  SqeArgs x;
  x.op = r.op;
  x.fd = r.op == US_OP_CLOSE ? fd : fdArg;
  x.fixedFile = fixed;
  x.buf = p;
  x.len = r.len;
  x.off = r.off;
  x.fixedBuf = fixedBufs_;
  x.msgFlags = msgFlags;
  x.timeoutNs = r.timeout_ns;
  x.path = r.op == US_OP_OPENAT ? paths_[r.fd].c_str() : nullptr;
  x.openFlags = r.op == US_OP_OPENAT ? openFlags_[r.fd] : 0;
  x.iov = iov;
  x.ts = ts;
  prepSqe(q, x);
  // A timeout completes only when it fires: waiting for it is no stall.
  if (r.op == US_OP_TIMEOUT) stall_.expectQuietUntil(clockNs(CLOCK_MONOTONIC) + r.timeout_ns);
  if (r.flags & US_STEP_ASYNC) q->flags |= IOSQE_ASYNC;
  io_uring_sqe_set_data64(q, userData);
}

void Engine::onCqe(io_uring_cqe *cqe) {
  uint64_t ud = io_uring_cqe_get_data64(cqe);
  int32_t res = cqe->res;
  if (ud == US_UD_CANCEL_ALL) {
    st_->completed[kCancelOp]++;
    return;
  }
  if (plan_.isReplay()) {
    onReplayCqe(slots_[ud >> 32], uint32_t(ud), res);
    return;
  }
  Slot &s = slots_[ud >> 8];
  uint32_t step = uint32_t(ud & 0xff);
  const us_req &r = s.req[step];
  st_->completed[r.op]++;
  s.outstanding--;

  if (res == -ECANCELED) {
    st_->cancelled++;  // a broken link (or our stop): re-planned below
  } else if (s.c.status == US_CHAIN_RUNNING && !stopping_) {
    if (step != s.c.step) {
      s.waste = true;  // planned from a state the chain did not reach
    } else {
      if (res > 0 && us_moves_data(r.op)) {
        st_->bytes += uint64_t(res);
        if (plan_.checksum && (r.op == US_OP_READ || r.op == US_OP_READV || r.op == US_OP_RECV)) {
          const uint8_t *p = s.buf + r.buf_off;
          uint64_t h = s.sum;
          for (int32_t i = 0; i < res; i++) h = (h ^ p[i]) * US_FNV_PRIME;
          s.sum = h;
        }
      }
      uint64_t before = s.c.steps_done;
      us_complete(plan_.steps.data(), nsteps_, &s.c, &r, res);
      st_->steps += s.c.steps_done - before;
    }
  }
  if (s.outstanding > 0) return;
  if (s.c.status == US_CHAIN_RUNNING && !stopping_) {
    issue(s);
    return;
  }
  finishChain(s);
}

// Every recorded request is issued once, whatever its result: a replay
// reproduces the stream, it does not retry. The one exception is a request
// the kernel cancelled because its link broke here but not in the recording:
// it never ran, so the rest of its group goes again as a link (a resubmit).
void Engine::onReplayCqe(Slot &s, uint32_t k, int32_t res) {
  const us_replay_req &rec = plan_.replay.reqs[plan_.replay.chains[s.rpChain].first + k];
  st_->completed[rec.op]++;
  s.outstanding--;
  bool redo = false;
  if (res == -ECANCELED) {
    st_->cancelled++;
    redo = !(rec.flags & US_RP_CANCELLED) && !stopping_;
    if (redo && k < s.rpRedo) s.rpRedo = k;
  } else {
    st_->steps++;
    if (res > 0 && us_moves_data(rec.op)) st_->bytes += uint64_t(res);
  }
  if (!redo && res != rec.res) st_->replayDiffer++;
  if (s.outstanding > 0) return;
  if (stopping_) {
    finishChain(s);  // still RUNNING: counted as interrupted
    return;
  }
  s.rpNext = s.rpRedo != kNone ? s.rpRedo : s.rpEnd;
  s.rpRedo = kNone;
  if (s.rpNext < plan_.replay.chains[s.rpChain].count) {
    issue(s);
    return;
  }
  s.c.status = US_CHAIN_DONE;
  finishChain(s);
}

// When chain `chain` may start, after the run's start: the recorded (scaled)
// time for a replay, the rate's schedule otherwise.
uint64_t Engine::startOffsetNs(uint64_t chain, double ratePerNs) const {
  if (plan_.isReplay()) return chain < plan_.replay.chains.size() ? plan_.replay.chains[chain].startNs : 0;
  return uint64_t(double(chain) / ratePerNs);
}

void Engine::finishChain(Slot &s) {
  if (!s.active) return;
  s.active = false;
  active_--;
  st_->retries += s.c.retries;
  if (s.c.status == US_CHAIN_DONE) {
    st_->chains++;
    st_->readChecksum += s.sum;
    uint64_t lat = clockNs(CLOCK_MONOTONIC) - s.startNs;
    st_->latHist[us_hist_bucket(lat)]++;
    if (lat > st_->latMaxNs) st_->latMaxNs = lat;
  } else if (s.c.status == US_CHAIN_FAILED) {
    st_->chainsFailed++;
    if (!st_->firstError) st_->firstError = s.c.error;
  } else {
    st_->chainsInterrupted++;
  }
}

// Nothing completed for StallWatch::kQuietNs with chains in flight: says
// what the run waits for (EngineStats::stall), cancels it and stops.
void Engine::noteStall(uint64_t now) {
  stall_.report(st_, now, t0_, slots_, [](const Slot &s) { return s.c.index; });
  stopping_ = true;
  ring_.cancelAll();
}

void Engine::run(std::atomic<bool> &stop, ProgressSink *sink) {
  RunClock clock;
  t0_ = clock.startNs();
  uint64_t nextProgress = t0_ + uint64_t(plan_.progressMs) * 1000000ull;
  double ratePerNs = plan_.rate > 0 ? plan_.rate / 1e9 : 0;

  // A replay is paced unless every chain starts at 0 (--speed 0).
  const bool paced = ratePerNs > 0 || (plan_.isReplay() && !plan_.replay.chains.empty() &&
                                       plan_.replay.chains.back().startNs > 0);
  const bool timed = plan_.durationNs || paced;
  bool gaveUp = false;
  for (;;) {
    // The clock only matters for duration and rate: skip the call otherwise.
    uint64_t now = timed ? clockNs(CLOCK_MONOTONIC) : t0_;
    if (!stopping_ && stop.load(std::memory_order_relaxed)) {
      stopping_ = true;
      st_->stopReason = "signal";
      if (active_) ring_.cancelAll();
    }
    bool timeUp = plan_.durationNs && now - t0_ >= plan_.durationNs;
    if (timeUp && st_->stopReason == "completed") st_->stopReason = "duration";
    bool more = !stopping_ && !timeUp && (plan_.durationNs || nextChain_ < plan_.chains);
    uint64_t waitUntil = 0;
    if (more) {
      for (Slot &s : slots_) {
        if (active_ >= plan_.concurrency || !more) break;
        if (s.active) continue;
        if (paced) {
          uint64_t due = t0_ + startOffsetNs(nextChain_, ratePerNs);
          if (due > now) {
            waitUntil = due;
            break;
          }
        }
        startChain(s);
        more = plan_.durationNs || nextChain_ < plan_.chains;
      }
    }
    if (active_ == 0 && (!more || stopping_)) break;

    if (!ring_.ready()) {
      if (waitUntil && active_ == 0) {
        stall_.idle();
        submit(false);
        timespec ts{time_t((waitUntil - now) / 1000000000ull), long((waitUntil - now) % 1000000000ull)};
        nanosleep(&ts, nullptr);
        continue;
      }
      // Chains are in flight: wait for a completion, but never forever.
      uint64_t t = clockNs(CLOCK_MONOTONIC);
      uint64_t left = stall_.left(ring_.reaped(), t);
      if (left == 0) {
        if (stall_.isStalled()) {
          gaveUp = true;  // even the cancel did not complete: report what is known
          break;
        }
        noteStall(t);
        continue;
      }
      if (waitUntil || plan_.durationNs || plan_.progressMs) {
        // Wake up for the next chain start, the end of the run or progress.
        uint64_t ns = waitUntil ? (waitUntil > t ? waitUntil - t : 0) : 50000000ull;
        ring_.waitFor(std::min(ns, left));
      } else {
        ring_.submitAndWaitFor(left);
      }
    } else {
      submit(false);
    }
    ring_.reap([this](io_uring_cqe *cqe) { onCqe(cqe); });

    if (sink && plan_.progressMs && clockNs(CLOCK_MONOTONIC) >= nextProgress) {
      sink->progress(*st_);
      nextProgress += uint64_t(plan_.progressMs) * 1000000ull;
    }
  }
  // Reap the cancel request's own completion, if any is left.
  if (!gaveUp)
    ring_.drain([this] { return st_->completed[kCancelOp] < st_->submitted[kCancelOp]; },
                [this](io_uring_cqe *c) { onCqe(c); }, StallWatch::kGraceNs);
  clock.stop(st_);
}

}  // namespace

const char *kernelOpName(int op, bool fixedBuffers) {
  switch (op) {
    case US_OP_NOP: return "NOP";
    case US_OP_READ: return fixedBuffers ? "READ_FIXED" : "READ";
    case US_OP_WRITE: return fixedBuffers ? "WRITE_FIXED" : "WRITE";
    case US_OP_READV: return "READV";
    case US_OP_WRITEV: return "WRITEV";
    case US_OP_SEND: return "SEND";
    case US_OP_RECV: return "RECV";
    case US_OP_TIMEOUT: return "TIMEOUT";
    case US_OP_POLL: return "POLL_ADD";
    case US_OP_FSYNC: return "FSYNC";
    case US_OP_OPENAT: return "OPENAT";
    case US_OP_CLOSE: return "CLOSE";
    case US_OP_COUNT: return "ASYNC_CANCEL";
  }
  return "UNKNOWN";
}

std::string runEngine(const EnginePlan &plan, const std::vector<int> &fds, std::atomic<bool> &stop,
                      ProgressSink *sink, EngineStats *out) {
  Engine e(plan, fds, out);
  std::string err = e.setup();
  if (!err.empty()) return err;
  e.run(stop, sink);
  return "";
}
