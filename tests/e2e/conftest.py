# SPDX-License-Identifier: BSD-3-Clause
"""Fixtures for the end-to-end suite: one topology and one sluice-dp per module."""

import json
import os
import sys
import time

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import topo  # noqa: E402


def artifacts():
    """sluice-dp and the BPF objects: from the environment (meson passes them),
    else from SLUICE_BUILD (default ./build)."""
    dp, decap, front = topo.find_build_artifacts(os.environ.get("SLUICE_BUILD", "build"))
    return (os.environ.get("SLUICE_DP", dp), os.environ.get("SLUICE_DECAP_OBJ", decap),
            os.environ.get("SLUICE_XDP_FRONT_OBJ", front))


def wait_for(pred, timeout=10.0, step=0.05):
    """Poll @pred every @step s until it returns something true or @timeout s
    pass; returns its last value."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        v = pred()
        if v:
            return v
        time.sleep(step)
    return pred()


def require_dataplane(hugepages):
    """For the single-process suites (pcap, memif, two workers): skip when
    not root, fail when sluice-dp was not built, reserve @hugepages 2 MiB
    pages. Returns the path of sluice-dp."""
    if os.geteuid() != 0:
        pytest.skip("needs root (namespaces, hugepages)")
    dp = artifacts()[0]
    if not dp or not os.path.exists(dp):
        pytest.fail(f"sluice-dp not found ({dp})")
    topo.ensure_hugepages(hugepages)
    return dp


BASE_WEIGHTS = {"b1": 100, "b2": 100, "b3": 200}


def base_config():
    return topo.make_config("encap", weights=BASE_WEIGHTS)


@pytest.fixture(scope="module")
def lb():
    if os.geteuid() != 0:
        pytest.skip("needs root (namespaces, XDP, hugepages)")
    dp, decap, front = artifacts()
    for what, path in (("sluice-dp", dp), ("decap XDP object", decap)):
        if not path or not os.path.exists(path):
            pytest.fail(f"{what} not found ({path}); set SLUICE_BUILD or SLUICE_DP/"
                        f"SLUICE_DECAP_OBJ")
    t = topo.Topology(sluice_dp=dp, decap_obj=decap, xdp_front_obj=front)
    try:
        t.up()
        t.start_lb(base_config())
        yield t
        # test_shutdown_clean stops it on purpose (lb_proc = None); else it must still run.
        assert t.lb_proc is None or t.lb_alive(), \
            f"sluice-dp died during the tests:\n{t.lb_log_tail()}"
    finally:
        if os.environ.get("SLUICE_E2E_LOGDIR"):
            os.makedirs(os.environ["SLUICE_E2E_LOGDIR"], exist_ok=True)
            with open(os.path.join(os.environ["SLUICE_E2E_LOGDIR"], "sluice-dp.log"), "w") as f:
                f.write(t.lb_log_text())
        t.down()


@pytest.fixture(autouse=True)
def baseline(request):
    """Every test starts from the base config (encap, weights 1:1:2), applied
    only when the running one differs, so generations move only when needed."""
    if "lb" not in request.fixturenames:
        yield
        return
    t = request.getfixturevalue("lb")
    if not t.lb_alive():
        pytest.fail(f"sluice-dp is not running:\n{t.lb_log_tail()}")
    want = base_config()
    cur = t.ctl(topo.CTL_GET_CONFIG)
    if not cur.get("ok") or _differs(cur.get("config", {}), want):
        r = t.apply(want)
        assert r.get("ok"), f"base config refused: {r}"
    yield


def _differs(running, want):
    """Compare the fields we set (the running config also lists defaults)."""
    for k, v in want.items():
        if k == "vips":
            continue
        if running.get(k) != v:
            return True
    rv = running.get("vips", [])
    if len(rv) != len(want["vips"]):
        return True
    for a, b in zip(rv, want["vips"]):
        for k in ("address", "protocol", "port", "forwarding", "hash"):
            if str(a.get(k)) != str(b.get(k)):
                return True
        if [(x["address"], x["weight"], x["state"]) for x in a.get("backends", [])] != \
                [(x["address"], x["weight"], x["state"]) for x in b["backends"]]:
            return True
    return False


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """On a failure, attach what the dataplane says: its log tail and counters."""
    outcome = yield
    rep = outcome.get_result()
    if rep.when != "call" or not rep.failed:
        return
    t = item.funcargs.get("lb")
    if t is None:
        return
    parts = [f"sluice-dp alive: {t.lb_alive()}", "--- log tail ---", t.lb_log_tail(30)]
    for cmd in ("/sluice/info", "/sluice/workers", "/sluice/drops", "/sluice/conntrack"):
        try:
            parts.append(f"{cmd}: {json.dumps(t.tel(cmd))}")
        except Exception as e:  # the report must not fail
            parts.append(f"{cmd}: unavailable ({e})")
    rep.sections.append(("sluice-dp", "\n".join(parts)))
