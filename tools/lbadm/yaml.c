/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * YAML to the JSON the API takes, with explicit scalar typing.
 *
 * YAML 1.1 (PyYAML, many tools) and YAML 1.2 (the core schema) type some
 * plain scalars differently: `on`/`no` are booleans to one and strings to
 * the other, `0800` is octal 512 or decimal 800, `1e3` a string or a float,
 * `1:20` the integer 80 or a string. A state file must mean the same thing
 * whatever reads it, so a plain scalar the two disagree on is refused, with
 * its line, column and path, and the fix (quote it, or write it plainly).
 * What both agree on is taken: null (~, null, empty), true/false, decimal
 * integers, decimal reals (which the API then refuses for integer fields,
 * naming the field). Quoted and block scalars are strings. Anchors,
 * aliases, merge keys, unknown tags, duplicate keys and multi-document
 * streams are refused: none has a meaning in a state document, and aliases
 * are how a small file expands into a huge one.
 */
#include <errno.h>
#include <math.h>
#include <regex.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "lbadm.h"

#define YR_MAX_DEPTH 64
#define TAG(t)	     "tag:yaml.org,2002:" t

struct yr {
	yaml_parser_t parser;
	const char *name;
	char *err;
	size_t errlen;
	char path[1024];
	bool failed;
};

static void __attribute__((format(printf, 3, 4)))
yr_fail(struct yr *r, const yaml_mark_t *m, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	if (r->failed)
		return;
	r->failed = true;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(r->err, r->errlen, "%s:%zu:%zu: %s%s%s", r->name, m->line + 1, m->column + 1,
		r->path, r->path[0] ? ": " : "", msg);
}

static bool
next_event(struct yr *r, yaml_event_t *ev)
{
	if (yaml_parser_parse(&r->parser, ev))
		return true;
	yr_fail(r, &r->parser.problem_mark, "invalid YAML: %s",
		r->parser.problem ? r->parser.problem : "parse error");
	return false;
}

/* Anchored POSIX ERE match. */
static bool
matches(const char *re, const char *s)
{
	regex_t rx;
	bool ok;

	if (regcomp(&rx, re, REG_EXTENDED | REG_NOSUB) != 0)
		return false;
	ok = regexec(&rx, s, 0, NULL, 0) == 0;
	regfree(&rx);
	return ok;
}

static bool
one_of(const char *s, const char *const *list)
{
	for (; *list; list++)
		if (strcmp(s, *list) == 0)
			return true;
	return false;
}

static const char *const nulls[] = {"", "~", "null", "Null", "NULL", NULL};
static const char *const trues[] = {"true", "True", "TRUE", NULL};
static const char *const falses[] = {"false", "False", "FALSE", NULL};
/* YAML 1.1 booleans that YAML 1.2 reads as strings. */
static const char *const bools11[] = {"y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO",
	"on", "On", "ON", "off", "Off", "OFF", NULL};

#define RE_INT	   "^[-+]?(0|[1-9][0-9]*)$"
#define RE_FLOAT12 "^[-+]?(\\.[0-9]+|[0-9]+(\\.[0-9]*)?)([eE][-+]?[0-9]+)?$"
/* YAML 1.1 reals as PyYAML, the common 1.1 reader, resolves them (the spec's
 * own pattern would make 10.0.1.2 a real number). */
#define RE_FLOAT11                                                                                 \
	"^([-+]?[0-9][0-9_]*\\.[0-9_]*([eE][-+][0-9]+)?|\\.[0-9][0-9_]*([eE][-+][0-9]+)?)$"
#define RE_SPECIAL_FLOAT "^[-+]?\\.(inf|Inf|INF)$|^\\.(nan|NaN|NAN)$"
/* Integer spellings only some readers take: 0800, 0o17, 0x1f, 0b101, 1_000, 1:20. */
#define RE_ODD_INT                                                                                 \
	"^[-+]?(0[0-9_]+|0o[0-7]+|0x[0-9a-fA-F_]+|0b[01_]+|[0-9][0-9]*_[0-9_]*|"                   \
	"[1-9][0-9_]*(:[0-5]?[0-9])+(\\.[0-9_]*)?)$"
#define RE_DATE "^[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}([Tt ].*)?$"

static json_t *
int_scalar(struct yr *r, const yaml_mark_t *m, const char *v)
{
	char *end;
	errno = 0;
	long long x = strtoll(v, &end, 10);

	if (errno == ERANGE || *end) {
		yr_fail(r, m, "integer %s is out of range", v);
		return NULL;
	}
	return json_integer(x);
}

static json_t *
real_scalar(struct yr *r, const yaml_mark_t *m, const char *v)
{
	char *end;
	double d = strtod(v, &end);

	if (*end || !isfinite(d)) {
		yr_fail(r, m, "'%s' is not a finite real number", v);
		return NULL;
	}
	return json_real(d);
}

/* A plain (unquoted, untagged) scalar: the rules in the file comment. */
static json_t *
plain_scalar(struct yr *r, const yaml_mark_t *m, const char *v)
{
	if (one_of(v, nulls))
		return json_null();
	if (one_of(v, trues))
		return json_true();
	if (one_of(v, falses))
		return json_false();
	if (one_of(v, bools11)) {
		yr_fail(r, m,
			"'%s' is a boolean to YAML 1.1 readers and a string to YAML 1.2 readers: "
			"write true or false, or quote it (\"%s\")",
			v, v);
		return NULL;
	}
	if (matches(RE_INT, v))
		return int_scalar(r, m, v);
	if (matches(RE_ODD_INT, v)) {
		yr_fail(r, m,
			"'%s' is a number to some YAML readers and not to others (octal, hex, "
			"base 60, digit separators): write a plain decimal, or quote it for a "
			"string",
			v);
		return NULL;
	}
	if (matches(RE_SPECIAL_FLOAT, v)) {
		yr_fail(r, m, "'%s': infinities and NaN have no JSON form", v);
		return NULL;
	}
	bool f12 = matches(RE_FLOAT12, v), f11 = matches(RE_FLOAT11, v);
	if (f12 && f11)
		return real_scalar(r, m, v);
	if (f12 || f11) {
		yr_fail(r, m,
			"'%s' is a real number to YAML %s readers and a string to YAML %s readers: "
			"write an integer, or quote it for a string",
			v, f12 ? "1.2" : "1.1", f12 ? "1.1" : "1.2");
		return NULL;
	}
	if (matches(RE_DATE, v)) {
		yr_fail(r, m, "'%s' is a date to YAML 1.1 readers: quote it for a string", v);
		return NULL;
	}
	return json_string(v);
}

static json_t *
scalar(struct yr *r, yaml_event_t *ev)
{
	const char *v = (const char *)ev->data.scalar.value;
	const char *tag = (const char *)ev->data.scalar.tag;
	const yaml_mark_t *m = &ev->start_mark;

	if (strlen(v) != ev->data.scalar.length) {
		yr_fail(r, m, "a string contains a NUL character");
		return NULL;
	}
	if (!tag || strcmp(tag, "!") == 0) {
		if (ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE && !tag)
			return plain_scalar(r, m, v);
		return json_string(v); /* quoted, block, or the non-specific "!" tag */
	}
	if (strcmp(tag, TAG("str")) == 0)
		return json_string(v);
	if (strcmp(tag, TAG("int")) == 0) {
		if (matches(RE_INT, v))
			return int_scalar(r, m, v);
		yr_fail(r, m, "!!int '%s' is not a decimal integer", v);
		return NULL;
	}
	if (strcmp(tag, TAG("float")) == 0) {
		if (matches(RE_FLOAT12, v) && matches("[0-9]", v))
			return real_scalar(r, m, v);
		yr_fail(r, m, "!!float '%s' is not a decimal real number", v);
		return NULL;
	}
	if (strcmp(tag, TAG("bool")) == 0) {
		if (one_of(v, trues))
			return json_true();
		if (one_of(v, falses))
			return json_false();
		yr_fail(r, m, "!!bool '%s' is not true or false", v);
		return NULL;
	}
	if (strcmp(tag, TAG("null")) == 0 && one_of(v, nulls))
		return json_null();
	yr_fail(r, m, "unsupported tag %s", tag);
	return NULL;
}

static json_t *node(struct yr *r, yaml_event_t *ev, int depth);

static bool
collection_tag_ok(struct yr *r, const yaml_mark_t *m, const char *tag, const char *want)
{
	if (!tag || strcmp(tag, want) == 0 || strcmp(tag, "!") == 0)
		return true;
	yr_fail(r, m, "unsupported tag %s", tag);
	return false;
}

static json_t *
mapping(struct yr *r, yaml_event_t *start, int depth)
{
	size_t plen = strlen(r->path);
	json_t *obj = json_object();
	yaml_event_t k, v;

	if (!collection_tag_ok(
		    r, &start->start_mark, (const char *)start->data.mapping_start.tag, TAG("map")))
		goto fail;
	for (;;) {
		if (!next_event(r, &k))
			goto fail;
		if (k.type == YAML_MAPPING_END_EVENT) {
			yaml_event_delete(&k);
			return obj;
		}
		if (k.type != YAML_SCALAR_EVENT) {
			yr_fail(r, &k.start_mark, "a key must be a plain string");
			yaml_event_delete(&k);
			goto fail;
		}
		const char *key = (const char *)k.data.scalar.value;
		const char *ktag = (const char *)k.data.scalar.tag;
		if (k.data.scalar.anchor) {
			yr_fail(r, &k.start_mark,
				"anchors (&) are not supported: write values out");
			yaml_event_delete(&k);
			goto fail;
		}
		if (ktag && strcmp(ktag, TAG("str")) != 0 && strcmp(ktag, "!") != 0) {
			yr_fail(r, &k.start_mark, "key '%s': unsupported tag %s", key, ktag);
			yaml_event_delete(&k);
			goto fail;
		}
		if (strcmp(key, "<<") == 0 && k.data.scalar.style == YAML_PLAIN_SCALAR_STYLE) {
			yr_fail(r, &k.start_mark, "merge keys (<<) are not supported");
			yaml_event_delete(&k);
			goto fail;
		}
		if (strlen(key) != k.data.scalar.length) {
			yr_fail(r, &k.start_mark, "a key contains a NUL character");
			yaml_event_delete(&k);
			goto fail;
		}
		if (json_object_get(obj, key)) {
			yr_fail(r, &k.start_mark, "duplicate key '%s'", key);
			yaml_event_delete(&k);
			goto fail;
		}
		snprintf(r->path + plen, sizeof(r->path) - plen, "%s%s", plen ? "." : "", key);
		if (!next_event(r, &v)) {
			yaml_event_delete(&k);
			goto fail;
		}
		json_t *val = node(r, &v, depth + 1);
		yaml_event_delete(&v);
		if (!val || json_object_set_new(obj, key, val) < 0) {
			yaml_event_delete(&k);
			goto fail;
		}
		yaml_event_delete(&k);
		r->path[plen] = '\0';
	}
fail:
	json_decref(obj);
	return NULL;
}

static json_t *
sequence(struct yr *r, yaml_event_t *start, int depth)
{
	size_t plen = strlen(r->path);
	json_t *arr = json_array();
	yaml_event_t ev;

	if (!collection_tag_ok(r, &start->start_mark, (const char *)start->data.sequence_start.tag,
		    TAG("seq")))
		goto fail;
	for (size_t i = 0;; i++) {
		if (!next_event(r, &ev))
			goto fail;
		if (ev.type == YAML_SEQUENCE_END_EVENT) {
			yaml_event_delete(&ev);
			r->path[plen] = '\0';
			return arr;
		}
		snprintf(r->path + plen, sizeof(r->path) - plen, "[%zu]", i);
		json_t *val = node(r, &ev, depth + 1);
		yaml_event_delete(&ev);
		if (!val || json_array_append_new(arr, val) < 0)
			goto fail;
	}
fail:
	json_decref(arr);
	return NULL;
}

/* The value that starts with event @ev (the caller deletes @ev). */
static json_t *
node(struct yr *r, yaml_event_t *ev, int depth)
{
	if (depth > YR_MAX_DEPTH) {
		yr_fail(r, &ev->start_mark, "nested deeper than %d levels", YR_MAX_DEPTH);
		return NULL;
	}
	switch (ev->type) {
	case YAML_ALIAS_EVENT:
		yr_fail(r, &ev->start_mark, "aliases (*) are not supported: write values out");
		return NULL;
	case YAML_SCALAR_EVENT:
		if (ev->data.scalar.anchor)
			break;
		return scalar(r, ev);
	case YAML_MAPPING_START_EVENT:
		if (ev->data.mapping_start.anchor)
			break;
		return mapping(r, ev, depth);
	case YAML_SEQUENCE_START_EVENT:
		if (ev->data.sequence_start.anchor)
			break;
		return sequence(r, ev, depth);
	default:
		yr_fail(r, &ev->start_mark, "unexpected YAML event %d", (int)ev->type);
		return NULL;
	}
	yr_fail(r, &ev->start_mark, "anchors (&) are not supported: write values out");
	return NULL;
}

json_t *
lb_yaml_to_json(const char *text, size_t len, const char *name, char *err, size_t errlen)
{
	struct yr r = {.name = name, .err = err, .errlen = errlen};
	yaml_event_t ev;
	json_t *doc = NULL;
	int stage = 0; /* 0 stream start, 1 document start, 2 content, 3 document end */

	err[0] = '\0';
	if (!yaml_parser_initialize(&r.parser)) {
		snprintf(err, errlen, "%s: out of memory", name);
		return NULL;
	}
	yaml_parser_set_input_string(&r.parser, (const unsigned char *)text, len);
	while (!r.failed && next_event(&r, &ev)) {
		yaml_event_type_t t = ev.type;
		if (t == YAML_STREAM_START_EVENT || t == YAML_STREAM_END_EVENT) {
			if (t == YAML_STREAM_END_EVENT && !doc)
				yr_fail(&r, &ev.start_mark, "empty document");
			yaml_event_delete(&ev);
			if (t == YAML_STREAM_END_EVENT)
				break;
			continue;
		}
		if (t == YAML_DOCUMENT_START_EVENT) {
			if (stage > 0)
				yr_fail(&r, &ev.start_mark,
					"more than one YAML document: a state is one document");
			stage = 1;
		} else if (t == YAML_DOCUMENT_END_EVENT) {
			stage = 3;
		} else {
			doc = node(&r, &ev, 0);
			stage = 2;
		}
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&r.parser);
	if (r.failed) {
		json_decref(doc);
		return NULL;
	}
	return doc;
}
