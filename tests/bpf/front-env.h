/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The front program's test environment, shared by test_xdp_front.c and
 * test_xdp_filter.c: a freshly loaded skeleton (dataplane or standalone
 * mode), filter maps created unpinned and plugged in as sluice-dp does, an
 * optional rule set (JSON, as sluice-filter takes it), VIPs in sl_vips and
 * an AF_XDP socket in xsks_map slot 0.
 */
#ifndef SL_FRONT_ENV_H
#define SL_FRONT_ENV_H

#include <netinet/in.h>

#include <sluice/filter.h>

#include "test-common.h"
#include "xdp-test.h"
#include "xsk-stub.h"
#include "xdp_front.skel.h"

struct vip_entry {
	const char *addr;
	uint8_t proto;
	uint16_t port; /* host order */
};

/* What sluice-dp writes for its VIPs: each service, plus an address entry per address. */
static const struct vip_entry vips_default[] = {
	{"192.0.2.10", IPPROTO_TCP, 80},
	{"192.0.2.10", 0, 0},
	{"192.0.2.11", IPPROTO_UDP, 0},
	{"192.0.2.11", 0, 0},
	{"2001:db8::10", IPPROTO_TCP, 443},
	{"2001:db8::10", 0, 0},
	{"2001:db8::11", IPPROTO_UDP, 0},
	{"2001:db8::11", 0, 0},
	{NULL, 0, 0},
};

/* A service without its address entry: ICMP errors and fragments do not match it. */
static const struct vip_entry vips_no_addr[] __attribute__((unused)) = {
	{"192.0.2.10", IPPROTO_TCP, 80},
	{NULL, 0, 0},
};

static const struct vip_entry vips_none[] __attribute__((unused)) = {{NULL, 0, 0}};

static inline void
vips_load(int fd, const struct vip_entry *v)
{
	for (; v->addr; v++) {
		struct sl_vip_key k;
		struct sl_vip_value val = {.vip_index = 1};
		union sl_ip ip;
		uint8_t fam;

		ck_assert_int_eq(sl_pb_addr(v->addr, &ip, &fam), 0);
		memset(&k, 0, sizeof(k));
		memcpy(k.addr, ip.b, fam == SL_FAMILY_IPV6 ? 16 : 4);
		k.family = fam;
		k.proto = v->proto;
		k.port = htons(v->port);
		ck_assert_int_eq(bpf_map_update_elem(fd, &k, &val, BPF_ANY), 0);
	}
}

static inline void
xsk_insert(struct sl_xdp_front *skel, int xsk)
{
	uint32_t key = 0; /* test runs see rx_queue_index 0 */

	ck_assert_int_eq(bpf_map_update_elem(bpf_map__fd(skel->maps.xsks_map), &key, &xsk, 0), 0);
}

struct fenv {
	struct sl_xdp_front *skel;
	struct sl_filter *filter;
	int prog_fd;
	int stats_fd; /* the plugged stats inner map */
	int xsk;
};

/*
 * The verifier takes over a second per load of the front program: each
 * suite loads it once per mode in the parent (fenv_setup, an unchecked
 * fixture) and the forked tests share it, each plugging fresh filter maps
 * and refilling sl_vips.
 */
static struct sl_xdp_front *fenv_skel[2];

static inline void
fenv_setup(void)
{
	for (int sa = 0; sa < 2; sa++) {
		struct sl_xdp_front *skel = sl_xdp_front__open();

		if (!skel) {
			fprintf(stderr, "front program: open: %s\n", strerror(errno));
			exit(1);
		}
		skel->rodata->sl_standalone = (__u8)sa;
		if (sl_xdp_front__load(skel) != 0) {
			fprintf(stderr, "front program: load: %s\n", strerror(errno));
			exit(1);
		}
		fenv_skel[sa] = skel;
	}
}

static inline void
fenv_teardown(void)
{
	for (int sa = 0; sa < 2; sa++) {
		sl_xdp_front__destroy(fenv_skel[sa]);
		fenv_skel[sa] = NULL;
	}
}

/*
 * Take the front program (@standalone: rodata sl_standalone = 1), plug
 * fresh filter maps, apply @rules (JSON; NULL: none), load @vips (NULL:
 * vips_default) and put an AF_XDP socket in slot 0 unless @no_xsk.
 */
static inline void
fenv_open(struct fenv *e, bool standalone, const char *rules, const struct vip_entry *vips,
	bool no_xsk)
{
	char err[SL_FILTER_ERR_LEN] = "";
	struct sl_vip_key k;
	uint32_t zero = 0;
	int vfd;

	memset(e, 0, sizeof(*e));
	e->xsk = -1;
	e->skel = fenv_skel[standalone ? 1 : 0];
	ck_assert_msg(e->skel != NULL, "fenv_setup not run");
	e->prog_fd = bpf_program__fd(e->skel->progs.sl_xdp_front);
	ck_assert_int_eq(sl_filter_open(&e->filter, NULL, NULL, SL_FILTER_NO_PIN), 0);
	ck_assert_int_eq(sl_filter_plug(e->filter, e->prog_fd), 0);
	e->stats_fd = sl_filter_map_fd(e->filter, SL_MAP_XDP_STATS);
	ck_assert_int_ge(e->stats_fd, 0);
	if (rules) {
		struct sl_filter_cfg cfg;
		int rc = sl_filter_cfg_from_json(&cfg, rules, err, sizeof(err));

		ck_assert_msg(rc == 0, "rules: %s", err);
		rc = sl_filter_apply(e->filter, &cfg, SL_FILTER_PART_ALL, err, sizeof(err));
		ck_assert_msg(rc == 0, "apply: %s", err);
		sl_filter_cfg_free(&cfg);
	}
	vfd = bpf_map__fd(e->skel->maps.sl_vips);
	while (bpf_map_get_next_key(vfd, NULL, &k) == 0)
		ck_assert_int_eq(bpf_map_delete_elem(vfd, &k), 0);
	vips_load(vfd, vips ? vips : vips_default);
	bpf_map_delete_elem(bpf_map__fd(e->skel->maps.xsks_map), &zero);
	if (!no_xsk) {
		e->xsk = sl_xsk_stub();
		ck_assert_msg(e->xsk >= 0, "AF_XDP socket: %s", strerror(-e->xsk));
		xsk_insert(e->skel, e->xsk);
	}
}

static inline void
fenv_close(struct fenv *e)
{
	if (e->xsk >= 0)
		close(e->xsk);
	sl_filter_close(e->filter);
}

/* Run @in through the program; the frame must come back unchanged. @return the action. */
static inline uint32_t
fenv_run(struct fenv *e, const uint8_t *in, size_t n)
{
	uint8_t out[BT_FRAME_MAX];
	uint32_t action = 0, out_len = 0;

	ck_assert_int_eq(bt_run(e->prog_fd, in, n, out, &out_len, &action), 0);
	ck_assert_int_eq(out_len, n);
	ck_assert_mem_eq(out, in, n);
	return action;
}

#endif /* SL_FRONT_ENV_H */
