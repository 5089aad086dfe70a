#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
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
# /usr/lib/go-1.27/bin/go), BENCH_BUILDMODE (go build -buildmode, e.g. pie;
# default: the plain build).
set -euo pipefail

[ $# -ge 1 ] || { sed -n '2,15p' "$0"; exit 2; }
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
	"$GO" build -trimpath -buildvcs=false ${BENCH_BUILDMODE:+-buildmode=$BENCH_BUILDMODE} -o "$exe" .)
echo "gen-bench-core: built $exe ($("$GO" version | awk '{print $3}'))" >&2

# gcore writes the zeros (1.6 GB for 100,000 goroutines, 0.4 GB of data):
# dig holes to spare the disk.
DIG_HOLES=1 "$here/../../bench/gcore-run.sh" gen-bench-core "$out" '^READY$' 300 \
	${BENCH_N:+BENCH_N=$BENCH_N} ${BENCH_SHAPE:+BENCH_SHAPE=$BENCH_SHAPE} "$exe"
if [ "$zst" = 1 ]; then
	zstd -10 -T0 -q -f "$out" -o "$out.zst"
	rm -f "$out"
	echo "gen-bench-core: $out.zst: $(stat -c %s "$out.zst") bytes" >&2
fi
