/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Input documents for `apply -f` and `filter set -f`: a file or stdin, JSON
 * or YAML, at most the API's body limit, one JSON object out.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lbadm.h"

static char *
slurp(FILE *f, size_t *len, int *err)
{
	size_t cap = 65536, n = 0, r;
	char *buf = malloc(cap + 1);

	if (!buf) {
		*err = ENOMEM;
		return NULL;
	}
	while ((r = fread(buf + n, 1, cap - n, f)) > 0) {
		n += r;
		if (n > LB_MAX_INPUT) {
			*err = EFBIG;
			free(buf);
			return NULL;
		}
		if (n == cap) {
			char *b = realloc(buf, cap * 2 + 1);
			if (!b) {
				*err = ENOMEM;
				free(buf);
				return NULL;
			}
			buf = b;
			cap *= 2;
		}
	}
	if (ferror(f)) {
		*err = errno ? errno : EIO;
		free(buf);
		return NULL;
	}
	buf[n] = '\0';
	*len = n;
	return buf;
}

static bool
looks_json(const char *path, const char *text)
{
	size_t n = strlen(path);

	if (n >= 5 && strcmp(path + n - 5, ".json") == 0)
		return true;
	while (*text == ' ' || *text == '\t' || *text == '\n' || *text == '\r')
		text++;
	return *text == '{';
}

json_t *
lb_read_doc(const char *path, char *err, size_t errlen)
{
	bool stdin_ = strcmp(path, "-") == 0;
	const char *name = stdin_ ? "<stdin>" : path;
	FILE *f = stdin_ ? stdin : fopen(path, "rb");
	json_t *doc = NULL;
	size_t len = 0;
	char *text;
	int e = 0;

	if (!f) {
		snprintf(err, errlen, "%s: %s", name, strerror(errno));
		return NULL;
	}
	text = slurp(f, &len, &e);
	if (!stdin_)
		fclose(f);
	if (!text) {
		if (e == EFBIG)
			snprintf(err, errlen, "%s: larger than the API's limit of %u MiB", name,
				LB_MAX_INPUT >> 20);
		else
			snprintf(err, errlen, "%s: %s", name, strerror(e));
		return NULL;
	}
	if (memchr(text, '\0', len)) {
		snprintf(err, errlen, "%s: contains a NUL byte: not a text file", name);
		free(text);
		return NULL;
	}
	if (looks_json(path, text)) {
		json_error_t jerr;
		doc = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
		if (!doc)
			snprintf(err, errlen, "%s:%d:%d: invalid JSON: %s", name, jerr.line,
				jerr.column, jerr.text);
	} else {
		doc = lb_yaml_to_json(text, len, name, err, errlen);
	}
	free(text);
	if (doc && !json_is_object(doc)) {
		snprintf(err, errlen, "%s: the document must be a mapping (an object), not a %s",
			name,
			json_is_array(doc)     ? "list"
			: json_is_string(doc)  ? "string"
			: json_is_null(doc)    ? "null"
			: json_is_boolean(doc) ? "boolean"
					       : "number");
		json_decref(doc);
		return NULL;
	}
	return doc;
}
