/* SPDX-License-Identifier: BSD-3-Clause */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "bench.h"

double
sl_bench_tsc_per_ns(void)
{
	static double ratio;

	if (ratio == 0) {
		uint64_t n0 = sl_bench_ns(), t0 = sl_bench_tsc();
		struct timespec d = {.tv_sec = 0, .tv_nsec = 100 * 1000 * 1000};
		nanosleep(&d, NULL);
		uint64_t n1 = sl_bench_ns(), t1 = sl_bench_tsc();
		ratio = (double)(t1 - t0) / (double)(n1 - n0);
	}
	return ratio;
}

static const struct {
	const char *name;
	void (*fn)(json_t *, const struct sl_bench_opts *);
} sections[] = {
	{"parse", sl_bench_parse},
	{"flowhash", sl_bench_flowhash},
	{"maglev", sl_bench_maglev},
	{"conntrack", sl_bench_conntrack},
	{"encap", sl_bench_encap},
};

static void
usage(FILE *f)
{
	fprintf(f, "usage: sluice-bench-core [--quick] [SECTION...]\n"
		   "Microbenchmarks of the core algorithms; prints one JSON object.\n"
		   "  --quick   small sizes (a smoke run, seconds)\n"
		   "sections: parse flowhash maglev conntrack encap (default: all)\n");
}

int
main(int argc, char **argv)
{
	struct sl_bench_opts o = {0};
	static const struct option lopts[] = {
		{"quick", no_argument, NULL, 'q'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int c;

	while ((c = getopt_long(argc, argv, "qh", lopts, NULL)) != -1) {
		switch (c) {
		case 'q':
			o.quick = 1;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	for (int i = optind; i < argc; i++) {
		int found = 0;
		for (size_t s = 0; s < sizeof(sections) / sizeof(sections[0]); s++)
			found |= strcmp(argv[i], sections[s].name) == 0;
		if (!found) {
			fprintf(stderr, "sluice-bench-core: unknown section '%s'\n", argv[i]);
			usage(stderr);
			return 2;
		}
	}

	json_t *root = json_object();
	struct utsname u;
	uname(&u);
	json_object_set_new(root, "machine",
		json_pack("{s:s, s:s, s:i, s:f}", "kernel", u.release, "arch", u.machine, "cpus",
			(int)sysconf(_SC_NPROCESSORS_ONLN), "tsc_ghz", sl_bench_tsc_per_ns()));
	json_object_set_new(root, "quick", json_boolean(o.quick));

	for (size_t s = 0; s < sizeof(sections) / sizeof(sections[0]); s++) {
		int want = optind == argc;
		for (int i = optind; i < argc; i++)
			want |= strcmp(argv[i], sections[s].name) == 0;
		if (want)
			sections[s].fn(root, &o);
	}

	json_dumpf(root, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(6));
	fputc('\n', stdout);
	json_decref(root);
	return 0;
}
