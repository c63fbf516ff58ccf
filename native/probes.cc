#include "probes.h"

#include "kernel_btf.h"

#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <linux/io_uring.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#ifndef IORING_SETUP_NO_MMAP
#define IORING_SETUP_NO_MMAP (1U << 14)
#endif

namespace us {

SetupProbe probeRingSetup(uint32_t flags) {
  io_uring_params p;
  memset(&p, 0, sizeof p);
  p.flags = flags;
  // With NO_MMAP the application provides the ring memory; Debian 12's
  // header still calls the user_addr fields resv2.
  const size_t regionBytes = 1 << 16;
  void *rings = MAP_FAILED, *sqes = MAP_FAILED;
  if (flags & IORING_SETUP_NO_MMAP) {
    rings = mmap(nullptr, regionBytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    sqes = mmap(nullptr, regionBytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (rings == MAP_FAILED || sqes == MAP_FAILED) return {false, ENOMEM};
    p.cq_off.resv2 = reinterpret_cast<uint64_t>(rings);
    p.sq_off.resv2 = reinterpret_cast<uint64_t>(sqes);
  }
  long fd = syscall(__NR_io_uring_setup, 8, &p);
  int err = fd < 0 ? errno : 0;
  if (fd >= 0) close(int(fd));
  if (rings != MAP_FAILED) munmap(rings, regionBytes);
  if (sqes != MAP_FAILED) munmap(sqes, regionBytes);
  return {fd >= 0, err};
}

namespace {

btf *vmlinuxBtf(std::string *err) {
  int e = 0;
  const btf *b = kernelBtf(&e);
  if (!b && err) *err = std::string("cannot read kernel BTF: ") + strerror(e);
  return const_cast<btf *>(b);
}

}  // namespace

bool btfHasType(const std::string &name, const std::string &kind, std::string *err) {
  btf *b = vmlinuxBtf(err);
  if (!b) return false;
  int k = -1;
  if (kind == "struct") k = BTF_KIND_STRUCT;
  else if (kind == "typedef") k = BTF_KIND_TYPEDEF;
  else if (kind == "enum") k = BTF_KIND_ENUM;
  if (k < 0) return btf__find_by_name(b, name.c_str()) > 0;
  return btf__find_by_name_kind(b, name.c_str(), k) > 0;
}

std::vector<std::string> ioUringOpNames() {
  std::vector<std::string> names;
  btf *b = vmlinuxBtf(nullptr);
  if (!b) return names;
  int id = btf__find_by_name_kind(b, "io_uring_op", BTF_KIND_ENUM);
  if (id <= 0) return names;
  const btf_type *t = btf__type_by_id(b, id);
  const struct btf_enum *e = btf_enum(t);
  static const char prefix[] = "IORING_OP_";
  for (int i = 0; i < btf_vlen(t); i++) {
    const char *n = btf__name_by_offset(b, e[i].name_off);
    if (!n || e[i].val < 0 || e[i].val > 255) continue;
    if (strncmp(n, prefix, sizeof prefix - 1) == 0) n += sizeof prefix - 1;
    if (strcmp(n, "LAST") == 0) continue;
    if (names.size() <= size_t(e[i].val)) names.resize(e[i].val + 1);
    names[e[i].val] = n;
  }
  return names;
}

}  // namespace us
