# SPDX-License-Identifier: BSD-3-Clause
"""Entry point for meson: lbadm's integration tests under pytest (a real
sluiced on a Unix socket in a temp dir; no root needed), its docs checks and
the systemd units' checks. Extra arguments go to pytest."""
import os
import signal
import sys

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))


def main(argv):
    import pytest

    def on_term(signum, frame):
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, on_term)
    return pytest.main(["-v", "-rfE", "-p", "no:cacheprovider", "--rootdir", HERE,
                        os.path.join(HERE, "test_cli.py"), os.path.join(HERE, "test_docs.py"),
                        os.path.join(HERE, "test_units.py"), os.path.join(HERE, "test_filter.py"),
                        *argv])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
