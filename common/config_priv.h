/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What the config model (config.c) and its JSON codec (config_json.c) share:
 * the ranges, the names of the enumerations as they appear in JSON, and the
 * helpers that write error messages. Private to common/.
 *
 * Both the decoder and the validator check ranges with the same helper and
 * the same limits, so a value gets the same message whether it arrived as
 * JSON or was set by hand.
 */
#ifndef SL_CONFIG_PRIV_H
#define SL_CONFIG_PRIV_H

#include <stddef.h>
#include <stdint.h>

#include <sluice/config.h>

#define SL_CFG_PATH_LEN 80 /* "vips[1023].backends[4095].weight" and an escaped key */

/* Ranges, inclusive. table_size is checked by sl_maglev_check_size(). */
#define SL_CFG_MIN_FLOW_CAPACITY 1024
#define SL_CFG_MAX_FLOW_CAPACITY 268435456
#define SL_CFG_MIN_MTU		 576
#define SL_CFG_MAX_MTU		 9000
#define SL_CFG_MIN_MTU_IPV6	 1280 /* RFC 8200 section 5 */
#define SL_CFG_ENCAP6_OVERHEAD	 40   /* outer IPv6 header */
#define SL_CFG_MIN_TTL		 1
#define SL_CFG_MAX_TTL		 255
#define SL_CFG_MIN_TIMEOUT	 1
#define SL_CFG_MAX_TIMEOUT	 86400
#define SL_CFG_MAX_WEIGHT	 65535 /* = SL_MAGLEV_MAX_WEIGHT */
#define SL_CFG_N_TIMEOUTS	 5

/* JSON names, indexed by the enum (or by position for protocols and timeouts). */
extern const char *const sl_cfg_hash_names[SL_HASH_VARIANT_MAX];
extern const char *const sl_cfg_fwd_names[SL_FWD_MODE_MAX];
extern const char *const sl_cfg_state_names[SL_BACKEND_STATE_MAX];
extern const char *const sl_cfg_timeout_names[SL_CFG_N_TIMEOUTS];

/* "tcp"/"udp" for IPPROTO_TCP/IPPROTO_UDP; NULL for anything else. */
const char *sl_cfg_proto_name(uint8_t proto);

/*
 * Write "@path: <message>" (or just the message when @path is empty) into
 * @err, which may be NULL. @return -EINVAL, so callers can `return sl_cfg_fail(...)`.
 */
int sl_cfg_fail(char *err, size_t errlen, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/*
 * Format a field's path into @out (SL_CFG_PATH_LEN bytes). A path cut short
 * would still make a readable message; the longest real one fits.
 */
void sl_cfg_path(char *out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * "@v is below the minimum @lo" / "@v is above the maximum @hi" as sl_cfg_fail()
 * does; @return 0 when @v is in range, else -EINVAL.
 */
int sl_cfg_check_range(
	char *err, size_t errlen, const char *path, long long v, long long lo, long long hi);

/*
 * Copy @n bytes of untrusted text into @out (size @outlen) so that it is safe
 * to print: printable ASCII is kept, anything else becomes \xNN, and a long
 * text is cut with "..." at the end. Always NUL-terminates (@outlen > 0).
 */
void sl_cfg_escape(char *out, size_t outlen, const char *s, size_t n);

/* Text forms; @return @buf, or NULL when @family is neither IPv4 nor IPv6. */
const char *sl_cfg_ip_str(uint8_t family, const union sl_ip *ip, char *buf, size_t len);
void sl_cfg_mac_str(const uint8_t mac[6], char buf[18]);

#endif /* SL_CONFIG_PRIV_H */
