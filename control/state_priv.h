/* SPDX-License-Identifier: BSD-3-Clause */
/* What state.c, state_ext.c and diff.c share. Private to the state model. */
#ifndef SLD_STATE_PRIV_H
#define SLD_STATE_PRIV_H

#include "state.h"

/* Copy @s into @out so that it is safe to print (\xNN, cut with "..."). */
void sld_escape(char *out, size_t outlen, const char *s);

/* "vips[KEY]", or "vips[I]" when the VIP has no identity yet. */
void sld_vip_path(char *out, size_t len, const json_t *vip, size_t i);

/*
 * Validate the VIP object @vip's health_check, slow_start_s and min_healthy
 * (@vport: its port, 0 if none or invalid) and add their canonical forms,
 * defaults filled in, to the object @canon. Errors name fields under @path.
 */
int sld_ext_decode(
	const json_t *vip, uint16_t vport, const char *path, json_t *canon, struct sld_err *e);

/* Fill @ext from a canonical VIP object. @return 0 or -ENOMEM. */
int sld_ext_load(const json_t *vip, uint16_t vport, struct sld_vip_ext *ext);

/* Fill st->ext from st->doc (canonical). */
int sld_state_load_ext(struct sld_state *st);

#endif /* SLD_STATE_PRIV_H */
