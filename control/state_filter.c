/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The state's top-level "filter": the XDP filter's rule set in its JSON
 * model (docs/filter.md), validated by the filter library's own parser so
 * that sluiced, sluice-filter and the maps agree, and kept in the library's
 * canonical form (prefixes masked and normalised, every default spelt out):
 * two rule sets that mean the same are the same state.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sluice/filter.h>

#include "state.h"
#include "state_priv.h"

int
sld_filter_decode(const json_t *in, json_t **canon, struct sld_err *e)
{
	char err[SL_FILTER_ERR_LEN] = "", field[SLD_FIELD_LEN] = "filter", *text, *out;
	struct sl_filter_cfg cfg;
	const char *why = err, *sep;
	json_error_t je;
	int rc;

	*canon = NULL;
	if (!json_is_object(in))
		return sld_fail(e, 400, "invalid_field", "filter",
			"must be an object (the filter's rule set, docs/filter.md)");
	text = json_dumps(in, JSON_COMPACT);
	if (text == NULL)
		return sld_fail(e, 500, "internal", "", "out of memory");
	rc = sl_filter_cfg_from_json(&cfg, text, err, sizeof(err));
	free(text);
	if (rc == 0) {
		out = sl_filter_cfg_to_json(&cfg);
		*canon = out ? json_loads(out, 0, &je) : NULL;
		free(out);
	}
	sl_filter_cfg_free(&cfg);
	if (rc == -ENOMEM || (rc == 0 && *canon == NULL))
		return sld_fail(e, 500, "internal", "", "out of memory");
	if (rc == 0)
		return 0;
	/* "deny.rules[3].prefix: why": the path goes under "filter." */
	sep = strstr(err, ": ");
	if (sep != NULL && (size_t)(sep - err) < sizeof(field) - 8 &&
		strspn(err, "abcdefghijklmnopqrstuvwxyz0123456789_.[]") == (size_t)(sep - err)) {
		snprintf(field, sizeof(field), "filter.%.*s", (int)(sep - err), err);
		why = sep + 2;
	}
	if (strcmp(why, "unknown field") == 0)
		return sld_fail(e, 400, "unknown_field", field, "unknown key");
	return sld_fail(e, 400, "invalid_field", field, "%s", why);
}
