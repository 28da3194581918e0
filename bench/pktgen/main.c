/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sluice-pktgen: a DPDK traffic generator for benchmarking Sluice.
 *
 *   sluice-pktgen [EAL options] -- [options]
 *
 * Every worker lcore is one TX+RX thread on its own queue of one port; the
 * main lcore only runs trials (publishes them, waits, sums). See
 * docs/benchmarks.md for the method and the profile format.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>

#include "trial.h"

#define RTE_LOGTYPE_SL_PKTGEN RTE_LOGTYPE_USER5

#define NB_DESC	   1024
#define MAX_TRIALS 256

static void
usage(FILE *f)
{
	fprintf(f,
		"usage: sluice-pktgen [EAL options] -- [options]\n"
		"\n"
		"Sends a traffic profile on one port (one queue per worker lcore, TX and RX on\n"
		"the same lcore), counts what comes back per stream, measures latency from a\n"
		"stamp in each packet, and searches for the highest rate without loss.\n"
		"\n"
		"Traffic (a profile file, or one stream from the options below):\n"
		"  -p, --profile FILE     profile (JSON; see docs/benchmarks.md)\n"
		"  -d, --dst ADDR         destination (VIP) address (default 192.0.2.80)\n"
		"      --dport PORT       destination port (default 80)\n"
		"      --src PREFIX       source prefix (default 10.0.0.0/8, fd00:10::/64)\n"
		"      --sport LO-HI      source ports (default 1024-65535)\n"
		"  -f, --flows N          distinct flows; 0 = every packet a new flow (default 1)\n"
		"      --type T           tcp_syn, tcp_ack (established) or udp (default tcp_ack)\n"
		"  -s, --size N|imix      frame bytes without FCS (default 60: 64 on the wire)\n"
		"      --random-src       random source address and port for every packet\n"
		"      --malformed KIND   ip_version, ip_ihl, tcp_doff, udp_len\n"
		"      --dst-mac MAC      destination MAC (default 02:50:47:00:00:02)\n"
		"\n"
		"Run:\n"
		"  -r, --rate MPPS        offered rate over all threads (default: flat out,\n"
		"                         back-pressured by the port)\n"
		"  -D, --duration SEC     trial length (default 1)\n"
		"  -n, --count N          packets per thread per trial instead of a duration\n"
		"      --warmup           send every flow once before the trials\n"
		"      --search           flat-out trials, then binary searches for the highest\n"
		"                         rate with no loss and with at most --pdr-loss\n"
		"      --flat-trials N    flat-out trials; the best one counts (default 1)\n"
		"      --pdr-loss PCT     (default 0.1)\n"
		"      --resolution PCT   search precision (default 1)\n"
		"      --max-trials N     per search (default 12)\n"
		"      --retries N        repeat a search trial that lost packets up to N\n"
		"                         times; it passes if any attempt does (default 0)\n"
		"      --loads LIST       after --search, trials at these %% of the zero-loss\n"
		"                         rate (e.g. 10,50,90,100) for latency vs load\n"
		"      --drain-ms N       wait for stragglers after a trial: stop after N ms\n"
		"                         without a packet (default 10), at most 20 x N\n"
		"      --count-flows      count distinct flows received (per-thread bitmaps)\n"
		"      --sync             print a 'ready' line and wait for a line on stdin\n"
		"                         before each trial; print each trial as JSON\n"
		"      --port N           DPDK port id (default 0)\n"
		"      --link-wait SEC    wait for the link to come up (default 15)\n"
		"\n"
		"Output:\n"
		"  -j, --json FILE        JSON report ('-' for stdout; the table goes to stderr)\n"
		"  -q, --quiet            no table\n"
		"  -h, --help\n");
}

struct cli {
	struct pg_opts o;
	const char *profile;
	const char *json;
	bool quiet;
	bool count_flows;
	uint16_t port;
	double link_wait_s;
	struct pg_stream one; /* the single stream of the options */
	bool have_mac;
	uint8_t dst_mac[6];
};

static int
bad(const char *opt, const char *val, const char *why)
{
	fprintf(stderr, "sluice-pktgen: %s: '%s' %s\n", opt, val, why);
	return -EINVAL;
}

static int
num(const char *opt, const char *s, double lo, double hi, double *out)
{
	char *end;

	errno = 0;
	double v = strtod(s, &end);
	if (errno || end == s || *end || !(v >= lo && v <= hi)) {
		char why[96];
		snprintf(why, sizeof(why), "is not a number in %g..%g", lo, hi);
		return bad(opt, s, why);
	}
	*out = v;
	return 0;
}

static int
parse_args(int argc, char **argv, struct cli *c)
{
	static const struct option lo[] = {
		{"profile", required_argument, NULL, 'p'},
		{"dst", required_argument, NULL, 'd'},
		{"dport", required_argument, NULL, 'P'},
		{"src", required_argument, NULL, 'S'},
		{"sport", required_argument, NULL, 'T'},
		{"flows", required_argument, NULL, 'f'},
		{"type", required_argument, NULL, 'Y'},
		{"size", required_argument, NULL, 's'},
		{"random-src", no_argument, NULL, 'R'},
		{"malformed", required_argument, NULL, 'M'},
		{"dst-mac", required_argument, NULL, 'A'},
		{"rate", required_argument, NULL, 'r'},
		{"duration", required_argument, NULL, 'D'},
		{"count", required_argument, NULL, 'n'},
		{"warmup", no_argument, NULL, 'W'},
		{"search", no_argument, NULL, 'X'},
		{"pdr-loss", required_argument, NULL, 'L'},
		{"resolution", required_argument, NULL, 'E'},
		{"max-trials", required_argument, NULL, 'I'},
		{"retries", required_argument, NULL, 'J'},
		{"flat-trials", required_argument, NULL, 'B'},
		{"loads", required_argument, NULL, 'O'},
		{"drain-ms", required_argument, NULL, 'G'},
		{"count-flows", no_argument, NULL, 'C'},
		{"sync", no_argument, NULL, 'Z'},
		{"port", required_argument, NULL, 'o'},
		{"link-wait", required_argument, NULL, 'K'},
		{"json", required_argument, NULL, 'j'},
		{"quiet", no_argument, NULL, 'q'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct pg_stream *s = &c->one;
	bool single = false;
	uint8_t src_family = 0;
	double v;
	int opt;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "p:d:f:s:r:D:n:j:qh", lo, NULL)) != -1) {
		const char *name = argv[optind - 1];
		switch (opt) {
		case 'p':
			c->profile = optarg;
			break;
		case 'd': {
			uint8_t fam;
			union sl_ip ip;
			char pfx[64];
			single = true;
			snprintf(pfx, sizeof(pfx), "%s/32", optarg);
			if (pg_parse_prefix(pfx, &ip, &fam, &(uint8_t){0}) == 0) {
				s->family = fam;
			} else {
				snprintf(pfx, sizeof(pfx), "%s/128", optarg);
				if (pg_parse_prefix(pfx, &ip, &fam, &(uint8_t){0}) < 0)
					return bad(
						"--dst", optarg, "is not an IPv4 or IPv6 address");
				s->family = fam;
				if (s->src_len == 8 && s->src.v4 == htonl(0x0a000000))
					pg_parse_prefix("fd00:10::/64", &s->src, &fam, &s->src_len);
			}
			s->dst = ip;
			break;
		}
		case 'P':
			if (num("--dport", optarg, 1, 65535, &v) < 0)
				return -EINVAL;
			s->dport = (uint16_t)v;
			single = true;
			break;
		case 'S': {
			uint8_t fam;
			if (pg_parse_prefix(optarg, &s->src, &fam, &s->src_len) < 0)
				return bad("--src", optarg,
					"is not a prefix with its host bits zero (10.0.0.0/8)");
			src_family = fam;
			single = true;
			break;
		}
		case 'T':
			if (pg_parse_port_range(optarg, &s->sport_lo, &s->sport_hi) < 0)
				return bad("--sport", optarg,
					"is not a port or a range lo-hi in 1..65535");
			single = true;
			break;
		case 'f':
			if (num("--flows", optarg, 0, (double)PG_MAX_FLOWS, &v) < 0)
				return -EINVAL;
			s->flows = (uint64_t)v;
			single = true;
			break;
		case 'Y': {
			int t;
			for (t = 0; t < PG_TYPE_MAX; t++)
				if (strcmp(optarg, pg_type_name(t)) == 0)
					break;
			if (t == PG_TYPE_MAX)
				return bad("--type", optarg, "is not tcp_syn, tcp_ack or udp");
			s->type = (enum pg_type)t;
			single = true;
			break;
		}
		case 's':
			if (strcmp(optarg, "imix") == 0) {
				s->imix = true;
			} else {
				if (num("--size", optarg, PG_ETH_MIN, PG_MAX_FRAME, &v) < 0)
					return -EINVAL;
				s->size = (uint16_t)v;
			}
			single = true;
			break;
		case 'R':
			s->random_src = true;
			s->flows = 0;
			single = true;
			break;
		case 'M': {
			int m;
			for (m = 1; m < PG_MAL_MAX; m++)
				if (strcmp(optarg, pg_malformed_name(m)) == 0)
					break;
			if (m == PG_MAL_MAX)
				return bad("--malformed", optarg,
					"is not ip_version, ip_ihl, tcp_doff or udp_len");
			s->malformed = (enum pg_malformed)m;
			s->expect = PG_EXPECT_DROP;
			single = true;
			break;
		}
		case 'A': {
			unsigned m[6];
			char tail;
			if (strlen(optarg) != 17 ||
				sscanf(optarg, "%2x:%2x:%2x:%2x:%2x:%2x%c", &m[0], &m[1], &m[2],
					&m[3], &m[4], &m[5], &tail) != 6)
				return bad("--dst-mac", optarg, "is not a MAC address");
			for (int i = 0; i < 6; i++)
				c->dst_mac[i] = (uint8_t)m[i];
			c->have_mac = true;
			break;
		}
		case 'r':
			if (num("--rate", optarg, 0.000001, 1000, &v) < 0)
				return -EINVAL;
			c->o.rate_pps = v * 1e6;
			break;
		case 'D':
			if (num("--duration", optarg, 0.01, 3600, &c->o.duration_s) < 0)
				return -EINVAL;
			break;
		case 'n':
			if (num("--count", optarg, 1, 1e15, &v) < 0)
				return -EINVAL;
			c->o.count = (uint64_t)v;
			break;
		case 'W':
			c->o.warmup = true;
			break;
		case 'X':
			c->o.search = true;
			break;
		case 'L':
			if (num("--pdr-loss", optarg, 0, 100, &v) < 0)
				return -EINVAL;
			c->o.pdr_loss = v / 100;
			break;
		case 'E':
			if (num("--resolution", optarg, 0.01, 50, &v) < 0)
				return -EINVAL;
			c->o.resolution = v / 100;
			break;
		case 'I':
			if (num("--max-trials", optarg, 1, 64, &v) < 0)
				return -EINVAL;
			c->o.max_trials = (unsigned)v;
			break;
		case 'J':
			if (num("--retries", optarg, 0, 10, &v) < 0)
				return -EINVAL;
			c->o.retries = (unsigned)v;
			break;
		case 'B':
			if (num("--flat-trials", optarg, 1, 20, &v) < 0)
				return -EINVAL;
			c->o.flat_trials = (unsigned)v;
			break;
		case 'O': {
			char *dup = strdup(optarg), *save = NULL;
			c->o.n_loads = 0;
			for (char *tok = strtok_r(dup, ",", &save); tok;
				tok = strtok_r(NULL, ",", &save)) {
				if (c->o.n_loads == RTE_DIM(c->o.loads) ||
					num("--loads", tok, 1, 200, &v) < 0) {
					free(dup);
					return bad("--loads", optarg,
						"is not a list of up to 16 percentages in 1..200");
				}
				c->o.loads[c->o.n_loads++] = v / 100;
			}
			free(dup);
			break;
		}
		case 'G':
			if (num("--drain-ms", optarg, 1, 10000, &v) < 0)
				return -EINVAL;
			c->o.drain_quiet_ms = v;
			c->o.drain_max_ms = 20 * v;
			break;
		case 'C':
			c->count_flows = true;
			break;
		case 'Z':
			c->o.sync = true;
			break;
		case 'o':
			if (num("--port", optarg, 0, RTE_MAX_ETHPORTS - 1, &v) < 0)
				return -EINVAL;
			c->port = (uint16_t)v;
			break;
		case 'K':
			if (num("--link-wait", optarg, 0, 600, &c->link_wait_s) < 0)
				return -EINVAL;
			break;
		case 'j':
			c->json = optarg;
			break;
		case 'q':
			c->quiet = true;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			(void)name;
			usage(stderr);
			return -EINVAL;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "sluice-pktgen: unexpected argument '%s'\n", argv[optind]);
		return -EINVAL;
	}
	if (src_family && src_family != s->family) {
		fprintf(stderr, "sluice-pktgen: --src and --dst are of different families\n");
		return -EINVAL;
	}
	if (c->profile && single) {
		fprintf(stderr, "sluice-pktgen: give either --profile or the stream options\n");
		return -EINVAL;
	}
	if (c->o.n_loads && !c->o.search) {
		fprintf(stderr, "sluice-pktgen: --loads needs --search\n");
		return -EINVAL;
	}
	if (c->o.search && (c->o.count || c->o.rate_pps > 0)) {
		fprintf(stderr,
			"sluice-pktgen: --search sets the rates itself and needs a duration "
			"(not --rate or --count)\n");
		return -EINVAL;
	}
	return 0;
}

static int
port_setup(uint16_t port, unsigned n_threads, struct rte_mempool *pool, double wait_s)
{
	struct rte_eth_conf conf = {0};
	struct rte_eth_dev_info info;
	uint16_t nb_rxd = NB_DESC, nb_txd = NB_DESC;
	int rc;

	if (!rte_eth_dev_is_valid_port(port)) {
		fprintf(stderr, "sluice-pktgen: no port %u (add one with --vdev or -a)\n", port);
		return -ENODEV;
	}
	if ((rc = rte_eth_dev_info_get(port, &info)) < 0)
		return rc;
	if (info.max_rx_queues < n_threads || info.max_tx_queues < n_threads) {
		fprintf(stderr,
			"sluice-pktgen: port %u (%s) has %u RX / %u TX queues, %u threads "
			"need one each\n",
			port, info.driver_name, info.max_rx_queues, info.max_tx_queues, n_threads);
		return -EINVAL;
	}
	if ((rc = rte_eth_dev_configure(port, (uint16_t)n_threads, (uint16_t)n_threads, &conf)) < 0)
		return rc;
	if ((rc = rte_eth_dev_adjust_nb_rx_tx_desc(port, &nb_rxd, &nb_txd)) < 0)
		return rc;
	for (uint16_t q = 0; q < n_threads; q++) {
		rc = rte_eth_rx_queue_setup(
			port, q, nb_rxd, rte_eth_dev_socket_id(port), NULL, pool);
		if (rc < 0)
			return rc;
		rc = rte_eth_tx_queue_setup(port, q, nb_txd, rte_eth_dev_socket_id(port), NULL);
		if (rc < 0)
			return rc;
	}
	if ((rc = rte_eth_dev_start(port)) < 0)
		return rc;
	/* memif: the link is up once the peer is connected. */
	uint64_t deadline =
		rte_get_timer_cycles() + (uint64_t)(wait_s * (double)rte_get_timer_hz());
	for (;;) {
		struct rte_eth_link link;
		if (rte_eth_link_get_nowait(port, &link) == 0 && link.link_status)
			return 0;
		if (rte_get_timer_cycles() > deadline) {
			fprintf(stderr, "sluice-pktgen: port %u: link still down after %g s\n",
				port, wait_s);
			return -ETIMEDOUT;
		}
		usleep(10000);
	}
}

struct run {
	struct cli *c;
	struct pg_profile *p;
	struct pg_trial *trials;
	unsigned n;
	FILE *out;
};

/* Run one trial into the list; prints its row. @return its index, or < 0. */
static int
trial(struct run *r, const char *kind, double rate)
{
	if (r->n == MAX_TRIALS) {
		fprintf(stderr, "sluice-pktgen: more than %d trials\n", MAX_TRIALS);
		return -ENOSPC;
	}
	struct pg_trial *t = &r->trials[r->n];
	int rc = pg_trial_run(&r->c->o, r->p, kind, rate, t);
	if (rc < 0)
		return rc;
	if (r->out)
		pg_table_row(r->out, t, r->c->o.tsc_hz);
	return (int)r->n++;
}

/*
 * RFC 2544 binary search for the highest target rate whose loss is at most
 * @thr, between what earlier rate-mode trials showed and @hi. @return the
 * passing trial's index, -1 when none passed, or < -1 on error.
 */
static int
search(struct run *r, const char *kind, double thr, double hi)
{
	const struct pg_opts *o = &r->c->o;
	double lo = 0;
	int best = -1;
	bool hi_tried = false;

	/* What earlier rate-mode trials showed: a rate passes if any trial at it passed. */
	for (unsigned i = 0; i < r->n; i++) {
		const struct pg_trial *t = &r->trials[i];
		if (t->target_pps > 0 && t->loss <= thr && !t->gen_limited && t->target_pps > lo) {
			lo = t->target_pps;
			best = (int)i;
		}
	}
	for (unsigned i = 0; i < r->n; i++) {
		const struct pg_trial *t = &r->trials[i];
		if (t->target_pps > lo && (t->loss > thr || t->gen_limited) &&
			t->target_pps <= hi) {
			hi = t->target_pps;
			hi_tried = true;
		}
	}
	double rate = hi_tried ? (lo + hi) / 2 : hi;
	for (unsigned k = 0; k < o->max_trials; k++) {
		if (lo >= hi || (hi_tried && hi - lo <= o->resolution * hi))
			break;
		int idx = trial(r, kind, rate);
		/* A failed trial is repeated (--retries): one stall of a shared machine
		 * should not decide the search; any attempt that passes counts. */
		for (unsigned a = 0; idx >= 0 && a < o->retries &&
				     (r->trials[idx].loss > thr || r->trials[idx].gen_limited);
			a++)
			idx = trial(r, kind, rate);
		if (idx < 0)
			return idx == -1 ? -2 : idx;
		if (r->trials[idx].loss <= thr && !r->trials[idx].gen_limited) {
			lo = rate;
			best = idx;
		} else {
			hi = rate;
		}
		hi_tried = true;
		rate = (lo + hi) / 2;
	}
	return best;
}

static json_t *
result_json(const struct run *r, int idx, double thr)
{
	if (idx < 0)
		return json_pack("{s:n, s:f, s:f, s:f}", "trial", "loss_threshold", thr, "rate_pps",
			0.0, "forwarded_pps", 0.0);
	const struct pg_trial *t = &r->trials[idx];
	return json_pack("{s:i, s:f, s:f, s:f, s:f, s:f}", "trial", idx, "loss_threshold", thr,
		"rate_pps", t->target_pps > 0 ? t->target_pps : t->offered_pps, "offered_pps",
		t->offered_pps, "forwarded_pps", t->fwd_pps, "loss_ratio", t->loss);
}

static int
run_trials(struct run *r, json_t *result)
{
	const struct pg_opts *o = &r->c->o;
	int rc;

	if (o->warmup && (rc = trial(r, "warmup", 0)) < 0)
		return rc;
	if (!o->search) {
		rc = trial(r, o->rate_pps > 0 ? "fixed" : "flat", o->rate_pps);
		return rc < 0 ? rc : 0;
	}
	/* Best of --flat-trials: on a shared machine a stall only ever lowers a rate. */
	int flat = -1;
	for (unsigned i = 0; i < o->flat_trials; i++) {
		int idx = trial(r, "flat", 0);
		if (idx < 0)
			return idx;
		if (flat < 0 || r->trials[idx].fwd_pps > r->trials[flat].fwd_pps)
			flat = idx;
	}
	double hi = r->trials[flat].offered_pps;
	if (hi <= 0) {
		fprintf(stderr, "sluice-pktgen: nothing could be sent flat out\n");
		return -EIO;
	}
	int ndr = search(r, "ndr", 0, hi);
	if (ndr < -1)
		return ndr;
	int pdr = search(r, "pdr", o->pdr_loss, hi);
	if (pdr < -1)
		return pdr;
	json_object_set_new(result, "flat_out", result_json(r, flat, 1));
	json_object_set_new(result, "zero_loss", result_json(r, ndr, 0));
	json_object_set_new(result, "partial_loss", result_json(r, pdr, o->pdr_loss));

	double base = ndr >= 0 ? r->trials[ndr].target_pps : hi;
	json_t *loads = json_array();
	json_object_set_new(result, "loads", loads);
	for (unsigned i = 0; i < o->n_loads; i++) {
		int idx = trial(r, "load", base * o->loads[i]);
		if (idx < 0)
			return idx;
		json_array_append_new(loads, json_integer(idx));
	}
	return 0;
}

int
main(int argc, char **argv)
{
	struct cli c = {
		.o = {.duration_s = 1,
			.resolution = 0.01,
			.max_trials = 12,
			.flat_trials = 1,
			.pdr_loss = 0.001,
			.drain_quiet_ms = 10,
			.drain_max_ms = 200},
		.link_wait_s = 15,
		.dst_mac = {0x02, 0x50, 0x47, 0, 0, 0x02},
	};
	struct pg_profile *prof = NULL;
	struct rte_mempool *pool = NULL;
	struct run r = {0};
	char err[PG_ERR_LEN];
	int rc, status = 1;

	pg_stream_default(&c.one);
	/* --help needs no EAL (nor hugepages): look for it before EAL init. */
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			usage(stdout);
			return 0;
		}
	}
	rc = rte_eal_init(argc, argv);
	if (rc < 0) {
		fprintf(stderr, "sluice-pktgen: EAL init failed: %s\n", rte_strerror(rte_errno));
		return 1;
	}
	argc -= rc;
	argv += rc;
	if (parse_args(argc, argv, &c) < 0) {
		status = 2;
		goto out_eal;
	}
	c.o.tsc_hz = rte_get_tsc_hz();

	prof = calloc(1, sizeof(*prof));
	r.trials = calloc(MAX_TRIALS, sizeof(*r.trials));
	if (!prof || !r.trials) {
		fprintf(stderr, "sluice-pktgen: out of memory\n");
		goto out_eal;
	}
	if (c.profile) {
		rc = pg_profile_load(prof, c.profile, err, sizeof(err));
	} else {
		memcpy(prof->src_mac, (uint8_t[]){0x02, 0x50, 0x47, 0, 0, 0x01}, 6);
		snprintf(c.one.name, sizeof(c.one.name), "%s", pg_type_name(c.one.type));
		prof->n_streams = 1;
		prof->streams[0] = c.one;
		memcpy(prof->dst_mac, c.dst_mac, 6);
		rc = pg_profile_finish(prof, err, sizeof(err));
	}
	if (rc < 0) {
		fprintf(stderr, "sluice-pktgen: %s%s\n", c.profile ? "" : "options: ", err);
		status = 2;
		goto out;
	}
	if (c.have_mac)
		for (unsigned i = 0; i < prof->n_streams; i++)
			for (unsigned k = 0; k < prof->streams[i].n_sizes; k++)
				memcpy(prof->streams[i].tmpl[k]->bytes, c.dst_mac, 6);

	unsigned n_threads = rte_lcore_count() - 1;
	if (n_threads == 0 || n_threads > PG_MAX_THREADS) {
		fprintf(stderr,
			"sluice-pktgen: give 1..%d worker lcores besides the main one "
			"(e.g. -l 0,1 or --lcores 0@0,1@0)\n",
			PG_MAX_THREADS);
		goto out;
	}
	unsigned n_mbufs = n_threads * (2 * NB_DESC + 8 * PG_BURST + 512) + 8192;
	pool = rte_pktmbuf_pool_create(
		"pg_mbufs", n_mbufs, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE, (int)rte_socket_id());
	if (!pool) {
		fprintf(stderr, "sluice-pktgen: mbuf pool: %s (hugepages set up?)\n",
			rte_strerror(rte_errno));
		goto out;
	}
	rc = port_setup(c.port, n_threads, pool, c.link_wait_s);
	if (rc < 0) {
		if (rc != -ETIMEDOUT && rc != -ENODEV && rc != -EINVAL)
			fprintf(stderr, "sluice-pktgen: port %u: %s\n", c.port, rte_strerror(-rc));
		goto out;
	}
	struct rte_ether_addr mac;
	rte_eth_macaddr_get(c.port, &mac);
	for (unsigned i = 0; i < prof->n_streams; i++)
		for (unsigned k = 0; k < prof->streams[i].n_sizes; k++)
			memcpy(prof->streams[i].tmpl[k]->bytes + 6, mac.addr_bytes, 6);

	pg_ctl.n_threads = n_threads;
	unsigned lcore, ti = 0;
	RTE_LCORE_FOREACH_WORKER (lcore) {
		struct pg_thread *th = rte_zmalloc_socket("pg_thread", sizeof(*th),
			RTE_CACHE_LINE_SIZE, (int)rte_lcore_to_socket_id(lcore));
		if (!th) {
			fprintf(stderr, "sluice-pktgen: out of memory\n");
			goto out_port;
		}
		pg_ctl.th[ti] = th;
		th->lcore = lcore;
		th->port = c.port;
		th->queue = (uint16_t)ti;
		th->pool = pool;
		rc = pg_thread_init(th, ti, n_threads, prof, c.count_flows);
		if (rc < 0) {
			fprintf(stderr, "sluice-pktgen: thread %u: %s\n", ti,
				rc == -ERANGE ? "a stream has fewer flows than there are threads"
					      : strerror(-rc));
			goto out_port;
		}
		ti++;
	}
	ti = 0;
	RTE_LCORE_FOREACH_WORKER (lcore)
		rte_eal_remote_launch(pg_thread_main, pg_ctl.th[ti++], lcore);

	bool json_stdout = c.json && strcmp(c.json, "-") == 0;
	r.c = &c;
	r.p = prof;
	r.out = c.quiet ? NULL : (c.o.sync || json_stdout ? stderr : stdout);
	if (r.out)
		pg_table_header(r.out);
	json_t *result = json_object();
	rc = run_trials(&r, result);

	/*
	 * --sync: say so and wait for a line before the threads stop polling RX,
	 * so that the caller can let the peer settle (take in what is still on
	 * the link, send back what it holds) and read its counters first.
	 */
	if (c.o.sync && rc == 0) {
		char line[64];
		printf("{\"event\": \"done\"}\n");
		fflush(stdout);
		if (!fgets(line, sizeof(line), stdin))
			rc = -EPIPE;
	}

	/* Stop the threads. */
	memset(&pg_ctl.cmd, 0, sizeof(pg_ctl.cmd));
	pg_ctl.cmd.kind = PG_CMD_QUIT;
	__atomic_add_fetch(&pg_ctl.seq, 1, __ATOMIC_RELEASE);
	rte_eal_mp_wait_lcore();
	/*
	 * --sync: nothing polls the port now; the caller may stop the peer before
	 * this end of the link goes away. (DPDK 22.11's memif unmaps the shared
	 * regions when the peer disconnects, under a worker that may still be
	 * polling them: a server whose client leaves mid-poll can crash.)
	 */
	if (c.o.sync && rc == 0) {
		char line[64];
		printf("{\"event\": \"stopped\"}\n");
		fflush(stdout);
		if (!fgets(line, sizeof(line), stdin))
			rc = -EPIPE;
	}

	if (rc < 0 && rc != -EPIPE) {
		fprintf(stderr, "sluice-pktgen: %s\n", strerror(-rc));
		json_decref(result);
		goto out_port;
	}
	if (r.out && r.n) {
		const struct pg_trial *t = &r.trials[r.n - 1];
		for (unsigned i = 0; i < r.n; i++)
			if (strcmp(r.trials[i].kind, "flat") == 0)
				t = &r.trials[i];
		fprintf(r.out, "trial %u by stream:\n", t->index);
		pg_table_streams(r.out, t, prof, c.o.tsc_hz);
	}

	uint64_t sent = 0, rx = 0, idle = 0;
	json_t *trials = json_array();
	for (unsigned i = 0; i < r.n; i++) {
		for (unsigned s = 0; s < prof->n_streams; s++)
			sent += r.trials[i].sum.s[s].tx;
		rx += r.trials[i].sum.rx_total;
		json_array_append_new(trials, pg_trial_json(&r.trials[i], prof, c.o.tsc_hz));
	}
	for (unsigned i = 0; i < n_threads; i++)
		idle += pg_ctl.th[i]->rx_idle;
	struct rte_eth_dev_info info;
	rte_eth_dev_info_get(c.port, &info);
	json_t *rep = json_pack(
		"{s:{s:s, s:i, s:s, s:I, s:i, s:f, s:f, s:f}, s:o, s:o, s:o, s:{s:I, s:I, s:I}}",
		"generator", "tool", "sluice-pktgen", "threads", (int)n_threads, "driver",
		info.driver_name, "tsc_hz", (json_int_t)c.o.tsc_hz, "burst", PG_BURST, "duration_s",
		c.o.duration_s, "drain_quiet_ms", c.o.drain_quiet_ms, "search_resolution",
		c.o.resolution, "profile", pg_profile_json(prof), "trials", trials, "result",
		result, "totals", "sent", (json_int_t)sent, "received", (json_int_t)(rx + idle),
		"received_between_trials", (json_int_t)idle);
	if (c.json) {
		FILE *f = json_stdout ? stdout : fopen(c.json, "w");
		if (!f || json_dumpf(rep, f, JSON_INDENT(1)) < 0) {
			fprintf(stderr, "sluice-pktgen: cannot write %s: %s\n", c.json,
				strerror(errno));
			json_decref(rep);
			if (f && !json_stdout)
				fclose(f);
			goto out_port;
		}
		fputc('\n', f);
		if (json_stdout)
			fflush(f);
		else
			fclose(f);
	}
	json_decref(rep);
	status = rc == -EPIPE ? 3 : 0;

out_port:
	rte_eth_dev_stop(c.port);
	rte_eth_dev_close(c.port);
out:
	for (unsigned i = 0; i < PG_MAX_THREADS; i++) {
		if (pg_ctl.th[i]) {
			pg_thread_free(pg_ctl.th[i]);
			rte_free(pg_ctl.th[i]);
		}
	}
	rte_mempool_free(pool);
	if (prof)
		pg_profile_free(prof);
	free(prof);
	free(r.trials);
out_eal:
	rte_eal_cleanup();
	return status;
}
