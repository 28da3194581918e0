/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target: sluiced's state document (control/state*.c, with the
 * dataplane's validator sl_cfg_from_json() and the filter library's parser
 * underneath), what a PUT /v1/state body goes through. Besides not
 * crashing: an accepted document's canonical form is a fixed point, equal
 * to itself under the identity diff, copies whole, and has an effective
 * config; a refused one names a status and a code.
 */
#include <string.h>

#include <jansson.h>

#include "effective.h"
#include "fuzz_sld.h"
#include "state.h"

static void
unknown(void *ctx, const char *vip, const char *addr, struct sld_hview *v)
{
	(void)ctx;
	(void)vip;
	(void)addr;
	v->health = (uint8_t)(strlen(addr) % SLD_H_MAX); /* some of each */
	v->up_since_ms = 1000;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sld_state st, again, copy;
	struct sl_cfg eff;
	json_error_t je;
	struct sld_err e;
	json_t *in, *diff;
	char *summary;
	int rc;

	in = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, &je);
	if (in == NULL)
		return 0;
	memset(&e, 0, sizeof(e));
	rc = sld_state_from_json(&st, in, &e);
	json_decref(in);
	if (rc < 0) {
		CHECK(e.status >= 400 && e.status <= 599 && e.code != NULL);
		CHECK(memchr(e.field, '\0', sizeof(e.field)) != NULL);
		return 0;
	}
	CHECK(sld_state_from_json(&again, st.doc, &e) == 0);
	CHECK(json_equal(again.doc, st.doc));
	diff = sld_diff(st.doc, again.doc);
	CHECK(diff != NULL && json_array_size(diff) == 0);
	json_decref(diff);
	CHECK(sld_state_copy(&copy, &st) == 0);
	CHECK(json_equal(copy.doc, st.doc) && copy.cfg.n_vips == st.cfg.n_vips);
	CHECK(sld_effective(&st, unknown, NULL, 5000, &eff, NULL) == 0);
	CHECK(eff.n_vips == st.cfg.n_vips);
	sl_cfg_free(&eff);
	/* The diff from nothing and its summary (what the audit log gets). */
	json_t *empty = json_object();
	diff = sld_diff(empty, st.doc);
	summary = sld_diff_summary(diff);
	CHECK(diff != NULL && summary != NULL);
	free(summary);
	json_decref(diff);
	json_decref(empty);
	sld_state_free(&copy);
	sld_state_free(&again);
	sld_state_free(&st);
	return 0;
}
