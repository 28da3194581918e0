/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The API's diff (docs/api.md, "Diffs") as text: one line per entry, in the
 * API's order, values as one-line JSON so nothing is rounded or hidden:
 *
 *   + vips[tcp/192.0.2.80/80].backends[10.0.1.4]: {"weight": 100, ...}
 *   ~ vips[tcp/192.0.2.80/80].backends[10.0.1.2].weight: 100 -> 50
 *   - vips[udp/192.0.2.53/53]: {...}
 */
#include <stdlib.h>
#include <string.h>

#include "lbadm.h"

static void
put_value(FILE *f, json_t *v)
{
	char *s = v ? json_dumps(v, JSON_ENCODE_ANY | JSON_PRESERVE_ORDER) : NULL;

	fputs(s ? s : "(none)", f);
	free(s);
}

void
lb_diff_print(FILE *f, json_t *diff)
{
	size_t i;
	json_t *e;

	json_array_foreach(diff, i, e)
	{
		const char *op = json_string_value(json_object_get(e, "op"));
		const char *path = json_string_value(json_object_get(e, "path"));
		json_t *oldv = json_object_get(e, "old"), *newv = json_object_get(e, "new");

		op = op ? op : "?";
		path = path ? path : "?";
		if (strcmp(op, "add") == 0) {
			fprintf(f, "+ %s: ", path);
			put_value(f, newv);
		} else if (strcmp(op, "remove") == 0) {
			fprintf(f, "- %s: ", path);
			put_value(f, oldv);
		} else if (strcmp(op, "change") == 0) {
			fprintf(f, "~ %s: ", path);
			put_value(f, oldv);
			fputs(" -> ", f);
			put_value(f, newv);
		} else {
			/* An op this lbadm does not know: show it whole rather than guess. */
			fprintf(f, "? %s %s: ", op, path);
			put_value(f, e);
		}
		fputc('\n', f);
	}
}
