/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target: the API's path parser (control/path.c), on any bytes
 * (libmicrohttpd hands it a %-decoded path: anything but NUL). Besides not
 * crashing: a parsed path names a known resource, its VIP key parses back
 * to itself, its addresses are canonical, a version is all digits.
 */
#include <string.h>

#include "fuzz_sld.h"
#include "request.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *url = malloc(size + 1), key[SLD_KEY_LEN], port[8], canon[64];
	struct sld_path p;
	struct sld_err e;

	CHECK(url != NULL);
	memcpy(url, data, size);
	url[size] = '\0';
	if (sld_path_parse(url, &p, &e) < 0) {
		CHECK(e.status == 400 || e.status == 404 || e.status == 414);
		CHECK(strlen(url) <= SLD_MAX_PATH || e.status == 414);
		free(url);
		return 0;
	}
	CHECK(strlen(url) <= SLD_MAX_PATH);
	CHECK(p.res < SLD_RES_MAX);
	if (p.res == SLD_RES_VIP || p.res == SLD_RES_BACKEND) {
		snprintf(port, sizeof(port), "%u", p.port);
		CHECK(sld_vip_key_parse(p.proto, p.addr, port, key, &e) == 0);
		CHECK(strcmp(key, p.vip) == 0);
		CHECK(sld_addr_canon(p.addr, canon, sizeof(canon)) == 0 &&
			strcmp(canon, p.addr) == 0);
	}
	if (p.res == SLD_RES_BACKEND)
		CHECK(sld_addr_canon(p.backend, canon, sizeof(canon)) == 0 &&
			strcmp(canon, p.backend) == 0);
	free(url);
	return 0;
}
