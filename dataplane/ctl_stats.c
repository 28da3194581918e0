/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The control socket's STATS request (include/sluice/ctl.h): the counters
 * sluiced turns into metrics, as one JSON document. Runs on the main lcore,
 * off the packet path: it reads the workers' counters as telemetry.c does
 * (each written by one worker only; an aligned 64-bit load is never torn,
 * at worst a moment stale), and reads the generation that the main lcore
 * itself publishes and frees, so no RCU section is needed.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>

#include <jansson.h>
#include <rte_cycles.h>

#include "dp.h"

static void
addr_str(const union sl_ip *a, uint8_t family, char *buf, size_t len)
{
	inet_ntop(family == SL_FAMILY_IPV6 ? AF_INET6 : AF_INET, a->b, buf, (socklen_t)len);
}

/* Per VIP: address, protocol, port, packets, bytes, and its backends. */
static json_t *
stats_vips(const struct dp_gen *g)
{
	static const char *const states[] = {"active", "draining", "down"};
	int32_t *by_slot = malloc(DP_MAX_VIP_SLOTS * sizeof(*by_slot));
	json_t *vips = json_array(), *bes = NULL;
	char a[INET6_ADDRSTRLEN];

	if (!by_slot || !vips)
		goto fail;
	for (int i = 0; i < DP_MAX_VIP_SLOTS; i++)
		by_slot[i] = -1;
	for (uint32_t i = 0; i < g->n_vips; i++) {
		const struct dp_vip *v = &g->vips[i];
		uint64_t pk = 0, by = 0;

		for (unsigned w = 0; w < dp.n_workers; w++) {
			pk += dp.workers[w]->vip_ctr[v->slot].packets;
			by += dp.workers[w]->vip_ctr[v->slot].bytes;
		}
		addr_str(&v->addr, v->family, a, sizeof(a));
		by_slot[v->slot] = (int32_t)i;
		if (json_array_append_new(
			    vips, json_pack("{s:s, s:s, s:i, s:I, s:I, s:[]}", "address", a,
					  "protocol", v->proto == IPPROTO_UDP ? "udp" : "tcp",
					  "port", (int)v->port, "packets", (json_int_t)pk, "bytes",
					  (json_int_t)by, "backends")) < 0)
			goto fail;
	}
	/* One pass over the backend slots, each appended to its VIP. */
	for (uint32_t s = 1; s < g->n_slots; s++) {
		const struct dp_backend *b = &g->backends[s];
		uint64_t pk = 0, by = 0, nf = 0;
		int32_t vi;

		if (g->slots[s].state >= SL_BACKEND_STATE_MAX || b->family == SL_FAMILY_NONE ||
			b->vip_slot >= DP_MAX_VIP_SLOTS || (vi = by_slot[b->vip_slot]) < 0)
			continue;
		for (unsigned w = 0; w < dp.n_workers; w++) {
			pk += dp.workers[w]->be_ctr[s].packets;
			by += dp.workers[w]->be_ctr[s].bytes;
			nf += dp.workers[w]->be_new_flows[s];
		}
		addr_str(&b->addr, b->family, a, sizeof(a));
		bes = json_object_get(json_array_get(vips, (size_t)vi), "backends");
		if (json_array_append_new(
			    bes, json_pack("{s:s, s:I, s:I, s:I, s:s}", "address", a, "packets",
					 (json_int_t)pk, "bytes", (json_int_t)by, "new_flows",
					 (json_int_t)nf, "state", states[g->slots[s].state])) < 0)
			goto fail;
	}
	free(by_slot);
	return vips;
fail:
	free(by_slot);
	json_decref(vips);
	return NULL;
}

/* Drops by reason summed over workers; parse failures also by verdict (parse_*). */
static json_t *
stats_drops(void)
{
	uint64_t tot[DP_DROP_MAX] = {0}, ptot[SL_PARSE_VERDICT_MAX] = {0};
	json_t *d = json_object();
	char name[64];

	for (unsigned i = 0; i < dp.n_workers; i++) {
		for (int r = 0; r < DP_DROP_MAX; r++)
			tot[r] += dp.workers[i]->st.drops[r];
		for (int r = 0; r < SL_PARSE_VERDICT_MAX; r++)
			ptot[r] += dp.workers[i]->st.parse_drops[r];
	}
	for (int r = 1; r < SL_PARSE_VERDICT_MAX; r++)
		tot[DP_DROP_PARSE] += ptot[r];
	for (int r = 0; d && r < DP_DROP_MAX; r++)
		json_object_set_new(d, dp_drop_name(r), json_integer((json_int_t)tot[r]));
	for (int r = 1; d && r < SL_PARSE_VERDICT_MAX; r++) {
		if (r == SL_PARSE_NOT_IP)
			continue;
		snprintf(name, sizeof(name), "parse_%s", sl_parse_verdict_name(r));
		json_object_set_new(d, name, json_integer((json_int_t)ptot[r]));
	}
	return d;
}

/* Per worker: packet counters and connection-tracking use. */
static json_t *
stats_workers(void)
{
	uint32_t now_ms =
		(uint32_t)((rte_get_tsc_cycles() - dp.start_tsc) / (rte_get_tsc_hz() / 1000));
	json_t *a = json_array();

	for (unsigned i = 0; a && i < dp.n_workers; i++) {
		const struct dp_worker *w = dp.workers[i];

		/* A walk over a table its worker is writing: approximate, fine for stats. */
		json_array_append_new(
			a, json_pack("{s:i, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "worker",
				   (int)i, "rx_packets", (json_int_t)w->st.rx_packets, "rx_bytes",
				   (json_int_t)w->st.rx_bytes, "tx_packets",
				   (json_int_t)w->st.tx_packets, "tx_bytes",
				   (json_int_t)w->st.tx_bytes, "forwarded",
				   (json_int_t)w->st.forwarded, "new_flows",
				   (json_int_t)w->st.new_flows, "conntrack_entries",
				   (json_int_t)sl_ct_count(w->ct, now_ms), "conntrack_capacity",
				   (json_int_t)sl_ct_capacity(w->ct)));
	}
	return a;
}

json_t *
dp_ctl_stats(void)
{
	const struct dp_gen *g = __atomic_load_n(&dp.gen, __ATOMIC_ACQUIRE);
	json_t *vips = stats_vips(g), *drops = stats_drops(), *workers = stats_workers();

	if (!vips || !drops || !workers) {
		json_decref(vips);
		json_decref(drops);
		json_decref(workers);
		return NULL;
	}
	/* "o" hands the three over to the result, even on failure. */
	return json_pack("{s:b, s:I, s:I, s:o, s:o, s:o}", "ok", 1, "generation", (json_int_t)g->id,
		"uptime_s", (json_int_t)((rte_get_tsc_cycles() - dp.start_tsc) / rte_get_tsc_hz()),
		"vips", vips, "drops", drops, "workers", workers);
}
