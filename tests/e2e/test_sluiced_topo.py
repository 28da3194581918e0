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
stack (the XDP front program passes non-VIP traffic to it).
"""

import os
import sys
import time
import uuid

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import topo  # noqa: E402
from conftest import artifacts  # noqa: E402
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
                    extra=["--dp-config", os.path.join(t.workdir, "dp-effective.json")])
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


def wait_for(pred, timeout, step=0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        v = pred()
        if v:
            return v
        time.sleep(step)
    return pred()


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
