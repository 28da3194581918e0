/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The state's "filter" onto the XDP filter's pinned maps of every
 * --filter-iface (docs/sluiced.md, "The XDP filter"), through the filter
 * library (<sluice/filter.h>), which builds new maps off to the side and
 * swaps them in whole.
 *
 * A state without "filter" leaves the maps alone (the filter is not
 * sluiced's to manage on this node). With one, sluiced keeps the maps
 * holding exactly it: after each apply it remembers the id of the pinned
 * "conf" map (every apply pins a new one); every reconcile period it looks
 * at that id again, and a different one (the maps were recreated: a purge
 * and a restart of sluice-dp, or someone applied rules with sluice-filter)
 * or none makes it apply the state's rule set again.
 *
 * Each apply opens the maps afresh (creating them when missing) and plugs
 * them into the XDP program attached to the interface at that moment, so
 * a sluice-dp restarted with a new program sees the change too.
 */
#include <errno.h>
#include <limits.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include <sluice/filter.h>

#include "log.h"
#include "sld.h"

/* The id of the map pinned at @root/@ifname/conf, 0 when there is none. */
static uint32_t
pinned_conf_id(const char *root, const char *ifname)
{
	struct bpf_map_info info;
	__u32 len = sizeof(info);
	char path[PATH_MAX];
	int fd;

	snprintf(path, sizeof(path), "%s/%s/conf", root, ifname);
	fd = bpf_obj_get(path);
	if (fd < 0)
		return 0;
	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(fd, &info, &len) < 0)
		info.id = 0;
	close(fd);
	return info.id;
}

/* Apply @cfg to one interface. @return 0 or -errno with @err filled. */
static int
apply_one(struct sld *d, struct sld_fif *fi, const struct sl_filter_cfg *cfg, char *err,
	size_t errlen)
{
	struct sl_filter *f;
	unsigned int ifindex;
	int rc;

	rc = sl_filter_open(&f, d->opts.filter_pin_root, fi->name, SL_FILTER_CREATE);
	if (rc < 0) {
		snprintf(err, errlen, "%s: filter maps under %s: %s%s", fi->name,
			d->opts.filter_pin_root, strerror(-rc),
			rc == -ENOTSUP	? " (not a bpffs)"
			: rc == -EINVAL ? " (pinned by another version: remove the directory)"
					: "");
		return rc;
	}
	/* Into the program attached now (a restarted sluice-dp has a new one). */
	ifindex = if_nametoindex(fi->name);
	if (ifindex > 0)
		sl_filter_plug_ifindex(f, (int)ifindex);
	err[0] = '\0';
	rc = sl_filter_apply(f, cfg, SL_FILTER_PART_ALL, err, errlen);
	sl_filter_close(f);
	if (rc < 0 && err[0] == '\0')
		snprintf(err, errlen, "%s: %s", fi->name, strerror(-rc));
	return rc;
}

int
sld_filter_sync(struct sld *d)
{
	const json_t *want = json_object_get(d->snap->state.doc, "filter");
	struct sl_filter_cfg cfg;
	char *text = NULL, err[SL_FILTER_ERR_LEN];
	bool parsed = false;
	int failed = 0;

	if (want == NULL || d->n_fif == 0)
		return 0; /* not managed here */
	text = json_dumps(want, JSON_COMPACT | JSON_SORT_KEYS);
	if (text == NULL)
		return -ENOMEM;
	for (unsigned int i = 0; i < d->n_fif; i++) {
		struct sld_fif *fi = &d->fif[i];
		uint32_t id = pinned_conf_id(d->opts.filter_pin_root, fi->name);
		char *copy;
		int rc;

		if (fi->applied != NULL && strcmp(fi->applied, text) == 0 && id != 0 &&
			id == fi->conf_id)
			continue; /* in force */
		if (fi->applied != NULL && strcmp(fi->applied, text) == 0)
			sld_log(LOG_INFO,
				"filter on %s: maps recreated or changed behind our back: "
				"applying version %llu's rules again",
				fi->name, (unsigned long long)d->snap->version);
		if (!parsed) {
			rc = sl_filter_cfg_from_json(&cfg, text, err, sizeof(err));
			if (rc < 0) {
				/* Validated before commit: only memory can fail here. */
				sl_filter_cfg_free(&cfg);
				free(text);
				return rc;
			}
			parsed = true;
		}
		rc = apply_one(d, fi, &cfg, err, sizeof(err));
		copy = rc == 0 ? strdup(text) : NULL;
		pthread_mutex_lock(&d->dp_lock);
		if (rc == 0 && copy != NULL) {
			free(fi->applied);
			fi->applied = copy;
			fi->conf_id = pinned_conf_id(d->opts.filter_pin_root, fi->name);
			fi->error[0] = '\0';
		} else {
			if (strcmp(fi->error, err) != 0)
				sld_log(LOG_ERR, "filter on %s: %s", fi->name,
					rc < 0 ? err : "out of memory");
			snprintf(
				fi->error, sizeof(fi->error), "%s", rc < 0 ? err : "out of memory");
			failed++;
		}
		pthread_mutex_unlock(&d->dp_lock);
	}
	if (parsed)
		sl_filter_cfg_free(&cfg);
	free(text);
	return failed;
}

json_t *
sld_filter_status(struct sld *d, const struct sld_snap *snap)
{
	const json_t *want = json_object_get(snap->state.doc, "filter");
	char *text = want ? json_dumps(want, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	json_t *a = json_array();

	for (unsigned int i = 0; a != NULL && i < d->n_fif; i++) {
		const struct sld_fif *fi = &d->fif[i];
		uint32_t id = pinned_conf_id(d->opts.filter_pin_root, fi->name);

		pthread_mutex_lock(&d->dp_lock);
		json_array_append_new(
			a, json_pack("{s:s, s:b, s:s*}", "interface", fi->name, "in_force",
				   text != NULL && fi->applied != NULL &&
					   strcmp(text, fi->applied) == 0 && id != 0 &&
					   id == fi->conf_id,
				   "error", fi->error[0] ? fi->error : NULL));
		pthread_mutex_unlock(&d->dp_lock);
	}
	free(text);
	return json_pack("{s:b, s:s, s:o}", "managed", want != NULL, "pin_root",
		d->opts.filter_pin_root, "interfaces", a ? a : json_array());
}
