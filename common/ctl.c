/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Control socket framing (see include/sluice/ctl.h for the protocol).
 *
 * The receiver trusts nothing in a header until it has checked it: magic and
 * version first, then the length against SL_CTL_MAX_PAYLOAD, and only then
 * allocates. @timeout_ms bounds the whole message rather than each read, so
 * a peer that trickles one byte at a time cannot hold the reader for longer
 * than that either.
 */
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <sluice/ctl.h>

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Wait for @events on @fd until @deadline (ms, CLOCK_MONOTONIC; < 0: none). */
static int
wait_fd(int fd, short events, int64_t deadline)
{
	struct pollfd p = {.fd = fd, .events = events};
	int64_t left;
	int n;

	for (;;) {
		left = -1;
		if (deadline >= 0) {
			left = deadline - now_ms();
			if (left < 0)
				left = 0; /* one last look before giving up */
		}
		n = poll(&p, 1, left > INT32_MAX ? INT32_MAX : (int)left);
		if (n > 0)
			return p.revents & POLLNVAL ? -EBADF : 0;
		if (n == 0 && deadline >= 0 && now_ms() >= deadline)
			return -ETIMEDOUT;
		if (n < 0 && errno != EINTR)
			return -errno;
	}
}

/* Read exactly @len bytes; end of file before that is -ECONNRESET. */
static int
read_full(int fd, void *buf, size_t len, int64_t deadline)
{
	size_t off = 0;
	ssize_t n;
	int rc;

	while (off < len) {
		/* Blocking forever needs no poll; a deadline does. */
		if (deadline >= 0) {
			rc = wait_fd(fd, POLLIN, deadline);
			if (rc < 0)
				return rc;
		}
		n = read(fd, (char *)buf + off, len - off);
		if (n > 0) {
			off += (size_t)n;
			continue;
		}
		if (n == 0)
			return -ECONNRESET;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return -errno;
		/* A non-blocking fd with nothing yet: wait for it. */
		rc = wait_fd(fd, POLLIN, deadline);
		if (rc < 0)
			return rc;
	}
	return 0;
}

int
sl_ctl_send(int fd, uint16_t type, uint32_t seq, const void *payload, uint32_t len)
{
	struct sl_ctl_hdr hdr = {
		.magic = SL_CTL_MAGIC,
		.version = SL_CTL_VERSION,
		.type = type,
		.len = len,
		.seq = seq,
	};
	struct iovec iov[2] = {
		{.iov_base = &hdr, .iov_len = sizeof(hdr)},
		{.iov_base = (void *)payload, .iov_len = len},
	};
	struct msghdr msg = {.msg_iov = iov, .msg_iovlen = len > 0 ? 2 : 1};
	ssize_t n;
	int rc;

	if (len > SL_CTL_MAX_PAYLOAD)
		return -EMSGSIZE;
	/* The receiver refuses a NUL in the payload; refuse it here first, where
	 * the bug is. */
	if (len > 0 && (payload == NULL || memchr(payload, '\0', len) != NULL))
		return -EINVAL;
	while (msg.msg_iovlen > 0) {
		/* MSG_NOSIGNAL: a peer that went away is -EPIPE, not a SIGPIPE
		 * that kills the daemon. */
		n = sendmsg(fd, &msg, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				return -errno;
			rc = wait_fd(fd, POLLOUT, -1);
			if (rc < 0)
				return rc;
			continue;
		}
		/* Short write: drop what went out and send the rest. */
		while (msg.msg_iovlen > 0 && (size_t)n >= msg.msg_iov->iov_len) {
			n -= (ssize_t)msg.msg_iov->iov_len;
			msg.msg_iov++;
			msg.msg_iovlen--;
		}
		if (msg.msg_iovlen > 0) {
			msg.msg_iov->iov_base = (char *)msg.msg_iov->iov_base + n;
			msg.msg_iov->iov_len -= (size_t)n;
		}
	}
	return 0;
}

int
sl_ctl_recv(int fd, struct sl_ctl_hdr *hdr, char **payload, int timeout_ms)
{
	int64_t deadline = timeout_ms < 0 ? -1 : now_ms() + timeout_ms;
	char *buf;
	int rc;

	if (hdr == NULL || payload == NULL)
		return -EINVAL;
	*payload = NULL;
	if (fd < 0)
		return -EBADF; /* poll() would ignore it and time out */
	rc = read_full(fd, hdr, sizeof(*hdr), deadline);
	if (rc < 0)
		return rc;
	if (hdr->magic != SL_CTL_MAGIC || hdr->version != SL_CTL_VERSION)
		return -EPROTO;
	if (hdr->len > SL_CTL_MAX_PAYLOAD)
		return -EMSGSIZE;
	buf = malloc((size_t)hdr->len + 1);
	if (buf == NULL)
		return -ENOMEM;
	rc = read_full(fd, buf, hdr->len, deadline);
	if (rc < 0)
		goto err;
	buf[hdr->len] = '\0';
	/* The payload is a C string of exactly hdr->len bytes, or refused. */
	if (memchr(buf, '\0', hdr->len) != NULL) {
		rc = -EPROTO;
		goto err;
	}
	*payload = buf;
	return 0;

err:
	free(buf);
	return rc;
}

int
sl_ctl_connect(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd, rc;

	if (path == NULL || path[0] == '\0')
		return -EINVAL;
	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* An AF_UNIX connect() interrupted by a signal leaves the socket
	 * unconnected (unlike TCP, it does not go on in the background), so
	 * trying again is correct. */
	do
		rc = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
	while (rc < 0 && errno == EINTR);
	if (rc < 0) {
		rc = -errno;
		close(fd);
		return rc;
	}
	return fd;
}
