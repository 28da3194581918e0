/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sluice-pktgen's run-time state: one thread (worker lcore) per queue of the
 * port, each with its own flow cursors, counters and histograms; the main
 * lcore hands out trials and sums what the threads counted.
 */
#ifndef SL_PG_RUN_H
#define SL_PG_RUN_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_common.h>
#include <rte_mempool.h>

#include "hist.h"
#include "pg.h"

#define PG_BURST    32
#define PG_RX_ROUND 4 /* RX bursts drained per loop at most */
/* Rate mode: packets a thread may be behind its schedule before it skips ahead. */
#define PG_MAX_BACKLOG 256
/* A gap this long between two turns of the TX loop: the thread lost its CPU. */
#define PG_STALL_US 200

/* Counters of one stream on one thread (or summed). */
struct pg_sctr {
	uint64_t tx; /* accepted by the port */
	uint64_t tx_bytes;
	uint64_t refused; /* rate mode: the port's TX ring was full (the peer did not keep up) */
	uint64_t rx;	  /* came back, recognised as this stream's, this trial's */
	uint64_t rx_bytes;
	uint64_t rx_encap;   /* ... inside an IP-in-IP tunnel */
	uint64_t flows_seen; /* distinct flows received (--count-flows) */
	struct pg_hist lat;  /* stamp ticks */
};

struct pg_tctr {
	uint64_t rx_total; /* every frame received */
	uint64_t rx_other; /* not ours: no stamp, or a stream index we do not have */
	uint64_t rx_stale; /* ours, from an earlier trial */
	uint64_t alloc_fail;
	uint64_t tx_partial;	   /* tx bursts the port took only part of (back-pressure) */
	uint64_t tx_start, tx_end; /* TSC */
	uint64_t due;		   /* rate mode: packets due by tx_end */
	uint64_t skipped;	   /* rate mode: due but skipped, the thread being too far behind */
	uint64_t stalls;	   /* gaps over PG_STALL_US in the TX loop */
	uint64_t stall_max;	   /* the longest, TSC cycles */
	uint64_t offered;	   /* tx + refused over all streams */
	struct pg_sctr s[PG_MAX_STREAMS];
};

/* Where a thread is in one stream's flows: a block of the stream's flow indices. */
struct pg_cursor {
	uint64_t first; /* first flow index of this thread's block */
	uint64_t n;	/* flows in the block */
	uint64_t k;	/* next: first + k */
	uint32_t addr;	/* address offset of flow first + k */
	uint32_t port;	/* port offset of flow first + k */
};

enum pg_cmd_kind {
	PG_CMD_NONE = 0,
	PG_CMD_TRIAL,
	PG_CMD_WARMUP, /* every flow of every finite stream once, back-pressured */
	PG_CMD_QUIT,
};

/* A trial as the main lcore hands it to the threads (read after seq changes). */
struct pg_cmd {
	enum pg_cmd_kind kind;
	uint8_t tag;
	double pkts_per_tsc;   /* per thread; 0 = flat out (back-pressured, nothing refused) */
	uint64_t start_tsc;    /* common start */
	uint64_t duration_tsc; /* 0: until count */
	uint64_t count;	       /* per thread; 0: until duration */
	uint64_t drain_quiet_tsc, drain_max_tsc;
};

struct pg_thread {
	unsigned int id;
	unsigned int lcore;
	uint16_t port;
	uint16_t queue;
	struct rte_mempool *pool;
	const struct pg_profile *prof;
	uint64_t rng;
	uint16_t sched_pos;
	uint8_t size_pos[PG_MAX_STREAMS];
	struct pg_cursor cur[PG_MAX_STREAMS];
	uint64_t *seen[PG_MAX_STREAMS]; /* --count-flows: bitmap over the block */
	uint32_t done_seq;		/* written by the thread when a command is done */
	uint64_t rx_idle;		/* frames received between commands (read after QUIT) */
	struct pg_tctr c __rte_cache_aligned;
} __rte_cache_aligned;

/* Shared between the main lcore and the threads. */
struct pg_ctl {
	uint32_t seq; /* bumped (release) by main to start a command */
	struct pg_cmd cmd;
	unsigned int n_threads;
	struct pg_thread *th[PG_MAX_THREADS];
};

extern struct pg_ctl pg_ctl;

/* txrx.c */

/* Set up @th's cursors over its block of each stream, and its bitmaps when @count_flows. */
int pg_thread_init(struct pg_thread *th, unsigned int id, unsigned int n_threads,
	const struct pg_profile *prof, bool count_flows);
void pg_thread_free(struct pg_thread *th);
/* The thread's main loop (rte_eal_remote_launch): runs commands until PG_CMD_QUIT. */
int pg_thread_main(void *arg);

#endif /* SL_PG_RUN_H */
