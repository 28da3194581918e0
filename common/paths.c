/* SPDX-License-Identifier: BSD-3-Clause */
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <sluice/paths.h>

#ifndef SL_XDP_FRONT_OBJ_INSTALLED
#define SL_XDP_FRONT_OBJ_INSTALLED "/usr/local/lib/sluice/xdp_front.bpf.o"
#endif

const char *
sl_xdp_front_obj_default(void)
{
	static char path[PATH_MAX];
	char exe[PATH_MAX];
	ssize_t n;
	char *slash;

	if (path[0])
		return path;
	/*
	 * Build tree first: an installed binary never has a bpf/ directory
	 * beside its own (PREFIX/sbin/../bpf), a build tree always has.
	 */
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		exe[n] = '\0';
		slash = strrchr(exe, '/');
		if (slash) {
			*slash = '\0';
			if ((size_t)snprintf(path, sizeof(path), "%s/../bpf/xdp_front.bpf.o", exe) <
					sizeof(path) &&
				access(path, R_OK) == 0)
				return path;
		}
	}
	snprintf(path, sizeof(path), "%s", SL_XDP_FRONT_OBJ_INSTALLED);
	return path;
}
