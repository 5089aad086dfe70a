# SPDX-License-Identifier: Apache-2.0
# corpus-lib.sh: what the shell tests over the corpus share. Source it with
#   . "${TOP_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}/tests/corpus-lib.sh"
#   corpus_setup NAME     (skips the test, exit 77, without corpus or zstd)
# It sets top, bin (the gocoroner under test), corpus, work (a scratch
# directory removed on exit), pass and fail with ok/bad to count them, and
# col to read the manifest.

top=${TOP_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
bin=${GOCORONER:-./gocoroner}
corpus=$top/corpus
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "ok - $1"; }
bad() { fail=$((fail + 1)); echo "FAIL - $1"; }

corpus_setup() { # corpus_setup NAME: checks, and the scratch directory
	[ -f "$corpus/manifest.tsv" ] || {
		echo "no corpus in $corpus (a release tarball leaves it out: unpack" \
			"gocoroner-corpus-VERSION.tar over the source tree): skipped"
		exit 77
	}
	command -v zstd >/dev/null || { echo "zstd not installed: skipped"; exit 77; }
	work=$(mktemp -d "/tmp/gocoroner-$1.XXXXXX")
	trap 'rm -rf "$work"' EXIT
}

col() { # col COLUMN CORE: a manifest column of a core by name
	awk -F'\t' -v want="$1" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == want) c = i; next }
		$1 == row { print $c }' row="$2" "$corpus/manifest.tsv"
}

# analyze_core CORE DB: ingest a corpus core (its executable decompressed to
# $work/exe) into DB; its incident id in $work/id, errors in $work/err.
analyze_core() {
	zstd -q -d -f "$corpus/$(col exe "$1")" -o "$work/exe" 2>"$work/err" &&
		"$bin" analyze -q --db "$2" --exe "$work/exe" "$corpus/$(col core "$1")" >"$work/id" 2>"$work/err"
}

# The rows of the bug queries for incident ?1, one per finding, '|'-separated
# (lists space-separated, addresses in hex as the programs print them),
# followed by UNION ALL: the start of test-diag.sh's and test-httpsvc.sh's
# statements.
BUG_ROWS_SQL="
	SELECT 'cancel_unobserved|' || goid || '|' || COALESCE(func, '') || '|' || printf('%#x', ctx_addr)
	       || '|' || printf('%#x', canceled_addr) || '|' || printf('%#x', state_addr)
	  FROM cancel_unobserved WHERE incident_id = ?1
	UNION ALL
	SELECT 'cancel_detached|' || replace(COALESCE(holder_goids, ''), ',', ' ') || '|'
	       || printf('%#x', ctx_addr) || '|' || printf('%#x', canceled_addr) || '|' || printf('%#x', state_addr)
	  FROM cancel_detached WHERE incident_id = ?1
	UNION ALL
	SELECT 'cancel_broken_link|' || replace(COALESCE(waiter_goids, ''), ',', ' ') || '|'
	       || replace(COALESCE(holder_goids, ''), ',', ' ') || '|'
	       || printf('%#x', ctx_addr) || '|' || printf('%#x', canceled_addr) || '|' || reason
	  FROM cancel_broken_link WHERE incident_id = ?1
	UNION ALL
	SELECT 'leak_suspect|' || goid || '|' || COALESCE(printf('%#x', obj_addr), '')
	  FROM leak_suspect WHERE incident_id = ?1
	UNION ALL
	SELECT 'wait_cycle|' || goid || '|' || printf('%#x', obj_addr) || '|' || cycle_id
	  FROM wait_cycle WHERE incident_id = ?1
	UNION ALL
	SELECT 'context_lock_wait|' || replace(waiter_goids, ',', ' ') || '|' || printf('%#x', ctx_addr)
	  FROM context_lock_wait WHERE incident_id = ?1
	UNION ALL
	"

# summary_rows_agree NAME DB ID: the summary the ingest keeps of incident ID
# matches what the views say now. incident_finding holds view finding_group's
# rows exactly (the ingest groups its own evaluation of the finding views),
# and 'report --short', which reads the counts the ingest stored
# (incident_finding_count), prints what 'report' prints from the views again.
summary_rows_agree() {
	sra_q="SELECT kind, culprit, object, count FROM finding_group WHERE incident_id = ?1"
	sra_s="SELECT kind, culprit, object, count FROM incident_finding WHERE incident_id = ?1"
	sra_d=$("$bin" query --db "$2" --incident "$3" --format csv \
		"$sra_q EXCEPT $sra_s UNION ALL SELECT * FROM ($sra_s EXCEPT $sra_q)" | tail -n +2)
	sra_n=$("$bin" query --db "$2" --incident "$3" --format csv \
		"SELECT count(*) FROM incident_finding_count WHERE incident_id = ?1" | tail -n +2 | tr -d '\r')
	[ -z "$sra_d" ] && [ "$sra_n" = 1 ] && ok "$1: incident_finding is view finding_group's rows" ||
		bad "$1: incident_finding and finding_group differ (or no stored counts: $sra_n): $sra_d"
	"$bin" report --db "$2" --incident "$3" --short >"$work/short" 2>&1
	"$bin" report --db "$2" --incident "$3" >"$work/full" 2>&1
	# The full report's short form: from its "findings:" line on, as long.
	sra_l=$(wc -l <"$work/short")
	awk -v n="$sra_l" '/^findings:/ && !k { k = 1 } k && n-- > 0' "$work/full" >"$work/full.short"
	cmp -s "$work/full.short" "$work/short" &&
		ok "$1: report --short (stored counts) says what report counts: $(head -1 "$work/short")" ||
		bad "$1: report --short: $(cat "$work/short"); report: $(cat "$work/full.short")"
}
