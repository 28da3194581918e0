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

/*
 * Decrement the TTL of the IPv4 header at @ip and patch its checksum with
 * RFC 1624 eqn. 3, HC' = ~(~HC + ~m + m'), where m is the 16-bit word holding
 * TTL and protocol. Unlike the RFC 1141 shortcut HC' = HC + 0x0100, it never
 * turns a checksum that must be 0x0000 into 0xFFFF, so the result is always
 * what a full recomputation would give.
 */
static inline void
ip4_dec_ttl(uint8_t *ip)
{
	uint16_t hc = (uint16_t)(ip[10] << 8 | ip[11]);
	uint16_t m = (uint16_t)(ip[8] << 8 | ip[9]);
	uint16_t m2 = (uint16_t)(m - 0x0100);
	uint32_t sum = (uint32_t)(uint16_t)~hc + (uint16_t)~m + m2;

	ip[8]--;
	sl_put16(ip + 10, sl_cksum_finish(sum));
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

/* Ethernet header at @p: dst, src, ethertype. */
static inline void
write_eth(uint8_t *p, const uint8_t *dst, const uint8_t *src, uint16_t type)
{
	memcpy(p, dst, SL_ETH_ALEN);
	memcpy(p + SL_ETH_ALEN, src, SL_ETH_ALEN);
	sl_put16(p + 2 * SL_ETH_ALEN, type);
}

/* Outer IPv4 header at @p for an inner IPv4 packet described by @pkt. */
static inline void
write_outer4(uint8_t *p, const struct sl_pkt *pkt, uint32_t src_be, uint32_t dst_be,
	uint32_t flow_hash, uint8_t ttl)
{
	int df = (pkt->flags & SL_PKT_F_DF) != 0;
	uint16_t w0 = (uint16_t)(0x4500 | pkt->tos);
	uint16_t tot = (uint16_t)(pkt->l3_len + IP4_HLEN);
	/* With DF the ID has no use (RFC 6864 section 4.1); without it, the flow
	 * hash keeps IDs of different flows to the same backend apart. */
	uint16_t id = df ? 0 : (uint16_t)flow_hash;
	uint16_t frag = df ? IP4_DF : 0;
	uint16_t w4 = (uint16_t)(ttl << 8 | PROTO_IPIP);
	uint32_t src = sl_be32(src_be), dst = sl_be32(dst_be);
	/* The checksum straight from the field values: no re-read of what we just wrote. */
	uint32_t sum = (uint32_t)w0 + tot + id + frag + w4 + (src >> 16) + (src & 0xffff) +
		       (dst >> 16) + (dst & 0xffff);

	sl_put16(p, w0);
	sl_put16(p + 2, tot);
	sl_put16(p + 4, id);
	sl_put16(p + 6, frag);
	sl_put16(p + 8, w4);
	sl_put16(p + 10, sl_cksum_finish(sum));
	memcpy(p + 12, &src_be, 4); /* already in network order */
	memcpy(p + 16, &dst_be, 4);
}

/* Outer IPv6 header at @p for an inner IPv6 packet described by @pkt. */
static inline void
write_outer6(uint8_t *p, const struct sl_pkt *pkt, const union sl_ip *src, const union sl_ip *dst,
	uint32_t flow_hash, uint8_t hop_limit)
{
	sl_put32(p, 6u << 28 | (uint32_t)pkt->tos << 20 | (flow_hash & 0xfffff));
	sl_put16(p + 4, pkt->l3_len);
	p[6] = PROTO_IPV6;
	p[7] = hop_limit;
	memcpy(p + 8, src->b, 16);
	memcpy(p + 24, dst->b, 16);
}

enum sl_fwd_verdict
sl_encap_ip(struct sl_buf *buf, const struct sl_pkt *pkt, const union sl_ip *backend,
	uint8_t backend_family, uint32_t flow_hash, const struct sl_fwd_ctx *ctx,
	uint16_t *mtu_hint)
{
	uint8_t family = pkt->flow.family;
	uint32_t outer_hlen = family == SL_FAMILY_IPV4 ? IP4_HLEN : IP6_HLEN;
	uint8_t *inner;

	if (!pkt_is_ip(buf, pkt))
		return SL_FWD_NOT_IP;
	if (backend_family != family)
		return SL_FWD_FAMILY_MISMATCH;
	inner = buf->data + pkt->l3_off;
	/* TTL before size, as a router does: an expiring packet gets time-exceeded
	 * whatever its size. */
	if (ip_ttl(inner, family) <= 1)
		return SL_FWD_TTL_EXCEEDED;
	if ((uint32_t)pkt->l3_len + outer_hlen > ctx->mtu) {
		*mtu_hint = ctx->mtu > outer_hlen ? (uint16_t)(ctx->mtu - outer_hlen) : 0;
		return SL_FWD_TOO_BIG;
	}
	if ((uint64_t)buf->headroom + pkt->l3_off < ETH_HLEN + outer_hlen)
		return SL_FWD_NO_HEADROOM;

	uint8_t *outer = inner - outer_hlen;
	uint8_t *eth = outer - ETH_HLEN;

	if (family == SL_FAMILY_IPV4) {
		uint32_t src;

		sl_encap_src4(ctx, flow_hash, &src);
		ip4_dec_ttl(inner);
		write_outer4(outer, pkt, src, backend->v4, flow_hash, ctx->ttl);
		write_eth(eth, ctx->nexthop_mac, ctx->src_mac, ETHERTYPE_IP4);
	} else {
		union sl_ip src;

		sl_encap_src6(ctx, flow_hash, &src);
		inner[7]--;
		write_outer6(outer, pkt, &src, backend, flow_hash, ctx->ttl);
		write_eth(eth, ctx->nexthop_mac, ctx->src_mac, ETHERTYPE_IP6);
	}

	/* headroom' = headroom + l3_off - (Ethernet + outer); checked >= 0 above */
	buf->headroom = buf->headroom + pkt->l3_off - (ETH_HLEN + outer_hlen);
	buf->data = eth;
	buf->len = ETH_HLEN + outer_hlen + pkt->l3_len;
	return SL_FWD_OK;
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
