/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The probes, all non-blocking on the checker's libev loop:
 *   tcp   connect() to ADDR:PORT; success when it completes;
 *   http  then "GET PATH HTTP/1.0" with Host, success when the status line's
 *         code is the one expected (only the status line is read);
 *   exec  the command (no shell) in its own process group, stdio on
 *         /dev/null and no other descriptor, SLUICE_BACKEND / SLUICE_PORT /
 *         SLUICE_VIP in its environment; success on exit status 0. Watched through a pidfd;
 *         past the timeout the whole group gets SIGKILL.
 * Each probe has the target's timeout; at most max_inflight run at once and
 * the rest wait in a FIFO queue for a slot.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "health_priv.h"

static void start_probe(struct sld_health *h, struct target *t);

static void
stop_watchers(struct sld_health *h, struct target *t)
{
	ev_io_stop(h->loop, &t->io);
	ev_timer_stop(h->loop, &t->timeout);
	if (t->fd >= 0)
		close(t->fd);
	if (t->pidfd >= 0)
		close(t->pidfd);
	t->fd = t->pidfd = -1;
}

/*
 * Start waiting probes while there are free slots. A probe that fails at
 * once (no route, no such program) finishes inside start_probe() and calls
 * this again: that inner call returns, and this loop goes on, so a long
 * queue is drained in a loop rather than by recursion as deep as it is.
 */
static void
drain_queue(struct sld_health *h)
{
	if (h->draining)
		return;
	h->draining = true;
	while (h->qhead != NULL && h->inflight < h->max_inflight) {
		struct target *t = h->qhead;

		h->qhead = t->next;
		if (h->qhead == NULL)
			h->qtail = NULL;
		t->next = NULL;
		t->queued = false;
		start_probe(h, t);
	}
	h->draining = false;
}

static void finish(struct sld_health *h, struct target *t, bool ok, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void
finish(struct sld_health *h, struct target *t, bool ok, const char *fmt, ...)
{
	char err[128] = "";
	va_list ap;

	if (fmt != NULL) {
		va_start(ap, fmt);
		vsnprintf(err, sizeof(err), fmt, ap);
		va_end(ap);
	}
	stop_watchers(h, t);
	t->running = false;
	t->pid = 0;
	h->inflight--;
	sld_health_verdict(h, t, ok, ok ? NULL : err);
	drain_queue(h);
}

void
sld_probe_cancel(struct sld_health *h, struct target *t)
{
	if (t->queued) {
		struct target **p = &h->qhead, *prev = NULL;

		while (*p != NULL && *p != t) {
			prev = *p;
			p = &(*p)->next;
		}
		if (*p == t) {
			*p = t->next;
			if (h->qtail == t)
				h->qtail = prev;
		}
		t->queued = false;
		t->next = NULL;
	}
	if (!t->running)
		return;
	if (t->pid > 0) {
		kill(-t->pid, SIGKILL);
		waitpid(t->pid, NULL, 0);
	}
	stop_watchers(h, t);
	t->running = false;
	t->pid = 0;
	h->inflight--;
}

static void
on_timeout(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct target *t = w->data;

	(void)loop;
	(void)revents;
	if (t->pid > 0) {
		/* Kill the group; the pidfd watcher reaps it and reports. */
		t->timed_out = true;
		kill(-t->pid, SIGKILL);
		return;
	}
	finish(t->h, t, false, "timed out after %u ms", t->timeout_ms);
}

static void
http_check_status(struct sld_health *h, struct target *t, bool eof)
{
	int minor, code;
	char *nl;

	t->buf[t->blen] = '\0';
	nl = strchr(t->buf, '\n');
	if (nl == NULL && !eof && t->blen < sizeof(t->buf) - 1)
		return; /* the status line is not complete yet */
	if (sscanf(t->buf, "HTTP/1.%d %3d", &minor, &code) != 2) {
		finish(h, t, false, "no HTTP status line in the answer");
		return;
	}
	if (code != t->expect_status) {
		finish(h, t, false, "HTTP status %d, expected %u", code, t->expect_status);
		return;
	}
	finish(h, t, true, NULL);
}

static void
http_send(struct sld_health *h, struct target *t)
{
	char req[1600], host[INET6_ADDRSTRLEN + 2];
	int n;
	ssize_t w;

	if (t->host == NULL && t->family == SL_FAMILY_IPV6)
		snprintf(host, sizeof(host), "[%s]", t->addr);
	else
		snprintf(host, sizeof(host), "%s", t->host ? "" : t->addr);
	n = snprintf(req, sizeof(req),
		"GET %s HTTP/1.0\r\nHost: %s\r\nUser-Agent: sluiced\r\nConnection: close\r\n\r\n",
		t->path ? t->path : "/", t->host ? t->host : host);
	/* A fresh socket's send buffer takes the whole request at once. */
	w = send(t->fd, req, (size_t)n, MSG_NOSIGNAL);
	if (w != n) {
		finish(h, t, false, "send: %s", w < 0 ? strerror(errno) : "short write");
		return;
	}
	t->sent = true;
	ev_io_stop(h->loop, &t->io);
	ev_io_set(&t->io, t->fd, EV_READ);
	ev_io_start(h->loop, &t->io);
}

static void
on_socket(struct ev_loop *loop, ev_io *w, int revents)
{
	struct target *t = w->data;
	struct sld_health *h = t->h;
	socklen_t len = sizeof(int);
	int err = 0;
	ssize_t n;

	(void)loop;
	(void)revents;
	if (!t->sent) {
		if (getsockopt(t->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
			err = errno;
		if (err != 0) {
			finish(h, t, false, "connect: %s", strerror(err));
			return;
		}
		if (t->type == SLD_HC_TCP) {
			finish(h, t, true, NULL);
			return;
		}
		http_send(h, t);
		return;
	}
	n = read(t->fd, t->buf + t->blen, sizeof(t->buf) - 1 - t->blen);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n < 0) {
		finish(h, t, false, "read: %s", strerror(errno));
		return;
	}
	t->blen += (size_t)n;
	http_check_status(h, t, n == 0);
}

static void
start_socket(struct sld_health *h, struct target *t)
{
	struct sockaddr_storage ss = {0};
	socklen_t len;

	if (t->family == SL_FAMILY_IPV6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(t->port);
		memcpy(&s6->sin6_addr, t->ip.b, 16);
		len = sizeof(*s6);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;

		s4->sin_family = AF_INET;
		s4->sin_port = htons(t->port);
		memcpy(&s4->sin_addr, t->ip.b, 4);
		len = sizeof(*s4);
	}
	t->fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (t->fd < 0) {
		finish(h, t, false, "socket: %s", strerror(errno));
		return;
	}
	if (connect(t->fd, (struct sockaddr *)&ss, len) < 0 && errno != EINPROGRESS) {
		finish(h, t, false, "connect: %s", strerror(errno));
		return;
	}
	/* Writable once connect() completes, in success or failure (SO_ERROR says). */
	ev_io_init(&t->io, on_socket, t->fd, EV_WRITE);
	t->io.data = t;
	ev_io_start(h->loop, &t->io);
}

static void
on_child(struct ev_loop *loop, ev_io *w, int revents)
{
	struct target *t = w->data;
	int status = 0;
	pid_t r;

	(void)loop;
	(void)revents;
	r = waitpid(t->pid, &status, WNOHANG);
	if (r == 0)
		return;
	if (r < 0)
		finish(t->h, t, false, "waitpid: %s", strerror(errno));
	else if (t->timed_out)
		finish(t->h, t, false, "timed out after %u ms (killed)", t->timeout_ms);
	else if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		finish(t->h, t, true, NULL);
	else if (WIFEXITED(status))
		finish(t->h, t, false, "exit status %d", WEXITSTATUS(status));
	else
		finish(t->h, t, false, "killed by signal %d", WTERMSIG(status));
}

static void
start_exec(struct sld_health *h, struct target *t)
{
	char e_be[64], e_port[32], e_vip[96];
	char *envp[] = {e_be, e_port, e_vip,
		"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", NULL};
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	int rc;

	snprintf(e_be, sizeof(e_be), "SLUICE_BACKEND=%s", t->addr);
	snprintf(e_port, sizeof(e_port), "SLUICE_PORT=%u", t->port ? t->port : 0);
	snprintf(e_vip, sizeof(e_vip), "SLUICE_VIP=%s", t->vip);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	/* Nothing else of ours: not every library opens its descriptors with
	 * O_CLOEXEC (libcurl's etcd sockets do not), and a check that outlives
	 * its timeout's kill or forks must not keep them open. */
	posix_spawn_file_actions_addclosefrom_np(&fa, 3);
	posix_spawnattr_init(&attr);
	/* Its own process group, so that a timeout kills what it started too;
	 * default signal handling and an empty mask, whatever ours are. */
	posix_spawnattr_setpgroup(&attr, 0);
	posix_spawnattr_setflags(
		&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
	{
		sigset_t none, all;

		sigemptyset(&none);
		sigfillset(&all);
		posix_spawnattr_setsigmask(&attr, &none);
		posix_spawnattr_setsigdefault(&attr, &all);
	}
	rc = posix_spawn(&t->pid, t->argv[0], &fa, &attr, t->argv, envp);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	if (rc != 0) {
		t->pid = 0;
		finish(h, t, false, "%s: %s", t->argv[0], strerror(rc));
		return;
	}
	/* A pidfd becomes readable when the child exits (even if it already has). */
	t->pidfd = (int)syscall(SYS_pidfd_open, t->pid, 0);
	if (t->pidfd < 0) {
		kill(-t->pid, SIGKILL);
		waitpid(t->pid, NULL, 0);
		t->pid = 0;
		finish(h, t, false, "pidfd_open: %s", strerror(errno));
		return;
	}
	ev_io_init(&t->io, on_child, t->pidfd, EV_READ);
	t->io.data = t;
	ev_io_start(h->loop, &t->io);
}

static void
start_probe(struct sld_health *h, struct target *t)
{
	h->inflight++;
	t->running = true;
	t->sent = t->timed_out = false;
	t->blen = 0;
	t->pid = 0;
	t->t0 = sld_now_ms();
	ev_timer_init(&t->timeout, on_timeout, t->timeout_ms / 1000.0, 0);
	t->timeout.data = t;
	ev_timer_start(h->loop, &t->timeout);
	if (t->type == SLD_HC_EXEC)
		start_exec(h, t);
	else
		start_socket(h, t);
}

void
sld_probe_tick(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct target *t = w->data;
	struct sld_health *h = t->h;

	(void)loop;
	(void)revents;
	if (t->running || t->queued)
		return; /* the previous check is still going or waiting: skip this one */
	if (h->inflight < h->max_inflight) {
		start_probe(h, t);
		return;
	}
	t->queued = true;
	t->next = NULL;
	if (h->qtail != NULL)
		h->qtail->next = t;
	else
		h->qhead = t;
	h->qtail = t;
}
