#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# test-pileup.sh: the wait-for analysis on the shapes real hangs have (the
# pileup program, corpus/README.md): idle pools, pile-ups on one mutex,
# deadlocks among healthy waiters, all of them mixed, at thousands of
# goroutines. Against what the program itself recorded (its group, cycle and
# leak lines) and, on Go 1.26/1.27, Go's own goroutine-leak profile:
# - each planted cycle is one wait_cycle, with exactly its goroutines, each
#   waiting on the object the program says; no other cycle (a pool or a
#   pile-up is none);
# - each leaked group's goroutines are leak suspects on its object, and one
#   wait_group row of that size; a group not leaked has no suspect;
# - the leak suspects are exactly the goroutines of the leaked groups, the
#   cycles and the leak lines, and exactly those of Go's leak profile (a
#   goroutine in a select is a suspect on each of its channels: it counts
#   once, and as a suspect on the group's object);
# - the private view _leaked (leak_suspect's goroutines, looked up by goid
#   by cancel_unobserved) has exactly leak_suspect's goroutines.
# PILEUP_PROGRAM (default pileup) selects the manifest's rows: leakzoo runs
# this test on the zoo shape (tests/test-leakzoo.sh), whose leak lines are
# the stale-pointer traps and whose one-goroutine leaked=0 groups are their
# look-alikes. At the end, one summary line per core: planted leaks missed,
# goroutines falsely reported, and the same against Go's profile.
set -u
. "${TOP_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}/tests/corpus-lib.sh"
prog=${PILEUP_PROGRAM:-pileup}
corpus_setup "$prog"

cores=$(awk -F'\t' -v p="$prog" 'NR > 1 && $2 == p { print $1 }' "$corpus/manifest.tsv")
[ -n "$cores" ] || { echo "no $prog cores in the manifest: skipped"; exit 77; }
db=$work/pileup.db

for name in $cores; do
	out=$corpus/$(col stdout "$name")
	rm -f "$db" "$db-wal" "$db-shm"
	analyze_core "$name" "$db" || { bad "$name: analyze failed: $(cat "$work/err")"; continue; }
	id=$(cat "$work/id")
	summary_rows_agree "$name" "$db" "$id"
	"$bin" query --db "$db" --incident "$id" --format csv "
	SELECT 'leak|' || goid || '|' || COALESCE(printf('%#x', obj_addr), '') FROM leak_suspect WHERE incident_id = ?1
	UNION ALL
	SELECT 'cycle|' || cycle_id || '|' || goid || '|' || printf('%#x', obj_addr) FROM wait_cycle WHERE incident_id = ?1
	UNION ALL
	SELECT 'group|' || printf('%#x', obj_addr) || '|' || goroutines FROM wait_group WHERE incident_id = ?1
	" 2>"$work/err" | tail -n +2 | tr -d '\r"' >"$work/rows" || { bad "$name: query: $(cat "$work/err")"; continue; }
	# _leaked (what cancel_unobserved asks by goid) is leak_suspect's set.
	d=$("$bin" query --db "$db" --incident "$id" --format csv "
	SELECT (SELECT count(*) FROM (SELECT goid FROM leak_suspect WHERE incident_id = ?1
	                              EXCEPT SELECT goid FROM _leaked WHERE incident_id = ?1))
	     + (SELECT count(*) FROM (SELECT goid FROM _leaked WHERE incident_id = ?1
	                              EXCEPT SELECT goid FROM leak_suspect WHERE incident_id = ?1))
	" 2>&1 | tail -n 1 | tr -d '\r"')
	[ "$d" = 0 ] && ok "$name: _leaked is leak_suspect's goroutines" ||
		bad "$name: _leaked and leak_suspect differ by $d goroutines"
	leaks=
	if [ -f "$corpus/expect/$name.leaks.zst" ]; then
		zstd -q -d -f "$corpus/expect/$name.leaks.zst" -o "$work/leaks" && leaks=$work/leaks
	elif [ -f "$corpus/expect/$name.leaks" ]; then
		leaks=$corpus/expect/$name.leaks
	fi
	awk -v core="$name" -v rows="$work/rows" -v leaks="$leaks" '
	function kv(k,   i, a) { for (i = 2; i <= NF; i++) if (index($i, k "=") == 1) return substr($i, length(k) + 2); return "" }
	function verdict(good, msg) { if (good) print "ok - " core ": " msg; else { print "FAIL - " core ": " msg; failed = 1 } }
	FILENAME == rows {
		split($0, r, "|")
		# A goroutine in a select has one row per channel it waits on.
		if (r[1] == "leak") { on[r[2], r[3]] = 1; if (!(r[2] in suspect)) { suspect[r[2]] = 1; nsus++ } }
		if (r[1] == "cycle") { incycle[r[3]] = r[2]; cobj[r[3]] = r[4]; if (!(r[2] in cyc)) { cyc[r[2]] = 1; ncyc++ } }
		if (r[1] == "group") { gsize[r[2]] += r[3]; gcount[r[2]]++ }
		next
	}
	FILENAME == leaks {
		if (/^goroutine [0-9]+ .*\(leaked\)/) { g = $2; goleak[g] = 1; ngoleak++ }
		next
	}
	$1 == "group" {
		obj = kv("obj"); size = kv("size") + 0; leaked = kv("leaked")
		n = 0
		for (g in suspect) if ((g, obj) in on) n++
		if (leaked == "1") {
			verdict(n == size, "group " $2 " (" size " goroutines on " obj "): " n " leak suspects on it")
			if (n < size) pmiss += size - n
			verdict(gcount[obj] == 1 && gsize[obj] == size, "group " $2 ": one wait_group of " size " (" (gcount[obj] + 0) " rows, " (gsize[obj] + 0) " goroutines)")
			want += size
		} else {
			verdict(n == 0 && !(obj in gcount), "group " $2 " (" size " goroutines on " obj ") is not leaked: " n " suspects, " (gcount[obj] + 0) " groups")
			pfalse += n
		}
		next
	}
	$1 == "cycle" {
		k = split(kv("goids"), gs, ","); split(kv("objs"), os, ",")
		id = ""; same = 1
		for (i = 1; i <= k; i++) {
			if (!(gs[i] in incycle)) { same = 0; continue }
			if (id == "") id = incycle[gs[i]]
			if (incycle[gs[i]] != id || cobj[gs[i]] != os[i]) same = 0
		}
		members = 0
		for (g in incycle) if (incycle[g] == id) members++
		verdict(same && members == k, "cycle " $2 " of " k " (" kv("goids") "): one wait_cycle with exactly them, each on its object")
		ncycles++; want += k
		for (i = 1; i <= k; i++) { planted[gs[i]] = 1; verdict(gs[i] in suspect, "cycle " $2 ": goroutine " gs[i] " is a leak suspect"); if (!(gs[i] in suspect)) pmiss++ }
		next
	}
	$1 == "leak" { g = substr(kv("goid"), 1); verdict(g in suspect, "leak " $2 " (goroutine " g ") is a leak suspect"); want++; if (!(g in suspect)) pmiss++; next }
	END {
		verdict(ncyc + 0 == ncycles + 0, (ncyc + 0) " wait cycles reported, " (ncycles + 0) " planted")
		verdict(nsus + 0 == want + 0, (nsus + 0) " goroutines leak suspects, " (want + 0) " planted")
		if (leaks != "") {
			miss = 0; extra = 0
			for (g in goleak) if (!(g in suspect)) miss++
			for (g in suspect) if (!(g in goleak)) extra++
			verdict(miss == 0 && extra == 0, "leak_suspect against Go s leak profile (" (ngoleak + 0) " goroutines): " miss " missed, " extra " not in it")
		}
		printf "summary %s: %d leak suspects, %d planted leaked; %d planted missed, %d goroutines of not-leaked groups reported", core, nsus + 0, want + 0, pmiss + 0, pfalse + 0
		if (leaks != "") printf "; Go s profile %d: %d missed, %d not in it", ngoleak + 0, miss, extra
		printf "\n"
		exit failed
	}' "$work/rows" ${leaks:+"$leaks"} "$out" >"$work/verdicts"
	st=$?
	cat "$work/verdicts"
	[ $st -eq 0 ] && ok "$name" || bad "$name: see the lines above"
done
echo "# $pass cores passed, $fail failed"
[ "$fail" -eq 0 ]
