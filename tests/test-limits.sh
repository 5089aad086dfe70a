#!/bin/sh
# test-limits.sh: gocoroner within the limits of what it is given — a
# database this user may only read (the read-only commands work, the writing
# ones say which file and which command), and each command's statements
# under --budget.
set -u
. "${TOP_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}/tests/corpus-lib.sh"
corpus_setup limits

name=diag-go1.27-opt-kernel
db=$work/archive.db
analyze_core "$name" "$db" || { bad "$name: analyze failed: $(cat "$work/err")"; exit 1; }
id=$(cat "$work/id")
core=$corpus/$(col core "$name")

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
		for cmd in "analyze --exe $work/exe $core" "tag $id k=v" "forget $id" \
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
	cmp -s "$db" "$work/ro/a.db" && cmp -s "$db" "$work/rw/a.db" &&
		ok "the read-only databases are unchanged" || bad "a read-only database changed"
else
	echo "no way to run as another user: read-only checks skipped"
fi
chmod 755 "$work/ro"

echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
