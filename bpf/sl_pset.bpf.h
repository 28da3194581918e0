/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-3-Clause) */
/*
 * Prefix sets: the longest prefix of a list covering a packet's source, by
 * binary search on the prefix lengths the list holds (<sluice/bpf_maps.h>,
 * "Prefix sets"). Used by the filter (bpf/sl_filter.bpf.h).
 */
#ifndef SL_PSET_BPF_H
#define SL_PSET_BPF_H

#include <linux/bpf.h>

#include <bpf/bpf_helpers.h>

#include <sluice/bpf_maps.h>

#include "sl_fctx.bpf.h"

/* @src (network-order words) masked to its first @plen bits into @out (16 bytes). */
static __always_inline void
sl_mask_addr(void *out, const __u32 *src, __u32 plen)
{
	__u32 m[4];

#pragma unroll
	for (int i = 0; i < 4; i++) {
		int bits = (int)plen - i * 32;

		if (bits >= 32)
			m[i] = src[i];
		else if (bits > 0)
			m[i] = src[i] & bpf_htonl(0xffffffffu << (32 - bits));
		else
			m[i] = 0;
	}
	__builtin_memcpy(out, m, 16);
}

/* The key of @pi's source at the length lens->len[@at] (@at checked by the caller). */
static __always_inline void
sl_pset_key(struct sl_filt_pkey *k, const struct sl_pkt_info *pi, const struct sl_filt_lens *lens,
	__u32 at)
{
	k->family = pi->family;
	k->len = lens->len[at];
	sl_mask_addr(k->addr, pi->src, k->len);
}

/*
 * One step of a prefix-set search (<sluice/bpf_maps.h>, "Prefix sets"):
 * look @pi's source up in the set at the length lens->len[@at]. Global
 * functions, which the verifier checks once on their own: inlined, the 2^8
 * paths of each 8-step search went on through the rest of the program, past
 * its 1M-instruction budget; called, the search's loop keeps no value the
 * verifier must track exactly, and its paths prune. A call costs a few ns.
 * One function per set: with two maps reaching one lookup call (clang
 * merges identical calls), the verifier cannot bind the call to the map's
 * own lookup and falls back to the generic helper (measured: +25 ns).
 * @return -1 if there is no entry, else the entry's best match (rule id +
 * 1, 0: none); with a best match, the rate set's value is copied to @out.
 */
__noinline int
sl_pset_probe_allow(const struct sl_pkt_info *pi, const struct sl_filt_lens *lens, __u32 at)
{
	struct sl_filt_pkey k = {};
	const struct sl_filt_pval *e;
	void *m = sl_inner(&sl_f_allow);

	if (!pi || !lens || at >= sizeof(lens->len) || !m)
		return -1;
	sl_pset_key(&k, pi, lens, at);
	e = bpf_map_lookup_elem(m, &k);
	return e ? (int)e->id : -1;
}

__noinline int
sl_pset_probe_deny(const struct sl_pkt_info *pi, const struct sl_filt_lens *lens, __u32 at)
{
	struct sl_filt_pkey k = {};
	const struct sl_filt_pval *e;
	void *m = sl_inner(&sl_f_deny);

	if (!pi || !lens || at >= sizeof(lens->len) || !m)
		return -1;
	sl_pset_key(&k, pi, lens, at);
	e = bpf_map_lookup_elem(m, &k);
	return e ? (int)e->id : -1;
}

__noinline int
sl_pset_probe_rate(const struct sl_pkt_info *pi, const struct sl_filt_lens *lens, __u32 at,
	struct sl_filt_rate_pval *out)
{
	struct sl_filt_pkey k = {};
	const struct sl_filt_rate_pval *e;
	void *m = sl_inner(&sl_f_rate);

	if (!pi || !lens || !out || at >= sizeof(lens->len) || !m)
		return -1;
	sl_pset_key(&k, pi, lens, at);
	e = bpf_map_lookup_elem(m, &k);
	if (!e)
		return -1;
	if (e->id)
		*out = *e;
	return (int)e->id;
}

/*
 * The longest prefix of set @set (lengths @lens) covering @pi's source: the
 * binary search on the set's prefix lengths. @return its rule id + 1, 0 for
 * none; the rate set's best match's value in *@out.
 */
static __always_inline __u32
sl_pset_match(__u32 set, const struct sl_filt_lens *lens, const struct sl_pkt_info *pi,
	struct sl_filt_rate_pval *out)
{
	__u32 lo = 0, hi, base, best = 0;

	if (pi->family == 4) {
		hi = lens->n4;
		base = 0;
	} else {
		hi = lens->n6;
		base = SL_FILT_LENS_V6;
	}
	/*
	 * The first lookup is made here, the rest through calls: a call and
	 * its checks cost ~15 ns on the benchmark machine (returns go through
	 * the kernel's return thunk, which the CPU's SRSO mitigation, "Safe
	 * RET", makes dear), and the first lookup is often the only one (a
	 * miss with the lower median, a list of one length).
	 * Not for the rate set, whose value the caller needs copied.
	 */
	if (hi >= 1 && set != SL_FILT_SET_RATE) {
		void *m = sl_inner(
			set == SL_FILT_SET_ALLOW ? (void *)&sl_f_allow : (void *)&sl_f_deny);
		struct sl_filt_pkey k = {};
		const struct sl_filt_pval *e;
		__u32 mid = (hi - 1) >> 1;

		if (!m || base + mid >= sizeof(lens->len))
			return 0;
		sl_pset_key(&k, pi, lens, base + mid);
		e = bpf_map_lookup_elem(m, &k);
		if (e) {
			best = e->id;
			lo = mid + 1;
		} else {
			hi = mid;
		}
	}
	for (int i = 0; i < SL_FILT_PSET_PROBES; i++) {
		__u32 mid;
		int r;

		if (lo >= hi)
			break;
		mid = (lo + hi - 1) >> 1;
		/* @set is a constant at each use: one call remains */
		if (set == SL_FILT_SET_ALLOW)
			r = sl_pset_probe_allow(pi, lens, base + mid);
		else if (set == SL_FILT_SET_DENY)
			r = sl_pset_probe_deny(pi, lens, base + mid);
		else
			r = sl_pset_probe_rate(pi, lens, base + mid, out);
		if (r < 0) {
			hi = mid;
		} else {
			if (r)
				best = (__u32)r;
			lo = mid + 1;
		}
	}
	return best;
}

#endif /* SL_PSET_BPF_H */
