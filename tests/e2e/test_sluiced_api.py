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

from conftest import wait_for  # noqa: E402
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
    h1 = d.get("/v1/history/1").json
    assert {"version", "time", "who", "summary", "state"} <= h1.keys(), h1.keys()
    v1 = h1["state"]
    # A dry run shows the diff, like PUT /v1/state?dry_run=1, and commits nothing.
    r = d.request("POST", "/v1/rollback?dry_run=1", {"version": 1})
    assert r.status == 200 and r.json["version"] == 3 and r.json["changed"], r
    assert {"op": "change", "path": "mtu", "old": 9000, "new": 1500} in r.json["diff"], r
    assert d.version() == 3
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
    for bad in ("0", "10001", "-1", "2x", "0x2", "", "99999999999999999999"):
        r = d.get(f"/v1/history?limit={bad}")
        assert r.status == 400 and r.error()["field"] == "limit", (bad, r)
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
    wait_for(lambda: d.get("/v1/status").json["dataplane"]["up"] is False, timeout=5)
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
    wait_for(lambda: d.get("/v1/status").json["dataplane"]["current"], timeout=5)
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


def sluice_filter_tool():
    build = os.environ.get("SLUICE_BUILD", "build")
    return os.environ.get("SLUICE_FILTER", os.path.join(build, "tools", "sluice-filter"))


@pytest.fixture
def filt(env):
    """sluiced managing the filter of a made-up interface whose maps are
    pinned on a bpffs of our own (no program attached: the maps alone)."""
    d, dp = env
    if not os.path.exists(sluice_filter_tool()):
        pytest.fail(f"sluice-filter not built ({sluice_filter_tool()})")
    root = os.path.join(d.workdir, "bpf")
    os.makedirs(root)
    subprocess.run(["mount", "-t", "bpf", "bpf", root], check=True)
    iface = f"slf{os.getpid() % 100000}"
    try:
        d.stop()
        d.extra = ["--filter-iface", iface, "--filter-pin-root", root]
        d.start()
        yield d, dp, root, iface
    finally:
        d.stop()
        subprocess.run(["umount", root], check=False)


def rules_of(f):
    """What a rule set says (sluice-filter show fills default depths in)."""
    return (f["allow"], f["deny"], [(o["prefix"], o["pps"]) for o in
                                    f["rate_limit"]["overrides"]]) if f else None


def show(root, iface):
    """The rule set in the pinned maps, read back with sluice-filter."""
    p = subprocess.run([sluice_filter_tool(), "-j", "-r", root, "show", iface],
                       capture_output=True, text=True, timeout=10)
    return rules_of(json.loads(p.stdout)) if p.returncode == 0 else None


RULES = {"deny": ["198.51.100.0/24", {"prefix": "203.0.113.0/24", "vip": "192.0.2.80",
                                       "protocol": "tcp", "port": 80}],
         "rate_limit": {"overrides": [{"prefix": "10.0.0.0/8", "pps": 1000}]}}


def test_filter_through_the_api(filt):
    d, dp, root, iface = filt
    assert d.put_state(state()).status == 200
    r = d.get("/v1/filter")
    assert r.status == 200 and r.json["filter"] is None, r
    assert r.json["status"]["managed"] is False
    n = dp.n_applied()
    # Refused, naming the field under "filter", nothing changed.
    for body, code, field in [({"deny": ["10.0.0.1/8"]}, "invalid_field",
                               "filter.deny.rules[0].prefix"),
                              ({"denny": []}, "unknown_field", "filter.denny"),
                              ({"drop_sample": 3}, "invalid_field", "filter.drop_sample")]:
        r = d.write("PUT", "/v1/filter", body)
        assert r.status == 400 and (r.error()["code"], r.error()["field"]) == (code, field), r
    assert d.version() == 1
    r = d.write("PUT", "/v1/filter", RULES)
    assert r.status == 200 and r.json["version"] == 2 and r.json["changed"] is True, r
    assert "filter_pending" not in r.json, r
    canon = r.json["filter"]
    assert canon["deny"]["rules"][0] == "198.51.100.0/24"
    assert dp.n_applied() == n, "a filter change pushed a new dataplane generation"
    # The maps hold it; the state has it; the status says so.
    assert show(root, iface) == rules_of(canon)
    assert d.state()["filter"] == canon
    st = d.get("/v1/status").json
    assert st["filter"]["interfaces"] == [{"interface": iface, "in_force": True}], st
    assert st["dataplane"]["current"] is True
    # The same rules written out in full: no change.
    r = d.write("PUT", "/v1/filter", canon)
    assert r.status == 200 and r.json["changed"] is False, r
    # Maps recreated (the pin directory purged) or changed behind sluiced's
    # back: the state's rules are applied again within a reconcile period.
    shutil.rmtree(os.path.join(root, iface))
    assert wait_for(lambda: show(root, iface) == rules_of(canon), timeout=3), show(root, iface)
    subprocess.run([sluice_filter_tool(), "-r", root, "deny", "add", iface, "192.0.2.0/24"],
                   check=True, capture_output=True)
    assert wait_for(lambda: show(root, iface) == rules_of(canon), timeout=3), show(root, iface)
    # Counters, per-rule hits, recent drops, metrics.
    r = d.get("/v1/filter/stats")
    assert r.status == 200, r
    (i0,) = r.json["interfaces"]
    assert i0["interface"] == iface and i0["counters"]["drop_deny"]["packets"] == 0, i0
    assert [h["prefix"] for h in i0["hits"]["deny"]] == ["198.51.100.0/24", "203.0.113.0/24"]
    r = d.get("/v1/filter/drops?limit=10")
    assert r.status == 200 and r.json["drops"] == [] and r.json["errors"] == [], r
    assert d.get("/v1/filter/drops?limit=0").status == 400
    m = d.get("/metrics").raw
    assert 'sluice_filter_packets_total{verdict="drop_deny"} 0' in m, m
    assert 'sluice_filter_drops_total{reason="rate"} 0' in m, m
    # DELETE: sluiced stops managing the filter; the maps keep their rules.
    r = d.write("DELETE", "/v1/filter")
    assert r.status == 200 and r.json["filter"] is None, r
    assert "filter" not in d.state() and show(root, iface) == rules_of(canon)
    assert d.get("/v1/filter").json["status"]["managed"] is False
    # History and rollback treat it like any other part of the state.
    r = d.write("POST", "/v1/rollback", {"version": 2})
    assert r.status == 200 and d.state()["filter"] == canon, r


def test_filter_without_interfaces(env):
    d, _ = env
    r = d.put_state({"nexthop_mac": MAC, "filter": RULES})
    assert r.status == 200 and "filter_pending" not in r.json, r  # the state is node-neutral
    for path in ("/v1/filter/stats", "/v1/filter/drops"):
        r = d.get(path)
        assert r.status == 503 and r.error()["code"] == "filter_unavailable", r
    assert d.get("/v1/filter").json["filter"]["deny"]["mode"] == "enforce"
    assert "sluice_filter_" not in d.get("/metrics").raw


# --------------------------------------------------------------------------
# A new state directory next to a forwarding dataplane: import, never clear

RUNNING = {"nexthop_mac": MAC, "flow_capacity": 4096, "vips": [
    {"address": "192.0.2.80", "protocol": "tcp", "port": 80, "hash": "src_ip",
     "backends": [{"address": "10.0.1.1", "weight": 7},
                  {"address": "10.0.1.2", "state": "down"},
                  {"address": "10.0.1.3", "state": "draining"}]},
    {"address": "2001:db8::53", "protocol": "udp", "port": 53,
     "backends": [{"address": "2001:db8::1"}]}]}


@pytest.fixture
def fresh():
    """A work directory with nothing started: (workdir, list to stop at the end)."""
    if not os.path.exists(sluiced_binary()):
        pytest.fail(f"sluiced not built ({sluiced_binary()})")
    work = tempfile.mkdtemp(prefix=f"slsld-{os.getpid()}-")
    started = []
    try:
        yield work, started
    finally:
        for x in reversed(started):
            x.stop()
        if not os.environ.get("SLUICE_E2E_KEEP"):
            shutil.rmtree(work, ignore_errors=True)


def check_imported(d, dp, gen):
    """Version 1 is the dataplane's config, by import:sluice-dp, nothing pushed."""
    assert d.version() == 1, d.log()
    hist = d.get("/v1/history").json["history"]
    assert [h["version"] for h in hist] == [1, 0]
    assert hist[0]["who"] == "import:sluice-dp" and f"generation {gen}" in hist[0]["summary"]
    st = d.state()
    vip = st["vips"][0]
    assert st["flow_capacity"] == 4096 and vip["hash"] == "src_ip"
    assert [(b["address"], b["weight"], b["state"]) for b in vip["backends"]] == \
        [("10.0.1.1", 7, "active"), ("10.0.1.2", 100, "disabled"),
         ("10.0.1.3", 100, "draining")]
    assert st["vips"][1]["address"] == "2001:db8::53"
    audit = [json.loads(x) for x in open(os.path.join(d.state_dir, "audit.log"))]
    assert [(a["who"], a["version_before"], a["version_after"]) for a in audit] == \
        [("import:sluice-dp", 0, 1)]
    time.sleep(0.8)  # several reconcile periods
    assert dp.n_applied() == 0, dp.applied
    status = d.get("/v1/status").json["dataplane"]
    assert status["current"] is True and status["generation"] == gen, status


def test_first_start_imports_running_config(fresh):
    work, started = fresh
    dp = FakeDP(os.path.join(work, "dp.sock"), config=json.loads(json.dumps(RUNNING)),
                generation=7).start()
    started.append(dp)
    d = Sluiced(work, dp.path)
    started.append(d)
    d.start()
    check_imported(d, dp, 7)
    # From there it is an ordinary state: emptying it is a deliberate change.
    r = d.put_state({"nexthop_mac": MAC, "flow_capacity": 4096})
    assert r.status == 200 and r.json["version"] == 2, r
    assert dp.n_applied() == 1 and dp.last()["vips"] == []
    # A restart does not import again.
    d.stop()
    d.start()
    assert d.version() == 2


def test_import_when_the_dataplane_comes_later(fresh):
    work, started = fresh
    dp = FakeDP(os.path.join(work, "dp.sock"))
    started.append(dp)
    d = Sluiced(work, dp.path)
    started.append(d)
    d.start()  # no dataplane yet
    assert d.version() == 0
    dp.restart(config=json.loads(json.dumps(RUNNING)), generation=3)
    assert wait_for(lambda: d.version() == 1, timeout=3), d.log()
    check_imported(d, dp, 3)


def test_empty_dataplane_is_not_imported(fresh):
    work, started = fresh
    dp = FakeDP(os.path.join(work, "dp.sock")).start()
    started.append(dp)
    d = Sluiced(work, dp.path)
    started.append(d)
    d.start()
    time.sleep(0.8)
    assert d.version() == 0 and dp.n_applied() == 0
    assert d.get("/v1/status").json["dataplane"]["current"] is True


def test_unimportable_config_is_left_alone(fresh):
    """A running config that does not read back (here a weight above the
    maximum: a fake dataplane, or a newer sluice-dp than this sluiced) is
    neither imported nor overwritten with the empty state; /v1/status says
    why."""
    work, started = fresh
    bad = json.loads(json.dumps(RUNNING))
    bad["vips"][0]["backends"][0]["weight"] = 70000
    dp = FakeDP(os.path.join(work, "dp.sock"), config=bad).start()
    started.append(dp)
    d = Sluiced(work, dp.path)
    started.append(d)
    d.start()
    time.sleep(0.8)
    assert d.version() == 0 and dp.n_applied() == 0
    err = d.get("/v1/status").json["dataplane"].get("error", "")
    assert "cannot be imported" in err or "does not read back" in err, err


# --------------------------------------------------------------------------
# Reads never wait for a push; writes stay serialised


def test_reads_answer_while_a_push_is_stalled(env):
    d, dp = env
    assert d.put_state(state()).status == 200
    assert d.get("/v1/vips").status == 200  # counters read once
    dp.hold_apply()
    results = {}

    def put(name, body, version):
        results[name] = d.put_state(body, version=version, timeout=30)

    first = threading.Thread(target=put, args=("first", state(weights=(5, 5)), 1))
    second = threading.Thread(target=put, args=("second", state(weights=(6, 6)), 1))
    first.start()
    try:
        assert dp.applying.wait(5), "the APPLY never reached the dataplane"
        second.start()  # based on the same version: waits its turn, then 412
        # The dataplane sits on the APPLY (and would make any request queue
        # behind it): every read still answers, from the committed version 1.
        for path in ("/v1/state", "/v1/vips", "/v1/vips/tcp/192.0.2.80/80", "/metrics",
                     "/v1/health", "/v1/status", "/v1/history", "/v1/history/1",
                     "/v1/stats"):
            r = d.get(path, timeout=5)
            assert r.status == 200, (path, r)
            assert r.etag == '"1"', (path, r.etag)
            assert first.is_alive(), f"{path} answered only after the push"
        assert d.get("/v1/state").json["state"]["vips"][0]["backends"][0]["weight"] == 100
        vips = d.get("/v1/vips").json["vips"]
        assert vips[0]["packets"] == 7  # the last counters read, not a wait
        assert "sluice_state_version 1" in d.get("/metrics").raw
        assert d.get("/v1/status").json["version"] == 1
    finally:
        dp.release()
        first.join(30)
        second.join(30)
    assert results["first"].status == 200 and results["first"].json["version"] == 2, \
        results["first"]
    assert results["second"].status == 412, results["second"]
    assert d.version() == 2 and dp.last()["vips"][0]["backends"][0]["weight"] == 5


def test_slow_push_is_not_a_lost_dataplane(env):
    """A STATUS the reconciler sends while a commit's APPLY is in flight waits
    behind it and times out: that says nothing about the dataplane. It must
    not be taken for a lost dataplane (which re-pushed the same config as a
    new generation and, in a cluster, withdrew every announcement)."""
    d, dp = env
    assert d.put_state(state()).status == 200
    n = dp.n_applied()
    dp.hold_apply()
    results = []
    t = threading.Thread(target=lambda: results.append(
        d.put_state(state(weights=(5, 5)), version=1, timeout=30)))
    t.start()
    try:
        assert dp.applying.wait(5), "the APPLY never reached the dataplane"
        time.sleep(1.6)  # STATUS times out after 1 s behind the APPLY
    finally:
        dp.release()
        t.join(30)
    assert results and results[0].status == 200, results
    time.sleep(1.0)  # a few reconcile periods
    assert dp.n_applied() == n + 1, f"{dp.n_applied() - n} APPLYs for one commit"
    assert "dataplane lost" not in d.log(), d.log()
    st = d.get("/v1/status").json["dataplane"]
    assert st["up"] and st["current"], st


# --------------------------------------------------------------------------
# systemd: Type=notify readiness and the watchdog


def test_sd_notify_ready_and_watchdog(fresh):
    work, started = fresh
    dp = FakeDP(os.path.join(work, "dp.sock")).start()
    started.append(dp)
    path = os.path.join(work, "notify.sock")
    ns = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    ns.bind(path)
    ns.settimeout(5)
    try:
        d = Sluiced(work, dp.path, env={"NOTIFY_SOCKET": path, "WATCHDOG_USEC": "400000"})
        started.append(d)
        d.start(wait=False)
        msgs = []
        deadline = time.monotonic() + 10
        while not any("READY=1" in m for m in msgs) and time.monotonic() < deadline:
            msgs.append(ns.recv(4096).decode())
        assert any("READY=1" in m for m in msgs), msgs[:5]
        # Ready means the API answers.
        assert d.get("/v1/status", timeout=2).status == 200
        assert any("STATUS=version 0" in m for m in msgs), msgs
        # Fed at half the watchdog period from the reconcile loop.
        dogs = 0
        deadline = time.monotonic() + 3
        while dogs < 3 and time.monotonic() < deadline:
            dogs += "WATCHDOG=1" in ns.recv(4096).decode()
        assert dogs >= 3, f"{dogs} watchdog pings"
        d.stop()
        rest = []
        ns.settimeout(2)
        try:
            while True:
                rest.append(ns.recv(4096).decode())
        except socket.timeout:
            pass
        assert any("STOPPING=1" in m for m in rest), rest
    finally:
        ns.close()


# --------------------------------------------------------------------------
# Hostile clients and a hostile disk


def raw_exchange(d, data, timeout=5):
    """Send raw bytes on the Unix socket; return what comes back until close."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as c:
        c.settimeout(timeout)
        c.connect(d.sock)
        c.sendall(data)
        out = b""
        try:
            while True:
                chunk = c.recv(65536)
                if not chunk:
                    break
                out += chunk
        except (socket.timeout, ConnectionResetError):
            pass
        return out.decode(errors="replace")


def test_hostile_requests(env):
    d, _ = env
    assert d.put_state(state()).status == 200
    # Paths: too long, traversal, overflowing numbers, bytes that are not text.
    r = d.get("/v1/vips/" + "a" * 300)
    assert r.status == 414 and r.error()["code"] == "too_long", r
    for path, status in [("/v1/history/../../../etc/passwd", 404),
                         ("/v1/history/%2e%2e%2f%2e%2e%2fetc%2fpasswd", 404),
                         ("/v1/history/99999999999999999999", 400),
                         ("/v1/history/-1", 400), ("/v1/history/1x", 400),
                         ("/v1/vips/tcp/192.0.2.80/80%00/x", 404),
                         ("/v1/vips/tcp/%ff%fe/80", 400)]:
        r = d.get(path)
        assert r.status == status, (path, r)
    r = d.write("POST", "/v1/rollback", {"version": 2 ** 63 - 1})
    assert r.status == 404, r
    r = d.write("POST", "/v1/rollback", {"version": 1.5})
    assert r.status == 400 and r.error()["field"] == "version", r
    r = d.request("PUT", "/v1/state", body=state(),
                  headers={"If-Match": '"99999999999999999999"'})
    assert r.status == 400 and r.error()["field"] == "If-Match", r
    # Nothing from the request reaches a response header.
    head = raw_exchange(d, b"GET /v1/x%0d%0aSet-Cookie:%20a=b HTTP/1.1\r\nHost: x\r\n"
                           b"Connection: close\r\n\r\n")
    assert head.startswith("HTTP/1.1 404") and "\r\nSet-Cookie" not in head, head
    # A 100 kB header: refused by the HTTP layer, the daemon is fine.
    head = raw_exchange(d, b"GET /v1/state HTTP/1.1\r\nHost: x\r\nX-Big: " +
                        b"a" * 100000 + b"\r\n\r\n")
    assert head == "" or head.split()[1] in ("400", "413", "414", "431"), head[:100]
    assert d.get("/v1/state").status == 200 and d.alive()
    # Deeply nested JSON: refused as JSON, no stack exhaustion.
    r = d.put_state(None, raw=b"[" * 100000 + b"]" * 100000)
    assert r.status == 400 and r.error()["code"] == "bad_json", r
    deep = b'{"vips": [{"health_check": ' + b'{"a": ' * 1000 + b"1" + b"}" * 1000 + b"}]}"
    r = d.put_state(None, raw=deep)
    assert r.status == 400, r
    # An unknown key is named escaped and cut short, on /v1/node as everywhere.
    r = d.request("PUT", "/v1/node", {"maint\nenance" + "x" * 300: True})
    assert r.status == 400 and r.error()["code"] == "unknown_field", r
    assert r.error()["field"].startswith("maint\\x0aenance") and len(r.error()["field"]) < 64, r
    assert d.version() == 1 and d.alive()


def test_idle_and_greedy_clients(env):
    """An idle connection (a request sent a byte at a time, or never) is
    closed after --client-timeout; one TCP address gets at most
    --max-clients-per-ip connections, and others are still served."""
    d, _ = env
    d.stop()
    tokens = os.path.join(d.workdir, "tokens")
    with open(tokens, "w") as f:
        f.write("ci admin aaaaaaaaaaaaaaaaaaaaaaaa\n")
    os.chmod(tokens, 0o600)
    port = free_port()
    d.extra = ["--client-timeout", "1", "--max-clients-per-ip", "4", "--listen",
               f"127.0.0.1:{port}", "--tokens", tokens]
    d.start()
    slow = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    slow.settimeout(6)
    slow.connect(d.sock)
    slow.sendall(b"GET /v1/state HTTP/1.1\r\nHo")  # and nothing more
    t0 = time.monotonic()
    try:
        assert slow.recv(100) == b"", "an idle connection was not closed"
    except ConnectionResetError:
        pass
    assert time.monotonic() - t0 < 5  # the bounded wait: timeout 1 s plus a margin
    slow.close()
    d.stop()
    d.extra[1] = "30"  # --client-timeout: the held connections must stay
    d.start()
    held = []
    try:
        for _ in range(4):
            c = socket.create_connection(("127.0.0.1", port), timeout=3)
            c.sendall(b"GET /v1/state HTTP/1.1\r\n")  # keep it open
            held.append(c)
        extra = socket.create_connection(("127.0.0.1", port), timeout=3)
        held.append(extra)
        answer = b""
        try:
            extra.sendall(b"GET /v1/state HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            answer = extra.recv(100)
        except (ConnectionResetError, BrokenPipeError):
            pass
        assert answer == b"", f"a fifth connection from one address was served: {answer!r}"
        # Other listeners (and so other clients) are still served.
        assert d.get("/v1/state").status == 200
    finally:
        for c in held:
            c.close()
    admin = {"Authorization": "Bearer aaaaaaaaaaaaaaaaaaaaaaaa"}

    def served():
        # The server notices the closes in its own time: until then the
        # address is still at its limit and a new connection is cut.
        try:
            return d.get("/v1/state", tcp=("127.0.0.1", port), headers=admin).status == 200
        except (ConnectionError, OSError):
            return False

    assert wait_for(served, timeout=5)


@pytest.fixture
def small_disk(env):
    """sluiced whose state directory is on a 1 MiB tmpfs of our own."""
    d, dp = env
    d.stop()
    mnt = os.path.join(d.workdir, "small")
    os.makedirs(mnt)
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", mnt], check=True)
    try:
        d.state_dir = os.path.join(mnt, "state")
        d.start()
        yield d, dp, mnt
    finally:
        d.stop()
        subprocess.run(["umount", "-l", mnt], check=False)


def fill(mnt):
    """Fill the file system; return the filler's path."""
    path = os.path.join(mnt, "filler")
    with open(path, "wb") as f:
        try:
            while True:
                f.write(b"\0" * 65536)
                f.flush()
        except OSError:
            pass
    return path


def test_full_or_read_only_state_dir(small_disk):
    d, dp, mnt = small_disk
    assert d.put_state(state()).status == 200
    before = d.state()
    filler = fill(mnt)
    big = state(weights=tuple(range(1, 200)))  # a version file larger than what is left
    r = d.put_state(big)
    assert r.status == 500 and r.error()["code"] == "internal", r
    assert "No space left on device" in r.error()["message"], r
    assert "version 1 is current" in r.error()["message"], r
    assert d.version() == 1 and d.state() == before
    # The dataplane had taken the new config: the reconciler puts version 1 back.
    assert wait_for(lambda: len(dp.last()["vips"][0]["backends"]) == 2, timeout=3), \
        dp.last()["vips"][0]["backends"][:3]
    assert wait_for(lambda: d.get("/v1/status").json["dataplane"]["current"], timeout=3)
    os.unlink(filler)
    r = d.put_state(big)
    assert r.status == 200 and r.json["version"] == 2, r
    # Read-only (remounted while sluiced is stopped: it holds the audit log
    # open): it starts and serves reads; a write is 500 with the reason.
    d.stop()
    subprocess.run(["mount", "-o", "remount,ro", mnt], check=True)
    d.start()
    assert d.version() == 2 and d.get("/v1/history").status == 200
    r = d.put_state(state(weights=(3, 4)))
    assert r.status == 500 and "Read-only file system" in r.error()["message"], r
    assert d.version() == 2 and d.alive()
    d.stop()
    subprocess.run(["mount", "-o", "remount,rw", mnt], check=True)
    d.start()
    assert d.put_state(state(weights=(3, 4))).json["version"] == 3
    # Restarted, it reads back exactly what was committed, nothing half-written.
    d.stop()
    d.start()
    assert d.version() == 3 and [b["weight"] for b in d.state()["vips"][0]["backends"]] == [3, 4]


# --------------------------------------------------------------------------
# Maglev table digests, as sluice-dp's STATUS reports them ("tables")


def test_table_digests_follow_the_dataplane(env):
    d, dp = env
    s = state()
    s["vips"].append({"address": "2001:db8::80", "protocol": "udp", "port": 53,
                      "backends": [{"address": "2001:db8::1"}]})
    assert d.put_state(s).status == 200

    def reported():
        st = d.get("/v1/status").json["dataplane"].get("tables", {})
        vips = {v["vip"]: v.get("table_digest") for v in d.get("/v1/vips").json["vips"]}
        m = dict(re.findall(r'^sluice_vip_table_info\{vip="([^"]+)",digest="([0-9a-f]{16})"\} 1$',
                            d.get("/metrics").raw, re.M))
        return st, vips, m

    def want():
        return {f'{t["protocol"]}/{t["address"]}/{t["port"]}': t["digest"] for t in dp.tables()}

    w = want()
    assert len(w) == 2 and len(set(w.values())) == 2
    assert wait_for(lambda: reported() == (w, w, w), timeout=3), (reported(), w)
    # A change of the pool changes the dataplane's table: sluiced follows.
    assert d.put_state(state(weights=(100, 7)) | {"vips": [state(weights=(100, 7))["vips"][0],
                                                           s["vips"][1]]}).status == 200
    w2 = want()
    assert w2[VIP] != w[VIP] and w2["udp/2001:db8::80/53"] == w["udp/2001:db8::80/53"]
    assert wait_for(lambda: reported() == (w2, w2, w2), timeout=3), (reported(), w2)
    # A dataplane that is gone runs no table: no digest is shown for it.
    dp.stop()
    none = ({}, {VIP: None, "udp/2001:db8::80/53": None}, {})
    assert wait_for(lambda: reported() == none, timeout=3), reported()
