/* SPDX-License-Identifier: BSD-3-Clause */
#include <arpa/inet.h>
#include <string.h>

#include "bench.h"
#include "flowhash.h"

#define N_KEYS 4096

static void
one(json_t *out, const char *name, struct sl_flow_key *keys, enum sl_hash_variant v, uint64_t iters)
{
	uint32_t acc = 0;
	uint64_t t0 = sl_bench_ns(), c0 = sl_bench_tsc();

	for (uint64_t i = 0; i < iters; i++)
		acc += sl_flow_hash(&keys[i % N_KEYS], v, 0x5eed);
	uint64_t c1 = sl_bench_tsc(), t1 = sl_bench_ns();
	SL_BENCH_SINK(acc);
	json_object_set_new(out, name,
		json_pack("{s:f, s:f}", "ns_per_hash", (double)(t1 - t0) / (double)iters,
			"cycles_per_hash", (double)(c1 - c0) / (double)iters));
}

void
sl_bench_flowhash(json_t *root, const struct sl_bench_opts *o)
{
	static struct sl_flow_key v4[N_KEYS], v6[N_KEYS];
	uint64_t iters = o->quick ? 1000000 : 20000000;
	json_t *out = json_object();

	for (uint32_t i = 0; i < N_KEYS; i++) {
		memset(&v4[i], 0, sizeof(v4[i]));
		v4[i].family = SL_FAMILY_IPV4;
		v4[i].src.v4 = htonl(0x0a000000u + i);
		v4[i].dst.v4 = htonl(0xc0000201u);
		v4[i].sport = htons((uint16_t)(1024 + i));
		v4[i].dport = htons(80);
		v4[i].proto = 6;
		v6[i] = v4[i];
		v6[i].family = SL_FAMILY_IPV6;
		v6[i].src.w[0] = htonl(0x20010db8u);
		v6[i].src.w[3] = htonl(i);
		v6[i].dst.w[0] = htonl(0x20010db8u);
		v6[i].dst.w[3] = htonl(0x10);
	}
	json_object_set_new(out, "iterations", json_integer((json_int_t)iters));
	one(out, "ipv4_5tuple", v4, SL_HASH_5TUPLE, iters);
	one(out, "ipv4_src_ip", v4, SL_HASH_SRC_IP, iters);
	one(out, "ipv6_5tuple", v6, SL_HASH_5TUPLE, iters);
	one(out, "ipv6_src_ip", v6, SL_HASH_SRC_IP, iters);
	json_object_set_new(root, "flowhash", out);
}
