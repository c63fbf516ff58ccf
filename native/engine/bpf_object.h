// A BPF object opened with plain libbpf (no skeleton), for the in-kernel
// policies: the declarative interpreter (embedded at build time) and C
// policies (compiled at run time, so no skeleton can exist for them). Their
// globals are found by name through the object's BTF, so a policy's own
// globals can sit anywhere in .bss/.rodata without moving the runtime's.
#pragma once

#include <bpf/libbpf.h>

#include <cstddef>
#include <string>
#include <vector>

class BpfObject {
 public:
  BpfObject() = default;
  BpfObject(const BpfObject &) = delete;
  BpfObject &operator=(const BpfObject &) = delete;
  ~BpfObject();

  // "" or a one-line error; `what` names the object in it ("policy x.c").
  std::string openMem(const void *data, size_t size, const char *name);
  std::string openFile(const std::string &path, const std::string &what);

  // A global by name: before load(), its initial value (write configuration
  // there); after, the kernel's memory (.bss/.data, mapped shared). nullptr
  // when there is no such global. `size` gets its size in bytes.
  void *var(const char *name, size_t *size = nullptr);
  template <class T>
  T *as(const char *name) {
    return static_cast<T *>(var(name));
  }
  bpf_map *map(const char *name) { return bpf_object__find_map_by_name(obj_, name); }

  // Loads every program. On failure the error names the verifier's complaint
  // and, when the log has it, the source line (see native/libbpf_log.h).
  std::string load(const std::string &what);
  // Before load(): the object is a .ops one (bpf/runtime/ops.bpf.h): its
  // completion programs stay unloaded, the loop step runs instead.
  void useOpsLoop() { opsLoop_ = true; }
  std::string attach();
  bpf_object *raw() { return obj_; }

 private:
  struct Section {
    std::string name;  // ".bss", ".rodata", ...
    bpf_map *map;
    void *shared = nullptr;  // after load: the map mapped shared
    size_t size = 0;
  };
  std::string index();

  bpf_object *obj_ = nullptr;
  std::vector<Section> sections_;
  std::vector<bpf_link *> links_;
  bool loaded_ = false;
  bool opsLoop_ = false;
};
