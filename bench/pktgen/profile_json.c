/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Traffic profiles from JSON, checked strictly: unknown keys, duplicate keys,
 * wrong types and values out of range are refused with the field's path;
 * pg_profile_finish() then checks the rules between fields. The format is in
 * docs/benchmarks.md:
 *
 *   {"src_mac": "02:..", "dst_mac": "02:..",
 *    "streams": [{"name": "legit", "share": 90, "type": "tcp_ack",
 *                 "dst": "192.0.2.80", "dport": 80, "src": "10.0.0.0/8",
 *                 "sport": "1024-65535", "flows": 1000000, "size": 60,
 *                 "random_src": false, "malformed": "none", "expect": "forward",
 *                 "ttl": 64}, ...]}
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "profile_priv.h"

static const char *const expect_names[] = {"forward", "drop"};
static const char *const stream_keys[] = {"name", "share", "type", "dst", "dport", "src", "sport",
	"flows", "random_src", "size", "malformed", "expect", "ttl", NULL};
static const char *const root_keys[] = {"streams", "src_mac", "dst_mac", NULL};

static int
parse_mac(const char *s, uint8_t mac[6])
{
	unsigned v[6];
	char tail;

	if (sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5],
		    &tail) != 6 ||
		strlen(s) != 17)
		return -EINVAL;
	for (int i = 0; i < 6; i++)
		mac[i] = (uint8_t)v[i];
	return 0;
}

static int
check_keys(const json_t *obj, const char *path, const char *const *known, char *err, size_t errlen)
{
	const char *key;
	json_t *v;

	json_object_foreach((json_t *)obj, key, v)
	{
		size_t i;
		for (i = 0; known[i]; i++)
			if (strcmp(key, known[i]) == 0)
				break;
		if (!known[i]) {
			char q[40], p[96];
			snprintf(p, sizeof(p), "%s%s%s", path, path[0] ? "." : "",
				pg_quote(q, sizeof(q), key));
			return pg_fail(err, errlen, p, "unknown key");
		}
	}
	return 0;
}

static int
get_uint(const json_t *v, const char *path, uint64_t lo, uint64_t hi, uint64_t *out, char *err,
	size_t errlen)
{
	if (!json_is_integer(v))
		return pg_fail(err, errlen, path, "expected an integer in %llu..%llu",
			(unsigned long long)lo, (unsigned long long)hi);
	json_int_t n = json_integer_value(v);
	if (n < 0 || (uint64_t)n < lo || (uint64_t)n > hi)
		return pg_fail(err, errlen, path, "%lld is outside %llu..%llu", (long long)n,
			(unsigned long long)lo, (unsigned long long)hi);
	*out = (uint64_t)n;
	return 0;
}

static int
get_enum(const json_t *v, const char *path, const char *const *names, int n, int *out, char *err,
	size_t errlen)
{
	char q[40];

	if (!json_is_string(v))
		return pg_fail(err, errlen, path, "expected a string");
	for (int i = 0; i < n; i++) {
		if (strcmp(json_string_value(v), names[i]) == 0) {
			*out = i;
			return 0;
		}
	}
	char list[128] = "";
	for (int i = 0; i < n; i++)
		snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s", i ? ", " : "",
			names[i]);
	return pg_fail(err, errlen, path, "'%s' is not one of %s",
		pg_quote(q, sizeof(q), json_string_value(v)), list);
}

static int
dec_stream(const json_t *o, unsigned idx, struct pg_stream *s, char *err, size_t errlen)
{
	char path[48], fp[96], q[48];
	json_t *v;
	uint64_t u;
	int e, rc;
	bool have_expect = false;

	snprintf(path, sizeof(path), "streams[%u]", idx);
	if (!json_is_object(o))
		return pg_fail(err, errlen, path, "expected an object");
	rc = check_keys(o, path, stream_keys, err, errlen);
	if (rc < 0)
		return rc;
	pg_stream_default(s);
	snprintf(s->name, sizeof(s->name), "s%u", idx);

#define FP(key) (snprintf(fp, sizeof(fp), "%s.%s", path, key), fp)
	if ((v = json_object_get(o, "name"))) {
		const char *n = json_is_string(v) ? json_string_value(v) : NULL;
		size_t len = n ? strlen(n) : 0;
		if (!n || len == 0 || len >= PG_NAME_LEN ||
			strspn(n, "abcdefghijklmnopqrstuvwxyz0123456789_-") != len)
			return pg_fail(err, errlen, FP("name"),
				"expected 1..%d characters of a-z, 0-9, '_' and '-'",
				PG_NAME_LEN - 1);
		memcpy(s->name, n, len + 1);
	}
	if ((v = json_object_get(o, "share"))) {
		if ((rc = get_uint(v, FP("share"), 1, PG_MAX_SHARE, &u, err, errlen)) < 0)
			return rc;
		s->share = (uint32_t)u;
	}
	if ((v = json_object_get(o, "type"))) {
		if ((rc = get_enum(v, FP("type"), pg_type_names, PG_TYPE_MAX, &e, err, errlen)) < 0)
			return rc;
		s->type = (enum pg_type)e;
	}
	if ((v = json_object_get(o, "dst"))) {
		memset(&s->dst, 0, sizeof(s->dst));
		if (!json_is_string(v))
			return pg_fail(err, errlen, FP("dst"), "expected an address (string)");
		if (inet_pton(AF_INET, json_string_value(v), &s->dst.v4) == 1)
			s->family = SL_FAMILY_IPV4;
		else if (inet_pton(AF_INET6, json_string_value(v), s->dst.b) == 1)
			s->family = SL_FAMILY_IPV6;
		else
			return pg_fail(err, errlen, FP("dst"),
				"'%s' is not an IPv4 or IPv6 address",
				pg_quote(q, sizeof(q), json_string_value(v)));
	}
	if ((v = json_object_get(o, "dport"))) {
		if ((rc = get_uint(v, FP("dport"), 1, 65535, &u, err, errlen)) < 0)
			return rc;
		s->dport = (uint16_t)u;
	}
	if ((v = json_object_get(o, "src"))) {
		uint8_t fam;
		if (!json_is_string(v) ||
			pg_parse_prefix(json_string_value(v), &s->src, &fam, &s->src_len) < 0)
			return pg_fail(err, errlen, FP("src"),
				"expected a prefix with its host bits zero (10.0.0.0/8, "
				"fd00::/64)%s%s",
				json_is_string(v) ? ", got " : "",
				json_is_string(v) ? pg_quote(q, sizeof(q), json_string_value(v))
						  : "");
		if (fam != s->family)
			return pg_fail(err, errlen, FP("src"), "family differs from dst's");
	} else if (s->family == SL_FAMILY_IPV6) {
		pg_parse_prefix("fd00:10::/64", &s->src, &(uint8_t){0}, &s->src_len);
	}
	if ((v = json_object_get(o, "sport"))) {
		if (json_is_integer(v)) {
			if ((rc = get_uint(v, FP("sport"), 1, 65535, &u, err, errlen)) < 0)
				return rc;
			s->sport_lo = s->sport_hi = (uint16_t)u;
		} else if (!json_is_string(v) || pg_parse_port_range(json_string_value(v),
							 &s->sport_lo, &s->sport_hi) < 0) {
			return pg_fail(err, errlen, FP("sport"),
				"expected a port or a range \"lo-hi\" within 1..65535");
		}
	}
	if ((v = json_object_get(o, "flows"))) {
		if ((rc = get_uint(v, FP("flows"), 0, PG_MAX_FLOWS, &u, err, errlen)) < 0)
			return rc;
		s->flows = u;
	}
	if ((v = json_object_get(o, "random_src"))) {
		if (!json_is_boolean(v))
			return pg_fail(err, errlen, FP("random_src"), "expected true or false");
		s->random_src = json_is_true(v);
	}
	if ((v = json_object_get(o, "size"))) {
		if (json_is_string(v) && strcmp(json_string_value(v), "imix") == 0) {
			s->imix = true;
		} else {
			if (!json_is_integer(v))
				return pg_fail(err, errlen, FP("size"),
					"expected a frame size in bytes (without FCS) or \"imix\"");
			if ((rc = get_uint(
				     v, FP("size"), PG_ETH_MIN, PG_MAX_FRAME, &u, err, errlen)) < 0)
				return rc;
			s->size = (uint16_t)u;
		}
	}
	if ((v = json_object_get(o, "malformed"))) {
		if ((rc = get_enum(v, FP("malformed"), pg_mal_names, PG_MAL_MAX, &e, err, errlen)) <
			0)
			return rc;
		s->malformed = (enum pg_malformed)e;
	}
	if ((v = json_object_get(o, "expect"))) {
		if ((rc = get_enum(v, FP("expect"), expect_names, 2, &e, err, errlen)) < 0)
			return rc;
		s->expect = (enum pg_expect)e;
		have_expect = true;
	}
	if ((v = json_object_get(o, "ttl"))) {
		if ((rc = get_uint(v, FP("ttl"), 1, 255, &u, err, errlen)) < 0)
			return rc;
		s->ttl = (uint8_t)u;
	}
#undef FP
	if (!have_expect && s->malformed != PG_MAL_NONE)
		s->expect = PG_EXPECT_DROP;
	if (s->random_src && !json_object_get(o, "flows"))
		s->flows = 0;
	return 0;
}

int
pg_profile_from_json(struct pg_profile *p, const char *text, char *err, size_t errlen)
{
	json_error_t je;
	json_t *root, *streams, *v;
	int rc = -EINVAL;

	memset(p, 0, sizeof(*p));
	memcpy(p->src_mac, (uint8_t[]){0x02, 0x50, 0x47, 0, 0, 0x01}, 6);
	memcpy(p->dst_mac, (uint8_t[]){0x02, 0x50, 0x47, 0, 0, 0x02}, 6);
	root = json_loads(text, JSON_REJECT_DUPLICATES, &je);
	if (!root)
		return pg_fail(err, errlen, "", "invalid JSON at line %d, column %d: %s", je.line,
			je.column, je.text);
	if (!json_is_object(root)) {
		pg_fail(err, errlen, "", "expected a JSON object");
		goto out;
	}
	if ((rc = check_keys(root, "", root_keys, err, errlen)) < 0)
		goto out;
	rc = -EINVAL;
	const char *macs[2] = {"src_mac", "dst_mac"};
	uint8_t *dst[2] = {p->src_mac, p->dst_mac};
	for (int i = 0; i < 2; i++) {
		if (!(v = json_object_get(root, macs[i])))
			continue;
		if (!json_is_string(v) || parse_mac(json_string_value(v), dst[i]) < 0) {
			pg_fail(err, errlen, macs[i], "expected a MAC address (02:00:00:00:00:01)");
			goto out;
		}
	}
	streams = json_object_get(root, "streams");
	if (!streams) {
		pg_fail(err, errlen, "streams", "required");
		goto out;
	}
	if (!json_is_array(streams) || json_array_size(streams) == 0 ||
		json_array_size(streams) > PG_MAX_STREAMS) {
		pg_fail(err, errlen, "streams", "expected an array of 1..%d streams",
			PG_MAX_STREAMS);
		goto out;
	}
	p->n_streams = (unsigned)json_array_size(streams);
	for (unsigned i = 0; i < p->n_streams; i++) {
		rc = dec_stream(json_array_get(streams, i), i, &p->streams[i], err, errlen);
		if (rc < 0)
			goto out;
	}
	rc = pg_profile_finish(p, err, errlen);
out:
	json_decref(root);
	return rc;
}

int
pg_profile_load(struct pg_profile *p, const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	long n;
	int rc;

	memset(p, 0, sizeof(*p));
	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -errno;
	}
	if (fseek(f, 0, SEEK_END) < 0 || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) < 0) {
		rc = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto out;
	}
	if (n > (1 << 20)) {
		rc = pg_fail(err, errlen, path, "larger than 1 MiB");
		goto out;
	}
	buf = malloc((size_t)n + 1);
	if (!buf) {
		rc = -ENOMEM;
		snprintf(err, errlen, "%s: out of memory", path);
		goto out;
	}
	if (fread(buf, 1, (size_t)n, f) != (size_t)n) {
		rc = -EIO;
		snprintf(err, errlen, "%s: read error", path);
		goto out;
	}
	buf[n] = '\0';
	rc = pg_profile_from_json(p, buf, err, errlen);
out:
	free(buf);
	fclose(f);
	return rc;
}
