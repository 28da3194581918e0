/* SPDX-License-Identifier: BSD-3-Clause */
/* BIRD 2's include file and control socket (bird.h). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "bird.h"
#include "health.h"
#include "store.h"

int
sld_bird_write(const char *path, const char *node, const struct sld_prefix *p, unsigned int n,
	char *err, size_t errlen)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f;
	int rc;

	f = open_memstream(&text, &len);
	if (f == NULL) {
		snprintf(err, errlen, "%s: out of memory", path);
		return -ENOMEM;
	}
	fprintf(f,
		"# Written by sluiced (node %s) at every change of what this node\n"
		"# announces; do not edit. Included by bird.conf (docs/cluster.md).\n",
		node);
	for (int fam = 4; fam <= 6; fam += 2) {
		fprintf(f, "protocol static sluice_vips%d {\n\tipv%d;\n", fam, fam);
		for (unsigned int i = 0; i < n; i++)
			if (p[i].family == fam && p[i].announce)
				fprintf(f, "\troute %s blackhole;\n", p[i].prefix);
		fprintf(f, "}\n");
	}
	if (fclose(f) != 0) {
		free(text);
		snprintf(err, errlen, "%s: out of memory", path);
		return -ENOMEM;
	}
	rc = sld_write_atomic(AT_FDCWD, path, text, len);
	free(text);
	if (rc < 0)
		snprintf(err, errlen, "%s.tmp: %s", path, strerror(-rc));
	return rc;
}

int
sld_bird_reply_line(const char *line, int *code, int *last)
{
	if (line[0] == ' ' || line[0] == '+') {
		/* A continuation of the previous line (' '), or an asynchronous one ('+'). */
		*code = -1;
		*last = 0;
		return 0;
	}
	for (int i = 0; i < 4; i++)
		if (line[i] < '0' || line[i] > '9')
			return -EPROTO;
	if (line[4] != '-' && line[4] != ' ')
		return -EPROTO;
	*code = (line[0] - '0') * 1000 + (line[1] - '0') * 100 + (line[2] - '0') * 10 +
		(line[3] - '0');
	*last = line[4] == ' ';
	return 0;
}

/*
 * Read reply lines until the last one. @want_hello: the first reply is the
 * greeting ("0001 BIRD 2.0.12 ready."). Fills @code with the final code and
 * @err with the text of the first error line (or the final line).
 */
static int
read_reply(int fd, uint64_t deadline_ms, int *code, char *err, size_t errlen)
{
	char buf[8192];
	size_t len = 0;

	for (;;) {
		char *nl;
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		uint64_t now = sld_now_ms();
		ssize_t got;

		while ((nl = memchr(buf, '\n', len)) != NULL) {
			int c, last;

			*nl = '\0';
			if (sld_bird_reply_line(buf, &c, &last) < 0) {
				snprintf(err, errlen, "BIRD: unexpected reply line '%.100s'", buf);
				return -EPROTO;
			}
			if (c >= 8000 || (last && err[0] == '\0'))
				snprintf(err, errlen, "BIRD: %s", buf + 5);
			if (last) {
				*code = c;
				return 0;
			}
			len -= (size_t)(nl + 1 - buf);
			memmove(buf, nl + 1, len);
		}
		if (len == sizeof(buf)) /* a line longer than the buffer: keep the tail */
			len = 0;
		if (now >= deadline_ms) {
			snprintf(err, errlen, "BIRD: no answer within the timeout");
			return -ETIMEDOUT;
		}
		if (poll(&pfd, 1, (int)(deadline_ms - now)) <= 0)
			continue;
		got = read(fd, buf + len, sizeof(buf) - len);
		if (got <= 0) {
			snprintf(err, errlen, "BIRD: control socket closed");
			return -EPROTO;
		}
		len += (size_t)got;
	}
}

int
sld_bird_configure(const char *sock, int timeout_ms, char *err, size_t errlen)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	uint64_t deadline = sld_now_ms() + (uint64_t)timeout_ms;
	static const char cmd[] = "configure\n";
	int fd, rc, code = -1;

	err[0] = '\0';
	if (strlen(sock) >= sizeof(sa.sun_path)) {
		snprintf(err, errlen, "%s: path too long", sock);
		return -ENAMETOOLONG;
	}
	memcpy(sa.sun_path, sock, strlen(sock) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		rc = -errno;
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return rc;
	}
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		rc = -errno;
		snprintf(err, errlen, "BIRD control socket %s: %s", sock, strerror(errno));
		goto out;
	}
	rc = read_reply(fd, deadline, &code, err, errlen);
	if (rc < 0)
		goto out;
	if (code != 1) {
		rc = -EPROTO;
		snprintf(err, errlen, "BIRD: unexpected greeting (code %04d)", code);
		goto out;
	}
	err[0] = '\0';
	if (send(fd, cmd, sizeof(cmd) - 1, MSG_NOSIGNAL) != (ssize_t)(sizeof(cmd) - 1)) {
		rc = -errno;
		snprintf(err, errlen, "BIRD control socket %s: %s", sock, strerror(errno));
		goto out;
	}
	rc = read_reply(fd, deadline, &code, err, errlen);
	if (rc == 0 && code >= 1000)
		rc = -EINVAL; /* 8xxx, 9xxx: refused; err has BIRD's words */
	else if (rc == 0)
		err[0] = '\0';
out:
	close(fd);
	return rc;
}
