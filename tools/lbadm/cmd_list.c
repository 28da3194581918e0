/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The read verbs: list (ipvsadm -Ln's table with health, weights and live
 * counters), stats, status, health and metrics. With -j each prints the
 * API's answer as it came.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <string.h>

#include "lbadm.h"

json_t *
lb_vip_of(json_t *body)
{
	json_t *v = json_object_get(body, "vip");

	return json_is_object(v) ? v : body;
}

/* A VIP's identity: its "vip" key (tcp/ADDR/PORT), else address/protocol/port. */
static bool
vip_svc(json_t *vip, struct lb_service *svc)
{
	const char *key = json_string_value(json_object_get(vip, "vip"));
	const char *proto = json_string_value(json_object_get(vip, "protocol"));
	const char *addr = json_string_value(json_object_get(vip, "address"));
	char err[256], id[128];

	if (key && lb_parse_service(key, NULL, svc, err, sizeof(err)) == 0)
		return true;
	if (!proto || !addr || !json_is_integer(json_object_get(vip, "port")))
		return false;
	snprintf(id, sizeof(id), "%s/%s/%" JSON_INTEGER_FORMAT, proto, addr,
		json_integer_value(json_object_get(vip, "port")));
	return lb_parse_service(id, NULL, svc, err, sizeof(err)) == 0;
}

/* "TCP" and "192.0.2.80:80" / "[2001:db8::1]:80". */
void
lb_service_text(char *proto, size_t plen, char *buf, size_t len, json_t *vip)
{
	struct lb_service svc;

	if (!vip_svc(vip, &svc)) {
		snprintf(proto, plen, "?");
		snprintf(buf, len, "?");
		return;
	}
	for (size_t i = 0; i + 1 < plen; i++) {
		proto[i] = (char)toupper((unsigned char)svc.proto[i]);
		if (!svc.proto[i])
			break;
	}
	proto[plen - 1] = '\0';
	if (svc.family == AF_INET6)
		snprintf(buf, len, "[%s]:%u", svc.addr, svc.port);
	else
		snprintf(buf, len, "%s:%u", svc.addr, svc.port);
}

static void
check_text(char *buf, size_t len, json_t *vip)
{
	json_t *hc = json_object_get(vip, "health_check");
	const char *type = json_string_value(json_object_get(hc, "type"));

	if (!type || strcmp(type, "none") == 0) {
		snprintf(buf, len, "none");
		return;
	}
	char port[16];
	lb_fmt(port, sizeof(port), json_object_get(hc, "port"));
	if (strcmp(port, "-") == 0)
		snprintf(buf, len, "%s", type);
	else
		snprintf(buf, len, "%s/%s", type, port);
}

static bool
vip_matches(json_t *vip, const struct lb_service *only)
{
	struct lb_service svc;

	if (!only)
		return true;
	return vip_svc(vip, &svc) && strcmp(svc.proto, only->proto) == 0 &&
	       svc.port == only->port && lb_addr_eq(svc.addr, only->addr);
}

/* The ipvsadm -Ln layout: a VIP line, then one "->" line per backend. */
static void
print_vip(json_t *vip, bool stats)
{
	char proto[8], svc[80], check[40], c[6][64];
	json_t *b;
	size_t i;

	lb_service_text(proto, sizeof(proto), svc, sizeof(svc), vip);
	check_text(check, sizeof(check), vip);
	lb_fmt(c[0], sizeof(c[0]), json_object_get(vip, "hash"));
	lb_fmt(c[1], sizeof(c[1]), json_object_get(vip, "forwarding"));
	if (stats) {
		lb_fmt(c[2], sizeof(c[2]), json_object_get(vip, "packets"));
		lb_fmt(c[3], sizeof(c[3]), json_object_get(vip, "bytes"));
		printf("%-4s %-30s %-11s %-7s %-9s %10s %12s %14s\n", proto, svc, c[0], c[1], check,
			"", c[2], c[3]);
	} else {
		printf("%-4s %-30s %-11s %-7s %s\n", proto, svc, c[0], c[1], check);
	}
	json_array_foreach(json_object_get(vip, "backends"), i, b)
	{
		char addr[64], health[16];
		lb_fmt(addr, sizeof(addr), json_object_get(b, "address"));
		lb_fmt(health, sizeof(health), json_object_get(b, "health"));
		lb_fmt(c[0], sizeof(c[0]), json_object_get(b, "state"));
		lb_fmt(c[1], sizeof(c[1]), json_object_get(b, "weight"));
		lb_fmt(c[2], sizeof(c[2]), json_object_get(b, "new_flows"));
		lb_fmt(c[3], sizeof(c[3]), json_object_get(b, "packets"));
		lb_fmt(c[4], sizeof(c[4]), json_object_get(b, "bytes"));
		if (stats) {
			printf("  -> %-28s %-11s %-7s %-9s %10s %12s %14s\n", addr, c[0], "", "",
				c[2], c[3], c[4]);
			continue;
		}
		char eff_state[32], eff_weight[32];
		lb_fmt(eff_state, sizeof(eff_state), json_object_get(b, "effective_state"));
		lb_fmt(eff_weight, sizeof(eff_weight), json_object_get(b, "effective_weight"));
		printf("  -> %-28s %-11s %-7s %-9s %6s %6s %10s %12s\n", addr, c[0], health,
			eff_state, c[1], eff_weight, c[2], c[3]);
	}
}

int
lb_show_vips(const struct lb_service *only, bool stats)
{
	struct lb_resp r;
	char path[160], id[128];
	json_t *vips, *v;
	size_t i, shown = 0;
	int rc;

	if (only)
		lb_vip_path(only, path, sizeof(path));
	else
		snprintf(path, sizeof(path), "/v1/vips");
	rc = lb_get(path, &r);
	if (rc)
		goto out;
	if (lb_g.json) {
		lb_print_json(r.body);
		goto out;
	}
	vips = json_object_get(r.body, "vips"); /* NULL: one VIP (GET /v1/vips/...) */
	if (!json_is_array(vips))
		vips = NULL;
	printf("Sluice state version %lld\n", lb_resp_version(&r));
	if (stats) {
		printf("%-4s %-30s %-11s %-7s %-9s %10s %12s %14s\n", "Prot", "LocalAddress:Port",
			"Hash", "Forward", "Check", "", "Packets", "Bytes");
		printf("  -> %-28s %-11s %-7s %-9s %10s %12s %14s\n", "RemoteAddress", "State", "",
			"", "NewFlows", "Packets", "Bytes");
	} else {
		printf("%-4s %-30s %-11s %-7s %s\n", "Prot", "LocalAddress:Port", "Hash", "Forward",
			"Check");
		printf("  -> %-28s %-11s %-7s %-9s %6s %6s %10s %12s\n", "RemoteAddress", "State",
			"Health", "Effective", "Weight", "EffW", "NewFlows", "Packets");
	}
	if (!vips) {
		print_vip(lb_vip_of(r.body), stats);
		goto out;
	}
	json_array_foreach(vips, i, v)
	{
		if (!vip_matches(v, only))
			continue;
		print_vip(v, stats);
		shown++;
	}
	if (only && shown == 0) {
		lb_service_id(only, id, sizeof(id));
		rc = lb_fail(LB_EXIT_NOT_FOUND, "not_found", NULL, "no VIP %s", id);
	}
out:
	lb_resp_free(&r);
	return rc;
}

int
lb_simple_opts(int argc, char **argv, unsigned allowed, const char *help, struct lb_opts *o)
{
	int rc = lb_opts_parse(o, allowed, argc, argv, help);

	if (rc == 0 && o->nargs > 0)
		rc = lb_usage(lb_verb, "unexpected argument '%s'", o->args[0]);
	return rc;
}

int
lb_do_list(int argc, char **argv)
{
	struct lb_opts o;
	int rc = lb_simple_opts(argc, argv, LB_O_SERVICE | LB_O_LIST,
		"[-t|-u SERVICE] [--stats] [-n]\n"
		"Every VIP (or one) with its backends: configured state and weight, health,\n"
		"effective state and weight, new flows and packets from the dataplane.\n\n"
		"  -t|-u SERVICE, PROTO/ADDR/PORT   only this VIP\n"
		"  --stats                packets and bytes per VIP and backend\n"
		"  -n                     accepted for ipvsadm habits (always numeric)\n",
		&o);

	if (rc == 0)
		rc = lb_show_vips(o.have_svc ? &o.svc : NULL, o.stats);
	lb_opts_free(&o);
	return rc < 0 ? LB_EXIT_OK : rc;
}

/* GET @path and print it: -j as is, else as "path value" lines. */
static int
show_flat(int argc, char **argv, const char *path, const char *help)
{
	struct lb_opts o;
	struct lb_resp r = {0};
	int rc = lb_simple_opts(argc, argv, 0, help, &o);

	if (rc)
		goto out;
	rc = lb_get(path, &r);
	if (rc)
		goto out;
	if (lb_g.json)
		lb_print_json(r.body);
	else
		lb_print_flat(stdout, r.body, NULL);
out:
	lb_resp_free(&r);
	lb_opts_free(&o);
	return rc < 0 ? LB_EXIT_OK : rc;
}

int
lb_do_status(int argc, char **argv)
{
	return show_flat(argc, argv, "/v1/status",
		"\nThe node: name, state version, the dataplane's connection and generation,\n"
		"whether it runs the current version, health summary, uptime.\n");
}

int
lb_do_health(int argc, char **argv)
{
	struct lb_opts o;
	struct lb_resp r = {0};
	json_t *vips, *v, *b;
	size_t i, k;
	int rc = lb_simple_opts(argc, argv, LB_O_SERVICE,
		"[-t|-u SERVICE]\nHealth per backend: up/down/unknown, since when, the last "
		"check's result,\nand the effective state and weight it leads to.\n",
		&o);

	if (rc)
		goto out;
	rc = lb_get("/v1/health", &r);
	if (rc)
		goto out;
	if (lb_g.json) {
		lb_print_json(r.body);
		goto out;
	}
	vips = json_object_get(r.body, "vips");
	if (!json_is_array(vips)) {
		lb_print_flat(stdout, r.body, NULL);
		goto out;
	}
	/* Since: "2024-05-01T12:00:00.123Z", 24 characters. */
	printf("%-4s %-30s %-28s %-8s %-24s %-5s %-9s %-10s %s\n", "Prot", "LocalAddress:Port",
		"RemoteAddress", "Health", "Since", "Last", "Latency", "Effective", "Error");
	json_array_foreach(vips, i, v)
	{
		char proto[8], svc[80];
		if (!vip_matches(v, o.have_svc ? &o.svc : NULL))
			continue;
		lb_service_text(proto, sizeof(proto), svc, sizeof(svc), v);
		json_array_foreach(json_object_get(v, "backends"), k, b)
		{
			json_t *last = json_object_get(b, "last");
			char c[7][96];
			lb_fmt(c[0], sizeof(c[0]), json_object_get(b, "address"));
			lb_fmt(c[1], sizeof(c[1]), json_object_get(b, "health"));
			lb_fmt(c[2], sizeof(c[2]), json_object_get(b, "since"));
			lb_fmt(c[3], sizeof(c[3]), json_object_get(last, "ok"));
			lb_fmt(c[4], sizeof(c[4]), json_object_get(last, "latency_ms"));
			lb_fmt(c[5], sizeof(c[5]), json_object_get(b, "effective_state"));
			lb_fmt(c[6], sizeof(c[6]), json_object_get(last, "error"));
			printf("%-4s %-30s %-28s %-8s %-24s %-5s %-9s %-10s %s\n", proto, svc, c[0],
				c[1], c[2], c[3], c[4], c[5], c[6]);
		}
	}
out:
	lb_resp_free(&r);
	lb_opts_free(&o);
	return rc < 0 ? LB_EXIT_OK : rc;
}

int
lb_do_metrics(int argc, char **argv)
{
	struct lb_opts o;
	struct lb_resp r = {0};
	int rc = lb_simple_opts(argc, argv, 0,
		"\nThe Prometheus metrics (text format 0.0.4) as sluiced serves them on "
		"/metrics.\n",
		&o);

	if (rc)
		goto out;
	rc = lb_http("GET", "/metrics", NULL, -1, &r);
	if (rc < 0) {
		rc = -rc;
		goto out;
	}
	if (r.status != 200) {
		rc = lb_resp_check(&r);
		goto out;
	}
	if (lb_g.json) {
		json_t *j = json_pack("{s:s}", "metrics", r.raw ? r.raw : "");
		lb_print_json(j);
		json_decref(j);
	} else {
		fputs(r.raw ? r.raw : "", stdout);
	}
out:
	lb_resp_free(&r);
	lb_opts_free(&o);
	return rc < 0 ? LB_EXIT_OK : rc;
}
