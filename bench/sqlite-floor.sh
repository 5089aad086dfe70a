#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# sqlite-floor.sh: how long SQLite alone takes to write an incident's rows.
# Copies every table of DB (one incident, as 'gocoroner analyze' left it)
# into an empty database of the same schema in one transaction, with
# INSERT ... SELECT: rows already sorted, no C code binding them, the same
# pragmas as an ingest (store/open.c). What an ingest of that core cannot
# go below however the snapshot is read: the floor under 'store goroutines',
# 'store contexts' and 'store waits' in 'analyze --timings'.
# Not a test: a benchmark, reported with /usr/bin/time.
#
# usage: bench/sqlite-floor.sh DB [RUNS]   (RUNS default 3)
set -eu
[ $# -ge 1 ] || { sed -n '2,12p' "$0"; exit 2; }
src=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
runs=${2:-3}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
tables=$(sqlite3 "$src" "SELECT name FROM sqlite_master WHERE type = 'table'
	AND name NOT LIKE 'sqlite_%' AND name <> 'incident_last_id' ORDER BY name")
# The empty database: the schema as the file has it, indexes and all.
sqlite3 "$src" ".schema" | sqlite3 "$work/empty.db"
sqlite3 "$work/empty.db" "PRAGMA page_size = 32768; VACUUM; PRAGMA journal_mode = WAL;" >/dev/null
ins="PRAGMA foreign_keys = OFF; PRAGMA synchronous = NORMAL; PRAGMA cache_size = -16384;
PRAGMA temp_store = MEMORY; ATTACH '$src' AS s; BEGIN;"
rows=0
for t in $tables; do
	ins="$ins INSERT INTO main.\"$t\" SELECT * FROM s.\"$t\";"
	rows=$((rows + $(sqlite3 "$src" "SELECT count(*) FROM \"$t\"")))
done
ins="$ins COMMIT;"
echo "$(basename "$src"): $rows rows in $(echo "$tables" | wc -w) tables"
for i in $(seq "$runs"); do
	cp "$work/empty.db" "$work/t.db"
	rm -f "$work/t.db-wal" "$work/t.db-shm"
	/usr/bin/time -f "run $i: %e s wall, %U s user, %S s system, %M KB" \
		sqlite3 "$work/t.db" "$ins" 2>&1 >/dev/null | tail -1
done
