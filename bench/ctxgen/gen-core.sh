#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
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

# The core stays as gcore writes it, zeros included, as a production gcore would.
"$here/../gcore-run.sh" ctxgen "$out" '^ready ' 900 "$exe" -n "$n" -life 60m
if [ "$zst" = 1 ]; then
	zstd -3 -T0 -q -f "$out" -o "$out.zst"
	rm -f "$out"
	echo "ctxgen: $out.zst: $(stat -c %s "$out.zst") bytes" >&2
fi
