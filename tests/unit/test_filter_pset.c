/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Prefix sets (common/filter_pset.c): the entries the builder makes, searched
 * exactly as the XDP program searches them (bpf/sl_filter.bpf.h:
 * sl_pset_match), against a brute-force longest match, on random sets of
 * nested prefixes of every length, IPv4 and IPv6.
 */
#include <errno.h>
#include <string.h>

#include "../../common/filter_priv.h"
#include "test-common.h"

struct set {
	struct sl_pset_entry *e;
	uint32_t n;
	struct sl_filt_lens lens;
};

static int
cmp_entry(const void *a, const void *b)
{
	return memcmp(&((const struct sl_pset_entry *)a)->k, &((const struct sl_pset_entry *)b)->k,
		sizeof(struct sl_filt_pkey));
}

static void
set_build(struct set *s, const struct sl_pset_item *items, uint32_t n)
{
	ck_assert_int_eq(sl_pset_build(items, n, 10 * n + 16, &s->e, &s->n, &s->lens), 0);
	qsort(s->e, s->n, sizeof(*s->e), cmp_entry);
}

static void
mask(uint8_t *out, const uint8_t *in, unsigned len)
{
	for (unsigned i = 0; i < 16; i++) {
		int bits = (int)len - (int)i * 8;

		out[i] = bits >= 8 ? in[i] : bits > 0 ? in[i] & (uint8_t)(0xff << (8 - bits)) : 0;
	}
}

/* The program's search: @return the best match (rule id + 1, 0 none); *@probes the lookups. */
static uint32_t
search(const struct set *s, uint8_t family, const uint8_t *addr, unsigned *probes)
{
	unsigned lo = 0, hi = family == 4 ? s->lens.n4 : s->lens.n6;
	unsigned base = family == 4 ? 0 : SL_FILT_LENS_V6;
	uint32_t best = 0;

	*probes = 0;
	for (int i = 0; i < SL_FILT_PSET_PROBES && lo < hi; i++) {
		unsigned mid = (lo + hi - 1) / 2;
		struct sl_pset_entry want, *e;

		memset(&want, 0, sizeof(want));
		want.k.family = family;
		want.k.len = s->lens.len[base + mid];
		mask(want.k.addr, addr, want.k.len);
		e = bsearch(&want, s->e, s->n, sizeof(*s->e), cmp_entry);
		(*probes)++;
		if (e) {
			if (e->id)
				best = e->id;
			lo = mid + 1;
		} else {
			hi = mid;
		}
	}
	ck_assert_uint_eq(lo >= hi, 1); /* the search always ends within its bound */
	return best;
}

/* Brute force: the longest prefix of @items covering @addr (the first of duplicates). */
static uint32_t
brute(const struct sl_pset_item *items, uint32_t n, uint8_t family, const uint8_t *addr)
{
	int best_len = -1;
	uint32_t best = 0;

	for (uint32_t i = 0; i < n; i++) {
		uint8_t m[16];

		if (items[i].p.family != family || (int)items[i].p.len <= best_len)
			continue;
		mask(m, addr, items[i].p.len);
		if (memcmp(m, items[i].p.addr, 16) == 0) {
			best_len = items[i].p.len;
			best = items[i].id + 1;
		}
	}
	return best;
}

static uint64_t rng = 0x853c49e6748fea9bull;

static uint32_t
rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng >> 16);
}

/*
 * @n prefixes of family @fam, every length from 0 on, drawn around a small
 * pool of addresses so that they nest and share markers; ids 100 + i.
 */
static struct sl_pset_item *
random_items(uint32_t n, uint8_t fam)
{
	struct sl_pset_item *v = calloc(n, sizeof(*v));
	uint8_t pool[8][16];
	unsigned bits = fam == 4 ? 32 : 128;

	ck_assert_ptr_nonnull(v);
	for (int p = 0; p < 8; p++)
		for (int b = 0; b < 16; b++)
			pool[p][b] = (uint8_t)rnd();
	for (uint32_t i = 0; i < n; i++) {
		uint8_t a[16];

		memcpy(a, pool[rnd() % 8], 16);
		for (int flips = rnd() % 3; flips > 0; flips--) { /* wander off the pool */
			unsigned b = rnd() % bits;
			a[b / 8] ^= (uint8_t)(0x80 >> (b % 8));
		}
		if (fam == 4)
			memset(a + 4, 0, 12);
		v[i].p.family = fam;
		v[i].p.len = (uint8_t)(i < bits + 1 ? i : rnd() % (bits + 1)); /* all lengths */
		mask(v[i].p.addr, a, v[i].p.len);
		v[i].id = 100 + i;
	}
	return v;
}

/* Compare search and brute force at every prefix's edges and at random addresses. */
static void
check_set(const struct sl_pset_item *items, uint32_t n, uint8_t fam)
{
	unsigned bits = fam == 4 ? 32 : 128, probes, max_probes = 0;
	struct set s;

	set_build(&s, items, n);
	for (uint32_t i = 0; i < n * 4 + 10000; i++) {
		uint8_t a[16];

		if (i < n * 4) { /* first and last address of a prefix, and one either side */
			const struct sl_filter_prefix *p = &items[i / 4].p;
			int last = (i % 4) >= 2, step = (i % 2) ? 1 : 0;

			memcpy(a, p->addr, 16);
			for (unsigned b = p->len; b < bits && last; b++)
				a[b / 8] |= (uint8_t)(0x80 >> (b % 8));
			for (int b = (int)bits - 1; b >= 0 && step; b--) { /* +1 or -1 */
				uint8_t bit = (uint8_t)(0x80 >> (b % 8));
				int had = (a[b / 8] & bit) != 0;

				a[b / 8] ^= bit;
				if (last ? !had : had)
					break;
			}
		} else {
			memcpy(a, items[rnd() % n].p.addr, 16);
			for (unsigned b = rnd() % (bits + 1); b < bits; b++)
				if (rnd() & 1)
					a[b / 8] ^= (uint8_t)(0x80 >> (b % 8));
		}
		if (fam == 4)
			memset(a + 4, 0, 12);
		ck_assert_uint_eq(search(&s, fam, a, &probes), brute(items, n, fam, a));
		if (probes > max_probes)
			max_probes = probes;
	}
	/* ceil(log2(lengths + 1)) lookups at most: 6 for IPv4, 8 for IPv6 */
	ck_assert_uint_le(max_probes, fam == 4 ? 6 : 8);
	free(s.e);
}

START_TEST(test_pset_random_v4)
{
	struct sl_pset_item *v = random_items(2000, 4);

	check_set(v, 2000, 4);
	free(v);
}
END_TEST

START_TEST(test_pset_random_v6)
{
	struct sl_pset_item *v = random_items(2000, 6);

	check_set(v, 2000, 6);
	free(v);
}
END_TEST

/* Both families in one set: each searches its own lengths. */
START_TEST(test_pset_mixed_families)
{
	struct sl_pset_item *v4 = random_items(500, 4), *v6 = random_items(500, 6);
	struct sl_pset_item both[1000];

	memcpy(both, v4, 500 * sizeof(*v4));
	memcpy(both + 500, v6, 500 * sizeof(*v6));
	for (int i = 500; i < 1000; i++)
		both[i].id += 1000;
	check_set(both, 1000, 4);
	check_set(both, 1000, 6);
	free(v4);
	free(v6);
}
END_TEST

/* One length: no markers, one lookup per search. */
START_TEST(test_pset_hosts_only)
{
	struct sl_pset_item v[100];
	unsigned probes;
	struct set s;

	memset(v, 0, sizeof(v));
	for (int i = 0; i < 100; i++) {
		v[i].p.family = 4;
		v[i].p.len = 32;
		v[i].p.addr[0] = 10;
		v[i].p.addr[3] = (uint8_t)i;
		v[i].id = (uint32_t)i;
	}
	set_build(&s, v, 100);
	ck_assert_uint_eq(s.n, 100);
	ck_assert_uint_eq(s.lens.n4, 1);
	ck_assert_uint_eq(s.lens.n6, 0);
	ck_assert_uint_eq(search(&s, 4, v[42].p.addr, &probes), 43);
	ck_assert_uint_eq(probes, 1);
	free(s.e);
}
END_TEST

/* A duplicate keeps the first one's id; a marker that is also a prefix is both. */
START_TEST(test_pset_duplicates_and_shared_entries)
{
	struct sl_pset_item v[4];
	uint8_t a[16] = {10, 1, 2, 3};
	unsigned probes;
	struct set s;

	memset(v, 0, sizeof(v));
	for (int i = 0; i < 4; i++) {
		v[i].p.family = 4;
		v[i].id = (uint32_t)i;
	}
	v[0].p.len = v[1].p.len = 24; /* 10.1.2.0/24 twice */
	v[2].p.len = 32;	      /* 10.1.2.3/32 */
	v[3].p.len = 16;	      /* 10.1.0.0/16: a prefix where /32 needs a marker */
	mask(v[0].p.addr, a, 24);
	mask(v[1].p.addr, a, 24);
	mask(v[2].p.addr, a, 32);
	mask(v[3].p.addr, a, 16);
	set_build(&s, v, 4);
	ck_assert_uint_eq(s.n, 3); /* the duplicate and the marker add no entry */
	ck_assert_uint_eq(search(&s, 4, a, &probes), 3);
	a[3] = 4;
	ck_assert_uint_eq(search(&s, 4, a, &probes), 1);
	a[2] = 9;
	ck_assert_uint_eq(search(&s, 4, a, &probes), 4);
	free(s.e);
}
END_TEST

/* Too many entries for the map: -ENOSPC with the count it would take. */
START_TEST(test_pset_capacity)
{
	struct sl_pset_item *v = random_items(300, 4);
	struct sl_pset_entry *e = NULL;
	struct sl_filt_lens lens;
	uint32_t n = 0;

	ck_assert_int_eq(sl_pset_build(v, 300, 100, &e, &n, &lens), -ENOSPC);
	ck_assert_ptr_null(e);
	ck_assert_uint_gt(n, 100);
	free(v);
}
END_TEST

static Suite *
filter_pset_suite(void)
{
	Suite *s = suite_create("filter_pset");

	SL_TCASE(s, test_pset_random_v4);
	SL_TCASE(s, test_pset_random_v6);
	SL_TCASE(s, test_pset_mixed_families);
	SL_TCASE(s, test_pset_hosts_only);
	SL_TCASE(s, test_pset_duplicates_and_shared_entries);
	SL_TCASE(s, test_pset_capacity);
	return s;
}

SL_TEST_MAIN(filter_pset_suite)
