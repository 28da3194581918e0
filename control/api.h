/* SPDX-License-Identifier: BSD-3-Clause */
/* What the HTTP glue (api.c) and the handlers (api_*.c) share. */
#ifndef SLD_API_H
#define SLD_API_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>
#include <microhttpd.h>

#include "request.h"
#include "sld.h"

/* One HTTP request, from its headers to its response. */
struct sld_req {
	struct sld *d;
	struct MHD_Connection *conn;
	const char *method;
	bool tcp;
	uint8_t role; /* enum sld_role */
	char who[80]; /* "uid:N" or "token:NAME" */
	char path[SLD_MAX_PATH + 1];
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

/* What a libmicrohttpd daemon's request callback gets (api_listen.c). */
struct sld_listener {
	struct sld *d;
	bool tcp; /* tokens required */
};

/* libmicrohttpd's request and completion callbacks (api.c); @cls: a struct sld_listener. */
enum MHD_Result sld_api_request(void *cls, struct MHD_Connection *conn, const char *url,
	const char *method, const char *version, const char *upload, size_t *upload_size,
	void **con_cls);
void sld_api_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
	enum MHD_RequestTerminationCode toe);

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

/*
 * Query argument @name as an integer in [@min, @max] into *@out (@def when
 * absent). false: @o answered 400 invalid_field naming it.
 */
bool sld_req_uint_arg(struct sld_req *r, struct sld_resp *o, const char *name, unsigned int def,
	unsigned int min, unsigned int max, unsigned int *out);

/* Handlers, by resource (@p: the parsed path). */
void sld_api_state(struct sld_req *r, const struct sld_path *p, struct sld_resp *o);
void sld_api_vips(struct sld_req *r, const struct sld_path *p, struct sld_resp *o);
void sld_api_history(struct sld_req *r, const struct sld_path *p, struct sld_resp *o);
void sld_api_rollback(struct sld_req *r, const struct sld_path *p, struct sld_resp *o);
void sld_api_status(struct sld_req *r, const struct sld_path *p, struct sld_resp *o);
void sld_api_health(struct sld_req *r, const struct sld_path *p, struct sld_resp *o);
void sld_api_stats(struct sld_req *r, const struct sld_path *p, struct sld_resp *o);
void sld_api_filter(struct sld_req *r, const struct sld_path *p, struct sld_resp *o);
void sld_api_metrics(struct sld_req *r, const struct sld_path *p, struct sld_resp *o);

/* 405 with the Allow header. */
void sld_method_not_allowed(struct sld_req *r, struct sld_resp *o, const char *allow);

/* The write answer: {"version", "changed"} (+ "pending", "diff" on dry runs). */
json_t *sld_write_answer(const struct sld_write_result *res, bool with_diff);

/* ---- what every write handler shares (api_state.c) ---- */

/* Fill @w from the request (who, ?dry_run, If-Match). false: @o answered (400). */
bool sld_prepare_write(struct sld_req *r, struct sld_resp *o, struct sld_write *w);

/* The preconditions, before a 404 or a body check: 428, 412. d->wlock held. false: @o answered. */
bool sld_precondition(struct sld_req *r, struct sld_resp *o, const struct sld_write *w);

/*
 * Commit @doc (d->wlock held) and answer: @created_status when it changed
 * something (201 for a creation), 200 otherwise; with @extra_key set to
 * @extra(state, @arg1, @arg2) of the committed state (not on dry runs).
 */
void sld_commit_answer(struct sld_req *r, struct sld_resp *o, const struct sld_write *w,
	const json_t *doc, int created_status, const char *extra_key,
	json_t *(*extra)(const struct sld_state *, const char *, const char *), const char *arg1,
	const char *arg2);

#endif /* SLD_API_H */
