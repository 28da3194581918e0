/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * GET /metrics: Prometheus text format 0.0.4 (docs/api.md, "Metrics").
 * Names start with sluice_, values are in base units, counters end in
 * _total, and no label carries a client address: only VIPs, backends,
 * reasons and workers, whose number the operator controls.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"

struct buf {
	char *s;
	size_t len, cap;
	bool oom;
};

static void put(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
put(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(b->s + b->len, b->cap - b->len, fmt, ap);
		va_end(ap);
		if (n < 0)
			return;
		if (b->len + (size_t)n < b->cap) {
			b->len += (size_t)n;
			return;
		}
		char *ns = realloc(b->s, b->cap * 2 + (size_t)n);
		if (ns == NULL) {
			b->oom = true;
			return;
		}
		b->s = ns;
		b->cap = b->cap * 2 + (size_t)n;
	}
}

static void
family(struct buf *b, const char *name, const char *type, const char *help)
{
	put(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static long long
num(const json_t *o, const char *k)
{
	return (long long)json_integer_value(json_object_get(o, k));
}

/* Per VIP and per backend families, from the annotated view. */
static void
vip_metrics(struct buf *b, const json_t *view, bool have_stats)
{
	static const struct {
		const char *name, *key, *help;
	} vip_c[] = {{"sluice_vip_packets_total", "packets", "Packets received for the VIP."},
		{"sluice_vip_bytes_total", "bytes", "Bytes received for the VIP."}},
	  be_c[] = {{"sluice_backend_packets_total", "packets", "Packets sent to the backend."},
		  {"sluice_backend_bytes_total", "bytes", "Bytes sent to the backend."},
		  {"sluice_backend_new_flows_total", "new_flows",
			  "New flows the backend was chosen for."}};

	for (size_t c = 0; have_stats && c < 2; c++) {
		family(b, vip_c[c].name, "counter", vip_c[c].help);
		for (size_t i = 0; i < json_array_size(view); i++) {
			const json_t *v = json_array_get(view, i);

			put(b, "%s{vip=\"%s\"} %lld\n", vip_c[c].name,
				json_string_value(json_object_get(v, "vip")), num(v, vip_c[c].key));
		}
	}
	for (size_t c = 0; c < 5; c++) {
		if (c < 3 && !have_stats)
			continue;
		if (c < 3)
			family(b, be_c[c].name, "counter", be_c[c].help);
		else if (c == 3)
			family(b, "sluice_backend_up", "gauge",
				"1 when the backend is healthy (or not checked), 0 when down.");
		else
			family(b, "sluice_backend_effective_weight", "gauge",
				"Weight pushed to the dataplane (0 when not taking new flows).");
		for (size_t i = 0; i < json_array_size(view); i++) {
			const json_t *v = json_array_get(view, i),
				     *bes = json_object_get(v, "backends");
			const char *vk = json_string_value(json_object_get(v, "vip"));

			for (size_t j = 0; j < json_array_size(bes); j++) {
				const json_t *be = json_array_get(bes, j);
				const char *a = json_string_value(json_object_get(be, "address"));
				const char *h = json_string_value(json_object_get(be, "health"));
				const char *es =
					json_string_value(json_object_get(be, "effective_state"));
				long long val;

				if (c < 3)
					val = num(be, be_c[c].key);
				else if (c == 3)
					val = !(h && strcmp(h, "down") == 0);
				else
					val = es && strcmp(es, "active") == 0
						      ? num(be, "effective_weight")
						      : 0;
				put(b, "%s{vip=\"%s\",backend=\"%s\"} %lld\n",
					c < 3	 ? be_c[c].name
					: c == 3 ? "sluice_backend_up"
						 : "sluice_backend_effective_weight",
					vk, a, val);
			}
		}
	}
}

static void
dp_metrics(struct buf *b, const json_t *stats)
{
	const json_t *drops = json_object_get(stats, "drops"),
		     *ws = json_object_get(stats, "workers");
	const char *k;
	json_t *v;

	family(b, "sluice_dataplane_drops_total", "counter",
		"Packets dropped by the dataplane, by reason.");
	json_object_foreach((json_t *)drops, k, v)
	{
		put(b, "sluice_dataplane_drops_total{reason=\"%s\"} %lld\n", k,
			(long long)json_integer_value(v));
	}
	family(b, "sluice_conntrack_entries", "gauge", "Tracked flows, per worker.");
	for (size_t i = 0; i < json_array_size(ws); i++)
		put(b, "sluice_conntrack_entries{worker=\"%lld\"} %lld\n",
			num(json_array_get(ws, i), "worker"),
			num(json_array_get(ws, i), "conntrack_entries"));
	family(b, "sluice_conntrack_capacity", "gauge", "Flow table capacity, per worker.");
	for (size_t i = 0; i < json_array_size(ws); i++)
		put(b, "sluice_conntrack_capacity{worker=\"%lld\"} %lld\n",
			num(json_array_get(ws, i), "worker"),
			num(json_array_get(ws, i), "conntrack_capacity"));
	family(b, "sluice_dataplane_generation", "gauge", "Config generation the dataplane runs.");
	put(b, "sluice_dataplane_generation %lld\n", num(stats, "generation"));
}

char *
sld_metrics(struct sld *d, const json_t *stats)
{
	struct buf b = {.cap = 16384};
	bool current;
	json_t *view, *dvips = NULL;
	char *want;

	b.s = malloc(b.cap);
	if (b.s == NULL)
		return NULL;
	b.s[0] = '\0';
	pthread_mutex_lock(&d->lock);
	view = sld_vips_view(d, stats, NULL);
	want = sld_effective_json(d, &d->state, NULL);
	current = d->dp_up && d->pushed && want && strcmp(want, d->pushed) == 0 &&
		  d->pushed_version == d->version;
	free(want);
	family(&b, "sluice_state_version", "gauge", "Version of the desired state.");
	put(&b, "sluice_state_version %llu\n", (unsigned long long)d->version);
	family(&b, "sluice_dataplane_up", "gauge",
		"1 when sluice-dp answers on its control socket.");
	put(&b, "sluice_dataplane_up %d\n", stats != NULL);
	family(&b, "sluice_dataplane_current", "gauge",
		"1 when sluice-dp runs the effective config of the current state version.");
	put(&b, "sluice_dataplane_current %d\n", current);
	if (d->digests != NULL)
		dvips = json_loads(d->digests, 0, NULL);
	pthread_mutex_unlock(&d->lock);
	vip_metrics(&b, view, stats != NULL);
	if (stats != NULL)
		dp_metrics(&b, stats);
	if (json_array_size(dvips) > 0) {
		family(&b, "sluice_vip_table_info", "gauge",
			"Digest of each VIP's Maglev table: equal digests, equal tables.");
		for (size_t i = 0; i < json_array_size(dvips); i++) {
			const json_t *v = json_array_get(dvips, i);
			char key[SLD_KEY_LEN];
			const char *dg = json_string_value(json_object_get(v, "digest"));

			if (dg != NULL && sld_json_vip_key(v, key) == 0)
				put(&b, "sluice_vip_table_info{vip=\"%s\",digest=\"%s\"} 1\n", key,
					dg);
		}
	}
	json_decref(dvips);
	json_decref(view);
	if (b.oom) {
		free(b.s);
		return NULL;
	}
	return b.s;
}
