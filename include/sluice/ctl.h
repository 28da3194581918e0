/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The dataplane's control socket protocol (sluice-dp <-> sluiced, lbadm, tests).
 *
 * A Unix stream socket; every message, both ways, is a fixed header followed
 * by hdr.len bytes of JSON (UTF-8, no NUL). One request, one reply, in order.
 *
 *   APPLY       request: a whole config (include/sluice/config.h JSON form)
 *               reply:   {"ok": true, "generation": N}
 *                     or {"ok": false, "error": "vips[0].port: ..."}; the running
 *                        generation is untouched when refused
 *   STATUS      request: {} ; reply: {"ok": true, "generation": N, "vips": n,
 *                        "backends": n, "workers": n, "uptime_s": s}
 *   GET_CONFIG  request: {} ; reply: {"ok": true, "generation": N, "config": {...}}
 *   STATS       request: {} ; reply: {"ok": true, "generation": N, "uptime_s": s,
 *                        "vips": [{"address", "protocol", "port", "packets", "bytes",
 *                                  "backends": [{"address", "packets", "bytes",
 *                                                "new_flows", "state"}]}],
 *                        "drops": {"no_backend": n, ..., "parse_trunc_ip4": n, ...},
 *                        "workers": [{"worker", "rx_packets", "rx_bytes", "tx_packets",
 *                                     "tx_bytes", "forwarded", "new_flows",
 *                                     "conntrack_entries", "conntrack_capacity"}]}
 *               (counters summed over workers; read off the packet path)
 *
 * Integers in the header are in host byte order (the socket is local).
 */
#ifndef SLUICE_CTL_H
#define SLUICE_CTL_H

#include <assert.h>
#include <stddef.h>
#include <stdint.h>

#define SL_CTL_MAGIC	    0x534c4331u /* "SLC1" */
#define SL_CTL_VERSION	    1
#define SL_CTL_MAX_PAYLOAD  (64u << 20)
#define SL_CTL_DEFAULT_SOCK "/run/sluice/dp.sock"

enum sl_ctl_type {
	SL_CTL_APPLY = 1,
	SL_CTL_STATUS = 2,
	SL_CTL_GET_CONFIG = 3,
	SL_CTL_STATS = 4,
	SL_CTL_REPLY = 0x100,
};

struct sl_ctl_hdr {
	uint32_t magic;
	uint16_t version;
	uint16_t type; /* enum sl_ctl_type */
	uint32_t len;  /* payload bytes following */
	uint32_t seq;  /* echoed in the reply */
};
static_assert(sizeof(struct sl_ctl_hdr) == 16, "control header layout");

/*
 * Send one message on @fd (a stream socket; blocking, handles short writes
 * and EINTR, and waits out EAGAIN if @fd is non-blocking). Never raises
 * SIGPIPE (MSG_NOSIGNAL).
 * @return 0; -EMSGSIZE @len above SL_CTL_MAX_PAYLOAD; -EINVAL NULL @payload
 *         with @len > 0, or a NUL byte in the payload; -EPIPE the peer is
 *         gone; -errno from sendmsg(). After a failure part of the message
 *         may have gone out: close the connection.
 */
int sl_ctl_send(int fd, uint16_t type, uint32_t seq, const void *payload, uint32_t len);

/*
 * Receive one message: fills @hdr and a malloc'd, NUL-terminated @payload
 * of exactly hdr->len bytes (caller frees; "" for an empty payload).
 * @timeout_ms bounds the whole message, header and payload (-1: forever,
 * 0: only what is already there), so a peer trickling bytes cannot stall the
 * reader past it.
 * Nothing is allocated before the header has been checked.
 * @return 0; -EPROTO bad magic/version, or a NUL byte in the payload;
 *         -EMSGSIZE hdr->len above SL_CTL_MAX_PAYLOAD (the payload is not
 *         read); -ETIMEDOUT; -ECONNRESET the peer closed (before or in the
 *         middle of a message); -ENOMEM; -EINVAL NULL @hdr or @payload;
 *         -errno from read()/poll().
 *         On error *@payload is NULL; after -EPROTO/-EMSGSIZE @hdr holds the
 *         header as received. After any error the stream is out of step:
 *         close the connection (a reply may be sent first).
 */
int sl_ctl_recv(int fd, struct sl_ctl_hdr *hdr, char **payload, int timeout_ms);

/*
 * Connect to a control socket path (blocking, close-on-exec).
 * @return the fd (caller closes); -EINVAL empty/NULL path; -ENAMETOOLONG
 *         path longer than sun_path allows; -ENOENT, -ECONNREFUSED,
 *         -EACCES, ... from socket()/connect().
 */
int sl_ctl_connect(const char *path);

#endif /* SLUICE_CTL_H */
