#!/bin/sh
# test-spdx.sh: every source file of the project says its licence, the line
# "SPDX-License-Identifier: Apache-2.0" in a comment among its first 10
# lines (after a #! line, a //go:build line...). The corpus programs'
# sources carry it on their last line instead: their line numbers are
# recorded in the committed cores, Go's tracebacks and the tests
# (test-dwarf.c reads the line of "func main() {"), and a line added at the
# top would move every one. The files are those git tracks (C, headers,
# shell, SQL, automake, autoconf, Go); outside a git clone, those of the
# source tree.
set -u
top=${TOP_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
tag='SPDX-License-Identifier: Apache-2.0'
if git -C "$top" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	files=$(git -C "$top" ls-files -- '*.c' '*.h' '*.sh' '*.sql' '*.am' '*.ac' '*.go' '*.mk')
else
	files=$(cd "$top" && find . \( -name '_build*' -o -name autom4te.cache -o -name '.git' \) -prune -o \
		-type f \( -name '*.c' -o -name '*.h' -o -name '*.sh' -o -name '*.sql' -o -name '*.am' \
		-o -name '*.ac' -o -name '*.go' -o -name '*.mk' \) -print | sed 's|^\./||')
fi
[ -n "$files" ] || { echo "no source files found under $top: skipped"; exit 77; }
pass=0 fail=0
missing=
for f in $files; do
	case $f in
	corpus/programs/*.go) tail -n 1 "$top/$f" | grep -q "$tag" ;;
	*) head -n 10 "$top/$f" | grep -q "$tag" ;;
	esac && pass=$((pass + 1)) || { fail=$((fail + 1)); missing="$missing $f"; }
done
for f in $missing; do echo "FAIL - $f: no '$tag' line"; done | head -50
[ "$fail" -le 50 ] || echo "... and $((fail - 50)) more"
echo "# spdx: $pass files with the licence line, $fail without"
[ "$fail" -eq 0 ]
