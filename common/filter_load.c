/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Loading the front program standalone (sluice-filter load), with the
 * rodata flag that makes it pass VIP traffic to the kernel.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "filter_priv.h"

/* Set const volatile @var (a __u8 in @map, the object's .rodata) to @val, found through BTF. */
static int
rodata_set_u8(struct bpf_object *obj, struct bpf_map *map, const char *var, uint8_t val)
{
	const struct btf *btf = bpf_object__btf(obj);
	const struct btf_type *sec;
	const struct btf_var_secinfo *vs;
	const void *ro;
	size_t sz;
	int id;

	if (!map || !btf)
		return -ENOENT;
	id = btf__find_by_name_kind(btf, ".rodata", BTF_KIND_DATASEC);
	if (id < 0)
		return -ENOENT;
	sec = btf__type_by_id(btf, (__u32)id);
	ro = bpf_map__initial_value(map, &sz);
	if (!sec || !ro)
		return -ENOENT;
	vs = btf_var_secinfos(sec);
	for (int i = 0; i < btf_vlen(sec); i++, vs++) {
		const struct btf_type *v = btf__type_by_id(btf, vs->type);

		if (v && strcmp(btf__name_by_offset(btf, v->name_off), var) == 0) {
			uint8_t *copy;
			int rc;

			if (vs->size != 1 || vs->offset >= sz)
				return -EINVAL;
			/* libbpf 1.1 hands out the initial value read-only: set a changed copy. */
			copy = malloc(sz);
			if (!copy)
				return -ENOMEM;
			memcpy(copy, ro, sz);
			copy[vs->offset] = val;
			rc = bpf_map__set_initial_value(map, copy, sz);
			free(copy);
			return rc;
		}
	}
	return -ENOENT;
}

int
sl_filter_load_standalone(const char *obj_path, int ifindex, uint32_t xdp_flags, int *prog_fd)
{
	struct bpf_object *obj;
	struct bpf_program *prog;
	struct bpf_map *map;
	int rc;

	*prog_fd = -1;
	obj = bpf_object__open_file(obj_path, NULL);
	if (!obj)
		return -errno;
	map = bpf_object__find_map_by_name(obj, ".rodata");
	rc = rodata_set_u8(obj, map, "sl_standalone", 1);
	if (rc < 0)
		goto out;
	rc = bpf_object__load(obj);
	if (rc < 0)
		goto out;
	prog = bpf_object__next_program(obj, NULL);
	if (!prog) {
		rc = -ENOENT;
		goto out;
	}
	rc = bpf_xdp_attach(ifindex, bpf_program__fd(prog), xdp_flags, NULL);
	if (rc < 0)
		goto out;
	*prog_fd = dup(bpf_program__fd(prog));
	if (*prog_fd < 0)
		rc = -errno;
out:
	bpf_object__close(obj);
	return rc;
}
