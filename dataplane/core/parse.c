/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Packet parser: Ethernet/VLAN -> IPv4/IPv6 (+ extension headers) -> L4.
 *
 * Every read is preceded by a check that the bytes are there, in the manner
 * of xdp-tools' parsing_helpers.h: a cursor is an offset into (data, len) and
 * each layer checks `end - off >= need` before touching data + off. Offsets
 * are uint32_t and off <= end <= len holds at every step, so the subtractions
 * never wrap. Past the IP header the bound is the IP packet's own end
 * (l3_off + l3_len), not len: trailing link-layer padding is not packet data.
 *
 * Multi-byte fields are read byte by byte (rd16/rd32) or memcpy'd as stored
 * (addresses and ports stay in network order), never through a cast pointer:
 * IP headers behind an odd number of VLAN tags are not 4-byte aligned.
 *
 * Choices worth knowing:
 * - The IPv4 header checksum is not verified: that is RX checksum offload's
 *   job where the NIC has it, and otherwise the receiving end's. A header with
 *   a bad checksum is still parsed safely, and it stays bad on the way through
 *   (encapsulation keeps the inner header as is; TTL rewrites update the
 *   checksum incrementally), so the backend's kernel drops it. Checking here
 *   would add a pass over 20-60 bytes to every packet for nothing.
 * - IPv6 jumbograms (RFC 2675: payload length 0, Jumbo option in hop-by-hop)
 *   are rejected as SL_PARSE_BAD_IP6_LEN: l3_len is 16 bits and no link we
 *   drive carries 64 KiB frames. A payload length of 0 with any other next
 *   header is an empty packet, and the bytes after it are Ethernet padding
 *   (a bare IPv6 header is 54 bytes on the wire, the minimum frame is 60).
 * - A UDP length larger than the bytes present is accepted in a first
 *   fragment: it describes the whole datagram, not this fragment.
 * - The packet embedded in an ICMP error is bounded by the bytes quoted, not
 *   by the length its own header claims: the quote is normally cut short, and
 *   some stacks have quoted that length byte-swapped. Only its IP header (and, for IPv6,
 *   its extension chain) must be complete; its L4 ports are used when at
 *   least 4 bytes of the L4 header are there.
 */
#include <assert.h>
#include <stdbool.h>
#include <netinet/in.h>
#include <stddef.h>
#include <string.h>

#include "parse.h"

#define ETH_HLEN  14
#define VLAN_HLEN 4
#define IP4_HLEN  20
#define IP6_HLEN  40
#define TCP_HLEN  20
#define UDP_HLEN  8
#define ICMP_HLEN 8
#define EXT_MIN	  8 /* every IPv6 extension header is at least 8 bytes */

#define ETHERTYPE_IPV4	 0x0800
#define ETHERTYPE_IPV6	 0x86dd
#define ETHERTYPE_8021Q	 0x8100
#define ETHERTYPE_8021AD 0x88a8
#define ETHERTYPE_QINQ	 0x9100 /* pre-standard 802.1ad, still seen on some switches */

#define IP4_DF	    0x4000
#define IP4_MF	    0x2000
#define IP4_OFFMASK 0x1fff

#define ICMP4_ECHOREPLY	  0
#define ICMP4_UNREACH	  3
#define ICMP4_FRAG_NEEDED 4 /* code of ICMP4_UNREACH */
#define ICMP4_ECHO	  8
#define ICMP4_TIMXCEED	  11
#define ICMP4_PARAMPROB	  12

#define ICMP6_UNREACH	1
#define ICMP6_TOO_BIG	2
#define ICMP6_TIMXCEED	3
#define ICMP6_PARAMPROB 4
#define ICMP6_ECHO	128
#define ICMP6_ECHOREPLY 129

#define likely(x)   __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)

static inline uint16_t
rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t
rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline int
is_vlan_tpid(uint16_t t)
{
	return t == ETHERTYPE_8021Q || t == ETHERTYPE_8021AD || t == ETHERTYPE_QINQ;
}

/*
 * VLAN tags, entered with *off just past the first TPID. Each tag is the
 * 2-byte TCI plus the next ethertype (or TPID). Cold: most ports are untagged.
 */
static enum sl_parse_verdict
parse_vlans(const uint8_t *data, uint32_t len, struct sl_pkt *pkt, uint32_t *off, uint16_t *type)
{
	uint32_t o = *off;
	uint16_t t = *type;

	do {
		if (pkt->n_vlans == SL_PARSE_MAX_VLANS) {
			pkt->ethertype = t;
			return SL_PARSE_TOO_MANY_VLANS;
		}
		if (len - o < VLAN_HLEN)
			return SL_PARSE_TRUNC_VLAN;
		pkt->vlan_tci[pkt->n_vlans++] = rd16(data + o);
		t = rd16(data + o + 2);
		o += VLAN_HLEN;
	} while (is_vlan_tpid(t));
	*off = o;
	*type = t;
	return SL_PARSE_OK;
}

/*
 * Walk an IPv6 extension-header chain from @off (just past the fixed header)
 * to the upper-layer header, never past @end. On SL_PARSE_OK, *off and *nh are
 * the upper-layer header's offset and protocol, and *flags has
 * SL_PKT_F_IP6_EXT / _FRAGMENT / _FRAG_NONFIRST as found. A non-first fragment
 * stops the walk: what follows its fragment header is payload, not headers.
 *
 * Bounded by SL_PARSE_MAX_IP6_EXT headers, so a chain that repeats a header
 * type cannot keep us here. RFC 8200's "each header at most once" is not
 * enforced beyond hop-by-hop-first and one fragment header: the bound is what
 * protects us, and hosts disagree on the rest.
 *
 * @return SL_PARSE_OK, SL_PARSE_TRUNC_IP6_EXT (a header runs past @end),
 *         SL_PARSE_BAD_IP6_EXT (hop-by-hop not first, second fragment header),
 *         SL_PARSE_IP6_EXT_TOO_LONG.
 */
static enum sl_parse_verdict
ip6_walk_ext(const uint8_t *data, uint32_t *off, uint32_t end, uint8_t *nh, uint16_t *flags)
{
	uint32_t o = *off;
	uint8_t t = *nh;
	uint16_t f = 0;

	for (unsigned int n = 0;; n++) {
		const uint8_t *e = data + o;
		uint32_t hlen;

		switch (t) {
		case IPPROTO_HOPOPTS:
			if (n != 0)
				return SL_PARSE_BAD_IP6_EXT;
			break;
		case IPPROTO_ROUTING:
		case IPPROTO_DSTOPTS:
		case IPPROTO_FRAGMENT:
		case IPPROTO_AH:
			break;
		default:
			goto done;
		}
		if (n == SL_PARSE_MAX_IP6_EXT)
			return SL_PARSE_IP6_EXT_TOO_LONG;
		if (end - o < EXT_MIN)
			return SL_PARSE_TRUNC_IP6_EXT;
		f |= SL_PKT_F_IP6_EXT;
		if (t == IPPROTO_FRAGMENT) {
			if (f & SL_PKT_F_FRAGMENT)
				return SL_PARSE_BAD_IP6_EXT;
			f |= SL_PKT_F_FRAGMENT;
			hlen = EXT_MIN;
			if (rd16(e + 2) & 0xfff8) {
				f |= SL_PKT_F_FRAG_NONFIRST;
				t = e[0];
				o += hlen;
				goto done;
			}
		} else if (t == IPPROTO_AH) {
			hlen = ((uint32_t)e[1] + 2) * 4; /* RFC 4302: in 4-byte units, minus 2 */
		} else {
			hlen = ((uint32_t)e[1] + 1) * 8; /* RFC 8200: in 8-byte units, minus 1 */
		}
		if (end - o < hlen)
			return SL_PARSE_TRUNC_IP6_EXT;
		t = e[0];
		o += hlen;
	}
done:
	*off = o;
	*nh = t;
	*flags |= f;
	return SL_PARSE_OK;
}

/*
 * The IP header embedded in an ICMP error, at @off, bounded by @end (the end
 * of the ICMP message). Same family as the outer packet: an ICMPv4 error
 * quotes an IPv4 packet and an ICMPv6 error an IPv6 one.
 */
static enum sl_parse_verdict
parse_icmp_inner(const uint8_t *data, struct sl_pkt *pkt, uint32_t off, uint32_t end, int v6)
{
	struct sl_flow_key *in = &pkt->inner;
	const uint8_t *ip = data + off;
	uint32_t avail = end - off;
	uint16_t f = 0;
	uint32_t l4;
	uint8_t proto;

	if (!v6) {
		if (avail < IP4_HLEN)
			return SL_PARSE_TRUNC_ICMP_INNER;
		uint32_t hlen = (uint32_t)(ip[0] & 0xf) * 4;
		if ((ip[0] >> 4) != 4 || hlen < IP4_HLEN)
			return SL_PARSE_BAD_ICMP_INNER;
		if (avail < hlen)
			return SL_PARSE_TRUNC_ICMP_INNER;
		in->family = SL_FAMILY_IPV4;
		memcpy(&in->src.v4, ip + 12, 4);
		memcpy(&in->dst.v4, ip + 16, 4);
		proto = ip[9];
		if (rd16(ip + 6) & IP4_OFFMASK)
			f = SL_PKT_F_FRAG_NONFIRST;
		l4 = off + hlen;
	} else {
		if (avail < IP6_HLEN)
			return SL_PARSE_TRUNC_ICMP_INNER;
		if ((ip[0] >> 4) != 6)
			return SL_PARSE_BAD_ICMP_INNER;
		in->family = SL_FAMILY_IPV6;
		memcpy(in->src.b, ip + 8, 16);
		memcpy(in->dst.b, ip + 24, 16);
		proto = ip[6];
		l4 = off + IP6_HLEN;
		enum sl_parse_verdict v = ip6_walk_ext(data, &l4, end, &proto, &f);
		if (v == SL_PARSE_TRUNC_IP6_EXT)
			return SL_PARSE_TRUNC_ICMP_INNER;
		if (v != SL_PARSE_OK)
			return SL_PARSE_BAD_ICMP_INNER;
	}
	in->proto = proto;
	pkt->flags |= SL_PKT_F_ICMP_ERROR;
	if (f & SL_PKT_F_FRAG_NONFIRST)
		return SL_PARSE_OK;

	const uint8_t *p = data + l4;
	uint32_t left = end - l4;

	if (proto == IPPROTO_TCP || proto == IPPROTO_UDP) {
		if (left >= 4) {
			memcpy(&in->sport, p, 2);
			memcpy(&in->dport, p + 2, 2);
			pkt->flags |= SL_PKT_F_INNER_PORTS;
		}
	} else if (proto == (v6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP) && left >= 6) {
		uint8_t t = p[0];
		if (v6 ? (t == ICMP6_ECHO || t == ICMP6_ECHOREPLY)
		       : (t == ICMP4_ECHO || t == ICMP4_ECHOREPLY)) {
			memcpy(&in->sport, p + 4, 2); /* identifier */
			pkt->flags |= SL_PKT_F_INNER_PORTS;
		}
	}
	return SL_PARSE_OK;
}

/* ICMP or ICMPv6 header at @off; echo gets its identifier as sport, errors their inner flow. */
static enum sl_parse_verdict
parse_icmp(const uint8_t *data, struct sl_pkt *pkt, uint32_t off, uint32_t end, int v6)
{
	const uint8_t *p = data + off;
	int echo, err;

	if (unlikely(end - off < ICMP_HLEN))
		return SL_PARSE_TRUNC_ICMP;
	uint8_t type = p[0], code = p[1];
	pkt->icmp_type = type;
	pkt->icmp_code = code;
	if (v6) {
		echo = type == ICMP6_ECHO || type == ICMP6_ECHOREPLY;
		err = type >= ICMP6_UNREACH && type <= ICMP6_PARAMPROB;
		if (type == ICMP6_TOO_BIG) {
			uint32_t mtu = rd32(p + 4);
			pkt->icmp_mtu = mtu > UINT16_MAX ? UINT16_MAX : (uint16_t)mtu;
		}
	} else {
		echo = type == ICMP4_ECHO || type == ICMP4_ECHOREPLY;
		err = type == ICMP4_UNREACH || type == ICMP4_TIMXCEED || type == ICMP4_PARAMPROB;
		if (type == ICMP4_UNREACH && code == ICMP4_FRAG_NEEDED)
			pkt->icmp_mtu = rd16(p + 6); /* RFC 1191: next-hop MTU in the low 16 bits */
	}
	if (echo) {
		memcpy(&pkt->flow.sport, p + 4, 2); /* identifier; dport stays 0 */
		pkt->flags |= SL_PKT_F_PORTS;
		return SL_PARSE_OK;
	}
	if (!err)
		return SL_PARSE_OK;
	return parse_icmp_inner(data, pkt, off + ICMP_HLEN, end, v6);
}

/* The upper-layer header at @off, bounded by the IP packet's end @end. */
static inline enum sl_parse_verdict
parse_l4(const uint8_t *data, struct sl_pkt *pkt, uint32_t off, uint32_t end, int v6)
{
	const uint8_t *p = data + off;
	uint32_t left = end - off;

	switch (pkt->flow.proto) {
	case IPPROTO_TCP: {
		pkt->l4_off = (uint16_t)off;
		if (unlikely(left < TCP_HLEN))
			return SL_PARSE_TRUNC_TCP;
		uint32_t doff = (uint32_t)(p[12] >> 4) * 4;
		if (unlikely(doff < TCP_HLEN))
			return SL_PARSE_BAD_TCP_DOFF;
		if (unlikely(doff > left))
			return SL_PARSE_TRUNC_TCP;
		memcpy(&pkt->flow.sport, p, 2);
		memcpy(&pkt->flow.dport, p + 2, 2);
		pkt->tcp_flags = p[13];
		pkt->flags |= SL_PKT_F_PORTS;
		return SL_PARSE_OK;
	}
	case IPPROTO_UDP: {
		pkt->l4_off = (uint16_t)off;
		if (unlikely(left < UDP_HLEN))
			return SL_PARSE_TRUNC_UDP;
		uint32_t ulen = rd16(p + 4);
		if (unlikely(ulen < UDP_HLEN || (ulen > left && !(pkt->flags & SL_PKT_F_FRAGMENT))))
			return SL_PARSE_BAD_UDP_LEN;
		memcpy(&pkt->flow.sport, p, 2);
		memcpy(&pkt->flow.dport, p + 2, 2);
		pkt->flags |= SL_PKT_F_PORTS;
		return SL_PARSE_OK;
	}
	case IPPROTO_ICMP:
		if (v6)
			break; /* ICMPv4 inside IPv6 is just an unknown protocol */
		pkt->l4_off = (uint16_t)off;
		return parse_icmp(data, pkt, off, end, 0);
	case IPPROTO_ICMPV6:
		if (!v6)
			break;
		pkt->l4_off = (uint16_t)off;
		return parse_icmp(data, pkt, off, end, 1);
	case IPPROTO_NONE:
		if (v6)
			return SL_PARSE_OK; /* no upper-layer header at all */
		break;
	default:
		break;
	}
	/* A protocol we do not look into: point at it if it has any bytes. */
	if (left)
		pkt->l4_off = (uint16_t)off;
	return SL_PARSE_OK;
}

static inline enum sl_parse_verdict
parse_ip4(const uint8_t *data, uint32_t len, struct sl_pkt *pkt)
{
	const uint32_t l3 = pkt->l3_off;
	const uint8_t *ip = data + l3;
	const uint32_t avail = len - l3;

	if (unlikely(avail < IP4_HLEN))
		return SL_PARSE_TRUNC_IP4;
	const uint32_t hlen = (uint32_t)(ip[0] & 0xf) * 4;
	const uint32_t tot = rd16(ip + 2);
	if (unlikely((ip[0] >> 4) != 4))
		return SL_PARSE_BAD_IP4_VERSION;
	if (unlikely(hlen < IP4_HLEN))
		return SL_PARSE_BAD_IP4_IHL;
	if (unlikely(hlen > avail))
		return SL_PARSE_TRUNC_IP4;
	if (unlikely(tot < hlen || tot > avail))
		return SL_PARSE_BAD_IP4_LEN;

	const uint16_t frag = rd16(ip + 6);
	pkt->l3_len = (uint16_t)tot;
	pkt->tos = ip[1];
	pkt->ttl = ip[8];
	pkt->flow.family = SL_FAMILY_IPV4;
	pkt->flow.proto = ip[9];
	memcpy(&pkt->flow.src.v4, ip + 12, 4);
	memcpy(&pkt->flow.dst.v4, ip + 16, 4);
	/* Branch-free flag assembly for the common unfragmented case. */
	pkt->flags = (uint16_t)((hlen > IP4_HLEN ? SL_PKT_F_IP4_OPTIONS : 0) |
				(frag & IP4_DF ? SL_PKT_F_DF : 0));
	if (unlikely(frag & (IP4_MF | IP4_OFFMASK))) {
		pkt->flags |= SL_PKT_F_FRAGMENT;
		if (frag & IP4_OFFMASK) {
			pkt->flags |= SL_PKT_F_FRAG_NONFIRST;
			return SL_PARSE_OK; /* no L4 header in this fragment */
		}
	}
	return parse_l4(data, pkt, l3 + hlen, l3 + tot, 0);
}

static inline enum sl_parse_verdict
parse_ip6(const uint8_t *data, uint32_t len, struct sl_pkt *pkt)
{
	const uint32_t l3 = pkt->l3_off;
	const uint8_t *ip = data + l3;
	const uint32_t avail = len - l3;

	if (unlikely(avail < IP6_HLEN))
		return SL_PARSE_TRUNC_IP6;
	if (unlikely((ip[0] >> 4) != 6))
		return SL_PARSE_BAD_IP6_VERSION;
	const uint32_t plen = rd16(ip + 4);
	uint8_t nh = ip[6];
	/* plen 0 + hop-by-hop is a jumbogram (unsupported); l3_len must fit 16 bits. */
	if (unlikely(plen > avail - IP6_HLEN || plen > UINT16_MAX - IP6_HLEN ||
		     (plen == 0 && nh == IPPROTO_HOPOPTS)))
		return SL_PARSE_BAD_IP6_LEN;

	pkt->l3_len = (uint16_t)(IP6_HLEN + plen);
	pkt->tos = (uint8_t)(rd16(ip) >> 4);
	pkt->ttl = ip[7];
	pkt->flow.family = SL_FAMILY_IPV6;
	memcpy(pkt->flow.src.b, ip + 8, 16);
	memcpy(pkt->flow.dst.b, ip + 24, 16);

	uint32_t off = l3 + IP6_HLEN;
	const uint32_t end = off + plen;
	if (unlikely(nh != IPPROTO_TCP && nh != IPPROTO_UDP)) {
		enum sl_parse_verdict v = ip6_walk_ext(data, &off, end, &nh, &pkt->flags);
		if (unlikely(v != SL_PARSE_OK))
			return v;
	}
	pkt->flow.proto = nh;
	if (unlikely(pkt->flags & SL_PKT_F_FRAG_NONFIRST))
		return SL_PARSE_OK;
	return parse_l4(data, pkt, off, end, 1);
}

/*
 * memset(pkt, 0, sizeof(*pkt)) in three parts. As one 100-byte memset, gcc's
 * tuning for the -march DPDK sets emits `rep stosq`, whose start-up costs
 * about as much as the rest of an IPv4/TCP parse; parts this size become a
 * handful of 16-byte stores.
 */
static inline void
pkt_zero(struct sl_pkt *pkt)
{
	memset(&pkt->flow, 0, sizeof(pkt->flow));
	memset(&pkt->inner, 0, sizeof(pkt->inner));
	memset(&pkt->l3_off, 0, sizeof(*pkt) - offsetof(struct sl_pkt, l3_off));
}
static_assert(offsetof(struct sl_pkt, inner) == sizeof(struct sl_flow_key) &&
		      offsetof(struct sl_pkt, l3_off) == 2 * sizeof(struct sl_flow_key),
	"pkt_zero() covers the whole struct");

/*
 * What the fast path writes: the whole struct, every byte the general path
 * leaves zero set to zero. On little-endian hosts as a dozen word stores
 * (gcc does not merge the field stores into these):
 * the flow key's five 8-byte words, the inner key's zero, then the 24 bytes
 * from l3_off on. Each word is one store, so that the 8-byte loads of the
 * key that follow (its hash, its compare) are forwarded from the store
 * buffer rather than stalled behind several narrow stores. The struct's
 * trailing padding is zeroed too, as pkt_zero() does, so that two parses of
 * one frame compare equal byte for byte.
 */
static inline __attribute__((always_inline)) void
fast_store(struct sl_pkt *pkt, const uint8_t *ip, const uint8_t *l4, uint8_t family, uint8_t proto,
	uint16_t l3_len, uint16_t l4_off, uint16_t type, uint16_t flags, uint8_t ttl,
	uint8_t tcp_flags, uint8_t tos)
{
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	static_assert(offsetof(struct sl_flow_key, sport) == 32 &&
			      offsetof(struct sl_flow_key, proto) == 36 &&
			      offsetof(struct sl_flow_key, family) == 37 &&
			      offsetof(struct sl_pkt, l3_off) == 80 &&
			      offsetof(struct sl_pkt, l4_off) == 82 &&
			      offsetof(struct sl_pkt, l3_len) == 84 &&
			      offsetof(struct sl_pkt, ethertype) == 86 &&
			      offsetof(struct sl_pkt, flags) == 92 &&
			      offsetof(struct sl_pkt, n_vlans) == 96 &&
			      offsetof(struct sl_pkt, ttl) == 97 &&
			      offsetof(struct sl_pkt, tcp_flags) == 98 &&
			      offsetof(struct sl_pkt, tos) == 101 && sizeof(struct sl_pkt) == 104,
		"the word layout below");
	uint8_t *k = (uint8_t *)&pkt->flow;
	uint8_t *t = (uint8_t *)&pkt->l3_off;
	uint32_t ports;
	uint64_t w;

	if (family == SL_FAMILY_IPV4) {
		uint32_t a;

		memcpy(&a, ip + 12, 4);
		w = a;
		memcpy(k, &w, 8);
		memcpy(&a, ip + 16, 4);
		w = a;
		memcpy(k + 16, &w, 8);
		w = 0;
		memcpy(k + 8, &w, 8);
		memcpy(k + 24, &w, 8);
	} else {
		memcpy(k, ip + 8, 32);
	}
	memcpy(&ports, l4, 4); /* sport, dport as they are on the wire */
	w = ports | (uint64_t)proto << 32 | (uint64_t)family << 40;
	memcpy(k + 32, &w, 8);
	memset(&pkt->inner, 0, sizeof(pkt->inner));
	w = ETH_HLEN | (uint64_t)l4_off << 16 | (uint64_t)l3_len << 32 | (uint64_t)type << 48;
	memcpy(t, &w, 8);
	w = (uint64_t)flags << 32; /* no VLAN tags, no ICMP MTU */
	memcpy(t + 8, &w, 8);
	/* n_vlans 0, TTL, TCP flags, ICMP type and code 0, TOS, then padding */
	w = (uint64_t)ttl << 8 | (uint64_t)tcp_flags << 16 | (uint64_t)tos << 40;
	memcpy(t + 16, &w, 8);
#else
	pkt_zero(pkt);
	if (family == SL_FAMILY_IPV4) {
		memcpy(&pkt->flow.src.v4, ip + 12, 4);
		memcpy(&pkt->flow.dst.v4, ip + 16, 4);
	} else {
		memcpy(pkt->flow.src.b, ip + 8, 16);
		memcpy(pkt->flow.dst.b, ip + 24, 16);
	}
	memcpy(&pkt->flow.sport, l4, 2);
	memcpy(&pkt->flow.dport, l4 + 2, 2);
	pkt->flow.proto = proto;
	pkt->flow.family = family;
	pkt->l3_off = ETH_HLEN;
	pkt->l4_off = l4_off;
	pkt->l3_len = l3_len;
	pkt->ethertype = type;
	pkt->flags = flags;
	pkt->ttl = ttl;
	pkt->tcp_flags = tcp_flags;
	pkt->tos = tos;
#endif
}

/*
 * The fast path: the frames a load balancer mostly sees, untagged Ethernet,
 * IPv4 without options and not a fragment or IPv6 without extension
 * headers, then a complete TCP or UDP header. Only frames that parse
 * SL_PARSE_OK are taken, with every check the general path makes on them
 * (same reads, in bounds first), and the struct is written whole
 * (fast_store()). Anything else returns false, having written nothing, and
 * the general path parses it. tests/fuzz/fuzz_parse.c and the unit tests
 * check that both paths give the same struct and verdict.
 */

/* TCP or UDP header at @l4 with @left bytes of IP packet from it (>= 8). */
static inline __attribute__((always_inline)) bool
fast_l4(const uint8_t *l4, uint32_t left, uint8_t proto, uint8_t *tcp_flags)
{
	if (proto == IPPROTO_TCP) {
		if (unlikely(left < TCP_HLEN))
			return false;
		const uint32_t doff = (uint32_t)(l4[12] >> 4) * 4;
		if (unlikely(doff < TCP_HLEN || doff > left))
			return false;
		*tcp_flags = l4[13];
		return true;
	}
	if (likely(proto == IPPROTO_UDP)) {
		const uint32_t ulen = rd16(l4 + 4);
		*tcp_flags = 0;
		return ulen >= UDP_HLEN && ulen <= left;
	}
	return false;
}

static inline __attribute__((always_inline)) bool
parse_fast4(const uint8_t *data, uint32_t len, struct sl_pkt *pkt)
{
	const uint8_t *ip = data + ETH_HLEN;
	const uint32_t l3_len = rd16(ip + 2);
	const uint16_t frag = rd16(ip + 6);
	const uint8_t proto = ip[9];
	uint8_t tcp_flags;

	/* len >= 42 checked: the 20-byte header and 8 bytes of L4 are there */
	if (unlikely(ip[0] != 0x45 || l3_len > len - ETH_HLEN || l3_len < IP4_HLEN + UDP_HLEN ||
		     (frag & (IP4_MF | IP4_OFFMASK))))
		return false;
	if (unlikely(!fast_l4(ip + IP4_HLEN, l3_len - IP4_HLEN, proto, &tcp_flags)))
		return false;
	fast_store(pkt, ip, ip + IP4_HLEN, SL_FAMILY_IPV4, proto, (uint16_t)l3_len,
		ETH_HLEN + IP4_HLEN, ETHERTYPE_IPV4,
		(frag & IP4_DF) ? SL_PKT_F_PORTS | SL_PKT_F_DF : SL_PKT_F_PORTS, ip[8], tcp_flags,
		ip[1]);
	return true;
}

static inline __attribute__((always_inline)) bool
parse_fast6(const uint8_t *data, uint32_t len, struct sl_pkt *pkt)
{
	const uint8_t *ip = data + ETH_HLEN;
	uint8_t tcp_flags;

	if (unlikely(len < ETH_HLEN + IP6_HLEN + UDP_HLEN || (ip[0] >> 4) != 6))
		return false;
	const uint32_t plen = rd16(ip + 4);
	const uint8_t proto = ip[6];
	if (unlikely(plen > len - ETH_HLEN - IP6_HLEN || plen > UINT16_MAX - IP6_HLEN ||
		     plen < UDP_HLEN))
		return false;
	if (unlikely(!fast_l4(ip + IP6_HLEN, plen, proto, &tcp_flags)))
		return false;
	fast_store(pkt, ip, ip + IP6_HLEN, SL_FAMILY_IPV6, proto, (uint16_t)(IP6_HLEN + plen),
		ETH_HLEN + IP6_HLEN, ETHERTYPE_IPV6, SL_PKT_F_PORTS, ip[7], tcp_flags,
		(uint8_t)(rd16(ip) >> 4));
	return true;
}

static inline bool
parse_fast(const uint8_t *data, uint32_t len, struct sl_pkt *pkt)
{
	if (unlikely(len < ETH_HLEN + IP4_HLEN + UDP_HLEN))
		return false;

	const uint16_t type = rd16(data + 12);

	if (likely(type == ETHERTYPE_IPV4))
		return parse_fast4(data, len, pkt);
	if (type == ETHERTYPE_IPV6)
		return parse_fast6(data, len, pkt);
	return false;
}

enum sl_parse_verdict
sl_parse(const uint8_t *data, uint32_t len, struct sl_pkt *pkt)
{
	if (likely(parse_fast(data, len, pkt)))
		return SL_PARSE_OK;
	return sl_parse_general(data, len, pkt);
}

/* Out of line: inlined into sl_parse()'s callers, it would crowd their loops. */
__attribute__((noinline)) enum sl_parse_verdict
sl_parse_general(const uint8_t *data, uint32_t len, struct sl_pkt *pkt)
{
	uint32_t off = ETH_HLEN;
	uint16_t type;

	pkt_zero(pkt);
	if (unlikely(len < ETH_HLEN))
		return SL_PARSE_TRUNC_ETH;
	type = rd16(data + 12);
	if (unlikely(is_vlan_tpid(type))) {
		enum sl_parse_verdict v = parse_vlans(data, len, pkt, &off, &type);
		if (v != SL_PARSE_OK)
			return v;
	}
	pkt->ethertype = type;
	pkt->l3_off = (uint16_t)off;
	if (likely(type == ETHERTYPE_IPV4))
		return parse_ip4(data, len, pkt);
	if (type == ETHERTYPE_IPV6)
		return parse_ip6(data, len, pkt);
	return SL_PARSE_NOT_IP;
}

static const char *const verdict_names[] = {
	[SL_PARSE_OK] = "ok",
	[SL_PARSE_NOT_IP] = "not_ip",
	[SL_PARSE_TRUNC_ETH] = "trunc_eth",
	[SL_PARSE_TRUNC_VLAN] = "trunc_vlan",
	[SL_PARSE_TOO_MANY_VLANS] = "too_many_vlans",
	[SL_PARSE_TRUNC_IP4] = "trunc_ip4",
	[SL_PARSE_BAD_IP4_VERSION] = "bad_ip4_version",
	[SL_PARSE_BAD_IP4_IHL] = "bad_ip4_ihl",
	[SL_PARSE_BAD_IP4_LEN] = "bad_ip4_len",
	[SL_PARSE_TRUNC_IP6] = "trunc_ip6",
	[SL_PARSE_BAD_IP6_VERSION] = "bad_ip6_version",
	[SL_PARSE_BAD_IP6_LEN] = "bad_ip6_len",
	[SL_PARSE_TRUNC_IP6_EXT] = "trunc_ip6_ext",
	[SL_PARSE_IP6_EXT_TOO_LONG] = "ip6_ext_too_long",
	[SL_PARSE_BAD_IP6_EXT] = "bad_ip6_ext",
	[SL_PARSE_TRUNC_TCP] = "trunc_tcp",
	[SL_PARSE_BAD_TCP_DOFF] = "bad_tcp_doff",
	[SL_PARSE_TRUNC_UDP] = "trunc_udp",
	[SL_PARSE_BAD_UDP_LEN] = "bad_udp_len",
	[SL_PARSE_TRUNC_ICMP] = "trunc_icmp",
	[SL_PARSE_TRUNC_ICMP_INNER] = "trunc_icmp_inner",
	[SL_PARSE_BAD_ICMP_INNER] = "bad_icmp_inner",
};
static_assert(sizeof(verdict_names) / sizeof(verdict_names[0]) == SL_PARSE_VERDICT_MAX,
	"every verdict has a name");

const char *
sl_parse_verdict_name(enum sl_parse_verdict v)
{
	/* Compare as unsigned: an out-of-range value may arrive as a negative int. */
	if ((unsigned int)v >= SL_PARSE_VERDICT_MAX || !verdict_names[v])
		return "unknown";
	return verdict_names[v];
}
