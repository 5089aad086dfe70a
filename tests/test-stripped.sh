#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# test-stripped.sh: the degraded mode of a stripped executable (no DWARF, no
# symbols) against the unstripped twin on the same core. A corpus core of
# hang is read twice: with its executable, and with that executable stripped
# here (objcopy --strip-all: the loaded bytes stay, .symtab and .debug_* go).
# What degraded mode promises must be equal, column by column: goroutines
# (status, wait reason, wait time, thread, creator, labels, start function),
# their stacks (functions, files, lines, inlined frames, pc offsets) and the
# channel waits (channels, their element types, queues); the contexts the
# stack scan finds (kind, type, parent, Done, cancellation, error, deadline,
# value), which the unstripped executable reads too. What it does not
# promise must be said: the 'stripped' diagnostics, and the summary's
# "degraded:" line. The stripped corpus cores (hang-stripped-*) are checked
# against Go's own traceback by test-corpus.
set -u
. "${TOP_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}/tests/corpus-lib.sh"
corpus_setup stripped
command -v objcopy >/dev/null || { echo "objcopy not installed: skipped"; exit 77; }

GOROUTINES="SELECT goid, status, status_code, wait_reason, wait_since_ns, creator_goid,
	created_by_func, created_by_file, created_by_line, created_by_pc_offset, start_func,
	is_system, thread_id, locked, labels, g_addr, stack_error FROM goroutine
	WHERE incident_id = ?1 ORDER BY goid"
FRAMES="SELECT g.goid, f.depth, f.pc, f.pc_offset, f.func, f.file, f.line, f.inlined, f.wrapper
	FROM goroutine g JOIN frame f ON f.incident_id = g.incident_id AND f.stack_id = g.stack_id
	WHERE g.incident_id = ?1 ORDER BY g.goid, f.depth"
WAITS="SELECT w.goid, w.chan_addr, w.direction, w.in_select, w.queue_pos, c.elem_type, c.cap,
	c.len, c.closed, c.is_timer, c.send_waiters, c.recv_waiters
	FROM chan_wait w JOIN channel c ON c.incident_id = w.incident_id AND c.addr = w.chan_addr
	WHERE w.incident_id = ?1 ORDER BY w.goid, w.chan_addr, w.direction"
# The contexts found both ways (@CTXS@: their addresses), every column but
# the kind of 1.19-1.20's *context.emptyCtx: background and todo are told
# apart by the variables context.background and context.todo, which a
# stripped executable has no symbol for (README "No debug info anywhere").
CONTEXTS="SELECT addr, CASE WHEN type_name = '*context.emptyCtx' THEN 'empty' ELSE kind END,
	type_name, parent_addr, done_chan, done_closed, canceled, err, cause, deadline_unix_ns,
	value_key, value_text, timer_pending FROM context
	WHERE incident_id = ?1 AND addr IN (@CTXS@) ORDER BY addr"

for name in ${STRIPPED_CORES:-hang-go1.27-opt-gcore hang-go1.22-opt-kernel hang-go1.19-debug-gcore}; do
	exe=$(col exe "$name")
	[ -n "$exe" ] || { bad "$name: not in the manifest"; continue; }
	rm -f "$work/full.db" "$work/stripped.db"
	zstd -q -d -f "$corpus/$exe" -o "$work/full" &&
		objcopy --strip-all "$work/full" "$work/stripped" || { bad "$name: cannot strip"; continue; }
	"$bin" analyze -q --db "$work/full.db" --exe "$work/full" "$corpus/$(col core "$name")" \
		>/dev/null 2>"$work/err" || { bad "$name: unstripped: $(cat "$work/err")"; continue; }
	"$bin" analyze --db "$work/stripped.db" --exe "$work/stripped" "$corpus/$(col core "$name")" \
		>"$work/summary" 2>"$work/err" || { bad "$name: stripped: $(cat "$work/err")"; continue; }
	for db in full stripped; do
		"$bin" query --db "$work/$db.db" --incident 1 --format csv \
			"SELECT addr FROM context WHERE incident_id = ?1" | tail -n +2 | tr -d '\r' |
			sort >"$work/$db.ctxs"
	done
	CTXS=$(comm -12 "$work/full.ctxs" "$work/stripped.ctxs" | paste -sd, -)
	# The scan cannot ask which frames have a context variable: what it
	# finds beyond DWARF's is told, not compared; what it misses (contexts
	# only the heap or a dead frame slot reaches) likewise.
	echo "# $name: contexts: $(comm -12 "$work/full.ctxs" "$work/stripped.ctxs" | wc -l) found both ways," \
		"$(comm -13 "$work/full.ctxs" "$work/stripped.ctxs" | wc -l) only by the stripped scan," \
		"$(comm -23 "$work/full.ctxs" "$work/stripped.ctxs" | wc -l) only with DWARF"
	for q in GOROUTINES FRAMES WAITS CONTEXTS; do
		eval sql=\$$q
		sql=$(printf '%s\n' "$sql" | sed "s/@CTXS@/${CTXS:-0}/")
		"$bin" query --db "$work/full.db" --incident 1 --format csv "$sql" >"$work/a" 2>&1
		"$bin" query --db "$work/stripped.db" --incident 1 --format csv "$sql" >"$work/b" 2>&1
		rows=$(($(wc -l <"$work/a") - 1))
		if [ "$rows" -gt 0 ] && cmp -s "$work/a" "$work/b"; then
			ok "$name: $q: $rows rows equal to the unstripped executable's"
		else
			bad "$name: $q differ ($rows rows): $(diff "$work/a" "$work/b" | head -5 | tr '\n' ' ')"
		fi
	done
	v=$(col go_version "$name")
	release=$(echo "$v" | sed 's/^\(go1\.[0-9]*\).*/\1/')
	grep -q "^  degraded: stripped executable .*built-in $release table ($v per .go.buildinfo" "$work/summary" &&
		grep -q "contexts from a conservative stack scan .*unavailable: defers, panics, heap reachability" "$work/summary" &&
		ok "$name: the summary says $release layouts were assumed and what is unavailable" ||
		bad "$name: no degraded line naming $release: $(grep degraded "$work/summary")"
	h=$("$bin" query --db "$work/stripped.db" --incident 1 --format csv \
		"SELECT count(*) FROM diagnostic WHERE incident_id = ?1 AND what = 'stripped'
		   AND detail LIKE 'heuristic: runtime.%'" | tail -n +2 | tr -d '\r')
	[ "$h" = 8 ] && ok "$name: the four globals and four descriptors found by heuristics are told" ||
		bad "$name: $h heuristic diagnostics, want 8"
	# runtime.g, m, sudog and hchan read from their type descriptors, every
	# entry of the table found there and equal to it (and so to DWARF: test-dwarf).
	"$bin" query --db "$work/stripped.db" --incident 1 --format csv \
		"SELECT detail FROM diagnostic WHERE incident_id = ?1 AND what = 'stripped'
		   AND detail LIKE '%read from its type descriptor%'" >"$work/desc"
	d=$(awk '{ for (i = 1; i < NF; i++) if ($(i + 1) == "of") { n = $i; m = $(i + 2) } }
		/runtime\.(g|m|sudog|hchan):/ && n == m && n > 0 && /\(0 differ/ { k++ } END { print k + 0 }' "$work/desc")
	[ "$d" = 4 ] && ok "$name: g, m, sudog, hchan: every entry read from the type descriptors, equal to the table" ||
		bad "$name: $d of 4 types read whole from their descriptors: $(tr '\n' ' ' <"$work/desc")"
	n=$("$bin" query --db "$work/full.db" --incident 1 --format csv \
		"SELECT count(*) FROM diagnostic WHERE incident_id = ?1 AND what = 'stripped'" | tail -n +2 | tr -d '\r')
	[ "$n" = 0 ] && ok "$name: the unstripped executable is not degraded" || bad "$name: $n stripped diagnostics unstripped"
done

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
