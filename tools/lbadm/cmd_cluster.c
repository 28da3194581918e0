/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lbadm node status|drain|undrain (the node lbadm talks to: /v1/node) and
 * lbadm cluster apply|compare (several nodes, --nodes LIST, a result per
 * node). docs/cluster.md, lbadm(8).
 */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "lbadm.h"

#define LB_MAX_NODES 64

struct cl_opts {
	const char *nodes;
	const char *file;
	bool dry_run;
	bool help;
};

/* --nodes, -f, --dry-run as @allowed says ("nfd"); @return 0, -1 (help shown) or an exit code. */
static int
cl_parse(struct cl_opts *o, const char *allowed, int argc, char **argv, const char *help)
{
	static const struct option lopts[] = {
		{"nodes", required_argument, NULL, 'n'},
		{"file", required_argument, NULL, 'f'},
		{"dry-run", no_argument, NULL, 'd'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int c;

	memset(o, 0, sizeof(*o));
	optind = 0; /* GNU: reinitialise for this argv */
	while ((c = getopt_long(argc, argv, ":f:h", lopts, NULL)) != -1) {
		if (c == '?')
			return lb_usage(lb_verb, "unknown option '%s'", argv[optind - 1]);
		if (c == ':')
			return lb_usage(lb_verb, "option '%s' needs a value", argv[optind - 1]);
		if (c == 'h') {
			printf("usage: lbadm %s %s", lb_verb, help);
			return -1;
		}
		if (!strchr(allowed, c))
			return lb_usage(
				lb_verb, "option '%s' does not apply here", argv[optind - 1]);
		if (c == 'n')
			o->nodes = optarg;
		else if (c == 'f')
			o->file = optarg;
		else if (c == 'd')
			o->dry_run = true;
	}
	if (optind < argc)
		return lb_usage(lb_verb, "unexpected argument '%s'", argv[optind]);
	if (strchr(allowed, 'n') && o->nodes == NULL)
		return lb_usage(lb_verb, "which nodes? --nodes SOCKET|URL,... or --nodes @FILE");
	return 0;
}

/* ---- lbadm node ---- */

static void
print_node(json_t *b)
{
	json_t *ann = json_object_get(b, "announce"), *st = json_object_get(b, "store");
	json_t *pf = json_object_get(ann, "prefixes"), *mf = json_object_get(b, "maintenance_file");
	char buf[256];
	struct lb_table t;

	printf("node         %s\n", json_string_value(json_object_get(b, "node")) ?: "-");
	printf("maintenance  %s (api: %s, file: %s%s%s)\n",
		json_is_true(json_object_get(b, "maintenance")) ? "yes" : "no",
		json_is_true(json_object_get(b, "maintenance_api")) ? "yes" : "no",
		json_is_true(json_object_get(mf, "present")) ? "present" : "absent",
		json_string_value(json_object_get(mf, "path")) ? " " : "",
		json_string_value(json_object_get(mf, "path")) ?: "");
	lb_fmt(buf, sizeof(buf), json_object_get(ann, "error"));
	printf("speaker      %s, rule %s, in sync: %s, error: %s\n",
		json_string_value(json_object_get(ann, "speaker")) ?: "-",
		json_string_value(json_object_get(ann, "rule")) ?: "-",
		json_is_true(json_object_get(ann, "in_sync")) ? "yes" : "no", buf);
	if (json_is_object(st)) {
		json_t *ref = json_object_get(st, "refused");

		printf("store        %s %s, connected: %s, revision applied %lld%s%s\n",
			json_string_value(json_object_get(st, "url")) ?: "-",
			json_string_value(json_object_get(st, "key")) ?: "-",
			json_is_true(json_object_get(st, "connected")) ? "yes" : "no",
			(long long)json_integer_value(json_object_get(st, "revision_applied")),
			ref && !json_is_null(ref) ? ", REFUSED: " : "",
			ref && !json_is_null(ref)
				? json_string_value(json_object_get(ref, "error")) ?: ""
				: "");
	}
	lb_table_init(&t, 3, 0);
	lb_table_row(&t, (const char *const[]){"PREFIX", "ANNOUNCED", "WHY NOT"});
	for (size_t i = 0; i < json_array_size(pf); i++) {
		json_t *p = json_array_get(pf, i), *rs = json_object_get(p, "reasons");
		char why[1024] = "";

		for (size_t k = 0; k < json_array_size(rs); k++)
			snprintf(why + strlen(why), sizeof(why) - strlen(why), "%s%s",
				k ? "; " : "", json_string_value(json_array_get(rs, k)) ?: "");
		lb_table_row(
			&t, (const char *const[]){json_string_value(json_object_get(p, "prefix")),
				    json_is_true(json_object_get(p, "announce")) ? "yes" : "no",
				    why[0] ? why : NULL});
	}
	printf("\n");
	lb_table_print(stdout, &t);
	lb_table_free(&t);
}

static int
node_status(int argc, char **argv)
{
	struct cl_opts o;
	struct lb_resp r = {0};
	int rc = cl_parse(&o, "", argc, argv,
		"\nThis node's maintenance state, what it announces through its BGP speaker\n"
		"(and why not), and the shared store it follows (GET /v1/node).\n");

	if (rc)
		return rc < 0 ? LB_EXIT_OK : rc;
	rc = lb_get("/v1/node", &r);
	if (rc == 0) {
		if (lb_g.json)
			lb_print_json(r.body);
		else
			print_node(r.body);
	}
	lb_resp_free(&r);
	return rc;
}

static int
node_set(int argc, char **argv, bool maint, const char *help)
{
	struct cl_opts o;
	struct lb_resp r = {0};
	json_t *body;
	int rc = cl_parse(&o, "", argc, argv, help);

	if (rc)
		return rc < 0 ? LB_EXIT_OK : rc;
	body = json_pack("{s:b}", "maintenance", maint);
	rc = lb_http("PUT", "/v1/node", body, -1, &r);
	json_decref(body);
	if (rc < 0)
		return -rc;
	rc = lb_resp_check(&r);
	if (rc == 0) {
		if (lb_g.json)
			lb_print_json(r.body);
		else {
			printf("%s: %s%s\n",
				json_string_value(json_object_get(r.body, "node")) ?: "-",
				maint ? "in maintenance: withdrawing its announcements"
				      : "out of maintenance: announcing what it can serve",
				json_is_true(json_object_get(r.body, "changed")) ? ""
										 : " (already)");
			if (json_is_true(json_object_get(r.body, "maintenance")) != maint)
				printf("note: the maintenance file %s keeps it in maintenance\n",
					json_string_value(json_object_get(
						json_object_get(r.body, "maintenance_file"),
						"path"))
						?: "");
		}
	}
	lb_resp_free(&r);
	return rc;
}

static int
node_drain(int argc, char **argv)
{
	return node_set(argc, argv, true,
		"\nPut the node in maintenance: it withdraws every VIP route, routers move its\n"
		"flows to the other nodes (which send them to the same backends). Kept across\n"
		"restarts of sluiced. PUT /v1/node {\"maintenance\": true}.\n");
}

static int
node_undrain(int argc, char **argv)
{
	return node_set(argc, argv, false,
		"\nTake the node out of maintenance (the maintenance file, if present, still\n"
		"holds it). PUT /v1/node {\"maintenance\": false}.\n");
}

const struct lb_cmd lb_node_cmds[] = {
	{"status", node_status, NULL, "", "maintenance, announcements and why, the shared store"},
	{"drain", node_drain, NULL, "", "maintenance on: withdraw every VIP route of this node"},
	{"undrain", node_undrain, NULL, "", "maintenance off: announce what the node can serve"},
	{NULL, NULL, NULL, NULL, NULL},
};

/* ---- lbadm cluster ---- */

/* Split "A,B,C" or "@FILE" (one a line, # comments) into @out. @return count or an exit code < 0.
 */
static int
node_list(const char *spec, char **out, char **store)
{
	char *s, *save = NULL, *tok;
	int n = 0;

	if (spec[0] == '@') {
		char err[512];
		size_t len = 0;
		FILE *f = fopen(spec + 1, "r");

		if (f == NULL)
			return -lb_fail(LB_EXIT_USAGE, "invalid_input", "--nodes", "%s: %s",
				spec + 1, strerror(errno));
		s = malloc(LB_MAX_INPUT);
		if (s)
			len = fread(s, 1, LB_MAX_INPUT - 1, f);
		fclose(f);
		if (s == NULL) {
			snprintf(err, sizeof(err), "out of memory");
			return -lb_fail(LB_EXIT_USAGE, "invalid_input", "--nodes", "%s", err);
		}
		s[len] = '\0';
	} else {
		s = strdup(spec);
		if (s == NULL)
			return -lb_fail(LB_EXIT_USAGE, "invalid_input", "--nodes", "out of memory");
	}
	*store = s;
	for (tok = strtok_r(s, ",\n", &save); tok; tok = strtok_r(NULL, ",\n", &save)) {
		tok += strspn(tok, " \t");
		tok[strcspn(tok, " \t#")] = '\0';
		if (tok[0] == '\0')
			continue;
		if (n == LB_MAX_NODES)
			return -lb_fail(LB_EXIT_USAGE, "invalid_input", "--nodes",
				"more than %d nodes", LB_MAX_NODES);
		out[n++] = tok;
	}
	if (n == 0)
		return -lb_fail(LB_EXIT_USAGE, "invalid_input", "--nodes", "no node given");
	return n;
}

/* Point the HTTP client at @node: a URL (TCP, with the global token) or a socket path. */
static void
target(const char *node)
{
	if (strncmp(node, "http://", 7) == 0 || strncmp(node, "https://", 8) == 0) {
		lb_g.host = node;
	} else {
		lb_g.host = NULL;
		lb_g.socket = node;
	}
}

/* The API error of an answer, as one line, into @buf. */
static void
api_error(const struct lb_resp *r, char *buf, size_t len)
{
	json_t *e = json_object_get(r->body, "error");
	const char *f = json_string_value(json_object_get(e, "field"));

	snprintf(buf, len, "%ld %s%s%s: %s", r->status,
		json_string_value(json_object_get(e, "code")) ?: "error", f && f[0] ? " " : "",
		f && f[0] ? f : "", json_string_value(json_object_get(e, "message")) ?: "");
}

static int
cluster_apply(int argc, char **argv)
{
	struct cl_opts o;
	char *nodes[LB_MAX_NODES], *store = NULL, err[1024];
	struct lb_table t;
	json_t *doc, *out = json_array();
	int n, rc, worst = LB_EXIT_OK;
	const char *host0 = lb_g.host, *sock0 = lb_g.socket;
	bool json_mode;

	rc = cl_parse(&o, "nfd", argc, argv,
		"--nodes SOCKET|URL,... -f FILE [--dry-run]\n"
		"Make the whole state what FILE says (YAML or JSON) on every node, one after\n"
		"the other, each against its own current version, and say per node what came\n"
		"of it: applied (new version), unchanged, refused (the field and the reason: the\n"
		"node keeps its state), conflict or unreachable. Exit 0 only when every node has\n"
		"the state; else the first failing node's exit code.\n\n"
		"  --nodes LIST           comma-separated Unix socket paths or "
		"http(s)://HOST:PORT\n"
		"                         URLs (with --token-file / $SLUICE_TOKEN), or @FILE (one\n"
		"                         a line)\n"
		"  -f, --file FILE        the state document\n"
		"  --dry-run              validate on every node and show how many changes each\n"
		"                         would make; change nothing\n");
	if (rc)
		return rc < 0 ? LB_EXIT_OK : rc;
	if (o.file == NULL)
		return lb_usage(lb_verb, "which file? -f FILE");
	n = node_list(o.nodes, nodes, &store);
	if (n < 0) {
		free(store);
		return -n;
	}
	doc = lb_read_doc(o.file, err, sizeof(err));
	if (doc == NULL) {
		free(store);
		return lb_fail(LB_EXIT_REFUSED, "invalid_input", NULL, "%s", err);
	}
	lb_table_init(&t, 4, 0);
	lb_table_row(&t, (const char *const[]){"NODE", "RESULT", "VERSION", "DETAIL"});
	/* A node that does not answer is reported on stderr as text, not as a
	 * second JSON document on stdout: the per-node results are the output. */
	json_mode = lb_g.json;
	lb_g.json = false;
	for (int i = 0; i < n; i++) {
		struct lb_resp r = {0};
		const char *result;
		char ver[32] = "-", detail[1024] = "";
		long long v;
		int code = LB_EXIT_OK;

		target(nodes[i]);
		rc = lb_http("GET", "/v1/state", NULL, -1, &r);
		if (rc < 0 || r.status != 200) {
			result = "unreachable";
			code = rc < 0 ? -rc : (int)lb_exit_of(NULL, r.status);
			if (rc == 0)
				api_error(&r, detail, sizeof(detail));
			else
				snprintf(detail, sizeof(detail),
					"no answer (the reason is on stderr)");
			goto row;
		}
		v = lb_resp_version(&r);
		lb_resp_free(&r);
		rc = lb_http("PUT", o.dry_run ? "/v1/state?dry_run=1" : "/v1/state", doc,
			o.dry_run ? -1 : v, &r);
		if (rc < 0) {
			result = "unreachable";
			code = -rc;
			goto row;
		}
		if (r.status == 200 || r.status == 201) {
			bool changed = json_is_true(json_object_get(r.body, "changed"));

			snprintf(ver, sizeof(ver), "%lld", lb_resp_version(&r));
			result = o.dry_run ? (changed ? "would change" : "unchanged")
					   : (changed ? "applied" : "unchanged");
			if (o.dry_run)
				snprintf(detail, sizeof(detail), "%zu changes",
					json_array_size(json_object_get(r.body, "diff")));
			else if (json_is_true(json_object_get(r.body, "pending")))
				snprintf(detail, sizeof(detail), "dataplane not running: pending");
		} else {
			const char *ec = json_string_value(
				json_object_get(json_object_get(r.body, "error"), "code"));

			code = lb_exit_of(ec, r.status);
			result = code == LB_EXIT_CONFLICT ? "conflict" : "refused";
			snprintf(ver, sizeof(ver), "%lld", v);
			api_error(&r, detail, sizeof(detail));
		}
	row:
		lb_resp_free(&r);
		if (code != LB_EXIT_OK && worst == LB_EXIT_OK)
			worst = code;
		lb_table_row(&t,
			(const char *const[]){nodes[i], result, ver, detail[0] ? detail : NULL});
		json_array_append_new(
			out, json_pack("{s:s, s:s, s:s, s:s?}", "node", nodes[i], "result", result,
				     "version", ver, "detail", detail[0] ? detail : NULL));
	}
	lb_g.host = host0;
	lb_g.socket = sock0;
	lb_g.json = json_mode;
	if (lb_g.json)
		lb_print_json(json_pack("{s:o, s:b}", "nodes", out, "ok", worst == LB_EXIT_OK));
	else {
		lb_table_print(stdout, &t);
		json_decref(out);
	}
	lb_table_free(&t);
	json_decref(doc);
	free(store);
	return worst;
}

/* ---- compare ---- */

static uint64_t
fnv1a(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 0x100000001b3ull;
	}
	return h;
}

static int
by_text(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * A digest of a state document that does not depend on the order of VIPs or
 * backends (Maglev does not either): each VIP's settings and sorted backends
 * as sorted lines, hashed.
 */
static void
state_digest(json_t *state, char *out, size_t len)
{
	json_t *vips = json_object_get(state, "vips"), *copy = json_deep_copy(state);
	size_t nv = json_array_size(vips), total = 1;
	char **lines = calloc(nv + 1, sizeof(*lines)), *all;

	if (copy == NULL || lines == NULL) {
		snprintf(out, len, "?");
		json_decref(copy);
		free(lines);
		return;
	}
	json_object_del(copy, "vips");
	lines[nv] = json_dumps(copy, JSON_SORT_KEYS | JSON_COMPACT);
	for (size_t i = 0; i < nv; i++) {
		json_t *v = json_deep_copy(json_array_get(vips, i));
		json_t *bes = json_object_get(v, "backends");
		size_t nb = json_array_size(bes);
		char **bl = calloc(nb ? nb : 1, sizeof(*bl)), *vs;
		size_t bl_len = 1;

		for (size_t k = 0; k < nb && bl; k++) {
			bl[k] = json_dumps(json_array_get(bes, k), JSON_SORT_KEYS | JSON_COMPACT);
			bl_len += bl[k] ? strlen(bl[k]) + 1 : 0;
		}
		if (bl)
			qsort(bl, nb, sizeof(*bl), by_text);
		json_object_del(v, "backends");
		vs = json_dumps(v, JSON_SORT_KEYS | JSON_COMPACT);
		lines[i] = malloc((vs ? strlen(vs) : 0) + bl_len + 1);
		if (lines[i]) {
			strcpy(lines[i], vs ? vs : "");
			for (size_t k = 0; k < nb && bl; k++)
				if (bl[k]) {
					strcat(lines[i], "|");
					strcat(lines[i], bl[k]);
				}
		}
		for (size_t k = 0; k < nb && bl; k++)
			free(bl[k]);
		free(bl);
		free(vs);
		json_decref(v);
	}
	qsort(lines, nv, sizeof(*lines), by_text); /* the globals line stays last */
	for (size_t i = 0; i <= nv; i++)
		total += lines[i] ? strlen(lines[i]) + 1 : 0;
	all = malloc(total);
	if (all) {
		all[0] = '\0';
		for (size_t i = 0; i <= nv; i++)
			if (lines[i]) {
				strcat(all, lines[i]);
				strcat(all, "\n");
			}
		snprintf(out, len, "%016llx", (unsigned long long)fnv1a(all));
	} else {
		snprintf(out, len, "?");
	}
	for (size_t i = 0; i <= nv; i++)
		free(lines[i]);
	free(lines);
	free(all);
	json_decref(copy);
}

/*
 * The dataplane's per-VIP Maglev table digests as sluiced reports them
 * (/v1/status dataplane "tables" or "vips" entries with a "digest"), folded
 * into one digest over the sorted "VIP=DIGEST" pairs; "-" when none.
 */
static void
tables_digest(json_t *status, char *out, size_t len, json_t **pairs_out)
{
	json_t *dp = json_object_get(status, "dataplane"), *src = json_object_get(dp, "tables");
	json_t *pairs = json_array();
	char *joined = NULL;
	size_t total = 1;

	if (src == NULL)
		src = json_object_get(dp, "vips");
	if (json_is_object(src)) {
		const char *k;
		json_t *v;

		json_object_foreach(src, k, v)
		{
			const char *dg = json_is_string(v)
						 ? json_string_value(v)
						 : json_string_value(json_object_get(v, "digest"));
			if (dg)
				json_array_append_new(pairs, json_sprintf("%s=%s", k, dg));
		}
	} else {
		for (size_t i = 0; i < json_array_size(src); i++) {
			json_t *v = json_array_get(src, i);
			const char *dg = json_string_value(json_object_get(v, "digest"));
			const char *key = json_string_value(json_object_get(v, "vip"));
			char kb[160];

			if (dg == NULL)
				continue;
			if (key == NULL) {
				snprintf(kb, sizeof(kb), "%s/%s/%lld",
					json_string_value(json_object_get(v, "protocol")) ?: "?",
					json_string_value(json_object_get(v, "address")) ?: "?",
					(long long)json_integer_value(json_object_get(v, "port")));
				key = kb;
			}
			json_array_append_new(pairs, json_sprintf("%s=%s", key, dg));
		}
	}
	if (json_array_size(pairs) == 0) {
		snprintf(out, len, "-");
		*pairs_out = pairs;
		return;
	}
	{
		size_t np = json_array_size(pairs);
		const char **arr = calloc(np, sizeof(*arr));

		for (size_t i = 0; arr && i < np; i++) {
			arr[i] = json_string_value(json_array_get(pairs, i));
			total += strlen(arr[i]) + 1;
		}
		if (arr)
			qsort(arr, np, sizeof(*arr), by_text);
		joined = arr ? malloc(total) : NULL;
		if (joined) {
			joined[0] = '\0';
			for (size_t i = 0; i < np; i++) {
				strcat(joined, arr[i]);
				strcat(joined, "\n");
			}
		}
		free(arr);
	}
	snprintf(out, len, "%016llx", joined ? (unsigned long long)fnv1a(joined) : 0ull);
	free(joined);
	*pairs_out = pairs;
}

static int
cluster_compare(int argc, char **argv)
{
	struct cl_opts o;
	char *nodes[LB_MAX_NODES], *store = NULL;
	char first_state[32] = "", first_tables[32] = "";
	struct lb_table t;
	json_t *out = json_array(), *diffs = json_array();
	int n, rc, worst = LB_EXIT_OK;
	const char *host0 = lb_g.host, *sock0 = lb_g.socket;
	bool json_mode;

	rc = cl_parse(&o, "n", argc, argv,
		"--nodes SOCKET|URL,...\n"
		"Compare nodes: a digest of each node's state document (independent of the\n"
		"order of VIPs and backends, like Maglev), of its dataplane's Maglev tables\n"
		"when sluice-dp reports them, whether the dataplane runs the current version,\n"
		"maintenance, announced prefixes, the store revision applied. Exit 0 when every\n"
		"node answers, runs its current version and all have the same state and tables;\n"
		"1 when they differ; 3 when a node does not answer.\n\n"
		"  --nodes LIST           as for 'cluster apply'\n");
	if (rc)
		return rc < 0 ? LB_EXIT_OK : rc;
	n = node_list(o.nodes, nodes, &store);
	if (n < 0) {
		free(store);
		return -n;
	}
	lb_table_init(&t, 8, 0);
	lb_table_row(&t, (const char *const[]){"NODE", "VERSION", "STATE", "TABLES", "CURRENT",
				 "MAINT", "ANNOUNCED", "STORE-REV"});
	json_mode = lb_g.json; /* as in cluster apply: failures as text on stderr */
	lb_g.json = false;
	for (int i = 0; i < n; i++) {
		struct lb_resp rs = {0}, rst = {0}, rn = {0};
		char ver[32] = "-", sd[32] = "-", td[32] = "-", ann[16] = "-", srev[32] = "-";
		const char *cur = "-", *maint = "-";
		json_t *pairs = NULL, *nj;

		target(nodes[i]);
		if (lb_http("GET", "/v1/state", NULL, -1, &rs) < 0 || rs.status != 200 ||
			lb_http("GET", "/v1/status", NULL, -1, &rst) < 0 || rst.status != 200) {
			if (worst == LB_EXIT_OK || worst == LB_EXIT_REFUSED)
				worst = LB_EXIT_UNREACHABLE;
			json_array_append_new(diffs, json_sprintf("%s: no answer", nodes[i]));
			lb_table_row(&t, (const char *const[]){nodes[i], "unreachable", NULL, NULL,
						 NULL, NULL, NULL, NULL});
			json_array_append_new(
				out, json_pack("{s:s, s:b}", "node", nodes[i], "reachable", false));
			goto next;
		}
		snprintf(ver, sizeof(ver), "%lld", lb_resp_version(&rs));
		state_digest(json_object_get(rs.body, "state"), sd, sizeof(sd));
		tables_digest(rst.body, td, sizeof(td), &pairs);
		cur = json_is_true(
			      json_object_get(json_object_get(rst.body, "dataplane"), "current"))
			      ? "yes"
			      : "no";
		if (lb_http("GET", "/v1/node", NULL, -1, &rn) == 0 && rn.status == 200) {
			json_t *st = json_object_get(rn.body, "store");

			maint = json_is_true(json_object_get(rn.body, "maintenance")) ? "yes"
										      : "no";
			snprintf(ann, sizeof(ann), "%lld",
				(long long)json_integer_value(json_object_get(
					json_object_get(rn.body, "announce"), "announced")));
			if (json_is_object(st))
				snprintf(srev, sizeof(srev), "%lld",
					(long long)json_integer_value(
						json_object_get(st, "revision_applied")));
		}
		if (strcmp(cur, "yes") != 0) {
			json_array_append_new(diffs, json_sprintf("%s: the dataplane does not run "
								  "its current version",
							     nodes[i]));
			if (worst == LB_EXIT_OK)
				worst = LB_EXIT_REFUSED;
		}
		if (first_state[0] == '\0') {
			snprintf(first_state, sizeof(first_state), "%s", sd);
			snprintf(first_tables, sizeof(first_tables), "%s", td);
		} else {
			if (strcmp(sd, first_state) != 0)
				json_array_append_new(
					diffs, json_sprintf("%s: state differs from %s's", nodes[i],
						       nodes[0]));
			if (strcmp(td, first_tables) != 0)
				json_array_append_new(
					diffs, json_sprintf("%s: Maglev tables differ from %s's",
						       nodes[i], nodes[0]));
			if ((strcmp(sd, first_state) || strcmp(td, first_tables)) &&
				worst == LB_EXIT_OK)
				worst = LB_EXIT_REFUSED;
		}
		lb_table_row(
			&t, (const char *const[]){nodes[i], ver, sd, td, cur, maint, ann, srev});
		nj = json_pack("{s:s, s:b, s:s, s:s, s:s, s:b, s:s, s:s, s:s}", "node", nodes[i],
			"reachable", true, "version", ver, "state_digest", sd, "tables_digest", td,
			"current", strcmp(cur, "yes") == 0, "maintenance", maint, "announced", ann,
			"store_revision", srev);
		if (nj)
			json_object_set(nj, "tables", pairs);
		json_array_append_new(out, nj);
	next:
		json_decref(pairs);
		lb_resp_free(&rs);
		lb_resp_free(&rst);
		lb_resp_free(&rn);
	}
	lb_g.host = host0;
	lb_g.socket = sock0;
	lb_g.json = json_mode;
	if (lb_g.json) {
		lb_print_json(json_pack("{s:o, s:b, s:o}", "nodes", out, "agree",
			json_array_size(diffs) == 0, "differences", diffs));
	} else {
		lb_table_print(stdout, &t);
		if (json_array_size(diffs) == 0)
			printf("\n%d nodes agree: same state, same tables, all current\n", n);
		for (size_t i = 0; i < json_array_size(diffs); i++)
			printf("%s%s\n", i ? "" : "\n",
				json_string_value(json_array_get(diffs, i)));
		json_decref(out);
		json_decref(diffs);
	}
	lb_table_free(&t);
	free(store);
	return worst;
}

const struct lb_cmd lb_cluster_cmds[] = {
	{"apply", cluster_apply, NULL, "--nodes LIST -f FILE [--dry-run]",
		"apply a state document to several nodes, a result per node"},
	{"compare", cluster_compare, NULL, "--nodes LIST",
		"compare nodes: state and Maglev table digests, current, announcements"},
	{NULL, NULL, NULL, NULL, NULL},
};
