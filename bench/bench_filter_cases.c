/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sluice-bench-filter's cases: what each case puts in our rule set and in
 * xdp-filter's maps, the frame, and the verdict both must return.
 */
#include <errno.h>
#include <linux/bpf.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "bench_filter.h"
#include "pktbuild.h"

#define SRC_MISS 0xc6336407u   /* 198.51.100.7, in no list */
#define DST_VIP	 "192.0.2.10"  /* tcp 80: a VIP in dataplane mode */
#define DST_NONE "192.0.2.99"  /* no VIP */
#define RATE_MAX 1000000000ULL /* a limit no test run reaches: every packet conforms */

const struct bf_case bf_cases[] = {
	{"pass", "parse, no rules, pass", "parse, 2 hash lookups (dst, src) in an empty map, pass",
		.standalone = true, .ref_variant = "alw_ip", .want_ours = XDP_PASS,
		.want_ref = XDP_PASS, .want_stat = SL_XDP_PASS},
	{"allow_hit_1k", "allowlist LPM hit (1k /32s), rest skipped, pass",
		"default-deny mode: dst miss, src hit (1k addresses), pass", .standalone = true,
		.src = BF_SRC_LISTED, .n_allow = 1000, .ref_variant = "dny_ip", .ref_n = 1000,
		.want_ours = XDP_PASS, .want_ref = XDP_PASS, .want_stat = SL_XDP_PASS},
	{"deny_hit_1k", "denylist LPM hit (1k /32s), drop",
		"dst miss, src hit (1k addresses), drop", .standalone = true, .src = BF_SRC_LISTED,
		.n_deny = 1000, .ref_variant = "alw_ip", .ref_n = 1000, .want_ours = XDP_DROP,
		.want_ref = XDP_DROP, .want_stat = SL_XDP_DROP_DENY},
	{"deny_hit_100k", "denylist LPM hit (100k /32s), drop",
		"dst miss, src hit (100k addresses), drop", .standalone = true,
		.src = BF_SRC_LISTED, .n_deny = 100000, .ref_variant = "alw_ip", .ref_n = 100000,
		.want_ours = XDP_DROP, .want_ref = XDP_DROP, .want_stat = SL_XDP_DROP_DENY},
	{"deny_hit_100k_mixed", "denylist LPM hit (100k: 50k /24s, 50k /32s), drop",
		"dst miss, src hit (100k addresses), drop", .standalone = true,
		.src = BF_SRC_LISTED, .n_deny = 100000, .mixed = true, .ref_variant = "alw_ip",
		.ref_n = 100000, .want_ours = XDP_DROP, .want_ref = XDP_DROP,
		.want_stat = SL_XDP_DROP_DENY},
	{"deny_miss_100k", "denylist LPM miss (100k /32s), pass",
		"dst miss, src miss (100k addresses), pass", .standalone = true, .n_deny = 100000,
		.ref_variant = "alw_ip", .ref_n = 100000, .want_ours = XDP_PASS,
		.want_ref = XDP_PASS, .want_stat = SL_XDP_PASS},
	{"deny_miss_100k_mixed", "denylist miss (100k: 50k /24s, 50k /32s), pass",
		"dst miss, src miss (100k addresses), pass", .standalone = true, .n_deny = 100000,
		.mixed = true, .ref_variant = "alw_ip", .ref_n = 100000, .want_ours = XDP_PASS,
		.want_ref = XDP_PASS, .want_stat = SL_XDP_PASS},
	{"rate_limit_1k", "denylist miss (1k), per-source packet and byte buckets taken, pass",
		"dst miss, src miss (1k addresses), pass", .standalone = true, .n_deny = 1000,
		.rate = true, .ref_variant = "alw_ip", .ref_n = 1000, .want_ours = XDP_PASS,
		.want_ref = XDP_PASS, .want_stat = SL_XDP_PASS},
	{"rate_over_1k", "denylist miss (1k), over its packet rate: bucket read, no write, drop",
		"dst miss, src hit (1k addresses), drop", .standalone = true,
		.src = BF_SRC_UNLISTED, .n_deny = 1000, .over = true, .ref_variant = "alw_ip",
		.ref_n = 1000, .ref_src = true, .want_ours = XDP_DROP, .want_ref = XDP_DROP,
		.want_stat = SL_XDP_DROP_RATE},
	{"redirect_no_rules", "parse, no rules, VIP lookup, redirect to the AF_XDP socket",
		"parse, 2 hash lookups in an empty map, pass", .to_vip = true,
		.ref_variant = "alw_ip", .want_ours = XDP_REDIRECT, .want_ref = XDP_PASS,
		.want_stat = SL_XDP_REDIRECT},
	{"redirect_1k", "denylist miss (1k), rate buckets, SYN check, VIP lookup, redirect",
		"dst miss, src miss (1k addresses), pass", .to_vip = true, .n_deny = 1000,
		.rate = true, .syn = true, .ref_variant = "alw_ip", .ref_n = 1000,
		.want_ours = XDP_REDIRECT, .want_ref = XDP_PASS, .want_stat = SL_XDP_REDIRECT},
};

const size_t bf_n_cases = sizeof(bf_cases) / sizeof(bf_cases[0]);

/* The source address of @c's frame (network order). */
uint32_t
bf_case_src(const struct bf_case *c)
{
	if (c->src == BF_SRC_UNLISTED)
		return htonl(SRC_MISS);
	if (c->mixed) /* inside the /24 of rule n/2 (an even one), not a /32 of the list */
		return htonl(0x14000000u + (c->n_deny / 4) * 256 + 77);
	return htonl(bf_host((c->n_allow + c->n_deny) / 2));
}

int
bf_build_frame(const struct bf_case *c, uint8_t *buf, size_t cap)
{
	struct sl_pb_spec s;
	uint8_t fam;

	sl_pb_spec_init(&s);
	sl_pb_addr(c->to_vip ? DST_VIP : DST_NONE, &s.dst, &s.family);
	sl_pb_addr("0.0.0.0", &s.src, &fam);
	memcpy(&s.src, (uint32_t[]){bf_case_src(c)}, 4);
	s.proto = IPPROTO_TCP;
	s.sport = 40000;
	s.dport = 80;
	s.tcp_flags = 0x10; /* ACK: established traffic */
	s.payload_len = 6;  /* 60 bytes: a minimum Ethernet frame without its FCS */
	return sl_pb_build(&s, buf, cap);
}

static void
host_prefix(struct sl_filter_prefix *p, uint32_t addr_host_order, uint8_t len)
{
	uint32_t a = htonl(addr_host_order);

	memset(p, 0, sizeof(*p));
	p->family = 4;
	p->len = len;
	memcpy(p->addr, &a, 4);
}

/* Our rule set for @c; @return 0 or -ENOMEM. */
int
bf_case_cfg(const struct bf_case *c, struct sl_filter_cfg *cfg)
{
	sl_filter_cfg_init(cfg);
	cfg->allow = calloc(c->n_allow + 1, sizeof(*cfg->allow));
	cfg->deny = calloc(c->n_deny + 1, sizeof(*cfg->deny));
	if (!cfg->allow || !cfg->deny)
		return -ENOMEM;
	for (uint32_t i = 0; i < c->n_allow; i++)
		host_prefix(&cfg->allow[cfg->n_allow++], bf_host(i), 32);
	for (uint32_t i = 0; i < c->n_deny; i++) {
		struct sl_filter_prefix *p = &cfg->deny[cfg->n_deny++].src;

		if (c->mixed && i % 2 == 0)
			host_prefix(p, 0x14000000u + (i / 2) * 256, 24); /* 20.0.0.0/24, ... */
		else
			host_prefix(p, bf_host(i), 32);
	}
	if (c->rate) {
		cfg->rate.pps = cfg->rate.bps = RATE_MAX;
		cfg->rate.burst_pkts = cfg->rate.burst_bytes = RATE_MAX;
	}
	if (c->over)
		cfg->rate.pps = 1;
	if (c->syn)
		cfg->syn_pps = RATE_MAX;
	return 0;
}
