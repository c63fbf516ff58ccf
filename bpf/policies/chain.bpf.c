// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * The in-kernel chain policy (strategy `bpf`): runs the workload's step
 * template (bpf/chain.h — the same planning and completion rules the engine
 * runs in userspace for `user` and `link`) at every completion of our ring,
 * and issues the next step by writing an SQE into the ring memory, which is
 * this program's mmapable map, and bumping the SQ tail; the SQPOLL thread
 * issues it. New chains start here too, so userspace is not woken per step
 * nor per chain: it only kicks each slot once with a NOP and reads a ring
 * buffer of rare records.
 */
#include "../runtime/ring.bpf.h"

char LICENSE[] SEC("license") = "Dual MIT/GPL";

const volatile u32 nsteps = 0;

/*
 * The step template. Not const: bpf/chain.h takes plain pointers, and clang
 * folds loads through a non-volatile pointer into a const zero-initialised
 * array to zeros. Written by the loader before load, read-only afterwards.
 */
struct us_step steps[US_MAX_STEPS] = {};

struct slot {
	struct us_chain c;
	struct us_req r;   /* the request in flight (or parked) */
	u64 start_ns;
	u64 sum;           /* FNV-1a of the bytes this chain read */
	u32 parked;
	u32 busy;
	u32 ring;          /* the ring this slot runs on (set by its kick) */
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);         /* resized by the loader */
	__type(key, u32);
	__type(value, struct slot);
} slots SEC(".maps");

/* Issues s->r, or parks it when the SQ is full or the lock is contended. */
static __always_inline void post(u8 *mem, u8 *sbuf, u32 slot, struct slot *s)
{
	if (budget_spent()) {
		s->c.status = US_CHAIN_FAILED;
		s->c.error = -EBUSY;
		return;
	}
	if (lock_sq(s->ring)) {
		u32 t;
		bool ok = sq_room(mem, &t) > 0 && write_sqe(mem, sbuf, slot, t, &s->r, 0);

		if (ok)
			publish(mem, t + 1, 1, slot);
		unlock_sq(s->ring);
		if (ok)
			return;
	}
	if (!s->parked) {
		s->parked = 1;
		__sync_fetch_and_add(&parked, 1);
		add(US_PC_SQ_FULL, 1);
	}
}

static __always_inline bool start_chain(u32 slot, struct slot *s, u8 *sbuf, u64 now)
{
	u64 idx;

	if (!next_chain_index(&idx))
		return false;
	__builtin_memset(&s->c, 0, sizeof(s->c));
	s->c.index = (u32)idx;
	s->start_ns = now;
	s->sum = US_FNV_OFFSET;
	if (us_plan(steps, nsteps, &s->c, 0, sbuf, data_bytes, &s->r)) {
		s->c.status = US_CHAIN_FAILED;
		s->c.error = -75;
	}
	return true;
}

/* Runs the slot forward from a completion: finish/start chains, post the next step. */
static __always_inline void advance(u8 *mem, u8 *sbuf, u32 slot, struct slot *s, u64 now)
{
	int guard;

	/* At most two chains end here: the finished one and one that fails to plan. */
	for (guard = 0; guard < 2; guard++) {
		if (s->c.status == US_CHAIN_RUNNING) {
			post(mem, sbuf, slot, s);
			if (s->c.status == US_CHAIN_RUNNING)
				return;
		}
		if (s->busy) {
			add(US_PC_RETRIES, s->c.retries);
			account_chain(slot, s->c.index, s->c.status, s->c.error, s->sum, now - s->start_ns);
		}
		if (!start_chain(slot, s, sbuf, now)) {
			slot_idle(slot, &s->busy);
			return;
		}
		slot_busy(&s->busy);
	}
}

static long unpark_one(u64 i, void *p)
{
	struct unpark_ctx *u = p;
	u32 slot = (u32)i;
	struct slot *s = bpf_map_lookup_elem(&slots, &slot);
	u8 *sbuf = bpf_map_lookup_elem(&bufs, &slot);
	bool ok = false;
	u8 *mem;
	u32 t;

	if (unpark_spent(u))
		return 1;
	/* Another ring's slot is that ring's to unpark: its completions may run on another CPU now. */
	if (!s || !sbuf || !s->parked || s->ring != u->ring)
		return 0;
	mem = ring_mem_at(s->ring);
	if (!mem)
		return 0;
	if (lock_sq(s->ring)) {
		ok = sq_room(mem, &t) > 0 && write_sqe(mem, sbuf, slot, t, &s->r, 0);
		if (ok)
			publish(mem, t + 1, 1, slot);
		unlock_sq(s->ring);
	}
	if (!ok)
		return 1; /* still full: stop scanning */
	s->parked = 0;
	__sync_fetch_and_sub(&parked, 1);
	add(US_PC_UNPARKED, 1);
	return --u->budget == 0;
}

static __always_inline int chain_complete(struct ring_cqe *evp)
{
	struct ring_cqe ev = *evp;
	u32 slot, step;
	s32 res;
	u64 now;
	u8 *mem, *sbuf;
	struct slot *s;

	mem = ev.mem;
	slot = ev.slot;
	step = ev.tag;
	res = ev.res;
	now = ev.now;
	unpark_scan(&ev, unpark_one);
	if (ring_control(step))
		return 0;
	s = bpf_map_lookup_elem(&slots, &slot);
	sbuf = bpf_map_lookup_elem(&bufs, &slot);
	if (!s || !sbuf)
		return 0;

	if (step == US_TAG_KICK) {
		__sync_fetch_and_add(&user_completed[0], 1);
		s->ring = ev.ring; /* the kick came on the slot's ring */
		s->busy = 0;
		s->c.status = US_CHAIN_DONE; /* nothing to account: start the first chain */
		if (start_chain(slot, s, sbuf, now)) {
			slot_busy(&s->busy);
			advance(mem, sbuf, slot, s, now);
		}
		return 0;
	}

	if (s->r.op < US_OP_COUNT)
		__sync_fetch_and_add(&op_completed[s->r.op], 1);
	if (res == -ECANCELED) {
		__sync_fetch_and_add(&cancelled, 1);
		if (stop) {
			s->c.status = US_CHAIN_FAILED;
			s->c.error = res;
			add(US_PC_CHAINS_STOPPED, 1);
			slot_idle(slot, &s->busy);
			return 0;
		}
	}
	if (s->c.status != US_CHAIN_RUNNING || step != s->r.step)
		return 0;

	if (res > 0 && us_moves_data(s->r.op)) {
		add(US_PC_BYTES, (u64)res);
		if (checksum && is_read_op(s->r.op))
			s->sum = fnv_bytes(sbuf, s->r.buf_off, (u32)res, s->sum);
	}
	{
		u64 before = s->c.steps_done;

		if (us_complete(steps, nsteps, &s->c, &s->r, res) == US_NEXT &&
		    us_plan(steps, nsteps, &s->c, s->c.step, sbuf, data_bytes, &s->r)) {
			s->c.status = US_CHAIN_FAILED;
			s->c.error = -75;
		}
		add(US_PC_STEPS, s->c.steps_done - before);
	}
	advance(mem, sbuf, slot, s, now);
	return 0;
}

RING_COMPLETION_PROGRAMS(chain_complete)
