/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-3-Clause) */
/*
 * Token buckets in the filter (bpf/sl_filter.bpf.h): the clock, the bucket of
 * a key in the shared LRU map, and taking a packet's cost from a GCRA word
 * with a compare-and-swap (the semantics: include/sluice/tbucket.h and
 * docs/filter.md, "Clock" and "Concurrency").
 */
#ifndef SL_BUCKET_BPF_H
#define SL_BUCKET_BPF_H

#include <linux/bpf.h>

#include <bpf/bpf_helpers.h>

#include <sluice/bpf_maps.h>
#include <sluice/tbucket.h>

#include "sl_fctx.bpf.h"

#ifndef SL_FILT_CAS_TRIES
#define SL_FILT_CAS_TRIES 4
#endif

/*
 * The buckets' clock, in ticks: the fine clock (bpf_ktime_get_ns, 36 ns a
 * read on the benchmark machine, a KVM guest) read once per kernel tick per
 * CPU, kept in sl_clock and reused until jiffies moves on (bpf_jiffies64, a
 * load). So it lags true time by less than a tick (1/HZ: 4 ms at HZ=250);
 * what that does to the limits is bounded in docs/filter.md ("Clock").
 * One read per packet, shared by the rate and SYN buckets.
 */
static __always_inline __u64
sl_now(struct sl_fctx *f)
{
	struct sl_clock *c;
	__u32 zero = 0;
	__u64 j;

	if (f->now)
		return f->now;
	j = bpf_jiffies64();
	c = bpf_map_lookup_elem(&sl_clock, &zero);
	if (c && c->jiffies == j && c->ticks) {
		f->now = c->ticks;
		return f->now;
	}
	f->now = sl_tb_ticks(bpf_ktime_get_ns());
	if (c) {
		c->jiffies = j;
		c->ticks = f->now;
	}
	return f->now;
}

/*
 * Take @cost ticks from the GCRA word @tat of a bucket holding @limit.
 * @return 1 if the packet conforms (the word was advanced, or the race was
 * lost too often: counted), else 0.
 */
static __always_inline int
sl_tb_take(struct sl_fctx *f, __u64 *tat, __u64 cost, __u64 limit)
{
	__u64 now = sl_now(f);

#pragma unroll
	for (int i = 0; i < SL_FILT_CAS_TRIES; i++) {
		__u64 old = *(volatile __u64 *)tat, next;

		if (!sl_tb_conform_ticks(old, now, cost, limit, &next))
			return 0;
		if (__sync_val_compare_and_swap(tat, old, next) == old)
			return 1;
	}
	sl_count_in(f->stats, SL_XDP_RATE_RACE, f->bytes);
	return 1;
}

/* The bucket of @k, inserted empty (a full bucket) if absent; NULL if the map refuses. */
static __always_inline struct sl_filt_bucket *
sl_bucket(struct sl_fctx *f, const struct sl_filt_bucket_key *k)
{
	void *state = sl_inner(&sl_f_state);
	struct sl_filt_bucket fresh = {0, 0}, *b;

	if (!state)
		return NULL;
	b = bpf_map_lookup_elem(state, k);
	if (b)
		return b;
	/* Two CPUs may race to insert: NOEXIST lets one win, both then share it. */
	bpf_map_update_elem(state, k, &fresh, BPF_NOEXIST);
	b = bpf_map_lookup_elem(state, k);
	if (!b)
		sl_count_in(f->stats, SL_XDP_BUCKET_FULL, f->bytes);
	return b;
}

#endif /* SL_BUCKET_BPF_H */
