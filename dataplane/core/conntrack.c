/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Per-core connection tracking: see conntrack.h for the layout and the
 * contract.
 *
 * Concurrency: a table is owned by one worker core. Every write (buckets,
 * entries, the SYN-cap window, the stats) is a plain store by that core, so
 * there is no lock and no atomic operation anywhere in this file, and no
 * memory-ordering choice to make. The only cross-core access is the control
 * side reading the stats (see sl_ct_stats()).
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdalign.h>
#include <stdlib.h>
#include <string.h>

#include <rte_common.h>
#include <rte_prefetch.h>

#if defined(RTE_ARCH_X86_64) && defined(__SSE4_2__)
#include <nmmintrin.h>
#else
#include <rte_crc_sw.h>
#endif
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "conntrack.h"

#define CACHE_LINE 64

/* TCP header flags as they appear in byte 13 of the TCP header. */
enum {
	TCP_FIN = 0x01,
	TCP_SYN = 0x02,
	TCP_RST = 0x04,
	TCP_ACK = 0x10,
};

/*
 * The largest capacity accepted: 2^31 entries (2^28 buckets), so that the
 * rounded-up capacity still fits the uint32_t that sl_ct_capacity() returns.
 */
#define CAPACITY_MAX (UINT32_C(1) << 31)

/*
 * Timeouts must stay below 2^31 ticks: expiry is compared as the sign of a
 * 32-bit difference, which only works for distances under half the clock.
 */
#define TIMEOUT_MAX ((uint32_t)INT32_MAX)

/*
 * One cache line: the signatures of SL_CT_BUCKET_WAYS ways and a copy of
 * their entries' expiry ticks. The entry's own expiry is the truth; the copy
 * is written with it on insert and update but not on a hit (so that a hit
 * need not touch this line), so it may lag behind, never ahead: a copy still
 * live means the entry is live, an expired copy means "read the entry".
 */
struct sl_ct_bucket {
	uint32_t sig[SL_CT_BUCKET_WAYS];     /* hash with 0 mapped to 1; 0 = empty way */
	uint32_t expires[SL_CT_BUCKET_WAYS]; /* lower bound of the entry's expiry */
};
static_assert(sizeof(struct sl_ct_bucket) == CACHE_LINE, "one bucket, one cache line");

/*
 * The table header lives at the start of the caller's memory, followed by
 * the buckets and then the entries. The first line holds what every lookup
 * reads and nothing that changes afterwards; the stats (written on every
 * packet, read by the control side) have a line of their own so that a
 * control-side read never pulls the configuration line away from the worker.
 */
struct sl_ct {
	/* Read on every packet, written only by sl_ct_init(). */
	struct sl_ct_bucket *buckets;
	struct sl_ct_entry *entries;
	uint32_t bucket_mask;
	uint32_t seed;
	uint32_t timeout_ms[SL_CT_STATE_MAX];
	uint32_t syn_cap;

	/* Written on insert. */
	uint32_t window;	 /* second (tick / 1000) the insert count belongs to */
	uint32_t window_inserts; /* entries inserted during that second */
	uint32_t sweep_next;	 /* next bucket sl_ct_sweep() looks at */

	/* Written on every packet by the owning core only. */
	alignas(CACHE_LINE) struct sl_ct_stats stats;
};

static size_t
header_size(void)
{
	return RTE_ALIGN_CEIL(sizeof(struct sl_ct), CACHE_LINE);
}

/* Buckets for @capacity entries: next power of two >= ceil(capacity / ways). */
static uint32_t
bucket_count(uint32_t capacity)
{
	uint32_t n = (capacity + SL_CT_BUCKET_WAYS - 1) / SL_CT_BUCKET_WAYS;

	return rte_align32pow2(n ? n : 1);
}

/* Wrap-around-safe: a way is live while its expiry tick is still ahead of @now. */
static inline bool
tick_live(uint32_t expires, uint32_t now)
{
	return (int32_t)(expires - now) > 0;
}

static inline uint32_t
hash_sig(uint32_t hash)
{
	return hash != 0 ? hash : 1;
}

/*
 * The way a key prefers: the hash's top three bits, which the bucket index
 * (at most 2^28 buckets, bits 0-27) never uses. An insert takes it when it
 * is free, so that most keys sit in their preferred way and a lookup can
 * fetch that entry line together with the bucket line rather than after it.
 */
static inline unsigned
pref_way(uint32_t hash)
{
	static_assert(SL_CT_BUCKET_WAYS == 8, "three bits pick the way");
	return hash >> 29;
}

void
sl_ct_config_default(struct sl_ct_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->capacity = 1u << 20;
	cfg->timeout_ms[SL_CT_TCP_SYN] = 5 * 1000;
	cfg->timeout_ms[SL_CT_TCP_EST] = 300 * 1000;
	cfg->timeout_ms[SL_CT_TCP_CLOSING] = 10 * 1000;
	cfg->timeout_ms[SL_CT_UDP] = 30 * 1000;
	cfg->timeout_ms[SL_CT_OTHER] = 30 * 1000;
	cfg->syn_cap = 0;
	/* A fixed seed keeps runs reproducible; the dataplane sets a random one. */
	cfg->seed = 0x5111ce;
}

size_t
sl_ct_mem_size(uint32_t capacity)
{
	if (capacity == 0 || capacity > CAPACITY_MAX) {
		errno = EINVAL;
		return 0;
	}
	/* At most 2^28 buckets of 64 + 8 * 64 bytes: 144 GiB, which needs a
	 * 64-bit size_t; refuse rather than wrap on a 32-bit one. */
	uint64_t n = bucket_count(capacity);
	uint64_t bytes =
		header_size() +
		n * (sizeof(struct sl_ct_bucket) + SL_CT_BUCKET_WAYS * sizeof(struct sl_ct_entry));
	if (bytes > SIZE_MAX) {
		errno = EINVAL;
		return 0;
	}
	return (size_t)bytes;
}

struct sl_ct *
sl_ct_init(void *mem, const struct sl_ct_config *cfg)
{
	if (mem == NULL || cfg == NULL || ((uintptr_t)mem & (CACHE_LINE - 1)) != 0)
		goto einval;
	if (sl_ct_mem_size(cfg->capacity) == 0)
		goto einval;
	for (int s = 0; s < SL_CT_STATE_MAX; s++) {
		if (cfg->timeout_ms[s] == 0 || cfg->timeout_ms[s] > TIMEOUT_MAX)
			goto einval;
	}

	struct sl_ct *ct = mem;
	uint32_t n = bucket_count(cfg->capacity);

	memset(ct, 0, header_size());
	ct->buckets = (struct sl_ct_bucket *)((char *)mem + header_size());
	ct->entries = (struct sl_ct_entry *)(ct->buckets + n);
	ct->bucket_mask = n - 1;
	ct->seed = cfg->seed;
	memcpy(ct->timeout_ms, cfg->timeout_ms, sizeof(ct->timeout_ms));
	ct->syn_cap = cfg->syn_cap;
	/* Signature 0 marks a free way and in_use 0 a free entry: zeroed
	 * buckets and entries are an empty table. The entries must be cleared
	 * too: a lookup reads the key's preferred entry without its bucket. */
	memset(ct->buckets, 0, (size_t)n * sizeof(struct sl_ct_bucket));
	memset(ct->entries, 0, (size_t)n * SL_CT_BUCKET_WAYS * sizeof(struct sl_ct_entry));
	return ct;

einval:
	errno = EINVAL;
	return NULL;
}

struct sl_ct *
sl_ct_create(const struct sl_ct_config *cfg)
{
	size_t size;
	void *mem;

	if (cfg == NULL || (size = sl_ct_mem_size(cfg->capacity)) == 0) {
		errno = EINVAL;
		return NULL;
	}
	/* size is a multiple of 64, as aligned_alloc() wants. */
	mem = aligned_alloc(CACHE_LINE, size);
	if (mem == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	struct sl_ct *ct = sl_ct_init(mem, cfg);
	if (ct == NULL) {
		int err = errno;
		free(mem);
		errno = err;
	}
	return ct;
}

void
sl_ct_free(struct sl_ct *ct)
{
	/* The header is the start of the allocation made by sl_ct_create(). */
	free(ct);
}

uint32_t
sl_ct_capacity(const struct sl_ct *ct)
{
	return (ct->bucket_mask + 1) * SL_CT_BUCKET_WAYS;
}

/*
 * CRC32C over the 40-byte key, five 8-byte steps: the same value as DPDK's
 * rte_hash_crc(key, 40, seed). rte_hash_crc.h itself is not used because its
 * run-time algorithm selection (an RTE_INIT constructor) needs librte_eal at
 * link time, and the core library links no DPDK library. SSE4.2 is part of
 * the DPDK build baseline on x86-64; elsewhere DPDK's table-driven software
 * CRC gives the same result.
 *
 * CRC is linear: a seed does not stop someone who can pick keys from making
 * them collide. The damage is bounded by the bucket: they can churn the 8
 * ways of the buckets they aim at, not the table.
 */
uint32_t
sl_ct_hash(const struct sl_ct *ct, const struct sl_flow_key *key)
{
	const uint8_t *p = (const uint8_t *)key;
	/* 64 bits wide: the instruction's result, fed back without a truncation per step */
	uint64_t crc = ct->seed;

	static_assert(sizeof(*key) % sizeof(uint64_t) == 0, "key is whole words");
	/* Word by word, no aliasing or alignment assumption on @key (a copy of
	 * the whole key first went through the stack). */
	for (unsigned i = 0; i < sizeof(*key); i += sizeof(uint64_t)) {
		uint64_t w;

		memcpy(&w, p + i, sizeof(w));
#if defined(RTE_ARCH_X86_64) && defined(__SSE4_2__)
		crc = _mm_crc32_u64(crc, w);
#else
		crc = crc32c_2words(w, (uint32_t)crc);
#endif
	}
	return (uint32_t)crc;
}

static inline struct sl_ct_entry *
bucket_entries(const struct sl_ct *ct, uint32_t bi)
{
	return &ct->entries[(size_t)bi * SL_CT_BUCKET_WAYS];
}

static inline bool
key_eq(const struct sl_flow_key *a, const struct sl_flow_key *b)
{
	/* Fixed-size memcmp: the compiler turns it into five 8-byte compares. */
	return memcmp(a, b, sizeof(*a)) == 0;
}

/* The entry of @hash's preferred way. */
static inline struct sl_ct_entry *
pref_entry(const struct sl_ct *ct, uint32_t hash)
{
	return &bucket_entries(ct, hash & ct->bucket_mask)[pref_way(hash)];
}

struct sl_ct_entry *
sl_ct_prefetch(const struct sl_ct *ct, uint32_t hash)
{
	struct sl_ct_entry *e = pref_entry(ct, hash);

	rte_prefetch0(e);
	return e;
}

struct sl_ct_entry *
sl_ct_prefetch_bucket_at(const struct sl_ct *ct, struct sl_ct_entry *pref,
	const struct sl_flow_key *key, uint32_t hash)
{
	if (pref->in_use && key_eq(&pref->key, key))
		return pref;
	rte_prefetch0(&ct->buckets[hash & ct->bucket_mask]);
	return NULL;
}

struct sl_ct_entry *
sl_ct_prefetch_bucket(const struct sl_ct *ct, const struct sl_flow_key *key, uint32_t hash)
{
	return sl_ct_prefetch_bucket_at(ct, pref_entry(ct, hash), key, hash);
}

/* Bit i set when way i holds @sig (live or not). */
static inline unsigned
sig_matches(const struct sl_ct_bucket *b, uint32_t sig)
{
#if defined(__SSE2__)
	const __m128i *s = (const __m128i *)b->sig;
	__m128i vsig = _mm_set1_epi32((int)sig);

	return (unsigned)_mm_movemask_ps(
		       _mm_castsi128_ps(_mm_cmpeq_epi32(_mm_load_si128(s), vsig))) |
	       (unsigned)_mm_movemask_ps(
		       _mm_castsi128_ps(_mm_cmpeq_epi32(_mm_load_si128(s + 1), vsig)))
		       << 4;
#else
	unsigned m = 0;

	for (unsigned i = 0; i < SL_CT_BUCKET_WAYS; i++)
		m |= (unsigned)(b->sig[i] == sig) << i;
	return m;
#endif
}

/*
 * The way an insert into @b would most likely take, judged on the copies
 * alone (victim_way() also checks the entries): the preferred way if free or
 * expired, else the first free or expired, else the stalest.
 */
static inline unsigned
likely_victim(const struct sl_ct_bucket *b, unsigned p, uint32_t now)
{
	unsigned victim = 0;
	int32_t least = INT32_MAX;

	if (b->sig[p] == 0 || !tick_live(b->expires[p], now))
		return p;
	for (unsigned i = 0; i < SL_CT_BUCKET_WAYS; i++) {
		int32_t left = (int32_t)(b->expires[i] - now);

		if (b->sig[i] == 0 || left <= 0)
			return i;
		if (left < least) {
			least = left;
			victim = i;
		}
	}
	return victim;
}

void
sl_ct_prefetch_entry(const struct sl_ct *ct, uint32_t hash, uint32_t now)
{
	uint32_t bi = hash & ct->bucket_mask;
	const struct sl_ct_bucket *b = &ct->buckets[bi];
	const struct sl_ct_entry *e = bucket_entries(ct, bi);
	unsigned p = pref_way(hash);

	/*
	 * Expiry is not checked: a prefetch of a dead way costs nothing. The
	 * preferred way's line is on its way already (sl_ct_prefetch()). No
	 * match at all is most likely a new flow: fetch the line its insert
	 * will read and write.
	 */
	unsigned m = sig_matches(b, hash_sig(hash));

	if (m == 0)
		m = 1u << likely_victim(b, p, now);
	m &= ~(1u << p);
	while (m != 0) {
		unsigned i = (unsigned)__builtin_ctz(m);

		m &= m - 1;
		rte_prefetch0(&e[i]);
	}
}

/* @e holds @key and is live at @now. */
static inline bool
entry_hit(const struct sl_ct_entry *e, const struct sl_flow_key *key, uint32_t now)
{
	return e->in_use && tick_live(e->expires, now) && key_eq(&e->key, key);
}

/* A hit on @e: refresh its expiry in the entry alone (see struct sl_ct_bucket). */
static inline struct sl_ct_entry *
hit(struct sl_ct *ct, struct sl_ct_entry *e, uint32_t now)
{
	e->expires = now + ct->timeout_ms[e->state];
	ct->stats.hits++;
	return e;
}

/* The ways of bucket @bi but the preferred one @p with @key's signature. */
static inline struct sl_ct_entry *
lookup_others(struct sl_ct *ct, const struct sl_flow_key *key, uint32_t hash, uint32_t bi,
	unsigned p, uint32_t now)
{
	struct sl_ct_entry *e = bucket_entries(ct, bi);
	/* Usually none or one. */
	unsigned m = sig_matches(&ct->buckets[bi], hash_sig(hash)) & ~(1u << p);

	while (m != 0) {
		unsigned i = (unsigned)__builtin_ctz(m);

		m &= m - 1;
		if (entry_hit(&e[i], key, now))
			return hit(ct, &e[i], now);
	}
	ct->stats.misses++;
	return NULL;
}

struct sl_ct_entry *
sl_ct_lookup(struct sl_ct *ct, const struct sl_flow_key *key, uint32_t hash, uint32_t now)
{
	uint32_t bi = hash & ct->bucket_mask;
	struct sl_ct_entry *e = &bucket_entries(ct, bi)[pref_way(hash)];

	ct->stats.lookups++;
	/*
	 * The preferred way first, without the bucket: where most keys live,
	 * and a hit there touches this one line. The refreshed expiry goes to
	 * the entry only; the bucket's copy catches up when an insert, the
	 * sweep or a count needs it (see struct sl_ct_bucket).
	 */
	if (entry_hit(e, key, now))
		return hit(ct, e, now);
	return lookup_others(ct, key, hash, bi, pref_way(hash), now);
}

struct sl_ct_entry *
sl_ct_lookup_pref(struct sl_ct *ct, struct sl_ct_entry *pref, const struct sl_flow_key *key,
	uint32_t hash, uint32_t now)
{
	if (pref == NULL)
		return sl_ct_lookup(ct, key, hash, now);
	ct->stats.lookups++;
	/* In use and holding @key: sl_ct_prefetch_bucket() compared it. */
	if (tick_live(pref->expires, now))
		return hit(ct, pref, now);
	return lookup_others(ct, key, hash, hash & ct->bucket_mask, pref_way(hash), now);
}

/*
 * Whether way @i is free for an insert: empty, or holding an expired entry
 * (*@expired set). A lagging copy in the bucket is checked against the
 * entry and brought up to date.
 */
static inline bool
way_free(struct sl_ct_bucket *b, const struct sl_ct_entry *e, unsigned i, uint32_t now,
	bool *expired)
{
	if (b->sig[i] == 0) {
		*expired = false;
		return true;
	}
	if (tick_live(b->expires[i], now))
		return false; /* the copy is a lower bound: the entry is live too */
	if (!tick_live(e[i].expires, now)) {
		*expired = true;
		return true;
	}
	b->expires[i] = e[i].expires;
	return false;
}

/*
 * The way an insert takes: the preferred way if free or expired, else the
 * first free or expired one, else the live one closest to its expiry (ties:
 * the lowest way; not the preferred one, which would let keys inserted at
 * the same tick that share a preferred way push each other out). *@live says whether it is taken
 * from a live entry, *@expired whether from an expired one.
 *
 * The stalest is found on the copies, which are exact except where a hit
 * refreshed only the entry: the candidate's own entry is checked, and when
 * its copy lagged it is brought up to date and the search runs again. Copies
 * only grow, so this ends, and the way it ends on has the smallest true
 * expiry (its copy is the true value and no bigger than any other copy,
 * itself no bigger than that way's truth). Usually one entry line is read,
 * the one the insert then writes.
 */
static inline unsigned
victim_way(struct sl_ct_bucket *b, const struct sl_ct_entry *e, uint32_t hash, uint32_t now,
	bool *live, bool *expired)
{
	unsigned p = pref_way(hash);

	*live = false;
	if (way_free(b, e, p, now, expired))
		return p;
	for (unsigned i = 0; i < SL_CT_BUCKET_WAYS; i++) {
		if (i != p && way_free(b, e, i, now, expired))
			return i;
	}
	*live = true;
	*expired = false;
	for (;;) {
		unsigned victim = 0;
		int32_t least = INT32_MAX;

		for (unsigned i = 0; i < SL_CT_BUCKET_WAYS; i++) {
			int32_t left = (int32_t)(b->expires[i] - now);

			if (left < least) {
				least = left;
				victim = i;
			}
		}
		if (e[victim].expires == b->expires[victim])
			return victim;
		b->expires[victim] = e[victim].expires;
	}
}

struct sl_ct_entry *
sl_ct_insert(struct sl_ct *ct, const struct sl_flow_key *key, uint32_t hash, uint32_t now,
	enum sl_ct_state state)
{
	uint32_t window = now / 1000;

	/* Flood cap on new entries of any protocol (named after TCP SYN floods,
	 * the usual case): past syn_cap inserts in this second, refuse, so that
	 * a flood of new flows cannot evict the established ones. The window
	 * is compared for equality only, so the clock wrapping just starts a
	 * new (short) window. */
	if (window != ct->window) {
		ct->window = window;
		ct->window_inserts = 0;
	}
	if (ct->syn_cap != 0 && ct->window_inserts >= ct->syn_cap) {
		ct->stats.syn_cap_refused++;
		return NULL;
	}
	ct->window_inserts++;

	uint32_t bi = hash & ct->bucket_mask;
	struct sl_ct_bucket *b = &ct->buckets[bi];
	struct sl_ct_entry *be = bucket_entries(ct, bi);
	bool live, expired;
	unsigned i = victim_way(b, be, hash, now, &live, &expired);
	struct sl_ct_entry *e = &be[i];

	if (live)
		ct->stats.evictions++;
	else if (expired)
		ct->stats.expired++;
	ct->stats.inserts++;

	b->sig[i] = hash_sig(hash);
	b->expires[i] = now + ct->timeout_ms[state];
	/* One full-line store: key, state, created and expiry set, the rest zero. */
	*e = (struct sl_ct_entry){
		.key = *key,
		.created = now,
		.expires = b->expires[i],
		.state = (uint8_t)state,
		.in_use = 1,
	};
	return e;
}

/* Bucket and way of an entry, from its index in the entry array. */
static inline void
entry_way(const struct sl_ct *ct, const struct sl_ct_entry *e, size_t *bucket, unsigned *way)
{
	size_t idx = (size_t)(e - ct->entries);

	*bucket = idx / SL_CT_BUCKET_WAYS;
	*way = (unsigned)(idx % SL_CT_BUCKET_WAYS);
}

void
sl_ct_update(struct sl_ct *ct, struct sl_ct_entry *e, uint8_t tcp_flags, uint32_t now)
{
	size_t bi;
	unsigned i;

	switch (e->state) {
	case SL_CT_TCP_SYN:
	case SL_CT_TCP_EST:
		if (tcp_flags & (TCP_FIN | TCP_RST))
			e->state = SL_CT_TCP_CLOSING;
		else if (!(tcp_flags & TCP_SYN))
			e->state = SL_CT_TCP_EST;
		/* A SYN on an established flow (retransmission, port reuse)
		 * keeps it established. */
		break;
	case SL_CT_TCP_CLOSING:
		/* A plain SYN opens a new connection on the same ports
		 * (sl_ct_syn_reuses()); anything else leaves it closing. */
		if ((tcp_flags & (TCP_SYN | TCP_ACK | TCP_FIN | TCP_RST)) == TCP_SYN)
			e->state = SL_CT_TCP_SYN;
		break;
	default:
		/* UDP and OTHER have no states. */
		break;
	}
	entry_way(ct, e, &bi, &i);
	/* The copy too: a state change may bring the expiry closer. */
	e->expires = now + ct->timeout_ms[e->state];
	ct->buckets[bi].expires[i] = e->expires;
}

enum sl_ct_state
sl_ct_initial_state(uint8_t proto, uint8_t tcp_flags)
{
	switch (proto) {
	case IPPROTO_TCP:
		if (tcp_flags & (TCP_FIN | TCP_RST))
			return SL_CT_TCP_CLOSING;
		/* A mid-flow packet (no SYN) is tracked as established: after
		 * a dataplane restart that is what keeps existing flows alive
		 * for timeout_tcp_est rather than timeout_tcp_syn. */
		return (tcp_flags & TCP_SYN) ? SL_CT_TCP_SYN : SL_CT_TCP_EST;
	case IPPROTO_UDP:
		return SL_CT_UDP;
	default:
		return SL_CT_OTHER;
	}
}

void
sl_ct_delete(struct sl_ct *ct, struct sl_ct_entry *e)
{
	size_t bi;
	unsigned i;

	entry_way(ct, e, &bi, &i);
	ct->buckets[bi].sig[i] = 0;
	e->in_use = 0; /* a lookup of its preferred way reads the entry alone */
}

/* Way @i holds a live entry at @now (the copy first, the entry when it lags). */
static inline bool
way_live(const struct sl_ct_bucket *b, const struct sl_ct_entry *e, unsigned i, uint32_t now)
{
	return b->sig[i] != 0 && (tick_live(b->expires[i], now) || tick_live(e[i].expires, now));
}

uint32_t
sl_ct_count(const struct sl_ct *ct, uint32_t now)
{
	uint32_t n = 0;

	for (size_t bi = 0; bi <= ct->bucket_mask; bi++) {
		const struct sl_ct_bucket *b = &ct->buckets[bi];
		const struct sl_ct_entry *e = bucket_entries(ct, (uint32_t)bi);

		for (unsigned i = 0; i < SL_CT_BUCKET_WAYS; i++)
			n += way_live(b, e, i, now);
	}
	return n;
}

uint32_t
sl_ct_sweep(struct sl_ct *ct, uint32_t now, uint32_t n_buckets)
{
	uint32_t freed = 0;

	if (n_buckets > ct->bucket_mask)
		n_buckets = ct->bucket_mask + 1;
	for (uint32_t k = 0; k < n_buckets; k++) {
		struct sl_ct_bucket *b = &ct->buckets[ct->sweep_next];
		struct sl_ct_entry *e = bucket_entries(ct, ct->sweep_next);

		for (unsigned i = 0; i < SL_CT_BUCKET_WAYS; i++) {
			if (b->sig[i] == 0 || tick_live(b->expires[i], now))
				continue;
			if (tick_live(e[i].expires, now)) {
				b->expires[i] = e[i].expires; /* a lagging copy */
			} else {
				b->sig[i] = 0;
				e[i].in_use = 0;
				freed++;
			}
		}
		ct->sweep_next = (ct->sweep_next + 1) & ct->bucket_mask;
	}
	return freed;
}

const struct sl_ct_stats *
sl_ct_stats(const struct sl_ct *ct)
{
	return &ct->stats;
}
