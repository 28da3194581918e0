// SPDX-License-Identifier: (GPL-2.0-only OR BSD-3-Clause)
/*
 * Backend-side decapsulation of Sluice's IP-in-IP traffic, for hosts whose
 * kernel has no ipip/ip6_tunnel modules (docs/backends.md).
 *
 * Attach (iproute2 6.1, built with libbpf; verified on a veth in a netns):
 *
 *   ip link set dev IF xdpdrv obj xdp_decap.bpf.o sec xdp
 *   ip link set dev IF xdpdrv off
 *
 * ("xdp" instead of "xdpdrv" falls back to generic mode where a driver has
 * no native XDP.)
 *
 * An untagged Ethernet frame carrying IPv4 protocol 4 (IPIP) or 41 (IPv6 in
 * IPv4), or IPv6 next header 41 (IPv6 in IPv6) or 4 (IPv4 in IPv6), loses its
 * outer IP header: the Ethernet header moves forward over it, takes the inner
 * family's ethertype, and the kernel receives the inner packet (addressed to
 * a VIP on the backend's loopback) as if it had arrived so. Everything else
 * passes unchanged.
 *
 * Outer headers handled: IPv4 of exactly 20 bytes, not fragmented, valid
 * checksum; IPv6 without extension headers. Outer IPv4 with options or
 * fragmented and outer IPv6 with an extension header before the tunnel pass
 * unchanged as SL_DECAP_UNSUPPORTED (the load balancer never sends them).
 * VLAN-tagged frames are not looked into (SL_DECAP_PASS).
 *
 * Optional filter: with sl_decap_filter set before load (skeleton rodata;
 * not settable through ip, which loads the defaults), only tunnels whose
 * outer destination is in sl_decap_dsts are opened.
 */
#define SL_BPF_DECAP 1

#include "sl_parse.bpf.h"
#include "sl_maps.bpf.h"

#define SL_IPPROTO_IPIP 4  /* IPv4 inside */
#define SL_IPPROTO_IPV6 41 /* IPv6 inside */

/* Read-only configuration, fixed at load time (the verifier prunes what it turns off). */
const volatile __u32 sl_decap_filter = 0;

static __always_inline int
sl_decap_allowed(__u8 family, const void *daddr, __u32 len)
{
	struct sl_decap_dst_key k = {};

	if (!sl_decap_filter)
		return 1;
	k.family = family;
	__builtin_memcpy(k.addr, daddr, len);
	return bpf_map_lookup_elem(&sl_decap_dsts, &k) != NULL;
}

/* One's-complement sum over the fixed 20-byte header: 0xffff when it is intact. */
static __always_inline int
sl_ip4_csum_ok(const struct iphdr *ip)
{
	const __u16 *w = (const __u16 *)ip;
	__u32 sum = 0;

#pragma unroll
	for (int i = 0; i < 10; i++)
		sum += w[i];
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return sum == 0xffff;
}

/*
 * Is a whole inner IP header of the announced family at @inner, within the
 * @len bytes the outer header says it carries (and the frame holds)?
 * @return its ethertype (host order), or 0 if not.
 */
static __always_inline __u16
sl_inner_ok(void *inner, void *end, __u32 len, __u8 tunnel_proto)
{
	if (tunnel_proto == SL_IPPROTO_IPIP) {
		struct iphdr *ip = inner;
		if (len < sizeof(*ip) || (void *)(ip + 1) > end || ip->version != 4)
			return 0;
		return ETH_P_IP;
	}
	struct ipv6hdr *ip6 = inner;
	if (len < sizeof(*ip6) || (void *)(ip6 + 1) > end || ip6->version != 6)
		return 0;
	return ETH_P_IPV6;
}

/*
 * Look at the outer header after the Ethernet header.
 * @return the counter to bump; SL_DECAP_OK with *outer_len and *inner_type
 *         set when the frame is to be opened.
 */
static __always_inline __u32
sl_decap_check(void *l3, void *end, __u16 ethertype, __u32 *outer_len, __u16 *inner_type)
{
	if (ethertype == ETH_P_IP) {
		struct iphdr *ip = l3;
		__u32 tot;

		if ((void *)(ip + 1) > end)
			return SL_DECAP_MALFORMED; /* too short to tell: not a valid IP packet
						      anyway */
		if (ip->protocol != SL_IPPROTO_IPIP && ip->protocol != SL_IPPROTO_IPV6)
			return SL_DECAP_PASS;
		if (ip->version != 4 || ip->ihl < 5)
			return SL_DECAP_MALFORMED;
		if (ip->ihl > 5 || (ip->frag_off & bpf_htons(SL_IP4_MF | SL_IP4_OFFMASK)))
			return SL_DECAP_UNSUPPORTED;
		if (!sl_ip4_csum_ok(ip))
			return SL_DECAP_MALFORMED;
		tot = bpf_ntohs(ip->tot_len);
		if (tot < sizeof(*ip) || l3 + tot > end)
			return SL_DECAP_MALFORMED;
		*inner_type = sl_inner_ok(ip + 1, end, tot - sizeof(*ip), ip->protocol);
		if (!*inner_type)
			return SL_DECAP_MALFORMED;
		if (!sl_decap_allowed(4, &ip->daddr, 4))
			return SL_DECAP_NOT_ALLOWED;
		*outer_len = sizeof(*ip);
		return SL_DECAP_OK;
	}
	if (ethertype == ETH_P_IPV6) {
		struct ipv6hdr *ip6 = l3;
		__u32 plen;
		__u8 nh;

		if ((void *)(ip6 + 1) > end)
			return SL_DECAP_MALFORMED;
		nh = ip6->nexthdr;
		if (nh != SL_IPPROTO_IPIP && nh != SL_IPPROTO_IPV6) {
			/* Worth a look only to count a tunnel behind one extension header. */
			struct ipv6_opt_hdr *h = (void *)(ip6 + 1);
			if (sl_ip6_is_ext(nh) && (void *)(h + 1) <= end &&
				(h->nexthdr == SL_IPPROTO_IPIP || h->nexthdr == SL_IPPROTO_IPV6))
				return SL_DECAP_UNSUPPORTED;
			return SL_DECAP_PASS;
		}
		if (ip6->version != 6)
			return SL_DECAP_MALFORMED;
		plen = bpf_ntohs(ip6->payload_len);
		if ((void *)(ip6 + 1) + plen > end)
			return SL_DECAP_MALFORMED;
		*inner_type = sl_inner_ok(ip6 + 1, end, plen, nh);
		if (!*inner_type)
			return SL_DECAP_MALFORMED;
		if (!sl_decap_allowed(6, &ip6->daddr, 16))
			return SL_DECAP_NOT_ALLOWED;
		*outer_len = sizeof(*ip6);
		return SL_DECAP_OK;
	}
	return SL_DECAP_PASS;
}

SEC("xdp")
int
sl_xdp_decap(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	__u64 bytes = end - data;
	struct ethhdr *eth = data;
	struct ethhdr saved;
	__u32 outer_len = 0;
	__u16 inner_type = 0;
	__u32 verdict;

	if ((void *)(eth + 1) > end) {
		sl_count(SL_DECAP_PASS, bytes);
		return XDP_PASS;
	}
	verdict = sl_decap_check(eth + 1, end, bpf_ntohs(eth->h_proto), &outer_len, &inner_type);
	if (verdict != SL_DECAP_OK) {
		sl_count(verdict, bytes);
		return XDP_PASS;
	}

	/*
	 * Keep the Ethernet header aside, then drop the outer IP header from
	 * the front and write the Ethernet header back in front of the inner
	 * packet. Moving the head first means a failure leaves the frame as
	 * it came.
	 */
	saved = *eth;
	saved.h_proto = bpf_htons(inner_type);
	if (bpf_xdp_adjust_head(ctx, (int)outer_len)) {
		sl_count(SL_DECAP_ERROR, bytes);
		return XDP_PASS;
	}
	data = (void *)(long)ctx->data;
	end = (void *)(long)ctx->data_end;
	eth = data;
	if ((void *)(eth + 1) > end) {
		/* Cannot happen (a whole inner header follows), but the verifier needs the check.
		 */
		sl_count(SL_DECAP_ERROR, bytes);
		return XDP_DROP;
	}
	*eth = saved;
	sl_count(SL_DECAP_OK, bytes);
	return XDP_PASS;
}

/*
 * The kernel takes "Dual BSD/GPL" as GPL-compatible (bpftool shows "gpl"). No
 * helper used today is GPL-only; this keeps those (bpf_trace_printk, ...) usable.
 */
char LICENSE[] SEC("license") = "Dual BSD/GPL";
