#!/usr/bin/env bash
# Sluice's pktgen benchmarks: one command per scenario.
#
#   bench/pktgen.sh forwarding|newflows|attack|mixed|all [-i memif] [-s SIZE] [-d VIP]
#                   [-f FLOWS[,FLOWS..]] [-t THREADS] [-n COUNT] [-r MPPS] [-D SEC] [-o DIR]
#
# Sets up the rig itself (hugepages, a memif link between sluice-pktgen and the
# device under test), runs sluice-dp and then dpdk-testpmd io-forward (the
# reference) in its place, tears everything down, and writes JSON, a summary
# table and PNG plots. bench/pktgen.sh -h for every option; docs/benchmarks.md
# for the method. Root; needs a build (./sluice.sh build).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
export SLUICE_BUILD=${SLUICE_BUILD:-$here/../build}
exec /usr/bin/python3 "$here/pktgen/bench.py" "$@"
