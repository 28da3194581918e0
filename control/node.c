/* SPDX-License-Identifier: BSD-3-Clause */
/* The node's announcement decision and its speaker (node.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bird.h"
#include "log.h"
#include "node.h"
#include "sld.h"
#include "store.h"

#define SLD_SPEAKER_RETRY_MS   1000 /* a refused or unreachable speaker, asked again */
#define SLD_SPEAKER_TIMEOUT_MS 2000

static const char *const rule_names[] = {[SLD_ANNOUNCE_ALL] = "all", [SLD_ANNOUNCE_ANY] = "any"};

const char *
sld_announce_rule_name(unsigned int rule)
{
	return rule < 2 ? rule_names[rule] : "?";
}

static int
load_node_file(struct sld *d, char *err, size_t errlen)
{
	char path[4096];
	json_error_t je;
	json_t *j, *m;

	snprintf(path, sizeof(path), "%s/node.json", d->opts.state_dir);
	j = json_load_file(path, 0, &je);
	if (j == NULL) {
		if (access(path, F_OK) < 0 && errno == ENOENT)
			return 0;
		snprintf(err, errlen, "%s: %s", path, je.text);
		return -EINVAL;
	}
	m = json_object_get(j, "maintenance");
	if (m != NULL && !json_is_boolean(m)) {
		snprintf(err, errlen, "%s: maintenance: not a boolean", path);
		json_decref(j);
		return -EINVAL;
	}
	d->nstate->maint_api = json_is_true(m);
	json_decref(j);
	return 0;
}

int
sld_node_save(struct sld *d, bool maint)
{
	char path[4096];
	static const char on[] = "{\"maintenance\":true}\n", off[] = "{\"maintenance\":false}\n";

	if ((size_t)snprintf(path, sizeof(path), "%s/node.json", d->opts.state_dir) >= sizeof(path))
		return -ENAMETOOLONG;
	return sld_write_atomic(
		AT_FDCWD, path, maint ? on : off, maint ? sizeof(on) - 1 : sizeof(off) - 1);
}

int
sld_node_init(struct sld *d, char *err, size_t errlen)
{
	int rc;

	d->nstate = calloc(1, sizeof(*d->nstate));
	if (d->nstate == NULL) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	pthread_mutex_init(&d->nstate->lock, NULL);
	rc = load_node_file(d, err, errlen);
	if (rc < 0)
		return rc;
	if (d->nstate->maint_api)
		sld_log(LOG_INFO, "node in maintenance (set through the API): announcing nothing");
	/* The speaker may start before us: give it a file to include. */
	if (d->opts.bird_include != NULL && access(d->opts.bird_include, F_OK) < 0)
		return sld_bird_write(d->opts.bird_include, d->node, NULL, 0, err, errlen);
	return 0;
}

void
sld_node_fini(struct sld *d)
{
	if (d->nstate == NULL)
		return;
	sld_prefixes_free(d->nstate->last, d->nstate->n_last);
	free(d->nstate->applied);
	pthread_mutex_destroy(&d->nstate->lock);
	free(d->nstate);
	d->nstate = NULL;
}

void
sld_prefixes_free(struct sld_prefix *p, unsigned int n)
{
	for (unsigned int i = 0; i < n && p != NULL; i++)
		json_decref(p[i].reasons);
	free(p);
}

/* Whether VIP @i has enough healthy backends; a reason into @why when not. */
static bool
vip_healthy(struct sld *d, uint32_t i, char *why, size_t len)
{
	const struct sl_cfg_vip *v = &d->snap->state.cfg.vips[i];
	const struct sld_vip_ext *x = &d->snap->state.ext[i];
	uint32_t enabled = 0, healthy = 0;

	for (uint32_t j = 0; j < v->n_backends; j++) {
		const struct sl_cfg_backend *b = &v->backends[j];
		struct sld_hview h = {SLD_H_UNKNOWN, 0};
		char a[INET6_ADDRSTRLEN];

		if (b->state != SL_BACKEND_ACTIVE)
			continue;
		enabled++;
		if (x->hc.type != SLD_HC_NONE) {
			inet_ntop(b->family == SL_FAMILY_IPV6 ? AF_INET6 : AF_INET, b->addr.b, a,
				sizeof(a));
			sld_health_lookup(d->health, x->key, a, &h);
		}
		healthy += h.health != SLD_H_DOWN;
	}
	if (enabled > 0 && healthy >= x->min_count && healthy >= 1 &&
		(uint64_t)healthy * 100 >= (uint64_t)x->min_percent * enabled)
		return true;
	snprintf(why, len, "%s: %u of %u enabled backends healthy (min_healthy: count %u, %u%%)",
		x->key, healthy, enabled, x->min_count, x->min_percent);
	return false;
}

static int
cmp_prefix(const void *a, const void *b)
{
	const struct sld_prefix *x = a, *y = b;

	if (x->family != y->family)
		return x->family - y->family;
	return strcmp(x->prefix, y->prefix);
}

int
sld_node_decide(struct sld *d, bool maint, struct sld_prefix **out, unsigned int *n_out)
{
	const struct sl_cfg *c = &d->snap->state.cfg;
	struct sld_prefix *p = calloc(c->n_vips ? c->n_vips : 1, sizeof(*p));
	bool current = d->dp_up && d->pushed != NULL && d->pushed_version == d->snap->version &&
		       d->dp_error[0] == '\0';
	unsigned int n = 0;

	if (p == NULL)
		return -ENOMEM;
	for (uint32_t i = 0; i < c->n_vips; i++) {
		const struct sl_cfg_vip *v = &c->vips[i];
		char a[INET6_ADDRSTRLEN], pfx[64], why[SLD_KEY_LEN + 128];
		struct sld_prefix *e = NULL;
		bool ok;

		inet_ntop(
			v->family == SL_FAMILY_IPV6 ? AF_INET6 : AF_INET, v->addr.b, a, sizeof(a));
		snprintf(pfx, sizeof(pfx), "%s/%d", a, v->family == SL_FAMILY_IPV6 ? 128 : 32);
		for (unsigned int k = 0; k < n && e == NULL; k++)
			if (strcmp(p[k].prefix, pfx) == 0)
				e = &p[k];
		ok = vip_healthy(d, i, why, sizeof(why));
		if (e == NULL) {
			e = &p[n++];
			snprintf(e->prefix, sizeof(e->prefix), "%s", pfx);
			e->family = v->family == SL_FAMILY_IPV6 ? 6 : 4;
			e->reasons = json_array();
			if (e->reasons == NULL)
				goto oom;
			if (maint)
				json_array_append_new(
					e->reasons, json_string("node in maintenance"));
			if (!d->dp_up)
				json_array_append_new(e->reasons, json_string("dataplane down"));
			else if (!current)
				json_array_append_new(e->reasons,
					json_string(d->dp_error[0]
							    ? "dataplane refused the current "
							      "config"
							    : "dataplane not running the "
							      "current version"));
			/* "all" starts true and ANDs; "any" starts false and ORs. */
			e->announce = d->opts.announce_rule == SLD_ANNOUNCE_ALL;
		}
		if (d->opts.announce_rule == SLD_ANNOUNCE_ALL)
			e->announce = e->announce && ok;
		else
			e->announce = e->announce || ok;
		if (!ok)
			json_array_append_new(e->reasons, json_string(why));
	}
	for (unsigned int k = 0; k < n; k++) {
		p[k].announce = p[k].announce && !maint && current;
		if (p[k].announce)
			json_array_clear(p[k].reasons); /* "any": the failing VIPs are not why */
	}
	qsort(p, n, sizeof(*p), cmp_prefix);
	*out = p;
	*n_out = n;
	return 0;
oom:
	sld_prefixes_free(p, n);
	return -ENOMEM;
}

/* The announced set as text (one prefix a line), to notice changes. malloc'd. */
static char *
set_text(const struct sld_prefix *p, unsigned int n)
{
	size_t len = 1;
	char *s;

	for (unsigned int i = 0; i < n; i++)
		len += strlen(p[i].prefix) + 1;
	s = malloc(len);
	if (s == NULL)
		return NULL;
	s[0] = '\0';
	for (unsigned int i = 0; i < n; i++)
		if (p[i].announce) {
			strcat(s, p[i].prefix);
			strcat(s, "\n");
		}
	return s;
}

void
sld_node_tick(struct sld *d)
{
	struct sld_node *nd = d->nstate;
	struct sld_prefix *p = NULL;
	unsigned int n = 0;
	char *want, err[512];
	bool maint_file, maint, try;
	uint64_t now = sld_now_ms();
	int rc;

	if (nd == NULL)
		return;
	maint_file =
		d->opts.maintenance_file != NULL && access(d->opts.maintenance_file, F_OK) == 0;
	pthread_mutex_lock(&d->wlock); /* d->snap and the dataplane bookkeeping stay */
	pthread_mutex_lock(&nd->lock);
	if (maint_file != nd->maint_file)
		sld_log(LOG_INFO, "maintenance file %s %s", d->opts.maintenance_file,
			maint_file ? "present: node in maintenance" : "gone");
	nd->maint_file = maint_file;
	maint = nd->maint_api || maint_file;
	pthread_mutex_unlock(&nd->lock);
	rc = sld_node_decide(d, maint, &p, &n);
	pthread_mutex_unlock(&d->wlock);
	if (rc < 0)
		return;
	want = set_text(p, n);
	if (want == NULL) {
		sld_prefixes_free(p, n);
		return;
	}
	pthread_mutex_lock(&nd->lock);
	sld_prefixes_free(nd->last, nd->n_last);
	nd->last = p;
	nd->n_last = n;
	nd->speaker_ok = nd->applied != NULL && strcmp(nd->applied, want) == 0;
	try = d->opts.bird_socket != NULL && !nd->speaker_ok &&
	      (nd->error[0] == '\0' || now - nd->last_try_ms >= SLD_SPEAKER_RETRY_MS);
	if (!try) {
		pthread_mutex_unlock(&nd->lock);
		free(want);
		return;
	}
	nd->last_try_ms = now;
	/*
	 * The speaker's I/O without the lock, so that GET /v1/node never waits
	 * on BIRD. The file, the socket and nd->last (@p) are only ever changed
	 * by this thread, so @p stays valid meanwhile.
	 */
	pthread_mutex_unlock(&nd->lock);
	rc = sld_bird_write(d->opts.bird_include, d->node, p, n, err, sizeof(err));
	if (rc == 0)
		rc = sld_bird_configure(
			d->opts.bird_socket, SLD_SPEAKER_TIMEOUT_MS, err, sizeof(err));
	pthread_mutex_lock(&nd->lock);
	if (rc == 0) {
		unsigned int k = 0;

		for (unsigned int i = 0; i < n; i++)
			k += p[i].announce;
		sld_log(LOG_INFO, "BGP: announcing %u of %u VIP prefixes", k, n);
		for (unsigned int i = 0; i < n; i++)
			sld_log(LOG_INFO, "BGP: %s %s", p[i].prefix,
				p[i].announce ? "announced" : "withdrawn");
		free(nd->applied);
		nd->applied = want;
		want = NULL;
		nd->error[0] = '\0';
		nd->speaker_ok = true;
		nd->changes++;
		sld_time_now(nd->changed_at, sizeof(nd->changed_at));
	} else {
		if (strcmp(err, nd->error) != 0)
			sld_log(LOG_ERR, "BGP speaker: %s (retrying every %d ms)", err,
				SLD_SPEAKER_RETRY_MS);
		snprintf(nd->error, sizeof(nd->error), "%s", err);
		nd->speaker_ok = false;
	}
	pthread_mutex_unlock(&nd->lock);
	free(want);
}
