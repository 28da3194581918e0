/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Forwarding rewrites; the rules are in encap.h.
 *
 * Layout of an encapsulated frame: the outer Ethernet and IP headers are
 * written into the bytes in front of the inner IP header (the old Ethernet
 * and VLAN header, then headroom), so the inner packet is never copied:
 *
 *   before:              [headroom][eth][vlan...][inner IP ....][pad]
 *   after:   [headroom'][eth][outer IP][inner IP ....]
 *
 * Every check happens before the first write, so a packet that is refused is
 * still intact for the caller's ICMP answer or drop counter.
 *
 * Header fields are written byte by byte in network order: the headers sit
 * at whatever alignment the frame gives them (the outer IPv4 header starts
 * 34 bytes before the inner one), and byte stores are as cheap as the
 * unaligned word stores a compiler would make of them.
 */
#include <assert.h>
#include <stddef.h>
#include <string.h>

#include "encap.h"
#include "wire.h"

#define ETH_HLEN      14
#define IP4_HLEN      20
#define IP6_HLEN      40
#define ETHERTYPE_IP4 0x0800
#define ETHERTYPE_IP6 0x86dd
#define PROTO_IPIP    4	 /* IPv4 encapsulated in IPv4, RFC 2003 */
#define PROTO_IPV6    41 /* IPv6 encapsulated in IPv6, RFC 2473 */
#define IP4_DF	      0x4000

#define likely(x)   __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)

/*
 * Decrement the TTL of the IPv4 header at @ip and patch its checksum with
 * RFC 1624 eqn. 3, HC' = ~(~HC + ~m + m'), where m is the 16-bit word holding
 * TTL and protocol. Unlike the RFC 1141 shortcut HC' = HC + 0x0100, it never
 * turns a checksum that must be 0x0000 into 0xFFFF, so the result is always
 * what a full recomputation would give. The caller has checked TTL >= 2, so
 * m' = m - 0x0100 does not wrap and ~m + m' is 0xFEFF whatever m is.
 *
 * Done on the checksum as the host reads it, without swapping its bytes:
 * one's-complement sums commute with byte swapping (RFC 1071 section 2(B)),
 * so 0xFEFF is added in the host's view of network order. One fold is
 * enough: ~HC + 0xFEFF (either view) is at most 0x1FFFE.
 */
static inline void
ip4_dec_ttl(uint8_t *ip)
{
	uint16_t hc;

	memcpy(&hc, ip + 10, 2);
	uint32_t sum = (uint32_t)(uint16_t)~hc + sl_be16(0xffff - 0x0100);
	hc = (uint16_t) ~((sum & 0xffff) + (sum >> 16));
	memcpy(ip + 10, &hc, 2);
	ip[8]--;
}

/* TTL / hop limit of the IP header at @ip; the byte we are about to rewrite. */
static inline uint8_t
ip_ttl(const uint8_t *ip, uint8_t family)
{
	return family == SL_FAMILY_IPV4 ? ip[8] : ip[7];
}

/*
 * Checks shared by both rewrites: the packet is IP and fits in the buffer.
 * The parser guarantees the second part; checking it costs one compare and
 * keeps a caller's mistake from turning into a write past the frame.
 */
static inline int
pkt_is_ip(const struct sl_buf *buf, const struct sl_pkt *pkt)
{
	uint32_t min = pkt->flow.family == SL_FAMILY_IPV4 ? IP4_HLEN : IP6_HLEN;

	if (pkt->flow.family != SL_FAMILY_IPV4 && pkt->flow.family != SL_FAMILY_IPV6)
		return 0;
	return pkt->l3_len >= min && (uint32_t)pkt->l3_off + pkt->l3_len <= buf->len;
}

/* Host-bit mask of a @len-bit prefix within a 32-bit word, without shifting by 32. */
static inline uint32_t
host_mask32(unsigned int len)
{
	if (len >= 32)
		return 0;
	return UINT32_MAX >> len;
}

void
sl_encap_src4(const struct sl_fwd_ctx *ctx, uint32_t flow_hash, uint32_t *out)
{
	uint32_t mask = host_mask32(ctx->src4_prefix_len);
	uint32_t prefix = sl_be32(ctx->src4_prefix);

	*out = sl_be32((prefix & ~mask) | (flow_hash & mask));
}

/*
 * IPv6: the prefix's own bits are kept, every host bit above the low 32 is
 * zero, and the host bits within the low 32 come from the hash. A /64 thus
 * gives the 64 prefix bits, 32 zero bits, then the hash; a /96 the prefix and
 * the hash; a /128 the prefix alone.
 */
void
sl_encap_src6(const struct sl_fwd_ctx *ctx, uint32_t flow_hash, union sl_ip *out)
{
	unsigned int len = ctx->src6_prefix_len > 128 ? 128 : ctx->src6_prefix_len;

	for (unsigned int i = 0; i < 4; i++) {
		/* bits of word i that belong to the prefix: 0..32 */
		unsigned int in = len > 32 * i ? len - 32 * i : 0;
		uint32_t mask = host_mask32(in);
		const uint8_t *b = ctx->src6_prefix + 4 * i;
		uint32_t w =
			(uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];

		w &= ~mask;
		if (i == 3)
			w |= flow_hash & mask;
		out->w[i] = sl_be32(w);
	}
}

/* Ethernet header at @p: @ctx's next hop, then its source MAC (one copy), @type. */
static inline void
write_eth(uint8_t *p, const struct sl_fwd_ctx *ctx, uint16_t type)
{
	static_assert(offsetof(struct sl_fwd_ctx, src_mac) ==
			      offsetof(struct sl_fwd_ctx, nexthop_mac) + SL_ETH_ALEN,
		"destination and source MAC in Ethernet order");
	memcpy(p, ctx->nexthop_mac, 2 * SL_ETH_ALEN);
	sl_put16(p + 2 * SL_ETH_ALEN, type);
}

void
sl_encap_tmpl_init(struct sl_encap_tmpl *t, const struct sl_fwd_ctx *ctx,
	const union sl_ip *backend, uint8_t backend_family)
{
	memset(t, 0, sizeof(*t));
	t->ttl = ctx->ttl;
	if (backend_family == SL_FAMILY_IPV4) {
		uint32_t src, dst = sl_be32(backend->v4);

		t->family = SL_FAMILY_IPV4;
		t->hlen = IP4_HLEN;
		sl_encap_src4(ctx, 0, &t->src.v4);
		t->host_mask = host_mask32(ctx->src4_prefix_len);
		t->dst.v4 = backend->v4;
		src = sl_be32(t->src.v4);
		/* Version/IHL, TTL/protocol and the addresses; the source's host
		 * bits, being clear here, are added per packet without a carry
		 * into the prefix's. */
		t->sum = 0x4500 + ((uint32_t)ctx->ttl << 8 | PROTO_IPIP) + (src >> 16) +
			 (src & 0xffff) + (dst >> 16) + (dst & 0xffff);
	} else if (backend_family == SL_FAMILY_IPV6) {
		unsigned int len = ctx->src6_prefix_len > 128 ? 128 : ctx->src6_prefix_len;

		t->family = SL_FAMILY_IPV6;
		t->hlen = IP6_HLEN;
		sl_encap_src6(ctx, 0, &t->src);
		t->host_mask = host_mask32(len > 96 ? len - 96 : 0);
		t->dst = *backend;
	} else {
		return; /* hlen 0: matches no packet */
	}
	t->max_l3 = ctx->mtu > t->hlen ? (uint16_t)(ctx->mtu - t->hlen) : 0;
}

/* Outer IPv4 header at @p for an inner IPv4 packet described by @pkt. */
static inline void
write_outer4(
	uint8_t *p, const struct sl_pkt *pkt, const struct sl_encap_tmpl *t, uint32_t flow_hash)
{
	uint32_t host = flow_hash & t->host_mask;
	uint32_t src_be = t->src.v4 | sl_be32(host);
	uint32_t tot = (uint32_t)pkt->l3_len + IP4_HLEN;
	/* With DF the ID has no use (RFC 6864 section 4.1); without it, the flow
	 * hash keeps IDs of different flows to the same backend apart. */
	uint32_t id_frag = (pkt->flags & SL_PKT_F_DF) ? IP4_DF : (flow_hash & 0xffff) << 16;
	/* The checksum from the template's sum and this packet's fields: no
	 * re-read of what we just wrote. id_frag's halves are the ID and the
	 * fragment word, one of which is zero. */
	uint32_t sum = t->sum + pkt->tos + tot + (id_frag >> 16) + (id_frag & 0xffff) +
		       (host >> 16) + (host & 0xffff);

	sl_put32(p, 0x45000000u | (uint32_t)pkt->tos << 16 | tot);
	sl_put32(p + 4, id_frag);
	sl_put32(p + 8, (uint32_t)t->ttl << 24 | PROTO_IPIP << 16 | sl_cksum_finish(sum));
	memcpy(p + 12, &src_be, 4); /* already in network order */
	memcpy(p + 16, &t->dst.v4, 4);
}

/* Outer IPv6 header at @p for an inner IPv6 packet described by @pkt. */
static inline void
write_outer6(
	uint8_t *p, const struct sl_pkt *pkt, const struct sl_encap_tmpl *t, uint32_t flow_hash)
{
	uint32_t src3 = t->src.w[3] | sl_be32(flow_hash & t->host_mask);

	sl_put32(p, 6u << 28 | (uint32_t)pkt->tos << 20 | (flow_hash & 0xfffff));
	sl_put32(p + 4, (uint32_t)pkt->l3_len << 16 | PROTO_IPV6 << 8 | t->ttl);
	memcpy(p + 8, t->src.b, 12);
	memcpy(p + 20, &src3, 4);
	memcpy(p + 24, t->dst.b, 16);
}

/*
 * sl_encap_ip_tmpl() for a packet of the template's family, @family a
 * constant once inlined (the checks and offsets fold), @outer_hlen its
 * outer header's length, which is also the shortest IP packet of it.
 */
static inline __attribute__((always_inline)) enum sl_fwd_verdict
encap_family(struct sl_buf *buf, const struct sl_pkt *pkt, const struct sl_encap_tmpl *t,
	uint32_t flow_hash, const struct sl_fwd_ctx *ctx, uint16_t *mtu_hint, uint8_t family,
	uint32_t outer_hlen)
{
	if (unlikely(pkt->l3_len < outer_hlen || (uint32_t)pkt->l3_off + pkt->l3_len > buf->len))
		return SL_FWD_NOT_IP;

	uint8_t *inner = buf->data + pkt->l3_off;

	/* TTL before size, as a router does: an expiring packet gets time-exceeded
	 * whatever its size. */
	if (unlikely(ip_ttl(inner, family) <= 1))
		return SL_FWD_TTL_EXCEEDED;
	if (unlikely(pkt->l3_len > t->max_l3)) {
		*mtu_hint = t->max_l3;
		return SL_FWD_TOO_BIG;
	}
	if (unlikely((uint64_t)buf->headroom + pkt->l3_off < ETH_HLEN + outer_hlen))
		return SL_FWD_NO_HEADROOM;

	uint8_t *outer = inner - outer_hlen;
	uint8_t *eth = outer - ETH_HLEN;

	if (family == SL_FAMILY_IPV4) {
		ip4_dec_ttl(inner);
		write_outer4(outer, pkt, t, flow_hash);
		write_eth(eth, ctx, ETHERTYPE_IP4);
	} else {
		inner[7]--;
		write_outer6(outer, pkt, t, flow_hash);
		write_eth(eth, ctx, ETHERTYPE_IP6);
	}

	/* headroom' = headroom + l3_off - (Ethernet + outer); checked >= 0 above */
	buf->headroom = buf->headroom + pkt->l3_off - (ETH_HLEN + outer_hlen);
	buf->data = eth;
	buf->len = ETH_HLEN + outer_hlen + pkt->l3_len;
	return SL_FWD_OK;
}

enum sl_fwd_verdict
sl_encap_ip_tmpl(struct sl_buf *buf, const struct sl_pkt *pkt, const struct sl_encap_tmpl *t,
	uint32_t flow_hash, const struct sl_fwd_ctx *ctx, uint16_t *mtu_hint)
{
	/* The checks of pkt_is_ip() for a packet of the template's family (its
	 * shortest IP packet is the outer header's length) are in
	 * encap_family(); the others sorted out here, in the order
	 * sl_encap_ip() has always given. A template for no family (hlen 0)
	 * matches nothing. */
	if (likely(pkt->flow.family == SL_FAMILY_IPV4 && t->family == SL_FAMILY_IPV4))
		return encap_family(
			buf, pkt, t, flow_hash, ctx, mtu_hint, SL_FAMILY_IPV4, IP4_HLEN);
	if (pkt->flow.family == SL_FAMILY_IPV6 && t->family == SL_FAMILY_IPV6)
		return encap_family(
			buf, pkt, t, flow_hash, ctx, mtu_hint, SL_FAMILY_IPV6, IP6_HLEN);
	if (!pkt_is_ip(buf, pkt))
		return SL_FWD_NOT_IP;
	return SL_FWD_FAMILY_MISMATCH;
}

enum sl_fwd_verdict
sl_encap_ip(struct sl_buf *buf, const struct sl_pkt *pkt, const union sl_ip *backend,
	uint8_t backend_family, uint32_t flow_hash, const struct sl_fwd_ctx *ctx,
	uint16_t *mtu_hint)
{
	struct sl_encap_tmpl t;

	sl_encap_tmpl_init(&t, ctx, backend, backend_family);
	return sl_encap_ip_tmpl(buf, pkt, &t, flow_hash, ctx, mtu_hint);
}

enum sl_fwd_verdict
sl_l2_rewrite(struct sl_buf *buf, const struct sl_pkt *pkt, const uint8_t backend_mac[SL_ETH_ALEN],
	const struct sl_fwd_ctx *ctx, uint16_t *mtu_hint)
{
	uint8_t *ip;

	if (!pkt_is_ip(buf, pkt))
		return SL_FWD_NOT_IP;
	ip = buf->data + pkt->l3_off;
	if (ip_ttl(ip, pkt->flow.family) <= 1)
		return SL_FWD_TTL_EXCEEDED;
	if (pkt->l3_len > ctx->mtu) {
		*mtu_hint = ctx->mtu;
		return SL_FWD_TOO_BIG;
	}

	/* Only the two MACs change in the Ethernet header; VLAN tags stay. */
	memcpy(buf->data, backend_mac, SL_ETH_ALEN);
	memcpy(buf->data + SL_ETH_ALEN, ctx->src_mac, SL_ETH_ALEN);
	if (pkt->flow.family == SL_FAMILY_IPV4)
		ip4_dec_ttl(ip);
	else
		ip[7]--;
	buf->len = (uint32_t)pkt->l3_off + pkt->l3_len;
	return SL_FWD_OK;
}

static const char *const verdict_names[SL_FWD_VERDICT_MAX] = {
	[SL_FWD_OK] = "ok",
	[SL_FWD_TOO_BIG] = "too_big",
	[SL_FWD_TTL_EXCEEDED] = "ttl_exceeded",
	[SL_FWD_NO_HEADROOM] = "no_headroom",
	[SL_FWD_FAMILY_MISMATCH] = "family_mismatch",
	[SL_FWD_NOT_IP] = "not_ip",
};

const char *
sl_fwd_verdict_name(enum sl_fwd_verdict v)
{
	if ((unsigned int)v >= SL_FWD_VERDICT_MAX || !verdict_names[v])
		return "unknown";
	return verdict_names[v];
}
