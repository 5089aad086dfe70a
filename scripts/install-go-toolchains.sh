#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Install the Go toolchains (and gdb, zstd, delve, and qemu-user for the
# arm64 variant's qemu-aarch64) that corpus/generate.sh
# builds and inspects the test corpus with. Idempotent: sources and pins are
# rewritten only when they differ, and packages already installed are skipped.
#
# Debian 12 ships Go 1.19 only; newer releases come from bookworm-backports,
# trixie and sid. Those suites are pinned low (100/50/50) so that nothing else
# on the machine is upgraded from them; packages are requested explicitly with
# /suite.
#
# Tests do not need any of this: the corpus is committed.
set -eu

if [ "$(id -u)" != 0 ]; then
	echo "install-go-toolchains.sh: must run as root" >&2
	exit 1
fi

SOURCES=/etc/apt/sources.list.d/gocoroner-go.sources
PREFS=/etc/apt/preferences.d/gocoroner-go

want_sources='Types: deb
URIs: http://deb.debian.org/debian
Suites: bookworm-backports trixie sid
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg'

want_prefs='Package: *
Pin: release n=bookworm-backports
Pin-Priority: 100

Package: *
Pin: release n=trixie
Pin-Priority: 50

Package: *
Pin: release n=sid
Pin-Priority: 50'

# package name -> apt target ("" = default release). Order matters only for
# readability.
PKGS='golang-1.19-go:
golang-1.21-go:bookworm-backports
golang-1.22-go:bookworm-backports
golang-1.23-go:bookworm-backports
golang-1.24-go:trixie
golang-1.26-go:sid
golang-1.27-go:sid
gdb:
zstd:
qemu-user:
delve:sid'

installed() {
	dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q '^install ok installed$'
}

missing=""
for entry in $PKGS; do
	pkg=${entry%%:*}
	suite=${entry#*:}
	if ! installed "$pkg"; then
		if [ -n "$suite" ]; then
			missing="$missing $pkg/$suite"
		else
			missing="$missing $pkg"
		fi
	fi
done

if [ -z "$missing" ]; then
	echo "install-go-toolchains.sh: all toolchains present"
	exit 0
fi

changed=0
if [ ! -f "$SOURCES" ] || [ "$(cat "$SOURCES")" != "$want_sources" ]; then
	printf '%s\n' "$want_sources" >"$SOURCES"
	changed=1
fi
if [ ! -f "$PREFS" ] || [ "$(cat "$PREFS")" != "$want_prefs" ]; then
	printf '%s\n' "$want_prefs" >"$PREFS"
	changed=1
fi

echo "install-go-toolchains.sh: installing$missing"
export DEBIAN_FRONTEND=noninteractive
# Always refresh: a missing package usually means stale lists.
apt-get update -q
[ "$changed" = 1 ] && echo "install-go-toolchains.sh: wrote $SOURCES and $PREFS"
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $missing
