# SPDX-License-Identifier: BSD-3-Clause
r"""
The end-to-end topology: network namespaces and veth links around one
sluice-dp, with real clients and servers. Used by test_dataplane.py and by
the README demo (demo.py). Run with Debian's /usr/bin/python3, as root.

    client ns (cl0) ---- (rcl) router ns [br0] ---- (rlb) lb0   LB ns: sluice-dp --af-xdp lb0
      10.91.1.10-13        10.91.1.1   10.91.2.1 \-- (rb1) eth0 backend ns b1 .11  VIPs on lo
      fd00:91:1::10-13                            \- (rb2) eth0 backend ns b2 .12  decap XDP
                                                   \- (rb3) eth0 backend ns b3 .13  nginx, udp echo
                                                    \ (rat) at0 attacker ns .66   raw frames

The router forwards (v4 and v6, send_redirects off, rp_filter off) and routes
the VIPs to the LB. sluice-dp answers nothing itself: VIP traffic goes in on
lb0 and back out of lb0, encapsulated towards the router (encap mode, outer
destination = backend) or with the backend's MAC (L2 mode). Backends reply to
clients directly through the router (DSR).

Topology(lbs=N) builds N load-balancer namespaces (lb, lb1, lb2: one
sluice-dp each, its own --file-prefix, control socket and log; node i at
10.91.2.(2+i), fd00:91:2::(2+i), MAC 02:91:00:00:00:0(2+i)) on the same
router bridge; Topology(vip_routes=False) leaves the router without routes
to the VIPs, for a routing daemon to install (tests/e2e/cluster.py: BIRD,
BGP, ECMP).

Every name carries the creating process's pid (sle2e-<pid>-...), so two runs
never collide and stale namespaces of dead runs can be found and removed
(cleanup_stale()). Teardown kills what it started by pid, deletes the
namespaces and the DPDK runtime directory.

Command line (for poking at it by hand):
    topo.py up [--start-lb]   build it, print its names, wait for Ctrl-C, tear down
    topo.py cleanup           remove leftovers of dead runs
"""

import glob
import ipaddress
import json
import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
NS_PREFIX = "sle2e-"

# Addresses. Everything lives inside our own namespaces.
CLIENT4 = ["10.91.1.10", "10.91.1.11", "10.91.1.12", "10.91.1.13"]
CLIENT6 = ["fd00:91:1::10", "fd00:91:1::11", "fd00:91:1::12", "fd00:91:1::13"]
ROUTER_CL4, ROUTER_CL6 = "10.91.1.1", "fd00:91:1::1"
ROUTER_SEG4, ROUTER_SEG6 = "10.91.2.1", "fd00:91:2::1"
LB4, LB6 = "10.91.2.2", "fd00:91:2::2"
ATTACKER4, ATTACKER6 = "10.91.2.66", "fd00:91:2::66"
VIP4, VIP6 = "10.91.100.1", "fd00:91:100::1"
HTTP_PORT, UDP_PORT = 80, 9000
ENCAP_SRC4, ENCAP_SRC6 = "172.16.0.0/16", "fd00:91:ffff::/64"
ROUTER_MAC = "02:91:00:00:00:01"  # router's br0: the encap next hop
LB_MAC = "02:91:00:00:00:02"
BACKENDS = {  # name -> (IPv4, IPv6, MAC of its eth0)
    "b1": ("10.91.2.11", "fd00:91:2::11", "02:91:00:00:01:01"),
    "b2": ("10.91.2.12", "fd00:91:2::12", "02:91:00:00:01:02"),
    "b3": ("10.91.2.13", "fd00:91:2::13", "02:91:00:00:01:03"),
}
ATTACKER_MAC = "02:91:00:00:00:66"
MAX_LBS = 3


def lb_addrs(i):
    """(IPv4, IPv6, MAC, namespace key, router port) of load-balancer node @i."""
    return (f"10.91.2.{2 + i}", f"fd00:91:2::{2 + i}", f"02:91:00:00:00:0{2 + i}",
            "lb" if i == 0 else f"lb{i}", "rlb" if i == 0 else f"rlb{i}")

# Control socket protocol (include/sluice/ctl.h).
CTL_MAGIC, CTL_VERSION = 0x534C4331, 1
CTL_APPLY, CTL_STATUS, CTL_GET_CONFIG, CTL_REPLY = 1, 2, 3, 0x100
CTL_HDR = struct.Struct("=IHHII")


class TopoError(RuntimeError):
    pass


def log(msg):
    print(f"[topo] {msg}", file=sys.stderr, flush=True)


def run(cmd, ns=None, check=True, timeout=30, capture=True, input=None):
    """Run a command (a list) in namespace @ns; returns CompletedProcess."""
    if ns:
        cmd = ["ip", "netns", "exec", ns] + cmd
    p = subprocess.run(cmd, capture_output=capture, text=True, timeout=timeout, input=input)
    if check and p.returncode != 0:
        raise TopoError(f"{' '.join(cmd)} -> {p.returncode}: {(p.stderr or '').strip()}")
    return p


def sh(script, ns=None, check=True, timeout=30):
    return run(["sh", "-ec", script], ns=ns, check=check, timeout=timeout)


def pid_alive(pid):
    try:
        os.kill(pid, 0)
        return True
    except ProcessLookupError:
        return False
    except PermissionError:
        return True


def kill_pid(proc, timeout=10.0, sig=signal.SIGTERM):
    """Stop one process: a Popen we started, or a pid. Signal, wait up to
    @timeout, then SIGKILL."""
    if isinstance(proc, subprocess.Popen):
        if proc.poll() is not None:
            return
        proc.send_signal(sig)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)
        return
    pid = proc
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and pid_alive(pid):
        time.sleep(0.05)
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def _netns_delete(ns):
    """Kill every process left in @ns (by pid), then delete it."""
    p = run(["ip", "netns", "pids", ns], check=False)
    for tok in (p.stdout or "").split():
        if tok.isdigit():
            kill_pid(int(tok), timeout=3)
    run(["ip", "netns", "del", ns], check=False)


def cleanup_stale():
    """Remove namespaces and DPDK dirs of sle2e runs whose process is gone."""
    out = run(["ip", "netns", "list"], check=False).stdout or ""
    for line in out.splitlines():
        name = line.split()[0] if line.split() else ""
        if not name.startswith(NS_PREFIX):
            continue
        owner = name[len(NS_PREFIX):].split("-")[0]
        if owner.isdigit() and not pid_alive(int(owner)):
            log(f"removing stale namespace {name}")
            _netns_delete(name)
    for d in glob.glob(os.path.join(tempfile.gettempdir(), f"{NS_PREFIX}*-*")):
        owner = os.path.basename(d)[len(NS_PREFIX):].split("-")[0]
        if owner.isdigit() and not pid_alive(int(owner)) and not os.environ.get("SLUICE_E2E_KEEP"):
            shutil.rmtree(d, ignore_errors=True)
    for d in glob.glob(f"/run/{NS_PREFIX}*-bpf"):
        owner = os.path.basename(d)[len(NS_PREFIX):].split("-")[0]
        if owner.isdigit() and not pid_alive(int(owner)):
            run(["umount", d], check=False)
            shutil.rmtree(d, ignore_errors=True)
    for d in glob.glob("/var/run/dpdk/sle2e*"):
        m = re.match(r"sle2e(\d+)", os.path.basename(d))  # sle2e<pid>, sle2e<pid>n<node>
        owner = m.group(1) if m else ""
        if owner.isdigit() and not pid_alive(int(owner)):
            shutil.rmtree(d, ignore_errors=True)
            for f in glob.glob(f"/dev/hugepages/{os.path.basename(d)}map_*"):
                os.unlink(f)


def ensure_hugepages(want_free=256, path="/sys/kernel/mm/hugepages/hugepages-2048kB"):
    """ENVIRONMENT.md's recipe, topped up so that @want_free 2 MiB pages are free
    even when other DPDK processes already hold some."""
    total = int(open(f"{path}/nr_hugepages").read())
    if total < 512:
        with open(f"{path}/nr_hugepages", "w") as f:
            f.write("512")
        total = int(open(f"{path}/nr_hugepages").read())
    free = int(open(f"{path}/free_hugepages").read())
    if free < want_free:
        with open(f"{path}/nr_hugepages", "w") as f:
            f.write(str(total + want_free - free))
    free = int(open(f"{path}/free_hugepages").read())
    if free < want_free:
        raise TopoError(f"only {free} free 2 MiB hugepages, need {want_free}")
    os.makedirs("/dev/hugepages", exist_ok=True)
    if run(["mountpoint", "-q", "/dev/hugepages"], check=False).returncode != 0:
        run(["mount", "-t", "hugetlbfs", "nodev", "/dev/hugepages"])


# --------------------------------------------------------------------------
# Control socket and telemetry clients


def ctl_request(path, msg_type, payload, seq=1, timeout=10.0):
    """One request/reply on sluice-dp's control socket; returns the reply's JSON."""
    body = json.dumps(payload).encode()
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(timeout)
        s.connect(path)
        s.sendall(CTL_HDR.pack(CTL_MAGIC, CTL_VERSION, msg_type, len(body), seq) + body)

        def recv_exact(n):
            buf = b""
            while len(buf) < n:
                chunk = s.recv(n - len(buf))
                if not chunk:
                    raise TopoError(f"control socket closed after {len(buf)} of {n} bytes")
                buf += chunk
            return buf

        magic, version, rtype, length, rseq = CTL_HDR.unpack(recv_exact(CTL_HDR.size))
        if magic != CTL_MAGIC or version != CTL_VERSION:
            raise TopoError(f"bad reply header magic={magic:#x} version={version}")
        if rseq != seq:
            raise TopoError(f"reply seq {rseq} != request seq {seq}")
        if rtype not in (CTL_REPLY, msg_type | CTL_REPLY):
            raise TopoError(f"unexpected reply type {rtype:#x}")
        return json.loads(recv_exact(length) or b"{}")


def telemetry(file_prefix, cmd, timeout=5.0):
    """One DPDK telemetry command; returns the value under the command's key."""
    path = f"/var/run/dpdk/{file_prefix}/dpdk_telemetry.v2"
    with socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET) as s:
        s.settimeout(timeout)
        s.connect(path)
        hello = json.loads(s.recv(16384))
        s.send(cmd.encode())
        reply = json.loads(s.recv(max(65536, hello.get("max_output_len", 0))))
    if not isinstance(reply, dict) or len(reply) != 1:
        raise TopoError(f"telemetry {cmd}: unexpected reply {reply!r}")
    return next(iter(reply.values()))


def bpf_enum_names(enum, prefix, header=os.path.join(HERE, "..", "..", "include", "sluice",
                                                    "bpf_maps.h")):
    """Counter names of a stats enum in the shared BPF header, in index order
    (SL_XDP_REDIRECT_ICMP -> "redirect_icmp"), so the tests follow the header."""
    text = open(header).read()
    m = re.search(r"enum\s+" + enum + r"\s*\{(.*?)\};", text, re.S)
    if not m:
        raise TopoError(f"enum {enum} not found in {header}")
    body = re.sub(r"/\*.*?\*/", "", m.group(1), flags=re.S)
    names = []
    for item in body.split(","):
        item = item.strip()
        if not item:
            continue
        ident, _, value = item.partition("=")
        ident = ident.strip()
        if value.strip() and int(value.strip(), 0) != len(names):
            raise TopoError(f"{enum}: {ident} = {value.strip()} is not sequential")
        if ident.endswith("_MAX"):
            break
        names.append(ident[len(prefix):].lower() if ident.startswith(prefix) else ident)
    return names


# --------------------------------------------------------------------------
# Configs


def backend_entry(name, family, weight=100, state="active", l2=False):
    v4, v6, mac = BACKENDS[name]
    be = {"address": v4 if family == 4 else v6, "weight": weight, "state": state}
    if l2:
        be["mac"] = mac
    return be


def make_config(mode="encap", weights=None, states=None, members=("b1", "b2", "b3"),
                hash_="5tuple"):
    """The test/demo config: VIP4 and VIP6, TCP 80 and UDP 9000, over @members.
    VIP order (the telemetry index): 0 v4/tcp, 1 v6/tcp, 2 v4/udp, 3 v6/udp."""
    weights = weights or {}
    states = states or {}
    vips = []
    for proto, port in (("tcp", HTTP_PORT), ("udp", UDP_PORT)):
        for family, addr in ((4, VIP4), (6, VIP6)):
            vips.append({
                "address": addr, "protocol": proto, "port": port, "hash": hash_,
                "forwarding": mode,
                "backends": [backend_entry(n, family, weights.get(n, 100),
                                           states.get(n, "active"), l2=(mode == "l2"))
                             for n in members],
            })
    return {
        "table_size": 65537,
        "flow_capacity": 65536,
        "syn_cap": 0,
        "seed": 1234,
        "mtu": 1500,
        "ttl": 64,
        "nexthop_mac": ROUTER_MAC,
        "encap_source_v4": ENCAP_SRC4,
        "encap_source_v6": ENCAP_SRC6,
        "timeouts": {"tcp_syn": 5, "tcp_established": 300, "tcp_closing": 10,
                     "udp": 30, "other": 30},
        "vips": vips,
    }


VIP_INDEX = {("tcp", 4): 0, ("tcp", 6): 1, ("udp", 4): 2, ("udp", 6): 3}

# --------------------------------------------------------------------------
# The topology

NGINX_CONF = """\
worker_processes 1;
daemon off;
user root;
pid {dir}/nginx.pid;
error_log {dir}/nginx-error.log warn;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    client_body_temp_path {dir}/tmp-body;
    proxy_temp_path {dir}/tmp-proxy;
    fastcgi_temp_path {dir}/tmp-fastcgi;
    uwsgi_temp_path {dir}/tmp-uwsgi;
    scgi_temp_path {dir}/tmp-scgi;
    keepalive_timeout 600s;
    keepalive_requests 1000000;
    server {{
        listen {vip4}:{port} backlog=4096;
        listen [{vip6}]:{port} backlog=4096;
        listen {own4}:{port};
        listen [{own6}]:{port};
        default_type text/plain;
        location / {{ return 200 "backend {name}\\n"; }}
    }}
}}
"""


class LBNode:
    """One load-balancer namespace and its sluice-dp (node @i of a Topology)."""

    def __init__(self, topo, i):
        self.i = i
        self.ip4, self.ip6, self.mac, self.ns_key, self.router_port = lb_addrs(i)
        self.ns = topo.ns[self.ns_key]
        sfx = "" if i == 0 else f"n{i}"
        self.file_prefix = f"sle2e{topo.tag}{sfx}"
        self.ctl_sock = os.path.join(topo.workdir, f"ctl{sfx}.sock")
        self.log = os.path.join(topo.workdir, f"sluice-dp{sfx}.log")
        self.cfg_path = os.path.join(topo.workdir, f"config{sfx}.json")
        self.pin_root = topo.bpffs if i == 0 else os.path.join(topo.bpffs, f"n{i}")
        self.proc = None


class Topology:
    def __init__(self, sluice_dp=None, decap_obj=None, xdp_front_obj=None, tag=None,
                 workdir=None, lbs=1, vip_routes=True):
        if not 1 <= lbs <= MAX_LBS:
            raise TopoError(f"lbs={lbs}: 1 to {MAX_LBS} load-balancer nodes")
        self.tag = tag or str(os.getpid())
        self.sluice_dp = sluice_dp
        self.decap_obj = decap_obj
        self.xdp_front_obj = xdp_front_obj
        self.vip_routes = vip_routes
        keys = ["cl", "rt"] + [lb_addrs(i)[3] for i in range(lbs)] + ["b1", "b2", "b3", "at"]
        self.ns = {k: f"{NS_PREFIX}{self.tag}-{k}" for k in keys}
        # The XDP filter's pinned maps: a bpffs of our own in the root mount
        # namespace, visible from every `ip netns exec` (which remounts /sys).
        # Maps are pinned per interface name, and every node's is lb0: node
        # i > 0 pins under a directory of its own in it.
        self.bpffs = f"/run/{NS_PREFIX}{self.tag}-bpf"
        self.workdir = workdir or tempfile.mkdtemp(prefix=f"sle2e-{self.tag}-")
        self.lbs = [LBNode(self, i) for i in range(lbs)]
        # Node 0 under the names the single-LB tests use.
        self.file_prefix = self.lbs[0].file_prefix
        self.ctl_sock = self.lbs[0].ctl_sock
        self.lb_log = self.lbs[0].log
        self.procs = []  # (name, Popen) of everything we started, in start order
        self.lb_mac = LB_MAC
        self.seq = 0

    @property
    def lb_proc(self):
        return self.lbs[0].proc

    @lb_proc.setter
    def lb_proc(self, p):
        self.lbs[0].proc = p

    # ---- building

    def up(self):
        """Build everything except sluice-dp (start_lb()). On failure, tears down."""
        try:
            cleanup_stale()
            os.makedirs(self.bpffs, exist_ok=True)
            run(["mount", "-t", "bpf", "bpf", self.bpffs])
            self._namespaces()
            self._links()
            self._router()
            self._client()
            for n in self.lbs:
                self._lb_host(n)
            self._attacker()
            for name in BACKENDS:
                self._backend(name)
            self._wait_servers()
        except BaseException:
            self.down()
            raise
        return self

    def _namespaces(self):
        for ns in self.ns.values():
            run(["ip", "netns", "add", ns])
            # Interfaces are created inside the namespace: set defaults first.
            sh("sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0 "
               "net.ipv6.conf.default.accept_ra=0 net.ipv4.conf.all.rp_filter=0 "
               "net.ipv4.conf.default.rp_filter=0; ip link set lo up", ns=ns)

    def _veth(self, ns_a, if_a, ns_b, if_b, mac_a=None, mac_b=None):
        cmd = ["ip", "link", "add", if_a, "netns", self.ns[ns_a]]
        if mac_a:
            cmd += ["address", mac_a]
        cmd += ["type", "veth", "peer", "name", if_b, "netns", self.ns[ns_b]]
        if mac_b:
            cmd += ["address", mac_b]
        run(cmd)

    def _links(self):
        self._veth("cl", "cl0", "rt", "rcl")
        for n in self.lbs:
            self._veth(n.ns_key, "lb0", "rt", n.router_port, mac_a=n.mac)
        for name, (_, _, mac) in BACKENDS.items():
            self._veth(name, "eth0", "rt", "r" + name, mac_a=mac)
        self._veth("at", "at0", "rt", "rat", mac_a=ATTACKER_MAC)

    def _router(self):
        ports = [n.router_port for n in self.lbs] + ["rat"] + ["r" + n for n in BACKENDS]
        routes = (f"ip route add {VIP4}/32 via {LB4} dev br0\n"
                  f"ip -6 route add {VIP6}/128 via {LB6} dev br0\n") if self.vip_routes else ""
        sh(f"""
sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1 \
  net.ipv4.conf.all.send_redirects=0 net.ipv4.conf.default.send_redirects=0
ip link add br0 address {ROUTER_MAC} type bridge stp_state 0 mcast_snooping 0
# A plain switch: with br_netfilter the bridge would validate (and drop) the
# malformed frames the attacker sends to the LB.
for f in /proc/sys/net/bridge/bridge-nf-call-*; do [ -e "$f" ] && echo 0 > "$f"; done
sysctl -qw net.ipv4.conf.br0.send_redirects=0 net.ipv4.conf.br0.rp_filter=0
for p in {' '.join(ports)}; do ip link set $p master br0; ip link set $p up; done
ip link set br0 up
ip addr add {ROUTER_SEG4}/24 dev br0
ip -6 addr add {ROUTER_SEG6}/64 dev br0 nodad
ip link set rcl up
ip addr add {ROUTER_CL4}/24 dev rcl
ip -6 addr add {ROUTER_CL6}/64 dev rcl nodad
{routes}""", ns=self.ns["rt"])

    def _client(self):
        addrs = "\n".join(f"ip addr add {a}/24 dev cl0" for a in CLIENT4)
        addrs6 = "\n".join(f"ip -6 addr add {a}/64 dev cl0 nodad" for a in CLIENT6)
        # Checksums in software: with offload, a locally generated TCP/UDP packet
        # crosses the veths with only a partial checksum, which the LB's AF_XDP
        # path would forward as-is to the backend.
        sh(f"""
ip link set cl0 up
{addrs}
{addrs6}
ip route add default via {ROUTER_CL4} src {CLIENT4[0]}
ip -6 route add default via {ROUTER_CL6} src {CLIENT6[0]}
ethtool -K cl0 tx off >/dev/null
""", ns=self.ns["cl"])

    def _lb_host(self, n):
        sh(f"""
ip link set lb0 up
ip addr add {n.ip4}/24 dev lb0
ip -6 addr add {n.ip6}/64 dev lb0 nodad
ip route add default via {ROUTER_SEG4}
ip -6 route add default via {ROUTER_SEG6}
ip link set lb0 xdp off
""", ns=n.ns)

    def _attacker(self):
        sh(f"""
ip link set at0 up
ip addr add {ATTACKER4}/24 dev at0
ip -6 addr add {ATTACKER6}/64 dev at0 nodad
""", ns=self.ns["at"])

    def _backend(self, name):
        v4, v6, _ = BACKENDS[name]
        ns = self.ns[name]
        sh(f"""
sysctl -qw net.ipv4.conf.all.arp_ignore=1 net.ipv4.conf.all.arp_announce=2 \
  net.ipv4.conf.eth0.arp_ignore=1 net.ipv4.conf.eth0.arp_announce=2 \
  net.ipv4.conf.eth0.rp_filter=0 net.ipv4.conf.lo.rp_filter=0
ip addr add {VIP4}/32 dev lo
ip -6 addr add {VIP6}/128 dev lo nodad
ip link set eth0 up
ip addr add {v4}/24 dev eth0
ip -6 addr add {v6}/64 dev eth0 nodad
ip route add default via {ROUTER_SEG4}
ip -6 route add default via {ROUTER_SEG6}
""", ns=ns)
        if self.decap_obj:
            # ip netns exec remounts /sys: bpffs is not there unless mounted here.
            sh(f"""
mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf
ip link set dev eth0 xdpdrv obj {self.decap_obj} sec xdp
""", ns=ns)
        d = os.path.join(self.workdir, name)
        os.makedirs(d, exist_ok=True)
        conf = os.path.join(d, "nginx.conf")
        with open(conf, "w") as f:
            f.write(NGINX_CONF.format(dir=d, vip4=VIP4, vip6=VIP6, own4=v4, own6=v6,
                                      port=HTTP_PORT, name=name))
        self.spawn(f"nginx-{name}", ns, ["nginx", "-e", os.path.join(d, "nginx-error.log"),
                                         "-p", d, "-c", conf], log=os.path.join(d, "nginx.out"))
        self.spawn(f"udp-{name}", ns, [sys.executable, os.path.join(HERE, "udp_echo.py"),
                                       name, VIP4, VIP6, str(UDP_PORT)],
                   log=os.path.join(d, "udp.out"))

    def spawn(self, name, ns, cmd, log=None):
        out = open(log or os.devnull, "ab")
        p = subprocess.Popen(["ip", "netns", "exec", ns] + cmd, stdout=out,
                             stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        out.close()
        self.procs.append((name, p))
        return p

    def _wait_servers(self, timeout=15.0):
        """Each backend answers HTTP and UDP on its own address (no LB involved)."""
        deadline = time.monotonic() + timeout
        for name, (v4, _, _) in BACKENDS.items():
            while True:
                for pname, p in self.procs:
                    if p.poll() is not None:
                        raise TopoError(f"{pname} exited with {p.returncode}")
                r = run(["curl", "-sS", "--max-time", "1", f"http://{v4}/"], ns=self.ns["rt"],
                        check=False)
                if r.returncode == 0 and r.stdout.strip() == f"backend {name}":
                    break
                if time.monotonic() > deadline:
                    raise TopoError(f"backend {name} nginx not answering: {r.stderr.strip()}")
                time.sleep(0.1)

    # ---- the load balancer

    def start_lb(self, config, timeout=60.0, extra_args=(), node=0, ensure_hp=True):
        """Start node @node's sluice-dp on its lb0 with @config; wait until it forwards."""
        if not self.sluice_dp:
            raise TopoError("no sluice-dp binary given")
        n = self.lbs[node]
        if ensure_hp:
            ensure_hugepages()
        log_start = len(self.lb_log_text(node))
        with open(n.cfg_path, "w") as f:
            json.dump(config, f, indent=2)
        cmd = [self.sluice_dp, "-l", "0,1", "--file-prefix", n.file_prefix, "--no-pci",
               "--huge-dir", "/dev/hugepages", "--huge-unlink", "--",
               "-c", n.cfg_path, "-s", n.ctl_sock, "--af-xdp", "lb0",
               "--idle-sleep-us", "100", "--filter-pin-root", n.pin_root]
        if self.xdp_front_obj and os.path.exists(self.xdp_front_obj):
            cmd += ["--xdp-prog", self.xdp_front_obj]
        cmd += list(extra_args)
        name = "sluice-dp" if node == 0 else f"sluice-dp-n{node}"
        os.makedirs(n.pin_root, exist_ok=True)
        n.proc = self.spawn(name, n.ns, cmd, log=n.log)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if n.proc.poll() is not None:
                raise TopoError(f"{name} exited with {n.proc.returncode}:\n"
                                f"{self.lb_log_tail(node=node)}")
            # The log is appended to: after a restart, only what the new process wrote counts.
            if "sluice-dp: forwarding on" in self.lb_log_text(node)[log_start:]:
                return
            time.sleep(0.1)
        raise TopoError(f"{name} not ready after {timeout}s:\n{self.lb_log_tail(node=node)}")

    def stop_lb(self, node=0, sig=signal.SIGTERM):
        n = self.lbs[node]
        if n.proc is not None:
            kill_pid(n.proc, timeout=15, sig=sig)
            n.proc = None
        shutil.rmtree(f"/var/run/dpdk/{n.file_prefix}", ignore_errors=True)
        for f in glob.glob(f"/dev/hugepages/{n.file_prefix}map_*"):
            os.unlink(f)

    def lb_log_text(self, node=0):
        try:
            with open(self.lbs[node].log, errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def lb_log_tail(self, n=40, node=0):
        return "\n".join(self.lb_log_text(node).splitlines()[-n:])

    def lb_alive(self, node=0):
        p = self.lbs[node].proc
        return p is not None and p.poll() is None

    def ctl(self, msg_type, payload=None, node=0):
        self.seq += 1
        return ctl_request(self.lbs[node].ctl_sock, msg_type,
                           payload if payload is not None else {}, seq=self.seq)

    def apply(self, config):
        return self.ctl(CTL_APPLY, config)

    def status(self):
        return self.ctl(CTL_STATUS)

    def generation(self):
        st = self.status()
        if not st.get("ok"):
            raise TopoError(f"STATUS refused: {st}")
        return st["generation"]

    def tel(self, cmd, node=0):
        return telemetry(self.lbs[node].file_prefix, cmd)

    def backend_counters(self, vip_index):
        """{backend name: {"packets", "bytes", "new_flows", "state"}} from
        /sluice/backends,N: "backendS" -> [address, packets, bytes, new flows, state]
        (DPDK telemetry names allow only alphanumerics, '_' and '/', so the
        address is in the value)."""
        by_addr = {}
        for name, (v4, v6, _) in BACKENDS.items():
            by_addr[ipaddress.ip_address(v4)] = name
            by_addr[ipaddress.ip_address(v6)] = name
        out = {}
        for key, vals in self.tel(f"/sluice/backends,{vip_index}").items():
            if not isinstance(vals, list) or len(vals) != 5:
                raise TopoError(f"/sluice/backends,{vip_index}: {key}: unexpected {vals!r}")
            name = by_addr.get(ipaddress.ip_address(vals[0]), vals[0])
            out[name] = {"packets": int(vals[1]), "bytes": int(vals[2]),
                         "new_flows": int(vals[3]), "state": vals[4]}
        if not out:
            raise TopoError(f"/sluice/backends,{vip_index} lists no backends")
        return out

    def xdp_map_id(self, ns, iface, map_name):
        """Id of map @map_name of the XDP program attached to @iface in @ns."""
        j = json.loads(run(["ip", "-j", "-d", "link", "show", iface], ns=ns).stdout)
        prog = (j[0].get("xdp") or {}).get("prog")
        if not prog:
            raise TopoError(f"no XDP program on {iface} in {ns}")
        info = json.loads(run(["bpftool", "-j", "prog", "show", "id", str(prog["id"])]).stdout)
        for mid in info.get("map_ids", []):
            m = json.loads(run(["bpftool", "-j", "map", "show", "id", str(mid)]).stdout)
            if m.get("name") == map_name:
                return mid
        raise TopoError(f"XDP program {prog.get('name')} on {iface} has no map {map_name}")

    def xdp_counters(self, ns, iface, map_name, names):
        """Per-CPU {packets, bytes} counters of an XDP program's stats map,
        summed over CPUs: {name: packets}."""
        mid = self.xdp_map_id(ns, iface, map_name)
        info = json.loads(run(["bpftool", "-j", "map", "show", "id", str(mid)]).stdout)
        if info.get("type") == "array_of_maps":
            # The front program's counters live in a plugged inner map (docs/filter.md).
            outer = json.loads(run(["bpftool", "-j", "map", "dump", "id", str(mid)]).stdout)
            if not outer:
                raise TopoError(f"{map_name} on {iface}: no inner map plugged in")
            e = outer[0]
            inner = e.get("inner_map_id") or (e.get("formatted") or {}).get("inner_map_id")
            if inner is None:
                v = e["value"]
                inner = int.from_bytes(bytes(int(b, 16) for b in v), "little") \
                    if isinstance(v, list) else int(v)
            mid = int(inner)
        dump = json.loads(run(["bpftool", "-j", "map", "dump", "id", str(mid)]).stdout)
        out = {}

        def le(hexbytes):
            return int.from_bytes(bytes(int(b, 16) for b in hexbytes), "little")

        for e in dump:
            if "formatted" in e:  # a map with BTF (the decap program's own)
                f = e["formatted"]
                k = f["key"]
                packets = sum(v["value"]["packets"] for v in f["values"])
            else:  # raw: key bytes, per-CPU struct sl_xdp_counter {packets, bytes}
                k = le(e["key"])
                packets = sum(le(v["value"][:8]) for v in e["values"])
            name = names[k] if k < len(names) else str(k)
            out[name] = packets
        return out

    def xdp_front_stats(self):
        """The front program's counters on lb0: {"redirect": n, "malformed": n, ...}."""
        return self.xdp_counters(self.ns["lb"], "lb0", "sl_xdp_stats",
                                 bpf_enum_names("sl_xdp_stat", "SL_XDP_"))

    def decap_stats(self, backend):
        """The decap program's counters on a backend's eth0: {"ok": n, ...}."""
        return self.xdp_counters(self.ns[backend], "eth0", "sl_decap_stats",
                                 bpf_enum_names("sl_decap_stat", "SL_DECAP_"))

    # ---- teardown

    def down(self):
        """Remove everything; safe to call twice and after a partial up()."""
        for n in self.lbs:
            try:
                self.stop_lb(n.i)
            except Exception as e:  # keep tearing down
                log(f"stop_lb {n.i}: {e}")
        for name, p in reversed(self.procs):
            if p.poll() is None:
                kill_pid(p, timeout=5)
        self.procs = []
        for ns in self.ns.values():
            _netns_delete(ns)
        if os.path.ismount(self.bpffs):
            run(["umount", self.bpffs], check=False)
        if os.path.isdir(self.bpffs):
            shutil.rmtree(self.bpffs, ignore_errors=True)
        if not os.environ.get("SLUICE_E2E_KEEP"):
            shutil.rmtree(self.workdir, ignore_errors=True)
        else:
            log(f"kept {self.workdir}")

    def __enter__(self):
        return self.up()

    def __exit__(self, *exc):
        self.down()
        return False


def find_build_artifacts(build):
    """Paths of sluice-dp, the decap object and the front object in a build dir
    (as bpf/meson.build and dataplane/meson.build name them)."""
    return (os.path.join(build, "dataplane", "sluice-dp"),
            os.path.join(build, "bpf", "xdp_decap.bpf.o"),
            os.path.join(build, "bpf", "xdp_front.bpf.o"))


def main(argv):
    import argparse
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    u = sub.add_parser("up")
    u.add_argument("--build", default=os.environ.get("SLUICE_BUILD", "build"))
    u.add_argument("--start-lb", action="store_true")
    u.add_argument("--mode", default="encap", choices=["encap", "l2"])
    sub.add_parser("cleanup")
    a = ap.parse_args(argv)
    if os.geteuid() != 0:
        print("topo.py: run as root", file=sys.stderr)
        return 2
    if a.cmd == "cleanup":
        cleanup_stale()
        return 0
    dp, decap, front = find_build_artifacts(a.build)
    t = Topology(sluice_dp=dp, decap_obj=decap, xdp_front_obj=front)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    with t:
        if a.start_lb:
            t.start_lb(make_config(a.mode))
        print(json.dumps({"namespaces": t.ns, "ctl_sock": t.ctl_sock,
                          "file_prefix": t.file_prefix, "workdir": t.workdir}, indent=2),
              flush=True)
        try:
            signal.pause()
        except KeyboardInterrupt:
            pass
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
