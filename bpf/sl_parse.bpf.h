/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-3-Clause) */
/*
 * Bounded header parsing for Sluice's XDP programs: a cursor over the frame
 * that never moves past data_end, and one result code per way a frame can be
 * malformed (the front program counts them; the filter will act on them).
 *
 * What it understands: Ethernet with up to SL_PARSE_MAX_VLANS 802.1Q/802.1ad
 * tags; IPv4 with options, fragments flagged; IPv6 with a walk over at most
 * SL_PARSE_MAX_IP6_EXT extension headers (hop-by-hop, routing, destination
 * options, fragment, AH); the TCP/UDP ports and the ICMP/ICMPv6 type.
 * It mirrors the dataplane's parser (dataplane/core/parse.c) in what it
 * accepts, but stops at what the XDP programs need: no ICMP inner header.
 *
 * Every function is __always_inline: the verifier then sees each bounds
 * check next to the access it protects, and loops are unrolled.
 */
#ifndef SL_PARSE_BPF_H
#define SL_PARSE_BPF_H

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <linux/udp.h>

#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#ifndef SL_PARSE_MAX_VLANS
#define SL_PARSE_MAX_VLANS 2
#endif
/* Where the IP header can start at most: Ethernet and the VLAN tags. */
#define SL_PARSE_MAX_L3_OFF (14 + 4 * SL_PARSE_MAX_VLANS)
#ifndef SL_PARSE_MAX_IP6_EXT
#define SL_PARSE_MAX_IP6_EXT 8 /* the dataplane's parser walks as many: keep them equal */
#endif

#define SL_ETH_P_8021Q	0x8100
#define SL_ETH_P_8021AD 0x88a8
#define SL_IP4_MF	0x2000
#define SL_IP4_OFFMASK	0x1fff

/* Results. Everything from SL_BP_MALFORMED on is a malformed frame. */
enum sl_bp_rc {
	SL_BP_OK = 0,	 /* an IP packet, parsed as far as its L4 header allows */
	SL_BP_NOT_IP,	 /* a well-formed frame of another ethertype (ARP, LLDP, ...) */
	SL_BP_MALFORMED, /* the first malformed code, an alias of SL_BP_TRUNC_ETH */
	SL_BP_TRUNC_ETH = SL_BP_MALFORMED,
	SL_BP_TRUNC_VLAN,	/* a VLAN tag cut short */
	SL_BP_TOO_MANY_VLANS,	/* more than SL_PARSE_MAX_VLANS tags */
	SL_BP_TRUNC_IP4,	/* shorter than the IPv4 header with its options */
	SL_BP_BAD_IP4,		/* version not 4, or IHL < 5 */
	SL_BP_BAD_IP4_LEN,	/* total length < header, or > bytes present */
	SL_BP_TRUNC_IP6,	/* shorter than the fixed IPv6 header */
	SL_BP_BAD_IP6,		/* version not 6 */
	SL_BP_BAD_IP6_LEN,	/* payload length > bytes present */
	SL_BP_TRUNC_IP6_EXT,	/* an extension header cut short */
	SL_BP_IP6_EXT_TOO_LONG, /* more than SL_PARSE_MAX_IP6_EXT extension headers */
	SL_BP_TRUNC_TCP,	/* shorter than 20 bytes */
	SL_BP_BAD_TCP,		/* data offset < 5 */
	SL_BP_TRUNC_UDP,	/* shorter than 8 bytes */
	SL_BP_TRUNC_ICMP,	/* shorter than the 8-byte ICMP/ICMPv6 header */
};

/* sl_pkt_info.flags */
enum sl_pi_flag {
	SL_PI_FRAGMENT = 1 << 0,      /* IPv4 MF/offset, or an IPv6 fragment header */
	SL_PI_FRAG_NONFIRST = 1 << 1, /* offset != 0: no L4 header, ports unknown */
	SL_PI_IP4_OPTIONS = 1 << 2,   /* IHL > 5 */
	SL_PI_IP6_EXT = 1 << 3,	      /* at least one extension header */
};

struct sl_cursor {
	void *pos;
	void *end;
};

/* What the parser found; zero it before use (addresses are compared whole). */
struct sl_pkt_info {
	/*
	 * Network-order words; IPv4 in the first, the rest zero. Words, not
	 * bytes: copies into map keys are then a few word moves, where clang
	 * copies byte arrays a byte at a time and keeps each byte in a stack
	 * slot of its own (measured: 8 ns of a 40 ns pass path).
	 */
	__u32 src[4] __attribute__((aligned(8)));
	__u32 dst[4] __attribute__((aligned(8)));
	__u16 sport;	 /* network order; TCP/UDP only */
	__u16 dport;	 /* network order; TCP/UDP only */
	__u16 ethertype; /* innermost, host order */
	__u16 l3_off;	 /* offset of the IP header */
	__u16 l4_off;	 /* offset of the L4 header, 0 if none was reached */
	__u8 family;	 /* 4 or 6 */
	__u8 proto;	 /* L4 protocol after the extension headers */
	__u8 icmp_type;
	__u8 icmp_code;
	__u8 n_vlans;
	__u8 flags;	/* enum sl_pi_flag */
	__u8 tcp_flags; /* TCP only: FIN 0x01, SYN 0x02, RST 0x04, ..., ACK 0x10 */
};

struct sl_vlan_hdr {
	__be16 tci;
	__be16 encap_proto;
};

/*
 * The first 8 bytes of ICMP and ICMPv6 alike (<linux/icmp.h> drags in libc
 * headers, which do not build for -target bpf).
 */
struct sl_icmp_hdr {
	__u8 type;
	__u8 code;
	__sum16 cksum;
	__be32 rest;
};

/* The uapi headers have no IPv6 fragment header. */
struct sl_ip6_frag {
	__u8 nexthdr;
	__u8 reserved;
	__be16 frag_off; /* offset in 8-byte units << 3 | M flag */
	__be32 id;
};

static __always_inline int
sl_bp_malformed(int rc)
{
	return rc >= SL_BP_MALFORMED;
}

static __always_inline int
sl_is_vlan(__be16 proto)
{
	return proto == bpf_htons(SL_ETH_P_8021Q) || proto == bpf_htons(SL_ETH_P_8021AD);
}

/* ICMP messages that quote a packet we may have sent (dataplane/core/icmp.c). */
static __always_inline int
sl_icmp_is_error(__u8 family, __u8 type)
{
	if (family == 4)
		return type == 3 /* dest unreach */ || type == 11 /* time exceeded */ ||
		       type == 12 /* parameter problem */;
	return type >= 1 && type <= 4; /* unreach, too big, time exceeded, param problem */
}

static __always_inline int
sl_parse_eth(struct sl_cursor *c, struct sl_pkt_info *pi)
{
	struct ethhdr *eth = c->pos;
	__be16 proto;

	if ((void *)(eth + 1) > c->end)
		return SL_BP_TRUNC_ETH;
	proto = eth->h_proto;
	c->pos = eth + 1;

#pragma unroll
	for (int i = 0; i < SL_PARSE_MAX_VLANS; i++) {
		struct sl_vlan_hdr *vh = c->pos;

		if (!sl_is_vlan(proto))
			break;
		if ((void *)(vh + 1) > c->end)
			return SL_BP_TRUNC_VLAN;
		proto = vh->encap_proto;
		c->pos = vh + 1;
		pi->n_vlans++;
	}
	if (sl_is_vlan(proto))
		return SL_BP_TOO_MANY_VLANS;
	pi->ethertype = bpf_ntohs(proto);
	return SL_BP_OK;
}

static __always_inline int
sl_parse_ip4(struct sl_cursor *c, struct sl_pkt_info *pi)
{
	struct iphdr *ip = c->pos;
	__u32 hlen, tot;
	__u16 frag;

	if ((void *)(ip + 1) > c->end)
		return SL_BP_TRUNC_IP4;
	/*
	 * The addresses are known as soon as the fixed header is there, even if
	 * the rest is bad: the front program sends malformed frames for a VIP
	 * address to the dataplane, which counts them by reason.
	 */
	pi->family = 4;
	pi->src[0] = ip->saddr;
	pi->dst[0] = ip->daddr;
	if (ip->version != 4 || ip->ihl < 5)
		return SL_BP_BAD_IP4;
	hlen = ip->ihl * 4;
	if (c->pos + hlen > c->end)
		return SL_BP_TRUNC_IP4;
	tot = bpf_ntohs(ip->tot_len);
	/* Bytes past tot_len are link padding; fewer bytes than tot_len is a cut frame. */
	if (tot < hlen || c->pos + tot > c->end)
		return SL_BP_BAD_IP4_LEN;

	pi->proto = ip->protocol;
	if (hlen > 20)
		pi->flags |= SL_PI_IP4_OPTIONS;
	frag = bpf_ntohs(ip->frag_off);
	if (frag & (SL_IP4_MF | SL_IP4_OFFMASK))
		pi->flags |= SL_PI_FRAGMENT;
	if (frag & SL_IP4_OFFMASK)
		pi->flags |= SL_PI_FRAG_NONFIRST;
	c->pos += hlen;
	return SL_BP_OK;
}

static __always_inline int
sl_ip6_is_ext(__u8 nh)
{
	return nh == IPPROTO_HOPOPTS || nh == IPPROTO_ROUTING || nh == IPPROTO_DSTOPTS ||
	       nh == IPPROTO_FRAGMENT || nh == IPPROTO_AH;
}

/* The fixed IPv6 header; pi->proto gets its next header, the cursor moves past it. */
static __always_inline int
sl_parse_ip6_fixed(struct sl_cursor *c, struct sl_pkt_info *pi)
{
	struct ipv6hdr *ip6 = c->pos;

	if ((void *)(ip6 + 1) > c->end)
		return SL_BP_TRUNC_IP6;
	/* As for IPv4: addresses first, so malformed VIP traffic can be told apart. */
	pi->family = 6;
	__builtin_memcpy(pi->src, &ip6->saddr, 16);
	__builtin_memcpy(pi->dst, &ip6->daddr, 16);
	if (ip6->version != 6)
		return SL_BP_BAD_IP6;
	if ((void *)(ip6 + 1) + bpf_ntohs(ip6->payload_len) > c->end)
		return SL_BP_BAD_IP6_LEN;
	pi->proto = ip6->nexthdr;
	c->pos = ip6 + 1;
	return SL_BP_OK;
}

/*
 * The extension headers from the cursor, the first being pi->proto; at the
 * end pi->proto is the L4 protocol. Each header is checked whole before we
 * step over it; the next iteration checks the 8 bytes it reads. A
 * non-first fragment ends the walk: what follows its fragment header is
 * payload, not a header.
 */
static __always_inline int
sl_parse_ip6_ext(struct sl_cursor *c, struct sl_pkt_info *pi)
{
	__u8 nh = pi->proto;

#pragma unroll
	for (int i = 0; i < SL_PARSE_MAX_IP6_EXT; i++) {
		struct ipv6_opt_hdr *h = c->pos;
		__u32 len;

		if (!sl_ip6_is_ext(nh))
			break;
		if ((void *)h + 8 > c->end)
			return SL_BP_TRUNC_IP6_EXT;
		pi->flags |= SL_PI_IP6_EXT;
		if (nh == IPPROTO_FRAGMENT) {
			struct sl_ip6_frag *f = c->pos;
			__u16 off = bpf_ntohs(f->frag_off);

			pi->flags |= SL_PI_FRAGMENT;
			if (off & ~7) {
				pi->flags |= SL_PI_FRAG_NONFIRST;
				pi->proto = f->nexthdr;
				c->pos += 8;
				return SL_BP_OK;
			}
			len = 8;
		} else if (nh == IPPROTO_AH) {
			len = (h->hdrlen + 2) * 4;
		} else {
			len = (h->hdrlen + 1) * 8;
		}
		nh = h->nexthdr;
		c->pos += len;
		if (c->pos > c->end)
			return SL_BP_TRUNC_IP6_EXT;
	}
	if (sl_ip6_is_ext(nh))
		return SL_BP_IP6_EXT_TOO_LONG;
	pi->proto = nh;
	return SL_BP_OK;
}

static __always_inline int
sl_parse_ip6(struct sl_cursor *c, struct sl_pkt_info *pi)
{
	int rc = sl_parse_ip6_fixed(c, pi);

	return rc != SL_BP_OK ? rc : sl_parse_ip6_ext(c, pi);
}

/* The L4 header at the cursor: ports for TCP/UDP, type/code for ICMP(v6). */
static __always_inline int
sl_parse_l4(struct sl_cursor *c, struct sl_pkt_info *pi, void *data)
{
	if (pi->flags & SL_PI_FRAG_NONFIRST)
		return SL_BP_OK;
	pi->l4_off = c->pos - data;

	if (pi->proto == IPPROTO_TCP) {
		struct tcphdr *th = c->pos;
		if ((void *)(th + 1) > c->end)
			return SL_BP_TRUNC_TCP;
		if (th->doff < 5)
			return SL_BP_BAD_TCP;
		pi->sport = th->source;
		pi->dport = th->dest;
		pi->tcp_flags = ((__u8 *)th)[13];
	} else if (pi->proto == IPPROTO_UDP) {
		struct udphdr *uh = c->pos;
		if ((void *)(uh + 1) > c->end)
			return SL_BP_TRUNC_UDP;
		pi->sport = uh->source;
		pi->dport = uh->dest;
	} else if ((pi->family == 4 && pi->proto == IPPROTO_ICMP) ||
		   (pi->family == 6 && pi->proto == IPPROTO_ICMPV6)) {
		struct sl_icmp_hdr *ih = c->pos;
		if ((void *)(ih + 1) > c->end)
			return SL_BP_TRUNC_ICMP;
		pi->icmp_type = ih->type;
		pi->icmp_code = ih->code;
	}
	return SL_BP_OK;
}

/*
 * Parse the frame in [data, end) into @pi (zeroed by the caller).
 * @return SL_BP_OK for an IP packet, SL_BP_NOT_IP for another ethertype, or
 *         a malformed code (sl_bp_malformed()).
 */
static __always_inline int
sl_parse_frame(void *data, void *end, struct sl_pkt_info *pi)
{
	struct sl_cursor c = {.pos = data, .end = end};
	int rc;

	rc = sl_parse_eth(&c, pi);
	if (rc != SL_BP_OK)
		return rc;
	pi->l3_off = c.pos - data;
	if (pi->ethertype == ETH_P_IP)
		rc = sl_parse_ip4(&c, pi);
	else if (pi->ethertype == ETH_P_IPV6)
		rc = sl_parse_ip6(&c, pi);
	else
		return SL_BP_NOT_IP;
	if (rc != SL_BP_OK)
		return rc;
	return sl_parse_l4(&c, pi, data);
}

#endif /* SL_PARSE_BPF_H */
