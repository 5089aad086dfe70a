#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# bench-pileup.sh: 'gocoroner analyze', 'report' and 'graph --waits' on cores
# of N goroutines piled up on one mutex whose holder is itself blocked
# forever (corpus/bench/bench.go, BENCH_SHAPE=pileup), for N = 1,000, 10,000
# and 100,000: the time must grow linearly with N. Not a test: a benchmark,
# reported with /usr/bin/time (wall time, peak RSS).
#
# usage: bench/bench-pileup.sh [WORKDIR]   (default /tmp/gocoroner-pileup)
# Needs: a built gocoroner in _build/, Go 1.27 and gdb for the cores
# (corpus/bench/gen-bench-core.sh; about 1.5 GB each, sparse).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
work=${1:-/tmp/gocoroner-pileup}
gocoroner=${GOCORONER:-$top/_build/gocoroner}
mkdir -p "$work"

measure() { # measure LABEL COMMAND...: one run, its wall time and peak RSS
	label=$1
	shift
	/usr/bin/time -f "%e %M" -o "$work/time.txt" "$@" >"$work/out.txt" 2>&1 || true
	read -r secs kib <"$work/time.txt"
	printf '%-40s %8.2f s %8d MB\n' "$label" "$secs" $((kib / 1024))
}

for n in 1000 10000 100000; do
	core=$work/pileup-$n.core
	exe=$work/pileup-$n.exe
	[ -f "$core" ] || BENCH_SHAPE=pileup BENCH_N=$n "$top/corpus/bench/gen-bench-core.sh" "$core" "$exe"
	rm -f "$work/pileup-$n.db" "$work/pileup-$n.db-wal" "$work/pileup-$n.db-shm"
	measure "analyze, $n goroutines on one mutex" \
		"$gocoroner" analyze -q --db "$work/pileup-$n.db" --exe "$exe" "$core"
	measure "report, $n" "$gocoroner" report --db "$work/pileup-$n.db"
	measure "graph --waits, $n" "$gocoroner" graph --db "$work/pileup-$n.db" --waits
done
