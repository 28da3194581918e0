/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sl_parse() per frame kind, over a small pool of pre-built frames (all in
 * L1, ports varied so the branch predictor sees realistic data). This is the
 * parser's own cost, not the cache misses of fetching a packet from the NIC.
 * Each figure is the best of a few runs, after one untimed warm-up run.
 */
#include <netinet/in.h>
#include <string.h>

#include "bench.h"
#include "parse.h"
#include "pktbuild.h"

#define POOL  64 /* frames per kind, power of two */
#define FRAME 192
#define RUNS  3

struct frame {
	uint8_t data[FRAME];
	uint32_t len;
};

enum kind {
	K_IPV4_TCP,
	K_IPV4_UDP,
	K_IPV6_TCP,
	K_IPV6_EXT_TCP,
	K_VLAN2_IPV4_TCP,
	K_ICMP4_FRAG_NEEDED,
	K_MAX,
};

static const char *const kind_name[K_MAX] = {
	[K_IPV4_TCP] = "ipv4_tcp",
	[K_IPV4_UDP] = "ipv4_udp",
	[K_IPV6_TCP] = "ipv6_tcp",
	[K_IPV6_EXT_TCP] = "ipv6_ext_tcp",
	[K_VLAN2_IPV4_TCP] = "vlan2_ipv4_tcp",
	[K_ICMP4_FRAG_NEEDED] = "icmp4_frag_needed",
};

static struct frame frames[POOL] __attribute__((aligned(64)));

static void
addrs(struct sl_pb_spec *s, const char *src, const char *dst)
{
	sl_pb_addr(src, &s->src, &s->family);
	sl_pb_addr(dst, &s->dst, &s->family);
}

/* Frame @i of kind @k into @f; -1 if the builder refused. */
static int
build(enum kind k, uint32_t i, struct frame *f)
{
	static uint8_t inner[FRAME];
	struct sl_pb_spec s;
	int n;

	sl_pb_spec_init(&s);
	s.proto = IPPROTO_TCP;
	s.sport = (uint16_t)(1024 + i * 7);
	s.dport = 80;
	s.tcp_flags = 0x10;
	s.payload_len = 6;
	switch (k) {
	case K_IPV4_TCP:
		addrs(&s, "198.51.100.7", "192.0.2.10");
		break;
	case K_IPV4_UDP:
		addrs(&s, "198.51.100.7", "192.0.2.10");
		s.proto = IPPROTO_UDP;
		s.dport = 53;
		s.payload_len = 32;
		break;
	case K_IPV6_TCP:
		addrs(&s, "2001:db8:1::7", "2001:db8::10");
		break;
	case K_IPV6_EXT_TCP:
		addrs(&s, "2001:db8:1::7", "2001:db8::10");
		s.n_ext = 2;
		s.ext_types[0] = 0;  /* hop-by-hop */
		s.ext_types[1] = 60; /* destination options */
		break;
	case K_VLAN2_IPV4_TCP:
		addrs(&s, "198.51.100.7", "192.0.2.10");
		s.n_vlans = 2;
		s.vlan_tpid[0] = 0x88a8;
		s.vlan_tci[0] = 100;
		s.vlan_tci[1] = (uint16_t)(200 + (i & 7));
		break;
	case K_ICMP4_FRAG_NEEDED: {
		/* a router tells the VIP that its reply to a client was too big */
		addrs(&s, "192.0.2.10", "198.51.100.7");
		s.sport = 80;
		s.dport = (uint16_t)(1024 + i * 7);
		s.df = true;
		n = sl_pb_build(&s, inner, sizeof(inner));
		if (n < 0)
			return -1;
		size_t l3 = sl_pb_l3_offset(&s);
		sl_pb_spec_init(&s);
		addrs(&s, "203.0.113.1", "192.0.2.10");
		s.proto = IPPROTO_ICMP;
		s.icmp_type = 3;
		s.icmp_code = 4;
		s.icmp_mtu = 1400;
		s.icmp_inner = inner + l3;
		s.icmp_inner_len = 28; /* RFC 792: IP header + 8 bytes */
		break;
	}
	default:
		return -1;
	}
	n = sl_pb_build(&s, f->data, sizeof(f->data));
	if (n < 0)
		return -1;
	f->len = (uint32_t)n;
	return 0;
}

static json_t *
one(enum kind k, uint64_t iters)
{
	struct sl_pkt pkt;
	double best_ns = 0, best_cyc = 0;
	uint64_t acc = 0;

	for (uint32_t i = 0; i < POOL; i++) {
		if (build(k, i, &frames[i]) < 0 ||
			sl_parse(frames[i].data, frames[i].len, &pkt) != SL_PARSE_OK)
			return json_pack("{s:s}", "error", "frame did not build or parse");
	}
	/* Run 0 is an untimed warm-up: the first loop of the process runs at a lower clock. */
	for (int r = 0; r <= RUNS; r++) {
		uint64_t t0 = sl_bench_ns(), c0 = sl_bench_tsc();
		for (uint64_t i = 0; i < iters; i++) {
			const struct frame *f = &frames[i & (POOL - 1)];
			enum sl_parse_verdict v = sl_parse(f->data, f->len, &pkt);
			/* consume the result so the call cannot be elided */
			acc += (uint64_t)v + pkt.flow.sport + pkt.inner.dport;
		}
		uint64_t c1 = sl_bench_tsc(), t1 = sl_bench_ns();
		double ns = (double)(t1 - t0) / (double)iters;
		double cyc = (double)(c1 - c0) / (double)iters;
		if (r == 0)
			continue;
		if (r == 1 || ns < best_ns) {
			best_ns = ns;
			best_cyc = cyc;
		}
	}
	SL_BENCH_SINK(acc);
	return json_pack("{s:i, s:f, s:f}", "frame_bytes", (json_int_t)frames[0].len,
		"ns_per_packet", best_ns, "cycles_per_packet", best_cyc);
}

void
sl_bench_parse(json_t *root, const struct sl_bench_opts *o)
{
	uint64_t iters = o->quick ? 200000 : 20000000;
	json_t *out = json_object();

	json_object_set_new(out, "iterations", json_integer((json_int_t)iters));
	for (int k = 0; k < K_MAX; k++)
		json_object_set_new(out, kind_name[k], one((enum kind)k, iters));
	json_object_set_new(root, "parse", out);
}
