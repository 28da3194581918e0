/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The run's trials: the warm-up, then one trial or the RFC 2544 search
 * (best-of-N flat-out trials, binary searches for the highest rate with no
 * loss and with at most --pdr-loss, latency trials at fractions of the
 * zero-loss rate).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

/* Run one trial into the list; prints its row. @return its index, or < 0. */
static int
trial(struct pg_run *r, const char *kind, double rate)
{
	if (r->n == PG_MAX_TRIALS) {
		fprintf(stderr, "sluice-pktgen: more than %d trials\n", PG_MAX_TRIALS);
		return -ENOSPC;
	}
	struct pg_trial *t = &r->trials[r->n];
	int rc = pg_trial_run(&r->c->o, r->p, kind, rate, t);
	if (rc < 0)
		return rc;
	if (r->out)
		pg_table_row(r->out, t, r->c->o.tsc_hz);
	return (int)r->n++;
}

/*
 * RFC 2544 binary search for the highest target rate whose loss is at most
 * @thr, between what earlier rate-mode trials showed and @hi. @return the
 * passing trial's index, -1 when none passed, or < -1 on error.
 */
static int
search(struct pg_run *r, const char *kind, double thr, double hi)
{
	const struct pg_opts *o = &r->c->o;
	double lo = 0;
	int best = -1;
	bool hi_tried = false;

	/* What earlier rate-mode trials showed: a rate passes if any trial at it passed. */
	for (unsigned i = 0; i < r->n; i++) {
		const struct pg_trial *t = &r->trials[i];
		if (t->target_pps > 0 && t->loss <= thr && !t->gen_limited && t->target_pps > lo) {
			lo = t->target_pps;
			best = (int)i;
		}
	}
	for (unsigned i = 0; i < r->n; i++) {
		const struct pg_trial *t = &r->trials[i];
		if (t->target_pps > lo && (t->loss > thr || t->gen_limited) &&
			t->target_pps <= hi) {
			hi = t->target_pps;
			hi_tried = true;
		}
	}
	double rate = hi_tried ? (lo + hi) / 2 : hi;
	for (unsigned k = 0; k < o->max_trials; k++) {
		if (lo >= hi || (hi_tried && hi - lo <= o->resolution * hi))
			break;
		int idx = trial(r, kind, rate);
		/* A failed trial is repeated (--retries): one stall of a shared machine
		 * should not decide the search; any attempt that passes counts. */
		for (unsigned a = 0; idx >= 0 && a < o->retries &&
				     (r->trials[idx].loss > thr || r->trials[idx].gen_limited);
			a++)
			idx = trial(r, kind, rate);
		if (idx < 0)
			return idx == -1 ? -2 : idx;
		if (r->trials[idx].loss <= thr && !r->trials[idx].gen_limited) {
			lo = rate;
			best = idx;
		} else {
			hi = rate;
		}
		hi_tried = true;
		rate = (lo + hi) / 2;
	}
	return best;
}

static json_t *
result_json(const struct pg_run *r, int idx, double thr)
{
	if (idx < 0)
		return json_pack("{s:n, s:f, s:f, s:f}", "trial", "loss_threshold", thr, "rate_pps",
			0.0, "forwarded_pps", 0.0);
	const struct pg_trial *t = &r->trials[idx];
	return json_pack("{s:i, s:f, s:f, s:f, s:f, s:f}", "trial", idx, "loss_threshold", thr,
		"rate_pps", t->target_pps > 0 ? t->target_pps : t->offered_pps, "offered_pps",
		t->offered_pps, "forwarded_pps", t->fwd_pps, "loss_ratio", t->loss);
}

int
pg_run_trials(struct pg_run *r, json_t *result)
{
	const struct pg_opts *o = &r->c->o;
	int rc;

	if (o->warmup && (rc = trial(r, "warmup", 0)) < 0)
		return rc;
	if (!o->search) {
		rc = trial(r, o->rate_pps > 0 ? "fixed" : "flat", o->rate_pps);
		return rc < 0 ? rc : 0;
	}
	/* Best of --flat-trials: on a shared machine a stall only ever lowers a rate. */
	int flat = -1;
	for (unsigned i = 0; i < o->flat_trials; i++) {
		int idx = trial(r, "flat", 0);
		if (idx < 0)
			return idx;
		if (flat < 0 || r->trials[idx].fwd_pps > r->trials[flat].fwd_pps)
			flat = idx;
	}
	double hi = r->trials[flat].offered_pps;
	if (hi <= 0) {
		fprintf(stderr, "sluice-pktgen: nothing could be sent flat out\n");
		return -EIO;
	}
	int ndr = search(r, "ndr", 0, hi);
	if (ndr < -1)
		return ndr;
	int pdr = search(r, "pdr", o->pdr_loss, hi);
	if (pdr < -1)
		return pdr;
	json_object_set_new(result, "flat_out", result_json(r, flat, 1));
	json_object_set_new(result, "zero_loss", result_json(r, ndr, 0));
	json_object_set_new(result, "partial_loss", result_json(r, pdr, o->pdr_loss));

	double base = ndr >= 0 ? r->trials[ndr].target_pps : hi;
	json_t *loads = json_array();
	json_object_set_new(result, "loads", loads);
	for (unsigned i = 0; i < o->n_loads; i++) {
		int idx = trial(r, "load", base * o->loads[i]);
		if (idx < 0)
			return idx;
		json_array_append_new(loads, json_integer(idx));
	}
	return 0;
}
