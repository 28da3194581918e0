/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Strict number parsing for command-line options and request arguments,
 * shared by sluice-dp, sluiced and the tools: strtoul() alone takes "-1"
 * (as ULONG_MAX), " 5", "5x" after a check of end forgotten, and "" as 0.
 */
#ifndef SL_NUM_H
#define SL_NUM_H

#include <stdint.h>

/*
 * Parse @s as an unsigned integer in @base (8, 10 or 16) and in [@min, @max]:
 * digits of that base only, at least one (no sign, blank, prefix or suffix).
 * @return 0 with *@out set; -EINVAL when @s is not such a number; -ERANGE
 * when it is one outside [@min, @max] (*@out untouched).
 */
int sl_parse_uint(const char *s, int base, uint64_t min, uint64_t max, uint64_t *out);

#endif /* SL_NUM_H */
