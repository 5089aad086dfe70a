#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# 'gocoroner capture PID' against gdb's gcore (+ zstd -3) on the benchmark
# program (corpus/bench: BENCH_N parked goroutines, Go 1.27 optimized), run
# live: the capture first (so that gcore's reads do not fault in the pages
# the process never touched), then gcore of the same parked state. Prints
# for each: how long the process was stopped, the wall time, the file
# sizes; and that both cores analyze to the same goroutine count.
#
# usage: bench/bench-capture.sh [N...]   (default: 1000 100000)
# Environment: GOCORONER (default _build/gocoroner), GO (default
# /usr/lib/go-1.27/bin/go), TMPDIR (scratch; a gcore of 100,000 goroutines
# takes ~1.3 GB there, deleted at the end).
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
gocoroner=${GOCORONER:-$top/_build/gocoroner}
GO=${GO:-/usr/lib/go-1.27/bin/go}
counts=("${@:-1000}")
[ $# -gt 0 ] || counts=(1000 100000)
scratch=$(mktemp -d "${TMPDIR:-/tmp}/gocoroner-bench-capture.XXXXXX")
pid=
cleanup() {
	[ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null
	rm -rf "$scratch"
}
trap cleanup EXIT

(cd "$top/corpus/bench" && env GOTOOLCHAIN=local GOFLAGS= CGO_ENABLED=0 GOPROXY=off \
	"$GO" build -trimpath -buildvcs=false -o "$scratch/bench" .)
now() { date +%s.%N; }

for n in "${counts[@]}"; do
	mkdir -p "$scratch/run"
	(cd "$scratch/run" && ulimit -c 0 && exec env -i PATH=/usr/bin:/bin HOME=/nonexistent \
		BENCH_N="$n" "$scratch/bench" >stdout 2>stderr) &
	pid=$!
	until grep -q '^READY$' "$scratch/run/stdout" 2>/dev/null; do
		kill -0 "$pid" 2>/dev/null || { cat "$scratch/run/stderr" >&2; exit 1; }
		sleep 0.2
	done
	sleep 1

	t0=$(now)
	"$gocoroner" capture -o "$scratch/cap.zst" "$pid" 2>"$scratch/cap.log"
	t1=$(now)
	stop=$(sed -n 's/.*stopped for \([0-9.]*\) ms.*/\1/p' "$scratch/cap.log")
	copied=$(sed -n 's/.*\(copied [0-9.]* [KMG]iB\) from .*/\1/p' "$scratch/cap.log")
	capsize=$(stat -c %s "$scratch/cap.zst")

	# gcore stops the process from its attach to its detach: its wall time
	# less gdb's start (measured on 'gdb -batch' alone) bounds the stop.
	t2=$(now)
	gcore -o "$scratch/gc" "$pid" >/dev/null 2>&1
	t3=$(now)
	gdb -batch -nx -ex 'print 1' >/dev/null 2>&1
	t4=$(now)
	gcsize=$(stat -c %s "$scratch/gc.$pid")
	gcdisk=$(($(stat -c %b "$scratch/gc.$pid") * 512))
	zstd -q -3 -T1 -f "$scratch/gc.$pid" -o "$scratch/gc.zst"
	t5=$(now)
	gczsize=$(stat -c %s "$scratch/gc.zst")
	kill -KILL "$pid"
	wait "$pid" 2>/dev/null || true
	pid=

	count() {
		"$gocoroner" analyze --db "$scratch/db" --exe "$scratch/bench" "$1" >"$scratch/an.log" 2>&1 ||
			{ cat "$scratch/an.log" >&2; return; }
		sed -n 's/.*signal [0-9]*, \([0-9,]*\) goroutines.*/\1/p' "$scratch/an.log"
	}
	g1=$(count "$scratch/cap.zst")
	g2=$(count "$scratch/gc.zst")
	awk -v n="$n" -v stop="$stop" -v copied="$copied" -v cw="$(echo "$t1 - $t0" | bc)" \
		-v cs="$capsize" -v gw="$(echo "$t3 - $t2" | bc)" -v gs="$(echo "$t4 - $t3" | bc)" \
		-v zw="$(echo "$t5 - $t4" | bc)" -v raw="$gcsize" -v disk="$gcdisk" -v gz="$gczsize" \
		-v g1="$g1" -v g2="$g2" 'BEGIN {
		printf "BENCH_N=%d: capture: stopped %.0f ms (%s), wall %.2f s, file %.1f MiB; ", n, stop, copied, cw, cs / 1048576
		printf "gcore: stopped <= %.2f s, wall %.2f s, core %.0f MiB (%.0f MiB on disk), + zstd -3 %.2f s -> %.1f MiB; ", gw - gs, gw, raw / 1048576, disk / 1048576, zw, gz / 1048576
		printf "goroutines %s vs %s\n", g1, g2 }'
	rm -f "$scratch/cap.zst" "$scratch/gc.$pid" "$scratch/gc.zst" "$scratch/db"*
	rm -rf "$scratch/run"
done
