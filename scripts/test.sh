#!/bin/sh
# test.sh: install what is missing, build, and run the whole test suite: unit
# tests of every module and the corpus integration tests, then again under
# AddressSanitizer and UndefinedBehaviorSanitizer.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
"$top/scripts/install-deps.sh"
"$top/scripts/build.sh" "$top/_build" --enable-werror
status=0
make -C "$top/_build" -s -j"$(nproc)" check || status=1
"$top/scripts/build.sh" "$top/_build-san" --enable-asan --enable-ubsan
ASAN_OPTIONS=detect_leaks=1 make -C "$top/_build-san" -s -j"$(nproc)" check || status=1
for d in _build _build-san; do
	for f in "$top/$d"/tests/*.log; do
		[ -f "$f" ] || continue
		case $f in */test-suite.log) continue ;; esac
		grep -h '^# ' "$f" | grep -v '^# \(TOTAL\|PASS\|SKIP\|XFAIL\|FAIL\|XPASS\|ERROR\):' || true
	done
done
[ $status -eq 0 ] || { cat "$top"/_build*/tests/test-suite.log >&2 2>/dev/null || true; }
# One closing line over both builds, counting test programs and scripts.
passed=$(cat "$top"/_build/tests/*.trs "$top"/_build-san/tests/*.trs 2>/dev/null | grep -c '^:test-result: PASS' || true)
failed=$(cat "$top"/_build/tests/*.trs "$top"/_build-san/tests/*.trs 2>/dev/null | grep -c '^:test-result: \(FAIL\|ERROR\)' || true)
echo "tests: $passed passed, $failed failed"
exit $status
