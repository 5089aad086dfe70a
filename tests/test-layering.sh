#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# test-layering.sh: the modules keep the shape the restructuring gave them.
# From the objects of the library as built (their defined and undefined
# symbols, as nm lists them), the files of each module that call each other
# in a circle — strongly connected components of the file-level call graph —
# may be no larger than the module's ceiling below, and no module source file
# may be over 800 lines. A ceiling is lowered when a circle is broken, never
# raised without a reason in the commit.
set -eu
: "${TOP_SRCDIR:?}" "${GOCORONER:?}"
build=$(dirname "$GOCORONER")
command -v nm >/dev/null || { echo "nm not installed: skipped"; exit 77; }

status=0
max_lines=800

# module  largest circle allowed (files)
ceilings='
core 0
dwarf 2
goruntime 3
store 3
cli 0
util 0
'

# The circles of the objects given: one line "SIZE: file file ..." each.
circles() {
	for o in "$@"; do
		n=$(basename "$o" .o)
		nm -g --defined-only "$o" | awk -v f="$n" 'NF == 3 { print "D", f, $3 }'
		nm -u "$o" | awk -v f="$n" '{ print "U", f, $NF }'
	done | awk '
	$1 == "D" { def[$3] = $2; files[$2] = 1; next }
	$1 == "U" { use[$2 " " $3] = 1; files[$2] = 1 }
	END {
		n = 0
		for (f in files) { idx[f] = n; name[n] = f; n++ }
		for (k in use) {
			split(k, a, " ")
			if (a[2] in def && def[a[2]] != a[1])
				r[idx[a[1]] "," idx[def[a[2]]]] = 1
		}
		# Reachability by Warshall: a module has a few dozen files.
		for (k = 0; k < n; k++)
			for (i = 0; i < n; i++)
				if (r[i "," k])
					for (j = 0; j < n; j++)
						if (r[k "," j])
							r[i "," j] = 1
		for (i = 0; i < n; i++) {
			if (done[i])
				continue
			s = name[i]; c = 1
			for (j = 0; j < n; j++)
				if (j != i && r[i "," j] && r[j "," i]) {
					s = s " " name[j]; c++; done[j] = 1
				}
			if (c > 1)
				print c ": " s
		}
	}'
}

echo "$ceilings" | while read -r module ceiling; do
	[ -n "$module" ] || continue
	# The library's objects only, not those of its test variant.
	objs=$(ls "$build/$module"/*.o 2>/dev/null | grep -v '/[a-z_]*test[a-z_]*-[^/]*$' || true)
	if [ -z "$objs" ]; then
		echo "not ok: $module: no objects under $build/$module"
		exit 1
	fi
	# shellcheck disable=SC2086
	out=$(circles $objs)
	largest=$(printf '%s\n' "$out" | awk -F: 'NF { if ($1 > m) m = $1 } END { print m + 0 }')
	if [ "$largest" -gt "$ceiling" ]; then
		echo "not ok: $module: files calling each other in a circle of $largest (at most $ceiling):"
		printf '%s\n' "$out" | sed 's/^/    /'
		exit 1
	fi
	echo "ok: $module: largest circle $largest (at most $ceiling)"
done || status=1

for f in "$TOP_SRCDIR"/core/*.[ch] "$TOP_SRCDIR"/dwarf/*.[ch] "$TOP_SRCDIR"/goruntime/*.[ch] \
	"$TOP_SRCDIR"/store/*.[ch] "$TOP_SRCDIR"/cli/*.[ch] "$TOP_SRCDIR"/util/*.[ch] \
	"$TOP_SRCDIR"/queries/*.[ch]; do
	[ -f "$f" ] || continue
	n=$(wc -l <"$f")
	if [ "$n" -gt "$max_lines" ]; then
		echo "not ok: ${f#"$TOP_SRCDIR"/} has $n lines (at most $max_lines)"
		status=1
	fi
done
[ $status -eq 0 ] && echo "ok: no module source file over $max_lines lines"
exit $status
