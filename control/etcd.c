/* SPDX-License-Identifier: BSD-3-Clause */
/* The etcd watcher (etcd.h): range, then watch, over etcd's v3 JSON gateway. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>

#include "etcd.h"
#include "health.h"
#include "log.h"
#include "sld.h"

#define SLD_ETCD_TIMEOUT_S 5		      /* a range */
#define SLD_ETCD_RETRY_MS  1000		      /* after any failure */
#define SLD_ETCD_MAX_MSG   (SLD_MAX_BODY * 2) /* a watch message: base64 of a body */

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
	char *key_b64;
	/* The watch stream's undecoded bytes (thread only). */
	char *buf;
	size_t len;
	struct sld *d;
};

/* ---- base64 (RFC 4648, standard alphabet, padded): etcd's bytes fields ---- */

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

char *
sld_b64_encode(const unsigned char *in, size_t len)
{
	char *out = malloc((len + 2) / 3 * 4 + 1), *o = out;

	if (out == NULL)
		return NULL;
	for (size_t i = 0; i < len; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16;

		if (i + 1 < len)
			v |= (uint32_t)in[i + 1] << 8;
		if (i + 2 < len)
			v |= in[i + 2];
		*o++ = b64[v >> 18 & 63];
		*o++ = b64[v >> 12 & 63];
		*o++ = i + 1 < len ? b64[v >> 6 & 63] : '=';
		*o++ = i + 2 < len ? b64[v & 63] : '=';
	}
	*o = '\0';
	return out;
}

char *
sld_b64_decode(const char *in, size_t len, size_t *out_len)
{
	char *out, *o;

	if (len % 4 != 0)
		return NULL;
	out = malloc(len / 4 * 3 + 1);
	if (out == NULL)
		return NULL;
	o = out;
	for (size_t i = 0; i < len; i += 4) {
		uint32_t v = 0;
		int pad = 0;

		for (int k = 0; k < 4; k++) {
			const char *p = in[i + k] ? strchr(b64, in[i + k]) : NULL;

			if (in[i + k] == '=' && i + 4 == len && k >= 2) {
				pad++;
				v <<= 6;
				continue;
			}
			if (p == NULL || pad > 0) {
				free(out);
				return NULL;
			}
			v = v << 6 | (uint32_t)(p - b64);
		}
		*o++ = (char)(v >> 16);
		if (pad < 2)
			*o++ = (char)(v >> 8 & 0xff);
		if (pad < 1)
			*o++ = (char)(v & 0xff);
	}
	*o = '\0';
	*out_len = (size_t)(o - out);
	return out;
}

/* ---- applying one revision ---- */

static int64_t
int_field(const json_t *o, const char *k)
{
	const json_t *v = json_object_get(o, k);

	/* The gateway writes int64 fields as strings. */
	if (json_is_string(v))
		return strtoll(json_string_value(v), NULL, 10);
	return json_is_integer(v) ? (int64_t)json_integer_value(v) : 0;
}

static void
refuse(struct sld_etcd *e, int64_t rev, const char *fmt, const char *a, const char *b)
{
	pthread_mutex_lock(&e->lock);
	e->rev_refused = rev;
	snprintf(e->refused_err, sizeof(e->refused_err), fmt, a, b);
	e->refused_total++;
	sld_log(LOG_ERR, "etcd revision %" PRId64 " refused, keeping version %llu: %s", rev,
		(unsigned long long)e->d->version, e->refused_err);
	pthread_mutex_unlock(&e->lock);
}

/* One kv of our key: decode, validate and commit its value like PUT /v1/state. */
static void
handle_kv(struct sld_etcd *e, const json_t *kv)
{
	struct sld *d = e->d;
	int64_t rev = int_field(kv, "mod_revision");
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
		return;
	}
	e->rev_seen = rev;
	pthread_mutex_unlock(&e->lock);
	text = sld_b64_decode(v64 ? v64 : "", v64 ? strlen(v64) : 0, &n);
	if (text == NULL) {
		refuse(e, rev, "%s%s", "the value is not base64 (etcd gateway reply)", "");
		return;
	}
	doc = json_loadb(text, n, JSON_REJECT_DUPLICATES, &je);
	free(text);
	if (doc == NULL || !json_is_object(doc)) {
		refuse(e, rev, "bad_json: %s%s", doc ? "not a JSON object" : je.text, "");
		json_decref(doc);
		return;
	}
	snprintf(who, sizeof(who), "etcd:%" PRId64, rev);
	pthread_mutex_lock(&d->lock);
	{
		/* Based on whatever is current: the store is the source of the state. */
		struct sld_write w = {.who = who,
			.method = "ETCD",
			.path = d->opts.etcd_key,
			.if_match = (int64_t)d->version};

		rc = sld_commit(d, &w, doc, &res, &er);
	}
	pthread_mutex_unlock(&d->lock);
	json_decref(doc);
	if (rc < 0) {
		refuse(e, rev, "%s: %s", er.field[0] ? er.field : er.code, er.message);
		return;
	}
	json_decref(res.diff);
	pthread_mutex_lock(&e->lock);
	e->rev_applied = rev;
	e->rev_refused = 0;
	e->refused_err[0] = '\0';
	pthread_mutex_unlock(&e->lock);
	if (res.changed)
		sld_log(LOG_INFO, "etcd revision %" PRId64 " applied as version %llu", rev,
			(unsigned long long)res.version);
}

/* ---- HTTP ---- */

struct body {
	char *s;
	size_t len;
};

static size_t
collect(char *p, size_t sz, size_t nm, void *arg)
{
	struct body *b = arg;
	size_t n = sz * nm;
	char *nb;

	if (b->len + n > SLD_ETCD_MAX_MSG)
		return 0;
	nb = realloc(b->s, b->len + n + 1);
	if (nb == NULL)
		return 0;
	memcpy(nb + b->len, p, n);
	b->s = nb;
	b->len += n;
	b->s[b->len] = '\0';
	return n;
}

static int
stop_requested(void *arg, curl_off_t a, curl_off_t b, curl_off_t c, curl_off_t e)
{
	struct sld *d = arg;

	(void)a, (void)b, (void)c, (void)e;
	return d->quit ? 1 : 0;
}

static CURL *
request(struct sld *d, const char *path, const char *body, struct curl_slist **hdrs, char *url,
	size_t urllen)
{
	CURL *c = curl_easy_init();

	if (c == NULL)
		return NULL;
	snprintf(url, urllen, "%s%s", d->opts.etcd, path);
	*hdrs = curl_slist_append(NULL, "Content-Type: application/json");
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, *hdrs);
	curl_easy_setopt(c, CURLOPT_COPYPOSTFIELDS, body);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, (long)SLD_ETCD_TIMEOUT_S);
	curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, stop_requested);
	curl_easy_setopt(c, CURLOPT_XFERINFODATA, d);
	return c;
}

/* Read the key now. @return the store's revision (>= 1) or -errno. */
static int64_t
range(struct sld_etcd *e, char *err, size_t errlen)
{
	struct body b = {0};
	struct curl_slist *hdrs = NULL;
	char url[512], req[512];
	json_error_t je;
	json_t *r = NULL, *kvs;
	int64_t rev = -EPROTO;
	CURL *c;
	CURLcode cc;
	long status = 0;

	snprintf(req, sizeof(req), "{\"key\":\"%s\"}", e->key_b64);
	c = request(e->d, "/v3/kv/range", req, &hdrs, url, sizeof(url));
	if (c == NULL)
		return -ENOMEM;
	curl_easy_setopt(c, CURLOPT_TIMEOUT, (long)SLD_ETCD_TIMEOUT_S);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
	cc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	if (cc != CURLE_OK) {
		snprintf(err, errlen, "%s: %s", url, curl_easy_strerror(cc));
		rev = -ECONNREFUSED;
		goto out;
	}
	r = b.s ? json_loadb(b.s, b.len, 0, &je) : NULL;
	if (status != 200 || r == NULL || json_object_get(r, "header") == NULL) {
		snprintf(err, errlen, "%s: HTTP %ld: %.200s", url, status, b.s ? b.s : "");
		goto out;
	}
	rev = int_field(json_object_get(r, "header"), "revision");
	kvs = json_object_get(r, "kvs");
	if (json_array_size(kvs) > 0)
		handle_kv(e, json_array_get(kvs, 0));
out:
	json_decref(r);
	free(b.s);
	curl_slist_free_all(hdrs);
	curl_easy_cleanup(c);
	return rev;
}

/* The watch stream: one JSON message after another; decode the complete ones. */
static size_t
on_stream(char *p, size_t sz, size_t nm, void *arg)
{
	struct sld_etcd *e = arg;
	size_t n = sz * nm, off = 0;
	char *nb;

	if (e->len + n > SLD_ETCD_MAX_MSG)
		return 0; /* abort: a message larger than any state we would take */
	nb = realloc(e->buf, e->len + n + 1);
	if (nb == NULL)
		return 0;
	e->buf = nb;
	memcpy(e->buf + e->len, p, n);
	e->len += n;
	e->buf[e->len] = '\0';
	for (;;) {
		json_error_t je;
		json_t *m, *res, *evs;

		off += strspn(e->buf + off, " \t\r\n");
		if (off == e->len)
			break;
		m = json_loadb(e->buf + off, e->len - off, JSON_DISABLE_EOF_CHECK, &je);
		if (m == NULL) {
			if (je.position >= (int)(e->len - off))
				break; /* incomplete: wait for more */
			sld_log(LOG_WARNING, "etcd watch: undecodable message: %s", je.text);
			return 0;
		}
		off += (size_t)je.position;
		res = json_object_get(m, "result");
		if (res == NULL || json_is_true(json_object_get(res, "canceled"))) {
			sld_log(LOG_WARNING, "etcd watch ended by the server: %.200s",
				json_string_value(
					json_object_get(json_object_get(m, "error"), "message"))
					?: "canceled");
			json_decref(m);
			return 0;
		}
		pthread_mutex_lock(&e->lock);
		e->connected = true;
		pthread_mutex_unlock(&e->lock);
		evs = json_object_get(res, "events");
		for (size_t i = 0; i < json_array_size(evs); i++) {
			const json_t *ev = json_array_get(evs, i);
			const char *type = json_string_value(json_object_get(ev, "type"));

			if (type != NULL && strcmp(type, "DELETE") == 0)
				sld_log(LOG_WARNING, "etcd: %s deleted: keeping version %llu",
					e->d->opts.etcd_key, (unsigned long long)e->d->version);
			else
				handle_kv(e, json_object_get(ev, "kv"));
		}
		json_decref(m);
	}
	memmove(e->buf, e->buf + off, e->len - off);
	e->len -= off;
	return n;
}

static void
watch(struct sld_etcd *e, int64_t from, char *err, size_t errlen)
{
	struct curl_slist *hdrs = NULL;
	char url[512], req[600];
	CURLcode cc;
	CURL *c;

	snprintf(req, sizeof(req),
		"{\"create_request\":{\"key\":\"%s\",\"start_revision\":\"%" PRId64 "\"}}",
		e->key_b64, from);
	c = request(e->d, "/v3/watch", req, &hdrs, url, sizeof(url));
	if (c == NULL)
		return;
	e->len = 0;
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_stream);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, e);
	/* No overall timeout: the stream lasts; a dead peer is noticed by keepalive. */
	curl_easy_setopt(c, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(c, CURLOPT_TCP_KEEPIDLE, 5L);
	curl_easy_setopt(c, CURLOPT_TCP_KEEPINTVL, 2L);
	cc = curl_easy_perform(c);
	if (cc != CURLE_OK)
		snprintf(err, errlen, "%s: %s", url, curl_easy_strerror(cc));
	else
		snprintf(err, errlen, "%s: the watch stream ended", url);
	curl_slist_free_all(hdrs);
	curl_easy_cleanup(c);
}

static void *
run(void *arg)
{
	struct sld_etcd *e = arg;
	struct sld *d = e->d;
	char err[512], last[512] = "";

	while (!d->quit) {
		int64_t rev = range(e, err, sizeof(err));

		if (rev > 0) {
			if (last[0] != '\0')
				sld_log(LOG_INFO, "etcd %s: reachable again", d->opts.etcd);
			last[0] = '\0';
			pthread_mutex_lock(&e->lock);
			e->connected = true;
			pthread_mutex_unlock(&e->lock);
			watch(e, rev + 1, err, sizeof(err));
		}
		pthread_mutex_lock(&e->lock);
		e->connected = false;
		pthread_mutex_unlock(&e->lock);
		if (d->quit)
			break;
		if (strcmp(err, last) != 0)
			sld_log(LOG_WARNING, "etcd: %s (retrying every %d ms)", err,
				SLD_ETCD_RETRY_MS);
		snprintf(last, sizeof(last), "%s", err);
		for (int i = 0; i < SLD_ETCD_RETRY_MS / 50 && !d->quit; i++)
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
			e->rev_refused
				? json_pack("{s:I, s:s}", "revision", (json_int_t)e->rev_refused,
					  "error", e->refused_err)
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
