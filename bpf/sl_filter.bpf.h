/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-3-Clause) */
/*
 * The filter stage of the front program (bpf/xdp_front.bpf.c): allowlist,
 * denylist (global or scoped to a destination), per-source token buckets and
 * the per-VIP SYN limit, with their counters, rule hits and drop samples.
 *
 * Everything it reads comes from the inner maps plugged into the outer maps
 * of sl_maps.bpf.h, each looked up where a stage needs it. A missing inner
 * map disables what it holds (no conf: no filtering; no stats: nothing
 * counted). The conf's flag word says which stages have rules: a stage
 * without any costs the test of its flag. The allowlist, the global
 * denylist and the rate overrides are prefix sets (hash lookups by binary
 * search on prefix lengths, <sluice/bpf_maps.h>); the scoped denylist is an
 * LPM trie.
 *
 * Rate-limit semantics (docs/filter.md): one bucket per source key (the
 * source masked to a prefix length, per family or per override), shared by
 * all CPUs. The GCRA word of each dimension is updated with a
 * compare-and-swap (include/sluice/tbucket.h), retried at most
 * SL_FILT_CAS_TRIES times; a packet that still loses is passed and counted
 * (SL_XDP_RATE_RACE). The packet dimension is taken before the byte one: a
 * packet refused for its bytes has spent one packet of credit.
 */
#ifndef SL_FILTER_BPF_H
#define SL_FILTER_BPF_H

#include <linux/bpf.h>

#include <bpf/bpf_helpers.h>

#include <sluice/bpf_maps.h>
#include <sluice/tbucket.h>

#include "sl_maps.bpf.h"
#include "sl_parse.bpf.h"

#ifndef SL_FILT_CAS_TRIES
#define SL_FILT_CAS_TRIES 4
#endif

#define SL_TCP_SYN 0x02
#define SL_TCP_ACK 0x10

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

/* @src (network-order words) masked to its first @plen bits into @out (16 bytes). */
static __always_inline void
sl_mask_addr(void *out, const __u32 *src, __u32 plen)
{
	__u32 m[4];

#pragma unroll
	for (int i = 0; i < 4; i++) {
		int bits = (int)plen - i * 32;

		if (bits >= 32)
			m[i] = src[i];
		else if (bits > 0)
			m[i] = src[i] & bpf_htonl(0xffffffffu << (32 - bits));
		else
			m[i] = 0;
	}
	__builtin_memcpy(out, m, 16);
}

/* The key of @pi's source at the length lens->len[@at] (@at checked by the caller). */
static __always_inline void
sl_pset_key(struct sl_filt_pkey *k, const struct sl_pkt_info *pi, const struct sl_filt_lens *lens,
	__u32 at)
{
	k->family = pi->family;
	k->len = lens->len[at];
	sl_mask_addr(k->addr, pi->src, k->len);
}

/*
 * One step of a prefix-set search (<sluice/bpf_maps.h>, "Prefix sets"):
 * look @pi's source up in the set at the length lens->len[@at]. Global
 * functions, which the verifier checks once on their own: inlined, the 2^8
 * paths of each 8-step search went on through the rest of the program, past
 * its 1M-instruction budget; called, the search's loop keeps no value the
 * verifier must track exactly, and its paths prune. A call costs a few ns.
 * One function per set: with two maps reaching one lookup call (clang
 * merges identical calls), the verifier cannot bind the call to the map's
 * own lookup and falls back to the generic helper (measured: +25 ns).
 * @return -1 if there is no entry, else the entry's best match (rule id +
 * 1, 0: none); with a best match, the rate set's value is copied to @out.
 */
__noinline int
sl_pset_probe_allow(const struct sl_pkt_info *pi, const struct sl_filt_lens *lens, __u32 at)
{
	struct sl_filt_pkey k = {};
	const struct sl_filt_pval *e;
	void *m = sl_inner(&sl_f_allow);

	if (!pi || !lens || at >= sizeof(lens->len) || !m)
		return -1;
	sl_pset_key(&k, pi, lens, at);
	e = bpf_map_lookup_elem(m, &k);
	return e ? (int)e->id : -1;
}

__noinline int
sl_pset_probe_deny(const struct sl_pkt_info *pi, const struct sl_filt_lens *lens, __u32 at)
{
	struct sl_filt_pkey k = {};
	const struct sl_filt_pval *e;
	void *m = sl_inner(&sl_f_deny);

	if (!pi || !lens || at >= sizeof(lens->len) || !m)
		return -1;
	sl_pset_key(&k, pi, lens, at);
	e = bpf_map_lookup_elem(m, &k);
	return e ? (int)e->id : -1;
}

__noinline int
sl_pset_probe_rate(const struct sl_pkt_info *pi, const struct sl_filt_lens *lens, __u32 at,
	struct sl_filt_rate_pval *out)
{
	struct sl_filt_pkey k = {};
	const struct sl_filt_rate_pval *e;
	void *m = sl_inner(&sl_f_rate);

	if (!pi || !lens || !out || at >= sizeof(lens->len) || !m)
		return -1;
	sl_pset_key(&k, pi, lens, at);
	e = bpf_map_lookup_elem(m, &k);
	if (!e)
		return -1;
	if (e->id)
		*out = *e;
	return (int)e->id;
}

/*
 * The longest prefix of set @set (lengths @lens) covering @pi's source: the
 * binary search on the set's prefix lengths. @return its rule id + 1, 0 for
 * none; the rate set's best match's value in *@out.
 */
static __always_inline __u32
sl_pset_match(__u32 set, const struct sl_filt_lens *lens, const struct sl_pkt_info *pi,
	struct sl_filt_rate_pval *out)
{
	__u32 lo = 0, hi, base, best = 0;

	if (pi->family == 4) {
		hi = lens->n4;
		base = 0;
	} else {
		hi = lens->n6;
		base = SL_FILT_LENS_V6;
	}
	/*
	 * The first lookup is made here, the rest through calls: a call and
	 * its checks cost ~15 ns on the benchmark machine (returns go through
	 * the kernel's return thunk, which the CPU's SRSO mitigation, "Safe
	 * RET", makes dear), and the first lookup is often the only one (a
	 * miss with the lower median, a list of one length).
	 * Not for the rate set, whose value the caller needs copied.
	 */
	if (hi >= 1 && set != SL_FILT_SET_RATE) {
		void *m = sl_inner(
			set == SL_FILT_SET_ALLOW ? (void *)&sl_f_allow : (void *)&sl_f_deny);
		struct sl_filt_pkey k = {};
		const struct sl_filt_pval *e;
		__u32 mid = (hi - 1) >> 1;

		if (!m || base + mid >= sizeof(lens->len))
			return 0;
		sl_pset_key(&k, pi, lens, base + mid);
		e = bpf_map_lookup_elem(m, &k);
		if (e) {
			best = e->id;
			lo = mid + 1;
		} else {
			hi = mid;
		}
	}
	for (int i = 0; i < SL_FILT_PSET_PROBES; i++) {
		__u32 mid;
		int r;

		if (lo >= hi)
			break;
		mid = (lo + hi - 1) >> 1;
		/* @set is a constant at each use: one call remains */
		if (set == SL_FILT_SET_ALLOW)
			r = sl_pset_probe_allow(pi, lens, base + mid);
		else if (set == SL_FILT_SET_DENY)
			r = sl_pset_probe_deny(pi, lens, base + mid);
		else
			r = sl_pset_probe_rate(pi, lens, base + mid, out);
		if (r < 0) {
			hi = mid;
		} else {
			if (r)
				best = (__u32)r;
			lo = mid + 1;
		}
	}
	return best;
}

/*
 * Rules scoped to this destination (port, any port, any protocol), in the
 * LPM trie @scoped. @return the matching rule's id + 1, or 0.
 */
static __always_inline __u32
sl_scoped_lookup(void *scoped, const struct sl_pkt_info *pi)
{
	struct sl_filt_key k = {};
	struct sl_filt_rule *r;

	k.family = pi->family;
	k.prefixlen = SL_FILT_KEY_SCOPE_BITS + (pi->family == 4 ? 32 : 128);
	__builtin_memcpy(k.src, pi->src, 16);
	__builtin_memcpy(k.dst, pi->dst, 16);
	if (pi->proto == IPPROTO_TCP || pi->proto == IPPROTO_UDP) {
		k.proto = pi->proto;
		if (!(pi->flags & SL_PI_FRAG_NONFIRST)) {
			k.port = pi->dport;
			r = bpf_map_lookup_elem(scoped, &k);
			if (r)
				return r->id + 1;
		}
		k.port = 0;
		r = bpf_map_lookup_elem(scoped, &k);
		if (r)
			return r->id + 1;
		k.proto = 0;
	}
	r = bpf_map_lookup_elem(scoped, &k);
	return r ? r->id + 1 : 0;
}

/*
 * The denylist: rules scoped to this destination first, then the global
 * ones. @return the matching rule's id + 1, or 0.
 */
static __always_inline __u32
sl_deny_lookup(struct sl_fctx *f, const struct sl_pkt_info *pi, struct sl_filt_rate_pval *scratch)
{
	void *m;
	__u32 id;

	if ((f->conf->flags & SL_FILT_HAS_SCOPED) && (m = sl_inner(&sl_f_scoped)) &&
		(id = sl_scoped_lookup(m, pi)))
		return id;
	if (!(f->conf->flags & SL_FILT_HAS_DENY))
		return 0;
	return sl_pset_match(SL_FILT_SET_DENY, &f->conf->lens[SL_FILT_SET_DENY], pi, scratch);
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

/*
 * Per-source rate limit. @return 0 if within the limit (or none applies),
 * else 1; *@rule gets the override's rule id (0 for the default limit).
 */
static __always_inline int
sl_rate_over(
	struct sl_fctx *f, const struct sl_pkt_info *pi, __u32 *rule, struct sl_filt_rate_pval *ovr)
{
	const struct sl_filt_rate *rate = &f->conf->rate;
	struct sl_filt_bucket_key bk = {};
	struct sl_filt_bucket *b;
	__u32 key_len = pi->family == 4 ? f->conf->rate_key_len4 : f->conf->rate_key_len6;

	*rule = 0;
	if ((f->conf->flags & SL_FILT_HAS_RATE_OVR) &&
		sl_pset_match(SL_FILT_SET_RATE, &f->conf->lens[SL_FILT_SET_RATE], pi, ovr)) {
		rate = &ovr->rate;
		key_len = ovr->key_len;
		*rule = ovr->id - 1;
		sl_hit(f, *rule);
	}
	if (rate->pps == 0 && rate->bps == 0)
		return 0;
	bk.kind = SL_FILT_BUCKET_SRC;
	bk.family = pi->family;
	bk.plen = (__u8)key_len;
	bk.rule = *rule;
	sl_mask_addr(bk.addr, pi->src, key_len);
	b = sl_bucket(f, &bk);
	if (!b)
		return 0;
	if (rate->pps && !sl_tb_take(f, &b->tat_pkts, rate->pkt_cost, rate->pkt_limit))
		return 1;
	return rate->bps &&
	       !sl_tb_take(f, &b->tat_bytes, sl_tb_cost(f->bytes, rate->bps), rate->byte_limit);
}

/*
 * The source checks, before the VIP lookup. @return 0 to go on, SL_XDP_ALLOW
 * to go on with the rest skipped, or the drop verdict (SL_XDP_DROP_*) with
 * the rule that matched in *@rule. Monitor-mode would-drops are counted
 * here and return 0.
 */
static __always_inline __u32
sl_filter_src(struct sl_fctx *f, const struct sl_pkt_info *pi, __u32 *rule)
{
	const struct sl_filt_conf *c = f->conf;
	struct sl_filt_rate_pval ovr;
	__u32 id;

	if ((c->flags & SL_FILT_HAS_ALLOW) &&
		(id = sl_pset_match(SL_FILT_SET_ALLOW, &c->lens[SL_FILT_SET_ALLOW], pi, &ovr))) {
		sl_hit(f, id - 1);
		sl_count_in(f->stats, SL_XDP_ALLOW, f->bytes);
		return SL_XDP_ALLOW;
	}
	if (c->flags & (SL_FILT_HAS_DENY | SL_FILT_HAS_SCOPED)) {
		id = sl_deny_lookup(f, pi, &ovr);
		if (id) {
			*rule = id - 1;
			sl_hit(f, *rule);
			if (!(c->flags & SL_FILT_DENY_MONITOR))
				return SL_XDP_DROP_DENY;
			sl_drop_event(f, pi, SL_XDP_MON_DENY, *rule, 1);
		}
	}
	if ((c->flags & SL_FILT_HAS_RATE) && sl_rate_over(f, pi, rule, &ovr)) {
		if (!(c->flags & SL_FILT_RATE_MONITOR))
			return SL_XDP_DROP_RATE;
		sl_drop_event(f, pi, SL_XDP_MON_RATE, *rule, 1);
	}
	return 0;
}

/*
 * The SYN limit of VIP service (@pi's destination, @port): its own (the
 * address and port, else the address's all-ports entry) or the default.
 * @return the limit (pps 0: none), its id in *@id (0: the default's).
 */
static __always_inline const struct sl_filt_rate *
sl_syn_limit(struct sl_fctx *f, const struct sl_pkt_info *pi, __u16 port, __u32 *id)
{
	struct sl_filt_syn_key k = {};
	const struct sl_filt_syn_rule *r;
	void *m;

	*id = 0;
	if (!(f->conf->flags & SL_FILT_HAS_SYN_OVR) || !(m = sl_inner(&sl_f_syn)))
		return &f->conf->syn;
	k.family = pi->family;
	k.port = port;
	__builtin_memcpy(k.addr, pi->dst, 16);
	r = bpf_map_lookup_elem(m, &k);
	if (!r && port) {
		k.port = 0;
		r = bpf_map_lookup_elem(m, &k);
	}
	if (!r)
		return &f->conf->syn;
	*id = r->id;
	return &r->rate;
}

/*
 * The per-VIP SYN limit for a TCP SYN (no ACK) to VIP service (@addr, @proto,
 * @port). @return 1 if over the limit (monitor mode: counted, 0).
 */
static __always_inline int
sl_syn_over(struct sl_fctx *f, const struct sl_pkt_info *pi, __u16 port)
{
	struct sl_filt_bucket_key bk = {};
	const struct sl_filt_rate *lim;
	struct sl_filt_bucket *b;
	__u32 id;

	if (!f->conf || (f->conf->syn.pps == 0 && !(f->conf->flags & SL_FILT_HAS_SYN_OVR)) ||
		pi->proto != IPPROTO_TCP ||
		(pi->tcp_flags & (SL_TCP_SYN | SL_TCP_ACK)) != SL_TCP_SYN)
		return 0;
	lim = sl_syn_limit(f, pi, port, &id);
	if (lim->pps == 0)
		return 0;
	bk.kind = SL_FILT_BUCKET_SYN;
	bk.family = pi->family;
	bk.proto = pi->proto;
	bk.port = port;
	bk.rule = id;
	__builtin_memcpy(bk.addr, pi->dst, 16);
	b = sl_bucket(f, &bk);
	if (!b)
		return 0;
	if (sl_tb_take(f, &b->tat_pkts, lim->pkt_cost, lim->pkt_limit))
		return 0;
	if (!(f->conf->flags & SL_FILT_SYN_MONITOR))
		return 1;
	sl_drop_event(f, pi, SL_XDP_MON_SYN, 0, 1);
	return 0;
}

#endif /* SL_FILTER_BPF_H */
