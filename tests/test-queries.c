// SPDX-License-Identifier: Apache-2.0
// test-queries.c: the query library — a linter (every view and column
// documented, every view prepared against a fresh schema, no full scans of
// the big tables), keeping views in step in databases, and each finding rule
// with its look-alikes on small incidents written here as SQL.
#include <ctype.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "queries/queries.h"
#include "store/store.h"

/* ---- Fixtures --------------------------------------------------------- */

static char tmpdir[] = "/tmp/test-queries.XXXXXX";
static int nfiles;

static int group_setup(void **state)
{
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int group_teardown(void **state)
{
	char path[4096];
	static const char *const suffix[] = {"", "-wal", "-shm"};
	for (int i = 0; i < nfiles; i++)
		for (int k = 0; k < 3; k++) {
			snprintf(path, sizeof(path), "%s/db%d%s", tmpdir, i, suffix[k]);
			unlink(path);
		}
	return rmdir(tmpdir);
}

/* A new, empty database (schema and views installed by store_open). */
static struct store_db *fresh_db(char *path, size_t size)
{
	snprintf(path, size, "%s/db%d", tmpdir, nfiles++);
	struct store_db *db = NULL;
	struct util_error *err = store_open(path, &db);
	if (err)
		fail_msg("store_open: %s", err->message);
	return db;
}

static void exec(struct store_db *db, const char *sql)
{
	char *msg = NULL;
	if (sqlite3_exec(store_handle(db), sql, NULL, NULL, &msg) != SQLITE_OK)
		fail_msg("%s\n  in: %.300s", msg, sql);
}

/* All rows of a query: columns joined by '|', rows by '\n', NULL as "NULL". */
static char *rows(struct store_db *db, const char *fmt, ...)
{
	char *sql;
	va_list ap;
	va_start(ap, fmt);
	assert_true(vasprintf(&sql, fmt, ap) >= 0);
	va_end(ap);
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(store_handle(db), sql, -1, &st, NULL) != SQLITE_OK)
		fail_msg("%s\n  in: %s", sqlite3_errmsg(store_handle(db)), sql);
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);
	assert_non_null(f);
	int rc, n = 0;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (n++)
			fputc('\n', f);
		for (int i = 0; i < sqlite3_column_count(st); i++) {
			const unsigned char *t = sqlite3_column_text(st, i);
			fprintf(f, "%s%s", i ? "|" : "", t ? (const char *)t : "NULL");
		}
	}
	fclose(f);
	if (rc != SQLITE_DONE)
		fail_msg("%s\n  in: %s", sqlite3_errmsg(store_handle(db)), sql);
	sqlite3_finalize(st);
	free(sql);
	return out;
}

#define assert_rows(db, expected, ...)                 \
	do {                                           \
		char *got_ = rows(db, __VA_ARGS__);    \
		assert_string_equal(got_, expected);   \
		free(got_);                            \
	} while (0)

/* ---- The linter ------------------------------------------------------- */

/* The tables that grow with the goroutines of an incident: no view may read
 * all their rows to answer for one incident. */
static const char *const big_tables[] = {
	"goroutine", "goroutine_base", "frame", "goroutine_context", "goroutine_context_base",
	"context", "context_base", "context_child", "chan_wait", "chan_wait_base", "sync_wait",
	"wait_reach", "wait_reach_base", "wait_reacher", "wait_member", "wait_component",
	"goroutine_blocker",
};

/* Full scans allowed, each with why: {view, table alias in its plan}. */
static const struct {
	const char *view, *alias;
} scan_allowed[] = {
	// The 'funcs' arm groups per stack, then per function list: SQLite
	// does not push "incident_id = ?" through the two levels of GROUP BY,
	// so it reads goroutine_group of every incident (a few rows per stack).
	{"goroutine_bucket", "gg"},
};

static bool is_big(const char *name, size_t len)
{
	for (size_t i = 0; i < sizeof(big_tables) / sizeof(big_tables[0]); i++)
		if (strlen(big_tables[i]) == len && strncmp(big_tables[i], name, len) == 0)
			return true;
	return false;
}

static bool ident_char(char c)
{
	return isalnum((unsigned char)c) || c == '_';
}

/* Names a plan may give a big table: the tables themselves and every alias
 * "TABLE AS x" of the library; fails if an alias also names something else. */
struct names {
	char *v[256];
	size_t n;
};

static bool names_has(const struct names *s, const char *name, size_t len)
{
	for (size_t i = 0; i < s->n; i++)
		if (strlen(s->v[i]) == len && strncmp(s->v[i], name, len) == 0)
			return true;
	return false;
}

static void names_add(struct names *s, const char *name, size_t len)
{
	if (names_has(s, name, len))
		return;
	assert_true(s->n < 256);
	s->v[s->n++] = strndup(name, len);
}

/* Call fn(x, xlen, y, ylen) for every "X AS Y" of identifiers in text. */
static void each_alias(const char *text, void (*fn)(void *, const char *, size_t, const char *, size_t),
		       void *arg)
{
	for (const char *p = strstr(text, " AS "); p; p = strstr(p + 1, " AS ")) {
		const char *xe = p, *xs = p;
		while (xs > text && ident_char(xs[-1]))
			xs--;
		if (xs == xe || (xs > text && (xs[-1] == '.' || xs[-1] == '(')))
			continue; // "t.col AS x", "CAST(x AS ...)": not a table
		const char *ys = p + 4, *ye = ys;
		while (ident_char(*ye))
			ye++;
		if (ye == ys)
			continue; // "name AS (": a CTE
		fn(arg, xs, (size_t)(xe - xs), ys, (size_t)(ye - ys));
	}
}

static void collect_big(void *arg, const char *x, size_t xl, const char *y, size_t yl)
{
	if (is_big(x, xl))
		names_add(arg, y, yl);
}

static void check_collision(void *arg, const char *x, size_t xl, const char *y, size_t yl)
{
	const struct names *s = arg;
	if (!is_big(x, xl) && names_has(s, y, yl) && !isupper((unsigned char)x[0]))
		fail_msg("alias '%.*s' names both a big table and '%.*s': give it another name",
			 (int)yl, y, (int)xl, x);
}

static void test_library_documented(void **state)
{
	const struct queries_view *v;
	size_t n;
	assert_null(queries_list(&v, &n));
	assert_true(n >= 8);
	char path[4096];
	struct store_db *db = fresh_db(path, sizeof(path));
	for (size_t i = 0; i < n; i++) {
		// The header says what, why and how.
		const char *need[] = {"What:", "Why:", "Example:"};
		for (size_t k = 0; k < 3 && !v[i].is_private; k++)
			if (!strstr(v[i].header, need[k]))
				fail_msg("queries/%s.sql: the header has no '%s'", v[i].name, need[k]);
		// Every column documented, in order, and nothing else.
		char **cols;
		size_t ncols;
		assert_null(queries_columns(&v[i], &cols, &ncols));
		sqlite3_stmt *st;
		char sql[256];
		snprintf(sql, sizeof(sql), "SELECT * FROM \"%s\"", v[i].name);
		if (sqlite3_prepare_v2(store_handle(db), sql, -1, &st, NULL) != SQLITE_OK)
			fail_msg("queries/%s.sql: %s", v[i].name, sqlite3_errmsg(store_handle(db)));
		int actual = sqlite3_column_count(st);
		for (int c = 0; c < actual; c++)
			if ((size_t)c >= ncols || strcmp(cols[c], sqlite3_column_name(st, c)) != 0)
				fail_msg("queries/%s.sql: column %d is '%s' but the header documents '%s'",
					 v[i].name, c + 1, sqlite3_column_name(st, c),
					 (size_t)c < ncols ? cols[c] : "(nothing)");
		if ((size_t)actual != ncols)
			fail_msg("queries/%s.sql: documents %zu columns, the view has %d", v[i].name,
				 ncols, actual);
		// The primary output column every query is filtered on.
		assert_string_equal(sqlite3_column_name(st, 0), "incident_id");
		sqlite3_finalize(st);
		for (size_t c = 0; c < ncols; c++)
			free(cols[c]);
		free(cols);
	}
	// Every view is in the new database, with the binary's text.
	for (size_t i = 0; i < n; i++) {
		char *sql = rows(db, "SELECT sql FROM sqlite_master WHERE type = 'view' AND name = '%s'",
				 v[i].name);
		assert_string_equal(sql, v[i].create);
		free(sql);
	}
	store_close(db);
}

static void test_no_full_scans(void **state)
{
	const struct queries_view *v;
	size_t n;
	assert_null(queries_list(&v, &n));
	struct names big = {0};
	for (size_t i = 0; i < sizeof(big_tables) / sizeof(big_tables[0]); i++)
		names_add(&big, big_tables[i], strlen(big_tables[i]));
	for (size_t i = 0; i < n; i++)
		each_alias(v[i].create, collect_big, &big);
	for (size_t i = 0; i < n; i++)
		each_alias(v[i].create, check_collision, &big);
	char path[4096];
	struct store_db *db = fresh_db(path, sizeof(path));
	for (size_t i = 0; i < n; i++) {
		char sql[256];
		snprintf(sql, sizeof(sql), "EXPLAIN QUERY PLAN SELECT * FROM \"%s\" WHERE incident_id = 1",
			 v[i].name);
		sqlite3_stmt *st;
		assert_int_equal(sqlite3_prepare_v2(store_handle(db), sql, -1, &st, NULL), SQLITE_OK);
		int scans = 0;
		while (sqlite3_step(st) == SQLITE_ROW) {
			const char *detail = (const char *)sqlite3_column_text(st, 3);
			if (strncmp(detail, "SCAN ", 5) != 0)
				continue;
			const char *name = detail + 5;
			size_t len = strcspn(name, " ");
			if (!names_has(&big, name, len))
				continue;
			bool allowed = false;
			for (size_t k = 0; k < sizeof(scan_allowed) / sizeof(scan_allowed[0]); k++)
				allowed |= strcmp(scan_allowed[k].view, v[i].name) == 0 &&
					   strlen(scan_allowed[k].alias) == len &&
					   strncmp(scan_allowed[k].alias, name, len) == 0;
			if (!allowed)
				fail_msg("queries/%s.sql: full scan of a big table: %s", v[i].name, detail);
			scans++;
		}
		sqlite3_finalize(st);
		(void)scans;
	}
	// The linter sees a full scan when there is one.
	sqlite3_stmt *st;
	assert_int_equal(sqlite3_prepare_v2(store_handle(db),
					    "EXPLAIN QUERY PLAN SELECT * FROM frame AS f WHERE f.func = 'x'",
					    -1, &st, NULL),
			 SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(st, 3), "SCAN f");
	assert_true(names_has(&big, "f", 1));
	sqlite3_finalize(st);
	for (size_t i = 0; i < big.n; i++)
		free(big.v[i]);
	store_close(db);
}

/* Views are put back when their text differs; read-only gets TEMP ones. */
static void test_views_kept_in_step(void **state)
{
	char path[4096];
	struct store_db *db = fresh_db(path, sizeof(path));
	exec(db, "DROP VIEW long_wait; CREATE VIEW long_wait AS SELECT 1 AS stale;"
		 "DROP VIEW context_lock_wait;");
	store_close(db);
	// Read-only: the file keeps its stale view, the connection sees the library's.
	assert_null(store_open_readonly(path, &db));
	assert_rows(db, "0", "SELECT count(*) FROM long_wait WHERE incident_id = 1");
	assert_rows(db, "0", "SELECT count(*) FROM context_lock_wait");
	assert_rows(db, "CREATE VIEW long_wait AS SELECT 1 AS stale",
		    "SELECT sql FROM main.sqlite_master WHERE name = 'long_wait'");
	store_close(db);
	// Writable: the file's views are replaced.
	assert_null(store_open(path, &db));
	const struct queries_view *v;
	assert_null(queries_find("long_wait", &v));
	char *sql = rows(db, "SELECT sql FROM main.sqlite_master WHERE name = 'long_wait'");
	assert_string_equal(sql, v->create);
	free(sql);
	assert_rows(db, "1", "SELECT count(*) FROM main.sqlite_master WHERE name = 'context_lock_wait'");
	store_close(db);
	struct util_error *err = queries_find("no_such_view", &v);
	assert_true(util_error_is(err, UTIL_ERROR_NOT_FOUND));
	util_error_destroy(err);
}

/* ---- Synthetic incidents ---------------------------------------------- */

/* Incident 1: stacks and the goroutine helper rows every test shares.
 * stack 1: gopark < chanrecv1 < main.work (w.go:10) < main.handler (h.go:20) < goexit
 * stack 2: the same functions, main.work at line 11
 * stack 3: gopark < sync.runtime_SemacquireMutex < sync.(*Mutex).Lock < main.locker (l.go:5) */
static const char base_sql[] =
	"INSERT INTO incident (id, core_path, core_sha256, exe_build_id, goroutine_count)"
	"  VALUES (1, 'c1', printf('%064d', 1), 'b', 0), (2, 'c2', printf('%064d', 2), 'b', 0);"
	"INSERT INTO stack (incident_id, stack_id, depth) VALUES (1, 1, 5), (1, 2, 5), (1, 3, 4), (2, 1, 5);"
	"INSERT INTO frame (incident_id, stack_id, depth, pc, pc_offset, func, file, line, inlined) VALUES"
	" (1, 1, 0, 1, 0, 'runtime.gopark', '/go/proc.go', 400, 0),"
	" (1, 1, 1, 2, 0, 'runtime.chanrecv1', '/go/chan.go', 500, 0),"
	" (1, 1, 2, 3, 0, 'main.work', '/app/w.go', 10, 0),"
	" (1, 1, 3, 4, 0, 'main.handler', '/app/h.go', 20, 0),"
	" (1, 1, 4, 5, 0, 'runtime.goexit', '/go/asm.s', 1, 0),"
	" (1, 2, 0, 1, 0, 'runtime.gopark', '/go/proc.go', 400, 0),"
	" (1, 2, 1, 2, 0, 'runtime.chanrecv1', '/go/chan.go', 500, 0),"
	" (1, 2, 2, 6, 0, 'main.work', '/app/w.go', 11, 0),"
	" (1, 2, 3, 4, 0, 'main.handler', '/app/h.go', 20, 0),"
	" (1, 2, 4, 5, 0, 'runtime.goexit', '/go/asm.s', 1, 0),"
	" (1, 3, 0, 1, 0, 'runtime.gopark', '/go/proc.go', 400, 0),"
	" (1, 3, 1, 7, 0, 'sync.runtime_SemacquireMutex', '/go/sema.go', 70, 0),"
	" (1, 3, 2, 8, 0, 'sync.(*Mutex).Lock', '/go/mutex.go', 80, 0),"
	" (1, 3, 3, 9, 0, 'main.locker', '/app/l.go', 5, 0),"
	" (2, 1, 0, 1, 0, 'runtime.gopark', '/go/proc.go', 400, 0),"
	" (2, 1, 1, 2, 0, 'runtime.chanrecv1', '/go/chan.go', 500, 0),"
	" (2, 1, 2, 3, 0, 'main.work', '/app/w.go', 10, 0),"
	" (2, 1, 3, 4, 0, 'main.handler', '/app/h.go', 20, 0),"
	" (2, 1, 4, 5, 0, 'runtime.goexit', '/go/asm.s', 1, 0);";

/* A goroutine of incident I: waiting on a channel on stack 1 unless told. */
static void gor(struct store_db *db, int inc, int goid, const char *status, const char *reason,
		int stack, int is_system, int minutes)
{
	char *sql = sqlite3_mprintf(
		"INSERT INTO goroutine (incident_id, goid, status, status_code, wait_reason, wait_minutes,"
		" is_system, locked, stack_id, g_addr, created_by_func, labels)"
		" VALUES (%d, %d, %Q, 4, %Q, %d, %d, 0, %d, %d, 'main.serve', %s)",
		inc, goid, status, reason, minutes, is_system, stack, 0x1000 + goid,
		goid % 2 ? "'{\"req\":\"odd\"}'" : "NULL");
	exec(db, sql);
	sqlite3_free(sql);
}

static void waiting(struct store_db *db, int goid)
{
	gor(db, 1, goid, "waiting", "chan receive", 1, 0, 3);
}

static void ctx(struct store_db *db, int addr, const char *kind, int parent, const char *canceled,
		const char *err, int done_chan)
{
	bool is_canceled = canceled && strcmp(canceled, "1") == 0;
	char parent_s[32] = "NULL", done_s[32] = "NULL";
	if (parent)
		snprintf(parent_s, sizeof(parent_s), "%d", parent);
	if (done_chan)
		snprintf(done_s, sizeof(done_s), "%d", done_chan);
	char *sql = sqlite3_mprintf(
		"INSERT INTO context (incident_id, addr, kind, type_name, parent_addr, done_chan,"
		" done_closed, canceled, err, timer_pending)"
		" VALUES (1, %d, %Q, %Q, %s, %s, %d, %s, %Q, %s)",
		addr, kind, strcmp(kind, "user") == 0 ? "main.myCtx" : kind, parent_s, done_s,
		is_canceled, canceled ? canceled : "NULL", err,
		strcmp(kind, "timer") == 0 ? (is_canceled ? "0" : "1") : "NULL");
	exec(db, sql);
	sqlite3_free(sql);
}

/* Goroutine GOID holds the context at ADDR in frame DEPTH (-1: a stack scan). */
static void holds(struct store_db *db, int goid, int depth, const char *var, int addr)
{
	char depth_s[32] = "NULL";
	if (depth >= 0)
		snprintf(depth_s, sizeof(depth_s), "%d", depth);
	char *sql = sqlite3_mprintf(
		"INSERT INTO goroutine_context (incident_id, goid, seq, frame_depth, var_name, ctx_addr,"
		" found_by) VALUES (1, %d, (SELECT count(*) FROM goroutine_context"
		" WHERE incident_id = 1 AND goid = %d), %s, %Q, %d, %Q)",
		goid, goid, depth_s, var, addr, depth >= 0 ? "dwarf" : "stack-scan");
	exec(db, sql);
	sqlite3_free(sql);
}

static void chan_wait(struct store_db *db, int goid, int chan, int in_select)
{
	char sql[256];
	snprintf(sql, sizeof(sql),
		 "INSERT INTO chan_wait VALUES (1, %d, %d, 'recv', %d, 0);"
		 "INSERT OR IGNORE INTO channel VALUES (1, %d, 'int', 0, 0, 0, 0, 0, 1);",
		 goid, chan, in_select, chan);
	exec(db, sql);
}

/* Close DB and open it again, which computes the wait components of the
 * incidents whose heap_scan.components is NULL, and the canceled contexts
 * of those whose incident.context_sets is NULL (rows written by hand). */
static struct store_db *reopen(struct store_db *db, const char *path)
{
	store_close(db);
	struct util_error *err = store_open(path, &db);
	if (err)
		fail_msg("store_open: %s", err->message);
	return db;
}

/* The context trees of the cancel_* tests (addresses in decimal):
 *   1 background
 *   ├ 10 cancel CANCELED ── 11 value
 *   │  ├ 12 timer CANCELED (through 10) ── 13 value
 *   │  ├ 40 withoutCancel ── 41 cancel (live: detached on purpose)
 *   │  ├ 50 user main.myCtx ── 51 value, 52 cancel (live: broken at the user type)
 *   │  └ 70 user ── 71 cancel CANCELED (the user type propagated)
 *   ├ 20 cancel CANCELED (Done channel 920)
 *   ├ 30 timer, pending
 *   ├ 60 cancel CANCELED ── 61 value ── 62 cancel (live: not registered)
 *   └ 80 cancel ── 81 cancel (live under live) */
static struct store_db *context_world(struct store_db *db, const char *path)
{
	exec(db, base_sql);
	ctx(db, 1, "background", 0, "0", NULL, 0);
	ctx(db, 10, "cancel", 1, "1", "context canceled", 910);
	ctx(db, 11, "value", 10, "0", NULL, 0);
	ctx(db, 12, "timer", 10, "1", "context canceled", 0);
	ctx(db, 13, "value", 12, "0", NULL, 0);
	ctx(db, 20, "cancel", 1, "1", "context canceled", 920);
	ctx(db, 30, "timer", 1, "0", NULL, 0);
	ctx(db, 40, "withoutCancel", 10, "0", NULL, 0);
	ctx(db, 41, "cancel", 40, "0", NULL, 0);
	ctx(db, 50, "user", 10, NULL, NULL, 0);
	ctx(db, 51, "value", 50, "0", NULL, 0);
	ctx(db, 52, "cancel", 50, "0", NULL, 952);
	ctx(db, 60, "cancel", 1, "1", "context canceled", 0);
	ctx(db, 61, "value", 60, "0", NULL, 0);
	ctx(db, 62, "cancel", 61, "0", NULL, 0);
	ctx(db, 70, "user", 10, NULL, NULL, 0);
	ctx(db, 71, "cancel", 70, "1", "context canceled", 0);
	ctx(db, 80, "cancel", 1, "0", NULL, 0);
	ctx(db, 81, "cancel", 80, "0", NULL, 0);
	exec(db, "UPDATE context SET cause = 'upstream reset' WHERE addr = 10");
	waiting(db, 100); // holds 11 in two frames: the innermost counts
	holds(db, 100, 3, "ctx", 11);
	holds(db, 100, 2, "c", 11);
	waiting(db, 101); // 13 delegates to 12, canceled through 10
	holds(db, 101, 3, "ctx", 13);
	waiting(db, 102); // waits on the canceled context's own Done channel
	holds(db, 102, 2, "ctx", 20);
	chan_wait(db, 102, 920, 1);
	waiting(db, 103); // a timer that has not fired
	holds(db, 103, 2, "ctx", 30);
	waiting(db, 104); // detached on purpose
	holds(db, 104, 2, "ctx", 40);
	waiting(db, 105); // below a user type: state unknown
	holds(db, 105, 2, "ctx", 51);
	gor(db, 1, 106, "runnable", NULL, 1, 0, 0); // not blocked
	holds(db, 106, 2, "ctx", 10);
	gor(db, 1, 107, "waiting", "chan receive", 1, 1, 0); // a system goroutine
	holds(db, 107, 2, "ctx", 10);
	waiting(db, 108); // found by a stack scan only
	holds(db, 108, -1, NULL, 10);
	gor(db, 1, 109, "leaked", "chan receive", 1, 0, 7); // Go 1.26+ leak profile
	holds(db, 109, 3, "ctx", 10);
	waiting(db, 110); // holds the broken link and waits on its Done
	holds(db, 110, 2, "ctx", 52);
	chan_wait(db, 110, 952, 1);
	waiting(db, 111);
	chan_wait(db, 111, 952, 0);
	waiting(db, 112); // holds the unregistered child
	holds(db, 112, 2, "ctx", 62);
	return reopen(db, path); // computes context_canceled, context_below_canceled
}

static void test_cancel_unobserved(void **state)
{
	char path[4096];
	struct store_db *db = fresh_db(path, sizeof(path));
	db = context_world(db, path);
	assert_rows(db,
		    "100|waiting|3|2|main.work|/app/w.go|10|c|11|value|10|10|context canceled|upstream reset|dwarf\n"
		    "101|waiting|3|3|main.handler|/app/h.go|20|ctx|13|value|10|12|context canceled|upstream reset|dwarf\n"
		    "108|waiting|3|NULL|NULL|NULL|NULL|NULL|10|cancel|10|10|context canceled|upstream reset|stack-scan\n"
		    "109|leaked|7|3|main.handler|/app/h.go|20|ctx|10|cancel|10|10|context canceled|upstream reset|dwarf",
		    "SELECT goid, status, wait_minutes, frame_depth, func, file, line, var_name, ctx_addr,"
		    " ctx_kind, canceled_addr, state_addr, err, cause, found_by"
		    " FROM cancel_unobserved WHERE incident_id = 1 ORDER BY goid");
	assert_rows(db, "0", "SELECT count(*) FROM cancel_unobserved WHERE incident_id = 2");
	store_close(db);
}

static void test_cancel_broken_link(void **state)
{
	char path[4096];
	struct store_db *db = fresh_db(path, sizeof(path));
	db = context_world(db, path);
	assert_rows(db,
		    "52|cancel|10|50|main.myCtx|user-type|0xa cancel (canceled) > 0x32 main.myCtx > 0x34 cancel|110,111|110\n"
		    "62|cancel|60|60|cancel|not-registered|0x3c cancel (canceled) > 0x3d value > 0x3e cancel|NULL|112",
		    "SELECT ctx_addr, ctx_type, canceled_addr, break_addr, break_type, reason, path,"
		    " waiter_goids, holder_goids FROM cancel_broken_link WHERE incident_id = 1 ORDER BY ctx_addr");
	assert_rows(db, "40|10|10|0xa cancel (canceled) > 0x28 withoutCancel|104",
		    "SELECT ctx_addr, canceled_addr, state_addr, path, holder_goids"
		    " FROM cancel_detached WHERE incident_id = 1");
	store_close(db);
}

/*
 * goroutine_context.evidence (schema version 7): a holding the stack maps
 * vouch for is the one reported, before an unverified one in an inner
 * frame; a goroutine with unverified holdings only is still reported
 * (probable); the holders of a detached context give their best evidence.
 */
static void test_cancel_evidence(void **state)
{
	char path[4096];
	struct store_db *db = fresh_db(path, sizeof(path));
	db = context_world(db, path);
	waiting(db, 113);
	holds(db, 113, 2, "c", 11);
	holds(db, 113, 3, "ctx", 13);
	waiting(db, 114);
	holds(db, 114, -1, NULL, 10);
	waiting(db, 115);
	holds(db, 115, 2, "ctx", 40);
	exec(db, "UPDATE goroutine_context SET evidence = CASE"
		 " WHEN goid = 113 AND frame_depth = 2 THEN 'dwarf-unverified'"
		 " WHEN goid = 114 THEN 'stack-scan-unverified'"
		 " WHEN goid = 104 THEN 'dwarf-unverified' ELSE 'dwarf-live' END"
		 " WHERE goid IN (104, 113, 114, 115)");
	assert_rows(db,
		    "113|3|main.handler|ctx|13|dwarf-live\n"
		    "114|NULL|NULL|NULL|10|stack-scan-unverified",
		    "SELECT goid, frame_depth, func, var_name, ctx_addr, evidence"
		    " FROM cancel_unobserved WHERE incident_id = 1 AND goid IN (113, 114) ORDER BY goid");
	assert_rows(db, "100|NULL", // incidents stored before version 7: unknown
		    "SELECT goid, evidence FROM cancel_unobserved WHERE incident_id = 1 AND goid = 100");
	assert_rows(db, "104,115|dwarf-live",
		    "SELECT holder_goids, evidence FROM cancel_detached WHERE incident_id = 1");
	store_close(db);
}

/* Leak suspects: incident 1 was heap-scanned, incident 2 was not. */
static void test_leak_suspect(void **state)
{
	char path[4096];
	struct store_db *db = fresh_db(path, sizeof(path));
	exec(db, base_sql);
	exec(db, "INSERT INTO heap_scan (incident_id, spans, objects, marked_objects, marked_bytes,"
		 " rounds, complete) VALUES (1, 10, 100, 50, 5000, 1, 1)");
	waiting(db, 200); // a channel nothing reaches
	chan_wait(db, 200, 2000, 0);
	exec(db, "INSERT INTO wait_reach VALUES (1, 200, 2000, NULL, NULL)");
	waiting(db, 201); // a channel a package variable reaches
	chan_wait(db, 201, 2001, 0);
	exec(db, "INSERT INTO wait_reach VALUES (1, 201, 2001, 'global', NULL)");
	gor(db, 1, 202, "waiting", "sync.Mutex.Lock", 3, 0, 1); // reached by a live goroutine
	exec(db, "INSERT INTO sync_wait VALUES (1, 202, 'sync.Mutex', 2002, NULL);"
		 "INSERT INTO wait_reach VALUES (1, 202, 2002, 'goroutine', 203)");
	gor(db, 1, 204, "waiting", "sync.Mutex.Lock", 3, 0, 1); // a mutex nothing reaches
	exec(db, "INSERT INTO sync_wait VALUES (1, 204, 'sync.Mutex', 2004, NULL);"
		 "INSERT INTO wait_reach VALUES (1, 204, 2004, NULL, NULL)");
	gor(db, 1, 205, "waiting", "select", 1, 0, 1); // one case of its select is reachable
	chan_wait(db, 205, 2005, 1);
	chan_wait(db, 205, 2006, 1);
	exec(db, "INSERT INTO wait_reach VALUES (1, 205, 2005, NULL, NULL), (1, 205, 2006, 'global', NULL)");
	gor(db, 1, 206, "waiting", "chan receive (nil chan)", 1, 0, 1); // never woken
	gor(db, 1, 207, "waiting", "chan receive (nil chan)", 1, 1, 1); // system: not ours
	// Incident 2: the same facts, but no heap scan ran: nothing to say.
	gor(db, 2, 200, "waiting", "chan receive", 1, 0, 3);
	gor(db, 2, 206, "waiting", "chan receive (nil chan)", 1, 0, 1);
	exec(db, "INSERT INTO wait_reach VALUES (2, 200, 2000, NULL, NULL)");
	assert_rows(db,
		    "200|chan receive|2000|chan|main.work|/app/w.go|10|1\n"
		    "204|sync.Mutex.Lock|2004|sync.Mutex|main.locker|/app/l.go|5|1\n"
		    "206|chan receive (nil chan)|NULL|NULL|main.work|/app/w.go|10|1",
		    "SELECT goid, wait_reason, obj_addr, obj_kind, func, file, line, heap_complete"
		    " FROM leak_suspect WHERE incident_id = 1 ORDER BY goid");
	assert_rows(db, "0", "SELECT count(*) FROM leak_suspect WHERE incident_id = 2");
	assert_rows(db, "0", "SELECT count(*) FROM wait_cycle");
	// Evidence: a complete scan proves them; with memory missing, only
	// Go's own verdict ('leaked') and a nil channel still do.
	assert_rows(db, "200|proven\n204|proven\n206|proven",
		    "SELECT goid, evidence FROM leak_suspect WHERE incident_id = 1 ORDER BY goid");
	exec(db, "UPDATE heap_scan SET complete = 0 WHERE incident_id = 1;"
		 "UPDATE goroutine SET status = 'leaked' WHERE incident_id = 1 AND goid = 204");
	assert_rows(db, "200|probable\n204|proven\n206|proven",
		    "SELECT goid, evidence FROM leak_suspect WHERE incident_id = 1 ORDER BY goid");
	store_close(db);
}

/* GOID waits on OBJ, which it reaches itself, and so does WAKER (if not 0). */
static void waits_on(struct store_db *db, int goid, int obj, int waker)
{
	waiting(db, goid);
	chan_wait(db, goid, obj, 0);
	char sql[256];
	snprintf(sql, sizeof(sql),
		 "INSERT INTO wait_reach VALUES (1, %d, %d, NULL, NULL);"
		 "INSERT INTO wait_reacher VALUES (1, %d, %d);", goid, obj, obj, goid);
	exec(db, sql);
	if (waker) {
		snprintf(sql, sizeof(sql), "INSERT INTO wait_reacher VALUES (1, %d, %d);", obj, waker);
		exec(db, sql);
	}
}

static void test_wait_cycle(void **state)
{
	char path[4096];
	struct store_db *db = fresh_db(path, sizeof(path));
	exec(db, base_sql);
	exec(db, "INSERT INTO heap_scan (incident_id, spans, objects, marked_objects, marked_bytes,"
		 " rounds, complete) VALUES (1, 10, 100, 50, 5000, 1, 1)");
	waits_on(db, 301, 3001, 300); // two goroutines: 300 <-> 301
	waits_on(db, 300, 3000, 301);
	waits_on(db, 312, 3120, 310); // three: 310 -> 311 -> 312 -> 310
	waits_on(db, 310, 3100, 311);
	waits_on(db, 311, 3110, 312);
	waits_on(db, 320, 3200, 321); // a chain, not a cycle: 320 -> 321 -> 322
	waits_on(db, 321, 3210, 322);
	waits_on(db, 322, 3220, 0);
	waits_on(db, 330, 3300, 331); // a cycle through a goroutine that is no suspect
	waiting(db, 331);
	chan_wait(db, 331, 3310, 0);
	exec(db, "INSERT INTO wait_reach VALUES (1, 331, 3310, 'global', NULL);"
		 "INSERT INTO wait_reacher VALUES (1, 3310, 330);");
	// An idle pool: 340-343 all wait on 3400, which only they reach.
	for (int g = 340; g < 344; g++)
		waits_on(db, g, 3400, 0);
	db = reopen(db, path);
	assert_rows(db,
		    "1|300|3000|301|0|2\n"
		    "1|301|3001|300|1|2\n"
		    "2|310|3100|311|0|3\n"
		    "2|311|3110|312|1|3\n"
		    "2|312|3120|310|2|3",
		    "SELECT cycle_id, goid, obj_addr, waker_goid, position, cycle_len FROM wait_cycle"
		    " WHERE incident_id = 1 ORDER BY cycle_id, position");
	// The chain's links are groups of one, each behind the next; the pool
	// is one group of four; so is nothing of the cycles.
	assert_rows(db,
		    "320|1|3200|321\n"
		    "321|1|3210|322\n"
		    "322|1|3220|NULL\n"
		    "330|1|3300|NULL\n"
		    "340|4|3400|NULL",
		    "SELECT example_goid, goroutines, obj_addr, behind_goid FROM wait_group"
		    " WHERE incident_id = 1 ORDER BY example_goid");
	assert_rows(db, "7", "SELECT components FROM heap_scan WHERE incident_id = 1");
	store_close(db);
}

static void test_context_lock_wait(void **state)
{
	char path[4096];
	struct store_db *db = fresh_db(path, sizeof(path));
	exec(db, base_sql);
	ctx(db, 10, "cancel", 0, "0", NULL, 0);
	gor(db, 1, 401, "waiting", "sync.Mutex.Lock", 3, 0, 2);
	gor(db, 1, 400, "waiting", "sync.Mutex.Lock", 3, 0, 5);
	gor(db, 1, 402, "waiting", "sync.Mutex.Lock", 3, 0, 9);
	exec(db, "INSERT INTO sync_wait VALUES (1, 401, 'sync.Mutex', 4000, 10),"
		 " (1, 400, 'sync.Mutex', 4000, 10), (1, 402, 'sync.Mutex', 4002, NULL)");
	assert_rows(db, "10|cancel|2|400,401|5",
		    "SELECT ctx_addr, ctx_kind, waiters, waiter_goids, max_wait_minutes"
		    " FROM context_lock_wait WHERE incident_id = 1");
	store_close(db);
}

static void test_buckets_and_long_waits(void **state)
{
	char path[4096];
	struct store_db *db = fresh_db(path, sizeof(path));
	exec(db, base_sql);
	gor(db, 1, 1, "waiting", "chan receive", 1, 0, 4);
	gor(db, 1, 2, "waiting", "chan receive", 1, 0, 9);
	gor(db, 1, 3, "waiting", "chan receive", 2, 0, 1); // same functions, another line
	gor(db, 1, 4, "waiting", "sync.Mutex.Lock", 3, 0, 2);
	gor(db, 1, 5, "waiting", "chan receive", 1, 1, 50); // system: left out
	gor(db, 1, 6, "runnable", NULL, 1, 0, 0);
	// Created by no go statement: a group of its own on stack 1.
	exec(db, "INSERT INTO goroutine (incident_id, goid, status, status_code, wait_reason,"
		 " wait_minutes, is_system, locked, stack_id, g_addr)"
		 " VALUES (1, 7, 'waiting', 4, 'chan receive', 6, 0, 0, 1, 4103)");
	// The groups come from the goroutine rows when the database is opened
	// for writing (rows written by hand: incident.goroutine_groups NULL).
	db = reopen(db, path);
	assert_rows(db,
		    "1|0|chan receive|main.serve|2|1|4|9\n"
		    "1|0|chan receive|NULL|1|7|6|6\n"
		    "1|0|runnable|main.serve|1|6|0|0\n"
		    "1|1|chan receive|main.serve|1|5|50|50\n"
		    "2|0|chan receive|main.serve|1|3|1|1\n"
		    "3|0|sync.Mutex.Lock|main.serve|1|4|2|2",
		    "SELECT stack_id, is_system, state, creator, goroutines, example_goid,"
		    " min_wait_minutes, max_wait_minutes FROM goroutine_group WHERE incident_id = 1"
		    " ORDER BY stack_id, is_system, state, creator IS NULL");
	assert_rows(db, "1|1\n2|1", "SELECT id, goroutine_groups FROM incident ORDER BY id");
	assert_rows(db,
		    "creator|(none)|1|6|6|7|chan receive\n"
		    "creator|main.serve|5|0|9|1|mixed\n"
		    "funcs|runtime.gopark < runtime.chanrecv1 < main.work < main.handler < runtime.goexit|5|0|9|1|mixed\n"
		    "funcs|runtime.gopark < sync.runtime_SemacquireMutex < sync.(*Mutex).Lock < main.locker|1|2|2|4|sync.Mutex.Lock\n"
		    "label|{\"req\":\"odd\"}|2|1|4|1|chan receive\n"
		    "stack|runtime.gopark:400 < runtime.chanrecv1:500 < main.work:10 < main.handler:20 < runtime.goexit:1|4|0|9|1|mixed\n"
		    "stack|runtime.gopark:400 < runtime.chanrecv1:500 < main.work:11 < main.handler:20 < runtime.goexit:1|1|1|1|3|chan receive\n"
		    "stack|runtime.gopark:400 < sync.runtime_SemacquireMutex:70 < sync.(*Mutex).Lock:80 < main.locker:5|1|2|2|4|sync.Mutex.Lock",
		    "SELECT bucket_kind, bucket_key, goroutines, min_wait_minutes, max_wait_minutes,"
		    " example_goid, state FROM goroutine_bucket WHERE incident_id = 1"
		    " ORDER BY bucket_kind, bucket_key");
	assert_rows(db,
		    "2|chan receive|9|main.work|10\n"
		    "7|chan receive|6|main.work|10\n"
		    "1|chan receive|4|main.work|10\n"
		    "4|sync.Mutex.Lock|2|main.locker|5\n"
		    "3|chan receive|1|main.work|11",
		    "SELECT goid, wait_reason, wait_minutes, func, line FROM long_wait"
		    " WHERE incident_id = 1 ORDER BY wait_minutes DESC");
	store_close(db);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_library_documented),
		cmocka_unit_test(test_no_full_scans),
		cmocka_unit_test(test_views_kept_in_step),
		cmocka_unit_test(test_cancel_unobserved),
		cmocka_unit_test(test_cancel_broken_link),
		cmocka_unit_test(test_cancel_evidence),
		cmocka_unit_test(test_leak_suspect),
		cmocka_unit_test(test_wait_cycle),
		cmocka_unit_test(test_context_lock_wait),
		cmocka_unit_test(test_buckets_and_long_waits),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
