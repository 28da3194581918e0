/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sluiced and sluice-dp: the control-socket client and the reconciler.
 *
 * The reconciler is level-triggered: every SLD_RECONCILE_MS (or at once
 * when woken by a health change or a commit) it asks the dataplane for its
 * STATUS and pushes the effective config when the dataplane does not run
 * what sluiced last gave it: a new effective config (health, slow start),
 * a generation that is not ours (sluice-dp restarted, or someone applied
 * a config behind sluiced's back), or an uptime that went backwards.
 * So a restarted sluice-dp has the whole state again within one period.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>

#include <sluice/ctl.h>

#include "effective.h"
#include "log.h"
#include "node.h"
#include "sld.h"

int
sld_dp_request(const char *sock, uint16_t type, const json_t *payload, int timeout_ms,
	json_t **reply, char *err, size_t errlen)
{
	static uint32_t seq;
	struct sl_ctl_hdr hdr;
	char *text, *answer = NULL;
	json_error_t je;
	uint32_t s = __atomic_add_fetch(&seq, 1, __ATOMIC_RELAXED);
	int fd, rc;

	*reply = NULL;
	text = payload ? json_dumps(payload, JSON_COMPACT) : strdup("{}");
	if (text == NULL) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	fd = sl_ctl_connect(sock);
	if (fd < 0) {
		free(text);
		snprintf(err, errlen, "%s: %s", sock, strerror(-fd));
		return fd;
	}
	rc = sl_ctl_send(fd, type, s, text, (uint32_t)strlen(text));
	free(text);
	if (rc == 0)
		rc = sl_ctl_recv(fd, &hdr, &answer, timeout_ms);
	close(fd);
	if (rc < 0) {
		snprintf(err, errlen, "%s: %s", sock, strerror(-rc));
		return rc;
	}
	if (hdr.seq != s || (*reply = json_loads(answer, 0, &je)) == NULL ||
		!json_is_object(*reply)) {
		free(answer);
		json_decref(*reply);
		*reply = NULL;
		snprintf(err, errlen, "%s: malformed reply", sock);
		return -EPROTO;
	}
	free(answer);
	return 0;
}

char *
sld_effective_json(struct sld *d, const struct sld_state *st, struct sl_cfg *cfg)
{
	struct sl_cfg eff;
	char *text;

	if (sld_effective(st, sld_health_lookup, d->health, sld_now_ms(), &eff, NULL) < 0)
		return NULL;
	text = sl_cfg_to_json(&eff);
	if (cfg != NULL)
		*cfg = eff;
	else
		sl_cfg_free(&eff);
	return text;
}

/* Keep --dp-config equal to what the dataplane runs, so a restart starts from it. */
static void
write_dp_config(struct sld *d, const char *text)
{
	int rc;

	if (d->opts.dp_config == NULL)
		return;
	rc = sld_write_atomic(AT_FDCWD, d->opts.dp_config, text, strlen(text));
	if (rc < 0)
		sld_log(LOG_WARNING, "--dp-config %s: %s", d->opts.dp_config, strerror(-rc));
}

int
sld_dp_push(struct sld *d, const char *text, uint64_t version, char *err, size_t errlen)
{
	json_t *payload, *reply = NULL;
	json_error_t je;
	uint64_t gen;
	char *copy;
	int rc;

	payload = json_loads(text, 0, &je);
	if (payload == NULL) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	/* Readers of the counters use the last STATS reply meanwhile (sld_dp_stats()). */
	__atomic_store_n(&d->pushing, true, __ATOMIC_RELEASE);
	rc = sld_dp_request(d->opts.dp_socket, SL_CTL_APPLY, payload, SLD_DP_APPLY_TIMEOUT, &reply,
		err, errlen);
	__atomic_store_n(&d->pushing, false, __ATOMIC_RELEASE);
	__atomic_add_fetch(&d->pushes, 1, __ATOMIC_RELEASE);
	json_decref(payload);
	if (rc == -ENOENT || rc == -ECONNREFUSED) {
		pthread_mutex_lock(&d->dp_lock);
		d->dp_up = false;
		pthread_mutex_unlock(&d->dp_lock);
		return 0;
	}
	if (rc < 0)
		return rc;
	if (!json_is_true(json_object_get(reply, "ok"))) {
		snprintf(err, errlen, "%s",
			json_string_value(json_object_get(reply, "error"))
				?: "refused without a reason");
		json_decref(reply);
		return -EINVAL;
	}
	gen = (uint64_t)json_integer_value(json_object_get(reply, "generation"));
	json_decref(reply);
	copy = strdup(text);
	if (copy == NULL) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	pthread_mutex_lock(&d->dp_lock);
	d->dp_up = true;
	d->dp_gen = gen;
	free(d->pushed);
	d->pushed = copy;
	d->pushed_version = version;
	d->dp_error[0] = '\0'; /* whoever pushed (reconciler or commit): it runs now */
	pthread_mutex_unlock(&d->dp_lock);
	write_dp_config(d, text);
	return 1;
}

json_t *
sld_dp_stats(struct sld *d)
{
	json_t *reply = NULL, *old;
	char err[256];

	if (__atomic_load_n(&d->pushing, __ATOMIC_ACQUIRE)) {
		/* The control socket is busy building a generation: do not queue behind it. */
		pthread_mutex_lock(&d->stats_lock);
		reply = d->stats ? json_deep_copy(d->stats) : NULL;
		pthread_mutex_unlock(&d->stats_lock);
		return reply;
	}
	if (sld_dp_request(d->opts.dp_socket, SL_CTL_STATS, NULL, SLD_DP_TIMEOUT_MS, &reply, err,
		    sizeof(err)) < 0)
		return NULL;
	if (!json_is_true(json_object_get(reply, "ok"))) {
		json_decref(reply);
		return NULL;
	}
	json_object_del(reply, "ok");
	pthread_mutex_lock(&d->stats_lock);
	old = d->stats;
	d->stats = json_deep_copy(reply);
	d->stats_ms = sld_now_ms();
	pthread_mutex_unlock(&d->stats_lock);
	json_decref(old);
	return reply;
}

void
sld_wake(void *arg)
{
	struct sld *d = arg;

	pthread_mutex_lock(&d->wake_lock);
	d->wake = true;
	pthread_cond_signal(&d->wake_cond);
	pthread_mutex_unlock(&d->wake_lock);
}

static void
sleep_or_wake(struct sld *d)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_nsec += SLD_RECONCILE_MS * 1000000L;
	ts.tv_sec += ts.tv_nsec / 1000000000L;
	ts.tv_nsec %= 1000000000L;
	pthread_mutex_lock(&d->wake_lock);
	while (!d->wake && !d->quit)
		if (pthread_cond_timedwait(&d->wake_cond, &d->wake_lock, &ts) == ETIMEDOUT)
			break;
	d->wake = false;
	pthread_mutex_unlock(&d->wake_lock);
}

/* STATUS "tables" as JSON text of {vipkey: digest}, or NULL when absent. */
static char *
tables_text(const json_t *tables)
{
	json_t *m;
	char *text;

	if (!json_is_array(tables))
		return NULL;
	m = json_object();
	for (size_t i = 0; m != NULL && i < json_array_size(tables); i++) {
		const json_t *t = json_array_get(tables, i), *dg = json_object_get(t, "digest");
		char key[SLD_KEY_LEN];

		/* 16 hex digits; anything else from the dataplane is left out. */
		if (sld_json_vip_key(t, key) == 0 && json_is_string(dg) &&
			json_string_length(dg) == 16 &&
			strspn(json_string_value(dg), "0123456789abcdef") == 16)
			json_object_set(m, key, (json_t *)dg);
	}
	text = m ? json_dumps(m, JSON_COMPACT) : NULL;
	json_decref(m);
	return text;
}

json_t *
sld_dp_tables(struct sld *d)
{
	json_t *t = NULL;

	pthread_mutex_lock(&d->dp_lock);
	if (d->tables != NULL)
		t = json_loads(d->tables, 0, NULL);
	pthread_mutex_unlock(&d->dp_lock);
	return t ? t : json_object();
}

/*
 * Version 0 (nothing ever committed) is never pushed: what the dataplane
 * runs is adopted or imported instead (sld_dp_import()). @return true when
 * the caller must not push.
 */
static bool
import_first(struct sld *d)
{
	json_t *reply = NULL;
	char err[256];

	if (d->snap->version != 0)
		return false;
	if (sld_dp_request(d->opts.dp_socket, SL_CTL_GET_CONFIG, NULL, SLD_DP_TIMEOUT_MS, &reply,
		    err, sizeof(err)) == 0 &&
		json_is_true(json_object_get(reply, "ok")))
		sld_dp_import(d, reply);
	json_decref(reply);
	return true;
}

/*
 * Feed systemd's watchdog (WatchdogSec=) when a quarter of its period has
 * passed: so it says the reconciler turns. Fed at the top of every pass and
 * again once the pass holds the writers' lock, so that the longest silence
 * is one blocking step (a writer's push, or our own, SLD_DP_APPLY_TIMEOUT
 * at most) plus a quarter period: WatchdogSec must be above about 1.5 x
 * that (docs/sluiced.md). Reconciler thread only.
 */
static void
watchdog(struct sld *d)
{
	uint64_t now = sld_now_ms();

	if (d->wd_ms == 0 || now - d->wd_last_ms < d->wd_ms / 4)
		return;
	sd_notify(0, "WATCHDOG=1");
	d->wd_last_ms = now;
}

static void
reconcile_once(struct sld *d)
{
	uint64_t pushes = __atomic_load_n(&d->pushes, __ATOMIC_ACQUIRE);
	json_t *st = NULL;
	char err[512], *want = NULL, *tables;
	uint64_t gen, uptime;
	bool restarted, push;
	int rc;

	/* STATUS before wlock: a writer waiting for its push is not held up more. */
	rc = sld_dp_request(
		d->opts.dp_socket, SL_CTL_STATUS, NULL, SLD_DP_TIMEOUT_MS, &st, err, sizeof(err));
	pthread_mutex_lock(&d->wlock);
	watchdog(d); /* the wait for the lock may have been a writer's whole push */
	/*
	 * sluice-dp answers one request at a time: a STATUS sent while a
	 * writer's APPLY was in flight waited behind it (and may have timed
	 * out), and what it says predates that push. Taken at its word it
	 * would read as a lost or restarted dataplane: a second push of the
	 * same config, announcements withdrawn meanwhile. Look again instead
	 * (the writer woke us: the next pass comes at once).
	 */
	if (__atomic_load_n(&d->pushes, __ATOMIC_ACQUIRE) != pushes)
		goto out;
	want = sld_effective_json(d, &d->snap->state, NULL);
	pthread_mutex_lock(&d->dp_lock);
	if (rc < 0 || !json_is_true(json_object_get(st, "ok"))) {
		if (d->dp_up)
			sld_log(LOG_WARNING, "dataplane lost: %s", rc < 0 ? err : "STATUS refused");
		d->dp_up = false;
		free(d->tables); /* no digest for tables nobody runs */
		d->tables = NULL;
		pthread_mutex_unlock(&d->dp_lock);
		goto out;
	}
	gen = (uint64_t)json_integer_value(json_object_get(st, "generation"));
	uptime = (uint64_t)json_integer_value(json_object_get(st, "uptime_s"));
	restarted = !d->dp_up || gen != d->dp_gen || uptime < d->dp_uptime_s;
	if (!d->dp_up)
		sld_log(LOG_INFO, "dataplane up: generation %llu", (unsigned long long)gen);
	d->dp_up = true;
	d->dp_uptime_s = uptime;
	tables = tables_text(json_object_get(st, "tables"));
	free(d->tables);
	d->tables = tables;
	push = want != NULL && (restarted || d->pushed == NULL || strcmp(want, d->pushed) != 0);
	if (push && restarted && d->pushed != NULL)
		sld_log(LOG_INFO,
			"dataplane runs generation %llu, not ours (%llu): pushing version %llu "
			"again",
			(unsigned long long)gen, (unsigned long long)d->dp_gen,
			(unsigned long long)d->snap->version);
	pthread_mutex_unlock(&d->dp_lock);
	if (push && !import_first(d)) {
		rc = sld_dp_push(d, want, d->snap->version, err, sizeof(err));
		pthread_mutex_lock(&d->dp_lock);
		if (rc < 0 && strcmp(err, d->dp_error) != 0)
			sld_log(LOG_ERR, "dataplane refused the effective config: %s", err);
		if (rc < 0)
			snprintf(d->dp_error, sizeof(d->dp_error), "%s", err);
		else if (rc > 0)
			d->dp_error[0] = '\0';
		pthread_mutex_unlock(&d->dp_lock);
	}
out:
	/* The filter does not depend on the dataplane: its maps outlive it. */
	sld_filter_sync(d);
	pthread_mutex_unlock(&d->wlock);
	free(want);
	json_decref(st);
}

void
sld_reconcile_loop(struct sld *d)
{
	uint64_t wd_usec = 0;

	if (sd_watchdog_enabled(0, &wd_usec) > 0)
		d->wd_ms = wd_usec / 1000 > 0 ? wd_usec / 1000 : 1;
	while (!d->quit) {
		watchdog(d);
		reconcile_once(d);
		sld_node_tick(d); /* announcements follow what the pass found */
		sleep_or_wake(d);
	}
}
