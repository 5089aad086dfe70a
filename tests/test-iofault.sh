#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# test-iofault.sh: a failed write, fsync or read never costs the archive
# anything and always says what failed. For each command that writes a
# database — analyze (into an archive and into a new file), import, forget,
# tag, export — a dry run counts its I/O calls of each kind (read, write,
# sync, truncate, filesize) on every file SQLite opens; then the command is
# run once per call, that call failing with EIO (and, for writes, once more
# with ENOSPC). After each run:
#  - the database passes integrity_check and foreign_key_check and holds
#    exactly the incidents and row counts it held before the command, or
#    exactly those of a successful run (the failure hit after the commit);
#  - the command exited 0 (the fault did not matter), or 1 with one line on
#    stderr, "gocoroner: " then the file and the error by name — the errno's
#    text, or the call that failed where SQLite keeps no errno (a COMMIT's
#    write or fsync); for the core, "CORE: read error at offset N: ...";
#    nothing else (no crash, no sanitizer report).
# The faults are injected by the command built for tests ($GOCORONER_TEST_BIN,
# GOCORONER_TEST_IOFAULT; store/testing.h). IOFAULT_POINTS=M runs at most M
# points of each sweep (command, kind, errno), spread evenly, the last call
# always among them; 0 runs every point. IOFAULT_CASES="analyze tag ..."
# runs only those cases. The count of points run is printed at the end.
set -u
. "${TOP_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}/tests/corpus-lib.sh"
corpus_setup iofault
command -v sqlite3 >/dev/null || { echo "sqlite3 not installed: skipped"; exit 77; }
test_bin=${GOCORONER_TEST_BIN:-$(dirname "$bin")/tests/gocoroner-test}
[ -x "$test_bin" ] || { bad "no $test_bin ('make check' builds it)"; exit 1; }
max_points=${IOFAULT_POINTS:-20}

# The two smallest cores of the corpus: A fills the archive, B is ingested.
core_a=diag-go1.21-opt-kernel
core_b=diag-go1.27-opt-kernel
exe_of() { # the decompressed executable of manifest row $1
	[ -f "$work/$1.exe" ] || zstd -q -d -f "$corpus/$(col exe "$1")" -o "$work/$1.exe"
	echo "$work/$1.exe"
}
core_of() { echo "$corpus/$(col core "$1")"; }

# The state of DB in one line per row, sorted: integrity_check's "ok" and
# foreign_key_check's complaints, then its incidents (id, fingerprint, name)
# and row counts by table and incident; "none" for a file that is absent,
# has no incident table (a new database whose schema was never committed)
# or is sound and holds no incident.
# The statement is made once, from the tables of the schema (state_sql).
state() {
	[ -s "$1" ] || { echo none; return; }
	if st=$(sqlite3 -separator ' ' "$1" "$state_sql" 2>/dev/null); then
		# A sound database without incidents holds what no file does.
		[ "$st" = ok ] && st=none
		echo "$st"
		return
	fi
	# No incident table (or a damaged file): "none" only if it is sound.
	ic=$(sqlite3 "$1" 'PRAGMA integrity_check' 2>&1)
	if [ "$ic" = ok ] && [ -z "$(sqlite3 "$1" "SELECT name FROM sqlite_master WHERE name = 'incident'")" ]; then
		echo none
	else
		echo "damaged: $ic"
	fi
}
state_sql_of() { # the census statement for the tables of database $1
	sql="SELECT 'incident', id, core_sha256 || ' ' || COALESCE(name, '') FROM incident"
	for t in $(sqlite3 "$1" "SELECT m.name FROM sqlite_master m WHERE m.type = 'table'
		AND EXISTS (SELECT 1 FROM pragma_table_info(m.name) WHERE name = 'incident_id')
		ORDER BY m.name"); do
		sql="$sql UNION ALL SELECT '$t', incident_id, count(*) FROM \"$t\" GROUP BY incident_id"
	done
	echo "PRAGMA integrity_check; PRAGMA foreign_key_check; $sql ORDER BY 1, 2;"
}

# The archives the commands start from: base holds A; both holds A and B;
# src holds B alone (import's source).
"$bin" analyze -q --db "$work/base.db" --exe "$(exe_of $core_a)" "$(core_of $core_a)" >/dev/null &&
	cp "$work/base.db" "$work/both.db" &&
	"$bin" analyze -q --db "$work/both.db" --exe "$(exe_of $core_b)" "$(core_of $core_b)" >/dev/null &&
	"$bin" analyze -q --db "$work/src.db" --exe "$(exe_of $core_b)" "$(core_of $core_b)" >/dev/null &&
	zstd -q -d -f "$(core_of $core_b)" -o "$work/b.core" ||
	{ bad "the archives to start from"; exit 1; }
# Their WALs checkpointed away: a copy is then the file alone.
for f in base both src; do sqlite3 "$work/$f.db" 'PRAGMA wal_checkpoint(TRUNCATE)' >/dev/null; done
state_sql=$(state_sql_of "$work/base.db")

# The command of case $1, on the database $work/t.db (and $work/out.db).
run_case() {
	case $1 in
	analyze) "$test_bin" analyze -q --db "$work/t.db" --exe "$(exe_of $core_b)" "$(core_of $core_b)" ;;
	analyze-new) "$test_bin" analyze -q --db "$work/t.db" --exe "$(exe_of $core_b)" "$(core_of $core_b)" ;;
	analyze-raw) "$test_bin" analyze -q --db "$work/t.db" --exe "$(exe_of $core_b)" "$work/b.core" ;;
	import) "$test_bin" import --db "$work/t.db" --from "$work/src.db" ;;
	forget) "$test_bin" forget --db "$work/t.db" 1 ;;
	tag) "$test_bin" tag --db "$work/t.db" 1 name=first env=prod ;;
	export) "$test_bin" export --db "$work/t.db" 1 --to "$work/out.db" ;;
	esac
}
# Put the database of case $1 in place, as it is before the command.
setup_case() {
	rm -f "$work/t.db" "$work/t.db-wal" "$work/t.db-shm" "$work/t.db-journal" \
		"$work/out.db" "$work/out.db-wal" "$work/out.db-shm" "$work/out.db-journal"
	case $1 in
	analyze | analyze-raw | tag | export) cp "$work/base.db" "$work/t.db" ;;
	import) cp "$work/base.db" "$work/t.db"; cp "$work/src.db" "$work/src-before.db" ;;
	forget) cp "$work/both.db" "$work/t.db" ;;
	analyze-new) ;;
	esac
}

# The one line a failed call of kind $1 must give.
msg_re() {
	if [ "$1" = coreread ]; then
		echo '^gocoroner: .*core[.a-z]*: read error at offset [0-9]*: Input/output error$'
	else
		echo '^gocoroner: .*\.db: .*(\([a-z]*: \)\?\(Input/output error\|No space left on device\)\|[a-z]* failed)$'
	fi
}

points=0
for c in ${IOFAULT_CASES:-analyze analyze-raw analyze-new import forget tag export}; do
	# Before, after a successful run, and the calls it makes.
	setup_case $c
	before=$(state "$work/t.db") out_before=$(state "$work/out.db")
	if ! GOCORONER_TEST_IOFAULT_COUNTS="$work/counts" run_case $c >/dev/null 2>"$work/err"; then
		bad "$c: the dry run: $(cat "$work/err")"
		continue
	fi
	after=$(state "$work/t.db") out_after=$(state "$work/out.db")
	[ "$before" = "$after" ] && [ $c != export ] && bad "$c: the dry run changed nothing"
	case $after in ok*) ;; *) bad "$c: the dry run left $after" ;; esac
	case_bad=$fail case_points=0
	kinds="read write sync truncate filesize coreread"
	# The raw core's analysis writes what analyze's does: its reads only.
	[ $c = analyze-raw ] && kinds=coreread
	for kind in $kinds; do
		n=$(awk -v k=$kind '$1 == k { print $2 }' "$work/counts")
		errnos=EIO
		[ $kind = write ] && errnos="EIO ENOSPC"
		n=${n:-0} step=1
		[ "$max_points" -gt 0 ] && [ "$n" -gt "$max_points" ] &&
			step=$(((n + max_points - 1) / max_points))
		for e in $errnos; do
			i=1
			while [ "$i" -le "$n" ]; do
				p="$c $kind:$i:$e"
				setup_case $c
				GOCORONER_TEST_IOFAULT="$kind:$i:$e" run_case $c >/dev/null 2>"$work/err"
				rc=$?
				points=$((points + 1)) case_points=$((case_points + 1))
				now=$(state "$work/t.db")
				out=$(state "$work/out.db")
				if [ $rc -ne 0 ] && [ $rc -ne 1 ]; then
					bad "$p: exit status $rc: $(head -c 300 "$work/err")"
				elif [ $rc -eq 0 ] && [ -s "$work/err" ]; then
					bad "$p: succeeded but said: $(head -c 300 "$work/err")"
				elif [ $rc -eq 1 ] && { [ "$(wc -l <"$work/err")" -ne 1 ] ||
					! grep -q "$(msg_re $kind)" "$work/err"; }; then
					bad "$p: the message: $(head -c 300 "$work/err")"
				elif [ "$now" != "$before" ] && [ "$now" != "$after" ]; then
					bad "$p: the database holds neither what it held nor what a successful run leaves: $(echo "$now" | head -3)"
				elif [ $rc -eq 0 ] && [ "$now" != "$after" ]; then
					bad "$p: succeeded, but the database does not hold what it should"
				elif [ "$out" != "$out_before" ] && [ "$out" != "$out_after" ]; then
					bad "$p: the exported database holds neither nothing nor the incident"
				elif [ $c = import ] && ! cmp -s "$work/src.db" "$work/src-before.db"; then
					bad "$p: the source of the import was written"
				fi
				# The last call too: often the commit's or the checkpoint's.
				[ "$i" -lt "$n" ] && [ $((i + step)) -gt "$n" ] && i=$((n - step))
				i=$((i + step))
			done
		done
	done
	echo "# $c: $(tr '\n' ' ' <"$work/counts")"
	[ "$fail" -eq "$case_bad" ] && ok "$c: $case_points failed I/O calls, archive intact, message clear"
done

echo "# $points injection points (at most ${max_points} per sweep; 0: all)"
echo "# $pass passed, $fail failed"
[ "$fail" -eq 0 ]
