/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The etcd watcher's transport (etcd_priv.h): etcd's documented v3 HTTP/JSON
 * gateway with libcurl, a range of the key then a watch stream of JSON
 * messages, and the base64 of its bytes fields.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "etcd_priv.h"
#include "log.h"

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

/* ---- the gateway ---- */

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

/* etcd_priv.h */
int64_t
sld_etcd_range(struct sld_etcd *e, char *err, size_t errlen)
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
	rev = sld_etcd_int(json_object_get(r, "header"), "revision");
	kvs = json_object_get(r, "kvs");
	if (json_array_size(kvs) > 0 && sld_etcd_kv(e, json_array_get(kvs, 0)) < 0) {
		snprintf(err, errlen, "revision %" PRId64 " not applied: %s",
			sld_etcd_int(json_array_get(kvs, 0), "mod_revision"), e->refused_err);
		rev = -EAGAIN;
	}
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

			if (type != NULL && strcmp(type, "DELETE") == 0) {
				sld_log(LOG_WARNING, "etcd: %s deleted: keeping version %llu",
					e->d->opts.etcd_key, (unsigned long long)sld_version(e->d));
			} else if (sld_etcd_kv(e, json_object_get(ev, "kv")) < 0) {
				/* End the watch: the range that follows reads it again. */
				json_decref(m);
				return 0;
			}
		}
		json_decref(m);
	}
	memmove(e->buf, e->buf + off, e->len - off);
	e->len -= off;
	return n;
}

void
sld_etcd_watch(struct sld_etcd *e, int64_t from, char *err, size_t errlen)
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
