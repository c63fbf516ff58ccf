// The bpf strategy's setup (BpfRun, bpf_run.h): the policy object opened,
// configured and loaded (verified), then the rings built on its memory. The
// kernel decides where the ring header, CQEs and SQEs sit, so the layout is
// probed once with scratch memory and written into the policy as constants
// (the verifier sees known values); the real rings then go on the policy's
// BPF_F_MMAPABLE `ring_mem` map with IORING_SETUP_NO_MMAP | NO_SQARRAY,
// their addresses passed in cq_off/sq_off.user_addr (`resv2` in Debian 12's
// header). liburing 2.3 has no helpers for that, so it is the raw syscall.
// The map path's rings are SQPOLL; the ops path's DEFER_TASKRUN |
// SINGLE_ISSUER (the kernel refuses bpf-ops on an SQPOLL ring).
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/io_uring.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <vector>

#include "bpf_run.h"
#include "ops_attach.h"
#include "policy_names.h"
#include "targets.h"
#include "policies/chain.skel.h"  // only for the interpreter's object bytes: globals are found by name
#include "policies/chain_ops.skel.h"  // its bpf-ops shape

#ifndef IORING_SETUP_NO_MMAP
#define IORING_SETUP_NO_MMAP (1U << 14)
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

}  // namespace

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

