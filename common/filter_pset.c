/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Prefix sets (<sluice/bpf_maps.h>, "Prefix sets"): from a list of
 * prefixes, the entries of the hash map the XDP program searches by binary
 * search on prefix lengths: each prefix, the markers the search needs to
 * reach it, and for every entry the rule id of the longest prefix that
 * covers it. Built off to the side in a private open-addressing table, then
 * handed to the caller, which writes the map with its own value layout.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "filter_priv.h"

struct ptab {
	struct sl_pset_entry *v;
	uint8_t *used;
	size_t cap, n; /* cap: a power of two, kept at least twice n */
};

static uint64_t
pkey_hash(const struct sl_filt_pkey *k)
{
	uint32_t w[5];
	uint64_t h = 0x9e3779b97f4a7c15ull;

	memcpy(w, k, sizeof(w));
	for (int i = 0; i < 5; i++) {
		h = (h ^ w[i]) * 0xff51afd7ed558ccdull;
		h ^= h >> 32;
	}
	return h;
}

/* The slot of @k: its entry, or the free slot where it would go. */
static size_t
ptab_slot(const struct ptab *t, const struct sl_filt_pkey *k)
{
	size_t i = pkey_hash(k) & (t->cap - 1);

	while (t->used[i] && memcmp(&t->v[i].k, k, sizeof(*k)) != 0)
		i = (i + 1) & (t->cap - 1);
	return i;
}

static int
ptab_grow(struct ptab *t)
{
	struct ptab g = {.cap = t->cap ? t->cap * 2 : 1024};

	g.v = malloc(g.cap * sizeof(*g.v));
	g.used = calloc(g.cap, 1);
	if (!g.v || !g.used) {
		free(g.v);
		free(g.used);
		return -ENOMEM;
	}
	for (size_t i = 0; i < t->cap; i++) {
		if (t->used[i]) {
			size_t j = ptab_slot(&g, &t->v[i].k);

			g.v[j] = t->v[i];
			g.used[j] = 1;
			g.n++;
		}
	}
	free(t->v);
	free(t->used);
	*t = g;
	return 0;
}

/* The entry of @k, added (id 0, self 0) if missing; NULL when out of memory. */
static struct sl_pset_entry *
ptab_get(struct ptab *t, const struct sl_filt_pkey *k)
{
	size_t i;

	if ((t->n + 1) * 2 > t->cap && ptab_grow(t) < 0)
		return NULL;
	i = ptab_slot(t, k);
	if (!t->used[i]) {
		t->used[i] = 1;
		t->v[i].k = *k;
		t->v[i].id = t->v[i].self = 0;
		t->n++;
	}
	return &t->v[i];
}

static const struct sl_pset_entry *
ptab_find(const struct ptab *t, const struct sl_filt_pkey *k)
{
	size_t i = ptab_slot(t, k);

	return t->used[i] ? &t->v[i] : NULL;
}

/* @in cut to its first @len bits, as the program builds its keys. */
static void
pkey_cut(struct sl_filt_pkey *out, const struct sl_filt_pkey *in, unsigned len)
{
	memset(out, 0, sizeof(*out));
	out->family = in->family;
	out->len = (uint8_t)len;
	for (unsigned b = 0; b < len; b += 8) {
		unsigned keep = len - b >= 8 ? 8 : len - b;

		out->addr[b / 8] = in->addr[b / 8] & (uint8_t)(0xff << (8 - keep));
	}
}

/* Sorted distinct lengths of family @fam into lens->len[@base..], their count in *@n. */
static void
lens_of(const struct sl_pset_item *items, uint32_t n_items, uint8_t fam, struct sl_filt_lens *lens,
	unsigned base, uint8_t *n)
{
	bool seen[129] = {false};

	for (uint32_t i = 0; i < n_items; i++)
		if (items[i].p.family == fam)
			seen[items[i].p.len] = true;
	*n = 0;
	for (unsigned l = 0; l <= (fam == 4 ? 32u : 128u); l++)
		if (seen[l])
			lens->len[base + (*n)++] = (uint8_t)l;
}

void
sl_pset_lens(const struct sl_pset_item *items, uint32_t n_items, struct sl_filt_lens *lens)
{
	memset(lens, 0, sizeof(*lens));
	lens_of(items, n_items, 4, lens, 0, &lens->n4);
	lens_of(items, n_items, 6, lens, SL_FILT_LENS_V6, &lens->n6);
}

int
sl_pset_build(const struct sl_pset_item *items, uint32_t n_items, uint32_t cap,
	struct sl_pset_entry **out, uint32_t *n_out, struct sl_filt_lens *lens)
{
	struct ptab t = {0};
	uint32_t k = 0;
	int rc = -ENOMEM;

	*out = NULL;
	*n_out = 0;
	sl_pset_lens(items, n_items, lens);

	/* The prefixes: a duplicate keeps the first one's id (its hits go there). */
	for (uint32_t i = 0; i < n_items; i++) {
		struct sl_filt_pkey key;
		struct sl_pset_entry *e;

		memset(&key, 0, sizeof(key));
		key.family = items[i].p.family;
		key.len = items[i].p.len;
		memcpy(key.addr, items[i].p.addr, 16);
		if (!(e = ptab_get(&t, &key)))
			goto out;
		if (!e->self)
			e->self = items[i].id + 1;
	}
	/* The markers: where the search goes on its way to each prefix's length. */
	for (uint32_t i = 0; i < n_items; i++) {
		const struct sl_filter_prefix *p = &items[i].p;
		unsigned base = p->family == 4 ? 0 : SL_FILT_LENS_V6;
		unsigned n = p->family == 4 ? lens->n4 : lens->n6, lo = 0, hi = n, j = 0;
		struct sl_filt_pkey full, cut;

		while (lens->len[base + j] != p->len)
			j++;
		memset(&full, 0, sizeof(full));
		full.family = p->family;
		memcpy(full.addr, p->addr, 16);
		while (lo < hi) {
			unsigned mid = (lo + hi - 1) / 2;

			if (mid == j)
				break;
			if (mid > j) {
				hi = mid;
				continue;
			}
			pkey_cut(&cut, &full, lens->len[base + mid]);
			if (!ptab_get(&t, &cut))
				goto out;
			lo = mid + 1;
		}
	}
	/* Every entry's best match: the longest prefix of the set covering it. */
	for (size_t i = 0; i < t.cap; i++) {
		struct sl_pset_entry *e = &t.v[i];
		unsigned base;
		int n;

		if (!t.used[i])
			continue;
		base = e->k.family == 4 ? 0 : SL_FILT_LENS_V6;
		n = e->k.family == 4 ? lens->n4 : lens->n6;
		for (int m = n - 1; m >= 0 && !e->id; m--) {
			struct sl_filt_pkey cut;
			const struct sl_pset_entry *c;

			if (lens->len[base + m] > e->k.len)
				continue;
			pkey_cut(&cut, &e->k, lens->len[base + m]);
			c = ptab_find(&t, &cut);
			if (c && c->self)
				e->id = c->self;
		}
	}
	if (t.n > cap) {
		*n_out = (uint32_t)t.n;
		rc = -ENOSPC;
		goto out;
	}
	*out = malloc((t.n + 1) * sizeof(**out));
	if (!*out)
		goto out;
	for (size_t i = 0; i < t.cap; i++)
		if (t.used[i])
			(*out)[k++] = t.v[i];
	*n_out = k;
	rc = 0;
out:
	free(t.v);
	free(t.used);
	return rc;
}
