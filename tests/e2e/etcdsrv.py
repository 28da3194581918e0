# SPDX-License-Identifier: BSD-3-Clause
"""A throw-away etcd (Debian's etcd-server 3.4) for the tests: its own data
directory, client and peer URLs on an address the test owns (loopback, or an
address inside a namespace the test made), stopped by pid; and etcdctl to
write keys."""

import os
import shutil
import socket
import subprocess
import tempfile
import time


def free_port(host="127.0.0.1"):
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


class Etcd:
    def __init__(self, host="127.0.0.1", ns=None, client_port=None, peer_port=None,
                 tag="etcd"):
        self.host = host
        self.ns = ns
        self.client_port = client_port or free_port()
        self.peer_port = peer_port or free_port()
        self.dir = tempfile.mkdtemp(prefix=f"sle2e-{os.getpid()}-{tag}-")
        self.url = f"http://{host}:{self.client_port}"
        self.proc = None

    def _cmd(self, cmd):
        return ["ip", "netns", "exec", self.ns] + cmd if self.ns else cmd

    def start(self, timeout=20.0):
        peer = f"http://{self.host}:{self.peer_port}"
        cmd = ["etcd", "--name", "sluice-test", "--data-dir", os.path.join(self.dir, "data"),
               "--listen-client-urls", self.url, "--advertise-client-urls", self.url,
               "--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer,
               "--initial-cluster", f"sluice-test={peer}", "--log-level", "warn"]
        log = open(os.path.join(self.dir, "etcd.log"), "ab")
        self.proc = subprocess.Popen(self._cmd(cmd), stdout=log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL)
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"etcd exited with {self.proc.returncode}: {self.log()}")
            if self.ctl("endpoint", "health", check=False).returncode == 0:
                return self
            time.sleep(0.2)
        raise RuntimeError(f"etcd not healthy after {timeout}s: {self.log()}")

    def ctl(self, *args, check=True, input=None):
        env = dict(os.environ, ETCDCTL_API="3")
        p = subprocess.run(self._cmd(["etcdctl", "--endpoints", self.url, *args]),
                           capture_output=True, text=True, timeout=15, env=env, input=input)
        if check and p.returncode != 0:
            raise RuntimeError(f"etcdctl {' '.join(args)}: {p.stderr.strip()}")
        return p

    def put(self, key, value):
        """Write @value (a string) at @key; returns the new revision."""
        self.ctl("put", key, value)
        out = self.ctl("get", key, "-w", "json").stdout
        import json
        return int(json.loads(out)["kvs"][0]["mod_revision"])

    def log(self):
        try:
            return open(os.path.join(self.dir, "etcd.log"), errors="replace").read()[-3000:]
        except FileNotFoundError:
            return ""

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        shutil.rmtree(self.dir, ignore_errors=True)
