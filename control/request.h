/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The request-facing parsers of the API, kept free of HTTP so that unit
 * tests and the fuzzer (tests/fuzz/fuzz_sld_*.c) call them directly: the
 * path parser (path.c) and the JSON merge patch (patch.c). The state
 * document's parser is in state.h, the token file's in sld.h.
 */
#ifndef SLD_REQUEST_H
#define SLD_REQUEST_H

#include <arpa/inet.h>
#include <stdint.h>

#include <jansson.h>

#include "state.h"

#define SLD_MAX_PATH 255 /* request paths; longer: 414 */

/* The resources of docs/api.md. */
enum sld_resource {
	SLD_RES_METRICS = 0,  /* /metrics */
	SLD_RES_STATE,	      /* /v1/state */
	SLD_RES_VIPS,	      /* /v1/vips */
	SLD_RES_VIP,	      /* /v1/vips/PROTO/ADDR/PORT */
	SLD_RES_BACKEND,      /* /v1/vips/PROTO/ADDR/PORT/backends/ADDR */
	SLD_RES_HISTORY,      /* /v1/history */
	SLD_RES_VERSION,      /* /v1/history/N */
	SLD_RES_ROLLBACK,     /* /v1/rollback */
	SLD_RES_STATUS,	      /* /v1/status */
	SLD_RES_HEALTH,	      /* /v1/health */
	SLD_RES_STATS,	      /* /v1/stats */
	SLD_RES_FILTER,	      /* /v1/filter */
	SLD_RES_FILTER_STATS, /* /v1/filter/stats */
	SLD_RES_FILTER_DROPS, /* /v1/filter/drops */
	SLD_RES_NODE,	      /* /v1/node */
	SLD_RES_MAX,
};

/* A parsed request path. */
struct sld_path {
	uint8_t res;			/* enum sld_resource */
	char vip[SLD_KEY_LEN];		/* VIP, BACKEND: canonical "PROTO/ADDR/PORT" */
	char proto[4];			/* VIP, BACKEND: "tcp" or "udp" */
	char addr[INET6_ADDRSTRLEN];	/* VIP, BACKEND: the VIP's canonical address */
	uint16_t port;			/* VIP, BACKEND */
	char backend[INET6_ADDRSTRLEN]; /* BACKEND: canonical address */
	uint64_t version;		/* VERSION */
};

/*
 * Parse a request path (already %-decoded, without the query string).
 * Empty segments are ignored ("/v1//state" is /v1/state).
 * @return 0 with @p filled, or -EINVAL with @e: 414 too_long (above
 * SLD_MAX_PATH bytes), 404 not_found (no such resource), 400 bad_path (a
 * protocol, address, port or version that does not parse).
 */
int sld_path_parse(const char *url, struct sld_path *p, struct sld_err *e);

/*
 * RFC 7386 JSON merge patch: apply @patch to @target (both objects; @target
 * is modified). @return 0 or -ENOMEM (then @target is partly patched).
 */
int sld_merge_patch(json_t *target, const json_t *patch);

/*
 * A PATCH of a VIP whose health_check changes type: drop from @hc (the VIP's
 * current check, modified) the old type's keys that @patch_hc does not set
 * again, so that the merged check is valid for the new type.
 */
void sld_hc_type_change(json_t *hc, const json_t *patch_hc);

#endif /* SLD_REQUEST_H */
