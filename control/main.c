/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sluiced: the Sluice control daemon (docs/sluiced.md, docs/api.md).
 *
 * Threads: the main thread reconciles sluice-dp with the state; one
 * libmicrohttpd thread per API connection; one thread runs the health
 * checks (locking in sld.h). Runs in the foreground.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>

#include <sluice/ctl.h>
#include <sluice/filter.h>
#include <sluice/num.h>

#include "etcd.h"
#include "log.h"
#include "node.h"
#include "sld.h"

#define DEFAULT_SOCKET	  "/run/sluice/sluiced.sock"
#define DEFAULT_STATE_DIR "/var/lib/sluice"
#define DEFAULT_ETCD_KEY  "/sluice/state"

static struct sld daemon_ctx;

static void
usage(FILE *f)
{
	fprintf(f,
		"usage: sluiced [options]\n"
		"\n"
		"The Sluice control daemon: owns the desired state (VIPs, backends, health\n"
		"checks), serves the HTTP API (docs/api.md), runs health checks, and keeps\n"
		"sluice-dp running the state. Runs in the foreground.\n"
		"\n"
		"  -s, --socket PATH        API Unix socket (default %s)\n"
		"      --socket-mode MODE   its permissions, octal (default 0660; group 'sluice'\n"
		"                           when that group exists)\n"
		"  -l, --listen ADDR:PORT   also serve the API on TCP ([ADDR]:PORT for IPv6);\n"
		"                           every request needs a token (--tokens)\n"
		"      --tokens FILE        tokens for TCP: lines of NAME ROLE SECRET, ROLE read\n"
		"                           or admin; the file must not be group/world-readable\n"
		"  -d, --state-dir DIR      state directory (default %s)\n"
		"      --dp-socket PATH     sluice-dp's control socket (default %s)\n"
		"      --dp-config FILE     keep FILE equal to the config sluice-dp runs, so that\n"
		"                           sluice-dp restarted with -c FILE starts from it\n"
		"      --node NAME          node name in /v1/status (default: the host name)\n"
		"      --filter-iface IFACE the XDP filter's maps of IFACE hold the state's\n"
		"                           \"filter\" (repeatable, or IFACE,IFACE,...)\n"
		"      --filter-pin-root DIR  where they are pinned, on a bpffs (default %s)\n"
		"      --max-checks N       health checks running at once (default 64)\n"
		"      --client-timeout S   close API connections idle for S seconds (default 30)\n"
		"      --max-clients N      API connections at once, per listener (default 256)\n"
		"      --max-clients-per-ip N  of them from one TCP client address (default 32)\n"
		"\n"
		"Cluster operation (docs/cluster.md): announce VIP prefixes through BIRD while\n"
		"this node can serve them.\n"
		"      --bird-socket PATH   BIRD's control socket; without it nothing is "
		"announced\n"
		"      --bird-include FILE  the file of announced prefixes that bird.conf "
		"includes\n"
		"                           (required with --bird-socket)\n"
		"      --maintenance-file PATH  while PATH exists the node is in maintenance:\n"
		"                           it announces nothing (also: PUT /v1/node)\n"
		"      --announce-rule all|any  an address with several VIPs is announced when\n"
		"                           all of them (default) or any has enough healthy "
		"backends\n"
		"      --etcd URL           take the state from etcd (http://HOST:PORT, its v3 "
		"JSON\n"
		"                           gateway): watch --etcd-key, apply each valid "
		"revision,\n"
		"                           refuse (and keep the running state) an invalid one\n"
		"      --etcd-key KEY       the key holding the state document (default %s)\n"
		"  -v, --verbose            log debug messages\n"
		"  -h, --help               this text\n",
		DEFAULT_SOCKET, DEFAULT_STATE_DIR, SL_CTL_DEFAULT_SOCK, SL_FILTER_PIN_ROOT,
		DEFAULT_ETCD_KEY);
}

static int
parse_uint(const char *opt, const char *s, int base, unsigned long max, unsigned int *out)
{
	uint64_t v;

	if (sl_parse_uint(s, base, 0, max, &v) < 0) {
		fprintf(stderr, "sluiced: %s: '%s' is not a number in 0..%lu\n", opt, s, max);
		return -EINVAL;
	}
	*out = (unsigned int)v;
	return 0;
}

/* --filter-iface NAME[,NAME...] into d->fif. */
static int
add_filter_ifaces(struct sld *d, const char *arg)
{
	char buf[1024], *save = NULL;

	if (strlen(arg) >= sizeof(buf)) {
		fprintf(stderr, "sluiced: --filter-iface: too long\n");
		return -EINVAL;
	}
	snprintf(buf, sizeof(buf), "%s", arg);
	for (char *n = strtok_r(buf, ",", &save); n != NULL; n = strtok_r(NULL, ",", &save)) {
		struct sld_fif *nf;
		size_t len = strlen(n);

		if (len == 0 || len >= sizeof(d->fif[0].name) || strchr(n, '/') != NULL ||
			strcmp(n, ".") == 0 || strcmp(n, "..") == 0) {
			fprintf(stderr, "sluiced: --filter-iface: '%s' is not an interface name\n",
				n);
			return -EINVAL;
		}
		for (unsigned int i = 0; i < d->n_fif; i++)
			if (strcmp(d->fif[i].name, n) == 0) {
				fprintf(stderr, "sluiced: --filter-iface: %s given twice\n", n);
				return -EINVAL;
			}
		nf = realloc(d->fif, (d->n_fif + 1) * sizeof(*nf));
		if (nf == NULL)
			return -ENOMEM;
		d->fif = nf;
		memset(&d->fif[d->n_fif], 0, sizeof(d->fif[0]));
		snprintf(d->fif[d->n_fif].name, sizeof(d->fif[0].name), "%s", n);
		d->n_fif++;
	}
	return 0;
}

static int
parse_opts(int argc, char **argv, struct sld_opts *o)
{
	static const struct option lopts[] = {
		{"socket", required_argument, NULL, 's'},
		{"socket-mode", required_argument, NULL, 'M'},
		{"listen", required_argument, NULL, 'l'},
		{"tokens", required_argument, NULL, 'T'},
		{"state-dir", required_argument, NULL, 'd'},
		{"dp-socket", required_argument, NULL, 'D'},
		{"dp-config", required_argument, NULL, 'C'},
		{"node", required_argument, NULL, 'N'},
		{"max-checks", required_argument, NULL, 'm'},
		{"client-timeout", required_argument, NULL, 'o'},
		{"max-clients", required_argument, NULL, 'c'},
		{"max-clients-per-ip", required_argument, NULL, 'i'},
		{"filter-iface", required_argument, NULL, 'X'},
		{"filter-pin-root", required_argument, NULL, 'P'},
		{"bird-socket", required_argument, NULL, 'B'},
		{"bird-include", required_argument, NULL, 'I'},
		{"maintenance-file", required_argument, NULL, 'F'},
		{"announce-rule", required_argument, NULL, 'R'},
		{"etcd", required_argument, NULL, 'E'},
		{"etcd-key", required_argument, NULL, 'K'},
		{"verbose", no_argument, NULL, 'v'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int c;

	while ((c = getopt_long(argc, argv, "s:l:d:vh", lopts, NULL)) != -1) {
		switch (c) {
		case 's':
			o->socket = optarg;
			break;
		case 'M':
			if (parse_uint("--socket-mode", optarg, 8, 0777, &o->socket_mode) < 0)
				return -EINVAL;
			break;
		case 'l':
			o->listen = optarg;
			break;
		case 'T':
			o->tokens = optarg;
			break;
		case 'd':
			o->state_dir = optarg;
			break;
		case 'D':
			o->dp_socket = optarg;
			break;
		case 'C':
			o->dp_config = optarg;
			break;
		case 'N':
			o->node = optarg;
			break;
		case 'm':
			if (parse_uint("--max-checks", optarg, 10, 4096, &o->max_checks) < 0 ||
				o->max_checks == 0) {
				fprintf(stderr, "sluiced: --max-checks: at least 1\n");
				return -EINVAL;
			}
			break;
		case 'o':
			if (parse_uint("--client-timeout", optarg, 10, 3600, &o->client_timeout_s) <
					0 ||
				o->client_timeout_s == 0) {
				fprintf(stderr, "sluiced: --client-timeout: 1 .. 3600 seconds\n");
				return -EINVAL;
			}
			break;
		case 'c':
			if (parse_uint("--max-clients", optarg, 10, 65536, &o->max_clients) < 0 ||
				o->max_clients == 0) {
				fprintf(stderr, "sluiced: --max-clients: at least 1\n");
				return -EINVAL;
			}
			break;
		case 'i':
			if (parse_uint("--max-clients-per-ip", optarg, 10, 65536,
				    &o->max_clients_per_ip) < 0 ||
				o->max_clients_per_ip == 0) {
				fprintf(stderr, "sluiced: --max-clients-per-ip: at least 1\n");
				return -EINVAL;
			}
			break;
		case 'X':
			if (add_filter_ifaces(&daemon_ctx, optarg) < 0)
				return -EINVAL;
			break;
		case 'P':
			o->filter_pin_root = optarg;
			break;
		case 'B':
			o->bird_socket = optarg;
			break;
		case 'I':
			o->bird_include = optarg;
			break;
		case 'F':
			o->maintenance_file = optarg;
			break;
		case 'R':
			if (strcmp(optarg, "all") == 0)
				o->announce_rule = SLD_ANNOUNCE_ALL;
			else if (strcmp(optarg, "any") == 0)
				o->announce_rule = SLD_ANNOUNCE_ANY;
			else {
				fprintf(stderr,
					"sluiced: --announce-rule: '%s' is not all or any\n",
					optarg);
				return -EINVAL;
			}
			break;
		case 'E':
			o->etcd = optarg;
			break;
		case 'K':
			if (optarg[0] == '\0' || strlen(optarg) > 200) {
				fprintf(stderr, "sluiced: --etcd-key: 1 to 200 bytes\n");
				return -EINVAL;
			}
			o->etcd_key = optarg;
			break;
		case 'v':
			sld_log_level(LOG_DEBUG);
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			return -EINVAL;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "sluiced: unexpected argument '%s'\n", argv[optind]);
		return -EINVAL;
	}
	if ((o->bird_socket == NULL) != (o->bird_include == NULL)) {
		fprintf(stderr, "sluiced: --bird-socket and --bird-include go together\n");
		return -EINVAL;
	}
	if (o->listen != NULL && o->tokens == NULL) {
		fprintf(stderr,
			"sluiced: --listen needs --tokens (every TCP request needs a token)\n");
		return -EINVAL;
	}
	return 0;
}

static void
on_signal(int sig)
{
	(void)sig;
	daemon_ctx.quit = true;
}

/* Load the current version from the store and publish it. */
static int
load_state(struct sld *d, char *err, size_t errlen)
{
	struct sld_state st;
	json_t *file = NULL;
	struct sld_err e;
	int rc;

	rc = sld_store_open(&d->store, d->opts.state_dir, &file, err, errlen);
	if (rc < 0)
		return rc;
	rc = sld_state_from_json(&st, json_object_get(file, "state"), &e);
	if (rc < 0)
		snprintf(err, errlen, "%s/versions/%08llu.json: %s%s%s", d->opts.state_dir,
			(unsigned long long)d->store.current, e.field, e.field[0] ? ": " : "",
			e.message);
	else if ((rc = sld_init(d, d->store.current, &st)) < 0)
		snprintf(err, errlen, "out of memory");
	sld_state_free(&st);
	json_decref(file);
	return rc;
}

int
main(int argc, char **argv)
{
	struct sld *d = &daemon_ctx;
	struct sigaction sa = {.sa_handler = on_signal};
	char err[1024];
	int rc = 1;

	d->opts = (struct sld_opts){.socket = DEFAULT_SOCKET,
		.socket_mode = 0660,
		.state_dir = DEFAULT_STATE_DIR,
		.dp_socket = SL_CTL_DEFAULT_SOCK,
		.max_checks = 64,
		.client_timeout_s = 30,
		.max_clients = 256,
		.max_clients_per_ip = 32,
		.filter_pin_root = SL_FILTER_PIN_ROOT,
		.etcd_key = DEFAULT_ETCD_KEY};
	if (parse_opts(argc, argv, &d->opts) < 0)
		return 2;
	d->started = time(NULL);
	if (d->opts.node != NULL)
		snprintf(d->node, sizeof(d->node), "%s", d->opts.node);
	else if (gethostname(d->node, sizeof(d->node) - 1) < 0)
		snprintf(d->node, sizeof(d->node), "unknown");
	signal(SIGPIPE, SIG_IGN);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	if (d->opts.tokens != NULL && sld_tokens_load(d, d->opts.tokens, err, sizeof(err)) < 0) {
		fprintf(stderr, "sluiced: %s\n", err);
		return 1;
	}
	if (load_state(d, err, sizeof(err)) < 0) {
		fprintf(stderr, "sluiced: %s\n", err);
		return 1;
	}
	if (sld_node_init(d, err, sizeof(err)) < 0) {
		fprintf(stderr, "sluiced: %s\n", err);
		goto out;
	}
	d->health = sld_health_create(d->opts.max_checks, sld_wake, d);
	if (d->health == NULL) {
		fprintf(stderr, "sluiced: health checker: out of memory\n");
		goto out;
	}
	/* Before the checker runs: adopt what sluice-dp runs, seed known-down backends. */
	sld_dp_adopt(d);
	/* The API before the checker's thread: creating the socket sets the
	 * process's umask for a moment, which a check spawned then would get. */
	if (sld_health_set_targets(d->health, &d->snap->state) < 0) {
		fprintf(stderr, "sluiced: health checker: out of memory\n");
		goto out;
	}
	if (sld_api_start(d, err, sizeof(err)) < 0) {
		fprintf(stderr, "sluiced: %s\n", err);
		goto out;
	}
	if (sld_health_start(d->health) < 0) {
		fprintf(stderr, "sluiced: health checker did not start\n");
		goto out;
	}
	if (sld_etcd_start(d, err, sizeof(err)) < 0) {
		fprintf(stderr, "sluiced: %s\n", err);
		goto out;
	}
	sld_log(LOG_INFO, "ready: version %llu, API on %s%s%s, dataplane %s",
		(unsigned long long)sld_version(d), d->opts.socket, d->opts.listen ? " and " : "",
		d->opts.listen ? d->opts.listen : "", d->opts.dp_socket);
	/* systemd Type=notify: ready once the API listens (no-op without NOTIFY_SOCKET). */
	sd_notifyf(0, "READY=1\nSTATUS=version %llu", (unsigned long long)sld_version(d));
	sld_reconcile_loop(d);
	sld_log(LOG_INFO, "stopping");
	sd_notify(0, "STOPPING=1");
	rc = 0;
out:
	sld_etcd_stop(d); /* before the health checker: a commit from it uses the checker */
	sld_api_stop(d);
	sld_health_destroy(d->health);
	sld_node_fini(d);
	sld_store_close(&d->store);
	sld_fini(d);
	return rc;
}
