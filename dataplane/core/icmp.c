/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <netinet/in.h>
#include <string.h>

#include "icmp.h"
#include "wire.h"

#define ETH_HLEN    14
#define IP4_HLEN    20
#define IP6_HLEN    40
#define ICMP_HLEN   8
#define IP4_ERR_MAX 576	 /* RFC 1812 4.3.2.3: as much as fits in 576 bytes */
#define IP6_ERR_MAX 1280 /* RFC 4443 2.4(c): the IPv6 minimum MTU */

int
sl_icmp_too_big(struct sl_buf *buf, const struct sl_pkt *pkt, uint16_t mtu,
	const uint8_t our_mac[SL_ETH_ALEN])
{
	bool v6 = pkt->flow.family == SL_FAMILY_IPV6;
	uint32_t hdr = ETH_HLEN + (v6 ? IP6_HLEN : IP4_HLEN) + ICMP_HLEN;
	uint32_t max_ip = v6 ? IP6_ERR_MAX : IP4_ERR_MAX;
	uint8_t client_mac[SL_ETH_ALEN];
	union sl_ip src = pkt->flow.src, dst = pkt->flow.dst;

	if (pkt->flow.family != SL_FAMILY_IPV4 && !v6)
		return -EINVAL;
	/* Never answer an error with an error (RFC 1122 3.2.2, RFC 4443 2.4(e)). */
	if (pkt->flags & SL_PKT_F_ICMP_ERROR)
		return -EINVAL;
	if (pkt->flags & SL_PKT_F_FRAG_NONFIRST)
		return -EINVAL;
	/* IPv4 without DF may be fragmented by the sender's routers: no error due. */
	if (!v6 && !(pkt->flags & SL_PKT_F_DF))
		return -EINVAL;
	if (buf->headroom + pkt->l3_off < hdr)
		return -ENOSPC;

	memcpy(client_mac, buf->data + 6, SL_ETH_ALEN);

	uint32_t quoted = pkt->l3_len;
	if (quoted > max_ip - (hdr - ETH_HLEN))
		quoted = max_ip - (hdr - ETH_HLEN);
	uint8_t *orig = buf->data + pkt->l3_off;
	uint8_t *f = orig - hdr;
	uint32_t ip_len = hdr - ETH_HLEN + quoted;

	memcpy(f, client_mac, SL_ETH_ALEN);
	memcpy(f + 6, our_mac, SL_ETH_ALEN);
	sl_put16(f + 12, v6 ? 0x86dd : 0x0800);
	uint8_t *ip = f + ETH_HLEN;
	uint8_t *icmp;

	if (v6) {
		memset(ip, 0, IP6_HLEN);
		ip[0] = 0x60;
		sl_put16(ip + 4, (uint16_t)(ICMP_HLEN + quoted));
		ip[6] = IPPROTO_ICMPV6;
		ip[7] = 64;
		memcpy(ip + 8, dst.b, 16);
		memcpy(ip + 24, src.b, 16);
		icmp = ip + IP6_HLEN;
		memset(icmp, 0, ICMP_HLEN);
		icmp[0] = 2; /* packet too big */
		sl_put16(icmp + 6, mtu);
		uint32_t s = sl_cksum_add(0, ip + 8, 32);
		s += ICMP_HLEN + quoted + IPPROTO_ICMPV6;
		s = sl_cksum_add(s, icmp, ICMP_HLEN + quoted);
		sl_put16(icmp + 2, sl_cksum_finish(s));
	} else {
		memset(ip, 0, IP4_HLEN);
		ip[0] = 0x45;
		sl_put16(ip + 2, (uint16_t)ip_len);
		ip[8] = 64;
		ip[9] = IPPROTO_ICMP;
		memcpy(ip + 12, &dst.v4, 4);
		memcpy(ip + 16, &src.v4, 4);
		sl_put16(ip + 10, sl_cksum_finish(sl_cksum_add(0, ip, IP4_HLEN)));
		icmp = ip + IP4_HLEN;
		memset(icmp, 0, ICMP_HLEN);
		icmp[0] = 3; /* destination unreachable */
		icmp[1] = 4; /* fragmentation needed and DF set */
		sl_put16(icmp + 6, mtu);
		sl_put16(icmp + 2, sl_cksum_finish(sl_cksum_add(0, icmp, ICMP_HLEN + quoted)));
	}

	buf->headroom = (uint32_t)(buf->headroom + pkt->l3_off - hdr);
	buf->data = f;
	buf->len = ETH_HLEN + ip_len;
	return 0;
}
