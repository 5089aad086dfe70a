#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# test-archive.sh: the incident archive on real corpus cores — incidents,
# tag, similar, diff, analyze --keep-core and core. The archive holds the
# hang program at three Go releases and modes (the same hang, rebuilt) and
# the diag program at two; expectations come from the manifest, the
# programs' sources and the finding views themselves, never from a stored
# copy of gocoroner's output.
set -u
. "${TOP_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}/tests/corpus-lib.sh"
corpus_setup archive

db=$work/archive.db
# Each core is copied with its own modification time: the capture time
# 'incidents' must report. name date program, in ingest order.
cat >"$work/plan" <<'EOF'
hang-go1.21-debug-kernel 2026-03-02T10:15:00Z hang
diag-go1.22-debug-kernel 2026-04-11T08:00:00Z diag
hang-go1.24-opt-kernel 2026-05-17T23:59:59Z hang
diag-go1.26-opt-kernel 2026-06-01T12:30:00Z diag
hang-go1.27-opt-gcore 2026-07-04T06:00:00Z hang
EOF
id=0
while read -r name date prog; do
	exe=$work/$name.exe
	core=$work/$name.core.zst
	zstd -q -d -f "$corpus/$(col exe "$name")" -o "$exe" || { bad "$name: decompress"; continue; }
	cp "$corpus/$(col core "$name")" "$core" && touch -d "$date" "$core"
	if ! "$bin" analyze -q --db "$db" --exe "$exe" "$core" >"$work/id" 2>"$work/err"; then
		bad "$name: analyze failed: $(cat "$work/err")"
		continue
	fi
	id=$((id + 1))
	[ "$(cat "$work/id")" = "$id" ] || bad "$name: incident $(cat "$work/id"), expected $id"
	echo "$id $name $date $prog" >>"$work/ids"
done <"$work/plan"
[ "$(wc -l <"$work/ids")" -eq 5 ] || { bad "not every core was ingested"; echo "# $pass passed, $fail failed"; exit 1; }

ids_of() { awk -v p="$1" '$4 == p { print $1 }' "$work/ids"; }
# A CSV cell of 'incidents' by column name (no cell here holds a comma).
inc() { # inc ID COLUMN
	"$bin" incidents --db "$db" --format csv | tr -d '\r' |
		awk -F, -v id="$1" -v want="$2" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == want) c = i; next }
			$1 == id { print $c }'
}
q() { "$bin" query --db "$db" --incident "$1" --format csv "$2" | tail -n +2 | tr -d '\r'; }

# ---- incidents ---------------------------------------------------------
"$bin" incidents --db "$db" >"$work/table"
[ "$(grep -c '^[0-9]' "$work/table")" -eq 5 ] && ok "incidents: one line per incident" ||
	bad "incidents: $(cat "$work/table")"
# The table for people: the capture time with its source, the bug findings
# in one column as the csv's counts say, lines within 150 characters (230
# before it had its own columns).
tbad=0
while read -r i name date prog; do
	line=$(grep "^$i " "$work/table" | sed 's/ *$//')
	want="$date (file mtime)"
	for pair in unobserved:unobserved broken_links:broken leaks:leaked; do
		n=$(inc "$i" "${pair%%:*}")
		[ "$n" = 0 ] || want="$want|$n ${pair#*:}"
	done
	missing=$(echo "$want" | tr '|' '\n' | while IFS= read -r w; do
		case $line in *"$w"*) ;; *) echo "$w" ;; esac; done)
	[ -z "$missing" ] && [ ${#line} -le 150 ] ||
		{ tbad=1; bad "incidents table, $i: lacks '$missing' or is over 150 characters: $line"; }
done <"$work/ids"
[ $tbad = 1 ] || ok "incidents table: capture time and source, the bug findings as the csv counts them, within 150 characters (a Go release with its experiments is 32)"
while read -r i name date prog; do
	want_go=$(col go_version "$name")
	got="$(inc "$i" captured_at) $(inc "$i" executable) $(inc "$i" go_version)"
	case "$got" in
	# The executable's name as the core records it (generate.sh runs
	# $scratch/PROGRAM), not the copy given: $work/NAME.exe.
	"$date $prog $want_go"*) ;;
	*) bad "incidents $i ($name): '$got', expected '$date $prog $want_go'"; continue ;;
	esac
	# The counts kept at ingest are what the finding views say now.
	for pair in unobserved:"SELECT count(*) FROM cancel_unobserved WHERE incident_id = ?1" \
		broken_links:"SELECT count(*) FROM cancel_broken_link WHERE incident_id = ?1" \
		leaks:"SELECT count(DISTINCT goid) FROM leak_suspect WHERE incident_id = ?1" \
		in_cycles:"SELECT count(DISTINCT goid) FROM wait_cycle WHERE incident_id = ?1" \
		detached:"SELECT count(*) FROM cancel_detached WHERE incident_id = ?1" \
		lock_waits:"SELECT count(*) FROM context_lock_wait WHERE incident_id = ?1" \
		goroutines:"SELECT count(*) FROM goroutine WHERE incident_id = ?1"; do
		c=${pair%%:*}
		[ "$(inc "$i" "$c")" = "$(q "$i" "${pair#*:}")" ] ||
			bad "incidents $i: $c is $(inc "$i" "$c"), the views say $(q "$i" "${pair#*:}")"
	done
	ok "incidents $i ($name): capture time, executable, Go release and counts"
done <"$work/ids"
# The diag program leaks on purpose, the hang program does not (corpus/README.md).
for i in $(ids_of diag); do [ "$(inc "$i" leaks)" -gt 0 ] || bad "incidents $i: diag without leaks"; done
for i in $(ids_of hang); do [ "$(inc "$i" leaks)" -eq 0 ] || bad "incidents $i: hang with leaks"; done
"$bin" incidents --db "$db" --format json | grep -q '"captured_at": "2026-03-02T10:15:00Z"' &&
	ok "incidents --format json" || bad "incidents --format json lacks the capture time"

# ---- tag ---------------------------------------------------------------
"$bin" tag --db "$db" 1 name="checkout hang" host=db-3 ticket=OPS-12 &&
	[ "$(inc 1 name)" = "checkout hang" ] && [ "$(inc 1 tags)" = "host=db-3 ticket=OPS-12" ] &&
	ok "tag sets the name and tags" || bad "tag: name '$(inc 1 name)', tags '$(inc 1 tags)'"
"$bin" tag --db "$db" 1 host=db-4 ticket= &&
	[ "$(inc 1 tags)" = "host=db-4" ] && ok "tag KEY=VALUE replaces, KEY= removes" ||
	bad "tag replace/remove: '$(inc 1 tags)'"
"$bin" tag --db "$db" 99 host=x 2>"$work/err"
[ $? -eq 1 ] && grep -q "no incident 99" "$work/err" && ok "tag refuses a missing incident" ||
	bad "tag 99: $(cat "$work/err")"
"$bin" tag --db "$db" 1 'bad key=x' 2>"$work/err"
[ $? -eq 1 ] && grep -q "tag name 'bad key'" "$work/err" && ok "tag refuses a bad key" ||
	bad "tag 'bad key': $(cat "$work/err")"
"$bin" tag --db "$db" 1 novalue >/dev/null 2>&1
[ $? -eq 2 ] && ok "tag without '=' is a usage error" || bad "tag novalue did not exit 2"

# ---- similar -----------------------------------------------------------
# Each incident's own program ranks above the other program: the hang
# program at three releases and modes is one hang, rebuilt.
for prog in hang diag; do
	other=$([ $prog = hang ] && echo diag || echo hang)
	for i in $(ids_of $prog); do
		"$bin" similar --db "$db" --all --format csv "$i" | tr -d '\r' | tail -n +2 >"$work/sim"
		same=$(ids_of $prog | grep -vx "$i" | sort | tr '\n' ' ')
		nsame=$(echo "$same" | wc -w)
		top=$(head -n "$nsame" "$work/sim" | cut -d, -f1 | sort | tr '\n' ' ')
		low=$(head -n "$nsame" "$work/sim" | cut -d, -f4 | sort -n | head -1)
		high_other=$(tail -n +"$((nsame + 1))" "$work/sim" | cut -d, -f4 | sort -n | tail -1)
		if [ "$top" = "$same" ] && awk -v a="$low" -v b="${high_other:-0}" 'BEGIN { exit !(a >= 0.5 && b < 0.5 && a > b) }'; then
			ok "similar $i: the other $prog incidents ($same) first, score $low and more; $other below ${high_other:-0}"
		else
			bad "similar $i: expected $same first (>= 0.5, others < 0.5); got $(tr '\n' ';' <"$work/sim")"
		fi
	done
done
"$bin" similar --db "$db" 3 >"$work/sim"
grep -qx "this hang also happened on 2026-03-02 (incident 1)" "$work/sim" &&
	ok "similar names the earlier dates of the same hang" || bad "similar 3: $(tail -1 "$work/sim")"
"$bin" similar --db "$db" --all 3 >"$work/sim"
grep -q "this hang also happened on 2026-03-02 (incident 1) and 2026-07-04 (incident 5)" "$work/sim" &&
	ok "similar --all names the later one too" || bad "similar --all 3: $(tail -1 "$work/sim")"
"$bin" similar --db "$db" --limit 1 --format csv 3 | tr -d '\r' | tail -n +2 >"$work/sim"
[ "$(wc -l <"$work/sim")" -eq 1 ] && ok "similar --limit" || bad "similar --limit 1 gave $(wc -l <"$work/sim") rows"
grep -q "finding:cancel_unobserved:main\." "$work/sim" || grep -q "bucket:main\." "$work/sim" &&
	ok "similar shows the shared terms" || bad "similar: no shared terms in $(cat "$work/sim")"
"$bin" similar --db "$db" 42 >/dev/null 2>"$work/err"
[ $? -eq 1 ] && grep -q "no incident 42" "$work/err" && ok "similar refuses a missing incident" ||
	bad "similar 42: $(cat "$work/err")"

# ---- diff --------------------------------------------------------------
# funcs_of PROGRAM: the function names its sources define (methods and
# closures are named after the function that contains them).
funcs_of() {
	sed -n 's/^func \(([^)]*) \)\{0,1\}\([A-Za-z0-9_]*\).*/\2/p' "$corpus/programs/$1"/*.go | sort -u
}
funcs_of hang >"$work/hang.funcs"
funcs_of diag >"$work/diag.funcs"
h=$(ids_of hang | head -1) d=$(ids_of diag | tail -1)
"$bin" diff --db "$db" "$h" "$d" >"$work/diff"
# Every goroutine group that appeared ends in diag's code, every one that
# vanished in hang's: their first main.* function is defined there and not
# in the other program.
check_groups() { # check_groups CHANGE PROGRAM OTHER
	n=0 wrong=
	for f in $(awk -v c="$1" '$1 == c' "$work/diff" | grep -o 'main\.[A-Za-z0-9_]*' | awk '!seen[$0]++' | sed 's/^main\.//'); do
		n=$((n + 1))
		grep -qx "$f" "$work/$2.funcs" && ! grep -qx "$f" "$work/$3.funcs" || wrong="$wrong $f"
	done
	[ "$n" -ge 5 ] && [ -z "$wrong" ] && ok "diff $h $d: $n functions of $1 groups are $2's" ||
		bad "diff $h $d: $1: $n functions, not $2's:$wrong"
}
check_groups appeared diag hang
check_groups vanished hang diag
# The 20 bucket waiters of the diag program (main.go) appear as one group.
grep -q '^  appeared *0 -> 20 *main.diagBucketWaiter$' "$work/diff" && ok "diff counts a group's goroutines" ||
	bad "diff: no 'appeared 0 -> 20 main.diagBucketWaiter'"
# Findings: diag's leaks and cycles are new, each with its culprit; hang's
# canceled-context holders are gone.
# (The hang incident has none of either: every group of the diag one is new.)
want=$(q "$d" "SELECT count(*) FROM (SELECT DISTINCT func, obj_kind FROM leak_suspect WHERE incident_id = ?1)")
got=$(grep -c "^  new .* leak_suspect main\." "$work/diff")
[ "$want" -ge 1 ] && [ "$got" = "$want" ] && ok "diff: $got leak_suspect groups new, as the views say" ||
	bad "diff: $got leak_suspect groups new, the views say $want"
want=$(q "$d" "SELECT count(DISTINCT l.func) FROM wait_cycle AS y JOIN long_wait AS l USING (incident_id, goid) WHERE y.incident_id = ?1")
got=$(grep -c "^  new .* wait_cycle main\." "$work/diff")
[ "$want" -ge 1 ] && [ "$got" = "$want" ] && ok "diff: $got wait_cycle groups new, as the views say" ||
	bad "diff: $got wait_cycle groups new, the views say $want"
got=$(grep -c "^  gone .* cancel_unobserved main\." "$work/diff")
want=$(q "$h" "SELECT count(*) FROM (SELECT DISTINCT func, ctx_kind FROM cancel_unobserved WHERE incident_id = ?1
	EXCEPT SELECT DISTINCT func, ctx_kind FROM cancel_unobserved WHERE incident_id = $d)")
[ "$got" = "$want" ] && ok "diff: $got cancel_unobserved groups gone, as the views say" ||
	bad "diff: $got cancel_unobserved groups gone, the views say $want"
grep -q "^context trees" "$work/diff" && grep -q "^  changed .* at depth [0-9]" "$work/diff" &&
	ok "diff compares context tree shapes" || bad "diff: no context shape change"
# The same hang rebuilt: no goroutine group and no finding differ.
h2=$(ids_of hang | tail -1)
"$bin" diff --db "$db" "$h" "$h2" >"$work/diff2"
grep -q "^0 goroutine groups, 0 findings" "$work/diff2" && ok "diff of the same hang rebuilt: no group or finding differs" ||
	bad "diff $h $h2: $(tail -1 "$work/diff2")"
# A group that changes size: one goroutine of hang's 6 context-tree waiters
# (hang/contexts.go) taken out of a copy of the rebuilt hang's incident.
if command -v sqlite3 >/dev/null; then
	cp "$db" "$work/edited.db"
	goid=$(q "$h2" "SELECT min(g.goid) FROM goroutine AS g JOIN _stack_funcs AS s USING (incident_id, stack_id)
		WHERE g.incident_id = ?1 AND s.funcs = 'main.ctxTreeWaiter'")
	# Goroutine rows changed by hand: incident.goroutine_groups NULL, and
	# the next command that opens the database for writing counts the
	# incident's groups (goroutine_group) again (store/schema.sql, version 14).
	sqlite3 "$work/edited.db" "DELETE FROM goroutine WHERE incident_id = $h2 AND goid = $goid;
		UPDATE incident SET goroutine_groups = NULL WHERE id = $h2"
	"$bin" tag --db "$work/edited.db" "$h2" edited=yes
	"$bin" diff --db "$work/edited.db" "$h" "$h2" >"$work/diff3"
	"$bin" diff --db "$work/edited.db" "$h2" "$h" >"$work/diff4"
	grep -q '^  shrank *6 -> 5 *main.ctxTreeWaiter$' "$work/diff3" && grep -q '^  grew *5 -> 6 *main.ctxTreeWaiter$' "$work/diff4" &&
		grep -q '^1 goroutine groups' "$work/diff3" && ok "diff: a group that shrank, and grew the other way" ||
		bad "diff of a group 6 -> 5: $(grep ctxTreeWaiter "$work/diff3" "$work/diff4")"
fi
"$bin" diff --db "$db" "$d" "$d" | grep -q "^0 goroutine groups, 0 findings and 0 context shapes differ" &&
	ok "diff of an incident with itself is empty" || bad "diff $d $d is not empty"
# diff --format json: the rows the text counts, section by section.
if command -v python3 >/dev/null; then
	"$bin" diff --db "$db" --format json 1 "$d" >"$work/diff.json"
	"$bin" diff --db "$db" 1 "$d" | tail -1 >"$work/diff.last"
	got=$(python3 -c 'import json, sys
d = json.load(open(sys.argv[1]))
print("%d goroutine groups, %d findings and %d context shapes differ" % (len(d["goroutine_groups"]),
      len(d["findings"]), len(d["context_trees"])), d["a"]["incident_id"], d["b"]["incident_id"])' "$work/diff.json")
	[ "$got" = "$(cat "$work/diff.last") 1 $d" ] && ok "diff --format json: $got" ||
		bad "diff --format json: '$got', text: $(cat "$work/diff.last")"
fi
"$bin" diff --db "$db" 1 >/dev/null 2>&1
[ $? -eq 2 ] && ok "diff wants two incidents" || bad "diff with one incident did not exit 2"

# ---- analyze --keep-core and core ------------------------------------
first=$(head -1 "$work/plan" | cut -d' ' -f1)
"$bin" core --db "$db" 1 --to "$work/none.zst" 2>"$work/err"
[ $? -eq 1 ] && grep -q "not kept" "$work/err" && [ ! -e "$work/none.zst" ] &&
	ok "core: a core not kept is a clear error" || bad "core 1 before --keep-core: $(cat "$work/err")"
"$bin" analyze -q --keep-core --db "$db" --exe "$work/$first.exe" "$work/$first.core.zst" >"$work/id"
[ "$(cat "$work/id")" = 1 ] && [ "$(inc 1 core_kept)" = 1 ] && ok "--keep-core on a known core keeps it" ||
	bad "--keep-core on incident 1: id $(cat "$work/id"), core_kept $(inc 1 core_kept)"
"$bin" core --db "$db" 1 --to "$work/back.zst" 2>/dev/null && cmp -s "$work/back.zst" "$work/$first.core.zst" &&
	ok "core gives back a .zst core byte for byte" || bad "core 1: not the .zst given"
"$bin" core --db "$db" 1 --to "$work/back.zst" 2>"$work/err"
[ $? -eq 1 ] && grep -q "File exists" "$work/err" && ok "core does not overwrite a file" || bad "core over a file: $(cat "$work/err")"
# A raw core: compressed by gocoroner, stored once for it and its .zst copy.
raw=hang-go1.19-opt-kernel
zstd -q -d -f "$corpus/$(col exe "$raw")" -o "$work/raw.exe"
zstd -q -d -f "$corpus/$(col core "$raw")" -o "$work/raw.core"
"$bin" analyze -q --keep-core --db "$db" --exe "$work/raw.exe" "$work/raw.core" >"$work/id" 2>"$work/err" ||
	bad "analyze --keep-core raw: $(cat "$work/err")"
rid=$(cat "$work/id")
"$bin" analyze -q --keep-core --db "$db" --exe "$work/raw.exe" "$corpus/$(col core "$raw")" >"$work/id2"
blobs=$(sqlite3 "$db" "SELECT count(*) FROM core_blob" 2>/dev/null || q 1 "SELECT count(*) FROM core_blob")
[ "$(cat "$work/id2")" = "$rid" ] && [ "$blobs" = 2 ] && ok "one blob per core: raw and .zst are one" ||
	bad "raw then .zst: incidents $rid, $(cat "$work/id2"); $blobs blobs"
"$bin" core --db "$db" "$rid" --to "$work/raw.back.zst" 2>/dev/null &&
	zstd -q -d -c "$work/raw.back.zst" | cmp -s - "$work/raw.core" &&
	ok "core gives back a raw core, zstd-compressed" || bad "core $rid: does not decompress to the raw core"
size=$(q "$rid" "SELECT b.size FROM core_blob b JOIN incident i ON i.core_sha256 = b.sha256 WHERE i.id = ?1")
[ "$size" = "$(wc -c <"$work/raw.core" | tr -d ' ')" ] && ok "core_blob.size is the raw size" ||
	bad "core_blob.size $size, raw core $(wc -c <"$work/raw.core") bytes"
# The kept core is a core gocoroner reads: the same incident again.
"$bin" analyze -q --db "$db" --exe "$work/raw.exe" "$work/raw.back.zst" >"$work/id3"
[ "$(cat "$work/id3")" = "$rid" ] && ok "the kept core is the same incident" || bad "kept core analyzed as incident $(cat "$work/id3")"

# ---- capture time: file name, --captured-at, file mtime -----------------
# A copy has the copy's time: a systemd-coredump name
# (core.COMM.UID.BOOTID.PID.USEC, systemd's coredump.c) says when the dump
# was made, in microseconds; --captured-at overrides both.
ct=$work/captime.db
sd=$work/sd
mkdir -p "$sd"
name=$(sed -n 3p "$work/plan" | cut -d' ' -f1)
usec=1772460309123456
want=$(date -u -d @1772460309 +%Y-%m-%dT%H:%M:%SZ)
cp "$work/$name.core.zst" "$sd/core.hang.1000.0123456789abcdef0123456789abcdef.4242.$usec.zst"
"$bin" analyze --db "$ct" --exe "$work/$name.exe" "$sd/core.hang.1000.0123456789abcdef0123456789abcdef.4242.$usec.zst" \
	>"$work/out" 2>"$work/err"
got=$("$bin" query --db "$ct" --format csv "SELECT captured_at, captured_at_source FROM incident" | tail -n +2 | tr -d '\r')
[ "$got" = "$want,file name" ] && grep -q "^  captured $want (file name)$" "$work/out" &&
	ok "a systemd-coredump name gives the capture time ($want), and analyze says so" ||
	bad "systemd-coredump name: '$got', header '$(grep captured "$work/out")', expected $want: $(cat "$work/err")"
grep -q "^  executable hang, read from $work/$name.exe (" "$work/out" &&
	ok "analyze names the executable as the core does, and the file it read" ||
	bad "analyze's executable line: $(grep executable "$work/out")"
name2=$(sed -n 4p "$work/plan" | cut -d' ' -f1)
"$bin" analyze --db "$ct" --exe "$work/$name2.exe" --captured-at 2026-02-03T04:05:06Z \
	"$work/$name2.core.zst" >"$work/out" 2>"$work/err"
got=$("$bin" incidents --db "$ct" --format csv | tr -d '\r' | awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
	$1 == 2 { print $c["captured_at"] "," $c["captured_from"] }')
[ "$got" = "2026-02-03T04:05:06Z,option" ] && grep -q "^  captured 2026-02-03T04:05:06Z (option)$" "$work/out" &&
	ok "--captured-at sets the capture time; incidents names its source" ||
	bad "--captured-at: incidents says '$got': $(cat "$work/err")"
name3=$(sed -n 5p "$work/plan" | cut -d' ' -f1)
"$bin" analyze -q --db "$ct" --exe "$work/$name3.exe" --captured-at @1772460309 "$work/$name3.core.zst" >/dev/null &&
	[ "$("$bin" query --db "$ct" --format csv "SELECT captured_at FROM incident WHERE id = 3" | tail -1 | tr -d '\r')" = "$want" ] &&
	ok "--captured-at @EPOCH" || bad "--captured-at @1772460309 is not $want"
"$bin" incidents --db "$db" --format csv | tr -d '\r' | awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
	{ print $c["captured_from"] }' | sort -u >"$work/src"
[ "$(cat "$work/src")" = "file mtime" ] && ok "a plain file's time is said to be its mtime" ||
	bad "captured_from of the touched copies: $(cat "$work/src")"
for t in 2026-02-30T00:00:00Z 2026-03-02 "2026-03-02T10:00:00+01:00" @ @12x yesterday; do
	"$bin" analyze --db "$ct" --captured-at "$t" "$work/$name.core.zst" >/dev/null 2>"$work/err"
	rc=$?
	[ $rc -eq 2 ] && grep -q "^gocoroner analyze: --captured-at takes .*, not '$t'$" "$work/err" ||
		bad "--captured-at '$t': status $rc, $(cat "$work/err")"
done
ok "--captured-at refuses what is not a UTC time, naming the option"

echo "# $pass passed, $fail failed"
[ "$fail" -eq 0 ]
