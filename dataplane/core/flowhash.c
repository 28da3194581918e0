/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_jhash.h>

#include "flowhash.h"

/* Address words as numbers: independent of the host's byte order. */
static inline void
ip_words(const union sl_ip *a, uint8_t family, uint32_t *w, uint32_t *n)
{
	if (family == SL_FAMILY_IPV6) {
		for (int i = 0; i < 4; i++)
			w[i] = rte_be_to_cpu_32(a->w[i]);
		*n = 4;
	} else {
		w[0] = rte_be_to_cpu_32(a->v4);
		*n = 1;
	}
}

uint32_t
sl_flow_hash(const struct sl_flow_key *k, enum sl_hash_variant variant, uint32_t seed)
{
	uint32_t w[10], n = 0, m;
	uint32_t sport = rte_be_to_cpu_16(k->sport);
	uint32_t ports = sport << 16 | rte_be_to_cpu_16(k->dport);

	/* The family and variant go into the seed so that, e.g., a v4 and a v6
	 * flow whose words happen to match do not collide by construction. */
	seed ^= (uint32_t)k->family << 24 | (uint32_t)variant << 16;

	if (k->family != SL_FAMILY_IPV6) {
		/* Fast path for IPv4: at most three words, one jhash round. */
		uint32_t src = rte_be_to_cpu_32(k->src.v4);

		switch (variant) {
		case SL_HASH_SRC_IP:
			return rte_jhash_1word(src, seed);
		case SL_HASH_SRC_IP_PORT:
			return rte_jhash_2words(src, sport, seed);
		default:
			return rte_jhash_3words(
				src, rte_be_to_cpu_32(k->dst.v4), ports, seed ^ k->proto);
		}
	}

	ip_words(&k->src, k->family, w, &m);
	n += m;
	switch (variant) {
	case SL_HASH_SRC_IP:
		break;
	case SL_HASH_SRC_IP_PORT:
		w[n++] = sport;
		break;
	default:
		ip_words(&k->dst, k->family, w + n, &m);
		n += m;
		w[n++] = ports;
		w[n++] = k->proto;
		break;
	}
	return rte_jhash_32b(w, n, seed);
}

static const char *const variant_names[SL_HASH_VARIANT_MAX] = {
	[SL_HASH_5TUPLE] = "5tuple",
	[SL_HASH_SRC_IP] = "src_ip",
	[SL_HASH_SRC_IP_PORT] = "src_ip_port",
};

const char *
sl_hash_variant_name(enum sl_hash_variant v)
{
	if ((unsigned)v >= SL_HASH_VARIANT_MAX)
		return NULL;
	return variant_names[v];
}

int
sl_hash_variant_parse(const char *name, enum sl_hash_variant *out)
{
	for (unsigned i = 0; i < SL_HASH_VARIANT_MAX; i++) {
		if (strcmp(name, variant_names[i]) == 0) {
			*out = i;
			return 0;
		}
	}
	return -EINVAL;
}
