#!/bin/sh
# bench-analyze.sh: time 'gocoroner analyze' on a core of 100,000 parked
# goroutines, next to Delve listing every goroutine's stack of the same core.
# Not a test: a benchmark, reported with /usr/bin/time (wall time, peak RSS).
#
# usage: bench/bench-analyze.sh [WORKDIR]   (default /tmp/gocoroner-bench)
# Needs: a built gocoroner in _build/, Go 1.27 and gdb for the core
# (corpus/bench/gen-bench-core.sh), and Delve (dlv) for the comparison.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
work=${1:-/tmp/gocoroner-bench}
mkdir -p "$work"
core=$work/bench.core
exe=$work/bench-go1.27-opt
[ -f "$core" ] || "$top/corpus/bench/gen-bench-core.sh" "$core" "$exe"
gocoroner=${GOCORONER:-$top/_build/gocoroner}

measure() { # measure LABEL COMMAND...: one run, its wall time and peak RSS
	label=$1
	shift
	/usr/bin/time -f "%e %M" -o "$work/time.txt" "$@" >"$work/out.txt" 2>&1 || true
	read -r secs kib <"$work/time.txt"
	printf '%-34s %8.2f s %8d MB\n' "$label" "$secs" $((kib / 1024))
}

rm -f "$work/bench.db"
measure "gocoroner analyze (new database)" "$gocoroner" analyze -q --db "$work/bench.db" --exe "$exe" "$core"
measure "gocoroner analyze (already stored)" "$gocoroner" analyze -q --db "$work/bench.db" --exe "$exe" "$core"
measure "gocoroner traceback" sh -c "'$gocoroner' traceback --db '$work/bench.db' >/dev/null"
if command -v dlv >/dev/null; then
	printf 'goroutines -t\nexit\n' >"$work/dlv.init"
	measure "dlv core ... goroutines -t" env TERM=dumb dlv core "$exe" "$core" \
		--check-go-version=false --allow-non-terminal-interactive=true \
		--init "$work/dlv.init"
fi
