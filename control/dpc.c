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
	char tmp[4096];
	size_t len = strlen(text);
	int fd;

	if (d->opts.dp_config == NULL)
		return;
	snprintf(tmp, sizeof(tmp), "%s.tmp", d->opts.dp_config);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
	if (fd < 0 || write(fd, text, len) != (ssize_t)len || fsync(fd) < 0 ||
		rename(tmp, d->opts.dp_config) < 0)
		sld_log(LOG_WARNING, "--dp-config %s: %s", d->opts.dp_config, strerror(errno));
	if (fd >= 0)
		close(fd);
}

int
sld_dp_push(struct sld *d, const char *text, uint64_t version, char *err, size_t errlen)
{
	json_t *payload, *reply = NULL;
	json_error_t je;
	int rc;

	payload = json_loads(text, 0, &je);
	if (payload == NULL) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	rc = sld_dp_request(d->opts.dp_socket, SL_CTL_APPLY, payload, SLD_DP_APPLY_TIMEOUT, &reply,
		err, errlen);
	json_decref(payload);
	if (rc == -ENOENT || rc == -ECONNREFUSED) {
		d->dp_up = false;
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
	d->dp_up = true;
	d->dp_gen = (uint64_t)json_integer_value(json_object_get(reply, "generation"));
	free(d->pushed);
	d->pushed = strdup(text);
	d->pushed_version = version;
	d->dp_error[0] = '\0'; /* whoever pushed (reconciler or commit): it runs now */
	json_decref(reply);
	write_dp_config(d, text);
	return 1;
}

/* Canonical text of a config document, for comparing what runs with what we want. */
static char *
canon_text(const json_t *cfg_json)
{
	struct sl_cfg cfg;
	char err[SL_CFG_ERR_LEN], *in, *out;
	int rc;

	in = json_dumps(cfg_json, JSON_COMPACT);
	if (in == NULL)
		return NULL;
	rc = sl_cfg_from_json(&cfg, in, strlen(in), err, sizeof(err));
	free(in);
	if (rc < 0)
		return NULL;
	out = sl_cfg_to_json(&cfg);
	sl_cfg_free(&cfg);
	return out;
}

void
sld_dp_adopt(struct sld *d)
{
	json_t *reply = NULL, *vips;
	char err[256], *running, *want;

	if (sld_dp_request(d->opts.dp_socket, SL_CTL_GET_CONFIG, NULL, SLD_DP_TIMEOUT_MS, &reply,
		    err, sizeof(err)) < 0) {
		sld_log(LOG_INFO, "dataplane not reachable at start (%s): will push when it is",
			err);
		return;
	}
	/* Seed health: active in the state, down in the dataplane = down by health. */
	vips = json_object_get(json_object_get(reply, "config"), "vips");
	for (uint32_t i = 0; i < d->state.cfg.n_vips; i++) {
		const struct sl_cfg_vip *v = &d->state.cfg.vips[i];

		for (size_t k = 0; k < json_array_size(vips); k++) {
			json_t *rv = json_array_get(vips, k),
			       *bes = json_object_get(rv, "backends");
			char key[SLD_KEY_LEN];

			if (sld_json_vip_key(rv, key) < 0 || strcmp(key, d->state.ext[i].key))
				continue;
			for (uint32_t j = 0; j < v->n_backends; j++) {
				char a[INET6_ADDRSTRLEN];

				if (v->backends[j].state != SL_BACKEND_ACTIVE)
					continue;
				inet_ntop(v->backends[j].family == SL_FAMILY_IPV6 ? AF_INET6
										  : AF_INET,
					v->backends[j].addr.b, a, sizeof(a));
				for (size_t m = 0; m < json_array_size(bes); m++) {
					json_t *rb = json_array_get(bes, m);
					const char *ra =
						json_string_value(json_object_get(rb, "address"));
					const char *rs =
						json_string_value(json_object_get(rb, "state"));

					if (ra && rs && strcmp(ra, a) == 0 &&
						strcmp(rs, "down") == 0)
						sld_health_seed_down(
							d->health, d->state.ext[i].key, a);
				}
			}
		}
	}
	running = canon_text(json_object_get(reply, "config"));
	want = sld_effective_json(d, &d->state, NULL);
	/* Health is still unknown here except for the seeds, which are in both. */
	if (running != NULL && want != NULL && strcmp(running, want) == 0) {
		d->dp_up = true;
		d->dp_gen = (uint64_t)json_integer_value(json_object_get(reply, "generation"));
		d->pushed = want;
		want = NULL;
		d->pushed_version = d->version;
		sld_log(LOG_INFO, "dataplane runs version %llu already (generation %llu): adopted",
			(unsigned long long)d->version, (unsigned long long)d->dp_gen);
	}
	free(running);
	free(want);
	json_decref(reply);
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

static void
reconcile_once(struct sld *d)
{
	json_t *st = NULL;
	char err[512], *want;
	uint64_t gen, uptime;
	bool restarted;
	int rc;

	/* STATUS without the lock: the API stays responsive while we wait on it. */
	rc = sld_dp_request(
		d->opts.dp_socket, SL_CTL_STATUS, NULL, SLD_DP_TIMEOUT_MS, &st, err, sizeof(err));
	pthread_mutex_lock(&d->lock);
	if (rc < 0 || !json_is_true(json_object_get(st, "ok"))) {
		if (d->dp_up)
			sld_log(LOG_WARNING, "dataplane lost: %s", rc < 0 ? err : "STATUS refused");
		d->dp_up = false;
		goto out;
	}
	gen = (uint64_t)json_integer_value(json_object_get(st, "generation"));
	uptime = (uint64_t)json_integer_value(json_object_get(st, "uptime_s"));
	restarted = !d->dp_up || gen != d->dp_gen || uptime < d->dp_uptime_s;
	if (!d->dp_up)
		sld_log(LOG_INFO, "dataplane up: generation %llu", (unsigned long long)gen);
	d->dp_up = true;
	d->dp_uptime_s = uptime;
	free(d->digests);
	d->digests = NULL;
	if (json_object_get(st, "vips") != NULL && json_is_array(json_object_get(st, "vips")))
		d->digests = json_dumps(json_object_get(st, "vips"), JSON_COMPACT);
	want = sld_effective_json(d, &d->state, NULL);
	if (want == NULL)
		goto out;
	if (restarted || d->pushed == NULL || strcmp(want, d->pushed) != 0) {
		if (restarted && d->pushed != NULL)
			sld_log(LOG_INFO,
				"dataplane runs generation %llu, not ours (%llu): pushing version "
				"%llu again",
				(unsigned long long)gen, (unsigned long long)d->dp_gen,
				(unsigned long long)d->version);
		rc = sld_dp_push(d, want, d->version, err, sizeof(err));
		if (rc < 0 && strcmp(err, d->dp_error) != 0)
			sld_log(LOG_ERR, "dataplane refused the effective config: %s", err);
		if (rc < 0)
			snprintf(d->dp_error, sizeof(d->dp_error), "%s", err);
		else if (rc > 0)
			d->dp_error[0] = '\0';
	}
	free(want);
out:
	pthread_mutex_unlock(&d->lock);
	json_decref(st);
}

void
sld_reconcile_loop(struct sld *d)
{
	while (!d->quit) {
		reconcile_once(d);
		sld_node_tick(d); /* announcements follow what the pass found */
		sleep_or_wake(d);
	}
}
