/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * One trial: the main lcore publishes a command, every thread runs it from
 * a common start time, the main lcore waits for all of them and sums their
 * counters. Loss is over the streams expected to come back: offered (sent
 * plus refused by a full TX ring) minus received.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_cycles.h>

#include "trial.h"

static uint32_t seq;
static uint8_t tag;
static unsigned next_index;

static void
sum_thread(struct pg_tctr *dst, const struct pg_tctr *src, unsigned n_streams)
{
	dst->rx_total += src->rx_total;
	dst->rx_other += src->rx_other;
	dst->rx_stale += src->rx_stale;
	dst->alloc_fail += src->alloc_fail;
	dst->tx_partial += src->tx_partial;
	dst->due += src->due;
	dst->skipped += src->skipped;
	dst->stalls += src->stalls;
	if (src->stall_max > dst->stall_max)
		dst->stall_max = src->stall_max;
	dst->offered += src->offered;
	if (src->tx_end - src->tx_start > dst->tx_end - dst->tx_start) {
		dst->tx_start = src->tx_start;
		dst->tx_end = src->tx_end;
	}
	for (unsigned i = 0; i < n_streams; i++) {
		struct pg_sctr *d = &dst->s[i];
		const struct pg_sctr *s = &src->s[i];
		d->tx += s->tx;
		d->tx_bytes += s->tx_bytes;
		d->refused += s->refused;
		d->rx += s->rx;
		d->rx_bytes += s->rx_bytes;
		d->rx_encap += s->rx_encap;
		d->flows_seen += s->flows_seen;
		pg_hist_merge(&d->lat, &s->lat);
	}
}

int
pg_trial_run(const struct pg_opts *o, const struct pg_profile *p, const char *kind, double rate_pps,
	struct pg_trial *t)
{
	struct pg_cmd *c = &pg_ctl.cmd;
	unsigned n = pg_ctl.n_threads;

	memset(t, 0, sizeof(*t));
	snprintf(t->kind, sizeof(t->kind), "%s", kind);
	t->index = next_index++;
	t->target_pps = rate_pps;
	tag = (uint8_t)(tag % 255 + 1); /* 1..255: 0 is never a trial's */
	t->tag = tag;

	if (o->sync) {
		char line[64];
		printf("{\"event\": \"ready\", \"index\": %u, \"kind\": \"%s\", \"target_pps\": "
		       "%.0f}\n",
			t->index, kind, rate_pps);
		fflush(stdout);
		if (!fgets(line, sizeof(line), stdin))
			return -EPIPE;
	}

	memset(c, 0, sizeof(*c));
	bool warm = strcmp(kind, "warmup") == 0;
	c->kind = warm ? PG_CMD_WARMUP : PG_CMD_TRIAL;
	c->tag = tag;
	c->pkts_per_tsc = rate_pps > 0 ? rate_pps / n / (double)o->tsc_hz : 0;
	c->duration_tsc = warm || o->count ? 0 : (uint64_t)(o->duration_s * (double)o->tsc_hz);
	c->count = warm ? 0 : o->count;
	c->drain_quiet_tsc = (uint64_t)(o->drain_quiet_ms * 1e-3 * (double)o->tsc_hz);
	c->drain_max_tsc = (uint64_t)(o->drain_max_ms * 1e-3 * (double)o->tsc_hz);
	c->start_tsc = rte_rdtsc() + o->tsc_hz / 1000; /* 1 ms: every thread starts together */
	/* Release: the threads read cmd after they see the new seq (acquire). */
	__atomic_store_n(&pg_ctl.seq, ++seq, __ATOMIC_RELEASE);
	for (unsigned i = 0; i < n; i++)
		while (__atomic_load_n(&pg_ctl.th[i]->done_seq, __ATOMIC_ACQUIRE) != seq)
			usleep(5000); /* seldom: this lcore may share a CPU with a thread */

	for (unsigned i = 0; i < n; i++)
		sum_thread(&t->sum, &pg_ctl.th[i]->c, p->n_streams);
	t->duration_s = (double)(t->sum.tx_end - t->sum.tx_start) / (double)o->tsc_hz;
	uint64_t sent = 0;
	for (unsigned i = 0; i < p->n_streams; i++) {
		const struct pg_sctr *s = &t->sum.s[i];
		sent += s->tx;
		if (p->streams[i].expect == PG_EXPECT_FORWARD) {
			t->fwd_offered += s->tx + s->refused;
			t->fwd_rx += s->rx;
		}
	}
	if (t->duration_s > 0) {
		t->offered_pps = (double)t->sum.offered / t->duration_s;
		t->sent_pps = (double)sent / t->duration_s;
		t->fwd_pps = (double)t->fwd_rx / t->duration_s;
	}
	t->loss = t->fwd_offered ? (double)((int64_t)t->fwd_offered - (int64_t)t->fwd_rx) /
					   (double)t->fwd_offered
				 : 0;
	/*
	 * Rate mode: the threads offered less than 98% of what was due: they
	 * cannot reach the rate, or lost their CPU for long (what they skipped
	 * then is in `skipped`). The search repeats such a trial.
	 */
	t->gen_limited = rate_pps > 0 && (double)t->sum.offered < 0.98 * (double)t->sum.due;

	if (o->sync) {
		json_t *j = pg_trial_json(t, p, o->tsc_hz);
		json_t *ev = json_pack("{s:s, s:o}", "event", "trial", "trial", j);
		char *txt = json_dumps(ev, JSON_COMPACT);
		printf("%s\n", txt ? txt : "{}");
		fflush(stdout);
		free(txt);
		json_decref(ev);
	}
	return 0;
}
