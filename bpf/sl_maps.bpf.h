/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-3-Clause) */
/*
 * The BTF map definitions of Sluice's XDP programs, in one place. Layouts,
 * names and sizes come from <sluice/bpf_maps.h>, which user space includes
 * too; the identifiers below must equal its SL_MAP_* names (tests/bpf checks).
 *
 * Every map in an object is created when the object loads, used or not, so
 * each program defines which set it wants before including this header:
 * SL_BPF_FRONT (bpf/xdp_front.bpf.c) or SL_BPF_DECAP (bpf/xdp_decap.bpf.c).
 * BPF_MAP_TYPE_ARRAY_OF_MAPS and bpf_ringbuf_* need kernel >= 5.8; the
 * filter's compare-and-swap needs -mcpu=v3 (kernel >= 5.12).
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

/* The token buckets' clock, per CPU: the fine clock as read in jiffy @jiffies. */
struct sl_clock {
	__u64 jiffies;
	__u64 ticks;
};
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct sl_clock);
} sl_clock SEC(".maps");

/*
 * The filter's state: outer maps of one slot each, whose inner maps live
 * pinned per interface and are plugged in by user space (the design is in
 * <sluice/bpf_maps.h>). Each inner definition below is the template an
 * inner map must match (type, key, value, max_entries). The templates give
 * sizes, not types: clang emits only forward declarations for types reached
 * through them, which libbpf cannot size.
 */
#define SL_OUTER(name, inner)                                                                      \
	struct {                                                                                   \
		__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);                                          \
		__uint(max_entries, 1);                                                            \
		__type(key, __u32);                                                                \
		__array(values, inner);                                                            \
	} name SEC(".maps")

struct sl_inner_stats {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, SL_XDP_STATS_MAX);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(struct sl_xdp_counter));
};
struct sl_inner_conf {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(struct sl_filt_conf));
};
struct sl_inner_allow {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, SL_FILT_ALLOW_MAX *SL_FILT_SET_ROOM);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(key_size, sizeof(struct sl_filt_pkey));
	__uint(value_size, sizeof(struct sl_filt_pval));
};
struct sl_inner_deny {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, SL_FILT_DENY_MAX *SL_FILT_SET_ROOM);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(key_size, sizeof(struct sl_filt_pkey));
	__uint(value_size, sizeof(struct sl_filt_pval));
};
struct sl_inner_scoped {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, SL_FILT_DENY_MAX);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(key_size, sizeof(struct sl_filt_key));
	__uint(value_size, sizeof(struct sl_filt_rule));
};
struct sl_inner_rate {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, SL_FILT_RATE_MAX *SL_FILT_SET_ROOM);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(key_size, sizeof(struct sl_filt_pkey));
	__uint(value_size, sizeof(struct sl_filt_rate_pval));
};
struct sl_inner_syn {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, SL_FILT_SYN_MAX);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(key_size, sizeof(struct sl_filt_syn_key));
	__uint(value_size, sizeof(struct sl_filt_syn_rule));
};
struct sl_inner_state {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, SL_FILT_BUCKETS_MAX);
	__uint(key_size, sizeof(struct sl_filt_bucket_key));
	__uint(value_size, sizeof(struct sl_filt_bucket));
};
struct sl_inner_hits {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, SL_FILT_HITS_MAX);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u64));
};
struct sl_inner_hitbuf {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(struct sl_filt_hitbuf));
};
struct sl_inner_drops {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, SL_FILT_DROPS_BYTES);
};

SL_OUTER(sl_xdp_stats, struct sl_inner_stats);
SL_OUTER(sl_f_conf, struct sl_inner_conf);
SL_OUTER(sl_f_allow, struct sl_inner_allow);
SL_OUTER(sl_f_deny, struct sl_inner_deny);
SL_OUTER(sl_f_scoped, struct sl_inner_scoped);
SL_OUTER(sl_f_rate, struct sl_inner_rate);
SL_OUTER(sl_f_syn, struct sl_inner_syn);
SL_OUTER(sl_f_state, struct sl_inner_state);
SL_OUTER(sl_f_hits, struct sl_inner_hits);
SL_OUTER(sl_f_hitbuf, struct sl_inner_hitbuf);
SL_OUTER(sl_f_drops, struct sl_inner_drops);

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
 * Count one frame of @bytes under counter @idx of per-CPU stats map @stats
 * (the decap program's own map, or the front program's plugged inner map;
 * NULL: not counted). An XDP program runs to completion on one CPU with
 * migration disabled, so a plain add is enough: no atomics on the fast path.
 * @return the counter's packet count after the add (0 if not counted).
 */
static __always_inline __u64
sl_count_in(void *stats, __u32 idx, __u64 bytes)
{
	struct sl_xdp_counter *c;

	if (!stats)
		return 0;
	c = bpf_map_lookup_elem(stats, &idx);
	if (!c)
		return 0;
	c->packets++;
	c->bytes += bytes;
	return c->packets;
}

#ifdef SL_STATS_MAP
static __always_inline void
sl_count(__u32 idx, __u64 bytes)
{
	sl_count_in(&SL_STATS_MAP, idx, bytes);
}
#endif

#endif /* SL_MAPS_BPF_H */
