/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The XDP filter (bpf/sl_filter.bpf.h in the front program) as a table of
 * fixtures {name, input frame, rule set (JSON, as sluice-filter applies it),
 * expected action, expected verdict counter, expected extra counter}, run
 * through BPF_PROG_TEST_RUN with the filter maps plugged as sluice-dp does.
 * Then sequences: rate-limit and SYN-limit verdicts, rule hits, recent drops,
 * and a rule set replaced while the program runs.
 */
#include <pthread.h>
#include <sched.h>
#include <time.h>

#include "front-env.h"

#define TCP(sp, dp) .proto = IPPROTO_TCP, .sport = (sp), .dport = (dp)
#define UDP(sp, dp) .proto = IPPROTO_UDP, .sport = (sp), .dport = (dp)

#define VIP4 "192.0.2.10"   /* tcp 80 */
#define VIP6 "2001:db8::10" /* tcp 443 */

/* Rule sets */
#define DENY_24 "{\"deny\": [\"198.51.100.0/24\", \"2001:db8:bad::/48\"]}"
#define ALLOW_HOST_DENY_24                                                                         \
	"{\"allow\": [\"198.51.100.7\", \"2001:db8:bad::7/128\"], \"deny\": "                      \
	"[\"198.51.100.0/24\", "                                                                   \
	"\"2001:db8:bad::/48\"]}"
#define DENY_MONITOR "{\"deny\": {\"mode\": \"monitor\", \"rules\": [\"198.51.100.0/24\"]}}"
#define DENY_ALL4    "{\"deny\": [\"0.0.0.0/0\"]}"
#define DENY_SCOPED_PORT                                                                           \
	"{\"deny\": [{\"prefix\": \"198.51.100.0/24\", \"vip\": \"192.0.2.10\", \"protocol\": "    \
	"\"tcp\", \"port\": 80}]}"
#define DENY_SCOPED_ADDR "{\"deny\": [{\"prefix\": \"198.51.100.0/24\", \"vip\": \"192.0.2.11\"}]}"

struct filt_fixture {
	const char *name;
	const char *src, *dst;
	struct sl_pb_spec pb;
	uint16_t cut; /* keep the first @cut bytes (0: all) */
	bool fix_len; /* make the IP length agree with the cut */
	const char *rules;
	bool standalone;
	uint32_t want_action;
	enum sl_xdp_stat want_stat;
	int want_extra; /* an extra counter that must be 1 (0: none; no extra is counter 0) */
};

#define REDIRECT(st) .want_action = XDP_REDIRECT, .want_stat = (st)
#define PASS(st)     .want_action = XDP_PASS, .want_stat = (st)
#define DROP(st)     .want_action = XDP_DROP, .want_stat = (st)
#define EXTRA(x)     .want_extra = (x)

/* Offsets in an untagged frame: IP header at 14, IPv4 L4 at 34, IPv6 L4 at 54. */
static const struct filt_fixture fixtures[] = {
	/* no rules */
	{"none_v4_vip", "198.51.100.7", VIP4, {TCP(1000, 80)}, .rules = "{}",
		REDIRECT(SL_XDP_REDIRECT)},
	{"none_v6_other", "2001:db8:bad::7", "2001:db8::99", {TCP(1000, 80)}, .rules = "{}",
		PASS(SL_XDP_PASS)},

	/* CIDR boundaries: first and last address in the prefix, and one either side */
	{"deny24_first_in", "198.51.100.0", VIP4, {TCP(1000, 80)}, .rules = DENY_24,
		DROP(SL_XDP_DROP_DENY)},
	{"deny24_last_in", "198.51.100.255", VIP4, {TCP(1000, 80)}, .rules = DENY_24,
		DROP(SL_XDP_DROP_DENY)},
	{"deny24_below", "198.51.99.255", VIP4, {TCP(1000, 80)}, .rules = DENY_24,
		REDIRECT(SL_XDP_REDIRECT)},
	{"deny24_above", "198.51.101.0", VIP4, {TCP(1000, 80)}, .rules = DENY_24,
		REDIRECT(SL_XDP_REDIRECT)},
	{"deny24_non_vip_dst", "198.51.100.1", "192.0.2.99", {UDP(1, 2)}, .rules = DENY_24,
		DROP(SL_XDP_DROP_DENY)},
	{"deny48_v6_first_in", "2001:db8:bad::", VIP6, {TCP(1000, 443)}, .rules = DENY_24,
		DROP(SL_XDP_DROP_DENY)},
	{"deny48_v6_last_in", "2001:db8:bad:ffff:ffff:ffff:ffff:ffff", VIP6, {TCP(1000, 443)},
		.rules = DENY_24, DROP(SL_XDP_DROP_DENY)},
	{"deny48_v6_below", "2001:db8:bac:ffff:ffff:ffff:ffff:ffff", VIP6, {TCP(1000, 443)},
		.rules = DENY_24, REDIRECT(SL_XDP_REDIRECT)},
	{"deny48_v6_above", "2001:db8:bae::", VIP6, {TCP(1000, 443)}, .rules = DENY_24,
		REDIRECT(SL_XDP_REDIRECT)},
	{"deny_v4_prefix_not_v6", "::ffff:198.51.100.1", VIP6, {TCP(1000, 443)}, .rules = DENY_24,
		REDIRECT(SL_XDP_REDIRECT)},
	{"deny_all4", "203.0.113.9", VIP4, {TCP(1000, 80)}, .rules = DENY_ALL4,
		DROP(SL_XDP_DROP_DENY)},
	{"deny_all4_v6_passes", "2001:db8:c::1", VIP6, {TCP(1000, 443)}, .rules = DENY_ALL4,
		REDIRECT(SL_XDP_REDIRECT)},

	/* allowlist beats denylist */
	{"allow_beats_deny_v4", "198.51.100.7", VIP4, {TCP(1000, 80)}, .rules = ALLOW_HOST_DENY_24,
		REDIRECT(SL_XDP_REDIRECT), EXTRA(SL_XDP_ALLOW)},
	{"allow_beats_deny_v6", "2001:db8:bad::7", VIP6, {TCP(1000, 443)},
		.rules = ALLOW_HOST_DENY_24, REDIRECT(SL_XDP_REDIRECT), EXTRA(SL_XDP_ALLOW)},
	{"allow_neighbour_denied", "198.51.100.8", VIP4, {TCP(1000, 80)},
		.rules = ALLOW_HOST_DENY_24, DROP(SL_XDP_DROP_DENY)},

	/* monitor mode: counted, passed on */
	{"monitor_deny", "198.51.100.1", VIP4, {TCP(1000, 80)}, .rules = DENY_MONITOR,
		REDIRECT(SL_XDP_REDIRECT), EXTRA(SL_XDP_MON_DENY)},
	{"monitor_deny_non_vip", "198.51.100.1", "192.0.2.99", {TCP(1000, 80)},
		.rules = DENY_MONITOR, PASS(SL_XDP_PASS), EXTRA(SL_XDP_MON_DENY)},

	/* scoped rules */
	{"scoped_port_hit", "198.51.100.1", VIP4, {TCP(1000, 80)}, .rules = DENY_SCOPED_PORT,
		DROP(SL_XDP_DROP_DENY)},
	{"scoped_port_other_dst", "198.51.100.1", "192.0.2.11", {UDP(1000, 53)},
		.rules = DENY_SCOPED_PORT, REDIRECT(SL_XDP_REDIRECT)},
	{"scoped_port_other_port", "198.51.100.1", VIP4, {TCP(1000, 81)}, .rules = DENY_SCOPED_PORT,
		PASS(SL_XDP_PASS)},
	{"scoped_port_other_src", "198.51.101.1", VIP4, {TCP(1000, 80)}, .rules = DENY_SCOPED_PORT,
		REDIRECT(SL_XDP_REDIRECT)},
	{"scoped_addr_any_proto", "198.51.100.1", "192.0.2.11", {UDP(1000, 53)},
		.rules = DENY_SCOPED_ADDR, DROP(SL_XDP_DROP_DENY)},
	{"scoped_addr_icmp", "198.51.100.1", "192.0.2.11", {.proto = IPPROTO_ICMP, .icmp_type = 8},
		.rules = DENY_SCOPED_ADDR, DROP(SL_XDP_DROP_DENY)},

	/* VLAN tags, fragments, extension headers */
	{"deny_vlan_v4", "198.51.100.1", VIP4, {TCP(1000, 80), .n_vlans = 1, .vlan_tci = {7}},
		.rules = DENY_24, DROP(SL_XDP_DROP_DENY)},
	{"deny_qinq_v6", "2001:db8:bad::1", VIP6,
		{TCP(1000, 443), .n_vlans = 2, .vlan_tpid = {0x88a8, 0x8100}, .vlan_tci = {1, 2}},
		.rules = DENY_24, DROP(SL_XDP_DROP_DENY)},
	{"deny_v4_first_fragment", "198.51.100.1", VIP4, {TCP(1000, 80), .mf = true},
		.rules = DENY_24, DROP(SL_XDP_DROP_DENY)},
	{"deny_v4_nonfirst_fragment", "198.51.100.1", VIP4,
		{UDP(1, 9), .frag_off = 185, .payload_len = 64}, .rules = DENY_24,
		DROP(SL_XDP_DROP_DENY)},
	{"deny_v6_nonfirst_fragment", "2001:db8:bad::1", VIP6,
		{UDP(1, 9), .v6_frag = true, .frag_off = 100, .payload_len = 64}, .rules = DENY_24,
		DROP(SL_XDP_DROP_DENY)},
	{"scoped_port_nonfirst_fragment", "198.51.100.1", VIP4,
		{TCP(1, 80), .frag_off = 185, .payload_len = 64}, .rules = DENY_SCOPED_PORT,
		REDIRECT(SL_XDP_REDIRECT_FRAG)},
	{"deny_v6_ext_hdrs", "2001:db8:bad::1", VIP6,
		{TCP(1000, 443), .n_ext = 3, .ext_types = {0, 60, 43}}, .rules = DENY_24,
		DROP(SL_XDP_DROP_DENY)},

	/* standalone: VIP traffic goes to the kernel; the filter still acts */
	{"standalone_vip_passes", "203.0.113.9", VIP4, {TCP(1000, 80)}, .rules = DENY_24,
		.standalone = true, PASS(SL_XDP_PASS)},
	{"standalone_deny", "198.51.100.1", VIP4, {TCP(1000, 80)}, .rules = DENY_24,
		.standalone = true, DROP(SL_XDP_DROP_DENY)},
	{"standalone_malformed_vip_dropped", "203.0.113.9", VIP4, {TCP(1000, 80)}, .cut = 34 + 19,
		.fix_len = true, .rules = "{}", .standalone = true, DROP(SL_XDP_MALFORMED),
		EXTRA(SL_XDP_MAL_TRUNC_TCP)},

	/* truncated at every header boundary: dropped (non-VIP) and counted by reason */
	/* (a frame shorter than its Ethernet header cannot be test-run: the kernel refuses it) */
	{"cut_vlan", "203.0.113.9", "192.0.2.99", {TCP(1, 2), .n_vlans = 1}, .cut = 14 + 3,
		.rules = "{}", DROP(SL_XDP_MALFORMED), EXTRA(SL_XDP_MAL_TRUNC_VLAN)},
	{"cut_ip4", "203.0.113.9", "192.0.2.99", {TCP(1, 2)}, .cut = 14 + 19, .rules = "{}",
		DROP(SL_XDP_MALFORMED), EXTRA(SL_XDP_MAL_TRUNC_IP4)},
	{"cut_ip4_options", "203.0.113.9", "192.0.2.99", {TCP(1, 2), .ip4_opt_len = 8},
		.cut = 14 + 27, .rules = "{}", DROP(SL_XDP_MALFORMED), EXTRA(SL_XDP_MAL_TRUNC_IP4)},
	{"cut_ip4_payload", "203.0.113.9", "192.0.2.99", {TCP(1, 2), .payload_len = 10},
		.cut = 34 + 25, .rules = "{}", DROP(SL_XDP_MALFORMED),
		EXTRA(SL_XDP_MAL_BAD_IP4_LEN)},
	{"cut_tcp", "203.0.113.9", "192.0.2.99", {TCP(1, 2)}, .cut = 34 + 19, .fix_len = true,
		.rules = "{}", DROP(SL_XDP_MALFORMED), EXTRA(SL_XDP_MAL_TRUNC_TCP)},
	{"cut_udp", "203.0.113.9", "192.0.2.99", {UDP(1, 2)}, .cut = 34 + 7, .fix_len = true,
		.rules = "{}", DROP(SL_XDP_MALFORMED), EXTRA(SL_XDP_MAL_TRUNC_UDP)},
	{"cut_icmp", "203.0.113.9", "192.0.2.99", {.proto = IPPROTO_ICMP, .icmp_type = 8},
		.cut = 34 + 7, .fix_len = true, .rules = "{}", DROP(SL_XDP_MALFORMED),
		EXTRA(SL_XDP_MAL_TRUNC_ICMP)},
	{"cut_ip6", "2001:db8:c::1", "2001:db8::99", {TCP(1, 2)}, .cut = 14 + 39, .rules = "{}",
		DROP(SL_XDP_MALFORMED), EXTRA(SL_XDP_MAL_TRUNC_IP6)},
	{"cut_ip6_ext", "2001:db8:c::1", "2001:db8::99", {TCP(1, 2), .n_ext = 1, .ext_types = {60}},
		.cut = 54 + 5, .fix_len = true, .rules = "{}", DROP(SL_XDP_MALFORMED),
		EXTRA(SL_XDP_MAL_TRUNC_IP6_EXT)},
	{"cut_tcp6", "2001:db8:c::1", "2001:db8::99", {TCP(1, 2)}, .cut = 54 + 19, .fix_len = true,
		.rules = "{}", DROP(SL_XDP_MALFORMED), EXTRA(SL_XDP_MAL_TRUNC_TCP)},
	{"cut_udp6", "2001:db8:c::1", "2001:db8::99", {UDP(1, 2)}, .cut = 54 + 7, .fix_len = true,
		.rules = "{}", DROP(SL_XDP_MALFORMED), EXTRA(SL_XDP_MAL_TRUNC_UDP)},
	{"cut_icmp6", "2001:db8:c::1", "2001:db8::99", {.proto = IPPROTO_ICMPV6, .icmp_type = 128},
		.cut = 54 + 7, .fix_len = true, .rules = "{}", DROP(SL_XDP_MALFORMED),
		EXTRA(SL_XDP_MAL_TRUNC_ICMP)},
	{"cut_tcp_to_vip", "203.0.113.9", VIP4, {TCP(1, 80)}, .cut = 34 + 19, .fix_len = true,
		.rules = "{}", REDIRECT(SL_XDP_REDIRECT_MALFORMED), EXTRA(SL_XDP_MAL_TRUNC_TCP)},
};

static int
build(const struct filt_fixture *fx, uint8_t *buf)
{
	struct sl_pb_spec s = fx->pb;
	int n = bt_build(&s, fx->src, fx->dst, buf, BT_FRAME_MAX);

	ck_assert_msg(n > 0, "%s: build: %d", fx->name, n);
	if (fx->cut) {
		ck_assert_int_le(fx->cut, n);
		n = fx->cut;
	}
	if (fx->fix_len) {
		size_t l3 = sl_pb_l3_offset(&s);
		uint16_t len;

		if ((buf[l3] >> 4) == 4) {
			len = htons((uint16_t)(n - l3));
			memcpy(buf + l3 + 2, &len, 2);
		} else {
			len = htons((uint16_t)(n - l3 - 40));
			memcpy(buf + l3 + 4, &len, 2);
		}
	}
	return n;
}

START_TEST(test_filter_fixtures)
{
	const struct filt_fixture *fx = &fixtures[_i];
	uint8_t in[BT_FRAME_MAX];
	struct fenv e;
	uint32_t action;
	int n;

	fenv_open(&e, fx->standalone, fx->rules, NULL, false);
	n = build(fx, in);
	action = fenv_run(&e, in, (size_t)n);
	ck_assert_msg(action == fx->want_action, "%s: action %u, want %u", fx->name, action,
		fx->want_action);
	for (uint32_t i = 0; i < SL_XDP_STATS_MAX; i++) {
		struct sl_xdp_counter c = bt_counter(e.stats_fd, i);
		uint64_t want = (i == fx->want_stat || (fx->want_extra && (int)i == fx->want_extra))
					? 1
					: 0;

		ck_assert_msg(c.packets == want, "%s: counter %s = %llu, want %llu", fx->name,
			sl_filter_stat_name(i), (unsigned long long)c.packets,
			(unsigned long long)want);
	}
	fenv_close(&e);
}
END_TEST

/* Run @n copies of a frame from @src; @return how many got @action. */
static unsigned
run_n(struct fenv *e, const char *src, const char *dst, struct sl_pb_spec s, unsigned n,
	uint32_t action)
{
	uint8_t in[BT_FRAME_MAX];
	int len = bt_build(&s, src, dst, in, sizeof(in));
	unsigned got = 0;

	ck_assert_int_gt(len, 0);
	for (unsigned i = 0; i < n; i++)
		got += fenv_run(e, in, (size_t)len) == action;
	return got;
}

/*
 * Token bucket verdicts: at 1 packet/s with a depth of 5, a burst of 20
 * back-to-back packets (well under a second here) passes exactly 5; another
 * source has its own bucket; with a /24 key the whole /24 shares one.
 */
START_TEST(test_filter_rate_limit)
{
	static const char *rules = "{\"rate_limit\": {\"pps\": 1, \"burst_packets\": 5}}";
	static const char *rules24 = "{\"rate_limit\": {\"pps\": 1, \"burst_packets\": 5, "
				     "\"key_prefix_v4\": 24}}";
	struct sl_pb_spec s = {TCP(1000, 80)};
	struct fenv e;

	fenv_open(&e, false, rules, NULL, false);
	ck_assert_uint_eq(run_n(&e, "203.0.113.1", VIP4, s, 20, XDP_REDIRECT), 5);
	ck_assert_uint_eq(bt_counter(e.stats_fd, SL_XDP_DROP_RATE).packets, 15);
	ck_assert_uint_eq(run_n(&e, "203.0.113.2", VIP4, s, 8, XDP_REDIRECT), 5);
	fenv_close(&e);

	fenv_open(&e, false, rules24, NULL, false);
	ck_assert_uint_eq(run_n(&e, "203.0.113.1", VIP4, s, 3, XDP_REDIRECT), 3);
	ck_assert_uint_eq(run_n(&e, "203.0.113.2", VIP4, s, 5, XDP_REDIRECT), 2);
	ck_assert_uint_eq(run_n(&e, "203.0.114.2", VIP4, s, 5, XDP_REDIRECT), 5);
	fenv_close(&e);
}
END_TEST

/*
 * The buckets' clock moves once per kernel tick, so a bucket shallower than
 * SL_TB_MIN_DEPTH_TICKS (20 ms) is deepened to that: at 1000 pps with a
 * depth of 1, back-to-back packets pass 20 at once, plus what the time the
 * loop took refills (and up to 10 ms of clock lag), not 1.
 */
START_TEST(test_filter_rate_min_depth)
{
	static const char *rules = "{\"rate_limit\": {\"pps\": 1000, \"burst_packets\": 1}}";
	struct sl_pb_spec s = {TCP(1000, 80)};
	struct timespec t0, t1;
	uint64_t ms, got;
	struct fenv e;

	fenv_open(&e, false, rules, NULL, false);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	got = run_n(&e, "203.0.113.1", VIP4, s, 200, XDP_REDIRECT);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ms = (uint64_t)((t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000) + 1;
	ck_assert_uint_ge(got, 20);
	ck_assert_uint_le(got, 20 + ms + 10 + 1);
	fenv_close(&e);
}
END_TEST

struct cpu_run {
	int prog_fd, cpu, rc;
	const uint8_t *frame;
	size_t len;
	unsigned repeat;
	struct timespec t0, t1;
};

/* One CPU's share of a flood: the frame @repeat times through the program, pinned to @cpu. */
static void *
cpu_run(void *p)
{
	struct cpu_run *r = p;
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(r->cpu, &set);
	r->rc = pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
	if (r->rc == 0) {
		LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = r->frame,
			.data_size_in = (uint32_t)r->len, .repeat = r->repeat);
		clock_gettime(CLOCK_MONOTONIC, &r->t0);
		r->rc = bpf_prog_test_run_opts(r->prog_fd, &o) < 0 ? -errno : 0;
		clock_gettime(CLOCK_MONOTONIC, &r->t1);
	}
	return NULL;
}

static double
secs(struct timespec a, struct timespec b)
{
	return (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
}

/*
 * One source flooding from every CPU at once (up to 2): the bucket is
 * shared, updated by compare-and-swap. What passes stays within the limit:
 * rate x (time + one tick of clock lag) + depth, plus the packets passed
 * after losing the compare-and-swap 4 times (counted as rate_race). An
 * invariant under real contention, not a proof: a broken update (a plain
 * store) over-admits only when both CPUs update at once, which this load
 * shows too rarely to fail the bound every time.
 */
START_TEST(test_filter_rate_two_cpus)
{
	static const char *rules = "{\"rate_limit\": {\"pps\": 2000000, \"burst_packets\": 1000}}";
	const uint64_t pps = 2000000, depth = pps / 50; /* 20 ms: the minimum depth */
	struct sl_pb_spec s = {TCP(1000, 80)};
	struct cpu_run r[2];
	uint8_t frame[BT_FRAME_MAX];
	int n = (int)sysconf(_SC_NPROCESSORS_ONLN) >= 2 ? 2 : 1, len;
	uint64_t passed, dropped, races;
	pthread_t th[2];
	double t;
	struct fenv e;

	fenv_open(&e, true, rules, NULL, false);
	len = bt_build(&s, "203.0.113.1", "192.0.2.99", frame, sizeof(frame));
	ck_assert_int_gt(len, 0);
	for (int i = 0; i < n; i++) {
		r[i] = (struct cpu_run){.prog_fd = e.prog_fd,
			.cpu = i,
			.frame = frame,
			.len = (size_t)len,
			.repeat = 5000000};
		ck_assert_int_eq(pthread_create(&th[i], NULL, cpu_run, &r[i]), 0);
	}
	for (int i = 0; i < n; i++) {
		pthread_join(th[i], NULL);
		ck_assert_msg(r[i].rc == 0, "cpu %d: %s", i, strerror(-r[i].rc));
	}
	/* from the first start to the last end */
	t = secs(r[0].t0, r[n - 1].t1);
	if (n == 2) {
		double d0 = secs(r[1].t0, r[0].t0), d1 = secs(r[0].t1, r[1].t1);

		t = secs(d0 > 0 ? r[1].t0 : r[0].t0, d1 > 0 ? r[1].t1 : r[0].t1);
	}
	passed = bt_counter(e.stats_fd, SL_XDP_PASS).packets;
	dropped = bt_counter(e.stats_fd, SL_XDP_DROP_RATE).packets;
	races = bt_counter(e.stats_fd, SL_XDP_RATE_RACE).packets;
	fprintf(stderr, "two_cpus: %d CPUs, %.3f s, passed %llu, dropped %llu, rate_race %llu\n", n,
		t, (unsigned long long)passed, (unsigned long long)dropped,
		(unsigned long long)races);
	ck_assert_uint_eq(passed + dropped, (uint64_t)n * 5000000);
	ck_assert_uint_gt(dropped, 0);
	ck_assert_uint_le(passed, depth + (uint64_t)((double)pps * (t + 0.010)) + races + 2);
	fenv_close(&e);
}
END_TEST

/* Bytes: a 1522-byte depth at 1 B/s passes one 1000-byte frame, not two. Overrides win. */
START_TEST(test_filter_rate_bytes_and_override)
{
	static const char *rules =
		"{\"rate_limit\": {\"bps\": 1, \"burst_bytes\": 1522, \"overrides\": "
		"[{\"prefix\": \"203.0.113.0/24\", \"pps\": 1, \"burst_packets\": 2}]}}";
	struct sl_pb_spec big = {UDP(1, 9), .payload_len = 958};
	struct fenv e;

	fenv_open(&e, false, rules, NULL, false);
	ck_assert_uint_eq(run_n(&e, "198.51.100.1", "192.0.2.11", big, 4, XDP_REDIRECT), 1);
	/* the override's own limit (2 packets) applies, not the byte limit */
	ck_assert_uint_eq(run_n(&e, "203.0.113.1", "192.0.2.11", big, 4, XDP_REDIRECT), 2);
	ck_assert_uint_eq(bt_counter(e.stats_fd, SL_XDP_DROP_RATE).packets, 5);
	fenv_close(&e);
}
END_TEST

/* Monitor mode for rates: everything passes, the excess is counted. */
START_TEST(test_filter_rate_monitor)
{
	static const char *rules =
		"{\"rate_limit\": {\"mode\": \"monitor\", \"pps\": 1, \"burst_packets\": 2}}";
	struct fenv e;

	fenv_open(&e, false, rules, NULL, false);
	ck_assert_uint_eq(
		run_n(&e, "203.0.113.1", VIP4, (struct sl_pb_spec){TCP(1, 80)}, 6, XDP_REDIRECT),
		6);
	ck_assert_uint_eq(bt_counter(e.stats_fd, SL_XDP_MON_RATE).packets, 4);
	ck_assert_uint_eq(bt_counter(e.stats_fd, SL_XDP_DROP_RATE).packets, 0);
	fenv_close(&e);
}
END_TEST

/*
 * SYN limit per VIP: SYNs over the VIP's budget dropped whatever their
 * source; ACKs and SYN-ACKs not. Monitor mode counts and passes.
 */
START_TEST(test_filter_syn_limit)
{
	static const char *rules = "{\"syn_limit\": {\"pps\": 1, \"burst\": 3}}";
	static const char *monitor =
		"{\"syn_limit\": {\"mode\": \"monitor\", \"pps\": 1, \"burst\": 3}}";
	struct sl_pb_spec syn = {TCP(1000, 80), .tcp_flags = 0x02};
	struct sl_pb_spec ack = {TCP(1000, 80), .tcp_flags = 0x10};
	struct sl_pb_spec synack = {TCP(1000, 80), .tcp_flags = 0x12};
	struct sl_pb_spec syn6 = {TCP(1000, 443), .tcp_flags = 0x02};
	struct fenv e;

	fenv_open(&e, false, rules, NULL, false);
	ck_assert_uint_eq(run_n(&e, "203.0.113.1", VIP4, syn, 2, XDP_REDIRECT), 2);
	ck_assert_uint_eq(run_n(&e, "203.0.113.2", VIP4, syn, 4, XDP_REDIRECT), 1);
	ck_assert_uint_eq(bt_counter(e.stats_fd, SL_XDP_DROP_SYN).packets, 3);
	ck_assert_uint_eq(run_n(&e, "203.0.113.2", VIP4, ack, 4, XDP_REDIRECT), 4);
	ck_assert_uint_eq(run_n(&e, "203.0.113.2", VIP4, synack, 4, XDP_REDIRECT), 4);
	ck_assert_uint_eq(run_n(&e, "2001:db8:c::1", VIP6, syn6, 4, XDP_REDIRECT), 3);
	ck_assert_uint_eq(bt_counter(e.stats_fd, SL_XDP_DROP_SYN).packets, 3 + 1);
	fenv_close(&e);

	/* monitor mode: every SYN goes on, the would-drops are counted */
	fenv_open(&e, false, monitor, NULL, false);
	ck_assert_uint_eq(run_n(&e, "203.0.113.1", VIP4, syn, 5, XDP_REDIRECT), 5);
	ck_assert_uint_eq(bt_counter(e.stats_fd, SL_XDP_MON_SYN).packets, 2);
	ck_assert_uint_eq(bt_counter(e.stats_fd, SL_XDP_DROP_SYN).packets, 0);
	fenv_close(&e);
}
END_TEST

/* An override's key prefix: its sources share a bucket per /24, not per address. */
START_TEST(test_filter_rate_override_key)
{
	static const char *rules =
		"{\"rate_limit\": {\"overrides\": [{\"prefix\": \"203.0.0.0/16\", "
		"\"key_prefix\": 24, \"pps\": 1, \"burst_packets\": 3}]}}";
	struct sl_pb_spec s = {TCP(1000, 80)};
	struct fenv e;

	fenv_open(&e, false, rules, NULL, false);
	ck_assert_uint_eq(run_n(&e, "203.0.113.1", VIP4, s, 2, XDP_REDIRECT), 2);
	ck_assert_uint_eq(run_n(&e, "203.0.113.2", VIP4, s, 3, XDP_REDIRECT), 1);
	ck_assert_uint_eq(run_n(&e, "203.0.114.2", VIP4, s, 4, XDP_REDIRECT), 3);
	ck_assert_uint_eq(run_n(&e, "198.51.100.1", VIP4, s, 10, XDP_REDIRECT), 10);
	fenv_close(&e);
}
END_TEST

/*
 * The buckets' clock moves on: a bucket emptied at once passes again after
 * a pause (at 100 pps its 20 ms depth holds 2). A clock stuck at its first
 * read would refuse everything after the first burst.
 */
START_TEST(test_filter_clock_moves)
{
	static const char *rules = "{\"rate_limit\": {\"pps\": 100, \"burst_packets\": 1}}";
	struct sl_pb_spec s = {TCP(1000, 80)};
	struct timespec pause = {0, 150 * 1000 * 1000};
	struct fenv e;

	fenv_open(&e, false, rules, NULL, false);
	ck_assert_uint_ge(run_n(&e, "203.0.113.1", VIP4, s, 10, XDP_REDIRECT), 2);
	for (int i = 0; i < 3; i++) {
		nanosleep(&pause, NULL);
		ck_assert_uint_ge(run_n(&e, "203.0.113.1", VIP4, s, 10, XDP_REDIRECT), 1);
	}
	fenv_close(&e);
}
END_TEST

/*
 * Per-VIP SYN limits: a VIP's own limit replaces the default, an all-ports
 * entry covers the address's services without their own, pps 0 exempts; the
 * limits read back as applied. Standalone: by destination address and port.
 */
START_TEST(test_filter_syn_per_vip)
{
	static const char *own = "{\"syn_limit\": {\"pps\": 1, \"burst\": 3, \"overrides\": "
				 "[{\"vip\": \"2001:db8::10\", \"port\": 443, \"pps\": 1, "
				 "\"burst\": 1}]}}";
	static const char *all_ports = "{\"syn_limit\": {\"overrides\": [{\"vip\": "
				       "\"192.0.2.10\", \"pps\": 1, \"burst\": 2}]}}";
	static const char *exempt = "{\"syn_limit\": {\"pps\": 1, \"burst\": 3, \"overrides\": "
				    "[{\"vip\": \"192.0.2.10\", \"port\": 80, \"pps\": 0}, "
				    "{\"vip\": \"192.0.2.10\", \"pps\": 1, \"burst\": 1}]}}";
	static const char *standalone = "{\"syn_limit\": {\"overrides\": [{\"vip\": "
					"\"203.0.113.5\", \"port\": 22, \"pps\": 1, "
					"\"burst\": 2}]}}";
	struct sl_pb_spec syn = {TCP(1000, 80), .tcp_flags = 0x02};
	struct sl_pb_spec syn6 = {TCP(1000, 443), .tcp_flags = 0x02};
	struct sl_pb_spec ssh = {TCP(1000, 22), .tcp_flags = 0x02};
	struct sl_pb_spec ssh2 = {TCP(1000, 23), .tcp_flags = 0x02};
	struct sl_filter_cfg cfg;
	struct fenv e;

	fenv_open(&e, false, own, NULL, false);
	ck_assert_uint_eq(run_n(&e, "203.0.113.1", VIP4, syn, 5, XDP_REDIRECT), 3);
	ck_assert_uint_eq(run_n(&e, "2001:db8:c::1", VIP6, syn6, 4, XDP_REDIRECT), 1);
	ck_assert_uint_eq(bt_counter(e.stats_fd, SL_XDP_DROP_SYN).packets, 2 + 3);
	ck_assert_int_eq(sl_filter_get(e.filter, &cfg), 0);
	ck_assert_uint_eq(cfg.n_syn_ovr, 1);
	ck_assert_uint_eq(cfg.syn_ovr[0].family, 6);
	ck_assert_uint_eq(cfg.syn_ovr[0].port, 443);
	ck_assert_uint_eq(cfg.syn_ovr[0].burst, 1);
	ck_assert_uint_eq(cfg.syn_pps, 1);
	sl_filter_cfg_free(&cfg);
	fenv_close(&e);

	/* no default: only the VIP with an entry is limited (all its ports) */
	fenv_open(&e, false, all_ports, NULL, false);
	ck_assert_uint_eq(run_n(&e, "203.0.113.1", VIP4, syn, 5, XDP_REDIRECT), 2);
	ck_assert_uint_eq(run_n(&e, "2001:db8:c::1", VIP6, syn6, 5, XDP_REDIRECT), 5);
	fenv_close(&e);

	/* the exact entry (pps 0: exempt) wins over the address's all-ports one */
	fenv_open(&e, false, exempt, NULL, false);
	ck_assert_uint_eq(run_n(&e, "203.0.113.1", VIP4, syn, 6, XDP_REDIRECT), 6);
	ck_assert_uint_eq(run_n(&e, "2001:db8:c::1", VIP6, syn6, 5, XDP_REDIRECT), 3);
	fenv_close(&e);

	fenv_open(&e, true, standalone, NULL, false);
	ck_assert_uint_eq(run_n(&e, "198.51.100.1", "203.0.113.5", ssh, 5, XDP_PASS), 2);
	ck_assert_uint_eq(run_n(&e, "198.51.100.1", "203.0.113.5", ssh2, 5, XDP_PASS), 5);
	fenv_close(&e);
}
END_TEST

static int
collect(const struct sl_filt_drop_event *ev, void *ctx)
{
	struct sl_filt_drop_event *out = ctx;

	if (out[0].ts_ns == 0)
		out[0] = *ev;
	else
		out[1] = *ev;
	return 0;
}

/* Rule hits per rule, and recent drops in the ring buffer with source and reason. */
START_TEST(test_filter_hits_and_drops)
{
	struct sl_filt_drop_event ev[2];
	uint64_t hits[2];
	struct fenv e;

	memset(ev, 0, sizeof(ev));
	fenv_open(&e, false, DENY_24, NULL, false);
	ck_assert_uint_eq(
		run_n(&e, "198.51.100.9", VIP4, (struct sl_pb_spec){TCP(1, 80)}, 3, XDP_DROP), 3);
	ck_assert_int_eq(sl_filter_hits(e.filter, SL_FILT_ID_DENY, 2, hits), 0);
	ck_assert_uint_eq(hits[0], 3);
	ck_assert_uint_eq(hits[1], 0);
	ck_assert_int_eq(sl_filter_drops(e.filter, 0, 2, collect, ev), 2);
	ck_assert_uint_eq(ev[0].family, 4);
	ck_assert_mem_eq(ev[0].src, ((uint8_t[]){198, 51, 100, 9}), 4);
	ck_assert_uint_eq(ev[0].reason, SL_XDP_DROP_DENY);
	ck_assert_uint_eq(ev[0].rule, SL_FILT_ID_DENY);
	ck_assert_uint_eq(ev[0].dport, htons(80));
	ck_assert_uint_eq(ev[0].monitor, 0);
	fenv_close(&e);
}
END_TEST

/*
 * Hits go through a per-CPU buffer flushed every SL_FILT_HIT_BATCH hits or
 * when another rule hits: counts stay exact across flushes and switches,
 * and replacing the list drops the pending ones.
 */
START_TEST(test_filter_hits_batched)
{
	struct sl_pb_spec s = {TCP(1, 80)};
	uint64_t hits[2];
	struct fenv e;

	fenv_open(&e, false, DENY_24, NULL, false);
	ck_assert_uint_eq(run_n(&e, "198.51.100.9", VIP4, s, SL_FILT_HIT_BATCH * 2 + 5, XDP_DROP),
		SL_FILT_HIT_BATCH * 2 + 5);
	ck_assert_uint_eq(
		run_n(&e, "2001:db8:bad::9", VIP6, (struct sl_pb_spec){TCP(1, 443)}, 70, XDP_DROP),
		70);
	ck_assert_uint_eq(run_n(&e, "198.51.100.10", VIP4, s, 1, XDP_DROP), 1);
	ck_assert_int_eq(sl_filter_hits(e.filter, SL_FILT_ID_DENY, 2, hits), 0);
	ck_assert_uint_eq(hits[0], SL_FILT_HIT_BATCH * 2 + 6);
	ck_assert_uint_eq(hits[1], 70);
	ck_assert_int_eq(sl_filter_reset_counters(e.filter), 0);
	ck_assert_int_eq(sl_filter_hits(e.filter, SL_FILT_ID_DENY, 2, hits), 0);
	ck_assert_uint_eq(hits[0] + hits[1], 0);
	fenv_close(&e);
}
END_TEST

/*
 * A rule set replaced while the program runs: the new one applies at once,
 * and a refused one (bad prefix) leaves the old one in force.
 */
START_TEST(test_filter_replace_and_refuse)
{
	char err[SL_FILTER_ERR_LEN];
	struct sl_filter_cfg cfg;
	struct sl_pb_spec s = {TCP(1, 80)};
	struct fenv e;

	fenv_open(&e, false, DENY_24, NULL, false);
	ck_assert_uint_eq(run_n(&e, "198.51.100.9", VIP4, s, 1, XDP_DROP), 1);
	ck_assert_int_eq(
		sl_filter_cfg_from_json(&cfg, "{\"deny\": [\"203.0.113.0/24\"]}", err, sizeof(err)),
		0);
	ck_assert_int_eq(sl_filter_apply(e.filter, &cfg, SL_FILTER_PART_ALL, err, sizeof(err)), 0);
	sl_filter_cfg_free(&cfg);
	ck_assert_uint_eq(run_n(&e, "198.51.100.9", VIP4, s, 1, XDP_REDIRECT), 1);
	ck_assert_uint_eq(run_n(&e, "203.0.113.9", VIP4, s, 1, XDP_DROP), 1);

	/* A rule set that fails validation is refused whole */
	sl_filter_cfg_init(&cfg);
	cfg.deny = calloc(1, sizeof(*cfg.deny));
	cfg.n_deny = 1;
	cfg.deny[0].src.family = 4;
	cfg.deny[0].src.len = 33;
	ck_assert_int_eq(
		sl_filter_apply(e.filter, &cfg, SL_FILTER_PART_ALL, err, sizeof(err)), -EINVAL);
	ck_assert_msg(strstr(err, "deny.rules[0].prefix") != NULL, "error: %s", err);
	sl_filter_cfg_free(&cfg);
	ck_assert_uint_eq(run_n(&e, "203.0.113.9", VIP4, s, 1, XDP_DROP), 1);
	fenv_close(&e);
}
END_TEST

/*
 * Nested prefixes of many lengths (the prefix sets' markers): each source
 * is dropped by, and its hit counted on, the longest prefix covering it,
 * also where a longer prefix's marker sends the search the wrong way.
 */
START_TEST(test_filter_nested_prefixes)
{
	static const char *rules = "{\"deny\": [\"10.0.0.0/8\", \"10.1.2.3/32\", \"10.1.0.0/16\", "
				   "\"10.1.2.0/28\", \"10.200.0.0/20\", \"2001:db8::/32\", "
				   "\"2001:db8:1:2::/64\", \"2001:db8:1:2:3::/80\"]}";
	static const struct {
		const char *src;
		int rule; /* expected rule position, -1: none */
	} cases[] = {
		{"10.1.2.3", 1},
		{"10.1.2.4", 3},
		{"10.1.2.16", 2},
		{"10.1.9.9", 2},
		{"10.2.9.9", 0},
		{"10.200.15.1", 4},
		{"10.200.16.1", 0},
		{"11.1.2.3", -1},
		{"2001:db8:1:2:3::9", 7},
		{"2001:db8:1:2:4::9", 6},
		{"2001:db8:1:3::9", 5},
		{"2001:db9::1", -1},
	};
	struct fenv e;
	uint64_t hits[8], want[8] = {0};

	fenv_open(&e, false, rules, NULL, false);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		bool v6 = strchr(cases[i].src, ':') != NULL;
		struct sl_pb_spec s = {TCP(1, v6 ? 443 : 80)};

		ck_assert_msg(run_n(&e, cases[i].src, v6 ? VIP6 : VIP4, s, 1,
				      cases[i].rule < 0 ? XDP_REDIRECT : XDP_DROP) == 1,
			"%s: wrong verdict", cases[i].src);
		if (cases[i].rule >= 0)
			want[cases[i].rule]++;
	}
	ck_assert_int_eq(sl_filter_hits(e.filter, SL_FILT_ID_DENY, 8, hits), 0);
	for (int i = 0; i < 8; i++)
		ck_assert_msg(hits[i] == want[i], "rule %d: %llu hits, want %llu", i,
			(unsigned long long)hits[i], (unsigned long long)want[i]);
	fenv_close(&e);
}
END_TEST

/* 100k prefixes of mixed lengths, v4 and v6: loaded, and the boundaries still hold. */
START_TEST(test_filter_100k_prefixes)
{
	char err[SL_FILTER_ERR_LEN];
	struct sl_filter_cfg cfg;
	struct sl_pb_spec s = {TCP(1, 80)};
	struct fenv e;
	uint32_t n = 0;

	fenv_open(&e, false, NULL, NULL, false);
	sl_filter_cfg_init(&cfg);
	cfg.deny = calloc(100000, sizeof(*cfg.deny));
	ck_assert_ptr_nonnull(cfg.deny);
	for (uint32_t i = 0; i < 60000; i++) { /* 10.x.y.0/24 and 11.x.y.z/32 */
		struct sl_filter_prefix *p = &cfg.deny[n++].src;
		p->family = 4;
		p->addr[0] = (uint8_t)(i % 2 ? 11 : 10);
		p->addr[1] = (uint8_t)(i >> 8);
		p->addr[2] = (uint8_t)i;
		p->addr[3] = (uint8_t)(i % 2 ? i * 7 : 0);
		p->len = i % 2 ? 32 : 24;
	}
	for (uint32_t i = 0; i < 40000; i++) { /* 2001:db8:i::/48 and /64 */
		struct sl_filter_prefix *p = &cfg.deny[n++].src;
		p->family = 6;
		p->addr[0] = 0x20;
		p->addr[1] = 0x01;
		p->addr[2] = 0x0d;
		p->addr[3] = 0xb8;
		p->addr[4] = (uint8_t)(i >> 8);
		p->addr[5] = (uint8_t)i;
		p->addr[7] = (uint8_t)(i % 3);
		p->len = i % 3 ? 64 : 48;
	}
	cfg.n_deny = n;
	ck_assert_msg(sl_filter_apply(e.filter, &cfg, SL_FILTER_PART_ALL, err, sizeof(err)) == 0,
		"%s", err);
	sl_filter_cfg_free(&cfg);
	ck_assert_uint_eq(run_n(&e, "10.0.4.255", VIP4, s, 1, XDP_DROP), 1); /* i = 4 */
	ck_assert_uint_eq(run_n(&e, "10.0.5.1", VIP4, s, 1, XDP_REDIRECT), 1);
	ck_assert_uint_eq(run_n(&e, "11.0.5.35", VIP4, s, 1, XDP_DROP), 1); /* i = 5: 5 * 7 */
	ck_assert_uint_eq(run_n(&e, "11.0.5.36", VIP4, s, 1, XDP_REDIRECT), 1);
	ck_assert_uint_eq(run_n(&e, "2001:db8:0:ffff::1", VIP6, (struct sl_pb_spec){TCP(1, 443)}, 1,
				  XDP_DROP),
		1); /* i = 0: /48 */
	ck_assert_uint_eq(run_n(&e, "2001:db8:1:2::1", VIP6, (struct sl_pb_spec){TCP(1, 443)}, 1,
				  XDP_REDIRECT),
		1); /* i = 1: only 2001:db8:1:1::/64 */
	fenv_close(&e);
}
END_TEST

static Suite *
xdp_filter_suite(void)
{
	Suite *s = suite_create("xdp_filter");
	TCase *tc = tcase_create("filter");

	bt_require_root();
	tcase_add_unchecked_fixture(tc, fenv_setup, fenv_teardown);
	tcase_add_loop_test(
		tc, test_filter_fixtures, 0, (int)(sizeof(fixtures) / sizeof(fixtures[0])));
	tcase_add_test(tc, test_filter_rate_limit);
	tcase_add_test(tc, test_filter_rate_min_depth);
	tcase_add_test(tc, test_filter_rate_bytes_and_override);
	tcase_add_test(tc, test_filter_rate_monitor);
	tcase_add_test(tc, test_filter_rate_override_key);
	tcase_add_test(tc, test_filter_clock_moves);
	tcase_add_test(tc, test_filter_rate_two_cpus);
	tcase_add_test(tc, test_filter_syn_limit);
	tcase_add_test(tc, test_filter_syn_per_vip);
	tcase_add_test(tc, test_filter_hits_and_drops);
	tcase_add_test(tc, test_filter_hits_batched);
	tcase_add_test(tc, test_filter_replace_and_refuse);
	tcase_add_test(tc, test_filter_nested_prefixes);
	tcase_add_test(tc, test_filter_100k_prefixes);
	suite_add_tcase(s, tc);
	return s;
}

SL_TEST_MAIN(xdp_filter_suite)
