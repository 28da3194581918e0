# SPDX-License-Identifier: BSD-3-Clause
"""
lbadm drives real traffic: sluiced next to sluice-dp in the LB's namespace,
pools built and changed only with lbadm (apply, vip add, backend add,
weight, drain, enable, rollback), real HTTP through the VIP from the client
namespace after each step; the answers and the dataplane's per-backend
new-flow counters (as lbadm -j list reports them) must follow.
"""

import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import topo  # noqa: E402
from conftest import artifacts  # noqa: E402
from lbadm_run import Lbadm, base_yaml, lbadm_binary  # noqa: E402
from netclient import KeepAlive, backend_of  # noqa: E402
from sluiced import Sluiced, sluiced_binary  # noqa: E402
from topo import BACKENDS, CLIENT4, HTTP_PORT, VIP4  # noqa: E402

SVC = f"{VIP4}:{HTTP_PORT}"
VIPID = f"tcp/{VIP4}/{HTTP_PORT}"


@pytest.fixture(scope="module")
def lbsys():
    if os.geteuid() != 0:
        pytest.skip("needs root (namespaces, XDP, hugepages)")
    dp, decap, front = artifacts()
    for what, path in (("sluice-dp", dp), ("decap XDP object", decap),
                       ("sluiced", sluiced_binary()), ("lbadm", lbadm_binary())):
        if not os.path.exists(path):
            pytest.fail(f"{what} not found ({path})")
    t = topo.Topology(sluice_dp=dp, decap_obj=decap, xdp_front_obj=front)
    d = None
    try:
        t.up()
        t.start_lb(topo.make_config("encap"))
        d = Sluiced(t.workdir, t.ctl_sock, ns=t.ns["lb"], tag="lbadm-sld")
        d.start()
        yield t, d, Lbadm(d.sock)
    finally:
        if d is not None:
            if os.environ.get("SLUICE_E2E_LOGDIR"):
                os.makedirs(os.environ["SLUICE_E2E_LOGDIR"], exist_ok=True)
                with open(os.path.join(os.environ["SLUICE_E2E_LOGDIR"],
                                       "sluiced-lbadm.log"), "w") as f:
                    f.write(d.log())
            d.stop()
        t.down()


def requests(t, n, tag):
    """@n HTTP requests through the VIP, each on a new connection, spread over
    the client addresses; {backend: answers}. Fails on any unanswered request."""
    counts = {b: 0 for b in BACKENDS}
    per = n // len(CLIENT4)
    for src in CLIENT4:
        urls = [f"http://{VIP4}/{tag}{i}" for i in range(per)]
        p = topo.run(["curl", "-sS", "--max-time", "10", "--interface", src, "-H",
                      "Connection: close", *urls], ns=t.ns["cl"], check=False, timeout=120)
        bodies = [x for x in p.stdout.splitlines() if x.strip()]
        assert p.returncode == 0 and len(bodies) == per, \
            f"curl from {src}: exit {p.returncode}, {len(bodies)}/{per} answers: {p.stderr}"
        for body in bodies:
            counts[backend_of(body)] += 1
    return counts


def follows(t, lbadm, n, tag):
    """Send @n requests; return the answers per backend, after checking that
    the dataplane's new-flow counters (via lbadm) moved by exactly as much."""
    before = lbadm.new_flows(VIPID)
    got = requests(t, n, tag)
    after = lbadm.new_flows(VIPID)
    delta = {b: after.get(b, 0) - before.get(b, 0) for b in BACKENDS}
    assert delta == got, f"lbadm list new_flows moved {delta}, answers {got}"
    print(f"{tag}: {got}")
    return got


def share(counts, b):
    return 100.0 * counts[b] / max(1, sum(counts.values()))


def test_lbadm_changes_and_traffic_follows(lbsys, tmp_path):
    t, d, lbadm = lbsys
    base = tmp_path / "base.yaml"
    base.write_text(base_yaml())
    out = lbadm.run("apply", "-f", base).stdout
    assert "nexthop_mac" in out, out
    lbadm.run("vip", "add", "-t", SVC)
    for name, w in (("b1", 100), ("b2", 100), ("b3", 200)):
        lbadm.run("backend", "add", "-t", SVC, "-r", BACKENDS[name][0], "-w", w)
    pooled = d.version()
    st = lbadm.json("status")
    assert st["dataplane"]["up"] and st["dataplane"]["current"], st

    # 1. weights 1:1:2: shares follow within a tolerance (a few hundred flows)
    got = follows(t, lbadm, 240, "a")
    for b, want in (("b1", 25.0), ("b2", 25.0), ("b3", 50.0)):
        assert abs(share(got, b) - want) <= 15.0, got

    # 2. weight 0 on b3: no new flows to it
    lbadm.run("backend", "weight", "-t", SVC, "-r", BACKENDS["b3"][0], "0")
    got = follows(t, lbadm, 80, "w")
    assert got["b3"] == 0 and got["b1"] > 0 and got["b2"] > 0, got

    # 3. drain b1 with a connection held open to it: it keeps that connection,
    #    and every new one goes to b2.
    held = None
    for i in range(60):
        c = KeepAlive(t.ns["cl"], CLIENT4[i % len(CLIENT4)], VIP4)
        if backend_of(c.get("/hold")[1]) == "b1":
            held = c
            break
        c.close()
    assert held is not None, "no connection landed on b1"
    try:
        lbadm.run("b", "dr", "-t", SVC, "-r", BACKENDS["b1"][0])
        got = follows(t, lbadm, 40, "d")
        assert got == {"b1": 0, "b2": 40, "b3": 0}, got
        kept = {backend_of(held.get(f"/held{i}")[1]) for i in range(5)}
        assert kept == {"b1"}, kept
    finally:
        held.close()
    row = [x for x in lbadm.run("list").stdout.splitlines() if BACKENDS["b1"][0] + " " in x]
    assert row and "draining" in row[0], row

    # 4. rollback to the pool as first built: all three again
    lbadm.run("rollback", pooled)
    got = follows(t, lbadm, 120, "r")
    assert all(got[b] > 0 for b in BACKENDS), got

    # 5. declarative: a file without b1 (and b2 at weight 300)
    pools = tmp_path / "pools.yaml"
    pools.write_text(base_yaml().replace("vips: []", f"""\
vips:
  - address: {VIP4}
    protocol: tcp
    port: {HTTP_PORT}
    backends:
      - {{address: {BACKENDS['b2'][0]}, weight: 300}}
      - {{address: {BACKENDS['b3'][0]}, weight: 100}}
"""))
    dry = lbadm.run("apply", "-f", pools, "--dry-run").stdout
    assert f"- vips[{VIPID}].backends[{BACKENDS['b1'][0]}]" in dry, dry
    assert d.version() == pooled + 3  # weight, drain, rollback; the dry run changed nothing
    lbadm.run("apply", "-f", pools)
    got = follows(t, lbadm, 120, "f")
    assert got["b1"] == 0 and got["b2"] > got["b3"] > 0, got

    # the dataplane's own view through lbadm
    s = lbadm.run("stats").stdout
    assert "Workers" in s and VIP4 in s, s
    assert lbadm.json("stats")["generation"] == t.generation()
