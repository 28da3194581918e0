/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Handlers that read or change the state: /v1/state, /v1/vips/...,
 * /v1/history, /v1/rollback. Every change builds a whole new document from
 * the current one and goes through sld_commit(), so a change of one backend
 * is validated, pushed, versioned and audited exactly like a whole apply.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "log.h"

json_t *
sld_write_answer(const struct sld_write_result *res, bool with_diff)
{
	json_t *j = json_pack(
		"{s:I, s:b}", "version", (json_int_t)res->version, "changed", res->changed);

	if (j != NULL && res->pending)
		json_object_set_new(j, "pending", json_true());
	if (j != NULL && with_diff)
		json_object_set(j, "diff", res->diff ? res->diff : json_array());
	return j;
}

static void
method_not_allowed(struct sld_req *r, struct sld_resp *o, const char *allow)
{
	o->allow = allow;
	sld_resp_fail(
		o, 405, "method_not_allowed", "", "%s is not allowed here (%s)", r->method, allow);
}

/* Read If-Match and fill @w. @return false with @o answered when malformed. */
static bool
prepare_write(struct sld_req *r, struct sld_resp *o, struct sld_write *w)
{
	struct sld_err e;
	const char *dry = sld_req_arg(r, "dry_run");

	memset(w, 0, sizeof(*w));
	w->who = r->who;
	w->method = r->method;
	w->path = r->path;
	w->dry_run = dry != NULL && (strcmp(dry, "1") == 0 || strcmp(dry, "true") == 0);
	w->if_match = sld_req_if_match(r, &e);
	if (w->if_match == -2) {
		sld_resp_err(o, &e);
		return false;
	}
	return true;
}

/* Preconditions before a 404 or a body check: 428, 412. d->lock held. */
static bool
precondition(struct sld_req *r, struct sld_resp *o, const struct sld_write *w)
{
	if (w->dry_run)
		return true;
	if (w->if_match < 0) {
		sld_resp_fail(o, 428, "version_required", "If-Match",
			"a write must say which version it is based on: If-Match: \"%llu\"",
			(unsigned long long)r->d->version);
		return false;
	}
	if ((uint64_t)w->if_match != r->d->version) {
		sld_resp_fail(o, 412, "version_mismatch", "If-Match",
			"based on version %lld, but the current version is %llu: re-read and "
			"decide again",
			(long long)w->if_match, (unsigned long long)r->d->version);
		json_object_set_new(json_object_get(o->json, "error"), "current_version",
			json_integer((json_int_t)r->d->version));
		return false;
	}
	return true;
}

/* Commit @doc and answer; @extra (stolen, may be NULL) is added to the answer. */
static void
commit_and_answer(struct sld_req *r, struct sld_resp *o, const struct sld_write *w,
	const json_t *doc, int created_status, const char *extra_key,
	json_t *(*extra)(struct sld *, const char *), const char *extra_arg)
{
	struct sld_write_result res;
	struct sld_err e;
	json_t *a;

	if (sld_commit(r->d, w, doc, &res, &e) < 0) {
		sld_resp_err(o, &e);
		if (e.status == 412)
			json_object_set_new(json_object_get(o->json, "error"), "current_version",
				json_integer((json_int_t)r->d->version));
		return;
	}
	a = sld_write_answer(&res, w->dry_run);
	if (a != NULL && extra != NULL && !w->dry_run)
		json_object_set_new(a, extra_key, extra(r->d, extra_arg));
	sld_resp_json(o, res.changed && !w->dry_run ? created_status : 200, a);
	o->etag = (int64_t)r->d->version;
	json_decref(res.diff);
}

/* ---- /v1/state ---- */

void
sld_api_state(struct sld_req *r, char **seg, int n, struct sld_resp *o)
{
	struct sld_write w;
	struct sld_err e;
	json_t *body;

	(void)seg;
	if (n != 0) {
		sld_resp_fail(o, 404, "not_found", "", "no such resource");
		return;
	}
	if (strcmp(r->method, "GET") == 0) {
		pthread_mutex_lock(&r->d->lock);
		sld_resp_json(o, 200,
			json_pack("{s:I, s:O}", "version", (json_int_t)r->d->version, "state",
				r->d->state.doc));
		o->etag = (int64_t)r->d->version;
		pthread_mutex_unlock(&r->d->lock);
		return;
	}
	if (strcmp(r->method, "PUT") != 0) {
		method_not_allowed(r, o, "GET, PUT");
		return;
	}
	if (!prepare_write(r, o, &w))
		return;
	pthread_mutex_lock(&r->d->lock);
	if (precondition(r, o, &w)) {
		if (sld_req_json(r, &body, &e) < 0) {
			sld_resp_err(o, &e);
		} else {
			commit_and_answer(r, o, &w, body, 200, NULL, NULL, NULL);
			json_decref(body);
		}
	}
	pthread_mutex_unlock(&r->d->lock);
}

/* ---- /v1/vips ---- */

static json_t *
vip_of(struct sld *d, const char *key)
{
	int i = sld_state_find_vip(&d->state, key);

	return i < 0 ? json_null()
		     : json_deep_copy(
			       json_array_get(json_object_get(d->state.doc, "vips"), (size_t)i));
}

/* Index of backend @addr in VIP object @vip, or -1. */
static int
find_backend(const json_t *vip, const char *addr)
{
	const json_t *bes = json_object_get(vip, "backends");

	for (size_t j = 0; j < json_array_size(bes); j++) {
		const char *a =
			json_string_value(json_object_get(json_array_get(bes, j), "address"));

		if (a != NULL && strcmp(a, addr) == 0)
			return (int)j;
	}
	return -1;
}

/* "vip/backend" key argument for backend_of(). */
static json_t *
backend_of(struct sld *d, const char *arg)
{
	char key[SLD_KEY_LEN];
	const char *bar = strchr(arg, '|');
	json_t *vip;
	int j;

	snprintf(key, sizeof(key), "%.*s", (int)(bar - arg), arg);
	vip = vip_of(d, key);
	j = find_backend(vip, bar + 1);
	json_t *be =
		j < 0 ? json_null()
		      : json_deep_copy(json_array_get(json_object_get(vip, "backends"), (size_t)j));
	json_decref(vip);
	return be;
}

/* RFC 7386 JSON merge patch of @target (modified) by @patch. */
static int
merge_patch(json_t *target, const json_t *patch)
{
	const char *k;
	json_t *v;

	json_object_foreach((json_t *)patch, k, v)
	{
		json_t *cur = json_object_get(target, k);

		if (json_is_null(v)) {
			json_object_del(target, k);
		} else if (json_is_object(v)) {
			if (!json_is_object(cur)) {
				cur = json_object();
				if (cur == NULL || json_object_set_new(target, k, cur) < 0)
					return -ENOMEM;
			}
			if (merge_patch(cur, v) < 0)
				return -ENOMEM;
		} else if (json_object_set(target, k, v) < 0) {
			return -ENOMEM;
		}
	}
	return 0;
}

/* Identity keys in a body must match the path. */
static bool
identity_matches(struct sld_resp *o, const json_t *body, const char *const *keys,
	const json_t *ident, const char *path)
{
	for (size_t i = 0; keys[i] != NULL; i++) {
		const json_t *v = json_object_get(body, keys[i]),
			     *want = json_object_get(ident, keys[i]);
		char field[SLD_FIELD_LEN], canon[64];

		if (v == NULL || json_is_null(v))
			continue;
		snprintf(field, sizeof(field), "%s.%s", path, keys[i]);
		if (json_is_string(v) && strcmp(keys[i], "address") == 0 &&
			sld_addr_canon(json_string_value(v), canon, sizeof(canon)) == 0 &&
			strcmp(canon, json_string_value(want)) == 0)
			continue;
		if (!json_equal((json_t *)v, (json_t *)want)) {
			sld_resp_fail(o, 400, "invalid_field", field,
				"does not match the path (an identity cannot change: create the "
				"new "
				"one and delete the old)");
			return false;
		}
	}
	return true;
}

/* A type change in a health-check patch drops the settings of the old type. */
static void
hc_type_change(json_t *hc, const json_t *patch_hc)
{
	static const char *const owned[] = {"path", "host", "expect_status", "command"};
	const char *t = json_string_value(json_object_get(patch_hc, "type"));

	if (t == NULL || json_equal(json_object_get(hc, "type"), json_object_get(patch_hc, "type")))
		return;
	for (size_t i = 0; i < sizeof(owned) / sizeof(owned[0]); i++)
		if (json_object_get(patch_hc, owned[i]) == NULL)
			json_object_del(hc, owned[i]);
}

static void
vip_write(struct sld_req *r, struct sld_resp *o, const char *key, json_t *ident)
{
	static const char *const ident_keys[] = {"address", "protocol", "port", NULL};
	struct sld *d = r->d;
	json_t *body = NULL, *doc = NULL, *vips, *vip = NULL;
	char path[SLD_FIELD_LEN];
	struct sld_write w;
	struct sld_err e;
	int i;

	snprintf(path, sizeof(path), "vips[%s]", key);
	if (!prepare_write(r, o, &w))
		return;
	pthread_mutex_lock(&d->lock);
	if (!precondition(r, o, &w))
		goto out;
	i = sld_state_find_vip(&d->state, key);
	if (i < 0 && strcmp(r->method, "PUT") != 0) {
		sld_resp_fail(o, 404, "not_found", path, "no such VIP");
		goto out;
	}
	doc = json_deep_copy(d->state.doc);
	vips = json_object_get(doc, "vips");
	if (strcmp(r->method, "DELETE") == 0) {
		json_array_remove(vips, (size_t)i);
		commit_and_answer(r, o, &w, doc, 200, NULL, NULL, NULL);
		goto out;
	}
	if (sld_req_json(r, &body, &e) < 0) {
		sld_resp_err(o, &e);
		goto out;
	}
	if (!identity_matches(o, body, ident_keys, ident, path))
		goto out;
	if (strcmp(r->method, "PUT") == 0) {
		vip = json_deep_copy(body);
		if (i >= 0 && json_object_get(body, "backends") == NULL)
			json_object_set(vip, "backends",
				json_object_get(json_array_get(vips, (size_t)i), "backends"));
	} else {
		vip = json_deep_copy(json_array_get(vips, (size_t)i));
		if (json_is_object(json_object_get(body, "health_check")))
			hc_type_change(json_object_get(vip, "health_check"),
				json_object_get(body, "health_check"));
		merge_patch(vip, body);
	}
	json_object_update(vip, ident);
	if (i >= 0)
		json_array_set(vips, (size_t)i, vip);
	else
		json_array_append(vips, vip);
	commit_and_answer(r, o, &w, doc, i >= 0 ? 200 : 201, "vip", vip_of, key);
out:
	pthread_mutex_unlock(&d->lock);
	json_decref(vip);
	json_decref(body);
	json_decref(doc);
}

static void
backend_write(struct sld_req *r, struct sld_resp *o, const char *key, const char *addr)
{
	static const char *const ident_keys[] = {"address", NULL};
	struct sld *d = r->d;
	json_t *body = NULL, *doc = NULL, *bes, *be = NULL, *ident;
	char path[SLD_FIELD_LEN], arg[SLD_KEY_LEN + 64];
	struct sld_write w;
	struct sld_err e;
	int i, j = -1;

	snprintf(path, sizeof(path), "vips[%s].backends[%s]", key, addr);
	snprintf(arg, sizeof(arg), "%s|%s", key, addr);
	ident = json_pack("{s:s}", "address", addr);
	if (!prepare_write(r, o, &w))
		goto free;
	pthread_mutex_lock(&d->lock);
	if (!precondition(r, o, &w))
		goto out;
	i = sld_state_find_vip(&d->state, key);
	if (i < 0) {
		snprintf(path, sizeof(path), "vips[%s]", key);
		sld_resp_fail(o, 404, "not_found", path, "no such VIP");
		goto out;
	}
	doc = json_deep_copy(d->state.doc);
	bes = json_object_get(json_array_get(json_object_get(doc, "vips"), (size_t)i), "backends");
	for (size_t k = 0; k < json_array_size(bes); k++)
		if (strcmp(json_string_value(json_object_get(json_array_get(bes, k), "address")),
			    addr) == 0)
			j = (int)k;
	if (j < 0 && strcmp(r->method, "PUT") != 0) {
		sld_resp_fail(o, 404, "not_found", path, "no such backend");
		goto out;
	}
	if (strcmp(r->method, "DELETE") == 0) {
		json_array_remove(bes, (size_t)j);
		commit_and_answer(r, o, &w, doc, 200, NULL, NULL, NULL);
		goto out;
	}
	if (sld_req_json(r, &body, &e) < 0) {
		sld_resp_err(o, &e);
		goto out;
	}
	if (!identity_matches(o, body, ident_keys, ident, path))
		goto out;
	if (strcmp(r->method, "PUT") == 0) {
		be = json_deep_copy(body);
	} else {
		be = json_deep_copy(json_array_get(bes, (size_t)j));
		merge_patch(be, body);
	}
	json_object_update(be, ident);
	if (j >= 0)
		json_array_set(bes, (size_t)j, be);
	else
		json_array_append(bes, be);
	commit_and_answer(r, o, &w, doc, j >= 0 ? 200 : 201, "backend", backend_of, arg);
out:
	pthread_mutex_unlock(&d->lock);
free:
	json_decref(ident);
	json_decref(be);
	json_decref(body);
	json_decref(doc);
}

void
sld_api_vips(struct sld_req *r, char **seg, int n, struct sld_resp *o)
{
	char key[SLD_KEY_LEN], addr[INET6_ADDRSTRLEN], esc[64];
	json_t *stats = NULL, *view, *ident;
	struct sld_err e;
	bool get = strcmp(r->method, "GET") == 0;

	if (n == 0) {
		if (!get) {
			method_not_allowed(r, o, "GET");
			return;
		}
		stats = sld_dp_stats(r->d);
		pthread_mutex_lock(&r->d->lock);
		sld_resp_json(o, 200,
			json_pack("{s:I, s:o}", "version", (json_int_t)r->d->version, "vips",
				sld_vips_view(r->d, stats, NULL)));
		o->etag = (int64_t)r->d->version;
		pthread_mutex_unlock(&r->d->lock);
		json_decref(stats);
		return;
	}
	if (n != 3 && !(n == 5 && strcmp(seg[3], "backends") == 0)) {
		sld_resp_fail(o, 404, "not_found", "",
			"no such resource (/v1/vips/PROTO/ADDR/PORT[/backends/ADDR])");
		return;
	}
	if (sld_vip_key_parse(seg[0], seg[1], seg[2], key, &e) < 0) {
		sld_resp_err(o, &e);
		return;
	}
	if (n == 5 && sld_addr_canon(seg[4], addr, sizeof(addr)) < 0) {
		snprintf(esc, sizeof(esc), "%.40s", seg[4]);
		sld_resp_fail(o, 400, "bad_path", "", "'%s' is not an IPv4 or IPv6 address", esc);
		return;
	}
	if (get) {
		stats = sld_dp_stats(r->d);
		pthread_mutex_lock(&r->d->lock);
		view = sld_vips_view(r->d, stats, key);
		if (json_array_size(view) == 0) {
			sld_resp_fail(o, 404, "not_found", "", "no such VIP: %s", key);
		} else if (n == 3) {
			sld_resp_json(o, 200,
				json_pack("{s:I, s:O}", "version", (json_int_t)r->d->version, "vip",
					json_array_get(view, 0)));
		} else {
			json_t *v = json_array_get(view, 0);
			int j = find_backend(v, addr);

			if (j < 0)
				sld_resp_fail(o, 404, "not_found", "", "no such backend: %s in %s",
					addr, key);
			else
				sld_resp_json(o, 200,
					json_pack("{s:I, s:s, s:O}", "version",
						(json_int_t)r->d->version, "vip", key, "backend",
						json_array_get(json_object_get(v, "backends"),
							(size_t)j)));
		}
		o->etag = (int64_t)r->d->version;
		pthread_mutex_unlock(&r->d->lock);
		json_decref(view);
		json_decref(stats);
		return;
	}
	if (strcmp(r->method, "PUT") != 0 && strcmp(r->method, "PATCH") != 0 &&
		strcmp(r->method, "DELETE") != 0) {
		method_not_allowed(r, o, "GET, PUT, PATCH, DELETE");
		return;
	}
	if (n == 5) {
		backend_write(r, o, key, addr);
		return;
	}
	{
		char proto[4], a[INET6_ADDRSTRLEN];
		unsigned int port;

		sscanf(key, "%3[a-z]/%45[^/]/%u", proto, a, &port);
		ident = json_pack(
			"{s:s, s:s, s:i}", "address", a, "protocol", proto, "port", (int)port);
	}
	vip_write(r, o, key, ident);
	json_decref(ident);
}

/* ---- /v1/history, /v1/rollback ---- */

void
sld_api_history(struct sld_req *r, char **seg, int n, struct sld_resp *o)
{
	const char *lim = sld_req_arg(r, "limit");
	unsigned long limit = 20, v;
	char *end;
	json_t *j;

	if (strcmp(r->method, "GET") != 0) {
		method_not_allowed(r, o, "GET");
		return;
	}
	if (n > 1) {
		sld_resp_fail(o, 404, "not_found", "", "no such resource");
		return;
	}
	if (n == 0) {
		if (lim != NULL) {
			limit = strtoul(lim, &end, 10);
			if (*lim == '\0' || *end != '\0' || limit == 0 || limit > 10000) {
				sld_resp_fail(o, 400, "invalid_field", "limit",
					"must be an integer in 1..10000");
				return;
			}
		}
		pthread_mutex_lock(&r->d->lock);
		sld_resp_json(o, 200,
			json_pack("{s:I, s:o}", "version", (json_int_t)r->d->version, "history",
				sld_store_history(&r->d->store, (unsigned)limit)));
		o->etag = (int64_t)r->d->version;
		pthread_mutex_unlock(&r->d->lock);
		return;
	}
	v = strtoul(seg[0], &end, 10);
	if (seg[0][0] < '0' || seg[0][0] > '9' || *end != '\0') {
		sld_resp_fail(o, 400, "bad_path", "", "a version is a number");
		return;
	}
	pthread_mutex_lock(&r->d->lock);
	j = sld_store_read(&r->d->store, v);
	if (j == NULL)
		sld_resp_fail(o, errno == ENOENT ? 404 : 500,
			errno == ENOENT ? "not_found" : "internal", "", "version %lu: %s", v,
			strerror(errno));
	else
		sld_resp_json(o, 200, j);
	pthread_mutex_unlock(&r->d->lock);
}

void
sld_api_rollback(struct sld_req *r, char **seg, int n, struct sld_resp *o)
{
	json_t *body = NULL, *file = NULL, *a;
	struct sld_write_result res;
	struct sld_write w;
	struct sld_err e;
	const json_t *v;
	const char *k;
	json_t *x;

	(void)seg;
	if (n != 0) {
		sld_resp_fail(o, 404, "not_found", "", "no such resource");
		return;
	}
	if (strcmp(r->method, "POST") != 0) {
		method_not_allowed(r, o, "POST");
		return;
	}
	if (!prepare_write(r, o, &w))
		return;
	pthread_mutex_lock(&r->d->lock);
	if (!precondition(r, o, &w))
		goto out;
	if (sld_req_json(r, &body, &e) < 0) {
		sld_resp_err(o, &e);
		goto out;
	}
	json_object_foreach(body, k, x)
	{
		if (strcmp(k, "version") != 0) {
			sld_resp_fail(o, 400, "unknown_field", k, "unknown key");
			goto out;
		}
	}
	v = json_object_get(body, "version");
	if (!json_is_integer(v) || json_integer_value(v) < 0) {
		sld_resp_fail(o, 400, "invalid_field", "version", "must be a version number");
		goto out;
	}
	file = sld_store_read(&r->d->store, (uint64_t)json_integer_value(v));
	if (file == NULL) {
		sld_resp_fail(o, errno == ENOENT ? 404 : 500,
			errno == ENOENT ? "not_found" : "internal", "version", "version %lld: %s",
			(long long)json_integer_value(v), strerror(errno));
		goto out;
	}
	if (sld_commit(r->d, &w, json_object_get(file, "state"), &res, &e) < 0) {
		sld_resp_err(o, &e);
		goto out;
	}
	a = sld_write_answer(&res, false);
	json_object_set_new(a, "restored", json_integer(json_integer_value(v)));
	sld_resp_json(o, 200, a);
	o->etag = (int64_t)r->d->version;
	json_decref(res.diff);
out:
	pthread_mutex_unlock(&r->d->lock);
	json_decref(body);
	json_decref(file);
}
