/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Handlers of the whole state: /v1/state, /v1/history, /v1/rollback, and
 * what every write handler shares (If-Match, preconditions, the answer).
 * Every change builds a whole new document from the current one and goes
 * through sld_commit(), so a change of one backend (api_vips.c) is
 * validated, pushed, versioned and audited exactly like a whole apply.
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

bool
sld_prepare_write(struct sld_req *r, struct sld_resp *o, struct sld_write *w)
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

bool
sld_precondition(struct sld_req *r, struct sld_resp *o, const struct sld_write *w)
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

void
sld_commit_answer(struct sld_req *r, struct sld_resp *o, const struct sld_write *w,
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
	if (!sld_prepare_write(r, o, &w))
		return;
	pthread_mutex_lock(&r->d->wlock);
	if (sld_precondition(r, o, &w)) {
		if (sld_req_json(r, &body, &e) < 0) {
			sld_resp_err(o, &e);
		} else {
			sld_commit_answer(r, o, &w, body, 200, NULL, NULL, NULL, NULL);
			json_decref(body);
		}
	}
	pthread_mutex_unlock(&r->d->wlock);
}

/* ---- /v1/history, /v1/rollback ---- */

void
sld_api_history(struct sld_req *r, const struct sld_path *p, struct sld_resp *o)
{
	struct sld_snap *snap;
	unsigned int limit;
	json_t *j;

	if (strcmp(r->method, "GET") != 0) {
		sld_method_not_allowed(r, o, "GET");
		return;
	}
	if (p->res == SLD_RES_HISTORY) {
		if (!sld_req_uint_arg(r, o, "limit", 20, 1, 10000, &limit))
			return;
		/* The store's files are whole or absent (renamed into place): no lock. */
		snap = sld_snap_get(r->d);
		sld_resp_json(o, 200,
			json_pack("{s:I, s:o}", "version", (json_int_t)snap->version, "history",
				sld_store_history(&r->d->store, snap->version, limit)));
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
	if (!sld_prepare_write(r, o, &w))
		return;
	pthread_mutex_lock(&r->d->wlock);
	if (!sld_precondition(r, o, &w))
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
