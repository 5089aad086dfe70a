#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# test-badcore.sh: analyze on corpus cores with one word patched, as a
# corrupt or hostile core would have it. A corrupt value inside a readable
# core becomes a diagnostic naming the goroutine or object, and the ingest
# goes on; a snapshot that fails while the writer thread reads it leaves the
# database without an incident and frees nothing the thread still reads
# (under the sanitizer build, a use-after-free fails the test). A corrupt
# pclntab in the executable (a function's name, its line table, a file
# name) gives diagnostics and placeholder names, never the bytes; a gcore
# cut inside its section headers is read with a warning.
#
# The patches find their places through the database of the unpatched core
# (goroutine.g_addr, channel.addr) and check the word they replace holds the
# value the database says (a goid, a channel's address), so a layout that
# moved fails loudly here rather than patching the wrong word.
set -u
. "${TOP_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}/tests/corpus-lib.sh"
corpus_setup badcore
command -v readelf >/dev/null || { echo "readelf not installed: skipped"; exit 77; }
command -v od >/dev/null || { echo "od not installed: skipped"; exit 77; }
test_bin=${GOCORONER_TEST_BIN:-}

# core_offset CORE ADDR: the file offset of the 8 bytes at ADDR (hex) in
# CORE, when a LOAD segment's file bytes hold them; else nothing.
core_offset() {
	readelf -lW "$1" | awk -v a="$2" '
		function hex(s,  i, v) {
			v = 0; s = tolower(s); sub(/^0x/, "", s)
			for (i = 1; i <= length(s); i++) v = v * 16 + index("0123456789abcdef", substr(s, i, 1)) - 1
			return v
		}
		$1 == "LOAD" && hex(a) >= hex($3) && hex(a) + 8 <= hex($3) + hex($5) {
			printf "%.0f\n", hex($2) + hex(a) - hex($3); exit
		}'
}

# peek CORE ADDR: the 64-bit word at ADDR, as 0x and 16 hex digits.
peek() {
	off=$(core_offset "$1" "$2") && [ -n "$off" ] || return 1
	printf '0x%s\n' "$(od -An -tx8 -j "$off" -N8 "$1" | tr -d ' ')"
}

# poke CORE ADDR VALUE: write the 64-bit VALUE (hex) at ADDR, in place.
poke() {
	off=$(core_offset "$1" "$2") && [ -n "$off" ] || return 1
	v=$(printf '%016x' "$3") bytes=
	for i in 15 13 11 9 7 5 3 1; do
		bytes="$bytes\\$(printf '%03o' "0x$(echo "$v" | cut -c"$i-$((i + 1))")")"
	done
	printf "$bytes" | dd of="$1" bs=1 seek="$off" count=8 conv=notrunc 2>/dev/null
}

# at ADDR OFFSET: ADDR + OFFSET in hex.
at() { printf '%#x' $(($1 + $2)); }

# find_word CORE BASE WANT LIMIT: the first offset below LIMIT, in steps of
# 8 from BASE, whose word is WANT (decimal or hex); nothing if none.
find_word() {
	o=0 want=$(printf '0x%016x' "$3")
	while [ "$o" -lt "$4" ]; do
		w=$(peek "$1" "$(at "$2" "$o")") || return 1
		[ "$w" = "$want" ] && { echo "$o"; return 0; }
		o=$((o + 8))
	done
	return 1
}

q() { "$bin" query --db "$1" --format csv "$2" 2>"$work/qerr" | tail -n +2 | tr -d '\r"'; }

name=diag-go1.27-opt-kernel
zstd -q -d -f "$corpus/$(col exe "$name")" -o "$work/exe" &&
	zstd -q -d -f "$corpus/$(col core "$name")" -o "$work/core" ||
	{ echo "cannot decompress $name"; exit 1; }
"$bin" analyze -q --db "$work/base.db" --exe "$work/exe" "$work/core" >/dev/null 2>"$work/err" ||
	{ echo "$name does not analyze: $(cat "$work/err")"; exit 1; }

# patched NAME: a fresh copy of the core to patch, $work/NAME.core.
patched() { cp "$work/core" "$work/$1.core"; }

# analyze_patched NAME [BIN]: ingest $work/NAME.core into $work/NAME.db;
# status in $rc, stderr in $work/NAME.err.
analyze_patched() {
	rm -f "$work/$1.db"*
	"${2:-$bin}" analyze -q --db "$work/$1.db" --exe "$work/exe" "$work/$1.core" \
		>"$work/$1.out" 2>"$work/$1.err"
	rc=$?
}

# A goroutine receiving from a channel: its sudog is the channel's recvq.first.
row=$(q "$work/base.db" "SELECT printf('%#x', c.addr), w.goid, printf('%#x', g.g_addr)
	FROM chan_wait w JOIN channel c ON c.incident_id = w.incident_id AND c.addr = w.chan_addr
	JOIN goroutine g ON g.incident_id = w.incident_id AND g.goid = w.goid
	WHERE w.direction = 'recv' AND c.recv_waiters = 1 ORDER BY w.goid LIMIT 1")
chan=${row%%,*} rest=${row#*,} goid=${rest%%,*} gaddr=${rest#*,}
[ -n "$chan" ] && [ -n "$gaddr" ] || { echo "no channel receiver in $name: $(cat "$work/qerr")"; exit 1; }
# hchan: qcount, dataqsiz, buf, elemsize+closed, timer, elemtype, sendx,
# recvx, recvq {first, last} in Go 1.27 (the tests below check the words).
sudog=$(peek "$work/core" "$(at "$chan" 64)")
c_off=$(find_word "$work/core" "$sudog" "$chan" 160) ||
	{ echo "sudog $sudog (recvq.first of chan $chan) has no word naming the channel"; exit 1; }
goid_off=$(find_word "$work/core" "$gaddr" "$goid" 512) ||
	{ echo "runtime.g at $gaddr has no word holding goid $goid"; exit 1; }
echo "# chan $chan, sudog $sudog (c at +$c_off), goroutine $goid at $gaddr (goid at +$goid_off)"

# 1. The snapshot fails after the writer thread started reading the
# goroutines: the thread stops before they are freed, nothing is stored.
if [ -x "$test_bin" ]; then
	for st in contexts waits reach; do
		patched seam
		GOCORONER_TEST_SNAPSHOT_FAIL=$st analyze_patched seam "$test_bin"
		n=$(q "$work/seam.db" "SELECT count(*) FROM incident" 2>/dev/null)
		if [ "$rc" -eq 1 ] && grep -q "failed by the test seam" "$work/seam.err" &&
			! grep -q "AddressSanitizer\|runtime error" "$work/seam.err" && [ "${n:-0}" = 0 ]; then
			ok "snapshot failing at $st: writer stopped first, no incident"
		else
			bad "snapshot failing at $st: status $rc, incidents ${n:-?}: $(head -c 2000 "$work/seam.err")"
		fi
	done
else
	echo "# no tests/gocoroner-test: the snapshot-failure cases skipped"
fi

# 2. A word of ~0 where the runtime keeps an address or a goid: the ingest
# goes on, the goroutine or object is named in a diagnostic.
# sudog.c is a maybeTraceablePtr {vp, vu} since Go 1.25: both words.
patched sudog-c
for o in "$c_off" $((c_off + 8)); do
	[ "$(peek "$work/core" "$(at "$sudog" "$o")")" = "$(printf '0x%016x' "$chan")" ] &&
		poke "$work/sudog-c.core" "$(at "$sudog" "$o")" 0xffffffffffffffff
done
analyze_patched sudog-c
if [ "$rc" -eq 0 ] && ! grep -q "AddressSanitizer\|runtime error" "$work/sudog-c.err"; then
	ok "sudog.c = ~0: ingested"
else
	bad "sudog.c = ~0: status $rc: $(head -c 2000 "$work/sudog-c.err")"
fi

# expect_diag NAME WHAT TEXT: the ingest of NAME succeeded and one of its
# diagnostics of kind WHAT holds TEXT.
expect_diag() {
	if [ "$rc" -ne 0 ] || grep -q "AddressSanitizer\|runtime error" "$work/$1.err"; then
		bad "$1: status $rc: $(head -c 2000 "$work/$1.err")"
	elif q "$work/$1.db" "SELECT detail FROM diagnostic WHERE what = '$2'" | grep -qF -- "$3"; then
		ok "$1: ingested, diagnostic $2 says $3"
	else
		bad "$1: no $2 diagnostic with '$3': $(q "$work/$1.db" "SELECT what, detail FROM diagnostic" | head -20)"
	fi
}
expect_diag sudog-c chanwait "goroutine $goid "

patched goid
poke "$work/goid.core" "$(at "$gaddr" "$goid_off")" 0xffffffffffffffff
analyze_patched goid
expect_diag goid goroutine "g $gaddr: goroutine id 0xffffffffffffffff"

patched elemtype
poke "$work/elemtype.core" "$(at "$chan" 40)" 0xffffffffffffffff
analyze_patched elemtype
expect_diag elemtype channel "chan $chan: element type 0xffffffffffffffff"

# 3. runtime.allgs of length and capacity 10,000,000 (62 goroutines): cut
# to runtime.allglen; with allglen 10,000,000 too, to what the core holds
# of the array. Before, the goroutine table was sized by it and the words
# past the array read as goroutine pointers (17 s, then an error).
sym() { readelf -sW "$work/exe" | awk -v n="$1" '$8 == n { print "0x" $2; exit }'; }
allgs=$(sym runtime.allgs) allglen=$(sym runtime.allglen)
ng=$(q "$work/base.db" "SELECT count(*) FROM goroutine")
patched allgs
poke "$work/allgs.core" "$(at "$allgs" 8)" 10000000
poke "$work/allgs.core" "$(at "$allgs" 16)" 10000000
analyze_patched allgs
expect_diag allgs goroutine "runtime.allgs has length 10000000, runtime.allglen"
n=$(q "$work/allgs.db" "SELECT count(*) FROM goroutine")
[ "$n" = "$ng" ] && ok "allgs: $n goroutines, as unpatched" || bad "allgs: $n goroutines, not $ng"
cp "$work/allgs.core" "$work/allglen.core"
poke "$work/allglen.core" "$allglen" 10000000
analyze_patched allglen
expect_diag allglen goroutine "but the core holds"

# 4. A corrupt pclntab in the executable: main.main's name with a control
# character, its line table junk. The frame gets ?func@0xENTRY, never the
# bytes; a diagnostic names the function.
u32() { od -An -tu4 -j "$2" -N4 "$1" | tr -d ' '; }
u64() { od -An -tu8 -j "$2" -N8 "$1" | tr -d ' '; }
section() { readelf -SW "$1" | sed 's/^ *\[ */[/' | awk -v n="$2" '$2 == n { print "0x" $col }' col="$3"; }
# pcln_of EXE ENTRY: the file offset of the line table of the function at
# ENTRY (pcHeader: nfunc at 8, textStart 24, pctabOffset 56, pclnOffset 64;
# ftab pairs of entry and _func offsets; _func.pcln at 24).
pcln_of() {
	h=$(($(section "$1" .gopclntab 5)))
	text=$(u64 "$1" $((h + 24))) nfunc=$(u64 "$1" $((h + 8)))
	[ "$text" -ne 0 ] || text=$(($(section "$1" .text 4))) # 0 in the file since Go 1.22
	pctab=$(u64 "$1" $((h + 56))) pcln=$(u64 "$1" $((h + 64)))
	funcoff=$(od -An -tu4 -v -j $((h + pcln)) -N $((8 * nfunc)) "$1" | tr -s ' ' '\n' |
		awk -v want=$(($2 - text)) 'NF { v[n++] = $1 }
			END { for (i = 0; i < n; i += 2) if (v[i] == want) { print v[i + 1]; exit } }')
	[ -n "$funcoff" ] || return 1
	echo $((h + pctab + $(u32 "$1" $((h + pcln + funcoff + 24)))))
}
entry=$(sym main.main)
sec=$(($(section "$work/exe" .gopclntab 5))) size=$(($(section "$work/exe" .gopclntab 6)))
name_at=$(grep -obUaP '\x00main\.main\x00' "$work/exe" | awk -F: -v lo="$sec" -v hi=$((sec + size)) '$1 >= lo && $1 < hi { print $1 + 1; exit }')
ln_at=$(pcln_of "$work/exe" "$entry")
if [ -z "$name_at" ] || [ -z "$ln_at" ]; then
	bad "main.main's name or line table not found in the executable's pclntab"
else
	cp "$work/core" "$work/pcln.core"
	cp "$work/exe" "$work/exe.good"
	printf '\001' | dd of="$work/exe" bs=1 seek=$((name_at + 6)) count=1 conv=notrunc 2>/dev/null
	printf '\377\377\377\377\377\377\377\377' | dd of="$work/exe" bs=1 seek="$ln_at" count=8 conv=notrunc 2>/dev/null
	# and the main package's file name, a control byte in example.com/diag/main.go
	file_at=$(grep -obUaP '\x00example\.com/diag/main\.go\x00' "$work/exe" | awk -F: '{ print $1 + 1; exit }')
	[ -n "$file_at" ] && printf '\002' | dd of="$work/exe" bs=1 seek=$((file_at + 12)) count=1 conv=notrunc 2>/dev/null
	analyze_patched pcln
	mv "$work/exe.good" "$work/exe"
	expect_diag pcln executable "its file name at filetab offset"
	n=$(q "$work/pcln.db" "SELECT count(*) FROM frame WHERE file GLOB 'example.com/?iag/main.go' AND file != 'example.com/diag/main.go'")
	[ "${n:-1}" = 0 ] && ok "pcln: no frame with the corrupt file name" || bad "pcln: $n frames with the corrupt file name"
	ph=$(printf '?func@%#x' "$entry")
	expect_diag pcln executable "function at $(printf '%#x' "$entry"): its name at funcnametab offset"
	expect_diag pcln executable "function $ph at $(printf '%#x' "$entry"): its line table"
	n=$(q "$work/pcln.db" "SELECT count(*) FROM frame WHERE func = '$ph' AND line IS NULL")
	[ "${n:-0}" -gt 0 ] && ok "pcln: frames of $ph, no line" || bad "pcln: no frame named $ph"
	n=$(q "$work/pcln.db" "SELECT count(*) FROM frame WHERE func GLOB '*main.m?in*'")
	[ "${n:-1}" = 0 ] && ok "pcln: no frame with the corrupt name" || bad "pcln: $n frames with the corrupt name"
fi

# 5. A gcore cut inside its section headers, which gdb writes last: read,
# with a warning and a diagnostic saying so (expected and actual size).
gname=diag-go1.27-opt-gcore
if zstd -q -d -f "$corpus/$(col core "$gname")" -o "$work/shdr.core"; then
	shoff=$(readelf -hW "$work/shdr.core" | awk -F: '/Start of section headers/ { print $2 + 0 }')
	truncate -s $((shoff + 100)) "$work/shdr.core"
	analyze_patched shdr
	expect_diag shdr core "shdr.core: truncated: its 30 section headers end at byte"
	grep -q "warning: .*shdr.core: truncated:.* $((shoff + 100)) bytes" "$work/shdr.err" &&
		ok "shdr: warned on stderr" || bad "shdr: no warning: $(cat "$work/shdr.err")"
	rm -f "$work/shdr.core"
else
	bad "cannot decompress $gname"
fi

# A FIFO is no core, whatever its name and whether or not something writes
# to it: refused at once with what it is, never read (a read would wait
# for the writer's end, forever). Under timeout, so that a regression
# fails instead of hanging.
fname=hang-go1.27-opt-kernel
zstd -q -d -f "$corpus/$(col exe "$fname")" -o "$work/fifo.exe"
for f in FIFO core.hang.0.0123456789abcdef0123456789abcdef.1.1764900000000000.zst; do
	mkfifo "$work/$f"
	sleep 30 >"$work/$f" & # a writer holds it open
	writer=$!
	timeout 20 "$bin" analyze --db "$work/fifo.db" --exe "$work/fifo.exe" "$work/$f" \
		>/dev/null 2>"$work/fifo.err"
	rc=$?
	kill "$writer" 2>/dev/null
	wait "$writer" 2>/dev/null
	[ $rc -eq 1 ] && [ "$(cat "$work/fifo.err")" = "gocoroner: $work/$f: the core is a FIFO, not a regular file" ] &&
		ok "a FIFO named $f with a writer is refused as the core" ||
		bad "FIFO $f: status $rc, $(cat "$work/fifo.err")"
	timeout 20 "$bin" analyze --db "$work/fifo.db" --exe "$work/$f" "$corpus/$(col core "$fname")" \
		>/dev/null 2>"$work/fifo.err"
	rc=$?
	[ $rc -eq 1 ] && grep -q "the executable is a FIFO" "$work/fifo.err" &&
		ok "a FIFO named $f is refused as the executable" ||
		bad "FIFO $f as the executable: status $rc, $(cat "$work/fifo.err")"
	rm -f "$work/$f"
done

echo "# $pass passed, $fail failed"
[ "$fail" -eq 0 ]
