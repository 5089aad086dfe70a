#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Run a benchmark program from a scratch directory with a minimal
# environment, wait until it says it is ready, take its core with gdb's
# gcore, kill it and move the core to OUT. Shared by the scripts that make
# the benchmark cores (corpus/bench/gen-bench-core.sh, bench/ctxgen/gen-core.sh):
# none of the build machine's paths or variables reach the core.
#
# usage: bench/gcore-run.sh NAME OUT.core READY TIMEOUT [VAR=VALUE...] EXE [ARGS...]
#   NAME      prefix of the messages
#   READY     an extended regular expression; the program is ready once a
#             line of its stdout matches it (the line is echoed)
#   TIMEOUT   seconds to wait for it
#   VAR=VALUE the program's environment besides PATH and HOME
# Environment: DIG_HOLES=1 punches holes where the core's pages are zero
# (gcore writes every zero; the core's contents are unchanged).
set -euo pipefail

[ $# -ge 5 ] || { sed -n '2,16p' "$0"; exit 2; }
name=$1 out=$2 ready=$3 timeout=$4
shift 4
envs=()
while [ $# -gt 0 ] && [[ $1 == *=* ]]; do envs+=("$1"); shift; done
[ $# -ge 1 ] || { echo "$name: no program to run" >&2; exit 2; }

scratch=$(mktemp -d "${TMPDIR:-/tmp}/gocoroner-$name.XXXXXX")
pid=""
cleanup() {
	[ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null
	rm -rf "$scratch"
}
trap cleanup EXIT

start=$(date +%s)
(cd "$scratch" && ulimit -c 0 && exec env -i PATH=/usr/bin:/bin HOME=/nonexistent \
	${envs[@]+"${envs[@]}"} "$@" >stdout 2>stderr) &
pid=$!
until grep -qE "$ready" "$scratch/stdout" 2>/dev/null; do
	kill -0 "$pid" 2>/dev/null || { cat "$scratch/stderr" >&2; echo "$name: program died" >&2; exit 1; }
	[ $(($(date +%s) - start)) -lt "$timeout" ] || { echo "$name: not ready after $timeout s" >&2; exit 1; }
	sleep 0.2
done
sleep 1 # the last goroutines park
echo "$name: $(grep -E "$ready" "$scratch/stdout" | head -1) after $(($(date +%s) - start)) s; taking the core" >&2
gcore -o "$scratch/core" "$pid" >"$scratch/gcore.log" 2>&1 || { cat "$scratch/gcore.log" >&2; exit 1; }
kill -KILL "$pid"
wait "$pid" 2>/dev/null || true
pid=""
mv "$scratch/core.$(ls "$scratch" | sed -n 's/^core\.//p' | head -1)" "$out"
[ "${DIG_HOLES:-0}" = 1 ] && { fallocate --dig-holes "$out" 2>/dev/null || true; }
echo "$name: $out: $(stat -c %s "$out") bytes ($(du -k "$out" | cut -f1) KiB on disk)" >&2
