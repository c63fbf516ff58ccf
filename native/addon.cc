// Node-API surface of the native core. The JS side sees snapshots (a few per
// second) and event batches (ArrayBuffers of fixed-size records), never a
// callback per IO. Types: native/index.d.ts.
#include <bpf/libbpf.h>
#include <napi.h>

#include <memory>

#include "ops_programs.h"
#include "abi.h"
#include "probes.h"
#include "tracer_session.h"

namespace {

#define US_COUNTER_NAME(e, n) #n,
const char *const kCounterNames[US_C_COUNT] = {US_COUNTERS(US_COUNTER_NAME)};
#undef US_COUNTER_NAME

const char *const kThreadKinds[US_KIND_COUNT] = {"app", "sqpoll", "iowq"};

#define US_PATH_NAME(e, n) #n,
const char *const kPathNames[US_PATH_COUNT] = {US_PATHS(US_PATH_NAME)};
#undef US_PATH_NAME
#define US_PHASE_NAME(e, n) #n,
const char *const kPhaseNames[US_PHASE_COUNT] = {US_PHASES(US_PHASE_NAME)};
#undef US_PHASE_NAME

Napi::Array opsProgramsArray(Napi::Env env, const std::vector<us::OpsProgram> &progs) {
  Napi::Array a = Napi::Array::New(env, progs.size());
  for (size_t i = 0; i < progs.size(); i++) {
    Napi::Object o = Napi::Object::New(env);
    o.Set("id", progs[i].id);
    o.Set("tgid", progs[i].tgid);
    o.Set("name", progs[i].name);
    o.Set("runCnt", double(progs[i].runCnt));
    o.Set("runTimeNs", double(progs[i].runTimeNs));
    a.Set(uint32_t(i), o);
  }
  return a;
}

// Loads and attaches off the JS thread: the verifier can take a while.
class OpenWorker : public Napi::AsyncWorker {
 public:
  OpenWorker(Napi::Env env, TracerSession *s)
      : Napi::AsyncWorker(env), session_(s), deferred_(Napi::Promise::Deferred::New(env)) {}
  Napi::Promise promise() { return deferred_.Promise(); }
  void Execute() override { error_ = session_->open(); }
  void OnOK() override {
    if (error_.empty())
      deferred_.Resolve(Env().Undefined());
    else
      deferred_.Reject(Napi::Error::New(Env(), error_).Value());
  }

 private:
  TracerSession *session_;
  Napi::Promise::Deferred deferred_;
  std::string error_;
};

class Tracer : public Napi::ObjectWrap<Tracer> {
 public:
  static Napi::Function Init(Napi::Env env) {
    return DefineClass(env, "Tracer",
                       {InstanceMethod("open", &Tracer::Open),
                        InstanceMethod("detach", &Tracer::Detach),
                        InstanceMethod("close", &Tracer::Close),
                        InstanceMethod("addTarget", &Tracer::AddTarget),
                        InstanceMethod("removeTarget", &Tracer::RemoveTarget),
                        InstanceMethod("targets", &Tracer::Targets),
                        InstanceMethod("forgetTarget", &Tracer::ForgetTarget),
                        InstanceMethod("snapshot", &Tracer::Snap),
                        InstanceMethod("hooks", &Tracer::Hooks),
                        InstanceMethod("opsPrograms", &Tracer::OpsProgramsSeen),
                        InstanceMethod("drain", &Tracer::Drain)});
  }

  explicit Tracer(const Napi::CallbackInfo &info) : Napi::ObjectWrap<Tracer>(info) {
    TracerConfig cfg;
    if (info.Length() > 0 && info[0].IsObject()) {
      Napi::Object o = info[0].As<Napi::Object>();
      if (o.Has("events")) cfg.events = o.Get("events").ToBoolean();
      if (o.Has("followForks")) cfg.followForks = o.Get("followForks").ToBoolean();
      if (o.Has("comm") && o.Get("comm").IsString()) cfg.comm = o.Get("comm").As<Napi::String>();
      if (o.Has("traceAll")) cfg.traceAll = o.Get("traceAll").ToBoolean();
      if (o.Has("anatomy")) cfg.anatomy = o.Get("anatomy").ToBoolean();
      if (o.Get("perTarget").IsNumber()) {
        double n = o.Get("perTarget").As<Napi::Number>().DoubleValue();
        if (!(n >= 0 && n < US_STAT_SLOTS_MAX))
          throw Napi::RangeError::New(info.Env(), "perTarget must be 0.." + std::to_string(US_STAT_SLOTS_MAX - 1));
        cfg.perTarget = uint32_t(n);
      }
      auto num = [&](const char *k, double &out) {
        Napi::Value v = o.Get(k);
        if (v.IsNumber() && v.As<Napi::Number>().DoubleValue() > 0) out = v.As<Napi::Number>().DoubleValue();
      };
      double inflight = cfg.inflightEntries, ring = cfg.ringBytes, pending = double(cfg.maxPendingBytes);
      num("inflightEntries", inflight);
      num("ringBytes", ring);
      num("maxPendingBytes", pending);
      cfg.inflightEntries = uint32_t(inflight);
      cfg.ringBytes = uint32_t(ring);
      cfg.maxPendingBytes = uint64_t(pending);
    }
    session_ = std::make_unique<TracerSession>(cfg);
  }

 private:
  Napi::Value Open(const Napi::CallbackInfo &info) {
    auto *w = new OpenWorker(info.Env(), session_.get());
    Napi::Promise p = w->promise();
    w->Queue();
    return p;
  }

  Napi::Value Detach(const Napi::CallbackInfo &info) {
    session_->detach();
    return info.Env().Undefined();
  }

  Napi::Value Close(const Napi::CallbackInfo &info) {
    session_->close();
    return info.Env().Undefined();
  }

  static uint32_t tgidArg(const Napi::CallbackInfo &info) {
    if (info.Length() < 1 || !info[0].IsNumber())
      throw Napi::TypeError::New(info.Env(), "expected a process id");
    return info[0].As<Napi::Number>().Uint32Value();
  }

  Napi::Value AddTarget(const Napi::CallbackInfo &info) {
    std::string err = session_->addTarget(tgidArg(info));
    if (!err.empty()) throw Napi::Error::New(info.Env(), err);
    return info.Env().Undefined();
  }

  Napi::Value RemoveTarget(const Napi::CallbackInfo &info) {
    session_->removeTarget(tgidArg(info));
    return info.Env().Undefined();
  }

  Napi::Value ForgetTarget(const Napi::CallbackInfo &info) {
    std::string err = session_->forgetTarget(tgidArg(info));
    if (!err.empty()) throw Napi::Error::New(info.Env(), err);
    return info.Env().Undefined();
  }

  Napi::Value Targets(const Napi::CallbackInfo &info) {
    auto t = session_->targets();
    Napi::Array a = Napi::Array::New(info.Env(), t.size());
    for (size_t i = 0; i < t.size(); i++) a.Set(uint32_t(i), Napi::Number::New(info.Env(), t[i]));
    return a;
  }

  // The hook plan: which program runs for which figures, and why not.
  Napi::Value OpsProgramsSeen(const Napi::CallbackInfo &info) {
    return opsProgramsArray(info.Env(), session_->seenOpsPrograms());
  }

  Napi::Value Hooks(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    const auto &hooks = session_->hooks();
    Napi::Array a = Napi::Array::New(env, hooks.size());
    for (size_t i = 0; i < hooks.size(); i++) {
      const us::TracerHook &h = hooks[i];
      Napi::Object o = Napi::Object::New(env);
      o.Set("program", h.program);
      o.Set("tracepoint", h.tracepoint);
      o.Set("group", h.group);
      Napi::Array f = Napi::Array::New(env, h.figures.size());
      for (size_t j = 0; j < h.figures.size(); j++) f.Set(uint32_t(j), h.figures[j]);
      o.Set("figures", f);
      o.Set("on", h.on);
      if (!h.reason.empty()) o.Set("reason", h.reason);
      a.Set(uint32_t(i), o);
    }
    return a;
  }

  static Napi::Object countersObject(Napi::Env env, const uint64_t *c) {
    Napi::Object counters = Napi::Object::New(env);
    for (int i = 0; i < US_C_COUNT; i++) counters.Set(kCounterNames[i], double(c[i]));
    return counters;
  }

  static Napi::Float64Array histArray(Napi::Env env, const u64 *h) {
    Napi::Float64Array hist = Napi::Float64Array::New(env, US_HIST_BUCKETS);
    for (int b = 0; b < US_HIST_BUCKETS; b++) hist[b] = double(h[b]);
    return hist;
  }

  static Napi::Object distObject(Napi::Env env, const us_dist &d) {
    Napi::Object f = Napi::Object::New(env);
    f.Set("count", double(d.count));
    f.Set("sumNs", double(d.sum_ns));
    f.Set("maxNs", double(d.max_ns));
    f.Set("hist", histArray(env, d.hist));
    return f;
  }

  // trace --anatomy: the opcode's requests with phases, and each phase's figures.
  static Napi::Object phasesObject(Napi::Env env, const us_phase_stats &ps) {
    Napi::Object o = Napi::Object::New(env);
    o.Set("requests", double(ps.requests));
    o.Set("timedNs", double(ps.timed_ns));
    Napi::Object by = Napi::Object::New(env);
    for (int p = 0; p < US_PHASE_COUNT; p++) by.Set(kPhaseNames[p], distObject(env, ps.phase[p]));
    o.Set("byPhase", by);
    return o;
  }

  static Napi::Array opsArray(Napi::Env env, const std::vector<OpSnapshot> &list) {
    Napi::Array ops = Napi::Array::New(env, list.size());
    for (size_t i = 0; i < list.size(); i++) {
      const us_op_stats &st = list[i].stats;
      Napi::Object op = Napi::Object::New(env);
      op.Set("opcode", list[i].opcode);
      op.Set("submitted", double(st.submitted));
      op.Set("completed", double(st.completed));
      op.Set("errors", double(st.errors));
      op.Set("cancelled", double(st.cancelled));
      op.Set("latCount", double(st.lat_count));
      op.Set("latSumNs", double(st.lat_sum_ns));
      op.Set("latMaxNs", double(st.lat_max_ns));
      // Only under trace --anatomy are paths counted: otherwise the object is left out.
      bool anyPath = false;
      for (int p = 0; p < US_PATH_COUNT; p++) anyPath = anyPath || st.paths[p];
      if (anyPath) {
        Napi::Object paths = Napi::Object::New(env);
        for (int p = 0; p < US_PATH_COUNT; p++) paths.Set(kPathNames[p], double(st.paths[p]));
        op.Set("paths", paths);
      }
      op.Set("hist", histArray(env, st.hist));
      if (list[i].phases.requests) op.Set("phases", phasesObject(env, list[i].phases));
      ops.Set(uint32_t(i), op);
    }
    return ops;
  }

  Napi::Value Snap(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    Snapshot s = session_->snapshot();
    Napi::Object o = Napi::Object::New(env);
    o.Set("ktimeNs", double(s.ktimeNs));
    o.Set("eventsReceived", double(s.eventsReceived));
    o.Set("userDrops", double(s.userDrops));

    o.Set("counters", countersObject(env, s.counters));
    o.Set("ops", opsArray(env, s.ops));
    if (!s.targets.empty()) {
      Napi::Array targets = Napi::Array::New(env, s.targets.size());
      for (size_t i = 0; i < s.targets.size(); i++) {
        Napi::Object t = Napi::Object::New(env);
        t.Set("tgid", s.targets[i].tgid);
        t.Set("counters", countersObject(env, s.targets[i].counters));
        t.Set("ops", opsArray(env, s.targets[i].ops));
        targets.Set(uint32_t(i), t);
      }
      o.Set("targets", targets);
    }

    Napi::Array threads = Napi::Array::New(env, s.threads.size());
    for (size_t i = 0; i < s.threads.size(); i++) {
      const us_thread &t = s.threads[i].t;
      Napi::Object th = Napi::Object::New(env);
      th.Set("tid", s.threads[i].tid);
      th.Set("tgid", t.tgid);
      th.Set("kind", kThreadKinds[t.kind < US_KIND_COUNT ? t.kind : 0]);
      th.Set("comm", std::string(t.comm, strnlen(t.comm, US_COMM_LEN)));
      th.Set("voluntary", double(t.voluntary));
      th.Set("involuntary", double(t.involuntary));
      th.Set("offcpuNs", double(t.offcpu_ns));
      th.Set("oncpuNs", double(t.oncpu_ns));
      th.Set("enterCalls", double(t.enter_calls));
      th.Set("enterNs", double(t.enter_ns));
      th.Set("enterToSubmit", double(t.enter_to_submit));
      th.Set("waits", double(t.waits));
      th.Set("waitNs", double(t.wait_ns));
      threads.Set(uint32_t(i), th);
    }
    o.Set("threads", threads);
    if (s.hasReap) o.Set("reap", distObject(env, s.reap));
    return o;
  }

  Napi::Value Drain(const Napi::CallbackInfo &info) {
    auto *buf = new std::vector<uint8_t>(session_->drain());
    if (buf->empty()) {
      delete buf;
      return info.Env().Null();
    }
    // Hand the batch to JS without a copy; freed when the ArrayBuffer is collected.
    return Napi::ArrayBuffer::New(
        info.Env(), buf->data(), buf->size(),
        [](Napi::Env, void *, std::vector<uint8_t> *b) { delete b; }, buf);
  }

  std::unique_ptr<TracerSession> session_;
};

Napi::Value ProbeRingSetup(const Napi::CallbackInfo &info) {
  uint32_t flags = info[0].As<Napi::Number>().Uint32Value();
  us::SetupProbe p = us::probeRingSetup(flags);
  Napi::Object o = Napi::Object::New(info.Env());
  o.Set("ok", p.ok);
  o.Set("errno", p.err);
  o.Set("error", p.ok ? std::string() : std::string(strerror(p.err)));
  return o;
}

Napi::Value BtfHasType(const Napi::CallbackInfo &info) {
  std::string name = info[0].As<Napi::String>();
  std::string kind = info.Length() > 1 && info[1].IsString() ? std::string(info[1].As<Napi::String>()) : "";
  std::string err;
  bool found = us::btfHasType(name, kind, &err);
  if (!err.empty()) throw Napi::Error::New(info.Env(), err);
  return Napi::Boolean::New(info.Env(), found);
}

Napi::Value OpNames(const Napi::CallbackInfo &info) {
  auto names = us::ioUringOpNames();
  Napi::Array a = Napi::Array::New(info.Env(), names.size());
  for (size_t i = 0; i < names.size(); i++) a.Set(uint32_t(i), names[i]);
  return a;
}

// opsPrograms(pids): the io_uring_bpf_ops programs driving those processes' rings (ops_programs.h).
Napi::Value OpsPrograms(const Napi::CallbackInfo &info) {
  std::vector<uint32_t> pids;
  Napi::Array in = info[0].As<Napi::Array>();
  for (uint32_t i = 0; i < in.Length(); i++) pids.push_back(in.Get(i).As<Napi::Number>().Uint32Value());
  return opsProgramsArray(info.Env(), us::opsPrograms(pids));
}

Napi::Value ReleaseOpsPrograms(const Napi::CallbackInfo &info) {
  us::releaseOpsPrograms();
  return info.Env().Undefined();
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("opsPrograms", Napi::Function::New(env, OpsPrograms));
  exports.Set("releaseOpsPrograms", Napi::Function::New(env, ReleaseOpsPrograms));
  exports.Set("Tracer", Tracer::Init(env));
  exports.Set("probeRingSetup", Napi::Function::New(env, ProbeRingSetup));
  exports.Set("btfHasType", Napi::Function::New(env, BtfHasType));
  exports.Set("opNames", Napi::Function::New(env, OpNames));
  // The libbpf this addon runs with (shared library: may differ from the headers').
  exports.Set("libbpfVersion", Napi::String::New(env, std::to_string(libbpf_major_version()) + "." +
                                                         std::to_string(libbpf_minor_version())));
  exports.Set("eventSize", Napi::Number::New(env, US_EVENT_SIZE));
  exports.Set("histBuckets", Napi::Number::New(env, US_HIST_BUCKETS));
  exports.Set("histSubBits", Napi::Number::New(env, US_HIST_SUB_BITS));
  // Every number TS shares with C, from the compiler (native/abi.h).
  exports.Set("abi", us::abiObject(env));
  return exports;
}

}  // namespace

NODE_API_MODULE(uringscope, Init)
