/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Forwarding rewrites on small TCP packets (64-byte IPv4, 84-byte IPv6
 * frames). A rewrite changes the frame, so every iteration first restores it:
 * the template is copied into the next buffer of a small pool (it stays in L1,
 * and consecutive iterations do not wait on each other's stores). The same
 * loop with the copy alone is timed too, and "net" is the difference: the
 * rewrite's own cost. Each figure is the best of a few runs.
 */
#include <netinet/in.h>
#include <string.h>

#include "bench.h"
#include "encap.h"
#include "parse.h"
#include "pktbuild.h"

#define POOL	 64 /* power of two */
#define BUFSZ	 256
#define HEADROOM 128
#define RUNS	 3

enum op {
	OP_COPY, /* restore the frame only: the baseline */
	OP_IPIP4,
	OP_IP6IP6,
	OP_L2,
};

struct tmpl {
	uint8_t frame[BUFSZ - HEADROOM];
	uint32_t len;
	struct sl_pkt pkt;
	union sl_ip backend;
	uint8_t family;
};

static uint8_t pool[POOL][BUFSZ] __attribute__((aligned(64)));

/* One timed loop; always inlined so that @op is a constant in each copy. */
static inline __attribute__((always_inline)) uint64_t
run(const struct tmpl *t, enum op op, uint64_t iters, const struct sl_fwd_ctx *c, double *ns,
	double *cyc)
{
	static const uint8_t mac[SL_ETH_ALEN] = {0x02, 0, 0, 0, 0xcc, 0x03};
	uint64_t acc = 0, not_ok = 0;
	uint16_t hint = 0;
	uint64_t t0 = sl_bench_ns(), c0 = sl_bench_tsc();

	for (uint64_t i = 0; i < iters; i++) {
		uint8_t *m = pool[i & (POOL - 1)];
		struct sl_buf b = {.data = m + HEADROOM, .len = t->len, .headroom = HEADROOM};
		enum sl_fwd_verdict v = SL_FWD_OK;

		memcpy(b.data, t->frame, t->len);
		switch (op) {
		case OP_COPY:
			break;
		case OP_IPIP4:
		case OP_IP6IP6:
			v = sl_encap_ip(&b, &t->pkt, &t->backend, t->family, (uint32_t)i, c, &hint);
			break;
		case OP_L2:
			v = sl_l2_rewrite(&b, &t->pkt, mac, c, &hint);
			break;
		}
		not_ok += v != SL_FWD_OK;
		acc += b.len + b.data[13];
	}
	uint64_t c1 = sl_bench_tsc(), t1 = sl_bench_ns();
	SL_BENCH_SINK(acc);
	*ns = (double)(t1 - t0) / (double)iters;
	*cyc = (double)(c1 - c0) / (double)iters;
	return not_ok;
}

/* Best time of RUNS runs; returns the number of packets that were not SL_FWD_OK. */
static uint64_t
best_of(const struct tmpl *t, enum op op, uint64_t iters, const struct sl_fwd_ctx *c, double *ns,
	double *cyc)
{
	uint64_t not_ok = 0;
	double n, y;

	*ns = *cyc = 0;
	for (int r = 0; r < RUNS; r++) {
		switch (op) {
		case OP_COPY:
			not_ok += run(t, OP_COPY, iters, c, &n, &y);
			break;
		case OP_IPIP4:
			not_ok += run(t, OP_IPIP4, iters, c, &n, &y);
			break;
		case OP_IP6IP6:
			not_ok += run(t, OP_IP6IP6, iters, c, &n, &y);
			break;
		case OP_L2:
			not_ok += run(t, OP_L2, iters, c, &n, &y);
			break;
		}
		if (r == 0 || n < *ns)
			*ns = n;
		if (r == 0 || y < *cyc)
			*cyc = y;
	}
	return not_ok;
}

/* Build and parse the template; -1 if the parser refuses it. */
static int
make_tmpl(struct tmpl *t, const char *src, const char *dst, const char *backend)
{
	struct sl_pb_spec s;
	uint8_t fam;

	sl_pb_spec_init(&s);
	sl_pb_addr(src, &s.src, &s.family);
	sl_pb_addr(dst, &s.dst, &s.family);
	s.proto = IPPROTO_TCP;
	s.sport = 40000;
	s.dport = 80;
	s.tcp_flags = 0x10;
	s.df = true;
	s.payload_len = 10;
	int n = sl_pb_build(&s, t->frame, sizeof(t->frame));
	if (n < 0)
		return -1;
	t->len = (uint32_t)n;
	sl_pb_addr(backend, &t->backend, &fam);
	t->family = fam;
	return sl_parse(t->frame, t->len, &t->pkt) == SL_PARSE_OK ? 0 : -1;
}

static json_t *
one(const struct tmpl *t, enum op op, uint64_t iters, const struct sl_fwd_ctx *c, double copy_ns,
	double copy_cyc)
{
	double ns, cyc;
	uint64_t not_ok = best_of(t, op, iters, c, &ns, &cyc);

	/* not_ok must be 0: otherwise the figure times a refusal, not a rewrite */
	return json_pack("{s:i, s:f, s:f, s:f, s:f, s:i}", "frame_bytes", (json_int_t)t->len,
		"ns_per_packet", ns - copy_ns, "cycles_per_packet", cyc - copy_cyc,
		"gross_ns_per_packet", ns, "gross_cycles_per_packet", cyc, "not_ok",
		(json_int_t)not_ok);
}

void
sl_bench_encap(json_t *root, const struct sl_bench_opts *o)
{
	static struct tmpl t4, t6;
	struct sl_fwd_ctx c;
	uint64_t iters = o->quick ? 200000 : 20000000;
	json_t *out = json_object();
	double copy4_ns, copy4_cyc, copy6_ns, copy6_cyc;

	memset(&c, 0, sizeof(c));
	c.mtu = 1500;
	c.ttl = 64;
	c.src4_prefix = htonl(0xac100000u); /* 172.16.0.0/16 */
	c.src4_prefix_len = 16;
	c.src6_prefix[0] = 0x20;
	c.src6_prefix[1] = 0x01;
	c.src6_prefix_len = 64;

	json_object_set_new(out, "iterations", json_integer((json_int_t)iters));
	if (make_tmpl(&t4, "198.51.100.7", "192.0.2.10", "10.1.2.3") < 0 ||
		make_tmpl(&t6, "2001:db8::7", "2001:db8::10", "2001:db8:1::5") < 0) {
		json_object_set_new(out, "error", json_string("template frame did not parse"));
		json_object_set_new(root, "encap", out);
		return;
	}
	best_of(&t4, OP_COPY, iters, &c, &copy4_ns, &copy4_cyc);
	best_of(&t6, OP_COPY, iters, &c, &copy6_ns, &copy6_cyc);
	json_object_set_new(out, "copy",
		json_pack("{s:f, s:f, s:f, s:f, s:s}", "ns_per_packet_64b", copy4_ns,
			"cycles_per_packet_64b", copy4_cyc, "ns_per_packet_84b", copy6_ns,
			"cycles_per_packet_84b", copy6_cyc, "note",
			"restoring the frame each iteration; subtracted from the figures below "
			"(gross_* include it)"));
	json_object_set_new(out, "ipip4", one(&t4, OP_IPIP4, iters, &c, copy4_ns, copy4_cyc));
	json_object_set_new(out, "ip6ip6", one(&t6, OP_IP6IP6, iters, &c, copy6_ns, copy6_cyc));
	json_object_set_new(out, "l2_rewrite", one(&t4, OP_L2, iters, &c, copy4_ns, copy4_cyc));
	json_object_set_new(root, "encap", out);
}
