/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The HTTP client: libcurl over sluiced's Unix socket
 * (CURLOPT_UNIX_SOCKET_PATH), or over TCP with a bearer token. One request
 * per call; the answer's status, ETag version and JSON body come back in
 * struct lb_resp. API errors are reported with their field and message.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <curl/curl.h>

#include "lbadm.h"

/* Bodies larger than this are not a sluiced answer: stop reading. */
#define LB_MAX_ANSWER (256u << 20)

struct sink {
	char *buf;
	size_t len;
	size_t cap;
	bool too_big;
};

static size_t
on_body(char *data, size_t size, size_t n, void *arg)
{
	struct sink *s = arg;
	size_t add = size * n;

	if (s->len + add + 1 > LB_MAX_ANSWER) {
		s->too_big = true;
		return 0;
	}
	if (s->len + add + 1 > s->cap) {
		size_t cap = s->cap ? s->cap : 16384;
		while (cap < s->len + add + 1)
			cap *= 2;
		char *b = realloc(s->buf, cap);
		if (!b)
			return 0;
		s->buf = b;
		s->cap = cap;
	}
	memcpy(s->buf + s->len, data, add);
	s->len += add;
	s->buf[s->len] = '\0';
	return add;
}

/* ETag: "N" (weak W/"N" accepted too). */
static size_t
on_header(char *data, size_t size, size_t n, void *arg)
{
	long long *etag = arg;
	size_t len = size * n;
	const char *p = data, *end = data + len;

	if (len < 5 || strncasecmp(data, "etag:", 5) != 0)
		return len;
	p += 5;
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	if (end - p >= 2 && p[0] == 'W' && p[1] == '/')
		p += 2;
	if (p < end && *p == '"')
		p++;
	long long v = 0;
	const char *d = p;
	while (p < end && isdigit((unsigned char)*p) && v < (1LL << 53))
		v = v * 10 + (*p++ - '0');
	if (p > d)
		*etag = v;
	return len;
}

/* The token: --token-file, else $SLUICE_TOKEN. NULL when neither. */
static char *
read_token(int *rc)
{
	const char *env = getenv("SLUICE_TOKEN");
	char line[4096];
	struct stat st;
	FILE *f;

	*rc = 0;
	if (!lb_g.token_file)
		return env && env[0] ? strdup(env) : NULL;
	f = fopen(lb_g.token_file, "r");
	if (!f) {
		*rc = lb_fail(LB_EXIT_USAGE, "usage", "--token-file", "%s: %s", lb_g.token_file,
			strerror(errno));
		return NULL;
	}
	if (fstat(fileno(f), &st) == 0 && (st.st_mode & 077))
		fprintf(stderr, "lbadm: warning: %s is readable by others (chmod 600 it)\n",
			lb_g.token_file);
	/* The first line that is not empty or a comment; surrounding blanks dropped. */
	while (fgets(line, sizeof(line), f)) {
		char *s = line, *e;
		while (isspace((unsigned char)*s))
			s++;
		e = s + strlen(s);
		while (e > s && isspace((unsigned char)e[-1]))
			*--e = '\0';
		if (*s && *s != '#') {
			fclose(f);
			return strdup(s);
		}
	}
	fclose(f);
	*rc = lb_fail(
		LB_EXIT_USAGE, "usage", "--token-file", "%s: no token in it", lb_g.token_file);
	return NULL;
}

void
lb_resp_free(struct lb_resp *r)
{
	json_decref(r->body);
	free(r->raw);
	memset(r, 0, sizeof(*r));
	r->etag = -1;
}

int
lb_http(const char *method, const char *path, json_t *body, long long if_match, struct lb_resp *r)
{
	struct curl_slist *hdrs = NULL;
	struct sink sink = {0};
	char errbuf[CURL_ERROR_SIZE] = "";
	char url[2048], hdr[4200];
	char *payload = NULL, *token = NULL;
	CURL *curl = NULL;
	CURLcode cc;
	int rc = 0;

	memset(r, 0, sizeof(*r));
	r->etag = -1;
	if (lb_g.host) {
		size_t n = strlen(lb_g.host);
		while (n > 0 && lb_g.host[n - 1] == '/')
			n--;
		snprintf(url, sizeof(url), "%.*s%s", (int)n, lb_g.host, path);
		token = read_token(&rc);
		if (rc)
			return -rc;
	} else {
		/* The host part is not used on a Unix socket; the path is. */
		snprintf(url, sizeof(url), "http://localhost%s", path);
	}

	curl = curl_easy_init();
	if (!curl) {
		rc = lb_fail(LB_EXIT_UNREACHABLE, "internal", NULL, "libcurl: out of memory");
		goto out;
	}
	if (!lb_g.host)
		curl_easy_setopt(curl, CURLOPT_UNIX_SOCKET_PATH, lb_g.socket);
	curl_easy_setopt(curl, CURLOPT_URL, url);
	curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, 10L);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT, lb_g.timeout_s);
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, &sink);
	curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(curl, CURLOPT_HEADERDATA, &r->etag);
	curl_easy_setopt(curl, CURLOPT_USERAGENT, "lbadm");
	/* Never follow a redirect, never use a proxy: sluiced answers itself. */
	curl_easy_setopt(curl, CURLOPT_NOPROXY, "*");
	curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");

	hdrs = curl_slist_append(hdrs, "Accept: application/json");
	if (body) {
		payload = json_dumps(body, JSON_COMPACT | JSON_PRESERVE_ORDER);
		if (!payload) {
			rc = lb_fail(
				LB_EXIT_REFUSED, "internal", NULL, "cannot encode the request");
			goto out;
		}
		hdrs = curl_slist_append(hdrs, "Content-Type: application/json");
		curl_easy_setopt(curl, CURLOPT_POSTFIELDS, payload);
		curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(payload));
	}
	if (if_match >= 0) {
		snprintf(hdr, sizeof(hdr), "If-Match: \"%lld\"", if_match);
		hdrs = curl_slist_append(hdrs, hdr);
	}
	if (token) {
		snprintf(hdr, sizeof(hdr), "Authorization: Bearer %s", token);
		hdrs = curl_slist_append(hdrs, hdr);
	}
	/* curl would send "Expect: 100-continue" for large bodies: not needed. */
	hdrs = curl_slist_append(hdrs, "Expect:");
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, hdrs);

	cc = curl_easy_perform(curl);
	if (cc != CURLE_OK) {
		long os_errno = 0;
		curl_easy_getinfo(curl, CURLINFO_OS_ERRNO, &os_errno);
		const char *where = lb_g.host ? lb_g.host : lb_g.socket;
		if (sink.too_big)
			rc = lb_fail(LB_EXIT_UNREACHABLE, "unreachable", NULL,
				"%s: answer larger than %u MiB: not sluiced?", where,
				LB_MAX_ANSWER >> 20);
		else if (!lb_g.host && cc == CURLE_COULDNT_CONNECT && os_errno)
			/* curl's own text names "localhost port 80": say what failed. */
			rc = lb_fail(LB_EXIT_UNREACHABLE, "unreachable", NULL,
				"cannot reach sluiced at %s: %s (is sluiced running? -s PATH)",
				where, strerror((int)os_errno));
		else
			rc = lb_fail(LB_EXIT_UNREACHABLE, "unreachable", NULL,
				"cannot reach sluiced at %s: %s", where,
				errbuf[0] ? errbuf : curl_easy_strerror(cc));
		goto out;
	}
	curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &r->status);
	r->raw = sink.buf ? sink.buf : strdup("");
	r->raw_len = sink.len;
	sink.buf = NULL;
	if (r->raw_len > 0) {
		json_error_t jerr;
		r->body = json_loadb(r->raw, r->raw_len, JSON_DECODE_ANY, &jerr);
	}
out:
	free(sink.buf);
	curl_slist_free_all(hdrs);
	if (curl)
		curl_easy_cleanup(curl);
	free(payload);
	if (token) {
		explicit_bzero(token, strlen(token));
		free(token);
	}
	return rc ? -rc : 0;
}

long long
lb_resp_version(const struct lb_resp *r)
{
	json_t *v = json_is_object(r->body) ? json_object_get(r->body, "version") : NULL;

	if (json_is_integer(v))
		return json_integer_value(v);
	return r->etag;
}

int
lb_resp_check(const struct lb_resp *r)
{
	json_t *e;

	if (r->status >= 200 && r->status < 300) {
		if (!r->body && r->raw_len)
			return lb_fail(LB_EXIT_UNREACHABLE, "bad_answer", NULL,
				"sluiced answered %ld with a body that is not JSON", r->status);
		return LB_EXIT_OK;
	}
	e = json_is_object(r->body) ? json_object_get(r->body, "error") : NULL;
	if (!json_is_object(e)) {
		/* Not an API error body: a proxy, or not sluiced at all. */
		return lb_fail(lb_exit_of(NULL, r->status), "http_error", NULL,
			"sluiced answered HTTP %ld without an error body%s%.200s", r->status,
			r->raw_len ? ": " : "", r->raw ? r->raw : "");
	}
	const char *code = json_string_value(json_object_get(e, "code"));
	const char *field = json_string_value(json_object_get(e, "field"));
	const char *msg = json_string_value(json_object_get(e, "message"));
	enum lb_exit x = lb_exit_of(code, r->status);

	if (lb_g.json) {
		/* The API's own error object, plus the exit code scripts will see. */
		json_t *copy = json_deep_copy(r->body);
		json_object_set_new(json_object_get(copy, "error"), "exit_code", json_integer(x));
		lb_print_json(copy);
		json_decref(copy);
		return x;
	}
	json_t *cur = json_object_get(e, "current_version");
	if (json_is_integer(cur))
		fprintf(stderr, "lbadm: %s%s%s (%s; the state is now at version %lld)\n",
			field ? field : "", field ? ": " : "", msg ? msg : "refused",
			code ? code : "error", (long long)json_integer_value(cur));
	else
		fprintf(stderr, "lbadm: %s%s%s (%s)\n", field ? field : "", field ? ": " : "",
			msg ? msg : "refused", code ? code : "error");
	return x;
}

int
lb_get(const char *path, struct lb_resp *r)
{
	int rc = lb_http("GET", path, NULL, -1, r);

	if (rc < 0)
		return -rc;
	return lb_resp_check(r);
}
