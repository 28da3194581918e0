/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The config's JSON codec (the form documented in include/sluice/config.h and
 * docs/configuration.md).
 *
 * Decoding is strict, because the document may come from anywhere (a file, a
 * control-socket client): duplicate keys and unknown keys are errors, numbers
 * must be JSON integers within their range (a real such as 80.0 is refused
 * rather than guessed at), strings must not hide a NUL. Every refusal names
 * the field by its path, and any text copied from the input into the message
 * is escaped and cut short. The decoder checks syntax and ranges; the
 * relations between fields are sl_cfg_validate()'s, which runs last.
 *
 * Counts are checked against the limits before anything is allocated for
 * them, so a hostile document costs at most what jansson's own parse costs
 * plus the limits' worth of structs.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include <sluice/config.h>

#include "config_priv.h"
#include "maglev.h"

#define QUOTE_LEN 48 /* untrusted text quoted in a message, escaped, "..." if cut */

struct dec {
	char *err;
	size_t errlen;
	uint64_t n_backends; /* over all VIPs decoded so far */
};

static const char *const root_keys[] = {"table_size", "flow_capacity", "syn_cap", "seed", "mtu",
	"ttl", "nexthop_mac", "encap_source_v4", "encap_source_v6", "timeouts", "vips", NULL};
static const char *const vip_keys[] = {
	"address", "protocol", "port", "hash", "forwarding", "backends", NULL};
static const char *const backend_keys[] = {"address", "weight", "state", "mac", NULL};
static const char *const proto_names[] = {"tcp", "udp"};

static const char *
type_name(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		return "an object";
	case JSON_ARRAY:
		return "an array";
	case JSON_STRING:
		return "a string";
	case JSON_INTEGER:
		return "an integer";
	case JSON_REAL:
		return "a real number";
	case JSON_TRUE:
	case JSON_FALSE:
		return "a boolean";
	case JSON_NULL:
	default:
		return "null";
	}
}

/* "parent.key", or "key" at the top level. */
static void
path_key(char *out, const char *parent, const char *key)
{
	sl_cfg_path(out, "%s%s%s", parent, parent[0] ? "." : "", key);
}

static int
want_type(struct dec *d, const json_t *v, const char *path, json_type type, const char *what)
{
	if (json_typeof(v) == type)
		return 0;
	return sl_cfg_fail(d->err, d->errlen, path, "expected %s, got %s", what, type_name(v));
}

/* Every key of @obj must be in @known: a misspelt key must not be ignored. */
static int
check_keys(struct dec *d, const json_t *obj, const char *path, const char *const *known)
{
	const char *key;
	json_t *v;

	json_object_foreach((json_t *)obj, key, v)
	{
		char esc[QUOTE_LEN], p[SL_CFG_PATH_LEN];
		size_t i;

		for (i = 0; known[i] != NULL; i++)
			if (strcmp(key, known[i]) == 0)
				break;
		if (known[i] != NULL)
			continue;
		/* jansson refuses NUL in keys, so strlen() is the key's length. */
		sl_cfg_escape(esc, sizeof(esc), key, strlen(key));
		path_key(p, path, esc);
		return sl_cfg_fail(d->err, d->errlen, p, "unknown key");
	}
	return 0;
}

static int
get_int(struct dec *d, const json_t *v, const char *path, long long lo, long long hi,
	long long *out)
{
	if (json_is_real(v))
		return sl_cfg_fail(d->err, d->errlen, path,
			"must be an integer in %lld..%lld, got a real number (%g)", lo, hi,
			json_real_value(v));
	if (!json_is_integer(v))
		return want_type(d, v, path, JSON_INTEGER, "an integer");
	*out = json_integer_value(v);
	return sl_cfg_check_range(d->err, d->errlen, path, *out, lo, hi);
}

/* @return 1 and *@out set when @key is present and valid, 0 when absent, -EINVAL. */
static int
opt_int(struct dec *d, const json_t *obj, const char *path, const char *key, long long lo,
	long long hi, long long *out)
{
	const json_t *v = json_object_get(obj, key);
	char p[SL_CFG_PATH_LEN];
	int rc;

	if (v == NULL)
		return 0;
	path_key(p, path, key);
	rc = get_int(d, v, p, lo, hi, out);
	return rc < 0 ? rc : 1;
}

/* A string without NULs; *@len is its length. */
static int
get_str(struct dec *d, const json_t *v, const char *path, const char **s, size_t *len)
{
	if (!json_is_string(v))
		return want_type(d, v, path, JSON_STRING, "a string");
	*s = json_string_value(v);
	*len = json_string_length(v);
	/* The parse allows \u0000 so that we can say where it is. */
	if (strlen(*s) != *len)
		return sl_cfg_fail(d->err, d->errlen, path, "contains a NUL character (\\u0000)");
	return 0;
}

/* The string at @key, which must be there when @required; NULL *@s when absent. */
static int
field_str(struct dec *d, const json_t *obj, const char *path, const char *key, bool required,
	const char **s, size_t *len)
{
	const json_t *v = json_object_get(obj, key);
	char p[SL_CFG_PATH_LEN];

	*s = NULL;
	path_key(p, path, key);
	if (v == NULL)
		return required ? sl_cfg_fail(d->err, d->errlen, p, "required") : 0;
	return get_str(d, v, p, s, len);
}

/* One of @names; *@idx its position. Absent (and not @required) leaves *@idx alone. */
static int
field_enum(struct dec *d, const json_t *obj, const char *path, const char *key, bool required,
	const char *const *names, size_t n, int *idx)
{
	char p[SL_CFG_PATH_LEN], esc[QUOTE_LEN], list[96] = "";
	const char *s;
	size_t len = 0, off = 0;
	int rc;

	rc = field_str(d, obj, path, key, required, &s, &len);
	if (rc < 0 || s == NULL)
		return rc;
	for (size_t i = 0; i < n; i++) {
		if (strcmp(s, names[i]) == 0) {
			*idx = (int)i;
			return 0;
		}
		off += snprintf(list + off, sizeof(list) - off, "%s%s", i ? ", " : "", names[i]);
	}
	path_key(p, path, key);
	sl_cfg_escape(esc, sizeof(esc), s, len);
	return sl_cfg_fail(d->err, d->errlen, p, "'%s' is not one of %s", esc, list);
}

static int
parse_ip(const char *s, union sl_ip *ip, uint8_t *family)
{
	memset(ip, 0, sizeof(*ip));
	if (inet_pton(AF_INET, s, &ip->v4) == 1) {
		*family = SL_FAMILY_IPV4;
		return 0;
	}
	if (inet_pton(AF_INET6, s, ip->b) == 1) {
		*family = SL_FAMILY_IPV6;
		return 0;
	}
	return -EINVAL;
}

static int
field_ip(struct dec *d, const json_t *obj, const char *path, union sl_ip *ip, uint8_t *family)
{
	char p[SL_CFG_PATH_LEN], esc[QUOTE_LEN];
	const char *s;
	size_t len = 0;
	int rc;

	rc = field_str(d, obj, path, "address", true, &s, &len);
	if (rc < 0)
		return rc;
	if (parse_ip(s, ip, family) == 0)
		return 0;
	path_key(p, path, "address");
	sl_cfg_escape(esc, sizeof(esc), s, len);
	return sl_cfg_fail(d->err, d->errlen, p, "'%s' is not an IPv4 or IPv6 address", esc);
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Exactly "xx:xx:xx:xx:xx:xx", hex digits in either case. */
static int
parse_mac(const char *s, size_t len, uint8_t mac[6])
{
	if (len != 17)
		return -EINVAL;
	for (int i = 0; i < 6; i++) {
		int hi = hexval(s[3 * i]), lo = hexval(s[3 * i + 1]);

		if (hi < 0 || lo < 0 || (i < 5 && s[3 * i + 2] != ':'))
			return -EINVAL;
		mac[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

/* @return 1 with @mac set when present, 0 when absent, -EINVAL. */
static int
field_mac(struct dec *d, const json_t *obj, const char *path, const char *key, uint8_t mac[6])
{
	char p[SL_CFG_PATH_LEN], esc[QUOTE_LEN];
	const char *s;
	size_t len = 0;
	int rc;

	rc = field_str(d, obj, path, key, false, &s, &len);
	if (rc < 0 || s == NULL)
		return rc;
	if (parse_mac(s, len, mac) == 0)
		return 1;
	path_key(p, path, key);
	sl_cfg_escape(esc, sizeof(esc), s, len);
	return sl_cfg_fail(d->err, d->errlen, p,
		"'%s' is not a MAC address (six hex pairs such as 02:00:00:00:01:01)", esc);
}

/* "address/length" of one family; host bits are sl_cfg_validate()'s to check. */
static int
field_prefix(struct dec *d, const json_t *obj, const char *key, uint8_t family, union sl_ip *pfx,
	uint8_t *plen)
{
	unsigned int bits = family == SL_FAMILY_IPV4 ? 32 : 128, len = 0;
	char addr[INET6_ADDRSTRLEN], esc[QUOTE_LEN];
	const char *s, *slash, *digits;
	size_t n = 0;
	int rc;

	rc = field_str(d, obj, "", key, false, &s, &n);
	if (rc < 0 || s == NULL)
		return rc;
	slash = strchr(s, '/');
	if (slash == NULL || (size_t)(slash - s) >= sizeof(addr))
		goto bad;
	memcpy(addr, s, (size_t)(slash - s));
	addr[slash - s] = '\0';
	memset(pfx, 0, sizeof(*pfx));
	if (inet_pton(family == SL_FAMILY_IPV4 ? AF_INET : AF_INET6, addr, pfx->b) != 1)
		goto bad;
	digits = slash + 1;
	if (digits[0] == '\0' || strlen(digits) > 3)
		goto bad;
	for (const char *c = digits; *c != '\0'; c++) {
		if (*c < '0' || *c > '9')
			goto bad;
		len = len * 10 + (unsigned int)(*c - '0');
	}
	if (len > bits)
		return sl_cfg_fail(d->err, d->errlen, key,
			"prefix length %u is above the maximum %u", len, bits);
	*plen = (uint8_t)len;
	return 0;
bad:
	sl_cfg_escape(esc, sizeof(esc), s, n);
	return sl_cfg_fail(d->err, d->errlen, key, "'%s' is not an %s prefix (such as %s)", esc,
		family == SL_FAMILY_IPV4 ? "IPv4" : "IPv6",
		family == SL_FAMILY_IPV4 ? "172.16.0.0/16" : "fd00:5100::/64");
}

static int
dec_backend(struct dec *d, const json_t *o, const char *path, struct sl_cfg_backend *be)
{
	long long v;
	int rc, state = SL_BACKEND_ACTIVE;

	rc = want_type(d, o, path, JSON_OBJECT, "an object");
	if (rc < 0)
		return rc;
	rc = check_keys(d, o, path, backend_keys);
	if (rc < 0)
		return rc;
	rc = field_ip(d, o, path, &be->addr, &be->family);
	if (rc < 0)
		return rc;
	be->weight = 100;
	rc = opt_int(d, o, path, "weight", 0, SL_CFG_MAX_WEIGHT, &v);
	if (rc < 0)
		return rc;
	if (rc > 0)
		be->weight = (uint32_t)v;
	rc = field_enum(
		d, o, path, "state", false, sl_cfg_state_names, SL_BACKEND_STATE_MAX, &state);
	if (rc < 0)
		return rc;
	be->state = (uint8_t)state;
	rc = field_mac(d, o, path, "mac", be->mac);
	if (rc < 0)
		return rc;
	be->has_mac = rc > 0;
	return 0;
}

static int
dec_backends(struct dec *d, const json_t *arr, const char *path, struct sl_cfg_vip *vip)
{
	char p[SL_CFG_PATH_LEN];
	size_t n;
	int rc;

	rc = want_type(d, arr, path, JSON_ARRAY, "an array");
	if (rc < 0)
		return rc;
	n = json_array_size(arr);
	if (n > SL_CFG_MAX_BACKENDS)
		return sl_cfg_fail(d->err, d->errlen, path,
			"%zu backends, above the maximum of %u per VIP", n, SL_CFG_MAX_BACKENDS);
	d->n_backends += n;
	if (d->n_backends > SL_CFG_MAX_ALL_BACKENDS)
		return sl_cfg_fail(d->err, d->errlen, "vips",
			"more than %u backends over all VIPs (the maximum)",
			SL_CFG_MAX_ALL_BACKENDS);
	if (n == 0)
		return 0;
	vip->backends = calloc(n, sizeof(*vip->backends));
	if (vip->backends == NULL)
		return -ENOMEM;
	vip->n_backends = (uint32_t)n;
	for (size_t i = 0; i < n; i++) {
		sl_cfg_path(p, "%s[%zu]", path, i);
		rc = dec_backend(d, json_array_get(arr, i), p, &vip->backends[i]);
		if (rc < 0)
			return rc;
	}
	return 0;
}

static int
dec_vip(struct dec *d, const json_t *o, const char *path, struct sl_cfg_vip *vip)
{
	int rc, proto = 0, hash = SL_HASH_5TUPLE, fwd = SL_FWD_ENCAP;
	const json_t *backends;
	char p[SL_CFG_PATH_LEN];
	long long v;

	rc = want_type(d, o, path, JSON_OBJECT, "an object");
	if (rc < 0)
		return rc;
	rc = check_keys(d, o, path, vip_keys);
	if (rc < 0)
		return rc;
	rc = field_ip(d, o, path, &vip->addr, &vip->family);
	if (rc < 0)
		return rc;
	rc = field_enum(d, o, path, "protocol", true, proto_names, 2, &proto);
	if (rc < 0)
		return rc;
	vip->proto = proto == 0 ? IPPROTO_TCP : IPPROTO_UDP;
	rc = opt_int(d, o, path, "port", 0, UINT16_MAX, &v);
	if (rc < 0)
		return rc;
	vip->port = rc > 0 ? (uint16_t)v : 0;
	rc = field_enum(d, o, path, "hash", false, sl_cfg_hash_names, SL_HASH_VARIANT_MAX, &hash);
	if (rc < 0)
		return rc;
	vip->hash = (uint8_t)hash;
	rc = field_enum(d, o, path, "forwarding", false, sl_cfg_fwd_names, SL_FWD_MODE_MAX, &fwd);
	if (rc < 0)
		return rc;
	vip->fwd_mode = (uint8_t)fwd;
	backends = json_object_get(o, "backends");
	if (backends == NULL)
		return 0; /* no backends: the VIP's traffic is dropped and counted */
	path_key(p, path, "backends");
	return dec_backends(d, backends, p, vip);
}

static int
dec_timeouts(struct dec *d, const json_t *o, struct sl_cfg *cfg)
{
	const char *keys[SL_CFG_N_TIMEOUTS + 1];
	long long v;
	int rc;

	rc = want_type(d, o, "timeouts", JSON_OBJECT, "an object");
	if (rc < 0)
		return rc;
	memcpy(keys, sl_cfg_timeout_names, sizeof(sl_cfg_timeout_names));
	keys[SL_CFG_N_TIMEOUTS] = NULL;
	rc = check_keys(d, o, "timeouts", keys);
	if (rc < 0)
		return rc;
	for (int i = 0; i < SL_CFG_N_TIMEOUTS; i++) {
		rc = opt_int(d, o, "timeouts", sl_cfg_timeout_names[i], SL_CFG_MIN_TIMEOUT,
			SL_CFG_MAX_TIMEOUT, &v);
		if (rc < 0)
			return rc;
		if (rc > 0)
			cfg->timeout_s[i] = (uint32_t)v;
	}
	return 0;
}

static int
dec_vips(struct dec *d, const json_t *arr, struct sl_cfg *cfg)
{
	char p[SL_CFG_PATH_LEN];
	size_t n;
	int rc;

	rc = want_type(d, arr, "vips", JSON_ARRAY, "an array");
	if (rc < 0)
		return rc;
	n = json_array_size(arr);
	if (n > SL_CFG_MAX_VIPS)
		return sl_cfg_fail(d->err, d->errlen, "vips", "%zu VIPs, above the maximum of %u",
			n, SL_CFG_MAX_VIPS);
	if (n == 0)
		return 0;
	cfg->vips = calloc(n, sizeof(*cfg->vips));
	if (cfg->vips == NULL)
		return -ENOMEM;
	cfg->n_vips = (uint32_t)n;
	for (size_t i = 0; i < n; i++) {
		sl_cfg_path(p, "vips[%zu]", i);
		rc = dec_vip(d, json_array_get(arr, i), p, &cfg->vips[i]);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* One integer global: {key, range, where it goes and how wide}. */
struct int_field {
	const char *key;
	long long lo, hi;
	size_t off;
	size_t size;
};

#define INT_FIELD(k, f, l, h)                                                                      \
	{                                                                                          \
		k, l, h, offsetof(struct sl_cfg, f), sizeof(((struct sl_cfg *)0)->f)               \
	}

static const struct int_field int_fields[] = {
	/* table_size: the prime check, with its suggestion, is the validator's. */
	INT_FIELD("table_size", table_size, SL_MAGLEV_MIN_SIZE, SL_MAGLEV_MAX_SIZE),
	INT_FIELD(
		"flow_capacity", flow_capacity, SL_CFG_MIN_FLOW_CAPACITY, SL_CFG_MAX_FLOW_CAPACITY),
	INT_FIELD("syn_cap", syn_cap, 0, UINT32_MAX),
	INT_FIELD("seed", seed, 0, UINT32_MAX),
	INT_FIELD("mtu", mtu, SL_CFG_MIN_MTU, SL_CFG_MAX_MTU),
	INT_FIELD("ttl", ttl, SL_CFG_MIN_TTL, SL_CFG_MAX_TTL),
};

static int
dec_root(struct dec *d, const json_t *root, struct sl_cfg *cfg)
{
	const json_t *v;
	long long x;
	int rc;

	if (!json_is_object(root))
		return sl_cfg_fail(d->err, d->errlen, "",
			"expected a JSON object at the top level, got %s", type_name(root));
	rc = check_keys(d, root, "", root_keys);
	if (rc < 0)
		return rc;
	for (size_t i = 0; i < sizeof(int_fields) / sizeof(int_fields[0]); i++) {
		const struct int_field *f = &int_fields[i];
		uint8_t *dst = (uint8_t *)cfg + f->off;

		rc = opt_int(d, root, "", f->key, f->lo, f->hi, &x);
		if (rc < 0)
			return rc;
		if (rc == 0)
			continue;
		if (f->size == 4)
			*(uint32_t *)dst = (uint32_t)x;
		else if (f->size == 2)
			*(uint16_t *)dst = (uint16_t)x;
		else
			*dst = (uint8_t)x;
	}
	rc = field_mac(d, root, "", "nexthop_mac", cfg->nexthop_mac);
	if (rc < 0)
		return rc;
	cfg->has_nexthop_mac = rc > 0;
	rc = field_prefix(d, root, "encap_source_v4", SL_FAMILY_IPV4, &cfg->src4_prefix,
		&cfg->src4_prefix_len);
	if (rc < 0)
		return rc;
	rc = field_prefix(d, root, "encap_source_v6", SL_FAMILY_IPV6, &cfg->src6_prefix,
		&cfg->src6_prefix_len);
	if (rc < 0)
		return rc;
	v = json_object_get(root, "timeouts");
	if (v != NULL) {
		rc = dec_timeouts(d, v, cfg);
		if (rc < 0)
			return rc;
	}
	v = json_object_get(root, "vips");
	return v == NULL ? 0 : dec_vips(d, v, cfg);
}

int
sl_cfg_from_json(struct sl_cfg *cfg, const char *json, size_t len, char *err, size_t errlen)
{
	struct dec d = {.err = err, .errlen = errlen};
	char esc[JSON_ERROR_TEXT_LENGTH];
	struct sl_cfg tmp;
	json_error_t jerr;
	json_t *root;
	int rc;

	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (cfg == NULL)
		return sl_cfg_fail(err, errlen, "", "no configuration to fill");
	sl_cfg_init(cfg);
	if (json == NULL && len > 0)
		return sl_cfg_fail(err, errlen, "", "no document given");
	if (len > SL_CFG_MAX_JSON_LEN)
		return sl_cfg_fail(err, errlen, "", "document is %zu bytes, above the maximum %u",
			len, SL_CFG_MAX_JSON_LEN);
	/* JSON_ALLOW_NUL: a \u0000 in a value then reaches get_str(), which
	 * names the field, instead of failing the whole parse anonymously. */
	root = json_loadb(
		json != NULL ? json : "", len, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &jerr);
	if (root == NULL) {
		if (json_error_code(&jerr) == json_error_out_of_memory) {
			sl_cfg_fail(err, errlen, "", "out of memory");
			return -ENOMEM;
		}
		sl_cfg_escape(esc, sizeof(esc), jerr.text, strlen(jerr.text));
		return sl_cfg_fail(err, errlen, "", "invalid JSON at line %d, column %d: %s",
			jerr.line, jerr.column, esc);
	}
	sl_cfg_init(&tmp);
	rc = dec_root(&d, root, &tmp);
	if (rc == -ENOMEM)
		sl_cfg_fail(err, errlen, "", "out of memory");
	if (rc == 0)
		rc = sl_cfg_validate(&tmp, err, errlen);
	json_decref(root);
	if (rc < 0) {
		sl_cfg_free(&tmp);
		return rc;
	}
	*cfg = tmp;
	return 0;
}

int
sl_cfg_load_file(struct sl_cfg *cfg, const char *path, char *err, size_t errlen)
{
	char esc[QUOTE_LEN * 2], *buf = NULL, *nbuf;
	size_t len = 0, cap = 0;
	int fd, rc;

	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (cfg == NULL || path == NULL)
		return sl_cfg_fail(err, errlen, "", "no configuration or no path given");
	sl_cfg_init(cfg);
	sl_cfg_escape(esc, sizeof(esc), path, strlen(path));
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		rc = -errno;
		sl_cfg_fail(err, errlen, esc, "%s", strerrordesc_np(-rc));
		return rc;
	}
	for (;;) {
		ssize_t n;

		if (len == cap) {
			/* One byte past the limit, to tell "at" from "above". */
			if (cap > SL_CFG_MAX_JSON_LEN) {
				rc = -EFBIG;
				sl_cfg_fail(err, errlen, esc, "larger than the maximum %u bytes",
					SL_CFG_MAX_JSON_LEN);
				goto out;
			}
			cap = cap == 0 ? 65536 : cap * 2;
			if (cap > (size_t)SL_CFG_MAX_JSON_LEN + 1)
				cap = (size_t)SL_CFG_MAX_JSON_LEN + 1;
			nbuf = realloc(buf, cap);
			if (nbuf == NULL) {
				rc = -ENOMEM;
				sl_cfg_fail(err, errlen, esc, "out of memory");
				goto out;
			}
			buf = nbuf;
		}
		n = read(fd, buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = -errno;
			sl_cfg_fail(err, errlen, esc, "%s", strerrordesc_np(-rc));
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	rc = sl_cfg_from_json(cfg, buf, len, err, errlen);
out:
	free(buf);
	close(fd);
	return rc;
}

/* ---- encoding ---- */

/* jansson fails only for want of memory once the arguments are valid. */
static json_t *
packed(json_t *v)
{
	if (v == NULL)
		errno = ENOMEM;
	return v;
}

static json_t *
backend_to_json(const struct sl_cfg_backend *be)
{
	char addr[INET6_ADDRSTRLEN], mac[18];

	if (be->state >= SL_BACKEND_STATE_MAX ||
		sl_cfg_ip_str(be->family, &be->addr, addr, sizeof(addr)) == NULL) {
		errno = EINVAL;
		return NULL;
	}
	sl_cfg_mac_str(be->mac, mac);
	/* "s*": the key is left out when the value is NULL (jansson >= 2.11). */
	return packed(json_pack("{s:s, s:I, s:s, s:s*}", "address", addr, "weight",
		(json_int_t)be->weight, "state", sl_cfg_state_names[be->state], "mac",
		be->has_mac ? mac : NULL));
}

static json_t *
vip_to_json(const struct sl_cfg_vip *vip)
{
	char addr[INET6_ADDRSTRLEN];
	const char *proto = sl_cfg_proto_name(vip->proto);
	json_t *backends, *be;

	if (proto == NULL || vip->hash >= SL_HASH_VARIANT_MAX || vip->fwd_mode >= SL_FWD_MODE_MAX ||
		sl_cfg_ip_str(vip->family, &vip->addr, addr, sizeof(addr)) == NULL ||
		(vip->n_backends > 0 && vip->backends == NULL)) {
		errno = EINVAL;
		return NULL;
	}
	backends = packed(json_array());
	if (backends == NULL)
		return NULL;
	for (uint32_t i = 0; i < vip->n_backends; i++) {
		be = backend_to_json(&vip->backends[i]);
		/* json_array_append_new() releases @be even when it fails. */
		if (be == NULL || json_array_append_new(backends, be) < 0) {
			if (be != NULL)
				errno = ENOMEM;
			json_decref(backends);
			return NULL;
		}
	}
	/* "o" hands @backends over to the result, even on failure (jansson >= 2.11). */
	return packed(json_pack("{s:s, s:s, s:I, s:s, s:s, s:o}", "address", addr, "protocol",
		proto, "port", (json_int_t)vip->port, "hash", sl_cfg_hash_names[vip->hash],
		"forwarding", sl_cfg_fwd_names[vip->fwd_mode], "backends", backends));
}

json_t *
sl_cfg_to_jansson(const struct sl_cfg *cfg)
{
	char mac[18], a4[INET_ADDRSTRLEN], a6[INET6_ADDRSTRLEN];
	char p4[INET_ADDRSTRLEN + 4], p6[INET6_ADDRSTRLEN + 4];
	json_t *vips, *vip, *timeouts;
	const uint32_t *t;

	if (cfg == NULL || (cfg->n_vips > 0 && cfg->vips == NULL)) {
		errno = EINVAL;
		return NULL;
	}
	t = cfg->timeout_s;
	sl_cfg_mac_str(cfg->nexthop_mac, mac);
	sl_cfg_ip_str(SL_FAMILY_IPV4, &cfg->src4_prefix, a4, sizeof(a4));
	sl_cfg_ip_str(SL_FAMILY_IPV6, &cfg->src6_prefix, a6, sizeof(a6));
	snprintf(p4, sizeof(p4), "%s/%u", a4, cfg->src4_prefix_len);
	snprintf(p6, sizeof(p6), "%s/%u", a6, cfg->src6_prefix_len);
	timeouts = packed(json_pack("{s:I, s:I, s:I, s:I, s:I}", sl_cfg_timeout_names[0],
		(json_int_t)t[0], sl_cfg_timeout_names[1], (json_int_t)t[1],
		sl_cfg_timeout_names[2], (json_int_t)t[2], sl_cfg_timeout_names[3],
		(json_int_t)t[3], sl_cfg_timeout_names[4], (json_int_t)t[4]));
	if (timeouts == NULL)
		return NULL;
	vips = packed(json_array());
	if (vips == NULL)
		goto err_timeouts;
	for (uint32_t i = 0; i < cfg->n_vips; i++) {
		vip = vip_to_json(&cfg->vips[i]);
		if (vip == NULL)
			goto err_vips;
		if (json_array_append_new(vips, vip) < 0) {
			errno = ENOMEM;
			goto err_vips;
		}
	}
	/* "o" hands both over to the result, even on failure. */
	return packed(json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:s*, s:s, s:s, s:o, s:o}",
		"table_size", (json_int_t)cfg->table_size, "flow_capacity",
		(json_int_t)cfg->flow_capacity, "syn_cap", (json_int_t)cfg->syn_cap, "seed",
		(json_int_t)cfg->seed, "mtu", (json_int_t)cfg->mtu, "ttl", (json_int_t)cfg->ttl,
		"nexthop_mac", cfg->has_nexthop_mac ? mac : NULL, "encap_source_v4", p4,
		"encap_source_v6", p6, "timeouts", timeouts, "vips", vips));

err_vips:
	json_decref(vips);
err_timeouts:
	json_decref(timeouts);
	return NULL;
}

char *
sl_cfg_to_json(const struct sl_cfg *cfg)
{
	json_t *root = sl_cfg_to_jansson(cfg);
	char *s;

	if (root == NULL)
		return NULL;
	s = json_dumps(root, JSON_INDENT(2));
	json_decref(root);
	if (s == NULL)
		errno = ENOMEM;
	return s;
}
