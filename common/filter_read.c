/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Reading an interface's filter state back: the rule set (from the maps, so
 * what the program uses is what is shown), counters, rule hits, and the
 * recent-drops ring buffer.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "filter_priv.h"

/*
 * Walk map @fd (keys of @ksize, values of @vsize bytes); @put(ctx, key,
 * value) for each entry. Keys are copied before the next call, as
 * get_next_key needs the previous key.
 */
static int
walk(int fd, size_t ksize, size_t vsize, void (*put)(void *ctx, const void *k, const void *v),
	void *ctx)
{
	unsigned char cur[64], next[64], val[128];
	void *prev = NULL;

	if (ksize > sizeof(cur) || vsize > sizeof(val))
		return -EINVAL;
	while (bpf_map_get_next_key(fd, prev, next) == 0) {
		if (bpf_map_lookup_elem(fd, next, val) == 0)
			put(ctx, next, val);
		memcpy(cur, next, ksize);
		prev = cur;
	}
	return errno == ENOENT ? 0 : -errno;
}

struct rd {
	struct sl_filter_cfg *cfg;
	uint32_t base, max;
};

/* The rule position of prefix-set entry @self (rule id + 1), or -1 for a marker or a stranger. */
static int64_t
pos_of(const struct rd *r, uint32_t self)
{
	if (!self || self - 1 < r->base || self - 1 - r->base >= r->max)
		return -1;
	return self - 1 - r->base;
}

static void
pset_prefix(struct sl_filter_prefix *p, const struct sl_filt_pkey *k)
{
	memset(p, 0, sizeof(*p));
	p->family = k->family;
	p->len = k->len;
	memcpy(p->addr, k->addr, 16);
}

static void
put_allow(void *ctx, const void *key, const void *v)
{
	struct rd *r = ctx;
	int64_t i = pos_of(r, ((const struct sl_filt_pval *)v)->self);

	if (i < 0)
		return;
	pset_prefix(&r->cfg->allow[i], key);
	if (i + 1 > r->cfg->n_allow)
		r->cfg->n_allow = (uint32_t)i + 1;
}

static void
put_deny(void *ctx, const void *key, const void *v)
{
	struct rd *r = ctx;
	int64_t i = pos_of(r, ((const struct sl_filt_pval *)v)->self);

	if (i < 0)
		return;
	pset_prefix(&r->cfg->deny[i].src, key);
	if (i + 1 > r->cfg->n_deny)
		r->cfg->n_deny = (uint32_t)i + 1;
}

static void
put_scoped(void *ctx, const void *key, const void *v)
{
	struct rd *r = ctx;
	const struct sl_filt_key *k = key;
	int64_t i = pos_of(r, ((const struct sl_filt_rule *)v)->id + 1);
	struct sl_filter_deny *d;

	if (i < 0)
		return;
	d = &r->cfg->deny[i];
	memset(&d->src, 0, sizeof(d->src));
	d->src.family = k->family;
	d->src.len = (uint8_t)(k->prefixlen - SL_FILT_KEY_SCOPE_BITS);
	memcpy(d->src.addr, k->src, 16);
	d->scoped = true;
	d->dst_family = k->family;
	d->proto = k->proto;
	d->port = ntohs(k->port);
	memcpy(d->dst, k->dst, 16);
	if (i + 1 > r->cfg->n_deny)
		r->cfg->n_deny = (uint32_t)i + 1;
}

static void
put_rate(void *ctx, const void *key, const void *v)
{
	const struct sl_filt_rate_pval *rule = v;
	struct rd *r = ctx;
	int64_t i = pos_of(r, rule->self);
	struct sl_filter_rate_ovr *o;

	if (i < 0)
		return;
	/* A rule is its own best match: the value carries its limit. */
	o = &r->cfg->rate_ovr[i];
	pset_prefix(&o->src, key);
	o->key_len = rule->key_len;
	o->rate.pps = rule->rate.pps;
	o->rate.bps = rule->rate.bps;
	o->rate.burst_pkts = rule->rate.burst_pkts;
	o->rate.burst_bytes = rule->rate.burst_bytes;
	if (i + 1 > r->cfg->n_rate_ovr)
		r->cfg->n_rate_ovr = (uint32_t)i + 1;
}

static void
put_syn(void *ctx, const void *key, const void *v)
{
	const struct sl_filt_syn_rule *rule = v;
	const struct sl_filt_syn_key *k = key;
	struct rd *r = ctx;
	struct sl_filter_syn_ovr *o;

	if (rule->id == 0 || rule->id > r->max)
		return;
	o = &r->cfg->syn_ovr[rule->id - 1];
	o->family = k->family;
	memcpy(o->addr, k->addr, 16);
	o->port = ntohs(k->port);
	o->pps = rule->rate.pps;
	o->burst = rule->rate.burst_pkts;
	if (rule->id > r->cfg->n_syn_ovr)
		r->cfg->n_syn_ovr = rule->id;
}

/*
 * Ids are positions; duplicates in the applied set kept the first id, so a
 * list read back has no holes only if it had no duplicates: holes (zeroed
 * entries) are squeezed out below.
 */
static uint32_t
squeeze(void *v, uint32_t n, size_t size, size_t family_off)
{
	uint32_t out = 0;

	for (uint32_t i = 0; i < n; i++) {
		unsigned char *e = (unsigned char *)v + i * size;
		if (e[family_off] == 0)
			continue;
		if (out != i)
			memcpy((unsigned char *)v + out * size, e, size);
		out++;
	}
	return out;
}

int
sl_filter_get(struct sl_filter *f, struct sl_filter_cfg *cfg)
{
	struct sl_filt_conf c;
	struct rd r = {.cfg = cfg};
	__u32 zero = 0;
	int rc;

	sl_filter_cfg_init(cfg);
	if (bpf_map_lookup_elem(f->fd[SL_FM_CONF], &zero, &c) < 0)
		return -errno;
	cfg->deny_mode = c.flags & SL_FILT_DENY_MONITOR ? SL_FILTER_MONITOR : SL_FILTER_ENFORCE;
	cfg->rate_mode = c.flags & SL_FILT_RATE_MONITOR ? SL_FILTER_MONITOR : SL_FILTER_ENFORCE;
	cfg->syn_mode = c.flags & SL_FILT_SYN_MONITOR ? SL_FILTER_MONITOR : SL_FILTER_ENFORCE;
	cfg->key_len4 = c.rate_key_len4;
	cfg->key_len6 = c.rate_key_len6;
	cfg->drop_sample = 1u << c.sample_shift;
	cfg->rate.pps = c.rate.pps;
	cfg->rate.bps = c.rate.bps;
	cfg->rate.burst_pkts = c.rate.burst_pkts;
	cfg->rate.burst_bytes = c.rate.burst_bytes;
	cfg->syn_pps = c.syn.pps;
	cfg->syn_burst = c.syn.burst_pkts;

	cfg->allow = calloc(SL_FILT_ALLOW_MAX, sizeof(*cfg->allow));
	cfg->deny = calloc(SL_FILT_DENY_MAX, sizeof(*cfg->deny));
	cfg->rate_ovr = calloc(SL_FILT_RATE_MAX, sizeof(*cfg->rate_ovr));
	cfg->syn_ovr = calloc(SL_FILT_SYN_MAX, sizeof(*cfg->syn_ovr));
	if (!cfg->allow || !cfg->deny || !cfg->rate_ovr || !cfg->syn_ovr) {
		sl_filter_cfg_free(cfg);
		return -ENOMEM;
	}
	r.base = SL_FILT_ID_ALLOW;
	r.max = SL_FILT_ALLOW_MAX;
	if ((rc = walk(f->fd[SL_FM_ALLOW], sizeof(struct sl_filt_pkey), sizeof(struct sl_filt_pval),
		     put_allow, &r)) < 0)
		goto fail;
	r.base = SL_FILT_ID_DENY;
	r.max = SL_FILT_DENY_MAX;
	if ((rc = walk(f->fd[SL_FM_DENY], sizeof(struct sl_filt_pkey), sizeof(struct sl_filt_pval),
		     put_deny, &r)) < 0 ||
		(rc = walk(f->fd[SL_FM_SCOPED], sizeof(struct sl_filt_key),
			 sizeof(struct sl_filt_rule), put_scoped, &r)) < 0)
		goto fail;
	r.base = SL_FILT_ID_RATE;
	r.max = SL_FILT_RATE_MAX;
	if ((rc = walk(f->fd[SL_FM_RATE], sizeof(struct sl_filt_pkey),
		     sizeof(struct sl_filt_rate_pval), put_rate, &r)) < 0)
		goto fail;
	r.max = SL_FILT_SYN_MAX;
	if ((rc = walk(f->fd[SL_FM_SYN], sizeof(struct sl_filt_syn_key),
		     sizeof(struct sl_filt_syn_rule), put_syn, &r)) < 0)
		goto fail;
	cfg->n_syn_ovr = squeeze(cfg->syn_ovr, cfg->n_syn_ovr, sizeof(*cfg->syn_ovr),
		offsetof(struct sl_filter_syn_ovr, family));
	cfg->n_allow = squeeze(cfg->allow, cfg->n_allow, sizeof(*cfg->allow),
		offsetof(struct sl_filter_prefix, family));
	cfg->n_deny = squeeze(cfg->deny, cfg->n_deny, sizeof(*cfg->deny),
		offsetof(struct sl_filter_deny, src.family));
	cfg->n_rate_ovr = squeeze(cfg->rate_ovr, cfg->n_rate_ovr, sizeof(*cfg->rate_ovr),
		offsetof(struct sl_filter_rate_ovr, src.family));
	return 0;
fail:
	sl_filter_cfg_free(cfg);
	return rc;
}

int
sl_filter_counters(struct sl_filter *f, struct sl_xdp_counter *out)
{
	int ncpu = libbpf_num_possible_cpus();
	struct sl_xdp_counter *v;

	if (ncpu <= 0)
		return ncpu < 0 ? ncpu : -EINVAL;
	v = calloc((size_t)ncpu, sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (uint32_t i = 0; i < SL_XDP_STATS_MAX; i++) {
		out[i].packets = out[i].bytes = 0;
		if (bpf_map_lookup_elem(f->fd[SL_FM_STATS], &i, v) < 0) {
			int e = -errno;
			free(v);
			return e;
		}
		for (int c = 0; c < ncpu; c++) {
			out[i].packets += v[c].packets;
			out[i].bytes += v[c].bytes;
		}
	}
	free(v);
	return 0;
}

int
sl_filter_hits(struct sl_filter *f, uint32_t first, uint32_t n, uint64_t *out)
{
	int ncpu = libbpf_num_possible_cpus();
	struct sl_filt_hitbuf *buf;
	__u32 zero = 0;

	if (first >= SL_FILT_HITS_MAX || n > SL_FILT_HITS_MAX - first)
		return -ERANGE;
	if (ncpu <= 0)
		return ncpu < 0 ? ncpu : -EINVAL;
	buf = calloc((size_t)ncpu, sizeof(*buf));
	if (!buf)
		return -ENOMEM;
	for (uint32_t i = 0; i < n; i++) {
		uint32_t id = first + i;

		out[i] = 0;
		if (bpf_map_lookup_elem(f->fd[SL_FM_HITS], &id, &out[i]) < 0) {
			int e = -errno;
			free(buf);
			return e;
		}
	}
	/* What the CPUs still hold in their buffers (sl_filt_hitbuf) */
	if (bpf_map_lookup_elem(f->fd[SL_FM_HITBUF], &zero, buf) == 0)
		for (int c = 0; c < ncpu; c++)
			if (buf[c].id && buf[c].id - 1 >= first && buf[c].id - 1 - first < n)
				out[buf[c].id - 1 - first] += buf[c].n;
	free(buf);
	return 0;
}

int
sl_filter_reset_counters(struct sl_filter *f)
{
	int ncpu = libbpf_num_possible_cpus();
	void *zeros;
	int rc = 0;

	if (ncpu <= 0)
		return ncpu < 0 ? ncpu : -EINVAL;
	zeros = calloc((size_t)ncpu, sizeof(struct sl_xdp_counter));
	if (!zeros)
		return -ENOMEM;
	for (uint32_t i = 0; i < SL_XDP_STATS_MAX && rc == 0; i++)
		if (bpf_map_update_elem(f->fd[SL_FM_STATS], &i, zeros, BPF_ANY) < 0)
			rc = -errno;
	/* Hits: one plain array, zeroed by a fresh map swapped in would race; write zeros. */
	if (rc == 0 && bpf_map_update_elem(f->fd[SL_FM_HITBUF], &(__u32){0}, zeros, BPF_ANY) < 0)
		rc = -errno;
	{
		uint64_t zero = 0;
		for (uint32_t i = 0; i < SL_FILT_HITS_MAX && rc == 0; i++)
			if (bpf_map_update_elem(f->fd[SL_FM_HITS], &i, &zero, BPF_ANY) < 0)
				rc = -errno;
	}
	free(zeros);
	return rc;
}

struct drops_ctx {
	int (*cb)(const struct sl_filt_drop_event *e, void *ctx);
	void *ctx;
	unsigned max, seen;
	bool stop;
};

static int
on_drop(void *ctx, void *data, size_t len)
{
	struct drops_ctx *d = ctx;

	if (d->stop || len < sizeof(struct sl_filt_drop_event))
		return 0;
	d->seen++;
	if (d->cb(data, d->ctx) != 0 || (d->max && d->seen >= d->max)) {
		d->stop = true;
		return 1; /* ends ring_buffer__consume/poll early; the rest stays for next time */
	}
	return 0;
}

int
sl_filter_drops(struct sl_filter *f, int timeout_ms, unsigned max,
	int (*cb)(const struct sl_filt_drop_event *e, void *ctx), void *ctx)
{
	struct drops_ctx d = {cb, ctx, max, 0, false};
	struct ring_buffer *rb;
	int rc;

	rb = ring_buffer__new(f->fd[SL_FM_DROPS], on_drop, &d, NULL);
	if (!rb)
		return -errno;
	rc = ring_buffer__consume(rb);
	while (rc >= 0 && !d.stop && timeout_ms > 0) {
		int step = timeout_ms > 100 ? 100 : timeout_ms;
		rc = ring_buffer__poll(rb, step);
		timeout_ms -= step;
	}
	ring_buffer__free(rb);
	if (rc < 0 && rc != -EINTR)
		return rc;
	return (int)d.seen;
}

const char *
sl_filter_stat_name(unsigned idx)
{
	static const char *const names[SL_XDP_STATS_MAX] = {
		[SL_XDP_REDIRECT] = "redirect",
		[SL_XDP_REDIRECT_ICMP] = "redirect_icmp",
		[SL_XDP_REDIRECT_FRAG] = "redirect_frag",
		[SL_XDP_PASS] = "pass",
		[SL_XDP_PASS_NOT_IP] = "pass_not_ip",
		[SL_XDP_MALFORMED] = "malformed",
		[SL_XDP_NO_XSK] = "no_xsk",
		[SL_XDP_REDIRECT_MALFORMED] = "redirect_malformed",
		[SL_XDP_DROP_DENY] = "drop_deny",
		[SL_XDP_DROP_RATE] = "drop_rate",
		[SL_XDP_DROP_SYN] = "drop_syn",
		[SL_XDP_ALLOW] = "allow",
		[SL_XDP_MON_DENY] = "mon_deny",
		[SL_XDP_MON_RATE] = "mon_rate",
		[SL_XDP_MON_SYN] = "mon_syn",
		[SL_XDP_RATE_RACE] = "rate_race",
		[SL_XDP_BUCKET_FULL] = "bucket_full",
		[SL_XDP_MAL_TRUNC_ETH] = "mal_trunc_eth",
		[SL_XDP_MAL_TRUNC_VLAN] = "mal_trunc_vlan",
		[SL_XDP_MAL_TOO_MANY_VLANS] = "mal_too_many_vlans",
		[SL_XDP_MAL_TRUNC_IP4] = "mal_trunc_ip4",
		[SL_XDP_MAL_BAD_IP4] = "mal_bad_ip4",
		[SL_XDP_MAL_BAD_IP4_LEN] = "mal_bad_ip4_len",
		[SL_XDP_MAL_TRUNC_IP6] = "mal_trunc_ip6",
		[SL_XDP_MAL_BAD_IP6] = "mal_bad_ip6",
		[SL_XDP_MAL_BAD_IP6_LEN] = "mal_bad_ip6_len",
		[SL_XDP_MAL_TRUNC_IP6_EXT] = "mal_trunc_ip6_ext",
		[SL_XDP_MAL_IP6_EXT_TOO_LONG] = "mal_ip6_ext_too_long",
		[SL_XDP_MAL_TRUNC_TCP] = "mal_trunc_tcp",
		[SL_XDP_MAL_BAD_TCP] = "mal_bad_tcp",
		[SL_XDP_MAL_TRUNC_UDP] = "mal_trunc_udp",
		[SL_XDP_MAL_TRUNC_ICMP] = "mal_trunc_icmp",
	};
	return idx < SL_XDP_STATS_MAX && names[idx] ? names[idx] : "?";
}
