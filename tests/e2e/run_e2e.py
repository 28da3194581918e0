# SPDX-License-Identifier: BSD-3-Clause
"""Entry point for meson: the e2e suite under pytest.

Exits 77 (skip) only when not root. Everything else that is missing (a
binary, a package) is a failure: CI runs as root and counts skips as failures.
Extra arguments go to pytest (e.g. -k spread, -x)."""
import os
import signal
import sys

sys.dont_write_bytecode = True  # nothing left behind in the source tree
HERE = os.path.dirname(os.path.abspath(__file__))


def main(argv):
    if os.geteuid() != 0:
        print("e2e: not root: skipped (needs namespaces, XDP, hugepages)")
        return 77
    import pytest

    def on_term(signum, frame):
        # meson's timeout and CI send SIGTERM: turn it into what pytest handles
        # (KeyboardInterrupt), so the fixtures still tear the topology down.
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, on_term)
    return pytest.main(["-v", "-rfE", "-p", "no:cacheprovider", "--rootdir", HERE,
                        "--durations=0", os.path.join(HERE, "test_dataplane.py"),
                        os.path.join(HERE, "test_pcap_port.py"),
                        os.path.join(HERE, "test_memif.py"),
                        os.path.join(HERE, "test_two_workers.py"),
                        os.path.join(HERE, "test_sluiced_api.py"),
                        os.path.join(HERE, "test_sluiced_topo.py"),
                        os.path.join(HERE, "test_filter.py"),
                        os.path.join(HERE, "test_lbadm_topo.py"),
                        os.path.join(HERE, "test_etcd.py"),
                        os.path.join(HERE, "test_cluster.py"), *argv])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
