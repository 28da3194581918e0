/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Connection tracking: insert, lookup hit (plain; with the bucket of key i + 4
 * prefetched as the dataplane's burst loop will; with a second stage that also
 * prefetches the entry line) and lookup miss, on tables of 1M and 16M entries
 * filled with as many keys as their capacity (so a share is evicted).
 *
 * Keys are pre-generated; each timed operation is the hash plus the table
 * call. The table memory is 2 MiB aligned, advised for transparent huge pages
 * (the dataplane uses hugepages) and touched before any timing, so that page
 * faults are not counted as inserts.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <rte_byteorder.h>
#include <rte_common.h>

#include "bench.h"
#include "conntrack.h"

#define HUGE_2M	      (2u << 20)
#define KEY_CHUNK     65536u	 /* insert keys generated per timed batch */
#define LOOKUPS	      (2u << 20) /* timed lookups per variant */
#define PREFETCH_DIST 4u	 /* look ahead, in keys */
#define NOW	      1000u	 /* fixed tick: nothing expires during a run */

/* murmur3's finaliser: a bijection, so keys are distinct yet random-looking. */
static inline uint32_t
mix32(uint32_t x)
{
	x ^= x >> 16;
	x *= 0x85ebca6bu;
	x ^= x >> 13;
	x *= 0xc2b2ae35u;
	x ^= x >> 16;
	return x;
}

/*
 * Flow i: a client address unique to i and a random-looking port, to one VIP.
 * (Counting keys would spread over the buckets perfectly, CRC being linear:
 * flattering and unrealistic.)
 */
static inline void
bench_key(struct sl_flow_key *k, uint32_t i)
{
	memset(k, 0, sizeof(*k));
	k->src.v4 = mix32(i);
	k->dst.v4 = rte_cpu_to_be_32(0xc6336401u); /* 198.51.100.1 */
	k->sport = (uint16_t)(1024 + (mix32(i ^ 0x9e3779b9u) & 0x7fff));
	k->dport = rte_cpu_to_be_16(443);
	k->proto = IPPROTO_TCP;
	k->family = SL_FAMILY_IPV4;
}

static inline uint64_t
xorshift64(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

struct timing {
	uint64_t ns, cycles;
};

static json_t *
timing_json(struct timing t, uint64_t ops)
{
	return json_pack("{s:f, s:f}", "ns_per_op", (double)t.ns / (double)ops, "cycles_per_op",
		(double)t.cycles / (double)ops);
}

static struct timing
fill(struct sl_ct *ct, uint32_t n, struct sl_flow_key *buf)
{
	struct timing t = {0, 0};

	for (uint32_t base = 0; base < n; base += KEY_CHUNK) {
		uint32_t m = RTE_MIN(KEY_CHUNK, n - base);

		for (uint32_t j = 0; j < m; j++)
			bench_key(&buf[j], base + j);
		uint64_t n0 = sl_bench_ns(), c0 = sl_bench_tsc();
		for (uint32_t j = 0; j < m; j++) {
			struct sl_ct_entry *e = sl_ct_insert(
				ct, &buf[j], sl_ct_hash(ct, &buf[j]), NOW, SL_CT_TCP_EST);
			e->backend = j; /* as the caller does */
		}
		t.cycles += sl_bench_tsc() - c0;
		t.ns += sl_bench_ns() - n0;
	}
	return t;
}

static struct timing
lookup_plain(struct sl_ct *ct, const struct sl_flow_key *keys, uint32_t n, uint32_t *hits)
{
	uint32_t h = 0;
	uint64_t n0 = sl_bench_ns(), c0 = sl_bench_tsc();

	for (uint32_t i = 0; i < n; i++) {
		struct sl_ct_entry *e = sl_ct_lookup(ct, &keys[i], sl_ct_hash(ct, &keys[i]), NOW);
		h += e != NULL;
		SL_BENCH_SINK(e);
	}
	uint64_t c1 = sl_bench_tsc(), n1 = sl_bench_ns();
	*hits = h;
	return (struct timing){n1 - n0, c1 - c0};
}

/*
 * One stage: hash key i + PREFETCH_DIST and prefetch its preferred entry
 * line while looking up key i (hashes kept in a small ring).
 */
static struct timing
lookup_prefetch(struct sl_ct *ct, const struct sl_flow_key *keys, uint32_t n, uint32_t *hits)
{
	uint32_t ring[PREFETCH_DIST], h = 0;
	uint64_t n0 = sl_bench_ns(), c0 = sl_bench_tsc();

	for (uint32_t i = 0; i < PREFETCH_DIST && i < n; i++) {
		ring[i] = sl_ct_hash(ct, &keys[i]);
		sl_ct_prefetch(ct, ring[i]);
	}
	for (uint32_t i = 0; i < n; i++) {
		uint32_t hash = ring[i % PREFETCH_DIST];

		if (i + PREFETCH_DIST < n) {
			uint32_t next = sl_ct_hash(ct, &keys[i + PREFETCH_DIST]);
			sl_ct_prefetch(ct, next);
			ring[i % PREFETCH_DIST] = next;
		}
		struct sl_ct_entry *e = sl_ct_lookup(ct, &keys[i], hash, NOW);
		h += e != NULL;
		SL_BENCH_SINK(e);
	}
	uint64_t c1 = sl_bench_tsc(), n1 = sl_bench_ns();
	*hits = h;
	return (struct timing){n1 - n0, c1 - c0};
}

/*
 * The three stages of conntrack.h, PREFETCH_DIST keys apart: hash key
 * i + 3 D and prefetch its preferred entry; check key i + 2 D there and, if
 * it is not, prefetch its bucket; for key i + D, prefetch the entries its
 * bucket matches; look up key i with its lines in cache.
 */
static struct timing
lookup_prefetch2(struct sl_ct *ct, const struct sl_flow_key *keys, uint32_t n, uint32_t *hits)
{
	enum {
		D = PREFETCH_DIST,
		RING = 3 * PREFETCH_DIST
	};
	uint32_t ring[RING], h = 0;
	bool in_pref[RING];
	uint64_t n0 = sl_bench_ns(), c0 = sl_bench_tsc();

	for (uint32_t i = 0; i < RING && i < n; i++) {
		ring[i] = sl_ct_hash(ct, &keys[i]);
		sl_ct_prefetch(ct, ring[i]);
	}
	for (uint32_t i = 0; i < 2 * D && i < n; i++)
		in_pref[i] = sl_ct_prefetch_bucket(ct, &keys[i], ring[i]);
	for (uint32_t i = 0; i < D && i < n; i++)
		if (!in_pref[i])
			sl_ct_prefetch_entry(ct, ring[i], NOW);
	for (uint32_t i = 0; i < n; i++) {
		uint32_t hash = ring[i % RING];

		if (i + D < n && !in_pref[(i + D) % RING])
			sl_ct_prefetch_entry(ct, ring[(i + D) % RING], NOW);
		if (i + 2 * D < n)
			in_pref[(i + 2 * D) % RING] = sl_ct_prefetch_bucket(
				ct, &keys[i + 2 * D], ring[(i + 2 * D) % RING]);
		if (i + RING < n) {
			uint32_t next = sl_ct_hash(ct, &keys[i + RING]);
			sl_ct_prefetch(ct, next);
			ring[i % RING] = next;
		}
		struct sl_ct_entry *e = sl_ct_lookup(ct, &keys[i], hash, NOW);
		h += e != NULL;
		SL_BENCH_SINK(e);
	}
	uint64_t c1 = sl_bench_tsc(), n1 = sl_bench_ns();
	*hits = h;
	return (struct timing){n1 - n0, c1 - c0};
}

/* One table of @n entries filled with @n keys; NULL on allocation failure. */
static json_t *
bench_size(uint32_t n)
{
	struct sl_ct_config cfg;
	struct sl_flow_key *buf = NULL, *hit = NULL, *miss = NULL;
	json_t *res = NULL;
	void *mem = NULL;
	uint64_t rng = 0x2545f4914f6cdd1dull;
	uint32_t hits, n_hit = 0;

	sl_ct_config_default(&cfg);
	cfg.capacity = n;
	size_t size = sl_ct_mem_size(n);
	if (size == 0 || posix_memalign(&mem, HUGE_2M, size) != 0)
		goto out;
	bool thp = madvise(mem, size, MADV_HUGEPAGE) == 0;
	memset(mem, 0, size); /* fault every page in now, not during the inserts */
	struct sl_ct *ct = sl_ct_init(mem, &cfg);
	buf = malloc(KEY_CHUNK * sizeof(*buf));
	hit = malloc(LOOKUPS * sizeof(*hit));
	miss = malloc(LOOKUPS * sizeof(*miss));
	if (ct == NULL || buf == NULL || hit == NULL || miss == NULL)
		goto out;

	struct timing t_ins = fill(ct, n, buf);
	uint32_t live = sl_ct_count(ct, NOW);

	/* Random keys of the table that are still there (a full table has
	 * evicted some), checked now, outside the timing; the checks walk far
	 * more memory than the caches hold, so the timed pass starts cold. */
	while (n_hit < LOOKUPS) {
		bench_key(&hit[n_hit], (uint32_t)(xorshift64(&rng) % n));
		if (sl_ct_lookup(ct, &hit[n_hit], sl_ct_hash(ct, &hit[n_hit]), NOW) != NULL)
			n_hit++;
	}
	/* Flows i >= n were never inserted. */
	for (uint32_t i = 0; i < LOOKUPS; i++)
		bench_key(&miss[i], n + (uint32_t)(xorshift64(&rng) % n));

	struct timing t_hit = lookup_plain(ct, hit, LOOKUPS, &hits);
	uint32_t hits_plain = hits;
	struct timing t_hit_pf = lookup_prefetch(ct, hit, LOOKUPS, &hits);
	uint32_t hits_pf = hits;
	struct timing t_hit_pf2 = lookup_prefetch2(ct, hit, LOOKUPS, &hits);
	uint32_t hits_pf2 = hits;
	uint32_t hits_min = RTE_MIN(hits_plain, hits_pf);
	struct timing t_miss = lookup_plain(ct, miss, LOOKUPS, &hits);
	uint32_t hits_miss = hits;
	struct timing t_miss_pf = lookup_prefetch(ct, miss, LOOKUPS, &hits);
	hits_miss += hits;

	const struct sl_ct_stats *st = sl_ct_stats(ct);
	res = json_pack("{s:i, s:f, s:b, s:i, s:i, s:i, s:i}", "entries",
		(json_int_t)sl_ct_capacity(ct), "mem_mib", (double)size / (1024.0 * 1024.0),
		"thp_advised", thp, "keys_inserted", (json_int_t)n, "live", (json_int_t)live,
		"evictions", (json_int_t)st->evictions, "lookups_per_variant", (json_int_t)LOOKUPS);
	json_object_set_new(res, "insert", timing_json(t_ins, n));
	json_object_set_new(res, "lookup_hit", timing_json(t_hit, LOOKUPS));
	json_object_set_new(res, "lookup_hit_prefetch4", timing_json(t_hit_pf, LOOKUPS));
	json_object_set_new(res, "lookup_hit_prefetch_3stage", timing_json(t_hit_pf2, LOOKUPS));
	json_object_set_new(res, "lookup_miss", timing_json(t_miss, LOOKUPS));
	json_object_set_new(res, "lookup_miss_prefetch4", timing_json(t_miss_pf, LOOKUPS));
	/* Sanity, not timing: every hit key hit, no miss key did. */
	json_object_set_new(
		res, "hit_keys_found", json_integer((json_int_t)RTE_MIN(hits_min, hits_pf2)));
	json_object_set_new(res, "miss_keys_found", json_integer((json_int_t)hits_miss));

out:
	free(miss);
	free(hit);
	free(buf);
	free(mem);
	return res;
}

void
sl_bench_conntrack(json_t *root, const struct sl_bench_opts *o)
{
	static const struct {
		const char *name;
		uint32_t entries;
	} sizes[] = {
		{"1M", 1u << 20},
		{"16M", 16u << 20},
	};
	json_t *sec = json_object();

	for (size_t i = 0; i < RTE_DIM(sizes); i++) {
		if (o->quick && sizes[i].entries > (1u << 20))
			continue;
		json_t *r = bench_size(sizes[i].entries);
		if (r == NULL)
			r = json_pack("{s:s}", "error", strerror(ENOMEM));
		json_object_set_new(sec, sizes[i].name, r);
	}
	json_object_set_new(root, "conntrack", sec);
}
