/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target: the token file's parser (control/tokens.c). Besides
 * not crashing: every token it accepts has a valid name, a role and a
 * secret of 16..256 characters, and is found again by its secret.
 */
#include <string.h>

#include "fuzz_sld.h"
#include "sld.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sld d;
	char err[256];
	int rc;

	memset(&d, 0, sizeof(d));
	rc = sld_tokens_parse((const char *)data, size, &d.tokens, &d.n_tokens, err, sizeof(err));
	if (rc < 0) {
		CHECK(d.tokens == NULL && d.n_tokens == 0);
		CHECK(memchr(err, '\0', sizeof(err)) != NULL && err[0] != '\0');
		return 0;
	}
	for (unsigned int i = 0; i < d.n_tokens; i++) {
		const struct sld_token *t = &d.tokens[i];
		size_t n = strlen(t->secret);

		CHECK(t->name[0] != '\0' && n >= 16 && n <= 256);
		CHECK(t->role == SLD_ROLE_READ || t->role == SLD_ROLE_ADMIN);
		CHECK(sld_token_find(&d, t->secret) != NULL);
	}
	free(d.tokens);
	return 0;
}
