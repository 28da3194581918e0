/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lbadm: global options and the top-level command table. Each verb lives in
 * its own file (cmd_*.c) and parses its own options; see lbadm(8).
 */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "lbadm.h"

#ifndef LBADM_VERSION
#define LBADM_VERSION "unknown"
#endif

static int do_help(int argc, char **argv);

/* The top level. Keep in step with lbadm.8 and lbadm.bash-completion:
 * tests/lbadm/test_docs.py checks that every verb appears in both. */
static const struct lb_cmd cmds[] = {
	{"status", lb_do_status, NULL, "", "the node: state version, dataplane, health summary"},
	{"list", lb_do_list, NULL, "[-t|-u SERVICE] [--stats] [-n]",
		"VIPs and backends with health, weights and live counters (ipvsadm -Ln)"},
	{"stats", lb_do_stats, NULL, "", "dataplane counters: per VIP, drops by reason, conntrack"},
	{"health", lb_do_health, NULL, "[-t|-u SERVICE]",
		"health checks: per backend, last result"},
	{"vip", NULL, lb_vip_cmds, "add|edit|delete|show ...", "virtual services"},
	{"backend", NULL, lb_backend_cmds, "add|edit|delete|drain|enable|disable|weight ...",
		"real servers of a VIP"},
	{"apply", lb_do_apply, NULL, "-f FILE [--dry-run] [--expect-version N]",
		"make the whole state what FILE (YAML or JSON) says"},
	{"set", lb_do_set, NULL, "KEY=VALUE...",
		"set global settings (nexthop_mac, mtu, seed, timeouts.udp, ...)"},
	{"export", lb_do_export, NULL, "", "print the running state document (JSON, for apply -f)"},
	{"history", lb_do_history, NULL, "[VERSION] [--limit N]",
		"committed versions, or one version's state"},
	{"rollback", lb_do_rollback, NULL, "[VERSION] [--dry-run]",
		"commit a new version equal to VERSION (default: the one before)"},
	{"filter", NULL, lb_filter_cmds, "show|deny|allow|rate|mode|set|stats|drops ...",
		"the XDP filter"},
	{"metrics", lb_do_metrics, NULL, "", "the Prometheus metrics as sluiced serves them"},
	{"node", NULL, lb_node_cmds, "status|drain|undrain",
		"this node in a cluster: maintenance, BGP announcements (docs/cluster.md)"},
	{"cluster", NULL, lb_cluster_cmds, "apply|compare --nodes LIST ...",
		"several nodes at once: apply a state, compare their tables"},
	{"help", do_help, NULL, "", "this text"},
	{NULL, NULL, NULL, NULL, NULL},
};

static void
usage(FILE *f)
{
	fprintf(f,
		"usage: lbadm [OPTIONS] OBJECT|VERB [ARGS]\n"
		"Operate a Sluice load balancer through sluiced (docs/api.md).\n"
		"\n"
		"options:\n"
		"  -s, --socket PATH      sluiced's Unix socket (default %s)\n"
		"  -H, --host URL         talk to sluiced over TCP instead (http://HOST:PORT)\n"
		"      --token-file FILE  bearer token for --host (else $SLUICE_TOKEN)\n"
		"      --timeout SECONDS  give up on a request after this long (default 60)\n"
		"  -j, --json             JSON on stdout; errors as {\"error\": {...}}\n"
		"  -h, --help             this text\n"
		"      --version          lbadm's version\n"
		"\n"
		"verbs:\n",
		LB_DEFAULT_SOCKET);
	for (const struct lb_cmd *c = cmds; c->name; c++) {
		if (c->sub) {
			for (const struct lb_cmd *s = c->sub; s->name; s++)
				fprintf(f, "  %s %s %s\n      %s\n", c->name, s->name, s->synopsis,
					s->help);
		} else {
			fprintf(f, "  %s %s\n      %s\n", c->name, c->synopsis, c->help);
		}
	}
	fprintf(f, "\n"
		   "SERVICE is ADDR:PORT or [IPV6]:PORT (port 0: every port) after -t (TCP) or\n"
		   "-u (UDP), or PROTO/ADDR/PORT as sluiced names VIPs (tcp/192.0.2.80/80).\n"
		   "Every verb takes --help. Unambiguous prefixes of verbs work (lbadm b dr).\n"
		   "\n"
		   "exit status: 0 ok, 1 refused or invalid, 2 bad command line, 3 sluiced\n"
		   "unreachable, 4 conflict (changed meanwhile, or exists), 5 not found,\n"
		   "6 not authorised\n");
}

static int
do_help(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	usage(stdout);
	return LB_EXIT_OK;
}

/* Hidden: every verb path, one per line, for the drift test. */
static void
list_commands(void)
{
	for (const struct lb_cmd *c = cmds; c->name; c++) {
		if (!c->sub) {
			printf("%s\n", c->name);
			continue;
		}
		for (const struct lb_cmd *s = c->sub; s->name; s++)
			printf("%s %s\n", c->name, s->name);
	}
}

enum {
	OPT_TOKEN_FILE = 256,
	OPT_VERSION,
	OPT_TIMEOUT,
	OPT_LIST_COMMANDS,
};

int
main(int argc, char **argv)
{
	static const struct option lopts[] = {
		{"socket", required_argument, NULL, 's'},
		{"host", required_argument, NULL, 'H'},
		{"token-file", required_argument, NULL, OPT_TOKEN_FILE},
		{"timeout", required_argument, NULL, OPT_TIMEOUT},
		{"json", no_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, OPT_VERSION},
		{"list-commands", no_argument, NULL, OPT_LIST_COMMANDS},
		{NULL, 0, NULL, 0},
	};
	unsigned long long v;
	int c, rc;

	opterr = 0; /* our own messages, in JSON when -j */
	/* '+': stop at the first verb; its options are its own. */
	while ((c = getopt_long(argc, argv, "+:s:H:jh", lopts, NULL)) != -1) {
		switch (c) {
		case 's':
			lb_g.socket = optarg;
			break;
		case 'H':
			lb_g.host = optarg;
			break;
		case OPT_TOKEN_FILE:
			lb_g.token_file = optarg;
			break;
		case OPT_TIMEOUT:
			if (lb_parse_uint(optarg, 1, 3600, &v) < 0)
				return lb_usage(NULL,
					"--timeout: '%s' is not a number of seconds in 1..3600",
					optarg);
			lb_g.timeout_s = (long)v;
			break;
		case 'j':
			lb_g.json = true;
			break;
		case 'h':
			usage(stdout);
			return LB_EXIT_OK;
		case OPT_VERSION:
			printf("lbadm %s\n", LBADM_VERSION);
			return LB_EXIT_OK;
		case OPT_LIST_COMMANDS:
			list_commands();
			return LB_EXIT_OK;
		case ':':
			return lb_usage(NULL, "option '%s' needs a value", argv[optind - 1]);
		default:
			return lb_usage(NULL, "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return lb_usage(NULL, "a verb is required");
	}
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0)
		return lb_fail(LB_EXIT_UNREACHABLE, "internal", NULL, "libcurl failed to start");
	rc = lb_cmd_dispatch(cmds, "", argc - optind, argv + optind);
	curl_global_cleanup();
	return rc;
}
