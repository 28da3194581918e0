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

struct fopts {
	bool del;
	bool dry_run;
	const char *file;
	const char *vip;
	const char *proto;
	const char *prefix;
	json_t *ints; /* option name -> integer, as given */
	int nargs;
	char **args;
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

/* "192.0.2.1", "192.0.2.1/32", "2001:DB8::/32": family, address bytes, length. */
static bool
parse_prefix(const char *s, int *family, unsigned char *addr, unsigned *len)
{
	char buf[64];
	const char *slash = s ? strchr(s, '/') : NULL;
	size_t n = slash ? (size_t)(slash - s) : (s ? strlen(s) : 0);
	unsigned long long l;

	if (!s || n == 0 || n >= sizeof(buf))
		return false;
	memcpy(buf, s, n);
	buf[n] = '\0';
	memset(addr, 0, 16);
	if (inet_pton(AF_INET, buf, addr) == 1)
		*family = AF_INET;
	else if (inet_pton(AF_INET6, buf, addr) == 1)
		*family = AF_INET6;
	else
		return false;
	*len = *family == AF_INET ? 32 : 128;
	if (slash) {
		if (lb_parse_uint(slash + 1, 0, *len, &l) < 0)
			return false;
		*len = (unsigned)l;
	}
	return true;
}

/* Same prefix, whatever the spelling (a bare address is its host prefix). */
static bool
prefix_eq(json_t *a, json_t *b)
{
	unsigned char x[16], y[16];
	unsigned lx, ly;
	int fx, fy;

	if (!parse_prefix(json_string_value(a), &fx, x, &lx) ||
		!parse_prefix(json_string_value(b), &fy, y, &ly))
		return json_equal(a, b) != 0;
	return fx == fy && lx == ly && memcmp(x, y, 16) == 0;
}

/* Same rule: a prefix string, or {"prefix", "vip", "protocol", "port"}. */
static bool
same_rule(json_t *a, json_t *b)
{
	if (json_is_string(a) || json_is_string(b)) {
		json_t *pa = json_is_string(a) ? a : json_object_get(a, "prefix");
		json_t *pb = json_is_string(b) ? b : json_object_get(b, "prefix");
		/* {"prefix": P} alone is the same rule as "P". */
		json_t *scoped = json_is_string(a) ? b : a;
		if (json_is_object(scoped) && json_object_size(scoped) != 1)
			return false;
		return prefix_eq(pa, pb);
	}
	json_t *pa = json_object_get(a, "port"), *pb = json_object_get(b, "port");
	json_t *va = json_object_get(a, "vip"), *vb = json_object_get(b, "vip");
	const char *ra = json_string_value(json_object_get(a, "protocol"));
	const char *rb = json_string_value(json_object_get(b, "protocol"));
	bool vip_same = (!va && !vb) ||
			(va && vb && lb_addr_eq(json_string_value(va), json_string_value(vb)));
	bool proto_same = (!ra && !rb) || (ra && rb && strcmp(ra, rb) == 0);

	return prefix_eq(json_object_get(a, "prefix"), json_object_get(b, "prefix")) && vip_same &&
	       proto_same && json_integer_value(pa) == json_integer_value(pb);
}

/* The deny rule the operands and scope options describe, for @prefix. */
static json_t *
deny_rule(const char *prefix, struct fopts *o)
{
	json_t *port = json_object_get(o->ints, "port");

	if (!o->vip && !o->proto && !port)
		return json_string(prefix);
	json_t *r = json_pack("{s:s}", "prefix", prefix);
	if (o->vip)
		json_object_set_new(r, "vip", json_string(o->vip));
	if (o->proto)
		json_object_set_new(r, "protocol", json_string(o->proto));
	if (port)
		json_object_set(r, "port", port);
	return r;
}

static int
edit_list(json_t *list, struct fopts *o, json_t *(*make)(const char *p, struct fopts *o))
{
	for (int i = 0; i < o->nargs; i++) {
		json_t *item = make(o->args[i], o);
		size_t k, found = (size_t)-1;
		json_t *x;
		json_array_foreach(list, k, x)
		{
			if (same_rule(x, item))
				found = k;
		}
		if (o->del && found != (size_t)-1)
			json_array_remove(list, found);
		else if (o->del) {
			char *s = json_dumps(item, JSON_ENCODE_ANY | JSON_COMPACT);
			int rc = lb_fail(
				LB_EXIT_NOT_FOUND, "not_found", NULL, "no such rule: %s", s);
			free(s);
			json_decref(item);
			return rc;
		} else if (found == (size_t)-1)
			json_array_append(list, item);
		json_decref(item);
	}
	return 0;
}

static json_t *
allow_item(const char *p, struct fopts *o)
{
	(void)o;
	return json_string(p);
}

static int
edit_deny(json_t *rules, struct fopts *o)
{
	json_t *deny = json_object_get(rules, "deny");

	if (json_is_array(deny)) {
		/* The plain-array form: the same rules, in the object form. */
		deny = json_pack("{s:O}", "rules", deny);
		json_object_set_new(rules, "deny", deny);
	} else if (!json_is_object(deny)) {
		deny = json_object();
		json_object_set_new(rules, "deny", deny);
	}
	json_t *list = json_object_get(deny, "rules");
	if (!json_is_array(list)) {
		list = json_array();
		json_object_set_new(deny, "rules", list);
	}
	return edit_list(list, o, deny_rule);
}

static int
edit_allow(json_t *rules, struct fopts *o)
{
	json_t *list = json_object_get(rules, "allow");

	if (!json_is_array(list)) {
		list = json_array();
		json_object_set_new(rules, "allow", list);
	}
	return edit_list(list, o, allow_item);
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
		rc = filter_write(edit_deny, &o, o.del ? "rules removed" : "rules added");
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
		rc = filter_write(edit_allow, &o, o.del ? "prefixes removed" : "prefixes added");
	ffree(&o);
	return rc < 0 ? LB_EXIT_OK : rc;
}

static json_t *
sub(json_t *o, const char *key)
{
	json_t *s = json_object_get(o, key);

	if (!json_is_object(s)) {
		s = json_object();
		json_object_set_new(o, key, s);
	}
	return s;
}

/* Copy the rate fields given as options into @dst. */
static void
rate_fields(json_t *dst, json_t *ints)
{
	static const char *const map[][2] = {
		{"pps", "pps"},
		{"bps", "bps"},
		{"burst-packets", "burst_packets"},
		{"burst-bytes", "burst_bytes"},
	};
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
		json_t *v = json_object_get(ints, map[i][0]);
		if (v)
			json_object_set(dst, map[i][1], v);
	}
}

static int
edit_rate(json_t *rules, struct fopts *o)
{
	json_t *rl = sub(rules, "rate_limit");
	json_t *v;

	if (o->prefix) {
		json_t *ov = json_object_get(rl, "overrides"), *x;
		size_t i, found = (size_t)-1;
		if (!json_is_array(ov)) {
			ov = json_array();
			json_object_set_new(rl, "overrides", ov);
		}
		json_array_foreach(ov, i, x)
		{
			if (json_is_string(json_object_get(x, "prefix")) &&
				strcmp(json_string_value(json_object_get(x, "prefix")),
					o->prefix) == 0)
				found = i;
		}
		if (o->del) {
			if (found == (size_t)-1)
				return lb_fail(LB_EXIT_NOT_FOUND, "not_found", NULL,
					"no rate-limit override for %s", o->prefix);
			json_array_remove(ov, found);
			return 0;
		}
		json_t *e = json_pack("{s:s}", "prefix", o->prefix);
		if ((v = json_object_get(o->ints, "key-prefix")))
			json_object_set(e, "key_prefix", v);
		rate_fields(e, o->ints);
		if (found == (size_t)-1)
			json_array_append_new(ov, e);
		else
			json_array_set_new(ov, found, e);
		return 0;
	}
	if (o->del)
		return lb_usage(lb_verb, "--delete removes an override: give --prefix");
	rate_fields(rl, o->ints);
	if ((v = json_object_get(o->ints, "key-prefix-v4")))
		json_object_set(rl, "key_prefix_v4", v);
	if ((v = json_object_get(o->ints, "key-prefix-v6")))
		json_object_set(rl, "key_prefix_v6", v);
	if ((v = json_object_get(o->ints, "syn-pps")))
		json_object_set(sub(rules, "syn_limit"), "pps", v);
	if ((v = json_object_get(o->ints, "syn-burst")))
		json_object_set(sub(rules, "syn_limit"), "burst", v);
	if ((v = json_object_get(o->ints, "drop-sample")))
		json_object_set(rules, "drop_sample", v);
	return 0;
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
		rc = filter_write(edit_rate, &o, "rate limits");
	ffree(&o);
	return rc < 0 ? LB_EXIT_OK : rc;
}

static int
edit_mode(json_t *rules, struct fopts *o)
{
	const char *mode = o->args[0];
	const char *which = o->nargs > 1 ? o->args[1] : "all";
	static const char *const parts[][2] = {
		{"deny", "deny"},
		{"rate", "rate_limit"},
		{"syn", "syn_limit"},
	};
	bool any = false;

	for (size_t i = 0; i < 3; i++) {
		if (strcmp(which, "all") != 0 && strcmp(which, parts[i][0]) != 0)
			continue;
		json_object_set_new(sub(rules, parts[i][1]), "mode", json_string(mode));
		any = true;
	}
	if (!any)
		return lb_usage(lb_verb, "'%s' is not deny, rate, syn or all", which);
	return 0;
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
		rc = filter_write(edit_mode, &o, "mode");
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
