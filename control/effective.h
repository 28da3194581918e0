/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The effective configuration: what sluiced pushes to sluice-dp, computed
 * from the desired state and the backends' health (docs/api.md, "Effective
 * state"; docs/sluiced.md, "Health checks").
 */
#ifndef SLD_EFFECTIVE_H
#define SLD_EFFECTIVE_H

#include <stdint.h>

#include "state.h"

enum sld_hstate {
	SLD_H_UNKNOWN = 0, /* not checked yet (or no check): counts as healthy */
	SLD_H_UP,
	SLD_H_DOWN,
	SLD_H_MAX,
};

extern const char *const sld_health_names[SLD_H_MAX];

/* What the health checker knows of one backend of one VIP. */
struct sld_hview {
	uint8_t health;	      /* enum sld_hstate */
	uint64_t up_since_ms; /* CLOCK_MONOTONIC ms when it last came up from down; 0: never */
};

/* Look a backend up: fill @v (UNKNOWN when the checker has no record). */
typedef void (*sld_hlookup_fn)(
	void *ctx, const char *vip_key, const char *addr, struct sld_hview *v);

/* Per VIP: whether min_healthy took over, and how. */
enum sld_vip_mode {
	SLD_VIP_NORMAL = 0,
	SLD_VIP_FAIL_OPEN,   /* too few healthy: every enabled backend used */
	SLD_VIP_FAIL_CLOSED, /* too few healthy: none used */
};

/*
 * Compute the dataplane config for @st at @now_ms (CLOCK_MONOTONIC):
 *   disabled -> down; draining -> draining; active -> active when healthy
 *   (or unknown), down when not, unless the VIP's min_healthy rule fails
 *   open (all enabled backends active) or closed (all down);
 *   weight ramps from 1 to its value over slow_start_s after a backend came
 *   up from down (in whole seconds, so that a ramp changes at most once a
 *   second).
 * @out is overwritten (sl_cfg_free() it); @modes (may be NULL) gets one
 * enum sld_vip_mode per VIP. @return 0 or -ENOMEM.
 */
int sld_effective(const struct sld_state *st, sld_hlookup_fn lookup, void *ctx, uint64_t now_ms,
	struct sl_cfg *out, uint8_t *modes);

#endif /* SLD_EFFECTIVE_H */
