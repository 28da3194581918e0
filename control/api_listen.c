/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The API's listeners (docs/sluiced.md): the Unix socket (created with
 * --socket-mode, group sluice when it exists, never taken from a running
 * sluiced), the optional TCP one (--listen), and a libmicrohttpd daemon on
 * each, one thread per connection, with the limits on idle and greedy
 * clients and our own %-decoding of paths. Requests go to api.c.
 */
#include <errno.h>
#include <grp.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <sluice/ctl.h>

#include "api.h"
#include "log.h"

static struct MHD_Daemon *unix_daemon, *tcp_daemon;
static struct sld_listener unix_l, tcp_l;

static int
unix_listen(const struct sld_opts *o, char *err, size_t errlen)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct group *g;
	char dir[sizeof(sa.sun_path)], *slash;
	int fd, probe, rc;
	mode_t old;

	if (strlen(o->socket) >= sizeof(sa.sun_path)) {
		snprintf(err, errlen, "--socket %s: path too long", o->socket);
		return -ENAMETOOLONG;
	}
	strcpy(sa.sun_path, o->socket);
	snprintf(dir, sizeof(dir), "%s", o->socket);
	slash = strrchr(dir, '/');
	if (slash != NULL && slash != dir) {
		*slash = '\0';
		mkdir(dir, 0755);
	}
	/* A socket that answers belongs to a running sluiced: do not steal it. */
	probe = sl_ctl_connect(o->socket);
	if (probe >= 0) {
		close(probe);
		snprintf(err, errlen, "%s: another sluiced is listening there", o->socket);
		return -EADDRINUSE;
	}
	unlink(o->socket);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		goto fail;
	old = umask(0177); /* no window in which others could connect */
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		umask(old);
		goto fail;
	}
	umask(old);
	g = getgrnam("sluice");
	if (g != NULL && chown(o->socket, (uid_t)-1, g->gr_gid) < 0)
		sld_log(LOG_WARNING, "%s: chown to group sluice: %s", o->socket, strerror(errno));
	if (chmod(o->socket, o->socket_mode) < 0 || listen(fd, 64) < 0)
		goto fail;
	return fd;
fail:
	rc = -errno;
	snprintf(err, errlen, "%s: %s", o->socket, strerror(-rc));
	if (fd >= 0)
		close(fd);
	return rc;
}

static int
tcp_listen(const char *spec, char *err, size_t errlen)
{
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM,
		.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE};
	struct addrinfo *ai = NULL;
	char host[128], *port;
	int fd = -1, one = 1, rc;

	if (strlen(spec) >= sizeof(host))
		goto bad;
	if (spec[0] == '[') {
		snprintf(host, sizeof(host), "%s", spec + 1);
		port = strstr(host, "]:");
		if (port == NULL)
			goto bad;
		*port = '\0';
		port += 2;
	} else {
		snprintf(host, sizeof(host), "%s", spec);
		port = strrchr(host, ':');
		if (port == NULL)
			goto bad;
		*port++ = '\0';
	}
	rc = getaddrinfo(host, port, &hints, &ai);
	if (rc != 0)
		goto bad;
	fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
		bind(fd, ai->ai_addr, ai->ai_addrlen) < 0 || listen(fd, 64) < 0) {
		snprintf(err, errlen, "--listen %s: %s", spec, strerror(errno));
		rc = -errno;
		if (fd >= 0)
			close(fd);
		freeaddrinfo(ai);
		return rc;
	}
	freeaddrinfo(ai);
	return fd;
bad:
	snprintf(err, errlen, "--listen %s: not ADDR:PORT or [ADDR]:PORT with numbers", spec);
	return -EINVAL;
}

static int
hexval(char c)
{
	return c >= '0' && c <= '9'   ? c - '0'
	       : c >= 'a' && c <= 'f' ? c - 'a' + 10
	       : c >= 'A' && c <= 'F' ? c - 'A' + 10
				      : -1;
}

/*
 * %-decoding of paths and query arguments, in place. "%00" is left as it
 * is: decoded, it would end the C string early and "/v1/vips/.../80%00/x"
 * would be read as "/v1/vips/.../80".
 */
static size_t
unescape(void *cls, struct MHD_Connection *c, char *s)
{
	char *r = s, *w = s;

	(void)cls;
	(void)c;
	while (*r != '\0') {
		int hi = r[0] == '%' ? hexval(r[1]) : -1, lo = hi >= 0 ? hexval(r[2]) : -1;

		if (hi >= 0 && lo >= 0 && (hi | lo) != 0) {
			*w++ = (char)(hi << 4 | lo);
			r += 3;
		} else {
			*w++ = *r++;
		}
	}
	*w = '\0';
	return (size_t)(w - s);
}

/*
 * One thread per connection: a write waiting for its push to sluice-dp
 * holds its own thread only, never a GET on another connection. Idle
 * connections (a client that sends its request a byte at a time, or not at
 * all) are closed after --client-timeout; at most --max-clients connections
 * per listener, and on TCP at most --max-clients-per-ip from one address,
 * so that one client cannot take every slot.
 */
static struct MHD_Daemon *
serve(int fd, struct sld_listener *l, const struct sld_opts *o)
{
	return MHD_start_daemon(
		MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG,
		0, NULL, NULL, sld_api_request, l, MHD_OPTION_LISTEN_SOCKET, fd,
		MHD_OPTION_NOTIFY_COMPLETED, sld_api_completed, NULL, MHD_OPTION_CONNECTION_TIMEOUT,
		o->client_timeout_s, MHD_OPTION_CONNECTION_LIMIT, o->max_clients,
		MHD_OPTION_PER_IP_CONNECTION_LIMIT, l->tcp ? o->max_clients_per_ip : 0u,
		MHD_OPTION_UNESCAPE_CALLBACK, unescape, NULL, MHD_OPTION_END);
}

int
sld_api_start(struct sld *d, char *err, size_t errlen)
{
	int fd;

	unix_l = (struct sld_listener){d, false};
	tcp_l = (struct sld_listener){d, true};
	fd = unix_listen(&d->opts, err, errlen);
	if (fd < 0)
		return fd;
	unix_daemon = serve(fd, &unix_l, &d->opts);
	if (unix_daemon == NULL) {
		close(fd);
		snprintf(err, errlen, "%s: the HTTP server did not start", d->opts.socket);
		return -EIO;
	}
	if (d->opts.listen == NULL)
		return 0;
	fd = tcp_listen(d->opts.listen, err, errlen);
	if (fd < 0)
		return fd;
	tcp_daemon = serve(fd, &tcp_l, &d->opts);
	if (tcp_daemon == NULL) {
		close(fd);
		snprintf(err, errlen, "--listen %s: the HTTP server did not start", d->opts.listen);
		return -EIO;
	}
	return 0;
}

void
sld_api_stop(struct sld *d)
{
	if (unix_daemon != NULL) {
		MHD_stop_daemon(unix_daemon);
		unlink(d->opts.socket);
	}
	if (tcp_daemon != NULL)
		MHD_stop_daemon(tcp_daemon);
	unix_daemon = tcp_daemon = NULL;
}
