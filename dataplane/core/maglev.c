/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Weighted Maglev table build; see maglev.h for the contract.
 *
 * Shape of the build:
 *  1. validate the size and each backend (weight, value, family) before
 *     allocating anything;
 *  2. copy the ids into scratch with the bytes that carry no meaning zeroed
 *     (pad, the tail of an IPv4 address), sort by id and reject duplicates:
 *     from here on the input order is gone;
 *  3. derive each backend's (offset, skip) from its id and the seed;
 *  4. give backends turns in proportion to their weights; on each turn a
 *     backend walks its permutation to its next free slot and claims it.
 *
 * Step 4 never materialises the N x M permutation matrix: a backend only
 * keeps its current position and adds its skip. A bitmap (M bits, 8 KiB for
 * the default size) says which slots are taken, so the probes touch that
 * instead of the caller's 4-byte entries.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_jhash.h>

#include "maglev.h"

#define NIL UINT32_MAX /* end of a turn list */

/* A backend as the build sees it once validated. */
struct mg_sorted {
	struct sl_maglev_id id; /* normalised: pad and unused address bytes zero */
	uint32_t index;		/* position in the caller's array, for messages */
};

/* Per active backend state while filling the table. */
struct mg_state {
	uint32_t pos;	 /* next candidate slot in its permutation */
	uint32_t skip;	 /* in [1, M-1] */
	uint32_t weight; /* in [1, max weight] */
	uint32_t credit; /* leftover credit after its last turn, < weight */
	uint32_t value;
	uint32_t next; /* next backend in the same turn list, or NIL */
};

static void set_err(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void
set_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

static int
is_prime(uint32_t n)
{
	if (n < 2)
		return 0;
	if (n % 2 == 0)
		return n == 2;
	/* Trial division: at most ~2048 odd divisors below 2^24. */
	for (uint32_t d = 3; d <= n / d; d += 2)
		if (n % d == 0)
			return 0;
	return 1;
}

int
sl_maglev_check_size(uint32_t size, char *err, size_t errlen)
{
	if (size < SL_MAGLEV_MIN_SIZE || size > SL_MAGLEV_MAX_SIZE) {
		set_err(err, errlen,
			"table size %u is out of range (it must be a prime in [%u, %u])", size,
			SL_MAGLEV_MIN_SIZE, SL_MAGLEV_MAX_SIZE);
		return -ERANGE;
	}
	if (!is_prime(size)) {
		/* In range and not prime means size < SL_MAGLEV_MAX_SIZE, which is
		 * prime, so this stops at or before it. */
		uint32_t next = size + 1;

		while (!is_prime(next))
			next++;
		set_err(err, errlen,
			"table size %u is not prime (Maglev needs a prime size; try %u)", size,
			next);
		return -EINVAL;
	}
	return 0;
}

static const char *
id_str(const struct sl_maglev_id *id, char *buf, size_t len)
{
	char addr[INET6_ADDRSTRLEN];
	int af = id->family == SL_FAMILY_IPV6 ? AF_INET6 : AF_INET;

	if (inet_ntop(af, &id->addr, addr, sizeof(addr)) == NULL)
		snprintf(addr, sizeof(addr), "?");
	if (id->port != 0)
		snprintf(buf, len, af == AF_INET6 ? "[%s]:%u" : "%s:%u", addr,
			rte_be_to_cpu_16(id->port));
	else
		snprintf(buf, len, "%s", addr);
	return buf;
}

/* Order by id bytes: addresses and ports are in network order, so this order
 * (and hence the table) is the same on every host. */
static int
cmp_id(const void *a, const void *b)
{
	const struct mg_sorted *x = a, *y = b;

	return memcmp(&x->id, &y->id, sizeof(x->id));
}

/* An id with only its meaningful bytes kept, so that two ids that name the
 * same backend compare, sort and hash the same whatever built them. */
static struct sl_maglev_id
normalise_id(const struct sl_maglev_id *in)
{
	struct sl_maglev_id id;

	memset(&id, 0, sizeof(id));
	if (in->family == SL_FAMILY_IPV6)
		id.addr = in->addr;
	else
		id.addr.v4 = in->addr.v4;
	id.port = in->port;
	id.family = in->family;
	return id;
}

/* The permutation of one backend: offset = h1 % M, skip = h2 % (M - 1) + 1.
 * The id's fields are hashed as numbers, not bytes, so that the result does
 * not depend on the host's byte order; jhash's two outputs serve as h1, h2. */
static void
permutation(const struct sl_maglev_id *id, uint32_t size, uint32_t seed, uint32_t *offset,
	uint32_t *skip)
{
	uint32_t k[5] = {0};
	uint32_t h1 = seed, h2 = seed ^ 0x9e3779b9u;

	if (id->family == SL_FAMILY_IPV6) {
		for (int i = 0; i < 4; i++)
			k[i] = rte_be_to_cpu_32(id->addr.w[i]);
	} else {
		k[0] = rte_be_to_cpu_32(id->addr.v4);
	}
	k[4] = (uint32_t)rte_be_to_cpu_16(id->port) << 16 | id->family;
	rte_jhash_32b_2hashes(k, RTE_DIM(k), &h1, &h2);
	*offset = h1 % size;
	*skip = h2 % (size - 1) + 1;
}

static int
validate(uint32_t *table, uint32_t size, const struct sl_maglev_backend *backends, uint32_t n,
	char *err, size_t errlen)
{
	int rc;

	rc = sl_maglev_check_size(size, err, errlen);
	if (rc < 0)
		return rc;
	if (table == NULL || (n > 0 && backends == NULL)) {
		set_err(err, errlen, "no table or no backend array given");
		return -EINVAL;
	}
	for (uint32_t i = 0; i < n; i++) {
		const struct sl_maglev_backend *b = &backends[i];

		if (b->weight > SL_MAGLEV_MAX_WEIGHT) {
			set_err(err, errlen, "backend %u: weight %u is above the maximum %u", i,
				b->weight, SL_MAGLEV_MAX_WEIGHT);
			return -EINVAL;
		}
		if (b->value == SL_MAGLEV_NONE) {
			set_err(err, errlen,
				"backend %u: value %u is reserved for \"no backend\" "
				"(SL_MAGLEV_NONE)",
				i, SL_MAGLEV_NONE);
			return -EINVAL;
		}
		/* The family decides which address bytes are hashed: refuse to
		 * guess (e.g. an AF_INET of 2 instead of SL_FAMILY_IPV4). */
		if (b->id.family != SL_FAMILY_IPV4 && b->id.family != SL_FAMILY_IPV6) {
			set_err(err, errlen,
				"backend %u: unknown address family %u (want %u for IPv4 or %u "
				"for IPv6)",
				i, b->id.family, SL_FAMILY_IPV4, SL_FAMILY_IPV6);
			return -EINVAL;
		}
	}
	return 0;
}

/*
 * Weighted turns. Every pass, each backend earns its weight in credit and
 * takes a turn when it has max_weight of credit, so the heaviest backends
 * take one slot per pass and a backend of weight w one every max_weight / w
 * passes, interleaved. Credit starts at max_weight / 2 so that turn counts
 * round rather than truncate.
 *
 * Walking all N backends every pass would cost N per pass even when few of
 * them have a turn due (one heavy backend among many light ones), so each
 * backend is instead queued on the pass of its next turn: a calendar of
 * @nbuckets lists (a power of two above the longest gap between two turns).
 * Lists are FIFO, so with equal weights this is the paper's round robin in
 * id order. Cost: O(M + N) turns and passes, plus the probes.
 */
static uint32_t
turn_gap(struct mg_state *s, uint32_t max_weight)
{
	uint32_t gap;

	if (s->weight == max_weight)
		return 1; /* credit never changes: skip the division */
	gap = (max_weight - s->credit + s->weight - 1) / s->weight;
	s->credit = s->credit + gap * s->weight - max_weight;
	return gap;
}

/* Append backend @i to the FIFO list of calendar bucket @q. */
static inline void
enqueue(struct mg_state *st, uint32_t i, uint32_t *head, uint32_t *tail, uint32_t q)
{
	st[i].next = NIL;
	if (head[q] == NIL)
		head[q] = i;
	else
		st[tail[q]].next = i;
	tail[q] = i;
}

static void
fill(uint32_t *table, uint32_t size, struct mg_state *st, uint32_t nactive, uint32_t max_weight,
	uint64_t *taken, uint32_t *head, uint32_t *tail, uint32_t mask)
{
	/* pass <= M + nbuckets: the heaviest backends take a turn every pass. */
	uint32_t filled = 0, pass = 0;

	for (uint32_t b = 0; b <= mask; b++)
		head[b] = tail[b] = NIL;

	/* Queue each backend on the pass of its first turn, in id order. */
	for (uint32_t i = 0; i < nactive; i++) {
		struct mg_state *s = &st[i];

		s->credit = max_weight / 2;
		enqueue(st, i, head, tail, (pass + turn_gap(s, max_weight)) & mask);
	}

	while (filled < size) {
		uint32_t q = ++pass & mask;
		uint32_t i = head[q];

		/* Detach this pass's list first: every backend re-queues itself
		 * at least one pass later, never on this list. */
		head[q] = tail[q] = NIL;
		while (i != NIL && filled < size) {
			struct mg_state *s = &st[i];
			uint32_t nexti = s->next, pos = s->pos;

			/* The table is not full, so a free slot exists and, the
			 * permutation visiting every slot, this terminates. */
			while (taken[pos / 64] & (1ull << (pos % 64))) {
				pos += s->skip;
				if (pos >= size)
					pos -= size;
			}
			taken[pos / 64] |= 1ull << (pos % 64);
			table[pos] = s->value;
			filled++;
			pos += s->skip;
			if (pos >= size)
				pos -= size;
			s->pos = pos;

			enqueue(st, i, head, tail, (pass + turn_gap(s, max_weight)) & mask);
			i = nexti;
		}
	}
}

int
sl_maglev_build(uint32_t *table, uint32_t size, const struct sl_maglev_backend *backends,
	uint32_t n, uint32_t seed, char *err, size_t errlen)
{
	struct mg_sorted *sorted = NULL;
	struct mg_state *st = NULL;
	uint32_t *head = NULL, *tail = NULL;
	uint64_t *taken = NULL;
	uint32_t nactive = 0, max_weight = 0, min_weight = UINT32_MAX, nbuckets;
	int rc;

	rc = validate(table, size, backends, n, err, errlen);
	if (rc < 0)
		return rc;

	if (n > 0) {
		sorted = calloc(n, sizeof(*sorted));
		if (sorted == NULL)
			goto nomem;
	}
	for (uint32_t i = 0; i < n; i++) {
		sorted[i].id = normalise_id(&backends[i].id);
		sorted[i].index = i;
	}
	if (n > 1)
		qsort(sorted, n, sizeof(*sorted), cmp_id);
	for (uint32_t i = 1; i < n; i++) {
		if (cmp_id(&sorted[i - 1], &sorted[i]) == 0) {
			char buf[64];
			uint32_t a = sorted[i - 1].index, b = sorted[i].index;

			set_err(err, errlen, "backends %u and %u have the same id (%s)",
				a < b ? a : b, a < b ? b : a,
				id_str(&sorted[i].id, buf, sizeof(buf)));
			rc = -EEXIST;
			goto out;
		}
	}

	for (uint32_t i = 0; i < n; i++) {
		uint32_t w = backends[sorted[i].index].weight;

		if (w == 0)
			continue;
		nactive++;
		max_weight = w > max_weight ? w : max_weight;
		min_weight = w < min_weight ? w : min_weight;
	}
	if (nactive == 0) {
		/* Nothing to hash onto: the dataplane drops (and counts) flows
		 * that land on SL_MAGLEV_NONE. */
		for (uint32_t s = 0; s < size; s++)
			table[s] = SL_MAGLEV_NONE;
		rc = 0;
		goto out;
	}

	/* The longest gap between two turns of a backend is
	 * ceil(max_weight / min_weight) passes; the calendar must be longer so
	 * that a backend re-queued on pass p + gap never lands on pass p's
	 * list. */
	nbuckets = 2;
	while (nbuckets <= (max_weight + min_weight - 1) / min_weight)
		nbuckets <<= 1;

	st = malloc(nactive * sizeof(*st));
	head = malloc(nbuckets * sizeof(*head));
	tail = malloc(nbuckets * sizeof(*tail));
	taken = calloc((size + 63) / 64, sizeof(*taken));
	if (st == NULL || head == NULL || tail == NULL || taken == NULL)
		goto nomem;

	nactive = 0;
	for (uint32_t i = 0; i < n; i++) {
		const struct sl_maglev_backend *b = &backends[sorted[i].index];
		struct mg_state *s;

		if (b->weight == 0)
			continue;
		s = &st[nactive++];
		permutation(&sorted[i].id, size, seed, &s->pos, &s->skip);
		s->weight = b->weight;
		s->value = b->value;
	}

	/* Nothing can fail from here on: only now is @table written, so it is
	 * untouched on every error path above. */
	fill(table, size, st, nactive, max_weight, taken, head, tail, nbuckets - 1);
	rc = 0;
	goto out;

nomem:
	set_err(err, errlen, "out of memory building a %u-slot table for %u backends", size, n);
	rc = -ENOMEM;
out:
	free(taken);
	free(tail);
	free(head);
	free(st);
	free(sorted);
	return rc;
}

/* Backends by value, for the digest's slot -> identity lookups. */
static int
cmp_value(const void *a, const void *b)
{
	const struct sl_maglev_backend *x = a, *y = b;

	return x->value < y->value ? -1 : x->value > y->value;
}

static const uint64_t FNV64_BASIS = 0xcbf29ce484222325ull;
static const uint64_t FNV64_PRIME = 0x100000001b3ull;

static inline uint64_t
fnv1a(uint64_t h, const uint8_t *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		h = (h ^ p[i]) * FNV64_PRIME;
	return h;
}

int
sl_maglev_digest(const uint32_t *table, uint32_t size, const struct sl_maglev_backend *backends,
	uint32_t n, uint64_t *digest)
{
	struct sl_maglev_backend *byval = NULL;
	const struct sl_maglev_backend *last = NULL;
	uint8_t be32[4] = {
		(uint8_t)(size >> 24), (uint8_t)(size >> 16), (uint8_t)(size >> 8), (uint8_t)size};
	uint64_t h = FNV64_BASIS;

	if (table == NULL || digest == NULL || size == 0 || (n > 0 && backends == NULL))
		return -EINVAL;
	if (n > 0) {
		byval = malloc(n * sizeof(*byval));
		if (byval == NULL)
			return -ENOMEM;
		memcpy(byval, backends, n * sizeof(*byval));
		qsort(byval, n, sizeof(*byval), cmp_value);
		/* A value shared by two backends would name either: refuse. */
		for (uint32_t i = 1; i < n; i++) {
			if (byval[i - 1].value == byval[i].value) {
				free(byval);
				return -EINVAL;
			}
		}
	}
	h = fnv1a(h, be32, sizeof(be32));
	for (uint32_t s = 0; s < size; s++) {
		uint32_t v = table[s];
		static const uint8_t none = 0;

		if (v == SL_MAGLEV_NONE) {
			h = fnv1a(h, &none, 1);
			continue;
		}
		/* Runs of one backend are common in a small pool: check the last one first. */
		if (last == NULL || last->value != v) {
			struct sl_maglev_backend k = {.value = v};

			last = n ? bsearch(&k, byval, n, sizeof(*byval), cmp_value) : NULL;
			if (last == NULL) {
				free(byval);
				return -EINVAL;
			}
		}
		uint8_t fam = last->id.family;
		h = fnv1a(h, &fam, 1);
		h = fnv1a(h, last->id.addr.b, fam == SL_FAMILY_IPV6 ? 16 : 4);
	}
	free(byval);
	*digest = h;
	return 0;
}
