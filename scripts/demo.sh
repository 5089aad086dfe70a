#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# demo.sh: the main job on the bundled corpus — install what is missing, build,
# analyze corpus cores into one archive and print what gocoroner found:
#   1. a Go 1.27 service hung in a dozen known ways (the 11-layer chain whose
#      conn layer ignores the canceled request among them): the report names
#      the goroutine, the frame and the context;
#   2. a program with planted leaks and deadlocks: leak suspects, wait cycles;
#   3. a net/http service's handlers stuck on canceled requests;
#   4. contexts no frame holds (a registry, a job queue, a sync.Map), and a
#      culprit holding a mutex: one finding, its 101 victims behind it;
#   5. the first service again, built with Go 1.21 in debug mode: the archive
#      recognizes the same hang.
# A corpus core name as argument replaces the first (see corpus/manifest.tsv).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
"$top/scripts/install-deps.sh"
"$top/scripts/build.sh"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
g="$top/_build/gocoroner"
db=$work/archive.db
col() { # col COLUMN CORE: a column of the corpus manifest
	awk -F'\t' -v want="$1" -v row="$2" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == want) c = i; next }
		$1 == row { print $c }' "$top/corpus/manifest.tsv"
}
ingest() { # ingest CORE: analyze a corpus core into the archive, quietly
	[ -n "$(col exe "$1")" ] || { echo "demo: no corpus core named $1 (see corpus/manifest.tsv)" >&2; exit 2; }
	zstd -q -d -f "$top/corpus/$(col exe "$1")" -o "$work/exe"
	chmod +x "$work/exe"
	"$g" analyze -q --db "$db" --exe "$work/exe" --captured-at "$(col captured_at "$1")" \
		"$top/corpus/$(col core "$1")"
}
first=${1:-hang-go1.27-opt-kernel}

echo "--- gocoroner analyze $(col core "$first") ---"
zstd -q -d -f "$top/corpus/$(col exe "$first")" -o "$work/exe"
# The capture time the corpus recorded: the checkout's files all have the
# time of the checkout.
"$g" analyze --db "$db" --exe "$work/exe" --captured-at "$(col captured_at "$first")" \
	"$top/corpus/$(col core "$first")"
echo
echo "--- gocoroner report: every finding, the culprits first ---"
"$g" report --db "$db" --incident 1
echo
echo "--- gocoroner contexts --goid: the deep chain's goroutine and its contexts ---"
deep=$("$g" query --db "$db" --incident 1 --format csv \
	"SELECT goid FROM cancel_unobserved WHERE incident_id = ?1 AND func = 'main.epoll'" | tail -n +2 | tr -d '\r')
[ -n "$deep" ] && "$g" contexts --db "$db" --goid "$deep"
echo
diag=$(ingest diag-go1.27-opt-kernel)
echo "--- gocoroner report --short, planted leaks and deadlocks (incident $diag) ---"
"$g" report --db "$db" --incident "$diag" --short
echo
"$g" query --db "$db" --incident "$diag" \
	"SELECT cycle_id, goid, waker_goid, printf('%#x', obj_addr) AS waits_on FROM wait_cycle WHERE incident_id = ?1"
echo
http=$(ingest httpsvc-go1.27-opt-gcore)
echo "--- a net/http service (incident $http): of its 1,218 goroutines, the handlers stuck on canceled requests ---"
"$g" query --db "$db" --incident "$http" \
	"SELECT goid, wait_reason, func, line, var_name, evidence FROM cancel_unobserved WHERE incident_id = ?1 ORDER BY goid"
"$g" query --db "$db" --incident "$http" \
	"SELECT goid, func, line, obj_kind, evidence FROM leak_suspect WHERE incident_id = ?1 ORDER BY goid"
echo
roots=$(ingest ctxroots-go1.27-opt-gcore)
echo "--- contexts kept outside any frame, and who is stuck behind whom (incident $roots) ---"
"$g" query --db "$db" --incident "$roots" \
	"SELECT found_in, found_at, count(*) AS contexts FROM context
	  WHERE incident_id = ?1 AND found_in IN ('global', 'chan buffer', 'map', 'heap')
	  GROUP BY 1, 2 ORDER BY 3 DESC"
"$g" report --db "$db" --incident "$roots" | awk '/^== CULPRIT/ { p = 1 } p && /^$/ { exit } p'
echo
again=$(ingest hang-go1.21-debug-gcore)
echo "--- gocoroner incidents, and similar $again: the same hang, rebuilt ---"
"$g" incidents --db "$db"
echo
"$g" similar --db "$db" "$again"
