#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
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
	# configure's cleanup prints "rm: cannot remove 'core': Is a directory"
	# (our core/ folder); keep its chatter unless it fails.
	"$top/configure" -q "$@" >config.out 2>&1 || { cat config.out >&2; exit 1; }
fi
make -s -j"$(nproc)" >/dev/null
