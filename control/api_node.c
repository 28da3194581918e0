/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * /v1/node: this node's own settings and announcements (docs/api.md,
 * "The node"). Not part of the versioned state: no If-Match, no version; a
 * change is written to STATE_DIR/node.json and to the audit log.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "etcd.h"
#include "log.h"
#include "node.h"
#include "state_priv.h"
#include "store.h"

/* The GET answer (new reference). Takes the node lock. */
static json_t *
node_view(struct sld *d)
{
	struct sld_node *nd = d->nstate;
	json_t *j, *pf, *ann;
	unsigned int k = 0;

	pthread_mutex_lock(&nd->lock);
	pf = json_array();
	for (unsigned int i = 0; pf != NULL && i < nd->n_last; i++) {
		json_array_append_new(
			pf, json_pack("{s:s, s:b, s:O}", "prefix", nd->last[i].prefix, "announce",
				    nd->last[i].announce, "reasons", nd->last[i].reasons));
		k += nd->last[i].announce;
	}
	ann = json_pack("{s:s, s:s?, s:s?, s:s, s:o, s:b, s:s?, s:I, s:s?}", "speaker",
		d->opts.bird_socket ? "bird" : "none", "socket", d->opts.bird_socket, "include",
		d->opts.bird_include, "rule", sld_announce_rule_name(d->opts.announce_rule),
		"prefixes", pf ? pf : json_array(), "in_sync",
		d->opts.bird_socket != NULL && nd->speaker_ok, "error",
		nd->error[0] ? nd->error : NULL, "changes", (json_int_t)nd->changes, "changed_at",
		nd->changed_at[0] ? nd->changed_at : NULL);
	if (ann != NULL)
		json_object_set_new(ann, "announced", json_integer(k));
	j = json_pack("{s:s, s:b, s:b, s:{s:s?, s:b}, s:o}", "node", d->node, "maintenance",
		nd->maint_api || nd->maint_file, "maintenance_api", nd->maint_api,
		"maintenance_file", "path", d->opts.maintenance_file, "present", nd->maint_file,
		"announce", ann);
	pthread_mutex_unlock(&nd->lock);
	if (j != NULL)
		json_object_set_new(j, "store", sld_etcd_json(d) ?: json_null());
	return j;
}

static int
audit(struct sld_req *r, const char *summary)
{
	char t[32];
	json_t *e;
	int rc;

	sld_time_now(t, sizeof(t));
	e = json_pack("{s:s, s:s, s:s, s:s, s:s}", "time", t, "who", r->who, "method", r->method,
		"path", r->path, "summary", summary);
	if (e == NULL)
		return -ENOMEM;
	rc = sld_store_audit(&r->d->store, e);
	json_decref(e);
	return rc;
}

/* PUT or PATCH {"maintenance": bool}: both are a merge of the one key. */
static void
node_write(struct sld_req *r, struct sld_resp *o)
{
	struct sld *d = r->d;
	struct sld_node *nd = d->nstate;
	struct sld_err e;
	const char *k;
	json_t *body, *v, *m = NULL;
	bool before;
	int rc;

	if (sld_req_json(r, &body, &e) < 0) {
		sld_resp_err(o, &e);
		return;
	}
	json_object_foreach(body, k, v)
	{
		if (strcmp(k, "maintenance") != 0) {
			char esc[64];

			sld_escape(esc, sizeof(esc), k); /* as every unknown key is named */
			sld_resp_fail(o, 400, "unknown_field", esc,
				"unknown key (the node's settings: maintenance)");
			goto out;
		}
		m = v;
	}
	if (m == NULL || !json_is_boolean(m)) {
		sld_resp_fail(o, 400, "invalid_field", "maintenance",
			m ? "must be true or false" : "missing (true or false)");
		goto out;
	}
	pthread_mutex_lock(&d->wlock); /* the store and audit log */
	pthread_mutex_lock(&nd->lock);
	before = nd->maint_api;
	if (before != json_is_true(m)) {
		rc = sld_node_save(d, json_is_true(m));
		if (rc < 0) {
			pthread_mutex_unlock(&nd->lock);
			pthread_mutex_unlock(&d->wlock);
			sld_resp_fail(o, 500, "internal", "", "%s/node.json: %s", d->opts.state_dir,
				strerror(-rc));
			goto out;
		}
		nd->maint_api = json_is_true(m);
		sld_log(LOG_INFO, "node %s maintenance by %s", nd->maint_api ? "in" : "out of",
			r->who);
	}
	pthread_mutex_unlock(&nd->lock);
	if (before != json_is_true(m))
		audit(r, json_is_true(m) ? "maintenance on" : "maintenance off");
	pthread_mutex_unlock(&d->wlock);
	sld_wake(d); /* the reconciler re-decides now, not in 250 ms */
	{
		json_t *view = node_view(d);

		if (view != NULL)
			json_object_set_new(
				view, "changed", json_boolean(before != json_is_true(m)));
		sld_resp_json(o, 200, view);
	}
out:
	json_decref(body);
}

void
sld_api_node(struct sld_req *r, const struct sld_path *p, struct sld_resp *o)
{
	(void)p;
	if (strcmp(r->method, "GET") == 0) {
		sld_resp_json(o, 200, node_view(r->d));
		return;
	}
	if (strcmp(r->method, "PUT") == 0 || strcmp(r->method, "PATCH") == 0) {
		node_write(r, o);
		return;
	}
	o->allow = "GET, PUT, PATCH";
	sld_resp_fail(o, 405, "method_not_allowed", "", "%s is not allowed here", r->method);
}

char *
sld_node_metrics(struct sld *d)
{
	struct sld_node *nd = d->nstate;
	char *s = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&s, &len);

	if (f == NULL)
		return NULL;
	pthread_mutex_lock(&nd->lock);
	fprintf(f,
		"# HELP sluice_node_maintenance 1 when this node is in maintenance (API or file).\n"
		"# TYPE sluice_node_maintenance gauge\n"
		"sluice_node_maintenance %d\n",
		nd->maint_api || nd->maint_file);
	fprintf(f, "# HELP sluice_vip_announced 1 when this node wants the VIP prefix announced.\n"
		   "# TYPE sluice_vip_announced gauge\n");
	for (unsigned int i = 0; i < nd->n_last; i++)
		fprintf(f, "sluice_vip_announced{prefix=\"%s\"} %d\n", nd->last[i].prefix,
			nd->last[i].announce);
	if (d->opts.bird_socket != NULL)
		fprintf(f,
			"# HELP sluice_bgp_speaker_in_sync 1 when the BGP speaker accepted the "
			"current announcements.\n"
			"# TYPE sluice_bgp_speaker_in_sync gauge\n"
			"sluice_bgp_speaker_in_sync %d\n"
			"# HELP sluice_bgp_announcement_changes_total Announcement sets the "
			"speaker accepted.\n"
			"# TYPE sluice_bgp_announcement_changes_total counter\n"
			"sluice_bgp_announcement_changes_total %llu\n",
			nd->speaker_ok, (unsigned long long)nd->changes);
	pthread_mutex_unlock(&nd->lock);
	if (fclose(f) != 0) {
		free(s);
		return NULL;
	}
	return s;
}
