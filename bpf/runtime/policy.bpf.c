// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * The BPF runtime of a C policy (strategy `bpf`, `--policy FILE.c`): built
 * per policy with -DUS_POLICY_SOURCE="FILE.c" (scripts/build-policy.sh). At
 * every completion of our ring it updates the chain (bpf/policy_runtime.h,
 * shared with the native runtime), calls the policy, and moves the requests
 * it queued into the ring in one go (a kernel link it built stays contiguous
 * in the SQ), parking them when the SQ is full. Chains start here too; like
 * the declarative interpreter (bpf/policies/chain.bpf.c), userspace only
 * kicks each slot once.
 */
#include "ring.bpf.h"
#include "uringscope.h"

char LICENSE[] SEC("license") = "Dual MIT/GPL";


u64 stats[US_MAX_STATS] = {}; /* the policy's US_STATS counters */
u64 run_start_ns = 0;         /* set by userspace before the first kick */

/* Per-chain input (replay: the recorded requests), filled by userspace after load. */
struct input_span {
	u32 first;
	u32 count;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, 1);         /* resized by the loader: records */
	__type(key, u32);
	__type(value, struct us_input);
} input SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, 1);         /* resized by the loader: chains */
	__type(key, u32);
	__type(value, struct input_span);
} input_index SEC(".maps");

struct pslot {
	struct us_ctx c;
	u64 start_ns;
	u64 sum;       /* FNV-1a of the bytes this chain read */
	u32 parked;
	u32 busy;
	u32 in_policy;
	u32 ring;    /* the ring this slot runs on (set by its kick) */
	/*
	 * Scratch of one post_actions() walk. In the map, not on the stack: the
	 * verifier does not track map contents, so the walk's callbacks converge
	 * instead of being re-verified for every count they could see.
	 */
	u32 w_t;     /* SQ tail when writing started */
	u32 w_k;     /* SQEs written */
	u32 w_need;  /* SQEs the pending actions need */
	u32 w_last;  /* the last ISSUE among them: a link ends there */
	u32 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);         /* resized by the loader */
	__type(key, u32);
	__type(value, struct pslot);
} slots SEC(".maps");

/* The API's hooks (bpf/uringscope.h). */
static __always_inline const u8 *us_rt_buf(u32 slot)
{
	return bpf_map_lookup_elem(&bufs, &slot);
}

static __always_inline u32 us_rt_buf_bytes(void)
{
	return data_bytes;
}

static __always_inline u64 *us_rt_stats(void)
{
	return stats;
}

static __always_inline const struct us_input *us_rt_input(u32 chain, u32 i)
{
	struct input_span *sp = bpf_map_lookup_elem(&input_index, &chain);
	u32 k;

	if (!sp || i >= sp->count)
		return 0;
	k = sp->first + i;
	return bpf_map_lookup_elem(&input, &k);
}

static __always_inline u64 us_rt_elapsed(void)
{
	return bpf_ktime_get_ns() - run_start_ns;
}

#include US_POLICY_SOURCE
#include "policy_runtime.h"

static __always_inline void emit(struct us_ctx *c, const struct us_action *a)
{
	struct us_done *d = bpf_ringbuf_reserve(&done, sizeof(*d), 0);

	if (!d) {
		add(US_PC_EMITS_LOST, 1);
		return;
	}
	d->kind = US_DONE_EMIT;
	d->slot = c->slot;
	d->chain = c->chain;
	d->status = a->emit_kind;
	d->latency_ns = 0;
	d->a = a->a;
	d->b = a->b;
	/*
	 * No wake-up per record: userspace reads them every 100 ms, or when a
	 * quarter of the ring buffer is waiting (a policy that emits per step
	 * wakes it once per ~4,600 records instead of losing them).
	 */
	bpf_ringbuf_submit(d, bpf_ringbuf_query(&done, BPF_RB_AVAIL_DATA) > (256 << 10) ? BPF_RB_FORCE_WAKEUP : BPF_RB_NO_WAKEUP);
	add(US_PC_EMITS, 1);
}

static __always_inline void park(struct pslot *s)
{
	if (!s->parked) {
		s->parked = 1;
		__sync_fetch_and_add(&parked, 1);
		add(US_PC_SQ_FULL, 1);
	}
}

/*
 * The actions are walked with bpf_loop callbacks: each callback is verified
 * once, where an unrolled walk over 8 actions with running counts would make
 * the verifier explore every combination.
 */
struct act_walk {
	struct pslot *s;
	u8 *mem;
	u8 *sbuf;
	u32 slot;
};

/* Emits go out at once; issues of a chain that ended are dropped; the rest counted. */
static long classify_one(u64 k, void *p)
{
	struct act_walk *w = p;
	struct us_ctx *c = &w->s->c;
	struct us_action *a;
	u64 i = c->posted + k; /* the walk covers the pending actions only */

	if (i >= c->nact || i >= US_MAX_ACTIONS)
		return 1;
	a = &c->act[i & (US_MAX_ACTIONS - 1)];
	if (a->kind == US_ACT_EMIT) {
		emit(c, a);
		a->kind = 0;
	} else if (a->kind == US_ACT_ISSUE && c->status != US_CHAIN_RUNNING) {
		a->kind = 0; /* the chain ended in the same call: nothing more to issue */
	} else if (a->kind == US_ACT_ISSUE && budget_spent()) {
		us_fail(c, -EBUSY);
		a->kind = 0;
	} else if (a->kind == US_ACT_ISSUE && us_moves_data(a->q.op) &&
		   (a->q.buf_off > data_bytes || a->q.len > data_bytes - a->q.buf_off)) {
		us_fail(c, -75); /* EOVERFLOW: the data would not fit the chain's buffer */
		a->kind = 0;
	} else if (a->kind) {
		w->s->w_need++;
		if (a->kind == US_ACT_ISSUE)
			w->s->w_last = (u32)i;
	}
	return 0;
}

/* Writes action i's SQE (a request or a cancel) at tail + k. Caller holds the SQ lock. */
static long write_one(u64 k, void *p)
{
	struct act_walk *w = p;
	struct us_ctx *c = &w->s->c;
	struct us_action *a;
	struct us_req r = {};
	u8 link = 0;
	u64 i = c->posted + k;

	if (i >= c->nact || i >= US_MAX_ACTIONS)
		return 1;
	a = &c->act[i & (US_MAX_ACTIONS - 1)];
	if (a->kind == US_ACT_CANCEL) {
		if (write_cancel(w->mem, w->slot, w->s->w_t + w->s->w_k, a->q.tag))
			w->s->w_k++;
		add(US_PC_CANCELS, 1);
		return 0;
	}
	if (a->kind != US_ACT_ISSUE)
		return 0;
	/* A link never reaches past the batch: it would join another chain's request. */
	if (i != w->s->w_last)
		link = (a->q.flags & US_IO_HARDLINK) ? IOSQE_IO_HARDLINK_BIT
		       : (a->q.flags & US_IO_LINK) ? IOSQE_IO_LINK_BIT : 0;
	r.op = a->q.op;
	r.fd = (u8)a->q.fd;
	r.step = a->q.tag;
	r.len = a->q.len;
	r.buf_off = a->q.buf_off;
	r.off = a->q.op == US_OP_TIMEOUT ? 0 : a->q.off;
	r.timeout_ns = a->q.op == US_OP_TIMEOUT ? a->q.off : 0;
	r.flags = a->q.flags & (US_ASYNC | US_DONTWAIT);
	r.raw_fd = (a->q.flags & US_FD_RAW) ? a->q.fd : -1;
	if (write_sqe(w->mem, w->sbuf, w->slot, w->s->w_t + w->s->w_k, &r, link)) {
		us_rt_issued(c, a);
		w->s->w_k++;
	}
	return 0;
}

/*
 * Moves the chain's queued actions into the ring: emits go to the ring
 * buffer at once; requests and cancels are written under the SQ lock and
 * published together (a kernel link the policy built stays contiguous), or
 * all parked when the SQ has no room for them. False when parked.
 */
static __always_inline bool post_actions(u8 *mem, u8 *sbuf, u32 slot, struct pslot *s)
{
	struct act_walk w = { .s = s, .mem = mem, .sbuf = sbuf, .slot = slot };
	struct us_ctx *c = &s->c;
	u32 pending = c->nact > c->posted ? c->nact - c->posted : 0;
	u32 t = 0;

	s->w_need = 0;
	s->w_last = 0;
	s->w_k = 0;
	/* One callback per pending action (usually one), not one per possible action. */
	bpf_loop(pending & (2 * US_MAX_ACTIONS - 1), classify_one, &w, 0);
	if (s->w_need) {
		if (!lock_sq(s->ring)) {
			park(s);
			return false;
		}
		if (sq_room(mem, &t) < s->w_need) {
			unlock_sq(s->ring);
			park(s);
			return false;
		}
		s->w_t = t;
		bpf_loop(pending & (2 * US_MAX_ACTIONS - 1), write_one, &w, 0);
		publish(mem, t + s->w_k, s->w_k, slot);
		unlock_sq(s->ring);
	}
	c->posted = c->nact;
	if (s->parked) {
		s->parked = 0;
		__sync_fetch_and_sub(&parked, 1);
		add(US_PC_UNPARKED, 1);
	}
	return true;
}

/*
 * The policy's entries run inside bpf_loop callbacks of one iteration: a
 * callback is verified once, however many places call it, so a policy's
 * branches are not multiplied by the runtime's own paths.
 */
struct call {
	struct pslot *s;
	u32 slot;
	u32 chain;
	u32 tag;
	s32 res;
	u32 cflags;
};

static long call_start(u64 i, void *p)
{
	struct call *x = p;

	us_rt_begin(&x->s->c, x->slot, x->chain);
	return 1;
}

static long call_complete(u64 i, void *p)
{
	struct call *x = p;

	us_rt_complete(&x->s->c, x->tag, x->res, x->cflags);
	return 1;
}

/* Starts the next chain in the slot, if the run has one. */
static __always_inline bool start_chain(u32 slot, struct pslot *s, u64 now)
{
	struct call x = { .s = s, .slot = slot };
	u64 idx;

	if (!next_chain_index(&idx))
		return false;
	s->start_ns = now;
	s->sum = US_FNV_OFFSET;
	x.chain = (u32)idx;
	bpf_loop(1, call_start, &x, 0);
	return true;
}

/* Runs the slot forward: post what the policy queued, end chains, start the next. */
static __always_inline void advance(u8 *mem, u8 *sbuf, u32 slot, struct pslot *s, u64 now)
{
	int guard;

	/*
	 * Bounded: the finished chain, then a next one (which might issue
	 * nothing and end at once). Anything still queued after that is parked
	 * and goes out with the next unpark scan.
	 */
	for (guard = 0; guard < 3; guard++) {
		if (!post_actions(mem, sbuf, slot, s))
			return;
		if (!us_rt_over(&s->c))
			return;
		if (s->busy)
			account_chain(slot, s->c.chain, s->c.status, s->c.error, s->sum, now - s->start_ns);
		if (!start_chain(slot, s, now)) {
			slot_idle(slot, &s->busy);
			return;
		}
		slot_busy(&s->busy);
	}
	if (s->c.posted != s->c.nact)
		park(s);
}

static long unpark_one(u64 i, void *p)
{
	struct unpark_ctx *u = p;
	u32 slot = (u32)i;
	struct pslot *s = bpf_map_lookup_elem(&slots, &slot);
	u8 *sbuf = bpf_map_lookup_elem(&bufs, &slot);
	u8 *mem;

	if (unpark_spent(u))
		return 1;
	/* Another ring's slot is that ring's to unpark: its completions may run on another CPU now. */
	if (!s || !sbuf || !s->parked || s->ring != u->ring)
		return 0;
	mem = ring_mem_at(s->ring);
	if (!mem || !post_actions(mem, sbuf, slot, s))
		return 1; /* still full: stop scanning */
	return --u->budget == 0;
}

static __always_inline int policy_on_complete(struct ring_cqe *evp)
{
	struct ring_cqe ev = *evp;
	u32 slot, tag, before;
	s32 res;
	u64 now;
	u8 *mem, *sbuf;
	struct pslot *s;
	const struct us_sqe *q;

	mem = ev.mem;
	slot = ev.slot;
	tag = ev.tag;
	res = ev.res;
	now = ev.now;
	unpark_scan(&ev, unpark_one);
	if (ring_control(tag))
		return 0;
	if (tag == US_TAG_CANCEL) {
		__sync_fetch_and_add(&op_completed[US_OP_COUNT], 1);
		return 0;
	}
	s = bpf_map_lookup_elem(&slots, &slot);
	sbuf = bpf_map_lookup_elem(&bufs, &slot);
	if (!s || !sbuf)
		return 0;

	if (tag == US_TAG_KICK) {
		/* An empty, finished slot: advance() starts its first chain. */
		__sync_fetch_and_add(&user_completed[0], 1);
		s->ring = ev.ring; /* the kick came on the slot's ring */
		s->busy = 0;
		__builtin_memset(&s->c, 0, sizeof(s->c));
		s->c.status = US_CHAIN_DONE;
		advance(mem, sbuf, slot, s, now);
		return 0;
	}
	if (tag >= US_MAX_TAGS)
		return 0;

	q = &s->c.req[tag];
	if (q->op < US_OP_COUNT)
		__sync_fetch_and_add(&op_completed[q->op], 1);
	if (res > 0 && us_moves_data(q->op)) {
		add(US_PC_BYTES, (u64)res);
		if (checksum && s->c.status == US_CHAIN_RUNNING && is_read_op(q->op))
			s->sum = fnv_bytes(sbuf, q->buf_off, (u32)res, s->sum);
	}
	if (res == -ECANCELED) {
		__sync_fetch_and_add(&cancelled, 1);
		if (stop && s->c.status == US_CHAIN_RUNNING) {
			/* Our stop cancelled it: the chain is interrupted, the policy not asked. */
			s->c.status = US_CHAIN_FAILED;
			s->c.error = res;
			add(US_PC_CHAINS_STOPPED, 1);
		}
	}
	if (__sync_lock_test_and_set(&s->in_policy, 1))
		add(US_PC_OVERLAPS, 1);
	before = s->c.completions;
	{
		struct call x = { .s = s, .slot = slot, .tag = tag, .res = res, .cflags = ev.cflags };

		bpf_loop(1, call_complete, &x, 0);
	}
	add(US_PC_STEPS, s->c.completions - before);
	__sync_fetch_and_and(&s->in_policy, 0);
	advance(mem, sbuf, slot, s, now);
	return 0;
}

RING_COMPLETION_PROGRAMS(policy_on_complete)
