/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Driving BIRD 2 through its two documented interfaces (docs/cluster.md,
 * "Why BIRD"): sluiced writes the announced prefixes into a file that the
 * operator's bird.conf includes, and asks BIRD to reread its configuration
 * over its control socket (the protocol birdc speaks: one command line in,
 * reply lines "NNNN-text" (more follow) or "NNNN text" (the last), codes
 * 0xxx for success, 8xxx run-time errors, 9xxx parse errors).
 *
 * The file holds two static protocols, sluice_vips4 and sluice_vips6, one
 * blackhole route per announced prefix; the operator's BGP protocols export
 * them (`export where proto ~ "sluice_vips*";`). BIRD reconfigures a static
 * protocol in place: only the routes that changed are announced or
 * withdrawn, the BGP sessions stay up.
 */
#ifndef SLD_BIRD_H
#define SLD_BIRD_H

#include <stddef.h>

#include "node.h"

/*
 * Write the include file @path for the prefixes of @p[0..n) whose
 * `announce` is set (to PATH.tmp, fsync'd, renamed). @node names the node
 * in a comment. @return 0 or -errno with @err filled.
 */
int sld_bird_write(const char *path, const char *node, const struct sld_prefix *p, unsigned int n,
	char *err, size_t errlen);

/*
 * `configure` on BIRD's control socket @sock, waiting at most @timeout_ms
 * for the final reply line. @return 0 when BIRD answered with a success
 * code; -ECONNREFUSED / -ENOENT (not running), -ETIMEDOUT, -EPROTO (an
 * unexpected reply), -EINVAL (BIRD refused: a parse or run-time error,
 * e.g. in the operator's own configuration), with @err filled from BIRD's
 * own words.
 */
int sld_bird_configure(const char *sock, int timeout_ms, char *err, size_t errlen);

/*
 * Parse one reply line of BIRD's control protocol: its code (0..9999) and
 * whether it is the last line of the reply. A line that starts with a
 * space continues the previous one (code -1). @return 0, or -EPROTO for a
 * line that is neither.
 */
int sld_bird_reply_line(const char *line, int *code, int *last);

#endif /* SLD_BIRD_H */
