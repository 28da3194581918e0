/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The dataplane's configuration: what sluice-dp reads from its config file at
 * start and receives, as a whole new generation, on its control socket; what
 * sluiced (the control daemon) produces. One model, one JSON codec, one
 * validator (common/config.c), shared by both so they can never disagree on
 * what is valid.
 *
 * JSON form (all keys shown; see docs/configuration.md):
 *
 * {
 *   "table_size": 65537,              Maglev table size, prime
 *   "flow_capacity": 1000000,         connection-tracking entries per worker
 *   "syn_cap": 0,                     new tracked flows per second per worker, 0 = no cap
 *   "seed": 1234,                     flow/Maglev hash seed: same on every node
 *   "mtu": 1500,                      egress IP MTU
 *   "ttl": 64,                        outer TTL / hop limit
 *   "nexthop_mac": "02:00:00:00:00:fe",  router towards backends (encap mode)
 *   "encap_source_v4": "172.16.0.0/16",  outer IPv4 source prefix
 *   "encap_source_v6": "2001:db8:ffff::/64",
 *   "timeouts": {"tcp_syn": 5, "tcp_established": 300, "tcp_closing": 10,
 *                "udp": 30, "other": 30},          seconds
 *   "vips": [
 *     {
 *       "address": "192.0.2.80", "protocol": "tcp", "port": 80,   port 0 = all ports
 *       "hash": "5tuple" | "src_ip" | "src_ip_port",
 *       "forwarding": "encap" | "l2",
 *       "backends": [
 *         {"address": "10.0.1.1", "weight": 100, "state": "active" | "draining" | "down",
 *          "mac": "02:00:00:00:01:01"}                       mac: required in l2 mode
 *       ]
 *     }
 *   ]
 * }
 */
#ifndef SLUICE_CONFIG_H
#define SLUICE_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include <sluice/net.h>

#define SL_CFG_MAX_VIPS		1024
#define SL_CFG_MAX_BACKENDS	4096  /* per VIP */
#define SL_CFG_MAX_ALL_BACKENDS 65535 /* over all VIPs */
#define SL_CFG_ERR_LEN		256
#define SL_CFG_MAX_JSON_LEN	(64u << 20) /* bytes of JSON, as SL_CTL_MAX_PAYLOAD */

struct sl_cfg_backend {
	union sl_ip addr;
	uint8_t family;
	uint8_t state; /* enum sl_backend_state */
	uint8_t mac[6];
	uint8_t has_mac;
	uint32_t weight; /* 0 .. SL_MAGLEV_MAX_WEIGHT */
};

struct sl_cfg_vip {
	union sl_ip addr;
	uint8_t family;
	uint8_t proto;	  /* IPPROTO_TCP / IPPROTO_UDP */
	uint16_t port;	  /* host order; 0 = every port */
	uint8_t hash;	  /* enum sl_hash_variant */
	uint8_t fwd_mode; /* enum sl_fwd_mode */
	uint32_t n_backends;
	struct sl_cfg_backend *backends;
};

struct sl_cfg {
	uint32_t table_size;
	uint32_t flow_capacity;
	uint32_t syn_cap;
	uint32_t seed;
	uint16_t mtu;
	uint8_t ttl;
	uint8_t nexthop_mac[6];
	uint8_t has_nexthop_mac;
	union sl_ip src4_prefix;
	uint8_t src4_prefix_len;
	union sl_ip src6_prefix;
	uint8_t src6_prefix_len;
	uint32_t timeout_s[5]; /* enum sl_ct_state order: tcp_syn, tcp_est, tcp_closing, udp, other
				*/
	uint32_t n_vips;
	struct sl_cfg_vip *vips;
};

struct json_t; /* jansson's json_t */

/* Defaults for every global field, no VIPs (the defaults are listed in
 * docs/configuration.md). Does not free: use on a fresh or freed struct. */
void sl_cfg_init(struct sl_cfg *cfg);

/* Free what sl_cfg_from_json()/sl_cfg_copy() allocated; cfg is left empty (sl_cfg_init state).
 * NULL is a no-op. */
void sl_cfg_free(struct sl_cfg *cfg);

/*
 * Parse and validate a JSON config document (the form above) of @len bytes
 * (no NUL terminator needed; at most SL_CFG_MAX_JSON_LEN).
 * @cfg is overwritten, not freed: pass a fresh or sl_cfg_free()d one. On
 * success the caller owns it (sl_cfg_free()).
 * On error returns -EINVAL (or -ENOMEM), leaves @cfg empty, and writes into
 * @err a message naming the field by its path and saying why, e.g.
 * "vips[1].backends[0].weight: 70000 is above the maximum 65535".
 * Unknown keys, duplicate keys, JSON reals where integers are expected, and
 * strings containing \u0000 are errors (a typo must not be silently ignored).
 * @err may be NULL; it is set to "" on success.
 */
int sl_cfg_from_json(struct sl_cfg *cfg, const char *json, size_t len, char *err, size_t errlen);

/*
 * Same, from a file path. A read error names the file ("PATH: No such file or
 * directory") and returns its -errno (-ENOENT, -EACCES, -EISDIR, ...); a file
 * above SL_CFG_MAX_JSON_LEN bytes gives -EFBIG. Any other error is
 * sl_cfg_from_json()'s, with the same message (not prefixed with the path).
 */
int sl_cfg_load_file(struct sl_cfg *cfg, const char *path, char *err, size_t errlen);

/*
 * Semantic checks on a config built by hand or decoded: ranges, prime table
 * size, enums in range, counts within the limits (and arrays present),
 * duplicate VIPs (same address/proto/port), duplicate backends in a VIP,
 * backend family = VIP family, addresses usable (not unspecified, loopback,
 * multicast, broadcast or IPv4-mapped; IPv4 with its 12 tail bytes zero),
 * MACs unicast, MAC present for l2 VIPs, nexthop MAC present when any VIP
 * uses encap, encap source prefixes without host bits, and an MTU of at
 * least 1280 (l2) / 1320 (encap) when there are IPv6 VIPs.
 * sl_cfg_from_json() calls it. Allocates nothing.
 * @return 0 or -EINVAL with @err as above ("" on success).
 */
int sl_cfg_validate(const struct sl_cfg *cfg, char *err, size_t errlen);

/*
 * Encode to JSON: every key, defaults included (nexthop_mac and a backend's
 * mac only when set), in the order documented above; VIPs and backends in
 * their given order; indented by two spaces. For a valid @cfg,
 * sl_cfg_from_json(sl_cfg_to_json(cfg)) gives back an equal config.
 * @return a malloc'd string (caller frees), or NULL with errno ENOMEM, or
 *         EINVAL when a field cannot be written (an enum out of range, an
 *         address family that is neither IPv4 nor IPv6).
 */
char *sl_cfg_to_json(const struct sl_cfg *cfg);

/* The same document as a jansson value (new reference; json_decref() it), for
 * embedding in a reply such as GET_CONFIG's. NULL with errno as above. */
struct json_t *sl_cfg_to_jansson(const struct sl_cfg *cfg);

/*
 * Deep copy into @dst (overwritten, not freed; must not be @src).
 * @return 0; -ENOMEM, or -EINVAL (NULL arguments, a count with a NULL array),
 *         and then @dst is left empty.
 */
int sl_cfg_copy(struct sl_cfg *dst, const struct sl_cfg *src);

#endif /* SLUICE_CONFIG_H */
