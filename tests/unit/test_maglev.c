/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Weighted Maglev: balance, disruption, weights, determinism and the
 * contract's error cases (maglev.h).
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>

#include "maglev.h"
#include "test-common.h"

#define M_DEFAULT SL_MAGLEV_DEFAULT_SIZE
#define M_LARGE	  655373u
#define SENTINEL  0xdeadbeefu

/* Fixed-seed xorshift32: the same "random" inputs on every run. */
static uint32_t
prng(uint32_t *s)
{
	uint32_t x = *s;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	return *s = x;
}

/* Backend i: 10.(i>>8).(i&255).1:8080, value i + 1, weight 1. */
static struct sl_maglev_backend *
v4_backends(uint32_t n)
{
	struct sl_maglev_backend *b = calloc(n, sizeof(*b));

	ck_assert_ptr_nonnull(b);
	for (uint32_t i = 0; i < n; i++) {
		b[i].id.addr.v4 = htonl(0x0a000001u | (i & 0xffff) << 8);
		b[i].id.port = htons(8080);
		b[i].id.family = SL_FAMILY_IPV4;
		b[i].weight = 1;
		b[i].value = i + 1;
	}
	return b;
}

static uint32_t *
new_table(uint32_t size)
{
	uint32_t *t = malloc(size * sizeof(*t));

	ck_assert_ptr_nonnull(t);
	for (uint32_t i = 0; i < size; i++)
		t[i] = SENTINEL;
	return t;
}

static void
build_ok(uint32_t *t, uint32_t size, const struct sl_maglev_backend *b, uint32_t n, uint32_t seed)
{
	char err[256] = "";
	int rc = sl_maglev_build(t, size, b, n, seed, err, sizeof(err));

	ck_assert_msg(rc == 0, "build failed: %d (%s)", rc, err);
}

/*
 * Per-slot checks count first and assert once: every ck_assert records a
 * mark point, which over 10^5 slots dominates the run time under valgrind.
 */

/* Slots per value; values are 1..nvalues. Fails on a value out of range. */
static uint32_t *
count_slots(const uint32_t *t, uint32_t size, uint32_t nvalues)
{
	uint32_t *c = calloc(nvalues + 1, sizeof(*c)), bad = 0;

	ck_assert_ptr_nonnull(c);
	for (uint32_t s = 0; s < size; s++) {
		if (t[s] <= nvalues)
			c[t[s]]++;
		else
			bad++;
	}
	ck_assert_msg(bad == 0, "%u slots hold a value outside [0, %u]", bad, nvalues);
	return c;
}

/* Every slot holds @v. */
static void
assert_all(const uint32_t *t, uint32_t size, uint32_t v)
{
	uint32_t s = 0;

	while (s < size && t[s] == v)
		s++;
	ck_assert_msg(s == size, "slot %u holds %#x, want %#x", s, s < size ? t[s] : v, v);
}

/* Pre-filled with SENTINEL by new_table(), and must still be. */
static void
assert_untouched(const uint32_t *t, uint32_t size)
{
	assert_all(t, size, SENTINEL);
}

/* Each backend's share of slots is within @tol (relative) of weight / sum. */
static void
assert_proportional(const struct sl_maglev_backend *b, uint32_t n, uint32_t size, double tol)
{
	uint32_t *t = new_table(size), *c;
	double sum = 0;

	build_ok(t, size, b, n, 7);
	c = count_slots(t, size, n);
	ck_assert_uint_eq(c[SL_MAGLEV_NONE], 0);
	for (uint32_t i = 0; i < n; i++)
		sum += b[i].weight;
	for (uint32_t i = 0; i < n; i++) {
		double want = b[i].weight / sum, got = (double)c[b[i].value] / size;

		ck_assert_msg(got >= want * (1 - tol) && got <= want * (1 + tol),
			"backend %u weight %u: share %.5f, want %.5f", i, b[i].weight, got, want);
	}
	free(c);
	free(t);
}

START_TEST(test_equal_weights_balanced)
{
	const uint32_t n = 1000;
	struct sl_maglev_backend *b = v4_backends(n);
	uint32_t *t = new_table(M_DEFAULT), *c, max = 0;

	build_ok(t, M_DEFAULT, b, n, 1);
	c = count_slots(t, M_DEFAULT, n);
	ck_assert_uint_eq(c[SL_MAGLEV_NONE], 0);
	for (uint32_t v = 1; v <= n; v++) {
		ck_assert_uint_gt(c[v], 0);
		max = c[v] > max ? c[v] : max;
	}
	ck_assert_double_le((double)max / ((double)M_DEFAULT / n), 1.01);
	free(c);
	free(t);
	free(b);
}
END_TEST

START_TEST(test_remove_one_minimal_disruption)
{
	const uint32_t n = 1000, gone = 417;
	struct sl_maglev_backend *b = v4_backends(n);
	uint32_t *before = new_table(M_DEFAULT), *after = new_table(M_DEFAULT);
	uint32_t moved = 0, own = 0, kept = 0;

	build_ok(before, M_DEFAULT, b, n, 1);
	b[gone].weight = 0; /* same as removing it, and keeps values stable */
	build_ok(after, M_DEFAULT, b, n, 1);
	for (uint32_t s = 0; s < M_DEFAULT; s++) {
		if (before[s] == gone + 1) {
			own++;
			kept += after[s] == gone + 1;
		} else if (after[s] != before[s]) {
			moved++;
		}
	}
	ck_assert_uint_gt(own, 0);
	ck_assert_uint_eq(kept, 0);
	ck_assert_msg(
		(double)moved / M_DEFAULT <= 0.007, "%u of %u other slots moved", moved, M_DEFAULT);

	/* Removing it from the array outright gives the same table. */
	memmove(&b[gone], &b[gone + 1], (n - gone - 1) * sizeof(*b));
	uint32_t *removed = new_table(M_DEFAULT);
	build_ok(removed, M_DEFAULT, b, n - 1, 1);
	ck_assert_mem_eq(removed, after, M_DEFAULT * sizeof(*after));
	free(removed);
	free(after);
	free(before);
	free(b);
}
END_TEST

START_TEST(test_weights_proportional_small_set)
{
	struct sl_maglev_backend *b = v4_backends(4);

	for (uint32_t i = 0; i < 4; i++)
		b[i].weight = i + 1;
	assert_proportional(b, 4, M_DEFAULT, 0.02);
	free(b);
}
END_TEST

START_TEST(test_weights_proportional_mixed_set)
{
	const uint32_t n = 50;
	struct sl_maglev_backend *b = v4_backends(n);
	uint32_t s = 12345;

	for (uint32_t i = 0; i < n; i++)
		b[i].weight = 1 + prng(&s) % 100;
	b[3].weight = 1;
	b[20].weight = 100;
	/* The lightest backend gets ~1/2500 of the table: the large size gives
	 * it a few hundred slots, enough for a 2% bound to mean something. */
	assert_proportional(b, n, M_LARGE, 0.02);
	free(b);
}
END_TEST

START_TEST(test_weights_extreme_ratio)
{
	struct sl_maglev_backend *b = v4_backends(3);
	uint32_t *t = new_table(M_DEFAULT), *c;

	b[0].weight = SL_MAGLEV_MAX_WEIGHT;
	build_ok(t, M_DEFAULT, b, 3, 1);
	c = count_slots(t, M_DEFAULT, 3);
	ck_assert_uint_eq(c[SL_MAGLEV_NONE], 0);
	/* 65535 : 1 : 1 over 65537 slots: one or two slots each for the light. */
	ck_assert_uint_ge(c[2], 1);
	ck_assert_uint_le(c[2], 2);
	ck_assert_uint_ge(c[3], 1);
	ck_assert_uint_le(c[3], 2);
	free(c);
	free(t);
	free(b);
}
END_TEST

START_TEST(test_order_independent)
{
	const uint32_t n = 300;
	struct sl_maglev_backend *b = v4_backends(n);
	uint32_t *ref = new_table(M_DEFAULT), *t = new_table(M_DEFAULT);
	uint32_t s = 99, differ = 0;

	for (uint32_t i = 0; i < n; i++)
		b[i].weight = prng(&s) % 20; /* some zeros among them */
	build_ok(ref, M_DEFAULT, b, n, 5);
	for (int round = 0; round < 5; round++) {
		for (uint32_t i = n - 1; i > 0; i--) {
			uint32_t j = prng(&s) % (i + 1);
			struct sl_maglev_backend tmp = b[i];

			b[i] = b[j];
			b[j] = tmp;
		}
		build_ok(t, M_DEFAULT, b, n, 5);
		ck_assert_mem_eq(t, ref, M_DEFAULT * sizeof(*t));
	}

	/* Another seed, other permutations: most slots change. */
	build_ok(t, M_DEFAULT, b, n, 6);
	for (uint32_t i = 0; i < M_DEFAULT; i++)
		differ += t[i] != ref[i];
	ck_assert_uint_gt(differ, M_DEFAULT / 2);
	free(t);
	free(ref);
	free(b);
}
END_TEST

START_TEST(test_pad_ignored)
{
	const uint32_t n = 100;
	struct sl_maglev_backend *b = v4_backends(n);
	uint32_t *ref = new_table(M_DEFAULT), *t = new_table(M_DEFAULT);

	build_ok(ref, M_DEFAULT, b, n, 3);
	/* Bytes the id does not use must change nothing. */
	for (uint32_t i = 0; i < n; i++) {
		b[i].id.pad = 0xa5;
		b[i].id.addr.w[3] = 0xffffffff;
	}
	build_ok(t, M_DEFAULT, b, n, 3);
	ck_assert_mem_eq(t, ref, M_DEFAULT * sizeof(*t));
	free(t);
	free(ref);
	free(b);
}
END_TEST

START_TEST(test_size_not_prime)
{
	static const uint32_t bad[] = {8, 9, 65536, 1000000, SL_MAGLEV_MAX_SIZE - 1};
	struct sl_maglev_backend *b = v4_backends(3);
	uint32_t *t = new_table(65536);
	char err[256];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		ck_assert_int_eq(sl_maglev_check_size(bad[i], err, sizeof(err)), -EINVAL);
		ck_assert_msg(strstr(err, "prime") != NULL, "message: '%s'", err);
	}
	ck_assert_int_eq(sl_maglev_check_size(65536, err, sizeof(err)), -EINVAL);
	ck_assert_msg(strstr(err, "try 65537") != NULL, "message: '%s'", err);
	/* NULL err is allowed. */
	ck_assert_int_eq(sl_maglev_check_size(65536, NULL, 0), -EINVAL);

	err[0] = '\0';
	ck_assert_int_eq(sl_maglev_build(t, 65536, b, 3, 0, err, sizeof(err)), -EINVAL);
	ck_assert_msg(strstr(err, "prime") != NULL, "message: '%s'", err);
	assert_untouched(t, 65536);
	free(t);
	free(b);
}
END_TEST

START_TEST(test_size_out_of_range)
{
	static const uint32_t bad[] = {0, 1, 2, 5, 16777259u, UINT32_MAX};
	struct sl_maglev_backend *b = v4_backends(3);
	uint32_t *t = new_table(8);
	char err[256];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		ck_assert_int_eq(sl_maglev_check_size(bad[i], err, sizeof(err)), -ERANGE);
		ck_assert_msg(strstr(err, "range") != NULL, "message: '%s'", err);
	}
	ck_assert_int_eq(sl_maglev_build(t, 5, b, 3, 0, err, sizeof(err)), -ERANGE);
	assert_untouched(t, 8);
	free(t);
	free(b);
}
END_TEST

START_TEST(test_size_valid)
{
	static const uint32_t good[] = {
		SL_MAGLEV_MIN_SIZE, 251, SL_MAGLEV_DEFAULT_SIZE, M_LARGE, SL_MAGLEV_MAX_SIZE};
	struct sl_maglev_backend *b = v4_backends(10);
	uint32_t *t = new_table(M_LARGE), *c;

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		ck_assert_int_eq(sl_maglev_check_size(good[i], NULL, 0), 0);
	build_ok(t, M_LARGE, b, 10, 0);
	c = count_slots(t, M_LARGE, 10);
	ck_assert_uint_eq(c[SL_MAGLEV_NONE], 0);
	for (uint32_t v = 1; v <= 10; v++)
		ck_assert_uint_ge(c[v], M_LARGE / 10);
	free(c);
	free(t);
	free(b);
}
END_TEST

START_TEST(test_weight_zero_gets_nothing)
{
	const uint32_t n = 20;
	struct sl_maglev_backend *b = v4_backends(n);
	uint32_t *t = new_table(M_DEFAULT), *c;

	b[0].weight = 0;
	b[7].weight = 0;
	b[19].weight = 0;
	build_ok(t, M_DEFAULT, b, n, 1);
	c = count_slots(t, M_DEFAULT, n);
	ck_assert_uint_eq(c[SL_MAGLEV_NONE], 0);
	ck_assert_uint_eq(c[1], 0);
	ck_assert_uint_eq(c[8], 0);
	ck_assert_uint_eq(c[20], 0);
	ck_assert_uint_gt(c[2], 0);
	free(c);
	free(t);
	free(b);
}
END_TEST

START_TEST(test_no_weight_all_none)
{
	struct sl_maglev_backend *b = v4_backends(5);
	uint32_t *t = new_table(M_DEFAULT);

	for (uint32_t i = 0; i < 5; i++)
		b[i].weight = 0;
	build_ok(t, M_DEFAULT, b, 5, 1);
	assert_all(t, M_DEFAULT, SL_MAGLEV_NONE);

	for (uint32_t s = 0; s < M_DEFAULT; s++)
		t[s] = SENTINEL;
	build_ok(t, M_DEFAULT, NULL, 0, 1);
	assert_all(t, M_DEFAULT, SL_MAGLEV_NONE);
	free(t);
	free(b);
}
END_TEST

START_TEST(test_reject_none_value)
{
	struct sl_maglev_backend *b = v4_backends(5);
	uint32_t *t = new_table(M_DEFAULT);
	char err[256] = "";

	b[3].value = SL_MAGLEV_NONE;
	ck_assert_int_eq(sl_maglev_build(t, M_DEFAULT, b, 5, 0, err, sizeof(err)), -EINVAL);
	ck_assert_msg(strstr(err, "backend 3") != NULL, "message: '%s'", err);
	assert_untouched(t, M_DEFAULT);
	free(t);
	free(b);
}
END_TEST

START_TEST(test_reject_heavy_weight)
{
	struct sl_maglev_backend *b = v4_backends(5);
	uint32_t *t = new_table(M_DEFAULT);
	char err[256] = "";

	b[2].weight = SL_MAGLEV_MAX_WEIGHT + 1;
	ck_assert_int_eq(sl_maglev_build(t, M_DEFAULT, b, 5, 0, err, sizeof(err)), -EINVAL);
	ck_assert_msg(strstr(err, "backend 2") != NULL, "message: '%s'", err);
	assert_untouched(t, M_DEFAULT);
	free(t);
	free(b);
}
END_TEST

START_TEST(test_reject_bad_family)
{
	struct sl_maglev_backend *b = v4_backends(5);
	uint32_t *t = new_table(M_DEFAULT);
	char err[256] = "";

	b[4].id.family = 2; /* AF_INET, not SL_FAMILY_IPV4 */
	ck_assert_int_eq(sl_maglev_build(t, M_DEFAULT, b, 5, 0, err, sizeof(err)), -EINVAL);
	ck_assert_msg(strstr(err, "backend 4") != NULL, "message: '%s'", err);
	assert_untouched(t, M_DEFAULT);
	free(t);
	free(b);
}
END_TEST

START_TEST(test_reject_duplicate_id)
{
	struct sl_maglev_backend *b = v4_backends(10);
	uint32_t *t = new_table(M_DEFAULT);
	char err[256] = "";

	/* Same address and port; differing weight, value and pad still
	 * make it the same backend. */
	b[7].id = b[3].id;
	b[7].id.pad = 1;
	b[7].weight = 0;
	ck_assert_int_eq(sl_maglev_build(t, M_DEFAULT, b, 10, 0, err, sizeof(err)), -EEXIST);
	ck_assert_msg(strstr(err, "3 and 7") != NULL, "message: '%s'", err);
	assert_untouched(t, M_DEFAULT);

	/* Bytes past an IPv4 address are not part of it either. */
	b[7].id = b[3].id;
	b[7].id.addr.w[3] = 0x12345678;
	ck_assert_int_eq(sl_maglev_build(t, M_DEFAULT, b, 10, 0, err, sizeof(err)), -EEXIST);
	assert_untouched(t, M_DEFAULT);

	/* Another port is another backend. */
	b[7].id.port = htons(8081);
	build_ok(t, M_DEFAULT, b, 10, 0);
	free(t);
	free(b);
}
END_TEST

START_TEST(test_port_is_part_of_id)
{
	const uint32_t n = 100, gone = 40;
	struct sl_maglev_backend *b = v4_backends(n);
	uint32_t *before = new_table(M_DEFAULT), *after = new_table(M_DEFAULT), moved = 0;

	/* One address, many ports: each port must get its own permutation,
	 * or removing one backend would shift everybody's slots. */
	for (uint32_t i = 0; i < n; i++) {
		b[i].id.addr.v4 = htonl(0x0a000001);
		b[i].id.port = htons(10000 + i);
	}
	build_ok(before, M_DEFAULT, b, n, 1);
	b[gone].weight = 0;
	build_ok(after, M_DEFAULT, b, n, 1);
	for (uint32_t s = 0; s < M_DEFAULT; s++)
		moved += before[s] != gone + 1 && after[s] != before[s];
	ck_assert_msg(
		(double)moved / M_DEFAULT <= 0.02, "%u of %u other slots moved", moved, M_DEFAULT);
	free(after);
	free(before);
	free(b);
}
END_TEST

START_TEST(test_ipv6_backends)
{
	const uint32_t n = 64;
	struct sl_maglev_backend *b = v4_backends(n);
	uint32_t *t = new_table(M_DEFAULT), *c, min = UINT32_MAX, max = 0;

	/* 2001:db8::i, port 443, and one IPv4 backend whose address word equals
	 * the last IPv6 word of another: still distinct. */
	for (uint32_t i = 0; i < n - 1; i++) {
		memset(&b[i].id.addr, 0, sizeof(b[i].id.addr));
		b[i].id.addr.w[0] = htonl(0x20010db8);
		b[i].id.addr.w[3] = htonl(i + 1);
		b[i].id.port = htons(443);
		b[i].id.family = SL_FAMILY_IPV6;
	}
	b[n - 1].id.addr.v4 = htonl(1);
	b[n - 1].id.port = htons(443);
	build_ok(t, M_DEFAULT, b, n, 9);
	c = count_slots(t, M_DEFAULT, n);
	ck_assert_uint_eq(c[SL_MAGLEV_NONE], 0);
	for (uint32_t v = 1; v <= n; v++) {
		min = c[v] < min ? c[v] : min;
		max = c[v] > max ? c[v] : max;
	}
	/* Equal weights: round robin, so counts differ by at most one. */
	ck_assert_uint_le(max - min, 1);
	free(c);
	free(t);
	free(b);
}
END_TEST

/* The digest's definition (maglev.h), written out independently: FNV-1a 64. */
static uint64_t
ref_digest(const uint32_t *t, uint32_t size, const struct sl_maglev_backend *b, uint32_t n)
{
	uint64_t h = 0xcbf29ce484222325ull;
	uint8_t buf[17];

#define FEED(p, len)                                                                               \
	do {                                                                                       \
		for (size_t k_ = 0; k_ < (len); k_++)                                              \
			h = (h ^ (p)[k_]) * 0x100000001b3ull;                                      \
	} while (0)
	buf[0] = (uint8_t)(size >> 24);
	buf[1] = (uint8_t)(size >> 16);
	buf[2] = (uint8_t)(size >> 8);
	buf[3] = (uint8_t)size;
	FEED(buf, 4);
	for (uint32_t s = 0; s < size; s++) {
		uint32_t i = 0;

		if (t[s] == SL_MAGLEV_NONE) {
			buf[0] = 0;
			FEED(buf, 1);
			continue;
		}
		while (i < n && b[i].value != t[s])
			i++;
		ck_assert_uint_lt(i, n);
		buf[0] = b[i].id.family;
		size_t alen = b[i].id.family == SL_FAMILY_IPV6 ? 16 : 4;
		memcpy(buf + 1, b[i].id.addr.b, alen);
		FEED(buf, 1 + alen);
	}
#undef FEED
	return h;
}

static uint64_t
digest_ok(const uint32_t *t, uint32_t size, const struct sl_maglev_backend *b, uint32_t n)
{
	uint64_t d = 0;

	ck_assert_int_eq(sl_maglev_digest(t, size, b, n, &d), 0);
	return d;
}

/*
 * Two nodes with the same config: the backends come in another order and get
 * other values (the dataplane's slot numbers), yet the digest is the same;
 * it matches the definition written out above, also with IPv6 backends and
 * empty slots.
 */
START_TEST(test_digest_same_config)
{
	const uint32_t n = 50, m = 1009;
	struct sl_maglev_backend *a = v4_backends(n), *b = v4_backends(n);
	uint32_t *ta = new_table(M_DEFAULT), *tb = new_table(M_DEFAULT), s = 7;

	for (uint32_t i = 0; i < n; i++)
		a[i].weight = 1 + prng(&s) % 50;
	/* b: a reversed, with unrelated values. */
	for (uint32_t i = 0; i < n; i++) {
		b[i] = a[n - 1 - i];
		b[i].value = 1000 + 7 * i;
	}
	build_ok(ta, M_DEFAULT, a, n, 11);
	build_ok(tb, M_DEFAULT, b, n, 11);
	ck_assert(memcmp(ta, tb, M_DEFAULT * sizeof(*ta)) != 0); /* other values... */
	uint64_t da = digest_ok(ta, M_DEFAULT, a, n);
	ck_assert_uint_eq(da, digest_ok(tb, M_DEFAULT, b, n)); /* ...same backends */
	ck_assert_uint_eq(da, ref_digest(ta, M_DEFAULT, a, n));

	/* IPv6 backends and empty slots, on a small table. */
	uint32_t *t6 = new_table(m);
	for (uint32_t i = 0; i < 4; i++) {
		memset(&a[i].id.addr, 0, sizeof(a[i].id.addr));
		a[i].id.addr.w[0] = htonl(0x20010db8);
		a[i].id.addr.w[3] = htonl(i + 1);
		a[i].id.family = SL_FAMILY_IPV6;
	}
	build_ok(t6, m, a, 8, 11);
	t6[3] = SL_MAGLEV_NONE;
	ck_assert_uint_eq(digest_ok(t6, m, a, 8), ref_digest(t6, m, a, 8));
	free(t6);
	free(tb);
	free(ta);
	free(b);
	free(a);
}
END_TEST

/* A changed weight, address or seed moves slots, and so the digest. */
START_TEST(test_digest_changes)
{
	const uint32_t n = 20;
	struct sl_maglev_backend *b = v4_backends(n);
	uint32_t *t = new_table(M_DEFAULT);

	build_ok(t, M_DEFAULT, b, n, 3);
	uint64_t d0 = digest_ok(t, M_DEFAULT, b, n);
	b[4].weight = 2;
	build_ok(t, M_DEFAULT, b, n, 3);
	uint64_t d1 = digest_ok(t, M_DEFAULT, b, n);
	ck_assert_uint_ne(d1, d0);
	b[4].weight = 1;
	build_ok(t, M_DEFAULT, b, n, 3);
	ck_assert_uint_eq(digest_ok(t, M_DEFAULT, b, n), d0);
	/* Same slots, another address for one backend. */
	struct sl_maglev_backend keep = b[9];
	b[9].id.addr.v4 = htonl(0xc0a80909);
	ck_assert_uint_ne(digest_ok(t, M_DEFAULT, b, n), d0);
	b[9] = keep;
	ck_assert_uint_eq(digest_ok(t, M_DEFAULT, b, n), d0);
	/* Another seed. */
	build_ok(t, M_DEFAULT, b, n, 4);
	ck_assert_uint_ne(digest_ok(t, M_DEFAULT, b, n), d0);
	free(t);
	free(b);
}
END_TEST

/* Values the backends do not have, shared values, bad arguments. */
START_TEST(test_digest_bad_input)
{
	struct sl_maglev_backend *b = v4_backends(3);
	uint32_t t[7] = {1, 2, 3, 1, 2, 3, 1};
	uint64_t d = 42;

	ck_assert_int_eq(sl_maglev_digest(t, 7, b, 2, &d), -EINVAL); /* value 3 unknown */
	ck_assert_int_eq(sl_maglev_digest(NULL, 7, b, 3, &d), -EINVAL);
	ck_assert_int_eq(sl_maglev_digest(t, 7, b, 3, NULL), -EINVAL);
	ck_assert_int_eq(sl_maglev_digest(t, 0, b, 3, &d), -EINVAL);
	ck_assert_int_eq(sl_maglev_digest(t, 7, NULL, 3, &d), -EINVAL);
	b[1].value = 1;
	ck_assert_int_eq(sl_maglev_digest(t, 7, b, 3, &d), -EINVAL); /* value 1 twice */
	ck_assert_uint_eq(d, 42);
	free(b);
}
END_TEST

START_TEST(test_slot_in_range)
{
	static const uint32_t sizes[] = {
		SL_MAGLEV_MIN_SIZE, SL_MAGLEV_DEFAULT_SIZE, M_LARGE, SL_MAGLEV_MAX_SIZE};

	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		uint32_t m = sizes[i];

		ck_assert_uint_eq(sl_maglev_slot(0, m), 0);
		ck_assert_uint_eq(sl_maglev_slot(UINT32_MAX, m), m - 1);
		ck_assert_uint_eq(sl_maglev_slot(0x80000000u, m), m / 2);
	}
}
END_TEST

static Suite *
maglev_suite(void)
{
	Suite *s = suite_create("maglev");

	SL_TCASE(s, test_equal_weights_balanced);
	SL_TCASE(s, test_remove_one_minimal_disruption);
	SL_TCASE(s, test_weights_proportional_small_set);
	SL_TCASE(s, test_weights_proportional_mixed_set);
	SL_TCASE(s, test_weights_extreme_ratio);
	SL_TCASE(s, test_order_independent);
	SL_TCASE(s, test_pad_ignored);
	SL_TCASE(s, test_size_not_prime);
	SL_TCASE(s, test_size_out_of_range);
	SL_TCASE(s, test_size_valid);
	SL_TCASE(s, test_weight_zero_gets_nothing);
	SL_TCASE(s, test_no_weight_all_none);
	SL_TCASE(s, test_reject_none_value);
	SL_TCASE(s, test_reject_heavy_weight);
	SL_TCASE(s, test_reject_bad_family);
	SL_TCASE(s, test_reject_duplicate_id);
	SL_TCASE(s, test_port_is_part_of_id);
	SL_TCASE(s, test_ipv6_backends);
	SL_TCASE(s, test_slot_in_range);
	SL_TCASE(s, test_digest_same_config);
	SL_TCASE(s, test_digest_changes);
	SL_TCASE(s, test_digest_bad_input);
	return s;
}

SL_TEST_MAIN(maglev_suite)
