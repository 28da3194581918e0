/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Building an interface's filter maps from a rule set, off to the side:
 * the prefix sets (with filter_pset.c), the scoped-deny trie, the per-VIP
 * SYN limits and the conf. sl_filter_apply() (filter.c) swaps them in.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "filter_priv.h"

/* The prefixes of list @set of @cfg with their rule ids (deny: the global rules). */
static int
items_of(const struct sl_filter_cfg *cfg, enum sl_filt_set set, struct sl_pset_item **out,
	uint32_t *n)
{
	uint32_t len = set == SL_FILT_SET_ALLOW	 ? cfg->n_allow
		       : set == SL_FILT_SET_DENY ? cfg->n_deny
						 : cfg->n_rate_ovr;
	struct sl_pset_item *v = calloc(len + 1, sizeof(*v));

	*out = v;
	*n = 0;
	if (!v)
		return -ENOMEM;
	for (uint32_t i = 0; i < len; i++) {
		if (set == SL_FILT_SET_ALLOW)
			v[(*n)++] = (struct sl_pset_item){cfg->allow[i], SL_FILT_ID_ALLOW + i};
		else if (set == SL_FILT_SET_RATE)
			v[(*n)++] =
				(struct sl_pset_item){cfg->rate_ovr[i].src, SL_FILT_ID_RATE + i};
		else if (!cfg->deny[i].scoped)
			v[(*n)++] = (struct sl_pset_item){cfg->deny[i].src, SL_FILT_ID_DENY + i};
	}
	return 0;
}

/* The value of rate-set entry @e: its ids, and the limit of its best match. */
static void
rate_value(
	struct sl_filt_rate_pval *v, const struct sl_pset_entry *e, const struct sl_filter_cfg *cfg)
{
	const struct sl_filter_rate_ovr *o;

	memset(v, 0, sizeof(*v));
	v->id = e->id;
	v->self = e->self;
	if (!e->id)
		return;
	o = &cfg->rate_ovr[e->id - 1 - SL_FILT_ID_RATE];
	v->key_len = o->key_len ? o->key_len : (o->src.family == 4 ? cfg->key_len4 : cfg->key_len6);
	sl_frate_fill(&v->rate, &o->rate);
}

/* Write @n keys and values into @fd, in batches (one syscall per element as a fallback). */
static int
put_all(int fd, const void *keys, size_t ksize, const void *vals, size_t vsize, uint32_t n)
{
	const uint32_t chunk = 8192;

	for (uint32_t i = 0; i < n;) {
		__u32 cnt = n - i < chunk ? n - i : chunk;
		const char *k = (const char *)keys + (size_t)i * ksize;
		const char *v = (const char *)vals + (size_t)i * vsize;

		if (bpf_map_update_batch(fd, k, v, &cnt, NULL) == 0) {
			i += cnt;
			continue;
		}
		if (errno != EINVAL && errno != ENOTSUP && errno != EOPNOTSUPP)
			return -errno;
		for (uint32_t j = 0; j < cnt; j++)
			if (bpf_map_update_elem(fd, k + j * ksize, v + j * vsize, BPF_ANY) < 0)
				return -errno;
		i += cnt;
	}
	return 0;
}

/*
 * A new prefix-set map (@m) of list @set of @cfg. @return its fd, or
 * -errno (-ENOSPC with the reason in @err: too many entries with markers).
 */
int
sl_fbuild_set(enum sl_fmap m, enum sl_filt_set set, const struct sl_filter_cfg *cfg, char *err,
	size_t errlen)
{
	static const char *const names[] = {"allow", "deny.rules", "rate_limit.overrides"};
	const struct sl_fmap_def *d = &sl_fmap_defs[m];
	struct sl_pset_entry *e = NULL;
	struct sl_pset_item *items;
	struct sl_filt_lens lens;
	struct sl_filt_pkey *keys = NULL;
	unsigned char *vals = NULL;
	uint32_t n_items, n = 0;
	int fd = -1, rc;

	if ((rc = items_of(cfg, set, &items, &n_items)) < 0)
		return rc;
	rc = sl_pset_build(items, n_items, d->max_entries, &e, &n, &lens);
	if (rc == -ENOSPC)
		snprintf(err, errlen,
			"%s: %u prefixes need %u entries with the search's markers; the set "
			"holds %u",
			names[set], n_items, n, d->max_entries);
	if (rc < 0)
		goto out;
	keys = malloc(((size_t)n + 1) * sizeof(*keys));
	vals = calloc((size_t)n + 1, d->value_size);
	if (!keys || !vals) {
		rc = -ENOMEM;
		goto out;
	}
	for (uint32_t i = 0; i < n; i++) {
		keys[i] = e[i].k;
		if (set == SL_FILT_SET_RATE) {
			rate_value((struct sl_filt_rate_pval *)(vals + (size_t)i * d->value_size),
				&e[i], cfg);
		} else {
			struct sl_filt_pval v = {e[i].id, e[i].self};

			memcpy(vals + (size_t)i * d->value_size, &v, sizeof(v));
		}
	}
	fd = sl_fmap_create(m);
	if (fd < 0) {
		rc = fd;
		goto out;
	}
	rc = put_all(fd, keys, sizeof(*keys), vals, d->value_size, n);
out:
	if (rc < 0 && fd >= 0)
		close(fd);
	free(items);
	free(e);
	free(keys);
	free(vals);
	return rc < 0 ? rc : fd;
}

int
sl_fbuild_scoped(const struct sl_filter_cfg *cfg)
{
	int fd = sl_fmap_create(SL_FM_SCOPED);

	for (uint32_t i = 0; fd >= 0 && i < cfg->n_deny; i++) {
		const struct sl_filter_deny *d = &cfg->deny[i];
		struct sl_filt_rule r = {.id = SL_FILT_ID_DENY + i};
		struct sl_filt_key k;

		if (!d->scoped)
			continue;
		memset(&k, 0, sizeof(k));
		k.family = d->src.family;
		memcpy(k.src, d->src.addr, 16);
		k.prefixlen = SL_FILT_KEY_SCOPE_BITS + d->src.len;
		k.proto = d->proto;
		k.port = htons(d->port);
		memcpy(k.dst, d->dst, 16);
		/* A duplicate keeps its first id (BPF_NOEXIST): hits go to the first copy. */
		if (bpf_map_update_elem(fd, &k, &r, BPF_NOEXIST) < 0 && errno != EEXIST) {
			int e = -errno;
			close(fd);
			return e;
		}
	}
	return fd;
}

int
sl_fbuild_syn(const struct sl_filter_cfg *cfg)
{
	int fd = sl_fmap_create(SL_FM_SYN);

	for (uint32_t i = 0; fd >= 0 && i < cfg->n_syn_ovr; i++) {
		const struct sl_filter_syn_ovr *o = &cfg->syn_ovr[i];
		struct sl_filt_syn_rule r = {.id = i + 1};
		struct sl_filt_syn_key k;

		memset(&k, 0, sizeof(k));
		k.family = o->family;
		k.port = htons(o->port);
		memcpy(k.addr, o->addr, 16);
		sl_fsyn_fill(&r.rate, o->pps, o->burst);
		if (bpf_map_update_elem(fd, &k, &r, BPF_NOEXIST) < 0) {
			int e = -errno;
			close(fd);
			return e;
		}
	}
	return fd;
}

int
sl_fbuild_conf(const struct sl_filter_cfg *cfg)
{
	int fd = sl_fmap_create(SL_FM_CONF);
	struct sl_filt_conf c;
	__u32 zero = 0;
	int rc = 0;

	if (fd < 0)
		return fd;
	sl_fconf_from_cfg(&c, cfg);
	for (int set = 0; set < SL_FILT_SETS && rc == 0; set++) {
		struct sl_pset_item *items;
		uint32_t n;

		rc = items_of(cfg, set, &items, &n);
		if (rc == 0)
			sl_pset_lens(items, n, &c.lens[set]);
		free(items);
	}
	if (rc == 0 && bpf_map_update_elem(fd, &zero, &c, BPF_ANY) < 0)
		rc = -errno;
	if (rc < 0) {
		close(fd);
		return rc;
	}
	return fd;
}
