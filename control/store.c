/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Persistence of the state: version files, the current pointer, the audit
 * log (layout in store.h). Writes are write-to-temporary, fsync, rename,
 * fsync of the directory, so that a kill -9 or a power cut at any instant
 * leaves either the old whole version or the new whole version current.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "state.h"
#include "store.h"

#define MAX_FILE (64u << 20)

void
sld_time_now(char *buf, size_t len)
{
	struct timespec ts;
	struct tm tm;
	char s[24];

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(s, sizeof(s), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf, len, "%s.%03ldZ", s, ts.tv_nsec / 1000000);
}

static int
write_all(int fd, const char *p, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* fsync the directory that holds @path (a path, not at a directory fd). */
static int
fsync_parent(const char *path)
{
	char dir[PATH_MAX], *slash;
	int fd, rc = 0;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (slash == NULL)
		snprintf(dir, sizeof(dir), ".");
	else
		slash[slash == dir] = '\0'; /* "/x" -> "/" */
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fsync(fd) < 0)
		rc = -errno;
	close(fd);
	return rc;
}

int
sld_write_atomic(int dirfd, const char *name, const char *data, size_t len)
{
	char tmp[PATH_MAX];
	int fd, rc;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", name) >= sizeof(tmp))
		return -ENAMETOOLONG;
	fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
	if (fd < 0)
		return -errno;
	rc = write_all(fd, data, len);
	if (rc == 0 && fsync(fd) < 0)
		rc = -errno;
	if (close(fd) < 0 && rc == 0)
		rc = -errno;
	if (rc == 0 && renameat(dirfd, tmp, dirfd, name) < 0)
		rc = -errno;
	if (rc == 0)
		rc = dirfd == AT_FDCWD ? fsync_parent(name) : fsync(dirfd) < 0 ? -errno : 0;
	if (rc < 0)
		unlinkat(dirfd, tmp, 0);
	return rc;
}

static char *
read_at(int dirfd, const char *name, size_t *len)
{
	struct stat sb;
	char *buf;
	int fd;

	fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	if (fstat(fd, &sb) < 0 || sb.st_size > MAX_FILE) {
		close(fd);
		errno = EFBIG;
		return NULL;
	}
	buf = malloc((size_t)sb.st_size + 1);
	*len = 0;
	while (buf != NULL && *len < (size_t)sb.st_size) {
		ssize_t n = read(fd, buf + *len, (size_t)sb.st_size - *len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		*len += (size_t)n;
	}
	close(fd);
	if (buf != NULL)
		buf[*len] = '\0';
	return buf;
}

static void
vname(char *out, size_t len, uint64_t v)
{
	snprintf(out, len, "%08llu.json", (unsigned long long)v);
}

json_t *
sld_store_read(struct sld_store *s, uint64_t version)
{
	char name[32];
	json_error_t je;
	size_t len;
	json_t *j;
	char *buf;

	vname(name, sizeof(name), version);
	buf = read_at(s->vdirfd, name, &len);
	if (buf == NULL)
		return NULL;
	j = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &je);
	free(buf);
	if (j == NULL || !json_is_object(json_object_get(j, "state"))) {
		json_decref(j);
		errno = EBADMSG;
		return NULL;
	}
	return j;
}

static int
write_version(struct sld_store *s, uint64_t version, const char *who, const char *summary,
	const json_t *state)
{
	char name[32], t[32];
	json_t *j;
	char *text;
	int rc;

	sld_time_now(t, sizeof(t));
	j = json_pack("{s:I, s:s, s:s, s:s, s:O}", "version", (json_int_t)version, "time", t, "who",
		who, "summary", summary ? summary : "", "state", state);
	if (j == NULL)
		return -ENOMEM;
	text = json_dumps(j, JSON_INDENT(1));
	json_decref(j);
	if (text == NULL)
		return -ENOMEM;
	vname(name, sizeof(name), version);
	rc = sld_write_atomic(s->vdirfd, name, text, strlen(text));
	free(text);
	return rc;
}

static int
write_current(struct sld_store *s, uint64_t version)
{
	char buf[32];
	int n = snprintf(buf, sizeof(buf), "%llu\n", (unsigned long long)version);

	return sld_write_atomic(s->dirfd, "current", buf, (size_t)n);
}

int
sld_store_commit(struct sld_store *s, uint64_t version, const char *who, const char *summary,
	const json_t *state)
{
	int rc = write_version(s, version, who, summary, state);

	if (rc == 0)
		rc = write_current(s, version);
	if (rc == 0)
		s->current = version;
	return rc;
}

/* Remove temporaries and versions above @current (commits that never completed). */
static void
sweep(struct sld_store *s, int have_current)
{
	DIR *d = fdopendir(dup(s->vdirfd));
	struct dirent *de;

	unlinkat(s->dirfd, "current.tmp", 0);
	if (d == NULL)
		return;
	rewinddir(d); /* a dup() shares the offset of every earlier walk */
	while ((de = readdir(d)) != NULL) {
		unsigned long long v;
		char tail[8];

		if (strstr(de->d_name, ".tmp") != NULL) {
			unlinkat(s->vdirfd, de->d_name, 0);
			continue;
		}
		if (have_current && sscanf(de->d_name, "%llu.%7s", &v, tail) == 2 &&
			strcmp(tail, "json") == 0 && v > s->current)
			unlinkat(s->vdirfd, de->d_name, 0);
	}
	closedir(d);
	fsync(s->vdirfd);
}

static int
count_versions(struct sld_store *s)
{
	DIR *d = fdopendir(dup(s->vdirfd));
	struct dirent *de;
	int n = 0;

	if (d == NULL)
		return -errno;
	rewinddir(d);
	while ((de = readdir(d)) != NULL)
		if (strstr(de->d_name, ".json") != NULL && strstr(de->d_name, ".tmp") == NULL)
			n++;
	closedir(d);
	return n;
}

static int
open_audit(struct sld_store *s)
{
	int fd = openat(s->dirfd, "audit.log", O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);

	if (fd < 0)
		return -errno;
	/* It may have just been created: its name must outlive a crash too. */
	if (fsync(s->dirfd) < 0) {
		int rc = -errno;

		close(fd);
		return rc;
	}
	return fd;
}

static int
fail(char *err, size_t len, int rc, const char *dir, const char *what)
{
	snprintf(err, len, "%s/%s: %s", dir, what, strerror(-rc));
	return rc;
}

int
sld_store_open(struct sld_store *s, const char *dir, json_t **version_doc, char *err, size_t errlen)
{
	char *cur = NULL, *end;
	size_t len;
	int rc;

	*version_doc = NULL;
	s->dirfd = s->vdirfd = s->audit_fd = -1;
	s->current = 0;
	if (mkdir(dir, 0750) < 0 && errno != EEXIST)
		return fail(err, errlen, -errno, dir, "");
	s->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (s->dirfd < 0)
		return fail(err, errlen, -errno, dir, "");
	if (mkdirat(s->dirfd, "versions", 0750) < 0 && errno != EEXIST) {
		rc = fail(err, errlen, -errno, dir, "versions");
		goto out;
	}
	s->vdirfd = openat(s->dirfd, "versions", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (s->vdirfd < 0) {
		rc = fail(err, errlen, -errno, dir, "versions");
		goto out;
	}
	cur = read_at(s->dirfd, "current", &len);
	if (cur == NULL && errno != ENOENT) {
		rc = fail(err, errlen, -errno, dir, "current");
		goto out;
	}
	if (cur == NULL) {
		/* A new directory, or one whose very first commit was cut short. */
		json_t *empty = json_object();

		sweep(s, 0);
		rc = count_versions(s);
		if (rc > 1 || (rc == 1 && (*version_doc = sld_store_read(s, 0)) == NULL)) {
			json_decref(empty);
			snprintf(err, errlen,
				"%s/current is missing but versions exist: restore it by hand "
				"(it holds the current version number)",
				dir);
			rc = -ENOENT;
			goto out;
		}
		json_decref(*version_doc);
		*version_doc = NULL;
		rc = empty ? sld_store_commit(s, 0, "sluiced", "initial empty state", empty)
			   : -ENOMEM;
		json_decref(empty);
		if (rc < 0) {
			fail(err, errlen, rc, dir, "versions/00000000.json");
			goto out;
		}
	} else {
		unsigned long long v;

		errno = 0;
		v = strtoull(cur, &end, 10);
		if (errno != 0 || end == cur || (*end != '\n' && *end != '\0')) {
			snprintf(err, errlen, "%s/current: not a version number", dir);
			rc = -EBADMSG;
			goto out;
		}
		s->current = v;
		sweep(s, 1);
	}
	*version_doc = sld_store_read(s, s->current);
	if (*version_doc == NULL) {
		char name[48];

		snprintf(
			name, sizeof(name), "versions/%08llu.json", (unsigned long long)s->current);
		rc = fail(err, errlen, -errno, dir, name);
		goto out;
	}
	/* A read-only directory still serves reads: the audit log opens at the first write. */
	s->audit_fd = open_audit(s);
	if (s->audit_fd < 0 && s->audit_fd != -EROFS) {
		rc = fail(err, errlen, s->audit_fd, dir, "audit.log");
		s->audit_fd = -1;
		goto out;
	}
	if (s->audit_fd < 0)
		s->audit_fd = -1;
	rc = 0;
out:
	free(cur);
	if (rc < 0) {
		json_decref(*version_doc);
		*version_doc = NULL;
		sld_store_close(s);
	}
	return rc;
}

void
sld_store_close(struct sld_store *s)
{
	if (s->audit_fd >= 0)
		close(s->audit_fd);
	if (s->vdirfd >= 0)
		close(s->vdirfd);
	if (s->dirfd >= 0)
		close(s->dirfd);
	s->dirfd = s->vdirfd = s->audit_fd = -1;
}

json_t *
sld_store_history(struct sld_store *s, uint64_t current, unsigned int limit)
{
	json_t *out = json_array();

	for (uint64_t v = current + 1; out != NULL && v-- > 0 && limit > 0;) {
		json_t *f = sld_store_read(s, v);

		if (f == NULL)
			continue; /* pruned by hand: skip */
		json_object_del(f, "state");
		json_array_append_new(out, f);
		limit--;
	}
	return out;
}

int
sld_store_audit(struct sld_store *s, const json_t *entry)
{
	char *line = json_dumps(entry, JSON_COMPACT);
	struct stat sb = {0};
	size_t n;
	int rc;

	if (line == NULL)
		return -ENOMEM;
	n = strlen(line);
	line[n] = '\n'; /* json_dumps left room for its NUL: reuse it for the newline */
	if (s->audit_fd < 0)
		s->audit_fd = open_audit(s);
	if (s->audit_fd < 0) {
		rc = s->audit_fd;
		s->audit_fd = -1;
		free(line);
		return rc;
	}
	rc = fstat(s->audit_fd, &sb) < 0 ? -errno : write_all(s->audit_fd, line, n + 1);
	/* A line cut short (disk full) would glue itself to the next one: cut it
	 * off (best effort: the write's error is what the caller hears). */
	if (rc < 0 && sb.st_ino != 0)
		(void)!ftruncate(s->audit_fd, sb.st_size);
	if (rc == 0 && fdatasync(s->audit_fd) < 0)
		rc = -errno;
	free(line);
	return rc;
}
