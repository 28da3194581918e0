/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The sluiced daemon's context and the pieces that share it: the committed
 * state, the dataplane bookkeeping (dpc.c), writes (commit.c), the HTTP API
 * (api*.c), metrics (metrics.c), tokens (tokens.c).
 *
 * Locking: d->lock guards the state, its version, the store and the
 * dataplane bookkeeping; it is held across a push to sluice-dp so that
 * pushes and commits happen in one order. The health checker has its own
 * lock, always taken after d->lock, never before. d->wake_lock only guards
 * the reconciler's wake-up flag, so the health thread can wake it without
 * waiting for a push.
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
	/* Cluster operation (node.h, docs/cluster.md). */
	const char *bird_socket;      /* BIRD's control socket, or NULL: no speaker */
	const char *bird_include;     /* the file of announced prefixes BIRD includes */
	const char *maintenance_file; /* exists: node in maintenance */
	unsigned int announce_rule;   /* enum sld_announce_rule */
	const char *etcd;	      /* etcd client URL, or NULL: no shared store (etcd.h) */
	const char *etcd_key;	      /* the key holding the state document */
};

struct sld {
	pthread_mutex_t lock;
	struct sld_opts opts;
	char node[256];
	time_t started;

	/* The committed state (d->lock). */
	struct sld_state state;
	uint64_t version;
	struct sld_store store;

	/* The dataplane as last seen (d->lock). */
	bool dp_up;
	uint64_t dp_gen;	 /* generation it runs, after our last push or adoption */
	uint64_t dp_uptime_s;	 /* to notice a restart that lands on the same generation */
	char *pushed;		 /* JSON of the effective config it runs (ours), or NULL */
	uint64_t pushed_version; /* state version that config came from */
	char dp_error[512];	 /* why the last reconcile push was refused, "" if none */
	char *digests;		 /* JSON {vipkey: digest} from STATUS when the dataplane has it */

	struct sld_health *health;
	struct sld_node *nstate; /* maintenance and announcements (node.h) */
	struct sld_etcd *etcd;	 /* the shared store's watcher, or NULL (etcd.h) */
	struct sld_token *tokens;
	unsigned int n_tokens;

	pthread_mutex_t wake_lock;
	pthread_cond_t wake_cond;
	bool wake;
	volatile bool quit;
};

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
 * optionally as a struct (@cfg may be NULL). Call with d->lock held.
 */
char *sld_effective_json(struct sld *d, const struct sld_state *st, struct sl_cfg *cfg);

/*
 * Push @text (an effective config) to the dataplane. d->lock held.
 * @return 1 accepted (d->pushed, d->dp_gen updated), 0 the dataplane is not
 * running, -EINVAL refused (@err says why), other -errno.
 */
int sld_dp_push(struct sld *d, const char *text, uint64_t version, char *err, size_t errlen);

/*
 * At start, before the health checker: adopt what the running dataplane
 * runs if it equals the effective config (no push, forwarding undisturbed),
 * and seed the health of backends it has down.
 */
void sld_dp_adopt(struct sld *d);

/* The reconciler loop (the main thread) until d->quit. */
void sld_reconcile_loop(struct sld *d);

/* Wake the reconciler now (health change, commit). Thread-safe, never blocks long. */
void sld_wake(void *d);

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
	bool pending; /* committed, the dataplane not running: pushed when it is */
	json_t *diff; /* new reference */
};

/*
 * Validate @doc (borrowed) as the whole new state and, unless dry_run,
 * push and commit it (docs/api.md "Versions, preconditions, idempotence").
 * d->lock must be held. @return 0, or -errno with @e filled (428, 412, 400,
 * 409 dataplane_refused, 500).
 */
int sld_commit(struct sld *d, const struct sld_write *w, const json_t *doc,
	struct sld_write_result *res, struct sld_err *e);

/* ---- tokens.c ---- */

/* Load the token file (docs/api.md). @return 0 or -errno with @err filled. */
int sld_tokens_load(struct sld *d, const char *path, char *err, size_t errlen);

/* The token whose secret is @secret (constant time over the secrets), or NULL. */
const struct sld_token *sld_token_find(const struct sld *d, const char *secret);

/* ---- api.c ---- */

int sld_api_start(struct sld *d, char *err, size_t errlen);
void sld_api_stop(struct sld *d);

/* ---- metrics.c ---- */

/* The Prometheus text (malloc'd) for the current state, health and @stats (may be NULL). */
char *sld_metrics(struct sld *d, const json_t *stats);

/* ---- views shared by the API and metrics (api_view.c) ---- */

/*
 * Every VIP (or the one with @only_key) with backends annotated with their
 * health, effective state and weight, and counters from @stats (may be
 * NULL). d->lock held. NULL on allocation failure.
 */
json_t *sld_vips_view(struct sld *d, const json_t *stats, const char *only_key);

#endif /* SLD_H */
