/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lbadm node status|drain|undrain: the node lbadm talks to in a cluster,
 * its maintenance state and BGP announcements (GET/PUT /v1/node).
 * docs/cluster.md, lbadm(8).
 */
#include <string.h>

#include "lbadm.h"

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
	struct lb_opts o;
	struct lb_resp r = {0};
	int rc = lb_simple_opts(argc, argv, 0,
		"\nThis node's maintenance state, what it announces through its BGP speaker\n"
		"(and why not), and the shared store it follows (GET /v1/node).\n",
		&o);

	lb_opts_free(&o);
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
	struct lb_opts o;
	struct lb_resp r = {0};
	json_t *body;
	int rc = lb_simple_opts(argc, argv, 0, help, &o);

	lb_opts_free(&o);
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
