/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The HTTP side of the API (docs/api.md) on libmicrohttpd: the listeners
 * (a Unix socket, optionally TCP), who is asking (SO_PEERCRED on the Unix
 * socket, a bearer token on TCP), bodies (application/json, at most 16 MiB,
 * refused with 413 before they are read whole), routing, and responses
 * (JSON with an ETag of the state version).
 *
 * Each listener is served by one libmicrohttpd thread; handlers take
 * d->lock for what they read or change.
 */
#include <errno.h>
#include <grp.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <sluice/ctl.h>

#include "api.h"
#include "node.h"
#include "log.h"

static struct MHD_Daemon *unix_daemon, *tcp_daemon;

struct listener {
	struct sld *d;
	bool tcp;
};
static struct listener unix_l, tcp_l;

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

static int
split(char *path, char **seg)
{
	int n = 0;

	for (char *s = strtok(path, "/"); s != NULL; s = strtok(NULL, "/")) {
		if (n == SLD_MAX_SEGS)
			return -1;
		seg[n++] = s;
	}
	return n;
}

static void
route(struct sld_req *r, struct sld_resp *o)
{
	char path[sizeof(r->path)], *seg[SLD_MAX_SEGS];
	int n;

	snprintf(path, sizeof(path), "%s", r->path);
	n = split(path, seg);
	if (n == 1 && strcmp(seg[0], "metrics") == 0) {
		if (strcmp(r->method, "GET") != 0) {
			o->allow = "GET";
			sld_resp_fail(o, 405, "method_not_allowed", "", "%s /metrics", r->method);
			return;
		}
		sld_api_metrics(r, o);
		return;
	}
	if (n < 2 || strcmp(seg[0], "v1") != 0) {
		sld_resp_fail(o, 404, "not_found", "", "no such resource (paths start with /v1/)");
		return;
	}
	if (strcmp(seg[1], "state") == 0)
		sld_api_state(r, seg + 2, n - 2, o);
	else if (strcmp(seg[1], "vips") == 0)
		sld_api_vips(r, seg + 2, n - 2, o);
	else if (strcmp(seg[1], "history") == 0)
		sld_api_history(r, seg + 2, n - 2, o);
	else if (strcmp(seg[1], "rollback") == 0)
		sld_api_rollback(r, seg + 2, n - 2, o);
	else if (strcmp(seg[1], "status") == 0)
		sld_api_status(r, seg + 2, n - 2, o);
	else if (strcmp(seg[1], "health") == 0)
		sld_api_health(r, seg + 2, n - 2, o);
	else if (strcmp(seg[1], "stats") == 0)
		sld_api_stats(r, seg + 2, n - 2, o);
	else if (strcmp(seg[1], "filter") == 0)
		sld_api_filter(r, seg + 2, n - 2, o);
	else if (strcmp(seg[1], "node") == 0)
		sld_api_node(r, seg + 2, n - 2, o);
	else
		sld_resp_fail(o, 404, "not_found", "", "no such resource");
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
	if (o->etag < 0) {
		pthread_mutex_lock(&r->d->lock);
		o->etag = (int64_t)r->d->version;
		pthread_mutex_unlock(&r->d->lock);
	}
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

static enum MHD_Result
on_request(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
	const char *version, const char *upload, size_t *upload_size, void **con_cls)
{
	struct listener *l = cls;
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
		if (strlen(url) >= sizeof(r->path)) {
			sld_resp_fail(&o, 404, "not_found", "", "path too long");
			return answer_now(r, &o);
		}
		snprintf(r->path, sizeof(r->path), "%s", url);
		if (r->tcp && !token_auth(r, &o))
			return answer_now(r, &o);
		if (!r->tcp)
			peer_uid(r);
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

static void
on_completed(
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

/* ---- listeners ---- */

static int
unix_listen(const struct sld_opts *o, char *err, size_t errlen)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct group *g;
	char dir[sizeof(sa.sun_path)], *slash;
	int fd, probe;
	mode_t old;

	if (strlen(o->socket) >= sizeof(sa.sun_path)) {
		snprintf(err, errlen, "--socket %s: path too long", o->socket);
		return -ENAMETOOLONG;
	}
	strcpy(sa.sun_path, o->socket);
	snprintf(dir, sizeof(dir), "%s", o->socket);
	slash = strrchr(dir, '/');
	if (slash != NULL && slash != dir) {
		*slash = '\0';
		mkdir(dir, 0755);
	}
	/* A socket that answers belongs to a running sluiced: do not steal it. */
	probe = sl_ctl_connect(o->socket);
	if (probe >= 0) {
		close(probe);
		snprintf(err, errlen, "%s: another sluiced is listening there", o->socket);
		return -EADDRINUSE;
	}
	unlink(o->socket);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		goto fail;
	old = umask(0177); /* no window in which others could connect */
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		umask(old);
		goto fail;
	}
	umask(old);
	g = getgrnam("sluice");
	if (g != NULL && chown(o->socket, (uid_t)-1, g->gr_gid) < 0)
		sld_log(LOG_WARNING, "%s: chown to group sluice: %s", o->socket, strerror(errno));
	if (chmod(o->socket, o->socket_mode) < 0 || listen(fd, 64) < 0)
		goto fail;
	return fd;
fail:
	snprintf(err, errlen, "%s: %s", o->socket, strerror(errno));
	if (fd >= 0)
		close(fd);
	return -errno;
}

static int
tcp_listen(const char *spec, char *err, size_t errlen)
{
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM,
		.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE};
	struct addrinfo *ai = NULL;
	char host[128], *port;
	int fd = -1, one = 1, rc;

	if (strlen(spec) >= sizeof(host))
		goto bad;
	if (spec[0] == '[') {
		snprintf(host, sizeof(host), "%s", spec + 1);
		port = strstr(host, "]:");
		if (port == NULL)
			goto bad;
		*port = '\0';
		port += 2;
	} else {
		snprintf(host, sizeof(host), "%s", spec);
		port = strrchr(host, ':');
		if (port == NULL)
			goto bad;
		*port++ = '\0';
	}
	rc = getaddrinfo(host, port, &hints, &ai);
	if (rc != 0)
		goto bad;
	fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
		bind(fd, ai->ai_addr, ai->ai_addrlen) < 0 || listen(fd, 64) < 0) {
		snprintf(err, errlen, "--listen %s: %s", spec, strerror(errno));
		rc = -errno;
		if (fd >= 0)
			close(fd);
		freeaddrinfo(ai);
		return rc;
	}
	freeaddrinfo(ai);
	return fd;
bad:
	snprintf(err, errlen, "--listen %s: not ADDR:PORT or [ADDR]:PORT with numbers", spec);
	return -EINVAL;
}

static struct MHD_Daemon *
serve(int fd, struct listener *l)
{
	return MHD_start_daemon(MHD_USE_AUTO_INTERNAL_THREAD | MHD_USE_ERROR_LOG, 0, NULL, NULL,
		on_request, l, MHD_OPTION_LISTEN_SOCKET, fd, MHD_OPTION_NOTIFY_COMPLETED,
		on_completed, NULL, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)30,
		MHD_OPTION_CONNECTION_LIMIT, (unsigned int)256, MHD_OPTION_END);
}

int
sld_api_start(struct sld *d, char *err, size_t errlen)
{
	int fd;

	unix_l = (struct listener){d, false};
	tcp_l = (struct listener){d, true};
	fd = unix_listen(&d->opts, err, errlen);
	if (fd < 0)
		return fd;
	unix_daemon = serve(fd, &unix_l);
	if (unix_daemon == NULL) {
		close(fd);
		snprintf(err, errlen, "%s: the HTTP server did not start", d->opts.socket);
		return -EIO;
	}
	if (d->opts.listen == NULL)
		return 0;
	fd = tcp_listen(d->opts.listen, err, errlen);
	if (fd < 0)
		return fd;
	tcp_daemon = serve(fd, &tcp_l);
	if (tcp_daemon == NULL) {
		close(fd);
		snprintf(err, errlen, "--listen %s: the HTTP server did not start", d->opts.listen);
		return -EIO;
	}
	return 0;
}

void
sld_api_stop(struct sld *d)
{
	if (unix_daemon != NULL) {
		MHD_stop_daemon(unix_daemon);
		unlink(d->opts.socket);
	}
	if (tcp_daemon != NULL)
		MHD_stop_daemon(tcp_daemon);
	unix_daemon = tcp_daemon = NULL;
}
