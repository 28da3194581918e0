/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Control socket framing (include/sluice/ctl.h) over socketpair()s: round
 * trips, large and empty payloads, and every way a peer can misbehave.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <sluice/ctl.h>

#include "test-common.h"

static void
pair(int sv[2])
{
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
}

static void
write_all(int fd, const void *buf, size_t len)
{
	ck_assert_int_eq(write(fd, buf, len), (ssize_t)len);
}

static struct sl_ctl_hdr
raw_hdr(uint32_t magic, uint16_t version, uint32_t len)
{
	struct sl_ctl_hdr h = {
		.magic = magic,
		.version = version,
		.type = SL_CTL_STATUS,
		.len = len,
		.seq = 7,
	};
	return h;
}

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Sends one message from another thread, after @delay_ms, in @chunk-byte
 * pieces @gap_ms apart when @chunk is set (raw bytes, to trickle). */
struct sender {
	int fd;
	const char *payload;
	uint32_t len;
	int delay_ms;
	size_t chunk;
	int gap_ms;
	int rc;
	pthread_t thread;
};

static void
sleep_ms(int ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000};

	nanosleep(&ts, NULL);
}

static void *
send_main(void *arg)
{
	struct sender *s = arg;

	sleep_ms(s->delay_ms);
	if (s->chunk == 0) {
		s->rc = sl_ctl_send(s->fd, SL_CTL_APPLY, 99, s->payload, s->len);
		return NULL;
	}
	struct sl_ctl_hdr h = raw_hdr(SL_CTL_MAGIC, SL_CTL_VERSION, s->len);
	char msg[sizeof(h) + 64];

	memcpy(msg, &h, sizeof(h));
	memcpy(msg + sizeof(h), s->payload, s->len);
	for (size_t off = 0; off < sizeof(h) + s->len; off += s->chunk) {
		size_t n =
			sizeof(h) + s->len - off < s->chunk ? sizeof(h) + s->len - off : s->chunk;

		if (write(s->fd, msg + off, n) != (ssize_t)n) {
			s->rc = -errno;
			return NULL;
		}
		sleep_ms(s->gap_ms);
	}
	s->rc = 0;
	return NULL;
}

static void
start(struct sender *s)
{
	ck_assert_int_eq(pthread_create(&s->thread, NULL, send_main, s), 0);
}

static void
join(struct sender *s)
{
	ck_assert_int_eq(pthread_join(s->thread, NULL), 0);
}

START_TEST(test_round_trip)
{
	static const char body[] = "{\"vips\": []}";
	struct sl_ctl_hdr h;
	char *p = NULL;
	int sv[2];

	pair(sv);
	ck_assert_int_eq(sl_ctl_send(sv[0], SL_CTL_APPLY, 42, body, sizeof(body) - 1), 0);
	ck_assert_int_eq(sl_ctl_recv(sv[1], &h, &p, 1000), 0);
	ck_assert_uint_eq(h.magic, SL_CTL_MAGIC);
	ck_assert_uint_eq(h.version, SL_CTL_VERSION);
	ck_assert_uint_eq(h.type, SL_CTL_APPLY);
	ck_assert_uint_eq(h.seq, 42);
	ck_assert_uint_eq(h.len, sizeof(body) - 1);
	ck_assert_str_eq(p, body); /* NUL-terminated */
	free(p);

	/* And back, as a reply. */
	ck_assert_int_eq(sl_ctl_send(sv[1], SL_CTL_REPLY, 42, "{\"ok\": true}", 12), 0);
	ck_assert_int_eq(sl_ctl_recv(sv[0], &h, &p, -1), 0);
	ck_assert_uint_eq(h.type, SL_CTL_REPLY);
	ck_assert_str_eq(p, "{\"ok\": true}");
	free(p);
	close(sv[0]);
	close(sv[1]);
}
END_TEST

/* Messages queued back to back come out one at a time, each whole. */
START_TEST(test_back_to_back)
{
	struct sl_ctl_hdr h;
	char *p;
	int sv[2];

	pair(sv);
	ck_assert_int_eq(sl_ctl_send(sv[0], SL_CTL_STATUS, 1, "{}", 2), 0);
	ck_assert_int_eq(sl_ctl_send(sv[0], SL_CTL_GET_CONFIG, 2, "{\"x\": 1}", 8), 0);
	ck_assert_int_eq(sl_ctl_send(sv[0], SL_CTL_STATUS, 3, NULL, 0), 0);
	for (uint32_t seq = 1; seq <= 3; seq++) {
		ck_assert_int_eq(sl_ctl_recv(sv[1], &h, &p, 1000), 0);
		ck_assert_uint_eq(h.seq, seq);
		ck_assert_str_eq(p, seq == 1 ? "{}" : seq == 2 ? "{\"x\": 1}" : "");
		free(p);
	}
	close(sv[0]);
	close(sv[1]);
}
END_TEST

/* Far more than a socket buffer: needs a concurrent reader, short writes. */
START_TEST(test_large_payload)
{
	const uint32_t len = 10u << 20;
	char *big = malloc(len), *p;
	struct sender s = {.len = len};
	struct sl_ctl_hdr h;
	int sv[2];

	ck_assert_ptr_nonnull(big);
	for (uint32_t i = 0; i < len; i++)
		big[i] = (char)('a' + i % 26);
	pair(sv);
	s.fd = sv[0];
	s.payload = big;
	start(&s);
	ck_assert_int_eq(sl_ctl_recv(sv[1], &h, &p, 30000), 0);
	join(&s);
	ck_assert_int_eq(s.rc, 0);
	ck_assert_uint_eq(h.len, len);
	ck_assert_uint_eq(h.seq, 99);
	ck_assert_int_eq(memcmp(p, big, len), 0);
	ck_assert_int_eq(p[len], '\0');
	free(p);
	free(big);
	close(sv[0]);
	close(sv[1]);
}
END_TEST

/* Non-blocking descriptors on both ends: EAGAIN is waited out, not returned. */
START_TEST(test_nonblocking)
{
	const uint32_t len = 4u << 20;
	char *big = malloc(len), *p;
	struct sender s = {.len = len, .delay_ms = 50};
	struct sl_ctl_hdr h;
	int sv[2];

	ck_assert_ptr_nonnull(big);
	memset(big, 'x', len);
	pair(sv);
	ck_assert_int_eq(fcntl(sv[0], F_SETFL, O_NONBLOCK), 0);
	ck_assert_int_eq(fcntl(sv[1], F_SETFL, O_NONBLOCK), 0);
	s.fd = sv[0];
	s.payload = big;
	start(&s);
	ck_assert_int_eq(sl_ctl_recv(sv[1], &h, &p, -1), 0);
	join(&s);
	ck_assert_int_eq(s.rc, 0);
	ck_assert_uint_eq(h.len, len);
	ck_assert_int_eq(memcmp(p, big, len), 0);
	free(p);
	free(big);
	close(sv[0]);
	close(sv[1]);
}
END_TEST

START_TEST(test_zero_length)
{
	struct sl_ctl_hdr h;
	char *p = NULL;
	int sv[2];

	pair(sv);
	ck_assert_int_eq(sl_ctl_send(sv[0], SL_CTL_STATUS, 5, NULL, 0), 0);
	ck_assert_int_eq(sl_ctl_recv(sv[1], &h, &p, 1000), 0);
	ck_assert_uint_eq(h.len, 0);
	ck_assert_uint_eq(h.type, SL_CTL_STATUS);
	ck_assert_ptr_nonnull(p);
	ck_assert_str_eq(p, "");
	free(p);
	close(sv[0]);
	close(sv[1]);
}
END_TEST

START_TEST(test_bad_header)
{
	struct sl_ctl_hdr h = raw_hdr(0xdeadbeef, SL_CTL_VERSION, 2), got;
	char *p = (char *)&got; /* must be reset to NULL */
	int sv[2];

	pair(sv);
	write_all(sv[0], &h, sizeof(h));
	write_all(sv[0], "{}", 2);
	ck_assert_int_eq(sl_ctl_recv(sv[1], &got, &p, 1000), -EPROTO);
	ck_assert_ptr_null(p);
	ck_assert_uint_eq(got.magic, 0xdeadbeef); /* as received, for the log */
	close(sv[0]);
	close(sv[1]);

	pair(sv);
	h = raw_hdr(SL_CTL_MAGIC, SL_CTL_VERSION + 1, 2);
	write_all(sv[0], &h, sizeof(h));
	write_all(sv[0], "{}", 2);
	ck_assert_int_eq(sl_ctl_recv(sv[1], &got, &p, 1000), -EPROTO);
	ck_assert_ptr_null(p);
	close(sv[0]);
	close(sv[1]);

	/* The payload is a C string of hdr.len bytes: no NUL inside. */
	pair(sv);
	h = raw_hdr(SL_CTL_MAGIC, SL_CTL_VERSION, 3);
	write_all(sv[0], &h, sizeof(h));
	write_all(sv[0], "a\0b", 3);
	ck_assert_int_eq(sl_ctl_recv(sv[1], &got, &p, 1000), -EPROTO);
	ck_assert_ptr_null(p);
	close(sv[0]);
	close(sv[1]);
}
END_TEST

/* Peak virtual size of this process, in KiB (it never goes down). */
static long
vm_peak_kib(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	long kib = -1;

	ck_assert_ptr_nonnull(f);
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "VmPeak: %ld kB", &kib) == 1)
			break;
	fclose(f);
	ck_assert_int_gt(kib, 0);
	return kib;
}

/*
 * A length above the maximum is refused from the header alone: no payload
 * is waited for (none is sent, and the wait is unbounded), and nothing of
 * that size is allocated, not even briefly (the peak virtual size would
 * show a 4 GiB allocation).
 */
START_TEST(test_oversize)
{
	const uint32_t lens[] = {SL_CTL_MAX_PAYLOAD + 1, UINT32_MAX};
	struct sl_ctl_hdr h, got;
	char *p;
	int sv[2];

	for (size_t i = 0; i < 2; i++) {
		long before;

		pair(sv);
		h = raw_hdr(SL_CTL_MAGIC, SL_CTL_VERSION, lens[i]);
		write_all(sv[0], &h, sizeof(h));
		before = vm_peak_kib();
		ck_assert_int_eq(sl_ctl_recv(sv[1], &got, &p, -1), -EMSGSIZE);
		ck_assert_int_lt(vm_peak_kib() - before, 32 * 1024);
		ck_assert_ptr_null(p);
		ck_assert_uint_eq(got.len, lens[i]);
		close(sv[0]);
		close(sv[1]);
	}
}
END_TEST

START_TEST(test_peer_closed)
{
	struct sl_ctl_hdr h = raw_hdr(SL_CTL_MAGIC, SL_CTL_VERSION, 10), got;
	char *p;
	int sv[2];

	/* Mid-header. */
	pair(sv);
	write_all(sv[0], &h, 5);
	close(sv[0]);
	ck_assert_int_eq(sl_ctl_recv(sv[1], &got, &p, 1000), -ECONNRESET);
	ck_assert_ptr_null(p);
	close(sv[1]);

	/* Mid-payload: the partial payload is freed, not returned. */
	pair(sv);
	write_all(sv[0], &h, sizeof(h));
	write_all(sv[0], "abc", 3);
	close(sv[0]);
	ck_assert_int_eq(sl_ctl_recv(sv[1], &got, &p, 1000), -ECONNRESET);
	ck_assert_ptr_null(p);
	close(sv[1]);

	/* Between messages. */
	pair(sv);
	close(sv[0]);
	ck_assert_int_eq(sl_ctl_recv(sv[1], &got, &p, -1), -ECONNRESET);
	close(sv[1]);
}
END_TEST

START_TEST(test_timeout)
{
	struct sl_ctl_hdr h = raw_hdr(SL_CTL_MAGIC, SL_CTL_VERSION, 10), got;
	struct sender s = {.payload = "0123456789", .len = 10, .chunk = 1, .gap_ms = 30};
	int64_t t0, dt;
	char *p;
	int sv[2];

	/* Nothing at all. */
	pair(sv);
	t0 = now_ms();
	ck_assert_int_eq(sl_ctl_recv(sv[1], &got, &p, 50), -ETIMEDOUT);
	dt = now_ms() - t0;
	ck_assert_int_ge(dt, 50);
	ck_assert_int_lt(dt, 2000);
	ck_assert_ptr_null(p);
	/* 0 means: only what is already there. */
	ck_assert_int_eq(sl_ctl_recv(sv[1], &got, &p, 0), -ETIMEDOUT);
	ck_assert_int_eq(sl_ctl_send(sv[0], SL_CTL_STATUS, 1, "{}", 2), 0);
	ck_assert_int_eq(sl_ctl_recv(sv[1], &got, &p, 0), 0);
	free(p);

	/* A header and part of the payload, then silence. */
	write_all(sv[0], &h, sizeof(h));
	write_all(sv[0], "abc", 3);
	ck_assert_int_eq(sl_ctl_recv(sv[1], &got, &p, 50), -ETIMEDOUT);
	ck_assert_ptr_null(p);
	close(sv[0]);
	close(sv[1]);

	/* A byte every 30 ms, 26 bytes: each read is quick, the message is
	 * not; the timeout bounds the message. */
	pair(sv);
	s.fd = sv[0];
	start(&s);
	t0 = now_ms();
	ck_assert_int_eq(sl_ctl_recv(sv[1], &got, &p, 200), -ETIMEDOUT);
	dt = now_ms() - t0;
	ck_assert_int_lt(dt, 600);
	join(&s);
	close(sv[0]);
	close(sv[1]);
}
END_TEST

START_TEST(test_send_errors)
{
	struct sigaction dfl = {.sa_handler = SIG_DFL}, old;
	int sv[2];

	pair(sv);
	ck_assert_int_eq(
		sl_ctl_send(sv[0], SL_CTL_APPLY, 1, "x", SL_CTL_MAX_PAYLOAD + 1), -EMSGSIZE);
	ck_assert_int_eq(sl_ctl_send(sv[0], SL_CTL_APPLY, 1, NULL, 1), -EINVAL);
	ck_assert_int_eq(sl_ctl_send(sv[0], SL_CTL_APPLY, 1, "a\0b", 3), -EINVAL);
	ck_assert_int_eq(sl_ctl_send(-1, SL_CTL_APPLY, 1, "{}", 2), -EBADF);
	/* A vanished peer is -EPIPE; with SIGPIPE at its default, a send
	 * without MSG_NOSIGNAL would have killed this process. */
	close(sv[1]);
	ck_assert_int_eq(sigaction(SIGPIPE, &dfl, &old), 0);
	ck_assert_int_eq(sl_ctl_send(sv[0], SL_CTL_APPLY, 1, "{}", 2), -EPIPE);
	ck_assert_int_eq(sigaction(SIGPIPE, &old, NULL), 0);
	close(sv[0]);
}
END_TEST

START_TEST(test_recv_errors)
{
	struct sl_ctl_hdr got;
	int closed = dup(0);
	char *p;

	ck_assert_int_ge(closed, 0);
	close(closed);
	ck_assert_int_eq(sl_ctl_recv(closed, &got, &p, 10), -EBADF);
	ck_assert_int_eq(sl_ctl_recv(closed, &got, &p, -1), -EBADF);
	ck_assert_int_eq(sl_ctl_recv(-1, &got, &p, 10), -EBADF);
	ck_assert_int_eq(sl_ctl_recv(0, NULL, &p, 10), -EINVAL);
	ck_assert_int_eq(sl_ctl_recv(0, &got, NULL, 10), -EINVAL);
}
END_TEST

START_TEST(test_connect)
{
	char dir[] = "/tmp/sluice-ctl-XXXXXX", path[sizeof(dir) + 16], longpath[200];
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct sl_ctl_hdr h;
	int lfd, cfd, afd;
	char *p;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/dp.sock", dir);
	ck_assert_int_eq(sl_ctl_connect(path), -ENOENT);

	/* Bound but not listening: refused. */
	strcpy(sa.sun_path, path);
	lfd = socket(AF_UNIX, SOCK_STREAM, 0);
	ck_assert_int_ge(lfd, 0);
	ck_assert_int_eq(bind(lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	ck_assert_int_eq(sl_ctl_connect(path), -ECONNREFUSED);

	ck_assert_int_eq(listen(lfd, 4), 0);
	cfd = sl_ctl_connect(path);
	ck_assert_int_ge(cfd, 0);
	ck_assert_int_eq(fcntl(cfd, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
	afd = accept(lfd, NULL, NULL);
	ck_assert_int_ge(afd, 0);
	ck_assert_int_eq(sl_ctl_send(cfd, SL_CTL_STATUS, 3, "{}", 2), 0);
	ck_assert_int_eq(sl_ctl_recv(afd, &h, &p, 1000), 0);
	ck_assert_uint_eq(h.seq, 3);
	free(p);
	close(afd);
	close(cfd);
	close(lfd);
	unlink(path);
	rmdir(dir);

	memset(longpath, 'a', sizeof(longpath) - 1);
	longpath[0] = '/';
	longpath[sizeof(longpath) - 1] = '\0';
	ck_assert_int_eq(sl_ctl_connect(longpath), -ENAMETOOLONG);
	ck_assert_int_eq(sl_ctl_connect(""), -EINVAL);
	ck_assert_int_eq(sl_ctl_connect(NULL), -EINVAL);
}
END_TEST

static Suite *
ctl_suite(void)
{
	Suite *s = suite_create("ctl");

	SL_TCASE(s, test_round_trip);
	SL_TCASE(s, test_back_to_back);
	SL_TCASE(s, test_large_payload);
	SL_TCASE(s, test_nonblocking);
	SL_TCASE(s, test_zero_length);
	SL_TCASE(s, test_bad_header);
	SL_TCASE(s, test_oversize);
	SL_TCASE(s, test_peer_closed);
	SL_TCASE(s, test_timeout);
	SL_TCASE(s, test_send_errors);
	SL_TCASE(s, test_recv_errors);
	SL_TCASE(s, test_connect);
	return s;
}

SL_TEST_MAIN(ctl_suite)
