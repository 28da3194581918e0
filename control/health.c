/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The health checker (health.h): targets, their schedule, their verdicts.
 * The probes themselves (TCP, HTTP, exec) are in health_probe.c.
 *
 * Threads: every libev watcher belongs to the checker's thread. Other
 * threads reach the checker only through h->lock (the pending target list,
 * the seeds, the verdicts they read) and ev_async_send(), which libev makes
 * safe to call from any thread.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "health_priv.h"
#include "store.h"

uint64_t
sld_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void
target_key(char *out, size_t len, const char *vip, const char *addr)
{
	snprintf(out, len, "%s|%s", vip, addr);
}

static struct target *
find(struct sld_health *h, const char *key)
{
	json_t *v = json_object_get(h->index, key);

	return v ? (struct target *)(intptr_t)json_integer_value(v) : NULL;
}

static void
free_settings(struct target *t)
{
	free(t->path);
	free(t->host);
	if (t->argv != NULL)
		for (char **a = t->argv; *a != NULL; a++)
			free(*a);
	free(t->argv);
	free(t->sig);
	t->path = t->host = t->sig = NULL;
	t->argv = NULL;
}

/* Copy a VIP's settings into @t; @sig describes them, to notice a change. */
static int
set_settings(struct target *t, const struct sld_hc *hc, const char *sig)
{
	size_t n = 0;

	free_settings(t);
	t->type = hc->type;
	t->port = hc->port;
	t->expect_status = hc->expect_status;
	t->interval_ms = hc->interval_ms;
	t->timeout_ms = hc->timeout_ms;
	t->rise = hc->rise;
	t->fall = hc->fall;
	t->sig = strdup(sig);
	t->path = hc->path ? strdup(hc->path) : NULL;
	t->host = hc->host ? strdup(hc->host) : NULL;
	if (t->sig == NULL || (hc->path && !t->path) || (hc->host && !t->host))
		return -ENOMEM;
	if (hc->argv == NULL)
		return 0;
	while (hc->argv[n] != NULL)
		n++;
	t->argv = calloc(n + 1, sizeof(*t->argv));
	if (t->argv == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		if ((t->argv[i] = strdup(hc->argv[i])) == NULL)
			return -ENOMEM;
	return 0;
}

static char *
settings_sig(const struct sld_hc *hc)
{
	json_t *j = json_pack("{s:i, s:i, s:i, s:I, s:I, s:I, s:I, s:s?, s:s?}", "t", hc->type, "p",
		hc->port, "e", hc->expect_status, "i", (json_int_t)hc->interval_ms, "to",
		(json_int_t)hc->timeout_ms, "r", (json_int_t)hc->rise, "f", (json_int_t)hc->fall,
		"path", hc->path, "host", hc->host);
	json_t *argv = json_array();
	char *s;

	for (size_t i = 0; hc->argv && hc->argv[i]; i++)
		json_array_append_new(argv, json_string(hc->argv[i]));
	json_object_set_new(j, "a", argv);
	s = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(j);
	return s;
}

static void
schedule(struct sld_health *h, struct target *t)
{
	/* Spread first checks over a little time so a big pool does not burst. */
	double first = (double)(rand() % (t->interval_ms < 500 ? t->interval_ms : 500)) / 1000.0;

	ev_timer_stop(h->loop, &t->tick);
	ev_timer_init(&t->tick, sld_probe_tick, first, t->interval_ms / 1000.0);
	t->tick.data = t;
	ev_timer_start(h->loop, &t->tick);
}

static void
drop_target(struct sld_health *h, struct target *t)
{
	ev_timer_stop(h->loop, &t->tick);
	sld_probe_cancel(h, t);
	free_settings(t);
	free(t);
}

/* Checker thread: make the targets those of the pending state. */
static void
apply_pending(struct sld_health *h, struct sld_state *st)
{
	json_t *keep = json_object();
	struct target **nt;
	size_t n = 0, cap = 16;
	const char *k;
	json_t *v, *old_index;

	nt = malloc(cap * sizeof(*nt));
	if (nt == NULL || keep == NULL)
		goto out;
	for (uint32_t i = 0; i < st->cfg.n_vips; i++) {
		const struct sld_vip_ext *x = &st->ext[i];
		const struct sl_cfg_vip *vip = &st->cfg.vips[i];
		char *sig;

		if (x->hc.type == SLD_HC_NONE)
			continue;
		sig = settings_sig(&x->hc);
		for (uint32_t j = 0; sig && j < vip->n_backends; j++) {
			const struct sl_cfg_backend *b = &vip->backends[j];
			char addr[INET6_ADDRSTRLEN], key[TARGET_KEY_LEN];
			struct target *t;
			bool fresh;
			int rc;

			inet_ntop(b->family == SL_FAMILY_IPV6 ? AF_INET6 : AF_INET, b->addr.b, addr,
				sizeof(addr));
			target_key(key, sizeof(key), x->key, addr);
			if (json_object_get(keep, key) != NULL)
				continue;
			if (n == cap) {
				struct target **g = realloc(nt, 2 * cap * sizeof(*nt));

				if (g == NULL)
					break;
				nt = g;
				cap *= 2;
			}
			t = find(h, key);
			fresh = t == NULL;
			if (t != NULL && strcmp(t->sig, sig) == 0) {
				nt[n++] = t;
				json_object_set_new(
					keep, key, json_integer((json_int_t)(intptr_t)t));
				continue;
			}
			if (t == NULL) {
				t = calloc(1, sizeof(*t));
				if (t == NULL)
					break;
				t->h = h;
				t->fd = t->pidfd = -1;
				snprintf(t->key, sizeof(t->key), "%s", key);
				snprintf(t->vip, sizeof(t->vip), "%s", x->key);
				snprintf(t->addr, sizeof(t->addr), "%s", addr);
				t->family = b->family;
				t->ip = b->addr;
				t->health =
					json_object_get(h->seeds, key) ? SLD_H_DOWN : SLD_H_UNKNOWN;
				sld_time_now(t->since, sizeof(t->since));
				ev_init(&t->tick, sld_probe_tick);
			} else {
				sld_probe_cancel(h, t);
			}
			snprintf(t->vip_port, sizeof(t->vip_port), "%u", vip->port);
			pthread_mutex_lock(&h->lock);
			t->n_ok = t->n_fail = 0; /* new settings: the counters start again */
			rc = set_settings(t, &x->hc, sig);
			pthread_mutex_unlock(&h->lock);
			if (rc < 0) {
				/* Out of memory. A new target goes now; one of the index
				 * (readers may hold it) is left out of @keep and dropped
				 * with the old index below, once. */
				if (fresh)
					drop_target(h, t);
				continue;
			}
			schedule(h, t);
			nt[n++] = t;
			json_object_set_new(keep, key, json_integer((json_int_t)(intptr_t)t));
		}
		free(sig);
	}
	/* Swap the index under the lock, then drop what is gone. */
	pthread_mutex_lock(&h->lock);
	old_index = h->index;
	h->index = keep;
	free(h->t);
	h->t = nt;
	h->n = n;
	keep = NULL;
	nt = NULL;
	json_object_clear(h->seeds);
	pthread_mutex_unlock(&h->lock);
	json_object_foreach(old_index, k, v)
	{
		if (json_object_get(h->index, k) == NULL)
			drop_target(h, (struct target *)(intptr_t)json_integer_value(v));
	}
	json_decref(old_index);
out:
	free(nt);
	json_decref(keep);
}

static void
on_async(struct ev_loop *loop, ev_async *w, int revents)
{
	struct sld_health *h = w->data;
	struct sld_state *st;
	bool quit;

	(void)revents;
	pthread_mutex_lock(&h->lock);
	st = h->pending;
	h->pending = NULL;
	quit = h->quit;
	pthread_mutex_unlock(&h->lock);
	if (quit) {
		ev_break(loop, EVBREAK_ALL);
	} else if (st != NULL) {
		apply_pending(h, st);
	}
	if (st != NULL) {
		sld_state_free(st);
		free(st);
	}
}

static void *
run(void *arg)
{
	struct sld_health *h = arg;

	ev_run(h->loop, 0);
	return NULL;
}

struct sld_health *
sld_health_create(unsigned int max_inflight, void (*on_change)(void *), void *arg)
{
	struct sld_health *h = calloc(1, sizeof(*h));

	if (h == NULL)
		return NULL;
	pthread_mutex_init(&h->lock, NULL);
	h->max_inflight = max_inflight ? max_inflight : 1;
	h->on_change = on_change;
	h->arg = arg;
	h->index = json_object();
	h->seeds = json_object();
	h->loop = ev_loop_new(EVFLAG_AUTO);
	if (h->index == NULL || h->seeds == NULL || h->loop == NULL) {
		sld_health_destroy(h);
		errno = ENOMEM;
		return NULL;
	}
	ev_async_init(&h->wake, on_async);
	h->wake.data = h;
	ev_async_start(h->loop, &h->wake);
	return h;
}

int
sld_health_start(struct sld_health *h)
{
	int rc = pthread_create(&h->thread, NULL, run, h);

	if (rc != 0)
		return -rc;
	h->started = true;
	return 0;
}

void
sld_health_destroy(struct sld_health *h)
{
	const char *k;
	json_t *v;

	if (h == NULL)
		return;
	if (h->started) {
		pthread_mutex_lock(&h->lock);
		h->quit = true;
		pthread_mutex_unlock(&h->lock);
		ev_async_send(h->loop, &h->wake);
		pthread_join(h->thread, NULL);
	}
	json_object_foreach(h->index, k, v)
	{
		drop_target(h, (struct target *)(intptr_t)json_integer_value(v));
	}
	json_decref(h->index);
	json_decref(h->seeds);
	free(h->t);
	if (h->pending != NULL) {
		sld_state_free(h->pending);
		free(h->pending);
	}
	if (h->loop != NULL)
		ev_loop_destroy(h->loop);
	pthread_mutex_destroy(&h->lock);
	free(h);
}

int
sld_health_set_targets(struct sld_health *h, const struct sld_state *st)
{
	struct sld_state *copy = malloc(sizeof(*copy));

	if (copy == NULL || sld_state_copy(copy, st) < 0) {
		free(copy);
		return -ENOMEM;
	}
	pthread_mutex_lock(&h->lock);
	if (h->pending != NULL) {
		sld_state_free(h->pending);
		free(h->pending);
	}
	h->pending = copy;
	pthread_mutex_unlock(&h->lock);
	ev_async_send(h->loop, &h->wake);
	return 0;
}

void
sld_health_seed_down(struct sld_health *h, const char *vip_key, const char *addr)
{
	char key[TARGET_KEY_LEN];

	target_key(key, sizeof(key), vip_key, addr);
	pthread_mutex_lock(&h->lock);
	json_object_set_new(h->seeds, key, json_true());
	pthread_mutex_unlock(&h->lock);
}

void
sld_health_lookup(void *ctx, const char *vip_key, const char *addr, struct sld_hview *v)
{
	struct sld_health *h = ctx;
	char key[TARGET_KEY_LEN];
	struct target *t;

	target_key(key, sizeof(key), vip_key, addr);
	pthread_mutex_lock(&h->lock);
	t = find(h, key);
	v->health = t ? t->health : SLD_H_UNKNOWN;
	v->up_since_ms = t ? t->up_since_ms : 0;
	pthread_mutex_unlock(&h->lock);
}

json_t *
sld_health_json(struct sld_health *h, const char *vip_key, const char *addr)
{
	char key[TARGET_KEY_LEN];
	struct target *t;
	json_t *j = NULL;

	target_key(key, sizeof(key), vip_key, addr);
	pthread_mutex_lock(&h->lock);
	t = find(h, key);
	if (t != NULL) {
		j = json_pack("{s:s, s:s, s:I, s:I, s:I}", "health", sld_health_names[t->health],
			"since", t->since, "checks", (json_int_t)t->checks, "consecutive_ok",
			(json_int_t)t->n_ok, "consecutive_failed", (json_int_t)t->n_fail);
		if (j != NULL && t->checks > 0)
			json_object_set_new(j, "last",
				json_pack("{s:b, s:s, s:I, s:s*}", "ok", t->last_ok, "time",
					t->last_time, "latency_ms", (json_int_t)t->last_latency_ms,
					"error", t->last_ok ? NULL : t->last_error));
	}
	pthread_mutex_unlock(&h->lock);
	return j;
}

/* Checker thread: record one check's outcome; see health.h for the rules. */
void
sld_health_verdict(struct sld_health *h, struct target *t, bool ok, const char *error)
{
	uint64_t now = sld_now_ms();
	uint8_t old;
	bool changed;

	pthread_mutex_lock(&h->lock);
	old = t->health;
	t->checks++;
	t->last_ok = ok;
	t->last_latency_ms = (uint32_t)(now - t->t0);
	sld_time_now(t->last_time, sizeof(t->last_time));
	snprintf(t->last_error, sizeof(t->last_error), "%s", error ? error : "");
	if (ok) {
		t->n_ok++;
		t->n_fail = 0;
	} else {
		t->n_fail++;
		t->n_ok = 0;
	}
	if (!t->decided) {
		/* The first check decides: no waiting for rise/fall, no slow start. */
		t->health = ok ? SLD_H_UP : SLD_H_DOWN;
		t->decided = true;
	} else if (t->health == SLD_H_DOWN && t->n_ok >= t->rise) {
		t->health = SLD_H_UP;
		t->up_since_ms = now;
	} else if (t->health == SLD_H_UP && t->n_fail >= t->fall) {
		t->health = SLD_H_DOWN;
		t->up_since_ms = 0;
	}
	changed = old != t->health;
	if (changed)
		sld_time_now(t->since, sizeof(t->since));
	pthread_mutex_unlock(&h->lock);
	if (changed && h->on_change != NULL)
		h->on_change(h->arg);
}
