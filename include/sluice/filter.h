/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The XDP filter's management library (common/filter*.c): the rule-set
 * model and its JSON form, and the operations on an interface's pinned
 * filter maps. sluice-filter (tools/), sluice-dp (which plugs the maps into
 * the program DPDK loaded) and, later, sluiced link it.
 *
 * Design (see <sluice/bpf_maps.h> and docs/filter.md): the filter's state is
 * a set of inner maps pinned under <pin root>/<ifname>/; the program holds
 * one-slot outer maps that those are plugged into. A rule-set change builds
 * new inner maps off to the side, fills them, then swaps each into its
 * outer slot and re-pins it: readers see the old list or the new one. A
 * change that fails validation or map creation leaves everything as it was.
 *
 * Every int function returns 0 or -errno. Not thread-safe per handle.
 */
#ifndef SLUICE_FILTER_H
#define SLUICE_FILTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sluice/bpf_maps.h>

/* ---- The rule-set model ---- */

enum sl_filter_mode {
	SL_FILTER_ENFORCE = 0, /* drop */
	SL_FILTER_MONITOR = 1, /* count the would-drop, pass the packet */
};

/* A source or destination prefix; addr is masked to len (host bits zero). */
struct sl_filter_prefix {
	uint8_t family; /* 4 or 6 */
	uint8_t len;	/* 0..32 or 0..128 */
	uint8_t addr[16];
};

/* A denylist rule, optionally scoped to a destination (a VIP, a VIP's port). */
struct sl_filter_deny {
	struct sl_filter_prefix src;
	bool scoped;
	uint8_t dst_family; /* scoped: the destination's family (== src.family) */
	uint8_t proto;	    /* scoped: IPPROTO_TCP, IPPROTO_UDP, or 0 = any */
	uint16_t port;	    /* scoped: host order, 0 = any (needs a proto) */
	uint8_t dst[16];    /* scoped: the destination address */
};

/* A rate limit: packets and bytes per second and bucket depths; 0 = none / default. */
struct sl_filter_rate {
	uint64_t pps;
	uint64_t bps;
	uint64_t burst_pkts;  /* 0: max(pps / 10, 1) */
	uint64_t burst_bytes; /* 0: max(bps / 10, SL_FILTER_MIN_BURST_BYTES) */
};

/* Explicit byte depths must hold at least one full frame (VLAN-tagged 1500 MTU). */
#define SL_FILTER_MIN_BURST_BYTES 1522

/* A per-prefix rate-limit override. */
struct sl_filter_rate_ovr {
	struct sl_filter_prefix src;
	uint8_t key_len; /* bucket per this source prefix length; 0 = the family's default */
	struct sl_filter_rate rate;
};

/*
 * A per-VIP SYN limit: TCP SYNs to one VIP, named by its address and port
 * (0: every port of the address that has no entry of its own, and any-port
 * VIPs), in place of the default syn_pps.
 */
struct sl_filter_syn_ovr {
	uint8_t family; /* 4 or 6 */
	uint8_t addr[16];
	uint16_t port;	/* host order; 0 = all ports */
	uint64_t pps;	/* 0: no SYN limit for this VIP */
	uint64_t burst; /* 0: max(pps / 10, 1) */
};

struct sl_filter_cfg {
	struct sl_filter_prefix *allow;
	uint32_t n_allow;

	enum sl_filter_mode deny_mode;
	struct sl_filter_deny *deny;
	uint32_t n_deny;

	enum sl_filter_mode rate_mode;
	uint8_t key_len4; /* default 32 */
	uint8_t key_len6; /* default 64 */
	struct sl_filter_rate rate;
	struct sl_filter_rate_ovr *rate_ovr;
	uint32_t n_rate_ovr;

	enum sl_filter_mode syn_mode;
	uint64_t syn_pps;   /* per VIP; 0 = no SYN limit */
	uint64_t syn_burst; /* 0: max(syn_pps / 10, 1) */

	uint32_t
		drop_sample; /* 1 in N drops per CPU sampled to the ring; a power of 2, default 1 */

	/* Added after the first version: per-VIP SYN limits (syn_limit.overrides). */
	struct sl_filter_syn_ovr *syn_ovr;
	uint32_t n_syn_ovr;
};

#define SL_FILTER_ERR_LEN 256

/* An empty rule set with the defaults (nothing filtered). */
void sl_filter_cfg_init(struct sl_filter_cfg *cfg);
void sl_filter_cfg_free(struct sl_filter_cfg *cfg);

/*
 * Check @cfg: sizes within the map capacities, prefixes masked, lengths and
 * limits in range, scopes consistent. @return 0, or -EINVAL with a message
 * naming the field (e.g. "deny[3].port: ...") in @err.
 */
int sl_filter_cfg_validate(const struct sl_filter_cfg *cfg, char *err, size_t errlen);

/*
 * Parse the JSON model (docs/filter.md) into @cfg (initialised here; free
 * it with sl_filter_cfg_free even on error). Validates.
 * @return 0, -EINVAL (message naming the field in @err), -ENOMEM.
 */
int sl_filter_cfg_from_json(struct sl_filter_cfg *cfg, const char *json, char *err, size_t errlen);
int sl_filter_cfg_from_file(struct sl_filter_cfg *cfg, const char *path, char *err, size_t errlen);

/* The JSON model of @cfg, malloc'ed (free()); NULL with errno set on failure. */
char *sl_filter_cfg_to_json(const struct sl_filter_cfg *cfg);

/*
 * Parse "a.b.c.d/len", "x::y/len" or a bare address (a host prefix) into
 * @p. @return 0, or -EINVAL with the reason in @err (host bits set, length
 * out of range, not an address).
 */
int sl_filter_prefix_parse(struct sl_filter_prefix *p, const char *s, char *err, size_t errlen);
/* "a.b.c.d/len" into @buf (at least 64 bytes). */
const char *sl_filter_prefix_str(const struct sl_filter_prefix *p, char *buf, size_t len);

/*
 * Read prefixes from a file: one a line, '#' starts a comment, blank lines
 * skipped. Appends to *@v / *@n (realloc'ed). @return 0, -EINVAL with
 * "FILE:LINE: reason" in @err, or -errno of the open.
 */
int sl_filter_prefix_file(
	const char *path, struct sl_filter_prefix **v, uint32_t *n, char *err, size_t errlen);

/* ---- An interface's filter maps ---- */

struct sl_filter;

enum sl_filter_open_flag {
	SL_FILTER_CREATE = 1 << 0, /* create (and pin) maps that are missing */
	SL_FILTER_NO_PIN = 1 << 1, /* fresh maps, pinned nowhere (tests, benchmarks) */
};

/*
 * Open the filter maps pinned under @pin_root/@ifname/ (@pin_root NULL:
 * SL_FILTER_PIN_ROOT). @ifname may be NULL with SL_FILTER_NO_PIN.
 * @return 0 and *@out, or -ENOENT (not there, no SL_FILTER_CREATE), -EINVAL
 * (bad name, or a pinned map whose layout is not this version's: remove the
 * directory), -ENOTSUP (@pin_root is not on a bpffs), -ENOMEM, or the
 * kernel's -errno.
 */
int sl_filter_open(
	struct sl_filter **out, const char *pin_root, const char *ifname, unsigned flags);
void sl_filter_close(struct sl_filter *f);

/* The pin directory ("" when not pinned). */
const char *sl_filter_dir(const struct sl_filter *f);

/*
 * Plug the maps into the outer maps of program @prog_fd (a Sluice front
 * program). Later sl_filter_apply() calls swap into it too.
 * @return 0, -ENOENT (the program has no filter outer maps), or -errno.
 */
int sl_filter_plug(struct sl_filter *f, int prog_fd);

/* The same for the XDP program attached to @ifindex. -ENOENT: none attached. */
int sl_filter_plug_ifindex(struct sl_filter *f, int ifindex);

/* What sl_filter_apply() replaces. */
enum sl_filter_part {
	SL_FILTER_PART_ALLOW = 1 << 0,
	SL_FILTER_PART_DENY = 1 << 1,
	SL_FILTER_PART_RATE = 1 << 2, /* the override list */
	SL_FILTER_PART_CONF = 1 << 3, /* modes, default limits, SYN limit, sampling */
	SL_FILTER_PART_SYN = 1 << 4,  /* the per-VIP SYN limits */
	SL_FILTER_PART_ALL = 0x1f,
};

/*
 * Make @cfg the rule set: validate it, build the @parts that change as new
 * maps, then swap them in (lists first, the conf last) and re-pin them.
 * The conf is always rebuilt, since it records which lists are non-empty.
 * @return 0; -EINVAL (message in @err) or -errno with nothing changed.
 */
int sl_filter_apply(struct sl_filter *f, const struct sl_filter_cfg *cfg, unsigned parts, char *err,
	size_t errlen);

/* Read the rule set back from the maps (rules in their original order). */
int sl_filter_get(struct sl_filter *f, struct sl_filter_cfg *cfg);

/* Counters summed over CPUs: @out has SL_XDP_STATS_MAX entries. */
int sl_filter_counters(struct sl_filter *f, struct sl_xdp_counter *out);

/* Hits of rule ids [@first, @first + @n) into @out. -ERANGE past SL_FILT_HITS_MAX. */
int sl_filter_hits(struct sl_filter *f, uint32_t first, uint32_t n, uint64_t *out);

/* Zero the counters and rule hits. */
int sl_filter_reset_counters(struct sl_filter *f);

/*
 * Consume recent-drop records for up to @timeout_ms (0: what is there now),
 * calling @cb for each; stops early when @cb returns non-zero or @max
 * records were seen (0: no limit). @return the number consumed, or -errno.
 */
int sl_filter_drops(struct sl_filter *f, int timeout_ms, unsigned max,
	int (*cb)(const struct sl_filt_drop_event *e, void *ctx), void *ctx);

/* The inner map fd of outer map @outer_name (SL_MAP_*), for tests; -ENOENT. */
int sl_filter_map_fd(const struct sl_filter *f, const char *outer_name);

/* Short names of the counters ("redirect", "drop_deny", "mal_trunc_ip4", ...). */
const char *sl_filter_stat_name(unsigned idx);

/*
 * Load the front object @obj_path in standalone mode (rodata sl_standalone
 * = 1) and attach it to @ifindex with @xdp_flags (XDP_FLAGS_*; refuses to
 * replace another program unless the flags allow). *@prog_fd gets the
 * program (close it when done; the attachment stays).
 */
int sl_filter_load_standalone(const char *obj_path, int ifindex, uint32_t xdp_flags, int *prog_fd);

#endif /* SLUICE_FILTER_H */
