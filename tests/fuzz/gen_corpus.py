#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Write the fuzz_parse seed corpus: one small frame of each kind sl_parse()
knows, made with scapy so that the seeds do not share the frame builder's
assumptions. The output is committed; rerun only to change the seeds:
    /usr/bin/python3 tests/fuzz/gen_corpus.py tests/fuzz/corpus
"""
import os
import sys

from scapy.all import (ARP, AH, Dot1AD, Dot1Q, Ether, ICMP, IP, IPv6, IPv6ExtHdrDestOpt,
                       IPv6ExtHdrFragment, IPv6ExtHdrHopByHop, IPv6ExtHdrRouting, Raw, TCP, UDP,
                       ICMPv6DestUnreach, ICMPv6EchoReply, ICMPv6EchoRequest, ICMPv6PacketTooBig,
                       ICMPv6TimeExceeded, IPOption_NOP, IPOption_RR, raw)

C4, V4, R4 = "198.51.100.7", "192.0.2.10", "203.0.113.1"
C6, V6, R6 = "2001:db8:1::7", "2001:db8::10", "2001:db8:ff::1"
E = Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02")


def quote(p, n):
    """The first n bytes of packet p, as an ICMP error quotes it."""
    return raw(p)[:n]


seeds = {
    "ipv4_tcp_syn": E / IP(src=C4, dst=V4) / TCP(sport=40000, dport=80, flags="S"),
    "ipv4_tcp_opts": E / IP(src=C4, dst=V4, flags="DF") /
        TCP(sport=40000, dport=443, flags="PA", options=[("MSS", 1460), ("NOP", None),
                                                       ("WScale", 7)]) / Raw(b"GET /"),
    "ipv4_udp": E / IP(src=C4, dst=V4) / UDP(sport=5353, dport=53) / Raw(b"\x12\x34" * 6),
    "ipv4_icmp_echo": E / IP(src=C4, dst=V4) / ICMP(type=8, id=0x1234, seq=1) / Raw(b"ping"),
    "ipv4_options": E / IP(src=C4, dst=V4, options=[IPOption_RR(routers=[R4]), IPOption_NOP()]) /
        TCP(sport=1, dport=2),
    "ipv4_frag_first": E / IP(src=C4, dst=V4, flags="MF") / UDP(sport=53, dport=33000,
                                                              len=1480) / Raw(b"x" * 24),
    "ipv4_frag_nonfirst": E / IP(src=C4, dst=V4, frag=185, proto=17) / Raw(b"y" * 24),
    "ipv4_gre": E / IP(src=C4, dst=V4, proto=47) / Raw(b"\x00\x00\x08\x00"),
    "ipv4_padded": E / IP(src=C4, dst=V4) / UDP(sport=1, dport=2),
    "vlan1_ipv4_tcp": E / Dot1Q(vlan=100, prio=5) / IP(src=C4, dst=V4) / TCP(sport=3, dport=80),
    "qinq_ipv6_udp": E / Dot1AD(vlan=10) / Dot1Q(vlan=20) / IPv6(src=C6, dst=V6) /
        UDP(sport=4, dport=53),
    "ipv6_tcp": E / IPv6(src=C6, dst=V6, tc=0xb8, fl=0x12345) / TCP(sport=40001, dport=443,
                                                                  flags="A"),
    "ipv6_echo": E / IPv6(src=C6, dst=V6) / ICMPv6EchoRequest(id=0x4242, data=b"abcd"),
    "ipv6_echo_reply": E / IPv6(src=V6, dst=C6) / ICMPv6EchoReply(id=0x4242),
    "ipv6_ext_chain": E / IPv6(src=C6, dst=V6) / IPv6ExtHdrHopByHop() / IPv6ExtHdrRouting() /
        IPv6ExtHdrDestOpt() / TCP(sport=5, dport=80),
    "ipv6_frag_first": E / IPv6(src=C6, dst=V6) / IPv6ExtHdrFragment(m=1, id=7) /
        UDP(sport=53, dport=33001, len=3000) / Raw(b"z" * 16),
    "ipv6_frag_nonfirst": E / IPv6(src=C6, dst=V6) / IPv6ExtHdrFragment(offset=200, nh=6, id=7) /
        Raw(b"w" * 16),
    "ipv6_ah_tcp": E / IPv6(src=C6, dst=V6) /
        AH(nh=6, payloadlen=4, spi=1, seq=1, icv=b"\x00" * 12) /
        TCP(sport=6, dport=7),
    "ipv6_no_next": E / IPv6(src=C6, dst=V6, nh=59),
    # one extension header more than sl_parse walks: IP6_EXT_TOO_LONG
    "ipv6_ext_9": E / IPv6(src=C6, dst=V6) / IPv6ExtHdrDestOpt() / IPv6ExtHdrRouting() /
        IPv6ExtHdrDestOpt() / IPv6ExtHdrRouting() / IPv6ExtHdrDestOpt() / IPv6ExtHdrRouting() /
        IPv6ExtHdrDestOpt() / IPv6ExtHdrRouting() / IPv6ExtHdrDestOpt() / UDP(sport=8, dport=9),
    "vlan3": E / Dot1AD(vlan=1) / Dot1Q(vlan=2) / Dot1Q(vlan=3) / IP(src=C4, dst=V4) / TCP(),
    "icmp4_frag_needed": E / IP(src=R4, dst=V4) / ICMP(type=3, code=4, nexthopmtu=1400) /
        quote(IP(src=V4, dst=C4, flags="DF") / TCP(sport=80, dport=40000, flags="PA") /
              Raw(b"d" * 100), 28),
    "icmp4_time_exceeded": E / IP(src=R4, dst=V4) / ICMP(type=11) /
        quote(IP(src=V4, dst=C4, ttl=1) / UDP(sport=53, dport=5353), 28),
    "icmp6_too_big": E / IPv6(src=R6, dst=V6) / ICMPv6PacketTooBig(mtu=1280) /
        quote(IPv6(src=V6, dst=C6) / TCP(sport=443, dport=40001) / Raw(b"e" * 40), 100),
    "icmp6_unreach_ext": E / IPv6(src=R6, dst=V6) / ICMPv6DestUnreach(code=4) /
        quote(IPv6(src=V6, dst=C6) / IPv6ExtHdrDestOpt() / UDP(sport=53, dport=5353), 56),
    "icmp6_time_exceeded_echo": E / IPv6(src=R6, dst=V6) / ICMPv6TimeExceeded() /
        quote(IPv6(src=C6, dst=V6, hlim=1) / ICMPv6EchoRequest(id=9), 48),
    "arp": E / ARP(psrc=C4, pdst=V4),
}


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "corpus")
    os.makedirs(out, exist_ok=True)
    for name, pkt in seeds.items():
        b = raw(pkt)
        if len(b) < 60 and name != "ipv6_no_next":
            # as it arrives from a NIC: padded to the minimum frame, not always with zeros
            b = b.ljust(60, b"\xee" if name == "ipv4_padded" else b"\x00")
        with open(os.path.join(out, name), "wb") as f:
            f.write(b)
    print(f"{len(seeds)} seeds in {out}")


if __name__ == "__main__":
    main()
