/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sluice-pktgen's command line: the run options, the profile or the single
 * stream the options describe, and the output.
 */
#ifndef SL_PG_CLI_H
#define SL_PG_CLI_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "trial.h"

struct pg_cli {
	struct pg_opts o;
	const char *profile;
	const char *json;
	bool quiet;
	bool count_flows;
	uint16_t port;
	double link_wait_s;
	struct pg_stream one; /* the single stream of the options */
	bool have_mac;
	uint8_t dst_mac[6];
};

/* Print the usage text to @f. */
void pg_cli_usage(FILE *f);

/*
 * Parse the application options (after EAL's) into @c, which holds the
 * defaults. Prints what is wrong, naming the option.
 * @return 0, or -EINVAL.
 */
int pg_cli_parse(int argc, char **argv, struct pg_cli *c);

#endif /* SL_PG_CLI_H */
