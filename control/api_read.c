/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Read-only handlers: /v1/status, /v1/health, /v1/stats, /metrics, and the
 * filter endpoints (501 until the XDP filter's library is wired in).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sluice/ctl.h>

#include "api.h"
#include "etcd.h"
#include "node.h"

json_t *
sld_dp_stats(struct sld *d)
{
	json_t *reply = NULL;
	char err[256];

	if (sld_dp_request(d->opts.dp_socket, SL_CTL_STATS, NULL, SLD_DP_TIMEOUT_MS, &reply, err,
		    sizeof(err)) < 0)
		return NULL;
	if (!json_is_true(json_object_get(reply, "ok"))) {
		json_decref(reply);
		return NULL;
	}
	json_object_del(reply, "ok");
	return reply;
}

static bool
get_only(struct sld_req *r, int n, struct sld_resp *o)
{
	if (n != 0) {
		sld_resp_fail(o, 404, "not_found", "", "no such resource");
		return false;
	}
	if (strcmp(r->method, "GET") != 0) {
		o->allow = "GET";
		sld_resp_fail(o, 405, "method_not_allowed", "", "%s is not allowed here (GET)",
			r->method);
		return false;
	}
	return true;
}

void
sld_api_status(struct sld_req *r, char **seg, int n, struct sld_resp *o)
{
	struct sld *d = r->d;
	unsigned int up = 0, down = 0, unknown = 0;
	json_t *view, *dp;
	char *want;

	(void)seg;
	if (!get_only(r, n, o))
		return;
	pthread_mutex_lock(&d->lock);
	view = sld_vips_view(d, NULL, NULL);
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
	want = sld_effective_json(d, &d->state, NULL);
	dp = json_pack("{s:s, s:b, s:I, s:b, s:s?}", "socket", d->opts.dp_socket, "up", d->dp_up,
		"generation", (json_int_t)d->dp_gen, "current",
		d->dp_up && d->pushed && want && strcmp(d->pushed, want) == 0 &&
			d->pushed_version == d->version,
		"error", d->dp_error[0] ? d->dp_error : NULL);
	if (dp != NULL && d->pushed != NULL)
		json_object_set_new(
			dp, "running_version", json_integer((json_int_t)d->pushed_version));
	if (dp != NULL && d->digests != NULL)
		json_object_set_new(dp, "vips", json_loads(d->digests, 0, NULL));
	free(want);
	sld_resp_json(o, 200,
		json_pack("{s:s, s:I, s:I, s:o, s:{s:i, s:i, s:i}, s:s}", "node", d->node,
			"version", (json_int_t)d->version, "uptime_s",
			(json_int_t)(time(NULL) - d->started), "dataplane", dp, "health", "up",
			(int)up, "down", (int)down, "unknown", (int)unknown, "filter",
			"not available (not wired into sluiced yet)"));
	o->etag = (int64_t)d->version;
	pthread_mutex_unlock(&d->lock);
}

void
sld_api_health(struct sld_req *r, char **seg, int n, struct sld_resp *o)
{
	static const char *const drop[] = {"packets", "bytes", "new_flows", "weight", "mac", NULL};
	json_t *view, *out;

	(void)seg;
	if (!get_only(r, n, o))
		return;
	pthread_mutex_lock(&r->d->lock);
	view = sld_vips_view(r->d, NULL, NULL);
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
		o, 200, json_pack("{s:I, s:o}", "version", (json_int_t)r->d->version, "vips", out));
	o->etag = (int64_t)r->d->version;
	pthread_mutex_unlock(&r->d->lock);
}

void
sld_api_stats(struct sld_req *r, char **seg, int n, struct sld_resp *o)
{
	json_t *stats;

	(void)seg;
	if (!get_only(r, n, o))
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
sld_api_filter(struct sld_req *r, char **seg, int n, struct sld_resp *o)
{
	(void)r;
	(void)seg;
	(void)n;
	sld_resp_fail(o, 501, "not_implemented", "",
		"the XDP filter is not wired into sluiced yet (docs/api.md)");
}

void
sld_api_metrics(struct sld_req *r, struct sld_resp *o)
{
	json_t *stats = sld_dp_stats(r->d);

	o->text = sld_metrics(r->d, stats);
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
