# SPDX-License-Identifier: BSD-3-Clause
"""
sluiced's API without traffic: a real sluiced against a fake sluice-dp
(sluiced.FakeDP) that speaks the control protocol. Validation (a clear 4xx
naming the field, nothing changed), preconditions and concurrent writers,
idempotence, tokens on TCP, rollback, crash safety under kill -9, the
reconciler (dataplane restarts, refusals), exec health checks, metrics.

Run: /usr/bin/python3 tests/e2e/run_e2e.py -k sluiced_api   (as root)
"""

import glob
import json
import os
import random
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from sluiced import FakeDP, Sluiced, sluiced_binary  # noqa: E402

MAC = "02:00:00:00:00:fe"
VIP = "tcp/192.0.2.80/80"


def state(weights=(100, 100), extra_vip=None, **glob_):
    vip = {"address": "192.0.2.80", "protocol": "tcp", "port": 80,
           "backends": [{"address": f"10.0.1.{i + 1}", "weight": w}
                        for i, w in enumerate(weights)]}
    vip.update(extra_vip or {})
    s = {"nexthop_mac": MAC, "flow_capacity": 4096, "vips": [vip]}
    s.update(glob_)
    return s


@pytest.fixture
def env():
    if not os.path.exists(sluiced_binary()):
        pytest.fail(f"sluiced not built ({sluiced_binary()})")
    work = tempfile.mkdtemp(prefix=f"slsld-{os.getpid()}-")
    dp = FakeDP(os.path.join(work, "dp.sock")).start()
    d = Sluiced(work, dp.path)
    try:
        d.start()
        yield d, dp
    finally:
        d.stop()
        dp.stop()
        if not os.environ.get("SLUICE_E2E_KEEP"):
            shutil.rmtree(work, ignore_errors=True)


def wait_for(pred, timeout=5.0, step=0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        v = pred()
        if v:
            return v
        time.sleep(step)
    return pred()


# --------------------------------------------------------------------------
# Validation: a clear 4xx naming the field, and nothing changed


BAD = [
    # (name, mutate(state), status, code, field, message part)
    ("bad address", lambda s: s["vips"][0]["backends"][0].update(address="10.0.1.300"),
     400, "invalid_field", "vips[tcp/192.0.2.80/80].backends[0].address", "not an IPv4"),
    ("bad vip address", lambda s: s["vips"][0].update(address="192.0.2"),
     400, "invalid_field", "vips[0].address", "not an IPv4"),
    ("loopback backend", lambda s: s["vips"][0]["backends"][0].update(address="127.0.0.1"),
     400, "invalid_field", "vips[tcp/192.0.2.80/80].backends[127.0.0.1].address", "loopback"),
    ("bad port", lambda s: s["vips"][0].update(port=70000),
     400, "invalid_field", "vips[0].port", "above the maximum 65535"),
    ("negative port", lambda s: s["vips"][0].update(port=-1),
     400, "invalid_field", "vips[0].port", "below the minimum 0"),
    ("weight too big", lambda s: s["vips"][0]["backends"][1].update(weight=70000),
     400, "invalid_field", "vips[tcp/192.0.2.80/80].backends[10.0.1.2].weight",
     "above the maximum 65535"),
    ("weight real", lambda s: s["vips"][0]["backends"][1].update(weight=1.5),
     400, "invalid_field", "vips[tcp/192.0.2.80/80].backends[10.0.1.2].weight", "real"),
    ("weight string", lambda s: s["vips"][0]["backends"][1].update(weight="10"),
     400, "invalid_field", "vips[tcp/192.0.2.80/80].backends[10.0.1.2].weight", "integer"),
    ("duplicate backend", lambda s: s["vips"][0]["backends"].append({"address": "10.0.1.1"}),
     400, "invalid_field", "vips[tcp/192.0.2.80/80].backends[10.0.1.1]", "duplicate"),
    ("duplicate vip", lambda s: s["vips"].append(dict(s["vips"][0])),
     400, "invalid_field", "vips[tcp/192.0.2.80/80]", "duplicate"),
    ("unknown root key", lambda s: s.update(mtuu=1500),
     400, "unknown_field", "mtuu", "unknown key"),
    ("unknown vip key", lambda s: s["vips"][0].update(helth_check={}),
     400, "unknown_field", "vips[tcp/192.0.2.80/80].helth_check", "unknown key"),
    ("unknown backend key", lambda s: s["vips"][0]["backends"][0].update(wieght=1),
     400, "unknown_field", "vips[tcp/192.0.2.80/80].backends[10.0.1.1].wieght", "unknown key"),
    ("unknown timeout key", lambda s: s.update(timeouts={"tcp": 5}),
     400, "unknown_field", "timeouts.tcp", "unknown key"),
    ("unknown check key", lambda s: s["vips"][0].update(health_check={"type": "tcp",
                                                                      "intervall": 1}),
     400, "unknown_field", "vips[tcp/192.0.2.80/80].health_check.intervall", "unknown key"),
    ("state down", lambda s: s["vips"][0]["backends"][0].update(state="down"),
     400, "invalid_field", "vips[tcp/192.0.2.80/80].backends[10.0.1.1].state", "health checks"),
    ("state bogus", lambda s: s["vips"][0]["backends"][0].update(state="on"),
     400, "invalid_field", "vips[tcp/192.0.2.80/80].backends[10.0.1.1].state", "not one of"),
    ("timeout above interval", lambda s: s["vips"][0].update(
        health_check={"type": "tcp", "interval_ms": 500, "timeout_ms": 600}),
     400, "invalid_field", "vips[tcp/192.0.2.80/80].health_check.timeout_ms", "maximum 500"),
    ("interval too small", lambda s: s["vips"][0].update(
        health_check={"type": "tcp", "interval_ms": 5}),
     400, "invalid_field", "vips[tcp/192.0.2.80/80].health_check.interval_ms", "minimum 100"),
    ("http key on tcp", lambda s: s["vips"][0].update(
        health_check={"type": "tcp", "path": "/x"}),
     400, "invalid_field", "vips[tcp/192.0.2.80/80].health_check.path", "only for type http"),
    ("exec relative", lambda s: s["vips"][0].update(
        health_check={"type": "exec", "command": ["check"]}),
     400, "invalid_field", "vips[tcp/192.0.2.80/80].health_check.command", "absolute"),
    ("slow start too long", lambda s: s["vips"][0].update(slow_start_s=3601),
     400, "invalid_field", "vips[tcp/192.0.2.80/80].slow_start_s", "maximum 3600"),
    ("min_healthy action", lambda s: s["vips"][0].update(min_healthy={"action": "panic"}),
     400, "invalid_field", "vips[tcp/192.0.2.80/80].min_healthy.action", "fail_open"),
    ("prime table", lambda s: s.update(table_size=65536),
     400, "invalid_field", "table_size", "not prime"),
    ("no nexthop", lambda s: s.pop("nexthop_mac"),
     400, "invalid_field", "nexthop_mac", "required"),
]


@pytest.mark.parametrize("case", BAD, ids=[c[0] for c in BAD])
def test_validation_refused_nothing_changed(env, case):
    d, dp = env
    assert d.put_state(state()).status == 200
    before, v, applies = d.state(), d.version(), dp.n_applied()
    name, mutate, status, code, field, part = case
    s = state()
    mutate(s)
    r = d.put_state(s)
    assert r.status == status, r
    err = r.error()
    assert err["code"] == code and err.get("field") == field, err
    assert part in err["message"], err
    assert d.version() == v and d.state() == before and dp.n_applied() == applies


def test_body_errors(env):
    d, _ = env
    v = d.version()
    cases = [
        (dict(raw=b"{not json"), 400, "bad_json"),
        (dict(raw=b"[1, 2]"), 400, "bad_json"),
        (dict(raw=b'{"vips": [], "vips": []}'), 400, "bad_json"),  # duplicate keys
        (dict(raw=b"{}", headers={"Content-Type": "text/plain"}), 415,
         "unsupported_media_type"),
    ]
    for kw, status, code in cases:
        hdrs = {"If-Match": f'"{v}"', **kw.pop("headers", {})}
        r = d.request("PUT", "/v1/state", headers=hdrs, **kw)
        assert r.status == status and r.error()["code"] == code, (kw, r)
    # 17 MiB announced: refused before any of it is read (only the headers go out).
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as c:
        c.settimeout(5)
        c.connect(d.sock)
        c.sendall(f'PUT /v1/state HTTP/1.1\r\nHost: x\r\nIf-Match: "{v}"\r\n'
                  f'Content-Type: application/json\r\nContent-Length: {17 << 20}\r\n\r\n'
                  .encode())
        head = c.recv(65536).decode(errors="replace")
    assert head.startswith("HTTP/1.1 413") and '"too_large"' in head, head
    # Sent anyway, chunked (no length announced): cut off at the limit.
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as c:
        c.settimeout(10)
        c.connect(d.sock)
        c.sendall(f'PUT /v1/state HTTP/1.1\r\nHost: x\r\nIf-Match: "{v}"\r\n'
                  f'Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n'
                  .encode())
        chunk = b"a" * (1 << 20)
        try:
            for _ in range(17):
                c.sendall(b"%x\r\n" % len(chunk) + chunk + b"\r\n")
            c.sendall(b"0\r\n\r\n")
        except BrokenPipeError:
            pass
        head = c.recv(65536).decode(errors="replace")
    assert head.startswith("HTTP/1.1 413"), head[:200]
    assert d.version() == v


def test_paths(env):
    d, _ = env
    assert d.put_state(state()).status == 200
    for path, status, code in [
        ("/v1/vips/sctp/192.0.2.80/80", 400, "bad_path"),
        ("/v1/vips/tcp/192.0.2.800/80", 400, "bad_path"),
        ("/v1/vips/tcp/192.0.2.80/99999", 400, "bad_path"),
        ("/v1/vips/tcp/192.0.2.80/81", 404, "not_found"),
        ("/v1/vips/tcp/192.0.2.80/80/backends/10.9.9.9", 404, "not_found"),
        ("/v1/nothing", 404, "not_found"),
        ("/v1/history/999", 404, "not_found"),
    ]:
        r = d.get(path)
        assert r.status == status and r.error()["code"] == code, (path, r)
    r = d.request("DELETE", "/v1/state", headers={"If-Match": '"1"'})
    assert r.status == 405 and "PUT" in r.headers.get("Allow", ""), r


# --------------------------------------------------------------------------
# Versions: If-Match, idempotence, conflicts


def test_preconditions(env):
    d, dp = env
    r = d.request("PUT", "/v1/state", body=state())
    assert r.status == 428 and r.error()["code"] == "version_required", r
    r = d.put_state(state(), version=5)
    assert r.status == 412 and r.error()["code"] == "version_mismatch", r
    assert r.error()["current_version"] == 0
    r = d.put_state(state())
    assert r.status == 200 and r.json == {"version": 1, "changed": True}, r
    assert r.etag == '"1"'
    # A dry run needs no If-Match and changes nothing.
    r = d.request("PUT", "/v1/state?dry_run=1", body=state(weights=(100, 50)))
    assert r.status == 200 and r.json["changed"] is True and r.json["version"] == 1, r
    assert r.json["diff"] == [{"op": "change",
                               "path": "vips[tcp/192.0.2.80/80].backends[10.0.1.2].weight",
                               "old": 100, "new": 50}]
    assert d.version() == 1


def test_idempotent_put(env):
    d, dp = env
    assert d.put_state(state()).json["version"] == 1
    n = dp.n_applied()
    # The same state, written differently (defaults spelt out, VIP address in
    # another form, backends reordered): no change, no new version, no push.
    s = state()
    s["vips"][0]["backends"].reverse()
    s["vips"][0]["hash"] = "5tuple"
    s["mtu"] = 1500
    r = d.put_state(s)
    assert r.status == 200 and r.json == {"version": 1, "changed": False}, r
    assert d.version() == 1 and dp.n_applied() == n
    hist = d.get("/v1/history").json["history"]
    assert [h["version"] for h in hist] == [1, 0]


def test_concurrent_conflicting_changes(env):
    d, _ = env
    assert d.put_state(state()).status == 200
    for round_ in range(10):
        v = d.version()
        results = []

        def writer(w):
            results.append(d.put_state(state(weights=(100, w)), version=v))

        threads = [threading.Thread(target=writer, args=(10 + round_ * 2 + k,)) for k in (0, 1)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        codes = sorted(r.status for r in results)
        assert codes == [200, 412], results
        winner = next(r for r in results if r.status == 200)
        assert d.version() == v + 1 == winner.json["version"]
        # The loser's change is not lost silently: it was refused, and the
        # state is the winner's whole.
        w = d.state()["vips"][0]["backends"][1]["weight"]
        assert w in (10 + round_ * 2, 11 + round_ * 2)


# --------------------------------------------------------------------------
# Sub-resources, history, rollback, audit


def test_vip_and_backend_resources(env):
    d, dp = env
    r = d.write("PUT", "/v1/vips/tcp/192.0.2.80/80",
                {"hash": "src_ip", "backends": [{"address": "10.0.1.1"}]})
    assert r.status == 400 and r.error()["field"] == "nexthop_mac", r  # encap needs it
    assert d.put_state({"nexthop_mac": MAC}).status == 200
    r = d.write("PUT", "/v1/vips/tcp/192.0.2.80/80",
                {"hash": "src_ip", "backends": [{"address": "10.0.1.1"}]})
    assert r.status == 201 and r.json["vip"]["hash"] == "src_ip", r
    r = d.write("PUT", "/v1/vips/tcp/192.0.2.80/80/backends/10.0.1.2", {"weight": 30})
    assert r.status == 201 and r.json["backend"] == {"address": "10.0.1.2", "weight": 30,
                                                      "state": "active"}, r
    r = d.write("PATCH", "/v1/vips/tcp/192.0.2.80/80/backends/10.0.1.2", {"state": "draining"})
    assert r.status == 200 and r.json["backend"]["state"] == "draining", r
    r = d.write("PATCH", "/v1/vips/tcp/192.0.2.80/80/backends/10.0.1.2",
                {"address": "10.0.1.9"})
    assert r.status == 400 and r.error()["code"] == "invalid_field", r
    # PUT of a VIP without "backends" keeps them; PATCH merges.
    r = d.write("PUT", "/v1/vips/tcp/192.0.2.80/80", {"hash": "5tuple"})
    assert r.status == 200 and len(r.json["vip"]["backends"]) == 2, r
    r = d.write("PATCH", "/v1/vips/tcp/192.0.2.80/80",
                {"health_check": {"type": "http", "path": "/h"}, "slow_start_s": 5})
    assert r.status == 200 and r.json["vip"]["health_check"]["path"] == "/h", r
    r = d.write("PATCH", "/v1/vips/tcp/192.0.2.80/80", {"health_check": {"type": "tcp"}})
    assert r.status == 200 and "path" not in r.json["vip"]["health_check"], r
    # The dataplane got the effective config: draining stays draining.
    assert dp.last()["vips"][0]["backends"][1]["state"] == "draining"
    r = d.write("DELETE", "/v1/vips/tcp/192.0.2.80/80/backends/10.0.1.2")
    assert r.status == 200
    r = d.get("/v1/vips/tcp/192.0.2.80/80")
    assert [b["address"] for b in r.json["vip"]["backends"]] == ["10.0.1.1"]
    r = d.write("DELETE", "/v1/vips/tcp/192.0.2.80/80")
    assert r.status == 200 and d.state()["vips"] == []
    assert d.get("/v1/vips/tcp/192.0.2.80/80").status == 404
    # Every committed change is in the audit log with who and versions.
    lines = [json.loads(x) for x in open(os.path.join(d.state_dir, "audit.log"))]
    assert [(x["version_before"], x["version_after"]) for x in lines] == \
        [(i, i + 1) for i in range(len(lines))]
    assert all(x["who"] == "uid:0" for x in lines)
    assert lines[2]["method"] == "PUT" and lines[2]["path"].endswith("/backends/10.0.1.2")


def test_disabled_backend_pushed_down(env):
    d, dp = env
    s = state()
    s["vips"][0]["backends"][0]["state"] = "disabled"
    assert d.put_state(s).status == 200
    assert d.state()["vips"][0]["backends"][0]["state"] == "disabled"
    assert dp.last()["vips"][0]["backends"][0]["state"] == "down"
    assert dp.last()["vips"][0]["backends"][1]["state"] == "active"


def test_rollback_restores_exact_state(env):
    d, dp = env
    states = [state(), state(weights=(5, 7), extra_vip={"hash": "src_ip"}),
              state(weights=(1,), mtu=9000, extra_vip={"slow_start_s": 9})]
    for s in states:
        assert d.put_state(s).status == 200
    v1 = d.get("/v1/history/1").json["state"]
    r = d.write("POST", "/v1/rollback", {"version": 1})
    assert r.status == 200 and r.json == {"version": 4, "changed": True, "restored": 1}, r
    assert d.state() == v1
    assert dp.last() == json.loads(json.dumps(dp.last()))  # pushed
    assert dp.last()["mtu"] == 1500 and dp.last()["vips"][0]["backends"][1]["weight"] == 100
    r = d.write("POST", "/v1/rollback", {"version": 1})
    assert r.status == 200 and r.json["changed"] is False and r.json["version"] == 4
    r = d.write("POST", "/v1/rollback", {"version": 99})
    assert r.status == 404
    r = d.write("POST", "/v1/rollback", {"version": 1, "force": True})
    assert r.status == 400 and r.error()["code"] == "unknown_field"
    hist = d.get("/v1/history?limit=2").json["history"]
    assert [h["version"] for h in hist] == [4, 3] and hist[0]["who"] == "uid:0"


# --------------------------------------------------------------------------
# The dataplane: refusals, restarts, sluiced restarts


def test_dataplane_refusal_is_409(env):
    d, dp = env
    assert d.put_state(state()).status == 200
    dp.refuse = "flow_capacity: cannot change while running"
    r = d.put_state(state(flow_capacity=8192))
    assert r.status == 409 and r.error()["code"] == "dataplane_refused", r
    assert "flow_capacity" in r.error()["message"]
    assert d.version() == 1 and d.state()["flow_capacity"] == 4096


def test_dataplane_restart_gets_state_again(env):
    d, dp = env
    assert d.put_state(state()).status == 200
    assert d.get("/v1/status").json["dataplane"]["current"] is True
    n = dp.n_applied()
    dp.restart()  # a new process: generation 1, empty config
    t0 = time.monotonic()
    assert wait_for(lambda: dp.n_applied() > n, timeout=3), "state not pushed again"
    assert time.monotonic() - t0 < 1.0 + 0.5  # within a second, plus a tolerance
    assert dp.last()["vips"][0]["address"] == "192.0.2.80"
    # Dataplane away: a change is committed and pushed when it comes back.
    dp.stop()
    wait_for(lambda: d.get("/v1/status").json["dataplane"]["up"] is False)
    r = d.put_state(state(weights=(3, 4)))
    assert r.status == 200 and r.json.get("pending") is True, r
    dp.restart()
    assert wait_for(lambda: (dp.last() or {}).get("vips", [{}])[0].get("backends", [{}])[0]
                    .get("weight") == 3, timeout=3)


def test_sluiced_restart_does_not_push(env):
    d, dp = env
    assert d.put_state(state()).status == 200
    n = dp.n_applied()
    d.stop()
    d.start()
    time.sleep(1.0)
    assert dp.n_applied() == n, "sluiced pushed again although the dataplane ran its state"
    assert d.version() == 1 and d.get("/v1/status").json["dataplane"]["current"] is True


# --------------------------------------------------------------------------
# Crash safety


def test_crash_safety_kill9_during_applies(env):
    d, dp = env
    d.stop()
    for i in range(50):
        d.start()
        stop = threading.Event()

        def hammer():
            k = 0
            while not stop.is_set():
                k += 1
                try:
                    v = d.version()
                    d.put_state(state(weights=(1 + (k % 50), 100 + i)), version=v, timeout=2)
                except (OSError, KeyError, TypeError, ValueError):
                    return

        t = threading.Thread(target=hammer)
        t.start()
        time.sleep(random.uniform(0.02, 0.25))
        d.kill9()
        stop.set()
        t.join(5)
    # Every version file is whole, they run 0..current without holes, and
    # the pointer names one of them.
    cur = int(open(os.path.join(d.state_dir, "current")).read())
    files = sorted(glob.glob(os.path.join(d.state_dir, "versions", "*.json")))
    assert cur > 0
    for f in files:
        doc = json.load(open(f))
        assert set(doc) == {"version", "time", "who", "summary", "state"}
        assert os.path.basename(f) == f"{doc['version']:08d}.json"
    versions = [json.load(open(f))["version"] for f in files]
    assert versions[-1] >= cur and versions[:cur + 1] == list(range(cur + 1))
    # sluiced starts from it, with exactly the current version's state, and
    # drops what was never committed.
    d.start()
    assert d.version() == cur
    assert d.state() == json.load(open(files[cur]))["state"]
    assert not glob.glob(os.path.join(d.state_dir, "versions", "*.tmp"))


# --------------------------------------------------------------------------
# Tokens on TCP


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_tcp_tokens(env):
    d, dp = env
    d.stop()
    tokens = os.path.join(d.workdir, "tokens")
    with open(tokens, "w") as f:
        f.write("# name role secret\nci admin aaaaaaaaaaaaaaaaaaaaaaaa\n"
                "dash read rrrrrrrrrrrrrrrrrrrrrrrr\n")
    os.chmod(tokens, 0o644)
    port = free_port()
    d.extra = ["--listen", f"127.0.0.1:{port}", "--tokens", tokens]
    with pytest.raises(RuntimeError, match="readable by group or others"):
        d.start()
    os.chmod(tokens, 0o600)
    d.start()
    tcp = ("127.0.0.1", port)
    admin = {"Authorization": "Bearer aaaaaaaaaaaaaaaaaaaaaaaa"}
    read = {"Authorization": "Bearer rrrrrrrrrrrrrrrrrrrrrrrr"}
    r = d.get("/v1/state", tcp=tcp)
    assert r.status == 401 and r.error()["code"] == "unauthorized", r
    r = d.get("/v1/state", tcp=tcp, headers={"Authorization": "Bearer wrongwrongwrongwrong"})
    assert r.status == 401, r
    r = d.get("/v1/state", tcp=tcp, headers=read)
    assert r.status == 200 and r.json["version"] == 0
    r = d.request("PUT", "/v1/state", body=state(), tcp=tcp,
                  headers={**read, "If-Match": '"0"'})
    assert r.status == 403 and r.error()["code"] == "forbidden", r
    r = d.request("PUT", "/v1/state", body=state(), tcp=tcp)
    assert r.status == 401, r
    assert d.version() == 0
    r = d.request("PUT", "/v1/state", body=state(), tcp=tcp,
                  headers={**admin, "If-Match": '"0"'})
    assert r.status == 200 and r.json["version"] == 1, r
    assert d.get("/v1/history/1").json["who"] == "token:ci"
    audit = open(os.path.join(d.state_dir, "audit.log")).read()
    assert "token:ci" in audit and "aaaaaaaa" not in audit
    assert d.get("/metrics", tcp=tcp).status == 401


# --------------------------------------------------------------------------
# Health checks that need no network: exec


def test_exec_health_check(env):
    d, dp = env
    flag = os.path.join(d.workdir, "healthy")
    marker = f"sleep 3{os.getpid() % 1000:03d}"
    script = os.path.join(d.workdir, "slow-check")
    with open(script, "w") as f:
        f.write(f"#!/bin/sh\nexec {marker}\n")
    os.chmod(script, 0o755)
    s = state(extra_vip={
        "health_check": {"type": "exec", "command": ["/bin/sh", "-c",
                                                     f'test -e {flag} && test "$SLUICE_PORT" = 80'],
                         "interval_ms": 200, "timeout_ms": 150, "rise": 2, "fall": 2}})
    s["vips"].append({"address": "192.0.2.81", "protocol": "tcp", "port": 80,
                      "backends": [{"address": "10.0.2.1"}],
                      "health_check": {"type": "exec", "command": [script],
                                       "interval_ms": 300, "timeout_ms": 200}})
    assert d.put_state(s).status == 200
    key = ("tcp/192.0.2.80/80", "10.0.1.1")
    assert wait_for(lambda: d.health()[key]["health"] == "down", timeout=3), d.health()[key]
    assert dp.last()["vips"][0]["backends"][0]["state"] == "down" or \
        d.get("/v1/vips").json["vips"][0]["mode"] == "fail_open"
    # Both backends down: min_healthy (count 1, fail_open) sends to all.
    vips = d.get("/v1/vips").json["vips"]
    assert vips[0]["mode"] == "fail_open"
    assert all(b["state"] == "active" for b in dp.last()["vips"][0]["backends"])
    open(flag, "w").close()
    assert wait_for(lambda: d.health()[key]["health"] == "up", timeout=3), d.health()[key]
    # A check past its timeout fails and its process is killed.
    slow = d.health()[("tcp/192.0.2.81/80", "10.0.2.1")]
    assert slow["health"] == "down" and "timed out" in slow["last"]["error"], slow
    time.sleep(0.5)
    d.put_state({"nexthop_mac": MAC})  # no checks left
    time.sleep(0.5)
    ps = subprocess.run(["pgrep", "-f", marker], capture_output=True, text=True)
    assert ps.stdout.strip() == "", f"exec check left running: {ps.stdout}"


def test_fail_closed(env):
    d, dp = env
    s = state(extra_vip={
        "health_check": {"type": "exec", "command": ["/bin/false"], "interval_ms": 200,
                         "timeout_ms": 100},
        "min_healthy": {"count": 1, "action": "fail_closed"}})
    assert d.put_state(s).status == 200
    assert wait_for(lambda: all(b["state"] == "down"
                                for b in dp.last()["vips"][0]["backends"]), timeout=3)
    assert d.get("/v1/vips").json["vips"][0]["mode"] == "fail_closed"


# --------------------------------------------------------------------------
# Metrics

METRIC_LINE = re.compile(r'^(sluice_[a-z_]+)(\{[a-z_]+="[^"]*"(,[a-z_]+="[^"]*")*\})? -?[0-9]+$')


def test_metrics(env):
    d, dp = env
    s = state()
    s["vips"][0]["backends"][1]["state"] = "draining"
    assert d.put_state(s).status == 200
    wait_for(lambda: d.get("/v1/status").json["dataplane"]["current"])
    r = d.get("/metrics")
    assert r.status == 200 and r.headers["Content-Type"].startswith("text/plain; version=0.0.4")
    types = {}
    values = {}
    for line in r.raw.splitlines():
        if line.startswith("# TYPE"):
            _, _, name, typ = line.split()
            types[name] = typ
            continue
        if line.startswith("#"):
            continue
        m = METRIC_LINE.match(line)
        assert m, f"not a metric line: {line!r}"
        assert m.group(1) in types, f"{line}: no TYPE"
        values[line.rsplit(" ", 1)[0]] = int(line.rsplit(" ", 1)[1])
    for name, typ in types.items():
        assert name.startswith("sluice_")
        assert (typ == "counter") == name.endswith("_total"), name
    b1 = f'vip="{VIP}",backend="10.0.1.1"'
    b2 = f'vip="{VIP}",backend="10.0.1.2"'
    assert values["sluice_state_version"] == 1
    assert values["sluice_dataplane_up"] == 1 and values["sluice_dataplane_current"] == 1
    assert values[f"sluice_vip_packets_total{{vip=\"{VIP}\"}}"] == 7
    assert values[f"sluice_backend_packets_total{{{b1}}}"] == 3
    assert values[f"sluice_backend_new_flows_total{{{b1}}}"] == 1
    assert values[f"sluice_backend_effective_weight{{{b1}}}"] == 100
    assert values[f"sluice_backend_effective_weight{{{b2}}}"] == 0  # draining
    assert values[f"sluice_backend_up{{{b1}}}"] == 1
    assert values['sluice_dataplane_drops_total{reason="no_backend"}'] == 2
    assert values['sluice_conntrack_capacity{worker="0"}'] == 1024
    assert values["sluice_dataplane_generation"] == dp.generation
    assert not re.search(r'(client|src|source)[a-z_]*=', r.raw)
    st = d.get("/v1/stats")
    assert st.status == 200 and st.json["drops"]["no_backend"] == 2
    dp.stop()
    assert wait_for(lambda: d.get("/v1/stats").status == 503, timeout=3)
    assert "sluice_dataplane_up 0" in d.get("/metrics").raw


def test_filter_not_wired(env):
    d, _ = env
    for path in ("/v1/filter", "/v1/filter/stats", "/v1/filter/drops"):
        r = d.get(path)
        assert r.status == 501 and r.error()["code"] == "not_implemented", r
    r = d.put_state({"nexthop_mac": MAC, "filter": {}})
    assert r.status == 501 and r.error()["field"] == "filter", r
