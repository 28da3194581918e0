/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The state document: sluiced's keys checked here, the rest by the shared
 * validator (sl_cfg_from_json), and the canonical form rebuilt from what was
 * decoded, so that two documents that mean the same thing compare equal.
 *
 * Order of the checks: the keys sluiced knows at each level (a typo is an
 * unknown_field before anything else), then sluiced's own fields VIP by VIP,
 * then the dataplane's validator over the whole document with sluiced's keys
 * removed. A backend state of "disabled" goes to the validator as "down" and
 * comes back as "disabled"; "down" itself is refused (health checks decide it).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "state.h"
#include "state_priv.h"

static const char *const root_keys[] = {"table_size", "flow_capacity", "syn_cap", "seed", "mtu",
	"ttl", "nexthop_mac", "encap_source_v4", "encap_source_v6", "timeouts", "vips", "filter",
	NULL};
static const char *const vip_keys[] = {"address", "protocol", "port", "hash", "forwarding",
	"backends", "health_check", "slow_start_s", "min_healthy", NULL};
static const char *const backend_keys[] = {"address", "weight", "state", "mac", NULL};

int
sld_fail(struct sld_err *e, int status, const char *code, const char *field, const char *fmt, ...)
{
	va_list ap;

	if (e == NULL)
		return -EINVAL;
	e->status = status;
	e->code = code;
	snprintf(e->field, sizeof(e->field), "%s", field != NULL ? field : "");
	va_start(ap, fmt);
	vsnprintf(e->message, sizeof(e->message), fmt, ap);
	va_end(ap);
	return status == 500 ? -EIO : -EINVAL;
}

int
sld_addr_canon(const char *s, char *out, size_t len)
{
	uint8_t b[16];

	if (s == NULL)
		return -EINVAL;
	if (inet_pton(AF_INET, s, b) == 1)
		return inet_ntop(AF_INET, b, out, (socklen_t)len) ? 0 : -EINVAL;
	if (inet_pton(AF_INET6, s, b) == 1)
		return inet_ntop(AF_INET6, b, out, (socklen_t)len) ? 0 : -EINVAL;
	return -EINVAL;
}

void
sld_vip_key(const struct sl_cfg_vip *v, char *out)
{
	char a[INET6_ADDRSTRLEN] = "?";

	inet_ntop(v->family == SL_FAMILY_IPV6 ? AF_INET6 : AF_INET, v->addr.b, a, sizeof(a));
	snprintf(out, SLD_KEY_LEN, "%s/%s/%u", v->proto == IPPROTO_UDP ? "udp" : "tcp", a, v->port);
}

int
sld_vip_key_parse(
	const char *proto, const char *addr, const char *port, char *out, struct sld_err *e)
{
	char a[INET6_ADDRSTRLEN], esc[64];
	unsigned long p = 0;
	size_t n;

	if (strcmp(proto, "tcp") != 0 && strcmp(proto, "udp") != 0) {
		sld_escape(esc, sizeof(esc), proto);
		return sld_fail(e, 400, "bad_path", "", "'%s' is not a protocol (tcp or udp)", esc);
	}
	if (sld_addr_canon(addr, a, sizeof(a)) < 0) {
		sld_escape(esc, sizeof(esc), addr);
		return sld_fail(e, 400, "bad_path", "", "'%s' is not an IPv4 or IPv6 address", esc);
	}
	n = strlen(port);
	if (n == 0 || n > 5 || strspn(port, "0123456789") != n ||
		(p = strtoul(port, NULL, 10)) > 65535) {
		sld_escape(esc, sizeof(esc), port);
		return sld_fail(e, 400, "bad_path", "", "'%s' is not a port (0..65535)", esc);
	}
	snprintf(out, SLD_KEY_LEN, "%s/%s/%lu", proto, a, p);
	return 0;
}

void
sld_escape(char *out, size_t outlen, const char *s)
{
	size_t o = 0;

	for (; s != NULL && *s != '\0' && o + 5 < outlen; s++) {
		unsigned char c = (unsigned char)*s;

		if (c >= 0x20 && c < 0x7f && c != '\'')
			out[o++] = (char)c;
		else
			o += (size_t)snprintf(out + o, outlen - o, "\\x%02x", c);
	}
	if (s != NULL && *s != '\0' && o + 4 <= outlen) {
		memcpy(out + o, "...", 3);
		o += 3;
	}
	out[o < outlen ? o : outlen - 1] = '\0';
}

/* The identity "PROTO/ADDR/PORT" of a VIP object as given, if it has one. */
int
sld_json_vip_key(const json_t *vip, char *out)
{
	const char *proto = json_string_value(json_object_get(vip, "protocol"));
	const json_t *port = json_object_get(vip, "port");
	char a[INET6_ADDRSTRLEN];
	json_int_t p = 0;

	if (proto == NULL || (strcmp(proto, "tcp") != 0 && strcmp(proto, "udp") != 0))
		return -EINVAL;
	if (sld_addr_canon(json_string_value(json_object_get(vip, "address")), a, sizeof(a)) < 0)
		return -EINVAL;
	if (port != NULL) {
		if (!json_is_integer(port))
			return -EINVAL;
		p = json_integer_value(port);
		if (p < 0 || p > 65535)
			return -EINVAL;
	}
	snprintf(out, SLD_KEY_LEN, "%s/%s/%lld", proto, a, (long long)p);
	return 0;
}

/* "vips[KEY]" when the VIP has an identity, else "vips[I]". */
void
sld_vip_path(char *out, size_t len, const json_t *vip, size_t i)
{
	char key[SLD_KEY_LEN];

	if (sld_json_vip_key(vip, key) == 0)
		snprintf(out, len, "vips[%s]", key);
	else
		snprintf(out, len, "vips[%zu]", i);
}

static void
backend_path(char *out, size_t len, const char *vpath, const json_t *be, size_t j)
{
	char a[INET6_ADDRSTRLEN];

	if (sld_addr_canon(json_string_value(json_object_get(be, "address")), a, sizeof(a)) == 0)
		snprintf(out, len, "%s.backends[%s]", vpath, a);
	else
		snprintf(out, len, "%s.backends[%zu]", vpath, j);
}

static int
check_keys(const json_t *obj, const char *path, const char *const *known, struct sld_err *e)
{
	const char *key;
	json_t *v;

	json_object_foreach((json_t *)obj, key, v)
	{
		char esc[64], p[SLD_FIELD_LEN];
		size_t i;

		for (i = 0; known[i] != NULL; i++)
			if (strcmp(key, known[i]) == 0)
				break;
		if (known[i] != NULL)
			continue;
		sld_escape(esc, sizeof(esc), key);
		snprintf(p, sizeof(p), "%s%s%s", path, path[0] ? "." : "", esc);
		return sld_fail(e, 400, "unknown_field", p, "unknown key");
	}
	return 0;
}

/*
 * Rewrite the validator's index path ("vips[3].backends[1].weight") into an
 * identity path, using the document it validated (same order as @vips).
 */
static void
translate_path(const char *in, const json_t *vips, char *out, size_t len)
{
	unsigned int i, j;
	int n = 0, m = 0;
	char vp[SLD_FIELD_LEN], bp[SLD_FIELD_LEN];
	const json_t *vip, *be;

	if (sscanf(in, "vips[%u]%n", &i, &n) != 1 || n == 0 ||
		(vip = json_array_get(vips, i)) == NULL) {
		snprintf(out, len, "%s", in);
		return;
	}
	sld_vip_path(vp, sizeof(vp), vip, i);
	if (sscanf(in + n, ".backends[%u]%n", &j, &m) == 1 && m > 0 &&
		(be = json_array_get(json_object_get(vip, "backends"), j)) != NULL) {
		backend_path(bp, sizeof(bp), vp, be, j);
		snprintf(out, len, "%s%s", bp, in + n + m);
		return;
	}
	snprintf(out, len, "%s%s", vp, in + n);
}

/* Map sl_cfg_from_json()'s message ("PATH: why" or "why") onto an API error. */
static int
cfg_error(const char *msg, const json_t *vips, int rc, struct sld_err *e)
{
	const char *sep = strstr(msg, ": ");
	char path[SLD_FIELD_LEN] = "", field[SLD_FIELD_LEN] = "";
	const char *why = msg;

	if (rc == -ENOMEM)
		return sld_fail(e, 500, "internal", "", "out of memory");
	/* A path is made of key characters, brackets, dots and digits. */
	if (sep != NULL && (size_t)(sep - msg) < sizeof(path) &&
		strspn(msg, "abcdefghijklmnopqrstuvwxyz0123456789_.[]") == (size_t)(sep - msg)) {
		memcpy(path, msg, (size_t)(sep - msg));
		path[sep - msg] = '\0';
		why = sep + 2;
		translate_path(path, vips, field, sizeof(field));
	} else if (sep != NULL && strcmp(sep + 2, "unknown key") == 0) {
		/* An escaped unknown key may hold any printable character. */
		snprintf(field, sizeof(field), "%.*s", (int)(sep - msg), msg);
		why = sep + 2;
	}
	if (strcmp(why, "unknown key") == 0)
		return sld_fail(e, 400, "unknown_field", field, "unknown key");
	return sld_fail(e, 400, "invalid_field", field, "%s", why);
}

/* Check sluiced's keys of one backend; "disabled" becomes "down" in @dpbe. */
static int
pre_backend(const json_t *be, json_t *dpbe, const char *path, struct sld_err *e)
{
	const char *state;
	char p[SLD_FIELD_LEN];
	int rc;

	if (!json_is_object(be))
		return 0; /* the validator says what it expected */
	rc = check_keys(be, path, backend_keys, e);
	if (rc < 0)
		return rc;
	state = json_string_value(json_object_get(be, "state"));
	if (state == NULL)
		return 0;
	snprintf(p, sizeof(p), "%s.state", path);
	if (strcmp(state, "down") == 0)
		return sld_fail(e, 400, "invalid_field", p,
			"'down' is what health checks conclude, not a state to set; use "
			"'disabled' to take a backend out of service");
	if (strcmp(state, "disabled") == 0 &&
		json_object_set_new(dpbe, "state", json_string("down")) < 0)
		return sld_fail(e, 500, "internal", "", "out of memory");
	if (strcmp(state, "active") != 0 && strcmp(state, "draining") != 0 &&
		strcmp(state, "disabled") != 0) {
		char esc[48];

		sld_escape(esc, sizeof(esc), state);
		return sld_fail(e, 400, "invalid_field", p,
			"'%s' is not one of active, draining, disabled", esc);
	}
	return 0;
}

/* Check one VIP's sluiced keys, decode them canonically into @canon, strip them from @dpvip. */
static int
pre_vip(const json_t *vip, json_t *dpvip, size_t i, json_t *canon, struct sld_err *e)
{
	static const char *const ext_keys[] = {"health_check", "slow_start_s", "min_healthy"};
	char path[SLD_FIELD_LEN], bpath[SLD_FIELD_LEN];
	const json_t *backends, *port;
	uint16_t vport = 0;
	int rc;

	if (!json_is_object(vip))
		return 0;
	sld_vip_path(path, sizeof(path), vip, i);
	rc = check_keys(vip, path, vip_keys, e);
	if (rc < 0)
		return rc;
	port = json_object_get(vip, "port");
	if (json_is_integer(port) && json_integer_value(port) >= 0 &&
		json_integer_value(port) <= 65535)
		vport = (uint16_t)json_integer_value(port);
	rc = sld_ext_decode(vip, vport, path, canon, e);
	if (rc < 0)
		return rc;
	for (size_t k = 0; k < sizeof(ext_keys) / sizeof(ext_keys[0]); k++)
		json_object_del(dpvip, ext_keys[k]);
	backends = json_object_get(vip, "backends");
	if (!json_is_array(backends))
		return 0;
	for (size_t j = 0; j < json_array_size(backends); j++) {
		const json_t *be = json_array_get(backends, j);

		backend_path(bpath, sizeof(bpath), path, be, j);
		rc = pre_backend(
			be, json_array_get(json_object_get(dpvip, "backends"), j), bpath, e);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* The canonical document from the decoded config and the canonical extensions. */
static int
build_canon(struct sld_state *st, const json_t *in, json_t *exts)
{
	const json_t *vips_in = json_object_get(in, "vips");
	json_t *vips;

	st->doc = sl_cfg_to_jansson(&st->cfg);
	if (st->doc == NULL)
		return -ENOMEM;
	vips = json_object_get(st->doc, "vips");
	for (uint32_t i = 0; i < st->cfg.n_vips; i++) {
		json_t *vip = json_array_get(vips, i), *bes = json_object_get(vip, "backends");
		const json_t *bes_in = json_object_get(json_array_get(vips_in, i), "backends");
		const char *k;
		json_t *v;

		json_object_foreach(json_array_get(exts, i), k, v)
		{
			if (json_object_set(vip, k, v) < 0)
				return -ENOMEM;
		}
		for (uint32_t j = 0; j < st->cfg.vips[i].n_backends; j++) {
			const char *s = json_string_value(
				json_object_get(json_array_get(bes_in, j), "state"));

			if (s == NULL || strcmp(s, "disabled") != 0)
				continue;
			st->cfg.vips[i].backends[j].state = SLD_BACKEND_DISABLED;
			if (json_object_set_new(
				    json_array_get(bes, j), "state", json_string("disabled")) < 0)
				return -ENOMEM;
		}
	}
	return 0;
}

/* Fill st->ext from the canonical document (trusted). */
int
sld_state_load_ext(struct sld_state *st)
{
	const json_t *vips = json_object_get(st->doc, "vips");

	st->ext = calloc(st->cfg.n_vips ? st->cfg.n_vips : 1, sizeof(*st->ext));
	if (st->ext == NULL)
		return -ENOMEM;
	for (uint32_t i = 0; i < st->cfg.n_vips; i++) {
		sld_vip_key(&st->cfg.vips[i], st->ext[i].key);
		if (sld_ext_load(json_array_get(vips, i), st->cfg.vips[i].port, &st->ext[i]) < 0)
			return -ENOMEM;
	}
	return 0;
}

int
sld_state_from_json(struct sld_state *st, const json_t *in, struct sld_err *e)
{
	char err[SL_CFG_ERR_LEN];
	json_t *dp = NULL, *exts = NULL;
	const json_t *vips;
	char *text = NULL;
	int rc;

	memset(st, 0, sizeof(*st));
	sl_cfg_init(&st->cfg);
	if (!json_is_object(in))
		return sld_fail(e, 400, "bad_json", "", "the state must be a JSON object");
	rc = check_keys(in, "", root_keys, e);
	if (rc < 0)
		return rc;
	if (json_object_get(in, "filter") != NULL) {
		sld_fail(e, 501, "not_implemented", "filter",
			"the XDP filter is not wired into sluiced yet");
		return -ENOTSUP;
	}
	dp = json_deep_copy(in);
	exts = json_array();
	if (dp == NULL || exts == NULL)
		goto nomem;
	vips = json_object_get(in, "vips");
	for (size_t i = 0; json_is_array(vips) && i < json_array_size(vips); i++) {
		json_t *canon = json_object();

		if (canon == NULL || json_array_append_new(exts, canon) < 0)
			goto nomem;
		rc = pre_vip(json_array_get(vips, i),
			json_array_get(json_object_get(dp, "vips"), i), i, canon, e);
		if (rc < 0)
			goto out;
	}
	text = json_dumps(dp, JSON_COMPACT);
	if (text == NULL)
		goto nomem;
	rc = sl_cfg_from_json(&st->cfg, text, strlen(text), err, sizeof(err));
	if (rc < 0) {
		rc = cfg_error(err, vips, rc, e);
		goto out;
	}
	if (build_canon(st, in, exts) < 0 || sld_state_load_ext(st) < 0)
		goto nomem;
	rc = 0;
	goto out;
nomem:
	rc = sld_fail(e, 500, "internal", "", "out of memory");
out:
	free(text);
	json_decref(dp);
	json_decref(exts);
	if (rc < 0)
		sld_state_free(st);
	return rc;
}

int
sld_state_empty(struct sld_state *st)
{
	struct sld_err e;
	json_t *doc = json_object();
	int rc;

	if (doc == NULL)
		return -ENOMEM;
	rc = sld_state_from_json(st, doc, &e);
	json_decref(doc);
	return rc;
}

void
sld_state_free(struct sld_state *st)
{
	if (st == NULL)
		return;
	for (uint32_t i = 0; st->ext != NULL && i < st->cfg.n_vips; i++)
		free(st->ext[i].hc.argv);
	free(st->ext);
	sl_cfg_free(&st->cfg);
	json_decref(st->doc);
	memset(st, 0, sizeof(*st));
	sl_cfg_init(&st->cfg);
}

int
sld_state_copy(struct sld_state *dst, const struct sld_state *src)
{
	memset(dst, 0, sizeof(*dst));
	dst->doc = json_deep_copy(src->doc);
	if (dst->doc == NULL || sl_cfg_copy(&dst->cfg, &src->cfg) < 0 ||
		sld_state_load_ext(dst) < 0) {
		sld_state_free(dst);
		return -ENOMEM;
	}
	return 0;
}

int
sld_state_find_vip(const struct sld_state *st, const char *key)
{
	for (uint32_t i = 0; i < st->cfg.n_vips; i++)
		if (strcmp(st->ext[i].key, key) == 0)
			return (int)i;
	return -1;
}
