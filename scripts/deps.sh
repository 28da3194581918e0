#!/usr/bin/env bash
# Install the Debian 12 packages Sluice needs to build, test and run its demo.
# Idempotent: installs only what is missing (apt-get update first).
set -euo pipefail

PACKAGES=(
	# build
	build-essential meson ninja-build pkg-config
	clang llvm libclang-rt-14-dev
	libdpdk-dev dpdk dpdk-dev
	libbpf-dev bpftool linux-libc-dev
	libjansson-dev
	libcurl4-openssl-dev libyaml-dev
	libmicrohttpd-dev libev-dev libsystemd-dev
	# tests
	check valgrind
	groff-base systemd
	python3
	# end-to-end tests and the topology demo
	python3-pytest python3-scapy nginx-light curl wrk iproute2 tcpdump iputils-ping ethtool
	# the XDP filter: flood generator for manual runs, xdp-filter as the benchmark's reference
	hping3 xdp-tools
	# multi-node: BIRD 2 announces VIPs (sluiced drives it) and is the test's ECMP router
	bird2
	# the optional shared store sluiced watches (tested on loopback and in the cluster test)
	etcd-server etcd-client
	# benchmark plots (bench/pktgen.sh)
	gnuplot-nox
)

if [ "$(id -u)" -ne 0 ]; then
	echo "deps.sh: run as root (it installs Debian packages)" >&2
	exit 1
fi

missing=()
for p in "${PACKAGES[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		missing+=("$p")
	fi
done

if [ ${#missing[@]} -eq 0 ]; then
	echo "deps: all ${#PACKAGES[@]} packages present"
	exit 0
fi

echo "deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends "${missing[@]}"
