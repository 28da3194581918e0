/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Command-line values: ipvsadm's service notation (ADDR:PORT, [IPV6]:PORT),
 * the API's VIP names (PROTO/ADDR/PORT), real servers, strict integers.
 * Addresses come out in canonical text form so that paths name what the
 * daemon stores (2001:DB8::1 and 2001:db8:0::1 are the same VIP).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lbadm.h"

int
lb_parse_uint(
	const char *s, unsigned long long min, unsigned long long max, unsigned long long *out)
{
	unsigned long long v = 0;

	if (!s || !*s)
		return -EINVAL;
	if (s[0] == '0' && s[1] != '\0')
		return -EINVAL; /* 0800: octal to some readers, decimal to others */
	for (const char *p = s; *p; p++) {
		if (*p < '0' || *p > '9')
			return -EINVAL;
		if (v > (max - (unsigned long long)(*p - '0')) / 10)
			return -ERANGE;
		v = v * 10 + (unsigned long long)(*p - '0');
	}
	if (v < min || v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

/* Canonical form of an address of either family; 0 or -EINVAL. */
static int
canon_addr(const char *s, int *family, char *out, size_t len)
{
	unsigned char buf[16];

	if (inet_pton(AF_INET, s, buf) == 1)
		*family = AF_INET;
	else if (inet_pton(AF_INET6, s, buf) == 1)
		*family = AF_INET6;
	else
		return -EINVAL;
	if (!inet_ntop(*family, buf, out, (socklen_t)len))
		return -EINVAL;
	return 0;
}

static int
parse_port(const char *s, const char *whole, uint16_t *port, char *err, size_t errlen)
{
	unsigned long long v;
	int rc = lb_parse_uint(s, 0, 65535, &v);

	if (rc == -ERANGE) {
		snprintf(err, errlen, "'%s': port %s is above 65535", whole, s);
		return -EINVAL;
	}
	if (rc < 0) {
		snprintf(err, errlen, "'%s': port '%s' is not a decimal number in 0..65535%s",
			whole, s, s[0] == '0' && s[1] ? " (no leading zero)" : "");
		return -EINVAL;
	}
	*port = (uint16_t)v;
	return 0;
}

/*
 * Split "ADDR:PORT" / "[ADDR]:PORT" / "ADDR" / "[ADDR]" into address and
 * port text. @port_text is NULL when no port is written. With @bare_v6 an
 * unbracketed text with several colons is an IPv6 address alone.
 */
static int
split_host_port(const char *s, bool bare_v6, char *host, size_t hostlen, const char **port_text,
	char *err, size_t errlen)
{
	const char *colon;
	size_t n;

	*port_text = NULL;
	if (s[0] == '[') {
		const char *close = strchr(s, ']');
		if (!close) {
			snprintf(err, errlen, "'%s': missing ']'", s);
			return -EINVAL;
		}
		n = (size_t)(close - s - 1);
		if (close[1] == ':')
			*port_text = close + 2;
		else if (close[1] != '\0') {
			snprintf(err, errlen, "'%s': expected ':PORT' after ']'", s);
			return -EINVAL;
		}
		s++;
	} else {
		colon = strchr(s, ':');
		if (colon && strchr(colon + 1, ':') && bare_v6) {
			colon = NULL; /* an IPv6 address alone */
		} else if (colon && strchr(colon + 1, ':')) {
			snprintf(err, errlen,
				"'%s': write an IPv6 address in brackets, [ADDR]:PORT", s);
			return -EINVAL;
		}
		n = colon ? (size_t)(colon - s) : strlen(s);
		if (colon)
			*port_text = colon + 1;
	}
	if (n == 0 || n >= hostlen) {
		snprintf(err, errlen, "'%s': missing or overlong address", s);
		return -EINVAL;
	}
	memcpy(host, s, n);
	host[n] = '\0';
	return 0;
}

static int
parse_api_name(const char *s, struct lb_service *out, char *err, size_t errlen)
{
	char buf[128];
	char *a, *p;

	if (strlen(s) >= sizeof(buf)) {
		snprintf(err, errlen, "'%.40s...': too long for a VIP", s);
		return -EINVAL;
	}
	strcpy(buf, s);
	a = strchr(buf, '/');
	p = a ? strchr(a + 1, '/') : NULL;
	if (!a || !p || strchr(p + 1, '/')) {
		snprintf(err, errlen,
			"'%s': a VIP is -t ADDR:PORT, -u ADDR:PORT or PROTO/ADDR/PORT "
			"(tcp/192.0.2.80/80)",
			s);
		return -EINVAL;
	}
	*a++ = '\0';
	*p++ = '\0';
	if (strcmp(buf, "tcp") != 0 && strcmp(buf, "udp") != 0) {
		snprintf(err, errlen, "'%s': protocol '%s' is not tcp or udp", s, buf);
		return -EINVAL;
	}
	strcpy(out->proto, buf);
	if (canon_addr(a, &out->family, out->addr, sizeof(out->addr)) < 0) {
		snprintf(err, errlen, "'%s': '%s' is not an IPv4 or IPv6 address", s, a);
		return -EINVAL;
	}
	return parse_port(p, s, &out->port, err, errlen);
}

int
lb_parse_service(const char *s, const char *proto, struct lb_service *out, char *err, size_t errlen)
{
	char host[64];
	const char *port;

	memset(out, 0, sizeof(*out));
	if (!proto)
		return parse_api_name(s, out, err, errlen);
	if (split_host_port(s, false, host, sizeof(host), &port, err, errlen) < 0)
		return -EINVAL;
	if (canon_addr(host, &out->family, out->addr, sizeof(out->addr)) < 0) {
		snprintf(err, errlen, "'%s': '%s' is not an IPv4 or IPv6 address", s, host);
		return -EINVAL;
	}
	if (s[0] == '[' && out->family != AF_INET6) {
		snprintf(err, errlen, "'%s': brackets are for IPv6 addresses", s);
		return -EINVAL;
	}
	if (!port) {
		snprintf(err, errlen, "'%s': missing :PORT (write :0 for every port)", s);
		return -EINVAL;
	}
	snprintf(out->proto, sizeof(out->proto), "%s", proto);
	return parse_port(port, s, &out->port, err, errlen);
}

void
lb_service_id(const struct lb_service *svc, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s/%u", svc->proto, svc->addr, svc->port);
}

int
lb_parse_real(const char *s, const struct lb_service *vip, char *addr, size_t addrlen, char *err,
	size_t errlen)
{
	char host[64];
	const char *port;
	uint16_t p;
	int family;

	if (split_host_port(s, true, host, sizeof(host), &port, err, errlen) < 0)
		return -EINVAL;
	if (canon_addr(host, &family, addr, addrlen) < 0) {
		snprintf(err, errlen, "'%s': '%s' is not an IPv4 or IPv6 address", s, host);
		return -EINVAL;
	}
	if (s[0] == '[' && family != AF_INET6) {
		snprintf(err, errlen, "'%s': brackets are for IPv6 addresses", s);
		return -EINVAL;
	}
	if (vip && family != vip->family) {
		snprintf(err, errlen, "'%s': an IPv%d backend for an IPv%d VIP", s,
			family == AF_INET ? 4 : 6, vip->family == AF_INET ? 4 : 6);
		return -EINVAL;
	}
	if (port) {
		if (parse_port(port, s, &p, err, errlen) < 0)
			return -EINVAL;
		if (vip && p != vip->port) {
			snprintf(err, errlen,
				"'%s': backends receive the VIP's port %u (direct server return "
				"does "
				"not remap ports): write the address alone",
				s, vip->port);
			return -EINVAL;
		}
	}
	return 0;
}
