// The TS↔C ABI as the C compiler sees it: enum values, struct sizes and
// field offsets of every record TS reads or writes. Exported by the addon as
// `abi` (native/addon.cc); core/abi.ts holds the TS copy and
// test/unit/abi.test.ts checks the two are equal.
#pragma once

#include <napi.h>

namespace us {
Napi::Object abiObject(Napi::Env env);
}
