# SPDX-License-Identifier: Apache-2.0
bin_PROGRAMS += gocoroner
# The subcommands without main(): the fuzz harnesses call them too.
CLI_SOURCES = cli/cli.h cli/common.c cli/json.c cli/analyze.c cli/show.c cli/goroutines.h \
	cli/goroutines.c cli/gorfilter.c cli/frame.c cli/contexts.c cli/ctxtree.h cli/ctxtree.c \
	cli/query.c cli/report.h cli/report.c cli/report-blocks.c cli/graph.c cli/graphctx.c \
	cli/archive.c cli/transfer.c cli/capture.c cli/capturecmd.c cli/progress.c cli/jsonout.c
gocoroner_SOURCES = cli/main.c $(CLI_SOURCES)
nodist_gocoroner_SOURCES = cli/statements_sql.c
gocoroner_LDADD = libgocoroner.a $(LIBS_ALL)
BUILT_SOURCES += cli/statements_sql.c
CLEANFILES += cli/statements_sql.c
EXTRA_DIST += cli/statements.sql
cli/statements_sql.c: $(srcdir)/cli/statements.sql $(srcdir)/scripts/sql2c.sh
	$(AM_V_GEN)$(MKDIR_P) cli && $(SHELL) $(srcdir)/scripts/sql2c.sh cli_statements_sql $(srcdir)/cli/statements.sql > $@.tmp && mv $@.tmp $@
