/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sluiced's state model: the desired state of a node as docs/api.md describes
 * it (the dataplane's config document plus health_check, slow_start_s and
 * min_healthy per VIP, and backends that may be "disabled"), decoded,
 * validated and put in canonical form; the identity-keyed diff of two
 * states; the API's error type.
 *
 * One validator serves sluiced and sluice-dp: sluiced checks its own keys,
 * strips them, and hands the rest to sl_cfg_from_json() (common/), whose
 * field paths by array index ("vips[3].backends[1].weight") it rewrites into
 * the API's identity paths ("vips[tcp/192.0.2.80/80].backends[10.0.1.2].weight").
 */
#ifndef SLD_STATE_H
#define SLD_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include <sluice/config.h>

#define SLD_KEY_LEN   64 /* "udp/ffff:...:ffff/65535" fits */
#define SLD_FIELD_LEN 256
#define SLD_MSG_LEN   512

/* An operator state that the dataplane does not have: sluiced pushes it as down. */
#define SLD_BACKEND_DISABLED SL_BACKEND_STATE_MAX

/* Health-check defaults and ranges (docs/api.md). */
#define SLD_HC_DEF_INTERVAL_MS 2000
#define SLD_HC_DEF_TIMEOUT_MS  1000
#define SLD_HC_DEF_RISE	       2
#define SLD_HC_DEF_FALL	       3
#define SLD_HC_MIN_INTERVAL_MS 100
#define SLD_HC_MAX_INTERVAL_MS 3600000
#define SLD_HC_MIN_TIMEOUT_MS  10
#define SLD_HC_MAX_COUNT       100 /* rise, fall */
#define SLD_HC_MAX_ARGS	       64
#define SLD_MAX_SLOW_START_S   3600

/* An API error: HTTP status, code, the field at fault (may be ""), a message. */
struct sld_err {
	int status;
	const char *code; /* static string: "invalid_field", ... */
	char field[SLD_FIELD_LEN];
	char message[SLD_MSG_LEN];
};

/* Fill @e and @return -EINVAL (or the errno matching @status's class). */
int sld_fail(struct sld_err *e, int status, const char *code, const char *field, const char *fmt,
	...) __attribute__((format(printf, 5, 6)));

enum sld_hc_type {
	SLD_HC_NONE = 0,
	SLD_HC_TCP,
	SLD_HC_HTTP,
	SLD_HC_EXEC,
	SLD_HC_TYPE_MAX,
};

enum sld_min_action {
	SLD_FAIL_OPEN = 0,
	SLD_FAIL_CLOSED,
	SLD_MIN_ACTION_MAX,
};

extern const char *const sld_hc_type_names[SLD_HC_TYPE_MAX];
extern const char *const sld_min_action_names[SLD_MIN_ACTION_MAX];

/* A VIP's health-check settings. Strings point into the state's document. */
struct sld_hc {
	uint8_t type;  /* enum sld_hc_type */
	uint16_t port; /* the port checked: the given one, else the VIP's */
	uint16_t expect_status;
	uint32_t interval_ms;
	uint32_t timeout_ms;
	uint32_t rise;
	uint32_t fall;
	const char *path;  /* http */
	const char *host;  /* http; NULL: the backend's address */
	const char **argv; /* exec: NULL-terminated, malloc'd array */
};

/* What sluiced adds to a VIP. */
struct sld_vip_ext {
	char key[SLD_KEY_LEN]; /* "tcp/192.0.2.80/80" */
	struct sld_hc hc;
	uint32_t slow_start_s;
	uint32_t min_count;
	uint32_t min_percent;
	uint8_t min_action; /* enum sld_min_action */
};

/*
 * A validated state. @doc is canonical: every key present with its default,
 * addresses in their canonical text form, VIPs and backends in the order
 * given. @cfg mirrors it with the operator's backend states (possibly
 * SLD_BACKEND_DISABLED); @ext[i] goes with cfg.vips[i].
 */
struct sld_state {
	json_t *doc;
	struct sl_cfg cfg;
	struct sld_vip_ext *ext;
};

/* The empty state (version 0): defaults, no VIPs. @return 0 or -ENOMEM. */
int sld_state_empty(struct sld_state *st);

/*
 * Decode, validate and canonicalise a state document. @in is not modified
 * or kept. On success @st is filled (free with sld_state_free()); on error
 * @return -EINVAL (or -ENOMEM, -ENOTSUP for the filter) with @e filled
 * (400 invalid_field / unknown_field / bad_json, 501 not_implemented), and
 * @st is left empty.
 */
int sld_state_from_json(struct sld_state *st, const json_t *in, struct sld_err *e);

/* Free what sld_state_from_json() filled; safe on a zeroed struct. */
void sld_state_free(struct sld_state *st);

/* Deep copy. @return 0 or -ENOMEM (and @dst zeroed). */
int sld_state_copy(struct sld_state *dst, const struct sld_state *src);

/* "PROTO/ADDR/PORT" of cfg VIP @v into @out (SLD_KEY_LEN). */
void sld_vip_key(const struct sl_cfg_vip *v, char *out);

/*
 * Parse "PROTO/ADDR/PORT" path pieces into a canonical key (@out,
 * SLD_KEY_LEN). @return 0 or -EINVAL with @e = 400 bad_path.
 */
int sld_vip_key_parse(
	const char *proto, const char *addr, const char *port, char *out, struct sld_err *e);

/* Canonical text of an IP address string into @out (INET6_ADDRSTRLEN); -EINVAL if none. */
int sld_addr_canon(const char *s, char *out, size_t len);

/* "PROTO/ADDR/PORT" of a VIP object as written (address made canonical);
 * -EINVAL when it has none (no valid address, protocol or port). */
int sld_json_vip_key(const json_t *vip, char *out);

/* Index of the VIP with key @key in @st, or -1. */
int sld_state_find_vip(const struct sld_state *st, const char *key);

/*
 * The identity-keyed diff of two canonical documents (docs/api.md "Diffs"):
 * a new JSON array of {"op", "path", "old"/"new"}; empty when equal.
 * NULL on allocation failure.
 */
json_t *sld_diff(const json_t *old_doc, const json_t *new_doc);

/* A one-line human summary of a diff ("2 changes: vips[...].weight 100 -> 50, ..."), malloc'd. */
char *sld_diff_summary(const json_t *diff);

#endif /* SLD_STATE_H */
