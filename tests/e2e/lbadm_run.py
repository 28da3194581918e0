# SPDX-License-Identifier: BSD-3-Clause
"""Run lbadm against a sluiced's socket, for the lbadm e2e test and the
README demo; base_yaml() is the state's globals matching topo.make_config
(sluice-dp refuses run-time changes of its table sizes and timeouts)."""

import os
import subprocess

import topo


def lbadm_binary():
    build = os.environ.get("SLUICE_BUILD", "build")
    return os.environ.get("LBADM", os.path.join(build, "tools", "lbadm", "lbadm"))


class LbadmError(RuntimeError):
    pass


class Lbadm:
    def __init__(self, sock):
        self.sock = sock

    def cmdline(self, *args):
        return ["lbadm", *[str(a) for a in args]]

    def run(self, *args, want=0, input=None):
        """Run lbadm ARGS; raise LbadmError unless it exits @want (None: any)."""
        p = subprocess.run([lbadm_binary(), "-s", self.sock, *[str(a) for a in args]],
                           capture_output=True, text=True, timeout=60, input=input)
        if want is not None and p.returncode != want:
            raise LbadmError(f"lbadm {' '.join(map(str, args))}: exit {p.returncode} "
                             f"(wanted {want}):\n{p.stdout}{p.stderr}")
        return p

    def json(self, *args):
        import json
        return json.loads(self.run("-j", *args).stdout)

    def new_flows(self, vip):
        """{backend name: new_flows} of VIP @vip (PROTO/ADDR/PORT) from lbadm -j list."""
        by_addr = {}
        for n, (v4, v6, _) in topo.BACKENDS.items():
            by_addr[v4] = by_addr[v6] = n
        view = self.json("list")
        for v in view["vips"]:
            if v.get("vip") == vip:
                return {by_addr.get(b["address"], b["address"]): b["new_flows"]
                        for b in v["backends"]}
        raise LbadmError(f"{vip} not in lbadm list: {view}")


def base_yaml():
    """The node's globals as a YAML state file (the pools come from lbadm verbs)."""
    c = topo.make_config("encap")
    t = c["timeouts"]
    return f"""\
# Node globals for the e2e topology. Quoted: MACs and prefixes are strings.
table_size: {c['table_size']}
flow_capacity: {c['flow_capacity']}
syn_cap: {c['syn_cap']}
seed: {c['seed']}
mtu: {c['mtu']}
ttl: {c['ttl']}
nexthop_mac: "{c['nexthop_mac']}"
encap_source_v4: "{c['encap_source_v4']}"
encap_source_v6: "{c['encap_source_v6']}"
timeouts: {{tcp_syn: {t['tcp_syn']}, tcp_established: {t['tcp_established']}, \
tcp_closing: {t['tcp_closing']}, udp: {t['udp']}, other: {t['other']}}}
vips: []
"""
