/* SPDX-License-Identifier: BSD-3-Clause */
/* What profile.c and profile_json.c share: names and error messages. */
#ifndef SL_PG_PROFILE_PRIV_H
#define SL_PG_PROFILE_PRIV_H

#include <stddef.h>

#include "pg.h"

extern const char *const pg_type_names[PG_TYPE_MAX];
extern const char *const pg_mal_names[PG_MAL_MAX];

/* "@path: " and the message into @err. @return -EINVAL. */
__attribute__((format(printf, 4, 5))) int pg_fail(
	char *err, size_t errlen, const char *path, const char *fmt, ...);

/* @s made printable and cut short into @buf (for quoting input in messages); @return @buf. */
const char *pg_quote(char *buf, size_t cap, const char *s);

#endif /* SL_PG_PROFILE_PRIV_H */
