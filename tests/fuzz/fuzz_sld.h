/* SPDX-License-Identifier: BSD-3-Clause */
/* What the sluiced fuzz targets share: the invariant check that aborts. */
#ifndef FUZZ_SLD_H
#define FUZZ_SLD_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(c)                                                                                   \
	do {                                                                                       \
		if (!(c)) {                                                                        \
			fprintf(stderr, "%s: invariant failed: %s (line %d)\n", __FILE__, #c,      \
				__LINE__);                                                         \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

#endif /* FUZZ_SLD_H */
