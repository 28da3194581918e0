/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Node-local operation of sluiced in a cluster (docs/cluster.md): whether
 * this node is in maintenance, which VIP prefixes it announces, and the BGP
 * speaker that announces them (bird.c). None of it is part of the shared
 * state document: every node of a cluster runs the same state, and each
 * decides for itself whether it should receive traffic.
 *
 * The rule, evaluated by the reconciler after every pass (so within one
 * reconcile period, 250 ms, of a health transition, a commit or the
 * dataplane going away): a VIP prefix (its address as a /32 or /128) is
 * announced iff
 *   - the node is not in maintenance (PUT /v1/node, or the maintenance file
 *     exists),
 *   - sluice-dp answers and runs the effective config of the current state
 *     version (its last push was accepted),
 *   - and the VIPs on that address have at least min_healthy of their
 *     enabled backends healthy: every one of them (rule "all", the default)
 *     or at least one (rule "any").
 */
#ifndef SLD_NODE_H
#define SLD_NODE_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

struct sld;

enum sld_announce_rule {
	SLD_ANNOUNCE_ALL = 0,
	SLD_ANNOUNCE_ANY,
};

/* The node's own bookkeeping (d->node). Lock order: d->lock, then this lock. */
struct sld_node {
	pthread_mutex_t lock;
	bool maint_api;		 /* PUT /v1/node, persisted in STATE_DIR/node.json */
	bool maint_file;	 /* the maintenance file existed at the last pass */
	struct sld_prefix *last; /* the last decision */
	unsigned int n_last;
	char *applied;	      /* the set the speaker last accepted; NULL: none yet */
	bool speaker_ok;      /* the speaker accepted the current set */
	char error[512];      /* why it did not, "" if it did */
	uint64_t changes;     /* sets the speaker accepted since start */
	char changed_at[32];  /* when the last one was */
	uint64_t last_try_ms; /* monotonic: last attempt, for the retry pace */
};

/* One announcement decision for one prefix. */
struct sld_prefix {
	char prefix[64]; /* "10.0.0.1/32", "2001:db8::1/128" */
	uint8_t family;	 /* 4 or 6 */
	bool announce;
	json_t *reasons; /* array of strings: why it is withdrawn (owned) */
};

/*
 * Load the node's persisted settings (STATE_DIR/node.json: maintenance) and
 * make sure the BGP speaker's include file exists (an empty announcement
 * when it does not, so that the speaker can start before sluiced). Call
 * once after the state is loaded. @return 0 or -errno with @err filled.
 */
int sld_node_init(struct sld *d, char *err, size_t errlen);

/* Free what sld_node_init() allocated; NULL-safe on a daemon never inited. */
void sld_node_fini(struct sld *d);

/*
 * One pass: recompute the decision and, when the announced set changed (or
 * the speaker refused or was unreachable last time, at most once a second),
 * hand it to the speaker. Called from the reconciler's thread only; takes
 * d->lock for the decision, never across the speaker's I/O.
 */
void sld_node_tick(struct sld *d);

/*
 * Decide for @d's committed state (d->lock held): fills *@out with a
 * malloc'd array of *@n prefixes, sorted by family then address. @maint
 * is the maintenance flag to apply. @return 0 or -ENOMEM.
 */
int sld_node_decide(struct sld *d, bool maint, struct sld_prefix **out, unsigned int *n);

/* Free an array from sld_node_decide(). */
void sld_prefixes_free(struct sld_prefix *p, unsigned int n);

/* GET/PUT/PATCH /v1/node, in api_node.c. */
struct sld_req;
struct sld_resp;
void sld_api_node(struct sld_req *r, char **seg, int n, struct sld_resp *o);

/* Persist the API's maintenance flag (STATE_DIR/node.json, atomically). @return 0 or -errno. */
int sld_node_save(struct sld *d, bool maint);

/* "all" or "any". */
const char *sld_announce_rule_name(unsigned int rule);

/* The node's metric families (Prometheus text, malloc'd), or NULL on ENOMEM. */
char *sld_node_metrics(struct sld *d);

#endif /* SLD_NODE_H */
