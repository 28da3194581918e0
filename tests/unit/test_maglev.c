/* SPDX-License-Identifier: BSD-3-Clause */
/* Placeholder being written now. */
#include "test-common.h"

START_TEST(test_placeholder)
{
	ck_assert_int_eq(1, 1);
}
END_TEST

static Suite *
maglev_suite(void)
{
	Suite *s = suite_create("maglev");
	SL_TCASE(s, test_placeholder);
	return s;
}

SL_TEST_MAIN(maglev_suite)
