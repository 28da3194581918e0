/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lbadm: the operator's CLI for sluiced (docs/api.md). Everything the
 * command files share: exit codes, global options, the command table type,
 * the HTTP client, output and error rendering, argument parsing, the YAML
 * reader and the diff display.
 */
#ifndef SL_LBADM_H
#define SL_LBADM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

struct lb_service;
struct lb_opts;

#define LB_DEFAULT_SOCKET "/run/sluice/sluiced.sock"
/* The API refuses bodies above 16 MiB: refuse input files above that here. */
#define LB_MAX_INPUT (16u << 20)
/* Imperative one-field changes retry a 412 this many times in all. */
#define LB_MAX_ATTEMPTS 5

/* Exit codes: a fixed, documented set (lbadm(8), EXIT STATUS). */
enum lb_exit {
	LB_EXIT_OK = 0,
	LB_EXIT_REFUSED = 1,	 /* refused or invalid: the message names the field */
	LB_EXIT_USAGE = 2,	 /* the command line is wrong */
	LB_EXIT_UNREACHABLE = 3, /* sluiced (or sluice-dp behind it: 502-504) unreachable */
	LB_EXIT_CONFLICT = 4,	 /* the state changed under us (412), or it already exists */
	LB_EXIT_NOT_FOUND = 5,	 /* no such VIP, backend or version */
	LB_EXIT_DENIED = 6,	 /* no or bad token (401), read-only token (403) */
};

/* Global options (main.c). */
struct lb_global {
	const char *socket;	/* Unix socket path */
	const char *host;	/* base URL for TCP, NULL for the socket */
	const char *token_file; /* bearer token file (TCP) */
	bool json;		/* -j: JSON on stdout, errors as {"error": ...} */
	long timeout_s;		/* whole-request timeout */
};
extern struct lb_global lb_g;

/*
 * One verb. @fn gets argc/argv with argv[0] the verb's own name, and returns
 * an enum lb_exit. @sub, when set, is a NULL-terminated table of sub-verbs
 * (then @fn is NULL). @synopsis and @help feed --help; every verb answers
 * `-h`/`--help` itself.
 */
struct lb_cmd {
	const char *name;
	int (*fn)(int argc, char **argv);
	const struct lb_cmd *sub;
	const char *synopsis;
	const char *help;
};

/*
 * Choose the entry of @cmds (NULL-name terminated) that @word names exactly
 * or is an unambiguous prefix of. Returns it, or NULL with errno EINVAL (no
 * match) or EAGAIN (ambiguous).
 */
const struct lb_cmd *lb_cmd_select(const struct lb_cmd *cmds, const char *word);
/* Dispatch argv[0] within @cmds (usage errors reported); @path is "vip" etc. for messages. */
int lb_cmd_dispatch(const struct lb_cmd *cmds, const char *path, int argc, char **argv);
/* The verb being run, in full ("backend drain"), for messages. */
extern char lb_verb[64];
/* Print the --help text of a table of sub-verbs. */
void lb_cmd_help(FILE *f, const struct lb_cmd *cmds, const char *path);

extern const struct lb_cmd lb_vip_cmds[];
extern const struct lb_cmd lb_backend_cmds[];
extern const struct lb_cmd lb_filter_cmds[];
extern const struct lb_cmd lb_node_cmds[];    /* cmd_node.c */
extern const struct lb_cmd lb_cluster_cmds[]; /* cmd_cluster.c */
/* Same address, whatever the spelling (2001:DB8::1 = 2001:db8:0::1). */
bool lb_addr_eq(const char *a, const char *b);
/* The VIP object of a GET /v1/vips/... answer, and a backend of it by address. */
json_t *lb_vip_of(json_t *body);
json_t *lb_find_backend(json_t *vip, const char *addr);
/* "TCP" and "192.0.2.80:80" / "[2001:db8::1]:80" for a VIP object of an answer. */
void lb_service_text(char *proto, size_t plen, char *buf, size_t len, json_t *vip);
/* Options of a read verb that takes @allowed (LB_O_*), no operands: 0, -1 (help) or exit code. */
int lb_simple_opts(int argc, char **argv, unsigned allowed, const char *help, struct lb_opts *o);
/* The list view of every VIP, or of @only; packets and bytes when @stats. */
int lb_show_vips(const struct lb_service *only, bool stats);
int lb_do_status(int argc, char **argv);
int lb_do_list(int argc, char **argv);
int lb_do_stats(int argc, char **argv);
int lb_do_health(int argc, char **argv);
int lb_do_metrics(int argc, char **argv);
int lb_do_apply(int argc, char **argv);
int lb_do_history(int argc, char **argv);
int lb_do_rollback(int argc, char **argv);
int lb_do_export(int argc, char **argv);
int lb_do_set(int argc, char **argv);

/* ---- output and errors (out.c) */

/*
 * Report an error and return @code: text on stderr ("lbadm: FIELD: MESSAGE"),
 * or with -j {"error": {"code": ECODE, "field": FIELD, "message": ...}} on
 * stdout. @field may be NULL.
 */
int lb_fail(enum lb_exit code, const char *ecode, const char *field, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* Shorthand for a command-line error (LB_EXIT_USAGE) that says where to look. */
int lb_usage(const char *verb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Print @j on stdout as indented JSON (the -j output of every command). */
void lb_print_json(json_t *j);
/* Exit code of an API error code ("not_found" -> LB_EXIT_NOT_FOUND, ...) or HTTP status. */
enum lb_exit lb_exit_of(const char *ecode, long status);

/* Column-aligned text table. */
struct lb_table {
	int ncols;
	int nrows;
	int cap;
	char **cells;	/* nrows * ncols, owned */
	unsigned right; /* bit i: column i right-aligned */
};
void lb_table_init(struct lb_table *t, int ncols, unsigned right_aligned);
/* Append a row of @t->ncols strings (copied; NULL prints as "-"). 0 or -ENOMEM. */
int lb_table_row(struct lb_table *t, const char *const *cols);
/* Print the rows, columns padded to their widest cell, two spaces apart. */
void lb_table_print(FILE *f, const struct lb_table *t);
void lb_table_free(struct lb_table *t);

/* A JSON value as short text ("-" for none, yes/no for booleans). */
void lb_fmt(char *buf, size_t len, json_t *v);
/* An object as "path value" lines, top-level keys in @skip left out. */
void lb_print_flat(FILE *f, json_t *v, const char *const *skip);

/* ---- HTTP (http.c) */

struct lb_resp {
	long status;	/* HTTP status; 0 when no response */
	long long etag; /* the ETag's version, -1 when absent */
	json_t *body;	/* the parsed body when it is JSON, else NULL */
	char *raw;	/* the body as received, NUL-terminated */
	size_t raw_len;
};

/*
 * One request to sluiced: @method @path (below the base, e.g. "/v1/vips"),
 * @body (JSON, may be NULL), If-Match @if_match when >= 0. Fills @r.
 * Returns 0 when an HTTP answer came back (any status); otherwise reports
 * the failure (lb_fail) and returns -LB_EXIT_UNREACHABLE or -LB_EXIT_USAGE.
 */
int lb_http(
	const char *method, const char *path, json_t *body, long long if_match, struct lb_resp *r);
void lb_resp_free(struct lb_resp *r);
/*
 * Check an answer: 2xx returns 0; otherwise the API's error is reported
 * (field and message) and its exit code returned.
 */
int lb_resp_check(const struct lb_resp *r);
/* The "version" of an answer (body, else ETag), -1 when neither says. */
long long lb_resp_version(const struct lb_resp *r);
/* GET @path and check it: 0 or an exit code (already reported). */
int lb_get(const char *path, struct lb_resp *r);

/* ---- arguments (args.c) */

/* A VIP as the API names it: PROTO/ADDRESS/PORT, address in canonical form. */
struct lb_service {
	char proto[4]; /* "tcp" or "udp" */
	int family;    /* AF_INET or AF_INET6 */
	char addr[64]; /* canonical text form */
	uint16_t port;
};

/*
 * Parse ipvsadm's service notation: "ADDR:PORT" for IPv4, "[ADDR]:PORT" for
 * IPv6, with protocol @proto ("tcp"/"udp"); or the API's "PROTO/ADDR/PORT"
 * when @proto is NULL. Port 0 means every port and must be written.
 * Returns 0 or -EINVAL with the reason in @err.
 */
int lb_parse_service(
	const char *s, const char *proto, struct lb_service *out, char *err, size_t errlen);
/* "tcp/192.0.2.1/80" into @buf. */
void lb_service_id(const struct lb_service *svc, char *buf, size_t len);
/*
 * Parse a real server: "ADDR", "ADDR:PORT" (IPv4) or "[ADDR]" / "[ADDR]:PORT"
 * (IPv6). A port, if written, must be the VIP's (backends receive the VIP's
 * port: direct server return cannot remap ports). @addr gets the canonical
 * address. Returns 0 or -EINVAL with the reason in @err.
 */
int lb_parse_real(const char *s, const struct lb_service *vip, char *addr, size_t addrlen,
	char *err, size_t errlen);
/* Parse a decimal integer in [min, max], no sign or leading zero. 0 or -EINVAL/-ERANGE. */
int lb_parse_uint(
	const char *s, unsigned long long min, unsigned long long max, unsigned long long *out);

/* ---- verb options (opts.c): the options vip and backend verbs share */

enum lb_opt_set {
	LB_O_SERVICE = 1u << 0, /* -t/-u SERVICE, or PROTO/ADDR/PORT as the first operand */
	LB_O_REAL = 1u << 1,	/* -r ADDR */
	LB_O_WEIGHT = 1u << 2,	/* -w WEIGHT */
	LB_O_MAC = 1u << 3,	/* --mac MAC */
	LB_O_STATE = 1u << 4,	/* --state STATE */
	LB_O_VIP = 1u << 5, /* --hash, -i/-g/--forwarding, health checks, slow start, min healthy */
	LB_O_LIST = 1u << 6, /* -n, --stats (list) */
};

struct lb_opts {
	bool have_svc;
	struct lb_service svc;
	const char *real;   /* as written */
	char real_addr[64]; /* canonical */
	bool have_weight;
	unsigned long long weight;
	const char *mac;
	const char *state;
	bool stats;
	json_t *vip; /* VIP settings the options set, an object (owned) */
	int nargs;   /* operands left after the options */
	char **args;
};

/*
 * Parse @argv (argv[0] the verb) with the options of @allowed. Reports a
 * usage error and returns LB_EXIT_USAGE, or returns -1 after printing the
 * verb's help for -h, or 0. @help is the verb's option text.
 */
int lb_opts_parse(struct lb_opts *o, unsigned allowed, int argc, char **argv, const char *help);
void lb_opts_free(struct lb_opts *o);
/* "/v1/vips/PROTO/ADDR/PORT" into @buf. */
void lb_vip_path(const struct lb_service *svc, char *buf, size_t len);

/*
 * An imperative write with the bounded 412 retry: GET @read_path for the
 * version, call @check (may be NULL) with that answer to refuse early
 * (returns 0 or an exit code, already reported), then @method @path @body
 * with If-Match; on 412 start again, up to LB_MAX_ATTEMPTS. @out gets the
 * write's answer (checked), @before the version it was based on. Returns 0
 * or an exit code (reported).
 */
int lb_write(const char *method, const char *path, json_t *body, const char *read_path,
	int (*check)(const struct lb_resp *cur, void *arg), void *arg, struct lb_resp *out,
	long long *before);
/* Report a write's success: "VERB WHAT: version A -> B" or "unchanged". */
void lb_report_write(const struct lb_resp *r, long long before, const char *what);

/* ---- input documents (input.c, yaml.c) */

/*
 * Read a state document from @path ("-" for stdin): JSON when the name ends
 * in .json or the text starts with '{', else YAML (lb_yaml_to_json rules).
 * Returns the document, or NULL with the reason (file:line:column: path:
 * message) in @err.
 */
json_t *lb_read_doc(const char *path, char *err, size_t errlen);
/*
 * Convert YAML text to the JSON the API takes, with explicit scalar typing
 * (lbadm(8), INPUT FILES): a plain scalar that YAML 1.1 and YAML 1.2 read
 * differently (on, no, 0800, 0x1f, 1e3, 1:20, ...) is refused rather than
 * guessed; quoted scalars are strings; anchors, aliases, merge keys,
 * duplicate keys and several documents are refused. @name prefixes errors.
 * Returns the document or NULL with the reason in @err.
 */
json_t *lb_yaml_to_json(const char *text, size_t len, const char *name, char *err, size_t errlen);

/* ---- digests for cluster compare (digest.c) */

/*
 * A digest (16 hex digits, "?" when out of memory) of a state document that
 * does not depend on the order of its VIPs or backends (Maglev does not
 * either), into @out.
 */
void lb_state_digest(json_t *state, char *out, size_t len);
/*
 * The per-VIP Maglev table digests of a GET /v1/status answer folded into
 * one (sorted "VIP=DIGEST" pairs), "-" when it reports none; *@pairs_out
 * gets those pairs (new reference).
 */
void lb_tables_digest(json_t *status, char *out, size_t len, json_t **pairs_out);

/* ---- diffs (diff.c) */

/* Print an API diff array ([{"op", "path", "old", "new"}]) one line per entry. */
void lb_diff_print(FILE *f, json_t *diff);

#endif /* SL_LBADM_H */
