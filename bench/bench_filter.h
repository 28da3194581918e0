/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sluice-bench-filter: the XDP filter (bpf/xdp_front.bpf.c) against Debian's
 * xdp-filter (xdp-tools) on the same frames, through BPF_PROG_TEST_RUN.
 * bench_filter.c runs the cases and prints JSON, bench_filter_cases.c
 * says what each case loads and expects, bench_filter_env.c loads the
 * programs and fills their maps.
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

/* ---- the cases (bench_filter_cases.c) ---- */

enum bf_src {
	BF_SRC_UNLISTED,
	BF_SRC_LISTED
};

struct bf_case {
	const char *name;
	const char *ours; /* what our program does for the frame */
	const char *ref;  /* what xdp-filter does */
	bool standalone;  /* ours: standalone mode (VIP traffic to the kernel) */
	bool to_vip;
	enum bf_src src;
	uint32_t n_allow,
		n_deny;		 /* ours: host (/32) rules, the same addresses as the reference's */
	bool mixed;		 /* ours: deny /24 and /32 prefixes instead of hosts */
	bool rate, syn;		 /* ours: a default rate limit (pps and bytes), a SYN limit */
	bool over;		 /* ours: the rate limit at 1 packet/s, its bucket emptied first */
	const char *ref_variant; /* xdpfilt_<variant>.o */
	uint32_t ref_n;		 /* reference: hosts in its IPv4 map */
	bool ref_src;		 /* reference: the source is in its map (ours need not list it) */
	uint32_t want_ours, want_ref;
	enum sl_xdp_stat want_stat; /* our verdict counter for every run */
};

extern const struct bf_case bf_cases[];
extern const size_t bf_n_cases;

/* The source address of @c's frame (network order). */
uint32_t bf_case_src(const struct bf_case *c);
/* @c's frame into @buf; @return its length or -errno. */
int bf_build_frame(const struct bf_case *c, uint8_t *buf, size_t cap);
/* Our rule set for @c into @cfg (free it with sl_filter_cfg_free). @return 0 or -ENOMEM. */
int bf_case_cfg(const struct bf_case *c, struct sl_filter_cfg *cfg);

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
