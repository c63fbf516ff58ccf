// Kernel capability probes used by `uringscope doctor` and by the tracer to
// name opcodes: io_uring_setup flag acceptance and BTF type look-ups.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace us {

struct SetupProbe {
  bool ok;
  int err;  // errno when !ok
};

// Tries io_uring_setup with `flags` (IORING_SETUP_*); NO_MMAP rings get
// user-provided, page-aligned memory as the kernel requires.
SetupProbe probeRingSetup(uint32_t flags);

// Whether vmlinux BTF has a type of that name; kind "struct", "typedef",
// "enum" or "" for any. Returns false with `err` set when BTF is unreadable.
bool btfHasType(const std::string &name, const std::string &kind, std::string *err);

// IORING_OP_* names indexed by value (without the prefix), from the running
// kernel's `enum io_uring_op`. Empty when BTF is unreadable.
std::vector<std::string> ioUringOpNames();

}  // namespace us
