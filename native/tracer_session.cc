#include "tracer_session.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <cstdlib>
#include <ctime>

#include "libbpf_log.h"
#include "tracer.skel.h"

namespace {

uint64_t monotonicNs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);  // the clock bpf_ktime_get_ns() reads
  return uint64_t(ts.tv_sec) * 1000000000ull + uint64_t(ts.tv_nsec);
}

uint32_t roundPow2(uint32_t v) {
  uint32_t p = 4096;
  while (p < v && p < (1u << 30)) p <<= 1;
  return p;
}

}  // namespace

// Opens the skeleton, applies the hook plan and loads it once; on failure
// the skeleton is gone and `err`/`log` say why.
std::string TracerSession::loadOnce(int *err, std::string *log) {
  us::beginLibbpfLog();
  skel_ = tracer_bpf::open();
  if (!skel_) {
    *err = -errno;
    *log = us::endLibbpfLog();
    return us::explainBpfError("cannot open the tracer BPF object", errno);
  }
  if (hooks_.empty()) {
    const char *forced = getenv("URINGSCOPE_TRACER_VARIANT");
    hooks_ = us::planTracerHooks(skel_->obj, forced ? forced : "", cfg_.anatomy);
  }
  us::applyTracerHooks(skel_->obj, hooks_);

  skel_->rodata->events_enabled = cfg_.events;
  skel_->rodata->anatomy = cfg_.anatomy;
  skel_->rodata->follow_forks = cfg_.followForks;
  if (!cfg_.comm.empty()) {
    skel_->rodata->comm_filter_set = true;
    for (size_t i = 0; i < US_COMM_LEN - 1 && i < cfg_.comm.size(); i++)
      skel_->rodata->comm_filter[i] = cfg_.comm[i];
  }
  uint32_t inflight = 1024;
  while (inflight < cfg_.inflightEntries && inflight < (1u << 24)) inflight <<= 1;
  skel_->rodata->inflight_mask = inflight - 1;
  bpf_map__set_max_entries(skel_->maps.inflight, inflight);
  // The anatomy's maps are full size only when it is asked for.
  bpf_map__set_max_entries(skel_->maps.req_phases, cfg_.anatomy ? inflight : 1);
  bpf_map__set_max_entries(skel_->maps.phase_stats, cfg_.anatomy ? US_MAX_OPS : 1);
  bpf_map__set_max_entries(skel_->maps.bio_reqs, cfg_.anatomy ? 16384 : 128);
  bpf_map__set_max_entries(skel_->maps.rq_reqs, cfg_.anatomy ? 16384 : 128);
  bpf_map__set_max_entries(skel_->maps.wait_cqe, cfg_.anatomy ? 4096 : 128);
  // Per-target mode: a row of op stats per (slot, opcode) and counters per slot.
  skel_->rodata->stat_slots = statSlots();
  skel_->rodata->trace_all = cfg_.traceAll;
  skel_->rodata->self_tgid = uint32_t(getpid());
  bpf_map__set_max_entries(skel_->maps.op_stats, US_MAX_OPS * statSlots());
  bpf_map__set_max_entries(skel_->maps.counters, statSlots());
  bpf_map__set_max_entries(skel_->maps.events, cfg_.events ? roundPow2(cfg_.ringBytes) : 4096);

  *err = tracer_bpf::load(skel_);
  *log = us::endLibbpfLog();
  if (*err) {
    tracer_bpf::destroy(skel_);
    skel_ = nullptr;
  }
  return "";
}

std::string TracerSession::open() {
  if (skel_) return "";
  hooks_.clear();
  // A program the kernel refuses (the verifier, or a hook that is not there
  // after all) costs its own figures, not the tracer: switch its hook off and
  // load the rest again. Missing privileges refuse every program: no retry.
  int err = 0;
  std::string log;
  for (size_t attempt = 0;; attempt++) {
    std::string msg = loadOnce(&err, &log);
    if (!msg.empty()) return msg;
    if (!err) break;
    std::string prog = us::failedProgram(log);
    bool known = false;
    for (auto &h : hooks_) known = known || (h.on && h.program == prog);
    int e = err < 0 ? -err : err;
    bool privilege = (e == EPERM || e == EACCES) && !us::haveBpfPrivileges();
    if (!known || privilege || attempt >= hooks_.size()) {
      std::string why = us::explainLoadFailure("the tracer", err, log);
      if (getenv("URINGSCOPE_DEBUG")) return why + "\n" + log;
      return why;
    }
    us::VerifierError v;
    std::string reason = us::parseVerifierLog(log, &v)
                             ? "the verifier of " + us::kernelName() + " refused " + prog + ": " + v.message +
                                   (v.source.empty() ? "" : " (at `" + v.source + "`)")
                             : us::explainLoadFailure("program " + prog, err, log);
    us::disableTracerGroup(hooks_, prog, reason);
    // A kernel that refuses one fentry/fexit program for want of permission
    // (lockdown, a hardened build) refuses them all: one reload, not one each.
    bool function = false;
    for (auto &h : hooks_) function = function || (h.program == prog && h.function);
    if (function && e == EPERM)
      for (auto &h : hooks_)
        if (h.on && h.function) us::disableTracerGroup(hooks_, h.program, reason);
  }
  err = tracer_bpf::attach(skel_);
  if (err) {
    std::string msg = us::explainBpfError("cannot attach the tracer to the kernel tracepoints", err);
    close();
    return msg;
  }
  if (cfg_.events) {
    rb_ = ring_buffer__new(bpf_map__fd(skel_->maps.events), &TracerSession::onRecord, this, nullptr);
    if (!rb_) {
      std::string msg = us::explainBpfError("cannot open the event ring buffer", errno);
      close();
      return msg;
    }
    stop_ = false;
    poller_ = std::thread([this] { pollLoop(); });
  }
  return "";
}

void TracerSession::detach() {
  if (!skel_ || detached_) return;
  // Detach first so no record is produced after the final read below; the
  // maps stay readable for a last snapshot.
  tracer_bpf::detach(skel_);
  detached_ = true;
  if (rb_) {
    stop_ = true;
    if (poller_.joinable()) poller_.join();
    ring_buffer__consume(rb_);  // whatever was written before the detach
    ring_buffer__free(rb_);
    rb_ = nullptr;
  }
}

void TracerSession::close() {
  if (!skel_) return;
  detach();
  tracer_bpf::destroy(skel_);
  skel_ = nullptr;
  detached_ = false;
}

int TracerSession::onRecord(void *ctx, void *data, size_t size) {
  auto *self = static_cast<TracerSession *>(ctx);
  if (size != US_EVENT_SIZE) return 0;
  self->received_.fetch_add(1, std::memory_order_relaxed);
  std::lock_guard<std::mutex> g(self->mu_);
  if (self->pending_.size() + size > self->cfg_.maxPendingBytes) {
    self->userDrops_.fetch_add(1, std::memory_order_relaxed);
    return 0;
  }
  const uint8_t *p = static_cast<const uint8_t *>(data);
  self->pending_.insert(self->pending_.end(), p, p + size);
  return 0;
}

void TracerSession::pollLoop() {
  // The BPF side wakes us only when a quarter of the ring is full, so a short
  // timeout keeps latency to the UI low without a wakeup per record.
  while (!stop_.load(std::memory_order_relaxed)) {
    int n = ring_buffer__poll(rb_, 20);
    if (n < 0 && n != -EINTR) break;
  }
}

std::vector<uint8_t> TracerSession::drain() {
  std::vector<uint8_t> out;
  std::lock_guard<std::mutex> g(mu_);
  out.swap(pending_);
  return out;
}

// Targets live first in the BPF program's .bss slot array (scanned by the
// hot hooks without a map lookup), which libbpf maps into this process; the
// hash map takes the rest.
std::string TracerSession::addTarget(uint32_t tgid) {
  if (!skel_) return "tracer is not open";
  if (tgid == 0) return "pid 0 cannot be traced";
  for (auto t : targets())
    if (t == tgid) return "";
  auto *slots = skel_->bss->target_slots;
  constexpr size_t n = sizeof(skel_->bss->target_slots) / sizeof(slots[0]);
  for (size_t i = 0; i < n; i++) {
    uint32_t expected = 0;
    if (__atomic_compare_exchange_n(&slots[i], &expected, tgid, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
      return "";
  }
  uint8_t one = 1;
  if (bpf_map_update_elem(bpf_map__fd(skel_->maps.targets), &tgid, &one, BPF_ANY))
    return us::explainBpfError("cannot add target " + std::to_string(tgid), errno);
  __atomic_store_n(&skel_->bss->targets_spilled, true, __ATOMIC_SEQ_CST);
  return "";
}

std::string TracerSession::removeTarget(uint32_t tgid) {
  if (!skel_) return "tracer is not open";
  auto *slots = skel_->bss->target_slots;
  constexpr size_t n = sizeof(skel_->bss->target_slots) / sizeof(slots[0]);
  for (size_t i = 0; i < n; i++) {
    uint32_t expected = tgid;
    __atomic_compare_exchange_n(&slots[i], &expected, 0u, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
  }
  bpf_map_delete_elem(bpf_map__fd(skel_->maps.targets), &tgid);
  return "";
}

std::vector<uint32_t> TracerSession::targets() const {
  std::vector<uint32_t> out;
  if (!skel_) return out;
  for (auto t : skel_->bss->target_slots) {
    uint32_t v = __atomic_load_n(&t, __ATOMIC_RELAXED);
    if (v) out.push_back(v);
  }
  int fd = bpf_map__fd(skel_->maps.targets);
  uint32_t key, next;
  uint32_t *prev = nullptr;
  while (bpf_map_get_next_key(fd, prev, &next) == 0) {
    out.push_back(next);
    key = next;
    prev = &key;
  }
  return out;
}

namespace {

void addDist(us_dist &dst, const us_dist &p) {
  dst.count += p.count;
  dst.sum_ns += p.sum_ns;
  if (p.max_ns > dst.max_ns) dst.max_ns = p.max_ns;
  for (int b = 0; b < US_HIST_BUCKETS; b++) dst.hist[b] += p.hist[b];
}

void addStats(us_op_stats &dst, const us_op_stats &p) {
  dst.submitted += p.submitted;
  dst.completed += p.completed;
  dst.errors += p.errors;
  dst.cancelled += p.cancelled;
  dst.lat_count += p.lat_count;
  dst.lat_sum_ns += p.lat_sum_ns;
  if (p.lat_max_ns > dst.lat_max_ns) dst.lat_max_ns = p.lat_max_ns;
  for (int i = 0; i < US_PATH_COUNT; i++) dst.paths[i] += p.paths[i];
  for (int b = 0; b < US_HIST_BUCKETS; b++) dst.hist[b] += p.hist[b];
}

void addOp(std::vector<OpSnapshot> &ops, uint32_t opcode, const us_op_stats &st) {
  for (auto &o : ops)
    if (o.opcode == opcode) return addStats(o.stats, st);
  OpSnapshot o{};
  o.opcode = opcode;
  o.stats = st;
  ops.push_back(o);
}

struct Counters {
  uint64_t c[US_C_COUNT];
};

}  // namespace

bool TracerSession::readOp(uint32_t key, us_op_stats *out) const {
  int ncpu = libbpf_num_possible_cpus();
  if (ncpu <= 0) return false;
  std::vector<us_op_stats> per(ncpu);
  if (bpf_map_lookup_elem(bpf_map__fd(skel_->maps.op_stats), &key, per.data())) return false;
  *out = us_op_stats{};
  for (int c = 0; c < ncpu; c++) addStats(*out, per[c]);
  return true;
}

void TracerSession::readPhases(uint32_t opcode, us_phase_stats *out) const {
  *out = us_phase_stats{};
  int ncpu = libbpf_num_possible_cpus();
  if (!cfg_.anatomy || ncpu <= 0) return;
  std::vector<us_phase_stats> per(ncpu);
  if (bpf_map_lookup_elem(bpf_map__fd(skel_->maps.phase_stats), &opcode, per.data())) return;
  for (int c = 0; c < ncpu; c++) {
    const us_phase_stats &p = per[c];
    out->requests += p.requests;
    out->timed_ns += p.timed_ns;
    for (int i = 0; i < US_PHASE_COUNT; i++) addDist(out->phase[i], p.phase[i]);
  }
}

void TracerSession::readReap(us_dist *out) const {
  *out = us_dist{};
  int ncpu = libbpf_num_possible_cpus();
  uint32_t zero = 0;
  if (!cfg_.anatomy || ncpu <= 0) return;
  std::vector<us_dist> per(ncpu);
  if (bpf_map_lookup_elem(bpf_map__fd(skel_->maps.reap_stats), &zero, per.data())) return;
  for (int c = 0; c < ncpu; c++) addDist(*out, per[c]);
}

Snapshot TracerSession::snapshot() const {
  Snapshot s;
  s.ktimeNs = monotonicNs();
  s.userDrops = userDrops_.load();
  s.eventsReceived = received_.load();
  if (!skel_) return s;
  if (cfg_.anatomy) {
    s.hasReap = true;
    readReap(&s.reap);
  }

  int ncpu = libbpf_num_possible_cpus();
  if (ncpu <= 0) return s;
  std::vector<Counters> cs(ncpu);
  int cFd = bpf_map__fd(skel_->maps.counters);

  if (!cfg_.perTarget) {
    // Per-opcode stats: sum over CPUs, max of the maxima.
    for (uint32_t op = 0; op < US_MAX_OPS; op++) {
      OpSnapshot o{};
      o.opcode = op;
      if (!readOp(op, &o.stats)) continue;
      if (!o.stats.submitted && !o.stats.completed) continue;
      readPhases(op, &o.phases);
      s.ops.push_back(o);
    }
    uint32_t zero = 0;
    if (bpf_map_lookup_elem(cFd, &zero, cs.data()) == 0)
      for (int c = 0; c < ncpu; c++)
        for (int i = 0; i < US_C_COUNT; i++) s.counters[i] += cs[c].c[i];
  } else {
    // Only slots that have an owner (and the shared slot 0), and of those
    // only the opcodes they have seen: a scrape costs a few lookups per
    // target, not US_MAX_OPS x slots. The global figures are their sums.
    for (uint32_t slot = 0; slot < statSlots(); slot++) {
      uint32_t tgid = __atomic_load_n(&skel_->bss->stat_tgids[slot], __ATOMIC_ACQUIRE);
      if (slot && !tgid) continue;
      TargetSnapshot *t = nullptr;
      if (slot) {
        for (auto &x : s.targets)
          if (x.tgid == tgid) t = &x;  // two slots of one process (tracer.bpf.c, stat_slot_of)
        if (!t) {
          s.targets.push_back(TargetSnapshot{});
          t = &s.targets.back();
          t->tgid = tgid;
        }
      }
      uint64_t mask = __atomic_load_n(&skel_->bss->stat_ops[slot], __ATOMIC_RELAXED);
      for (uint32_t op = 0; op < US_MAX_OPS; op++) {
        if (!(mask & (1ull << op))) continue;
        us_op_stats st;
        if (!readOp(slot * US_MAX_OPS + op, &st) || !(st.submitted || st.completed)) continue;
        addOp(s.ops, op, st);
        if (t) addOp(t->ops, op, st);
      }
      if (bpf_map_lookup_elem(cFd, &slot, cs.data()) == 0)
        for (int c = 0; c < ncpu; c++)
          for (int i = 0; i < US_C_COUNT; i++) {
            s.counters[i] += cs[c].c[i];
            if (t) t->counters[i] += cs[c].c[i];
          }
    }
  }

  int thFd = bpf_map__fd(skel_->maps.threads);
  uint32_t key, next;
  uint32_t *prev = nullptr;
  while (bpf_map_get_next_key(thFd, prev, &next) == 0) {
    ThreadSnapshot t{};
    t.tid = next;
    if (bpf_map_lookup_elem(thFd, &next, &t.t) == 0) s.threads.push_back(t);
    key = next;
    prev = &key;
  }
  return s;
}

std::vector<us::OpsProgram> TracerSession::seenOpsPrograms() const {
  std::vector<us::OpsProgram> out;
  if (!skel_) return out;
  int fd = bpf_map__fd(skel_->maps.ops_progs);
  uint32_t key, next;
  uint32_t *prev = nullptr;
  while (bpf_map_get_next_key(fd, prev, &next) == 0) {
    us_ops_prog p;
    if (bpf_map_lookup_elem(fd, &next, &p) == 0)
      out.push_back({next, p.tgid, std::string(p.name, strnlen(p.name, US_PROG_NAME_LEN)),
                     p.last_cnt - p.first_cnt, p.last_ns - p.first_ns});
    key = next;
    prev = &key;
  }
  return out;
}

std::string TracerSession::forgetTarget(uint32_t tgid) {
  if (!skel_) return "tracer is not open";
  removeTarget(tgid);
  if (cfg_.perTarget && tgid) {
    int ncpu = libbpf_num_possible_cpus();
    std::vector<us_op_stats> zeroOps(ncpu > 0 ? ncpu : 1);
    std::vector<Counters> zeroCounters(ncpu > 0 ? ncpu : 1);
    auto *bss = skel_->bss;
    int opFd = bpf_map__fd(skel_->maps.op_stats), cFd = bpf_map__fd(skel_->maps.counters);
    int ringFd = bpf_map__fd(skel_->maps.rings);
    for (uint32_t slot = 1; slot < statSlots(); slot++) {
      if (__atomic_load_n(&bss->stat_tgids[slot], __ATOMIC_ACQUIRE) != tgid) continue;
      // First its rings (nothing counts into the slot any more), then its
      // rows are zeroed, and only then is the slot free for another process.
      for (size_t i = 0; i < sizeof(bss->ring_slots) / sizeof(bss->ring_slots[0]); i++) {
        uint64_t ring = __atomic_load_n(&bss->ring_slots[i], __ATOMIC_ACQUIRE);
        if (ring && bss->ring_stat[i] == slot)
          __atomic_compare_exchange_n(&bss->ring_slots[i], &ring, 0ull, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
      }
      std::vector<uint64_t> gone;
      uint64_t rk, rnext;
      uint64_t *rprev = nullptr;
      while (bpf_map_get_next_key(ringFd, rprev, &rnext) == 0) {
        uint32_t v;
        if (bpf_map_lookup_elem(ringFd, &rnext, &v) == 0 && v == slot) gone.push_back(rnext);
        rk = rnext;
        rprev = &rk;
      }
      for (auto r : gone) bpf_map_delete_elem(ringFd, &r);
      uint64_t mask = __atomic_load_n(&bss->stat_ops[slot], __ATOMIC_RELAXED);
      for (uint32_t op = 0; op < US_MAX_OPS; op++) {
        uint32_t key = slot * US_MAX_OPS + op;
        if (mask & (1ull << op)) bpf_map_update_elem(opFd, &key, zeroOps.data(), BPF_ANY);
      }
      bpf_map_update_elem(cFd, &slot, zeroCounters.data(), BPF_ANY);
      __atomic_store_n(&bss->stat_ops[slot], 0ull, __ATOMIC_SEQ_CST);
      __atomic_store_n(&bss->stat_tgids[slot], 0u, __ATOMIC_SEQ_CST);
    }
  }
  // Its threads' entries: the tids will be reused by other processes.
  int thFd = bpf_map__fd(skel_->maps.threads);
  std::vector<uint32_t> tids;
  uint32_t key, next;
  uint32_t *prev = nullptr;
  while (bpf_map_get_next_key(thFd, prev, &next) == 0) {
    us_thread t;
    if (bpf_map_lookup_elem(thFd, &next, &t) == 0 && t.tgid == tgid) tids.push_back(next);
    key = next;
    prev = &key;
  }
  uint32_t deleted = 0;
  for (auto tid : tids) deleted += bpf_map_delete_elem(thFd, &tid) == 0;
  __atomic_fetch_sub(&skel_->bss->thread_entries, deleted, __ATOMIC_SEQ_CST);
  // And the bpf-ops programs its rings ran: reported already, like its counts.
  int opsFd = bpf_map__fd(skel_->maps.ops_progs);
  std::vector<uint32_t> ids;
  prev = nullptr;
  while (bpf_map_get_next_key(opsFd, prev, &next) == 0) {
    us_ops_prog p;
    if (bpf_map_lookup_elem(opsFd, &next, &p) == 0 && p.tgid == tgid) ids.push_back(next);
    key = next;
    prev = &key;
  }
  for (auto id : ids) bpf_map_delete_elem(opsFd, &id);
  return "";
}
