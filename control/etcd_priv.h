/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What the etcd watcher (etcd.c: revisions, the thread, status) and its
 * transport (etcd_http.c: etcd's v3 JSON gateway over libcurl, base64)
 * share. Private to them.
 */
#ifndef SLD_ETCD_PRIV_H
#define SLD_ETCD_PRIV_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "etcd.h"
#include "sld.h"

#define SLD_ETCD_TIMEOUT_S   5	   /* a range */
#define SLD_ETCD_RETRY_MS    1000  /* after any failure */
#define SLD_ETCD_BACKOFF_MAX 60000 /* a revision that could not be committed: at most */
#define SLD_ETCD_MAX_MSG     (SLD_MAX_BODY * 2) /* a watch message: base64 of a body */

struct sld_etcd {
	pthread_t th;
	bool started;
	pthread_mutex_t lock; /* guards the fields below */
	bool connected;
	int64_t rev_seen;    /* the key's last mod_revision we looked at */
	int64_t rev_applied; /* the last one committed (or equal to the state) */
	int64_t rev_refused; /* the last one refused, 0 if the latest was fine */
	char refused_err[640];
	uint64_t refused_total;
	bool retry; /* the last refusal was not the revision's fault: it is read again */
	char *key_b64;
	/* The watch stream's undecoded bytes (thread only). */
	char *buf;
	size_t len;
	struct sld *d;
};

/* An int64 field of an etcd answer (the gateway writes them as strings), 0 if none. */
int64_t sld_etcd_int(const json_t *o, const char *k);

/*
 * One kv of our key (a range's or a watch event's): decode, validate and
 * commit its value like PUT /v1/state. @return 0 (applied, or refused for
 * good), or -EAGAIN when it could not be committed for a reason of this
 * node's (then the caller reads the key again, later). Watcher thread.
 */
int sld_etcd_kv(struct sld_etcd *e, const json_t *kv);

/*
 * Read the key now (its value goes through sld_etcd_kv()). @return the
 * store's revision (>= 1), or -errno with @err filled: -EAGAIN when its
 * revision could not be committed, -ECONNREFUSED when etcd did not answer,
 * -EPROTO for an answer that is not etcd's.
 */
int64_t sld_etcd_range(struct sld_etcd *e, char *err, size_t errlen);

/*
 * Watch the key from revision @from until the stream ends, fails, or a
 * revision cannot be committed (sld_etcd_kv() -EAGAIN), or d->quit. @err
 * says why it ended.
 */
void sld_etcd_watch(struct sld_etcd *e, int64_t from, char *err, size_t errlen);

#endif /* SLD_ETCD_PRIV_H */
