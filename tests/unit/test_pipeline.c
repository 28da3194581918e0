/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The worker pipeline, dp_pipeline(), end to end on mbufs (EAL with plain
 * memory, no ports): every kind of frame goes in, and what comes out is
 * compared byte for byte with what the core functions say must happen,
 * worked out here on a copy of the frame: the backend the VIP's Maglev
 * table gives the flow (or the one its conntrack entry remembers), the
 * general parser (not the fast path), sl_encap_ip() (not the per-backend
 * template) or sl_l2_rewrite(), with the flow's conntrack hash. The counters
 * are checked too, and that the packets come out in the order they came in.
 *
 * This is what stands behind the pipeline's straight path for established
 * flows and its out-of-line paths for the rest (pipeline.c): each frame
 * here goes through both, as a new flow, then as an established one.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>

#include "dp.h"
#include "flowhash.h"
#include "maglev.h"
#include "pktbuild.h"
#include "test-common.h"

#define FRAME_MAX 2048
#define NOW	  100000 /* ms; any value */

static const uint8_t PORT_MAC[6] = {0x02, 0x5c, 0, 0, 0, 0x01};

static struct rte_mempool *pool;
static struct dp_worker *worker;

/*
 * Four VIPs: encap IPv4 TCP port 80 (5-tuple), L2 UDP all ports, encap
 * IPv6, UDP all ports hashed on the source address. Non-first fragments
 * (no ports) can only match an all-ports VIP, and only a source-address
 * hash can place them.
 */
static const char *const CFG_FMT =
	"{\"flow_capacity\": 1024, \"seed\": 77, \"mtu\": 1500, \"ttl\": 33,"
	" \"nexthop_mac\": \"02:00:00:00:00:fe\", \"encap_source_v4\": \"172.16.0.0/16\","
	" \"encap_source_v6\": \"2001:db8:ffff::/64\", \"vips\": ["
	"{\"address\": \"192.0.2.80\", \"protocol\": \"tcp\", \"port\": 80, \"backends\": [%s]},"
	"{\"address\": \"192.0.2.81\", \"protocol\": \"udp\", \"port\": 0, \"forwarding\": \"l2\","
	" \"backends\": [{\"address\": \"10.2.0.1\", \"mac\": \"02:00:00:00:02:01\"},"
	" {\"address\": \"10.2.0.2\", \"mac\": \"02:00:00:00:02:02\"}]},"
	"{\"address\": \"2001:db8:80::1\", \"protocol\": \"tcp\", \"port\": 443, \"backends\": ["
	" {\"address\": \"2001:db8:1::1\"}, {\"address\": \"2001:db8:1::2\"}]},"
	"{\"address\": \"192.0.2.82\", \"protocol\": \"udp\", \"port\": 0, \"hash\": \"src_ip\","
	" \"backends\": [{\"address\": \"10.3.0.1\"}, {\"address\": \"10.3.0.2\"}]}]}";

static const char *const BACKENDS_3 =
	"{\"address\": \"10.1.0.1\"}, {\"address\": \"10.1.0.2\"}, {\"address\": \"10.1.0.3\"}";

/* Apply a config whose first VIP has @backends (a JSON list body). */
static void
apply(const char *backends)
{
	char json[4096], err[SL_CFG_ERR_LEN];
	struct sl_cfg cfg;

	snprintf(json, sizeof(json), CFG_FMT, backends);
	ck_assert_msg(sl_cfg_from_json(&cfg, json, strlen(json), err, sizeof(err)) == 0, "%s", err);
	ck_assert_msg(dp_gen_apply(&cfg, err, sizeof(err)) == 0, "%s", err);
	sl_cfg_free(&cfg);
}

/* A fresh worker (empty conntrack table, zero counters) and the first config. */
static void
fresh(void)
{
	char json[4096], err[SL_CFG_ERR_LEN];
	struct sl_cfg cfg;

	if (worker) {
		rte_free(worker->vip_ctr);
		rte_free(worker->be_ctr);
		rte_free(worker->be_new_flows);
		rte_free((void *)worker->ct);
		rte_free(worker);
	}
	snprintf(json, sizeof(json), CFG_FMT, BACKENDS_3);
	ck_assert_msg(sl_cfg_from_json(&cfg, json, strlen(json), err, sizeof(err)) == 0, "%s", err);
	worker = dp_worker_create(0, 0, &cfg);
	ck_assert_ptr_nonnull(worker);
	dp.workers[0] = worker;
	sl_cfg_free(&cfg);
	apply(BACKENDS_3);
}

static void
spec(struct sl_pb_spec *s, const char *src, const char *dst, uint8_t proto, uint16_t sport,
	uint16_t dport)
{
	uint8_t fam;

	sl_pb_spec_init(s);
	memcpy(s->dst_mac, PORT_MAC, 6);
	ck_assert_int_eq(sl_pb_addr(src, &s->src, &fam), 0);
	ck_assert_int_eq(sl_pb_addr(dst, &s->dst, &s->family), 0);
	s->proto = proto;
	s->sport = sport;
	s->dport = dport;
	s->tcp_flags = 0x10;
	s->payload_len = 20;
}

/* What went in, and what must come out of it. */
struct frame {
	uint8_t in[FRAME_MAX];
	int in_len;
	bool out;		/* comes out at all */
	uint16_t port;		/* egress port index, UINT16_MAX: the exception port */
	uint8_t exp[FRAME_MAX]; /* the frame that comes out */
	uint32_t exp_len;
};

static struct rte_mbuf *
mbuf_of(const struct frame *f)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);

	ck_assert_ptr_nonnull(m);
	uint8_t *p = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)f->in_len);
	ck_assert_ptr_nonnull(p);
	memcpy(p, f->in, (size_t)f->in_len);
	return m;
}

/* The backend the current config's Maglev table gives @k's flow on its VIP. */
static uint32_t
maglev_backend(const struct sl_flow_key *k)
{
	const struct dp_gen *g = dp.gen;
	int32_t vi = dp_vip_lookup(g, dp_vip_words_from(k->family, &k->dst, k->proto, k->dport));

	if (vi < 0)
		vi = dp_vip_lookup(g, dp_vip_words_from(k->family, &k->dst, k->proto, 0));
	ck_assert_int_ge(vi, 0);
	const struct dp_vip *v = &g->vips[vi];
	return v->table[sl_maglev_slot(sl_flow_hash(k, v->hash, g->seed), v->table_size)];
}

/* The flow of the frame, as the general parser sees it. */
static struct sl_flow_key
flow_of(const struct frame *f)
{
	struct sl_pkt pkt;

	ck_assert_int_eq(sl_parse_general(f->in, (uint32_t)f->in_len, &pkt), SL_PARSE_OK);
	return pkt.flow;
}

/* f->exp: @f forwarded to backend slot @be (encap, or L2 when @l2). */
static void
expect_forward(struct frame *f, uint32_t be, bool l2)
{
	const struct dp_gen *g = dp.gen;
	const struct dp_backend *b = &g->backends[be];
	uint8_t mem[FRAME_MAX + RTE_PKTMBUF_HEADROOM];
	struct sl_buf buf = {.data = mem + RTE_PKTMBUF_HEADROOM,
		.len = (uint32_t)f->in_len,
		.headroom = RTE_PKTMBUF_HEADROOM};
	struct sl_fwd_ctx fwd = g->fwd;
	struct sl_pkt pkt;
	uint16_t hint = 0;

	memcpy(fwd.src_mac, PORT_MAC, 6);
	memcpy(buf.data, f->in, (size_t)f->in_len);
	ck_assert_int_eq(sl_parse_general(buf.data, buf.len, &pkt), SL_PARSE_OK);
	const struct sl_flow_key *k = &pkt.flow;
	struct sl_flow_key rev;
	if (pkt.flags & SL_PKT_F_ICMP_ERROR) {
		sl_flow_key_reverse(&rev, &pkt.inner);
		k = &rev;
	}
	enum sl_fwd_verdict v = l2 ? sl_l2_rewrite(&buf, &pkt, b->mac, &fwd, &hint)
				   : sl_encap_ip(&buf, &pkt, &b->addr, b->family,
					     sl_ct_hash(worker->ct, k), &fwd, &hint);
	ck_assert_int_eq(v, SL_FWD_OK);
	f->out = true;
	f->port = 0;
	memcpy(f->exp, buf.data, buf.len);
	f->exp_len = buf.len;
}

/* @f comes out as it went in, to the exception port. */
static void
expect_exception(struct frame *f)
{
	f->out = true;
	f->port = UINT16_MAX;
	memcpy(f->exp, f->in, (size_t)f->in_len);
	f->exp_len = (uint32_t)f->in_len;
}

/* Run @n frames as one burst and check what comes out, in order; frees it. */
static void
run_burst(struct frame *fr, unsigned n, uint32_t now)
{
	struct rte_mbuf *pk[DP_BURST];
	struct dp_out out = {.n = 0};
	unsigned k = 0;

	ck_assert_uint_le(n, DP_BURST);
	for (unsigned i = 0; i < n; i++)
		pk[i] = mbuf_of(&fr[i]);
	dp_pipeline(worker, dp.gen, 0, pk, (uint16_t)n, &out, now);
	for (unsigned i = 0; i < n; i++) {
		if (!fr[i].out)
			continue;
		ck_assert_msg(k < out.n, "frame %u did not come out", i);
		struct rte_mbuf *m = out.pkts[k];
		ck_assert_uint_eq(out.port[k], fr[i].port);
		ck_assert_uint_eq(m->data_len, fr[i].exp_len);
		ck_assert_uint_eq(m->pkt_len, fr[i].exp_len);
		ck_assert_msg(memcmp(rte_pktmbuf_mtod(m, void *), fr[i].exp, fr[i].exp_len) == 0,
			"frame %u: other bytes came out", i);
		k++;
	}
	ck_assert_uint_eq(out.n, k);
	for (unsigned i = 0; i < out.n; i++)
		rte_pktmbuf_free(out.pkts[i]);
}

static void
build(struct frame *f, const struct sl_pb_spec *s)
{
	memset(f, 0, sizeof(*f));
	f->in_len = sl_pb_build(s, f->in, sizeof(f->in));
	ck_assert_int_gt(f->in_len, 0);
}

/*
 * Every kind of frame, first as new flows (Maglev, insert) then again as
 * established ones (conntrack hits): the same frames come out, the new
 * flows are counted once, every drop by its reason.
 */
START_TEST(test_every_kind_of_frame)
{
	struct frame fr[16];
	struct sl_pb_spec s;
	unsigned n = 0;

	fresh();
	for (int i = 0; i < 4; i++) { /* IPv4 TCP, the common frame */
		spec(&s, "198.51.100.1", "192.0.2.80", IPPROTO_TCP, (uint16_t)(40000 + i), 80);
		s.df = i & 1;
		s.tos = (uint8_t)(i * 0x20);
		build(&fr[n], &s);
		struct sl_flow_key k = flow_of(&fr[n]);
		expect_forward(&fr[n++], maglev_backend(&k), false);
	}
	spec(&s, "2001:db8:c::1", "2001:db8:80::1", IPPROTO_TCP, 40001, 443); /* IPv6 */
	build(&fr[n], &s);
	struct sl_flow_key k6 = flow_of(&fr[n]);
	expect_forward(&fr[n++], maglev_backend(&k6), false);
	spec(&s, "198.51.100.2", "192.0.2.81", IPPROTO_UDP, 5000, 9999); /* L2, any port */
	build(&fr[n], &s);
	struct sl_flow_key kl2 = flow_of(&fr[n]);
	expect_forward(&fr[n++], maglev_backend(&kl2), true);
	spec(&s, "198.51.100.3", "192.0.2.80", IPPROTO_TCP, 40100, 80); /* VLAN: general parser */
	s.n_vlans = 1;
	s.vlan_tci[0] = 7;
	build(&fr[n], &s);
	struct sl_flow_key kv = flow_of(&fr[n]);
	expect_forward(&fr[n++], maglev_backend(&kv), false);
	spec(&s, "198.51.100.4", "192.0.2.80", IPPROTO_TCP, 40200, 80); /* IPv4 options */
	s.ip4_opt_len = 8;
	build(&fr[n], &s);
	struct sl_flow_key ko = flow_of(&fr[n]);
	expect_forward(&fr[n++], maglev_backend(&ko), false);
	spec(&s, "198.51.100.5", "192.0.2.82", IPPROTO_UDP, 1, 53); /* fragment, src-IP VIP */
	s.frag_off = 100;
	build(&fr[n], &s);
	struct sl_flow_key kf = flow_of(&fr[n]);
	expect_forward(&fr[n++], maglev_backend(&kf), false);
	spec(&s, "198.51.100.6", "192.0.2.81", IPPROTO_UDP, 1, 53); /* fragment, 5-tuple VIP */
	s.frag_off = 100;
	build(&fr[n], &s); /* dropped: fragment */
	n++;
	spec(&s, "198.51.100.7", "203.0.113.9", IPPROTO_TCP, 1, 80); /* no VIP */
	build(&fr[n], &s);
	expect_exception(&fr[n++]);
	spec(&s, "198.51.100.8", "192.0.2.80", IPPROTO_TCP, 1, 80); /* TTL 1 */
	s.ttl = 1;
	build(&fr[n], &s); /* dropped: TTL exceeded */
	n++;
	spec(&s, "198.51.100.9", "192.0.2.80", IPPROTO_TCP, 1, 80); /* IHL 4 */
	build(&fr[n], &s);
	fr[n].in[14] = 0x44; /* dropped: bad_ip4_ihl */
	n++;

	const struct dp_stats *st = &worker->st;
	for (int pass = 0; pass < 2; pass++) {
		run_burst(fr, n, NOW + (uint32_t)pass);
		ck_assert_uint_eq(st->rx_packets, (pass + 1) * n);
		ck_assert_uint_eq(st->forwarded, (pass + 1) * 9u);
		ck_assert_uint_eq(st->exception, pass + 1u);
		ck_assert_uint_eq(st->drops[DP_DROP_FRAGMENT], pass + 1u);
		ck_assert_uint_eq(st->drops[DP_DROP_TTL_EXCEEDED], pass + 1u);
		ck_assert_uint_eq(st->parse_drops[SL_PARSE_BAD_IP4_IHL], pass + 1u);
		/* Tracked, once: the forwarded flows but the fragment, and the
		 * TTL-1 one (tracked before its rewrite is refused). */
		ck_assert_uint_eq(st->new_flows, 9);
		ck_assert_uint_eq(sl_ct_stats(worker->ct)->hits, pass * 9u);
	}

	/* Per-VIP and per-backend counters add up to what was forwarded. */
	uint64_t vip_pk = 0, be_pk = 0, be_by = 0, in_by = 0;
	for (unsigned i = 0; i < DP_MAX_VIP_SLOTS; i++)
		vip_pk += worker->vip_ctr[i].packets;
	for (unsigned i = 0; i < dp.gen->n_slots; i++) {
		be_pk += worker->be_ctr[i].packets;
		be_by += worker->be_ctr[i].bytes;
	}
	for (unsigned i = 0; i < n; i++)
		if (fr[i].port == 0 && fr[i].out)
			in_by += 2 * (uint64_t)fr[i].in_len;
	ck_assert_uint_eq(vip_pk, 18);
	ck_assert_uint_eq(be_pk, 18);
	ck_assert_uint_eq(be_by, in_by);
}
END_TEST

/* A flow of @sport towards the IPv4 VIP, and its frame. */
static struct sl_flow_key
flow4(struct frame *f, uint16_t sport, uint8_t tcp_flags)
{
	struct sl_pb_spec s;

	spec(&s, "198.51.100.20", "192.0.2.80", IPPROTO_TCP, sport, 80);
	s.tcp_flags = tcp_flags;
	build(f, &s);
	return flow_of(f);
}

/*
 * An established flow stays on its backend when a new config's Maglev table
 * sends it elsewhere, and moves to its new choice once its backend is gone.
 */
START_TEST(test_established_flow_keeps_backend)
{
	static const char *const five =
		"{\"address\": \"10.1.0.1\"}, {\"address\": \"10.1.0.2\"}, {\"address\": "
		"\"10.1.0.3\"}, {\"address\": \"10.1.0.4\"}, {\"address\": \"10.1.0.5\"}";
	struct frame f;
	struct sl_flow_key k;
	uint32_t first = 0;

	fresh();
	/* A flow that the five-backend table sends to another backend than the three-backend one.
	 */
	for (uint16_t sport = 1000;; sport++) {
		ck_assert_uint_lt(sport, 3000);
		apply(BACKENDS_3);
		k = flow4(&f, sport, 0x02);
		first = maglev_backend(&k);
		apply(five);
		if (maglev_backend(&k) != first)
			break;
	}
	apply(BACKENDS_3);
	expect_forward(&f, first, false);
	run_burst(&f, 1, NOW);
	apply(five);
	k = flow4(&f, ntohs(k.sport), 0x10);
	expect_forward(&f, first, false); /* not maglev_backend(): the entry's */
	run_burst(&f, 1, NOW + 1);
	run_burst(&f, 1, NOW + 2);

	/* Its backend leaves: its current Maglev choice from now on. */
	static const char *const addrs[] = {
		"10.1.0.1", "10.1.0.2", "10.1.0.3", "10.1.0.4", "10.1.0.5"};
	char without[512] = "", gone[INET_ADDRSTRLEN];
	ck_assert_ptr_nonnull(
		inet_ntop(AF_INET, &dp.gen->backends[first].addr.v4, gone, sizeof(gone)));
	for (int i = 0; i < 5; i++) {
		if (strcmp(addrs[i], gone) != 0)
			snprintf(without + strlen(without), sizeof(without) - strlen(without),
				"%s{\"address\": \"%s\"}", without[0] ? ", " : "", addrs[i]);
	}
	apply(without);
	uint32_t now_be = maglev_backend(&k);
	ck_assert_uint_ne(now_be, first);
	expect_forward(&f, now_be, false);
	run_burst(&f, 1, NOW + 3);
	ck_assert_uint_eq(worker->st.new_flows, 2); /* tracked, then re-routed */
}
END_TEST

/*
 * A client reusing the ports of a closed connection: its SYN is a new flow,
 * scheduled by the current Maglev table, not sent to the old connection's
 * backend (draining by then). A SYN on the live connection, and the closed
 * connection's last ACK, still go to the old backend.
 */
START_TEST(test_syn_reusing_closed_ports_is_scheduled_again)
{
	static const char *const b1_draining =
		"{\"address\": \"10.1.0.1\", \"state\": \"draining\"}, {\"address\": "
		"\"10.1.0.2\"}, {\"address\": \"10.1.0.3\"}";
	struct frame f;
	struct sl_flow_key k;
	uint16_t sport;

	fresh();
	/* A flow the three-backend table sends to 10.1.0.1 (slot of the first backend). */
	for (sport = 1000;; sport++) {
		ck_assert_uint_lt(sport, 3000);
		k = flow4(&f, sport, 0x02);
		if (dp.gen->backends[maglev_backend(&k)].addr.v4 == htonl(0x0a010001))
			break;
	}
	uint32_t old_be = maglev_backend(&k);
	expect_forward(&f, old_be, false);
	run_burst(&f, 1, NOW); /* SYN: a new flow */
	apply(b1_draining);
	uint32_t new_be = maglev_backend(&k);
	ck_assert_uint_ne(new_be, old_be);

	k = flow4(&f, sport, 0x10); /* ACK: established, stays */
	expect_forward(&f, old_be, false);
	run_burst(&f, 1, NOW + 1);
	k = flow4(&f, sport, 0x02); /* a SYN on the live connection: stays too */
	expect_forward(&f, old_be, false);
	run_burst(&f, 1, NOW + 2);
	ck_assert_uint_eq(worker->st.new_flows, 1);

	k = flow4(&f, sport, 0x11); /* FIN: closing, still the old backend */
	expect_forward(&f, old_be, false);
	run_burst(&f, 1, NOW + 3);
	k = flow4(&f, sport, 0x12); /* not a plain SYN: no new connection */
	expect_forward(&f, old_be, false);
	run_burst(&f, 1, NOW + 4);
	ck_assert_uint_eq(worker->st.new_flows, 1);

	/* The ports reused: a new flow on the current choice, in a burst with another packet
	 * before it (the straight path's check) and alone (stage 3's first packet). */
	struct frame burst[2];
	struct sl_flow_key other = flow4(&burst[0], (uint16_t)(sport + 1), 0x02);
	uint32_t other_be = maglev_backend(&other);
	expect_forward(&burst[0], other_be, false);
	flow4(&burst[1], sport, 0x02);
	expect_forward(&burst[1], new_be, false);
	run_burst(burst, 2, NOW + 5);
	ck_assert_uint_eq(worker->st.new_flows, 3);
	ck_assert_uint_eq(worker->be_new_flows[new_be], 1u + (other_be == new_be));
	ck_assert_uint_eq(worker->be_new_flows[old_be], 1);

	/* The entry now tracks the new connection: its ACK follows the new backend. */
	k = flow4(&f, sport, 0x10);
	expect_forward(&f, new_be, false);
	run_burst(&f, 1, NOW + 6);
	ck_assert_uint_eq(worker->st.new_flows, 3);
}
END_TEST

/*
 * A new flow's insert, earlier in a burst, takes the entry that stage 2
 * found holding a later packet's flow (its bucket full, that flow the
 * stalest): the later packet must not use the entry it was given in stage 2,
 * now another flow's, but miss and go to its own Maglev choice.
 */
START_TEST(test_insert_takes_entry_found_earlier_in_burst)
{
	struct frame fr[10];
	struct sl_flow_key keys[10];
	uint16_t sports[10];
	uint32_t bucket = 0, mask;
	unsigned found = 0;

	fresh();
	mask = sl_ct_capacity(worker->ct) / SL_CT_BUCKET_WAYS - 1;
	/* Ten flows of one bucket: F0 first (its preferred way), seven more fill the
	 * bucket, then N, whose backend differs from F0's. */
	for (uint16_t sport = 1; found < 9 && sport < 60000; sport++) {
		struct sl_flow_key k = flow4(&fr[found], sport, 0x10);
		uint32_t h = sl_ct_hash(worker->ct, &k);
		if (found == 0)
			bucket = h & mask;
		else if ((h & mask) != bucket)
			continue;
		if (found == 8 && maglev_backend(&k) == maglev_backend(&keys[0]))
			continue;
		keys[found] = k;
		sports[found] = sport;
		found++;
	}
	ck_assert_uint_eq(found, 9);
	for (unsigned i = 0; i < 9; i++) {
		keys[i] = flow4(&fr[i], sports[i], 0x10);
		expect_forward(&fr[i], maglev_backend(&keys[i]), false);
	}
	run_burst(&fr[0], 1, NOW);	  /* F0: the stalest */
	run_burst(&fr[1], 7, NOW + 1000); /* the bucket is full */
	ck_assert_ptr_nonnull(sl_ct_prefetch_bucket(worker->ct, &keys[0],
		sl_ct_hash(worker->ct, &keys[0]))); /* F0 in its preferred way */

	/* N then F0 in one burst: N's insert evicts F0, F0 comes back on its own backend. */
	struct frame burst[2];
	burst[0] = fr[8];
	burst[1] = fr[0];
	uint64_t ev = sl_ct_stats(worker->ct)->evictions;
	run_burst(burst, 2, NOW + 2000);
	ck_assert_uint_eq(sl_ct_stats(worker->ct)->evictions, ev + 2); /* F0, then another */
}
END_TEST

/* An ICMP error about a packet of a tracked flow goes to that flow's backend. */
START_TEST(test_icmp_error_follows_flow)
{
	struct frame f, e;
	struct sl_pb_spec s, in;
	uint8_t quoted[128];

	fresh();
	struct sl_flow_key k = flow4(&f, 41000, 0x10);
	uint32_t be = maglev_backend(&k);
	expect_forward(&f, be, false);
	run_burst(&f, 1, NOW);

	/* The VIP's reply to the client, quoted by a router's frag-needed sent to the VIP. */
	spec(&in, "192.0.2.80", "198.51.100.20", IPPROTO_TCP, 80, 41000);
	int qn = sl_pb_build(&in, quoted, sizeof(quoted));
	ck_assert_int_gt(qn, 14);
	spec(&s, "203.0.113.1", "192.0.2.80", IPPROTO_ICMP, 0, 0);
	s.icmp_type = 3;
	s.icmp_code = 4;
	s.icmp_mtu = 1400;
	s.icmp_inner = quoted + 14;
	s.icmp_inner_len = (uint16_t)(qn - 14);
	s.payload_len = 0;
	build(&e, &s);
	expect_forward(&e, be, false);
	run_burst(&e, 1, NOW + 1);
	ck_assert_uint_eq(worker->st.icmp_forwarded, 1);
	ck_assert_uint_eq(worker->st.new_flows, 1);
}
END_TEST

/* Too big once encapsulated, with DF: the client gets frag-needed back. */
START_TEST(test_too_big_answered)
{
	struct frame f;
	struct sl_pb_spec s;

	fresh();
	spec(&s, "198.51.100.30", "192.0.2.80", IPPROTO_TCP, 42000, 80);
	s.df = true;
	s.payload_len = 1500 - 40 - 10; /* a 1500-byte IP packet: 1520 encapsulated */
	build(&f, &s);

	struct rte_mbuf *m = mbuf_of(&f);
	struct dp_out out = {.n = 0};
	dp_pipeline(worker, dp.gen, 0, &m, 1, &out, NOW);
	ck_assert_uint_eq(out.n, 1);
	ck_assert_uint_eq(worker->st.icmp_sent, 1);
	ck_assert_uint_eq(worker->st.forwarded, 0);
	struct sl_pkt pkt;
	ck_assert_int_eq(sl_parse(rte_pktmbuf_mtod(out.pkts[0], const uint8_t *),
				 out.pkts[0]->data_len, &pkt),
		SL_PARSE_OK);
	ck_assert_uint_eq(pkt.flow.proto, IPPROTO_ICMP);
	ck_assert_uint_eq(pkt.icmp_type, 3);
	ck_assert_uint_eq(pkt.icmp_code, 4);
	ck_assert_uint_eq(pkt.icmp_mtu, 1500 - 20);
	rte_pktmbuf_free(out.pkts[0]);
}
END_TEST

static Suite *
pipeline_suite(void)
{
	Suite *s = suite_create("pipeline");

	SL_TCASE(s, test_every_kind_of_frame);
	SL_TCASE(s, test_established_flow_keeps_backend);
	SL_TCASE(s, test_syn_reusing_closed_ports_is_scheduled_again);
	SL_TCASE(s, test_insert_takes_entry_found_earlier_in_burst);
	SL_TCASE(s, test_icmp_error_follows_flow);
	SL_TCASE(s, test_too_big_answered);
	return s;
}

int
main(void)
{
	char prefix[64];

	/* Plain memory, no ports, nothing shared: runs beside anything else. */
	snprintf(prefix, sizeof(prefix), "--file-prefix=sltest%d", getpid());
	char *eal[] = {"test_pipeline", "--no-shconf", "--no-telemetry", "--no-huge", "-m", "256",
		"--no-pci", "-l", "0", prefix, "--log-level", "*:error", NULL};
	if (rte_eal_init((int)RTE_DIM(eal) - 1, eal) < 0) {
		fprintf(stderr, "test_pipeline: EAL init failed\n");
		return EXIT_FAILURE;
	}
	pool = rte_pktmbuf_pool_create("test", 255, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, 0);
	dp.qsv = rte_zmalloc(NULL, rte_rcu_qsbr_get_memsize(1), RTE_CACHE_LINE_SIZE);
	if (!pool || !dp.qsv || rte_rcu_qsbr_init(dp.qsv, 1) < 0) {
		fprintf(stderr, "test_pipeline: mbuf pool or RCU\n");
		return EXIT_FAILURE;
	}
	dp.n_ports = 1;
	dp.ports[0] = 0;
	memcpy(dp.port_mac[0].addr_bytes, PORT_MAC, 6);
	dp.exception_port = 0; /* PMD mode with an exception port: non-VIP frames come out */
	dp.af_xdp[0] = false;
	dp.n_workers = 1;

	SRunner *sr = srunner_create(pipeline_suite());
	srunner_run_all(sr, CK_ENV);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	rte_eal_cleanup();
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
