/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The backend decap XDP program (bpf/xdp_decap.bpf.c) as a table of
 * fixtures: {name, input frame (an inner packet, optionally wrapped in an
 * outer header), map and rodata setup, expected action, expected counter,
 * expected output frame}, each run through BPF_PROG_TEST_RUN on a freshly
 * loaded skeleton. A decapsulated frame must equal, byte for byte, the inner
 * frame the test started from (Ethernet header with the inner ethertype,
 * then the inner IP packet); any other frame must come out unchanged.
 */
#include <arpa/inet.h>
#include <netinet/in.h>

#include "encap.h"
#include "parse.h"
#include "test-common.h"
#include "xdp-test.h"
#include "xdp_decap.skel.h"

struct poke {
	uint16_t off; /* 0: none */
	uint8_t val;
};

struct decap_fixture {
	const char *name;
	const char *outer_src, *outer_dst; /* NULL: the inner frame goes in as is */
	const char *inner_src, *inner_dst; /* NULL: a non-IP inner frame (pb.ethertype) */
	struct sl_pb_spec pb;		   /* the inner packet */
	uint8_t outer_proto;		   /* 0: 4 or 41, by the inner family */
	uint8_t outer_opt_len;		   /* outer IPv4 options */
	bool outer_mf;			   /* outer IPv4 "more fragments" */
	bool outer_ext;			   /* outer IPv6: a destination-options header first */
	bool bad_csum;			   /* outer IPv4 checksum wrong */
	bool vlan;			   /* one 802.1Q tag before the outer header */
	uint16_t cut;			   /* keep only the first @cut bytes (0: all) */
	bool fix_len;			   /* after the cut, outer length fields agree with it */
	uint16_t pad;			   /* bytes of link-layer padding appended */
	struct poke poke;		   /* then set one byte */
	uint32_t filter;		   /* rodata sl_decap_filter */
	const char *allowed;		   /* outer destination put into sl_decap_dsts */
	uint32_t want_action;
	enum sl_decap_stat want_stat;
	bool want_decap; /* output = inner frame (+ padding); otherwise output = input */
};

#define TCP(sp, dp)	.proto = IPPROTO_TCP, .sport = (sp), .dport = (dp), .payload_len = 32
#define UDP(sp, dp)	.proto = IPPROTO_UDP, .sport = (sp), .dport = (dp), .payload_len = 17
#define OPENED		.want_action = XDP_PASS, .want_stat = SL_DECAP_OK, .want_decap = true
#define UNCHANGED(stat) .want_action = XDP_PASS, .want_stat = (stat), .want_decap = false

/* Outer: the load balancer -> this backend. Inner: a client -> the VIP. */
#define LB4	 "203.0.113.5"
#define BE4	 "198.51.100.20"
#define LB6	 "2001:db8:1::5"
#define BE6	 "2001:db8:2::20"
#define CLIENT4	 "198.51.100.7"
#define VIP4	 "192.0.2.10"
#define CLIENT6	 "2001:db8:c::7"
#define VIP6	 "2001:db8::10"
#define V4_IN_V4 LB4, BE4, CLIENT4, VIP4
#define V6_IN_V6 LB6, BE6, CLIENT6, VIP6

static const struct decap_fixture decap_fixtures[] = {
	/* tunnels that are opened */
	{"ipip_tcp", V4_IN_V4, {TCP(40000, 80)}, OPENED},
	{"ipip_udp", V4_IN_V4, {UDP(40000, 53)}, OPENED},
	{"ipip_icmp_echo", V4_IN_V4, {.proto = IPPROTO_ICMP, .icmp_type = 8, .icmp_id = 7}, OPENED},
	{"ipip_inner_options", V4_IN_V4, {TCP(40000, 80), .ip4_opt_len = 12}, OPENED},
	{"ip6ip6_tcp", V6_IN_V6, {TCP(40000, 443)}, OPENED},
	{"ip6ip6_udp_inner_ext", V6_IN_V6, {UDP(40000, 53), .n_ext = 2, .ext_types = {0, 60}},
		OPENED},
	{"ip6_in_ip4", LB4, BE4, CLIENT6, VIP6, {TCP(40000, 443)}, OPENED},
	{"ip4_in_ip6", LB6, BE6, CLIENT4, VIP4, {TCP(40000, 80)}, OPENED},
	{"ipip_padded", V4_IN_V4,
		{.proto = IPPROTO_UDP, .sport = 40000, .dport = 53, .payload_len = 2}, .pad = 12,
		OPENED},

	/* not tunnels: unchanged */
	{"plain_tcp_v4", NULL, NULL, CLIENT4, VIP4, {TCP(40000, 80)}, UNCHANGED(SL_DECAP_PASS)},
	{"plain_udp_v6", NULL, NULL, CLIENT6, VIP6, {UDP(40000, 53)}, UNCHANGED(SL_DECAP_PASS)},
	{"arp", NULL, NULL, NULL, NULL, {.ethertype = 0x0806, .payload_len = 28},
		UNCHANGED(SL_DECAP_PASS)},
	{"gre_not_handled", V4_IN_V4, {TCP(40000, 80)}, .outer_proto = 47,
		UNCHANGED(SL_DECAP_PASS)},
	{"vlan_tagged_ipip", V4_IN_V4, {TCP(40000, 80)}, .vlan = true, UNCHANGED(SL_DECAP_PASS)},

	/* outer headers we do not open */
	{"outer_ip4_options", V4_IN_V4, {TCP(40000, 80)}, .outer_opt_len = 8,
		UNCHANGED(SL_DECAP_UNSUPPORTED)},
	{"outer_ip4_fragment", V4_IN_V4, {TCP(40000, 80)}, .outer_mf = true,
		UNCHANGED(SL_DECAP_UNSUPPORTED)},
	{"outer_ip6_ext_hdr", V6_IN_V6, {TCP(40000, 443)}, .outer_ext = true,
		UNCHANGED(SL_DECAP_UNSUPPORTED)},

	/* malformed: unchanged, counted */
	{"trunc_outer_ip4", V4_IN_V4, {TCP(40000, 80)}, .cut = 14 + 10,
		UNCHANGED(SL_DECAP_MALFORMED)},
	{"trunc_outer_ip6", V6_IN_V6, {TCP(40000, 443)}, .cut = 14 + 30,
		UNCHANGED(SL_DECAP_MALFORMED)},
	{"trunc_outer_total_len", V4_IN_V4, {TCP(40000, 80)}, .cut = 34 + 30,
		UNCHANGED(SL_DECAP_MALFORMED)},
	{"trunc_outer_payload_len", V6_IN_V6, {TCP(40000, 443)}, .cut = 54 + 50,
		UNCHANGED(SL_DECAP_MALFORMED)},
	{"trunc_inner_ip4", V4_IN_V4, {TCP(40000, 80)}, .cut = 34 + 12, .fix_len = true,
		UNCHANGED(SL_DECAP_MALFORMED)},
	{"trunc_inner_ip6", V6_IN_V6, {TCP(40000, 443)}, .cut = 54 + 30, .fix_len = true,
		UNCHANGED(SL_DECAP_MALFORMED)},
	{"bad_outer_csum", V4_IN_V4, {TCP(40000, 80)}, .bad_csum = true,
		UNCHANGED(SL_DECAP_MALFORMED)},
	{"bad_outer_ip4_version", V4_IN_V4, {TCP(40000, 80)}, .poke = {14, 0x65},
		UNCHANGED(SL_DECAP_MALFORMED)},
	{"inner_family_mismatch", LB4, BE4, CLIENT6, VIP6, {TCP(40000, 443)}, .outer_proto = 4,
		UNCHANGED(SL_DECAP_MALFORMED)},
	{"inner_bad_version", V6_IN_V6, {TCP(40000, 443)}, .poke = {54, 0x40},
		UNCHANGED(SL_DECAP_MALFORMED)},

	/* the optional outer-destination filter */
	{"filter_on_dst_allowed", V4_IN_V4, {TCP(40000, 80)}, .filter = 1, .allowed = BE4, OPENED},
	{"filter_on_dst_other", V4_IN_V4, {TCP(40000, 80)}, .filter = 1, .allowed = "198.51.100.99",
		UNCHANGED(SL_DECAP_NOT_ALLOWED)},
	{"filter_on_map_empty", V4_IN_V4, {TCP(40000, 80)}, .filter = 1,
		UNCHANGED(SL_DECAP_NOT_ALLOWED)},
	{"filter_off_map_ignored", V4_IN_V4, {TCP(40000, 80)}, .filter = 0,
		.allowed = "198.51.100.99", OPENED},
	{"filter_on_v6_allowed", V6_IN_V6, {TCP(40000, 443)}, .filter = 1, .allowed = BE6, OPENED},
	{"filter_on_v6_other", V6_IN_V6, {TCP(40000, 443)}, .filter = 1, .allowed = BE4,
		UNCHANGED(SL_DECAP_NOT_ALLOWED)},
};

static uint16_t
csum16(const uint8_t *p, size_t len)
{
	uint32_t sum = 0;

	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static void
put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* Wrap the IP packet of @inner (an Ethernet frame) in the fixture's outer header. */
static int
build_outer(const struct decap_fixture *fx, const uint8_t *inner, int inner_len, uint8_t *buf)
{
	const uint8_t *ip = inner + 14;
	size_t ilen = (size_t)inner_len - 14, off = 12;
	union sl_ip src, dst;
	uint8_t fam, proto = fx->outer_proto;

	ck_assert_int_eq(sl_pb_addr(fx->outer_src, &src, &fam), 0);
	ck_assert_int_eq(sl_pb_addr(fx->outer_dst, &dst, &fam), 0);
	if (!proto)
		proto = (ip[0] >> 4) == 4 ? 4 : 41;

	memcpy(buf, inner, 12); /* the MACs */
	if (fx->vlan) {
		put16(buf + off, 0x8100);
		put16(buf + off + 2, 100);
		off += 4;
	}
	put16(buf + off, fam == SL_FAMILY_IPV4 ? 0x0800 : 0x86dd);
	off += 2;
	if (fam == SL_FAMILY_IPV4) {
		size_t hl = 20 + fx->outer_opt_len;
		uint8_t *h = buf + off;

		memset(h, 0, hl);
		h[0] = (uint8_t)(0x40 | hl / 4);
		put16(h + 2, (uint16_t)(hl + ilen));
		h[6] = fx->outer_mf ? 0x20 : 0x40; /* MF, or DF */
		h[8] = 64;
		h[9] = proto;
		memcpy(h + 12, src.b, 4);
		memcpy(h + 16, dst.b, 4);
		memset(h + 20, 1, fx->outer_opt_len); /* NOPs */
		put16(h + 10, (uint16_t)(csum16(h, hl) ^ (fx->bad_csum ? 0x5555 : 0)));
		off += hl;
	} else {
		uint8_t *h = buf + off;

		memset(h, 0, 40);
		h[0] = 0x60;
		put16(h + 4, (uint16_t)(ilen + (fx->outer_ext ? 8 : 0)));
		h[6] = fx->outer_ext ? 60 : proto;
		h[7] = 64;
		memcpy(h + 8, src.b, 16);
		memcpy(h + 24, dst.b, 16);
		off += 40;
		if (fx->outer_ext) {
			memset(buf + off, 0, 8); /* length 0, six Pad1 options */
			buf[off] = proto;
			off += 8;
		}
	}
	memcpy(buf + off, ip, ilen);
	return (int)(off + ilen);
}

/* The input frame into @in; the frame the program should output into @want. */
static void
build_fixture(
	const struct decap_fixture *fx, uint8_t *in, int *in_len, uint8_t *want, int *want_len)
{
	int n = bt_build(&fx->pb, fx->inner_src, fx->inner_dst, want, BT_FRAME_MAX);

	ck_assert_msg(n > 0, "%s: inner frame build failed: %d", fx->name, n);
	*want_len = n;
	if (fx->outer_src) {
		n = build_outer(fx, want, n, in);
	} else {
		memcpy(in, want, (size_t)n);
	}
	if (fx->cut) {
		ck_assert_int_le(fx->cut, n);
		n = fx->cut;
	}
	if (fx->fix_len) {
		if (in[12] == 0x08) /* outer IPv4; checksum redone */
		{
			put16(in + 16, (uint16_t)(n - 14));
			put16(in + 24, 0);
			put16(in + 24, csum16(in + 14, 20));
		} else {
			put16(in + 18, (uint16_t)(n - 54));
		}
	}
	memset(in + n, 0, fx->pad);
	memset(want + *want_len, 0, fx->pad);
	n += fx->pad;
	*want_len += fx->pad;
	if (fx->poke.off)
		in[fx->poke.off] = fx->poke.val;
	*in_len = n;
	if (!fx->want_decap) {
		memcpy(want, in, (size_t)n);
		*want_len = n;
	}
}

static void
allow_dst(struct sl_xdp_decap *skel, const char *addr)
{
	struct sl_decap_dst_key k;
	union sl_ip ip;
	uint32_t one = 1;
	uint8_t fam;

	ck_assert_int_eq(sl_pb_addr(addr, &ip, &fam), 0);
	memset(&k, 0, sizeof(k));
	k.family = fam;
	memcpy(k.addr, ip.b, fam == SL_FAMILY_IPV6 ? 16 : 4);
	ck_assert_int_eq(
		bpf_map_update_elem(bpf_map__fd(skel->maps.sl_decap_dsts), &k, &one, 0), 0);
}

static struct sl_xdp_decap *
load(uint32_t filter)
{
	struct sl_xdp_decap *skel = sl_xdp_decap__open();

	ck_assert_ptr_nonnull(skel);
	skel->rodata->sl_decap_filter = filter;
	ck_assert_int_eq(sl_xdp_decap__load(skel), 0);
	return skel;
}

static void
assert_counters(const char *name, struct sl_xdp_decap *skel, uint32_t stat, int len)
{
	int fd = bpf_map__fd(skel->maps.sl_decap_stats);

	for (uint32_t i = 0; i < SL_DECAP_STATS_MAX; i++) {
		struct sl_xdp_counter c = bt_counter(fd, i);

		ck_assert_msg(c.packets == (i == stat ? 1u : 0u), "%s: counter %u = %llu, want %d",
			name, i, (unsigned long long)c.packets, i == stat);
		ck_assert_msg(c.bytes == (i == stat ? (uint64_t)len : 0), "%s: counter %u bytes",
			name, i);
	}
}

static void
assert_frame(
	const char *name, const uint8_t *got, uint32_t got_len, const uint8_t *want, int want_len)
{
	if (got_len != (uint32_t)want_len || memcmp(got, want, got_len) != 0) {
		bt_hexdump("got", got, got_len);
		bt_hexdump("want", want, (size_t)want_len);
		ck_abort_msg(
			"%s: output frame differs (%u bytes, want %d)", name, got_len, want_len);
	}
}

START_TEST(test_decap_fixtures)
{
	const struct decap_fixture *fx = &decap_fixtures[_i];
	uint8_t in[BT_FRAME_MAX], want[BT_FRAME_MAX], out[BT_FRAME_MAX];
	uint32_t action = 0, out_len = 0;
	int in_len, want_len;
	struct sl_xdp_decap *skel = load(fx->filter);

	if (fx->allowed)
		allow_dst(skel, fx->allowed);
	build_fixture(fx, in, &in_len, want, &want_len);
	ck_assert_int_eq(bt_run(bpf_program__fd(skel->progs.sl_xdp_decap), in, (size_t)in_len, out,
				 &out_len, &action),
		0);
	ck_assert_msg(action == fx->want_action, "%s: action %u, want %u", fx->name, action,
		fx->want_action);
	assert_frame(fx->name, out, out_len, want, want_len);
	assert_counters(fx->name, skel, fx->want_stat, in_len);
	sl_xdp_decap__destroy(skel);
}
END_TEST

/*
 * What the dataplane sends, this program undoes: encapsulate a client's
 * packet with dataplane/core's sl_encap_ip(), decapsulate it here, and get
 * the client's packet back one hop later (TTL - 1) with the LB's MACs.
 */
static void
roundtrip(const char *client, const char *vip, const char *backend)
{
	const struct sl_fwd_ctx ctx = {
		.src_mac = {0x02, 0, 0, 0, 0, 0x0a},
		.nexthop_mac = {0x02, 0, 0, 0, 0, 0x0b},
		.mtu = 1500,
		.ttl = 64,
		.src4_prefix_len = 24,
		.src4_prefix = htonl(0xcb007100), /* 203.0.113.0/24 */
		.src6_prefix = {0x20, 0x01, 0x0d, 0xb8, 0, 1},
		.src6_prefix_len = 64,
	};
	static uint8_t mem[256 + BT_FRAME_MAX];
	uint8_t want[BT_FRAME_MAX], out[BT_FRAME_MAX];
	struct sl_pb_spec s;
	struct sl_pkt pkt;
	union sl_ip be;
	uint8_t be_fam;
	uint32_t action = 0, out_len = 0;
	uint16_t hint = 0;
	int n, want_len;

	sl_pb_spec_init(&s);
	ck_assert_int_eq(sl_pb_addr(client, &s.src, &s.family), 0);
	ck_assert_int_eq(sl_pb_addr(vip, &s.dst, &s.family), 0);
	s.proto = IPPROTO_TCP;
	s.sport = 40000;
	s.dport = 80;
	s.tcp_flags = 0x02;
	s.payload_len = 100;
	n = sl_pb_build(&s, mem + 256, BT_FRAME_MAX);
	ck_assert_int_gt(n, 0);

	/* The client's packet as the backend should see it. */
	s.ttl = 63;
	memcpy(s.src_mac, ctx.src_mac, 6);
	memcpy(s.dst_mac, ctx.nexthop_mac, 6);
	want_len = sl_pb_build(&s, want, sizeof(want));
	ck_assert_int_eq(want_len, n);

	struct sl_buf buf = {.data = mem + 256, .len = (uint32_t)n, .headroom = 256};
	ck_assert_int_eq(sl_parse(buf.data, buf.len, &pkt), SL_PARSE_OK);
	ck_assert_int_eq(sl_pb_addr(backend, &be, &be_fam), 0);
	ck_assert_int_eq(sl_encap_ip(&buf, &pkt, &be, be_fam, 0x1234, &ctx, &hint), SL_FWD_OK);
	ck_assert_uint_eq(buf.len, (uint32_t)n + (be_fam == SL_FAMILY_IPV4 ? 20 : 40));

	struct sl_xdp_decap *skel = load(0);
	ck_assert_int_eq(bt_run(bpf_program__fd(skel->progs.sl_xdp_decap), buf.data, buf.len, out,
				 &out_len, &action),
		0);
	ck_assert_uint_eq(action, XDP_PASS);
	assert_frame(client, out, out_len, want, want_len);
	assert_counters(client, skel, SL_DECAP_OK, (int)buf.len);
	sl_xdp_decap__destroy(skel);
}

START_TEST(test_decap_undoes_dataplane_encap)
{
	roundtrip(CLIENT4, VIP4, BE4);
	roundtrip(CLIENT6, VIP6, BE6);
}
END_TEST

/* What user space and docs rely on: map names and sizes from <sluice/bpf_maps.h>. */
START_TEST(test_decap_maps_match_header)
{
	struct sl_xdp_decap *skel = sl_xdp_decap__open();

	ck_assert_ptr_nonnull(skel);
	ck_assert_str_eq(bpf_map__name(skel->maps.sl_decap_dsts), SL_MAP_DECAP_DSTS);
	ck_assert_str_eq(bpf_map__name(skel->maps.sl_decap_stats), SL_MAP_DECAP_STATS);
	ck_assert_uint_eq(bpf_map__max_entries(skel->maps.sl_decap_dsts), SL_DECAP_DSTS_MAX);
	ck_assert_uint_eq(
		bpf_map__key_size(skel->maps.sl_decap_dsts), sizeof(struct sl_decap_dst_key));
	ck_assert_uint_eq(bpf_map__max_entries(skel->maps.sl_decap_stats), SL_DECAP_STATS_MAX);
	ck_assert_uint_eq(
		bpf_map__value_size(skel->maps.sl_decap_stats), sizeof(struct sl_xdp_counter));
	ck_assert_uint_eq(skel->rodata->sl_decap_filter, 0); /* what `ip link ... obj` loads */
	ck_assert_ptr_null(bpf_object__next_program(skel->obj, skel->progs.sl_xdp_decap));
	sl_xdp_decap__destroy(skel);
}
END_TEST

static Suite *
xdp_decap_suite(void)
{
	Suite *s = suite_create("xdp_decap");
	TCase *tc = tcase_create("test_decap_fixtures");

	bt_require_root();
	tcase_add_loop_test(tc, test_decap_fixtures, 0,
		(int)(sizeof(decap_fixtures) / sizeof(decap_fixtures[0])));
	suite_add_tcase(s, tc);
	SL_TCASE(s, test_decap_undoes_dataplane_encap);
	SL_TCASE(s, test_decap_maps_match_header);
	return s;
}

SL_TEST_MAIN(xdp_decap_suite)
