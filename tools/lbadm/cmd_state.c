/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The declarative verbs: apply -f FILE (dry run, diff, then the write with
 * If-Match of the version the diff was computed against: never retried, a
 * conflict is reported), export, history, rollback.
 */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "lbadm.h"

enum {
	O_DRY_RUN = 256,
	O_EXPECT,
	O_LIMIT,
};

static const struct option state_lopts[] = {
	{"file", required_argument, NULL, 'f'},
	{"dry-run", no_argument, NULL, O_DRY_RUN},
	{"expect-version", required_argument, NULL, O_EXPECT},
	{"limit", required_argument, NULL, O_LIMIT},
	{"help", no_argument, NULL, 'h'},
	{NULL, 0, NULL, 0},
};

struct state_opts {
	const char *file;
	bool dry_run;
	long long expect;
	unsigned long long limit;
	int nargs;
	char **args;
};

/* Options of apply/history/rollback; @allowed is a string of the short
 * names it takes ("f", "d" dry-run, "e" expect, "l" limit). -1 after help. */
static int
parse(struct state_opts *o, const char *allowed, int argc, char **argv, const char *help)
{
	unsigned long long v;
	int c;

	memset(o, 0, sizeof(*o));
	o->expect = -1;
	o->limit = 20;
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":f:h", state_lopts, NULL)) != -1) {
		char key = c == 'f'	    ? 'f'
			   : c == O_DRY_RUN ? 'd'
			   : c == O_EXPECT  ? 'e'
			   : c == O_LIMIT   ? 'l'
					    : c;
		if (c == '?')
			return lb_usage(lb_verb, "unknown option '%s'", argv[optind - 1]);
		if (c == ':')
			return lb_usage(lb_verb, "option '%s' needs a value", argv[optind - 1]);
		if (c != 'h' && !strchr(allowed, key))
			return lb_usage(
				lb_verb, "option '%s' does not apply here", argv[optind - 1]);
		switch (c) {
		case 'h':
			printf("usage: lbadm %s %s", lb_verb, help);
			return -1;
		case 'f':
			o->file = optarg;
			break;
		case O_DRY_RUN:
			o->dry_run = true;
			break;
		case O_EXPECT:
			if (lb_parse_uint(optarg, 0, 1ull << 53, &v) < 0)
				return lb_usage(
					lb_verb, "--expect-version: '%s' is not a version", optarg);
			o->expect = (long long)v;
			break;
		case O_LIMIT:
			if (lb_parse_uint(optarg, 1, 10000, &v) < 0)
				return lb_usage(lb_verb,
					"--limit: '%s' is not a number in 1..10000", optarg);
			o->limit = v;
			break;
		}
	}
	o->args = argv + optind;
	o->nargs = argc - optind;
	return 0;
}

/* PUT /v1/state?dry_run=1: the diff of @state against the running state. */
static int
dry_run(json_t *state, struct lb_resp *r)
{
	int rc = lb_http("PUT", "/v1/state?dry_run=1", state, -1, r);

	if (rc < 0)
		return -rc;
	return lb_resp_check(r);
}

static void
print_diff_text(json_t *answer, const char *what)
{
	json_t *diff = json_object_get(answer, "diff");
	size_t n = json_array_size(diff);

	if (n == 0) {
		printf("%s: no changes against version %lld\n", what,
			(long long)json_integer_value(json_object_get(answer, "version")));
		return;
	}
	printf("%s: %zu change%s against version %lld:\n", what, n, n == 1 ? "" : "s",
		(long long)json_integer_value(json_object_get(answer, "version")));
	lb_diff_print(stdout, diff);
}

/*
 * Commit @state the way apply and rollback do: the diff first, then the
 * write with If-Match of the version the diff was computed against. @method
 * @path @body is the write (PUT /v1/state, or POST /v1/rollback).
 */
static int
commit(json_t *state, const char *method, const char *path, json_t *body, long long expect,
	bool only_diff, const char *what)
{
	struct lb_resp d = {0}, w = {0};
	long long base;
	int rc = dry_run(state, &d);

	if (rc)
		goto out;
	base = lb_resp_version(&d);
	if (expect >= 0 && base != expect) {
		rc = lb_fail(LB_EXIT_CONFLICT, "version_mismatch", NULL,
			"the state is at version %lld, not %lld: nothing applied", base, expect);
		goto out;
	}
	bool changed = json_is_true(json_object_get(d.body, "changed")) ||
		       json_array_size(json_object_get(d.body, "diff")) > 0;
	if (only_diff || !changed) {
		if (lb_g.json)
			lb_print_json(d.body);
		else
			print_diff_text(d.body, only_diff ? "dry run" : what);
		goto out;
	}
	rc = lb_http(method, path, body, base, &w);
	if (rc < 0) {
		rc = -rc;
		goto out;
	}
	if (w.status == 412) {
		json_t *cur = json_object_get(json_object_get(w.body, "error"), "current_version");
		rc = lb_fail(LB_EXIT_CONFLICT, "version_mismatch", NULL,
			"the state changed after the diff was computed (version %lld, now %lld): "
			"nothing applied; review and run again",
			base, json_is_integer(cur) ? (long long)json_integer_value(cur) : -1LL);
		goto out;
	}
	rc = lb_resp_check(&w);
	if (rc)
		goto out;
	if (lb_g.json) {
		json_t *j = json_deep_copy(w.body);
		if (!json_is_object(j)) {
			json_decref(j);
			j = json_object();
		}
		json_object_set_new(j, "previous_version", json_integer(base));
		json_object_set(j, "diff", json_object_get(d.body, "diff"));
		lb_print_json(j);
		json_decref(j);
	} else {
		print_diff_text(d.body, what);
		printf("%s: version %lld -> %lld%s\n", what, base, lb_resp_version(&w),
			json_is_true(json_object_get(w.body, "pending"))
				? " (pending: sluice-dp is not running it yet; sluiced pushes it "
				  "when it can)"
				: "");
	}
out:
	lb_resp_free(&d);
	lb_resp_free(&w);
	return rc;
}

int
lb_do_apply(int argc, char **argv)
{
	struct state_opts o;
	char err[1024];
	json_t *doc = NULL;
	int rc = parse(&o, "fde", argc, argv,
		"-f FILE [--dry-run] [--expect-version N]\n"
		"Make the whole state what FILE says (YAML or JSON; '-' for stdin): a dry run\n"
		"first, its diff printed, then the change with If-Match of the version the diff\n"
		"was computed against. A conflict is reported (exit 4), never retried.\n\n"
		"  -f, --file FILE        the state document (docs/configuration.md, docs/api.md)\n"
		"  --dry-run              print the diff against the running state; change "
		"nothing\n"
		"  --expect-version N     refuse unless the running state is version N (apply\n"
		"                         exactly what a reviewed dry run showed)\n");

	if (rc)
		return rc < 0 ? LB_EXIT_OK : rc;
	if (!o.file)
		return lb_usage(lb_verb, "which file? -f FILE");
	if (o.nargs > 0)
		return lb_usage(lb_verb, "unexpected argument '%s'", o.args[0]);
	doc = lb_read_doc(o.file, err, sizeof(err));
	if (!doc)
		return lb_fail(LB_EXIT_REFUSED, "invalid_input", NULL, "%s", err);
	rc = commit(doc, "PUT", "/v1/state", doc, o.expect, o.dry_run, "apply");
	json_decref(doc);
	return rc;
}

int
lb_do_export(int argc, char **argv)
{
	struct state_opts o;
	struct lb_resp r = {0};
	int rc = parse(&o, "", argc, argv,
		"\nPrint the running state document (JSON), ready for 'lbadm apply -f'.\n"
		"With -j: the API's answer, {\"version\": N, \"state\": {...}}.\n");

	if (rc)
		return rc < 0 ? LB_EXIT_OK : rc;
	if (o.nargs > 0)
		return lb_usage(lb_verb, "unexpected argument '%s'", o.args[0]);
	rc = lb_get("/v1/state", &r);
	if (rc == 0)
		lb_print_json(lb_g.json ? r.body : json_object_get(r.body, "state"));
	lb_resp_free(&r);
	return rc;
}

/* Parse a VERSION operand. */
static int
version_arg(const char *s, long long *v)
{
	unsigned long long x;

	if (lb_parse_uint(s, 0, 1ull << 53, &x) < 0)
		return lb_usage(lb_verb, "'%s' is not a version number", s);
	*v = (long long)x;
	return 0;
}

static json_t *
history_list(json_t *body)
{
	json_t *a = json_object_get(body, "history");

	return json_is_array(a) ? a : NULL;
}

int
lb_do_history(int argc, char **argv)
{
	struct state_opts o;
	struct lb_resp r = {0};
	char path[64];
	long long v;
	json_t *e;
	size_t i;
	int rc = parse(&o, "l", argc, argv,
		"[VERSION] [--limit N]\n"
		"Without VERSION: the committed versions, newest first (version, time, who,\n"
		"summary). With VERSION: that version's whole state document.\n\n"
		"  --limit N              at most N versions (default 20)\n");

	if (rc)
		return rc < 0 ? LB_EXIT_OK : rc;
	if (o.nargs > 1)
		return lb_usage(lb_verb, "unexpected argument '%s'", o.args[1]);
	if (o.nargs == 1) {
		rc = version_arg(o.args[0], &v);
		if (rc)
			return rc;
		snprintf(path, sizeof(path), "/v1/history/%lld", v);
		rc = lb_get(path, &r);
		if (rc == 0) {
			if (lb_g.json) {
				lb_print_json(r.body);
			} else {
				char t[64], who[128];
				lb_fmt(t, sizeof(t), json_object_get(r.body, "time"));
				lb_fmt(who, sizeof(who), json_object_get(r.body, "who"));
				printf("# version %lld, %s, by %s\n", v, t, who);
				lb_print_json(json_object_get(r.body, "state"));
			}
		}
		lb_resp_free(&r);
		return rc;
	}
	snprintf(path, sizeof(path), "/v1/history?limit=%llu", o.limit);
	rc = lb_get(path, &r);
	if (rc)
		goto out;
	if (lb_g.json) {
		lb_print_json(r.body);
		goto out;
	}
	struct lb_table t;
	lb_table_init(&t, 4, 1u << 0);
	const char *hdr[] = {"VERSION", "TIME", "WHO", "SUMMARY"};
	lb_table_row(&t, hdr);
	json_array_foreach(history_list(r.body), i, e)
	{
		char c[4][512];
		const char *row[4] = {c[0], c[1], c[2], c[3]};
		lb_fmt(c[0], sizeof(c[0]), json_object_get(e, "version"));
		lb_fmt(c[1], sizeof(c[1]), json_object_get(e, "time"));
		lb_fmt(c[2], sizeof(c[2]), json_object_get(e, "who"));
		lb_fmt(c[3], sizeof(c[3]), json_object_get(e, "summary"));
		lb_table_row(&t, row);
	}
	lb_table_print(stdout, &t);
	lb_table_free(&t);
out:
	lb_resp_free(&r);
	return rc;
}

int
lb_do_rollback(int argc, char **argv)
{
	struct state_opts o;
	struct lb_resp st = {0}, h = {0};
	char path[64], what[64];
	long long target = -1, cur;
	json_t *body = NULL;
	int rc = parse(&o, "de", argc, argv,
		"[VERSION] [--dry-run] [--expect-version N]\n"
		"Commit a new version whose state equals VERSION's (default: the version\n"
		"before the current one). Shows the diff first; like apply, a conflict is\n"
		"reported (exit 4), never retried.\n\n"
		"  --dry-run              print the diff only\n"
		"  --expect-version N     refuse unless the running state is version N\n");

	if (rc)
		return rc < 0 ? LB_EXIT_OK : rc;
	if (o.nargs > 1)
		return lb_usage(lb_verb, "unexpected argument '%s'", o.args[1]);
	if (o.nargs == 1 && (rc = version_arg(o.args[0], &target)))
		return rc;
	if (target < 0) {
		rc = lb_get("/v1/status", &st);
		if (rc)
			goto out;
		cur = lb_resp_version(&st);
		if (cur <= 0) {
			rc = lb_fail(LB_EXIT_NOT_FOUND, "not_found", NULL,
				"the state is at version %lld: no earlier version to roll back to",
				cur);
			goto out;
		}
		target = cur - 1;
	}
	snprintf(path, sizeof(path), "/v1/history/%lld", target);
	rc = lb_get(path, &h);
	if (rc)
		goto out;
	json_t *state = json_object_get(h.body, "state");
	if (!json_is_object(state)) {
		rc = lb_fail(LB_EXIT_UNREACHABLE, "bad_answer", NULL,
			"sluiced's version %lld has no state document", target);
		goto out;
	}
	body = json_pack("{s:I}", "version", (json_int_t)target);
	snprintf(what, sizeof(what), "rollback to %lld", target);
	rc = commit(state, "POST", "/v1/rollback", body, o.expect, o.dry_run, what);
out:
	json_decref(body);
	lb_resp_free(&st);
	lb_resp_free(&h);
	return rc;
}
