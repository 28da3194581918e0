/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sluice-dp internals shared by its files: the published generation (what the
 * workers read), the per-worker state (what one core owns), drop reasons.
 */
#ifndef SL_DP_H
#define SL_DP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <rte_common.h>
#include <rte_ethdev.h>
#include <rte_hash_crc.h>
#include <rte_mbuf.h>
#include <rte_rcu_qsbr.h>
#if defined(RTE_ARCH_X86_64) && defined(__SSE4_2__)
#include <nmmintrin.h>
#endif

#include <sluice/bpf_maps.h>
#include <sluice/config.h>
#include <sluice/net.h>

#include "conntrack.h"
#include "encap.h"
#include "parse.h"

#define DP_MAX_PORTS	 4
#define DP_MAX_WORKERS	 RTE_MAX_LCORE
#define DP_BURST	 32
#define DP_MAX_VIP_SLOTS SL_CFG_MAX_VIPS
#define DP_MAX_BE_SLOTS	 65536 /* backend slots; slot 0 is "none" */

/* Why a packet was not forwarded. Parse failures are counted by parse verdict separately. */
enum dp_drop {
	DP_DROP_PARSE = 0,  /* malformed: see parse_drops[] for the verdict */
	DP_DROP_NOT_VIP,    /* not for a VIP (AF_XDP mode: the XDP program should have passed it) */
	DP_DROP_NO_BACKEND, /* VIP with no usable backend (Maglev slot "none") */
	DP_DROP_FRAGMENT,   /* non-first fragment: no ports to find its flow by */
	DP_DROP_TTL_EXCEEDED, /* TTL / hop limit would reach 0 */
	DP_DROP_TOO_BIG,      /* too big after encapsulation and no ICMP could be sent */
	DP_DROP_NO_HEADROOM,  /* mbuf too short in front for the outer headers */
	DP_DROP_FAMILY,	      /* backend family differs from the packet's */
	DP_DROP_ICMP_NO_FLOW, /* ICMP error for a VIP whose inner flow has no backend */
	DP_DROP_TX_FULL,      /* TX ring full */
	DP_DROP_NO_EXCEPTION, /* non-VIP packet in PMD mode without an exception port */
	DP_DROP_SEGMENTED,    /* frame in several mbuf segments (ports here deliver one) */
	DP_DROP_MAX,
};

const char *dp_drop_name(enum dp_drop d);

struct dp_counter {
	uint64_t packets;
	uint64_t bytes;
};

/* A VIP as the workers see it. */
struct dp_vip {
	uint32_t slot; /* stable across generations: stats index */
	uint8_t family;
	uint8_t proto;
	uint16_t port; /* host order, 0 = any */
	union sl_ip addr;
	uint8_t hash;	  /* enum sl_hash_variant */
	uint8_t fwd_mode; /* enum sl_fwd_mode */
	uint32_t table_size;
	uint32_t *table; /* Maglev: backend slots, SL_MAGLEV_NONE when empty */
	uint64_t digest; /* sl_maglev_digest() of table: equal on nodes with the same config */
};

/* A backend slot as the workers see it. */
struct dp_backend {
	/* Encapsulation towards it with this generation's TTL, MTU and prefixes
	 * (first: what a forwarded packet reads) */
	struct sl_encap_tmpl encap;
	uint8_t mac[6];
	uint8_t family;
	uint32_t vip_slot;
	union sl_ip addr;
};

/*
 * One slot of a generation's VIP index (struct dp_gen): a VIP key and the
 * VIP's index in vips[]. A slot whose key.family is 0 is free; no real key
 * has family 0, so a free slot never matches.
 */
struct dp_vip_ent {
	struct sl_vip_key key;
	uint32_t vip;
};

/*
 * One configuration generation. Built whole on the main lcore, published with
 * one atomic pointer store, read by workers without locks, and freed only
 * after every worker has reported a quiescent state (rte_rcu_qsbr).
 */
struct dp_gen {
	uint64_t id;
	/*
	 * VIP index: struct sl_vip_key -> index in vips[]. Read-only once
	 * built, so instead of rte_hash (cuckoo buckets, signatures, an
	 * indirect hash call, memcmp on a 20-byte key) it is a plain
	 * open-addressing array with linear probing, sized to a power of two
	 * at least twice the VIP count (so a probe always ends on a free slot,
	 * after about 1.5 slots on average); see dp_vip_lookup().
	 */
	struct dp_vip_ent *vip_index; /* [vip_mask + 1] */
	uint32_t vip_mask;
	uint32_t n_vips;
	struct dp_vip *vips;
	uint32_t n_slots;	     /* 1 + highest backend slot in use */
	struct sl_ct_backend *slots; /* [n_slots]: epoch and state per backend slot */
	struct dp_backend *backends; /* [n_slots] */
	struct sl_fwd_ctx fwd;
	uint32_t seed;
	struct sl_cfg cfg;   /* what it was built from, for GET_CONFIG */
	uint32_t n_backends; /* backends in the config */
	bool has_any_port;   /* a VIP with port 0: a miss needs a second lookup */
};

/* Per-worker counters: only the owning worker writes them. */
struct dp_stats {
	uint64_t rx_packets, rx_bytes;
	uint64_t tx_packets, tx_bytes;
	uint64_t forwarded;
	uint64_t new_flows;
	uint64_t icmp_forwarded; /* PMTU errors forwarded to the flow's backend */
	uint64_t icmp_sent;	 /* frag-needed / packet-too-big we answered */
	uint64_t exception;	 /* handed to the kernel through the exception port */
	uint64_t idle_sleeps;
	uint64_t drops[DP_DROP_MAX];
	uint64_t parse_drops[SL_PARSE_VERDICT_MAX];
};

struct dp_txbuf {
	uint16_t n;
	struct rte_mbuf *pkts[DP_BURST];
};

struct dp_worker {
	unsigned int id; /* 0.. number of workers - 1: RCU thread id, RX/TX queue */
	unsigned int lcore;
	struct sl_ct *ct;
	uint64_t last_drain; /* TSC */
	struct dp_txbuf tx[DP_MAX_PORTS];
	struct dp_stats st __rte_cache_aligned;
	struct dp_counter *vip_ctr; /* [DP_MAX_VIP_SLOTS] */
	struct dp_counter *be_ctr;  /* [DP_MAX_BE_SLOTS] */
	uint64_t *be_new_flows;	    /* [DP_MAX_BE_SLOTS] */
} __rte_cache_aligned;

/* Process-wide state (main lcore writes; workers read gen through an atomic load). */
struct dp_ctx {
	struct dp_gen *gen; /* current generation: __atomic loads/stores only */
	struct rte_rcu_qsbr *qsv;
	unsigned int n_workers;
	struct dp_worker *workers[DP_MAX_WORKERS];
	uint16_t n_ports;
	uint16_t ports[DP_MAX_PORTS];
	struct rte_ether_addr port_mac[DP_MAX_PORTS];
	int exception_port; /* TAP port id, -1 when none */
	bool af_xdp[DP_MAX_PORTS];
	uint32_t idle_sleep_us; /* 0 = busy poll */
	uint32_t idle_polls;	/* empty polls before backing off */
	uint64_t drain_tsc;	/* TX drain period in TSC ticks */
	volatile bool quit;
	uint64_t start_tsc;
	struct rte_mempool *pool;
	const char *filter_pin_root; /* XDP filter maps: <root>/<ifname>/; NULL = not pinned */
};

extern struct dp_ctx dp;

/* pipeline.c: the per-burst work of a worker, no I/O. */
struct dp_out {
	uint16_t n;
	struct rte_mbuf *pkts[DP_BURST];
	uint16_t port[DP_BURST]; /* egress port index in dp.ports[] (or the exception port) */
};
void dp_pipeline(struct dp_worker *w, const struct dp_gen *g, uint16_t rx_port_idx,
	struct rte_mbuf **pkts, uint16_t n, struct dp_out *out, uint32_t now_ms);

/* gen.c */
struct dp_gen *dp_gen_build(const struct sl_cfg *cfg, char *err, size_t errlen);
void dp_gen_free(struct dp_gen *g);
int dp_gen_apply(const struct sl_cfg *cfg, char *err, size_t errlen); /* build + publish */

/* worker.c */
struct dp_worker *dp_worker_create(unsigned int id, unsigned int lcore, const struct sl_cfg *cfg);
int dp_worker_main(void *arg);

/* ctl.c (control socket server), telemetry.c, xdp.c */
int dp_ctl_open(const char *path);
void dp_ctl_poll(int listen_fd, int timeout_ms);
struct json_t *dp_ctl_stats(void); /* ctl_stats.c: the STATS reply, NULL without memory */
int dp_telemetry_register(void);
int dp_xdp_attach_maps(void);
/*
 * Bring the XDP programs' VIP maps in line with @g: with @add false, remove
 * what @g no longer has (before publishing @g); with @add true, add what it
 * has (after publishing), so the XDP side never sends the dataplane traffic
 * for a VIP the dataplane does not know.
 */
void dp_xdp_sync_vips(const struct dp_gen *g, bool add);

/* The VIP key for the XDP map and the generation's VIP index: one layout for both. */
static inline void
sl_vip_key_from(struct sl_vip_key *k, uint8_t family, const union sl_ip *addr, uint8_t proto,
	uint16_t port_host)
{
	memset(k, 0, sizeof(*k));
	memcpy(k->addr, addr->b, family == SL_FAMILY_IPV6 ? 16 : 4);
	k->port = rte_cpu_to_be_16(port_host);
	k->proto = proto;
	k->family = family;
}

/*
 * The VIP index hashes and compares a key as three words: the address as two
 * 64-bit halves (an IPv4 address fills the low 4 bytes of the first, the rest
 * is zero) and port, protocol and family as one 32-bit word, in the layout of
 * struct sl_vip_key, so that the pipeline can build them from the parsed
 * fields in registers instead of zeroing and filling a key in memory.
 */
struct dp_vip_words {
	uint64_t a0, a1;
	uint32_t tail;
};

/* struct sl_vip_key's last 4 bytes (port, proto, family) as one word. */
static inline uint32_t
dp_vip_tail(uint16_t port_be, uint8_t proto, uint8_t family)
{
	static_assert(offsetof(struct sl_vip_key, port) == 16 &&
			      offsetof(struct sl_vip_key, proto) == 18 &&
			      offsetof(struct sl_vip_key, family) == 19,
		"tail word is the key's last 4 bytes");
	/*
	 * Shifts rather than a memcpy of a 4-byte struct: with the struct, gcc
	 * went through the stack and read proto and family as one 16-bit load,
	 * which the parser's two byte stores cannot forward.
	 */
#if RTE_BYTE_ORDER == RTE_LITTLE_ENDIAN
	return (uint32_t)port_be | (uint32_t)proto << 16 | (uint32_t)family << 24;
#else
	return (uint32_t)port_be << 16 | (uint32_t)proto << 8 | family;
#endif
}

static inline struct dp_vip_words
dp_vip_key_words(const struct sl_vip_key *k)
{
	struct dp_vip_words w;

	memcpy(&w.a0, k->addr, 8);
	memcpy(&w.a1, k->addr + 8, 8);
	memcpy(&w.tail, &k->port, 4);
	return w;
}

/*
 * The words of the key sl_vip_key_from() would make for (@family, @addr,
 * @proto, @port_be), built in registers. @addr must be zero past its family's
 * length (as every struct sl_flow_key is).
 *
 * Called on fields the parser has just written, field by field: a load that
 * spans two of those stores cannot be forwarded from the store buffer and
 * waits for them to retire (a dozen cycles or more per packet, measured). So
 * an IPv4 address is read as 4 bytes only, and the family goes in as a
 * constant on the usual paths, which keeps the compiler from merging the
 * adjacent proto and family bytes into one 16-bit load.
 */
static inline struct dp_vip_words
dp_vip_words_from(uint8_t family, const union sl_ip *addr, uint8_t proto, uint16_t port_be)
{
	struct dp_vip_words w = {.a1 = 0};

	if (likely(family == SL_FAMILY_IPV4)) {
		uint32_t v4;

		memcpy(&v4, addr->b, 4);
#if RTE_BYTE_ORDER == RTE_LITTLE_ENDIAN
		w.a0 = v4; /* addr[0..3] are the low bytes, addr[4..7] zero */
#else
		w.a0 = (uint64_t)v4 << 32;
#endif
		w.tail = dp_vip_tail(port_be, proto, SL_FAMILY_IPV4);
	} else if (family == SL_FAMILY_IPV6) {
		memcpy(&w.a0, addr->b, 8);
		memcpy(&w.a1, addr->b + 8, 8);
		w.tail = dp_vip_tail(port_be, proto, SL_FAMILY_IPV6);
	} else {
		/* Not from the parser; sl_vip_key_from() copies 4 bytes for any family but 6 */
		struct sl_vip_key k;

		sl_vip_key_from(&k, family, addr, proto, rte_be_to_cpu_16(port_be));
		w = dp_vip_key_words(&k);
	}
	return w;
}

/*
 * The words of the VIP key of a flow key's destination (dp_vip_words_from()
 * of its family, dst, proto and dport), read as the key's own 8-byte words:
 * dst as it is, and port, protocol and family from the word that holds them
 * with the source port. The parser's fast path writes the key in such words
 * (parse.c), so these loads are forwarded from its stores, where narrower or
 * wider ones would wait for them to retire; the key must be zero past its
 * family's address length, as every parsed key is.
 */
static inline struct dp_vip_words
dp_vip_words_of_flow(const struct sl_flow_key *f)
{
#if RTE_BYTE_ORDER == RTE_LITTLE_ENDIAN
	static_assert(offsetof(struct sl_flow_key, dst) == 16 &&
			      offsetof(struct sl_flow_key, sport) == 32 &&
			      offsetof(struct sl_flow_key, dport) == 34,
		"sport, dport, proto, family, pad: the key's last word");
	struct dp_vip_words w;
	uint64_t last;

	memcpy(&w.a0, f->dst.b, 8);
	memcpy(&w.a1, f->dst.b + 8, 8);
	memcpy(&last, &f->sport, 8);
	w.tail = (uint32_t)(last >> 16); /* dport, proto, family: dp_vip_tail()'s layout */
	return w;
#else
	return dp_vip_words_from(f->family, &f->dst, f->proto, f->dport);
#endif
}

/* @w with port 0: the VIP's "all ports" key. */
static inline struct dp_vip_words
dp_vip_words_any_port(struct dp_vip_words w)
{
	w.tail &= ~dp_vip_tail(0xffff, 0, 0);
	return w;
}

/*
 * CRC32C of the key's 20 bytes: rte_hash_crc_8byte() twice and
 * rte_hash_crc_4byte(), whose value it is. On x86-64 with SSE4.2 (DPDK's
 * build baseline there) the instructions directly: DPDK's wrappers first
 * check, per call, which implementation was selected at start-up.
 */
static inline uint32_t
dp_vip_hash(struct dp_vip_words w)
{
#if defined(RTE_ARCH_X86_64) && defined(__SSE4_2__)
	return _mm_crc32_u32((uint32_t)_mm_crc32_u64(_mm_crc32_u64(0, w.a0), w.a1), w.tail);
#else
	return rte_hash_crc_4byte(w.tail, rte_hash_crc_8byte(w.a1, rte_hash_crc_8byte(w.a0, 0)));
#endif
}

/*
 * Index in g->vips[] of the VIP with exactly key @w, or -1. Lock-free and
 * read-only: the index never changes once its generation is published.
 */
static inline int32_t
dp_vip_lookup(const struct dp_gen *g, struct dp_vip_words w)
{
	uint32_t i = dp_vip_hash(w) & g->vip_mask;

	for (;;) {
		const struct dp_vip_ent *e = &g->vip_index[i];
		struct dp_vip_words k = dp_vip_key_words(&e->key);

		/* Branch-free three-word compare; a free slot (all zero) never matches. */
		if (((k.a0 ^ w.a0) | (k.a1 ^ w.a1) | (uint64_t)(k.tail ^ w.tail)) == 0)
			return (int32_t)e->vip;
		if (e->key.family == 0)
			return -1; /* end of the probe chain: at least half the slots are free */
		i = (i + 1) & g->vip_mask;
	}
}

/* dp_vip_lookup() for a key in memory (control side). */
static inline int32_t
dp_vip_find(const struct dp_gen *g, const struct sl_vip_key *k)
{
	return dp_vip_lookup(g, dp_vip_key_words(k));
}

#endif /* SL_DP_H */
