/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The command table machinery: unambiguous-prefix selection (as bpftool
 * does, so `lbadm b dr -t ...` works once it is unambiguous), dispatch to
 * sub-verb tables, and their --help text.
 */
#include <errno.h>
#include <string.h>

#include "lbadm.h"

char lb_verb[64];

const struct lb_cmd *
lb_cmd_select(const struct lb_cmd *cmds, const char *word)
{
	const struct lb_cmd *found = NULL;
	size_t n = strlen(word);
	int matches = 0;

	if (n == 0) {
		errno = EINVAL;
		return NULL;
	}
	for (const struct lb_cmd *c = cmds; c->name; c++) {
		if (strcmp(c->name, word) == 0)
			return c; /* an exact name wins over longer names it prefixes */
		if (strncmp(c->name, word, n) == 0) {
			found = c;
			matches++;
		}
	}
	if (matches == 1)
		return found;
	errno = matches ? EAGAIN : EINVAL;
	return NULL;
}

void
lb_cmd_help(FILE *f, const struct lb_cmd *cmds, const char *path)
{
	fprintf(f, "usage: lbadm [OPTIONS] %s VERB [ARGS]\n\nverbs:\n", path);
	for (const struct lb_cmd *c = cmds; c->name; c++)
		fprintf(f, "  %s %s %s\n      %s\n", path, c->name, c->synopsis, c->help);
	fprintf(f, "\n'lbadm %s VERB --help' for a verb's options; lbadm(8) for the rest.\n", path);
}

static void
list_names(char *buf, size_t len, const struct lb_cmd *cmds, const char *word)
{
	size_t used = 0, n = strlen(word);

	buf[0] = '\0';
	for (const struct lb_cmd *c = cmds; c->name && used < len; c++) {
		if (strncmp(c->name, word, n) != 0)
			continue;
		int w = snprintf(buf + used, len - used, "%s%s", used ? ", " : "", c->name);
		if (w < 0)
			break;
		used += (size_t)w;
	}
}

int
lb_cmd_dispatch(const struct lb_cmd *cmds, const char *path, int argc, char **argv)
{
	const struct lb_cmd *c;
	char names[512];

	if (argc < 1) {
		lb_cmd_help(stderr, cmds, path);
		return lb_usage(path, "a verb is required");
	}
	if (path[0] && (strcmp(argv[0], "help") == 0 || strcmp(argv[0], "-h") == 0 ||
			       strcmp(argv[0], "--help") == 0)) {
		lb_cmd_help(stdout, cmds, path);
		return LB_EXIT_OK;
	}
	c = lb_cmd_select(cmds, argv[0]);
	if (!c && errno == EAGAIN) {
		list_names(names, sizeof(names), cmds, argv[0]);
		return lb_usage(path, "'%s' is ambiguous: %s", argv[0], names);
	}
	if (!c) {
		list_names(names, sizeof(names), cmds, "");
		return lb_usage(path, "unknown verb '%s' (one of: %s)", argv[0], names);
	}
	if (c->sub) {
		char sub[64];
		snprintf(sub, sizeof(sub), "%s", c->name);
		return lb_cmd_dispatch(c->sub, sub, argc - 1, argv + 1);
	}
	snprintf(lb_verb, sizeof(lb_verb), "%s%s%s", path, path[0] ? " " : "", c->name);
	argv[0] = (char *)c->name;
	return c->fn(argc, argv);
}
