/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The configuration model and its JSON codec (include/sluice/config.h):
 * decoding, defaults, the canonical encoding and its round trip, and a table
 * of hostile documents, each with the exact message it must produce.
 *
 * Documents are written with single quotes for readability; doc() turns
 * them into double quotes before parsing.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <jansson.h>

#include <sluice/config.h>

#include "test-common.h"

/* A JSON document from single-quoted text (malloc'd; the caller frees). */
static char *
doc(const char *text)
{
	char *s = strdup(text);

	ck_assert_ptr_nonnull(s);
	for (char *c = s; *c != '\0'; c++)
		if (*c == '\'')
			*c = '"';
	return s;
}

static int
parse(struct sl_cfg *cfg, const char *text, char *err)
{
	char *s = doc(text);
	int rc = sl_cfg_from_json(cfg, s, strlen(s), err, SL_CFG_ERR_LEN);

	free(s);
	return rc;
}

static union sl_ip
ip(const char *s)
{
	union sl_ip a;

	memset(&a, 0, sizeof(a));
	if (inet_pton(AF_INET, s, &a.v4) != 1)
		ck_assert_int_eq(inet_pton(AF_INET6, s, a.b), 1);
	return a;
}

static void
ck_ip(const union sl_ip *got, const char *want)
{
	union sl_ip w = ip(want);

	ck_assert_mem_eq(got->b, w.b, 16);
}

/* Field-wise equality (padding is not compared; a MAC only when present). */
static void
ck_cfg_eq(const struct sl_cfg *a, const struct sl_cfg *b)
{
	ck_assert_uint_eq(a->table_size, b->table_size);
	ck_assert_uint_eq(a->flow_capacity, b->flow_capacity);
	ck_assert_uint_eq(a->syn_cap, b->syn_cap);
	ck_assert_uint_eq(a->seed, b->seed);
	ck_assert_uint_eq(a->mtu, b->mtu);
	ck_assert_uint_eq(a->ttl, b->ttl);
	ck_assert_uint_eq(a->has_nexthop_mac, b->has_nexthop_mac);
	if (a->has_nexthop_mac)
		ck_assert_mem_eq(a->nexthop_mac, b->nexthop_mac, 6);
	ck_assert_mem_eq(a->src4_prefix.b, b->src4_prefix.b, 16);
	ck_assert_uint_eq(a->src4_prefix_len, b->src4_prefix_len);
	ck_assert_mem_eq(a->src6_prefix.b, b->src6_prefix.b, 16);
	ck_assert_uint_eq(a->src6_prefix_len, b->src6_prefix_len);
	ck_assert_mem_eq(a->timeout_s, b->timeout_s, sizeof(a->timeout_s));
	ck_assert_uint_eq(a->n_vips, b->n_vips);
	for (uint32_t i = 0; i < a->n_vips; i++) {
		const struct sl_cfg_vip *va = &a->vips[i], *vb = &b->vips[i];

		ck_assert_mem_eq(va->addr.b, vb->addr.b, 16);
		ck_assert_uint_eq(va->family, vb->family);
		ck_assert_uint_eq(va->proto, vb->proto);
		ck_assert_uint_eq(va->port, vb->port);
		ck_assert_uint_eq(va->hash, vb->hash);
		ck_assert_uint_eq(va->fwd_mode, vb->fwd_mode);
		ck_assert_uint_eq(va->n_backends, vb->n_backends);
		for (uint32_t j = 0; j < va->n_backends; j++) {
			const struct sl_cfg_backend *ba = &va->backends[j], *bb = &vb->backends[j];

			ck_assert_mem_eq(ba->addr.b, bb->addr.b, 16);
			ck_assert_uint_eq(ba->family, bb->family);
			ck_assert_uint_eq(ba->state, bb->state);
			ck_assert_uint_eq(ba->weight, bb->weight);
			ck_assert_uint_eq(ba->has_mac, bb->has_mac);
			if (ba->has_mac)
				ck_assert_mem_eq(ba->mac, bb->mac, 6);
		}
	}
}

/* The sl_cfg_init() state, which every failed call must leave behind. */
static void
ck_cfg_empty(const struct sl_cfg *c)
{
	struct sl_cfg want;

	sl_cfg_init(&want);
	ck_assert_ptr_null(c->vips);
	ck_cfg_eq(c, &want);
}

/* Every key, two VIPs: IPv4 encap and IPv6 l2. */
static const char full_doc[] = "{"
			       "'table_size': 655373, 'flow_capacity': 2048, 'syn_cap': 5000,"
			       "'seed': 4294967295, 'mtu': 9000, 'ttl': 32,"
			       "'nexthop_mac': '02:00:00:00:00:FE',"
			       "'encap_source_v4': '10.99.0.0/24',"
			       "'encap_source_v6': '2001:db8:ffff::/48',"
			       "'timeouts': {'tcp_syn': 1, 'tcp_established': 86400, "
			       "  'tcp_closing': 7, 'udp': 8, 'other': 9},"
			       "'vips': ["
			       " {'address': '192.0.2.80', 'protocol': 'tcp', 'port': 80,"
			       "  'hash': 'src_ip_port', 'forwarding': 'encap', 'backends': ["
			       "   {'address': '10.0.1.1', 'weight': 0, 'state': 'draining'},"
			       "   {'address': '10.0.1.2', 'weight': 65535, 'state': 'down',"
			       "    'mac': '02:00:00:00:01:02'}]},"
			       " {'address': '2001:db8::80', 'protocol': 'udp',"
			       "  'hash': 'src_ip', 'forwarding': 'l2', 'backends': ["
			       "   {'address': '2001:db8:1::1', 'mac': '02:00:00:00:02:01'}]}"
			       "]}";

START_TEST(test_full_document)
{
	char err[SL_CFG_ERR_LEN] = "stale";
	const uint32_t timeouts[5] = {1, 86400, 7, 8, 9};
	const uint8_t nh[6] = {2, 0, 0, 0, 0, 0xfe}, m2[6] = {2, 0, 0, 0, 1, 2};
	const uint8_t m3[6] = {2, 0, 0, 0, 2, 1};
	struct sl_cfg c;

	ck_assert_int_eq(parse(&c, full_doc, err), 0);
	ck_assert_str_eq(err, "");
	ck_assert_uint_eq(c.table_size, 655373);
	ck_assert_uint_eq(c.flow_capacity, 2048);
	ck_assert_uint_eq(c.syn_cap, 5000);
	ck_assert_uint_eq(c.seed, 4294967295u);
	ck_assert_uint_eq(c.mtu, 9000);
	ck_assert_uint_eq(c.ttl, 32);
	ck_assert_uint_eq(c.has_nexthop_mac, 1);
	ck_assert_mem_eq(c.nexthop_mac, nh, 6);
	ck_ip(&c.src4_prefix, "10.99.0.0");
	ck_assert_uint_eq(c.src4_prefix_len, 24);
	ck_ip(&c.src6_prefix, "2001:db8:ffff::");
	ck_assert_uint_eq(c.src6_prefix_len, 48);
	ck_assert_mem_eq(c.timeout_s, timeouts, sizeof(timeouts));
	ck_assert_uint_eq(c.n_vips, 2);

	ck_ip(&c.vips[0].addr, "192.0.2.80");
	ck_assert_uint_eq(c.vips[0].family, SL_FAMILY_IPV4);
	ck_assert_uint_eq(c.vips[0].proto, IPPROTO_TCP);
	ck_assert_uint_eq(c.vips[0].port, 80);
	ck_assert_uint_eq(c.vips[0].hash, SL_HASH_SRC_IP_PORT);
	ck_assert_uint_eq(c.vips[0].fwd_mode, SL_FWD_ENCAP);
	ck_assert_uint_eq(c.vips[0].n_backends, 2);
	ck_ip(&c.vips[0].backends[0].addr, "10.0.1.1");
	ck_assert_uint_eq(c.vips[0].backends[0].family, SL_FAMILY_IPV4);
	ck_assert_uint_eq(c.vips[0].backends[0].weight, 0);
	ck_assert_uint_eq(c.vips[0].backends[0].state, SL_BACKEND_DRAINING);
	ck_assert_uint_eq(c.vips[0].backends[0].has_mac, 0);
	ck_ip(&c.vips[0].backends[1].addr, "10.0.1.2");
	ck_assert_uint_eq(c.vips[0].backends[1].weight, 65535);
	ck_assert_uint_eq(c.vips[0].backends[1].state, SL_BACKEND_DOWN);
	ck_assert_uint_eq(c.vips[0].backends[1].has_mac, 1);
	ck_assert_mem_eq(c.vips[0].backends[1].mac, m2, 6);

	ck_ip(&c.vips[1].addr, "2001:db8::80");
	ck_assert_uint_eq(c.vips[1].family, SL_FAMILY_IPV6);
	ck_assert_uint_eq(c.vips[1].proto, IPPROTO_UDP);
	ck_assert_uint_eq(c.vips[1].port, 0);
	ck_assert_uint_eq(c.vips[1].hash, SL_HASH_SRC_IP);
	ck_assert_uint_eq(c.vips[1].fwd_mode, SL_FWD_L2);
	ck_assert_uint_eq(c.vips[1].n_backends, 1);
	ck_ip(&c.vips[1].backends[0].addr, "2001:db8:1::1");
	ck_assert_uint_eq(c.vips[1].backends[0].family, SL_FAMILY_IPV6);
	ck_assert_uint_eq(c.vips[1].backends[0].weight, 100);
	ck_assert_uint_eq(c.vips[1].backends[0].state, SL_BACKEND_ACTIVE);
	ck_assert_mem_eq(c.vips[1].backends[0].mac, m3, 6);
	sl_cfg_free(&c);
	ck_cfg_empty(&c);
}
END_TEST

START_TEST(test_defaults)
{
	const uint32_t timeouts[5] = {5, 300, 10, 30, 30};
	char err[SL_CFG_ERR_LEN];
	struct sl_cfg c, init;

	ck_assert_int_eq(parse(&c, "{}", err), 0);
	ck_assert_uint_eq(c.table_size, 65537);
	ck_assert_uint_eq(c.flow_capacity, 1000000);
	ck_assert_uint_eq(c.syn_cap, 0);
	ck_assert_uint_eq(c.seed, 0x5eed);
	ck_assert_uint_eq(c.mtu, 1500);
	ck_assert_uint_eq(c.ttl, 64);
	ck_assert_uint_eq(c.has_nexthop_mac, 0);
	ck_ip(&c.src4_prefix, "172.16.0.0");
	ck_assert_uint_eq(c.src4_prefix_len, 16);
	ck_ip(&c.src6_prefix, "fd00:5100::");
	ck_assert_uint_eq(c.src6_prefix_len, 64);
	ck_assert_mem_eq(c.timeout_s, timeouts, sizeof(timeouts));
	ck_assert_uint_eq(c.n_vips, 0);
	ck_assert_ptr_null(c.vips);
	sl_cfg_init(&init);
	ck_cfg_eq(&c, &init);
	ck_assert_int_eq(sl_cfg_validate(&init, err, sizeof(err)), 0);

	/* Per VIP and per backend; a partial timeouts object keeps the rest. */
	ck_assert_int_eq(parse(&c,
				 "{'nexthop_mac': '02:00:00:00:00:01', 'timeouts': {'udp': 60},"
				 " 'vips': [{'address': '192.0.2.1', 'protocol': 'udp',"
				 "  'backends': [{'address': '10.0.0.1'}]},"
				 " {'address': '192.0.2.2', 'protocol': 'tcp'}]}",
				 err),
		0);
	ck_assert_uint_eq(c.timeout_s[3], 60);
	ck_assert_uint_eq(c.timeout_s[1], 300);
	ck_assert_uint_eq(c.vips[0].port, 0);
	ck_assert_uint_eq(c.vips[0].hash, SL_HASH_5TUPLE);
	ck_assert_uint_eq(c.vips[0].fwd_mode, SL_FWD_ENCAP);
	ck_assert_uint_eq(c.vips[0].backends[0].weight, 100);
	ck_assert_uint_eq(c.vips[0].backends[0].state, SL_BACKEND_ACTIVE);
	ck_assert_uint_eq(c.vips[0].backends[0].has_mac, 0);
	/* No backends is allowed: the VIP's traffic is dropped and counted. */
	ck_assert_uint_eq(c.vips[1].n_backends, 0);
	ck_assert_ptr_null(c.vips[1].backends);
	sl_cfg_free(&c);
}
END_TEST

static void
ck_round_trip(const struct sl_cfg *c)
{
	char err[SL_CFG_ERR_LEN];
	struct sl_cfg back;
	char *s, *s2;

	s = sl_cfg_to_json(c);
	ck_assert_ptr_nonnull(s);
	ck_assert_msg(
		sl_cfg_from_json(&back, s, strlen(s), err, sizeof(err)) == 0, "%s: %s", err, s);
	ck_cfg_eq(&back, c);
	/* Canonical: encoding the decoded config gives the same bytes. */
	s2 = sl_cfg_to_json(&back);
	ck_assert_ptr_nonnull(s2);
	ck_assert_str_eq(s, s2);
	free(s2);
	free(s);
	sl_cfg_free(&back);
}

START_TEST(test_round_trip)
{
	char err[SL_CFG_ERR_LEN];
	struct sl_cfg c, init;

	ck_assert_int_eq(parse(&c, full_doc, err), 0);
	ck_round_trip(&c);
	sl_cfg_free(&c);
	sl_cfg_init(&init);
	ck_round_trip(&init);
}
END_TEST

/* Keys in the documented order, whatever order they came in; absent MACs left out. */
START_TEST(test_canonical_order)
{
	static const char *const order[] = {"\"table_size\"", "\"flow_capacity\"", "\"syn_cap\"",
		"\"seed\"", "\"mtu\"", "\"ttl\"", "\"nexthop_mac\"", "\"encap_source_v4\"",
		"\"encap_source_v6\"", "\"timeouts\"", "\"tcp_syn\"", "\"tcp_established\"",
		"\"tcp_closing\"", "\"udp\"", "\"other\"", "\"vips\"", "\"address\"",
		"\"protocol\"", "\"port\"", "\"hash\"", "\"forwarding\"", "\"backends\"",
		"\"address\": \"10.0.0.9\"", "\"weight\"", "\"state\": \"down\"",
		"\"address\": \"10.0.0.8\""};
	char err[SL_CFG_ERR_LEN];
	const char *at;
	struct sl_cfg c;
	char *s;

	ck_assert_int_eq(parse(&c,
				 "{'vips': [{'backends': [{'state': 'down', 'address': '10.0.0.9'},"
				 "   {'address': '10.0.0.8'}], 'port': 1, 'protocol': 'tcp',"
				 "  'address': '192.0.2.1'}], 'ttl': 9,"
				 " 'nexthop_mac': '02:00:00:00:00:01', 'timeouts': {'other': 3}}",
				 err),
		0);
	s = sl_cfg_to_json(&c);
	ck_assert_ptr_nonnull(s);
	at = s;
	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		const char *next = strstr(at, order[i]);

		ck_assert_msg(next != NULL, "%s missing or out of order in %s", order[i], s);
		at = next + 1;
	}
	ck_assert_ptr_null(strstr(s, "\"mac\""));
	free(s);
	sl_cfg_free(&c);
}
END_TEST

START_TEST(test_ipv6_l2)
{
	char err[SL_CFG_ERR_LEN];
	struct sl_cfg c;

	ck_assert_int_eq(
		parse(&c,
			"{'vips': [{'address': '2001:db8::1', 'protocol': 'tcp', 'port': 443,"
			" 'forwarding': 'l2', 'backends': ["
			"  {'address': '2001:db8:a::1', 'mac': '02:00:00:00:00:01'},"
			"  {'address': '2001:db8:a::2', 'mac': '02:00:00:00:00:02'}]}]}",
			err),
		0);
	/* l2 only: no nexthop MAC needed. */
	ck_assert_uint_eq(c.has_nexthop_mac, 0);
	ck_assert_uint_eq(c.vips[0].family, SL_FAMILY_IPV6);
	ck_assert_uint_eq(c.vips[0].n_backends, 2);
	ck_ip(&c.vips[0].backends[1].addr, "2001:db8:a::2");
	ck_assert_uint_eq(c.vips[0].backends[1].family, SL_FAMILY_IPV6);
	ck_round_trip(&c);
	sl_cfg_free(&c);
}
END_TEST

#define NH	  "'nexthop_mac': '02:00:00:00:00:fe', "
#define VIPS(v)	  "{" NH "'vips': [" v "]}"
#define VIP4(...) "{'address': '192.0.2.80', 'protocol': 'tcp'" __VA_ARGS__ "}"
#define VIP6(...) "{'address': '2001:db8::80', 'protocol': 'tcp'" __VA_ARGS__ "}"
#define BE(addr)  "{'address': '" addr "'}"

static const struct bad_doc {
	const char *json; /* single-quoted */
	const char *want; /* substring of the message */
} bad_docs[] = {
	/* syntax, as jansson reports it, with a position */
	{"{", "invalid JSON at line 1, column 1: "},
	{"", "invalid JSON at line 1, column 0: '[' or '{' expected"},
	{"{} x", "invalid JSON at line 1, column 4: end of file expected"},
	{"{'mtu': 1500,\n 'mtu': 1500}", "invalid JSON at line 2, column 6: duplicate object key"},
	{"{'seed': 99999999999999999999}", "invalid JSON at line 1, column 29: too big integer"},
	{"{'a': '\xff'}", "unable to decode byte 0xff"},
	{"[]", "expected a JSON object at the top level, got an array"},
	/* unknown keys, at every level, escaped */
	{"{'frobnicate': 1}", "frobnicate: unknown key"},
	{"{'fo\\u0001o': 1}", "fo\\x01o: unknown key"},
	{"{'timeouts': {'icmp': 5}}", "timeouts.icmp: unknown key"},
	{VIPS(VIP4(", 'frobnicate': 1")), "vips[0].frobnicate: unknown key"},
	{VIPS(VIP4(", 'backends': [{'address': '10.0.0.1', 'wieght': 1}]")),
		"vips[0].backends[0].wieght: unknown key"},
	/* types */
	{"{'mtu': '1500'}", "mtu: expected an integer, got a string"},
	{"{'syn_cap': true}", "syn_cap: expected an integer, got a boolean"},
	{"{'nexthop_mac': null}", "nexthop_mac: expected a string, got null"},
	{"{'timeouts': []}", "timeouts: expected an object, got an array"},
	{"{'vips': {}}", "vips: expected an array, got an object"},
	{"{'vips': [5]}", "vips[0]: expected an object, got an integer"},
	{VIPS(VIP4(", 'backends': {}")), "vips[0].backends: expected an array, got an object"},
	{VIPS(VIP4(", 'backends': [null]")), "vips[0].backends[0]: expected an object, got null"},
	{VIPS("{'address': 5, 'protocol': 'tcp'}"),
		"vips[0].address: expected a string, got an integer"},
	{VIPS(VIP4(", 'port': '80'")), "vips[0].port: expected an integer, got a string"},
	/* numbers: ranges, negatives, reals */
	{"{'mtu': 1500.5}", "mtu: must be an integer in 576..9000, got a real number (1500.5)"},
	{"{'mtu': 575}", "mtu: 575 is below the minimum 576"},
	{"{'mtu': 9001}", "mtu: 9001 is above the maximum 9000"},
	{"{'mtu': -1}", "mtu: -1 is below the minimum 576"},
	{"{'ttl': 0}", "ttl: 0 is below the minimum 1"},
	{"{'ttl': 256}", "ttl: 256 is above the maximum 255"},
	{"{'table_size': 65536}",
		"table_size: 65536 is not prime (Maglev needs a prime size; try 65537)"},
	{"{'table_size': 5}", "table_size: 5 is below the minimum 7"},
	{"{'table_size': 16777214}", "table_size: 16777214 is above the maximum 16777213"},
	{"{'table_size': 1e5}",
		"table_size: must be an integer in 7..16777213, got a real number (100000)"},
	{"{'flow_capacity': 1023}", "flow_capacity: 1023 is below the minimum 1024"},
	{"{'flow_capacity': 268435457}", "flow_capacity: 268435457 is above the maximum 268435456"},
	{"{'seed': 4294967296}", "seed: 4294967296 is above the maximum 4294967295"},
	{"{'seed': -1}", "seed: -1 is below the minimum 0"},
	{"{'timeouts': {'udp': 0}}", "timeouts.udp: 0 is below the minimum 1"},
	{"{'timeouts': {'tcp_established': 86401}}",
		"timeouts.tcp_established: 86401 is above the maximum 86400"},
	{VIPS(VIP4(", 'port': 65536")), "vips[0].port: 65536 is above the maximum 65535"},
	{VIPS(VIP4(", 'port': -1")), "vips[0].port: -1 is below the minimum 0"},
	{VIPS(VIP4(", 'port': 80.0")),
		"vips[0].port: must be an integer in 0..65535, got a real number (80)"},
	{VIPS(VIP4("") "," VIP4(", 'port': 1, 'backends': [{'address': '10.0.0.1', "
				"'weight': 70000}]")),
		"vips[1].backends[0].weight: 70000 is above the maximum 65535"},
	{VIPS(VIP4(", 'backends': [{'address': '10.0.0.1', 'weight': -5}]")),
		"vips[0].backends[0].weight: -5 is below the minimum 0"},
	/* strings: addresses, enumerations, MACs, prefixes */
	{VIPS("{'address': '192.0.2.300', 'protocol': 'tcp'}"),
		"vips[0].address: '192.0.2.300' is not an IPv4 or IPv6 address"},
	{VIPS("{'address': 'fe80::1%eth0', 'protocol': 'tcp'}"),
		"vips[0].address: 'fe80::1%eth0' is not an IPv4 or IPv6 address"},
	{VIPS("{'address': '', 'protocol': 'tcp'}"),
		"vips[0].address: '' is not an IPv4 or IPv6 address"},
	{VIPS("{'address': '192.0.2.1\\u0000', 'protocol': 'tcp'}"),
		"vips[0].address: contains a NUL character (\\u0000)"},
	{VIPS("{'protocol': 'tcp'}"), "vips[0].address: required"},
	{VIPS("{'address': '192.0.2.1'}"), "vips[0].protocol: required"},
	{VIPS("{'address': '192.0.2.1', 'protocol': 'sctp'}"),
		"vips[0].protocol: 'sctp' is not one of tcp, udp"},
	{VIPS("{'address': '192.0.2.1', 'protocol': 'TCP'}"),
		"vips[0].protocol: 'TCP' is not one of tcp, udp"},
	{VIPS(VIP4(", 'hash': 'crc'")),
		"vips[0].hash: 'crc' is not one of 5tuple, src_ip, src_ip_port"},
	{VIPS(VIP4(", 'forwarding': 'dsr'")), "vips[0].forwarding: 'dsr' is not one of encap, l2"},
	{VIPS(VIP4(", 'backends': [{'address': '10.0.0.1', 'state': 'up'}]")),
		"vips[0].backends[0].state: 'up' is not one of active, draining, down"},
	{VIPS(VIP4(", 'backends': [{'weight': 1}]")), "vips[0].backends[0].address: required"},
	{VIPS(VIP4(", 'backends': [{'address': '10.0.0.1', 'mac': '02-00-00-00-00-01'}]")),
		"vips[0].backends[0].mac: '02-00-00-00-00-01' is not a MAC address"},
	{"{'nexthop_mac': '02:00:00:00:00'}", "nexthop_mac: '02:00:00:00:00' is not a MAC address"},
	{"{'nexthop_mac': '01:00:5e:00:00:01'}",
		"nexthop_mac: 01:00:5e:00:00:01 is a multicast MAC address"},
	{"{'nexthop_mac': '00:00:00:00:00:00'}",
		"nexthop_mac: 00:00:00:00:00:00 is the all-zero MAC address"},
	{"{'encap_source_v4': '172.16.0.1/16'}",
		"encap_source_v4: 172.16.0.1/16 has host bits set (did you mean 172.16.0.0/16?)"},
	{"{'encap_source_v4': '172.16.0.0/33'}",
		"encap_source_v4: prefix length 33 is above the maximum 32"},
	{"{'encap_source_v4': '172.16.0.0'}",
		"encap_source_v4: '172.16.0.0' is not an IPv4 prefix (such as 172.16.0.0/16)"},
	{"{'encap_source_v4': '172.16.0.0/+8'}",
		"encap_source_v4: '172.16.0.0/+8' is not an IPv4 prefix"},
	{"{'encap_source_v6': '10.0.0.0/8'}",
		"encap_source_v6: '10.0.0.0/8' is not an IPv6 prefix"},
	{"{'encap_source_v6': 'fd00::1/64'}",
		"encap_source_v6: fd00::1/64 has host bits set (did you mean fd00::/64?)"},
	{"{'encap_source_v6': 'fd00::/129'}",
		"encap_source_v6: prefix length 129 is above the maximum 128"},
	/* relations between fields (sl_cfg_validate) */
	{VIPS(VIP4(", 'port': 80") "," VIP4(", 'port': 81") "," VIP4(", 'port': 80")),
		"vips[2]: duplicate of vips[0] (192.0.2.80 tcp port 80)"},
	{VIPS(VIP4("") "," VIP4("")), "vips[1]: duplicate of vips[0] (192.0.2.80 tcp all ports)"},
	{VIPS(VIP4(", 'backends': [" BE("10.0.1.1") "," BE("10.0.1.2") "," BE("10.0.1.3") "," BE(
		 "10.0.1.1") "]")),
		"vips[0].backends[3]: duplicate address 10.0.1.1 (same as backends[0])"},
	{VIPS(VIP4(", 'forwarding': 'l2', 'backends': [{'address': '10.0.0.1', 'mac': "
		   "'02:00:00:00:00:01'}, {'address': '10.0.0.2'}]")),
		"vips[0].backends[1].mac: required when forwarding is l2"},
	{"{'vips': [" VIP4("") "]}",
		"nexthop_mac: required when a VIP uses encap forwarding (vips[0] does)"},
	{VIPS(VIP4(", 'backends': [" BE("2001:db8::1") "]")),
		"vips[0].backends[0].address: IPv6 backend for an IPv4 VIP"},
	{VIPS(VIP6(", 'backends': [" BE("10.0.0.1") "]")),
		"vips[0].backends[0].address: IPv4 backend for an IPv6 VIP"},
	{VIPS("{'address': '0.0.0.0', 'protocol': 'tcp'}"),
		"vips[0].address: 0.0.0.0 is the unspecified address"},
	{VIPS("{'address': '224.0.0.1', 'protocol': 'tcp'}"),
		"vips[0].address: 224.0.0.1 is a multicast address"},
	{VIPS("{'address': '255.255.255.255', 'protocol': 'tcp'}"),
		"vips[0].address: 255.255.255.255 is the broadcast address"},
	{VIPS("{'address': '127.0.0.1', 'protocol': 'tcp'}"),
		"vips[0].address: 127.0.0.1 is a loopback address"},
	{VIPS("{'address': '::', 'protocol': 'tcp'}"),
		"vips[0].address: :: is the unspecified address"},
	{VIPS(VIP6(", 'backends': [" BE("ff02::1") "]")),
		"vips[0].backends[0].address: ff02::1 is a multicast address"},
	{VIPS(VIP6(", 'backends': [" BE("::ffff:10.0.0.1") "]")),
		"vips[0].backends[0].address: ::ffff:10.0.0.1 is an IPv4-mapped IPv6 address"},
	{"{" NH "'mtu': 1300, 'vips': [" VIP6("") "]}",
		"mtu: 1300 is too small for vips[0], an IPv6 VIP in encap mode: it needs at least "
		"1320"},
	{"{'mtu': 1279, 'vips': [" VIP6(", 'forwarding': 'l2'") "]}",
		"mtu: 1279 is too small for vips[0], an IPv6 VIP in l2 mode: it needs at least "
		"1280"},
	/* an error after arrays were allocated: nothing may leak (valgrind) */
	{VIPS(VIP4(", 'backends': [" BE("10.0.0.1") "]") "," VIP4(
		 ", 'port': 1, 'backends': [" BE("10.0.0.1") "," BE("10.0.0.300") "]")),
		"vips[1].backends[1].address: '10.0.0.300' is not an IPv4 or IPv6 address"},
};

#define N_BAD_DOCS ((int)(sizeof(bad_docs) / sizeof(bad_docs[0])))

/* Each document is refused with its message, and leaves the config empty. */
START_TEST(test_bad_documents)
{
	const struct bad_doc *b = &bad_docs[_i];
	char err[SL_CFG_ERR_LEN];
	struct sl_cfg c;
	int rc;

	memset(&c, 0xa5, sizeof(c)); /* an output: garbage in must not matter */
	rc = parse(&c, b->json, err);
	ck_assert_msg(rc == -EINVAL, "[%d] %s: rc %d, err '%s'", _i, b->json, rc, err);
	ck_assert_msg(strstr(err, b->want) != NULL, "[%d] %s\n got  '%s'\n want '%s'", _i, b->json,
		err, b->want);
	ck_cfg_empty(&c);
}
END_TEST

/* Untrusted text in a message is escaped and cut; the message always fits. */
START_TEST(test_hostile_strings)
{
	char json[600], err[SL_CFG_ERR_LEN], small[16];
	struct sl_cfg c;
	size_t n;

	/* ESC starts a terminal escape sequence: it must not reach one. */
	n = (size_t)snprintf(json, sizeof(json),
		"{" NH "'vips': [{'protocol': 'tcp', 'address': 'AAAAAAA\\u001b");
	memset(json + n, 'A', 400);
	snprintf(json + n + 400, sizeof(json) - n - 400, "'}]}");
	ck_assert_int_eq(parse(&c, json, err), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "vips[0].address: 'AAAAAAA\\x1bAAA"));
	ck_assert_ptr_nonnull(strstr(err, "...' is not an IPv4 or IPv6 address"));
	for (const char *p = err; *p != '\0'; p++)
		ck_assert_msg(*p >= 0x20 && *p < 0x7f, "unprintable byte in '%s'", err);

	/* A short buffer gets a cut, terminated message; none at all is fine. */
	ck_assert_int_eq(sl_cfg_from_json(&c, "{\"mtu\": 1}", 10, small, sizeof(small)), -EINVAL);
	ck_assert_uint_eq(strlen(small), sizeof(small) - 1);
	ck_assert_int_eq(sl_cfg_from_json(&c, "{\"mtu\": 1}", 10, NULL, 0), -EINVAL);
	ck_cfg_empty(&c);
	/* The length is honoured: no NUL terminator needed, bytes past it unread. */
	ck_assert_int_eq(sl_cfg_from_json(&c, "{}garbage", 2, err, sizeof(err)), 0);
	ck_assert_int_eq(sl_cfg_from_json(&c, NULL, 1, err, sizeof(err)), -EINVAL);
}
END_TEST

/* Distinct (address, protocol, port) triples are distinct VIPs; a duplicate
 * is reported at its first repetition in document order. */
START_TEST(test_duplicates)
{
	char err[SL_CFG_ERR_LEN];
	struct sl_cfg c;

	ck_assert_int_eq(
		parse(&c,
			VIPS(VIP4(", 'port': 80") "," VIP4(
				", 'port': 0") ","
					       "{'address': '192.0.2.80', 'protocol': 'udp', "
					       "'port': 80},"
					       "{'address': '192.0.2.81', 'protocol': 'tcp', "
					       "'port': 80,"
					       " 'backends': [" BE(
						       "10.0.0.1") "]},"
								   "{'address': '192.0.2.82', "
								   "'protocol': 'tcp', 'port': 80,"
								   " 'backends': [" BE(
									   "10.0.0.1") "]}"),
			err),
		0);
	ck_assert_uint_eq(c.n_vips, 5);
	sl_cfg_free(&c);

	ck_assert_int_eq(parse(&c,
				 VIPS(VIP4(", 'port': 1") "," VIP4(", 'port': 2") "," VIP4(
					 ", 'port': 2") "," VIP4(", 'port': 1")),
				 err),
		-EINVAL);
	ck_assert_str_eq(err, "vips[2]: duplicate of vips[1] (192.0.2.80 tcp port 2)");
	ck_assert_int_eq(
		parse(&c,
			VIPS(VIP6(", 'backends': [" BE("2001:db8::1") "," BE("2001:db8::2") "," BE(
				"2001:db8::2") "," BE("2001:db8::1") "]")),
			err),
		-EINVAL);
	ck_assert_str_eq(err, "vips[0].backends[2]: duplicate address 2001:db8::2 (same as "
			      "backends[1])");
}
END_TEST

/* One VIP per port 1..n_vips, each with @per backends 10.0.0.1, 10.0.0.2, ... */
static char *
big_doc(uint32_t n_vips, uint32_t per)
{
	size_t cap = 128 + (size_t)n_vips * (80 + (size_t)per * 32), off;
	char *s = malloc(cap);

	ck_assert_ptr_nonnull(s);
	off = (size_t)snprintf(s, cap, "{\"nexthop_mac\": \"02:00:00:00:00:01\", \"vips\": [");
	for (uint32_t i = 0; i < n_vips; i++) {
		off += (size_t)snprintf(s + off, cap - off,
			"%s{\"address\": \"192.0.2.1\", \"protocol\": \"tcp\", \"port\": %u, "
			"\"backends\": [",
			i ? "," : "", i + 1);
		for (uint32_t j = 1; j <= per; j++)
			off += (size_t)snprintf(s + off, cap - off,
				"%s{\"address\": \"10.%u.%u.%u\"}", j > 1 ? "," : "",
				(j >> 16) & 255, (j >> 8) & 255, j & 255);
		off += (size_t)snprintf(s + off, cap - off, "]}");
	}
	snprintf(s + off, cap - off, "]}");
	ck_assert_uint_lt(off + 3, cap);
	return s;
}

static int
parse_big(struct sl_cfg *c, uint32_t n_vips, uint32_t per, char *err)
{
	char *s = big_doc(n_vips, per);
	int rc = sl_cfg_from_json(c, s, strlen(s), err, SL_CFG_ERR_LEN);

	free(s);
	return rc;
}

START_TEST(test_limits)
{
	char err[SL_CFG_ERR_LEN];
	struct sl_cfg c;

	ck_assert_int_eq(parse_big(&c, 1, SL_CFG_MAX_BACKENDS, err), 0);
	ck_assert_uint_eq(c.vips[0].n_backends, SL_CFG_MAX_BACKENDS);
	sl_cfg_free(&c);
	ck_assert_int_eq(parse_big(&c, 1, SL_CFG_MAX_BACKENDS + 1, err), -EINVAL);
	ck_assert_str_eq(err, "vips[0].backends: 4097 backends, above the maximum of 4096 per VIP");
	ck_cfg_empty(&c);

	ck_assert_int_eq(parse_big(&c, SL_CFG_MAX_VIPS, 0, err), 0);
	ck_assert_uint_eq(c.n_vips, SL_CFG_MAX_VIPS);
	sl_cfg_free(&c);
	ck_assert_int_eq(parse_big(&c, SL_CFG_MAX_VIPS + 1, 0, err), -EINVAL);
	ck_assert_str_eq(err, "vips: 1025 VIPs, above the maximum of 1024");
	ck_cfg_empty(&c);

	/* 16 x 4096 = 65536: one above the total. 15 full VIPs are fine. */
	ck_assert_int_eq(parse_big(&c, 15, SL_CFG_MAX_BACKENDS, err), 0);
	sl_cfg_free(&c);
	ck_assert_int_eq(parse_big(&c, 16, SL_CFG_MAX_BACKENDS, err), -EINVAL);
	ck_assert_str_eq(err, "vips: more than 65535 backends over all VIPs (the maximum)");
	ck_cfg_empty(&c);
}
END_TEST

/* A valid hand-built config with one IPv4 encap VIP and one backend. */
static struct sl_cfg
hand_built(void)
{
	struct sl_cfg c;

	sl_cfg_init(&c);
	c.has_nexthop_mac = 1;
	c.nexthop_mac[0] = 2;
	c.nexthop_mac[5] = 1;
	c.n_vips = 1;
	c.vips = calloc(1, sizeof(*c.vips));
	ck_assert_ptr_nonnull(c.vips);
	c.vips[0].addr = ip("192.0.2.1");
	c.vips[0].family = SL_FAMILY_IPV4;
	c.vips[0].proto = IPPROTO_TCP;
	c.vips[0].port = 443;
	c.vips[0].n_backends = 1;
	c.vips[0].backends = calloc(1, sizeof(*c.vips[0].backends));
	ck_assert_ptr_nonnull(c.vips[0].backends);
	c.vips[0].backends[0].addr = ip("10.0.0.1");
	c.vips[0].backends[0].family = SL_FAMILY_IPV4;
	c.vips[0].backends[0].weight = 7;
	return c;
}

/* sl_cfg_validate() on configs no JSON could produce. */
START_TEST(test_validate_hand_built)
{
	char err[SL_CFG_ERR_LEN];
	struct sl_cfg c = hand_built();
	struct sl_cfg_vip *v = &c.vips[0];
	struct sl_cfg_backend *b = &v->backends[0];

#define CK_INVALID(mutate, undo, msg)                                                              \
	do {                                                                                       \
		mutate;                                                                            \
		ck_assert_int_eq(sl_cfg_validate(&c, err, sizeof(err)), -EINVAL);                  \
		ck_assert_str_eq(err, msg);                                                        \
		undo;                                                                              \
		ck_assert_int_eq(sl_cfg_validate(&c, err, sizeof(err)), 0);                        \
	} while (0)

	ck_assert_int_eq(sl_cfg_validate(&c, err, sizeof(err)), 0);
	ck_assert_str_eq(err, "");
	CK_INVALID(v->hash = SL_HASH_VARIANT_MAX, v->hash = 0,
		"vips[0].hash: 3 is not a hash variant");
	CK_INVALID(
		v->fwd_mode = 9, v->fwd_mode = 0, "vips[0].forwarding: 9 is not a forwarding mode");
	CK_INVALID(v->proto = IPPROTO_ICMP, v->proto = IPPROTO_TCP,
		"vips[0].protocol: IP protocol 1 is neither tcp nor udp");
	CK_INVALID(v->family = 0, v->family = SL_FAMILY_IPV4,
		"vips[0].address: address family 0 is neither IPv4 (4) nor IPv6 (6)");
	CK_INVALID(v->addr.b[9] = 1, v->addr.b[9] = 0,
		"vips[0].address: 192.0.2.1 has non-zero bytes after its first four (an IPv4 "
		"address must not)");
	CK_INVALID(b->state = SL_BACKEND_STATE_MAX, b->state = 0,
		"vips[0].backends[0].state: 3 is not a backend state");
	CK_INVALID(b->weight = 65536, b->weight = 1,
		"vips[0].backends[0].weight: 65536 is above the maximum 65535");
	CK_INVALID(b->has_mac = 1, b->has_mac = 0,
		"vips[0].backends[0].mac: 00:00:00:00:00:00 is the all-zero MAC address");
	CK_INVALID(
		v->backends = NULL, v->backends = b, "vips[0].backends: 1 backends but no array");
	CK_INVALID(v->n_backends = SL_CFG_MAX_BACKENDS + 1, v->n_backends = 1,
		"vips[0].backends: 4097 backends, above the maximum of 4096 per VIP");
	CK_INVALID(c.vips = NULL, c.vips = v, "vips: 1 VIPs but no array");
	CK_INVALID(c.n_vips = SL_CFG_MAX_VIPS + 1, c.n_vips = 1,
		"vips: 1025 VIPs, above the maximum of 1024");
	CK_INVALID(c.table_size = 0, c.table_size = 65537, "table_size: 0 is below the minimum 7");
	CK_INVALID(c.table_size = 100, c.table_size = 65537,
		"table_size: 100 is not prime (Maglev needs a prime size; try 101)");
	CK_INVALID(c.flow_capacity = 0, c.flow_capacity = 1024,
		"flow_capacity: 0 is below the minimum 1024");
	CK_INVALID(c.ttl = 0, c.ttl = 1, "ttl: 0 is below the minimum 1");
	CK_INVALID(c.mtu = 65535, c.mtu = 576, "mtu: 65535 is above the maximum 9000");
	CK_INVALID(c.timeout_s[4] = 0, c.timeout_s[4] = 86400,
		"timeouts.other: 0 is below the minimum 1");
	CK_INVALID(c.src4_prefix_len = 33, c.src4_prefix_len = 16,
		"encap_source_v4: prefix length 33 is above the maximum 32");
	CK_INVALID(c.src6_prefix_len = 8, c.src6_prefix_len = 64,
		"encap_source_v6: fd00:5100::/8 has host bits set (did you mean fd00::/8?)");
	CK_INVALID(c.has_nexthop_mac = 0, c.has_nexthop_mac = 1,
		"nexthop_mac: required when a VIP uses encap forwarding (vips[0] does)");
#undef CK_INVALID
	ck_assert_int_eq(sl_cfg_validate(NULL, err, sizeof(err)), -EINVAL);
	ck_assert_str_eq(err, "no configuration given");
	sl_cfg_free(&c);
	ck_cfg_empty(&c);
}
END_TEST

START_TEST(test_to_json_refuses_bad_fields)
{
	struct sl_cfg c = hand_built();

	ck_round_trip(&c);
	c.vips[0].backends[0].state = 200;
	errno = 0;
	ck_assert_ptr_null(sl_cfg_to_json(&c));
	ck_assert_int_eq(errno, EINVAL);
	c.vips[0].backends[0].state = 0;
	c.vips[0].family = 0;
	errno = 0;
	ck_assert_ptr_null(sl_cfg_to_json(&c));
	ck_assert_int_eq(errno, EINVAL);
	sl_cfg_free(&c);
}
END_TEST

START_TEST(test_to_jansson)
{
	struct sl_cfg c = hand_built();
	json_t *j = sl_cfg_to_jansson(&c);
	json_t *vip;

	ck_assert_ptr_nonnull(j);
	ck_assert_int_eq(json_integer_value(json_object_get(j, "table_size")), 65537);
	vip = json_array_get(json_object_get(j, "vips"), 0);
	ck_assert_str_eq(json_string_value(json_object_get(vip, "address")), "192.0.2.1");
	ck_assert_int_eq(json_integer_value(json_object_get(vip, "port")), 443);
	json_decref(j);
	sl_cfg_free(&c);
}
END_TEST

START_TEST(test_copy)
{
	struct sl_cfg_backend *saved;
	char err[SL_CFG_ERR_LEN];
	struct sl_cfg a, b;

	ck_assert_int_eq(parse(&a, full_doc, err), 0);
	memset(&b, 0xa5, sizeof(b));
	ck_assert_int_eq(sl_cfg_copy(&b, &a), 0);
	ck_cfg_eq(&b, &a);
	/* Deep: the copy owns its arrays. */
	ck_assert_ptr_ne(b.vips, a.vips);
	ck_assert_ptr_ne(b.vips[0].backends, a.vips[0].backends);
	b.vips[0].backends[0].weight = 9;
	ck_assert_uint_eq(a.vips[0].backends[0].weight, 0);
	sl_cfg_free(&b);

	ck_assert_int_eq(sl_cfg_copy(&a, &a), -EINVAL);
	ck_assert_int_eq(sl_cfg_copy(NULL, &a), -EINVAL);
	saved = a.vips[1].backends;
	a.vips[1].backends = NULL; /* a count without its array */
	memset(&b, 0xa5, sizeof(b));
	ck_assert_int_eq(sl_cfg_copy(&b, &a), -EINVAL);
	ck_cfg_empty(&b);
	a.vips[1].backends = saved;
	sl_cfg_free(&a);
}
END_TEST

static char *
write_temp(const char *content)
{
	char *path = strdup("/tmp/sluice-cfg-XXXXXX");
	int fd;

	ck_assert_ptr_nonnull(path);
	fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, content, strlen(content)), (ssize_t)strlen(content));
	close(fd);
	return path;
}

START_TEST(test_load_file)
{
	char err[SL_CFG_ERR_LEN], *json = doc(full_doc), *path;
	struct sl_cfg a, b;

	path = write_temp(json);
	ck_assert_int_eq(sl_cfg_load_file(&a, path, err, sizeof(err)), 0);
	ck_assert_int_eq(sl_cfg_from_json(&b, json, strlen(json), err, sizeof(err)), 0);
	ck_cfg_eq(&a, &b);
	sl_cfg_free(&a);
	sl_cfg_free(&b);
	unlink(path);
	free(path);
	free(json);

	/* Content errors read as from sl_cfg_from_json(). */
	path = write_temp("{\"mtu\": 1}");
	ck_assert_int_eq(sl_cfg_load_file(&a, path, err, sizeof(err)), -EINVAL);
	ck_assert_str_eq(err, "mtu: 1 is below the minimum 576");
	ck_cfg_empty(&a);
	unlink(path);

	/* Read errors name the file. */
	ck_assert_int_eq(sl_cfg_load_file(&a, path, err, sizeof(err)), -ENOENT);
	ck_assert_ptr_nonnull(strstr(err, path));
	ck_assert_ptr_nonnull(strstr(err, ": No such file or directory"));
	ck_cfg_empty(&a);
	free(path);
	ck_assert_int_eq(sl_cfg_load_file(&a, "/", err, sizeof(err)), -EISDIR);
	ck_assert_str_eq(err, "/: Is a directory");
}
END_TEST

static Suite *
config_suite(void)
{
	Suite *s = suite_create("config");
	TCase *tc;

	SL_TCASE(s, test_full_document);
	SL_TCASE(s, test_defaults);
	SL_TCASE(s, test_round_trip);
	SL_TCASE(s, test_canonical_order);
	SL_TCASE(s, test_ipv6_l2);
	/* One behaviour, one iteration per document. */
	tc = tcase_create("test_bad_documents");
	tcase_add_loop_test(tc, test_bad_documents, 0, N_BAD_DOCS);
	suite_add_tcase(s, tc);
	SL_TCASE(s, test_hostile_strings);
	SL_TCASE(s, test_duplicates);
	SL_TCASE(s, test_limits);
	SL_TCASE(s, test_validate_hand_built);
	SL_TCASE(s, test_to_json_refuses_bad_fields);
	SL_TCASE(s, test_to_jansson);
	SL_TCASE(s, test_copy);
	SL_TCASE(s, test_load_file);
	return s;
}

SL_TEST_MAIN(config_suite)
