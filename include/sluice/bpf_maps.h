/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-3-Clause) */
/*
 * What the BPF programs (bpf/) and user space (sluice-dp, tools, tests) must
 * agree on: map names and sizes, key and value layouts, counter indices.
 * Plain C over <linux/types.h>, included as is by both sides: never define a
 * second copy of these structs anywhere.
 *
 * Map names are what user space matches on when it finds a map through the
 * program attached to an interface (bpf_xdp_query -> prog info -> map ids ->
 * map info name). The kernel keeps at most BPF_OBJ_NAME_LEN - 1 = 15
 * characters of a name, so keep them short. The BPF side declares its maps
 * with these exact identifiers; tests/bpf checks that they still match.
 *
 * Counter enums are append-only (user space may be older than the program);
 * each *_MAX is the map's max_entries.
 */
#ifndef SLUICE_BPF_MAPS_H
#define SLUICE_BPF_MAPS_H

#include <linux/types.h>

/* ---- Front program (bpf/xdp_front.bpf.c), in front of the AF_XDP sockets ---- */

#define SL_MAP_XSKS	 "xsks_map" /* name fixed by DPDK's AF_XDP PMD (xdp_prog= devarg) */
#define SL_MAP_VIPS	 "sl_vips"
#define SL_MAP_XDP_STATS "sl_xdp_stats"

#define SL_VIPS_MAX 4096 /* sl_vips entries: each VIP needs 2 (its port, its address) */
#define SL_XSKS_MAX 256	 /* xsks_map entries, indexed by RX queue */

/*
 * Key of sl_vips. Zero it whole before filling (the hash compares all 20
 * bytes). An IPv4 address sits in addr[0..3], addr[4..15] zero.
 *
 * Two kinds of entries:
 *  - (addr, proto, port): traffic to this service; port 0 = any port;
 *  - (addr, proto 0, port 0): "this address is a VIP", matched by ICMP
 *    errors and by non-first fragments, which carry no port.
 */
struct sl_vip_key {
	__u8 addr[16];
	__u16 port;  /* network order; 0 = any port */
	__u8 proto;  /* IPPROTO_TCP / IPPROTO_UDP; 0 = address entry */
	__u8 family; /* 4 or 6 (enum sl_family) */
};
_Static_assert(sizeof(struct sl_vip_key) == 20, "sl_vip_key layout is shared with BPF");

struct sl_vip_value {
	__u32 vip_index; /* the dataplane's VIP slot */
	__u32 flags;	 /* reserved, 0 */
};
_Static_assert(sizeof(struct sl_vip_value) == 8, "sl_vip_value layout is shared with BPF");

/*
 * Per-CPU counters of the front program, one per decision (each decision has
 * one XDP action). SL_XDP_REDIRECT_* count what the program decided, even when
 * no socket was bound to the queue; SL_XDP_NO_XSK counts those that fell back
 * to XDP_PASS for that reason (so they are counted twice).
 */
enum sl_xdp_stat {
	SL_XDP_REDIRECT = 0,	   /* to a VIP (exact or any-port entry) -> socket */
	SL_XDP_REDIRECT_ICMP,	   /* ICMP/ICMPv6 error to a VIP address -> socket */
	SL_XDP_REDIRECT_FRAG,	   /* non-first fragment to a VIP address -> socket */
	SL_XDP_PASS,		   /* IP, not for a VIP -> kernel */
	SL_XDP_PASS_NOT_IP,	   /* ARP, LLDP, ... -> kernel */
	SL_XDP_MALFORMED,	   /* truncated or invalid headers -> kernel, for now */
	SL_XDP_NO_XSK,		   /* redirect decided, no socket on this RX queue -> kernel */
	SL_XDP_REDIRECT_MALFORMED, /* malformed but for a VIP address -> socket: the dataplane
				    * counts it by exact reason and drops it */
	SL_XDP_STATS_MAX,
};

struct sl_xdp_counter {
	__u64 packets;
	__u64 bytes; /* frame bytes as the program saw them (from Ethernet) */
};
_Static_assert(sizeof(struct sl_xdp_counter) == 16, "counter layout is shared with BPF");

/* ---- Decap program (bpf/xdp_decap.bpf.c), on backends ---- */

#define SL_MAP_DECAP_STATS "sl_decap_stats"
#define SL_MAP_DECAP_DSTS  "sl_decap_dsts"

#define SL_DECAP_DSTS_MAX 64

/*
 * Key of sl_decap_dsts: an outer destination address the backend accepts
 * tunnels to (used only when the program's filter flag is set). Zeroed
 * whole; IPv4 in addr[0..3].
 */
struct sl_decap_dst_key {
	__u8 family; /* 4 or 6 */
	__u8 pad[3]; /* 0 */
	__u8 addr[16];
};
_Static_assert(sizeof(struct sl_decap_dst_key) == 20, "sl_decap_dst_key layout is shared with BPF");

/* Per-CPU counters of the decap program (values are struct sl_xdp_counter). */
enum sl_decap_stat {
	SL_DECAP_OK = 0,      /* outer header removed, inner packet passed */
	SL_DECAP_PASS,	      /* not an IP-in-IP frame: passed unchanged */
	SL_DECAP_MALFORMED,   /* tunnel frame with bad/truncated outer or inner: unchanged */
	SL_DECAP_UNSUPPORTED, /* outer IPv4 options/fragment, outer IPv6 ext headers: unchanged */
	SL_DECAP_NOT_ALLOWED, /* filter on and outer destination not in sl_decap_dsts */
	SL_DECAP_ERROR,	      /* bpf_xdp_adjust_head failed: unchanged */
	SL_DECAP_STATS_MAX,
};

#endif /* SLUICE_BPF_MAPS_H */
