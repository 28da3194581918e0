#!/usr/bin/env bash
# Run every Sluice test against a build directory (see ./sluice.sh test).
# A skipped suite counts as a failure: the README's test command is meant to
# run everything, and CI provides root, hugepages and namespaces.
#
# Environment: FUZZ_SECONDS (default 60) bounds the parser fuzzing run;
# FUZZ_SLD_SECONDS (default 8) each of sluiced's four parser fuzzers.
set -uo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${1:?usage: test.sh BUILD_DIR}
fuzz_seconds=${FUZZ_SECONDS:-60}
fuzz_sld_seconds=${FUZZ_SLD_SECONDS:-8}
passed=0
failed=0
skipped=0
failures=()

step() {
	local name=$1
	shift
	echo "=== $name"
	if "$@"; then
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
		failures+=("$name")
	fi
}

# 1. meson test: the Check unit suites (and, as they land, BPF and
#    integration suites). Exit 77 from a suite is a skip: counted below.
echo "=== meson test"
meson test -C "$build" --print-errorlogs --num-processes 2
meson_rc=$?
log="$build/meson-logs/testlog.json"
if [ -f "$log" ]; then
	read -r ok bad skip < <(/usr/bin/python3 - "$log" <<'PY'
import json, sys
ok = bad = skip = 0
for line in open(sys.argv[1]):
    r = json.loads(line)["result"]
    if r in ("OK", "EXPECTEDFAIL"):
        ok += 1
    elif r == "SKIP":
        skip += 1
        print(f"skipped suite: {json.loads(line)['name']}", file=sys.stderr)
    else:
        bad += 1
print(ok, bad, skip)
PY
)
	passed=$((passed + ok))
	failed=$((failed + bad))
	skipped=$((skipped + skip))
	[ "$bad" -gt 0 ] && failures+=("meson test ($bad failed)")
fi
if [ "$meson_rc" -ne 0 ] && [ "${bad:-0}" -eq 0 ]; then
	failed=$((failed + 1))
	failures+=("meson test exited $meson_rc")
fi

# 2. The parser under libFuzzer + ASan, time-bounded.
step "fuzz parser (${fuzz_seconds}s)" "$top/scripts/fuzz.sh" "$fuzz_seconds"
step "fuzz sluiced's request parsers (4 x ${fuzz_sld_seconds}s)" "$top/scripts/fuzz.sh" \
	"$fuzz_sld_seconds" fuzz_sld_state fuzz_sld_patch fuzz_sld_path fuzz_sld_tokens

# 3. The microbenchmarks still run and print valid JSON (no timing asserted).
bench_smoke() {
	"$build/bench/sluice-bench-core" --quick >"$build/bench-smoke.json" &&
		/usr/bin/python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert {"parse","maglev","conntrack","encap","flowhash"} <= d.keys(), d.keys()' "$build/bench-smoke.json" &&
		"$build/bench/sluice-bench-pipeline" --quick >"$build/bench-pipeline-smoke.json" &&
		/usr/bin/python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["pipeline"]["flows_1000"]["ct_hit_misses"] == 0' "$build/bench-pipeline-smoke.json" &&
		"$build/bench/sluice-bench-filter" --quick >"$build/bench-filter-smoke.json" &&
		/usr/bin/python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert len(d["cases"]) >= 10 and all(c["sluice_ns"]["median_ns"] > 0 for c in d["cases"])' "$build/bench-filter-smoke.json"
}
step "bench smoke" bench_smoke

# 4. The offline simulation runs and its own consistency checks pass.
step "sluice-sim" "$build/dataplane/sim/sluice-sim" --flows 20000 --quiet

echo
if [ "$skipped" -gt 0 ]; then
	echo "FAIL: $skipped suite(s) skipped; every suite must run"
	failed=$((failed + skipped))
fi
for f in "${failures[@]}"; do
	echo "FAILED: $f"
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
