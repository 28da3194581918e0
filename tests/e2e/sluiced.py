# SPDX-License-Identifier: BSD-3-Clause
"""Helpers for the sluiced tests: start and stop a real sluiced, talk to its
HTTP API over the Unix socket (or TCP), and a fake sluice-dp that speaks the
control protocol (include/sluice/ctl.h) for tests that need no traffic."""

import http.client
import json
import os
import signal
import socket
import struct
import subprocess
import threading
import time

CTL_MAGIC, CTL_VERSION = 0x534C4331, 1
CTL_APPLY, CTL_STATUS, CTL_GET_CONFIG, CTL_STATS, CTL_REPLY = 1, 2, 3, 4, 0x100
CTL_HDR = struct.Struct("=IHHII")


def sluiced_binary():
    build = os.environ.get("SLUICE_BUILD", "build")
    return os.environ.get("SLUICED", os.path.join(build, "control", "sluiced"))


class UnixHTTPConnection(http.client.HTTPConnection):
    def __init__(self, path, timeout=10):
        super().__init__("localhost", timeout=timeout)
        self.unix_path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(self.timeout)
        self.sock.connect(self.unix_path)


class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.raw = body
        try:
            self.json = json.loads(body) if body else None
        except ValueError:
            self.json = None

    @property
    def etag(self):
        return self.headers.get("ETag")

    def error(self):
        return (self.json or {}).get("error", {})

    def __repr__(self):
        return f"<{self.status} {self.raw[:400]!r}>"


class Sluiced:
    """One sluiced process with its own state directory and sockets."""

    def __init__(self, workdir, dp_socket, ns=None, extra=(), tag="sld"):
        self.workdir = workdir
        self.sock = os.path.join(workdir, f"{tag}.sock")
        self.state_dir = os.path.join(workdir, f"{tag}-state")
        self.dp_socket = dp_socket
        self.log_path = os.path.join(workdir, f"{tag}.log")
        self.ns = ns
        self.extra = list(extra)
        self.proc = None
        self.tcp = None  # (host, port) when --listen is given

    def start(self, wait=True, timeout=10.0):
        cmd = [sluiced_binary(), "-s", self.sock, "-d", self.state_dir, "--dp-socket",
               self.dp_socket, "--node", "test-node", *self.extra]
        if self.ns:
            cmd = ["ip", "netns", "exec", self.ns] + cmd
        log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL)
        log.close()
        if wait:
            self.wait_ready(timeout)
        return self

    def wait_ready(self, timeout=10.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"sluiced exited with {self.proc.returncode}:\n{self.log()}")
            try:
                if self.get("/v1/status").status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.05)
        raise RuntimeError(f"sluiced not ready after {timeout}s:\n{self.log()}")

    def stop(self, sig=signal.SIGTERM, timeout=10.0):
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(sig)
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)

    def kill9(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(5)

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def log(self):
        try:
            return open(self.log_path, errors="replace").read()[-4000:]
        except FileNotFoundError:
            return ""

    # ---- HTTP

    def request(self, method, path, body=None, headers=None, tcp=None, raw=None, timeout=10):
        hdrs = dict(headers or {})
        data = raw
        if body is not None:
            data = json.dumps(body).encode()
        if data is not None:
            hdrs.setdefault("Content-Type", "application/json")
        if tcp:
            conn = http.client.HTTPConnection(tcp[0], tcp[1], timeout=timeout)
        else:
            conn = UnixHTTPConnection(self.sock, timeout=timeout)
        try:
            conn.request(method, path, body=data, headers=hdrs)
            r = conn.getresponse()
            return Response(r.status, dict(r.getheaders()), r.read().decode(errors="replace"))
        finally:
            conn.close()

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def version(self):
        return self.get("/v1/state").json["version"]

    def state(self):
        return self.get("/v1/state").json["state"]

    def write(self, method, path, body=None, version=None, **kw):
        """A write based on @version (default: the current one)."""
        if version is None:
            version = self.version()
        hdrs = dict(kw.pop("headers", {}))
        hdrs["If-Match"] = f'"{version}"'
        return self.request(method, path, body=body, headers=hdrs, **kw)

    def put_state(self, state, version=None, **kw):
        return self.write("PUT", "/v1/state", state, version=version, **kw)

    def health(self):
        """{(vip, backend): backend entry} from /v1/health."""
        out = {}
        for v in self.get("/v1/health").json["vips"]:
            for b in v["backends"]:
                out[(v["vip"], b["address"])] = b
        return out


class FakeDP:
    """A stand-in for sluice-dp's control socket: accepts (or refuses) APPLY,
    answers STATUS / GET_CONFIG / STATS. restart() looks like a new process
    (generation and uptime start again)."""

    def __init__(self, path):
        self.path = path
        self.applied = []  # configs, in order
        self.refuse = None  # an error message to refuse APPLY with
        self.generation = 1
        self.config = {"vips": []}
        self.started = time.monotonic()
        self.lock = threading.Lock()
        self.stopping = False
        self.srv = None
        self.thread = None

    def start(self):
        if os.path.exists(self.path):
            os.unlink(self.path)
        self.srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.srv.bind(self.path)
        self.srv.listen(8)
        self.srv.settimeout(0.2)
        self.stopping = False
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()
        return self

    def stop(self):
        self.stopping = True
        if self.thread:
            self.thread.join(5)
        if self.srv:
            self.srv.close()
            self.srv = None
        if os.path.exists(self.path):
            os.unlink(self.path)

    def restart(self, config=None):
        self.stop()
        with self.lock:
            self.generation = 1
            self.config = config or {"vips": []}
            self.started = time.monotonic()
        self.start()

    def _recv(self, c, n):
        buf = b""
        while len(buf) < n:
            chunk = c.recv(n - len(buf))
            if not chunk:
                raise ConnectionError("closed")
            buf += chunk
        return buf

    def _serve(self):
        while not self.stopping:
            try:
                c, _ = self.srv.accept()
            except (socket.timeout, OSError):
                continue
            with c:
                c.settimeout(2)
                try:
                    while True:
                        magic, ver, typ, length, seq = CTL_HDR.unpack(self._recv(c, CTL_HDR.size))
                        payload = json.loads(self._recv(c, length) or b"{}")
                        reply = json.dumps(self._handle(typ, payload)).encode()
                        c.sendall(CTL_HDR.pack(CTL_MAGIC, CTL_VERSION, CTL_REPLY, len(reply),
                                               seq) + reply)
                except (ConnectionError, socket.timeout, OSError, ValueError):
                    pass

    def _handle(self, typ, payload):
        with self.lock:
            up = int(time.monotonic() - self.started)
            if typ == CTL_APPLY:
                if self.refuse:
                    return {"ok": False, "error": self.refuse}
                self.generation += 1
                self.config = payload
                self.applied.append(payload)
                return {"ok": True, "generation": self.generation}
            if typ == CTL_STATUS:
                return {"ok": True, "generation": self.generation, "vips": 0, "backends": 0,
                        "workers": 1, "uptime_s": up}
            if typ == CTL_GET_CONFIG:
                return {"ok": True, "generation": self.generation, "config": self.config}
            if typ == CTL_STATS:
                vips = [{"address": v["address"], "protocol": v["protocol"],
                         "port": v.get("port", 0), "packets": 7, "bytes": 700,
                         "backends": [{"address": b["address"], "packets": 3, "bytes": 300,
                                       "new_flows": 1, "state": b.get("state", "active")}
                                      for b in v.get("backends", [])]}
                        for v in self.config.get("vips", [])]
                return {"ok": True, "generation": self.generation, "uptime_s": up,
                        "vips": vips, "drops": {"no_backend": 2, "parse_trunc_ip4": 1},
                        "workers": [{"worker": 0, "conntrack_entries": 5,
                                     "conntrack_capacity": 1024}]}
            return {"ok": False, "error": f"unknown request type {typ}"}

    def n_applied(self):
        with self.lock:
            return len(self.applied)

    def last(self):
        with self.lock:
            return self.applied[-1] if self.applied else None
