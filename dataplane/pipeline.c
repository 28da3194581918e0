/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The worker's per-burst work, with no I/O so that it can be benchmarked on
 * pre-built bursts: parse and VIP lookup (the generation's read-only VIP
 * index, see dp_vip_lookup()), connection tracking (its lines prefetched for
 * the whole burst in three passes before the first lookup), Maglev for
 * new flows, then encapsulation or MAC rewrite in place.
 *
 * Stage 3 has a straight path for the packet that matters most, one of an
 * established flow found in its preferred conntrack entry and forwarded by
 * encapsulation; everything else (new flows, re-routes, ICMP errors,
 * fragments, L2 mode, packets for no VIP, every refusal) goes through
 * functions kept out of line, so that the loop's registers serve the common
 * packet (inlined, the rare paths made the compiler spill it to the stack).
 * Both paths make the same decisions, counted the same way.
 *
 * Nothing here locks, allocates, logs or makes a system call; every packet
 * that is not forwarded is counted by reason and freed.
 */
#include <rte_mbuf.h>
#include <rte_prefetch.h>

#include <sluice/bpf_maps.h>

#include "dp.h"
#include "flowhash.h"
#include "icmp.h"
#include "maglev.h"

/* pkt_state.vip when it is not an index into g->vips */
enum {
	VIP_NONE = -2,	  /* parsed, not for a VIP */
	VIP_DROPPED = -3, /* malformed: already counted */
};

struct pkt_state {
	struct sl_pkt pkt;
	/*
	 * The flow the packet belongs to: &pkt.flow, or for ICMP errors &rev,
	 * the inner flow reversed. A pointer rather than a copy: copying the
	 * key right after sl_parse() wrote it field by field reads it back
	 * with 16-byte loads that the store buffer cannot forward, a stall
	 * that cost more than the rest of stage 1 (measured).
	 */
	const struct sl_flow_key *flow;
	struct sl_flow_key rev;
	uint32_t ct_hash;
	/* The key's preferred conntrack entry (stage 1), kept by stage 2 only if it holds
	 * the key, else NULL */
	struct sl_ct_entry *ct_pref;
	int32_t vip; /* index in g->vips, or VIP_NONE / VIP_DROPPED */
};

/* An ICMP error, forwarded along the flow it quotes (s->flow is that flow). */
static inline bool
icmp_err(const struct pkt_state *s)
{
	return (s->pkt.flags & SL_PKT_F_ICMP_ERROR) != 0;
}

/* What the out-of-line parts of stage 3 need of the burst. */
struct burst {
	struct dp_worker *w;
	const struct dp_gen *g;
	struct dp_out *out;
	uint32_t now;
	uint16_t rx_port_idx;
	bool ct_inserted; /* an entry was inserted: stage 2's ct_pref may be stale */
	struct sl_fwd_ctx fwd;
};

static inline void
drop(struct dp_worker *w, struct rte_mbuf *m, enum dp_drop why)
{
	w->st.drops[why]++;
	rte_pktmbuf_free(m);
}

static inline void
emit(struct dp_out *out, struct rte_mbuf *m, uint16_t port_idx)
{
	out->pkts[out->n] = m;
	out->port[out->n] = port_idx;
	out->n++;
}

/* Apply the new start and length the core wrote into @b back to the mbuf. */
static inline void
mbuf_update(struct rte_mbuf *m, const struct sl_buf *b)
{
	m->data_off = (uint16_t)(b->data - (uint8_t *)m->buf_addr);
	m->data_len = (uint16_t)b->len;
	m->pkt_len = b->len;
}

/* The counters of a packet forwarded to backend slot @be of @vip. */
static inline void
count_forwarded(
	struct dp_worker *w, const struct dp_vip *vip, uint32_t be, uint32_t len, bool icmp_err)
{
	w->vip_ctr[vip->slot].packets++;
	w->vip_ctr[vip->slot].bytes += len;
	w->be_ctr[be].packets++;
	w->be_ctr[be].bytes += len;
	if (icmp_err)
		w->st.icmp_forwarded++;
	else
		w->st.forwarded++;
}

/* What became of a rewrite other than SL_FWD_OK: an ICMP answer or a drop. */
static __rte_noinline __rte_cold void
refused(struct burst *b, const struct pkt_state *s, struct rte_mbuf *m, struct sl_buf buf,
	enum sl_fwd_verdict fv, uint16_t mtu_hint)
{
	struct dp_worker *w = b->w;

	/* @buf by value: its address taken in the caller would keep it in memory there */
	switch (fv) {
	case SL_FWD_TOO_BIG:
		if (sl_icmp_too_big(&buf, &s->pkt, mtu_hint, b->fwd.src_mac) == 0) {
			mbuf_update(m, &buf);
			w->st.icmp_sent++;
			emit(b->out, m, b->rx_port_idx);
		} else {
			drop(w, m, DP_DROP_TOO_BIG);
		}
		break;
	case SL_FWD_TTL_EXCEEDED:
		drop(w, m, DP_DROP_TTL_EXCEEDED);
		break;
	case SL_FWD_NO_HEADROOM:
		drop(w, m, DP_DROP_NO_HEADROOM);
		break;
	case SL_FWD_FAMILY_MISMATCH:
		drop(w, m, DP_DROP_FAMILY);
		break;
	default: /* SL_FWD_NOT_IP: cannot happen after a successful parse */
		drop(w, m, DP_DROP_PARSE);
		break;
	}
}

/* Rewrite towards backend slot @be of @vip (encap or L2) and emit, or drop. */
static __rte_noinline void
forward(struct burst *b, const struct pkt_state *s, struct rte_mbuf *m, const struct dp_vip *vip,
	uint32_t be)
{
	if (unlikely(be == SL_MAGLEV_NONE)) {
		drop(b->w, m, icmp_err(s) ? DP_DROP_ICMP_NO_FLOW : DP_DROP_NO_BACKEND);
		return;
	}

	const struct dp_backend *bk = &b->g->backends[be];
	struct sl_buf buf = {.data = rte_pktmbuf_mtod(m, uint8_t *),
		.len = m->data_len,
		.headroom = rte_pktmbuf_headroom(m)};
	uint16_t mtu_hint = 0;
	uint32_t len_in = m->pkt_len;
	enum sl_fwd_verdict fv = vip->fwd_mode == SL_FWD_L2
					 ? sl_l2_rewrite(&buf, &s->pkt, bk->mac, &b->fwd, &mtu_hint)
					 : sl_encap_ip_tmpl(&buf, &s->pkt, &bk->encap, s->ct_hash,
						   &b->fwd, &mtu_hint);

	if (fv != SL_FWD_OK) {
		refused(b, s, m, buf, fv, mtu_hint);
		return;
	}
	mbuf_update(m, &buf);
	count_forwarded(b->w, vip, be, len_in, icmp_err(s));
	emit(b->out, m, b->rx_port_idx);
}

/*
 * A packet stage 1 did not give a VIP to (malformed, already counted, or
 * for no VIP), or a non-first fragment (no ports: only a source-address
 * hash can place it, and not via conntrack).
 */
static __rte_noinline __rte_cold void
unrouted(struct burst *b, const struct pkt_state *s, struct rte_mbuf *m)
{
	struct dp_worker *w = b->w;

	if (s->vip == VIP_DROPPED) {
		rte_pktmbuf_free(m); /* counted in parse_drops */
		return;
	}
	if (s->vip < 0) {
		if (dp.exception_port >= 0 && !dp.af_xdp[b->rx_port_idx]) {
			w->st.exception++;
			emit(b->out, m, UINT16_MAX);
		} else {
			drop(w, m, DP_DROP_NOT_VIP);
		}
		return;
	}

	const struct dp_vip *vip = &b->g->vips[s->vip];

	if (vip->hash != SL_HASH_SRC_IP) {
		drop(w, m, DP_DROP_FRAGMENT);
		return;
	}
	forward(b, s, m, vip,
		vip->table[sl_maglev_slot(
			sl_flow_hash(s->flow, vip->hash, b->g->seed), vip->table_size)]);
}

/*
 * A VIP packet whose conntrack lookup gave @e: the backend of a valid entry
 * (moving its TCP state along), else its current Maglev choice, tracked
 * from now on (a new entry, or the old one re-routed). A SYN reusing the
 * ports of a closed connection (sl_ct_syn_reuses()) is a new flow too, so
 * it is not sent to a backend drained or weighted out since. ICMP errors
 * only follow an entry, never make or move one.
 */
static __rte_noinline void
routed(struct burst *b, const struct pkt_state *s, struct rte_mbuf *m, const struct dp_vip *vip,
	struct sl_ct_entry *e)
{
	struct dp_worker *w = b->w;
	const struct dp_gen *g = b->g;
	uint32_t be;

	if (e && sl_ct_backend_valid(e, g->slots, g->n_slots) &&
		(icmp_err(s) || !sl_ct_syn_reuses(e, s->pkt.tcp_flags))) {
		be = e->backend;
		/* The lookup refreshed the expiry; only a state change needs more. */
		if (!icmp_err(s) && sl_ct_update_needed(e, s->pkt.tcp_flags))
			sl_ct_update(w->ct, e, s->pkt.tcp_flags, b->now);
	} else {
		be = vip->table[sl_maglev_slot(
			sl_flow_hash(s->flow, vip->hash, g->seed), vip->table_size)];
		if (be != SL_MAGLEV_NONE && !icmp_err(s)) {
			if (!e) {
				e = sl_ct_insert(w->ct, s->flow, s->ct_hash, b->now,
					sl_ct_initial_state(s->flow->proto, s->pkt.tcp_flags));
				b->ct_inserted = true;
			} else { /* re-routed (or reused): the entry tracks the flow on its new backend */
				sl_ct_update(w->ct, e, s->pkt.tcp_flags, b->now);
			}
			if (e) {
				e->backend = be;
				e->backend_epoch = g->slots[be].epoch;
				e->vip = (uint16_t)vip->slot;
			}
			w->st.new_flows++;
			w->be_new_flows[be]++;
		}
	}
	forward(b, s, m, vip, be);
}

/*
 * flatten: everything the loops call is inlined into them (with link-time
 * optimisation, across files) but for the out-of-line functions above; the
 * encapsulation, called from two places, would otherwise stay a call.
 */
__attribute__((flatten)) void
dp_pipeline(struct dp_worker *w, const struct dp_gen *g, uint16_t rx_port_idx,
	struct rte_mbuf **pkts, uint16_t n, struct dp_out *out, uint32_t now)
{
	struct pkt_state ps[DP_BURST];
	struct burst b = {
		.w = w,
		.g = g,
		.out = out,
		.now = now,
		.rx_port_idx = rx_port_idx,
		.ct_inserted = false,
		.fwd = g->fwd,
	};

	memcpy(b.fwd.src_mac, dp.port_mac[rx_port_idx].addr_bytes, SL_ETH_ALEN);

	/*
	 * Stage 1: parse, and find each packet's VIP: exact port first, then
	 * the VIP's "all ports" entry. The VIP index is a few lines that stay
	 * in L1, so each lookup is done in place, from the parsed fields.
	 */
	uint64_t rx_bytes = 0;
	for (uint16_t i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		struct pkt_state *s = &ps[i];

		if (i + 1 < n)
			rte_prefetch0(rte_pktmbuf_mtod(pkts[i + 1], void *));
		rx_bytes += m->pkt_len;
		if (unlikely(m->nb_segs != 1)) {
			/* Frames up to the MTU arrive in one segment on every port we drive. */
			w->st.drops[DP_DROP_SEGMENTED]++;
			s->vip = VIP_DROPPED;
			continue;
		}
		enum sl_parse_verdict v =
			sl_parse(rte_pktmbuf_mtod(m, const uint8_t *), m->data_len, &s->pkt);
		if (unlikely(v != SL_PARSE_OK)) {
			if (v != SL_PARSE_NOT_IP)
				w->st.parse_drops[v]++;
			s->vip = v == SL_PARSE_NOT_IP ? VIP_NONE : VIP_DROPPED;
			continue;
		}
		s->flow = &s->pkt.flow;
		if (unlikely(icmp_err(s))) {
			if (!(s->pkt.flags & SL_PKT_F_INNER_PORTS)) {
				s->vip = VIP_NONE;
				continue;
			}
			/* The error is about a packet the VIP sent: reverse it into the client's
			 * flow. */
			sl_flow_key_reverse(&s->rev, &s->pkt.inner);
			s->flow = &s->rev;
		}

		/* The VIP: the key's own words (see dp_vip_words_of_flow()). */
		struct dp_vip_words vw = dp_vip_words_of_flow(s->flow);
		int32_t vi = dp_vip_lookup(g, vw);
		/* A packet without a port (dport 0) has just looked up the any-port key. */
		if (vi < 0 && g->has_any_port && s->flow->dport != 0)
			vi = dp_vip_lookup(g, dp_vip_words_any_port(vw));
		if (vi < 0) {
			s->vip = VIP_NONE;
			continue;
		}
		s->vip = vi;
	}
	/* Counters added to once per burst rather than per packet. */
	w->st.rx_packets += n;
	w->st.rx_bytes += rx_bytes;

	/*
	 * Stage 2: the VIP packets' conntrack hashes and the first prefetch
	 * pass, every preferred entry line, in a loop of their own. Done per
	 * packet in stage 1 instead, right after its parse, they took 3 fewer
	 * instructions per packet but more cycles at 10M flows (hits 105
	 * against 92 TSC cycles, new flows 245 against 227; medians of 5
	 * interleaved runs), and no fewer at 1k or 1M.
	 */
	for (uint16_t i = 0; i < n; i++) {
		struct pkt_state *s = &ps[i];
		if (s->vip < 0)
			continue;
		s->ct_hash = sl_ct_hash(w->ct, s->flow);
		s->ct_pref = sl_ct_prefetch(w->ct, s->ct_hash); /* a candidate until below */
	}

	/*
	 * Then the other two prefetch passes (conntrack.h): for the keys
	 * not found in their preferred entry, the bucket line; then the entry
	 * lines matching in those buckets. An established flow in its
	 * preferred way (most of them) costs one line.
	 */
	struct pkt_state *miss[DP_BURST];
	uint16_t n_miss = 0;
	for (uint16_t i = 0; i < n; i++) {
		struct pkt_state *s = &ps[i];
		if (s->vip < 0)
			continue;
		s->ct_pref = sl_ct_prefetch_bucket_at(w->ct, s->ct_pref, s->flow, s->ct_hash);
		if (!s->ct_pref)
			miss[n_miss++] = s;
	}
	for (uint16_t k = 0; k < n_miss; k++)
		sl_ct_prefetch_entry(w->ct, miss[k]->ct_hash, now);

	/*
	 * Stage 3: pick the backend, rewrite, emit. A key stage 2 found in its
	 * preferred entry is not compared again, unless an insert since may
	 * have given that entry to another key.
	 */
	uint64_t forwarded = 0; /* by the straight path; the others count their own */
	for (uint16_t i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		struct pkt_state *s = &ps[i];

		if (unlikely(s->vip < 0 || (s->pkt.flags & SL_PKT_F_FRAG_NONFIRST))) {
			unrouted(&b, s, m);
			continue;
		}

		const struct dp_vip *vip = &g->vips[s->vip];
		struct sl_ct_entry *e = sl_ct_lookup_pref(
			w->ct, b.ct_inserted ? NULL : s->ct_pref, s->flow, s->ct_hash, now);

		if (unlikely(!e || !sl_ct_backend_valid(e, g->slots, g->n_slots) || icmp_err(s) ||
			     vip->fwd_mode != SL_FWD_ENCAP)) {
			routed(&b, s, m, vip, e);
			continue;
		}

		/* An established flow, encapsulated: what routed() and forward() do for it. */
		uint32_t be = e->backend;
		if (unlikely(sl_ct_update_needed(e, s->pkt.tcp_flags))) {
			if (sl_ct_syn_reuses(e, s->pkt.tcp_flags)) {
				routed(&b, s, m, vip, e); /* a new connection on old ports */
				continue;
			}
			sl_ct_update(w->ct, e, s->pkt.tcp_flags, now);
		}

		struct sl_buf buf = {.data = rte_pktmbuf_mtod(m, uint8_t *),
			.len = m->data_len,
			.headroom = rte_pktmbuf_headroom(m)};
		uint16_t mtu_hint = 0;
		uint32_t len_in = m->pkt_len;
		enum sl_fwd_verdict fv = sl_encap_ip_tmpl(
			&buf, &s->pkt, &g->backends[be].encap, s->ct_hash, &b.fwd, &mtu_hint);

		if (unlikely(fv != SL_FWD_OK)) {
			refused(&b, s, m, buf, fv, mtu_hint);
			continue;
		}
		mbuf_update(m, &buf);
		w->vip_ctr[vip->slot].packets++;
		w->vip_ctr[vip->slot].bytes += len_in;
		w->be_ctr[be].packets++;
		w->be_ctr[be].bytes += len_in;
		forwarded++;
		emit(out, m, rx_port_idx);
	}
	w->st.forwarded += forwarded;
}
