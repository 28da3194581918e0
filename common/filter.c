/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * An interface's filter maps: open or create the pinned inner maps, plug
 * them into a front program's outer maps, and replace rule sets by building
 * new inner maps and swapping them in (the design is in <sluice/bpf_maps.h>).
 * Reading the state back (rule sets, counters, hits, recent drops) is in
 * filter_read.c; the rule-set model and its JSON in filter_cfg*.c.
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
#include <bpf/btf.h>
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

/* ---- building maps from a rule set ---- */

/* The prefixes of list @set of @cfg with their rule ids (deny: the global rules). */
static int
items_of(const struct sl_filter_cfg *cfg, enum sl_filt_set set, struct sl_pset_item **out,
	uint32_t *n)
{
	uint32_t len = set == SL_FILT_SET_ALLOW	 ? cfg->n_allow
		       : set == SL_FILT_SET_DENY ? cfg->n_deny
						 : cfg->n_rate_ovr;
	struct sl_pset_item *v = calloc(len + 1, sizeof(*v));

	*out = v;
	*n = 0;
	if (!v)
		return -ENOMEM;
	for (uint32_t i = 0; i < len; i++) {
		if (set == SL_FILT_SET_ALLOW)
			v[(*n)++] = (struct sl_pset_item){cfg->allow[i], SL_FILT_ID_ALLOW + i};
		else if (set == SL_FILT_SET_RATE)
			v[(*n)++] =
				(struct sl_pset_item){cfg->rate_ovr[i].src, SL_FILT_ID_RATE + i};
		else if (!cfg->deny[i].scoped)
			v[(*n)++] = (struct sl_pset_item){cfg->deny[i].src, SL_FILT_ID_DENY + i};
	}
	return 0;
}

/* The value of rate-set entry @e: its ids, and the limit of its best match. */
static void
rate_value(
	struct sl_filt_rate_pval *v, const struct sl_pset_entry *e, const struct sl_filter_cfg *cfg)
{
	const struct sl_filter_rate_ovr *o;

	memset(v, 0, sizeof(*v));
	v->id = e->id;
	v->self = e->self;
	if (!e->id)
		return;
	o = &cfg->rate_ovr[e->id - 1 - SL_FILT_ID_RATE];
	v->key_len = o->key_len ? o->key_len : (o->src.family == 4 ? cfg->key_len4 : cfg->key_len6);
	sl_frate_fill(&v->rate, &o->rate);
}

/* Write @n keys and values into @fd, in batches (one syscall per element as a fallback). */
static int
put_all(int fd, const void *keys, size_t ksize, const void *vals, size_t vsize, uint32_t n)
{
	const uint32_t chunk = 8192;

	for (uint32_t i = 0; i < n;) {
		__u32 cnt = n - i < chunk ? n - i : chunk;
		const char *k = (const char *)keys + (size_t)i * ksize;
		const char *v = (const char *)vals + (size_t)i * vsize;

		if (bpf_map_update_batch(fd, k, v, &cnt, NULL) == 0) {
			i += cnt;
			continue;
		}
		if (errno != EINVAL && errno != ENOTSUP && errno != EOPNOTSUPP)
			return -errno;
		for (uint32_t j = 0; j < cnt; j++)
			if (bpf_map_update_elem(fd, k + j * ksize, v + j * vsize, BPF_ANY) < 0)
				return -errno;
		i += cnt;
	}
	return 0;
}

/*
 * A new prefix-set map (@m) of list @set of @cfg. @return its fd, or
 * -errno (-ENOSPC with the reason in @err: too many entries with markers).
 */
static int
build_set(enum sl_fmap m, enum sl_filt_set set, const struct sl_filter_cfg *cfg, char *err,
	size_t errlen)
{
	static const char *const names[] = {"allow", "deny.rules", "rate_limit.overrides"};
	const struct sl_fmap_def *d = &sl_fmap_defs[m];
	struct sl_pset_entry *e = NULL;
	struct sl_pset_item *items;
	struct sl_filt_lens lens;
	struct sl_filt_pkey *keys = NULL;
	unsigned char *vals = NULL;
	uint32_t n_items, n = 0;
	int fd = -1, rc;

	if ((rc = items_of(cfg, set, &items, &n_items)) < 0)
		return rc;
	rc = sl_pset_build(items, n_items, d->max_entries, &e, &n, &lens);
	if (rc == -ENOSPC)
		snprintf(err, errlen,
			"%s: %u prefixes need %u entries with the search's markers; the set "
			"holds %u",
			names[set], n_items, n, d->max_entries);
	if (rc < 0)
		goto out;
	keys = malloc(((size_t)n + 1) * sizeof(*keys));
	vals = calloc((size_t)n + 1, d->value_size);
	if (!keys || !vals) {
		rc = -ENOMEM;
		goto out;
	}
	for (uint32_t i = 0; i < n; i++) {
		keys[i] = e[i].k;
		if (set == SL_FILT_SET_RATE) {
			rate_value((struct sl_filt_rate_pval *)(vals + (size_t)i * d->value_size),
				&e[i], cfg);
		} else {
			struct sl_filt_pval v = {e[i].id, e[i].self};

			memcpy(vals + (size_t)i * d->value_size, &v, sizeof(v));
		}
	}
	fd = sl_fmap_create(m);
	if (fd < 0) {
		rc = fd;
		goto out;
	}
	rc = put_all(fd, keys, sizeof(*keys), vals, d->value_size, n);
out:
	if (rc < 0 && fd >= 0)
		close(fd);
	free(items);
	free(e);
	free(keys);
	free(vals);
	return rc < 0 ? rc : fd;
}

static int
build_scoped(const struct sl_filter_cfg *cfg)
{
	int fd = sl_fmap_create(SL_FM_SCOPED);

	for (uint32_t i = 0; fd >= 0 && i < cfg->n_deny; i++) {
		const struct sl_filter_deny *d = &cfg->deny[i];
		struct sl_filt_rule r = {.id = SL_FILT_ID_DENY + i};
		struct sl_filt_key k;

		if (!d->scoped)
			continue;
		memset(&k, 0, sizeof(k));
		k.family = d->src.family;
		memcpy(k.src, d->src.addr, 16);
		k.prefixlen = SL_FILT_KEY_SCOPE_BITS + d->src.len;
		k.proto = d->proto;
		k.port = htons(d->port);
		memcpy(k.dst, d->dst, 16);
		/* A duplicate keeps its first id (BPF_NOEXIST): hits go to the first copy. */
		if (bpf_map_update_elem(fd, &k, &r, BPF_NOEXIST) < 0 && errno != EEXIST) {
			int e = -errno;
			close(fd);
			return e;
		}
	}
	return fd;
}

static int
build_syn(const struct sl_filter_cfg *cfg)
{
	int fd = sl_fmap_create(SL_FM_SYN);

	for (uint32_t i = 0; fd >= 0 && i < cfg->n_syn_ovr; i++) {
		const struct sl_filter_syn_ovr *o = &cfg->syn_ovr[i];
		struct sl_filt_syn_rule r = {.id = i + 1};
		struct sl_filt_syn_key k;

		memset(&k, 0, sizeof(k));
		k.family = o->family;
		k.port = htons(o->port);
		memcpy(k.addr, o->addr, 16);
		sl_fsyn_fill(&r.rate, o->pps, o->burst);
		if (bpf_map_update_elem(fd, &k, &r, BPF_NOEXIST) < 0) {
			int e = -errno;
			close(fd);
			return e;
		}
	}
	return fd;
}

static int
build_conf(const struct sl_filter_cfg *cfg)
{
	int fd = sl_fmap_create(SL_FM_CONF);
	struct sl_filt_conf c;
	__u32 zero = 0;
	int rc = 0;

	if (fd < 0)
		return fd;
	sl_fconf_from_cfg(&c, cfg);
	for (int set = 0; set < SL_FILT_SETS && rc == 0; set++) {
		struct sl_pset_item *items;
		uint32_t n;

		rc = items_of(cfg, set, &items, &n);
		if (rc == 0)
			sl_pset_lens(items, n, &c.lens[set]);
		free(items);
	}
	if (rc == 0 && bpf_map_update_elem(fd, &zero, &c, BPF_ANY) < 0)
		rc = -errno;
	if (rc < 0) {
		close(fd);
		return rc;
	}
	return fd;
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
	if ((parts & SL_FILTER_PART_ALLOW) && (rc = fresh[SL_FM_ALLOW] = build_set(SL_FM_ALLOW,
						       SL_FILT_SET_ALLOW, cfg, err, errlen)) < 0)
		goto built;
	if ((parts & SL_FILTER_PART_DENY) &&
		((rc = fresh[SL_FM_DENY] =
				 build_set(SL_FM_DENY, SL_FILT_SET_DENY, cfg, err, errlen)) < 0 ||
			(rc = fresh[SL_FM_SCOPED] = build_scoped(cfg)) < 0))
		goto built;
	if ((parts & SL_FILTER_PART_RATE) && (rc = fresh[SL_FM_RATE] = build_set(SL_FM_RATE,
						      SL_FILT_SET_RATE, cfg, err, errlen)) < 0)
		goto built;
	if ((parts & SL_FILTER_PART_SYN) && (rc = fresh[SL_FM_SYN] = build_syn(cfg)) < 0)
		goto built;
	rc = fresh[SL_FM_CONF] = build_conf(cfg);
built:
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

/* Set const volatile @var (a __u8 in @map, the object's .rodata) to @val, found through BTF. */
static int
rodata_set_u8(struct bpf_object *obj, struct bpf_map *map, const char *var, uint8_t val)
{
	const struct btf *btf = bpf_object__btf(obj);
	const struct btf_type *sec;
	const struct btf_var_secinfo *vs;
	const void *ro;
	size_t sz;
	int id;

	if (!map || !btf)
		return -ENOENT;
	id = btf__find_by_name_kind(btf, ".rodata", BTF_KIND_DATASEC);
	if (id < 0)
		return -ENOENT;
	sec = btf__type_by_id(btf, (__u32)id);
	ro = bpf_map__initial_value(map, &sz);
	if (!sec || !ro)
		return -ENOENT;
	vs = btf_var_secinfos(sec);
	for (int i = 0; i < btf_vlen(sec); i++, vs++) {
		const struct btf_type *v = btf__type_by_id(btf, vs->type);

		if (v && strcmp(btf__name_by_offset(btf, v->name_off), var) == 0) {
			uint8_t *copy;
			int rc;

			if (vs->size != 1 || vs->offset >= sz)
				return -EINVAL;
			/* libbpf 1.1 hands out the initial value read-only: set a changed copy. */
			copy = malloc(sz);
			if (!copy)
				return -ENOMEM;
			memcpy(copy, ro, sz);
			copy[vs->offset] = val;
			rc = bpf_map__set_initial_value(map, copy, sz);
			free(copy);
			return rc;
		}
	}
	return -ENOENT;
}

int
sl_filter_load_standalone(const char *obj_path, int ifindex, uint32_t xdp_flags, int *prog_fd)
{
	struct bpf_object *obj;
	struct bpf_program *prog;
	struct bpf_map *map;
	int rc;

	*prog_fd = -1;
	obj = bpf_object__open_file(obj_path, NULL);
	if (!obj)
		return -errno;
	map = bpf_object__find_map_by_name(obj, ".rodata");
	rc = rodata_set_u8(obj, map, "sl_standalone", 1);
	if (rc < 0)
		goto out;
	rc = bpf_object__load(obj);
	if (rc < 0)
		goto out;
	prog = bpf_object__next_program(obj, NULL);
	if (!prog) {
		rc = -ENOENT;
		goto out;
	}
	rc = bpf_xdp_attach(ifindex, bpf_program__fd(prog), xdp_flags, NULL);
	if (rc < 0)
		goto out;
	*prog_fd = dup(bpf_program__fd(prog));
	if (*prog_fd < 0)
		rc = -errno;
out:
	bpf_object__close(obj);
	return rc;
}
