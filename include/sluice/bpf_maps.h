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
	/* Address fields are word-aligned: the BPF side copies them by words. */
	__u8 addr[16] __attribute__((aligned(4)));
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
 * Per-CPU counters of the front program (values: struct sl_xdp_counter).
 * Every frame is counted under exactly one *verdict* (SL_XDP_REDIRECT*,
 * SL_XDP_PASS*, SL_XDP_MALFORMED, SL_XDP_DROP_*), each with one XDP action;
 * the sum of the verdicts is every frame the program saw. The others are
 * *extra* counters, counted in addition to a verdict: SL_XDP_NO_XSK (a
 * redirect fell back to XDP_PASS because no socket is bound to the queue),
 * allowlist hits, monitor-mode would-drops, malformations by reason.
 * SL_XDP_REDIRECT_* count what the program decided, even without a socket.
 */
enum sl_xdp_stat {
	SL_XDP_REDIRECT = 0,  /* to a VIP (exact or any-port entry) -> socket */
	SL_XDP_REDIRECT_ICMP, /* ICMP/ICMPv6 error to a VIP address -> socket */
	SL_XDP_REDIRECT_FRAG, /* non-first fragment to a VIP address -> socket */
	SL_XDP_PASS,	      /* IP, not for a VIP -> kernel */
	SL_XDP_PASS_NOT_IP,   /* ARP, LLDP, ... -> kernel */
	SL_XDP_MALFORMED,     /* truncated or invalid headers, not for a VIP address: dropped */
	SL_XDP_NO_XSK,	      /* redirect decided, no socket on this RX queue -> kernel */
	SL_XDP_REDIRECT_MALFORMED, /* malformed but for a VIP address -> socket: the dataplane
				    * counts it by exact reason and drops it */
	/* ---- the filter (bpf/sl_filter.bpf.h); see "Counters" in docs/filter.md ---- */
	SL_XDP_DROP_DENY,   /* verdict: source in the denylist -> dropped */
	SL_XDP_DROP_RATE,   /* verdict: source over its packet or byte rate -> dropped */
	SL_XDP_DROP_SYN,    /* verdict: TCP SYN over the VIP's SYN rate -> dropped */
	SL_XDP_ALLOW,	    /* extra: source in the allowlist, filter bypassed */
	SL_XDP_MON_DENY,    /* extra: monitor mode, would have been SL_XDP_DROP_DENY, passed on */
	SL_XDP_MON_RATE,    /* extra: monitor mode, would have been SL_XDP_DROP_RATE */
	SL_XDP_MON_SYN,	    /* extra: monitor mode, would have been SL_XDP_DROP_SYN */
	SL_XDP_RATE_RACE,   /* extra: a bucket update lost its compare-and-swap 4 times: passed */
	SL_XDP_BUCKET_FULL, /* extra: a new rate bucket could not be inserted: passed */
	/*
	 * extra: one per malformation (the parser's enum sl_bp_rc from
	 * SL_BP_MALFORMED on, same order), for every malformed frame, dropped
	 * here or redirected to the dataplane.
	 */
	SL_XDP_MAL_TRUNC_ETH,
	SL_XDP_MAL_TRUNC_VLAN,
	SL_XDP_MAL_TOO_MANY_VLANS,
	SL_XDP_MAL_TRUNC_IP4,
	SL_XDP_MAL_BAD_IP4,
	SL_XDP_MAL_BAD_IP4_LEN,
	SL_XDP_MAL_TRUNC_IP6,
	SL_XDP_MAL_BAD_IP6,
	SL_XDP_MAL_BAD_IP6_LEN,
	SL_XDP_MAL_TRUNC_IP6_EXT,
	SL_XDP_MAL_IP6_EXT_TOO_LONG,
	SL_XDP_MAL_TRUNC_TCP,
	SL_XDP_MAL_BAD_TCP,
	SL_XDP_MAL_TRUNC_UDP,
	SL_XDP_MAL_TRUNC_ICMP,
	SL_XDP_STATS_MAX,
};

struct sl_xdp_counter {
	__u64 packets;
	__u64 bytes; /* frame bytes as the program saw them (from Ethernet) */
};
_Static_assert(sizeof(struct sl_xdp_counter) == 16, "counter layout is shared with BPF");

/*
 * ---- The filter in the front program (bpf/sl_filter.bpf.h) ----
 *
 * Design (docs/filter.md, "Pin layout and replacement"): DPDK's AF_XDP PMD
 * loads the front object itself (bpf_object__open_file, no pin root) and
 * attaches it, so the program's own maps are new on every load. The
 * filter's state therefore lives in *inner* maps pinned per interface under
 * <root>/<ifname>/ (root default SL_FILTER_PIN_ROOT), and the program holds
 * small outer maps (BPF_MAP_TYPE_ARRAY_OF_MAPS, one slot each) that user
 * space (sluice-dp after the PMD loaded the program, or sluice-filter)
 * plugs the pinned inner maps into. Replacing a rule set = build a new
 * inner map, fill it, swap the one outer slot: a reader sees the old set or
 * the new one, never half of it. An empty slot means "nothing configured":
 * the program then behaves as the plain front program (no counters kept).
 *
 * Outer map     inner map (pin name)     holds
 * sl_xdp_stats  PERCPU_ARRAY (stats)     counters, enum sl_xdp_stat
 * sl_f_conf     ARRAY[1]     (conf)      struct sl_filt_conf: modes, limits, prefix lengths
 * sl_f_allow    HASH         (allow)     prefix set: sources that bypass the rest
 * sl_f_deny     HASH         (deny)      prefix set: sources dropped (global rules)
 * sl_f_scoped   LPM_TRIE     (scoped)    deny rules scoped to a destination
 * sl_f_rate     HASH         (rate)      prefix set: rate-limit overrides with their limits
 * sl_f_syn      HASH         (syn)       per-VIP SYN limits
 * sl_f_state    LRU_HASH     (buckets)   token-bucket state, per source key / VIP
 * sl_f_hits     ARRAY        (hits)      packets per rule id (atomic adds: per-CPU copies
 *                                        of 266k counters cost 0.5 s to create)
 * sl_f_hitbuf   PERCPU_ARRAY (hitbuf)    each CPU's pending hits of one rule: struct
 *                                        sl_filt_hitbuf
 * sl_f_drops    RINGBUF      (drops)     a sample of recent drops
 */
#define SL_MAP_F_CONF	"sl_f_conf"
#define SL_MAP_F_ALLOW	"sl_f_allow"
#define SL_MAP_F_DENY	"sl_f_deny"
#define SL_MAP_F_SCOPED "sl_f_scoped"
#define SL_MAP_F_RATE	"sl_f_rate"
#define SL_MAP_F_SYN	"sl_f_syn"
#define SL_MAP_F_STATE	"sl_f_state"
#define SL_MAP_F_HITS	"sl_f_hits"
#define SL_MAP_F_HITBUF "sl_f_hitbuf"
#define SL_MAP_F_DROPS	"sl_f_drops"

#define SL_FILTER_PIN_ROOT "/sys/fs/bpf/sluice"

/* Capacities (inner map max_entries; an outer map only takes inner maps of its template's size). */
#define SL_FILT_ALLOW_MAX   65536
#define SL_FILT_DENY_MAX    262144 /* >= 100k prefixes of mixed lengths, IPv4 and IPv6 together */
#define SL_FILT_RATE_MAX    4096   /* rate-limit overrides */
#define SL_FILT_SYN_MAX	    4096   /* per-VIP SYN limits */
#define SL_FILT_BUCKETS_MAX 262144 /* LRU: a random-source flood evicts the stalest buckets */
#define SL_FILT_DROPS_BYTES (256 * 1024) /* ring buffer of recent drops */
/* A prefix set holds its prefixes and the search's markers: room for one marker each. */
#define SL_FILT_SET_ROOM 2

/*
 * Rule ids index sl_f_hits: allow rule i (0-based, in the rule set's order)
 * is SL_FILT_ID_ALLOW + i, and so on. Ids are positions: replacing a list
 * restarts its hit counts.
 */
enum sl_filt_id_base {
	SL_FILT_ID_ALLOW = 0,
	SL_FILT_ID_DENY = SL_FILT_ID_ALLOW + SL_FILT_ALLOW_MAX,
	SL_FILT_ID_RATE = SL_FILT_ID_DENY + SL_FILT_DENY_MAX,
	SL_FILT_HITS_MAX = SL_FILT_ID_RATE + SL_FILT_RATE_MAX,
};

/*
 * ---- Prefix sets: longest-prefix match by hash lookups ----
 *
 * The allowlist, the global denylist and the rate-limit overrides are each
 * a hash map with an entry per (prefix length, masked address), searched by
 * binary search on the prefix lengths the set holds (Waldvogel, Varghese,
 * Turner, Plattner, "Scalable high speed IP routing lookups", SIGCOMM 1997):
 * for the sorted lengths L[0..n) of the packet's family,
 *
 *     lo = 0, hi = n
 *     while lo < hi:  mid = (lo + hi - 1) / 2     (the lower median)
 *         entry = lookup(L[mid], source masked to L[mid])
 *         if entry:  best = entry if entry.id;  lo = mid + 1   (go longer)
 *         else:      hi = mid                                   (go shorter)
 *
 * which is at most ceil(log2(n + 1)) lookups: 6 for IPv4, 8 for IPv6, one
 * for a list of /32s alone. The lower median makes a miss, the common case
 * (legitimate traffic against a denylist), cheaper: one lookup with two
 * lengths, where the upper median takes two; a kernel LPM trie walks a node per bit of
 * divergence instead (17 or more at 100k prefixes), which measured 3x
 * slower than a hash lookup on this path (docs/benchmarks.md). For the
 * search to find a prefix P of length L[j], user space adds a *marker* (P
 * cut to L[mid]) at each length the search visits on its way to j with mid
 * < j, and gives every entry, marker or prefix, the id of the longest
 * prefix of the set that covers it (its "best match"): a search led astray
 * by another prefix's marker then still ends with the right answer.
 * common/filter_pset.c builds the entries; the sorted lengths are in the
 * conf (struct sl_filt_lens).
 */
struct sl_filt_pkey {
	__u8 len;				   /* prefix length */
	__u8 family;				   /* 4 or 6 */
	__u16 pad;				   /* 0 */
	__u8 addr[16] __attribute__((aligned(4))); /* masked to @len; IPv4 in the first 4 */
};
_Static_assert(sizeof(struct sl_filt_pkey) == 20, "sl_filt_pkey layout is shared with BPF");

/* Value of the allow and deny sets. */
struct sl_filt_pval {
	__u32 id; /* best match: the rule id + 1 of the longest prefix covering the entry, 0 none */
	__u32 self; /* this entry's own rule id + 1 if it is a rule, 0 for a marker only */
};
_Static_assert(sizeof(struct sl_filt_pval) == 8, "sl_filt_pval layout is shared with BPF");

/* IPv4 and IPv6 prefix lengths of a set, each ascending: the search's sorted array. */
#define SL_FILT_LENS_V6 33 /* index of the first IPv6 length in len[] */
struct sl_filt_lens {
	__u8 n4, n6;
	__u8 len[SL_FILT_LENS_V6 + 129]; /* [0, n4): IPv4; [SL_FILT_LENS_V6, +n6): IPv6 */
};
_Static_assert(sizeof(struct sl_filt_lens) == 164, "sl_filt_lens layout is shared with BPF");

/* At most ceil(log2(129 + 1)) lookups per search. */
#define SL_FILT_PSET_PROBES 8

/*
 * Hits are counted per CPU in a one-rule buffer and added to the shared
 * sl_f_hits in batches: an atomic add on a line every CPU writes costs the
 * cache-line transfer under a flood of hits on one rule, and 10 ns even on
 * one CPU. The buffer goes to sl_f_hits when SL_FILT_HIT_BATCH hits are
 * pending or another rule hits; readers add what is pending.
 */
struct sl_filt_hitbuf {
	__u32 id; /* rule id + 1 of the pending hits, 0: none */
	__u32 n;  /* pending hits */
};
_Static_assert(sizeof(struct sl_filt_hitbuf) == 8, "hit buffer layout is shared with BPF");
#define SL_FILT_HIT_BATCH 64

/* Bits of the LPM key in front of the source address: family, proto, port, dst. */
#define SL_FILT_KEY_SCOPE_BITS 160

/*
 * Key of the scoped-deny LPM trie. prefixlen counts bits from @family on:
 * the 160 bits of (family, proto, port, dst) always match exactly, then the
 * source prefix: prefixlen = SL_FILT_KEY_SCOPE_BITS + source prefix length.
 * Zero it whole. IPv4 addresses sit in the first 4 bytes. A rule has dst
 * (and proto, port; port 0 = any port, proto 0 = any protocol with port 0).
 */
struct sl_filt_key {
	__u32 prefixlen;
	__u8 family; /* 4 or 6 */
	__u8 proto;  /* scope: IPPROTO_TCP/UDP, or 0 */
	__u16 port;  /* scope: destination port, network order, or 0 */
	__u8 dst[16] __attribute__((aligned(4)));
	__u8 src[16] __attribute__((aligned(4)));
};
_Static_assert(sizeof(struct sl_filt_key) == 40, "sl_filt_key layout is shared with BPF");

/* Value of the scoped-deny trie. */
struct sl_filt_rule {
	__u32 id;    /* index into sl_f_hits */
	__u32 flags; /* reserved, 0 */
};
_Static_assert(sizeof(struct sl_filt_rule) == 8, "sl_filt_rule layout is shared with BPF");

/*
 * A token bucket's parameters: rates per second and bucket depths. A rate
 * of 0 leaves that dimension unlimited. The depth is what a silent source
 * may send at once; user space fills 0 depths with its defaults
 * (docs/filter.md) before the program sees them.
 */
struct sl_filt_rate {
	__u64 pps;
	__u64 bps; /* bytes per second, frame bytes from Ethernet */
	__u64 burst_pkts;
	__u64 burst_bytes;
	/*
	 * Derived by user space (sl_tb_cost() in <sluice/tbucket.h>), so that
	 * a packet costs no division but the byte cost's: ticks per packet,
	 * and the ticks a full bucket holds in each dimension (0 with its rate).
	 */
	__u64 pkt_cost;
	__u64 pkt_limit;
	__u64 byte_limit;
};
_Static_assert(sizeof(struct sl_filt_rate) == 56, "sl_filt_rate layout is shared with BPF");

/*
 * Value of the rate-override set: the entry's best match with that rule's
 * limit (a copy in every entry whose best match it is, so that one lookup
 * gives the limit and a replaced set never pairs an id with another set's
 * limit). Zero past the ids when id is 0.
 */
struct sl_filt_rate_pval {
	__u32 id;     /* as struct sl_filt_pval */
	__u32 self;   /* as struct sl_filt_pval */
	__u8 key_len; /* sources share a bucket per this prefix length */
	__u8 pad[7];  /* 0 */
	struct sl_filt_rate rate;
};
_Static_assert(
	sizeof(struct sl_filt_rate_pval) == 72, "sl_filt_rate_pval layout is shared with BPF");

/* Key of the per-VIP SYN limits: a VIP address, and its port or 0 for all its ports. */
struct sl_filt_syn_key {
	__u8 family; /* 4 or 6 */
	__u8 pad;    /* 0 */
	__u16 port;  /* network order; 0: every port of the address without its own entry */
	__u8 addr[16] __attribute__((aligned(4)));
};
_Static_assert(sizeof(struct sl_filt_syn_key) == 20, "sl_filt_syn_key layout is shared with BPF");

/* Value of the per-VIP SYN limits; rate.pps 0 exempts the VIP from the default limit. */
struct sl_filt_syn_rule {
	__u32 id; /* 1 + the override's position: keeps its buckets apart from the default's */
	__u32 pad;
	struct sl_filt_rate rate; /* pps, burst_pkts and their derived costs */
};
_Static_assert(sizeof(struct sl_filt_syn_rule) == 64, "sl_filt_syn_rule layout is shared with BPF");

enum sl_filt_flag {
	SL_FILT_DENY_MONITOR = 1 << 0, /* denylist: count would-drops, pass */
	SL_FILT_RATE_MONITOR = 1 << 1, /* rate limits: count would-drops, pass */
	SL_FILT_SYN_MONITOR = 1 << 2,  /* SYN limit: count would-drops, pass */
	SL_FILT_HAS_ALLOW = 1 << 3,    /* the allowlist is not empty (else skip its lookup) */
	SL_FILT_HAS_DENY = 1 << 4,     /* the denylist has global rules */
	SL_FILT_HAS_SCOPED = 1 << 5,   /* the denylist has rules scoped to a destination */
	SL_FILT_HAS_RATE = 1 << 6,     /* a default rate or overrides exist */
	SL_FILT_HAS_RATE_OVR = 1 << 7, /* the override set is not empty */
	SL_FILT_HAS_SYN_OVR = 1 << 8,  /* per-VIP SYN limits exist */
};

/* The prefix sets, in the order of sl_filt_conf.lens[]. */
enum sl_filt_set {
	SL_FILT_SET_ALLOW = 0,
	SL_FILT_SET_DENY,
	SL_FILT_SET_RATE,
	SL_FILT_SETS,
};

/* The one value of the conf inner map: replaced as a whole, like the lists. */
struct sl_filt_conf {
	__u32 flags;	    /* enum sl_filt_flag */
	__u8 rate_key_len4; /* default bucket key: IPv4 source prefix length (32 = per address) */
	__u8 rate_key_len6; /* IPv6 source prefix length (e.g. 64) */
	__u8 sample_shift;  /* recent drops: 1 in 2^n drops per CPU goes to the ring (0 = all) */
	__u8 pad;	    /* 0 */
	struct sl_filt_rate rate; /* default per-source limit (all zero: none) */
	struct sl_filt_rate syn;  /* default per-VIP TCP SYN limit: pps and burst_pkts (0: none) */
	struct sl_filt_lens lens[SL_FILT_SETS]; /* the prefix lengths of each set */
	__u8 pad2[4];				/* 0 */
};
_Static_assert(sizeof(struct sl_filt_conf) == 616, "sl_filt_conf layout is shared with BPF");

enum sl_filt_bucket_kind {
	SL_FILT_BUCKET_SRC = 1, /* a source prefix's packet and byte buckets */
	SL_FILT_BUCKET_SYN = 2, /* a VIP's SYN bucket (addr = VIP, port, proto) */
};

/* Key of the bucket LRU map. Zero it whole. */
struct sl_filt_bucket_key {
	__u8 kind;   /* enum sl_filt_bucket_kind */
	__u8 family; /* 4 or 6 */
	__u8 plen;   /* source prefix length the address was masked to */
	__u8 proto;  /* SYN: the VIP's protocol */
	__u16 port;  /* SYN: the VIP's port, network order */
	__u16 pad;   /* 0 */
	__u32 rule;  /* the override's rule id (per-VIP SYN: its id), 0 for the default limit */
	__u8 addr[16] __attribute__((aligned(4)));
};
_Static_assert(sizeof(struct sl_filt_bucket_key) == 28, "bucket key layout is shared with BPF");

/*
 * Bucket state: for each dimension, the GCRA "theoretical arrival time" in
 * SL_TB_TICKS_PER_NS units of bpf_ktime_get_ns() (include/sluice/tbucket.h).
 * Each word is updated alone with a compare-and-swap.
 */
struct sl_filt_bucket {
	__u64 tat_pkts;
	__u64 tat_bytes;
};
_Static_assert(sizeof(struct sl_filt_bucket) == 16, "bucket layout is shared with BPF");

/* One record of the recent-drops ring buffer. */
struct sl_filt_drop_event {
	__u64 ts_ns; /* bpf_ktime_get_ns() (CLOCK_MONOTONIC) */
	__u8 src[16];
	__u8 dst[16];
	__u32 rule;  /* rule id (SL_FILT_ID_*), 0 when none (rate default, SYN, malformed) */
	__u16 dport; /* network order */
	__u8 family; /* 4 or 6; 0 when the frame was cut before its IP header */
	__u8 proto;
	__u16 reason; /* enum sl_xdp_stat: the drop verdict, or the malformation */
	__u8 monitor; /* 1: monitor mode, would have been dropped, was passed */
	__u8 pad[5];  /* 0 */
};
_Static_assert(sizeof(struct sl_filt_drop_event) == 56, "drop event layout is shared with BPF");

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
