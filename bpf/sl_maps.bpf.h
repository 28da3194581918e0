/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-3-Clause) */
/*
 * The BTF map definitions of Sluice's XDP programs, in one place. Layouts,
 * names and sizes come from <sluice/bpf_maps.h>, which user space includes
 * too; the identifiers below must equal its SL_MAP_* names (tests/bpf checks).
 *
 * Every map in an object is created when the object loads, used or not, so
 * each program defines which set it wants before including this header:
 * SL_BPF_FRONT (bpf/xdp_front.bpf.c) or SL_BPF_DECAP (bpf/xdp_decap.bpf.c).
 */
#ifndef SL_MAPS_BPF_H
#define SL_MAPS_BPF_H

#include <linux/bpf.h>

#include <bpf/bpf_helpers.h>

#include <sluice/bpf_maps.h>

#if defined(SL_BPF_FRONT)

/* The AF_XDP sockets, one per RX queue; DPDK's AF_XDP PMD fills it. */
struct {
	__uint(type, BPF_MAP_TYPE_XSKMAP);
	__uint(max_entries, SL_XSKS_MAX);
	__type(key, __u32);
	__type(value, __u32);
} xsks_map SEC(".maps");

/* What is VIP traffic; sluice-dp fills it (dataplane/xdp.c). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, SL_VIPS_MAX);
	__type(key, struct sl_vip_key);
	__type(value, struct sl_vip_value);
} sl_vips SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, SL_XDP_STATS_MAX);
	__type(key, __u32);
	__type(value, struct sl_xdp_counter);
} sl_xdp_stats SEC(".maps");

#define SL_STATS_MAP sl_xdp_stats

#elif defined(SL_BPF_DECAP)

/* Outer destinations accepted when the program's filter flag is set. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, SL_DECAP_DSTS_MAX);
	__type(key, struct sl_decap_dst_key);
	__type(value, __u32);
} sl_decap_dsts SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, SL_DECAP_STATS_MAX);
	__type(key, __u32);
	__type(value, struct sl_xdp_counter);
} sl_decap_stats SEC(".maps");

#define SL_STATS_MAP sl_decap_stats

#else
#error "define SL_BPF_FRONT or SL_BPF_DECAP before including sl_maps.bpf.h"
#endif

/*
 * Count one frame of @bytes under counter @idx of the program's stats map.
 * Per-CPU values, and an XDP program runs to completion on one CPU with
 * migration disabled, so a plain add is enough: no atomics on the fast path.
 */
static __always_inline void
sl_count(__u32 idx, __u64 bytes)
{
	struct sl_xdp_counter *c = bpf_map_lookup_elem(&SL_STATS_MAP, &idx);

	if (c) {
		c->packets++;
		c->bytes += bytes;
	}
}

#endif /* SL_MAPS_BPF_H */
