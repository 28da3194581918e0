/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * /v1/filter, /v1/filter/stats, /v1/filter/drops (docs/api.md): the
 * state's "filter" like any other part of the state, and what the filter's
 * pinned maps of every --filter-iface count. Readers open the maps
 * themselves (read-only uses of the library), so they never wait for the
 * writers' lock.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sluice/filter.h>

#include "api.h"

#define MAX_DROPS 1000

static struct sl_filter *
open_ro(struct sld *d, const char *ifname, char *err, size_t errlen)
{
	struct sl_filter *f;
	int rc = sl_filter_open(&f, d->opts.filter_pin_root, ifname, 0);

	if (rc < 0) {
		snprintf(err, errlen, "%s: filter maps under %s: %s", ifname,
			d->opts.filter_pin_root, strerror(-rc));
		return NULL;
	}
	return f;
}

int
sld_filter_counters_sum(struct sld *d, struct sl_xdp_counter *sum)
{
	int n = 0;

	memset(sum, 0, SL_XDP_STATS_MAX * sizeof(*sum));
	for (unsigned int i = 0; i < d->n_fif; i++) {
		struct sl_xdp_counter c[SL_XDP_STATS_MAX];
		struct sl_filter *f;
		char err[256];

		f = open_ro(d, d->fif[i].name, err, sizeof(err));
		if (f == NULL)
			continue;
		if (sl_filter_counters(f, c) == 0) {
			for (unsigned int k = 0; k < SL_XDP_STATS_MAX; k++) {
				sum[k].packets += c[k].packets;
				sum[k].bytes += c[k].bytes;
			}
			n++;
		}
		sl_filter_close(f);
	}
	return n;
}

/* Per-rule hits of the state's rule set (in force on @f). */
static json_t *
hits_json(struct sl_filter *f, const struct sl_filter_cfg *cfg)
{
	static const char *const lists[] = {"allow", "deny", "rate"};
	json_t *out = json_object();
	char buf[64];

	for (int l = 0; out != NULL && l < 3; l++) {
		uint32_t n = l == 0 ? cfg->n_allow : l == 1 ? cfg->n_deny : cfg->n_rate_ovr;
		uint32_t base = l == 0	 ? SL_FILT_ID_ALLOW
				: l == 1 ? SL_FILT_ID_DENY
					 : SL_FILT_ID_RATE;
		json_t *a = json_array();

		for (uint32_t i = 0; a != NULL && i < n; i++) {
			const struct sl_filter_prefix *p = l == 0   ? &cfg->allow[i]
							   : l == 1 ? &cfg->deny[i].src
								    : &cfg->rate_ovr[i].src;
			uint64_t h = 0;

			if (sl_filter_hits(f, base + i, 1, &h) < 0)
				break;
			json_array_append_new(
				a, json_pack("{s:i, s:s, s:I}", "rule", (int)i, "prefix",
					   sl_filter_prefix_str(p, buf, sizeof(buf)), "hits",
					   (json_int_t)h));
		}
		json_object_set_new(out, lists[l], a);
	}
	return out;
}

static void
filter_stats(struct sld_req *r, struct sld_resp *o, const struct sld_snap *snap)
{
	struct sld *d = r->d;
	const json_t *want = json_object_get(snap->state.doc, "filter");
	json_t *st = sld_filter_status(d, snap), *ifs = json_array(), *sst;
	struct sl_filter_cfg cfg;
	bool have_cfg = false;
	char *text;

	if (want != NULL && (text = json_dumps(want, JSON_COMPACT)) != NULL) {
		char err[SL_FILTER_ERR_LEN];

		have_cfg = sl_filter_cfg_from_json(&cfg, text, err, sizeof(err)) == 0;
		if (!have_cfg)
			sl_filter_cfg_free(&cfg);
		free(text);
	}
	sst = json_object_get(st, "interfaces");
	for (unsigned int i = 0; ifs != NULL && i < d->n_fif; i++) {
		struct sl_xdp_counter c[SL_XDP_STATS_MAX];
		json_t *e = json_pack("{s:s}", "interface", d->fif[i].name), *ctr;
		struct sl_filter *f;
		char err[256];

		json_array_append_new(ifs, e);
		f = open_ro(d, d->fif[i].name, err, sizeof(err));
		if (f == NULL || sl_filter_counters(f, c) < 0) {
			json_object_set_new(
				e, "error", json_string(f ? "reading the counters" : err));
			sl_filter_close(f);
			continue;
		}
		ctr = json_object();
		for (unsigned int k = 0; ctr != NULL && k < SL_XDP_STATS_MAX; k++)
			json_object_set_new(ctr, sl_filter_stat_name(k),
				json_pack("{s:I, s:I}", "packets", (json_int_t)c[k].packets,
					"bytes", (json_int_t)c[k].bytes));
		json_object_set_new(e, "counters", ctr);
		/* Rule ids are positions in the set in force: only ours is named. */
		if (have_cfg && json_is_true(json_object_get(json_array_get(sst, i), "in_force")))
			json_object_set_new(e, "hits", hits_json(f, &cfg));
		sl_filter_close(f);
	}
	if (have_cfg)
		sl_filter_cfg_free(&cfg);
	json_decref(st);
	sld_resp_json(o, 200,
		json_pack("{s:I, s:o}", "version", (json_int_t)snap->version, "interfaces", ifs));
}

struct drops_ctx {
	json_t *rows;
	const char *ifname;
};

static int
on_drop(const struct sl_filt_drop_event *ev, void *arg)
{
	struct drops_ctx *c = arg;
	char src[INET6_ADDRSTRLEN] = "", dst[INET6_ADDRSTRLEN] = "";
	int af = ev->family == 6 ? AF_INET6 : AF_INET;

	if (ev->family == 4 || ev->family == 6) {
		inet_ntop(af, ev->src, src, sizeof(src));
		inet_ntop(af, ev->dst, dst, sizeof(dst));
	}
	json_array_append_new(c->rows,
		json_pack("{s:s, s:I, s:s?, s:s?, s:i, s:i, s:s, s:i, s:b}", "interface", c->ifname,
			"time_ns", (json_int_t)ev->ts_ns, "source", src[0] ? src : NULL,
			"destination", dst[0] ? dst : NULL, "protocol", ev->proto, "port",
			ntohs(ev->dport), "reason", sl_filter_stat_name(ev->reason), "rule",
			(int)ev->rule, "monitor", ev->monitor != 0));
	return 0;
}

static void
filter_drops(struct sld_req *r, struct sld_resp *o, const struct sld_snap *snap)
{
	struct drops_ctx c = {0};
	unsigned int limit;
	json_t *errors;

	if (!sld_req_uint_arg(r, o, "limit", 100, 1, MAX_DROPS, &limit))
		return;
	c.rows = json_array();
	errors = json_array();
	for (unsigned int i = 0; c.rows != NULL && i < r->d->n_fif; i++) {
		size_t before = json_array_size(c.rows);
		struct sl_filter *f;
		char err[256];

		c.ifname = r->d->fif[i].name;
		f = open_ro(r->d, c.ifname, err, sizeof(err));
		if (f == NULL) {
			json_array_append_new(errors, json_string(err));
			continue;
		}
		if (before < limit)
			sl_filter_drops(f, 0, (unsigned)(limit - before), on_drop, &c);
		sl_filter_close(f);
	}
	sld_resp_json(o, 200,
		json_pack("{s:I, s:o, s:o}", "version", (json_int_t)snap->version, "drops", c.rows,
			"errors", errors));
}

/* PUT (@body: the rule set) or DELETE (@body NULL) of the state's "filter". */
static void
filter_write(struct sld_req *r, struct sld_resp *o)
{
	struct sld *d = r->d;
	json_t *body = NULL, *doc = NULL, *a;
	struct sld_write_result res;
	struct sld_write w;
	struct sld_err e;

	if (!sld_prepare_write(r, o, &w))
		return;
	pthread_mutex_lock(&d->wlock);
	if (strcmp(r->method, "PUT") == 0 && sld_req_json(r, &body, &e) < 0) {
		sld_resp_err(o, &e);
		goto out;
	}
	doc = json_deep_copy(d->snap->state.doc);
	if (doc == NULL || (body != NULL ? json_object_set(doc, "filter", body) : 0) < 0) {
		sld_resp_fail(o, 500, "internal", "", "out of memory");
		goto out;
	}
	if (body == NULL)
		json_object_del(doc, "filter");
	if (sld_commit(d, &w, doc, &res, &e) < 0) {
		sld_resp_err(o, &e);
		if (e.status == 412)
			json_object_set_new(json_object_get(o->json, "error"), "current_version",
				json_integer((json_int_t)d->snap->version));
		goto out;
	}
	a = sld_write_answer(&res, w.dry_run);
	if (a != NULL && !w.dry_run)
		json_object_set(
			a, "filter", json_object_get(d->snap->state.doc, "filter") ?: json_null());
	sld_resp_json(o, 200, a);
	o->etag = (int64_t)d->snap->version;
	json_decref(res.diff);
out:
	pthread_mutex_unlock(&d->wlock);
	json_decref(body);
	json_decref(doc);
}

void
sld_api_filter(struct sld_req *r, const struct sld_path *p, struct sld_resp *o)
{
	struct sld_snap *snap;
	bool get = strcmp(r->method, "GET") == 0;

	if (p->res == SLD_RES_FILTER && !get) {
		if (strcmp(r->method, "PUT") == 0 || strcmp(r->method, "DELETE") == 0)
			filter_write(r, o);
		else
			sld_method_not_allowed(r, o, "GET, PUT, DELETE");
		return;
	}
	if (!get) {
		sld_method_not_allowed(r, o, "GET");
		return;
	}
	snap = sld_snap_get(r->d);
	o->etag = (int64_t)snap->version;
	if (p->res == SLD_RES_FILTER) {
		json_t *f = json_object_get(snap->state.doc, "filter");

		sld_resp_json(o, 200,
			json_pack("{s:I, s:O, s:o}", "version", (json_int_t)snap->version, "filter",
				f ? f : json_null(), "status", sld_filter_status(r->d, snap)));
	} else if (r->d->n_fif == 0) {
		sld_resp_fail(o, 503, "filter_unavailable", "",
			"no --filter-iface on this node: its filter's maps are not sluiced's");
	} else if (p->res == SLD_RES_FILTER_STATS) {
		filter_stats(r, o, snap);
	} else {
		filter_drops(r, o, snap);
	}
	sld_snap_put(snap);
}
