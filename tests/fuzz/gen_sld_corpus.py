#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Write the seed corpora of sluiced's fuzz targets (tests/fuzz/fuzz_sld_*.c)
from the documents the e2e tests use: corpus_sld_state/ (state documents),
corpus_sld_patch/ ([vip, patch] pairs), corpus_sld_path/ (API paths),
corpus_sld_tokens/ (token files). Run from anywhere; rewrites the directories.
"""
import hashlib
import json
import os
import shutil
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "e2e"))
sys.dont_write_bytecode = True

MAC = "02:00:00:00:00:fe"


def vip(addr="192.0.2.80", proto="tcp", port=80, backends=("10.0.1.1", "10.0.1.2"), **kw):
    v = {"address": addr, "protocol": proto, "port": port,
         "backends": [{"address": b} for b in backends]}
    v.update(kw)
    return v


CHECKS = [
    {"type": "tcp", "interval_ms": 200, "timeout_ms": 150, "rise": 2, "fall": 2},
    {"type": "http", "port": 80, "path": "/healthz", "host": "example.com",
     "expect_status": 204},
    {"type": "exec", "command": ["/bin/sh", "-c", "test -e /tmp/x"], "interval_ms": 300},
    {"type": "none"},
]
FILTER = {"allow": ["192.0.2.0/28", "2001:db8:1::/48"],
          "deny": {"mode": "monitor", "rules": [
              "198.51.100.0/24",
              {"prefix": "203.0.113.0/24", "vip": "10.91.100.1", "protocol": "tcp",
               "port": 80}]},
          "rate_limit": {"mode": "enforce", "key_prefix_v4": 24, "pps": 100, "bps": 100000,
                         "overrides": [{"prefix": "10.0.0.0/8", "key_prefix": 24,
                                       "pps": 1000}]},
          "syn_limit": {"pps": 10000, "burst": 1000}, "drop_sample": 4}

STATES = [
    {},
    {"nexthop_mac": MAC},
    {"nexthop_mac": MAC, "flow_capacity": 4096, "vips": [vip()]},
    {"nexthop_mac": MAC, "mtu": 9000, "ttl": 32, "seed": 7, "table_size": 65537,
     "timeouts": {"tcp_established_s": 300},
     "vips": [vip(hash="src_ip", slow_start_s=30,
                  min_healthy={"count": 1, "percent": 50, "action": "fail_closed"},
                  health_check=c) for c in CHECKS[:1]]},
    {"nexthop_mac": MAC, "vips": [vip(port=0, health_check={"type": "tcp", "port": 80}),
                                  vip("2001:db8::53", "udp", 53, ("2001:db8::1", "2001:db8::2"))]},
    {"nexthop_mac": MAC, "vips": [{"address": "192.0.2.80", "protocol": "tcp", "port": 80,
                                   "forwarding": "l2", "backends": [
                                       {"address": "10.0.1.1", "mac": "02:00:00:00:01:01",
                                        "weight": 7, "state": "draining"},
                                       {"address": "10.0.1.2", "mac": "02:00:00:00:01:02",
                                        "state": "disabled"}]}]},
    {"nexthop_mac": MAC, "filter": FILTER},
    {"nexthop_mac": MAC, "filter": {"deny": ["10.0.0.1/8"]}},
    {"vips": [vip(port=70000)]},
]
for c in CHECKS:
    STATES.append({"nexthop_mac": MAC, "vips": [vip(health_check=c)]})

PATCHES = [
    [vip(), {"hash": "src_ip"}],
    [vip(health_check=CHECKS[1]), {"health_check": {"type": "tcp"}}],
    [vip(health_check=CHECKS[0]), {"health_check": {"type": "exec", "command": ["/bin/true"]}}],
    [vip(), {"backends": None, "slow_start_s": 5}],
    [vip(), {"min_healthy": {"action": "fail_closed", "percent": None}}],
    [{"address": "10.0.1.2", "weight": 100}, {"weight": 50, "state": "draining"}],
    [vip(), {"backends": [{"address": "10.0.1.9"}], "health_check": {"path": "/x"}}],
]

PATHS = ["/metrics", "/v1/state", "/v1/vips", "/v1/vips/tcp/192.0.2.80/80",
         "/v1/vips/udp/2001:db8::53/53/backends/2001:db8::1",
         "/v1/vips/tcp/192.0.2.80/80/backends/10.0.1.2", "/v1/history", "/v1/history/12",
         "/v1/history/99999999999999999999", "/v1/rollback", "/v1/status", "/v1/health",
         "/v1/stats", "/v1/filter", "/v1/filter/stats", "/v1/filter/drops",
         "//v1//state/", "/v1/vips/sctp/1.2.3.4/5", "/v1/vips/tcp/::ffff:1.2.3.4/65535",
         "/v1/history/../../etc/passwd", "/" + "a/" * 20]

TOKENS = ["# name role secret\nci admin aaaaaaaaaaaaaaaaaaaaaaaa\n"
          "dash read rrrrrrrrrrrrrrrrrrrrrrrr\n",
          "x admin short\n", "a.b@c-d_e read " + "s" * 256 + "  # trailing\n",
          "\n\n# only comments\n", "one two three four\n"]


def write(dirname, items, raw=False):
    d = os.path.join(HERE, dirname)
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    for it in items:
        data = it.encode() if raw else json.dumps(it, indent=1).encode()
        with open(os.path.join(d, hashlib.sha1(data).hexdigest()[:16]), "wb") as f:
            f.write(data)


write("corpus_sld_state", STATES)
write("corpus_sld_patch", PATCHES)
write("corpus_sld_path", PATHS, raw=True)
write("corpus_sld_tokens", TOKENS, raw=True)
