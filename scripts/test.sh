#!/bin/sh
# test.sh: install what is missing, build, and run the whole test suite: unit
# tests of every module and the corpus integration tests, then again under
# AddressSanitizer and UndefinedBehaviorSanitizer; then each fuzz harness for
# FUZZ_SECONDS (30 by default, 0 to skip) under libFuzzer (scripts/fuzz.sh).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
"$top/scripts/install-deps.sh"
"$top/scripts/build.sh" "$top/_build" --enable-werror
status=0
make -C "$top/_build" -s -j"$(nproc)" check || status=1
"$top/scripts/build.sh" "$top/_build-san" --enable-asan --enable-ubsan
ASAN_OPTIONS=detect_leaks=1 make -C "$top/_build-san" -s -j"$(nproc)" check || status=1
for d in _build _build-san; do
	for f in "$top/$d"/tests/*.log "$top/$d"/fuzz/*.log; do
		[ -f "$f" ] || continue
		case $f in */test-suite.log) continue ;; esac
		grep -h '^# ' "$f" | grep -v '^# \(TOTAL\|PASS\|SKIP\|XFAIL\|FAIL\|XPASS\|ERROR\):' || true
	done
done
[ $status -eq 0 ] || { cat "$top"/_build*/tests/test-suite.log >&2 2>/dev/null || true; }
# Each harness that ran clean counts as a passed test, each that crashed (or
# a fuzz build that failed) as a failed one.
fuzz_passed=0
fuzz_failed=0
if [ "${FUZZ_SECONDS:-30}" != 0 ]; then
	fuzz_log=$(mktemp)
	"$top/scripts/fuzz.sh" "${FUZZ_SECONDS:-30}" >"$fuzz_log" 2>&1 || status=1
	cat "$fuzz_log"
	fuzz_passed=$(grep -c '^fuzz [^:]*: .* 0 crashes$' "$fuzz_log" || true)
	fuzz_failed=$(grep '^fuzz [^:]*: ' "$fuzz_log" | grep -vc ' 0 crashes$' || true)
	[ "$fuzz_passed" -gt 0 ] || [ "$fuzz_failed" -gt 0 ] || fuzz_failed=1
	rm -f "$fuzz_log"
fi
# One closing line over both builds, counting test programs and scripts, and
# the fuzz harnesses.
passed=$(cat "$top"/_build/tests/*.trs "$top"/_build-san/tests/*.trs "$top"/_build/fuzz/*.trs "$top"/_build-san/fuzz/*.trs 2>/dev/null | grep -c '^:test-result: PASS' || true)
failed=$(cat "$top"/_build/tests/*.trs "$top"/_build-san/tests/*.trs "$top"/_build/fuzz/*.trs "$top"/_build-san/fuzz/*.trs 2>/dev/null | grep -c '^:test-result: \(FAIL\|ERROR\)' || true)
echo "tests: $((passed + fuzz_passed)) passed, $((failed + fuzz_failed)) failed"
exit $status
