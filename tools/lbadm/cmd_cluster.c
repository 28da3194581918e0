/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lbadm cluster apply|compare: several nodes at once (--nodes LIST, a
 * result per node). The node verbs are in cmd_node.c. docs/cluster.md,
 * lbadm(8).
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

/* ---- lbadm cluster ---- */

/*
 * The nodes of --nodes: "A,B,C" or "@FILE" (one a line, # comments), each a
 * Unix socket path or an http(s):// URL. While a verb goes through them the
 * global target is switched per node and -j is set aside (a node that does
 * not answer is reported on stderr as text, not as a second JSON document
 * on stdout: the per-node results are the output); nodes_end() restores it.
 */
struct nodes {
	char *name[LB_MAX_NODES];
	int n;
	char *store; /* the text @name points into */
	const char *host0, *sock0;
	bool json;
};

static int
nodes_parse(struct nodes *ns, const char *spec)
{
	char *s, *save = NULL, *tok;
	size_t len = 0;
	FILE *f;

	if (spec[0] == '@') {
		f = fopen(spec + 1, "r");
		if (f == NULL)
			return lb_fail(LB_EXIT_USAGE, "invalid_input", "--nodes", "%s: %s",
				spec + 1, strerror(errno));
		s = malloc(LB_MAX_INPUT);
		if (s)
			len = fread(s, 1, LB_MAX_INPUT - 1, f);
		fclose(f);
		if (s)
			s[len] = '\0';
	} else {
		s = strdup(spec);
	}
	if (s == NULL)
		return lb_fail(LB_EXIT_USAGE, "invalid_input", "--nodes", "out of memory");
	ns->store = s;
	for (tok = strtok_r(s, ",\n", &save); tok; tok = strtok_r(NULL, ",\n", &save)) {
		tok += strspn(tok, " \t");
		tok[strcspn(tok, " \t#")] = '\0';
		if (tok[0] == '\0')
			continue;
		if (ns->n == LB_MAX_NODES)
			return lb_fail(LB_EXIT_USAGE, "invalid_input", "--nodes",
				"more than %d nodes", LB_MAX_NODES);
		ns->name[ns->n++] = tok;
	}
	if (ns->n == 0)
		return lb_fail(LB_EXIT_USAGE, "invalid_input", "--nodes", "no node given");
	return 0;
}

/* Parse @spec into @ns and set -j aside. @return 0 or an exit code (reported; nothing to end). */
static int
nodes_begin(struct nodes *ns, const char *spec)
{
	int rc;

	memset(ns, 0, sizeof(*ns));
	rc = nodes_parse(ns, spec);
	if (rc) {
		free(ns->store);
		return rc;
	}
	ns->host0 = lb_g.host;
	ns->sock0 = lb_g.socket;
	ns->json = lb_g.json;
	lb_g.json = false;
	return 0;
}

/* Point the HTTP client at node @i: a URL (TCP, with the global token) or a socket path. */
static const char *
nodes_target(const struct nodes *ns, int i)
{
	const char *node = ns->name[i];

	if (strncmp(node, "http://", 7) == 0 || strncmp(node, "https://", 8) == 0) {
		lb_g.host = node;
	} else {
		lb_g.host = NULL;
		lb_g.socket = node;
	}
	return node;
}

static void
nodes_end(struct nodes *ns)
{
	lb_g.host = ns->host0;
	lb_g.socket = ns->sock0;
	lb_g.json = ns->json;
	free(ns->store);
	ns->store = NULL;
}

/* Print @out (stolen) as {"nodes": @out, @key: @ok, ...} with -j, else the table. */
static void
nodes_print(struct lb_table *t, json_t *out, json_t *extra)
{
	json_t *res;

	if (lb_g.json) {
		res = json_pack("{s:o}", "nodes", out);
		if (res != NULL && extra != NULL)
			json_object_update(res, extra);
		lb_print_json(res);
		json_decref(res);
	} else {
		lb_table_print(stdout, t);
		json_decref(out);
	}
	json_decref(extra);
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
	struct nodes ns;
	char err[1024];
	struct lb_table t;
	json_t *doc, *out;
	int rc, worst = LB_EXIT_OK;

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
	doc = lb_read_doc(o.file, err, sizeof(err));
	if (doc == NULL)
		return lb_fail(LB_EXIT_REFUSED, "invalid_input", NULL, "%s", err);
	rc = nodes_begin(&ns, o.nodes);
	if (rc) {
		json_decref(doc);
		return rc;
	}
	out = json_array();
	lb_table_init(&t, 4, 0);
	lb_table_row(&t, (const char *const[]){"NODE", "RESULT", "VERSION", "DETAIL"});
	for (int i = 0; i < ns.n; i++) {
		struct lb_resp r = {0};
		const char *result;
		char ver[32] = "-", detail[1024] = "";
		long long v;
		int code = LB_EXIT_OK;

		const char *node = nodes_target(&ns, i);

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
		lb_table_row(
			&t, (const char *const[]){node, result, ver, detail[0] ? detail : NULL});
		json_array_append_new(
			out, json_pack("{s:s, s:s, s:s, s:s?}", "node", node, "result", result,
				     "version", ver, "detail", detail[0] ? detail : NULL));
	}
	nodes_end(&ns);
	nodes_print(&t, out, json_pack("{s:b}", "ok", worst == LB_EXIT_OK));
	lb_table_free(&t);
	json_decref(doc);
	return worst;
}

/* ---- compare ---- */

static int
cluster_compare(int argc, char **argv)
{
	struct cl_opts o;
	struct nodes ns;
	char first_state[32] = "", first_tables[32] = "";
	const char *first = NULL; /* the first node that answered: the reference */
	struct lb_table t;
	json_t *out, *diffs;
	int rc, worst = LB_EXIT_OK;

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
	rc = nodes_begin(&ns, o.nodes);
	if (rc)
		return rc;
	out = json_array();
	diffs = json_array();
	lb_table_init(&t, 8, 0);
	lb_table_row(&t, (const char *const[]){"NODE", "VERSION", "STATE", "TABLES", "CURRENT",
				 "MAINT", "ANNOUNCED", "STORE-REV"});
	for (int i = 0; i < ns.n; i++) {
		struct lb_resp rs = {0}, rst = {0}, rn = {0};
		char ver[32] = "-", sd[32] = "-", td[32] = "-", ann[16] = "-", srev[32] = "-";
		const char *cur = "-", *maint = "-", *node = nodes_target(&ns, i);
		json_t *pairs = NULL, *nj;

		if (lb_http("GET", "/v1/state", NULL, -1, &rs) < 0 || rs.status != 200 ||
			lb_http("GET", "/v1/status", NULL, -1, &rst) < 0 || rst.status != 200) {
			if (worst == LB_EXIT_OK || worst == LB_EXIT_REFUSED)
				worst = LB_EXIT_UNREACHABLE;
			json_array_append_new(diffs, json_sprintf("%s: no answer", node));
			lb_table_row(&t, (const char *const[]){node, "unreachable", NULL, NULL,
						 NULL, NULL, NULL, NULL});
			json_array_append_new(
				out, json_pack("{s:s, s:b}", "node", node, "reachable", false));
			goto next;
		}
		snprintf(ver, sizeof(ver), "%lld", lb_resp_version(&rs));
		lb_state_digest(json_object_get(rs.body, "state"), sd, sizeof(sd));
		lb_tables_digest(rst.body, td, sizeof(td), &pairs);
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
							     node));
			if (worst == LB_EXIT_OK)
				worst = LB_EXIT_REFUSED;
		}
		if (first == NULL) {
			first = node;
			snprintf(first_state, sizeof(first_state), "%s", sd);
			snprintf(first_tables, sizeof(first_tables), "%s", td);
		} else {
			if (strcmp(sd, first_state) != 0)
				json_array_append_new(diffs,
					json_sprintf("%s: state differs from %s's", node, first));
			if (strcmp(td, first_tables) != 0)
				json_array_append_new(
					diffs, json_sprintf("%s: Maglev tables differ from %s's",
						       node, first));
			if ((strcmp(sd, first_state) || strcmp(td, first_tables)) &&
				worst == LB_EXIT_OK)
				worst = LB_EXIT_REFUSED;
		}
		lb_table_row(&t, (const char *const[]){node, ver, sd, td, cur, maint, ann, srev});
		nj = json_pack("{s:s, s:b, s:s, s:s, s:s, s:b, s:s, s:s, s:s}", "node", node,
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
	nodes_end(&ns);
	if (!lb_g.json) {
		lb_table_print(stdout, &t);
		if (json_array_size(diffs) == 0)
			printf("\n%d nodes agree: same state, same tables, all current\n", ns.n);
		for (size_t i = 0; i < json_array_size(diffs); i++)
			printf("%s%s\n", i ? "" : "\n",
				json_string_value(json_array_get(diffs, i)));
		json_decref(out);
		json_decref(diffs);
	} else {
		nodes_print(&t, out,
			json_pack("{s:b, s:o}", "agree", json_array_size(diffs) == 0, "differences",
				diffs));
	}
	lb_table_free(&t);
	return worst;
}

const struct lb_cmd lb_cluster_cmds[] = {
	{"apply", cluster_apply, NULL, "--nodes LIST -f FILE [--dry-run]",
		"apply a state document to several nodes, a result per node"},
	{"compare", cluster_compare, NULL, "--nodes LIST",
		"compare nodes: state and Maglev table digests, current, announcements"},
	{NULL, NULL, NULL, NULL, NULL},
};
