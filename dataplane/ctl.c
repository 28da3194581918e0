/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The control socket server (main lcore): APPLY a whole new config, STATUS,
 * GET_CONFIG. Protocol in include/sluice/ctl.h. One client at a time; a
 * request that does not arrive within a second is dropped, so a stuck client
 * cannot stall config changes for long.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <jansson.h>
#include <rte_cycles.h>
#include <rte_log.h>

#include <sluice/ctl.h>

#include "dp.h"

#define RTE_LOGTYPE_SL_CTL RTE_LOGTYPE_USER2
#define CTL_TIMEOUT_MS	   1000

int
dp_ctl_open(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	unlink(path);
	/* Only root (and the group, for sluiced running as a service user) may connect. */
	mode_t old = umask(0117);
	int rc = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (rc < 0 || listen(fd, 8) < 0) {
		rc = -errno;
		close(fd);
		return rc;
	}
	return fd;
}

static char *
reply_error(const char *msg)
{
	json_t *j = json_pack("{s:b, s:s}", "ok", 0, "error", msg);
	char *s = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	return s;
}

static char *
handle(uint16_t type, const char *payload, uint32_t len)
{
	char err[SL_CFG_ERR_LEN];
	struct dp_gen *g = __atomic_load_n(&dp.gen, __ATOMIC_ACQUIRE);
	json_t *j = NULL;
	char *s;

	switch (type) {
	case SL_CTL_APPLY: {
		struct sl_cfg cfg;
		if (sl_cfg_from_json(&cfg, payload, len, err, sizeof(err)) < 0)
			return reply_error(err);
		int rc = dp_gen_apply(&cfg, err, sizeof(err));
		sl_cfg_free(&cfg);
		if (rc < 0) {
			RTE_LOG(WARNING, SL_CTL, "config refused: %s\n", err);
			return reply_error(err);
		}
		g = __atomic_load_n(&dp.gen, __ATOMIC_ACQUIRE);
		j = json_pack("{s:b, s:I}", "ok", 1, "generation", (json_int_t)g->id);
		break;
	}
	case SL_CTL_STATUS:
		j = json_pack("{s:b, s:I, s:i, s:i, s:i, s:I}", "ok", 1, "generation",
			(json_int_t)g->id, "vips", (int)g->n_vips, "backends", (int)g->n_backends,
			"workers", (int)dp.n_workers, "uptime_s",
			(json_int_t)((rte_get_tsc_cycles() - dp.start_tsc) / rte_get_tsc_hz()));
		break;
	case SL_CTL_GET_CONFIG: {
		json_t *cj = sl_cfg_to_jansson(&g->cfg);
		if (!cj)
			return reply_error("out of memory");
		j = json_pack(
			"{s:b, s:I, s:o}", "ok", 1, "generation", (json_int_t)g->id, "config", cj);
		break;
	}
	case SL_CTL_STATS:
		j = dp_ctl_stats();
		break;
	default:
		snprintf(err, sizeof(err), "unknown request type %u", type);
		return reply_error(err);
	}
	if (!j)
		return reply_error("out of memory");
	s = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	return s;
}

static void
serve(int fd)
{
	/* Requests on one connection until the client closes it or goes quiet. */
	for (;;) {
		struct sl_ctl_hdr h;
		char *payload = NULL;
		int rc = sl_ctl_recv(fd, &h, &payload, CTL_TIMEOUT_MS);
		if (rc < 0) {
			if (rc != -ECONNRESET)
				RTE_LOG(DEBUG, SL_CTL, "control client: %s\n", strerror(-rc));
			free(payload);
			return;
		}
		char *reply = handle(h.type, payload, h.len);
		free(payload);
		if (!reply)
			return;
		rc = sl_ctl_send(fd, SL_CTL_REPLY, h.seq, reply, (uint32_t)strlen(reply));
		free(reply);
		if (rc < 0)
			return;
	}
}

void
dp_ctl_poll(int listen_fd, int timeout_ms)
{
	struct pollfd p = {.fd = listen_fd, .events = POLLIN};

	if (poll(&p, 1, timeout_ms) <= 0)
		return;
	int fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
	if (fd < 0)
		return;
	serve(fd);
	close(fd);
}
