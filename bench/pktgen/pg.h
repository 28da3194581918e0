/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sluice-pktgen: what its files share. The parts that work on bytes only
 * (profile, templates, stamps, histograms) build without EAL and are unit
 * tested; the TX/RX loops and the trial control use DPDK.
 *
 * A profile is a list of streams. Each stream is one kind of traffic (TCP
 * SYN, TCP established, UDP; optionally malformed) from a source prefix and
 * port range to one destination, over a number of distinct flows, with a
 * share of the packets. Packets are copied from a template built once per
 * (stream, size) and patched per packet: source address and port, a 6-byte
 * stamp at the end of the frame, and both checksums updated incrementally.
 */
#ifndef SL_PG_H
#define SL_PG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sluice/net.h>

#define PG_MAX_STREAMS 16
#define PG_MAX_THREADS 64
#define PG_MAX_FRAME   1514 /* bytes without FCS: no jumbo frames */
#define PG_ETH_MIN     60   /* the 64-byte Ethernet minimum, without its 4-byte FCS */
#define PG_SCHED_MAX   4096 /* sum of the streams' shares */
#define PG_MAX_SHARE   1000
#define PG_MAX_SIZES   3
#define PG_IMIX_SLOTS  12 /* 7 x 60, 4 x 590, 1 x 1514 */
#define PG_ERR_LEN     256
#define PG_NAME_LEN    32
#define PG_MAX_FLOWS   (1ull << 40)

/*
 * The stamp: the last PG_STAMP_LEN bytes of every frame (inside the L4
 * payload of a well-formed packet, so the L4 checksum covers it). It is at
 * the end because the forwarder may add headers in front (IP-in-IP) or
 * rewrite the front (MACs, TTL), and because a malformed packet's headers
 * cannot be trusted to find a payload. A 60-byte IPv4 TCP frame has exactly
 * 6 bytes of payload.
 *
 *   byte 0    trial tag (1..255): packets of an earlier trial are "stale"
 *   byte 1    stream index
 *   bytes 2-5 TX time: bits 4..35 of the TSC, host order (wraps after
 *             2^36 TSC cycles, 26 s at 2.6 GHz: far beyond any latency)
 */
#define PG_STAMP_LEN	  6
#define PG_STAMP_TS_SHIFT 4

enum pg_type {
	PG_TCP_SYN = 0, /* SYN: a new connection every flow */
	PG_TCP_ACK,	/* ACK: an established connection's data packet */
	PG_UDP,
	PG_TYPE_MAX,
};

/* Ways a stream's packets are malformed (each one a parser verdict of sluice-dp). */
enum pg_malformed {
	PG_MAL_NONE = 0,
	PG_MAL_IP_VERSION, /* IP version field 5 (IPv4) or 7 (IPv6): bad_ip4/ip6_version */
	PG_MAL_IP_IHL,	   /* IPv4 IHL 4: bad_ip4_ihl */
	PG_MAL_TCP_DOFF,   /* TCP data offset 4: bad_tcp_doff */
	PG_MAL_UDP_LEN,	   /* UDP length 4: bad_udp_len */
	PG_MAL_MAX,
};

/* What the device under test should do with a stream's packets. */
enum pg_expect {
	PG_EXPECT_FORWARD = 0, /* counted in the forwarded rate and in loss */
	PG_EXPECT_DROP,	       /* malformed or denylisted: returned ones count as "leaked" */
};

/*
 * A frame to copy, with where the per-packet fields go. The sums are of the
 * template with those fields zero (RFC 1071 sums as in wire.h), so a packet's
 * checksums are the sums plus the fields' words, folded and complemented.
 */
struct pg_tmpl {
	uint16_t len;
	uint16_t src_off;     /* the 4 varying bytes of the source address (IPv6: the last 4) */
	uint16_t sport_off;   /* 0 when there is no L4 header to patch */
	uint16_t ip_csum_off; /* IPv4 header checksum; 0 for IPv6 */
	uint16_t l4_csum_off; /* 0 when not patched (malformed) */
	uint16_t ip_sum;      /* folded sum of the IPv4 header, source and checksum zero */
	uint16_t l4_sum;      /* folded sum of pseudo-header + L4, varying fields zero */
	bool stamp_odd;	      /* the stamp starts at an odd offset from the L4 header */
	bool udp;	      /* a UDP checksum of 0 is sent as 0xffff */
	uint8_t bytes[PG_MAX_FRAME];
};

struct pg_stream {
	char name[PG_NAME_LEN];
	uint32_t share;
	enum pg_type type;
	enum pg_malformed malformed;
	enum pg_expect expect;
	uint8_t family;
	union sl_ip dst;
	uint16_t dport;
	union sl_ip src; /* prefix base (host bits zero) */
	uint8_t src_len; /* prefix length */
	uint16_t sport_lo, sport_hi;
	uint64_t flows;	 /* distinct flows; 0 = every packet a new flow */
	bool random_src; /* random source address and port for every packet */
	bool imix;
	uint16_t size; /* fixed frame size (bytes without FCS) when !imix */
	uint8_t ttl;

	/* Derived by pg_profile_finish(). */
	uint32_t src_base;  /* low 32 bits of the prefix base, host order */
	uint64_t n_addrs;   /* host addresses in the prefix (at most 2^32) */
	uint32_t n_ports;   /* sport_hi - sport_lo + 1 */
	uint16_t min_frame; /* smallest frame with all headers and the stamp */
	uint8_t n_sizes;
	uint16_t sizes[PG_MAX_SIZES];
	uint8_t size_sched[PG_IMIX_SLOTS]; /* index into sizes[] per packet, cyclic */
	uint8_t size_sched_len;
	struct pg_tmpl *tmpl[PG_MAX_SIZES];
};

struct pg_profile {
	unsigned int n_streams;
	struct pg_stream streams[PG_MAX_STREAMS];
	uint8_t src_mac[6];
	uint8_t dst_mac[6];
	/* Derived: stream index per packet, cyclic; each stream `share` times, interleaved. */
	uint16_t sched_len;
	uint8_t sched[PG_SCHED_MAX];
};

/* profile.c */

/* Defaults for one stream: TCP ACK, 192.0.2.80:80 from 10.0.0.0/8 ports 1024-65535, 1 flow,
 * 60 bytes, share 1, TTL 64. */
void pg_stream_default(struct pg_stream *s);

/*
 * Read a profile from JSON text. Unknown keys, wrong types and values out of
 * range are refused with a message naming the field (streams[1].dport: ...).
 * @return 0, or -EINVAL with @err filled; the profile is then unusable.
 */
int pg_profile_from_json(struct pg_profile *p, const char *text, char *err, size_t errlen);
int pg_profile_load(struct pg_profile *p, const char *path, char *err, size_t errlen);

/*
 * Check cross-field rules and derive what the TX side needs (schedules,
 * sizes, address counts); builds the templates. Called by the loaders; call it
 * after filling a profile by hand. @return 0, -EINVAL (with @err), -ENOMEM.
 */
int pg_profile_finish(struct pg_profile *p, char *err, size_t errlen);

/* Free the templates. */
void pg_profile_free(struct pg_profile *p);

const char *pg_type_name(enum pg_type t);
const char *pg_malformed_name(enum pg_malformed m);

/* "a.b.c.d/n" or "x::/n": host bits must be zero. @return 0 or -EINVAL. */
int pg_parse_prefix(const char *str, union sl_ip *ip, uint8_t *family, uint8_t *len);
/* "lo-hi" or "port". @return 0 or -EINVAL. */
int pg_parse_port_range(const char *str, uint16_t *lo, uint16_t *hi);

/* tmpl.c */

/* Build @s's template for frame size @size. @return 0, -EINVAL, -ENOMEM. */
int pg_tmpl_build(
	const struct pg_profile *p, const struct pg_stream *s, uint16_t size, struct pg_tmpl **out);

/* Source address word (host order) and port of flow @i of @s (i < flows, or any when 0). */
static inline void
pg_flow_src(const struct pg_stream *s, uint64_t i, uint32_t *addr, uint16_t *port)
{
	*addr = s->src_base + (uint32_t)((i / s->n_ports) % s->n_addrs);
	*port = (uint16_t)(s->sport_lo + i % s->n_ports);
}

#endif /* SL_PG_H */
