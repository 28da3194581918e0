/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sluice-bench-filter: the XDP filter (bpf/xdp_front.bpf.c) against Debian's
 * xdp-filter (xdp-tools) on the same frames, through BPF_PROG_TEST_RUN.
 * bench_filter.c runs the cases and prints JSON; bench_filter_env.c loads
 * the programs and fills their maps.
 */
#ifndef SL_BENCH_FILTER_H
#define SL_BENCH_FILTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sluice/filter.h>

/* Our front program, loaded once per mode; a fresh filter plugged per case. */
struct bf_ours {
	struct sl_xdp_front *skel[2]; /* [0] dataplane mode, [1] standalone */
	struct sl_filter *filter;     /* the maps plugged for the current case */
	int xsk;		      /* an AF_XDP socket in xsks_map slot 0 (dataplane mode) */
};

/*
 * One xdp-filter object, loaded fresh per case. Its feature variants are
 * separate objects (xdpfilt_<policy>_<features>.o): "alw" lets through what
 * its maps do not list (its deny mode: a listed address is dropped), "dny"
 * drops what they do not list (its allow mode); "ip" matches IPv4 and IPv6
 * addresses only (no port or Ethernet maps).
 */
struct bf_ref {
	struct bpf_object *obj;
	int prog_fd;
	int ip4_fd, ip6_fd; /* PERCPU_HASH: address -> per-CPU flags | hit count << 6 */
};

/* xdp-filter's map value flags (xdp-tools xdp-filter/common_kern_user.h) */
enum {
	BF_XDPFILT_SRC = 1 << 0,
	BF_XDPFILT_DST = 1 << 1,
};

/* Entries an xdp-filter address map is resized to before load (it ships with 10000). */
#define BF_REF_MAP_ENTRIES 131072

int bf_ours_load(struct bf_ours *o);
void bf_ours_close(struct bf_ours *o);
/* Plug fresh filter maps into the @standalone program and apply @cfg; @return its prog fd. */
int bf_ours_setup(struct bf_ours *o, bool standalone, const struct sl_filter_cfg *cfg);

/* Load @dir/xdpfilt_@variant.o (maps unpinned, address maps resized). */
int bf_ref_load(struct bf_ref *r, const char *dir, const char *variant);
void bf_ref_close(struct bf_ref *r);
/* Add IPv4 address @addr (network order) to the reference's map with @flags on every CPU. */
int bf_ref_add4(struct bf_ref *r, uint32_t addr, uint64_t flags);

/* A program that returns XDP_PASS: the test-run harness's own cost. */
int bf_empty_prog(void);

/* The @i-th of the benchmark's host addresses (distinct for i < 2^24, in 10.0.0.0/8). */
static inline uint32_t
bf_host(uint32_t i)
{
	/* An odd multiplier is a bijection mod 2^24: distinct, scattered over the /8. */
	return 0x0a000000u | ((i * 0x9e3779b1u) & 0x00ffffffu);
}

#endif /* SL_BENCH_FILTER_H */
