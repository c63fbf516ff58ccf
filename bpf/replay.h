/* SPDX-License-Identifier: MIT */
/*
 * Replay: a recorded request stream as fixed-size records, one per request.
 * recording/replay-table.ts writes them (the TS mirror of this layout), the
 * engine loads them (native/engine/replay_table.cc) and issues each chain's
 * requests from the table instead of the step template.
 *
 * The records are a flat array in chain order: a chain's requests are
 * contiguous and in issue order, chain numbers run 0, 1, 2... without gaps,
 * and start_ns never decreases from one chain to the next. That is exactly
 * what a BPF array map (key = record index, value = struct us_replay_req)
 * can hold, so a BPF strategy can later take a chain's next request from a
 * map instead of the step template: no pointers, no variable-size fields,
 * little-endian, naturally aligned, 32 bytes.
 */
#ifndef URINGSCOPE_REPLAY_H
#define URINGSCOPE_REPLAY_H

#include "tracer.h" /* u8..u64 */

#define US_REPLAY_REQ_SIZE 32

/* us_replay_req.flags */
#define US_RP_LINK 0x1      /* linked to the chain's next record (IOSQE_IO_LINK) */
#define US_RP_HARDLINK 0x2  /* linked, and the link survives a failure (IOSQE_IO_HARDLINK) */
#define US_RP_ASYNC 0x4     /* the recording asked for IOSQE_ASYNC */
#define US_RP_CANCELLED 0x8 /* the recording saw -ECANCELED: its own link broke before it */

/* Offset meaning "the file position" (io_uring's -1). */
#define US_RP_CUR_POS (~0ULL)

struct us_replay_req {
	u64 off;      /* file offset (US_RP_CUR_POS: the file position); US_OP_TIMEOUT: the timeout in ns */
	u64 start_ns; /* when the chain starts, ns after the replay starts (scaled by --speed);
	               * the same in every record of a chain */
	u32 chain;    /* chain number */
	u32 len;      /* bytes */
	s32 res;      /* the recorded result: compared with the replay's, never enforced */
	u16 fd;       /* index into the run's fd table (a scratch file per recorded ring + fd) */
	u8 op;        /* enum us_op (bpf/chain.h) */
	u8 flags;     /* US_RP_* */
};

#endif /* URINGSCOPE_REPLAY_H */
