/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Text renderers shared by the read verbs: JSON values as short text, and a
 * generic "path value" listing for objects whose keys are the API's own
 * (status, stats), so a counter the daemon adds shows up without a change
 * here.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "lbadm.h"

void
lb_fmt(char *buf, size_t len, json_t *v)
{
	if (!v || json_is_null(v))
		snprintf(buf, len, "-");
	else if (json_is_string(v))
		snprintf(buf, len, "%s", json_string_value(v));
	else if (json_is_integer(v))
		snprintf(buf, len, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
	else if (json_is_real(v))
		snprintf(buf, len, "%.3f", json_real_value(v));
	else if (json_is_true(v))
		snprintf(buf, len, "yes");
	else if (json_is_false(v))
		snprintf(buf, len, "no");
	else {
		char *s = json_dumps(v, JSON_COMPACT | JSON_PRESERVE_ORDER);
		snprintf(buf, len, "%s", s ? s : "?");
		free(s);
	}
}

static void
flatten(FILE *f, const char *prefix, json_t *v, int depth)
{
	char key[512], val[512];
	const char *k;
	json_t *x;
	size_t i;

	if (json_is_object(v) && depth < 8) {
		json_object_foreach(v, k, x)
		{
			snprintf(key, sizeof(key), "%s%s%s", prefix, prefix[0] ? "." : "", k);
			flatten(f, key, x, depth + 1);
		}
		return;
	}
	if (json_is_array(v) && depth < 8 && json_array_size(v) > 0 &&
		json_is_object(json_array_get(v, 0))) {
		json_array_foreach(v, i, x)
		{
			snprintf(key, sizeof(key), "%s[%zu]", prefix, i);
			flatten(f, key, x, depth + 1);
		}
		return;
	}
	lb_fmt(val, sizeof(val), v);
	fprintf(f, "%-40s %s\n", prefix, val);
}

void
lb_print_flat(FILE *f, json_t *v, const char *const *skip)
{
	const char *k;
	json_t *x;

	if (!json_is_object(v)) {
		flatten(f, "", v, 0);
		return;
	}
	json_object_foreach(v, k, x)
	{
		bool skipped = false;
		for (const char *const *s = skip; s && *s; s++)
			skipped = skipped || strcmp(*s, k) == 0;
		if (!skipped)
			flatten(f, k, x, 1);
	}
}
