/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The etcd watcher (etcd.h): each revision of the key through the commit
 * path, the thread that reads then watches the key again after any
 * failure, and what /v1/node and /metrics say of it. The transport is in
 * etcd_http.c.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>

#include "etcd_priv.h"
#include "health.h"
#include "log.h"

/* ---- applying one revision ---- */

int64_t
sld_etcd_int(const json_t *o, const char *k)
{
	const json_t *v = json_object_get(o, k);

	/* The gateway writes int64 fields as strings. */
	if (json_is_string(v))
		return strtoll(json_string_value(v), NULL, 10);
	return json_is_integer(v) ? (int64_t)json_integer_value(v) : 0;
}

/*
 * Record that revision @rev was not applied. @retry: not the revision's
 * fault (the state directory failed, the dataplane did not answer): it is
 * not marked seen, so the next range reads it again. Logged and counted
 * once per revision.
 */
static void
refuse(struct sld_etcd *e, int64_t rev, bool retry, const char *fmt, const char *a, const char *b)
{
	char why[sizeof(e->refused_err)];

	snprintf(why, sizeof(why), fmt, a, b);
	pthread_mutex_lock(&e->lock);
	if (rev != e->rev_refused || strcmp(why, e->refused_err) != 0)
		sld_log(LOG_ERR, "etcd revision %" PRId64 " %s, keeping version %llu: %s", rev,
			retry ? "not applied (read again later)" : "refused",
			(unsigned long long)sld_version(e->d), why);
	if (rev != e->rev_refused)
		e->refused_total++;
	e->rev_refused = rev;
	e->retry = retry;
	snprintf(e->refused_err, sizeof(e->refused_err), "%s", why);
	if (retry && e->rev_seen == rev)
		e->rev_seen = rev - 1;
	pthread_mutex_unlock(&e->lock);
}

/* etcd_priv.h */
int
sld_etcd_kv(struct sld_etcd *e, const json_t *kv)
{
	struct sld *d = e->d;
	int64_t rev = sld_etcd_int(kv, "mod_revision");
	const char *v64 = json_string_value(json_object_get(kv, "value"));
	struct sld_write_result res;
	struct sld_err er;
	json_error_t je;
	size_t n = 0;
	char who[64], *text;
	json_t *doc;
	int rc;

	pthread_mutex_lock(&e->lock);
	if (rev <= e->rev_seen) { /* seen already (a range after a reconnect) */
		pthread_mutex_unlock(&e->lock);
		return 0;
	}
	e->rev_seen = rev;
	pthread_mutex_unlock(&e->lock);
	text = sld_b64_decode(v64 ? v64 : "", v64 ? strlen(v64) : 0, &n);
	if (text == NULL) {
		refuse(e, rev, false, "%s%s", "the value is not base64 (etcd gateway reply)", "");
		return 0;
	}
	doc = json_loadb(text, n, JSON_REJECT_DUPLICATES, &je);
	free(text);
	if (doc == NULL || !json_is_object(doc)) {
		refuse(e, rev, false, "bad_json: %s%s", doc ? "not a JSON object" : je.text, "");
		json_decref(doc);
		return 0;
	}
	snprintf(who, sizeof(who), "etcd:%" PRId64, rev);
	pthread_mutex_lock(&d->wlock);
	{
		/* Based on whatever is current: the store is the source of the state. */
		struct sld_write w = {.who = who,
			.method = "ETCD",
			.path = d->opts.etcd_key,
			.if_match = (int64_t)d->snap->version};

		rc = sld_commit(d, &w, doc, &res, &er);
	}
	pthread_mutex_unlock(&d->wlock);
	json_decref(doc);
	if (rc < 0) {
		/* 500: the state directory, the dataplane's silence, memory. Not
		 * the revision's fault: skipping it would leave this node apart
		 * from the others until the next revision. */
		refuse(e, rev, er.status == 500, "%s: %s", er.field[0] ? er.field : er.code,
			er.message);
		return er.status == 500 ? -EAGAIN : 0;
	}
	json_decref(res.diff);
	pthread_mutex_lock(&e->lock);
	e->rev_applied = rev;
	e->rev_refused = 0;
	e->retry = false;
	e->refused_err[0] = '\0';
	pthread_mutex_unlock(&e->lock);
	if (res.changed)
		sld_log(LOG_INFO, "etcd revision %" PRId64 " applied as version %llu", rev,
			(unsigned long long)res.version);
	return 0;
}

static void *
run(void *arg)
{
	struct sld_etcd *e = arg;
	struct sld *d = e->d;
	char err[512], last[512] = "";
	int wait_ms, backoff = SLD_ETCD_RETRY_MS;

	while (!d->quit) {
		int64_t rev = sld_etcd_range(e, err, sizeof(err));
		bool retry;

		if (rev > 0) {
			if (last[0] != '\0')
				sld_log(LOG_INFO, "etcd %s: reachable again", d->opts.etcd);
			last[0] = '\0';
			pthread_mutex_lock(&e->lock);
			e->connected = true;
			pthread_mutex_unlock(&e->lock);
			sld_etcd_watch(e, rev + 1, err, sizeof(err));
		}
		pthread_mutex_lock(&e->lock);
		e->connected = false;
		retry = e->retry;
		pthread_mutex_unlock(&e->lock);
		if (d->quit)
			break;
		/*
		 * A revision this node could not commit is read again, backing
		 * off (each attempt may push it to the dataplane and take it back
		 * when the state directory refuses it); a lost connection is
		 * retried every second.
		 */
		wait_ms = retry ? backoff : SLD_ETCD_RETRY_MS;
		backoff = !retry			       ? SLD_ETCD_RETRY_MS
			  : backoff * 2 > SLD_ETCD_BACKOFF_MAX ? SLD_ETCD_BACKOFF_MAX
							       : backoff * 2;
		if (!retry && strcmp(err, last) != 0)
			sld_log(LOG_WARNING, "etcd: %s (retrying every %d ms)", err,
				SLD_ETCD_RETRY_MS);
		if (!retry)
			snprintf(last, sizeof(last), "%s", err);
		for (int i = 0; i < wait_ms / 50 && !d->quit; i++)
			usleep(50 * 1000);
	}
	return NULL;
}

int
sld_etcd_start(struct sld *d, char *err, size_t errlen)
{
	struct sld_etcd *e;

	if (d->opts.etcd == NULL)
		return 0;
	if (strncmp(d->opts.etcd, "http://", 7) != 0 && strncmp(d->opts.etcd, "https://", 8)) {
		snprintf(err, errlen, "--etcd %s: an http:// or https:// URL", d->opts.etcd);
		return -EINVAL;
	}
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0) {
		snprintf(err, errlen, "libcurl did not initialise");
		return -ENOMEM;
	}
	e = calloc(1, sizeof(*e));
	if (e == NULL)
		goto oom;
	pthread_mutex_init(&e->lock, NULL);
	e->d = d;
	e->key_b64 =
		sld_b64_encode((const unsigned char *)d->opts.etcd_key, strlen(d->opts.etcd_key));
	if (e->key_b64 == NULL)
		goto oom;
	d->etcd = e;
	if (pthread_create(&e->th, NULL, run, e) != 0) {
		snprintf(err, errlen, "etcd watcher: cannot start its thread");
		sld_etcd_stop(d);
		return -EAGAIN;
	}
	e->started = true;
	return 0;
oom:
	if (e != NULL)
		free(e);
	d->etcd = NULL;
	snprintf(err, errlen, "out of memory");
	return -ENOMEM;
}

void
sld_etcd_stop(struct sld *d)
{
	struct sld_etcd *e = d->etcd;

	if (e == NULL)
		return;
	if (e->started) {
		d->quit = true; /* the transfer's progress callback sees it within a second */
		pthread_join(e->th, NULL);
	}
	free(e->key_b64);
	free(e->buf);
	pthread_mutex_destroy(&e->lock);
	free(e);
	d->etcd = NULL;
	curl_global_cleanup();
}

json_t *
sld_etcd_json(struct sld *d)
{
	struct sld_etcd *e = d->etcd;
	json_t *j;

	if (e == NULL)
		return NULL;
	pthread_mutex_lock(&e->lock);
	j = json_pack("{s:s, s:s, s:b, s:I, s:I, s:I}", "url", d->opts.etcd, "key",
		d->opts.etcd_key, "connected", e->connected, "revision_seen",
		(json_int_t)e->rev_seen, "revision_applied", (json_int_t)e->rev_applied,
		"refused_total", (json_int_t)e->refused_total);
	if (j != NULL)
		json_object_set_new(j, "refused",
			e->rev_refused ? json_pack("{s:I, s:s, s:b}", "revision",
						 (json_int_t)e->rev_refused, "error",
						 e->refused_err, "retrying", e->retry)
				       : json_null());
	pthread_mutex_unlock(&e->lock);
	return j;
}

char *
sld_etcd_metrics(struct sld *d)
{
	struct sld_etcd *e = d->etcd;
	char *s = NULL;

	if (e == NULL)
		return strdup("");
	pthread_mutex_lock(&e->lock);
	if (asprintf(&s,
		    "# HELP sluice_store_connected 1 while the etcd watch is established.\n"
		    "# TYPE sluice_store_connected gauge\n"
		    "sluice_store_connected %d\n"
		    "# HELP sluice_store_revision_seen Last revision of the state key looked at.\n"
		    "# TYPE sluice_store_revision_seen gauge\n"
		    "sluice_store_revision_seen %" PRId64 "\n"
		    "# HELP sluice_store_revision_applied Last revision of the state key applied.\n"
		    "# TYPE sluice_store_revision_applied gauge\n"
		    "sluice_store_revision_applied %" PRId64 "\n"
		    "# HELP sluice_store_refused 1 when the latest revision was refused (the "
		    "node keeps its state).\n"
		    "# TYPE sluice_store_refused gauge\n"
		    "sluice_store_refused %d\n"
		    "# HELP sluice_store_refused_total Revisions refused.\n"
		    "# TYPE sluice_store_refused_total counter\n"
		    "sluice_store_refused_total %llu\n",
		    e->connected, e->rev_seen, e->rev_applied, e->rev_refused != 0,
		    (unsigned long long)e->refused_total) < 0)
		s = NULL;
	pthread_mutex_unlock(&e->lock);
	return s;
}
