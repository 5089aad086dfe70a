#!/bin/sh
# demo.sh: the main job on the bundled corpus — install what is missing, build,
# analyze a corpus core (a Go 1.27 program hung in a dozen known ways) and
# print what gocoroner found.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
"$top/scripts/install-deps.sh"
"$top/scripts/build.sh"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
name=${1:-hang-go1.27-opt-kernel}
col() { # a column of the corpus manifest row NAME
	awk -F'\t' -v want="$1" -v row="$name" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == want) c = i; next }
		$1 == row { print $c }' "$top/corpus/manifest.tsv"
}
[ -n "$(col exe)" ] || { echo "demo: no corpus core named $name (see corpus/manifest.tsv)" >&2; exit 2; }
zstd -q -d -f "$top/corpus/$(col exe)" -o "$work/hang"
chmod +x "$work/hang"
"$top/_build/gocoroner" analyze --db "$work/demo.db" --exe "$work/hang" "$top/corpus/$(col core)"
echo
echo "--- gocoroner goroutines ---"
"$top/_build/gocoroner" goroutines --db "$work/demo.db"
echo
echo "--- gocoroner contexts ---"
"$top/_build/gocoroner" contexts --db "$work/demo.db"
