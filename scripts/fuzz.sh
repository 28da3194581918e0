#!/usr/bin/env bash
# Run libFuzzer + ASan targets for SECONDS each (default 60). Exits non-zero
# if a fuzzer finds a crash, an over-read, a leak or a broken invariant; the
# input that did it is kept in BUILD/fuzz-artifacts/.
#
#   scripts/fuzz.sh [SECONDS] [TARGET...]
#
# Targets (default: fuzz_parse), each with its seed corpus in tests/fuzz/:
#   fuzz_parse         the packet parser (sl_parse)             corpus/
#   fuzz_sld_state     sluiced's state document and validators  corpus_sld_state/
#   fuzz_sld_patch     sluiced's JSON merge patch of a VIP      corpus_sld_patch/
#   fuzz_sld_path      sluiced's API path parser                corpus_sld_path/
#   fuzz_sld_tokens    sluiced's token file parser              corpus_sld_tokens/
#
# Environment: FUZZ_BUILD_DIR (default BUILD = build-fuzz at the top of the
# tree), configured with CC=clang and -Dfuzz=true on first use. Needs clang
# and libclang-rt-14-dev (scripts/deps.sh installs both).
#
# Each fuzzer runs on a temporary copy of its corpus, so the committed seeds
# stay as they are; to keep interesting new inputs, minimize them and add
# them by hand (or regenerate with tests/fuzz/gen_corpus.py and
# tests/fuzz/gen_sld_corpus.py).
set -euo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
seconds=${1:-60}
build=${FUZZ_BUILD_DIR:-$top/build-fuzz}
shift || true
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=(fuzz_parse)

case $seconds in
'' | *[!0-9]*)
	echo "usage: fuzz.sh [SECONDS] [TARGET...]" >&2
	exit 2
	;;
esac
for t in "${targets[@]}"; do
	case $t in
	fuzz_parse | fuzz_sld_state | fuzz_sld_patch | fuzz_sld_path | fuzz_sld_tokens) ;;
	*)
		echo "fuzz.sh: unknown target $t" >&2
		exit 2
		;;
	esac
done

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
if ! ninja -C "$build" "${targets[@]/#/tests/fuzz/}" >"$log" 2>&1; then
	cat "$log" >&2 # ninja prints compiler errors on stdout
	rm -f "$log"
	exit 1
fi
rm -f "$log"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$build/fuzz-artifacts"

failed=0
for t in "${targets[@]}"; do
	case $t in
	fuzz_parse) corpus=corpus max_len=512 ;;
	fuzz_sld_path) corpus=corpus_sld_path max_len=512 ;;
	*) corpus=corpus_${t#fuzz_} max_len=8192 ;;
	esac
	mkdir "$work/$t"
	cp "$top/tests/fuzz/$corpus/"* "$work/$t/"
	echo "$t: ${seconds}s on a copy of $(ls "$work/$t" | wc -l) seeds"
	rc=0
	"$build/tests/fuzz/$t" \
		-max_total_time="$seconds" \
		-max_len="$max_len" \
		-timeout=10 \
		-print_final_stats=1 \
		-artifact_prefix="$build/fuzz-artifacts/$t-" \
		"$work/$t" >"$work/$t.log" 2>&1 || rc=$?

	# The run's tail (final stats, or the crash report) is what matters.
	grep -E '^(#[0-9]+.*DONE|stat::number_of_executed_units|Done )' "$work/$t.log" || true
	if [ "$rc" -ne 0 ]; then
		tail -n 60 "$work/$t.log" >&2
		echo "$t FAILED (exit $rc); inputs in $build/fuzz-artifacts/" >&2
		failed=1
		continue
	fi
	echo "$t: no crash"
done
exit $failed
