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
