/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lbadm backend add|edit|delete|drain|enable|disable|weight: the real
 * servers of a VIP (ipvsadm -a/-e/-d), one field at a time. Each is a read
 * for the version, then a write with If-Match, retried on 412.
 */
#include <arpa/inet.h>
#include <string.h>

#include "lbadm.h"

#define BACKEND_HELP                                                                               \
	"  -t, --tcp-service ADDR:PORT | -u, --udp-service ADDR:PORT | PROTO/ADDR/PORT\n"          \
	"                         the VIP; IPv6 as [ADDR]:PORT\n"                                  \
	"  -r, --real-server ADDR the backend (ADDR:PORT accepted when PORT is the VIP's)\n"

struct be_ctx {
	char vip_id[128];
	const char *addr;
	bool want_exists; /* the backend must exist (else: must not) */
};

bool
lb_addr_eq(const char *a, const char *b)
{
	unsigned char x[16], y[16];

	if (!a || !b)
		return false;
	if (inet_pton(AF_INET, a, x) == 1)
		return inet_pton(AF_INET, b, y) == 1 && memcmp(x, y, 4) == 0;
	if (inet_pton(AF_INET6, a, x) == 1)
		return inet_pton(AF_INET6, b, y) == 1 && memcmp(x, y, 16) == 0;
	return strcmp(a, b) == 0;
}

json_t *
lb_find_backend(json_t *vip, const char *addr)
{
	size_t i;
	json_t *b;

	json_array_foreach(json_object_get(vip, "backends"), i, b)
	{
		if (lb_addr_eq(json_string_value(json_object_get(b, "address")), addr))
			return b;
	}
	return NULL;
}

static int
check_backend(const struct lb_resp *cur, void *arg)
{
	struct be_ctx *c = arg;
	int rc = lb_resp_check(cur);

	if (rc)
		return rc; /* no such VIP: 404 -> exit 5, reported */
	json_t *b = lb_find_backend(lb_vip_of(cur->body), c->addr);
	if (c->want_exists && !b)
		return lb_fail(LB_EXIT_NOT_FOUND, "not_found", NULL, "%s has no backend %s",
			c->vip_id, c->addr);
	if (!c->want_exists && b)
		return lb_fail(LB_EXIT_CONFLICT, "exists", NULL,
			"%s has a backend %s already (use 'lbadm backend edit' to change it)",
			c->vip_id, c->addr);
	return 0;
}

/*
 * Parse, check the operands, and run one backend write: @method with the
 * body @make_body builds from the options, or {"state": @state} when
 * @state is set, or none (DELETE).
 */
static int
backend_write(int argc, char **argv, unsigned extra, const char *help, const char *method,
	json_t *(*make_body)(struct lb_opts *o, int *rc), const char *state, bool want_exists)
{
	struct lb_opts o;
	struct lb_resp r = {0};
	struct be_ctx c = {.want_exists = want_exists};
	char vpath[160], bpath[256], what[256];
	json_t *body = NULL;
	long long before;
	int rc;

	rc = lb_opts_parse(&o, LB_O_SERVICE | LB_O_REAL | extra, argc, argv, help);
	if (rc)
		goto out;
	if (!o.have_svc) {
		rc = lb_usage(lb_verb, "which VIP? -t ADDR:PORT, -u ADDR:PORT or PROTO/ADDR/PORT");
		goto out;
	}
	if (!o.real) {
		rc = lb_usage(lb_verb, "which backend? -r ADDR");
		goto out;
	}
	if (make_body) {
		body = make_body(&o, &rc);
		if (rc)
			goto out;
	} else if (state) {
		body = json_pack("{s:s}", "state", state);
	}
	if (o.nargs > 0) {
		rc = lb_usage(lb_verb, "unexpected argument '%s'", o.args[0]);
		goto out;
	}
	lb_service_id(&o.svc, c.vip_id, sizeof(c.vip_id));
	c.addr = o.real_addr;
	lb_vip_path(&o.svc, vpath, sizeof(vpath));
	snprintf(bpath, sizeof(bpath), "%s/backends/%s", vpath, o.real_addr);
	rc = lb_write(method, bpath, body, vpath, check_backend, &c, &r, &before);
	if (rc == 0) {
		snprintf(what, sizeof(what), "%s backend %s", c.vip_id, o.real_addr);
		lb_report_write(&r, before, what);
	}
out:
	json_decref(body);
	lb_resp_free(&r);
	lb_opts_free(&o);
	return rc < 0 ? LB_EXIT_OK : rc;
}

static json_t *
fields_body(struct lb_opts *o, int *rc)
{
	json_t *b = json_object();

	*rc = 0;
	if (o->have_weight)
		json_object_set_new(b, "weight", json_integer((json_int_t)o->weight));
	if (o->state)
		json_object_set_new(b, "state", json_string(o->state));
	if (o->mac)
		json_object_set_new(b, "mac", json_string(o->mac));
	return b;
}

static json_t *
edit_body(struct lb_opts *o, int *rc)
{
	json_t *b = fields_body(o, rc);

	if (json_object_size(b) == 0) {
		*rc = lb_usage(lb_verb, "nothing to change: give -w, --state or --mac");
		json_decref(b);
		return NULL;
	}
	return b;
}

static json_t *
weight_body(struct lb_opts *o, int *rc)
{
	*rc = 0;
	/* `backend weight -t VIP -r ADDR 50` as well as `-w 50`. */
	if (!o->have_weight && o->nargs == 1) {
		*rc = lb_parse_uint(o->args[0], 0, 4294967295ull, &o->weight);
		if (*rc < 0) {
			*rc = lb_usage(lb_verb, "weight '%s' is not a decimal number", o->args[0]);
			return NULL;
		}
		o->have_weight = true;
		o->nargs = 0;
	}
	if (!o->have_weight) {
		*rc = lb_usage(lb_verb, "which weight? -w WEIGHT");
		return NULL;
	}
	return json_pack("{s:I}", "weight", (json_int_t)o->weight);
}

static int
do_add(int argc, char **argv)
{
	return backend_write(argc, argv, LB_O_WEIGHT | LB_O_MAC | LB_O_STATE,
		"-t|-u SERVICE -r ADDR [-w WEIGHT] [--mac MAC] [--state STATE]\n"
		"Add a backend to a VIP (ipvsadm -a).\n\n" BACKEND_HELP
		"  -w, --weight N         share of new flows, 0..65535 (default 100)\n"
		"  --mac MAC              the backend's MAC (required for l2 forwarding)\n"
		"  --state active|draining|disabled   (default active)\n",
		"PUT", fields_body, NULL, false);
}

static int
do_edit(int argc, char **argv)
{
	return backend_write(argc, argv, LB_O_WEIGHT | LB_O_MAC | LB_O_STATE,
		"-t|-u SERVICE -r ADDR [-w WEIGHT] [--mac MAC] [--state STATE]\n"
		"Change a backend's weight, MAC or state (ipvsadm -e).\n\n" BACKEND_HELP
		"  -w, --weight N  --mac MAC  --state active|draining|disabled\n",
		"PATCH", edit_body, NULL, true);
}

static int
do_delete(int argc, char **argv)
{
	return backend_write(argc, argv, 0,
		"-t|-u SERVICE -r ADDR\nRemove a backend (ipvsadm -d); its flows move to "
		"the others.\n\n" BACKEND_HELP,
		"DELETE", NULL, NULL, true);
}

static int
do_drain(int argc, char **argv)
{
	return backend_write(argc, argv, 0,
		"-t|-u SERVICE -r ADDR\nStop sending new flows to a backend; its established "
		"flows stay (state draining).\n\n" BACKEND_HELP,
		"PATCH", NULL, "draining", true);
}

static int
do_enable(int argc, char **argv)
{
	return backend_write(argc, argv, 0,
		"-t|-u SERVICE -r ADDR\nPut a drained or disabled backend back (state "
		"active).\n\n" BACKEND_HELP,
		"PATCH", NULL, "active", true);
}

static int
do_disable(int argc, char **argv)
{
	return backend_write(argc, argv, 0,
		"-t|-u SERVICE -r ADDR\nTake a backend out at once: no flows, its established "
		"ones move (state disabled).\n\n" BACKEND_HELP,
		"PATCH", NULL, "disabled", true);
}

static int
do_weight(int argc, char **argv)
{
	return backend_write(argc, argv, LB_O_WEIGHT,
		"-t|-u SERVICE -r ADDR -w WEIGHT | WEIGHT\nSet a backend's weight (0: no new "
		"flows, like draining).\n\n" BACKEND_HELP "  -w, --weight N         0..65535\n",
		"PATCH", weight_body, NULL, true);
}

const struct lb_cmd lb_backend_cmds[] = {
	{"add", do_add, NULL, "-t|-u SERVICE -r ADDR [-w W] [--mac MAC] [--state S]",
		"add a backend (ipvsadm -a)"},
	{"edit", do_edit, NULL, "-t|-u SERVICE -r ADDR [-w W] [--mac MAC] [--state S]",
		"change a backend (ipvsadm -e)"},
	{"delete", do_delete, NULL, "-t|-u SERVICE -r ADDR", "remove a backend (ipvsadm -d)"},
	{"drain", do_drain, NULL, "-t|-u SERVICE -r ADDR", "no new flows; established flows stay"},
	{"enable", do_enable, NULL, "-t|-u SERVICE -r ADDR", "back to active"},
	{"disable", do_disable, NULL, "-t|-u SERVICE -r ADDR", "out at once; its flows move"},
	{"weight", do_weight, NULL, "-t|-u SERVICE -r ADDR -w WEIGHT", "set the weight"},
	{NULL, NULL, NULL, NULL, NULL},
};
