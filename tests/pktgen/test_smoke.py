# SPDX-License-Identifier: BSD-3-Clause
"""Smoke tests of sluice-pktgen: exact counts, no timing.

* On a ring loopback (net_ring: each queue's TX ring is its RX ring), two
  threads: every stream sends exactly its share of the packets, every packet
  comes back to its stream, every flow is seen, nothing is foreign or stale.
* Against sluice-dp on the memif rig (bench/pktgen/rig.py), with streams the
  dataplane must drop for known reasons (no backend, TTL 1, not a VIP,
  malformed): what the generator counts as lost, stream by stream, is what
  sluice-dp counts as dropped for that reason, and sent = received + drops.
* Against dpdk-testpmd io-forward on the same rig: sent = received + what
  testpmd took in and did not send back, and dropped-class streams come back
  as "leaked".
"""

import json
import os
import re
import subprocess
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(TOP, "bench", "pktgen"))

import rig  # noqa: E402

BUILD = os.path.abspath(os.environ.get("SLUICE_BUILD", os.path.join(TOP, "build")))
PKTGEN = os.path.join(BUILD, "bench", "pktgen", "sluice-pktgen")


def streams(report, trial=-1):
    return report["trials"][trial]["streams"]


@pytest.fixture(scope="module", autouse=True)
def setup():
    if not os.access(PKTGEN, os.X_OK):
        pytest.fail(f"{PKTGEN} not built")
    rig.cleanup_stale()
    rig.ensure_hugepages(256)


def test_ring_loopback_counts(tmp_path):
    """Two threads on a loopback: shares, per-stream counts and flows exact."""
    prof = {"streams": [
        {"name": "est", "type": "tcp_ack", "flows": 1000, "share": 5},
        {"name": "dns", "type": "udp", "dport": 53, "flows": 100, "share": 3},
        {"name": "v6", "type": "tcp_syn", "dst": "2001:db8::80", "flows": 64, "share": 1,
         "size": 101},
        {"name": "bad", "type": "tcp_ack", "malformed": "ip_ihl", "flows": 10, "share": 1},
    ]}
    (tmp_path / "p.json").write_text(json.dumps(prof))
    tag = f"{rig.PREFIX}{os.getpid()}ring"
    count = 20000  # per thread: 2000 passes over the 10-slot schedule
    try:
        p = subprocess.run(
            [PKTGEN, "--no-huge", "-m", "256", "--no-pci", "--lcores", "0@0,1@0,2@1",
             "--file-prefix", tag, "--vdev", "net_ring0", "--",
             "-p", str(tmp_path / "p.json"), "-n", str(count), "--count-flows",
             "-j", str(tmp_path / "r.json")],
            capture_output=True, text=True, timeout=120)
    finally:
        subprocess.run(["rm", "-rf", f"/var/run/dpdk/{tag}"])
    assert p.returncode == 0, p.stdout + p.stderr
    r = json.loads((tmp_path / "r.json").read_text())
    assert r["generator"]["threads"] == 2
    t = r["trials"][0]
    st = t["streams"]
    total_share = 10
    for s in prof["streams"]:
        got = st[s["name"]]
        want = 2 * count * s["share"] // total_share
        assert got["sent"] == want, (s["name"], got)
        assert got["refused"] == 0
        assert got["received"] == want, (s["name"], got)
        if s.get("malformed"):
            assert got["leaked"] == want  # a loopback returns what a DUT should drop
        else:
            assert got["lost"] == 0
            assert got["flows_seen"] == s["flows"], (s["name"], got)
            assert got["received_encap"] == 0
        assert got["latency_us"]["samples"] == want
    assert t["sent"] == 2 * count
    assert t["rx_total"] == 2 * count
    assert t["rx_other"] == 0 and t["rx_stale"] == 0
    assert t["loss_ratio"] == 0
    assert r["totals"]["sent"] == r["totals"]["received"] == 2 * count


@pytest.fixture(params=[False, True], ids=["copy", "zero-copy"])
def memif_rig(request):
    """The memif rig, the generator's end in copy mode and in zero-copy mode (the
    benchmark's default)."""
    r = rig.Rig(BUILD, threads=1, zero_copy=request.param, rsize=12 if request.param else 10)
    try:
        yield r
    finally:
        r.close()


def test_sluice_loss_accounting(memif_rig, tmp_path):
    """Each stream's loss is sluice-dp's drop count for that stream's reason."""
    cfg = {"nexthop_mac": "02:00:00:00:00:fe", "flow_capacity": 65536,
           "vips": [{"address": "192.0.2.80", "protocol": "tcp", "port": 80,
                     "backends": [{"address": f"10.97.0.{i}"} for i in range(1, 5)]},
                    {"address": "192.0.2.80", "protocol": "udp", "port": 53,
                     "backends": []}]}
    prof = {"streams": [
        {"name": "est", "type": "tcp_ack", "flows": 1000, "share": 6},
        {"name": "nobe", "type": "udp", "dport": 53, "flows": 50, "share": 1},
        {"name": "ttl1", "type": "tcp_ack", "ttl": 1, "flows": 10, "share": 1,
         "src": "10.200.0.0/16"},
        {"name": "notvip", "type": "tcp_ack", "dst": "192.0.2.99", "flows": 10, "share": 1},
        {"name": "bad", "type": "tcp_ack", "malformed": "ip_ihl", "flows": 10, "share": 1},
    ]}
    (tmp_path / "p.json").write_text(json.dumps(prof))
    memif_rig.start_sluice(cfg)
    # A modest fixed rate: losses come from the DUT's drops, not from a full ring. A
    # long drain: the trial ends only after 200 ms without a packet back, so a DUT
    # descheduled for a while at the end has sent everything back first.
    report, deltas = memif_rig.run_pktgen(
        ["-p", str(tmp_path / "p.json"), "-n", "50000", "-r", "1", "--count-flows",
         "--drain-ms", "200"])
    t = report["trials"][0]
    d = deltas[0]
    st = t["streams"]
    drops = d["drops"]
    assert sum(s["sent"] for s in st.values()) == 50000 - sum(s["refused"] for s in st.values())
    # The memif link loses nothing: the DUT took in exactly what was sent, and
    # the generator received exactly what the DUT sent back.
    assert d["port"]["ipackets"] == t["sent"]
    assert d["port"]["opackets"] == t["rx_total"]
    reasons = ("parse", "not_vip", "no_backend", "fragment", "ttl_exceeded", "too_big",
               "no_headroom", "family_mismatch", "icmp_no_flow", "tx_full",
               "no_exception_port", "segmented")
    assert set(reasons) <= set(drops), drops
    assert t["sent"] == t["rx_total"] + sum(drops[k] for k in reasons), (t, drops)
    # The same over the whole run, read once sluice-dp had nothing left in flight.
    run = memif_rig.run_delta
    tot = report["totals"]
    assert run["port"]["ipackets"] == tot["sent"]
    assert run["port"]["opackets"] == tot["received"]
    assert tot["sent"] == tot["received"] + sum(run["drops"][k] for k in reasons)
    # Stream by stream: lost (sent + refused - received) = refused + the DUT's drops.
    lost = {n: s["sent"] - s["received"] for n, s in st.items() if "lost" in s}
    assert st["nobe"]["received"] == 0 and lost["nobe"] == drops["no_backend"] > 0
    assert st["ttl1"]["received"] == 0 and lost["ttl1"] == drops["ttl_exceeded"] > 0
    assert st["notvip"]["received"] == 0 and lost["notvip"] == drops["not_vip"] > 0
    assert st["bad"]["leaked"] == 0 and st["bad"]["sent"] == drops["parse_bad_ip4_ihl"] > 0
    assert lost["est"] == drops["tx_full"]
    assert st["est"]["received_encap"] == st["est"]["received"] > 0
    # Flows: the DUT tracked the established and the TTL-1 flows (inserted before the TTL
    # check); no-backend and non-VIP packets are never tracked.
    assert d["workers"]["new_flows"] == 1000 + 10
    if lost["est"] == 0:
        assert st["est"]["flows_seen"] == 1000
    assert t["rx_other"] == 0 and t["rx_stale"] == 0


def test_two_queues(tmp_path):
    """-t 2: two generator threads on two memif queues, two sluice-dp workers (the
    scaling run's wiring, squeezed onto this machine's CPUs: no rates here). Each
    worker gets one thread's block of the flows."""
    r = rig.Rig(BUILD, threads=2, overcommit=True)
    try:
        cfg = {"nexthop_mac": "02:00:00:00:00:fe", "flow_capacity": 65536,
               "vips": [{"address": "192.0.2.80", "protocol": "tcp", "port": 80,
                         "backends": [{"address": f"10.97.0.{i}"} for i in range(1, 5)]}]}
        prof = {"streams": [{"name": "est", "type": "tcp_ack", "flows": 1000}]}
        (tmp_path / "p.json").write_text(json.dumps(prof))
        r.start_sluice(cfg)
        # Flat out: the link back-pressures, nothing is refused, each thread sends its 10000.
        report, deltas = r.run_pktgen(["-p", str(tmp_path / "p.json"), "-n", "10000",
                                       "--count-flows", "--drain-ms", "200"])
        assert report["generator"]["threads"] == 2
        st = report["trials"][0]["streams"]["est"]
        assert st["sent"] == 20000
        w = deltas[0]["per_worker"]
        # Each worker polled its own queue: one thread's packets and flows each.
        assert [w[f"worker{i}"]["rx_packets"] for i in (0, 1)] == [10000, 10000]
        assert [w[f"worker{i}"]["new_flows"] for i in (0, 1)] == [500, 500]
        assert st["received"] == deltas[0]["port"]["opackets"]
        if st["lost"] == 0:
            assert st["flows_seen"] == 1000
    finally:
        r.close()


def test_testpmd_accounting(memif_rig, tmp_path):
    """testpmd io returns everything: sent = received + what it took in and did not send."""
    prof = {"streams": [
        {"name": "est", "type": "tcp_ack", "flows": 500, "share": 9},
        {"name": "bad", "type": "udp", "malformed": "udp_len", "flows": 5, "share": 1},
    ]}
    (tmp_path / "p.json").write_text(json.dumps(prof))
    memif_rig.start_testpmd()
    report, deltas = memif_rig.run_pktgen(
        ["-p", str(tmp_path / "p.json"), "-n", "50000", "-r", "1", "--count-flows",
         "--drain-ms", "200"])
    run = memif_rig.run_delta
    tot = report["totals"]
    assert run["port"]["ipackets"] == tot["sent"]
    assert run["port"]["opackets"] == tot["received"]
    t = report["trials"][0]
    d = deltas[0]
    st = t["streams"]
    assert d["port"]["ipackets"] == t["sent"]
    assert d["port"]["opackets"] == t["rx_total"]
    assert t["sent"] - t["rx_total"] == d["port"]["ipackets"] - d["port"]["opackets"]
    assert st["est"]["received_encap"] == 0  # returned as sent
    assert st["bad"]["leaked"] == st["bad"]["received"]
    assert st["est"]["sent"] - st["est"]["received"] + st["bad"]["sent"] - \
        st["bad"]["received"] == t["sent"] - t["rx_total"]
    if st["est"]["lost"] == 0:
        assert st["est"]["flows_seen"] == 500


def test_afxdp_filter_accounting(tmp_path):
    """On the AF_XDP veth link, sluice-dp's XDP filter drops exactly the denylisted
    stream; every other frame reaches the dataplane's socket and is forwarded or
    dropped by the dataplane for its reason."""
    r = rig.Rig(BUILD, threads=1, link="afxdp")
    try:
        cfg = {"nexthop_mac": "02:00:00:00:00:fe", "flow_capacity": 65536,
               "vips": [{"address": "192.0.2.80", "protocol": "tcp", "port": 80,
                         "backends": [{"address": f"10.97.0.{i}"} for i in range(1, 5)]}]}
        prof = {"streams": [
            {"name": "legit", "type": "tcp_ack", "flows": 200, "share": 7},
            {"name": "denied", "type": "tcp_syn", "random_src": True, "src": "203.0.113.0/24",
             "share": 2, "expect": "drop"},
            {"name": "bad", "type": "tcp_ack", "malformed": "tcp_doff", "flows": 10, "share": 1},
        ]}
        (tmp_path / "p.json").write_text(json.dumps(prof))
        r.start_sluice(cfg, filter_rules={"deny": ["203.0.113.0/24"]})
        # Slow (a veth and the kernel on the path): 20k packets at 50 kpps.
        report, deltas = r.run_pktgen(
            ["-p", str(tmp_path / "p.json"), "-n", "20000", "-r", "0.05", "--drain-ms", "200"])
        t = report["trials"][0]
        st = t["streams"]
        f = deltas[0]["filter"]
        d = deltas[0]
        assert st["denied"]["sent"] > 0
        assert f["drop_deny"] == st["denied"]["sent"]
        assert st["denied"]["leaked"] == 0
        # Everything else went to the dataplane's socket (the malformed frames too: their
        # IP header names the VIP) and the dataplane took in exactly that.
        assert f["redirect"] + f["redirect_malformed"] == st["legit"]["sent"] + st["bad"]["sent"]
        assert f["redirect_malformed"] == st["bad"]["sent"] == d["drops"]["parse_bad_tcp_doff"]
        assert d["port"]["ipackets"] == st["legit"]["sent"] + st["bad"]["sent"]
        assert st["bad"]["leaked"] == 0
        assert st["legit"]["received"] > 0
        assert st["legit"]["received_encap"] == st["legit"]["received"]
        assert d["workers"]["forwarded"] == st["legit"]["sent"]
    finally:
        r.close()


def test_bench_script(tmp_path):
    """bench/pktgen.sh end to end, cut short: both DUTs, a search, latency trials,
    the JSON, the summary with the reference ratio, a latency plot."""
    out = tmp_path / "out"
    p = subprocess.run(
        [os.path.join(TOP, "bench", "pktgen.sh"), "forwarding", "-f", "1000", "-D", "0.05",
         "--max-trials", "2", "--retries", "0", "--flat-trials", "1", "--loads", "50",
         "-o", str(out)],
        capture_output=True, text=True, timeout=240, env=dict(os.environ, SLUICE_BUILD=BUILD))
    assert p.returncode == 0, p.stdout[-3000:] + p.stderr[-3000:]
    doc = json.loads((out / "forwarding-f1000.json").read_text())
    runs = {r["dut"]: r for r in doc["runs"]}
    assert set(runs) == {"sluice", "testpmd"}
    for r in runs.values():
        s = r["summary"]
        assert s["flat_forwarded_mpps"] > 0 and s["dut_cycles_per_packet"] > 0
        assert len(s["latency"]) == 1
        assert r["pktgen"]["trials"][0]["kind"] == "warmup"
        assert r["pktgen"]["trials"][0]["streams"]["established"]["sent"] == 1000
    assert runs["sluice"]["dut_counters"]["0"]["workers"]["new_flows"] == 1000
    md = (out / "summary.md").read_text()
    # sluice-dp's row carries its flat-out rate as a ratio of testpmd's.
    assert re.search(r"\| forwarding \| 1k flows \| sluice \|( [0-9.]+ \|){3} \S+ / [0-9.]+ \|",
                     md), md
    assert "| forwarding | 1k flows | testpmd |" in md and "1 (reference)" in md
    assert (out / "forwarding-1000-latency.png").stat().st_size > 1000
