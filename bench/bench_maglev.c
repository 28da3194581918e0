/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Maglev table builds: time, balance and disruption, beside the figures the
 * NSDI'16 paper reports (section 5.3: 1.8 ms for 100 backends in a 65537
 * table, 22.9 ms for 1000 backends in a 655373 table, on 2016 hardware).
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>

#include "bench.h"
#include "maglev.h"

static const struct {
	uint32_t n, m;
	double paper_ms; /* 0: the paper gives no figure */
} cases[] = {
	{100, 65537, 1.8},
	{1000, 65537, 0},
	{100, 655373, 0},
	{1000, 655373, 22.9},
};

/* Backend i: 10.x.y.1:8080, value i + 1, weight 1. */
static void
fill_backends(struct sl_maglev_backend *b, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++) {
		b[i] = (struct sl_maglev_backend){
			.id = {.port = htons(8080), .family = SL_FAMILY_IPV4},
			.weight = 1,
			.value = i + 1,
		};
		b[i].id.addr.v4 = htonl(0x0a000001u | (i & 0xffff) << 8);
	}
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Max over mean slot share, values 1..n. */
static double
max_mean(const uint32_t *t, uint32_t m, uint32_t n)
{
	uint32_t *c = calloc(n + 1, sizeof(*c)), max = 0;

	if (c == NULL)
		return -1;
	for (uint32_t s = 0; s < m; s++)
		if (t[s] <= n)
			c[t[s]]++;
	for (uint32_t v = 1; v <= n; v++)
		max = c[v] > max ? c[v] : max;
	free(c);
	return (double)max * n / m;
}

/* Fraction of slots that changed between @a and @b, other than those that
 * were (or now are) @own's: what a change of one backend costs the others. */
static double
moved(const uint32_t *a, const uint32_t *b, uint32_t m, uint32_t own)
{
	uint32_t k = 0;

	for (uint32_t s = 0; s < m; s++)
		k += a[s] != b[s] && a[s] != own && b[s] != own;
	return (double)k / m;
}

static json_t *
bench_case(uint32_t n, uint32_t m, double paper_ms, int runs)
{
	struct sl_maglev_backend *b = calloc(n + 1, sizeof(*b));
	uint32_t *t = malloc(m * sizeof(*t)), *t2 = malloc(m * sizeof(*t2));
	double *ms = calloc(runs, sizeof(*ms));
	char err[256];
	json_t *j = NULL;

	if (b == NULL || t == NULL || t2 == NULL || ms == NULL)
		goto out;
	fill_backends(b, n + 1);

	for (int r = 0; r < runs; r++) {
		uint64_t t0 = sl_bench_ns();

		if (sl_maglev_build(t, m, b, n, 1, err, sizeof(err)) < 0) {
			j = json_pack("{s:s}", "error", err);
			goto out;
		}
		ms[r] = (sl_bench_ns() - t0) / 1e6;
		SL_BENCH_SINK(t[0]);
	}
	qsort(ms, runs, sizeof(*ms), cmp_double);

	j = json_pack("{s:i, s:i, s:i, s:f, s:f, s:f}", "backends", (int)n, "size", (int)m, "runs",
		runs, "build_ms_median", ms[runs / 2], "build_ms_min", ms[0], "max_mean_share",
		max_mean(t, m, n));
	json_object_set_new(j, "paper_build_ms", paper_ms > 0 ? json_real(paper_ms) : json_null());

	/* Remove the middle backend (weight 0 keeps the others' values). */
	b[n / 2].weight = 0;
	if (sl_maglev_build(t2, m, b, n, 1, err, sizeof(err)) == 0)
		json_object_set_new(
			j, "disruption_remove_one", json_real(moved(t, t2, m, n / 2 + 1)));
	b[n / 2].weight = 1;

	/* Add backend n + 1. */
	if (sl_maglev_build(t2, m, b, n + 1, 1, err, sizeof(err)) == 0)
		json_object_set_new(j, "disruption_add_one", json_real(moved(t, t2, m, n + 1)));
out:
	free(ms);
	free(t2);
	free(t);
	free(b);
	return j;
}

void
sl_bench_maglev(json_t *root, const struct sl_bench_opts *o)
{
	json_t *sec = json_object(), *arr = json_array();

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		json_t *j;

		if (o->quick && cases[i].m != SL_MAGLEV_DEFAULT_SIZE)
			continue;
		j = bench_case(cases[i].n, cases[i].m, cases[i].paper_ms, o->quick ? 3 : 11);
		json_array_append_new(
			arr, j != NULL ? j : json_pack("{s:s}", "error", "no memory"));
	}
	json_object_set_new(sec, "builds", arr);
	json_object_set_new(sec, "note",
		json_string("disruption: fraction of slots that moved other than the "
			    "removed/added backend's own; paper_build_ms: NSDI'16 sec. 5.3"));
	json_object_set_new(root, "maglev", sec);
}
