#!/usr/bin/env bash
# Sluice's front door: the two quick-start commands, and a few more.
#
#   ./sluice.sh demo    install what is missing, build, run the demo topology (real traffic)
#   ./sluice.sh test    install what is missing, build (warnings are errors), run every test
#   ./sluice.sh sim     build and run the offline pipeline simulation (sluice-sim)
#   ./sluice.sh build   install what is missing and build
#   ./sluice.sh bench core|pipeline|filter [ARGS]   build and run a benchmark (JSON on stdout)
#   ./sluice.sh bench pktgen SCENARIO [ARGS] build and run a pktgen benchmark (bench/pktgen.sh -h)
set -euo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
build=${SLUICE_BUILD:-$top/build}

usage() {
	sed -n '2,9p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
}

build() {
	"$top/scripts/deps.sh"
	if [ ! -f "$build/build.ninja" ]; then
		meson setup "$build" "$top" -Dwerror=true
	fi
	ninja -C "$build"
}

cmd=${1:-}
[ $# -gt 0 ] && shift
case "$cmd" in
demo)
	build >&2
	exec "$top/scripts/demo-topology.sh" "$build" "$@"
	;;
sim)
	build >&2
	exec "$build/dataplane/sim/sluice-sim" "$@"
	;;
test)
	build
	exec "$top/scripts/test.sh" "$build" "$@"
	;;
build)
	build
	;;
bench)
	which=${1:-}
	[ $# -gt 0 ] && shift
	case "$which" in
	core | pipeline | filter) ;;
	pktgen)
		build >&2
		SLUICE_BUILD=$build exec "$top/bench/pktgen.sh" "$@"
		;;
	*)
		echo "usage: ./sluice.sh bench core|pipeline|filter|pktgen [ARGS]" >&2
		exit 2
		;;
	esac
	build >&2
	exec "$build/bench/sluice-bench-$which" "$@"
	;;
-h | --help | help)
	usage
	;;
*)
	usage >&2
	exit 2
	;;
esac
