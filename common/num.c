/* SPDX-License-Identifier: BSD-3-Clause */
/* Strict number parsing (include/sluice/num.h). */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>

#include <sluice/num.h>

static int
digit(char c, int base)
{
	int d = c >= '0' && c <= '9'   ? c - '0'
		: c >= 'a' && c <= 'f' ? c - 'a' + 10
		: c >= 'A' && c <= 'F' ? c - 'A' + 10
				       : 99;

	return d < base ? d : -1;
}

int
sl_parse_uint(const char *s, int base, uint64_t min, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;
	bool over = false;

	if (s == NULL || *s == '\0' || (base != 8 && base != 10 && base != 16))
		return -EINVAL;
	for (; *s != '\0'; s++) {
		int d = digit(*s, base);

		if (d < 0)
			return -EINVAL;
		if (v > (UINT64_MAX - (uint64_t)d) / (uint64_t)base)
			over = true; /* keep checking that the rest are digits */
		else
			v = v * (uint64_t)base + (uint64_t)d;
	}
	if (over || v < min || v > max)
		return -ERANGE;
	*out = v;
	return 0;
}
