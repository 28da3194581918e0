/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The configuration model: defaults, deep copy, free, and the semantic
 * validator that every config passes before the dataplane sees it, whether
 * it was decoded from JSON (config_json.c) or built by hand (sluiced, tests).
 *
 * The validator reads nothing it has not bounds-checked first (counts against
 * the limits, arrays against NULL) and allocates nothing: duplicate detection
 * sorts index arrays that live on the stack (at most SL_CFG_MAX_BACKENDS
 * 16-bit entries), so it can only fail with -EINVAL.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sluice/config.h>

#include "config_priv.h"
#include "maglev.h"

static_assert(SL_CFG_MAX_WEIGHT == SL_MAGLEV_MAX_WEIGHT, "weights mean the same in both places");
static_assert(SL_CFG_MAX_VIPS <= UINT16_MAX + 1 && SL_CFG_MAX_BACKENDS <= UINT16_MAX + 1,
	"duplicate detection sorts 16-bit indices");
static_assert(SL_CFG_N_TIMEOUTS == 5, "timeout_s[] follows enum sl_ct_state");

const char *const sl_cfg_hash_names[SL_HASH_VARIANT_MAX] = {
	[SL_HASH_5TUPLE] = "5tuple",
	[SL_HASH_SRC_IP] = "src_ip",
	[SL_HASH_SRC_IP_PORT] = "src_ip_port",
};

const char *const sl_cfg_fwd_names[SL_FWD_MODE_MAX] = {
	[SL_FWD_ENCAP] = "encap",
	[SL_FWD_L2] = "l2",
};

const char *const sl_cfg_state_names[SL_BACKEND_STATE_MAX] = {
	[SL_BACKEND_ACTIVE] = "active",
	[SL_BACKEND_DRAINING] = "draining",
	[SL_BACKEND_DOWN] = "down",
};

/* The order of timeout_s[], i.e. of enum sl_ct_state in conntrack.h. */
const char *const sl_cfg_timeout_names[SL_CFG_N_TIMEOUTS] = {
	"tcp_syn",
	"tcp_established",
	"tcp_closing",
	"udp",
	"other",
};

static const uint32_t default_timeouts[SL_CFG_N_TIMEOUTS] = {5, 300, 10, 30, 30};

const char *
sl_cfg_proto_name(uint8_t proto)
{
	switch (proto) {
	case IPPROTO_TCP:
		return "tcp";
	case IPPROTO_UDP:
		return "udp";
	default:
		return NULL;
	}
}

int
sl_cfg_fail(char *err, size_t errlen, const char *path, const char *fmt, ...)
{
	va_list ap;
	size_t off = 0;
	int n;

	if (err == NULL || errlen == 0)
		return -EINVAL;
	if (path != NULL && path[0] != '\0') {
		n = snprintf(err, errlen, "%s: ", path);
		off = n < 0 ? 0 : (size_t)n >= errlen ? errlen - 1 : (size_t)n;
	}
	va_start(ap, fmt);
	vsnprintf(err + off, errlen - off, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

void
sl_cfg_path(char *out, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(out, SL_CFG_PATH_LEN, fmt, ap);
	va_end(ap);
}

int
sl_cfg_check_range(
	char *err, size_t errlen, const char *path, long long v, long long lo, long long hi)
{
	if (v < lo)
		return sl_cfg_fail(err, errlen, path, "%lld is below the minimum %lld", v, lo);
	if (v > hi)
		return sl_cfg_fail(err, errlen, path, "%lld is above the maximum %lld", v, hi);
	return 0;
}

/* Bytes @c takes once escaped: itself if printable ASCII, else \xNN. Enough
 * to keep terminals and logs safe; not meant to be unambiguous. */
static size_t
esc_len(unsigned char c)
{
	return c >= 0x20 && c < 0x7f ? 1 : 4;
}

void
sl_cfg_escape(char *out, size_t outlen, const char *s, size_t n)
{
	size_t full = 0, budget, o = 0, i;

	if (outlen == 0)
		return;
	for (i = 0; i < n; i++)
		full += esc_len((unsigned char)s[i]);
	/* Everything fits: no ellipsis. Else keep room for "..." and the NUL. */
	budget = full < outlen ? full : outlen > 4 ? outlen - 4 : 0;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		size_t l = esc_len(c);

		if (o + l > budget)
			break;
		if (l == 1)
			out[o] = (char)c;
		else
			snprintf(out + o, 5, "\\x%02x", c);
		o += l;
	}
	if (i < n && o + 3 < outlen) {
		memcpy(out + o, "...", 3);
		o += 3;
	}
	out[o] = '\0';
}

const char *
sl_cfg_ip_str(uint8_t family, const union sl_ip *ip, char *buf, size_t len)
{
	if (family == SL_FAMILY_IPV4)
		return inet_ntop(AF_INET, &ip->v4, buf, len);
	if (family == SL_FAMILY_IPV6)
		return inet_ntop(AF_INET6, ip->b, buf, len);
	return NULL;
}

void
sl_cfg_mac_str(const uint8_t mac[6], char buf[18])
{
	snprintf(buf, 18, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3], mac[4],
		mac[5]);
}

void
sl_cfg_init(struct sl_cfg *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->table_size = SL_MAGLEV_DEFAULT_SIZE;
	cfg->flow_capacity = 1000000;
	cfg->syn_cap = 0;
	cfg->seed = 0x5eed;
	cfg->mtu = 1500;
	cfg->ttl = 64;
	/* 172.16.0.0/16 and fd00:5100::/64: private space that the backends
	 * route back to us but nothing else uses; see docs/configuration.md. */
	cfg->src4_prefix.b[0] = 172;
	cfg->src4_prefix.b[1] = 16;
	cfg->src4_prefix_len = 16;
	cfg->src6_prefix.b[0] = 0xfd;
	cfg->src6_prefix.b[2] = 0x51;
	cfg->src6_prefix_len = 64;
	memcpy(cfg->timeout_s, default_timeouts, sizeof(cfg->timeout_s));
}

void
sl_cfg_free(struct sl_cfg *cfg)
{
	if (cfg == NULL)
		return;
	if (cfg->vips != NULL)
		for (uint32_t i = 0; i < cfg->n_vips; i++)
			free(cfg->vips[i].backends);
	free(cfg->vips);
	sl_cfg_init(cfg);
}

int
sl_cfg_copy(struct sl_cfg *dst, const struct sl_cfg *src)
{
	struct sl_cfg tmp;

	if (dst == NULL || src == NULL || dst == src)
		return -EINVAL;
	tmp = *src;
	tmp.vips = NULL;
	tmp.n_vips = 0;
	if (src->n_vips > 0) {
		if (src->vips == NULL)
			goto inval;
		tmp.vips = calloc(src->n_vips, sizeof(*tmp.vips));
		if (tmp.vips == NULL)
			goto nomem;
	}
	for (uint32_t i = 0; i < src->n_vips; i++) {
		const struct sl_cfg_vip *sv = &src->vips[i];
		struct sl_cfg_vip *dv = &tmp.vips[i];

		/* Count the VIP before its backends exist, so that the free on
		 * error sees every array allocated so far and nothing else. */
		*dv = *sv;
		dv->backends = NULL;
		tmp.n_vips = i + 1;
		if (sv->n_backends == 0)
			continue;
		if (sv->backends == NULL)
			goto inval;
		dv->backends = calloc(sv->n_backends, sizeof(*dv->backends));
		if (dv->backends == NULL)
			goto nomem;
		memcpy(dv->backends, sv->backends, sv->n_backends * sizeof(*dv->backends));
	}
	*dst = tmp;
	return 0;

inval:
	sl_cfg_free(&tmp);
	sl_cfg_init(dst);
	return -EINVAL;
nomem:
	sl_cfg_free(&tmp);
	sl_cfg_init(dst);
	return -ENOMEM;
}

/* ---- validation ---- */

/* Why @ip cannot be a VIP or a backend, or NULL if it can. */
static const char *
addr_problem(uint8_t family, const union sl_ip *ip)
{
	static const uint8_t zero[16];
	static const uint8_t v6_loopback[16] = {[15] = 1};
	static const uint8_t v4_mapped[12] = {[10] = 0xff, [11] = 0xff};

	if (family == SL_FAMILY_IPV4) {
		/* Keys are hashed and compared over all 16 bytes (net.h). */
		if (memcmp(&ip->b[4], zero, 12) != 0)
			return "has non-zero bytes after its first four (an IPv4 address must not)";
		if (ip->v4 == 0)
			return "is the unspecified address";
		if (ip->b[0] == 127)
			return "is a loopback address";
		if (ip->b[0] >= 224 && ip->b[0] < 240)
			return "is a multicast address";
		if (ip->v4 == UINT32_MAX)
			return "is the broadcast address";
		return NULL;
	}
	if (memcmp(ip->b, zero, 16) == 0)
		return "is the unspecified address";
	if (memcmp(ip->b, v6_loopback, 16) == 0)
		return "is a loopback address";
	if (ip->b[0] == 0xff)
		return "is a multicast address";
	if (memcmp(ip->b, v4_mapped, 12) == 0)
		return "is an IPv4-mapped IPv6 address (not allowed: write IPv4 addresses as IPv4)";
	return NULL;
}

static int
check_addr(char *err, size_t errlen, const char *path, uint8_t family, const union sl_ip *ip)
{
	char s[INET6_ADDRSTRLEN];
	const char *why;

	if (sl_cfg_ip_str(family, ip, s, sizeof(s)) == NULL)
		return sl_cfg_fail(err, errlen, path,
			"address family %u is neither IPv4 (%u) nor IPv6 (%u)", family,
			SL_FAMILY_IPV4, SL_FAMILY_IPV6);
	why = addr_problem(family, ip);
	if (why != NULL)
		return sl_cfg_fail(err, errlen, path, "%s %s", s, why);
	return 0;
}

/* A MAC we may send to: not group (multicast, broadcast), not all-zero. */
static int
check_mac(char *err, size_t errlen, const char *path, const uint8_t mac[6])
{
	static const uint8_t zero[6];
	char s[18];

	sl_cfg_mac_str(mac, s);
	if (mac[0] & 1)
		return sl_cfg_fail(err, errlen, path, "%s is a multicast MAC address", s);
	if (memcmp(mac, zero, 6) == 0)
		return sl_cfg_fail(err, errlen, path, "%s is the all-zero MAC address", s);
	return 0;
}

static int
check_prefix(char *err, size_t errlen, const char *path, uint8_t family, const union sl_ip *p,
	uint8_t len)
{
	unsigned int bits = family == SL_FAMILY_IPV4 ? 32 : 128;
	static const uint8_t zero[12];
	union sl_ip net = *p;
	char have[INET6_ADDRSTRLEN], want[INET6_ADDRSTRLEN];

	if (len > bits)
		return sl_cfg_fail(
			err, errlen, path, "prefix length %u is above the maximum %u", len, bits);
	if (family == SL_FAMILY_IPV4 && memcmp(&p->b[4], zero, 12) != 0)
		return sl_cfg_fail(err, errlen, path,
			"has non-zero bytes after its first four (an IPv4 prefix must not)");
	for (unsigned int i = 0; i < bits / 8; i++) {
		unsigned int keep = len > i * 8 ? len - i * 8 : 0;

		if (keep < 8)
			net.b[i] &= (uint8_t)(0xff00u >> keep);
	}
	if (memcmp(&net, p, sizeof(net)) != 0) {
		sl_cfg_ip_str(family, p, have, sizeof(have));
		sl_cfg_ip_str(family, &net, want, sizeof(want));
		return sl_cfg_fail(err, errlen, path,
			"%s/%u has host bits set (did you mean %s/%u?)", have, len, want, len);
	}
	return 0;
}

static int
check_globals(const struct sl_cfg *cfg, char *err, size_t errlen)
{
	char why[SL_CFG_ERR_LEN];
	uint32_t next;
	int rc;

	rc = sl_cfg_check_range(
		err, errlen, "table_size", cfg->table_size, SL_MAGLEV_MIN_SIZE, SL_MAGLEV_MAX_SIZE);
	if (rc < 0)
		return rc;
	rc = sl_maglev_check_size(cfg->table_size, why, sizeof(why));
	if (rc < 0) {
		/* In range (checked above) and not prime: the largest size is
		 * prime, so this stops at or before it. */
		for (next = cfg->table_size + 1; sl_maglev_check_size(next, NULL, 0) != 0; next++)
			;
		return sl_cfg_fail(err, errlen, "table_size",
			"%u is not prime (Maglev needs a prime size; try %u)", cfg->table_size,
			next);
	}
	rc = sl_cfg_check_range(err, errlen, "flow_capacity", cfg->flow_capacity,
		SL_CFG_MIN_FLOW_CAPACITY, SL_CFG_MAX_FLOW_CAPACITY);
	if (rc < 0)
		return rc;
	rc = sl_cfg_check_range(err, errlen, "mtu", cfg->mtu, SL_CFG_MIN_MTU, SL_CFG_MAX_MTU);
	if (rc < 0)
		return rc;
	rc = sl_cfg_check_range(err, errlen, "ttl", cfg->ttl, SL_CFG_MIN_TTL, SL_CFG_MAX_TTL);
	if (rc < 0)
		return rc;
	if (cfg->has_nexthop_mac) {
		rc = check_mac(err, errlen, "nexthop_mac", cfg->nexthop_mac);
		if (rc < 0)
			return rc;
	}
	rc = check_prefix(err, errlen, "encap_source_v4", SL_FAMILY_IPV4, &cfg->src4_prefix,
		cfg->src4_prefix_len);
	if (rc < 0)
		return rc;
	rc = check_prefix(err, errlen, "encap_source_v6", SL_FAMILY_IPV6, &cfg->src6_prefix,
		cfg->src6_prefix_len);
	if (rc < 0)
		return rc;
	for (int i = 0; i < SL_CFG_N_TIMEOUTS; i++) {
		char path[SL_CFG_PATH_LEN];

		sl_cfg_path(path, "timeouts.%s", sl_cfg_timeout_names[i]);
		rc = sl_cfg_check_range(err, errlen, path, cfg->timeout_s[i], SL_CFG_MIN_TIMEOUT,
			SL_CFG_MAX_TIMEOUT);
		if (rc < 0)
			return rc;
	}
	return 0;
}

static int
check_backend(const struct sl_cfg_vip *vip, const struct sl_cfg_backend *be, const char *path,
	char *err, size_t errlen)
{
	char p[SL_CFG_PATH_LEN];
	int rc;

	sl_cfg_path(p, "%s.address", path);
	rc = check_addr(err, errlen, p, be->family, &be->addr);
	if (rc < 0)
		return rc;
	if (be->family != vip->family)
		return sl_cfg_fail(err, errlen, p, "%s backend for an %s VIP",
			be->family == SL_FAMILY_IPV6 ? "IPv6" : "IPv4",
			vip->family == SL_FAMILY_IPV6 ? "IPv6" : "IPv4");
	sl_cfg_path(p, "%s.weight", path);
	rc = sl_cfg_check_range(err, errlen, p, be->weight, 0, SL_CFG_MAX_WEIGHT);
	if (rc < 0)
		return rc;
	sl_cfg_path(p, "%s.state", path);
	if (be->state >= SL_BACKEND_STATE_MAX)
		return sl_cfg_fail(err, errlen, p, "%u is not a backend state", be->state);
	sl_cfg_path(p, "%s.mac", path);
	if (be->has_mac)
		return check_mac(err, errlen, p, be->mac);
	if (vip->fwd_mode == SL_FWD_L2)
		return sl_cfg_fail(err, errlen, p, "required when forwarding is l2");
	return 0;
}

static int
check_vip(const struct sl_cfg_vip *vip, uint32_t i, char *err, size_t errlen)
{
	char path[SL_CFG_PATH_LEN], p[SL_CFG_PATH_LEN];
	int rc;

	sl_cfg_path(path, "vips[%u]", i);
	sl_cfg_path(p, "%s.address", path);
	rc = check_addr(err, errlen, p, vip->family, &vip->addr);
	if (rc < 0)
		return rc;
	sl_cfg_path(p, "%s.protocol", path);
	if (sl_cfg_proto_name(vip->proto) == NULL)
		return sl_cfg_fail(
			err, errlen, p, "IP protocol %u is neither tcp nor udp", vip->proto);
	sl_cfg_path(p, "%s.hash", path);
	if (vip->hash >= SL_HASH_VARIANT_MAX)
		return sl_cfg_fail(err, errlen, p, "%u is not a hash variant", vip->hash);
	sl_cfg_path(p, "%s.forwarding", path);
	if (vip->fwd_mode >= SL_FWD_MODE_MAX)
		return sl_cfg_fail(err, errlen, p, "%u is not a forwarding mode", vip->fwd_mode);
	sl_cfg_path(p, "%s.backends", path);
	if (vip->n_backends > SL_CFG_MAX_BACKENDS)
		return sl_cfg_fail(err, errlen, p, "%u backends, above the maximum of %u per VIP",
			vip->n_backends, SL_CFG_MAX_BACKENDS);
	if (vip->n_backends > 0 && vip->backends == NULL)
		return sl_cfg_fail(err, errlen, p, "%u backends but no array", vip->n_backends);
	for (uint32_t j = 0; j < vip->n_backends; j++) {
		sl_cfg_path(p, "%s.backends[%u]", path, j);
		rc = check_backend(vip, &vip->backends[j], p, err, errlen);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* Whether a VIP's packets can carry an IPv6 packet of 1280 bytes, the least
 * any IPv6 link must (RFC 8200 section 5); encap adds the outer header. */
static int
check_mtu_for(const struct sl_cfg *cfg, uint32_t i, char *err, size_t errlen)
{
	const struct sl_cfg_vip *vip = &cfg->vips[i];
	uint32_t need = SL_CFG_MIN_MTU_IPV6;

	if (vip->family != SL_FAMILY_IPV6)
		return 0;
	if (vip->fwd_mode == SL_FWD_ENCAP)
		need += SL_CFG_ENCAP6_OVERHEAD;
	if (cfg->mtu >= need)
		return 0;
	return sl_cfg_fail(err, errlen, "mtu",
		"%u is too small for vips[%u], an IPv6 VIP in %s mode: it needs at least %u",
		cfg->mtu, i, sl_cfg_fwd_names[vip->fwd_mode], need);
}

/*
 * Duplicate detection: sort 16-bit indices by key, ties by index; equal keys
 * are then adjacent, the first of a run being the lowest index. Of all the
 * duplicates report the one that comes first in the document, and what it
 * duplicates, as a reader scanning top-down would find them.
 */
struct dup_ctx {
	const void *base;
	int (*key_cmp)(const void *base, uint32_t a, uint32_t b);
};

static int
dup_sort_cmp(const void *a, const void *b, void *arg)
{
	const struct dup_ctx *c = arg;
	uint32_t ia = *(const uint16_t *)a, ib = *(const uint16_t *)b;
	int r = c->key_cmp(c->base, ia, ib);

	if (r != 0)
		return r;
	return ia < ib ? -1 : ia > ib;
}

/* @return true with *@orig < *@dup when two entries share a key. */
static bool
find_dup(uint16_t *idx, uint32_t n, struct dup_ctx *c, uint32_t *orig, uint32_t *dup)
{
	uint32_t run = 0;
	bool found = false;

	for (uint32_t i = 0; i < n; i++)
		idx[i] = (uint16_t)i;
	qsort_r(idx, n, sizeof(*idx), dup_sort_cmp, c);
	for (uint32_t k = 1; k < n; k++) {
		if (c->key_cmp(c->base, idx[run], idx[k]) != 0) {
			run = k;
			continue;
		}
		if (!found || idx[k] < *dup) {
			*orig = idx[run];
			*dup = idx[k];
			found = true;
		}
	}
	return found;
}

static int
addr_cmp(uint8_t fa, const union sl_ip *a, uint8_t fb, const union sl_ip *b)
{
	if (fa != fb)
		return fa < fb ? -1 : 1;
	return memcmp(a->b, b->b, sizeof(a->b));
}

static int
vip_key_cmp(const void *base, uint32_t a, uint32_t b)
{
	const struct sl_cfg_vip *va = (const struct sl_cfg_vip *)base + a;
	const struct sl_cfg_vip *vb = (const struct sl_cfg_vip *)base + b;
	int r = addr_cmp(va->family, &va->addr, vb->family, &vb->addr);

	if (r != 0)
		return r;
	if (va->proto != vb->proto)
		return va->proto < vb->proto ? -1 : 1;
	return va->port < vb->port ? -1 : va->port > vb->port;
}

static int
be_key_cmp(const void *base, uint32_t a, uint32_t b)
{
	const struct sl_cfg_backend *ba = (const struct sl_cfg_backend *)base + a;
	const struct sl_cfg_backend *bb = (const struct sl_cfg_backend *)base + b;

	return addr_cmp(ba->family, &ba->addr, bb->family, &bb->addr);
}

static int
check_dups(const struct sl_cfg *cfg, char *err, size_t errlen)
{
	uint16_t idx[SL_CFG_MAX_BACKENDS > SL_CFG_MAX_VIPS ? SL_CFG_MAX_BACKENDS : SL_CFG_MAX_VIPS];
	struct dup_ctx c = {cfg->vips, vip_key_cmp};
	char path[SL_CFG_PATH_LEN], s[INET6_ADDRSTRLEN];
	uint32_t orig, dup;

	if (find_dup(idx, cfg->n_vips, &c, &orig, &dup)) {
		const struct sl_cfg_vip *v = &cfg->vips[dup];

		sl_cfg_path(path, "vips[%u]", dup);
		sl_cfg_ip_str(v->family, &v->addr, s, sizeof(s));
		if (v->port == 0)
			return sl_cfg_fail(err, errlen, path,
				"duplicate of vips[%u] (%s %s all ports)", orig, s,
				sl_cfg_proto_name(v->proto));
		return sl_cfg_fail(err, errlen, path, "duplicate of vips[%u] (%s %s port %u)", orig,
			s, sl_cfg_proto_name(v->proto), v->port);
	}
	for (uint32_t i = 0; i < cfg->n_vips; i++) {
		const struct sl_cfg_vip *v = &cfg->vips[i];

		c = (struct dup_ctx){v->backends, be_key_cmp};
		if (!find_dup(idx, v->n_backends, &c, &orig, &dup))
			continue;
		sl_cfg_path(path, "vips[%u].backends[%u]", i, dup);
		sl_cfg_ip_str(v->backends[dup].family, &v->backends[dup].addr, s, sizeof(s));
		return sl_cfg_fail(
			err, errlen, path, "duplicate address %s (same as backends[%u])", s, orig);
	}
	return 0;
}

int
sl_cfg_validate(const struct sl_cfg *cfg, char *err, size_t errlen)
{
	uint64_t total = 0;
	int rc;

	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (cfg == NULL)
		return sl_cfg_fail(err, errlen, "", "no configuration given");
	rc = check_globals(cfg, err, errlen);
	if (rc < 0)
		return rc;
	if (cfg->n_vips > SL_CFG_MAX_VIPS)
		return sl_cfg_fail(err, errlen, "vips", "%u VIPs, above the maximum of %u",
			cfg->n_vips, SL_CFG_MAX_VIPS);
	if (cfg->n_vips > 0 && cfg->vips == NULL)
		return sl_cfg_fail(err, errlen, "vips", "%u VIPs but no array", cfg->n_vips);
	for (uint32_t i = 0; i < cfg->n_vips; i++) {
		rc = check_vip(&cfg->vips[i], i, err, errlen);
		if (rc < 0)
			return rc;
		total += cfg->vips[i].n_backends;
		if (total > SL_CFG_MAX_ALL_BACKENDS)
			return sl_cfg_fail(err, errlen, "vips",
				"more than %u backends over all VIPs (the maximum)",
				SL_CFG_MAX_ALL_BACKENDS);
	}
	for (uint32_t i = 0; i < cfg->n_vips; i++) {
		if (cfg->vips[i].fwd_mode == SL_FWD_ENCAP && !cfg->has_nexthop_mac)
			return sl_cfg_fail(err, errlen, "nexthop_mac",
				"required when a VIP uses encap forwarding (vips[%u] does)", i);
		rc = check_mtu_for(cfg, i, err, errlen);
		if (rc < 0)
			return rc;
	}
	return check_dups(cfg, err, errlen);
}
