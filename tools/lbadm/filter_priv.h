/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Between the filter verbs (cmd_filter.c) and the rule-set edits they make
 * (filter_edit.c): the parsed options, and one edit function per verb that
 * changes a copy of the rule set (docs/filter.md's JSON model) in place.
 * Each returns 0 or an exit code (already reported).
 */
#ifndef SL_LBADM_FILTER_PRIV_H
#define SL_LBADM_FILTER_PRIV_H

#include <stdbool.h>

#include <jansson.h>

struct fopts {
	bool del;
	bool dry_run;
	const char *file;
	const char *vip;
	const char *proto;
	const char *prefix;
	json_t *ints; /* option name -> integer, as given */
	int nargs;
	char **args;
};

/* Add the deny rules o->args (scoped by o->vip, o->proto, "port"); -d removes. */
int lb_filter_edit_deny(json_t *rules, struct fopts *o);
/* Add the allow prefixes o->args; -d removes. */
int lb_filter_edit_allow(json_t *rules, struct fopts *o);
/* Default limits, SYN limit, sampling; or with o->prefix an override (-d removes). */
int lb_filter_edit_rate(json_t *rules, struct fopts *o);
/* o->args[0] (enforce|monitor) for o->args[1] (deny|rate|syn|all, default all). */
int lb_filter_edit_mode(json_t *rules, struct fopts *o);

#endif /* SL_LBADM_FILTER_PRIV_H */
