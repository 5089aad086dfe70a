#!/bin/bash
# Make a large core for benchmarks: bench.go (100,000 parked goroutines with
# 10-20 frame stacks, a quarter each in chan receive / select / sleep /
# sync.Mutex.Lock, half with a context chain) built with Go 1.27 (optimized),
# dumped with gdb's gcore. The core is not committed; make it on demand.
#
# usage: corpus/bench/gen-bench-core.sh OUT.core [OUT_EXE]
#   OUT.core      where to write the core (OUT.core.zst: also compress it
#                 with zstd -10 and delete the raw core)
#   OUT_EXE       where to write the executable (default: OUT.core's
#                 directory/bench-go1.27-opt)
# Environment: BENCH_N (default 100000), BENCH_SHAPE (pileup: BENCH_N
# goroutines on one mutex whose holder is blocked; see bench.go), GO (default
# /usr/lib/go-1.27/bin/go).
set -euo pipefail

[ $# -ge 1 ] || { sed -n '2,14p' "$0"; exit 2; }
out=$1
zst=0
case $out in *.zst) zst=1; out=${out%.zst} ;; esac
mkdir -p "$(dirname "$out")"
outdir=$(cd "$(dirname "$out")" && pwd)
out=$outdir/$(basename "$out")
exe=${2:-$outdir/bench-go1.27-opt}
GO=${GO:-/usr/lib/go-1.27/bin/go}
here=$(cd "$(dirname "$0")" && pwd)

(cd "$here" && env GOTOOLCHAIN=local GOFLAGS= CGO_ENABLED=0 GOPROXY=off \
	"$GO" build -trimpath -buildvcs=false -o "$exe" .)
echo "gen-bench-core: built $exe ($("$GO" version | awk '{print $3}'))" >&2

scratch=$(mktemp -d "${TMPDIR:-/tmp}/gocoroner-bench.XXXXXX")
pid=""
cleanup() {
	[ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null
	rm -rf "$scratch"
}
trap cleanup EXIT

start=$(date +%s)
(cd "$scratch" && ulimit -c 0 && exec env -i PATH=/usr/bin:/bin HOME=/nonexistent \
	${BENCH_N:+BENCH_N=$BENCH_N} ${BENCH_SHAPE:+BENCH_SHAPE=$BENCH_SHAPE} "$exe" >stdout 2>stderr) &
pid=$!
until grep -qx READY "$scratch/stdout" 2>/dev/null; do
	kill -0 "$pid" 2>/dev/null || { cat "$scratch/stderr" >&2; echo "gen-bench-core: program died" >&2; exit 1; }
	[ $(($(date +%s) - start)) -lt 300 ] || { echo "gen-bench-core: no READY after 300 s" >&2; exit 1; }
	sleep 0.2
done
sleep 1
echo "gen-bench-core: $(grep goroutines "$scratch/stdout") after $(($(date +%s) - start)) s; taking the core" >&2
gcore -o "$scratch/core" "$pid" >"$scratch/gcore.log" 2>&1 || { cat "$scratch/gcore.log" >&2; exit 1; }
kill -KILL "$pid"
wait "$pid" 2>/dev/null || true
pid=""
mv "$scratch/core.$(ls "$scratch" | sed -n 's/^core\.//p' | head -1)" "$out"
# gcore writes the zeros (1.6 GB for 100,000 goroutines, 0.4 GB of data).
fallocate --dig-holes "$out" 2>/dev/null || true
echo "gen-bench-core: $out: $(stat -c %s "$out") bytes ($(du -k "$out" | cut -f1) KiB on disk)" >&2
if [ "$zst" = 1 ]; then
	zstd -10 -T0 -q -f "$out" -o "$out.zst"
	rm -f "$out"
	echo "gen-bench-core: $out.zst: $(stat -c %s "$out.zst") bytes" >&2
fi
