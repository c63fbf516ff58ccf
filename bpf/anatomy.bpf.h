/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * trace --anatomy, the tracer's part that follows each request through
 * io_uring: the path its issue took (US_PATHS) and the phases its latency
 * went to (US_PHASES), both declared in tracer.h. Included by tracer.bpf.c
 * after the inflight table, whose slot a request's phases share; its hooks
 * load only under --anatomy (native/tracer_hooks.cc).
 *
 * A thread's place in the submission path is kept per tid: inside
 * io_submit_sqes (the submit batch, whose end posts the CQEs of requests that
 * completed while issued), and which request io_issue_sqe is issuing, so a
 * bio queued meanwhile is that request's block IO, in the submitter or an
 * io-wq worker alike.
 */
#ifndef URINGSCOPE_ANATOMY_BPF_H
#define URINGSCOPE_ANATOMY_BPF_H

struct us_issuing {
	u64 req;       /* the request in io_issue_sqe, 0 when none */
	u64 in_submit; /* inside io_submit_sqes */
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, US_THREADS_MAX);
	__type(key, u32); /* tid */
	__type(value, struct us_issuing);
} issuing SEC(".maps");

/*
 * A request's phases so far, in the inflight slot's twin (resized with it by
 * the loader; one entry without --anatomy). `since` is where the time not
 * yet given to a phase starts: each hook first gives [since, now] to the
 * phase in progress, then changes what is in progress, so the phases add
 * up to the time from submit to the last hook, the final CQE.
 */
#define US_ISSUED (1u << 31) /* in `active`: its first issue attempt returned (or it was punted) */

struct us_req_phases {
	u64 req;   /* the request they belong to, 0 when none */
	u64 since; /* US_PHASES_CLOSED once the final completion has taken the rest */
	u64 ns[US_PHASE_COUNT];
	u32 active; /* 1 << US_PHASE_* of the phases in progress, and US_ISSUED */
	s32 rqs;    /* its block requests at the device */
	u32 busy;   /* hooks between reading `since` and adding their stretch */
	u32 pad;
};

#define US_PHASES_CLOSED (~0ULL)
/* How long the final completion waits for another CPU's hook to add its stretch: a few instructions. */
#define US_PHASES_SPIN 1024

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 65536); /* the inflight table's size, or 1 */
	__type(key, u32);
	__type(value, struct us_req_phases);
} req_phases SEC(".maps");

/* Per opcode (one entry without --anatomy). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, US_MAX_OPS);
	__type(key, u32);
	__type(value, struct us_phase_stats);
} phase_stats SEC(".maps");

/*
 * Block IO to its request: a bio queued while a request is issued, then the
 * block request that carries it as its first bio (a request merged into
 * another's block request has no device phase of its own). LRU: a bio that
 * never reaches a block request of its own (merged, split) ages out.
 */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, u64);   /* struct bio * */
	__type(value, u64); /* request key */
} bio_reqs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, u64);   /* struct request * */
	__type(value, u64); /* request key */
} rq_reqs SEC(".maps");

static __always_inline void mark_path(u64 key, u8 bits)
{
	u32 idx = inflight_slot(key);
	struct us_inflight *in = bpf_map_lookup_elem(&inflight, &idx);

	if (in && in->req == key)
		in->path |= bits;
}

/*
 * At the final completion: a request that took no other path and whose CQE
 * the submitting thread posts inside its submit batch completed inline; one
 * completed later, by an interrupt's task work or a timer, was queued.
 */
static __always_inline void count_paths(struct us_op_stats *st, u8 path)
{
	u32 tid = (u32)bpf_get_current_pid_tgid();
	struct us_issuing *is;
	int p;

	if (!(path & (1 << US_PATH_POLL | 1 << US_PATH_IOWQ | 1 << US_PATH_BLOCK))) {
		is = bpf_map_lookup_elem(&issuing, &tid);
		path |= is && is->in_submit ? 1 << US_PATH_INLINE : 1 << US_PATH_QUEUED;
	}
#pragma unroll
	for (p = 0; p < US_PATH_COUNT; p++)
		if (path & 1 << p)
			st->paths[p]++;
}

/* Per-CPU: adds one duration (a plain add, no atomics). */
static __always_inline void dist_add(struct us_dist *d, u64 v)
{
	u32 b = us_hist_bucket(v);

	d->count++;
	d->sum_ns += v;
	if (v > d->max_ns)
		d->max_ns = v;
	if (b < US_HIST_BUCKETS)
		d->hist[b]++;
}

/*
 * Reap: from the last CQE posted while a thread waited in io_uring_enter to
 * its return to userspace, where the application collects them. Kept per
 * ring (the ring a thread waits on, from io_uring_cqring_wait): the time of
 * the last CQE posted since a wait began, 0 before any.
 */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, u64);   /* ring (ctx) */
	__type(value, u64); /* last CQE posted during a wait, ns */
} wait_cqe SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, u32);
	__type(value, struct us_dist);
} reap_stats SEC(".maps");

/* A CQE is posted on `ring`: a thread waiting on it will reap it on its return. */
static __always_inline void reap_cqe(u64 ring, u64 now)
{
	u64 *last = bpf_map_lookup_elem(&wait_cqe, &ring);

	if (last)
		*last = now;
}

/* A thread waited on `ring` since wait_start and returns to userspace now. */
static __always_inline void reap_end(u64 ring, u64 wait_start, u64 now)
{
	u64 *last = bpf_map_lookup_elem(&wait_cqe, &ring);
	u32 zero = 0;
	struct us_dist *d;

	if (!last || *last < wait_start || *last > now)
		return;
	d = bpf_map_lookup_elem(&reap_stats, &zero);
	if (d)
		dist_add(d, now - *last);
}

static __always_inline struct us_req_phases *phases_of(u64 key)
{
	u32 idx = inflight_slot(key);
	struct us_req_phases *ph = bpf_map_lookup_elem(&req_phases, &idx);

	return ph && ph->req == key ? ph : NULL;
}

/* At submit: the slot is the request's from now on (the inflight entry's twin). */
static __always_inline void phases_start(u32 idx, u64 key, u64 now)
{
	struct us_req_phases *ph = bpf_map_lookup_elem(&req_phases, &idx);
	int p;

	if (!ph)
		return;
	ph->since = now;
#pragma unroll
	for (p = 0; p < US_PHASE_COUNT; p++)
		ph->ns[p] = 0;
	ph->active = 0;
	ph->rqs = 0;
	ph->req = key;
}

static __always_inline u32 phase_now(struct us_req_phases *ph)
{
	u32 a = ph->active;

	if (ph->rqs > 0)
		return US_PHASE_DEVICE;
	if (a & 1 << US_PHASE_IOWQ_RUN)
		return US_PHASE_IOWQ_RUN;
	if (a & 1 << US_PHASE_IOWQ_WAIT)
		return US_PHASE_IOWQ_WAIT;
	if (a & 1 << US_PHASE_POLL_WAIT)
		return US_PHASE_POLL_WAIT;
	return a & US_ISSUED ? US_PHASE_COMPLETE : US_PHASE_ISSUE;
}

/*
 * Gives [since, now] to the phase in progress. Hooks of one request can run
 * at once on two CPUs (an io-wq worker returning while the submitter's task
 * work posts the CQE): the compare-and-swap hands each stretch of time to one
 * of them, a hook whose clock reading is already behind `since` gives
 * nothing, and none gives anything once the final completion has closed the
 * request. `busy` lets that completion wait for a stretch claimed but not
 * yet added. The atomics that return a value are full barriers.
 */
static __always_inline void phases_advance(struct us_req_phases *ph, u64 now)
{
	u64 since;
	u32 p;

	__sync_fetch_and_add(&ph->busy, 1);
	since = ph->since;
	if (now > since && since != US_PHASES_CLOSED && __sync_val_compare_and_swap(&ph->since, since, now) == since) {
		p = phase_now(ph);
		if (p < US_PHASE_COUNT)
			__sync_fetch_and_add(&ph->ns[p], now - since);
	}
	__sync_fetch_and_sub(&ph->busy, 1);
}

/* The request `key` enters (set) and leaves (clear) phases, at now. */
static __always_inline void phases_change(u64 key, u32 set, u32 clear)
{
	struct us_req_phases *ph = phases_of(key);

	if (!ph)
		return;
	phases_advance(ph, bpf_ktime_get_ns());
	if (set)
		__sync_fetch_and_or(&ph->active, set);
	if (clear)
		__sync_fetch_and_and(&ph->active, ~clear);
}

/*
 * At the final completion: the last stretch goes to the phase in progress,
 * and the request's phases to its opcode. Returns where its phases end: now,
 * or a later clock reading another CPU's hook gave a phase, so that the
 * caller's latency is the phases' sum. timed_ns adds up that latency, as the
 * caller measures it, apart from the phases: the two sums agree only if every
 * stretch of time went to exactly one phase.
 */
static __always_inline u64 phases_end(u64 key, u8 opcode, u64 submit_ns, u64 now)
{
	struct us_req_phases *ph = phases_of(key);
	struct us_phase_stats *ps;
	u32 op = opcode;
	u64 end, since = 0;
	int p, i;

	if (!ph)
		return now;
	/* Close the request: the last stretch, [since, now], to the phase in progress. */
	end = now;
	for (i = 0; i < 8; i++) {
		since = ph->since;
		if (since == US_PHASES_CLOSED)
			return now;
		end = since > now ? since : now;
		if (__sync_val_compare_and_swap(&ph->since, since, US_PHASES_CLOSED) == since)
			break;
	}
	if (i == 8)
		return now;
	p = phase_now(ph);
	if (p < US_PHASE_COUNT && end > since)
		__sync_fetch_and_add(&ph->ns[p], end - since);
	/* A hook that claimed a stretch before the close may still be adding it. */
	for (i = 0; i < US_PHASES_SPIN && __sync_fetch_and_add(&ph->busy, 0); i++)
		;
	ps = bpf_map_lookup_elem(&phase_stats, &op);
	if (ps) {
#pragma unroll
		for (i = 0; i < US_PHASE_COUNT; i++)
			if (ph->ns[i])
				dist_add(&ps->phase[i], ph->ns[i]);
		ps->requests++;
		ps->timed_ns += end - submit_ns;
	}
	ph->req = 0;
	return end;
}

static __always_inline struct us_issuing *issuing_entry(void)
{
	u32 tid = (u32)bpf_get_current_pid_tgid();
	struct us_issuing *is = bpf_map_lookup_elem(&issuing, &tid), init = {};

	if (is)
		return is;
	bpf_map_update_elem(&issuing, &tid, &init, BPF_NOEXIST);
	return bpf_map_lookup_elem(&issuing, &tid);
}

SEC("fentry/io_submit_sqes")
int BPF_PROG(on_submit_batch, void *ring)
{
	struct us_issuing *is;

	if (!ring_lookup((u64)ring))
		return 0;
	is = issuing_entry();
	if (is)
		is->in_submit = 1;
	return 0;
}

SEC("fexit/io_submit_sqes")
int BPF_PROG(on_submit_batch_end, void *ring)
{
	u32 tid = (u32)bpf_get_current_pid_tgid();
	struct us_issuing *is = bpf_map_lookup_elem(&issuing, &tid);

	if (is)
		is->in_submit = 0;
	return 0;
}

SEC("fentry/io_issue_sqe")
int BPF_PROG(on_issue, struct io_kiocb *req)
{
	struct us_issuing *is;
	u64 key;

	if (!ring_lookup((u64)req->ctx))
		return 0;
	bpf_probe_read_kernel(&key, sizeof(key), &ctx[0]);
	is = issuing_entry();
	if (is)
		is->req = key;
	return 0;
}

/* An issue attempt returned: what follows is no longer the issue phase. */
SEC("fexit/io_issue_sqe")
int BPF_PROG(on_issue_end, struct io_kiocb *req)
{
	u32 tid = (u32)bpf_get_current_pid_tgid();
	struct us_issuing *is = bpf_map_lookup_elem(&issuing, &tid);
	u64 key;

	if (!is || !is->req)
		return 0;
	key = is->req;
	is->req = 0;
	phases_change(key, US_ISSUED, 0);
	return 0;
}

/*
 * An io-wq worker runs a request: io_wq_submit_work(work), `work` being the
 * io_kiocb's own io_wq_work (a member, so the request is found by its offset).
 */
static __always_inline u64 work_req(unsigned long long *ctx)
{
	u64 work;

	/* As a number: the verifier refuses arithmetic on a BTF pointer. */
	bpf_probe_read_kernel(&work, sizeof(work), &ctx[0]);
	return work - bpf_core_field_offset(struct io_kiocb, work);
}

SEC("fentry/io_wq_submit_work")
int BPF_PROG(on_wq_start, void *work)
{
	phases_change(work_req(ctx), 1 << US_PHASE_IOWQ_RUN, 1 << US_PHASE_IOWQ_WAIT);
	return 0;
}

SEC("fexit/io_wq_submit_work")
int BPF_PROG(on_wq_end, void *work)
{
	phases_change(work_req(ctx), 0, 1 << US_PHASE_IOWQ_RUN);
	return 0;
}

/* A bio queued while a traced request is being issued is that request's block IO. */
SEC("tp_btf/block_bio_queue")
int BPF_PROG(on_bio_queue, void *bio)
{
	u32 tid = (u32)bpf_get_current_pid_tgid();
	struct us_issuing *is = bpf_map_lookup_elem(&issuing, &tid);
	u64 key, b = (u64)bio;

	if (!is || !is->req)
		return 0;
	key = is->req;
	mark_path(key, 1 << US_PATH_BLOCK);
	bpf_map_update_elem(&bio_reqs, &b, &key, BPF_ANY);
	return 0;
}

/* A block request goes to the device: its first bio says whose it is. */
SEC("tp_btf/block_rq_issue")
int BPF_PROG(on_rq_issue, struct request *rq)
{
	u64 b = (u64)rq->bio, r, *key;
	struct us_req_phases *ph;

	key = bpf_map_lookup_elem(&bio_reqs, &b);
	if (!key)
		return 0;
	ph = phases_of(*key);
	if (ph) {
		bpf_probe_read_kernel(&r, sizeof(r), &ctx[0]);
		phases_advance(ph, bpf_ktime_get_ns());
		__sync_fetch_and_add(&ph->rqs, 1);
		bpf_map_update_elem(&rq_reqs, &r, key, BPF_ANY);
	}
	bpf_map_delete_elem(&bio_reqs, &b);
	return 0;
}

/* The device completed it (the first completion of a block request done in parts). */
SEC("tp_btf/block_rq_complete")
int BPF_PROG(on_rq_complete, struct request *rq)
{
	struct us_req_phases *ph;
	u64 r, *key;

	bpf_probe_read_kernel(&r, sizeof(r), &ctx[0]);
	key = bpf_map_lookup_elem(&rq_reqs, &r);
	if (!key)
		return 0;
	ph = phases_of(*key);
	if (ph) {
		phases_advance(ph, bpf_ktime_get_ns());
		__sync_fetch_and_sub(&ph->rqs, 1);
	}
	bpf_map_delete_elem(&rq_reqs, &r);
	return 0;
}

#endif /* URINGSCOPE_ANATOMY_BPF_H */
