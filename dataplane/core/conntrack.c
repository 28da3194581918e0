/* SPDX-License-Identifier: BSD-3-Clause */
/* Placeholder being written now; see conntrack.h. */
#include "conntrack.h"
