# SPDX-License-Identifier: BSD-3-Clause
"""Several queues in the namespace topology (topo.Topology(queues=2)), and the
Maglev table digests across a restart.

The client's link and the LB's link are veths with two RX and two TX queues.

* AF_XDP, the default deployment, cannot use both: DPDK 22.11's AF_XDP PMD
  takes the queue count from the interface's *combined* channels (ethtool -l)
  and a veth has RX and TX channels but no combined ones, so queue_count=2 is
  refused. test_af_xdp_two_queues_on_veth_refused pins that down (and starts
  failing, as a reminder to switch, the day the PMD accepts it).
* What the kernel can spread by hash here, it does: sluice-dp with two workers
  on an AF_PACKET port (net_af_packet, qpairs=2: one socket per worker, in a
  PACKET_FANOUT_HASH group, so the kernel picks the worker by the flow's
  hash, as a NIC's RSS picks a queue). Real TCP through the load balancer
  from many client ports: every connection succeeds, both workers carry
  flows, and no flow is ever seen by both (each worker's flow table is its
  own, so a flow split over two workers would be counted new twice).
* The digest of each VIP's Maglev table in STATUS (and /sluice/vips) is the
  same after a restart with the same config, also with the backends listed
  in another order (other slot numbers, as on another node), and changes
  with a weight.
"""

import os
import sys
import time

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import topo  # noqa: E402
from conftest import BASE_WEIGHTS, artifacts, require_dataplane  # noqa: E402
from netclient import KeepAlive, backend_of, http_get  # noqa: E402
from topo import BACKENDS, CLIENT4, VIP4, VIP6, VIP_INDEX  # noqa: E402

N_CONN = 64       # connections, one request each
N_KEEPALIVE = 8   # keep-alive connections...
N_REQ = 10        # ...of this many requests each


def config():
    return topo.make_config("encap", weights=BASE_WEIGHTS)


@pytest.fixture(scope="module")
def mq():
    require_dataplane(256)
    dp, decap, front = artifacts()
    if not decap or not os.path.exists(decap):
        pytest.fail(f"decap XDP object not found ({decap})")
    t = topo.Topology(sluice_dp=dp, decap_obj=decap, xdp_front_obj=front, queues=2)
    try:
        t.up()
        yield t
    finally:
        if os.environ.get("SLUICE_E2E_LOGDIR"):
            os.makedirs(os.environ["SLUICE_E2E_LOGDIR"], exist_ok=True)
            with open(os.path.join(os.environ["SLUICE_E2E_LOGDIR"], "sluice-dp-mq.log"),
                      "w") as f:
                f.write(t.lb_log_text())
        t.down()


def workers(t):
    """{worker index: (rx_packets, new_flows)} from /sluice/workers."""
    w = t.tel("/sluice/workers")
    return {i: (w[f"worker{i}"][0], w[f"worker{i}"][5]) for i in range(2)}


def test_af_xdp_two_queues_on_veth_refused(mq):
    with pytest.raises(topo.TopoError) as e:
        mq.start_lb(config(), workers=2, port="af_xdp", timeout=30)
    mq.stop_lb()
    assert "combined queue count" in str(e.value), str(e.value)[-2000:]


def test_flows_spread_over_two_workers(mq):
    mq.start_lb(config(), workers=2, port="af_packet")
    try:
        info = mq.tel("/sluice/info")
        assert info["workers"] == 2 and info["ports"] == 1, info
        before = workers(mq)
        ct0 = mq.tel("/sluice/conntrack")
        answered = {b: 0 for b in BACKENDS}
        t0 = time.monotonic()
        for i in range(N_CONN):
            src = CLIENT4[i % len(CLIENT4)]
            status, body = http_get(mq.ns["cl"], src, VIP4, sport=23000 + i, path=f"/q{i}")
            assert status == 200, f"connection {i} from {src}:{23000 + i}: HTTP {status}"
            answered[backend_of(body)] += 1
            assert time.monotonic() - t0 < 60, "connection loop took over 60 s"
        for i in range(N_KEEPALIVE):
            ka = KeepAlive(mq.ns["cl"], CLIENT4[i % len(CLIENT4)], VIP4, sport=24000 + i)
            try:
                got = {backend_of(ka.get(f"/k{i}-{r}")[1]) for r in range(N_REQ)}
            finally:
                ka.close()
            assert len(got) == 1, f"keep-alive connection {i} answered by {got}"
        after = workers(mq)
        ct1 = mq.tel("/sluice/conntrack")
    finally:
        mq.stop_lb()
    flows = N_CONN + N_KEEPALIVE
    new = {i: after[i][1] - before[i][1] for i in after}
    rx = {i: after[i][0] - before[i][0] for i in after}
    print(f"two workers: rx {rx}, new flows {new}, backends {answered}")
    # Every flow was new exactly once, on one worker: a flow whose packets
    # reached both workers would have been inserted in both tables.
    assert sum(new.values()) == flows, (new, flows)
    assert ct1["inserts"] - ct0["inserts"] == flows, (ct0, ct1)
    # The kernel's hash put flows on both workers (64 + 8 flows over two
    # sockets: all on one would be a 2^-71 event for a uniform hash).
    assert all(n > 0 for n in new.values()), new
    assert all(n > 0 for n in rx.values()), rx
    assert all(n > 0 for n in answered.values()), answered


def digests(t):
    """STATUS "tables" as {(address, protocol, port): digest}, checked against
    /sluice/vips (same digest per VIP)."""
    st = t.status()
    assert st.get("ok"), st
    tables = st["tables"]
    assert len(tables) == st["vips"], st
    out = {}
    for e in tables:
        assert len(e["digest"]) == 16 and int(e["digest"], 16) >= 0, e
        out[(e["address"], e["protocol"], e["port"])] = e["digest"]
    tel = t.tel("/sluice/vips")
    for v in tel.values():
        addr, proto, port = v[0].split("/")
        assert out[(addr, proto, int(port))] == v[4], (v, out)
    return out


def reordered(cfg):
    """The same config with every VIP's backends in reverse order."""
    for v in cfg["vips"]:
        v["backends"] = list(reversed(v["backends"]))
    return cfg


def test_digest_same_across_restart(mq):
    # AF_PACKET with a worker per queue: lb0 has two RX queues here, and an
    # AF_XDP port opens queue 0 only, so a connection hashed to queue 1 would
    # never reach sluice-dp (the digests do not depend on the port type).
    mq.start_lb(config(), workers=2, port="af_packet")
    try:
        first = digests(mq)
        assert len(first) == len(VIP_INDEX)
        # Same backends, another weight: other tables, other digests.
        r = mq.apply(topo.make_config("encap", weights={**BASE_WEIGHTS, "b1": 300}))
        assert r.get("ok"), r
        changed = digests(mq)
        assert all(changed[k] != first[k] for k in first), (first, changed)
        # Back to the first config: the first digests again.
        assert mq.apply(config()).get("ok")
        assert digests(mq) == first
    finally:
        mq.stop_lb()
    # A new process (new slot numbering), backends listed in another order.
    mq.start_lb(reordered(config()), workers=2, port="af_packet")
    try:
        again = digests(mq)
        ka = KeepAlive(mq.ns["cl"], CLIENT4[0], VIP4)
        try:
            assert ka.get("/after-restart")[0] == 200
        finally:
            ka.close()
    finally:
        mq.stop_lb()
    assert again == first, (first, again)
    assert {k[0] for k in first} == {VIP4, VIP6}
