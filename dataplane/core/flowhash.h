/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Flow hash: picks the Maglev slot of a flow. Seeded, and computed over the
 * numeric values of the fields (not their in-memory bytes), so every node
 * computes the same hash for the same flow whatever its CPU's byte order:
 * this is what lets several load balancers behind ECMP agree on backends.
 *
 * Built on DPDK's jhash (rte_jhash.h), header-only, no EAL needed.
 */
#ifndef SL_FLOWHASH_H
#define SL_FLOWHASH_H

#include <stdint.h>

#include <sluice/net.h>

/*
 * Hash the fields of @k that @variant selects, with @seed.
 * An unknown variant hashes the full 5-tuple.
 */
uint32_t sl_flow_hash(const struct sl_flow_key *k, enum sl_hash_variant variant, uint32_t seed);

/* "5tuple", "src_ip", "src_ip_port"; NULL for an unknown value. */
const char *sl_hash_variant_name(enum sl_hash_variant v);

/* Inverse of sl_hash_variant_name(); returns -EINVAL for an unknown name. */
int sl_hash_variant_parse(const char *name, enum sl_hash_variant *out);

#endif /* SL_FLOWHASH_H */
