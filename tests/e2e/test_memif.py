# SPDX-License-Identifier: BSD-3-Clause
"""sluice-dp on a memif port (the shared-memory link the benchmarks use),
fed by dpdk-testpmd in txonly mode sending UDP to a VIP from many flows.

testpmd's txonly mode never reads its RX ring, so what sluice-dp sends back
fills the ring and is counted as tx_full; what is checked here is that every
packet received was forwarded, that new flows spread over the backends by
weight, and that nothing was dropped for any other reason.
"""

import json
import os
import subprocess
import sys
import tempfile
import time

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import topo  # noqa: E402
from conftest import require_dataplane  # noqa: E402

BACKENDS = [("10.97.0.1", 100), ("10.97.0.2", 100), ("10.97.0.3", 200)]


@pytest.fixture(scope="module")
def memif_run():
    dp = require_dataplane(512)
    testpmd = "/usr/bin/dpdk-testpmd"
    if not os.path.exists(testpmd):
        pytest.fail("dpdk-testpmd not found (Debian package dpdk-dev)")
    tag = f"slmemif{os.getpid()}"
    work = tempfile.mkdtemp(prefix=f"{tag}-")
    cfg = {"nexthop_mac": "02:00:00:00:00:fe", "flow_capacity": 65536,
           "vips": [{"address": "192.0.2.80", "protocol": "udp", "port": 53,
                     "backends": [{"address": a, "weight": w} for a, w in BACKENDS]}]}
    with open(os.path.join(work, "dp.json"), "w") as f:
        json.dump(cfg, f)
    sock = os.path.join(work, "memif.sock")
    dp_log = open(os.path.join(work, "dp.log"), "w")
    tp_log = open(os.path.join(work, "testpmd.log"), "w")
    dpp = tpp = None
    try:
        dpp = subprocess.Popen(
            [dp, "-l", "0,1", "--no-pci", "--file-prefix", f"{tag}dp",
             "--vdev", f"net_memif0,role=server,socket={sock},id=0",
             "--", "-c", f"{work}/dp.json", "-s", f"{work}/dp.sock"],
            stdout=dp_log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while not os.path.exists(f"{work}/dp.sock"):
            if dpp.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"sluice-dp did not start:\n{open(dp_log.name).read()[-2000:]}")
            time.sleep(0.1)
        tpp = subprocess.Popen(
            [testpmd, "-l", "0,1", "--no-pci", "--file-prefix", f"{tag}tp",
             "--vdev", f"net_memif0,role=client,socket={sock},id=0", "--",
             "--forward-mode=txonly", "--tx-ip=198.18.0.1,192.0.2.80", "--tx-udp=1024,53",
             "--txonly-multi-flow", "--txpkts=64", "--total-num-mbufs=8192",
             "--stats-period", "1"],
            stdout=tp_log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        time.sleep(4)  # bounded: 4 seconds of traffic
        topo.kill_pid(tpp, sig=2)  # SIGINT: testpmd stops forwarding and exits
        time.sleep(0.5)
        workers = topo.telemetry(f"{tag}dp", "/sluice/workers")["worker0"]
        backends = topo.telemetry(f"{tag}dp", "/sluice/backends,0")
        drops = topo.telemetry(f"{tag}dp", "/sluice/drops")
        yield {"workers": workers, "backends": backends, "drops": drops,
               "dp_log": open(dp_log.name).read(), "tp_log": open(tp_log.name).read()}
    finally:
        for p in (tpp, dpp):
            if p is not None:
                topo.kill_pid(p)
        subprocess.run(["rm", "-rf", work, f"/var/run/dpdk/{tag}dp", f"/var/run/dpdk/{tag}tp"],
                       check=False)


def test_memif_forwards_every_packet(memif_run):
    rx, forwarded = memif_run["workers"][0], memif_run["workers"][4]
    assert rx > 10000, f"only {rx} packets received:\n{memif_run['tp_log'][-2000:]}"
    assert forwarded == rx
    other = {k: v for k, v in memif_run["drops"].items() if v and k != "tx_full"}
    assert not other, other


def test_memif_flows_spread_by_weight(memif_run):
    new = {b[0]: int(b[3]) for b in memif_run["backends"].values()}
    assert set(new) == {a for a, _ in BACKENDS}
    total = sum(new.values())
    assert total == memif_run["workers"][5]  # new_flows
    assert total >= 64, new  # testpmd's multi-flow mode varies the source address
    # Loose: a few dozen flows only. The heavy backend gets the most.
    assert all(v > 0 for v in new.values()), new
    assert new["10.97.0.3"] > max(new["10.97.0.1"], new["10.97.0.2"]), new
