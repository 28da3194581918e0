# SPDX-License-Identifier: BSD-3-Clause
"""
Several load-balancer nodes behind a router's ECMP, VIPs announced by BGP
(cluster.py: BIRD on the router with merge paths and an L4 multipath hash,
BIRD on every node driven by its sluiced). Checks, in order, on one
cluster of three nodes:

- the router learns both VIPs (IPv4, IPv6) from every healthy node;
- every node runs the same config (the input of byte-identical Maglev
  tables), and the same digests when sluice-dp reports them;
- client flows spread over all nodes, and every node sends a flow to the
  same backend (each UDP flow asked through each node alone);
- draining a node (API or maintenance file) and killing a node's dataplane
  withdraw its routes, and the established TCP connections continue on the
  surviving nodes to the same backends: the share that survives is printed
  and must be all of them (backends did not change);
- a node whose health checks fail (a partition between it and one backend)
  withdraws within one health interval of the transition, alone;
- lbadm: node status/drain/undrain, cluster compare (state and table
  digests) and cluster apply over the nodes with a result per node;
- the state reaches every node from one etcd key (in the router's
  namespace); a bad config, through the store or a node's API, is refused
  by every node, which keeps its old one and says so.

The API is driven with http.client over each node's Unix socket.
"""

import datetime
import json
import os
import signal
import sys
import threading
import time
import uuid

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import cluster as clu  # noqa: E402
import topo  # noqa: E402
from conftest import artifacts  # noqa: E402
from lbadm_run import Lbadm, lbadm_binary  # noqa: E402
from netclient import KeepAlive, backend_of, udp_request  # noqa: E402
from sluiced import sluiced_binary  # noqa: E402
from topo import CLIENT4, CLIENT6, HTTP_PORT, UDP_PORT, VIP4, VIP6  # noqa: E402

N_NODES = 3
INTERVAL = 1000  # health check interval (ms): the announcement deadline
CHECK = {"type": "tcp", "port": HTTP_PORT, "interval_ms": INTERVAL, "timeout_ms": 300,
         "rise": 2, "fall": 2}
N_CONN4, N_CONN6 = 36, 12
SURVIVAL = []  # (event, survived, total), reported at the end


def state(min_count=1):
    """make_config's four VIPs, TCP-checked on port 80."""
    cfg = topo.make_config("encap")
    for v in cfg["vips"]:
        v["health_check"] = dict(CHECK)
        v["min_healthy"] = {"count": min_count, "percent": 0, "action": "fail_open"}
    return cfg


def apply_all(c, doc):
    """PUT @doc on every node, each against its own version: {node: Response}."""
    return {d.node: d.put_state(doc) for d in c.sluiced}


@pytest.fixture(scope="module")
def cl():
    if os.geteuid() != 0:
        pytest.skip("needs root (namespaces, XDP, hugepages)")
    dp, decap, front = artifacts()
    for what, path in (("sluice-dp", dp), ("decap XDP object", decap),
                       ("sluiced", sluiced_binary())):
        if not os.path.exists(path):
            pytest.fail(f"{what} not found ({path})")
    for prog in ("bird", "birdc"):
        if not any(os.access(os.path.join(p, prog), os.X_OK)
                   for p in ("/usr/sbin", "/usr/bin", "/sbin")):
            pytest.fail(f"{prog} not installed (bird2, scripts/deps.sh)")
    c = clu.Cluster(dp, decap, front, n=N_NODES, etcd=True)
    try:
        c.up(topo.make_config("encap"), state())
        yield c
    finally:
        if os.environ.get("SLUICE_E2E_LOGDIR"):
            c.dump_logs(os.path.join(os.environ["SLUICE_E2E_LOGDIR"], "cluster"))
        c.down()


@pytest.fixture(scope="module")
def conns(cl):
    """Long-lived keep-alive HTTP connections through the VIPs, each with the
    backend that answered its first request."""
    held = []
    try:
        for i in range(N_CONN4 + N_CONN6):
            v6 = i >= N_CONN4
            src = (CLIENT6 if v6 else CLIENT4)[i % 4]
            k = KeepAlive(cl.t.ns["cl"], src, VIP6 if v6 else VIP4, HTTP_PORT, timeout=8.0)
            status, body = k.get(f"/first{i}")
            assert status == 200, body
            held.append([k, backend_of(body)])
        yield held
    finally:
        for k, _ in held:
            k.close()


def survive(conns, event, capsys):
    """One request on every held connection: how many still reach their first
    backend. Prints and records the share."""
    ok, lost = 0, []
    for i, (k, be) in enumerate(conns):
        try:
            status, body = k.get(f"/after-{event.replace(' ', '-')}-{i}")
            if status == 200 and backend_of(body) == be:
                ok += 1
            else:
                lost.append((i, be, status, body.strip()))
        except Exception as e:  # a reset or a timeout: the connection is lost
            lost.append((i, be, type(e).__name__, str(e)))
    SURVIVAL.append((event, ok, len(conns)))
    with capsys.disabled():
        print(f"\n[cluster] established TCP connections surviving {event}: "
              f"{ok}/{len(conns)} ({100.0 * ok / len(conns):.1f}%)", flush=True)
    if os.environ.get("SLUICE_E2E_LOGDIR"):
        os.makedirs(os.environ["SLUICE_E2E_LOGDIR"], exist_ok=True)
        with open(os.path.join(os.environ["SLUICE_E2E_LOGDIR"], "cluster-survival.json"),
                  "w") as f:
            json.dump([{"event": e, "survived": s, "total": t} for e, s, t in SURVIVAL], f)
    return ok, lost


class Busy:
    """Requests on every held connection, round after round, in a thread, while
    the test breaks something: the data keeps flowing through the failover.
    A connection that fails once is lost (and left alone after)."""

    def __init__(self, conns):
        self.conns = conns
        self.stop = threading.Event()
        self.lost = {}
        self.requests = 0
        self.th = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self.stop.is_set():
            for i, (k, be) in enumerate(self.conns):
                if i in self.lost or self.stop.is_set():
                    continue
                try:
                    status, body = k.get(f"/busy-{i}")
                    if status != 200 or backend_of(body) != be:
                        self.lost[i] = (status, body.strip())
                    self.requests += 1
                except Exception as e:
                    self.lost[i] = (type(e).__name__, str(e))

    def __enter__(self):
        self.th.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.th.join(30)
        return False


def node_view(d):
    r = d.get("/v1/node")
    assert r.status == 200, r
    return r.json


def maintenance(d, on):
    r = d.request("PUT", "/v1/node", body={"maintenance": on})
    assert r.status == 200, r
    return r.json


def tcp_new_flows(c, i):
    """New TCP flows node @i's dataplane took, over both TCP VIPs."""
    r = c.sluiced[i].get("/v1/stats")
    assert r.status == 200, r
    return sum(b["new_flows"] for v in r.json["vips"] if v["protocol"] == "tcp"
               for b in v["backends"])


def test_router_learns_vips_from_every_node(cl):
    took = cl.wait_nexthops(range(N_NODES), timeout=20)
    for d in cl.sluiced:
        v = node_view(d)
        assert v["announce"]["in_sync"] and v["announce"]["error"] is None, v
        assert {p["prefix"]: p["announce"] for p in v["announce"]["prefixes"]} == \
            {f"{VIP4}/32": True, f"{VIP6}/128": True}, v
        m = d.get("/metrics").raw
        assert f'sluice_vip_announced{{prefix="{VIP4}/32"}} 1' in m, m
        assert "sluice_bgp_speaker_in_sync 1" in m and "sluice_node_maintenance 0" in m
    # What the router's BIRD says, next to what its kernel does.
    routes = cl.birdc("router", f"show route for {VIP4}")
    assert routes.count("AS65001") == N_NODES, routes
    print(f"ECMP route through {N_NODES} nodes after {took:.2f}s")


def test_every_node_runs_the_same_tables(cl):
    """Same state, same seed, same backend order rule: the same Maglev input
    on every node (the running configs are equal), and when sluice-dp reports
    table digests, the same digests."""
    running, digests = [], []
    for n in cl.t.lbs:
        cfg = cl.t.ctl(topo.CTL_GET_CONFIG, node=n.i)
        assert cfg.get("ok"), cfg
        running.append(json.dumps(cfg["config"], sort_keys=True))
        st = cl.t.ctl(topo.CTL_STATUS, node=n.i)
        tables = st.get("tables")  # per-VIP digests, once sluice-dp reports them
        if tables is not None:
            assert len(tables) == 4 and all(t.get("digest") for t in tables), tables
        digests.append(json.dumps(tables, sort_keys=True))
    assert all(r == running[0] for r in running), "nodes run different configs"
    assert all(x == digests[0] for x in digests), digests


def test_flows_spread_and_every_node_agrees(cl, conns, capsys):
    # Established connections landed on every node (the router's L4 hash).
    per_node = [tcp_new_flows(cl, i) for i in range(N_NODES)]
    assert all(n > 0 for n in per_node), per_node
    assert sum(per_node) >= len(conns), per_node
    print(f"TCP flows per node: {per_node}")
    # Each UDP flow asked through each node alone: the same backend every time.
    flows = [(CLIENT4[i % 4], 41000 + i) for i in range(24)] + \
            [(CLIENT6[i % 4], 42000 + i) for i in range(8)]
    seen = {}
    for alone in range(N_NODES):
        for d in cl.sluiced:
            maintenance(d, d.node != f"node{alone}")
        cl.wait_nexthops([alone])
        for src, sport in flows:
            data, _ = udp_request(cl.t.ns["cl"], src, VIP6 if ":" in src else VIP4,
                                  UDP_PORT, f"q-{uuid.uuid4().hex[:6]}".encode(),
                                  sport=sport, timeout=3.0)
            seen.setdefault((src, sport), []).append(backend_of(data.decode()))
        ok, lost = survive(conns, f"all traffic on node{alone} alone", capsys)
        assert ok == len(conns), lost
    for d in cl.sluiced:
        maintenance(d, False)
    cl.wait_nexthops(range(N_NODES))
    differ = {f: b for f, b in seen.items() if len(set(b)) != 1}
    assert not differ, f"nodes disagree on these flows (backend via node0, 1, 2): {differ}"
    assert len({b[0] for b in seen.values()}) == 3, seen  # and the flows use every backend
    ok, lost = survive(conns, "traffic spread again", capsys)
    assert ok == len(conns), lost


def test_drain_by_api_and_file(cl, conns, capsys):
    d1 = cl.sluiced[1]
    v = maintenance(d1, True)
    assert v["maintenance"] is True and v["changed"] is True
    took = cl.wait_nexthops([0, 2])
    v = node_view(d1)
    assert all(not p["announce"] and "node in maintenance" in p["reasons"]
               for p in v["announce"]["prefixes"]), v
    ok, lost = survive(conns, "node1 drained (API)", capsys)
    assert ok == len(conns), lost
    print(f"drain by API: route withdrawn at the router after {took:.2f}s")
    # The flag outlives a restart of sluiced (STATE_DIR/node.json).
    d1.stop()
    d1.start()
    assert node_view(d1)["maintenance_api"] is True
    time.sleep(1.0)
    assert cl.nexthops(4) == cl.node_addrs([0, 2])
    maintenance(d1, False)
    cl.wait_nexthops(range(N_NODES))
    # The maintenance file, for automation.
    f = cl.maint_files[2]
    open(f, "w").close()
    try:
        took = cl.wait_nexthops([0, 1])
        v = node_view(cl.sluiced[2])
        assert v["maintenance"] is True and v["maintenance_file"]["present"] is True, v
        ok, lost = survive(conns, "node2 drained (file)", capsys)
        assert ok == len(conns), lost
    finally:
        os.unlink(f)
    cl.wait_nexthops(range(N_NODES))
    # Bad requests name the field; the node's state does not move.
    r = d1.request("PUT", "/v1/node", body={"maintenance": "yes"})
    assert r.status == 400 and r.error()["field"] == "maintenance", r
    r = d1.request("PATCH", "/v1/node", body={"maintenace": True})
    assert r.status == 400 and r.error()["code"] == "unknown_field", r
    assert node_view(d1)["maintenance"] is False


def test_dataplane_death_withdraws_and_flows_survive(cl, conns, capsys):
    n = cl.t.lbs[1]
    with Busy(conns) as busy:
        time.sleep(0.5)
        cl.t.stop_lb(1, sig=signal.SIGKILL)
        took = cl.wait_nexthops([0, 2])
        time.sleep(1.0)
    assert not busy.lost, busy.lost
    assert busy.requests > len(conns), busy.requests
    print(f"{busy.requests} requests on the {len(conns)} connections across the failover")
    v = node_view(cl.sluiced[1])
    assert all("dataplane down" in p["reasons"] for p in v["announce"]["prefixes"]), v
    ok, lost = survive(conns, "node1's dataplane killed", capsys)
    assert ok == len(conns), lost
    print(f"dataplane killed: route withdrawn at the router after {took:.2f}s")
    # Back: sluiced re-pushes the state, then announces again.
    topo.sh("ip link set lb0 xdp off", ns=n.ns)
    cl.t.start_lb(topo.make_config("encap"), node=1)
    cl.wait_nexthops(range(N_NODES), timeout=20)
    ok, lost = survive(conns, "node1 back", capsys)
    assert ok == len(conns), lost


def test_partition_from_a_backend_withdraws_that_node_alone(cl):
    """min_healthy 3 of 3: a node that cannot reach b1 (a blackhole route in
    its namespace; its forwarding does not use the kernel's routes) must stop
    announcing within one health interval of seeing b1 down; the others stay."""
    cl.wait_applied(cl.publish(state(min_count=3)))  # one source: the store
    n0, d0 = cl.t.lbs[0], cl.sluiced[0]
    b1_4, b1_6, _ = topo.BACKENDS["b1"]
    topo.sh(f"ip route add blackhole {b1_4}/32; ip -6 route add blackhole {b1_6}/128", ns=n0.ns)
    try:
        key = f"tcp/{VIP4}/{HTTP_PORT}"
        deadline = time.monotonic() + 15
        while d0.health()[(key, b1_4)]["health"] != "down":
            assert time.monotonic() < deadline, d0.health()[(key, b1_4)]
            time.sleep(0.02)
        t_down = time.monotonic()
        took = cl.wait_nexthops([1, 2], timeout=10)
        # The node's own record: the announcement changed within one interval
        # of the transition (sluiced's clock on both).
        v = node_view(d0)
        h = d0.health()[(key, b1_4)]
        changed = datetime.datetime.fromisoformat(v["announce"]["changed_at"].rstrip("Z"))
        since = datetime.datetime.fromisoformat(h["since"].rstrip("Z"))
        lag_ms = (changed - since).total_seconds() * 1000
        print(f"health down -> withdrawn by sluiced {lag_ms:.0f} ms, seen at the router "
              f"{took * 1000:.0f} ms after the test saw the transition")
        assert 0 <= lag_ms <= INTERVAL, (lag_ms, v, h)
        assert any("2 of 3 enabled backends healthy" in r
                   for p in v["announce"]["prefixes"] for r in p["reasons"]), v
        assert time.monotonic() - t_down < 10
    finally:
        topo.sh(f"ip route del blackhole {b1_4}/32; ip -6 route del blackhole {b1_6}/128",
                ns=n0.ns, check=False)
    cl.wait_nexthops(range(N_NODES), timeout=15)
    cl.wait_applied(cl.publish(state()))


def test_bad_config_refused_everywhere_old_one_kept(cl, conns, capsys):
    before = {d.node: d.version() for d in cl.sluiced}
    bad = state()
    bad["vips"][0]["backends"][0]["weight"] = 70000
    res = apply_all(cl, bad)
    for node, r in res.items():
        assert r.status == 400, (node, r)
        assert r.error()["field"].endswith(".weight"), r
    # One the validator accepts and the dataplanes refuse (flow_capacity
    # cannot change while running): 409 everywhere, nothing committed.
    refused = state()
    refused["flow_capacity"] = 131072
    res = apply_all(cl, refused)
    for node, r in res.items():
        assert r.status == 409 and r.error()["code"] == "dataplane_refused", (node, r)
    # The same through the store: every node refuses and says so.
    rev = cl.publish(bad)
    views = cl.wait_refused(rev)
    assert all(".weight" in v["refused"]["error"] for v in views.values()), views
    for d in cl.sluiced:
        assert "sluice_store_refused 1" in d.get("/metrics").raw
    assert {d.node: d.version() for d in cl.sluiced} == before
    assert cl.nexthops(4) == cl.node_addrs(range(N_NODES))
    for d in cl.sluiced:
        assert node_view(d)["announce"]["announced"] == 2
    ok, lost = survive(conns, "refused config", capsys)
    assert ok == len(conns), lost
    # The next good revision is applied everywhere and clears the refusal.
    views = cl.wait_applied(cl.publish(state()))
    assert all(v["refused"] is None for v in views.values()), views


def test_lbadm_drives_the_cluster(cl, conns, capsys):
    """lbadm: node status/drain/undrain on one node, cluster compare and
    cluster apply over the three nodes' sockets with a result per node."""
    if not os.path.exists(lbadm_binary()):
        pytest.fail(f"lbadm not found ({lbadm_binary()})")
    socks = ",".join(d.sock for d in cl.sluiced)
    one = Lbadm(cl.sluiced[2].sock)

    cmp_ = one.json("cluster", "compare", "--nodes", socks)
    assert cmp_["agree"] is True, cmp_
    assert len({n["state_digest"] for n in cmp_["nodes"]}) == 1
    assert all(n["current"] and n["announced"] == "2" for n in cmp_["nodes"]), cmp_
    text = one.run("cluster", "compare", "--nodes", socks).stdout
    assert "3 nodes agree" in text, text

    st = one.json("node", "status")
    assert st["node"] == "node2" and st["maintenance"] is False
    out = one.run("node", "drain").stdout
    assert "in maintenance" in out, out
    cl.wait_nexthops([0, 1])
    assert "node in maintenance" in one.run("node", "status").stdout
    ok, lost = survive(conns, "node2 drained (lbadm)", capsys)
    assert ok == len(conns), lost
    one.run("node", "undrain")
    cl.wait_nexthops(range(N_NODES))

    # The state the nodes run, applied again everywhere: unchanged on each.
    path = os.path.join(cl.t.workdir, "cluster-state.json")
    with open(path, "w") as f:
        json.dump(state(), f)
    res = one.json("cluster", "apply", "--nodes", socks, "-f", path)
    assert res["ok"] is True and [n["result"] for n in res["nodes"]] == ["unchanged"] * 3, res
    # A bad one: refused by each node with the field, exit 1, nothing changes.
    bad = state()
    bad["vips"][1]["backends"][2]["weight"] = 70000
    with open(path, "w") as f:
        json.dump(bad, f)
    p = one.run("-j", "cluster", "apply", "--nodes", socks, "-f", path, want=1)
    res = json.loads(p.stdout)
    assert [n["result"] for n in res["nodes"]] == ["refused"] * 3, res
    assert all(".weight" in n["detail"] for n in res["nodes"]), res
    # One node unreachable: the others still get the change; exit 3.
    with open(path, "w") as f:
        json.dump(state(), f)
    p = one.run("-j", "cluster", "apply", "--nodes", socks + ",/nonexistent/sluiced.sock",
                "-f", path, want=3)
    res = json.loads(p.stdout)
    assert [n["result"] for n in res["nodes"]] == ["unchanged"] * 3 + ["unreachable"], res
    # Nodes that differ are told apart: one node with another weight.
    d0 = cl.sluiced[0]
    diff = state()
    diff["vips"][0]["backends"][0]["weight"] = 150
    assert d0.put_state(diff).status == 200
    try:
        p = one.run("-j", "cluster", "compare", "--nodes", socks, want=1)
        cmp_ = json.loads(p.stdout)
        assert cmp_["agree"] is False, cmp_
        assert any("state differs" in x for x in cmp_["differences"]), cmp_
    finally:
        assert d0.put_state(state()).status == 200
    assert one.json("cluster", "compare", "--nodes", socks)["agree"] is True
