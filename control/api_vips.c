/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * /v1/vips, /v1/vips/PROTO/ADDR/PORT and .../backends/ADDR: reads from a
 * snapshot, and writes of one VIP or one backend (PUT creates or replaces,
 * PATCH merges, DELETE removes). A VIP and a backend are both a member of
 * an array of the state identified by keys the path gives; one function
 * writes either, into a copy of the whole document that then goes through
 * sld_commit() like any other change.
 */
#include <stdio.h>
#include <string.h>

#include "api.h"

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
identity_matches(struct sld_resp *o, const json_t *body, const char *const *keys, json_t *ident,
	const char *path)
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
				"new one and delete the old)");
			return false;
		}
	}
	return true;
}

/* What differs between writing a VIP and writing a backend. */
struct member {
	const char *const *ident_keys;
	const char *noun; /* "VIP", "backend": "no such ..." */
	const char *answer_key;
	json_t *(*answer)(const struct sld_state *, const char *, const char *);
	/* PUT over an existing VIP: the backends it does not give are kept. */
	bool keep_backends;
	/* PATCH of a VIP: a health check changing type drops the old type's keys. */
	bool hc_type_change;
};

static const char *const vip_ident[] = {"address", "protocol", "port", NULL};
static const char *const be_ident[] = {"address", NULL};

static const struct member vip_member = {vip_ident, "VIP", "vip", vip_of, true, true};
static const struct member be_member = {be_ident, "backend", "backend", backend_of, false, false};

/*
 * The new form of member @k of @arr (-1: none yet) from the request body:
 * the body itself for PUT, the member merge-patched with it for PATCH.
 * NULL with @o answered.
 */
static json_t *
new_member(struct sld_req *r, struct sld_resp *o, const struct member *m, json_t *arr, int k,
	json_t *ident, const char *path)
{
	const json_t *cur = k >= 0 ? json_array_get(arr, (size_t)k) : NULL;
	json_t *body, *item = NULL;
	struct sld_err e;

	if (sld_req_json(r, &body, &e) < 0) {
		sld_resp_err(o, &e);
		return NULL;
	}
	if (!identity_matches(o, body, m->ident_keys, ident, path))
		goto out;
	if (strcmp(r->method, "PUT") == 0) {
		item = json_deep_copy(body);
		if (item != NULL && m->keep_backends && cur != NULL &&
			json_object_get(body, "backends") == NULL)
			json_object_set(item, "backends", json_object_get(cur, "backends"));
	} else {
		item = json_deep_copy(cur);
		if (item != NULL && m->hc_type_change &&
			json_is_object(json_object_get(body, "health_check")))
			sld_hc_type_change(json_object_get(item, "health_check"),
				json_object_get(body, "health_check"));
		if (item != NULL && sld_merge_patch(item, body) < 0) {
			json_decref(item);
			item = NULL;
		}
	}
	if (item == NULL || json_object_update(item, ident) < 0) {
		json_decref(item);
		item = NULL;
		sld_resp_fail(o, 500, "internal", "", "out of memory");
	}
out:
	json_decref(body);
	return item;
}

/*
 * PUT, PATCH or DELETE of the VIP of @p, or of its backend when @m is
 * be_member. @ident holds the identity keys the path gives, @path names
 * the member in errors.
 */
static void
member_write(struct sld_req *r, struct sld_resp *o, const struct sld_path *p,
	const struct member *m, json_t *ident, const char *path)
{
	struct sld *d = r->d;
	json_t *doc = NULL, *arr, *item;
	char vpath[SLD_FIELD_LEN];
	struct sld_write w;
	int i, k;

	if (!sld_prepare_write(r, o, &w))
		return;
	pthread_mutex_lock(&d->wlock);
	if (!sld_precondition(r, o, &w))
		goto out;
	i = sld_state_find_vip(&d->snap->state, p->vip);
	if (i < 0 && (m == &be_member || strcmp(r->method, "PUT") != 0)) {
		snprintf(vpath, sizeof(vpath), "vips[%s]", p->vip);
		sld_resp_fail(o, 404, "not_found", vpath, "no such VIP");
		goto out;
	}
	doc = json_deep_copy(d->snap->state.doc);
	arr = json_object_get(doc, "vips");
	if (m == &be_member)
		arr = json_object_get(json_array_get(arr, (size_t)i), "backends");
	if (doc == NULL || arr == NULL) {
		sld_resp_fail(o, 500, "internal", "", "out of memory");
		goto out;
	}
	k = m == &be_member ? find_backend(json_array_get(json_object_get(doc, "vips"), (size_t)i),
				      p->backend)
			    : i;
	if (k < 0 && strcmp(r->method, "PUT") != 0) {
		sld_resp_fail(o, 404, "not_found", path, "no such %s", m->noun);
		goto out;
	}
	if (strcmp(r->method, "DELETE") == 0) {
		json_array_remove(arr, (size_t)k);
		sld_commit_answer(r, o, &w, doc, 200, NULL, NULL, NULL, NULL);
		goto out;
	}
	item = new_member(r, o, m, arr, k, ident, path);
	if (item == NULL)
		goto out;
	if ((k >= 0 ? json_array_set_new(arr, (size_t)k, item) : json_array_append_new(arr, item)) <
		0) {
		sld_resp_fail(o, 500, "internal", "", "out of memory");
		goto out;
	}
	sld_commit_answer(
		r, o, &w, doc, k >= 0 ? 200 : 201, m->answer_key, m->answer, p->vip, p->backend);
out:
	pthread_mutex_unlock(&d->wlock);
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
	char path[SLD_FIELD_LEN];
	json_t *ident;

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
	if (p->res == SLD_RES_BACKEND) {
		snprintf(path, sizeof(path), "vips[%s].backends[%s]", p->vip, p->backend);
		ident = json_pack("{s:s}", "address", p->backend);
	} else {
		snprintf(path, sizeof(path), "vips[%s]", p->vip);
		ident = json_pack("{s:s, s:s, s:i}", "address", p->addr, "protocol", p->proto,
			"port", (int)p->port);
	}
	if (ident == NULL) {
		sld_resp_fail(o, 500, "internal", "", "out of memory");
		return;
	}
	member_write(r, o, p, p->res == SLD_RES_BACKEND ? &be_member : &vip_member, ident, path);
	json_decref(ident);
}
