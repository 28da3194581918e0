/* SPDX-License-Identifier: BSD-3-Clause */
#include <math.h>

#include "hist.h"

void
pg_hist_bounds(unsigned i, uint64_t *lo, uint64_t *width)
{
	if (i < PG_HIST_EXACT) {
		*lo = i;
		*width = 1;
		return;
	}
	unsigned k = i - PG_HIST_EXACT;
	unsigned e = k / (1u << PG_HIST_SUB_BITS) + PG_HIST_SUB_BITS + 1;
	unsigned sub = k % (1u << PG_HIST_SUB_BITS);
	*width = 1ull << (e - PG_HIST_SUB_BITS);
	*lo = ((1ull << PG_HIST_SUB_BITS) + sub) << (e - PG_HIST_SUB_BITS);
}

void
pg_hist_merge(struct pg_hist *dst, const struct pg_hist *src)
{
	if (src->n == 0)
		return;
	if (dst->n == 0 || src->min < dst->min)
		dst->min = src->min;
	if (src->max > dst->max)
		dst->max = src->max;
	dst->n += src->n;
	dst->sum += src->sum;
	for (unsigned i = 0; i < PG_HIST_BUCKETS; i++)
		dst->b[i] += src->b[i];
}

double
pg_hist_quantile(const struct pg_hist *h, double q)
{
	uint64_t rank, seen = 0;

	if (h->n == 0)
		return 0;
	if (q <= 0)
		return h->min;
	rank = (uint64_t)ceil(q * (double)h->n);
	if (rank < 1)
		rank = 1;
	if (rank > h->n)
		rank = h->n;
	for (unsigned i = 0; i < PG_HIST_BUCKETS; i++) {
		seen += h->b[i];
		if (seen >= rank) {
			uint64_t lo, w;
			pg_hist_bounds(i, &lo, &w);
			double mid = (double)lo + (double)(w - 1) / 2.0;
			if (mid < h->min)
				mid = h->min;
			if (mid > h->max)
				mid = h->max;
			return mid;
		}
	}
	return h->max;
}
