#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# test-contexts-cli.sh: 'contexts' and 'graph --contexts' as a person and a
# script read them, on two corpus cores, against what the programs printed
# about their own contexts (corpus/README.md):
# - ctxroots (Go 1.27): every "ctx ADDR kind=K parent=P state=S" line; with
#   --canceled a context is shown exactly when it is a canceled cancel or
#   timer context, under one, or above one (by the parents the program
#   printed), and a cancel/timer one is marked CANCELED exactly when the
#   program says canceled; the culprit's context lists three holders and
#   counts the rest (the culprit and its 100 victims); --goid of the
#   detached holder shows its chain and no other goroutine;
# - httpsvc (Go 1.27): the default output is short and folds the
#   connections' like contexts (held in net/http's (*conn).serve), --all shows one local-addr context per
#   connection the program counted (conns idle= active= closed=); for each
#   "expect cancel_unobserved" goroutine, --goid shows its context and the
#   canceled ancestor and no other goroutine, --canceled marks that ancestor;
#   --format json parses and accounts for every context;
# - graph --contexts folds the connections and keeps each stuck handler's
#   box on the context the program printed; --all, --limit, --goid,
#   --canceled; graph --waits names the handler's function (func=); every
#   graph renders with dot -Tsvg when Graphviz is installed;
# - bad arguments name the option, exit status 2.
set -u
. "${TOP_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}/tests/corpus-lib.sh"
corpus_setup contexts-cli

# A context's holders or place go on the next line when the line would be
# too long: joined back here, one context a line.
ctx() {
	"$bin" contexts "$@" | awk '/^ *(<-|\(in )/ { sub(/^ */, ""); prev = prev "  " $0; next }
		{ if (NR > 1) print prev; prev = $0 } END { if (NR) print prev }'
}

# --- ctxroots ---------------------------------------------------------------
name=ctxroots-go1.27-opt-gcore
db=$work/ctxroots.db
out=$corpus/$(col stdout "$name")
if [ -z "$(col core "$name")" ]; then
	echo "no $name in the manifest: skipped"
	exit 77
fi
if analyze_core "$name" "$db"; then
	ctx --db "$db" --canceled --all --all-holders >"$work/canceled.txt" 2>&1
	# Which of the program's contexts --canceled must show, and which it
	# must mark CANCELED: "ADDR show canceled" lines, from the program's own
	# parents and states.
	awk '$1 == "ctx" {
		a = $2; sub("kind=", "", $3); sub("parent=", "", $4); sub("state=", "", $5)
		kind[a] = $3; parent[a] = $4; state[a] = $5; n++; order[n] = a
	}
	END {
		for (i = 1; i <= n; i++) {
			a = order[i]
			c[a] = (kind[a] == "cancel" || kind[a] == "timer") && state[a] == "canceled"
		}
		for (i = 1; i <= n; i++) {
			a = order[i]
			if (!c[a])
				continue
			show[a] = 1
			for (p = parent[a]; p in kind; p = parent[p])
				show[p] = 1
			for (j = 1; j <= n; j++)   # under a canceled one: some ancestor is a
				for (p = parent[order[j]]; p in kind; p = parent[p])
					if (p == a)
						show[order[j]] = 1
		}
		for (i = 1; i <= n; i++) {
			a = order[i]
			print a, (a in show) ? 1 : 0, c[a] ? 1 : (kind[a] == "cancel" || kind[a] == "timer") ? 0 : "-"
		}
	}' "$out" >"$work/want"
	awk '{ print $1, ($0 ~ /  CANCELED/) ? 1 : 0 }' "$work/canceled.txt" >"$work/got"
	wrong=$(awk 'NR == FNR { got[$1] = $2; next }
		{ shown = ($1 in got) }
		shown != $2 || (shown && $3 != "-" && got[$1] != $3) { print $0 " got " (shown ? got[$1] : "absent") }' \
		"$work/got" "$work/want")
	ncanceled=$(awk '$3 == 1' "$work/want" | wc -l)
	[ -z "$wrong" ] && [ "$ncanceled" -gt 20 ] &&
		ok "$name: --canceled shows the $ncanceled canceled contexts the program printed, their paths and what is under them" ||
		bad "$name: --canceled (ADDR want-shown want-canceled): $(echo "$wrong" | head -5)"

	victims=$(grep -c '^scenario victim-' "$out")
	culprit=$(awk '$1 == "ctx" && /scenario=culprit/ { print $2 }' "$out")
	ctx --db "$db" >"$work/default.txt" 2>&1
	line=$(grep "^ *$culprit " "$work/default.txt")
	more=$((victims + 1 - 3))
	echo "$line" | grep -q "goroutine [0-9]*.*, goroutine [0-9]*.*, goroutine [0-9]*.*, and $more more\$" &&
		grep -q -- '--holders N or --all-holders' "$work/default.txt" &&
		ok "$name: the culprit's context lists 3 holders and 'and $more more' (1 + $victims victims)" ||
		bad "$name: culprit's holders: $line"
	line=$(grep "^ *$culprit " "$work/canceled.txt")
	missing=$(grep '^scenario victim-' "$out" | sed 's/.*goid=//' | while read -r g; do
		echo "$line" | grep -q "goroutine $g[ ,(]\|goroutine $g\$" || echo "$g"; done)
	[ -z "$missing" ] && ok "$name: --all-holders lists all $victims victims" ||
		bad "$name: --all-holders misses goroutines $(echo $missing | head -c 200)"

	read -r wc child holder <<EOF
$(awk '$1 == "detached" { sub("child=", "", $3); sub("holder=", "", $4); print $2, $3, $4 }' "$out")
EOF
	ctx --db "$db" --goid "$holder" >"$work/goid.txt" 2>&1
	others=$(grep -o 'goroutine [0-9]*' "$work/goid.txt" | grep -v "goroutine $holder\$")
	grep -q "^ *$child " "$work/goid.txt" && grep -q "^ *$wc " "$work/goid.txt" && [ -z "$others" ] &&
		[ "$(wc -l <"$work/goid.txt")" -eq 4 ] &&
		ok "$name: --goid $holder shows its chain (4 contexts) and no other holder" ||
		bad "$name: --goid $holder: $(cat "$work/goid.txt")"

	ctx --db "$db" --depth 2 >"$work/depth.txt" 2>&1
	! grep -q '^    [^ .]' "$work/depth.txt" && grep -q '^    \.\.\. [0-9,]* contexts\? below, cut by --depth' "$work/depth.txt" &&
		grep -q -- '-- [0-9,]* contexts below depth 2 not shown' "$work/depth.txt" &&
		ok "$name: --depth 2 prints two levels and says what it cut" ||
		bad "$name: --depth 2: $(head -5 "$work/depth.txt")"
else
	bad "$name: analyze failed: $(cat "$work/err")"
fi

# --- httpsvc ----------------------------------------------------------------
name=httpsvc-go1.27-opt-gcore
db=$work/httpsvc.db
out=$corpus/$(col stdout "$name")
if analyze_core "$name" "$db"; then
	ctx --db "$db" >"$work/default.txt" 2>&1
	ctx --db "$db" --all >"$work/all.txt" 2>&1
	conns=$(awk '$1 == "conns" { n = 0; for (i = 2; i <= NF; i++) { split($i, kv, "="); if (kv[1] != "items") n += kv[2] }; print n }' "$out")
	nconn=$(grep -c 'http.LocalAddrContextKey=' "$work/all.txt")
	lines=$(wc -l <"$work/default.txt")
	[ "$nconn" -eq "$conns" ] && [ "$lines" -lt 60 ] && grep -q '\.\.\. [0-9,]* more like this (value ' "$work/default.txt" &&
		grep -q -- '--all shows them' "$work/default.txt" &&
		ok "$name: $lines lines by default, like connections folded; --all shows the $conns connections" ||
		bad "$name: default $lines lines, --all $nconn connections of $conns"
	# Each connection's context is held by its net/http.(*conn).serve goroutine.
	grep -A1 'more like this (value http.LocalAddrContextKey)' "$work/default.txt" |
		grep -q '^ *held in net/http\.(\*conn)\.serve ([0-9,]*)' &&
		ok "$name: folded connections say which function holds them" ||
		bad "$name: no 'held in net/http.(*conn).serve' under the folded connections"
	# The folded lines account for every context --all prints.
	folded=$(sed -n 's/^ *\.\.\. [0-9,]* more like this ([^)]*): \([0-9,]*\) contexts\{0,1\}.*/\1/p' "$work/default.txt" |
		tr -d , | awk '{ s += $1 } END { print s + 0 }')
	shown=$(grep -c '^ *0x' "$work/default.txt")
	[ $((folded + shown)) -eq "$(grep -c '^ *0x' "$work/all.txt")" ] &&
		ok "$name: shown ($shown) and folded ($folded) contexts add up to --all's" ||
		bad "$name: shown $shown + folded $folded != $(grep -c '^ *0x' "$work/all.txt")"

	ctx --db "$db" --limit 5 >"$work/l5.txt" 2>&1
	total=$(grep -c '^ *0x' "$work/all.txt")
	[ "$(grep -c '^ *0x' "$work/l5.txt")" -eq 5 ] &&
		grep -q -- "^-- stopped after 5 of $(echo "$total" | sed ':a;s/\B[0-9]\{3\}\>/,&/;ta') contexts; --limit" "$work/l5.txt" &&
		ok "$name: --limit 5 prints 5 contexts and says how many there are" ||
		bad "$name: --limit 5: $(tail -3 "$work/l5.txt")"

	grep '^expect cancel_unobserved' "$out" >"$work/expect"
	while read -r _ _ label goid _ ctx canceled _; do
		goid=${goid#goid=} ctx=${ctx#ctx=} canceled=${canceled#canceled=}
		ctx --db "$db" --goid "$goid" >"$work/goid.txt" 2>&1
		others=$(grep -o 'goroutine [0-9]*' "$work/goid.txt" | grep -v "goroutine $goid\$")
		grep -q "^ *$ctx .*<- goroutine $goid" "$work/goid.txt" && grep -q "^ *$canceled .* CANCELED" "$work/goid.txt" &&
			[ -z "$others" ] &&
			ok "$name: --goid $goid ($label) shows its context under the canceled $canceled, no other holder" ||
			bad "$name: --goid $goid ($label): $(head -c 400 "$work/goid.txt")"
		ctx --db "$db" --canceled --all >"$work/c.txt" 2>&1
		grep -q "^ *$canceled .* CANCELED" "$work/c.txt" && grep -q "^ *$ctx " "$work/c.txt" ||
			bad "$name: --canceled lacks $label's $canceled or $ctx"
	done <"$work/expect"

	# graph --contexts: like connections folded into one node each, every
	# stuck handler's box on its context; --all draws every context.
	"$bin" graph --db "$db" --contexts >"$work/g.dot" 2>"$work/g.err"
	nodes=$(grep -c '^  c[0-9a-f]* \[label=' "$work/g.dot")
	missing=$(while read -r _ _ label goid _ ctx _; do
		goid=${goid#goid=} ctx=${ctx#ctx=}
		grep -q "^  g$goid -> c${ctx#0x} \[color=red" "$work/g.dot" || echo "$label"; done <"$work/expect")
	[ "$nodes" -lt 60 ] && [ -z "$missing" ] && grep -q 'more like this' "$work/g.dot" &&
		grep -q -- '--all draws each' "$work/g.err" &&
		ok "$name: graph --contexts: $nodes nodes, like ones folded, each stuck handler's box on its context" ||
		bad "$name: graph --contexts: $nodes nodes, missing boxes: $missing; $(cat "$work/g.err")"
	"$bin" graph --db "$db" --contexts --all >"$work/gall.dot" 2>"$work/g.err"
	[ "$(grep -c '^  c[0-9a-f]* \[label=' "$work/gall.dot")" -eq "$(grep -c '^ *0x' "$work/all.txt")" ] && [ ! -s "$work/g.err" ] &&
		ok "$name: graph --contexts --all draws every context, silently" ||
		bad "$name: graph --contexts --all: $(grep -c '^  c[0-9a-f]* \[label=' "$work/gall.dot") nodes; $(cat "$work/g.err")"
	"$bin" graph --db "$db" --contexts --limit 5 >"$work/g5.dot" 2>"$work/g.err"
	[ "$(grep -c '^  c[0-9a-f]* \[label=' "$work/g5.dot")" -eq 5 ] && grep -q 'drew 5 of .*--limit' "$work/g.err" &&
		ok "$name: graph --contexts --limit 5 draws 5 and says so on stderr" ||
		bad "$name: graph --contexts --limit 5: $(cat "$work/g.err")"
	read -r _ _ label goid func ctx canceled _ <"$work/expect"
	goid=${goid#goid=} func=${func#func=} ctx=${ctx#ctx=} canceled=${canceled#canceled=}
	"$bin" graph --db "$db" --contexts --goid "$goid" >"$work/gg.dot" 2>"$work/g.err"
	grep -q "^  c${ctx#0x} \[" "$work/gg.dot" && grep -q "^  c${canceled#0x} \[.*CANCELED" "$work/gg.dot" &&
		[ "$(grep -c '^  g[0-9]* \[' "$work/gg.dot")" -eq 1 ] && grep -q "^  g$goid \[" "$work/gg.dot" &&
		ok "$name: graph --contexts --goid $goid ($label): its chain, its box only" ||
		bad "$name: graph --contexts --goid $goid: $(tr '\n' ' ' <"$work/gg.dot" | head -c 400)"
	"$bin" graph --db "$db" --contexts --canceled >"$work/gc.dot" 2>"$work/g.err"
	missing=$(while read -r _ _ label _ _ _ canceled _; do canceled=${canceled#canceled=}
		grep -q "^  c${canceled#0x} \[.*CANCELED" "$work/gc.dot" || echo "$label"; done <"$work/expect")
	[ -z "$missing" ] && ! grep -q 'LocalAddrContextKey.*+ 28[0-9] more' "$work/gc.dot" &&
		ok "$name: graph --contexts --canceled keeps the canceled requests, not the idle connections" ||
		bad "$name: graph --contexts --canceled misses $missing"
	# graph --waits: a stuck handler's box names its state and function.
	"$bin" graph --db "$db" --waits --goid "$goid" >"$work/gw.dot" 2>"$work/g.err"
	grep "goroutine $goid[^0-9]" "$work/gw.dot" | grep -q "goroutines\{0,1\} \[[^]]*\]\\\\n$func:[0-9]" &&
		ok "$name: graph --waits: goroutine $goid's box names its state and $func" ||
		bad "$name: graph --waits --goid $goid: $(grep "goroutine $goid" "$work/gw.dot")"
	if command -v dot >/dev/null; then
		for f in g gall g5 gg gc gw; do
			dot -Tsvg "$work/$f.dot" >/dev/null 2>"$work/dot.err" || { bad "$f.dot is not valid DOT: $(cat "$work/dot.err")"; continue; }
			ok "$name: $f.dot renders with dot -Tsvg"
		done
	else
		echo "Graphviz not installed: DOT not rendered"
	fi

	if command -v python3 >/dev/null; then
		for opt in "" "--all"; do
			"$bin" contexts --db "$db" --format json $opt >"$work/c.json" 2>"$work/err"
			python3 - "$work/c.json" <<'PY' >"$work/py" 2>&1
import json, sys
d = json.load(open(sys.argv[1]))
def walk(n):
    c = 1 + n.get("more_like_this", {}).get("contexts", 0)
    assert n["kind"] and n["addr"].startswith("0x")
    assert len(n["holders"]) <= n["holders_total"]
    return c + sum(walk(k) for k in n.get("children", []))
total = sum(walk(t) for t in d["trees"])
print(total, d["contexts"])
assert total == d["contexts"] and not d["stopped_at_limit"]
PY
			[ $? -eq 0 ] && ok "$name: --format json${opt:+ $opt} parses; nodes and folded counts make the $(cut -d' ' -f2 "$work/py") contexts" ||
				bad "$name: --format json $opt: $(tail -3 "$work/py")"
		done
	else
		echo "python3 not installed: JSON checks skipped"
	fi
else
	bad "$name: analyze failed: $(cat "$work/err")"
fi

# --- bad arguments ------------------------------------------------------------
for args in "--depth x|--depth" "--holders -2|--holders" "--foo|--foo" "--format xml|--format" \
	"--goid|--goid" "--limit 1k|--limit"; do
	a=${args%|*} want=${args#*|}
	# shellcheck disable=SC2086
	"$bin" contexts --db "$work/none.db" $a >/dev/null 2>"$work/err"
	st=$?
	[ $st -eq 2 ] && grep -q -- "$want" "$work/err" && ok "contexts $a: exit 2, names $want" ||
		bad "contexts $a: status $st, $(cat "$work/err")"
done

for args in "--contexts --limit x|--limit" "--waits --canceled|--canceled" "--contexts --component 3|--component" \
	"--contexts --bar|--bar" "--contexts --goid|--goid"; do
	a=${args%|*} want=${args#*|}
	# shellcheck disable=SC2086
	"$bin" graph --db "$work/none.db" $a >/dev/null 2>"$work/err"
	st=$?
	[ $st -eq 2 ] && grep -q -- "$want" "$work/err" && ok "graph $a: exit 2, names $want" ||
		bad "graph $a: status $st, $(cat "$work/err")"
done

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
