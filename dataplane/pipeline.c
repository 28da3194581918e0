/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The worker's per-burst work, with no I/O so that it can be benchmarked on
 * pre-built bursts: parse and VIP lookup (the generation's read-only VIP
 * index, see dp_vip_lookup()), connection tracking (its lines prefetched for
 * the whole burst in three passes before the first lookup), Maglev for
 * new flows, then encapsulation or MAC rewrite in place.
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
	int32_t vip; /* index in g->vips, or VIP_NONE / VIP_DROPPED */
	bool icmp_err;
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

void
dp_pipeline(struct dp_worker *w, const struct dp_gen *g, uint16_t rx_port_idx,
	struct rte_mbuf **pkts, uint16_t n, struct dp_out *out, uint32_t now)
{
	struct pkt_state ps[DP_BURST];
	struct sl_fwd_ctx fwd = g->fwd;

	memcpy(fwd.src_mac, dp.port_mac[rx_port_idx].addr_bytes, SL_ETH_ALEN);

	/*
	 * Stage 1: parse, and find each packet's VIP: exact port first, then
	 * the VIP's "all ports" entry. The VIP index is a few lines that stay
	 * in L1, so each lookup is done in place, from the parsed fields.
	 */
	for (uint16_t i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		struct pkt_state *s = &ps[i];

		if (i + 1 < n)
			rte_prefetch0(rte_pktmbuf_mtod(pkts[i + 1], void *));
		w->st.rx_packets++;
		w->st.rx_bytes += m->pkt_len;
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
		s->icmp_err = (s->pkt.flags & SL_PKT_F_ICMP_ERROR) != 0;
		s->flow = &s->pkt.flow;
		if (unlikely(s->icmp_err)) {
			if (!(s->pkt.flags & SL_PKT_F_INNER_PORTS)) {
				s->vip = VIP_NONE;
				continue;
			}
			/* The error is about a packet the VIP sent: reverse it into the client's
			 * flow. */
			sl_flow_key_reverse(&s->rev, &s->pkt.inner);
			s->flow = &s->rev;
		}

		/*
		 * Volatile byte reads: proto and family were just stored by
		 * the parser one byte each, and gcc otherwise reads them as
		 * one 16-bit load, which the store buffer cannot forward from
		 * two stores (see dp_vip_words_from(); measured: a stall of
		 * about 8 cycles per packet).
		 */
		const struct sl_flow_key *f = s->flow;
		uint8_t family = *(const volatile uint8_t *)&f->family;
		uint8_t proto = *(const volatile uint8_t *)&f->proto;
		uint16_t dport = f->dport;
		int32_t vi = dp_vip_lookup(g, dp_vip_words_from(family, &f->dst, proto, dport));
		/* A packet without a port (dport 0) has just looked up the any-port key. */
		if (vi < 0 && g->has_any_port && dport != 0)
			vi = dp_vip_lookup(g, dp_vip_words_from(family, &f->dst, proto, 0));
		s->vip = vi >= 0 ? vi : VIP_NONE;
	}

	/*
	 * Stage 2: connection-tracking hashes, and three prefetch passes over
	 * the burst (conntrack.h): every key's preferred entry line; then, for
	 * the keys not found there, their bucket line; then the entry lines
	 * matching in those buckets. An established flow in its preferred way
	 * (most of them) costs one line. Hashing here rather than in stage 1
	 * also leaves time for the parser's stores to the key to drain
	 * (sl_ct_hash() reads it with 8-byte loads). Measured: hashing right
	 * after the parse cost 10-30 cycles per packet.
	 */
	uint16_t todo[DP_BURST], n_todo = 0; /* VIP packets, then those not found yet */
	for (uint16_t i = 0; i < n; i++) {
		struct pkt_state *s = &ps[i];
		if (s->vip < 0)
			continue;
		s->ct_hash = sl_ct_hash(w->ct, s->flow);
		sl_ct_prefetch(w->ct, s->ct_hash);
		todo[n_todo++] = i;
	}
	uint16_t n_miss = 0;
	for (uint16_t k = 0; k < n_todo; k++) {
		const struct pkt_state *s = &ps[todo[k]];
		if (!sl_ct_prefetch_bucket(w->ct, s->flow, s->ct_hash))
			todo[n_miss++] = todo[k];
	}
	for (uint16_t k = 0; k < n_miss; k++)
		sl_ct_prefetch_entry(w->ct, ps[todo[k]].ct_hash, now);

	/* Stage 3: pick the backend, rewrite, emit. */
	for (uint16_t i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		struct pkt_state *s = &ps[i];

		if (s->vip == VIP_DROPPED) {
			rte_pktmbuf_free(m); /* counted in parse_drops */
			continue;
		}
		if (s->vip < 0) {
			if (dp.exception_port >= 0 && !dp.af_xdp[rx_port_idx]) {
				w->st.exception++;
				emit(out, m, UINT16_MAX);
			} else {
				drop(w, m, DP_DROP_NOT_VIP);
			}
			continue;
		}

		const struct dp_vip *vip = &g->vips[s->vip];
		uint32_t be;

		if (unlikely(s->pkt.flags & SL_PKT_F_FRAG_NONFIRST)) {
			/* No ports: only a source-address hash can place it, and not via conntrack.
			 */
			if (vip->hash != SL_HASH_SRC_IP) {
				drop(w, m, DP_DROP_FRAGMENT);
				continue;
			}
			be = vip->table[sl_maglev_slot(
				sl_flow_hash(s->flow, vip->hash, g->seed), vip->table_size)];
		} else {
			struct sl_ct_entry *e = sl_ct_lookup(w->ct, s->flow, s->ct_hash, now);

			if (likely(e && sl_ct_backend_valid(e, g->slots, g->n_slots))) {
				be = e->backend;
				/* The lookup refreshed the expiry; only a state change needs more.
				 */
				if (!s->icmp_err && sl_ct_update_needed(e, s->pkt.tcp_flags))
					sl_ct_update(w->ct, e, s->pkt.tcp_flags, now);
			} else {
				be = vip->table[sl_maglev_slot(
					sl_flow_hash(s->flow, vip->hash, g->seed),
					vip->table_size)];
				if (be != SL_MAGLEV_NONE && !s->icmp_err) {
					if (!e)
						e = sl_ct_insert(w->ct, s->flow, s->ct_hash, now,
							sl_ct_initial_state(
								s->flow->proto, s->pkt.tcp_flags));
					else /* re-routed: the entry now tracks the flow on its new
						backend */
						sl_ct_update(w->ct, e, s->pkt.tcp_flags, now);
					if (e) {
						e->backend = be;
						e->backend_epoch = g->slots[be].epoch;
						e->vip = (uint16_t)vip->slot;
					}
					w->st.new_flows++;
					w->be_new_flows[be]++;
				}
			}
		}
		if (unlikely(be == SL_MAGLEV_NONE)) {
			drop(w, m, s->icmp_err ? DP_DROP_ICMP_NO_FLOW : DP_DROP_NO_BACKEND);
			continue;
		}

		const struct dp_backend *b = &g->backends[be];
		struct sl_buf buf = {.data = rte_pktmbuf_mtod(m, uint8_t *),
			.len = m->data_len,
			.headroom = rte_pktmbuf_headroom(m)};
		uint16_t mtu_hint = 0;
		uint32_t len_in = m->pkt_len;
		enum sl_fwd_verdict fv =
			vip->fwd_mode == SL_FWD_L2
				? sl_l2_rewrite(&buf, &s->pkt, b->mac, &fwd, &mtu_hint)
				: sl_encap_ip(&buf, &s->pkt, &b->addr, b->family, s->ct_hash, &fwd,
					  &mtu_hint);

		switch (fv) {
		case SL_FWD_OK:
			mbuf_update(m, &buf);
			w->vip_ctr[vip->slot].packets++;
			w->vip_ctr[vip->slot].bytes += len_in;
			w->be_ctr[be].packets++;
			w->be_ctr[be].bytes += len_in;
			if (s->icmp_err)
				w->st.icmp_forwarded++;
			else
				w->st.forwarded++;
			emit(out, m, rx_port_idx);
			break;
		case SL_FWD_TOO_BIG:
			if (sl_icmp_too_big(&buf, &s->pkt, mtu_hint, fwd.src_mac) == 0) {
				mbuf_update(m, &buf);
				w->st.icmp_sent++;
				emit(out, m, rx_port_idx);
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
}
