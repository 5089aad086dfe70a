#!/bin/sh
# build.sh [DIR [CONFIGURE-ARGS...]]: configure and build gocoroner out of tree
# (default _build/), reconfiguring only when needed.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
dir=${1:-$top/_build}
[ $# -gt 0 ] && shift
cd "$top"
[ -x configure ] && [ configure -nt configure.ac ] || autoreconf -fi >/dev/null 2>&1
mkdir -p "$dir"
cd "$dir"
if [ ! -f Makefile ] || [ "$top/configure" -nt Makefile ] || [ $# -gt 0 ]; then
	"$top/configure" -q "$@" >/dev/null
fi
make -s -j"$(nproc)" >/dev/null
