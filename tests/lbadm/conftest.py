# SPDX-License-Identifier: BSD-3-Clause
"""Fixtures for lbadm's integration tests: a real sluiced in a temp dir on a
Unix socket (no dataplane: sluiced commits and says the dataplane is down),
lbadm run as a subprocess, and a raw API client to compare with."""

import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time

import pytest


def build_dir():
    return os.environ.get("SLUICE_BUILD", "build")


def lbadm_path():
    return os.environ.get("LBADM", os.path.join(build_dir(), "tools", "lbadm", "lbadm"))


def sluiced_path():
    return os.environ.get("SLUICED", os.path.join(build_dir(), "control", "sluiced"))


class UnixHTTPConnection(http.client.HTTPConnection):
    def __init__(self, path, timeout=10):
        super().__init__("localhost", timeout=timeout)
        self.path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(self.timeout)
        self.sock.connect(self.path)


class Sluiced:
    """One sluiced process. lbadm(*args) runs lbadm against it; api() talks
    to it directly."""

    def __init__(self, extra_args=(), tag="t"):
        self.dir = tempfile.mkdtemp(prefix=f"sllbadm-{os.getpid()}-{tag}-")
        self.sock = os.path.join(self.dir, "sluiced.sock")
        self.log = os.path.join(self.dir, "sluiced.log")
        self.extra = list(extra_args)
        self.proc = None

    def start(self, timeout=15.0):
        exe = sluiced_path()
        if not os.path.exists(exe):
            pytest.fail(f"sluiced not found at {exe} (set SLUICED or SLUICE_BUILD)")
        cmd = [exe, "-s", self.sock, "-d", os.path.join(self.dir, "state"),
               "--dp-socket", os.path.join(self.dir, "no-dp.sock"), "--node", "lbadm-test",
               *self.extra]
        with open(self.log, "ab") as out:
            self.proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT,
                                         stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"sluiced exited {self.proc.returncode}:\n{self.log_text()}")
            if os.path.exists(self.sock):
                try:
                    if self.api("GET", "/v1/status")[0] == 200:
                        return self
                except OSError:
                    pass
            time.sleep(0.05)
        raise RuntimeError(f"sluiced not answering after {timeout}s:\n{self.log_text()}")

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.proc = None
        shutil.rmtree(self.dir, ignore_errors=True)

    def log_text(self):
        try:
            with open(self.log, errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def api(self, method, path, body=None, if_match=None):
        """(status, parsed body, etag) straight from the API."""
        c = UnixHTTPConnection(self.sock)
        headers = {}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        if if_match is not None:
            headers["If-Match"] = f'"{if_match}"'
        c.request(method, path, body=data, headers=headers)
        r = c.getresponse()
        raw = r.read()
        etag = r.getheader("ETag")
        c.close()
        try:
            parsed = json.loads(raw) if raw else None
        except ValueError:
            parsed = raw.decode(errors="replace")
        return r.status, parsed, etag

    def version(self):
        return self.api("GET", "/v1/state")[1]["version"]

    def state(self):
        return self.api("GET", "/v1/state")[1]["state"]

    def lbadm(self, *args, json_out=False, input=None, socket_path=None, env=None,
              timeout=30):
        """Run lbadm; returns CompletedProcess (text). -j when @json_out."""
        cmd = [lbadm_path(), "-s", socket_path or self.sock]
        if json_out:
            cmd.append("-j")
        cmd += [str(a) for a in args]
        return subprocess.run(cmd, capture_output=True, text=True, input=input,
                              timeout=timeout, env=env)


@pytest.fixture
def sld():
    s = Sluiced()
    try:
        yield s.start()
    finally:
        if s.proc is not None and s.proc.poll() is not None:
            print(f"sluiced died:\n{s.log_text()}")
        s.stop()


BASE = {"nexthop_mac": "02:00:00:00:00:fe", "seed": 1234}


@pytest.fixture
def base(sld):
    """sluiced with the globals a VIP in encap mode needs."""
    st, body, _ = sld.api("PUT", "/v1/state", BASE, if_match=sld.version())
    assert st == 200, body
    return sld
