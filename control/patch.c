/* SPDX-License-Identifier: BSD-3-Clause */
/* JSON merge patch (RFC 7386) for PATCH requests (request.h). */
#include <errno.h>
#include <string.h>

#include "request.h"

int
sld_merge_patch(json_t *target, const json_t *patch)
{
	const char *k;
	json_t *v;

	json_object_foreach((json_t *)patch, k, v)
	{
		json_t *cur = json_object_get(target, k);

		if (json_is_null(v)) {
			json_object_del(target, k);
		} else if (json_is_object(v)) {
			/* A patch object merges into an object; anything else is replaced. */
			if (!json_is_object(cur)) {
				cur = json_object();
				if (cur == NULL || json_object_set_new(target, k, cur) < 0)
					return -ENOMEM;
			}
			if (sld_merge_patch(cur, v) < 0)
				return -ENOMEM;
		} else if (json_object_set(target, k, v) < 0) {
			return -ENOMEM;
		}
	}
	return 0;
}

void
sld_hc_type_change(json_t *hc, const json_t *patch_hc)
{
	static const char *const owned[] = {"path", "host", "expect_status", "command"};
	const json_t *t = json_object_get(patch_hc, "type");

	if (!json_is_object(hc) || !json_is_string(t) ||
		json_equal(json_object_get(hc, "type"), (json_t *)t))
		return;
	for (size_t i = 0; i < sizeof(owned) / sizeof(owned[0]); i++)
		if (json_object_get(patch_hc, owned[i]) == NULL)
			json_object_del(hc, owned[i]);
}
