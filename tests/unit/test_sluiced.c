/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sluiced's state model (control/state.h), its identity diff, the effective
 * config (control/effective.h), the state directory (control/store.h) and
 * what an exec health check inherits (control/health.h). The HTTP API and
 * the health checks against servers are tested end to end
 * (tests/e2e/test_sluiced_*.py).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include <sluice/num.h>

#include "effective.h"
#include "health.h"
#include "state.h"
#include "store.h"
#include "test-common.h"

static json_t *
doc(const char *text)
{
	char *s = strdup(text);
	json_error_t je;
	json_t *j;

	for (char *c = s; *c; c++)
		if (*c == '\'')
			*c = '"';
	j = json_loads(s, JSON_REJECT_DUPLICATES, &je);
	ck_assert_msg(j != NULL, "%s: %s", s, je.text);
	free(s);
	return j;
}

static int
load(struct sld_state *st, const char *text, struct sld_err *e)
{
	json_t *j = doc(text);
	int rc = sld_state_from_json(st, j, e);

	json_decref(j);
	return rc;
}

#define BASE                                                                                       \
	"{'nexthop_mac': '02:00:00:00:00:fe', 'vips': [{'address': '192.0.2.80', 'protocol': "     \
	"'tcp', 'port': 80, %s 'backends': [{'address': '10.0.1.1'}, {'address': '10.0.1.2', "     \
	"'weight': %s, 'state': '%s'}]}]}"

static int
load_base(struct sld_state *st, const char *vipextra, const char *w2, const char *s2,
	struct sld_err *e)
{
	char text[1024];

	snprintf(text, sizeof(text), BASE, vipextra, w2, s2);
	return load(st, text, e);
}

static void
expect_error(const char *vipextra, const char *w2, const char *s2, const char *code,
	const char *field, const char *part)
{
	struct sld_state st;
	struct sld_err e;

	ck_assert_int_eq(load_base(&st, vipextra, w2, s2, &e), -EINVAL);
	ck_assert_str_eq(e.code, code);
	ck_assert_str_eq(e.field, field);
	ck_assert_msg(strstr(e.message, part) != NULL, "'%s' lacks '%s'", e.message, part);
	ck_assert_ptr_null(st.doc);
}

START_TEST(test_state_canonical_defaults)
{
	struct sld_state st;
	struct sld_err e;
	json_t *vip, *hc, *min;

	ck_assert_int_eq(load_base(&st, "", "5", "active", &e), 0);
	vip = json_array_get(json_object_get(st.doc, "vips"), 0);
	hc = json_object_get(vip, "health_check");
	min = json_object_get(vip, "min_healthy");
	ck_assert_str_eq(json_string_value(json_object_get(hc, "type")), "none");
	ck_assert_int_eq(json_integer_value(json_object_get(hc, "interval_ms")), 2000);
	ck_assert_int_eq(json_integer_value(json_object_get(vip, "slow_start_s")), 0);
	ck_assert_int_eq(json_integer_value(json_object_get(min, "count")), 1);
	ck_assert_str_eq(json_string_value(json_object_get(min, "action")), "fail_open");
	ck_assert_int_eq(json_integer_value(json_object_get(st.doc, "mtu")), 1500);
	ck_assert_str_eq(st.ext[0].key, "tcp/192.0.2.80/80");
	ck_assert_int_eq(st.cfg.vips[0].backends[1].weight, 5);
	sld_state_free(&st);
	/* A short interval brings the default timeout down with it. */
	ck_assert_int_eq(load_base(&st, "'health_check': {'type': 'tcp', 'interval_ms': 300},", "5",
				 "active", &e),
		0);
	ck_assert_int_eq(st.ext[0].hc.timeout_ms, 300);
	ck_assert_int_eq(st.ext[0].hc.port, 80);
	sld_state_free(&st);
}
END_TEST

START_TEST(test_state_error_paths_are_identities)
{
	expect_error("", "70000", "active", "invalid_field",
		"vips[tcp/192.0.2.80/80].backends[10.0.1.2].weight", "above the maximum 65535");
	expect_error("'hash': 'rr',", "1", "active", "invalid_field",
		"vips[tcp/192.0.2.80/80].hash", "not one of");
	expect_error("'wat': 1,", "1", "active", "unknown_field", "vips[tcp/192.0.2.80/80].wat",
		"unknown key");
	expect_error("", "1", "down", "invalid_field",
		"vips[tcp/192.0.2.80/80].backends[10.0.1.2].state", "health checks");
	expect_error("'health_check': {'type': 'tcp', 'interval_ms': 200, 'timeout_ms': 300},", "1",
		"active", "invalid_field", "vips[tcp/192.0.2.80/80].health_check.timeout_ms",
		"above the maximum 200");
	expect_error("'health_check': {'type': 'exec'},", "1", "active", "invalid_field",
		"vips[tcp/192.0.2.80/80].health_check.command", "required");
	expect_error("'min_healthy': {'percent': 101},", "1", "active", "invalid_field",
		"vips[tcp/192.0.2.80/80].min_healthy.percent", "above the maximum 100");
}
END_TEST

START_TEST(test_state_disabled_roundtrip)
{
	struct sld_state st, copy;
	struct sld_err e;
	json_t *be;

	ck_assert_int_eq(load_base(&st, "", "1", "disabled", &e), 0);
	ck_assert_int_eq(st.cfg.vips[0].backends[1].state, SLD_BACKEND_DISABLED);
	be = json_array_get(
		json_object_get(json_array_get(json_object_get(st.doc, "vips"), 0), "backends"), 1);
	ck_assert_str_eq(json_string_value(json_object_get(be, "state")), "disabled");
	/* The canonical document is a fixed point. */
	ck_assert_int_eq(sld_state_from_json(&copy, st.doc, &e), 0);
	ck_assert(json_equal(copy.doc, st.doc));
	sld_state_free(&copy);
	ck_assert_int_eq(sld_state_copy(&copy, &st), 0);
	ck_assert(json_equal(copy.doc, st.doc));
	ck_assert_int_eq(copy.cfg.vips[0].backends[1].state, SLD_BACKEND_DISABLED);
	sld_state_free(&copy);
	sld_state_free(&st);
}
END_TEST

/* The state's "filter": the filter library validates it, errors under "filter.". */
static void
expect_filter_error(const char *filter, const char *code, const char *field, const char *part)
{
	char text[1024];
	struct sld_state st;
	struct sld_err e;

	snprintf(text, sizeof(text), "{'nexthop_mac': '02:00:00:00:00:fe', 'filter': %s}", filter);
	ck_assert_int_eq(load(&st, text, &e), -EINVAL);
	ck_assert_int_eq(e.status, 400);
	ck_assert_str_eq(e.code, code);
	ck_assert_str_eq(e.field, field);
	ck_assert_msg(
		strstr(e.message, part) != NULL, "%s: '%s' has no '%s'", filter, e.message, part);
}

START_TEST(test_state_filter_validated)
{
	expect_filter_error("[]", "invalid_field", "filter", "must be an object");
	expect_filter_error("{'denny': []}", "unknown_field", "filter.denny", "unknown key");
	expect_filter_error("{'deny': ['10.0.0.1/8']}", "invalid_field",
		"filter.deny.rules[0].prefix", "host bits");
	expect_filter_error("{'deny': {'rules': ['192.0.2.0/24', {'prefix': '10.0.0.0/8', "
			    "'vip': '192.0.2.80', 'port': 70000}]}}",
		"invalid_field", "filter.deny.rules[1].port", "0..65535");
	expect_filter_error("{'rate_limit': {'overrides': [{'prefix': '10.0.0.0/8', "
			    "'burst_bytes': 100, 'bps': 1000}]}}",
		"invalid_field", "filter.rate_limit.overrides[0]", "burst_bytes 100 is smaller");
	expect_filter_error(
		"{'drop_sample': 3}", "invalid_field", "filter.drop_sample", "not a power of two");
}
END_TEST

START_TEST(test_state_filter_canonical)
{
	struct sld_state a, b, none;
	struct sld_err e;
	json_t *diff;

	/* The same rule set written two ways is the same state. */
	ck_assert_int_eq(load(&a,
				 "{'nexthop_mac': '02:00:00:00:00:fe', 'filter': {'deny': "
				 "['198.51.100.0/24', '2001:DB8::/32']}}",
				 &e),
		0);
	ck_assert_int_eq(load(&b,
				 "{'nexthop_mac': '02:00:00:00:00:fe', 'filter': {'allow': [], "
				 "'deny': {'mode': 'enforce', 'rules': ['198.51.100.0/24', "
				 "'2001:db8::/32']}, 'drop_sample': 1}}",
				 &e),
		0);
	ck_assert(json_equal(a.doc, b.doc));
	diff = sld_diff(a.doc, b.doc);
	ck_assert_int_eq(json_array_size(diff), 0);
	json_decref(diff);
	/* A fixed point, and the dataplane's config does not see it. */
	sld_state_free(&b);
	ck_assert_int_eq(sld_state_from_json(&b, a.doc, &e), 0);
	ck_assert(json_equal(a.doc, b.doc));
	ck_assert_int_eq(load(&none, "{'nexthop_mac': '02:00:00:00:00:fe'}", &e), 0);
	ck_assert_ptr_null(json_object_get(none.doc, "filter"));
	ck_assert_int_eq(a.cfg.n_vips, none.cfg.n_vips);
	diff = sld_diff(none.doc, a.doc);
	ck_assert_int_eq(json_array_size(diff), 1);
	ck_assert_str_eq(
		json_string_value(json_object_get(json_array_get(diff, 0), "path")), "filter");
	json_decref(diff);
	sld_state_free(&none);
	sld_state_free(&b);
	sld_state_free(&a);
}
END_TEST

START_TEST(test_diff_by_identity)
{
	struct sld_state a, b;
	struct sld_err e;
	json_t *d, *x;

	ck_assert_int_eq(load_base(&a, "", "1", "active", &e), 0);
	/* Same backends in another order, address written differently: no change. */
	ck_assert_int_eq(
		load(&b,
			"{'nexthop_mac': '02:00:00:00:00:FE', 'vips': [{'address': "
			"'192.0.2.80', 'protocol': 'tcp', 'port': 80, 'backends': "
			"[{'address': '10.0.1.2', 'weight': 1}, {'address': '10.0.1.1'}]}]}",
			&e),
		0);
	d = sld_diff(a.doc, b.doc);
	ck_assert_int_eq(json_array_size(d), 0);
	json_decref(d);
	sld_state_free(&b);
	ck_assert_int_eq(load_base(&b, "'slow_start_s': 5,", "7", "active", &e), 0);
	d = sld_diff(a.doc, b.doc);
	ck_assert_int_eq(json_array_size(d), 2);
	x = json_array_get(d, 0);
	ck_assert_str_eq(json_string_value(json_object_get(x, "path")),
		"vips[tcp/192.0.2.80/80].backends[10.0.1.2].weight");
	ck_assert_int_eq(json_integer_value(json_object_get(x, "old")), 1);
	ck_assert_int_eq(json_integer_value(json_object_get(x, "new")), 7);
	x = json_array_get(d, 1);
	ck_assert_str_eq(json_string_value(json_object_get(x, "path")),
		"vips[tcp/192.0.2.80/80].slow_start_s");
	json_decref(d);
	/* A VIP removed, and added back. */
	sld_state_free(&b);
	ck_assert_int_eq(load(&b, "{'nexthop_mac': '02:00:00:00:00:fe'}", &e), 0);
	d = sld_diff(a.doc, b.doc);
	ck_assert_int_eq(json_array_size(d), 1);
	ck_assert_str_eq(json_string_value(json_object_get(json_array_get(d, 0), "op")), "remove");
	json_decref(d);
	d = sld_diff(b.doc, a.doc);
	ck_assert_str_eq(json_string_value(json_object_get(json_array_get(d, 0), "op")), "add");
	ck_assert_str_eq(json_string_value(json_object_get(json_array_get(d, 0), "path")),
		"vips[tcp/192.0.2.80/80]");
	json_decref(d);
	sld_state_free(&a);
	sld_state_free(&b);
}
END_TEST

/* A fake health checker: backend .1 as given, the rest up since @since. */
static uint8_t h1;
static uint64_t since;

static void
fake_lookup(void *ctx, const char *vip, const char *addr, struct sld_hview *v)
{
	(void)ctx;
	(void)vip;
	v->health = strcmp(addr, "10.0.1.1") == 0 ? h1 : SLD_H_UP;
	v->up_since_ms = strcmp(addr, "10.0.1.1") == 0 ? 0 : since;
}

static void
effective(const char *vipextra, const char *s2, uint8_t health1, uint8_t want1, uint8_t want2,
	uint8_t want_mode)
{
	struct sld_state st;
	struct sld_err e;
	struct sl_cfg out;
	uint8_t mode;

	h1 = health1;
	since = 0;
	ck_assert_int_eq(load_base(&st, vipextra, "50", s2, &e), 0);
	ck_assert_int_eq(sld_effective(&st, fake_lookup, NULL, 1000, &out, &mode), 0);
	ck_assert_int_eq(out.vips[0].backends[0].state, want1);
	ck_assert_int_eq(out.vips[0].backends[1].state, want2);
	ck_assert_int_eq(mode, want_mode);
	sl_cfg_free(&out);
	sld_state_free(&st);
}

#define HC "'health_check': {'type': 'tcp'},"

START_TEST(test_effective_states)
{
	/* No check: health is not consulted. */
	effective("", "active", SLD_H_DOWN, SL_BACKEND_ACTIVE, SL_BACKEND_ACTIVE, SLD_VIP_NORMAL);
	effective(
		HC, "active", SLD_H_UNKNOWN, SL_BACKEND_ACTIVE, SL_BACKEND_ACTIVE, SLD_VIP_NORMAL);
	effective(HC, "active", SLD_H_DOWN, SL_BACKEND_DOWN, SL_BACKEND_ACTIVE, SLD_VIP_NORMAL);
	effective(HC, "draining", SLD_H_UP, SL_BACKEND_ACTIVE, SL_BACKEND_DRAINING, SLD_VIP_NORMAL);
	effective(HC, "disabled", SLD_H_UP, SL_BACKEND_ACTIVE, SL_BACKEND_DOWN, SLD_VIP_NORMAL);
	/* The only enabled backend down: fail open (default) or closed. */
	effective(
		HC, "disabled", SLD_H_DOWN, SL_BACKEND_ACTIVE, SL_BACKEND_DOWN, SLD_VIP_FAIL_OPEN);
	effective(HC "'min_healthy': {'action': 'fail_closed'},", "disabled", SLD_H_DOWN,
		SL_BACKEND_DOWN, SL_BACKEND_DOWN, SLD_VIP_FAIL_CLOSED);
	/* 1 of 2 healthy is below 60 %. */
	effective(HC "'min_healthy': {'percent': 60},", "active", SLD_H_DOWN, SL_BACKEND_ACTIVE,
		SL_BACKEND_ACTIVE, SLD_VIP_FAIL_OPEN);
	effective(HC "'min_healthy': {'percent': 50},", "active", SLD_H_DOWN, SL_BACKEND_DOWN,
		SL_BACKEND_ACTIVE, SLD_VIP_NORMAL);
}
END_TEST

START_TEST(test_effective_slow_start)
{
	static const struct {
		uint64_t now;
		uint32_t want;
	} steps[] = {{10000, 1}, {10999, 1}, {11000, 13}, {15000, 50}, {20000, 50}};
	struct sld_state st;
	struct sld_err e;
	struct sl_cfg out;

	/* weight 50 over 4 s: 1 + 49 * floor(elapsed s) / 4. */
	ck_assert_int_eq(load_base(&st, HC "'slow_start_s': 4,", "50", "active", &e), 0);
	h1 = SLD_H_UP;
	since = 10000;
	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		ck_assert_int_eq(
			sld_effective(&st, fake_lookup, NULL, steps[i].now, &out, NULL), 0);
		ck_assert_msg(out.vips[0].backends[1].weight == steps[i].want, "at %lu: %u",
			(unsigned long)steps[i].now, out.vips[0].backends[1].weight);
		ck_assert_int_eq(out.vips[0].backends[0].weight, 100); /* never came up from down */
		sl_cfg_free(&out);
	}
	sld_state_free(&st);
}
END_TEST

static char *
tmpdir(void)
{
	char *d = strdup("/tmp/sltest-store-XXXXXX");

	ck_assert_ptr_nonnull(mkdtemp(d));
	return d;
}

static void
rmrf(const char *d)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", d);
	ck_assert_int_eq(system(cmd), 0);
}

START_TEST(test_store_commit_reopen_sweep)
{
	char *dir = tmpdir(), err[256], path[512];
	struct sld_store s;
	json_t *v = NULL, *st = doc("{'mtu': 9000}");
	int fd;

	ck_assert_int_eq(sld_store_open(&s, dir, &v, err, sizeof(err)), 0);
	ck_assert_int_eq(s.current, 0);
	json_decref(v);
	ck_assert_int_eq(sld_store_commit(&s, 1, "uid:0", "one", st), 0);
	ck_assert_int_eq(sld_store_commit(&s, 2, "token:ci", "two", st), 0);
	sld_store_close(&s);
	/* A commit cut short (version 3 written, pointer not moved) and a temporary. */
	snprintf(path, sizeof(path), "%s/versions/00000003.json", dir);
	fd = open(path, O_WRONLY | O_CREAT, 0640);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, "{}", 2), 2);
	close(fd);
	snprintf(path, sizeof(path), "%s/versions/00000004.json.tmp", dir);
	close(open(path, O_WRONLY | O_CREAT, 0640));
	ck_assert_int_eq(sld_store_open(&s, dir, &v, err, sizeof(err)), 0);
	ck_assert_int_eq(s.current, 2);
	ck_assert_str_eq(json_string_value(json_object_get(v, "who")), "token:ci");
	ck_assert(json_equal(json_object_get(v, "state"), st));
	json_decref(v);
	ck_assert_int_eq(access(path, F_OK), -1);
	snprintf(path, sizeof(path), "%s/versions/00000003.json", dir);
	ck_assert_int_eq(access(path, F_OK), -1);
	v = sld_store_history(&s, s.current, 10);
	ck_assert_int_eq(json_array_size(v), 3);
	ck_assert_int_eq(json_integer_value(json_object_get(json_array_get(v, 0), "version")), 2);
	json_decref(v);
	ck_assert_ptr_null(sld_store_read(&s, 3));
	ck_assert_int_eq(errno, ENOENT);
	sld_store_close(&s);
	/* No pointer but versions: refuse to guess. */
	snprintf(path, sizeof(path), "%s/current", dir);
	ck_assert_int_eq(unlink(path), 0);
	ck_assert_int_eq(sld_store_open(&s, dir, &v, err, sizeof(err)), -ENOENT);
	ck_assert_ptr_nonnull(strstr(err, "current is missing"));
	json_decref(st);
	rmrf(dir);
	free(dir);
}
END_TEST

START_TEST(test_parse_uint)
{
	uint64_t v = 7;

	ck_assert_int_eq(sl_parse_uint("0", 10, 0, 10, &v), 0);
	ck_assert_uint_eq(v, 0);
	ck_assert_int_eq(sl_parse_uint("660", 8, 0, 0777, &v), 0);
	ck_assert_uint_eq(v, 0660);
	ck_assert_int_eq(sl_parse_uint("18446744073709551615", 10, 0, UINT64_MAX, &v), 0);
	ck_assert_uint_eq(v, UINT64_MAX);
	v = 7;
	/* What strtoul() lets through. */
	static const char *const bad[] = {"", "-1", " 5", "5 ", "5x", "+5", "0x10", "1e3", "8"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(sl_parse_uint(bad[i], i == 8 ? 8 : 10, 0, 100, &v) == -EINVAL,
			"'%s' taken", bad[i]);
	ck_assert_int_eq(sl_parse_uint(NULL, 10, 0, 100, &v), -EINVAL);
	ck_assert_int_eq(sl_parse_uint("101", 10, 0, 100, &v), -ERANGE);
	ck_assert_int_eq(sl_parse_uint("0", 10, 1, 100, &v), -ERANGE);
	ck_assert_int_eq(sl_parse_uint("18446744073709551616", 10, 0, UINT64_MAX, &v), -ERANGE);
	ck_assert_int_eq(sl_parse_uint("99999999999999999999x", 10, 0, UINT64_MAX, &v), -EINVAL);
	ck_assert_uint_eq(v, 7);
}
END_TEST

START_TEST(test_write_atomic)
{
	char *dir = tmpdir(), path[512], tmp[600], buf[16] = "", longname[PATH_MAX + 8];
	int fd;

	snprintf(path, sizeof(path), "%s/f.json", dir);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	ck_assert_int_eq(sld_write_atomic(AT_FDCWD, path, "one", 3), 0);
	ck_assert_int_eq(sld_write_atomic(AT_FDCWD, path, "two!", 4), 0);
	fd = open(path, O_RDONLY);
	ck_assert_int_eq(read(fd, buf, sizeof(buf) - 1), 4);
	close(fd);
	ck_assert_str_eq(buf, "two!");
	ck_assert_int_eq(access(tmp, F_OK), -1);
	/* Relative to a directory descriptor (the store's way). */
	fd = open(dir, O_RDONLY | O_DIRECTORY);
	ck_assert_int_eq(sld_write_atomic(fd, "g", "x", 1), 0);
	close(fd);
	snprintf(path, sizeof(path), "%s/g", dir);
	ck_assert_int_eq(access(path, F_OK), 0);
	/* Failures change nothing and leave no temporary. */
	snprintf(path, sizeof(path), "%s/no/such/dir/f", dir);
	ck_assert_int_eq(sld_write_atomic(AT_FDCWD, path, "x", 1), -ENOENT);
	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	ck_assert_int_eq(sld_write_atomic(AT_FDCWD, longname, "x", 1), -ENAMETOOLONG);
	rmrf(dir);
	free(dir);
}
END_TEST

/* The verdict of the first check of backend @addr of VIP @vip, within 5 s. */
static uint8_t
first_verdict(struct sld_health *h, const char *vip, const char *addr)
{
	struct sld_hview v = {SLD_H_UNKNOWN, 0};

	for (int i = 0; i < 500 && v.health == SLD_H_UNKNOWN; i++) {
		usleep(10 * 1000);
		sld_health_lookup(h, vip, addr, &v);
	}
	return v.health;
}

START_TEST(test_health_exec_inherits_no_descriptor)
{
	/* A descriptor sluiced (or a library: libcurl's etcd socket) opened
	 * without O_CLOEXEC must not reach the check: it runs with 0, 1, 2 only. */
	struct sld_health *h;
	struct sld_state st;
	struct sld_err e;
	char vipextra[512];
	int p[2];

	ck_assert_int_eq(pipe(p), 0);
	snprintf(vipextra, sizeof(vipextra),
		"'health_check': {'type': 'exec', 'interval_ms': 1000, 'timeout_ms': 900, "
		"'command': ['/bin/sh', '-c', 'test ! -e /proc/$$/fd/%d -a ! -e /proc/$$/fd/%d']},",
		p[0], p[1]);
	ck_assert_int_eq(load_base(&st, vipextra, "1", "active", &e), 0);
	h = sld_health_create(4, NULL, NULL);
	ck_assert_ptr_nonnull(h);
	ck_assert_int_eq(sld_health_set_targets(h, &st), 0);
	ck_assert_int_eq(sld_health_start(h), 0);
	ck_assert_int_eq(first_verdict(h, "tcp/192.0.2.80/80", "10.0.1.1"), SLD_H_UP);
	sld_health_destroy(h);
	sld_state_free(&st);
	close(p[0]);
	close(p[1]);
}
END_TEST

/* The stack's extent seen by the checker's change callback. */
static uintptr_t stack_lo = UINTPTR_MAX, stack_hi;

static void
note_stack(void *arg)
{
	volatile char here;
	uintptr_t a = (uintptr_t)&here;

	(void)arg;
	stack_lo = a < stack_lo ? a : stack_lo;
	stack_hi = a > stack_hi ? a : stack_hi;
}

START_TEST(test_health_queue_drains_without_recursion)
{
	/* One slot; a check that holds it for 0.9 s while 300 others, each failing
	 * at once (no such program), queue behind it. When the slot frees, they
	 * run one after the other: not each from the previous one's end, which
	 * nested a few hundred bytes of stack per queued check (a pool of
	 * thousands overflowed the thread's stack). */
	struct sld_health *h;
	struct sld_state st;
	struct sld_err e;
	char *text = malloc(65536);
	size_t n = 0;

	n += (size_t)snprintf(text + n, 65536 - n,
		"{'nexthop_mac': '02:00:00:00:00:fe', 'vips': [{'address': '192.0.2.1', "
		"'protocol': 'tcp', 'port': 1, 'health_check': {'type': 'exec', 'interval_ms': "
		"1000, 'timeout_ms': 900, 'command': ['/bin/sleep', '5']}, 'backends': "
		"[{'address': '10.0.0.1'}]}, {'address': '192.0.2.2', 'protocol': 'tcp', 'port': "
		"2, 'health_check': {'type': 'exec', 'interval_ms': 1000, 'timeout_ms': 900, "
		"'command': ['/nonexistent/sluice-check']}, 'backends': [");
	for (int i = 0; i < 300; i++)
		n += (size_t)snprintf(text + n, 65536 - n, "%s{'address': '10.1.%d.%d'}",
			i ? ", " : "", i / 200, i % 200 + 1);
	snprintf(text + n, 65536 - n, "]}]}");
	ck_assert_int_eq(load(&st, text, &e), 0);
	free(text);
	h = sld_health_create(1, note_stack, NULL);
	ck_assert_ptr_nonnull(h);
	ck_assert_int_eq(sld_health_set_targets(h, &st), 0);
	ck_assert_int_eq(sld_health_start(h), 0);
	/* Two rounds: every first check has reported by then. */
	usleep(2200 * 1000);
	sld_health_destroy(h);
	sld_state_free(&st);
	ck_assert_uint_ne(stack_hi, 0);
	ck_assert_msg(stack_hi - stack_lo < 16384, "change callbacks %lu bytes of stack apart",
		(unsigned long)(stack_hi - stack_lo));
}
END_TEST

static Suite *
sluiced_suite(void)
{
	Suite *s = suite_create("sluiced");

	SL_TCASE(s, test_state_canonical_defaults);
	SL_TCASE(s, test_state_error_paths_are_identities);
	SL_TCASE(s, test_state_disabled_roundtrip);
	SL_TCASE(s, test_state_filter_validated);
	SL_TCASE(s, test_state_filter_canonical);
	SL_TCASE(s, test_diff_by_identity);
	SL_TCASE(s, test_effective_states);
	SL_TCASE(s, test_effective_slow_start);
	SL_TCASE(s, test_store_commit_reopen_sweep);
	SL_TCASE(s, test_write_atomic);
	SL_TCASE(s, test_parse_uint);
	SL_TCASE(s, test_health_exec_inherits_no_descriptor);
	SL_TCASE(s, test_health_queue_drains_without_recursion);
	return s;
}

SL_TEST_MAIN(sluiced_suite)
