/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Shared frame for the Check unit tests: each test file defines its suite
 * with a `Suite *NAME_suite(void)` and ends with SL_TEST_MAIN(NAME_suite).
 * CK_DEFAULT_TIMEOUT comes from meson (tests/unit/meson.build).
 */
#ifndef SL_TEST_COMMON_H
#define SL_TEST_COMMON_H

#include <check.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

/* One tcase per behaviour: a tcase named after the function that tests it. */
#define SL_TCASE(s, fn)                                                                            \
	do {                                                                                       \
		TCase *tc_ = tcase_create(#fn);                                                    \
		tcase_add_test(tc_, fn);                                                           \
		suite_add_tcase((s), tc_);                                                         \
	} while (0)

#define SL_TEST_MAIN(suite_fn)                                                                     \
	int main(void)                                                                             \
	{                                                                                          \
		SRunner *sr = srunner_create(suite_fn());                                          \
		srunner_run_all(sr, CK_ENV);                                                       \
		int failed = srunner_ntests_failed(sr);                                            \
		srunner_free(sr);                                                                  \
		return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;                                  \
	}

/*
 * The tests' own RFC 1071 Internet checksum over big-endian words, starting
 * from @init: independent of the code under test (wire.h, DPDK's helpers).
 */
static inline uint16_t
sl_test_csum(const uint8_t *p, size_t n, uint32_t init)
{
	uint64_t s = init;

	for (size_t i = 0; i + 1 < n; i += 2)
		s += (uint32_t)p[i] << 8 | p[i + 1];
	if (n & 1)
		s += (uint32_t)p[n - 1] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

#endif /* SL_TEST_COMMON_H */
