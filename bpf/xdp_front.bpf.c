// SPDX-License-Identifier: (GPL-2.0-only OR BSD-3-Clause)
/*
 * Sluice's front XDP program and filter: it sits in front of the AF_XDP
 * sockets of sluice-dp, drops what the filter refuses, sends VIP traffic to
 * the sockets and everything else to the kernel. Loaded standalone
 * (sluice-filter load, rodata sl_standalone = 1) it filters in front of
 * whatever the machine runs, and passes VIP traffic to the kernel too.
 *
 * DPDK's AF_XDP PMD loads and attaches this object itself
 * (--vdev net_af_xdp0,iface=IF,...,xdp_prog=.../xdp_front.bpf.o) and puts
 * its socket for each queue into xsks_map; sluice-dp then finds sl_vips
 * through the program attached to IF and fills it (dataplane/xdp.c), and
 * plugs the interface's pinned filter maps into the program's outer maps
 * (common/filter.c; the design is in <sluice/bpf_maps.h>).
 *
 * Decisions, in order (docs/filter.md):
 *  - not IP (ARP, LLDP, ...): pass;
 *  - malformed IP frame (counted by reason): for a VIP address (its fixed
 *    IP header is there), redirect, so the dataplane counts it by exact
 *    reason and drops it; else drop;
 *  - allowlisted source: skip the filter;
 *  - denylisted source (global, or scoped to this destination): drop;
 *  - source over its packet or byte rate: drop;
 *    (monitor mode: the would-drop is counted and the frame goes on)
 *  - non-first fragment to a VIP address (addr, 0, 0): redirect; it has no
 *    ports, the dataplane counts and handles it;
 *  - ICMP/ICMPv6 error to a VIP address: redirect; the dataplane sends e.g.
 *    "fragmentation needed" on to the backend that owns the quoted flow;
 *  - (dst, proto, dport), then (dst, proto, any port) in sl_vips: a TCP SYN
 *    over the VIP's SYN rate is dropped, the rest redirected;
 *  - anything else: pass (management traffic, non-VIP addresses and ports).
 *
 * A redirect falls back to XDP_PASS when no socket is bound to the RX queue
 * (the helper's fallback action), counted as SL_XDP_NO_XSK.
 *
 * One program (the PMD attaches exactly one), whose growth goes into the
 * parsing (sl_parse.bpf.h), filter (sl_filter.bpf.h) and map (sl_maps.bpf.h)
 * headers, with tunables as #ifndef defaults below.
 */
#define SL_BPF_FRONT 1

#include "sl_parse.bpf.h"
#include "sl_maps.bpf.h"
#include "sl_filter.bpf.h"

/* Send ICMP errors that quote VIP traffic to the dataplane (PMTU discovery through the LB). */
#ifndef SL_XDP_REDIRECT_ICMP_ERRORS
#define SL_XDP_REDIRECT_ICMP_ERRORS 1
#endif
/* Send non-first fragments to a VIP address to the dataplane (else the kernel gets them). */
#ifndef SL_XDP_REDIRECT_FRAGMENTS
#define SL_XDP_REDIRECT_FRAGMENTS 1
#endif

/*
 * Set before load by a standalone loader (no dataplane behind): VIP traffic
 * is passed to the kernel, and the SYN limit applies per destination
 * (address, port) of any SYN, since sl_vips is empty then. DPDK's PMD
 * loads the object as it is: 0, the dataplane's mode.
 */
const volatile __u8 sl_standalone = 0;

static __always_inline int
sl_vip_has_addr(const struct sl_pkt_info *pi)
{
	struct sl_vip_key k = {};

	__builtin_memcpy(k.addr, pi->dst, sizeof(k.addr));
	k.family = pi->family;
	return bpf_map_lookup_elem(&sl_vips, &k) != NULL;
}

/* @return 0, or the VIP service's port (network order) + 1: dport, or 0 for an any-port VIP. */
static __always_inline __u32
sl_vip_has_service(const struct sl_pkt_info *pi)
{
	struct sl_vip_key k = {};

	/* Protocol 0 keys are address entries: never match them as a service. */
	if (pi->proto == 0)
		return 0;
	__builtin_memcpy(k.addr, pi->dst, sizeof(k.addr));
	k.family = pi->family;
	k.proto = pi->proto;
	k.port = pi->dport;
	if (bpf_map_lookup_elem(&sl_vips, &k))
		return (__u32)k.port + 1;
	if (k.port == 0)
		return 0;
	k.port = 0;
	return bpf_map_lookup_elem(&sl_vips, &k) != NULL;
}

/*
 * @return the decision's counter: one of SL_XDP_REDIRECT* or SL_XDP_PASS,
 * or SL_XDP_DROP_SYN.
 */
static __always_inline __u32
sl_classify(struct sl_fctx *f, const struct sl_pkt_info *pi, int filtered)
{
	__u32 svc;

	if (pi->flags & SL_PI_FRAG_NONFIRST) {
		if (SL_XDP_REDIRECT_FRAGMENTS && sl_vip_has_addr(pi))
			return SL_XDP_REDIRECT_FRAG;
		return SL_XDP_PASS;
	}
	if (SL_XDP_REDIRECT_ICMP_ERRORS &&
		((pi->family == 4 && pi->proto == IPPROTO_ICMP) ||
			(pi->family == 6 && pi->proto == IPPROTO_ICMPV6)) &&
		sl_icmp_is_error(pi->family, pi->icmp_type)) {
		if (sl_vip_has_addr(pi))
			return SL_XDP_REDIRECT_ICMP;
		return SL_XDP_PASS;
	}
	if (sl_standalone) {
		if (filtered && sl_syn_over(f, pi, pi->dport))
			return SL_XDP_DROP_SYN;
		return SL_XDP_PASS;
	}
	svc = sl_vip_has_service(pi);
	if (!svc)
		return SL_XDP_PASS;
	if (filtered && sl_syn_over(f, pi, (__u16)(svc - 1)))
		return SL_XDP_DROP_SYN;
	return SL_XDP_REDIRECT;
}

/*
 * The rest of an IPv6 packet with extension headers (the rare case), from
 * offset @off: the header walk and the L4 header, as a global function the
 * verifier checks once on its own. Inlined, the walk's paths (8 headers of
 * 3 sizes) each went on through the whole filter and classification: the
 * program took 80% of the verifier's 1M-instruction budget.
 */
__noinline int
sl_parse_ip6_rest(struct xdp_md *ctx, __u32 off, struct sl_pkt_info *pi)
{
	void *data = (void *)(long)ctx->data;
	struct sl_cursor c = {.end = (void *)(long)ctx->data_end};
	int rc;

	if (!pi || off > SL_PARSE_MAX_L3_OFF + sizeof(struct ipv6hdr))
		return SL_BP_TRUNC_IP6_EXT;
	c.pos = data + off;
	rc = sl_parse_ip6_ext(&c, pi);
	return rc != SL_BP_OK ? rc : sl_parse_l4(&c, pi, data);
}

/* sl_parse_frame() (sl_parse.bpf.h) inline but for IPv6 extension headers. */
static __always_inline int
sl_front_parse(struct xdp_md *ctx, void *data, void *end, struct sl_pkt_info *pi)
{
	struct sl_cursor c = {.pos = data, .end = end};
	int rc;

	rc = sl_parse_eth(&c, pi);
	if (rc != SL_BP_OK)
		return rc;
	pi->l3_off = c.pos - data;
	if (pi->ethertype == ETH_P_IP) {
		rc = sl_parse_ip4(&c, pi);
	} else if (pi->ethertype == ETH_P_IPV6) {
		rc = sl_parse_ip6_fixed(&c, pi);
		if (rc == SL_BP_OK && sl_ip6_is_ext(pi->proto))
			return sl_parse_ip6_rest(ctx, (__u32)(c.pos - data), pi);
	} else {
		return SL_BP_NOT_IP;
	}
	if (rc != SL_BP_OK)
		return rc;
	return sl_parse_l4(&c, pi, data);
}

SEC("xdp")
int
sl_xdp_front(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct sl_pkt_info pi = {};
	struct sl_fctx f = {};
	__u32 stat, rule = 0;
	long act;
	int rc;

	sl_fctx_init(&f, end - data);
	rc = sl_front_parse(ctx, data, end, &pi);
	if (rc == SL_BP_NOT_IP) {
		sl_count_in(f.stats, SL_XDP_PASS_NOT_IP, f.bytes);
		return XDP_PASS;
	}
	if (rc != SL_BP_OK) {
		sl_count_in(f.stats, SL_XDP_MAL_TRUNC_ETH + (rc - SL_BP_MALFORMED), f.bytes);
		if (!sl_standalone && pi.family && sl_vip_has_addr(&pi)) {
			stat = SL_XDP_REDIRECT_MALFORMED;
			goto redirect;
		}
		sl_drop_event(&f, &pi, SL_XDP_MALFORMED, 0, 0);
		return XDP_DROP;
	}

	stat = 0;
	if (f.conf)
		stat = sl_filter_src(&f, &pi, &rule);
	if (stat != 0 && stat != SL_XDP_ALLOW) {
		sl_drop_event(&f, &pi, stat, rule, 0);
		return XDP_DROP;
	}
	stat = sl_classify(&f, &pi, f.conf && stat != SL_XDP_ALLOW);
	if (stat == SL_XDP_DROP_SYN) {
		sl_drop_event(&f, &pi, stat, 0, 0);
		return XDP_DROP;
	}
	if (stat == SL_XDP_PASS) {
		sl_count_in(f.stats, stat, f.bytes);
		return XDP_PASS;
	}
redirect:
	sl_count_in(f.stats, stat, f.bytes);

	act = bpf_redirect_map(&xsks_map, ctx->rx_queue_index, XDP_PASS);
	if (act != XDP_REDIRECT)
		sl_count_in(f.stats, SL_XDP_NO_XSK, f.bytes);
	return (int)act;
}

/*
 * The kernel takes "Dual BSD/GPL" as GPL-compatible (bpftool shows "gpl"). No
 * helper used today is GPL-only; this keeps those (bpf_trace_printk, ...) usable.
 */
char LICENSE[] SEC("license") = "Dual BSD/GPL";
