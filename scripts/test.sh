#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# test.sh: install what is missing, build, and run the whole test suite: unit
# tests of every module and the corpus integration tests, then again under
# AddressSanitizer and UndefinedBehaviorSanitizer; then each fuzz harness for
# FUZZ_SECONDS (30 by default, 0 to skip) under libFuzzer (scripts/fuzz.sh).
# While it runs it says which step it is at; the tests' own output goes to
# the logs it names at the end, and its last lines are one summary per build
# and one over all of them. Exit status 1 if anything failed. TEST_LOGS=1
# prints the failures' logs before the summaries.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
"$top/scripts/install-deps.sh"
status=0
summaries=

# count DIR...: passed, failed and skipped tests of the .trs files in DIRs.
count() {
	results=$(for d in "$@"; do cat "$d"/*.trs 2>/dev/null || true; done)
	passed=$(printf '%s\n' "$results" | grep -c '^:test-result: PASS' || true)
	failed=$(printf '%s\n' "$results" | grep -c '^:test-result: \(FAIL\|ERROR\|XPASS\)' || true)
	skipped=$(printf '%s\n' "$results" | grep -c '^:test-result: SKIP' || true)
}

total_passed=0
total_failed=0
# check BUILD CONFIGURE-ARGS...: build in BUILD, run make check there, quietly.
check() {
	b=$1
	shift
	echo "test.sh: building and testing $b ..."
	log=$top/$b/check.log
	rc=0
	"$top/scripts/build.sh" "$top/$b" "$@" || rc=$?
	if [ $rc -eq 0 ]; then
		make -C "$top/$b" -s -j"$(nproc)" check >"$log" 2>&1 || rc=$?
	fi
	count "$top/$b/tests" "$top/$b/fuzz"
	[ $rc -eq 0 ] || { status=1; [ "$failed" -gt 0 ] || failed=1; }
	total_passed=$((total_passed + passed))
	total_failed=$((total_failed + failed))
	line="$b: $passed passed, $failed failed, $skipped skipped"
	if [ $rc -ne 0 ]; then
		# The failed tests by name, each with its own log.
		names=$(grep -l '^:test-result: \(FAIL\|ERROR\|XPASS\)' "$top/$b"/tests/*.trs \
			"$top/$b"/fuzz/*.trs 2>/dev/null | sed "s|^$top/||; s|\.trs\$|.log|" | tr '\n' ' ' | sed 's/ $//')
		line="$line${names:+
  failed: $names}
  details: $b/test-suite.log (every failure's output), $b/check.log (make's)"
	else
		line="$line (details: $b/test-suite.log)"
	fi
	summaries="$summaries$line
"
}

check _build --enable-werror
ASAN_OPTIONS=detect_leaks=1
export ASAN_OPTIONS
check _build-san --enable-asan --enable-ubsan

# Each harness that ran clean counts as a passed test, each that crashed (or
# a fuzz build that failed) as a failed one.
if [ "${FUZZ_SECONDS:-30}" != 0 ]; then
	echo "test.sh: fuzzing, ${FUZZ_SECONDS:-30} s per harness ..."
	mkdir -p "$top/_build-fuzz"
	fuzz_log=$top/_build-fuzz/fuzz-run.log
	"$top/scripts/fuzz.sh" "${FUZZ_SECONDS:-30}" >"$fuzz_log" 2>&1 || status=1
	fuzz_passed=$(grep -c '^fuzz [^:]*: .* 0 crashes$' "$fuzz_log" || true)
	fuzz_failed=$(grep '^fuzz [^:]*: ' "$fuzz_log" | grep -vc ' 0 crashes$' || true)
	[ "$fuzz_passed" -gt 0 ] || [ "$fuzz_failed" -gt 0 ] || fuzz_failed=1
	total_passed=$((total_passed + fuzz_passed))
	total_failed=$((total_failed + fuzz_failed))
	summaries="${summaries}fuzz: $fuzz_passed harnesses clean, $fuzz_failed crashed (details: _build-fuzz/fuzz-run.log)
"
	# The harnesses that crashed, with their inputs and first error lines.
	[ "$fuzz_failed" -eq 0 ] || summaries="$summaries$(grep -v ' 0 crashes$' "$fuzz_log" |
		grep '^fuzz [^:]*: \|^  ' | head -n 20)
"
fi

# TEST_LOGS=1 (CI, whose files are gone once it ends): the failures' logs
# first, as automake gathers them.
if [ "${TEST_LOGS:-0}" = 1 ] && [ $status -ne 0 ]; then
	for b in _build _build-san; do
		[ ! -f "$top/$b/test-suite.log" ] || cat "$top/$b/test-suite.log"
	done
	[ ! -f "$top/_build-fuzz/fuzz-run.log" ] || cat "$top/_build-fuzz/fuzz-run.log"
fi
# The summaries last: one per build, then one closing line over all of them,
# counting test programs and scripts, and the fuzz harnesses.
echo
printf '%s' "$summaries"
echo "tests: $total_passed passed, $total_failed failed"
exit $status
