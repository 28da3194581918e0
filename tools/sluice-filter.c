/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sluice-filter: manage the XDP filter of an interface until sluiced does.
 *
 *   sluice-filter [-j] [-r PIN_ROOT] COMMAND IFACE [ARGS]
 *
 * Commands are matched by unambiguous prefix (bpftool style); every output
 * goes through one renderer, as a table or as JSON (-j); errors are
 * {"error": "..."} in JSON mode. Rule changes read the interface's whole
 * rule set from its pinned maps, change it, and replace it as a whole
 * (common/filter.c): a refused change leaves the loaded rules untouched.
 *
 * Exit codes: 0 done; 1 the system refused (maps, kernel, files);
 * 2 bad usage or invalid input (prefix, limit, rule file).
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <linux/if_link.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <dirent.h>
#include <bpf/libbpf.h>
#include <jansson.h>

#include <sluice/filter.h>
#include <sluice/paths.h>


enum {
	EXIT_SYS = 1,
	EXIT_USAGE = 2
};

static bool json_mode;
static const char *pin_root;

/* ---- output: one renderer for tables and JSON ---- */

static int
fail(int code, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (json_mode) {
		json_t *e = json_pack("{s:s}", "error", msg);
		json_dumpf(e, stdout, JSON_COMPACT);
		putchar('\n');
		json_decref(e);
	} else {
		fprintf(stderr, "sluice-filter: %s\n", msg);
	}
	return code;
}

static void
print_scalar(json_t *v)
{
	if (json_is_string(v))
		fputs(json_string_value(v), stdout);
	else if (json_is_integer(v))
		printf("%lld", (long long)json_integer_value(v));
	else if (json_is_true(v) || json_is_false(v))
		fputs(json_is_true(v) ? "yes" : "no", stdout);
	else if (json_is_null(v))
		fputs("-", stdout);
	else {
		char *s = json_dumps(v, JSON_COMPACT);
		fputs(s ? s : "?", stdout);
		free(s);
	}
}

/* An array of objects as a table, columns from the first row's keys. */
static void
print_table(json_t *rows, int indent)
{
	json_t *first = json_array_get(rows, 0), *row, *v;
	const char *k;
	size_t i;

	if (!json_is_object(first)) {
		json_array_foreach(rows, i, v)
		{
			printf("%*s", indent, "");
			print_scalar(v);
			putchar('\n');
		}
		return;
	}
	printf("%*s", indent, "");
	json_object_foreach(first, k, v) printf("%-22s", k);
	putchar('\n');
	json_array_foreach(rows, i, row)
	{
		printf("%*s", indent, "");
		json_object_foreach(first, k, v)
		{
			json_t *c = json_object_get(row, k);
			char *s = NULL;
			if (json_is_string(c))
				printf("%-22s", json_string_value(c));
			else if (json_is_integer(c))
				printf("%-22lld", (long long)json_integer_value(c));
			else {
				s = c ? json_dumps(c, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
				printf("%-22s", s ? s : "-");
				free(s);
			}
		}
		putchar('\n');
	}
}

static void
print_obj(json_t *o, int indent)
{
	const char *k;
	json_t *v;

	json_object_foreach(o, k, v)
	{
		if (json_is_object(v)) {
			printf("%*s%s:\n", indent, "", k);
			print_obj(v, indent + 2);
		} else if (json_is_array(v)) {
			printf("%*s%s: (%zu)\n", indent, "", k, json_array_size(v));
			print_table(v, indent + 2);
		} else {
			printf("%*s%-24s ", indent, "", k);
			print_scalar(v);
			putchar('\n');
		}
	}
}

/* Print @o (stolen) as JSON or as a table. */
static int
render(json_t *o)
{
	if (json_mode) {
		json_dumpf(o, stdout, JSON_COMPACT | JSON_PRESERVE_ORDER);
		putchar('\n');
	} else if (json_is_array(o)) {
		print_table(o, 0);
	} else {
		print_obj(o, 0);
	}
	json_decref(o);
	return 0;
}

/* ---- helpers ---- */

struct cmd_ctx {
	const char *ifname;
	int ifindex;
	int argc;
	char **argv;
};

static int
open_filter(const struct cmd_ctx *c, struct sl_filter **f, unsigned flags)
{
	int rc = sl_filter_open(f, pin_root, c->ifname, flags);

	if (rc == -ENOENT)
		return fail(EXIT_SYS,
			"%s: no filter maps under %s/%s: load the filter (sluice-filter load) or "
			"start sluice-dp on it first",
			c->ifname, pin_root ? pin_root : SL_FILTER_PIN_ROOT, c->ifname);
	if (rc == -EINVAL)
		return fail(EXIT_SYS,
			"%s: the maps pinned under %s/%s do not match this version: remove that "
			"directory",
			c->ifname, pin_root ? pin_root : SL_FILTER_PIN_ROOT, c->ifname);
	if (rc < 0)
		return fail(EXIT_SYS, "%s: filter maps: %s", c->ifname, strerror(-rc));
	/* Also swap into the attached program, when there is one of ours. */
	if (c->ifindex > 0)
		sl_filter_plug_ifindex(*f, c->ifindex);
	return 0;
}

/* Replace the rule set with @cfg (@parts changed); prints the result summary. */
static int
apply_cfg(struct sl_filter *f, const struct sl_filter_cfg *cfg, unsigned parts)
{
	char err[SL_FILTER_ERR_LEN] = "";
	int rc = sl_filter_apply(f, cfg, parts, err, sizeof(err));

	if (rc == -EINVAL)
		return fail(EXIT_USAGE, "refused, rules unchanged: %s", err);
	if (rc < 0)
		return fail(EXIT_SYS, "refused, rules unchanged: %s", err[0] ? err : strerror(-rc));
	return render(json_pack("{s:b,s:i,s:i,s:i}", "ok", 1, "allow", cfg->n_allow, "deny",
		cfg->n_deny, "rate_overrides", cfg->n_rate_ovr));
}

static int
parse_u64(const char *opt, const char *s, uint64_t *out)
{
	char *end;

	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (!*s || *end || errno || s[0] == '-')
		return fail(EXIT_USAGE, "%s: '%s' is not a non-negative integer", opt, s);
	*out = v;
	return 0;
}

/* Prefixes from arguments and --file options into *@v. */
static int
collect_prefixes(int argc, char **argv, struct sl_filter_prefix **v, uint32_t *n)
{
	char err[SL_FILTER_ERR_LEN];

	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--file") == 0 || strcmp(argv[i], "-f") == 0) {
			if (i + 1 == argc)
				return fail(EXIT_USAGE, "--file needs a path");
			int rc = sl_filter_prefix_file(argv[++i], v, n, err, sizeof(err));
			if (rc < 0)
				return fail(rc == -EINVAL ? EXIT_USAGE : EXIT_SYS, "%s", err);
			continue;
		}
		void *t = realloc(*v, ((size_t)*n + 1) * sizeof(**v));
		if (!t)
			return fail(EXIT_SYS, "out of memory");
		*v = t;
		if (sl_filter_prefix_parse(&(*v)[*n], argv[i], err, sizeof(err)) < 0)
			return fail(EXIT_USAGE, "%s", err);
		(*n)++;
	}
	if (*n == 0)
		return fail(EXIT_USAGE, "no prefixes given (arguments or --file FILE)");
	return 0;
}

static bool
prefix_eq(const struct sl_filter_prefix *a, const struct sl_filter_prefix *b)
{
	return a->family == b->family && a->len == b->len && memcmp(a->addr, b->addr, 16) == 0;
}

/* ---- commands ---- */

static int
cmd_load(struct cmd_ctx *c)
{
	const char *obj = sl_xdp_front_obj_default();
	uint32_t flags = XDP_FLAGS_UPDATE_IF_NOEXIST;
	struct sl_filter *f;
	int prog_fd, rc;

	for (int i = 0; i < c->argc; i++) {
		if (strcmp(c->argv[i], "--obj") == 0 && i + 1 < c->argc)
			obj = c->argv[++i];
		else if (strcmp(c->argv[i], "--skb") == 0)
			flags |= XDP_FLAGS_SKB_MODE;
		else if (strcmp(c->argv[i], "--native") == 0)
			flags |= XDP_FLAGS_DRV_MODE;
		else if (strcmp(c->argv[i], "--force") == 0)
			flags &= ~XDP_FLAGS_UPDATE_IF_NOEXIST;
		else
			return fail(EXIT_USAGE, "load: unknown argument '%s'", c->argv[i]);
	}
	rc = sl_filter_load_standalone(obj, c->ifindex, flags, &prog_fd);
	if (rc == -EBUSY || rc == -EEXIST)
		return fail(EXIT_SYS, "%s: another XDP program is attached (--force replaces it)",
			c->ifname);
	if (rc < 0)
		return fail(EXIT_SYS, "%s: loading %s: %s", c->ifname, obj, strerror(-rc));
	rc = open_filter(c, &f, SL_FILTER_CREATE);
	if (rc) {
		close(prog_fd);
		return rc;
	}
	rc = sl_filter_plug(f, prog_fd);
	close(prog_fd);
	if (rc < 0) {
		sl_filter_close(f);
		return fail(EXIT_SYS, "%s: plugging the filter maps: %s", c->ifname, strerror(-rc));
	}
	rc = render(json_pack("{s:b,s:s,s:s,s:s}", "ok", 1, "interface", c->ifname, "mode",
		"standalone", "pinned", sl_filter_dir(f)));
	sl_filter_close(f);
	return rc;
}

static int
cmd_unload(struct cmd_ctx *c)
{
	bool purge = c->argc == 1 && strcmp(c->argv[0], "--purge") == 0;
	char dir[PATH_MAX];

	if (c->argc && !purge)
		return fail(EXIT_USAGE, "unload: unknown argument '%s'", c->argv[0]);
	if (bpf_xdp_detach(c->ifindex, 0, NULL) < 0)
		return fail(EXIT_SYS, "%s: detach: %s", c->ifname, strerror(errno));
	if (purge) {
		/* The directory holds this interface's pinned maps and nothing else. */
		DIR *d;
		struct dirent *e;

		snprintf(dir, sizeof(dir), "%s/%s", pin_root ? pin_root : SL_FILTER_PIN_ROOT,
			c->ifname);
		if ((d = opendir(dir))) {
			while ((e = readdir(d))) {
				char p[PATH_MAX + 256];

				if (e->d_name[0] == '.')
					continue;
				snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
				unlink(p);
			}
			closedir(d);
		}
		rmdir(dir);
	}
	return render(json_pack("{s:b,s:b}", "ok", 1, "purged", purge));
}

static int
cmd_show(struct cmd_ctx *c)
{
	struct sl_filter_cfg cfg;
	struct sl_filter *f;
	char *s;
	int rc;

	if ((rc = open_filter(c, &f, 0)))
		return rc;
	rc = sl_filter_get(f, &cfg);
	sl_filter_close(f);
	if (rc < 0)
		return fail(EXIT_SYS, "%s: reading the rules: %s", c->ifname, strerror(-rc));
	s = sl_filter_cfg_to_json(&cfg);
	sl_filter_cfg_free(&cfg);
	if (!s)
		return fail(EXIT_SYS, "out of memory");
	/* The rule set is JSON in both modes: it is what `apply` takes back. */
	if (json_mode) {
		json_t *o = json_loads(s, 0, NULL);
		free(s);
		return render(o);
	}
	puts(s);
	free(s);
	return 0;
}

static int
cmd_apply(struct cmd_ctx *c)
{
	char err[SL_FILTER_ERR_LEN];
	struct sl_filter_cfg cfg;
	struct sl_filter *f;
	int rc;

	if (c->argc != 1)
		return fail(EXIT_USAGE, "apply IFACE FILE (a JSON rule set, docs/filter.md)");
	rc = sl_filter_cfg_from_file(&cfg, c->argv[0], err, sizeof(err));
	if (rc < 0) {
		sl_filter_cfg_free(&cfg);
		return fail(EXIT_USAGE, "refused, rules unchanged: %s", err);
	}
	if ((rc = open_filter(c, &f, 0)) == 0) {
		rc = apply_cfg(f, &cfg, SL_FILTER_PART_ALL);
		sl_filter_close(f);
	}
	sl_filter_cfg_free(&cfg);
	return rc;
}

/* allow|deny add|del IFACE PREFIX... [--file F] [--vip A [--proto P] [--port N]] */
static int
cmd_list(struct cmd_ctx *c, bool deny)
{
	struct sl_filter_prefix *pv = NULL;
	struct sl_filter_deny scope = {0};
	struct sl_filter_cfg cfg;
	struct sl_filter *f = NULL;
	uint32_t np = 0;
	bool add;
	int rc, nargs = 0;
	char **args;

	if (c->argc < 1 || (strcmp(c->argv[0], "add") != 0 && strcmp(c->argv[0], "del") != 0))
		return fail(EXIT_USAGE, "%s add|del IFACE PREFIX... [--file FILE]",
			deny ? "deny" : "allow");
	add = strcmp(c->argv[0], "add") == 0;
	args = calloc((size_t)c->argc, sizeof(*args));
	if (!args)
		return fail(EXIT_SYS, "out of memory");
	for (int i = 1; i < c->argc; i++) {
		const char *a = c->argv[i];
		if (deny && strcmp(a, "--vip") == 0 && i + 1 < c->argc) {
			const char *v = c->argv[++i];
			scope.scoped = true;
			if (inet_pton(AF_INET, v, scope.dst) == 1)
				scope.dst_family = 4;
			else if (inet_pton(AF_INET6, v, scope.dst) == 1)
				scope.dst_family = 6;
			else {
				free(args);
				return fail(EXIT_USAGE, "--vip: '%s' is not an address", v);
			}
		} else if (deny && strcmp(a, "--proto") == 0 && i + 1 < c->argc) {
			const char *p = c->argv[++i];
			scope.proto = strcmp(p, "tcp") == 0 ? 6 : strcmp(p, "udp") == 0 ? 17 : 255;
			if (scope.proto == 255) {
				free(args);
				return fail(EXIT_USAGE, "--proto: must be tcp or udp");
			}
		} else if (deny && strcmp(a, "--port") == 0 && i + 1 < c->argc) {
			uint64_t port;
			if ((rc = parse_u64("--port", c->argv[++i], &port)) || port > 65535) {
				free(args);
				return rc ? rc : fail(EXIT_USAGE, "--port: must be 0..65535");
			}
			scope.port = (uint16_t)port;
		} else {
			args[nargs++] = c->argv[i];
		}
	}
	rc = collect_prefixes(nargs, args, &pv, &np);
	free(args);
	if (rc)
		goto out_pv;
	if ((scope.proto || scope.port) && !scope.scoped) {
		rc = fail(EXIT_USAGE, "--proto and --port scope a rule: give --vip too");
		goto out_pv;
	}
	if ((rc = open_filter(c, &f, 0)))
		goto out_pv;
	if ((rc = sl_filter_get(f, &cfg)) < 0) {
		rc = fail(EXIT_SYS, "%s: reading the rules: %s", c->ifname, strerror(-rc));
		goto out_f;
	}
	if (add) {
		uint32_t cap = deny ? cfg.n_deny : cfg.n_allow;
		if ((uint64_t)cap + np > (deny ? SL_FILT_DENY_MAX : SL_FILT_ALLOW_MAX)) {
			rc = fail(EXIT_USAGE,
				"refused, rules unchanged: %s would hold %llu rules, at "
				"most %u",
				deny ? "deny" : "allow", (unsigned long long)cap + np,
				deny ? SL_FILT_DENY_MAX : SL_FILT_ALLOW_MAX);
			goto out_cfg;
		}
		for (uint32_t i = 0; i < np; i++) {
			if (deny) {
				scope.src = pv[i];
				cfg.deny[cfg.n_deny++] = scope;
			} else {
				cfg.allow[cfg.n_allow++] = pv[i];
			}
		}
	} else {
		uint32_t removed = 0;
		for (uint32_t i = 0; i < np; i++) {
			uint32_t w = 0, n = deny ? cfg.n_deny : cfg.n_allow;
			for (uint32_t r = 0; r < n; r++) {
				bool hit = deny ? prefix_eq(&cfg.deny[r].src, &pv[i]) &&
							   cfg.deny[r].scoped == scope.scoped
						: prefix_eq(&cfg.allow[r], &pv[i]);
				if (hit) {
					removed++;
					continue;
				}
				if (deny)
					cfg.deny[w++] = cfg.deny[r];
				else
					cfg.allow[w++] = cfg.allow[r];
			}
			*(deny ? &cfg.n_deny : &cfg.n_allow) = w;
		}
		if (removed == 0) {
			rc = fail(EXIT_USAGE,
				"refused, rules unchanged: none of those prefixes is "
				"in the %s list",
				deny ? "deny" : "allow");
			goto out_cfg;
		}
	}
	rc = apply_cfg(f, &cfg, deny ? SL_FILTER_PART_DENY : SL_FILTER_PART_ALLOW);
out_cfg:
	sl_filter_cfg_free(&cfg);
out_f:
	sl_filter_close(f);
out_pv:
	free(pv);
	return rc;
}

static int
cmd_allow(struct cmd_ctx *c)
{
	return cmd_list(c, false);
}

static int
cmd_deny(struct cmd_ctx *c)
{
	return cmd_list(c, true);
}

/*
 * limit IFACE [--pps N] [--bps N] [--burst-packets N] [--burst-bytes N]
 *             [--key-v4 LEN] [--key-v6 LEN]                    the default limit
 * limit IFACE --prefix P [--key LEN] [rates...] | --prefix P --remove   an override
 */
static int
cmd_limit(struct cmd_ctx *c)
{
	struct sl_filter_rate r = {0};
	struct sl_filter_prefix p = {0};
	uint64_t key = 0, k4 = 256, k6 = 256;
	bool has_prefix = false, remove = false;
	char err[SL_FILTER_ERR_LEN];
	struct sl_filter_cfg cfg;
	struct sl_filter *f;
	unsigned parts = SL_FILTER_PART_CONF;
	int rc;

	for (int i = 0; i < c->argc; i++) {
		const char *a = c->argv[i], *v = i + 1 < c->argc ? c->argv[i + 1] : NULL;
		uint64_t *dst = strcmp(a, "--pps") == 0		    ? &r.pps
				: strcmp(a, "--bps") == 0	    ? &r.bps
				: strcmp(a, "--burst-packets") == 0 ? &r.burst_pkts
				: strcmp(a, "--burst-bytes") == 0   ? &r.burst_bytes
				: strcmp(a, "--key") == 0	    ? &key
				: strcmp(a, "--key-v4") == 0	    ? &k4
				: strcmp(a, "--key-v6") == 0	    ? &k6
								    : NULL;
		if (strcmp(a, "--remove") == 0) {
			remove = true;
		} else if (strcmp(a, "--prefix") == 0 && v) {
			if (sl_filter_prefix_parse(&p, v, err, sizeof(err)) < 0)
				return fail(EXIT_USAGE, "--prefix: %s", err);
			has_prefix = true;
			i++;
		} else if (dst && v) {
			if ((rc = parse_u64(a, v, dst)))
				return rc;
			i++;
		} else {
			return fail(EXIT_USAGE, "limit: unknown or incomplete argument '%s'", a);
		}
	}
	if ((remove || key) && !has_prefix)
		return fail(EXIT_USAGE, "--remove and --key apply to an override: give --prefix");
	if (key > 128 || (k4 != 256 && k4 > 32) || (k6 != 256 && k6 > 128))
		return fail(EXIT_USAGE, "key prefix lengths: v4 0..32, v6 0..128");
	if ((rc = open_filter(c, &f, 0)))
		return rc;
	if ((rc = sl_filter_get(f, &cfg)) < 0) {
		sl_filter_close(f);
		return fail(EXIT_SYS, "%s: reading the rules: %s", c->ifname, strerror(-rc));
	}
	if (has_prefix) {
		uint32_t w = 0;
		bool found = false;
		for (uint32_t i = 0; i < cfg.n_rate_ovr; i++) {
			if (prefix_eq(&cfg.rate_ovr[i].src, &p)) {
				found = true;
				if (remove)
					continue;
				cfg.rate_ovr[i].rate = r;
				cfg.rate_ovr[i].key_len = (uint8_t)key;
			}
			cfg.rate_ovr[w++] = cfg.rate_ovr[i];
		}
		cfg.n_rate_ovr = w;
		if (remove && !found) {
			rc = fail(EXIT_USAGE,
				"refused, rules unchanged: no override for that prefix");
			goto out;
		}
		if (!remove && !found) {
			if (cfg.n_rate_ovr >= SL_FILT_RATE_MAX) {
				rc = fail(EXIT_USAGE, "refused: at most %u overrides",
					SL_FILT_RATE_MAX);
				goto out;
			}
			cfg.rate_ovr[cfg.n_rate_ovr++] = (struct sl_filter_rate_ovr){
				.src = p, .key_len = (uint8_t)key, .rate = r};
		}
		parts |= SL_FILTER_PART_RATE;
	} else {
		cfg.rate = r;
		if (k4 != 256)
			cfg.key_len4 = (uint8_t)k4;
		if (k6 != 256)
			cfg.key_len6 = (uint8_t)k6;
	}
	rc = apply_cfg(f, &cfg, parts);
out:
	sl_filter_cfg_free(&cfg);
	sl_filter_close(f);
	return rc;
}

/*
 * syn IFACE --pps N [--burst N]                              the default, per VIP
 * syn IFACE --vip ADDR [--port N] --pps N [--burst N]        one VIP's own limit
 * syn IFACE --vip ADDR [--port N] --remove
 */
static int
cmd_syn(struct cmd_ctx *c)
{
	struct sl_filter_syn_ovr o = {0};
	uint64_t pps = 0, burst = 0, port = 0;
	bool has_vip = false, has_pps = false, remove = false;
	unsigned parts = SL_FILTER_PART_CONF;
	struct sl_filter_cfg cfg;
	struct sl_filter *f;
	int rc;

	for (int i = 0; i < c->argc; i++) {
		const char *a = c->argv[i], *v = i + 1 < c->argc ? c->argv[i + 1] : NULL;

		if (strcmp(a, "--remove") == 0) {
			remove = true;
		} else if (strcmp(a, "--pps") == 0 && v) {
			if ((rc = parse_u64(a, v, &pps)))
				return rc;
			has_pps = true;
			i++;
		} else if (strcmp(a, "--burst") == 0 && v) {
			if ((rc = parse_u64(a, v, &burst)))
				return rc;
			i++;
		} else if (strcmp(a, "--port") == 0 && v) {
			if ((rc = parse_u64(a, v, &port)))
				return rc;
			if (port > 65535)
				return fail(EXIT_USAGE, "--port: %s is not in 0..65535", v);
			i++;
		} else if (strcmp(a, "--vip") == 0 && v) {
			if (inet_pton(AF_INET, v, o.addr) == 1)
				o.family = 4;
			else if (inet_pton(AF_INET6, v, o.addr) == 1)
				o.family = 6;
			else
				return fail(EXIT_USAGE,
					"--vip: '%s' is not an IPv4 or IPv6 address", v);
			has_vip = true;
			i++;
		} else {
			return fail(EXIT_USAGE,
				"syn IFACE --pps N [--burst N] | --vip ADDR [--port N] (--pps N "
				"[--burst N] | --remove)");
		}
	}
	if ((remove || port) && !has_vip)
		return fail(EXIT_USAGE, "--remove and --port apply to one VIP: give --vip");
	if (!remove && !has_pps)
		return fail(EXIT_USAGE, "syn: give --pps (0 turns the limit off)");
	if ((rc = open_filter(c, &f, 0)))
		return rc;
	if ((rc = sl_filter_get(f, &cfg)) < 0) {
		sl_filter_close(f);
		return fail(EXIT_SYS, "%s: reading the rules: %s", c->ifname, strerror(-rc));
	}
	if (has_vip) {
		uint32_t w = 0;
		bool found = false;

		o.port = (uint16_t)port;
		o.pps = pps;
		o.burst = burst;
		for (uint32_t i = 0; i < cfg.n_syn_ovr; i++) {
			const struct sl_filter_syn_ovr *x = &cfg.syn_ovr[i];

			if (x->family == o.family && x->port == o.port &&
				memcmp(x->addr, o.addr, 16) == 0) {
				found = true;
				if (remove)
					continue;
				cfg.syn_ovr[i] = o;
			}
			cfg.syn_ovr[w++] = cfg.syn_ovr[i];
		}
		cfg.n_syn_ovr = w;
		if (remove && !found) {
			rc = fail(
				EXIT_USAGE, "refused, rules unchanged: no SYN limit for that VIP");
			goto out;
		}
		if (!remove && !found) {
			if (cfg.n_syn_ovr >= SL_FILT_SYN_MAX) {
				rc = fail(EXIT_USAGE, "refused: at most %u per-VIP SYN limits",
					SL_FILT_SYN_MAX);
				goto out;
			}
			cfg.syn_ovr[cfg.n_syn_ovr++] = o;
		}
		parts |= SL_FILTER_PART_SYN;
	} else {
		cfg.syn_pps = pps;
		cfg.syn_burst = burst;
	}
	rc = apply_cfg(f, &cfg, parts);
out:
	sl_filter_cfg_free(&cfg);
	sl_filter_close(f);
	return rc;
}

/* mode IFACE deny|rate|syn enforce|monitor */
static int
cmd_mode(struct cmd_ctx *c)
{
	enum sl_filter_mode m;
	struct sl_filter_cfg cfg;
	struct sl_filter *f;
	int rc;

	if (c->argc != 2 || (strcmp(c->argv[1], "enforce") != 0 && strcmp(c->argv[1], "monitor")))
		return fail(EXIT_USAGE, "mode IFACE deny|rate|syn enforce|monitor");
	m = strcmp(c->argv[1], "monitor") == 0 ? SL_FILTER_MONITOR : SL_FILTER_ENFORCE;
	if (strcmp(c->argv[0], "deny") && strcmp(c->argv[0], "rate") && strcmp(c->argv[0], "syn"))
		return fail(EXIT_USAGE, "mode: the rule set is deny, rate or syn, not '%s'",
			c->argv[0]);
	if ((rc = open_filter(c, &f, 0)))
		return rc;
	if ((rc = sl_filter_get(f, &cfg)) < 0) {
		sl_filter_close(f);
		return fail(EXIT_SYS, "%s: reading the rules: %s", c->ifname, strerror(-rc));
	}
	if (c->argv[0][0] == 'd')
		cfg.deny_mode = m;
	else if (c->argv[0][0] == 'r')
		cfg.rate_mode = m;
	else
		cfg.syn_mode = m;
	rc = apply_cfg(f, &cfg, SL_FILTER_PART_CONF);
	sl_filter_cfg_free(&cfg);
	sl_filter_close(f);
	return rc;
}

static int
cmd_stats(struct cmd_ctx *c)
{
	struct sl_xdp_counter v[SL_XDP_STATS_MAX];
	struct sl_filter *f;
	json_t *rows;
	bool all = c->argc == 1 && strcmp(c->argv[0], "--all") == 0;
	int rc;

	if (c->argc && !all)
		return fail(EXIT_USAGE, "stats IFACE [--all]");
	if ((rc = open_filter(c, &f, 0)))
		return rc;
	rc = sl_filter_counters(f, v);
	sl_filter_close(f);
	if (rc < 0)
		return fail(EXIT_SYS, "%s: counters: %s", c->ifname, strerror(-rc));
	rows = json_array();
	for (unsigned i = 0; i < SL_XDP_STATS_MAX; i++) {
		if (!all && !json_mode && v[i].packets == 0)
			continue;
		json_array_append_new(rows,
			json_pack("{s:s,s:I,s:I}", "counter", sl_filter_stat_name(i), "packets",
				(json_int_t)v[i].packets, "bytes", (json_int_t)v[i].bytes));
	}
	return render(rows);
}

static int
cmd_hits(struct cmd_ctx *c)
{
	struct sl_filter_cfg cfg;
	struct sl_filter *f;
	json_t *rows;
	char buf[64];
	int rc;

	if ((rc = open_filter(c, &f, 0)))
		return rc;
	if ((rc = sl_filter_get(f, &cfg)) < 0) {
		sl_filter_close(f);
		return fail(EXIT_SYS, "%s: reading the rules: %s", c->ifname, strerror(-rc));
	}
	rows = json_array();
	for (int list = 0; list < 3 && rc == 0; list++) {
		uint32_t n = list == 0 ? cfg.n_allow : list == 1 ? cfg.n_deny : cfg.n_rate_ovr;
		uint32_t base = list == 0   ? SL_FILT_ID_ALLOW
				: list == 1 ? SL_FILT_ID_DENY
					    : SL_FILT_ID_RATE;
		for (uint32_t i = 0; i < n; i++) {
			const struct sl_filter_prefix *p = list == 0   ? &cfg.allow[i]
							   : list == 1 ? &cfg.deny[i].src
								       : &cfg.rate_ovr[i].src;
			uint64_t h = 0;
			if ((rc = sl_filter_hits(f, base + i, 1, &h)) < 0)
				break;
			if (h == 0 && c->argc == 0 && !json_mode)
				continue;
			json_array_append_new(
				rows, json_pack("{s:s,s:i,s:s,s:I}", "list",
					      list == 0	  ? "allow"
					      : list == 1 ? "deny"
							  : "rate",
					      "rule", (int)i, "prefix",
					      sl_filter_prefix_str(p, buf, sizeof(buf)), "hits",
					      (json_int_t)h));
		}
	}
	sl_filter_cfg_free(&cfg);
	sl_filter_close(f);
	if (rc < 0) {
		json_decref(rows);
		return fail(EXIT_SYS, "%s: hits: %s", c->ifname, strerror(-rc));
	}
	return render(rows);
}

static int
on_drop(const struct sl_filt_drop_event *e, void *ctx)
{
	json_t *rows = ctx;
	char src[INET6_ADDRSTRLEN] = "-", dst[INET6_ADDRSTRLEN] = "-";
	int af = e->family == 6 ? AF_INET6 : AF_INET;

	if (e->family) {
		inet_ntop(af, e->src, src, sizeof(src));
		inet_ntop(af, e->dst, dst, sizeof(dst));
	}
	json_array_append_new(
		rows, json_pack("{s:I,s:s,s:s,s:i,s:i,s:s,s:i,s:b}", "ts_ns", (json_int_t)e->ts_ns,
			      "source", src, "destination", dst, "proto", e->proto, "dport",
			      ntohs(e->dport), "reason", sl_filter_stat_name(e->reason), "rule",
			      (int)e->rule, "monitor", e->monitor != 0));
	return 0;
}

/* drops IFACE [--count N] [--timeout MS] */
static int
cmd_drops(struct cmd_ctx *c)
{
	uint64_t count = 100, timeout = 0;
	struct sl_filter *f;
	json_t *rows;
	int rc;

	for (int i = 0; i < c->argc; i++) {
		if (strcmp(c->argv[i], "--count") == 0 && i + 1 < c->argc) {
			if ((rc = parse_u64("--count", c->argv[++i], &count)))
				return rc;
		} else if (strcmp(c->argv[i], "--timeout") == 0 && i + 1 < c->argc) {
			if ((rc = parse_u64("--timeout", c->argv[++i], &timeout)) ||
				timeout > 3600000)
				return rc ? rc : fail(EXIT_USAGE, "--timeout: at most 3600000 ms");
		} else {
			return fail(EXIT_USAGE, "drops IFACE [--count N] [--timeout MS]");
		}
	}
	if ((rc = open_filter(c, &f, 0)))
		return rc;
	rows = json_array();
	rc = sl_filter_drops(f, (int)timeout, (unsigned)count, on_drop, rows);
	sl_filter_close(f);
	if (rc < 0) {
		json_decref(rows);
		return fail(EXIT_SYS, "%s: recent drops: %s", c->ifname, strerror(-rc));
	}
	return render(rows);
}

static int
cmd_reset(struct cmd_ctx *c)
{
	struct sl_filter *f;
	int rc;

	if ((rc = open_filter(c, &f, 0)))
		return rc;
	rc = sl_filter_reset_counters(f);
	sl_filter_close(f);
	if (rc < 0)
		return fail(EXIT_SYS, "%s: reset: %s", c->ifname, strerror(-rc));
	return render(json_pack("{s:b}", "ok", 1));
}

static const struct cmd {
	const char *name;
	int (*fn)(struct cmd_ctx *c);
	const char *help;
} cmds[] = {
	{"load", cmd_load, "IFACE [--obj FILE] [--skb|--native] [--force]  attach standalone"},
	{"unload", cmd_unload,
		"IFACE [--purge]          detach; --purge also drops the pinned maps"},
	{"show", cmd_show, "IFACE                      the rule set as JSON (what apply takes)"},
	{"apply", cmd_apply, "IFACE FILE               replace the whole rule set"},
	{"allow", cmd_allow, "add|del IFACE PREFIX... [--file FILE]"},
	{"deny", cmd_deny,
		"add|del IFACE PREFIX... [--file FILE] [--vip ADDR [--proto tcp|udp] [--port N]]"},
	{"limit", cmd_limit,
		"IFACE [--pps N] [--bps N] [--burst-packets N] [--burst-bytes N] [--key-v4 L]\n"
		"                   [--key-v6 L] | --prefix P [--key L] [rates] | --prefix P "
		"--remove"},
	{"syn", cmd_syn,
		"IFACE --pps N [--burst N]  TCP SYNs per VIP (0: off); one VIP's own:\n"
		"                   IFACE --vip ADDR [--port N] --pps N [--burst N] | --vip ADDR "
		"[--port N] --remove"},
	{"mode", cmd_mode, "IFACE deny|rate|syn enforce|monitor"},
	{"stats", cmd_stats, "IFACE [--all]              counters by verdict and reason"},
	{"hits", cmd_hits, "IFACE [--all]               packets per rule"},
	{"drops", cmd_drops, "IFACE [--count N] [--timeout MS]  a sample of recent drops"},
	{"reset", cmd_reset, "IFACE                      zero counters and hits"},
};

static void
usage(FILE *fp)
{
	fprintf(fp, "usage: sluice-filter [-j] [-r PIN_ROOT] COMMAND ARGS\n\n"
		    "Manage the Sluice XDP filter of an interface (docs/filter.md).\n"
		    "Commands (any unambiguous prefix):\n");
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		fprintf(fp, "  %-8s %s\n", cmds[i].name, cmds[i].help);
	fprintf(fp,
		"\nOptions:\n"
		"  -j, --json            JSON output; errors as {\"error\": \"...\"}\n"
		"  -r, --pin-root DIR    bpffs directory of the pinned maps (default %s)\n"
		"  -h, --help            this text\n"
		"\nExit codes: 0 done, 1 the system refused (maps, kernel, files),\n"
		"2 bad usage or invalid input (nothing was changed).\n",
		SL_FILTER_PIN_ROOT);
}

int
main(int argc, char **argv)
{
	static const struct option lopts[] = {
		{"json", no_argument, NULL, 'j'},
		{"pin-root", required_argument, NULL, 'r'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const struct cmd *cmd = NULL;
	struct cmd_ctx c = {0};
	int o, ci;

	while ((o = getopt_long(argc, argv, "+jr:h", lopts, NULL)) != -1) {
		switch (o) {
		case 'j':
			json_mode = true;
			break;
		case 'r':
			pin_root = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		if (strncmp(cmds[i].name, argv[optind], strlen(argv[optind])) != 0)
			continue;
		if (strcmp(cmds[i].name, argv[optind]) == 0) {
			cmd = &cmds[i];
			break;
		}
		if (cmd)
			return fail(EXIT_USAGE, "'%s' is ambiguous", argv[optind]);
		cmd = &cmds[i];
	}
	if (!cmd)
		return fail(EXIT_USAGE, "unknown command '%s' (--help lists them)", argv[optind]);
	ci = optind + 1;
	/* allow/deny take their verb before the interface. */
	if (cmd->fn == cmd_allow || cmd->fn == cmd_deny) {
		if (ci + 1 >= argc)
			return fail(EXIT_USAGE, "%s %s", cmd->name, cmd->help);
		c.ifname = argv[ci + 1];
		argv[ci + 1] = argv[ci];
		ci++;
	} else {
		if (ci >= argc)
			return fail(EXIT_USAGE, "%s %s", cmd->name, cmd->help);
		c.ifname = argv[ci++];
	}
	if (strlen(c.ifname) >= IF_NAMESIZE || strchr(c.ifname, '/'))
		return fail(EXIT_USAGE, "'%s' is not an interface name", c.ifname);
	c.ifindex = (int)if_nametoindex(c.ifname);
	if (c.ifindex == 0 && (cmd->fn == cmd_load || cmd->fn == cmd_unload))
		return fail(EXIT_SYS, "%s: no such interface", c.ifname);
	c.argc = argc - ci;
	c.argv = argv + ci;
	libbpf_set_print(NULL);
	return cmd->fn(&c);
}
