# SPDX-License-Identifier: Apache-2.0
# Fuzzing: libFuzzer harnesses, each also replayed over its saved inputs by
# make check (README.md, "Fuzzing"; scripts/fuzz.sh runs them).
#
# A harness NAME is fuzz/fuzz-NAME.c defining LLVMFuzzerTestOneInput (and
# optionally LLVMFuzzerInitialize), its seeds in fuzz/seeds/NAME/ and the
# inputs that once crashed it in fuzz/regress/NAME/. To add one, copy the
# block of an existing harness below with NAME replaced (both programs);
# scripts/fuzz.sh and fuzz/test-fuzz-replay.sh find it by its file name:
#   - fuzz/replay-NAME, a check program: the harness with fuzz/replay.c's
#     main(), built by the normal compiler in every build;
#   - fuzz/fuzz-NAME, the libFuzzer binary, only with --enable-fuzz (make fuzz).
# Optional: fuzz/fuzz-NAME.options, libFuzzer flags for scripts/fuzz.sh (in
# EXTRA_DIST too).
FUZZERS =
FUZZ_LIBS = libgocoroner.a $(LIBS_ALL)
FUZZ_CPP = $(AM_CPPFLAGS) -DTOP_SRCDIR='"$(abs_top_srcdir)"'

# core/: an ELF core image opened, notes and threads read, memory read. On
# the test library (GOCORONER_TESTING), for its seam that makes the page
# cache a few sets: mapping 16 MiB per input made the kernel's TLB flushes
# most of the run, and a small cache evicts, as a big core would.
FUZZ_TEST_LIBS = libgocoroner_test.a $(LIBS_ALL)
check_PROGRAMS += fuzz/replay-core
fuzz_replay_core_SOURCES = fuzz/fuzz-core.c fuzz/replay.c fuzz/fuzz.h
fuzz_replay_core_CPPFLAGS = $(FUZZ_CPP) -DGOCORONER_TESTING
fuzz_replay_core_LDADD = $(FUZZ_TEST_LIBS)
FUZZERS += fuzz/fuzz-core
fuzz_fuzz_core_SOURCES = fuzz/fuzz-core.c fuzz/fuzz.h
fuzz_fuzz_core_CPPFLAGS = $(FUZZ_CPP) -DGOCORONER_TESTING
fuzz_fuzz_core_LDADD = $(FUZZ_TEST_LIBS)
fuzz_fuzz_core_LDFLAGS = $(AM_LDFLAGS) -fsanitize=fuzzer

# dwarf/ and the layout probes of goruntime/: a real Go executable patched
# by the input, then loaded (fuzz/fuzz-exe.c says why patches).
check_PROGRAMS += fuzz/replay-exe
fuzz_replay_exe_SOURCES = fuzz/fuzz-exe.c fuzz/replay.c fuzz/fuzz.h
fuzz_replay_exe_CPPFLAGS = $(FUZZ_CPP)
fuzz_replay_exe_LDADD = $(FUZZ_LIBS)
FUZZERS += fuzz/fuzz-exe
fuzz_fuzz_exe_SOURCES = fuzz/fuzz-exe.c fuzz/fuzz.h
fuzz_fuzz_exe_CPPFLAGS = $(FUZZ_CPP)
fuzz_fuzz_exe_LDADD = $(FUZZ_LIBS)
fuzz_fuzz_exe_LDFLAGS = $(AM_LDFLAGS) -fsanitize=fuzzer

# The whole 'analyze' (snapshot, writer thread, store) on a real core whose
# memory words the input rewrites.
check_PROGRAMS += fuzz/replay-analyze
fuzz_replay_analyze_SOURCES = fuzz/fuzz-analyze.c fuzz/scratch.h fuzz/replay.c $(CLI_SOURCES)
nodist_fuzz_replay_analyze_SOURCES = $(nodist_gocoroner_SOURCES)
fuzz_replay_analyze_CPPFLAGS = $(FUZZ_CPP)
fuzz_replay_analyze_LDADD = $(FUZZ_LIBS)
FUZZERS += fuzz/fuzz-analyze
fuzz_fuzz_analyze_SOURCES = fuzz/fuzz-analyze.c fuzz/scratch.h $(CLI_SOURCES)
nodist_fuzz_fuzz_analyze_SOURCES = $(nodist_gocoroner_SOURCES)
fuzz_fuzz_analyze_CPPFLAGS = $(FUZZ_CPP)
fuzz_fuzz_analyze_LDADD = $(FUZZ_LIBS)
fuzz_fuzz_analyze_LDFLAGS = $(AM_LDFLAGS) -fsanitize=fuzzer

# Every read-only command and query on a database with corrupted rows.
check_PROGRAMS += fuzz/replay-sql
fuzz_replay_sql_SOURCES = fuzz/fuzz-sql.c fuzz/scratch.h fuzz/replay.c $(CLI_SOURCES)
nodist_fuzz_replay_sql_SOURCES = $(nodist_gocoroner_SOURCES)
fuzz_replay_sql_CPPFLAGS = $(FUZZ_CPP)
fuzz_replay_sql_LDADD = $(FUZZ_LIBS)
FUZZERS += fuzz/fuzz-sql
fuzz_fuzz_sql_SOURCES = fuzz/fuzz-sql.c fuzz/scratch.h $(CLI_SOURCES)
nodist_fuzz_fuzz_sql_SOURCES = $(nodist_gocoroner_SOURCES)
fuzz_fuzz_sql_CPPFLAGS = $(FUZZ_CPP)
fuzz_fuzz_sql_LDADD = $(FUZZ_LIBS)
fuzz_fuzz_sql_LDFLAGS = $(AM_LDFLAGS) -fsanitize=fuzzer

# The libFuzzer binaries: built with everything else under --enable-fuzz.
if ENABLE_FUZZ
noinst_PROGRAMS = $(FUZZERS)
fuzz: $(FUZZERS)
else
EXTRA_PROGRAMS += $(FUZZERS)
fuzz:
	@echo "make fuzz: configure with CC=clang --enable-fuzz --enable-asan --enable-ubsan (scripts/fuzz.sh does)" >&2; exit 1
endif
.PHONY: fuzz

# Every harness over its seeds and saved crash inputs.
TESTS += fuzz/test-fuzz-replay.sh
EXTRA_DIST += fuzz/test-fuzz-replay.sh fuzz/make-seeds.py fuzz/seeds fuzz/regress \
	fuzz/fuzz-exe.options fuzz/fuzz-analyze.options fuzz/fuzz-sql.options
