/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Per-core connection tracking.
 *
 * One table per worker core; only that core reads or writes it, so lookup and
 * insert take no lock and use no atomic operation. Capacity is fixed when the
 * table is made (the memory comes from the caller, so the dataplane can use
 * hugepages and the tests plain malloc).
 *
 * Layout: an array of 64-byte buckets, each holding SL_CT_BUCKET_WAYS 32-bit
 * signatures and a copy of each way's expiry tick, then a parallel array of
 * 64-byte entries (full key, value, expiry tick) with entry i of bucket b at
 * index b * SL_CT_BUCKET_WAYS + i. A way is free when its signature is 0 or
 * its entry has expired.
 *
 * Preferred way: the hash's top three bits name a way of the bucket (the
 * bucket index uses at most the low 28 bits), and an insert takes that way
 * when it is free or expired, else the first free or expired one, else it
 * evicts the stalest. So most keys sit in their
 * preferred way, and a lookup reads that entry line first, on its own: a
 * hit there touches one cache line, not two. Only when the key is not there
 * does the lookup read the bucket line and, on a signature match, another
 * entry line. For that, a hit refreshes the expiry in the entry alone; the
 * bucket's copy may lag behind it (never ahead) and is brought up to date
 * by inserts, sl_ct_sweep() and sl_ct_count() when it says "expired".
 * Measured in the pipeline at 1M flows (docs/benchmarks.md, medians on one
 * host): hits 175 -> 140 TSC cycles per packet, new flows 460 -> 230 (the
 * insert writes a line prefetched with the others).
 *
 * Time is a 32-bit tick in milliseconds supplied by the caller (an injected
 * clock in tests), compared with wrap-around-safe arithmetic: a way is live
 * while (int32_t)(expires - now) > 0. That only holds for distances under
 * 2^31 ticks (24.8 days), so timeouts must be shorter, and a way left expired
 * and untouched for longer would look live again: the owning core calls
 * sl_ct_sweep() a few buckets at a time to clear expired ways first.
 *
 * Timeouts depend on state: a TCP flow seen only with SYNs lives
 * timeout_tcp_syn, an established one timeout_tcp_est, one that saw FIN or
 * RST timeout_tcp_closing; UDP timeout_udp; anything else timeout_other.
 *
 * Full bucket: the way closest to its expiry (the stalest) is evicted.
 * Sizing: with random flows the bucket loads are Poisson, so a table holding
 * as many flows as its capacity has evicted about 14% of them, one at half
 * its capacity under 1% (measured: 0.84% for 1M flows in 2M entries). Give
 * the table twice the flows it must keep. That also keeps lookups cheap: a
 * key finds its preferred way free with a probability of about one minus
 * the load at the time of its insert, and only keys in their preferred way
 * get the one-line hit.
 *
 * SYN-flood protection (as Katran does): sl_ct_insert() refuses, past
 * syn_cap new entries in the current one-second window, to insert anything;
 * the caller still routes the packet by Maglev, so new flows keep working
 * while a flood cannot flush established flows out of the table.
 *
 * Stale backends: an entry records the backend slot and that slot's epoch
 * when the entry was made; the control side bumps a slot's epoch when the
 * backend is removed, replaced or goes down, so sl_ct_backend_valid() tells
 * the caller to re-route the flow.
 */
#ifndef SL_CONNTRACK_H
#define SL_CONNTRACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sluice/net.h>

#define SL_CT_BUCKET_WAYS 8

enum sl_ct_state {
	SL_CT_TCP_SYN = 0, /* only SYNs seen */
	SL_CT_TCP_EST,	   /* a packet without SYN seen */
	SL_CT_TCP_CLOSING, /* FIN or RST seen */
	SL_CT_UDP,
	SL_CT_OTHER,
	SL_CT_STATE_MAX,
};

struct sl_ct_config {
	uint32_t capacity; /* entries; rounded up to a power-of-two bucket count */
	uint32_t timeout_ms[SL_CT_STATE_MAX];
	uint32_t syn_cap; /* new entries per second per table; 0 = no cap */
	uint32_t seed;	  /* hash seed */
};

/*
 * Defaults: 1M entries; SYN 5 s, established 300 s, closing 10 s, UDP 30 s,
 * other 30 s; no cap; a fixed seed (the dataplane should set a random one).
 */
void sl_ct_config_default(struct sl_ct_config *cfg);

struct sl_ct_entry {
	struct sl_flow_key key;
	uint32_t backend;	/* backend slot in the live config */
	uint32_t backend_epoch; /* that slot's epoch when the entry was made */
	uint32_t created;	/* tick */
	uint32_t expires;	/* tick at which it expires (the table's; read-only) */
	uint16_t vip;		/* VIP index in the live config */
	uint8_t state;		/* enum sl_ct_state */
	uint8_t in_use;		/* 1 while a way holds it (the table's; read-only) */
	uint8_t pad[4];
};
static_assert(sizeof(struct sl_ct_entry) == 64, "one entry, one cache line");

/*
 * Counters, written with plain increments by the owning core only (no atomics
 * on the packet path). Another core may read them at any time: on x86-64 an
 * aligned 64-bit load is never torn, so a reader sees each counter at some
 * recent value (the counters are not a consistent snapshot of one another);
 * on a 32-bit target a reader may see a torn value.
 */
struct sl_ct_stats {
	uint64_t lookups;
	uint64_t hits;
	uint64_t misses;
	uint64_t inserts;
	uint64_t evictions; /* live entries pushed out of a full bucket */
	uint64_t expired;   /* expired entries reused */
	uint64_t syn_cap_refused;
};

struct sl_ct;

/*
 * Bytes of memory (64-byte aligned) a table for @capacity entries needs:
 * a 64-byte-aligned header, then buckets, then entries (576 bytes per 8 entries).
 * @return the size, or 0 with errno EINVAL when @capacity is 0, above 2^31,
 *         or the size does not fit a size_t.
 */
size_t sl_ct_mem_size(uint32_t capacity);

/*
 * Lay out a table in @mem (sl_ct_mem_size(cfg->capacity) bytes, 64-byte
 * aligned); the table header is at @mem, so the returned pointer is @mem.
 * Clears the buckets and the entries (a lookup reads a key's preferred entry
 * before its bucket), so @mem may hold anything, e.g. an earlier table.
 * @return the table, or NULL with errno EINVAL: @mem or @cfg NULL, @mem not
 *         64-byte aligned, capacity 0 or above 2^31, a timeout 0 or >= 2^31.
 */
struct sl_ct *sl_ct_init(void *mem, const struct sl_ct_config *cfg);

/*
 * Convenience for tests and tools: aligned_alloc + init.
 * @return the table, or NULL with errno EINVAL (as sl_ct_init()) or ENOMEM.
 */
struct sl_ct *sl_ct_create(const struct sl_ct_config *cfg);

/* Free a table made by sl_ct_create() (not one laid out by sl_ct_init()); NULL is a no-op. */
void sl_ct_free(struct sl_ct *ct);

/* Entries the table can hold (capacity rounded up). */
uint32_t sl_ct_capacity(const struct sl_ct *ct);

/*
 * Hash used to place @key (CRC32C of the 40 bytes seeded with cfg->seed, the
 * value of DPDK's rte_hash_crc()); compute once per packet and pass to the
 * calls below. The bucket is hash & mask, the way signature the hash (0 -> 1).
 */
uint32_t sl_ct_hash(const struct sl_ct *ct, const struct sl_flow_key *key);

/*
 * Prefetching a burst in three stages, each a few packets (or a whole burst)
 * ahead of the next, so that the lookup or insert finds its lines in cache:
 *
 * sl_ct_prefetch(): the entry line of the key's preferred way; returns that
 * entry, which sl_ct_prefetch_bucket_at() takes rather than work it out
 * again from the hash.
 *
 * sl_ct_prefetch_bucket(): read that entry (prefetched by stage one); if it
 * holds @key (live or not), nothing else is needed and it returns the entry,
 * for sl_ct_lookup_pref(); otherwise it prefetches the bucket line and
 * returns NULL. sl_ct_prefetch_bucket_at(): the same given @pref, what
 * sl_ct_prefetch() returned for @hash.
 *
 * sl_ct_prefetch_entry(): for a key stage two returned false for, read the
 * bucket (prefetched by stage two) and prefetch the other entry lines whose
 * signature matches or, when none does (a new flow, most likely), the entry
 * line an insert at @now would take.
 */
struct sl_ct_entry *sl_ct_prefetch(const struct sl_ct *ct, uint32_t hash);
struct sl_ct_entry *sl_ct_prefetch_bucket(
	const struct sl_ct *ct, const struct sl_flow_key *key, uint32_t hash);
struct sl_ct_entry *sl_ct_prefetch_bucket_at(const struct sl_ct *ct, struct sl_ct_entry *pref,
	const struct sl_flow_key *key, uint32_t hash);
void sl_ct_prefetch_entry(const struct sl_ct *ct, uint32_t hash, uint32_t now);

/*
 * Find the live entry for @key: its preferred way's entry first, then the
 * bucket. On a hit the entry's expiry is refreshed from @now and its state;
 * a miss returns NULL. Expired entries never hit.
 */
struct sl_ct_entry *sl_ct_lookup(
	struct sl_ct *ct, const struct sl_flow_key *key, uint32_t hash, uint32_t now);

/*
 * sl_ct_lookup() for a key whose preferred entry sl_ct_prefetch_bucket()
 * found holding it: @pref is what that call returned, and the key is not
 * compared again. Same result, same counters. Only valid while no entry of
 * the table has been inserted or deleted since that call (an insert may
 * reuse the entry for another key); @pref NULL is a plain sl_ct_lookup().
 */
struct sl_ct_entry *sl_ct_lookup_pref(struct sl_ct *ct, struct sl_ct_entry *pref,
	const struct sl_flow_key *key, uint32_t hash, uint32_t now);

/*
 * Insert @key (the caller has just missed on it: inserting a key that is
 * already live makes a duplicate). Uses the key's preferred way if it is free
 * or expired, else the first free or expired way (counted in `expired` if it
 * was expired), else evicts the live way closest to expiry (counted in
 * `evictions`). The returned entry has key, state, created and
 * the expiry set, backend/backend_epoch/vip zeroed for the caller to fill.
 * The SYN cap applies to every new entry, whatever its protocol.
 * @return the entry, or NULL when the SYN cap refused it (counted).
 */
struct sl_ct_entry *sl_ct_insert(struct sl_ct *ct, const struct sl_flow_key *key, uint32_t hash,
	uint32_t now, enum sl_ct_state state);

/*
 * Move a TCP entry along with the flags of a packet (SYN -> EST on a packet
 * without SYN, FIN or RST; SYN or EST -> CLOSING on FIN or RST; CLOSING ->
 * SYN on a plain SYN, see sl_ct_syn_reuses(); otherwise CLOSING stays)
 * and refresh its expiry from @now and the new state. Non-TCP entries only
 * get their expiry refreshed. @e must be a live entry of @ct, just returned by
 * sl_ct_lookup() or sl_ct_insert().
 */
void sl_ct_update(struct sl_ct *ct, struct sl_ct_entry *e, uint8_t tcp_flags, uint32_t now);

/*
 * Whether a packet with @tcp_flags, of @e's flow, opens a new connection on
 * the same addresses and ports: a plain SYN (no ACK, FIN or RST) on an entry
 * that has seen FIN or RST. Clients reuse ports; such a SYN is scheduled
 * again like a new flow (its current Maglev choice, counted as a new flow)
 * rather than sent to the old connection's backend, which may be draining
 * or weighted out by now. IPVS does the same (its conn_reuse_mode). A SYN on
 * an entry still in SYN or established state keeps its backend: it is a
 * retransmission, or the client lost its side of a live connection.
 * sl_ct_update() then starts the entry over in SYN state.
 */
static inline bool
sl_ct_syn_reuses(const struct sl_ct_entry *e, uint8_t tcp_flags)
{
	return e->state == SL_CT_TCP_CLOSING && (tcp_flags & 0x17) == 0x02;
}

/*
 * Whether sl_ct_update() would change @e's state for a packet with
 * @tcp_flags. sl_ct_lookup() has already refreshed a hit's expiry for its
 * current state, so on the packet path the update can be skipped otherwise:
 * only a SYN-state entry seeing something other than a SYN, a FIN or RST
 * on an established flow, or a SYN reusing a closing one's ports, moves.
 * (0x01 FIN, 0x02 SYN, 0x04 RST, 0x10 ACK.)
 */
static inline bool
sl_ct_update_needed(const struct sl_ct_entry *e, uint8_t tcp_flags)
{
	if (e->state == SL_CT_TCP_SYN)
		return (tcp_flags & 0x07) != 0x02; /* anything but a plain (re)transmitted SYN */
	return (e->state == SL_CT_TCP_EST && (tcp_flags & 0x05)) || sl_ct_syn_reuses(e, tcp_flags);
}

/* The state a new entry starts in, for a packet of @proto with @tcp_flags. */
enum sl_ct_state sl_ct_initial_state(uint8_t proto, uint8_t tcp_flags);

/* Remove an entry (e.g. after its flow was re-routed); @e is an entry of @ct. */
void sl_ct_delete(struct sl_ct *ct, struct sl_ct_entry *e);

/* Live (non-expired) entries at @now: walks the whole table, control path only. */
uint32_t sl_ct_count(const struct sl_ct *ct, uint32_t now);

/*
 * Clear the expired ways of the next @n_buckets buckets (a cursor wraps
 * around the table) and return how many were cleared; these are not counted
 * in the stats (`expired` counts expired ways reused by an insert). The
 * owning core calls it now and then, so that every bucket is visited far
 * more often than every 2^31 ticks; see the note on time above.
 */
uint32_t sl_ct_sweep(struct sl_ct *ct, uint32_t now, uint32_t n_buckets);

/* The table's counters; see struct sl_ct_stats for reads from another core. */
const struct sl_ct_stats *sl_ct_stats(const struct sl_ct *ct);

/* What the live config says about a backend slot. */
struct sl_ct_backend {
	uint32_t epoch;
	uint8_t state; /* enum sl_backend_state */
};

/*
 * Whether @e may keep using its backend: the slot exists, still holds the
 * same backend (same epoch) and is not down. Draining backends stay valid.
 */
static inline bool
sl_ct_backend_valid(
	const struct sl_ct_entry *e, const struct sl_ct_backend *slots, uint32_t n_slots)
{
	return e->backend < n_slots && slots[e->backend].epoch == e->backend_epoch &&
	       slots[e->backend].state != SL_BACKEND_DOWN;
}

#endif /* SL_CONNTRACK_H */
