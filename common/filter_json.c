/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The JSON form of a filter rule set (docs/filter.md, "Rule sets"), for
 * sluice-filter's files and sluiced's store. Errors name the field:
 * "deny.rules[2].port: ...".
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include <sluice/tbucket.h>

#include "filter_priv.h"

struct jctx {
	char *err;
	size_t errlen;
};

static int
jfail(struct jctx *c, const char *fmt, ...)
{
	va_list ap;

	if (c->err && c->errlen) {
		va_start(ap, fmt);
		vsnprintf(c->err, c->errlen, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

/* Refuse keys of @o not in @known (NULL-terminated). */
static int
only_keys(struct jctx *c, json_t *o, const char *field, const char *const *known)
{
	const char *k;
	json_t *v;

	json_object_foreach(o, k, v)
	{
		bool ok = false;
		for (const char *const *p = known; *p; p++)
			ok = ok || strcmp(*p, k) == 0;
		if (!ok)
			return jfail(c, "%s%s%s: unknown field", field, *field ? "." : "", k);
	}
	return 0;
}

static int
get_u64(struct jctx *c, json_t *o, const char *key, const char *field, uint64_t max, uint64_t *out)
{
	json_t *v = json_object_get(o, key);

	if (!v)
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) < 0 ||
		(uint64_t)json_integer_value(v) > max)
		return jfail(c, "%s.%s: must be an integer in 0..%llu", field, key,
			(unsigned long long)max);
	*out = (uint64_t)json_integer_value(v);
	return 0;
}

static int
get_mode(struct jctx *c, json_t *o, const char *field, enum sl_filter_mode *out)
{
	json_t *v = json_object_get(o, "mode");
	const char *s;

	if (!v)
		return 0;
	s = json_string_value(v);
	if (s && strcmp(s, "enforce") == 0)
		*out = SL_FILTER_ENFORCE;
	else if (s && strcmp(s, "monitor") == 0)
		*out = SL_FILTER_MONITOR;
	else
		return jfail(c, "%s.mode: must be \"enforce\" or \"monitor\"", field);
	return 0;
}

static int get_addr(struct jctx *c, json_t *x, const char *field, uint8_t *addr, uint8_t *family);

static int
get_prefix(struct jctx *c, json_t *v, const char *field, struct sl_filter_prefix *p)
{
	char msg[SL_FILTER_ERR_LEN];

	if (!json_is_string(v))
		return jfail(c, "%s: must be a prefix string (\"192.0.2.0/24\")", field);
	if (sl_filter_prefix_parse(p, json_string_value(v), msg, sizeof(msg)) < 0)
		return jfail(c, "%s: %s", field, msg);
	return 0;
}

static int
parse_allow(struct jctx *c, json_t *a, struct sl_filter_cfg *cfg)
{
	char field[48];
	size_t i;
	json_t *v;

	if (!json_is_array(a))
		return jfail(c, "allow: must be an array of prefixes");
	if (json_array_size(a) > SL_FILT_ALLOW_MAX)
		return jfail(c, "allow: %zu prefixes, at most %u", json_array_size(a),
			SL_FILT_ALLOW_MAX);
	cfg->allow = calloc(json_array_size(a) + 1, sizeof(*cfg->allow));
	if (!cfg->allow)
		return -ENOMEM;
	json_array_foreach(a, i, v)
	{
		snprintf(field, sizeof(field), "allow[%zu]", i);
		if (get_prefix(c, v, field, &cfg->allow[i]) < 0)
			return -EINVAL;
		cfg->n_allow++;
	}
	return 0;
}

static int
parse_deny_rule(struct jctx *c, json_t *v, size_t i, struct sl_filter_deny *d)
{
	static const char *const keys[] = {"prefix", "vip", "protocol", "port", NULL};
	char field[64], msg[SL_FILTER_ERR_LEN];
	json_t *x;

	snprintf(field, sizeof(field), "deny.rules[%zu]", i);
	if (json_is_string(v)) {
		strcat(field, ".prefix");
		return get_prefix(c, v, field, &d->src);
	}
	if (!json_is_object(v))
		return jfail(c, "%s: must be a prefix string or an object", field);
	if (only_keys(c, v, field, keys) < 0)
		return -EINVAL;
	{
		char f2[80];
		snprintf(f2, sizeof(f2), "%s.prefix", field);
		if (!json_object_get(v, "prefix"))
			return jfail(c, "%s: missing", f2);
		if (get_prefix(c, json_object_get(v, "prefix"), f2, &d->src) < 0)
			return -EINVAL;
	}
	x = json_object_get(v, "vip");
	if (!x) {
		if (json_object_get(v, "protocol") || json_object_get(v, "port"))
			return jfail(c, "%s: protocol and port scope a rule to a vip: give the vip",
				field);
		return 0;
	}
	d->scoped = true;
	{
		char f2[80];

		snprintf(f2, sizeof(f2), "%s.vip", field);
		if (get_addr(c, x, f2, d->dst, &d->dst_family) < 0)
			return -EINVAL;
	}
	(void)msg;
	x = json_object_get(v, "protocol");
	if (x) {
		const char *p = json_string_value(x);
		if (p && strcmp(p, "tcp") == 0)
			d->proto = IPPROTO_TCP;
		else if (p && strcmp(p, "udp") == 0)
			d->proto = IPPROTO_UDP;
		else
			return jfail(c, "%s.protocol: must be \"tcp\" or \"udp\"", field);
	}
	x = json_object_get(v, "port");
	if (x) {
		if (!json_is_integer(x) || json_integer_value(x) < 0 ||
			json_integer_value(x) > 65535)
			return jfail(c, "%s.port: must be an integer in 0..65535", field);
		d->port = (uint16_t)json_integer_value(x);
	}
	return 0;
}

static int
parse_deny(struct jctx *c, json_t *o, struct sl_filter_cfg *cfg)
{
	static const char *const keys[] = {"mode", "rules", NULL};
	json_t *rules = o, *v;
	size_t i;
	int rc;

	if (json_is_object(o)) {
		if (only_keys(c, o, "deny", keys) < 0 ||
			get_mode(c, o, "deny", &cfg->deny_mode) < 0)
			return -EINVAL;
		rules = json_object_get(o, "rules");
		if (!rules)
			return 0;
	}
	if (!json_is_array(rules))
		return jfail(c, "deny.rules: must be an array");
	if (json_array_size(rules) > SL_FILT_DENY_MAX)
		return jfail(c, "deny.rules: %zu rules, at most %u", json_array_size(rules),
			SL_FILT_DENY_MAX);
	cfg->deny = calloc(json_array_size(rules) + 1, sizeof(*cfg->deny));
	if (!cfg->deny)
		return -ENOMEM;
	json_array_foreach(rules, i, v)
	{
		if ((rc = parse_deny_rule(c, v, i, &cfg->deny[i])) < 0)
			return rc;
		cfg->n_deny++;
	}
	return 0;
}

static int
parse_rate_fields(struct jctx *c, json_t *o, const char *field, struct sl_filter_rate *r)
{
	if (get_u64(c, o, "pps", field, SL_TB_MAX_UNITS, &r->pps) < 0 ||
		get_u64(c, o, "bps", field, SL_TB_MAX_UNITS, &r->bps) < 0 ||
		get_u64(c, o, "burst_packets", field, SL_TB_MAX_UNITS, &r->burst_pkts) < 0 ||
		get_u64(c, o, "burst_bytes", field, SL_TB_MAX_UNITS, &r->burst_bytes) < 0)
		return -EINVAL;
	return 0;
}

static int
parse_rate(struct jctx *c, json_t *o, struct sl_filter_cfg *cfg)
{
	static const char *const keys[] = {"mode", "key_prefix_v4", "key_prefix_v6", "pps", "bps",
		"burst_packets", "burst_bytes", "overrides", NULL};
	static const char *const okeys[] = {
		"prefix", "key_prefix", "pps", "bps", "burst_packets", "burst_bytes", NULL};
	uint64_t k4 = cfg->key_len4, k6 = cfg->key_len6;
	char field[64];
	json_t *ov, *v;
	size_t i;

	if (!json_is_object(o))
		return jfail(c, "rate_limit: must be an object");
	if (only_keys(c, o, "rate_limit", keys) < 0 ||
		get_mode(c, o, "rate_limit", &cfg->rate_mode) < 0 ||
		get_u64(c, o, "key_prefix_v4", "rate_limit", 32, &k4) < 0 ||
		get_u64(c, o, "key_prefix_v6", "rate_limit", 128, &k6) < 0 ||
		parse_rate_fields(c, o, "rate_limit", &cfg->rate) < 0)
		return -EINVAL;
	cfg->key_len4 = (uint8_t)k4;
	cfg->key_len6 = (uint8_t)k6;
	ov = json_object_get(o, "overrides");
	if (!ov)
		return 0;
	if (!json_is_array(ov))
		return jfail(c, "rate_limit.overrides: must be an array");
	if (json_array_size(ov) > SL_FILT_RATE_MAX)
		return jfail(c, "rate_limit.overrides: %zu, at most %u", json_array_size(ov),
			SL_FILT_RATE_MAX);
	cfg->rate_ovr = calloc(json_array_size(ov) + 1, sizeof(*cfg->rate_ovr));
	if (!cfg->rate_ovr)
		return -ENOMEM;
	json_array_foreach(ov, i, v)
	{
		struct sl_filter_rate_ovr *r = &cfg->rate_ovr[i];
		char f2[80];
		uint64_t kl = 0;

		snprintf(field, sizeof(field), "rate_limit.overrides[%zu]", i);
		if (!json_is_object(v))
			return jfail(c, "%s: must be an object", field);
		if (only_keys(c, v, field, okeys) < 0)
			return -EINVAL;
		snprintf(f2, sizeof(f2), "%s.prefix", field);
		if (!json_object_get(v, "prefix"))
			return jfail(c, "%s: missing", f2);
		if (get_prefix(c, json_object_get(v, "prefix"), f2, &r->src) < 0 ||
			get_u64(c, v, "key_prefix", field, 128, &kl) < 0 ||
			parse_rate_fields(c, v, field, &r->rate) < 0)
			return -EINVAL;
		r->key_len = (uint8_t)kl;
		cfg->n_rate_ovr++;
	}
	return 0;
}

/* An address string into @addr/@family; jfail naming @field otherwise. */
static int
get_addr(struct jctx *c, json_t *x, const char *field, uint8_t *addr, uint8_t *family)
{
	if (!json_is_string(x))
		return jfail(c, "%s: must be an address string", field);
	if (inet_pton(AF_INET, json_string_value(x), addr) == 1)
		*family = 4;
	else if (inet_pton(AF_INET6, json_string_value(x), addr) == 1)
		*family = 6;
	else
		return jfail(
			c, "%s: '%s' is not an IPv4 or IPv6 address", field, json_string_value(x));
	return 0;
}

static int
parse_syn_ovr(struct jctx *c, json_t *v, size_t i, struct sl_filter_syn_ovr *o)
{
	static const char *const keys[] = {"vip", "port", "pps", "burst", NULL};
	char field[64], f2[80];
	json_t *x;

	snprintf(field, sizeof(field), "syn_limit.overrides[%zu]", i);
	if (!json_is_object(v))
		return jfail(c, "%s: must be an object", field);
	if (only_keys(c, v, field, keys) < 0)
		return -EINVAL;
	snprintf(f2, sizeof(f2), "%s.vip", field);
	if (!(x = json_object_get(v, "vip")))
		return jfail(c, "%s: missing", f2);
	if (get_addr(c, x, f2, o->addr, &o->family) < 0)
		return -EINVAL;
	x = json_object_get(v, "port");
	if (x) {
		if (!json_is_integer(x) || json_integer_value(x) < 0 ||
			json_integer_value(x) > 65535)
			return jfail(
				c, "%s.port: must be an integer in 0..65535 (0: all ports)", field);
		o->port = (uint16_t)json_integer_value(x);
	}
	if (!json_object_get(v, "pps"))
		return jfail(c, "%s.pps: missing (0 exempts the VIP from the SYN limit)", field);
	if (get_u64(c, v, "pps", field, SL_TB_MAX_UNITS, &o->pps) < 0 ||
		get_u64(c, v, "burst", field, SL_TB_MAX_UNITS, &o->burst) < 0)
		return -EINVAL;
	return 0;
}

static int
parse_syn(struct jctx *c, json_t *o, struct sl_filter_cfg *cfg)
{
	static const char *const keys[] = {"mode", "pps", "burst", "overrides", NULL};
	json_t *ov, *v;
	size_t i;
	int rc;

	if (!json_is_object(o))
		return jfail(c, "syn_limit: must be an object");
	if (only_keys(c, o, "syn_limit", keys) < 0 ||
		get_mode(c, o, "syn_limit", &cfg->syn_mode) < 0 ||
		get_u64(c, o, "pps", "syn_limit", SL_TB_MAX_UNITS, &cfg->syn_pps) < 0 ||
		get_u64(c, o, "burst", "syn_limit", SL_TB_MAX_UNITS, &cfg->syn_burst) < 0)
		return -EINVAL;
	ov = json_object_get(o, "overrides");
	if (!ov)
		return 0;
	if (!json_is_array(ov))
		return jfail(c, "syn_limit.overrides: must be an array");
	if (json_array_size(ov) > SL_FILT_SYN_MAX)
		return jfail(c, "syn_limit.overrides: %zu, at most %u", json_array_size(ov),
			SL_FILT_SYN_MAX);
	cfg->syn_ovr = calloc(json_array_size(ov) + 1, sizeof(*cfg->syn_ovr));
	if (!cfg->syn_ovr)
		return -ENOMEM;
	json_array_foreach(ov, i, v)
	{
		if ((rc = parse_syn_ovr(c, v, i, &cfg->syn_ovr[i])) < 0)
			return rc;
		cfg->n_syn_ovr++;
	}
	return 0;
}

static int
cfg_from_value(struct sl_filter_cfg *cfg, json_t *root, struct jctx *c)
{
	static const char *const keys[] = {
		"allow", "deny", "rate_limit", "syn_limit", "drop_sample", NULL};
	uint64_t sample = 1;
	json_t *v;
	int rc;

	if (!json_is_object(root))
		return jfail(c, "the filter rule set must be a JSON object");
	if (only_keys(c, root, "", keys) < 0)
		return -EINVAL;
	if ((v = json_object_get(root, "allow")) && (rc = parse_allow(c, v, cfg)) < 0)
		return rc;
	if ((v = json_object_get(root, "deny")) && (rc = parse_deny(c, v, cfg)) < 0)
		return rc;
	if ((v = json_object_get(root, "rate_limit")) && (rc = parse_rate(c, v, cfg)) < 0)
		return rc;
	if ((v = json_object_get(root, "syn_limit")) && (rc = parse_syn(c, v, cfg)) < 0)
		return rc;
	v = json_object_get(root, "drop_sample");
	if (v) {
		if (!json_is_integer(v) || json_integer_value(v) < 1 ||
			json_integer_value(v) > (1 << 30))
			return jfail(c, "drop_sample: must be a power of two in 1..2^30");
		sample = (uint64_t)json_integer_value(v);
	}
	cfg->drop_sample = (uint32_t)sample;
	return sl_filter_cfg_validate(cfg, c->err, c->errlen);
}

int
sl_filter_cfg_from_json(struct sl_filter_cfg *cfg, const char *json, char *err, size_t errlen)
{
	struct jctx c = {err, errlen};
	json_error_t je;
	json_t *root;
	int rc;

	sl_filter_cfg_init(cfg);
	root = json_loads(json, JSON_REJECT_DUPLICATES, &je);
	if (!root)
		return jfail(&c, "JSON line %d column %d: %s", je.line, je.column, je.text);
	rc = cfg_from_value(cfg, root, &c);
	json_decref(root);
	return rc;
}

int
sl_filter_cfg_from_file(struct sl_filter_cfg *cfg, const char *path, char *err, size_t errlen)
{
	struct jctx c = {err, errlen};
	json_error_t je;
	json_t *root;
	int rc;

	sl_filter_cfg_init(cfg);
	root = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
	if (!root)
		return jfail(&c, "%s: line %d column %d: %s", path, je.line, je.column, je.text);
	rc = cfg_from_value(cfg, root, &c);
	json_decref(root);
	return rc;
}

static const char *
mode_str(enum sl_filter_mode m)
{
	return m == SL_FILTER_MONITOR ? "monitor" : "enforce";
}

static json_t *
prefix_json(const struct sl_filter_prefix *p)
{
	char buf[64];

	return json_string(sl_filter_prefix_str(p, buf, sizeof(buf)));
}

static void
rate_json(json_t *o, const struct sl_filter_rate *r)
{
	json_object_set_new(o, "pps", json_integer((json_int_t)r->pps));
	json_object_set_new(o, "bps", json_integer((json_int_t)r->bps));
	json_object_set_new(o, "burst_packets", json_integer((json_int_t)r->burst_pkts));
	json_object_set_new(o, "burst_bytes", json_integer((json_int_t)r->burst_bytes));
}

char *
sl_filter_cfg_to_json(const struct sl_filter_cfg *cfg)
{
	json_t *root = json_object(), *a, *o, *rules, *ov;
	char *out;

	if (!root) {
		errno = ENOMEM;
		return NULL;
	}
	a = json_array();
	for (uint32_t i = 0; i < cfg->n_allow; i++)
		json_array_append_new(a, prefix_json(&cfg->allow[i]));
	json_object_set_new(root, "allow", a);

	o = json_object();
	json_object_set_new(o, "mode", json_string(mode_str(cfg->deny_mode)));
	rules = json_array();
	for (uint32_t i = 0; i < cfg->n_deny; i++) {
		const struct sl_filter_deny *d = &cfg->deny[i];
		char ip[INET6_ADDRSTRLEN];
		json_t *r;

		if (!d->scoped) {
			json_array_append_new(rules, prefix_json(&d->src));
			continue;
		}
		r = json_object();
		json_object_set_new(r, "prefix", prefix_json(&d->src));
		inet_ntop(d->dst_family == 4 ? AF_INET : AF_INET6, d->dst, ip, sizeof(ip));
		json_object_set_new(r, "vip", json_string(ip));
		if (d->proto)
			json_object_set_new(r, "protocol",
				json_string(d->proto == IPPROTO_TCP ? "tcp" : "udp"));
		if (d->port)
			json_object_set_new(r, "port", json_integer(d->port));
		json_array_append_new(rules, r);
	}
	json_object_set_new(o, "rules", rules);
	json_object_set_new(root, "deny", o);

	o = json_object();
	json_object_set_new(o, "mode", json_string(mode_str(cfg->rate_mode)));
	json_object_set_new(o, "key_prefix_v4", json_integer(cfg->key_len4));
	json_object_set_new(o, "key_prefix_v6", json_integer(cfg->key_len6));
	rate_json(o, &cfg->rate);
	ov = json_array();
	for (uint32_t i = 0; i < cfg->n_rate_ovr; i++) {
		json_t *r = json_object();

		json_object_set_new(r, "prefix", prefix_json(&cfg->rate_ovr[i].src));
		json_object_set_new(r, "key_prefix", json_integer(cfg->rate_ovr[i].key_len));
		rate_json(r, &cfg->rate_ovr[i].rate);
		json_array_append_new(ov, r);
	}
	json_object_set_new(o, "overrides", ov);
	json_object_set_new(root, "rate_limit", o);

	o = json_object();
	json_object_set_new(o, "mode", json_string(mode_str(cfg->syn_mode)));
	json_object_set_new(o, "pps", json_integer((json_int_t)cfg->syn_pps));
	json_object_set_new(o, "burst", json_integer((json_int_t)cfg->syn_burst));
	ov = json_array();
	for (uint32_t i = 0; i < cfg->n_syn_ovr; i++) {
		const struct sl_filter_syn_ovr *s = &cfg->syn_ovr[i];
		char ip[INET6_ADDRSTRLEN];
		json_t *r = json_object();

		inet_ntop(s->family == 4 ? AF_INET : AF_INET6, s->addr, ip, sizeof(ip));
		json_object_set_new(r, "vip", json_string(ip));
		json_object_set_new(r, "port", json_integer(s->port));
		json_object_set_new(r, "pps", json_integer((json_int_t)s->pps));
		json_object_set_new(r, "burst", json_integer((json_int_t)s->burst));
		json_array_append_new(ov, r);
	}
	json_object_set_new(o, "overrides", ov);
	json_object_set_new(root, "syn_limit", o);
	json_object_set_new(root, "drop_sample", json_integer(cfg->drop_sample));

	out = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(root);
	if (!out)
		errno = ENOMEM;
	return out;
}
