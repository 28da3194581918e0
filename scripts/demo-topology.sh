#!/usr/bin/env bash
# The README demo on real traffic: builds a namespace topology (clients,
# router, sluice-dp on an AF_XDP veth, three nginx backends behind the decap
# XDP program, sluiced beside sluice-dp), builds the pools with lbadm, drives
# curl and wrk through the VIPs, prints per-backend counts (from the answers
# and from the dataplane's counters via lbadm list), drains a backend with
# lbadm and rolls the drain back, then tears everything down. Exits non-zero
# if something did not work.
#
#   scripts/demo-topology.sh [BUILD_DIR] [--requests N] [--wrk-seconds S]
#
# Needs root and Debian's /usr/bin/python3 (python3-scapy, nginx-light, curl, wrk).
set -euo pipefail
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${SLUICE_BUILD:-$top/build}
if [ $# -gt 0 ] && [ "${1#-}" = "$1" ]; then
	build=$1
	shift
fi
exec /usr/bin/python3 "$top/tests/e2e/demo.py" --build "$build" "$@"
