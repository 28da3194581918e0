/* SPDX-License-Identifier: BSD-3-Clause */
/* The effective configuration (effective.h): operator state x health x time. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>

#include "effective.h"

const char *const sld_health_names[SLD_H_MAX] = {
	[SLD_H_UNKNOWN] = "unknown",
	[SLD_H_UP] = "up",
	[SLD_H_DOWN] = "down",
};

static uint32_t
ramp(uint32_t weight, uint32_t slow_start_s, uint64_t up_since_ms, uint64_t now_ms)
{
	uint64_t elapsed_s;

	if (slow_start_s == 0 || up_since_ms == 0 || weight <= 1 || now_ms < up_since_ms)
		return weight;
	elapsed_s = (now_ms - up_since_ms) / 1000;
	if (elapsed_s >= slow_start_s)
		return weight;
	return 1 + (uint32_t)((uint64_t)(weight - 1) * elapsed_s / slow_start_s);
}

int
sld_effective(const struct sld_state *st, sld_hlookup_fn lookup, void *ctx, uint64_t now_ms,
	struct sl_cfg *out, uint8_t *modes)
{
	int rc = sl_cfg_copy(out, &st->cfg);

	if (rc < 0)
		return rc;
	for (uint32_t i = 0; i < out->n_vips; i++) {
		struct sl_cfg_vip *v = &out->vips[i];
		const struct sld_vip_ext *x = &st->ext[i];
		uint32_t enabled = 0, healthy = 0;
		uint8_t mode = SLD_VIP_NORMAL;
		bool *up = calloc(v->n_backends ? v->n_backends : 1, sizeof(*up));

		if (up == NULL) {
			sl_cfg_free(out);
			return -ENOMEM;
		}
		for (uint32_t j = 0; j < v->n_backends; j++) {
			struct sl_cfg_backend *b = &v->backends[j];
			struct sld_hview h = {SLD_H_UNKNOWN, 0};
			char a[INET6_ADDRSTRLEN];

			if (b->state == SLD_BACKEND_DISABLED) {
				b->state = SL_BACKEND_DOWN;
				continue;
			}
			inet_ntop(b->family == SL_FAMILY_IPV6 ? AF_INET6 : AF_INET, b->addr.b, a,
				sizeof(a));
			if (x->hc.type != SLD_HC_NONE && lookup != NULL)
				lookup(ctx, x->key, a, &h);
			up[j] = h.health != SLD_H_DOWN;
			b->weight = ramp(b->weight, x->slow_start_s, h.up_since_ms, now_ms);
			if (b->state != SL_BACKEND_ACTIVE)
				continue;
			enabled++;
			healthy += up[j];
		}
		if (enabled > 0 &&
			(healthy < x->min_count ||
				(uint64_t)healthy * 100 < (uint64_t)x->min_percent * enabled))
			mode = x->min_action == SLD_FAIL_CLOSED ? SLD_VIP_FAIL_CLOSED
								: SLD_VIP_FAIL_OPEN;
		for (uint32_t j = 0; j < v->n_backends; j++) {
			struct sl_cfg_backend *b = &v->backends[j];

			if (b->state != SL_BACKEND_ACTIVE)
				continue; /* draining stays draining, disabled is down */
			if (mode == SLD_VIP_FAIL_CLOSED || (mode == SLD_VIP_NORMAL && !up[j]))
				b->state = SL_BACKEND_DOWN;
		}
		free(up);
		if (modes != NULL)
			modes[i] = mode;
	}
	return 0;
}
