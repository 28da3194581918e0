/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The options of the vip and backend verbs, in ipvsadm's vocabulary where it
 * has one (-t/-u service, -r real server, -w weight, -g gatewaying = l2,
 * -i ipip = encap), parsed once for every verb with a mask of what each
 * verb takes; and the imperative write with its bounded 412 retry.
 */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lbadm.h"

enum {
	O_MAC = 256,
	O_STATE,
	O_HASH,
	O_FORWARDING,
	O_CHECK,
	O_CHECK_PORT,
	O_CHECK_PATH,
	O_CHECK_HOST,
	O_CHECK_EXPECT,
	O_CHECK_COMMAND,
	O_CHECK_INTERVAL,
	O_CHECK_TIMEOUT,
	O_RISE,
	O_FALL,
	O_SLOW_START,
	O_MIN_HEALTHY,
	O_MIN_HEALTHY_PERCENT,
	O_FAIL_OPEN,
	O_FAIL_CLOSED,
	O_STATS,
};

static const struct option lopts[] = {
	{"tcp-service", required_argument, NULL, 't'},
	{"udp-service", required_argument, NULL, 'u'},
	{"real-server", required_argument, NULL, 'r'},
	{"weight", required_argument, NULL, 'w'},
	{"mac", required_argument, NULL, O_MAC},
	{"state", required_argument, NULL, O_STATE},
	{"hash", required_argument, NULL, O_HASH},
	{"forwarding", required_argument, NULL, O_FORWARDING},
	{"ipip", no_argument, NULL, 'i'},
	{"gatewaying", no_argument, NULL, 'g'},
	{"check", required_argument, NULL, O_CHECK},
	{"check-port", required_argument, NULL, O_CHECK_PORT},
	{"check-path", required_argument, NULL, O_CHECK_PATH},
	{"check-host", required_argument, NULL, O_CHECK_HOST},
	{"check-expect", required_argument, NULL, O_CHECK_EXPECT},
	{"check-command", required_argument, NULL, O_CHECK_COMMAND},
	{"check-interval", required_argument, NULL, O_CHECK_INTERVAL},
	{"check-timeout", required_argument, NULL, O_CHECK_TIMEOUT},
	{"rise", required_argument, NULL, O_RISE},
	{"fall", required_argument, NULL, O_FALL},
	{"slow-start", required_argument, NULL, O_SLOW_START},
	{"min-healthy", required_argument, NULL, O_MIN_HEALTHY},
	{"min-healthy-percent", required_argument, NULL, O_MIN_HEALTHY_PERCENT},
	{"fail-open", no_argument, NULL, O_FAIL_OPEN},
	{"fail-closed", no_argument, NULL, O_FAIL_CLOSED},
	{"numeric", no_argument, NULL, 'n'},
	{"stats", no_argument, NULL, O_STATS},
	{"help", no_argument, NULL, 'h'},
	{NULL, 0, NULL, 0},
};

/* Which set each option belongs to. */
static unsigned
opt_set(int c)
{
	switch (c) {
	case 't':
	case 'u':
		return LB_O_SERVICE;
	case 'r':
		return LB_O_REAL;
	case 'w':
		return LB_O_WEIGHT;
	case O_MAC:
		return LB_O_MAC;
	case O_STATE:
		return LB_O_STATE;
	case 'n':
	case O_STATS:
		return LB_O_LIST;
	case 'h':
		return ~0u;
	default:
		return LB_O_VIP;
	}
}

static json_t *
sub_object(json_t *o, const char *key)
{
	json_t *s = json_object_get(o, key);

	if (!s) {
		s = json_object();
		json_object_set_new(o, key, s);
	}
	return s;
}

/* An integer option: syntax here (exit 2); ranges are the API's (exit 1, field named). */
static int
int_opt(const char *verb, const char *name, const char *v, unsigned long long *out)
{
	int rc = lb_parse_uint(v, 0, 4294967295ull, out);

	if (rc < 0)
		return lb_usage(verb, "--%s: '%s' is not a decimal number%s", name, v,
			rc == -ERANGE ? " in 0..4294967295" : "");
	return 0;
}

static int
set_vip_opt(struct lb_opts *o, const char *verb, int c, const char *v)
{
	static const struct {
		int opt;
		const char *name;
		const char *obj; /* sub-object, or NULL for the VIP itself */
		const char *key;
		bool integer;
	} map[] = {
		{O_HASH, "hash", NULL, "hash", false},
		{O_FORWARDING, "forwarding", NULL, "forwarding", false},
		{O_CHECK, "check", "health_check", "type", false},
		{O_CHECK_PORT, "check-port", "health_check", "port", true},
		{O_CHECK_PATH, "check-path", "health_check", "path", false},
		{O_CHECK_HOST, "check-host", "health_check", "host", false},
		{O_CHECK_EXPECT, "check-expect", "health_check", "expect_status", true},
		{O_CHECK_INTERVAL, "check-interval", "health_check", "interval_ms", true},
		{O_CHECK_TIMEOUT, "check-timeout", "health_check", "timeout_ms", true},
		{O_RISE, "rise", "health_check", "rise", true},
		{O_FALL, "fall", "health_check", "fall", true},
		{O_SLOW_START, "slow-start", NULL, "slow_start_s", true},
		{O_MIN_HEALTHY, "min-healthy", "min_healthy", "count", true},
		{O_MIN_HEALTHY_PERCENT, "min-healthy-percent", "min_healthy", "percent", true},
	};
	unsigned long long n;

	switch (c) {
	case 'i':
		json_object_set_new(o->vip, "forwarding", json_string("encap"));
		return 0;
	case 'g':
		json_object_set_new(o->vip, "forwarding", json_string("l2"));
		return 0;
	case O_FAIL_OPEN:
	case O_FAIL_CLOSED:
		json_object_set_new(sub_object(o->vip, "min_healthy"), "action",
			json_string(c == O_FAIL_OPEN ? "fail_open" : "fail_closed"));
		return 0;
	case O_CHECK_COMMAND: {
		/* argv split on blanks: no shell, no quoting (apply -f for anything else). */
		json_t *argvj = json_array();
		char *copy = strdup(v), *save = NULL;
		for (char *t = strtok_r(copy, " \t", &save); t; t = strtok_r(NULL, " \t", &save))
			json_array_append_new(argvj, json_string(t));
		free(copy);
		if (json_array_size(argvj) == 0) {
			json_decref(argvj);
			return lb_usage(verb, "--check-command: empty command");
		}
		json_object_set_new(sub_object(o->vip, "health_check"), "command", argvj);
		return 0;
	}
	default:
		break;
	}
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
		if (map[i].opt != c)
			continue;
		json_t *dst = map[i].obj ? sub_object(o->vip, map[i].obj) : o->vip;
		if (map[i].integer) {
			int rc = int_opt(verb, map[i].name, v, &n);
			if (rc)
				return rc;
			json_object_set_new(dst, map[i].key, json_integer((json_int_t)n));
		} else {
			json_object_set_new(dst, map[i].key, json_string(v));
		}
		return 0;
	}
	return lb_usage(verb, "internal: unmapped option %d", c);
}

int
lb_opts_parse(struct lb_opts *o, unsigned allowed, int argc, char **argv, const char *help)
{
	const char *verb = lb_verb;
	char err[256];
	int c, rc;

	memset(o, 0, sizeof(*o));
	o->vip = json_object();
	optind = 0; /* GNU: reinitialise for this argv */
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":t:u:r:w:ignh", lopts, NULL)) != -1) {
		if (c == '?')
			return lb_usage(verb, "unknown option '%s'", argv[optind - 1]);
		if (c == ':')
			return lb_usage(verb, "option '%s' needs a value", argv[optind - 1]);
		if (c != 'h' && !(opt_set(c) & allowed))
			return lb_usage(verb, "option '%s' does not apply here", argv[optind - 1]);
		switch (c) {
		case 'h':
			printf("usage: lbadm %s %s", verb, help);
			return -1;
		case 't':
		case 'u':
			if (o->have_svc)
				return lb_usage(verb, "one service only");
			if (lb_parse_service(optarg, c == 't' ? "tcp" : "udp", &o->svc, err,
				    sizeof(err)) < 0)
				return lb_usage(verb, "-%c: %s", c, err);
			o->have_svc = true;
			break;
		case 'r':
			o->real = optarg;
			break;
		case 'w':
			rc = int_opt(verb, "weight", optarg, &o->weight);
			if (rc)
				return rc;
			o->have_weight = true;
			break;
		case O_MAC:
			o->mac = optarg;
			break;
		case O_STATE:
			o->state = optarg;
			break;
		case 'n':
			break; /* ipvsadm -n: addresses are always numeric here */
		case O_STATS:
			o->stats = true;
			break;
		default:
			rc = set_vip_opt(o, verb, c, optarg);
			if (rc)
				return rc;
		}
	}
	o->args = argv + optind;
	o->nargs = argc - optind;
	/* The API's name of a VIP as the first operand: `vip show tcp/192.0.2.80/80`. */
	if ((allowed & LB_O_SERVICE) && !o->have_svc && o->nargs > 0 && strchr(o->args[0], '/')) {
		if (lb_parse_service(o->args[0], NULL, &o->svc, err, sizeof(err)) < 0)
			return lb_usage(verb, "%s", err);
		o->have_svc = true;
		o->args++;
		o->nargs--;
	}
	if (o->real) {
		if (lb_parse_real(o->real, o->have_svc ? &o->svc : NULL, o->real_addr,
			    sizeof(o->real_addr), err, sizeof(err)) < 0)
			return lb_usage(verb, "-r: %s", err);
	}
	return 0;
}

void
lb_opts_free(struct lb_opts *o)
{
	json_decref(o->vip);
	o->vip = NULL;
}

void
lb_vip_path(const struct lb_service *svc, char *buf, size_t len)
{
	snprintf(buf, len, "/v1/vips/%s/%s/%u", svc->proto, svc->addr, svc->port);
}

/* The current version: the answer's, else /v1/status's. -1 when unknown. */
static long long
current_version(const struct lb_resp *r)
{
	struct lb_resp st;
	long long v = lb_resp_version(r);

	if (v >= 0)
		return v;
	if (lb_http("GET", "/v1/status", NULL, -1, &st) == 0 && st.status == 200)
		v = lb_resp_version(&st);
	lb_resp_free(&st);
	return v;
}

int
lb_write(const char *method, const char *path, json_t *body, const char *read_path,
	int (*check)(const struct lb_resp *cur, void *arg), void *arg, struct lb_resp *out,
	long long *before)
{
	struct lb_resp cur;
	int rc;

	for (int attempt = 1;; attempt++) {
		rc = lb_http("GET", read_path, NULL, -1, &cur);
		if (rc < 0)
			return -rc;
		if (check) {
			rc = check(&cur, arg);
		} else {
			rc = lb_resp_check(&cur);
		}
		long long v = rc ? -1 : current_version(&cur);
		lb_resp_free(&cur);
		if (rc)
			return rc;
		if (v < 0)
			return lb_fail(LB_EXIT_UNREACHABLE, "bad_answer", NULL,
				"sluiced did not say which version the state is at");
		*before = v;
		rc = lb_http(method, path, body, v, out);
		if (rc < 0)
			return -rc;
		if (out->status == 412 && attempt < LB_MAX_ATTEMPTS) {
			/* Someone else committed in between: re-read, re-check, retry. */
			lb_resp_free(out);
			usleep(20000u * (unsigned)attempt);
			continue;
		}
		return lb_resp_check(out);
	}
}

void
lb_report_write(const struct lb_resp *r, long long before, const char *what)
{
	json_t *changed = json_is_object(r->body) ? json_object_get(r->body, "changed") : NULL;
	long long after = lb_resp_version(r);

	if (lb_g.json) {
		lb_print_json(r->body);
		return;
	}
	const char *pending = json_is_true(json_object_get(r->body, "pending"))
				      ? " (pending: sluice-dp is not running it yet; sluiced "
					"pushes it when it can)"
				      : "";
	if (json_is_false(changed))
		printf("%s %s: unchanged (version %lld)%s\n", lb_verb, what, after, pending);
	else
		printf("%s %s: version %lld -> %lld%s\n", lb_verb, what, before, after, pending);
}
