/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The published state: readers take a reference on an immutable snapshot of
 * the committed version, so that no GET waits for a writer, however long its
 * push to sluice-dp takes. A commit builds the next snapshot off to the side
 * and publishes it with one pointer swap; the old one is freed by whoever
 * drops its last reference.
 *
 * d->snap_lock only covers "load the pointer and take a reference" against
 * "swap the pointer": a few instructions, never I/O.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sld.h"

static struct sld_snap *
snap_new(uint64_t version, struct sld_state *st)
{
	struct sld_snap *s = calloc(1, sizeof(*s));

	if (s == NULL)
		return NULL;
	s->refs = 1;
	s->version = version;
	s->state = *st;
	memset(st, 0, sizeof(*st));
	sl_cfg_init(&st->cfg);
	return s;
}

int
sld_init(struct sld *d, uint64_t version, struct sld_state *st)
{
	pthread_condattr_t ca;

	pthread_mutex_init(&d->wlock, NULL);
	pthread_mutex_init(&d->snap_lock, NULL);
	pthread_mutex_init(&d->dp_lock, NULL);
	pthread_mutex_init(&d->stats_lock, NULL);
	pthread_mutex_init(&d->wake_lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&d->wake_cond, &ca);
	pthread_condattr_destroy(&ca);
	d->snap = snap_new(version, st);
	return d->snap != NULL ? 0 : -ENOMEM;
}

void
sld_fini(struct sld *d)
{
	sld_snap_put(d->snap);
	d->snap = NULL;
	free(d->pushed);
	free(d->tables);
	json_decref(d->stats);
	free(d->tokens);
	for (unsigned int i = 0; i < d->n_fif; i++)
		free(d->fif[i].applied);
	free(d->fif);
	d->fif = NULL;
	d->n_fif = 0;
	d->pushed = d->tables = NULL;
	d->stats = NULL;
	d->tokens = NULL;
}

struct sld_snap *
sld_snap_get(struct sld *d)
{
	struct sld_snap *s;

	pthread_mutex_lock(&d->snap_lock);
	s = d->snap;
	__atomic_add_fetch(&s->refs, 1, __ATOMIC_RELAXED);
	pthread_mutex_unlock(&d->snap_lock);
	return s;
}

void
sld_snap_put(struct sld_snap *s)
{
	if (s == NULL)
		return;
	/* Release: every use of the snapshot happens before the free below. */
	if (__atomic_sub_fetch(&s->refs, 1, __ATOMIC_ACQ_REL) != 0)
		return;
	sld_state_free(&s->state);
	free(s);
}

int
sld_snap_publish(struct sld *d, uint64_t version, struct sld_state *st)
{
	struct sld_snap *s = snap_new(version, st), *old;

	if (s == NULL)
		return -ENOMEM;
	pthread_mutex_lock(&d->snap_lock);
	old = d->snap;
	d->snap = s;
	pthread_mutex_unlock(&d->snap_lock);
	sld_snap_put(old);
	return 0;
}

uint64_t
sld_version(struct sld *d)
{
	uint64_t v;

	pthread_mutex_lock(&d->snap_lock);
	v = d->snap->version;
	pthread_mutex_unlock(&d->snap_lock);
	return v;
}

bool
sld_dp_current(struct sld *d, const struct sld_snap *snap)
{
	char *want = sld_effective_json(d, &snap->state, NULL);
	bool cur;

	pthread_mutex_lock(&d->dp_lock);
	cur = d->dp_up && d->pushed != NULL && want != NULL && strcmp(d->pushed, want) == 0 &&
	      d->pushed_version == snap->version;
	pthread_mutex_unlock(&d->dp_lock);
	free(want);
	return cur;
}
