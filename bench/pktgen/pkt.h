/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The per-packet work of sluice-pktgen on bytes: writing a packet from its
 * template (TX) and reading the stamp and the source of a packet that came
 * back (RX), whether it came back as sent, with rewritten MACs, or inside an
 * IPv4-in-IPv4 / IPv6-in-IPv6 tunnel.
 */
#ifndef SL_PG_PKT_H
#define SL_PG_PKT_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "pg.h"
#include "wire.h"

static inline uint16_t
pg_bswap16(uint16_t v)
{
	return (uint16_t)(v << 8 | v >> 8);
}

/*
 * Write the frame of template @t into @buf (t->len bytes) with source
 * address word @addr (host order: the IPv4 address, or the last 4 bytes of
 * the IPv6 one), source port @port and the stamp (@tag, @sid, @ts), and
 * correct IPv4 header and TCP/UDP checksums.
 */
static inline void
pg_fill(uint8_t *buf, const struct pg_tmpl *t, uint32_t addr, uint16_t port, uint8_t tag,
	uint8_t sid, uint32_t ts)
{
	uint8_t *st = buf + t->len - PG_STAMP_LEN;
	uint32_t asum = (addr >> 16) + (addr & 0xffff);

	memcpy(buf, t->bytes, t->len);
	st[0] = tag;
	st[1] = sid;
	memcpy(st + 2, &ts, 4);
	sl_put32(buf + t->src_off, addr);
	if (t->ip_csum_off)
		sl_put16(buf + t->ip_csum_off, sl_cksum_finish(t->ip_sum + asum));
	if (t->sport_off)
		sl_put16(buf + t->sport_off, port);
	if (t->l4_csum_off) {
		/* The stamp's words; at an odd offset its bytes sit swapped in the sum (RFC 1071).
		 */
		uint32_t ss = sl_cksum_add(0, st, PG_STAMP_LEN);
		if (t->stamp_odd)
			ss = pg_bswap16(sl_cksum_fold(ss));
		uint16_t c = sl_cksum_finish(t->l4_sum + asum + port + ss);
		if (t->udp && c == 0)
			c = 0xffff;
		sl_put16(buf + t->l4_csum_off, c);
	}
}

/* What the RX side reads from a returned frame. */
struct pg_peek {
	uint8_t tag;
	uint8_t sid;
	uint32_t ts;
	bool encap; /* arrived inside an IP-in-IP tunnel */
};

/* Read the stamp of @len bytes at @p. @return false if the frame is too short to hold one. */
static inline bool
pg_peek_stamp(const uint8_t *p, uint32_t len, struct pg_peek *pk)
{
	if (len < 14 + PG_STAMP_LEN)
		return false;
	const uint8_t *st = p + len - PG_STAMP_LEN;
	pk->tag = st[0];
	pk->sid = st[1];
	memcpy(&pk->ts, st + 2, 4);
	/* Ethertype IPv4 with protocol 4, or IPv6 with next header 41: a tunnel. */
	uint16_t et = (uint16_t)(p[12] << 8 | p[13]);
	pk->encap = (et == 0x0800 && len >= 34 && p[23] == 4) ||
		    (et == 0x86dd && len >= 54 && p[20] == 41);
	return true;
}

/*
 * The inner packet's source address word and source port (as pg_fill()
 * wrote them), after the tunnel header when @encap. @return false when the
 * headers do not hold them (the caller then does not count the flow).
 */
static inline bool
pg_peek_src(const uint8_t *p, uint32_t len, bool encap, uint32_t *addr, uint16_t *port)
{
	uint32_t off = 14;

	for (int hop = 0; hop < 2; hop++) {
		if (len < off + 1)
			return false;
		uint8_t ver = p[off] >> 4;
		uint32_t l4;
		if (ver == 4) {
			uint32_t ihl = (uint32_t)(p[off] & 0xf) * 4;
			if (ihl < 20 || len < off + ihl)
				return false;
			if (encap && hop == 0) {
				off += ihl;
				continue;
			}
			*addr = (uint32_t)p[off + 12] << 24 | (uint32_t)p[off + 13] << 16 |
				(uint32_t)p[off + 14] << 8 | p[off + 15];
			l4 = off + ihl;
		} else if (ver == 6) {
			if (len < off + 40)
				return false;
			if (encap && hop == 0) {
				off += 40;
				continue;
			}
			*addr = (uint32_t)p[off + 20] << 24 | (uint32_t)p[off + 21] << 16 |
				(uint32_t)p[off + 22] << 8 | p[off + 23];
			l4 = off + 40;
		} else {
			return false;
		}
		if (len < l4 + 2)
			return false;
		*port = (uint16_t)(p[l4] << 8 | p[l4 + 1]);
		return true;
	}
	return false;
}

#endif /* SL_PG_PKT_H */
