// Which recorded io_uring opcodes a replay can issue, as what engine op
// (enum us_op in bpf/chain.h), and why the others are skipped. Recordings
// name their opcodes (header.opNames), so this is keyed by the kernel's name,
// not by a number that may differ between kernels.
import { ABI } from '../core/abi.js';

/** The engine ops a replay issues (enum us_op, core/abi.ts). */
export const US_OP = {
  NOP: ABI.op.nop, READ: ABI.op.read, WRITE: ABI.op.write, READV: ABI.op.readv, WRITEV: ABI.op.writev,
  TIMEOUT: ABI.op.timeout, FSYNC: ABI.op.fsync,
} as const;

export type ReplayOp = (typeof US_OP)[keyof typeof US_OP];

/** Kernel opcode name → the engine op that replays it. */
const REPLAYED: Record<string, ReplayOp> = {
  NOP: US_OP.NOP,
  READ: US_OP.READ,
  // Registered buffers belong to the recorded process: replayed as plain reads/writes.
  READ_FIXED: US_OP.READ,
  WRITE: US_OP.WRITE,
  WRITE_FIXED: US_OP.WRITE,
  READV: US_OP.READV,
  WRITEV: US_OP.WRITEV,
  FSYNC: US_OP.FSYNC,
  // The recorded time to completion becomes the timeout.
  TIMEOUT: US_OP.TIMEOUT,
};

/** Engine ops that act on a file (a scratch file per recorded ring + fd stands in). */
export function usesFile(op: ReplayOp): boolean {
  return op === US_OP.READ || op === US_OP.WRITE || op === US_OP.READV || op === US_OP.WRITEV || op === US_OP.FSYNC;
}

export function isRead(op: ReplayOp): boolean {
  return op === US_OP.READ || op === US_OP.READV;
}

export function movesData(op: ReplayOp): boolean {
  return op === US_OP.READ || op === US_OP.WRITE || op === US_OP.READV || op === US_OP.WRITEV;
}

export function replayOpOf(kernelName: string): ReplayOp | undefined {
  return REPLAYED[kernelName];
}

const SOCKET = new Set([
  'SEND', 'RECV', 'SENDMSG', 'RECVMSG', 'SEND_ZC', 'SENDMSG_ZC', 'RECV_ZC', 'ACCEPT', 'CONNECT', 'SOCKET',
  'SHUTDOWN', 'BIND', 'LISTEN',
]);
const PATHS = new Set([
  'OPENAT', 'OPENAT2', 'CLOSE', 'STATX', 'RENAMEAT', 'UNLINKAT', 'MKDIRAT', 'SYMLINKAT', 'LINKAT', 'SETXATTR',
  'GETXATTR', 'FSETXATTR', 'FGETXATTR', 'FIXED_FD_INSTALL', 'FILES_UPDATE', 'FTRUNCATE', 'FALLOCATE',
]);
const OTHER_REQUESTS = new Set(['ASYNC_CANCEL', 'LINK_TIMEOUT', 'TIMEOUT_REMOVE', 'POLL_REMOVE', 'MSG_RING']);
const WAITS = new Set(['POLL_ADD', 'EPOLL_CTL', 'EPOLL_WAIT', 'WAITID', 'FUTEX_WAIT', 'FUTEX_WAKE', 'FUTEX_WAITV']);

/** Why a recorded opcode is not replayed (one phrase, shown to the user). */
export function skipReason(kernelName: string): string {
  if (SOCKET.has(kernelName)) return 'sockets have no replay target';
  if (PATHS.has(kernelName)) return "acts on the recorded process's paths or fds, which a replay never touches";
  if (OTHER_REQUESTS.has(kernelName)) return 'refers to other requests by user_data';
  if (WAITS.has(kernelName)) return "waits on the recorded process's fds or memory";
  return 'not an operation the engine issues';
}
