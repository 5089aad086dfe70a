#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# test-manpage.sh: the man page describes every command 'gocoroner --help'
# lists and every option each command's --help gives, in that command's
# entry (or, for the options every command shares, in OPTIONS); and the
# page made by make names the installed directories, not placeholders.
set -u
top=${TOP_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
bin=${GOCORONER:-./gocoroner}
page=$top/doc/gocoroner.1.in
built=$(dirname "$bin")/doc/gocoroner.1
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "ok - $1"; }
bad() { fail=$((fail + 1)); echo "FAIL - $1"; }

# entry NAME: the text of the man page's entry for command NAME (from its
# ".TP / .B NAME" line to the next command's or section), roff's \- undone.
entry() {
	awk -v name="$1" '
		/^\.S[HS] / { inside = 0; if ($0 ~ /^\.SH OPTIONS/) inside = (name == "OPTIONS") }
		prev == ".TP" && /^\.B [a-z]+$/ { inside = ($2 == name) }
		inside { print }
		{ prev = $0 }' "$page" | sed 's/\\-/-/g'
}

entry OPTIONS >"${TMPDIR:-/tmp}/gocoroner-manpage.$$"
trap 'rm -f "${TMPDIR:-/tmp}/gocoroner-manpage.$$"' EXIT
cmds=$("$bin" --help | awk '/^(commands|the archive):/ { s = 1; next } /^$/ { s = 0 } s { print $1 }')
[ -n "$cmds" ] || bad "no command found in 'gocoroner --help'"
for cmd in $cmds; do
	text=$(entry "$cmd")
	if [ -z "$text" ]; then
		bad "$cmd: no entry in the man page's COMMANDS"
		continue
	fi
	missing=
	for opt in $("$bin" "$cmd" --help | sed -n 's/^ *\(--[a-z][a-z-]*\).*/\1/p'); do
		printf '%s\n' "$text" | grep -q -e "$opt\\b" && continue
		grep -q -e "$opt\\b" "${TMPDIR:-/tmp}/gocoroner-manpage.$$" && continue
		missing="$missing $opt"
	done
	[ -z "$missing" ] && ok "$cmd: every option described" ||
		bad "$cmd: not in its man page entry nor in OPTIONS:$missing"
done

if [ -f "$built" ]; then
	grep -q '@[a-zA-Z]*@' "$built" && bad "$built: placeholders left: $(grep -o '@[a-zA-Z]*@' "$built" | sort -u | tr '\n' ' ')" ||
		ok "the built page has no placeholder left"
fi

echo "# manpage: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
