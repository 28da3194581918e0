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
 * signatures and the tick at which each way expires, then a parallel array
 * of 64-byte entries (full key and value) with entry i of bucket b at index
 * b * SL_CT_BUCKET_WAYS + i. A lookup reads one bucket line and, on a
 * signature match, one entry line. A way is free when its signature is 0 or
 * it has expired.
 *
 * Time is a 32-bit tick in milliseconds supplied by the caller (an injected
 * clock in tests), compared with wrap-around-safe arithmetic.
 *
 * Timeouts depend on state: a TCP flow seen only with SYNs lives
 * timeout_tcp_syn, an established one timeout_tcp_est, one that saw FIN or
 * RST timeout_tcp_closing; UDP timeout_udp; anything else timeout_other.
 *
 * Full bucket: the way closest to its expiry (the stalest) is evicted.
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
	SL_CT_TCP_EST,     /* a packet without SYN seen */
	SL_CT_TCP_CLOSING, /* FIN or RST seen */
	SL_CT_UDP,
	SL_CT_OTHER,
	SL_CT_STATE_MAX,
};

struct sl_ct_config {
	uint32_t capacity;            /* entries; rounded up to a power-of-two bucket count */
	uint32_t timeout_ms[SL_CT_STATE_MAX];
	uint32_t syn_cap;             /* new entries per second per table; 0 = no cap */
	uint32_t seed;                /* hash seed */
};

/* Defaults: SYN 5 s, established 300 s, closing 10 s, UDP 30 s, other 30 s, no cap. */
void sl_ct_config_default(struct sl_ct_config *cfg);

struct sl_ct_entry {
	struct sl_flow_key key;
	uint32_t backend;       /* backend slot in the live config */
	uint32_t backend_epoch; /* that slot's epoch when the entry was made */
	uint32_t created;       /* tick */
	uint16_t vip;           /* VIP index in the live config */
	uint8_t state;          /* enum sl_ct_state */
	uint8_t pad[9];
};
static_assert(sizeof(struct sl_ct_entry) == 64, "one entry, one cache line");

struct sl_ct_stats {
	uint64_t lookups;
	uint64_t hits;
	uint64_t misses;
	uint64_t inserts;
	uint64_t evictions;    /* live entries pushed out of a full bucket */
	uint64_t expired;      /* expired entries reused */
	uint64_t syn_cap_refused;
};

struct sl_ct;

/* Bytes of memory (64-byte aligned) a table for @capacity entries needs; 0 if too large. */
size_t sl_ct_mem_size(uint32_t capacity);

/*
 * Lay out a table in @mem (sl_ct_mem_size(cfg->capacity) bytes, 64-byte aligned).
 * @return the table, or NULL with errno EINVAL (bad config: capacity 0 or
 *         above 2^31, a zero timeout) or ENOMEM-like EINVAL when @mem is NULL.
 */
struct sl_ct *sl_ct_init(void *mem, const struct sl_ct_config *cfg);

/* Convenience for tests and tools: aligned_alloc + init; free with sl_ct_free(). */
struct sl_ct *sl_ct_create(const struct sl_ct_config *cfg);
void sl_ct_free(struct sl_ct *ct);

/* Entries the table can hold (capacity rounded up). */
uint32_t sl_ct_capacity(const struct sl_ct *ct);

/* Hash used to place @key; compute once per packet and pass to the calls below. */
uint32_t sl_ct_hash(const struct sl_ct *ct, const struct sl_flow_key *key);

/* Prefetch the bucket for @hash (call for packet i+1 while working on packet i). */
void sl_ct_prefetch(const struct sl_ct *ct, uint32_t hash);

/*
 * Find the live entry for @key. On a hit the entry's expiry is refreshed
 * from @now and its state; a miss returns NULL. Expired entries never hit.
 */
struct sl_ct_entry *sl_ct_lookup(struct sl_ct *ct, const struct sl_flow_key *key, uint32_t hash,
	uint32_t now);

/*
 * Insert @key (the caller has just missed on it). Uses a free or expired way,
 * else evicts the way closest to expiry. The returned entry has key, state,
 * created and the expiry set; the caller fills backend/backend_epoch/vip.
 * @return the entry, or NULL when the SYN cap refused it (counted).
 */
struct sl_ct_entry *sl_ct_insert(struct sl_ct *ct, const struct sl_flow_key *key, uint32_t hash,
	uint32_t now, enum sl_ct_state state);

/*
 * Move a TCP entry along with the flags of a packet (SYN -> EST on a packet
 * without SYN; -> CLOSING on FIN or RST) and refresh its expiry.
 * Non-TCP entries only get their expiry refreshed.
 */
void sl_ct_update(struct sl_ct *ct, struct sl_ct_entry *e, uint8_t tcp_flags, uint32_t now);

/* The state a new entry starts in, for a packet of @proto with @tcp_flags. */
enum sl_ct_state sl_ct_initial_state(uint8_t proto, uint8_t tcp_flags);

/* Remove an entry (e.g. after its flow was re-routed). */
void sl_ct_delete(struct sl_ct *ct, struct sl_ct_entry *e);

/* Live (non-expired) entries at @now: walks the whole table, control path only. */
uint32_t sl_ct_count(const struct sl_ct *ct, uint32_t now);

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
sl_ct_backend_valid(const struct sl_ct_entry *e, const struct sl_ct_backend *slots,
	uint32_t n_slots)
{
	return e->backend < n_slots && slots[e->backend].epoch == e->backend_epoch &&
		slots[e->backend].state != SL_BACKEND_DOWN;
}

#endif /* SL_CONNTRACK_H */
