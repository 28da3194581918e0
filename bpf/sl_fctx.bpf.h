/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-3-Clause) */
/*
 * The filter's per-packet context (bpf/sl_filter.bpf.h): the inner maps a
 * packet's run looks up, rule hits through each CPU's buffer, and the count
 * and sample of a drop.
 */
#ifndef SL_FCTX_BPF_H
#define SL_FCTX_BPF_H

#include <linux/bpf.h>

#include <bpf/bpf_helpers.h>

#include <sluice/bpf_maps.h>

#include "sl_maps.bpf.h"
#include "sl_parse.bpf.h"

/*
 * This packet's run: the stats and conf inner maps, looked up first; the
 * other inner maps are looked up where a stage needs them (sl_inner()), so
 * that a stage without rules costs its flag test and nothing else.
 */
struct sl_fctx {
	void *stats;
	const struct sl_filt_conf *conf;
	__u64 bytes;
	__u64 now; /* the clock in ticks (sl_tb_ticks), 0 until a bucket needs it */
};

static __always_inline void *
sl_inner(void *outer)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(outer, &zero);
}

static __always_inline void
sl_fctx_init(struct sl_fctx *f, __u64 bytes)
{
	__u32 zero = 0;
	void *conf = sl_inner(&sl_f_conf);

	f->bytes = bytes;
	f->now = 0;
	f->stats = sl_inner(&sl_xdp_stats);
	f->conf = conf ? bpf_map_lookup_elem(conf, &zero) : NULL;
}

/* Add @n hits to rule @id in the shared counters. */
static __always_inline void
sl_hits_add(__u32 id, __u64 n)
{
	void *hits = sl_inner(&sl_f_hits);
	__u64 *h;

	if (!hits)
		return;
	h = bpf_map_lookup_elem(hits, &id);
	if (h)
		__sync_fetch_and_add(h, n); /* shared by CPUs: batched (sl_filt_hitbuf) */
}

/* One hit of rule @id, through this CPU's buffer (<sluice/bpf_maps.h>). */
static __always_inline void
sl_hit(struct sl_fctx *f, __u32 id)
{
	void *m = sl_inner(&sl_f_hitbuf);
	struct sl_filt_hitbuf *b;
	__u32 zero = 0;

	b = m ? bpf_map_lookup_elem(m, &zero) : NULL;
	if (!b) {
		sl_hits_add(id, 1);
		return;
	}
	/* Plain updates: an XDP program runs to completion on its CPU. */
	if (b->id == id + 1) {
		if (++b->n < SL_FILT_HIT_BATCH)
			return;
		sl_hits_add(id, b->n);
		b->n = 0;
		return;
	}
	if (b->id && b->n)
		sl_hits_add(b->id - 1, b->n);
	b->id = id + 1;
	b->n = 1;
}

/*
 * Count a drop (or a monitor-mode would-drop) under @stat and, for 1 in
 * 2^sample_shift of them per CPU, put a record into the recent-drops ring.
 */
static __always_inline void
sl_drop_event(struct sl_fctx *f, const struct sl_pkt_info *pi, __u32 stat, __u32 rule, int monitor)
{
	__u64 n = sl_count_in(f->stats, stat, f->bytes);
	__u32 shift = f->conf ? f->conf->sample_shift : 0;
	struct sl_filt_drop_event *e;
	void *drops;

	if (n == 0 || shift > 31 || ((n - 1) & ((1ULL << shift) - 1)) != 0)
		return;
	drops = sl_inner(&sl_f_drops);
	if (!drops)
		return;
	/*
	 * A full ring (nobody reading: the usual state under a flood) shows in
	 * its producer and consumer positions, read without a lock, where
	 * bpf_ringbuf_reserve takes the ring's spinlock, shared by all CPUs,
	 * even to fail (measured: 28 ns a drop on one CPU). The margin of a
	 * record: the ring refuses its last slot (4095 records of 64 bytes in
	 * 256 KiB).
	 */
	if (bpf_ringbuf_query(drops, BPF_RB_AVAIL_DATA) + 2 * (sizeof(*e) + BPF_RINGBUF_HDR_SZ) >
		SL_FILT_DROPS_BYTES)
		return;
	e = bpf_ringbuf_reserve(drops, sizeof(*e), 0);
	if (!e)
		return;
	e->ts_ns = bpf_ktime_get_ns();
	__builtin_memcpy(e->src, pi->src, 16);
	__builtin_memcpy(e->dst, pi->dst, 16);
	e->rule = rule;
	e->dport = pi->dport;
	e->family = pi->family;
	e->proto = pi->proto;
	e->reason = (__u16)stat;
	e->monitor = (__u8)monitor;
	__builtin_memset(e->pad, 0, sizeof(e->pad));
	bpf_ringbuf_submit(e, 0);
}

#endif /* SL_FCTX_BPF_H */
