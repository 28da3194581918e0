/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A sluice-pktgen thread: one worker lcore, one RX and one TX queue of the
 * port. It sends and receives on the same loop: each turn drains up to
 * PG_RX_ROUND bursts from RX first (what comes back must never back up into
 * the device under test), then sends one burst.
 *
 * TX builds each burst from the templates (pg_fill(): a copy and a few
 * additions per packet), stamped with the time the burst was built. Rate
 * mode sends what is due by the TSC and counts what the port refuses (a
 * full ring: the peer did not keep up) as refused, i.e. lost. Flat-out mode
 * keeps refused packets and retries them, so the peer's pace sets the rate
 * (back-pressure, as a memif link does) and nothing is refused.
 *
 * RX reads each frame's stamp (pkt.h) and counts it to its stream, with its
 * latency; frames without a stamp of this trial are counted apart.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_pause.h>
#include <rte_prefetch.h>

#include "pkt.h"
#include "run.h"

struct pg_ctl pg_ctl;

#define BITMAP_MAX_FLOWS (1ull << 30) /* per thread and stream: 128 MiB */

static inline uint64_t
rng_next(uint64_t *s)
{
	uint64_t x = *s; /* xorshift64* */

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * 0x2545f4914f6cdd1dull;
}

/* The stream's flows: `flows` of them, or every (address, port) once when flows is 0. */
static uint64_t
stream_total(const struct pg_stream *s)
{
	return s->flows ? s->flows : s->n_addrs * s->n_ports;
}

static void
cursor_reset(struct pg_cursor *c, uint32_t n_ports)
{
	c->k = 0;
	c->addr = (uint32_t)(c->first / n_ports);
	c->port = (uint32_t)(c->first % n_ports);
}

int
pg_thread_init(struct pg_thread *th, unsigned int id, unsigned int n_threads,
	const struct pg_profile *prof, bool count_flows)
{
	th->id = id;
	th->prof = prof;
	th->rng = 0x9e3779b97f4a7c15ull * (id + 1) ^ rte_rdtsc();
	if (th->rng == 0)
		th->rng = 1;
	for (unsigned i = 0; i < prof->n_streams; i++) {
		const struct pg_stream *s = &prof->streams[i];
		struct pg_cursor *c = &th->cur[i];
		uint64_t total = stream_total(s), per = total / n_threads, rem = total % n_threads;

		if (!s->random_src && per == 0)
			return -ERANGE; /* fewer flows than threads */
		c->first = per * id + (id < rem ? id : rem);
		c->n = per + (id < rem ? 1 : 0);
		cursor_reset(c, s->n_ports);
		if (count_flows && s->flows && !s->random_src && s->malformed == PG_MAL_NONE &&
			c->n <= BITMAP_MAX_FLOWS) {
			th->seen[i] = calloc((c->n + 63) / 64, sizeof(uint64_t));
			if (!th->seen[i])
				return -ENOMEM;
		}
	}
	return 0;
}

void
pg_thread_free(struct pg_thread *th)
{
	for (unsigned i = 0; i < PG_MAX_STREAMS; i++) {
		free(th->seen[i]);
		th->seen[i] = NULL;
	}
}

/* Source (address word, port) of the next packet of stream @sid. */
static inline void
next_src(struct pg_thread *th, unsigned sid, uint32_t *addr, uint16_t *port)
{
	const struct pg_stream *s = &th->prof->streams[sid];

	if (s->random_src) {
		uint64_t r = rng_next(&th->rng);
		*addr = s->src_base + (uint32_t)((r >> 32) & (s->n_addrs - 1));
		*port = (uint16_t)(s->sport_lo + (((r & 0xffffffffu) * s->n_ports) >> 32));
		return;
	}
	struct pg_cursor *c = &th->cur[sid];
	*addr = s->src_base + c->addr;
	*port = (uint16_t)(s->sport_lo + c->port);
	if (++c->k == c->n) {
		cursor_reset(c, s->n_ports); /* the only division, once per pass */
	} else if (++c->port == s->n_ports) {
		c->port = 0;
		c->addr++;
	}
}

/*
 * Allocate and write @n packets into @pkts (their stream indices into @sids):
 * streams in the profile's interleaved order, or all of stream @forced when
 * it is >= 0. @return how many (0 when the pool is empty).
 */
static inline uint16_t
build(struct pg_thread *th, struct rte_mbuf **pkts, uint8_t *sids, uint16_t n, int forced,
	uint8_t tag, uint64_t now)
{
	const struct pg_profile *p = th->prof;
	uint32_t ts = (uint32_t)(now >> PG_STAMP_TS_SHIFT);

	if (rte_pktmbuf_alloc_bulk(th->pool, pkts, n) != 0)
		return 0;
	for (uint16_t i = 0; i < n; i++) {
		unsigned sid;
		if (forced >= 0) {
			sid = (unsigned)forced;
		} else {
			sid = p->sched[th->sched_pos];
			if (++th->sched_pos == p->sched_len)
				th->sched_pos = 0;
		}
		const struct pg_stream *s = &p->streams[sid];
		uint8_t si = s->size_sched[th->size_pos[sid]];
		if (++th->size_pos[sid] == s->size_sched_len)
			th->size_pos[sid] = 0;
		const struct pg_tmpl *t = s->tmpl[si];
		uint32_t addr;
		uint16_t port;

		next_src(th, sid, &addr, &port);
		pg_fill(rte_pktmbuf_mtod(pkts[i], uint8_t *), t, addr, port, tag, (uint8_t)sid, ts);
		pkts[i]->data_len = t->len;
		pkts[i]->pkt_len = t->len;
		sids[i] = (uint8_t)sid;
	}
	return n;
}

static inline void
count_flow(struct pg_thread *th, unsigned sid, const uint8_t *d, uint32_t len, bool encap)
{
	const struct pg_stream *s = &th->prof->streams[sid];
	const struct pg_cursor *c = &th->cur[sid];
	uint32_t addr;
	uint16_t port;

	if (!pg_peek_src(d, len, encap, &addr, &port))
		return;
	uint64_t f = (uint64_t)(uint32_t)(addr - s->src_base) * s->n_ports +
		     (uint16_t)(port - s->sport_lo);
	if (f < c->first || f >= c->first + c->n)
		return;
	f -= c->first;
	uint64_t bit = 1ull << (f % 64);
	if (!(th->seen[sid][f / 64] & bit)) {
		th->seen[sid][f / 64] |= bit;
		th->c.s[sid].flows_seen++;
	}
}

static inline void
classify(struct pg_thread *th, const struct rte_mbuf *m, uint8_t tag, uint32_t now)
{
	const uint8_t *d = rte_pktmbuf_mtod(m, const uint8_t *);
	struct pg_peek pk;

	if (unlikely(m->nb_segs != 1 || !pg_peek_stamp(d, m->data_len, &pk) ||
		     pk.sid >= th->prof->n_streams)) {
		th->c.rx_other++;
		return;
	}
	if (unlikely(pk.tag != tag)) {
		if (pk.tag != 0)
			th->c.rx_stale++;
		else
			th->c.rx_other++;
		return;
	}
	struct pg_sctr *sc = &th->c.s[pk.sid];
	sc->rx++;
	sc->rx_bytes += m->data_len;
	sc->rx_encap += pk.encap;
	/* Mod 2^32: a TX time a little after @now (another core's TSC) reads as ~0, not 2^32. */
	uint32_t lat = now - pk.ts;
	pg_hist_add(&sc->lat, (int32_t)lat < 0 ? 0 : lat);
	if (th->seen[pk.sid])
		count_flow(th, pk.sid, d, m->data_len, pk.encap);
}

/* Drain RX: up to PG_RX_ROUND bursts. @return frames received. */
static inline uint16_t
rx_poll(struct pg_thread *th, uint8_t tag)
{
	struct rte_mbuf *pkts[PG_BURST];
	uint16_t total = 0;

	for (int r = 0; r < PG_RX_ROUND; r++) {
		uint16_t n = rte_eth_rx_burst(th->port, th->queue, pkts, PG_BURST);
		if (n == 0)
			break;
		uint32_t now = (uint32_t)(rte_rdtsc() >> PG_STAMP_TS_SHIFT);
		for (uint16_t i = 0; i < n; i++) {
			if (i + 1 < n) {
				const struct rte_mbuf *nx = pkts[i + 1];
				rte_prefetch0(rte_pktmbuf_mtod_offset(
					nx, const uint8_t *, nx->data_len - PG_STAMP_LEN));
			}
			classify(th, pkts[i], tag, now);
		}
		rte_pktmbuf_free_bulk(pkts, n);
		total += n;
		if (n < PG_BURST)
			break;
	}
	th->c.rx_total += total;
	return total;
}

/*
 * Send until @end (TSC) or until @limit packets were offered, of stream
 * @forced or of the profile's mix. @return packets offered (sent + refused).
 */
static uint64_t
send_loop(struct pg_thread *th, const struct pg_cmd *cmd, int forced, uint64_t limit)
{
	struct pg_tctr *c = &th->c;
	struct rte_mbuf *pend[PG_BURST];
	uint8_t sid[PG_BURST];
	uint16_t np = 0, pi = 0;
	uint64_t offered = 0, start = cmd->start_tsc, prev = rte_rdtsc();
	uint64_t end = cmd->duration_tsc ? start + cmd->duration_tsc : UINT64_MAX;
	uint64_t stall_tsc = rte_get_tsc_hz() / 1000000 * PG_STALL_US;
	bool rate = cmd->pkts_per_tsc > 0;

	for (;;) {
		uint64_t now = rte_rdtsc();

		/* A turn of this loop takes a few microseconds: a long gap means this
		 * thread lost its CPU, and the trial is not the schedule it meant to be. */
		if (unlikely(now - prev > stall_tsc)) {
			c->stalls++;
			if (now - prev > c->stall_max)
				c->stall_max = now - prev;
		}
		prev = now;
		rx_poll(th, cmd->tag);
		if (now >= end)
			break;
		if (pi == np) {
			if (offered >= limit)
				break;
			uint64_t want = PG_BURST;
			if (rate) {
				uint64_t due =
					(uint64_t)((double)(now - start) * cmd->pkts_per_tsc) -
					c->skipped;
				if (due <= offered)
					continue;
				/*
				 * Behind (this thread was descheduled): catching up in one
				 * rush would offer the peer a burst the schedule never had.
				 * Skip what is over PG_MAX_BACKLOG; the trial reports it
				 * and counts as generator-limited.
				 */
				if (due - offered > PG_MAX_BACKLOG) {
					c->skipped += due - offered - PG_MAX_BACKLOG;
					due = offered + PG_MAX_BACKLOG;
				}
				want = RTE_MIN(want, due - offered);
			}
			want = RTE_MIN(want, limit - offered);
			np = build(th, pend, sid, (uint16_t)want, forced, cmd->tag, now);
			pi = 0;
			if (np == 0) {
				c->alloc_fail++;
				continue;
			}
		}
		uint16_t k = rte_eth_tx_burst(th->port, th->queue, pend + pi, np - pi);
		for (uint16_t i = pi; i < pi + k; i++) {
			c->s[sid[i]].tx++;
			c->s[sid[i]].tx_bytes += pend[i]->pkt_len;
		}
		pi += k;
		offered += k;
		if (pi < np) {
			c->tx_partial++;
			if (rate) {
				for (uint16_t i = pi; i < np; i++)
					c->s[sid[i]].refused++;
				rte_pktmbuf_free_bulk(pend + pi, np - pi);
				offered += np - pi;
				pi = np;
			}
		}
	}
	/* Flat out: what the port never took was never offered. */
	if (pi < np)
		rte_pktmbuf_free_bulk(pend + pi, np - pi);
	return offered;
}

static void
run(struct pg_thread *th, const struct pg_cmd *cmd)
{
	struct pg_tctr *c = &th->c;
	const struct pg_profile *p = th->prof;

	memset(c, 0, sizeof(*c));
	for (unsigned i = 0; i < p->n_streams; i++)
		if (th->seen[i])
			memset(th->seen[i], 0, (th->cur[i].n + 63) / 64 * sizeof(uint64_t));
	while (rte_rdtsc() < cmd->start_tsc)
		rx_poll(th, cmd->tag);
	c->tx_start = cmd->start_tsc;

	if (cmd->kind == PG_CMD_WARMUP) {
		for (unsigned i = 0; i < p->n_streams; i++) {
			const struct pg_stream *s = &p->streams[i];
			if (s->flows && !s->random_src)
				c->offered += send_loop(th, cmd, (int)i, th->cur[i].n);
		}
	} else {
		c->offered = send_loop(th, cmd, -1, cmd->count ? cmd->count : UINT64_MAX);
	}
	c->tx_end = rte_rdtsc();
	if (cmd->pkts_per_tsc > 0) {
		c->due = (uint64_t)((double)(c->tx_end - c->tx_start) * cmd->pkts_per_tsc);
		if (cmd->count && c->due > cmd->count)
			c->due = cmd->count;
	}

	/* Wait for what is still on its way back: until quiet, or the limit. */
	uint64_t last = rte_rdtsc();
	for (;;) {
		uint64_t now = rte_rdtsc();
		if (rx_poll(th, cmd->tag))
			last = now;
		else if (now - last > cmd->drain_quiet_tsc || now - c->tx_end > cmd->drain_max_tsc)
			break;
	}
}

int
pg_thread_main(void *arg)
{
	struct pg_thread *th = arg;
	uint32_t seen = 0; /* seq starts at 0; a command published before we got here still runs */
	unsigned idle = 0;

	for (;;) {
		/* Acquire pairs with the release store of seq in the main lcore: cmd is complete.
		 */
		uint32_t seq = __atomic_load_n(&pg_ctl.seq, __ATOMIC_ACQUIRE);
		if (seq == seen) {
			/*
			 * Between commands: keep RX drained (so the peer never backs
			 * up), counting apart from the trial counters, which the main
			 * lcore may be reading; sleep a little when there is nothing.
			 */
			struct rte_mbuf *pkts[PG_BURST];
			uint16_t n = rte_eth_rx_burst(th->port, th->queue, pkts, PG_BURST);
			if (n) {
				rte_pktmbuf_free_bulk(pkts, n);
				th->rx_idle += n;
				idle = 0;
			} else if (++idle > 1000) {
				usleep(50);
			} else {
				rte_pause();
			}
			continue;
		}
		idle = 0;
		seen = seq;
		struct pg_cmd cmd = pg_ctl.cmd;
		if (cmd.kind == PG_CMD_QUIT) {
			__atomic_store_n(&th->done_seq, seq, __ATOMIC_RELEASE);
			return 0;
		}
		run(th, &cmd);
		__atomic_store_n(&th->done_seq, seq, __ATOMIC_RELEASE);
	}
}
