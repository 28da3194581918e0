#!/usr/bin/env bash
# Fuzz the packet parser (sl_parse) with libFuzzer + ASan for SECONDS
# (default 60). Exits non-zero if the fuzzer finds a crash, an over-read or a
# broken invariant; the input that did it is kept in BUILD/fuzz-artifacts/.
#
#   scripts/fuzz.sh [SECONDS]
#
# Environment: FUZZ_BUILD_DIR (default BUILD = build-fuzz at the top of the
# tree), configured with CC=clang and -Dfuzz=true on first use. Needs clang
# and libclang-rt-14-dev (scripts/deps.sh installs both).
#
# The fuzzer runs on a temporary copy of tests/fuzz/corpus, so the committed
# seeds stay as they are; to keep interesting new inputs, minimize them and
# add them by hand (or regenerate with tests/fuzz/gen_corpus.py).
set -euo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
seconds=${1:-60}
build=${FUZZ_BUILD_DIR:-$top/build-fuzz}

case $seconds in
'' | *[!0-9]*)
	echo "usage: fuzz.sh [SECONDS]" >&2
	exit 2
	;;
esac

if [ ! -f "$build/build.ninja" ]; then
	log=$(mktemp)
	if ! CC=clang meson setup "$build" "$top" -Dfuzz=true -Dbuildtype=debugoptimized -Db_lto=false >"$log" 2>&1; then
		cat "$log" >&2
		rm -f "$log"
		exit 1
	fi
	rm -f "$log"
else
	meson configure "$build" -Dfuzz=true >/dev/null
fi
log=$(mktemp)
if ! ninja -C "$build" tests/fuzz/fuzz_parse >"$log" 2>&1; then
	cat "$log" >&2 # ninja prints compiler errors on stdout
	rm -f "$log"
	exit 1
fi
rm -f "$log"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir "$work/corpus"
cp "$top/tests/fuzz/corpus/"* "$work/corpus/"
mkdir -p "$build/fuzz-artifacts"

echo "fuzz_parse: ${seconds}s on a copy of $(ls "$work/corpus" | wc -l) seeds"
rc=0
"$build/tests/fuzz/fuzz_parse" \
	-max_total_time="$seconds" \
	-max_len=512 \
	-timeout=10 \
	-print_final_stats=1 \
	-artifact_prefix="$build/fuzz-artifacts/" \
	"$work/corpus" >"$work/log" 2>&1 || rc=$?

# The run's tail (final stats, or the crash report) is what matters.
grep -E '^(#[0-9]+.*DONE|stat::|Done )' "$work/log" || true
if [ "$rc" -ne 0 ]; then
	tail -n 60 "$work/log" >&2
	echo "fuzz_parse FAILED (exit $rc); inputs in $build/fuzz-artifacts/" >&2
	exit 1
fi
echo "fuzz_parse: no crash"
