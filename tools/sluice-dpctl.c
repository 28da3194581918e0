/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sluice-dpctl: talk to sluice-dp's control socket directly.
 *
 *   sluice-dpctl [-s SOCK] apply FILE     replace the config with FILE (JSON), atomically
 *   sluice-dpctl [-s SOCK] status         active generation, VIPs, backends, workers
 *   sluice-dpctl [-s SOCK] get-config     the running config (JSON)
 *   sluice-dpctl [-s SOCK] stats          counters: per VIP and backend, drops, workers
 *
 * Exit status: 0 done; 1 refused by sluice-dp (the message says why);
 * 2 bad usage; 3 cannot reach sluice-dp.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include <sluice/config.h>
#include <sluice/ctl.h>

enum exit_code {
	EXIT_OK = 0,
	EXIT_REFUSED = 1,
	EXIT_USAGE = 2,
	EXIT_UNREACHABLE = 3,
};

static void
usage(FILE *f)
{
	fprintf(f,
		"usage: sluice-dpctl [-s SOCK] COMMAND [ARG]\n"
		"Talk to sluice-dp's control socket (default %s).\n"
		"\n"
		"commands:\n"
		"  apply FILE    replace the running config with FILE (JSON); all or nothing\n"
		"  status        active generation, VIPs, backends, workers, uptime\n"
		"  get-config    print the running config\n"
		"  stats         counters summed over the workers: per VIP and backend\n"
		"                (packets, bytes, new flows), drops by reason, per worker\n"
		"\n"
		"exit status: 0 done, 1 refused (the reason is printed), 2 bad usage,\n"
		"3 sluice-dp unreachable\n",
		SL_CTL_DEFAULT_SOCK);
}

static int
request(const char *sock, uint16_t type, const char *payload, size_t len)
{
	struct sl_ctl_hdr h;
	char *reply = NULL;
	int fd, rc;

	fd = sl_ctl_connect(sock);
	if (fd < 0) {
		fprintf(stderr, "sluice-dpctl: %s: %s\n", sock, strerror(-fd));
		return EXIT_UNREACHABLE;
	}
	rc = sl_ctl_send(fd, type, 1, payload, (uint32_t)len);
	if (rc == 0)
		rc = sl_ctl_recv(fd, &h, &reply, 30000);
	close(fd);
	if (rc < 0) {
		fprintf(stderr, "sluice-dpctl: %s: %s\n", sock, strerror(-rc));
		free(reply);
		return EXIT_UNREACHABLE;
	}

	json_error_t jerr;
	json_t *j = json_loads(reply, 0, &jerr);
	free(reply);
	if (!j || !json_is_object(j)) {
		fprintf(stderr, "sluice-dpctl: unreadable reply from sluice-dp\n");
		json_decref(j);
		return EXIT_UNREACHABLE;
	}
	int ok = json_is_true(json_object_get(j, "ok"));
	if (!ok) {
		const char *e = json_string_value(json_object_get(j, "error"));
		fprintf(stderr, "sluice-dpctl: refused: %s\n", e ? e : "(no reason given)");
	} else {
		json_dumpf(j, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		fputc('\n', stdout);
	}
	json_decref(j);
	return ok ? EXIT_OK : EXIT_REFUSED;
}

static char *
read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t cap = 0, n = 0, r;

	if (!f)
		return NULL;
	do {
		if (n == cap) {
			cap = cap ? cap * 2 : 65536;
			if (cap > SL_CTL_MAX_PAYLOAD) {
				errno = EFBIG;
				goto fail;
			}
			char *t = realloc(buf, cap);
			if (!t)
				goto fail;
			buf = t;
		}
		r = fread(buf + n, 1, cap - n, f);
		n += r;
	} while (r > 0);
	if (ferror(f))
		goto fail;
	fclose(f);
	*len = n;
	return buf;
fail:
	free(buf);
	fclose(f);
	return NULL;
}

int
main(int argc, char **argv)
{
	static const struct option lopts[] = {
		{"socket", required_argument, NULL, 's'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *sock = SL_CTL_DEFAULT_SOCK;
	int c;

	while ((c = getopt_long(argc, argv, "+s:h", lopts, NULL)) != -1) {
		switch (c) {
		case 's':
			sock = optarg;
			break;
		case 'h':
			usage(stdout);
			return EXIT_OK;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	const char *cmd = argv[optind++];
	int nargs = argc - optind;

	if (strcmp(cmd, "apply") == 0 && nargs == 1) {
		char err[SL_CFG_ERR_LEN];
		struct sl_cfg cfg;
		size_t len;
		char *doc = read_file(argv[optind], &len);
		if (!doc) {
			fprintf(stderr, "sluice-dpctl: %s: %s\n", argv[optind], strerror(errno));
			return EXIT_USAGE;
		}
		/* Validate here first: same validator as sluice-dp, clearer errors sooner. */
		if (sl_cfg_from_json(&cfg, doc, len, err, sizeof(err)) < 0) {
			fprintf(stderr, "sluice-dpctl: %s: %s\n", argv[optind], err);
			free(doc);
			return EXIT_REFUSED;
		}
		sl_cfg_free(&cfg);
		int rc = request(sock, SL_CTL_APPLY, doc, len);
		free(doc);
		return rc;
	}
	if (strcmp(cmd, "status") == 0 && nargs == 0)
		return request(sock, SL_CTL_STATUS, "{}", 2);
	if (strcmp(cmd, "get-config") == 0 && nargs == 0)
		return request(sock, SL_CTL_GET_CONFIG, "{}", 2);
	if (strcmp(cmd, "stats") == 0 && nargs == 0)
		return request(sock, SL_CTL_STATS, "{}", 2);

	fprintf(stderr, "sluice-dpctl: unknown command or wrong arguments: %s\n", cmd);
	usage(stderr);
	return EXIT_USAGE;
}
