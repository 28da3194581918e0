/* SPDX-License-Identifier: BSD-3-Clause */
#include "bench.h"
void
sl_bench_flowhash(json_t *root, const struct sl_bench_opts *o)
{
	(void)root;
	(void)o;
}
