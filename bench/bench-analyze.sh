#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# bench-analyze.sh: 'gocoroner analyze' on the two benchmark cores, next to
# Delve listing the goroutines of the same core, in one sitting.
# Not a test: a benchmark, reported with /usr/bin/time (wall time, peak RSS,
# and the CPU time of analyze, which bounds its wall time on this machine).
#
#   bench   corpus/bench (Go 1.27, optimized): 100,000 parked goroutines
#   ctxgen  bench/ctxgen (Go 1.26, -gcflags=all=-N -l): 100,008 goroutines,
#           every frame holding its request's context
#
# usage: bench/bench-analyze.sh [WORKDIR]   (default /tmp/gocoroner-bench)
# Environment: CORES (default "bench ctxgen"), RUNS (analyze runs per core,
# default 3: the median is reported), ZST=1 (also analyze the core
# compressed with zstd -3), QUERIES=1 (also time report, graph and every
# query of the library on the database), DLV=0 (no Delve), QUIET=1 (time
# 'analyze -q', which prints the incident's id only, as this script did
# before issue 16's fourth step; by default the command a user runs, which
# also prints the summary and the findings), GOCORONER (default
# _build/gocoroner).
# Needs: Go 1.27 and 1.26 and gdb to make the cores (made once, kept in
# WORKDIR), Delve (dlv) for the comparison.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
work=${1:-/tmp/gocoroner-bench}
mkdir -p "$work"
gocoroner=${GOCORONER:-$top/_build/gocoroner}
runs=${RUNS:-3}
quiet=
[ "${QUIET:-0}" = 1 ] && quiet=-q
ncpu=$(nproc)

measure() { # measure COMMAND...: one run; sets secs, mb and cpu (user + system s)
	/usr/bin/time -f "%e %M %U %S" -o "$work/time.txt" "$@" >"$work/out.txt" 2>"$work/err.txt" || true
	read -r secs kib usr sys <"$work/time.txt"
	mb=$((kib / 1024))
	cpu=$(echo "$usr $sys" | awk '{ print $1 + $2 }')
}

median() { # median N...: the middle of the numbers given
	printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}

analyze_runs() { # analyze_runs LABEL EXE CORE: RUNS runs, each into a new database
	label=$1
	all= mems= cpus=
	for i in $(seq "$runs"); do
		rm -f "$work/a.db" "$work/a.db-wal" "$work/a.db-shm"
		measure "$gocoroner" analyze $quiet --timings --db "$work/a.db" --exe "$2" "$3"
		all="$all $secs"
		mems="$mems $mb"
		cpus="$cpus $cpu"
		cp "$work/err.txt" "$work/timings-$label.txt"
	done
	med=$(median $all)
	printf '%-34s %8.2f s %6d MB  (runs:%s s; peak MB:%s)\n' "gocoroner analyze $label" "$med" \
		"$(median $mems)" "$all" "$mems"
	printf '%-34s %8.1f MB\n' "  database" "$(stat -c %s "$work/a.db" | awk '{ print $1 / 1048576 }')"
	# What no schedule of that work on this machine's CPUs could go below.
	printf '%-34s %8.2f s  (on %d CPUs, no less than %.2f s of wall time)\n' \
		"  CPU, user + system" "$(median $cpus)" "$ncpu" \
		"$(echo "$(median $cpus) $ncpu" | awk '{ print $1 / $2 }')"
}

for name in ${CORES:-bench ctxgen}; do
	case $name in
	bench)
		core=$work/bench.core exe=$work/bench-go1.27-opt
		[ -f "$core" ] || "$top/corpus/bench/gen-bench-core.sh" "$core" "$exe"
		;;
	ctxgen)
		core=$work/ctxgen.core exe=$work/ctxgen-debug
		[ -f "$core" ] || "$top/bench/ctxgen/gen-core.sh" "$core" "$exe"
		;;
	*) echo "bench-analyze: no core named $name" >&2; exit 2 ;;
	esac
	echo "== $name: $(stat -L -c %s "$core") bytes"
	analyze_runs "$name" "$exe" "$core"
	gmed=$med
	sed 's/^/    /' "$work/timings-$name.txt"
	if [ "${DLV:-1}" = 1 ] && command -v dlv >/dev/null; then
		printf 'goroutines\nexit\n' >"$work/dlv.init"
		measure env TERM=dumb dlv core "$exe" "$core" --check-go-version=false \
			--allow-non-terminal-interactive=true --init "$work/dlv.init"
		printf '%-34s %8.2f s %6d MB  (%.1fx gocoroner)\n' "dlv core ... goroutines" "$secs" "$mb" \
			"$(echo "$secs $gmed" | awk '{ print $1 / $2 }')"
	fi
	if [ "${QUERIES:-0}" = 1 ]; then
		for q in report "graph --contexts" "graph --waits" contexts \
			$("$gocoroner" query --list | grep -E '^[a-z_]+$'); do
			case $q in report|graph*|contexts) cmd="$gocoroner $q --db $work/a.db" ;;
			*) cmd="$gocoroner query --db $work/a.db $q" ;; esac
			measure sh -c "$cmd >/dev/null"
			printf '    %-30s %6.2f s\n' "$q" "$secs"
		done
	fi
	if [ "${ZST:-0}" = 1 ]; then
		[ -f "$core.zst" ] || zstd -3 -T0 -q -f "$core" -o "$core.zst"
		echo "  $core.zst: $(stat -c %s "$core.zst") bytes"
		analyze_runs "$name.zst" "$exe" "$core.zst"
		printf '%-34s %8.2f\n' "  .zst / raw" "$(echo "$med $gmed" | awk '{ print $1 / $2 }')"
	fi
done
