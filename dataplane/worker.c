/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A worker lcore: polls its RX queue on every port, runs the pipeline on each
 * burst, buffers TX per port and drains it on a TSC timer, reports a
 * quiescent state to RCU once per loop, and backs off when idle.
 */
#include <errno.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_pause.h>

#include "dp.h"

struct dp_worker *
dp_worker_create(unsigned int id, unsigned int lcore, const struct sl_cfg *cfg)
{
	int socket = (int)rte_lcore_to_socket_id(lcore);
	struct sl_ct_config ctc;
	struct dp_worker *w;
	void *mem;

	w = rte_zmalloc_socket("sl_worker", sizeof(*w), RTE_CACHE_LINE_SIZE, socket);
	if (!w)
		return NULL;
	w->id = id;
	w->lcore = lcore;

	sl_ct_config_default(&ctc);
	ctc.capacity = cfg->flow_capacity;
	ctc.syn_cap = cfg->syn_cap;
	ctc.seed = cfg->seed;
	for (int s = 0; s < SL_CT_STATE_MAX; s++)
		ctc.timeout_ms[s] = cfg->timeout_s[s] * 1000u;
	size_t sz = sl_ct_mem_size(ctc.capacity);
	mem = sz ? rte_zmalloc_socket("sl_ct", sz, RTE_CACHE_LINE_SIZE, socket) : NULL;
	w->ct = mem ? sl_ct_init(mem, &ctc) : NULL;
	w->vip_ctr = rte_zmalloc_socket(
		"sl_vip_ctr", DP_MAX_VIP_SLOTS * sizeof(*w->vip_ctr), RTE_CACHE_LINE_SIZE, socket);
	w->be_ctr = rte_zmalloc_socket(
		"sl_be_ctr", DP_MAX_BE_SLOTS * sizeof(*w->be_ctr), RTE_CACHE_LINE_SIZE, socket);
	w->be_new_flows = rte_zmalloc_socket(
		"sl_be_new", DP_MAX_BE_SLOTS * sizeof(uint64_t), RTE_CACHE_LINE_SIZE, socket);
	if (!w->ct || !w->vip_ctr || !w->be_ctr || !w->be_new_flows) {
		rte_free(mem);
		rte_free(w->vip_ctr);
		rte_free(w->be_ctr);
		rte_free(w->be_new_flows);
		rte_free(w);
		errno = ENOMEM;
		return NULL;
	}
	return w;
}

static inline void
tx_flush(struct dp_worker *w, uint16_t port_idx)
{
	struct dp_txbuf *t = &w->tx[port_idx];
	uint16_t port = dp.ports[port_idx];
	uint16_t sent = 0;

	if (t->n == 0)
		return;
	/* A couple of retries absorb a momentarily full ring; then count and drop. */
	for (int tries = 0; tries < 4 && sent < t->n; tries++)
		sent += rte_eth_tx_burst(port, (uint16_t)w->id, t->pkts + sent, t->n - sent);
	for (uint16_t i = 0; i < sent; i++)
		w->st.tx_bytes += t->pkts[i]->pkt_len;
	w->st.tx_packets += sent;
	if (sent < t->n) {
		w->st.drops[DP_DROP_TX_FULL] += t->n - sent;
		rte_pktmbuf_free_bulk(t->pkts + sent, t->n - sent);
	}
	t->n = 0;
}

static inline void
tx_one(struct dp_worker *w, uint16_t port_idx, struct rte_mbuf *m)
{
	struct dp_txbuf *t = &w->tx[port_idx];

	t->pkts[t->n++] = m;
	if (t->n == DP_BURST)
		tx_flush(w, port_idx);
}

/* Hand non-VIP packets to the kernel (PMD mode), and the kernel's answers back out. */
static inline void
exception_out(struct dp_worker *w, struct rte_mbuf *m)
{
	if (rte_eth_tx_burst((uint16_t)dp.exception_port, (uint16_t)w->id, &m, 1) != 1) {
		w->st.drops[DP_DROP_TX_FULL]++;
		rte_pktmbuf_free(m);
	}
}

static inline uint32_t
now_ms(void)
{
	return (uint32_t)((rte_get_tsc_cycles() - dp.start_tsc) / (rte_get_tsc_hz() / 1000));
}

int
dp_worker_main(void *arg)
{
	struct dp_worker *w = arg;
	struct rte_mbuf *pkts[DP_BURST];
	struct dp_out out;
	uint32_t idle = 0;

	rte_rcu_qsbr_thread_register(dp.qsv, w->id);
	rte_rcu_qsbr_thread_online(dp.qsv, w->id);
	w->last_drain = rte_rdtsc();

	while (!__atomic_load_n(&dp.quit, __ATOMIC_RELAXED)) {
		/* Acquire pairs with the release store in dp_gen_apply(). */
		const struct dp_gen *g = __atomic_load_n(&dp.gen, __ATOMIC_ACQUIRE);
		uint32_t now = now_ms();
		uint16_t got = 0;

		for (uint16_t p = 0; p < dp.n_ports; p++) {
			uint16_t n = rte_eth_rx_burst(dp.ports[p], (uint16_t)w->id, pkts, DP_BURST);
			if (n == 0)
				continue;
			got += n;
			out.n = 0;
			dp_pipeline(w, g, p, pkts, n, &out, now);
			for (uint16_t i = 0; i < out.n; i++) {
				if (out.port[i] == UINT16_MAX)
					exception_out(w, out.pkts[i]);
				else
					tx_one(w, out.port[i], out.pkts[i]);
			}
		}
		/* The kernel's side of the exception path: worker 0 carries it to port 0. */
		if (dp.exception_port >= 0 && w->id == 0) {
			uint16_t n =
				rte_eth_rx_burst((uint16_t)dp.exception_port, 0, pkts, DP_BURST);
			for (uint16_t i = 0; i < n; i++)
				tx_one(w, 0, pkts[i]);
			got += n;
		}

		uint64_t tsc = rte_rdtsc();
		if (tsc - w->last_drain > dp.drain_tsc) {
			for (uint16_t p = 0; p < dp.n_ports; p++)
				tx_flush(w, p);
			w->last_drain = tsc;
		}

		/* Clear a few expired connection-tracking ways per loop (see sl_ct_sweep()). */
		sl_ct_sweep(w->ct, now, 16);

		/* Done with g for this loop: the main lcore may now free older generations. */
		rte_rcu_qsbr_quiescent(dp.qsv, w->id);

		if (got) {
			idle = 0;
			continue;
		}
		if (dp.idle_sleep_us == 0 || ++idle < dp.idle_polls) {
			rte_pause();
			continue;
		}
		/*
		 * Idle long enough: sleep briefly. Go offline first so a config
		 * change does not wait for us, and flush what is buffered.
		 */
		for (uint16_t p = 0; p < dp.n_ports; p++)
			tx_flush(w, p);
		rte_rcu_qsbr_thread_offline(dp.qsv, w->id);
		usleep(dp.idle_sleep_us);
		rte_rcu_qsbr_thread_online(dp.qsv, w->id);
		w->st.idle_sleeps++;
	}

	for (uint16_t p = 0; p < dp.n_ports; p++)
		tx_flush(w, p);
	rte_rcu_qsbr_thread_offline(dp.qsv, w->id);
	rte_rcu_qsbr_thread_unregister(dp.qsv, w->id);
	return 0;
}
