/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The programs sluice-bench-filter compares: our front program (skeleton,
 * filter maps plugged as sluice-dp plugs them) and xdp-filter's objects as
 * Debian ships them, loaded with libbpf and filled as its user-space tool
 * would (xdp-tools xdp-filter/xdp-filter.c: one PERCPU_HASH per address
 * family, the value a flag word on every CPU).
 */
#include <errno.h>
#include <linux/bpf.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "bench_filter.h"
#include "xdp_front.skel.h"
#include "xsk-stub.h"

/* The benchmark's VIP, as sluice-dp writes it: the service and the address entry. */
static int
vips_load(int fd)
{
	static const uint8_t vip[4] = {192, 0, 2, 10};
	struct sl_vip_value v = {.vip_index = 1};
	struct sl_vip_key k;

	memset(&k, 0, sizeof(k));
	memcpy(k.addr, vip, 4);
	k.family = 4;
	if (bpf_map_update_elem(fd, &k, &v, BPF_ANY) < 0)
		return -errno;
	k.proto = IPPROTO_TCP;
	k.port = htons(80);
	return bpf_map_update_elem(fd, &k, &v, BPF_ANY) < 0 ? -errno : 0;
}

int
bf_ours_load(struct bf_ours *o)
{
	uint32_t zero = 0;
	int rc;

	memset(o, 0, sizeof(*o));
	o->xsk = -1;
	for (int sa = 0; sa < 2; sa++) {
		o->skel[sa] = sl_xdp_front__open();
		if (!o->skel[sa])
			return -errno;
		o->skel[sa]->rodata->sl_standalone = (__u8)sa;
		if ((rc = sl_xdp_front__load(o->skel[sa])) != 0)
			return rc < 0 ? rc : -EINVAL;
	}
	if ((rc = vips_load(bpf_map__fd(o->skel[0]->maps.sl_vips))) < 0)
		return rc;
	o->xsk = sl_xsk_stub();
	if (o->xsk < 0)
		return o->xsk;
	if (bpf_map_update_elem(bpf_map__fd(o->skel[0]->maps.xsks_map), &zero, &o->xsk, 0) < 0)
		return -errno;
	return 0;
}

void
bf_ours_close(struct bf_ours *o)
{
	sl_filter_close(o->filter);
	o->filter = NULL;
	for (int sa = 0; sa < 2; sa++)
		sl_xdp_front__destroy(o->skel[sa]);
	if (o->xsk >= 0)
		close(o->xsk);
}

int
bf_ours_setup(struct bf_ours *o, bool standalone, const struct sl_filter_cfg *cfg)
{
	char err[SL_FILTER_ERR_LEN];
	int prog_fd = bpf_program__fd(o->skel[standalone]->progs.sl_xdp_front);
	int rc;

	sl_filter_close(o->filter);
	o->filter = NULL;
	if ((rc = sl_filter_open(&o->filter, NULL, NULL, SL_FILTER_NO_PIN)) < 0 ||
		(rc = sl_filter_plug(o->filter, prog_fd)) < 0)
		return rc;
	rc = sl_filter_apply(o->filter, cfg, SL_FILTER_PART_ALL, err, sizeof(err));
	if (rc < 0) {
		fprintf(stderr, "sluice-bench-filter: apply: %s\n", err);
		return rc;
	}
	return prog_fd;
}

int
bf_ref_load(struct bf_ref *r, const char *dir, const char *variant)
{
	char path[512];
	struct bpf_program *prog;
	struct bpf_map *m;
	int rc;

	memset(r, 0, sizeof(*r));
	snprintf(path, sizeof(path), "%s/xdpfilt_%s.o", dir, variant);
	r->obj = bpf_object__open_file(path, NULL);
	if (!r->obj) {
		rc = -errno;
		fprintf(stderr, "sluice-bench-filter: %s: %s\n", path, strerror(-rc));
		r->obj = NULL;
		return rc;
	}
	/*
	 * Its maps are declared pinned by name (shared by xdp-filter's runs);
	 * here each load gets its own, pinned nowhere. The address maps hold
	 * 10000 entries as shipped: raised so that they take the 100k case.
	 */
	bpf_object__for_each_map(m, r->obj)
	{
		if ((rc = bpf_map__set_pin_path(m, NULL)) < 0)
			return rc;
		if ((strcmp(bpf_map__name(m), "filter_ipv4") == 0 ||
			    strcmp(bpf_map__name(m), "filter_ipv6") == 0) &&
			(rc = bpf_map__set_max_entries(m, BF_REF_MAP_ENTRIES)) < 0)
			return rc;
	}
	if ((rc = bpf_object__load(r->obj)) < 0) {
		fprintf(stderr, "sluice-bench-filter: %s: load: %s\n", path, strerror(-rc));
		return rc;
	}
	prog = bpf_object__next_program(r->obj, NULL);
	m = bpf_object__find_map_by_name(r->obj, "filter_ipv4");
	if (!prog || !m)
		return -ENOENT;
	r->prog_fd = bpf_program__fd(prog);
	r->ip4_fd = bpf_map__fd(m);
	m = bpf_object__find_map_by_name(r->obj, "filter_ipv6");
	r->ip6_fd = m ? bpf_map__fd(m) : -1;
	return 0;
}

void
bf_ref_close(struct bf_ref *r)
{
	bpf_object__close(r->obj);
	r->obj = NULL;
}

int
bf_ref_add4(struct bf_ref *r, uint32_t addr, uint64_t flags)
{
	static uint64_t *vals;
	static int ncpu;

	if (!vals) {
		ncpu = libbpf_num_possible_cpus();
		if (ncpu <= 0)
			return ncpu < 0 ? ncpu : -EINVAL;
		vals = calloc((size_t)ncpu, sizeof(*vals));
		if (!vals)
			return -ENOMEM;
	}
	for (int i = 0; i < ncpu; i++)
		vals[i] = flags;
	return bpf_map_update_elem(r->ip4_fd, &addr, vals, BPF_ANY) < 0 ? -errno : 0;
}

int
bf_empty_prog(void)
{
	const struct bpf_insn insns[] = {
		{.code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = XDP_PASS},
		{.code = BPF_JMP | BPF_EXIT},
	};
	int fd = bpf_prog_load(BPF_PROG_TYPE_XDP, "sl_bench_empty", "GPL", insns, 2, NULL);

	return fd < 0 ? -errno : fd;
}
