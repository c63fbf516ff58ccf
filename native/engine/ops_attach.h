// Attaching a policy object's io_uring_bpf_ops (bpf/runtime/ops.bpf.h) to
// one ring, with Debian 12's libbpf 1.1, which predates struct_ops links and
// the skeleton's shadow types: the map value (the loop step's program fd and
// the ring fd) is written at the offsets the kernel's BTF gives, and the
// link is made with bpf_link_create(BPF_STRUCT_OPS). The link is the
// attachment: closing it (or the process dying) detaches the ops.
#pragma once

#include <bpf/libbpf.h>

#include <string>

// Before load: the loop step is sleepable (it calls bpf_io_uring_submit_sqes),
// the struct_ops map is created linkable. Only the .ops objects have them.
void prepareRingOps(bpf_object *obj);

// After load: binds the object's struct_ops map to ringFd. "" or a one-line
// error; *linkFd is the attachment.
std::string attachRingOps(bpf_object *obj, int ringFd, int *linkFd);

// Whether this kernel has io_uring bpf-ops at all (its BTF names the type).
bool kernelHasRingOps();
