/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lbadm set KEY=VALUE...: the state's global settings, one imperative change
 * (read the state, change the keys, write it back with If-Match; retried on
 * 412 like the other one-field changes).
 */
#include <string.h>

#include "lbadm.h"

/* KEY=VALUE into @state: dotted keys reach into objects (timeouts.udp=60);
 * a decimal VALUE is an integer, anything else a string; an empty VALUE
 * removes the key (its default applies). 0 or an exit code (reported). */
static int
set_one(json_t *state, const char *arg)
{
	const char *eq = strchr(arg, '=');
	char key[256];
	unsigned long long n;

	if (!eq || eq == arg || (size_t)(eq - arg) >= sizeof(key))
		return lb_usage(lb_verb, "'%s': expected KEY=VALUE", arg);
	memcpy(key, arg, (size_t)(eq - arg));
	key[eq - arg] = '\0';
	if (strcmp(key, "vips") == 0 || strncmp(key, "vips.", 5) == 0 ||
		strcmp(key, "filter") == 0 || strncmp(key, "filter.", 7) == 0)
		return lb_usage(
			lb_verb, "'%s': use the vip, backend and filter verbs for that", key);
	json_t *obj = state;
	char *save = NULL, *part = strtok_r(key, ".", &save), *next;
	for (; (next = strtok_r(NULL, ".", &save)); part = next) {
		json_t *sub = json_object_get(obj, part);
		if (!json_is_object(sub)) {
			sub = json_object();
			json_object_set_new(obj, part, sub);
		}
		obj = sub;
	}
	const char *v = eq + 1;
	if (!*v)
		json_object_del(obj, part);
	else if (lb_parse_uint(v, 0, 1ull << 53, &n) == 0)
		json_object_set_new(obj, part, json_integer((json_int_t)n));
	else
		json_object_set_new(obj, part, json_string(v));
	return 0;
}

int
lb_do_set(int argc, char **argv)
{
	struct lb_resp cur, w = {0};
	int rc = 0;
	static const char help[] =
		"KEY=VALUE...\n"
		"Set global settings of the state (docs/configuration.md): nexthop_mac, seed,\n"
		"mtu, ttl, table_size, encap_source_v4, timeouts.udp, ... A decimal VALUE is an\n"
		"integer, anything else a string; KEY= (empty) goes back to the default.\n"
		"Retried on a conflict like the other one-field changes.\n";

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			printf("usage: lbadm %s %s", lb_verb, help);
			return LB_EXIT_OK;
		}
		if (argv[i][0] == '-')
			return lb_usage(lb_verb, "unknown option '%s'", argv[i]);
	}
	if (argc < 2)
		return lb_usage(lb_verb, "what to set? KEY=VALUE");
	for (int attempt = 1;; attempt++) {
		rc = lb_get("/v1/state", &cur);
		if (rc) {
			lb_resp_free(&cur);
			return rc;
		}
		long long v = lb_resp_version(&cur);
		json_t *state = json_deep_copy(json_object_get(cur.body, "state"));
		lb_resp_free(&cur);
		if (!json_is_object(state)) {
			json_decref(state);
			return lb_fail(LB_EXIT_UNREACHABLE, "bad_answer", NULL,
				"no state in sluiced's answer");
		}
		for (int i = 1; i < argc && rc == 0; i++)
			rc = set_one(state, argv[i]);
		if (rc == 0)
			rc = lb_http("PUT", "/v1/state", state, v, &w);
		json_decref(state);
		if (rc < 0)
			return -rc;
		if (rc)
			return rc;
		if (w.status == 412 && attempt < LB_MAX_ATTEMPTS) {
			lb_resp_free(&w);
			continue;
		}
		rc = lb_resp_check(&w);
		if (rc == 0)
			lb_report_write(&w, v, "globals");
		lb_resp_free(&w);
		return rc;
	}
}
