/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sl_parse(): every kind of valid frame with every output field checked,
 * every truncation of each of them, and each malformation ending in its
 * named verdict.
 *
 * Frames come from the frame builder (pktbuild.h, checked against scapy);
 * malformations it cannot make are patched in by hand afterwards. The parser
 * always sees a heap buffer of exactly the frame's length, so that ASan or
 * valgrind catch a read of even one byte past the end.
 *
 * Loops assert only on failure (if (...) ck_abort_msg): a ck_assert per
 * iteration would cost a message to the Check parent each time.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "parse.h"
#include "pktbuild.h"
#include "test-common.h"

#define V4 SL_FAMILY_IPV4
#define V6 SL_FAMILY_IPV6

#define F_PORTS	  SL_PKT_F_PORTS
#define F_FRAG	  SL_PKT_F_FRAGMENT
#define F_NONF	  SL_PKT_F_FRAG_NONFIRST
#define F_OPTS	  SL_PKT_F_IP4_OPTIONS
#define F_EXT	  SL_PKT_F_IP6_EXT
#define F_DF	  SL_PKT_F_DF
#define F_ICMPERR SL_PKT_F_ICMP_ERROR
#define F_INNERP  SL_PKT_F_INNER_PORTS

#define FRAME_MAX 2048

/* Who talks: a client, the VIP, and a router on the path that sends ICMP errors. */
#define CLIENT4 "198.51.100.7"
#define VIP4	"192.0.2.10"
#define ROUTER4 "203.0.113.1"
#define CLIENT6 "2001:db8:1::7"
#define VIP6	"2001:db8::10"
#define ROUTER6 "2001:db8:ff::1"

/* sl_parse() on a heap copy of exactly @len bytes. */
static enum sl_parse_verdict
parse_exact(const uint8_t *frame, uint32_t len, struct sl_pkt *pkt)
{
	uint8_t *copy = malloc(len ? len : 1);
	ck_assert_ptr_nonnull(copy);
	memcpy(copy, frame, len);
	enum sl_parse_verdict v = sl_parse(len ? copy : copy + 1, len, pkt);
	free(copy);
	return v;
}

static inline void
put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void
set_addrs(struct sl_pb_spec *s, const char *src, const char *dst)
{
	uint8_t f1, f2;
	ck_assert_int_eq(sl_pb_addr(src, &s->src, &f1), 0);
	ck_assert_int_eq(sl_pb_addr(dst, &s->dst, &f2), 0);
	ck_assert_int_eq(f1, f2);
	s->family = f1;
}

/* The MACs and TTL defaults of sl_pb_spec_init(), keeping what @s already sets. */
static void
fill_defaults(struct sl_pb_spec *s)
{
	struct sl_pb_spec d;
	sl_pb_spec_init(&d);
	memcpy(s->src_mac, d.src_mac, 6);
	memcpy(s->dst_mac, d.dst_mac, 6);
	if (!s->ttl)
		s->ttl = d.ttl;
}

static int
build(const struct sl_pb_spec *s, uint8_t *buf)
{
	int n = sl_pb_build(s, buf, FRAME_MAX);
	ck_assert_msg(n > 0, "sl_pb_build: %d", n);
	return n;
}

/* A plain client -> VIP packet of @family and @proto, for the malformation tests. */
static void
base_spec(struct sl_pb_spec *s, uint8_t family, uint8_t proto)
{
	sl_pb_spec_init(s);
	set_addrs(s, family == V4 ? CLIENT4 : CLIENT6, family == V4 ? VIP4 : VIP6);
	s->proto = proto;
	s->sport = 40000;
	s->dport = 80;
	s->icmp_type = family == V4 ? 8 : 128;
	s->icmp_id = 0x1234;
}

/*
 * One frame kind: how to build it, what sl_parse() must say about it, and
 * where its header boundaries are for the truncation tests.
 */
struct cut {
	uint16_t upto;		 /* a cut shorter than this frame length ... */
	enum sl_parse_verdict v; /* ... not caught by an earlier entry gives v */
};

struct pcase {
	const char *name;
	struct sl_pb_spec spec;	       /* MACs, TTL and addresses are filled in */
	struct sl_pb_spec inner;       /* ICMP errors: the quoted packet (VIP -> client) */
	uint16_t quote;		       /* bytes of it quoted (from its IP header); 0: all */
	void (*patch)(uint8_t *frame); /* what the builder cannot write */
	enum sl_parse_verdict verdict;
	uint16_t l3_off, l4_off, l3_len, flags, mtu;
	uint16_t sport, dport;		   /* host order */
	uint16_t inner_sport, inner_dport; /* host order */
	struct cut cuts[6];		   /* increasing; one per header boundary */
	enum sl_parse_verdict rest;	   /* IP length cut past the last boundary */
};

static bool
is_icmp_err_case(const struct pcase *c)
{
	return c->inner.family != 0;
}

/* Build @c into @buf; the specs actually used go to @s and @in. */
static uint32_t
build_case(const struct pcase *c, uint8_t *buf, struct sl_pb_spec *s, struct sl_pb_spec *in)
{
	static uint8_t inner_frame[FRAME_MAX];

	*s = c->spec;
	fill_defaults(s);
	memset(in, 0, sizeof(*in));
	if (is_icmp_err_case(c)) {
		*in = c->inner;
		fill_defaults(in);
		set_addrs(in, in->family == V4 ? VIP4 : VIP6, in->family == V4 ? CLIENT4 : CLIENT6);
		int n = build(in, inner_frame);
		size_t l3 = sl_pb_l3_offset(in);
		s->icmp_inner = inner_frame + l3;
		s->icmp_inner_len = (uint16_t)(c->quote ? c->quote : n - (int)l3);
		ck_assert_int_le(s->icmp_inner_len, n - (int)l3);
		set_addrs(s, s->family == V4 ? ROUTER4 : ROUTER6, s->family == V4 ? VIP4 : VIP6);
	} else if (s->family) {
		set_addrs(s, s->family == V4 ? CLIENT4 : CLIENT6, s->family == V4 ? VIP4 : VIP6);
	}
	int n = build(s, buf);
	if (c->patch)
		c->patch(buf);
	return (uint32_t)n;
}

/* What sl_parse() must write for @c, every field of it. */
static void
expected_pkt(const struct pcase *c, const struct sl_pb_spec *s, const struct sl_pb_spec *in,
	struct sl_pkt *w)
{
	bool v6 = s->family == V6;

	memset(w, 0, sizeof(*w));
	w->ethertype = s->ethertype ? s->ethertype : (v6 ? 0x86dd : 0x0800);
	w->n_vlans = s->n_vlans;
	for (int i = 0; i < s->n_vlans; i++)
		w->vlan_tci[i] = s->vlan_tci[i];
	w->l3_off = c->l3_off;
	w->l4_off = c->l4_off;
	w->l3_len = c->l3_len;
	w->flags = c->flags;
	w->icmp_mtu = c->mtu;
	if (c->verdict != SL_PARSE_OK)
		return;
	w->ttl = s->ttl;
	w->tos = s->tos;
	w->flow.family = s->family;
	w->flow.src = s->src;
	w->flow.dst = s->dst;
	w->flow.proto = s->proto;
	w->flow.sport = htons(c->sport);
	w->flow.dport = htons(c->dport);
	if (!(c->flags & F_NONF)) {
		if (s->proto == IPPROTO_TCP)
			w->tcp_flags = s->tcp_flags;
		if (s->proto == (v6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP)) {
			w->icmp_type = s->icmp_type;
			w->icmp_code = s->icmp_code;
		}
	}
	if (c->flags & F_ICMPERR) {
		w->inner.family = in->family;
		w->inner.src = in->src;
		w->inner.dst = in->dst;
		w->inner.proto = in->proto;
		w->inner.sport = htons(c->inner_sport);
		w->inner.dport = htons(c->inner_dport);
	}
}

static void
check_key(const char *name, const char *which, const struct sl_flow_key *g,
	const struct sl_flow_key *w)
{
	char gs[INET6_ADDRSTRLEN], ws[INET6_ADDRSTRLEN];
	int af = w->family == V6 ? AF_INET6 : AF_INET;

	ck_assert_msg(g->family == w->family, "%s: %s.family %u, want %u", name, which, g->family,
		w->family);
	ck_assert_msg(
		g->proto == w->proto, "%s: %s.proto %u, want %u", name, which, g->proto, w->proto);
	ck_assert_msg(memcmp(&g->src, &w->src, 16) == 0, "%s: %s.src %s, want %s", name, which,
		inet_ntop(af, &g->src, gs, sizeof(gs)), inet_ntop(af, &w->src, ws, sizeof(ws)));
	ck_assert_msg(memcmp(&g->dst, &w->dst, 16) == 0, "%s: %s.dst %s, want %s", name, which,
		inet_ntop(af, &g->dst, gs, sizeof(gs)), inet_ntop(af, &w->dst, ws, sizeof(ws)));
	ck_assert_msg(g->sport == w->sport, "%s: %s.sport %u, want %u", name, which,
		ntohs(g->sport), ntohs(w->sport));
	ck_assert_msg(g->dport == w->dport, "%s: %s.dport %u, want %u", name, which,
		ntohs(g->dport), ntohs(w->dport));
}

/* Field by field for readable failures, then the whole struct (pad bytes, the rest). */
static void
check_pkt(const char *name, const struct sl_pkt *g, const struct sl_pkt *w)
{
#define FIELD(f)                                                                                   \
	ck_assert_msg(g->f == w->f, "%s: " #f " %#x, want %#x", name, (unsigned int)g->f,          \
		(unsigned int)w->f)
	FIELD(l3_off);
	FIELD(l4_off);
	FIELD(l3_len);
	FIELD(ethertype);
	FIELD(n_vlans);
	FIELD(vlan_tci[0]);
	FIELD(vlan_tci[1]);
	FIELD(flags);
	FIELD(ttl);
	FIELD(tos);
	FIELD(tcp_flags);
	FIELD(icmp_type);
	FIELD(icmp_code);
	FIELD(icmp_mtu);
#undef FIELD
	check_key(name, "flow", &g->flow, &w->flow);
	check_key(name, "inner", &g->inner, &w->inner);
	ck_assert_msg(memcmp(g, w, sizeof(*g)) == 0, "%s: struct differs", name);
}

static void
check_case(const struct pcase *c)
{
	uint8_t buf[FRAME_MAX];
	struct sl_pb_spec s, in;
	struct sl_pkt got, want;

	uint32_t n = build_case(c, buf, &s, &in);
	enum sl_parse_verdict v = parse_exact(buf, n, &got);
	ck_assert_msg(v == c->verdict, "%s: verdict %s, want %s", c->name, sl_parse_verdict_name(v),
		sl_parse_verdict_name(c->verdict));
	expected_pkt(c, &s, &in, &want);
	check_pkt(c->name, &got, &want);
}

/*
 * The tables are laid out by hand (one case per block, related fields on one
 * line), which clang-format would spread to one field per line.
 */
/* clang-format off */
/* Header boundaries shared by many cases. */
#define CUT_ETH        {14, SL_PARSE_TRUNC_ETH}
#define CUT_IP4(end)   {(end), SL_PARSE_TRUNC_IP4}
#define CUT_IP6(end)   {(end), SL_PARSE_TRUNC_IP6}
#define CUT_VLAN(end)  {(end), SL_PARSE_TRUNC_VLAN}
#define CUT_EXT(end)   {(end), SL_PARSE_TRUNC_IP6_EXT}
#define CUT_TCP(end)   {(end), SL_PARSE_TRUNC_TCP}
#define CUT_UDP(end)   {(end), SL_PARSE_TRUNC_UDP}
#define CUT_ICMP(end)  {(end), SL_PARSE_TRUNC_ICMP}
#define CUT_INNER(end) {(end), SL_PARSE_TRUNC_ICMP_INNER}
/* IPv6 payload length 0 with hop-by-hop next: a jumbogram, rejected */
#define CUT_JUMBO(end) {(end), SL_PARSE_BAD_IP6_LEN}

static void
patch_ah(uint8_t *f)
{
	f[14 + 6] = IPPROTO_AH; /* the 8-byte dest-opts header becomes an AH of length (0+2)*4 */
}

static const struct pcase valid_cases[] = {
	{
		.name = "ipv4_tcp",
		.spec = {.family = V4, .proto = IPPROTO_TCP, .sport = 40000, .dport = 80,
			.tcp_flags = 0x02, .payload_len = 10, .ttl = 33, .tos = 0x28},
		.l3_off = 14, .l4_off = 34, .l3_len = 50, .flags = F_PORTS,
		.sport = 40000, .dport = 80,
		.cuts = {CUT_ETH, CUT_IP4(34), CUT_TCP(54)},
		.rest = SL_PARSE_OK,
	},
	{
		.name = "ipv4_tcp_options_df",
		.spec = {.family = V4, .proto = IPPROTO_TCP, .sport = 1025, .dport = 8080,
			.tcp_flags = 0x18, .tcp_opt_len = 12, .payload_len = 5, .df = true},
		.l3_off = 14, .l4_off = 34, .l3_len = 57, .flags = F_PORTS | F_DF,
		.sport = 1025, .dport = 8080,
		.cuts = {CUT_ETH, CUT_IP4(34), CUT_TCP(66)},
		.rest = SL_PARSE_OK,
	},
	{
		.name = "ipv4_udp",
		.spec = {.family = V4, .proto = IPPROTO_UDP, .sport = 5353, .dport = 53,
			.payload_len = 12, .tos = 0x04},
		.l3_off = 14, .l4_off = 34, .l3_len = 40, .flags = F_PORTS,
		.sport = 5353, .dport = 53,
		.cuts = {CUT_ETH, CUT_IP4(34), CUT_UDP(42)},
		.rest = SL_PARSE_BAD_UDP_LEN,
	},
	{
		.name = "ipv4_icmp_echo",
		.spec = {.family = V4, .proto = IPPROTO_ICMP, .icmp_type = 8, .icmp_id = 0x1234,
			.icmp_seq = 7, .payload_len = 16},
		.l3_off = 14, .l4_off = 34, .l3_len = 44, .flags = F_PORTS, .sport = 0x1234,
		.cuts = {CUT_ETH, CUT_IP4(34), CUT_ICMP(42)},
		.rest = SL_PARSE_OK,
	},
	{
		.name = "ipv4_icmp_echo_reply",
		.spec = {.family = V4, .proto = IPPROTO_ICMP, .icmp_type = 0, .icmp_id = 0xbeef,
			.icmp_seq = 9, .payload_len = 4},
		.l3_off = 14, .l4_off = 34, .l3_len = 32, .flags = F_PORTS, .sport = 0xbeef,
		.cuts = {CUT_ETH, CUT_IP4(34), CUT_ICMP(42)},
		.rest = SL_PARSE_OK,
	},
	{
		.name = "ipv4_icmp_timestamp_no_ports",
		.spec = {.family = V4, .proto = IPPROTO_ICMP, .icmp_type = 13, .icmp_id = 0x55,
			.payload_len = 12},
		.l3_off = 14, .l4_off = 34, .l3_len = 40, .flags = 0,
		.cuts = {CUT_ETH, CUT_IP4(34), CUT_ICMP(42)},
		.rest = SL_PARSE_OK,
	},
	{
		.name = "ipv4_options_tcp",
		.spec = {.family = V4, .proto = IPPROTO_TCP, .sport = 2000, .dport = 22,
			.tcp_flags = 0x10, .ip4_opt_len = 8, .payload_len = 4},
		.l3_off = 14, .l4_off = 42, .l3_len = 52, .flags = F_PORTS | F_OPTS,
		.sport = 2000, .dport = 22,
		.cuts = {CUT_ETH, CUT_IP4(42), CUT_TCP(62)},
		.rest = SL_PARSE_OK,
	},
	{
		.name = "vlan1_ipv4_tcp",
		.spec = {.family = V4, .proto = IPPROTO_TCP, .sport = 40000, .dport = 80,
			.tcp_flags = 0x01, .n_vlans = 1, .vlan_tci = {0xa064}},
		.l3_off = 18, .l4_off = 38, .l3_len = 40, .flags = F_PORTS,
		.sport = 40000, .dport = 80,
		.cuts = {CUT_ETH, CUT_VLAN(18), CUT_IP4(38), CUT_TCP(58)},
		.rest = SL_PARSE_OK,
	},
	{
		.name = "vlan2_8021ad_ipv4_udp",
		.spec = {.family = V4, .proto = IPPROTO_UDP, .sport = 4789, .dport = 4789,
			.payload_len = 3, .n_vlans = 2, .vlan_tpid = {0x88a8, 0x8100},
			.vlan_tci = {0x0123, 0xe456}},
		.l3_off = 22, .l4_off = 42, .l3_len = 31, .flags = F_PORTS,
		.sport = 4789, .dport = 4789,
		.cuts = {CUT_ETH, CUT_VLAN(18), CUT_VLAN(22), CUT_IP4(42), CUT_UDP(50)},
		.rest = SL_PARSE_BAD_UDP_LEN,
	},
	{
		.name = "vlan2_9100_ipv6_tcp",
		.spec = {.family = V6, .proto = IPPROTO_TCP, .sport = 50000, .dport = 443,
			.tcp_flags = 0x11, .n_vlans = 2, .vlan_tpid = {0x9100, 0x8100},
			.vlan_tci = {0x0fff, 0x0001}},
		.l3_off = 22, .l4_off = 62, .l3_len = 60, .flags = F_PORTS,
		.sport = 50000, .dport = 443,
		.cuts = {CUT_ETH, CUT_VLAN(18), CUT_VLAN(22), CUT_IP6(62), CUT_TCP(82)},
		.rest = SL_PARSE_OK,
	},
	{
		/* MF set, offset 0: ports are here; the UDP length may describe the whole datagram */
		.name = "ipv4_first_fragment_udp",
		.spec = {.family = V4, .proto = IPPROTO_UDP, .sport = 53, .dport = 33000,
			.mf = true, .payload_len = 32},
		.l3_off = 14, .l4_off = 34, .l3_len = 60, .flags = F_PORTS | F_FRAG,
		.sport = 53, .dport = 33000,
		.cuts = {CUT_ETH, CUT_IP4(34), CUT_UDP(42)},
		.rest = SL_PARSE_OK,
	},
	{
		/* last fragment: MF clear, offset != 0 */
		.name = "ipv4_nonfirst_fragment",
		.spec = {.family = V4, .proto = IPPROTO_UDP, .sport = 53, .dport = 33000,
			.frag_off = 185, .payload_len = 24},
		.l3_off = 14, .l4_off = 0, .l3_len = 44, .flags = F_FRAG | F_NONF,
		.cuts = {CUT_ETH, CUT_IP4(34)},
		.rest = SL_PARSE_OK,
	},
	{
		.name = "ipv4_middle_fragment_df_tcp",
		.spec = {.family = V4, .proto = IPPROTO_TCP, .frag_off = 1, .mf = true, .df = true,
			.payload_len = 8},
		.l3_off = 14, .l4_off = 0, .l3_len = 28, .flags = F_FRAG | F_NONF | F_DF,
		.cuts = {CUT_ETH, CUT_IP4(34)},
		.rest = SL_PARSE_OK,
	},
	{
		.name = "ipv4_unknown_proto_gre",
		.spec = {.family = V4, .proto = 47, .payload_len = 8},
		.l3_off = 14, .l4_off = 34, .l3_len = 28, .flags = 0,
		.cuts = {CUT_ETH, CUT_IP4(34)},
		.rest = SL_PARSE_OK,
	},
	{
		/* and the other way round; 59 means nothing in IPv4 either */
		.name = "ipv4_proto_58_is_not_icmp",
		.spec = {.family = V4, .proto = IPPROTO_ICMPV6, .icmp_type = 128},
		.l3_off = 14, .l4_off = 34, .l3_len = 28, .flags = 0, /* the builder adds 8 bytes */
		.cuts = {CUT_ETH, CUT_IP4(34)},
		.rest = SL_PARSE_OK,
	},
	{
		.name = "ipv4_proto_59",
		.spec = {.family = V4, .proto = IPPROTO_NONE, .payload_len = 4},
		.l3_off = 14, .l4_off = 34, .l3_len = 24, .flags = 0,
		.cuts = {CUT_ETH, CUT_IP4(34)},
		.rest = SL_PARSE_OK,
	},
	{
		.name = "ipv6_tcp",
		.spec = {.family = V6, .proto = IPPROTO_TCP, .sport = 40001, .dport = 443,
			.tcp_flags = 0x10, .tos = 0xb8, .flow_label = 0x12345, .payload_len = 7,
			.ttl = 45},
		.l3_off = 14, .l4_off = 54, .l3_len = 67, .flags = F_PORTS,
		.sport = 40001, .dport = 443,
		.cuts = {CUT_ETH, CUT_IP6(54), CUT_TCP(74)},
		.rest = SL_PARSE_OK,
	},
	{
		.name = "ipv6_udp",
		.spec = {.family = V6, .proto = IPPROTO_UDP, .sport = 443, .dport = 61000,
			.payload_len = 5, .tos = 0x01},
		.l3_off = 14, .l4_off = 54, .l3_len = 53, .flags = F_PORTS,
		.sport = 443, .dport = 61000,
		.cuts = {CUT_ETH, CUT_IP6(54), CUT_UDP(62)},
		.rest = SL_PARSE_BAD_UDP_LEN,
	},
	{
		.name = "ipv6_icmp_echo",
		.spec = {.family = V6, .proto = IPPROTO_ICMPV6, .icmp_type = 128, .icmp_id = 0x4242,
			.payload_len = 8},
		.l3_off = 14, .l4_off = 54, .l3_len = 56, .flags = F_PORTS, .sport = 0x4242,
		.cuts = {CUT_ETH, CUT_IP6(54), CUT_ICMP(62)},
		.rest = SL_PARSE_OK,
	},
	{
		.name = "ipv6_icmp_echo_reply",
		.spec = {.family = V6, .proto = IPPROTO_ICMPV6, .icmp_type = 129, .icmp_id = 1},
		.l3_off = 14, .l4_off = 54, .l3_len = 48, .flags = F_PORTS, .sport = 1,
		.cuts = {CUT_ETH, CUT_IP6(54), CUT_ICMP(62)},
		.rest = SL_PARSE_OK,
	},
	{
		.name = "ipv6_neighbor_solicit_no_ports",
		.spec = {.family = V6, .proto = IPPROTO_ICMPV6, .icmp_type = 135, .payload_len = 16,
			.ttl = 255},
		.l3_off = 14, .l4_off = 54, .l3_len = 64, .flags = 0,
		.cuts = {CUT_ETH, CUT_IP6(54), CUT_ICMP(62)},
		.rest = SL_PARSE_OK,
	},
	{
		.name = "ipv6_hbh_routing_dstopts_tcp",
		.spec = {.family = V6, .proto = IPPROTO_TCP, .sport = 40002, .dport = 80,
			.tcp_flags = 0x02, .n_ext = 3, .ext_types = {0, 43, 60}},
		.l3_off = 14, .l4_off = 78, .l3_len = 84, .flags = F_PORTS | F_EXT,
		.sport = 40002, .dport = 80,
		.cuts = {CUT_ETH, CUT_IP6(54), CUT_JUMBO(55), CUT_EXT(78), CUT_TCP(98)},
		.rest = SL_PARSE_OK,
	},
	{
		.name = "ipv6_dstopts_routing_udp",
		.spec = {.family = V6, .proto = IPPROTO_UDP, .sport = 7, .dport = 9, .n_ext = 2,
			.ext_types = {60, 43}, .payload_len = 2},
		.l3_off = 14, .l4_off = 70, .l3_len = 66, .flags = F_PORTS | F_EXT,
		.sport = 7, .dport = 9,
		.cuts = {CUT_ETH, CUT_IP6(54), CUT_EXT(70), CUT_UDP(78)},
		.rest = SL_PARSE_BAD_UDP_LEN,
	},
	{
		.name = "ipv6_ah_tcp",
		.spec = {.family = V6, .proto = IPPROTO_TCP, .sport = 500, .dport = 4500,
			.tcp_flags = 0x04, .n_ext = 1, .ext_types = {60}},
		.patch = patch_ah,
		.l3_off = 14, .l4_off = 62, .l3_len = 68, .flags = F_PORTS | F_EXT,
		.sport = 500, .dport = 4500,
		.cuts = {CUT_ETH, CUT_IP6(54), CUT_EXT(62), CUT_TCP(82)},
		.rest = SL_PARSE_OK,
	},
	{
		.name = "ipv6_first_fragment_udp",
		.spec = {.family = V6, .proto = IPPROTO_UDP, .sport = 53, .dport = 33001,
			.v6_frag = true, .mf = true, .payload_len = 16},
		.l3_off = 14, .l4_off = 62, .l3_len = 72, .flags = F_PORTS | F_EXT | F_FRAG,
		.sport = 53, .dport = 33001,
		.cuts = {CUT_ETH, CUT_IP6(54), CUT_EXT(62), CUT_UDP(70)},
		.rest = SL_PARSE_OK,
	},
	{
		.name = "ipv6_nonfirst_fragment",
		.spec = {.family = V6, .proto = IPPROTO_TCP, .v6_frag = true, .frag_off = 200,
			.mf = true, .payload_len = 40},
		.l3_off = 14, .l4_off = 0, .l3_len = 88, .flags = F_EXT | F_FRAG | F_NONF,
		.cuts = {CUT_ETH, CUT_IP6(54), CUT_EXT(62)},
		.rest = SL_PARSE_OK,
	},
	{
		.name = "ipv6_hbh_then_fragment_tcp",
		.spec = {.family = V6, .proto = IPPROTO_TCP, .sport = 1, .dport = 2, .n_ext = 1,
			.ext_types = {0}, .v6_frag = true, .mf = true},
		.l3_off = 14, .l4_off = 70, .l3_len = 76, .flags = F_PORTS | F_EXT | F_FRAG,
		.sport = 1, .dport = 2,
		.cuts = {CUT_ETH, CUT_IP6(54), CUT_JUMBO(55), CUT_EXT(70), CUT_TCP(90)},
		.rest = SL_PARSE_OK,
	},
	{
		.name = "ipv6_unknown_proto_sctp",
		.spec = {.family = V6, .proto = 132, .payload_len = 12},
		.l3_off = 14, .l4_off = 54, .l3_len = 52, .flags = 0,
		.cuts = {CUT_ETH, CUT_IP6(54)},
		.rest = SL_PARSE_OK,
	},
	{
		/* ICMPv4's protocol number inside IPv6 is not ICMPv6: unknown, no ports */
		.name = "ipv6_proto_1_is_not_icmpv6",
		.spec = {.family = V6, .proto = IPPROTO_ICMP, .icmp_type = 8, .payload_len = 8},
		.l3_off = 14, .l4_off = 54, .l3_len = 56, .flags = 0, /* the builder adds 8 bytes */
		.cuts = {CUT_ETH, CUT_IP6(54)},
		.rest = SL_PARSE_OK,
	},
	{
		.name = "ipv6_no_next_header",
		.spec = {.family = V6, .proto = IPPROTO_NONE},
		.l3_off = 14, .l4_off = 0, .l3_len = 40, .flags = 0,
		.cuts = {CUT_ETH, CUT_IP6(54)},
		.rest = SL_PARSE_OK,
	},
	{
		.name = "ipv6_dstopts_no_next_header",
		.spec = {.family = V6, .proto = IPPROTO_NONE, .n_ext = 1, .ext_types = {60}},
		.l3_off = 14, .l4_off = 0, .l3_len = 48, .flags = F_EXT,
		.cuts = {CUT_ETH, CUT_IP6(54), CUT_EXT(62)},
		.rest = SL_PARSE_OK,
	},
	{
		.name = "arp",
		.spec = {.ethertype = 0x0806, .payload_len = 28},
		.verdict = SL_PARSE_NOT_IP,
		.l3_off = 14,
		.cuts = {CUT_ETH},
	},
	{
		.name = "vlan1_arp",
		.spec = {.ethertype = 0x0806, .payload_len = 28, .n_vlans = 1, .vlan_tci = {42}},
		.verdict = SL_PARSE_NOT_IP,
		.l3_off = 18,
		.cuts = {CUT_ETH, CUT_VLAN(18)},
	},
};

/*
 * ICMP errors from a router to the VIP about a packet the VIP sent to a
 * client: outer ROUTER -> VIP, inner VIP -> CLIENT.
 */
static const struct pcase icmp_cases[] = {
	{
		.name = "icmp4_frag_needed_tcp",
		.spec = {.family = V4, .proto = IPPROTO_ICMP, .icmp_type = 3, .icmp_code = 4,
			.icmp_mtu = 1400, .ttl = 250},
		.inner = {.family = V4, .proto = IPPROTO_TCP, .sport = 80, .dport = 40000,
			.tcp_flags = 0x18, .payload_len = 100, .df = true},
		.quote = 28, /* RFC 792: the IP header and 8 bytes */
		.l3_off = 14, .l4_off = 34, .l3_len = 56, .flags = F_ICMPERR | F_INNERP,
		.mtu = 1400, .inner_sport = 80, .inner_dport = 40000,
		.cuts = {CUT_ETH, CUT_IP4(34), CUT_ICMP(42), CUT_INNER(62)},
		.rest = SL_PARSE_OK,
	},
	{
		.name = "icmp4_time_exceeded_udp",
		.spec = {.family = V4, .proto = IPPROTO_ICMP, .icmp_type = 11, .icmp_code = 0},
		.inner = {.family = V4, .proto = IPPROTO_UDP, .sport = 53, .dport = 5353,
			.payload_len = 20, .ttl = 1},
		.l3_off = 14, .l4_off = 34, .l3_len = 76, .flags = F_ICMPERR | F_INNERP,
		.inner_sport = 53, .inner_dport = 5353,
		.cuts = {CUT_ETH, CUT_IP4(34), CUT_ICMP(42), CUT_INNER(62)},
		.rest = SL_PARSE_OK,
	},
	{
		.name = "icmp4_time_exceeded_echo",
		.spec = {.family = V4, .proto = IPPROTO_ICMP, .icmp_type = 11, .icmp_code = 1},
		.inner = {.family = V4, .proto = IPPROTO_ICMP, .icmp_type = 8, .icmp_id = 0x7777,
			.icmp_seq = 1, .payload_len = 8},
		.quote = 28,
		.l3_off = 14, .l4_off = 34, .l3_len = 56, .flags = F_ICMPERR | F_INNERP,
		.inner_sport = 0x7777,
		.cuts = {CUT_ETH, CUT_IP4(34), CUT_ICMP(42), CUT_INNER(62)},
		.rest = SL_PARSE_OK,
	},
	{
		.name = "icmp4_param_problem_inner_options",
		.spec = {.family = V4, .proto = IPPROTO_ICMP, .icmp_type = 12},
		.inner = {.family = V4, .proto = IPPROTO_TCP, .sport = 443, .dport = 40003,
			.ip4_opt_len = 4},
		.quote = 32,
		.l3_off = 14, .l4_off = 34, .l3_len = 60, .flags = F_ICMPERR | F_INNERP,
		.inner_sport = 443, .inner_dport = 40003,
		.cuts = {CUT_ETH, CUT_IP4(34), CUT_ICMP(42), CUT_INNER(66)},
		.rest = SL_PARSE_OK,
	},
	{
		/* only code 4 carries an MTU: bytes 6-7 are ignored for port unreachable */
		.name = "icmp4_port_unreachable_udp",
		.spec = {.family = V4, .proto = IPPROTO_ICMP, .icmp_type = 3, .icmp_code = 3,
			.icmp_mtu = 1234, .n_vlans = 1, .vlan_tci = {7}},
		.inner = {.family = V4, .proto = IPPROTO_UDP, .sport = 123, .dport = 123},
		.quote = 28,
		.l3_off = 18, .l4_off = 38, .l3_len = 56, .flags = F_ICMPERR | F_INNERP,
		.inner_sport = 123, .inner_dport = 123,
		.cuts = {CUT_ETH, CUT_VLAN(18), CUT_IP4(38), CUT_ICMP(46), CUT_INNER(66)},
		.rest = SL_PARSE_OK,
	},
	{
		/* the quoted packet is a non-first fragment: its flow, but no ports */
		.name = "icmp4_frag_needed_inner_nonfirst",
		.spec = {.family = V4, .proto = IPPROTO_ICMP, .icmp_type = 3, .icmp_code = 4,
			.icmp_mtu = 576},
		.inner = {.family = V4, .proto = IPPROTO_UDP, .frag_off = 10, .payload_len = 16},
		.l3_off = 14, .l4_off = 34, .l3_len = 64, .flags = F_ICMPERR, .mtu = 576,
		.cuts = {CUT_ETH, CUT_IP4(34), CUT_ICMP(42), CUT_INNER(62)},
		.rest = SL_PARSE_OK,
	},
	{
		/* redirect quotes a packet too, but is not an error we look into */
		.name = "icmp4_redirect_not_an_error",
		.spec = {.family = V4, .proto = IPPROTO_ICMP, .icmp_type = 5, .icmp_code = 1},
		.inner = {.family = V4, .proto = IPPROTO_TCP, .sport = 80, .dport = 40000},
		.quote = 28,
		.l3_off = 14, .l4_off = 34, .l3_len = 56, .flags = 0,
		.cuts = {CUT_ETH, CUT_IP4(34), CUT_ICMP(42)},
		.rest = SL_PARSE_OK,
	},
	{
		.name = "icmp6_packet_too_big_tcp",
		.spec = {.family = V6, .proto = IPPROTO_ICMPV6, .icmp_type = 2, .icmp_mtu = 1280},
		.inner = {.family = V6, .proto = IPPROTO_TCP, .sport = 443, .dport = 40001,
			.tcp_flags = 0x10, .payload_len = 50},
		.l3_off = 14, .l4_off = 54, .l3_len = 158, .flags = F_ICMPERR | F_INNERP,
		.mtu = 1280, .inner_sport = 443, .inner_dport = 40001,
		.cuts = {CUT_ETH, CUT_IP6(54), CUT_ICMP(62), CUT_INNER(102)},
		.rest = SL_PARSE_OK,
	},
	{
		.name = "icmp6_dest_unreachable_udp",
		.spec = {.family = V6, .proto = IPPROTO_ICMPV6, .icmp_type = 1, .icmp_code = 4},
		.inner = {.family = V6, .proto = IPPROTO_UDP, .sport = 53, .dport = 5353,
			.payload_len = 10},
		.l3_off = 14, .l4_off = 54, .l3_len = 106, .flags = F_ICMPERR | F_INNERP,
		.inner_sport = 53, .inner_dport = 5353,
		.cuts = {CUT_ETH, CUT_IP6(54), CUT_ICMP(62), CUT_INNER(102)},
		.rest = SL_PARSE_OK,
	},
	{
		.name = "icmp6_packet_too_big_inner_ext_tcp",
		.spec = {.family = V6, .proto = IPPROTO_ICMPV6, .icmp_type = 2, .icmp_mtu = 1400},
		.inner = {.family = V6, .proto = IPPROTO_TCP, .sport = 80, .dport = 40004,
			.n_ext = 2, .ext_types = {0, 60}},
		.l3_off = 14, .l4_off = 54, .l3_len = 124, .flags = F_ICMPERR | F_INNERP,
		.mtu = 1400, .inner_sport = 80, .inner_dport = 40004,
		.cuts = {CUT_ETH, CUT_IP6(54), CUT_ICMP(62), CUT_INNER(118)},
		.rest = SL_PARSE_OK,
	},
	{
		.name = "icmp6_time_exceeded_echo",
		.spec = {.family = V6, .proto = IPPROTO_ICMPV6, .icmp_type = 3},
		.inner = {.family = V6, .proto = IPPROTO_ICMPV6, .icmp_type = 128,
			.icmp_id = 0x5151, .payload_len = 4},
		.l3_off = 14, .l4_off = 54, .l3_len = 100, .flags = F_ICMPERR | F_INNERP,
		.inner_sport = 0x5151,
		.cuts = {CUT_ETH, CUT_IP6(54), CUT_ICMP(62), CUT_INNER(102)},
		.rest = SL_PARSE_OK,
	},
	{
		.name = "icmp6_param_problem_udp",
		.spec = {.family = V6, .proto = IPPROTO_ICMPV6, .icmp_type = 4, .icmp_code = 1},
		.inner = {.family = V6, .proto = IPPROTO_UDP, .sport = 9999, .dport = 40005,
			.payload_len = 30},
		.quote = 48,
		.l3_off = 14, .l4_off = 54, .l3_len = 96, .flags = F_ICMPERR | F_INNERP,
		.inner_sport = 9999, .inner_dport = 40005,
		.cuts = {CUT_ETH, CUT_IP6(54), CUT_ICMP(62), CUT_INNER(102)},
		.rest = SL_PARSE_OK,
	},
};
/* clang-format on */

#define N_VALID (sizeof(valid_cases) / sizeof(valid_cases[0]))
#define N_ICMP	(sizeof(icmp_cases) / sizeof(icmp_cases[0]))

START_TEST(test_valid_frames)
{
	for (size_t i = 0; i < N_VALID; i++)
		check_case(&valid_cases[i]);
}
END_TEST

START_TEST(test_icmp_errors)
{
	for (size_t i = 0; i < N_ICMP; i++)
		check_case(&icmp_cases[i]);
}
END_TEST

/* The first boundary above @len, or NULL. */
static const struct cut *
cut_for(const struct pcase *c, uint32_t len)
{
	for (size_t i = 0; i < sizeof(c->cuts) / sizeof(c->cuts[0]) && c->cuts[i].upto; i++)
		if (len < c->cuts[i].upto)
			return &c->cuts[i];
	return NULL;
}

/* End of the IP header (with IPv4 options): the TRUNC_IP4/6 boundary; 0 for non-IP. */
static uint32_t
ip_hdr_end(const struct pcase *c)
{
	for (size_t i = 0; i < sizeof(c->cuts) / sizeof(c->cuts[0]); i++)
		if (c->cuts[i].v == SL_PARSE_TRUNC_IP4 || c->cuts[i].v == SL_PARSE_TRUNC_IP6)
			return c->cuts[i].upto;
	return 0;
}

/*
 * Cutting the frame anywhere: inside the L2 or IP header, the verdict of that
 * header; past it, the IP length claims more than is there.
 */
static void
truncate_frames(const struct pcase *c)
{
	uint8_t buf[FRAME_MAX];
	struct sl_pb_spec s, in;
	struct sl_pkt pkt;
	uint32_t n = build_case(c, buf, &s, &in);
	uint32_t hdr_end = ip_hdr_end(c);

	ck_assert_msg(hdr_end || c->verdict == SL_PARSE_NOT_IP, "%s: no IP boundary", c->name);
	for (uint32_t len = 0; len < n; len++) {
		enum sl_parse_verdict want;
		const struct cut *k = cut_for(c, len);

		if (len < hdr_end || (!hdr_end && k))
			want = k->v;
		else if (!hdr_end)
			want = c->verdict;
		else
			want = s.family == V4 ? SL_PARSE_BAD_IP4_LEN : SL_PARSE_BAD_IP6_LEN;
		enum sl_parse_verdict v = parse_exact(buf, len, &pkt);
		if (v != want)
			ck_abort_msg("%s cut to %u of %u: %s, want %s", c->name, len, n,
				sl_parse_verdict_name(v), sl_parse_verdict_name(want));
	}
}

START_TEST(test_truncated_frames)
{
	for (size_t i = 0; i < N_VALID; i++)
		truncate_frames(&valid_cases[i]);
	for (size_t i = 0; i < N_ICMP; i++)
		truncate_frames(&icmp_cases[i]);
}
END_TEST

static void
set_ip_len(uint8_t *frame, const struct pcase *c, uint8_t family, uint32_t l3_len)
{
	if (family == V4)
		put16(frame + c->l3_off + 2, (uint16_t)l3_len);
	else
		put16(frame + c->l3_off + 4, (uint16_t)(l3_len - 40));
}

/*
 * Cutting the IP packet and fixing up its length field, so that the cut
 * reaches the headers past IP: each gives its own verdict. The same with the
 * cut-off bytes left in the buffer as trailing padding must say the same:
 * past the IP header, everything is bounded by the IP length, not the frame.
 */
static void
truncate_ip_packets(const struct pcase *c)
{
	uint8_t buf[FRAME_MAX], orig[FRAME_MAX];
	struct sl_pb_spec s, in;
	struct sl_pkt pkt, padded;
	uint32_t n = build_case(c, orig, &s, &in);
	uint32_t hdr_end = ip_hdr_end(c);

	if (!hdr_end)
		return;
	for (uint32_t len = hdr_end; len < n; len++) {
		const struct cut *k = cut_for(c, len);
		enum sl_parse_verdict want = k ? k->v : c->rest;

		memcpy(buf, orig, n);
		set_ip_len(buf, c, s.family, len - c->l3_off);
		enum sl_parse_verdict v = parse_exact(buf, len, &pkt);
		if (v != want)
			ck_abort_msg("%s, IP packet cut to %u of %u: %s, want %s", c->name,
				len - c->l3_off, n - c->l3_off, sl_parse_verdict_name(v),
				sl_parse_verdict_name(want));
		enum sl_parse_verdict vp = parse_exact(buf, n, &padded);
		if (vp != v || memcmp(&pkt, &padded, sizeof(pkt)) != 0)
			ck_abort_msg("%s, IP packet cut to %u with %u bytes after it: %s, want %s "
				     "and the same fields",
				c->name, len - c->l3_off, n - len, sl_parse_verdict_name(vp),
				sl_parse_verdict_name(v));
		if (v == SL_PARSE_OK && pkt.l3_len != len - c->l3_off)
			ck_abort_msg("%s cut to %u: l3_len %u", c->name, len, pkt.l3_len);
	}
}

START_TEST(test_truncated_ip_packets)
{
	for (size_t i = 0; i < N_VALID; i++)
		truncate_ip_packets(&valid_cases[i]);
	for (size_t i = 0; i < N_ICMP; i++)
		truncate_ip_packets(&icmp_cases[i]);
}
END_TEST

/* --- ICMP errors with a short or broken quote ------------------------------------------ */

/* An ICMP error (v4 frag-needed / v6 packet-too-big) quoting @quote bytes of a TCP packet. */
static uint32_t
icmp_err_frame(uint8_t family, uint16_t quote, uint8_t *buf, uint32_t *inner_off)
{
	static uint8_t inner[FRAME_MAX];
	struct sl_pb_spec is, s;

	base_spec(&is, family, IPPROTO_TCP);
	set_addrs(&is, family == V4 ? VIP4 : VIP6, family == V4 ? CLIENT4 : CLIENT6);
	is.sport = 80;
	is.dport = 40000;
	is.payload_len = 64;
	int n = build(&is, inner);
	base_spec(&s, family, family == V4 ? IPPROTO_ICMP : IPPROTO_ICMPV6);
	set_addrs(&s, family == V4 ? ROUTER4 : ROUTER6, family == V4 ? VIP4 : VIP6);
	s.icmp_type = family == V4 ? 3 : 2;
	s.icmp_code = family == V4 ? 4 : 0;
	s.icmp_mtu = 1300;
	s.icmp_inner = inner + 14;
	s.icmp_inner_len = quote;
	ck_assert_int_le(quote, n - 14);
	*inner_off = 14 + (family == V4 ? 20 : 40) + 8;
	return (uint32_t)build(&s, buf);
}

START_TEST(test_icmp_inner_header_only)
{
	static const struct {
		uint8_t family;
		uint16_t quote;
		bool ports;
	} t[] = {
		{V4, 20, false}, /* exactly the IP header */
		{V4, 23, false}, /* 3 bytes of TCP: not both ports */
		{V4, 24, true},
		{V6, 40, false},
		{V6, 43, false},
		{V6, 44, true},
	};
	uint8_t buf[FRAME_MAX];
	struct sl_pkt pkt;
	struct sl_flow_key want;
	uint32_t off;

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		uint32_t n = icmp_err_frame(t[i].family, t[i].quote, buf, &off);
		ck_assert_int_eq(parse_exact(buf, n, &pkt), SL_PARSE_OK);
		ck_assert_uint_eq(pkt.flags & (F_ICMPERR | F_INNERP),
			t[i].ports ? F_ICMPERR | F_INNERP : F_ICMPERR);
		ck_assert_uint_eq(pkt.icmp_mtu, 1300);
		memset(&want, 0, sizeof(want));
		want.family = t[i].family;
		want.proto = IPPROTO_TCP;
		uint8_t f;
		ck_assert_int_eq(sl_pb_addr(t[i].family == V4 ? VIP4 : VIP6, &want.src, &f), 0);
		ck_assert_int_eq(
			sl_pb_addr(t[i].family == V4 ? CLIENT4 : CLIENT6, &want.dst, &f), 0);
		if (t[i].ports) {
			want.sport = htons(80);
			want.dport = htons(40000);
		}
		check_key("header only", "inner", &pkt.inner, &want);
		ck_assert(sl_flow_key_eq(&pkt.inner, &want));
		/* the error's own flow: router -> VIP, ICMP, no ports */
		ck_assert_uint_eq(
			pkt.flow.proto, t[i].family == V4 ? IPPROTO_ICMP : IPPROTO_ICMPV6);
		ck_assert_uint_eq(pkt.flow.sport, 0);
		ck_assert_uint_eq(pkt.flow.dport, 0);
		ck_assert_uint_eq(pkt.flags & F_PORTS, 0);
	}
}
END_TEST

START_TEST(test_icmp_inner_truncated)
{
	uint8_t buf[FRAME_MAX];
	struct sl_pkt pkt;
	uint32_t off, n;

	/* shorter than the IP header */
	for (uint16_t q = 0; q < 20; q++) {
		n = icmp_err_frame(V4, q, buf, &off);
		ck_assert_int_eq(parse_exact(buf, n, &pkt), SL_PARSE_TRUNC_ICMP_INNER);
		ck_assert_uint_eq(pkt.flags & F_ICMPERR, 0);
	}
	for (uint16_t q = 0; q < 40; q++) {
		n = icmp_err_frame(V6, q, buf, &off);
		ck_assert_int_eq(parse_exact(buf, n, &pkt), SL_PARSE_TRUNC_ICMP_INNER);
	}
	/* a 20-byte quote whose IHL says 24: the options are missing */
	n = icmp_err_frame(V4, 20, buf, &off);
	buf[off] = 0x46;
	ck_assert_int_eq(parse_exact(buf, n, &pkt), SL_PARSE_TRUNC_ICMP_INNER);
	/* an IPv6 quote whose extension header runs past the quote */
	n = icmp_err_frame(V6, 44, buf, &off);
	buf[off + 6] = IPPROTO_DSTOPTS;
	ck_assert_int_eq(parse_exact(buf, n, &pkt), SL_PARSE_TRUNC_ICMP_INNER);
}
END_TEST

START_TEST(test_icmp_inner_bad)
{
	uint8_t buf[FRAME_MAX];
	struct sl_pkt pkt;
	uint32_t off, n;

	/* versions 6, 0, 15, 3 with IHL 5; version 4 with IHL 4, 0 */
	static const uint8_t bad_v4_first[] = {0x65, 0x05, 0xf5, 0x35, 0x44, 0x40};
	for (size_t i = 0; i < sizeof(bad_v4_first); i++) {
		n = icmp_err_frame(V4, 28, buf, &off);
		buf[off] = bad_v4_first[i];
		ck_assert_msg(parse_exact(buf, n, &pkt) == SL_PARSE_BAD_ICMP_INNER,
			"inner first byte %#x", bad_v4_first[i]);
		ck_assert_uint_eq(pkt.flags & F_ICMPERR, 0);
	}
	static const uint8_t bad_v6_first[] = {0x40, 0x00, 0xf0, 0x50};
	for (size_t i = 0; i < sizeof(bad_v6_first); i++) {
		n = icmp_err_frame(V6, 48, buf, &off);
		buf[off] = bad_v6_first[i];
		ck_assert_msg(parse_exact(buf, n, &pkt) == SL_PARSE_BAD_ICMP_INNER,
			"inner first byte %#x", bad_v6_first[i]);
	}
	/* IPv6 inner whose chain starts with a fragment header, then a second one */
	n = icmp_err_frame(V6, 64, buf, &off);
	buf[off + 6] = IPPROTO_FRAGMENT;
	memset(buf + off + 40, 0, 16);
	buf[off + 40] = IPPROTO_FRAGMENT;
	buf[off + 48] = IPPROTO_TCP;
	ck_assert_int_eq(parse_exact(buf, n, &pkt), SL_PARSE_BAD_ICMP_INNER);
	/* IPv6 inner with hop-by-hop second */
	buf[off + 6] = IPPROTO_DSTOPTS;
	buf[off + 40] = IPPROTO_HOPOPTS;
	ck_assert_int_eq(parse_exact(buf, n, &pkt), SL_PARSE_BAD_ICMP_INNER);
}
END_TEST

START_TEST(test_icmp6_mtu_clamped)
{
	static const struct {
		uint32_t wire;
		uint16_t want;
	} t[] = {{1280, 1280}, {65535, 65535}, {65536, 65535}, {70000, 65535}, {0xffffffff, 65535}};
	uint8_t buf[FRAME_MAX];
	struct sl_pkt pkt;
	uint32_t off;

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		uint32_t n = icmp_err_frame(V6, 48, buf, &off);
		uint8_t *icmp = buf + 54;
		put16(icmp + 4, (uint16_t)(t[i].wire >> 16));
		put16(icmp + 6, (uint16_t)t[i].wire);
		ck_assert_int_eq(parse_exact(buf, n, &pkt), SL_PARSE_OK);
		ck_assert_uint_eq(pkt.icmp_mtu, t[i].want);
	}
}
END_TEST

/* --- Malformed headers ------------------------------------------------------------------ */

START_TEST(test_bad_version)
{
	uint8_t buf[FRAME_MAX];
	struct sl_pb_spec s;
	struct sl_pkt pkt;

	for (unsigned int ver = 0; ver < 16; ver++) {
		base_spec(&s, V4, IPPROTO_TCP);
		uint32_t n = (uint32_t)build(&s, buf);
		buf[14] = (uint8_t)(ver << 4 | 5);
		ck_assert_int_eq(parse_exact(buf, n, &pkt),
			ver == 4 ? SL_PARSE_OK : SL_PARSE_BAD_IP4_VERSION);

		base_spec(&s, V6, IPPROTO_TCP);
		n = (uint32_t)build(&s, buf);
		buf[14] = (uint8_t)(ver << 4);
		ck_assert_int_eq(parse_exact(buf, n, &pkt),
			ver == 6 ? SL_PARSE_OK : SL_PARSE_BAD_IP6_VERSION);
	}
}
END_TEST

START_TEST(test_bad_ihl)
{
	uint8_t buf[FRAME_MAX];
	struct sl_pb_spec s;
	struct sl_pkt pkt;

	base_spec(&s, V4, IPPROTO_TCP); /* 20 + 20 bytes */
	uint32_t n = (uint32_t)build(&s, buf);
	for (uint8_t ihl = 0; ihl < 5; ihl++) {
		buf[14] = 0x40 | ihl;
		ck_assert_int_eq(parse_exact(buf, n, &pkt), SL_PARSE_BAD_IP4_IHL);
	}
	/* IHL 15 (60 bytes) in a 40-byte packet: the header cannot be there */
	buf[14] = 0x4f;
	ck_assert_int_eq(parse_exact(buf, n, &pkt), SL_PARSE_TRUNC_IP4);
	/* IHL 15 with the bytes present, but the total length (40) is below it */
	s.payload_len = 40;
	n = (uint32_t)build(&s, buf);
	buf[14] = 0x4f;
	put16(buf + 16, 40);
	ck_assert_int_eq(parse_exact(buf, n, &pkt), SL_PARSE_BAD_IP4_LEN);
}
END_TEST

START_TEST(test_bad_ip4_total_length)
{
	static const uint16_t bad[] = {0, 1, 19, 20 + 20 + 4 + 1, 1500, 65535};
	uint8_t buf[FRAME_MAX];
	struct sl_pb_spec s;
	struct sl_pkt pkt;

	base_spec(&s, V4, IPPROTO_TCP);
	s.payload_len = 4;
	uint32_t n = (uint32_t)build(&s, buf);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		put16(buf + 16, bad[i]);
		ck_assert_msg(parse_exact(buf, n, &pkt) == SL_PARSE_BAD_IP4_LEN, "total length %u",
			bad[i]);
	}
	/* with options: 24 is below a 28-byte header */
	s.ip4_opt_len = 8;
	n = (uint32_t)build(&s, buf);
	put16(buf + 16, 24);
	ck_assert_int_eq(parse_exact(buf, n, &pkt), SL_PARSE_BAD_IP4_LEN);
	put16(buf + 16, 28 + 20 + 4);
	ck_assert_int_eq(parse_exact(buf, n, &pkt), SL_PARSE_OK);
}
END_TEST

START_TEST(test_bad_ip6_payload_length)
{
	uint8_t buf[FRAME_MAX];
	struct sl_pb_spec s;
	struct sl_pkt pkt;

	base_spec(&s, V6, IPPROTO_UDP);
	s.payload_len = 4; /* payload length 12 */
	uint32_t n = (uint32_t)build(&s, buf);
	static const uint16_t bad[] = {13, 100, 65535};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		put16(buf + 18, bad[i]);
		ck_assert_msg(parse_exact(buf, n, &pkt) == SL_PARSE_BAD_IP6_LEN,
			"payload length %u", bad[i]);
	}
	/* 0 with hop-by-hop next: a jumbogram, not supported */
	base_spec(&s, V6, IPPROTO_TCP);
	s.n_ext = 1;
	s.ext_types[0] = 0;
	n = (uint32_t)build(&s, buf);
	put16(buf + 18, 0);
	ck_assert_int_eq(parse_exact(buf, n, &pkt), SL_PARSE_BAD_IP6_LEN);
	/* a payload length that stops inside the UDP header: bounded by it, not by the frame */
	base_spec(&s, V6, IPPROTO_UDP);
	n = (uint32_t)build(&s, buf);
	put16(buf + 18, 7);
	ck_assert_int_eq(parse_exact(buf, n, &pkt), SL_PARSE_TRUNC_UDP);
}
END_TEST

START_TEST(test_bad_tcp_data_offset)
{
	uint8_t buf[FRAME_MAX];
	struct sl_pb_spec s;
	struct sl_pkt pkt;

	for (int fam = 0; fam < 2; fam++) {
		uint8_t family = fam ? V6 : V4;
		uint32_t l4 = fam ? 54 : 34;

		base_spec(&s, family, IPPROTO_TCP);
		uint32_t n = (uint32_t)build(&s, buf); /* a bare 20-byte TCP header */
		for (uint8_t doff = 0; doff < 16; doff++) {
			enum sl_parse_verdict want = SL_PARSE_TRUNC_TCP; /* past the 20 bytes */
			if (doff < 5)
				want = SL_PARSE_BAD_TCP_DOFF;
			else if (doff == 5)
				want = SL_PARSE_OK;
			buf[l4 + 12] = (uint8_t)(doff << 4);
			ck_assert_msg(parse_exact(buf, n, &pkt) == want, "family %u doff %u",
				family, doff);
		}
		/* doff 6 with the 4 payload bytes as options: fine */
		s.payload_len = 4;
		n = (uint32_t)build(&s, buf);
		buf[l4 + 12] = 6 << 4;
		ck_assert_int_eq(parse_exact(buf, n, &pkt), SL_PARSE_OK);
		ck_assert_uint_eq(pkt.l4_off, l4);
		buf[l4 + 12] = 7 << 4;
		ck_assert_int_eq(parse_exact(buf, n, &pkt), SL_PARSE_TRUNC_TCP);
	}
}
END_TEST

START_TEST(test_bad_udp_length)
{
	uint8_t buf[FRAME_MAX];
	struct sl_pb_spec s;
	struct sl_pkt pkt;

	for (int fam = 0; fam < 2; fam++) {
		uint8_t family = fam ? V6 : V4;
		uint32_t l4 = fam ? 54 : 34;

		base_spec(&s, family, IPPROTO_UDP);
		s.payload_len = 10; /* UDP length 18 */
		uint32_t n = (uint32_t)build(&s, buf);
		for (uint16_t ulen = 0; ulen < 8; ulen++) {
			put16(buf + l4 + 4, ulen);
			ck_assert_int_eq(parse_exact(buf, n, &pkt), SL_PARSE_BAD_UDP_LEN);
		}
		put16(buf + l4 + 4, 19);
		ck_assert_int_eq(parse_exact(buf, n, &pkt), SL_PARSE_BAD_UDP_LEN);
		put16(buf + l4 + 4, 65535);
		ck_assert_int_eq(parse_exact(buf, n, &pkt), SL_PARSE_BAD_UDP_LEN);
		put16(buf + l4 + 4, 8); /* shorter than the IP payload: the rest is ignored */
		ck_assert_int_eq(parse_exact(buf, n, &pkt), SL_PARSE_OK);
		put16(buf + l4 + 4, 18);
		ck_assert_int_eq(parse_exact(buf, n, &pkt), SL_PARSE_OK);

		/* in a first fragment the UDP length covers the whole datagram */
		s.mf = true;
		s.v6_frag = fam;
		n = (uint32_t)build(&s, buf);
		l4 += fam ? 8 : 0;
		put16(buf + l4 + 4, 1480);
		ck_assert_int_eq(parse_exact(buf, n, &pkt), SL_PARSE_OK);
		ck_assert_uint_eq(pkt.flags & (F_FRAG | F_PORTS), F_FRAG | F_PORTS);
		put16(buf + l4 + 4, 7); /* but never below its own header */
		ck_assert_int_eq(parse_exact(buf, n, &pkt), SL_PARSE_BAD_UDP_LEN);
	}
}
END_TEST

START_TEST(test_too_many_vlans)
{
	static const uint16_t tpids[][3] = {
		{0x8100, 0x8100, 0x8100},
		{0x88a8, 0x8100, 0x8100},
		{0x9100, 0x88a8, 0x9100},
	};
	uint8_t buf[FRAME_MAX];
	struct sl_pb_spec s;
	struct sl_pkt pkt;

	for (size_t i = 0; i < sizeof(tpids) / sizeof(tpids[0]); i++) {
		for (uint8_t nv = 3; nv <= 4; nv++) {
			base_spec(&s, V4, IPPROTO_TCP);
			s.n_vlans = nv;
			for (int t = 0; t < nv; t++) {
				s.vlan_tpid[t] = tpids[i][t < 3 ? t : 0];
				s.vlan_tci[t] = (uint16_t)(100 + t);
			}
			uint32_t n = (uint32_t)build(&s, buf);
			ck_assert_int_eq(parse_exact(buf, n, &pkt), SL_PARSE_TOO_MANY_VLANS);
			ck_assert_uint_eq(pkt.n_vlans, 2);
			ck_assert_uint_eq(pkt.vlan_tci[0], 100);
			ck_assert_uint_eq(pkt.vlan_tci[1], 101);
			ck_assert_uint_eq(pkt.ethertype, tpids[i][2]);
			/* the third TPID alone is enough to refuse: no need for its TCI */
			ck_assert_int_eq(parse_exact(buf, 22, &pkt), SL_PARSE_TOO_MANY_VLANS);
		}
	}
	/* an ethertype that only looks like a tag (MPLS) behind two tags: not IP */
	base_spec(&s, V4, IPPROTO_TCP);
	s.n_vlans = 2;
	s.ethertype = 0x8847;
	s.payload_len = 20;
	uint32_t n = (uint32_t)build(&s, buf);
	ck_assert_int_eq(parse_exact(buf, n, &pkt), SL_PARSE_NOT_IP);
	ck_assert_uint_eq(pkt.ethertype, 0x8847);
	ck_assert_uint_eq(pkt.l3_off, 22);
}
END_TEST

/* --- IPv6 extension chains -------------------------------------------------------------- */

static enum sl_parse_verdict
parse_ext_chain(const uint8_t *types, uint8_t n_ext, bool frag, struct sl_pkt *pkt)
{
	uint8_t buf[FRAME_MAX];
	struct sl_pb_spec s;

	base_spec(&s, V6, IPPROTO_TCP);
	s.n_ext = n_ext;
	memcpy(s.ext_types, types, n_ext);
	s.v6_frag = frag;
	uint32_t n = (uint32_t)build(&s, buf);
	return parse_exact(buf, n, pkt);
}

START_TEST(test_ip6_ext_too_long)
{
	static const uint8_t dst[SL_PB_MAX_EXT] = {60, 60, 60, 60, 60, 60, 60, 60, 60, 60, 60, 60};
	static const uint8_t mix[SL_PB_MAX_EXT] = {0, 43, 60, 51, 60, 43, 60, 43, 60, 60, 43, 43};
	struct sl_pkt pkt;

	/* exactly SL_PARSE_MAX_IP6_EXT is fine */
	ck_assert_int_eq(parse_ext_chain(dst, SL_PARSE_MAX_IP6_EXT, false, &pkt), SL_PARSE_OK);
	ck_assert_uint_eq(pkt.l4_off, 54 + 8 * SL_PARSE_MAX_IP6_EXT);
	ck_assert_uint_eq(pkt.flow.dport, htons(80));
	ck_assert_int_eq(parse_ext_chain(dst, SL_PARSE_MAX_IP6_EXT - 1, true, &pkt), SL_PARSE_OK);
	ck_assert_uint_eq(pkt.flags, F_PORTS | F_EXT | F_FRAG);
	/* one more is not */
	ck_assert_int_eq(parse_ext_chain(dst, SL_PARSE_MAX_IP6_EXT + 1, false, &pkt),
		SL_PARSE_IP6_EXT_TOO_LONG);
	ck_assert_int_eq(
		parse_ext_chain(dst, SL_PARSE_MAX_IP6_EXT, true, &pkt), SL_PARSE_IP6_EXT_TOO_LONG);
	ck_assert_int_eq(
		parse_ext_chain(dst, SL_PB_MAX_EXT, true, &pkt), SL_PARSE_IP6_EXT_TOO_LONG);
	/* a mixed chain (the builder's 8-byte "51" is a valid 8-byte AH) */
	ck_assert_int_eq(parse_ext_chain(mix, SL_PARSE_MAX_IP6_EXT, false, &pkt), SL_PARSE_OK);
	ck_assert_int_eq(parse_ext_chain(mix, SL_PARSE_MAX_IP6_EXT + 1, false, &pkt),
		SL_PARSE_IP6_EXT_TOO_LONG);
}
END_TEST

START_TEST(test_ip6_hbh_not_first)
{
	static const uint8_t chains[][3] = {{60, 0, 0}, {0, 0, 0}, {43, 60, 0}};
	static const uint8_t lens[] = {2, 2, 3};
	struct sl_pkt pkt;

	for (size_t i = 0; i < sizeof(lens); i++)
		ck_assert_int_eq(
			parse_ext_chain(chains[i], lens[i], false, &pkt), SL_PARSE_BAD_IP6_EXT);
	/* hop-by-hop first is fine */
	ck_assert_int_eq(parse_ext_chain(chains[2] + 2, 1, false, &pkt), SL_PARSE_OK);
}
END_TEST

START_TEST(test_ip6_two_fragment_headers)
{
	static const uint8_t one_frag[] = {44};
	static const uint8_t two_frag[] = {44, 60, 44};
	struct sl_pkt pkt;

	/* the builder's ext type 44 is an atomic fragment header (offset 0, M 0) */
	ck_assert_int_eq(parse_ext_chain(one_frag, 1, false, &pkt), SL_PARSE_OK);
	ck_assert_uint_eq(pkt.flags, F_PORTS | F_EXT | F_FRAG);
	ck_assert_int_eq(parse_ext_chain(one_frag, 1, true, &pkt), SL_PARSE_BAD_IP6_EXT);
	ck_assert_int_eq(parse_ext_chain(two_frag, 3, false, &pkt), SL_PARSE_BAD_IP6_EXT);
}
END_TEST

START_TEST(test_ip6_ext_past_end)
{
	uint8_t buf[FRAME_MAX];
	struct sl_pb_spec s;
	struct sl_pkt pkt;
	uint32_t n;

	/* dest opts claiming 32, 2048 bytes; AH claiming 1028: past the frame */
	static const struct {
		uint8_t type, hdrlen;
	} t[] = {{60, 3}, {60, 255}, {43, 3}, {51, 255}, {0, 8}};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		base_spec(&s, V6, IPPROTO_TCP);
		s.n_ext = 1;
		s.ext_types[0] = t[i].type == 51 ? 60 : t[i].type;
		n = (uint32_t)build(&s, buf);
		buf[14 + 6] = t[i].type;
		buf[54 + 1] = t[i].hdrlen;
		ck_assert_msg(parse_exact(buf, n, &pkt) == SL_PARSE_TRUNC_IP6_EXT, "type %u len %u",
			t[i].type, t[i].hdrlen);
	}
	/* past the payload length, though within the frame: still cut short */
	base_spec(&s, V6, IPPROTO_TCP);
	s.n_ext = 1;
	s.ext_types[0] = 60;
	s.payload_len = 64;
	n = (uint32_t)build(&s, buf);
	buf[54 + 1] = 2; /* 24 bytes */
	put16(buf + 18, 16);
	ck_assert_int_eq(parse_exact(buf, n, &pkt), SL_PARSE_TRUNC_IP6_EXT);
	put16(buf + 18, 24 + 20); /* and with enough payload length: TCP at 78 */
	buf[78 + 12] = 5 << 4;
	ck_assert_int_eq(parse_exact(buf, n, &pkt), SL_PARSE_OK);
	ck_assert_uint_eq(pkt.l4_off, 78);
	/* a fragment header with 4 bytes of payload length left */
	base_spec(&s, V6, IPPROTO_TCP);
	s.v6_frag = true;
	n = (uint32_t)build(&s, buf);
	put16(buf + 18, 4);
	ck_assert_int_eq(parse_exact(buf, n, &pkt), SL_PARSE_TRUNC_IP6_EXT);
}
END_TEST

/* A chain of @n copies of extension header @type (each 8 bytes, pointing at the next). */
static uint32_t
repeated_chain(uint8_t type, unsigned int n, uint8_t *buf)
{
	struct sl_pb_spec s;

	base_spec(&s, V6, IPPROTO_NONE);
	s.payload_len = (uint16_t)(8 * n);
	uint32_t len = (uint32_t)build(&s, buf);
	buf[14 + 6] = type;
	for (unsigned int i = 0; i < n; i++) {
		uint8_t *e = buf + 54 + 8 * i;
		memset(e, 0, 8);
		e[0] = i + 1 < n ? type : IPPROTO_NONE;
		if (type == IPPROTO_FRAGMENT)
			continue;
		if (type == IPPROTO_AH)
			e[1] = 0; /* (0 + 2) * 4 = 8 */
		else
			memcpy(e + 2, (const uint8_t[]){1, 4}, 2); /* PadN */
	}
	return len;
}

START_TEST(test_ip6_ext_loop)
{
	static const struct {
		uint8_t type;
		enum sl_parse_verdict v;
	} t[] = {
		{IPPROTO_DSTOPTS, SL_PARSE_IP6_EXT_TOO_LONG},
		{IPPROTO_ROUTING, SL_PARSE_IP6_EXT_TOO_LONG},
		{IPPROTO_AH, SL_PARSE_IP6_EXT_TOO_LONG},
		{IPPROTO_HOPOPTS, SL_PARSE_BAD_IP6_EXT},
		{IPPROTO_FRAGMENT, SL_PARSE_BAD_IP6_EXT},
	};
	uint8_t buf[FRAME_MAX];
	struct sl_pkt pkt;

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		for (unsigned int n = 20; n <= 200; n += 180) {
			uint32_t len = repeated_chain(t[i].type, n, buf);
			enum sl_parse_verdict v = parse_exact(buf, len, &pkt);
			ck_assert_msg(
				v == t[i].v, "%u x %u: %s", n, t[i].type, sl_parse_verdict_name(v));
		}
	}
	/* the same chains within the bound are walked to the end */
	for (size_t i = 0; i < 3; i++) {
		uint32_t len = repeated_chain(t[i].type, SL_PARSE_MAX_IP6_EXT, buf);
		ck_assert_int_eq(parse_exact(buf, len, &pkt), SL_PARSE_OK);
		ck_assert_uint_eq(pkt.flow.proto, IPPROTO_NONE);
		ck_assert_uint_eq(pkt.l4_off, 0);
	}
}
END_TEST

/* --- Link layer ------------------------------------------------------------------------- */

START_TEST(test_ethernet_padding)
{
	static const struct {
		uint8_t family, proto;
		uint16_t l3_len;
	} t[] = {
		{V4, IPPROTO_UDP, 28},
		{V4, IPPROTO_TCP, 40},
		{V4, IPPROTO_ICMP, 28},
		{V6, IPPROTO_NONE, 40},
	};
	uint8_t buf[FRAME_MAX];
	struct sl_pb_spec s;
	struct sl_pkt bare, padded;

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		base_spec(&s, t[i].family, t[i].proto);
		uint32_t n = (uint32_t)build(&s, buf);
		ck_assert_uint_lt(n, 60);
		memset(buf + n, 0xee, 60 - n); /* padding need not be zeros */
		ck_assert_int_eq(parse_exact(buf, n, &bare), SL_PARSE_OK);
		ck_assert_int_eq(parse_exact(buf, 60, &padded), SL_PARSE_OK);
		ck_assert_uint_eq(padded.l3_len, t[i].l3_len);
		ck_assert_mem_eq(&bare, &padded, sizeof(bare));
	}
}
END_TEST

/* sl_parse() (fast path and all) and sl_parse_general() on an exact heap copy agree. */
static void
assert_paths_agree(const uint8_t *frame, uint32_t len, const char *what, int value)
{
	uint8_t *copy = malloc(len ? len : 1);
	struct sl_pkt fast, general;

	ck_assert_ptr_nonnull(copy);
	memcpy(copy, frame, len);
	/* different garbage underneath, so a byte either path leaves unwritten shows */
	memset(&fast, 0xa5, sizeof(fast));
	memset(&general, 0x5a, sizeof(general));
	enum sl_parse_verdict vf = sl_parse(copy, len, &fast);
	enum sl_parse_verdict vg = sl_parse_general(copy, len, &general);
	free(copy);
	if (vf != vg)
		ck_abort_msg("%s %#x, %u bytes: sl_parse %s, general %s", what, value, len,
			sl_parse_verdict_name(vf), sl_parse_verdict_name(vg));
	if (memcmp(&fast, &general, sizeof(fast)) != 0)
		ck_abort_msg(
			"%s %#x, %u bytes: sl_parse wrote another struct than the general path",
			what, value, len);
}

/* Every prefix of @frame, the whole of it, and it with Ethernet padding. */
static void
assert_paths_agree_cuts(const uint8_t *frame, uint32_t n, const char *what, int value)
{
	uint8_t padded[FRAME_MAX];

	for (uint32_t len = 0; len <= n; len++)
		assert_paths_agree(frame, len, what, value);
	memcpy(padded, frame, n);
	memset(padded + n, 0xee, 16);
	assert_paths_agree(padded, n + 16, what, value);
}

/*
 * The fast path (untagged IPv4 without options or IPv6 without extension
 * headers, then TCP or UDP) against the general path: the same verdict and
 * the same bytes in the struct for frames on each side of every check the
 * fast path makes, each cut at every length.
 */
START_TEST(test_fast_path_equals_general)
{
	static const struct {
		uint8_t family, proto;
	} base[] = {{V4, IPPROTO_TCP}, {V4, IPPROTO_UDP}, {V6, IPPROTO_TCP}, {V6, IPPROTO_UDP},
		{V4, IPPROTO_ICMP}, {V6, IPPROTO_ICMPV6}};
	static const uint16_t types[] = {0x0800, 0x86dd, 0x8100, 0x88a8, 0x0806, 0x0000};
	static const uint8_t ver4[] = {0x45, 0x44, 0x46, 0x4f, 0x55, 0x65, 0x05};
	static const uint8_t ver6[] = {0x60, 0x6b, 0x6f, 0x40, 0x70, 0x45};
	static const uint16_t frags[] = {0, 0x4000, 0x2000, 0x0001, 0x8000, 0x6000, 0x1fff, 0xffff};
	static const uint8_t protos[] = {IPPROTO_TCP, IPPROTO_UDP, IPPROTO_ICMP, IPPROTO_ICMPV6, 0,
		IPPROTO_ROUTING, IPPROTO_FRAGMENT, IPPROTO_NONE, 200};
	static const uint8_t doffs[] = {0x00, 0x40, 0x50, 0x60, 0x70, 0xf0, 0x5f};
	uint8_t buf[FRAME_MAX], m[FRAME_MAX];
	struct sl_pb_spec s;

	for (size_t b = 0; b < sizeof(base) / sizeof(base[0]); b++) {
		for (int df = 0; df < 2; df++) {
			base_spec(&s, base[b].family, base[b].proto);
			s.df = df && base[b].family == V4;
			s.tos = df ? 0xb9 : 0;
			s.tcp_flags = df ? 0x18 : 0x02;
			s.payload_len = df ? 11 : 0;
			uint32_t n = (uint32_t)build(&s, buf);
			const bool v4 = base[b].family == V4;
			const uint32_t ip = 14, l4 = v4 ? 34 : 54;
			const uint32_t l3_len = n - ip;

			assert_paths_agree_cuts(buf, n, "unchanged", 0);
			for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
				memcpy(m, buf, n);
				put16(m + 12, types[i]);
				assert_paths_agree_cuts(m, n, "ethertype", types[i]);
			}
			const uint8_t *vers = v4 ? ver4 : ver6;
			size_t n_vers = v4 ? sizeof(ver4) : sizeof(ver6);
			for (size_t i = 0; i < n_vers; i++) {
				memcpy(m, buf, n);
				m[ip] = (uint8_t)(vers[i] | (v4 ? 0 : (m[ip] & 0x0f)));
				assert_paths_agree_cuts(m, n, "version byte", vers[i]);
			}
			/* IPv4 total length / IPv6 payload length around every bound */
			const uint32_t lens[] = {0, 1, 7, 8, 19, 20, 27, 28, 39, 40, 47, 48, 59, 60,
				l3_len - 41, l3_len - 40, l3_len - 21, l3_len - 20, l3_len - 1,
				l3_len, l3_len + 1, 0xffd7, 0xffd8, 0xffff};
			for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
				memcpy(m, buf, n);
				put16(m + ip + (v4 ? 2 : 4), (uint16_t)lens[i]);
				assert_paths_agree_cuts(m, n, "IP length", (int)lens[i]);
			}
			for (size_t i = 0; v4 && i < sizeof(frags) / sizeof(frags[0]); i++) {
				memcpy(m, buf, n);
				put16(m + ip + 6, frags[i]);
				assert_paths_agree_cuts(m, n, "fragment word", frags[i]);
			}
			for (size_t i = 0; i < sizeof(protos); i++) {
				memcpy(m, buf, n);
				m[ip + (v4 ? 9 : 6)] = protos[i];
				assert_paths_agree_cuts(m, n, "protocol", protos[i]);
			}
			for (size_t i = 0; i < sizeof(doffs); i++) {
				memcpy(m, buf, n);
				if (n > l4 + 12)
					m[l4 + 12] = doffs[i];
				assert_paths_agree_cuts(m, n, "TCP data offset byte", doffs[i]);
			}
			const uint32_t ulens[] = {0, 7, 8, 9, l3_len - (v4 ? 20 : 40),
				l3_len - (v4 ? 19 : 39), 0xffff};
			for (size_t i = 0; i < sizeof(ulens) / sizeof(ulens[0]); i++) {
				memcpy(m, buf, n);
				if (n > l4 + 5)
					put16(m + l4 + 4, (uint16_t)ulens[i]);
				assert_paths_agree_cuts(m, n, "UDP length", (int)ulens[i]);
			}
		}
	}
}
END_TEST

START_TEST(test_verdict_names)
{
	for (int v = 0; v < SL_PARSE_VERDICT_MAX; v++) {
		const char *name = sl_parse_verdict_name(v);
		ck_assert_ptr_nonnull(name);
		ck_assert_str_ne(name, "unknown");
		ck_assert_uint_gt(strlen(name), 0);
		ck_assert_msg(strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789_") == strlen(name),
			"verdict %d: '%s' is not snake_case", v, name);
		for (int w = 0; w < v; w++)
			ck_assert_str_ne(name, sl_parse_verdict_name(w));
	}
	ck_assert_str_eq(sl_parse_verdict_name(SL_PARSE_OK), "ok");
	ck_assert_str_eq(sl_parse_verdict_name(SL_PARSE_NOT_IP), "not_ip");
	ck_assert_str_eq(sl_parse_verdict_name(SL_PARSE_TRUNC_ETH), "trunc_eth");
	ck_assert_str_eq(sl_parse_verdict_name(SL_PARSE_BAD_ICMP_INNER), "bad_icmp_inner");
	ck_assert_str_eq(sl_parse_verdict_name(SL_PARSE_VERDICT_MAX), "unknown");
	ck_assert_str_eq(sl_parse_verdict_name((enum sl_parse_verdict) - 1), "unknown");
	ck_assert_str_eq(sl_parse_verdict_name((enum sl_parse_verdict)1000), "unknown");
}
END_TEST

static Suite *
parse_suite(void)
{
	Suite *s = suite_create("parse");
	SL_TCASE(s, test_valid_frames);
	SL_TCASE(s, test_fast_path_equals_general);
	SL_TCASE(s, test_icmp_errors);
	SL_TCASE(s, test_truncated_frames);
	SL_TCASE(s, test_truncated_ip_packets);
	SL_TCASE(s, test_icmp_inner_header_only);
	SL_TCASE(s, test_icmp_inner_truncated);
	SL_TCASE(s, test_icmp_inner_bad);
	SL_TCASE(s, test_icmp6_mtu_clamped);
	SL_TCASE(s, test_bad_version);
	SL_TCASE(s, test_bad_ihl);
	SL_TCASE(s, test_bad_ip4_total_length);
	SL_TCASE(s, test_bad_ip6_payload_length);
	SL_TCASE(s, test_bad_tcp_data_offset);
	SL_TCASE(s, test_bad_udp_length);
	SL_TCASE(s, test_too_many_vlans);
	SL_TCASE(s, test_ip6_ext_too_long);
	SL_TCASE(s, test_ip6_hbh_not_first);
	SL_TCASE(s, test_ip6_two_fragment_headers);
	SL_TCASE(s, test_ip6_ext_past_end);
	SL_TCASE(s, test_ip6_ext_loop);
	SL_TCASE(s, test_ethernet_padding);
	SL_TCASE(s, test_verdict_names);
	return s;
}

SL_TEST_MAIN(parse_suite)
