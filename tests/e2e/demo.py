# SPDX-License-Identifier: BSD-3-Clause
"""
The README demo on a real topology (topo.py): sluice-dp on an AF_XDP veth in
front of three nginx backends, clients in their own namespace.

  1. curl through the VIP from four client addresses (IPv4 and IPv6), count
     which backend answered, and compare with sluice-dp's own counters
  2. a few seconds of wrk
  3. drain a backend: new connections stop going to it
  4. tear everything down

Exits non-zero if a request fails or a claim does not hold.
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
from netclient import KeepAlive, backend_of, wrk  # noqa: E402

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


def lb_counts(t):
    """Per backend, summed over the TCP VIPs: [new flows, packets] from
    /sluice/backends; None (and a failed check) when telemetry does not say."""
    out = {b: [0, 0] for b in topo.BACKENDS}
    try:
        for vi in (topo.VIP_INDEX[("tcp", 4)], topo.VIP_INDEX[("tcp", 6)]):
            for b, c in t.backend_counters(vi).items():
                out[b][0] += c["new_flows"]
                out[b][1] += c["packets"]
    except Exception as e:
        check(False, f"sluice-dp's per-backend counters readable ({e})")
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

    def on_term(signum, frame):
        raise KeyboardInterrupt(f"signal {signum}")  # tear down in finally

    signal.signal(signal.SIGTERM, on_term)
    try:
        t0 = time.monotonic()
        print("Building the topology: client, router, LB, 3 backends (nginx, decap XDP) ...")
        t.up()
        cfg = topo.make_config("encap", weights=WEIGHTS)
        t.start_lb(cfg)
        print(f"sluice-dp is forwarding (AF_XDP on lb0, IP-in-IP to the backends), "
              f"generation {t.generation()}, ready in {time.monotonic() - t0:.1f}s")
        print(f"  VIPs {topo.VIP4} and {topo.VIP6}, port 80; backends "
              + ", ".join(f"{b} {v[0]}" for b, v in topo.BACKENDS.items()))

        # 1. Traffic
        before = lb_counts(t)
        asked, answered, counts = traffic(t, a.requests, "a")
        after = lb_counts(t)
        table(f"{asked} curl requests from {len(topo.CLIENT4)} IPv4 and "
              f"{len(topo.CLIENT6)} IPv6 client addresses, each on a new connection:",
              counts, before, after, WEIGHTS, {})
        check(answered == asked, f"every request answered ({answered}/{asked})")
        if before and after:
            lb_new = {b: after[b][0] - before[b][0] for b in topo.BACKENDS}
            check(lb_new == counts, "sluice-dp's per-backend new-flow counters match the answers")
        tol = 12.0  # percentage points: a few hundred flows, weights 1:1:2
        shares_ok = all(abs(100.0 * counts[b] / max(answered, 1) - 100.0 * WEIGHTS[b] / 400)
                        <= tol for b in topo.BACKENDS)
        check(shares_ok, f"shares follow the weights 1:1:2 within {tol:.0f} points")

        # 2. wrk
        print(f"\nwrk, {a.wrk_seconds}s, 2 threads, 32 connections, to http://{topo.VIP4}/:")
        r = wrk(t.ns["cl"], f"http://{topo.VIP4}/", duration=a.wrk_seconds)
        for line in r["raw"].splitlines():
            if "Requests/sec" in line or "requests in" in line or "Latency" in line:
                print("  " + line.strip())
        check(r["rc"] == 0 and r["requests"] > 0, f"wrk ran ({r['requests']} requests)")
        check(not any(r["socket_errors"].values()) and r["non2xx"] == 0,
              f"no socket errors, no non-2xx (errors {r['socket_errors'] or 'none'}, "
              f"non-2xx {r['non2xx']})")

        # 3. Drain b3, with a keep-alive connection open to it
        held = None
        for i in range(40):
            c = KeepAlive(t.ns["cl"], topo.CLIENT4[i % 4], topo.VIP4)
            if backend_of(c.get("/hold")[1]) == "b3":
                held = c
                break
            c.close()
        gen = t.generation()
        states = {"b3": "draining"}
        reply = t.apply(topo.make_config("encap", weights=WEIGHTS, states=states))
        print(f"\nDraining b3 over the control socket: {reply}")
        check(reply.get("ok") is True and reply.get("generation", 0) > gen,
              "the new generation is accepted")
        before = lb_counts(t)
        asked, answered, counts = traffic(t, a.requests // 2, "d")
        after = lb_counts(t)
        table(f"{asked} more requests, new connections, with b3 draining:", counts, before,
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

        drops = t.tel("/sluice/drops")
        nz = {k: v for k, v in drops.items() if v}
        print(f"\nsluice-dp drops: {nz or 'none'}")
        check(t.lb_alive(), "sluice-dp still running")
    except (Exception, KeyboardInterrupt) as e:
        print(f"demo: {type(e).__name__}: {e}", file=sys.stderr)
        if t.lb_proc is not None:
            print(f"--- sluice-dp log ---\n{t.lb_log_tail()}", file=sys.stderr)
        failures.append(str(e))
    finally:
        print("\nTearing down ...")
        t.down()
    if failures:
        print(f"demo: {len(failures)} check(s) failed", file=sys.stderr)
        return 1
    print("demo: all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
