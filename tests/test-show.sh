#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# test-show.sh: 'goroutines' (userloc, --with/--without, --group, --format
# json) and 'traceback --goid' on corpus cores, against what Delve and Go
# themselves printed for the same cores (corpus/expect/*.dlv, *.traceback).
set -u
. "${TOP_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}/tests/corpus-lib.sh"
corpus_setup show

db=$work/show.db
cores="ctxroots-go1.27-opt-gcore hang-go1.27-opt-kernel diag-go1.27-opt-kernel httpsvc-go1.27-opt-gcore"

expect_file() { # expect_file COLUMN CORE: an expect file, decompressed into $work if .zst
	f=$corpus/$(col "$1" "$2")
	case $f in *.zst) zstd -q -d -f "$f" -o "$work/$2.$1" && f=$work/$2.$1 ;; esac
	echo "$f"
}

# Delve's listing (goroutines -t) → "goid func" for each goroutine: the
# innermost frame outside runtime.*, internal/* and sync.* (gocoroner's
# userloc; Delve's own stops at runtime-private frames only), else frame 0.
dlv_userloc() { # dlv_userloc FILE
	awk '/^[* ] *Goroutine [0-9]+ - / { if (g != "") print g, (u != "" ? u : f0)
			g = $0; sub(/^[* ]*Goroutine /, "", g); sub(/ .*/, "", g); u = ""; f0 = ""; next }
		g != "" && /^\t *[0-9]+  0x[0-9a-f]+ in / { fn = $4; if (f0 == "") f0 = fn
			if (u == "" && fn !~ /^(runtime\.|internal\/|sync\.)/) u = fn }
		END { if (g != "") print g, (u != "" ? u : f0) }' "$1" | sort -k1,1
}

# 'goroutines --format json' → "goid KEY.func" for each goroutine.
json_loc() { # json_loc KEY < JSON
	awk -v key="\"$1\": {" '
		/^    \{$/ { goid = ""; inloc = 0 }
		/^      "goid": / { goid = $2; sub(/,$/, "", goid) }
		index($0, key) { inloc = 1; next }
		inloc && /"func": / { f = $0; sub(/^ *"func": "/, "", f); sub(/",?$/, "", f)
			print goid, f; inloc = 0 }' | sort -k1,1
}

# Go's traceback → "goid|state|created-by function|labels" of each goroutine.
go_headers() { # go_headers FILE
	awk '/^goroutine [0-9]+ / { if (g != "") print g "|" st "|" cb "|" lb
			g = $2; st = $0; sub(/^[^[]*\[/, "", st); sub(/[],].*/, "", st)
			sub(/ \(leaked\)$/, "", st)
			lb = ""; if (match($0, /\] \{.*\}:$/)) lb = substr($0, RSTART + 3, RLENGTH - 5)
			cb = ""; next }
		/^created by / { cb = $3 }
		END { if (g != "") print g "|" st "|" cb "|" lb }' "$1" | sort -k1,1
}

for name in $cores; do
	if ! analyze_core "$name" "$db"; then
		bad "$name: analyze failed: $(cat "$work/err")"
		continue
	fi
	id=$(cat "$work/id")
	"$bin" goroutines --db "$db" --incident "$id" --format json >"$work/g.json" ||
		{ bad "$name: goroutines --format json failed"; continue; }
	tb=$(expect_file traceback "$name")
	dlv=$(expect_file dlv "$name")
	# userloc: every goroutine Delve listed, the same function.
	dlv_userloc "$dlv" >"$work/dlv.user"
	json_loc userloc <"$work/g.json" >"$work/our.user"
	n=$(wc -l <"$work/dlv.user")
	join "$work/dlv.user" "$work/our.user" >"$work/joined"
	differ=$(awk '$2 != $3' "$work/joined")
	if [ "$n" -gt 10 ] && [ "$(wc -l <"$work/joined")" -eq "$n" ] && [ -z "$differ" ]; then
		ok "$name: userloc of $n goroutines as Delve's stacks give it"
	else
		bad "$name: userloc differs from Delve's stacks (goid delve ours):"
		echo "$differ" | head -5
		join -v1 "$work/dlv.user" "$work/our.user" | head -3
	fi
	# curloc: Delve's frame 0, except for a goroutine on a thread, where
	# Delve starts from the thread's registers (in a crash, the signal's
	# runtime.raise) and Go's dump, like gocoroner, from the goroutine's.
	awk '/^[* ] *Goroutine [0-9]+ - / { g = $0; sub(/^[* ]*Goroutine /, "", g); sub(/ .*/, "", g)
			f = !/\(thread [0-9]+\)/; next }
		f && /^\t *0  0x[0-9a-f]+ in / { print g, $4; f = 0 }' "$dlv" >"$work/dlv.cur"
	awk '/^goroutine [1-9][0-9]* gp=0x[0-9a-f]* m=[0-9]/ { g = $2; next }
		g != "" { f = $0; sub(/\(.*$/, "", f); print g, f; g = "" }' "$tb" >>"$work/dlv.cur"
	sort -k1,1 -o "$work/dlv.cur" "$work/dlv.cur"
	json_loc curloc <"$work/g.json" >"$work/our.cur"
	differ=$(join "$work/dlv.cur" "$work/our.cur" | awk '$2 != $3')
	[ "$(join "$work/dlv.cur" "$work/our.cur" | wc -l)" -eq "$n" ] && [ -z "$differ" ] &&
		ok "$name: curloc is Delve's frame 0 (Go's for those on a thread)" || bad "$name: curloc: $differ"
	want=$(awk '/^[* ] *Goroutine [0-9]+ - / { g = $0; sub(/^[* ]*Goroutine /, "", g); sub(/ .*/, "", g) }
		/^\t *[0-9]+  0x[0-9a-f]+ in .*Mutex/ { print g }' "$dlv" | sort -un | tr '\n' ' ')
	got=$("$bin" goroutines --db "$db" --incident "$id" --with func Mutex --format json |
		sed -n 's/^      "goid": \([0-9]*\),$/\1/p' | sort -n | tr '\n' ' ')
	[ "$got" = "$want" ] && ok "$name: --with func Mutex: $(echo $want | wc -w) goroutines, as in Delve's stacks" ||
		bad "$name: --with func Mutex: '$got', Delve's '$want'"
	# --group userloc: the same functions with the same counts, largest first.
	"$bin" goroutines --db "$db" --incident "$id" --group userloc --all >"$work/grp.txt"
	awk 'NR > 2 { n = $1; gsub(/,/, "", n); c[$3] += n } END { for (f in c) print f, c[f] }' \
		"$work/grp.txt" | sort >"$work/grp.ours"
	awk '{ print $2 }' "$work/dlv.user" | sort | uniq -c | awk '{ print $2, $1 }' | sort >"$work/grp.dlv"
	awk 'NR > 2 { n = $1; gsub(/,/, "", n); if (p != "" && n + 0 > p + 0) exit 1; p = n }' "$work/grp.txt" &&
		sorted=1 || sorted=0
	if cmp -s "$work/grp.ours" "$work/grp.dlv" && [ $sorted = 1 ]; then
		ok "$name: --group userloc counts as Delve's stacks give them, largest first"
	else
		bad "$name: --group userloc:"
		diff "$work/grp.dlv" "$work/grp.ours" | head -5
	fi
	# goloc: the function of Go's "created by" line.
	go_headers "$tb" >"$work/go.headers"
	json_loc goloc <"$work/g.json" >"$work/our.goloc"
	awk -F'|' '$3 != "" { print $1, $3 }' "$work/go.headers" | sort -k1,1 >"$work/go.goloc"
	missing=$(join -v1 "$work/go.goloc" "$work/our.goloc" | grep -v "^$(col dumper_goid "$name") ")
	differ=$(join "$work/go.goloc" "$work/our.goloc" | awk '$2 != $3')
	[ -z "$missing$differ" ] && ok "$name: goloc is Go's 'created by' function" ||
		bad "$name: goloc: $missing $differ"
	# --with running: on an OS thread, as a crash dump's "m=N" says.
	if [ "$(col core_kind "$name")" = kernel ]; then
		want=$(sed -n 's/^goroutine \([1-9][0-9]*\) gp=0x[0-9a-f]* m=[0-9].*/\1/p' "$tb" | sort -n | tr '\n' ' ')
		got=$("$bin" goroutines --db "$db" --incident "$id" --with running --format json |
			sed -n 's/^      "goid": \([0-9]*\),$/\1/p' | sort -n | tr '\n' ' ')
		[ -n "$want" ] && [ "$got" = "$want" ] && ok "$name: --with running: $want(m= in Go's dump)" ||
			bad "$name: --with running '$got', Go's dump '$want'"
	fi
	# --with state: the goroutines Go's traceback shows in that state.
	for state in "chan receive" "sync.Mutex.Lock" "select"; do
		"$bin" goroutines --db "$db" --incident "$id" --with state "$state" --format json |
			sed -n 's/^      "goid": \([0-9]*\),$/\1/p' | sort -n >"$work/ours.st"
		awk -F'|' -v s="$state" '$2 == s { print $1 }' "$work/go.headers" | sort -n >"$work/go.st"
		if cmp -s "$work/ours.st" "$work/go.st"; then
			ok "$name: --with state '$state': $(wc -l <"$work/go.st") goroutines, as Go's traceback"
		else
			bad "$name: --with state '$state':"
			diff "$work/go.st" "$work/ours.st" | head -5
		fi
	done
done

# --format json is JSON (whatever reads it: python3's parser here).
if command -v python3 >/dev/null; then
	for args in "" "--group userloc" "--group label handler" "--with label handler"; do
		"$bin" goroutines --db "$db" $args --format json >"$work/j.json" &&
			python3 -c 'import json, sys; json.load(open(sys.argv[1]))' "$work/j.json" &&
			ok "goroutines $args --format json parses" || bad "goroutines $args --format json"
	done
fi

# Labels (Go 1.27 prints them in the header): --with label KEY=VALUE, KEY,
# --without, --group label KEY.
name=hang-go1.27-opt-kernel
id=$("$bin" query --db "$db" --format csv "SELECT id FROM incident WHERE core_path LIKE '%$name%'" | tail -1 | tr -d '\r')
go_headers "$corpus/$(col traceback "$name")" >"$work/go.headers"
sel() { sed -n 's/^      "goid": \([0-9]*\),$/\1/p' | sort -n | tr '\n' ' '; }
want=$(awk -F'|' '$4 ~ /(^|, )handler: checkout(,|$)/ { print $1 }' "$work/go.headers" | sort -n | tr '\n' ' ')
got=$("$bin" goroutines --db "$db" --incident "$id" --with label handler=checkout --format json | sel)
[ -n "$want" ] && [ "$got" = "$want" ] && ok "--with label handler=checkout: $want" ||
	bad "--with label handler=checkout: got '$got', Go's traceback '$want'"
got=$("$bin" goroutines --db "$db" --incident "$id" --with label handler --with 'label request_id=r-42' --format json | sel)
want=$(awk -F'|' '$4 ~ /request_id: "r-42"/ { print $1 }' "$work/go.headers" | sort -n | tr '\n' ' ')
[ -n "$want" ] && [ "$got" = "$want" ] && ok "--with label twice is AND: $want" ||
	bad "--with label twice: got '$got', want '$want'"
all=$("$bin" goroutines --db "$db" --incident "$id" --format json | sel | wc -w)
without=$("$bin" goroutines --db "$db" --incident "$id" --without label handler --format json | sel | wc -w)
with=$("$bin" goroutines --db "$db" --incident "$id" --with label handler --format json | sel | wc -w)
[ $((with + without)) -eq "$all" ] && [ "$with" -gt 0 ] &&
	ok "--with and --without label split the $all goroutines" ||
	bad "--with $with + --without $without != $all"
"$bin" goroutines --db "$db" --incident "$id" --group label handler >"$work/lg.txt"
grep -q "^ *$with  *[0-9][0-9]*  checkout$" "$work/lg.txt" && grep -q "(no label handler)$" "$work/lg.txt" &&
	ok "--group label handler" || bad "--group label handler: $(cat "$work/lg.txt")"

# A bounded --group says what it left out.
"$bin" goroutines --db "$db" --incident "$id" --group goloc >"$work/gl.txt"
groups=$(sed -n 's/^[0-9,]* goroutines in \([0-9,]*\) groups.*/\1/p' "$work/gl.txt")
if [ "${groups:-0}" -gt 30 ]; then
	grep -q "^and $((groups - 30)) more groups ([0-9,]* goroutines); --all to show them$" "$work/gl.txt" &&
		ok "--group goloc: 30 of $groups groups, and says so" || bad "--group goloc bound: $(tail -1 "$work/gl.txt")"
else
	grep -q "more groups" "$work/gl.txt" && bad "--group goloc: $groups groups, yet 'more'" ||
		ok "--group goloc: all $groups groups"
fi

# traceback --goid: exactly those goroutines, each as Go's own traceback
# prints it (argument values, gp=/fp= and Go's goroutine order aside).
blocks() { # blocks FILE: one line per goroutine block
	awk '/^goroutine [0-9]+ / { if (cur != "") print cur
			sub(/ gp=[^ ]* m=[^ ]*( mp=[^ ]*)?/, ""); cur = $0; next }
		/^$/ { if (cur != "") print cur; cur = ""; next }
		cur == "" { next }
		/^\t/ { sub(/ fp=.*/, ""); cur = cur " | " $0; next }
		/^created by / { cur = cur " | " $0; next }
		{ sub(/\(.*\)$/, "(...)"); cur = cur " | " $0 }
		END { if (cur != "") print cur }' "$1"
}
name=hang-go1.27-opt-kernel
tb=$corpus/$(col traceback "$name")
id=$("$bin" query --db "$db" --format csv "SELECT id FROM incident WHERE core_path LIKE '%$name%'" | tail -1 | tr -d '\r')
blocks "$tb" >"$work/go.blocks"
goids=$(awk -F'|' '$2 == "sync.Mutex.Lock" || $2 == "select" { print $1 }' "$work/go.headers" | head -4)
list=$(echo $goids | tr ' ' ',')
first=$(echo $goids | cut -d' ' -f1)
rest=$(echo $goids | cut -d' ' -f2- | tr ' ' ',')
"$bin" traceback --db "$db" --incident "$id" --system --goid "$first" --goid "$rest" >"$work/ours.tb"
blocks "$work/ours.tb" | sort >"$work/ours.blocks"
for g in $goids; do grep "^goroutine $g " "$work/go.blocks"; done | sort >"$work/want.blocks"
if [ "$(wc -l <"$work/want.blocks")" -eq 4 ] && cmp -s "$work/want.blocks" "$work/ours.blocks"; then
	ok "traceback --goid $first --goid $rest: Go's text of those 4 goroutines"
else
	bad "traceback --goid $list:"
	diff "$work/want.blocks" "$work/ours.blocks" | head -6
fi
order=$(sed -n 's/^goroutine \([0-9]*\) .*/\1/p' "$work/ours.tb" | tr '\n' ' ')
[ "$order" = "$(echo $goids | tr ' ' '\n' | sort -n | tr '\n' ' ')" ] &&
	ok "traceback --goid: in goroutine id order" || bad "traceback --goid order: $order"
"$bin" traceback --db "$db" --incident "$id" --goid "$first,999999" >"$work/o" 2>"$work/e"
rc=$?
[ $rc -eq 1 ] && grep -q "has no goroutine 999999" "$work/e" && grep -q "^goroutine $first " "$work/o" &&
	ok "traceback --goid of a missing goroutine: the others, then an error naming it" ||
	bad "traceback --goid missing: status $rc, $(cat "$work/e")"
"$bin" traceback --db "$db" --goid x >/dev/null 2>"$work/e"
[ $? -eq 2 ] && grep -q -- "--goid takes goroutine ids" "$work/e" && ok "traceback --goid x: $(cat "$work/e")" ||
	bad "traceback --goid x: $(cat "$work/e")"

# frame and locals: the contexts, waits and defers of the hang program's
# goroutines, as the program itself printed them (ctx, ctxtext, chanwait,
# syncwait and defer lines of its stdout).
name=hang-go1.27-opt-kernel
out=$corpus/$(col stdout "$name")
id=$("$bin" query --db "$db" --format csv "SELECT id FROM incident WHERE core_path LIKE '%$name%'" | tail -1 | tr -d '\r')
field() { # field KEY LINE...: the value of KEY=VALUE
	k=$1
	shift
	echo "$*" | tr ' ' '\n' | sed -n "s/^$k=//p"
}
goid=$(sed -n 's/^scenario deep goid=//p' "$out")
"$bin" frame --db "$db" --incident "$id" "$goid" >"$work/frame.txt"
depth=$(sed -n 's/^ *\([0-9][0-9]*\)  0x[0-9a-f]* in main\.epoll$/\1/p' "$work/frame.txt")
"$bin" locals --db "$db" --incident "$id" "$goid" "$depth" >"$work/locals.txt"
# The context epoll holds, then its ancestors up to the root.
ctx=$(sed -n 's/^addr deep-ctx //p' "$out")
chain=
a=$ctx
while [ -n "$a" ] && [ "$a" != 0x0 ]; do
	chain="$chain $a"
	a=$(field parent "$(grep "^ctx [^ ]* addr=$a " "$out" | head -1)")
done
got=$(grep 'context.Context = \|^        <- ' "$work/locals.txt" | grep -o '0x[0-9a-f]*)' | tr -d ')' | tr '\n' ' ')
root=$(echo $chain | awk '{ print $NF }')
[ "$(echo $got)" = "$(echo $chain | sed "s/ $root\$//")" ] && grep -q "^        <- context.backgroundCtx{}$" "$work/locals.txt" &&
	ok "locals $goid $depth: ctx and its ancestors as the program printed them:$chain" ||
	bad "locals $goid $depth: contexts '$got', program's '$chain'"
key=$(sed -n 's/^ctxtext deep-conn key //p' "$out")
val=$(sed -n 's/^ctxtext deep-conn value //p' "$out")
grep -qF "    ctx context.Context = (*context.valueCtx)($ctx) {key: $key, val: $val}" "$work/locals.txt" &&
	ok "locals: the value context in Go syntax, key $key" || bad "locals: $(sed -n 2p "$work/locals.txt")"
canceled=$(for a in $chain; do l=$(grep "^ctx [^ ]* addr=$a " "$out" | head -1)
	[ "$(field kind "$l")" != value ] && [ "$(field canceled "$l")" = 1 ] && echo "$a"; done | tr '\n' ' ')
marked=$(grep -o '(0x[0-9a-f]*)[^C]* CANCELED: context canceled' "$work/locals.txt" | grep -o '0x[0-9a-f]*' | tr '\n' ' ')
[ -n "$canceled" ] && [ "$marked" = "$canceled" ] && ok "locals: CANCELED on the canceled ones: $canceled" ||
	bad "locals: CANCELED on '$marked', the program's '$canceled'"
timer=$(for a in $chain; do grep "^ctx [^ ]* addr=$a kind=timer" "$out"; done | head -1)
when=$(date -u -d "@$(($(field deadline "$timer") / 1000000000))" +%Y-%m-%dT%H:%M:%SZ)
grep -qF "(*context.timerCtx)($(field addr "$timer")) {deadline: $when}" "$work/locals.txt" &&
	ok "locals: the timer context's deadline $when" || bad "locals: no deadline $when"
w=$(grep "^chanwait deep goid=$goid " "$out")
c=$(grep "^chan [^ ]* addr=$(field chan "$w") " "$out")
grep -qx "    waits on (chan $(field elemtype "$c"))($(field chan "$w")): $(field dir "$w"), position $(field pos "$w") in its queue" "$work/locals.txt" &&
	ok "locals: waits on the channel the program names, (chan $(field elemtype "$c"))" ||
	bad "locals: wait $(grep waits "$work/locals.txt")"
# A send on a full buffered channel: its length and capacity.
w=$(grep "^chanwait chansend-1 " "$out")
c=$(grep "^chan [^ ]* addr=$(field chan "$w") " "$out")
"$bin" locals --db "$db" --incident "$id" "$(field goid "$w")" >"$work/l.txt"
grep -qx "    waits on (chan $(field elemtype "$c"))($(field chan "$w")): send, position $(field pos "$w") in its queue, $(field len "$c") of $(field cap "$c") buffered" "$work/l.txt" &&
	ok "locals: a send on a buffered channel, $(field len "$c") of $(field cap "$c") buffered" ||
	bad "locals chansend: $(grep waits "$work/l.txt")"
"$bin" locals --db "$db" --incident "$id" --depth 1 "$goid" "$depth" >"$work/l1.txt"
n=$(echo $chain | wc -w)
grep -qx "        and $((n - 2)) more ancestors; --depth $((n - 1)) to show them" "$work/l1.txt" &&
	ok "locals --depth 1: one ancestor, and says how many more" || bad "locals --depth 1: $(tail -1 "$work/l1.txt")"
# The defers, each under the frame the program says registered it, in order.
goid=$(sed -n 's/^scenario defers5 goid=//p' "$out")
"$bin" frame --db "$db" --incident "$id" "$goid" >"$work/frame.txt"
awk '/^ *[0-9]+  0x[0-9a-f]+ in / { fn = $4 } /^    defer / { f = $2; sub(/\(\)$/, "", f); print f, fn }' \
	"$work/frame.txt" >"$work/defers.ours"
sed -n "s/^defer [^ ]* goid=$goid seq=[0-9]* func=\([^ ]*\) frame=\([^ ]*\)$/\1 \2/p" "$out" >"$work/defers.want"
[ -s "$work/defers.want" ] && cmp -s "$work/defers.want" "$work/defers.ours" &&
	ok "frame $goid: $(wc -l <"$work/defers.want") defers under their frames, in the order they run" ||
	{ bad "frame $goid defers:"; diff "$work/defers.want" "$work/defers.ours"; }
# A sync wait, on the user frame.
w=$(grep "^syncwait mutex " "$out")
goid=$(field goid "$w")
"$bin" locals --db "$db" --incident "$id" "$goid" >"$work/l.txt"
grep -qx "    waits on (\*$(field kind "$w"))($(field addr "$w"))" "$work/l.txt" &&
	awk '/^ *[0-9]+  0x/ { fn = $4 } /waits on/ { print fn }' "$work/l.txt" | grep -q '^main\.' &&
	ok "locals $goid: waits on $(field kind "$w") $(field addr "$w"), at its user frame" ||
	bad "locals $goid: $(cat "$work/l.txt")"
# Errors: a frame that is not there, no goroutine, bad words.
"$bin" frame --db "$db" --incident "$id" "$goid" 999 >"$work/o" 2>"$work/e"
[ $? -eq 1 ] && [ ! -s "$work/o" ] && grep -q "no frame 999" "$work/e" && ok "frame: a missing frame: $(cat "$work/e")" ||
	bad "frame missing frame: $(cat "$work/o" "$work/e")"
"$bin" frame --db "$db" --incident "$id" 999999 >/dev/null 2>"$work/e"
[ $? -eq 1 ] && grep -q "no goroutine 999999" "$work/e" && ok "frame: a missing goroutine" || bad "frame 999999: $(cat "$work/e")"
for args in "" "x" "1 y" "1 2 3" "--depth z 1"; do
	"$bin" locals --db "$db" $args >/dev/null 2>"$work/e"
	[ $? -eq 2 ] && [ "$(wc -l <"$work/e")" -eq 1 ] && ok "locals $args: $(cat "$work/e")" || bad "locals $args: $(cat "$work/e")"
done

# traceback and labels: the process's own setting (runtime.debug's
# tracebacklabels, read at ingest) decides. corpus/generate.sh runs every
# program with GODEBUG=tracebacklabels=1, which Go 1.26 and later read and
# earlier releases do not have: 1 for those, 0 before.
for name in hang-go1.24-opt-gcore hang-go1.26-opt-gcore; do
	analyze_core "$name" "$db" || { bad "$name: analyze: $(cat "$work/err")"; continue; }
done
for name in hang-go1.24-opt-gcore hang-go1.26-opt-gcore hang-go1.27-opt-kernel; do
	minor=$(col go_version "$name" | sed 's/^go1\.\([0-9]*\).*/\1/')
	want=0
	[ "$minor" -ge 26 ] && want=1
	got=$("$bin" query --db "$db" --format csv \
		"SELECT traceback_labels FROM incident WHERE core_path LIKE '%$name%'" | tail -1 | tr -d '\r')
	[ "$got" = "$want" ] && ok "$name: the process's tracebacklabels is $want" ||
		bad "$name: traceback_labels $got, want $want"
	# The headers with labels are Go's own, label for label.
	id=$("$bin" query --db "$db" --format csv "SELECT id FROM incident WHERE core_path LIKE '%$name%'" | tail -1 | tr -d '\r')
	"$bin" traceback --db "$db" --incident "$id" --system | grep -c '^goroutine .*\] {\|labels:{' >"$work/n.ours"
	grep -c '^goroutine .*\] {\|labels:{' "$corpus/$(col traceback "$name")" >"$work/n.go"
	cmp -s "$work/n.ours" "$work/n.go" && ok "$name: $(cat "$work/n.go") goroutine headers with labels, as Go's" ||
		bad "$name: $(cat "$work/n.ours") headers with labels, Go's traceback $(cat "$work/n.go")"
done
if command -v sqlite3 >/dev/null; then
	name=hang-go1.27-opt-kernel
	cp "$db" "$work/l.db"
	id=$("$bin" query --db "$db" --format csv "SELECT id FROM incident WHERE core_path LIKE '%$name%'" | tail -1 | tr -d '\r')
	# A process started with GODEBUG=tracebacklabels=0 (or a go.mod godebug line).
	sqlite3 "$work/l.db" "UPDATE incident SET traceback_labels = 0 WHERE id = $id"
	n=$("$bin" traceback --db "$work/l.db" --incident "$id" | grep -c '^goroutine .*\] {')
	f=$("$bin" traceback --db "$work/l.db" --incident "$id" --labels | grep -c '^goroutine .*\] {handler: checkout')
	[ "$n" -eq 0 ] && [ "$f" -eq 2 ] && ok "traceback follows tracebacklabels=0; --labels forces them" ||
		bad "tracebacklabels=0: $n headers with labels, --labels $f"
	# An incident ingested before the setting was recorded: as before.
	sqlite3 "$work/l.db" "UPDATE incident SET traceback_labels = NULL WHERE id = $id"
	n=$("$bin" traceback --db "$work/l.db" --incident "$id" | grep -c '^goroutine .*\] {handler: checkout')
	m=$("$bin" traceback --db "$work/l.db" --incident "$id" --no-labels | grep -c '^goroutine .*\] {')
	[ "$n" -eq 2 ] && [ "$m" -eq 0 ] && ok "traceback without the setting: labels from Go 1.26 on; --no-labels" ||
		bad "traceback_labels NULL: $n headers with labels, --no-labels $m"
	# Stacks written before schema version 10 have no user_depth: the same
	# userloc, found among their frames.
	sqlite3 "$work/l.db" "UPDATE stack SET user_depth = NULL"
	"$bin" goroutines --db "$db" --incident "$id" --format json >"$work/a.json"
	"$bin" goroutines --db "$work/l.db" --incident "$id" --format json >"$work/b.json"
	cmp -s "$work/a.json" "$work/b.json" && ok "goroutines: the same userloc without stack.user_depth" ||
		bad "goroutines without stack.user_depth: $(diff "$work/a.json" "$work/b.json" | head -4)"
else
	echo "sqlite3 not installed: the tracebacklabels=0 case skipped"
fi

# Bad options name the option and what is wrong, exit status 2.
try() { # try EXPECTED-STDERR-PATTERN ARGS...
	want=$1
	shift
	"$bin" goroutines --db "$db" "$@" >/dev/null 2>"$work/e"
	rc=$?
	if [ $rc -eq 2 ] && grep -q -- "$want" "$work/e"; then
		ok "goroutines $*: $(cat "$work/e")"
	else
		bad "goroutines $*: status $rc, $(cat "$work/e")"
	fi
}
try "unknown option '--foo'\|bad option '--foo'" --foo
try "--with takes userloc, curloc" --with bogus
try "'--with label' needs a KEY" --with label
try "'--group label' needs the label's KEY" --group label
try "--group takes userloc" --group nowhere
try "an incident is a number" --incident x
try "--format takes table or json" --format csv
try "--with needs a value" --with

echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
