/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Writing header fields in network order, whatever the host's, and Internet
 * checksums (RFC 1071): shared by the rewrites (encap.c,
 * icmp.c) and the frame builder. Sums are of big-endian 16-bit words as
 * numbers, so a pseudo-header sum built from field values adds in directly.
 */
#ifndef SL_WIRE_H
#define SL_WIRE_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/*
 * Byte swaps as compiler builtins: DPDK 22.11's rte_bswap16/32 on a run-time
 * value are "asm volatile", which the compiler can neither fold, merge nor
 * move (measured: a dozen such asm statements per forwarded packet).
 */
static inline uint16_t
sl_be16(uint16_t v)
{
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	return __builtin_bswap16(v);
#else
	return v;
#endif
}

static inline uint32_t
sl_be32(uint32_t v)
{
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	return __builtin_bswap32(v);
#else
	return v;
#endif
}

/* Store @v at @p in network order (one 16- or 32-bit store, any alignment). */
static inline void
sl_put16(uint8_t *p, uint16_t v)
{
	uint16_t be = sl_be16(v);

	memcpy(p, &be, sizeof(be));
}

static inline void
sl_put32(uint8_t *p, uint32_t v)
{
	uint32_t be = sl_be32(v);

	memcpy(p, &be, sizeof(be));
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
