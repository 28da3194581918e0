# SPDX-License-Identifier: BSD-3-Clause
"""
The README demo on a real topology (topo.py): sluice-dp on an AF_XDP veth in
front of three nginx backends, clients in their own namespace, and sluiced
next to sluice-dp, driven with lbadm.

  1. start sluice-dp with no VIPs and sluiced beside it; build the pools
     with lbadm (apply the node's globals, vip add, backend add), lbadm list
  2. curl through the VIPs from four client addresses (IPv4 and IPv6), count
     which backend answered, and compare with the dataplane's own counters
     as lbadm reports them; lbadm list with the live counters
  3. a few seconds of wrk
  4. drain a backend with lbadm: new connections stop going to it, an open
     one stays; then lbadm history and rollback undo the drain
  5. tear everything down

Exits non-zero if a command or a request fails or a claim does not hold.
    demo.py --build BUILD_DIR [--requests N] [--wrk-seconds S]
"""

import argparse
import os
import signal
import sys
import time

sys.dont_write_bytecode = True  # nothing left behind in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import topo  # noqa: E402
from lbadm_run import Lbadm, base_yaml  # noqa: E402
from netclient import KeepAlive, backend_of, wrk  # noqa: E402
from sluiced import Sluiced  # noqa: E402

WEIGHTS = {"b1": 100, "b2": 100, "b3": 200}
failures = []


def check(ok, what):
    print(f"  [{'ok' if ok else 'FAIL'}] {what}")
    if not ok:
        failures.append(what)


def curl_many(t, src, base, n, tag):
    """n requests from @src, each on its own connection; returns the bodies."""
    urls = [f"{base}/{tag}{i}" for i in range(n)]
    p = topo.run(["curl", "-sS", "--max-time", "20", "--interface", src, "-H",
                  "Connection: close", *urls], ns=t.ns["cl"], check=False, timeout=60)
    lines = [line for line in p.stdout.splitlines() if line.strip()]
    if p.returncode != 0:
        print(f"  curl from {src}: exit {p.returncode}: {p.stderr.strip()}")
    return lines


def traffic(t, n_total, tag):
    """Spread n_total requests over the client addresses, 3/4 IPv4, 1/4 IPv6."""
    counts = {b: 0 for b in topo.BACKENDS}
    asked = answered = 0
    plan = [(topo.CLIENT4, f"http://{topo.VIP4}", n_total * 3 // 4),
            (topo.CLIENT6, f"http://[{topo.VIP6}]", n_total - n_total * 3 // 4)]
    for clients, base, n in plan:
        per = n // len(clients)
        for src in clients:
            bodies = curl_many(t, src, base, per, tag)
            asked += per
            for body in bodies:
                b = backend_of(body)
                counts[b] += 1
                answered += 1
    return asked, answered, counts


VIPS = {4: f"tcp/{topo.VIP4}/{topo.HTTP_PORT}", 6: f"tcp/{topo.VIP6}/{topo.HTTP_PORT}"}
SVC = {4: f"{topo.VIP4}:{topo.HTTP_PORT}", 6: f"[{topo.VIP6}]:{topo.HTTP_PORT}"}


def lbadm_show(lbadm, *args, want=0):
    """Run lbadm, print the command and its output as an operator sees them."""
    print(f"\n  $ {' '.join(lbadm.cmdline(*args))}")
    p = lbadm.run(*args, want=want)
    for line in (p.stdout + p.stderr).rstrip("\n").splitlines():
        print(f"    {line}")
    return p


def lb_counts(lbadm):
    """Per backend, summed over the two TCP VIPs: [new flows, packets], from
    the dataplane's counters as lbadm -j list reports them; None (and a failed
    check) when they cannot be read."""
    by_addr = {}
    for n, (v4, v6, _) in topo.BACKENDS.items():
        by_addr[v4] = by_addr[v6] = n
    out = {b: [0, 0] for b in topo.BACKENDS}
    try:
        for v in lbadm.json("list")["vips"]:
            if v.get("vip") not in VIPS.values():
                continue
            for be in v["backends"]:
                out[by_addr[be["address"]]][0] += be["new_flows"]
                out[by_addr[be["address"]]][1] += be["packets"]
    except Exception as e:
        check(False, f"the dataplane's per-backend counters readable through lbadm ({e})")
        return None
    return out


def table(title, counts, before, after, weights, states):
    total = sum(counts.values()) or 1
    wsum = sum(w for b, w in weights.items() if states.get(b, "active") == "active") or 1
    print(f"\n{title}")
    print(f"  {'backend':8} {'state':9} {'weight':>6} {'expected':>9} {'answered':>9} "
          f"{'share':>6}   {'sluice-dp: new flows':>20} {'packets':>8}")
    for b in topo.BACKENDS:
        st = states.get(b, "active")
        exp = 100.0 * weights[b] / wsum if st == "active" else 0.0
        if before and after:
            nf = after[b][0] - before[b][0]
            pk = after[b][1] - before[b][1]
        else:
            nf = pk = "n/a"
        print(f"  {b:8} {st:9} {weights[b]:>6} {exp:>8.1f}% {counts[b]:>9} "
              f"{100.0 * counts[b] / total:>5.1f}%   {nf:>20} {pk:>8}")


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", default=os.environ.get("SLUICE_BUILD", "build"))
    ap.add_argument("--requests", type=int, default=400)
    ap.add_argument("--wrk-seconds", type=int, default=3)
    a = ap.parse_args(argv)
    if os.geteuid() != 0:
        print("demo: run as root (namespaces, XDP, hugepages)", file=sys.stderr)
        return 2
    dp, decap, front = topo.find_build_artifacts(a.build)
    for what, path in (("sluice-dp", dp), ("decap XDP object", decap)):
        if not path or not os.path.exists(path):
            print(f"demo: {what} not found in {a.build}", file=sys.stderr)
            return 2
    a.requests = max(a.requests, 16)

    t = topo.Topology(sluice_dp=dp, decap_obj=decap, xdp_front_obj=front)
    sld = None

    def on_term(signum, frame):
        raise KeyboardInterrupt(f"signal {signum}")  # tear down in finally

    signal.signal(signal.SIGTERM, on_term)
    try:
        t0 = time.monotonic()
        print("Building the topology: client, router, LB, 3 backends (nginx, decap XDP) ...")
        t.up()
        cfg = topo.make_config("encap")
        cfg["vips"] = []  # an empty machine: the pools come from lbadm
        t.start_lb(cfg)
        sld = Sluiced(t.workdir, t.ctl_sock, ns=t.ns["lb"], tag="sluiced")
        sld.start()
        lbadm = Lbadm(sld.sock)
        print(f"sluice-dp is running (AF_XDP on lb0) with no VIPs; sluiced beside it in the "
              f"LB namespace; ready in {time.monotonic() - t0:.1f}s")
        print(f"lbadm talks to sluiced's socket ({sld.sock}; -s is left out below).")

        # 1. The pools, with lbadm
        print("\n1. Build the pools with lbadm")
        base = os.path.join(t.workdir, "base.yaml")
        with open(base, "w") as f:
            f.write(base_yaml())
        print("\n  base.yaml holds the node's globals (next-hop MAC, encap prefixes, seed, "
              "table sizes)")
        p = lbadm.run("apply", "-f", base)
        print("\n  $ lbadm apply -f base.yaml")
        for line in p.stdout.splitlines():
            print(f"    {line}")
        for fam in (4, 6):
            lbadm_show(lbadm, "vip", "add", "-t", SVC[fam])
            for name in topo.BACKENDS:
                addr = topo.BACKENDS[name][0 if fam == 4 else 1]
                lbadm_show(lbadm, "backend", "add", "-t", SVC[fam], "-r", addr,
                           "-w", WEIGHTS[name])
        lbadm_show(lbadm, "list")
        st = lbadm.json("status")["dataplane"]
        check(st.get("up") is True and st.get("current") is True,
              f"sluice-dp runs the state lbadm built (generation {st.get('generation')})")

        # 2. Traffic
        before = lb_counts(lbadm)
        asked, answered, counts = traffic(t, a.requests, "a")
        after = lb_counts(lbadm)
        table(f"\n2. {asked} curl requests from {len(topo.CLIENT4)} IPv4 and "
              f"{len(topo.CLIENT6)} IPv6 client addresses, each on a new connection:",
              counts, before, after, WEIGHTS, {})
        check(answered == asked, f"every request answered ({answered}/{asked})")
        if before and after:
            lb_new = {b: after[b][0] - before[b][0] for b in topo.BACKENDS}
            check(lb_new == counts, "the dataplane's per-backend new-flow counters (lbadm list) "
                  "match the answers")
        tol = 12.0  # percentage points: a few hundred flows, weights 1:1:2
        shares_ok = all(abs(100.0 * counts[b] / max(answered, 1) - 100.0 * WEIGHTS[b] / 400)
                        <= tol for b in topo.BACKENDS)
        check(shares_ok, f"shares follow the weights 1:1:2 within {tol:.0f} points")
        lbadm_show(lbadm, "list", "-t", SVC[4])

        # 3. wrk
        print(f"\n3. wrk, {a.wrk_seconds}s, 2 threads, 32 connections, to http://{topo.VIP4}/:")
        r = wrk(t.ns["cl"], f"http://{topo.VIP4}/", duration=a.wrk_seconds)
        for line in r["raw"].splitlines():
            if "Requests/sec" in line or "requests in" in line or "Latency" in line:
                print("  " + line.strip())
        check(r["rc"] == 0 and r["requests"] > 0, f"wrk ran ({r['requests']} requests)")
        check(not any(r["socket_errors"].values()) and r["non2xx"] == 0,
              f"no socket errors, no non-2xx (errors {r['socket_errors'] or 'none'}, "
              f"non-2xx {r['non2xx']})")

        # 4. Drain b3, with a keep-alive connection open to it
        held = None
        for i in range(40):
            c = KeepAlive(t.ns["cl"], topo.CLIENT4[i % 4], topo.VIP4)
            if backend_of(c.get("/hold")[1]) == "b3":
                held = c
                break
            c.close()
        gen = t.generation()
        states = {"b3": "draining"}
        print("\n4. Drain b3 for maintenance (a connection to it is open)")
        for fam in (4, 6):
            lbadm_show(lbadm, "backend", "drain", "-t", SVC[fam], "-r",
                       topo.BACKENDS["b3"][0 if fam == 4 else 1])
        check(t.generation() > gen, "sluice-dp runs a new generation")
        before = lb_counts(lbadm)
        asked, answered, counts = traffic(t, a.requests // 2, "d")
        after = lb_counts(lbadm)
        table(f"\n{asked} more requests, new connections, with b3 draining:", counts, before,
              after, WEIGHTS, states)
        check(answered == asked, f"every request answered ({answered}/{asked})")
        if held is not None:
            try:
                kept = [backend_of(held.get(f"/held{i}")[1]) for i in range(10)]
            except Exception as e:
                kept = [f"error: {e}"]
            finally:
                held.close()
            print(f"  the connection opened to b3 before draining, 10 more requests: "
                  f"answered by {sorted(set(kept))}")
            check(kept == ["b3"] * 10, "the established connection stays on the draining backend")
        check(counts["b3"] == 0 and (not before or not after or after["b3"][0] == before["b3"][0]),
              "no new connection went to the draining backend")

        # Maintenance done: undo the drain from history
        print("\n   Maintenance done: undo the two drains from the history")
        lbadm_show(lbadm, "history", "--limit", "3")
        v = lbadm.json("status")["version"]
        lbadm_show(lbadm, "rollback", v - 2)
        asked, answered, counts = traffic(t, 40, "r")
        check(answered == asked and counts["b3"] > 0,
              f"after the rollback b3 takes new connections again ({counts['b3']} of {asked})")

        drops = lbadm.json("stats")["drops"]
        nz = {k: v for k, v in drops.items() if v}
        print(f"\nsluice-dp drops (lbadm stats): {nz or 'none'}")
        check(t.lb_alive() and sld.alive(), "sluice-dp and sluiced still running")
    except (Exception, KeyboardInterrupt) as e:
        print(f"demo: {type(e).__name__}: {e}", file=sys.stderr)
        if t.lb_proc is not None:
            print(f"--- sluice-dp log ---\n{t.lb_log_tail()}", file=sys.stderr)
        if sld is not None:
            print(f"--- sluiced log ---\n{sld.log()}", file=sys.stderr)
        failures.append(str(e))
    finally:
        print("\nTearing down ...")
        if sld is not None:
            sld.stop()
        t.down()
    if failures:
        print(f"demo: {len(failures)} check(s) failed", file=sys.stderr)
        return 1
    print("demo: all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
