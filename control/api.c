/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * One HTTP request of the API (docs/api.md), from its headers to its
 * response: who is asking (SO_PEERCRED on the Unix socket, a bearer token
 * on TCP), bodies (application/json, at most 16 MiB, refused with 413
 * before they are read whole), routing to the handlers (api_*.c), and
 * responses (JSON with an ETag of the state version). The listeners and
 * libmicrohttpd's daemons are in api_listen.c.
 *
 * Each connection has its own thread: readers work on a snapshot of the
 * state and never wait for a writer; writers take d->wlock.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <sluice/num.h>

#include "api.h"
#include "node.h"

void
sld_resp_fail(
	struct sld_resp *o, int status, const char *code, const char *field, const char *fmt, ...)
{
	struct sld_err e;
	va_list ap;

	e.status = status;
	e.code = code;
	snprintf(e.field, sizeof(e.field), "%s", field ? field : "");
	va_start(ap, fmt);
	vsnprintf(e.message, sizeof(e.message), fmt, ap);
	va_end(ap);
	sld_resp_err(o, &e);
}

void
sld_resp_err(struct sld_resp *o, const struct sld_err *e)
{
	json_t *err = json_pack(
		"{s:i, s:s, s:s}", "status", e->status, "code", e->code, "message", e->message);

	if (err != NULL && e->field[0] != '\0')
		json_object_set_new(err, "field", json_string(e->field));
	json_decref(o->json);
	o->json = json_pack("{s:o}", "error", err);
	o->status = e->status;
}

void
sld_resp_json(struct sld_resp *o, int status, json_t *j)
{
	json_decref(o->json);
	o->json = j;
	o->status = status;
	if (j == NULL)
		sld_resp_fail(o, 500, "internal", "", "out of memory");
}

const char *
sld_req_arg(struct sld_req *r, const char *name)
{
	return MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, name);
}

bool
sld_req_uint_arg(struct sld_req *r, struct sld_resp *o, const char *name, unsigned int def,
	unsigned int min, unsigned int max, unsigned int *out)
{
	const char *s = sld_req_arg(r, name);
	uint64_t v = def;

	if (s != NULL && sl_parse_uint(s, 10, min, max, &v) < 0) {
		sld_resp_fail(
			o, 400, "invalid_field", name, "must be an integer in %u..%u", min, max);
		return false;
	}
	*out = (unsigned int)v;
	return true;
}

int
sld_req_json(struct sld_req *r, json_t **out, struct sld_err *e)
{
	const char *ct = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "Content-Type");
	json_error_t je;
	size_t n;

	*out = NULL;
	n = strcspn(ct ? ct : "", "; \t");
	if (ct == NULL || n != strlen("application/json") ||
		strncasecmp(ct, "application/json", n) != 0)
		return sld_fail(e, 415, "unsupported_media_type", "Content-Type",
			"the body must be application/json");
	*out = json_loadb(r->body ? r->body : "", r->len, JSON_REJECT_DUPLICATES, &je);
	if (*out == NULL)
		return sld_fail(e, 400, "bad_json", "", "invalid JSON at line %d, column %d: %s",
			je.line, je.column, je.text);
	if (!json_is_object(*out)) {
		json_decref(*out);
		*out = NULL;
		return sld_fail(e, 400, "bad_json", "", "the body must be a JSON object");
	}
	return 0;
}

int64_t
sld_req_if_match(struct sld_req *r, struct sld_err *e)
{
	const char *v = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "If-Match");
	unsigned long long n;
	char tail[4] = "";
	int used = 0;

	if (v == NULL)
		return -1;
	if ((sscanf(v, " \"%llu\"%n%3s", &n, &used, tail) >= 1 && used > 0 && tail[0] == '\0') ||
		(sscanf(v, " %llu%n%3s", &n, &used, tail) >= 1 && used > 0 && tail[0] == '\0' &&
			strspn(v, " 0123456789") == strlen(v)))
		if (n <= INT64_MAX)
			return (int64_t)n;
	sld_fail(e, 400, "invalid_field", "If-Match", "must be a version in quotes, e.g. \"12\"");
	return -2;
}

/* ---- who is asking ---- */

static void
peer_uid(struct sld_req *r)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(r->conn, MHD_CONNECTION_INFO_CONNECTION_FD);
	struct ucred uc;
	socklen_t len = sizeof(uc);

	if (ci != NULL && getsockopt(ci->connect_fd, SOL_SOCKET, SO_PEERCRED, &uc, &len) == 0)
		snprintf(r->who, sizeof(r->who), "uid:%u", (unsigned)uc.uid);
	else
		snprintf(r->who, sizeof(r->who), "uid:unknown");
	r->role = SLD_ROLE_ADMIN; /* the socket's permissions decided who got here */
}

/* TCP: a valid bearer token, else 401. @return true when authenticated. */
static bool
token_auth(struct sld_req *r, struct sld_resp *o)
{
	const char *h = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "Authorization");
	const struct sld_token *t;

	if (h == NULL || strncasecmp(h, "Bearer ", 7) != 0) {
		sld_resp_fail(o, 401, "unauthorized", "",
			"a bearer token is required on TCP (Authorization: Bearer TOKEN)");
		return false;
	}
	t = sld_token_find(r->d, h + 7);
	if (t == NULL) {
		sld_resp_fail(o, 401, "unauthorized", "", "invalid token");
		return false;
	}
	snprintf(r->who, sizeof(r->who), "token:%s", t->name);
	r->role = t->role;
	return true;
}

static bool
is_write(const char *method)
{
	return strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0;
}

/* ---- routing ---- */

void
sld_method_not_allowed(struct sld_req *r, struct sld_resp *o, const char *allow)
{
	o->allow = allow;
	sld_resp_fail(
		o, 405, "method_not_allowed", "", "%s is not allowed here (%s)", r->method, allow);
}

static void
route(struct sld_req *r, struct sld_resp *o)
{
	static void (*const handler[SLD_RES_MAX])(
		struct sld_req *, const struct sld_path *, struct sld_resp *) = {
		[SLD_RES_METRICS] = sld_api_metrics,
		[SLD_RES_STATE] = sld_api_state,
		[SLD_RES_VIPS] = sld_api_vips,
		[SLD_RES_VIP] = sld_api_vips,
		[SLD_RES_BACKEND] = sld_api_vips,
		[SLD_RES_HISTORY] = sld_api_history,
		[SLD_RES_VERSION] = sld_api_history,
		[SLD_RES_ROLLBACK] = sld_api_rollback,
		[SLD_RES_STATUS] = sld_api_status,
		[SLD_RES_HEALTH] = sld_api_health,
		[SLD_RES_STATS] = sld_api_stats,
		[SLD_RES_FILTER] = sld_api_filter,
		[SLD_RES_FILTER_STATS] = sld_api_filter,
		[SLD_RES_FILTER_DROPS] = sld_api_filter,
		[SLD_RES_NODE] = sld_api_node,
	};
	struct sld_path p;
	struct sld_err e;

	if (sld_path_parse(r->path, &p, &e) < 0) {
		sld_resp_err(o, &e);
		return;
	}
	handler[p.res](r, &p, o);
}

/* ---- responses ---- */

static enum MHD_Result
send_resp(struct sld_req *r, struct sld_resp *o)
{
	struct MHD_Response *resp;
	enum MHD_Result ret;
	char etag[32], *body;
	size_t len;

	if (o->text != NULL) {
		body = o->text;
		o->text = NULL;
	} else {
		char *j = o->json ? json_dumps(o->json, JSON_INDENT(2)) : NULL;

		body = j ? malloc(strlen(j) + 2) : NULL;
		if (body != NULL)
			sprintf(body, "%s\n", j);
		free(j);
		if (body == NULL)
			body = strdup("{\"error\": {\"status\": 500, \"code\": \"internal\", "
				      "\"message\": \"out of memory\"}}\n");
		if (body == NULL)
			return MHD_NO;
	}
	len = strlen(body);
	resp = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
	if (resp == NULL) {
		free(body);
		return MHD_NO;
	}
	MHD_add_response_header(
		resp, "Content-Type", o->ctype ? o->ctype : "application/json; charset=utf-8");
	if (o->etag < 0)
		o->etag = (int64_t)sld_version(r->d);
	snprintf(etag, sizeof(etag), "\"%lld\"", (long long)o->etag);
	MHD_add_response_header(resp, "ETag", etag);
	if (o->allow != NULL)
		MHD_add_response_header(resp, "Allow", o->allow);
	if (o->status == 401)
		MHD_add_response_header(resp, "WWW-Authenticate", "Bearer");
	ret = MHD_queue_response(r->conn, (unsigned int)o->status, resp);
	MHD_destroy_response(resp);
	json_decref(o->json);
	o->json = NULL;
	return ret;
}

static enum MHD_Result
answer_now(struct sld_req *r, struct sld_resp *o)
{
	enum MHD_Result ret = send_resp(r, o);

	free(r->body);
	r->body = NULL;
	r->len = 0;
	return ret;
}

enum MHD_Result
sld_api_request(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
	const char *version, const char *upload, size_t *upload_size, void **con_cls)
{
	const struct sld_listener *l = cls;
	struct sld_req *r = *con_cls;
	struct sld_resp o = {.status = 200, .etag = -1};
	const char *cl;

	(void)version;
	if (r == NULL) {
		/* First call: headers only. Refuse what we can before any body. */
		r = calloc(1, sizeof(*r));
		if (r == NULL)
			return MHD_NO;
		*con_cls = r;
		r->d = l->d;
		r->conn = conn;
		r->method = method;
		r->tcp = l->tcp;
		snprintf(r->path, sizeof(r->path), "%s", url);
		if (r->tcp && !token_auth(r, &o))
			return answer_now(r, &o);
		if (!r->tcp)
			peer_uid(r);
		if (strlen(url) > SLD_MAX_PATH) {
			sld_resp_fail(&o, 414, "too_long", "", "the path is above %d bytes",
				SLD_MAX_PATH);
			return answer_now(r, &o);
		}
		if (is_write(method) && r->role != SLD_ROLE_ADMIN) {
			sld_resp_fail(&o, 403, "forbidden", "", "token '%s' may only read",
				r->who + strlen("token:"));
			return answer_now(r, &o);
		}
		cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Length");
		if (cl != NULL && strtoull(cl, NULL, 10) > SLD_MAX_BODY) {
			sld_resp_fail(&o, 413, "too_large", "",
				"the body is above the limit of %u bytes", SLD_MAX_BODY);
			return answer_now(r, &o);
		}
		return MHD_YES;
	}
	if (*upload_size > 0) {
		size_t n = *upload_size;

		*upload_size = 0;
		if (r->too_large || r->len + n > SLD_MAX_BODY) {
			/* Chunked, or lying about its length: stop keeping it. */
			r->too_large = true;
			free(r->body);
			r->body = NULL;
			r->len = 0;
			return MHD_YES;
		}
		char *nb = realloc(r->body, r->len + n + 1);
		if (nb == NULL)
			return MHD_NO;
		r->body = nb;
		memcpy(r->body + r->len, upload, n);
		r->len += n;
		r->body[r->len] = '\0';
		return MHD_YES;
	}
	if (r->too_large) {
		sld_resp_fail(&o, 413, "too_large", "", "the body is above the limit of %u bytes",
			SLD_MAX_BODY);
		return answer_now(r, &o);
	}
	route(r, &o);
	return answer_now(r, &o);
}

void
sld_api_completed(
	void *cls, struct MHD_Connection *conn, void **con_cls, enum MHD_RequestTerminationCode toe)
{
	struct sld_req *r = *con_cls;

	(void)cls;
	(void)conn;
	(void)toe;
	if (r != NULL) {
		free(r->body);
		free(r);
	}
	*con_cls = NULL;
}
