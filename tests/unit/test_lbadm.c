/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lbadm's own logic without a daemon: service notation and real servers,
 * strict integers, the YAML reader's scalar typing and refusals, input
 * documents, exit codes from API errors, and verb prefix matching.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lbadm.h"
#include "test-common.h"

/* ---- service notation */

START_TEST(test_service_ok)
{
	static const struct {
		const char *in, *proto, *id;
	} ok[] = {
		{"192.0.2.80:80", "tcp", "tcp/192.0.2.80/80"},
		{"192.0.2.80:0", "udp", "udp/192.0.2.80/0"},
		{"[2001:DB8:0::1]:443", "tcp", "tcp/2001:db8::1/443"},
		{"[::ffff:1.2.3.4]:53", "udp", "udp/::ffff:1.2.3.4/53"},
		{"192.0.2.1:65535", "tcp", "tcp/192.0.2.1/65535"},
		{"tcp/192.0.2.80/80", NULL, "tcp/192.0.2.80/80"},
		{"udp/2001:db8:0:0::53/53", NULL, "udp/2001:db8::53/53"},
	};
	struct lb_service s;
	char err[256], id[128];

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		ck_assert_msg(lb_parse_service(ok[i].in, ok[i].proto, &s, err, sizeof(err)) == 0,
			"%s: %s", ok[i].in, err);
		lb_service_id(&s, id, sizeof(id));
		ck_assert_str_eq(id, ok[i].id);
	}
	ck_assert_int_eq(lb_parse_service("[2001:db8::1]:80", "tcp", &s, err, sizeof(err)), 0);
	ck_assert_int_eq(s.family, AF_INET6);
	ck_assert_int_eq(s.port, 80);
}
END_TEST

START_TEST(test_service_refused)
{
	static const struct {
		const char *in, *proto, *why;
	} bad[] = {
		{"192.0.2.80", "tcp", "missing :PORT"},
		{"192.0.2.80:65536", "tcp", "above 65535"},
		{"192.0.2.80:080", "tcp", "leading zero"},
		{"192.0.2.80:-1", "tcp", "not a decimal"},
		{"192.0.2.80:http", "tcp", "not a decimal"},
		{"192.0.2.80:", "tcp", "not a decimal"},
		{"2001:db8::1:80", "tcp", "in brackets"},
		{"[2001:db8::1:80", "tcp", "missing ']'"},
		{"[2001:db8::1]80", "tcp", "expected ':PORT'"},
		{"[192.0.2.1]:80", "tcp", "brackets are for IPv6"},
		{"192.0.2.300:80", "tcp", "not an IPv4 or IPv6"},
		{"example.com:80", "tcp", "not an IPv4 or IPv6"},
		{":80", "tcp", "missing"},
		{"sctp/192.0.2.1/80", NULL, "not tcp or udp"},
		{"tcp/192.0.2.1", NULL, "PROTO/ADDR/PORT"},
		{"tcp/192.0.2.1/80/9", NULL, "PROTO/ADDR/PORT"},
		{"tcp/x/80", NULL, "not an IPv4 or IPv6"},
	};
	struct lb_service s;
	char err[256];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		ck_assert_msg(
			lb_parse_service(bad[i].in, bad[i].proto, &s, err, sizeof(err)) == -EINVAL,
			"%s accepted", bad[i].in);
		ck_assert_msg(strstr(err, bad[i].why), "%s: '%s' does not say '%s'", bad[i].in, err,
			bad[i].why);
		ck_assert_msg(strstr(err, bad[i].in) || bad[i].in[0] == ':',
			"%s: '%s' does not quote it", bad[i].in, err);
	}
}
END_TEST

START_TEST(test_real_server)
{
	struct lb_service v4, v6;
	char err[256], addr[64];

	ck_assert_int_eq(lb_parse_service("192.0.2.80:80", "tcp", &v4, err, sizeof(err)), 0);
	ck_assert_int_eq(lb_parse_service("[2001:db8::80]:80", "tcp", &v6, err, sizeof(err)), 0);

	ck_assert_int_eq(lb_parse_real("10.0.1.2", &v4, addr, sizeof(addr), err, sizeof(err)), 0);
	ck_assert_str_eq(addr, "10.0.1.2");
	ck_assert_int_eq(
		lb_parse_real("10.0.1.2:80", &v4, addr, sizeof(addr), err, sizeof(err)), 0);
	ck_assert_int_eq(
		lb_parse_real("2001:DB8:1::2", &v6, addr, sizeof(addr), err, sizeof(err)), 0);
	ck_assert_str_eq(addr, "2001:db8:1::2");
	ck_assert_int_eq(
		lb_parse_real("[2001:db8:1::2]:80", &v6, addr, sizeof(addr), err, sizeof(err)), 0);
	ck_assert_str_eq(addr, "2001:db8:1::2");

	ck_assert_int_eq(
		lb_parse_real("10.0.1.2:8080", &v4, addr, sizeof(addr), err, sizeof(err)), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "VIP's port 80"));
	ck_assert_int_eq(
		lb_parse_real("10.0.1.2", &v6, addr, sizeof(addr), err, sizeof(err)), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "IPv4 backend for an IPv6 VIP"));
	ck_assert_int_eq(
		lb_parse_real("10.0.1", &v4, addr, sizeof(addr), err, sizeof(err)), -EINVAL);
	ck_assert_int_eq(
		lb_parse_real("[10.0.1.2]", &v4, addr, sizeof(addr), err, sizeof(err)), -EINVAL);
}
END_TEST

START_TEST(test_parse_uint)
{
	unsigned long long v;

	ck_assert_int_eq(lb_parse_uint("0", 0, 10, &v), 0);
	ck_assert_int_eq(v, 0);
	ck_assert_int_eq(lb_parse_uint("65535", 0, 65535, &v), 0);
	ck_assert_int_eq(v, 65535);
	ck_assert_int_eq(lb_parse_uint("65536", 0, 65535, &v), -ERANGE);
	ck_assert_int_eq(lb_parse_uint("5", 6, 10, &v), -ERANGE);
	ck_assert_int_eq(lb_parse_uint("18446744073709551616", 0, ~0ull, &v), -ERANGE);
	ck_assert_int_eq(lb_parse_uint("", 0, 10, &v), -EINVAL);
	ck_assert_int_eq(lb_parse_uint("+5", 0, 10, &v), -EINVAL);
	ck_assert_int_eq(lb_parse_uint("-5", 0, 10, &v), -EINVAL);
	ck_assert_int_eq(lb_parse_uint("07", 0, 10, &v), -EINVAL);
	ck_assert_int_eq(lb_parse_uint("5 ", 0, 10, &v), -EINVAL);
	ck_assert_int_eq(lb_parse_uint("1e3", 0, 10000, &v), -EINVAL);
}
END_TEST

/* ---- YAML */

/* Convert @yaml; the value of key "a" as compact JSON, or "ERR: message". */
static void
yaml_a(const char *yaml, char *out, size_t len)
{
	char err[1024];
	json_t *doc = lb_yaml_to_json(yaml, strlen(yaml), "t.yaml", err, sizeof(err));

	if (!doc) {
		snprintf(out, len, "ERR: %s", err);
		return;
	}
	char *s = json_dumps(json_object_get(doc, "a"), JSON_ENCODE_ANY | JSON_COMPACT);
	snprintf(out, len, "%s", s ? s : "(no a)");
	free(s);
	json_decref(doc);
}

START_TEST(test_yaml_scalars_taken)
{
	static const struct {
		const char *yaml, *json;
	} ok[] = {
		{"a: 80", "80"}, {"a: -1", "-1"}, {"a: +7", "7"}, {"a: 0", "0"},
		{"a: 9223372036854775807", "9223372036854775807"}, {"a: true", "true"},
		{"a: False", "false"}, {"a: ~", "null"}, {"a:", "null"}, {"a: null", "null"},
		{"a: 1.5", "1.5"}, {"a: 1.0e+3", "1000.0"}, {"a: 'on'", "\"on\""},
		{"a: \"no\"", "\"no\""}, {"a: '0800'", "\"0800\""}, {"a: !!str 80", "\"80\""},
		{"a: !!int 80", "80"}, {"a: !!bool true", "true"}, {"a: ! 80", "\"80\""},
		{"a: 10.0.1.2", "\"10.0.1.2\""}, {"a: 2001:db8::1", "\"2001:db8::1\""},
		{"a: 02:00:00:00:00:fe", "\"02:00:00:00:00:fe\""}, {"a: 5tuple", "\"5tuple\""},
		{"a: 192.0.2.0/24", "\"192.0.2.0/24\""}, {"a: encap", "\"encap\""},
		{"a: |\n  on\n", "\"on\\n\""}, {"a: [1, x, true]", "[1,\"x\",true]"},
		{"a: {b: 2}", "{\"b\":2}"}, {"on: 1\na: 2", "2"}, /* keys are strings as written */
	};
	char got[512];

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		yaml_a(ok[i].yaml, got, sizeof(got));
		ck_assert_msg(strcmp(got, ok[i].json) == 0, "%s -> %s, want %s", ok[i].yaml, got,
			ok[i].json);
	}
}
END_TEST

START_TEST(test_yaml_ambiguous_refused)
{
	static const struct {
		const char *yaml, *why;
	} bad[] = {
		{"a: on", "boolean to YAML 1.1"},
		{"a: off", "boolean to YAML 1.1"},
		{"a: yes", "boolean to YAML 1.1"},
		{"a: No", "boolean to YAML 1.1"},
		{"a: y", "boolean to YAML 1.1"},
		{"a: 0800", "some YAML readers"},
		{"a: 0o17", "some YAML readers"},
		{"a: 0x1f", "some YAML readers"},
		{"a: 0b101", "some YAML readers"},
		{"a: 1_000", "some YAML readers"},
		{"a: 1:20", "some YAML readers"},
		{"a: 12:34:56:00:00:01", "some YAML readers"},
		{"a: 1e3", "real number to YAML 1.2"},
		{"a: 1.0e3", "real number to YAML 1.2"},
		{"a: 1_0.5", "real number to YAML 1.1"},
		{"a: .inf", "no JSON form"},
		{"a: .nan", "no JSON form"},
		{"a: 2001-12-14", "date"},
		{"a: 99999999999999999999", "out of range"},
		{"a: !!int 0800", "not a decimal integer"},
		{"a: !!bool yes", "not true or false"},
		{"a: !!binary aGk=", "unsupported tag"},
		{"a: !custom 1", "unsupported tag"},
		{"a: &x 1\nb: *x", "anchors"},
		{"b: &x 1\na: *x", "anchors"},
		{"<<: {b: 1}\na: 1", "merge keys"},
		{"a: 1\na: 2", "duplicate key 'a'"},
		{"a: 1\n---\nb: 2\n", "more than one YAML document"},
		{"", "empty document"},
		{"a: [1, 2", "invalid YAML"},
		{"a: \"x\\0y\"", "NUL"},
		{"? [1]\n: 2\na: 1", "a key must be a plain string"},
	};
	char got[1024];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		yaml_a(bad[i].yaml, got, sizeof(got));
		ck_assert_msg(
			strncmp(got, "ERR: t.yaml:", 12) == 0, "%s accepted: %s", bad[i].yaml, got);
		ck_assert_msg(strstr(got, bad[i].why), "%s: '%s' does not say '%s'", bad[i].yaml,
			got, bad[i].why);
	}
}
END_TEST

START_TEST(test_yaml_error_names_place)
{
	const char *y = "vips:\n"
			"  - address: 192.0.2.80\n"
			"    backends:\n"
			"      - address: 10.0.1.1\n"
			"        weight: on\n";
	char err[512];
	json_t *doc = lb_yaml_to_json(y, strlen(y), "pools.yaml", err, sizeof(err));

	ck_assert_ptr_null(doc);
	const char *want = "pools.yaml:5:17: vips[0].backends[0].weight: 'on' is a boolean";
	ck_assert_msg(strncmp(err, want, strlen(want)) == 0, "%s", err);
}
END_TEST

START_TEST(test_yaml_depth_bounded)
{
	char y[1024];
	size_t n = 0;

	n += (size_t)snprintf(y + n, sizeof(y) - n, "a: ");
	for (int i = 0; i < 100; i++)
		y[n++] = '[';
	for (int i = 0; i < 100; i++)
		y[n++] = ']';
	y[n] = '\0';
	char got[1024];
	yaml_a(y, got, sizeof(got));
	ck_assert_ptr_nonnull(strstr(got, "nested deeper"));
}
END_TEST

START_TEST(test_yaml_same_as_json)
{
	/* The configuration example, as YAML and as JSON: the same document. */
	const char *y =
		"seed: 1234\n"
		"nexthop_mac: \"02:00:00:00:00:fe\"\n"
		"vips:\n"
		"  - {address: 192.0.2.80, protocol: tcp, port: 80,\n"
		"     backends: [{address: 10.0.1.1}, {address: 10.0.1.3, state: draining}]}\n"
		"  - address: \"2001:db8::53\"\n"
		"    protocol: udp\n"
		"    port: 53\n"
		"    hash: src_ip_port\n"
		"    forwarding: l2\n"
		"    backends:\n"
		"      - address: 2001:db8:1::2\n"
		"        weight: 50\n"
		"        mac: 02:00:00:00:02:02\n";
	const char *j = "{\"seed\": 1234, \"nexthop_mac\": \"02:00:00:00:00:fe\", \"vips\": ["
			"{\"address\": \"192.0.2.80\", \"protocol\": \"tcp\", \"port\": 80, "
			"\"backends\": [{\"address\": \"10.0.1.1\"}, {\"address\": \"10.0.1.3\", "
			"\"state\": \"draining\"}]}, "
			"{\"address\": \"2001:db8::53\", \"protocol\": \"udp\", \"port\": 53, "
			"\"hash\": \"src_ip_port\", \"forwarding\": \"l2\", \"backends\": "
			"[{\"address\": \"2001:db8:1::2\", \"weight\": 50, \"mac\": "
			"\"02:00:00:00:02:02\"}]}]}";
	char err[512];
	json_t *a = lb_yaml_to_json(y, strlen(y), "t", err, sizeof(err));
	json_t *b = json_loads(j, 0, NULL);

	ck_assert_msg(a != NULL, "%s", err);
	ck_assert_ptr_nonnull(b);
	ck_assert_int_eq(json_equal(a, b), 1);
	json_decref(a);
	json_decref(b);
}
END_TEST

/* ---- input documents */

static json_t *
read_text(const char *suffix, const char *text, char *err, size_t len)
{
	char path[64];
	snprintf(path, sizeof(path), "/tmp/lbadm-test-%d%s", (int)getpid(), suffix);
	FILE *f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
	json_t *doc = lb_read_doc(path, err, len);
	unlink(path);
	return doc;
}

START_TEST(test_read_doc)
{
	char err[512];
	json_t *d;

	d = read_text(".json", "{\"mtu\": 1500}", err, sizeof(err));
	ck_assert_msg(d != NULL, "%s", err);
	ck_assert_int_eq(json_integer_value(json_object_get(d, "mtu")), 1500);
	json_decref(d);

	/* JSON by content, whatever the name. */
	d = read_text(".txt", "  {\"mtu\": 9000}", err, sizeof(err));
	ck_assert_msg(d != NULL, "%s", err);
	json_decref(d);

	/* Duplicate keys are refused in JSON as in YAML. */
	d = read_text(".json", "{\"mtu\": 1500, \"mtu\": 9000}", err, sizeof(err));
	ck_assert_ptr_null(d);
	ck_assert_ptr_nonnull(strstr(err, "duplicate"));

	d = read_text(".json", "{\"mtu\": ", err, sizeof(err));
	ck_assert_ptr_null(d);
	ck_assert_ptr_nonnull(strstr(err, "invalid JSON"));

	d = read_text(".yaml", "- 1\n- 2\n", err, sizeof(err));
	ck_assert_ptr_null(d);
	ck_assert_ptr_nonnull(strstr(err, "must be a mapping"));

	d = read_text(".yaml", "mtu: 1500\nvips: []\n", err, sizeof(err));
	ck_assert_msg(d != NULL, "%s", err);
	json_decref(d);

	d = lb_read_doc("/nonexistent/pools.yaml", err, sizeof(err));
	ck_assert_ptr_null(d);
	ck_assert_str_eq(err, "/nonexistent/pools.yaml: No such file or directory");
}
END_TEST

/* ---- exit codes and verbs */

START_TEST(test_exit_codes)
{
	ck_assert_int_eq(lb_exit_of("not_found", 404), LB_EXIT_NOT_FOUND);
	ck_assert_int_eq(lb_exit_of("version_mismatch", 412), LB_EXIT_CONFLICT);
	ck_assert_int_eq(lb_exit_of("exists", 409), LB_EXIT_CONFLICT);
	ck_assert_int_eq(lb_exit_of("dataplane_refused", 409), LB_EXIT_REFUSED);
	ck_assert_int_eq(lb_exit_of("invalid_field", 400), LB_EXIT_REFUSED);
	ck_assert_int_eq(lb_exit_of("unknown_field", 400), LB_EXIT_REFUSED);
	ck_assert_int_eq(lb_exit_of("version_required", 428), LB_EXIT_REFUSED);
	ck_assert_int_eq(lb_exit_of("unauthorized", 401), LB_EXIT_DENIED);
	ck_assert_int_eq(lb_exit_of("forbidden", 403), LB_EXIT_DENIED);
	ck_assert_int_eq(lb_exit_of("internal", 500), LB_EXIT_REFUSED);
	/* No error body: the status decides. */
	ck_assert_int_eq(lb_exit_of(NULL, 404), LB_EXIT_NOT_FOUND);
	ck_assert_int_eq(lb_exit_of(NULL, 412), LB_EXIT_CONFLICT);
	ck_assert_int_eq(lb_exit_of(NULL, 403), LB_EXIT_DENIED);
	ck_assert_int_eq(lb_exit_of(NULL, 501), LB_EXIT_REFUSED);
	ck_assert_int_eq(lb_exit_of("dataplane_unavailable", 503), LB_EXIT_UNREACHABLE);
	ck_assert_int_eq(lb_exit_of(NULL, 200), LB_EXIT_OK);
	/* The documented numbers: scripts depend on them. */
	ck_assert_int_eq(LB_EXIT_OK, 0);
	ck_assert_int_eq(LB_EXIT_REFUSED, 1);
	ck_assert_int_eq(LB_EXIT_USAGE, 2);
	ck_assert_int_eq(LB_EXIT_UNREACHABLE, 3);
	ck_assert_int_eq(LB_EXIT_CONFLICT, 4);
	ck_assert_int_eq(LB_EXIT_NOT_FOUND, 5);
	ck_assert_int_eq(LB_EXIT_DENIED, 6);
}
END_TEST

static int
nop(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return 0;
}

START_TEST(test_cmd_select)
{
	static const struct lb_cmd t[] = {
		{"stat", nop, NULL, "", ""},
		{"status", nop, NULL, "", ""},
		{"stats", nop, NULL, "", ""},
		{"backend", nop, NULL, "", ""},
		{"list", nop, NULL, "", ""},
		{NULL, NULL, NULL, NULL, NULL},
	};

	ck_assert_str_eq(lb_cmd_select(t, "list")->name, "list");
	ck_assert_str_eq(lb_cmd_select(t, "l")->name, "list");
	ck_assert_str_eq(lb_cmd_select(t, "b")->name, "backend");
	ck_assert_str_eq(lb_cmd_select(t, "stat")->name, "stat"); /* exact wins */
	ck_assert_str_eq(lb_cmd_select(t, "statu")->name, "status");
	errno = 0;
	ck_assert_ptr_null(lb_cmd_select(t, "sta"));
	ck_assert_int_eq(errno, EAGAIN);
	ck_assert_ptr_null(lb_cmd_select(t, "x"));
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_ptr_null(lb_cmd_select(t, ""));
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_ptr_null(lb_cmd_select(t, "lists"));
	ck_assert_int_eq(errno, EINVAL);
}
END_TEST

START_TEST(test_addr_eq)
{
	ck_assert(lb_addr_eq("2001:db8::1", "2001:DB8:0:0::1"));
	ck_assert(lb_addr_eq("10.0.0.1", "10.0.0.1"));
	ck_assert(!lb_addr_eq("10.0.0.1", "10.0.0.2"));
	ck_assert(!lb_addr_eq("10.0.0.1", "::ffff:10.0.0.1"));
	ck_assert(!lb_addr_eq(NULL, "10.0.0.1"));
}
END_TEST

static Suite *
lbadm_suite(void)
{
	Suite *s = suite_create("lbadm");

	SL_TCASE(s, test_service_ok);
	SL_TCASE(s, test_service_refused);
	SL_TCASE(s, test_real_server);
	SL_TCASE(s, test_parse_uint);
	SL_TCASE(s, test_yaml_scalars_taken);
	SL_TCASE(s, test_yaml_ambiguous_refused);
	SL_TCASE(s, test_yaml_error_names_place);
	SL_TCASE(s, test_yaml_depth_bounded);
	SL_TCASE(s, test_yaml_same_as_json);
	SL_TCASE(s, test_read_doc);
	SL_TCASE(s, test_exit_codes);
	SL_TCASE(s, test_cmd_select);
	SL_TCASE(s, test_addr_eq);
	return s;
}

SL_TEST_MAIN(lbadm_suite)
