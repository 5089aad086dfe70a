#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# test-cli.sh: the gocoroner command end to end — analyze corpus cores into a
# database, print them back with 'traceback' and compare with Go's own dump
# text; and every kind of bad input gets a one-line error naming the file,
# a non-zero exit and no change to an existing database.
set -u
. "${TOP_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}/tests/corpus-lib.sh"
corpus_setup cli

# Goroutine blocks of a traceback, one line each, argument values dropped,
# sorted; goroutines on a CPU (running/runnable) and the dumper left out.
blocks() { # blocks FILE DUMPER
	awk -v dumper="$2" '
		/^goroutine [0-9]+ / { id = $2; skip = (id == dumper) || /\[(running|runnable)/
			sub(/ gp=[^ ]* m=[^ ]*( mp=[^ ]*)?/, ""); cur = $0; next }
		/^$/ { if (cur != "" && !skip) print cur; cur = ""; next }
		cur == "" { next }
		/^\t/ { sub(/ fp=.*/, ""); cur = cur " | " $0; next }
		/^created by / { cur = cur " | " $0; next }
		{ sub(/\(.*\)$/, "(...)"); cur = cur " | " $0 }
		END { if (cur != "" && !skip) print cur }' "$1" | sort
}

db=$work/archive.db
for name in hang-go1.19-opt-gcore hang-go1.22-debug-gcore hang-go1.24-opt-gcore \
	hang-go1.27-debug-gcore hang-go1.27-opt-kernel; do
	exe=$work/$name.exe
	zstd -q -d -f "$corpus/$(col exe "$name")" -o "$exe" || { bad "$name: decompress"; continue; }
	if ! "$bin" analyze -q --db "$db" --exe "$exe" "$corpus/$(col core "$name")" >"$work/id" 2>"$work/err"; then
		bad "$name: analyze failed: $(cat "$work/err")"
		continue
	fi
	id=$(cat "$work/id")
	sys=
	[ "$(col core_kind "$name")" = kernel ] && sys=--system
	"$bin" traceback --db "$db" --incident "$id" $sys >"$work/ours.txt"
	blocks "$work/ours.txt" 0 >"$work/ours.blocks"
	blocks "$corpus/$(col traceback "$name")" "$(col dumper_goid "$name")" >"$work/theirs.blocks"
	n=$(wc -l <"$work/theirs.blocks")
	if [ "$n" -gt 5 ] && cmp -s "$work/ours.blocks" "$work/theirs.blocks"; then
		ok "$name: traceback text matches Go's for $n goroutines"
	else
		bad "$name: traceback differs from Go's:"
		diff "$work/theirs.blocks" "$work/ours.blocks" | head -10
	fi
	# The same core again is not a new incident.
	again=$("$bin" analyze -q --db "$db" --exe "$exe" "$corpus/$(col core "$name")")
	[ "$again" = "$id" ] && ok "$name: ingesting twice keeps one incident" ||
		bad "$name: second ingest gave incident $again, not $id"
	# The goroutines listing names every scenario goroutine the program reported.
	"$bin" goroutines --db "$db" --incident "$id" >"$work/list.txt"
	missing=0
	for g in $(sed -n 's/^scenario [^ ]* goid=\([0-9]*\)$/\1/p' "$corpus/$(col stdout "$name")"); do
		grep -q "^ *$g " "$work/list.txt" || missing=$((missing + 1))
	done
	[ $missing -eq 0 ] && ok "$name: goroutines lists every scenario goroutine" ||
		bad "$name: $missing scenario goroutines missing from the listing"
done

# --timings: every stage of the snapshot and of the store is told on stderr,
# each with a start and a duration that add up, and stdout stays the id.
tdb=$work/timings.db
core27t=$corpus/$(col core hang-go1.27-debug-gcore)
if "$bin" analyze -q --timings --db "$tdb" --exe "$work/hang-go1.27-debug-gcore.exe" \
	"$core27t" >"$work/t.out" 2>"$work/t.err"; then
	stages=$(awk 'NR > 1 && !/^total/ { $1 = ""; $NF = ""; $(NF-1) = ""; $(NF-2) = ""; $(NF-3) = ""; sub(/^ +/, ""); sub(/ +$/, ""); print }' \
		"$work/t.err" | tr '\n' ',')
	want="open core,open executable,goroutines,fingerprint,start writer,contexts,open database,store goroutines,wait for contexts,waits,store contexts,store context indexes,defers,reach,wait for waits,snapshot done,wait for writer,writer done,wait for defers,store defers,store waits,store reach,store indexes,store summary,store commit,publish,print summary,wait for checkpoint,"
	# Which thread gets to each stage first varies; the set of stages does not.
	got_sorted=$(echo "$stages" | tr ',' '\n' | sort | tr '\n' ',')
	want_sorted=$(echo "$want" | tr ',' '\n' | sort | tr '\n' ',')
	[ "$got_sorted" = "$want_sorted" ] && ok "analyze --timings: every stage told" ||
		bad "analyze --timings: stages $stages"
	awk 'NR > 1 && !/^total/ && ($(NF) < 0 || $(NF-1) < 0 || $(NF-2) < 0 || $(NF-3) < 0) { exit 1 }
	     /^total [0-9.]+ s, peak memory [0-9.]+ MiB$/ { t = 1 } END { exit !t }' "$work/t.err" &&
		ok "analyze --timings: times and peak memory" ||
		bad "analyze --timings: $(cat "$work/t.err")"
	grep -qx '[0-9][0-9]*' "$work/t.out" && ok "analyze --timings: stdout is the incident id" ||
		bad "analyze --timings: stdout $(cat "$work/t.out")"
else
	bad "analyze --timings failed: $(cat "$work/t.err")"
fi

# A new database is written under a temporary name and appears complete, in
# WAL mode, and nothing else is left beside it. An analyze interrupted
# (SIGTERM, here at a stage of the writer) or failing leaves neither.
ndb=$work/new/fresh.db
mkdir -p "$work/new"
"$bin" analyze -q --db "$ndb" --exe "$work/hang-go1.27-debug-gcore.exe" "$core27t" >/dev/null 2>"$work/err" &&
	[ "$(sqlite3 "$ndb" "PRAGMA journal_mode; PRAGMA integrity_check; SELECT count(*) FROM incident" |
		tr '\n' ' ')" = "wal ok 1 " ] && [ "$(ls "$work/new")" = fresh.db ] &&
	ok "analyze into a new database: complete, WAL, nothing left beside it" ||
	bad "analyze into a new database: $(cat "$work/err"; ls "$work/new")"
rm -f "$work/new/"*
test_bin=${GOCORONER_TEST_BIN:-}
if [ -x "$test_bin" ]; then
	for st in "store goroutines" "store contexts" "store summary" publish; do
		GOCORONER_TEST_SIGNAL_AT=$st "$test_bin" analyze -q --db "$ndb" --exe "$work/hang-go1.27-debug-gcore.exe" "$core27t" \
			>/dev/null 2>"$work/err"
		rc=$?
		[ $rc = 143 ] && [ -z "$(ls "$work/new")" ] &&
			ok "analyze into a new database, SIGTERM at $st: no file left" ||
			bad "SIGTERM at $st: status $rc, files $(ls "$work/new") $(cat "$work/err")"
		rm -f "$work/new/"*
	done
	GOCORONER_TEST_SNAPSHOT_FAIL=reach "$test_bin" analyze -q --db "$ndb" --exe "$work/hang-go1.27-debug-gcore.exe" "$core27t" \
		>/dev/null 2>"$work/err"
	rc=$?
	[ $rc = 1 ] && [ -z "$(ls "$work/new")" ] &&
		ok "analyze into a new database failing: no file left" ||
		bad "analyze into a new database failing: status $rc, files $(ls "$work/new")"
fi
rmdir "$work/new"

# --exe prog.zst: a compressed executable is read as the raw one is: its
# goroutines match Go's traceback, and the raw executable then finds the
# same incident (the same build id).
zname=hang-go1.27-opt-kernel
zdb=$work/zexe.db
if "$bin" analyze -q --db "$zdb" --exe "$corpus/$(col exe "$zname")" "$corpus/$(col core "$zname")" \
	>"$work/zid" 2>"$work/err"; then
	"$bin" traceback --db "$zdb" --system >"$work/z.txt"
	blocks "$work/z.txt" 0 >"$work/z.blocks"
	blocks "$corpus/$(col traceback "$zname")" "$(col dumper_goid "$zname")" >"$work/z.theirs"
	again=$("$bin" analyze -q --db "$zdb" --exe "$work/$zname.exe" "$corpus/$(col core "$zname")")
	cmp -s "$work/z.blocks" "$work/z.theirs" && [ "$again" = "$(cat "$work/zid")" ] &&
		ok "--exe X.zst: read decompressed; the raw executable finds the same incident" ||
		bad "--exe X.zst: traceback differs or the raw executable gave incident $again"
else
	bad "--exe X.zst: $(cat "$work/err")"
fi

# The status line on a terminal (a pseudo-terminal from script(1)): every
# phase named, rewritten in place, erased before the summary; nothing of it
# when stderr is a file, or with --quiet.
if command -v script >/dev/null; then
	pname=hang-go1.27-debug-gcore
	script -qc "'$bin' analyze --db '$work/pty.db' --exe '$work/$pname.exe' '$corpus/$(col core "$pname")'" \
		/dev/null >"$work/pty.out" 2>&1 </dev/null
	esc=$(printf '\033')
	tr '\r' '\n' <"$work/pty.out" | sed "s/^$esc\[K//" >"$work/pty.lines"
	missing=
	for phase in "opening the core" "reading goroutines [0-9,]*/[0-9,]*" "reading contexts" \
		"heap marking" "writing goroutines" "writing indexes" "writing the summary" "committing"; do
		grep -q "^analyze: \(.* | \)\?$phase\( |\|$\)" "$work/pty.lines" || missing="$missing, $phase"
	done
	[ -z "$missing" ] && grep -q "$esc\[Kincident 1: gcore core " "$work/pty.out" &&
		ok "analyze on a terminal: a status line for every phase, erased before the summary" ||
		bad "analyze on a terminal: missing ${missing#, }: $(head -c 600 "$work/pty.out" | tr '\r' '/')"
	script -qc "'$bin' analyze -q --db '$work/pty2.db' --exe '$work/$pname.exe' '$corpus/$(col core "$pname")'" \
		/dev/null >"$work/pty.q" 2>&1 </dev/null
	"$bin" analyze --db "$work/pty3.db" --exe "$work/$pname.exe" "$corpus/$(col core "$pname")" \
		>/dev/null 2>"$work/pty.err"
	! grep -q "analyze: " "$work/pty.q" && [ ! -s "$work/pty.err" ] &&
		ok "no status line with --quiet, nor when stderr is not a terminal" ||
		bad "status line where none is wanted: $(head -c 300 "$work/pty.q" "$work/pty.err" | tr '\r' '/')"
fi

# analyze --format json: one object for scripts, the numbers the database
# and the finding views hold.
if command -v python3 >/dev/null; then
	jname=hang-go1.27-opt-kernel
	"$bin" analyze --format json --db "$work/json.db" --exe "$work/$jname.exe" \
		"$corpus/$(col core "$jname")" >"$work/a.json" 2>"$work/err"
	want=$(sqlite3 "$work/json.db" "SELECT id, (SELECT count(*) FROM goroutine), go_version,
		(SELECT count(*) FROM cancel_unobserved), exe_name FROM incident" | tr '|' ' ')
	got=$(python3 -c 'import json, sys
d = json.load(open(sys.argv[1]))
assert sum(s["user"] + s["system"] for s in d["by_state"]) == d["goroutines"]
print(d["incident"], d["goroutines"], d["go_version"], d["findings"]["cancel_unobserved"], d["executable"])' \
		"$work/a.json" 2>&1)
	[ -n "$want" ] && [ "$got" = "$want" ] && ok "analyze --format json: id, goroutines, Go release, findings ($got)" ||
		bad "analyze --format json: '$got', the database says '$want': $(head -c 300 "$work/a.json") $(cat "$work/err")"
	"$bin" analyze --format yaml --db "$work/json.db" "$corpus/$(col core "$jname")" 2>"$work/err"
	[ $? -eq 2 ] && grep -q "^gocoroner analyze: --format takes text or json, not 'yaml'$" "$work/err" &&
		ok "analyze --format yaml is refused" || bad "analyze --format yaml: $(cat "$work/err")"
fi

# 'contexts' draws the trees from the tables: rows written here by hand, so
# the drawing is checked apart from how contexts are found. A holder that
# would pass 100 characters on its context's line goes on the next one.
cdb=$work/contexts.db
if "$bin" analyze -q --db "$cdb" --exe "$work/hang-go1.27-debug-gcore.exe" \
	"$corpus/$(col core hang-go1.27-debug-gcore)" >/dev/null 2>&1; then
	# The canceled contexts derived from the rows (schema version 10) are
	# computed again at the next writable open ('tag' below).
	sqlite3 "$cdb" "DELETE FROM context_child; DELETE FROM goroutine_context; DELETE FROM context;
	UPDATE incident SET context_sets = NULL;
	INSERT INTO context (incident_id, addr, kind, type_name, parent_addr, done_closed, canceled)
	  VALUES (1, 4096, 'background', 'context.backgroundCtx', NULL, 0, 0);
	INSERT INTO context (incident_id, addr, kind, type_name, parent_addr, done_closed, canceled, err, cause)
	  VALUES (1, 8192, 'cancel', '*context.cancelCtx', 4096, 1, 1, 'context canceled', 'upstream reset');
	INSERT INTO context (incident_id, addr, kind, type_name, parent_addr, done_closed, canceled, value_key, value_text)
	  VALUES (1, 12288, 'value', '*context.valueCtx', 8192, 0, 0, '\"request_id\"', '\"r-1\"');
	INSERT INTO context (incident_id, addr, kind, type_name, parent_addr, done_closed, canceled)
	  VALUES (1, 16384, 'user', 'main.detachedCtx', 12288, 0, NULL);
	INSERT INTO context (incident_id, addr, kind, type_name, parent_addr, done_closed, canceled, deadline_unix_ns, timer_pending)
	  VALUES (1, 20480, 'timer', '*context.timerCtx', 4096, 0, 0, 1795000000000000000, 1);
	INSERT INTO goroutine_context VALUES (1, 1, 0, 0, 'ctx', 16384, 'dwarf', 'dwarf-unverified');
	INSERT INTO goroutine_context VALUES (1, 2, 0, NULL, NULL, 20480, 'stack-scan', 'stack-scan-live');"
	"$bin" contexts --db "$cdb" >"$work/ctx.txt" 2>&1
	cat >"$work/ctx.want" <<'WANT'
0x1000 background
  0x2000 cancel  CANCELED (context canceled; cause: upstream reset)
    0x3000 value "request_id"="r-1"
      0x4000 user main.detachedCtx  (cancellation unknown: user type)
          <- goroutine 1 (FUNC ctx unverified)
  0x5000 timer deadline 2026-11-18T11:06:40Z (timer pending)  <- goroutine 2
WANT
	f0=$(sqlite3 "$cdb" "SELECT f.func FROM goroutine g JOIN frame f USING (incident_id, stack_id) WHERE g.goid = 1 AND f.depth = 0")
	sed -i "s|FUNC|$f0|" "$work/ctx.want"
	cmp -s "$work/ctx.txt" "$work/ctx.want" && ok "contexts draws the tree, canceled nodes and holders (unverified marked)" ||
		{ bad "contexts output differs:"; diff "$work/ctx.want" "$work/ctx.txt" | head; }
	"$bin" contexts --db "$cdb" --goid 2 >"$work/ctx2.txt" 2>&1
	[ "$(cat "$work/ctx2.txt")" = "$(sed -n '1p;6p' "$work/ctx.want")" ] &&
		ok "contexts --goid keeps only that goroutine's contexts and their ancestors" ||
		{ bad "contexts --goid 2:"; cat "$work/ctx2.txt"; }
	# Goroutine 1 (parked) holding the canceled tree through a frame without
	# usable stack maps: reported, labelled probable.
	sqlite3 "$cdb" "UPDATE goroutine_context SET ctx_addr = 12288 WHERE goid = 1"
	"$bin" tag --db "$cdb" 1 hand-written=yes >/dev/null
	"$bin" report --db "$cdb" >"$work/rep.txt" 2>&1
	grep -A1 "^  at .*, variable ctx$" "$work/rep.txt" |
		grep -q "^  probable: no stack maps vouch that the context is live there$" &&
		ok "report labels a finding resting on an unverified holding probable" ||
		{ bad "report of an unverified holding:"; head -5 "$work/rep.txt"; }
fi

# A leak suspect of an incomplete heap scan (memory missing from the core)
# is reported, labelled probable (leak_suspect.evidence).
ldb=$work/leaks.db
zstd -q -d -f "$corpus/$(col exe diag-go1.24-opt-gcore)" -o "$work/diag24.exe"
if "$bin" analyze -q --db "$ldb" --exe "$work/diag24.exe" \
	"$corpus/$(col core diag-go1.24-opt-gcore)" >/dev/null 2>&1; then
	"$bin" report --db "$ldb" >"$work/leaks1.txt" 2>&1
	sqlite3 "$ldb" "UPDATE heap_scan SET complete = 0"
	"$bin" report --db "$ldb" >"$work/leaks2.txt" 2>&1
	if grep -q "^== LEAK goroutine " "$work/leaks1.txt" && ! grep -q "probable:" "$work/leaks1.txt" &&
		[ "$(grep -c "^  probable: the heap scan was incomplete" "$work/leaks2.txt")" -ge 1 ]; then
		ok "report labels the leaks of an incomplete heap scan probable, and only those"
	else
		bad "report of leaks after an incomplete heap scan:"; grep -A3 "^== LEAK" "$work/leaks2.txt" | head -6
	fi
else
	bad "diag-go1.24-opt-gcore: analyze failed"
fi

count() { sqlite3 "$db" "SELECT COUNT(*) FROM incident; SELECT COUNT(*) FROM goroutine;" | tr '\n' ' '; }
before=$(count)

# expect_error NAME PATTERN ARGS...: fails cleanly, one line naming the problem.
expect_error() {
	what=$1 pattern=$2
	shift 2
	timeout 60 "$bin" "$@" >"$work/out" 2>"$work/err" </dev/null
	rc=$?
	if [ $rc -eq 124 ]; then
		bad "$what: still running after 60 s"
	elif [ $rc -eq 0 ]; then
		bad "$what: exit status 0"
	elif [ $rc -ge 128 ]; then
		bad "$what: killed by signal $((rc - 128))"
	elif [ "$(wc -l <"$work/err")" -ne 1 ] || ! grep -q -- "$pattern" "$work/err"; then
		bad "$what: error was: $(cat "$work/err")"
	else
		ok "$what: $(cat "$work/err")"
	fi
}

exe19=$work/hang-go1.19-opt-gcore.exe
exe27=$work/hang-go1.27-debug-gcore.exe
core27=$corpus/$(col core hang-go1.27-debug-gcore)
: >"$work/empty"
expect_error "empty core" "empty" analyze --db "$db" --exe "$exe27" "$work/empty"
printf 'not a core at all\n' >"$work/text"
expect_error "non-ELF core" "not an ELF" analyze --db "$db" --exe "$exe27" "$work/text"
zstd -q -d -c "$core27" | head -c 200000 >"$work/truncated.core"
expect_error "truncated core" "truncated\|past the end\|extends past" analyze --db "$db" --exe "$exe27" "$work/truncated.core"
head -c 100000 "$core27" >"$work/truncated.zst"
expect_error "truncated .zst core" "truncated\|zstd" analyze --db "$db" --exe "$exe27" "$work/truncated.zst"
expect_error "core of another executable" "build id" analyze --db "$db" --exe "$exe19" "$core27"
head -c 100000 "$corpus/$(col exe hang-go1.27-debug-gcore)" >"$work/truncated-exe.zst"
expect_error "truncated .zst executable" "truncated-exe.zst: truncated zstd stream" \
	analyze --db "$db" --exe "$work/truncated-exe.zst" "$core27"
expect_error "core as the executable" "executable\|not an ELF\|EXEC\|core" analyze --db "$db" --exe "$work/text" "$core27"
expect_error "non-Go executable" "not a Go executable" analyze --db "$db" --exe /bin/sh "$core27"
stripped=$work/stripped
# A stripped executable is read (test-stripped.sh), but it must be the core's,
# and of a release gocoroner has built-in layouts for.
if zstd -q -d -f "$top/tests/data/stripped-go1.27.zst" -o "$stripped" 2>/dev/null; then
	expect_error "stripped Go executable of another program" "was not produced by" \
		analyze --db "$db" --exe "$stripped" "$core27"
	LC_ALL=C sed 's/go1\.27\.3/go1.20.3/g' "$stripped" >"$stripped.120"
	expect_error "stripped Go executable without built-in layouts" \
		"stripped.120: has no DWARF debug info .* no built-in layouts for go1.20.3" \
		analyze --db "$db" --exe "$stripped.120" "$core27"
fi
expect_error "missing core file" "No such file" analyze --db "$db" --exe "$exe27" "$work/nope.core"
expect_error "executable named by the core is not here" "--exe" analyze --db "$db" "$core27"
expect_error "unknown incident" "no incident" traceback --db "$db" --incident 999
printf 'SQLite format 3\0garbage' >"$work/not.db"
expect_error "database that is not SQLite" "not.db" analyze --db "$work/not.db" --exe "$exe27" "$core27"
expect_error "bad option" "^gocoroner analyze: unknown option '--frobnicate'; see 'gocoroner analyze --help'$" \
	analyze --frobnicate
# Every command named in the usage text answers 'help CMD' with its own
# --help, and names a bad option and what is wrong with it, with status 2.
cmds=$("$bin" help | sed -n 's/^  \([a-z]\{2,\}\)  .*/\1/p')
[ "$(echo "$cmds" | wc -l)" -ge 15 ] && ok "help lists the commands: $(echo $cmds)" ||
	bad "help lists: $cmds"
for c in $cmds; do
	"$bin" help "$c" >"$work/h1" 2>&1; r1=$?
	"$bin" "$c" --help >"$work/h2" 2>&1
	[ $r1 -eq 0 ] && cmp -s "$work/h1" "$work/h2" && grep -q "^usage: gocoroner $c " "$work/h1" ||
		bad "help $c: status $r1, $(head -2 "$work/h1")"
done
ok "help CMD prints CMD --help for every command"
for c in analyze query incidents tag similar diff core forget export import; do
	"$bin" "$c" --foo 1 2 >/dev/null 2>"$work/err"; r1=$?
	"$bin" "$c" --db >/dev/null 2>"$work/err2"; r2=$?
	"$bin" "$c" --help=yes >/dev/null 2>"$work/err3"; r3=$?
	[ $r1 -eq 2 ] && [ "$(cat "$work/err")" = "gocoroner $c: unknown option '--foo'; see 'gocoroner $c --help'" ] &&
		[ $r2 -eq 2 ] && [ "$(cat "$work/err2")" = "gocoroner $c: option '--db' needs a value; see 'gocoroner $c --help'" ] &&
		[ $r3 -eq 2 ] && [ "$(cat "$work/err3")" = "gocoroner $c: option '--help' takes no value; see 'gocoroner $c --help'" ] ||
		bad "$c bad options: $r1 $(cat "$work/err") / $r2 $(cat "$work/err2") / $r3 $(cat "$work/err3")"
done
ok "bad options name the option and what is wrong, status 2"
"$bin" analyze -x >/dev/null 2>"$work/err"; r1=$?
"$bin" analyze --db "$db" -e >/dev/null 2>"$work/err2"; r2=$?
[ $r1 -eq 2 ] && grep -q "unknown option '-x'" "$work/err" && [ $r2 -eq 2 ] && grep -q "option '-e' needs a value" "$work/err2" &&
	ok "short options: unknown, and missing a value" || bad "short options: $(cat "$work/err" "$work/err2")"
expect_error "a mistyped command" "^gocoroner: unknown command 'anlyze'; did you mean 'analyze'? See 'gocoroner help'.$" anlyze
expect_error "help of a mistyped command" "did you mean 'incidents'" help incidnets
expect_error "an unknown command" "^gocoroner: unknown command 'frobnicate'; see 'gocoroner help' for the commands$" frobnicate
"$bin" --version >"$work/v"
grep -q "^gocoroner [0-9]" "$work/v" && grep -q "^Copyright 2026 The gocoroner Authors$" "$work/v" &&
	grep -q "Apache-2.0" "$work/v" && grep -q "^database schema version $(sqlite3 "$db" 'PRAGMA user_version')$" "$work/v" &&
	ok "--version: version, copyright, licence, schema version" || bad "--version: $(cat "$work/v")"
# Files that are not regular files are refused before open(2) can block on
# them (a FIFO without a writer would wait forever): under timeout, so that
# a regression fails instead of hanging the test.
mkfifo "$work/fifo"
expect_error "FIFO as the core" "fifo: the core is a FIFO, not a regular file" \
	analyze --db "$db" --exe "$exe27" "$work/fifo"
expect_error "FIFO as the executable" "fifo: the executable is a FIFO" \
	analyze --db "$db" --exe "$work/fifo" "$core27"
expect_error "directory as the core" "the core is a directory" \
	analyze --db "$db" --exe "$exe27" "$work"
expect_error "device as the executable" "null: the executable is a character device" \
	analyze --db "$db" --exe /dev/null "$core27"
expect_error "FIFO as the database" "fifo: the database is a FIFO" \
	analyze --db "$work/fifo" --exe "$exe27" "$core27"
expect_error "FIFO as a database to read" "fifo: the database is a FIFO" \
	report --db "$work/fifo"
expect_error "FIFO as the database to import" "fifo: the database to read is a FIFO" \
	import --db "$work/imported.db" --from "$work/fifo"
expect_error "FIFO as the database to export to" "fifo: exists and is not a gocoroner database" \
	export --db "$db" --to "$work/fifo" 1
# A core whose goroutine list points at memory the core does not hold:
# zero every PT_LOAD's file size in the program headers (the memory is gone).
if command -v python3 >/dev/null; then
	zstd -q -d -c "$core27" >"$work/nomem.core" &&
		python3 - "$work/nomem.core" <<'EOF'
import struct, sys
with open(sys.argv[1], "r+b") as f:
    h = f.read(64)
    phoff, = struct.unpack_from("<Q", h, 32)
    phentsize, phnum = struct.unpack_from("<HH", h, 54)
    for i in range(phnum):
        f.seek(phoff + i * phentsize)
        p_type, p_flags = struct.unpack("<II", f.read(8))
        if p_type == 1 and p_flags & 2:          # writable PT_LOAD: heap, data
            f.seek(phoff + i * phentsize + 32)
            f.write(struct.pack("<Q", 0))        # p_filesz = 0
EOF
	expect_error "goroutine list in memory missing from the core" "not in the core" \
		analyze --db "$db" --exe "$exe27" "$work/nomem.core"
	rm -f "$work/nomem.core"
fi
# The work budget: a statement that runs away stops the command, status 1,
# with one line naming what ran out and how to lift the limit.
runaway="WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c"
t0=$(date +%s)
timeout 120 "$bin" query --db "$db" --budget 1000 "$runaway" >"$work/out" 2>"$work/err"
rc=$? secs=$(($(date +%s) - t0))
if [ $rc -eq 1 ] && [ $secs -lt 10 ] && [ ! -s "$work/out" ] && [ "$(wc -l <"$work/err")" -eq 1 ] &&
	grep -q "the SQL query did more than 1000 steps of work and was stopped.*--budget 0 for no limit" "$work/err"; then
	ok "a runaway query stops at its budget in $secs s: $(cat "$work/err")"
else
	bad "runaway query under --budget 1000: status $rc after $secs s: $(cat "$work/out" "$work/err")"
fi
n=$("$bin" query --db "$db" --format csv "SELECT count(*) AS n FROM goroutine" 2>"$work/err" | tail -n 1 | tr -d '\r')
[ -n "$n" ] && [ "$n" = "$(sqlite3 "$db" "SELECT count(*) FROM goroutine")" ] &&
	ok "a query under the default budget answers ($n goroutines)" ||
	bad "query under the default budget: '$n' $(cat "$work/err")"
n=$("$bin" query --db "$db" --budget 0 --format csv \
	"WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 200000) SELECT count(*) FROM c" |
	tail -n 1 | tr -d '\r')
[ "$n" = 200000 ] && ok "--budget 0 lets a long query finish" || bad "--budget 0: '$n'"
expect_error "library query past its budget" "the query goroutine_bucket (incident [0-9]*) did more than 1000 steps" \
	query --db "$db" --budget 1000 goroutine_bucket
expect_error "report past its budget" "the findings of incident [0-9]* (view [a-z_]*) did more than 1000 steps" \
	report --db "$db" --budget 1000
expect_error "analyze's report past its budget" "incident [0-9]* is stored in .*, but its report was stopped" \
	analyze --db "$db" --budget 1000 --exe "$exe27" "$core27"
expect_error "ingest past its budget" "not stored, nothing was written: .*(view [a-z_]*) did more than 1000 steps" \
	analyze --db "$work/budget.db" --budget 1000 --exe "$exe27" "$core27"
# A new database: not even the file, nor its temporary one.
left=$(ls "$work" | grep -c '^budget\.db')
[ "$left" = 0 ] && ok "an ingest stopped by its budget writes nothing" ||
	bad "after a stopped ingest: $(ls "$work" | grep '^budget\.db')"
sqlite3 "$work/budget.db" "VACUUM" # an existing (empty) one
expect_error "ingest past its budget, existing database" "not stored, nothing was written" \
	analyze --db "$work/budget.db" --budget 1000 --exe "$exe27" "$core27"
n=$(sqlite3 "$work/budget.db" "SELECT count(*) FROM incident")
[ "$n" = 0 ] && ok "an ingest stopped by its budget writes nothing into a database" ||
	bad "$n incidents after a stopped ingest"
expect_error "bad --budget" "--budget takes a number" query --db "$db" --budget lots "SELECT 1"

after=$(count)
[ "$before" = "$after" ] && ok "bad input left the database unchanged ($after)" ||
	bad "database changed by bad input: $before -> $after"
rm -f "$work/truncated.core"

echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
