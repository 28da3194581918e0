/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Latency histogram: log-linear buckets (exact below 64 ticks, then 32
 * buckets per power of two, so any value is within 1/32 = 3% of its
 * bucket's bounds), fixed size, no allocation, cheap to add to on the RX
 * path and to merge across threads. Values are in stamp ticks (TSC cycles
 * >> PG_STAMP_TS_SHIFT).
 */
#ifndef SL_PG_HIST_H
#define SL_PG_HIST_H

#include <stdint.h>

#define PG_HIST_SUB_BITS 5
#define PG_HIST_EXACT	 (2u << PG_HIST_SUB_BITS) /* 64 */
#define PG_HIST_BUCKETS	 (PG_HIST_EXACT + (32 - PG_HIST_SUB_BITS - 1) * (1u << PG_HIST_SUB_BITS))

struct pg_hist {
	uint64_t n;
	uint64_t sum;
	uint32_t min, max;
	uint64_t b[PG_HIST_BUCKETS];
};

static inline unsigned
pg_hist_index(uint32_t v)
{
	if (v < PG_HIST_EXACT)
		return v;
	unsigned e = 31u - (unsigned)__builtin_clz(v); /* >= 6 */
	return PG_HIST_EXACT + (e - PG_HIST_SUB_BITS - 1) * (1u << PG_HIST_SUB_BITS) +
	       ((v >> (e - PG_HIST_SUB_BITS)) & ((1u << PG_HIST_SUB_BITS) - 1));
}

static inline void
pg_hist_add(struct pg_hist *h, uint32_t v)
{
	h->n++;
	h->sum += v;
	if (v < h->min || h->n == 1)
		h->min = v;
	if (v > h->max)
		h->max = v;
	h->b[pg_hist_index(v)]++;
}

/* Lowest value of bucket @i, and its width. */
void pg_hist_bounds(unsigned i, uint64_t *lo, uint64_t *width);

/* Add @src into @dst. */
void pg_hist_merge(struct pg_hist *dst, const struct pg_hist *src);

/*
 * The value below which a fraction @q (0..1) of the samples lie: the middle
 * of the bucket holding the ceil(q * n)-th smallest sample, clamped to
 * [min, max]. 0 when empty.
 */
double pg_hist_quantile(const struct pg_hist *h, double q);

#endif /* SL_PG_HIST_H */
