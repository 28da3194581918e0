/* SPDX-License-Identifier: BSD-3-Clause */
/* Placeholder being written now; see maglev.h. */
#include "maglev.h"
