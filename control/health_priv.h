/* SPDX-License-Identifier: BSD-3-Clause */
/* What health.c (targets, verdicts) and health_probe.c (probes) share. */
#ifndef SLD_HEALTH_PRIV_H
#define SLD_HEALTH_PRIV_H

#include <netinet/in.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <ev.h>

#include "health.h"

#define TARGET_KEY_LEN (SLD_KEY_LEN + INET6_ADDRSTRLEN + 2)

/* One backend of one VIP under check. */
struct target {
	struct sld_health *h;
	char key[TARGET_KEY_LEN]; /* "VIPKEY|ADDR" */
	char vip[SLD_KEY_LEN];
	char addr[INET6_ADDRSTRLEN];
	char vip_port[8];
	uint8_t family;
	union sl_ip ip;

	/* Settings (owned copies), written by the checker thread under h->lock. */
	char *sig;
	uint8_t type;
	uint16_t port;
	uint16_t expect_status;
	uint32_t interval_ms, timeout_ms, rise, fall;
	char *path, *host;
	char **argv;

	/* Verdicts: under h->lock. */
	uint8_t health; /* enum sld_hstate */
	bool decided;	/* the first check has completed */
	uint32_t n_ok, n_fail;
	uint64_t up_since_ms;
	uint64_t checks;
	char since[32];
	bool last_ok;
	char last_time[32];
	uint32_t last_latency_ms;
	char last_error[128];

	/* The probe in flight: checker thread only. */
	ev_timer tick;
	ev_timer timeout;
	ev_io io;
	bool running, queued, sent, timed_out;
	int fd;
	pid_t pid;
	int pidfd;
	uint64_t t0;
	char buf[256];
	size_t blen;
	struct target *next; /* in the wait queue */
};

struct sld_health {
	pthread_mutex_t lock;
	pthread_t thread;
	bool started;
	bool quit;
	struct ev_loop *loop;
	ev_async wake;
	json_t *index; /* key -> (intptr_t) struct target * */
	struct target **t;
	size_t n;
	json_t *seeds; /* keys seeded down */
	struct sld_state *pending;
	unsigned int max_inflight, inflight;
	bool draining;		      /* in drain_queue(): checker thread only */
	struct target *qhead, *qtail; /* waiting for a free slot */
	void (*on_change)(void *);
	void *arg;
};

/* health_probe.c */
void sld_probe_tick(struct ev_loop *loop, ev_timer *w, int revents);
void sld_probe_cancel(struct sld_health *h, struct target *t);

/* health.c: one check's outcome (checker thread). */
void sld_health_verdict(struct sld_health *h, struct target *t, bool ok, const char *error);

#endif /* SLD_HEALTH_PRIV_H */
