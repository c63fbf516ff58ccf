// The running kernel's BTF, read once, and what it says about the shapes of
// the tracepoints uringscope hooks: shared by the tracer (addon) and the
// engine's policy loader, which both pick per-kernel program variants.
#pragma once

#include <optional>
#include <string>
#include <vector>

struct btf;
struct bpf_object;

namespace us {

// The running kernel's BTF (nullptr when unreadable; errno-style code in *err).
const btf *kernelBtf(int *err = nullptr);

// A tracepoint's arguments as its BTF prototype (btf_trace_NAME: a pointer to
// `void (void *, args...)`) declares them, without the leading void *, each
// described as "struct X *", "void *", "u64", "s32", "bool"...; nullopt when
// the kernel has no such tracepoint.
std::optional<std::vector<std::string>> tracepointArgs(const std::string &name);

// The argument types of kernel function `name` (a FUNC in the kernel's BTF:
// what an fentry/fexit program can attach to), or nullopt when it has none.
std::optional<std::vector<std::string>> functionArgs(const std::string &name);

// io_uring_complete's two shapes: (ctx, req, struct io_uring_cqe *) on newer
// kernels, (ctx, req, u64 user_data, s32 res, u32 cflags, ...) up to 6.12.
bool completeTakesCqe(const std::vector<std::string> &args);
bool completeTakesFields(const std::vector<std::string> &args);

// For objects whose io_uring_complete programs come in both shapes (NAME for
// the CQE pointer, NAME_args for the fields: bpf/runtime/ring.bpf.h), keeps
// the one the running kernel has and switches the other off (before load).
void keepFittingCompleteVariant(bpf_object *obj);

}  // namespace us
