/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sluice-pktgen's byte-level parts: packets written from templates parse and
 * carry correct checksums, the stamp survives encapsulation, malformed
 * streams get the parser verdict they are meant to, profiles are decoded
 * strictly, the stream schedule honours the shares, and the latency
 * histogram's buckets and quantiles are right.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "encap.h"
#include "hist.h"
#include "parse.h"
#include "pg.h"
#include "pkt.h"
#include "pktbuild.h"
#include "test-common.h"

#define HEADROOM 128
#define DIM(a)	 (sizeof(a) / sizeof((a)[0]))

/* The L4 checksum of a parsed frame, computed from scratch: 0 when it is right. */
static uint16_t
l4_check(const uint8_t *f, const struct sl_pkt *pkt)
{
	const uint8_t *ip = f + pkt->l3_off;
	uint32_t l4_len = pkt->l3_len - (pkt->l4_off - pkt->l3_off), sum = 0;

	if (pkt->flow.family == SL_FAMILY_IPV4) {
		for (int i = 12; i < 20; i += 2)
			sum += (uint32_t)(ip[i] << 8 | ip[i + 1]);
	} else {
		for (int i = 8; i < 40; i += 2)
			sum += (uint32_t)(ip[i] << 8 | ip[i + 1]);
	}
	sum += pkt->flow.proto + l4_len;
	return sl_test_csum(f + pkt->l4_off, l4_len, sum);
}

static const char *const base_json =
	"{\"streams\": [{\"name\": \"a\", \"type\": \"%s\", \"dst\": \"%s\", \"src\": \"%s\", "
	"\"sport\": \"1000-1099\", \"flows\": 5000, \"size\": %s}]}";

static void
load(struct pg_profile *p, const char *type, const char *dst, const char *src, const char *size)
{
	char text[512], err[PG_ERR_LEN];

	snprintf(text, sizeof(text), base_json, type, dst, src, size);
	int rc = pg_profile_from_json(p, text, err, sizeof(err));
	ck_assert_msg(rc == 0, "%s: %s", text, err);
}

/* Every type, family and size: parse OK, right fields, right checksums, stamp readable. */
START_TEST(test_fill_valid_packets)
{
	static const char *const types[] = {"tcp_syn", "tcp_ack", "udp"};
	static const char *const sizes[] = {"60", "61", "80", "590", "1514", "\"imix\""};
	static const struct {
		const char *dst, *src;
	} fams[] = {{"192.0.2.80", "10.0.0.0/8"}, {"2001:db8::80", "fd00:10::/64"}};

	for (unsigned t = 0; t < 3; t++) {
		for (unsigned f = 0; f < 2; f++) {
			for (unsigned z = 0; z < DIM(sizes); z++) {
				struct pg_profile p;
				bool v6 = f == 1, tcp = t < 2;
				/* IPv6 TCP needs 80 bytes: below that the profile is refused. */
				if (v6 && atoi(sizes[z]) && atoi(sizes[z]) < (tcp ? 80 : 68))
					continue;
				load(&p, types[t], fams[f].dst, fams[f].src, sizes[z]);
				const struct pg_stream *s = &p.streams[0];
				for (unsigned k = 0; k < s->n_sizes; k++) {
					const struct pg_tmpl *tm = s->tmpl[k];
					for (uint64_t i = 0; i < 300; i += 37) {
						uint8_t buf[PG_MAX_FRAME];
						struct sl_pkt pkt;
						struct pg_peek pk;
						uint32_t addr;
						uint16_t port;

						pg_flow_src(s, i, &addr, &port);
						pg_fill(buf, tm, addr, port, 7, 0,
							0xdeadbeefu + (uint32_t)i);
						ck_assert_int_eq(
							sl_parse(buf, tm->len, &pkt), SL_PARSE_OK);
						ck_assert_uint_eq(pkt.flow.proto,
							tcp ? IPPROTO_TCP : IPPROTO_UDP);
						ck_assert_uint_eq(ntohs(pkt.flow.sport), port);
						ck_assert_uint_eq(ntohs(pkt.flow.dport), 80);
						ck_assert_uint_eq(pkt.tcp_flags,
							t == 0 ? 0x02 : (tcp ? 0x10 : 0));
						uint32_t got = ntohl(
							v6 ? pkt.flow.src.w[3] : pkt.flow.src.v4);
						ck_assert_uint_eq(got, addr);
						if (!v6)
							ck_assert_uint_eq(sl_test_csum(buf + 14, 20, 0), 0);
						ck_assert_uint_eq(l4_check(buf, &pkt), 0);
						ck_assert(pg_peek_stamp(buf, tm->len, &pk));
						ck_assert_uint_eq(pk.tag, 7);
						ck_assert_uint_eq(pk.sid, 0);
						ck_assert_uint_eq(pk.ts, 0xdeadbeefu + (uint32_t)i);
						ck_assert(!pk.encap);
					}
				}
				pg_profile_free(&p);
			}
		}
	}
}
END_TEST

/* Flow i -> (address, port): ports first, then the next address. */
START_TEST(test_flow_mapping)
{
	struct pg_profile p;
	uint32_t addr;
	uint16_t port;

	load(&p, "tcp_ack", "192.0.2.80", "10.1.0.0/16", "60");
	const struct pg_stream *s = &p.streams[0];
	ck_assert_uint_eq(s->n_ports, 100);
	ck_assert_uint_eq(s->n_addrs, 65536);
	pg_flow_src(s, 0, &addr, &port);
	ck_assert_uint_eq(addr, 0x0a010000);
	ck_assert_uint_eq(port, 1000);
	pg_flow_src(s, 99, &addr, &port);
	ck_assert_uint_eq(addr, 0x0a010000);
	ck_assert_uint_eq(port, 1099);
	pg_flow_src(s, 4999, &addr, &port);
	ck_assert_uint_eq(addr, 0x0a010000 + 49);
	ck_assert_uint_eq(port, 1099);
	pg_profile_free(&p);
}
END_TEST

/* After IPv4-in-IPv4 / IPv6-in-IPv6 encapsulation and L2 rewrite the stamp and source read
 * back. */
START_TEST(test_stamp_survives_forwarding)
{
	static const struct {
		const char *dst, *src, *backend;
	} cases[] = {{"192.0.2.80", "10.0.0.0/8", "10.97.0.1"},
		{"2001:db8::80", "fd00:10::/64", "fd00:97::1"}};

	for (unsigned c = 0; c < 2; c++) {
		for (int l2 = 0; l2 < 2; l2++) {
			struct pg_profile p;
			uint8_t mem[HEADROOM + PG_MAX_FRAME + 64];
			struct sl_fwd_ctx ctx = {.mtu = 1500, .ttl = 64, .src4_prefix_len = 16};
			struct sl_buf b = {.data = mem + HEADROOM, .headroom = HEADROOM};
			struct sl_pkt pkt;
			struct pg_peek pk;
			union sl_ip be;
			uint8_t fam, mac[6] = {2, 0, 0, 0, 0, 9};
			uint16_t hint, port;
			uint32_t addr, a2;

			load(&p, "udp", cases[c].dst, cases[c].src, "90");
			const struct pg_tmpl *tm = p.streams[0].tmpl[0];
			pg_flow_src(&p.streams[0], 1234, &addr, &port);
			pg_fill(b.data, tm, addr, port, 9, 0, 42);
			b.len = tm->len;
			ck_assert_int_eq(sl_parse(b.data, b.len, &pkt), SL_PARSE_OK);
			ck_assert_int_eq(sl_pb_addr(cases[c].backend, &be, &fam), 0);
			if (l2)
				ck_assert_int_eq(
					sl_l2_rewrite(&b, &pkt, mac, &ctx, &hint), SL_FWD_OK);
			else
				ck_assert_int_eq(sl_encap_ip(&b, &pkt, &be, fam, 77, &ctx, &hint),
					SL_FWD_OK);
			ck_assert(pg_peek_stamp(b.data, b.len, &pk));
			ck_assert_uint_eq(pk.tag, 9);
			ck_assert_uint_eq(pk.ts, 42);
			ck_assert_int_eq(pk.encap, !l2);
			ck_assert(pg_peek_src(b.data, b.len, pk.encap, &a2, &port));
			ck_assert_uint_eq(a2, addr);
			pg_profile_free(&p);
		}
	}
}
END_TEST

/* Each malformation is rejected by the dataplane's parser with its own verdict. */
START_TEST(test_malformed_verdicts)
{
	static const struct {
		const char *json;
		enum sl_parse_verdict want;
	} cases[] = {
		{"\"type\": \"tcp_ack\", \"malformed\": \"ip_version\"", SL_PARSE_BAD_IP4_VERSION},
		{"\"type\": \"tcp_ack\", \"malformed\": \"ip_ihl\"", SL_PARSE_BAD_IP4_IHL},
		{"\"type\": \"tcp_syn\", \"malformed\": \"tcp_doff\"", SL_PARSE_BAD_TCP_DOFF},
		{"\"type\": \"udp\", \"malformed\": \"udp_len\"", SL_PARSE_BAD_UDP_LEN},
		{"\"type\": \"udp\", \"malformed\": \"ip_version\", \"dst\": \"2001:db8::1\", "
		 "\"size\": "
		 "80",
			SL_PARSE_BAD_IP6_VERSION},
	};

	for (unsigned i = 0; i < DIM(cases); i++) {
		struct pg_profile p;
		char text[256], err[PG_ERR_LEN];
		uint8_t buf[PG_MAX_FRAME];
		struct sl_pkt pkt;
		struct pg_peek pk;

		snprintf(text, sizeof(text), "{\"streams\": [{%s}]}", cases[i].json);
		ck_assert_msg(pg_profile_from_json(&p, text, err, sizeof(err)) == 0, "%s", err);
		ck_assert_int_eq(p.streams[0].expect, PG_EXPECT_DROP);
		const struct pg_tmpl *tm = p.streams[0].tmpl[0];
		pg_fill(buf, tm, 0x0a000001, 1024, 3, 0, 5);
		ck_assert_int_eq(sl_parse(buf, tm->len, &pkt), cases[i].want);
		ck_assert(pg_peek_stamp(buf, tm->len, &pk));
		ck_assert_uint_eq(pk.tag, 3);
		pg_profile_free(&p);
	}
}
END_TEST

/* Bad profiles are refused with the field's path and the reason. */
START_TEST(test_profile_errors)
{
	static const struct {
		const char *json, *msg;
	} cases[] = {
		{"[]", "expected a JSON object"},
		{"{}", "streams: required"},
		{"{\"streams\": []}", "streams: expected an array of 1..16"},
		{"{\"streams\": [{}], \"x\": 1}", "x: unknown key"},
		{"{\"streams\": [{\"dport\": 70000}]}",
			"streams[0].dport: 70000 is outside 1..65535"},
		{"{\"streams\": [{\"dport\": 80.5}]}", "streams[0].dport: expected an integer"},
		{"{\"streams\": [{}, {\"wieght\": 1}]}", "streams[1].wieght: unknown key"},
		{"{\"streams\": [{\"type\": \"icmp\"}]}", "streams[0].type: 'icmp' is not one of"},
		{"{\"streams\": [{\"dst\": \"1.2.3\"}]}", "streams[0].dst: '1.2.3' is not an IPv4"},
		{"{\"streams\": [{\"src\": \"10.0.0.1/8\"}]}", "streams[0].src: expected a prefix"},
		{"{\"streams\": [{\"src\": \"fd00::/64\"}]}", "streams[0].src: family differs"},
		{"{\"streams\": [{\"sport\": \"9-2\"}]}", "streams[0].sport: expected a port"},
		{"{\"streams\": [{\"size\": 59}]}", "streams[0].size: 59 is outside 60..1514"},
		{"{\"streams\": [{\"size\": \"jumbo\"}]}",
			"streams[0].size: expected a frame size"},
		{"{\"streams\": [{\"dst\": \"2001:db8::1\", \"size\": 70}]}",
			"streams[0]: size: 70 bytes is below the 80"},
		{"{\"streams\": [{\"src\": \"10.0.0.0/30\", \"sport\": 7, \"flows\": 5}]}",
			"streams[0]: flows: 5 flows need more than the 4 addresses x 1 ports"},
		{"{\"streams\": [{\"random_src\": true, \"flows\": 3}]}",
			"streams[0]: random_src: a random source makes every packet a new flow"},
		{"{\"streams\": [{\"type\": \"udp\", \"malformed\": \"tcp_doff\"}]}",
			"streams[0]: malformed: tcp_doff needs a TCP stream"},
		{"{\"streams\": [{\"name\": \"a b\"}]}", "streams[0].name: expected 1..31"},
		{"{\"streams\": [{\"name\": \"x\"}, {\"name\": \"x\"}]}",
			"streams: streams[0] and streams[1] are both named 'x'"},
		{"{\"streams\": [{\"share\": 0}]}", "streams[0].share: 0 is outside 1..1000"},
		{"{\"streams\": [{\"share\": 1000}, {\"share\": 1000}, {\"share\": 1000}, "
		 "{\"share\": 1000}, {\"share\": 1000}]}",
			"streams: shares add up to 5000, above 4096"},
		{"{\"src_mac\": \"02:00:00:00:00\", \"streams\": [{}]}", "src_mac: expected a MAC"},
		{"{\"streams\": [{}], \"streams\": [{}]}", "invalid JSON"},
	};

	for (unsigned i = 0; i < DIM(cases); i++) {
		struct pg_profile p;
		char err[PG_ERR_LEN] = "";

		ck_assert_int_eq(
			pg_profile_from_json(&p, cases[i].json, err, sizeof(err)), -EINVAL);
		ck_assert_msg(strstr(err, cases[i].msg), "%s: got '%s', want '%s'", cases[i].json,
			err, cases[i].msg);
		pg_profile_free(&p);
	}
}
END_TEST

/* The stream schedule has each stream exactly `share` times per cycle, spread out. */
START_TEST(test_schedule_shares)
{
	struct pg_profile p;
	char err[PG_ERR_LEN];
	unsigned count[3] = {0}, last = 0, longest = 0, run = 0;

	ck_assert_int_eq(
		pg_profile_from_json(&p,
			"{\"streams\": [{\"name\": \"a\", \"share\": 90}, {\"name\": \"b\", "
			"\"share\": 9}, {\"name\": \"c\", \"share\": 1}]}",
			err, sizeof(err)),
		0);
	ck_assert_uint_eq(p.sched_len, 100);
	for (unsigned i = 0; i < p.sched_len; i++) {
		count[p.sched[i]]++;
		run = (i && p.sched[i] == last) ? run + 1 : 1;
		last = p.sched[i];
		if (run > longest)
			longest = run;
	}
	ck_assert_uint_eq(count[0], 90);
	ck_assert_uint_eq(count[1], 9);
	ck_assert_uint_eq(count[2], 1);
	ck_assert_uint_le(longest, 10); /* interleaved, not 90 a's then 9 b's */
	pg_profile_free(&p);

	/* IMIX: 7:4:1 of 60, 590, 1514 bytes. */
	load(&p, "tcp_ack", "192.0.2.80", "10.0.0.0/8", "\"imix\"");
	const struct pg_stream *s = &p.streams[0];
	unsigned sz[3] = {0};
	ck_assert_uint_eq(s->size_sched_len, 12);
	for (unsigned i = 0; i < s->size_sched_len; i++)
		sz[s->size_sched[i]]++;
	ck_assert_uint_eq(sz[0], 7);
	ck_assert_uint_eq(sz[1], 4);
	ck_assert_uint_eq(sz[2], 1);
	ck_assert_uint_eq(s->sizes[0], 60);
	ck_assert_uint_eq(s->sizes[2], 1514);
	pg_profile_free(&p);
}
END_TEST

/* Every value falls in its bucket's bounds, buckets are contiguous, quantiles are right. */
START_TEST(test_hist)
{
	static struct pg_hist h, h2;
	uint64_t lo, w, prev_end = 0;

	for (unsigned i = 0; i < PG_HIST_BUCKETS; i++) {
		pg_hist_bounds(i, &lo, &w);
		ck_assert_uint_eq(lo, prev_end);
		prev_end = lo + w;
		ck_assert_uint_eq(pg_hist_index((uint32_t)lo), i);
		ck_assert_uint_eq(pg_hist_index((uint32_t)(lo + w - 1)), i);
		if (lo >= PG_HIST_EXACT)
			ck_assert_uint_le(w * 32, lo); /* at most 1/32 of the value */
	}
	ck_assert_uint_eq(prev_end, 1ull << 32);
	ck_assert_uint_eq(pg_hist_index(UINT32_MAX), PG_HIST_BUCKETS - 1);

	memset(&h, 0, sizeof(h));
	ck_assert(pg_hist_quantile(&h, 0.5) == 0);
	for (uint32_t v = 1; v <= 10000; v++)
		pg_hist_add(&h, v);
	ck_assert_uint_eq(h.n, 10000);
	ck_assert_uint_eq(h.min, 1);
	ck_assert_uint_eq(h.max, 10000);
	double p50 = pg_hist_quantile(&h, 0.5), p99 = pg_hist_quantile(&h, 0.99),
	       p999 = pg_hist_quantile(&h, 0.999);
	ck_assert_msg(p50 > 5000 * 0.97 && p50 < 5000 * 1.03, "p50 %f", p50);
	ck_assert_msg(p99 > 9900 * 0.97 && p99 < 9900 * 1.03, "p99 %f", p99);
	ck_assert_msg(p999 > 9990 * 0.97 && p999 <= 10000, "p999 %f", p999);
	ck_assert(pg_hist_quantile(&h, 0.000001) == 1);

	/* Merging two halves gives the whole. */
	memset(&h, 0, sizeof(h));
	memset(&h2, 0, sizeof(h2));
	for (uint32_t v = 0; v < 1000; v++)
		pg_hist_add(v < 500 ? &h : &h2, v * 7);
	pg_hist_merge(&h, &h2);
	ck_assert_uint_eq(h.n, 1000);
	ck_assert_uint_eq(h.min, 0);
	ck_assert_uint_eq(h.max, 999 * 7);
	ck_assert_uint_eq(h.sum, 7ull * 999 * 1000 / 2);
}
END_TEST

static Suite *
pktgen_suite(void)
{
	Suite *s = suite_create("pktgen");

	SL_TCASE(s, test_fill_valid_packets);
	SL_TCASE(s, test_flow_mapping);
	SL_TCASE(s, test_stamp_survives_forwarding);
	SL_TCASE(s, test_malformed_verdicts);
	SL_TCASE(s, test_profile_errors);
	SL_TCASE(s, test_schedule_shares);
	SL_TCASE(s, test_hist);
	return s;
}

SL_TEST_MAIN(pktgen_suite)
