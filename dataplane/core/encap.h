/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Forwarding rewrites: IPv4-in-IPv4 / IPv6-in-IPv6 encapsulation and L2 MAC
 * rewrite, on a cursor over a buffer with headroom (an mbuf's data, or a test's
 * byte array).
 *
 * Both rewrites forward the packet one IP hop, so the inner TTL / hop limit is
 * decremented (RFC 2003 section 3.1 for the tunnel case) and the IPv4 header
 * checksum is updated incrementally (RFC 1624); a packet that arrives with a
 * TTL of 1 or 0 gets SL_FWD_TTL_EXCEEDED and is left untouched.
 *
 * Encapsulation: the outer source address is derived from the flow hash under
 * a configured prefix, so that the backend's NIC spreads tunnels over its RSS
 * queues (as Katran does); the outer IPv6 flow label is taken from the flow
 * hash too (its low 20 bits). Outer TTL / hop limit is ctx->ttl; the outer
 * TOS / traffic class copies the inner one, ECN bits included (RFC 2003
 * section 3.1, the same rule for IPv6; RFC 6040 normal mode). IPv4: outer DF
 * copies the inner DF, outer ID is 0 when DF is set and the low 16 bits of
 * the flow hash otherwise. The egress frame is untagged (VLAN tags on the way
 * in are dropped); link-layer padding is trimmed.
 *
 * Checks, in this order, all before the first byte is written: the packet is
 * IP and lies within the buffer (SL_FWD_NOT_IP), families match (encap only),
 * TTL, MTU, headroom (encap only). TTL comes before size, as in a router.
 * The TTL is read from the IP header itself, the byte that gets rewritten;
 * TOS and DF come from @pkt.
 *
 * A result longer than ctx->mtu (IP bytes, not counting Ethernet) is refused
 * with SL_FWD_TOO_BIG and *mtu_hint set to the largest inner IP packet that
 * would fit, for the ICMP frag-needed / packet-too-big answer.
 */
#ifndef SL_ENCAP_H
#define SL_ENCAP_H

#include <stdint.h>

#include <sluice/net.h>

#include "parse.h"

#define SL_ETH_ALEN 6

enum sl_fwd_verdict {
	SL_FWD_OK = 0,
	SL_FWD_TOO_BIG,		/* result would exceed ctx->mtu; see *mtu_hint */
	SL_FWD_TTL_EXCEEDED,	/* inner TTL / hop limit <= 1 */
	SL_FWD_NO_HEADROOM,	/* not enough room in front of the frame for the outer headers */
	SL_FWD_FAMILY_MISMATCH, /* backend family differs from the packet's */
	SL_FWD_NOT_IP,		/* the packet did not parse as IPv4/IPv6 */
	SL_FWD_VERDICT_MAX,
};

/* A frame in a buffer: data points at the Ethernet header, headroom bytes before it are ours. */
struct sl_buf {
	uint8_t *data;
	uint32_t len;
	uint32_t headroom;
};

struct sl_fwd_ctx {
	/* In the order of an Ethernet header, so that one copy writes both. */
	uint8_t nexthop_mac[SL_ETH_ALEN]; /* router towards backends (encap mode) */
	uint8_t src_mac[SL_ETH_ALEN];	  /* our port's MAC */
	uint16_t mtu;			  /* egress IP MTU, e.g. 1500 */
	uint8_t ttl;			  /* outer TTL / hop limit, e.g. 64 */
	uint8_t src4_prefix_len;	  /* 0..32 */
	uint32_t src4_prefix;		  /* network order, e.g. 172.16.0.0 */
	uint8_t src6_prefix[16];	  /* the outer v6 source is this prefix ... */
	uint8_t src6_prefix_len;	  /* ... 0..128, host bits from the flow hash */
};

/*
 * Outer source address for a flow (@out in network order): the prefix, with
 * its host bits (at most the low 32) taken from @flow_hash. Bits of the
 * configured prefix past its length are ignored; in IPv6, host bits above the
 * low 32 are zero. A prefix length of 32 (128) gives the prefix as is, 0 gives
 * the hash; lengths past 32 (128) count as 32 (128). Exposed so tests and docs
 * can predict it.
 */
void sl_encap_src4(const struct sl_fwd_ctx *ctx, uint32_t flow_hash, uint32_t *out);
void sl_encap_src6(const struct sl_fwd_ctx *ctx, uint32_t flow_hash, union sl_ip *out);

/*
 * What encapsulating towards one backend writes the same into every packet,
 * worked out once (the dataplane keeps one per backend and generation): the
 * outer addresses with the source's host bits clear, the one's-complement sum
 * of the outer IPv4 header's fixed words, the largest inner packet the MTU
 * takes. Per packet, sl_encap_ip_tmpl() then adds the length, TOS, ID or flow
 * label and the source's host bits, and finishes the checksum.
 */
struct sl_encap_tmpl {
	union sl_ip src;    /* outer source, host bits zero (network order) */
	union sl_ip dst;    /* the backend (network order) */
	uint32_t host_mask; /* host bits of the source's last 32 bits (host order) */
	uint32_t sum;	    /* IPv4: sum of version/IHL, TTL/protocol and both addresses */
	uint16_t max_l3;    /* largest l3_len that fits ctx->mtu; also the TOO_BIG hint */
	uint8_t family;	    /* the backend's; 0 when it is neither IPv4 nor IPv6 */
	uint8_t hlen;	    /* outer IP header: 20 or 40; 0 for no family */
	uint8_t ttl;	    /* outer TTL / hop limit */
};

/*
 * Fill @t for encapsulating towards @backend of family @backend_family with
 * @ctx's TTL, MTU and source prefixes (ctx's MACs are not used: they are
 * passed per call, the source MAC being the egress port's). Never fails; a
 * family that is neither IPv4 nor IPv6 gives a template whose every use
 * returns SL_FWD_FAMILY_MISMATCH (or SL_FWD_NOT_IP), as sl_encap_ip() does.
 */
void sl_encap_tmpl_init(struct sl_encap_tmpl *t, const struct sl_fwd_ctx *ctx,
	const union sl_ip *backend, uint8_t backend_family);

/*
 * sl_encap_ip() with a template made by sl_encap_tmpl_init() from the same
 * backend and a context with the same TTL, MTU and prefixes: the same
 * verdicts and the same bytes. The Ethernet header's MACs come from @ctx.
 */
enum sl_fwd_verdict sl_encap_ip_tmpl(struct sl_buf *buf, const struct sl_pkt *pkt,
	const struct sl_encap_tmpl *t, uint32_t flow_hash, const struct sl_fwd_ctx *ctx,
	uint16_t *mtu_hint);

/*
 * Encapsulate the parsed packet in @buf (parsed into @pkt, which must be
 * SL_PARSE_OK) towards @backend of family @backend_family.
 * On SL_FWD_OK, buf->data/len/headroom describe the new frame:
 * Ethernet(src_mac -> nexthop_mac) + outer IP + inner IP packet.
 * On any other verdict @buf's bytes are unchanged.
 * On SL_FWD_TOO_BIG, *mtu_hint = ctx->mtu - outer header length (20 or 40),
 * the largest inner packet that fits; @mtu_hint is not touched otherwise.
 * Inner packets without DF that are too big also get SL_FWD_TOO_BIG: no
 * fragmentation here, the caller decides between dropping and fragmenting.
 */
enum sl_fwd_verdict sl_encap_ip(struct sl_buf *buf, const struct sl_pkt *pkt,
	const union sl_ip *backend, uint8_t backend_family, uint32_t flow_hash,
	const struct sl_fwd_ctx *ctx, uint16_t *mtu_hint);

/*
 * L2 direct routing: set the destination MAC to @backend_mac and the source to
 * ctx->src_mac, decrement TTL. VLAN tags are kept, padding is trimmed
 * (buf->len = l3_off + l3_len; data and headroom do not move). Same verdict
 * rules; SL_FWD_TOO_BIG when l3_len > ctx->mtu, with *mtu_hint = ctx->mtu.
 */
enum sl_fwd_verdict sl_l2_rewrite(struct sl_buf *buf, const struct sl_pkt *pkt,
	const uint8_t backend_mac[SL_ETH_ALEN], const struct sl_fwd_ctx *ctx, uint16_t *mtu_hint);

/* Stable snake_case name of a verdict ("too_big"); "unknown" when out of range. */
const char *sl_fwd_verdict_name(enum sl_fwd_verdict v);

#endif /* SL_ENCAP_H */
