# SPDX-License-Identifier: BSD-3-Clause
r"""
The multi-node topology (docs/cluster.md): topo.Topology(lbs=N) without
static VIP routes, plus routing.

    client ns ---- router ns: BIRD, BGP with every node, kernel ECMP routes
                   (merge paths; fib_multipath_hash_policy=1: L4 hash)
                     |  br0
       +-------------+-------------+---- backends b1 b2 b3 (decap XDP, nginx)
       lb (node 0)   lb1 (node 1)   lb2 (node 2)
       sluice-dp     sluice-dp      sluice-dp     (AF_XDP on lb0)
       sluiced       sluiced        sluiced       (--bird-socket, --maintenance-file)
       BIRD          BIRD           BIRD          (AS 65001, eBGP to the router's AS 65000)

Each node's BIRD includes the file its sluiced writes (static protocols
sluice_vips4/6) and exports those routes to the router, over one IPv4
session (ipv4 channel) and one IPv6 session (ipv6 channel). BGP timers are
short (hold 3 s, keepalive 1 s) so that a dead speaker is noticed in the
test's time; sluiced withdraws on its own, without waiting for them.

Every process is started through Topology.spawn() (killed by pid at
teardown) or is a Sluiced we stop; the namespaces' leftovers are killed
when they are deleted.
"""

import json
import os
import time

import topo
from etcdsrv import Etcd
from sluiced import Sluiced

ROUTER_AS, NODE_AS = 65000, 65001
ROUTER_BIRD = """\
router id {router_id};
log "{log}" all;
protocol device {{ scan time 2; }}
# ECMP: every equal BGP path of a prefix becomes one kernel route with
# several next hops; the kernel then spreads flows by their L4 hash.
protocol kernel kernel4 {{
    ipv4 {{ import none; export all; }};
    merge paths on;
    learn off;
}}
protocol kernel kernel6 {{
    ipv6 {{ import none; export all; }};
    merge paths on;
    learn off;
}}
template bgp lb4 {{
    local {router4} as {router_as};
    hold time 3; keepalive time 1; connect delay time 1; connect retry time 1;
    error wait time 1, 4;
    ipv4 {{ import all; export none; }};
}}
template bgp lb6 {{
    local {router6} as {router_as};
    hold time 3; keepalive time 1; connect delay time 1; connect retry time 1;
    error wait time 1, 4;
    ipv6 {{ import all; export none; }};
}}
{peers}
"""
ROUTER_PEER = """\
protocol bgp node{i}_v4 from lb4 {{ neighbor {ip4} as {node_as}; }}
protocol bgp node{i}_v6 from lb6 {{ neighbor {ip6} as {node_as}; }}
"""
NODE_BIRD = """\
router id {ip4};
log "{log}" all;
protocol device {{ scan time 2; }}
# sluice_vips4 and sluice_vips6: the prefixes sluiced wants announced.
include "{include}";
protocol bgp router_v4 {{
    local {ip4} as {node_as};
    neighbor {router4} as {router_as};
    hold time 3; keepalive time 1; connect delay time 1; connect retry time 1;
    error wait time 1, 4;
    ipv4 {{ import none; export where proto = "sluice_vips4"; }};
}}
protocol bgp router_v6 {{
    local {ip6} as {node_as};
    neighbor {router6} as {router_as};
    hold time 3; keepalive time 1; connect delay time 1; connect retry time 1;
    error wait time 1, 4;
    ipv6 {{ import none; export where proto = "sluice_vips6"; }};
}}
"""


class ClusterError(RuntimeError):
    pass


class Cluster:
    """topo.Topology with @n load-balancer nodes, BIRD on the router and on
    every node, one sluiced per node driving its BIRD."""

    ETCD_KEY = "/sluice/cluster/state"

    def __init__(self, sluice_dp, decap_obj, xdp_front_obj, n=3, etcd=False):
        self.t = topo.Topology(sluice_dp=sluice_dp, decap_obj=decap_obj,
                               xdp_front_obj=xdp_front_obj, lbs=n, vip_routes=False)
        self.n = n
        self.sluiced = []  # per node
        self.birds = {}  # "router", "node0".. -> (Popen, ctl socket, log)
        self.maint_files = [os.path.join(self.t.workdir, f"maintenance-n{i}")
                            for i in range(n)]
        # The shared store, in the router's namespace on its segment address.
        self.etcd = Etcd(host=topo.ROUTER_SEG4, ns=self.t.ns["rt"], client_port=2379,
                         peer_port=2380, tag="cluster-etcd") if etcd else None

    # ---- building

    def up(self, dp_config, state):
        """Build it all: namespaces, the router's BIRD, then per node sluice-dp
        (started with @dp_config), BIRD and sluiced (given @state: through
        etcd when the cluster has one, else PUT on every node)."""
        t = self.t
        try:
            t.up()
            if self.etcd:
                self.etcd.start()
                self.etcd.put(self.ETCD_KEY, json.dumps(state))
            topo.sh("sysctl -qw net.ipv4.fib_multipath_hash_policy=1 "
                    "net.ipv6.fib_multipath_hash_policy=1", ns=t.ns["rt"])
            self._router_bird()
            for node in t.lbs:
                t.start_lb(dp_config, node=node.i)
                self._node_bird(node)
                self._node_sluiced(node)
            if self.etcd:
                self.wait_applied(self.etcd_revision())
            for d in self.sluiced if not self.etcd else ():
                r = d.put_state(state)
                if r.status != 200:
                    raise ClusterError(f"{d.node}: PUT /v1/state: {r}")
        except BaseException:
            self.down()
            raise
        return self

    def _bird(self, name, ns, conf_text):
        d = self.t.workdir
        conf = os.path.join(d, f"bird-{name}.conf")
        sock = os.path.join(d, f"bird-{name}.ctl")
        log = os.path.join(d, f"bird-{name}.log")
        with open(conf, "w") as f:
            f.write(conf_text)
        # Check it first: a syntax error is a test bug, say so plainly.
        topo.run(["bird", "-p", "-c", conf], ns=ns)
        p = self.t.spawn(f"bird-{name}", ns, ["bird", "-f", "-c", conf, "-s", sock,
                                               "-P", os.path.join(d, f"bird-{name}.pid")],
                         log=os.path.join(d, f"bird-{name}.out"))
        deadline = time.monotonic() + 10
        while not os.path.exists(sock):
            if p.poll() is not None or time.monotonic() > deadline:
                raise ClusterError(f"bird-{name} did not start: {self.bird_log(name)}")
            time.sleep(0.05)
        self.birds[name] = (p, sock, log)

    def _router_bird(self):
        peers = "".join(ROUTER_PEER.format(i=n.i, ip4=n.ip4, ip6=n.ip6, node_as=NODE_AS)
                        for n in self.t.lbs)
        log = os.path.join(self.t.workdir, "bird-router.log")
        self._bird("router", self.t.ns["rt"], ROUTER_BIRD.format(
            router_id=topo.ROUTER_SEG4, log=log, router4=topo.ROUTER_SEG4,
            router6=topo.ROUTER_SEG6, router_as=ROUTER_AS, peers=peers))

    def include_path(self, i):
        return os.path.join(self.t.workdir, f"bird-node{i}-vips.conf")

    def _node_bird(self, node):
        inc = self.include_path(node.i)
        # sluiced writes it at start; BIRD starts first here, so give it one.
        with open(inc, "w") as f:
            f.write("protocol static sluice_vips4 { ipv4; }\n"
                    "protocol static sluice_vips6 { ipv6; }\n")
        log = os.path.join(self.t.workdir, f"bird-node{node.i}.log")
        self._bird(f"node{node.i}", node.ns, NODE_BIRD.format(
            ip4=node.ip4, ip6=node.ip6, log=log, include=inc, node_as=NODE_AS,
            router4=topo.ROUTER_SEG4, router6=topo.ROUTER_SEG6, router_as=ROUTER_AS))

    def _node_sluiced(self, node):
        _, sock, _ = self.birds[f"node{node.i}"]
        store = ["--etcd", self.etcd.url, "--etcd-key", self.ETCD_KEY] if self.etcd else []
        d = Sluiced(self.t.workdir, node.ctl_sock, ns=node.ns, tag=f"sluiced-n{node.i}",
                    extra=store + ["--node", f"node{node.i}", "--bird-socket", sock,
                           "--bird-include", self.include_path(node.i),
                           "--maintenance-file", self.maint_files[node.i],
                           "--dp-config", os.path.join(self.t.workdir,
                                                       f"dp-effective-n{node.i}.json")])
        d.node = f"node{node.i}"
        self.sluiced.append(d)
        d.start()

    # ---- the shared store

    def etcd_revision(self):
        out = self.etcd.ctl("get", self.ETCD_KEY, "-w", "json").stdout
        return int(json.loads(out)["kvs"][0]["mod_revision"])

    def publish(self, state_or_text):
        """Write a state document (or raw text) to the store; its revision."""
        text = state_or_text if isinstance(state_or_text, str) else json.dumps(state_or_text)
        return self.etcd.put(self.ETCD_KEY, text)

    def store_view(self, i):
        r = self.sluiced[i].get("/v1/node")
        if r.status != 200:
            raise ClusterError(f"node{i}: GET /v1/node: {r}")
        return r.json["store"]

    def wait_applied(self, rev, timeout=15.0):
        """Every node applied store revision @rev: {node: its store view}."""
        deadline = time.monotonic() + timeout
        while True:
            views = {d.node: self.store_view(i) for i, d in enumerate(self.sluiced)}
            if all(v["revision_applied"] == rev for v in views.values()):
                return views
            if time.monotonic() > deadline:
                raise ClusterError(f"revision {rev} not applied everywhere: {views}")
            time.sleep(0.05)

    def wait_refused(self, rev, timeout=15.0):
        """Every node refused store revision @rev: {node: its store view}."""
        deadline = time.monotonic() + timeout
        while True:
            views = {d.node: self.store_view(i) for i, d in enumerate(self.sluiced)}
            if all((v["refused"] or {}).get("revision") == rev for v in views.values()):
                return views
            if time.monotonic() > deadline:
                raise ClusterError(f"revision {rev} not refused everywhere: {views}")
            time.sleep(0.05)

    # ---- looking at it

    def bird_log(self, name):
        try:
            with open(self.birds[name][2] if name in self.birds else
                      os.path.join(self.t.workdir, f"bird-{name}.log"), errors="replace") as f:
                return f.read()[-3000:]
        except FileNotFoundError:
            return ""

    def birdc(self, name, cmd):
        _, sock, _ = self.birds[name]
        return topo.run(["birdc", "-s", sock] + cmd.split(), check=False).stdout

    def nexthops(self, family=4):
        """The router's kernel next hops for the VIP: a sorted list of addresses."""
        vip = topo.VIP4 if family == 4 else topo.VIP6
        out = topo.run(["ip", f"-{family}", "-j", "route", "show", vip], ns=self.t.ns["rt"],
                       check=False).stdout or "[]"
        hops = []
        for r in json.loads(out):
            if r.get("gateway"):
                hops.append(r["gateway"])
            for h in r.get("nexthops", []):
                if h.get("gateway"):
                    hops.append(h["gateway"])
        return sorted(hops)

    def node_addrs(self, nodes, family=4):
        return sorted(self.t.lbs[i].ip4 if family == 4 else self.t.lbs[i].ip6 for i in nodes)

    def wait_nexthops(self, nodes, timeout=15.0, family=(4, 6)):
        """Wait until the router's ECMP route for the VIPs goes through exactly
        @nodes; returns the seconds it took. Raises on timeout."""
        t0 = time.monotonic()
        deadline = t0 + timeout
        while True:
            got = {f: self.nexthops(f) for f in family}
            if all(got[f] == self.node_addrs(nodes, f) for f in family):
                return time.monotonic() - t0
            if time.monotonic() > deadline:
                raise ClusterError(f"router next hops {got}, want nodes {sorted(nodes)}:\n"
                                   f"{self.birdc('router', 'show protocols')}")
            time.sleep(0.05)

    def dump_logs(self, dirname):
        os.makedirs(dirname, exist_ok=True)
        for name in list(self.birds):
            with open(os.path.join(dirname, f"bird-{name}.log"), "w") as f:
                f.write(self.bird_log(name))
        for i, d in enumerate(self.sluiced):
            with open(os.path.join(dirname, f"sluiced-n{i}.log"), "w") as f:
                f.write(d.log())
        for n in self.t.lbs:
            with open(os.path.join(dirname, f"sluice-dp-n{n.i}.log"), "w") as f:
                f.write(self.t.lb_log_text(n.i))

    # ---- teardown

    def down(self):
        for d in self.sluiced:
            try:
                d.stop()
            except Exception as e:  # keep tearing down
                topo.log(f"sluiced {d.node}: {e}")
        if self.etcd:
            try:
                self.etcd.stop()
            except Exception as e:
                topo.log(f"etcd: {e}")
        self.t.down()  # BIRDs and sluice-dps: spawned through it, killed by pid
