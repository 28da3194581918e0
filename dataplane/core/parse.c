/* SPDX-License-Identifier: BSD-3-Clause */
/* Placeholder being written now; see parse.h. */
#include "parse.h"
