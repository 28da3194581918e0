# SPDX-License-Identifier: BSD-3-Clause
"""The benchmark rig: sluice-pktgen on one end of a link, the device under
test (sluice-dp, or dpdk-testpmd in io-forward mode as the reference) on the
other. Two kinds of link:

memif (default): shared memory between the two processes; the DUT is the
memif server, the generator the client. No kernel on the packet path.

    sluice-pktgen (client)  ==memif==  sluice-dp | dpdk-testpmd (server)
      main lcore: trials              main lcore: control socket / stats
      worker lcore(s): TX+RX          worker lcore(s): forward, one queue each

afxdp: a veth pair in a namespace of the rig's own, an AF_XDP socket on each
end. The DUT's end runs the XDP program sluice-dp loads (the front program
with the filter, its maps pinned under a bpffs of the rig's own), so this is
the path of denylists and rate limits; testpmd gets DPDK's default program
(everything to the socket). The kernel's veth and XDP work runs on the
sending side's CPU.

    sluice-pktgen -- AF_XDP -- vethA <--> vethB -- XDP filter -- AF_XDP -- DUT

The DUT sends every packet back on the link it came from (sluice-dp is
one-armed: IP-in-IP towards its next hop; testpmd io returns it as is), so
the generator counts what came back on its own RX queues.

Every name carries this process's id (slpg<pid>r<n>: DPDK file prefixes, the
work directory, the memif socket), so runs never collide; close() stops the
processes it started (by their Popen), and removes the directories and
hugepage files of its prefixes. cleanup_stale() removes those of dead runs.

Used by bench/pktgen/bench.py (the benchmark) and tests/pktgen (the smoke
test). Debian's /usr/bin/python3, as root.
"""

import glob
import json
import os
import queue
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

PREFIX = "slpg"
HUGEPAGES = "/sys/kernel/mm/hugepages/hugepages-2048kB"
TESTPMD = "/usr/bin/dpdk-testpmd"


class RigError(RuntimeError):
    pass


def log(msg):
    print(f"[pktgen] {msg}", file=sys.stderr, flush=True)


def pid_alive(pid):
    try:
        os.kill(pid, 0)
        return True
    except ProcessLookupError:
        return False
    except PermissionError:
        return True


def stop(proc, sig=signal.SIGINT, timeout=15.0):
    """Stop a process we started: @sig, wait, then SIGKILL."""
    if proc is None or proc.poll() is not None:
        return
    proc.send_signal(sig)
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(10)


def cleanup_stale():
    """Namespaces, bpffs mounts, DPDK runtime dirs, hugepage files and work dirs of slpg
    runs whose process is gone."""
    def owner(name):
        digits = name[len(PREFIX):].split("r")[0].split("-")[0]
        return int(digits) if digits.isdigit() else None

    out = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
    for line in out.splitlines():
        name = line.split()[0] if line.split() else ""
        pid = owner(name) if name.startswith(PREFIX) else None
        if pid is not None and not pid_alive(pid):
            subprocess.run(["ip", "netns", "del", name], capture_output=True)
    for path in glob.glob(f"/run/{PREFIX}*-bpf"):
        pid = owner(os.path.basename(path))
        if pid is not None and not pid_alive(pid):
            subprocess.run(["umount", path], capture_output=True)
            shutil.rmtree(path, ignore_errors=True)

    for pattern in (f"/var/run/dpdk/{PREFIX}*", f"/dev/hugepages/{PREFIX}*",
                    os.path.join(tempfile.gettempdir(), f"{PREFIX}*-*")):
        for path in glob.glob(pattern):
            pid = owner(os.path.basename(path))
            if pid is not None and not pid_alive(pid):
                if os.path.isdir(path):
                    shutil.rmtree(path, ignore_errors=True)
                else:
                    try:
                        os.unlink(path)
                    except OSError:
                        pass


def ensure_hugepages(want_free):
    """Grow the 2 MiB hugepage pool until @want_free pages are free (other DPDK
    processes may hold some), and mount hugetlbfs at /dev/hugepages."""
    total = int(open(f"{HUGEPAGES}/nr_hugepages").read())
    free = int(open(f"{HUGEPAGES}/free_hugepages").read())
    if free < want_free:
        with open(f"{HUGEPAGES}/nr_hugepages", "w") as f:
            f.write(str(total + want_free - free))
    free = int(open(f"{HUGEPAGES}/free_hugepages").read())
    if free < want_free:
        raise RigError(f"only {free} free 2 MiB hugepages, need {want_free} "
                       f"(memory too fragmented or too small?)")
    os.makedirs("/dev/hugepages", exist_ok=True)
    if subprocess.run(["mountpoint", "-q", "/dev/hugepages"]).returncode != 0:
        subprocess.run(["mount", "-t", "hugetlbfs", "nodev", "/dev/hugepages"], check=True)


class Telemetry:
    """One connection to a DPDK process's telemetry socket, kept open: a
    connection per command can find the server still counting the previous
    one (it takes a limited number) and get closed without a reply."""

    def __init__(self, file_prefix, timeout=5.0):
        self.path = f"/var/run/dpdk/{file_prefix}/dpdk_telemetry.v2"
        self.timeout = timeout
        self.sock = None

    def _connect(self):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        s.settimeout(self.timeout)
        try:
            s.connect(self.path)
            hello = json.loads(s.recv(16384))
        except (OSError, ValueError):
            s.close()
            raise
        self.max_len = max(1 << 20, hello.get("max_output_len", 0))
        self.sock = s

    def __call__(self, cmd):
        """The value under @cmd's key; one reconnect if the connection was dropped."""
        for attempt in (0, 1):
            if self.sock is None:
                self._connect()
            try:
                self.sock.send(cmd.encode())
                data = self.sock.recv(self.max_len)
                if data:
                    reply = json.loads(data)
                    break
            except OSError:
                if attempt:
                    raise
            self.close()
        else:
            raise RigError(f"telemetry {cmd}: connection closed without a reply")
        if not isinstance(reply, dict) or len(reply) != 1:
            raise RigError(f"telemetry {cmd}: unexpected reply {reply!r}")
        return next(iter(reply.values()))

    def close(self):
        if self.sock is not None:
            self.sock.close()
            self.sock = None


def telemetry(file_prefix, cmd, timeout=5.0):
    """One DPDK telemetry command on its own connection."""
    t = Telemetry(file_prefix, timeout)
    try:
        return t(cmd)
    finally:
        t.close()


def cpu_plan(threads, ncpu=None, overcommit=False):
    """Where each thread runs: EAL lcore maps for the generator (--lcores) and the DUT.

    With 2 * threads + 1 CPUs or more: both main lcores on CPU 0, generator
    workers on CPUs 1..T, DUT workers on T+1..2T. On a 2-CPU machine with one
    thread: generator main and worker and the DUT's main on CPU 0, the DUT's
    worker alone on CPU 1 (both main lcores sleep: the generator's waits for
    its worker, the DUT's polls its control socket or prints stats).
    @overcommit (functional runs only, the rates mean nothing): any number of
    threads on 2 CPUs, the generator's on CPU 0, the DUT's on CPU 1."""
    ncpu = ncpu or os.cpu_count()
    if threads < 1:
        raise RigError("threads must be at least 1")
    lc = lambda cpus: ",".join(f"{i}@{c}" for i, c in enumerate(cpus))  # noqa: E731
    if ncpu >= 2 * threads + 1:
        gen = [0] + list(range(1, threads + 1))
        dut = [0] + list(range(threads + 1, 2 * threads + 1))
        shared = False
    elif (threads == 1 or overcommit) and ncpu >= 2:
        gen, dut, shared = [0] * (threads + 1), [0] + [1] * threads, True
    else:
        raise RigError(f"{threads} threads need {2 * threads + 1} CPUs (or 1 thread on 2 "
                       f"CPUs); this machine has {ncpu}")
    # The DUT's lcores on CPUs of their own go as a plain -l list (lcore = CPU), the
    # form sluice-dp also reads to size its AF_XDP port's queues.
    distinct = len(set(dut)) == len(dut)
    return {"generator": lc(gen), "dut": ",".join(map(str, dut)) if distinct else lc(dut),
            "dut_opt": "-l" if distinct else "--lcores", "shared_cpu0": shared,
            "overcommit": overcommit and threads > 1 and ncpu < 2 * threads + 1,
            "generator_cpus": gen, "dut_cpus": dut}


def cpu_busy_s():
    """CPU seconds every CPU has spent busy since boot (/proc/stat)."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    idle = v[3] + (v[4] if len(v) > 4 else 0)
    return (sum(v[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def proc_cpu_s(pid):
    """CPU seconds used so far by process @pid (all its threads)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0


def delta(before, after):
    """after - before, for the numbers of two nested dicts of the same shape."""
    if isinstance(after, dict):
        return {k: delta(before.get(k, 0) if isinstance(before, dict) else 0, v)
                for k, v in after.items()}
    if isinstance(after, (int, float)) and not isinstance(after, bool):
        return after - (before if isinstance(before, (int, float)) else 0)
    return after


class Dut:
    """A running device under test: sluice-dp or testpmd, memif server."""

    def __init__(self, kind, prefix, proc, log_path, workers):
        self.kind, self.prefix, self.proc, self.log_path = kind, prefix, proc, log_path
        self.workers = workers
        self.tel = Telemetry(prefix)
        self.filter = None  # afxdp rig, sluice-dp: reads the XDP filter's counters

    def alive(self):
        return self.proc.poll() is None

    def wait_forwarding(self, timeout=30):
        """testpmd starts forwarding only once its port is up (the memif client has
        connected) and after flushing its RX queues: wait for the line it prints then,
        before the first trial. sluice-dp's workers poll from the start."""
        if self.kind != "testpmd" or getattr(self, "_forwarding", False):
            return
        deadline = time.monotonic() + timeout
        while "packets/burst=" not in open(self.log_path, errors="replace").read():
            if not self.alive() or time.monotonic() > deadline:
                raise RigError(f"testpmd did not start forwarding:\n{self.log_tail()}")
            time.sleep(0.05)
        time.sleep(0.2)
        self._forwarding = True

    def log_tail(self, n=40):
        try:
            return "".join(open(self.log_path, errors="replace").readlines()[-n:])
        except OSError:
            return ""

    def settle(self, quiet=0.2, timeout=10.0):
        """Snapshots until two taken @quiet seconds apart agree (nothing in flight)."""
        deadline = time.monotonic() + timeout
        prev = self.snapshot()
        while time.monotonic() < deadline:
            time.sleep(quiet)
            cur = self.snapshot()
            if cur["port"] == prev["port"]:
                return cur
            prev = cur
        raise RigError(f"{self.kind}'s counters still moving after {timeout} s")

    def snapshot(self):
        """Counters now: the port's (both DUTs) and sluice-dp's own."""
        tel = self.tel
        st = tel("/ethdev/stats,0")
        snap = {"port": {k: st[k] for k in ("ipackets", "opackets", "ibytes", "obytes",
                                             "imissed", "ierrors", "oerrors", "rx_nombuf")}}
        if self.kind == "sluice":
            w = tel("/sluice/workers")
            fields = w["fields"].split()
            tot = dict.fromkeys(fields, 0)
            each = {}
            for name, vals in w.items():
                if name.startswith("worker"):
                    each[name] = dict(zip(fields, vals))
                    for f, v in zip(fields, vals):
                        tot[f] += v
            snap["workers"] = tot
            snap["per_worker"] = each
            snap["drops"] = tel("/sluice/drops")
            ct = tel("/sluice/conntrack")
            snap["conntrack"] = {k: v for k, v in ct.items() if isinstance(v, (int, float))}
        if self.filter:
            snap["filter"] = self.filter()
        return snap


class Rig:
    _count = 0

    def __init__(self, build, threads=1, zero_copy=False, rsize=10, keep=False, ncpu=None,
                 link="memif", overcommit=False):
        Rig._count += 1
        self.tag = f"{PREFIX}{os.getpid()}r{Rig._count}"
        self.build = build
        if link not in ("memif", "afxdp"):
            raise RigError(f"link '{link}': memif or afxdp")
        self.link = link
        self.threads = threads
        self.zero_copy = zero_copy
        self.rsize = rsize
        self.keep = keep
        self.plan = cpu_plan(threads, ncpu, overcommit)
        self.dir = tempfile.mkdtemp(prefix=f"{self.tag}-")
        # DPDK 22.11's memif makes an abstract socket by default: this is its name, not a file.
        self.sock = os.path.join(self.dir, "memif.sock")
        self.dut = None
        self.procs = []
        self.last_cpu = None
        self.run_delta = None  # the DUT's counters over the last whole pktgen run
        self.pktgen = os.path.join(build, "bench", "pktgen", "sluice-pktgen")
        self.sluice_dp = os.path.join(build, "dataplane", "sluice-dp")
        self.sluice_filter = os.path.join(build, "tools", "sluice-filter")
        need = [self.pktgen, self.sluice_dp] + ([self.sluice_filter] if link == "afxdp" else [])
        for path in need:
            if not os.access(path, os.X_OK):
                raise RigError(f"{path} not found: build first (ninja -C {build})")
        self.ns = self.bpffs = None
        if link == "afxdp":
            try:
                self._veth_up()
            except Exception:
                self.close()
                raise

    def _veth_up(self):
        """The afxdp link: a namespace, a veth pair in it (IPv6 off: no neighbour
        discovery frames on the link), a bpffs for the filter's pinned maps."""
        pid = os.getpid()
        self.ns = f"{self.tag}"
        self.if_gen, self.if_dut = f"pg{pid}r{Rig._count}a", f"pg{pid}r{Rig._count}b"
        if len(self.if_gen) > 15:
            raise RigError(f"interface name {self.if_gen} too long")
        self.bpffs = f"/run/{self.tag}-bpf"
        q = str(self.threads)
        subprocess.run(["ip", "netns", "add", self.ns], check=True)
        subprocess.run(["ip", "link", "add", self.if_gen, "numtxqueues", q, "numrxqueues", q,
                        "netns", self.ns, "type", "veth", "peer", "name", self.if_dut,
                        "numtxqueues", q, "numrxqueues", q, "netns", self.ns], check=True)
        self._ns_sh(f"""
sysctl -qw net.ipv6.conf.{self.if_gen}.disable_ipv6=1 net.ipv6.conf.{self.if_dut}.disable_ipv6=1
ip link set lo up
ip link set {self.if_gen} up
ip link set {self.if_dut} up""")
        os.makedirs(self.bpffs, exist_ok=True)
        subprocess.run(["mount", "-t", "bpf", "bpf", self.bpffs], check=True)

    def _ns_sh(self, script):
        p = subprocess.run(["ip", "netns", "exec", self.ns, "sh", "-ec", script],
                           capture_output=True, text=True, timeout=60)
        if p.returncode != 0:
            raise RigError(f"in {self.ns}: {script.strip()}: {p.stderr.strip()}")
        return p.stdout

    def _in_ns(self, argv):
        """@argv run inside the rig's namespace, with a bpffs at /sys/fs/bpf for libxdp
        (ip netns exec remounts /sys) and no XDP program left on the interface."""
        if self.link != "afxdp":
            return argv
        return ["ip", "netns", "exec", self.ns, "sh", "-c",
                "mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf; exec \"$@\"",
                "sh"] + argv

    def _xdp_off(self, ifname):
        self._ns_sh(f"ip link set {ifname} xdp off")

    def filter(self, *args):
        """sluice-filter -j -r <the rig's bpffs> ARGS on the DUT's interface; its JSON."""
        p = subprocess.run(["ip", "netns", "exec", self.ns, self.sluice_filter, "-j", "-r",
                            self.bpffs, *args], capture_output=True, text=True, timeout=60)
        out = json.loads(p.stdout) if p.stdout.strip() else {}
        if p.returncode != 0:
            raise RigError(f"sluice-filter {' '.join(args)}: {out or p.stderr.strip()}")
        return out

    def dut_port_vdev(self):
        if self.link == "memif":
            return f"net_memif0,role=server,socket={self.sock},id=0"
        return f"net_af_xdp0,iface={self.if_dut},start_queue=0,queue_count={self.threads}"

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _spawn(self, argv, log_name):
        path = os.path.join(self.dir, log_name)
        with open(path, "w") as logf:
            proc = subprocess.Popen(argv, stdout=logf, stderr=subprocess.STDOUT,
                                    stdin=subprocess.DEVNULL)
        self.procs.append(proc)
        return proc, path

    def _wait_for(self, path, proc, what, log_path, timeout=60):
        deadline = time.monotonic() + timeout
        while not os.path.exists(path):
            if proc.poll() is not None or time.monotonic() > deadline:
                tail = "".join(open(log_path, errors="replace").readlines()[-30:])
                raise RigError(f"{what} did not start:\n{tail}")
            time.sleep(0.05)

    def start_sluice(self, config, idle_sleep_us=0, filter_rules=None):
        """sluice-dp with @config (a dict), busy polling: the memif server, or on
        the DUT's veth (--af-xdp: the front program and the filter, @filter_rules
        applied with sluice-filter once it runs)."""
        self.stop_dut()
        cfg = os.path.join(self.dir, "dp.json")
        with open(cfg, "w") as f:
            json.dump(config, f)
        prefix = f"{self.tag}dut"
        ctl = os.path.join(self.dir, "dp.sock")
        argv = [self.sluice_dp, self.plan["dut_opt"], self.plan["dut"], "--no-pci", "--file-prefix", prefix]
        if self.link == "memif":
            argv += ["--vdev", self.dut_port_vdev(), "--"]
        else:
            self._xdp_off(self.if_dut)
            argv += ["--", "--af-xdp", self.if_dut, "--filter-pin-root", self.bpffs]
        argv += ["-c", cfg, "-s", ctl, "--idle-sleep-us", str(idle_sleep_us)]
        proc, logp = self._spawn(self._in_ns(argv), "sluice-dp.log")
        self._wait_for(ctl, proc, "sluice-dp", logp)
        self.dut = Dut("sluice", prefix, proc, logp, self.threads)
        if self.link == "afxdp":
            self.dut.filter = lambda: self.filter_stats()
            if filter_rules is not None:
                path = os.path.join(self.dir, "filter.json")
                with open(path, "w") as f:
                    json.dump(filter_rules, f)
                self.filter("apply", self.if_dut, path)
        return self.dut

    def filter_stats(self):
        """The filter's counters on the DUT's interface: {counter: packets}."""
        return {r["counter"]: r["packets"] for r in self.filter("stats", self.if_dut, "--all")}

    def start_testpmd(self):
        """dpdk-testpmd in io-forward mode, one port looped onto itself, as memif server."""
        self.stop_dut()
        if not os.access(TESTPMD, os.X_OK):
            raise RigError(f"{TESTPMD} not found (Debian package dpdk)")
        prefix = f"{self.tag}dut"
        t = str(self.threads)
        if self.link == "afxdp":
            self._xdp_off(self.if_dut)
        argv = [TESTPMD, self.plan["dut_opt"], self.plan["dut"], "--no-pci", "--file-prefix", prefix,
                "--vdev", self.dut_port_vdev(), "--",
                "--forward-mode=io", "--port-topology=loop", f"--nb-cores={t}",
                f"--rxq={t}", f"--txq={t}", "--burst=32", "--stats-period=3600"]
        proc, logp = self._spawn(self._in_ns(argv), "testpmd.log")
        # The memif listener (an abstract socket: no file) is made while EAL probes the
        # vdev, before telemetry starts: once telemetry answers, the client can connect.
        deadline = time.monotonic() + 30
        while True:
            try:
                telemetry(prefix, "/ethdev/stats,0")
                break
            except (OSError, RigError, ValueError):
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RigError("dpdk-testpmd did not start:\n" +
                                   "".join(open(logp, errors="replace").readlines()[-30:]))
                time.sleep(0.1)
        self.dut = Dut("testpmd", prefix, proc, logp, self.threads)
        return self.dut

    def stop_dut(self):
        if self.dut:
            self.dut.tel.close()
            stop(self.dut.proc)
            self._rm_prefix(self.dut.prefix)
            self.dut = None

    def pktgen_argv(self, args):
        eal = [self.pktgen, "--lcores", self.plan["generator"], "--no-pci",
               "--file-prefix", f"{self.tag}gen", "--log-level", "pmd.net.memif:warning"]
        if self.link == "afxdp":
            self._xdp_off(self.if_gen)
            vdev = f"net_af_xdp0,iface={self.if_gen},start_queue=0,queue_count={self.threads}"
            return self._in_ns(eal + ["--vdev", vdev, "--"] + list(args))
        vdev = f"net_memif0,role=client,socket={self.sock},id=0,rsize={self.rsize}"
        if self.zero_copy:
            vdev += ",zero-copy=yes"
            eal.append("--single-file-segments")
        return eal + ["--vdev", vdev, "--"] + list(args)

    def run_pktgen(self, args, name="pktgen", timeout=1800):
        """Run sluice-pktgen against the DUT in --sync mode: the DUT's counters
        are read before and after every trial. @return (report, dut_deltas by
        trial index)."""
        out = os.path.join(self.dir, f"{name}.json")
        argv = self.pktgen_argv(list(args) + ["--sync", "-q", "-j", out])
        logp = os.path.join(self.dir, f"{name}.log")
        with open(logp, "w") as logf:
            proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                    stderr=logf, text=True, bufsize=1)
        self.procs.append(proc)
        # A reader thread: select() on a buffered pipe misses lines already read ahead.
        lines = queue.Queue()
        reader = threading.Thread(target=self._read_lines, args=(proc.stdout, lines), daemon=True)
        reader.start()
        deltas, before, first = {}, None, None
        self.run_delta = None
        deadline = time.monotonic() + timeout
        t0, busy0 = time.monotonic(), cpu_busy_s()
        dut0 = proc_cpu_s(self.dut.proc.pid) if self.dut else 0.0
        dut_cpu = 0.0
        me0 = sum(os.times()[:2])
        try:
            while True:
                left = deadline - time.monotonic()
                try:
                    line = lines.get(timeout=max(0.1, min(left, 300)))
                except queue.Empty:
                    raise RigError(f"sluice-pktgen silent for 300 s or over {timeout} s")
                if line is None:
                    break
                try:
                    ev = json.loads(line)
                except ValueError:
                    continue
                if ev.get("event") == "ready":
                    if self.dut:
                        self.dut.wait_forwarding()
                    before = self.dut.snapshot() if self.dut else None
                    proc.stdin.write("\n")
                    proc.stdin.flush()
                elif ev.get("event") == "trial" and before is not None:
                    deltas[ev["trial"]["index"]] = delta(before, self.dut.snapshot())
                    if first is None:
                        first = before
                elif ev.get("event") == "done":
                    # The generator still polls RX: let the DUT settle (its counters
                    # stop moving), then read them for the whole run, then let it go.
                    if self.dut:
                        if not self.dut.alive():
                            raise RigError(f"{self.dut.kind} died during the run:\n"
                                           f"{self.dut.log_tail()}")
                        if first is not None:
                            self.run_delta = delta(first, self.dut.settle())
                    proc.stdin.write("\n")
                    proc.stdin.flush()
                elif ev.get("event") == "stopped":
                    # The generator no longer polls: stop the DUT first, so that no DUT
                    # worker polls a memif link whose client goes away (see main.c).
                    if self.dut:
                        dut_cpu = proc_cpu_s(self.dut.proc.pid) - dut0
                    self.stop_dut()
                    proc.stdin.write("\n")
                    proc.stdin.flush()
            # wait4: the generator's own CPU time, to tell it from everybody else's.
            end = time.monotonic() + 60
            while True:
                pid, status, ru = os.wait4(proc.pid, os.WNOHANG)
                if pid:
                    break
                if time.monotonic() > end:
                    raise RigError("sluice-pktgen did not exit")
                time.sleep(0.02)
            proc.returncode = rc = os.waitstatus_to_exitcode(status)
            wall = time.monotonic() - t0
            ours = ru.ru_utime + ru.ru_stime + sum(os.times()[:2]) - me0 + dut_cpu
            self.last_cpu = {"wall_s": round(wall, 2),
                             "busy_s": round(cpu_busy_s() - busy0, 2),
                             "rig_s": round(ours, 2)}
            # What other processes took from the machine while we ran: the noise.
            self.last_cpu["others_s"] = round(max(0.0, self.last_cpu["busy_s"] - ours), 2)
        finally:
            stop(proc, signal.SIGKILL)
        if rc != 0:
            tail = "".join(open(logp, errors="replace").readlines()[-30:])
            raise RigError(f"sluice-pktgen exited {rc}:\n{tail}")
        with open(out) as f:
            return json.load(f), deltas

    @staticmethod
    def _read_lines(f, q):
        for line in f:
            q.put(line)
        q.put(None)

    def _rm_prefix(self, prefix):
        shutil.rmtree(f"/var/run/dpdk/{prefix}", ignore_errors=True)
        for f in glob.glob(f"/dev/hugepages/{prefix}map_*"):
            try:
                os.unlink(f)
            except OSError:
                pass

    def close(self):
        for p in reversed(self.procs):
            stop(p, signal.SIGINT, timeout=10)
        self.procs = []
        self.dut = None
        for suffix in ("dut", "gen"):
            self._rm_prefix(f"{self.tag}{suffix}")
        if self.ns:
            subprocess.run(["ip", "netns", "del", self.ns], capture_output=True)
            self.ns = None
        if self.bpffs:
            if os.path.ismount(self.bpffs):
                subprocess.run(["umount", self.bpffs], capture_output=True)
            shutil.rmtree(self.bpffs, ignore_errors=True)
            self.bpffs = None
        if not self.keep:
            shutil.rmtree(self.dir, ignore_errors=True)
