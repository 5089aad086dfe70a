#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# test-ctxroots.sh: where the contexts are kept, on the cores of the
# ctxroots program (contexts planted in every place a process keeps them;
# corpus/README.md, "The ctxroots program"), against what the program
# itself printed:
# - each "ctx ADDR kind=K parent=P state=S found=F at=A scenario=N" line has
#   a row of table context at ADDR with kind K, parent_addr P, the state S
#   (canceled: context.canceled = 1 for cancel and timer contexts; a value
#   or user context is canceled when it or its nearest cancel/timer
#   ancestor is, a withoutCancel one never), and found_in F; for F global,
#   map, heap and chan buffer also found_at A (the package variable, or the
#   channel's address; for frame only found_in is compared);
# - each "owndone CTX done=CHAN waiter=G" line: a cancel_broken_link row
#   with reason own-done names CTX and goroutine G;
# - each "detached WC child=CHILD holder=G" line: goroutine G appears in a
#   cancel_detached row;
# - each "labels CTX JSON" line (a pprof.WithLabels context): its row has
#   value_key 'pprof labels' and value_text the labels JSON (compared
#   without quotes, which the CSV output mangles).
# The victims of the culprit are checked elsewhere. One FAIL line per unmet
# check (CTXROOTS_SHOW, default 40, per core), a summary and a tally per
# found= place per core, totals at the end. CTXROOTS_CORES (manifest names)
# restricts the cores checked.
set -u
. "${TOP_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}/tests/corpus-lib.sh"
corpus_setup ctxroots

cores=${CTXROOTS_CORES:-$(awk -F'\t' 'NR > 1 && $2 == "ctxroots" { print $1 }' "$corpus/manifest.tsv")}
[ -n "$cores" ] || { echo "no ctxroots cores in the manifest: skipped"; exit 77; }
show=${CTXROOTS_SHOW:-40}
tally=$work/tally
: >"$tally"
db=$work/ctxroots.db

for name in $cores; do
	out=$corpus/$(col stdout "$name")
	rm -f "$db" "$db-wal" "$db-shm"
	analyze_core "$name" "$db" || { bad "$name: analyze failed: $(cat "$work/err")"; continue; }
	id=$(cat "$work/id")
	"$bin" query --db "$db" --incident "$id" --format csv "
	SELECT 'ctx|' || printf('%#x', addr) || '|' || kind || '|'
	       || CASE WHEN parent_addr IS NULL THEN '' ELSE printf('%#x', parent_addr) END || '|'
	       || COALESCE(canceled, '')
	  FROM context WHERE incident_id = ?1
	UNION ALL
	SELECT 'val|' || printf('%#x', addr) || '|' || value_key || '|' || COALESCE(value_text, '')
	  FROM context WHERE incident_id = ?1 AND value_key IS NOT NULL
	" >"$work/out" 2>"$work/err" || { bad "$name: query context: $(cat "$work/err")"; continue; }
	tail -n +2 "$work/out" | tr -d '\r"' >"$work/rows"
	# found_in/found_at are new columns: without them every where-found
	# check fails, with the reason, and the other checks still run.
	whereerr=
	if ! "$bin" query --db "$db" --incident "$id" --format csv "
	SELECT 'where|' || printf('%#x', addr) || '|' || COALESCE(found_in, '') || '|' || COALESCE(found_at, '')
	  FROM context WHERE incident_id = ?1
	" >"$work/out" 2>"$work/err"; then
		whereerr=$(head -1 "$work/err")
		[ -n "$whereerr" ] || whereerr="query failed"
	else
		tail -n +2 "$work/out" | tr -d '\r"' >>"$work/rows"
	fi
	# The named queries in table form (addresses in hex), one row a line;
	# goroutine lists are comma-separated.
	for q in cancel_broken_link cancel_detached; do
		if "$bin" query --db "$db" --incident "$id" "$q" >"$work/$q" 2>"$work/err"; then
			sed -e 's/,/ /g' -e "s/^/$q| /" "$work/$q" >>"$work/rows"
		else
			echo "qerr|$q|$(head -1 "$work/err")" >>"$work/rows"
		fi
	done

	awk -v core="$name" -v rows="$work/rows" -v whereerr="$whereerr" -v show="$show" '
	function fail(msg) { nfail++; if (nfail <= show) print "FAIL - " core ": " msg }
	function check(what, good, msg) {
		n[what]++
		if (good) met[what]++
		else fail(msg)
	}
	# Whether the row at A says canceled: cancel and timer contexts by
	# their own column, value, user and stop ones (which have no state of
	# their own) by it or their nearest ancestor, withoutCancel never.
	function eff(a, depth) {
		if (!(a in kind) || depth > 100) return 0
		if (kind[a] == "cancel" || kind[a] == "timer" || kind[a] == "afterFunc") return canc[a] == "1"
		if (kind[a] == "withoutCancel" || kind[a] == "background" || kind[a] == "todo") return 0
		if (canc[a] == "1") return 1
		return par[a] != "" ? eff(par[a], depth + 1) : 0
	}
	function tok(line, t) { return index(" " line " ", " " t " ") > 0 }
	FILENAME == rows {
		split($0, r, "|")
		if (r[1] == "ctx") { kind[r[2]] = r[3]; par[r[2]] = r[4]; canc[r[2]] = r[5]; next }
		if (r[1] == "where") { fin[r[2]] = r[3]; fat[r[2]] = r[4]; next }
		if (r[1] == "val") { vkey[r[2]] = r[3]; vtext[r[2]] = r[4]; next }
		if (r[1] == "qerr") { qerr[r[2]] = r[3]; next }
		q = r[1]; sub(/^[^|]*\| /, "")
		nq[q]++; qrow[q, nq[q]] = $0
		next
	}
	$1 == "ctx" {
		a = $2
		k = $3; sub(/^kind=/, "", k)
		p = $4; sub(/^parent=/, "", p)
		s = $5; sub(/^state=/, "", s)
		f = $0; sub(/.* found=/, "", f); sub(/ at=.*/, "", f)
		at = $0; sub(/.* at=/, "", at); sub(/ scenario=.*/, "", at)
		sc = $0; sub(/.* scenario=/, "", sc)
		what = a " (" sc ", " k ", found=" f " at=" at ")"
		nctx++
		nf[f]++
		if (!(a in kind)) {
			check("present", 0, "ctx " what " not in table context")
			n["kind"]++; n["parent"]++; n["state"]++; n["found"]++
			next
		}
		check("present", 1, "")
		check("kind", kind[a] == k, "ctx " what ": kind " kind[a])
		check("parent", par[a] == p, "ctx " what ": parent_addr " (par[a] == "" ? "NULL" : par[a]) ", want " p)
		check("state", eff(a, 0) == (s == "canceled"), "ctx " what ": state " s ", but canceled=" (canc[a] == "" ? "NULL" : canc[a]) (kind[a] == "cancel" || kind[a] == "timer" ? "" : " (with its ancestors: " (eff(a, 0) ? "canceled" : "live") ")"))
		if (whereerr != "") {
			check("found", 0, "ctx " what ": no found_in (" whereerr ")")
			next
		}
		good = fin[a] == f
		if (good && (f == "global" || f == "map" || f == "heap" || f == "chan buffer")) good = tolower(fat[a]) == tolower(at)
		check("found", good, "ctx " what ": found_in=" fin[a] " found_at=" fat[a])
		if (good) nfmet[f]++
		next
	}
	$1 == "owndone" {
		a = $2; g = $4; sub(/^waiter=/, "", g)
		hit = 0
		for (i = 1; i <= nq["cancel_broken_link"]; i++) {
			l = qrow["cancel_broken_link", i]
			if (tok(l, a) && tok(l, "own-done") && tok(l, g)) hit = 1
		}
		check("owndone", hit, "owndone " a " (waiter " g "): no cancel_broken_link row with reason own-done naming both" (("cancel_broken_link" in qerr) ? " (" qerr["cancel_broken_link"] ")" : "") " (" nq["cancel_broken_link"] + 0 " lines of output)")
		next
	}
	$1 == "labels" {
		a = $2; want = $3; gsub(/"/, "", want)
		check("labels", vkey[a] == "pprof labels" && vtext[a] == want,
		      "labels " a ": value_key " vkey[a] ", value_text " vtext[a] ", want " want)
		next
	}
	$1 == "detached" {
		a = $2; g = $4; sub(/^holder=/, "", g)
		hit = 0
		for (i = 2; i <= nq["cancel_detached"]; i++) if (tok(qrow["cancel_detached", i], g)) hit = 1
		check("detached", hit, "detached " a " (holder " g "): goroutine not in cancel_detached" (("cancel_detached" in qerr) ? " (" qerr["cancel_detached"] ")" : ""))
		next
	}
	END {
		if (nfail > show) print "... " nfail " FAIL lines in all"
		printf "summary %s: %d ctx lines", core, nctx
		split("present kind parent state found owndone detached labels", w, " ")
		for (i = 1; i <= 8; i++) if (w[i] in n) printf ", %s %d/%d", w[i], met[w[i]], n[w[i]]
		printf "\n"
		for (f in nf) printf "tally %s found=%s lines=%d met=%d\n", core, f, nf[f], nfmet[f]
		for (i = 1; i <= 8; i++) if (w[i] in n) printf "check %s %s %d %d\n", core, w[i], met[w[i]], n[w[i]]
		if (nctx < 100) print "FAIL - " core ": only " nctx " ctx lines in the stdout"
	}' "$work/rows" "$out" >"$work/verdict"
	grep -v '^tally ' "$work/verdict" | grep -v '^check '
	sed -e 's/found=chan buffer/found=chan_buffer/' "$work/verdict" | grep '^tally ' >>"$tally"
	grep '^check ' "$work/verdict" >>"$tally"
	nfl=$(grep -c '^FAIL' "$work/verdict")
	nsum=$(sed -n 's/^summary [^ ]* \([0-9]*\) ctx lines.*/\1/p' "$work/verdict")
	if [ "$nfl" -eq 0 ] && ! grep -q '^\.\.\. ' "$work/verdict" && [ "${nsum:-0}" -ge 100 ]; then
		ok "$name: every ctx, owndone and detached line met"
	else
		bad "$name: checks unmet (see above)"
	fi
done

awk '$1 == "tally" { split($4, l, "="); split($5, m, "="); L[$3] += l[2]; M[$3] += m[2] }
     $1 == "check" { T[$3] += $4; N[$3] += $5 }
     END {
	for (f in L) printf "# where %-18s %d of %d ctx lines met\n", f, M[f], L[f]
	for (c in N) printf "# check %-18s %d of %d met\n", c, T[c], N[c]
     }' "$tally" | sort
echo "# $pass cores passed, $fail failed"
[ "$fail" -eq 0 ]
