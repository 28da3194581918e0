/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * An AF_XDP socket for an XSKMAP slot, shared by the BPF tests
 * (front-env.h) and sluice-bench-filter: a UMEM and an RX ring (older
 * kernels refuse sockets without them in an XSKMAP), never bound.
 */
#ifndef SL_XSK_STUB_H
#define SL_XSK_STUB_H

#include <errno.h>
#include <linux/if_xdp.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

/* @return the socket's fd, or -errno. The UMEM stays mapped until exit. */
static inline int
sl_xsk_stub(void)
{
	static const size_t umem_len = 16 * 4096;
	struct xdp_umem_reg reg = {.len = umem_len, .chunk_size = 4096};
	int ring = 64, fd, e;
	void *umem;

	fd = socket(AF_XDP, SOCK_RAW | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	umem = mmap(NULL, umem_len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (umem == MAP_FAILED)
		goto err;
	reg.addr = (uint64_t)(uintptr_t)umem;
	if (setsockopt(fd, SOL_XDP, XDP_UMEM_REG, &reg, sizeof(reg)) < 0 ||
		setsockopt(fd, SOL_XDP, XDP_UMEM_FILL_RING, &ring, sizeof(ring)) < 0 ||
		setsockopt(fd, SOL_XDP, XDP_UMEM_COMPLETION_RING, &ring, sizeof(ring)) < 0 ||
		setsockopt(fd, SOL_XDP, XDP_RX_RING, &ring, sizeof(ring)) < 0)
		goto err;
	return fd;
err:
	e = errno;
	close(fd);
	return -e;
}

#endif /* SL_XSK_STUB_H */
