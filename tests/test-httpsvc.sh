#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# test-httpsvc.sh: the bug queries on the cores of the httpsvc program (a
# net/http service with hundreds of keep-alive connections, many finished
# and canceled requests, and a few handlers blocked on a request the client
# canceled; corpus/README.md, "The httpsvc program") against what the
# program itself printed:
# - each "expect QUERY NAME goid=N ..." line is reported by QUERY at that
#   goroutine: cancel_unobserved at the frame (func=) that holds the
#   request's context (ctx=), canceled at canceled=, the goroutine waiting on
#   obj=; leak_suspect on obj=;
# - no "clean QUERY NAME goid=N" goroutine (idle keep-alive connections,
#   client goroutines with dead slots pointing at canceled contexts,
#   handlers holding or watching a live request context, the bugs' client
#   goroutines) is reported by QUERY, for every bug query: cancel_unobserved,
#   cancel_broken_link, cancel_detached, context_lock_wait, leak_suspect,
#   wait_cycle;
# - no per-goroutine bug query (cancel_unobserved, leak_suspect,
#   wait_cycle) reports a goroutine the program has no expect line for (the
#   server's and the transport's own goroutines), nor a group query one with
#   no goroutine of an expect line;
# - on Go 1.26/1.27, leak_suspect names exactly the goroutines of Go's
#   goroutine-leak profile, and they have status 'leaked'.
# One tally line per core and query (true, false, missed, clean), totals at
# the end. HTTPSVC_CORES (manifest names) restricts the cores checked.
set -u
. "${TOP_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}/tests/corpus-lib.sh"
corpus_setup httpsvc

cores=${HTTPSVC_CORES:-$(awk -F'\t' 'NR > 1 && $2 == "httpsvc" { print $1 }' "$corpus/manifest.tsv")}
[ -n "$cores" ] || { echo "no httpsvc cores in the manifest: skipped"; exit 77; }
tally=$work/tally
: >"$tally"
db=$work/httpsvc.db

for name in $cores; do
	out=$corpus/$(col stdout "$name")
	rm -f "$db" "$db-wal" "$db-shm"
	analyze_core "$name" "$db" || { bad "$name: analyze failed: $(cat "$work/err")"; continue; }
	id=$(cat "$work/id")
	"$bin" query --db "$db" --incident "$id" --format csv "
	$BUG_ROWS_SQL
	SELECT 'wait|' || goid || '|' || printf('%#x', chan_addr) FROM chan_wait WHERE incident_id = ?1
	UNION ALL
	SELECT 'wait|' || goid || '|' || printf('%#x', addr) FROM sync_wait WHERE incident_id = ?1
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
	if [ -f "$corpus/expect/$name.leaks.zst" ]; then
		zstd -q -d -f "$corpus/expect/$name.leaks.zst" -o "$work/leaks" && leaks=$work/leaks
	fi

	awk -v core="$name" -v leaks="$leaks" -v rows="$work/rows" -F'|' '
	function field(line, k,   n, a, i) {
		n = split(line, a, " ")
		for (i = 4; i <= n; i++) if (index(a[i], k "=") == 1) return substr(a[i], length(k) + 2)
		return ""
	}
	function has(list, g) { return index(" " list " ", " " g " ") > 0 }
	# the goroutine column(s) of a row of query Q
	function at(q, r, g) {
		if (q == "cancel_unobserved" || q == "leak_suspect" || q == "wait_cycle") return r[2] == g
		if (q == "cancel_broken_link") return has(r[2], g) || has(r[3], g)
		return has(r[2], g)
	}
	function verdict(q, kind, msg) {
		n[q, kind]++
		queries[q] = 1
		if (kind == "missed" || kind == "false") { print "FAIL - " core ": " msg; nfail[kind]++ }
	}
	FILENAME == rows {
		q = $1
		if (q == "wait") { waits[$2, $3] = 1; next }
		if (q == "holds") { heldat[$2, $4, $3] = 1; next }
		if (q == "status") { status[$2] = $3; next }
		nrow[q]++
		row[q, nrow[q]] = $0
		next
	}
	FILENAME == leaks {
		if (/^goroutine [0-9]+ .*\(leaked\)/) { g = $0; sub(/^goroutine /, "", g); sub(/ .*/, "", g); goleak[g] = 1; ngoleak++ }
		next
	}
	{ split($0, w, " ") }
	w[1] == "scenario" { scen[substr(w[3], 6)] = w[2]; next }
	w[1] != "expect" && w[1] != "clean" { next }
	{
		q = w[2]; sc = w[3]; g = substr(w[4], 6)
		fn = field($0, "func"); cx = field($0, "ctx"); cn = field($0, "canceled"); ob = field($0, "obj")
		mentioned[g] = 1
		if (w[1] == "clean") {
			found = ""
			for (i = 1; i <= nrow[q] && found == ""; i++) {
				split(row[q, i], r, "|")
				if (at(q, r, g)) found = row[q, i]
			}
			if (found != "") { verdict(q, "false", sc " (goroutine " g ") is a look-alike, reported by " q ": " found); falsesc[sc] = 1 }
			else verdict(q, "clean", "")
			next
		}
		expected[q, g] = 1
		hit = ""; near = ""
		for (i = 1; i <= nrow[q] && hit == ""; i++) {
			split(row[q, i], r, "|")
			if (!at(q, r, g)) continue
			near = row[q, i]
			if (q == "cancel_unobserved" && (fn == "" || r[3] == fn) && r[4] == cx && r[5] == cn) hit = row[q, i]
			if (q == "leak_suspect" && r[3] == ob) hit = row[q, i]
		}
		# The object named is what the goroutine waits on; the function
		# named holds the context.
		if (hit != "" && ob != "" && !((g, ob) in waits)) hit = ""
		if (hit != "" && fn != "" && cx != "" && !((g, cx, fn) in heldat)) hit = ""
		if (hit == "") verdict(q, "missed", sc " (goroutine " g ") expected in " q " as \"" $0 "\"; " (near != "" ? "reported as " near : "not reported"))
		else verdict(q, "true", "")
	}
	END {
		# Per-goroutine queries: rows at goroutines the program planted
		# nothing on (the server and transport goroutines of net/http).
		split("cancel_unobserved leak_suspect wait_cycle", fq, " ")
		for (j = 1; j <= 3; j++) {
			q = fq[j]
			for (i = 1; i <= nrow[q]; i++) {
				split(row[q, i], r, "|")
				if (!((q, r[2]) in expected) && !(r[2] in mentioned))
				{ verdict(q, "false", "goroutine " r[2] " (no line of the program) reported by " q ": " row[q, i]); unpl++ }
			}
		}
		split("cancel_detached cancel_broken_link context_lock_wait", gq, " ")
		for (j = 1; j <= 3; j++) {
			q = gq[j]
			for (i = 1; i <= nrow[q]; i++) {
				split(row[q, i], r, "|")
				known = 0
				for (k in expected) { split(k, e, SUBSEP); if (e[1] == q && at(q, r, e[2])) known = 1 }
				if (!known) { verdict(q, "false", q " row for no planted goroutine: " row[q, i]); unpl++ }
			}
		}
		if (leaks != "") {
			for (i = 1; i <= nrow["leak_suspect"]; i++) { split(row["leak_suspect", i], r, "|"); ours[r[2]] = 1 }
			for (g in goleak) {
				verdict("go_leak_profile", (g in ours) ? "true" : "missed", "goroutine " g " (" scen[g] ") in Go s leak profile, not in leak_suspect")
				if (!(g in ours)) gomiss++
				if (status[g] != "leaked") verdict("go_leak_profile", "missed", "goroutine " g " has status " status[g] ", not leaked")
			}
			for (g in ours) if (!(g in goleak)) { verdict("go_leak_profile", "false", "goroutine " g " (" scen[g] ") in leak_suspect, not in Go s leak profile"); goextra++ }
		}
		nsc = 0; for (s in falsesc) nsc++
		nexp = 0; for (k in expected) nexp++
		printf "summary %s: %d look-alike goroutines falsely reported, %d of %d expect lines missed, %d rows at goroutines the program planted nothing on", core, nsc, n["cancel_unobserved", "missed"] + n["leak_suspect", "missed"], nexp, unpl + 0
		if (leaks != "") printf ", Go s leak profile: %d leaked, %d not suspects, %d suspects not in it", ngoleak + 0, gomiss + 0, goextra + 0
		printf "\n"
		for (q in queries) printf "tally %s %s true=%d false=%d missed=%d clean=%d\n", core, q, n[q, "true"], n[q, "false"], n[q, "missed"], n[q, "clean"]
	}' "$work/rows" ${leaks:+"$leaks"} "$out" >"$work/verdict"
	grep -v '^tally ' "$work/verdict" | grep -v '^summary ' | head -${HTTPSVC_SHOW:-40}
	nshow=$(grep -c '^FAIL' "$work/verdict")
	[ "$nshow" -gt "${HTTPSVC_SHOW:-40}" ] && echo "... $nshow FAIL lines in all"
	grep '^summary ' "$work/verdict"
	grep '^tally ' "$work/verdict" >>"$tally"
	# net/http's own context keys, by the names a handler's code uses
	# (net/http/server.go: ServerContextKey holds the *http.Server,
	# LocalAddrContextKey the listener's net.Addr).
	keys=$("$bin" query --db "$db" --incident "$id" --format csv "
	SELECT DISTINCT CASE WHEN value_text LIKE '(*http.Server)%' THEN 'server=' ELSE 'addr=' END
	       || value_key AS k
	  FROM context WHERE incident_id = ?1 AND kind = 'value'
	   AND (value_text LIKE '(*http.Server)%' OR value_text LIKE '(*net.TCPAddr)%')" |
		tail -n +2 | tr -d '\r' | sort | tr '\n' ' ')
	[ "$keys" = "addr=http.LocalAddrContextKey server=http.ServerContextKey " ] ||
		echo "FAIL - $name: net/http's context keys read as '$keys'" | tee -a "$work/verdict"
	# analyze's group lines: groups that would read the same say how they
	# differ (net/http's reading goroutines, the same frames under two
	# creators); a creator named is the example's in Go's own traceback.
	"$bin" analyze --db "$db" --exe "$work/exe" "$corpus/$(col core "$name")" >"$work/summary" 2>&1
	zstd -q -d -c "$corpus/$(col traceback "$name")" >"$work/tb" 2>/dev/null
	awk -v tb="$work/tb" -v core="$name" '
	BEGIN {
		while ((getline l < tb) > 0) {
			if (l ~ /^goroutine /) { split(l, a, " "); g = a[2] }
			else if (l ~ /^created by /) { c = l; sub(/^created by /, "", c); sub(/ in goroutine.*$/, "", c); creator[g] = c }
		}
	}
	/^largest groups of identical stacks/ { on = 1; next }
	on && /^$/ { on = 0 }
	on && /^ +created by / {
		n++
		if (creator[prev] != $3) print "FAIL - " core ": the group of goroutine " prev " says created by " $3 ", Go s traceback " creator[prev]
		next
	}
	on && $2 ~ /^[0-9]+$/ { prev = $2 }
	END { if (n < 2) print "FAIL - " core ": " n + 0 " group lines say their creator, want 2 or more" }' \
		"$work/summary" | tee -a "$work/verdict"
	nf=$(grep -c '^FAIL' "$work/verdict")
	nt=$(grep '^tally ' "$work/verdict" | awk '{ split($4, a, "="); split($7, b, "="); s += a[2] + b[2] } END { print s + 0 }')
	if [ "$nf" -eq 0 ] && [ "$nt" -ge 1000 ]; then
		ok "$name: $nt expectations met"
	else
		bad "$name: $nf failed, $nt met"
	fi
done

awk '{ split($4, t, "="); split($5, f, "="); split($6, m, "="); split($7, c, "=")
       T[$3] += t[2]; F[$3] += f[2]; M[$3] += m[2]; C[$3] += c[2] }
     END { for (q in T) printf "# %-20s true=%d false=%d missed=%d look-alikes not reported=%d\n", q, T[q], F[q], M[q], C[q] }' "$tally" | sort
echo "# $pass cores passed, $fail failed"
[ "$fail" -eq 0 ]
