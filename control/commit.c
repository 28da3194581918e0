/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Every change of the state goes through sld_commit(), in this order:
 * precondition (If-Match), validation, diff (no change: a no-op), push to
 * the dataplane (refused: nothing changes), commit to disk (failed: the
 * reconciler pushes the old state back), swap in memory, audit, hand the
 * new targets to the health checker. d->lock is held throughout, so two
 * writers are serialised and the second one's If-Match fails rather than
 * overwriting the first.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "sld.h"

static int
audit(struct sld *d, const struct sld_write *w, uint64_t before, uint64_t after,
	const char *summary)
{
	char t[32];
	json_t *e;
	int rc;

	sld_time_now(t, sizeof(t));
	e = json_pack("{s:s, s:s, s:s, s:s, s:I, s:I, s:s}", "time", t, "who", w->who, "method",
		w->method ? w->method : "", "path", w->path ? w->path : "", "version_before",
		(json_int_t)before, "version_after", (json_int_t)after, "summary", summary);
	if (e == NULL)
		return -ENOMEM;
	rc = sld_store_audit(&d->store, e);
	json_decref(e);
	return rc;
}

int
sld_commit(struct sld *d, const struct sld_write *w, const json_t *doc,
	struct sld_write_result *res, struct sld_err *e)
{
	struct sld_state ns;
	char err[512], *summary = NULL, *eff = NULL;
	int rc;

	memset(res, 0, sizeof(*res));
	res->version = d->version;
	if (!w->dry_run && w->if_match < 0)
		return sld_fail(e, 428, "version_required", "If-Match",
			"a write must say which version it is based on: If-Match: \"%llu\"",
			(unsigned long long)d->version);
	if (!w->dry_run && (uint64_t)w->if_match != d->version)
		return sld_fail(e, 412, "version_mismatch", "If-Match",
			"based on version %lld, but the current version is %llu: re-read and "
			"decide again",
			(long long)w->if_match, (unsigned long long)d->version);
	rc = sld_state_from_json(&ns, doc, e);
	if (rc < 0)
		return rc;
	res->diff = sld_diff(d->state.doc, ns.doc);
	if (res->diff == NULL) {
		rc = sld_fail(e, 500, "internal", "", "out of memory");
		goto out;
	}
	res->changed = json_array_size(res->diff) > 0;
	if (w->dry_run || !res->changed)
		goto out;

	eff = sld_effective_json(d, &ns, NULL);
	summary = sld_diff_summary(res->diff);
	if (eff == NULL || summary == NULL) {
		rc = sld_fail(e, 500, "internal", "", "out of memory");
		goto out;
	}
	rc = sld_dp_push(d, eff, d->version + 1, err, sizeof(err));
	if (rc == -EINVAL) {
		rc = sld_fail(e, 409, "dataplane_refused", "", "%s", err);
		goto out;
	}
	if (rc < 0) {
		/* Neither accepted nor refused (a timeout, a broken reply): what runs
		 * is unknown, so nothing is committed and the reconciler looks again. */
		free(d->pushed);
		d->pushed = NULL;
		rc = sld_fail(e, 500, "internal", "", "dataplane: %s; nothing changed", err);
		goto out;
	}
	res->pending = rc == 0;
	rc = sld_store_commit(&d->store, d->version + 1, w->who, summary, ns.doc);
	if (rc < 0) {
		/* The dataplane may run the new state: the reconciler puts the old one back. */
		sld_log(LOG_ERR, "commit of version %llu failed: %s",
			(unsigned long long)d->version + 1, strerror(-rc));
		rc = sld_fail(e, 500, "internal", "", "state directory: %s; nothing changed",
			strerror(-rc));
		sld_wake(d);
		goto out;
	}
	if (audit(d, w, d->version, d->version + 1, summary) < 0)
		sld_log(LOG_ERR, "audit log: could not record version %llu",
			(unsigned long long)d->version + 1);
	d->version++;
	sld_state_free(&d->state);
	d->state = ns;
	memset(&ns, 0, sizeof(ns));
	res->version = d->version;
	if (sld_health_set_targets(d->health, &d->state) < 0)
		sld_log(LOG_ERR, "health checker: out of memory taking the new targets");
	sld_log(LOG_INFO, "version %llu by %s: %s%s", (unsigned long long)d->version, w->who,
		summary, res->pending ? " (dataplane not running: pushed when it is)" : "");
	sld_wake(d);
	rc = 0;
out:
	free(summary);
	free(eff);
	sld_state_free(&ns);
	if (rc < 0) {
		json_decref(res->diff);
		res->diff = NULL;
	}
	return rc;
}
