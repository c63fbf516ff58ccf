// Strategy `bpf`: the chain policy runs inside the kernel
// (bpf/policies/chain.bpf.c). This file builds the ring on the policy's
// mmapable map (IORING_SETUP_NO_MMAP | NO_SQARRAY | SQPOLL; liburing 2.3
// has no helpers for that, so it is the raw syscall), kicks every slot once,
// then sleeps on the policy's ring buffer, waking only for rare records
// (SQPOLL asleep, all chains done), a 100 ms timer, or a stop request.
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/io_uring.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "bpf_strategy.h"
#include "run_clock.h"
#include "targets.h"

extern "C" {
#include "policy.h"
}
#include "policies/chain.skel.h"

#ifndef IORING_SETUP_NO_MMAP
#define IORING_SETUP_NO_MMAP (1U << 14)
#endif
#ifndef IORING_SETUP_NO_SQARRAY
#define IORING_SETUP_NO_SQARRAY (1U << 16)
#endif

namespace {

const uint32_t kPage = 4096;
const uint64_t kKick = 0xff, kUnpark = 0xfe, kCancel = 0xfd;  // user_data steps, as in chain.bpf.c

uint32_t pageUp(uint64_t v) { return uint32_t((v + kPage - 1) & ~uint64_t(kPage - 1)); }

int ringSetup(uint32_t entries, io_uring_params *p) {
  return int(syscall(__NR_io_uring_setup, entries, p));
}

int ringEnter(int fd, uint32_t flags) {
  return int(syscall(__NR_io_uring_enter, fd, 0, 0, flags, nullptr, 0));
}

std::string err(const std::string &what, int e) { return what + ": " + strerror(e < 0 ? -e : e); }

// The kernel decides where everything sits in the ring memory: ask it once
// with scratch memory, so the policy can be loaded with the layout as
// constants before the real ring exists.
std::string probeLayout(uint32_t entries, uint32_t idleMs, us_ring_layout *lay) {
  size_t scratch = size_t(entries) * 64 * 4 + (1 << 16);
  void *a = mmap(nullptr, scratch, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  void *b = mmap(nullptr, scratch, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (a == MAP_FAILED || b == MAP_FAILED) return "cannot map scratch ring memory";
  io_uring_params p;
  memset(&p, 0, sizeof p);
  p.flags = IORING_SETUP_NO_MMAP | IORING_SETUP_NO_SQARRAY | IORING_SETUP_SQPOLL | IORING_SETUP_CQSIZE;
  p.sq_thread_idle = idleMs;
  p.cq_entries = entries * 2;
  p.cq_off.resv2 = reinterpret_cast<uint64_t>(a);
  p.sq_off.resv2 = reinterpret_cast<uint64_t>(b);
  int fd = ringSetup(entries, &p);
  int e = errno;
  munmap(a, scratch);
  munmap(b, scratch);
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
  BpfRun(const EnginePlan &p, const std::vector<int> &fds, EngineStats *st) : plan_(p), fds_(fds), st_(st) {}
  ~BpfRun();
  std::string setup();
  void run(std::atomic<bool> &stop, ProgressSink *sink);

 private:
  bool postNop(uint64_t ud, uint32_t n, uint32_t firstSlot);
  void postCancel();
  void wakeIfAsleep(bool force);
  void collect();

  const EnginePlan &plan_;
  const std::vector<int> &fds_;
  EngineStats *st_;
  chain_bpf *skel_ = nullptr;
  us_ring_layout lay_{};
  uint8_t *mem_ = nullptr;
  uint8_t *bufs_ = nullptr;
  size_t bufsBytes_ = 0;
  int ringFd_ = -1;
  ring_buffer *rb_ = nullptr;
  bool wakeAsked_ = false;
  uint32_t kicks_ = 0;
  std::vector<char> pathBuf_;  // target paths for openat, alive for the whole run
  uint64_t userNops_ = 0;     // kick and unpark NOPs posted from here
  uint64_t userCancels_ = 0;  // cancel-all requests posted from here
};

BpfRun::~BpfRun() {
  if (rb_) ring_buffer__free(rb_);
  if (ringFd_ >= 0) close(ringFd_);  // before the memory goes: the kernel unpins it
  if (mem_) munmap(mem_, lay_.mem_bytes);
  if (bufs_) munmap(bufs_, bufsBytes_);
  if (skel_) chain_bpf::destroy(skel_);
}

std::string BpfRun::setup() {
  uint32_t conc = plan_.concurrency;
  // Room for every chain's step by default; a workload that sets ring.entries
  // gets exactly that, and steps that find the SQ full are parked and retried.
  uint32_t entries = 8;
  while (entries < plan_.ring.entries || (!plan_.ring.exactEntries && entries < 2 * conc + 2)) entries <<= 1;
  if (entries > 32768) return "the bpf strategy supports at most 16383 chains in flight";
  std::string e = probeLayout(entries, 1000, &lay_);
  if (!e.empty()) return e;

  skel_ = chain_bpf::open();
  if (!skel_) return err("cannot open the chain policy", errno);
  auto *ro = skel_->rodata;
  ro->owner_tgid = uint32_t(getpid());
  ro->nsteps = uint32_t(plan_.steps.size());
  ro->concurrency = conc;
  ro->checksum = plan_.checksum;
  ro->data_bytes = plan_.bufferBytes;
  uint32_t slotBytes = pageUp(uint64_t(plan_.bufferBytes) + US_MAX_STEPS * 16);
  ro->slot_bytes = slotBytes;
  memcpy(const_cast<us_ring_layout *>(&ro->lay), &lay_, sizeof lay_);
  for (size_t i = 0; i < plan_.steps.size(); i++)
    memcpy(&skel_->bss->steps[i], &plan_.steps[i], sizeof(us_step));
  for (size_t i = 0; i < fds_.size() && i < US_MAX_FDS; i++) ro->fds[i] = fds_[i];
  // openat reads its path from our memory (the SQPOLL thread shares it).
  std::vector<std::string> paths;
  std::vector<int> flags;
  targetPaths(plan_, &paths, &flags);
  for (size_t i = 0; i < paths.size() && i < US_MAX_FDS; i++) {
    ro->path_off[i] = uint32_t(pathBuf_.size());
    ro->open_flags[i] = uint32_t(flags[i]);
    pathBuf_.insert(pathBuf_.end(), paths[i].begin(), paths[i].end());
    pathBuf_.push_back('\0');
  }
  bpf_map__set_value_size(skel_->maps.ring_mem, lay_.mem_bytes);
  bpf_map__set_max_entries(skel_->maps.bufs, conc);
  bpf_map__set_value_size(skel_->maps.bufs, slotBytes);
  bpf_map__set_max_entries(skel_->maps.slots, conc);
  int r = chain_bpf::load(skel_);
  if (r) return err("the chain policy was refused by the kernel (run with URINGSCOPE_DEBUG=1 for the verifier log)", r);
  r = chain_bpf::attach(skel_);
  if (r) return err("cannot attach the chain policy", r);

  mem_ = static_cast<uint8_t *>(mmap(nullptr, lay_.mem_bytes, PROT_READ | PROT_WRITE, MAP_SHARED,
                                     bpf_map__fd(skel_->maps.ring_mem), 0));
  bufsBytes_ = size_t(slotBytes) * conc;
  bufs_ = static_cast<uint8_t *>(mmap(nullptr, bufsBytes_, PROT_READ | PROT_WRITE, MAP_SHARED,
                                      bpf_map__fd(skel_->maps.bufs), 0));
  if (mem_ == MAP_FAILED || bufs_ == MAP_FAILED) {
    mem_ = mem_ == MAP_FAILED ? nullptr : mem_;
    bufs_ = bufs_ == MAP_FAILED ? nullptr : bufs_;
    return err("cannot map the policy's ring and buffer memory", errno);
  }
  skel_->bss->bufs_uaddr = reinterpret_cast<uint64_t>(bufs_);
  skel_->bss->paths_uaddr = reinterpret_cast<uint64_t>(pathBuf_.data());
  skel_->bss->total_chains = plan_.durationNs ? 0 : plan_.chains;
  skel_->bss->step_budget = plan_.stepBudget;

  io_uring_params p;
  memset(&p, 0, sizeof p);
  p.flags = IORING_SETUP_NO_MMAP | IORING_SETUP_NO_SQARRAY | IORING_SETUP_SQPOLL | IORING_SETUP_CQSIZE;
  p.sq_thread_idle = 1000;  // a busy chain flow keeps it awake; idle gaps are woken by userspace
  p.cq_entries = lay_.cq_entries;
  p.cq_off.resv2 = reinterpret_cast<uint64_t>(mem_);
  p.sq_off.resv2 = reinterpret_cast<uint64_t>(mem_ + lay_.sqes_base);
  ringFd_ = ringSetup(lay_.sq_entries, &p);
  if (ringFd_ < 0) return err("io_uring_setup on the policy's memory failed", errno);
  if (p.sq_off.tail != lay_.sq_tail || p.cq_off.head != lay_.cq_head || p.cq_off.cqes != lay_.cqes)
    return "the kernel laid the ring out differently the second time: cannot run the policy";
  if (!skel_->bss->ring_ctx) return "the chain policy did not see its ring being created";

  rb_ = ring_buffer__new(
      bpf_map__fd(skel_->maps.done),
      [](void *ctx, void *data, size_t) -> int {
        auto *self = static_cast<BpfRun *>(ctx);
        const us_done *d = static_cast<const us_done *>(data);
        if (d->kind == US_DONE_WAKE) self->wakeAsked_ = true;
        return 0;
      },
      this, nullptr);
  if (!rb_) return err("cannot open the policy's ring buffer", errno);
  return "";
}

// Posts n NOPs (kick/unpark) under the producer lock shared with BPF.
bool BpfRun::postNop(uint64_t step, uint32_t n, uint32_t firstSlot) {
  auto *bss = skel_->bss;
  uint32_t expected = 0;
  for (int spin = 0; !__atomic_compare_exchange_n(&bss->sq_lock, &expected, 1u, false, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED); spin++) {
    expected = 0;
    if (spin > 1000000) return false;
  }
  auto *head = reinterpret_cast<volatile uint32_t *>(mem_ + lay_.sq_head);
  auto *tail = reinterpret_cast<volatile uint32_t *>(mem_ + lay_.sq_tail);
  uint32_t t = *tail;
  uint32_t room = lay_.sq_entries - (t - *head);
  if (n > room) n = room;
  for (uint32_t k = 0; k < n; k++) {
    auto *sqe = reinterpret_cast<io_uring_sqe *>(mem_ + lay_.sqes_base + ((t + k) & (lay_.sq_entries - 1)) * 64);
    memset(sqe, 0, 64);
    sqe->opcode = IORING_OP_NOP;
    sqe->user_data = US_UD(firstSlot + k, step);
  }
  __atomic_store_n(tail, t + n, __ATOMIC_RELEASE);
  __atomic_store_n(&bss->sq_lock, 0u, __ATOMIC_RELEASE);
  userNops_ += n;
  if (step == kKick) kicks_ += n;
  return n > 0;
}

void BpfRun::postCancel() {
  auto *bss = skel_->bss;
  uint32_t expected = 0;
  while (!__atomic_compare_exchange_n(&bss->sq_lock, &expected, 1u, false, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
    expected = 0;
  auto *tail = reinterpret_cast<volatile uint32_t *>(mem_ + lay_.sq_tail);
  uint32_t t = *tail;
  auto *sqe = reinterpret_cast<io_uring_sqe *>(mem_ + lay_.sqes_base + (t & (lay_.sq_entries - 1)) * 64);
  memset(sqe, 0, 64);
  sqe->opcode = IORING_OP_ASYNC_CANCEL;
  sqe->cancel_flags = IORING_ASYNC_CANCEL_ANY;
  sqe->user_data = US_UD(0, kCancel);
  __atomic_store_n(tail, t + 1, __ATOMIC_RELEASE);
  __atomic_store_n(&bss->sq_lock, 0u, __ATOMIC_RELEASE);
  userCancels_++;
  wakeIfAsleep(true);
}

void BpfRun::wakeIfAsleep(bool force) {
  auto *flags = reinterpret_cast<volatile uint32_t *>(mem_ + lay_.sq_flags);
  if (force || wakeAsked_ || (*flags & IORING_SQ_NEED_WAKEUP)) {
    if (*flags & IORING_SQ_NEED_WAKEUP) {
      ringEnter(ringFd_, IORING_ENTER_SQ_WAKEUP);
      st_->enterCalls++;
      st_->policy["wakeups"]++;
    }
    wakeAsked_ = false;
  }
}

void BpfRun::run(std::atomic<bool> &stop, ProgressSink *sink) {
  auto *bss = skel_->bss;
  RunClock clock;
  uint64_t t0 = clock.startNs();
  uint64_t kicks = plan_.durationNs ? plan_.concurrency : std::min<uint64_t>(plan_.concurrency, plan_.chains);
  postNop(kKick, uint32_t(kicks), 0);
  wakeIfAsleep(false);

  uint64_t lastIssued = 0, stalledSince = t0, nextProgress = t0 + uint64_t(plan_.progressMs) * 1000000ull;
  bool stopping = false;
  for (;;) {
    ring_buffer__poll(rb_, 100);
    uint64_t now = clockNs(CLOCK_MONOTONIC);
    wakeIfAsleep(false);
    // More slots than SQ entries: kick the rest as room frees up.
    if (kicks_ < kicks && !stopping) postNop(kKick, uint32_t(kicks - kicks_), kicks_);
    bool kicked = kicks_ == kicks && __atomic_load_n(&bss->user_completed[0], __ATOMIC_ACQUIRE) >= kicks_;
    if (kicked && __atomic_load_n(&bss->active, __ATOMIC_ACQUIRE) == 0) break;
    if (!stopping && stop.load()) {
      stopping = true;
      st_->stopReason = "signal";
      __atomic_store_n(&bss->stop, 1u, __ATOMIC_RELEASE);
      postCancel();
    }
    if (!stopping && plan_.durationNs && now - t0 >= plan_.durationNs) {
      stopping = true;
      st_->stopReason = "duration";
      __atomic_store_n(&bss->stop, 1u, __ATOMIC_RELEASE);  // chains in flight finish
    }
    uint64_t issued = __atomic_load_n(&bss->counters[US_PC_ISSUED], __ATOMIC_RELAXED);
    if (issued != lastIssued) {
      lastIssued = issued;
      stalledSince = now;
    } else if (bss->parked && now - stalledSince > 100000000ull) {
      postNop(kUnpark, 1, 0);  // a completion to run the parked steps from
      wakeIfAsleep(true);
    } else if (now - stalledSince > 10000000000ull) {
      // Nothing moved for 10 s: cancel what is in flight; if even that does
      // not drain the slots, give up rather than hang.
      if (st_->stopReason == "stalled") break;
      st_->stopReason = "stalled";
      __atomic_store_n(&bss->stop, 1u, __ATOMIC_RELEASE);
      postCancel();
      stalledSince = now;
    }
    if (sink && plan_.progressMs && now >= nextProgress) {
      collect();
      sink->progress(*st_);
      nextProgress += uint64_t(plan_.progressMs) * 1000000ull;
    }
  }
  if (bss->counters[US_PC_BUDGET_STOP]) st_->stopReason = "budget";
  clock.stop(st_);
  collect();
}

void BpfRun::collect() {
  auto *bss = skel_->bss;
  const auto *c = bss->counters;
  st_->chains = c[US_PC_CHAINS];
  st_->chainsFailed = c[US_PC_CHAINS_FAILED] - c[US_PC_CHAINS_STOPPED];
  st_->chainsInterrupted = c[US_PC_CHAINS_STOPPED];
  st_->steps = c[US_PC_STEPS];
  st_->retries = c[US_PC_RETRIES];
  st_->bytes = c[US_PC_BYTES];
  st_->readChecksum = c[US_PC_CHECKSUM];
  st_->firstError = -int32_t(c[US_PC_FIRST_ERROR]);
  st_->cancelled = bss->cancelled;
  for (int op = 0; op < US_OP_COUNT; op++) {
    st_->submitted[op] = bss->op_issued[op];
    st_->completed[op] = bss->op_completed[op];
  }
  // What userspace posted: kick/unpark NOPs are NOPs to the kernel.
  st_->submitted[US_OP_NOP] += userNops_;
  st_->completed[US_OP_NOP] += bss->user_completed[0] + bss->user_completed[2];
  st_->submitted[US_OP_COUNT] = userCancels_;
  st_->completed[US_OP_COUNT] = bss->user_completed[1];
  for (int b = 0; b < US_HIST_BUCKETS; b++) st_->latHist[b] = bss->lat_hist[b];
  st_->latMaxNs = bss->lat_max;
#define US_POLICY_OUT(e, n) st_->policy[#n] = c[US_PC_##e];
  US_POLICY_COUNTERS(US_POLICY_OUT)
#undef US_POLICY_OUT
}

}  // namespace

std::string runBpfStrategy(const EnginePlan &plan, const std::vector<int> &fds, std::atomic<bool> &stop,
                           ProgressSink *sink, EngineStats *out) {
  BpfRun r(plan, fds, out);
  std::string e = r.setup();
  if (!e.empty()) return e;
  r.run(stop, sink);
  return "";
}
