/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Forwarding rewrites. Input frames come from the frame builder and go through
 * sl_parse(), as on the packet path. Expected output frames are assembled here
 * field by field from the RFCs (and pinned once against hand-written bytes,
 * cross-checked with scapy), and every checksum is verified with the RFC 1071
 * routine below, never with the code under test.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <netinet/in.h>
#include <string.h>

#include "encap.h"
#include "parse.h"
#include "pktbuild.h"
#include "test-common.h"

#define MEMSZ	 4096
#define HEADROOM 128
#define FILL	 0xa5 /* headroom pattern: a stray write shows up in memcmp */

static const uint8_t SRC_MAC[6] = {0x02, 0, 0, 0, 0xaa, 0x01};
static const uint8_t NEXTHOP_MAC[6] = {0x02, 0, 0, 0, 0xbb, 0x02};
static const uint8_t BACKEND_MAC[6] = {0x02, 0, 0, 0, 0xcc, 0x03};

/* A frame in a buffer with headroom, parsed, plus a snapshot to prove "unchanged". */
struct frame {
	uint8_t mem[MEMSZ];
	struct sl_buf buf;
	struct sl_pkt pkt;
	uint8_t orig[MEMSZ];
	struct sl_buf orig_buf;
};

/* ---- independent reference code ---- */

static uint16_t
get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void
set16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* The IPv4 header checksum as computed from scratch (checksum field taken as 0). */
static uint16_t
ip4_fresh_cksum(const uint8_t *ip)
{
	uint8_t h[60];
	size_t hl = (size_t)(ip[0] & 0xf) * 4;

	memcpy(h, ip, hl);
	h[10] = h[11] = 0;
	return sl_test_csum(h, hl, 0);
}

/* The IPv4 header at @ip verifies, and its checksum is exactly the fresh one. */
static void
assert_ip4_cksum(const uint8_t *ip)
{
	ck_assert_uint_eq(sl_test_csum(ip, (size_t)(ip[0] & 0xf) * 4, 0), 0);
	ck_assert_uint_eq(get16(ip + 10), ip4_fresh_cksum(ip));
}

/* The TCP/UDP checksum of the IP packet at @ip (no IPv6 extension headers) verifies. */
static void
assert_l4_cksum(const uint8_t *ip)
{
	uint32_t pseudo = 0;
	const uint8_t *l4;
	size_t l4_len;

	if ((ip[0] >> 4) == 4) {
		size_t hl = (size_t)(ip[0] & 0xf) * 4;
		for (int i = 12; i < 20; i += 2)
			pseudo += get16(ip + i);
		l4_len = get16(ip + 2) - hl;
		pseudo += ip[9] + (uint32_t)l4_len;
		l4 = ip + hl;
	} else {
		for (int i = 8; i < 40; i += 2)
			pseudo += get16(ip + i);
		l4_len = get16(ip + 4);
		pseudo += ip[6] + (uint32_t)l4_len;
		l4 = ip + 40;
	}
	ck_assert_uint_eq(sl_test_csum(l4, l4_len, pseudo), 0);
}

static uint32_t
addr4(const char *s)
{
	union sl_ip ip;
	uint8_t fam;

	ck_assert_int_eq(sl_pb_addr(s, &ip, &fam), 0);
	ck_assert_int_eq(fam, SL_FAMILY_IPV4);
	return ip.v4;
}

static union sl_ip
addr6(const char *s)
{
	union sl_ip ip;
	uint8_t fam;

	ck_assert_int_eq(sl_pb_addr(s, &ip, &fam), 0);
	ck_assert_int_eq(fam, SL_FAMILY_IPV6);
	return ip;
}

/*
 * Expected IPv4-in-IPv4 frame for the inner packet @inner (as it arrived):
 * Ethernet, outer header per RFC 2003 and encap.h, inner with TTL - 1 and its
 * checksum recomputed from scratch. Returns the frame length.
 */
static size_t
expect_ipip4(uint8_t *out, const uint8_t *inner, size_t inner_len, const char *src, const char *dst,
	uint8_t outer_ttl, uint32_t hash)
{
	uint8_t *o = out + 14;
	uint32_t s = addr4(src), d = addr4(dst);
	int df = inner[6] & 0x40;

	memcpy(out, NEXTHOP_MAC, 6);
	memcpy(out + 6, SRC_MAC, 6);
	set16(out + 12, 0x0800);
	o[0] = 0x45;
	o[1] = inner[1];
	set16(o + 2, (uint16_t)(20 + inner_len));
	set16(o + 4, df ? 0 : (uint16_t)(hash & 0xffff));
	set16(o + 6, df ? 0x4000 : 0);
	o[8] = outer_ttl;
	o[9] = 4;
	set16(o + 10, 0);
	memcpy(o + 12, &s, 4);
	memcpy(o + 16, &d, 4);
	set16(o + 10, sl_test_csum(o, 20, 0));
	memcpy(o + 20, inner, inner_len);
	o[20 + 8]--;
	set16(o + 20 + 10, ip4_fresh_cksum(o + 20));
	return 14 + 20 + inner_len;
}

/* Expected IPv6-in-IPv6 frame (RFC 2473 and encap.h), inner hop limit - 1. */
static size_t
expect_ip6ip6(uint8_t *out, const uint8_t *inner, size_t inner_len, const char *src,
	const char *dst, uint8_t outer_hop, uint32_t hash)
{
	uint8_t *o = out + 14;
	union sl_ip s = addr6(src), d = addr6(dst);
	uint32_t tc = (uint32_t)(inner[0] & 0xf) << 4 | inner[1] >> 4;
	uint32_t w0 = 6u << 28 | tc << 20 | (hash & 0xfffff);

	memcpy(out, NEXTHOP_MAC, 6);
	memcpy(out + 6, SRC_MAC, 6);
	set16(out + 12, 0x86dd);
	set16(o, (uint16_t)(w0 >> 16));
	set16(o + 2, (uint16_t)w0);
	set16(o + 4, (uint16_t)inner_len);
	o[6] = 41;
	o[7] = outer_hop;
	memcpy(o + 8, s.b, 16);
	memcpy(o + 24, d.b, 16);
	memcpy(o + 40, inner, inner_len);
	o[40 + 7]--;
	return 14 + 40 + inner_len;
}

/* ---- fixtures ---- */

static struct sl_fwd_ctx
ctx_default(void)
{
	struct sl_fwd_ctx c;
	union sl_ip p6 = addr6("2001:db8:ffff:1::");

	memset(&c, 0, sizeof(c));
	memcpy(c.src_mac, SRC_MAC, 6);
	memcpy(c.nexthop_mac, NEXTHOP_MAC, 6);
	c.mtu = 1500;
	c.ttl = 32; /* not the inner TTL, so a mix-up shows */
	c.src4_prefix = addr4("172.16.0.0");
	c.src4_prefix_len = 16;
	memcpy(c.src6_prefix, p6.b, 16);
	c.src6_prefix_len = 64;
	return c;
}

static void
spec_tcp4(struct sl_pb_spec *s)
{
	sl_pb_spec_init(s);
	ck_assert_int_eq(sl_pb_addr("198.51.100.7", &s->src, &s->family), 0);
	ck_assert_int_eq(sl_pb_addr("192.0.2.10", &s->dst, &s->family), 0);
	s->proto = IPPROTO_TCP;
	s->sport = 40000;
	s->dport = 80;
	s->tcp_flags = 0x02;
	s->tcp_seq = 0x01020304;
	s->tos = 0x28;
	s->df = true;
	s->payload_len = 10;
}

static void
spec_tcp6(struct sl_pb_spec *s)
{
	sl_pb_spec_init(s);
	ck_assert_int_eq(sl_pb_addr("2001:db8::7", &s->src, &s->family), 0);
	ck_assert_int_eq(sl_pb_addr("2001:db8::10", &s->dst, &s->family), 0);
	s->proto = IPPROTO_TCP;
	s->sport = 40000;
	s->dport = 443;
	s->tcp_flags = 0x02;
	s->tos = 0xb8;
	s->flow_label = 0x12345;
	s->payload_len = 10;
}

/* Put @len bytes into a fresh frame with @headroom bytes in front, parse, snapshot. */
static void
frame_load(struct frame *f, const uint8_t *bytes, size_t len, uint32_t headroom)
{
	ck_assert_uint_le(headroom + len, MEMSZ);
	memset(f->mem, FILL, sizeof(f->mem));
	memcpy(f->mem + headroom, bytes, len);
	f->buf.data = f->mem + headroom;
	f->buf.len = (uint32_t)len;
	f->buf.headroom = headroom;
	ck_assert_int_eq(sl_parse(f->buf.data, f->buf.len, &f->pkt), SL_PARSE_OK);
	memcpy(f->orig, f->mem, sizeof(f->mem));
	f->orig_buf = f->buf;
}

/* Build @s, append @pad bytes of link-layer padding (0xee), load. */
static void
frame_build(struct frame *f, const struct sl_pb_spec *s, size_t pad, uint32_t headroom)
{
	uint8_t tmp[MEMSZ];
	int n = sl_pb_build(s, tmp, sizeof(tmp) - pad);

	ck_assert_int_gt(n, 0);
	memset(tmp + n, 0xee, pad);
	frame_load(f, tmp, (size_t)n + pad, headroom);
}

/* Neither the bytes nor the buffer descriptor moved. */
static void
assert_unchanged(const struct frame *f)
{
	ck_assert_mem_eq(f->mem, f->orig, MEMSZ);
	ck_assert_ptr_eq(f->buf.data, f->orig_buf.data);
	ck_assert_uint_eq(f->buf.len, f->orig_buf.len);
	ck_assert_uint_eq(f->buf.headroom, f->orig_buf.headroom);
}

/* The inner IP packet as it arrived (from the snapshot). */
static const uint8_t *
orig_inner(const struct frame *f)
{
	return f->orig + (f->orig_buf.data - f->mem) + f->pkt.l3_off;
}

/* Encapsulated in place: the inner packet did not move, and the result is @exp. */
static void
assert_encap_result(const struct frame *f, const uint8_t *exp, size_t exp_len, size_t outer_hlen)
{
	const uint8_t *inner_at = f->orig_buf.data + f->pkt.l3_off;

	ck_assert_ptr_eq(f->buf.data + 14 + outer_hlen, inner_at);
	ck_assert_uint_eq(f->buf.headroom, f->orig_buf.headroom + f->pkt.l3_off - 14 - outer_hlen);
	ck_assert_uint_eq(f->buf.len, exp_len);
	ck_assert_mem_eq(f->buf.data, exp, exp_len);
	/* nothing in front of the new frame was written */
	ck_assert_mem_eq(f->mem, f->orig, (size_t)(f->buf.data - f->mem));
}

static enum sl_fwd_verdict
encap4(struct frame *f, const char *backend, uint32_t hash, const struct sl_fwd_ctx *c,
	uint16_t *hint)
{
	union sl_ip b;
	uint8_t fam;

	ck_assert_int_eq(sl_pb_addr(backend, &b, &fam), 0);
	return sl_encap_ip(&f->buf, &f->pkt, &b, fam, hash, c, hint);
}

/* ---- tests ---- */

START_TEST(test_ipip4_byte_exact)
{
	/* Written by hand from RFC 791 / RFC 2003, checksum cross-checked with scapy. */
	static const uint8_t hdr[34] = {
		0x02, 0x00, 0x00, 0x00, 0xbb, 0x02, /* dst: next hop */
		0x02, 0x00, 0x00, 0x00, 0xaa, 0x01, /* src: our port */
		0x08, 0x00,			    /* IPv4 */
		0x45, 0x28, 0x00, 0x46,		    /* v4 ihl 5, tos copied, len 20 + 50 */
		0x00, 0x00, 0x40, 0x00,		    /* id 0 and DF: the inner has DF */
		0x20, 0x04, 0xe3, 0x88,		    /* ttl 32, proto IPIP, checksum */
		0xac, 0x10, 0xbe, 0xef,		    /* 172.16.190.239: /16 + hash 0xdeadbeef */
		0x0a, 0x01, 0x02, 0x03,		    /* backend */
	};
	struct sl_fwd_ctx c = ctx_default();
	struct sl_pb_spec s;
	struct frame f;
	uint8_t exp[MEMSZ];
	uint16_t hint = 0xabcd;

	spec_tcp4(&s);
	frame_build(&f, &s, 0, HEADROOM);
	ck_assert_uint_eq(f.pkt.l3_len, 50);
	size_t n = expect_ipip4(
		exp, orig_inner(&f), f.pkt.l3_len, "172.16.190.239", "10.1.2.3", 32, 0xdeadbeef);
	ck_assert_mem_eq(exp, hdr, sizeof(hdr));

	ck_assert_int_eq(encap4(&f, "10.1.2.3", 0xdeadbeef, &c, &hint), SL_FWD_OK);
	assert_encap_result(&f, exp, n, 20);
	ck_assert_uint_eq(hint, 0xabcd); /* only written on TOO_BIG */

	const uint8_t *outer = f.buf.data + 14, *inner = outer + 20;
	assert_ip4_cksum(outer);
	assert_ip4_cksum(inner);
	ck_assert_uint_eq(inner[8], 63);
	assert_l4_cksum(inner);
	/* the result parses: the outer packet is protocol 4 towards the backend */
	struct sl_pkt out;
	ck_assert_int_eq(sl_parse(f.buf.data, f.buf.len, &out), SL_PARSE_OK);
	ck_assert_uint_eq(out.flow.proto, 4);
	ck_assert_uint_eq(out.flow.dst.v4, addr4("10.1.2.3"));
	ck_assert_uint_eq(out.l3_len, 70);
}
END_TEST

START_TEST(test_ip6ip6_byte_exact)
{
	/* Written by hand from RFC 8200 / RFC 2473, cross-checked with scapy. */
	static const uint8_t hdr[54] = {
		0x02, 0x00, 0x00, 0x00, 0xbb, 0x02, /* dst: next hop */
		0x02, 0x00, 0x00, 0x00, 0xaa, 0x01, /* src: our port */
		0x86, 0xdd,			    /* IPv6 */
		0x6b, 0x8d, 0xbe, 0xef,		    /* tclass 0xb8 copied, label from hash */
		0x00, 0x46, 0x29, 0x20,		    /* payload 70, next header 41, hop 32 */
		0x20, 0x01, 0x0d, 0xb8, 0xff, 0xff, 0x00, 0x01, /* src: 2001:db8:ffff:1::/64 ... */
		0x00, 0x00, 0x00, 0x00, 0xde, 0xad, 0xbe, 0xef, /* ... 0:0, then the hash */
		0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01, 0x00, 0x00, /* dst: 2001:db8:1::5 */
		0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x05, /* */
	};
	struct sl_fwd_ctx c = ctx_default();
	struct sl_pb_spec s;
	struct frame f;
	uint8_t exp[MEMSZ];
	uint16_t hint = 0;

	spec_tcp6(&s);
	frame_build(&f, &s, 0, HEADROOM);
	ck_assert_uint_eq(f.pkt.l3_len, 70);
	size_t n = expect_ip6ip6(exp, orig_inner(&f), f.pkt.l3_len, "2001:db8:ffff:1::dead:beef",
		"2001:db8:1::5", 32, 0xdeadbeef);
	ck_assert_mem_eq(exp, hdr, sizeof(hdr));

	ck_assert_int_eq(encap4(&f, "2001:db8:1::5", 0xdeadbeef, &c, &hint), SL_FWD_OK);
	assert_encap_result(&f, exp, n, 40);
	const uint8_t *inner = f.buf.data + 54;
	ck_assert_uint_eq(inner[7], 63);
	assert_l4_cksum(inner);

	/* the flow label follows the hash (low 20 bits) */
	static const uint32_t hashes[] = {0, 1, 0xfffff, 0x100000, 0x12345678, 0xffffffff};
	for (size_t i = 0; i < sizeof(hashes) / sizeof(hashes[0]); i++) {
		frame_build(&f, &s, 0, HEADROOM);
		ck_assert_int_eq(encap4(&f, "2001:db8:1::5", hashes[i], &c, &hint), SL_FWD_OK);
		uint32_t w0 = (uint32_t)get16(f.buf.data + 14) << 16 | get16(f.buf.data + 16);
		ck_assert_uint_eq(w0 & 0xfffff, hashes[i] & 0xfffff);
		ck_assert_uint_eq(w0 >> 20, 0x6b8);
	}
}
END_TEST

static void
check_src4(const char *prefix, uint8_t len, uint32_t hash, const char *want)
{
	struct sl_fwd_ctx c = ctx_default();
	uint32_t got;

	c.src4_prefix = addr4(prefix);
	c.src4_prefix_len = len;
	sl_encap_src4(&c, hash, &got);
	ck_assert_msg(got == addr4(want), "%s/%u hash %#x: want %s", prefix, len, hash, want);
}

static void
check_src6(const char *prefix, uint8_t len, uint32_t hash, const char *want)
{
	struct sl_fwd_ctx c = ctx_default();
	union sl_ip got, w = addr6(want), p = addr6(prefix);

	memcpy(c.src6_prefix, p.b, 16);
	c.src6_prefix_len = len;
	sl_encap_src6(&c, hash, &got);
	ck_assert_msg(
		memcmp(got.b, w.b, 16) == 0, "%s/%u hash %#x: want %s", prefix, len, hash, want);
}

START_TEST(test_outer_src_from_hash)
{
	/* Expected addresses written out: host bits = low bits of the hash. */
	check_src4("172.16.9.128", 16, 0x11223344, "172.16.51.68");
	check_src4("172.16.9.128", 16, 0x55667788, "172.16.119.136");
	check_src4("172.16.9.128", 24, 0x11223344, "172.16.9.68");
	check_src4("172.16.9.128", 24, 0x55667788, "172.16.9.136");
	check_src4("172.16.9.128", 32, 0x11223344, "172.16.9.128");
	check_src4("172.16.9.128", 32, 0x55667788, "172.16.9.128");
	check_src4("172.16.9.128", 0, 0x11223344, "17.34.51.68");
	check_src4("172.16.9.128", 0, 0x55667788, "85.102.119.136");
	check_src4("172.16.9.128", 33, 0x11223344, "172.16.9.128"); /* clamped to /32 */
	check_src4("172.16.9.128", 255, 0x11223344, "172.16.9.128");
	check_src4("172.16.9.128", 31, 0x11223345, "172.16.9.129");

	check_src6("2001:db8:aaaa:bbbb:cccc:dddd:eeee:ffff", 64, 0x11223344,
		"2001:db8:aaaa:bbbb::1122:3344");
	check_src6("2001:db8:aaaa:bbbb:cccc:dddd:eeee:ffff", 64, 0x55667788,
		"2001:db8:aaaa:bbbb::5566:7788");
	check_src6("2001:db8:aaaa:bbbb:cccc:dddd:eeee:ffff", 96, 0x11223344,
		"2001:db8:aaaa:bbbb:cccc:dddd:1122:3344");
	check_src6("2001:db8:aaaa:bbbb:cccc:dddd:eeee:ffff", 96, 0x55667788,
		"2001:db8:aaaa:bbbb:cccc:dddd:5566:7788");
	check_src6("2001:db8:aaaa:bbbb:cccc:dddd:eeee:ffff", 112, 0x11223344,
		"2001:db8:aaaa:bbbb:cccc:dddd:eeee:3344");
	check_src6("2001:db8:aaaa:bbbb:cccc:dddd:eeee:ffff", 128, 0x11223344,
		"2001:db8:aaaa:bbbb:cccc:dddd:eeee:ffff");
	check_src6("2001:db8:aaaa:bbbb:cccc:dddd:eeee:ffff", 128, 0x55667788,
		"2001:db8:aaaa:bbbb:cccc:dddd:eeee:ffff");
	check_src6("2001:db8:aaaa:bbbb:cccc:dddd:eeee:ffff", 200, 0x55667788,
		"2001:db8:aaaa:bbbb:cccc:dddd:eeee:ffff");
	check_src6("2001:db8:aaaa:bbbb:cccc:dddd:eeee:ffff", 0, 0x11223344, "::1122:3344");
	check_src6("2001:db8:aaaa:bbbb:cccc:dddd:eeee:ffff", 8, 0x11223344, "2000::1122:3344");

	/* Many hashes under one prefix: same hash -> same address, the host bits
	 * are the hash, and the prefix bits never change. */
	struct sl_fwd_ctx c = ctx_default();
	uint32_t a, b, pfx = ntohl(addr4("172.16.0.0"));
	for (uint32_t h = 0; h < 70000; h += 7) {
		sl_encap_src4(&c, h * 2654435761u, &a);
		sl_encap_src4(&c, h * 2654435761u, &b);
		ck_assert_uint_eq(a, b);
		ck_assert_uint_eq(ntohl(a) >> 16, pfx >> 16);
		ck_assert_uint_eq(ntohl(a) & 0xffff, (h * 2654435761u) & 0xffff);
	}

	/* and the frame carries that address */
	struct sl_pb_spec s;
	struct frame f;
	uint16_t hint;
	spec_tcp4(&s);
	frame_build(&f, &s, 0, HEADROOM);
	ck_assert_int_eq(encap4(&f, "10.1.2.3", 0x0badf00d, &c, &hint), SL_FWD_OK);
	static const uint8_t want4[4] = {172, 16, 0xf0, 0x0d};
	ck_assert_mem_eq(f.buf.data + 14 + 12, want4, 4);
	spec_tcp6(&s);
	frame_build(&f, &s, 0, HEADROOM);
	ck_assert_int_eq(encap4(&f, "2001:db8:1::5", 0x0badf00d, &c, &hint), SL_FWD_OK);
	union sl_ip want = addr6("2001:db8:ffff:1::bad:f00d");
	ck_assert_mem_eq(f.buf.data + 14 + 8, want.b, 16);
}
END_TEST

/*
 * Make the inner IPv4 header's checksum, after the TTL decrement, come out
 * as exactly @after (0x0000 is the case RFC 1624 is about) by choosing the
 * IP ID; the header is then re-checksummed from scratch.
 */
static void
craft_cksum_after_decrement(uint8_t *frame, size_t l3_off, uint16_t after)
{
	uint8_t *ip = frame + l3_off;
	uint32_t s = 0;

	set16(ip + 4, 0);
	ip[8]--;
	set16(ip + 10, 0);
	for (int i = 0; i < 20; i += 2)
		s += get16(ip + i);
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	/* want fold(s + id) = ~after; s is never 0 (the version nibble) */
	uint16_t target = (uint16_t)~after;
	set16(ip + 4, (uint16_t)(target >= s ? target - s : target - s - 1));
	ip[8]++;
	set16(ip + 10, ip4_fresh_cksum(ip));
}

/* Run @rewrite (0 encap, 1 l2) on a v4 frame crafted so the new checksum is @after. */
static void
check_ttl_edge(int l2, uint16_t after, uint16_t before)
{
	struct sl_fwd_ctx c = ctx_default();
	struct sl_pb_spec s;
	uint8_t tmp[256];
	struct frame f;
	uint16_t hint;

	spec_tcp4(&s);
	int n = sl_pb_build(&s, tmp, sizeof(tmp));
	ck_assert_int_gt(n, 0);
	craft_cksum_after_decrement(tmp, 14, after);
	ck_assert_uint_eq(get16(tmp + 14 + 10), before);
	frame_load(&f, tmp, (size_t)n, HEADROOM);

	if (l2)
		ck_assert_int_eq(sl_l2_rewrite(&f.buf, &f.pkt, BACKEND_MAC, &c, &hint), SL_FWD_OK);
	else
		ck_assert_int_eq(encap4(&f, "10.1.2.3", 1, &c, &hint), SL_FWD_OK);
	const uint8_t *ip = f.buf.data + (l2 ? 14 : 34);
	ck_assert_uint_eq(ip[8], 63);
	ck_assert_uint_eq(get16(ip + 10), after);
	assert_ip4_cksum(ip);
}

START_TEST(test_ttl)
{
	struct sl_fwd_ctx c = ctx_default();
	struct sl_pb_spec s;
	struct frame f;
	uint16_t hint;

	/* plain decrement, both families, both rewrites */
	spec_tcp4(&s);
	s.ttl = 200;
	frame_build(&f, &s, 0, HEADROOM);
	ck_assert_int_eq(encap4(&f, "10.1.2.3", 7, &c, &hint), SL_FWD_OK);
	ck_assert_uint_eq(f.buf.data[34 + 8], 199);
	assert_ip4_cksum(f.buf.data + 34);
	frame_build(&f, &s, 0, HEADROOM);
	ck_assert_int_eq(sl_l2_rewrite(&f.buf, &f.pkt, BACKEND_MAC, &c, &hint), SL_FWD_OK);
	ck_assert_uint_eq(f.buf.data[14 + 8], 199);
	assert_ip4_cksum(f.buf.data + 14);
	spec_tcp6(&s);
	s.ttl = 2;
	frame_build(&f, &s, 0, HEADROOM);
	ck_assert_int_eq(encap4(&f, "2001:db8:1::5", 7, &c, &hint), SL_FWD_OK);
	ck_assert_uint_eq(f.buf.data[54 + 7], 1);
	frame_build(&f, &s, 0, HEADROOM);
	ck_assert_int_eq(sl_l2_rewrite(&f.buf, &f.pkt, BACKEND_MAC, &c, &hint), SL_FWD_OK);
	ck_assert_uint_eq(f.buf.data[14 + 7], 1);

	/* RFC 1624 edges: a result of 0x0000 (RFC 1141's HC + 0x100 would give 0xFFFF),
	 * and a starting checksum of 0x0000 */
	check_ttl_edge(0, 0x0000, 0xfeff);
	check_ttl_edge(1, 0x0000, 0xfeff);
	check_ttl_edge(0, 0x0100, 0x0000);
	check_ttl_edge(1, 0x0100, 0x0000);

	/* TTL / hop limit 1 and 0: refused, nothing written */
	for (int fam = 0; fam < 2; fam++) {
		for (int ttl = 0; ttl <= 1; ttl++) {
			uint8_t tmp[256];
			if (fam == 0)
				spec_tcp4(&s);
			else
				spec_tcp6(&s);
			s.ttl = 1; /* 0 means "default" to the builder: patched below */
			int n = sl_pb_build(&s, tmp, sizeof(tmp));
			ck_assert_int_gt(n, 0);
			if (fam == 0) {
				tmp[14 + 8] = (uint8_t)ttl;
				set16(tmp + 14 + 10, ip4_fresh_cksum(tmp + 14));
			} else {
				tmp[14 + 7] = (uint8_t)ttl;
			}
			frame_load(&f, tmp, (size_t)n, HEADROOM);
			ck_assert_int_eq(
				encap4(&f, fam ? "2001:db8:1::5" : "10.1.2.3", 7, &c, &hint),
				SL_FWD_TTL_EXCEEDED);
			assert_unchanged(&f);
			ck_assert_int_eq(sl_l2_rewrite(&f.buf, &f.pkt, BACKEND_MAC, &c, &hint),
				SL_FWD_TTL_EXCEEDED);
			assert_unchanged(&f);
		}
	}
}
END_TEST

START_TEST(test_mtu)
{
	struct sl_fwd_ctx c = ctx_default();
	struct sl_pb_spec s;
	struct frame f;
	uint16_t hint;

	for (int fam = 0; fam < 2; fam++) {
		const char *be = fam ? "2001:db8:1::5" : "10.1.2.3";
		uint16_t oh = fam ? 40 : 20;

		if (fam == 0)
			spec_tcp4(&s);
		else
			spec_tcp6(&s);
		s.payload_len = 1000;
		frame_build(&f, &s, 0, HEADROOM);
		uint16_t l3 = f.pkt.l3_len;

		/* encap: exactly fitting */
		c.mtu = (uint16_t)(l3 + oh);
		hint = 0xabcd;
		ck_assert_int_eq(encap4(&f, be, 7, &c, &hint), SL_FWD_OK);
		ck_assert_uint_eq(f.buf.len, 14u + oh + l3);
		ck_assert_uint_eq(hint, 0xabcd);
		/* one byte over */
		frame_build(&f, &s, 0, HEADROOM);
		c.mtu = (uint16_t)(l3 + oh - 1);
		ck_assert_int_eq(encap4(&f, be, 7, &c, &hint), SL_FWD_TOO_BIG);
		ck_assert_uint_eq(hint, l3 - 1);
		assert_unchanged(&f);

		/* L2: the packet itself against the MTU */
		c.mtu = l3;
		hint = 0xabcd;
		ck_assert_int_eq(sl_l2_rewrite(&f.buf, &f.pkt, BACKEND_MAC, &c, &hint), SL_FWD_OK);
		ck_assert_uint_eq(hint, 0xabcd);
		frame_build(&f, &s, 0, HEADROOM);
		c.mtu = (uint16_t)(l3 - 1);
		ck_assert_int_eq(
			sl_l2_rewrite(&f.buf, &f.pkt, BACKEND_MAC, &c, &hint), SL_FWD_TOO_BIG);
		ck_assert_uint_eq(hint, l3 - 1);
		assert_unchanged(&f);

		/* a full-size 1500 packet on a 1500 link: the hint is what fits in the tunnel */
		s.payload_len = (uint16_t)(1500 - (fam ? 40 : 20) - 20);
		frame_build(&f, &s, 0, HEADROOM);
		ck_assert_uint_eq(f.pkt.l3_len, 1500);
		c.mtu = 1500;
		ck_assert_int_eq(encap4(&f, be, 7, &c, &hint), SL_FWD_TOO_BIG);
		ck_assert_uint_eq(hint, 1500 - oh);
		assert_unchanged(&f);
		ck_assert_int_eq(sl_l2_rewrite(&f.buf, &f.pkt, BACKEND_MAC, &c, &hint), SL_FWD_OK);
	}
}
END_TEST

START_TEST(test_vlan_and_padding)
{
	struct sl_fwd_ctx c = ctx_default();
	struct sl_pb_spec s;
	struct frame f;
	uint8_t exp[MEMSZ];
	uint16_t hint;

	/* 1 and 2 tags in, untagged out */
	for (int nv = 1; nv <= 2; nv++) {
		spec_tcp4(&s);
		s.n_vlans = (uint8_t)nv;
		s.vlan_tpid[0] = nv == 2 ? 0x88a8 : 0x8100;
		s.vlan_tci[0] = 100;
		s.vlan_tci[1] = 200;
		frame_build(&f, &s, 0, HEADROOM);
		ck_assert_uint_eq(f.pkt.l3_off, 14 + 4 * nv);
		ck_assert_uint_eq(f.pkt.n_vlans, nv);
		size_t n = expect_ipip4(
			exp, orig_inner(&f), f.pkt.l3_len, "172.16.0.5", "10.1.2.3", 32, 5);
		ck_assert_int_eq(encap4(&f, "10.1.2.3", 5, &c, &hint), SL_FWD_OK);
		assert_encap_result(&f, exp, n, 20);
		ck_assert_uint_eq(get16(f.buf.data + 12), 0x0800);

		spec_tcp6(&s);
		s.n_vlans = (uint8_t)nv;
		s.vlan_tci[0] = 100;
		s.vlan_tci[1] = 200;
		frame_build(&f, &s, 0, HEADROOM);
		n = expect_ip6ip6(exp, orig_inner(&f), f.pkt.l3_len, "2001:db8:ffff:1::5",
			"2001:db8:1::5", 32, 5);
		ck_assert_int_eq(encap4(&f, "2001:db8:1::5", 5, &c, &hint), SL_FWD_OK);
		assert_encap_result(&f, exp, n, 40);
		ck_assert_uint_eq(get16(f.buf.data + 12), 0x86dd);
	}

	/* A minimum 60-byte frame: 14 Ethernet + 46 bytes of payload, of which
	 * 28 are the IP packet (IPv4 + empty UDP) and 18 padding. */
	sl_pb_spec_init(&s);
	ck_assert_int_eq(sl_pb_addr("198.51.100.7", &s.src, &s.family), 0);
	ck_assert_int_eq(sl_pb_addr("192.0.2.10", &s.dst, &s.family), 0);
	s.sport = 5000;
	s.dport = 53;
	frame_build(&f, &s, 18, HEADROOM);
	ck_assert_uint_eq(f.buf.len, 60);
	ck_assert_uint_eq(f.pkt.l3_len, 28);
	size_t n = expect_ipip4(exp, orig_inner(&f), 28, "172.16.0.9", "10.1.2.3", 32, 9);
	ck_assert_int_eq(encap4(&f, "10.1.2.3", 9, &c, &hint), SL_FWD_OK);
	assert_encap_result(&f, exp, n, 20);
	ck_assert_uint_eq(f.buf.len, 14 + 20 + 28);
	assert_l4_cksum(f.buf.data + 34);

	/* the same through L2 rewrite (tagged): trimmed to the IP packet */
	s.n_vlans = 1;
	s.vlan_tci[0] = 7;
	frame_build(&f, &s, 18, HEADROOM);
	ck_assert_int_eq(sl_l2_rewrite(&f.buf, &f.pkt, BACKEND_MAC, &c, &hint), SL_FWD_OK);
	ck_assert_uint_eq(f.buf.len, 18 + 28);

	/* IPv6 with trailing bytes past the payload length */
	spec_tcp6(&s);
	frame_build(&f, &s, 6, HEADROOM);
	n = expect_ip6ip6(
		exp, orig_inner(&f), f.pkt.l3_len, "2001:db8:ffff:1::9", "2001:db8:1::5", 32, 9);
	ck_assert_int_eq(encap4(&f, "2001:db8:1::5", 9, &c, &hint), SL_FWD_OK);
	assert_encap_result(&f, exp, n, 40);
}
END_TEST

START_TEST(test_headroom)
{
	struct sl_fwd_ctx c = ctx_default();
	struct sl_pb_spec s;
	struct frame f;
	uint16_t hint;

	/* needed in front of the IP header: 14 + 20 (v4) or 14 + 40 (v6);
	 * the old Ethernet and VLAN bytes count */
	static const struct {
		int v6, vlans;
		uint32_t ok; /* smallest headroom that works */
	} cases[] = {
		{0, 0, 20},
		{0, 1, 16},
		{0, 2, 12},
		{1, 0, 40},
		{1, 2, 32},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *be = cases[i].v6 ? "2001:db8:1::5" : "10.1.2.3";
		if (cases[i].v6)
			spec_tcp6(&s);
		else
			spec_tcp4(&s);
		s.n_vlans = (uint8_t)cases[i].vlans;
		frame_build(&f, &s, 0, cases[i].ok - 1);
		ck_assert_int_eq(encap4(&f, be, 3, &c, &hint), SL_FWD_NO_HEADROOM);
		assert_unchanged(&f);
		frame_build(&f, &s, 0, cases[i].ok);
		ck_assert_int_eq(encap4(&f, be, 3, &c, &hint), SL_FWD_OK);
		ck_assert_ptr_eq(f.buf.data, f.mem);
		ck_assert_uint_eq(f.buf.headroom, 0);
	}
	/* none at all, untagged */
	spec_tcp4(&s);
	frame_build(&f, &s, 0, 0);
	ck_assert_int_eq(encap4(&f, "10.1.2.3", 3, &c, &hint), SL_FWD_NO_HEADROOM);
	assert_unchanged(&f);
}
END_TEST

START_TEST(test_family_mismatch)
{
	struct sl_fwd_ctx c = ctx_default();
	struct sl_pb_spec s;
	struct frame f;
	uint16_t hint;

	spec_tcp4(&s);
	frame_build(&f, &s, 0, HEADROOM);
	ck_assert_int_eq(encap4(&f, "2001:db8:1::5", 3, &c, &hint), SL_FWD_FAMILY_MISMATCH);
	assert_unchanged(&f);
	spec_tcp6(&s);
	frame_build(&f, &s, 0, HEADROOM);
	ck_assert_int_eq(encap4(&f, "10.1.2.3", 3, &c, &hint), SL_FWD_FAMILY_MISMATCH);
	assert_unchanged(&f);
}
END_TEST

START_TEST(test_not_ip)
{
	struct sl_fwd_ctx c = ctx_default();
	struct sl_pb_spec s;
	struct frame f;
	uint8_t tmp[128];
	uint16_t hint;
	union sl_ip b = {.v4 = addr4("10.1.2.3")};

	sl_pb_spec_init(&s);
	s.ethertype = 0x0806;
	s.payload_len = 28;
	int n = sl_pb_build(&s, tmp, sizeof(tmp));
	ck_assert_int_gt(n, 0);
	memset(f.mem, FILL, sizeof(f.mem));
	memcpy(f.mem + HEADROOM, tmp, (size_t)n);
	f.buf = (struct sl_buf){.data = f.mem + HEADROOM, .len = (uint32_t)n, .headroom = HEADROOM};
	ck_assert_int_eq(sl_parse(f.buf.data, f.buf.len, &f.pkt), SL_PARSE_NOT_IP);
	memcpy(f.orig, f.mem, sizeof(f.mem));
	f.orig_buf = f.buf;
	ck_assert_int_eq(
		sl_encap_ip(&f.buf, &f.pkt, &b, SL_FAMILY_IPV4, 3, &c, &hint), SL_FWD_NOT_IP);
	assert_unchanged(&f);
	ck_assert_int_eq(sl_l2_rewrite(&f.buf, &f.pkt, BACKEND_MAC, &c, &hint), SL_FWD_NOT_IP);
	assert_unchanged(&f);

	/* a parsed packet that claims more bytes than the buffer holds */
	spec_tcp4(&s);
	frame_build(&f, &s, 0, HEADROOM);
	f.buf.len = f.orig_buf.len = f.pkt.l3_off + f.pkt.l3_len - 1u;
	ck_assert_int_eq(encap4(&f, "10.1.2.3", 3, &c, &hint), SL_FWD_NOT_IP);
	assert_unchanged(&f);
	ck_assert_int_eq(sl_l2_rewrite(&f.buf, &f.pkt, BACKEND_MAC, &c, &hint), SL_FWD_NOT_IP);
	assert_unchanged(&f);
}
END_TEST

START_TEST(test_l2_rewrite_byte_exact)
{
	struct sl_fwd_ctx c = ctx_default();
	struct sl_pb_spec s;
	struct frame f;
	uint8_t exp[MEMSZ];
	uint16_t hint;

	/* IPv4, one VLAN tag: the tag stays, MACs change, TTL and checksum follow */
	static const uint8_t hdr4[18] = {
		0x02, 0x00, 0x00, 0x00, 0xcc, 0x03, /* dst: the backend */
		0x02, 0x00, 0x00, 0x00, 0xaa, 0x01, /* src: our port */
		0x81, 0x00, 0x00, 0x64, 0x08, 0x00, /* VLAN 100, IPv4 */
	};
	spec_tcp4(&s);
	s.n_vlans = 1;
	s.vlan_tci[0] = 100;
	frame_build(&f, &s, 0, HEADROOM);
	size_t n = f.buf.len;
	memcpy(exp, f.buf.data, n);
	memcpy(exp, hdr4, sizeof(hdr4));
	exp[18 + 8] = 63;
	set16(exp + 18 + 10, ip4_fresh_cksum(exp + 18));
	ck_assert_int_eq(sl_l2_rewrite(&f.buf, &f.pkt, BACKEND_MAC, &c, &hint), SL_FWD_OK);
	ck_assert_ptr_eq(f.buf.data, f.orig_buf.data);
	ck_assert_uint_eq(f.buf.headroom, HEADROOM);
	ck_assert_uint_eq(f.buf.len, n);
	ck_assert_mem_eq(f.buf.data, exp, n);
	assert_ip4_cksum(f.buf.data + 18);
	assert_l4_cksum(f.buf.data + 18);
	ck_assert_mem_eq(f.mem, f.orig, HEADROOM);

	/* IPv6, two tags */
	static const uint8_t hdr6[22] = {
		0x02, 0x00, 0x00, 0x00, 0xcc, 0x03, /* dst: the backend */
		0x02, 0x00, 0x00, 0x00, 0xaa, 0x01, /* src: our port */
		0x88, 0xa8, 0x00, 0x0a,		    /* S-tag 10 */
		0x81, 0x00, 0x00, 0x14,		    /* C-tag 20 */
		0x86, 0xdd,			    /* IPv6 */
	};
	spec_tcp6(&s);
	s.n_vlans = 2;
	s.vlan_tpid[0] = 0x88a8;
	s.vlan_tci[0] = 10;
	s.vlan_tci[1] = 20;
	frame_build(&f, &s, 0, HEADROOM);
	n = f.buf.len;
	memcpy(exp, f.buf.data, n);
	memcpy(exp, hdr6, sizeof(hdr6));
	exp[22 + 7] = 63;
	ck_assert_int_eq(sl_l2_rewrite(&f.buf, &f.pkt, BACKEND_MAC, &c, &hint), SL_FWD_OK);
	ck_assert_ptr_eq(f.buf.data, f.orig_buf.data);
	ck_assert_uint_eq(f.buf.len, n);
	ck_assert_mem_eq(f.buf.data, exp, n);
	assert_l4_cksum(f.buf.data + 22);
}
END_TEST

START_TEST(test_df_id_tos)
{
	struct sl_fwd_ctx c = ctx_default();
	struct sl_pb_spec s;
	struct frame f;
	uint16_t hint;
	static const uint8_t tos[] = {0x00, 0x03, 0x28, 0xb8, 0xff};

	for (size_t i = 0; i < sizeof(tos); i++) {
		for (int df = 0; df < 2; df++) {
			spec_tcp4(&s);
			s.tos = tos[i];
			s.df = df;
			frame_build(&f, &s, 0, HEADROOM);
			/* hash low bits differ from the inner ID (0x1234) */
			ck_assert_int_eq(encap4(&f, "10.1.2.3", 0xcafe5678, &c, &hint), SL_FWD_OK);
			const uint8_t *o = f.buf.data + 14;
			ck_assert_uint_eq(o[1], tos[i]);
			ck_assert_uint_eq(get16(o + 4), df ? 0 : 0x5678);
			ck_assert_uint_eq(get16(o + 6), df ? 0x4000 : 0);
			assert_ip4_cksum(o);
			/* inner keeps its own ID and flags */
			ck_assert_uint_eq(get16(o + 20 + 4), 0x1234);
			ck_assert_uint_eq(get16(o + 20 + 6), df ? 0x4000 : 0);
		}
		spec_tcp6(&s);
		s.tos = tos[i];
		frame_build(&f, &s, 0, HEADROOM);
		ck_assert_int_eq(encap4(&f, "2001:db8:1::5", 0xcafe1234, &c, &hint), SL_FWD_OK);
		const uint8_t *o = f.buf.data + 14;
		ck_assert_uint_eq((o[0] & 0xf) << 4 | o[1] >> 4, tos[i]);
	}

	/* a first fragment (MF, no DF): the outer packet is not a fragment */
	spec_tcp4(&s);
	s.df = false;
	s.mf = true;
	frame_build(&f, &s, 0, HEADROOM);
	ck_assert_int_eq(encap4(&f, "10.1.2.3", 0xcafe0001, &c, &hint), SL_FWD_OK);
	ck_assert_uint_eq(get16(f.buf.data + 14 + 6), 0);
	ck_assert_uint_eq(get16(f.buf.data + 14 + 4), 0x0001);
	ck_assert_uint_eq(get16(f.buf.data + 34 + 6), 0x2000);
}
END_TEST

/*
 * One template per backend, made once and used for many packets (as the
 * dataplane does), must give exactly the frames expected from the RFCs for
 * every packet: hashes that set every host bit or none, TOS values, DF on and
 * off, sizes, prefix lengths from none to all of the address; and packets the
 * template's checks refuse are left as they were.
 */
START_TEST(test_template_reused)
{
	static const uint32_t hashes[] = {0, 1, 0xffff, 0x10000, 0xdeadbeef, 0xffffffff};
	static const uint8_t tos[] = {0x00, 0xb8, 0xff};
	static const uint8_t plen4[] = {0, 8, 16, 31, 32, 40};
	static const uint8_t plen6[] = {0, 64, 96, 100, 127, 128, 200};
	struct sl_encap_tmpl t;
	struct sl_pb_spec s;
	struct frame f;
	uint8_t exp[MEMSZ];
	char src[64];
	uint16_t hint = 0;

	for (size_t k = 0; k < sizeof(plen4); k++) {
		struct sl_fwd_ctx c = ctx_default();
		union sl_ip be;

		c.src4_prefix = addr4("172.31.200.77");
		c.src4_prefix_len = plen4[k];
		be.v4 = addr4("10.9.8.7");
		memset(be.b + 4, 0, 12);
		sl_encap_tmpl_init(&t, &c, &be, SL_FAMILY_IPV4);
		for (size_t h = 0; h < sizeof(hashes) / sizeof(hashes[0]); h++) {
			for (size_t i = 0; i < sizeof(tos); i++) {
				spec_tcp4(&s);
				s.tos = tos[i];
				s.df = (h + i) & 1;
				s.payload_len = 10 + 97 * (uint32_t)h;
				frame_build(&f, &s, 0, HEADROOM);
				uint32_t len = plen4[k] > 32 ? 32 : plen4[k];
				uint32_t mask = len == 32 ? 0 : UINT32_MAX >> len;
				uint32_t a = (0xac1fc84du & ~mask) | (hashes[h] & mask);
				snprintf(src, sizeof(src), "%u.%u.%u.%u", a >> 24, a >> 16 & 0xff,
					a >> 8 & 0xff, a & 0xff);
				size_t n = expect_ipip4(exp, orig_inner(&f), f.pkt.l3_len, src,
					"10.9.8.7", 32, hashes[h]);
				ck_assert_int_eq(
					sl_encap_ip_tmpl(&f.buf, &f.pkt, &t, hashes[h], &c, &hint),
					SL_FWD_OK);
				assert_encap_result(&f, exp, n, 20);
				assert_ip4_cksum(f.buf.data + 14);
			}
		}
	}

	for (size_t k = 0; k < sizeof(plen6); k++) {
		struct sl_fwd_ctx c = ctx_default();
		union sl_ip be = addr6("2001:db8:1::5"),
			    p = addr6("2001:db8:ffff:1:aaaa:bbbb:cccc:dddd");

		memcpy(c.src6_prefix, p.b, 16);
		c.src6_prefix_len = plen6[k];
		sl_encap_tmpl_init(&t, &c, &be, SL_FAMILY_IPV6);
		for (size_t h = 0; h < sizeof(hashes) / sizeof(hashes[0]); h++) {
			spec_tcp6(&s);
			s.tos = tos[h % sizeof(tos)];
			s.payload_len = 10 + 97 * (uint32_t)h;
			frame_build(&f, &s, 0, HEADROOM);
			/* prefix bits kept, host bits above the low 32 zero, the low 32 from the
			 * hash */
			union sl_ip a = p;
			unsigned int len = plen6[k] > 128 ? 128 : plen6[k];
			for (unsigned int bit = len; bit < 128; bit++)
				a.b[bit / 8] &= (uint8_t) ~(0x80u >> (bit % 8));
			for (unsigned int bit = len > 96 ? len : 96; bit < 128; bit++)
				if (hashes[h] >> (127 - bit) & 1)
					a.b[bit / 8] |= (uint8_t)(0x80u >> (bit % 8));
			ck_assert_ptr_nonnull(inet_ntop(AF_INET6, a.b, src, sizeof(src)));
			size_t n = expect_ip6ip6(exp, orig_inner(&f), f.pkt.l3_len, src,
				"2001:db8:1::5", 32, hashes[h]);
			ck_assert_int_eq(sl_encap_ip_tmpl(&f.buf, &f.pkt, &t, hashes[h], &c, &hint),
				SL_FWD_OK);
			assert_encap_result(&f, exp, n, 40);
		}
	}

	/* What the template refuses, in sl_encap_ip()'s order, leaves the frame alone. */
	struct sl_fwd_ctx c = ctx_default();
	union sl_ip be4 = {.v4 = addr4("10.9.8.7")};

	spec_tcp4(&s);
	s.payload_len = 1000;
	frame_build(&f, &s, 0, HEADROOM);
	c.mtu = (uint16_t)(f.pkt.l3_len + 19);
	sl_encap_tmpl_init(&t, &c, &be4, SL_FAMILY_IPV4);
	ck_assert_int_eq(sl_encap_ip_tmpl(&f.buf, &f.pkt, &t, 1, &c, &hint), SL_FWD_TOO_BIG);
	ck_assert_uint_eq(hint, f.pkt.l3_len - 1);
	assert_unchanged(&f);
	c.mtu = 20; /* nothing fits */
	sl_encap_tmpl_init(&t, &c, &be4, SL_FAMILY_IPV4);
	ck_assert_int_eq(sl_encap_ip_tmpl(&f.buf, &f.pkt, &t, 1, &c, &hint), SL_FWD_TOO_BIG);
	ck_assert_uint_eq(hint, 0);
	assert_unchanged(&f);
	c = ctx_default();
	sl_encap_tmpl_init(&t, &c, &be4, 0); /* no family: matches no packet */
	ck_assert_int_eq(
		sl_encap_ip_tmpl(&f.buf, &f.pkt, &t, 1, &c, &hint), SL_FWD_FAMILY_MISMATCH);
	f.pkt.flow.family = 0;
	ck_assert_int_eq(sl_encap_ip_tmpl(&f.buf, &f.pkt, &t, 1, &c, &hint), SL_FWD_NOT_IP);
	f.pkt.flow.family = SL_FAMILY_IPV4;
	sl_encap_tmpl_init(&t, &c, &be4, SL_FAMILY_IPV4);
	f.pkt.l3_len = 19;
	ck_assert_int_eq(sl_encap_ip_tmpl(&f.buf, &f.pkt, &t, 1, &c, &hint), SL_FWD_NOT_IP);
	assert_unchanged(&f);
	spec_tcp4(&s);
	s.ttl = 1;
	frame_build(&f, &s, 0, HEADROOM);
	ck_assert_int_eq(sl_encap_ip_tmpl(&f.buf, &f.pkt, &t, 1, &c, &hint), SL_FWD_TTL_EXCEEDED);
	assert_unchanged(&f);
	spec_tcp4(&s);
	frame_build(&f, &s, 0, 19); /* 19 + 14 bytes in front, 34 needed */
	ck_assert_int_eq(sl_encap_ip_tmpl(&f.buf, &f.pkt, &t, 1, &c, &hint), SL_FWD_NO_HEADROOM);
	assert_unchanged(&f);
}
END_TEST

START_TEST(test_verdict_names)
{
	for (int i = 0; i < SL_FWD_VERDICT_MAX; i++) {
		const char *n = sl_fwd_verdict_name((enum sl_fwd_verdict)i);
		ck_assert_ptr_nonnull(n);
		ck_assert_str_ne(n, "unknown");
		ck_assert_uint_gt(strlen(n), 0);
		for (const char *p = n; *p; p++)
			ck_assert_msg(islower((unsigned char)*p) || isdigit((unsigned char)*p) ||
					      *p == '_',
				"%s is not snake_case", n);
		for (int j = 0; j < i; j++)
			ck_assert_str_ne(n, sl_fwd_verdict_name((enum sl_fwd_verdict)j));
	}
	ck_assert_str_eq(sl_fwd_verdict_name(SL_FWD_OK), "ok");
	ck_assert_str_eq(sl_fwd_verdict_name(SL_FWD_TOO_BIG), "too_big");
	ck_assert_str_eq(sl_fwd_verdict_name(SL_FWD_TTL_EXCEEDED), "ttl_exceeded");
	ck_assert_str_eq(sl_fwd_verdict_name(SL_FWD_VERDICT_MAX), "unknown");
	ck_assert_str_eq(sl_fwd_verdict_name((enum sl_fwd_verdict)(-1)), "unknown");
	ck_assert_str_eq(sl_fwd_verdict_name((enum sl_fwd_verdict)1000), "unknown");
}
END_TEST

static Suite *
encap_suite(void)
{
	Suite *s = suite_create("encap");

	SL_TCASE(s, test_ipip4_byte_exact);
	SL_TCASE(s, test_ip6ip6_byte_exact);
	SL_TCASE(s, test_outer_src_from_hash);
	SL_TCASE(s, test_ttl);
	SL_TCASE(s, test_mtu);
	SL_TCASE(s, test_vlan_and_padding);
	SL_TCASE(s, test_headroom);
	SL_TCASE(s, test_family_mismatch);
	SL_TCASE(s, test_not_ip);
	SL_TCASE(s, test_l2_rewrite_byte_exact);
	SL_TCASE(s, test_df_id_tos);
	SL_TCASE(s, test_template_reused);
	SL_TCASE(s, test_verdict_names);
	return s;
}

SL_TEST_MAIN(encap_suite)
