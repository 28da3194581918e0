/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target for sl_parse(). The input is copied into a heap buffer of
 * exactly its size, so that ASan reports a read of even one byte past the
 * end. Besides not crashing, every result must satisfy the contract in
 * parse.h, and sl_parse() must give what its general path alone
 * (sl_parse_general(), without the fast path for common frames) gives; a
 * broken invariant aborts, which libFuzzer reports as a crash.
 */
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(c)                                                                                   \
	do {                                                                                       \
		if (!(c)) {                                                                        \
			fprintf(stderr, "fuzz_parse: invariant failed: %s (line %d)\n", #c,        \
				__LINE__);                                                         \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

static const uint8_t zero[sizeof(struct sl_flow_key)];

static void
check_key(const struct sl_flow_key *k)
{
	CHECK(k->pad[0] == 0 && k->pad[1] == 0);
	if (k->family == SL_FAMILY_IPV4) {
		/* IPv4 addresses live in .v4, the other 12 bytes are zero */
		CHECK(memcmp(k->src.b + 4, zero, 12) == 0);
		CHECK(memcmp(k->dst.b + 4, zero, 12) == 0);
	}
	CHECK(k->family == SL_FAMILY_NONE || k->family == SL_FAMILY_IPV4 ||
		k->family == SL_FAMILY_IPV6);
}

/*
 * @parse (sl_parse or sl_parse_general) on a heap copy of @size bytes of
 * @data followed by @pad bytes of 0xff.
 */
static enum sl_parse_verdict
parse_copy_with(enum sl_parse_verdict (*parse)(const uint8_t *, uint32_t, struct sl_pkt *),
	const uint8_t *data, size_t size, size_t pad, struct sl_pkt *pkt)
{
	uint8_t *copy = malloc(size + pad);

	if (!copy && size + pad)
		abort();
	if (size)
		memcpy(copy, data, size);
	if (pad)
		memset(copy + size, 0xff, pad);
	enum sl_parse_verdict v = parse(copy, (uint32_t)(size + pad), pkt);
	free(copy);
	return v;
}

static enum sl_parse_verdict
parse_copy(const uint8_t *data, size_t size, size_t pad, struct sl_pkt *pkt)
{
	return parse_copy_with(sl_parse, data, size, pad, pkt);
}

static void
check_ok(const struct sl_pkt *p, size_t size)
{
	uint32_t end = (uint32_t)p->l3_off + p->l3_len;
	int v6 = p->flow.family == SL_FAMILY_IPV6;

	CHECK(p->flow.family == SL_FAMILY_IPV4 || v6);
	CHECK(p->ethertype == (v6 ? 0x86dd : 0x0800));
	CHECK(end <= size);
	CHECK(p->l3_len >= (v6 ? 40 : 20));
	if (p->l4_off) {
		CHECK(p->l4_off >= p->l3_off + (v6 ? 40u : 20u));
		CHECK(p->l4_off < end);
	}
	if (p->flags & SL_PKT_F_PORTS) {
		CHECK(p->l4_off && p->l4_off + 8u <= end);
		if (p->flow.proto == IPPROTO_TCP)
			CHECK(p->l4_off + 20u <= end);
	} else {
		CHECK(p->flow.sport == 0 && p->flow.dport == 0);
	}
	if (p->flags & SL_PKT_F_FRAG_NONFIRST) {
		CHECK(p->flags & SL_PKT_F_FRAGMENT);
		CHECK(!(p->flags & SL_PKT_F_PORTS) && p->l4_off == 0);
	}
	if (p->flags & SL_PKT_F_INNER_PORTS)
		CHECK(p->flags & SL_PKT_F_ICMP_ERROR);
	if (p->flags & SL_PKT_F_ICMP_ERROR) {
		CHECK(p->inner.family == p->flow.family);
		CHECK(p->flow.proto == (v6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP));
		CHECK(!(p->flags & SL_PKT_F_PORTS));
		CHECK(p->l4_off + 8u + (v6 ? 40u : 20u) <= end);
	} else {
		CHECK(memcmp(&p->inner, zero, sizeof(p->inner)) == 0);
	}
	if (!(p->flags & SL_PKT_F_INNER_PORTS))
		CHECK(p->inner.sport == 0 && p->inner.dport == 0);
	if (p->icmp_mtu)
		CHECK(p->flow.proto == (v6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP));
	if (p->flags & SL_PKT_F_IP4_OPTIONS)
		CHECK(!v6 && p->l4_off != p->l3_off + 20u);
	if (p->flags & SL_PKT_F_IP6_EXT)
		CHECK(v6);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sl_pkt pkt, again;

	if (size > UINT16_MAX)
		return 0; /* frames are at most 64 KiB; l3_len and offsets are 16 bits */

	enum sl_parse_verdict v = parse_copy(data, size, 0, &pkt);
	const char *name = sl_parse_verdict_name(v);
	CHECK((unsigned int)v < SL_PARSE_VERDICT_MAX);
	CHECK(name && strcmp(name, "unknown") != 0);

	/* deterministic, and the whole struct is written (no stale bytes) */
	memset(&again, 0xa5, sizeof(again));
	CHECK(parse_copy(data, size, 0, &again) == v);
	CHECK(memcmp(&pkt, &again, sizeof(pkt)) == 0);
	/* the fast path for common frames changes nothing: the general path alone agrees */
	memset(&again, 0x5a, sizeof(again));
	CHECK(parse_copy_with(sl_parse_general, data, size, 0, &again) == v);
	CHECK(memcmp(&pkt, &again, sizeof(pkt)) == 0);

	check_key(&pkt.flow);
	check_key(&pkt.inner);
	CHECK(pkt.n_vlans <= SL_PARSE_MAX_VLANS);
	if (v == SL_PARSE_OK || v == SL_PARSE_NOT_IP)
		CHECK(pkt.l3_off == 14 + 4 * pkt.n_vlans);
	if (v == SL_PARSE_NOT_IP)
		CHECK(memcmp(&pkt.flow, zero, sizeof(pkt.flow)) == 0);
	if (v != SL_PARSE_OK)
		return 0;
	check_ok(&pkt, size);

	/* l3_len is what the IP header says, read here independently */
	const uint8_t *ip = data + pkt.l3_off;
	if (pkt.flow.family == SL_FAMILY_IPV4)
		CHECK(pkt.l3_len == (ip[2] << 8 | ip[3]));
	else
		CHECK(pkt.l3_len == 40 + (ip[4] << 8 | ip[5]));

	/* Bytes past the IP packet are padding: without them, or with more of
	 * them, the same result. */
	uint32_t end = (uint32_t)pkt.l3_off + pkt.l3_len;
	if (end < size) {
		CHECK(parse_copy(data, end, 0, &again) == SL_PARSE_OK);
		CHECK(memcmp(&pkt, &again, sizeof(pkt)) == 0);
	}
	CHECK(parse_copy(data, size, 64, &again) == SL_PARSE_OK);
	CHECK(memcmp(&pkt, &again, sizeof(pkt)) == 0);
	return 0;
}
