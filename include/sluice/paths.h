/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Where Sluice's programs find their installed data files by default.
 */
#ifndef SL_PATHS_H
#define SL_PATHS_H

/*
 * The XDP front program (xdp_front.bpf.o) that sluice-dp puts in front of
 * --af-xdp ports and that sluice-filter loads: in a build tree, the one built
 * beside the running binary (BIN/../bpf/, as meson lays the tree out), so a
 * build runs its own object; otherwise the installed one
 * (PREFIX/lib/sluice/, where bpf/meson.build installs it). The installed
 * path is returned even when it does not exist, so that the caller's error
 * names it.
 * @return a static string (not thread-safe on the first call; call it from
 *         main before starting threads).
 */
const char *sl_xdp_front_obj_default(void);

#endif /* SL_PATHS_H */
