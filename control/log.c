/* SPDX-License-Identifier: BSD-3-Clause */
#include <stdarg.h>
#include <stdio.h>

#include "log.h"

static int max_prio = LOG_INFO;

void
sld_log_level(int prio)
{
	max_prio = prio;
}

void
sld_log(int prio, const char *fmt, ...)
{
	static const char *const names[] = {
		"emerg", "alert", "crit", "error", "warning", "notice", "info", "debug"};
	char line[1024];
	va_list ap;

	if (prio > max_prio)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	/* One fprintf per line: stdio's lock keeps lines from several threads whole. */
	fprintf(stderr, "sluiced: %s: %s\n", names[prio & 7], line);
}
