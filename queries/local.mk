# SPDX-License-Identifier: Apache-2.0
# queries module: the SQL library of findings. Each queries/*.sql file is one
# documented CREATE VIEW; they are concatenated in the order below (helpers,
# whose names start with "_", before the views that use them) behind
# "-- @file NAME" lines, compiled into the binary (queries_library_sql) and
# installed for other SQLite clients under $(pkgdatadir)/queries/.
QUERY_FILES = queries/_user_frame.sql queries/_ctx_canceled.sql queries/_ctx_below_canceled.sql \
	queries/leak_suspect.sql queries/_leaked.sql queries/cancel_unobserved.sql queries/cancel_broken_link.sql \
	queries/cancel_detached.sql queries/wait_cycle.sql queries/wait_group.sql \
	queries/stuck_behind.sql \
	queries/_stack_funcs.sql \
	queries/goroutine_bucket.sql queries/long_wait.sql queries/context_lock_wait.sql \
	queries/finding_group.sql queries/signature_term.sql queries/incident_summary.sql \
	queries/diagnostics.sql

libgocoroner_a_SOURCES += queries/queries.h queries/queries.c
nodist_libgocoroner_a_SOURCES += queries/library_sql.c
BUILT_SOURCES += queries/library_sql.c
CLEANFILES += queries/library_sql.c queries/library.sql
queriesdir = $(pkgdatadir)/queries
dist_queries_DATA = $(QUERY_FILES)

queries/library_sql.c: $(QUERY_FILES) $(srcdir)/scripts/sql2c.sh
	$(AM_V_GEN)$(MKDIR_P) queries && \
	for f in $(QUERY_FILES); do \
		printf -- '-- @file %s\n' "$$(basename "$$f" .sql)"; cat "$(srcdir)/$$f" || exit 1; \
	done >queries/library.sql && \
	$(SHELL) $(srcdir)/scripts/sql2c.sh queries_library_sql queries/library.sql >$@.tmp && \
	mv -f $@.tmp $@
