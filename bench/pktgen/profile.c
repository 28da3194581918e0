/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Traffic profiles: names, defaults, address and port parsing, and what
 * pg_profile_finish() derives for the TX side (schedules, sizes, address
 * counts, templates) after checking the rules between fields. The JSON
 * decoder is profile_json.c.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "profile_priv.h"

const char *const pg_type_names[PG_TYPE_MAX] = {"tcp_syn", "tcp_ack", "udp"};
const char *const pg_mal_names[PG_MAL_MAX] = {
	"none", "ip_version", "ip_ihl", "tcp_doff", "udp_len"};

const char *
pg_type_name(enum pg_type t)
{
	return (unsigned)t < PG_TYPE_MAX ? pg_type_names[t] : "unknown";
}

const char *
pg_malformed_name(enum pg_malformed m)
{
	return (unsigned)m < PG_MAL_MAX ? pg_mal_names[m] : "unknown";
}

int
pg_fail(char *err, size_t errlen, const char *path, const char *fmt, ...)
{
	va_list ap;
	int n = snprintf(err, errlen, "%s%s", path, path[0] ? ": " : "");

	va_start(ap, fmt);
	if (n >= 0 && (size_t)n < errlen)
		vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* Text from the input, made printable and short, for messages. */
const char *
pg_quote(char *buf, size_t cap, const char *s)
{
	size_t o = 0;

	for (; *s && o + 5 < cap; s++)
		buf[o++] = (*s >= 0x20 && *s < 0x7f) ? *s : '?';
	if (*s && o + 4 < cap) {
		memcpy(buf + o, "...", 3);
		o += 3;
	}
	buf[o] = '\0';
	return buf;
}

void
pg_stream_default(struct pg_stream *s)
{
	memset(s, 0, sizeof(*s));
	snprintf(s->name, sizeof(s->name), "stream");
	s->share = 1;
	s->type = PG_TCP_ACK;
	s->expect = PG_EXPECT_FORWARD;
	s->family = SL_FAMILY_IPV4;
	inet_pton(AF_INET, "192.0.2.80", &s->dst.v4);
	s->dport = 80;
	inet_pton(AF_INET, "10.0.0.0", &s->src.v4);
	s->src_len = 8;
	s->sport_lo = 1024;
	s->sport_hi = 65535;
	s->flows = 1;
	s->size = PG_ETH_MIN;
	s->ttl = 64;
}

int
pg_parse_prefix(const char *str, union sl_ip *ip, uint8_t *family, uint8_t *len)
{
	char buf[64];
	const char *slash = strchr(str, '/');
	char *end;

	if (!slash || (size_t)(slash - str) >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, str, (size_t)(slash - str));
	buf[slash - str] = '\0';
	memset(ip, 0, sizeof(*ip));
	if (inet_pton(AF_INET, buf, &ip->v4) == 1)
		*family = SL_FAMILY_IPV4;
	else if (inet_pton(AF_INET6, buf, ip->b) == 1)
		*family = SL_FAMILY_IPV6;
	else
		return -EINVAL;
	if (slash[1] < '0' || slash[1] > '9')
		return -EINVAL;
	unsigned long n = strtoul(slash + 1, &end, 10);
	unsigned max = *family == SL_FAMILY_IPV4 ? 32 : 128;
	if (*end || n > max)
		return -EINVAL;
	*len = (uint8_t)n;
	for (unsigned bit = (unsigned)n; bit < max; bit++)
		if (ip->b[bit / 8] & (0x80 >> (bit % 8)))
			return -EINVAL; /* host bits set */
	return 0;
}

int
pg_parse_port_range(const char *str, uint16_t *lo, uint16_t *hi)
{
	char *end;
	unsigned long a, b;

	if (*str < '0' || *str > '9')
		return -EINVAL;
	a = strtoul(str, &end, 10);
	b = a;
	if (*end == '-') {
		if (end[1] < '0' || end[1] > '9')
			return -EINVAL;
		b = strtoul(end + 1, &end, 10);
	}
	if (*end || a == 0 || a > 65535 || b > 65535 || b < a)
		return -EINVAL;
	*lo = (uint16_t)a;
	*hi = (uint16_t)b;
	return 0;
}

/* Smooth weighted round robin: @n weights into a cyclic sequence of sum(w) slots. */
static void
interleave(const uint32_t *w, unsigned n, uint8_t *out)
{
	int64_t cur[PG_MAX_STREAMS] = {0}, total = 0;
	unsigned k = 0;

	for (unsigned i = 0; i < n; i++)
		total += w[i];
	for (int64_t slot = 0; slot < total; slot++) {
		unsigned best = 0;
		for (unsigned i = 0; i < n; i++) {
			cur[i] += w[i];
			if (cur[i] > cur[best])
				best = i;
		}
		cur[best] -= total;
		out[k++] = (uint8_t)best;
	}
}

static int
derive_stream(
	const struct pg_profile *p, struct pg_stream *s, unsigned idx, char *err, size_t errlen)
{
	char path[48], a[INET6_ADDRSTRLEN];
	bool v4 = s->family == SL_FAMILY_IPV4, tcp = s->type != PG_UDP;
	unsigned host_bits = (v4 ? 32u : 128u) - s->src_len;
	(void)p;

	snprintf(path, sizeof(path), "streams[%u]", idx);
	if (v4)
		s->src_base = ntohl(s->src.v4);
	else
		s->src_base = (uint32_t)s->src.b[12] << 24 | (uint32_t)s->src.b[13] << 16 |
			      (uint32_t)s->src.b[14] << 8 | s->src.b[15];
	/* Only the low 32 bits of the source vary (IPv6: the rest stays the prefix's). */
	s->n_addrs = host_bits >= 32 ? (1ull << 32) : (1ull << host_bits);
	s->n_ports = (uint32_t)(s->sport_hi - s->sport_lo) + 1;
	if (s->flows > s->n_addrs * s->n_ports) {
		inet_ntop(v4 ? AF_INET : AF_INET6, s->src.b, a, sizeof(a));
		return pg_fail(err, errlen, path,
			"flows: %llu flows need more than the %llu addresses x %u ports of %s/%u",
			(unsigned long long)s->flows, (unsigned long long)s->n_addrs, s->n_ports, a,
			s->src_len);
	}
	if (s->random_src && s->flows)
		return pg_fail(err, errlen, path,
			"random_src: a random source makes every packet a new flow; flows must be "
			"0");
	if (s->malformed == PG_MAL_IP_IHL && !v4)
		return pg_fail(err, errlen, path, "malformed: ip_ihl needs an IPv4 stream");
	if (s->malformed == PG_MAL_TCP_DOFF && !tcp)
		return pg_fail(err, errlen, path, "malformed: tcp_doff needs a TCP stream");
	if (s->malformed == PG_MAL_UDP_LEN && tcp)
		return pg_fail(err, errlen, path, "malformed: udp_len needs a UDP stream");
	s->min_frame = (uint16_t)(14 + (v4 ? 20 : 40) + (tcp ? 20 : 8) + PG_STAMP_LEN);
	if (s->min_frame < PG_ETH_MIN)
		s->min_frame = PG_ETH_MIN;
	if (s->imix) {
		/* Simple IMIX, 7:4:1 of 64, 594 and 1518 bytes on the wire (FCS included). */
		static const uint16_t sz[3] = {60, 590, 1514};
		static const uint32_t w[3] = {7, 4, 1};
		s->n_sizes = 3;
		for (int i = 0; i < 3; i++)
			s->sizes[i] = sz[i] < s->min_frame ? s->min_frame : sz[i];
		s->size_sched_len = PG_IMIX_SLOTS;
		interleave(w, 3, s->size_sched);
	} else {
		if (s->size < s->min_frame)
			return pg_fail(err, errlen, path,
				"size: %u bytes is below the %u an %s %s frame with its 6-byte "
				"stamp "
				"needs",
				s->size, s->min_frame, v4 ? "IPv4" : "IPv6", tcp ? "TCP" : "UDP");
		s->n_sizes = 1;
		s->sizes[0] = s->size;
		s->size_sched_len = 1;
		s->size_sched[0] = 0;
	}
	return 0;
}

int
pg_profile_finish(struct pg_profile *p, char *err, size_t errlen)
{
	uint32_t w[PG_MAX_STREAMS], total = 0;
	int rc;

	if (p->n_streams == 0 || p->n_streams > PG_MAX_STREAMS)
		return pg_fail(err, errlen, "streams", "expected 1..%d streams", PG_MAX_STREAMS);
	for (unsigned i = 0; i < p->n_streams; i++) {
		struct pg_stream *s = &p->streams[i];
		for (unsigned j = 0; j < i; j++)
			if (strcmp(p->streams[j].name, s->name) == 0)
				return pg_fail(err, errlen, "streams",
					"streams[%u] and streams[%u] are both named '%s'", j, i,
					s->name);
		if ((rc = derive_stream(p, s, i, err, errlen)) < 0)
			return rc;
		w[i] = s->share;
		total += s->share;
	}
	if (total > PG_SCHED_MAX)
		return pg_fail(err, errlen, "streams", "shares add up to %u, above %u", total,
			PG_SCHED_MAX);
	p->sched_len = (uint16_t)total;
	interleave(w, p->n_streams, p->sched);
	for (unsigned i = 0; i < p->n_streams; i++) {
		struct pg_stream *s = &p->streams[i];
		for (unsigned k = 0; k < s->n_sizes; k++) {
			rc = pg_tmpl_build(p, s, s->sizes[k], &s->tmpl[k]);
			if (rc < 0) {
				pg_profile_free(p);
				return pg_fail(err, errlen, "streams", "streams[%u]: template: %s",
					i, strerror(-rc));
			}
		}
	}
	return 0;
}

void
pg_profile_free(struct pg_profile *p)
{
	for (unsigned i = 0; i < PG_MAX_STREAMS; i++) {
		for (unsigned k = 0; k < PG_MAX_SIZES; k++) {
			free(p->streams[i].tmpl[k]);
			p->streams[i].tmpl[k] = NULL;
		}
	}
}
