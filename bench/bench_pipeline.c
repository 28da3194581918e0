/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sluice-bench-pipeline: cycles per packet of the worker pipeline
 * (dp_pipeline(): parse, VIP lookup, connection tracking, Maglev, encap) on
 * pre-built bursts, with no I/O, for:
 *   ct_hit    VIP packet of an established flow (connection-tracking hit)
 *   new_flow  VIP packet of a flow never seen (Maglev + insert; the table
 *             churns once full, evicting the stalest entries)
 *   non_vip   a packet for no VIP
 * at 1k, 1M and 10M active flows. Prints JSON. Only the pipeline call is
 * timed; refilling the mbufs between bursts is not.
 */
#include <getopt.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>

#include "dp.h"
#include "pktbuild.h"

#define TEMPLATE_LEN 64

static uint8_t tmpl_vip[TEMPLATE_LEN], tmpl_other[TEMPLATE_LEN];
static int tmpl_len;

static void
build_template(uint8_t *out, const char *dst)
{
	struct sl_pb_spec s;
	uint8_t fam;

	sl_pb_spec_init(&s);
	sl_pb_addr("10.0.0.1", &s.src, &fam);
	sl_pb_addr(dst, &s.dst, &s.family);
	s.proto = IPPROTO_TCP;
	s.sport = 1024;
	s.dport = 80;
	s.tcp_flags = 0x10;
	s.payload_len = 6; /* 64-byte frame */
	tmpl_len = sl_pb_build(&s, out, TEMPLATE_LEN);
}

/* Rewrite mbuf @m to carry flow @i (source address and port derived from i). */
static inline void
fill(struct rte_mbuf *m, const uint8_t *tmpl, uint32_t i)
{
	m->data_off = RTE_PKTMBUF_HEADROOM;
	uint8_t *p = rte_pktmbuf_mtod(m, uint8_t *);
	memcpy(p, tmpl, (size_t)tmpl_len);
	uint32_t src = rte_cpu_to_be_32(0x0a000000u + i / 50000);
	uint16_t sport = rte_cpu_to_be_16((uint16_t)(1024 + i % 50000));
	memcpy(p + 14 + 12, &src, 4);
	memcpy(p + 14 + 20, &sport, 2);
	m->data_len = (uint16_t)tmpl_len;
	m->pkt_len = (uint32_t)tmpl_len;
}

struct result {
	double cycles_per_pkt;
	uint64_t packets;
};

/*
 * Run @packets packets of flows first..first+n_flows-1 (cycling) through the
 * pipeline; returns the cycles spent inside dp_pipeline() per packet.
 */
static struct result
run(struct dp_worker *w, struct rte_mbuf **mb, const uint8_t *tmpl, uint64_t first,
	uint64_t n_flows, uint64_t packets)
{
	struct dp_out out;
	uint64_t cycles = 0, done = 0, f = 0;

	while (done < packets) {
		for (int i = 0; i < DP_BURST; i++) {
			fill(mb[i], tmpl, (uint32_t)(first + f));
			if (++f == n_flows)
				f = 0;
		}
		const struct dp_gen *g = dp.gen;
		out.n = 0;
		uint64_t t0 = rte_rdtsc_precise();
		dp_pipeline(w, g, 0, mb, DP_BURST, &out, 1000);
		cycles += rte_rdtsc_precise() - t0;
		if (out.n != DP_BURST) {
			fprintf(stderr, "bench: %u of %d packets came out; drops?\n", out.n,
				DP_BURST);
			exit(1);
		}
		done += DP_BURST;
	}
	return (struct result){(double)cycles / (double)done, done};
}

static json_t *
result_json(struct result r)
{
	double hz = (double)rte_get_tsc_hz();
	return json_pack("{s:f, s:f, s:f, s:I}", "cycles_per_packet", r.cycles_per_pkt,
		"ns_per_packet", r.cycles_per_pkt * 1e9 / hz, "mpps_per_core",
		hz / r.cycles_per_pkt / 1e6, "packets", (json_int_t)r.packets);
}

int
main(int argc, char **argv)
{
	char prefix[64];
	snprintf(prefix, sizeof(prefix), "--file-prefix=slbench%d", getpid());
	/*
	 * Hugepages when there are enough free (as sluice-dp runs), else plain
	 * memory: 4 KiB pages cost TLB misses, so such figures are flagged.
	 */
	int quick = 0, force_nohuge = 0;
	uint64_t one_size = 0, n_packets = 0;
	const char *only = NULL;

	for (int i = 1; i < argc; i++) {
		char *end;

		if (strcmp(argv[i], "--quick") == 0) {
			quick = 1;
		} else if (strcmp(argv[i], "--no-huge") == 0) {
			force_nohuge = 1;
		} else if (strcmp(argv[i], "--flows") == 0 && i + 1 < argc &&
			   (one_size = strtoull(argv[i + 1], &end, 10)) >= 1 &&
			   one_size <= 20000000 && *end == '\0') {
			i++;
		} else if (strcmp(argv[i], "--packets") == 0 && i + 1 < argc &&
			   (n_packets = strtoull(argv[i + 1], &end, 10)) >= DP_BURST &&
			   n_packets <= 1000000000 && *end == '\0') {
			i++;
		} else if (strcmp(argv[i], "--only") == 0 && i + 1 < argc &&
			   (strcmp(argv[i + 1], "ct_hit") == 0 ||
				   strcmp(argv[i + 1], "new_flow") == 0 ||
				   strcmp(argv[i + 1], "non_vip") == 0)) {
			only = argv[++i];
		} else {
			fprintf(stderr,
				"usage: sluice-bench-pipeline [--quick] [--flows N] [--packets N] "
				"[--only CASE] [--no-huge]\n"
				"Cycles per packet of the worker pipeline, no I/O; prints JSON.\n"
				"  --quick     1k and 100k flows only, fewer packets (smoke run)\n"
				"  --flows N   N active flows only (1 to 20000000)\n"
				"  --packets N packets timed per case (32 to 10^9; default 5M,\n"
				"              200k with --quick)\n"
				"  --only CASE ct_hit, new_flow or non_vip only (the flows are\n"
				"              still inserted first for ct_hit)\n"
				"  --no-huge   plain memory even when hugepages are free (e.g. to\n"
				"              count instructions under valgrind "
				"--tool=callgrind)\n");
			return strcmp(argv[i], "--help") == 0 ? 0 : 2;
		}
	}

	/*
	 * Hugepages when there are enough free (as sluice-dp runs), else plain
	 * memory: 4 KiB pages cost TLB misses, so such figures are flagged.
	 */
	unsigned long free_pages = 0;
	FILE *hp = fopen("/sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages", "r");
	if (hp) {
		if (fscanf(hp, "%lu", &free_pages) != 1)
			free_pages = 0;
		fclose(hp);
	}
	bool huge = !force_nohuge && free_pages >= 1300; /* the 10M-flow table: ~1.2 GiB */
	/*
	 * Nothing shared, no telemetry: nothing but an empty runtime directory
	 * (removed at the end) is left in /var/run/dpdk. DPDK 22.11 refuses
	 * --in-memory with --no-huge (it implies legacy memory), so the plain
	 * memory run uses --no-shconf instead.
	 */
	char *eal_huge[] = {argv[0], "--in-memory", "--no-telemetry", "--no-pci", "-l", "0", prefix,
		"--log-level", "*:error", NULL};
	char *eal_nohuge[] = {argv[0], "--no-shconf", "--no-telemetry", "--no-huge", "-m", "2600",
		"--no-pci", "-l", "0", prefix, "--log-level", "*:error", NULL};
	char **eal = huge ? eal_huge : eal_nohuge;
	int eal_argc = huge ? (int)RTE_DIM(eal_huge) - 1 : (int)RTE_DIM(eal_nohuge) - 1;

	if (rte_eal_init(eal_argc, eal) < 0) {
		fprintf(stderr, "bench: EAL init failed\n");
		return 1;
	}

	static const uint64_t flows_full[] = {1000, 1000000, 10000000};
	static const uint64_t flows_quick[] = {1000, 100000};
	const uint64_t *flows = quick ? flows_quick : flows_full;
	int n_sizes = quick ? 2 : 3;
	if (one_size) {
		flows = &one_size;
		n_sizes = 1;
	}
	uint64_t packets = n_packets ? n_packets : quick ? 200000 : 5000000;

	build_template(tmpl_vip, "192.0.2.80");
	build_template(tmpl_other, "192.0.2.99");

	struct rte_mempool *pool =
		rte_pktmbuf_pool_create("bench", 1023, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, 0);
	struct rte_mbuf *mb[DP_BURST];
	if (!pool || rte_pktmbuf_alloc_bulk(pool, mb, DP_BURST) < 0) {
		fprintf(stderr, "bench: mbufs\n");
		return 1;
	}

	json_t *root = json_object();
	json_object_set_new(root, "tsc_hz", json_integer((json_int_t)rte_get_tsc_hz()));
	json_object_set_new(root, "burst", json_integer(DP_BURST));
	json_object_set_new(root, "hugepages", json_boolean(huge));
	json_t *res = json_object();

	dp.n_ports = 1;
	dp.ports[0] = 0;
	dp.exception_port = 0; /* non-VIP packets come out (to the exception path), not freed */
	dp.af_xdp[0] = false;
	dp.n_workers = 1;
	dp.qsv = rte_zmalloc(NULL, rte_rcu_qsbr_get_memsize(1), RTE_CACHE_LINE_SIZE);
	rte_rcu_qsbr_init(dp.qsv, 1);

	for (int s = 0; s < n_sizes; s++) {
		uint64_t n = flows[s];
		char err[SL_CFG_ERR_LEN], cfgjson[2048], key[32];
		struct sl_cfg cfg;

		/* One TCP VIP, eight backends, a flow table 1.6 times the flow count. */
		snprintf(cfgjson, sizeof(cfgjson),
			"{\"flow_capacity\": %lu, \"nexthop_mac\": \"02:00:00:00:00:fe\", "
			"\"vips\": [{"
			"\"address\": \"192.0.2.80\", \"protocol\": \"tcp\", \"port\": 80, "
			"\"backends\": ["
			"{\"address\": \"10.1.0.1\"}, {\"address\": \"10.1.0.2\"}, {\"address\": "
			"\"10.1.0.3\"},"
			"{\"address\": \"10.1.0.4\"}, {\"address\": \"10.1.0.5\"}, {\"address\": "
			"\"10.1.0.6\"},"
			"{\"address\": \"10.1.0.7\"}, {\"address\": \"10.1.0.8\"}]}]}",
			(unsigned long)(n * 16 / 10 < 1024 ? 1024 : n * 16 / 10));
		if (sl_cfg_from_json(&cfg, cfgjson, strlen(cfgjson), err, sizeof(err)) < 0) {
			fprintf(stderr, "bench: config: %s\n", err);
			return 1;
		}
		struct dp_worker *w = dp_worker_create(0, 0, &cfg);
		if (!w) {
			fprintf(stderr, "bench: worker for %lu flows: out of memory\n",
				(unsigned long)n);
			return 1;
		}
		dp.workers[0] = w;
		if (dp.gen) {
			dp_gen_free(dp.gen);
			dp.gen = NULL;
		}
		if (dp_gen_apply(&cfg, err, sizeof(err)) < 0) {
			fprintf(stderr, "bench: %s\n", err);
			return 1;
		}
		sl_cfg_free(&cfg);

		json_t *one = json_object();
		/* new_flow: the first pass over n flows inserts each (the table starts empty). */
		uint64_t np = n < packets ? packets : n;
		if (!only || strcmp(only, "new_flow") == 0)
			json_object_set_new(
				one, "new_flow", result_json(run(w, mb, tmpl_vip, 0, np, np)));
		if (!only || strcmp(only, "ct_hit") == 0) {
			/* Warm the n flows we measure hits on (new_flow may have evicted some). */
			run(w, mb, tmpl_vip, 0, n, n < DP_BURST ? DP_BURST : n);
			uint64_t misses0 = sl_ct_stats(w->ct)->misses;
			json_object_set_new(
				one, "ct_hit", result_json(run(w, mb, tmpl_vip, 0, n, packets)));
			json_object_set_new(one, "ct_hit_misses",
				json_integer((json_int_t)(sl_ct_stats(w->ct)->misses - misses0)));
		}
		if (!only || strcmp(only, "non_vip") == 0)
			json_object_set_new(
				one, "non_vip", result_json(run(w, mb, tmpl_other, 0, n, packets)));
		snprintf(key, sizeof(key), "flows_%lu", (unsigned long)n);
		json_object_set_new(res, key, one);

		rte_free(w->vip_ctr);
		rte_free(w->be_ctr);
		rte_free(w->be_new_flows);
		rte_free((void *)w->ct);
		rte_free(w);
	}
	json_object_set_new(root, "pipeline", res);
	json_dumpf(root, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(5));
	fputc('\n', stdout);
	json_decref(root);
	rte_pktmbuf_free_bulk(mb, DP_BURST);
	/* EAL makes its runtime directory even in memory: take the empty one away. */
	char rundir[PATH_MAX];
	snprintf(rundir, sizeof(rundir), "%s", rte_eal_get_runtime_dir());
	rte_eal_cleanup();
	rmdir(rundir);
	return 0;
}
