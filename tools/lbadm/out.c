/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Output: errors (text on stderr, or {"error": ...} on stdout with -j, so a
 * script reading stdout always gets one JSON value), JSON printing, exit
 * codes from API error codes, and the column-aligned tables of the text mode.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "lbadm.h"

struct lb_global lb_g = {
	.socket = LB_DEFAULT_SOCKET,
	.timeout_s = 60,
};

static int
vfail(enum lb_exit code, const char *ecode, const char *field, const char *fmt, va_list ap)
{
	char msg[1024];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (lb_g.json) {
		json_t *e = json_pack("{s:s, s:s}", "code", ecode, "message", msg);
		if (e && field)
			json_object_set_new(e, "field", json_string(field));
		if (e)
			json_object_set_new(e, "exit_code", json_integer(code));
		json_t *j = json_pack("{s:o}", "error", e);
		lb_print_json(j);
		json_decref(j);
	} else if (field) {
		fprintf(stderr, "lbadm: %s: %s\n", field, msg);
	} else {
		fprintf(stderr, "lbadm: %s\n", msg);
	}
	return code;
}

int
lb_fail(enum lb_exit code, const char *ecode, const char *field, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = vfail(code, ecode, field, fmt, ap);
	va_end(ap);
	return rc;
}

int
lb_usage(const char *verb, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (verb && verb[0])
		return lb_fail(LB_EXIT_USAGE, "usage", NULL, "%s: %s (see 'lbadm %s --help')", verb,
			msg, verb);
	return lb_fail(LB_EXIT_USAGE, "usage", NULL, "%s (see 'lbadm --help')", msg);
}

void
lb_print_json(json_t *j)
{
	json_dumpf(j, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_ENCODE_ANY);
	fputc('\n', stdout);
	fflush(stdout);
}

enum lb_exit
lb_exit_of(const char *ecode, long status)
{
	static const struct {
		const char *code;
		enum lb_exit exit;
	} map[] = {
		{"not_found", LB_EXIT_NOT_FOUND},
		{"version_mismatch", LB_EXIT_CONFLICT},
		{"exists", LB_EXIT_CONFLICT},
		{"unauthorized", LB_EXIT_DENIED},
		{"forbidden", LB_EXIT_DENIED},
	};

	if (ecode) {
		for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
			if (strcmp(ecode, map[i].code) == 0)
				return map[i].exit;
	}
	switch (status) {
	case 401:
	case 403:
		return LB_EXIT_DENIED;
	case 404:
		return LB_EXIT_NOT_FOUND;
	case 412:
		return LB_EXIT_CONFLICT;
	case 502:
	case 503:
	case 504:
		/* sluiced answered, but what it needs behind it (sluice-dp) did not. */
		return LB_EXIT_UNREACHABLE;
	default:
		return status >= 200 && status < 300 ? LB_EXIT_OK : LB_EXIT_REFUSED;
	}
}

void
lb_table_init(struct lb_table *t, int ncols, unsigned right_aligned)
{
	memset(t, 0, sizeof(*t));
	t->ncols = ncols;
	t->right = right_aligned;
}

int
lb_table_row(struct lb_table *t, const char *const *cols)
{
	if (t->nrows == t->cap) {
		int cap = t->cap ? t->cap * 2 : 16;
		char **c = realloc(t->cells, sizeof(*c) * (size_t)cap * (size_t)t->ncols);
		if (!c)
			return -ENOMEM;
		t->cells = c;
		t->cap = cap;
	}
	for (int i = 0; i < t->ncols; i++) {
		char *s = strdup(cols[i] ? cols[i] : "-");
		if (!s) {
			for (int k = 0; k < i; k++)
				free(t->cells[t->nrows * t->ncols + k]);
			return -ENOMEM;
		}
		t->cells[t->nrows * t->ncols + i] = s;
	}
	t->nrows++;
	return 0;
}

void
lb_table_print(FILE *f, const struct lb_table *t)
{
	int w[32] = {0};

	for (int r = 0; r < t->nrows; r++)
		for (int i = 0; i < t->ncols && i < 32; i++) {
			int n = (int)strlen(t->cells[r * t->ncols + i]);
			if (n > w[i])
				w[i] = n;
		}
	for (int r = 0; r < t->nrows; r++) {
		for (int i = 0; i < t->ncols && i < 32; i++) {
			const char *s = t->cells[r * t->ncols + i];
			bool last = i == t->ncols - 1;
			if (t->right & (1u << i))
				fprintf(f, "%*s", w[i], s);
			else
				fprintf(f, "%-*s", last ? 0 : w[i], s);
			if (!last)
				fputs("  ", f);
		}
		fputc('\n', f);
	}
}

void
lb_table_free(struct lb_table *t)
{
	for (int i = 0; i < t->nrows * t->ncols; i++)
		free(t->cells[i]);
	free(t->cells);
	memset(t, 0, sizeof(*t));
}
