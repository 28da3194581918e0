/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lbadm filter ...: the XDP filter's rule set (docs/filter.md), a part of
 * the state like any other (GET/PUT /v1/filter), and its counters and
 * recent drops. Imperative changes read the rule set, change one thing and
 * write it back with If-Match, retried on 412; `filter set -f` replaces it
 * whole and, like apply, never retries.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "filter_priv.h"
#include "lbadm.h"

enum {
	O_DELETE = 'd',
	O_VIP = 256,
	O_PROTO,
	O_PORT,
	O_PPS,
	O_BPS,
	O_BURST_PKTS,
	O_BURST_BYTES,
	O_KEY4,
	O_KEY6,
	O_KEYLEN,
	O_PREFIX,
	O_SYN_PPS,
	O_SYN_BURST,
	O_DRY_RUN,
	O_SAMPLE,
};

static const struct option flopts[] = {
	{"delete", no_argument, NULL, O_DELETE},
	{"vip", required_argument, NULL, O_VIP},
	{"protocol", required_argument, NULL, O_PROTO},
	{"port", required_argument, NULL, O_PORT},
	{"pps", required_argument, NULL, O_PPS},
	{"bps", required_argument, NULL, O_BPS},
	{"burst-packets", required_argument, NULL, O_BURST_PKTS},
	{"burst-bytes", required_argument, NULL, O_BURST_BYTES},
	{"key-prefix-v4", required_argument, NULL, O_KEY4},
	{"key-prefix-v6", required_argument, NULL, O_KEY6},
	{"key-prefix", required_argument, NULL, O_KEYLEN},
	{"prefix", required_argument, NULL, O_PREFIX},
	{"syn-pps", required_argument, NULL, O_SYN_PPS},
	{"syn-burst", required_argument, NULL, O_SYN_BURST},
	{"drop-sample", required_argument, NULL, O_SAMPLE},
	{"file", required_argument, NULL, 'f'},
	{"dry-run", no_argument, NULL, O_DRY_RUN},
	{"help", no_argument, NULL, 'h'},
	{NULL, 0, NULL, 0},
};

static int
fparse(struct fopts *o, const char *allowed, int argc, char **argv, const char *help)
{
	unsigned long long v;
	int c, idx;

	memset(o, 0, sizeof(*o));
	o->ints = json_object();
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":df:h", flopts, &idx)) != -1) {
		if (c == '?')
			return lb_usage(lb_verb, "unknown option '%s'", argv[optind - 1]);
		if (c == ':')
			return lb_usage(lb_verb, "option '%s' needs a value", argv[optind - 1]);
		if (c == 'h') {
			printf("usage: lbadm %s %s", lb_verb, help);
			return -1;
		}
		/* @allowed lists long names, space-separated, with spaces around. */
		const char *name = c == 'f' ? "file" : c == 'd' ? "delete" : NULL;
		for (const struct option *l = flopts; !name && l->name; l++)
			if (l->val == c)
				name = l->name;
		char key[40];
		snprintf(key, sizeof(key), " %s ", name ? name : "?");
		if (!strstr(allowed, key))
			return lb_usage(
				lb_verb, "option '%s' does not apply here", argv[optind - 1]);
		switch (c) {
		case O_DELETE:
			o->del = true;
			break;
		case O_DRY_RUN:
			o->dry_run = true;
			break;
		case 'f':
			o->file = optarg;
			break;
		case O_VIP:
			o->vip = optarg;
			break;
		case O_PROTO:
			o->proto = optarg;
			break;
		case O_PREFIX:
			o->prefix = optarg;
			break;
		default:
			if (lb_parse_uint(optarg, 0, 1ull << 62, &v) < 0)
				return lb_usage(lb_verb, "--%s: '%s' is not a decimal number", name,
					optarg);
			json_object_set_new(o->ints, name, json_integer((json_int_t)v));
		}
	}
	o->args = argv + optind;
	o->nargs = argc - optind;
	return 0;
}

static void
ffree(struct fopts *o)
{
	json_decref(o->ints);
}

/* The rule set in a GET /v1/filter answer: under "filter", else the body less "version". */
static json_t *
rules_of(json_t *body)
{
	json_t *f = json_object_get(body, "filter");

	if (json_is_object(f))
		return json_deep_copy(f);
	if (json_is_null(f))
		return json_object();
	f = json_deep_copy(body);
	if (json_is_object(f)) {
		json_object_del(f, "version");
		return f;
	}
	json_decref(f);
	return json_object();
}

/* One imperative change of the rule set: @edit changes a copy; 412 retried. */
static int
filter_write(int (*edit)(json_t *rules, struct fopts *o), struct fopts *o, const char *what)
{
	struct lb_resp cur, w = {0};
	int rc;

	for (int attempt = 1;; attempt++) {
		rc = lb_get("/v1/filter", &cur);
		if (rc) {
			lb_resp_free(&cur);
			return rc;
		}
		long long v = lb_resp_version(&cur);
		json_t *rules = rules_of(cur.body);
		lb_resp_free(&cur);
		rc = edit(rules, o);
		if (rc) {
			json_decref(rules);
			return rc;
		}
		rc = lb_http("PUT", "/v1/filter", rules, v, &w);
		json_decref(rules);
		if (rc < 0)
			return -rc;
		if (w.status == 412 && attempt < LB_MAX_ATTEMPTS) {
			lb_resp_free(&w);
			usleep(20000u * (unsigned)attempt);
			continue;
		}
		rc = lb_resp_check(&w);
		if (rc == 0)
			lb_report_write(&w, v, what);
		lb_resp_free(&w);
		return rc;
	}
}

static int
do_deny(int argc, char **argv)
{
	struct fopts o;
	int rc = fparse(&o, " delete vip protocol port ", argc, argv,
		"[-d] PREFIX... [--vip ADDR [--protocol tcp|udp [--port PORT]]]\n"
		"Drop traffic from PREFIX (192.0.2.0/24, 2001:db8::/32, or an address), to\n"
		"every destination or only to one VIP (and protocol and port).\n\n"
		"  -d, --delete           remove these rules instead\n");

	if (rc == 0 && o.nargs == 0)
		rc = lb_usage(lb_verb, "which prefix?");
	if (rc == 0)
		rc = filter_write(lb_filter_edit_deny, &o, o.del ? "rules removed" : "rules added");
	ffree(&o);
	return rc < 0 ? LB_EXIT_OK : rc;
}

static int
do_allow(int argc, char **argv)
{
	struct fopts o;
	int rc = fparse(&o, " delete ", argc, argv,
		"[-d] PREFIX...\n"
		"Never filter traffic from PREFIX (allowlist: passes deny rules and rate "
		"limits).\n\n"
		"  -d, --delete           remove these prefixes instead\n");

	if (rc == 0 && o.nargs == 0)
		rc = lb_usage(lb_verb, "which prefix?");
	if (rc == 0)
		rc = filter_write(
			lb_filter_edit_allow, &o, o.del ? "prefixes removed" : "prefixes added");
	ffree(&o);
	return rc < 0 ? LB_EXIT_OK : rc;
}

static int
do_rate(int argc, char **argv)
{
	struct fopts o;
	int rc = fparse(&o,
		" delete pps bps burst-packets burst-bytes key-prefix-v4 key-prefix-v6 key-prefix "
		"prefix syn-pps syn-burst drop-sample ",
		argc, argv,
		"[--prefix PREFIX [--key-prefix LEN] [-d]] [--pps N] [--bps N]\n"
		"     [--burst-packets N] [--burst-bytes N] [--key-prefix-v4 LEN] [--key-prefix-v6 "
		"LEN]\n"
		"     [--syn-pps N] [--syn-burst N] [--drop-sample N]\n"
		"Per-source rate limits (0 = none). Without --prefix: the defaults, one bucket\n"
		"per source /key-prefix-v4 (default 32) or /key-prefix-v6 (default 64). With\n"
		"--prefix: an override for sources in PREFIX (-d removes it). --syn-pps limits\n"
		"new TCP connections per VIP; --drop-sample N samples 1 in N drops for 'drops'.\n");

	if (rc == 0 && o.nargs > 0)
		rc = lb_usage(lb_verb, "unexpected argument '%s'", o.args[0]);
	if (rc == 0 && json_object_size(o.ints) == 0 && !o.del)
		rc = lb_usage(lb_verb, "nothing to change: give --pps, --bps, ...");
	if (rc == 0)
		rc = filter_write(lb_filter_edit_rate, &o, "rate limits");
	ffree(&o);
	return rc < 0 ? LB_EXIT_OK : rc;
}

static int
do_mode(int argc, char **argv)
{
	struct fopts o;
	int rc = fparse(&o, " ", argc, argv,
		"enforce|monitor [deny|rate|syn|all]\n"
		"enforce drops; monitor counts what would be dropped and passes it (default: all\n"
		"three parts).\n");

	if (rc == 0 && (o.nargs < 1 || o.nargs > 2))
		rc = lb_usage(lb_verb, "give enforce or monitor, and optionally deny, rate or syn");
	if (rc == 0 && strcmp(o.args[0], "enforce") != 0 && strcmp(o.args[0], "monitor") != 0)
		rc = lb_usage(lb_verb, "'%s' is not enforce or monitor", o.args[0]);
	if (rc == 0)
		rc = filter_write(lb_filter_edit_mode, &o, "mode");
	ffree(&o);
	return rc < 0 ? LB_EXIT_OK : rc;
}

static int
do_set(int argc, char **argv)
{
	struct fopts o;
	struct lb_resp cur = {0}, d = {0}, w = {0};
	char err[1024];
	json_t *doc = NULL, *state = NULL;
	int rc = fparse(&o, " file dry-run ", argc, argv,
		"-f FILE [--dry-run]\n"
		"Replace the whole rule set with FILE (YAML or JSON, docs/filter.md). The diff\n"
		"is printed; like apply, a conflict is reported (exit 4), never retried.\n");

	if (rc)
		goto out;
	if (!o.file) {
		rc = lb_usage(lb_verb, "which file? -f FILE");
		goto out;
	}
	doc = lb_read_doc(o.file, err, sizeof(err));
	if (!doc) {
		rc = lb_fail(LB_EXIT_REFUSED, "invalid_input", NULL, "%s", err);
		goto out;
	}
	/* The diff: the running state with this rule set, as a dry run. */
	rc = lb_get("/v1/state", &cur);
	if (rc)
		goto out;
	state = json_deep_copy(json_object_get(cur.body, "state"));
	if (!json_is_object(state)) {
		rc = lb_fail(
			LB_EXIT_UNREACHABLE, "bad_answer", NULL, "no state in sluiced's answer");
		goto out;
	}
	json_object_set(state, "filter", doc);
	rc = lb_http("PUT", "/v1/state?dry_run=1", state, -1, &d);
	if (rc < 0 || (rc = lb_resp_check(&d))) {
		rc = rc < 0 ? -rc : rc;
		goto out;
	}
	if (o.dry_run) {
		if (lb_g.json)
			lb_print_json(d.body);
		else {
			printf("dry run: %zu change(s) against version %lld\n",
				json_array_size(json_object_get(d.body, "diff")),
				lb_resp_version(&d));
			lb_diff_print(stdout, json_object_get(d.body, "diff"));
		}
		goto out;
	}
	long long base = lb_resp_version(&d);
	rc = lb_http("PUT", "/v1/filter", doc, base, &w);
	if (rc < 0) {
		rc = -rc;
		goto out;
	}
	if (w.status == 412) {
		rc = lb_fail(LB_EXIT_CONFLICT, "version_mismatch", NULL,
			"the state changed after the diff was computed (version %lld): nothing "
			"applied; review and run again",
			base);
		goto out;
	}
	rc = lb_resp_check(&w);
	if (rc == 0) {
		if (!lb_g.json)
			lb_diff_print(stdout, json_object_get(d.body, "diff"));
		lb_report_write(&w, base, "rule set");
	}
out:
	json_decref(doc);
	json_decref(state);
	lb_resp_free(&cur);
	lb_resp_free(&d);
	lb_resp_free(&w);
	ffree(&o);
	return rc < 0 ? LB_EXIT_OK : rc;
}

static int
show(int argc, char **argv, const char *path, const char *help)
{
	struct fopts o;
	struct lb_resp r = {0};
	int rc = fparse(&o, " ", argc, argv, help);

	if (rc == 0 && o.nargs > 0)
		rc = lb_usage(lb_verb, "unexpected argument '%s'", o.args[0]);
	if (rc == 0)
		rc = lb_get(path, &r);
	if (rc == 0) {
		if (lb_g.json || strcmp(path, "/v1/filter") == 0)
			lb_print_json(r.body);
		else
			lb_print_flat(stdout, r.body, NULL);
	}
	lb_resp_free(&r);
	ffree(&o);
	return rc < 0 ? LB_EXIT_OK : rc;
}

static int
do_show(int argc, char **argv)
{
	return show(argc, argv, "/v1/filter", "\nThe filter's rule set (JSON, docs/filter.md).\n");
}

static int
do_stats(int argc, char **argv)
{
	return show(argc, argv, "/v1/filter/stats",
		"\nThe filter's counters: packets and bytes by verdict, drops by reason, per-rule "
		"hits.\n");
}

static int
do_drops(int argc, char **argv)
{
	return show(argc, argv, "/v1/filter/drops",
		"\nThe recent-drops sample: source, reason, time.\n");
}

const struct lb_cmd lb_filter_cmds[] = {
	{"show", do_show, NULL, "", "the rule set"},
	{"deny", do_deny, NULL, "[-d] PREFIX... [--vip ADDR [--protocol P [--port N]]]",
		"add (or -d remove) denylist rules"},
	{"allow", do_allow, NULL, "[-d] PREFIX...", "add (or -d remove) allowlist prefixes"},
	{"rate", do_rate, NULL, "[--prefix P [-d]] [--pps N] [--bps N] [--syn-pps N] ...",
		"rate limits: defaults, per-prefix overrides, SYN limit"},
	{"mode", do_mode, NULL, "enforce|monitor [deny|rate|syn|all]",
		"drop, or only count what would be dropped"},
	{"set", do_set, NULL, "-f FILE [--dry-run]", "replace the whole rule set"},
	{"stats", do_stats, NULL, "", "counters by verdict and drop reason, rule hits"},
	{"drops", do_drops, NULL, "", "recent drops: source, reason, time"},
	{NULL, NULL, NULL, NULL, NULL},
};
