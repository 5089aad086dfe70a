#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# test-docs.sh: the README's tour and the man page's EXAMPLES run as written.
# Every command of a ```console block that follows a "<!-- tour -->" line of
# README.md, and every "$ " line between .EX and .EE in the EXAMPLES section
# of doc/gocoroner.1.in, is run in a scratch directory laid out as the
# source tree (corpus/, _build/), with the gocoroner under test on PATH as
# 'gocoroner'; each must exit 0 and print nothing on stderr. The commands of
# one document run in order in one directory, as a reader would type them.
# The README shows what its commands print: every line it shows must be a
# line of the real output (trailing blanks aside), but for "..." (lines left out), lines naming the
# reader's home (/home/you) and the capture time a checkout gives the core
# ("(file mtime)").
set -u
. "${TOP_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}/tests/corpus-lib.sh"
corpus_setup docs

mkdir "$work/bin"
case $bin in /*) ;; *) bin=$(pwd)/$bin ;; esac
ln -s "$bin" "$work/bin/gocoroner"

# The tour's commands, one a line ("$ " dropped, "\" continuations joined);
# the output shown after command N goes to $work/readme.N.want.
readme_commands() {
	awk -v want_dir="$work" '/^<!-- tour -->$/ { want = 1; next }
		want && /^```/ { block = 1; want = 0; next }
		want && !/^[[:space:]]*$/ { want = 0 }
		block && /^```/ { block = 0; shown = 0; next }
		block && cont != "" { cont = cont " " $0; if (!sub(/\\$/, "", cont)) { print cont; cont = "" }; next }
		block && /^\$ / { n++; shown = 1; c = substr($0, 3); if (sub(/\\$/, "", c)) cont = c; else print c; next }
		block && shown && $0 != "..." && !/\/home\/you/ && !/\(file mtime\)/ {
			print > (want_dir "/readme." n ".want") }' "$1"
}

# The man page's examples, with roff's escapes of -, \, quotes undone.
man_commands() {
	awk '/^\.SH / { ex = ($2 == "EXAMPLES"); next }
		ex && /^\.EX/ { block = 1; next }
		ex && /^\.EE/ { block = 0; next }
		ex && block && /^\$ / { print substr($0, 3) }' "$1" |
		sed -e 's/\\-/-/g' -e "s/\\\\(aq/'/g" -e 's/\\(dq/"/g' -e 's/\\&//g' -e 's/\\e/\\/g'
}

run_doc() { # run_doc NAME FILE MIN: run what NAME's extractor finds in FILE
	dir=$work/$1
	mkdir -p "$dir/_build"
	ln -s "$corpus" "$dir/corpus"
	"$1_commands" "$2" >"$work/$1.cmds"
	n=$(wc -l <"$work/$1.cmds")
	[ "$n" -ge "$3" ] && ok "$1: $n commands found" ||
		bad "$1: only $n commands found in $2 (the markers moved?)"
	i=0
	while IFS= read -r cmd; do
		i=$((i + 1))
		if (cd "$dir" && PATH="$work/bin:$PATH" sh -c "$cmd") >"$work/$1.$i.out" 2>"$work/$1.$i.err" </dev/null; then
			missing=
			# Trailing blanks (a table's empty last column) do not count.
			sed 's/[[:space:]]*$//' "$work/$1.$i.out" >"$work/$1.$i.trim"
			[ -f "$work/$1.$i.want" ] &&
				missing=$(grep -vxF -f "$work/$1.$i.trim" "$work/$1.$i.want" | head -3)
			if [ -s "$work/$1.$i.err" ]; then
				bad "$1: '$cmd' printed on stderr: $(head -3 "$work/$1.$i.err")"
			elif [ -n "$missing" ]; then
				bad "$1: '$cmd' does not print, as the document shows: $missing"
			else
				ok "$1: $cmd"
			fi
		else
			bad "$1: '$cmd' failed: $(head -3 "$work/$1.$i.err")"
		fi
	done <"$work/$1.cmds"
}

run_doc readme "$top/README.md" 10
run_doc man "$top/doc/gocoroner.1.in" 9

echo "# docs: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
