#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# test-capture.sh: 'gocoroner capture PID' on a live corpus program (hang,
# Go 1.27, HANG_MODE=crash: it parks every goroutine, prints READY and waits
# forever) against gdb's gcore of the same parked state, taken right after:
# both cores analyze to the same goroutines (Go's traceback text: ids,
# states, wait reasons, every frame), channel and sync waits, and findings;
# gdb reads the captured core's threads, Delve (if installed) lists the same
# goroutines from both; the process runs on after the capture; bad process
# ids are refused without leaving a file. Skipped (77) without gdb's gcore
# or where ptrace is not permitted.
set -u
. "${TOP_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}/tests/corpus-lib.sh"
corpus_setup capture
command -v gcore >/dev/null && command -v gdb >/dev/null ||
	{ echo "gdb (gcore) not installed: skipped"; exit 77; }
exe_zst=$corpus/bin/hang-go1.27-opt.zst
[ -f "$exe_zst" ] || { echo "missing $exe_zst"; exit 1; }

pid=
stop() { [ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null; pid=; }
trap 'stop; rm -rf "$work"' EXIT

# The program, from a scratch directory with a minimal environment.
zstd -q -d -f "$exe_zst" -o "$work/hang" && chmod +x "$work/hang"
mkdir "$work/run"
(cd "$work/run" && ulimit -c 0 && exec env -i PATH=/usr/bin:/bin HOME=/nonexistent \
	HANG_MODE=crash "$work/hang" >stdout 2>stderr) &
pid=$!
i=0
until grep -q '^READY$' "$work/run/stdout" 2>/dev/null; do
	kill -0 "$pid" 2>/dev/null || { cat "$work/run/stderr"; echo "hang died"; exit 1; }
	i=$((i + 1))
	[ "$i" -lt 600 ] || { echo "hang not READY after 60 s"; exit 1; }
	sleep 0.1
done
sleep 1 # the last goroutines park

# The capture, analyzed at once.
db=$work/cap.db
cap=$work/cap.core.zst
if ! "$bin" capture -o "$cap" --analyze --db "$db" -q "$pid" >"$work/id" 2>"$work/err"; then
	if grep -q 'cannot stop it with ptrace' "$work/err"; then
		echo "ptrace not permitted here: skipped ($(cat "$work/err"))"
		exit 77
	fi
	bad "capture failed: $(cat "$work/err")"
	echo "1..$((pass + fail))"
	exit 1
fi
ok "capture --analyze: incident $(cat "$work/id")"
[ -s "$cap" ] && [ ! -e "$cap.tmp" ] && ok "core written, no temporary file left" ||
	bad "no core at $cap, or $cap.tmp left"
[ "$(head -c 4 "$cap" | od -An -tx1 | tr -d ' ')" = 28b52ffd ] && ok "the core is zstd" ||
	bad "the core is not a zstd stream"

# The process runs on: not stopped, not traced.
state=$(sed 's/.*) //' "/proc/$pid/stat" | cut -d' ' -f1)
tracer=$(awk '/^TracerPid:/ { print $2 }' "/proc/$pid/status")
[ "$state" != T ] && [ "$state" != t ] && [ "$tracer" = 0 ] &&
	ok "the process runs on after the capture (state $state, no tracer)" ||
	bad "the process is left stopped or traced (state $state, tracer $tracer)"

# The summary says how long the process was stopped and what was written.
"$bin" capture -o "$work/again.zst" "$pid" 2>"$work/summary" >/dev/null
grep -Eq 'threads stopped for [0-9.]+ ms' "$work/summary" &&
	grep -q "wrote $work/again.zst: " "$work/summary" && ok "capture prints its stop time and sizes" ||
	bad "capture's summary: $(cat "$work/summary")"
rm -f "$work/again.zst"

# gcore of the same parked state (the spin goroutine runs on: it is the one
# not compared).
if ! gcore -o "$work/gc" "$pid" >"$work/gcore.log" 2>&1; then
	bad "gcore failed: $(tail -3 "$work/gcore.log")"
else
	gc=$work/gc.$pid
	"$bin" analyze -q --db "$db" "$gc" >"$work/id2" 2>"$work/err" ||
		bad "analyze of the gcore failed: $(cat "$work/err")"
	a=$(cat "$work/id") b=$(cat "$work/id2")
	# "[chan receive, 3 minutes]": the minutes may tick between the two.
	nomin() { sed -E 's/, [0-9]+ (minutes?|seconds?)\]/]/'; }
	# The spinning goroutine runs on in between: where it is is left out.
	spin=$(sed -n 's/^scenario spin goid=\([0-9]*\)$/\1/p' "$work/run/stdout")
	[ -n "$spin" ] || bad "no 'scenario spin' line in hang's stdout"
	nospin() { awk -v g="goroutine $spin " 'BEGIN { RS = ""; ORS = "\n\n" } index($0, g) != 1'; }
	"$bin" traceback --db "$db" --incident "$a" | nomin | nospin >"$work/tb.cap"
	"$bin" traceback --db "$db" --incident "$b" | nomin | nospin >"$work/tb.gc"
	n=$(grep -c '^goroutine ' "$work/tb.cap")
	grep -q "^goroutine $spin " "$work/tb.cap" && bad "the spinning goroutine was not left out"
	[ "$n" -ge 50 ] && cmp -s "$work/tb.cap" "$work/tb.gc" &&
		ok "the same $n goroutines, states, wait reasons and stacks as gcore's" ||
		bad "tracebacks differ from gcore's ($n goroutines): $(diff "$work/tb.cap" "$work/tb.gc" | head -20)"
	for q in "SELECT goid, chan_addr, direction, in_select, queue_pos FROM chan_wait" \
		"SELECT goid, kind, addr FROM sync_wait"; do
		"$bin" query --db "$db" --incident "$a" --format csv "$q WHERE incident_id = ?1 ORDER BY 1, 2, 3" >"$work/q.cap"
		"$bin" query --db "$db" --incident "$b" --format csv "$q WHERE incident_id = ?1 ORDER BY 1, 2, 3" >"$work/q.gc"
		rows=$(($(wc -l <"$work/q.cap") - 1))
		[ "$rows" -gt 0 ] && cmp -s "$work/q.cap" "$work/q.gc" &&
			ok "the same $rows rows as gcore's: $q" || bad "differ from gcore's: $q"
	done
	"$bin" report --db "$db" --incident "$a" | nomin | sed 1d >"$work/rep.cap"
	"$bin" report --db "$db" --incident "$b" | nomin | sed 1d >"$work/rep.gc"
	grep -q CULPRIT "$work/rep.cap" && cmp -s "$work/rep.cap" "$work/rep.gc" &&
		ok "the same findings as gcore's" ||
		bad "findings differ from gcore's: $(diff "$work/rep.cap" "$work/rep.gc" | head -20)"

	# gdb reads the captured core: every thread of the process.
	zstd -q -d --sparse -f "$cap" -o "$work/cap.core"
	threads=$(ls "/proc/$pid/task" | wc -l)
	gdb -batch -nx -ex 'info threads' "$work/hang" "$work/cap.core" >"$work/gdb.out" 2>&1
	got=$(grep -Ec '^\*? +[0-9]+ +(LWP|Thread) ' "$work/gdb.out")
	[ "$got" = "$threads" ] && grep -q "LWP $pid" "$work/gdb.out" &&
		ok "gdb lists the $threads threads of the captured core" ||
		bad "gdb lists $got threads, the process has $threads: $(head -5 "$work/gdb.out")"

	# Delve lists the same goroutines from both (wait times and the
	# spinning goroutine left out: they change in between). Only those the
	# tracebacks above compared: the runtime's own (the scavenger, the
	# sweeper) park and wake by themselves, "sleep" in one core and "GC
	# scavenge wait" in the other.
	sed -n 's/^goroutine \([0-9]*\) .*/\1/p' "$work/tb.cap" >"$work/goids"
	if command -v dlv >/dev/null; then
		for c in "$work/cap.core" "$gc"; do
			printf 'goroutines\nexit\n' | timeout 300 dlv core "$work/hang" "$c" \
				--check-go-version=false --allow-non-terminal-interactive=true 2>&1 |
				grep 'Goroutine ' | grep -v "Goroutine $spin " |
				awk 'NR == FNR { want[$1] = 1; next }
				     { for (i = 1; i < NF; i++) if ($i == "Goroutine") break }
				     ($(i + 1)) in want' "$work/goids" - |
				sed -E 's/ [0-9]+\]$/]/; s/ \(thread [0-9]+\)//' >"$c.dlv"
		done
		n=$(wc -l <"$work/cap.core.dlv")
		[ "$n" -ge 50 ] && cmp -s "$work/cap.core.dlv" "$gc.dlv" &&
			ok "Delve lists the same $n goroutines from the capture as from gcore's" ||
			bad "Delve's goroutines differ ($n): $(diff "$work/cap.core.dlv" "$gc.dlv" | head)"
	else
		echo "dlv not installed: its check skipped"
	fi
	rm -f "$gc" "$work/cap.core"
fi

# A thread of the process is not a process.
tid=$(ls "/proc/$pid/task" | grep -vx "$pid" | head -1)
"$bin" capture -o "$work/none.zst" "$tid" >/dev/null 2>"$work/err"
[ $? = 1 ] && grep -q "$tid is a thread of process $pid" "$work/err" && [ ! -e "$work/none.zst" ] &&
	ok "capture of a thread: '$(cat "$work/err")'" || bad "capture of thread $tid: $(cat "$work/err")"
gone=$pid
stop
wait "$gone" 2>/dev/null

# Bad process ids: refused, no file left.
cd "$work" || exit 1
"$bin" capture 0 >/dev/null 2>"$work/err"
[ $? = 2 ] && ok "capture 0: usage error" || bad "capture 0: $(cat "$work/err")"
"$bin" capture abc >/dev/null 2>"$work/err"
[ $? = 2 ] && grep -q "not a process id" "$work/err" && ok "capture abc: not a process id" ||
	bad "capture abc: $(cat "$work/err")"
"$bin" capture -o "$work/none.zst" "$gone" >/dev/null 2>"$work/err"
[ $? = 1 ] && grep -q "no process $gone" "$work/err" && [ ! -e "$work/none.zst" ] &&
	[ ! -e "$work/none.zst.tmp" ] && ok "capture of an exited process: '$(cat "$work/err")'" ||
	bad "capture of an exited process: $(cat "$work/err")"

echo "1..$((pass + fail))"
[ "$fail" = 0 ]
