#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# test-debuginfo.sh: stripped executables with their debug info kept apart
# (corpus/generate.sh --variant split). Each split core is analyzed with the
# stripped executable and its debug file found (a) by --debug-file, (b) by
# GNU build id under a --debug-dir, (c) from a debuginfod server (a static
# HTTP server on a free port serving buildid/HEX/debuginfo, as libdebuginfod
# asks); the three databases must hold the same rows, and those of the
# unstripped twin when the split build loads the plain build's bytes (every
# table but the paths of incident). How each was found is in analyze's
# output. For a kernel core (image:plain rows of Go 1.27), that the core
# lacks the executable's read-only segment: it was read from the stripped
# executable. Another build's debug file is an error naming both files; no debug
# info anywhere, the degraded mode saying where it looked. The goroutines of the
# split cores against Go's own traceback: test-corpus.
set -u
. "${TOP_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}/tests/corpus-lib.sh"
corpus_setup debuginfo
command -v sqlite3 >/dev/null || { echo "sqlite3 not installed: skipped"; exit 77; }

rows=$(awk -F'\t' 'NR > 1 && $0 ~ /variant:split/ { print $1 }' "$corpus/manifest.tsv")
[ -n "$rows" ] || { echo "no split cores in the manifest: skipped"; exit 77; }
have_client=0
"$bin" --version | grep -q '^debuginfod client: on' && have_client=1

# dump DB: every row of every table, sorted, but the incident's paths and
# ingest time (the executable's path is the one thing that differs).
dump() {
	for t in $(sqlite3 "$1" "SELECT name FROM sqlite_master WHERE type = 'table'
			AND name NOT LIKE 'sqlite_%' AND name <> 'incident' ORDER BY name"); do
		sqlite3 "$1" "SELECT '$t', * FROM \"$t\"" | LC_ALL=C sort
	done
	sqlite3 "$1" "SELECT id, core_sha256, exe_build_id, go_version, pid, signal, core_kind,
		goroutine_count, captured_at, exe_name, goroutine_groups FROM incident"
}

# The debuginfod server: python3's http.server on a port the kernel picks.
srv=$work/srv
mkdir -p "$srv/buildid"
server=""
if [ "$have_client" = 1 ] && ! command -v python3 >/dev/null; then
	bad "python3 is needed for the debuginfod test server (scripts/install-deps.sh installs it)"
elif [ "$have_client" = 1 ]; then
	python3 -u -m http.server --bind 127.0.0.1 --directory "$srv" 0 >"$work/http.log" 2>&1 &
	server=$!
	trap 'kill "$server" 2>/dev/null; rm -rf "$work"' EXIT
	port=""
	i=0
	while [ -z "$port" ] && [ $i -lt 100 ]; do
		port=$(sed -n 's/.* port \([0-9][0-9]*\).*/\1/p' "$work/http.log" | head -1)
		[ -n "$port" ] || sleep 0.1
		i=$((i + 1))
	done
	[ -n "$port" ] || { bad "the debuginfod test server did not start: $(cat "$work/http.log")"; port=1; }
fi

for row in $rows; do
	exe_rel=$(col exe "$row")
	name=$(basename "$exe_rel" .zst)
	dbg_zst=$corpus/${exe_rel%.zst}.debug.zst
	core=$corpus/$(col core "$row")
	mkdir -p "$work/$row"
	exe=$work/$row/$name
	zstd -q -d -f "$corpus/$exe_rel" -o "$exe"
	id=$(readelf -n "$exe" | sed -n 's/.*Build ID: \([0-9a-f]*\).*/\1/p' | head -1)
	[ -n "$id" ] || { bad "$row: the split executable has no GNU build id"; continue; }

	# (a) --debug-file, the corpus's .zst as it is.
	if "$bin" analyze --db "$work/$row/a.db" --exe "$exe" --debug-file "$dbg_zst" \
		--debug-dir /nonexistent "$core" >"$work/out" 2>&1 &&
		grep -q "^  debug info .*$name.debug.zst (found by --debug-file)$" "$work/out"; then
		ok "$row: --debug-file: $(grep 'debug info' "$work/out" | sed 's/^ *//')"
	else
		bad "$row: --debug-file: $(cat "$work/out")"
	fi

	# (b) a debug directory holding .build-id/xx/yyyy.debug.
	dd=$work/$row/debug/.build-id/$(echo "$id" | cut -c1-2)
	mkdir -p "$dd"
	zstd -q -d -f "$dbg_zst" -o "$dd/$(echo "$id" | cut -c3-).debug"
	if GOCORONER_DEBUG_DIRS=/nonexistent "$bin" analyze --db "$work/$row/b.db" --exe "$exe" \
		--debug-dir /nonexistent --debug-dir "$work/$row/debug" "$core" >"$work/out" 2>&1 &&
		grep -q "^  debug info $dd/.*\.debug (found by build id)$" "$work/out"; then
		ok "$row: --debug-dir by build id"
	else
		bad "$row: --debug-dir: $(cat "$work/out")"
	fi
	# The same directory named by the environment.
	if GOCORONER_DEBUG_DIRS=/nonexistent:$work/$row/debug "$bin" analyze -q --db "$work/$row/e.db" \
		--exe "$exe" "$core" >"$work/out" 2>&1; then
		ok "$row: GOCORONER_DEBUG_DIRS by build id"
	else
		bad "$row: GOCORONER_DEBUG_DIRS: $(cat "$work/out")"
	fi

	# (c) debuginfod.
	if [ -n "$server" ]; then
		mkdir -p "$srv/buildid/$id"
		cp "$dd/$(echo "$id" | cut -c3-).debug" "$srv/buildid/$id/debuginfo"
		if env DEBUGINFOD_URLS="http://127.0.0.1:$port" DEBUGINFOD_CACHE_PATH="$work/cache" \
			"$bin" analyze --db "$work/$row/c.db" --exe "$exe" --debug-dir /nonexistent \
			"$core" >"$work/out" 2>&1 &&
			grep -q "^  debug info $work/cache/.* (found by debuginfod)$" "$work/out"; then
			ok "$row: debuginfod (a local server on port $port)"
		else
			bad "$row: debuginfod: $(cat "$work/out")"
		fi
	fi

	dump "$work/$row/a.db" >"$work/$row/a.dump"
	n=$(sqlite3 "$work/$row/a.db" "SELECT count(*) FROM goroutine_base")
	for x in b e c; do
		[ -f "$work/$row/$x.db" ] || continue
		dump "$work/$row/$x.db" >"$work/$row/$x.dump"
		cmp -s "$work/$row/a.dump" "$work/$row/$x.dump" &&
			ok "$row: ($x) stored what (a) stored, $n goroutines" ||
			bad "$row: ($x) and (a) differ: $(diff "$work/$row/a.dump" "$work/$row/$x.dump" | head -5)"
	done
	# The unstripped twin, when the split build loads its bytes.
	case $(col notes "$row") in *image:plain*)
		twin=$(echo "$exe_rel" | sed 's/-split-/-/')
		zstd -q -d -f "$corpus/$twin" -o "$work/$row/twin"
		"$bin" analyze -q --db "$work/$row/t.db" --exe "$work/$row/twin" "$core" >/dev/null 2>"$work/err"
		dump "$work/$row/t.db" >"$work/$row/t.dump"
		[ "$n" -gt 0 ] && cmp -s "$work/$row/a.dump" "$work/$row/t.dump" &&
			ok "$row: what the unstripped $(basename "$twin" .zst) gives, every table" ||
			bad "$row: differs from the unstripped build: $(cat "$work/err")$(diff "$work/$row/t.dump" "$work/$row/a.dump" | head -5)"
		;;
	esac
	# A kernel core leaves out the executable's read-only pages (pclntab,
	# type data): what the tables above hold was read from the stripped
	# executable's PT_LOAD contents. Check the core really lacks them.
	if [ "$(col core_kind "$row")" = kernel ]; then
		ro=$(readelf -lW "$exe" | awk '$1 == "LOAD" && $7 == "R" && NF == 8 { print $3; exit }')
		zstd -q -d -f --sparse "$core" -o "$work/$row/core"
		fs=$(readelf -lW "$work/$row/core" | awk -v a="$ro" '$1 == "LOAD" && $3 == a { print ($5 ~ /^0x0+$/) ? 0 : $5 }')
		rm -f "$work/$row/core"
		[ -n "$ro" ] && [ "$fs" = 0 ] &&
			ok "$row: the kernel core omits the read-only segment at $ro, read from the stripped executable" ||
			bad "$row: read-only segment at ${ro:-?}: ${fs:-no} bytes in the kernel core, expected 0"
	fi
	last_exe=$exe last_row=$row
done

# Another build's debug file, named: an error naming both files.
for row in $rows; do
	[ "$(col exe "$row")" != "$(col exe "$last_row")" ] || continue
	other=$corpus/$(col exe "$row" | sed 's/\.zst$/.debug.zst/')
	"$bin" analyze --db "$work/m.db" --exe "$last_exe" --debug-file "$other" \
		"$corpus/$(col core "$last_row")" >"$work/out" 2>&1
	st=$?
	[ $st = 1 ] && grep -q "^gocoroner: $last_exe: the debug file $other does not match it: GNU build id [0-9a-f]* in the debug file, [0-9a-f]* in the executable$" "$work/out" &&
		ok "another build's debug file: $(cat "$work/out")" ||
		bad "another build's debug file: status $st: $(cat "$work/out")"
	break
done

# No debug info anywhere: the degraded mode, saying where it looked.
mkdir -p "$work/alone"
cp "$last_exe" "$work/alone/exe"
rm -f "$work/n.db"
"$bin" analyze --db "$work/n.db" --exe "$work/alone/exe" --debug-dir "$work/empty" \
	"$corpus/$(col core "$last_row")" >"$work/out" 2>&1
st=$?
want="degraded: no separate debug file was found (looked: $work/empty/.build-id/"
[ $st = 0 ] && grep -qF "$want" "$work/out" && grep -qF "$work/alone/$(basename "$last_exe").debug: none" "$work/out" &&
	grep -qF "$work/alone/.debug/$(basename "$last_exe").debug: none" "$work/out" &&
	grep -qF "degraded: stripped executable" "$work/out" &&
	ok "no debug info: the degraded mode" || bad "no debug info: status $st: $(cat "$work/out")"

if [ "$have_client" = 0 ]; then
	echo "debuginfod: this gocoroner was built without the client (libdebuginfod-dev not installed):" \
		"that part was not tested"
fi
echo "$pass passed, $fail failed"
[ "$fail" = 0 ] || exit 1
[ "$have_client" = 1 ] || exit 77
