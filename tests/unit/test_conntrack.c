/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Per-core connection tracking. Every test injects its clock: `now` is a
 * plain number passed to each call, so timeouts are checked to the tick.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_crc_sw.h>

#include "conntrack.h"
#include "test-common.h"

/* Distinct timeouts, so that a state mixed up with another shows. */
enum {
	T_SYN = 5000,
	T_EST = 300000,
	T_CLOSE = 10000,
	T_UDP = 30000,
	T_OTHER = 20000,
};

enum {
	FIN = 0x01,
	SYN = 0x02,
	RST = 0x04,
	PSH = 0x08,
	ACK = 0x10,
};

static struct sl_ct_config
test_config(uint32_t capacity, uint32_t syn_cap)
{
	struct sl_ct_config cfg;

	sl_ct_config_default(&cfg);
	cfg.capacity = capacity;
	cfg.syn_cap = syn_cap;
	cfg.timeout_ms[SL_CT_TCP_SYN] = T_SYN;
	cfg.timeout_ms[SL_CT_TCP_EST] = T_EST;
	cfg.timeout_ms[SL_CT_TCP_CLOSING] = T_CLOSE;
	cfg.timeout_ms[SL_CT_UDP] = T_UDP;
	cfg.timeout_ms[SL_CT_OTHER] = T_OTHER;
	return cfg;
}

static struct sl_ct *
make(uint32_t capacity, uint32_t syn_cap)
{
	struct sl_ct_config cfg = test_config(capacity, syn_cap);
	struct sl_ct *ct = sl_ct_create(&cfg);

	ck_assert_ptr_nonnull(ct);
	return ct;
}

/* Distinct for every i < 2^32: a client address and port per i. */
static struct sl_flow_key
key4(uint32_t i, uint8_t proto)
{
	struct sl_flow_key k;

	memset(&k, 0, sizeof(k));
	k.src.v4 = rte_cpu_to_be_32(0x0a000000u | (i >> 8));
	k.dst.v4 = rte_cpu_to_be_32(0xc0a80001u);
	k.sport = rte_cpu_to_be_16((uint16_t)(1024 + (i & 0xff)));
	k.dport = rte_cpu_to_be_16(80);
	k.proto = proto;
	k.family = SL_FAMILY_IPV4;
	return k;
}

/*
 * Distinct for every i too, but with a pseudo-random client address. CRC is
 * linear, so key4()'s counting keys spread perfectly evenly over the buckets;
 * these behave like real clients (Poisson bucket loads).
 */
static struct sl_flow_key
key_rand(uint32_t i)
{
	struct sl_flow_key k = key4(0, IPPROTO_UDP);

	/* murmur3's finaliser: a bijection on 32-bit words. */
	i ^= i >> 16;
	i *= 0x85ebca6bu;
	i ^= i >> 13;
	i *= 0xc2b2ae35u;
	i ^= i >> 16;
	k.src.v4 = i;
	return k;
}

static struct sl_flow_key
key6(uint32_t i, uint8_t proto)
{
	struct sl_flow_key k;

	memset(&k, 0, sizeof(k));
	k.src.w[0] = rte_cpu_to_be_32(0x20010db8u);
	k.src.w[3] = rte_cpu_to_be_32(i);
	k.dst.w[0] = rte_cpu_to_be_32(0x20010db8u);
	k.dst.w[3] = rte_cpu_to_be_32(0xffffu);
	k.sport = rte_cpu_to_be_16(40000);
	k.dport = rte_cpu_to_be_16(443);
	k.proto = proto;
	k.family = SL_FAMILY_IPV6;
	return k;
}

static struct sl_ct_entry *
ins(struct sl_ct *ct, const struct sl_flow_key *k, uint32_t now, enum sl_ct_state state)
{
	return sl_ct_insert(ct, k, sl_ct_hash(ct, k), now, state);
}

static struct sl_ct_entry *
look(struct sl_ct *ct, const struct sl_flow_key *k, uint32_t now)
{
	return sl_ct_lookup(ct, k, sl_ct_hash(ct, k), now);
}

/* Reference CRC32C (DPDK's table-driven software one) over the key words. */
static uint32_t
crc_words(const void *data, unsigned n_words, uint32_t crc)
{
	uint64_t w[5];

	memcpy(w, data, n_words * sizeof(uint64_t));
	for (unsigned i = 0; i < n_words; i++)
		crc = crc32c_2words(w[i], crc);
	return crc;
}

static void
check_entry(const struct sl_ct_entry *e, const struct sl_flow_key *k, uint32_t created,
	enum sl_ct_state state)
{
	ck_assert_ptr_nonnull(e);
	ck_assert(sl_flow_key_eq(&e->key, k));
	ck_assert_uint_eq(e->created, created);
	ck_assert_uint_eq(e->state, state);
	ck_assert_uint_eq(e->backend, 0);
	ck_assert_uint_eq(e->backend_epoch, 0);
	ck_assert_uint_eq(e->vip, 0);
}

START_TEST(test_hit_ipv4)
{
	struct sl_ct *ct = make(1024, 0);
	struct sl_flow_key k = key4(7, IPPROTO_TCP), other = key4(8, IPPROTO_TCP);
	struct sl_ct_entry *e;

	ck_assert_ptr_null(look(ct, &k, 100));
	e = ins(ct, &k, 100, SL_CT_TCP_SYN);
	check_entry(e, &k, 100, SL_CT_TCP_SYN);
	e->backend = 3;
	e->backend_epoch = 9;
	e->vip = 2;

	/* The prefetch helpers only read (valgrind checks they stay in bounds). */
	sl_ct_prefetch(ct, sl_ct_hash(ct, &k));
	ck_assert(sl_ct_prefetch_bucket(ct, &k, sl_ct_hash(ct, &k))); /* in its preferred way */
	struct sl_flow_key absent = key4(2, IPPROTO_TCP);
	ck_assert(!sl_ct_prefetch_bucket(ct, &absent, sl_ct_hash(ct, &absent)));
	sl_ct_prefetch_entry(ct, sl_ct_hash(ct, &k), 100);
	sl_ct_prefetch_entry(ct, sl_ct_hash(ct, &absent), 100);
	struct sl_ct_entry *h = look(ct, &k, 200);
	ck_assert_ptr_eq(h, e);
	ck_assert_uint_eq(h->backend, 3);
	ck_assert_uint_eq(h->backend_epoch, 9);
	ck_assert_uint_eq(h->vip, 2);
	ck_assert_uint_eq(h->created, 100);
	ck_assert_ptr_null(look(ct, &other, 200));

	const struct sl_ct_stats *st = sl_ct_stats(ct);
	ck_assert_uint_eq(st->lookups, 3);
	ck_assert_uint_eq(st->hits, 1);
	ck_assert_uint_eq(st->misses, 2);
	ck_assert_uint_eq(st->inserts, 1);
	sl_ct_free(ct);
}
END_TEST

/*
 * sl_ct_lookup_pref() on what sl_ct_prefetch_bucket() returned gives what
 * sl_ct_lookup() gives, counters included: a live key in its preferred way,
 * the same key expired, and a key living in another way of its bucket (its
 * preferred way held by another key).
 */
START_TEST(test_lookup_pref)
{
	struct sl_ct *ct = make(1024, 0);
	uint32_t mask = sl_ct_capacity(ct) / SL_CT_BUCKET_WAYS - 1;
	const struct sl_ct_stats *st = sl_ct_stats(ct);
	struct sl_flow_key k1 = key_rand(1), k2;
	uint32_t h1 = sl_ct_hash(ct, &k1), h2 = 0;

	/* A second key with k1's bucket and preferred way (the hash's top 3 bits). */
	for (uint32_t i = 2;; i++) {
		ck_assert_uint_lt(i, 1u << 24);
		k2 = key_rand(i);
		h2 = sl_ct_hash(ct, &k2);
		if ((h2 & mask) == (h1 & mask) && h2 >> 29 == h1 >> 29)
			break;
	}
	struct sl_ct_entry *e1 = ins(ct, &k1, 100, SL_CT_TCP_EST);
	struct sl_ct_entry *e2 = ins(ct, &k2, 100, SL_CT_UDP);
	ck_assert_ptr_nonnull(e1);
	ck_assert_ptr_nonnull(e2);

	struct sl_ct_entry *p1 = sl_ct_prefetch_bucket(ct, &k1, h1);
	ck_assert_ptr_eq(p1, e1);
	ck_assert_ptr_null(sl_ct_prefetch_bucket(ct, &k2, h2)); /* not in its preferred way */

	uint64_t lookups = st->lookups, hits = st->hits, misses = st->misses;
	ck_assert_ptr_eq(sl_ct_lookup_pref(ct, p1, &k1, h1, 200), e1);
	ck_assert_uint_eq(e1->expires, 200 + T_EST);
	ck_assert_ptr_eq(sl_ct_lookup_pref(ct, NULL, &k2, h2, 200), e2);
	ck_assert_uint_eq(e2->expires, 200 + T_UDP);
	ck_assert_uint_eq(st->lookups, lookups + 2);
	ck_assert_uint_eq(st->hits, hits + 2);
	ck_assert_uint_eq(st->misses, misses);

	/* k1 expired (k2, refreshed later by its own timeout, not yet): a miss. */
	uint32_t later = 200 + T_EST;
	ck_assert_ptr_eq(sl_ct_prefetch_bucket(ct, &k1, h1), e1); /* "live or not" */
	ck_assert_ptr_null(sl_ct_lookup_pref(ct, e1, &k1, h1, later));
	ck_assert_ptr_null(sl_ct_lookup(ct, &k1, h1, later));
	ck_assert_uint_eq(st->lookups, lookups + 4);
	ck_assert_uint_eq(st->misses, misses + 2);
	sl_ct_free(ct);
}
END_TEST

START_TEST(test_hit_ipv6)
{
	struct sl_ct *ct = make(1024, 0);
	struct sl_flow_key k = key6(1, IPPROTO_UDP), other = k;
	struct sl_ct_entry *e;

	other.dst.b[15] ^= 1; /* differs in the last address byte only */
	e = ins(ct, &k, 5, SL_CT_UDP);
	check_entry(e, &k, 5, SL_CT_UDP);
	ck_assert_ptr_eq(look(ct, &k, 6), e);
	ck_assert_ptr_null(look(ct, &other, 6));

	/* The same numbers as an IPv4 key are another flow. */
	struct sl_flow_key v4 = k;
	v4.family = SL_FAMILY_IPV4;
	ck_assert_ptr_null(look(ct, &v4, 6));
	sl_ct_free(ct);
}
END_TEST

START_TEST(test_hash_is_crc32c)
{
	struct sl_ct_config cfg = test_config(64, 0);
	struct sl_flow_key k4 = key4(12345, IPPROTO_TCP), k6 = key6(99, IPPROTO_UDP);

	for (uint32_t s = 0; s < 4; s++) {
		cfg.seed = 0x9e3779b9u * s + 1;
		struct sl_ct *ct = sl_ct_create(&cfg);
		ck_assert_ptr_nonnull(ct);
		ck_assert_uint_eq(sl_ct_hash(ct, &k4), crc_words(&k4, 5, cfg.seed));
		ck_assert_uint_eq(sl_ct_hash(ct, &k6), crc_words(&k6, 5, cfg.seed));
		sl_ct_free(ct);
	}

	/* The seed changes the hash. */
	struct sl_ct_config a = test_config(64, 0), b = a;
	b.seed = a.seed + 1;
	struct sl_ct *ca = sl_ct_create(&a), *cb = sl_ct_create(&b);
	ck_assert_uint_ne(sl_ct_hash(ca, &k4), sl_ct_hash(cb, &k4));
	sl_ct_free(ca);
	sl_ct_free(cb);
}
END_TEST

/*
 * CRC is linear: a key whose last word is the CRC of its first 32 bytes
 * (proto, family and pad zero) hashes to 0, which must not read as an empty
 * way.
 */
START_TEST(test_hash_zero_signature)
{
	struct sl_ct *ct = make(8, 0); /* one bucket */
	struct sl_ct_config cfg = test_config(8, 0);
	struct sl_flow_key z = key4(1, 0);
	uint32_t c;

	z.proto = 0;
	z.family = 0;
	c = crc_words(&z, 4, cfg.seed);
	memcpy(&z.sport, &c, sizeof(c)); /* sport and dport */
	ck_assert_uint_eq(sl_ct_hash(ct, &z), 0);

	struct sl_ct_entry *e = ins(ct, &z, 0, SL_CT_OTHER);
	ck_assert_ptr_nonnull(e);
	for (uint32_t i = 0; i < 7; i++) {
		struct sl_flow_key k = key4(100 + i, IPPROTO_UDP);
		ck_assert_ptr_nonnull(ins(ct, &k, 0, SL_CT_UDP));
	}
	ck_assert_ptr_eq(look(ct, &z, 1), e);
	ck_assert_uint_eq(sl_ct_count(ct, 1), 8);
	ck_assert_uint_eq(sl_ct_stats(ct)->evictions, 0);
	sl_ct_free(ct);
}
END_TEST

/* Two keys with the same 32-bit hash: the full key decides. */
START_TEST(test_full_hash_collision)
{
	struct sl_ct *ct = make(1024, 0);
	struct sl_flow_key a = key4(1, IPPROTO_TCP), b = a, d;
	uint32_t c;

	/* b = a ^ d, with d a 32-byte prefix followed by its own CRC (seed 0):
	 * crc(s, a) ^ crc(s, b) = crc(0, d) = 0. */
	memset(&d, 0, sizeof(d));
	d.src.w[0] = 0x01020304;
	d.dst.w[1] = 0xa0b0c0d0;
	c = crc_words(&d, 4, 0);
	memcpy(&d.sport, &c, sizeof(c));
	for (size_t i = 0; i < sizeof(b); i++)
		((uint8_t *)&b)[i] ^= ((const uint8_t *)&d)[i];
	ck_assert(!sl_flow_key_eq(&a, &b));
	ck_assert_uint_eq(sl_ct_hash(ct, &a), sl_ct_hash(ct, &b));

	struct sl_ct_entry *ea = ins(ct, &a, 0, SL_CT_TCP_EST);
	ck_assert_ptr_null(look(ct, &b, 1));
	struct sl_ct_entry *eb = ins(ct, &b, 1, SL_CT_TCP_EST);
	ck_assert_ptr_ne(ea, eb);
	ck_assert_ptr_eq(look(ct, &a, 2), ea);
	ck_assert_ptr_eq(look(ct, &b, 2), eb);
	ck_assert(sl_flow_key_eq(&eb->key, &b));

	sl_ct_delete(ct, ea);
	ck_assert_ptr_null(look(ct, &a, 3));
	ck_assert_ptr_eq(look(ct, &b, 3), eb);
	sl_ct_free(ct);
}
END_TEST

/*
 * Two keys set up the same way at @t0: the first still hits at t0 + @life - 1,
 * the second misses at t0 + @life (each is looked up once: a hit refreshes).
 */
static void
check_lifetime(struct sl_ct *ct, const struct sl_flow_key *a, const struct sl_flow_key *b,
	uint32_t t0, uint32_t life)
{
	ck_assert_ptr_nonnull(look(ct, a, t0 + life - 1));
	ck_assert_ptr_null(look(ct, b, t0 + life));
}

START_TEST(test_timeout_syn_vs_est)
{
	struct sl_ct *ct = make(1024, 0);
	struct sl_flow_key s1 = key4(1, IPPROTO_TCP), s2 = key4(2, IPPROTO_TCP);
	struct sl_flow_key e1 = key4(3, IPPROTO_TCP), e2 = key4(4, IPPROTO_TCP);
	const uint32_t t0 = 1000;

	ck_assert_ptr_nonnull(ins(ct, &s1, t0, SL_CT_TCP_SYN));
	ck_assert_ptr_nonnull(ins(ct, &s2, t0, SL_CT_TCP_SYN));
	/* e1/e2 start as SYN and see the handshake's ACK at t0 + 1. */
	sl_ct_update(ct, ins(ct, &e1, t0, SL_CT_TCP_SYN), ACK, t0 + 1);
	sl_ct_update(ct, ins(ct, &e2, t0, SL_CT_TCP_SYN), ACK, t0 + 1);

	check_lifetime(ct, &s1, &s2, t0, T_SYN);
	/* ...while the established ones outlive the SYN timeout by far. */
	check_lifetime(ct, &e1, &e2, t0 + 1, T_EST);
	sl_ct_free(ct);
}
END_TEST

START_TEST(test_timeout_closing)
{
	struct sl_ct *ct = make(1024, 0);
	struct sl_flow_key a = key4(1, IPPROTO_TCP), b = key4(2, IPPROTO_TCP);
	const uint32_t t0 = 50;

	/* Established, then FIN at t0 + 100: lives T_CLOSE from the FIN. */
	sl_ct_update(ct, ins(ct, &a, t0, SL_CT_TCP_EST), FIN | ACK, t0 + 100);
	sl_ct_update(ct, ins(ct, &b, t0, SL_CT_TCP_EST), FIN | ACK, t0 + 100);
	check_lifetime(ct, &a, &b, t0 + 100, T_CLOSE);
	sl_ct_free(ct);
}
END_TEST

START_TEST(test_timeout_udp)
{
	struct sl_ct *ct = make(1024, 0);
	struct sl_flow_key a = key6(1, IPPROTO_UDP), b = key6(2, IPPROTO_UDP);

	ck_assert_ptr_nonnull(ins(ct, &a, 7, SL_CT_UDP));
	ck_assert_ptr_nonnull(ins(ct, &b, 7, SL_CT_UDP));
	check_lifetime(ct, &a, &b, 7, T_UDP);
	sl_ct_free(ct);
}
END_TEST

START_TEST(test_timeout_other)
{
	struct sl_ct *ct = make(1024, 0);
	struct sl_flow_key a = key4(1, IPPROTO_ICMP), b = key4(2, IPPROTO_ICMP);

	ck_assert_ptr_nonnull(ins(ct, &a, 0, SL_CT_OTHER));
	ck_assert_ptr_nonnull(ins(ct, &b, 0, SL_CT_OTHER));
	check_lifetime(ct, &a, &b, 0, T_OTHER);
	sl_ct_free(ct);
}
END_TEST

START_TEST(test_hit_refreshes_expiry)
{
	struct sl_ct *ct = make(1024, 0);
	struct sl_flow_key a = key4(1, IPPROTO_UDP), b = key4(2, IPPROTO_UDP);

	ck_assert_ptr_nonnull(ins(ct, &a, 0, SL_CT_UDP));
	ck_assert_ptr_nonnull(ins(ct, &b, 0, SL_CT_UDP));
	ck_assert_ptr_nonnull(look(ct, &a, T_UDP - 1));
	/* b was never refreshed: gone; a lives T_UDP from its last hit. */
	ck_assert_ptr_null(look(ct, &b, T_UDP));
	ck_assert_ptr_nonnull(look(ct, &a, 2 * T_UDP - 2));
	ck_assert_ptr_null(look(ct, &a, 3 * T_UDP - 2));
	sl_ct_free(ct);
}
END_TEST

START_TEST(test_clock_wraparound)
{
	struct sl_ct *ct = make(8, 0); /* one bucket */
	const uint32_t t0 = UINT32_MAX - 1000;
	struct sl_flow_key a = key4(1, IPPROTO_UDP), b = key4(2, IPPROTO_UDP);

	/* A lifetime that crosses the wrap. */
	ck_assert_ptr_nonnull(ins(ct, &a, t0, SL_CT_UDP));
	ck_assert_ptr_nonnull(ins(ct, &b, t0, SL_CT_UDP));
	ck_assert_uint_eq(sl_ct_count(ct, t0 + 1), 2);	  /* expiry wrapped, now not */
	ck_assert_uint_eq(sl_ct_count(ct, t0 + 2000), 2); /* both wrapped: now = 999 */
	check_lifetime(ct, &a, &b, t0, T_UDP);

	/* Eviction across the wrap: the stalest way has the numerically
	 * largest expiry tick (before the wrap), the others wrapped to small
	 * numbers. Comparing raw ticks would evict the wrong one. */
	struct sl_ct *w = make(8, 0);
	const uint32_t t1 = UINT32_MAX - 10000;
	struct sl_ct_entry *stale = NULL;

	for (uint32_t i = 0; i < 8; i++) {
		struct sl_flow_key k = key4(10 + i, IPPROTO_TCP);
		struct sl_ct_entry *e = ins(w, &k, t1 + i,
			i == 6 ? SL_CT_TCP_SYN : SL_CT_TCP_EST); /* 6: before the wrap */
		ck_assert_ptr_nonnull(e);
		if (i == 6)
			stale = e;
	}
	struct sl_flow_key n = key4(99, IPPROTO_TCP);
	ck_assert_ptr_eq(ins(w, &n, t1 + 1000, SL_CT_TCP_EST), stale);
	ck_assert_uint_eq(sl_ct_stats(w)->evictions, 1);
	for (uint32_t i = 0; i < 8; i++) {
		struct sl_flow_key k = key4(10 + i, IPPROTO_TCP);
		if (i == 6)
			ck_assert_ptr_null(look(w, &k, t1 + 1001));
		else
			ck_assert_ptr_nonnull(look(w, &k, t1 + 1001));
	}
	sl_ct_free(w);
	sl_ct_free(ct);
}
END_TEST

START_TEST(test_update_transitions)
{
	static const struct {
		enum sl_ct_state from;
		uint8_t flags;
		enum sl_ct_state to;
	} cases[] = {
		{SL_CT_TCP_SYN, ACK, SL_CT_TCP_EST},
		{SL_CT_TCP_SYN, PSH | ACK, SL_CT_TCP_EST},
		{SL_CT_TCP_SYN, 0, SL_CT_TCP_EST},
		{SL_CT_TCP_SYN, SYN, SL_CT_TCP_SYN}, /* retransmitted SYN */
		{SL_CT_TCP_SYN, SYN | ACK, SL_CT_TCP_SYN},
		{SL_CT_TCP_SYN, RST, SL_CT_TCP_CLOSING},
		{SL_CT_TCP_SYN, FIN | ACK, SL_CT_TCP_CLOSING},
		{SL_CT_TCP_SYN, SYN | FIN, SL_CT_TCP_CLOSING},
		{SL_CT_TCP_EST, ACK, SL_CT_TCP_EST},
		{SL_CT_TCP_EST, SYN, SL_CT_TCP_EST},
		{SL_CT_TCP_EST, FIN | ACK, SL_CT_TCP_CLOSING},
		{SL_CT_TCP_EST, RST | ACK, SL_CT_TCP_CLOSING},
		{SL_CT_TCP_CLOSING, ACK, SL_CT_TCP_CLOSING},
		{SL_CT_TCP_CLOSING, SYN, SL_CT_TCP_SYN}, /* a new connection on the same ports */
		{SL_CT_TCP_CLOSING, SYN | PSH, SL_CT_TCP_SYN},
		{SL_CT_TCP_CLOSING, SYN | ACK, SL_CT_TCP_CLOSING},
		{SL_CT_TCP_CLOSING, SYN | FIN, SL_CT_TCP_CLOSING},
		{SL_CT_TCP_CLOSING, SYN | RST, SL_CT_TCP_CLOSING},
		{SL_CT_TCP_CLOSING, FIN | ACK, SL_CT_TCP_CLOSING},
		{SL_CT_TCP_CLOSING, 0, SL_CT_TCP_CLOSING},
		{SL_CT_UDP, FIN | SYN | RST | ACK, SL_CT_UDP},
		{SL_CT_UDP, 0, SL_CT_UDP},
		{SL_CT_OTHER, FIN | RST, SL_CT_OTHER},
		{SL_CT_OTHER, ACK, SL_CT_OTHER},
	};
	struct sl_ct *ct = make(1024, 0);

	for (uint32_t i = 0; i < RTE_DIM(cases); i++) {
		uint8_t proto = cases[i].from == SL_CT_UDP     ? IPPROTO_UDP
				: cases[i].from == SL_CT_OTHER ? IPPROTO_ICMP
							       : IPPROTO_TCP;
		struct sl_flow_key k = key4(i, proto);
		struct sl_ct_entry *e = ins(ct, &k, 0, cases[i].from);

		ck_assert_ptr_nonnull(e);
		sl_ct_update(ct, e, cases[i].flags, 10);
		ck_assert_msg(e->state == cases[i].to, "case %u: %u + 0x%x -> %u, want %u", i,
			cases[i].from, cases[i].flags, e->state, cases[i].to);
		/* The expiry follows the new state, counted from the update. */
		ck_assert_uint_eq(sl_ct_count(ct, 10 + 4999), i + 1);
	}
	sl_ct_free(ct);
}
END_TEST

START_TEST(test_initial_state)
{
	ck_assert_int_eq(sl_ct_initial_state(IPPROTO_TCP, SYN), SL_CT_TCP_SYN);
	ck_assert_int_eq(sl_ct_initial_state(IPPROTO_TCP, SYN | ACK), SL_CT_TCP_SYN);
	/* Mid-flow (e.g. after a restart): established, not SYN. */
	ck_assert_int_eq(sl_ct_initial_state(IPPROTO_TCP, ACK), SL_CT_TCP_EST);
	ck_assert_int_eq(sl_ct_initial_state(IPPROTO_TCP, PSH | ACK), SL_CT_TCP_EST);
	ck_assert_int_eq(sl_ct_initial_state(IPPROTO_TCP, 0), SL_CT_TCP_EST);
	ck_assert_int_eq(sl_ct_initial_state(IPPROTO_TCP, FIN | ACK), SL_CT_TCP_CLOSING);
	ck_assert_int_eq(sl_ct_initial_state(IPPROTO_TCP, RST), SL_CT_TCP_CLOSING);
	ck_assert_int_eq(sl_ct_initial_state(IPPROTO_TCP, SYN | RST), SL_CT_TCP_CLOSING);
	ck_assert_int_eq(sl_ct_initial_state(IPPROTO_UDP, 0), SL_CT_UDP);
	ck_assert_int_eq(sl_ct_initial_state(IPPROTO_UDP, SYN), SL_CT_UDP);
	ck_assert_int_eq(sl_ct_initial_state(IPPROTO_ICMP, 0), SL_CT_OTHER);
	ck_assert_int_eq(sl_ct_initial_state(IPPROTO_ICMPV6, SYN), SL_CT_OTHER);
	ck_assert_int_eq(sl_ct_initial_state(IPPROTO_SCTP, 0), SL_CT_OTHER);
}
END_TEST

/*
 * A key goes to its preferred way (the hash's top three bits) when that way
 * is free, whatever the order of inserts: the pipeline prefetches that entry
 * line with the bucket. Eight keys of one bucket with distinct preferred
 * ways, inserted from the highest preferred way down (first-free placement
 * would put them in the reverse ways), each end up in their own.
 */
START_TEST(test_preferred_way)
{
	struct sl_ct *ct = make(8, 0); /* one bucket */
	struct sl_flow_key keys[8];
	struct sl_ct_entry *e[8];
	unsigned have = 0;

	for (uint32_t i = 0; have != 0xff && i < 100000; i++) {
		struct sl_flow_key k = key_rand(i);
		unsigned w = sl_ct_hash(ct, &k) >> 29;

		if (!(have & 1u << w)) {
			have |= 1u << w;
			keys[w] = k;
		}
	}
	ck_assert_uint_eq(have, 0xff);
	for (int w = 7; w >= 0; w--)
		e[w] = ins(ct, &keys[w], 1000, SL_CT_UDP);
	/* Way w's entry is the w-th of the bucket's eight consecutive entries. */
	for (unsigned w = 0; w < 8; w++) {
		ck_assert_ptr_eq(e[w], e[0] + w);
		ck_assert_ptr_eq(look(ct, &keys[w], 1001), e[w]);
	}
	/* A key whose preferred way is taken goes to a free one: here, none is
	 * left, so it evicts the stalest (all equal: the lowest way). */
	struct sl_flow_key extra = key4(1, IPPROTO_UDP);
	ck_assert_ptr_eq(ins(ct, &extra, 1002, SL_CT_UDP), e[0]);
	ck_assert_uint_eq(sl_ct_stats(ct)->evictions, 1);
	sl_ct_free(ct);
}
END_TEST

/*
 * A hit refreshes the expiry in the entry only (the bucket's copy lags): a
 * flow kept alive by hits alone must still count as live, survive the sweep
 * and not be taken for the stalest by an eviction, though its copy ties
 * with the others' and its way (0) comes first among ties.
 */
START_TEST(test_hits_keep_flow_alive)
{
	struct sl_ct *ct = make(8, 0); /* one bucket */
	struct sl_ct_entry *e[8];
	struct sl_flow_key k[8];
	uint32_t z = 0;

	for (uint32_t i = 0; i < 8; i++) {
		k[i] = key4(i, IPPROTO_UDP);
		e[i] = ins(ct, &k[i], 0, SL_CT_UDP); /* expire at T_UDP */
		z = e[i] < e[z] ? i : z;	     /* k[z] is in way 0 */
	}
	ck_assert_ptr_eq(look(ct, &k[z], 20000), e[z]); /* now expires at 20000 + T_UDP */

	struct sl_flow_key n = key4(100, IPPROTO_UDP);
	struct sl_ct_entry *en = ins(ct, &n, 25000, SL_CT_UDP);
	ck_assert_ptr_nonnull(en);
	ck_assert_ptr_ne(en, e[z]);
	ck_assert_uint_eq(sl_ct_stats(ct)->evictions, 1);
	ck_assert_ptr_eq(look(ct, &k[z], 25001), e[z]);

	/* At 52000 the six other originals have expired; k[z] (25001 + T_UDP)
	 * and n (55000) have not, though k[z]'s copy in the bucket says
	 * otherwise (the eviction above brought it to 50000, the hit at 25001
	 * moved the entry on alone). */
	ck_assert_uint_eq(sl_ct_count(ct, 52000), 2);
	ck_assert_uint_eq(sl_ct_sweep(ct, 52000, 1), 6);
	ck_assert_uint_eq(sl_ct_count(ct, 52000), 2);
	ck_assert_ptr_eq(look(ct, &k[z], 52001), e[z]);
	ck_assert_ptr_eq(look(ct, &n, 52001), en);
	for (uint32_t i = 0; i < 8; i++)
		if (i != z && e[i] != en)
			ck_assert_ptr_null(look(ct, &k[i], 52001));
	sl_ct_free(ct);
}
END_TEST

/* A capacity of 8 is one bucket: every key lands in it. */
START_TEST(test_evict_stalest)
{
	struct sl_ct *ct = make(8, 0);
	struct sl_ct_entry *e[8];

	ck_assert_uint_eq(sl_ct_capacity(ct), 8);
	/* Key i at tick 100 i; key 5 is a SYN (expires 5500), the others UDP
	 * (expire 30000 + 100 i): key 5 is the stalest, though neither the
	 * oldest nor in the first or last way. */
	for (uint32_t i = 0; i < 8; i++) {
		struct sl_flow_key k = key4(i, i == 5 ? IPPROTO_TCP : IPPROTO_UDP);
		e[i] = ins(ct, &k, 100 * i, i == 5 ? SL_CT_TCP_SYN : SL_CT_UDP);
		ck_assert_ptr_nonnull(e[i]);
	}
	ck_assert_uint_eq(sl_ct_stats(ct)->evictions, 0);

	struct sl_flow_key n = key4(8, IPPROTO_UDP);
	struct sl_ct_entry *en = ins(ct, &n, 1000, SL_CT_UDP);
	ck_assert_ptr_eq(en, e[5]);
	check_entry(en, &n, 1000, SL_CT_UDP);

	for (uint32_t i = 0; i < 8; i++) {
		struct sl_flow_key k = key4(i, i == 5 ? IPPROTO_TCP : IPPROTO_UDP);
		if (i == 5)
			ck_assert_ptr_null(look(ct, &k, 1001));
		else
			ck_assert_ptr_eq(look(ct, &k, 1001), e[i]);
	}
	ck_assert_ptr_eq(look(ct, &n, 1001), en);

	const struct sl_ct_stats *st = sl_ct_stats(ct);
	ck_assert_uint_eq(st->evictions, 1);
	ck_assert_uint_eq(st->expired, 0);
	ck_assert_uint_eq(st->inserts, 9);
	sl_ct_free(ct);
}
END_TEST

START_TEST(test_reuse_expired_before_evict)
{
	struct sl_ct *ct = make(8, 0);
	struct sl_ct_entry *e[8];

	/* Keys 2 and 6 are SYNs that expire at 5000 and 6000; the rest EST. */
	for (uint32_t i = 0; i < 8; i++) {
		struct sl_flow_key k = key4(i, IPPROTO_TCP);
		bool syn = i == 2 || i == 6;
		e[i] = ins(ct, &k, i == 6 ? 1000 : 0, syn ? SL_CT_TCP_SYN : SL_CT_TCP_EST);
		ck_assert_ptr_nonnull(e[i]);
	}
	const uint32_t now = 7000;
	struct sl_flow_key n1 = key4(100, IPPROTO_TCP), n2 = key4(101, IPPROTO_TCP);
	struct sl_flow_key n3 = key4(102, IPPROTO_TCP);

	/* Expired ways in either half of the bucket never hit. */
	struct sl_flow_key k2 = key4(2, IPPROTO_TCP), k6 = key4(6, IPPROTO_TCP);
	ck_assert_ptr_null(look(ct, &k2, now));
	ck_assert_ptr_null(look(ct, &k6, now));

	ck_assert_ptr_eq(ins(ct, &n1, now, SL_CT_TCP_EST), e[2]);
	ck_assert_ptr_eq(ins(ct, &n2, now, SL_CT_TCP_EST), e[6]);
	ck_assert_uint_eq(sl_ct_stats(ct)->expired, 2);
	ck_assert_uint_eq(sl_ct_stats(ct)->evictions, 0);
	for (uint32_t i = 0; i < 8; i++) {
		struct sl_flow_key k = key4(i, IPPROTO_TCP);
		if (i != 2 && i != 6)
			ck_assert_ptr_eq(look(ct, &k, now), e[i]);
	}
	/* Now the bucket is full of live ways: the next insert evicts. */
	ck_assert_ptr_nonnull(ins(ct, &n3, now + 1, SL_CT_TCP_EST));
	ck_assert_uint_eq(sl_ct_stats(ct)->evictions, 1);
	ck_assert_uint_eq(sl_ct_stats(ct)->expired, 2);
	sl_ct_free(ct);
}
END_TEST

START_TEST(test_syn_cap)
{
	struct sl_ct *ct = make(4096, 100);
	const struct sl_ct_stats *st = sl_ct_stats(ct);
	uint32_t i;

	/* 100 inserts spread over the second [5000, 6000). */
	for (i = 0; i < 100; i++) {
		struct sl_flow_key k = key4(i, IPPROTO_TCP);
		ck_assert_ptr_nonnull(ins(ct, &k, 5000 + 9 * i, SL_CT_TCP_SYN));
	}
	struct sl_flow_key k100 = key4(100, IPPROTO_TCP);
	ck_assert_ptr_null(ins(ct, &k100, 5999, SL_CT_TCP_SYN));
	ck_assert_ptr_null(ins(ct, &k100, 5999, SL_CT_UDP)); /* any protocol */
	ck_assert_uint_eq(st->syn_cap_refused, 2);
	ck_assert_uint_eq(st->inserts, 100);
	ck_assert_ptr_null(look(ct, &k100, 5999));
	for (i = 0; i < 100; i++) {
		struct sl_flow_key k = key4(i, IPPROTO_TCP);
		ck_assert_ptr_nonnull(look(ct, &k, 5999));
	}

	/* The next second starts a new window of 100. */
	for (i = 100; i < 200; i++) {
		struct sl_flow_key k = key4(i, IPPROTO_TCP);
		ck_assert_ptr_nonnull(ins(ct, &k, 6000 + (i - 100), SL_CT_TCP_SYN));
	}
	struct sl_flow_key k200 = key4(200, IPPROTO_TCP);
	ck_assert_ptr_null(ins(ct, &k200, 6999, SL_CT_TCP_SYN));
	ck_assert_uint_eq(st->syn_cap_refused, 3);
	ck_assert_uint_eq(st->inserts, 200);
	ck_assert_uint_eq(st->evictions, 0);
	ck_assert_uint_eq(sl_ct_count(ct, 6999), 200);
	sl_ct_free(ct);
}
END_TEST

START_TEST(test_syn_cap_off)
{
	struct sl_ct *ct = make(8192, 0);

	for (uint32_t i = 0; i < 5000; i++) {
		struct sl_flow_key k = key4(i, IPPROTO_TCP);
		ck_assert_ptr_nonnull(ins(ct, &k, 42, SL_CT_TCP_SYN));
	}
	ck_assert_uint_eq(sl_ct_stats(ct)->syn_cap_refused, 0);
	ck_assert_uint_eq(sl_ct_stats(ct)->inserts, 5000);
	sl_ct_free(ct);
}
END_TEST

START_TEST(test_backend_valid)
{
	struct sl_ct_backend slots[4] = {
		{.epoch = 1, .state = SL_BACKEND_ACTIVE},
		{.epoch = 1, .state = SL_BACKEND_ACTIVE},
		{.epoch = 7, .state = SL_BACKEND_ACTIVE},
		{.epoch = 1, .state = SL_BACKEND_ACTIVE},
	};
	struct sl_ct_entry e;

	memset(&e, 0, sizeof(e));
	e.backend = 2;
	e.backend_epoch = 7;
	ck_assert(sl_ct_backend_valid(&e, slots, 4));
	ck_assert(sl_ct_backend_valid(&e, slots, 3)); /* last slot */
	slots[2].epoch = 8;			      /* removed or replaced */
	ck_assert(!sl_ct_backend_valid(&e, slots, 4));
	slots[2].epoch = 7;
	slots[2].state = SL_BACKEND_DOWN;
	ck_assert(!sl_ct_backend_valid(&e, slots, 4));
	slots[2].state = SL_BACKEND_DRAINING;
	ck_assert(sl_ct_backend_valid(&e, slots, 4));
	ck_assert(!sl_ct_backend_valid(&e, slots, 2)); /* slot out of range */
	e.backend = 4;
	ck_assert(!sl_ct_backend_valid(&e, slots, 4));
}
END_TEST

START_TEST(test_capacity_rounding)
{
	static const struct {
		uint32_t asked, got;
	} cases[] = {
		{1, 8},
		{7, 8},
		{8, 8},
		{9, 16},
		{17, 32},
		{1000, 1024},
		{1024, 1024},
		{1025, 2048},
		{3u << 20, 4u << 20},
	};
	const size_t per_bucket = 64 + 8 * 64;

	for (uint32_t i = 0; i < RTE_DIM(cases); i++) {
		struct sl_ct_config cfg = test_config(cases[i].asked, 0);
		struct sl_ct *ct = sl_ct_create(&cfg);
		ck_assert_ptr_nonnull(ct);
		ck_assert_uint_eq(sl_ct_capacity(ct), cases[i].got);
		ck_assert_uint_eq(sl_ct_mem_size(cases[i].asked) - sl_ct_mem_size(8),
			(size_t)(cases[i].got / 8 - 1) * per_bucket);
		sl_ct_free(ct);
	}
	ck_assert_uint_eq(sl_ct_mem_size(8) % 64, 0);
	ck_assert_uint_gt(sl_ct_mem_size(8), per_bucket);
	/* Sizes beyond 4 GiB computed in 64 bits. */
	if (SIZE_MAX > UINT32_MAX) {
		ck_assert_uint_eq(sl_ct_mem_size(16u << 20) - sl_ct_mem_size(8),
			((size_t)(2u << 20) - 1) * per_bucket);
		ck_assert_uint_eq(sl_ct_mem_size(1u << 31) - sl_ct_mem_size(8),
			((size_t)(1u << 28) - 1) * per_bucket);
	}
}
END_TEST

START_TEST(test_bad_config)
{
	struct sl_ct_config cfg = test_config(64, 0);
	void *mem = aligned_alloc(64, sl_ct_mem_size(64) + 64);

	ck_assert_ptr_nonnull(mem);
	errno = 0;
	ck_assert_uint_eq(sl_ct_mem_size(0), 0);
	ck_assert_int_eq(errno, EINVAL);
	errno = 0;
	ck_assert_uint_eq(sl_ct_mem_size((1u << 31) + 1), 0);
	ck_assert_int_eq(errno, EINVAL);

	errno = 0;
	ck_assert_ptr_null(sl_ct_init(NULL, &cfg));
	ck_assert_int_eq(errno, EINVAL);
	errno = 0;
	ck_assert_ptr_null(sl_ct_init(mem, NULL));
	ck_assert_int_eq(errno, EINVAL);
	errno = 0;
	ck_assert_ptr_null(sl_ct_init((char *)mem + 8, &cfg)); /* misaligned */
	ck_assert_int_eq(errno, EINVAL);

	struct sl_ct_config bad = cfg;
	bad.capacity = 0;
	errno = 0;
	ck_assert_ptr_null(sl_ct_create(&bad));
	ck_assert_int_eq(errno, EINVAL);
	bad = cfg;
	bad.capacity = UINT32_MAX;
	errno = 0;
	ck_assert_ptr_null(sl_ct_init(mem, &bad));
	ck_assert_int_eq(errno, EINVAL);
	for (int s = 0; s < SL_CT_STATE_MAX; s++) {
		bad = cfg;
		bad.timeout_ms[s] = 0;
		errno = 0;
		ck_assert_ptr_null(sl_ct_init(mem, &bad));
		ck_assert_int_eq(errno, EINVAL);
		bad.timeout_ms[s] = 1u << 31; /* beyond the wrap-safe range */
		errno = 0;
		ck_assert_ptr_null(sl_ct_init(mem, &bad));
		ck_assert_int_eq(errno, EINVAL);
	}
	errno = 0;
	ck_assert_ptr_null(sl_ct_create(NULL));
	ck_assert_int_eq(errno, EINVAL);

	/* The good config lays out in caller memory, header first. */
	ck_assert_ptr_eq(sl_ct_init(mem, &cfg), mem);
	ck_assert_uint_eq(sl_ct_capacity(mem), 64);
	free(mem);
	sl_ct_free(NULL);
}
END_TEST

/*
 * 1M distinct keys in a 2M-entry table (256K buckets, 4 keys per bucket on
 * average). Buckets that get more than 8 keys evict: for Poisson(4) that is
 * 0.0336 keys per bucket, about 8800 in all (0.84%; 8783 with these keys
 * and the default seed).
 */
START_TEST(test_fill_1m)
{
	const uint32_t n = 1u << 20;
	struct sl_ct *ct = make(2u << 20, 0);
	const struct sl_ct_stats *st = sl_ct_stats(ct);
	uint32_t inserted = 0, found = 0;

	for (uint32_t i = 0; i < n; i++) {
		struct sl_flow_key k = key_rand(i);
		inserted += ins(ct, &k, 1000, SL_CT_UDP) != NULL;
	}
	ck_assert_uint_eq(inserted, n);
	ck_assert_uint_eq(st->inserts, n);
	ck_assert_uint_eq(st->expired, 0);
	for (uint32_t i = 0; i < n; i++) {
		struct sl_flow_key k = key_rand(i);
		struct sl_ct_entry *e = look(ct, &k, 2000);
		if (e != NULL) {
			ck_assert(sl_flow_key_eq(&e->key, &k));
			found++;
		}
	}
	ck_assert_uint_eq(found + st->evictions, n);
	ck_assert_uint_eq(sl_ct_count(ct, 2000), found);
	ck_assert_uint_eq(st->hits, found);
	ck_assert_uint_eq(st->misses, n - found);
	ck_assert_uint_ge(st->evictions, 6000);
	ck_assert_uint_le(st->evictions, 12000);
	ck_assert_uint_ge(found, n / 100 * 99);
	sl_ct_free(ct);
}
END_TEST

/*
 * sl_ct_init() on memory that held a table (a restart reusing its hugepage
 * memory): nothing of the old table may hit, though a lookup reads a key's
 * preferred entry without its bucket.
 */
START_TEST(test_init_clears_reused_memory)
{
	struct sl_ct_config cfg = test_config(64, 0);
	size_t size = sl_ct_mem_size(cfg.capacity);
	void *mem = aligned_alloc(64, size);
	struct sl_flow_key k[20];

	ck_assert_ptr_nonnull(mem);
	struct sl_ct *ct = sl_ct_init(mem, &cfg);
	ck_assert_ptr_nonnull(ct);
	for (uint32_t i = 0; i < 20; i++) {
		k[i] = key4(i, IPPROTO_TCP);
		ck_assert_ptr_nonnull(ins(ct, &k[i], 0, SL_CT_TCP_EST));
	}
	ct = sl_ct_init(mem, &cfg);
	ck_assert_ptr_nonnull(ct);
	for (uint32_t i = 0; i < 20; i++)
		ck_assert_ptr_null(look(ct, &k[i], 1));
	ck_assert_uint_eq(sl_ct_count(ct, 1), 0);
	free(mem);
}
END_TEST

/* 16M entries: 1.1 GiB, offsets past 2^30 bytes. */
START_TEST(test_large_table)
{
	struct sl_ct *ct = make(16u << 20, 0);

	ck_assert_uint_eq(sl_ct_capacity(ct), 16u << 20);
	for (uint32_t i = 0; i < 2000; i++) {
		struct sl_flow_key k = key6(i, IPPROTO_TCP);
		ck_assert_ptr_nonnull(ins(ct, &k, 0, SL_CT_TCP_EST));
	}
	for (uint32_t i = 0; i < 2000; i++) {
		struct sl_flow_key k = key6(i, IPPROTO_TCP);
		struct sl_ct_entry *e = look(ct, &k, 1);
		ck_assert_ptr_nonnull(e);
		ck_assert(sl_flow_key_eq(&e->key, &k));
	}
	ck_assert_uint_eq(sl_ct_count(ct, 1), 2000);
	sl_ct_free(ct);
}
END_TEST

START_TEST(test_count_delete)
{
	struct sl_ct *ct = make(1024, 0);
	struct sl_ct_entry *e[10];

	ck_assert_uint_eq(sl_ct_count(ct, 0), 0);
	for (uint32_t i = 0; i < 10; i++) {
		struct sl_flow_key k = key4(i, IPPROTO_UDP);
		e[i] = ins(ct, &k, 0, SL_CT_UDP);
		ck_assert_ptr_nonnull(e[i]);
	}
	ck_assert_uint_eq(sl_ct_count(ct, 1), 10);
	sl_ct_delete(ct, e[0]);
	sl_ct_delete(ct, e[4]);
	sl_ct_delete(ct, e[9]);
	ck_assert_uint_eq(sl_ct_count(ct, 1), 7);
	for (uint32_t i = 0; i < 10; i++) {
		struct sl_flow_key k = key4(i, IPPROTO_UDP);
		if (i == 0 || i == 4 || i == 9)
			ck_assert_ptr_null(look(ct, &k, 2));
		else
			ck_assert_ptr_eq(look(ct, &k, 2), e[i]);
	}
	/* Expired entries are not counted (the hits above refreshed to 2 + T). */
	ck_assert_uint_eq(sl_ct_count(ct, 2 + T_UDP - 1), 7);
	ck_assert_uint_eq(sl_ct_count(ct, 2 + T_UDP), 0);

	/* A deleted way is free: reused without an eviction. */
	struct sl_ct *one = make(8, 0);
	struct sl_ct_entry *w[8];
	for (uint32_t i = 0; i < 8; i++) {
		struct sl_flow_key k = key4(i, IPPROTO_UDP);
		w[i] = ins(one, &k, 0, SL_CT_UDP);
	}
	sl_ct_delete(one, w[3]);
	struct sl_flow_key n = key4(50, IPPROTO_UDP);
	ck_assert_ptr_eq(ins(one, &n, 1, SL_CT_UDP), w[3]);
	ck_assert_uint_eq(sl_ct_stats(one)->evictions, 0);
	ck_assert_uint_eq(sl_ct_stats(one)->expired, 0);
	ck_assert_uint_eq(sl_ct_count(one, 1), 8);
	sl_ct_free(one);
	sl_ct_free(ct);
}
END_TEST

START_TEST(test_sweep)
{
	struct sl_ct *ct = make(64, 0); /* 8 buckets */
	uint32_t freed = 0;

	/* 20 UDP (expire at 31000) and 10 EST (expire at 301000), spread
	 * pseudo-randomly so that every bucket holds some UDP ones. */
	for (uint32_t i = 0; i < 30; i++) {
		struct sl_flow_key k = key_rand(i);
		ck_assert_ptr_nonnull(ins(ct, &k, 1000, i < 20 ? SL_CT_UDP : SL_CT_TCP_EST));
	}
	ck_assert_uint_eq(sl_ct_stats(ct)->evictions, 0);
	ck_assert_uint_eq(sl_ct_sweep(ct, 2000, 8), 0);

	/* Three buckets at a time: the cursor goes round the whole table. */
	for (int r = 0; r < 3; r++)
		freed += sl_ct_sweep(ct, 40000, 3);
	ck_assert_uint_eq(freed, 20);
	ck_assert_uint_eq(sl_ct_sweep(ct, 40000, 8), 0);
	ck_assert_uint_eq(sl_ct_count(ct, 40000), 10);

	/* 2^31 ticks after their expiry the swept ways would have looked live
	 * again; they are free, so nothing comes back. */
	const uint32_t far = 31000u + (1u << 31) + 10;
	ck_assert_uint_eq(sl_ct_count(ct, far), 0);
	for (uint32_t i = 0; i < 20; i++) {
		struct sl_flow_key k = key_rand(i);
		ck_assert_ptr_null(look(ct, &k, far));
	}
	sl_ct_free(ct);
}
END_TEST

/*
 * sl_ct_update_needed() says true exactly when sl_ct_update() changes the
 * state: every state, every combination of FIN/SYN/RST/ACK.
 */
START_TEST(test_update_needed_matches_update)
{
	struct sl_ct_config cfg;
	sl_ct_config_default(&cfg);
	cfg.capacity = 64;
	struct sl_ct *ct = sl_ct_create(&cfg);
	ck_assert_ptr_nonnull(ct);
	struct sl_flow_key k;
	memset(&k, 0, sizeof(k));
	k.family = SL_FAMILY_IPV4;
	k.proto = IPPROTO_TCP;
	k.src.v4 = 0x0100000a;
	uint32_t h = sl_ct_hash(ct, &k);
	struct sl_ct_entry *e = sl_ct_insert(ct, &k, h, 1000, SL_CT_TCP_SYN);
	ck_assert_ptr_nonnull(e);
	for (int st = 0; st < SL_CT_STATE_MAX; st++) {
		for (unsigned flags = 0; flags < 0x20; flags++) {
			e->state = (uint8_t)st;
			bool needed = sl_ct_update_needed(e, (uint8_t)flags);
			sl_ct_update(ct, e, (uint8_t)flags, 1000);
			ck_assert_msg(needed == (e->state != st),
				"state %d flags %#x: needed %d, %d -> %d", st, flags, needed, st,
				e->state);
		}
	}
	sl_ct_free(ct);
}
END_TEST

static Suite *
conntrack_suite(void)
{
	Suite *s = suite_create("conntrack");

	SL_TCASE(s, test_hit_ipv4);
	SL_TCASE(s, test_hit_ipv6);
	SL_TCASE(s, test_lookup_pref);
	SL_TCASE(s, test_hash_is_crc32c);
	SL_TCASE(s, test_hash_zero_signature);
	SL_TCASE(s, test_full_hash_collision);
	SL_TCASE(s, test_timeout_syn_vs_est);
	SL_TCASE(s, test_timeout_closing);
	SL_TCASE(s, test_timeout_udp);
	SL_TCASE(s, test_timeout_other);
	SL_TCASE(s, test_hit_refreshes_expiry);
	SL_TCASE(s, test_clock_wraparound);
	SL_TCASE(s, test_update_transitions);
	SL_TCASE(s, test_initial_state);
	SL_TCASE(s, test_preferred_way);
	SL_TCASE(s, test_hits_keep_flow_alive);
	SL_TCASE(s, test_evict_stalest);
	SL_TCASE(s, test_reuse_expired_before_evict);
	SL_TCASE(s, test_syn_cap);
	SL_TCASE(s, test_syn_cap_off);
	SL_TCASE(s, test_backend_valid);
	SL_TCASE(s, test_capacity_rounding);
	SL_TCASE(s, test_bad_config);
	SL_TCASE(s, test_fill_1m);
	SL_TCASE(s, test_large_table);
	SL_TCASE(s, test_count_delete);
	SL_TCASE(s, test_init_clears_reused_memory);
	SL_TCASE(s, test_sweep);
	SL_TCASE(s, test_update_needed_matches_update);
	return s;
}

SL_TEST_MAIN(conntrack_suite)
