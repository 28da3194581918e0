/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Types every Sluice component must agree on: addresses, flow keys, backend
 * states, hash variants and forwarding modes. The dataplane, the control
 * daemon, the tools and the tests all include this header; the BPF programs
 * include the parts that are plain C.
 *
 * Addresses and ports are stored in network byte order everywhere.
 */
#ifndef SLUICE_NET_H
#define SLUICE_NET_H

#include <assert.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

/* Address family tags used in keys (kept to one byte, unlike AF_*). */
enum sl_family {
	SL_FAMILY_NONE = 0,
	SL_FAMILY_IPV4 = 4,
	SL_FAMILY_IPV6 = 6,
};

/*
 * An IPv4 or IPv6 address. An IPv4 address lives in .v4 (the first word),
 * with the remaining 12 bytes zero, so that keys compare and hash the same
 * whatever path built them.
 */
union sl_ip {
	uint8_t b[16];
	uint16_t h[8];
	uint32_t w[4];
	uint32_t v4;
};
static_assert(sizeof(union sl_ip) == 16, "sl_ip is 16 bytes");

/*
 * A flow as the load balancer sees it. Fully zeroed before it is filled, so
 * that memcmp() and hashing over the whole struct are well defined.
 * For ICMP echo, sport holds the identifier and dport is zero; for protocols
 * without ports both are zero.
 */
struct sl_flow_key {
	union sl_ip src;
	union sl_ip dst;
	uint16_t sport; /* network order */
	uint16_t dport; /* network order */
	uint8_t proto;	/* IPPROTO_* */
	uint8_t family; /* enum sl_family */
	uint8_t pad[2]; /* always zero */
};
static_assert(sizeof(struct sl_flow_key) == 40, "flow key layout is part of the ABI");

static inline bool
sl_flow_key_eq(const struct sl_flow_key *a, const struct sl_flow_key *b)
{
	return memcmp(a, b, sizeof(*a)) == 0;
}

/* The same flow seen from the other end (swap addresses and ports). */
static inline void
sl_flow_key_reverse(struct sl_flow_key *out, const struct sl_flow_key *in)
{
	*out = *in;
	out->src = in->dst;
	out->dst = in->src;
	out->sport = in->dport;
	out->dport = in->sport;
}

/* Which fields of the flow pick the backend (per VIP). */
enum sl_hash_variant {
	SL_HASH_5TUPLE = 0,  /* src, dst, sport, dport, proto */
	SL_HASH_SRC_IP,	     /* client address only: sticky per client */
	SL_HASH_SRC_IP_PORT, /* client address and port */
	SL_HASH_VARIANT_MAX,
};

/* How a VIP's packets reach the backend. */
enum sl_fwd_mode {
	SL_FWD_ENCAP = 0, /* IPv4-in-IPv4 / IPv6-in-IPv6, routed to the backend */
	SL_FWD_L2,	  /* rewrite MACs; the backend is on the same segment */
	SL_FWD_MODE_MAX,
};

/* A backend's administrative/health state as the dataplane applies it. */
enum sl_backend_state {
	SL_BACKEND_ACTIVE = 0, /* new and existing flows */
	SL_BACKEND_DRAINING,   /* existing flows only, no new ones */
	SL_BACKEND_DOWN,       /* nothing: its flows move to their new choice */
	SL_BACKEND_STATE_MAX,
};

#endif /* SLUICE_NET_H */
