/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "icmp.h"
#include "parse.h"
#include "pktbuild.h"
#include "test-common.h"

#define HEADROOM 128

static const uint8_t our_mac[6] = {0x02, 0x51, 0, 0, 0, 0x01};
static const uint8_t client_mac[6] = {0x02, 0xcc, 0, 0, 0, 0x07};

struct frame {
	uint8_t mem[HEADROOM + 2048];
	struct sl_buf buf;
	struct sl_pkt pkt;
	uint8_t orig[2048];
	int len;
};

static void
make(struct frame *f, uint8_t family, uint16_t payload, bool df)
{
	struct sl_pb_spec s;
	uint8_t fam;

	sl_pb_spec_init(&s);
	memcpy(s.src_mac, client_mac, 6);
	memcpy(s.dst_mac, our_mac, 6);
	if (family == SL_FAMILY_IPV6) {
		sl_pb_addr("2001:db8:c::7", &s.src, &fam);
		sl_pb_addr("2001:db8::80", &s.dst, &s.family);
	} else {
		sl_pb_addr("198.51.100.7", &s.src, &fam);
		sl_pb_addr("192.0.2.80", &s.dst, &s.family);
	}
	s.proto = IPPROTO_TCP;
	s.sport = 40000;
	s.dport = 80;
	s.tcp_flags = 0x18;
	s.df = df;
	s.payload_len = payload;
	f->len = sl_pb_build(&s, f->mem + HEADROOM, sizeof(f->mem) - HEADROOM);
	ck_assert_int_gt(f->len, 0);
	memcpy(f->orig, f->mem + HEADROOM, (size_t)f->len);
	f->buf = (struct sl_buf){
		.data = f->mem + HEADROOM, .len = (uint32_t)f->len, .headroom = HEADROOM};
	ck_assert_int_eq(sl_parse(f->buf.data, f->buf.len, &f->pkt), SL_PARSE_OK);
}

START_TEST(test_ipv4_frag_needed)
{
	struct frame f;
	struct sl_pkt out;

	make(&f, SL_FAMILY_IPV4, 1400, true);
	ck_assert_int_eq(sl_icmp_too_big(&f.buf, &f.pkt, 1480, our_mac), 0);
	ck_assert_uint_eq(f.buf.len, 14 + 576);
	ck_assert_uint_eq(f.buf.headroom, HEADROOM + 14 - 42);
	ck_assert_mem_eq(f.buf.data, client_mac, 6);
	ck_assert_mem_eq(f.buf.data + 6, our_mac, 6);

	ck_assert_int_eq(sl_parse(f.buf.data, f.buf.len, &out), SL_PARSE_OK);
	ck_assert_uint_eq(out.flow.proto, IPPROTO_ICMP);
	ck_assert_uint_eq(out.icmp_type, 3);
	ck_assert_uint_eq(out.icmp_code, 4);
	ck_assert_uint_eq(out.icmp_mtu, 1480);
	/* From the VIP to the client, about the client's flow. */
	ck_assert_mem_eq(&out.flow.src, &f.pkt.flow.dst, 16);
	ck_assert_mem_eq(&out.flow.dst, &f.pkt.flow.src, 16);
	ck_assert(out.flags & SL_PKT_F_ICMP_ERROR);
	ck_assert_mem_eq(&out.inner, &f.pkt.flow, sizeof(out.inner));

	const uint8_t *ip = f.buf.data + 14;
	ck_assert_uint_eq(sl_test_csum(ip, 20, 0), 0);
	ck_assert_uint_eq(sl_test_csum(ip + 20, 576 - 20, 0), 0);
	/* The quoted bytes are the original packet's first bytes. */
	ck_assert_mem_eq(ip + 28, f.orig + 14, 576 - 28);
}
END_TEST

START_TEST(test_ipv6_packet_too_big)
{
	struct frame f;
	struct sl_pkt out;

	make(&f, SL_FAMILY_IPV6, 1400, false);
	ck_assert_int_eq(sl_icmp_too_big(&f.buf, &f.pkt, 1460, our_mac), 0);
	ck_assert_uint_eq(f.buf.len, 14 + 1280);
	ck_assert_int_eq(sl_parse(f.buf.data, f.buf.len, &out), SL_PARSE_OK);
	ck_assert_uint_eq(out.flow.proto, IPPROTO_ICMPV6);
	ck_assert_uint_eq(out.icmp_type, 2);
	ck_assert_uint_eq(out.icmp_mtu, 1460);
	ck_assert_mem_eq(&out.flow.src, &f.pkt.flow.dst, 16);
	ck_assert_mem_eq(&out.inner, &f.pkt.flow, sizeof(out.inner));

	/* ICMPv6 checksum over the pseudo-header and the message. */
	const uint8_t *ip = f.buf.data + 14;
	uint32_t plen = (uint32_t)(ip[4] << 8 | ip[5]);
	ck_assert_uint_eq(plen, 1280 - 40);
	uint32_t s = 0;
	for (int i = 8; i < 40; i += 2)
		s += (uint32_t)(ip[i] << 8 | ip[i + 1]);
	s += plen + IPPROTO_ICMPV6;
	ck_assert_uint_eq(sl_test_csum(ip + 40, plen, s), 0);
	ck_assert_mem_eq(ip + 48, f.orig + 14, 1280 - 48);
}
END_TEST

/* A packet shorter than the quote limit is quoted whole. */
START_TEST(test_short_packet_quoted_whole)
{
	struct frame f;

	make(&f, SL_FAMILY_IPV4, 100, true);
	ck_assert_int_eq(sl_icmp_too_big(&f.buf, &f.pkt, 100, our_mac), 0);
	ck_assert_uint_eq(f.buf.len, 14u + 28u + f.pkt.l3_len);
	ck_assert_mem_eq(f.buf.data + 42, f.orig + 14, f.pkt.l3_len);
}
END_TEST

/* No error for IPv4 without DF, for ICMP errors, or without headroom; buffer unchanged. */
START_TEST(test_refusals_leave_buffer)
{
	struct frame f;
	struct sl_buf before;

	make(&f, SL_FAMILY_IPV4, 1400, false);
	before = f.buf;
	ck_assert_int_eq(sl_icmp_too_big(&f.buf, &f.pkt, 1480, our_mac), -EINVAL);
	ck_assert_ptr_eq(f.buf.data, before.data);
	ck_assert_mem_eq(f.buf.data, f.orig, (size_t)f.len);

	make(&f, SL_FAMILY_IPV4, 1400, true);
	f.buf.headroom = 27; /* needs 28 more bytes in front of a 14-byte Ethernet header */
	before = f.buf;
	ck_assert_int_eq(sl_icmp_too_big(&f.buf, &f.pkt, 1480, our_mac), -ENOSPC);
	ck_assert_uint_eq(f.buf.len, before.len);
	ck_assert_mem_eq(f.buf.data, f.orig, (size_t)f.len);
	f.buf.headroom = 28;
	ck_assert_int_eq(sl_icmp_too_big(&f.buf, &f.pkt, 1480, our_mac), 0);

	/* An ICMP error about to be answered with an error: never. */
	make(&f, SL_FAMILY_IPV4, 1400, true);
	ck_assert_int_eq(sl_icmp_too_big(&f.buf, &f.pkt, 1480, our_mac), 0);
	struct sl_pkt err_pkt;
	ck_assert_int_eq(sl_parse(f.buf.data, f.buf.len, &err_pkt), SL_PARSE_OK);
	uint8_t copy[1024];
	memcpy(copy, f.buf.data, f.buf.len);
	ck_assert_int_eq(sl_icmp_too_big(&f.buf, &err_pkt, 500, our_mac), -EINVAL);
	ck_assert_mem_eq(f.buf.data, copy, f.buf.len);
}
END_TEST

static Suite *
icmp_suite(void)
{
	Suite *s = suite_create("icmp");
	SL_TCASE(s, test_ipv4_frag_needed);
	SL_TCASE(s, test_ipv6_packet_too_big);
	SL_TCASE(s, test_short_packet_quoted_whole);
	SL_TCASE(s, test_refusals_leave_buffer);
	return s;
}

SL_TEST_MAIN(icmp_suite)
