/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Trials (one timed run at one offered rate, summed over the threads), the
 * RFC 2544-style search over them, and their reports.
 */
#ifndef SL_PG_TRIAL_H
#define SL_PG_TRIAL_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "run.h"

struct pg_cli;

struct pg_opts {
	double rate_pps;   /* 0: flat out */
	double duration_s; /* per trial */
	uint64_t count;	   /* packets per thread per trial; 0: by duration */
	bool warmup;
	bool search;
	double resolution;   /* search stops when (hi - lo) <= resolution * hi */
	unsigned max_trials; /* per search */
	unsigned retries;    /* repeats of a failed search trial */
	unsigned flat_trials;
	double pdr_loss;  /* the second search's loss threshold (0.001 = 0.1%) */
	double loads[16]; /* latency trials at these fractions of the zero-loss rate */
	unsigned n_loads;
	bool sync; /* wait for a line on stdin before each trial */
	double drain_quiet_ms, drain_max_ms;
	uint64_t tsc_hz;
};

struct pg_trial {
	char kind[16]; /* warmup, fixed, flat, ndr, pdr, load */
	unsigned index;
	uint8_t tag;
	double target_pps; /* 0: flat out */
	double duration_s; /* TX time, the longest thread's */
	struct pg_tctr sum;
	uint64_t fwd_offered, fwd_rx; /* streams expected to come back */
	double offered_pps, sent_pps, fwd_pps, loss;
	bool gen_limited;
};

/* Run one trial (or the warm-up) on every thread and sum it. @return 0, or -EPIPE when
 * --sync's stdin closed. */
int pg_trial_run(const struct pg_opts *o, const struct pg_profile *p, const char *kind,
	double rate_pps, struct pg_trial *t);

/* A run: its options, profile and trials so far (search.c, main.c). */
struct pg_run {
	struct pg_cli *c;
	struct pg_profile *p;
	struct pg_trial *trials; /* [PG_MAX_TRIALS] */
	unsigned n;
	FILE *out; /* table rows, or NULL */
};

#define PG_MAX_TRIALS 256

/*
 * The warm-up (when asked), then one trial or, with --search, the search;
 * @result gets the search's outcome (flat_out, zero_loss, partial_loss,
 * loads). @return 0, -EPIPE (--sync's stdin closed), -ENOSPC (too many
 * trials), -EIO (nothing could be sent).
 */
int pg_run_trials(struct pg_run *r, json_t *result);

/* report.c */
json_t *pg_trial_json(const struct pg_trial *t, const struct pg_profile *p, uint64_t hz);
json_t *pg_profile_json(const struct pg_profile *p);
void pg_table_header(FILE *f);
void pg_table_row(FILE *f, const struct pg_trial *t, uint64_t hz);
void pg_table_streams(FILE *f, const struct pg_trial *t, const struct pg_profile *p, uint64_t hz);

#endif /* SL_PG_TRIAL_H */
