/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Templates: one frame per (stream, size), built once with the core's frame
 * builder, with the per-packet fields zeroed and the checksum sums over the
 * rest precomputed, so that pg_fill() is a copy and a dozen additions.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "pg.h"
#include "pktbuild.h"
#include "wire.h"

#define ETH_HLEN 14

/* Sum of the pseudo-header with the source's varying word zero (it is added per packet). */
static uint32_t
pseudo_sum(const uint8_t *ip, uint8_t family, uint8_t proto, uint32_t l4_len)
{
	if (family == SL_FAMILY_IPV4)
		return sl_cksum_add(0, ip + 12, 8) + proto + l4_len;
	return sl_cksum_add(0, ip + 8, 32) + proto + (l4_len >> 16) + (l4_len & 0xffff);
}

static void
malform(struct pg_tmpl *t, const struct pg_stream *s, uint16_t l4)
{
	uint8_t *ip = t->bytes + ETH_HLEN;

	switch (s->malformed) {
	case PG_MAL_IP_VERSION:
		ip[0] = (uint8_t)((s->family == SL_FAMILY_IPV4 ? 5 : 7) << 4 | (ip[0] & 0xf));
		break;
	case PG_MAL_IP_IHL:
		ip[0] = 0x44;
		break;
	case PG_MAL_TCP_DOFF:
		t->bytes[l4 + 12] = 0x40;
		break;
	case PG_MAL_UDP_LEN:
		sl_put16(t->bytes + l4 + 4, 4);
		break;
	default:
		return;
	}
	/* Its checksum does not matter: the parser rejects it before anyone reads that. */
	t->l4_csum_off = 0;
}

int
pg_tmpl_build(
	const struct pg_profile *p, const struct pg_stream *s, uint16_t size, struct pg_tmpl **out)
{
	bool v4 = s->family == SL_FAMILY_IPV4, tcp = s->type != PG_UDP;
	uint16_t ip_hlen = v4 ? 20 : 40, l4_hlen = tcp ? 20 : 8;
	uint16_t l4 = ETH_HLEN + ip_hlen;
	struct sl_pb_spec sp;
	struct pg_tmpl *t;

	if (size < l4 + l4_hlen + PG_STAMP_LEN || size > PG_MAX_FRAME)
		return -EINVAL;
	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;

	sl_pb_spec_init(&sp);
	memcpy(sp.src_mac, p->src_mac, 6);
	memcpy(sp.dst_mac, p->dst_mac, 6);
	sp.family = s->family;
	sp.src = s->src;
	memset(v4 ? sp.src.b : sp.src.b + 12, 0, 4); /* the varying word, added per packet */
	sp.dst = s->dst;
	sp.proto = tcp ? IPPROTO_TCP : IPPROTO_UDP;
	sp.ttl = s->ttl;
	sp.sport = 0;
	sp.dport = s->dport;
	sp.tcp_flags = s->type == PG_TCP_SYN ? 0x02 : 0x10;
	sp.tcp_seq = s->type == PG_TCP_SYN ? 0x5eed0000 : 0x5eed0001;
	sp.tcp_ack = s->type == PG_TCP_SYN ? 0 : 0x00c0ffee;
	sp.payload_len = (uint16_t)(size - l4 - l4_hlen);
	int len = sl_pb_build(&sp, t->bytes, sizeof(t->bytes));
	if (len != size) {
		free(t);
		return len < 0 ? len : -EINVAL;
	}

	t->len = size;
	t->udp = !tcp;
	t->src_off = v4 ? ETH_HLEN + 12 : ETH_HLEN + 20;
	t->sport_off = l4;
	t->ip_csum_off = v4 ? ETH_HLEN + 10 : 0;
	t->l4_csum_off = l4 + (tcp ? 16 : 6);
	t->stamp_odd = ((size - PG_STAMP_LEN - l4) & 1) != 0;

	/* Zero what pg_fill() writes, then take the sums over the rest. */
	memset(t->bytes + size - PG_STAMP_LEN, 0, PG_STAMP_LEN);
	sl_put16(t->bytes + t->l4_csum_off, 0);
	uint8_t *ip = t->bytes + ETH_HLEN;
	if (v4) {
		sl_put16(ip + 10, 0);
		t->ip_sum = sl_cksum_fold(sl_cksum_add(0, ip, ip_hlen));
	}
	uint32_t l4_len = (uint32_t)(size - l4);
	t->l4_sum = sl_cksum_fold(
		sl_cksum_add(pseudo_sum(ip, s->family, sp.proto, l4_len), t->bytes + l4, l4_len));

	malform(t, s, l4);
	*out = t;
	return 0;
}
