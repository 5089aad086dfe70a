#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# test-pie.sh: a position-independent executable's core reads as its
# fixed-address twin's. For every corpus core of a PIE build (notes
# variant:pie, variant:pie-cgo, variant:static-pie) and its twin of the plain build (the same
# program, release, mode and kind: the name without the variant), both
# analyzed: every scenario goroutine (matched by the name the program
# printed, "scenario NAME goid=N": goroutine ids may differ between runs)
# has the same status, wait reason, creator function and line, start
# function, and the same frames — function, file, line, inlined, wrapper —
# one by one; the goroutines counted by state are the same; and the
# findings (finding_group: kinds, culprit functions, object kinds, counts)
# are the same. Addresses differ by design (ASLR) and are not compared;
# nor is a goroutine that was running (spin: where it stopped varies).
# PIE_CORES (manifest names of variant cores) overrides the list.
set -u
. "${TOP_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}/tests/corpus-lib.sh"
corpus_setup pie

command -v sqlite3 >/dev/null || { echo "sqlite3 not installed: skipped"; exit 77; }

all=$(awk -F'\t' 'NR > 1 && $16 ~ /(^|;)variant:(static-)?pie(-cgo)?(;|$)/ { print $1 }' "$corpus/manifest.tsv")
[ -n "${PIE_CORES:-$all}" ] || { echo "no PIE cores in the manifest: skipped"; exit 77; }

db=$work/pie.db
# analyze CORE: its incident id on stdout, empty on failure
analyze() {
	zstd -q -d -f "$corpus/$(col exe "$1")" -o "$work/$1.exe" 2>"$work/err" &&
		"$bin" analyze -q --db "$db" --exe "$work/$1.exe" "$corpus/$(col core "$1")" 2>"$work/err"
}
q() { sqlite3 -separator '|' "$db" "$1"; }
scenarios() { sed -n 's/^scenario \([^ ]*\) goid=\([0-9]*\)$/\1 \2/p' "$corpus/$(col stdout "$1")"; }

for name in ${PIE_CORES:-$all}; do
	twin=$(echo "$name" | sed -E 's/-(static-)?pie(-cgo)?-go/-go/')
	if [ -z "$(col name "$twin")" ]; then
		bad "$name: no twin $twin in the manifest"
		continue
	fi
	pid=$(analyze "$name") && [ -n "$pid" ] || { bad "$name: analyze failed: $(cat "$work/err")"; continue; }
	tid=$(analyze "$twin") && [ -n "$tid" ] || { bad "$twin: analyze failed: $(cat "$work/err")"; continue; }

	# The executable really is position-independent and was moved.
	etype=$(od -An -tu2 -j16 -N2 "$work/$name.exe" | tr -d ' ')
	[ "$etype" = 3 ] && ok "$name: ET_DYN executable" || bad "$name: e_type $etype, not ET_DYN"
	# A static PIE has no interpreter (no PT_INTERP: it relocates itself),
	# the others have ld-linux's.
	case $name in
	*-static-pie-*) want=0 what="static: no PT_INTERP" ;;
	*) want=1 what="PT_INTERP" ;;
	esac
	ninterp=$(readelf -lW "$work/$name.exe" 2>/dev/null | grep -c ' INTERP ')
	[ "$ninterp" = "$want" ] && ok "$name: $what" || bad "$name: $ninterp PT_INTERP, expected $want"

	scenarios "$twin" >"$work/twin.scen"
	n=0 diff=0 skipped=""
	while read -r scen goid; do
		tgoid=$(awk -v s="$scen" '$1 == s { print $2 }' "$work/twin.scen")
		if [ -z "$tgoid" ]; then
			bad "$name: scenario $scen not in $twin's stdout"
			continue
		fi
		g="SELECT status || '|' || COALESCE(wait_reason, '') || '|' || COALESCE(created_by_func, '')
		     || '|' || COALESCE(created_by_line, '') || '|' || COALESCE(start_func, '') || '|' || is_system
		     FROM goroutine WHERE incident_id = %s AND goid = %s"
		# shellcheck disable=SC2059
		a=$(q "$(printf "$g" "$pid" "$goid")")
		# shellcheck disable=SC2059
		b=$(q "$(printf "$g" "$tid" "$tgoid")")
		sa=${a%%|*} sb=${b%%|*}
		if [ "$sa" = running ] || [ "$sa" = runnable ] || [ "$sb" = running ] || [ "$sb" = runnable ]; then
			skipped="$skipped $scen"
			continue
		fi
		n=$((n + 1))
		if [ -z "$a" ] || [ "$a" != "$b" ]; then
			diff=$((diff + 1))
			[ $diff -le 5 ] && echo "  $scen: goroutine $goid [$a], twin's $tgoid [$b]"
			continue
		fi
		f="SELECT f.depth || '|' || COALESCE(f.func, '') || '|' || COALESCE(f.file, '') || '|'
		     || COALESCE(f.line, '') || '|' || f.inlined || '|' || f.wrapper
		     FROM goroutine AS g JOIN frame AS f USING (incident_id, stack_id)
		    WHERE g.incident_id = %s AND g.goid = %s ORDER BY f.depth"
		# shellcheck disable=SC2059
		q "$(printf "$f" "$pid" "$goid")" >"$work/a.frames"
		# shellcheck disable=SC2059
		q "$(printf "$f" "$tid" "$tgoid")" >"$work/b.frames"
		if [ ! -s "$work/a.frames" ] || ! cmp -s "$work/a.frames" "$work/b.frames"; then
			diff=$((diff + 1))
			[ $diff -le 5 ] && echo "  $scen: frames differ:" && diff "$work/a.frames" "$work/b.frames" | head -8
		fi
	done <<EOF
$(scenarios "$name")
EOF
	[ "$n" -gt 20 ] && [ "$diff" = 0 ] &&
		ok "$name: $n scenario goroutines as in $twin (state, creator, every frame; running:${skipped:- none})" ||
		bad "$name: $diff of $n scenario goroutines differ from $twin's"

	c="SELECT status, COALESCE(wait_reason, ''), is_system, count(*) FROM goroutine
	    WHERE incident_id = %s AND status NOT IN ('running', 'runnable') GROUP BY 1, 2, 3 ORDER BY 1, 2, 3"
	# shellcheck disable=SC2059
	q "$(printf "$c" "$pid")" >"$work/a.count"
	# shellcheck disable=SC2059
	q "$(printf "$c" "$tid")" >"$work/b.count"
	[ -s "$work/a.count" ] && cmp -s "$work/a.count" "$work/b.count" &&
		ok "$name: goroutines by state as in $twin ($(wc -l <"$work/a.count") states)" ||
		bad "$name: goroutines by state differ: $(diff "$work/a.count" "$work/b.count" | tr '\n' ' ')"

	fg="SELECT kind, COALESCE(culprit, ''), COALESCE(object, ''), count FROM finding_group
	     WHERE incident_id = %s ORDER BY 1, 2, 3, 4"
	# shellcheck disable=SC2059
	q "$(printf "$fg" "$pid")" >"$work/a.find"
	# shellcheck disable=SC2059
	q "$(printf "$fg" "$tid")" >"$work/b.find"
	[ -s "$work/a.find" ] && cmp -s "$work/a.find" "$work/b.find" &&
		ok "$name: findings as in $twin ($(wc -l <"$work/a.find") groups)" ||
		bad "$name: findings differ: $(diff "$work/a.find" "$work/b.find" | tr '\n' ' ')"
done

echo "pie: $pass passed, $fail failed"
[ "$fail" = 0 ]
