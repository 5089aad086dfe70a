#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# test-archive-reliability.sh: the archive keeps what it has whatever happens
# to a writer, and incidents move between databases whole.
#  (a) an ingest killed with SIGKILL at many points — from the inside, by the
#      crash hook at SQLite VM step counts spread over the whole write (with a
#      small page cache, so uncommitted pages are in the WAL when it dies), and
#      from the outside at delays spread over the run — leaves a database that
#      passes integrity_check and foreign_key_check, holds every earlier
#      incident with all its rows, and holds either none or all of the new one;
#      an import killed the same two ways too;
#  (b) two ingests at once into one database (new or not) both complete; a
#      reader answers while another process holds the write lock, and an
#      ingest waits for that lock instead of failing; readers during an
#      ingest all succeed;
#  (c) export, forget, import: the incident comes back with the same rows
#      (compared column by column, incident ids aside), a second import skips
#      it, the others are untouched; tables unknown to gocoroner and stored
#      cores (core_blob) follow the incident; a source of an older schema is
#      imported without being written, a newer one and foreign files refused.
# Row sets are read with sqlite3 from the database's own catalogue, never
# from gocoroner. The crash hook and the small page cache are test hooks
# (GOCORONER_TEST_CRASH_AFTER, GOCORONER_TEST_CACHE_KIB) of the command built
# for tests, tests/gocoroner-test ($GOCORONER_TEST_BIN); everything else runs
# the gocoroner under test.
set -u
. "${TOP_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}/tests/corpus-lib.sh"
corpus_setup archive-reliability
command -v sqlite3 >/dev/null || { echo "sqlite3 not installed: skipped"; exit 77; }
command -v timeout >/dev/null || { echo "timeout not installed: skipped"; exit 77; }
test_bin=${GOCORONER_TEST_BIN:-$(dirname "$bin")/tests/gocoroner-test}
[ -x "$test_bin" ] || { bad "no $test_bin ('make check' builds it)"; exit 1; }
# The checks wait for locks as gocoroner does: a killed process's locks may
# outlive it for a moment (seen once, under the sanitizers: "database is
# locked" right after a kill); a lock that stays is still an error.
sqlite3() { command sqlite3 -cmd '.timeout 10000' "$@"; }
check() { # check DESCRIPTION COMMAND...: ok if COMMAND succeeds
	d=$1
	shift
	if "$@"; then ok "$d"; else bad "$d"; fi
}
core_of() { echo "$corpus/$(col core "$1")"; }
exe_of() { # the decompressed executable of manifest row $1
	[ -f "$work/$1.exe" ] || zstd -q -d -f "$corpus/$(col exe "$1")" -o "$work/$1.exe"
	echo "$work/$1.exe"
}
analyze() { # analyze DB NAME: ingest a corpus core, print the incident id
	"$bin" analyze -q --db "$1" --exe "$(exe_of "$2")" "$(core_of "$2")"
}

# The per-incident tables of DB, from its catalogue.
tables() {
	sqlite3 "$1" "SELECT m.name FROM sqlite_master m WHERE m.type = 'table'
		AND EXISTS (SELECT 1 FROM pragma_table_info(m.name) WHERE name = 'incident_id')
		ORDER BY m.name"
}
# Row counts of DB: "incident ID SHA" per incident, "TABLE ID COUNT" per table
# and incident, sorted: two databases with the same incidents and rows print
# the same.
census() {
	sql="SELECT 'incident', id, core_sha256 FROM incident"
	for t in $(tables "$1"); do
		sql="$sql UNION ALL SELECT '$t', incident_id, count(*) FROM \"$t\" GROUP BY incident_id"
	done
	sqlite3 -separator ' ' "$1" "$sql" | sort
}
# Every row of incident ID of DB, every column but incident_id and the
# renumbered diagnostic.id, columns by name: "TABLE|v1|v2...", sorted.
dump() {
	gen=$(sqlite3 "$1" "SELECT 'SELECT ''' || m.name || ''' || ''|'' || ' ||
		(SELECT group_concat(x, ' || ''|'' || ') FROM (SELECT 'quote(\"' || c.name || '\")' AS x
		 FROM pragma_table_info(m.name) c
		 WHERE c.name NOT IN ('incident_id', 'id') ORDER BY c.name)) ||
		' FROM \"' || m.name || '\" WHERE ' ||
		CASE m.name WHEN 'incident' THEN 'id' ELSE 'incident_id' END || ' = $2;'
		FROM sqlite_master m WHERE m.type = 'table' AND (m.name = 'incident' OR
		EXISTS (SELECT 1 FROM pragma_table_info(m.name) WHERE name = 'incident_id'))")
	echo "$gen" | sqlite3 "$1" | sort
}
healthy() { # healthy DB: integrity_check says ok and foreign_key_check nothing
	[ "$(sqlite3 "$1" 'PRAGMA integrity_check')" = ok ] &&
		[ -z "$(sqlite3 "$1" 'PRAGMA foreign_key_check')" ]
}
fresh() { # fresh COPY FROM: COPY is a copy of database FROM (without its WAL)
	rm -f "$1" "$1-wal" "$1-shm"
	cp "$2" "$1"
}

base_cores="hang-go1.22-debug-kernel diag-go1.21-opt-kernel hang-go1.26-opt-kernel"
victim=hang-go1.24-opt-kernel
other=diag-go1.26-debug-kernel

# ---- the archive every test starts from -------------------------------
base=$work/base.db
for n in $base_cores; do
	analyze "$base" "$n" >/dev/null 2>"$work/err" || bad "$n: analyze failed: $(cat "$work/err")"
done
census "$base" >"$work/base.census"
[ "$(grep -c '^incident ' "$work/base.census")" -eq 3 ] && healthy "$base" ||
	{ bad "base archive: 3 healthy incidents"; exit 1; }
# The state after a complete ingest of the victim (the only acceptable
# state besides the base one).
fresh "$work/full.db" "$base"
analyze "$work/full.db" "$victim" >"$work/victim.id" || { bad "victim ingest"; exit 1; }
census "$work/full.db" >"$work/full.census"
victim_id=$(cat "$work/victim.id")
[ "$(grep -c " $victim_id " "$work/full.census")" -gt 5 ] ||
	bad "the victim's incident has rows in several tables"

# state DB LABEL: print base, full or bad after checking DB's health.
state() {
	if ! healthy "$1"; then echo unhealthy; return; fi
	census "$1" >"$work/now.census"
	if cmp -s "$work/now.census" "$work/base.census"; then echo base
	elif cmp -s "$work/now.census" "$work/full.census"; then echo full
	else echo bad; fi
}

# ---- (a) kill during ingest -------------------------------------------
k=$work/k.db
kills=0 before_commit=0 after_commit=0 broken=0
kill_at() { # kill_at HOW: ingest the victim into a copy of base, KILLED as HOW says
	fresh "$k" "$base"
	case $1 in
	hook=*) GOCORONER_TEST_CACHE_KIB=128 GOCORONER_TEST_CRASH_AFTER=${1#hook=} \
		"$test_bin" analyze -q --db "$k" --exe "$(exe_of $victim)" "$(core_of $victim)" >/dev/null 2>&1 ;;
	delay=*) timeout -s KILL "${1#delay=}" \
		"$bin" analyze -q --db "$k" --exe "$(exe_of $victim)" "$(core_of $victim)" >/dev/null 2>&1 ;;
	esac
	rc=$?
	s=$(state "$k")
	[ $rc -eq 0 ] && { [ "$s" = full ] || { broken=$((broken + 1)); echo "# $1: finished, state $s"; }; return 0; }
	kills=$((kills + 1))
	case $s in
	base) before_commit=$((before_commit + 1)) ;;
	full) after_commit=$((after_commit + 1)) ;;
	*) broken=$((broken + 1)); echo "# $1: killed (status $rc), database $s"
	   census "$k" | diff "$work/full.census" - | head -5 ;;
	esac
	# The killed ingest is not in the way of the next one (checked on every
	# fourth kill: an ingest is most of this test's time).
	if [ "$s" = base ] && [ $((before_commit % 4)) -eq 1 ]; then
		analyze "$k" "$victim" >/dev/null 2>&1 && [ "$(state "$k")" = full ] ||
			{ broken=$((broken + 1)); echo "# $1: ingest after the kill did not complete"; }
	fi
	return 1
}
# From the inside: step counts growing by a third until the ingest finishes,
# then 20 more spread evenly below the first count that finished.
n=1 last_killed=0
while kill_at "hook=$n"; [ $? -ne 0 ]; do
	last_killed=$n
	n=$((n + n / 3 + 1))
	[ $n -gt 10000000 ] && { bad "the crash hook never let the ingest finish"; break; }
done
end=$n
hook_kills=$kills
i=1
while [ $i -le 20 ]; do
	kill_at "hook=$((end * i / 21 + 1))"
	i=$((i + 1))
done
hook_kills=$kills
[ $hook_kills -ge 20 ] && ok "crash hook: $hook_kills kills (VM steps 100 to $((last_killed * 100)) of ~$((end * 100)))" ||
	bad "crash hook: only $hook_kills kills"
# The gocoroner under test has no hooks: it ignores the variables.
fresh "$k" "$base"
GOCORONER_TEST_CACHE_KIB=128 GOCORONER_TEST_CRASH_AFTER=1 \
	"$bin" analyze -q --db "$k" --exe "$(exe_of $victim)" "$(core_of $victim)" >/dev/null 2>&1 &&
	[ "$(state "$k")" = full ] && ok "the gocoroner under test reads no test hooks" ||
	bad "the gocoroner under test obeyed GOCORONER_TEST_CRASH_AFTER"
# From the outside: delays spread over 1.2 times the run's wall time.
t0=$(date +%s%N)
fresh "$k" "$base"
analyze "$k" "$victim" >/dev/null
t1=$(date +%s%N)
run_ms=$(((t1 - t0) / 1000000))
i=1
while [ $i -le 24 ]; do
	ms=$((run_ms * i / 20))
	kill_at "delay=$((ms / 1000)).$(printf %03d $((ms % 1000)))"
	i=$((i + 1))
done
ok "SIGKILL at 24 delays up to $((run_ms * 24 / 20)) ms (one ingest: $run_ms ms): $((kills - hook_kills)) killed"
[ $broken -eq 0 ] && ok "$kills kills: integrity and foreign keys ok, earlier incidents intact, the new one absent ($before_commit) or complete ($after_commit)" ||
	bad "$broken kills left a database in a wrong state"
[ $before_commit -ge 10 ] || bad "only $before_commit kills came before the commit"

# ---- (b) concurrency --------------------------------------------------
# Reference censuses of the two cores ingested alone, by core (ids vary).
by_core() { # by_core DB: "SHA TABLE COUNT" lines, incident ids replaced by their core
	census "$1" | awk '$1 == "incident" { sha[$2] = $3; next } { rows[NR] = $0 } END {
		for (r in rows) { split(rows[r], f, " "); print sha[f[2]], f[1], f[3] } }' | sort
}
rm -f "$work/r.db"*
analyze "$work/r.db" "$victim" >/dev/null && analyze "$work/r.db" "$other" >/dev/null
by_core "$work/r.db" >"$work/r.census"
round=1 conc_bad=0
while [ $round -le 4 ]; do
	c=$work/c$round.db
	# Rounds 1-2 start from no file (both create the schema), 3-4 from base.
	if [ $round -le 2 ]; then rm -f "$c"*; else fresh "$c" "$base"; fi
	analyze "$c" "$victim" >"$work/c1.out" 2>&1 &
	p1=$!
	analyze "$c" "$other" >"$work/c2.out" 2>&1 &
	p2=$!
	wait $p1; r1=$?
	wait $p2; r2=$?
	[ $r1 -eq 0 ] && [ $r2 -eq 0 ] || { conc_bad=$((conc_bad + 1)); echo "# round $round: $r1 $(cat "$work/c1.out") / $r2 $(cat "$work/c2.out")"; }
	healthy "$c" || { conc_bad=$((conc_bad + 1)); echo "# round $round: unhealthy"; }
	by_core "$c" | grep -F -f "$work/r.census" -x | cmp -s - "$work/r.census" ||
		{ conc_bad=$((conc_bad + 1)); echo "# round $round: incidents incomplete"; }
	round=$((round + 1))
done
[ $conc_bad -eq 0 ] && ok "two ingests at once, 4 rounds (2 into a new file): both complete" ||
	bad "concurrent ingests: $conc_bad problems"

# A writer holding the lock for 3 s: a reader answers at once, an ingest waits.
h=$work/h.db
fresh "$h" "$base"
{ echo "BEGIN IMMEDIATE; INSERT INTO diagnostic (incident_id, severity, what) VALUES (1, 'info', 'held');"
  sleep 3; echo "COMMIT;"; } | sqlite3 "$h" &
holder=$!
sleep 0.5
t0=$(date +%s%N)
out=$("$bin" query --db "$h" "SELECT count(*) FROM incident" 2>&1)
rc=$?
t1=$(date +%s%N)
[ $rc -eq 0 ] && echo "$out" | grep -qx 3 && [ $(((t1 - t0) / 1000000)) -lt 1500 ] &&
	ok "a reader answers while another process holds the write lock ($(((t1 - t0) / 1000000)) ms)" ||
	bad "reader under a held write lock: status $rc, $(((t1 - t0) / 1000000)) ms: $out"
t0=$(date +%s%N)
analyze "$h" "$victim" >/dev/null 2>"$work/err"
rc=$?
t1=$(date +%s%N)
wait $holder
waited=$(((t1 - t0) / 1000000))
[ $rc -eq 0 ] && [ $waited -ge 1500 ] && [ "$(sqlite3 "$h" "SELECT count(*) FROM diagnostic WHERE what = 'held'")" = 1 ] &&
	[ "$(sqlite3 "$h" 'SELECT count(*) FROM incident')" = 4 ] && healthy "$h" &&
	ok "an ingest waits for the held lock ($waited ms) and completes" ||
	bad "ingest under a held write lock: status $rc after $waited ms: $(cat "$work/err")"

# Readers in a loop during an ingest (of a gcore core: a longer one).
g=$work/g.db
fresh "$g" "$base"
analyze "$g" hang-go1.23-opt-gcore >/dev/null 2>"$work/err" &
writer=$!
reads=0 read_bad=0
while kill -0 $writer 2>/dev/null; do
	n=$("$bin" query --db "$g" "SELECT count(*) FROM goroutine WHERE incident_id = 1" 2>&1 | sed -n 2p)
	# The census counts tables: view goroutine's rows are goroutine_base's.
	[ "$n" = "$(grep '^goroutine_base 1 ' "$work/base.census" | cut -d' ' -f3)" ] ||
		read_bad=$((read_bad + 1))
	reads=$((reads + 1))
done
wait $writer
rc=$?
[ $rc -eq 0 ] && [ $read_bad -eq 0 ] && [ $reads -ge 1 ] && healthy "$g" &&
	ok "$reads reads during an ingest all answered" ||
	bad "reads during an ingest: writer status $rc, $read_bad of $reads reads wrong: $(cat "$work/err")"

# ---- (c) forget, export, import ---------------------------------------
a=$work/a.db
fresh "$a" "$work/full.db"
# A table a later schema might add, and a stored core: both must follow.
sqlite3 "$a" "CREATE TABLE later_table (note TEXT, incident_id INTEGER NOT NULL REFERENCES incident (id));
	INSERT INTO later_table SELECT 'x' || id, id FROM incident;
	CREATE TABLE IF NOT EXISTS core_blob (sha256 TEXT PRIMARY KEY, compression TEXT, size INTEGER, data BLOB);
	INSERT INTO core_blob SELECT core_sha256, 'zstd', 3, x'010203' FROM incident;"
census "$a" >"$work/a.census"
x=2
dump "$a" $x >"$work/x.dump"
sha=$(sqlite3 "$a" "SELECT core_sha256 FROM incident WHERE id = $x")
grep -aq '^later_table|' "$work/x.dump" && [ "$(wc -l <"$work/x.dump")" -gt 50 ] ||
	bad "dump of incident $x has its rows"

# Export into a new file: a gocoroner database with just that incident.
e=$work/e.db
"$bin" export --db "$a" $x --to "$e" >"$work/out" 2>&1 &&
	[ "$(sqlite3 "$e" 'SELECT count(*) FROM incident')" = 1 ] &&
	[ "$(sqlite3 "$e" 'PRAGMA user_version')" = "$(sqlite3 "$a" 'PRAGMA user_version')" ] &&
	healthy "$e" && ok "export: a new database with one incident ($(cat "$work/out"))" ||
	bad "export: $(cat "$work/out")"
# (The new file's schema is gocoroner's own: it has no later_table.)
dump "$e" 1 | grep -av '^later_table|' >"$work/e.dump"
grep -av '^later_table|' "$work/x.dump" | cmp -s - "$work/e.dump" &&
	ok "export: every row of the incident, column by column" ||
	{ bad "export: rows differ"; grep -av '^later_table|' "$work/x.dump" | diff - "$work/e.dump" | head -5; }
"$bin" export --db "$a" $x --to "$e" >"$work/out" 2>&1 && grep -q 'already holds' "$work/out" &&
	[ "$(sqlite3 "$e" 'SELECT count(*) FROM incident')" = 1 ] &&
	ok "export again: the file already holds it" || bad "export again: $(cat "$work/out")"
echo "not a database" >"$work/junk.db"
: >"$work/empty.db"
for f in junk.db empty.db; do
	cp "$work/$f" "$work/$f.orig"
	if "$bin" export --db "$a" $x --to "$work/$f" >"$work/out" 2>&1; then
		bad "export over $f: accepted"
	else
		cmp -s "$work/$f" "$work/$f.orig" && grep -q "$f" "$work/out" &&
			ok "export over $f: refused, file untouched ($(cat "$work/out"))" ||
			bad "export over $f: $(cat "$work/out")"
	fi
done
"$bin" export --db "$a" 99 --to "$work/none.db" >"$work/out" 2>&1
[ $? -eq 1 ] && [ ! -e "$work/none.db" ] && grep -q 'no incident 99' "$work/out" &&
	ok "export of a missing incident: error, no file left" || bad "export 99: $(cat "$work/out")"

# Forget: nothing of it left, the rest untouched, its unshared core gone.
"$bin" forget --db "$a" $x >"$work/out" 2>&1 || bad "forget: $(cat "$work/out")"
left=0
for t in $(tables "$a"); do
	left=$((left + $(sqlite3 "$a" "SELECT count(*) FROM \"$t\" WHERE incident_id = $x")))
done
[ $left -eq 0 ] && [ "$(sqlite3 "$a" "SELECT count(*) FROM incident WHERE id = $x")" = 0 ] &&
	[ "$(sqlite3 "$a" "SELECT count(*) FROM core_blob WHERE sha256 = '$sha'")" = 0 ] &&
	ok "forget: no row of incident $x in any table, its core gone" ||
	bad "forget: $left rows left"
census "$a" | grep -v " $x [0-9a-f]*\$" >"$work/now.census"
grep -v " $x [0-9a-f]*\$" "$work/a.census" | cmp -s - "$work/now.census" && healthy "$a" &&
	[ "$(sqlite3 "$a" 'SELECT count(*) FROM core_blob')" = 3 ] &&
	ok "forget: every other incident and core untouched, database healthy" ||
	bad "forget: other incidents changed"
"$bin" forget --db "$a" $x >"$work/out" 2>&1
[ $? -eq 1 ] && grep -q "no incident $x" "$work/out" && ok "forget again: no such incident" ||
	bad "forget again: $(cat "$work/out")"
"$bin" forget --db "$work/missing.db" 1 >"$work/out" 2>&1
[ $? -eq 1 ] && [ ! -e "$work/missing.db" ] && ok "forget in a missing database: error, no file made" ||
	bad "forget missing db: $(cat "$work/out")"

# Import it back (from a copy of the original, which has later_table and the
# core): same rows under a new id; a second import skips it.
fresh "$work/src.db" "$work/full.db"
sqlite3 "$work/src.db" "CREATE TABLE later_table (note TEXT, incident_id INTEGER NOT NULL);
	INSERT INTO later_table SELECT 'x' || id, id FROM incident;
	CREATE TABLE IF NOT EXISTS core_blob (sha256 TEXT PRIMARY KEY, compression TEXT, size INTEGER, data BLOB);
	INSERT INTO core_blob SELECT core_sha256, 'zstd', 3, x'010203' FROM incident;"
# Columns in another order in the target: copied by name.
sqlite3 "$a" "CREATE TABLE wr (goid INTEGER NOT NULL, obj_addr INTEGER NOT NULL,
		incident_id INTEGER NOT NULL REFERENCES incident (id),
		PRIMARY KEY (incident_id, obj_addr, goid));
	INSERT INTO wr (incident_id, obj_addr, goid) SELECT incident_id, obj_addr, goid FROM wait_reacher;
	DROP TABLE wait_reacher; ALTER TABLE wr RENAME TO wait_reacher;"
"$bin" import --db "$a" --from "$work/src.db" >"$work/out" 2>&1 &&
	grep -q 'imported 1 incidents .* skipped 3 duplicates' "$work/out" &&
	ok "import: $(cat "$work/out")" || bad "import: $(cat "$work/out")"
y=$(sqlite3 "$a" "SELECT id FROM incident WHERE core_sha256 = '$sha'")
[ -n "$y" ] && [ "$y" != $x ] && dump "$a" "$y" | cmp -s - "$work/x.dump" && healthy "$a" &&
	[ "$(sqlite3 "$a" "SELECT count(*) FROM core_blob WHERE sha256 = '$sha'")" = 1 ] &&
	ok "import: incident $x back as $y, every row of every table equal, its core too" ||
	{ bad "import: incident $x back as '$y' differs"; dump "$a" "$y" | diff "$work/x.dump" - | head -5; }
"$bin" import --db "$a" --from "$work/src.db" >"$work/out" 2>&1 &&
	grep -q 'imported 0 incidents .* skipped 4 duplicates' "$work/out" &&
	ok "import again: all duplicates" || bad "import again: $(cat "$work/out")"
"$bin" import --db "$a" --from "$e" >"$work/out" 2>&1 &&
	grep -q 'imported 0 incidents .* skipped 1 duplicates' "$work/out" &&
	ok "import of the export: a duplicate" || bad "import of the export: $(cat "$work/out")"
"$bin" import --db "$a" --from "$a" >"$work/out" 2>&1
[ $? -eq 1 ] && grep -q 'into itself' "$work/out" && ok "import from itself: refused" ||
	bad "import from itself: $(cat "$work/out")"
# A core shared by two incidents (same core, another executable build) stays
# until the last of them is forgotten.
s1=$(sqlite3 "$a" "SELECT core_sha256 FROM incident WHERE id = 1")
"$bin" export --db "$a" 1 --to "$work/one.db" >/dev/null &&
	sqlite3 "$work/one.db" "UPDATE incident SET exe_build_id = 'other-build'" &&
	"$bin" import --db "$a" --from "$work/one.db" >/dev/null
twin=$(sqlite3 "$a" "SELECT id FROM incident WHERE exe_build_id = 'other-build' AND core_sha256 = '$s1'")
blobs() { sqlite3 "$a" "SELECT count(*) FROM core_blob WHERE sha256 = '$s1'"; }
[ -n "$twin" ] && "$bin" forget --db "$a" 1 >/dev/null && [ "$(blobs)" = 1 ] &&
	"$bin" forget --db "$a" "$twin" >/dev/null && [ "$(blobs)" = 0 ] && healthy "$a" &&
	ok "a shared core is kept until its last incident is forgotten" ||
	bad "shared core: twin '$twin', blobs $(blobs)"

# Older source: a version-1 database (block 1 of store/schema.sql) holding
# the rows of full.db that version 1 has; imported from a temporary upgraded
# copy, the file itself never written.
old=$work/old.db
rm -f "$old"*
awk '/^-- @version 2$/ { exit } { print }' "$top/store/schema.sql" | sqlite3 "$old"
copy=$(sqlite3 "$old" "SELECT 'INSERT INTO main.\"' || m.name || '\" SELECT ' ||
	(SELECT group_concat('\"' || c.name || '\"', ', ') FROM pragma_table_info(m.name) c) ||
	' FROM f.\"' || m.name || '\";' FROM sqlite_master m WHERE m.type = 'table'")
sqlite3 "$old" "ATTACH '$work/full.db' AS f; $copy PRAGMA user_version = 1;
	PRAGMA application_id = 0x476f436f;" >/dev/null
[ "$(sqlite3 "$old" 'SELECT count(*) FROM goroutine')" -gt 100 ] || bad "version-1 database made"
sum=$(cksum <"$old")
rm -f "$work/o.db"*
"$bin" import --db "$work/o.db" --from "$old" >"$work/out" 2>&1 &&
	grep -q 'imported 4 incidents' "$work/out" && [ "$(cksum <"$old")" = "$sum" ] &&
	[ "$(sqlite3 "$old" 'PRAGMA user_version')" = 1 ] && healthy "$work/o.db" &&
	[ "$(dump "$work/o.db" 4 | grep -ac '^goroutine|')" = "$(dump "$work/full.db" 4 | grep -ac '^goroutine|')" ] &&
	ok "import from a version-1 database: upgraded in a copy, source unchanged" ||
	bad "import from version 1: $(cat "$work/out")"
new=$work/newer.db
fresh "$new" "$work/full.db"
sqlite3 "$new" "PRAGMA user_version = 99"
census "$work/o.db" >"$work/o.census"
"$bin" import --db "$work/o.db" --from "$new" >"$work/out" 2>&1
[ $? -eq 1 ] && grep -q 'newer' "$work/out" && census "$work/o.db" | cmp -s - "$work/o.census" &&
	ok "import from a newer database: refused ($(cat "$work/out"))" || bad "import newer: $(cat "$work/out")"
"$bin" import --db "$work/o.db" --from "$work/junk.db" >"$work/out" 2>&1
[ $? -eq 1 ] && grep -q 'junk.db' "$work/out" && ok "import from a file that is not a database: refused" ||
	bad "import junk: $(cat "$work/out")"

# An import killed at several points: all or nothing.
fresh "$work/p.db" "$base"
census "$work/p.db" >"$work/p0.census"
"$bin" import --db "$work/p.db" --from "$work/full.db" >/dev/null
census "$work/p.db" >"$work/p1.census"
ikills=0 ibad=0 n=1
while :; do
	fresh "$work/p.db" "$base"
	GOCORONER_TEST_CACHE_KIB=128 GOCORONER_TEST_CRASH_AFTER=$n \
		"$test_bin" import --db "$work/p.db" --from "$work/full.db" >/dev/null 2>&1
	rc=$?
	healthy "$work/p.db" || ibad=$((ibad + 1))
	census "$work/p.db" >"$work/now.census"
	cmp -s "$work/now.census" "$work/p0.census" || cmp -s "$work/now.census" "$work/p1.census" ||
		{ ibad=$((ibad + 1)); echo "# import killed at $n: partial"; }
	[ $rc -eq 0 ] && break
	ikills=$((ikills + 1))
	# An import that fails for another reason would never finish: stop.
	[ $ikills -le 200 ] || { ibad=$((ibad + 1)); echo "# import never finished (exit $rc)"; break; }
	n=$((n + n / 3 + 1))
done
[ $ikills -ge 5 ] && [ $ibad -eq 0 ] && ok "import killed at $ikills points: all or nothing" ||
	bad "import kills: $ikills kills, $ibad bad"
# From the outside: an import is database work from start to end, so every
# delay within its run lands in it.
fresh "$work/p.db" "$base"
t0=$(date +%s%N)
"$bin" import --db "$work/p.db" --from "$work/full.db" >/dev/null
t1=$(date +%s%N)
run_ms=$(((t1 - t0) / 1000000))
ikills=0 ibad=0 i=1
while [ $i -le 20 ]; do
	fresh "$work/p.db" "$base"
	ms=$((run_ms * i / 20))
	timeout -s KILL "$((ms / 1000)).$(printf %03d $((ms % 1000)))" \
		"$bin" import --db "$work/p.db" --from "$work/full.db" >/dev/null 2>&1
	[ $? -eq 0 ] || ikills=$((ikills + 1))
	healthy "$work/p.db" || ibad=$((ibad + 1))
	census "$work/p.db" >"$work/now.census"
	cmp -s "$work/now.census" "$work/p0.census" || cmp -s "$work/now.census" "$work/p1.census" ||
		{ ibad=$((ibad + 1)); echo "# import killed after $ms ms: partial"; }
	i=$((i + 1))
done
[ $ibad -eq 0 ] && ok "import killed at $ikills of 20 delays up to $run_ms ms: all or nothing" ||
	bad "import delay kills: $ibad bad"

echo "# $pass passed, $fail failed"
[ $fail -eq 0 ]
