/* SPDX-License-Identifier: BSD-3-Clause */
/* Placeholder being written now; see encap.h. */
#include "encap.h"
