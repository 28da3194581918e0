# SPDX-License-Identifier: BSD-3-Clause
"""
End-to-end tests of sluice-dp: real clients (curl, wrk, Python sockets) in a
client namespace, a router, sluice-dp on an AF_XDP veth in its own namespace,
three backends running nginx and a UDP service behind the decap XDP program
(see topo.py for the picture). One topology and one sluice-dp for the module;
each test starts from the base config (encap, weights b1:b2:b3 = 1:1:2).

Run: /usr/bin/python3 tests/e2e/run_e2e.py   (or meson test --suite e2e), as root.
"""

import ipaddress
import os
import re
import signal
import socket
import subprocess
import sys
import time
import uuid

import pytest
# Import the layers before any rdpcap(): without them registered, a capture
# dissects as Raw (Ether is what maps the pcap's link type).
from scapy.layers.inet import IP, TCP
from scapy.layers.inet6 import IPv6, IPv6ExtHdrDestOpt
from scapy.layers.l2 import Ether
from scapy.utils import rdpcap

import topo
from conftest import BASE_WEIGHTS
from netclient import KeepAlive, backend_of, curl, http_get, udp_request, wrk
from topo import (BACKENDS, CLIENT4, CLIENT6, VIP4, VIP6, HTTP_PORT, UDP_PORT, VIP_INDEX,
                  make_config)

FAMILIES = [(4, CLIENT4, VIP4), (6, CLIENT6, VIP6)]


def url(vip, path="/"):
    return f"http://[{vip}]{path}" if ":" in vip else f"http://{vip}{path}"


def curl_round(t, n_per_client=5):
    """curl the VIP from every client address, v4 and v6; returns
    {family: {backend: count}} and fails on any unanswered request."""
    seen = {}
    for fam, clients, vip in FAMILIES:
        counts = {}
        for src in clients:
            for i in range(n_per_client):
                rc, code, body = curl(t.ns["cl"], url(vip, f"/c{i}"), src)
                assert rc == 0 and code == 200, \
                    f"IPv{fam} curl from {src} to {vip}: exit {rc}, HTTP {code}, {body!r}"
                b = backend_of(body)
                counts[b] = counts.get(b, 0) + 1
        assert sum(counts.values()) == n_per_client * len(clients)
        seen[fam] = counts
    return seen


def apply_ok(t, cfg):
    before = t.generation()
    r = t.apply(cfg)
    assert r.get("ok") is True, f"APPLY refused: {r}"
    assert r["generation"] > before, f"generation did not increase: {before} -> {r}"
    assert t.generation() == r["generation"]
    return r["generation"]


# --------------------------------------------------------------------------
# Reachability


def test_curl_encap(lb):
    """Every curl through the VIP is answered, IPv4 and IPv6, encap mode."""
    seen = curl_round(lb)
    for fam in (4, 6):
        assert set(seen[fam]) <= set(BACKENDS), seen
        assert len(seen[fam]) >= 2, f"IPv{fam}: 20 connections all to one backend: {seen}"


def test_curl_l2(lb):
    """The same in L2 mode (config applied over the control socket)."""
    apply_ok(lb, make_config("l2", weights=BASE_WEIGHTS))
    assert lb.ctl(topo.CTL_GET_CONFIG)["config"]["vips"][0]["forwarding"] == "l2"
    curl_round(lb)


def test_udp(lb):
    """UDP datagrams to the VIP are answered by a backend, from the VIP (DSR)."""
    for mode in ("encap", "l2"):
        if mode == "l2":
            apply_ok(lb, make_config("l2", weights=BASE_WEIGHTS))
        for fam, clients, vip in FAMILIES:
            for src in clients:
                for k in range(4):
                    payload = f"ping-{mode}-{k}-{uuid.uuid4().hex[:8]}".encode()
                    try:
                        data, peer = udp_request(lb.ns["cl"], src, vip, UDP_PORT, payload)
                    except socket.timeout:
                        pytest.fail(f"{mode} IPv{fam}: no UDP answer from {vip} to {src}")
                    assert ipaddress.ip_address(peer[0]) == ipaddress.ip_address(vip)
                    assert peer[1] == UDP_PORT
                    assert data.endswith(b" " + payload), data
                    assert backend_of(data.decode()) in BACKENDS


def test_ping_lb_itself(lb):
    """Non-VIP traffic reaches the LB's kernel through the XDP program (ICMP, ARP, ND),
    and the dataplane never sees it."""
    x0, rx0 = lb.xdp_front_stats(), _worker_sum(lb, "rx_packets")
    for addr in (topo.LB4, topo.LB6):
        for ns in (lb.ns["cl"], lb.ns["rt"]):
            p = topo.run(["ping", "-c", "3", "-i", "0.2", "-W", "1", addr], ns=ns,
                         check=False, timeout=10)
            assert p.returncode == 0 and " 0% packet loss" in p.stdout, \
                f"ping {addr} from {ns}:\n{p.stdout}{p.stderr}"
    x1, rx1 = lb.xdp_front_stats(), _worker_sum(lb, "rx_packets")
    assert x1["pass"] - x0["pass"] >= 12, f"XDP pass counter: {x0} -> {x1}"
    assert x1["redirect"] == x0["redirect"], f"pings redirected to the dataplane: {x0} -> {x1}"
    assert rx1 == rx0, f"the dataplane received {rx1 - rx0} packets during the pings"


# --------------------------------------------------------------------------
# Load spreading

N_SPREAD = 1200
# Weights 1:1:2 -> expected shares 25/25/50 %. With 1200 flows the standard
# deviation of a share is at most 1.45 points, so +-5 points is > 3.4 sigma; the
# source ports are fixed, so the outcome is also reproducible for a given seed.
SPREAD_TOL = 5.0


def counters_or_error(lb, vip_index):
    """/sluice/backends as a dict, or the error text: a test checks its main
    claim first and fails on missing telemetry last."""
    try:
        return lb.backend_counters(vip_index), None
    except Exception as e:  # reported by the caller
        return None, f"{type(e).__name__}: {e}"


def test_spread_weights(lb):
    expected = {b: 100.0 * w / sum(BASE_WEIGHTS.values()) for b, w in BASE_WEIGHTS.items()}
    before, err = counters_or_error(lb, VIP_INDEX[("tcp", 4)])
    counts = {b: 0 for b in BACKENDS}
    t0 = time.monotonic()
    for i in range(N_SPREAD):
        src = CLIENT4[i % len(CLIENT4)]
        sport = 20000 + i // len(CLIENT4)
        status, body = http_get(lb.ns["cl"], src, VIP4, sport=sport, path=f"/s{i}")
        assert status == 200, f"connection {i} from {src}:{sport}: HTTP {status}"
        counts[backend_of(body)] += 1
        assert time.monotonic() - t0 < 60, "spread loop took over 60 s"
    shares = {b: round(100.0 * c / N_SPREAD, 2) for b, c in counts.items()}
    print(f"spread over {N_SPREAD} connections: {counts} -> {shares} % (expected {expected})")
    for b in BACKENDS:
        assert abs(shares[b] - expected[b]) <= SPREAD_TOL, \
            f"{b}: {shares[b]:.1f}% vs expected {expected[b]:.1f}% +-{SPREAD_TOL}: {counts}"
    # The dataplane's own per-backend new-flow counters agree, flow for flow.
    after, err2 = counters_or_error(lb, VIP_INDEX[("tcp", 4)])
    assert err is None and err2 is None, f"/sluice/backends unusable: {err or err2}"
    delta = {b: after[b]["new_flows"] - before[b]["new_flows"] for b in BACKENDS}
    assert delta == counts, f"/sluice/backends new_flows delta {delta} != responses {counts}"


def test_wrk(lb):
    """A few seconds of wrk through the VIP (v4 and v6): no socket errors, all 2xx."""
    for vip, secs in ((VIP4, 3), (VIP6, 2)):
        r = wrk(lb.ns["cl"], url(vip), duration=secs, threads=2, connections=32)
        print(r["raw"])
        assert r["rc"] == 0, r["raw"]
        assert r["requests"] > 100, r["raw"]
        assert not any(r["socket_errors"].values()), f"socket errors {r['socket_errors']}"
        assert r["non2xx"] == 0, r["raw"]


# --------------------------------------------------------------------------
# Config changes and established connections


def test_long_lived_connection_survives_changes(lb):
    """One keep-alive connection per family, pinned to its backend through:
    a backend added, weights changed, another backend drained, its own
    backend drained. Every response comes from the same backend, no errors."""
    members = ("b1", "b2")
    apply_ok(lb, make_config("encap", members=members))
    conns = {fam: KeepAlive(lb.ns["cl"], clients[1], vip) for fam, clients, vip in FAMILIES}
    try:
        pinned = {}
        for fam, c in conns.items():
            status, body = c.get("/first")
            assert status == 200
            pinned[fam] = backend_of(body)

        def check(step):
            for fam, c in conns.items():
                for k in range(20):
                    status, body = c.get(f"/{step}/{k}")
                    assert status == 200, f"{step}: IPv{fam} HTTP {status}"
                    assert backend_of(body) == pinned[fam], \
                        f"{step}: IPv{fam} answered by {body.strip()} not {pinned[fam]}"

        check("before")
        # 1. add b3
        apply_ok(lb, make_config("encap"))
        check("added-b3")
        # 2. weights: the pinned backends get a small share
        w = {b: (10 if b in pinned.values() else 500) for b in BACKENDS}
        apply_ok(lb, make_config("encap", weights=w))
        check("weights")
        # 3. drain a backend that carries neither connection (b3 never does: it came later)
        apply_ok(lb, make_config("encap", weights=w, states={"b3": "draining"}))
        check("drain-other")
        # 4. drain the pinned backends themselves: existing flows stay
        states = {b: "draining" for b in pinned.values()}
        apply_ok(lb, make_config("encap", weights=w, states=states))
        check("drain-own")
        # New connections avoid draining backends (b3 is active again here).
        active = set(BACKENDS) - set(states)
        if active:
            for i in range(30):
                _, body = http_get(lb.ns["cl"], CLIENT4[i % 4], VIP4, sport=23000 + i,
                                   path=f"/new{i}")
                assert backend_of(body) in active, f"new flow went to {body.strip()}"
        for fam, c in conns.items():
            assert c.n == 1 + 20 * 5
    finally:
        for c in conns.values():
            c.close()


def _inner_tcp_sports(frames):
    """TCP source ports of the inner packets of captured IPIP / IP6IP6 frames."""
    ports = []
    for f in frames:
        outer = f.getlayer(IP) or f.getlayer(IPv6)
        inner = outer.payload if outer is not None else None
        if inner is not None and TCP in inner:
            ports.append(inner[TCP].sport)
    return ports


def test_backend_down(lb):
    """A backend marked down: new flows never go to it; the next packets of
    its established connection go to another backend (which resets it).
    Seen on the wire (tcpdump on the router's backend ports) and in
    /sluice/backends."""
    vi = VIP_INDEX[("tcp", 4)]
    conn = KeepAlive(lb.ns["cl"], CLIENT4[2], VIP4)
    try:
        status, body = conn.get("/pin")
        assert status == 200
        victim = backend_of(body)
        others = [b for b in BACKENDS if b != victim]
        gen0 = lb.generation()
        gen1 = apply_ok(lb, make_config("encap", weights=BASE_WEIGHTS, states={victim: "down"}))
        assert gen1 > gen0
        c0, err = counters_or_error(lb, vi)
        caps = {b: Capture(lb, lb.ns["rt"], "r" + b, "ip proto 4 or ip6 proto 41")
                for b in BACKENDS}
        reply = None
        try:
            status, body = conn.get("/after-down")
            reply = body.strip()
        except OSError as e:  # reset by the backend that now gets the flow
            print(f"established connection after down: {type(e).__name__}: {e}")
        except Exception as e:  # e.g. closed without a reply
            print(f"established connection after down: {type(e).__name__}: {e}")
        finally:
            seen = {b: _inner_tcp_sports(c.stop()) for b, c in caps.items()}
        assert reply is None or backend_of(reply) != victim, \
            f"the down backend still answered its old connection: {reply}"
        where = {b: seen[b].count(conn.sport) for b in BACKENDS}
        print(f"packets of the old connection (sport {conn.sport}) per backend port: {where}")
        assert where[victim] == 0, f"old connection's packets still sent to {victim}: {where}"
        assert sum(where[b] for b in others) >= 1, \
            f"old connection's packets reached no other backend: {where}"
    finally:
        conn.close()
    # New flows: never to the victim. Fixed source ports no earlier test used,
    # so every one is a new 5-tuple for connection tracking.
    counts = {}
    for i in range(60):
        status, body = http_get(lb.ns["cl"], CLIENT4[i % 4], VIP4, sport=22000 + i,
                                path=f"/d{i}")
        assert status == 200
        b = backend_of(body)
        counts[b] = counts.get(b, 0) + 1
    assert victim not in counts, f"new flows reached down backend {victim}: {counts}"
    # The dataplane's view agrees.
    c1, err2 = counters_or_error(lb, vi)
    assert err is None and err2 is None, f"/sluice/backends unusable: {err or err2}"
    assert c1[victim]["state"] == "down", c1
    assert c1[victim]["packets"] == c0[victim]["packets"], \
        f"packets counted for down backend {victim}: {c0[victim]} -> {c1[victim]}"
    assert c1[victim]["new_flows"] == c0[victim]["new_flows"]
    moved = sum(c1[b]["new_flows"] - c0[b]["new_flows"] for b in others)
    assert moved == 60 + 1, f"new flows on the other backends: {moved}, expected 60 + the moved one"


# --------------------------------------------------------------------------
# What is on the wire


class Capture:
    """tcpdump -w in a namespace, bounded by -c and a timeout."""

    def __init__(self, t, ns, iface, bpf_filter, count=200, seconds=20):
        self.path = os.path.join(t.workdir, f"cap-{iface}-{uuid.uuid4().hex[:6]}.pcap")
        self.err = self.path + ".err"
        with open(self.err, "w") as e:
            self.p = subprocess.Popen(
                ["ip", "netns", "exec", ns, "timeout", str(seconds), "tcpdump", "-n", "-U",
                 # A small snap length: libpcap sizes ring slots by it, and the
                 # default (256 KiB) leaves room for only a few frames in a burst.
                 "--immediate-mode", "-s", "2048", "-B", "8192",
                 "-i", iface, "-c", str(count), "-w", self.path, bpf_filter],
                stdout=subprocess.DEVNULL, stderr=e)
        deadline = time.monotonic() + 5
        while "listening on" not in open(self.err).read():
            if self.p.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"tcpdump on {iface} did not start: {open(self.err).read()}")
            time.sleep(0.05)

    def stop(self):
        time.sleep(0.3)  # let the last packets land
        if self.p.poll() is None:
            self.p.send_signal(signal.SIGINT)
        try:
            self.p.wait(10)
        except subprocess.TimeoutExpired:
            self.p.kill()
            self.p.wait()
        stats = open(self.err).read()
        m = re.search(r"(\d+) packets? dropped by kernel", stats)
        assert not m or m.group(1) == "0", f"tcpdump lost packets: {stats}"
        return list(rdpcap(self.path)) if os.path.getsize(self.path) > 24 else []


def _client_segments(frames, vip):
    """(sport, seq, flags) -> (TCP bytes, TTL or hop limit), of the client's
    packets towards the VIP."""
    out = {}
    for f in frames:
        ip = f.getlayer(IPv6) if ":" in vip else f.getlayer(IP)
        if ip is None or ip.dst != vip or TCP not in ip:
            continue
        ttl = ip.hlim if ":" in vip else ip.ttl
        out[(ip[TCP].sport, ip[TCP].seq, int(ip[TCP].flags))] = (bytes(ip[TCP]), ttl)
    return out


def test_encap_on_the_wire(lb):
    """Encap mode: the router sees IPv4 proto 4 / IPv6 nh 41 from the LB, outer
    source in the configured prefix, outer destination = the backend, inner
    destination = the VIP, inner TCP segment byte-identical to what the client
    sent. L2 mode: destination MAC = the backend's, no outer header."""

    src4 = ipaddress.ip_network(topo.ENCAP_SRC4)
    src6 = ipaddress.ip_network(topo.ENCAP_SRC6)
    be_by_v4 = {v[0]: b for b, v in BACKENDS.items()}
    be_by_v6 = {str(ipaddress.ip_address(v[1])): b for b, v in BACKENDS.items()}

    for mode in ("encap", "l2"):
        if mode == "l2":
            apply_ok(lb, make_config("l2", weights=BASE_WEIGHTS))
        if mode == "encap":
            flt = "(ip proto 4) or (ip6 proto 41)"
        else:
            flt = f"tcp port 80 and (dst host {VIP4} or dst host {VIP6})"
        decap0 = {b: lb.decap_stats(b) for b in BACKENDS}
        caps = {b: Capture(lb, lb.ns["rt"], "r" + b, flt) for b in BACKENDS}
        caps["lb"] = Capture(lb, lb.ns["rt"], "rlb", flt)
        client_cap = Capture(lb, lb.ns["cl"], "cl0",
                             f"tcp and (dst host {VIP4} or dst host {VIP6})")
        answered = {}  # marker -> (family, backend, sport)
        try:
            for fam, clients, vip in FAMILIES:
                for k in range(3):
                    marker = f"/wire-{mode}-{fam}-{k}-{uuid.uuid4().hex[:10]}"
                    sport = 31000 + 10 * fam + k + (100 if mode == "l2" else 0)
                    status, body = http_get(lb.ns["cl"], clients[k], vip, sport=sport,
                                            path=marker)
                    assert status == 200
                    answered[marker] = (fam, backend_of(body), sport)
        finally:
            frames = {name: c.stop() for name, c in caps.items()}
            client_frames = client_cap.stop()
        decap1 = {b: lb.decap_stats(b) for b in BACKENDS}
        sent = {4: _client_segments(client_frames, VIP4), 6: _client_segments(client_frames, VIP6)}
        # The backends' decap programs stripped exactly the tunnels that reached them.
        for b in BACKENDS:
            d = {k: decap1[b][k] - decap0[b][k] for k in decap1[b]}
            tunnels = sum(1 for f in frames[b] if f[Ether].dst == BACKENDS[b][2])
            if mode == "encap":
                assert d["ok"] == tunnels, f"{b}: decap ok +{d['ok']}, {tunnels} tunnels captured"
            else:
                assert d["ok"] == 0, f"{b}: decap ok +{d['ok']} in L2 mode"
            bad = {k: v for k, v in d.items() if v and k not in ("ok", "pass")}
            assert not bad, f"{b}: decap counters {bad}"
        assert sent[4] and sent[6], "client-side capture is empty"

        for marker, (fam, backend, sport) in answered.items():
            vip = VIP4 if fam == 4 else VIP6
            be4, be6, be_mac = BACKENDS[backend]
            hits = []  # (port, frame) carrying the marker
            for port, fl in frames.items():
                for f in fl:
                    if marker.encode() in bytes(f):
                        hits.append((port, f))
            ports = {p for p, _ in hits}
            assert backend in ports, \
                f"{mode} IPv{fam} {marker}: answered by {backend}, not seen on its port ({ports})"
            assert "lb" in ports, f"{mode} IPv{fam} {marker}: not seen on the LB's port"
            for port, f in hits:
                eth = f[Ether]
                if port == "lb" and eth.src != topo.LB_MAC:
                    continue  # the client's packet on its way into the LB
                if mode == "encap":
                    # config ttl 64 leaving the LB, one less past the router
                    hops_left = 64 if port == "lb" else 63
                    if fam == 4:
                        outer = f[IP]
                        assert outer.proto == 4, f.summary()
                        inner = outer.payload
                        assert isinstance(inner, IP), f.summary()
                        assert ipaddress.ip_address(outer.src) in src4, outer.src
                        assert be_by_v4.get(outer.dst) == backend, \
                            f"outer dst {outer.dst}, answered by {backend}"
                        assert outer.ttl == hops_left, f"outer TTL {outer.ttl} on {port}"
                    else:
                        outer = f[IPv6]
                        assert outer.nh == 41, f.summary()
                        inner = outer.payload
                        assert isinstance(inner, IPv6), f.summary()
                        assert ipaddress.ip_address(outer.src) in src6, outer.src
                        assert be_by_v6.get(str(ipaddress.ip_address(outer.dst))) == backend
                        assert outer.hlim == hops_left, f"outer hop limit {outer.hlim} on {port}"
                    if port == "lb":
                        assert eth.dst == topo.ROUTER_MAC, f"LB sent to {eth.dst}, not nexthop"
                        assert eth.src == topo.LB_MAC
                    assert ipaddress.ip_address(inner.dst) == ipaddress.ip_address(vip)
                else:
                    inner = f[IP] if fam == 4 else f[IPv6]
                    assert ipaddress.ip_address(inner.dst) == ipaddress.ip_address(vip)
                    assert IP not in inner.payload and IPv6 not in inner.payload
                    assert eth.dst == be_mac, \
                        f"L2 frame to {eth.dst}, answered by {backend} ({be_mac})"
                    assert eth.src == topo.LB_MAC
                seg = inner[TCP]
                assert seg.dport == HTTP_PORT and seg.sport == sport
                key = (seg.sport, seg.seq, int(seg.flags))
                assert key in sent[fam], f"{marker}: no client packet with {key}"
                assert bytes(seg) == sent[fam][key][0], \
                    f"{mode} IPv{fam}: inner TCP segment differs from what the client sent"
                # Two IP hops since the client: the router and the LB (encap.h).
                ttl = inner.hlim if fam == 6 else inner.ttl
                assert ttl == sent[fam][key][1] - 2, \
                    f"{mode} IPv{fam}: inner TTL {ttl}, client sent {sent[fam][key][1]}"


# --------------------------------------------------------------------------
# Refused configs


def test_bad_config_refused(lb):
    gen = lb.generation()
    cases = []
    cfg = make_config("encap", weights=BASE_WEIGHTS)
    cfg["vips"][0]["backends"][1]["weight"] = 70000
    cases.append((cfg, "vips[0].backends[1].weight", "70000"))
    cfg = make_config("encap", weights=BASE_WEIGHTS)
    cfg["table_size"] = 65536
    cases.append((cfg, "table_size", "prime"))
    cfg = make_config("l2", weights=BASE_WEIGHTS)
    del cfg["vips"][1]["backends"][2]["mac"]
    cases.append((cfg, "vips[1].backends[2].mac", "required"))
    for cfg, field, word in cases:
        r = lb.apply(cfg)
        assert r.get("ok") is False, f"config with bad {field} accepted: {r}"
        assert field in r.get("error", "") and word in r["error"], \
            f"error does not name {field}: {r}"
        assert lb.generation() == gen, "a refused config changed the generation"
    running = lb.ctl(topo.CTL_GET_CONFIG)
    assert running["generation"] == gen and running["config"]["table_size"] == 65537
    for fam, clients, vip in FAMILIES:
        rc, code, body = curl(lb.ns["cl"], url(vip, "/after-bad"), clients[0])
        assert rc == 0 and code == 200, f"traffic broken after refused configs: {rc} {code}"


# --------------------------------------------------------------------------
# Malformed frames


def _malformed_frames():
    """(parse verdict name, frame bytes, count, who counts it) for each
    malformation, sent to the LB's MAC and a VIP. Counts differ so that a
    miscount shows. Who counts it (bpf/xdp_front.bpf.c): a malformed frame
    whose fixed IP header is there and names a VIP address is redirected and
    counted by the dataplane per parse verdict ("dp"); one cut before its
    destination address cannot be tied to a VIP and is passed to the kernel,
    counted by the front program's "malformed" counter ("xdp")."""
    e4 = Ether(dst=topo.LB_MAC, src=topo.ATTACKER_MAC, type=0x0800)
    e6 = Ether(dst=topo.LB_MAC, src=topo.ATTACKER_MAC, type=0x86DD)
    tcp = TCP(sport=4444, dport=HTTP_PORT, flags="S")
    ip4 = IP(src=topo.ATTACKER4, dst=VIP4)
    ip6 = IPv6(src=topo.ATTACKER6, dst=VIP6)
    ext9 = IPv6ExtHdrDestOpt()  # one more than the dataplane walks (SL_PARSE_MAX_IP6_EXT 8)
    for _ in range(8):
        ext9 = ext9 / IPv6ExtHdrDestOpt()
    return [
        ("trunc_ip4", bytes(e4) + bytes(ip4 / tcp)[:12], 3, "xdp"),
        ("bad_ip4_len", bytes(e4 / IP(src=topo.ATTACKER4, dst=VIP4, len=1000) / tcp), 4, "dp"),
        ("bad_ip4_ihl", bytes(e4 / IP(src=topo.ATTACKER4, dst=VIP4, ihl=4) / tcp), 5, "dp"),
        ("bad_tcp_doff", bytes(e4 / ip4 / TCP(sport=4444, dport=HTTP_PORT, dataofs=3)), 6, "dp"),
        ("bad_ip6_len", bytes(e6 / IPv6(src=topo.ATTACKER6, dst=VIP6, plen=1000) / tcp), 7, "dp"),
        ("ip6_ext_too_long", bytes(e6 / ip6 / ext9 / tcp), 8, "dp"),
    ]


def _send_raw(lb, frames):
    """Send (name, bytes, count, ...) frames from the attacker's at0 with AF_PACKET."""
    script = (
        "import sys, socket\n"
        "s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)\n"
        "s.bind(('at0', 0))\n"
        "for line in sys.stdin:\n"
        "    hexs, n = line.split()\n"
        "    for _ in range(int(n)):\n"
        "        s.send(bytes.fromhex(hexs))\n")
    payload = "".join(f"{f[1].hex()} {f[2]}\n" for f in frames)
    topo.run([sys.executable, "-c", script], ns=lb.ns["at"], input=payload)


def _forwarded(lb):
    """Packets forwarded, summed over workers (/sluice/workers lists its fields)."""
    w = lb.tel("/sluice/workers")
    i = w["fields"].split().index("forwarded")
    return sum(v[i] for k, v in w.items() if k != "fields")


def test_malformed_frames_counted(lb):
    """Malformed frames to a VIP from the attacker ns: each counted exactly
    once, by reason in the dataplane (/sluice/drops parse_*) or, when the
    frame is cut before its destination address, by the XDP front program;
    nothing forwarded; traffic unaffected afterwards."""
    frames = _malformed_frames()
    want_dp = {f"parse_{name}": n for name, _, n, who in frames if who == "dp"}
    want_xdp = sum(n for _, _, n, who in frames if who == "xdp")
    d0, x0, f0 = lb.tel("/sluice/drops"), lb.xdp_front_stats(), _forwarded(lb)
    _send_raw(lb, frames)
    deadline = time.monotonic() + 5
    while True:
        d1, x1 = lb.tel("/sluice/drops"), lb.xdp_front_stats()
        if (d1["parse"] - d0["parse"] >= sum(want_dp.values()) and
                x1["malformed"] - x0["malformed"] >= want_xdp) or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    time.sleep(0.3)  # anything counted late or twice shows up too
    d1, x1, f1 = lb.tel("/sluice/drops"), lb.xdp_front_stats(), _forwarded(lb)
    dd = {k: d1[k] - d0.get(k, 0) for k in d1}
    dx = {k: x1[k] - x0.get(k, 0) for k in x1}
    print(f"XDP front deltas { {k: v for k, v in dx.items() if v} }; "
          f"dataplane drop deltas { {k: v for k, v in dd.items() if v} }")
    got = {k: dd.get(k, 0) for k in want_dp}
    assert got == want_dp, f"dataplane parse drops {got}, expected {want_dp}"
    assert dd["parse"] == sum(want_dp.values()), f"parse total {dd['parse']}: {dd}"
    others = {k: v for k, v in dd.items() if v and k not in want_dp and k != "parse"}
    assert not others, f"unexpected dataplane drop counters moved: {others}"
    assert dx["malformed"] == want_xdp, \
        f"XDP 'malformed' (passed to the kernel) rose by {dx['malformed']}, expected {want_xdp}"
    if "redirect_malformed" in dx:
        assert dx["redirect_malformed"] == sum(want_dp.values()), \
            f"XDP redirect_malformed {dx['redirect_malformed']}, dataplane got {dd['parse']}"
    assert dx["redirect"] == 0, f"malformed frames redirected as good VIP traffic: {dx}"
    assert f1 == f0, f"{f1 - f0} packets forwarded while only malformed frames were sent"
    for fam, clients, vip in FAMILIES:
        rc, code, _ = curl(lb.ns["cl"], url(vip, "/after-malformed"), clients[0])
        assert rc == 0 and code == 200, f"IPv{fam} curl after malformed frames: {rc} {code}"


# --------------------------------------------------------------------------
# Path MTU through the tunnel


def test_large_upload_pmtu(lb):
    """A 200 kB POST, v4 and v6, with the client's link at MTU 1500: full-size
    segments do not fit once encapsulated, sluice-dp answers "fragmentation
    needed" / "packet too big" and the upload completes at the smaller MTU."""
    body = os.path.join(lb.workdir, "upload.bin")
    with open(body, "wb") as f:
        f.write(os.urandom(200_000))
    topo.run(["ip", "route", "flush", "cache"], ns=lb.ns["cl"])
    topo.run(["ip", "-6", "route", "flush", "cache"], ns=lb.ns["cl"])
    for fam, clients, vip in FAMILIES:
        sent0 = _worker_sum(lb, "icmp_sent")
        before = topo.run(["ip", f"-{fam}", "route", "get", vip, "from", clients[3]],
                          ns=lb.ns["cl"]).stdout
        assert " mtu " not in before, f"IPv{fam}: a path MTU is already cached: {before}"
        rc, code, out = curl(lb.ns["cl"], url(vip, "/upload"), clients[3], timeout=15,
                             extra=("--data-binary", f"@{body}", "-o", "/dev/null"))
        assert rc == 0 and code == 200, f"IPv{fam} upload: curl exit {rc}, HTTP {code}"
        sent1 = _worker_sum(lb, "icmp_sent")
        route = topo.run(["ip", f"-{fam}", "route", "get", vip, "from", clients[3]],
                         ns=lb.ns["cl"]).stdout
        assert sent1 > sent0, \
            f"IPv{fam}: no ICMP too-big sent by sluice-dp ({sent0} -> {sent1}); route {route}"
        want = 1500 - (20 if fam == 4 else 40)
        assert f"mtu {want}" in route, f"client path MTU to {vip} not {want}: {route}"


def _worker_sum(lb, field):
    w = lb.tel("/sluice/workers")
    i = w["fields"].split().index(field)
    return sum(v[i] for k, v in w.items() if k != "fields")


# --------------------------------------------------------------------------
# Last: shutdown


def test_shutdown_clean(lb):
    """SIGTERM: sluice-dp exits 0, says so, removes its control socket, and
    the XDP program leaves lb0 (the LB's kernel keeps answering)."""
    p = lb.lb_proc
    p.send_signal(signal.SIGTERM)
    try:
        rc = p.wait(15)
    except subprocess.TimeoutExpired:
        pytest.fail("sluice-dp did not exit within 15 s of SIGTERM")
    lb.lb_proc = None
    assert rc == 0, f"sluice-dp exited {rc}:\n{lb.lb_log_tail()}"
    assert "sluice-dp: stopped" in lb.lb_log_text()
    assert not os.path.exists(lb.ctl_sock), "control socket left behind"
    link = topo.run(["ip", "-d", "link", "show", "lb0"], ns=lb.ns["lb"]).stdout
    assert "prog/xdp" not in link, f"XDP program still attached after exit:\n{link}"
    p = topo.run(["ping", "-c", "2", "-i", "0.2", "-W", "1", topo.LB4], ns=lb.ns["cl"],
                 check=False, timeout=10)
    assert p.returncode == 0, p.stdout
