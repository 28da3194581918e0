/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sluiced's log: one line per event on stderr, "LEVEL: message", which
 * journald (or the test harness) timestamps. Priorities are syslog's.
 */
#ifndef SLD_LOG_H
#define SLD_LOG_H

#include <syslog.h>

/* Lines below @prio (LOG_DEBUG .. LOG_ERR) are dropped. Default LOG_INFO. */
void sld_log_level(int prio);

void sld_log(int prio, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif /* SLD_LOG_H */
