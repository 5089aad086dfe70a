#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# test-findings.sh: the query library on corpus cores against what each
# corpus program printed about its own contexts (corpus/README.md,
# "Contexts"): cancel_unobserved must name exactly the goroutines whose
# ctxheld lines hold a context the program saw canceled (canceled=1), at the
# innermost holding frame (the deep chain: main.epoll) with the context and
# the ancestor where cancellation started; cancel_detached the without-cancel
# context (Go 1.21+); cancel_broken_link the detached-child context below the
# user type main.detachedCtx; on every hang core. Then 'report' and
# '--fail-on-findings'.
# Expectations come from the program's stdout, never from gocoroner.
set -u
. "${TOP_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}/tests/corpus-lib.sh"
corpus_setup findings

# expected STDOUT: "goid func ctx origin" for every goroutine holding a
# context the program saw canceled: its innermost (last, lines are in call
# order) such holding, and the outermost canceled ancestor of that context.
expected() {
	awk '
	function field(k,   i) { for (i = 3; i <= NF; i++) if (index($i, k "=") == 1) return substr($i, length(k) + 2); return "" }
	$1 == "ctx" { a = field("addr"); parent[a] = field("parent"); canceled[a] = field("canceled"); addr[$2] = a }
	$1 == "ctxheld" { n++; hg[n] = field("goid"); hname[n] = $2; hctx[n] = field("ctx"); hfunc[n] = field("func") }
	END {
		for (i = 1; i <= n; i++) {
			if (canceled[addr[hname[i]]] != "1") continue
			c = hctx[i]; o = c
			for (s = 0; s < 100 && parent[o] != "" && canceled[parent[o]] == "1"; s++) o = parent[o]
			last[hg[i]] = hfunc[i] " " c " " o
		}
		for (g in last) print g, last[g]
	}' "$1" | sort -n
}

ctxaddr() { # ctxaddr STDOUT NAME
	awk -v n="$2" '$1 == "ctx" && $2 == n { sub(/^addr=/, "", $3); print $3 }' "$1"
}

db=$work/findings.db
# Every core of the hang program, each release and mode (not the hand-made
# sigrunning core, whose deep goroutine is on a CPU); FINDINGS_CORES
# (manifest names) overrides. Not the split and stripped variants: a split
# executable needs its debug file, and a stripped one has no contexts to find.
all=$(awk -F'\t' 'NR > 1 && $2 == "hang" && $1 ~ /-(gcore|kernel)$/ && $16 !~ /variant:(split|stripped)/ { print $1 }' "$corpus/manifest.tsv")
for name in ${FINDINGS_CORES:-$all}; do
	out=$corpus/$(col stdout "$name")
	exe=$work/$name.exe
	zstd -q -d -f "$corpus/$(col exe "$name")" -o "$exe" || { bad "$name: decompress"; continue; }
	if ! "$bin" analyze -q --db "$db" --exe "$exe" "$corpus/$(col core "$name")" >"$work/id" 2>"$work/err"; then
		bad "$name: analyze failed: $(cat "$work/err")"
		continue
	fi
	id=$(cat "$work/id")
	q() { "$bin" query --db "$db" --incident "$id" --format csv "$1" | tail -n +2 | tr -d '\r'; }

	# cancel_unobserved: the goroutines the program announced, exactly.
	expected "$out" >"$work/expected"
	q "SELECT goid, func, printf('%#x', ctx_addr), printf('%#x', canceled_addr)
	     FROM cancel_unobserved WHERE incident_id = ?1 ORDER BY goid" | tr ',' ' ' >"$work/ours.all"
	# Goroutines the program announces no holding for are not part of the
	# expectation. main (goroutine 1) kept deepCtx, the deep chain's
	# canceled context, in a local (main.go: deepCtx, cancel :=
	# context.WithCancel(base)), last used by `go handler(deepCtx, 1)`: at
	# its `<-mainBlock` the slot is dead by the stack maps, debug builds
	# included, and must not be followed (gocoroner once reported it).
	held=$(awk '$1 == "ctxheld" { for (i = 3; i <= NF; i++) if ($i ~ /^goid=/) print substr($i, 6) }' "$out" | sort -u)
	: >"$work/ours"
	extra=
	while read -r g rest; do
		if echo "$held" | grep -qx "$g"; then
			echo "$g $rest" >>"$work/ours"
		else
			extra="$extra $g:$rest"
		fi
	done <"$work/ours.all"
	deep=$(ctxaddr "$out" deep-cancel)
	n=$(wc -l <"$work/expected")
	if [ "$n" -ge 4 ] && cmp -s "$work/expected" "$work/ours"; then
		ok "$name: cancel_unobserved names the $n goroutines holding a canceled context, innermost frame, context, origin"
	else
		bad "$name: cancel_unobserved differs from the program's account (expected < > ours):"
		diff "$work/expected" "$work/ours" | head -10
	fi
	case $extra in
	'') ok "$name: no other goroutine reported (not main's dead deepCtx)" ;;
	*) bad "$name: goroutines reported beyond the program's account:$extra" ;;
	esac
	nl=$(q "SELECT goid || ':' || COALESCE(evidence, 'NULL') FROM cancel_unobserved
	        WHERE incident_id = ?1 AND COALESCE(evidence, '') NOT LIKE '%-live'" | tr '\n' ' ')
	[ -z "$nl" ] && ok "$name: every cancel_unobserved row rests on a live holding" ||
		bad "$name: cancel_unobserved rows without a live holding: $nl"
	grep -q "^[0-9]* main.epoll " "$work/expected" && grep -q "main.epoll $(ctxaddr "$out" deep-conn) $deep\$" "$work/ours" &&
		ok "$name: the deep chain at main.epoll with deep-conn, canceled at deep-cancel" ||
		bad "$name: the deep chain is not reported at main.epoll"

	# cancel_detached: without-cancel under its canceled parent (Go 1.21+).
	wc=$(ctxaddr "$out" without-cancel)
	# (Holders: the program's must be there; a stack scan may add a stale slot.)
	q "SELECT printf('%#x %#x', ctx_addr, canceled_addr) || '|'
	          || ' ' || replace(COALESCE(holder_goids, ''), ',', ' ') || ' ' AS detached
	     FROM cancel_detached WHERE incident_id = ?1" >"$work/detached"
	if [ -n "$wc" ]; then
		wg=$(awk '$1 == "ctxheld" && $2 == "without-cancel" { sub(/^goid=/, "", $3); print $3 }' "$out")
		want="$wc $(ctxaddr "$out" without-cancel-parent)"
		[ "$(wc -l <"$work/detached")" -eq 1 ] && [ "$(cut -d'|' -f1 "$work/detached")" = "$want" ] &&
			cut -d'|' -f2 "$work/detached" | grep -q " $wg " &&
			ok "$name: cancel_detached is without-cancel, held by $wg" ||
			bad "$name: cancel_detached is '$(cat "$work/detached")', not '$want' held by $wg"
	else
		[ ! -s "$work/detached" ] && ok "$name: no WithoutCancel before Go 1.21, none detached" ||
			bad "$name: cancel_detached reports '$(cat "$work/detached")' on a release without WithoutCancel"
	fi

	# cancel_broken_link: detached-child, broken at main.detachedCtx; the
	# watcher goroutine waits on its Done channel, ctxDetachedWaiter holds it.
	dg=$(awk '$1 == "ctxheld" && $2 == "detached-child" { sub(/^goid=/, "", $3); print $3 }' "$out")
	wg=$(awk '$1 == "ctxwatcher" && $2 == "detached-child" { sub(/^goid=/, "", $3); print $3 }' "$out")
	want="$(ctxaddr "$out" detached-child) $(ctxaddr "$out" detached) $(ctxaddr "$out" detached-parent) user-type"
	q "SELECT printf('%#x %#x %#x %s|', ctx_addr, break_addr, canceled_addr, reason)
	          || ' ' || replace(COALESCE(waiter_goids, ''), ',', ' ') || ' |'
	          || ' ' || replace(COALESCE(holder_goids, ''), ',', ' ') || ' ' AS link
	     FROM cancel_broken_link WHERE incident_id = ?1" >"$work/broken"
	if [ "$(wc -l <"$work/broken")" -eq 1 ] && [ "$(cut -d'|' -f1 "$work/broken")" = "$want" ] &&
		cut -d'|' -f3 "$work/broken" | grep -q " $dg "; then
		ok "$name: cancel_broken_link is detached-child below main.detachedCtx, held by $dg"
	else
		bad "$name: cancel_broken_link is '$(cat "$work/broken")', not '$want' held by $dg"
	fi
	cut -d'|' -f2 "$work/broken" | grep -q " $wg " &&
		ok "$name: the context package's watcher $wg waits on the broken link's Done channel" ||
		bad "$name: watcher $wg not among the broken link's waiters: $(cat "$work/broken")"

	# report: the deep goroutine's block first (the deepest context chain),
	# with its frame, its own context and where that was canceled; exit
	# status.
	"$bin" report --db "$db" --incident "$id" >"$work/report" 2>&1
	g19=$(awk '$2 == "main.epoll" { print $1 }' "$work/expected")
	want=$(awk '$2 == "main.epoll" { print $3, $4 }' "$work/expected")
	awk '/^== / { n++ } n == 1' "$work/report" >"$work/first"
	if grep -q "^== CULPRIT goroutine $g19 \[" "$work/first" && grep -q "^  at main.epoll (" "$work/first" &&
		[ "$(awk '$1 == "context" { c = $2 } /<- canceled here$/ { o = $2 } END { print c, o }' \
			"$work/first")" = "$want" ]; then
		ok "$name: report shows goroutine $g19 first, its frame, its context and where it was canceled"
	else
		bad "$name: report's first block is not the deep goroutine $g19's (context and origin $want):"
		head -8 "$work/first"
	fi
	# Lines a person reads: at most 100 characters but for a path.
	long=$(awk 'length > 100 && !/^  path: /' "$work/report")
	[ -z "$long" ] && ok "$name: report lines fit in 100 characters" ||
		{ bad "$name: report lines over 100 characters:"; echo "$long" | head -3; }
	# Every CULPRIT block shows its example goroutine's own context, and
	# the place that context was canceled at (the program's own record).
	awk -v want="$work/expected" '
	BEGIN { while ((getline l < want) > 0) { split(l, a, " "); ctx[a[1]] = a[3]; org[a[1]] = a[4] } }
	/^== / { if (g != "") check(); g = ""; c = ""; o = "" }
	/^== CULPRIT goroutine / { g = $4 }
	g != "" && $1 == "context" { c = $2 }
	g != "" && /<- canceled here$/ { o = $2 }
	function check() {
		if (!(g in ctx)) return
		if (c != ctx[g] || o != org[g]) { print "goroutine " g ": context " c " canceled at " o ", want " ctx[g] " at " org[g]; bad++ }
		n++
	}
	END { if (g != "") check(); print n + 0 " blocks, " bad + 0 " wrong" }' "$work/report" >"$work/blocks"
	grep -q "^[1-9][0-9]* blocks, 0 wrong$" "$work/blocks" &&
		ok "$name: each culprit block's context is its example goroutine's ($(tail -1 "$work/blocks"))" ||
		{ bad "$name: culprit blocks:"; cat "$work/blocks"; }
	summary_rows_agree "$name" "$db" "$id"
	"$bin" report --db "$db" --incident "$id" --short --fail-on-findings >/dev/null
	[ $? -eq 3 ] && ok "$name: report --fail-on-findings exits 3" || bad "$name: report --fail-on-findings did not exit 3"
done

# analyze ends with the short report; --fail-on-findings exits 3 (the last
# core again: the same incident, reported again).
"$bin" analyze --db "$db" --exe "$exe" --fail-on-findings "$corpus/$(col core "$name")" >"$work/analyze" 2>&1
st=$?
n=$(wc -l <"$work/expected")
[ $st -eq 3 ] && grep -Eq "^findings: $n goroutines blocked holding a canceled context|^findings: $((n + 1)) goroutines" "$work/analyze" &&
	ok "analyze --fail-on-findings: short report and exit 3" ||
	bad "analyze --fail-on-findings: exit $st, $(grep findings "$work/analyze")"
# Where to go next is said by analyze, as commands to run: the report (which
# does not say it again) and the diagnostics, which that command lists, as
# many as analyze counted (the diagnostic table, read by hand).
ndiag=$(sqlite3 "$db" "SELECT count(*) FROM diagnostic WHERE incident_id = $id")
"$bin" query --db "$db" --incident "$id" --format csv diagnostics >"$work/diags" 2>&1
if grep -qx "details: gocoroner report --incident $id" "$work/analyze" &&
	! grep -q "^details:" "$work/report" &&
	grep -q "^$ndiag diagnostics* (.*): gocoroner query --incident $id diagnostics$" "$work/analyze" &&
	[ "$(tail -n +2 "$work/diags" | wc -l)" -eq "$ndiag" ]; then
	ok "analyze names the report and the $ndiag diagnostics as commands; the report does not"
else
	bad "analyze's next steps: $(grep -E "^details|diagnostic" "$work/analyze"); report: $(grep -c "^details" "$work/report")"
fi

# An incident without findings exits 0 with --fail-on-findings: the database
# of the first core with its contexts removed by hand.
cp "$db" "$work/clean.db"
sqlite3 "$work/clean.db" "DELETE FROM context; DELETE FROM goroutine_context;" 2>/dev/null &&
	{ "$bin" report --db "$work/clean.db" --incident 1 --fail-on-findings >/dev/null
	  [ $? -eq 0 ] && ok "no findings: --fail-on-findings exits 0" || bad "no findings: --fail-on-findings did not exit 0"; }

# The views are in the database itself: plain sqlite3 runs them.
n=$(sqlite3 "$db" "SELECT count(*) FROM cancel_broken_link" 2>&1)
[ "$n" = "$(sqlite3 "$db" "SELECT count(*) FROM incident")" ] && ok "sqlite3 runs the views stored in the database" || bad "sqlite3 on cancel_broken_link: $n"

# query: --list names every public view, bad names and formats are refused.
"$bin" query --list >"$work/list"
missing=
for f in "$top"/queries/[a-z]*.sql; do
	v=$(basename "$f" .sql)
	grep -qx "$v" "$work/list" || missing="$missing $v"
done
[ -z "$missing" ] && ok "query --list names every query" || bad "query --list misses:$missing"
"$bin" query --db "$db" no_such_query >/dev/null 2>"$work/err"
[ $? -eq 1 ] && grep -q "no query named 'no_such_query'" "$work/err" && ok "query refuses an unknown name" ||
	bad "query no_such_query: $(cat "$work/err")"
"$bin" query --db "$db" --format xml long_wait >/dev/null 2>&1
[ $? -eq 2 ] && ok "query refuses an unknown format" || bad "query --format xml did not exit 2"
"$bin" query --db "$db" --format json "SELECT 1 AS a, NULL AS b, 'x\"y' AS c" >"$work/json"
[ "$(tr -d ' \n' <"$work/json")" = '[{"a":1,"b":null,"c":"x\"y"}]' ] && ok "query --format json" ||
	bad "query --format json gave $(cat "$work/json")"

# graph: the broken link and the canceled contexts are marked.
"$bin" graph --db "$db" --contexts >"$work/dot"
grep -q 'xlabel="broken link"' "$work/dot" && grep -q 'CANCELED' "$work/dot" && grep -q '^digraph contexts {' "$work/dot" &&
	ok "graph --contexts marks canceled contexts and the broken link" || bad "graph --contexts lacks its marks"
"$bin" graph --db "$db" --waits | grep -q '^digraph waits {' && ok "graph --waits is DOT" || bad "graph --waits"

# graph --waits on a core of the diag program, whose stdout names its two
# planted wait cycles: --goid draws one cycle's two objects, bold; --limit
# bounds the objects drawn and says so; bad numbers are refused.
dname=$(awk -F'\t' '$2 == "diag" && $3 ~ /^go1\.27/ && $4 == "opt" && $5 == "gcore" { print $1; exit }' "$corpus/manifest.tsv")
if [ -n "$dname" ] && analyze_core "$dname" "$work/diag.db"; then
	dout=$corpus/$(col stdout "$dname")
	ga=$(awk '$1 == "scenario" && $2 == "cycle-chan-a" { sub(/^goid=/, "", $3); print $3 }' "$dout")
	gb=$(awk '$1 == "scenario" && $2 == "cycle-chan-b" { sub(/^goid=/, "", $3); print $3 }' "$dout")
	"$bin" graph --db "$work/diag.db" --waits --goid "$ga" >"$work/dot"
	[ "$(grep -c 'shape=ellipse' "$work/dot")" -eq 2 ] && grep -q "goroutine $ga" "$work/dot" &&
		grep -q "goroutine $gb" "$work/dot" && grep -q 'penwidth=3' "$work/dot" &&
		ok "graph --waits --goid $ga: the cycle with $gb, its two channels, bold" ||
		bad "graph --waits --goid $ga: $(tr '\n' ' ' <"$work/dot")"
	"$bin" graph --db "$work/diag.db" --waits --limit 1 >"$work/dot"
	[ "$(grep -c 'shape=ellipse' "$work/dot")" -eq 1 ] && grep -q 'most waited-on objects' "$work/dot" &&
		ok "graph --waits --limit 1 draws one object and says what it left out" ||
		bad "graph --waits --limit 1: $(grep -c 'shape=ellipse' "$work/dot") objects"
	"$bin" graph --db "$work/diag.db" --waits --goid 999999 >/dev/null 2>"$work/err"
	[ $? -eq 1 ] && grep -q "goroutine 999999 waits on no channel" "$work/err" &&
		ok "graph --waits --goid of no waiting goroutine: a clear error" ||
		bad "graph --goid 999999: $(cat "$work/err")"
	"$bin" graph --db "$work/diag.db" --waits --limit x >/dev/null 2>"$work/err"
	[ $? -eq 2 ] && grep -q -- "--limit takes a whole number" "$work/err" && ok "graph --limit x is refused" ||
		bad "graph --limit x: $(cat "$work/err")"
else
	bad "no diag Go 1.27 core for graph --waits"
fi

if command -v dot >/dev/null; then
	"$bin" graph --db "$db" --contexts --svg | grep -q '<svg' && ok "graph --svg renders through dot" ||
		bad "graph --svg gave no SVG"
else
	"$bin" graph --db "$db" --contexts --svg >/dev/null 2>"$work/err"
	[ $? -eq 1 ] && grep -q "needs Graphviz" "$work/err" && ok "graph --svg without dot: a clear error" ||
		bad "graph --svg without dot: $(cat "$work/err")"
fi

echo "# $pass passed, $fail failed"
[ "$fail" -eq 0 ]
