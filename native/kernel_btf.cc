#include "kernel_btf.h"

#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace us {
namespace {

// A type as the shape checks compare it (typedefs and modifiers resolved,
// integers by sign and size).
std::string describe(const btf *b, uint32_t id) {
  for (int guard = 0; guard < 16; guard++) {
    if (id == 0) return "void";
    const btf_type *t = btf__type_by_id(b, id);
    if (!t) return "?";
    switch (btf_kind(t)) {
      case BTF_KIND_TYPEDEF:
      case BTF_KIND_CONST:
      case BTF_KIND_VOLATILE:
      case BTF_KIND_RESTRICT:
      case BTF_KIND_TYPE_TAG:
        id = t->type;
        continue;
      case BTF_KIND_PTR:
        return describe(b, t->type) + " *";
      case BTF_KIND_STRUCT:
        return std::string("struct ") + btf__name_by_offset(b, t->name_off);
      case BTF_KIND_UNION:
        return std::string("union ") + btf__name_by_offset(b, t->name_off);
      case BTF_KIND_ENUM:
      case BTF_KIND_ENUM64:
        return "enum";
      case BTF_KIND_INT: {
        if (!strcmp(btf__name_by_offset(b, t->name_off), "_Bool")) return "bool";
        bool sign = btf_int_encoding(t) & BTF_INT_SIGNED;
        return std::string(sign ? "s" : "u") + std::to_string(t->size * 8);
      }
      default:
        return "?";
    }
  }
  return "?";
}

}  // namespace

const btf *kernelBtf(int *err) {
  // Loaded once: the running kernel's BTF does not change.
  static btf *cached = nullptr;
  static int cachedErr = 0;
  if (!cached && !cachedErr) {
    cached = btf__load_vmlinux_btf();
    if (!cached) cachedErr = errno ? errno : ENOENT;
  }
  if (err) *err = cachedErr;
  return cached;
}

std::optional<std::vector<std::string>> tracepointArgs(const std::string &name) {
  const btf *b = kernelBtf();
  if (!b) return std::nullopt;
  int id = btf__find_by_name_kind(b, ("btf_trace_" + name).c_str(), BTF_KIND_TYPEDEF);
  if (id <= 0) return std::nullopt;
  const btf_type *t = btf__type_by_id(b, btf__type_by_id(b, id)->type);  // the pointer
  if (!t || !btf_is_ptr(t)) return std::nullopt;
  t = btf__type_by_id(b, t->type);  // the function prototype
  if (!t || !btf_is_func_proto(t)) return std::nullopt;
  std::vector<std::string> args;
  const btf_param *p = btf_params(t);
  for (int i = 1; i < btf_vlen(t); i++) args.push_back(describe(b, p[i].type));
  return args;
}

std::optional<std::vector<std::string>> functionArgs(const std::string &name) {
  const btf *b = kernelBtf();
  if (!b) return std::nullopt;
  int id = btf__find_by_name_kind(b, name.c_str(), BTF_KIND_FUNC);
  if (id <= 0) return std::nullopt;
  const btf_type *t = btf__type_by_id(b, btf__type_by_id(b, id)->type);
  if (!t || !btf_is_func_proto(t)) return std::nullopt;
  std::vector<std::string> args;
  const btf_param *p = btf_params(t);
  for (int i = 0; i < btf_vlen(t); i++) args.push_back(describe(b, p[i].type));
  return args;
}

bool completeTakesCqe(const std::vector<std::string> &a) {
  return a.size() == 3 && a[2] == "struct io_uring_cqe *";
}

bool completeTakesFields(const std::vector<std::string> &a) {
  return a.size() >= 5 && a[2] == "u64" && a[3] == "s32" && a[4] == "u32";
}

void keepFittingCompleteVariant(bpf_object *obj) {
  auto args = tracepointArgs("io_uring_complete");
  if (!args || !(completeTakesCqe(*args) || completeTakesFields(*args))) return;  // the load says why
  bool cqe = completeTakesCqe(*args);
  bpf_program *p;
  bpf_object__for_each_program(p, obj) {
    const char *sec = bpf_program__section_name(p);
    if (!sec || strcmp(sec, "tp_btf/io_uring_complete") != 0) continue;
    std::string name = bpf_program__name(p);
    bool fieldsVariant = name.size() > 5 && name.compare(name.size() - 5, 5, "_args") == 0;
    bpf_program__set_autoload(p, fieldsVariant != cqe);
  }
}

}  // namespace us
