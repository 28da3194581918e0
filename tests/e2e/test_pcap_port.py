# SPDX-License-Identifier: BSD-3-Clause
"""sluice-dp on DPDK's pcap port (the PMD path, no AF_XDP), with a TAP port as
the exception path to the kernel.

A pcap file of crafted frames is replayed into sluice-dp; what it sends is
written to another pcap file and compared packet by packet with what the
config says must happen: VIP packets come out encapsulated to a backend of
their VIP with the inner packet intact (TTL one lower); packets for no VIP go
to the kernel through the TAP port; malformed VIP frames are counted by
reason and not sent anywhere.
"""

import ipaddress
import json
import os
import subprocess
import sys
import tempfile
import time

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import topo  # noqa: E402
from conftest import require_dataplane  # noqa: E402

from scapy.all import ARP, IP, TCP, UDP, Ether, IPv6, Raw, rdpcap, wrpcap  # noqa: E402

LB_MAC = "02:5c:00:00:00:01"
NEXTHOP_MAC = "02:5c:00:00:00:fe"
VIP4, VIP6 = "192.0.2.80", "2001:db8:80::1"
BACKENDS4 = ["10.95.0.1", "10.95.0.2", "10.95.0.3"]
BACKENDS6 = ["2001:db8:95::1", "2001:db8:95::2"]


def frames():
    """(frame, what must happen) for every frame of the input pcap."""
    out = []
    for i in range(24):
        f = Ether(src="02:cc:00:00:00:01", dst=LB_MAC) / IP(
            src=f"198.51.100.{1 + i % 8}", dst=VIP4, ttl=60) / TCP(
            sport=30000 + i, dport=80, flags="S") / Raw(b"hello %d" % i)
        out.append((f, "encap4"))
    for i in range(8):
        f = Ether(src="02:cc:00:00:00:01", dst=LB_MAC) / IPv6(
            src=f"2001:db8:c::{i + 1:x}", dst=VIP6, hlim=60) / UDP(
            sport=40000 + i, dport=53) / Raw(b"query %d" % i)
        out.append((f, "encap6"))
    for i in range(5):  # no VIP: to the kernel through the TAP port
        f = Ether(src="02:cc:00:00:00:01", dst=LB_MAC) / IP(
            src="198.51.100.9", dst="203.0.113.7") / UDP(sport=5000 + i, dport=53)
        out.append((f, "exception"))
    for i in range(3):  # IHL 4: malformed, for a VIP
        f = Ether(src="02:cc:00:00:00:01", dst=LB_MAC) / IP(
            src="198.51.100.1", dst=VIP4, ihl=4) / TCP(sport=1, dport=80)
        out.append((f, "bad_ihl"))
    return out


def config():
    be4 = [{"address": a, "weight": 100} for a in BACKENDS4]
    be6 = [{"address": a, "weight": 100} for a in BACKENDS6]
    return {"nexthop_mac": NEXTHOP_MAC, "flow_capacity": 4096,
            "encap_source_v4": "172.16.0.0/16", "encap_source_v6": "fd00:5100::/64",
            "vips": [{"address": VIP4, "protocol": "tcp", "port": 80, "backends": be4},
                     {"address": VIP6, "protocol": "udp", "port": 53, "backends": be6}]}


@pytest.fixture(scope="module")
def pcap_run():
    dp = require_dataplane(256)
    tag = f"slpcap{os.getpid()}"
    ns = tag
    work = tempfile.mkdtemp(prefix=f"{tag}-")
    fx = frames()
    wrpcap(os.path.join(work, "in.pcap"), [f for f, _ in fx])
    with open(os.path.join(work, "dp.json"), "w") as f:
        json.dump(config(), f)
    proc = None
    topo.run(["ip", "netns", "add", ns])
    try:
        cmd = ["ip", "netns", "exec", ns, dp, "-l", "0,1", "--no-pci", "--file-prefix", tag,
               "--vdev", f"net_pcap0,rx_pcap={work}/in.pcap,tx_pcap={work}/out.pcap",
               "--vdev", f"net_tap0,iface={tag}t",
               "--", "-c", f"{work}/dp.json", "-s", f"{work}/dp.sock"]
        log = open(os.path.join(work, "dp.log"), "w")
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT)
        # Wait until every frame of the file has been received, or 30 s.
        deadline = time.monotonic() + 30
        workers = None
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                pytest.fail(f"sluice-dp exited {proc.returncode}:\n{open(log.name).read()}")
            try:
                workers = topo.telemetry(tag, "/sluice/workers")
                if workers["worker0"][0] >= len(fx):
                    break
            except (OSError, topo.TopoError, KeyError, ValueError, TypeError):  # null: not yet
                pass
            time.sleep(0.2)
        # The other direction of the exception path: make the kernel send
        # something (an ARP request for 10.96.0.2) through the TAP port.
        topo.run(["ip", "addr", "add", "10.96.0.1/24", "dev", f"{tag}t"], ns=ns)
        topo.run(["ip", "link", "set", f"{tag}t", "up"], ns=ns)
        topo.run(["ping", "-c", "1", "-W", "1", "10.96.0.2"], ns=ns, check=False)
        time.sleep(0.3)  # let buffered TX drain (100 us timer)
        drops = topo.telemetry(tag, "/sluice/drops")
        workers = topo.telemetry(tag, "/sluice/workers")
        tap = json.loads(topo.run(["ip", "-j", "-s", "link", "show", f"{tag}t"], ns=ns).stdout)
        topo.kill_pid(proc)  # SIGTERM: closes the ports, which flushes out.pcap
        rc = proc.returncode
        out = rdpcap(os.path.join(work, "out.pcap"))
        yield {"frames": fx, "out": out, "drops": drops, "workers": workers, "tap": tap[0],
               "rc": rc, "log": open(log.name).read()}
    finally:
        if proc is not None:
            topo.kill_pid(proc)
        topo.run(["ip", "netns", "del", ns], check=False)
        subprocess.run(["rm", "-rf", work, f"/var/run/dpdk/{tag}"], check=False)


def test_pcap_all_frames_received_and_clean_exit(pcap_run):
    w = pcap_run["workers"]["worker0"]
    assert w[0] == len(pcap_run["frames"]), pcap_run["log"][-2000:]
    assert pcap_run["rc"] == 0, pcap_run["log"][-2000:]


def test_pcap_vip_packets_encapsulated(pcap_run):
    want = [f for f, what in pcap_run["frames"] if what in ("encap4", "encap6")]
    # What the kernel sent through the TAP port also leaves by the pcap port:
    # the forwarded packets are the ones addressed to the next hop.
    got = [p for p in pcap_run["out"] if p[Ether].dst == NEXTHOP_MAC]
    assert len(got) == len(want), f"{len(got)} packets out, {len(want)} expected"
    src4 = ipaddress.ip_network("172.16.0.0/16")
    src6 = ipaddress.ip_network("fd00:5100::/64")
    used = set()
    for orig, o in zip(want, got):
        assert o[Ether].dst == NEXTHOP_MAC
        if orig.haslayer(IPv6):
            assert o[IPv6].nh == 41 and o[IPv6].dst in BACKENDS6
            assert ipaddress.ip_address(o[IPv6].src) in src6
            inner = IPv6(bytes(o[IPv6].payload))
            exp = orig[IPv6].copy()
            exp.hlim -= 1
            used.add(o[IPv6].dst)
        else:
            assert o[IP].proto == 4 and o[IP].dst in BACKENDS4
            assert ipaddress.ip_address(o[IP].src) in src4
            inner = IP(bytes(o[IP].payload))
            exp = orig[IP].copy()
            exp.ttl -= 1
            del exp.chksum
            exp = IP(bytes(exp))
            used.add(o[IP].dst)
        assert bytes(inner) == bytes(exp), f"inner packet differs:\n{inner!r}\n{exp!r}"
    # 24 flows over 3 backends and 8 over 2: every backend gets some.
    assert used == set(BACKENDS4) | set(BACKENDS6)


def test_pcap_non_vip_to_kernel_via_tap(pcap_run):
    n = sum(1 for _, what in pcap_run["frames"] if what == "exception")
    assert pcap_run["workers"]["worker0"][8] == n  # "exception" counter
    assert pcap_run["drops"]["not_vip"] == 0
    # The kernel saw them arrive on the TAP interface...
    assert pcap_run["tap"]["stats64"]["rx"]["packets"] >= n
    # ... and what it sent left by the port: everything out that is not
    # forwarded VIP traffic is the kernel's, the ARP request among it.
    tap_mac = pcap_run["tap"]["address"]
    from_kernel = [p for p in pcap_run["out"] if p[Ether].dst != NEXTHOP_MAC]
    assert all(p[Ether].src == tap_mac for p in from_kernel), [p.summary() for p in from_kernel]
    assert any(p.haslayer(ARP) and p[ARP].pdst == "10.96.0.2" for p in from_kernel), \
        [p.summary() for p in from_kernel]


def test_pcap_malformed_counted(pcap_run):
    n = sum(1 for _, what in pcap_run["frames"] if what == "bad_ihl")
    assert pcap_run["drops"]["parse_bad_ip4_ihl"] == n
    assert pcap_run["drops"]["parse"] == n
