#include "sqe_prep.h"

#include <fcntl.h>
#include <poll.h>

extern "C" {
#include "chain.h"
}

void prepSqe(io_uring_sqe *q, const SqeArgs &a) {
  switch (a.op) {
    case US_OP_NOP:
      io_uring_prep_nop(q);
      break;
    case US_OP_READ:
      if (a.fixedBuf) io_uring_prep_read_fixed(q, a.fd, a.buf, a.len, a.off, 0);
      else io_uring_prep_read(q, a.fd, a.buf, a.len, a.off);
      break;
    case US_OP_WRITE:
      if (a.fixedBuf) io_uring_prep_write_fixed(q, a.fd, a.buf, a.len, a.off, 0);
      else io_uring_prep_write(q, a.fd, a.buf, a.len, a.off);
      break;
    case US_OP_READV:
      *a.iov = {a.buf, a.len};
      io_uring_prep_readv(q, a.fd, a.iov, 1, a.off);
      break;
    case US_OP_WRITEV:
      *a.iov = {a.buf, a.len};
      io_uring_prep_writev(q, a.fd, a.iov, 1, a.off);
      break;
    case US_OP_SEND:
      io_uring_prep_send(q, a.fd, a.buf, a.len, a.msgFlags);
      break;
    case US_OP_RECV:
      io_uring_prep_recv(q, a.fd, a.buf, a.len, a.msgFlags);
      break;
    case US_OP_TIMEOUT:
      a.ts->tv_sec = int64_t(a.timeoutNs / 1000000000ull);
      a.ts->tv_nsec = int64_t(a.timeoutNs % 1000000000ull);
      io_uring_prep_timeout(q, a.ts, 0, 0);
      break;
    case US_OP_POLL:
      io_uring_prep_poll_add(q, a.fd, POLLIN);
      break;
    case US_OP_FSYNC:
      io_uring_prep_fsync(q, a.fd, 0);
      break;
    case US_OP_OPENAT:
      io_uring_prep_openat(q, AT_FDCWD, a.path, a.openFlags, 0);
      break;
    case US_OP_CLOSE:
      io_uring_prep_close(q, a.fd);
      break;
  }
  if (a.fixedFile && a.op != US_OP_NOP && a.op != US_OP_TIMEOUT && a.op != US_OP_OPENAT && a.op != US_OP_CLOSE)
    q->flags |= IOSQE_FIXED_FILE;
}
