/* SPDX-License-Identifier: BSD-3-Clause */
#include "pktbuild.h"
