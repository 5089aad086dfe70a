#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# test-diag.sh: every finding query on every core of the diag program
# against what the program itself printed (corpus/README.md, "The diag
# program"): each "expect QUERY NAME goid=N ..." line must be reported by
# QUERY at that goroutine with the fields the line gives (culprit function,
# context, where it was canceled, object waited on, cycle), each "clean QUERY
# NAME goid=N" line (a look-alike) must not be, and a finding query may
# report no goroutine the program did not plant. On Go 1.26/1.27 leak_suspect
# must also name exactly the goroutines of Go's own goroutine-leak profile
# (expect/NAME.leaks), and those goroutines carry the status 'leaked'.
#
# It prints one tally line per core and query (true: expect lines met;
# false: look-alikes or unplanted goroutines reported; missed; known: missed
# and listed in diag-known.txt; clean: look-alikes rightly not reported)
# and, at the end, the totals; DIAG_TALLY=FILE also writes the tally there.
# DIAG_CORES (manifest names) restricts the cores checked.
set -u
. "${TOP_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}/tests/corpus-lib.sh"
corpus_setup diag

cores=${DIAG_CORES:-$(awk -F'\t' 'NR > 1 && $2 == "diag" { print $1 }' "$corpus/manifest.tsv")}
[ -n "$cores" ] || { echo "no diag cores in the manifest"; exit 1; }
known=$top/tests/diag-known.txt
[ -f "$known" ] || { echo "missing $known"; exit 1; }
tally=$work/tally
: >"$tally"
db=$work/diag.db

for name in $cores; do
	out=$corpus/$(col stdout "$name")
	analyze_core "$name" "$db" || { bad "$name: analyze failed: $(cat "$work/err")"; continue; }
	id=$(cat "$work/id")
	# One line per finding row, '|'-separated, lists space-separated; hex
	# addresses as the program prints them.
	"$bin" query --db "$db" --incident "$id" --format csv "
	$BUG_ROWS_SQL
	SELECT 'goroutine_bucket|' || bucket_kind || '|' || example_goid || '|' || goroutines || '|'
	       || replace(replace(replace(bucket_key, ',', ' '), '|', ' '), char(34), '')
	  FROM goroutine_bucket WHERE incident_id = ?1 AND bucket_kind IN ('stack', 'label')
	UNION ALL
	SELECT 'wait|' || goid || '|' || printf('%#x', chan_addr) || '|'
	  FROM chan_wait WHERE incident_id = ?1
	UNION ALL
	SELECT 'wait|' || goid || '|' || printf('%#x', addr) || '|' || COALESCE(printf('%#x', ctx_addr), '')
	  FROM sync_wait WHERE incident_id = ?1
	UNION ALL
	SELECT 'holds|' || gc.goid || '|' || COALESCE(f.func, '') || '|' || printf('%#x', gc.ctx_addr)
	  FROM goroutine_context AS gc
	  LEFT JOIN goroutine_frame AS f
	    ON f.incident_id = gc.incident_id AND f.goid = gc.goid AND f.depth = gc.frame_depth
	 WHERE gc.incident_id = ?1
	UNION ALL
	SELECT 'status|' || goid || '|' || status FROM goroutine WHERE incident_id = ?1
	" 2>"$work/err" | tail -n +2 | tr -d '\r"' >"$work/rows" || { bad "$name: query: $(cat "$work/err")"; continue; }
	leaks=
	lf=$corpus/expect/$name.leaks
	[ -f "$lf" ] && leaks=$lf

	# The expectations, line by line. Tally: true = an expect line reported
	# as the program says; missed = not (or with other fields); false = a
	# clean line reported, or a row of a finding query at a goroutine the
	# program has no expect line for.
	awk -v core="$name" -v leaks="$leaks" -v rows="$work/rows" -v known="$known" -F'|' '
	function field(line, k,   n, a, i) {
		n = split(line, a, " ")
		for (i = 4; i <= n; i++) if (index(a[i], k "=") == 1) return substr(a[i], length(k) + 2)
		return ""
	}
	function has(list, g) { return index(" " list " ", " " g " ") > 0 }
	function verdict(q, kind, msg, sc) {
		if (kind == "missed" && (core, q, sc) in knownmiss) {
			kind = "known"; used[core, q, sc] = 1
			print "known - " core ": " msg
		}
		n[q, kind]++
		queries[q] = 1
		if (kind == "missed" || kind == "false") print "FAIL - " core ": " msg
	}
	FILENAME == known {
		if ($0 !~ /^#/ && NF) { split($0, kf, " "); knownmiss[kf[1], kf[2], kf[3]] = 1 }
		next
	}
	FILENAME == rows {
		q = $1
		if (q == "wait") { waits[$2, $3] = 1; lockctx[$2, $3] = $4; next }
		if (q == "holds") { held[$2, $4] = 1; heldat[$2, $4, $3] = 1; next }
		if (q == "status") { status[$2] = $3; next }
		nrow[q]++
		row[q, nrow[q]] = $0
		next
	}
	FILENAME == leaks {
		if (/^goroutine [0-9]+ .*\(leaked\)/) { g = $0; sub(/^goroutine /, "", g); sub(/ .*/, "", g); goleak[g] = 1 }
		next
	}
	{ split($0, w, " ") }
	w[1] == "labels" { g = substr(w[3], 6); labelled[g] = w[4] " " w[5]; next }
	w[1] == "scenario" { scen[substr(w[3], 6)] = w[2]; next }
	w[1] != "expect" && w[1] != "clean" { next }
	{
		q = w[2]; sc = w[3]; g = substr(w[4], 6)
		fn = field($0, "func"); cx = field($0, "ctx"); cn = field($0, "canceled")
		ob = field($0, "obj"); cy = field($0, "cycle"); bk = field($0, "bucket")
		if (w[1] == "clean") {
			clean[q, g] = 1
			found = ""
			for (i = 1; i <= nrow[q]; i++) {
				split(row[q, i], r, "|")
				if ((q == "cancel_unobserved" || q == "leak_suspect" || q == "wait_cycle") && r[2] == g) found = row[q, i]
				if (q == "cancel_broken_link" && (has(r[2], g) || has(r[3], g))) found = row[q, i]
			}
			if (found != "") verdict(q, "false", sc " (goroutine " g ") is a look-alike, reported by " q ": " found)
			else verdict(q, "clean", "")
			next
		}
		expected[q, g] = 1
		hit = ""
		for (i = 1; i <= nrow[q] && hit == ""; i++) {
			split(row[q, i], r, "|")
			if (q == "cancel_unobserved" && r[2] == g && (fn == "" || r[3] == fn) && r[4] == cx && r[5] == cn) hit = row[q, i]
			if (q == "cancel_detached" && has(r[2], g) && r[3] == cx && (r[4] == cn || r[5] == cn)) hit = row[q, i]
			if (q == "cancel_broken_link" && has(r[2], g) && r[4] == cx && r[5] == cn) hit = row[q, i]
			if (q == "leak_suspect" && r[2] == g && r[3] == ob) hit = row[q, i]
			if (q == "wait_cycle" && r[2] == g && r[3] == ob) {
				hit = row[q, i]
				# Members of one planted cycle share one cycle_id, and
				# different planted cycles have different ones.
				if ((cy in cyc) && cyc[cy] != r[4]) hit = ""
				for (k in cyc) if (k != cy && cyc[k] == r[4]) hit = ""
				if (hit != "") cyc[cy] = r[4]
			}
			if (q == "context_lock_wait" && has(r[2], g) && r[3] == cx && lockctx[g, ob] == cx) hit = row[q, i]
			if (q == "goroutine_bucket" && r[2] == "stack" && r[4] == bk && index(r[5], " < " fn ":") > 0) {
				bucket_goids[g] = 1; bucket_row = row[q, i]; hit = row[q, i]
			}
		}
		# The object the line names is what the goroutine waits on.
		if (hit != "" && ob != "" && !((g, ob) in waits)) hit = ""
		# The function named holds the context (cancel_* lines).
		if (hit != "" && fn != "" && cx != "" && q ~ /^cancel_/ && !((g, cx, fn) in heldat)) hit = ""
		if (hit == "") verdict(q, "missed", sc " (goroutine " g ") expected in " q " as \"" $0 "\"; rows: " nrow[q], sc)
		else verdict(q, "true", "")
	}
	END {
		# Rows of the finding queries at goroutines with no expect line.
		split("cancel_unobserved leak_suspect wait_cycle", fq, " ")
		for (j = 1; j <= 3; j++) {
			q = fq[j]
			for (i = 1; i <= nrow[q]; i++) {
				split(row[q, i], r, "|")
				if (!((q, r[2]) in expected) && !((q, r[2]) in clean))
					verdict(q, "false", "goroutine " r[2] " reported by " q " without an expect line: " row[q, i])
			}
		}
		split("cancel_detached cancel_broken_link context_lock_wait", gq, " ")
		for (j = 1; j <= 3; j++) {
			q = gq[j]
			for (i = 1; i <= nrow[q]; i++) {
				split(row[q, i], r, "|")
				known = 0
				for (k in expected) { split(k, e, SUBSEP); if (e[1] == q && (has(r[2], e[2]) || has(r[3], e[2]))) known = 1 }
				if (!known) verdict(q, "false", q " row for no planted goroutine: " row[q, i])
			}
		}
		# The bucket of identical stacks holds exactly the goroutines named.
		nb = 0; for (g in bucket_goids) nb++
		if (nb) {
			split(bucket_row, r, "|"); min = ""
			for (g in bucket_goids) if (min == "" || g + 0 < min + 0) min = g
			if (r[3] != min) verdict("goroutine_bucket", "missed", "bucket example goroutine " r[3] ", not the smallest named " min)
		}
		# Labelled goroutines: one label bucket each, with their labels.
		for (g in labelled) {
			split(labelled[g], lv, " "); sub(/=/, ":", lv[1]); sub(/=/, ":", lv[2])
			found = 0
			for (i = 1; i <= nrow["goroutine_bucket"]; i++) {
				split(row["goroutine_bucket", i], r, "|")
				if (r[2] == "label" && r[3] == g && index(r[5], lv[1]) && index(r[5], lv[2])) found = 1
			}
			verdict("goroutine_bucket", found ? "true" : "missed", "no label bucket of goroutine " g " with " labelled[g])
		}
		# Go 1.26/1.27: leak_suspect against Go s own leak profile, and the
		# leaked status the profile left in the core.
		if (leaks != "") {
			for (i = 1; i <= nrow["leak_suspect"]; i++) { split(row["leak_suspect", i], r, "|"); ours[r[2]] = 1 }
			for (g in goleak) {
				verdict("go_leak_profile", (g in ours) ? "true" : "missed", "goroutine " g " in Go s leak profile, not in leak_suspect", scen[g])
				if (status[g] != "leaked") verdict("go_leak_profile", "missed", "goroutine " g " has status " status[g] ", not leaked")
			}
			for (g in ours) if (!(g in goleak)) verdict("go_leak_profile", "false", "goroutine " g " in leak_suspect, not in Go s leak profile")
		}
		for (km in knownmiss) {
			split(km, e, SUBSEP)
			if (e[1] == core && !(km in used)) print "FAIL - " core ": known miss " e[2] " " e[3] " did not happen: remove it from diag-known.txt"
		}
		for (q in queries) printf "tally %s %s true=%d false=%d missed=%d known=%d clean=%d\n", core, q, n[q, "true"], n[q, "false"], n[q, "missed"], n[q, "known"], n[q, "clean"]
	}' "$known" "$work/rows" ${leaks:+"$leaks"} "$out" >"$work/verdict"
	grep -v '^tally ' "$work/verdict"
	nk=$(grep -c '^known' "$work/verdict")
	grep '^tally ' "$work/verdict" >>"$tally"
	nf=$(grep -c '^FAIL' "$work/verdict")
	nt=$(grep '^tally ' "$work/verdict" | awk '{ split($4, a, "="); split($8, b, "="); s += a[2] + b[2] } END { print s + 0 }')
	if [ "$nf" -eq 0 ] && [ "$nt" -ge 40 ]; then
		ok "$name: $nt expectations met${nk:+, $nk known misses}"
	else
		bad "$name: $nf failed, $nt met"
	fi
	# Every goroutine of the program parks at a call, in frames with stack
	# maps: each finding backed by a holding rests on a live one
	# (goroutine_context.evidence), debug and optimized builds alike.
	notlive=$("$bin" query --db "$db" --incident "$id" --format csv "
	SELECT 'cancel_unobserved ' || goid || ' ' || COALESCE(evidence, 'NULL') FROM cancel_unobserved
	 WHERE incident_id = ?1 AND COALESCE(evidence, '') NOT LIKE '%-live'
	UNION ALL
	SELECT 'cancel_detached ' || printf('%#x', ctx_addr) || ' ' || COALESCE(evidence, 'NULL')
	  FROM cancel_detached WHERE incident_id = ?1 AND COALESCE(evidence, '') NOT LIKE '%-live'" |
		tail -n +2 | tr '\n' ';')
	[ -z "$notlive" ] && ok "$name: every cancel finding rests on a live holding" ||
		bad "$name: findings without a live holding: $notlive"
done

awk '{ split($4, t, "="); split($5, f, "="); split($6, m, "="); split($7, k, "="); split($8, c, "=")
       T[$3] += t[2]; F[$3] += f[2]; M[$3] += m[2] + k[2]; C[$3] += c[2] }
     END { for (q in T) printf "# %-20s true=%d false=%d missed=%d look-alikes not reported=%d\n", q, T[q], F[q], M[q], C[q] }' "$tally" | sort
[ -n "${DIAG_TALLY:-}" ] && cp "$tally" "$DIAG_TALLY"
echo "# $pass cores passed, $fail failed"
[ "$fail" -eq 0 ]
