/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sluiced's cluster pieces: the announcement decision (control/node.h) and
 * the BIRD driver (control/bird.h): the include file it writes, the reply
 * lines of BIRD's control protocol, and `configure` against a scripted
 * stand-in for BIRD's socket (success, refusal, garbage, silence, no one);
 * the base64 that etcd's gateway speaks.
 * The real BIRD is driven end to end in tests/e2e/test_cluster.py.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <jansson.h>

#include "bird.h"
#include "etcd.h"
#include "node.h"
#include "sld.h"
#include "test-common.h"

/* ---- the decision ---- */

static void
load(struct sld *d, const char *text)
{
	char *s = strdup(text);
	json_error_t je;
	struct sld_err e;
	json_t *j;

	for (char *c = s; *c; c++)
		if (*c == '\'')
			*c = '"';
	j = json_loads(s, 0, &je);
	ck_assert_msg(j != NULL, "%s", je.text);
	ck_assert_msg(sld_state_from_json(&d->state, j, &e) == 0, "%s: %s", e.field, e.message);
	json_decref(j);
	free(s);
	/* A dataplane that runs the current version. */
	d->dp_up = true;
	d->pushed = strdup("{}");
	d->version = d->pushed_version = 7;
	d->dp_error[0] = '\0';
}

static void
unload(struct sld *d)
{
	sld_state_free(&d->state);
	free(d->pushed);
	memset(d, 0, sizeof(*d));
}

/* Two VIPs on .80 (TCP 80 with two active backends, UDP 53 per @udp_backends), one on v6. */
#define STATE                                                                                      \
	"{'nexthop_mac': '02:00:00:00:00:fe', 'vips': ["                                           \
	"{'address': '192.0.2.80', 'protocol': 'tcp', 'port': 80, 'min_healthy': {'count': %s},"   \
	" 'backends': [{'address': '10.0.1.1'}, {'address': '10.0.1.2'}]},"                        \
	"{'address': '192.0.2.80', 'protocol': 'udp', 'port': 53, 'backends': [%s]},"              \
	"{'address': '2001:db8::80', 'protocol': 'tcp', 'port': 443, 'backends': "                 \
	"[{'address': '2001:db8:1::1'}]}]}"

static void
load_state(struct sld *d, const char *min_count, const char *udp_backends)
{
	char text[2048];

	snprintf(text, sizeof(text), STATE, min_count, udp_backends);
	load(d, text);
}

static const struct sld_prefix *
find(const struct sld_prefix *p, unsigned int n, const char *prefix)
{
	for (unsigned int i = 0; i < n; i++)
		if (strcmp(p[i].prefix, prefix) == 0)
			return &p[i];
	ck_abort_msg("%s not in the decision", prefix);
	return NULL;
}

static bool
has_reason(const struct sld_prefix *p, const char *needle)
{
	for (size_t i = 0; i < json_array_size(p->reasons); i++)
		if (strstr(json_string_value(json_array_get(p->reasons, i)), needle))
			return true;
	return false;
}

START_TEST(test_decide_healthy_node_announces_every_address)
{
	struct sld d = {0};
	struct sld_prefix *p;
	unsigned int n;

	load_state(&d, "1", "{'address': '10.0.2.1'}");
	ck_assert_int_eq(sld_node_decide(&d, false, &p, &n), 0);
	ck_assert_uint_eq(n, 2); /* one prefix per address, not per VIP */
	/* Sorted: IPv4 before IPv6. */
	ck_assert_str_eq(p[0].prefix, "192.0.2.80/32");
	ck_assert_int_eq(p[0].family, 4);
	ck_assert_str_eq(p[1].prefix, "2001:db8::80/128");
	ck_assert_int_eq(p[1].family, 6);
	ck_assert(p[0].announce && p[1].announce);
	ck_assert_uint_eq(json_array_size(p[0].reasons), 0);
	sld_prefixes_free(p, n);
	unload(&d);
}
END_TEST

START_TEST(test_decide_maintenance_and_dataplane_withdraw_all)
{
	struct sld d = {0};
	struct sld_prefix *p;
	unsigned int n;

	load_state(&d, "1", "{'address': '10.0.2.1'}");
	ck_assert_int_eq(sld_node_decide(&d, true, &p, &n), 0);
	for (unsigned int i = 0; i < n; i++) {
		ck_assert(!p[i].announce);
		ck_assert(has_reason(&p[i], "maintenance"));
	}
	sld_prefixes_free(p, n);

	d.dp_up = false;
	ck_assert_int_eq(sld_node_decide(&d, false, &p, &n), 0);
	ck_assert(!p[0].announce && has_reason(&p[0], "dataplane down"));
	sld_prefixes_free(p, n);

	/* Up, but running an older version (a push pending or refused). */
	d.dp_up = true;
	d.version = 8;
	ck_assert_int_eq(sld_node_decide(&d, false, &p, &n), 0);
	ck_assert(!p[0].announce && has_reason(&p[0], "not running the current version"));
	sld_prefixes_free(p, n);
	d.version = 7;
	snprintf(d.dp_error, sizeof(d.dp_error), "flow_capacity: cannot change");
	ck_assert_int_eq(sld_node_decide(&d, false, &p, &n), 0);
	ck_assert(!p[1].announce && has_reason(&p[1], "refused"));
	sld_prefixes_free(p, n);
	unload(&d);
}
END_TEST

START_TEST(test_decide_min_healthy_rule_all_and_any)
{
	struct sld d = {0};
	struct sld_prefix *p;
	unsigned int n;

	/* The UDP VIP's only backend is disabled: 0 of 0 enabled. */
	load_state(&d, "1", "{'address': '10.0.2.1', 'state': 'disabled'}");
	ck_assert_int_eq(sld_node_decide(&d, false, &p, &n), 0);
	ck_assert(!find(p, n, "192.0.2.80/32")->announce); /* "all": one VIP fails */
	ck_assert(has_reason(find(p, n, "192.0.2.80/32"), "udp/192.0.2.80/53: 0 of 0"));
	ck_assert(find(p, n, "2001:db8::80/128")->announce); /* another address: unaffected */
	sld_prefixes_free(p, n);

	d.opts.announce_rule = SLD_ANNOUNCE_ANY;
	ck_assert_int_eq(sld_node_decide(&d, false, &p, &n), 0);
	ck_assert(find(p, n, "192.0.2.80/32")->announce); /* "any": TCP 80 is fine */
	ck_assert_uint_eq(json_array_size(find(p, n, "192.0.2.80/32")->reasons), 0);
	sld_prefixes_free(p, n);
	/* "any" still needs the dataplane. */
	d.dp_up = false;
	ck_assert_int_eq(sld_node_decide(&d, false, &p, &n), 0);
	ck_assert(!find(p, n, "192.0.2.80/32")->announce);
	sld_prefixes_free(p, n);
	unload(&d);

	/* min_healthy count 3 with two backends: never enough. */
	load_state(&d, "3", "{'address': '10.0.2.1'}");
	ck_assert_int_eq(sld_node_decide(&d, false, &p, &n), 0);
	ck_assert(!find(p, n, "192.0.2.80/32")->announce);
	ck_assert(
		has_reason(find(p, n, "192.0.2.80/32"), "tcp/192.0.2.80/80: 2 of 2 enabled "
							"backends healthy (min_healthy: count 3"));
	sld_prefixes_free(p, n);
	unload(&d);

	/* Draining backends take no new flows: they do not count. */
	load_state(&d, "1", "{'address': '10.0.2.1', 'state': 'draining'}");
	ck_assert_int_eq(sld_node_decide(&d, false, &p, &n), 0);
	ck_assert(!find(p, n, "192.0.2.80/32")->announce);
	sld_prefixes_free(p, n);
	unload(&d);
}
END_TEST

START_TEST(test_decide_empty_state)
{
	struct sld d = {0};
	struct sld_prefix *p;
	unsigned int n = 99;

	load(&d, "{'vips': []}");
	ck_assert_int_eq(sld_node_decide(&d, false, &p, &n), 0);
	ck_assert_uint_eq(n, 0);
	sld_prefixes_free(p, n);
	unload(&d);
}
END_TEST

/* ---- the include file ---- */

static char *
slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	static char buf[4096];
	size_t n;

	ck_assert_ptr_nonnull(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

START_TEST(test_bird_include_file)
{
	char dir[] = "/tmp/sl-unit-bird-XXXXXX", path[256], tmp[300], err[256];
	struct sld_prefix p[3] = {
		{.prefix = "192.0.2.80/32", .family = 4, .announce = true},
		{.prefix = "192.0.2.81/32", .family = 4, .announce = false},
		{.prefix = "2001:db8::80/128", .family = 6, .announce = true},
	};
	char *s;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/vips.conf", dir);
	ck_assert_int_eq(sld_bird_write(path, "lb1", p, 3, err, sizeof(err)), 0);
	s = slurp(path);
	ck_assert_ptr_nonnull(strstr(s, "node lb1"));
	ck_assert_ptr_nonnull(strstr(s, "protocol static sluice_vips4 {\n\tipv4;\n"
					"\troute 192.0.2.80/32 blackhole;\n}\n"));
	ck_assert_ptr_null(strstr(s, "192.0.2.81")); /* withdrawn: not in the file */
	ck_assert_ptr_nonnull(strstr(s, "protocol static sluice_vips6 {\n\tipv6;\n"
					"\troute 2001:db8::80/128 blackhole;\n}\n"));
	/* Nothing announced: both protocols, empty (BIRD needs them to exist). */
	ck_assert_int_eq(sld_bird_write(path, "lb1", NULL, 0, err, sizeof(err)), 0);
	s = slurp(path);
	ck_assert_ptr_nonnull(strstr(s, "protocol static sluice_vips4 {\n\tipv4;\n}\n"));
	ck_assert_ptr_nonnull(strstr(s, "protocol static sluice_vips6 {\n\tipv6;\n}\n"));
	ck_assert_ptr_null(strstr(s, "route"));
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	ck_assert_int_ne(access(tmp, F_OK), 0);
	/* A directory that does not exist: the error names the file. */
	ck_assert_int_eq(
		sld_bird_write("/nonexistent-dir/x.conf", "lb1", p, 3, err, sizeof(err)), -ENOENT);
	ck_assert_ptr_nonnull(strstr(err, "/nonexistent-dir/x.conf.tmp"));
	unlink(path);
	rmdir(dir);
}
END_TEST

/* ---- the control protocol ---- */

START_TEST(test_bird_reply_lines)
{
	static const struct {
		const char *line;
		int rc, code, last;
	} cases[] = {
		{"0001 BIRD 2.0.12 ready.", 0, 1, 1},
		{"0002-Reading configuration from /etc/bird.conf", 0, 2, 0},
		{"0003 Reconfigured", 0, 3, 1},
		{"8002 /etc/bird.conf:3:1 syntax error", 0, 8002, 1},
		{"9001 Parse error", 0, 9001, 1},
		{" continued", 0, -1, 0},
		{"+0017 asynchronous", 0, -1, 0},
		{"", -EPROTO, 0, 0},
		{"12", -EPROTO, 0, 0},
		{"0003Reconfigured", -EPROTO, 0, 0},
		{"x003 Reconfigured", -EPROTO, 0, 0},
		{"00a3 Reconfigured", -EPROTO, 0, 0},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int code = 0, last = 0;
		int rc = sld_bird_reply_line(cases[i].line, &code, &last);

		ck_assert_msg(rc == cases[i].rc, "'%s': rc %d", cases[i].line, rc);
		if (rc == 0) {
			ck_assert_msg(code == cases[i].code, "'%s': code %d", cases[i].line, code);
			ck_assert_msg(last == cases[i].last, "'%s': last %d", cases[i].line, last);
		}
	}
}
END_TEST

/* A stand-in for BIRD's socket: greets with @hello, reads one command, answers @reply. */
struct fake_bird {
	char path[108];
	int fd;
	const char *hello;
	const char *reply; /* NULL: say nothing after the command */
	char got[64];
	pthread_t th;
};

static void *
fake_bird_run(void *arg)
{
	struct fake_bird *f = arg;
	int c = accept(f->fd, NULL, NULL);
	ssize_t n;

	if (c < 0)
		return NULL;
	/* Byte by byte, so the client sees lines split across reads. */
	for (const char *s = f->hello; *s; s++)
		if (write(c, s, 1) != 1)
			break;
	n = read(c, f->got, sizeof(f->got) - 1);
	if (n > 0)
		f->got[n] = '\0';
	if (f->reply != NULL && write(c, f->reply, strlen(f->reply)) < 0)
		n = -1;
	else if (f->reply == NULL)
		usleep(600 * 1000); /* past the client's timeout */
	close(c);
	return NULL;
}

static void
fake_bird_start(struct fake_bird *f, const char *hello, const char *reply)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};

	snprintf(f->path, sizeof(f->path), "/tmp/sl-unit-bird-%d.ctl", (int)getpid());
	unlink(f->path);
	f->hello = hello;
	f->reply = reply;
	f->got[0] = '\0';
	f->fd = socket(AF_UNIX, SOCK_STREAM, 0);
	ck_assert_int_ge(f->fd, 0);
	memcpy(sa.sun_path, f->path, strlen(f->path) + 1);
	ck_assert_int_eq(bind(f->fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	ck_assert_int_eq(listen(f->fd, 1), 0);
	ck_assert_int_eq(pthread_create(&f->th, NULL, fake_bird_run, f), 0);
}

static void
fake_bird_stop(struct fake_bird *f)
{
	pthread_join(f->th, NULL);
	close(f->fd);
	unlink(f->path);
}

START_TEST(test_bird_configure)
{
	struct fake_bird f;
	char err[256];

	signal(SIGPIPE, SIG_IGN); /* the stand-in writes to clients that hung up */
	fake_bird_start(&f, "0001 BIRD 2.0.12 ready.\n",
		"0002-Reading configuration from /etc/bird/bird.conf\n0003 Reconfigured\n");
	ck_assert_int_eq(sld_bird_configure(f.path, 2000, err, sizeof(err)), 0);
	fake_bird_stop(&f);
	ck_assert_str_eq(f.got, "configure\n");
	ck_assert_str_eq(err, "");

	/* BIRD refuses (an error in the operator's config): its words come back. */
	fake_bird_start(&f, "0001 BIRD 2.0.12 ready.\n",
		"0002-Reading configuration from /etc/bird/bird.conf\n"
		"8002 /etc/bird/bird.conf:12:3 syntax error, unexpected CF_SYM_UNDEFINED\n");
	ck_assert_int_eq(sld_bird_configure(f.path, 2000, err, sizeof(err)), -EINVAL);
	fake_bird_stop(&f);
	ck_assert_ptr_nonnull(strstr(err, "bird.conf:12:3 syntax error"));

	/* Not BIRD. */
	fake_bird_start(&f, "HTTP/1.1 400 Bad Request\n", "");
	ck_assert_int_eq(sld_bird_configure(f.path, 2000, err, sizeof(err)), -EPROTO);
	fake_bird_stop(&f);
	ck_assert_ptr_nonnull(strstr(err, "unexpected reply line"));

	/* Greets, then says nothing: bounded by the timeout. */
	fake_bird_start(&f, "0001 BIRD 2.0.12 ready.\n", NULL);
	ck_assert_int_eq(sld_bird_configure(f.path, 300, err, sizeof(err)), -ETIMEDOUT);
	fake_bird_stop(&f);

	/* Closes after the command. */
	fake_bird_start(&f, "0001 BIRD 2.0.12 ready.\n", "");
	ck_assert_int_eq(sld_bird_configure(f.path, 2000, err, sizeof(err)), -EPROTO);
	fake_bird_stop(&f);
	ck_assert_ptr_nonnull(strstr(err, "closed"));

	/* Nobody there. */
	ck_assert_int_eq(sld_bird_configure(f.path, 300, err, sizeof(err)), -ENOENT);
	ck_assert_ptr_nonnull(strstr(err, f.path));
}
END_TEST

/* ---- base64, as etcd's JSON gateway writes bytes ---- */

START_TEST(test_base64)
{
	static const char *const plain[] = {
		"", "f", "fo", "foo", "foob", "fooba", "foobar", "/sluice/state"};
	static const char *const coded[] = {"", "Zg==", "Zm8=", "Zm9v",
		"Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy", "L3NsdWljZS9zdGF0ZQ=="};
	static const char *const bad[] = {
		"Zg=", "Zg===", "Z===", "Zm9v!A==", "=Zm9", "Zg==Zg==", "Zm=v"};

	for (size_t i = 0; i < sizeof(plain) / sizeof(plain[0]); i++) {
		char *e = sld_b64_encode((const unsigned char *)plain[i], strlen(plain[i]));
		size_t n = 99;
		char *d = sld_b64_decode(coded[i], strlen(coded[i]), &n);

		ck_assert_str_eq(e, coded[i]);
		ck_assert_ptr_nonnull(d);
		ck_assert_uint_eq(n, strlen(plain[i]));
		ck_assert_str_eq(d, plain[i]);
		free(e);
		free(d);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		size_t n;

		ck_assert_msg(sld_b64_decode(bad[i], strlen(bad[i]), &n) == NULL, "'%s' accepted",
			bad[i]);
	}
}
END_TEST

static Suite *
cluster_suite(void)
{
	Suite *s = suite_create("cluster");

	SL_TCASE(s, test_decide_healthy_node_announces_every_address);
	SL_TCASE(s, test_decide_maintenance_and_dataplane_withdraw_all);
	SL_TCASE(s, test_decide_min_healthy_rule_all_and_any);
	SL_TCASE(s, test_decide_empty_state);
	SL_TCASE(s, test_bird_include_file);
	SL_TCASE(s, test_bird_reply_lines);
	SL_TCASE(s, test_bird_configure);
	SL_TCASE(s, test_base64);
	return s;
}

SL_TEST_MAIN(cluster_suite)
