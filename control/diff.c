/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The diff of two canonical state documents, keyed by identities (VIPs by
 * PROTO/ADDR/PORT, backends by address) rather than array positions, so a
 * reordering is no change and a change reads the same whatever the order.
 * Objects are compared key by key; other arrays (an exec check's command)
 * and scalars are compared whole.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "state.h"
#include "state_priv.h"

static int
emit(json_t *out, const char *op, const char *path, const json_t *old, const json_t *new)
{
	json_t *d = json_pack("{s:s, s:s}", "op", op, "path", path);

	if (d == NULL)
		return -ENOMEM;
	if ((old != NULL && json_object_set(d, "old", (json_t *)old) < 0) ||
		(new != NULL &&json_object_set(d, "new", (json_t *)new) < 0)) {
		json_decref(d);
		return -ENOMEM;
	}
	return json_array_append_new(out, d) < 0 ? -ENOMEM : 0;
}

static int diff_value(json_t *out, const char *path, const json_t *a, const json_t *b);

/* Arrays of objects matched by @ident; @elem formats an element's path. */
static int
diff_keyed(json_t *out, const char *path, const json_t *a, const json_t *b,
	int (*ident)(const json_t *, char *), const char *fmt)
{
	char ka[SLD_KEY_LEN], kb[SLD_KEY_LEN], p[SLD_FIELD_LEN];
	size_t i, j;
	int rc;

	for (i = 0; i < json_array_size(a); i++) {
		const json_t *ea = json_array_get(a, i), *match = NULL;

		if (ident(ea, ka) < 0)
			continue;
		for (j = 0; j < json_array_size(b) && match == NULL; j++)
			if (ident(json_array_get(b, j), kb) == 0 && strcmp(ka, kb) == 0)
				match = json_array_get(b, j);
		snprintf(p, sizeof(p), fmt, path, ka);
		rc = match ? diff_value(out, p, ea, match) : emit(out, "remove", p, ea, NULL);
		if (rc < 0)
			return rc;
	}
	for (j = 0; j < json_array_size(b); j++) {
		const json_t *eb = json_array_get(b, j);
		bool found = false;

		if (ident(eb, kb) < 0)
			continue;
		for (i = 0; i < json_array_size(a) && !found; i++)
			found = ident(json_array_get(a, i), ka) == 0 && strcmp(ka, kb) == 0;
		snprintf(p, sizeof(p), fmt, path, kb);
		if (!found && (rc = emit(out, "add", p, NULL, eb)) < 0)
			return rc;
	}
	return 0;
}

static int
backend_ident(const json_t *be, char *out)
{
	const char *a = json_string_value(json_object_get(be, "address"));

	if (a == NULL)
		return -EINVAL;
	snprintf(out, SLD_KEY_LEN, "%s", a);
	return 0;
}

static int
diff_value(json_t *out, const char *path, const json_t *a, const json_t *b)
{
	char p[SLD_FIELD_LEN];
	const char *k;
	json_t *v;
	int rc;

	if (json_is_object(a) && json_is_object(b)) {
		json_object_foreach((json_t *)a, k, v)
		{
			const json_t *w = json_object_get(b, k);

			snprintf(p, sizeof(p), "%s%s%s", path, path[0] ? "." : "", k);
			if (strcmp(k, "vips") == 0 && path[0] == '\0' && json_is_array(w))
				rc = diff_keyed(out, "", v, w, sld_json_vip_key, "%svips[%s]");
			else if (strcmp(k, "backends") == 0 && json_is_array(w))
				rc = diff_keyed(out, path, v, w, backend_ident, "%s.backends[%s]");
			else if (w == NULL)
				rc = emit(out, "remove", p, v, NULL);
			else
				rc = diff_value(out, p, v, w);
			if (rc < 0)
				return rc;
		}
		json_object_foreach((json_t *)b, k, v)
		{
			if (json_object_get(a, k) != NULL)
				continue;
			snprintf(p, sizeof(p), "%s%s%s", path, path[0] ? "." : "", k);
			if ((rc = emit(out, "add", p, NULL, v)) < 0)
				return rc;
		}
		return 0;
	}
	if (json_equal((json_t *)a, (json_t *)b))
		return 0;
	return emit(out, "change", path, a, b);
}

json_t *
sld_diff(const json_t *old_doc, const json_t *new_doc)
{
	json_t *out = json_array();

	if (out == NULL)
		return NULL;
	if (diff_value(out, "", old_doc, new_doc) < 0) {
		json_decref(out);
		return NULL;
	}
	return out;
}

char *
sld_diff_summary(const json_t *diff)
{
	size_t n = json_array_size(diff), len = 0, cap = 512;
	char *s = malloc(cap);

	if (s == NULL)
		return NULL;
	len = (size_t)snprintf(s, cap, "%zu change%s", n, n == 1 ? "" : "s");
	for (size_t i = 0; i < n && i < 4; i++) {
		const json_t *d = json_array_get(diff, i);
		const char *op = json_string_value(json_object_get(d, "op"));
		const char *path = json_string_value(json_object_get(d, "path"));
		const json_t *nv = json_object_get(d, "new");
		char val[40] = "";

		if (json_is_integer(nv))
			snprintf(val, sizeof(val), " = %lld", (long long)json_integer_value(nv));
		else if (json_is_string(nv))
			snprintf(val, sizeof(val), " = %.30s", json_string_value(nv));
		if (len < cap)
			len += (size_t)snprintf(
				s + len, cap - len, "%s %s %s%s", i ? "," : ":", op, path, val);
	}
	if (n > 4 && len < cap)
		snprintf(s + len, cap - len, ", ...");
	return s;
}
