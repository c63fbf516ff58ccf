// Strategy `user` with a C policy (--policy): the policy, compiled natively
// (native/policy/runtime.c, loaded with dlopen), is called for every CQE this
// thread reaps; the same bookkeeping as in the kernel (bpf/policy_runtime.h,
// inside the shared object) decides when a chain is over; this file moves the
// requests the policy queued into the ring. Before anything runs, the BPF
// build of the same policy goes through the verifier (verifyPolicy), so a
// policy that could write out of bounds or loop forever runs under neither
// strategy.
#include "policy_user.h"

#include <dlfcn.h>
#include <liburing.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <vector>

#include "bpf_strategy.h"
#include "error_line.h"
#include "engine_ring.h"
#include "stall_watch.h"
#include "policy_names.h"
#include "run_clock.h"
#include "sqe_prep.h"
#include "targets.h"

extern "C" {
#include "hist.h"
#include "policy.h"
#define US_API_TYPES_ONLY
#include "uringscope.h"
}

namespace {

// The policy did what C leaves undefined (native/policy/runtime.c's checks):
// say which line, then exit; uringscope removes the run directory as after
// any engine error. Nothing else can continue: the next instruction traps.
void onPolicyFatal(const char *file, uint32_t line, uint32_t column, const char *what) {
  const char *base = strrchr(file, '/');
  std::string src = base ? base + 1 : file;
  printError(src + ":" + std::to_string(line) + ":" + std::to_string(column) + ": the policy " + what +
             " (C leaves x / 0 undefined, BPF makes it 0): test the divisor first");
  _exit(1);
}



// The shared object's entry points (native/policy/runtime.c).
struct NativePolicy {
  void *handle = nullptr;
  void (*init)(uint8_t *, uint32_t, uint32_t) = nullptr;
  uint32_t (*ctxSize)() = nullptr;
  void (*begin)(us_ctx *, uint32_t, uint32_t) = nullptr;
  void (*complete)(us_ctx *, uint32_t, int32_t, uint32_t) = nullptr;
  void (*issued)(us_ctx *, const us_action *) = nullptr;
  bool (*over)(us_ctx *) = nullptr;
  const uint64_t *(*stats)() = nullptr;
  void (*setInput)(const void *, const uint32_t *, uint32_t) = nullptr;
  void (*setStart)(uint64_t) = nullptr;
  std::vector<std::string> statNames;

  ~NativePolicy() {
    if (handle) dlclose(handle);
  }

  std::string open(const std::string &path, const std::string &name) {
    handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!handle) return "cannot load policy " + name + " (native build): " + dlerror();
    bool ok = sym(&init, "us_native_init") && sym(&ctxSize, "us_native_ctx_size") && sym(&begin, "us_native_begin") &&
              sym(&complete, "us_native_complete") && sym(&issued, "us_native_issued") &&
              sym(&over, "us_native_over") && sym(&stats, "us_native_stats") &&
              sym(&setInput, "us_native_set_input") && sym(&setStart, "us_native_set_start");
    if (!ok) return "policy " + name + ": its native build lacks the runtime (build it with scripts/build-policy.sh)";
    if (ctxSize() != sizeof(us_ctx)) return "policy " + name + " was built against another bpf/uringscope.h: rebuild it";
    if (auto *names = static_cast<const char *>(dlsym(handle, "us_stat_names"))) statNames = splitStatNames(names);
    using OnFatal = void (*)(void (*)(const char *, uint32_t, uint32_t, const char *));
    if (auto onFatal = reinterpret_cast<OnFatal>(dlsym(handle, "us_native_on_fatal"))) onFatal(onPolicyFatal);
    return "";
  }

 private:
  template <class F>
  bool sym(F *f, const char *n) {
    *f = reinterpret_cast<F>(dlsym(handle, n));
    return *f != nullptr;
  }
};

struct Slot {
  us_ctx *c = nullptr;
  uint8_t *buf = nullptr;
  uint64_t startNs = 0;
  uint64_t sum = US_FNV_OFFSET;
  bool active = false;
  bool unsettled = false;  // over, but settle() stopped at its batch limit
  iovec iov[US_MAX_TAGS];
  __kernel_timespec ts[US_MAX_TAGS];
};

class PolicyRun {
 public:
  PolicyRun(const EnginePlan &p, const std::vector<int> &fds, EngineStats *st) : plan_(p), fds_(fds), st_(st) {
    targetPaths(p, &paths_, &openFlags_);
  }
  std::string setup();
  void run(std::atomic<bool> &stop, ProgressSink *sink);

 private:
  io_uring_sqe *sqe() { return ring_.sqe(); }
  void submit(bool wait) { ring_.submit(wait); }
  void begin(Slot &s);
  bool more() const;
  void post(Slot &s);
  void onCqe(io_uring_cqe *cqe);
  void settle(Slot &s);
  void finishChain(Slot &s);
  void collect();
  void noteStall(uint64_t now, uint64_t t0);

  const EnginePlan &plan_;
  const std::vector<int> &fds_;
  EngineStats *st_;
  ProgressSink *sink_ = nullptr;
  NativePolicy pol_;
  std::vector<std::string> paths_;
  std::vector<int> openFlags_;
  EngineRing ring_{st_};
  bool fixedBufs_ = false;
  std::vector<Slot> slots_;
  std::unique_ptr<uint8_t[], void (*)(void *)> bufs_{nullptr, free};
  std::vector<uint8_t> ctxs_;
  std::vector<uint32_t> inputIndex_;
  uint64_t nextChain_ = 0;
  uint32_t active_ = 0;
  uint32_t unsettled_ = 0;
  StallWatch stall_;
  bool stopping_ = false;  // a signal or a stall: cancel what is in flight, issue nothing more
  bool noMore_ = false;    // a signal or the duration: start no more chains
  uint64_t emits_ = 0, cancels_ = 0, issued_ = 0, budgetStops_ = 0;
};

std::string PolicyRun::setup() {
  std::string e = pol_.open(plan_.policy.nativeObject, plan_.policy.name);
  if (!e.empty()) return e;
  uint32_t conc = plan_.concurrency;
  uint32_t entries = plan_.ring.entries;
  if (!plan_.ring.exactEntries && entries < 2 * conc + 2) entries = 2 * conc + 2;
  e = ring_.init(plan_.ring, entries, entries * US_MAX_TAGS);  // every tag of every chain may be in flight
  if (!e.empty()) return e;
  int r;

  size_t bufBytes = (size_t(plan_.bufferBytes) + 4095) & ~size_t(4095);
  void *mem = nullptr;
  if (posix_memalign(&mem, 4096, bufBytes * conc)) return "cannot allocate chain buffers";
  memset(mem, 0, bufBytes * conc);
  bufs_.reset(static_cast<uint8_t *>(mem));
  ctxs_.assign(sizeof(us_ctx) * conc, 0);
  slots_.resize(conc);
  for (uint32_t i = 0; i < conc; i++) {
    slots_[i].c = reinterpret_cast<us_ctx *>(ctxs_.data() + i * sizeof(us_ctx));
    slots_[i].buf = bufs_.get() + i * bufBytes;
  }
  if (plan_.ring.registeredBuffers) {  // as under bpf: all chain buffers are fixed buffer 0
    iovec v{bufs_.get(), bufBytes * conc};
    r = io_uring_register_buffers(ring_.raw(), &v, 1);
    if (r < 0) return std::string("cannot register buffers: ") + strerror(-r);
    fixedBufs_ = true;
    st_->usedFixedBuffers = true;
  }
  pol_.init(bufs_.get(), uint32_t(bufBytes), plan_.bufferBytes);
  if (plan_.isReplay()) {  // per-chain input, as the BPF runtime gets it in maps
    for (const ReplayChain &c : plan_.replay.chains) {
      inputIndex_.push_back(c.first);
      inputIndex_.push_back(c.count);
    }
    pol_.setInput(plan_.replay.reqs.data(), inputIndex_.data(), uint32_t(plan_.replay.chains.size()));
  }
  return "";
}

void PolicyRun::begin(Slot &s) {
  s.active = true;
  s.startNs = clockNs(CLOCK_MONOTONIC);
  s.sum = US_FNV_OFFSET;
  active_++;
  pol_.begin(s.c, uint32_t(&s - slots_.data()), uint32_t(nextChain_++));
  post(s);
}

bool PolicyRun::more() const { return !noMore_ && (plan_.durationNs || nextChain_ < plan_.chains); }

// Moves what the policy queued into the ring. A link never reaches past the
// batch: it would join the next chain's request.
void PolicyRun::post(Slot &s) {
  us_ctx *c = s.c;
  uint32_t slot = uint32_t(&s - slots_.data());
  uint32_t lastIssue = US_MAX_ACTIONS;
  for (uint32_t i = c->posted; i < c->nact && i < US_MAX_ACTIONS; i++)
    if (c->act[i].kind == US_ACT_ISSUE) lastIssue = i;
  for (uint32_t i = c->posted; i < c->nact && i < US_MAX_ACTIONS; i++) {
    us_action &a = c->act[i];
    if (a.kind == US_ACT_EMIT) {
      emits_++;
      if (sink_) sink_->emit(c->chain, a.emit_kind, a.a, a.b);
      continue;
    }
    if (a.kind == US_ACT_ISSUE && (c->status != US_CHAIN_RUNNING || stopping_)) continue;
    // The run's step budget, as in the kernel: a policy that never ends its
    // chains is stopped, not left to spin.
    if (a.kind == US_ACT_ISSUE && plan_.stepBudget && issued_ >= plan_.stepBudget) {
      budgetStops_++;
      noMore_ = true;
      c->status = US_CHAIN_FAILED;
      c->error = -EBUSY;
      continue;
    }
    if (a.kind == US_ACT_ISSUE && us_moves_data(a.q.op) &&
        (a.q.buf_off > plan_.bufferBytes || a.q.len > plan_.bufferBytes - a.q.buf_off)) {
      c->status = US_CHAIN_FAILED;  // as in the kernel: the data would not fit the chain's buffer
      c->error = -EOVERFLOW;
      continue;
    }
    io_uring_sqe *q = sqe();
    if (!q) {  // cannot happen: the SQ was just flushed
      c->status = US_CHAIN_FAILED;
      c->error = -EBUSY;
      continue;
    }
    if (a.kind == US_ACT_CANCEL) {
      io_uring_prep_cancel64(q, (uint64_t(slot) << 8) | a.q.tag, IORING_ASYNC_CANCEL_ALL);
      io_uring_sqe_set_data64(q, US_UD(slot, US_TAG_CANCEL));
      st_->submitted[US_OP_COUNT]++;
      cancels_++;
      continue;
    }
    const us_sqe &r = a.q;
    uint32_t tag = r.tag & (US_MAX_TAGS - 1);
    bool raw = r.flags & US_FD_RAW;
    SqeArgs x;
    x.op = r.op;
    x.fd = raw ? r.fd : (r.fd >= 0 && size_t(r.fd) < fds_.size() ? fds_[r.fd] : -1);
    x.buf = s.buf + (r.buf_off <= plan_.bufferBytes ? r.buf_off : 0);
    x.len = r.len;
    x.fixedBuf = fixedBufs_;
    x.off = r.op == US_OP_TIMEOUT ? 0 : r.off;
    x.timeoutNs = r.op == US_OP_TIMEOUT ? r.off : 0;
    x.msgFlags = (r.flags & US_DONTWAIT) ? MSG_DONTWAIT : 0;
    x.path = !raw && r.fd >= 0 && size_t(r.fd) < paths_.size() ? paths_[r.fd].c_str() : "";
    x.openFlags = !raw && r.fd >= 0 && size_t(r.fd) < openFlags_.size() ? openFlags_[r.fd] : 0;
    x.iov = &s.iov[tag];
    x.ts = &s.ts[tag];
    prepSqe(q, x);
    // A timeout completes only when it fires: waiting for it is no stall.
    if (r.op == US_OP_TIMEOUT) stall_.expectQuietUntil(clockNs(CLOCK_MONOTONIC) + r.off);
    if (r.flags & US_ASYNC) q->flags |= IOSQE_ASYNC;
    if (i != lastIssue) {
      if (r.flags & US_IO_HARDLINK) q->flags |= IOSQE_IO_HARDLINK;
      else if (r.flags & US_IO_LINK) q->flags |= IOSQE_IO_LINK;
    }
    io_uring_sqe_set_data64(q, (uint64_t(slot) << 8) | tag);
    pol_.issued(c, &a);
    issued_++;
    st_->submitted[r.op < US_OP_COUNT ? r.op : 0]++;
  }
  c->posted = c->nact;
}

// A chain that is over is accounted and its slot starts the next one
// (bounded: a policy whose chains issue nothing ends them at once).
void PolicyRun::settle(Slot &s) {
  if (s.unsettled) {
    s.unsettled = false;
    unsettled_--;
  }
  for (int guard = 0; s.active && pol_.over(s.c); guard++) {
    if (guard == 1000) {  // the run loop comes back to it (and checks the clock meanwhile)
      s.unsettled = true;
      unsettled_++;
      return;
    }
    finishChain(s);
    if (!more()) return;
    begin(s);
  }
}

void PolicyRun::finishChain(Slot &s) {
  if (!s.active) return;
  s.active = false;
  active_--;
  us_ctx *c = s.c;
  if (c->status == US_CHAIN_DONE) {
    st_->chains++;
    st_->readChecksum += s.sum;
    uint64_t lat = clockNs(CLOCK_MONOTONIC) - s.startNs;
    st_->latHist[us_hist_bucket(lat)]++;
    if (lat > st_->latMaxNs) st_->latMaxNs = lat;
  } else if (stopping_ && c->error == -ECANCELED) {
    st_->chainsInterrupted++;
  } else {
    st_->chainsFailed++;
    if (!st_->firstError) st_->firstError = c->error;
  }
}

void PolicyRun::onCqe(io_uring_cqe *cqe) {
  uint64_t ud = io_uring_cqe_get_data64(cqe);
  int32_t res = cqe->res;
  if (ud == US_UD_CANCEL_ALL || (ud & 0xff) == US_TAG_CANCEL) {
    st_->completed[US_OP_COUNT]++;
    return;
  }
  Slot &s = slots_[ud >> 8];
  uint32_t tag = uint32_t(ud & 0xff) & (US_MAX_TAGS - 1);
  us_ctx *c = s.c;
  const us_sqe &q = c->req[tag];
  st_->completed[q.op < US_OP_COUNT ? q.op : 0]++;
  if (res > 0 && us_moves_data(q.op)) {
    st_->bytes += uint64_t(res);
    if (plan_.checksum && c->status == US_CHAIN_RUNNING &&
        (q.op == US_OP_READ || q.op == US_OP_READV || q.op == US_OP_RECV)) {
      const uint8_t *p = s.buf + q.buf_off;
      uint64_t h = s.sum;
      for (int32_t i = 0; i < res && q.buf_off + uint32_t(i) < plan_.bufferBytes; i++) h = (h ^ p[i]) * US_FNV_PRIME;
      s.sum = h;
    }
  }
  if (res == -ECANCELED) {
    st_->cancelled++;
    if (stopping_ && c->status == US_CHAIN_RUNNING) {  // our stop: interrupted, the policy not asked
      c->status = US_CHAIN_FAILED;
      c->error = res;
    }
  }
  uint32_t before = c->completions;
  pol_.complete(c, tag, res, cqe->flags);
  st_->steps += c->completions - before;
  post(s);
  settle(s);
}

void PolicyRun::collect() {
  const uint64_t *stats = pol_.stats();
  for (size_t i = 0; i < pol_.statNames.size() && i < US_MAX_STATS; i++)
    st_->policy["stat." + pol_.statNames[i]] = stats[i];
  st_->policy["emits"] = emits_;
  st_->policy["policyCancels"] = cancels_;
  st_->policy["budgetStops"] = budgetStops_;
}

// Nothing completed for StallWatch::kQuietNs with chains in flight: says
// what the run waits for (EngineStats::stall), cancels it and stops.
void PolicyRun::noteStall(uint64_t now, uint64_t t0) {
  stall_.report(st_, now, t0, slots_, [](const Slot &s) { return s.c->chain; });
  stopping_ = noMore_ = true;
  ring_.cancelAll();
}

void PolicyRun::run(std::atomic<bool> &stop, ProgressSink *sink) {
  sink_ = sink;
  RunClock clock;
  uint64_t t0 = clock.startNs();
  pol_.setStart(t0);
  uint64_t nextProgress = t0 + uint64_t(plan_.progressMs) * 1000000ull;
  bool gaveUp = false;
  for (;;) {
    uint64_t now = clockNs(CLOCK_MONOTONIC);
    if (!stopping_ && stop.load(std::memory_order_relaxed)) {
      stopping_ = noMore_ = true;
      st_->stopReason = "signal";
      if (active_) ring_.cancelAll();
    }
    bool timeUp = plan_.durationNs && now - t0 >= plan_.durationNs;
    if (timeUp && !noMore_) {
      noMore_ = true;  // chains in flight finish; no new ones
      st_->stopReason = "duration";
    }
    // Start chains in idle slots, and go on with slots settle() left in
    // the middle of a batch of chains that ended at once.
    bool moved = false;
    if ((active_ < slots_.size() && more()) || unsettled_) {
      for (Slot &s : slots_) {
        if (!s.active && more()) {
          begin(s);
          settle(s);
          moved = true;
        } else if (s.unsettled) {
          settle(s);
          moved = true;
        }
      }
    }
    if (active_ == 0) break;
    if (moved && !ring_.ready()) {
      submit(false);  // what the new chains queued; maybe nothing is in flight to wait for
      continue;
    }
    if (!ring_.ready()) {
      // Chains are in flight: wait for a completion, but never forever.
      uint64_t left = stall_.left(ring_.reaped(), now);
      if (left == 0) {
        if (stall_.isStalled()) {
          gaveUp = true;  // even the cancel did not complete: report what is known
          break;
        }
        noteStall(now, t0);
        continue;
      }
      if (plan_.durationNs || plan_.progressMs) ring_.waitFor(std::min<uint64_t>(50000000ull, left));  // wake for the end or progress
      else ring_.submitAndWaitFor(left);
    } else {
      submit(false);
    }
    ring_.reap([this](io_uring_cqe *cqe) { onCqe(cqe); });
    if (sink && plan_.progressMs && clockNs(CLOCK_MONOTONIC) >= nextProgress) {
      collect();
      sink->progress(*st_);
      nextProgress += uint64_t(plan_.progressMs) * 1000000ull;
    }
  }
  if (!gaveUp)
    ring_.drain([this] { return st_->completed[US_OP_COUNT] < st_->submitted[US_OP_COUNT]; },
              [this](io_uring_cqe *c) { onCqe(c); }, StallWatch::kGraceNs);
  if (budgetStops_) st_->stopReason = "budget";
  clock.stop(st_);
  collect();
}

}  // namespace

std::string runPolicyUser(const EnginePlan &plan, const std::vector<int> &fds, std::atomic<bool> &stop,
                          ProgressSink *sink, EngineStats *out) {
  std::string e = verifyPolicy(plan, fds);
  if (!e.empty()) return e;
  PolicyRun r(plan, fds, out);
  e = r.setup();
  if (!e.empty()) return e;
  r.run(stop, sink);
  return "";
}
