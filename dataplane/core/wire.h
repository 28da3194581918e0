/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Writing header fields and Internet checksums (RFC 1071) byte by byte, in
 * network order, whatever the host's: shared by the rewrites (encap.c,
 * icmp.c) and the frame builder. Sums are of big-endian 16-bit words as
 * numbers, so a pseudo-header sum built from field values adds in directly.
 */
#ifndef SL_WIRE_H
#define SL_WIRE_H

#include <stddef.h>
#include <stdint.h>

static inline void
sl_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void
sl_put32(uint8_t *p, uint32_t v)
{
	sl_put16(p, (uint16_t)(v >> 16));
	sl_put16(p + 2, (uint16_t)v);
}

/*
 * Add @len bytes at @p to @sum as big-endian 16-bit words (an odd last byte
 * is padded with zero). A 32-bit sum holds any IP packet (< 64 KiB) plus a
 * pseudo-header without overflowing.
 */
static inline uint32_t
sl_cksum_add(uint32_t sum, const uint8_t *p, size_t len)
{
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	return sum;
}

/* Fold a sum into 16 bits with end-around carry (not complemented). */
static inline uint16_t
sl_cksum_fold(uint32_t sum)
{
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

/* The checksum field's value for a sum: the folded sum, complemented. */
static inline uint16_t
sl_cksum_finish(uint32_t sum)
{
	return (uint16_t)~sl_cksum_fold(sum);
}

#endif /* SL_WIRE_H */
