/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lbadm vip add|edit|delete|show: one VIP's settings (ipvsadm -A/-E/-D).
 */
#include <string.h>

#include "lbadm.h"

#define VIP_SETTINGS                                                                               \
	"  --hash 5tuple|src_ip|src_ip_port   what picks the backend of a new flow\n"              \
	"  -i, --ipip | -g, --gatewaying | --forwarding encap|l2\n"                                \
	"                         IP-in-IP to the backends (encap, default) or L2 MAC rewrite\n"   \
	"  --check tcp|http|exec|none         health check type\n"                                 \
	"  --check-port PORT  --check-path PATH  --check-host HOST  --check-expect STATUS\n"       \
	"  --check-command 'CMD ARG...'       exec checks (split on blanks, no shell)\n"           \
	"  --check-interval MS  --check-timeout MS  --rise N  --fall N\n"                          \
	"  --slow-start SECONDS               ramp a recovered backend's weight up\n"              \
	"  --min-healthy COUNT  --min-healthy-percent P  --fail-open | --fail-closed\n"

#define SERVICE_HELP                                                                               \
	"  -t, --tcp-service ADDR:PORT | -u, --udp-service ADDR:PORT | PROTO/ADDR/PORT\n"          \
	"                         the VIP; IPv6 as [ADDR]:PORT; port 0 = every port\n"

static int
need_service(const struct lb_opts *o)
{
	if (!o->have_svc)
		return lb_usage(
			lb_verb, "which VIP? -t ADDR:PORT, -u ADDR:PORT or PROTO/ADDR/PORT");
	if (o->nargs > 0)
		return lb_usage(lb_verb, "unexpected argument '%s'", o->args[0]);
	return 0;
}

struct vip_ctx {
	char id[128];
};

static int
must_not_exist(const struct lb_resp *cur, void *arg)
{
	struct vip_ctx *c = arg;

	if (cur->status == 404)
		return 0;
	if (cur->status == 200)
		return lb_fail(LB_EXIT_CONFLICT, "exists", c->id,
			"the VIP exists already (use 'lbadm vip edit' to change it)");
	return lb_resp_check(cur);
}

/*
 * One VIP write: parse @allowed options, @method the VIP's path with the
 * settings given (none for DELETE), after @check (may be NULL) of its
 * current answer. @need_settings: refuse a write that sets nothing.
 */
static int
vip_write(int argc, char **argv, unsigned allowed, const char *help, const char *method,
	int (*check)(const struct lb_resp *, void *), bool need_settings)
{
	struct lb_opts o;
	struct lb_resp r = {0};
	struct vip_ctx c;
	char path[160];
	long long before;
	int rc;

	rc = lb_opts_parse(&o, LB_O_SERVICE | allowed, argc, argv, help);
	if (rc || (rc = need_service(&o)))
		goto out;
	if (need_settings && json_object_size(o.vip) == 0) {
		rc = lb_usage(lb_verb, "nothing to change: give at least one setting");
		goto out;
	}
	lb_service_id(&o.svc, c.id, sizeof(c.id));
	lb_vip_path(&o.svc, path, sizeof(path));
	rc = lb_write(method, path, strcmp(method, "DELETE") == 0 ? NULL : o.vip, path, check, &c,
		&r, &before);
	if (rc == 0)
		lb_report_write(&r, before, c.id);
out:
	lb_resp_free(&r);
	lb_opts_free(&o);
	return rc < 0 ? LB_EXIT_OK : rc;
}

static int
do_add(int argc, char **argv)
{
	return vip_write(argc, argv, LB_O_VIP,
		"-t|-u SERVICE [SETTINGS]\nCreate a VIP (no backends yet: 'lbadm backend "
		"add').\n\n" SERVICE_HELP "settings:\n" VIP_SETTINGS,
		"PUT", must_not_exist, false);
}

static int
do_edit(int argc, char **argv)
{
	return vip_write(argc, argv, LB_O_VIP,
		"-t|-u SERVICE SETTINGS...\nChange the given settings of a VIP (a merge: the "
		"rest stays).\n\n" SERVICE_HELP "settings:\n" VIP_SETTINGS,
		"PATCH", NULL, true);
}

static int
do_delete(int argc, char **argv)
{
	return vip_write(argc, argv, 0,
		"-t|-u SERVICE\nRemove a VIP and its backends.\n\n" SERVICE_HELP, "DELETE", NULL,
		false);
}

static int
do_show(int argc, char **argv)
{
	struct lb_opts o;
	int rc;

	rc = lb_opts_parse(&o, LB_O_SERVICE | LB_O_LIST, argc, argv,
		"-t|-u SERVICE [--stats]\nOne VIP: settings, backends, health, "
		"counters.\n\n" SERVICE_HELP
		"  --stats                packets and bytes instead of weights\n");
	if (rc || (rc = need_service(&o)))
		goto out;
	rc = lb_show_vips(&o.svc, o.stats);
out:
	lb_opts_free(&o);
	return rc < 0 ? LB_EXIT_OK : rc;
}

const struct lb_cmd lb_vip_cmds[] = {
	{"add", do_add, NULL, "-t|-u SERVICE [SETTINGS]", "create a VIP (ipvsadm -A)"},
	{"edit", do_edit, NULL, "-t|-u SERVICE SETTINGS", "change a VIP's settings (ipvsadm -E)"},
	{"delete", do_delete, NULL, "-t|-u SERVICE", "remove a VIP and its backends (ipvsadm -D)"},
	{"show", do_show, NULL, "-t|-u SERVICE [--stats]", "one VIP with its backends"},
	{NULL, NULL, NULL, NULL, NULL},
};
