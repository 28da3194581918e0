/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The rule-set edits of the filter verbs: rules compared by meaning (a bare
 * address is its host prefix, 2001:DB8:: is 2001:db8::, a scoped rule is
 * only the same as a rule with the same scope), the plain-array form of
 * "deny" kept as the object form, overrides keyed by prefix.
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "filter_priv.h"
#include "lbadm.h"

/* "192.0.2.1", "192.0.2.1/32", "2001:DB8::/32": family, address bytes, length. */
static bool
parse_prefix(const char *s, int *family, unsigned char *addr, unsigned *len)
{
	char buf[64];
	const char *slash = s ? strchr(s, '/') : NULL;
	size_t n = slash ? (size_t)(slash - s) : (s ? strlen(s) : 0);
	unsigned long long l;

	if (!s || n == 0 || n >= sizeof(buf))
		return false;
	memcpy(buf, s, n);
	buf[n] = '\0';
	memset(addr, 0, 16);
	if (inet_pton(AF_INET, buf, addr) == 1)
		*family = AF_INET;
	else if (inet_pton(AF_INET6, buf, addr) == 1)
		*family = AF_INET6;
	else
		return false;
	*len = *family == AF_INET ? 32 : 128;
	if (slash) {
		if (lb_parse_uint(slash + 1, 0, *len, &l) < 0)
			return false;
		*len = (unsigned)l;
	}
	return true;
}

/* Same prefix, whatever the spelling (a bare address is its host prefix). */
static bool
prefix_eq(json_t *a, json_t *b)
{
	unsigned char x[16], y[16];
	unsigned lx, ly;
	int fx, fy;

	if (!parse_prefix(json_string_value(a), &fx, x, &lx) ||
		!parse_prefix(json_string_value(b), &fy, y, &ly))
		return json_equal(a, b) != 0;
	return fx == fy && lx == ly && memcmp(x, y, 16) == 0;
}

/* Same rule: a prefix string, or {"prefix", "vip", "protocol", "port"}. */
static bool
same_rule(json_t *a, json_t *b)
{
	if (json_is_string(a) || json_is_string(b)) {
		json_t *pa = json_is_string(a) ? a : json_object_get(a, "prefix");
		json_t *pb = json_is_string(b) ? b : json_object_get(b, "prefix");
		/* {"prefix": P} alone is the same rule as "P". */
		json_t *scoped = json_is_string(a) ? b : a;
		if (json_is_object(scoped) && json_object_size(scoped) != 1)
			return false;
		return prefix_eq(pa, pb);
	}
	json_t *pa = json_object_get(a, "port"), *pb = json_object_get(b, "port");
	json_t *va = json_object_get(a, "vip"), *vb = json_object_get(b, "vip");
	const char *ra = json_string_value(json_object_get(a, "protocol"));
	const char *rb = json_string_value(json_object_get(b, "protocol"));
	bool vip_same = (!va && !vb) ||
			(va && vb && lb_addr_eq(json_string_value(va), json_string_value(vb)));
	bool proto_same = (!ra && !rb) || (ra && rb && strcmp(ra, rb) == 0);

	return prefix_eq(json_object_get(a, "prefix"), json_object_get(b, "prefix")) && vip_same &&
	       proto_same && json_integer_value(pa) == json_integer_value(pb);
}

/* The deny rule the operands and scope options describe, for @prefix. */
static json_t *
deny_rule(const char *prefix, struct fopts *o)
{
	json_t *port = json_object_get(o->ints, "port");

	if (!o->vip && !o->proto && !port)
		return json_string(prefix);
	json_t *r = json_pack("{s:s}", "prefix", prefix);
	if (o->vip)
		json_object_set_new(r, "vip", json_string(o->vip));
	if (o->proto)
		json_object_set_new(r, "protocol", json_string(o->proto));
	if (port)
		json_object_set(r, "port", port);
	return r;
}

static int
edit_list(json_t *list, struct fopts *o, json_t *(*make)(const char *p, struct fopts *o))
{
	for (int i = 0; i < o->nargs; i++) {
		json_t *item = make(o->args[i], o);
		size_t k, found = (size_t)-1;
		json_t *x;
		json_array_foreach(list, k, x)
		{
			if (same_rule(x, item))
				found = k;
		}
		if (o->del && found != (size_t)-1)
			json_array_remove(list, found);
		else if (o->del) {
			char *s = json_dumps(item, JSON_ENCODE_ANY | JSON_COMPACT);
			int rc = lb_fail(
				LB_EXIT_NOT_FOUND, "not_found", NULL, "no such rule: %s", s);
			free(s);
			json_decref(item);
			return rc;
		} else if (found == (size_t)-1)
			json_array_append(list, item);
		json_decref(item);
	}
	return 0;
}

static json_t *
allow_item(const char *p, struct fopts *o)
{
	(void)o;
	return json_string(p);
}

int
lb_filter_edit_deny(json_t *rules, struct fopts *o)
{
	json_t *deny = json_object_get(rules, "deny");

	if (json_is_array(deny)) {
		/* The plain-array form: the same rules, in the object form. */
		deny = json_pack("{s:O}", "rules", deny);
		json_object_set_new(rules, "deny", deny);
	} else if (!json_is_object(deny)) {
		deny = json_object();
		json_object_set_new(rules, "deny", deny);
	}
	json_t *list = json_object_get(deny, "rules");
	if (!json_is_array(list)) {
		list = json_array();
		json_object_set_new(deny, "rules", list);
	}
	return edit_list(list, o, deny_rule);
}

int
lb_filter_edit_allow(json_t *rules, struct fopts *o)
{
	json_t *list = json_object_get(rules, "allow");

	if (!json_is_array(list)) {
		list = json_array();
		json_object_set_new(rules, "allow", list);
	}
	return edit_list(list, o, allow_item);
}

static json_t *
sub(json_t *o, const char *key)
{
	json_t *s = json_object_get(o, key);

	if (!json_is_object(s)) {
		s = json_object();
		json_object_set_new(o, key, s);
	}
	return s;
}

/* Copy the rate fields given as options into @dst. */
static void
rate_fields(json_t *dst, json_t *ints)
{
	static const char *const map[][2] = {
		{"pps", "pps"},
		{"bps", "bps"},
		{"burst-packets", "burst_packets"},
		{"burst-bytes", "burst_bytes"},
	};
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
		json_t *v = json_object_get(ints, map[i][0]);
		if (v)
			json_object_set(dst, map[i][1], v);
	}
}

int
lb_filter_edit_rate(json_t *rules, struct fopts *o)
{
	json_t *rl = sub(rules, "rate_limit");
	json_t *v;

	if (o->prefix) {
		json_t *ov = json_object_get(rl, "overrides"), *x;
		size_t i, found = (size_t)-1;
		if (!json_is_array(ov)) {
			ov = json_array();
			json_object_set_new(rl, "overrides", ov);
		}
		json_array_foreach(ov, i, x)
		{
			if (json_is_string(json_object_get(x, "prefix")) &&
				strcmp(json_string_value(json_object_get(x, "prefix")),
					o->prefix) == 0)
				found = i;
		}
		if (o->del) {
			if (found == (size_t)-1)
				return lb_fail(LB_EXIT_NOT_FOUND, "not_found", NULL,
					"no rate-limit override for %s", o->prefix);
			json_array_remove(ov, found);
			return 0;
		}
		json_t *e = json_pack("{s:s}", "prefix", o->prefix);
		if ((v = json_object_get(o->ints, "key-prefix")))
			json_object_set(e, "key_prefix", v);
		rate_fields(e, o->ints);
		if (found == (size_t)-1)
			json_array_append_new(ov, e);
		else
			json_array_set_new(ov, found, e);
		return 0;
	}
	if (o->del)
		return lb_usage(lb_verb, "--delete removes an override: give --prefix");
	rate_fields(rl, o->ints);
	if ((v = json_object_get(o->ints, "key-prefix-v4")))
		json_object_set(rl, "key_prefix_v4", v);
	if ((v = json_object_get(o->ints, "key-prefix-v6")))
		json_object_set(rl, "key_prefix_v6", v);
	if ((v = json_object_get(o->ints, "syn-pps")))
		json_object_set(sub(rules, "syn_limit"), "pps", v);
	if ((v = json_object_get(o->ints, "syn-burst")))
		json_object_set(sub(rules, "syn_limit"), "burst", v);
	if ((v = json_object_get(o->ints, "drop-sample")))
		json_object_set(rules, "drop_sample", v);
	return 0;
}

int
lb_filter_edit_mode(json_t *rules, struct fopts *o)
{
	const char *mode = o->args[0];
	const char *which = o->nargs > 1 ? o->args[1] : "all";
	static const char *const parts[][2] = {
		{"deny", "deny"},
		{"rate", "rate_limit"},
		{"syn", "syn_limit"},
	};
	bool any = false;

	for (size_t i = 0; i < 3; i++) {
		if (strcmp(which, "all") != 0 && strcmp(which, parts[i][0]) != 0)
			continue;
		json_object_set_new(sub(rules, parts[i][1]), "mode", json_string(mode));
		any = true;
	}
	if (!any)
		return lb_usage(lb_verb, "'%s' is not deny, rate, syn or all", which);
	return 0;
}
