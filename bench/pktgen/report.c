/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Reports: a trial as JSON (the per-stream counts, the loss, the latency
 * percentiles) and as a table row. Latencies are in microseconds.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "trial.h"

static double
ticks_us(double ticks, uint64_t hz)
{
	return ticks * (double)(1u << PG_STAMP_TS_SHIFT) / (double)hz * 1e6;
}

static json_t *
lat_json(const struct pg_hist *h, uint64_t hz)
{
	if (h->n == 0)
		return json_null();
	return json_pack("{s:I, s:f, s:f, s:f, s:f, s:f, s:f}", "samples", (json_int_t)h->n, "min",
		ticks_us(h->min, hz), "p50", ticks_us(pg_hist_quantile(h, 0.5), hz), "p99",
		ticks_us(pg_hist_quantile(h, 0.99), hz), "p999",
		ticks_us(pg_hist_quantile(h, 0.999), hz), "max", ticks_us(h->max, hz), "mean",
		ticks_us((double)h->sum / (double)h->n, hz));
}

/* Latency of the streams expected to come back, merged. */
static void
fwd_hist(const struct pg_trial *t, const struct pg_profile *p, struct pg_hist *h)
{
	memset(h, 0, sizeof(*h));
	for (unsigned i = 0; i < p->n_streams; i++)
		if (p->streams[i].expect == PG_EXPECT_FORWARD)
			pg_hist_merge(h, &t->sum.s[i].lat);
}

json_t *
pg_trial_json(const struct pg_trial *t, const struct pg_profile *p, uint64_t hz)
{
	static struct pg_hist h; /* main lcore only */
	json_t *streams = json_object();
	uint64_t sent = 0, refused = 0, rx = 0;

	for (unsigned i = 0; i < p->n_streams; i++) {
		const struct pg_stream *st = &p->streams[i];
		const struct pg_sctr *s = &t->sum.s[i];
		uint64_t off = s->tx + s->refused;
		json_t *o = json_pack("{s:I, s:I, s:I, s:I, s:I, s:o}", "sent", (json_int_t)s->tx,
			"refused", (json_int_t)s->refused, "received", (json_int_t)s->rx,
			"received_encap", (json_int_t)s->rx_encap, "sent_bytes",
			(json_int_t)s->tx_bytes, "latency_us", lat_json(&s->lat, hz));
		if (st->expect == PG_EXPECT_FORWARD) {
			json_object_set_new(
				o, "lost", json_integer((json_int_t)off - (json_int_t)s->rx));
			json_object_set_new(o, "loss_ratio",
				json_real(off ? ((double)off - (double)s->rx) / (double)off : 0));
		} else {
			json_object_set_new(o, "leaked", json_integer((json_int_t)s->rx));
		}
		if (s->flows_seen)
			json_object_set_new(
				o, "flows_seen", json_integer((json_int_t)s->flows_seen));
		json_object_set_new(streams, st->name, o);
		sent += s->tx;
		refused += s->refused;
		rx += s->rx;
	}
	fwd_hist(t, p, &h);
	json_t *j = json_pack("{s:I, s:s, s:i, s:f, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:f, s:f, "
			      "s:f, s:f, s:b, s:I, s:I, s:I, s:I, s:o, s:o}",
		"index", (json_int_t)t->index, "kind", t->kind, "tag", t->tag, "duration_s",
		t->duration_s, "sent", (json_int_t)sent, "refused", (json_int_t)refused, "received",
		(json_int_t)rx, "forward_offered", (json_int_t)t->fwd_offered, "forward_received",
		(json_int_t)t->fwd_rx, "lost", (json_int_t)t->fwd_offered - (json_int_t)t->fwd_rx,
		"rx_total", (json_int_t)t->sum.rx_total, "offered_pps", t->offered_pps, "sent_pps",
		t->sent_pps, "forwarded_pps", t->fwd_pps, "loss_ratio", t->loss,
		"generator_limited", t->gen_limited, "rx_other", (json_int_t)t->sum.rx_other,
		"rx_stale", (json_int_t)t->sum.rx_stale, "tx_partial",
		(json_int_t)t->sum.tx_partial, "alloc_fail", (json_int_t)t->sum.alloc_fail,
		"latency_us", lat_json(&h, hz), "streams", streams);
	json_object_set_new(
		j, "target_pps", t->target_pps > 0 ? json_real(t->target_pps) : json_null());
	json_object_set_new(j, "skipped", json_integer((json_int_t)t->sum.skipped));
	json_object_set_new(j, "generator_stalls", json_integer((json_int_t)t->sum.stalls));
	json_object_set_new(j, "generator_stall_max_us",
		json_real((double)t->sum.stall_max / (double)hz * 1e6));
	return j;
}

json_t *
pg_profile_json(const struct pg_profile *p)
{
	json_t *arr = json_array();

	for (unsigned i = 0; i < p->n_streams; i++) {
		const struct pg_stream *s = &p->streams[i];
		char dst[INET6_ADDRSTRLEN], src[INET6_ADDRSTRLEN + 4], sport[16];
		int af = s->family == SL_FAMILY_IPV4 ? AF_INET : AF_INET6;
		json_t *sizes = json_array();

		inet_ntop(af, s->dst.b, dst, sizeof(dst));
		inet_ntop(af, s->src.b, src, INET6_ADDRSTRLEN);
		snprintf(src + strlen(src), sizeof(src) - strlen(src), "/%u", s->src_len);
		snprintf(sport, sizeof(sport), "%u-%u", s->sport_lo, s->sport_hi);
		for (unsigned k = 0; k < s->n_sizes; k++)
			json_array_append_new(sizes, json_integer(s->sizes[k]));
		json_array_append_new(arr,
			json_pack(
				"{s:s, s:i, s:s, s:s, s:i, s:s, s:s, s:I, s:b, s:o, s:b, s:s, s:s, "
				"s:i}",
				"name", s->name, "share", (int)s->share, "type",
				pg_type_name(s->type), "dst", dst, "dport", s->dport, "src", src,
				"sport", sport, "flows", (json_int_t)s->flows, "random_src",
				s->random_src, "sizes", sizes, "imix", s->imix, "malformed",
				pg_malformed_name(s->malformed), "expect",
				s->expect == PG_EXPECT_FORWARD ? "forward" : "drop", "ttl",
				s->ttl));
	}
	return json_pack("{s:o}", "streams", arr);
}

void
pg_table_header(FILE *f)
{
	fprintf(f, "%-3s %-7s %9s %9s %9s %9s %10s %9s %9s %9s\n", "#", "kind", "target", "offered",
		"sent", "fwd", "loss", "p50", "p99", "p99.9");
	fprintf(f, "%-3s %-7s %9s %9s %9s %9s %10s %9s %9s %9s\n", "", "", "Mpps", "Mpps", "Mpps",
		"Mpps", "", "us", "us", "us");
}

void
pg_table_row(FILE *f, const struct pg_trial *t, uint64_t hz)
{
	static struct pg_hist h;
	char target[16];
	(void)h;

	if (t->target_pps > 0)
		snprintf(target, sizeof(target), "%.3f", t->target_pps / 1e6);
	else
		snprintf(target, sizeof(target), "max");
	/* Latency over every stream here; the JSON has it per stream and for forwarded ones. */
	struct pg_hist *all = &h;
	memset(all, 0, sizeof(*all));
	for (unsigned i = 0; i < PG_MAX_STREAMS; i++)
		pg_hist_merge(all, &t->sum.s[i].lat);
	fprintf(f, "%-3u %-7s %9s %9.3f %9.3f %9.3f %9.5f%% %9.2f %9.2f %9.2f%s\n", t->index,
		t->kind, target, t->offered_pps / 1e6, t->sent_pps / 1e6, t->fwd_pps / 1e6,
		t->loss * 100, ticks_us(pg_hist_quantile(all, 0.5), hz),
		ticks_us(pg_hist_quantile(all, 0.99), hz),
		ticks_us(pg_hist_quantile(all, 0.999), hz),
		t->gen_limited ? "  (generator-limited)" : "");
}

void
pg_table_streams(FILE *f, const struct pg_trial *t, const struct pg_profile *p, uint64_t hz)
{
	fprintf(f, "  %-12s %-8s %12s %12s %12s %12s %9s %9s\n", "stream", "expect", "sent",
		"refused", "received", "lost/leaked", "p50 us", "p99 us");
	for (unsigned i = 0; i < p->n_streams; i++) {
		const struct pg_sctr *s = &t->sum.s[i];
		bool fwd = p->streams[i].expect == PG_EXPECT_FORWARD;
		long long ll =
			fwd ? (long long)(s->tx + s->refused) - (long long)s->rx : (long long)s->rx;
		fprintf(f, "  %-12s %-8s %12llu %12llu %12llu %12lld %9.2f %9.2f\n",
			p->streams[i].name, fwd ? "forward" : "drop", (unsigned long long)s->tx,
			(unsigned long long)s->refused, (unsigned long long)s->rx, ll,
			ticks_us(pg_hist_quantile(&s->lat, 0.5), hz),
			ticks_us(pg_hist_quantile(&s->lat, 0.99), hz));
	}
	if (t->sum.rx_other || t->sum.rx_stale)
		fprintf(f, "  other frames received: %llu, from earlier trials: %llu\n",
			(unsigned long long)t->sum.rx_other, (unsigned long long)t->sum.rx_stale);
}
