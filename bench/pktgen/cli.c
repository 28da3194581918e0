/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sluice-pktgen's options: every value checked, a bad one named with the
 * reason (see pg_cli_parse()).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_common.h>
#include <rte_ethdev.h>

#include "cli.h"

void
pg_cli_usage(FILE *f)
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

int
pg_cli_parse(int argc, char **argv, struct pg_cli *c)
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
			pg_cli_usage(stdout);
			exit(0);
		default:
			(void)name;
			pg_cli_usage(stderr);
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
