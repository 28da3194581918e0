/* SPDX-License-Identifier: BSD-3-Clause */
/* What the HTTP glue (api.c) and the handlers (api_*.c) share. */
#ifndef SLD_API_H
#define SLD_API_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>
#include <microhttpd.h>

#include "sld.h"

#define SLD_MAX_SEGS 10

/* One HTTP request, from its headers to its response. */
struct sld_req {
	struct sld *d;
	struct MHD_Connection *conn;
	const char *method;
	bool tcp;
	uint8_t role; /* enum sld_role */
	char who[80]; /* "uid:N" or "token:NAME" */
	char path[256];
	char *body;
	size_t len;
	bool too_large;
};

struct sld_resp {
	int status;
	json_t *json;	   /* the body, or */
	char *text;	   /* a text body (metrics), malloc'd */
	const char *ctype; /* for text */
	int64_t etag;	   /* version for the ETag header, -1: the current one */
	const char *allow; /* 405: the methods allowed */
};

/* Error response from @e (status, code, field, message). */
void sld_resp_err(struct sld_resp *o, const struct sld_err *e);

/* Error response from its parts. */
void sld_resp_fail(struct sld_resp *o, int status, const char *code, const char *field,
	const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* @j (stolen) with @status; a failed allocation becomes a 500. */
void sld_resp_json(struct sld_resp *o, int status, json_t *j);

/* The body as a JSON object (new reference). @return 0 or -EINVAL with @e (400/415). */
int sld_req_json(struct sld_req *r, json_t **out, struct sld_err *e);

/* If-Match as a version: >= 0, -1 when absent; -2 malformed (then @e is filled). */
int64_t sld_req_if_match(struct sld_req *r, struct sld_err *e);

/* A query argument, or NULL. */
const char *sld_req_arg(struct sld_req *r, const char *name);

/* Routes: @seg are the path's segments after "/v1/" (@n of them). */
void sld_api_state(struct sld_req *r, char **seg, int n, struct sld_resp *o);
void sld_api_vips(struct sld_req *r, char **seg, int n, struct sld_resp *o);
void sld_api_history(struct sld_req *r, char **seg, int n, struct sld_resp *o);
void sld_api_rollback(struct sld_req *r, char **seg, int n, struct sld_resp *o);
void sld_api_status(struct sld_req *r, char **seg, int n, struct sld_resp *o);
void sld_api_health(struct sld_req *r, char **seg, int n, struct sld_resp *o);
void sld_api_stats(struct sld_req *r, char **seg, int n, struct sld_resp *o);
void sld_api_filter(struct sld_req *r, char **seg, int n, struct sld_resp *o);
void sld_api_metrics(struct sld_req *r, struct sld_resp *o);

/* The write answer: {"version", "changed"} (+ "pending", "diff" on dry runs). */
json_t *sld_write_answer(const struct sld_write_result *res, bool with_diff);

/* The dataplane's STATS reply (new reference), or NULL when it is not running. */
json_t *sld_dp_stats(struct sld *d);

#endif /* SLD_API_H */
