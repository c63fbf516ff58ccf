// One request of an engine op (enum us_op, bpf/chain.h) written into an SQE
// with liburing: shared by the declarative engine (link_user_loop.cc) and the
// runner of C policies (policy_user.cc), so an op means the same under both.
#pragma once

#include <liburing.h>
#include <sys/uio.h>

#include <cstdint>

struct SqeArgs {
  uint8_t op;
  int fd;                   // a real fd, or a registered file index when fixedFile
  bool fixedFile = false;
  uint8_t *buf = nullptr;   // data requests
  uint32_t len = 0;
  uint64_t off = 0;
  bool fixedBuf = false;    // READ_FIXED / WRITE_FIXED (buffer index 0)
  int msgFlags = 0;         // send/recv
  uint64_t timeoutNs = 0;
  const char *path = nullptr;  // openat
  int openFlags = 0;
  iovec *iov = nullptr;                 // readv/writev: storage that outlives the request
  __kernel_timespec *ts = nullptr;      // timeout: likewise
};

void prepSqe(io_uring_sqe *q, const SqeArgs &a);
