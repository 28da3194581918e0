/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * An interface's filter maps: open or create the pinned inner maps, plug
 * them into a front program's outer maps, and replace rule sets by building
 * new inner maps and swapping them in (the design is in <sluice/bpf_maps.h>).
 * Building the new maps is in filter_build.c (prefix sets: filter_pset.c),
 * reading the state back (rule sets, counters, hits, recent drops) in
 * filter_read.c, the rule-set model and its JSON in filter_cfg.c and
 * filter_json.c, the standalone load in filter_load.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/magic.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "filter_priv.h"

const struct sl_fmap_def sl_fmap_defs[SL_FM_COUNT] = {
	[SL_FM_STATS] = {SL_MAP_XDP_STATS, "stats", BPF_MAP_TYPE_PERCPU_ARRAY, 4,
		sizeof(struct sl_xdp_counter), SL_XDP_STATS_MAX, 0},
	[SL_FM_CONF] = {SL_MAP_F_CONF, "conf", BPF_MAP_TYPE_ARRAY, 4, sizeof(struct sl_filt_conf),
		1, 0},
	[SL_FM_ALLOW] = {SL_MAP_F_ALLOW, "allow", BPF_MAP_TYPE_HASH, sizeof(struct sl_filt_pkey),
		sizeof(struct sl_filt_pval), SL_FILT_ALLOW_MAX *SL_FILT_SET_ROOM,
		BPF_F_NO_PREALLOC},
	[SL_FM_DENY] = {SL_MAP_F_DENY, "deny", BPF_MAP_TYPE_HASH, sizeof(struct sl_filt_pkey),
		sizeof(struct sl_filt_pval), SL_FILT_DENY_MAX *SL_FILT_SET_ROOM, BPF_F_NO_PREALLOC},
	[SL_FM_RATE] = {SL_MAP_F_RATE, "rate", BPF_MAP_TYPE_HASH, sizeof(struct sl_filt_pkey),
		sizeof(struct sl_filt_rate_pval), SL_FILT_RATE_MAX *SL_FILT_SET_ROOM,
		BPF_F_NO_PREALLOC},
	[SL_FM_STATE] = {SL_MAP_F_STATE, "buckets", BPF_MAP_TYPE_LRU_HASH,
		sizeof(struct sl_filt_bucket_key), sizeof(struct sl_filt_bucket),
		SL_FILT_BUCKETS_MAX, 0},
	[SL_FM_HITS] = {SL_MAP_F_HITS, "hits", BPF_MAP_TYPE_ARRAY, 4, sizeof(uint64_t),
		SL_FILT_HITS_MAX, 0},
	[SL_FM_DROPS] = {SL_MAP_F_DROPS, "drops", BPF_MAP_TYPE_RINGBUF, 0, 0, SL_FILT_DROPS_BYTES,
		0},
	[SL_FM_SCOPED] = {SL_MAP_F_SCOPED, "scoped", BPF_MAP_TYPE_LPM_TRIE,
		sizeof(struct sl_filt_key), sizeof(struct sl_filt_rule), SL_FILT_DENY_MAX,
		BPF_F_NO_PREALLOC},
	[SL_FM_HITBUF] = {SL_MAP_F_HITBUF, "hitbuf", BPF_MAP_TYPE_PERCPU_ARRAY, 4,
		sizeof(struct sl_filt_hitbuf), 1, 0},
	[SL_FM_SYN] = {SL_MAP_F_SYN, "syn", BPF_MAP_TYPE_HASH, sizeof(struct sl_filt_syn_key),
		sizeof(struct sl_filt_syn_rule), SL_FILT_SYN_MAX, BPF_F_NO_PREALLOC},
};

int
sl_fmap_create(enum sl_fmap m)
{
	const struct sl_fmap_def *d = &sl_fmap_defs[m];
	LIBBPF_OPTS(bpf_map_create_opts, o, .map_flags = d->flags);
	char name[BPF_OBJ_NAME_LEN];
	int fd;

	/* Named after the outer map with a 'i' suffix cut to 15: bpftool shows what it is. */
	snprintf(name, sizeof(name), "%s_i", d->outer);
	fd = bpf_map_create(d->type, name, d->key_size, d->value_size, d->max_entries, &o);
	return fd < 0 ? -errno : fd;
}

/* Does map @fd have @d's layout? */
static bool
fmap_matches(int fd, const struct sl_fmap_def *d)
{
	struct bpf_map_info info;
	__u32 len = sizeof(info);

	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(fd, &info, &len) < 0)
		return false;
	return info.type == d->type && info.key_size == d->key_size &&
	       info.value_size == d->value_size && info.max_entries == d->max_entries &&
	       info.map_flags == d->flags;
}

static int
pin_path(const struct sl_filter *f, enum sl_fmap m, const char *suffix, char *buf, size_t len)
{
	int n = snprintf(buf, len, "%s/%s%s", f->dir, sl_fmap_defs[m].pin, suffix);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

/*
 * Pin @fd as map @m: pinned beside ("_new": bpffs refuses names with a dot), then
 * renamed over the old pin, so the directory always holds a complete map.
 */
static int
fmap_pin(struct sl_filter *f, enum sl_fmap m, int fd)
{
	char tmp[PATH_MAX], path[PATH_MAX];
	int rc;

	if (!f->dir[0])
		return 0;
	if ((rc = pin_path(f, m, "_new", tmp, sizeof(tmp))) < 0 ||
		(rc = pin_path(f, m, "", path, sizeof(path))) < 0)
		return rc;
	unlink(tmp);
	if (bpf_obj_pin(fd, tmp) < 0)
		return -errno;
	if (rename(tmp, path) < 0) {
		rc = -errno;
		unlink(tmp);
		return rc;
	}
	return 0;
}

static int
check_bpffs(const char *path)
{
	struct statfs st;

	if (statfs(path, &st) < 0)
		return -errno;
	return st.f_type == BPF_FS_MAGIC ? 0 : -ENOTSUP;
}

static int
make_dir(const char *root, const char *ifname, char *dir, size_t len)
{
	int n, rc;

	if (!ifname || !ifname[0] || strlen(ifname) >= IF_NAMESIZE || strchr(ifname, '/') ||
		strcmp(ifname, ".") == 0 || strcmp(ifname, "..") == 0)
		return -EINVAL;
	if (mkdir(root, 0700) < 0 && errno != EEXIST)
		return -errno;
	if ((rc = check_bpffs(root)) < 0)
		return rc;
	n = snprintf(dir, len, "%s/%s", root, ifname);
	if (n < 0 || (size_t)n >= len)
		return -ENAMETOOLONG;
	return 0;
}

int
sl_filter_open(struct sl_filter **out, const char *pin_root, const char *ifname, unsigned flags)
{
	struct sl_filter *f;
	int rc = 0;

	*out = NULL;
	f = calloc(1, sizeof(*f));
	if (!f)
		return -ENOMEM;
	for (int m = 0; m < SL_FM_COUNT; m++)
		f->fd[m] = -1;
	f->prog_fd = -1;

	if (!(flags & SL_FILTER_NO_PIN)) {
		rc = make_dir(
			pin_root ? pin_root : SL_FILTER_PIN_ROOT, ifname, f->dir, sizeof(f->dir));
		if (rc < 0)
			goto fail;
		if (mkdir(f->dir, 0700) < 0 && errno != EEXIST) {
			rc = -errno;
			goto fail;
		}
	}
	for (int m = 0; m < SL_FM_COUNT; m++) {
		char path[PATH_MAX];

		if (f->dir[0]) {
			if ((rc = pin_path(f, m, "", path, sizeof(path))) < 0)
				goto fail;
			f->fd[m] = bpf_obj_get(path);
			if (f->fd[m] >= 0) {
				if (!fmap_matches(f->fd[m], &sl_fmap_defs[m])) {
					rc = -EINVAL;
					goto fail;
				}
				continue;
			}
			if (errno != ENOENT) {
				rc = -errno;
				goto fail;
			}
			if (!(flags & SL_FILTER_CREATE)) {
				rc = -ENOENT;
				goto fail;
			}
		}
		f->fd[m] = sl_fmap_create(m);
		if (f->fd[m] < 0) {
			rc = f->fd[m];
			goto fail;
		}
		/* A new conf says "nothing configured" explicitly: rate key lengths etc. */
		if (m == SL_FM_CONF) {
			struct sl_filter_cfg empty;
			struct sl_filt_conf c;
			__u32 zero = 0;

			sl_filter_cfg_init(&empty);
			sl_fconf_from_cfg(&c, &empty);
			if (bpf_map_update_elem(f->fd[m], &zero, &c, BPF_ANY) < 0) {
				rc = -errno;
				goto fail;
			}
		}
		if ((rc = fmap_pin(f, m, f->fd[m])) < 0)
			goto fail;
	}
	*out = f;
	return 0;
fail:
	sl_filter_close(f);
	return rc;
}

void
sl_filter_close(struct sl_filter *f)
{
	if (!f)
		return;
	for (int m = 0; m < SL_FM_COUNT; m++) {
		if (f->fd[m] >= 0)
			close(f->fd[m]);
		if (f->outer[m] > 0)
			close(f->outer[m]);
	}
	if (f->prog_fd >= 0)
		close(f->prog_fd);
	free(f);
}

const char *
sl_filter_dir(const struct sl_filter *f)
{
	return f->dir;
}

int
sl_filter_map_fd(const struct sl_filter *f, const char *outer_name)
{
	for (int m = 0; m < SL_FM_COUNT; m++)
		if (strcmp(sl_fmap_defs[m].outer, outer_name) == 0)
			return f->fd[m];
	return -ENOENT;
}

/* The outer maps of @prog_fd by name into @outer (0 where absent). @return how many were found. */
static int
find_outer(int prog_fd, int *outer)
{
	__u32 ids[64], len;
	struct bpf_prog_info pinfo;
	int found = 0;

	memset(&pinfo, 0, sizeof(pinfo));
	pinfo.nr_map_ids = sizeof(ids) / sizeof(ids[0]);
	pinfo.map_ids = (__u64)(uintptr_t)ids;
	len = sizeof(pinfo);
	if (bpf_obj_get_info_by_fd(prog_fd, &pinfo, &len) < 0)
		return -errno;
	for (__u32 i = 0; i < pinfo.nr_map_ids && i < sizeof(ids) / sizeof(ids[0]); i++) {
		struct bpf_map_info minfo;
		__u32 mlen = sizeof(minfo);
		int fd = bpf_map_get_fd_by_id(ids[i]);
		bool kept = false;

		if (fd < 0)
			continue;
		memset(&minfo, 0, sizeof(minfo));
		if (bpf_obj_get_info_by_fd(fd, &minfo, &mlen) == 0 &&
			minfo.type == BPF_MAP_TYPE_ARRAY_OF_MAPS) {
			for (int m = 0; m < SL_FM_COUNT; m++) {
				if (outer[m] <= 0 &&
					strcmp(minfo.name, sl_fmap_defs[m].outer) == 0) {
					outer[m] = fd;
					kept = true;
					found++;
					break;
				}
			}
		}
		if (!kept)
			close(fd);
	}
	return found;
}

int
sl_filter_plug(struct sl_filter *f, int prog_fd)
{
	int outer[SL_FM_COUNT] = {0}, rc;
	__u32 zero = 0;

	rc = find_outer(prog_fd, outer);
	if (rc < 0)
		return rc;
	if (rc != SL_FM_COUNT) {
		rc = -ENOENT;
		goto fail;
	}
	for (int m = 0; m < SL_FM_COUNT; m++) {
		if (bpf_map_update_elem(outer[m], &zero, &f->fd[m], BPF_ANY) < 0) {
			rc = -errno;
			goto fail;
		}
	}
	for (int m = 0; m < SL_FM_COUNT; m++) {
		if (f->outer[m] > 0)
			close(f->outer[m]);
		f->outer[m] = outer[m];
	}
	return 0;
fail:
	for (int m = 0; m < SL_FM_COUNT; m++)
		if (outer[m] > 0)
			close(outer[m]);
	return rc;
}

int
sl_filter_plug_ifindex(struct sl_filter *f, int ifindex)
{
	__u32 id = 0;
	int prog_fd, rc;

	if (bpf_xdp_query_id(ifindex, 0, &id) < 0 || id == 0)
		return -ENOENT;
	prog_fd = bpf_prog_get_fd_by_id(id);
	if (prog_fd < 0)
		return -errno;
	rc = sl_filter_plug(f, prog_fd);
	close(prog_fd);
	return rc;
}

/* Zero the hit counters of ids [first, first + n): a replaced list's rules start at 0. */
static void
zero_hits(struct sl_filter *f, uint32_t first, uint32_t n)
{
	uint64_t zero = 0;

	for (uint32_t i = 0; i < n; i++) {
		uint32_t id = first + i;
		bpf_map_update_elem(f->fd[SL_FM_HITS], &id, &zero, BPF_ANY);
	}
}

/*
 * Drop the CPUs' pending hits (struct sl_filt_hitbuf): they belong to the
 * replaced lists' rules. A CPU adding hits meanwhile may lose a batch.
 */
static void
zero_hitbuf(struct sl_filter *f)
{
	int ncpu = libbpf_num_possible_cpus();
	struct sl_filt_hitbuf *v;
	__u32 zero = 0;

	if (ncpu <= 0 || !(v = calloc((size_t)ncpu, sizeof(*v))))
		return;
	bpf_map_update_elem(f->fd[SL_FM_HITBUF], &zero, v, BPF_ANY);
	free(v);
}

int
sl_filter_apply(struct sl_filter *f, const struct sl_filter_cfg *cfg, unsigned parts, char *err,
	size_t errlen)
{
	/* Swap order: the lists first, then the conf that says which lists are in use. */
	static const enum sl_fmap order[] = {
		SL_FM_ALLOW, SL_FM_DENY, SL_FM_SCOPED, SL_FM_RATE, SL_FM_SYN, SL_FM_CONF};
	int fresh[SL_FM_COUNT];
	__u32 zero = 0;
	int rc;

	for (int m = 0; m < SL_FM_COUNT; m++)
		fresh[m] = -1;
	rc = sl_filter_cfg_validate(cfg, err, errlen);
	if (rc < 0)
		return rc;
	err[0] = '\0';

	/* Build everything first: a failure here changes nothing. */
	rc = 0;
	if (parts & SL_FILTER_PART_ALLOW)
		rc = fresh[SL_FM_ALLOW] =
			sl_fbuild_set(SL_FM_ALLOW, SL_FILT_SET_ALLOW, cfg, err, errlen);
	if (rc >= 0 && (parts & SL_FILTER_PART_DENY))
		rc = fresh[SL_FM_DENY] =
			sl_fbuild_set(SL_FM_DENY, SL_FILT_SET_DENY, cfg, err, errlen);
	if (rc >= 0 && (parts & SL_FILTER_PART_DENY))
		rc = fresh[SL_FM_SCOPED] = sl_fbuild_scoped(cfg);
	if (rc >= 0 && (parts & SL_FILTER_PART_RATE))
		rc = fresh[SL_FM_RATE] =
			sl_fbuild_set(SL_FM_RATE, SL_FILT_SET_RATE, cfg, err, errlen);
	if (rc >= 0 && (parts & SL_FILTER_PART_SYN))
		rc = fresh[SL_FM_SYN] = sl_fbuild_syn(cfg);
	if (rc >= 0)
		rc = fresh[SL_FM_CONF] = sl_fbuild_conf(cfg);
	if (rc < 0) {
		if (!err[0])
			snprintf(err, errlen, "cannot build the new maps: %s", strerror(-rc));
		goto out;
	}

	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		enum sl_fmap m = order[i];

		if (fresh[m] < 0)
			continue;
		if (m == SL_FM_ALLOW)
			zero_hits(f, SL_FILT_ID_ALLOW, cfg->n_allow);
		else if (m == SL_FM_DENY)
			zero_hits(f, SL_FILT_ID_DENY, cfg->n_deny);
		else if (m == SL_FM_RATE)
			zero_hits(f, SL_FILT_ID_RATE, cfg->n_rate_ovr);
		if (f->outer[m] > 0 &&
			bpf_map_update_elem(f->outer[m], &zero, &fresh[m], BPF_ANY) < 0) {
			rc = -errno;
			snprintf(err, errlen, "cannot swap in the new %s map: %s",
				sl_fmap_defs[m].pin, strerror(-rc));
			goto out;
		}
		rc = fmap_pin(f, m, fresh[m]);
		if (rc < 0) {
			snprintf(err, errlen, "cannot pin the new %s map in %s: %s",
				sl_fmap_defs[m].pin, f->dir, strerror(-rc));
			goto out;
		}
		close(f->fd[m]);
		f->fd[m] = fresh[m];
		fresh[m] = -1;
	}
	if (parts & (SL_FILTER_PART_ALLOW | SL_FILTER_PART_DENY | SL_FILTER_PART_RATE))
		zero_hitbuf(f);
	rc = 0;
out:
	for (int m = 0; m < SL_FM_COUNT; m++)
		if (fresh[m] >= 0)
			close(fresh[m]);
	return rc;
}
