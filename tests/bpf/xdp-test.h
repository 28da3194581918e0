/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Shared helpers for the XDP program suites: run a frame through a loaded
 * program with BPF_PROG_TEST_RUN, sum a per-CPU counter, build frames from a
 * pktbuild template and address strings. Loading programs needs root (or
 * CAP_BPF + CAP_NET_ADMIN): the suites exit 77 (skip) without it.
 */
#ifndef SL_XDP_TEST_H
#define SL_XDP_TEST_H

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>

#include <sluice/bpf_maps.h>

#include "pktbuild.h"

#define BT_FRAME_MAX 2048

/* Call first in the suite function: a skip (77) unless we may load BPF programs. */
static inline void
bt_require_root(void)
{
	if (geteuid() != 0) {
		fprintf(stderr, "skipped: loading XDP programs needs root\n");
		exit(77);
	}
}

/*
 * Run @prog_fd once over @in (@len bytes), as if received on queue 0.
 * @out (BT_FRAME_MAX bytes) gets the frame as the program left it, *out_len its length.
 * @return 0 or -errno from the kernel; *action is the program's return value.
 */
static inline int
bt_run(int prog_fd, const uint8_t *in, size_t len, uint8_t *out, uint32_t *out_len,
	uint32_t *action)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = in, .data_size_in = (uint32_t)len,
		.data_out = out, .data_size_out = BT_FRAME_MAX, .repeat = 1);
	int rc = bpf_prog_test_run_opts(prog_fd, &opts);

	if (rc < 0)
		return -errno;
	*action = opts.retval;
	*out_len = opts.data_size_out;
	return 0;
}

/* Sum over CPUs of counter @idx in per-CPU array @map_fd (values: struct sl_xdp_counter). */
static inline struct sl_xdp_counter
bt_counter(int map_fd, uint32_t idx)
{
	struct sl_xdp_counter sum = {0};
	int ncpu = libbpf_num_possible_cpus();
	struct sl_xdp_counter *v;

	if (ncpu <= 0)
		return sum;
	v = calloc((size_t)ncpu, sizeof(*v));
	if (v && bpf_map_lookup_elem(map_fd, &idx, v) == 0) {
		for (int i = 0; i < ncpu; i++) {
			sum.packets += v[i].packets;
			sum.bytes += v[i].bytes;
		}
	}
	free(v);
	return sum;
}

/*
 * Build a frame from template @tmpl (fields as in struct sl_pb_spec; MACs
 * and family come from sl_pb_spec_init and the addresses) from @src to @dst.
 * @return the frame length, or -errno.
 */
static inline int
bt_build(const struct sl_pb_spec *tmpl, const char *src, const char *dst, uint8_t *buf, size_t cap)
{
	struct sl_pb_spec s = *tmpl, def;

	sl_pb_spec_init(&def);
	memcpy(s.src_mac, def.src_mac, sizeof(s.src_mac));
	memcpy(s.dst_mac, def.dst_mac, sizeof(s.dst_mac));
	if (!s.family)
		s.family = def.family;
	if (src && sl_pb_addr(src, &s.src, &s.family) < 0)
		return -EINVAL;
	if (dst && sl_pb_addr(dst, &s.dst, &s.family) < 0)
		return -EINVAL;
	return sl_pb_build(&s, buf, cap);
}

/* Print a frame as hex, for failing byte comparisons. */
static inline void
bt_hexdump(const char *what, const uint8_t *p, size_t len)
{
	fprintf(stderr, "%s (%zu bytes):", what, len);
	for (size_t i = 0; i < len; i++)
		fprintf(stderr, "%s%02x", i % 16 ? " " : "\n  ", p[i]);
	fprintf(stderr, "\n");
}

#endif /* SL_XDP_TEST_H */
