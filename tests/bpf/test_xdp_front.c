/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The front XDP program (bpf/xdp_front.bpf.c) as a table of fixtures:
 * {name, input frame, map setup, expected XDP action, expected counter}, each
 * run through BPF_PROG_TEST_RUN on a freshly loaded skeleton.
 *
 * How a redirect is observed: test runs do not deliver to sockets, but
 * bpf_redirect_map() still looks the queue up in xsks_map. With an AF_XDP
 * socket in slot 0 (created, not bound: nothing is received) the helper
 * returns XDP_REDIRECT, which is what the fixtures expect; without one it
 * returns its XDP_PASS fallback (test_front_no_socket_falls_back). The
 * decision itself is asserted on the per-decision counter.
 */
#include "front-env.h"

/* ---- fixtures ---- */

struct poke {
	uint16_t off; /* 0: none */
	uint8_t val;
};

struct front_fixture {
	const char *name;
	const char *src, *dst; /* NULL for non-IP frames */
	struct sl_pb_spec pb;  /* template: proto, ports, tags, ICMP, fragments, ext headers */
	bool quote;	       /* ICMP error: quote a TCP packet from dst:80 to src */
	uint16_t cut;	       /* keep only the first @cut bytes (0: the whole frame) */
	bool fix_len;	       /* after the cut, make the IP length field agree with it */
	uint16_t pad;	       /* append this many bytes of link-layer padding */
	struct poke poke;      /* then set one byte */
	const struct vip_entry *vips; /* map setup; NULL: vips_default */
	uint32_t want_action;
	enum sl_xdp_stat want_stat;
};

#define TCP(sp, dp)    .proto = IPPROTO_TCP, .sport = (sp), .dport = (dp)
#define UDP(sp, dp)    .proto = IPPROTO_UDP, .sport = (sp), .dport = (dp)
#define REDIRECT(stat) .want_action = XDP_REDIRECT, .want_stat = (stat)
#define PASS(stat)     .want_action = XDP_PASS, .want_stat = (stat)
#define DROP(stat)     .want_action = XDP_DROP, .want_stat = (stat)

#define CLIENT4 "198.51.100.7"
#define CLIENT6 "2001:db8:c::7"
#define ROUTER4 "203.0.113.1"
#define ROUTER6 "2001:db8:ff::1"

/* Offsets in an untagged frame: IP header at 14, IPv4 L4 at 34, IPv6 L4 at 54. */
static const struct front_fixture front_fixtures[] = {
	/* VIP hits and misses */
	{"v4_tcp_exact_port", CLIENT4, "192.0.2.10", {TCP(40000, 80)}, REDIRECT(SL_XDP_REDIRECT)},
	{"v4_udp_any_port", CLIENT4, "192.0.2.11", {UDP(40000, 5353)}, REDIRECT(SL_XDP_REDIRECT)},
	{"v4_tcp_other_port", CLIENT4, "192.0.2.10", {TCP(40000, 81)}, PASS(SL_XDP_PASS)},
	{"v4_udp_to_tcp_only_vip", CLIENT4, "192.0.2.10", {UDP(40000, 80)}, PASS(SL_XDP_PASS)},
	{"v4_tcp_to_udp_any_vip", CLIENT4, "192.0.2.11", {TCP(40000, 53)}, PASS(SL_XDP_PASS)},
	{"v4_other_addr", CLIENT4, "192.0.2.99", {TCP(40000, 80)}, PASS(SL_XDP_PASS)},
	{"v4_vip_empty_map", CLIENT4, "192.0.2.10", {TCP(40000, 80)}, .vips = vips_none,
		PASS(SL_XDP_PASS)},
	{"v4_echo_to_vip_addr", CLIENT4, "192.0.2.10", {.proto = IPPROTO_ICMP, .icmp_type = 8},
		PASS(SL_XDP_PASS)},
	{"v4_proto0_to_vip_addr", CLIENT4, "192.0.2.10", {.proto = 0, .payload_len = 8},
		PASS(SL_XDP_PASS)},
	{"v4_options_to_vip", CLIENT4, "192.0.2.10", {TCP(40000, 80), .ip4_opt_len = 8},
		REDIRECT(SL_XDP_REDIRECT)},
	{"v4_padded_frame_to_vip", CLIENT4, "192.0.2.10", {TCP(40000, 80)}, .pad = 6,
		REDIRECT(SL_XDP_REDIRECT)},
	{"v6_tcp_exact_port", CLIENT6, "2001:db8::10", {TCP(40000, 443)},
		REDIRECT(SL_XDP_REDIRECT)},
	{"v6_udp_any_port", CLIENT6, "2001:db8::11", {UDP(40000, 53)}, REDIRECT(SL_XDP_REDIRECT)},
	{"v6_tcp_other_port", CLIENT6, "2001:db8::10", {TCP(40000, 80)}, PASS(SL_XDP_PASS)},
	{"v6_other_addr", CLIENT6, "2001:db8::99", {TCP(40000, 443)}, PASS(SL_XDP_PASS)},
	{"v4_addr_as_v6_key", CLIENT6, "::ffff:192.0.2.10", {TCP(40000, 80)}, PASS(SL_XDP_PASS)},

	/* non-IP */
	{"arp", NULL, NULL, {.ethertype = 0x0806, .payload_len = 28}, PASS(SL_XDP_PASS_NOT_IP)},
	{"lldp", NULL, NULL, {.ethertype = 0x88cc, .payload_len = 46}, PASS(SL_XDP_PASS_NOT_IP)},

	/* VLAN tags */
	{"vlan_v4_vip", CLIENT4, "192.0.2.10", {TCP(40000, 80), .n_vlans = 1, .vlan_tci = {100}},
		REDIRECT(SL_XDP_REDIRECT)},
	{"qinq_v6_vip", CLIENT6, "2001:db8::10",
		{TCP(40000, 443), .n_vlans = 2, .vlan_tpid = {0x88a8, 0x8100},
			.vlan_tci = {10, 20}},
		REDIRECT(SL_XDP_REDIRECT)},
	{"vlan_v4_miss", CLIENT4, "192.0.2.99", {TCP(40000, 80), .n_vlans = 1, .vlan_tci = {100}},
		PASS(SL_XDP_PASS)},
	{"three_vlans", CLIENT4, "192.0.2.10", {TCP(40000, 80), .n_vlans = 3},
		DROP(SL_XDP_MALFORMED)},

	/* ICMP errors */
	{"icmp_frag_needed_to_vip", ROUTER4, "192.0.2.10",
		{.proto = IPPROTO_ICMP, .icmp_type = 3, .icmp_code = 4, .icmp_mtu = 1400},
		.quote = true, REDIRECT(SL_XDP_REDIRECT_ICMP)},
	{"icmp_time_exceeded_to_vip", ROUTER4, "192.0.2.11",
		{.proto = IPPROTO_ICMP, .icmp_type = 11}, .quote = true,
		REDIRECT(SL_XDP_REDIRECT_ICMP)},
	{"icmp_param_problem_to_vip", ROUTER4, "192.0.2.10",
		{.proto = IPPROTO_ICMP, .icmp_type = 12}, .quote = true,
		REDIRECT(SL_XDP_REDIRECT_ICMP)},
	{"icmp_error_no_addr_entry", ROUTER4, "192.0.2.10",
		{.proto = IPPROTO_ICMP, .icmp_type = 3, .icmp_code = 4}, .quote = true,
		.vips = vips_no_addr, PASS(SL_XDP_PASS)},
	{"icmp_error_other_addr", ROUTER4, "192.0.2.99",
		{.proto = IPPROTO_ICMP, .icmp_type = 3, .icmp_code = 4}, .quote = true,
		PASS(SL_XDP_PASS)},
	{"icmp_redirect_msg_to_vip", ROUTER4, "192.0.2.10", {.proto = IPPROTO_ICMP, .icmp_type = 5},
		.quote = true, PASS(SL_XDP_PASS)},
	{"icmp6_too_big_to_vip", ROUTER6, "2001:db8::10",
		{.proto = IPPROTO_ICMPV6, .icmp_type = 2, .icmp_mtu = 1280}, .quote = true,
		REDIRECT(SL_XDP_REDIRECT_ICMP)},
	{"icmp6_unreach_to_vip", ROUTER6, "2001:db8::11", {.proto = IPPROTO_ICMPV6, .icmp_type = 1},
		.quote = true, REDIRECT(SL_XDP_REDIRECT_ICMP)},
	{"icmp6_echo_to_vip", CLIENT6, "2001:db8::10", {.proto = IPPROTO_ICMPV6, .icmp_type = 128},
		PASS(SL_XDP_PASS)},

	/* fragments */
	{"v4_first_fragment_to_vip", CLIENT4, "192.0.2.10", {TCP(40000, 80), .mf = true},
		REDIRECT(SL_XDP_REDIRECT)},
	{"v4_nonfirst_fragment_to_vip", CLIENT4, "192.0.2.10",
		{UDP(40000, 9), .frag_off = 185, .payload_len = 64},
		REDIRECT(SL_XDP_REDIRECT_FRAG)},
	{"v4_nonfirst_fragment_other", CLIENT4, "192.0.2.99",
		{UDP(40000, 9), .frag_off = 185, .payload_len = 64}, PASS(SL_XDP_PASS)},
	{"v4_nonfirst_fragment_no_addr", CLIENT4, "192.0.2.10",
		{UDP(40000, 9), .frag_off = 185, .payload_len = 64}, .vips = vips_no_addr,
		PASS(SL_XDP_PASS)},
	{"v6_first_fragment_to_vip", CLIENT6, "2001:db8::10",
		{TCP(40000, 443), .v6_frag = true, .mf = true}, REDIRECT(SL_XDP_REDIRECT)},
	{"v6_nonfirst_fragment_to_vip", CLIENT6, "2001:db8::10",
		{UDP(40000, 9), .v6_frag = true, .frag_off = 100, .payload_len = 64},
		REDIRECT(SL_XDP_REDIRECT_FRAG)},

	/* IPv6 extension headers */
	{"v6_ext_hdrs_to_vip", CLIENT6, "2001:db8::10",
		{TCP(40000, 443), .n_ext = 3, .ext_types = {0, 60, 43}}, REDIRECT(SL_XDP_REDIRECT)},
	{"v6_ext_hdrs_miss", CLIENT6, "2001:db8::10",
		{TCP(40000, 444), .n_ext = 3, .ext_types = {0, 60, 43}}, PASS(SL_XDP_PASS)},
	{"v6_six_ext_hdrs_to_vip", CLIENT6, "2001:db8::10",
		{TCP(40000, 443), .n_ext = 5, .ext_types = {0, 60, 43, 60, 60}, .v6_frag = true},
		REDIRECT(SL_XDP_REDIRECT)},
	{"v6_eight_ext_hdrs", CLIENT6, "2001:db8::10",
		{TCP(40000, 443), .n_ext = 8, .ext_types = {0, 60, 43, 60, 60, 60, 60, 60}},
		REDIRECT(SL_XDP_REDIRECT)},
	{"v6_nine_ext_hdrs", CLIENT6, "2001:db8::10",
		{TCP(40000, 443), .n_ext = 9, .ext_types = {0, 60, 43, 60, 60, 60, 60, 60, 60}},
		REDIRECT(SL_XDP_REDIRECT_MALFORMED)},

	/*
	 * malformed (the frame is cut or a byte is changed): for a VIP address,
	 * redirected so the dataplane counts the exact reason; cut before the
	 * destination address, or for another address, dropped; both counted
	 * by reason (SL_XDP_MAL_*)
	 */
	{"trunc_ip4_at_eth_end", CLIENT4, "192.0.2.10", {TCP(40000, 80)}, .cut = 14,
		DROP(SL_XDP_MALFORMED)},
	{"trunc_vlan_tag", CLIENT4, "192.0.2.10", {TCP(40000, 80), .n_vlans = 1}, .cut = 16,
		DROP(SL_XDP_MALFORMED)},
	{"trunc_ip4_header", CLIENT4, "192.0.2.10", {TCP(40000, 80)}, .cut = 14 + 19,
		DROP(SL_XDP_MALFORMED)},
	{"trunc_ip4_options", CLIENT4, "192.0.2.10", {TCP(40000, 80), .ip4_opt_len = 8},
		.cut = 14 + 24, REDIRECT(SL_XDP_REDIRECT_MALFORMED)},
	{"trunc_ip4_total_len", CLIENT4, "192.0.2.10", {TCP(40000, 80), .payload_len = 10},
		.cut = 34 + 20 + 5, REDIRECT(SL_XDP_REDIRECT_MALFORMED)},
	{"trunc_tcp", CLIENT4, "192.0.2.10", {TCP(40000, 80)}, .cut = 34 + 19, .fix_len = true,
		REDIRECT(SL_XDP_REDIRECT_MALFORMED)},
	{"trunc_udp", CLIENT4, "192.0.2.11", {UDP(40000, 53)}, .cut = 34 + 7, .fix_len = true,
		REDIRECT(SL_XDP_REDIRECT_MALFORMED)},
	{"trunc_icmp", ROUTER4, "192.0.2.10", {.proto = IPPROTO_ICMP, .icmp_type = 3},
		.quote = true, .cut = 34 + 7, .fix_len = true, REDIRECT(SL_XDP_REDIRECT_MALFORMED)},
	{"trunc_ip6_header", CLIENT6, "2001:db8::10", {TCP(40000, 443)}, .cut = 14 + 39,
		DROP(SL_XDP_MALFORMED)},
	{"trunc_ip6_payload_len", CLIENT6, "2001:db8::10", {TCP(40000, 443)}, .cut = 54 + 10,
		REDIRECT(SL_XDP_REDIRECT_MALFORMED)},
	{"trunc_ip6_ext_hdr", CLIENT6, "2001:db8::10",
		{TCP(40000, 443), .n_ext = 1, .ext_types = {60}}, .cut = 54 + 4, .fix_len = true,
		REDIRECT(SL_XDP_REDIRECT_MALFORMED)},
	{"trunc_ip6_tcp", CLIENT6, "2001:db8::10", {TCP(40000, 443)}, .cut = 54 + 10,
		.fix_len = true, REDIRECT(SL_XDP_REDIRECT_MALFORMED)},
	{"bad_ip4_version", CLIENT4, "192.0.2.10", {TCP(40000, 80)}, .poke = {14, 0x65},
		REDIRECT(SL_XDP_REDIRECT_MALFORMED)},
	{"bad_ip4_ihl", CLIENT4, "192.0.2.10", {TCP(40000, 80)}, .poke = {14, 0x44},
		REDIRECT(SL_XDP_REDIRECT_MALFORMED)},
	{"bad_ip6_version", CLIENT6, "2001:db8::10", {TCP(40000, 443)}, .poke = {14, 0x40},
		REDIRECT(SL_XDP_REDIRECT_MALFORMED)},
	{"bad_tcp_doff", CLIENT4, "192.0.2.10", {TCP(40000, 80)}, .poke = {34 + 12, 0x40},
		REDIRECT(SL_XDP_REDIRECT_MALFORMED)},
	{"bad_ip4_ihl_not_vip", CLIENT4, "192.0.2.99", {TCP(40000, 80)}, .poke = {14, 0x44},
		DROP(SL_XDP_MALFORMED)},
	{"trunc_tcp_not_vip", CLIENT4, "192.0.2.99", {TCP(40000, 80)}, .cut = 34 + 19,
		.fix_len = true, DROP(SL_XDP_MALFORMED)},
	{"bad_ip6_version_not_vip", CLIENT6, "2001:db8::99", {TCP(40000, 443)}, .poke = {14, 0x40},
		DROP(SL_XDP_MALFORMED)},
	{"v6_nine_ext_hdrs_not_vip", CLIENT6, "2001:db8::99",
		{TCP(40000, 443), .n_ext = 9, .ext_types = {0, 60, 43, 60, 60, 60, 60, 60, 60}},
		DROP(SL_XDP_MALFORMED)},
};

/* The quoted packet of an ICMP error to @fx->dst: TCP from @fx->dst:80 to a client. */
static size_t
build_quote(const struct front_fixture *fx, uint8_t *q)
{
	struct sl_pb_spec qs = {TCP(80, 40000)};
	uint8_t f[BT_FRAME_MAX];
	bool v6 = strchr(fx->dst, ':') != NULL;
	int n = bt_build(&qs, fx->dst, v6 ? CLIENT6 : CLIENT4, f, sizeof(f));
	size_t qlen = (v6 ? 40 : 20) + 8;

	ck_assert_int_gt(n, 14 + (int)qlen);
	memcpy(q, f + 14, qlen);
	return qlen;
}

static int
build_fixture(const struct front_fixture *fx, uint8_t *buf)
{
	struct sl_pb_spec s = fx->pb;
	uint8_t quote[64];
	int n;

	if (fx->quote) {
		s.icmp_inner = quote;
		s.icmp_inner_len = (uint16_t)build_quote(fx, quote);
	}
	n = bt_build(&s, fx->src, fx->dst, buf, BT_FRAME_MAX);
	ck_assert_msg(n > 0, "%s: frame build failed: %d", fx->name, n);
	if (fx->cut) {
		ck_assert_int_le(fx->cut, n);
		n = fx->cut;
	}
	if (fx->fix_len) {
		size_t l3 = sl_pb_l3_offset(&s);
		uint16_t ip_len;

		if ((buf[l3] >> 4) == 4) {
			ip_len = htons((uint16_t)(n - l3));
			memcpy(buf + l3 + 2, &ip_len,
				2); /* checksum left stale: not checked here */
		} else {
			ip_len = htons((uint16_t)(n - l3 - 40));
			memcpy(buf + l3 + 4, &ip_len, 2);
		}
	}
	memset(buf + n, 0, fx->pad);
	n += fx->pad;
	if (fx->poke.off) {
		ck_assert_int_lt(fx->poke.off, n);
		buf[fx->poke.off] = fx->poke.val;
	}
	return n;
}

/*
 * Every counter is 0 except the verdict @stat (1 packet of @len bytes), and
 * SL_XDP_NO_XSK if @no_xsk; a malformed verdict also counts exactly one
 * malformation (SL_XDP_MAL_*).
 */
static void
assert_counters(const char *name, int stats_fd, uint32_t stat, int len, bool no_xsk)
{
	bool malformed = stat == SL_XDP_MALFORMED || stat == SL_XDP_REDIRECT_MALFORMED;
	uint64_t mal = 0;

	for (uint32_t i = 0; i < SL_XDP_STATS_MAX; i++) {
		struct sl_xdp_counter c = bt_counter(stats_fd, i);
		bool hit = i == stat || (no_xsk && i == SL_XDP_NO_XSK);

		if (i >= SL_XDP_MAL_TRUNC_ETH && i <= SL_XDP_MAL_TRUNC_ICMP) {
			mal += c.packets;
			continue;
		}
		ck_assert_msg(c.packets == (hit ? 1 : 0), "%s: counter %s = %llu packets, want %d",
			name, sl_filter_stat_name(i), (unsigned long long)c.packets, hit);
		ck_assert_msg(c.bytes == (hit ? (uint64_t)len : 0), "%s: counter %s = %llu bytes",
			name, sl_filter_stat_name(i), (unsigned long long)c.bytes);
	}
	ck_assert_msg(mal == (malformed ? 1 : 0), "%s: %llu malformation counts, want %d", name,
		(unsigned long long)mal, malformed);
}

START_TEST(test_front_fixtures)
{
	const struct front_fixture *fx = &front_fixtures[_i];
	uint8_t in[BT_FRAME_MAX];
	struct fenv e;
	uint32_t action;
	int n;

	fenv_open(&e, false, NULL, fx->vips, false);
	n = build_fixture(fx, in);
	/* The front program never changes a frame (fenv_run checks). */
	action = fenv_run(&e, in, (size_t)n);
	ck_assert_msg(action == fx->want_action, "%s: action %u, want %u", fx->name, action,
		fx->want_action);
	assert_counters(fx->name, e.stats_fd, fx->want_stat, n, false);
	fenv_close(&e);
}
END_TEST

/* No socket on the queue: the decision is still counted, the helper's fallback passes. */
START_TEST(test_front_no_socket_falls_back)
{
	static const struct front_fixture fx = {
		.name = "no_xsk", .src = CLIENT4, .dst = "192.0.2.10", .pb = {TCP(40000, 80)}};
	uint8_t in[BT_FRAME_MAX];
	struct fenv e;
	int n;

	fenv_open(&e, false, NULL, NULL, true);
	n = build_fixture(&fx, in);
	ck_assert_uint_eq(fenv_run(&e, in, (size_t)n), XDP_PASS);
	assert_counters(fx.name, e.stats_fd, SL_XDP_REDIRECT, n, true);
	fenv_close(&e);
}
END_TEST

/* Nothing plugged (the PMD loaded the program, sluice-dp not yet there): a plain front program. */
START_TEST(test_front_unplugged)
{
	static const struct front_fixture fx = {
		.name = "unplugged", .src = CLIENT4, .dst = "192.0.2.10", .pb = {TCP(40000, 80)}};
	uint8_t in[BT_FRAME_MAX], out[BT_FRAME_MAX];
	uint32_t action = 0, out_len = 0;
	struct sl_xdp_front *skel = sl_xdp_front__open_and_load();
	int n, xsk;

	ck_assert_ptr_nonnull(skel);
	vips_load(bpf_map__fd(skel->maps.sl_vips), vips_default);
	xsk = sl_xsk_stub();
	ck_assert_int_ge(xsk, 0);
	xsk_insert(skel, xsk);
	n = build_fixture(&fx, in);
	ck_assert_int_eq(bt_run(bpf_program__fd(skel->progs.sl_xdp_front), in, (size_t)n, out,
				 &out_len, &action),
		0);
	ck_assert_uint_eq(action, XDP_REDIRECT);
	n = bt_build(&(struct sl_pb_spec){TCP(1, 80)}, CLIENT4, "192.0.2.99", in, sizeof(in));
	ck_assert_int_eq(bt_run(bpf_program__fd(skel->progs.sl_xdp_front), in, (size_t)n, out,
				 &out_len, &action),
		0);
	ck_assert_uint_eq(action, XDP_PASS);
	close(xsk);
	sl_xdp_front__destroy(skel);
}
END_TEST

/* sluice-dp changes sl_vips while the program runs: a removed VIP stops matching at once. */
START_TEST(test_front_vip_removed)
{
	static const struct front_fixture fx = {
		.name = "vip_removed", .src = CLIENT4, .dst = "192.0.2.10", .pb = {TCP(40000, 80)}};
	uint8_t in[BT_FRAME_MAX];
	struct sl_vip_key k = {.addr = {192, 0, 2, 10}, .proto = IPPROTO_TCP, .family = 4};
	struct fenv e;
	int n;

	fenv_open(&e, false, NULL, NULL, false);
	n = build_fixture(&fx, in);
	ck_assert_uint_eq(fenv_run(&e, in, (size_t)n), XDP_REDIRECT);
	k.port = htons(80);
	ck_assert_int_eq(bpf_map_delete_elem(bpf_map__fd(e.skel->maps.sl_vips), &k), 0);
	ck_assert_uint_eq(fenv_run(&e, in, (size_t)n), XDP_PASS);
	ck_assert_uint_eq(bt_counter(e.stats_fd, SL_XDP_PASS).packets, 1);
	fenv_close(&e);
}
END_TEST

/* Counters add up packets and bytes over several runs. */
START_TEST(test_front_counts_bytes)
{
	static const uint16_t sizes[] = {0, 100, 1000};
	uint8_t in[BT_FRAME_MAX];
	uint64_t total = 0;
	struct fenv e;

	fenv_open(&e, false, NULL, NULL, false);
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		struct sl_pb_spec s = {UDP(1, 2), .payload_len = sizes[i]};
		int n = bt_build(&s, CLIENT4, "192.0.2.99", in, sizeof(in));

		ck_assert_int_gt(n, 0);
		ck_assert_uint_eq(fenv_run(&e, in, (size_t)n), XDP_PASS);
		total += (uint64_t)n;
	}
	struct sl_xdp_counter c = bt_counter(e.stats_fd, SL_XDP_PASS);
	ck_assert_uint_eq(c.packets, 3);
	ck_assert_uint_eq(c.bytes, total);
	fenv_close(&e);
}
END_TEST

/* What user space relies on: map names, types and sizes from <sluice/bpf_maps.h>. */
START_TEST(test_front_maps_match_header)
{
	struct sl_xdp_front *skel = sl_xdp_front__open();
	const struct bpf_map *outer[] = {skel->maps.sl_xdp_stats, skel->maps.sl_f_conf,
		skel->maps.sl_f_allow, skel->maps.sl_f_deny, skel->maps.sl_f_rate,
		skel->maps.sl_f_state, skel->maps.sl_f_hits, skel->maps.sl_f_drops};
	const char *names[] = {SL_MAP_XDP_STATS, SL_MAP_F_CONF, SL_MAP_F_ALLOW, SL_MAP_F_DENY,
		SL_MAP_F_RATE, SL_MAP_F_STATE, SL_MAP_F_HITS, SL_MAP_F_DROPS};

	ck_assert_ptr_nonnull(skel);
	ck_assert_str_eq(bpf_map__name(skel->maps.xsks_map), SL_MAP_XSKS);
	ck_assert_str_eq(bpf_map__name(skel->maps.sl_vips), SL_MAP_VIPS);
	ck_assert_int_eq(bpf_map__type(skel->maps.xsks_map), BPF_MAP_TYPE_XSKMAP);
	ck_assert_int_eq(bpf_map__type(skel->maps.sl_vips), BPF_MAP_TYPE_HASH);
	ck_assert_uint_eq(bpf_map__max_entries(skel->maps.sl_vips), SL_VIPS_MAX);
	ck_assert_uint_eq(bpf_map__key_size(skel->maps.sl_vips), sizeof(struct sl_vip_key));
	ck_assert_uint_eq(bpf_map__value_size(skel->maps.sl_vips), sizeof(struct sl_vip_value));
	for (size_t i = 0; i < sizeof(outer) / sizeof(outer[0]); i++) {
		ck_assert_str_eq(bpf_map__name(outer[i]), names[i]);
		ck_assert_int_eq(bpf_map__type(outer[i]), BPF_MAP_TYPE_ARRAY_OF_MAPS);
		ck_assert_uint_eq(bpf_map__max_entries(outer[i]), 1);
	}
	/* The inner templates match what the library creates: plugging checks it (fenv_open). */
	ck_assert_uint_eq(bpf_map__value_size(bpf_map__inner_map((struct bpf_map *)outer[0])),
		sizeof(struct sl_xdp_counter));
	ck_assert_uint_eq(bpf_map__max_entries(bpf_map__inner_map((struct bpf_map *)outer[0])),
		SL_XDP_STATS_MAX);
	/* DPDK's AF_XDP PMD uses the object's first program: there must be exactly one. */
	ck_assert_ptr_null(bpf_object__next_program(skel->obj, skel->progs.sl_xdp_front));
	sl_xdp_front__destroy(skel);
}
END_TEST

static Suite *
xdp_front_suite(void)
{
	Suite *s = suite_create("xdp_front");
	TCase *tc = tcase_create("test_front_fixtures");

	bt_require_root();
	tcase_add_unchecked_fixture(tc, fenv_setup, fenv_teardown);
	tcase_add_loop_test(tc, test_front_fixtures, 0,
		(int)(sizeof(front_fixtures) / sizeof(front_fixtures[0])));
	tcase_add_test(tc, test_front_no_socket_falls_back);
	tcase_add_test(tc, test_front_vip_removed);
	tcase_add_test(tc, test_front_counts_bytes);
	suite_add_tcase(s, tc);
	SL_TCASE(s, test_front_unplugged);
	SL_TCASE(s, test_front_maps_match_header);
	return s;
}

SL_TEST_MAIN(xdp_front_suite)
