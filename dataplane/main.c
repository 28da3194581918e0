/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sluice-dp: the Sluice dataplane.
 *
 *   sluice-dp [EAL options] -- -c CONFIG [options]
 *
 * DPDK's EAL options choose the ports (a PCI NIC, --vdev net_af_xdp,
 * net_memif, net_pcap, net_ring ...). --af-xdp IFACE is a shorthand that adds
 * an AF_XDP port on IFACE with Sluice's XDP program in front of it.
 * The main lcore does control work only (control socket, telemetry, RCU);
 * every other lcore is a worker.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_log.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>

#include <sluice/ctl.h>
#include <sluice/filter.h>
#include <sluice/num.h>
#include <sluice/paths.h>

#include "dp.h"

#define RTE_LOGTYPE_SL_MAIN RTE_LOGTYPE_USER4


#define NB_RXD 1024
#define NB_TXD 1024

struct opts {
	const char *config;
	const char *sock;
	const char *xdp_prog;
	const char *filter_pin_root;
	uint32_t idle_sleep_us;
	uint32_t idle_polls;
	const char *af_xdp[DP_MAX_PORTS];
	int n_af_xdp;
};

static void
usage(FILE *f)
{
	fprintf(f,
		"usage: sluice-dp [EAL options] -- -c CONFIG [options]\n"
		"\n"
		"The Sluice dataplane: forwards VIP traffic to backends (Maglev + connection\n"
		"tracking, IP-in-IP or L2). EAL options choose the ports; the main lcore does\n"
		"control work, every other lcore in -l is a worker.\n"
		"\n"
		"  -c, --config FILE        config file (JSON, see docs/configuration.md); "
		"required\n"
		"  -s, --socket PATH        control socket (default %s)\n"
		"      --af-xdp IFACE       add an AF_XDP port on IFACE with Sluice's XDP program\n"
		"                           in front (repeatable); queue_count = workers\n"
		"      --xdp-prog FILE      XDP object for --af-xdp (default %s)\n"
		"      --filter-pin-root DIR  where the XDP filter's maps are pinned, one\n"
		"                           directory per interface (default %s; 'none':\n"
		"                           not pinned, rules die with the port)\n"
		"      --idle-sleep-us N    sleep N us when idle (default 100; 0 = busy poll,\n"
		"                           for benchmarks)\n"
		"      --idle-polls N       empty polls before sleeping (default 1000)\n"
		"  -h, --help               this text\n",
		SL_CTL_DEFAULT_SOCK, sl_xdp_front_obj_default(), SL_FILTER_PIN_ROOT);
}

static int
parse_u32(const char *opt, const char *s, uint32_t max, uint32_t *out)
{
	uint64_t v;
	if (sl_parse_uint(s, 10, 0, max, &v) < 0) {
		fprintf(stderr, "sluice-dp: %s: '%s' is not a number in 0..%u\n", opt, s, max);
		return -EINVAL;
	}
	*out = (uint32_t)v;
	return 0;
}

/* Application options: everything after "--". */
static int
parse_opts(int argc, char **argv, struct opts *o)
{
	static const struct option lopts[] = {
		{"config", required_argument, NULL, 'c'},
		{"socket", required_argument, NULL, 's'},
		{"af-xdp", required_argument, NULL, 'A'},
		{"xdp-prog", required_argument, NULL, 'X'},
		{"filter-pin-root", required_argument, NULL, 'F'},
		{"idle-sleep-us", required_argument, NULL, 'S'},
		{"idle-polls", required_argument, NULL, 'P'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "c:s:h", lopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			o->config = optarg;
			break;
		case 's':
			o->sock = optarg;
			break;
		case 'A':
			if (o->n_af_xdp == DP_MAX_PORTS) {
				fprintf(stderr, "sluice-dp: --af-xdp: at most %d ports\n",
					DP_MAX_PORTS);
				return -EINVAL;
			}
			if (strlen(optarg) >= 16 || strchr(optarg, ',')) {
				fprintf(stderr,
					"sluice-dp: --af-xdp: '%s' is not an interface name\n",
					optarg);
				return -EINVAL;
			}
			o->af_xdp[o->n_af_xdp++] = optarg;
			break;
		case 'X':
			o->xdp_prog = optarg;
			break;
		case 'F':
			o->filter_pin_root = strcmp(optarg, "none") == 0 ? NULL : optarg;
			break;
		case 'S':
			if (parse_u32("--idle-sleep-us", optarg, 1000000, &o->idle_sleep_us) < 0)
				return -EINVAL;
			break;
		case 'P':
			if (parse_u32("--idle-polls", optarg, 100000000, &o->idle_polls) < 0)
				return -EINVAL;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			return -EINVAL;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "sluice-dp: unexpected argument '%s'\n", argv[optind]);
		return -EINVAL;
	}
	if (!o->config) {
		fprintf(stderr, "sluice-dp: -c CONFIG is required\n");
		usage(stderr);
		return -EINVAL;
	}
	return 0;
}

static void
on_signal(int sig)
{
	(void)sig;
	__atomic_store_n(&dp.quit, true, __ATOMIC_RELAXED);
}

static int
port_init(uint16_t port, uint16_t nrxq, uint16_t ntxq)
{
	struct rte_eth_conf conf = {0};
	struct rte_eth_dev_info info;
	uint16_t nb_rxd = NB_RXD, nb_txd = NB_TXD;
	int rc;

	rc = rte_eth_dev_info_get(port, &info);
	if (rc < 0)
		return rc;
	if (info.max_rx_queues < nrxq || info.max_tx_queues < ntxq) {
		RTE_LOG(ERR, SL_MAIN,
			"port %u (%s): %u RX / %u TX queues, but %u workers need one each; "
			"use fewer lcores or more queues (AF_XDP: queue_count)\n",
			port, info.driver_name, info.max_rx_queues, info.max_tx_queues, nrxq);
		return -EINVAL;
	}
	if (nrxq > 1) {
		/* Spread flows over the workers' queues by address and port (RSS). */
		conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
		conf.rx_adv_conf.rss_conf.rss_hf =
			(RTE_ETH_RSS_IP | RTE_ETH_RSS_TCP | RTE_ETH_RSS_UDP) &
			info.flow_type_rss_offloads;
	}
	rc = rte_eth_dev_configure(port, nrxq, ntxq, &conf);
	if (rc < 0)
		return rc;
	rc = rte_eth_dev_adjust_nb_rx_tx_desc(port, &nb_rxd, &nb_txd);
	if (rc < 0)
		return rc;
	int socket = rte_eth_dev_socket_id(port);
	for (uint16_t q = 0; q < nrxq; q++) {
		rc = rte_eth_rx_queue_setup(port, q, nb_rxd, socket, NULL, dp.pool);
		if (rc < 0)
			return rc;
	}
	for (uint16_t q = 0; q < ntxq; q++) {
		rc = rte_eth_tx_queue_setup(port, q, nb_txd, socket, NULL);
		if (rc < 0)
			return rc;
	}
	return rte_eth_dev_start(port);
}

/* Build the EAL argv: ours, plus one --vdev per --af-xdp interface. */
static char **
eal_argv(int argc, char **argv, const struct opts *o, unsigned n_workers, int *out_argc)
{
	char **v = calloc((size_t)argc + 2 * DP_MAX_PORTS + 1, sizeof(*v));
	int n = 0;

	if (!v)
		return NULL;
	for (int i = 0; i < argc; i++)
		v[n++] = argv[i];
	for (int i = 0; i < o->n_af_xdp; i++) {
		char *arg;
		if (asprintf(&arg, "net_af_xdp%d,iface=%s,start_queue=0,queue_count=%u,xdp_prog=%s",
			    i, o->af_xdp[i], n_workers, o->xdp_prog) < 0)
			return NULL;
		v[n++] = "--vdev";
		v[n++] = arg;
	}
	*out_argc = n;
	return v;
}

int
main(int argc, char **argv)
{
	struct opts o = {.sock = SL_CTL_DEFAULT_SOCK,
		.xdp_prog = sl_xdp_front_obj_default(),
		.filter_pin_root = SL_FILTER_PIN_ROOT,
		.idle_sleep_us = 100,
		.idle_polls = 1000};
	char err[SL_CFG_ERR_LEN];
	struct sl_cfg cfg;
	int eal_argc = argc, sep = argc, rc;
	char **eargv = argv;

	/* Split at "--": EAL options before, ours after. */
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0) {
			sep = i;
			break;
		}
	}
	for (int i = 1; i < sep; i++) {
		if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			usage(stdout);
			return 0;
		}
	}
	if (sep < argc) {
		argv[sep] = argv[0];
		if (parse_opts(argc - sep, argv + sep, &o) < 0)
			return 2;
	} else {
		fprintf(stderr, "sluice-dp: -- -c CONFIG is required\n");
		usage(stderr);
		return 2;
	}
	if (sl_cfg_load_file(&cfg, o.config, err, sizeof(err)) < 0) {
		fprintf(stderr, "sluice-dp: %s\n", err);
		return 1;
	}

	/*
	 * The AF_XDP vdevs need the worker count (queue_count) before EAL init
	 * knows it: take it from -l (a list or ranges, main lcore first). With
	 * other ways of naming lcores, --af-xdp assumes one worker, and port
	 * setup reports a mismatch clearly.
	 */
	unsigned n_hint = 1;
	for (int i = 1; i < sep - 1; i++) {
		if (strcmp(argv[i], "-l") == 0 || strcmp(argv[i], "--lcores") == 0) {
			/* "a,b,c" or "a-b": count entries, minus the main lcore;
			 * --lcores' "lcore@cpu" and "lcore@(cpu,cpu)": skip the cpus */
			unsigned count = 0;
			const char *s = argv[i + 1];
			while (*s) {
				unsigned long a = strtoul(s, (char **)&s, 10), b = a;
				if (*s == '-')
					b = strtoul(s + 1, (char **)&s, 10);
				count += (unsigned)(b >= a ? b - a + 1 : 1);
				if (*s == '@') {
					int depth = 0;
					while (*++s && (depth > 0 || *s != ','))
						depth += (*s == '(') - (*s == ')');
				}
				if (*s == ',')
					s++;
				else if (*s)
					break;
			}
			n_hint = count > 1 ? count - 1 : 1;
		}
	}
	eargv = eal_argv(sep, argv, &o, n_hint, &eal_argc);
	if (!eargv) {
		fprintf(stderr, "sluice-dp: out of memory\n");
		return 1;
	}
	rc = rte_eal_init(eal_argc, eargv);
	if (rc < 0) {
		fprintf(stderr, "sluice-dp: EAL init failed: %s\n", rte_strerror(rte_errno));
		return 1;
	}

	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	dp.start_tsc = rte_get_tsc_cycles();
	dp.idle_sleep_us = o.idle_sleep_us;
	dp.filter_pin_root = o.filter_pin_root;
	dp.idle_polls = o.idle_polls;
	dp.drain_tsc = (rte_get_tsc_hz() + 9999) / 10000; /* 100 us */
	dp.n_workers = rte_lcore_count() - 1;
	if (dp.n_workers == 0) {
		fprintf(stderr, "sluice-dp: no worker lcore: give at least two lcores (-l 0,1)\n");
		goto fail_eal;
	}

	/* Ports: TAP is the exception path to the kernel, the rest carry traffic. */
	uint16_t pid;
	RTE_ETH_FOREACH_DEV (pid) {
		struct rte_eth_dev_info info;
		if (rte_eth_dev_info_get(pid, &info) < 0)
			continue;
		if (strcmp(info.driver_name, "net_tap") == 0 && dp.exception_port < 0) {
			dp.exception_port = pid;
			continue;
		}
		if (dp.n_ports == DP_MAX_PORTS) {
			fprintf(stderr, "sluice-dp: more than %d ports\n", DP_MAX_PORTS);
			goto fail_eal;
		}
		dp.af_xdp[dp.n_ports] = strcmp(info.driver_name, "net_af_xdp") == 0;
		dp.ports[dp.n_ports++] = pid;
	}
	if (dp.n_ports == 0) {
		fprintf(stderr,
			"sluice-dp: no ports: add one with --af-xdp IFACE or EAL --vdev/-a\n");
		goto fail_eal;
	}

	unsigned n_mbufs = (dp.n_ports + 1) * dp.n_workers * (NB_RXD + NB_TXD) + 4096;
	dp.pool = rte_pktmbuf_pool_create(
		"sl_mbufs", n_mbufs, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE, (int)rte_socket_id());
	if (!dp.pool) {
		fprintf(stderr, "sluice-dp: mbuf pool: %s (hugepages set up?)\n",
			rte_strerror(rte_errno));
		goto fail_eal;
	}
	for (uint16_t p = 0; p < dp.n_ports; p++) {
		rc = port_init(dp.ports[p], (uint16_t)dp.n_workers, (uint16_t)dp.n_workers);
		if (rc < 0) {
			fprintf(stderr, "sluice-dp: port %u: %s\n", dp.ports[p], rte_strerror(-rc));
			goto fail_eal;
		}
		rte_eth_macaddr_get(dp.ports[p], &dp.port_mac[p]);
	}
	if (dp.exception_port >= 0) {
		rc = port_init((uint16_t)dp.exception_port, 1, (uint16_t)dp.n_workers);
		if (rc < 0) {
			fprintf(stderr, "sluice-dp: exception port: %s\n", rte_strerror(-rc));
			goto fail_eal;
		}
	}

	size_t qsz = rte_rcu_qsbr_get_memsize(dp.n_workers);
	dp.qsv = rte_zmalloc("sl_qsbr", qsz, RTE_CACHE_LINE_SIZE);
	if (!dp.qsv || rte_rcu_qsbr_init(dp.qsv, dp.n_workers) < 0) {
		fprintf(stderr, "sluice-dp: RCU init failed\n");
		goto fail_eal;
	}
	unsigned wi = 0, lcore;
	RTE_LCORE_FOREACH_WORKER (lcore) {
		dp.workers[wi] = dp_worker_create(wi, lcore, &cfg);
		if (!dp.workers[wi]) {
			fprintf(stderr,
				"sluice-dp: worker %u: cannot allocate its flow table (%u "
				"entries)\n",
				wi, cfg.flow_capacity);
			goto fail_eal;
		}
		wi++;
	}
	if (dp_xdp_attach_maps() < 0) {
		fprintf(stderr, "sluice-dp: cannot reach the XDP program's VIP map\n");
		goto fail_eal;
	}
	if (dp_gen_apply(&cfg, err, sizeof(err)) < 0) {
		fprintf(stderr, "sluice-dp: %s: %s\n", o.config, err);
		goto fail_eal;
	}
	sl_cfg_free(&cfg);
	if (dp_telemetry_register() < 0)
		RTE_LOG(WARNING, SL_MAIN, "telemetry commands not registered\n");

	char *slash = strrchr(o.sock, '/');
	if (slash && slash != o.sock) {
		*slash = '\0';
		mkdir(o.sock, 0750);
		*slash = '/';
	}
	int ctl_fd = dp_ctl_open(o.sock);
	if (ctl_fd < 0) {
		fprintf(stderr, "sluice-dp: control socket %s: %s\n", o.sock, strerror(-ctl_fd));
		goto fail_eal;
	}

	wi = 0;
	RTE_LCORE_FOREACH_WORKER (lcore) {
		rte_eal_remote_launch(dp_worker_main, dp.workers[wi++], lcore);
	}
	printf("sluice-dp: forwarding on %u port(s) with %u worker(s), generation %lu, control "
	       "socket %s\n",
		dp.n_ports, dp.n_workers, (unsigned long)dp.gen->id, o.sock);
	fflush(stdout);

	while (!__atomic_load_n(&dp.quit, __ATOMIC_RELAXED))
		dp_ctl_poll(ctl_fd, 100);

	rte_eal_mp_wait_lcore();
	close(ctl_fd);
	unlink(o.sock);
	for (uint16_t p = 0; p < dp.n_ports; p++) {
		rte_eth_dev_stop(dp.ports[p]);
		rte_eth_dev_close(dp.ports[p]);
	}
	if (dp.exception_port >= 0) {
		rte_eth_dev_stop((uint16_t)dp.exception_port);
		rte_eth_dev_close((uint16_t)dp.exception_port);
	}
	printf("sluice-dp: stopped\n");
	rte_eal_cleanup();
	return 0;

fail_eal:
	sl_cfg_free(&cfg);
	rte_eal_cleanup();
	return 1;
}
