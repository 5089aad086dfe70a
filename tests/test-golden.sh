#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# test-golden.sh: every query of the library on every corpus core against
# its golden CSV, tests/golden/CORE/QUERY.csv: the rows as gocoroner
# produced them when they were last reviewed (incident_id left out, rows
# sorted). The golden files are a regression net: the independent checks of
# what the rows must say are test-findings.sh (hang program) and
# test-diag.sh (diag program); a change here that those tests accept is
# reviewed with `git diff tests/golden` and recorded with
#
#   GOLDEN_UPDATE=1 make check TESTS=tests/test-golden.sh
#
# A query without a golden file, or a golden file of no query, fails. The
# pileup program's cores are left out: tens of thousands of rows per core,
# and test-pileup.sh checks them against the program's own record and Go's
# leak profile.
set -u
. "${TOP_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}/tests/corpus-lib.sh"
corpus_setup golden
golden=$top/tests/golden

# The public queries: the unindented lines of `query --list`.
queries=$("$bin" query --list | grep '^[a-z]')
[ -n "$queries" ] || { echo "FAIL - query --list names no query"; exit 1; }
db=$work/golden.db
# Not the cores of pileup and leakzoo (thousands of goroutines: too large to
# keep as CSV) nor httpsvc's: test-pileup.sh, test-leakzoo.sh and
# test-httpsvc.sh check every goroutine of those against the programs' own
# record and Go's leak profile. Nor ctxroots's: written for columns and
# findings gocoroner does not have yet (test-ctxroots.sh), their rows of
# today would be recorded unreviewed. Nor the build variants' (variant:NAME
# in the notes: -buildmode=pie, split, stripped...): test-pie.sh compares their goroutines,
# frames and findings (finding_group) with those of their plain twins,
# whose rows are here, and test-findings.sh and test-diag.sh check their
# findings against the programs' own record.
for name in ${GOLDEN_CORES:-$(awk -F'\t' 'NR > 1 && $2 != "pileup" && $2 != "leakzoo" && $2 != "httpsvc" && $2 != "ctxroots" && $16 !~ /(^|;)variant:/ { print $1 }' "$corpus/manifest.tsv")}; do
	analyze_core "$name" "$db" || { bad "$name: analyze failed: $(cat "$work/err")"; continue; }
	id=$(cat "$work/id")
	[ -n "${GOLDEN_UPDATE:-}" ] && mkdir -p "$golden/$name"
	for q in $queries; do
		# What depends on when and where the core was ingested (times,
		# file names, its place in the archive) is left out.
		case $q in
		incident_summary) cols="incident_id, build_id, go_version, goroutines, cancel_unobserved,
			cancel_broken_link, leak_suspect, wait_cycle, cancel_detached, context_lock_wait,
			tags, core_kept" ;;
		# What was noted, not the counts in its text: those follow how
		# the reading works, not what the core holds.
		diagnostics) cols="incident_id, severity, what" ;;
		*) cols="*" ;;
		esac
		# Header, then the rows sorted; the first column is incident_id.
		"$bin" query --db "$db" --incident "$id" --format csv \
			"SELECT $cols FROM $q WHERE incident_id = ?1" >"$work/out" 2>"$work/err" ||
			{ bad "$name: query $q: $(cat "$work/err")"; continue; }
		{ head -n 1 "$work/out" | sed 's/^incident_id,//'
		  tail -n +2 "$work/out" | sed 's/^[0-9]*,//' | LC_ALL=C sort; } >"$work/$q.csv"
		g=$golden/$name/$q.csv
		if [ -n "${GOLDEN_UPDATE:-}" ]; then
			cp "$work/$q.csv" "$g"
		elif [ ! -f "$g" ]; then
			bad "$name: no golden file $g (GOLDEN_UPDATE=1 writes it)"
			continue
		elif ! cmp -s "$g" "$work/$q.csv"; then
			bad "$name: $q differs from its golden CSV (golden < > now):"
			diff "$g" "$work/$q.csv" | head -8
			continue
		fi
		pass=$((pass + 1))
	done
	# Golden files of queries that no longer exist.
	for g in "$golden/$name"/*.csv; do
		[ -f "$g" ] || continue
		echo "$queries" | grep -qx "$(basename "$g" .csv)" || bad "$name: $g belongs to no query"
	done
done
[ -d "$golden" ] && for d in "$golden"/*/; do
	[ -n "${GOLDEN_CORES:-}" ] && break
	grep -q "^$(basename "$d")	" "$corpus/manifest.tsv" || bad "$d belongs to no corpus core"
done
echo "# $pass golden CSVs equal, $fail failures"
[ "$fail" -eq 0 ]
