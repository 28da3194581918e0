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
	SL_FM_SCOPED, /* replaced with SL_FM_DENY (SL_FILTER_PART_DENY) */
	SL_FM_HITBUF,
	SL_FM_SYN, /* replaced with SL_FILTER_PART_SYN */
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

/*
 * New maps for a rule set (filter_build.c), each @return its fd or -errno.
 * sl_fbuild_set: the prefix set @m of list @set (-ENOSPC with the reason in
 * @err when the markers do not fit); sl_fbuild_conf: the conf, with the
 * sets' prefix lengths.
 */
int sl_fbuild_set(enum sl_fmap m, enum sl_filt_set set, const struct sl_filter_cfg *cfg, char *err,
	size_t errlen);
int sl_fbuild_scoped(const struct sl_filter_cfg *cfg);
int sl_fbuild_syn(const struct sl_filter_cfg *cfg);
int sl_fbuild_conf(const struct sl_filter_cfg *cfg);

/* A new, empty inner map of kind @m. @return its fd or -errno. */
int sl_fmap_create(enum sl_fmap m);

/* A prefix of a list and its rule id (SL_FILT_ID_* + position). */
struct sl_pset_item {
	struct sl_filter_prefix p;
	uint32_t id;
};

/* An entry of a prefix set; id and self as in struct sl_filt_pval. */
struct sl_pset_entry {
	struct sl_filt_pkey k;
	uint32_t id, self;
};

/* The sorted prefix lengths of @items, per family. */
void sl_pset_lens(const struct sl_pset_item *items, uint32_t n_items, struct sl_filt_lens *lens);

/*
 * The entries of the prefix set of @items (prefixes masked; a duplicate
 * keeps the first one's id), markers included, each with its best match,
 * into *@out (malloc'ed, *@n_out of them), and the set's lengths into
 * @lens. @return 0, -ENOMEM, or -ENOSPC (more than @cap entries; *@n_out
 * says how many it would take).
 */
int sl_pset_build(const struct sl_pset_item *items, uint32_t n_items, uint32_t cap,
	struct sl_pset_entry **out, uint32_t *n_out, struct sl_filt_lens *lens);

/*
 * The conf value of @cfg (flags from the lists, defaults filled in), but
 * for the prefix lengths of the sets, which building them gives.
 */
void sl_fconf_from_cfg(struct sl_filt_conf *c, const struct sl_filter_cfg *cfg);
/* @in with its default depths filled in, and the derived costs. */
void sl_frate_fill(struct sl_filt_rate *out, const struct sl_filter_rate *in);
/* A SYN limit of @pps and @burst (0: the default depth) with its derived costs. */
void sl_fsyn_fill(struct sl_filt_rate *out, uint64_t pps, uint64_t burst);
/* The derived fields of @r (pkt_cost, pkt_limit, byte_limit) from its rates and depths. */
void sl_frate_derive(struct sl_filt_rate *r);

#endif /* SL_FILTER_PRIV_H */
