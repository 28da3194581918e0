#!/usr/bin/env bash
# The README's demo. Today: the core pipeline (parser, flow hash, Maglev,
# connection tracking, encapsulation) run over generated client flows against
# a sample pool, by sluice-sim. Extra arguments go to sluice-sim.
set -euo pipefail
build=${1:?usage: demo.sh BUILD_DIR [sluice-sim args]}
shift
exec "$build/dataplane/sim/sluice-sim" "$@"
