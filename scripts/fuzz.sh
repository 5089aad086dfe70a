#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# fuzz.sh [SECONDS]: build the libFuzzer harnesses (_build-fuzz: clang,
# --enable-fuzz, ASan and UBSan) and run each fuzz/fuzz-NAME.c for SECONDS
# (default 60) on a scratch copy of its seeds. One line per harness: execs,
# coverage and crashes. Crash, timeout and out-of-memory inputs are kept in
# the scratch folder named at the end (FUZZ_OUT chooses it); copy one to
# fuzz/regress/NAME/ with its fix to make it a regression test. Exit status 1
# if any harness crashed.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
secs=${1:-60}
case $secs in '' | *[!0-9]*) echo "usage: $0 [SECONDS]" >&2; exit 2 ;; esac
CC=${FUZZ_CC:-clang}
command -v "$CC" >/dev/null 2>&1 ||
	{ echo "fuzz.sh: $CC not found (scripts/install-deps.sh installs clang)" >&2; exit 1; }
"$top/scripts/build.sh" "$top/_build-fuzz" CC="$CC" --enable-fuzz --enable-asan --enable-ubsan
out=${FUZZ_OUT:-$(mktemp -d "${TMPDIR:-/tmp}/gocoroner-fuzz.XXXXXX")}
mkdir -p "$out"
# Leaks are reported at exit by LeakSanitizer, so they count as crashes.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
status=0
for src in "$top"/fuzz/fuzz-*.c; do
	[ -f "$src" ] || continue
	name=${src##*/fuzz-}
	name=${name%.c}
	bin=$top/_build-fuzz/fuzz/fuzz-$name
	[ -x "$bin" ] || { echo "fuzz $name: $bin not built (is it in fuzz/local.mk?)"; status=1; continue; }
	corpus=$out/$name/corpus
	crashes=$out/$name/crashes
	rm -rf "$corpus" "$crashes"
	mkdir -p "$corpus" "$crashes"
	for d in "$top/fuzz/seeds/$name" "$top/fuzz/regress/$name"; do
		[ -d "$d" ] && find "$d" -maxdepth 1 -type f ! -name '.*' -exec cp {} "$corpus/" \;
	done
	log=$out/$name/fuzz.log
	# -timeout: one input taking 10 s is a hang worth keeping; -rss_limit_mb:
	# an input of a few KB that makes us use GBs is a bug (issue 17's limits).
	# -malloc_limit_mb is above it: a zstd frame may ask for a 2 GiB window
	# (zstd --long=31, which core/zstd.c accepts on purpose), memory that is
	# only address space until output fills it; resident use is what counts.
	# -max_len: seeds are small, the shrunk cores a few KB.
	# fuzz/fuzz-NAME.options: more libFuzzer flags for one harness, one a
	# line (# comments), after these, so they win.
	opts=
	[ -f "$top/fuzz/fuzz-$name.options" ] &&
		opts=$(sed 's/#.*//' "$top/fuzz/fuzz-$name.options" | tr '\n' ' ')
	rc=0
	# shellcheck disable=SC2086
	(cd "$out/$name" && "$bin" -max_total_time="$secs" -print_final_stats=1 \
		-timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=4096 -max_len=16384 \
		$opts -artifact_prefix="$crashes/" "$corpus") >"$log" 2>&1 || rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
	cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n 1 | cut -d' ' -f2)
	ft=$(grep -o 'ft: [0-9]*' "$log" | tail -n 1 | cut -d' ' -f2)
	ncrash=$(find "$crashes" -type f | wc -l)
	# libFuzzer exits non-zero only with an input to show for it, but a
	# harness that could not even start has none: still a failure.
	[ $rc -eq 0 ] || [ "$ncrash" -gt 0 ] || ncrash=1
	echo "fuzz $name: ${execs:-?} execs (${speed:-?}/s), cov ${cov:-?} ft ${ft:-?}, $ncrash crashes"
	if [ "$ncrash" -gt 0 ] || [ $rc -ne 0 ]; then
		status=1
		find "$crashes" -type f | sed 's/^/  crash input: /'
		[ -n "$(ls "$crashes")" ] || echo "  $bin exited $rc: see $log"
		grep -m 3 'ERROR: \|SUMMARY: \|runtime error' "$log" | sed 's/^/  /' || true
	fi
done
echo "fuzz: logs and inputs in $out"
exit $status
