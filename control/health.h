/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The health checker: one thread running a libev loop, checking every
 * backend of every VIP whose health_check type is not "none", against the
 * backend's real address. Checks never block: TCP and HTTP are non-blocking
 * sockets with a timer, exec checks are child processes watched through a
 * pidfd and killed (their whole process group) past the timeout. At most
 * @max_inflight checks run at once; the others wait their turn.
 *
 * Rules (docs/sluiced.md): a backend's first check after it appears (or
 * after sluiced starts) decides its health at once; after that it takes
 * `rise` consecutive successes to come up and `fall` consecutive failures to
 * go down. Every transition calls the change callback, so the dataplane
 * hears about it at once, within one check interval of the check that
 * decided it.
 */
#ifndef SLD_HEALTH_H
#define SLD_HEALTH_H

#include <jansson.h>

#include "effective.h"
#include "state.h"

struct sld_health;

/*
 * Create the checker (not started). @on_change(@arg) is called from the
 * checker's thread after each health transition, with no lock held.
 * @return NULL with errno ENOMEM.
 */
struct sld_health *sld_health_create(
	unsigned int max_inflight, void (*on_change)(void *), void *arg);

/* Start the thread. @return 0 or -errno. */
int sld_health_start(struct sld_health *h);

/* Stop the thread, kill running exec checks, free everything. NULL is a no-op. */
void sld_health_destroy(struct sld_health *h);

/*
 * Hand over the backends to check from @st (copied: @st may go away after
 * the call). Backends that keep the same VIP and address keep their health
 * and counters; new ones start unknown (or as seeded); gone ones are dropped.
 * Thread-safe. @return 0 or -ENOMEM.
 */
int sld_health_set_targets(struct sld_health *h, const struct sld_state *st);

/*
 * Before the first set_targets: a backend that the running dataplane shows
 * down although its operator state is active was down by health before
 * sluiced restarted; it starts down (until its first check) rather than
 * unknown, so that a restart does not send it traffic. Thread-safe.
 */
void sld_health_seed_down(struct sld_health *h, const char *vip_key, const char *addr);

/* sld_hlookup_fn over the checker (@ctx is the struct sld_health). Thread-safe. */
void sld_health_lookup(void *ctx, const char *vip_key, const char *addr, struct sld_hview *v);

/*
 * {"health", "since", "checks", "last": {"ok", "time", "latency_ms", "error"}}
 * of one backend (new reference), or NULL when it has no record.
 */
json_t *sld_health_json(struct sld_health *h, const char *vip_key, const char *addr);

/* Monotonic milliseconds (the clock of up_since_ms). */
uint64_t sld_now_ms(void);

#endif /* SLD_HEALTH_H */
