// Attaching a policy object's io_uring_bpf_ops (bpf/runtime/ops.bpf.h) to
// one ring, with Debian 12's libbpf 1.1, which predates struct_ops links and
// the skeleton's shadow types: the map value (the loop step's program fd and
// the ring fd) is written at the offsets the kernel's BTF gives, and the
// link is made with bpf_link_create(BPF_STRUCT_OPS). The link is the
// attachment: closing it (or the process dying) detaches the ops.
#pragma once

#include <bpf/libbpf.h>

#include <string>
#include <vector>

// Before load: the loop step is sleepable (it calls bpf_io_uring_submit_sqes),
// the struct_ops map is created linkable. Only the .ops objects have them.
void prepareRingOps(bpf_object *obj);

// After load: binds the loop step to each ring, one attachment per ring. A
// struct_ops map value holds one ring_fd and is registered once, so the
// first ring takes the object's map and every other ring a new map of the
// same type with the same program. "" or a one-line error; *linkFds gets the
// attachments made (also on error: the caller closes them).
std::string attachRingOps(bpf_object *obj, const std::vector<int> &ringFds, std::vector<int> *linkFds);

// Whether this kernel has io_uring bpf-ops at all (its BTF names the type).
bool kernelHasRingOps();
