#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# gen-archive.sh: a test archive of at least 200 incidents built from the
# corpus, for timing the archive commands (bench/bench-archive.sh).
#
# usage: bench/gen-archive.sh [OUT.db] [COUNT]
#   (defaults /tmp/gocoroner-archive/archive.db and 200)
#
# First every core of corpus/manifest.tsv is ingested with its executable
# (56 real incidents). The corpus has no more distinct cores, so the rest
# are SYNTHETIC COPIES: the real incidents are exported into a database of
# their own, and each round of copies changes, in a copy of that file, the
# last 8 hex digits of core_sha256 to the round number and appends
# " #synthetic-copy-R" to core_path, then imports it — so each copy is a
# distinct incident (the key is core_sha256 and exe_build_id) with the rows
# of a real one. Rounds go on until the archive holds COUNT incidents. Real
# incidents are those whose core_path has no '#synthetic-copy-'.
# Needs zstd and sqlite3; prints the incident count and the size.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-/tmp/gocoroner-archive/archive.db}
want=${2:-200}
gocoroner=${GOCORONER:-$top/_build/gocoroner}
corpus=$top/corpus
work=$(mktemp -d /tmp/gocoroner-gen.XXXXXX)
trap 'rm -rf "$work"' EXIT
mkdir -p "$(dirname "$out")"
rm -f "$out" "$out-wal" "$out-shm"

# Real incidents: every corpus core (a .zst core is read as is; the
# executables are decompressed, one at a time).
tail -n +2 "$corpus/manifest.tsv" | cut -f1,6,7 | while IFS='	' read -r name exe core; do
	zstd -q -d -f "$corpus/$exe" -o "$work/exe"
	"$gocoroner" analyze -q --db "$out" --exe "$work/exe" "$corpus/$core" >/dev/null ||
		echo "gen-archive: $name: analyze failed" >&2
done
real=$(sqlite3 "$out" 'SELECT count(*) FROM incident')

# Synthetic copies, a round of $real at a time.
"$gocoroner" import --db "$work/real.db" --from "$out" >/dev/null
round=1
while [ "$(sqlite3 "$out" 'SELECT count(*) FROM incident')" -lt "$want" ]; do
	rm -f "$work/copy.db"*
	cp "$work/real.db" "$work/copy.db"
	sqlite3 "$work/copy.db" "UPDATE incident SET
		core_sha256 = substr(core_sha256, 1, 56) || printf('%08x', $round),
		core_path = core_path || ' #synthetic-copy-$round'"
	"$gocoroner" import --db "$out" --from "$work/copy.db" >/dev/null
	round=$((round + 1))
done
sqlite3 "$out" 'PRAGMA wal_checkpoint(TRUNCATE)' >/dev/null
n=$(sqlite3 "$out" 'SELECT count(*) FROM incident')
size=$(stat -c %s "$out")
echo "$out: $n incidents ($real real, $((n - real)) synthetic copies), $size bytes, $((size / n)) bytes per incident"
