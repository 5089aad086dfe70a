#!/bin/sh
# install-deps.sh: install what building and testing gocoroner needs on Debian
# (12 or later), skipping what is already there. Needs root or sudo.
set -eu
pkgs="build-essential autoconf automake pkg-config libelf-dev libdw-dev libzstd-dev
libsqlite3-dev libcmocka-dev zstd sqlite3"
missing=
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "installing:$missing" >&2
sudo=
[ "$(id -u)" -eq 0 ] || sudo=sudo
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -q >/dev/null
# shellcheck disable=SC2086
$sudo apt-get install -y -q $missing >/dev/null
