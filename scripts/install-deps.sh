#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# install-deps.sh: install what building and testing gocoroner needs on Debian
# (12 or later), skipping what is already there. Needs root or sudo when
# something is missing; without either, it says what to install by hand.
set -eu
pkgs="build-essential autoconf automake pkg-config libelf-dev libdw-dev libzstd-dev
libsqlite3-dev libcmocka-dev zstd sqlite3 clang libclang-rt-dev libdebuginfod-dev python3"
# libdebuginfod-dev: the debuginfod client (optional: configure says when it
# is off); python3 serves tests/test-debuginfo.sh its debuginfod server.
# clang and its libFuzzer runtime are for scripts/fuzz.sh. libclang-rt-dev
# (Debian's llvm-defaults, like clang itself) pulls in libclang-rt-N-dev for
# the default clang N (14 on Debian 12), which holds libclang_rt.fuzzer.
missing=
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing="$missing $p"
done
# The runtime matching the clang installed, if the generic package did not
# bring it (a clang from elsewhere, or a release without libclang-rt-dev).
fuzzer_runtime() {
	command -v clang >/dev/null 2>&1 || return 0
	v=$(clang -dumpversion 2>/dev/null | cut -d. -f1)
	[ -n "$v" ] || return 0
	# Where the runtime lives differs between LLVM releases: try a link.
	t=$(mktemp)
	if echo 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n) { return 0; }' |
		clang -x c -fsanitize=fuzzer -o "$t" - >/dev/null 2>&1; then
		rm -f "$t"
		return 0
	fi
	rm -f "$t"
	echo "libclang-rt-$v-dev"
}
rt=$(fuzzer_runtime)
[ -z "$missing" ] && [ -z "$rt" ] && exit 0
sudo=
if [ "$(id -u)" -ne 0 ]; then
	if ! command -v sudo >/dev/null 2>&1; then
		cat >&2 <<EOF
install-deps.sh: these Debian packages are missing:$missing $rt
and installing them needs root: this user is not root and sudo is not installed.
Install them as root, then run this again:
  apt-get install --no-install-recommends$missing $rt
EOF
		exit 1
	fi
	sudo=sudo
fi
echo "install-deps.sh: installing$missing $rt" >&2
export DEBIAN_FRONTEND=noninteractive
# apt's own lines (what it fetches, unpacks and sets up) show it working:
# the first time it takes a minute or two.
$sudo apt-get update
# Not every release has the generic runtime package; fuzzer_runtime then
# names the versioned one.
case " $missing " in *" libclang-rt-dev "*)
	apt-cache show libclang-rt-dev >/dev/null 2>&1 ||
		missing=$(echo "$missing" | sed 's/ libclang-rt-dev//') ;;
esac
# Recommends would more than double it on a fresh Debian 12 root (185
# packages instead of 85, 241 MB to fetch instead of 146, 1.19 GB installed
# instead of 0.68): gnupg, LLVM's tools, Python, image and font libraries,
# none of which the build or the tests use.
# shellcheck disable=SC2086
[ -z "$missing" ] || $sudo apt-get install -y --no-install-recommends $missing
rt=$(fuzzer_runtime)
[ -z "$rt" ] || $sudo apt-get install -y --no-install-recommends "$rt"
