# SPDX-License-Identifier: BSD-3-Clause
"""lbadm against a real sluiced (no dataplane): every verb's --help, the
exit codes, errors that name the field, YAML and JSON input, apply's diff
against the API's own, history and rollback, idempotence, TCP with tokens,
and the bounded 412 retry (against a scripted fake, to count attempts)."""

import json
import os
import socket
import socketserver
import subprocess
import threading
from http.server import BaseHTTPRequestHandler

import pytest

from conftest import BASE, Sluiced, lbadm_path

VIP = "192.0.2.80:80"
VIPID = "tcp/192.0.2.80/80"


def run(*args, **kw):
    return subprocess.run([lbadm_path(), *args], capture_output=True, text=True, timeout=30,
                          **kw)


def jerr(p):
    """The {"error": {...}} lbadm printed with -j."""
    doc = json.loads(p.stdout)
    assert set(doc) == {"error"}, doc
    return doc["error"]


def pool(sld, weights=(("10.0.1.1", 100), ("10.0.1.2", 100), ("10.0.1.3", 200))):
    assert sld.lbadm("vip", "add", "-t", VIP).returncode == 0
    for addr, w in weights:
        p = sld.lbadm("backend", "add", "-t", VIP, "-r", addr, "-w", w)
        assert p.returncode == 0, p.stderr


def backends(sld, vipid=VIPID):
    for v in sld.state().get("vips", []):
        if f"{v['protocol']}/{v['address']}/{v.get('port', 0)}" == vipid:
            return {b["address"]: (b.get("weight", 100), b.get("state", "active"))
                    for b in v.get("backends", [])}
    return None


# ---- help, usage, unreachable

def test_help_for_every_verb():
    verbs = run("--list-commands").stdout.split("\n")
    verbs = [v for v in verbs if v]
    assert len(verbs) > 20 and "backend drain" in verbs and "apply" in verbs
    for v in verbs:
        p = run(*v.split(), "--help")
        assert p.returncode == 0, (v, p.stderr)
        assert p.stdout.startswith(f"usage: lbadm {v}") or v == "help", (v, p.stdout[:80])
    for obj in ("vip", "backend", "filter"):
        p = run(obj, "--help")
        assert p.returncode == 0 and f"lbadm {obj} " in p.stdout
    p = run("--help")
    assert p.returncode == 0 and "exit status" in p.stdout
    assert run("--version").stdout.startswith("lbadm ")


USAGE = [
    ([], "a verb is required"),
    (["frobnicate"], "unknown verb 'frobnicate'"),
    (["st"], "'st' is ambiguous: status, stats"),
    (["vip"], "a verb is required"),
    (["vip", "add"], "which VIP?"),
    (["vip", "add", "-t", "192.0.2.80"], "missing :PORT"),
    (["vip", "add", "-t", "192.0.2.80:99999"], "above 65535"),
    (["vip", "add", "-t", "2001:db8::1:80"], "in brackets"),
    (["vip", "edit", "-t", VIP], "nothing to change"),
    (["vip", "add", "-t", VIP, "--slow-start", "ten"], "--slow-start: 'ten'"),
    (["backend", "add", "-t", VIP], "which backend?"),
    (["backend", "add", "-t", VIP, "-r", "10.0.1.1:8080"], "VIP's port 80"),
    (["backend", "add", "-t", VIP, "-r", "2001:db8::1"], "IPv6 backend for an IPv4 VIP"),
    (["backend", "weight", "-t", VIP, "-r", "10.0.1.1"], "which weight?"),
    (["backend", "weight", "-t", VIP, "-r", "10.0.1.1", "-w", "x"], "--weight: 'x'"),
    (["backend", "drain", "-t", VIP, "-r", "10.0.1.1", "--mac", "x"], "does not apply"),
    (["backend", "drain", "-t", VIP, "-r", "10.0.1.1", "extra"], "unexpected argument"),
    (["list", "--bogus"], "unknown option '--bogus'"),
    (["apply"], "which file?"),
    (["apply", "-f"], "needs a value"),
    (["history", "abc"], "'abc' is not a version"),
    (["rollback", "1", "2"], "unexpected argument"),
    (["filter", "mode", "loud"], "not enforce or monitor"),
    (["--timeout", "0", "list"], "--timeout"),
    (["-x", "list"], "unknown option '-x'"),
]


@pytest.mark.parametrize("args,why", USAGE, ids=[" ".join(a) or "(none)" for a, _ in USAGE])
def test_usage_exit_2(sld, args, why):
    v = sld.version()
    p = sld.lbadm(*args)
    assert p.returncode == 2, (p.returncode, p.stderr)
    assert why in p.stderr, p.stderr
    assert p.stdout == "" or not args  # no verb: usage text goes to stderr too
    p = sld.lbadm(*args, json_out=True)
    assert p.returncode == 2
    e = jerr(p)
    assert e["code"] == "usage" and e["exit_code"] == 2 and why in e["message"]
    assert sld.version() == v


def test_unreachable_exit_3(tmp_path):
    p = run("-s", str(tmp_path / "nothing.sock"), "list")
    assert p.returncode == 3
    assert "cannot reach sluiced" in p.stderr and "nothing.sock" in p.stderr
    p = run("-s", str(tmp_path / "nothing.sock"), "-j", "backend", "drain", "-t", VIP,
            "-r", "10.0.1.1")
    assert p.returncode == 3 and jerr(p)["code"] == "unreachable"
    # Something that is not sluiced: a socket that closes at once.
    path = str(tmp_path / "mute.sock")
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(path)
    srv.listen(4)

    def mute():
        for _ in range(2):
            try:
                c, _ = srv.accept()
                c.close()
            except OSError:
                return
    t = threading.Thread(target=mute, daemon=True)
    t.start()
    p = run("-s", path, "status")
    srv.close()
    assert p.returncode == 3, p.stderr


# ---- the imperative path

def test_pool_lifecycle(base):
    sld = base
    pool(sld)
    assert backends(sld) == {"10.0.1.1": (100, "active"), "10.0.1.2": (100, "active"),
                             "10.0.1.3": (200, "active")}
    p = sld.lbadm("list")
    assert p.returncode == 0
    lines = p.stdout.splitlines()
    assert any(line.startswith("TCP  192.0.2.80:80") for line in lines), p.stdout
    for a in ("10.0.1.1", "10.0.1.2", "10.0.1.3"):
        assert any(line.strip().startswith(f"-> {a} ") for line in lines), p.stdout

    p = sld.lbadm("list", json_out=True)
    view = json.loads(p.stdout)
    bes = {b["address"]: b for b in view["vips"][0]["backends"]}
    assert bes["10.0.1.3"]["weight"] == 200 and bes["10.0.1.3"]["effective_weight"] == 200

    steps = [
        (["backend", "weight", "-t", VIP, "-r", "10.0.1.2", "50"], "10.0.1.2", (50, "active")),
        (["backend", "weight", "-t", VIP, "-r", "10.0.1.2", "-w", "0"], "10.0.1.2", (0, "active")),
        (["backend", "drain", "-t", VIP, "-r", "10.0.1.1"], "10.0.1.1", (100, "draining")),
        (["backend", "disable", VIPID, "-r", "10.0.1.1"], "10.0.1.1", (100, "disabled")),
        (["b", "en", "-t", VIP, "-r", "10.0.1.1"], "10.0.1.1", (100, "active")),
        (["backend", "edit", "-t", VIP, "-r", "10.0.1.3", "-w", "7", "--state", "draining"],
         "10.0.1.3", (7, "draining")),
    ]
    for args, addr, want in steps:
        v = sld.version()
        p = sld.lbadm(*args)
        assert p.returncode == 0, (args, p.stderr)
        assert f"version {v} -> {v + 1}" in p.stdout, p.stdout
        assert "(pending: sluice-dp is not running it yet" in p.stdout  # no dataplane here
        assert backends(sld)[addr] == want, (args, backends(sld))

    p = sld.lbadm("backend", "delete", "-t", VIP, "-r", "10.0.1.3")
    assert p.returncode == 0 and "10.0.1.3" not in backends(sld)
    p = sld.lbadm("vip", "edit", "-t", VIP, "--hash", "src_ip", "-g")
    assert p.returncode == 1  # l2 needs every backend's MAC: the API says which
    assert "mac" in p.stderr, p.stderr
    p = sld.lbadm("vip", "edit", "-t", VIP, "--hash", "src_ip")
    assert p.returncode == 0, p.stderr
    assert sld.state()["vips"][0]["hash"] == "src_ip"
    p = sld.lbadm("vip", "delete", "-t", VIP)
    assert p.returncode == 0 and not sld.state().get("vips")


def test_ipv6_and_canonical_names(base):
    sld = base
    assert sld.lbadm("vip", "add", "-u", "[2001:DB8:0::53]:53", "--hash", "src_ip_port"
                     ).returncode == 0
    p = sld.lbadm("backend", "add", "-u", "[2001:db8::53]:53", "-r", "2001:DB8:1:0::1")
    assert p.returncode == 0, p.stderr
    assert backends(sld, "udp/2001:db8::53/53") == {"2001:db8:1::1": (100, "active")}
    p = sld.lbadm("backend", "drain", "udp/2001:db8::53/53", "-r", "[2001:db8:1::1]:53")
    assert p.returncode == 0, p.stderr
    p = sld.lbadm("list", "-u", "[2001:db8::53]:53")
    assert "UDP  [2001:db8::53]:53" in p.stdout and "2001:db8:1::1" in p.stdout


def test_idempotent_change_is_unchanged(base):
    sld = base
    pool(sld)
    assert sld.lbadm("backend", "drain", "-t", VIP, "-r", "10.0.1.1").returncode == 0
    v = sld.version()
    p = sld.lbadm("backend", "drain", "-t", VIP, "-r", "10.0.1.1")
    assert p.returncode == 0 and "unchanged" in p.stdout
    p = sld.lbadm("backend", "drain", "-t", VIP, "-r", "10.0.1.1", json_out=True)
    assert json.loads(p.stdout)["changed"] is False
    assert sld.version() == v


def test_exists_exit_4(base):
    sld = base
    pool(sld)
    v = sld.version()
    p = sld.lbadm("vip", "add", "-t", VIP)
    assert p.returncode == 4 and "exists" in p.stderr
    p = sld.lbadm("backend", "add", "-t", VIP, "-r", "10.0.1.1", json_out=True)
    assert p.returncode == 4 and jerr(p)["code"] == "exists"
    assert sld.version() == v


def test_not_found_exit_5(base):
    sld = base
    pool(sld)
    v = sld.version()
    for args in (["backend", "drain", "-t", "192.0.2.81:80", "-r", "10.0.1.1"],
                 ["backend", "drain", "-t", VIP, "-r", "10.0.1.9"],
                 ["backend", "delete", "-t", VIP, "-r", "10.0.1.9"],
                 ["vip", "delete", "-u", VIP],
                 ["vip", "show", "-t", "192.0.2.80:81"],
                 ["list", "-t", "192.0.2.80:81"],
                 ["history", "999"],
                 ["rollback", "999"]):
        p = sld.lbadm(*args)
        assert p.returncode == 5, (args, p.returncode, p.stderr)
        p = sld.lbadm(*args, json_out=True)
        assert p.returncode == 5 and jerr(p)["exit_code"] == 5, args
    assert sld.version() == v


def test_refused_exit_1_names_field(base):
    sld = base
    pool(sld)
    v = sld.version()
    p = sld.lbadm("backend", "weight", "-t", VIP, "-r", "10.0.1.1", "70000")
    assert p.returncode == 1
    assert "weight" in p.stderr and "65535" in p.stderr, p.stderr
    e = jerr(sld.lbadm("backend", "weight", "-t", VIP, "-r", "10.0.1.1", "70000",
                       json_out=True))
    assert e["code"] == "invalid_field" and "weight" in e["field"] and e["exit_code"] == 1
    p = sld.lbadm("backend", "edit", "-t", VIP, "-r", "10.0.1.1", "--state", "down")
    assert p.returncode == 1 and "state" in p.stderr, p.stderr
    p = sld.lbadm("vip", "edit", "-t", VIP, "--hash", "round_robin")
    assert p.returncode == 1 and "hash" in p.stderr, p.stderr
    p = sld.lbadm("vip", "edit", "-t", VIP, "--check", "http", "--check-interval", "5")
    assert p.returncode == 1 and "interval_ms" in p.stderr, p.stderr
    assert sld.version() == v


# ---- the declarative path

POOLS_YAML = """\
# the web pool
nexthop_mac: "02:00:00:00:00:fe"
seed: 1234
vips:
  - address: 192.0.2.80
    protocol: tcp
    port: 80
    hash: 5tuple
    health_check: {type: tcp, interval_ms: 2000, timeout_ms: 500}
    backends:
      - {address: 10.0.1.1, weight: 100}
      - {address: 10.0.1.2, weight: 50}
      - address: 10.0.1.3
        state: draining
  - address: "2001:db8::53"
    protocol: udp
    port: 53
    backends:
      - address: 2001:db8:1::1
"""


def pools(seed=1234, w2=50, third=("10.0.1.3", "draining")):
    """The same document as POOLS_YAML (with changes), as JSON."""
    b3 = {"address": third[0]}
    if third[1] != "active":
        b3["state"] = third[1]
    return {
        "nexthop_mac": "02:00:00:00:00:fe", "seed": seed,
        "vips": [
            {"address": "192.0.2.80", "protocol": "tcp", "port": 80, "hash": "5tuple",
             "health_check": {"type": "tcp", "interval_ms": 2000, "timeout_ms": 500},
             "backends": [{"address": "10.0.1.1", "weight": 100},
                          {"address": "10.0.1.2", "weight": w2}, b3]},
            {"address": "2001:db8::53", "protocol": "udp", "port": 53,
             "backends": [{"address": "2001:db8:1::1"}]},
        ],
    }


def changed_yaml():
    return POOLS_YAML.replace("weight: 50", "weight: 75").replace(
        "      - address: 10.0.1.3\n        state: draining\n", "      - address: 10.0.1.4\n"
    ).replace("seed: 1234", "seed: 99")


def write(tmp_path, name, text):
    p = tmp_path / name
    p.write_text(text)
    return str(p)


def test_apply_yaml_and_json_are_the_same(sld, tmp_path):
    y = write(tmp_path, "pools.yaml", POOLS_YAML)
    p = sld.lbadm("apply", "-f", y)
    assert p.returncode == 0, p.stderr
    assert "apply: version 0 -> 1" in p.stdout
    # The API, given the JSON form, sees nothing to change.
    st, dry, _ = sld.api("PUT", "/v1/state?dry_run=1", pools())
    assert st == 200 and dry["changed"] is False and dry["diff"] == [], dry
    # export -> JSON file -> apply: nothing changes
    exp = sld.lbadm("export")
    assert exp.returncode == 0
    p = sld.lbadm("apply", "-f", write(tmp_path, "pools.json", exp.stdout))
    assert p.returncode == 0 and "no changes against version 1" in p.stdout, p.stdout
    p = sld.lbadm("apply", "-f", write(tmp_path, "pools2.json", json.dumps(pools())))
    assert p.returncode == 0 and "no changes against version 1" in p.stdout, p.stdout
    # and the same from stdin
    p = sld.lbadm("apply", "-f", "-", input=POOLS_YAML)
    assert p.returncode == 0 and "no changes" in p.stdout
    assert sld.version() == 1


def test_apply_dry_run_prints_the_api_diff(sld, tmp_path):
    assert sld.lbadm("apply", "-f", write(tmp_path, "a.yaml", POOLS_YAML)).returncode == 0
    f = write(tmp_path, "b.yaml", changed_yaml())
    v = sld.version()
    p = sld.lbadm("apply", "-f", f, "--dry-run", json_out=True)
    assert p.returncode == 0, p.stderr
    ours = json.loads(p.stdout)
    st, api, _ = sld.api("PUT", "/v1/state?dry_run=1",
                         pools(seed=99, w2=75, third=("10.0.1.4", "active")))
    assert st == 200
    assert ours == api, (ours, api)
    assert {d["path"] for d in ours["diff"]} >= {
        "seed", "vips[tcp/192.0.2.80/80].backends[10.0.1.2].weight",
        "vips[tcp/192.0.2.80/80].backends[10.0.1.3]",
        "vips[tcp/192.0.2.80/80].backends[10.0.1.4]"}
    text = sld.lbadm("apply", "-f", f, "--dry-run")
    lines = text.stdout.splitlines()
    assert lines[0] == f"dry run: {len(ours['diff'])} changes against version {v}:"
    assert len(lines) == 1 + len(ours["diff"])
    assert "~ vips[tcp/192.0.2.80/80].backends[10.0.1.2].weight: 50 -> 75" in lines
    assert "~ seed: 1234 -> 99" in lines
    assert any(x.startswith("- vips[tcp/192.0.2.80/80].backends[10.0.1.3]: {") for x in lines)
    assert any(x.startswith("+ vips[tcp/192.0.2.80/80].backends[10.0.1.4]: {") for x in lines)
    assert sld.version() == v  # a dry run changes nothing
    # The real apply shows the same diff and commits it.
    p = sld.lbadm("apply", "-f", f, json_out=True)
    assert p.returncode == 0, p.stdout
    done = json.loads(p.stdout)
    assert done["diff"] == ours["diff"] and done["previous_version"] == v
    assert done["version"] == v + 1 and sld.version() == v + 1


def test_apply_refused_changes_nothing(sld, tmp_path):
    assert sld.lbadm("apply", "-f", write(tmp_path, "a.yaml", POOLS_YAML)).returncode == 0
    v, before = sld.version(), sld.state()
    cases = [
        # (file text, exit, words the message must have)
        (POOLS_YAML.replace("weight: 50", "weight: 70000"), 1,
         ["vips[tcp/192.0.2.80/80].backends[10.0.1.2].weight", "65535"]),
        (POOLS_YAML.replace("hash: 5tuple", "hash: 5tuple\n    wieght: 3"), 1,
         ["wieght"]),
        # YAML traps: refused by lbadm itself, with line, column and path
        (POOLS_YAML.replace("weight: 50", "weight: 0800"), 1,
         ["b.yaml:12:", "vips[0].backends[1].weight: '0800'"]),
        (POOLS_YAML.replace("hash: 5tuple", "hash: on"), 1,
         ["b.yaml:8:11: vips[0].hash: 'on' is a boolean to YAML 1.1"]),
        (POOLS_YAML.replace("weight: 50", "weight: 1e3"), 1, ["'1e3'"]),
        (POOLS_YAML.replace("seed: 1234", "seed: 1234\nseed: 5"), 1, ["duplicate key 'seed'"]),
        (POOLS_YAML + "---\nmtu: 9000\n", 1, ["more than one YAML document"]),
        ("- 1\n- 2\n", 1, ["must be a mapping"]),
        ("vips: [\n", 1, ["invalid YAML"]),
        ('{"mtu": 1500, "mtu": 9000}', 1, ["duplicate"]),
    ]
    for text, code, words in cases:
        f = write(tmp_path, "b.yaml", text)
        p = sld.lbadm("apply", "-f", f)
        assert p.returncode == code, (text, p.returncode, p.stdout, p.stderr)
        for w in words:
            assert w in p.stderr, (w, p.stderr)
        e = jerr(sld.lbadm("apply", "-f", f, json_out=True))
        assert e["exit_code"] == code
    p = sld.lbadm("apply", "-f", str(tmp_path / "missing.yaml"))
    assert p.returncode == 1 and "missing.yaml: No such file or directory" in p.stderr
    assert sld.version() == v and sld.state() == before


def test_apply_expect_version(sld, tmp_path):
    f = write(tmp_path, "a.yaml", POOLS_YAML)
    p = sld.lbadm("apply", "-f", f, "--expect-version", "3")
    assert p.returncode == 4 and "version 0, not 3" in p.stderr
    assert sld.version() == 0
    p = sld.lbadm("apply", "-f", f, "--expect-version", "0")
    assert p.returncode == 0 and sld.version() == 1


def test_history_and_rollback(sld, tmp_path):
    assert sld.lbadm("apply", "-f", write(tmp_path, "a.yaml", POOLS_YAML)).returncode == 0
    v1 = sld.state()
    assert sld.lbadm("backend", "weight", "-t", VIP, "-r", "10.0.1.1", "10").returncode == 0
    assert sld.lbadm("backend", "drain", "-t", VIP, "-r", "10.0.1.2").returncode == 0
    assert sld.version() == 3
    p = sld.lbadm("history")
    rows = p.stdout.splitlines()
    assert rows[0].split() == ["VERSION", "TIME", "WHO", "SUMMARY"]
    assert [r.split()[0] for r in rows[1:]] == ["3", "2", "1", "0"]
    assert "10.0.1.2" in rows[1] and "uid:" in rows[1]
    h = json.loads(sld.lbadm("history", "--limit", "2", json_out=True).stdout)
    assert [e["version"] for e in h["history"]] == [3, 2]
    # The API's bounds (1..10000): a usage error here, not a refusal from sluiced.
    assert sld.lbadm("history", "--limit", "10000").returncode == 0
    p = sld.lbadm("history", "--limit", "10001")
    assert p.returncode == 2 and "1..10000" in p.stderr, p.stderr
    p = sld.lbadm("history", "1")
    assert p.stdout.startswith("# version 1,")
    assert json.loads(p.stdout.split("\n", 1)[1]) == v1

    # default: back to the version before (2): 10.0.1.2 active again
    p = sld.lbadm("rollback", "--dry-run")
    assert p.returncode == 0 and "backends[10.0.1.2].state" in p.stdout and sld.version() == 3
    p = sld.lbadm("rollback")
    assert p.returncode == 0, p.stderr
    assert "rollback to 2: version 3 -> 4" in p.stdout
    assert backends(sld)["10.0.1.2"] == (50, "active")
    # to an explicit version: the state equals it
    p = sld.lbadm("rollback", "1", json_out=True)
    assert p.returncode == 0 and json.loads(p.stdout)["restored"] == 1
    assert sld.state() == v1 and sld.version() == 5
    # again: nothing to do
    p = sld.lbadm("rollback", "1")
    assert p.returncode == 0 and "no changes" in p.stdout and sld.version() == 5
    p = sld.lbadm("rollback", "1", "--expect-version", "4")
    assert p.returncode == 4


def test_json_output_of_reads(base):
    sld = base
    pool(sld)
    for verb in (["status"], ["list"], ["list", "--stats"], ["health"], ["export"],
                 ["history"], ["vip", "show", "-t", VIP], ["metrics"]):
        p = sld.lbadm(*verb, json_out=True)
        assert p.returncode == 0, (verb, p.stderr)
        doc = json.loads(p.stdout)
        assert isinstance(doc, dict), verb
    assert json.loads(sld.lbadm("status", json_out=True).stdout)["node"] == "lbadm-test"
    m = sld.lbadm("metrics").stdout
    assert "sluice_state_version" in m
    # No dataplane here: stats says so (exit 3: what sits behind sluiced is unreachable).
    p = sld.lbadm("stats")
    assert p.returncode == 3, (p.returncode, p.stderr)
    assert "sluice-dp" in p.stderr


# ---- TCP and tokens

def test_tcp_with_tokens(tmp_path):
    tokens = tmp_path / "tokens"
    tokens.write_text("# name role secret\nops admin s3cr3t-admin-0123456789\nviewer read s3cr3t-read-0123456789\n")
    os.chmod(tokens, 0o600)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    sld = Sluiced(["--listen", f"127.0.0.1:{port}", "--tokens", str(tokens)], tag="tcp")
    try:
        sld.start()
        host = ["-H", f"http://127.0.0.1:{port}"]
        admin = tmp_path / "admin.token"
        admin.write_text("s3cr3t-admin-0123456789\n")
        os.chmod(admin, 0o600)
        reader = tmp_path / "read.token"
        reader.write_text("# read only\n\n  s3cr3t-read-0123456789  \n")
        os.chmod(reader, 0o600)
        assert run(*host, "status").returncode == 6  # no token
        p = run(*host, "--token-file", str(admin), "apply", "-f", "-",
                input=json.dumps(BASE))
        assert p.returncode == 0, p.stderr
        p = run(*host, "--token-file", str(reader), "vip", "add", "-t", VIP)
        assert p.returncode == 6 and "forbidden" in p.stderr, p.stderr
        p = run(*host, "--token-file", str(reader), "list")
        assert p.returncode == 0
        env = dict(os.environ, SLUICE_TOKEN="s3cr3t-admin-0123456789")
        p = run(*host, "vip", "add", "-t", VIP, env=env)
        assert p.returncode == 0, p.stderr
        env["SLUICE_TOKEN"] = "wrong"
        p = run(*host, "-j", "list", env=env)
        assert p.returncode == 6 and jerr(p)["code"] == "unauthorized"
        p = run(*host, "--token-file", str(tmp_path / "none"), "list")
        assert p.returncode == 2 and "--token-file" in p.stderr
        os.chmod(admin, 0o644)
        p = run(*host, "--token-file", str(admin), "list")
        assert p.returncode == 0 and "readable by others" in p.stderr
    finally:
        sld.stop()


# ---- the bounded retry on 412, against a scripted fake API

class Fake(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True


def fake_api(path, script):
    """A fake sluiced on @path: GETs answer version 7 with one VIP and
    backend; writes pop their status from @script (412 or 200). Returns
    (server, list of (method, path, If-Match) seen)."""
    seen = []

    class H(BaseHTTPRequestHandler):
        def log_message(self, *a):
            pass

        def address_string(self):
            return "unix"

        def _send(self, status, body):
            raw = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("ETag", '"7"')
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

        def do_GET(self):
            seen.append(("GET", self.path, self.headers.get("If-Match")))
            vip = {"address": "192.0.2.80", "protocol": "tcp", "port": 80,
                   "backends": [{"address": "10.0.1.1", "weight": 100}]}
            self._send(200, {"version": 7, "vip": vip, "state": {"vips": [vip]},
                             "filter": {}})

        def _write(self):
            n = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(n) if n else b""
            seen.append((self.command, self.path, self.headers.get("If-Match")))
            if self.path.endswith("dry_run=1"):
                self._send(200, {"version": 7, "changed": True,
                                 "diff": [{"op": "change", "path": "mtu", "old": 1500,
                                           "new": 9000}]})
                return
            st = script.pop(0) if script else 200
            if st == 412:
                self._send(412, {"error": {"status": 412, "code": "version_mismatch",
                                           "message": "the state is at version 8",
                                           "current_version": 8}})
            else:
                self._send(200, {"version": 8, "changed": True, "echo": body.decode()})

        do_PUT = do_PATCH = do_POST = do_DELETE = _write

    srv = Fake(path, H)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return srv, seen


def writes(seen):
    return [s for s in seen if s[0] != "GET" and not s[1].endswith("dry_run=1")]


@pytest.mark.parametrize("script,code,attempts", [
    ([412, 412, 200], 0, 3),
    ([412] * 10, 4, 5),  # LB_MAX_ATTEMPTS
])
def test_imperative_retry_is_bounded(tmp_path, script, code, attempts):
    path = str(tmp_path / "fake.sock")
    srv, seen = fake_api(path, list(script))
    try:
        p = run("-s", path, "backend", "weight", "-t", VIP, "-r", "10.0.1.1", "-w", "5")
        assert p.returncode == code, (p.stdout, p.stderr)
        w = writes(seen)
        assert len(w) == attempts, seen
        assert all(x == ("PATCH", "/v1/vips/tcp/192.0.2.80/80/backends/10.0.1.1", '"7"')
                   for x in w), w
        # each attempt read the version again first
        assert sum(1 for s in seen if s[0] == "GET") >= attempts
        if code:
            assert "version 8" in p.stderr
    finally:
        srv.shutdown()
        srv.server_close()


def test_declarative_never_retries(tmp_path):
    path = str(tmp_path / "fake.sock")
    f = write(tmp_path, "x.yaml", "mtu: 9000\n")
    for args in (["apply", "-f", f], ["rollback", "3"], ["filter", "set", "-f", f]):
        srv, seen = fake_api(path, [412, 200, 200])
        try:
            p = run("-s", path, *args)
            assert p.returncode == 4, (args, p.stdout, p.stderr)
            assert "nothing applied" in p.stderr
            w = writes(seen)
            assert len(w) == 1 and w[0][2] == '"7"', (args, seen)
        finally:
            srv.shutdown()
            srv.server_close()
            os.unlink(path)


def test_set_globals(sld):
    p = sld.lbadm("set", "nexthop_mac=02:00:00:00:00:fe", "mtu=9000", "timeouts.udp=60")
    assert p.returncode == 0, p.stderr
    st = sld.state()
    assert st["nexthop_mac"] == "02:00:00:00:00:fe" and st["mtu"] == 9000
    assert st["timeouts"]["udp"] == 60 and sld.version() == 1
    p = sld.lbadm("set", "mtu=")
    assert p.returncode == 0 and sld.state().get("mtu", 1500) == 1500  # the default
    v = sld.version()
    p = sld.lbadm("set", "mtu=100")
    assert p.returncode == 1 and "mtu" in p.stderr and "576" in p.stderr, p.stderr
    p = sld.lbadm("set", "seed=0x10")
    assert p.returncode == 1 and "seed" in p.stderr, p.stderr
    for bad in ("vips=1", "mtu", "=5"):
        p = sld.lbadm("set", bad)
        assert p.returncode == 2, (bad, p.stderr)
    assert sld.version() == v


def test_no_leaks_or_memory_errors_under_valgrind(sld, tmp_path):
    """The HTTP, YAML and rendering paths, success and failure, under valgrind."""
    import shutil
    vg = shutil.which("valgrind")
    if vg is None:
        pytest.fail("valgrind not found (scripts/deps.sh installs it)")
    y = write(tmp_path, "a.yaml", POOLS_YAML)
    bad = write(tmp_path, "bad.yaml", POOLS_YAML.replace("weight: 50", "weight: on"))
    cmds = [(["apply", "-f", y], 0), (["apply", "-f", bad], 1),
            (["backend", "add", "-t", VIP, "-r", "10.0.1.9", "-w", "5"], 0),
            (["backend", "weight", "-t", VIP, "-r", "10.0.1.9", "70000"], 1),
            (["-j", "list"], 0), (["list", "--stats"], 0), (["health"], 0),
            (["history"], 0), (["rollback", "--dry-run"], 0), (["rollback"], 0),
            (["vip", "add", "-t", VIP], 4), (["backend", "drain", "-t", VIP, "-r", "10.9.9.9"], 5),
            (["-j", "vip", "show", "-t", "192.0.2.1:1"], 5), (["metrics"], 0), (["stats"], 3),
            (["vip", "add", "-t", "nonsense"], 2),
            (["-j", "cluster", "apply", "--nodes", sld.sock, "-f", y], 0),
            (["cluster", "apply", "--help"], 0), (["cluster", "compare", "--nodes", "@/nx"], 2),
            (["-j", "cluster", "compare", "--nodes", f"{sld.sock},{sld.sock}"], 1)]
    for args, code in cmds:
        p = subprocess.run([vg, "-q", "--leak-check=full", "--errors-for-leak-kinds=all",
                            "--error-exitcode=99", lbadm_path(), "-s", sld.sock, *args],
                           capture_output=True, text=True, timeout=120)
        assert p.returncode == code, (args, p.returncode, p.stderr[-2000:])
        assert "==" not in p.stderr, (args, p.stderr[-2000:])
