# SPDX-License-Identifier: BSD-3-Clause
"""
Clients for the end-to-end tests and the demo: sockets opened inside a network
namespace (setns(2) on the calling thread, then back), HTTP/1.1 over them
(one request per connection, or keep-alive), UDP requests, and runners for
curl and wrk inside a namespace. Every wait is bounded by a timeout.
"""

import contextlib
import ctypes
import os
import re
import socket
import subprocess
import time

CLONE_NEWNET = 0x40000000
_libc = ctypes.CDLL(None, use_errno=True)


@contextlib.contextmanager
def netns(name):
    """Run the block with this thread in network namespace @name. Sockets made
    inside stay in that namespace after the block."""
    orig = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
    target = os.open(f"/var/run/netns/{name}", os.O_RDONLY)
    try:
        if _libc.setns(target, CLONE_NEWNET) != 0:
            e = ctypes.get_errno()
            raise OSError(e, f"setns({name}): {os.strerror(e)}")
        try:
            yield
        finally:
            if _libc.setns(orig, CLONE_NEWNET) != 0:
                e = ctypes.get_errno()
                raise OSError(e, f"setns(back): {os.strerror(e)}")
    finally:
        os.close(target)
        os.close(orig)


def family_of(addr):
    return socket.AF_INET6 if ":" in addr else socket.AF_INET


def ns_socket(ns, src, sport=0, kind=socket.SOCK_STREAM, timeout=3.0):
    """A socket in namespace @ns bound to (@src, @sport)."""
    with netns(ns):
        s = socket.socket(family_of(src), kind)
    try:
        s.settimeout(timeout)
        if sport:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((src, sport))
    except BaseException:
        s.close()
        raise
    return s


class HttpError(Exception):
    pass


def _read_response(s, buf=b""):
    """Read one HTTP/1.1 response with Content-Length; returns (status, body, rest)."""
    deadline = time.monotonic() + (s.gettimeout() or 3.0)
    while b"\r\n\r\n" not in buf:
        if time.monotonic() > deadline:
            raise HttpError("timed out waiting for headers")
        chunk = s.recv(4096)
        if not chunk:
            raise HttpError(f"connection closed before headers ({len(buf)} bytes)")
        buf += chunk
    head, _, rest = buf.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    m = re.match(r"HTTP/1\.[01] (\d{3})", lines[0])
    if not m:
        raise HttpError(f"bad status line {lines[0]!r}")
    length = 0
    for line in lines[1:]:
        k, _, v = line.partition(":")
        if k.strip().lower() == "content-length":
            length = int(v.strip())
    while len(rest) < length:
        if time.monotonic() > deadline:
            raise HttpError("timed out waiting for body")
        chunk = s.recv(4096)
        if not chunk:
            raise HttpError("connection closed in body")
        rest += chunk
    return int(m.group(1)), rest[:length].decode(), rest[length:]


def http_get(ns, src, dst, port=80, sport=0, path="/", timeout=3.0):
    """One request on a new connection (Connection: close); returns (status, body)."""
    s = ns_socket(ns, src, sport, timeout=timeout)
    try:
        s.connect((dst, port))
        host = f"[{dst}]" if ":" in dst else dst
        s.sendall(f"GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode())
        status, body, _ = _read_response(s)
        return status, body
    finally:
        s.close()


class KeepAlive:
    """One TCP connection carrying many HTTP/1.1 requests."""

    def __init__(self, ns, src, dst, port=80, sport=0, timeout=3.0):
        self.dst = dst
        self.s = ns_socket(ns, src, sport, timeout=timeout)
        self.s.connect((dst, port))
        self.sport = self.s.getsockname()[1]
        self.buf = b""
        self.n = 0

    def get(self, path="/"):
        host = f"[{self.dst}]" if ":" in self.dst else self.dst
        self.s.sendall(f"GET {path} HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
        status, body, self.buf = _read_response(self.s, self.buf)
        self.n += 1
        return status, body

    def close(self):
        self.s.close()


def udp_request(ns, src, dst, port, payload, sport=0, timeout=2.0):
    """Send one datagram and wait for one reply; returns (reply bytes, (addr, port))."""
    s = ns_socket(ns, src, sport, kind=socket.SOCK_DGRAM, timeout=timeout)
    try:
        s.sendto(payload, (dst, port))
        return s.recvfrom(4096)
    finally:
        s.close()


def backend_of(body):
    """'backend b2\\n' -> 'b2'."""
    m = re.match(r"backend (b\d+)", body)
    if not m:
        raise HttpError(f"unexpected body {body!r}")
    return m.group(1)


def curl(ns, url, src, timeout=3, extra=()):
    """curl one URL from namespace @ns with source address @src; returns
    (exit code, HTTP code or 0, body)."""
    cmd = ["ip", "netns", "exec", ns, "curl", "-sS", "--max-time", str(timeout),
           "--interface", src, "-H", "Connection: close", "-w", "\n%{http_code}",
           *extra, url]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout + 5)
    body, _, code = p.stdout.rpartition("\n")
    return p.returncode, int(code) if code.isdigit() else 0, body


def wrk(ns, url, duration=3, threads=2, connections=32, timeout_s=2):
    """Run wrk; returns dict(requests, socket_errors{...}, non2xx, raw)."""
    cmd = ["ip", "netns", "exec", ns, "wrk", f"-t{threads}", f"-c{connections}",
           f"-d{duration}s", "--timeout", f"{timeout_s}s", url]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=duration + 30)
    out = p.stdout + p.stderr
    res = {"rc": p.returncode, "raw": out, "requests": 0, "socket_errors": {}, "non2xx": 0}
    m = re.search(r"(\d+) requests in", out)
    if m:
        res["requests"] = int(m.group(1))
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    if m:
        res["socket_errors"] = dict(zip(("connect", "read", "write", "timeout"),
                                        map(int, m.groups())))
    m = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if m:
        res["non2xx"] = int(m.group(1))
    return res
