/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Request paths (docs/api.md, "Resources") into resources and identities.
 * The path comes %-decoded from libmicrohttpd, so it may hold any byte but
 * NUL: every piece is checked against what it must be (a protocol, an
 * address, a port, a version number), and nothing from it is ever used as
 * a file name (a version is a number formatted back by the store).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "request.h"
#include "state_priv.h"

#define MAX_SEGS 8

static const struct {
	const char *name;
	uint8_t res;
} simple[] = {
	{"state", SLD_RES_STATE},
	{"history", SLD_RES_HISTORY},
	{"rollback", SLD_RES_ROLLBACK},
	{"status", SLD_RES_STATUS},
	{"health", SLD_RES_HEALTH},
	{"stats", SLD_RES_STATS},
	{"filter", SLD_RES_FILTER},
	{"vips", SLD_RES_VIPS},
	{"node", SLD_RES_NODE},
};

/* Split @buf in place on '/'; @return the number of segments, -1 above MAX_SEGS. */
static int
split(char *buf, char **seg)
{
	char *save = NULL;
	int n = 0;

	/* strtok_r: the listeners' threads parse paths at the same time. */
	for (char *s = strtok_r(buf, "/", &save); s != NULL; s = strtok_r(NULL, "/", &save)) {
		if (n == MAX_SEGS)
			return -1;
		seg[n++] = s;
	}
	return n;
}

static int
not_found(struct sld_err *e, const char *hint)
{
	return sld_fail(e, 404, "not_found", "", "no such resource%s", hint);
}

static int
parse_version(const char *s, uint64_t *out, struct sld_err *e)
{
	char esc[48];
	size_t n = strlen(s);

	/* Digits only, at most 19 of them: no sign, no space, no overflow. */
	if (n == 0 || n > 19 || strspn(s, "0123456789") != n) {
		sld_escape(esc, sizeof(esc), s);
		return sld_fail(e, 400, "bad_path", "", "'%s' is not a version number", esc);
	}
	*out = strtoull(s, NULL, 10);
	return 0;
}

static int
parse_vip(char **seg, struct sld_path *p, struct sld_err *e)
{
	int rc = sld_vip_key_parse(seg[0], seg[1], seg[2], p->vip, e);

	if (rc < 0)
		return rc;
	snprintf(p->proto, sizeof(p->proto), "%s", seg[0]);
	sld_addr_canon(seg[1], p->addr, sizeof(p->addr));
	p->port = (uint16_t)strtoul(seg[2], NULL, 10);
	return 0;
}

int
sld_path_parse(const char *url, struct sld_path *p, struct sld_err *e)
{
	char buf[SLD_MAX_PATH + 1], *seg[MAX_SEGS], esc[64];
	size_t len = strlen(url);
	int n;

	memset(p, 0, sizeof(*p));
	if (len > SLD_MAX_PATH)
		return sld_fail(e, 414, "too_long", "", "the path is above %d bytes", SLD_MAX_PATH);
	memcpy(buf, url, len + 1);
	n = split(buf, seg);
	if (n < 0)
		return not_found(e, "");
	if (n == 1 && strcmp(seg[0], "metrics") == 0) {
		p->res = SLD_RES_METRICS;
		return 0;
	}
	if (n < 2 || strcmp(seg[0], "v1") != 0)
		return not_found(e, " (paths start with /v1/)");
	for (size_t i = 0; i < sizeof(simple) / sizeof(simple[0]); i++) {
		if (strcmp(seg[1], simple[i].name) != 0)
			continue;
		p->res = simple[i].res;
		if (n == 2)
			return 0;
		switch (p->res) {
		case SLD_RES_HISTORY:
			if (n != 3)
				return not_found(e, "");
			p->res = SLD_RES_VERSION;
			return parse_version(seg[2], &p->version, e);
		case SLD_RES_FILTER:
			if (n == 3 && strcmp(seg[2], "stats") == 0)
				p->res = SLD_RES_FILTER_STATS;
			else if (n == 3 && strcmp(seg[2], "drops") == 0)
				p->res = SLD_RES_FILTER_DROPS;
			else
				return not_found(e, "");
			return 0;
		case SLD_RES_VIPS:
			if (n != 5 && !(n == 7 && strcmp(seg[5], "backends") == 0))
				return not_found(e, " (/v1/vips/PROTO/ADDR/PORT[/backends/ADDR])");
			if (parse_vip(seg + 2, p, e) < 0)
				return -EINVAL;
			p->res = SLD_RES_VIP;
			if (n == 5)
				return 0;
			if (sld_addr_canon(seg[6], p->backend, sizeof(p->backend)) < 0) {
				sld_escape(esc, sizeof(esc), seg[6]);
				return sld_fail(e, 400, "bad_path", "",
					"'%s' is not an IPv4 or IPv6 address", esc);
			}
			p->res = SLD_RES_BACKEND;
			return 0;
		default:
			return not_found(e, "");
		}
	}
	return not_found(e, "");
}
