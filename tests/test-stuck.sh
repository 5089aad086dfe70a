#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# test-stuck.sh: who is stuck behind whom, on the cores of the ctxroots
# program (corpus/README.md, "The ctxroots program"), against what the
# program itself printed. Its culprit holds a mutex no package variable
# reaches and blocks in IO wait on a canceled context it never watches; 100
# goroutines of an errgroup-like group wait for that mutex, one more for the
# group. So:
# - each "victim G culprit=C via=V" line is a stuck_behind row for G behind
#   C through V; the mutex victims wait on the "culprit C mutex=M" line's M;
# - stuck_behind has no row for a goroutine without a victim line;
# - cancel_unobserved reports the culprit C with its context (ctx=), and
#   none of its victims (they are not findings of their own);
# - report shows C's finding with all its victims stuck behind it, and its
#   summary counts them.
# One line per core and check, totals at the end. STUCK_CORES (manifest
# names) restricts the cores checked.
set -u
. "${TOP_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}/tests/corpus-lib.sh"
corpus_setup stuck

cores=${STUCK_CORES:-$(awk -F'\t' 'NR > 1 && $2 == "ctxroots" { print $1 }' "$corpus/manifest.tsv")}
[ -n "$cores" ] || { echo "no ctxroots cores in the manifest: skipped"; exit 77; }
db=$work/stuck.db

for name in $cores; do
	out=$corpus/$(col stdout "$name")
	rm -f "$db" "$db-wal" "$db-shm"
	analyze_core "$name" "$db" || { bad "$name: analyze failed: $(cat "$work/err")"; continue; }
	id=$(cat "$work/id")
	if ! "$bin" query --db "$db" --incident "$id" --format csv "
	SELECT 'stuck|' || goid || '|' || culprit_goid || '|' || via || '|' || printf('%#x', obj_addr)
	  FROM stuck_behind WHERE incident_id = ?1
	UNION ALL
	SELECT 'unobserved|' || goid || '|' || printf('%#x', ctx_addr)
	  FROM cancel_unobserved WHERE incident_id = ?1
	" >"$work/out" 2>"$work/err"; then
		bad "$name: query: $(cat "$work/err")"
		continue
	fi
	tail -n +2 "$work/out" | tr -d '\r"' >"$work/rows"
	"$bin" report --db "$db" --incident "$id" >"$work/report" 2>&1

	awk -v core="$name" -v rows="$work/rows" '
	function field(line, k,   n, a, i) {
		n = split(line, a, " ")
		for (i = 1; i <= n; i++) if (index(a[i], k "=") == 1) return substr(a[i], length(k) + 2)
		return ""
	}
	FILENAME == rows {
		split($0, r, "|")
		if (r[1] == "stuck") { sc[r[2]] = r[3]; sv[r[2]] = r[4]; so[r[2]] = r[5]; nstuck++ }
		if (r[1] == "unobserved") { un[r[2]] = r[3] }
		next
	}
	$1 == "culprit" { cg = $2; mutex = field($0, "mutex"); cctx = field($0, "ctx"); next }
	$1 == "victim" {
		g = $2; c = field($0, "culprit"); v = field($0, "via")
		victim[g] = 1; nv++
		if (!(g in sc)) { miss++; if (miss <= 5) print "FAIL - " core ": victim " g " (via " v ") not in stuck_behind"; next }
		if (sc[g] != c || sv[g] != v || (v == "mutex" && so[g] != mutex)) {
			wrong++
			if (wrong <= 5) print "FAIL - " core ": victim " g ": behind " sc[g] " via " sv[g] " on " so[g] ", want " c " via " v (v == "mutex" ? " on " mutex : "")
			next
		}
		met++
		if (g in un) { folded++; if (folded <= 5) print "FAIL - " core ": victim " g " is a cancel_unobserved finding of its own" }
	}
	END {
		for (g in sc) if (!(g in victim)) { extra++; if (extra <= 5) print "FAIL - " core ": goroutine " g " in stuck_behind (behind " sc[g] ") without a victim line" }
		if (cg == "") print "FAIL - " core ": no culprit line"
		else if (un[cg] != cctx) print "FAIL - " core ": culprit " cg " not reported by cancel_unobserved with ctx " cctx " (" (cg in un ? un[cg] : "not at all") ")"
		printf "summary %s: %d victim lines, %d met, %d missing, %d wrong, %d extra rows, %d victims reported on their own\n", core, nv, met, miss, wrong, extra, folded
		print "victims " nv
	}' "$work/rows" "$out" >"$work/verdict"
	grep -v '^victims ' "$work/verdict"
	nv=$(sed -n 's/^victims //p' "$work/verdict")
	cg=$(awk '$1 == "culprit" { print $2 }' "$out")
	# The report: the culprit's finding counts every victim behind it.
	# The culprit's block first: the one with the most victims.
	if [ "$(grep -m1 '^== ' "$work/report" | cut -d'[' -f1)" = "== CULPRIT goroutine $cg " ] &&
		grep -q "$nv goroutines stuck behind it" "$work/report" &&
		grep -q "^and $nv goroutines stuck behind the goroutines found" "$work/report"; then
		rep=1
	else
		rep=0
		echo "FAIL - $name: report lacks goroutine $cg's finding with $nv goroutines stuck behind it"
	fi
	# The largest group, the culprit's 100 victims on its mutex, by where
	# the user's code waits: the example's (smallest goid) first frame
	# outside runtime, internal/ and sync in Go's own traceback, with its
	# line; no runtime frame on the line.
	vg=$(awk '$1 == "victim" && / via=mutex/ { print $2 }' "$out" | sort -n | head -1)
	tb=$corpus/$(col traceback "$name")
	where=$(awk -v g="$vg" '
		/^goroutine / { on = ($2 == g) ; next }
		on && !/^\t/ && !/^created by/ && !done {
			f = $0; sub(/\([^(]*\)$/, "", f)
			if (f ~ /^(runtime\.|internal\/|sync\.)/) next
			want = 1; next
		}
		on && want && /^\t/ { sub(/^\t/, ""); sub(/ \+0x.*$/, ""); print f " (" $0 ")"; want = 0; done = 1 }' "$tb")
	line=$(grep -F "] $where" "$work/report" | head -1)
	if [ -z "$where" ] || [ -z "$line" ] || echo "$line" | grep -q "runtime\." ||
		[ "$(echo "$line" | awk '{ print $2 }')" != "$vg" ]; then
		rep=0
		echo "FAIL - $name: no group line of goroutine $vg at '$where' (Go's traceback):"
		sed -n '/^largest groups/,/^$/p' "$work/report" | head -4
	fi
	# The same first block in --format json, read with SQLite's JSON functions.
	"$bin" report --db "$db" --incident "$id" --format json >"$work/report.json" 2>&1
	js=$(sqlite3 :memory: "SELECT json_valid(j), json_extract(j, '\$.findings[0].label'),
		json_extract(j, '\$.findings[0].goid'), json_extract(j, '\$.findings[0].victims.count'),
		json_extract(j, '\$.counts.victims')
		FROM (SELECT CAST(readfile('$work/report.json') AS TEXT) AS j)" 2>&1)
	if [ "$js" != "1|CULPRIT|$cg|$nv|$nv" ]; then
		rep=0
		echo "FAIL - $name: report --format json's first finding: '$js', want '1|CULPRIT|$cg|$nv|$nv'"
	fi
	if [ "$rep" -eq 1 ] && ! grep -q '^FAIL' "$work/verdict" && [ "${nv:-0}" -ge 100 ]; then
		ok "$name: $nv victims behind culprit $cg, none a finding of its own"
	else
		bad "$name: checks unmet (see above)"
	fi
done

echo "# $pass cores passed, $fail failed"
[ "$fail" -eq 0 ]
