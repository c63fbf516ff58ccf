// See ops_attach.h. The same steps as test/helpers/uring_ops.c, which is
// written as an application would (no uringscope code in it).
#include "ops_attach.h"

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

namespace {

const unsigned kBpfFLink = 8192;       // BPF_F_LINK: Debian 12's linux/bpf.h (6.1) predates it
const int kAttachStructOps = 44;       // BPF_STRUCT_OPS in enum bpf_attach_type

int memberOffset(const btf *b, const char *type, const char *member) {
  int id = btf__find_by_name_kind(b, type, BTF_KIND_STRUCT);
  if (id < 0) return -1;
  const btf_type *t = btf__type_by_id(b, id);
  const btf_member *m = btf_members(t);
  for (int i = 0; i < btf_vlen(t); i++, m++)
    if (!strcmp(btf__name_by_offset(b, m->name_off), member)) return int(btf_member_bit_offset(t, i) / 8);
  return -1;
}

bpf_map *opsMap(bpf_object *obj) {
  bpf_map *m;
  bpf_object__for_each_map(m, obj) if (bpf_map__type(m) == BPF_MAP_TYPE_STRUCT_OPS) return m;
  return nullptr;
}

}  // namespace

void prepareRingOps(bpf_object *obj) {
  bpf_program *p;
  bpf_object__for_each_program(p, obj) {
    if (bpf_program__type(p) == BPF_PROG_TYPE_STRUCT_OPS) bpf_program__set_flags(p, BPF_F_SLEEPABLE);
  }
  if (bpf_map *m = opsMap(obj)) bpf_map__set_map_flags(m, kBpfFLink);
}

std::string attachRingOps(bpf_object *obj, const std::vector<int> &ringFds, std::vector<int> *linkFds) {
  bpf_map *m = opsMap(obj);
  bpf_program *step = bpf_object__find_program_by_name(obj, "policy_loop_step");
  if (!m || !step) return "the policy object has no bpf-ops loop step (rebuild it)";
  btf *kbtf = btf__load_vmlinux_btf();
  if (!kbtf) return "cannot read the kernel's BTF";
  int data = memberOffset(kbtf, "bpf_struct_ops_io_uring_bpf_ops", "data");
  int stepOff = memberOffset(kbtf, "io_uring_bpf_ops", "loop_step");
  int fdOff = memberOffset(kbtf, "io_uring_bpf_ops", "ring_fd");
  btf__free(kbtf);
  if (data < 0 || stepOff < 0 || fdOff < 0) return "this kernel's BTF has no io_uring_bpf_ops layout";
  std::vector<char> value(bpf_map__value_size(m));
  if (size_t(data + fdOff + 4) > value.size() || size_t(data + stepOff + 8) > value.size())
    return "the io_uring_bpf_ops layout does not fit its map value";
  bpf_map_info info{};
  uint32_t infoLen = sizeof info;
  if (bpf_obj_get_info_by_fd(bpf_map__fd(m), &info, &infoLen))
    return std::string("cannot read the policy's io_uring_bpf_ops map: ") + strerror(errno);
  uint64_t progFd = uint64_t(bpf_program__fd(step));
  memcpy(value.data() + data + stepOff, &progFd, sizeof progFd);
  for (size_t r = 0; r < ringFds.size(); r++) {
    int mapFd = bpf_map__fd(m);
    if (r > 0) {
      // The same struct_ops type, linkable, holding the same program. The
      // kernel wants a BTF fd beside a vmlinux value type (the object's will do).
      LIBBPF_OPTS(bpf_map_create_opts, o, .btf_fd = uint32_t(bpf_object__btf_fd(obj)),
                  .btf_vmlinux_value_type_id = info.btf_vmlinux_value_type_id, .map_flags = kBpfFLink);
      mapFd = bpf_map_create(BPF_MAP_TYPE_STRUCT_OPS, "policy_ops", 4, info.value_size, 1, &o);
      if (mapFd < 0) return std::string("cannot make an io_uring_bpf_ops for ring ") + std::to_string(r) + ": " + strerror(-mapFd);
    }
    uint32_t fd = uint32_t(ringFds[r]);
    memcpy(value.data() + data + fdOff, &fd, sizeof fd);
    int zero = 0;
    int e = bpf_map_update_elem(mapFd, &zero, value.data(), 0) ? errno : 0;
    int l = e ? -1 : bpf_link_create(mapFd, 0, bpf_attach_type(kAttachStructOps), nullptr);
    if (r > 0) close(mapFd);  // the link holds the map
    if (e) return std::string("cannot register the policy's io_uring_bpf_ops: ") + strerror(e);
    if (l < 0) return std::string("cannot attach the policy's io_uring_bpf_ops to its ring: ") + strerror(-l);
    linkFds->push_back(l);
  }
  return "";
}

bool kernelHasRingOps() {
  btf *kbtf = btf__load_vmlinux_btf();
  bool has = kbtf && btf__find_by_name_kind(kbtf, "io_uring_bpf_ops", BTF_KIND_STRUCT) >= 0;
  btf__free(kbtf);
  return has;
}
