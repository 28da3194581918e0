/* SPDX-License-Identifier: BSD-3-Clause */
/* Placeholder being written now. */
#include "bench.h"

void
sl_bench_parse(json_t *root, const struct sl_bench_opts *o)
{
	(void)root;
	(void)o;
}
