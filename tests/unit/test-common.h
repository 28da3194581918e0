/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Shared frame for the Check unit tests: each test file defines its suite
 * with a `Suite *NAME_suite(void)` and ends with SL_TEST_MAIN(NAME_suite).
 * CK_DEFAULT_TIMEOUT comes from meson (tests/unit/meson.build).
 */
#ifndef SL_TEST_COMMON_H
#define SL_TEST_COMMON_H

#include <check.h>
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

#endif /* SL_TEST_COMMON_H */
