/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Packet parser. Works on (data, len) so it runs on pcap bytes in unit tests
 * and on mbuf data in the dataplane alike. It never reads past data + len, and
 * every way a frame can be malformed ends in a named verdict.
 *
 * What it understands: Ethernet with up to SL_PARSE_MAX_VLANS 802.1Q/802.1ad
 * tags; IPv4 (options, fragments flagged); IPv6 with a bounded walk over the
 * extension-header chain (hop-by-hop, routing, destination options, fragment,
 * AH); TCP, UDP, ICMP and ICMPv6. For ICMP errors (destination unreachable
 * incl. fragmentation needed, packet too big, time exceeded, parameter
 * problem) it also parses the embedded IP header and the first 8 bytes of its
 * L4 header into pkt->inner, so the flow the error belongs to can be found.
 */
#ifndef SL_PARSE_H
#define SL_PARSE_H

#include <stdint.h>

#include <sluice/net.h>

#define SL_PARSE_MAX_VLANS   2
#define SL_PARSE_MAX_IP6_EXT 8 /* extension headers walked before giving up */

enum sl_parse_verdict {
	SL_PARSE_OK = 0,
	SL_PARSE_NOT_IP,	   /* well-formed frame of another ethertype (ARP, LLDP, ...) */
	SL_PARSE_TRUNC_ETH,	   /* shorter than an Ethernet header */
	SL_PARSE_TRUNC_VLAN,	   /* VLAN tag cut short */
	SL_PARSE_TOO_MANY_VLANS,   /* more than SL_PARSE_MAX_VLANS tags */
	SL_PARSE_TRUNC_IP4,	   /* shorter than the IPv4 header (incl. options) */
	SL_PARSE_BAD_IP4_VERSION,  /* ethertype IPv4, version field not 4 */
	SL_PARSE_BAD_IP4_IHL,	   /* IHL < 5 */
	SL_PARSE_BAD_IP4_LEN,	   /* total length < header length, or > bytes present */
	SL_PARSE_TRUNC_IP6,	   /* shorter than the fixed IPv6 header */
	SL_PARSE_BAD_IP6_VERSION,  /* ethertype IPv6, version field not 6 */
	SL_PARSE_BAD_IP6_LEN,	   /* payload length > bytes present, or 0 before a hop-by-hop
				    * header (a jumbogram: not supported) */
	SL_PARSE_TRUNC_IP6_EXT,	   /* extension header runs past the payload length */
	SL_PARSE_IP6_EXT_TOO_LONG, /* more than SL_PARSE_MAX_IP6_EXT extension headers */
	SL_PARSE_BAD_IP6_EXT,	   /* hop-by-hop not first, or a second fragment header */
	SL_PARSE_TRUNC_TCP,	   /* shorter than 20 bytes or than the data offset */
	SL_PARSE_BAD_TCP_DOFF,	   /* data offset < 5 */
	SL_PARSE_TRUNC_UDP,	   /* shorter than 8 bytes */
	SL_PARSE_BAD_UDP_LEN,	   /* UDP length < 8, or > bytes present (but for a first
				    * fragment, where it counts the whole datagram) */
	SL_PARSE_TRUNC_ICMP,	   /* shorter than the 8-byte ICMP/ICMPv6 header */
	SL_PARSE_TRUNC_ICMP_INNER, /* ICMP error whose embedded IP header (IPv6: with its
				    * extension chain) is cut short */
	SL_PARSE_BAD_ICMP_INNER,   /* ICMP error whose embedded header is not valid IP of the
				    * outer family (version, IHL, extension chain) */
	SL_PARSE_VERDICT_MAX,
};

/* pkt->flags */
enum sl_pkt_flag {
	SL_PKT_F_PORTS = 1u << 0,	  /* flow.sport/dport come from TCP/UDP (or echo id) */
	SL_PKT_F_FRAGMENT = 1u << 1,	  /* IPv4 MF/offset or an IPv6 fragment header */
	SL_PKT_F_FRAG_NONFIRST = 1u << 2, /* fragment offset != 0: no L4 header here */
	SL_PKT_F_IP4_OPTIONS = 1u << 3,	  /* IHL > 5 */
	SL_PKT_F_IP6_EXT = 1u << 4,	  /* at least one extension header */
	SL_PKT_F_DF = 1u << 5,		  /* IPv4 don't-fragment bit */
	SL_PKT_F_ICMP_ERROR = 1u << 6,	  /* inner is valid: embedded flow of an ICMP error */
	SL_PKT_F_INNER_PORTS = 1u << 7,	  /* inner.sport/dport are valid: >= 4 bytes of the quoted
					   * TCP/UDP header (6 of an echo), not a non-first
					   * fragment */
};

struct sl_pkt {
	struct sl_flow_key flow; /* this packet's own flow */
	/* ICMP errors only: the embedded header's flow, as written in it (src = the
	 * sender of the original packet) */
	struct sl_flow_key inner;
	uint16_t l3_off; /* offset of the IP header (= Ethernet + VLAN tags) */
	/* offset of the L4 header; 0 when there is none (non-first fragment, IPv6
	 * no-next-header, no bytes left) */
	uint16_t l4_off;
	/* IP packet length claimed by its header (<= len - l3_off); bytes past
	 * l3_off + l3_len are link-layer padding */
	uint16_t l3_len;
	uint16_t ethertype;		       /* innermost ethertype, host order */
	uint16_t vlan_tci[SL_PARSE_MAX_VLANS]; /* host order, outermost first */
	uint16_t flags;			       /* enum sl_pkt_flag */
	/* next-hop MTU of frag-needed / packet-too-big (host order, clamped to 65535) */
	uint16_t icmp_mtu;
	uint8_t n_vlans;
	uint8_t ttl;	   /* TTL or hop limit */
	uint8_t tcp_flags; /* TCP only */
	uint8_t icmp_type; /* ICMP/ICMPv6 only */
	uint8_t icmp_code;
	uint8_t tos; /* IPv4 TOS / IPv6 traffic class */
};

/*
 * Parse one frame.
 *
 * @param data  first byte of the Ethernet header
 * @param len   bytes readable at data
 * @param pkt   filled in; the whole struct is written (zeroed first), and on
 *              any verdict other than SL_PARSE_OK only the fields up to the
 *              point of failure are meaningful (SL_PARSE_NOT_IP: ethertype,
 *              VLAN tags and l3_off)
 * @return SL_PARSE_OK or the reason the frame cannot be used.
 *
 * Reads nothing outside [data, data + len), and nothing past the IP packet's
 * own end (l3_off + l3_len) once its header is read. The IPv4 header checksum
 * is not verified (the NIC does); see parse.c for that and the other choices.
 */
enum sl_parse_verdict sl_parse(const uint8_t *data, uint32_t len, struct sl_pkt *pkt);

/*
 * sl_parse() without its fast path for the common frame (untagged, IPv4
 * without options or IPv6 without extension headers, TCP or UDP): the same
 * contract and, for every input, the same verdict and struct. For the tests
 * and the fuzz target, which compare the two.
 */
enum sl_parse_verdict sl_parse_general(const uint8_t *data, uint32_t len, struct sl_pkt *pkt);

/* Stable, short, snake_case name of a verdict ("trunc_ip4"), for stats and logs. */
const char *sl_parse_verdict_name(enum sl_parse_verdict v);

#endif /* SL_PARSE_H */
