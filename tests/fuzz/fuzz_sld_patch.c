/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target: a PATCH of a VIP. The input is a JSON array
 * [vip, patch]: the health-check type change and the RFC 7386 merge patch
 * (control/patch.c) are applied to the VIP, which then goes through the
 * state validator inside a state, as PATCH /v1/vips/... does. Besides not
 * crashing: a merge patch is idempotent (applying it twice equals once),
 * and a patch's object members land as objects.
 */
#include <string.h>

#include <jansson.h>

#include "fuzz_sld.h"
#include "request.h"
#include "state.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *in, *vip, *patch, *once, *twice, *doc;
	struct sld_state st;
	json_error_t je;
	struct sld_err e;
	const char *k;
	json_t *v;

	in = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, &je);
	if (in == NULL || !json_is_array(in) || json_array_size(in) != 2 ||
		!json_is_object(json_array_get(in, 0)) || !json_is_object(json_array_get(in, 1))) {
		json_decref(in);
		return 0;
	}
	vip = json_array_get(in, 0);
	patch = json_array_get(in, 1);
	once = json_deep_copy(vip);
	CHECK(once != NULL);
	if (json_is_object(json_object_get(patch, "health_check")))
		sld_hc_type_change(json_object_get(once, "health_check"),
			json_object_get(patch, "health_check"));
	CHECK(sld_merge_patch(once, patch) == 0);
	twice = json_deep_copy(once);
	CHECK(twice != NULL && sld_merge_patch(twice, patch) == 0);
	CHECK(json_equal(once, twice));
	json_object_foreach(patch, k, v)
	{
		if (json_is_null(v))
			CHECK(json_object_get(once, k) == NULL);
		else if (json_is_object(v))
			CHECK(json_is_object(json_object_get(once, k)));
		else
			CHECK(json_equal(json_object_get(once, k), v));
	}
	doc = json_pack("{s:s, s:[O]}", "nexthop_mac", "02:00:00:00:00:fe", "vips", once);
	CHECK(doc != NULL);
	if (sld_state_from_json(&st, doc, &e) == 0)
		sld_state_free(&st);
	json_decref(doc);
	json_decref(twice);
	json_decref(once);
	json_decref(in);
	return 0;
}
