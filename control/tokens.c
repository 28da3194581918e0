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

static bool
name_ok(const char *s)
{
	size_t n = strlen(s);

	return n > 0 && n < 65 &&
	       strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-@") == n;
}

int
sld_tokens_load(struct sld *d, const char *path, char *err, size_t errlen)
{
	char line[512];
	struct stat sb;
	unsigned int lineno = 0;
	FILE *f;
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
	f = fdopen(fd, "r");
	d->tokens = calloc(MAX_TOKENS, sizeof(*d->tokens));
	if (f == NULL || d->tokens == NULL) {
		snprintf(err, errlen, "--tokens %s: out of memory", path);
		if (f != NULL)
			fclose(f);
		else
			close(fd);
		return -ENOMEM;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		char name[128], role[16], secret[512], extra[2];
		struct sld_token *t;
		char *hash = strchr(line, '#');
		int n;

		lineno++;
		if (hash != NULL)
			*hash = '\0';
		n = sscanf(line, "%127s %15s %511s %1s", name, role, secret, extra);
		if (n <= 0)
			continue;
		if (n != 3 || !name_ok(name) ||
			(strcmp(role, "read") != 0 && strcmp(role, "admin") != 0) ||
			strlen(secret) < MIN_SECRET_LEN || strlen(secret) > 256) {
			snprintf(err, errlen,
				"--tokens %s:%u: expected NAME ROLE SECRET (NAME of "
				"[A-Za-z0-9_.-@], "
				"ROLE read or admin, SECRET of %d..256 characters)",
				path, lineno, MIN_SECRET_LEN);
			rc = -EINVAL;
			break;
		}
		if (d->n_tokens == MAX_TOKENS) {
			snprintf(err, errlen, "--tokens %s: more than %d tokens", path, MAX_TOKENS);
			rc = -E2BIG;
			break;
		}
		t = &d->tokens[d->n_tokens++];
		snprintf(t->name, sizeof(t->name), "%s", name);
		snprintf(t->secret, sizeof(t->secret), "%s", secret);
		t->role = strcmp(role, "admin") == 0 ? SLD_ROLE_ADMIN : SLD_ROLE_READ;
	}
	fclose(f);
	explicit_bzero(line, sizeof(line));
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
