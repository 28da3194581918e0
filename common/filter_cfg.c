/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The filter rule-set model: prefixes, validation, and what the program's
 * conf value is made of. The JSON form is in filter_json.c.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sluice/tbucket.h>

#include "filter_priv.h"

static int
fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

void
sl_filter_cfg_init(struct sl_filter_cfg *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->key_len4 = 32;
	cfg->key_len6 = 64;
	cfg->drop_sample = 1;
}

void
sl_filter_cfg_free(struct sl_filter_cfg *cfg)
{
	free(cfg->allow);
	free(cfg->deny);
	free(cfg->rate_ovr);
	free(cfg->syn_ovr);
	cfg->allow = NULL;
	cfg->deny = NULL;
	cfg->rate_ovr = NULL;
	cfg->syn_ovr = NULL;
	cfg->n_allow = cfg->n_deny = cfg->n_rate_ovr = cfg->n_syn_ovr = 0;
}

static unsigned
addr_bits(uint8_t family)
{
	return family == 4 ? 32 : 128;
}

/* Are the bits of @a past @len all zero? */
static bool
host_bits_zero(const uint8_t *a, unsigned len, unsigned total)
{
	for (unsigned b = len; b < total; b++)
		if (a[b / 8] & (0x80 >> (b % 8)))
			return false;
	return true;
}

int
sl_filter_prefix_parse(struct sl_filter_prefix *p, const char *s, char *err, size_t errlen)
{
	char buf[INET6_ADDRSTRLEN + 8];
	const char *slash;
	unsigned long len;
	char *end;

	memset(p, 0, sizeof(*p));
	if (!s || !*s)
		return fail(err, errlen, "empty prefix");
	if (strlen(s) >= sizeof(buf))
		return fail(err, errlen, "'%.60s...' is too long for a prefix", s);
	strcpy(buf, s);
	slash = strchr(buf, '/');
	if (slash)
		buf[slash - buf] = '\0';
	if (inet_pton(AF_INET, buf, p->addr) == 1)
		p->family = 4;
	else if (inet_pton(AF_INET6, buf, p->addr) == 1)
		p->family = 6;
	else
		return fail(err, errlen, "'%s' is not an IPv4 or IPv6 address or prefix", s);
	len = addr_bits(p->family);
	if (slash) {
		const char *l = s + (slash - buf) + 1;

		errno = 0;
		len = strtoul(l, &end, 10);
		if (!*l || *end || errno || *l == '-' || *l == '+' || len > addr_bits(p->family))
			return fail(err, errlen, "'%s': prefix length must be 0..%u", s,
				addr_bits(p->family));
	}
	p->len = (uint8_t)len;
	if (!host_bits_zero(p->addr, p->len, addr_bits(p->family))) {
		struct sl_filter_prefix m = *p;
		char want[64];

		for (unsigned b = p->len; b < addr_bits(p->family); b++)
			m.addr[b / 8] &= (uint8_t) ~(0x80 >> (b % 8));
		return fail(err, errlen, "'%s': host bits set (did you mean %s?)", s,
			sl_filter_prefix_str(&m, want, sizeof(want)));
	}
	return 0;
}

const char *
sl_filter_prefix_str(const struct sl_filter_prefix *p, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];

	if (!inet_ntop(p->family == 4 ? AF_INET : AF_INET6, p->addr, a, sizeof(a)))
		snprintf(a, sizeof(a), "?");
	snprintf(buf, len, "%s/%u", a, p->len);
	return buf;
}

int
sl_filter_prefix_file(
	const char *path, struct sl_filter_prefix **v, uint32_t *n, char *err, size_t errlen)
{
	char line[512], msg[SL_FILTER_ERR_LEN];
	unsigned lineno = 0;
	FILE *fp = fopen(path, "r");
	int rc = 0;

	if (!fp) {
		rc = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return rc;
	}
	while (fgets(line, sizeof(line), fp)) {
		char *s = line, *e;
		struct sl_filter_prefix p;

		lineno++;
		if (!strchr(line, '\n') && !feof(fp)) {
			rc = fail(err, errlen, "%s:%u: line too long", path, lineno);
			break;
		}
		if ((e = strchr(s, '#')))
			*e = '\0';
		while (*s == ' ' || *s == '\t')
			s++;
		e = s + strlen(s);
		while (e > s && (e[-1] == '\n' || e[-1] == '\r' || e[-1] == ' ' || e[-1] == '\t'))
			*--e = '\0';
		if (!*s)
			continue;
		if (sl_filter_prefix_parse(&p, s, msg, sizeof(msg)) < 0) {
			rc = fail(err, errlen, "%s:%u: %s", path, lineno, msg);
			break;
		}
		void *t = realloc(*v, ((size_t)*n + 1) * sizeof(**v)); /* glibc grows in place */
		if (!t) {
			rc = -ENOMEM;
			snprintf(err, errlen, "out of memory");
			break;
		}
		*v = t;
		(*v)[(*n)++] = p;
	}
	if (rc == 0 && ferror(fp)) {
		rc = -EIO;
		snprintf(err, errlen, "%s: read error", path);
	}
	fclose(fp);
	return rc;
}

static int
check_prefix(const struct sl_filter_prefix *p, const char *field, char *err, size_t errlen)
{
	if (p->family != 4 && p->family != 6)
		return fail(err, errlen, "%s: family must be 4 or 6", field);
	if (p->len > addr_bits(p->family))
		return fail(err, errlen, "%s: prefix length %u > %u", field, p->len,
			addr_bits(p->family));
	if (!host_bits_zero(p->addr, p->len, addr_bits(p->family)))
		return fail(err, errlen, "%s: host bits set", field);
	return 0;
}

static int
check_rate(const struct sl_filter_rate *r, const char *field, char *err, size_t errlen)
{
	if (r->pps > SL_TB_MAX_UNITS || r->bps > SL_TB_MAX_UNITS)
		return fail(err, errlen, "%s: rates are at most %llu per second", field,
			(unsigned long long)SL_TB_MAX_UNITS);
	if (r->burst_pkts > SL_TB_MAX_UNITS || r->burst_bytes > SL_TB_MAX_UNITS)
		return fail(err, errlen, "%s: bursts are at most %llu", field,
			(unsigned long long)SL_TB_MAX_UNITS);
	if ((r->burst_pkts && !r->pps) || (r->burst_bytes && !r->bps))
		return fail(err, errlen, "%s: a burst without its rate", field);
	if (r->burst_bytes && r->burst_bytes < SL_FILTER_MIN_BURST_BYTES)
		return fail(err, errlen,
			"%s: burst_bytes %llu is smaller than one full frame (%u): no large frame "
			"could ever pass",
			field, (unsigned long long)r->burst_bytes, SL_FILTER_MIN_BURST_BYTES);
	return 0;
}

static int
check_mode(enum sl_filter_mode m, const char *field, char *err, size_t errlen)
{
	if (m != SL_FILTER_ENFORCE && m != SL_FILTER_MONITOR)
		return fail(err, errlen, "%s: must be enforce or monitor", field);
	return 0;
}

int
sl_filter_cfg_validate(const struct sl_filter_cfg *cfg, char *err, size_t errlen)
{
	char field[64];
	int rc;

	if (cfg->n_allow > SL_FILT_ALLOW_MAX)
		return fail(err, errlen, "allow: %u prefixes, at most %u", cfg->n_allow,
			SL_FILT_ALLOW_MAX);
	if (cfg->n_deny > SL_FILT_DENY_MAX)
		return fail(err, errlen, "deny.rules: %u rules, at most %u", cfg->n_deny,
			SL_FILT_DENY_MAX);
	if (cfg->n_rate_ovr > SL_FILT_RATE_MAX)
		return fail(err, errlen, "rate_limit.overrides: %u, at most %u", cfg->n_rate_ovr,
			SL_FILT_RATE_MAX);
	if ((rc = check_mode(cfg->deny_mode, "deny.mode", err, errlen)) < 0 ||
		(rc = check_mode(cfg->rate_mode, "rate_limit.mode", err, errlen)) < 0 ||
		(rc = check_mode(cfg->syn_mode, "syn_limit.mode", err, errlen)) < 0)
		return rc;
	for (uint32_t i = 0; i < cfg->n_allow; i++) {
		snprintf(field, sizeof(field), "allow[%u]", i);
		if ((rc = check_prefix(&cfg->allow[i], field, err, errlen)) < 0)
			return rc;
	}
	for (uint32_t i = 0; i < cfg->n_deny; i++) {
		const struct sl_filter_deny *d = &cfg->deny[i];

		snprintf(field, sizeof(field), "deny.rules[%u].prefix", i);
		if ((rc = check_prefix(&d->src, field, err, errlen)) < 0)
			return rc;
		if (!d->scoped)
			continue;
		if (d->dst_family != d->src.family)
			return fail(err, errlen,
				"deny.rules[%u].vip: an IPv%u destination for an IPv%u source "
				"prefix",
				i, d->dst_family, d->src.family);
		if (d->proto != 0 && d->proto != IPPROTO_TCP && d->proto != IPPROTO_UDP)
			return fail(err, errlen, "deny.rules[%u].protocol: must be tcp or udp", i);
		if (d->port && !d->proto)
			return fail(err, errlen, "deny.rules[%u].port: a port needs a protocol", i);
	}
	if (cfg->key_len4 > 32)
		return fail(err, errlen, "rate_limit.key_prefix_v4: %u > 32", cfg->key_len4);
	if (cfg->key_len6 > 128)
		return fail(err, errlen, "rate_limit.key_prefix_v6: %u > 128", cfg->key_len6);
	if ((rc = check_rate(&cfg->rate, "rate_limit", err, errlen)) < 0)
		return rc;
	for (uint32_t i = 0; i < cfg->n_rate_ovr; i++) {
		const struct sl_filter_rate_ovr *o = &cfg->rate_ovr[i];

		snprintf(field, sizeof(field), "rate_limit.overrides[%u].prefix", i);
		if ((rc = check_prefix(&o->src, field, err, errlen)) < 0)
			return rc;
		if (o->key_len > addr_bits(o->src.family))
			return fail(err, errlen, "rate_limit.overrides[%u].key_prefix: %u > %u", i,
				o->key_len, addr_bits(o->src.family));
		snprintf(field, sizeof(field), "rate_limit.overrides[%u]", i);
		if ((rc = check_rate(&o->rate, field, err, errlen)) < 0)
			return rc;
	}
	if (cfg->syn_pps > SL_TB_MAX_UNITS || cfg->syn_burst > SL_TB_MAX_UNITS)
		return fail(err, errlen, "syn_limit: at most %llu",
			(unsigned long long)SL_TB_MAX_UNITS);
	if (cfg->syn_burst && !cfg->syn_pps)
		return fail(err, errlen, "syn_limit.burst: a burst without its rate");
	if (cfg->n_syn_ovr > SL_FILT_SYN_MAX)
		return fail(err, errlen, "syn_limit.overrides: %u, at most %u", cfg->n_syn_ovr,
			SL_FILT_SYN_MAX);
	for (uint32_t i = 0; i < cfg->n_syn_ovr; i++) {
		const struct sl_filter_syn_ovr *o = &cfg->syn_ovr[i];

		if (o->family != 4 && o->family != 6)
			return fail(err, errlen,
				"syn_limit.overrides[%u].vip: family must be 4 or 6", i);
		if (o->pps > SL_TB_MAX_UNITS || o->burst > SL_TB_MAX_UNITS)
			return fail(err, errlen, "syn_limit.overrides[%u]: at most %llu", i,
				(unsigned long long)SL_TB_MAX_UNITS);
		if (o->burst && !o->pps)
			return fail(err, errlen,
				"syn_limit.overrides[%u].burst: a burst without its rate", i);
		for (uint32_t j = 0; j < i; j++)
			if (cfg->syn_ovr[j].family == o->family &&
				cfg->syn_ovr[j].port == o->port &&
				memcmp(cfg->syn_ovr[j].addr, o->addr, 16) == 0)
				return fail(err, errlen,
					"syn_limit.overrides[%u]: the same VIP and port as "
					"overrides[%u]",
					i, j);
	}
	if (cfg->drop_sample == 0 || cfg->drop_sample > (1u << 30) ||
		(cfg->drop_sample & (cfg->drop_sample - 1)))
		return fail(err, errlen, "drop_sample: %u is not a power of two in 1..2^30",
			cfg->drop_sample);
	return 0;
}

void
sl_frate_fill(struct sl_filt_rate *out, const struct sl_filter_rate *in)
{
	out->pps = in->pps;
	out->bps = in->bps;
	out->burst_pkts = in->burst_pkts;
	out->burst_bytes = in->burst_bytes;
	if (in->pps && !out->burst_pkts)
		out->burst_pkts = in->pps / 10 ? in->pps / 10 : 1;
	if (in->bps && !out->burst_bytes)
		out->burst_bytes = in->bps / 10 > SL_FILTER_MIN_BURST_BYTES
					   ? in->bps / 10
					   : SL_FILTER_MIN_BURST_BYTES;
	sl_frate_derive(out);
}

/* The ticks a bucket of @burst at @rate holds, at least SL_TB_MIN_DEPTH_TICKS. */
static uint64_t
depth(uint64_t burst, uint64_t rate)
{
	uint64_t t = sl_tb_cost(burst, rate);

	return t > SL_TB_MIN_DEPTH_TICKS ? t : SL_TB_MIN_DEPTH_TICKS;
}

void
sl_frate_derive(struct sl_filt_rate *r)
{
	r->pkt_cost = r->pps ? sl_tb_cost(1, r->pps) : 0;
	r->pkt_limit = r->pps ? depth(r->burst_pkts, r->pps) : 0;
	r->byte_limit = r->bps ? depth(r->burst_bytes, r->bps) : 0;
}

void
sl_fconf_from_cfg(struct sl_filt_conf *c, const struct sl_filter_cfg *cfg)
{
	unsigned shift = 0;

	memset(c, 0, sizeof(*c));
	if (cfg->deny_mode == SL_FILTER_MONITOR)
		c->flags |= SL_FILT_DENY_MONITOR;
	if (cfg->rate_mode == SL_FILTER_MONITOR)
		c->flags |= SL_FILT_RATE_MONITOR;
	if (cfg->syn_mode == SL_FILTER_MONITOR)
		c->flags |= SL_FILT_SYN_MONITOR;
	if (cfg->n_allow)
		c->flags |= SL_FILT_HAS_ALLOW;
	for (uint32_t i = 0; i < cfg->n_deny; i++)
		c->flags |= cfg->deny[i].scoped ? SL_FILT_HAS_SCOPED : SL_FILT_HAS_DENY;
	if (cfg->n_rate_ovr)
		c->flags |= SL_FILT_HAS_RATE | SL_FILT_HAS_RATE_OVR;
	if (cfg->rate.pps || cfg->rate.bps)
		c->flags |= SL_FILT_HAS_RATE;
	if (cfg->n_syn_ovr)
		c->flags |= SL_FILT_HAS_SYN_OVR;
	c->rate_key_len4 = cfg->key_len4;
	c->rate_key_len6 = cfg->key_len6;
	while (shift < 31 && (1u << shift) < cfg->drop_sample)
		shift++;
	c->sample_shift = (uint8_t)shift;
	sl_frate_fill(&c->rate, &cfg->rate);
	sl_fsyn_fill(&c->syn, cfg->syn_pps, cfg->syn_burst);
}

void
sl_fsyn_fill(struct sl_filt_rate *out, uint64_t pps, uint64_t burst)
{
	memset(out, 0, sizeof(*out));
	out->pps = pps;
	if (pps)
		out->burst_pkts = burst ? burst : (pps / 10 ? pps / 10 : 1);
	sl_frate_derive(out);
}
