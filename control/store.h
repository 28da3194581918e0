/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The state directory (docs/sluiced.md): one file per committed version, a
 * pointer to the current one, an append-only audit log.
 *
 *   DIR/versions/NNNNNNNN.json   {"version", "time", "who", "summary", "state"}
 *   DIR/current                  "N\n": the committed version
 *   DIR/audit.log                JSON lines
 *
 * Every file is written to NAME.tmp, fsync'd, renamed over NAME, and the
 * directory fsync'd: after a crash at any instant, the pointer names a whole
 * version file. A version file above the pointer is a commit that never
 * completed (no client was told it happened); opening the store removes it.
 */
#ifndef SLD_STORE_H
#define SLD_STORE_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

struct sld_store {
	int dirfd;
	int vdirfd;
	int audit_fd;
	uint64_t current;
};

/*
 * Open (creating it when new: version 0, the empty state, committed by
 * "sluiced") the state directory @dir. *@version_doc gets the current
 * version's file (new reference). A read-only directory that holds a state
 * opens (reads work, every commit fails with -EROFS). @return 0; -errno
 * with @err filled ("DIR/current: ...").
 */
int sld_store_open(
	struct sld_store *s, const char *dir, json_t **version_doc, char *err, size_t errlen);

void sld_store_close(struct sld_store *s);

/*
 * Commit @state as version @version (s->current + 1): write the version
 * file, then the pointer. @return 0 or -errno (then the pointer still names
 * the previous version, and s->current is unchanged).
 */
int sld_store_commit(struct sld_store *s, uint64_t version, const char *who, const char *summary,
	const json_t *state);

/*
 * One version file (new reference), or NULL with errno (ENOENT: no such
 * version, EBADMSG: not a version file). Safe while another thread commits:
 * files appear whole (renamed into place). Callers ask only for versions up
 * to the one they know is committed (a file above it may be a commit in
 * progress).
 */
json_t *sld_store_read(struct sld_store *s, uint64_t version);

/* {version, time, who, summary} of up to @limit versions <= @current, newest first. */
json_t *sld_store_history(struct sld_store *s, uint64_t current, unsigned int limit);

/* Append one JSON line to the audit log and fdatasync it. @return 0 or -errno. */
int sld_store_audit(struct sld_store *s, const json_t *entry);

/*
 * Replace the file @name (relative to the directory @dirfd, or a path with
 * AT_FDCWD) with @len bytes of @data, crash-safely: NAME.tmp written and
 * fsync'd, renamed over NAME, the directory fsync'd. Every file sluiced
 * keeps goes through here. @return 0 or -errno (-ENAMETOOLONG, the I/O's);
 * on error NAME is as it was and NAME.tmp is gone.
 */
int sld_write_atomic(int dirfd, const char *name, const char *data, size_t len);

/* "2024-05-01T12:00:00.123Z" for now, into @buf (32 bytes). */
void sld_time_now(char *buf, size_t len);

#endif /* SLD_STORE_H */
