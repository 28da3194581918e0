# SPDX-License-Identifier: BSD-3-Clause
"""Two workers: three lcores on this 2-CPU machine (main on CPU 0, both
workers on CPU 1), a pcap port with two RX/TX queue pairs, one per worker.

Checks that each worker owns its queue and its own flow table, that a new
generation is published only after both workers went through a quiescent
state (the apply returns, and both keep forwarding afterwards), and that what
each queue received leaves by the same worker's TX queue, encapsulated.
(RSS itself needs a NIC that hashes; here each queue has its own input file.)
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

from scapy.all import IP, TCP, Ether, rdpcap, wrpcap  # noqa: E402

BACKENDS = ["10.98.0.1", "10.98.0.2"]
N = (300, 200)  # frames into queue 0 and queue 1


def cfg(weights=(100, 100)):
    return {"nexthop_mac": "02:00:00:00:00:fe", "flow_capacity": 4096,
            "vips": [{"address": "192.0.2.80", "protocol": "tcp", "port": 80,
                      "backends": [{"address": a, "weight": w}
                                   for a, w in zip(BACKENDS, weights)]}]}


@pytest.fixture(scope="module")
def run():
    dp = require_dataplane(256)
    tag = f"sl2w{os.getpid()}"
    work = tempfile.mkdtemp(prefix=f"{tag}-")
    for q, n in enumerate(N):
        wrpcap(f"{work}/in{q}.pcap",
               [Ether(dst="02:00:00:00:00:01") / IP(src=f"198.51.{100 + q}.{i % 200 + 1}",
                                                   dst="192.0.2.80") /
                TCP(sport=20000 + i, dport=80, flags="S") for i in range(n)])
    with open(f"{work}/dp.json", "w") as f:
        json.dump(cfg(), f)
    with open(f"{work}/dp2.json", "w") as f:
        json.dump(cfg((100, 300)), f)
    proc = None
    try:
        log = open(f"{work}/dp.log", "w")
        proc = subprocess.Popen(
            [dp, "--lcores", "0@0,1@1,2@1", "--no-pci", "--file-prefix", tag, "--vdev",
             f"net_pcap0,rx_pcap={work}/in0.pcap,rx_pcap={work}/in1.pcap,"
             f"tx_pcap={work}/out0.pcap,tx_pcap={work}/out1.pcap",
             "--", "-c", f"{work}/dp.json", "-s", f"{work}/dp.sock"],
            stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        workers = {}
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                pytest.fail(f"sluice-dp exited:\n{open(log.name).read()[-2000:]}")
            try:
                workers = topo.telemetry(tag, "/sluice/workers")
                if sum(workers[f"worker{q}"][0] for q in range(2)) >= sum(N):
                    break
            except (OSError, topo.TopoError, KeyError, ValueError, TypeError):  # null: not yet
                pass
            time.sleep(0.2)
        reply = topo.ctl_request(f"{work}/dp.sock", 1, cfg((100, 300)))  # APPLY
        info = topo.telemetry(tag, "/sluice/info")
        ct = topo.telemetry(tag, "/sluice/conntrack")
        topo.kill_pid(proc)
        yield {"workers": workers, "apply": reply, "info": info, "ct": ct, "rc": proc.returncode,
               "out": [rdpcap(f"{work}/out{q}.pcap") for q in range(2)],
               "log": open(log.name).read()}
    finally:
        if proc is not None:
            topo.kill_pid(proc)
        subprocess.run(["rm", "-rf", work, f"/var/run/dpdk/{tag}"], check=False)


def test_each_worker_owns_its_queue(run):
    assert run["info"]["workers"] == 2
    for q, n in enumerate(N):
        w = run["workers"][f"worker{q}"]
        assert w[0] == n and w[4] == n and w[5] == n, (q, w)  # rx, forwarded, new flows


def test_flow_tables_are_per_worker(run):
    # Every flow is new to the worker that saw it: as many inserts as frames.
    assert run["ct"]["inserts"] == sum(N) and run["ct"]["hits"] == 0


def test_apply_with_two_workers(run):
    # The apply returns only after both workers passed a quiescent state.
    assert run["apply"] == {"ok": True, "generation": 2}, run["apply"]
    assert run["info"]["generation"] == 2
    assert run["rc"] == 0, run["log"][-2000:]


def test_each_queue_leaves_by_its_worker(run):
    for q, n in enumerate(N):
        out = run["out"][q]
        assert len(out) == n
        assert all(p[IP].proto == 4 and p[IP].dst in BACKENDS for p in out)
        inner_src = {IP(bytes(p[IP].payload)).src.rsplit(".", 2)[1] for p in out}
        assert inner_src == {str(100 + q)}, inner_src  # 198.51.100.x on queue 0, .101.x on 1
