#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# sql2c.sh: turn a .sql file into a C char array, so the documented SQL text
# (comments included) is compiled into the binary byte for byte.
#
# Usage: sql2c.sh SYMBOL FILE.sql > FILE_sql.c
# Output: `const char SYMBOL[] = { 0x2d, ..., 0x00 };` — a NUL-terminated
# string usable wherever a `const char *` is. Only POSIX sh, od and sed.
set -e

if [ $# -ne 2 ]; then
	echo "usage: $0 SYMBOL FILE.sql" >&2
	exit 2
fi
sym=$1
in=$2
case $sym in
'' | [0-9]* | *[!A-Za-z0-9_]*)
	echo "$0: '$sym' is not a C identifier" >&2
	exit 2
	;;
esac
if [ ! -r "$in" ]; then
	echo "$0: cannot read $in" >&2
	exit 1
fi

name=$(basename "$in")
printf '/* Generated from %s by scripts/sql2c.sh; do not edit. */\n' "$name"
printf 'extern const char %s[];\n' "$sym"
printf 'const char %s[] = {\n' "$sym"
# od: one line per 16 bytes, each as two hex digits; sed makes them C bytes.
od -An -v -tx1 "$in" | sed -e 's/[0-9a-fA-F][0-9a-fA-F]/0x&,/g' -e 's/^ */	/' -e 's/ *$//' \
	-e '/^	$/d'
printf '\t0x00\n};\n'
