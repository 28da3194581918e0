/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The filter's token-bucket arithmetic (include/sluice/tbucket.h, the same
 * header the XDP program uses) with an injected clock.
 */
#include <sluice/tbucket.h>

#include "test-common.h"

#define NS_PER_S 1000000000ULL

/* Offer one packet of @units every @gap_ns for @dur_ns; @return how many conform. */
static uint64_t
offer(__u64 *tat, uint64_t start_ns, uint64_t gap_ns, uint64_t dur_ns, uint64_t units,
	uint64_t rate, uint64_t burst)
{
	uint64_t passed = 0;

	for (uint64_t t = start_ns; t < start_ns + dur_ns; t += gap_ns) {
		__u64 next;
		if (sl_tb_conform(*tat, sl_tb_ticks(t), units, rate, burst, &next)) {
			*tat = next;
			passed++;
		}
	}
	return passed;
}

/* A silent bucket passes its depth at once, then nothing until time refills it. */
START_TEST(test_tb_burst_then_empty)
{
	__u64 tat = 0, next;
	uint64_t now = sl_tb_ticks(5 * NS_PER_S);

	for (int i = 0; i < 10; i++) {
		ck_assert_int_eq(sl_tb_conform(tat, now, 1, 100, 10, &next), 1);
		tat = next;
	}
	ck_assert_int_eq(sl_tb_conform(tat, now, 1, 100, 10, &next), 0);
	/* 10 ms later at 100/s: exactly one more */
	now += sl_tb_ticks(10 * 1000 * 1000);
	ck_assert_int_eq(sl_tb_conform(tat, now, 1, 100, 10, &next), 1);
	tat = next;
	ck_assert_int_eq(sl_tb_conform(tat, now, 1, 100, 10, &next), 0);
}
END_TEST

/* Offered at 10x the rate for 10 s: the rate plus one depth passes, not a packet more. */
START_TEST(test_tb_long_run_rate)
{
	__u64 tat = 0;
	uint64_t got = offer(&tat, NS_PER_S, NS_PER_S / 10000, 10 * NS_PER_S, 1, 1000, 100);

	ck_assert_uint_ge(got, 10000);
	ck_assert_uint_le(got, 10000 + 100 + 1);
}
END_TEST

/* Under the rate, everything passes. */
START_TEST(test_tb_under_rate)
{
	__u64 tat = 0;

	ck_assert_uint_eq(offer(&tat, NS_PER_S, NS_PER_S / 500, 4 * NS_PER_S, 1, 1000, 1), 2000);
}
END_TEST

/* No fixed window: two bursts straddling a second boundary do not pass twice the depth. */
START_TEST(test_tb_no_window_edge)
{
	__u64 tat = 0;
	uint64_t a = offer(&tat, NS_PER_S - 1000, 10, 1000, 1, 100, 100);
	uint64_t b = offer(&tat, NS_PER_S, 10, 1000, 1, 100, 100);

	ck_assert_uint_eq(a, 100);
	ck_assert_uint_eq(b, 0);
}
END_TEST

/* Bytes: 1000-byte frames at 1 MB/s pass 1000 a second; a frame larger than the depth never. */
START_TEST(test_tb_bytes)
{
	__u64 tat = 0, next;

	ck_assert_uint_le(
		offer(&tat, NS_PER_S, NS_PER_S / 5000, 2 * NS_PER_S, 1000, 1000000, 10000),
		2000 + 10);
	ck_assert_uint_ge(
		offer(&tat, 4 * NS_PER_S, NS_PER_S / 5000, 2 * NS_PER_S, 1000, 1000000, 10000),
		2000);
	tat = 0;
	ck_assert_int_eq(sl_tb_conform(tat, sl_tb_ticks(NS_PER_S), 1600, 1000000, 1522, &next), 0);
}
END_TEST

/* Rate 0 is no limit; high rates keep their precision (64 B at 10 GB/s). */
START_TEST(test_tb_unlimited_and_precision)
{
	__u64 tat = 123, next = 0;

	ck_assert_int_eq(sl_tb_conform(tat, 0, 1000000, 0, 0, &next), 1);
	ck_assert_uint_eq(next, 123);
	ck_assert_uint_eq(sl_tb_cost(64, 10000000000ULL), 102); /* 6.4 ns = 102.4 ticks */
	ck_assert_uint_eq(sl_tb_cost(SL_TB_MAX_UNITS, 1), SL_TB_MAX_UNITS * SL_TB_TICKS_PER_S);
}
END_TEST

static Suite *
tbucket_suite(void)
{
	Suite *s = suite_create("tbucket");

	SL_TCASE(s, test_tb_burst_then_empty);
	SL_TCASE(s, test_tb_long_run_rate);
	SL_TCASE(s, test_tb_under_rate);
	SL_TCASE(s, test_tb_no_window_edge);
	SL_TCASE(s, test_tb_bytes);
	SL_TCASE(s, test_tb_unlimited_and_precision);
	return s;
}

SL_TEST_MAIN(tbucket_suite)
