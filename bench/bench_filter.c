/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sluice-bench-filter: ns per packet of Sluice's XDP filter and of Debian's
 * xdp-filter (the reference) on identical frames, from BPF_PROG_TEST_RUN
 * with a large repeat count (the kernel runs the program that many times on
 * one frame and reports the mean duration). Per case both programs run in
 * turn (A B, then B A, ...) for several rounds; we report the median and
 * the minimum of the rounds, their ratio, and TSC cycles (ns x TSC GHz).
 * Before timing, each program's verdict on the frame is checked, and after
 * it, that our counters saw every run take the path the case names.
 *
 * The frame is cache-hot and the maps' paths for it too: these are the
 * programs' costs per packet with no memory stalls, not line-rate figures.
 */
#include <errno.h>
#include <getopt.h>
#include <linux/bpf.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <jansson.h>

#include "bench_filter.h"

#ifndef SL_XDPFILT_DIR
#define SL_XDPFILT_DIR "/usr/lib/x86_64-linux-gnu/bpf"
#endif

struct bf_opts {
	unsigned repeat, rounds;
	const char *ref_dir;
	const char *only;
};

static double
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static double
tsc_ghz(void)
{
#if defined(__x86_64__)
	struct timespec d = {.tv_sec = 0, .tv_nsec = 200 * 1000 * 1000};
	double n0 = now_ns();
	uint64_t t0 = __builtin_ia32_rdtsc();

	nanosleep(&d, NULL);
	return (double)(__builtin_ia32_rdtsc() - t0) / (now_ns() - n0);
#else
	return 0;
#endif
}

/*
 * The kernel's figure: the mean over the repeat, in whole ns (truncated),
 * with the time the loop spent rescheduled left out, so that other work on
 * the machine does not inflate it as a clock around the syscall would.
 */
struct sample {
	uint32_t ns;
};

static int
run(int prog_fd, const uint8_t *frame, size_t len, unsigned repeat, uint32_t *retval,
	struct sample *s)
{
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = frame, .data_size_in = (uint32_t)len,
		.repeat = repeat);

	if (bpf_prog_test_run_opts(prog_fd, &o) < 0)
		return -errno;
	if (s)
		s->ns = o.duration;
	*retval = o.retval;
	return 0;
}

struct cpu_job {
	int prog_fd, cpu, rc;
	const uint8_t *frame;
	size_t len;
	unsigned repeat;
	uint32_t retval, ns;
};

static void *
cpu_job(void *p)
{
	struct cpu_job *j = p;
	struct sample s = {0};
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(j->cpu, &set);
	j->rc = -pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
	if (j->rc == 0)
		j->rc = run(j->prog_fd, j->frame, j->len, j->repeat, &j->retval, &s);
	j->ns = s.ns;
	return NULL;
}

/*
 * run() on CPUs 0 and 1 at once, a thread each pinned to its CPU (@ncpu 1:
 * run() here). *@s gets the mean of the CPUs' figures.
 */
static int
run_on(unsigned ncpu, int prog_fd, const uint8_t *frame, size_t len, unsigned repeat,
	uint32_t *retval, struct sample *s)
{
	struct cpu_job j[2];
	pthread_t th[2];
	int rc = 0;

	if (ncpu <= 1)
		return run(prog_fd, frame, len, repeat, retval, s);
	for (int i = 0; i < 2; i++) {
		j[i] = (struct cpu_job){
			.prog_fd = prog_fd, .cpu = i, .frame = frame, .len = len, .repeat = repeat};
		if (pthread_create(&th[i], NULL, cpu_job, &j[i]) != 0) {
			for (int k = 0; k < i; k++)
				pthread_join(th[k], NULL);
			return -EAGAIN;
		}
	}
	for (int i = 0; i < 2; i++) {
		pthread_join(th[i], NULL);
		if (j[i].rc < 0)
			rc = j[i].rc;
	}
	*retval = j[0].retval;
	if (s)
		s->ns = (j[0].ns + j[1].ns + 1) / 2;
	return rc;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* {median, min, cycles, samples} of @n samples. */
static json_t *
stats_json(const struct sample *s, unsigned n, double ghz, double *median)
{
	json_t *js = json_array();
	double v[64];

	for (unsigned i = 0; i < n; i++) {
		v[i] = s[i].ns;
		json_array_append_new(js, json_integer(s[i].ns));
	}
	qsort(v, n, sizeof(v[0]), cmp_double);
	*median = v[n / 2];
	return json_pack("{s:f, s:f, s:f, s:o}", "median_ns", v[n / 2], "min_ns", v[0],
		"median_cycles", v[n / 2] * ghz, "samples_ns", js);
}

/* The packets counted under our verdict counter @idx, summed over CPUs. */
static uint64_t
our_count(struct bf_ours *o, unsigned idx)
{
	struct sl_xdp_counter c[SL_XDP_STATS_MAX];

	if (sl_filter_counters(o->filter, c) < 0)
		return 0;
	return c[idx].packets;
}

static int
run_case(const struct bf_case *c, struct bf_ours *ours, const struct bf_opts *opt, double ghz,
	unsigned ncpu, json_t *out)
{
	struct sample a[64], b[64];
	struct sl_filter_cfg cfg;
	struct bf_ref ref;
	uint8_t frame[128];
	uint32_t rv, src = bf_case_src(c);
	int len, our_fd, rc;
	double ma, mb;
	uint64_t runs = 0, base, base_pass;

	len = bf_build_frame(c, frame, sizeof(frame));
	if (len < 0)
		return len;
	rc = bf_case_cfg(c, &cfg);
	our_fd = rc < 0 ? rc : bf_ours_setup(ours, c->standalone, &cfg);
	sl_filter_cfg_free(&cfg);
	if (our_fd < 0)
		return our_fd;
	if ((rc = bf_ref_load(&ref, opt->ref_dir, c->ref_variant)) < 0)
		goto out;
	for (uint32_t i = 0; i < c->ref_n && rc == 0; i++) {
		uint32_t h = htonl(bf_host(i));

		if ((c->src == BF_SRC_LISTED || c->ref_src) && i == c->ref_n / 2)
			h = src; /* the same address as ours (or, mixed: inside our /24) */
		rc = bf_ref_add4(&ref, h, BF_XDPFILT_SRC);
	}
	if (rc < 0)
		goto out;

	/* An over-limit source: its bucket (one packet deep) emptied before anything counts. */
	if (c->over && (rc = run(our_fd, frame, (size_t)len, 4, &rv, NULL)) < 0)
		goto out;
	base = our_count(ours, c->want_stat);
	base_pass = our_count(ours, SL_XDP_PASS);

	/* Each program takes the path the case names, or the figures mean nothing. */
	if ((rc = run(our_fd, frame, (size_t)len, 1, &rv, NULL)) < 0)
		goto out;
	if (rv != c->want_ours) {
		fprintf(stderr, "%s: our program returned %u, want %u\n", c->name, rv,
			c->want_ours);
		rc = -EPROTO;
		goto out;
	}
	if ((rc = run(ref.prog_fd, frame, (size_t)len, 1, &rv, NULL)) < 0)
		goto out;
	if (rv != c->want_ref) {
		fprintf(stderr, "%s: xdp-filter returned %u, want %u\n", c->name, rv, c->want_ref);
		rc = -EPROTO;
		goto out;
	}
	runs = 1;

	/* Warm up both, then interleave: A B, B A, A B, ... */
	if ((rc = run_on(ncpu, our_fd, frame, (size_t)len, opt->repeat / 4 + 1, &rv, NULL)) < 0 ||
		(rc = run_on(ncpu, ref.prog_fd, frame, (size_t)len, opt->repeat / 4 + 1, &rv,
			 NULL)) < 0)
		goto out;
	runs += (uint64_t)ncpu * (opt->repeat / 4 + 1);
	for (unsigned r = 0; r < opt->rounds; r++) {
		for (int k = 0; k < 2; k++) {
			bool mine = (k == 0) == (r % 2 == 0);

			rc = run_on(ncpu, mine ? our_fd : ref.prog_fd, frame, (size_t)len,
				opt->repeat, &rv, mine ? &a[r] : &b[r]);
			if (rc < 0)
				goto out;
		}
		runs += (uint64_t)ncpu * opt->repeat;
	}
	/* Over the limit at 1 packet/s: the seconds the case takes let a few through. */
	if (c->over)
		runs -= our_count(ours, SL_XDP_PASS) - base_pass <= 100
				? our_count(ours, SL_XDP_PASS) - base_pass
				: 0;
	if (our_count(ours, c->want_stat) - base != runs) {
		fprintf(stderr, "%s: %llu runs, %llu counted as %s\n", c->name,
			(unsigned long long)runs,
			(unsigned long long)(our_count(ours, c->want_stat) - base),
			sl_filter_stat_name(c->want_stat));
		rc = -EPROTO;
		goto out;
	}

	json_t *j = json_pack("{s:s, s:s, s:s, s:i, s:i}", "case", c->name, "sluice", c->ours,
		"xdp_filter", c->ref, "frame_bytes", len, "cpus", (int)ncpu);
	json_object_set_new(j, "sluice_ns", stats_json(a, opt->rounds, ghz, &ma));
	json_object_set_new(j, "xdp_filter_ns", stats_json(b, opt->rounds, ghz, &mb));
	json_object_set_new(j, "ratio_median", json_real(ma / mb));
	json_object_set_new(
		j, "sluice_rate_race", json_integer((json_int_t)our_count(ours, SL_XDP_RATE_RACE)));
	json_object_set_new(j, "sluice_packets", json_integer((json_int_t)runs));
	json_array_append_new(out, j);
	fprintf(stderr, "%-20s %s sluice %4.0f ns  xdp-filter %4.0f ns  ratio %.2f\n", c->name,
		ncpu > 1 ? "2 CPUs" : "1 CPU ", ma, mb, ma / mb);
	rc = 0;
out:
	bf_ref_close(&ref);
	return rc;
}

/* The harness alone: an XDP program that only returns. */
static json_t *
harness_json(const struct bf_opts *opt, double ghz)
{
	struct sample s[64];
	uint8_t frame[128];
	uint32_t rv;
	double m;
	int fd = bf_empty_prog(), len = bf_build_frame(&bf_cases[0], frame, sizeof(frame));

	if (fd < 0 || len < 0)
		return json_null();
	run(fd, frame, (size_t)len, opt->repeat / 4 + 1, &rv, NULL);
	for (unsigned r = 0; r < opt->rounds; r++)
		if (run(fd, frame, (size_t)len, opt->repeat, &rv, &s[r]) < 0) {
			close(fd);
			return json_null();
		}
	close(fd);
	return stats_json(s, opt->rounds, ghz, &m);
}

/* libbpf's warnings, less the two about xdp-filter's sections only libxdp reads. */
static int
libbpf_log(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level != LIBBPF_WARN || strstr(fmt, "unrecognized data section"))
		return 0;
	return vfprintf(stderr, fmt, ap);
}

static void
usage(FILE *f)
{
	fprintf(f,
		"usage: sluice-bench-filter [--repeat N] [--rounds N] [--quick] [--xdp-filter-dir "
		"DIR] [CASE]\n"
		"Sluice's XDP filter against xdp-filter (xdp-tools) on the same frames, through\n"
		"BPF_PROG_TEST_RUN; prints one JSON object (a line per case on stderr). Root.\n"
		"  --repeat N    runs per measurement (default 2000000)\n"
		"  --rounds N    measurements per program and case, interleaved (default 7, max "
		"63)\n"
		"  --quick       --repeat 20000 --rounds 3 (a smoke run)\n"
		"  --xdp-filter-dir DIR   where xdpfilt_*.o are (default %s)\n"
		"cases:",
		SL_XDPFILT_DIR);
	for (size_t i = 0; i < bf_n_cases; i++)
		fprintf(f, " %s", bf_cases[i].name);
	fprintf(f,
		"\n(deny_hit_100k, rate_limit_1k and rate_over_1k run again on two CPUs at once,\n"
		"with two CPUs or more)\n");
}

int
main(int argc, char **argv)
{
	static const struct option lopts[] = {
		{"repeat", required_argument, NULL, 'n'},
		{"rounds", required_argument, NULL, 'r'},
		{"quick", no_argument, NULL, 'q'},
		{"xdp-filter-dir", required_argument, NULL, 'd'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct bf_opts opt = {.repeat = 2000000, .rounds = 7, .ref_dir = SL_XDPFILT_DIR};
	struct bf_ours ours;
	struct utsname u;
	json_t *root, *arr;
	long ncpus;
	double ghz;
	char *end;
	int c, rc = 0;

	while ((c = getopt_long(argc, argv, "n:r:qd:h", lopts, NULL)) != -1) {
		switch (c) {
		case 'n':
		case 'r': {
			unsigned long v = strtoul(optarg, &end, 10);

			if (*end || v == 0 || v > (c == 'n' ? 100000000ul : 63ul)) {
				fprintf(stderr, "sluice-bench-filter: --%s: bad value '%s'\n",
					c == 'n' ? "repeat" : "rounds", optarg);
				return 2;
			}
			*(c == 'n' ? &opt.repeat : &opt.rounds) = (unsigned)v;
			break;
		}
		case 'q':
			opt.repeat = 20000;
			opt.rounds = 3;
			break;
		case 'd':
			opt.ref_dir = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc)
		opt.only = argv[optind++];
	if (optind < argc) {
		usage(stderr);
		return 2;
	}
	for (size_t i = 0; opt.only; i++) {
		if (i == bf_n_cases) {
			fprintf(stderr, "sluice-bench-filter: no case '%s'\n", opt.only);
			usage(stderr);
			return 2;
		}
		if (strcmp(opt.only, bf_cases[i].name) == 0)
			break;
	}
	libbpf_set_print(libbpf_log);
	if (geteuid() != 0) {
		fprintf(stderr, "sluice-bench-filter: loading XDP programs needs root\n");
		return 1;
	}
	if ((rc = bf_ours_load(&ours)) < 0) {
		fprintf(stderr, "sluice-bench-filter: our program: %s\n", strerror(-rc));
		bf_ours_close(&ours);
		return 1;
	}
	ghz = tsc_ghz();
	ncpus = sysconf(_SC_NPROCESSORS_ONLN);
	uname(&u);
	root = json_object();
	json_object_set_new(root, "machine",
		json_pack("{s:s, s:i, s:f}", "kernel", u.release, "cpus", (int)ncpus, "tsc_ghz",
			ghz));
	json_object_set_new(root, "method",
		json_pack("{s:s, s:i, s:i, s:s}", "timing",
			"bpf_prog_test_run_opts, one frame, repeat runs per measurement; medians "
			"and minimums over interleaved rounds",
			"repeat", (int)opt.repeat, "rounds", (int)opt.rounds, "reference",
			opt.ref_dir));
	json_object_set_new(root, "harness_ns", harness_json(&opt, ghz));
	arr = json_array();
	json_object_set_new(root, "cases", arr);
	for (size_t i = 0; i < bf_n_cases; i++) {
		if (opt.only && strcmp(opt.only, bf_cases[i].name) != 0)
			continue;
		rc = run_case(&bf_cases[i], &ours, &opt, ghz, 1, arr);
		if (rc < 0) {
			fprintf(stderr, "sluice-bench-filter: %s: %s\n", bf_cases[i].name,
				strerror(-rc));
			break;
		}
	}
	/*
	 * The same frame from both CPUs at once, where state is shared: hit
	 * counters (deny) and one source's bucket, taken on every packet (rate).
	 */
	arr = json_array();
	json_object_set_new(root, "two_cpus", arr);
	for (size_t i = 0; i < bf_n_cases && rc == 0 && ncpus >= 2; i++) {
		if (strcmp(bf_cases[i].name, "deny_hit_100k") != 0 &&
			strcmp(bf_cases[i].name, "rate_limit_1k") != 0 &&
			strcmp(bf_cases[i].name, "rate_over_1k") != 0)
			continue;
		if (opt.only && strcmp(opt.only, bf_cases[i].name) != 0)
			continue;
		rc = run_case(&bf_cases[i], &ours, &opt, ghz, 2, arr);
		if (rc < 0)
			fprintf(stderr, "sluice-bench-filter: %s on 2 CPUs: %s\n", bf_cases[i].name,
				strerror(-rc));
	}
	bf_ours_close(&ours);
	if (rc == 0) {
		json_dumpf(root, stdout,
			JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(6));
		fputc('\n', stdout);
	}
	json_decref(root);
	return rc < 0 ? 1 : 0;
}
