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
#include "state_priv.h"

json_t *
sld_write_answer(const struct sld_write_result *res, bool with_diff)
{
	json_t *j = json_pack(
		"{s:I, s:b}", "version", (json_int_t)res->version, "changed", res->changed);

	if (j != NULL && res->pending)
		json_object_set_new(j, "pending", json_true());
	if (j != NULL && res->filter_pending)
		json_object_set_new(j, "filter_pending", json_true());
	if (j != NULL && with_diff)
		json_object_set(j, "diff", res->diff ? res->diff : json_array());
	return j;
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

/* Preconditions before a 404 or a body check: 428, 412. d->wlock held. */
static bool
precondition(struct sld_req *r, struct sld_resp *o, const struct sld_write *w)
{
	uint64_t cur = r->d->snap->version;

	if (w->dry_run)
		return true;
	if (w->if_match < 0) {
		sld_resp_fail(o, 428, "version_required", "If-Match",
			"a write must say which version it is based on: If-Match: \"%llu\"",
			(unsigned long long)cur);
		return false;
	}
	if ((uint64_t)w->if_match != cur) {
		sld_resp_fail(o, 412, "version_mismatch", "If-Match",
			"based on version %lld, but the current version is %llu: re-read and "
			"decide again",
			(long long)w->if_match, (unsigned long long)cur);
		json_object_set_new(json_object_get(o->json, "error"), "current_version",
			json_integer((json_int_t)cur));
		return false;
	}
	return true;
}

/* Commit @doc and answer (d->wlock held); @extra's object is added to the answer. */
static void
commit_and_answer(struct sld_req *r, struct sld_resp *o, const struct sld_write *w,
	const json_t *doc, int created_status, const char *extra_key,
	json_t *(*extra)(const struct sld_state *, const char *, const char *), const char *arg1,
	const char *arg2)
{
	struct sld_write_result res;
	struct sld_err e;
	json_t *a;

	if (sld_commit(r->d, w, doc, &res, &e) < 0) {
		sld_resp_err(o, &e);
		if (e.status == 412)
			json_object_set_new(json_object_get(o->json, "error"), "current_version",
				json_integer((json_int_t)r->d->snap->version));
		return;
	}
	a = sld_write_answer(&res, w->dry_run);
	if (a != NULL && extra != NULL && !w->dry_run)
		json_object_set_new(a, extra_key, extra(&r->d->snap->state, arg1, arg2));
	sld_resp_json(o, res.changed && !w->dry_run ? created_status : 200, a);
	o->etag = (int64_t)r->d->snap->version;
	json_decref(res.diff);
}

/* ---- /v1/state ---- */

void
sld_api_state(struct sld_req *r, const struct sld_path *p, struct sld_resp *o)
{
	struct sld_write w;
	struct sld_snap *snap;
	struct sld_err e;
	json_t *body;

	(void)p;
	if (strcmp(r->method, "GET") == 0) {
		snap = sld_snap_get(r->d);
		sld_resp_json(o, 200,
			json_pack("{s:I, s:O}", "version", (json_int_t)snap->version, "state",
				snap->state.doc));
		o->etag = (int64_t)snap->version;
		sld_snap_put(snap);
		return;
	}
	if (strcmp(r->method, "PUT") != 0) {
		sld_method_not_allowed(r, o, "GET, PUT");
		return;
	}
	if (!prepare_write(r, o, &w))
		return;
	pthread_mutex_lock(&r->d->wlock);
	if (precondition(r, o, &w)) {
		if (sld_req_json(r, &body, &e) < 0) {
			sld_resp_err(o, &e);
		} else {
			commit_and_answer(r, o, &w, body, 200, NULL, NULL, NULL, NULL);
			json_decref(body);
		}
	}
	pthread_mutex_unlock(&r->d->wlock);
}

/* ---- /v1/vips ---- */

/* A copy of VIP @key of @st, or null. */
static json_t *
vip_of(const struct sld_state *st, const char *key, const char *unused)
{
	int i = sld_state_find_vip(st, key);

	(void)unused;
	return i < 0 ? json_null()
		     : json_deep_copy(json_array_get(json_object_get(st->doc, "vips"), (size_t)i));
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

/* A copy of backend @addr of VIP @key of @st, or null. */
static json_t *
backend_of(const struct sld_state *st, const char *key, const char *addr)
{
	json_t *vip = vip_of(st, key, NULL), *be;
	int j = find_backend(vip, addr);

	be = j < 0 ? json_null()
		   : json_deep_copy(json_array_get(json_object_get(vip, "backends"), (size_t)j));
	json_decref(vip);
	return be;
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

static void
vip_write(struct sld_req *r, struct sld_resp *o, const struct sld_path *p)
{
	static const char *const ident_keys[] = {"address", "protocol", "port", NULL};
	struct sld *d = r->d;
	json_t *body = NULL, *doc = NULL, *vips, *vip = NULL, *ident;
	char path[SLD_FIELD_LEN];
	struct sld_write w;
	struct sld_err e;
	int i;

	snprintf(path, sizeof(path), "vips[%s]", p->vip);
	ident = json_pack(
		"{s:s, s:s, s:i}", "address", p->addr, "protocol", p->proto, "port", (int)p->port);
	if (ident == NULL) {
		sld_resp_fail(o, 500, "internal", "", "out of memory");
		return;
	}
	if (!prepare_write(r, o, &w))
		goto free;
	pthread_mutex_lock(&d->wlock);
	if (!precondition(r, o, &w))
		goto out;
	i = sld_state_find_vip(&d->snap->state, p->vip);
	if (i < 0 && strcmp(r->method, "PUT") != 0) {
		sld_resp_fail(o, 404, "not_found", path, "no such VIP");
		goto out;
	}
	doc = json_deep_copy(d->snap->state.doc);
	vips = json_object_get(doc, "vips");
	if (doc == NULL || vips == NULL) {
		sld_resp_fail(o, 500, "internal", "", "out of memory");
		goto out;
	}
	if (strcmp(r->method, "DELETE") == 0) {
		json_array_remove(vips, (size_t)i);
		commit_and_answer(r, o, &w, doc, 200, NULL, NULL, NULL, NULL);
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
		if (vip != NULL && i >= 0 && json_object_get(body, "backends") == NULL)
			json_object_set(vip, "backends",
				json_object_get(json_array_get(vips, (size_t)i), "backends"));
	} else {
		vip = json_deep_copy(json_array_get(vips, (size_t)i));
		if (vip != NULL && json_is_object(json_object_get(body, "health_check")))
			sld_hc_type_change(json_object_get(vip, "health_check"),
				json_object_get(body, "health_check"));
		if (vip != NULL && sld_merge_patch(vip, body) < 0) {
			json_decref(vip);
			vip = NULL;
		}
	}
	if (vip == NULL || json_object_update(vip, ident) < 0 ||
		(i >= 0 ? json_array_set(vips, (size_t)i, vip) : json_array_append(vips, vip)) <
			0) {
		sld_resp_fail(o, 500, "internal", "", "out of memory");
		goto out;
	}
	commit_and_answer(r, o, &w, doc, i >= 0 ? 200 : 201, "vip", vip_of, p->vip, NULL);
out:
	pthread_mutex_unlock(&d->wlock);
free:
	json_decref(ident);
	json_decref(vip);
	json_decref(body);
	json_decref(doc);
}

static void
backend_write(struct sld_req *r, struct sld_resp *o, const struct sld_path *p)
{
	static const char *const ident_keys[] = {"address", NULL};
	struct sld *d = r->d;
	json_t *body = NULL, *doc = NULL, *bes, *be = NULL, *ident;
	char path[SLD_FIELD_LEN];
	struct sld_write w;
	struct sld_err e;
	int i, j;

	snprintf(path, sizeof(path), "vips[%s].backends[%s]", p->vip, p->backend);
	ident = json_pack("{s:s}", "address", p->backend);
	if (ident == NULL) {
		sld_resp_fail(o, 500, "internal", "", "out of memory");
		return;
	}
	if (!prepare_write(r, o, &w))
		goto free;
	pthread_mutex_lock(&d->wlock);
	if (!precondition(r, o, &w))
		goto out;
	i = sld_state_find_vip(&d->snap->state, p->vip);
	if (i < 0) {
		snprintf(path, sizeof(path), "vips[%s]", p->vip);
		sld_resp_fail(o, 404, "not_found", path, "no such VIP");
		goto out;
	}
	doc = json_deep_copy(d->snap->state.doc);
	bes = json_object_get(json_array_get(json_object_get(doc, "vips"), (size_t)i), "backends");
	if (doc == NULL || bes == NULL) {
		sld_resp_fail(o, 500, "internal", "", "out of memory");
		goto out;
	}
	j = find_backend(json_array_get(json_object_get(doc, "vips"), (size_t)i), p->backend);
	if (j < 0 && strcmp(r->method, "PUT") != 0) {
		sld_resp_fail(o, 404, "not_found", path, "no such backend");
		goto out;
	}
	if (strcmp(r->method, "DELETE") == 0) {
		json_array_remove(bes, (size_t)j);
		commit_and_answer(r, o, &w, doc, 200, NULL, NULL, NULL, NULL);
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
		if (be != NULL && sld_merge_patch(be, body) < 0) {
			json_decref(be);
			be = NULL;
		}
	}
	if (be == NULL || json_object_update(be, ident) < 0 ||
		(j >= 0 ? json_array_set(bes, (size_t)j, be) : json_array_append(bes, be)) < 0) {
		sld_resp_fail(o, 500, "internal", "", "out of memory");
		goto out;
	}
	commit_and_answer(
		r, o, &w, doc, j >= 0 ? 200 : 201, "backend", backend_of, p->vip, p->backend);
out:
	pthread_mutex_unlock(&d->wlock);
free:
	json_decref(ident);
	json_decref(be);
	json_decref(body);
	json_decref(doc);
}

/* GET of every VIP, one VIP or one backend, from a snapshot (no lock held). */
static void
vips_get(struct sld_req *r, const struct sld_path *p, struct sld_resp *o)
{
	json_t *stats = sld_dp_stats(r->d), *view, *v;
	struct sld_snap *snap = sld_snap_get(r->d);
	int j;

	view = sld_vips_view(r->d, snap, stats, p->res == SLD_RES_VIPS ? NULL : p->vip);
	if (view == NULL) {
		sld_resp_fail(o, 500, "internal", "", "out of memory");
	} else if (p->res == SLD_RES_VIPS) {
		sld_resp_json(o, 200,
			json_pack(
				"{s:I, s:O}", "version", (json_int_t)snap->version, "vips", view));
	} else if (json_array_size(view) == 0) {
		sld_resp_fail(o, 404, "not_found", "", "no such VIP: %s", p->vip);
	} else if (p->res == SLD_RES_VIP) {
		sld_resp_json(o, 200,
			json_pack("{s:I, s:O}", "version", (json_int_t)snap->version, "vip",
				json_array_get(view, 0)));
	} else {
		v = json_array_get(view, 0);
		j = find_backend(v, p->backend);
		if (j < 0)
			sld_resp_fail(o, 404, "not_found", "", "no such backend: %s in %s",
				p->backend, p->vip);
		else
			sld_resp_json(o, 200,
				json_pack("{s:I, s:s, s:O}", "version", (json_int_t)snap->version,
					"vip", p->vip, "backend",
					json_array_get(json_object_get(v, "backends"), (size_t)j)));
	}
	o->etag = (int64_t)snap->version;
	sld_snap_put(snap);
	json_decref(view);
	json_decref(stats);
}

void
sld_api_vips(struct sld_req *r, const struct sld_path *p, struct sld_resp *o)
{
	if (strcmp(r->method, "GET") == 0) {
		vips_get(r, p, o);
		return;
	}
	if (p->res == SLD_RES_VIPS) {
		sld_method_not_allowed(r, o, "GET");
		return;
	}
	if (strcmp(r->method, "PUT") != 0 && strcmp(r->method, "PATCH") != 0 &&
		strcmp(r->method, "DELETE") != 0) {
		sld_method_not_allowed(r, o, "GET, PUT, PATCH, DELETE");
		return;
	}
	if (p->res == SLD_RES_BACKEND)
		backend_write(r, o, p);
	else
		vip_write(r, o, p);
}

/* ---- /v1/history, /v1/rollback ---- */

void
sld_api_history(struct sld_req *r, const struct sld_path *p, struct sld_resp *o)
{
	const char *lim = sld_req_arg(r, "limit");
	unsigned long limit = 20;
	struct sld_snap *snap;
	json_t *j;

	if (strcmp(r->method, "GET") != 0) {
		sld_method_not_allowed(r, o, "GET");
		return;
	}
	if (p->res == SLD_RES_HISTORY) {
		if (lim != NULL) {
			size_t n = strlen(lim);

			if (n == 0 || n > 5 || strspn(lim, "0123456789") != n ||
				(limit = strtoul(lim, NULL, 10)) == 0 || limit > 10000) {
				sld_resp_fail(o, 400, "invalid_field", "limit",
					"must be an integer in 1..10000");
				return;
			}
		}
		/* The store's files are whole or absent (renamed into place): no lock. */
		snap = sld_snap_get(r->d);
		sld_resp_json(o, 200,
			json_pack("{s:I, s:o}", "version", (json_int_t)snap->version, "history",
				sld_store_history(&r->d->store, snap->version, (unsigned)limit)));
		o->etag = (int64_t)snap->version;
		sld_snap_put(snap);
		return;
	}
	snap = sld_snap_get(r->d);
	j = p->version <= snap->version ? sld_store_read(&r->d->store, p->version) : NULL;
	if (j == NULL)
		sld_resp_fail(o, p->version > snap->version || errno == ENOENT ? 404 : 500,
			p->version > snap->version || errno == ENOENT ? "not_found" : "internal",
			"", "version %llu: %s", (unsigned long long)p->version,
			p->version > snap->version ? "no such version" : strerror(errno));
	else
		sld_resp_json(o, 200, j);
	o->etag = (int64_t)snap->version;
	sld_snap_put(snap);
}

void
sld_api_rollback(struct sld_req *r, const struct sld_path *p, struct sld_resp *o)
{
	json_t *body = NULL, *file = NULL, *a;
	struct sld_write_result res;
	struct sld_write w;
	struct sld_err e;
	const json_t *v;
	const char *k;
	json_t *x;

	(void)p;
	if (strcmp(r->method, "POST") != 0) {
		sld_method_not_allowed(r, o, "POST");
		return;
	}
	if (!prepare_write(r, o, &w))
		return;
	pthread_mutex_lock(&r->d->wlock);
	if (!precondition(r, o, &w))
		goto out;
	if (sld_req_json(r, &body, &e) < 0) {
		sld_resp_err(o, &e);
		goto out;
	}
	json_object_foreach(body, k, x)
	{
		if (strcmp(k, "version") != 0) {
			char esc[64];

			sld_escape(esc, sizeof(esc), k);
			sld_resp_fail(o, 400, "unknown_field", esc, "unknown key");
			goto out;
		}
	}
	v = json_object_get(body, "version");
	if (!json_is_integer(v) || json_integer_value(v) < 0) {
		sld_resp_fail(o, 400, "invalid_field", "version", "must be a version number");
		goto out;
	}
	if ((uint64_t)json_integer_value(v) > r->d->snap->version) {
		sld_resp_fail(o, 404, "not_found", "version", "version %lld: no such version",
			(long long)json_integer_value(v));
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
	a = sld_write_answer(&res, w.dry_run);
	if (a != NULL)
		json_object_set_new(a, "restored", json_integer(json_integer_value(v)));
	sld_resp_json(o, 200, a);
	o->etag = (int64_t)r->d->snap->version;
	json_decref(res.diff);
out:
	pthread_mutex_unlock(&r->d->wlock);
	json_decref(body);
	json_decref(file);
}
