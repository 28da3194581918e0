/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sluice-bench-core: microbenchmarks of the core algorithms, printed as one
 * JSON object. Each bench_*.c adds its section to the root object.
 * A benchmark is not a test: it asserts nothing about time.
 */
#ifndef SL_BENCH_H
#define SL_BENCH_H

#include <stdint.h>
#include <time.h>

#include <jansson.h>
#include <rte_cycles.h>

struct sl_bench_opts {
	int quick; /* smaller sizes, for a smoke run in CI */
};

static inline uint64_t
sl_bench_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* TSC cycles (rdtsc), for cycles-per-operation figures. */
static inline uint64_t
sl_bench_tsc(void)
{
	return rte_rdtsc();
}

/* TSC ticks per nanosecond, measured once against CLOCK_MONOTONIC. */
double sl_bench_tsc_per_ns(void);

/* Keep a value alive so the compiler cannot drop the work that made it. */
#define SL_BENCH_SINK(x) __asm__ volatile("" : : "r"(x) : "memory")

void sl_bench_parse(json_t *root, const struct sl_bench_opts *o);
void sl_bench_flowhash(json_t *root, const struct sl_bench_opts *o);
void sl_bench_maglev(json_t *root, const struct sl_bench_opts *o);
void sl_bench_conntrack(json_t *root, const struct sl_bench_opts *o);
void sl_bench_encap(json_t *root, const struct sl_bench_opts *o);

#endif /* SL_BENCH_H */
