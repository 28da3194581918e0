# SPDX-License-Identifier: BSD-3-Clause
"""Sluice's pktgen benchmarks: named scenarios run through sluice-pktgen
against sluice-dp and, in the same invocation and on the same rig, against
dpdk-testpmd in io-forward mode (the reference: moving packets with no work).

    bench/pktgen.sh SCENARIO [options]      (or ./sluice.sh bench pktgen ...)

Scenarios:
  forwarding  64-byte TCP packets of established flows to one VIP, at each
              flow count of -f (default 1,1000,1000000,10000000)
  newflows    every packet a new TCP SYN: the connection-tracking insert rate
  attack      a random-source SYN flood and malformed packets alongside
              legitimate established flows, whose loss is reported apart
  mixed       IMIX over many flows: TCP and UDP over IPv4, TCP over IPv6
  all         all of the above

For each (scenario, flow count, DUT) it runs: a warm-up (every flow once),
a flat-out trial, RFC 2544 binary searches for the highest offered rate
with no loss and with at most 0.1% loss, and trials at fractions of the
zero-loss rate for latency. Writes OUT/SCENARIO.json, OUT/summary.md and
PNG plots (gnuplot) into the output directory, and prints the summary.
"""

import argparse
import datetime
import json
import os
import platform
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import rig as rigmod  # noqa: E402
from rig import Rig, RigError, log  # noqa: E402

SCENARIOS = ("forwarding", "newflows", "attack", "mixed")
NEXTHOP_MAC = "02:00:00:00:00:fe"
VIP4, VIP6 = "192.0.2.80", "2001:db8::80"
DENY_NET4 = "203.0.113.0/24"
COLORS = {"sluice": "#1f5fa8", "testpmd": "#e07b00"}
BACKENDS4 = [f"10.97.0.{i}" for i in range(1, 9)]
BACKENDS6 = [f"fd00:97::{i}" for i in range(1, 9)]


def pow2_at_least(n):
    p = 1
    while p < n:
        p <<= 1
    return p


def flow_capacity(flows):
    """Per-worker table for @flows established flows: 1.6 x, a power of two (the
    table's bucket count is one anyway), at least 65536."""
    return max(65536, pow2_at_least(int(flows * 1.6)))


def vip(address, proto, port):
    bes = BACKENDS6 if ":" in address else BACKENDS4
    return {"address": address, "protocol": proto, "port": port,
            "backends": [{"address": b} for b in bes]}


def sluice_config(vips, capacity, syn_cap=0):
    # mtu 1600: the rig's "fabric" carries 1500-byte client packets inside the tunnel.
    return {"nexthop_mac": NEXTHOP_MAC, "flow_capacity": capacity, "syn_cap": syn_cap,
            "mtu": 1600, "vips": vips}


def stream(name, type_, dst, dport, flows, size, share=1, **kw):
    s = {"name": name, "type": type_, "dst": dst, "dport": dport, "flows": flows,
         "size": size, "share": share}
    if ":" in dst:
        s["src"] = "fd00:10::/64"
    s.update(kw)
    return s


def scenario_link(name, a):
    """The link a scenario runs on: -i, else afxdp for the attack (the filter's path)."""
    return a.rig or ("afxdp" if name == "attack" else "memif")


def scenario_runs(name, a, link):
    """(label, flows, profile, sluice config, filter rules) for each run of @name."""
    t = a.threads
    size = a.size
    dst = a.dest
    proto_vip = [vip(dst, "tcp", 80)]
    if name == "forwarding":
        for f in a.flows or [1, 1000, 1000000, 10000000]:
            f = max(f, t)  # a flow goes to one queue: at least one per thread
            prof = {"streams": [stream("established", "tcp_ack", dst, 80, f, size)]}
            yield f"{f} flows", f, prof, sluice_config(proto_vip, flow_capacity(f)), None
    elif name == "newflows":
        prof = {"streams": [stream("syn", "tcp_syn", dst, 80, 0, size)]}
        yield "new flows", 0, prof, sluice_config(proto_vip, 1 << 20), None
    elif name == "attack":
        f = (a.flows or [100000])[0]
        v6 = ":" in dst
        legit_src = "fd00:10::/64" if v6 else "10.0.0.0/8"
        flood_src = "fd00:66::/64" if v6 else "100.64.0.0/10"
        deny_src = "2001:db8:bad::/64" if v6 else DENY_NET4
        streams = [
            stream("legit", "tcp_ack", dst, 80, f, size, share=20, src=legit_src),
            stream("synflood", "tcp_syn", dst, 80, 0, size, share=60, random_src=True,
                   src=flood_src),
            stream("bad_version", "tcp_ack", dst, 80, 1000, size, share=5,
                   malformed="ip_version", src=legit_src),
            stream("bad_doff", "tcp_ack", dst, 80, 1000, size, share=5, malformed="tcp_doff",
                   src=legit_src),
        ]
        rules = None
        if link == "afxdp":
            # Denylisted sources: the XDP filter in front of sluice-dp drops them.
            streams.append(stream("denied", "tcp_ack", dst, 80, 0, size, share=10,
                                  random_src=True, src=deny_src, expect="drop"))
            rules = {"deny": {"mode": "enforce", "rules": [deny_src]}}
        # syn_cap keeps the flood from evicting the legitimate flows' entries.
        yield f"{f} legit flows", f, {"streams": streams}, \
            sluice_config(proto_vip, flow_capacity(f) * 2, syn_cap=200000), rules
    elif name == "mixed":
        f = (a.flows or [1000000])[0]
        sz = "imix" if a.size == 60 else a.size
        streams = [
            stream("tcp4", "tcp_ack", VIP4, 80, max(t, f * 6 // 10), sz, share=6),
            stream("udp4", "udp", VIP4, 53, max(t, f * 3 // 10), sz, share=3),
            stream("tcp6", "tcp_ack", VIP6, 80, max(t, f // 10), sz, share=1),
        ]
        cfg = sluice_config([vip(VIP4, "tcp", 80), vip(VIP4, "udp", 53), vip(VIP6, "tcp", 80)],
                            flow_capacity(f))
        yield f"{f} flows", f, {"streams": streams}, cfg, None


def hugepages_for(cfg, threads):
    """2 MiB pages for the DUT's flow tables and both processes' buffers."""
    ct = cfg["flow_capacity"] * 72 * threads
    return ct // (2 << 20) + 160 * threads + 128


def summarize(report, deltas, threads):
    """The figures of one run: rates, DUT cycles per packet, latency vs load."""
    hz = report["generator"]["tsc_hz"]
    res = report["result"]
    tr = report["trials"]
    flat = tr[res["flat_out"]["trial"]]
    d = deltas.get(flat["index"], {})
    dut_rx = d.get("port", {}).get("ipackets", 0)
    bursts = max(1, flat["sent"] / 32)
    s = {
        "flat_forwarded_mpps": flat["forwarded_pps"] / 1e6,
        "flat_offered_mpps": flat["offered_pps"] / 1e6,
        "flat_loss_ratio": flat["loss_ratio"],
        # Flat out is back-pressured: if the DUT set the pace, most bursts were cut short.
        "dut_saturated": flat["tx_partial"] > 0.05 * bursts,
        "dut_rx_mpps": dut_rx / flat["duration_s"] / 1e6 if flat["duration_s"] else 0,
        "dut_cycles_per_packet": (hz * threads * flat["duration_s"] / dut_rx) if dut_rx else None,
        "zero_loss_mpps": res["zero_loss"]["rate_pps"] / 1e6,
        "partial_loss_mpps": res["partial_loss"]["rate_pps"] / 1e6,
        "latency": [],
        "streams_flat": {n: {k: v for k, v in st.items() if k != "latency_us"}
                         for n, st in flat["streams"].items()},
    }
    if res["zero_loss"].get("trial") is not None:
        ndr = tr[res["zero_loss"]["trial"]]
        s["streams_zero_loss"] = {n: {k: v for k, v in st.items() if k != "latency_us"}
                                  for n, st in ndr["streams"].items()}
    for i in res.get("loads", []):
        t = tr[i]
        lat = t["latency_us"] or {}
        s["latency"].append({"target_mpps": (t["target_pps"] or 0) / 1e6,
                             "offered_mpps": t["offered_pps"] / 1e6,
                             "loss_ratio": t["loss_ratio"],
                             "p50_us": lat.get("p50"), "p99_us": lat.get("p99"),
                             "p999_us": lat.get("p999")})
    if d.get("drops"):
        s["dut_drops_flat"] = {k: v for k, v in d["drops"].items() if v}
    if d.get("workers"):
        s["dut_new_flows_flat"] = d["workers"].get("new_flows")
    if d.get("filter"):
        s["dut_filter_flat"] = {k: v for k, v in d["filter"].items() if v}
    return s


def machine_info():
    info = {"cpus": os.cpu_count(), "kernel": platform.release()}
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                info["cpu"] = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        info["dpdk"] = subprocess.run(["pkg-config", "--modversion", "libdpdk"],
                                      capture_output=True, text=True).stdout.strip()
    except OSError:
        pass
    try:
        info["commit"] = subprocess.run(["git", "-C", HERE, "rev-parse", "--short", "HEAD"],
                                        capture_output=True, text=True).stdout.strip()
    except OSError:
        pass
    return info


def pktgen_args(a, profile_path, search=True):
    args = ["-p", profile_path, "--warmup"]
    if a.rate:
        args += ["-r", str(a.rate)]
    else:
        args += ["--search", "--resolution", str(a.resolution), "--max-trials",
                 str(a.max_trials), "--retries", str(a.retries), "--flat-trials",
                 str(a.flat_trials), "--loads", a.loads]
    if a.count:
        args += ["-n", str(a.count)]
    else:
        args += ["-D", str(a.duration)]
    return args


def run_scenario(name, a, rig, out_dir, on_run=None):
    runs = []
    for label, flows, prof, cfg, rules in scenario_runs(name, a, rig.link):
        ppath = os.path.join(rig.dir, f"{name}-{flows}.profile.json")
        with open(ppath, "w") as f:
            json.dump(prof, f)
        rigmod.ensure_hugepages(hugepages_for(cfg, a.threads))
        for dut in a.duts:
            log(f"{name}, {label}: {dut}")
            if dut == "sluice":
                rig.start_sluice(cfg, filter_rules=rules)
            else:
                rig.start_testpmd()
            try:
                # run_pktgen stops the DUT at the end (before the generator leaves the link).
                report, deltas = rig.run_pktgen(pktgen_args(a, ppath), name=f"{name}-{flows}-{dut}")
            finally:
                rig.stop_dut()
            run = {"scenario": name, "label": label, "flows": flows, "dut": dut,
                   "link": rig.link, "profile": prof,
                   "dut_config": cfg if dut == "sluice" else None,
                   "filter_rules": rules if dut == "sluice" else None,
                   "cpu": rig.last_cpu, "pktgen": report,
                   "dut_counters": {str(k): v for k, v in sorted(deltas.items())}}
            if not a.rate:
                run["summary"] = summarize(report, deltas, a.threads)
            runs.append(run)
            if on_run:
                on_run(runs)
    return runs


def add_ratios(runs):
    """Sluice's rates as a ratio of testpmd's on the same (scenario, flows)."""
    ref = {(r["scenario"], r["label"]): r["summary"] for r in runs
           if r["dut"] == "testpmd" and r.get("summary")}
    for r in runs:
        s = r.get("summary")
        t = ref.get((r["scenario"], r["label"]))
        if r["dut"] == "sluice" and s and t:
            s["ratio_zero_loss"] = (s["zero_loss_mpps"] / t["zero_loss_mpps"]
                                    if t["zero_loss_mpps"] else None)
            s["ratio_flat"] = (s["flat_forwarded_mpps"] / t["flat_forwarded_mpps"]
                               if t["flat_forwarded_mpps"] else None)


def load_runs(out_dir):
    """Every run of every scenario JSON in @out_dir, in scenario, flows, DUT order."""
    runs = []
    for name in sorted(os.listdir(out_dir)):
        if not name.endswith(".json"):
            continue
        try:
            with open(os.path.join(out_dir, name)) as f:
                doc = json.load(f)
        except (OSError, ValueError):
            continue
        if isinstance(doc, dict) and doc.get("scenario") in SCENARIOS:
            for r in doc.get("runs", []):
                runs.append((doc.get("started", ""), r))
    # The same run made twice (say a flow count run again): the latest counts.
    latest = {}
    for started, r in sorted(runs, key=lambda x: x[0]):
        latest[(r["scenario"], r["label"], r["dut"], r.get("link"))] = r
    runs = list(latest.values())
    order = {n: i for i, n in enumerate(SCENARIOS)}
    runs.sort(key=lambda r: (order[r["scenario"]], r["flows"], r["dut"] != "sluice"))
    return runs


def flows_label(n):
    for div, suffix in ((10**6, "M"), (10**3, "k")):
        if n >= div and n % div == 0:
            return f"{n // div}{suffix} flows"
    return f"{n} flow" + ("s" if n != 1 else "")


def display_label(r):
    if r["scenario"] == "newflows":
        return "every packet a new flow"
    if r["scenario"] == "attack":
        return f"{flows_label(r['flows'])} legit"
    return flows_label(r["flows"])


def fmt(v, spec=".2f", none="-"):
    return none if v is None else format(v, spec)


def lat_at(s, frac=0.9):
    """Latency of the load trial closest to @frac of the zero-loss rate."""
    pts = [p for p in s["latency"] if p["p50_us"] is not None]
    if not pts or not s["zero_loss_mpps"]:
        return "-"
    p = min(pts, key=lambda p: abs(p["target_mpps"] - frac * s["zero_loss_mpps"]))
    return f"{p['p50_us']:.1f} / {p['p99_us']:.1f} / {p['p999_us']:.1f}"


def summary_md(runs, threads):
    lines = [
        "| scenario | flows | DUT | flat out, forwarded Mpps | zero loss, Mpps | <= 0.1% loss, "
        "Mpps | vs testpmd (zero loss / flat out) | DUT cycles/packet | latency p50 / p99 / "
        "p99.9 us at 90% of zero-loss rate |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in runs:
        s = r.get("summary")
        if not s:
            continue
        ratio = "1 (reference)" if r["dut"] == "testpmd" else \
            f"{fmt(s.get('ratio_zero_loss'))} / {fmt(s.get('ratio_flat'))}"
        cpp = fmt(s["dut_cycles_per_packet"], ".0f")
        if s["dut_cycles_per_packet"] and not s["dut_saturated"]:
            cpp = f"<= {cpp} (not saturated)"
        scen = r["scenario"] + (" (AF_XDP)" if r.get("link") == "afxdp" else "")
        lines.append(f"| {scen} | {display_label(r)} | {r['dut']} | "
                     f"{s['flat_forwarded_mpps']:.2f} | {s['zero_loss_mpps']:.2f} | "
                     f"{s['partial_loss_mpps']:.2f} | {ratio} | {cpp} | {lat_at(s)} |")
    extra = []
    for r in runs:
        s = r.get("summary")
        if r["scenario"] == "attack" and s:
            st = s["streams_flat"]
            parts = []
            for n, v in st.items():
                if "lost" in v:
                    parts.append(f"{n} lost {v['lost']} of {v['sent']}")
                else:
                    parts.append(f"{n} leaked {v['leaked']} of {v['sent']}")
            flt = s.get("dut_filter_flat", {})
            if flt:
                parts.append(f"the XDP filter dropped {flt.get('drop_deny', 0)} as denylisted")
            extra.append(f"* attack, {r['dut']}, flat out: " + "; ".join(parts))
    return "\n".join(lines + ([""] + extra if extra else [])) + "\n"


def gnuplot(script, out_dir):
    try:
        p = subprocess.run(["gnuplot"], input=script, text=True, capture_output=True,
                           cwd=out_dir, timeout=60)
    except FileNotFoundError:
        log("gnuplot not found (Debian package gnuplot-nox): no plots")
        return False
    if p.returncode != 0:
        log(f"gnuplot failed: {p.stderr.strip()}")
        return False
    return True


def plots(runs, out_dir, threads=1):
    made = []
    fwd = [r for r in runs if r["scenario"] == "forwarding" and r.get("summary")]
    if len({r["flows"] for r in fwd}) >= 2:
        for dut in ("sluice", "testpmd"):
            with open(os.path.join(out_dir, f"forwarding-{dut}.dat"), "w") as f:
                f.write("# flows flat_forwarded_mpps zero_loss_mpps partial_loss_mpps\n")
                for r in sorted((r for r in fwd if r["dut"] == dut), key=lambda r: r["flows"]):
                    s = r["summary"]
                    f.write(f"{r['flows']} {s['flat_forwarded_mpps']:.4f} "
                            f"{s['zero_loss_mpps']:.4f} {s['partial_loss_mpps']:.4f}\n")
        png = "forwarding-rate-vs-flows.png"
        size = fwd[0]["profile"]["streams"][0]["size"]
        size = f"{size}-byte" if isinstance(size, int) else size
        plural = "s" if threads > 1 else ""
        if gnuplot(f"""set terminal pngcairo size 1000,560
set output '{png}'
set title 'Forwarding rate vs established flows ({size} frames, {threads} worker{plural})'
set xlabel 'flows'
set ylabel 'Mpps'
set logscale x
set format x '%.0s%c'
set yrange [0:*]
set key outside right top
set grid
plot 'forwarding-sluice.dat' u 1:3 w lp lw 2 pt 7 lc rgb '{COLORS["sluice"]}' t 'sluice-dp, zero loss', \\
     'forwarding-sluice.dat' u 1:2 w lp lw 2 dt 2 pt 5 lc rgb '{COLORS["sluice"]}' t 'sluice-dp, flat out', \\
     'forwarding-testpmd.dat' u 1:3 w lp lw 2 pt 7 lc rgb '{COLORS["testpmd"]}' t 'testpmd io (reference), zero loss', \\
     'forwarding-testpmd.dat' u 1:2 w lp lw 2 dt 2 pt 5 lc rgb '{COLORS["testpmd"]}' t 'testpmd io, flat out'
""", out_dir):
            made.append(png)
    groups = {}
    for r in runs:
        if r.get("summary") and r["summary"]["latency"]:
            groups.setdefault((r["scenario"], r["flows"], r["label"]), []).append(r)
    for (scen, flows, label), rs in groups.items():
        base = f"{scen}-{flows}-latency"
        plot_lines = []
        for r in rs:
            dat = f"{base}-{r['dut']}.dat"
            with open(os.path.join(out_dir, dat), "w") as f:
                f.write("# offered_mpps p50_us p99_us p999_us loss_ratio\n")
                for p in sorted(r["summary"]["latency"], key=lambda p: p["offered_mpps"]):
                    if p["p50_us"] is not None:
                        f.write(f"{p['offered_mpps']:.4f} {p['p50_us']:.3f} {p['p99_us']:.3f} "
                                f"{p['p999_us']:.3f} {p['loss_ratio']:.6f}\n")
            color = COLORS.get(r["dut"], "black")
            for col, what, dt, pt in ((2, "p50", 1, 7), (3, "p99", 2, 5), (4, "p99.9", 3, 9)):
                plot_lines.append(f"'{dat}' u 1:{col} w lp lw 2 dt {dt} pt {pt} "
                                  f"lc rgb '{color}' t '{r['dut']} {what}'")
        png = f"{base}.png"
        if gnuplot(f"""set terminal pngcairo size 1000,560
set output '{png}'
set title 'Latency vs offered load: {scen}, {display_label(rs[0])}'
set xlabel 'offered Mpps'
set ylabel 'microseconds'
set logscale y
set key outside right top
set grid
plot {", ".join(plot_lines)}
""", out_dir):
            made.append(png)
    return made


def parse_args(argv):
    ap = argparse.ArgumentParser(
        prog="bench/pktgen.sh", description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("scenario", choices=SCENARIOS + ("all", "report"),
                    help="a scenario, all of them, or report: redo summary.md and the "
                         "plots from the JSON in -o DIR")
    ap.add_argument("-i", dest="rig", default=None, choices=["memif", "afxdp"],
                    help="the link between generator and DUT: memif, or afxdp (veth with "
                         "the XDP filter in front of sluice-dp); default memif, afxdp for "
                         "the attack scenario")
    ap.add_argument("-s", dest="size", default="60",
                    help="frame bytes without FCS (default 60: 64 on the wire), or imix")
    ap.add_argument("-d", dest="dest", default=VIP4, help=f"the VIP (default {VIP4})")
    ap.add_argument("-f", dest="flows", default=None,
                    help="flows, a comma list (forwarding: default 1,1000,1000000,10000000)")
    ap.add_argument("-t", dest="threads", type=int, default=1,
                    help="generator threads = DUT workers = queues (default 1)")
    ap.add_argument("-n", dest="count", type=int, default=0,
                    help="packets per thread per trial, instead of a duration")
    ap.add_argument("-r", dest="rate", type=float, default=0,
                    help="one trial at this offered rate (Mpps) instead of the search")
    ap.add_argument("-D", dest="duration", type=float, default=0.5,
                    help="trial duration in seconds (default 0.5)")
    ap.add_argument("-o", dest="out", default=None, help="output directory")
    ap.add_argument("-b", dest="build", default=os.environ.get("SLUICE_BUILD", "build"),
                    help="build directory (default $SLUICE_BUILD or ./build)")
    ap.add_argument("--dut", default="sluice,testpmd",
                    help="devices under test, in order (default sluice,testpmd)")
    ap.add_argument("--loads", default="10,25,50,75,90,100",
                    help="latency trials at these %% of the zero-loss rate")
    ap.add_argument("--resolution", type=float, default=1.0, help="search precision, %%")
    ap.add_argument("--max-trials", type=int, default=10, help="trials per search")
    ap.add_argument("--retries", type=int, default=3,
                    help="repeat a search trial that lost packets up to N times (default 3)")
    ap.add_argument("--flat-trials", type=int, default=3,
                    help="flat-out trials, the best counts (default 3)")
    ap.add_argument("--no-zero-copy", dest="zero_copy", action="store_false",
                    help="the generator's memif in copy mode (default: zero-copy client, its "
                         "own hugepage buffers shared: the generator then outruns testpmd)")
    ap.add_argument("--rsize", type=int, default=12,
                    help="memif ring size, log2 (default 12: 4096 descriptors)")
    ap.add_argument("--overcommit", action="store_true",
                    help="run -t threads even on too few CPUs (checks that it works; the "
                         "rates then mean nothing)")
    ap.add_argument("--keep", action="store_true", help="keep the rig's work directory and logs")
    ap.add_argument("--quick", action="store_true",
                    help="a short run: 0.2 s trials, 5%% resolution, loads 50,100")
    a = ap.parse_args(argv)
    if a.size != "imix":
        try:
            a.size = int(a.size)
        except ValueError:
            ap.error(f"-s: '{a.size}' is not a size in bytes or imix")
        if not 60 <= a.size <= 1514:
            ap.error(f"-s: {a.size} is outside 60..1514")
    if a.flows is not None:
        try:
            a.flows = [int(x) for x in a.flows.split(",")]
        except ValueError:
            ap.error(f"-f: '{a.flows}' is not a comma list of flow counts")
        if any(f < 1 for f in a.flows):
            ap.error("-f: flow counts must be at least 1")
    a.duts = [d for d in a.dut.split(",") if d]
    if not a.duts or any(d not in ("sluice", "testpmd") for d in a.duts):
        ap.error(f"--dut: '{a.dut}' is not a list of sluice, testpmd")
    if a.threads < 1 or a.threads > 32:
        ap.error("-t: 1..32 threads")
    if a.quick:
        a.duration, a.resolution, a.loads = 0.2, 5.0, "50,100"
        if a.flows is None and a.scenario in ("forwarding", "all"):
            a.flows = [1000]
    return a


def main(argv):
    a = parse_args(argv)
    if os.geteuid() != 0 and a.scenario != "report":
        print("bench/pktgen.sh: run as root (hugepages, DPDK)", file=sys.stderr)
        return 2
    a.build = os.path.abspath(a.build)
    if a.scenario == "report":
        if not a.out or not os.path.isdir(a.out):
            print("bench/pktgen.sh report: -o DIR (a directory of results) is required",
                  file=sys.stderr)
            return 2
        return report_only(os.path.abspath(a.out))
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    out_dir = os.path.abspath(a.out or os.path.join(a.build, "pktgen", f"{a.scenario}-{stamp}"))
    os.makedirs(out_dir, exist_ok=True)
    rigmod.cleanup_stale()
    scenarios = SCENARIOS if a.scenario == "all" else (a.scenario,)
    written = []
    for name in scenarios:
        link = scenario_link(name, a)
        with Rig(a.build, threads=a.threads, zero_copy=a.zero_copy, rsize=a.rsize,
                 keep=a.keep, link=link, overcommit=a.overcommit) as rig:
            log(f"{name}: rig {rig.tag} on {link}: generator lcores {rig.plan['generator']}, "
                f"DUT lcores {rig.plan['dut']}, work dir {rig.dir}")
            started = datetime.datetime.now()
            fname = name if a.flows is None else f"{name}-f{'_'.join(map(str, a.flows))}"
            if a.rig:
                fname += f"-{link}"

            def save(runs, name=name, link=link, rig=rig, started=started, fname=fname):
                # After every run: an interrupted scenario keeps what it measured.
                doc = {"scenario": name, "command": ["bench/pktgen.sh"] + argv,
                       "started": started.isoformat(timespec="seconds"),
                       "seconds": round((datetime.datetime.now() - started).total_seconds(), 1),
                       "machine": machine_info(),
                       "rig": {"link": link, "plan": rig.plan, "threads": a.threads,
                               "zero_copy": a.zero_copy, "memif_ring": 1 << a.rsize},
                       "runs": runs}
                tmp = os.path.join(out_dir, f".{fname}.json.tmp")
                with open(tmp, "w") as f:
                    json.dump(doc, f, indent=1)
                os.replace(tmp, os.path.join(out_dir, f"{fname}.json"))

            run_scenario(name, a, rig, out_dir, on_run=save)
            written.append(f"{fname}.json")
    if a.rate:
        log(f"fixed-rate runs written to {out_dir}")
        return 0
    # The summary and plots cover every scenario JSON in the directory, so runs
    # made one by one (say one flow count per invocation) add up.
    made = render(out_dir)
    print(f"results: {out_dir} ({', '.join(['summary.md'] + written + made)})")
    return 0


def render(out_dir):
    """summary.md and the plots from every scenario JSON in @out_dir; prints the summary."""
    runs = load_runs(out_dir)
    add_ratios(runs)
    threads = max((r["pktgen"]["generator"]["threads"] for r in runs), default=1)
    md = summary_md(runs, threads)
    with open(os.path.join(out_dir, "summary.md"), "w") as f:
        f.write(md)
    print(md)
    return plots(runs, out_dir, threads)


def report_only(out_dir):
    made = render(out_dir)
    print(f"results: {out_dir} (summary.md, {', '.join(made)})")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except RigError as e:
        print(f"bench/pktgen.sh: {e}", file=sys.stderr)
        sys.exit(1)
    except KeyboardInterrupt:
        sys.exit(130)
