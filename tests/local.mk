# SPDX-License-Identifier: Apache-2.0
# Unit tests (cmocka), one per module, and integration tests over the corpus.
if HAVE_CMOCKA
check_PROGRAMS += tests/test-util
tests_test_util_SOURCES = tests/test-util.c
tests_test_util_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_test_util_LDADD = libgocoroner.a $(LIBS_ALL) $(CMOCKA_LIBS)
TESTS += tests/test-util
endif

if HAVE_CMOCKA
check_PROGRAMS += tests/test-store
tests_test_store_SOURCES = tests/test-store.c
tests_test_store_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_test_store_LDADD = libgocoroner.a $(LIBS_ALL) $(CMOCKA_LIBS)
TESTS += tests/test-store
endif

if HAVE_CMOCKA
check_PROGRAMS += tests/test-core
tests_test_core_SOURCES = tests/test-core.c
tests_test_core_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS) -DTOP_SRCDIR='"$(abs_top_srcdir)"' \
	-DGOCORONER_TESTING
tests_test_core_LDADD = libgocoroner_test.a $(LIBS_ALL) $(CMOCKA_LIBS)
TESTS += tests/test-core
endif

if HAVE_CMOCKA
check_PROGRAMS += tests/test-dwarf
tests_test_dwarf_SOURCES = tests/test-dwarf.c
tests_test_dwarf_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS) -DTOP_SRCDIR='"$(abs_top_srcdir)"'
tests_test_dwarf_LDADD = libgocoroner.a $(LIBS_ALL) $(CMOCKA_LIBS)
TESTS += tests/test-dwarf
endif
EXTRA_DIST += tests/data/stripped-go1.27.zst

# Integration: every corpus core compared with Go's own traceback.
if HAVE_CMOCKA
check_PROGRAMS += tests/test-corpus
tests_test_corpus_SOURCES = tests/test-corpus.c tests/gotrace.c tests/gotrace.h
tests_test_corpus_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS) -DTOP_SRCDIR='"$(abs_top_srcdir)"'
tests_test_corpus_LDADD = libgocoroner.a $(LIBS_ALL) $(CMOCKA_LIBS)
TESTS += tests/test-corpus
endif

# The command end to end: tracebacks against Go's text, bad input.
TESTS += tests/test-cli.sh
EXTRA_DIST += tests/test-cli.sh
TESTS += tests/test-show.sh
EXTRA_DIST += tests/test-show.sh
# Stripped executables with separate debug info: --debug-file, debug
# directories, debuginfod.
TESTS += tests/test-debuginfo.sh
EXTRA_DIST += tests/test-debuginfo.sh
# capture PID against gcore of the same live corpus program.
TESTS += tests/test-capture.sh
EXTRA_DIST += tests/test-capture.sh

# Limits: read-only databases, --keep-core on sparse cores, budgets.
TESTS += tests/test-limits.sh
EXTRA_DIST += tests/test-limits.sh
AM_TESTS_ENVIRONMENT = TOP_SRCDIR='$(abs_top_srcdir)' GOCORONER='$(abs_top_builddir)/gocoroner' \
	GOCORONER_TEST_BIN='$(abs_top_builddir)/tests/gocoroner-test'; \
	export TOP_SRCDIR GOCORONER GOCORONER_TEST_BIN;

# The command built with GOCORONER_TESTING (cli_test_hooks, store/testing.h):
# the same sources as gocoroner, reading test hooks from the environment.
# test-archive-reliability.sh runs it where it kills an ingest from inside;
# the installed gocoroner has no such hooks.
check_PROGRAMS += tests/gocoroner-test
tests_gocoroner_test_SOURCES = $(gocoroner_SOURCES)
nodist_tests_gocoroner_test_SOURCES = $(nodist_gocoroner_SOURCES)
tests_gocoroner_test_CPPFLAGS = $(AM_CPPFLAGS) -DGOCORONER_TESTING
tests_gocoroner_test_LDADD = libgocoroner_test.a $(LIBS_ALL)

if HAVE_CMOCKA
check_PROGRAMS += tests/test-goruntime
tests_test_goruntime_SOURCES = tests/test-goruntime.c tests/gotrace.c tests/gotrace.h
tests_test_goruntime_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS) -DTOP_SRCDIR='"$(abs_top_srcdir)"'
tests_test_goruntime_LDADD = libgocoroner.a $(LIBS_ALL) $(CMOCKA_LIBS)
TESTS += tests/test-goruntime
endif

if HAVE_CMOCKA
check_PROGRAMS += tests/test-waits
tests_test_waits_SOURCES = tests/test-waits.c tests/gotrace.c tests/gotrace.h
tests_test_waits_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS) -DTOP_SRCDIR='"$(abs_top_srcdir)"'
tests_test_waits_LDADD = libgocoroner.a $(LIBS_ALL) $(CMOCKA_LIBS)
TESTS += tests/test-waits
endif

# Pending defers and panics in progress against the corpus program's own account.
if HAVE_CMOCKA
check_PROGRAMS += tests/test-defers
tests_test_defers_SOURCES = tests/test-defers.c tests/gotrace.c tests/gotrace.h
tests_test_defers_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS) -DTOP_SRCDIR='"$(abs_top_srcdir)"'
tests_test_defers_LDADD = libgocoroner.a $(LIBS_ALL) $(CMOCKA_LIBS)
TESTS += tests/test-defers
endif

# Context trees and holdings against the corpus program's own account.
if HAVE_CMOCKA
check_PROGRAMS += tests/test-contexts
tests_test_contexts_SOURCES = tests/test-contexts.c tests/gotrace.c tests/gotrace.h
tests_test_contexts_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS) -DTOP_SRCDIR='"$(abs_top_srcdir)"'
tests_test_contexts_LDADD = libgocoroner.a $(LIBS_ALL) $(CMOCKA_LIBS)
TESTS += tests/test-contexts
endif

# The liveness of stack words (frame variables trusted only where live), synthetic.
if HAVE_CMOCKA
check_PROGRAMS += tests/test-live
tests_test_live_SOURCES = tests/test-live.c
tests_test_live_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_test_live_LDADD = libgocoroner.a $(LIBS_ALL) $(CMOCKA_LIBS)
TESTS += tests/test-live
endif

# Heap reachability of what blocked goroutines wait on, against the corpus program's source.
if HAVE_CMOCKA
check_PROGRAMS += tests/test-reach
tests_test_reach_SOURCES = tests/test-reach.c tests/gotrace.c tests/gotrace.h
tests_test_reach_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS) -DTOP_SRCDIR='"$(abs_top_srcdir)"'
tests_test_reach_LDADD = libgocoroner.a $(LIBS_ALL) $(CMOCKA_LIBS)
TESTS += tests/test-reach
endif

if HAVE_CMOCKA
check_PROGRAMS += tests/test-victims
tests_test_victims_SOURCES = tests/test-victims.c tests/gotrace.c tests/gotrace.h
tests_test_victims_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS) -DTOP_SRCDIR='"$(abs_top_srcdir)"'
tests_test_victims_LDADD = libgocoroner.a $(LIBS_ALL) $(CMOCKA_LIBS)
TESTS += tests/test-victims
endif

# The query library: linter, views kept in step, each rule on synthetic incidents.
if HAVE_CMOCKA
check_PROGRAMS += tests/test-queries
tests_test_queries_SOURCES = tests/test-queries.c
tests_test_queries_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_test_queries_LDADD = libgocoroner.a $(LIBS_ALL) $(CMOCKA_LIBS)
TESTS += tests/test-queries
endif

# The query library on corpus cores against the programs' own account.
TESTS += tests/test-findings.sh
EXTRA_DIST += tests/test-findings.sh
TESTS += tests/test-stripped.sh
EXTRA_DIST += tests/test-stripped.sh

# Cores of position-independent executables against their plain twins.
TESTS += tests/test-pie.sh
EXTRA_DIST += tests/test-pie.sh

# Every finding query on every diag core against the program's expect and
# clean lines, and leak_suspect against Go's own leak profile.
TESTS += tests/test-diag.sh
EXTRA_DIST += tests/test-diag.sh tests/diag-known.txt tests/corpus-lib.sh

# Every query on every corpus core against its reviewed golden CSV.
TESTS += tests/test-golden.sh
EXTRA_DIST += tests/test-golden.sh tests/golden

# The incident archive on corpus cores: incidents, tag, similar, diff, kept cores.
TESTS += tests/test-archive.sh
EXTRA_DIST += tests/test-archive.sh

# The archive under kills and concurrent writers; forget, export, import.
TESTS += tests/test-archive-reliability.sh
EXTRA_DIST += tests/test-archive-reliability.sh

# Every write, fsync and read of analyze, import, forget, tag and export
# failed in turn (and the core file's reads), by the fault injector of the
# command built for tests: the archive stays intact, the message names the
# file and the error (IOFAULT_POINTS=0 runs every point; see the script).
TESTS += tests/test-iofault.sh
EXTRA_DIST += tests/test-iofault.sh

# The modules' shape: no large circle of files calling each other, no source
# file over 800 lines (from the objects' symbols, with nm).
TESTS += tests/test-layering.sh
EXTRA_DIST += tests/test-layering.sh

# The wait-for analysis on pile-ups, pools and deadlocks of thousands of
# goroutines, against the pileup program's record and Go's leak profile.
TESTS += tests/test-pileup.sh
EXTRA_DIST += tests/test-pileup.sh

# pileup's test on the zoo shape (programs/leakzoo): leak patterns and the
# stale-pointer traps a conservative reader gets wrong, against the
# program's own record and Go's leak profile (corpus/README.md).
TESTS += tests/test-leakzoo.sh
EXTRA_DIST += tests/test-leakzoo.sh

# Every bug query on the net/http service's cores (programs/httpsvc)
# against the program's expect/clean lines and Go's leak profile: returned
# handlers' dead request slots, idle keep-alive connections.
TESTS += tests/test-httpsvc.sh
EXTRA_DIST += tests/test-httpsvc.sh

# Where each context of the ctxroots program's cores was found (frame,
# package variable, channel buffer, map, sync.Map, heap), its kind, parent
# and state, the own-done broken link, the holders below a WithoutCancel
# context and the pprof labels of a value, against the program's own lines.
TESTS += tests/test-ctxroots.sh
EXTRA_DIST += tests/test-ctxroots.sh

# 'contexts' and 'graph --contexts' at size: holders summarized, like
# siblings folded, --canceled, --goid, --depth, JSON, against what the
# ctxroots and httpsvc programs printed about their contexts.
TESTS += tests/test-contexts-cli.sh
EXTRA_DIST += tests/test-contexts-cli.sh

# Who is stuck behind whom on the ctxroots cores: the culprit's 100 mutex
# victims and its errgroup waiter in stuck_behind, none of them a finding of
# its own, the culprit's finding counting them (report).
TESTS += tests/test-stuck.sh
EXTRA_DIST += tests/test-stuck.sh

# Corpus cores with one word patched (a goid, a sudog's channel, a
# channel's element type... set to ~0; allgs' length), an executable with
# a corrupt pclntab, a gcore cut in its section headers: diagnostics, not
# a failed ingest; a snapshot failing while the writer thread reads it
# stores nothing.
TESTS += tests/test-badcore.sh
EXTRA_DIST += tests/test-badcore.sh

# The bash completion against the commands' own --help and query --list.
TESTS += tests/test-completion.sh
EXTRA_DIST += tests/test-completion.sh

# Every source file's SPDX line (the corpus programs' on their last line).
TESTS += tests/test-spdx.sh
EXTRA_DIST += tests/test-spdx.sh

# The README's tour and the man page's EXAMPLES, run as written on the
# corpus cores they name.
TESTS += tests/test-docs.sh
EXTRA_DIST += tests/test-docs.sh

# The man page against the command: every command and option the --help
# texts give is described in it; no placeholder left in the built page.
TESTS += tests/test-manpage.sh
EXTRA_DIST += tests/test-manpage.sh
