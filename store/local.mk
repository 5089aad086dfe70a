# SPDX-License-Identifier: Apache-2.0
# store module: the SQLite archive. store/schema.sql is the documented schema,
# store/summary.sql an incident's summary rows; scripts/sql2c.sh compiles them
# into store/schema_sql.c and store/summary_sql.c at build time. nodist_ is
# first set here: later fragments append with +=.
libgocoroner_a_SOURCES += store/store.h store/store-private.h store/testing.h \
	store/open.c store/schema.c store/ingest.c store/waits.c store/cancel.c store/summary.c store/groups.c \
	store/transfer.c store/step.c store/text.c store/fresh.c store/freshidx.c store/ctxchild.c \
	store/sort.c
nodist_libgocoroner_a_SOURCES = store/schema_sql.c store/summary_sql.c
BUILT_SOURCES += store/schema_sql.c store/summary_sql.c
CLEANFILES += store/schema_sql.c store/summary_sql.c
EXTRA_DIST += store/schema.sql store/summary.sql

store/schema_sql.c: $(srcdir)/store/schema.sql $(srcdir)/scripts/sql2c.sh
	$(AM_V_GEN)$(MKDIR_P) store && \
	$(SHELL) $(srcdir)/scripts/sql2c.sh store_schema_sql $(srcdir)/store/schema.sql >$@.tmp && \
	mv -f $@.tmp $@

store/summary_sql.c: $(srcdir)/store/summary.sql $(srcdir)/scripts/sql2c.sh
	$(AM_V_GEN)$(MKDIR_P) store && \
	$(SHELL) $(srcdir)/scripts/sql2c.sh store_summary_sql $(srcdir)/store/summary.sql >$@.tmp && \
	mv -f $@.tmp $@

# Benchmark of the writer, built only on request: `make bench/store-bench`.
# (No phony `bench` target: `bench` is a directory in EXTRA_DIST, and dist
# would build it.) Later fragments append to EXTRA_PROGRAMS with +=.
EXTRA_PROGRAMS = bench/store-bench
bench_store_bench_SOURCES = bench/store-bench.c
bench_store_bench_LDADD = libgocoroner.a $(LIBS_ALL)
CLEANFILES += bench/store-bench$(EXEEXT)
