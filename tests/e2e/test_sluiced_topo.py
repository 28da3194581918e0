# SPDX-License-Identifier: BSD-3-Clause
"""
sluiced driving a real sluice-dp in the namespace topology (topo.py): pool
changes that real traffic follows, health checks against the backends' real
nginx (a stopped server leaves the pool within fall x interval plus a
margin and its flows move; started again, it returns after rise checks with
its weight ramping), and the reconcile rules: a restarted sluice-dp gets the
state again, a restarted sluiced disturbs nothing, a dead sluiced leaves
sluice-dp forwarding.

The API is driven with Python's http.client over the Unix socket; sluiced
runs in the LB's namespace, so it checks backends over the LB's own kernel
stack (the XDP front program passes non-VIP traffic to it). It manages the
XDP filter of the LB's interface (the maps sluice-dp plugs in, pinned on the
topology's own bpffs): a source denied through the API is dropped while the
others are served. A first start next to the forwarding sluice-dp imports
its config; sluice-dpctl stats prints what /v1/stats serves.
"""

import json
import os
import shutil
import sys
import time
import uuid

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import topo  # noqa: E402
from conftest import artifacts, wait_for  # noqa: E402
from netclient import backend_of, curl, udp_request  # noqa: E402
from sluiced import Sluiced, sluiced_binary  # noqa: E402
from topo import BACKENDS, CLIENT4, HTTP_PORT, UDP_PORT, VIP4  # noqa: E402

TCP_VIP = f"tcp/{VIP4}/{HTTP_PORT}"
UDP_VIP = f"udp/{VIP4}/{UDP_PORT}"
INTERVAL, TIMEOUT, RISE, FALL, SLOW = 300, 250, 2, 2, 3
CHECK = {"type": "http", "port": HTTP_PORT, "path": "/", "interval_ms": INTERVAL,
         "timeout_ms": TIMEOUT, "rise": RISE, "fall": FALL}


def desired(members=("b1", "b2", "b3"), checks=True):
    """The base config's globals with two IPv4 VIPs (TCP 80, UDP 9000), health
    checked over HTTP on port 80, slow start on TCP."""
    cfg = topo.make_config("encap", members=members)
    cfg["vips"] = [v for v in cfg["vips"] if v["address"] == VIP4]
    for v in cfg["vips"]:
        if checks:
            v["health_check"] = dict(CHECK)
        if v["protocol"] == "tcp" and checks:
            v["slow_start_s"] = SLOW
    return cfg


@pytest.fixture(scope="module")
def sys_():
    if os.geteuid() != 0:
        pytest.skip("needs root (namespaces, XDP, hugepages)")
    dp, decap, front = artifacts()
    for what, path in (("sluice-dp", dp), ("decap XDP object", decap),
                       ("sluiced", sluiced_binary())):
        if not os.path.exists(path):
            pytest.fail(f"{what} not found ({path})")
    t = topo.Topology(sluice_dp=dp, decap_obj=decap, xdp_front_obj=front)
    d = None
    try:
        t.up()
        t.start_lb(topo.make_config("encap"))
        d = Sluiced(t.workdir, t.ctl_sock, ns=t.ns["lb"],
                    extra=["--dp-config", os.path.join(t.workdir, "dp-effective.json"),
                           "--filter-iface", "lb0", "--filter-pin-root", t.bpffs])
        d.start()
        r = d.put_state(desired(checks=False))
        assert r.status == 200, r
        yield t, d
    finally:
        if d is not None:
            if os.environ.get("SLUICE_E2E_LOGDIR"):
                os.makedirs(os.environ["SLUICE_E2E_LOGDIR"], exist_ok=True)
                with open(os.path.join(os.environ["SLUICE_E2E_LOGDIR"], "sluiced.log"),
                          "w") as f:
                    f.write(d.log())
            d.stop()
        t.down()


def answered_by(t, n_per_client=6):
    """Backends answering HTTP through the VIP, from every client address."""
    seen = {}
    for src in CLIENT4:
        for i in range(n_per_client):
            rc, code, body = curl(t.ns["cl"], f"http://{VIP4}/s{i}", src)
            assert rc == 0 and code == 200, f"curl from {src}: exit {rc}, HTTP {code}, {body!r}"
            b = backend_of(body)
            seen[b] = seen.get(b, 0) + 1
    return seen


def dp_backends(t, proto="tcp"):
    """{backend name: state} of VIP4's @proto VIP in what sluice-dp runs."""
    by_addr = {v4: n for n, (v4, _, _) in BACKENDS.items()}
    for v in t.ctl(topo.CTL_GET_CONFIG)["config"]["vips"]:
        if v["address"] == VIP4 and v["protocol"] == proto:
            return {by_addr[b["address"]]: (b["state"], b["weight"]) for b in v["backends"]}
    return {}


def restart_nginx(t, name, stop=True):
    """Stop (or start again) backend @name's nginx, by the pid we started."""
    for i, (pname, p) in enumerate(t.procs):
        if pname == f"nginx-{name}":
            if stop:
                topo.kill_pid(p, timeout=5)
                return
    d = os.path.join(t.workdir, name)
    t.spawn(f"nginx-{name}", t.ns[name], ["nginx", "-e", os.path.join(d, "nginx-error.log"),
                                           "-p", d, "-c", os.path.join(d, "nginx.conf")],
            log=os.path.join(d, "nginx.out"))


def test_pool_change_traffic_follows(sys_):
    t, d = sys_
    assert d.put_state(desired(members=("b1", "b2"), checks=False)).status == 200
    seen = answered_by(t)
    assert set(seen) == {"b1", "b2"}, seen
    # One backend in, one out, through the sub-resources.
    r = d.write("PUT", f"/v1/vips/{TCP_VIP}/backends/{BACKENDS['b3'][0]}", {"weight": 100})
    assert r.status == 201, r
    r = d.write("DELETE", f"/v1/vips/{TCP_VIP}/backends/{BACKENDS['b1'][0]}")
    assert r.status == 200, r
    assert set(dp_backends(t)) == {"b2", "b3"}
    seen = answered_by(t)
    assert set(seen) == {"b2", "b3"}, seen
    # Draining: no new connections.
    r = d.write("PATCH", f"/v1/vips/{TCP_VIP}/backends/{BACKENDS['b2'][0]}",
                {"state": "draining"})
    assert r.status == 200
    assert set(answered_by(t, 3)) == {"b3"}


def udp_flow_to(t, backend, tries=200):
    """A client (address, source port) whose UDP flow the VIP sends to @backend."""
    for i in range(tries):
        src, sport = CLIENT4[i % len(CLIENT4)], 41000 + i
        data, _ = udp_request(t.ns["cl"], src, VIP4, UDP_PORT, b"probe", sport=sport)
        if backend_of(data.decode()) == backend:
            return src, sport
    pytest.fail(f"no UDP flow landed on {backend} in {tries} tries")


def udp_backend(t, flow):
    data, _ = udp_request(t.ns["cl"], flow[0], VIP4, UDP_PORT,
                          f"x-{uuid.uuid4().hex[:6]}".encode(), sport=flow[1])
    return backend_of(data.decode())


def test_health_check_down_moves_flows_and_up_ramps(sys_):
    t, d = sys_
    assert d.put_state(desired()).status == 200
    b3 = BACKENDS["b3"][0]
    assert wait_for(lambda: all(h["health"] == "up" for h in d.health().values()), 5), \
        d.health()
    flow = udp_flow_to(t, "b3")
    restart_nginx(t, "b3", stop=True)
    t0 = time.monotonic()
    assert wait_for(lambda: d.health()[(TCP_VIP, b3)]["health"] == "down", 10), \
        d.health()[(TCP_VIP, b3)]
    took = time.monotonic() - t0
    # fall x interval, plus the last check's timeout, plus a tolerance.
    assert took <= FALL * INTERVAL / 1000 + TIMEOUT / 1000 + 1.0, took
    assert wait_for(lambda: dp_backends(t)["b3"][0] == "down" and
                    dp_backends(t, "udp")["b3"][0] == "down", 2), dp_backends(t)
    # Its flows move: the same UDP flow is answered by another backend (b3's
    # UDP service still runs: only the dataplane moved it), and new HTTP
    # connections avoid it.
    assert udp_backend(t, flow) in ("b1", "b2")
    assert "b3" not in answered_by(t, 3)
    m = d.get("/metrics").raw
    assert f'sluice_backend_up{{vip="{TCP_VIP}",backend="{b3}"}} 0' in m

    restart_nginx(t, "b3", stop=False)
    t1 = time.monotonic()
    assert wait_for(lambda: d.health()[(TCP_VIP, b3)]["health"] == "up", 10)
    took = time.monotonic() - t1
    assert took >= (RISE - 1) * INTERVAL / 1000 * 0.5, took  # more than one check
    # The weight ramps from 1 to 100 over slow_start_s, never backwards.
    weights = []
    deadline = time.monotonic() + SLOW + 3
    while time.monotonic() < deadline:
        vip = d.get(f"/v1/vips/{TCP_VIP}").json["vip"]
        w = next(b["effective_weight"] for b in vip["backends"] if b["address"] == b3)
        weights.append(w)
        if w == 100:
            break
        time.sleep(0.2)
    assert weights[-1] == 100, weights
    assert weights == sorted(weights), weights
    assert any(1 <= w < 100 for w in weights), weights
    # The reconciler pushes ramp steps within one period (250 ms).
    assert wait_for(lambda: dp_backends(t)["b3"] == ("active", 100), 2), dp_backends(t)
    assert udp_backend(t, flow) in ("b1", "b2", "b3")


def test_dataplane_restart_gets_state(sys_):
    t, d = sys_
    assert d.put_state(desired(members=("b1", "b3"), checks=False)).status == 200
    want = dp_backends(t)
    t.stop_lb()
    assert wait_for(lambda: d.get("/v1/status").json["dataplane"]["up"] is False, 3)
    # Restarted with its original file (three backends, two more VIPs).
    t.start_lb(topo.make_config("encap"))
    t0 = time.monotonic()
    assert wait_for(lambda: dp_backends(t) == want, 5), dp_backends(t)
    assert time.monotonic() - t0 <= 1.0 + 0.5  # within a second, plus a tolerance
    assert len(t.ctl(topo.CTL_GET_CONFIG)["config"]["vips"]) == 2
    assert set(answered_by(t, 2)) <= {"b1", "b3"}


def test_sluiced_restart_and_death_leave_forwarding_alone(sys_):
    t, d = sys_
    assert d.put_state(desired()).status == 200
    assert wait_for(lambda: d.get("/v1/status").json["dataplane"]["current"], 3)
    gen = t.generation()
    d.stop()
    d.start()
    time.sleep(1.5)  # several reconcile periods and first checks
    assert t.generation() == gen, "a sluiced restart pushed a new generation"
    assert d.get("/v1/status").json["dataplane"]["current"] is True
    d.kill9()
    seen = answered_by(t, 3)
    assert set(seen) <= {"b1", "b2", "b3"} and seen
    assert t.generation() == gen
    d.start()


def test_first_start_imports_running_config(sys_):
    """A new state directory next to a forwarding sluice-dp: its config
    becomes version 1 and nothing is pushed (same generation, same flows)."""
    t, d = sys_
    d.stop()
    shutil.rmtree(d.state_dir)
    r = t.apply(topo.make_config("encap"))
    assert r.get("ok"), r
    gen = t.generation()
    seen = answered_by(t, 2)
    d.start()
    time.sleep(1.0)  # several reconcile periods
    assert t.generation() == gen, "sluiced pushed over the running config"
    assert d.version() == 1
    assert d.get("/v1/history").json["history"][0]["who"] == "import:sluice-dp"
    running = {(v["protocol"], v["address"], v["port"]): [b["address"] for b in v["backends"]]
               for v in t.ctl(topo.CTL_GET_CONFIG)["config"]["vips"]}
    state = {(v["protocol"], v["address"], v["port"]): [b["address"] for b in v["backends"]]
             for v in d.state()["vips"]}
    assert state == running and running
    assert d.get("/v1/status").json["dataplane"]["current"] is True
    assert set(seen) | set(answered_by(t, 2)) <= {"b1", "b2", "b3"}


def dpctl():
    build = os.environ.get("SLUICE_BUILD", "build")
    return os.environ.get("SLUICE_DPCTL", os.path.join(build, "tools", "sluice-dpctl"))


def test_dpctl_stats_matches_the_api(sys_):
    t, d = sys_
    assert d.put_state(desired(checks=False)).status == 200
    answered_by(t, 2)

    def vip_packets(vips):
        return {(v["protocol"], v["address"], v["port"]): v["packets"] for v in vips}

    before = vip_packets(d.get("/v1/stats").json["vips"])
    p = topo.run([dpctl(), "-s", t.ctl_sock, "stats"], ns=t.ns["lb"])
    out = json.loads(p.stdout)
    after = vip_packets(d.get("/v1/stats").json["vips"])
    assert out["ok"] is True and out["workers"] and "no_backend" in out["drops"], out
    mid = vip_packets(out["vips"])
    assert mid.keys() == before.keys() == after.keys() and mid
    for k in mid:
        assert before[k] <= mid[k] <= after[k], (k, before[k], mid[k], after[k])
    assert mid[("tcp", VIP4, HTTP_PORT)] > 0


def test_filter_denies_a_source_through_the_api(sys_):
    """A deny rule PUT through the API drops a real client's connections at
    the XDP filter while the other clients are served; clearing it lets the
    client back in."""
    t, d = sys_
    assert d.put_state(desired(checks=False)).status == 200
    denied, other = CLIENT4[0], CLIENT4[1]
    rc, code, _ = curl(t.ns["cl"], f"http://{VIP4}/before", denied)
    assert rc == 0 and code == 200
    r = d.write("PUT", "/v1/filter", {"deny": [f"{denied}/32"]})
    assert r.status == 200 and "filter_pending" not in r.json, r
    st = d.get("/v1/filter").json["status"]
    assert st["interfaces"] == [{"interface": "lb0", "in_force": True}], st
    before = d.get("/v1/filter/stats").json["interfaces"][0]["counters"]["drop_deny"]
    for i in range(2):
        rc, code, _ = curl(t.ns["cl"], f"http://{VIP4}/denied-{i}", denied, timeout=2)
        assert rc != 0 and code == 0, "a denied source was answered"
    for i in range(4):
        rc, code, _ = curl(t.ns["cl"], f"http://{VIP4}/other-{i}", other)
        assert rc == 0 and code == 200, (rc, code)
    s = d.get("/v1/filter/stats").json["interfaces"][0]
    assert s["counters"]["drop_deny"]["packets"] > before["packets"], s["counters"]
    assert s["hits"]["deny"][0]["hits"] > 0, s["hits"]
    drops = d.get("/v1/filter/drops?limit=50").json["drops"]
    assert any(x["source"] == denied and x["reason"] == "drop_deny" for x in drops), drops
    m = d.get("/metrics").raw
    assert 'sluice_filter_drops_total{reason="deny"} 0' not in m and \
        'sluice_filter_drops_total{reason="deny"}' in m
    r = d.write("PUT", "/v1/filter", {})
    assert r.status == 200, r
    rc, code, _ = curl(t.ns["cl"], f"http://{VIP4}/after", denied)
    assert rc == 0 and code == 200


def test_table_digests_are_the_dataplanes(sys_):
    """What sluiced reports per VIP (/v1/status, /v1/vips, sluice_vip_table_info)
    is exactly what sluice-dp's STATUS "tables" says: the same digests once
    sluice-dp reports them, none while it does not."""
    t, d = sys_
    assert d.put_state(desired(checks=False)).status == 200
    assert wait_for(lambda: d.get("/v1/status").json["dataplane"]["current"], 3)
    time.sleep(0.6)  # a reconcile period or two: STATUS read again

    def dp_tables():
        return {f'{x["protocol"]}/{x["address"]}/{x["port"]}': x["digest"]
                for x in t.status().get("tables", [])}

    want = dp_tables()
    st = d.get("/v1/status").json["dataplane"]["tables"]
    vips = {v["vip"]: v["table_digest"] for v in d.get("/v1/vips").json["vips"]
            if "table_digest" in v}
    m = {}
    for line in d.get("/metrics").raw.splitlines():
        if line.startswith("sluice_vip_table_info{"):
            vip = line.split('vip="')[1].split('"')[0]
            m[vip] = line.split('digest="')[1].split('"')[0]
    assert st == want and vips == want and m == want, (want, st, vips, m)
    print(f"digests from sluice-dp: {want or 'none (this sluice-dp reports no tables)'}")
