/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Statistics through DPDK telemetry, readable with dpdk-telemetry.py
 * (-f PREFIX when sluice-dp runs with --file-prefix PREFIX):
 *
 *   /sluice/info              generation, workers, ports, VIPs, backends, uptime
 *   /sluice/workers           per worker: rx/tx packets and bytes, forwarded, new flows, ...
 *   /sluice/drops             drops by reason, summed over workers (parse verdicts as parse_*)
 *   /sluice/conntrack         entries, lookups, hits, misses, inserts, evictions, SYN-cap refusals
 *   /sluice/vips              "vipN" -> ["address/proto/port", packets, bytes, backends,
 *                             Maglev table digest as 16 hex digits (see maglev.h)]
 *   /sluice/backends,N        the backends of VIP N (the N of "vipN"):
 *                             "backendS" -> ["address", packets, bytes, new flows, state]
 *
 * (Telemetry dictionary names may hold only letters, digits, '_' and '/', so
 * addresses go in the values and names carry the index or slot.)
 *
 * Counters are per worker and written only by their worker; these callbacks
 * run on the telemetry thread and read them without synchronisation. On
 * x86-64 an aligned 64-bit load is atomic, so a value may be a moment stale
 * but is never torn.
 */
#include <arpa/inet.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>

#include <rte_cycles.h>
#include <rte_telemetry.h>

#include "dp.h"

static const char *const drop_names[DP_DROP_MAX] = {
	[DP_DROP_PARSE] = "parse",
	[DP_DROP_NOT_VIP] = "not_vip",
	[DP_DROP_NO_BACKEND] = "no_backend",
	[DP_DROP_FRAGMENT] = "fragment",
	[DP_DROP_TTL_EXCEEDED] = "ttl_exceeded",
	[DP_DROP_TOO_BIG] = "too_big",
	[DP_DROP_NO_HEADROOM] = "no_headroom",
	[DP_DROP_FAMILY] = "family_mismatch",
	[DP_DROP_ICMP_NO_FLOW] = "icmp_no_flow",
	[DP_DROP_TX_FULL] = "tx_full",
	[DP_DROP_NO_EXCEPTION] = "no_exception_port",
	[DP_DROP_SEGMENTED] = "segmented",
};

const char *
dp_drop_name(enum dp_drop d)
{
	return (unsigned)d < DP_DROP_MAX ? drop_names[d] : "unknown";
}

static uint32_t
uptime_s(void)
{
	return (uint32_t)((rte_get_tsc_cycles() - dp.start_tsc) / rte_get_tsc_hz());
}

static int
tel_info(const char *cmd, const char *params, struct rte_tel_data *d)
{
	const struct dp_gen *g = __atomic_load_n(&dp.gen, __ATOMIC_ACQUIRE);

	(void)cmd;
	(void)params;
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_u64(d, "generation", g ? g->id : 0);
	rte_tel_data_add_dict_int(d, "workers", (int)dp.n_workers);
	rte_tel_data_add_dict_int(d, "ports", dp.n_ports);
	rte_tel_data_add_dict_int(d, "vips", g ? (int)g->n_vips : 0);
	rte_tel_data_add_dict_int(d, "backends", g ? (int)g->n_backends : 0);
	rte_tel_data_add_dict_u64(d, "uptime_s", uptime_s());
	return 0;
}

static int
tel_workers(const char *cmd, const char *params, struct rte_tel_data *d)
{
	(void)cmd;
	(void)params;
	rte_tel_data_start_dict(d);
	for (unsigned i = 0; i < dp.n_workers; i++) {
		const struct dp_stats *s = &dp.workers[i]->st;
		struct rte_tel_data *a = rte_tel_data_alloc();
		char name[32];
		if (!a)
			return -ENOMEM;
		/* [rx_packets, rx_bytes, tx_packets, tx_bytes, forwarded, new_flows,
		 *  icmp_forwarded, icmp_sent, exception, idle_sleeps] */
		rte_tel_data_start_array(a, RTE_TEL_U64_VAL);
		const uint64_t v[] = {s->rx_packets, s->rx_bytes, s->tx_packets, s->tx_bytes,
			s->forwarded, s->new_flows, s->icmp_forwarded, s->icmp_sent, s->exception,
			s->idle_sleeps};
		for (size_t k = 0; k < RTE_DIM(v); k++)
			rte_tel_data_add_array_u64(a, v[k]);
		snprintf(name, sizeof(name), "worker%u", i);
		rte_tel_data_add_dict_container(d, name, a, 0);
	}
	rte_tel_data_add_dict_string(d, "fields",
		"rx_packets rx_bytes tx_packets tx_bytes forwarded new_flows icmp_forwarded "
		"icmp_sent exception idle_sleeps");
	return 0;
}

static int
tel_drops(const char *cmd, const char *params, struct rte_tel_data *d)
{
	uint64_t tot[DP_DROP_MAX] = {0}, ptot[SL_PARSE_VERDICT_MAX] = {0};
	char name[64];

	(void)cmd;
	(void)params;
	for (unsigned i = 0; i < dp.n_workers; i++) {
		for (int r = 0; r < DP_DROP_MAX; r++)
			tot[r] += dp.workers[i]->st.drops[r];
		for (int r = 0; r < SL_PARSE_VERDICT_MAX; r++)
			ptot[r] += dp.workers[i]->st.parse_drops[r];
	}
	rte_tel_data_start_dict(d);
	for (int r = 1; r < SL_PARSE_VERDICT_MAX; r++)
		tot[DP_DROP_PARSE] += ptot[r];
	for (int r = 0; r < DP_DROP_MAX; r++)
		rte_tel_data_add_dict_u64(d, drop_names[r], tot[r]);
	for (int r = 1; r < SL_PARSE_VERDICT_MAX; r++) {
		if (r == SL_PARSE_NOT_IP)
			continue;
		snprintf(name, sizeof(name), "parse_%s", sl_parse_verdict_name(r));
		rte_tel_data_add_dict_u64(d, name, ptot[r]);
	}
	return 0;
}

static int
tel_conntrack(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct sl_ct_stats t = {0};
	uint64_t entries = 0, capacity = 0;

	(void)cmd;
	(void)params;
	for (unsigned i = 0; i < dp.n_workers; i++) {
		const struct sl_ct_stats *s = sl_ct_stats(dp.workers[i]->ct);
		t.lookups += s->lookups;
		t.hits += s->hits;
		t.misses += s->misses;
		t.inserts += s->inserts;
		t.evictions += s->evictions;
		t.expired += s->expired;
		t.syn_cap_refused += s->syn_cap_refused;
		capacity += sl_ct_capacity(dp.workers[i]->ct);
		/* A walk over a table its worker is writing: approximate, and fine for stats. */
		entries += sl_ct_count(
			dp.workers[i]->ct, (uint32_t)((rte_get_tsc_cycles() - dp.start_tsc) /
						      (rte_get_tsc_hz() / 1000)));
	}
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_u64(d, "entries", entries);
	rte_tel_data_add_dict_u64(d, "capacity", capacity);
	rte_tel_data_add_dict_u64(d, "lookups", t.lookups);
	rte_tel_data_add_dict_u64(d, "hits", t.hits);
	rte_tel_data_add_dict_u64(d, "misses", t.misses);
	rte_tel_data_add_dict_u64(d, "inserts", t.inserts);
	rte_tel_data_add_dict_u64(d, "evictions", t.evictions);
	rte_tel_data_add_dict_u64(d, "expired_reused", t.expired);
	rte_tel_data_add_dict_u64(d, "syn_cap_refused", t.syn_cap_refused);
	return 0;
}

static const char *
proto_name(uint8_t p)
{
	return p == IPPROTO_TCP ? "tcp" : p == IPPROTO_UDP ? "udp" : "?";
}

static void
addr_str(const union sl_ip *a, uint8_t family, char *buf, size_t len)
{
	inet_ntop(family == SL_FAMILY_IPV6 ? AF_INET6 : AF_INET, a->b, buf, (socklen_t)len);
}

/* Append a u64 to a string array (values of mixed types share one array). */
static void
add_u64_str(struct rte_tel_data *arr, uint64_t v)
{
	char num[24];
	snprintf(num, sizeof(num), "%lu", (unsigned long)v);
	rte_tel_data_add_array_string(arr, num);
}

static int
tel_vips(const char *cmd, const char *params, struct rte_tel_data *d)
{
	const struct dp_gen *g = __atomic_load_n(&dp.gen, __ATOMIC_ACQUIRE);
	char a[INET6_ADDRSTRLEN], str[RTE_TEL_MAX_STRING_LEN], name[32];

	(void)cmd;
	(void)params;
	rte_tel_data_start_dict(d);
	for (uint32_t i = 0; g && i < g->n_vips && i < RTE_TEL_MAX_DICT_ENTRIES; i++) {
		const struct dp_vip *v = &g->vips[i];
		struct dp_counter c = {0};
		for (unsigned w = 0; w < dp.n_workers; w++) {
			c.packets += dp.workers[w]->vip_ctr[v->slot].packets;
			c.bytes += dp.workers[w]->vip_ctr[v->slot].bytes;
		}
		struct rte_tel_data *arr = rte_tel_data_alloc();
		if (!arr)
			return -ENOMEM;
		rte_tel_data_start_array(arr, RTE_TEL_STRING_VAL);
		addr_str(&v->addr, v->family, a, sizeof(a));
		snprintf(str, sizeof(str), "%s/%s/%u", a, proto_name(v->proto), v->port);
		rte_tel_data_add_array_string(arr, str);
		add_u64_str(arr, c.packets);
		add_u64_str(arr, c.bytes);
		add_u64_str(arr, g->cfg.vips[i].n_backends);
		snprintf(str, sizeof(str), "%016" PRIx64, v->digest);
		rte_tel_data_add_array_string(arr, str);
		snprintf(name, sizeof(name), "vip%u", i);
		rte_tel_data_add_dict_container(d, name, arr, 0);
	}
	return 0;
}

static int
tel_backends(const char *cmd, const char *params, struct rte_tel_data *d)
{
	static const char *const states[] = {"active", "draining", "down"};
	const struct dp_gen *g = __atomic_load_n(&dp.gen, __ATOMIC_ACQUIRE);
	char a[INET6_ADDRSTRLEN], name[32];
	char *end;

	(void)cmd;
	if (!params || !*params)
		return -EINVAL;
	unsigned long vi = strtoul(params, &end, 10);
	if (*end || !g || vi >= g->n_vips)
		return -EINVAL;
	const struct dp_vip *v = &g->vips[vi];
	rte_tel_data_start_dict(d);
	for (uint32_t s = 1; s < g->n_slots; s++) {
		const struct dp_backend *b = &g->backends[s];
		if (b->vip_slot != v->slot || g->slots[s].state >= SL_BACKEND_STATE_MAX ||
			b->family == SL_FAMILY_NONE)
			continue;
		uint64_t pk = 0, by = 0, nf = 0;
		for (unsigned w = 0; w < dp.n_workers; w++) {
			pk += dp.workers[w]->be_ctr[s].packets;
			by += dp.workers[w]->be_ctr[s].bytes;
			nf += dp.workers[w]->be_new_flows[s];
		}
		struct rte_tel_data *arr = rte_tel_data_alloc();
		if (!arr)
			return -ENOMEM;
		rte_tel_data_start_array(arr, RTE_TEL_STRING_VAL);
		addr_str(&b->addr, b->family, a, sizeof(a));
		rte_tel_data_add_array_string(arr, a);
		add_u64_str(arr, pk);
		add_u64_str(arr, by);
		add_u64_str(arr, nf);
		rte_tel_data_add_array_string(arr, states[g->slots[s].state]);
		snprintf(name, sizeof(name), "backend%u", s);
		rte_tel_data_add_dict_container(d, name, arr, 0);
	}
	return 0;
}

int
dp_telemetry_register(void)
{
	int rc = 0;

	rc |= rte_telemetry_register_cmd("/sluice/info", tel_info,
		"Generation, workers, ports, VIPs, backends, uptime. No parameters");
	rc |= rte_telemetry_register_cmd("/sluice/workers", tel_workers,
		"Per-worker counters (see 'fields'). No parameters");
	rc |= rte_telemetry_register_cmd(
		"/sluice/drops", tel_drops, "Drops by reason, summed over workers. No parameters");
	rc |= rte_telemetry_register_cmd("/sluice/conntrack", tel_conntrack,
		"Connection tracking, summed over workers. No parameters");
	rc |= rte_telemetry_register_cmd("/sluice/vips", tel_vips,
		"VIPs: vipN -> [address/proto/port, packets, bytes, backends, table digest]. "
		"No parameters");
	rc |= rte_telemetry_register_cmd("/sluice/backends", tel_backends,
		"Backends of VIP N: backendS -> [address, packets, bytes, new_flows, state]. "
		"Parameter: N");
	return rc ? -EINVAL : 0;
}
