/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The sluiced daemon's context and the pieces that share it: the published
 * state (snap.c), the dataplane bookkeeping and the reconciler (dpc.c), the
 * start-up adoption and import (adopt.c), writes (commit.c), the HTTP API
 * (api*.c), metrics (metrics.c), tokens (tokens.c).
 *
 * Threads and locks (docs/sluiced.md, "Threads"):
 *
 * - d->wlock serialises every change: API writes, the reconciler's pushes,
 *   the import of a running config. It is held across a push to sluice-dp
 *   (up to SLD_DP_APPLY_TIMEOUT), so pushes and commits happen in one
 *   order. Only its holder replaces d->snap or writes the store.
 * - Readers never take d->wlock: they take a reference on the committed
 *   state's snapshot (sld_snap_get(): an immutable, refcounted struct that
 *   a commit replaces with one pointer swap under d->snap_lock) and copy
 *   the dataplane bookkeeping under d->dp_lock. Neither lock is held across
 *   I/O or a push, so a GET never waits for sluice-dp.
 * - Order: wlock, then snap_lock or dp_lock or stats_lock (never two of
 *   these at once), then the health checker's own lock. d->wake_lock only
 *   guards the reconciler's wake-up flag.
 */
#ifndef SLD_H
#define SLD_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include <jansson.h>

#include "health.h"
#include "state.h"
#include "store.h"

#define SLD_MAX_BODY	     (16u << 20) /* request bodies, docs/api.md */
#define SLD_RECONCILE_MS     250	 /* how often the dataplane is looked at */
#define SLD_DP_TIMEOUT_MS    1000	 /* STATUS, GET_CONFIG, STATS */
#define SLD_DP_APPLY_TIMEOUT 30000	 /* APPLY builds a generation: Maglev tables */
#define SLD_IMPORT_WHO	     "import:sluice-dp"

enum sld_role {
	SLD_ROLE_READ = 0,
	SLD_ROLE_ADMIN,
};

struct sld_token {
	char name[65];
	char secret[257];
	uint8_t role; /* enum sld_role */
};

struct sld_opts {
	const char *socket; /* Unix socket path */
	unsigned int socket_mode;
	const char *listen; /* TCP ADDR:PORT, or NULL */
	const char *tokens; /* token file, or NULL */
	const char *state_dir;
	const char *dp_socket;
	const char *dp_config; /* file kept equal to what sluice-dp runs, or NULL */
	const char *node;
	unsigned int max_checks;
	unsigned int client_timeout_s; /* idle HTTP connections are closed after this */
	unsigned int max_clients;      /* connections per listener */
	unsigned int max_clients_per_ip;
	const char *filter_pin_root; /* bpffs directory of the filter's pinned maps */
	/* Cluster operation (node.h, docs/cluster.md). */
	const char *bird_socket;      /* BIRD's control socket, or NULL: no speaker */
	const char *bird_include;     /* the file of announced prefixes BIRD includes */
	const char *maintenance_file; /* exists: node in maintenance */
	unsigned int announce_rule;   /* enum sld_announce_rule */
	const char *etcd;	      /* etcd client URL, or NULL: no shared store (etcd.h) */
	const char *etcd_key;	      /* the key holding the state document */
};

/* One --filter-iface: what sluiced last applied to its pinned filter maps. */
struct sld_fif {
	char name[16];	  /* IF_NAMESIZE */
	char *applied;	  /* the rule set in force (canonical JSON text), NULL: none yet */
	uint32_t conf_id; /* id of the "conf" map pinned by that apply */
	char error[256];  /* why the last apply failed, "" if it did not */
};

/*
 * One committed version of the state. Immutable once published: readers
 * hold a reference while they use it and never modify it (nor its JSON).
 */
struct sld_snap {
	unsigned int refs; /* atomic */
	uint64_t version;
	struct sld_state state;
};

struct sld {
	struct sld_opts opts;
	char node[256];
	time_t started;

	pthread_mutex_t wlock; /* writers: see above */

	/* The committed state: replaced under wlock + snap_lock, read via sld_snap_get(). */
	pthread_mutex_t snap_lock;
	struct sld_snap *snap;
	struct sld_store store; /* written under wlock; its files may be read by anyone */

	/* The dataplane as last seen: written under wlock + dp_lock, read under dp_lock. */
	pthread_mutex_t dp_lock;
	bool dp_up;
	uint64_t dp_gen;	 /* generation it runs, after our last push or adoption */
	uint64_t dp_uptime_s;	 /* to notice a restart that lands on the same generation */
	char *pushed;		 /* JSON of the effective config it runs (ours), or NULL */
	uint64_t pushed_version; /* state version that config came from */
	char dp_error[512];	 /* why the last push was refused, "" if none */
	char *tables;		 /* STATUS "tables" (JSON text), or NULL */
	bool pushing;		 /* an APPLY is in flight: the control socket is busy */
	uint64_t pushes;	 /* APPLYs that ended (atomic): see reconcile_once() */

	/* The last STATS reply, served instead of asking while a push is in flight. */
	pthread_mutex_t stats_lock;
	json_t *stats;
	uint64_t stats_ms; /* sld_now_ms() when it was read */

	/* The filter's interfaces: written under wlock + dp_lock, read under dp_lock. */
	struct sld_fif *fif;
	unsigned int n_fif;

	struct sld_health *health;
	struct sld_node *nstate; /* maintenance and announcements (node.h) */
	struct sld_etcd *etcd;	 /* the shared store's watcher, or NULL (etcd.h) */
	struct sld_token *tokens;
	unsigned int n_tokens;

	/* systemd's watchdog (reconciler thread only): its period, 0 when off. */
	uint64_t wd_ms;
	uint64_t wd_last_ms;

	pthread_mutex_t wake_lock;
	pthread_cond_t wake_cond;
	bool wake;
	volatile bool quit;
};

/* ---- snap.c: the published state ---- */

/* Initialise @d's locks and publish version @version of @st (taken over). 0 or -ENOMEM. */
int sld_init(struct sld *d, uint64_t version, struct sld_state *st);

/* Free what sld_init() and the daemon's life allocated (the threads are stopped). */
void sld_fini(struct sld *d);

/* A reference on the current snapshot; never NULL after sld_init(). Any thread. */
struct sld_snap *sld_snap_get(struct sld *d);

/* Drop a reference (NULL is a no-op). */
void sld_snap_put(struct sld_snap *s);

/*
 * Publish version @version of @st (taken over: @st is zeroed on success)
 * as the current snapshot. d->wlock held. @return 0 or -ENOMEM (nothing
 * changed).
 */
int sld_snap_publish(struct sld *d, uint64_t version, struct sld_state *st);

/* The current version (for ETags). Any thread. */
uint64_t sld_version(struct sld *d);

/*
 * Whether the dataplane runs the effective config of @snap now (what
 * "current" in /v1/status and sluice_dataplane_current say). Any thread.
 */
bool sld_dp_current(struct sld *d, const struct sld_snap *snap);

/* ---- dpc.c: the dataplane client and the reconciler ---- */

/*
 * One request on sluice-dp's control socket: @payload (may be NULL: {}) in,
 * the reply's JSON out (new reference). @return 0 or -errno (-ENOENT,
 * -ECONNREFUSED: not running; -ETIMEDOUT; -EPROTO), with @err filled.
 */
int sld_dp_request(const char *sock, uint16_t type, const json_t *payload, int timeout_ms,
	json_t **reply, char *err, size_t errlen);

/*
 * The effective config for @st now, as the JSON text pushed (malloc'd), and
 * optionally as a struct (@cfg may be NULL). Any thread.
 */
char *sld_effective_json(struct sld *d, const struct sld_state *st, struct sl_cfg *cfg);

/*
 * Push @text (an effective config of state version @version) to the
 * dataplane. d->wlock held. @return 1 accepted (d->pushed, d->dp_gen
 * updated), 0 the dataplane is not running, -EINVAL refused (@err says
 * why), other -errno.
 */
int sld_dp_push(struct sld *d, const char *text, uint64_t version, char *err, size_t errlen);

/*
 * The dataplane's STATS reply (new reference), or NULL when it does not
 * answer. While a push is in flight, the last reply read (if any) instead
 * of a request that would wait behind the APPLY. Any thread.
 */
json_t *sld_dp_stats(struct sld *d);

/* The reconciler loop (the main thread) until d->quit. */
void sld_reconcile_loop(struct sld *d);

/* Wake the reconciler now (health change, commit). Thread-safe, never blocks long. */
void sld_wake(void *d);

/* ---- adopt.c: what sluice-dp already runs ---- */

/*
 * At start, before the health checker: seed the health of backends that the
 * running dataplane has down, and adopt what it runs if it equals the
 * effective config (no push, forwarding undisturbed); at version 0, import
 * it instead (sld_dp_import()).
 */
void sld_dp_adopt(struct sld *d);

/*
 * While the current version is 0 (nothing ever committed), a dataplane that
 * runs a config other than the empty state's has it adopted as version 1
 * (who "import:sluice-dp"), never overwritten with the empty state.
 * @running is its GET_CONFIG reply. d->wlock held.
 * @return 1 imported (or adopted as it is), 0 nothing to import (it runs
 * the empty state), -errno when it cannot be imported (then d->dp_error
 * says why and nothing is pushed while the version stays 0).
 */
int sld_dp_import(struct sld *d, const json_t *running);

/* ---- filter_sync.c: the state's "filter" on the filter's pinned maps ---- */

/*
 * Make the pinned filter maps of every --filter-iface hold the state's
 * "filter" (none: leave them alone), applying it where it is not in force or
 * the maps were recreated since. d->wlock held. @return the number of
 * interfaces it could not apply to (their error is kept), or -ENOMEM.
 */
int sld_filter_sync(struct sld *d);

/* {"managed", "pin_root", "interfaces": [{"interface", "in_force", "error"}]}. Any thread. */
json_t *sld_filter_status(struct sld *d, const struct sld_snap *snap);

struct sl_xdp_counter;

/*
 * The filter's counters (SL_XDP_STATS_MAX of them) summed over the
 * --filter-iface interfaces whose maps could be read (api_filter.c). Any
 * thread. @return how many could.
 */
int sld_filter_counters_sum(struct sld *d, struct sl_xdp_counter *sum);

/* ---- commit.c: every state change goes through here ---- */

struct sld_write {
	const char *who;    /* "uid:0", "token:ci" */
	const char *method; /* for the audit log */
	const char *path;
	int64_t if_match; /* -1: none given */
	bool dry_run;
};

struct sld_write_result {
	uint64_t version;
	bool changed;
	bool pending;	     /* committed, the dataplane not running: pushed when it is */
	bool filter_pending; /* committed, the filter not applied everywhere yet */
	json_t *diff;	     /* new reference */
};

/*
 * Validate @doc (borrowed) as the whole new state and, unless dry_run,
 * push and commit it (docs/api.md "Versions, preconditions, idempotence").
 * d->wlock must be held. @return 0, or -errno with @e filled (428, 412,
 * 400, 409 dataplane_refused, 500).
 */
int sld_commit(struct sld *d, const struct sld_write *w, const json_t *doc,
	struct sld_write_result *res, struct sld_err *e);

/*
 * Commit @ns (validated, taken over) as the next version without pushing
 * it (the dataplane runs it already: the import). d->wlock held.
 * @return 0 or -errno (the store's; nothing changed).
 */
int sld_commit_adopted(
	struct sld *d, const struct sld_write *w, struct sld_state *ns, const char *summary);

/* ---- tokens.c ---- */

/* Load the token file (docs/api.md). @return 0 or -errno with @err filled. */
int sld_tokens_load(struct sld *d, const char *path, char *err, size_t errlen);

/*
 * Parse token lines from @buf (@len bytes, not NUL-terminated) into a
 * malloc'd array *@out of *@n tokens. @return 0 or -errno (-EINVAL with
 * "LINE: why" in @err, -E2BIG, -ENOMEM); *@out is NULL on error.
 */
int sld_tokens_parse(const char *buf, size_t len, struct sld_token **out, unsigned int *n,
	char *err, size_t errlen);

/* The token whose secret is @secret (constant time over the secrets), or NULL. */
const struct sld_token *sld_token_find(const struct sld *d, const char *secret);

/* ---- api_listen.c: the API's listeners (requests: api.c, api_*.c) ---- */

/*
 * Listen on --socket (and --listen) and serve the API there, one thread per
 * connection. @return 0 or -errno with @err filled (-EADDRINUSE: another
 * sluiced answers on the socket; -EINVAL: a bad --listen; -EIO: the HTTP
 * server did not start).
 */
int sld_api_start(struct sld *d, char *err, size_t errlen);

/* Stop serving (waits for the connections' threads) and remove the socket. */
void sld_api_stop(struct sld *d);

/* ---- metrics.c ---- */

/* The Prometheus text (malloc'd) for @snap, health and @stats (may be NULL). */
char *sld_metrics(struct sld *d, const struct sld_snap *snap, const json_t *stats);

/* ---- views shared by the API and metrics (api_view.c) ---- */

/*
 * Every VIP of @snap (or the one with @only_key) with backends annotated
 * with their health, effective state and weight, counters from @stats (may
 * be NULL), and the VIP's Maglev table digest when the dataplane reported
 * one. Any thread. NULL on allocation failure.
 */
json_t *sld_vips_view(
	struct sld *d, const struct sld_snap *snap, const json_t *stats, const char *only_key);

/* STATUS "tables" as {vipkey: digest} (new reference; empty when unknown). Any thread. */
json_t *sld_dp_tables(struct sld *d);

#endif /* SLD_H */
