// SPDX-License-Identifier: (GPL-2.0-only OR BSD-3-Clause)
/*
 * Sluice's front XDP program: it sits in front of the AF_XDP sockets of
 * sluice-dp and sends VIP traffic to them, everything else to the kernel.
 *
 * DPDK's AF_XDP PMD loads and attaches this object itself
 * (--vdev net_af_xdp0,iface=IF,...,xdp_prog=.../xdp_front.bpf.o) and puts
 * its socket for each queue into xsks_map; sluice-dp then finds sl_vips
 * through the program attached to IF and fills it (dataplane/xdp.c).
 *
 * Decisions, in order:
 *  - not IP (ARP, LLDP, ...): pass;
 *  - malformed IP frame for a VIP address (its fixed IP header is there):
 *    redirect, so the dataplane counts it by exact reason (and drops it);
 *  - other malformed IP frames: pass, counted. The filter (a later change, in
 *    this same program: the PMD attaches exactly one) decides which to drop;
 *  - non-first fragment to a VIP address (addr, 0, 0): redirect; it has no
 *    ports, the dataplane counts and handles it;
 *  - ICMP/ICMPv6 error to a VIP address: redirect; the dataplane sends e.g.
 *    "fragmentation needed" on to the backend that owns the quoted flow;
 *  - (dst, proto, dport), then (dst, proto, any port) in sl_vips: redirect;
 *  - anything else: pass (management traffic, non-VIP addresses and ports).
 *
 * A redirect falls back to XDP_PASS when no socket is bound to the RX queue
 * (the helper's fallback action), counted as SL_XDP_NO_XSK.
 *
 * One program, whose growth goes into the parsing (sl_parse.bpf.h) and map
 * (sl_maps.bpf.h) headers, with tunables as #ifndef defaults below.
 */
#define SL_BPF_FRONT 1

#include "sl_parse.bpf.h"
#include "sl_maps.bpf.h"

/* Send ICMP errors that quote VIP traffic to the dataplane (PMTU discovery through the LB). */
#ifndef SL_XDP_REDIRECT_ICMP_ERRORS
#define SL_XDP_REDIRECT_ICMP_ERRORS 1
#endif
/* Send non-first fragments to a VIP address to the dataplane (else the kernel gets them). */
#ifndef SL_XDP_REDIRECT_FRAGMENTS
#define SL_XDP_REDIRECT_FRAGMENTS 1
#endif

static __always_inline int
sl_vip_has_addr(const struct sl_pkt_info *pi)
{
	struct sl_vip_key k = {};

	__builtin_memcpy(k.addr, pi->dst, sizeof(k.addr));
	k.family = pi->family;
	return bpf_map_lookup_elem(&sl_vips, &k) != NULL;
}

static __always_inline int
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
		return 1;
	if (k.port == 0)
		return 0;
	k.port = 0;
	return bpf_map_lookup_elem(&sl_vips, &k) != NULL;
}

/* @return the decision's counter: one of SL_XDP_REDIRECT* or SL_XDP_PASS. */
static __always_inline __u32
sl_classify(const struct sl_pkt_info *pi)
{
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
	if (sl_vip_has_service(pi))
		return SL_XDP_REDIRECT;
	return SL_XDP_PASS;
}

SEC("xdp")
int
sl_xdp_front(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	__u64 bytes = end - data;
	struct sl_pkt_info pi = {};
	__u32 stat;
	long act;
	int rc;

	rc = sl_parse_frame(data, end, &pi);
	if (rc == SL_BP_NOT_IP) {
		sl_count(SL_XDP_PASS_NOT_IP, bytes);
		return XDP_PASS;
	}
	if (rc != SL_BP_OK) {
		if (pi.family && sl_vip_has_addr(&pi)) {
			stat = SL_XDP_REDIRECT_MALFORMED;
			goto redirect;
		}
		/* Passed for now: the filter change decides what to drop. */
		sl_count(SL_XDP_MALFORMED, bytes);
		return XDP_PASS;
	}

	stat = sl_classify(&pi);
	if (stat == SL_XDP_PASS) {
		sl_count(stat, bytes);
		return XDP_PASS;
	}
redirect:
	sl_count(stat, bytes);

	act = bpf_redirect_map(&xsks_map, ctx->rx_queue_index, XDP_PASS);
	if (act != XDP_REDIRECT)
		sl_count(SL_XDP_NO_XSK, bytes);
	return (int)act;
}

/*
 * The kernel takes "Dual BSD/GPL" as GPL-compatible (bpftool shows "gpl"). No
 * helper used today is GPL-only; this keeps those (bpf_trace_printk, ...) usable.
 */
char LICENSE[] SEC("license") = "Dual BSD/GPL";
