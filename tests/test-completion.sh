#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# test-completion.sh: the bash completion (doc/bash-completion/gocoroner)
# against the command it completes: every command of 'gocoroner --help',
# every option a command's --help describes, files where a file is asked
# for, the formats, and the query library's names from 'query --list'.
set -u
top=${TOP_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
bin=${GOCORONER:-./gocoroner}
command -v bash >/dev/null || { echo "bash not installed: skipped"; exit 77; }
case $bin in /*) ;; *) bin=$(pwd)/$bin ;; esac
work=$(mktemp -d /tmp/gocoroner-completion.XXXXXX)
trap 'rm -rf "$work"' EXIT
mkdir "$work/bin"
ln -s "$bin" "$work/bin/gocoroner"
touch "$work/incident.db" "$work/prog"

# offered WORD...: what the completion offers for the last word, sorted,
# one a line, with the command line typed in $work.
offered() {
	(cd "$work" && PATH="$work/bin:$PATH" bash -c '
		. "$1"; shift
		COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))
		_gocoroner
		printf "%s\n" "${COMPREPLY[@]}" | sort' complete "$top/doc/bash-completion/gocoroner" "$@")
}
pass=0 fail=0
check() { # check WHAT WANT GOT
	if [ "$2" = "$3" ]; then pass=$((pass + 1)); echo "ok - $1"
	else fail=$((fail + 1)); echo "FAIL - $1: want [$2], got [$3]"; fi
}

# Expected sets come from the help texts the user reads, not from the script.
want=$("$bin" --help | awk '/^(commands|the archive):/ { s = 1; next } /^$/ { s = 0 } s { print $1 }' | sort)
check "commands" "$want" "$(offered gocoroner '')"
check "a command's prefix" "$(printf '%s\n' "$want" | grep '^tr')" "$(offered gocoroner tr)"
for cmd in $want; do
	wopts=$( ("$bin" "$cmd" --help | sed -n 's/^ *\(--[a-z][a-z-]*\).*/\1/p'; echo --help) | sort -u)
	check "$cmd: options" "$wopts" "$(offered gocoroner "$cmd" --)"
done
check "--db: files" "incident.db" "$(offered gocoroner report --db inc)"
check "--exe: files" "prog" "$(offered gocoroner analyze --exe pr)"
check "analyze CORE: files" "incident.db" "$(offered gocoroner analyze --quiet inc)"
check "--debug-file: files" "prog" "$(offered gocoroner analyze --debug-file pr)"
mkdir -p "$work/debugdir"
check "--debug-dir: directories" "debugdir" "$(offered gocoroner analyze --debug-dir de)"
check "--format" "$(printf 'csv\njson\ntable')" "$(offered gocoroner query --format '')"
check "--incident takes a number: nothing offered" "" "$(offered gocoroner report --incident '')"
wq=$("$bin" query --list | grep -E '^[a-z_]+$' | grep '^cancel_' | sort)
check "query names" "$wq" "$(offered gocoroner query --db incident.db cancel_)"

echo "# completion: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
