/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <string.h>

#include "flowhash.h"
#include "pktbuild.h"
#include "test-common.h"

static struct sl_flow_key
key(const char *src, const char *dst, uint16_t sport, uint16_t dport, uint8_t proto)
{
	struct sl_flow_key k;
	uint8_t fam;

	memset(&k, 0, sizeof(k));
	ck_assert_int_eq(sl_pb_addr(src, &k.src, &fam), 0);
	ck_assert_int_eq(sl_pb_addr(dst, &k.dst, &k.family), 0);
	ck_assert_int_eq(fam, k.family);
	k.sport = htons(sport);
	k.dport = htons(dport);
	k.proto = proto;
	return k;
}

/*
 * Golden values. Every node of a cluster must compute the same hash for the
 * same flow, including nodes running different Sluice versions during a
 * rolling upgrade: changing these values is a compatibility break.
 */
START_TEST(test_golden_values)
{
	struct sl_flow_key a = key("198.51.100.7", "192.0.2.10", 40000, 80, IPPROTO_TCP);
	struct sl_flow_key b = key("2001:db8::7", "2001:db8::10", 40000, 443, IPPROTO_TCP);

	ck_assert_uint_eq(sl_flow_hash(&a, SL_HASH_5TUPLE, 0x5eed), 0xbe74ba30);
	ck_assert_uint_eq(sl_flow_hash(&a, SL_HASH_SRC_IP, 0x5eed), 0x9d9161d2);
	ck_assert_uint_eq(sl_flow_hash(&a, SL_HASH_SRC_IP_PORT, 0x5eed), 0xaeb44389);
	ck_assert_uint_eq(sl_flow_hash(&b, SL_HASH_5TUPLE, 0x5eed), 0xf3ffefec);
	ck_assert_uint_eq(sl_flow_hash(&b, SL_HASH_SRC_IP, 0x5eed), 0x072a09ec);
	ck_assert_uint_eq(sl_flow_hash(&b, SL_HASH_SRC_IP_PORT, 0x5eed), 0x42da29ec);
}
END_TEST

START_TEST(test_seed_changes_hash)
{
	struct sl_flow_key a = key("198.51.100.7", "192.0.2.10", 40000, 80, IPPROTO_TCP);
	int same = 0;

	for (uint32_t s = 1; s < 1000; s++)
		same += sl_flow_hash(&a, SL_HASH_5TUPLE, s) == sl_flow_hash(&a, SL_HASH_5TUPLE, 0);
	ck_assert_int_le(same, 1);
}
END_TEST

/* Each variant depends on exactly the fields it names. */
static void
check_variant_fields(const char *src, const char *dst, const char *src2, const char *dst2)
{
	struct sl_flow_key base = key(src, dst, 40000, 80, IPPROTO_TCP);
	struct sl_flow_key other_src = key(src2, dst, 40000, 80, IPPROTO_TCP);
	struct sl_flow_key other_dst = key(src, dst2, 40000, 80, IPPROTO_TCP);
	struct sl_flow_key other_sport = key(src, dst, 40001, 80, IPPROTO_TCP);
	struct sl_flow_key other_dport = key(src, dst, 40000, 81, IPPROTO_TCP);
	struct sl_flow_key other_proto = key(src, dst, 40000, 80, IPPROTO_UDP);
	const uint32_t seed = 7;

#define H(k, v) sl_flow_hash(&(k), (v), seed)
	ck_assert_uint_ne(H(base, SL_HASH_5TUPLE), H(other_src, SL_HASH_5TUPLE));
	ck_assert_uint_ne(H(base, SL_HASH_5TUPLE), H(other_dst, SL_HASH_5TUPLE));
	ck_assert_uint_ne(H(base, SL_HASH_5TUPLE), H(other_sport, SL_HASH_5TUPLE));
	ck_assert_uint_ne(H(base, SL_HASH_5TUPLE), H(other_dport, SL_HASH_5TUPLE));
	ck_assert_uint_ne(H(base, SL_HASH_5TUPLE), H(other_proto, SL_HASH_5TUPLE));

	ck_assert_uint_ne(H(base, SL_HASH_SRC_IP), H(other_src, SL_HASH_SRC_IP));
	ck_assert_uint_eq(H(base, SL_HASH_SRC_IP), H(other_dst, SL_HASH_SRC_IP));
	ck_assert_uint_eq(H(base, SL_HASH_SRC_IP), H(other_sport, SL_HASH_SRC_IP));
	ck_assert_uint_eq(H(base, SL_HASH_SRC_IP), H(other_dport, SL_HASH_SRC_IP));
	ck_assert_uint_eq(H(base, SL_HASH_SRC_IP), H(other_proto, SL_HASH_SRC_IP));

	ck_assert_uint_ne(H(base, SL_HASH_SRC_IP_PORT), H(other_src, SL_HASH_SRC_IP_PORT));
	ck_assert_uint_eq(H(base, SL_HASH_SRC_IP_PORT), H(other_dst, SL_HASH_SRC_IP_PORT));
	ck_assert_uint_ne(H(base, SL_HASH_SRC_IP_PORT), H(other_sport, SL_HASH_SRC_IP_PORT));
	ck_assert_uint_eq(H(base, SL_HASH_SRC_IP_PORT), H(other_dport, SL_HASH_SRC_IP_PORT));
	ck_assert_uint_eq(H(base, SL_HASH_SRC_IP_PORT), H(other_proto, SL_HASH_SRC_IP_PORT));
#undef H
}

START_TEST(test_variant_fields_v4)
{
	check_variant_fields("198.51.100.7", "192.0.2.10", "198.51.100.8", "192.0.2.11");
}
END_TEST

START_TEST(test_variant_fields_v6)
{
	/* differ only in the last byte, and only in the first word */
	check_variant_fields("2001:db8::7", "2001:db8::10", "2001:db8::6", "2001:db8::11");
	check_variant_fields("2001:db8::7", "2001:db8::10", "3001:db8::7", "3001:db8::10");
}
END_TEST

/*
 * 200k flows (v4, then v6) from one client prefix to one VIP, differing only in address
 * and port as real clients do, spread over 64 bins: chi-square with 63
 * degrees of freedom stays far below 150 (p < 1e-8) for a usable hash.
 */
START_TEST(test_distribution)
{
	const int n = 200000, bins = 64;
	static uint32_t count[64];
	struct sl_flow_key k = key("10.1.0.0", "192.0.2.10", 0, 443, IPPROTO_TCP);

	for (int v = 0; v < SL_HASH_VARIANT_MAX; v++) {
		memset(count, 0, sizeof(count));
		for (int i = 0; i < n; i++) {
			k.src.v4 = htonl(0x0a010000u + (uint32_t)i);
			k.sport = htons((uint16_t)(1024 + i * 7919));
			count[sl_flow_hash(&k, v, 1) % bins]++;
		}
		double exp = (double)n / bins, chi = 0;
		for (int b = 0; b < bins; b++)
			chi += (count[b] - exp) * (count[b] - exp) / exp;
		ck_assert_msg(chi < 150.0, "v4 variant %d chi-square %.1f", v, chi);
	}

	k = key("2001:db8:1::", "2001:db8::10", 0, 443, IPPROTO_TCP);
	for (int v = 0; v < SL_HASH_VARIANT_MAX; v++) {
		memset(count, 0, sizeof(count));
		for (int i = 0; i < n; i++) {
			k.src.w[3] = htonl((uint32_t)i);
			k.sport = htons((uint16_t)(1024 + i * 7919));
			count[sl_flow_hash(&k, v, 1) % bins]++;
		}
		double exp = (double)n / bins, chi = 0;
		for (int b = 0; b < bins; b++)
			chi += (count[b] - exp) * (count[b] - exp) / exp;
		ck_assert_msg(chi < 150.0, "v6 variant %d chi-square %.1f", v, chi);
	}
}
END_TEST

/* A v6 key must not hash like the v4 key whose first words are equal. */
START_TEST(test_family_in_hash)
{
	struct sl_flow_key a = key("198.51.100.7", "192.0.2.10", 1, 2, IPPROTO_TCP);
	struct sl_flow_key b = a;

	b.family = SL_FAMILY_IPV6;
	for (int v = 0; v < SL_HASH_VARIANT_MAX; v++)
		ck_assert_uint_ne(sl_flow_hash(&a, v, 3), sl_flow_hash(&b, v, 3));
}
END_TEST

START_TEST(test_variant_names)
{
	enum sl_hash_variant v;

	for (int i = 0; i < SL_HASH_VARIANT_MAX; i++) {
		const char *name = sl_hash_variant_name(i);
		ck_assert_ptr_nonnull(name);
		ck_assert_int_eq(sl_hash_variant_parse(name, &v), 0);
		ck_assert_int_eq(v, i);
	}
	ck_assert_ptr_null(sl_hash_variant_name(SL_HASH_VARIANT_MAX));
	ck_assert_int_eq(sl_hash_variant_parse("5-tuple", &v), -EINVAL);
	ck_assert_int_eq(sl_hash_variant_parse("", &v), -EINVAL);
}
END_TEST

static Suite *
flowhash_suite(void)
{
	Suite *s = suite_create("flowhash");
	SL_TCASE(s, test_golden_values);
	SL_TCASE(s, test_seed_changes_hash);
	SL_TCASE(s, test_variant_fields_v4);
	SL_TCASE(s, test_variant_fields_v6);
	SL_TCASE(s, test_distribution);
	SL_TCASE(s, test_family_in_hash);
	SL_TCASE(s, test_variant_names);
	return s;
}

SL_TEST_MAIN(flowhash_suite)
