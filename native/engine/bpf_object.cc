#include "bpf_object.h"

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <sys/mman.h>

#include <cerrno>
#include <cstring>

#include "../kernel_btf.h"
#include "../libbpf_log.h"
#include "ops_attach.h"

namespace {

std::string errText(int e) { return strerror(e < 0 ? -e : e); }

bool endsWith(const std::string &s, const std::string &tail) {
  return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

}  // namespace

BpfObject::~BpfObject() {
  for (bpf_link *l : links_) bpf_link__destroy(l);
  for (Section &s : sections_)
    if (s.shared) munmap(s.shared, s.size);
  if (obj_) bpf_object__close(obj_);
}

// libbpf prints why an open fails (an unresolved extern, a bad section)
// before returning a bare errno: captured, it becomes the one line.
std::string BpfObject::openMem(const void *data, size_t size, const char *name) {
  LIBBPF_OPTS(bpf_object_open_opts, o, .object_name = name);
  us::beginLibbpfLog();
  obj_ = bpf_object__open_mem(data, size, &o);
  int e = errno;
  std::string log = us::endLibbpfLog();
  if (!obj_) return us::explainOpenFailure(name, e, log);
  return index();
}

std::string BpfObject::openFile(const std::string &path, const std::string &what) {
  us::beginLibbpfLog();
  obj_ = bpf_object__open_file(path.c_str(), nullptr);
  int e = errno;
  std::string log = us::endLibbpfLog();
  if (!obj_) return us::explainOpenFailure(what, e, log);
  return index();
}

// libbpf names a data section's map "<object prefix>.bss" etc.
std::string BpfObject::index() {
  bpf_map *m;
  bpf_object__for_each_map(m, obj_) {
    if (!bpf_map__is_internal(m)) continue;
    std::string n = bpf_map__name(m);
    size_t dot = n.find('.');
    if (dot == std::string::npos) continue;
    sections_.push_back({n.substr(dot), m});
  }
  return "";
}

void *BpfObject::var(const char *name, size_t *size) {
  const btf *b = bpf_object__btf(obj_);
  if (!b) return nullptr;
  for (Section &s : sections_) {
    int id = btf__find_by_name_kind(b, s.name.c_str(), BTF_KIND_DATASEC);
    if (id < 0) continue;
    const btf_type *sec = btf__type_by_id(b, id);
    const btf_var_secinfo *vs = btf_var_secinfos(sec);
    for (int i = 0; i < btf_vlen(sec); i++, vs++) {
      const btf_type *v = btf__type_by_id(b, vs->type);
      if (strcmp(btf__name_by_offset(b, v->name_off), name) != 0) continue;
      if (size) *size = vs->size;
      if (loaded_) return s.shared ? static_cast<char *>(s.shared) + vs->offset : nullptr;
      size_t len = 0;
      auto *base = static_cast<char *>(const_cast<void *>(bpf_map__initial_value(s.map, &len)));
      return base && vs->offset + vs->size <= len ? base + vs->offset : nullptr;
    }
  }
  return nullptr;
}

std::string BpfObject::load(const std::string &what) {
  // io_uring_complete programs come in both of the kernels' shapes
  // (bpf/runtime/ring.bpf.h): keep the one this kernel has.
  us::keepFittingCompleteVariant(obj_);
  if (opsLoop_) {
    bpf_program *p;
    bpf_object__for_each_program(p, obj_) {
      const char *sec = bpf_program__section_name(p);
      if (sec && !strcmp(sec, "tp_btf/io_uring_complete")) bpf_program__set_autoload(p, false);
    }
    prepareRingOps(obj_);
  }
  us::beginLibbpfLog();
  int r = bpf_object__load(obj_);
  std::string log = us::endLibbpfLog();
  if (r) return us::explainLoadFailure(what, r, log);
  loaded_ = true;
  // Writable data sections, mapped shared: userspace and the programs see
  // the same words (the SQ lock, the counters).
  for (Section &s : sections_) {
    if (s.name == ".rodata" || endsWith(s.name, ".rodata") || s.name.rfind(".rodata", 0) == 0) continue;
    if (!(bpf_map__map_flags(s.map) & BPF_F_MMAPABLE)) continue;
    s.size = (size_t(bpf_map__value_size(s.map)) + 4095) & ~size_t(4095);
    void *p = mmap(nullptr, s.size, PROT_READ | PROT_WRITE, MAP_SHARED, bpf_map__fd(s.map), 0);
    if (p == MAP_FAILED) return "cannot map the policy's " + s.name + " section: " + errText(errno);
    s.shared = p;
  }
  return "";
}

std::string BpfObject::attach() {
  bpf_program *p;
  bpf_object__for_each_program(p, obj_) {
    if (!bpf_program__autoload(p)) continue;  // another kernel's variant
    if (bpf_program__type(p) == BPF_PROG_TYPE_STRUCT_OPS) continue;  // attached through its map (ops_attach.h)
    bpf_link *l = bpf_program__attach(p);
    if (!l) return "cannot attach " + std::string(bpf_program__name(p)) + ": " + errText(errno);
    links_.push_back(l);
  }
  return "";
}
