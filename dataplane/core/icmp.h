/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ICMP errors the load balancer originates: when a packet for a VIP would be
 * too big for the egress MTU once encapsulated, the client is told so
 * (ICMPv4 "fragmentation needed", RFC 792/1191; ICMPv6 "packet too big",
 * RFC 4443/8201), so path-MTU discovery works through the load balancer.
 *
 * The answer is written in place over the offending frame, in a buffer with
 * headroom (struct sl_buf from encap.h): Ethernet back to the sender's MAC
 * (untagged), an IP header from the VIP (the packet's destination) to the
 * sender, the ICMP header, and as much of the offending packet as fits in
 * 576 bytes (IPv4) or 1280 bytes (IPv6).
 */
#ifndef SL_ICMP_H
#define SL_ICMP_H

#include <stdint.h>

#include "encap.h"
#include "parse.h"

/*
 * Turn the frame in @buf (parsed into @pkt) into a frag-needed / packet-too-big
 * error advertising @mtu, sent from @our_mac.
 * @return 0; -EINVAL when no error may be sent for this packet (an ICMP error
 *         itself, an IPv4 packet without DF, a non-first fragment, not IP);
 *         -ENOSPC when the headroom is too small. @buf is unchanged on error.
 */
int sl_icmp_too_big(struct sl_buf *buf, const struct sl_pkt *pkt, uint16_t mtu,
	const uint8_t our_mac[SL_ETH_ALEN]);

#endif /* SL_ICMP_H */
