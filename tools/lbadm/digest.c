/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The digests 'lbadm cluster compare' compares nodes by: one of a state
 * document that does not depend on the order of its VIPs and backends, and
 * one over the dataplane's per-VIP Maglev table digests (lbadm.h).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lbadm.h"

static uint64_t
fnv1a(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 0x100000001b3ull;
	}
	return h;
}

static int
by_text(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * A digest of a state document that does not depend on the order of VIPs or
 * backends (Maglev does not either): each VIP's settings and sorted backends
 * as sorted lines, hashed.
 */
void
lb_state_digest(json_t *state, char *out, size_t len)
{
	json_t *vips = json_object_get(state, "vips"), *copy = json_deep_copy(state);
	size_t nv = json_array_size(vips), total = 1;
	char **lines = calloc(nv + 1, sizeof(*lines)), *all;

	if (copy == NULL || lines == NULL) {
		snprintf(out, len, "?");
		json_decref(copy);
		free(lines);
		return;
	}
	json_object_del(copy, "vips");
	lines[nv] = json_dumps(copy, JSON_SORT_KEYS | JSON_COMPACT);
	for (size_t i = 0; i < nv; i++) {
		json_t *v = json_deep_copy(json_array_get(vips, i));
		json_t *bes = json_object_get(v, "backends");
		size_t nb = json_array_size(bes);
		char **bl = calloc(nb ? nb : 1, sizeof(*bl)), *vs;
		size_t bl_len = 1;

		for (size_t k = 0; k < nb && bl; k++) {
			bl[k] = json_dumps(json_array_get(bes, k), JSON_SORT_KEYS | JSON_COMPACT);
			bl_len += bl[k] ? strlen(bl[k]) + 1 : 0;
		}
		if (bl)
			qsort(bl, nb, sizeof(*bl), by_text);
		json_object_del(v, "backends");
		vs = json_dumps(v, JSON_SORT_KEYS | JSON_COMPACT);
		lines[i] = malloc((vs ? strlen(vs) : 0) + bl_len + 1);
		if (lines[i]) {
			strcpy(lines[i], vs ? vs : "");
			for (size_t k = 0; k < nb && bl; k++)
				if (bl[k]) {
					strcat(lines[i], "|");
					strcat(lines[i], bl[k]);
				}
		}
		for (size_t k = 0; k < nb && bl; k++)
			free(bl[k]);
		free(bl);
		free(vs);
		json_decref(v);
	}
	qsort(lines, nv, sizeof(*lines), by_text); /* the globals line stays last */
	for (size_t i = 0; i <= nv; i++)
		total += lines[i] ? strlen(lines[i]) + 1 : 0;
	all = malloc(total);
	if (all) {
		all[0] = '\0';
		for (size_t i = 0; i <= nv; i++)
			if (lines[i]) {
				strcat(all, lines[i]);
				strcat(all, "\n");
			}
		snprintf(out, len, "%016llx", (unsigned long long)fnv1a(all));
	} else {
		snprintf(out, len, "?");
	}
	for (size_t i = 0; i <= nv; i++)
		free(lines[i]);
	free(lines);
	free(all);
	json_decref(copy);
}

/*
 * The dataplane's per-VIP Maglev table digests as sluiced reports them
 * (/v1/status dataplane "tables" or "vips" entries with a "digest"), folded
 * into one digest over the sorted "VIP=DIGEST" pairs; "-" when none.
 */
void
lb_tables_digest(json_t *status, char *out, size_t len, json_t **pairs_out)
{
	json_t *dp = json_object_get(status, "dataplane"), *src = json_object_get(dp, "tables");
	json_t *pairs = json_array();
	char *joined = NULL;
	size_t total = 1;

	if (src == NULL)
		src = json_object_get(dp, "vips");
	if (json_is_object(src)) {
		const char *k;
		json_t *v;

		json_object_foreach(src, k, v)
		{
			const char *dg = json_is_string(v)
						 ? json_string_value(v)
						 : json_string_value(json_object_get(v, "digest"));
			if (dg)
				json_array_append_new(pairs, json_sprintf("%s=%s", k, dg));
		}
	} else {
		for (size_t i = 0; i < json_array_size(src); i++) {
			json_t *v = json_array_get(src, i);
			const char *dg = json_string_value(json_object_get(v, "digest"));
			const char *key = json_string_value(json_object_get(v, "vip"));
			char kb[160];

			if (dg == NULL)
				continue;
			if (key == NULL) {
				snprintf(kb, sizeof(kb), "%s/%s/%lld",
					json_string_value(json_object_get(v, "protocol")) ?: "?",
					json_string_value(json_object_get(v, "address")) ?: "?",
					(long long)json_integer_value(json_object_get(v, "port")));
				key = kb;
			}
			json_array_append_new(pairs, json_sprintf("%s=%s", key, dg));
		}
	}
	if (json_array_size(pairs) == 0) {
		snprintf(out, len, "-");
		*pairs_out = pairs;
		return;
	}
	{
		size_t np = json_array_size(pairs);
		const char **arr = calloc(np, sizeof(*arr));

		for (size_t i = 0; arr && i < np; i++) {
			arr[i] = json_string_value(json_array_get(pairs, i));
			total += strlen(arr[i]) + 1;
		}
		if (arr)
			qsort(arr, np, sizeof(*arr), by_text);
		joined = arr ? malloc(total) : NULL;
		if (joined) {
			joined[0] = '\0';
			for (size_t i = 0; i < np; i++) {
				strcat(joined, arr[i]);
				strcat(joined, "\n");
			}
		}
		free(arr);
	}
	snprintf(out, len, "%016llx", joined ? (unsigned long long)fnv1a(joined) : 0ull);
	free(joined);
	*pairs_out = pairs;
}
