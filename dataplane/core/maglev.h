/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Weighted Maglev consistent hashing (Eisenbud et al., NSDI'16, section 3.4).
 *
 * Each backend gets a permutation of the table's slots, (offset + j * skip)
 * mod M, from two hashes of its identity; backends then take turns claiming
 * their next preferred free slot until the table is full. Weights decide how
 * many turns a backend gets per round.
 *
 * Table size: M must be prime. Every skip in [1, M-1] is then coprime with M,
 * so every permutation visits every slot exactly once. (The alternative, a
 * power of two with odd skips as VPP does, allows a mask instead of a modulo
 * on lookup; we look slots up with a modulo-free multiply-shift instead, see
 * sl_maglev_slot(), and keep the paper's prime sizes.)
 *
 * Table values are the caller's backend slot numbers; SL_MAGLEV_NONE (0)
 * means "no backend" (empty pool, or every weight zero) and is handled by
 * the caller explicitly (it has its own drop counter in the dataplane).
 *
 * Determinism: the table depends only on the seed, the table size and the
 * set of (id, weight, value) triples, never on the order the backends were
 * given in: the build sorts them by id first.
 */
#ifndef SL_MAGLEV_H
#define SL_MAGLEV_H

#include <stddef.h>
#include <stdint.h>

#include <sluice/net.h>

#define SL_MAGLEV_NONE	       0u
#define SL_MAGLEV_DEFAULT_SIZE 65537u
#define SL_MAGLEV_MIN_SIZE     7u
#define SL_MAGLEV_MAX_SIZE     16777213u /* largest prime below 2^24 */
#define SL_MAGLEV_MAX_WEIGHT   65535u

/*
 * What a backend's permutation is derived from. The build reads only the
 * bytes that mean something: the pad and, for IPv4, the 12 bytes after .v4
 * are ignored (neither hashed nor compared), so stray bytes there can
 * neither change the table nor hide a duplicate.
 */
struct sl_maglev_id {
	union sl_ip addr;
	uint16_t port;	/* network order; 0 when the backend has no port of its own */
	uint8_t family; /* SL_FAMILY_IPV4 or SL_FAMILY_IPV6 */
	uint8_t pad;	/* zero (ignored) */
};

struct sl_maglev_backend {
	struct sl_maglev_id id;
	uint32_t weight; /* 0 .. SL_MAGLEV_MAX_WEIGHT; 0 gets no slots */
	uint32_t value;	 /* written into the table for this backend; != SL_MAGLEV_NONE */
};

/*
 * Check that @size can be a Maglev table size.
 * @return 0; -EINVAL if it is not prime; -ERANGE if outside
 *         [SL_MAGLEV_MIN_SIZE, SL_MAGLEV_MAX_SIZE]. When @err is not NULL a
 *         sentence saying why is written there (at most @errlen bytes).
 */
int sl_maglev_check_size(uint32_t size, char *err, size_t errlen);

/*
 * Fill @table (@size entries) for @n backends. Allocates scratch memory
 * (control path only, never on the packet path).
 *
 * @return 0 on success, and then every entry is a backend's value, or every
 *         entry is SL_MAGLEV_NONE when no backend has a weight;
 *         -EINVAL bad size (see sl_maglev_check_size()), a weight above
 *         SL_MAGLEV_MAX_WEIGHT, a value equal to SL_MAGLEV_NONE, a family
 *         other than SL_FAMILY_IPV4/IPV6, or a NULL @table (or NULL
 *         @backends with @n > 0);
 *         -EEXIST two backends with the same id; -ERANGE bad size;
 *         -ENOMEM scratch allocation failed. @table is untouched on error.
 *         @err, when not NULL, gets a sentence naming the problem (and the
 *         offending backends by their index in @backends).
 *
 * @n may exceed @size: the table then fills before every backend has had a
 * turn, and some backends get no slot. Cost: O(n log n + size log size)
 * (sorting, then the probes), about 1 ms for 65537 slots.
 */
int sl_maglev_build(uint32_t *table, uint32_t size, const struct sl_maglev_backend *backends,
	uint32_t n, uint32_t seed, char *err, size_t errlen);

/*
 * A digest of a built table, the same on every node that built the same
 * table whatever slot numbers (values) its backends got: a table is named by
 * the backends' identities slot by slot, not by the values in it. It is the
 * 64-bit FNV-1a hash (offset basis 0xcbf29ce484222325, prime 0x100000001b3)
 * of this byte string:
 *
 *   the table size as 4 bytes, most significant first; then for each slot
 *   0 .. size-1 in order: the single byte 0 when the slot is SL_MAGLEV_NONE,
 *   else the backend's family (4 or 6) followed by its address in network
 *   order (4 bytes for IPv4, 16 for IPv6).
 *
 * Two tables have the same digest when each slot names the same backend
 * address (or none in both); a weight, a backend or the seed that moves any
 * slot changes it (up to 64-bit hash collisions). Ports in the ids are not
 * part of it. The table must have been built from @backends (each value of
 * @table, other than SL_MAGLEV_NONE, is the value of one of them).
 * Control path: allocates a scratch copy of @backends (O(n log n + size)).
 *
 * @return 0 with *@digest set; -EINVAL NULL @table or @digest (or NULL
 *         @backends with @n > 0), @size 0, two backends with the same
 *         value, or a value in @table that no backend has; -ENOMEM.
 */
int sl_maglev_digest(const uint32_t *table, uint32_t size, const struct sl_maglev_backend *backends,
	uint32_t n, uint64_t *digest);

/*
 * Map a 32-bit flow hash onto [0, size) without a division:
 * (hash * size) >> 32 (Lemire's multiply-shift), uniform for uniform hashes.
 */
static inline uint32_t
sl_maglev_slot(uint32_t hash, uint32_t size)
{
	return (uint32_t)(((uint64_t)hash * size) >> 32);
}

#endif /* SL_MAGLEV_H */
