/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * API tokens for the TCP listener (docs/api.md): a file of "NAME ROLE SECRET"
 * lines, refused when group- or world-readable. Secrets are compared in
 * constant time, against every token, so that timing says nothing about
 * which token or how much of one matched.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sld.h"

#define MAX_TOKENS     1024
#define MIN_SECRET_LEN 16
#define MAX_LINE       511
#define MAX_FILE       (1 << 20)

static bool
name_ok(const char *s)
{
	size_t n = strlen(s);

	return n > 0 && n < 65 &&
	       strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-@") == n;
}

/* One line (NUL-terminated, comment cut); @return 1 a token, 0 blank, -EINVAL. */
static int
parse_line(char *line, struct sld_token *t)
{
	char name[128], role[16], secret[512], extra[2];
	char *hash = strchr(line, '#');
	int n;

	if (hash != NULL)
		*hash = '\0';
	n = sscanf(line, "%127s %15s %511s %1s", name, role, secret, extra);
	if (n <= 0)
		return 0;
	if (n != 3 || !name_ok(name) || (strcmp(role, "read") != 0 && strcmp(role, "admin") != 0) ||
		strlen(secret) < MIN_SECRET_LEN || strlen(secret) > 256) {
		explicit_bzero(secret, sizeof(secret));
		return -EINVAL;
	}
	snprintf(t->name, sizeof(t->name), "%s", name);
	snprintf(t->secret, sizeof(t->secret), "%s", secret);
	t->role = strcmp(role, "admin") == 0 ? SLD_ROLE_ADMIN : SLD_ROLE_READ;
	explicit_bzero(secret, sizeof(secret));
	return 1;
}

int
sld_tokens_parse(const char *buf, size_t len, struct sld_token **out, unsigned int *n, char *err,
	size_t errlen)
{
	struct sld_token *t = calloc(MAX_TOKENS, sizeof(*t));
	char line[MAX_LINE + 1];
	unsigned int lineno = 0;
	size_t pos = 0;
	int rc = 0;

	*out = NULL;
	*n = 0;
	if (t == NULL) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	while (pos < len) {
		const char *nl = memchr(buf + pos, '\n', len - pos);
		size_t l = nl ? (size_t)(nl - (buf + pos)) : len - pos;

		lineno++;
		if (l > MAX_LINE || memchr(buf + pos, '\0', l) != NULL) {
			snprintf(err, errlen, "%u: a line above %d bytes, or a NUL byte", lineno,
				MAX_LINE);
			rc = -EINVAL;
			break;
		}
		memcpy(line, buf + pos, l);
		line[l] = '\0';
		pos += l + 1;
		if (*n == MAX_TOKENS) {
			/* Only a blank line or a comment may follow the last token. */
			struct sld_token spare;

			rc = parse_line(line, &spare);
			explicit_bzero(&spare, sizeof(spare));
			if (rc == 0)
				continue;
			snprintf(err, errlen, " more than %d tokens", MAX_TOKENS);
			rc = -E2BIG;
			break;
		}
		rc = parse_line(line, &t[*n]);
		if (rc < 0) {
			snprintf(err, errlen,
				"%u: expected NAME ROLE SECRET (NAME of [A-Za-z0-9_.-@], ROLE read "
				"or admin, SECRET of %d..256 characters)",
				lineno, MIN_SECRET_LEN);
			break;
		}
		*n += (unsigned int)rc;
		rc = 0;
	}
	explicit_bzero(line, sizeof(line));
	if (rc < 0) {
		explicit_bzero(t, MAX_TOKENS * sizeof(*t));
		free(t);
		*n = 0;
		return rc;
	}
	*out = t;
	return 0;
}

int
sld_tokens_load(struct sld *d, const char *path, char *err, size_t errlen)
{
	char msg[256], *buf = NULL;
	struct stat sb;
	size_t len = 0;
	int fd, rc = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &sb) < 0) {
		rc = -errno;
		snprintf(err, errlen, "--tokens %s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return rc;
	}
	if (sb.st_mode & 044) {
		close(fd);
		snprintf(err, errlen,
			"--tokens %s: readable by group or others (mode %03o): chmod 600 it", path,
			(unsigned)(sb.st_mode & 0777));
		return -EPERM;
	}
	if (!S_ISREG(sb.st_mode) || sb.st_size > MAX_FILE) {
		close(fd);
		snprintf(err, errlen, "--tokens %s: not a regular file of at most %d bytes", path,
			MAX_FILE);
		return -EINVAL;
	}
	buf = malloc((size_t)sb.st_size + 1);
	while (buf != NULL && len < (size_t)sb.st_size) {
		ssize_t r = read(fd, buf + len, (size_t)sb.st_size - len);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		len += (size_t)r;
	}
	close(fd);
	if (buf == NULL) {
		snprintf(err, errlen, "--tokens %s: out of memory", path);
		return -ENOMEM;
	}
	rc = sld_tokens_parse(buf, len, &d->tokens, &d->n_tokens, msg, sizeof(msg));
	if (rc < 0)
		snprintf(err, errlen, "--tokens %s:%s", path, msg);
	explicit_bzero(buf, len);
	free(buf);
	return rc;
}

/* 0 when equal; time depends only on the lengths' maximum, not on where they differ. */
static unsigned int
ct_diff(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), n = la > lb ? la : lb;
	unsigned int diff = (unsigned int)(la ^ lb);

	for (size_t i = 0; i < n; i++)
		diff |= (unsigned char)(i < la ? a[i] : 0) ^ (unsigned char)(i < lb ? b[i] : 0);
	return diff;
}

const struct sld_token *
sld_token_find(const struct sld *d, const char *secret)
{
	const struct sld_token *found = NULL;

	for (unsigned int i = 0; i < d->n_tokens; i++)
		if (ct_diff(secret, d->tokens[i].secret) == 0)
			found = &d->tokens[i];
	return found;
}
