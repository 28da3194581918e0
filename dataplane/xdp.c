/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The XDP program in front of AF_XDP ports (bpf/xdp_front.bpf.c) redirects
 * VIP traffic into our sockets and passes the rest to the kernel; it learns
 * which traffic is VIP traffic from its sl_vips map, which we fill here.
 *
 * DPDK's AF_XDP PMD loads and attaches the program itself (xdp_prog= devarg),
 * so we find the map through the kernel: the program attached to the port's
 * interface -> its map ids -> the one named SL_MAP_VIPS.
 *
 * The same program is the XDP filter. Its rule sets, counters and buckets
 * live in maps pinned per interface (<pin root>/<ifname>/, common/filter.c),
 * which survive a restart of sluice-dp: we open them (creating them the
 * first time) and plug them into the program the PMD just loaded.
 */
#include <errno.h>
#include <net/if.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <rte_ethdev.h>
#include <rte_log.h>

#include <sluice/bpf_maps.h>
#include <sluice/filter.h>

#include "dp.h"

#define RTE_LOGTYPE_SL_XDP RTE_LOGTYPE_USER3

static int vips_fd[DP_MAX_PORTS] = {-1, -1, -1, -1};

static int
find_map(int ifindex, const char *want)
{
	__u32 prog_id = 0, map_ids[64], len;
	struct bpf_prog_info pinfo;
	int prog_fd, fd = -ENOENT;

	if (bpf_xdp_query_id(ifindex, 0, &prog_id) < 0 || prog_id == 0)
		return -ENOENT;
	prog_fd = bpf_prog_get_fd_by_id(prog_id);
	if (prog_fd < 0)
		return -errno;
	memset(&pinfo, 0, sizeof(pinfo));
	pinfo.nr_map_ids = RTE_DIM(map_ids);
	pinfo.map_ids = (__u64)(uintptr_t)map_ids;
	len = sizeof(pinfo);
	if (bpf_obj_get_info_by_fd(prog_fd, &pinfo, &len) < 0) {
		fd = -errno;
		goto out;
	}
	for (__u32 i = 0; i < pinfo.nr_map_ids && i < RTE_DIM(map_ids); i++) {
		struct bpf_map_info minfo;
		__u32 mlen = sizeof(minfo);
		int mfd = bpf_map_get_fd_by_id(map_ids[i]);
		if (mfd < 0)
			continue;
		memset(&minfo, 0, sizeof(minfo));
		if (bpf_obj_get_info_by_fd(mfd, &minfo, &mlen) == 0 &&
			strcmp(minfo.name, want) == 0) {
			fd = mfd;
			break;
		}
		close(mfd);
	}
out:
	close(prog_fd);
	return fd;
}

/*
 * Plug the interface's filter maps into its program. Pinned under
 * dp.filter_pin_root; when that is impossible (no bpffs there), the filter
 * still runs on fresh maps that die with the program, and we say so.
 */
static int
plug_filter(const char *ifname, int ifindex)
{
	struct sl_filter *f = NULL;
	int rc = -ENOENT;

	if (dp.filter_pin_root) {
		rc = sl_filter_open(&f, dp.filter_pin_root, ifname, SL_FILTER_CREATE);
		if (rc == -EINVAL) {
			RTE_LOG(ERR, SL_XDP,
				"%s: the filter maps pinned under %s/%s do not match this "
				"version; remove that directory (rules are lost) or pass "
				"--filter-pin-root\n",
				ifname, dp.filter_pin_root, ifname);
			return rc;
		}
		if (rc < 0)
			RTE_LOG(WARNING, SL_XDP,
				"%s: cannot pin the filter maps under %s (%s): the filter runs "
				"on maps that do not survive a restart\n",
				ifname, dp.filter_pin_root, strerror(-rc));
	}
	if (rc < 0) {
		rc = sl_filter_open(&f, NULL, NULL, SL_FILTER_NO_PIN);
		if (rc < 0)
			return rc;
	}
	rc = sl_filter_plug_ifindex(f, ifindex);
	if (rc == 0)
		RTE_LOG(INFO, SL_XDP, "%s: XDP filter maps plugged in%s%s\n", ifname,
			sl_filter_dir(f)[0] ? " from " : " (not pinned)", sl_filter_dir(f));
	sl_filter_close(f);
	return rc;
}

int
dp_xdp_attach_maps(void)
{
	for (uint16_t p = 0; p < dp.n_ports; p++) {
		struct rte_eth_dev_info info;
		char ifname[IF_NAMESIZE] = "?";

		if (!dp.af_xdp[p])
			continue;
		if (rte_eth_dev_info_get(dp.ports[p], &info) < 0 || info.if_index == 0)
			return -ENODEV;
		if_indextoname(info.if_index, ifname);
		int fd = find_map((int)info.if_index, SL_MAP_VIPS);
		if (fd < 0) {
			RTE_LOG(ERR, SL_XDP,
				"%s: no '%s' map on its XDP program (%s); was the port started "
				"with "
				"xdp_prog=<sluice xdp_front.bpf.o>?\n",
				ifname, SL_MAP_VIPS, strerror(-fd));
			return fd;
		}
		vips_fd[p] = fd;
		RTE_LOG(INFO, SL_XDP, "%s: VIP map found, VIP traffic goes to the dataplane\n",
			ifname);
		fd = plug_filter(ifname, (int)info.if_index);
		if (fd < 0) {
			RTE_LOG(ERR, SL_XDP, "%s: cannot plug the XDP filter maps in: %s\n", ifname,
				strerror(-fd));
			return fd;
		}
	}
	return 0;
}

static bool
gen_has_key(const struct dp_gen *g, const struct sl_vip_key *k)
{
	if (k->proto != 0)
		return dp_vip_find(g, k) >= 0;
	/* An "address is a VIP" entry (for ICMP errors): kept while any VIP has the address. */
	for (uint32_t i = 0; i < g->n_vips; i++) {
		struct sl_vip_key a;
		sl_vip_key_from(&a, g->vips[i].family, &g->vips[i].addr, 0, 0);
		if (memcmp(&a, k, sizeof(a)) == 0)
			return true;
	}
	return false;
}

void
dp_xdp_sync_vips(const struct dp_gen *g, bool add)
{
	struct sl_vip_value val = {0};

	for (uint16_t p = 0; p < dp.n_ports; p++) {
		int fd = vips_fd[p];
		if (fd < 0)
			continue;
		if (!add) {
			/* Collect first: deleting while walking with get_next_key can skip keys. */
			struct sl_vip_key cur, next, *gone = NULL;
			size_t n_gone = 0, cap = 0;
			void *prev = NULL;
			while (bpf_map_get_next_key(fd, prev, &next) == 0) {
				if (!gen_has_key(g, &next)) {
					if (n_gone == cap) {
						cap = cap ? 2 * cap : 64;
						void *t = realloc(gone, cap * sizeof(*gone));
						if (!t)
							break;
						gone = t;
					}
					gone[n_gone++] = next;
				}
				cur = next;
				prev = &cur;
			}
			for (size_t i = 0; i < n_gone; i++)
				bpf_map_delete_elem(fd, &gone[i]);
			free(gone);
			continue;
		}
		for (uint32_t i = 0; i < g->n_vips; i++) {
			const struct dp_vip *v = &g->vips[i];
			struct sl_vip_key k;
			val.vip_index = v->slot;
			sl_vip_key_from(&k, v->family, &v->addr, v->proto, v->port);
			if (bpf_map_update_elem(fd, &k, &val, BPF_ANY) < 0)
				RTE_LOG(ERR, SL_XDP, "VIP map update failed: %s\n",
					strerror(errno));
			sl_vip_key_from(&k, v->family, &v->addr, 0, 0);
			bpf_map_update_elem(fd, &k, &val, BPF_ANY);
		}
	}
}
