/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Frame builder for tests, the demo, benchmarks and the traffic generator:
 * writes an Ethernet frame (optional VLAN tags, IPv4 with options or
 * fragments, IPv6 with an extension-header chain, TCP/UDP/ICMP/ICMPv6 with a
 * payload or an embedded packet for ICMP errors) with correct lengths and
 * checksums. Not used on the packet path.
 */
#ifndef SL_PKTBUILD_H
#define SL_PKTBUILD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sluice/net.h>

#define SL_PB_MAX_EXT 12

struct sl_pb_spec {
	uint8_t src_mac[6];
	uint8_t dst_mac[6];
	uint8_t n_vlans;       /* 0..2 (more is allowed, for negative tests: up to 4) */
	uint16_t vlan_tpid[4]; /* 0 means 0x8100 */
	uint16_t vlan_tci[4];
	uint16_t ethertype; /* 0: from family; set it to build non-IP frames */

	uint8_t family; /* SL_FAMILY_IPV4 / SL_FAMILY_IPV6 */
	union sl_ip src, dst;
	uint8_t proto; /* IPPROTO_TCP/UDP/ICMP/ICMPV6 or anything else */
	uint8_t ttl;   /* 0 means 64 */
	uint8_t tos;
	uint32_t flow_label; /* IPv6 */

	uint8_t ip4_opt_len; /* bytes of IPv4 options (multiple of 4, <= 40), NOPs */
	bool df, mf;	     /* IPv4 flags */
	uint16_t frag_off;   /* fragment offset in 8-byte units (v4 and v6 frag header) */
	bool v6_frag;	     /* add an IPv6 fragment header (after ext_types) */
	uint8_t n_ext;	     /* IPv6 extension headers, in order, before any fragment header */
	uint8_t ext_types[SL_PB_MAX_EXT]; /* 0 hop-by-hop, 43 routing, 60 dest opts */

	uint16_t sport, dport; /* host order; TCP/UDP */
	uint8_t tcp_flags;
	uint32_t tcp_seq, tcp_ack;
	uint8_t tcp_opt_len; /* multiple of 4, <= 40 */

	uint8_t icmp_type, icmp_code;
	uint16_t icmp_id, icmp_seq; /* echo */
	uint16_t icmp_mtu;	    /* frag-needed next-hop MTU / packet-too-big MTU */
	const uint8_t *icmp_inner;  /* ICMP errors: the embedded IP packet (starts at IP header) */
	uint16_t icmp_inner_len;

	uint16_t payload_len; /* L4 payload bytes, filled with a counting pattern */
	uint8_t payload_fill; /* first byte of the pattern */
};

/* Sensible defaults: MACs 02:00:00:00:00:01 -> :02, IPv4, TTL 64. */
void sl_pb_spec_init(struct sl_pb_spec *s);

/*
 * Write the frame @s describes into @buf.
 * @return its length, or -ENOSPC if @cap is too small, -EINVAL for a spec
 *         that cannot be built (bad option lengths, unknown family).
 */
int sl_pb_build(const struct sl_pb_spec *s, uint8_t *buf, size_t cap);

/* Offset of the IP header in frames built from @s (Ethernet + VLAN tags). */
size_t sl_pb_l3_offset(const struct sl_pb_spec *s);

/* Parse "192.0.2.1" or "2001:db8::1" into @ip and @family; -EINVAL if neither. */
int sl_pb_addr(const char *str, union sl_ip *ip, uint8_t *family);

#endif /* SL_PKTBUILD_H */
