#!/bin/bash
# Make ctxgen's core: the context-heavy benchmark of the mission's own shape,
# a debug build (-gcflags=all=-N -l) of a request-serving program whose every
# frame takes a ctx (main.go; about 100,008 goroutines, 430,000 contexts).
# Built with Go 1.26, run from a scratch directory with a minimal
# environment, dumped with gdb's gcore. The core (1.87 GB at 100,000
# goroutines, as gcore writes it) is never committed; make it on demand.
#
# usage: bench/ctxgen/gen-core.sh OUT.core [OUT_EXE]
#   OUT.core      where to write the core (OUT.core.zst: compress it with
#                 zstd -3 and delete the raw core)
#   OUT_EXE       the executable (default: OUT.core's directory/ctxgen-debug)
# Environment: CTXGEN_N goroutines (default 100000), GO (default
# /usr/lib/go-1.26/bin/go).
set -euo pipefail

[ $# -ge 1 ] || { sed -n '2,14p' "$0"; exit 2; }
out=$1
zst=0
case $out in *.zst) zst=1; out=${out%.zst} ;; esac
mkdir -p "$(dirname "$out")"
outdir=$(cd "$(dirname "$out")" && pwd)
out=$outdir/$(basename "$out")
exe=${2:-$outdir/ctxgen-debug}
GO=${GO:-/usr/lib/go-1.26/bin/go}
n=${CTXGEN_N:-100000}
here=$(cd "$(dirname "$0")" && pwd)

(cd "$here" && env GOTOOLCHAIN=local GOFLAGS= CGO_ENABLED=0 GOPROXY=off \
	"$GO" build -trimpath -buildvcs=false -gcflags='all=-N -l' -o "$exe" .)
echo "ctxgen: built $exe ($("$GO" version | awk '{print $3}'))" >&2

scratch=$(mktemp -d "${TMPDIR:-/tmp}/gocoroner-ctxgen.XXXXXX")
pid=""
cleanup() {
	[ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null
	rm -rf "$scratch"
}
trap cleanup EXIT

start=$(date +%s)
(cd "$scratch" && ulimit -c 0 && exec env -i PATH=/usr/bin:/bin HOME=/nonexistent \
	"$exe" -n "$n" -life 60m >stdout 2>stderr) &
pid=$!
until grep -q '^ready ' "$scratch/stdout" 2>/dev/null; do
	kill -0 "$pid" 2>/dev/null || { cat "$scratch/stderr" >&2; echo "ctxgen: program died" >&2; exit 1; }
	[ $(($(date +%s) - start)) -lt 900 ] || { echo "ctxgen: not ready after 900 s" >&2; exit 1; }
	sleep 0.5
done
echo "ctxgen: $n goroutines parked after $(($(date +%s) - start)) s; taking the core" >&2
gcore -o "$scratch/core" "$pid" >"$scratch/gcore.log" 2>&1 || { cat "$scratch/gcore.log" >&2; exit 1; }
kill -KILL "$pid"
wait "$pid" 2>/dev/null || true
pid=""
mv "$scratch/core.$(ls "$scratch" | sed -n 's/^core\.//p' | head -1)" "$out"
echo "ctxgen: $out: $(stat -c %s "$out") bytes" >&2
if [ "$zst" = 1 ]; then
	zstd -3 -T0 -q -f "$out" -o "$out.zst"
	rm -f "$out"
	echo "ctxgen: $out.zst: $(stat -c %s "$out.zst") bytes" >&2
fi
