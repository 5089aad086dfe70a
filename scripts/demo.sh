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
zstd -q -d -f "$top/corpus/bin/$(echo "$name" | sed 's/-\(gcore\|kernel\)$//').zst" -o "$work/hang"
chmod +x "$work/hang"
"$top/_build/gocoroner" analyze --db "$work/demo.db" --exe "$work/hang" \
	"$top/corpus/cores/$name.core.zst"
echo
echo "--- gocoroner goroutines ---"
"$top/_build/gocoroner" goroutines --db "$work/demo.db"
