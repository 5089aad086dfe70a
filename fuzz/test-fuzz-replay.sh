#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# test-fuzz-replay.sh: every fuzz harness (fuzz/fuzz-NAME.c) run over its seeds
# and its saved crash inputs by fuzz/replay-NAME, so that an input that once
# crashed it stays a regression test, in the sanitizer build too.
set -eu
: "${TOP_SRCDIR:?}" "${GOCORONER:?}"
build=$(dirname "$GOCORONER")
status=0
n=0
skipped=0
for src in "$TOP_SRCDIR"/fuzz/fuzz-*.c; do
	[ -f "$src" ] || continue
	name=${src##*/fuzz-}
	name=${name%.c}
	replay=$build/fuzz/replay-$name
	# A harness built on a corpus core or executable cannot start without
	# the corpus, which a release tarball leaves out (make dist-corpus).
	if [ ! -f "$TOP_SRCDIR/corpus/manifest.tsv" ] && grep -q '"/corpus/' "$src"; then
		echo "skip $name: needs the corpus, not in $TOP_SRCDIR/corpus"
		skipped=$((skipped + 1))
		continue
	fi
	if [ ! -x "$replay" ]; then
		echo "FAIL $name: $replay not built (is the harness in fuzz/local.mk?)"
		status=1
		continue
	fi
	set --
	for d in "$TOP_SRCDIR/fuzz/seeds/$name" "$TOP_SRCDIR/fuzz/regress/$name"; do
		[ -d "$d" ] && set -- "$@" "$d"
	done
	if [ $# -eq 0 ]; then
		echo "FAIL $name: no fuzz/seeds/$name"
		status=1
		continue
	fi
	log=$(mktemp)
	if "$replay" "$@" >"$log" 2>&1; then
		echo "ok $name: $(tail -n 1 "$log")"
	else
		# The last input named is the one it died on.
		echo "FAIL $name:"
		tail -n 30 "$log"
		status=1
	fi
	rm -f "$log"
	n=$((n + 1))
done
[ $n -gt 0 ] || [ $skipped -gt 0 ] || { echo "no harness found in $TOP_SRCDIR/fuzz"; exit 1; }
[ $n -gt 0 ] || [ $status -ne 0 ] || exit 77
exit $status
