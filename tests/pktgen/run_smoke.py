# SPDX-License-Identifier: BSD-3-Clause
"""Entry point for meson: sluice-pktgen's smoke tests under pytest.

Exits 77 (skip) only when not root. Anything else missing is a failure (CI
runs as root and counts skips as failures). Extra arguments go to pytest."""
import os
import signal
import sys

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))


def main(argv):
    if os.geteuid() != 0:
        print("pktgen: not root: skipped (needs hugepages)")
        return 77
    import pytest

    def on_term(signum, frame):
        # meson's timeout sends SIGTERM: let the fixtures stop what they started.
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, on_term)
    return pytest.main(["-v", "-rfE", "-p", "no:cacheprovider", "--rootdir", HERE,
                        "--durations=0", os.path.join(HERE, "test_smoke.py"), *argv])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
