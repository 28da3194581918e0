/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Configuration generations: build a whole new table set off the packet path,
 * publish it with one atomic pointer store, and free the old one once every
 * worker has gone through a quiescent state (DPDK QSBR).
 *
 * Stable slots: VIPs and backends keep their slot numbers from one generation
 * to the next (keyed by VIP address/protocol/port, and by VIP slot plus
 * backend address), because connection-tracking entries and counters refer to
 * them by number. A backend slot that leaves the config has its epoch bumped,
 * so entries that still name it are seen as stale (sl_ct_backend_valid()).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_hash_crc.h>
#include <rte_log.h>
#include <rte_malloc.h>

#include <sluice/bpf_maps.h>

#include "dp.h"
#include "maglev.h"

#define RTE_LOGTYPE_SL_GEN RTE_LOGTYPE_USER1

struct vip_slot {
	bool in_use;
	bool referenced; /* by the generation being built */
	uint8_t family, proto;
	uint16_t port;
	union sl_ip addr;
};

struct be_key {
	uint32_t vip_slot;
	uint8_t family;
	uint8_t pad[3];
	union sl_ip addr;
};

struct be_slot {
	bool in_use;
	bool referenced;
	uint32_t epoch;
	struct be_key key;
};

/* The process-wide dataplane state (dp.h). */
struct dp_ctx dp = {.exception_port = -1};

/* Control-side registries: only the main lcore touches these. */
static struct vip_slot vip_slots[DP_MAX_VIP_SLOTS];
static struct be_slot *be_slots; /* [DP_MAX_BE_SLOTS] */
static uint64_t next_gen_id = 1;

static int
registry_init(void)
{
	if (be_slots)
		return 0;
	be_slots = calloc(DP_MAX_BE_SLOTS, sizeof(*be_slots));
	return be_slots ? 0 : -ENOMEM;
}

static int
vip_slot_get(const struct sl_cfg_vip *v)
{
	int free_slot = -1;

	for (int i = 0; i < DP_MAX_VIP_SLOTS; i++) {
		struct vip_slot *s = &vip_slots[i];
		if (s->in_use && s->family == v->family && s->proto == v->proto &&
			s->port == v->port && memcmp(&s->addr, &v->addr, sizeof(s->addr)) == 0) {
			s->referenced = true;
			return i;
		}
		if (!s->in_use && free_slot < 0)
			free_slot = i;
	}
	if (free_slot < 0)
		return -ENOSPC;
	struct vip_slot *s = &vip_slots[free_slot];
	*s = (struct vip_slot){.in_use = true,
		.referenced = true,
		.family = v->family,
		.proto = v->proto,
		.port = v->port,
		.addr = v->addr};
	return free_slot;
}

/*
 * Backend slots are found by linear search: this runs on config changes only,
 * over at most a few thousand in-use slots.
 */
static int
be_slot_get(uint32_t vip_slot, const struct sl_cfg_backend *b)
{
	struct be_key k = {.vip_slot = vip_slot, .family = b->family, .addr = b->addr};
	int free_slot = -1;

	for (int i = 1; i < DP_MAX_BE_SLOTS; i++) {
		struct be_slot *s = &be_slots[i];
		if (s->in_use && memcmp(&s->key, &k, sizeof(k)) == 0) {
			s->referenced = true;
			return i;
		}
		if (!s->in_use && free_slot < 0)
			free_slot = i;
	}
	if (free_slot < 0)
		return -ENOSPC;
	be_slots[free_slot].in_use = true;
	be_slots[free_slot].referenced = true;
	be_slots[free_slot].key = k;
	return free_slot;
}

/*
 * Set @key -> @vip in the generation's VIP index: linear probing from the
 * key's hash to the key or the first free slot (the index has at least twice
 * as many slots as VIPs, so there is always one). A key already there gets
 * the new index, as rte_hash_add_key_data() did (sl_cfg_validate() refuses
 * duplicate VIPs, so that does not happen with a validated config).
 */
static void
vip_index_set(struct dp_gen *g, const struct sl_vip_key *key, uint32_t vip)
{
	for (uint32_t i = dp_vip_hash(dp_vip_key_words(key)) & g->vip_mask;;
		i = (i + 1) & g->vip_mask) {
		struct dp_vip_ent *e = &g->vip_index[i];
		if (e->key.family == 0 || memcmp(&e->key, key, sizeof(*key)) == 0) {
			e->key = *key;
			e->vip = vip;
			return;
		}
	}
}

void
dp_gen_free(struct dp_gen *g)
{
	if (!g)
		return;
	if (g->vips)
		for (uint32_t i = 0; i < g->n_vips; i++)
			rte_free(g->vips[i].table);
	rte_free(g->vips);
	rte_free(g->slots);
	rte_free(g->backends);
	rte_free(g->vip_index);
	sl_cfg_free(&g->cfg);
	rte_free(g);
}

struct dp_gen *
dp_gen_build(const struct sl_cfg *cfg, char *err, size_t errlen)
{
	struct dp_gen *g;
	int rc;

	if (registry_init() < 0) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	for (int i = 0; i < DP_MAX_VIP_SLOTS; i++)
		vip_slots[i].referenced = false;
	for (int i = 0; i < DP_MAX_BE_SLOTS; i++)
		be_slots[i].referenced = false;

	g = rte_zmalloc("sl_gen", sizeof(*g), RTE_CACHE_LINE_SIZE);
	if (!g)
		goto nomem;
	g->id = next_gen_id;
	g->seed = cfg->seed;
	if (sl_cfg_copy(&g->cfg, cfg) < 0)
		goto nomem;

	/* At least twice the VIPs, so that probe chains stay short and always end. */
	g->vip_mask = rte_align32pow2(RTE_MAX(2 * cfg->n_vips, 16u)) - 1;
	g->vip_index = rte_zmalloc(
		"sl_gen_vip_index", (g->vip_mask + 1) * sizeof(*g->vip_index), RTE_CACHE_LINE_SIZE);
	g->vips = rte_zmalloc(
		"sl_gen_vips", RTE_MAX(cfg->n_vips, 1u) * sizeof(*g->vips), RTE_CACHE_LINE_SIZE);
	g->slots = rte_zmalloc(
		"sl_gen_slots", DP_MAX_BE_SLOTS * sizeof(*g->slots), RTE_CACHE_LINE_SIZE);
	g->backends = rte_zmalloc(
		"sl_gen_be", DP_MAX_BE_SLOTS * sizeof(*g->backends), RTE_CACHE_LINE_SIZE);
	if (!g->vip_index || !g->vips || !g->slots || !g->backends)
		goto nomem;
	g->n_vips = cfg->n_vips;
	g->n_slots = 1;

	/* The source MAC is the egress port's: the pipeline fills it per burst. */
	memcpy(g->fwd.nexthop_mac, cfg->nexthop_mac, 6);
	g->fwd.mtu = cfg->mtu;
	g->fwd.ttl = cfg->ttl;
	g->fwd.src4_prefix = cfg->src4_prefix.v4;
	g->fwd.src4_prefix_len = cfg->src4_prefix_len;
	memcpy(g->fwd.src6_prefix, cfg->src6_prefix.b, 16);
	g->fwd.src6_prefix_len = cfg->src6_prefix_len;

	for (uint32_t i = 0; i < cfg->n_vips; i++) {
		const struct sl_cfg_vip *cv = &cfg->vips[i];
		struct dp_vip *v = &g->vips[i];
		struct sl_maglev_backend *mb = NULL;
		struct sl_vip_key key;
		uint32_t n_mb = 0;

		rc = vip_slot_get(cv);
		if (rc < 0) {
			snprintf(err, errlen, "vips[%u]: no free VIP slot (at most %d)", i,
				DP_MAX_VIP_SLOTS);
			goto fail;
		}
		v->slot = (uint32_t)rc;
		v->family = cv->family;
		v->proto = cv->proto;
		v->port = cv->port;
		v->addr = cv->addr;
		v->hash = cv->hash;
		g->has_any_port |= cv->port == 0;
		v->fwd_mode = cv->fwd_mode;
		v->table_size = cfg->table_size;
		v->table = rte_malloc(
			"sl_maglev", cfg->table_size * sizeof(uint32_t), RTE_CACHE_LINE_SIZE);
		if (!v->table)
			goto nomem;
		if (cv->n_backends) {
			mb = calloc(cv->n_backends, sizeof(*mb));
			if (!mb)
				goto nomem;
		}
		for (uint32_t b = 0; b < cv->n_backends; b++) {
			const struct sl_cfg_backend *cb = &cv->backends[b];
			rc = be_slot_get(v->slot, cb);
			if (rc < 0) {
				free(mb);
				snprintf(err, errlen, "vips[%u].backends[%u]: no free backend slot",
					i, b);
				goto fail;
			}
			struct dp_backend *db = &g->backends[rc];
			db->addr = cb->addr;
			db->family = cb->family;
			memcpy(db->mac, cb->mac, 6);
			db->vip_slot = v->slot;
			sl_encap_tmpl_init(&db->encap, &g->fwd, &cb->addr, cb->family);
			g->slots[rc].state = cb->state;
			if ((uint32_t)rc + 1 > g->n_slots)
				g->n_slots = (uint32_t)rc + 1;
			g->n_backends++;
			/* Only active backends get new flows: draining and down stay out of the
			 * table. */
			if (cb->state != SL_BACKEND_ACTIVE)
				continue;
			mb[n_mb].id.addr = cb->addr;
			mb[n_mb].id.family = cb->family;
			mb[n_mb].weight = cb->weight;
			mb[n_mb].value = (uint32_t)rc;
			n_mb++;
		}
		rc = sl_maglev_build(v->table, v->table_size, mb, n_mb, cfg->seed, err, errlen);
		/* The digest names slots by backend address, so nodes agree on it
		 * whatever slot numbers their backends got here (maglev.h). */
		if (rc == 0 &&
			sl_maglev_digest(v->table, v->table_size, mb, n_mb, &v->digest) < 0) {
			snprintf(err, errlen, "vips[%u]: out of memory digesting its table", i);
			rc = -ENOMEM;
		}
		free(mb);
		if (rc < 0)
			goto fail;

		sl_vip_key_from(&key, v->family, &v->addr, v->proto, v->port);
		vip_index_set(g, &key, i);
	}

	return g;

nomem:
	snprintf(err, errlen, "out of memory building the new generation");
fail:
	dp_gen_free(g);
	return NULL;
}

/*
 * Free slots the new generation no longer references (bumping their epochs),
 * then fill the new generation's slot array from the registry. Main lcore only.
 */
static void
gen_commit_slots(struct dp_gen *g)
{
	for (int i = 0; i < DP_MAX_VIP_SLOTS; i++)
		if (vip_slots[i].in_use && !vip_slots[i].referenced)
			vip_slots[i].in_use = false;
	for (uint32_t i = 1; i < DP_MAX_BE_SLOTS; i++) {
		struct be_slot *s = &be_slots[i];
		if (s->in_use && !s->referenced) {
			s->in_use = false;
			s->epoch++;
		}
		if (i < g->n_slots) {
			g->slots[i].epoch = s->epoch;
			if (!s->in_use || !s->referenced)
				g->slots[i].state = SL_BACKEND_DOWN;
		}
	}
	/* Slot 0 is "none": never valid. */
	g->slots[0].state = SL_BACKEND_DOWN;
	g->slots[0].epoch = UINT32_MAX;
}

int
dp_gen_apply(const struct sl_cfg *cfg, char *err, size_t errlen)
{
	struct dp_gen *old = __atomic_load_n(&dp.gen, __ATOMIC_RELAXED);
	struct dp_gen *g;
	int rc;

	rc = sl_cfg_validate(cfg, err, errlen);
	if (rc < 0)
		return rc;
	if (old && cfg->flow_capacity != old->cfg.flow_capacity) {
		snprintf(err, errlen,
			"flow_capacity: cannot change while running (running %u, asked %u); "
			"restart sluice-dp",
			old->cfg.flow_capacity, cfg->flow_capacity);
		return -EINVAL;
	}
	if (old && (cfg->syn_cap != old->cfg.syn_cap || memcmp(cfg->timeout_s, old->cfg.timeout_s,
								sizeof(cfg->timeout_s)) != 0)) {
		snprintf(err, errlen, "%s: cannot change while running; restart sluice-dp",
			cfg->syn_cap != old->cfg.syn_cap ? "syn_cap" : "timeouts");
		return -EINVAL;
	}

	g = dp_gen_build(cfg, err, errlen);
	if (!g)
		return -EINVAL;
	gen_commit_slots(g);
	next_gen_id++;

	/* VIPs going away leave the XDP map before the dataplane forgets them. */
	dp_xdp_sync_vips(g, false);
	/*
	 * Release: every store that built g happens-before a worker's acquire
	 * load sees the pointer; workers never see a half-built generation.
	 */
	__atomic_store_n(&dp.gen, g, __ATOMIC_RELEASE);
	if (old) {
		/* Wait until no worker can still hold the old pointer, then free it. */
		rte_rcu_qsbr_synchronize(dp.qsv, RTE_QSBR_THRID_INVALID);
		dp_gen_free(old);
	}
	dp_xdp_sync_vips(g, true);
	RTE_LOG(INFO, SL_GEN, "generation %lu active: %u VIPs, %u backends\n", (unsigned long)g->id,
		g->n_vips, g->n_backends);
	return 0;
}
