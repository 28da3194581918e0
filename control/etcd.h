/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The shared store (docs/cluster.md, "One source of config"): with --etcd,
 * sluiced watches one key in etcd (v3, through its HTTP/JSON gateway, with
 * libcurl) whose value is a whole state document. Every new revision goes
 * through the same path as PUT /v1/state (sld_commit(): the same validator,
 * the dataplane's own refusal, a crash-safe commit); a revision that is not
 * valid JSON, not a valid state, or refused by the dataplane is refused: the
 * node keeps the state it runs, says so in GET /v1/node ("store") and in the
 * metrics, and takes the next revision that is valid.
 *
 * One thread: read the key (range), then watch it from the next revision;
 * on any error, wait a second and start again (so a revision written while
 * the connection was down is read by the range).
 */
#ifndef SLD_ETCD_H
#define SLD_ETCD_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

struct sld;

/* Start the watcher when d->opts.etcd is set. @return 0 or -errno with @err. */
int sld_etcd_start(struct sld *d, char *err, size_t errlen);

/* Stop and free it; a no-op when it never started. */
void sld_etcd_stop(struct sld *d);

/* {"url", "key", "connected", "revision_seen", "revision_applied", "refused": {...}|null} or NULL.
 */
json_t *sld_etcd_json(struct sld *d);

/* Its metric families (Prometheus text, malloc'd), "" when not configured, NULL on ENOMEM. */
char *sld_etcd_metrics(struct sld *d);

/*
 * Decode standard base64 (with padding) from @in[0..len) into a malloc'd,
 * NUL-terminated buffer; *@out_len gets its length. @return NULL on a
 * malformed input or ENOMEM.
 */
char *sld_b64_decode(const char *in, size_t len, size_t *out_len);

/* Encode @in[0..len) as standard base64 with padding, malloc'd. */
char *sld_b64_encode(const unsigned char *in, size_t len);

#endif /* SLD_ETCD_H */
