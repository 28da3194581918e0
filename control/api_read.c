/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Read-only handlers: /v1/status, /v1/health, /v1/stats, /metrics. They
 * read a snapshot of the state and copies of the dataplane bookkeeping: no
 * writer's lock, so none of them waits for a push to sluice-dp.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "etcd.h"
#include "node.h"

static bool
get_only(struct sld_req *r, struct sld_resp *o)
{
	if (strcmp(r->method, "GET") != 0) {
		sld_method_not_allowed(r, o, "GET");
		return false;
	}
	return true;
}

/* The dataplane part of /v1/status. */
static json_t *
dp_status(struct sld *d, const struct sld_snap *snap)
{
	bool current = sld_dp_current(d, snap);
	json_t *dp;

	pthread_mutex_lock(&d->dp_lock);
	dp = json_pack("{s:s, s:b, s:I, s:b, s:s?}", "socket", d->opts.dp_socket, "up", d->dp_up,
		"generation", (json_int_t)d->dp_gen, "current", current, "error",
		d->dp_error[0] ? d->dp_error : NULL);
	if (dp != NULL && d->pushed != NULL)
		json_object_set_new(
			dp, "running_version", json_integer((json_int_t)d->pushed_version));
	pthread_mutex_unlock(&d->dp_lock);
	if (dp != NULL)
		json_object_set_new(dp, "tables", sld_dp_tables(d));
	return dp;
}

void
sld_api_status(struct sld_req *r, const struct sld_path *p, struct sld_resp *o)
{
	struct sld *d = r->d;
	unsigned int up = 0, down = 0, unknown = 0;
	struct sld_snap *snap;
	json_t *view;

	(void)p;
	if (!get_only(r, o))
		return;
	snap = sld_snap_get(d);
	view = sld_vips_view(d, snap, NULL, NULL);
	for (size_t i = 0; i < json_array_size(view); i++) {
		json_t *bes = json_object_get(json_array_get(view, i), "backends");

		for (size_t j = 0; j < json_array_size(bes); j++) {
			const char *h = json_string_value(
				json_object_get(json_array_get(bes, j), "health"));

			if (h && strcmp(h, "up") == 0)
				up++;
			else if (h && strcmp(h, "down") == 0)
				down++;
			else
				unknown++;
		}
	}
	json_decref(view);
	sld_resp_json(o, 200,
		json_pack("{s:s, s:I, s:I, s:o, s:{s:i, s:i, s:i}, s:o}", "node", d->node,
			"version", (json_int_t)snap->version, "uptime_s",
			(json_int_t)(time(NULL) - d->started), "dataplane", dp_status(d, snap),
			"health", "up", (int)up, "down", (int)down, "unknown", (int)unknown,
			"filter", sld_filter_status(d, snap)));
	o->etag = (int64_t)snap->version;
	sld_snap_put(snap);
}

void
sld_api_health(struct sld_req *r, const struct sld_path *p, struct sld_resp *o)
{
	static const char *const drop[] = {
		"packets", "bytes", "new_flows", "weight", "mac", "table_digest", NULL};
	struct sld_snap *snap;
	json_t *view, *out;

	(void)p;
	if (!get_only(r, o))
		return;
	snap = sld_snap_get(r->d);
	view = sld_vips_view(r->d, snap, NULL, NULL);
	out = json_array();
	for (size_t i = 0; out && i < json_array_size(view); i++) {
		json_t *v = json_array_get(view, i), *bes = json_object_get(v, "backends");

		for (size_t j = 0; j < json_array_size(bes); j++)
			for (size_t k = 0; drop[k]; k++)
				json_object_del(json_array_get(bes, j), drop[k]);
		json_array_append_new(
			out, json_pack("{s:O, s:O, s:O, s:O}", "vip", json_object_get(v, "vip"),
				     "mode", json_object_get(v, "mode"), "health_check",
				     json_object_get(v, "health_check"), "backends", bes));
	}
	json_decref(view);
	sld_resp_json(
		o, 200, json_pack("{s:I, s:o}", "version", (json_int_t)snap->version, "vips", out));
	o->etag = (int64_t)snap->version;
	sld_snap_put(snap);
}

void
sld_api_stats(struct sld_req *r, const struct sld_path *p, struct sld_resp *o)
{
	json_t *stats;

	(void)p;
	if (!get_only(r, o))
		return;
	stats = sld_dp_stats(r->d);
	if (stats == NULL) {
		sld_resp_fail(o, 503, "dataplane_unavailable", "",
			"sluice-dp is not answering on %s", r->d->opts.dp_socket);
		return;
	}
	sld_resp_json(o, 200, stats);
}

void
sld_api_metrics(struct sld_req *r, const struct sld_path *p, struct sld_resp *o)
{
	struct sld_snap *snap;
	json_t *stats;

	(void)p;
	if (!get_only(r, o))
		return;
	stats = sld_dp_stats(r->d);
	snap = sld_snap_get(r->d);
	o->text = sld_metrics(r->d, snap, stats);
	o->etag = (int64_t)snap->version;
	sld_snap_put(snap);
	json_decref(stats);
	if (o->text != NULL && r->d->nstate != NULL) {
		char *nm = sld_node_metrics(r->d), *em = sld_etcd_metrics(r->d), *all = NULL;

		if (nm == NULL || em == NULL || asprintf(&all, "%s%s%s", o->text, nm, em) < 0)
			all = NULL;
		free(nm);
		free(em);
		free(o->text);
		o->text = all;
	}
	if (o->text == NULL) {
		sld_resp_fail(o, 500, "internal", "", "out of memory");
		return;
	}
	o->ctype = "text/plain; version=0.0.4; charset=utf-8";
}
