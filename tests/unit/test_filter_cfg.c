/* SPDX-License-Identifier: BSD-3-Clause */
/* The filter rule-set model: prefixes, JSON in and out, validation naming the field. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sluice/filter.h>

#include "test-common.h"

static void
assert_refused(const char *json, const char *field)
{
	char err[SL_FILTER_ERR_LEN] = "";
	struct sl_filter_cfg cfg;

	ck_assert_int_eq(sl_filter_cfg_from_json(&cfg, json, err, sizeof(err)), -EINVAL);
	ck_assert_msg(
		strstr(err, field) != NULL, "%s: error '%s' does not name %s", json, err, field);
	sl_filter_cfg_free(&cfg);
}

START_TEST(test_prefix_parse)
{
	struct sl_filter_prefix p;
	char err[SL_FILTER_ERR_LEN], buf[64];

	ck_assert_int_eq(sl_filter_prefix_parse(&p, "10.1.0.0/16", err, sizeof(err)), 0);
	ck_assert_uint_eq(p.family, 4);
	ck_assert_uint_eq(p.len, 16);
	ck_assert_str_eq(sl_filter_prefix_str(&p, buf, sizeof(buf)), "10.1.0.0/16");
	ck_assert_int_eq(sl_filter_prefix_parse(&p, "2001:db8::1", err, sizeof(err)), 0);
	ck_assert_uint_eq(p.len, 128);
	ck_assert_int_eq(sl_filter_prefix_parse(&p, "0.0.0.0/0", err, sizeof(err)), 0);
	ck_assert_int_eq(sl_filter_prefix_parse(&p, "10.1.2.3/16", err, sizeof(err)), -EINVAL);
	ck_assert_msg(strstr(err, "10.1.0.0/16") != NULL, "%s", err);
	ck_assert_int_eq(sl_filter_prefix_parse(&p, "10.0.0.0/33", err, sizeof(err)), -EINVAL);
	ck_assert_int_eq(sl_filter_prefix_parse(&p, "10.0.0.0/", err, sizeof(err)), -EINVAL);
	ck_assert_int_eq(sl_filter_prefix_parse(&p, "10.0.0.0/-1", err, sizeof(err)), -EINVAL);
	ck_assert_int_eq(sl_filter_prefix_parse(&p, "2001:db8::/129", err, sizeof(err)), -EINVAL);
	ck_assert_int_eq(sl_filter_prefix_parse(&p, "example.com", err, sizeof(err)), -EINVAL);
	ck_assert_int_eq(sl_filter_prefix_parse(&p, "", err, sizeof(err)), -EINVAL);
}
END_TEST

START_TEST(test_json_round_trip)
{
	static const char *in =
		"{\"allow\": [\"192.0.2.0/24\"], \"deny\": {\"mode\": \"monitor\", \"rules\": "
		"[\"198.51.100.0/24\", {\"prefix\": \"2001:db8:bad::/48\", \"vip\": "
		"\"2001:db8::10\", "
		"\"protocol\": \"tcp\", \"port\": 443}]}, \"rate_limit\": {\"pps\": 1000, "
		"\"key_prefix_v4\": 24, \"overrides\": [{\"prefix\": \"203.0.113.0/24\", \"pps\": "
		"5, "
		"\"key_prefix\": 32}]}, \"syn_limit\": {\"pps\": 100}, \"drop_sample\": 16}";
	char err[SL_FILTER_ERR_LEN] = "";
	struct sl_filter_cfg a, b;
	char *out, *out2;

	ck_assert_msg(sl_filter_cfg_from_json(&a, in, err, sizeof(err)) == 0, "%s", err);
	ck_assert_uint_eq(a.n_allow, 1);
	ck_assert_uint_eq(a.n_deny, 2);
	ck_assert_int_eq(a.deny_mode, SL_FILTER_MONITOR);
	ck_assert(a.deny[1].scoped);
	ck_assert_uint_eq(a.deny[1].port, 443);
	ck_assert_uint_eq(a.key_len4, 24);
	ck_assert_uint_eq(a.key_len6, 64);
	ck_assert_uint_eq(a.rate_ovr[0].key_len, 32);
	ck_assert_uint_eq(a.drop_sample, 16);
	out = sl_filter_cfg_to_json(&a);
	ck_assert_ptr_nonnull(out);
	ck_assert_msg(sl_filter_cfg_from_json(&b, out, err, sizeof(err)) == 0, "%s", err);
	out2 = sl_filter_cfg_to_json(&b);
	ck_assert_str_eq(out, out2);
	free(out);
	free(out2);
	sl_filter_cfg_free(&a);
	sl_filter_cfg_free(&b);
}
END_TEST

START_TEST(test_json_refusals_name_the_field)
{
	assert_refused("[]", "JSON object");
	assert_refused("{\"alow\": []}", "alow");
	assert_refused("{\"allow\": [\"10.0.0.1/8\"]}", "allow[0]");
	assert_refused("{\"deny\": [\"10.0.0.0/8\", 7]}", "deny.rules[1]");
	assert_refused("{\"deny\": {\"mode\": \"log\"}}", "deny.mode");
	assert_refused("{\"deny\": [{\"prefix\": \"10.0.0.0/8\", \"port\": 80}]}", "deny.rules[0]");
	assert_refused("{\"deny\": [{\"prefix\": \"10.0.0.0/8\", \"vip\": \"2001:db8::1\"}]}",
		"deny.rules[0].vip");
	assert_refused("{\"deny\": [{\"prefix\": \"10.0.0.0/8\", \"vip\": \"192.0.2.1\", "
		       "\"port\": 80}]}",
		"deny.rules[0].port");
	assert_refused("{\"deny\": [{\"prefix\": \"10.0.0.0/8\", \"vip\": \"192.0.2.1\", "
		       "\"protocol\": \"sctp\"}]}",
		"deny.rules[0].protocol");
	assert_refused("{\"rate_limit\": {\"pps\": -1}}", "rate_limit.pps");
	assert_refused("{\"rate_limit\": {\"key_prefix_v4\": 33}}", "rate_limit.key_prefix_v4");
	assert_refused("{\"rate_limit\": {\"bps\": 100, \"burst_bytes\": 100}}", "rate_limit");
	assert_refused("{\"rate_limit\": {\"burst_packets\": 100}}", "rate_limit");
	assert_refused("{\"rate_limit\": {\"pps\": 10000000000}}", "rate_limit.pps");
	assert_refused("{\"rate_limit\": {\"overrides\": [{\"pps\": 1}]}}",
		"rate_limit.overrides[0].prefix");
	assert_refused("{\"rate_limit\": {\"overrides\": [{\"prefix\": \"10.0.0.0/8\", "
		       "\"key_prefix\": 40}]}}",
		"rate_limit.overrides[0].key_prefix");
	assert_refused("{\"syn_limit\": {\"burst\": 5}}", "syn_limit.burst");
	assert_refused("{\"drop_sample\": 3}", "drop_sample");
	assert_refused("{\"allow\": [], \"allow\": []}", "JSON");
}
END_TEST

/* Per-VIP SYN limits: parsed, printed, and refused naming the field. */
START_TEST(test_json_syn_overrides)
{
	static const char *in =
		"{\"syn_limit\": {\"pps\": 1000, \"overrides\": [{\"vip\": \"192.0.2.10\", "
		"\"port\": 80, \"pps\": 50, \"burst\": 5}, {\"vip\": \"2001:db8::10\", "
		"\"pps\": 0}, {\"vip\": \"192.0.2.10\", \"pps\": 70}]}}";
	char err[SL_FILTER_ERR_LEN] = "";
	struct sl_filter_cfg a, b;
	char *out, *out2;

	ck_assert_msg(sl_filter_cfg_from_json(&a, in, err, sizeof(err)) == 0, "%s", err);
	ck_assert_uint_eq(a.n_syn_ovr, 3);
	ck_assert_uint_eq(a.syn_ovr[0].family, 4);
	ck_assert_uint_eq(a.syn_ovr[0].port, 80);
	ck_assert_uint_eq(a.syn_ovr[0].pps, 50);
	ck_assert_uint_eq(a.syn_ovr[0].burst, 5);
	ck_assert_uint_eq(a.syn_ovr[1].family, 6);
	ck_assert_uint_eq(a.syn_ovr[1].port, 0);
	ck_assert_uint_eq(a.syn_ovr[1].pps, 0);
	ck_assert_uint_eq(a.syn_ovr[2].port, 0);
	out = sl_filter_cfg_to_json(&a);
	ck_assert_ptr_nonnull(out);
	ck_assert_msg(sl_filter_cfg_from_json(&b, out, err, sizeof(err)) == 0, "%s", err);
	out2 = sl_filter_cfg_to_json(&b);
	ck_assert_str_eq(out, out2);
	free(out);
	free(out2);
	sl_filter_cfg_free(&a);
	sl_filter_cfg_free(&b);

	assert_refused("{\"syn_limit\": {\"overrides\": {}}}", "syn_limit.overrides");
	assert_refused(
		"{\"syn_limit\": {\"overrides\": [{\"pps\": 1}]}}", "syn_limit.overrides[0].vip");
	assert_refused("{\"syn_limit\": {\"overrides\": [{\"vip\": \"10.0.0.300\", \"pps\": "
		       "1}]}}",
		"syn_limit.overrides[0].vip");
	assert_refused("{\"syn_limit\": {\"overrides\": [{\"vip\": \"10.0.0.1\"}]}}",
		"syn_limit.overrides[0].pps");
	assert_refused("{\"syn_limit\": {\"overrides\": [{\"vip\": \"10.0.0.1\", \"pps\": 1, "
		       "\"port\": 65536}]}}",
		"syn_limit.overrides[0].port");
	assert_refused("{\"syn_limit\": {\"overrides\": [{\"vip\": \"10.0.0.1\", \"pps\": 0, "
		       "\"burst\": 4}]}}",
		"syn_limit.overrides[0].burst");
	assert_refused("{\"syn_limit\": {\"overrides\": [{\"vip\": \"10.0.0.1\", \"pps\": 1, "
		       "\"proto\": 6}]}}",
		"syn_limit.overrides[0].proto");
	assert_refused(
		"{\"syn_limit\": {\"overrides\": [{\"vip\": \"10.0.0.1\", \"pps\": 1}, "
		"{\"vip\": \"10.0.0.2\", \"pps\": 1}, {\"vip\": \"10.0.0.1\", \"pps\": 2}]}}",
		"syn_limit.overrides[2]");
	assert_refused("{\"syn_limit\": {\"overrides\": [{\"vip\": \"10.0.0.1\", \"pps\": "
		       "10000000000}]}}",
		"syn_limit.overrides[0].pps");
}
END_TEST

START_TEST(test_prefix_file)
{
	char path[] = "/tmp/sl-filter-cfg-XXXXXX", err[SL_FILTER_ERR_LEN];
	struct sl_filter_prefix *v = NULL;
	uint32_t n = 0;
	int fd = mkstemp(path);
	FILE *f = fdopen(fd, "w");

	fputs("# comment\n10.0.0.0/8\n\n  2001:db8::/32   # trailing\n10.0.0.1/8\n", f);
	fclose(f);
	ck_assert_int_eq(sl_filter_prefix_file(path, &v, &n, err, sizeof(err)), -EINVAL);
	ck_assert_msg(strstr(err, ":5:") != NULL, "%s", err);
	ck_assert_uint_eq(n, 2);
	unlink(path);
	free(v);
	ck_assert_int_eq(sl_filter_prefix_file(path, &v, &n, err, sizeof(err)), -ENOENT);
}
END_TEST

static Suite *
filter_cfg_suite(void)
{
	Suite *s = suite_create("filter_cfg");

	SL_TCASE(s, test_prefix_parse);
	SL_TCASE(s, test_json_round_trip);
	SL_TCASE(s, test_json_refusals_name_the_field);
	SL_TCASE(s, test_json_syn_overrides);
	SL_TCASE(s, test_prefix_file);
	return s;
}

SL_TEST_MAIN(filter_cfg_suite)
