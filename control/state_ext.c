/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What sluiced adds to a VIP: health_check, slow_start_s, min_healthy
 * (docs/api.md). Decoded strictly, like the rest of the document: unknown
 * keys, reals where integers are expected, values out of range, and keys
 * that belong to another check type are refused, each naming its field.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "state.h"
#include "state_priv.h"

const char *const sld_hc_type_names[SLD_HC_TYPE_MAX] = {
	[SLD_HC_NONE] = "none",
	[SLD_HC_TCP] = "tcp",
	[SLD_HC_HTTP] = "http",
	[SLD_HC_EXEC] = "exec",
};

const char *const sld_min_action_names[SLD_MIN_ACTION_MAX] = {
	[SLD_FAIL_OPEN] = "fail_open",
	[SLD_FAIL_CLOSED] = "fail_closed",
};

static const char *const hc_keys[] = {"type", "port", "path", "host", "expect_status", "command",
	"interval_ms", "timeout_ms", "rise", "fall", NULL};
static const char *const min_keys[] = {"count", "percent", "action", NULL};

#define MAX_PATH_LEN 1024
#define MAX_HOST_LEN 255
#define MAX_ARG_LEN  4096

static void
subpath(char *out, const char *path, const char *key)
{
	snprintf(out, SLD_FIELD_LEN, "%s.%s", path, key);
}

static int
unknown_key(const json_t *obj, const char *path, const char *const *known, struct sld_err *e)
{
	const char *key;
	json_t *v;

	json_object_foreach((json_t *)obj, key, v)
	{
		char esc[64], p[SLD_FIELD_LEN];
		size_t i;

		for (i = 0; known[i] != NULL && strcmp(key, known[i]) != 0; i++)
			;
		if (known[i] != NULL)
			continue;
		sld_escape(esc, sizeof(esc), key);
		subpath(p, path, esc);
		return sld_fail(e, 400, "unknown_field", p, "unknown key");
	}
	return 0;
}

/* @return 1 and *@out when present and valid, 0 when absent, -EINVAL. */
static int
opt_int(const json_t *obj, const char *path, const char *key, long long lo, long long hi,
	long long *out, struct sld_err *e)
{
	const json_t *v = json_object_get(obj, key);
	char p[SLD_FIELD_LEN];

	if (v == NULL)
		return 0;
	subpath(p, path, key);
	if (!json_is_integer(v))
		return sld_fail(
			e, 400, "invalid_field", p, "must be an integer in %lld..%lld", lo, hi);
	*out = json_integer_value(v);
	if (*out < lo)
		return sld_fail(
			e, 400, "invalid_field", p, "%lld is below the minimum %lld", *out, lo);
	if (*out > hi)
		return sld_fail(
			e, 400, "invalid_field", p, "%lld is above the maximum %lld", *out, hi);
	return 1;
}

/* A string of printable ASCII without spaces (paths, host names), 1..@max bytes. */
static int
opt_token(const json_t *obj, const char *path, const char *key, size_t max, const char **out,
	struct sld_err *e)
{
	const json_t *v = json_object_get(obj, key);
	char p[SLD_FIELD_LEN];
	const char *s;
	size_t n;

	*out = NULL;
	if (v == NULL)
		return 0;
	subpath(p, path, key);
	if (!json_is_string(v))
		return sld_fail(e, 400, "invalid_field", p, "must be a string");
	s = json_string_value(v);
	n = json_string_length(v);
	if (n == 0 || n > max)
		return sld_fail(e, 400, "invalid_field", p, "must be 1..%zu characters", max);
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] >= 0x7f)
			return sld_fail(e, 400, "invalid_field", p,
				"must be printable ASCII without spaces (character %zu is not)", i);
	*out = s;
	return 1;
}

static int
dec_command(const json_t *v, const char *path, json_t *hc, struct sld_err *e)
{
	char p[SLD_FIELD_LEN], pi[SLD_FIELD_LEN];
	size_t n;

	subpath(p, path, "command");
	if (!json_is_array(v) || (n = json_array_size(v)) == 0 || n > SLD_HC_MAX_ARGS)
		return sld_fail(e, 400, "invalid_field", p,
			"must be an array of 1..%d strings (the program and its arguments)",
			SLD_HC_MAX_ARGS);
	for (size_t i = 0; i < n; i++) {
		const json_t *a = json_array_get(v, i);

		snprintf(pi, sizeof(pi), "%s[%zu]", p, i);
		if (!json_is_string(a) || json_string_length(a) > MAX_ARG_LEN ||
			strlen(json_string_value(a)) != json_string_length(a))
			return sld_fail(e, 400, "invalid_field", pi,
				"must be a string of at most %d bytes without NUL", MAX_ARG_LEN);
	}
	if (json_string_value(json_array_get(v, 0))[0] != '/')
		return sld_fail(e, 400, "invalid_field", p,
			"the program must be an absolute path (no shell, no PATH search)");
	return json_object_set(hc, "command", (json_t *)v) < 0 ? -ENOMEM : 0;
}

static int
only_for(const json_t *obj, const char *path, int type, struct sld_err *e)
{
	static const struct {
		const char *key;
		int type;
	} owned[] = {{"path", SLD_HC_HTTP}, {"host", SLD_HC_HTTP}, {"expect_status", SLD_HC_HTTP},
		{"command", SLD_HC_EXEC}};
	char p[SLD_FIELD_LEN];

	for (size_t i = 0; i < sizeof(owned) / sizeof(owned[0]); i++) {
		if (owned[i].type == type || json_object_get(obj, owned[i].key) == NULL)
			continue;
		subpath(p, path, owned[i].key);
		return sld_fail(e, 400, "invalid_field", p, "only for type %s, not %s",
			sld_hc_type_names[owned[i].type], sld_hc_type_names[type]);
	}
	return 0;
}

static int
dec_hc(const json_t *in, uint16_t vport, const char *vpath, json_t *canon, struct sld_err *e)
{
	char path[SLD_FIELD_LEN], p[SLD_FIELD_LEN];
	long long interval = SLD_HC_DEF_INTERVAL_MS, timeout = SLD_HC_DEF_TIMEOUT_MS;
	long long rise = SLD_HC_DEF_RISE, fall = SLD_HC_DEF_FALL, port = 0, status = 200;
	const char *tname = "none", *s;
	int type = SLD_HC_NONE, rc, has_port, has_timeout;
	json_t *hc;

	subpath(path, vpath, "health_check");
	if (in != NULL && !json_is_object(in))
		return sld_fail(e, 400, "invalid_field", path, "must be an object");
	hc = json_object();
	if (hc == NULL || json_object_set_new(canon, "health_check", hc) < 0)
		return -ENOMEM;
	if (in == NULL)
		in = hc; /* empty: every default */
	rc = unknown_key(in, path, hc_keys, e);
	if (rc < 0)
		return rc;
	if (json_object_get(in, "type") != NULL) {
		subpath(p, path, "type");
		tname = json_string_value(json_object_get(in, "type"));
		for (type = 0; tname != NULL && type < SLD_HC_TYPE_MAX; type++)
			if (strcmp(tname, sld_hc_type_names[type]) == 0)
				break;
		if (tname == NULL || type == SLD_HC_TYPE_MAX)
			return sld_fail(
				e, 400, "invalid_field", p, "must be one of none, tcp, http, exec");
	}
	rc = only_for(in, path, type, e);
	if (rc < 0)
		return rc;
	if ((has_port = opt_int(in, path, "port", 1, 65535, &port, e)) < 0)
		return has_port;
	if (!has_port && vport == 0 && (type == SLD_HC_TCP || type == SLD_HC_HTTP)) {
		subpath(p, path, "port");
		return sld_fail(e, 400, "invalid_field", p,
			"required when the VIP's port is 0 (every port)");
	}
	if ((rc = opt_int(in, path, "interval_ms", SLD_HC_MIN_INTERVAL_MS, SLD_HC_MAX_INTERVAL_MS,
		     &interval, e)) < 0)
		return rc;
	if (interval < timeout)
		timeout = interval; /* the default timeout follows a short interval */
	if ((has_timeout = opt_int(
		     in, path, "timeout_ms", SLD_HC_MIN_TIMEOUT_MS, interval, &timeout, e)) < 0) {
		if (strstr(e->message, "above the maximum") != NULL)
			snprintf(e->message + strlen(e->message),
				sizeof(e->message) - strlen(e->message), " (interval_ms)");
		return has_timeout;
	}
	if ((rc = opt_int(in, path, "rise", 1, SLD_HC_MAX_COUNT, &rise, e)) < 0 ||
		(rc = opt_int(in, path, "fall", 1, SLD_HC_MAX_COUNT, &fall, e)) < 0 ||
		(rc = opt_int(in, path, "expect_status", 100, 599, &status, e)) < 0)
		return rc;
	if (json_object_set_new(hc, "type", json_string(sld_hc_type_names[type])) < 0 ||
		(has_port && json_object_set_new(hc, "port", json_integer(port)) < 0) ||
		json_object_set_new(hc, "interval_ms", json_integer(interval)) < 0 ||
		json_object_set_new(hc, "timeout_ms", json_integer(timeout)) < 0 ||
		json_object_set_new(hc, "rise", json_integer(rise)) < 0 ||
		json_object_set_new(hc, "fall", json_integer(fall)) < 0)
		return -ENOMEM;
	if (type == SLD_HC_HTTP) {
		if ((rc = opt_token(in, path, "path", MAX_PATH_LEN, &s, e)) < 0)
			return rc;
		if (s != NULL && s[0] != '/') {
			subpath(p, path, "path");
			return sld_fail(e, 400, "invalid_field", p, "must start with '/'");
		}
		if (json_object_set_new(hc, "path", json_string(s ? s : "/")) < 0)
			return -ENOMEM;
		if ((rc = opt_token(in, path, "host", MAX_HOST_LEN, &s, e)) < 0)
			return rc;
		if (s != NULL && json_object_set_new(hc, "host", json_string(s)) < 0)
			return -ENOMEM;
		if (json_object_set_new(hc, "expect_status", json_integer(status)) < 0)
			return -ENOMEM;
	}
	if (type == SLD_HC_EXEC) {
		const json_t *cmd = json_object_get(in, "command");

		if (cmd == NULL) {
			subpath(p, path, "command");
			return sld_fail(e, 400, "invalid_field", p, "required for type exec");
		}
		return dec_command(cmd, path, hc, e);
	}
	return 0;
}

static int
dec_min(const json_t *in, const char *vpath, json_t *canon, struct sld_err *e)
{
	char path[SLD_FIELD_LEN], p[SLD_FIELD_LEN];
	long long count = 1, percent = 0;
	int action = SLD_FAIL_OPEN, rc;
	const json_t *a;

	subpath(path, vpath, "min_healthy");
	if (in != NULL) {
		if (!json_is_object(in))
			return sld_fail(e, 400, "invalid_field", path, "must be an object");
		if ((rc = unknown_key(in, path, min_keys, e)) < 0 ||
			(rc = opt_int(in, path, "count", 0, SL_CFG_MAX_BACKENDS, &count, e)) < 0 ||
			(rc = opt_int(in, path, "percent", 0, 100, &percent, e)) < 0)
			return rc;
		a = json_object_get(in, "action");
		if (a != NULL) {
			const char *s = json_string_value(a);

			subpath(p, path, "action");
			for (action = 0; s != NULL && action < SLD_MIN_ACTION_MAX; action++)
				if (strcmp(s, sld_min_action_names[action]) == 0)
					break;
			if (s == NULL || action == SLD_MIN_ACTION_MAX)
				return sld_fail(e, 400, "invalid_field", p,
					"must be fail_open or fail_closed");
		}
	}
	return json_object_set_new(canon, "min_healthy",
		       json_pack("{s:I, s:I, s:s}", "count", (json_int_t)count, "percent",
			       (json_int_t)percent, "action", sld_min_action_names[action])) < 0
		       ? -ENOMEM
		       : 0;
}

int
sld_ext_decode(
	const json_t *vip, uint16_t vport, const char *path, json_t *canon, struct sld_err *e)
{
	long long slow = 0;
	int rc;

	rc = dec_hc(json_object_get(vip, "health_check"), vport, path, canon, e);
	if (rc == -ENOMEM)
		return sld_fail(e, 500, "internal", "", "out of memory");
	if (rc < 0)
		return rc;
	rc = opt_int(vip, path, "slow_start_s", 0, SLD_MAX_SLOW_START_S, &slow, e);
	if (rc < 0)
		return rc;
	if (json_object_set_new(canon, "slow_start_s", json_integer(slow)) < 0)
		return sld_fail(e, 500, "internal", "", "out of memory");
	rc = dec_min(json_object_get(vip, "min_healthy"), path, canon, e);
	if (rc == -ENOMEM)
		return sld_fail(e, 500, "internal", "", "out of memory");
	return rc;
}

static uint32_t
u32(const json_t *obj, const char *key, uint32_t def)
{
	const json_t *v = json_object_get(obj, key);

	return json_is_integer(v) ? (uint32_t)json_integer_value(v) : def;
}

int
sld_ext_load(const json_t *vip, uint16_t vport, struct sld_vip_ext *ext)
{
	const json_t *hc = json_object_get(vip, "health_check");
	const json_t *min = json_object_get(vip, "min_healthy");
	const json_t *cmd = json_object_get(hc, "command");
	const char *t = json_string_value(json_object_get(hc, "type"));
	const char *a = json_string_value(json_object_get(min, "action"));

	ext->hc.type = SLD_HC_NONE;
	for (int i = 0; t != NULL && i < SLD_HC_TYPE_MAX; i++)
		if (strcmp(t, sld_hc_type_names[i]) == 0)
			ext->hc.type = (uint8_t)i;
	ext->hc.port = (uint16_t)u32(hc, "port", vport);
	ext->hc.interval_ms = u32(hc, "interval_ms", SLD_HC_DEF_INTERVAL_MS);
	ext->hc.timeout_ms = u32(hc, "timeout_ms", SLD_HC_DEF_TIMEOUT_MS);
	ext->hc.rise = u32(hc, "rise", SLD_HC_DEF_RISE);
	ext->hc.fall = u32(hc, "fall", SLD_HC_DEF_FALL);
	ext->hc.expect_status = (uint16_t)u32(hc, "expect_status", 200);
	ext->hc.path = json_string_value(json_object_get(hc, "path"));
	ext->hc.host = json_string_value(json_object_get(hc, "host"));
	ext->hc.argv = NULL;
	if (json_is_array(cmd)) {
		size_t n = json_array_size(cmd);

		ext->hc.argv = calloc(n + 1, sizeof(*ext->hc.argv));
		if (ext->hc.argv == NULL)
			return -ENOMEM;
		for (size_t i = 0; i < n; i++)
			ext->hc.argv[i] = json_string_value(json_array_get(cmd, i));
	}
	ext->slow_start_s = u32(vip, "slow_start_s", 0);
	ext->min_count = u32(min, "count", 1);
	ext->min_percent = u32(min, "percent", 0);
	ext->min_action =
		a != NULL && strcmp(a, "fail_closed") == 0 ? SLD_FAIL_CLOSED : SLD_FAIL_OPEN;
	return 0;
}
