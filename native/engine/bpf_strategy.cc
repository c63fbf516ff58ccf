// Strategy `bpf`: the chain policy runs inside the kernel: the declarative
// interpreter (bpf/policies/chain.bpf.c), or a C policy compiled with its
// runtime (bpf/runtime/policy.bpf.c, --policy). This file builds the ring on the policy's
// mmapable map (IORING_SETUP_NO_MMAP | NO_SQARRAY; liburing 2.3 has no
// helpers for that, so it is the raw syscall) and kicks every slot once.
// Two paths drive it from there:
// - map-backed SQPOLL: the policy runs at each completion (a tracepoint) and
//   an SQPOLL thread issues what it queued; this thread sleeps on the
//   policy's ring buffer, waking only for rare records (SQPOLL asleep, all
//   chains done), a 100 ms timer, or a stop request.
// - ops (Linux 7.1+, bpf/runtime/ops.bpf.h): the policy runs in the ring's
//   own bpf-ops loop step inside one io_uring_enter (DEFER_TASKRUN |
//   SINGLE_ISSUER); a watcher thread does what the sleeping loop above does,
//   and interrupts that io_uring_enter (a signal) when it has queued
//   something the loop must see: the rest of the kicks, an unpark, the stop.
//   With --rings N, each ring has its own thread in io_uring_enter and its
//   own attachment (SINGLE_ISSUER: a ring's thread enables it, so it is the
//   ring's one issuer).
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/io_uring.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <pthread.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <thread>
#include <vector>

#include "bpf_object.h"
#include "ops_attach.h"
#include "bpf_strategy.h"
#include "run_clock.h"
#include "targets.h"

extern "C" {
#include "policy.h"
#define US_API_TYPES_ONLY
#include "uringscope.h"
}
#include "policy_names.h"
#include "policies/chain.skel.h"  // only for the interpreter's object bytes: globals are found by name
#include "policies/chain_ops.skel.h"  // its bpf-ops shape

#ifndef IORING_SETUP_NO_MMAP
#define IORING_SETUP_NO_MMAP (1U << 14)
#endif
#ifndef IORING_REGISTER_ENABLE_RINGS
#define IORING_REGISTER_ENABLE_RINGS 12
#endif
#ifndef IORING_SETUP_NO_SQARRAY
#define IORING_SETUP_NO_SQARRAY (1U << 16)
#endif

namespace {

const uint32_t kPage = 4096;

uint32_t pageUp(uint64_t v) { return uint32_t((v + kPage - 1) & ~uint64_t(kPage - 1)); }

int ringSetup(uint32_t entries, io_uring_params *p) {
  return int(syscall(__NR_io_uring_setup, entries, p));
}

// The ring's flags on each path (the layout probe must use the same ones).
uint32_t ringFlags(bool ops) {
  return IORING_SETUP_NO_MMAP | IORING_SETUP_NO_SQARRAY | IORING_SETUP_CQSIZE |
         (ops ? IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_SINGLE_ISSUER : IORING_SETUP_SQPOLL);
}

int ringEnter(int fd, uint32_t flags) {
  return int(syscall(__NR_io_uring_enter, fd, 0, 0, flags, nullptr, 0));
}

// A slot: the chain's data, then 16 bytes of scratch (iovec, timespec) per step/tag.
uint32_t slotBytesOf(const EnginePlan &p) { return pageUp(uint64_t(p.bufferBytes) + US_MAX_STEPS * 16); }

std::string err(const std::string &what, int e) { return what + ": " + strerror(e < 0 ? -e : e); }

// The kernel decides where everything sits in the ring memory: ask it once
// with scratch memory, so the policy can be loaded with the layout as
// constants before the real ring exists.
std::string probeLayout(uint32_t entries, uint32_t idleMs, bool ops, us_ring_layout *lay) {
  size_t scratch = size_t(entries) * 64 * 4 + (1 << 16);
  void *a = mmap(nullptr, scratch, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  void *b = mmap(nullptr, scratch, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (a == MAP_FAILED || b == MAP_FAILED) return "cannot map scratch ring memory";
  io_uring_params p;
  memset(&p, 0, sizeof p);
  p.flags = ringFlags(ops);
  p.sq_thread_idle = ops ? 0 : idleMs;
  p.cq_entries = entries * 2;
  p.cq_off.resv2 = reinterpret_cast<uint64_t>(a);
  p.sq_off.resv2 = reinterpret_cast<uint64_t>(b);
  int fd = ringSetup(entries, &p);
  int e = errno;
  munmap(a, scratch);
  munmap(b, scratch);
  if (fd < 0 && ops)
    return err("io_uring_setup with NO_MMAP | NO_SQARRAY | DEFER_TASKRUN | SINGLE_ISSUER failed (the ops path needs Linux 7.1+; see `uringscope doctor`)", e);
  if (fd < 0)
    return err("io_uring_setup with NO_MMAP | NO_SQARRAY | SQPOLL failed (the bpf strategy needs Linux 6.6+; see `uringscope doctor`)", e);
  close(fd);
  lay->sq_head = p.sq_off.head;
  lay->sq_tail = p.sq_off.tail;
  lay->sq_flags = p.sq_off.flags;
  lay->cq_head = p.cq_off.head;
  lay->cq_tail = p.cq_off.tail;
  lay->cqes = p.cq_off.cqes;
  lay->sq_entries = p.sq_entries;
  lay->cq_entries = p.cq_entries;
  lay->sqes_base = pageUp(uint64_t(p.cq_off.cqes) + uint64_t(p.cq_entries) * 16);
  lay->mem_bytes = lay->sqes_base + pageUp(uint64_t(p.sq_entries) * 64);
  return "";
}

class BpfRun {
 public:
  BpfRun(const EnginePlan &p, const std::vector<int> &fds, EngineStats *st) : plan_(p), fds_(fds), st_(st), ops_(p.bpfOps) {}
  ~BpfRun();
  std::string setup();
  std::string prepare();  // probe the layout, open, configure and load (verify) the object
  void run(std::atomic<bool> &stop, ProgressSink *sink);
  void runOps(std::atomic<bool> &stop, ProgressSink *sink);
  void enterLoop(uint32_t r, const std::atomic<bool> &giveUp);
  bool opsRunOver() const;

 private:
  template <class Fill>
  bool postUser(uint32_t r, Fill fill);
  uint32_t postNops(uint64_t step, uint32_t n, uint32_t firstSlot);
  void postCancel();
  uint32_t ringOf(uint32_t slot) const { return nrings_ > 1 ? slot % nrings_ : 0; }
  uint8_t *ringMem(uint32_t r) const { return mem_ + size_t(r) * lay_.mem_bytes; }
  void wakeIfAsleep(bool force);
  void wake();  // makes the ring look at its SQ now: SQPOLL wakeup, or the loop step's io_uring_enter interrupted
  void watch(std::atomic<bool> &stop, const std::atomic<bool> &ended, std::atomic<bool> &giveUp, uint64_t t0, uint64_t kicks);
  void collect();

  // What both paths' loops look at each turn (the map path's run loop, the
  // ops path's watcher): a stop asked, progress made, the next progress line.
  struct Watch {
    explicit Watch(uint64_t t0, uint32_t progressMs) : t0(t0), stalledSince(t0), nextProgress(t0 + uint64_t(progressMs) * 1000000ull) {}
    uint64_t t0, lastIssued = 0, stalledSince, nextProgress;
    bool stopping = false;
  };
  enum class Stall { kNo, kParked, kGiveUp };
  uint64_t kickCount() const;
  void checkStop(Watch &w, const std::atomic<bool> &stop, uint64_t now);
  Stall checkStall(Watch &w, uint64_t now);
  void reportProgress(Watch &w, uint64_t now);

  // The runtime's globals in the loaded object (shared memory with the programs).
  struct Shared {
    uint64_t *ringCtx, *bufsUaddr, *pathsUaddr, *totalChains, *stepBudget;
    uint32_t *sqLock, *active, *parked, *stop;
    uint64_t *counters, *opIssued, *opCompleted, *userCompleted, *cancelled, *latHist, *latMax;
    uint64_t *stats;       // C policies only: the US_STATS counters
    uint64_t *runStartNs;  // C policies only: us_elapsed()'s origin
    // The ops objects only (bpf/runtime/ops.bpf.h).
    uint64_t *kickTotal, *opsSteps, *opsStops, *opsErrors, *opsSubmitted;
    uint64_t *opsFirstError;
    uint32_t *opsTid;
  };
  std::string configure();
  std::string bindShared();
  std::string fillInput();

  const EnginePlan &plan_;
  const std::vector<int> &fds_;
  EngineStats *st_;
  ProgressSink *sink_ = nullptr;
  BpfObject obj_;
  Shared sh_{};
  std::vector<std::string> statNames_;
  us_ring_layout lay_{};
  uint32_t nrings_ = 1;
  uint8_t *mem_ = nullptr;  // every ring's memory, one mem_bytes element each
  uint8_t *bufs_ = nullptr;
  size_t bufsBytes_ = 0;
  std::vector<int> ringFds_;
  ring_buffer *rb_ = nullptr;
  bool wakeAsked_ = false;
  uint32_t kicks_ = 0;
  std::vector<char> pathBuf_;  // target paths for openat, alive for the whole run
  uint64_t userNops_ = 0;     // kick and unpark NOPs posted from here
  uint64_t userCancels_ = 0;  // cancel-all requests posted from here
  bool ops_ = false;          // the bpf-ops path
  std::vector<int> opsLinks_;        // the attachments of the policy's io_uring_bpf_ops, one per ring
  std::vector<pthread_t> loopers_;   // the thread in io_uring_enter on each ring (ops)
  std::atomic<uint64_t> opsEnters_{0};
  std::atomic<bool> ringFailed_{false};  // a ring's thread could not enable or enter its ring
};

BpfRun::~BpfRun() {
  if (rb_) ring_buffer__free(rb_);
  for (int l : opsLinks_) close(l);  // detaches the ops before the ring goes
  for (int fd : ringFds_) close(fd);  // before the memory goes: the kernel unpins it
  if (mem_) munmap(mem_, size_t(lay_.mem_bytes) * nrings_);
  if (bufs_) munmap(bufs_, bufsBytes_);
}

std::string BpfRun::prepare() {
  uint32_t conc = plan_.concurrency;
  nrings_ = std::max<uint32_t>(1, std::min<uint32_t>({plan_.ring.rings, US_MAX_RINGS, conc}));
  // Room for every chain's step by default; a workload that sets ring.entries
  // gets exactly that, and steps that find the SQ full are parked and retried.
  uint32_t entries = 8;
  while (entries < plan_.ring.entries || (!plan_.ring.exactEntries && entries < 2 * conc + 2)) entries <<= 1;
  if (entries > 32768) return "the bpf strategy supports at most 16383 chains in flight";
  std::string e = probeLayout(entries, 1000, ops_, &lay_);
  if (!e.empty()) return e;

  std::string what = plan_.policy.bpfObject.empty() ? "the chain policy" : "policy " + plan_.policy.name;
  if (plan_.policy.bpfObject.empty()) {
    size_t sz = 0;
    const void *bytes = ops_ ? chain_ops__elf_bytes(&sz) : chain_bpf__elf_bytes(&sz);
    e = obj_.openMem(bytes, sz, ops_ ? "chain_ops" : "chain_bpf");
  } else {
    // build-policy.sh leaves policy.ops.bpf.o next to policy.bpf.o.
    std::string path = plan_.policy.bpfObject;
    if (ops_ && path.size() > 6 && path.compare(path.size() - 6, 6, ".bpf.o") == 0)
      path = path.substr(0, path.size() - 6) + ".ops.bpf.o";
    e = obj_.openFile(path, what);
  }
  if (!e.empty()) return e;
  if (ops_) obj_.useOpsLoop();
  e = configure();
  if (!e.empty()) return e;
  return obj_.load(what);
}

std::string BpfRun::setup() {
  uint32_t conc = plan_.concurrency;
  std::string what = plan_.policy.bpfObject.empty() ? "the chain policy" : "policy " + plan_.policy.name;
  std::string e = prepare();
  if (!e.empty()) return e;
  e = bindShared();
  if (!e.empty()) return e;
  e = obj_.attach();
  if (!e.empty()) return e;

  uint32_t slotBytes = slotBytesOf(plan_);
  mem_ = static_cast<uint8_t *>(mmap(nullptr, size_t(lay_.mem_bytes) * nrings_, PROT_READ | PROT_WRITE, MAP_SHARED,
                                     bpf_map__fd(obj_.map("ring_mem")), 0));
  bufsBytes_ = size_t(slotBytes) * conc;
  bufs_ = static_cast<uint8_t *>(mmap(nullptr, bufsBytes_, PROT_READ | PROT_WRITE, MAP_SHARED,
                                      bpf_map__fd(obj_.map("bufs")), 0));
  if (mem_ == MAP_FAILED || bufs_ == MAP_FAILED) {
    mem_ = mem_ == MAP_FAILED ? nullptr : mem_;
    bufs_ = bufs_ == MAP_FAILED ? nullptr : bufs_;
    return err("cannot map the policy's ring and buffer memory", errno);
  }
  if (plan_.isReplay()) {
    e = fillInput();
    if (!e.empty()) return e;
  }
  *sh_.bufsUaddr = reinterpret_cast<uint64_t>(bufs_);
  *sh_.pathsUaddr = reinterpret_cast<uint64_t>(pathBuf_.data());
  *sh_.totalChains = plan_.durationNs ? 0 : plan_.chains;
  *sh_.stepBudget = plan_.stepBudget;

  // One ring per SQPOLL thread; with several, each thread is pinned to its own CPU.
  // Under ops, one ring per looper thread: rings past the first start
  // disabled, and their thread enables them (it becomes the single issuer).
  long cpus = sysconf(_SC_NPROCESSORS_ONLN);
  for (uint32_t r = 0; r < nrings_; r++) {
    io_uring_params p;
    memset(&p, 0, sizeof p);
    p.flags = ringFlags(ops_);
    if (!ops_ && nrings_ > 1 && cpus > 1) {
      p.flags |= IORING_SETUP_SQ_AFF;
      p.sq_thread_cpu = uint32_t(r % uint32_t(cpus));
    }
    if (ops_ && r > 0) p.flags |= IORING_SETUP_R_DISABLED;
    if (!ops_) p.sq_thread_idle = 1000;  // a busy chain flow keeps it awake; idle gaps are woken by userspace
    p.cq_entries = lay_.cq_entries;
    p.cq_off.resv2 = reinterpret_cast<uint64_t>(ringMem(r));
    p.sq_off.resv2 = reinterpret_cast<uint64_t>(ringMem(r) + lay_.sqes_base);
    int fd = ringSetup(lay_.sq_entries, &p);
    if (fd < 0) return err("io_uring_setup on the policy's memory failed", errno);
    ringFds_.push_back(fd);
    if (p.sq_off.tail != lay_.sq_tail || p.cq_off.head != lay_.cq_head || p.cq_off.cqes != lay_.cqes)
      return "the kernel laid the ring out differently the second time: cannot run the policy";
    if (!sh_.ringCtx[r]) return what + " did not see its ring being created";
    if (plan_.ring.registeredBuffers) {
      // The chain buffers are the policy's mmapable map: registered, the
      // kernel pins them once and the policy still reads them (us_buf_*).
      iovec v{bufs_, bufsBytes_};
      if (syscall(__NR_io_uring_register, fd, IORING_REGISTER_BUFFERS, &v, 1) < 0)
        return err("cannot register the policy's buffer map as fixed buffers", errno);
      st_->usedFixedBuffers = true;
    }
  }
  if (ops_) {
    e = attachRingOps(obj_.raw(), ringFds_, &opsLinks_);
    if (!e.empty()) return e;
  }
  st_->bpfPath = ops_ ? "ops" : "map-backed-sqpoll";

  rb_ = ring_buffer__new(
      bpf_map__fd(obj_.map("done")),
      [](void *ctx, void *data, size_t) -> int {
        auto *self = static_cast<BpfRun *>(ctx);
        const us_done *d = static_cast<const us_done *>(data);
        if (d->kind == US_DONE_WAKE) self->wakeAsked_ = true;
        if (d->kind == US_DONE_EMIT && self->sink_) self->sink_->emit(d->chain, d->status, d->a, d->b);
        return 0;
      },
      this, nullptr);
  if (!rb_) return err("cannot open the policy's ring buffer", errno);
  return "";
}

// Writes the run's configuration into the object before it loads: the
// constants in .rodata (the verifier sees them as known values), the step
// template (interpreter only) and the map sizes.
std::string BpfRun::configure() {
  uint32_t conc = plan_.concurrency;
  uint32_t slotBytes = slotBytesOf(plan_);
  auto *tgid = obj_.as<uint32_t>("owner_tgid");
  auto *nrings = obj_.as<uint32_t>("nrings");
  auto *concurrency = obj_.as<uint32_t>("concurrency");
  auto *checksum = obj_.as<bool>("checksum");
  auto *dataBytes = obj_.as<uint32_t>("data_bytes");
  auto *slotBytesVar = obj_.as<uint32_t>("slot_bytes");
  auto *lay = obj_.as<us_ring_layout>("lay");
  auto *fds = obj_.as<int32_t>("fds");
  auto *pathOff = obj_.as<uint32_t>("path_off");
  auto *openFlags = obj_.as<uint32_t>("open_flags");
  auto *fixedBufs = obj_.as<bool>("fixed_bufs");
  if (!tgid || !nrings || !concurrency || !checksum || !dataBytes || !slotBytesVar || !lay || !fds || !pathOff || !openFlags ||
      !obj_.map("ring_mem") || !obj_.map("bufs") || !obj_.map("slots") || !obj_.map("done"))
    return "the policy object lacks the runtime (build it with scripts/build-policy.sh)";
  *tgid = uint32_t(getpid());
  *nrings = nrings_;
  *concurrency = conc;
  *checksum = plan_.checksum;
  *dataBytes = plan_.bufferBytes;
  if (fixedBufs) *fixedBufs = plan_.ring.registeredBuffers;
  *slotBytesVar = slotBytes;
  *lay = lay_;
  for (size_t i = 0; i < fds_.size() && i < US_MAX_FDS; i++) fds[i] = fds_[i];
  if (auto *nsteps = obj_.as<uint32_t>("nsteps")) {  // the declarative interpreter
    auto *steps = obj_.as<us_step>("steps");
    if (!steps) return "the chain policy has no step template";
    *nsteps = uint32_t(plan_.steps.size());
    for (size_t i = 0; i < plan_.steps.size(); i++) steps[i] = plan_.steps[i];
  }
  // openat reads its path from our memory (the SQPOLL thread shares it).
  std::vector<std::string> paths;
  std::vector<int> flags;
  targetPaths(plan_, &paths, &flags);
  for (size_t i = 0; i < paths.size() && i < US_MAX_FDS; i++) {
    pathOff[i] = uint32_t(pathBuf_.size());
    openFlags[i] = uint32_t(flags[i]);
    pathBuf_.insert(pathBuf_.end(), paths[i].begin(), paths[i].end());
    pathBuf_.push_back('\0');
  }
  // A C policy's counter names: US_STATS(a, b) leaves "a, b" in .rodata.
  size_t namesLen = 0;
  if (const char *names = obj_.as<const char>("us_stat_names")) {
    (void)obj_.var("us_stat_names", &namesLen);
    statNames_ = splitStatNames(std::string(names, strnlen(names, namesLen)));
  }
  if (plan_.isReplay()) {
    // A replay under bpf: the policy takes each chain's requests from its input maps.
    if (!obj_.map("input") || !obj_.map("input_index")) return "replay under bpf needs a C policy that reads chain input";
    bpf_map__set_max_entries(obj_.map("input"), std::max<uint32_t>(1, uint32_t(plan_.replay.reqs.size())));
    bpf_map__set_max_entries(obj_.map("input_index"), std::max<uint32_t>(1, uint32_t(plan_.replay.chains.size())));
  }
  bpf_map__set_value_size(obj_.map("ring_mem"), lay_.mem_bytes);
  bpf_map__set_max_entries(obj_.map("ring_mem"), nrings_);
  bpf_map__set_max_entries(obj_.map("bufs"), conc);
  bpf_map__set_value_size(obj_.map("bufs"), slotBytes);
  bpf_map__set_max_entries(obj_.map("slots"), conc);
  return "";
}

std::string BpfRun::bindShared() {
  sh_.ringCtx = obj_.as<uint64_t>("ring_ctx");
  sh_.bufsUaddr = obj_.as<uint64_t>("bufs_uaddr");
  sh_.pathsUaddr = obj_.as<uint64_t>("paths_uaddr");
  sh_.totalChains = obj_.as<uint64_t>("total_chains");
  sh_.stepBudget = obj_.as<uint64_t>("step_budget");
  sh_.sqLock = obj_.as<uint32_t>("sq_lock");
  sh_.active = obj_.as<uint32_t>("active");
  sh_.parked = obj_.as<uint32_t>("parked");
  sh_.stop = obj_.as<uint32_t>("stop");
  sh_.counters = obj_.as<uint64_t>("counters");
  sh_.opIssued = obj_.as<uint64_t>("op_issued");
  sh_.opCompleted = obj_.as<uint64_t>("op_completed");
  sh_.userCompleted = obj_.as<uint64_t>("user_completed");
  sh_.cancelled = obj_.as<uint64_t>("cancelled");
  sh_.latHist = obj_.as<uint64_t>("lat_hist");
  sh_.latMax = obj_.as<uint64_t>("lat_max");
  sh_.stats = obj_.as<uint64_t>("stats");
  sh_.runStartNs = obj_.as<uint64_t>("run_start_ns");
  sh_.kickTotal = obj_.as<uint64_t>("kick_total");
  sh_.opsSteps = obj_.as<uint64_t>("ops_steps");
  sh_.opsStops = obj_.as<uint64_t>("ops_stops");
  sh_.opsErrors = obj_.as<uint64_t>("ops_errors");
  sh_.opsSubmitted = obj_.as<uint64_t>("ops_submitted");
  sh_.opsFirstError = obj_.as<uint64_t>("ops_first_error");
  sh_.opsTid = obj_.as<uint32_t>("ops_tid");
  if (ops_ && (!sh_.kickTotal || !sh_.opsSteps || !sh_.opsStops || !sh_.opsErrors || !sh_.opsSubmitted || !sh_.opsFirstError ||
               !sh_.opsTid))
    return "the policy object has no bpf-ops runtime (rebuild it)";
  void *need[] = {sh_.ringCtx, sh_.bufsUaddr, sh_.pathsUaddr, sh_.totalChains, sh_.stepBudget, sh_.sqLock,
                  sh_.active, sh_.parked, sh_.stop, sh_.counters, sh_.opIssued, sh_.opCompleted,
                  sh_.userCompleted, sh_.cancelled, sh_.latHist, sh_.latMax};
  for (void *p : need)
    if (!p) return "the policy object's runtime globals are not where the loader expects (rebuild it)";
  return "";
}

// Copies the replay table into the policy's input maps (mapped, not one
// update syscall per record: a recording can hold millions).
std::string BpfRun::fillInput() {
  const auto &rq = plan_.replay.reqs;
  const auto &ch = plan_.replay.chains;
  auto fill = [](bpf_map *m, const void *src, size_t bytes) -> std::string {
    size_t len = (size_t(bpf_map__value_size(m)) * bpf_map__max_entries(m) + 4095) & ~size_t(4095);
    void *p = mmap(nullptr, len, PROT_READ | PROT_WRITE, MAP_SHARED, bpf_map__fd(m), 0);
    if (p == MAP_FAILED) return err("cannot map the policy's input", errno);
    memcpy(p, src, bytes);
    munmap(p, len);
    return "";
  };
  std::string e = fill(obj_.map("input"), rq.data(), rq.size() * sizeof(us_replay_req));
  if (!e.empty()) return e;
  std::vector<uint32_t> index;
  index.reserve(ch.size() * 2);
  for (const ReplayChain &c : ch) {
    index.push_back(c.first);
    index.push_back(c.count);
  }
  return fill(obj_.map("input_index"), index.data(), index.size() * sizeof(uint32_t));
}

// Writes one SQE into ring r's SQ from userspace, under the producer lock
// shared with BPF. False when that SQ is full (or the lock never frees).
template <class Fill>
bool BpfRun::postUser(uint32_t r, Fill fill) {
  uint32_t *lock = &sh_.sqLock[r];
  uint32_t expected = 0;
  for (int spin = 0; !__atomic_compare_exchange_n(lock, &expected, 1u, false, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED); spin++) {
    expected = 0;
    if (spin > 1000000) return false;
  }
  uint8_t *mem = ringMem(r);
  auto *head = reinterpret_cast<volatile uint32_t *>(mem + lay_.sq_head);
  auto *tail = reinterpret_cast<volatile uint32_t *>(mem + lay_.sq_tail);
  uint32_t t = *tail;
  bool room = t - *head < lay_.sq_entries;
  if (room) {
    auto *sqe = reinterpret_cast<io_uring_sqe *>(mem + lay_.sqes_base + (t & (lay_.sq_entries - 1)) * 64);
    memset(sqe, 0, 64);
    fill(sqe);
    __atomic_store_n(tail, t + 1, __ATOMIC_RELEASE);
  }
  __atomic_store_n(lock, 0u, __ATOMIC_RELEASE);
  return room;
}

// NOPs (kicks, unparks) for slots firstSlot.., each on its slot's ring; stops
// at the first that finds its SQ full, so kicks go out in slot order.
uint32_t BpfRun::postNops(uint64_t step, uint32_t n, uint32_t firstSlot) {
  uint32_t k = 0;
  for (; k < n; k++) {
    uint32_t slot = firstSlot + k;
    bool ok = postUser(ringOf(slot), [&](io_uring_sqe *sqe) {
      sqe->opcode = IORING_OP_NOP;
      sqe->user_data = US_UD(slot, step);
    });
    if (!ok) break;
  }
  userNops_ += k;
  if (step == US_TAG_KICK) kicks_ += k;
  return k;
}

// Cancels everything in flight on every ring (stop).
void BpfRun::postCancel() {
  for (uint32_t r = 0; r < nrings_; r++) {
    while (!postUser(r, [](io_uring_sqe *sqe) {
      sqe->opcode = IORING_OP_ASYNC_CANCEL;
      sqe->cancel_flags = IORING_ASYNC_CANCEL_ANY;
      sqe->user_data = US_UD(0, US_TAG_STOP);
    }))
      if (ops_) wake();  // a full SQ drains: its SQPOLL thread is woken below, the loop step here
    userCancels_++;
  }
  wake();
}

void BpfRun::wake() {
  if (ops_) {
    for (pthread_t t : loopers_) pthread_kill(t, SIGUSR1);  // io_uring_enter returns EINTR; the loop step runs again on re-entry
  } else {
    wakeIfAsleep(true);
  }
}

void BpfRun::wakeIfAsleep(bool force) {
  if (!force && !wakeAsked_) {
    bool asleep = false;
    for (uint32_t r = 0; r < nrings_ && !asleep; r++)
      asleep = *reinterpret_cast<volatile uint32_t *>(ringMem(r) + lay_.sq_flags) & IORING_SQ_NEED_WAKEUP;
    if (!asleep) return;
  }
  if (ops_) return;  // no SQPOLL thread to wake
  for (uint32_t r = 0; r < nrings_; r++) {
    if (*reinterpret_cast<volatile uint32_t *>(ringMem(r) + lay_.sq_flags) & IORING_SQ_NEED_WAKEUP) {
      ringEnter(ringFds_[r], IORING_ENTER_SQ_WAKEUP);
      st_->enterCalls++;
      st_->policy["wakeups"]++;
    }
  }
  wakeAsked_ = false;
}

uint64_t BpfRun::kickCount() const {
  return plan_.durationNs ? plan_.concurrency : std::min<uint64_t>(plan_.concurrency, plan_.chains);
}

// A signal cancels what is in flight; the duration lets the chains in flight
// finish (under ops, their completions still run the loop step).
void BpfRun::checkStop(Watch &w, const std::atomic<bool> &stop, uint64_t now) {
  if (w.stopping) return;
  if (stop.load()) {
    w.stopping = true;
    st_->stopReason = "signal";
    __atomic_store_n(sh_.stop, 1u, __ATOMIC_RELEASE);
    postCancel();
  } else if (plan_.durationNs && now - w.t0 >= plan_.durationNs) {
    w.stopping = true;
    st_->stopReason = "duration";
    __atomic_store_n(sh_.stop, 1u, __ATOMIC_RELEASE);
  }
}

// Progress is steps issued, or chains ending (a policy's chains can fail
// before issuing anything). Without it for 100 ms, parked steps need a
// completion to run from (kParked: the caller posts one); for 10 s, what is in
// flight is cancelled; if even that does not drain the slots in 2 s more (a
// slot whose chain issued nothing has nothing to cancel), the run gives up
// rather than hang (kGiveUp). The 10 s are what the docs promise.
BpfRun::Stall BpfRun::checkStall(Watch &w, uint64_t now) {
  uint64_t issued = __atomic_load_n(&sh_.counters[US_PC_ISSUED], __ATOMIC_RELAXED) +
                    __atomic_load_n(&sh_.counters[US_PC_CHAINS], __ATOMIC_RELAXED) +
                    __atomic_load_n(&sh_.counters[US_PC_CHAINS_FAILED], __ATOMIC_RELAXED);
  if (issued != w.lastIssued) {
    w.lastIssued = issued;
    w.stalledSince = now;
    return Stall::kNo;
  }
  if (*sh_.parked && now - w.stalledSince > 100000000ull) return Stall::kParked;
  if (st_->stopReason == "stalled") return now - w.stalledSince > 2000000000ull ? Stall::kGiveUp : Stall::kNo;
  if (now - w.stalledSince > 10000000000ull) {
    st_->stopReason = "stalled";
    __atomic_store_n(sh_.stop, 1u, __ATOMIC_RELEASE);
    postCancel();
    w.stalledSince = now;
  }
  return Stall::kNo;
}

void BpfRun::reportProgress(Watch &w, uint64_t now) {
  if (!sink_ || !plan_.progressMs || now < w.nextProgress) return;
  collect();
  sink_->progress(*st_);
  w.nextProgress += uint64_t(plan_.progressMs) * 1000000ull;
}

void BpfRun::run(std::atomic<bool> &stop, ProgressSink *sink) {
  if (ops_) return runOps(stop, sink);
  sink_ = sink;
  RunClock clock;
  uint64_t t0 = clock.startNs();
  uint64_t kicks = kickCount();
  if (sh_.runStartNs) *sh_.runStartNs = t0;  // the same clock as bpf_ktime_get_ns()
  postNops(US_TAG_KICK, uint32_t(kicks), 0);
  wakeIfAsleep(false);

  Watch w(t0, plan_.progressMs);
  for (;;) {
    ring_buffer__poll(rb_, 100);
    // Records written without a wake-up (a policy's emits) are read here, at most 100 ms late.
    ring_buffer__consume(rb_);
    uint64_t now = clockNs(CLOCK_MONOTONIC);
    wakeIfAsleep(false);
    // More slots than SQ entries: kick the rest as room frees up.
    if (kicks_ < kicks && !w.stopping) postNops(US_TAG_KICK, uint32_t(kicks - kicks_), kicks_);
    bool kicked = kicks_ == kicks && __atomic_load_n(&sh_.userCompleted[0], __ATOMIC_ACQUIRE) >= kicks_;
    if (kicked && __atomic_load_n(sh_.active, __ATOMIC_ACQUIRE) == 0) break;
    checkStop(w, stop, now);
    Stall stall = checkStall(w, now);
    if (stall == Stall::kGiveUp) break;
    if (stall == Stall::kParked) {
      for (uint32_t r = 0; r < nrings_; r++) postNops(US_TAG_UNPARK, 1, r);  // a completion on each ring to run parked steps from
      wakeIfAsleep(true);
    }
    reportProgress(w, now);
  }
  ring_buffer__consume(rb_);  // the last emits
  if (sh_.counters[US_PC_BUDGET_STOP]) st_->stopReason = "budget";
  clock.stop(st_);
  collect();
}

void onPoke(int) {}  // SIGUSR1 only interrupts the loop step's io_uring_enter

// The ops path: this thread sits in io_uring_enter on the first ring (and one
// more thread per further ring) while the policy's loop step runs the chains;
// watch() (another thread) does the rest.
void BpfRun::runOps(std::atomic<bool> &stop, ProgressSink *sink) {
  sink_ = sink;
  RunClock clock;
  uint64_t t0 = clock.startNs();
  uint64_t kicks = kickCount();
  if (sh_.runStartNs) *sh_.runStartNs = t0;
  *sh_.kickTotal = kicks;
  postNops(US_TAG_KICK, uint32_t(kicks), 0);  // each ring's first loop step submits its kicks; the watcher posts any that did not fit

  // No SA_RESTART: the poke must end the wait.
  struct sigaction sa {};
  sa.sa_handler = onPoke;
  sigaction(SIGUSR1, &sa, nullptr);
  std::atomic<bool> ended{false}, giveUp{false};
  loopers_.assign(nrings_, pthread_self());
  // The other threads take no signal but the poke: SIGINT/SIGTERM must land
  // here, in the first ring's io_uring_enter.
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_BLOCK, &all, &old);
  std::vector<std::thread> more;
  for (uint32_t r = 1; r < nrings_; r++) {
    more.emplace_back([this, r, &giveUp] {
      sigset_t poke;
      sigemptyset(&poke);
      sigaddset(&poke, SIGUSR1);
      pthread_sigmask(SIG_UNBLOCK, &poke, nullptr);
      enterLoop(r, giveUp);
    });
    loopers_[r] = more.back().native_handle();
  }
  std::thread watcher([&] { watch(stop, ended, giveUp, t0, kicks); });
  pthread_sigmask(SIG_SETMASK, &old, nullptr);

  enterLoop(0, giveUp);
  for (std::thread &t : more) t.join();  // the watcher pokes rings still asleep once the run is over
  ended.store(true);
  watcher.join();
  st_->enterCalls += opsEnters_.load();
  ring_buffer__consume(rb_);  // the last emits
  if (sh_.counters[US_PC_BUDGET_STOP]) st_->stopReason = "budget";
  if (*sh_.opsErrors) {
    st_->stopReason = "error";
    if (!st_->firstError) st_->firstError = -int32_t(*sh_.opsFirstError);
  }
  clock.stop(st_);
  collect();
}

// One ring's thread: enables its ring if it started disabled (it is then the
// ring's single issuer), says which ring it enters, and stays in
// io_uring_enter until the loop step returns IOU_LOOP_STOP.
void BpfRun::enterLoop(uint32_t r, const std::atomic<bool> &giveUp) {
  int fd = ringFds_[r];
  // A thread that did not create the ring has no io_uring task context until
  // it registers or submits, and 7.2's bpf_io_uring_submit_sqes does not make
  // one (io_submit_sqes then dereferences NULL: a kernel oops, seen in the
  // lab on 7.2.13). Registering the ring fd makes it before the first step.
  io_uring_rsrc_update reg{};
  reg.offset = UINT32_MAX;  // any free slot
  reg.data = uint64_t(fd);
  if (r > 0 && (syscall(__NR_io_uring_register, fd, IORING_REGISTER_ENABLE_RINGS, nullptr, 0) < 0 ||
                syscall(__NR_io_uring_register, fd, IORING_REGISTER_RING_FDS, &reg, 1) < 0)) {
    st_->stopReason = "error";
    if (!st_->firstError) st_->firstError = -errno;
    ringFailed_.store(true);
    return;
  }
  __atomic_store_n(&sh_.opsTid[r], uint32_t(gettid()), __ATOMIC_RELEASE);
  for (;;) {
    int n = ringEnter(fd, IORING_ENTER_GETEVENTS);
    opsEnters_++;
    if (n >= 0) break;  // the loop step returned IOU_LOOP_STOP
    if (errno != EINTR) {
      st_->stopReason = "error";
      if (!st_->firstError) st_->firstError = -errno;
      ringFailed_.store(true);
      break;
    }
    if (giveUp.load()) break;
    // A signal: SIGINT/SIGTERM set `stop` (the watcher cancels), or the watcher's poke.
  }
}

// What the map-backed path's loop does, beside the ops loop: emits and
// progress, the kicks that did not fit, the stop (signal, duration, stall).
void BpfRun::watch(std::atomic<bool> &stop, const std::atomic<bool> &ended, std::atomic<bool> &giveUp, uint64_t t0,
                   uint64_t kicks) {
  Watch w(t0, plan_.progressMs);
  while (!ended.load()) {
    ring_buffer__poll(rb_, 100);
    ring_buffer__consume(rb_);
    uint64_t now = clockNs(CLOCK_MONOTONIC);
    // Poked until every ring's thread is out: a poke that lands just before
    // a thread enters is lost on it.
    if (giveUp.load()) {
      wake();
      continue;
    }
    // A ring the kernel refused (a submission, or the ring itself): the
    // others cannot finish the run's kicks, so the run ends here.
    if (*sh_.opsErrors || ringFailed_.load()) {
      giveUp.store(true);
      continue;
    }
    // The ring whose loop step saw the run end has stopped; the others sleep until poked.
    if (nrings_ > 1 && opsRunOver()) wake();
    if (kicks_ < kicks && !w.stopping && postNops(US_TAG_KICK, uint32_t(kicks - kicks_), kicks_)) wake();
    checkStop(w, stop, now);
    Stall stall = checkStall(w, now);
    if (stall == Stall::kGiveUp) {
      giveUp.store(true);
      continue;
    }
    if (stall == Stall::kParked && postNops(US_TAG_UNPARK, 1, 0)) wake();  // a completion to run parked steps from
    reportProgress(w, now);
  }
}

// ops_finished() in bpf/runtime/ops.bpf.h, read from here.
bool BpfRun::opsRunOver() const {
  uint64_t total = __atomic_load_n(sh_.kickTotal, __ATOMIC_ACQUIRE);
  return total && __atomic_load_n(&sh_.userCompleted[0], __ATOMIC_ACQUIRE) >= total &&
         __atomic_load_n(sh_.active, __ATOMIC_ACQUIRE) == 0;
}

void BpfRun::collect() {
  const uint64_t *c = sh_.counters;
  st_->chains = c[US_PC_CHAINS];
  st_->chainsFailed = c[US_PC_CHAINS_FAILED] - c[US_PC_CHAINS_STOPPED];
  st_->chainsInterrupted = c[US_PC_CHAINS_STOPPED];
  st_->steps = c[US_PC_STEPS];
  st_->retries = c[US_PC_RETRIES];
  st_->bytes = c[US_PC_BYTES];
  st_->readChecksum = c[US_PC_CHECKSUM];
  st_->firstError = -int32_t(c[US_PC_FIRST_ERROR]);
  st_->cancelled = *sh_.cancelled;
  for (int op = 0; op < US_OP_COUNT; op++) {
    st_->submitted[op] = sh_.opIssued[op];
    st_->completed[op] = sh_.opCompleted[op];
  }
  // What userspace posted: kick/unpark NOPs are NOPs to the kernel.
  st_->submitted[US_OP_NOP] += userNops_;
  st_->completed[US_OP_NOP] += sh_.userCompleted[0] + sh_.userCompleted[2];
  st_->submitted[US_OP_COUNT] = userCancels_ + sh_.opIssued[US_OP_COUNT];
  st_->completed[US_OP_COUNT] = sh_.userCompleted[1] + sh_.opCompleted[US_OP_COUNT];
  for (int b = 0; b < US_HIST_BUCKETS; b++) st_->latHist[b] = sh_.latHist[b];
  st_->latMaxNs = *sh_.latMax;
  if (ops_) {
    st_->policy["opsLoopSteps"] = *sh_.opsSteps;
    st_->policy["opsStops"] = *sh_.opsStops;
    st_->policy["opsErrors"] = *sh_.opsErrors;
    st_->policy["opsSubmitted"] = *sh_.opsSubmitted;
  }
#define US_POLICY_OUT(e, n) st_->policy[#n] = c[US_PC_##e];
  US_POLICY_COUNTERS(US_POLICY_OUT)
#undef US_POLICY_OUT
  for (size_t i = 0; sh_.stats && i < statNames_.size() && i < US_MAX_STATS; i++) {
    st_->policy["stat." + statNames_[i]] = sh_.stats[i];
    // The replay policy (bpf/replay/policy.c) counts what the replay summary reports.
    if (plan_.isReplay() && statNames_[i] == "issued") st_->replayIssued = sh_.stats[i];
    if (plan_.isReplay() && statNames_[i] == "results_differ") st_->replayDiffer = sh_.stats[i];
  }
}

}  // namespace

std::string verifyPolicy(const EnginePlan &plan, const std::vector<int> &fds) {
  EngineStats unused;
  BpfRun r(plan, fds, &unused);
  return r.prepare();
}

std::string runBpfStrategy(const EnginePlan &plan, const std::vector<int> &fds, std::atomic<bool> &stop,
                           ProgressSink *sink, EngineStats *out) {
  BpfRun r(plan, fds, out);
  std::string e = r.setup();
  if (!e.empty()) return e;
  r.run(stop, sink);
  return "";
}
