/* SPDX-License-Identifier: BSD-3-Clause */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>

#include <rte_byteorder.h>

#include "pktbuild.h"
#include "wire.h"

#define ETH_HLEN  14
#define VLAN_HLEN 4
#define IP4_HLEN  20
#define IP6_HLEN  40

void
sl_pb_spec_init(struct sl_pb_spec *s)
{
	static const uint8_t src[6] = {0x02, 0, 0, 0, 0, 0x01}, dst[6] = {0x02, 0, 0, 0, 0, 0x02};

	memset(s, 0, sizeof(*s));
	memcpy(s->src_mac, src, 6);
	memcpy(s->dst_mac, dst, 6);
	s->family = SL_FAMILY_IPV4;
	s->proto = IPPROTO_UDP;
	s->ttl = 64;
}

size_t
sl_pb_l3_offset(const struct sl_pb_spec *s)
{
	return ETH_HLEN + (size_t)s->n_vlans * VLAN_HLEN;
}

int
sl_pb_addr(const char *str, union sl_ip *ip, uint8_t *family)
{
	memset(ip, 0, sizeof(*ip));
	if (inet_pton(AF_INET, str, &ip->v4) == 1) {
		*family = SL_FAMILY_IPV4;
		return 0;
	}
	if (inet_pton(AF_INET6, str, ip->b) == 1) {
		*family = SL_FAMILY_IPV6;
		return 0;
	}
	return -EINVAL;
}

/* Internet checksum of a pseudo-header sum plus @len bytes at @p. */
static uint16_t
l4_cksum(uint32_t pseudo, const uint8_t *p, size_t len)
{
	return sl_cksum_finish(sl_cksum_add(pseudo, p, len));
}

static uint32_t
pseudo_sum(const struct sl_pb_spec *s, uint8_t proto, uint32_t l4_len)
{
	uint32_t sum = 0;
	const union sl_ip *a[2] = {&s->src, &s->dst};

	for (int i = 0; i < 2; i++) {
		int words = s->family == SL_FAMILY_IPV6 ? 8 : 2;
		for (int w = 0; w < words; w++)
			sum += (uint32_t)a[i]->b[2 * w] << 8 | a[i]->b[2 * w + 1];
	}
	if (s->family == SL_FAMILY_IPV6)
		sum += (l4_len >> 16) + (l4_len & 0xffff) + proto;
	else
		sum += l4_len + proto;
	return sum;
}

/* Write the L4 header and payload at @p; returns its length or -ENOSPC. */
static int
build_l4(const struct sl_pb_spec *s, uint8_t *p, size_t room, bool first_fragment)
{
	size_t hlen = 0, plen = s->payload_len;

	if (!first_fragment)
		goto payload_only;
	switch (s->proto) {
	case IPPROTO_TCP:
		if (s->tcp_opt_len % 4 || s->tcp_opt_len > 40)
			return -EINVAL;
		hlen = 20 + s->tcp_opt_len;
		break;
	case IPPROTO_UDP:
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		hlen = 8;
		break;
	default:
		hlen = 0;
		break;
	}
	if ((s->proto == IPPROTO_ICMP || s->proto == IPPROTO_ICMPV6) && s->icmp_inner)
		plen = s->icmp_inner_len;
payload_only:
	if (hlen + plen > room)
		return -ENOSPC;
	memset(p, 0, hlen);
	uint8_t *pl = p + hlen;
	if (first_fragment && (s->proto == IPPROTO_ICMP || s->proto == IPPROTO_ICMPV6) &&
		s->icmp_inner)
		memcpy(pl, s->icmp_inner, plen);
	else
		for (size_t i = 0; i < plen; i++)
			pl[i] = (uint8_t)(s->payload_fill + i);
	if (!first_fragment)
		return (int)plen;

	uint32_t l4_len = hlen + plen;
	switch (s->proto) {
	case IPPROTO_TCP:
		sl_put16(p, s->sport);
		sl_put16(p + 2, s->dport);
		sl_put32(p + 4, s->tcp_seq);
		sl_put32(p + 8, s->tcp_ack);
		p[12] = (uint8_t)((hlen / 4) << 4);
		p[13] = s->tcp_flags;
		sl_put16(p + 14, 65535);
		for (size_t i = 20; i < hlen; i++)
			p[i] = 1; /* NOP options */
		sl_put16(p + 16, l4_cksum(pseudo_sum(s, IPPROTO_TCP, l4_len), p, l4_len));
		break;
	case IPPROTO_UDP:
		sl_put16(p, s->sport);
		sl_put16(p + 2, s->dport);
		sl_put16(p + 4, (uint16_t)l4_len);
		uint16_t c = l4_cksum(pseudo_sum(s, IPPROTO_UDP, l4_len), p, l4_len);
		sl_put16(p + 6, c == 0 ? 0xffff : c);
		break;
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		p[0] = s->icmp_type;
		p[1] = s->icmp_code;
		if (s->icmp_inner) {
			/* v4 frag-needed: MTU in the low 16 bits; v6 packet-too-big: 32 bits */
			if (s->proto == IPPROTO_ICMPV6)
				sl_put32(p + 4, s->icmp_mtu);
			else
				sl_put16(p + 6, s->icmp_mtu);
		} else {
			sl_put16(p + 4, s->icmp_id);
			sl_put16(p + 6, s->icmp_seq);
		}
		if (s->proto == IPPROTO_ICMPV6)
			sl_put16(p + 2, l4_cksum(pseudo_sum(s, IPPROTO_ICMPV6, l4_len), p, l4_len));
		else
			sl_put16(p + 2, l4_cksum(0, p, l4_len));
		break;
	default:
		break;
	}
	return (int)l4_len;
}

int
sl_pb_build(const struct sl_pb_spec *s, uint8_t *buf, size_t cap)
{
	size_t off = 0;
	uint16_t ethertype = s->ethertype;

	if (s->n_vlans > 4)
		return -EINVAL;
	if (!ethertype)
		ethertype = s->family == SL_FAMILY_IPV6 ? 0x86dd : 0x0800;
	if (cap < ETH_HLEN + (size_t)s->n_vlans * VLAN_HLEN)
		return -ENOSPC;
	memcpy(buf, s->dst_mac, 6);
	memcpy(buf + 6, s->src_mac, 6);
	off = 12;
	for (int i = 0; i < s->n_vlans; i++) {
		sl_put16(buf + off, s->vlan_tpid[i] ? s->vlan_tpid[i] : 0x8100);
		sl_put16(buf + off + 2, s->vlan_tci[i]);
		off += 4;
	}
	sl_put16(buf + off, ethertype);
	off += 2;

	if (ethertype != 0x0800 && ethertype != 0x86dd) {
		/* Non-IP frame: payload only (e.g. an ARP-sized blob). */
		if (off + s->payload_len > cap)
			return -ENOSPC;
		for (size_t i = 0; i < s->payload_len; i++)
			buf[off + i] = (uint8_t)(s->payload_fill + i);
		return (int)(off + s->payload_len);
	}

	uint8_t *ip = buf + off;
	bool first = s->frag_off == 0;

	if (s->family == SL_FAMILY_IPV4) {
		if (s->ip4_opt_len % 4 || s->ip4_opt_len > 40)
			return -EINVAL;
		size_t hlen = IP4_HLEN + s->ip4_opt_len;
		if (off + hlen > cap)
			return -ENOSPC;
		int l4 = build_l4(s, ip + hlen, cap - off - hlen, first);
		if (l4 < 0)
			return l4;
		memset(ip, 0, hlen);
		ip[0] = 0x40 | (uint8_t)(hlen / 4);
		ip[1] = s->tos;
		sl_put16(ip + 2, (uint16_t)(hlen + (size_t)l4));
		sl_put16(ip + 4, 0x1234);
		sl_put16(ip + 6, (uint16_t)((s->df ? 0x4000 : 0) | (s->mf ? 0x2000 : 0) |
					    (s->frag_off & 0x1fff)));
		ip[8] = s->ttl ? s->ttl : 64;
		ip[9] = s->proto;
		memcpy(ip + 12, &s->src.v4, 4);
		memcpy(ip + 16, &s->dst.v4, 4);
		for (size_t i = IP4_HLEN; i < hlen; i++)
			ip[i] = 1; /* NOP */
		sl_put16(ip + 10, sl_cksum_finish(sl_cksum_add(0, ip, hlen)));
		return (int)(off + hlen + (size_t)l4);
	}
	if (s->family != SL_FAMILY_IPV6)
		return -EINVAL;

	/* IPv6: fixed header, extension chain, optional fragment header. */
	size_t ext_len = (size_t)s->n_ext * 8 + (s->v6_frag ? 8 : 0);
	if (s->n_ext > SL_PB_MAX_EXT)
		return -EINVAL;
	if (off + IP6_HLEN + ext_len > cap)
		return -ENOSPC;
	int l4 = build_l4(s, ip + IP6_HLEN + ext_len, cap - off - IP6_HLEN - ext_len, first);
	if (l4 < 0)
		return l4;
	memset(ip, 0, IP6_HLEN);
	sl_put32(ip, 6u << 28 | (uint32_t)s->tos << 20 | (s->flow_label & 0xfffff));
	sl_put16(ip + 4, (uint16_t)(ext_len + (size_t)l4));
	ip[7] = s->ttl ? s->ttl : 64;
	memcpy(ip + 8, s->src.b, 16);
	memcpy(ip + 24, s->dst.b, 16);

	uint8_t *nh = ip + 6;
	uint8_t *e = ip + IP6_HLEN;
	for (int i = 0; i < s->n_ext; i++) {
		*nh = s->ext_types[i];
		memset(e, 0, 8);
		e[1] = 0; /* hdr ext len: 8 bytes */
		if (s->ext_types[i] == 43)
			e[2] = 0; /* routing type 0, segments left 0 */
		if (s->ext_types[i] == 0 || s->ext_types[i] == 60) {
			e[2] = 1; /* PadN of 4 bytes */
			e[3] = 4;
		}
		nh = e;
		e += 8;
	}
	if (s->v6_frag) {
		*nh = 44;
		memset(e, 0, 8);
		sl_put16(e + 2, (uint16_t)((s->frag_off & 0x1fff) << 3 | (s->mf ? 1 : 0)));
		sl_put32(e + 4, 0xabcd);
		nh = e;
	}
	*nh = s->proto;
	/* the upper-layer checksum was computed with l4_len = its own length, as RFC 8200 says */
	return (int)(off + IP6_HLEN + ext_len + (size_t)l4);
}
