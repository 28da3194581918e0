# SPDX-License-Identifier: BSD-3-Clause
"""A backend's UDP service: answers each datagram with "backend NAME <datagram>",
from the address it was sent to (the VIP), so replies go straight to the client.

    udp_echo.py NAME ADDR [ADDR ...] PORT
"""
import selectors
import socket
import sys


def main(argv):
    name, addrs, port = argv[0], argv[1:-1], int(argv[-1])
    sel = selectors.DefaultSelector()
    for a in addrs:
        fam = socket.AF_INET6 if ":" in a else socket.AF_INET
        s = socket.socket(fam, socket.SOCK_DGRAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((a, port))
        sel.register(s, selectors.EVENT_READ)
    prefix = f"backend {name} ".encode()
    while True:
        for key, _ in sel.select():
            data, peer = key.fileobj.recvfrom(2048)
            key.fileobj.sendto(prefix + data[:1024], peer)


if __name__ == "__main__":
    try:
        main(sys.argv[1:])
    except KeyboardInterrupt:
        pass
