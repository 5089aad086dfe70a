#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# test-limits.sh: gocoroner within the limits of what it is given — a
# database this user may only read (the read-only commands work, the writing
# ones say which file and which command), each command's statements under
# --budget, and --keep-core on sparse cores.
set -u
. "${TOP_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}/tests/corpus-lib.sh"
corpus_setup limits

name=diag-go1.27-opt-kernel
db=$work/archive.db
analyze_core "$name" "$db" || { bad "$name: analyze failed: $(cat "$work/err")"; exit 1; }
id=$(cat "$work/id")
core=$corpus/$(col core "$name")

# Text is UTF-8: every value of every table decodes in Python (whose sqlite3
# module refuses invalid UTF-8 in TEXT), and build_settings is the text
# 'go version -m' prints, without runtime.modinfo's binary sentinels.
if command -v python3 >/dev/null; then
	if python3 - "$db" >"$work/out" 2>&1 <<'PY'
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
for (t,) in c.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall():
    c.execute('SELECT * FROM "%s"' % t).fetchall()
bs = c.execute("SELECT build_settings FROM incident").fetchone()[0]
assert bs.startswith("path\t") and bs.endswith("\n"), repr(bs[:20] + bs[-20:])
PY
	then
		ok "every table decodes as UTF-8 in Python; build_settings is go version -m's text"
	else
		bad "text that is not UTF-8, or build_settings not go version -m's: $(tail -n 1 "$work/out")"
	fi
fi

# as_reader CMD...: run CMD as a user who may read but not write $work/ro.
# Root writes any file whatever its mode: root runs it as nobody.
chmod 755 "$work"
mkdir "$work/ro" "$work/rw"
if [ "$(id -u)" = 0 ]; then
	if command -v setpriv >/dev/null; then
		as_reader() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
		chmod 777 "$work/rw"
	else
		as_reader() { return 77; }
	fi
else
	as_reader() { "$@"; }
fi
cp "$db" "$work/ro/a.db"
cp "$db" "$work/rw/a.db"
# The reader (nobody, under root) must read the core: the source tree may be
# in a folder only its owner enters (a clone in /root).
cp "$core" "$work/core.zst"
chmod 644 "$work/core.zst"
chmod 444 "$work/ro/a.db" "$work/rw/a.db"
chmod 555 "$work/ro"
if as_reader true; then
	for dir in ro rw; do
		rodb=$work/$dir/a.db
		# The commands that only read work: in ro the -shm file cannot be
		# created (the database is read without it), in rw it can.
		for cmd in report goroutines "traceback --incident $id" contexts "similar $id" \
			"diff $id $id" "query goroutine_bucket" "graph --waits"; do
			if as_reader "$bin" $cmd --db "$rodb" >"$work/out" 2>"$work/err" && [ -s "$work/out" ]; then
				ok "$dir: '$cmd' reads a read-only database"
			else
				bad "$dir: '$cmd' on a read-only database: $(cat "$work/err")"
			fi
		done
		# The ones that write say so, naming the file and the command.
		for cmd in "analyze --exe $work/exe $work/core.zst" "tag $id k=v" "forget $id" \
			"import --from $db"; do
			c=${cmd%% *}
			as_reader "$bin" $cmd --db "$rodb" >"$work/out" 2>"$work/err"
			rc=$?
			if [ $rc -eq 1 ] && [ "$(wc -l <"$work/err")" -eq 1 ] &&
				grep -q "$rodb: the database file is read-only (Permission denied); 'gocoroner $c' needs to write to it" "$work/err"; then
				ok "$dir: '$c' on a read-only database: $(cat "$work/err")"
			else
				bad "$dir: '$c' on a read-only database: status $rc: $(cat "$work/err")"
			fi
		done
	done
	as_reader "$bin" export --db "$db" --to "$work/ro/new.db" "$id" >"$work/out" 2>"$work/err"
	grep -q "ro/new.db: the database's folder is read-only.*'gocoroner export' needs to write to it" "$work/err" &&
		ok "export into a read-only folder: $(cat "$work/err")" ||
		bad "export into a read-only folder: $(cat "$work/err")"
	# ... and is a source export and import can read.
	as_reader "$bin" export --db "$work/ro/a.db" --to "$work/rw/exported.db" "$id" >"$work/out" 2>"$work/err" &&
		as_reader "$bin" import --db "$work/rw/imported.db" --from "$work/ro/a.db" >>"$work/out" 2>>"$work/err" &&
		ok "export and import read a read-only database in a read-only folder" ||
		bad "export or import from a read-only database: $(cat "$work/err")"
	cmp -s "$db" "$work/ro/a.db" && cmp -s "$db" "$work/rw/a.db" &&
		ok "the read-only databases are unchanged" || bad "a read-only database changed"
else
	echo "no way to run as another user: read-only checks skipped"
fi
chmod 755 "$work/ro"

# --budget: every statement a command runs is under it. With a budget of one
# step (counted in thousands, so any statement past a thousand steps stops)
# each command below stops with one line naming the command and how to lift
# the limit, and a database it was writing is left as it was.
bdb=$work/budget.db
analyze_core hang-go1.27-opt-kernel "$bdb" && id2=$(cat "$work/id") &&
	cp "$db" "$work/import.db" &&
	zstd -q -d -f "$corpus/$(col exe "$name")" -o "$work/exe" &&
	"$bin" analyze -q --db "$bdb" --exe "$work/exe" "$core" >"$work/id" || bad "budget database: $(cat "$work/err")"
id1=$(cat "$work/id")
state() { sqlite3 "$1" "SELECT count(*), group_concat(id) FROM incident; SELECT count(*) FROM goroutine;
	SELECT count(*) FROM frame; SELECT count(*) FROM incident_tag" | tr '\n' ' '; }
before=$(state "$bdb")
for cmd in "analyze --exe $work/exe $corpus/$(col core diag-go1.27-opt-gcore)" report goroutines \
	traceback contexts "query goroutine_bucket" "graph --waits" "graph --contexts" \
	"diff $id1 $id2" "forget $id1" "export --to $work/export.db $id1" "import --from $work/import.db"; do
	c=${cmd%% *}
	db_arg=$bdb
	[ "$c" = import ] && db_arg=$work/fresh.db
	timeout 60 "$bin" $cmd --db "$db_arg" --budget 1 >"$work/out" 2>"$work/err"
	rc=$?
	if [ $rc -eq 1 ] && [ "$(wc -l <"$work/err")" -eq 1 ] &&
		grep -q "more than 1 steps of work.*run 'gocoroner $c' again with a larger --budget" "$work/err"; then
		ok "'$c --budget 1' stops: $(cat "$work/err")"
	else
		bad "'$c --budget 1': status $rc: $(cat "$work/err")"
	fi
done
[ "$(state "$bdb")" = "$before" ] && ok "the commands stopped by their budget left the database as it was" ||
	bad "a command stopped by its budget changed the database: $before -> $(state "$bdb")"
[ ! -e "$work/export.db" ] && ok "a stopped export leaves no file" || bad "a stopped export left $work/export.db"
n=$(sqlite3 "$work/fresh.db" "SELECT count(*) FROM incident" 2>&1)
[ "$n" = 0 ] && ok "a stopped import wrote no incident" || bad "a stopped import: $n incidents"
# Commands whose statements are all small either finish or stop the same way.
for cmd in incidents "tag $id1 k=v" "similar $id1"; do
	"$bin" $cmd --db "$bdb" --budget 1 >"$work/out" 2>"$work/err"
	rc=$?
	[ $rc -eq 0 ] || { [ $rc -eq 1 ] && grep -q "run 'gocoroner ${cmd%% *}' again with a larger --budget" "$work/err"; } &&
		ok "'${cmd%% *} --budget 1': status $rc" || bad "'${cmd%% *} --budget 1': status $rc: $(cat "$work/err")"
done

# --keep-core on a raw sparse core: the holes are not read (time and memory
# follow the data, not the size), the kept core reads the same, and it is
# compressed before the write transaction, so that two such ingests into one
# database at once both succeed.
sparse() { # sparse NAME FILE: NAME's core, raw, with a 3 GiB hole at the end
	zstd -q -d -f "$corpus/$(col core "$1")" -o "$2" && truncate -s +3G "$2"
}
other=hang-go1.27-opt-kernel
zstd -q -d -f "$corpus/$(col exe "$other")" -o "$work/other.exe"
if sparse "$name" "$work/a.core" && sparse "$other" "$work/b.core" &&
	[ "$(du -k "$work/a.core" | cut -f1)" -lt 500000 ]; then
	kdb=$work/keep.db
	rss=
	if [ -x /usr/bin/time ]; then
		/usr/bin/time -f '%M' -o "$work/rss" "$bin" analyze -q --keep-core --db "$kdb" \
			--exe "$work/exe" "$work/a.core" >"$work/id" 2>"$work/err" &
		pid_a=$!
	else
		"$bin" analyze -q --keep-core --db "$kdb" --exe "$work/exe" "$work/a.core" \
			>"$work/id" 2>"$work/err" &
		pid_a=$!
	fi
	"$bin" analyze -q --keep-core --db "$kdb" --exe "$work/other.exe" "$work/b.core" \
		>"$work/id2" 2>"$work/err2"
	rc_b=$?
	wait $pid_a
	rc_a=$?
	[ $rc_a -eq 0 ] && [ $rc_b -eq 0 ] &&
		ok "two --keep-core ingests of 3 GiB sparse cores into one database at once" ||
		bad "parallel --keep-core ingests: $rc_a $(cat "$work/err"); $rc_b $(cat "$work/err2")"
	[ -s "$work/rss" ] && rss=$(tail -n 1 "$work/rss")
	if [ -n "$rss" ]; then
		[ "$rss" -lt 300000 ] && ok "keeping a 3 GiB sparse core peaks at $rss KiB" ||
			bad "keeping a 3 GiB sparse core peaks at $rss KiB"
	fi
	for c in a b; do
		i=$([ $c = a ] && cat "$work/id" || cat "$work/id2")
		rm -f "$work/back.zst"
		if "$bin" core --db "$kdb" --to "$work/back.zst" "$i" 2>"$work/err" &&
			[ "$(zstd -q -d -c "$work/back.zst" | cksum)" = "$(cksum <"$work/$c.core")" ]; then
			ok "the kept sparse core $c reads the same"
		else
			bad "the kept sparse core $c differs: $(cat "$work/err")"
		fi
	done
	rm -f "$work/a.core" "$work/b.core" "$work/back.zst"
else
	echo "no sparse files here: --keep-core checks skipped"
fi

echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
