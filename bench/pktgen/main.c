/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sluice-pktgen: a DPDK traffic generator for benchmarking Sluice.
 *
 *   sluice-pktgen [EAL options] -- [options]
 *
 * Every worker lcore is one TX+RX thread on its own queue of one port; the
 * main lcore only runs trials (publishes them, waits, sums). See
 * docs/benchmarks.md for the method and the profile format.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>

#include "cli.h"

#define NB_DESC 1024

static int
port_setup(uint16_t port, unsigned n_threads, struct rte_mempool *pool, double wait_s)
{
	struct rte_eth_conf conf = {0};
	struct rte_eth_dev_info info;
	uint16_t nb_rxd = NB_DESC, nb_txd = NB_DESC;
	int rc;

	if (!rte_eth_dev_is_valid_port(port)) {
		fprintf(stderr, "sluice-pktgen: no port %u (add one with --vdev or -a)\n", port);
		return -ENODEV;
	}
	if ((rc = rte_eth_dev_info_get(port, &info)) < 0)
		return rc;
	if (info.max_rx_queues < n_threads || info.max_tx_queues < n_threads) {
		fprintf(stderr,
			"sluice-pktgen: port %u (%s) has %u RX / %u TX queues, %u threads "
			"need one each\n",
			port, info.driver_name, info.max_rx_queues, info.max_tx_queues, n_threads);
		return -EINVAL;
	}
	if ((rc = rte_eth_dev_configure(port, (uint16_t)n_threads, (uint16_t)n_threads, &conf)) < 0)
		return rc;
	if ((rc = rte_eth_dev_adjust_nb_rx_tx_desc(port, &nb_rxd, &nb_txd)) < 0)
		return rc;
	for (uint16_t q = 0; q < n_threads; q++) {
		rc = rte_eth_rx_queue_setup(
			port, q, nb_rxd, rte_eth_dev_socket_id(port), NULL, pool);
		if (rc < 0)
			return rc;
		rc = rte_eth_tx_queue_setup(port, q, nb_txd, rte_eth_dev_socket_id(port), NULL);
		if (rc < 0)
			return rc;
	}
	if ((rc = rte_eth_dev_start(port)) < 0)
		return rc;
	/* memif: the link is up once the peer is connected. */
	uint64_t deadline =
		rte_get_timer_cycles() + (uint64_t)(wait_s * (double)rte_get_timer_hz());
	for (;;) {
		struct rte_eth_link link;
		if (rte_eth_link_get_nowait(port, &link) == 0 && link.link_status)
			return 0;
		if (rte_get_timer_cycles() > deadline) {
			fprintf(stderr, "sluice-pktgen: port %u: link still down after %g s\n",
				port, wait_s);
			return -ETIMEDOUT;
		}
		usleep(10000);
	}
}

int
main(int argc, char **argv)
{
	struct pg_cli c = {
		.o = {.duration_s = 1,
			.resolution = 0.01,
			.max_trials = 12,
			.flat_trials = 1,
			.pdr_loss = 0.001,
			.drain_quiet_ms = 10,
			.drain_max_ms = 200},
		.link_wait_s = 15,
		.dst_mac = {0x02, 0x50, 0x47, 0, 0, 0x02},
	};
	struct pg_profile *prof = NULL;
	struct rte_mempool *pool = NULL;
	struct pg_run r = {0};
	char err[PG_ERR_LEN];
	int rc, status = 1;

	pg_stream_default(&c.one);
	/* --help needs no EAL (nor hugepages): look for it before EAL init. */
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			pg_cli_usage(stdout);
			return 0;
		}
	}
	rc = rte_eal_init(argc, argv);
	if (rc < 0) {
		fprintf(stderr, "sluice-pktgen: EAL init failed: %s\n", rte_strerror(rte_errno));
		return 1;
	}
	argc -= rc;
	argv += rc;
	if (pg_cli_parse(argc, argv, &c) < 0) {
		status = 2;
		goto out_eal;
	}
	c.o.tsc_hz = rte_get_tsc_hz();

	prof = calloc(1, sizeof(*prof));
	r.trials = calloc(PG_MAX_TRIALS, sizeof(*r.trials));
	if (!prof || !r.trials) {
		fprintf(stderr, "sluice-pktgen: out of memory\n");
		goto out_eal;
	}
	if (c.profile) {
		rc = pg_profile_load(prof, c.profile, err, sizeof(err));
	} else {
		memcpy(prof->src_mac, (uint8_t[]){0x02, 0x50, 0x47, 0, 0, 0x01}, 6);
		snprintf(c.one.name, sizeof(c.one.name), "%s", pg_type_name(c.one.type));
		prof->n_streams = 1;
		prof->streams[0] = c.one;
		memcpy(prof->dst_mac, c.dst_mac, 6);
		rc = pg_profile_finish(prof, err, sizeof(err));
	}
	if (rc < 0) {
		fprintf(stderr, "sluice-pktgen: %s%s\n", c.profile ? "" : "options: ", err);
		status = 2;
		goto out;
	}
	if (c.have_mac)
		for (unsigned i = 0; i < prof->n_streams; i++)
			for (unsigned k = 0; k < prof->streams[i].n_sizes; k++)
				memcpy(prof->streams[i].tmpl[k]->bytes, c.dst_mac, 6);

	unsigned n_threads = rte_lcore_count() - 1;
	if (n_threads == 0 || n_threads > PG_MAX_THREADS) {
		fprintf(stderr,
			"sluice-pktgen: give 1..%d worker lcores besides the main one "
			"(e.g. -l 0,1 or --lcores 0@0,1@0)\n",
			PG_MAX_THREADS);
		goto out;
	}
	/* Rings up to 4096 deep each way per queue (memif rsize=12; zero-copy fills its RX
	 * ring with our mbufs), bursts in hand, per-lcore caches. */
	unsigned n_mbufs = n_threads * (2 * 4096 + 8 * PG_BURST + 512) + 8192;
	pool = rte_pktmbuf_pool_create(
		"pg_mbufs", n_mbufs, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE, (int)rte_socket_id());
	if (!pool) {
		fprintf(stderr, "sluice-pktgen: mbuf pool: %s (hugepages set up?)\n",
			rte_strerror(rte_errno));
		goto out;
	}
	rc = port_setup(c.port, n_threads, pool, c.link_wait_s);
	if (rc < 0) {
		if (rc != -ETIMEDOUT && rc != -ENODEV && rc != -EINVAL)
			fprintf(stderr, "sluice-pktgen: port %u: %s\n", c.port, rte_strerror(-rc));
		goto out;
	}
	struct rte_ether_addr mac;
	rte_eth_macaddr_get(c.port, &mac);
	for (unsigned i = 0; i < prof->n_streams; i++)
		for (unsigned k = 0; k < prof->streams[i].n_sizes; k++)
			memcpy(prof->streams[i].tmpl[k]->bytes + 6, mac.addr_bytes, 6);

	pg_ctl.n_threads = n_threads;
	unsigned lcore, ti = 0;
	RTE_LCORE_FOREACH_WORKER (lcore) {
		struct pg_thread *th = rte_zmalloc_socket("pg_thread", sizeof(*th),
			RTE_CACHE_LINE_SIZE, (int)rte_lcore_to_socket_id(lcore));
		if (!th) {
			fprintf(stderr, "sluice-pktgen: out of memory\n");
			goto out_port;
		}
		pg_ctl.th[ti] = th;
		th->lcore = lcore;
		th->port = c.port;
		th->queue = (uint16_t)ti;
		th->pool = pool;
		rc = pg_thread_init(th, ti, n_threads, prof, c.count_flows);
		if (rc < 0) {
			fprintf(stderr, "sluice-pktgen: thread %u: %s\n", ti,
				rc == -ERANGE ? "a stream has fewer flows than there are threads"
					      : strerror(-rc));
			goto out_port;
		}
		ti++;
	}
	ti = 0;
	RTE_LCORE_FOREACH_WORKER (lcore)
		rte_eal_remote_launch(pg_thread_main, pg_ctl.th[ti++], lcore);

	bool json_stdout = c.json && strcmp(c.json, "-") == 0;
	r.c = &c;
	r.p = prof;
	r.out = c.quiet ? NULL : (c.o.sync || json_stdout ? stderr : stdout);
	if (r.out)
		pg_table_header(r.out);
	json_t *result = json_object();
	rc = pg_run_trials(&r, result);

	/*
	 * --sync: say so and wait for a line before the threads stop polling RX,
	 * so that the caller can let the peer settle (take in what is still on
	 * the link, send back what it holds) and read its counters first.
	 */
	if (c.o.sync && rc == 0) {
		char line[64];
		printf("{\"event\": \"done\"}\n");
		fflush(stdout);
		if (!fgets(line, sizeof(line), stdin))
			rc = -EPIPE;
	}

	/* Stop the threads. */
	memset(&pg_ctl.cmd, 0, sizeof(pg_ctl.cmd));
	pg_ctl.cmd.kind = PG_CMD_QUIT;
	__atomic_add_fetch(&pg_ctl.seq, 1, __ATOMIC_RELEASE);
	rte_eal_mp_wait_lcore();
	/*
	 * --sync: nothing polls the port now; the caller may stop the peer before
	 * this end of the link goes away. (DPDK 22.11's memif unmaps the shared
	 * regions when the peer disconnects, under a worker that may still be
	 * polling them: a server whose client leaves mid-poll can crash.)
	 */
	if (c.o.sync && rc == 0) {
		char line[64];
		printf("{\"event\": \"stopped\"}\n");
		fflush(stdout);
		if (!fgets(line, sizeof(line), stdin))
			rc = -EPIPE;
	}

	if (rc < 0 && rc != -EPIPE) {
		fprintf(stderr, "sluice-pktgen: %s\n", strerror(-rc));
		json_decref(result);
		goto out_port;
	}
	if (r.out && r.n) {
		const struct pg_trial *t = &r.trials[r.n - 1];
		for (unsigned i = 0; i < r.n; i++)
			if (strcmp(r.trials[i].kind, "flat") == 0)
				t = &r.trials[i];
		fprintf(r.out, "trial %u by stream:\n", t->index);
		pg_table_streams(r.out, t, prof, c.o.tsc_hz);
	}

	uint64_t sent = 0, rx = 0, idle = 0;
	json_t *trials = json_array();
	for (unsigned i = 0; i < r.n; i++) {
		for (unsigned s = 0; s < prof->n_streams; s++)
			sent += r.trials[i].sum.s[s].tx;
		rx += r.trials[i].sum.rx_total;
		json_array_append_new(trials, pg_trial_json(&r.trials[i], prof, c.o.tsc_hz));
	}
	for (unsigned i = 0; i < n_threads; i++)
		idle += pg_ctl.th[i]->rx_idle;
	struct rte_eth_dev_info info;
	rte_eth_dev_info_get(c.port, &info);
	json_t *rep = json_pack(
		"{s:{s:s, s:i, s:s, s:I, s:i, s:f, s:f, s:f}, s:o, s:o, s:o, s:{s:I, s:I, s:I}}",
		"generator", "tool", "sluice-pktgen", "threads", (int)n_threads, "driver",
		info.driver_name, "tsc_hz", (json_int_t)c.o.tsc_hz, "burst", PG_BURST, "duration_s",
		c.o.duration_s, "drain_quiet_ms", c.o.drain_quiet_ms, "search_resolution",
		c.o.resolution, "profile", pg_profile_json(prof), "trials", trials, "result",
		result, "totals", "sent", (json_int_t)sent, "received", (json_int_t)(rx + idle),
		"received_between_trials", (json_int_t)idle);
	if (c.json) {
		FILE *f = json_stdout ? stdout : fopen(c.json, "w");
		if (!f || json_dumpf(rep, f, JSON_INDENT(1)) < 0) {
			fprintf(stderr, "sluice-pktgen: cannot write %s: %s\n", c.json,
				strerror(errno));
			json_decref(rep);
			if (f && !json_stdout)
				fclose(f);
			goto out_port;
		}
		fputc('\n', f);
		if (json_stdout)
			fflush(f);
		else
			fclose(f);
	}
	json_decref(rep);
	status = rc == -EPIPE ? 3 : 0;

out_port:
	rte_eth_dev_stop(c.port);
	rte_eth_dev_close(c.port);
out:
	for (unsigned i = 0; i < PG_MAX_THREADS; i++) {
		if (pg_ctl.th[i]) {
			pg_thread_free(pg_ctl.th[i]);
			rte_free(pg_ctl.th[i]);
		}
	}
	rte_mempool_free(pool);
	if (prof)
		pg_profile_free(prof);
	free(prof);
	free(r.trials);
out_eal:
	rte_eal_cleanup();
	return status;
}
