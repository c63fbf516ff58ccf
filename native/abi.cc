// Builds the `abi` object from the shared headers, so every number in it is
// the compiler's, not a hand copy (see native/abi.h). Names are the ones TS
// uses (core/abi.ts); a field or enumerator that no longer exists here is a
// compile error, a changed value a failing test/unit/abi.test.ts.
#include "abi.h"

#include <cstddef>
#include <type_traits>

#include "chain.h"
#include "replay.h"
#include "tracer.h"

namespace {

// "u8".."u64"/"s8".."s64" for an integer field: the DataView call TS must use.
template <typename T>
const char *intKind() {
  static_assert(std::is_integral<T>::value, "ABI fields are integers");
  constexpr bool s = std::is_signed<T>::value;
  switch (sizeof(T)) {
    case 1: return s ? "s8" : "u8";
    case 2: return s ? "s16" : "u16";
    case 4: return s ? "s32" : "u32";
    default: return s ? "s64" : "u64";
  }
}

template <typename T>
Napi::Array field(Napi::Env env, size_t offset) {
  Napi::Array a = Napi::Array::New(env, 2);
  a.Set(0u, Napi::Number::New(env, double(offset)));
  a.Set(1u, Napi::String::New(env, intKind<T>()));
  return a;
}

#define US_FIELD(o, S, c, ts) o.Set(#ts, field<decltype(S::c)>(env, offsetof(S, c)));

// struct us_event (bpf/tracer.h): X(C field, TS name)
#define US_EVENT_FIELDS(X)                                                              \
  X(submit_ns, submitNs) X(complete_ns, completeNs) X(ctx, ctx) X(req, req)             \
  X(user_data, userData) X(off, off) X(tgid, tgid) X(submit_tid, submitTid)             \
  X(complete_tid, completeTid) X(len, len) X(res, res) X(fd, fd) X(cflags, cflags)      \
  X(opcode, opcode) X(type, type) X(sqe_flags, sqeFlags)

// struct us_replay_req (bpf/replay.h)
#define US_REPLAY_FIELDS(X) \
  X(off, off) X(start_ns, startNs) X(chain, chain) X(len, len) X(res, res) X(fd, fd) X(op, op) X(flags, flags)

template <typename S>
Napi::Object record(Napi::Env env, Napi::Object fields) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("size", Napi::Number::New(env, double(sizeof(S))));
  o.Set("fields", fields);
  return o;
}

Napi::Object eventRecord(Napi::Env env) {
  static_assert(sizeof(us_event) == US_EVENT_SIZE, "US_EVENT_SIZE follows struct us_event");
  Napi::Object f = Napi::Object::New(env);
#define X(c, ts) US_FIELD(f, us_event, c, ts)
  US_EVENT_FIELDS(X)
#undef X
  return record<us_event>(env, f);
}

Napi::Object replayRecord(Napi::Env env) {
  static_assert(sizeof(us_replay_req) == US_REPLAY_REQ_SIZE, "US_REPLAY_REQ_SIZE follows struct us_replay_req");
  Napi::Object f = Napi::Object::New(env);
#define X(c, ts) US_FIELD(f, us_replay_req, c, ts)
  US_REPLAY_FIELDS(X)
#undef X
  return record<us_replay_req>(env, f);
}

// A name → value table; {"a", A, "b", B} pairs.
Napi::Object table(Napi::Env env, std::initializer_list<std::pair<const char *, double>> kv) {
  Napi::Object o = Napi::Object::New(env);
  for (const auto &p : kv) o.Set(p.first, Napi::Number::New(env, p.second));
  return o;
}

}  // namespace

namespace us {

Napi::Object abiObject(Napi::Env env) {
  Napi::Object abi = Napi::Object::New(env);
  abi.Set("histBuckets", double(US_HIST_BUCKETS));
  abi.Set("histSubBits", double(US_HIST_SUB_BITS));
  abi.Set("statSlotsMax", double(US_STAT_SLOTS_MAX));
  abi.Set("retiredTid", double(US_RETIRED_TID));
  abi.Set("maxFds", double(US_MAX_FDS));

  Napi::Object op = Napi::Object::New(env);
#define US_OP_NAME(e, n) op.Set(#n, double(US_OP_##e));
  US_OPS(US_OP_NAME)
#undef US_OP_NAME
  abi.Set("op", op);
  abi.Set("opCount", double(US_OP_COUNT));

  // struct us_step's modes (bpf/chain.h), named as workloads spell them.
  abi.Set("lenMode", table(env, {{"fixed", US_LEN_FIXED}, {"previous", US_LEN_PREVIOUS}, {"header", US_LEN_HEADER}}));
  abi.Set("offMode", table(env, {{"fixed", US_OFF_FIXED}, {"perChain", US_OFF_PER_CHAIN},
                                 {"continue", US_OFF_CONTINUE}, {"sameAs", US_OFF_SAME_AS}}));
  abi.Set("onShort", table(env, {{"continue", US_SHORT_CONTINUE}, {"retry", US_SHORT_RETRY}}));
  abi.Set("onZero", table(env, {{"stop", US_ZERO_STOP}, {"continue", US_ZERO_CONTINUE}}));
  abi.Set("onError", table(env, {{"fail", US_ERR_FAIL}, {"retry", US_ERR_RETRY}, {"skip", US_ERR_SKIP}}));
  abi.Set("stepFlag", table(env, {{"hardlink", US_STEP_HARDLINK}, {"async", US_STEP_ASYNC}, {"dontwait", US_STEP_DONTWAIT}}));

  abi.Set("eventType", table(env, {{"complete", US_EV_COMPLETE}, {"more", US_EV_MORE}}));
#define US_PATH_ENTRY(e, n) {#n, US_PATH_##e},
  abi.Set("path", table(env, {US_PATHS(US_PATH_ENTRY)}));
#undef US_PATH_ENTRY
#define US_PHASE_ENTRY(e, n) {#n, US_PHASE_##e},
  abi.Set("phase", table(env, {US_PHASES(US_PHASE_ENTRY)}));
#undef US_PHASE_ENTRY
  abi.Set("event", eventRecord(env));

  abi.Set("replayReq", replayRecord(env));
  abi.Set("replayFlag", table(env, {{"link", US_RP_LINK}, {"hardlink", US_RP_HARDLINK},
                                    {"async", US_RP_ASYNC}, {"cancelled", US_RP_CANCELLED}}));
  return abi;
}

}  // namespace us
