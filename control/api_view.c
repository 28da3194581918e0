/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The annotated view of the VIPs (GET /v1/vips, /v1/health, metrics): the
 * state's VIPs with, per backend, its health, the effective state and weight
 * pushed to the dataplane, and the dataplane's counters.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"

static const char *const mode_names[] = {"normal", "fail_open", "fail_closed"};
static const char *const eff_names[] = {"active", "draining", "down"};

/* The dataplane's entry for VIP @key in a STATS reply, or NULL. */
static const json_t *
stats_vip(const json_t *stats, const char *key)
{
	const json_t *vips = json_object_get(stats, "vips");

	for (size_t i = 0; i < json_array_size(vips); i++) {
		const json_t *v = json_array_get(vips, i);
		char k[SLD_KEY_LEN];

		if (sld_json_vip_key(v, k) == 0 && strcmp(k, key) == 0)
			return v;
	}
	return NULL;
}

static const json_t *
stats_backend(const json_t *sv, const char *addr)
{
	const json_t *bes = json_object_get(sv, "backends");

	for (size_t i = 0; i < json_array_size(bes); i++) {
		const json_t *b = json_array_get(bes, i);
		const char *a = json_string_value(json_object_get(b, "address"));

		if (a != NULL && strcmp(a, addr) == 0)
			return b;
	}
	return NULL;
}

static void
copy_counters(json_t *dst, const json_t *src, const char *const *keys)
{
	for (size_t i = 0; keys[i] != NULL; i++)
		json_object_set_new(dst, keys[i],
			json_integer(src ? json_integer_value(json_object_get(src, keys[i])) : 0));
}

json_t *
sld_vips_view(struct sld *d, const json_t *stats, const char *only_key)
{
	static const char *const vip_ctr[] = {"packets", "bytes", NULL};
	static const char *const be_ctr[] = {"packets", "bytes", "new_flows", NULL};
	const struct sld_state *st = &d->state;
	uint8_t *modes = calloc(st->cfg.n_vips + 1, 1);
	json_t *out = json_array();
	struct sl_cfg eff;

	if (modes == NULL || out == NULL ||
		sld_effective(st, sld_health_lookup, d->health, sld_now_ms(), &eff, modes) < 0) {
		free(modes);
		json_decref(out);
		return NULL;
	}
	for (uint32_t i = 0; i < st->cfg.n_vips; i++) {
		const struct sld_vip_ext *x = &st->ext[i];
		json_t *vip, *bes;
		const json_t *sv;

		if (only_key != NULL && strcmp(only_key, x->key) != 0)
			continue;
		vip = json_deep_copy(json_array_get(json_object_get(st->doc, "vips"), i));
		if (vip == NULL || json_array_append_new(out, vip) < 0)
			break;
		sv = stats_vip(stats, x->key);
		json_object_set_new(vip, "vip", json_string(x->key));
		json_object_set_new(vip, "mode", json_string(mode_names[modes[i]]));
		copy_counters(vip, sv, vip_ctr);
		bes = json_object_get(vip, "backends");
		for (size_t j = 0; j < json_array_size(bes); j++) {
			json_t *b = json_array_get(bes, j);
			const char *a = json_string_value(json_object_get(b, "address"));
			const struct sl_cfg_backend *eb = &eff.vips[i].backends[j];
			json_t *h = x->hc.type == SLD_HC_NONE
					    ? NULL
					    : sld_health_json(d->health, x->key, a);

			if (x->hc.type == SLD_HC_NONE)
				json_object_set_new(b, "health", json_string("up"));
			else if (h != NULL)
				json_object_update(b, h);
			else
				json_object_set_new(b, "health", json_string("unknown"));
			json_decref(h);
			json_object_set_new(
				b, "effective_state", json_string(eff_names[eb->state]));
			json_object_set_new(b, "effective_weight", json_integer(eb->weight));
			copy_counters(b, stats_backend(sv, a), be_ctr);
		}
	}
	sl_cfg_free(&eff);
	free(modes);
	return out;
}
