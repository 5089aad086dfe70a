#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Regenerate the gocoroner test corpus: executables of programs/hang and
# programs/diag built by every supported Go release (debug and optimized), a
# core of each taken by gdb's gcore and by the kernel (SIGABRT,
# GOTRACEBACK=crash), and what Go and Delve say about each core (for diag on
# Go 1.26+, Go's goroutine-leak profile too). programs/pileup (one core per
# shape), programs/leakzoo (pileup's zoo shape), programs/httpsvc and
# programs/ctxroots only when asked for with --program. See README.md.
#
# usage: corpus/generate.sh [--program hang|diag|pileup|leakzoo|httpsvc|ctxroots]... [--go 1.21]... \
#                           [--mode debug|opt]... [--kind gcore|kernel]... \
#                           [--shape SHAPE]... [--variant VARIANT]... [--bin-only] [--no-install]
#   --program, --go, --mode, --kind select a subset (repeatable; default:
#                 everything, programs hang and diag)
#   --shape       pileup's shapes to run (repeatable; default: all of them)
#   --variant     build variants instead of the plain builds (repeatable):
#                 pie (-buildmode=pie, CGO_ENABLED=0: Go's linker), pie-cgo
#                 (-buildmode=pie, cgo with -tags piecgo, linked by gcc),
#                 static-pie (pie-cgo linked with -extldflags=-static-pie),
#                 stripped = -ldflags='-s -w' (no symbol table, no DWARF);
#                 arm64 = GOARCH=arm64, run under qemu-aarch64, kernel cores
#                 only (qemu writes the guest's core);
#                 split = the plain build with a GNU build id, stripped, its
#                 DWARF in bin/PROG-split-go1.XX-MODE.debug.zst (see README.md);
#                 files are named PROG-VARIANT-go1.XX-MODE...
#   --bin-only    only build and store the executables
#   --no-install  do not run scripts/install-go-toolchains.sh first
#
# Needs root only for the toolchain install. Raw cores (1-2 GB sparse) live in
# a scratch directory under ${TMPDIR:-/tmp} one at a time.
set -euo pipefail

CORPUS=$(cd "$(dirname "$0")" && pwd)
REPO=$(dirname "$CORPUS")
TOOL="/usr/bin/python3 $CORPUS/tools/corpus_tool.py"
ALL_PROGRAM="hang diag"
ALL_GO="1.19 1.21 1.22 1.23 1.24 1.26 1.27"
ALL_MODE="debug opt"
ALL_KIND="gcore kernel"
# pileup's shapes (PILEUP_SHAPE); one core each, named pileup-SHAPE-go1.XX-MODE-KIND.
ALL_SHAPE="pool8 pool5000 mutex10000 mutexlive10000 deadlocks mix20000"

sel_program="" sel_go="" sel_mode="" sel_kind="" sel_shape="" sel_variant="" bin_only=0 install=1
while [ $# -gt 0 ]; do
	case $1 in
	--program) sel_program="$sel_program $2"; shift 2 ;;
	--go) sel_go="$sel_go ${2#go}"; shift 2 ;;
	--mode) sel_mode="$sel_mode $2"; shift 2 ;;
	--kind) sel_kind="$sel_kind $2"; shift 2 ;;
	--shape) sel_shape="$sel_shape $2"; shift 2 ;;
	--variant) sel_variant="$sel_variant $2"; shift 2 ;;
	--bin-only) bin_only=1; shift ;;
	--no-install) install=0; shift ;;
	-h|--help) sed -n '2,30p' "$0"; exit 0 ;;
	*) echo "generate.sh: unknown argument $1" >&2; exit 2 ;;
	esac
done
sel_program=${sel_program:-$ALL_PROGRAM}
sel_go=${sel_go:-$ALL_GO}
sel_mode=${sel_mode:-$ALL_MODE}
sel_kind=${sel_kind:-$ALL_KIND}
sel_shape=${sel_shape:-$ALL_SHAPE}

log() { echo "generate: $*" >&2; }
die() { log "error: $*"; exit 1; }
for p in $sel_program; do
	[ -d "$CORPUS/programs/$p" ] || die "no program $p"
done
for x in $sel_variant; do
	case $x in pie|pie-cgo|static-pie|stripped|split|arm64) ;; *) die "no variant $x" ;; esac
done
case " $sel_variant " in *" arm64 "*)
	command -v qemu-aarch64 >/dev/null || die "qemu-aarch64 not found (Debian package qemu-user)" ;;
esac
for s in $sel_shape; do
	case " $ALL_SHAPE " in *" $s "*) ;; *) die "no pileup shape $s" ;; esac
done

if [ "$install" = 1 ]; then
	"$REPO/scripts/install-go-toolchains.sh"
fi
for t in gdb gcore zstd dlv sha256sum; do
	command -v $t >/dev/null || die "$t not found"
done

mkdir -p "$CORPUS/bin" "$CORPUS/cores" "$CORPUS/expect"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/gocoroner-corpus.XXXXXX")
child=""
cleanup() {
	if [ -n "$child" ] && kill -0 "$child" 2>/dev/null; then
		kill -KILL "$child" 2>/dev/null || true
	fi
	rm -rf "$WORK"
}
trap cleanup EXIT

# Host-specific strings to erase from cores (see tools/corpus_tool.py).
$TOOL scrub-tokens >"$WORK/scrub-tokens"
log "scrub tokens: $(tr '\n' ' ' <"$WORK/scrub-tokens")"

printf 'goroutines -t 100\nexit\n' >"$WORK/dlv-init"

sha() { sha256sum "$1" | cut -d' ' -f1; }

# build PROGRAM VERSION MODE OUT [VARIANT]
build() {
	local prog=$1 v=$2 mode=$3 out=$4 variant=${5:-} goroot=/usr/lib/go-$2
	[ -x "$goroot/bin/go" ] || die "no Go $v at $goroot"
	local gcflags=() exp=() cgo=0 vflags=()
	# Variants: a position-independent executable by Go's own linker (pie),
	# or with real C code (the piecgo tag links programs/PROG's cgo package)
	# linked by gcc (pie-cgo). No variant: the plain build, as before.
	case $variant in
	pie) vflags=(-buildmode=pie) ;;
	pie-cgo) cgo=1 vflags=(-buildmode=pie -tags piecgo -ldflags=-linkmode=external) ;;
	# static-pie: pie-cgo linked by gcc as a static PIE (ET_DYN, no
	# PT_INTERP: the executable relocates itself, no ld-linux).
	static-pie) cgo=1 vflags=(-buildmode=pie -tags piecgo "-ldflags=-linkmode=external -extldflags=-static-pie") ;;
	esac
	[ "$mode" = debug ] && gcflags=("-gcflags=all=-N -l")
	# stripped: no .symtab (-s) and no DWARF (-w), as production builds ship.
	[ "$variant" = stripped ] && gcflags+=("-ldflags=-s -w")
	# diag, pileup, leakzoo and httpsvc write Go's goroutine-leak profile: an experiment on
	# Go 1.26 (the default from 1.27). hang is built as before
	# (byte-identical); ctxroots writes no profile and is a plain build.
	[ "$prog" != hang ] && [ "$prog" != ctxroots ] && [ "$v" = 1.26 ] && exp=(GOEXPERIMENT=goroutineleakprofile)
	# The arm64 variant cross-builds (CGO_ENABLED=0: no C toolchain needed).
	[ "$variant" = arm64 ] && exp+=(GOARCH=arm64)
	(cd "$CORPUS/programs/$prog" &&
		env GOTOOLCHAIN=local GOFLAGS= CGO_ENABLED=$cgo GOPROXY=off GO111MODULE=on "${exp[@]}" \
			"$goroot/bin/go" build -trimpath -buildvcs=false "${vflags[@]}" "${gcflags[@]}" -o "$out" .)
	if [ "$variant" = static-pie ]; then
		readelf -h "$out" | grep -q 'Type: *DYN' || die "$out: not ET_DYN"
		! readelf -l "$out" | grep -q INTERP || die "$out: has PT_INTERP, not a static PIE"
	fi
	return 0
}

# Build paths must not leak into the executables (-trimpath).
check_paths() {
	local hits
	hits=$($TOOL grep "$1" /work/ /root/ /tmp/go-build /tmp/gocoroner /usr/lib/go- "$CORPUS" | tr '\n' ' ')
	if [ -n "$hits" ]; then
		log "WARNING: $(basename "$1") contains build paths: $hits"
		echo "build-paths:${hits// /,}"
	fi
}

# store FILE NAME: keep FILE as bin/NAME.zst unless it holds that already.
store() {
	local zst=$CORPUS/bin/$2.zst new old=""
	new=$(sha "$1")
	[ -f "$zst" ] && old=$(zstd -dc "$zst" | sha256sum | cut -d' ' -f1)
	if [ "$old" != "$new" ]; then
		zstd -19 -q -f "$1" -o "$zst"
		chmod 644 "$zst"
		log "stored bin/$2.zst ($(stat -c %s "$1") -> $(stat -c %s "$zst") bytes)"
	fi
}

has_gnu_build_id() { readelf -n "$1" 2>/dev/null | grep -q 'Build ID:'; }

# split_exe PROGRAM VERSION MODE OUT: variant split. OUT.full is the plain
# build with a GNU build id: the stored plain executable when it has one (Go
# 1.24+ links one by default), else built again with -ldflags=-B gobuildid
# (Go 1.22+; the Go build id changes with the flags, so it needs cores of
# its own). OUT is it stripped (objcopy --strip-all) with a .gnu_debuglink
# to OUT.debug (objcopy --only-keep-debug): stored as bin/NAME.zst and
# bin/NAME.debug.zst. Prints "plain" when OUT loads the bytes the stored
# plain build loads (its cores serve), else "own".
split_exe() {
	local prog=$1 v=$2 mode=$3 out=$4 name image=own
	name=$(basename "$out")
	local plain_zst=$CORPUS/bin/$prog-go$v-$mode.zst
	if [ -f "$plain_zst" ] && zstd -dqf "$plain_zst" -o "$out.full" && has_gnu_build_id "$out.full"; then
		image=plain
	else
		[ "${v#1.}" -ge 22 ] || die "$name: -B gobuildid needs Go 1.22 or later"
		local goroot=/usr/lib/go-$v gcflags=()
		[ "$mode" = debug ] && gcflags=("-gcflags=all=-N -l")
		(cd "$CORPUS/programs/$prog" &&
			env GOTOOLCHAIN=local GOFLAGS= CGO_ENABLED=0 GOPROXY=off GO111MODULE=on \
				"$goroot/bin/go" build -trimpath -buildvcs=false "${gcflags[@]}" \
				-ldflags="-B gobuildid" -o "$out.full" .)
	fi
	objcopy --only-keep-debug "$out.full" "$WORK/$name.debug"
	# The debuglink names the file, so it is made under its final name.
	(cd "$WORK" && objcopy --strip-all --add-gnu-debuglink="$name.debug" "$out.full" "$out")
	local same
	same=$($TOOL same-image "$out.full" "$out")
	[ "$same" = same ] || die "$name: stripping changed the loaded bytes ($same)"
	store "$out" "$name"
	store "$WORK/$name.debug" "$name.debug"
	echo "$image"
}

# reuse_rows PROGRAM VERSION MODE: the split build loads the plain build's
# bytes, so the plain build's cores and expectations serve: a row of the
# variant for each, naming the variant's executable.
reuse_rows() {
	local prog=$1 v=$2 mode=$3 kind exe_name=$1-$variant-go$2-$3 row
	for kind in $sel_kind; do
		row=$(awk -F'\t' -v n="$prog-go$v-$mode-$kind" '$1 == n' "$CORPUS/manifest.tsv")
		[ -n "$row" ] || { log "no row $prog-go$v-$mode-$kind to reuse: generate it first"; continue; }
		echo "$row" | awk -F'\t' -v OFS='\t' -v name="$prog-$variant-go$v-$mode-$kind" \
			-v exe="bin/$exe_name.zst" -v sha="$(sha "$WORK/$exe_name")" \
			-v notes="variant:$variant;image:plain" '
			NR == 1 { $1 = name; $6 = exe; $11 = sha; $16 = $16 == "" ? notes : $16 ";" notes; print }' >"$WORK/row"
		$TOOL manifest "$CORPUS/manifest.tsv" "$WORK/row"
		log "$prog-$variant-go$v-$mode-$kind: the plain build's core, read with the split executable"
	done
}

# exe PROGRAM VERSION MODE [VARIANT] -> prints the path of the uncompressed
# executable in WORK, (re)building it and storing bin/PROGRAM-go1.XX-MODE.zst
# (PROGRAM-VARIANT-go1.XX-MODE.zst) when it changed. For split, the path is
# the unstripped build the program runs as (OUT.full).
declare -A exe_notes exe_image
exe() {
	local prog=$1 v=$2 mode=$3 variant=${4:-} name=$1${4:+-$4}-go$2-$3
	local out=$WORK/$name
	if [ "$variant" = split ]; then
		if [ ! -f "$out" ]; then
			exe_image[$name]=$(split_exe "$prog" "$v" "$mode" "$out")
			exe_notes[$name]=$(check_paths "$out.full")
		fi
		echo "$out.full"
		return
	fi
	if [ ! -f "$out" ]; then
		build "$prog" "$v" "$mode" "$out" "$variant"
		local zst=$CORPUS/bin/$name.zst new old=""
		new=$(sha "$out")
		if [ -f "$zst" ]; then
			old=$(zstd -dc "$zst" | sha256sum | cut -d' ' -f1)
		fi
		if [ "$old" != "$new" ]; then
			[ -n "$old" ] && log "WARNING: $name rebuilt differently ($old -> $new); regenerate its cores"
			zstd -19 -q -f "$out" -o "$zst"
			chmod 644 "$zst"
			log "stored bin/$name.zst ($(stat -c %s "$out") -> $(stat -c %s "$zst") bytes)"
		fi
		exe_notes[$name]=$(check_paths "$out")
	fi
	echo "$out"
}

# Check that the traceback lists every scenario goroutine; print their states.
check_states() {
	local stdout=$1 tb=$2 missing="" line name id state
	while read -r line; do
		case $line in scenario\ *) ;; *) continue ;; esac
		name=$(echo "$line" | cut -d' ' -f2)
		id=${line##*goid=}
		state=$(grep -E "^goroutine $id( |$)" "$tb" | head -1 | sed -e 's/.*\[//' -e 's/\].*//')
		if [ -z "$state" ]; then
			missing="$missing,$name"
		fi
		printf '%s=[%s] ' "$name" "$state" >&2
	done <"$stdout"
	echo >&2
	[ -n "$missing" ] && echo "missing-in-traceback:${missing#,}"
	return 0
}

# run PROGRAM VERSION MODE KIND [SHAPE] [VARIANT]
run() {
	local prog=$1 v=$2 mode=$3 kind=$4 shape=${5:-} variant=${6:-}
	local name=$prog${variant:+-$variant}-go$v-$mode-$kind exe_name=$prog${variant:+-$variant}-go$v-$mode
	local exe_path scratch pid rc notes="" dumper=0 shape_env=() emu=()
	# qemu-user runs the arm64 build and writes the guest's core,
	# qemu_PROG_DATE-TIME_PID.core, in the current directory.
	[ "$variant" = arm64 ] && emu=(qemu-aarch64)
	[ -n "$variant" ] && notes="variant:$variant"
	if [ -n "$shape" ]; then
		name=$prog-$shape-go$v-$mode-$kind
		shape_env=(PILEUP_SHAPE="$shape")
	fi
	# leakzoo is pileup's code plus the zoo shape, its only shape: the
	# cores are named without it.
	[ "$prog" = leakzoo ] && shape_env=(PILEUP_SHAPE=zoo)
	exe_path=$(exe "$prog" "$v" "$mode" "$variant")
	scratch=$(mktemp -d "$WORK/run.XXXXXX")
	cp "$exe_path" "$scratch/$prog"
	log "$name: running in $scratch"

	local tb=system hm=gcore dump="HANG_DUMP=$scratch/dump.txt" ulim=0
	if [ "$kind" = kernel ]; then
		tb=crash hm=crash dump="HANG_DUMP=" ulim=unlimited
	fi
	# GODEBUG: go.mod says go 1.19, which turns off Go 1.26+'s labels in
	# tracebacks; turn them back on (older releases ignore the setting). It
	# also makes timer channels asynchronous (no hchan.timer) on Go 1.23+:
	# ask for the synchronous ones that go.mod >= 1.23 would get.
	local godebug=tracebacklabels=1
	[ "${v#1.}" -ge 23 ] && godebug=$godebug,asynctimerchan=0
	(cd "$scratch" && ulimit -c $ulim && exec env -i PATH=/usr/bin:/bin HOME=/nonexistent \
		GOTRACEBACK=$tb GODEBUG=$godebug HANG_MODE=$hm $dump HANG_LEAKS="$scratch/leaks.txt" \
		"${shape_env[@]}" "${emu[@]}" "./$prog" >stdout 2>stderr) &
	pid=$!
	child=$pid
	local i=0
	until grep -qx READY "$scratch/stdout" 2>/dev/null; do
		kill -0 "$pid" 2>/dev/null || { cat "$scratch/stderr" >&2; die "$name: program exited before READY"; }
		i=$((i + 1))
		[ $i -lt 3000 ] || die "$name: no READY after 300 s"
		sleep 0.1
	done
	sleep 1 # let the dumper goroutine exit and everything settle

	# The capture time, for 'analyze --captured-at': the core's file time
	# is lost to every copy (git checkout, zstd, cp).
	local captured
	captured=$(date -u +%Y-%m-%dT%H:%M:%SZ)
	if [ "$kind" = gcore ]; then
		gcore -o "$scratch/core" "$pid" >"$scratch/gcore.log" 2>&1 ||
			{ cat "$scratch/gcore.log" >&2; die "$name: gcore failed"; }
		mv "$scratch/core.$pid" "$scratch/core"
		# gcore writes the zeros; punch holes to spare the scratch disk.
		fallocate --dig-holes "$scratch/core" 2>/dev/null || true
		kill -KILL "$pid"
		wait "$pid" 2>/dev/null || true
		cp "$scratch/dump.txt" "$CORPUS/expect/$name.traceback"
		dumper=$(sed -n 's/^dumper goid=//p' "$scratch/stdout")
	else
		# SIGABRT to the thread in the raw read(2), not to the process (the
		# kernel would pick the main thread, whatever goroutine it runs):
		# the same goroutine takes the signal in every kernel core.
		local tid
		tid=$($TOOL abort "$pid")
		[ "$tid" != 0 ] || { log "$name: no thread in read(2): SIGABRT to the process"; notes="$notes abort-to-process"; }
		rc=0
		wait "$pid" 2>/dev/null || rc=$?
		if [ "$variant" = arm64 ]; then
			# qemu then dies of the signal itself: the kernel's core of
			# qemu (an x86-64 process) is not wanted.
			rm -f "$scratch/core"
			local qcore
			qcore=$(ls "$scratch"/qemu_"$prog"_*.core 2>/dev/null | head -1)
			[ -n "$qcore" ] || die "$name: qemu wrote no core (exit status $rc)"
			mv "$qcore" "$scratch/core"
		fi
		[ -f "$scratch/core" ] || die "$name: no core written (exit status $rc)"
		cp "$scratch/stderr" "$CORPUS/expect/$name.traceback"
	fi
	child=""
	cp "$scratch/stdout" "$CORPUS/expect/$name.stdout"
	# Go's goroutine-leak profile (diag and pileup, Go 1.26+): debug=2, every
	# goroutine with the leaked ones marked "(leaked)".
	rm -f "$CORPUS/expect/$name.leaks" "$CORPUS/expect/$name.leaks.zst"
	if [ -f "$scratch/leaks.txt" ]; then
		cp "$scratch/leaks.txt" "$CORPUS/expect/$name.leaks"
		notes="$notes $($TOOL leaks "$scratch/leaks.txt" "$scratch/stdout")"
	fi

	local n
	n=$($TOOL scrub "$scratch/core" "$WORK/scrub-tokens")
	notes="$notes mountinfo-scrubbed:$n"

	log "$name: states: "
	notes="$notes $(check_states "$scratch/stdout" "$CORPUS/expect/$name.traceback")"
	notes="$notes ${exe_notes[$exe_name]:-}"

	if ! TERM=dumb timeout 900 dlv core "$scratch/$prog" "$scratch/core" --check-go-version=false \
		--allow-non-terminal-interactive=true --init "$WORK/dlv-init" </dev/null >"$CORPUS/expect/$name.dlv" 2>&1; then
		log "$name: dlv failed"
		notes="$notes dlv-failed"
	fi
	# dlv prints the (scratch) paths it was given in some messages.
	# Color escapes are stripped in case TERM=dumb is not honoured.
	sed -i -e "s|$scratch/|./|g" -e 's/\x1b\[[0-9;]*m//g' "$CORPUS/expect/$name.dlv"
	notes="$notes $($TOOL compare "$CORPUS/expect/$name.traceback" "$CORPUS/expect/$name.dlv" "${dumper:-0}" "$CORPUS/expect/$name.leaks")"

	local core_size core_sha
	core_size=$(stat -c %s "$scratch/core")
	core_sha=$(sha "$scratch/core")
	zstd -19 -T2 -q -f "$scratch/core" -o "$CORPUS/cores/$name.core.zst"
	chmod 644 "$CORPUS/cores/$name.core.zst"
	rm -f "$scratch/core"
	local zsize
	zsize=$(stat -c %s "$CORPUS/cores/$name.core.zst")
	log "$name: core $core_size -> $zsize bytes"

	# pileup's, leakzoo's and httpsvc's tracebacks, Delve listings and leak
	# profiles list thousands of goroutines (8-9 MB, 17 MB and 8-9 MB of text
	# for 20,000): stored zstd-compressed, NAME.traceback.zst etc. (the
	# manifest says which).
	local tb_rel=expect/$name.traceback dlv_rel=expect/$name.dlv
	rm -f "$CORPUS/$tb_rel.zst" "$CORPUS/$dlv_rel.zst"
	if [ "$prog" = pileup ] || [ "$prog" = leakzoo ] || [ "$prog" = httpsvc ]; then
		for f in "$CORPUS/$tb_rel" "$CORPUS/$dlv_rel" "$CORPUS/expect/$name.leaks"; do
			[ -f "$f" ] || continue
			zstd -19 -T2 -q -f --rm "$f" -o "$f.zst"
			chmod 644 "$f.zst"
		done
		tb_rel=$tb_rel.zst dlv_rel=$dlv_rel.zst
	fi

	local gover
	gover=$(/usr/lib/go-$v/bin/go version | awk '{print $3}')
	notes=$(echo $notes | tr ' ' ';')
	printf '%s\n' "$(printf '%s\t' "$name" "$prog" "$gover" "$mode" "$kind" \
		"bin/$exe_name.zst" "cores/$name.core.zst" "$tb_rel" \
		"expect/$name.stdout" "$dlv_rel" "$(sha "$WORK/$exe_name")" "$core_sha" \
		"$core_size" "$zsize" "${dumper:-0}")$notes	$captured" >"$WORK/row"
	$TOOL manifest "$CORPUS/manifest.tsv" "$WORK/row"
	rm -rf "$scratch"
}

# No --variant: the plain builds ("plain" stands for the empty variant).
for variant in ${sel_variant:-plain}; do
[ "$variant" = plain ] && variant=""
for prog in $sel_program; do
	for v in $sel_go; do
		for mode in $sel_mode; do
			exe "$prog" "$v" "$mode" "$variant" >/dev/null
			[ "$bin_only" = 1 ] && continue
			if [ "$variant" = split ] && [ "${exe_image[$prog-split-go$v-$mode]:-}" = plain ]; then
				reuse_rows "$prog" "$v" "$mode"
				continue
			fi
			for kind in $sel_kind; do
				# arm64: gcore cannot attach to a guest of qemu-user.
				[ "$variant" = arm64 ] && [ "$kind" = gcore ] && continue
				if [ "$prog" = pileup ]; then
					for shape in $sel_shape; do
						run "$prog" "$v" "$mode" "$kind" "$shape" "$variant"
					done
				else
					run "$prog" "$v" "$mode" "$kind" "" "$variant"
				fi
			done
		done
	done
done
done
log "done"
