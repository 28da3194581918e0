/* SPDX-License-Identifier: BSD-3-Clause */
/* Internals shared by common/filter*.c. */
#ifndef SL_FILTER_PRIV_H
#define SL_FILTER_PRIV_H

#include <limits.h>

#include <sluice/filter.h>

/* The inner maps, in the order of the table in <sluice/bpf_maps.h>. */
enum sl_fmap {
	SL_FM_STATS = 0,
	SL_FM_CONF,
	SL_FM_ALLOW, /* ALLOW, DENY, RATE follow enum sl_filter_part's bit order */
	SL_FM_DENY,
	SL_FM_RATE,
	SL_FM_STATE,
	SL_FM_HITS,
	SL_FM_DROPS,
	SL_FM_COUNT,
};

struct sl_fmap_def {
	const char *outer; /* the program's outer map (SL_MAP_*) */
	const char *pin;   /* file name under the pin directory */
	unsigned type, key_size, value_size, max_entries, flags;
};

extern const struct sl_fmap_def sl_fmap_defs[SL_FM_COUNT];

struct sl_filter {
	char dir[PATH_MAX];	/* "" when not pinned */
	int fd[SL_FM_COUNT];	/* the inner maps in use */
	int outer[SL_FM_COUNT]; /* the plugged program's outer maps (0: none) */
	int prog_fd;
};

/* A new, empty inner map of kind @m. @return its fd or -errno. */
int sl_fmap_create(enum sl_fmap m);

/* The conf value of @cfg (flags from the lists, defaults filled in). */
void sl_fconf_from_cfg(struct sl_filt_conf *c, const struct sl_filter_cfg *cfg);
/* @in with its default depths filled in, and the derived costs. */
void sl_frate_fill(struct sl_filt_rate *out, const struct sl_filter_rate *in);
/* The derived fields of @r (pkt_cost, pkt_limit, byte_limit) from its rates and depths. */
void sl_frate_derive(struct sl_filt_rate *r);

#endif /* SL_FILTER_PRIV_H */
