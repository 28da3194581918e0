/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sluice-sim: the core pipeline, offline. Builds real frames for a generated
 * population of client flows, and runs each through the same code the
 * dataplane runs: parser -> flow hash -> Maglev -> connection tracking ->
 * IP-in-IP encapsulation, re-parsing every encapsulated frame to check it
 * goes to the backend that was chosen. Then it fails a backend and adds one,
 * and reports what happened to the established flows.
 *
 * Exit status: 0 when every check held, 1 when one did not, 2 on bad usage.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conntrack.h"
#include "encap.h"
#include "flowhash.h"
#include "maglev.h"
#include "parse.h"
#include "pktbuild.h"

#define MAX_BACKENDS 16
#define HEADROOM     128
#define SEED	     0x5eed5eedu

struct backend {
	const char *name;
	union sl_ip addr;
	uint8_t family;
	uint32_t weight;
	uint8_t state;	/* enum sl_backend_state */
	uint64_t flows; /* flows pinned to it in the current phase */
};

struct sim {
	/* config */
	uint32_t n_flows;
	uint32_t table_size;
	bool quiet;
	uint8_t family;
	union sl_ip vip;
	uint16_t vip_port;

	/* state */
	struct backend be[MAX_BACKENDS + 1]; /* slot 0 is "none" */
	uint32_t n_be;
	struct sl_ct_backend slots[MAX_BACKENDS + 1];
	uint32_t *table;
	struct sl_ct *ct;
	struct sl_fwd_ctx fwd;
	uint32_t now;	  /* ms */
	uint32_t *pinned; /* backend of each flow after the last packet */

	/* counters */
	uint64_t packets, parse_errors, encap_errors, wrong_dst, no_backend, syn_refused;
	int failed_checks;
};

static void
out(const struct sim *s, const char *fmt, ...)
{
	va_list ap;

	if (s->quiet)
		return;
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
}

static void
check(struct sim *s, bool ok, const char *fmt, ...)
{
	va_list ap;

	if (ok && s->quiet)
		return;
	printf("  [%s] ", ok ? "ok" : "FAILED");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	if (!ok)
		s->failed_checks++;
}

static const char *
ip_str(const union sl_ip *a, uint8_t family, char *buf, size_t len)
{
	return inet_ntop(family == SL_FAMILY_IPV6 ? AF_INET6 : AF_INET, a->b, buf, (socklen_t)len);
}

static int
rebuild_table(struct sim *s)
{
	struct sl_maglev_backend mb[MAX_BACKENDS];
	char err[256];
	uint32_t n = 0;

	for (uint32_t i = 1; i <= s->n_be; i++) {
		/* Down and draining backends get no new flows: not in the table. */
		if (s->be[i].state != SL_BACKEND_ACTIVE)
			continue;
		memset(&mb[n], 0, sizeof(mb[n]));
		mb[n].id.addr = s->be[i].addr;
		mb[n].id.family = s->be[i].family;
		mb[n].weight = s->be[i].weight;
		mb[n].value = i;
		n++;
	}
	int rc = sl_maglev_build(s->table, s->table_size, mb, n, SEED, err, sizeof(err));
	if (rc < 0)
		fprintf(stderr, "sluice-sim: maglev: %s\n", err);
	return rc;
}

/* Client flow number i: a source address and port derived from i. */
static void
flow_spec(const struct sim *s, uint32_t i, struct sl_pb_spec *p, uint8_t tcp_flags)
{
	sl_pb_spec_init(p);
	p->family = s->family;
	p->dst = s->vip;
	if (s->family == SL_FAMILY_IPV6) {
		p->src.w[0] = htonl(0x20010db8);
		p->src.w[1] = htonl(0x00c10000);
		p->src.w[3] = htonl(i / 4 + 1);
	} else {
		p->src.v4 = htonl(0xc6336400u + i / 4); /* 198.51.100.0 + ...: 4 flows a client */
	}
	p->proto = IPPROTO_TCP;
	p->sport = (uint16_t)(20000 + (i * 7919u) % 40000);
	p->dport = s->vip_port;
	p->tcp_flags = tcp_flags;
	p->payload_len = tcp_flags == 0x02 ? 0 : 100;
}

/*
 * One packet of flow i through the pipeline. Returns the backend slot it was
 * sent to, or 0 if it was dropped.
 */
static uint32_t
send_packet(struct sim *s, uint32_t i, uint8_t tcp_flags)
{
	static uint8_t frame[HEADROOM + 2048];
	struct sl_pb_spec spec;
	struct sl_pkt pkt, outer;
	uint32_t backend;
	uint16_t mtu_hint;

	flow_spec(s, i, &spec, tcp_flags);
	int len = sl_pb_build(&spec, frame + HEADROOM, sizeof(frame) - HEADROOM);
	if (len < 0)
		return 0;
	s->packets++;

	if (sl_parse(frame + HEADROOM, (uint32_t)len, &pkt) != SL_PARSE_OK) {
		s->parse_errors++;
		return 0;
	}

	uint32_t ct_hash = sl_ct_hash(s->ct, &pkt.flow);
	struct sl_ct_entry *e = sl_ct_lookup(s->ct, &pkt.flow, ct_hash, s->now);
	uint32_t flow_hash = sl_flow_hash(&pkt.flow, SL_HASH_5TUPLE, SEED);

	if (e && sl_ct_backend_valid(e, s->slots, s->n_be + 1)) {
		backend = e->backend;
		sl_ct_update(s->ct, e, pkt.tcp_flags, s->now);
	} else {
		/* New flow, or its backend went away: its Maglev choice now. */
		backend = s->table[sl_maglev_slot(flow_hash, s->table_size)];
		if (backend == SL_MAGLEV_NONE) {
			s->no_backend++;
			return 0;
		}
		if (e == NULL)
			e = sl_ct_insert(s->ct, &pkt.flow, ct_hash, s->now,
				sl_ct_initial_state(pkt.flow.proto, pkt.tcp_flags));
		if (e) {
			e->backend = backend;
			e->backend_epoch = s->slots[backend].epoch;
		} else {
			s->syn_refused++;
		}
	}

	struct sl_buf buf = {.data = frame + HEADROOM, .len = (uint32_t)len, .headroom = HEADROOM};
	if (sl_encap_ip(&buf, &pkt, &s->be[backend].addr, s->be[backend].family, flow_hash, &s->fwd,
		    &mtu_hint) != SL_FWD_OK) {
		s->encap_errors++;
		return 0;
	}
	/* What a capture between us and the backend would show. */
	if (sl_parse(buf.data, buf.len, &outer) != SL_PARSE_OK ||
		memcmp(&outer.flow.dst, &s->be[backend].addr, sizeof(union sl_ip)) != 0 ||
		outer.flow.proto != (s->family == SL_FAMILY_IPV6 ? IPPROTO_IPV6 : IPPROTO_IPIP))
		s->wrong_dst++;
	return backend;
}

static void
print_shares(struct sim *s, const char *title)
{
	uint64_t total = 0, wsum = 0;

	for (uint32_t b = 1; b <= s->n_be; b++) {
		total += s->be[b].flows;
		if (s->be[b].state == SL_BACKEND_ACTIVE)
			wsum += s->be[b].weight;
	}
	out(s, "  %s\n", title);
	out(s, "    %-4s %-22s %-8s %6s %9s %9s %9s\n", "", "backend", "state", "weight",
		"expected", "flows", "share");
	for (uint32_t b = 1; b <= s->n_be; b++) {
		char a[64];
		static const char *const st[] = {"active", "draining", "down"};
		double exp = s->be[b].state == SL_BACKEND_ACTIVE && wsum
				     ? 100.0 * s->be[b].weight / (double)wsum
				     : 0;
		out(s, "    %-4s %-22s %-8s %6u %8.1f%% %9lu %8.2f%%\n", s->be[b].name,
			ip_str(&s->be[b].addr, s->be[b].family, a, sizeof(a)), st[s->be[b].state],
			s->be[b].weight, exp, (unsigned long)s->be[b].flows,
			total ? 100.0 * (double)s->be[b].flows / (double)total : 0);
	}
}

/* Largest |share - expected| over active backends, in percentage points. */
static double
max_share_error(const struct sim *s)
{
	uint64_t total = 0, wsum = 0;
	double worst = 0;

	for (uint32_t b = 1; b <= s->n_be; b++) {
		total += s->be[b].flows;
		if (s->be[b].state == SL_BACKEND_ACTIVE)
			wsum += s->be[b].weight;
	}
	for (uint32_t b = 1; b <= s->n_be; b++) {
		double exp = s->be[b].state == SL_BACKEND_ACTIVE
				     ? 100.0 * s->be[b].weight / (double)wsum
				     : 0;
		double got = 100.0 * (double)s->be[b].flows / (double)total;
		if (got - exp > worst || exp - got > worst)
			worst = got > exp ? got - exp : exp - got;
	}
	return worst;
}

/* Send one more packet on every flow 0..n-1; count who stayed and who moved. */
static void
resend_all(struct sim *s, uint32_t n, uint64_t *stayed, uint64_t *moved, uint64_t *moved_from)
{
	*stayed = *moved = 0;
	for (uint32_t b = 0; b <= s->n_be; b++)
		moved_from[b] = 0;
	for (uint32_t b = 1; b <= s->n_be; b++)
		s->be[b].flows = 0;
	for (uint32_t i = 0; i < n; i++) {
		uint32_t b = send_packet(s, i, 0x10);
		if (b == s->pinned[i]) {
			(*stayed)++;
		} else {
			(*moved)++;
			moved_from[s->pinned[i]]++;
		}
		s->pinned[i] = b;
		s->be[b].flows++;
	}
}

/* Flows whose Maglev choice differs between two tables (what a stateless LB would move). */
static uint64_t
maglev_moves(const struct sim *s, const uint32_t *old, uint32_t n)
{
	uint64_t moves = 0;
	struct sl_pb_spec spec;

	for (uint32_t i = 0; i < n; i++) {
		struct sl_flow_key k;
		flow_spec(s, i, &spec, 0x10);
		memset(&k, 0, sizeof(k));
		k.family = spec.family;
		k.src = spec.src;
		k.dst = spec.dst;
		k.sport = htons(spec.sport);
		k.dport = htons(spec.dport);
		k.proto = IPPROTO_TCP;
		uint32_t slot =
			sl_maglev_slot(sl_flow_hash(&k, SL_HASH_5TUPLE, SEED), s->table_size);
		moves += old[slot] != s->table[slot];
	}
	return moves;
}

static void
usage(FILE *f)
{
	fprintf(f,
		"usage: sluice-sim [--flows N] [--table-size M] [--ipv6] [--quiet]\n"
		"Runs generated client flows through Sluice's core pipeline (parser, flow hash,\n"
		"Maglev, connection tracking, encapsulation) against a sample pool, then fails\n"
		"a backend and adds one, and reports what happened to established flows.\n"
		"  --flows N        client flows (default 100000)\n"
		"  --table-size M   Maglev table size, prime (default 65537)\n"
		"  --ipv6           IPv6 VIP, clients and backends\n"
		"  --quiet          print only failed checks\n");
}

int
main(int argc, char **argv)
{
	static const struct option lopts[] = {
		{"flows", required_argument, NULL, 'f'},
		{"table-size", required_argument, NULL, 'm'},
		{"ipv6", no_argument, NULL, '6'},
		{"quiet", no_argument, NULL, 'q'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct sim s = {.n_flows = 100000,
		.table_size = SL_MAGLEV_DEFAULT_SIZE,
		.vip_port = 80,
		.family = SL_FAMILY_IPV4};
	char err[256], *end;
	int c;

	while ((c = getopt_long(argc, argv, "f:m:6qh", lopts, NULL)) != -1) {
		switch (c) {
		case 'f':
			errno = 0;
			unsigned long f = strtoul(optarg, &end, 10);
			if (errno || *end || f < 100 || f > 10000000) {
				fprintf(stderr,
					"sluice-sim: --flows: '%s' is not a number in "
					"100..10000000\n",
					optarg);
				return 2;
			}
			s.n_flows = (uint32_t)f;
			break;
		case 'm':
			errno = 0;
			unsigned long m = strtoul(optarg, &end, 10);
			if (errno || *end || m > UINT32_MAX) {
				fprintf(stderr, "sluice-sim: --table-size: '%s' is not a number\n",
					optarg);
				return 2;
			}
			if (sl_maglev_check_size((uint32_t)m, err, sizeof(err)) < 0) {
				fprintf(stderr, "sluice-sim: --table-size: %s\n", err);
				return 2;
			}
			s.table_size = (uint32_t)m;
			break;
		case '6':
			s.family = SL_FAMILY_IPV6;
			break;
		case 'q':
			s.quiet = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "sluice-sim: unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		return 2;
	}

	/* The sample pool: five backends, one of them twice as heavy. */
	static const char *const v4[] = {
		"10.0.1.1", "10.0.1.2", "10.0.1.3", "10.0.1.4", "10.0.1.5", "10.0.1.6"};
	static const char *const v6[] = {"2001:db8:b::1", "2001:db8:b::2", "2001:db8:b::3",
		"2001:db8:b::4", "2001:db8:b::5", "2001:db8:b::6"};
	static const uint32_t weights[] = {100, 100, 100, 100, 200, 100};
	static const char *const names[] = {"b1", "b2", "b3", "b4", "b5", "b6"};
	const char *const *addrs = s.family == SL_FAMILY_IPV6 ? v6 : v4;
	uint8_t fam;

	sl_pb_addr(s.family == SL_FAMILY_IPV6 ? "2001:db8::80" : "192.0.2.80", &s.vip, &fam);
	s.n_be = 5;
	for (uint32_t i = 0; i < 6; i++) {
		struct backend *b = &s.be[i + 1];
		b->name = names[i];
		sl_pb_addr(addrs[i], &b->addr, &b->family);
		b->weight = weights[i];
		b->state = SL_BACKEND_ACTIVE;
		s.slots[i + 1].epoch = 1;
	}

	struct sl_ct_config ctc;
	sl_ct_config_default(&ctc);
	/* Four times the flows it must keep: a full bucket evicts (see conntrack.h on sizing). */
	ctc.capacity = s.n_flows * 4;
	s.ct = sl_ct_create(&ctc);
	s.table = calloc(s.table_size, sizeof(*s.table));
	s.pinned = calloc(s.n_flows * 2, sizeof(*s.pinned));
	uint32_t *old = calloc(s.table_size, sizeof(*old));
	uint64_t *moved_from = calloc(MAX_BACKENDS + 1, sizeof(*moved_from));
	if (!s.ct || !s.table || !s.pinned || !old || !moved_from) {
		fprintf(stderr, "sluice-sim: out of memory\n");
		return 1;
	}
	memcpy(s.fwd.src_mac, (uint8_t[]){0x02, 0x51, 0, 0, 0, 1}, 6);
	memcpy(s.fwd.nexthop_mac, (uint8_t[]){0x02, 0x51, 0, 0, 0, 0xfe}, 6);
	s.fwd.mtu = 1500;
	s.fwd.ttl = 64;
	s.fwd.src4_prefix = htonl(0xac100000u); /* 172.16.0.0/16 */
	s.fwd.src4_prefix_len = 16;
	union sl_ip p6;
	sl_pb_addr("2001:db8:ffff::", &p6, &fam);
	memcpy(s.fwd.src6_prefix, p6.b, 16);
	s.fwd.src6_prefix_len = 64;

	char vipbuf[64];
	out(&s, "Sluice core pipeline simulation\n"
		"The real parser, flow hash, Maglev, connection tracking and encapsulation code,\n"
		"run over generated packets (no NIC, no dataplane process).\n\n");
	out(&s,
		"VIP %s port %u/tcp, 5-tuple hash, Maglev table of %u slots, IP-in-IP to "
		"backends\n",
		ip_str(&s.vip, s.family, vipbuf, sizeof(vipbuf)), s.vip_port, s.table_size);

	if (rebuild_table(&s) < 0)
		return 1;

	/* Phase 1: every flow opens (SYN) and sends data. */
	out(&s, "\n1. %u client flows open (SYN, then a data packet each)\n", s.n_flows);
	uint64_t split = 0;
	for (uint32_t i = 0; i < s.n_flows; i++) {
		uint32_t b = send_packet(&s, i, 0x02);
		uint32_t b2 = send_packet(&s, i, 0x18);
		s.pinned[i] = b2;
		s.be[b2].flows++;
		split += b != b2;
	}
	print_shares(&s, "flows per backend:");
	check(&s, split == 0, "each flow's SYN and data went to the same backend (%lu split)",
		(unsigned long)split);
	check(&s, s.parse_errors == 0 && s.encap_errors == 0 && s.wrong_dst == 0,
		"%lu packets parsed, hashed, tracked and encapsulated; every outer header is "
		"addressed to the chosen backend",
		(unsigned long)s.packets);
	double e1 = max_share_error(&s);
	check(&s, e1 < 1.5, "shares follow weights: worst deviation %.2f percentage points", e1);

	/* A second node given the same backends in another order builds the same table. */
	memcpy(old, s.table, s.table_size * sizeof(*old));
	struct backend tmp = s.be[1];
	s.be[1] = s.be[5];
	s.be[5] = tmp;
	for (uint32_t k = 0; k < s.table_size; k++) /* relabel: values follow the swap */
		old[k] = old[k] == 1 ? 5 : old[k] == 5 ? 1 : old[k];
	rebuild_table(&s);
	check(&s, memcmp(old, s.table, s.table_size * sizeof(*old)) == 0,
		"a second node given the backends in another order built the same table");
	tmp = s.be[1];
	s.be[1] = s.be[5];
	s.be[5] = tmp;
	rebuild_table(&s);

	/* Phase 2: b3 fails. */
	uint64_t stayed, moved;
	memcpy(old, s.table, s.table_size * sizeof(*old));
	s.be[3].state = SL_BACKEND_DOWN;
	s.slots[3].state = SL_BACKEND_DOWN;
	rebuild_table(&s);
	uint64_t changed = 0, changed_other = 0;
	for (uint32_t k = 0; k < s.table_size; k++) {
		changed += old[k] != s.table[k];
		changed_other += old[k] != s.table[k] && old[k] != 3;
	}
	uint64_t on_b3 = s.be[3].flows;
	out(&s, "\n2. backend b3 fails (marked down)\n");
	out(&s, "  Maglev: %lu of %u slots changed owner, %lu of them not b3's own (%.2f%%)\n",
		(unsigned long)changed, s.table_size, (unsigned long)changed_other,
		100.0 * (double)changed_other / s.table_size);
	uint64_t evicted = sl_ct_stats(s.ct)->evictions;
	resend_all(&s, s.n_flows, &stayed, &moved, moved_from);
	print_shares(&s, "flows per backend after one more packet on every flow:");
	/*
	 * Every flow of b3 moves; a flow on another backend may move only if its
	 * entry was pushed out of a full bucket and Maglev now places it elsewhere.
	 */
	check(&s, moved_from[3] == on_b3 && moved - on_b3 <= evicted,
		"%lu flows moved: the %lu that were on b3, and %lu others (entries evicted from "
		"full "
		"buckets: %lu); %lu flows on the others stayed put",
		(unsigned long)moved, (unsigned long)on_b3, (unsigned long)(moved - on_b3),
		(unsigned long)evicted, (unsigned long)stayed);
	check(&s, s.be[3].flows == 0, "b3 receives nothing");

	/* Phase 3: b6 joins. */
	memcpy(old, s.table, s.table_size * sizeof(*old));
	s.n_be = 6;
	rebuild_table(&s);
	uint64_t stateless = maglev_moves(&s, old, s.n_flows);
	out(&s, "\n3. backend b6 is added (weight %u)\n", s.be[6].weight);
	evicted = sl_ct_stats(s.ct)->evictions;
	resend_all(&s, s.n_flows, &stayed, &moved, moved_from);
	check(&s, moved <= evicted,
		"established flows: %lu of %lu kept their backend (Maglev alone would have moved "
		"%lu, %.1f%%: connection tracking keeps them); %lu moved, entries evicted from "
		"full "
		"buckets: %lu",
		(unsigned long)stayed, (unsigned long)s.n_flows, (unsigned long)stateless,
		100.0 * (double)stateless / s.n_flows, (unsigned long)moved,
		(unsigned long)evicted);
	for (uint32_t b = 1; b <= s.n_be; b++)
		s.be[b].flows = 0;
	uint32_t n_new = s.n_flows;
	for (uint32_t i = s.n_flows; i < s.n_flows + n_new; i++) {
		uint32_t b = send_packet(&s, i, 0x02);
		s.be[b].flows++;
	}
	print_shares(&s, "new flows after the change:");
	double e3 = max_share_error(&s);
	check(&s, e3 < 1.5 && s.be[6].flows > 0,
		"new flows follow the new weights, b6 included: worst deviation %.2f points", e3);

	out(&s,
		"\nTotals: %lu packets, %lu parse errors, %lu encap errors, %lu misaddressed, %lu "
		"without backend, %lu not tracked (SYN cap)\n",
		(unsigned long)s.packets, (unsigned long)s.parse_errors,
		(unsigned long)s.encap_errors, (unsigned long)s.wrong_dst,
		(unsigned long)s.no_backend, (unsigned long)s.syn_refused);
	printf("%s: %d check(s) failed\n", s.failed_checks ? "FAILED" : "ok", s.failed_checks);

	sl_ct_free(s.ct);
	free(s.table);
	free(s.pinned);
	free(old);
	free(moved_from);
	return s.failed_checks ? 1 : 0;
}
