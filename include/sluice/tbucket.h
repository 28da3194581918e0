/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-3-Clause) */
/*
 * Token-bucket arithmetic of the XDP filter's rate limits, as plain C over
 * <linux/types.h>: the BPF program (bpf/sl_filter.bpf.h) and the unit tests
 * (tests/unit/test_tbucket.c, with an injected clock) include the same code.
 *
 * The bucket is kept in its GCRA form (the "virtual scheduling" form of the
 * generic cell rate algorithm, equivalent to a token bucket of rate r and
 * depth b): one 64-bit word per bucket, the theoretical arrival time (TAT)
 * of the next unit. A packet costing c units conforms iff
 *
 *     max(TAT, now) + c * T  <=  now + b * T        (T = 1 / r)
 *
 * and then TAT becomes max(TAT, now) + c * T. A silent source (TAT <= now)
 * may send b units at once, then r units per second. A packet that does
 * not conform leaves TAT alone: refused packets cost nothing. Unlike a
 * fixed window there is no boundary at which 2b can pass.
 *
 * One word, rather than (tokens, last refill), is what lets the BPF side
 * update a bucket shared by all CPUs with one compare-and-swap and no lock.
 *
 * Time is in ticks of 1/SL_TB_TICKS_PER_NS ns, so that per-byte costs at
 * high byte rates keep their precision (64 bytes at 10 GB/s = 6.4 ns =
 * 102 ticks); 2^64 ticks last 36 years of uptime.
 */
#ifndef SLUICE_TBUCKET_H
#define SLUICE_TBUCKET_H

#include <linux/types.h>

#ifndef SL_TB_INLINE
#ifdef __bpf__
#define SL_TB_INLINE static __always_inline
#else
#define SL_TB_INLINE static inline
#endif
#endif

#define SL_TB_TICKS_PER_NS 16ULL
#define SL_TB_TICKS_PER_S  (1000000000ULL * SL_TB_TICKS_PER_NS)
/* Rates and depths are capped so that cost * SL_TB_TICKS_PER_S never overflows. */
#define SL_TB_MAX_UNITS 1000000000ULL

/*
 * The XDP program's clock lags true time by less than a kernel tick (1/HZ,
 * 10 ms at HZ=100, the lowest HZ; bpf/sl_filter.bpf.h, sl_now): a bucket
 * shallower than that would fill for a whole tick without the clock
 * moving, and cap its source below its rate. User space deepens every
 * bucket to at least this much of its rate (docs/filter.md, "Clock").
 */
#define SL_TB_MIN_DEPTH_TICKS (20ULL * 1000 * 1000 * SL_TB_TICKS_PER_NS) /* 20 ms */

/* Ticks that @units cost at @rate units per second (@rate != 0, @units <= SL_TB_MAX_UNITS). */
SL_TB_INLINE __u64
sl_tb_cost(__u64 units, __u64 rate)
{
	return units * SL_TB_TICKS_PER_S / rate;
}

/*
 * sl_tb_conform() with the costs in ticks, as the XDP program runs it (its
 * rule sets carry them precomputed, so that a packet costs no division):
 * @cost = sl_tb_cost(units, rate), @limit = sl_tb_cost(burst, rate).
 */
SL_TB_INLINE int
sl_tb_conform_ticks(__u64 tat, __u64 now_ticks, __u64 cost, __u64 limit, __u64 *tat_out)
{
	__u64 next = (tat > now_ticks ? tat : now_ticks) + cost;

	if (next - now_ticks > limit)
		return 0;
	*tat_out = next;
	return 1;
}

/*
 * Does a packet of @units conform to a bucket of @rate per second and depth
 * @burst units, whose state is @tat, at time @now_ticks?
 * @return 1 and the new state in *@tat_out, or 0 (state unchanged).
 * @rate 0 means unlimited: always 1, *@tat_out = @tat.
 */
SL_TB_INLINE int
sl_tb_conform(__u64 tat, __u64 now_ticks, __u64 units, __u64 rate, __u64 burst, __u64 *tat_out)
{
	if (rate == 0) {
		*tat_out = tat;
		return 1;
	}
	return sl_tb_conform_ticks(
		tat, now_ticks, sl_tb_cost(units, rate), sl_tb_cost(burst, rate), tat_out);
}

/* bpf_ktime_get_ns() (or any ns clock) -> ticks. */
SL_TB_INLINE __u64
sl_tb_ticks(__u64 ns)
{
	return ns * SL_TB_TICKS_PER_NS;
}

#endif /* SLUICE_TBUCKET_H */
