/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What sluice-dp already runs when sluiced meets it (docs/sluiced.md,
 * "Reconciling with sluice-dp"):
 *
 * - at start, backends the dataplane has down while their operator state
 *   is active were down by health: they start down, so that a restart of
 *   sluiced sends them nothing;
 * - a dataplane that runs the effective config already is adopted as it
 *   is: no push, no new generation;
 * - while the state is at version 0 (nothing ever committed: a new state
 *   directory), sluiced never pushes. A dataplane running anything but the
 *   empty state has its config imported as version 1 (who
 *   "import:sluice-dp"), so that starting sluiced for the first time next to
 *   a forwarding sluice-dp never clears its VIPs.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sluice/ctl.h>

#include "log.h"
#include "sld.h"

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

/* Record that the dataplane runs @text (ours, of @version) at generation @gen. */
static void
adopted(struct sld *d, char *text, uint64_t version, uint64_t gen)
{
	pthread_mutex_lock(&d->dp_lock);
	d->dp_up = true;
	d->dp_gen = gen;
	free(d->pushed);
	d->pushed = text;
	d->pushed_version = version;
	d->dp_error[0] = '\0';
	pthread_mutex_unlock(&d->dp_lock);
}

static void
import_failed(struct sld *d, const char *why)
{
	pthread_mutex_lock(&d->dp_lock);
	if (strcmp(d->dp_error, why) != 0)
		sld_log(LOG_ERR, "%s", why);
	snprintf(d->dp_error, sizeof(d->dp_error), "%s", why);
	pthread_mutex_unlock(&d->dp_lock);
}

/*
 * The running config as a state document: a backend that is down in the
 * dataplane becomes "disabled" (pushed as down again), so that the imported
 * state's effective config is what runs.
 */
static json_t *
as_state(const json_t *config)
{
	json_t *doc = json_deep_copy(config), *vips = json_object_get(doc, "vips");

	for (size_t i = 0; doc != NULL && i < json_array_size(vips); i++) {
		json_t *bes = json_object_get(json_array_get(vips, i), "backends");

		for (size_t j = 0; j < json_array_size(bes); j++) {
			json_t *b = json_array_get(bes, j);
			const char *s = json_string_value(json_object_get(b, "state"));

			if (s != NULL && strcmp(s, "down") == 0)
				json_object_set_new(b, "state", json_string("disabled"));
		}
	}
	return doc;
}

int
sld_dp_import(struct sld *d, const json_t *running)
{
	const json_t *config = json_object_get(running, "config");
	uint64_t gen = (uint64_t)json_integer_value(json_object_get(running, "generation"));
	struct sld_write w = {.who = SLD_IMPORT_WHO, .method = "IMPORT", .path = d->opts.dp_socket};
	char *have = canon_text(config), *want = NULL, *eff = NULL, why[600], summary[160];
	struct sld_state ns = {0};
	struct sld_err e;
	json_t *doc = NULL;
	int rc;

	if (have == NULL) {
		import_failed(d, "the dataplane's running config does not read back: not imported, "
				 "and version 0 (empty) is not pushed over it");
		return -EPROTO;
	}
	want = sld_effective_json(d, &d->snap->state, NULL);
	if (want != NULL && strcmp(have, want) == 0) {
		/* It runs the empty state: nothing to import. */
		adopted(d, have, d->snap->version, gen);
		free(want);
		return 0;
	}
	doc = as_state(config);
	rc = doc ? sld_state_from_json(&ns, doc, &e) : -ENOMEM;
	if (rc < 0) {
		snprintf(why, sizeof(why),
			"the dataplane's running config cannot be imported (%s%s%s): version 0 "
			"(empty) is not pushed over it; PUT a state to take over",
			doc ? e.field : "", doc && e.field[0] ? ": " : "",
			doc ? e.message : "out of memory");
		import_failed(d, why);
		goto out;
	}
	eff = sld_effective_json(d, &ns, NULL);
	if (eff == NULL || strcmp(eff, have) != 0) {
		/* Cannot happen with the mapping above; never import something else. */
		import_failed(d, "the dataplane's running config has no exact state form: not "
				 "imported, and version 0 (empty) is not pushed over it");
		rc = -EPROTO;
		goto out;
	}
	snprintf(summary, sizeof(summary), "imported from sluice-dp (generation %llu): %u VIP%s",
		(unsigned long long)gen, ns.cfg.n_vips, ns.cfg.n_vips == 1 ? "" : "s");
	rc = sld_commit_adopted(d, &w, &ns, summary);
	if (rc < 0) {
		snprintf(why, sizeof(why),
			"importing the dataplane's running config: state directory %s: %s",
			d->opts.state_dir, strerror(-rc));
		import_failed(d, why);
		goto out;
	}
	adopted(d, eff, d->snap->version, gen);
	eff = NULL;
	rc = 0;
out:
	free(have);
	free(want);
	free(eff);
	json_decref(doc);
	sld_state_free(&ns);
	return rc;
}

/* Seed health: active in the state, down in the dataplane = down by health. */
static void
seed_down(struct sld *d, const json_t *config)
{
	const struct sld_state *st = &d->snap->state;
	const json_t *vips = json_object_get(config, "vips");

	for (uint32_t i = 0; i < st->cfg.n_vips; i++) {
		const struct sl_cfg_vip *v = &st->cfg.vips[i];

		for (size_t k = 0; k < json_array_size(vips); k++) {
			const json_t *rv = json_array_get(vips, k),
				     *bes = json_object_get(rv, "backends");
			char key[SLD_KEY_LEN];

			if (sld_json_vip_key(rv, key) < 0 || strcmp(key, st->ext[i].key) != 0)
				continue;
			for (uint32_t j = 0; j < v->n_backends; j++) {
				char a[INET6_ADDRSTRLEN];

				if (v->backends[j].state != SL_BACKEND_ACTIVE)
					continue;
				inet_ntop(v->backends[j].family == SL_FAMILY_IPV6 ? AF_INET6
										  : AF_INET,
					v->backends[j].addr.b, a, sizeof(a));
				for (size_t m = 0; m < json_array_size(bes); m++) {
					const json_t *rb = json_array_get(bes, m);
					const char *ra =
						json_string_value(json_object_get(rb, "address"));
					const char *rs =
						json_string_value(json_object_get(rb, "state"));

					if (ra && rs && strcmp(ra, a) == 0 &&
						strcmp(rs, "down") == 0)
						sld_health_seed_down(d->health, st->ext[i].key, a);
				}
			}
		}
	}
}

void
sld_dp_adopt(struct sld *d)
{
	json_t *reply = NULL;
	char err[256], *running, *want;

	if (sld_dp_request(d->opts.dp_socket, SL_CTL_GET_CONFIG, NULL, SLD_DP_TIMEOUT_MS, &reply,
		    err, sizeof(err)) < 0 ||
		!json_is_true(json_object_get(reply, "ok"))) {
		sld_log(LOG_INFO, "dataplane not reachable at start (%s): will %s when it is",
			reply ? "GET_CONFIG refused" : err,
			d->snap->version == 0 ? "import what it runs" : "push");
		json_decref(reply);
		return;
	}
	pthread_mutex_lock(&d->wlock);
	if (d->snap->version == 0) {
		if (sld_dp_import(d, reply) == 0)
			sld_log(LOG_INFO, "dataplane (generation %llu) runs version %llu: adopted",
				(unsigned long long)d->dp_gen,
				(unsigned long long)d->snap->version);
		goto out;
	}
	seed_down(d, json_object_get(reply, "config"));
	running = canon_text(json_object_get(reply, "config"));
	want = sld_effective_json(d, &d->snap->state, NULL);
	/* Health is still unknown here except for the seeds, which are in both. */
	if (running != NULL && want != NULL && strcmp(running, want) == 0) {
		adopted(d, want, d->snap->version,
			(uint64_t)json_integer_value(json_object_get(reply, "generation")));
		want = NULL;
		sld_log(LOG_INFO, "dataplane runs version %llu already (generation %llu): adopted",
			(unsigned long long)d->snap->version, (unsigned long long)d->dp_gen);
	}
	free(running);
	free(want);
out:
	pthread_mutex_unlock(&d->wlock);
	json_decref(reply);
}
