# SPDX-License-Identifier: BSD-3-Clause
"""
The shared store: two sluiced ("nodes", each with a stand-in dataplane)
watch one key of a real etcd on loopback. Every valid revision is applied by
both; a revision that is not JSON, not a valid state, or that one node's
dataplane refuses is refused by that node, which keeps its state and says
so in /v1/node and the metrics; the next valid revision is applied; a
revision written while etcd was unreachable is applied once it is back; a
revision a node could not commit (its state directory full) is applied once
it can be, without a new revision.
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from conftest import wait_for  # noqa: E402
from etcdsrv import Etcd  # noqa: E402
from sluiced import FakeDP, Sluiced, sluiced_binary  # noqa: E402

KEY = "/sluice/test/state"


def state(weight=100, flow_capacity=None):
    s = {"nexthop_mac": "02:00:00:00:00:fe",
         "vips": [{"address": "192.0.2.80", "protocol": "tcp", "port": 80,
                   "backends": [{"address": "10.0.1.1", "weight": weight},
                                {"address": "10.0.1.2"}]}]}
    if flow_capacity:
        s["flow_capacity"] = flow_capacity
    return s


@pytest.fixture(scope="module")
def env():
    if os.geteuid() != 0:
        pytest.skip("needs root (like the rest of the e2e suite)")
    for prog in ("etcd", "etcdctl"):
        if shutil.which(prog) is None:
            pytest.fail(f"{prog} not installed (etcd-server, etcd-client: scripts/deps.sh)")
    if not os.path.exists(sluiced_binary()):
        pytest.fail(f"sluiced not found ({sluiced_binary()})")
    work = tempfile.mkdtemp(prefix=f"sle2e-{os.getpid()}-etcd-")
    etcd = Etcd()
    nodes, dps = [], []
    try:
        etcd.start()
        for i in range(2):
            dp = FakeDP(os.path.join(work, f"dp{i}.sock")).start()
            d = Sluiced(work, dp.path, tag=f"n{i}", extra=["--node", f"n{i}", "--etcd",
                                                           etcd.url, "--etcd-key", KEY])
            d.start()
            dps.append(dp)
            nodes.append(d)
        yield etcd, nodes, dps
    finally:
        for d in nodes:
            if os.environ.get("SLUICE_E2E_LOGDIR"):
                os.makedirs(os.environ["SLUICE_E2E_LOGDIR"], exist_ok=True)
                with open(os.path.join(os.environ["SLUICE_E2E_LOGDIR"],
                                       f"sluiced-etcd-{d.sock[-7:-5]}.log"), "w") as f:
                    f.write(d.log())
            d.stop()
        for dp in dps:
            dp.stop()
        etcd.stop()
        shutil.rmtree(work, ignore_errors=True)


def store(d):
    r = d.get("/v1/node")
    assert r.status == 200, r
    return r.json["store"]


def applied(nodes, rev):
    return all(store(d)["revision_applied"] == rev for d in nodes)


def refused(nodes, rev):
    return all((store(d)["refused"] or {}).get("revision") == rev for d in nodes)


def test_valid_revision_applied_everywhere(env):
    etcd, nodes, dps = env
    rev = etcd.put(KEY, json.dumps(state()))
    assert wait_for(lambda: applied(nodes, rev)), [store(d) for d in nodes]
    docs = [d.state() for d in nodes]
    assert docs[0] == docs[1]
    assert docs[0]["vips"][0]["backends"][0]["weight"] == 100
    for d, dp in zip(nodes, dps):
        assert store(d)["connected"] is True and store(d)["refused"] is None
        assert dp.last()["vips"][0]["address"] == "192.0.2.80"
        hist = d.get("/v1/history").json
        assert hist["history"][0]["who"] == f"etcd:{rev}", hist
        m = d.get("/metrics").raw
        assert f"sluice_store_revision_applied {rev}" in m and "sluice_store_refused 0" in m


@pytest.mark.parametrize("value,needle", [
    ("{not json", "bad_json"),
    ("[1, 2]", "not a JSON object"),
    (json.dumps(state(weight=70000)), "backends[10.0.1.1].weight"),
    (json.dumps({**state(), "colour": "blue"}), "colour"),
], ids=["not-json", "not-object", "weight-out-of-range", "unknown-key"])
def test_invalid_revision_refused_state_kept(env, value, needle):
    etcd, nodes, _ = env
    before = [(d.version(), d.state()) for d in nodes]
    rev = etcd.put(KEY, value)
    assert wait_for(lambda: refused(nodes, rev)), [store(d) for d in nodes]
    for d, (v, s) in zip(nodes, before):
        st = store(d)
        assert needle in st["refused"]["error"], st
        assert (d.version(), d.state()) == (v, s)
        assert "sluice_store_refused 1" in d.get("/metrics").raw
    # The next valid revision is taken, and the refusal clears.
    rev = etcd.put(KEY, json.dumps(state(weight=100 + len(value) % 50)))
    assert wait_for(lambda: applied(nodes, rev)), [store(d) for d in nodes]
    assert all(store(d)["refused"] is None for d in nodes)


def test_one_node_refuses_others_apply(env):
    """A revision valid for the validator that one node's dataplane refuses:
    that node keeps its state, the other applies it."""
    etcd, nodes, dps = env
    v0 = nodes[0].version()
    dps[0].refuse = "flow_capacity: cannot change while running"
    try:
        rev = etcd.put(KEY, json.dumps(state(weight=77, flow_capacity=131072)))
        assert wait_for(lambda: applied(nodes[1:], rev)), store(nodes[1])
        assert wait_for(lambda: refused(nodes[:1], rev)), store(nodes[0])
        assert "dataplane_refused" in store(nodes[0])["refused"]["error"] or \
            "cannot change" in store(nodes[0])["refused"]["error"]
        assert nodes[0].version() == v0
        assert nodes[1].state()["vips"][0]["backends"][0]["weight"] == 77
    finally:
        dps[0].refuse = None
    rev = etcd.put(KEY, json.dumps(state(weight=78)))
    assert wait_for(lambda: applied(nodes, rev)), [store(d) for d in nodes]


def test_revision_written_while_etcd_away_is_applied(env):
    etcd, nodes, _ = env
    etcd.proc.terminate()
    etcd.proc.wait(10)
    assert wait_for(lambda: all(not store(d)["connected"] for d in nodes), 10)
    # Back on the same data and ports; a new revision arrives through the range.
    etcd.start()
    rev = etcd.put(KEY, json.dumps(state(weight=90)))
    assert wait_for(lambda: applied(nodes, rev), 15), [store(d) for d in nodes]
    assert all(d.state()["vips"][0]["backends"][0]["weight"] == 90 for d in nodes)
    assert all(store(d)["connected"] for d in nodes)


def test_revision_not_committed_is_read_again(env):
    """A valid revision that this node could not commit (its state directory
    is full) is not the revision's fault: the node reads it again, backing
    off, and applies it once it can, without a new revision in etcd."""
    etcd, nodes, dps = env
    work = os.path.dirname(nodes[0].sock)
    mnt = tempfile.mkdtemp(prefix=f"sle2e-{os.getpid()}-etcdsmall-")
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", mnt], check=True)
    dp = FakeDP(os.path.join(work, "dp-small.sock")).start()
    d = Sluiced(work, dp.path, tag="small", extra=["--node", "small", "--etcd", etcd.url,
                                                     "--etcd-key", KEY])
    d.state_dir = os.path.join(mnt, "state")
    try:
        d.start()
        rev = etcd.put(KEY, json.dumps(state(weight=61)))
        assert wait_for(lambda: applied(nodes + [d], rev)), store(d)
        v = d.version()
        filler = os.path.join(mnt, "filler")
        with open(filler, "wb") as f:
            try:
                while True:
                    f.write(b"\0" * 65536)
                    f.flush()
            except OSError:
                pass
        big = state(weight=62)
        big["vips"][0]["backends"] += [{"address": f"10.0.2.{i}"} for i in range(1, 200)]
        rev = etcd.put(KEY, json.dumps(big))
        assert wait_for(lambda: (store(d)["refused"] or {}).get("revision") == rev), store(d)
        st = store(d)
        assert st["refused"]["retrying"] and "No space left" in st["refused"]["error"], st
        assert d.version() == v
        assert wait_for(lambda: applied(nodes, rev)), [store(n) for n in nodes]
        os.unlink(filler)
        assert wait_for(lambda: applied([d], rev), 10), store(d)
        assert store(d)["refused"] is None and d.version() == v + 1
        assert len(d.state()["vips"][0]["backends"]) == 201
    finally:
        d.stop()
        dp.stop()
        subprocess.run(["umount", "-l", mnt], check=False)
        shutil.rmtree(mnt, ignore_errors=True)
