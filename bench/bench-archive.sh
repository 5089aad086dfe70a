#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# bench-archive.sh: how fast the archive commands answer on an archive of
# 200+ incidents (bench/gen-archive.sh makes it). Not a test: a benchmark.
# Each command runs RUNS times (default 7) after one warm-up; the median wall
# time is printed. Commands this gocoroner does not have (incidents,
# similar, diff come with the archive listing work) are reported as missing.
#
# usage: bench/bench-archive.sh [ARCHIVE.db] [RUNS]
#   (default /tmp/gocoroner-archive/archive.db, made if missing)
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
db=${1:-/tmp/gocoroner-archive/archive.db}
runs=${2:-7}
gocoroner=${GOCORONER:-$top/_build/gocoroner}
[ -f "$db" ] || "$top/bench/gen-archive.sh" "$db"
work=$(mktemp -d /tmp/gocoroner-bench-archive.XXXXXX)
trap 'rm -rf "$work"' EXIT

median() { # median LABEL COMMAND...: median wall time of RUNS runs, in ms
	label=$1
	shift
	if ! "$@" >"$work/out" 2>&1; then
		printf '%-44s failed: %s\n' "$label" "$(head -c 200 "$work/out" | tr '\n' ' ')"
		return 0
	fi
	i=0
	: >"$work/times"
	while [ $i -lt "$runs" ]; do
		t0=$(date +%s%N)
		"$@" >/dev/null 2>&1
		t1=$(date +%s%N)
		echo $(((t1 - t0) / 1000)) >>"$work/times"
		i=$((i + 1))
	done
	sort -n "$work/times" | awk -v label="$label" '{ t[NR] = $1 }
		END { printf "%-44s %8.1f ms (min %.1f, max %.1f)\n", label, t[int((NR + 1) / 2)] / 1000, t[1] / 1000, t[NR] / 1000 }'
}
has() { "$gocoroner" "$1" --help >/dev/null 2>&1; }

n=$(sqlite3 "$db" 'SELECT count(*) FROM incident')
size=$(stat -c %s "$db")
echo "$db: $n incidents, $size bytes ($((size / n)) per incident)"
newest=$(sqlite3 "$db" 'SELECT max(id) FROM incident')
# Two real incidents of the same program and release (a rebuild: debug vs opt).
a=$(sqlite3 "$db" "SELECT min(id) FROM incident WHERE core_path LIKE '%hang-go1.26-debug-kernel%'")
b=$(sqlite3 "$db" "SELECT min(id) FROM incident WHERE core_path LIKE '%hang-go1.26-opt-kernel%'")

median "query: incident list" "$gocoroner" query --db "$db" --format csv \
	"SELECT id, ingested_at, exe_path, exe_build_id, go_version, goroutine_count FROM incident ORDER BY id"
# Finding counts grouped once per view: a correlated count per incident
# (SELECT count(*) FROM view WHERE incident_id = i.id) evaluates the view
# again for every incident and is ten times slower.
median "query: incident list with finding counts" "$gocoroner" query --db "$db" --format csv \
	"SELECT i.id, i.go_version, i.goroutine_count, coalesce(u.n, 0) AS unobserved,
	  coalesce(l.n, 0) AS leaks, coalesce(c.n, 0) AS cycles, coalesce(b.n, 0) AS broken_links
	 FROM incident i
	 LEFT JOIN (SELECT incident_id, count(*) AS n FROM cancel_unobserved GROUP BY 1) u ON u.incident_id = i.id
	 LEFT JOIN (SELECT incident_id, count(*) AS n FROM leak_suspect GROUP BY 1) l ON l.incident_id = i.id
	 LEFT JOIN (SELECT incident_id, count(*) AS n FROM wait_cycle GROUP BY 1) c ON c.incident_id = i.id
	 LEFT JOIN (SELECT incident_id, count(*) AS n FROM cancel_broken_link GROUP BY 1) b ON b.incident_id = i.id
	 ORDER BY i.id"
median "query: goroutine_bucket of the newest" "$gocoroner" query --db "$db" --incident "$newest" --format csv goroutine_bucket
for cmd in incidents similar diff; do
	if ! has $cmd; then
		printf '%-44s missing in this gocoroner\n' "$cmd"
		continue
	fi
	case $cmd in
	incidents) median "incidents" "$gocoroner" incidents --db "$db" ;;
	similar) median "similar $newest" "$gocoroner" similar --db "$db" "$newest" ;;
	diff) median "diff $a $b" "$gocoroner" diff --db "$db" "$a" "$b" ;;
	esac
done

# forget / export / import of one incident, each on a fresh copy.
cp "$db" "$work/copy.db"
median "export $newest --to a new file" sh -c "rm -f '$work/one.db'*; exec '$gocoroner' export --db '$work/copy.db' $newest --to '$work/one.db'"
median "forget $newest (on a fresh copy)" sh -c "cp '$db' '$work/f.db'; rm -f '$work/f.db-'*; exec '$gocoroner' forget --db '$work/f.db' $newest"
median "  (the copy alone)" sh -c "cp '$db' '$work/f.db'; rm -f '$work/f.db-'*"
sqlite3 "$work/one.db" "UPDATE incident SET core_sha256 = substr(core_sha256, 1, 56) || 'ffffffff'"
median "import of 1 incident (on a fresh copy)" sh -c "cp '$db' '$work/f.db'; rm -f '$work/f.db-'*; exec '$gocoroner' import --db '$work/f.db' --from '$work/one.db'"
median "import of $n duplicates" "$gocoroner" import --db "$work/copy.db" --from "$db"
