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

#include "sl_bucket.bpf.h"
#include "sl_fctx.bpf.h"
#include "sl_maps.bpf.h"
#include "sl_parse.bpf.h"
#include "sl_pset.bpf.h"

#define SL_TCP_SYN 0x02
#define SL_TCP_ACK 0x10

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
