// SPDX-License-Identifier: Apache-2.0
// test-store.c: unit tests for store/ — schema, versions, refusing foreign
// files, and ingesting a synthetic snapshot (stack sharing, duplicates, rollback).
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "store/store.h"

/* ---- Fixtures --------------------------------------------------------- */

static char tmpdir[] = "/tmp/test-store.XXXXXX";

static int group_setup(void **state)
{
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int group_teardown(void **state)
{
	DIR *d = opendir(tmpdir);
	if (d) {
		struct dirent *e;
		char path[4096];
		while ((e = readdir(d))) {
			if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
				snprintf(path, sizeof(path), "%s/%s", tmpdir, e->d_name);
				unlink(path);
			}
		}
		closedir(d);
	}
	return rmdir(tmpdir);
}

/* A path in the test's directory; static buffer per call site is enough. */
static const char *tmp_path(char *buf, size_t size, const char *name)
{
	snprintf(buf, size, "%s/%s", tmpdir, name);
	return buf;
}

/* The one integer a query returns. */
static int64_t query_int(struct store_db *db, const char *sql, ...)
{
	char *q;
	va_list ap;
	va_start(ap, sql);
	assert_true(vasprintf(&q, sql, ap) >= 0);
	va_end(ap);
	sqlite3_stmt *s;
	assert_int_equal(sqlite3_prepare_v2(store_handle(db), q, -1, &s, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	int64_t v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	free(q);
	return v;
}

/* The one text a query returns ("NULL" for NULL), in a static buffer. */
static const char *query_text(struct store_db *db, const char *sql, ...)
{
	static char out[1024];
	char *q;
	va_list ap;
	va_start(ap, sql);
	assert_true(vasprintf(&q, sql, ap) >= 0);
	va_end(ap);
	sqlite3_stmt *s;
	assert_int_equal(sqlite3_prepare_v2(store_handle(db), q, -1, &s, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	const unsigned char *t = sqlite3_column_text(s, 0);
	snprintf(out, sizeof(out), "%s", t ? (const char *)t : "NULL");
	sqlite3_finalize(s);
	free(q);
	return out;
}

static void exec_sql(sqlite3 *h, const char *sql)
{
	char *msg = NULL;
	int rc = sqlite3_exec(h, sql, NULL, NULL, &msg);
	if (rc != SQLITE_OK)
		fail_msg("%s: %s", sql, msg);
}

/* Change a closed database behind store's back, with plain SQLite. */
static void raw_exec(const char *path, const char *sql)
{
	sqlite3 *h;
	assert_int_equal(sqlite3_open(path, &h), SQLITE_OK);
	exec_sql(h, sql);
	sqlite3_close(h);
}

/* A database at PATH of schema version VERSION, as gocoroner made it then. */
static void schema_upto(const char *path, int version)
{
	char mark[32];
	snprintf(mark, sizeof(mark), "\n-- @version %d", version + 1);
	const char *next = strstr(store_schema_sql, mark);
	assert_non_null(next);
	char *sql = strndup(store_schema_sql, (size_t)(next - store_schema_sql));
	assert_non_null(sql);
	raw_exec(path, sql);
	free(sql);
	char *pragmas = sqlite3_mprintf("PRAGMA user_version = %d; PRAGMA application_id = 0x476f436f;",
					version);
	assert_non_null(pragmas);
	raw_exec(path, pragmas);
	sqlite3_free(pragmas);
}

/* ---- A synthetic snapshot -------------------------------------------- */

#define PROC_GO "/usr/local/go/src/runtime/proc.go"
#define CHAN_GO "/usr/local/go/src/runtime/chan.go"
#define MAIN_GO "/home/u/app/main.go"

#define FRAME(PC, SP, FUNC, FILE, LINE, INLINED, OFF) \
	{ .pc = PC, .func = FUNC, .file = FILE, .line = LINE, .inlined = INLINED, \
	  .pc_offset = OFF }

/* Parked in a channel receive: goroutines 1 and 2 share it (one array, as
 * goruntime shares the frames of identical stacks). */
static struct gr_frame chan_frames[] = {
	FRAME(0x43e1ce, 0xc000050e00, "runtime.gopark", PROC_GO, 398, false, 0xce),
	FRAME(0x40a0f0, 0xc000050e40, "runtime.chanrecv", CHAN_GO, 583, false, 0x2f0),
	FRAME(0x48a2b1, 0xc000050f00, "main.worker", MAIN_GO, 20, true, 0x51),
	FRAME(0x48a2b1, 0xc000050f00, "main.run", MAIN_GO, 31, false, 0x51),
	FRAME(0x46c1a1, 0xc000050fd0, "runtime.goexit", "/usr/local/go/src/runtime/asm_amd64.s",
	      1650, false, 0x1),
};
/* Same pcs, lines and inlined as chan_frames, but another function name at
 * depth 2: another stack. */
static struct gr_frame chan_frames_other[5];
static struct gr_frame select_frames[] = {
	FRAME(0x43e1ce, 0xc000060e00, "runtime.gopark", PROC_GO, 398, false, 0xce),
	FRAME(0x44f0aa, 0xc000060e40, "runtime.selectgo", "/usr/local/go/src/runtime/select.go",
	      327, false, 0x6aa),
	FRAME(0x48b000, 0xc000060f00, "main.(*server).loop", MAIN_GO, 77, false, 0x40),
};
static struct gr_frame boom_frames[] = {
	FRAME(0x48c000, 0xc000070f00, "main.boom", MAIN_GO, 99, false, 0x20),
};

static struct gr_goroutine goroutines[8];
static struct gr_diag diags[] = {
	{ "warning", "unwind", "goroutine 9: stack ends at unknown pc 0x1" },
	{ "info", "labels", "2 goroutines carry pprof labels" },
};

static const struct store_incident incident_a = {
	.core_path = "/var/crash/core.app.1234",
	.core_sha256 = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff",
	.exe_path = "/usr/bin/app",
	.exe_build_id = "4c1d5e0a",
	.go_version = "go1.22.3",
	.arch = "amd64",
	.pid = 1234,
	.cmdline = "/usr/bin/app -serve",
	.signal = 6,
	.core_kind = "kernel",
	.tool_version = "0.1.0",
};

/*
 * Number S's stacks as goruntime does (gr_goroutine.stack_index,
 * gr_snapshot.nstacks): goroutines with the same frames array share an
 * index, the others get the next one, in goroutine order. Call it again
 * after changing S's goroutines.
 */
static void number_stacks(struct gr_snapshot *s)
{
	s->nstacks = 0;
	for (size_t i = 0; i < s->ngoroutines; i++) {
		struct gr_goroutine *g = &s->goroutines[i];
		size_t j = 0;
		while (j < i && (s->goroutines[j].frames != g->frames ||
				 s->goroutines[j].nframes != g->nframes))
			j++;
		g->stack_index = j < i ? s->goroutines[j].stack_index : (uint32_t)s->nstacks++;
	}
}

/* Goroutines 1, 2 (same stack), 3 (look-alike stack), 7 (select, labels,
 * locked), 9 (no frames): 4 distinct stacks. */
static void make_snapshot(struct gr_snapshot *s)
{
	memset(s, 0, sizeof(*s));
	memcpy(chan_frames_other, chan_frames, sizeof(chan_frames));
	chan_frames_other[2].func = "main.worker2";

	memset(goroutines, 0, sizeof(goroutines));
	struct gr_goroutine *g = goroutines;
	g[0] = (struct gr_goroutine){
		.g_addr = 0xc000002000, .goid = 1, .status = 4, .status_name = "waiting",
		.wait_reason = "chan receive", .wait_since_ns = 1000000, .wait_minutes = 5,
		.start_func = "runtime.main", .frames = chan_frames, .nframes = 5,
	};
	g[1] = (struct gr_goroutine){
		.g_addr = 0xc000002100, .goid = 2, .status = 4, .status_name = "waiting",
		.wait_reason = "chan receive", .wait_since_ns = 2000000, .wait_minutes = -1,
		.has_creator = true, .creator_goid = 1, .created_by_func = "main.main",
		.created_by_file = MAIN_GO, .created_by_line = 12, .created_by_pc_offset = 0x5b,
		.start_func = "main.worker",
		.frames = chan_frames, .nframes = 5,
	};
	g[2] = (struct gr_goroutine){
		.g_addr = 0xc000002200, .goid = 3, .status = 4, .status_name = "waiting",
		.wait_reason = "chan receive", .wait_minutes = -1, .has_creator = true,
		.creator_goid = 1, .created_by_func = "main.main", .created_by_file = MAIN_GO,
		.created_by_line = 13, .start_func = "main.worker2",
		.frames = chan_frames_other, .nframes = 5,
	};
	g[3] = (struct gr_goroutine){
		.g_addr = 0xc000002300, .goid = 7, .status = 4, .status_name = "waiting",
		.wait_reason = "select", .wait_minutes = 0, .is_system = false,
		.thread_id = 4321, .locked = true, .labels = "{\"request\":\"42\",\"user\":\"bob\"}",
		.start_func = "main.(*server).loop", .frames = select_frames, .nframes = 3,
	};
	g[4] = (struct gr_goroutine){
		.g_addr = 0xffffffffc0000000, .goid = 9, .status = 2, .status_name = "running",
		.wait_minutes = -1, .is_system = true, .stack_error = "unknown pc 0x1",
		.frames = NULL, .nframes = 0,
	};
	s->go_version = "go1.22.3";
	s->build_settings = "path\texample.com/app\n";
	s->now_ns = 301000000000;
	s->now_source = "sched.lastpoll";
	s->goroutines = goroutines;
	s->ngoroutines = 5;
	s->diags = diags;
	s->ndiags = s->diags_cap = 2;
	number_stacks(s);
}

static struct store_db *open_ok(const char *path)
{
	struct store_db *db = NULL;
	struct util_error *err = store_open(path, &db);
	if (err)
		fail_msg("store_open: %s", err->message);
	return db;
}

static int64_t ingest_ok(struct store_db *db, const struct store_incident *inc,
			 const struct gr_snapshot *snap, bool *existed)
{
	int64_t id = -1;
	struct util_error *err = store_ingest(db, inc, snap, &id, existed);
	if (err)
		fail_msg("store_ingest: %s", err->message);
	return id;
}

/* All rows of all tables, to compare before and after a failed ingest. */
static int64_t row_total(struct store_db *db)
{
	return query_int(db, "SELECT (SELECT count(*) FROM incident) + (SELECT count(*) FROM goroutine)"
			     " + (SELECT count(*) FROM stack) + (SELECT count(*) FROM frame)"
			     " + (SELECT count(*) FROM diagnostic)");
}

/* ---- Tests ------------------------------------------------------------ */

static void test_schema_blocks(void **state)
{
	// "-- @version N" markers run 1..STORE_SCHEMA_VERSION (see schema.sql).
	int next = 1;
	for (const char *p = store_schema_sql; (p = strstr(p, "\n-- @version ")); p++)
		assert_int_equal(atoi(p + strlen("\n-- @version ")), next++);
	assert_int_equal(next - 1, STORE_SCHEMA_VERSION);
	assert_non_null(strstr(store_schema_sql, "CREATE TABLE incident"));
}

static void test_new_database(void **state)
{
	char path[4096];
	tmp_path(path, sizeof(path), "new.db");
	struct store_db *db = open_ok(path);
	assert_int_equal(query_int(db, "PRAGMA user_version"), STORE_SCHEMA_VERSION);
	assert_int_equal(query_int(db, "PRAGMA application_id"), 0x476f436f);
	assert_string_equal(query_text(db, "PRAGMA journal_mode"), "wal");
	assert_int_equal(query_int(db, "SELECT count(*) FROM sqlite_master WHERE name IN"
				       " ('incident', 'goroutine', 'stack', 'frame', 'diagnostic',"
				       " 'goroutine_frame')"), 6);
	int64_t id = 0;
	struct util_error *err = store_latest_incident(db, &id);
	assert_true(util_error_is(err, UTIL_ERROR_NOT_FOUND));
	util_error_destroy(err);
	store_close(db);
	// Reopening finds the schema and leaves it alone.
	db = open_ok(path);
	// incident, goroutine, stack, frame, diagnostic; channel, chan_wait,
	// sync_wait, defer_call, panic; context, context_child, goroutine_context;
	// heap_scan, wait_reach (version 2); incident_tag, incident_finding,
	// incident_signature, core_blob, incident_last_id (version 3);
	// wait_reacher, wait_component, wait_member (version 5, which drops
	// version 2's wait_waker); goroutine_blocker (version 9);
	// context_canceled, context_below_canceled (version 10); version 12
	// turns goroutine, context, defer_call, chan_wait and wait_reach into
	// views over tables NAME_base, with incident_text; goroutine_group,
	// incident_finding_count (version 14).
	assert_int_equal(query_int(db, "SELECT count(*) FROM sqlite_master WHERE type = 'table'"), 29);
	store_close(db);
	store_close(NULL);
}

/* The wait-for rows: what goruntime found is what the tables say. */
/* The waits of the tests below: two channels, three channel waits, a sync
 * wait, two deferred calls and two panics, in SNAP. */
static void add_waits(struct gr_snapshot *snap)
{
	static struct gr_channel chans[] = {
		{.addr = 0xc000010000, .elem_type = "int", .cap = 2, .len = 2, .send_waiters = 2},
		{.addr = 0xc000010100, .elem_type = NULL, .closed = true, .is_timer = true},
	};
	static struct gr_chan_wait waits[] = {
		{.goid = 1, .chan_addr = 0xc000010000, .send = true, .queue_pos = 0},
		{.goid = 2, .chan_addr = 0xc000010000, .send = true, .queue_pos = 1},
		{.goid = 7, .chan_addr = 0xc000010100, .in_select = true, .queue_pos = -1},
	};
	static struct gr_sync_wait syncs[] = {{.goid = 3, .kind = "sync.Mutex", .addr = 0xc000020000}};
	static struct gr_defer defers[] = {
		{.goid = 1, .seq = 0, .func = "main.(*conn).Close", .frame_depth = 2, .kind = "open-coded"},
		{.goid = 1, .seq = 1, .func = "main.cleanup", .frame_depth = -1, .kind = "heap"},
	};
	static struct gr_panic panics[] = {
		{.goid = 2, .seq = 0, .value_type = "*errors.errorString", .value_text = "inner"},
		{.goid = 2, .seq = 1, .value_type = "string", .value_text = "outer", .recovered = true},
	};
	snap->channels = chans, snap->nchannels = 2;
	snap->chan_waits = waits, snap->nchan_waits = 3;
	snap->sync_waits = syncs, snap->nsync_waits = 1;
	snap->defers = defers, snap->ndefers = 2;
	snap->panics = panics, snap->npanics = 2;
}

static void test_wait_rows(void **state)
{
	char path[4096];
	struct gr_snapshot snap;
	make_snapshot(&snap);
	add_waits(&snap);
	struct store_db *db = open_ok(tmp_path(path, sizeof(path), "waits.db"));
	bool existed;
	ingest_ok(db, &incident_a, &snap, &existed);
	assert_int_equal(query_int(db, "SELECT send_waiters FROM channel WHERE addr = %lld",
				   0xc000010000LL), 2);
	assert_int_equal(query_int(db, "SELECT count(*) FROM channel WHERE elem_type IS NULL"
				       " AND closed AND is_timer"), 1);
	assert_int_equal(query_int(db, "SELECT queue_pos FROM chan_wait WHERE goid = 2"), 1);
	assert_string_equal(query_text(db, "SELECT direction FROM chan_wait WHERE goid = 7"), "recv");
	assert_string_equal(query_text(db, "SELECT kind FROM sync_wait WHERE goid = 3"), "sync.Mutex");
	assert_int_equal(query_int(db, "SELECT count(*) FROM defer_call WHERE goid = 1"
				       " AND frame_depth IS NULL AND seq = 1"), 1);
	assert_string_equal(query_text(db, "SELECT value_text FROM panic WHERE goid = 2 AND seq = 1"
					   " AND recovered"), "outer");
	store_close(db);
}

/*
 * The defers written as the ingest begins, with the goroutines (analyze's
 * writer then lets go of them, gr_snapshot_drop_defers), before the waits:
 * the same rows and incident_text ids as in one step, each once, with the
 * snapshot's defers gone after the first step.
 */
static void test_defers_first(void **state)
{
	char path[4096], path1[4096];
	struct gr_snapshot snap;
	make_snapshot(&snap);
	add_waits(&snap);
	struct store_db *one = open_ok(tmp_path(path1, sizeof(path1), "defers-one.db"));
	bool existed;
	ingest_ok(one, &incident_a, &snap, &existed);

	struct store_db *db = open_ok(tmp_path(path, sizeof(path), "defers-first.db"));
	struct store_ingest *in = NULL;
	assert_null(store_ingest_begin(db, &incident_a, &snap, &in));
	assert_int_equal(query_int(db, "SELECT count(*) FROM defer_call"), 2);
	assert_int_equal(query_int(db, "SELECT count(*) FROM panic"), 2);
	assert_int_equal(query_int(db, "SELECT count(*) FROM channel"), 0);
	// The function names of the defers take the first ids.
	assert_string_equal(query_text(db, "SELECT text FROM incident_text ORDER BY id LIMIT 1"),
			    "main.(*conn).Close");
	struct gr_defer *defers = snap.defers;
	snap.defers = NULL, snap.ndefers = 0; // dropped (gr_snapshot_drop_defers)
	assert_null(store_ingest_waits(in, &snap));
	int64_t id = 0;
	assert_null(store_ingest_finish(in, &snap, &id, &existed));
	assert_false(existed);
	snap.defers = defers, snap.ndefers = 2;
	static const char *const same[] = {
		"SELECT group_concat(goid || ' ' || seq || ' ' || func || ' ' || ifnull(frame_depth, '-')"
		" || ' ' || kind, '; ') FROM (SELECT * FROM defer_call ORDER BY goid, seq)",
		"SELECT group_concat(goid || ' ' || seq || ' ' || value_text || ' ' || recovered, '; ')"
		" FROM (SELECT * FROM panic ORDER BY goid, seq)",
		"SELECT group_concat(addr || ' ' || send_waiters, '; ') FROM (SELECT * FROM channel"
		" ORDER BY addr)",
		"SELECT count(*) || ' ' || sum(queue_pos) FROM chan_wait",
		"SELECT group_concat(id || ' ' || text, '; ') FROM (SELECT * FROM incident_text"
		" ORDER BY id)",
		"SELECT count(*) FROM goroutine",
	};
	for (size_t i = 0; i < sizeof(same) / sizeof(same[0]); i++) {
		char want[2048];
		snprintf(want, sizeof(want), "%s", query_text(one, same[i]));
		assert_string_equal(query_text(db, same[i]), want);
	}
	store_close(one);
	store_close(db);
}

/* Context rows, and the ancestry view walking parent links. */
static void test_context_rows(void **state)
{
	char path[4096];
	struct gr_snapshot snap;
	make_snapshot(&snap);
	// The contexts' strings by number (gr_str): 1 "context canceled", ...
	const char *strs[] = {NULL, "context canceled", "main.key(1)", "\"v\"", "*main.myCtx"};
	struct gr_context ctxs[] = {
		{.addr = 0x100, .kind = GR_CTXK_BACKGROUND, .canceled = 0, .timer_pending = -1},
		{.addr = 0x200, .kind = GR_CTXK_CANCEL, .parent_addr = 0x100, .canceled = 1,
		 .err = 1, .done_chan = 0x900, .done_closed = true, .timer_pending = -1},
		{.addr = 0x300, .kind = GR_CTXK_VALUE, .parent_addr = 0x200, .canceled = 0,
		 .value_key = 2, .value_text = 3, .timer_pending = -1},
		{.addr = 0x400, .kind = GR_CTXK_USER, .type_name = 4, .parent_addr = 0x300,
		 .canceled = -1, .timer_pending = -1},
		{.addr = 0x500, .kind = GR_CTXK_TIMER, .parent_addr = 0x100, .has_deadline = true,
		 .deadline_unix_ns = 1700000000000000000LL, .timer_pending = 1},
	};
	snap.context_strings = (struct gr_strings){.v = strs, .n = 5, .cap = 5};
	// 0x500 in 0x100's map (twice, as a core may list it), and in
	// 0x200's; 0x700 has no context: the column holds one, the rest
	// context_child_extra, and the view all of them once.
	struct gr_context_child kids[] = {{0x200, 0x500}, {0x100, 0x500}, {0x200, 0x700},
					  {0x100, 0x500}, {0x200, 0x300}};
	struct gr_goroutine_context held[] = {
		{.goid = 1, .frame_depth = 2, .var_name = "ctx", .ctx_addr = 0x400, .found_by = "dwarf"},
		{.goid = 1, .frame_depth = -1, .ctx_addr = 0x300, .found_by = "stack-scan"},
	};
	snap.contexts = ctxs, snap.ncontexts = 5;
	snap.context_children = kids, snap.ncontext_children = 5;
	snap.goroutine_contexts = held, snap.ngoroutine_contexts = 2;
	struct store_db *db = open_ok(tmp_path(path, sizeof(path), "ctx.db"));
	bool existed;
	ingest_ok(db, &incident_a, &snap, &existed);
	assert_int_equal(query_int(db, "SELECT count(*) FROM context"), 5);
	assert_int_equal(query_int(db, "SELECT count(*) FROM context WHERE canceled IS NULL"), 1);
	assert_int_equal(query_int(db, "SELECT count(*) FROM context WHERE parent_addr IS NULL"), 1);
	// 0x400 → 0x300 → 0x200 → 0x100: the canceled ancestor is 2 steps up.
	assert_int_equal(query_int(db, "SELECT distance FROM context_ancestry a JOIN context c"
				       " ON c.incident_id = a.incident_id AND c.addr = a.ancestor_addr"
				       " WHERE a.addr = 1024 AND c.canceled"), 2);
	assert_int_equal(query_int(db, "SELECT count(*) FROM context_ancestry WHERE addr = 1024"), 3);
	assert_int_equal(query_int(db, "SELECT count(*) FROM goroutine_context WHERE frame_depth IS NULL"
				       " AND found_by = 'stack-scan'"), 1);
	assert_int_equal(query_int(db, "SELECT timer_pending FROM context WHERE kind = 'timer'"), 1);
	assert_string_equal(query_text(db, "SELECT group_concat(parent_addr || '>' || child_addr, ' ')"
					  " FROM (SELECT * FROM context_child ORDER BY 1, 2, 3)"),
			    "256>1280 512>768 512>1280 512>1792");
	assert_string_equal(query_text(db, "SELECT group_concat(addr || ':' || registered_in, ' ')"
					  " FROM context_base WHERE registered_in IS NOT NULL"),
			    "768:512 1280:256");
	assert_int_equal(query_int(db, "SELECT count(*) FROM context_child_extra"), 2);
	store_close(db);
}

/*
 * goroutine_context is keyed by (incident, goroutine, seq) and written in
 * key order: goroutine by goroutine in goid order, each one's holdings in
 * the snapshot's order, numbered from 0 even when the snapshot lists one
 * goroutine's holdings apart. Enough rows for the batched statement.
 */
static void test_holdings_order(void **state)
{
	char path[4096];
	struct gr_snapshot snap;
	make_snapshot(&snap);
	enum { N = 75, GOROUTINES = 10 };
	struct gr_goroutine_context held[N];
	char want[GOROUTINES + 1][512] = {{0}};
	for (int i = 0; i < N; i++) {
		// Runs of one to three holdings, goroutines out of order and revisited.
		int goid = (i / 3 * 7) % GOROUTINES + 1;
		held[i] = (struct gr_goroutine_context){.goid = (uint64_t)goid, .frame_depth = -1,
							.ctx_addr = 0x1000 + (uint64_t)i,
							.found_by = "stack-scan"};
		size_t len = strlen(want[goid]);
		snprintf(want[goid] + len, sizeof(want[goid]) - len, "%s%d", len ? "," : "",
			 0x1000 + i);
	}
	snap.goroutine_contexts = held, snap.ngoroutine_contexts = N;
	struct store_db *db = open_ok(tmp_path(path, sizeof(path), "holdings.db"));
	bool existed;
	ingest_ok(db, &incident_a, &snap, &existed);
	assert_int_equal(query_int(db, "SELECT count(*) FROM goroutine_context"), N);
	for (int goid = 1; goid <= GOROUTINES; goid++) {
		assert_string_equal(query_text(db, "SELECT group_concat(ctx_addr, ',') FROM"
					      " (SELECT ctx_addr FROM goroutine_context WHERE goid = %d"
					      " ORDER BY seq)", goid), want[goid]);
		// seq runs 0, 1, 2... within each goroutine.
		assert_int_equal(query_int(db, "SELECT count(*) FROM goroutine_context WHERE goid = %d"
					   " AND seq >= (SELECT count(*) FROM goroutine_context"
					   " WHERE goid = %d)", goid, goid), 0);
	}
	store_close(db);
}

/*
 * An ingest in steps (the CLI writes the goroutines, then the contexts,
 * while the rest is read): begin writes the incident and its goroutines
 * inside the transaction, abort leaves the database as it was (the first
 * incident's indexes included), contexts writes the contexts once, finish
 * writes the rest; a known core is not written.
 */
static void test_ingest_two_steps(void **state)
{
	char path[4096];
	struct gr_snapshot snap;
	make_snapshot(&snap);
	struct store_db *db = open_ok(tmp_path(path, sizeof(path), "steps.db"));
	const char *schema = "SELECT group_concat(name) FROM (SELECT name FROM sqlite_master"
			     " ORDER BY name)";
	char before[1024];
	snprintf(before, sizeof(before), "%s", query_text(db, schema));
	struct store_ingest *in = NULL;
	struct util_error *err = store_ingest_begin(db, &incident_a, &snap, &in);
	if (err)
		fail_msg("store_ingest_begin: %s", err->message);
	// Inside the transaction: the goroutines, their indexes, no waits yet.
	assert_int_equal(query_int(db, "SELECT count(*) FROM goroutine"), (int64_t)snap.ngoroutines);
	assert_int_equal(query_int(db, "SELECT count(*) FROM sqlite_master WHERE name ="
				       " 'goroutine_by_stack_wait'"), 1);
	assert_int_equal(query_int(db, "SELECT count(*) FROM sqlite_master WHERE name ="
				       " 'goroutine_context_by_ctx'"), 0);
	store_ingest_abort(in);
	assert_int_equal(row_total(db), 0);
	assert_string_equal(query_text(db, schema), before);

	// With the contexts written between the two steps, once.
	struct gr_context ctxs[] = {{.addr = 0x100, .kind = GR_CTXK_BACKGROUND, .timer_pending = -1},
				    {.addr = 0x200, .kind = GR_CTXK_CANCEL, .parent_addr = 0x100,
				     .timer_pending = -1}};
	struct gr_goroutine_context held[] = {
		{.goid = 2, .frame_depth = 1, .var_name = "ctx", .ctx_addr = 0x200, .found_by = "dwarf"},
	};
	snap.contexts = ctxs, snap.ncontexts = 2;
	snap.goroutine_contexts = held, snap.ngoroutine_contexts = 1;
	assert_null(store_ingest_begin(db, &incident_a, &snap, &in));
	assert_null(store_ingest_contexts(in, &snap));
	assert_int_equal(query_int(db, "SELECT count(*) FROM context"), 2);
	// Their indexes apart, after (store_ingest_context_indexes).
	assert_int_equal(query_int(db, "SELECT count(*) FROM sqlite_master WHERE name ="
				       " 'goroutine_context_by_ctx'"), 0);
	assert_null(store_ingest_context_indexes(in));
	assert_int_equal(query_int(db, "SELECT count(*) FROM sqlite_master WHERE name ="
				       " 'goroutine_context_by_ctx'"), 1);
	int64_t id = 0;
	bool existed = true;
	assert_null(store_ingest_finish(in, &snap, &id, &existed));
	assert_false(existed);
	assert_int_equal(query_int(db, "SELECT count(*) FROM context"), 2);
	assert_int_equal(query_int(db, "SELECT count(*) FROM goroutine_context"), 1);
	assert_int_equal(query_int(db, "SELECT count(*) FROM goroutine WHERE incident_id = %lld",
				   (long long)id), (int64_t)snap.ngoroutines);
	assert_string_equal(query_text(db, schema), before);
	int64_t rows = row_total(db);

	assert_null(store_ingest_begin(db, &incident_a, &snap, &in));
	int64_t again = 0;
	assert_null(store_ingest_finish(in, &snap, &again, &existed));
	assert_true(existed);
	assert_int_equal(again, id);
	assert_int_equal(row_total(db), rows);
	store_close(db);
}

static void test_ingest_rows(void **state)
{
	char path[4096];
	struct gr_snapshot snap;
	make_snapshot(&snap);
	struct store_db *db = open_ok(tmp_path(path, sizeof(path), "rows.db"));
	bool existed = true;
	int64_t id = ingest_ok(db, &incident_a, &snap, &existed);
	assert_false(existed);
	int64_t latest = 0;
	assert_null(store_latest_incident(db, &latest));
	assert_int_equal(latest, id);

	// The incident row.
	assert_int_equal(query_int(db, "SELECT goroutine_count FROM incident WHERE id = %lld",
				   (long long)id), 5);
	assert_string_equal(query_text(db, "SELECT go_version || ' ' || arch || ' ' || pid || ' '"
					   " || signal || ' ' || core_kind || ' ' || now_ns || ' ' ||"
					   " now_source FROM incident"),
			    "go1.22.3 amd64 1234 6 kernel 301000000000 sched.lastpoll");
	assert_int_equal(query_int(db, "SELECT ingested_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-"
				       "[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9]Z' FROM incident"), 1);

	// Counts: 4 distinct stacks, 5 + 5 + 3 + 0 frames.
	assert_int_equal(query_int(db, "SELECT count(*) FROM goroutine"), 5);
	assert_int_equal(query_int(db, "SELECT count(*) FROM stack"), 4);
	assert_int_equal(query_int(db, "SELECT count(*) FROM frame"), 13);
	assert_int_equal(query_int(db, "SELECT count(*) FROM diagnostic WHERE incident_id = %lld",
				   (long long)id), 2);

	// Stack sharing as the snapshot's stack_index says: 1 and 2 share; 3,
	// which differs only in a name, does not.
	assert_int_equal(query_int(db, "SELECT count(DISTINCT stack_id) FROM goroutine"
				       " WHERE goid IN (1, 2)"), 1);
	assert_int_equal(query_int(db, "SELECT count(DISTINCT stack_id) FROM goroutine"
				       " WHERE goid IN (1, 3)"), 2);
	assert_int_equal(query_int(db, "SELECT s.depth FROM goroutine g JOIN stack s USING"
				       " (incident_id, stack_id) WHERE goid = 9"), 0);
	assert_string_equal(query_text(db, "SELECT stack_error FROM goroutine WHERE goid = 9"),
			    "unknown pc 0x1");

	// The view: innermost first, inlined frame marked, goroutine columns joined.
	assert_string_equal(query_text(db, "SELECT group_concat(func, ' < ') FROM (SELECT func"
					   " FROM goroutine_frame WHERE incident_id = %lld AND goid = 2"
					   " ORDER BY depth)", (long long)id),
			    "runtime.gopark < runtime.chanrecv < main.worker < main.run < runtime.goexit");
	assert_string_equal(query_text(db, "SELECT func || ':' || line || ' ' || inlined || ' ' ||"
					   " status || ' ' || wait_reason || ' ' || printf('%%#x +%%#x', pc,"
					   " pc_offset) FROM goroutine_frame WHERE goid = 1 AND depth = 2"),
			    "main.worker:20 1 waiting chan receive 0x48a2b1 +0x51");
	assert_int_equal(query_int(db, "SELECT count(*) FROM goroutine_frame WHERE incident_id = %lld",
				   (long long)id), 18);

	// Unknowns are NULL, booleans 0/1, labels JSON, addresses keep their bits.
	assert_string_equal(query_text(db, "SELECT wait_minutes FROM goroutine WHERE goid = 2"), "NULL");
	assert_int_equal(query_int(db, "SELECT wait_minutes FROM goroutine WHERE goid = 1"), 5);
	assert_string_equal(query_text(db, "SELECT creator_goid FROM goroutine WHERE goid = 1"), "NULL");
	assert_string_equal(query_text(db, "SELECT created_by_func || ' ' || created_by_line ||"
					   " printf(' +%%#x ', created_by_pc_offset) || creator_goid"
					   " FROM goroutine WHERE goid = 2"),
			    "main.main 12 +0x5b 1");
	assert_string_equal(query_text(db, "SELECT labels ->> '$.request' FROM goroutine WHERE goid = 7"),
			    "42");
	assert_string_equal(query_text(db, "SELECT locked || thread_id || is_system FROM goroutine"
					   " WHERE goid = 7"), "143210");
	assert_string_equal(query_text(db, "SELECT thread_id FROM goroutine WHERE goid = 1"), "NULL");
	assert_string_equal(query_text(db, "SELECT printf('%%#x', g_addr) FROM goroutine WHERE goid = 9"),
			    "0xffffffffc0000000");
	assert_int_equal(query_int(db, "SELECT count(*) FROM goroutine WHERE is_system"), 1);

	// The summary, in the same transaction: the signature's groups by
	// function names, runtime frames left out (goroutines 1 and 2 are one
	// group, 3 its own; 9 is a system goroutine), no findings; no capture
	// time was given.
	assert_int_equal(query_int(db, "SELECT summary_version FROM incident"), STORE_SUMMARY_VERSION);
	assert_string_equal(query_text(db, "SELECT group_concat(term || '=' || round(weight, 3), '|')"
					   " FROM (SELECT term, weight FROM incident_signature ORDER BY term)"),
			    "bucket:main.(*server).loop=1.0|bucket:main.worker < main.run=1.693|"
			    "bucket:main.worker2 < main.run=1.0");
	assert_int_equal(query_int(db, "SELECT count(*) FROM incident_finding"), 0);
	// The counts 'analyze' prints, all zero, the heap not scanned.
	assert_string_equal(query_text(db, "SELECT unobserved || broken_links || leaked || cycles"
					   " || detached || lock_waits || heap_scanned || in_cycles"
					   " || leak_groups || victims FROM incident_finding_count"),
			    "0000000000");
	// The groups the writer counted (a goroutine each here) are what the
	// goroutine rows say grouped in SQL.
	assert_string_equal(query_text(db, "SELECT group_concat(goroutines || ':' || example_goid"
					   " || ':' || is_system || ':' || COALESCE(creator, '-'), '|')"
					   " FROM (SELECT * FROM goroutine_group ORDER BY example_goid)"),
			    "1:1:0:-|1:2:0:main.main|1:3:0:main.main|1:7:0:-|1:9:1:-");
	assert_int_equal(query_int(db, "SELECT count(*) FROM (SELECT incident_id, stack_id, is_system,"
				       " state, creator, goroutines, example_goid, min_wait_minutes,"
				       " max_wait_minutes FROM goroutine_group EXCEPT SELECT incident_id,"
				       " stack_id, is_system, COALESCE(wait_reason, status), created_by_func,"
				       " count(*), min(goid), min(wait_minutes), max(wait_minutes)"
				       " FROM goroutine GROUP BY 1, 2, 3, 4, 5)"), 0);
	assert_string_equal(query_text(db, "SELECT quote(captured_at) FROM incident"), "NULL");
	store_close(db);
}

/* analyze --keep-core: the core is stored with its incident, once per
 * fingerprint, and can be added to an incident stored without it. */
static void test_keep_core(void **state)
{
	char path[4096];
	struct gr_snapshot snap;
	make_snapshot(&snap);
	struct store_db *db = open_ok(tmp_path(path, sizeof(path), "keep.db"));
	static const char bytes[] = "\x28\xb5\x2f\xfd not really zstd";
	struct store_incident inc = incident_a;
	inc.captured_at = "2026-03-02T10:15:00Z";
	bool existed;
	int64_t id = ingest_ok(db, &inc, &snap, &existed);
	assert_int_equal(query_int(db, "SELECT count(*) FROM core_blob"), 0);
	assert_string_equal(query_text(db, "SELECT captured_at FROM incident"), "2026-03-02T10:15:00Z");
	// Again with the core: the incident exists, the core is added.
	inc.core_zstd = bytes;
	inc.core_zstd_len = sizeof(bytes);
	inc.core_size = 4096;
	assert_int_equal(ingest_ok(db, &inc, &snap, &existed), id);
	assert_true(existed);
	assert_string_equal(query_text(db, "SELECT compression || ' ' || size || ' ' ||"
					   " (data = CAST(%s AS BLOB)) || ' ' || (sha256 = '%s') FROM core_blob",
					   "X'28b52ffd206e6f74207265616c6c79207a73746400'",
					   incident_a.core_sha256),
			    "zstd 4096 1 1");
	// The same core with another executable: a second incident, one blob.
	inc.exe_build_id = "another";
	int64_t id2 = ingest_ok(db, &inc, &snap, &existed);
	assert_false(existed);
	assert_true(id2 != id);
	assert_int_equal(query_int(db, "SELECT count(*) FROM core_blob"), 1);
	assert_int_equal(query_int(db, "SELECT sum(core_kept) FROM incident_summary"), 2);
	store_close(db);
}

static void test_ingest_twice_and_second_incident(void **state)
{
	char path[4096];
	struct gr_snapshot snap;
	make_snapshot(&snap);
	struct store_db *db = open_ok(tmp_path(path, sizeof(path), "twice.db"));
	bool existed = true;
	int64_t id1 = ingest_ok(db, &incident_a, &snap, &existed);
	assert_false(existed);
	int64_t rows = row_total(db);

	// Same core, same executable: not written again.
	int64_t again = ingest_ok(db, &incident_a, &snap, &existed);
	assert_true(existed);
	assert_int_equal(again, id1);
	assert_int_equal(row_total(db), rows);
	store_close(db);

	// Another core in the same file (reopened, to use fresh statements).
	db = open_ok(path);
	struct store_incident b = incident_a;
	b.core_sha256 = "ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100";
	b.exe_build_id = NULL; // stored as '' and still matched on a re-ingest
	b.pid = 0;
	b.signal = 0;
	b.core_kind = "gcore";
	snap.ngoroutines = 4;
	int64_t id2 = ingest_ok(db, &b, &snap, &existed);
	assert_false(existed);
	assert_true(id2 > id1);
	assert_int_equal(ingest_ok(db, &b, &snap, &existed), id2);
	assert_true(existed);
	int64_t latest = 0;
	assert_null(store_latest_incident(db, &latest));
	assert_int_equal(latest, id2);
	assert_int_equal(query_int(db, "SELECT count(*) FROM incident"), 2);
	assert_string_equal(query_text(db, "SELECT quote(exe_build_id) || ' ' || quote(pid) || ' ' ||"
					   " quote(signal) FROM incident WHERE id = %lld", (long long)id2),
			    "'' NULL NULL");
	assert_int_equal(query_int(db, "SELECT count(*) FROM goroutine WHERE incident_id = %lld",
				   (long long)id2), 4);
	// Stack ids are per incident.
	assert_int_equal(query_int(db, "SELECT max(stack_id) FROM stack WHERE incident_id = %lld",
				   (long long)id2), 3);
	assert_int_equal(query_int(db, "SELECT count(*) FROM goroutine_frame WHERE incident_id = %lld",
				   (long long)id2), 18);
	store_close(db);
}

static void test_duplicate_goid(void **state)
{
	char path[4096];
	struct gr_snapshot snap;
	make_snapshot(&snap);
	goroutines[5] = goroutines[3]; // a second goroutine 7 at another address
	goroutines[5].g_addr = 0xc000009900;
	goroutines[5].frames = boom_frames;
	goroutines[5].nframes = 1;
	snap.ngoroutines = 6;
	number_stacks(&snap);
	struct store_db *db = open_ok(tmp_path(path, sizeof(path), "dup.db"));
	bool existed;
	int64_t id = ingest_ok(db, &incident_a, &snap, &existed);
	assert_int_equal(query_int(db, "SELECT goroutine_count FROM incident WHERE id = %lld",
				   (long long)id), 5);
	assert_int_equal(query_int(db, "SELECT count(*) FROM goroutine"), 5);
	assert_int_equal(query_int(db, "SELECT g_addr FROM goroutine WHERE goid = 7"), 0xc000002300);
	// The dropped one's stack is not written either.
	assert_int_equal(query_int(db, "SELECT count(*) FROM frame WHERE func = 'main.boom'"), 0);
	assert_string_equal(query_text(db, "SELECT severity || ' ' || detail FROM diagnostic"
					   " WHERE what = 'goid'"),
			    "warning goroutine 7 appears twice (runtime.g at 0xc000002300 and"
			    " 0xc000009900); kept the first");
	store_close(db);
}

/*
 * stack_id numbers the stacks 1, 2, 3... in the order the goroutines first
 * use them, whatever the snapshot's stack_index values (unwind order, some
 * used by no goroutine). An index out of the snapshot's range is the
 * caller's bug: an error, and nothing written.
 */
static void test_stack_index(void **state)
{
	char path[4096];
	struct gr_snapshot snap;
	make_snapshot(&snap);
	static const uint32_t index[] = {5, 5, 0, 3, 1};
	for (size_t i = 0; i < 5; i++)
		goroutines[i].stack_index = index[i];
	snap.nstacks = 7;
	struct store_db *db = open_ok(tmp_path(path, sizeof(path), "stack-index.db"));
	bool existed;
	ingest_ok(db, &incident_a, &snap, &existed);
	assert_string_equal(query_text(db, "SELECT group_concat(goid || ':' || stack_id, ' ') FROM"
					   " (SELECT goid, stack_id FROM goroutine ORDER BY goid)"),
			    "1:1 2:1 3:2 7:3 9:4");
	assert_string_equal(query_text(db, "SELECT group_concat(depth, ' ') FROM"
					   " (SELECT depth FROM stack ORDER BY stack_id)"), "5 5 3 0");
	int64_t rows = row_total(db);

	goroutines[3].stack_index = 7;
	struct store_incident b = incident_a;
	b.core_sha256 = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
	int64_t id = -1;
	struct util_error *err = store_ingest(db, &b, &snap, &id, &existed);
	assert_true(util_error_is(err, UTIL_ERROR_INVALID));
	assert_non_null(strstr(err->message, "goroutine 7: stack_index 7"));
	assert_non_null(strstr(err->message, "7 stacks"));
	util_error_destroy(err);
	assert_int_equal(id, -1);
	assert_int_equal(row_total(db), rows);
	store_close(db);
}

static void test_failure_rolls_back(void **state)
{
	char path[4096];
	struct gr_snapshot snap;
	make_snapshot(&snap);
	struct store_db *db = open_ok(tmp_path(path, sizeof(path), "rollback.db"));
	bool existed;
	ingest_ok(db, &incident_a, &snap, &existed);
	int64_t rows = row_total(db);

	// A trigger fails the insert of one frame of the last goroutine, after
	// the incident, most goroutines, stacks and frames were written.
	exec_sql(store_handle(db), "CREATE TRIGGER fail_boom BEFORE INSERT ON frame"
				   " WHEN NEW.func = 'main.boom'"
				   " BEGIN SELECT RAISE(ABORT, 'injected failure'); END");
	goroutines[5] = goroutines[4];
	goroutines[5].goid = 10;
	goroutines[5].frames = boom_frames;
	goroutines[5].nframes = 1;
	snap.ngoroutines = 6;
	number_stacks(&snap);
	struct store_incident b = incident_a;
	b.core_sha256 = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
	int64_t id = -1;
	struct util_error *err = store_ingest(db, &b, &snap, &id, &existed);
	assert_non_null(err);
	assert_int_equal(id, -1);
	assert_non_null(strstr(err->message, "injected failure"));
	assert_non_null(strstr(err->message, path));
	assert_non_null(strstr(err->message, "goroutine 10"));
	util_error_destroy(err);
	assert_int_equal(row_total(db), rows);
	assert_int_equal(query_int(db, "SELECT count(*) FROM incident WHERE core_sha256 = '%s'",
				   b.core_sha256), 0);

	// A bad value the schema refuses (CHECK) fails the same way.
	struct store_incident bad = incident_a;
	bad.core_sha256 = "not-hex";
	err = store_ingest(db, &bad, &snap, &id, &existed);
	assert_true(util_error_is(err, UTIL_ERROR_LIB));
	util_error_destroy(err);
	assert_int_equal(row_total(db), rows);

	// The database and the writer stay usable.
	exec_sql(store_handle(db), "DROP TRIGGER fail_boom");
	id = ingest_ok(db, &b, &snap, &existed);
	assert_false(existed);
	assert_int_equal(query_int(db, "SELECT goroutine_count FROM incident WHERE id = %lld",
				   (long long)id), 6);
	store_close(db);
}

static void test_newer_version_refused(void **state)
{
	char path[4096], want[8192];
	tmp_path(path, sizeof(path), "newer.db");
	store_close(open_ok(path));
	raw_exec(path, "PRAGMA user_version = 99");
	snprintf(want, sizeof(want),
		 "%s: database schema version 99 is newer than this gocoroner supports (%d);"
		 " upgrade gocoroner", path, STORE_SCHEMA_VERSION);
	struct store_db *db = NULL;
	struct util_error *err = store_open(path, &db);
	assert_non_null(err);
	assert_null(db);
	assert_string_equal(err->message, want);
	assert_true(util_error_is(err, UTIL_ERROR_UNSUPPORTED));
	util_error_destroy(err);
	err = store_open_readonly(path, &db);
	assert_non_null(err);
	assert_string_equal(err->message, want);
	util_error_destroy(err);
}

static void test_not_sqlite_refused(void **state)
{
	char path[4096], wal[4200];
	tmp_path(path, sizeof(path), "notes.txt");
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	for (int i = 0; i < 200; i++)
		fputs("this is a text file, not an SQLite database\n", f);
	fclose(f);
	struct store_db *db = NULL;
	struct util_error *err = store_open(path, &db);
	assert_non_null(err);
	assert_true(util_error_is(err, UTIL_ERROR_BAD_DATA));
	assert_non_null(strstr(err->message, path));
	assert_non_null(strstr(err->message, "not a database"));
	util_error_destroy(err);
	err = store_open_readonly(path, &db);
	assert_true(util_error_is(err, UTIL_ERROR_BAD_DATA));
	assert_non_null(strstr(err->message, path));
	util_error_destroy(err);
	assert_null(db);
	// Nothing was created next to it.
	snprintf(wal, sizeof(wal), "%s-wal", path);
	assert_int_equal(access(wal, F_OK), -1);
}

static void test_foreign_sqlite_refused(void **state)
{
	char path[4096];
	tmp_path(path, sizeof(path), "other.db");
	raw_exec(path, "CREATE TABLE t (x); INSERT INTO t VALUES (1)");
	struct store_db *db = NULL;
	struct util_error *err = store_open(path, &db);
	assert_true(util_error_is(err, UTIL_ERROR_BAD_DATA));
	assert_non_null(strstr(err->message, path));
	assert_non_null(strstr(err->message, "not a gocoroner database"));
	util_error_destroy(err);
	// A schema version set by another application is not ours either.
	raw_exec(path, "PRAGMA user_version = 1");
	err = store_open(path, &db);
	assert_true(util_error_is(err, UTIL_ERROR_BAD_DATA));
	assert_non_null(strstr(err->message, "not a gocoroner database"));
	util_error_destroy(err);
	assert_null(db);
	// It was not touched.
	sqlite3 *h;
	assert_int_equal(sqlite3_open(path, &h), SQLITE_OK);
	sqlite3_stmt *s;
	assert_int_equal(sqlite3_prepare_v2(h, "SELECT count(*) FROM sqlite_master", -1, &s, NULL),
			 SQLITE_OK);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(s, 0), 1);
	sqlite3_finalize(s);
	sqlite3_close(h);
}

static void test_readonly(void **state)
{
	char path[4096];
	struct store_db *db = NULL;
	tmp_path(path, sizeof(path), "missing.db");
	struct util_error *err = store_open_readonly(path, &db);
	assert_non_null(err);
	assert_non_null(strstr(err->message, path));
	assert_true(util_error_is(err, UTIL_ERROR_OS));
	util_error_destroy(err);
	assert_int_equal(access(path, F_OK), -1);

	struct gr_snapshot snap;
	make_snapshot(&snap);
	tmp_path(path, sizeof(path), "ro.db");
	db = open_ok(path);
	bool existed;
	int64_t id = ingest_ok(db, &incident_a, &snap, &existed);
	store_close(db);
	db = NULL;
	err = store_open_readonly(path, &db);
	if (err)
		fail_msg("%s", err->message);
	int64_t latest = 0;
	assert_null(store_latest_incident(db, &latest));
	assert_int_equal(latest, id);
	err = store_ingest(db, &incident_a, &snap, &id, &existed);
	assert_true(util_error_is(err, UTIL_ERROR_INVALID));
	util_error_destroy(err);
	store_close(db);
}

/* A database written by a gocoroner of schema version 1 is upgraded in place
 * when opened for writing: its incidents stay, the version-2 tables appear. */
static void test_upgrade_from_v1(void **state)
{
	char path[4096];
	tmp_path(path, sizeof(path), "v1.db");
	schema_upto(path, 1);
	raw_exec(path, "INSERT INTO incident (core_path, core_sha256, exe_build_id, goroutine_count)"
		       " VALUES ('old.core', printf('%064d', 0), '', 0)");
	struct store_db *db = open_ok(path);
	assert_int_equal(query_int(db, "PRAGMA user_version"), STORE_SCHEMA_VERSION);
	assert_int_equal(query_int(db, "SELECT count(*) FROM incident"), 1);
	assert_int_equal(query_int(db, "SELECT count(*) FROM sqlite_master WHERE name IN"
				       " ('heap_scan', 'wait_reach', 'wait_reacher', 'wait_component',"
				       " 'wait_member')"), 5);
	assert_int_equal(query_int(db, "SELECT count(*) FROM sqlite_master WHERE name = 'wait_waker'"), 0);
	assert_int_equal(query_int(db, "SELECT count(*) FROM pragma_table_info('sync_wait')"
				       " WHERE name = 'ctx_addr'"), 1);
	store_close(db);
}

/* A database of schema version 3 is upgraded in place: goroutine_context
 * gets its key, each goroutine's holdings numbered in the order they were
 * written, and the two indexes the key and goroutine_by_stack_wait stand in
 * for are gone. */
static void test_upgrade_from_v3(void **state)
{
	char path[4096];
	tmp_path(path, sizeof(path), "v3.db");
	schema_upto(path, 3);
	raw_exec(path, "INSERT INTO incident (core_path, core_sha256, exe_build_id, goroutine_count)"
		       " VALUES ('a.core', printf('%064d', 1), '', 2), ('b.core', printf('%064d', 2), '', 1);"
		       " INSERT INTO goroutine_context VALUES (1, 5, 0, 'ctx', 300, 'dwarf'),"
		       " (1, 3, NULL, NULL, 200, 'stack-scan'), (1, 5, NULL, NULL, 100, 'stack-scan'),"
		       " (2, 5, 1, 'r.ctx', 400, 'dwarf'), (1, 5, NULL, NULL, 300, 'stack-scan')");
	struct store_db *db = open_ok(path);
	assert_int_equal(query_int(db, "PRAGMA user_version"), STORE_SCHEMA_VERSION);
	assert_string_equal(query_text(db, "SELECT group_concat(r, ' ') FROM (SELECT incident_id || ':'"
					  " || goid || ':' || seq || ':' || ctx_addr || ':' || found_by"
					  " || ':' || ifnull(var_name, '-') AS r FROM goroutine_context"
					  " ORDER BY incident_id, goid, seq)"),
			    "1:3:0:200:stack-scan:- 1:5:0:300:dwarf:ctx 1:5:1:100:stack-scan:-"
			    " 1:5:2:300:stack-scan:- 2:5:0:400:dwarf:r.ctx");
	assert_string_equal(query_text(db, "SELECT group_concat(name, ',') FROM (SELECT name FROM"
					  " pragma_table_info('goroutine_context_base') WHERE pk > 0 ORDER BY pk)"),
			    "incident_id,goid,seq");
	assert_int_equal(query_int(db, "SELECT count(*) FROM sqlite_master WHERE name IN"
				       " ('goroutine_context_by_goid', 'goroutine_by_stack')"), 0);
	assert_int_equal(query_int(db, "SELECT count(*) FROM sqlite_master WHERE name ="
				       " 'goroutine_context_by_ctx'"), 1);
	assert_int_equal(query_int(db, "SELECT count(*) FROM sqlite_temp_master"), 0);
	store_close(db);
}

/*
 * A database of schema version 4 is upgraded: wait_waker's triples become
 * who reaches which object (wait_reacher), and the wait components of its
 * incidents are computed when it is opened: a cycle of two goroutines (each
 * the other's waker: 5 waits on 50, which 6 reaches; 6 on 60, which 5
 * reaches) and, in incident 2, none (its goroutine's wait was reached).
 */
static void test_upgrade_from_v4(void **state)
{
	char path[4096];
	tmp_path(path, sizeof(path), "v4.db");
	schema_upto(path, 4);
	raw_exec(path, "INSERT INTO incident (core_path, core_sha256, exe_build_id, goroutine_count)"
		       " VALUES ('a.core', printf('%064d', 1), '', 2), ('b.core', printf('%064d', 2), '', 1);"
		       " INSERT INTO heap_scan VALUES (1, 1, 10, 5, 500, 1, 1), (2, 1, 10, 5, 500, 1, 1);"
		       " INSERT INTO wait_reach VALUES (1, 5, 50, NULL, NULL), (1, 6, 60, NULL, NULL),"
		       " (2, 7, 70, 'global', NULL);"
		       " INSERT INTO wait_waker VALUES (1, 5, 50, 6), (1, 6, 60, 5)");
	struct store_db *db = open_ok(path);
	assert_int_equal(query_int(db, "PRAGMA user_version"), STORE_SCHEMA_VERSION);
	assert_string_equal(query_text(db, "SELECT group_concat(incident_id || ':' || obj_addr || ':' || goid, ' ')"
					  " FROM (SELECT * FROM wait_reacher ORDER BY 1, 2, 3)"),
			    "1:50:6 1:60:5");
	assert_string_equal(query_text(db, "SELECT group_concat(incident_id || ':' || components, ' ')"
					  " FROM (SELECT * FROM heap_scan ORDER BY 1)"),
			    "1:1 2:0");
	assert_string_equal(query_text(db, "SELECT kind || ':' || goroutines || ':' || objects"
					  " FROM wait_component WHERE incident_id = 1"),
			    "cycle:2:2");
	assert_string_equal(query_text(db, "SELECT group_concat(goid || '>' || waker_goid, ' ')"
					  " FROM (SELECT * FROM wait_member ORDER BY position)"),
			    "5>6 6>5");
	store_close(db);
	// Opened again, nothing is computed twice.
	db = open_ok(path);
	assert_int_equal(query_int(db, "SELECT count(*) FROM wait_member"), 2);
	store_close(db);
}

/*
 * A database of schema version 9 is upgraded: the canceled contexts of its
 * incidents (context_canceled, context_below_canceled) are computed from
 * their context rows when it is opened. A canceled cancelCtx 0x10 whose
 * parent 0x20 (a value) sits on a canceled 0x30: canceled from 0x30, two
 * steps up; below 0x10 a value 0x11 and a user type 0x12 with a live cancel
 * 0x13 under it; a canceled child 0x14 is a seed of its own.
 */
static void test_upgrade_from_v9(void **state)
{
	(void)state;
	char path[4096];
	tmp_path(path, sizeof(path), "v9.db");
	schema_upto(path, 9);
	raw_exec(path, "INSERT INTO incident (core_path, core_sha256, exe_build_id, goroutine_count)"
		       " VALUES ('a.core', printf('%064d', 1), '', 0);"
		       " INSERT INTO context (incident_id, addr, kind, type_name, parent_addr, done_chan,"
		       " done_closed, canceled) VALUES"
		       " (1, 48, 'cancel', '*context.cancelCtx', NULL, 1, 1, 1),"
		       " (1, 32, 'value', '*context.valueCtx', 48, NULL, 0, 0),"
		       " (1, 16, 'cancel', '*context.cancelCtx', 32, 2, 1, 1),"
		       " (1, 17, 'value', '*context.valueCtx', 16, NULL, 0, 0),"
		       " (1, 18, 'user', '*main.myCtx', 16, NULL, 0, NULL),"
		       " (1, 19, 'cancel', '*context.cancelCtx', 18, 3, 0, 0),"
		       " (1, 20, 'cancel', '*context.cancelCtx', 16, 4, 1, 1)");
	struct store_db *db = open_ok(path);
	assert_int_equal(query_int(db, "PRAGMA user_version"), STORE_SCHEMA_VERSION);
	assert_int_equal(query_int(db, "SELECT context_sets FROM incident"), 1);
	assert_string_equal(query_text(db, "SELECT group_concat(printf('%%#x<%%#x:%%d', addr, origin_addr,"
					  " origin_steps), ' ') FROM (SELECT * FROM context_canceled ORDER BY addr)"),
			    "0x10<0x30:2 0x14<0x30:3 0x30<0x30:0");
	assert_string_equal(query_text(db, "SELECT group_concat(path || ' u=' || CASE WHEN user_addr IS NULL THEN '-' ELSE printf('%%#x', user_addr) END, ' | ')"
					  " FROM (SELECT * FROM context_below_canceled WHERE seed_addr = 16"
					  " ORDER BY depth, addr)"),
			    "0x10 cancel (canceled) u=- | 0x10 cancel (canceled) > 0x11 value u=- | "
			    "0x10 cancel (canceled) > 0x12 *main.myCtx u=0x12 | "
			    "0x10 cancel (canceled) > 0x12 *main.myCtx > 0x13 cancel u=0x12");
	store_close(db);
	// Opened again, nothing is computed twice.
	db = open_ok(path);
	assert_int_equal(query_int(db, "SELECT count(*) FROM context_canceled"), 3);
	store_close(db);
}

/*
 * A database of schema version 10 is upgraded: build_settings lose the
 * opening modinfo sentinel and the 8 bytes of the closing one before its
 * NUL, which versions before 11 stored; other values are left alone.
 */
static void test_upgrade_from_v10(void **state)
{
	(void)state;
	char path[4096];
	tmp_path(path, sizeof(path), "v10.db");
	schema_upto(path, 10);
	raw_exec(path, "INSERT INTO incident (core_path, core_sha256, exe_build_id, goroutine_count,"
		       " build_settings) VALUES"
		       " ('a.core', printf('%064d', 1), '', 0, CAST(X'3077AF0C9274080241E1C107E6D618E6'"
		       "   || CAST('path' || char(9) || 'example.com/a' || char(10) AS BLOB)"
		       "   || X'F932433186182072' AS TEXT)),"
		       " ('b.core', printf('%064d', 2), '', 0, 'path' || char(9) || 'example.com/b' || char(10)),"
		       " ('c.core', printf('%064d', 3), '', 0, '')");
	struct store_db *db = open_ok(path);
	assert_int_equal(query_int(db, "PRAGMA user_version"), STORE_SCHEMA_VERSION);
	assert_string_equal(query_text(db, "SELECT group_concat(replace(replace(build_settings,"
					  " char(9), '\\t'), char(10), '\\n'), '|') FROM incident"),
			    "path\\texample.com/a\\n|path\\texample.com/b\\n|");
	store_close(db);
}

/*
 * A database of schema version 13 is upgraded: its incidents get their
 * goroutine_group rows from their goroutine rows (the stack, user or system,
 * the state and the creator split the goroutines; the example is the
 * smallest goid, the waits the shortest and longest known), and the summary
 * that reads them (the signature's bucket terms) is computed again.
 */
static void test_upgrade_from_v13(void **state)
{
	(void)state;
	char path[4096];
	tmp_path(path, sizeof(path), "v13.db");
	schema_upto(path, 13);
	raw_exec(path, "INSERT INTO incident (id, core_path, core_sha256, exe_build_id, goroutine_count)"
		       " VALUES (1, 'a.core', printf('%064d', 1), '', 6), (2, 'b.core', printf('%064d', 2), '', 1);"
		       " INSERT INTO stack (incident_id, stack_id, depth) VALUES (1, 1, 1), (1, 2, 1), (2, 1, 1);"
		       " INSERT INTO frame (incident_id, stack_id, depth, pc, pc_offset, func, file, line,"
		       " inlined) VALUES (1, 1, 0, 1, 0, 'main.a', 'a.go', 1, 0),"
		       " (1, 2, 0, 2, 0, 'main.b', 'b.go', 2, 0), (2, 1, 0, 1, 0, 'main.a', 'a.go', 1, 0);"
		       " INSERT INTO goroutine (incident_id, goid, status, status_code, wait_reason,"
		       " wait_minutes, is_system, locked, stack_id, g_addr, created_by_func) VALUES"
		       " (1, 9, 'waiting', 4, 'chan receive', 3, 0, 0, 1, 1, 'main.serve'),"
		       " (1, 4, 'waiting', 4, 'chan receive', NULL, 0, 0, 1, 2, 'main.serve'),"
		       " (1, 7, 'waiting', 4, 'chan receive', 8, 0, 0, 1, 3, 'main.serve'),"
		       " (1, 5, 'waiting', 4, 'chan receive', 1, 0, 0, 1, 4, NULL),"
		       " (1, 6, 'runnable', 1, NULL, NULL, 0, 0, 1, 5, 'main.serve'),"
		       " (1, 2, 'waiting', 4, 'select', 2, 1, 0, 2, 6, 'main.serve'),"
		       " (2, 1, 'waiting', 4, 'chan receive', 0, 0, 0, 1, 7, NULL)");
	struct store_db *db = open_ok(path);
	assert_int_equal(query_int(db, "PRAGMA user_version"), STORE_SCHEMA_VERSION);
	assert_string_equal(query_text(db, "SELECT group_concat(r, '|') FROM (SELECT incident_id"
					  " || ',' || stack_id || ',' || is_system || ',' || state || ','"
					  " || COALESCE(creator, '-') || ',' || goroutines || ',' || example_goid"
					  " || ',' || COALESCE(min_wait_minutes, '-') || ','"
					  " || COALESCE(max_wait_minutes, '-') AS r FROM goroutine_group"
					  " ORDER BY incident_id, stack_id, example_goid)"),
			    "1,1,0,chan receive,main.serve,3,4,3,8|1,1,0,chan receive,-,1,5,1,1"
			    "|1,1,0,runnable,main.serve,1,6,-,-|1,2,1,select,main.serve,1,2,2,2"
			    "|2,1,0,chan receive,-,1,1,0,0");
	assert_int_equal(query_int(db, "SELECT count(*) FROM incident WHERE goroutine_groups = 1"), 2);
	// The signature's bucket term counts the 5 user goroutines of stack 1.
	assert_string_equal(query_text(db, "SELECT group_concat(term || '=' || round(weight, 3), '|')"
					  " FROM (SELECT term, weight FROM incident_signature"
					  " WHERE incident_id = 1 ORDER BY term)"),
			    "bucket:main.a=2.609");
	store_close(db);
}

/*
 * Version 15 keeps context_child as a column of context_base: a version-14
 * database's pairs read the same through the view after the upgrade (those
 * that do not fit the column in context_child_extra), and SQL written by
 * hand inserts and deletes through it as on the table.
 */
static void test_upgrade_from_v14(void **state)
{
	(void)state;
	char path[4096];
	tmp_path(path, sizeof(path), "v14.db");
	schema_upto(path, 14);
	// 32 in 16's map; 48 in two maps; 99 has no context row.
	raw_exec(path, "INSERT INTO incident (core_path, core_sha256, exe_build_id, goroutine_count)"
		       " VALUES ('a.core', printf('%064d', 1), '', 0);"
		       " INSERT INTO context (incident_id, addr, kind, type_name, parent_addr, done_chan,"
		       "  done_closed, canceled, found_in) VALUES"
		       " (1, 16, 'cancel', '*context.cancelCtx', NULL, 1, 0, 0, 'frame'),"
		       " (1, 24, 'cancel', '*context.cancelCtx', 16, 2, 0, 0, 'frame'),"
		       " (1, 32, 'timer', '*context.timerCtx', 16, 3, 0, 0, 'frame'),"
		       " (1, 48, 'cancel', '*context.cancelCtx', 24, 4, 0, 0, 'frame'),"
		       " (1, 64, 'value', '*context.valueCtx', 48, NULL, 0, NULL, 'frame');"
		       " INSERT INTO context_child VALUES (1, 16, 32), (1, 24, 48), (1, 16, 48),"
		       "  (1, 24, 99)");
	const char *pairs = "SELECT group_concat(r, ';') FROM (SELECT parent_addr || '>' ||"
			    " child_addr AS r FROM context_child ORDER BY incident_id, parent_addr,"
			    " child_addr)";
	struct store_db *db = open_ok(path);
	assert_int_equal(query_int(db, "PRAGMA user_version"), STORE_SCHEMA_VERSION);
	assert_string_equal(query_text(db, pairs), "16>32;16>48;24>48;24>99");
	assert_string_equal(query_text(db, "SELECT group_concat(addr || ':' || registered_in)"
					  " FROM context_base WHERE registered_in IS NOT NULL"),
			    "32:16,48:16");
	assert_string_equal(query_text(db, "SELECT group_concat(parent_addr || '>' || child_addr,"
					  " ';') FROM context_child_extra"),
			    "24>48;24>99");
	// Through the view: a pair into the child's row, a duplicate refused,
	// a deleted one gone from wherever it was.
	sqlite3 *h = store_handle(db);
	exec_sql(h, "INSERT INTO context_child VALUES (1, 48, 64)");
	assert_int_equal(query_int(db, "SELECT registered_in FROM context_base WHERE addr = 64"), 48);
	assert_int_equal(sqlite3_exec(h, "INSERT INTO context_child VALUES (1, 48, 64)", NULL, NULL,
				      NULL) & 0xff, SQLITE_CONSTRAINT);
	assert_int_equal(sqlite3_exec(h, "INSERT INTO context_child VALUES (1, 24, 99)", NULL, NULL,
				      NULL) & 0xff, SQLITE_CONSTRAINT);
	exec_sql(h, "DELETE FROM context_child WHERE child_addr = 48 AND parent_addr = 16;"
		    " DELETE FROM context_child WHERE child_addr = 99");
	assert_string_equal(query_text(db, pairs), "16>32;24>48;48>64");
	// A context changed or deleted through view context keeps its pair.
	exec_sql(h, "UPDATE context SET canceled = 1 WHERE addr = 32; DELETE FROM context WHERE addr = 64");
	assert_string_equal(query_text(db, pairs), "16>32;24>48;48>64");
	assert_int_equal(query_int(db, "SELECT canceled FROM context WHERE addr = 32"), 1);
	exec_sql(h, "UPDATE context_child SET parent_addr = 24 WHERE child_addr = 32");
	assert_string_equal(query_text(db, pairs), "24>32;24>48;48>64");
	assert_string_equal(query_text(db, "PRAGMA integrity_check"), "ok");
	store_close(db);
}

/*
 * Version 12 keeps context and defer_call as views over compact tables: the
 * rows of a version-11 database read the same after the upgrade, and SQL
 * written by hand inserts, updates and deletes through the views as it did
 * on the tables (vocabulary words become codes, other text stays text).
 */
static void test_upgrade_from_v11(void **state)
{
	(void)state;
	char path[4096];
	tmp_path(path, sizeof(path), "v11.db");
	schema_upto(path, 11);
	raw_exec(path, "INSERT INTO incident (core_path, core_sha256, exe_build_id, goroutine_count)"
		       " VALUES ('a.core', printf('%064d', 1), '', 0);"
		       " INSERT INTO context (incident_id, addr, kind, type_name, parent_addr, done_chan,"
		       "  done_closed, canceled, err, cause, deadline_unix_ns, value_key, value_text,"
		       "  timer_pending, found_in, found_at) VALUES"
		       " (1, 16, 'background', 'context.backgroundCtx', NULL, NULL, 0, 0, NULL, NULL,"
		       "  NULL, NULL, NULL, NULL, 'ancestor', NULL),"
		       " (1, 32, 'cancel', '*context.cancelCtx', 16, 48, 1, 1, 'context canceled',"
		       "  'shutdown', NULL, NULL, NULL, NULL, 'frame', NULL),"
		       " (1, 64, 'value', '*context.valueCtx', 32, NULL, 0, 0, NULL, NULL, NULL,"
		       "  'main.key(\"a\")', '\"x\"', NULL, 'global', 'main.ctx'),"
		       " (1, 80, 'user', '*main.myCtx', 32, NULL, 0, NULL, 'my error', NULL, NULL,"
		       "  NULL, NULL, NULL, NULL, NULL),"
		       " (1, 96, 'timer', NULL, 32, NULL, 1, 1, 'context deadline exceeded', NULL,"
		       "  1000, NULL, NULL, 0, 'map', 'goroutine 3');"
		       " INSERT INTO defer_call (incident_id, goid, seq, func, frame_depth, kind) VALUES"
		       " (1, 1, 0, 'main.cleanup', 2, 'open-coded'), (1, 1, 1, NULL, NULL, 'heap'),"
		       " (1, 2, 0, 'main.f.func1', 0, 'weird');"
		       " INSERT INTO stack (incident_id, stack_id, depth) VALUES (1, 1, 0);"
		       " INSERT INTO goroutine (incident_id, goid, status, status_code, wait_reason,"
		       "  created_by_func, created_by_file, created_by_line, start_func, is_system,"
		       "  locked, stack_id, g_addr) VALUES"
		       " (1, 1, 'waiting', 4, 'chan receive', 'main.main', '/a.go', 7, 'main.w', 0, 0,"
		       "  1, 4096),"
		       " (1, 2, '?\?\?', 31, NULL, NULL, NULL, NULL, NULL, 1, 1, 1, 8192),"
		       " (1, 3, 'odd', 40, 'select (no cases)', NULL, NULL, NULL, 'main.w', 0, 0, 1,"
		       "  12288);"
		       " INSERT INTO chan_wait VALUES (1, 1, 4096, 'send', 0, 0), (1, 1, 4096, 'recv', 1, -1);"
		       " INSERT INTO wait_reach VALUES (1, 1, 4096, 'goroutine', 3), (1, 3, 8192, NULL, NULL),"
		       "  (1, 3, 4096, 'global', NULL);"
		       " INSERT INTO goroutine_context VALUES (1, 1, 0, 2, 'ctx', 32, 'dwarf', 'dwarf-live'),"
		       "  (1, 1, 1, NULL, NULL, 64, 'stack-scan', 'stack-scan-unverified'),"
		       "  (1, 3, 0, 0, 'r.ctx', 32, 'dwarf', NULL)");
	const char *ctx_rows = "SELECT group_concat(r, ';') FROM (SELECT quote(incident_id) || ','"
			       " || quote(addr) || ',' || quote(kind) || ',' || quote(type_name) || ','"
			       " || quote(parent_addr) || ',' || quote(done_chan) || ','"
			       " || quote(done_closed) || ',' || quote(canceled) || ',' || quote(err)"
			       " || ',' || quote(cause) || ',' || quote(deadline_unix_ns) || ','"
			       " || quote(value_key) || ',' || quote(value_text) || ','"
			       " || quote(timer_pending) || ',' || quote(found_in) || ','"
			       " || quote(found_at) AS r FROM context ORDER BY incident_id, addr)";
	const char *defer_rows = "SELECT group_concat(r, ';') FROM (SELECT quote(incident_id) || ','"
				 " || quote(goid) || ',' || quote(seq) || ',' || quote(func) || ','"
				 " || quote(frame_depth) || ',' || quote(kind) AS r FROM defer_call"
				 " ORDER BY incident_id, goid, seq)";
	// After the upgrade, the views show what version 11's tables held.
	struct store_db *db = open_ok(path);
	assert_int_equal(query_int(db, "PRAGMA user_version"), STORE_SCHEMA_VERSION);
	assert_string_equal(query_text(db, ctx_rows),
			    "1,16,'background','context.backgroundCtx',NULL,NULL,0,0,NULL,NULL,NULL,NULL,NULL,NULL,'ancestor',NULL;"
			    "1,32,'cancel','*context.cancelCtx',16,48,1,1,'context canceled','shutdown',NULL,NULL,NULL,NULL,'frame',NULL;"
			    "1,64,'value','*context.valueCtx',32,NULL,0,0,NULL,NULL,NULL,'main.key(\"a\")','\"x\"',NULL,'global','main.ctx';"
			    "1,80,'user','*main.myCtx',32,NULL,0,NULL,'my error',NULL,NULL,NULL,NULL,NULL,NULL,NULL;"
			    "1,96,'timer',NULL,32,NULL,1,1,'context deadline exceeded',NULL,1000,NULL,NULL,0,'map','goroutine 3'");
	assert_string_equal(query_text(db, defer_rows),
			    "1,1,0,'main.cleanup',2,'open-coded';1,1,1,NULL,NULL,'heap';"
			    "1,2,0,'main.f.func1',0,'weird'");
	assert_string_equal(query_text(db, "SELECT group_concat(goid || quote(status) || status_code"
					  " || quote(wait_reason) || quote(created_by_func)"
					  " || quote(created_by_file) || quote(start_func) || is_system"
					  " || locked || g_addr, ' ') FROM (SELECT * FROM goroutine ORDER BY goid)"),
			    "1'waiting'4'chan receive''main.main''/a.go''main.w'004096"
			    " 2'?\?\?'31NULLNULLNULLNULL118192"
			    " 3'odd'40'select (no cases)'NULLNULL'main.w'0012288");
	assert_string_equal(query_text(db, "SELECT group_concat(quote(status), ' ') FROM"
					  " (SELECT status FROM goroutine_base ORDER BY goid)"),
			    "4 9 'odd'");
	assert_string_equal(query_text(db, "SELECT group_concat(r, ' ') FROM (SELECT goid || chan_addr"
					  " || direction || in_select || queue_pos AS r FROM chan_wait"
					  " ORDER BY goid, chan_addr, direction)"),
			    "14096recv1-1 14096send00");
	assert_string_equal(query_text(db, "SELECT group_concat(r, ' ') FROM (SELECT goid || obj_addr"
					  " || quote(reached_by) || quote(via_goid) AS r FROM wait_reach"
					  " ORDER BY goid, obj_addr)"),
			    "14096'goroutine'3 34096'global'NULL 38192NULLNULL");
	assert_string_equal(query_text(db, "SELECT group_concat(r, ' ') FROM (SELECT goid || seq"
					  " || quote(frame_depth) || quote(var_name) || ctx_addr || found_by"
					  " || quote(evidence) AS r FROM goroutine_context ORDER BY goid, seq)"),
			    "102'ctx'32dwarf'dwarf-live' 11NULLNULL64stack-scan'stack-scan-unverified'"
			    " 300'r.ctx'32dwarfNULL");
	assert_int_not_equal(sqlite3_exec(store_handle(db), "INSERT INTO goroutine_context VALUES"
					  " (1, 3, 1, 0, 'c', 32, 'dwarf', 'maybe')", NULL, NULL, NULL),
			     SQLITE_OK);
	assert_string_equal(query_text(db, "SELECT type FROM sqlite_master WHERE name = 'context'"),
			    "view");
	// Vocabulary words are codes in the base table, other text is text.
	assert_string_equal(query_text(db, "SELECT group_concat(quote(kind) || quote(type_name), ' ')"
					  " FROM context_base"), // 'user' is 8
			    "00 23 45 8'*main.myCtx' 3NULL");
	// Writing through the views: a number given for a text column is text,
	// as in version 11's TEXT columns; OR IGNORE keeps the first row.
	exec_sql(store_handle(db), "INSERT INTO context (incident_id, addr, kind, done_closed, err, found_in)"
		       " VALUES (1, 112, 7, 0, 'context canceled', 'heap');"
		       " INSERT OR IGNORE INTO context (incident_id, addr, kind, done_closed)"
		       " VALUES (1, 112, 'todo', 0);"
		       " UPDATE context SET canceled = 1, value_key = 'k' WHERE addr = 64;"
		       " DELETE FROM context WHERE addr = 80;"
		       " UPDATE defer_call SET kind = 'stack' WHERE goid = 2;"
		       " DELETE FROM defer_call WHERE goid = 1 AND seq = 1;"
		       " UPDATE goroutine SET status = 'running', start_func = 'main.x' WHERE goid = 1;"
		       " DELETE FROM goroutine WHERE goid = 2");
	assert_string_equal(query_text(db, "SELECT group_concat(goid || quote(status) || quote(start_func)"
					  " || quote(created_by_func), ' ') FROM (SELECT * FROM goroutine"
					  " ORDER BY goid)"),
			    "1'running''main.x''main.main' 3'odd''main.w'NULL");
	// The partial index still answers the reasons it holds.
	assert_int_equal(query_int(db, "SELECT count(*) FROM goroutine_base INDEXED BY goroutine_by_wait"
				       " WHERE incident_id = 1 AND wait_reason IN ('chan receive (nil chan)',"
				       " 'chan send (nil chan)', 'select (no cases)')"), 1);
	assert_string_equal(query_text(db, "SELECT group_concat(quote(addr) || quote(kind) || quote(canceled)"
					  " || quote(value_key) || quote(found_in), ' ') FROM context"
					  " WHERE addr IN (64, 80, 112)"),
			    "64'value'1'k''global' 112'7'NULLNULL'heap'");
	assert_string_equal(query_text(db, "SELECT typeof(kind) FROM context_base WHERE addr = 112"),
			    "text");
	assert_string_equal(query_text(db, defer_rows),
			    "1,1,0,'main.cleanup',2,'open-coded';1,2,0,'main.f.func1',0,'stack'");
	exec_sql(store_handle(db), "UPDATE chan_wait SET queue_pos = 5 WHERE direction = 'send';"
				   " DELETE FROM chan_wait WHERE direction = 'recv';"
				   " INSERT INTO context (incident_id, addr, kind, done_closed, canceled)"
				   " VALUES (1, 144, 'cancel', '1', '0')");
	assert_string_equal(query_text(db, "SELECT group_concat(direction || queue_pos) FROM chan_wait"),
			    "send5");
	assert_string_equal(query_text(db, "SELECT done_closed || canceled || quote(timer_pending)"
					  " || quote(found_in) FROM context WHERE addr = 144"),
			    "10NULLNULL");
	// The 0/1 columns keep their CHECK: another value is refused, and
	// skipped under OR IGNORE.
	assert_int_not_equal(sqlite3_exec(store_handle(db), "INSERT INTO context (incident_id, addr,"
					  " kind, done_closed, canceled) VALUES (1, 160, 'cancel', 0, 5)",
					  NULL, NULL, NULL), SQLITE_OK);
	exec_sql(store_handle(db), "INSERT OR IGNORE INTO context (incident_id, addr, kind, done_closed)"
				   " VALUES (1, 176, 'cancel', 2)");
	assert_int_equal(query_int(db, "SELECT count(*) FROM context WHERE addr IN (160, 176)"), 0);
	// found_in keeps its CHECK: a word outside the list is refused.
	assert_int_not_equal(sqlite3_exec(store_handle(db), "INSERT INTO context (incident_id, addr,"
					  " kind, done_closed, found_in) VALUES (1, 128, 'cancel', 0,"
					  " 'nowhere')", NULL, NULL, NULL), SQLITE_OK);
	store_close(db);
}

/*
 * Every byte string that lands in a TEXT column is valid UTF-8: invalid bytes
 * of a label, a function name, a wait reason, a path or the build settings
 * are written \xNN, valid multibyte text is kept.
 */
static void test_text_is_utf8(void **state)
{
	(void)state;
	char path[4096];
	tmp_path(path, sizeof(path), "utf8.db");
	struct gr_snapshot s;
	make_snapshot(&s);
	goroutines[3].labels = "{\"k\xff\":\"\xc3\x28 caf\xc3\xa9 \xed\xa0\x80\"}";
	goroutines[0].wait_reason = "chan \xfe receive";
	goroutines[0].start_func = "main.st\xff"; // stored once in incident_text
	goroutines[1].start_func = "main.st\xff";
	s.build_settings = "path\texample.com/\x80" "app\n";
	struct gr_frame bad_frames[5];
	memcpy(bad_frames, goroutines[2].frames, sizeof(bad_frames));
	bad_frames[2].func = "main.w\xc0\xafrker";
	goroutines[2].frames = bad_frames;
	struct store_incident inc = incident_a;
	inc.core_path = "/tmp/\xe9t\xe9.core";
	struct store_db *db = open_ok(path);
	bool existed;
	int64_t id = ingest_ok(db, &inc, &s, &existed);
	assert_string_equal(query_text(db, "SELECT labels FROM goroutine WHERE incident_id = %lld AND goid = 7",
				       (long long)id),
			    "{\"k\\xff\":\"\\xc3( caf\xc3\xa9 \\xed\\xa0\\x80\"}");
	assert_string_equal(query_text(db, "SELECT wait_reason FROM goroutine WHERE incident_id = %lld AND goid = 1",
				       (long long)id),
			    "chan \\xfe receive");
	assert_string_equal(query_text(db, "SELECT group_concat(start_func, ' ') FROM goroutine"
				       " WHERE incident_id = %lld AND goid IN (1, 2)", (long long)id),
			    "main.st\\xff main.st\\xff");
	assert_int_equal(query_int(db, "SELECT count(*) FROM incident_text WHERE incident_id = %lld"
				       " AND text = 'main.st\\xff'", (long long)id), 1);
	assert_string_equal(query_text(db, "SELECT build_settings FROM incident WHERE id = %lld",
				       (long long)id),
			    "path\texample.com/\\x80app\n");
	assert_string_equal(query_text(db, "SELECT core_path FROM incident WHERE id = %lld", (long long)id),
			    "/tmp/\\xe9t\\xe9.core");
	assert_int_equal(query_int(db, "SELECT count(*) FROM frame WHERE incident_id = %lld"
				       " AND func = 'main.w\\xc0\\xafrker'", (long long)id), 1);
	// No TEXT value of the incident's rows is invalid UTF-8: a text value
	// that went through a BLOB and back unchanged is what SQLite read.
	assert_int_equal(query_int(db, "SELECT count(*) FROM goroutine WHERE labels IS NOT NULL"
				       " AND labels != CAST(CAST(labels AS BLOB) AS TEXT)"), 0);
	store_close(db);
	memset(goroutines, 0, sizeof(goroutines));
}

/* A version-5 database gets heap_scan's version-6 columns, NULL for its
 * incidents (marked word by word then), and leak_suspect's evidence. */
static void test_upgrade_from_v5(void **state)
{
	(void)state;
	char path[4096];
	tmp_path(path, sizeof(path), "v5.db");
	schema_upto(path, 5);
	raw_exec(path, "INSERT INTO incident (core_path, core_sha256, exe_build_id, goroutine_count)"
		       " VALUES ('a.core', printf('%064d', 1), '', 1);"
		       " INSERT INTO heap_scan VALUES (1, 1, 10, 5, 500, 1, 0, 0);");
	struct store_db *db = open_ok(path);
	assert_int_equal(query_int(db, "PRAGMA user_version"), STORE_SCHEMA_VERSION);
	assert_string_equal(query_text(db, "SELECT complete || ':' || typeof(heap_bits) || ':' ||"
					  " typeof(objects_precise) || ':' || typeof(global_words_conservative)"
					  " FROM heap_scan"),
			    "0:null:null:null");
	assert_int_equal(query_int(db, "SELECT count(evidence) FROM leak_suspect"), 0);
	store_close(db);
}

/* A database of schema version 2 is upgraded in place: its incidents get the
 * version-3 columns and tables, and their summary rows (finding counts,
 * signature) are computed from their stored goroutines when it is opened for
 * writing, so 'incidents' and 'similar' know them like new ones. */
static void test_upgrade_from_v2(void **state)
{
	char path[4096];
	tmp_path(path, sizeof(path), "v2.db");
	schema_upto(path, 2);
	// One old incident: three user goroutines parked in main.worker called
	// by main.run (runtime frames around them), and one system goroutine.
	raw_exec(path, "INSERT INTO incident (core_path, core_sha256, exe_build_id, goroutine_count)"
		       " VALUES ('old.core', printf('%064d', 0), '', 4);"
		       " INSERT INTO stack VALUES (1, 1, 4), (1, 2, 1);"
		       " INSERT INTO frame (incident_id, stack_id, depth, pc, pc_offset, func, inlined)"
		       " VALUES (1, 1, 0, 1, 0, 'runtime.gopark', 0), (1, 1, 1, 2, 0, 'main.worker', 0),"
		       " (1, 1, 2, 3, 0, 'main.run', 0), (1, 1, 3, 4, 0, 'runtime.goexit', 0),"
		       " (1, 2, 0, 5, 0, 'runtime.bgsweep', 0);"
		       " INSERT INTO goroutine (incident_id, goid, status, status_code, is_system,"
		       " locked, stack_id, g_addr) VALUES (1, 1, 'waiting', 4, 0, 0, 1, 16),"
		       " (1, 2, 'waiting', 4, 0, 0, 1, 32), (1, 3, 'waiting', 4, 0, 0, 1, 48),"
		       " (1, 4, 'waiting', 4, 1, 0, 2, 64)");
	struct store_db *db = open_ok(path);
	assert_int_equal(query_int(db, "PRAGMA user_version"), STORE_SCHEMA_VERSION);
	assert_int_equal(query_int(db, "SELECT count(*) FROM sqlite_master WHERE name IN"
				       " ('incident_tag', 'incident_finding', 'incident_signature',"
				       " 'core_blob')"), 4);
	assert_int_equal(query_int(db, "SELECT count(*) FROM pragma_table_info('incident')"
				       " WHERE name IN ('name', 'captured_at', 'summary_version')"), 3);
	// Summarized on open: the one bucket, without runtime frames, weighted
	// by its three goroutines; no findings (no contexts, no heap scan).
	assert_int_equal(query_int(db, "SELECT summary_version FROM incident WHERE id = 1"),
			 STORE_SUMMARY_VERSION);
	assert_string_equal(query_text(db, "SELECT group_concat(term, '|') FROM incident_signature"),
			    "bucket:main.worker < main.run");
	assert_int_equal(query_int(db, "SELECT round(weight * 1000) FROM incident_signature"),
			 2099); // 1 + ln(3)
	assert_int_equal(query_int(db, "SELECT count(*) FROM incident_finding"), 0);
	assert_string_equal(query_text(db, "SELECT captured_at FROM incident"), "NULL");
	// Tags and the name on the upgraded incident.
	assert_null(store_set_tag(db, 1, "host", "db-3"));
	assert_null(store_set_tag(db, 1, "name", "old hang"));
	assert_string_equal(query_text(db, "SELECT name || ' ' || tags FROM incident_summary"),
			    "old hang host=db-3");
	assert_null(store_set_tag(db, 1, "host", "db-4"));
	assert_string_equal(query_text(db, "SELECT tags FROM incident_summary"), "host=db-4");
	assert_null(store_set_tag(db, 1, "host", ""));
	assert_null(store_set_tag(db, 1, "name", NULL));
	assert_string_equal(query_text(db, "SELECT quote(name) || quote(tags) FROM incident_summary"),
			    "NULLNULL");
	struct util_error *err = store_set_tag(db, 2, "host", "x");
	assert_true(util_error_is(err, UTIL_ERROR_NOT_FOUND));
	util_error_destroy(err);
	err = store_set_tag(db, 1, "bad key", "x");
	assert_true(util_error_is(err, UTIL_ERROR_INVALID));
	util_error_destroy(err);
	// Several tags at once: all of them, or with a bad key among them none.
	const char *keys[] = {"name", "host", "bad key"}, *values[] = {"hang", "db-5", "x"};
	err = store_set_tags(db, 1, keys, values, 3);
	assert_true(util_error_is(err, UTIL_ERROR_INVALID));
	util_error_destroy(err);
	assert_string_equal(query_text(db, "SELECT quote(name) || quote(tags) FROM incident_summary"),
			    "NULLNULL");
	assert_null(store_set_tags(db, 1, keys, values, 2));
	assert_string_equal(query_text(db, "SELECT name || ' ' || tags FROM incident_summary"),
			    "hang host=db-5");
	store_close(db);
	// Reopening leaves the summary alone; an outdated one is computed again.
	raw_exec(path, "UPDATE incident SET summary_version = 0;"
		       " DELETE FROM incident_signature");
	db = open_ok(path);
	assert_int_equal(query_int(db, "SELECT count(*) FROM incident_signature"), 1);
	store_close(db);
}

/* ---- forget, import ----------------------------------------------------- */

static const struct store_incident incident_b = {
	.core_path = "/var/crash/core.app.5678",
	.core_sha256 = "ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100",
	.exe_path = "/usr/bin/app",
	.exe_build_id = "4c1d5e0a",
	.go_version = "go1.22.3",
	.tool_version = "0.1.0",
};

/* Rows of incident ID in every table with an incident_id column. */
static int64_t incident_rows(struct store_db *db, int64_t id)
{
	sqlite3_stmt *s;
	assert_int_equal(sqlite3_prepare_v2(store_handle(db),
					    "SELECT name FROM sqlite_master m WHERE type = 'table' AND"
					    " EXISTS (SELECT 1 FROM pragma_table_info(m.name)"
					    "         WHERE name = 'incident_id')",
					    -1, &s, NULL),
			 SQLITE_OK);
	int64_t total = query_int(db, "SELECT count(*) FROM incident WHERE id = %lld", (long long)id);
	while (sqlite3_step(s) == SQLITE_ROW)
		total += query_int(db, "SELECT count(*) FROM \"%s\" WHERE incident_id = %lld",
				   (const char *)sqlite3_column_text(s, 0), (long long)id);
	sqlite3_finalize(s);
	return total;
}

/* A database with incidents A and B, a table a later schema might add, and
 * stored cores; *A_RET and *B_RET are their ids. */
static struct store_db *two_incidents(const char *path, int64_t *a_ret, int64_t *b_ret)
{
	struct gr_snapshot snap;
	make_snapshot(&snap);
	struct store_db *db = open_ok(path);
	bool existed;
	*a_ret = ingest_ok(db, &incident_a, &snap, &existed);
	*b_ret = ingest_ok(db, &incident_b, &snap, &existed);
	exec_sql(store_handle(db),
		 "CREATE TABLE later (note TEXT, incident_id INTEGER NOT NULL);"
		 " INSERT INTO later SELECT 'n' || id, id FROM incident;"
		 " CREATE TABLE IF NOT EXISTS core_blob (sha256 TEXT PRIMARY KEY, compression TEXT, size INTEGER,"
		 "   data BLOB);"
		 " INSERT INTO core_blob SELECT core_sha256, 'zstd', 1, x'00' FROM incident;");
	return db;
}

static void test_forget(void **state)
{
	char path[4096];
	int64_t a, b;
	struct store_db *db = two_incidents(tmp_path(path, sizeof(path), "forget.db"), &a, &b);
	int64_t b_rows = incident_rows(db, b);
	assert_true(incident_rows(db, a) > 20);
	// Tables are emptied in name order: foreign keys are checked at COMMIT.
	exec_sql(store_handle(db), "PRAGMA foreign_keys = ON");
	assert_null(store_forget(db, a));
	assert_int_equal(incident_rows(db, a), 0);
	assert_int_equal(incident_rows(db, b), b_rows);
	assert_int_equal(query_int(db, "SELECT count(*) FROM core_blob WHERE sha256 = '%s'",
				   incident_a.core_sha256), 0);
	assert_int_equal(query_int(db, "SELECT count(*) FROM core_blob"), 1);
	assert_string_equal(query_text(db, "PRAGMA integrity_check"), "ok");
	assert_int_equal(query_int(db, "SELECT count(*) FROM pragma_foreign_key_check"), 0);
	struct util_error *err = store_forget(db, a);
	assert_true(util_error_is(err, UTIL_ERROR_NOT_FOUND));
	assert_non_null(strstr(err->message, "no incident"));
	util_error_destroy(err);
	// The newest forgotten, its id is not given again.
	assert_true(b > a);
	assert_null(store_forget(db, b));
	struct gr_snapshot snap;
	make_snapshot(&snap);
	bool existed;
	int64_t c = ingest_ok(db, &incident_a, &snap, &existed);
	assert_false(existed);
	assert_int_equal(c, b + 1);
	assert_null(store_forget(db, c));
	assert_int_equal(query_int(db, "SELECT last_id FROM incident_last_id"), c);
	assert_int_equal(query_int(db, "SELECT count(*) FROM incident_last_id"), 1);
	store_close(db);
}

static void test_import(void **state)
{
	char src[4096], dst[4096];
	int64_t a, b;
	struct store_db *s = two_incidents(tmp_path(src, sizeof(src), "import-src.db"), &a, &b);
	int64_t b_rows = incident_rows(s, b);
	store_close(s);

	// The target has A already (another id), no later table, no core_blob.
	struct gr_snapshot snap;
	make_snapshot(&snap);
	struct store_db *db = open_ok(tmp_path(dst, sizeof(dst), "import-dst.db"));
	bool existed;
	ingest_ok(db, &incident_b, &snap, &existed); // takes id 1 here
	assert_null(store_forget(db, 1));
	int64_t a_here = ingest_ok(db, &incident_a, &snap, &existed);
	struct store_import_result r = {0};
	assert_null(store_import(db, src, 0, &r));
	assert_int_equal(r.imported, 1);
	assert_int_equal(r.skipped, 1);
	int64_t b_here = r.last_id;
	assert_true(b_here > a_here);
	// Every row but the later table's, which this schema lacks.
	assert_int_equal(incident_rows(db, b_here), b_rows - 1);
	assert_int_equal(query_int(db, "SELECT count(*) FROM diagnostic"), 4);
	assert_int_equal(query_int(db, "SELECT count(DISTINCT id) FROM diagnostic"), 4);
	assert_string_equal(query_text(db, "SELECT core_path FROM incident WHERE id = %lld",
				       (long long)b_here), incident_b.core_path);
	assert_string_equal(query_text(db, "PRAGMA integrity_check"), "ok");
	assert_int_equal(query_int(db, "SELECT count(*) FROM pragma_foreign_key_check"), 0);

	// Again: nothing new. One incident that is absent: not found.
	assert_null(store_import(db, src, 0, &r));
	assert_int_equal(r.imported, 0);
	assert_int_equal(r.skipped, 2);
	struct util_error *err = store_import(db, src, 99, &r);
	assert_true(util_error_is(err, UTIL_ERROR_NOT_FOUND));
	util_error_destroy(err);
	store_close(db);

	// Into a target with core_blob and the later table: both follow, and
	// only the one incident asked for.
	char one[4096];
	db = open_ok(tmp_path(one, sizeof(one), "import-one.db"));
	exec_sql(store_handle(db),
		 "CREATE TABLE later (incident_id INTEGER NOT NULL, note TEXT);"
		 " CREATE TABLE IF NOT EXISTS core_blob (data BLOB, sha256 TEXT PRIMARY KEY, size INTEGER,"
		 "   compression TEXT);"
		 // frame rows come before their stack rows (name order): checked at COMMIT
		 " PRAGMA foreign_keys = ON;");
	assert_null(store_import(db, src, b, &r));
	assert_int_equal(r.imported, 1);
	assert_int_equal(incident_rows(db, r.last_id), b_rows);
	assert_string_equal(query_text(db, "SELECT note FROM later"), "n2");
	assert_string_equal(query_text(db, "SELECT sha256 || ' ' || compression FROM core_blob"),
			    "ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100 zstd");
	store_close(db);
}

/* Files of the test's directory whose names start with PREFIX. */
static int files_named(const char *prefix)
{
	int n = 0;
	DIR *d = opendir(tmpdir);
	assert_non_null(d);
	for (struct dirent *e; (e = readdir(d));)
		n += strncmp(e->d_name, prefix, strlen(prefix)) == 0;
	closedir(d);
	return n;
}

/* A new database (store_open_fresh): written beside its path, which it
 * reaches only complete (store_publish); closed unpublished, it is gone;
 * when the path appears meanwhile, the incident is imported into it. */
static void test_fresh_database(void **state)
{
	char path[4096];
	tmp_path(path, sizeof(path), "fresh.db");
	struct gr_snapshot snap;
	make_snapshot(&snap);
	bool existed = true;
	struct store_db *db = NULL;

	// Written and published: one file, WAL mode, the incident.
	assert_null(store_open_fresh(path, STORE_BUDGET_DEFAULT, &db));
	assert_non_null(db);
	assert_non_null(store_fresh_path(db));
	assert_int_equal(access(path, F_OK), -1);
	assert_string_equal(query_text(db, "PRAGMA journal_mode"), "memory");
	// The ingest turns secure_delete off while it runs, and back.
	int64_t secure = query_int(db, "PRAGMA secure_delete");
	int64_t id = ingest_ok(db, &incident_a, &snap, &existed);
	assert_int_equal(query_int(db, "PRAGMA secure_delete"), secure);
	assert_int_equal(access(path, F_OK), -1);
	assert_null(store_publish(&db, &id, &existed));
	assert_null(store_fresh_path(db));
	assert_string_equal(query_text(db, "PRAGMA journal_mode"), "wal");
	assert_string_equal(query_text(db, "PRAGMA integrity_check"), "ok");
	assert_int_equal(query_int(db, "SELECT count(*) FROM incident"), 1);
	int64_t rows = incident_rows(db, id);
	store_close(db);
	assert_int_equal(files_named("fresh.db"), 1);
	// The path exists now: not a new database.
	db = (struct store_db *)1;
	assert_null(store_open_fresh(path, STORE_BUDGET_DEFAULT, &db));
	assert_null(db);

	// Closed before it is published (a failure): nothing left.
	char gone[4096];
	tmp_path(gone, sizeof(gone), "gone.db");
	assert_null(store_open_fresh(gone, STORE_BUDGET_DEFAULT, &db));
	ingest_ok(db, &incident_a, &snap, &existed);
	store_close(db);
	assert_int_equal(files_named("gone.db"), 0);

	// Another gocoroner made the path meanwhile, with another incident:
	// both are kept, ours imported with a new id.
	char raced[4096];
	tmp_path(raced, sizeof(raced), "raced.db");
	assert_null(store_open_fresh(raced, STORE_BUDGET_DEFAULT, &db));
	id = ingest_ok(db, &incident_a, &snap, &existed);
	struct store_db *other = open_ok(raced);
	int64_t other_id = ingest_ok(other, &incident_b, &snap, &existed);
	store_close(other);
	assert_null(store_publish(&db, &id, &existed));
	assert_false(existed);
	assert_true(id != other_id);
	assert_int_equal(query_int(db, "SELECT count(*) FROM incident"), 2);
	assert_string_equal(query_text(db, "SELECT core_sha256 FROM incident WHERE id = %lld",
				       (long long)id), incident_a.core_sha256);
	assert_int_equal(incident_rows(db, id), rows);
	store_close(db);
	assert_int_equal(files_named("raced.db"), 1);
	// The same core made there meanwhile: the incident is the one there.
	assert_null(store_open_fresh(gone, STORE_BUDGET_DEFAULT, &db));
	ingest_ok(db, &incident_a, &snap, &existed);
	other = open_ok(gone);
	other_id = ingest_ok(other, &incident_a, &snap, &existed);
	store_close(other);
	assert_null(store_publish(&db, &id, &existed));
	assert_true(existed);
	assert_int_equal(id, other_id);
	store_close(db);
	assert_int_equal(files_named("gone.db"), 1);
}

static void test_import_refused(void **state)
{
	char path[4096], other[4096];
	struct store_db *db = open_ok(tmp_path(path, sizeof(path), "refuse.db"));
	struct store_import_result r = {0};
	// Itself.
	struct util_error *err = store_import(db, path, 0, &r);
	assert_true(util_error_is(err, UTIL_ERROR_INVALID));
	util_error_destroy(err);
	// Newer.
	struct store_db *n = open_ok(tmp_path(other, sizeof(other), "refuse-newer.db"));
	store_close(n);
	raw_exec(other, "PRAGMA user_version = 1000");
	err = store_import(db, other, 0, &r);
	assert_true(util_error_is(err, UTIL_ERROR_UNSUPPORTED));
	assert_non_null(strstr(err->message, "newer"));
	util_error_destroy(err);
	// Not a gocoroner database, not a database, missing.
	raw_exec(tmp_path(other, sizeof(other), "refuse-foreign.db"), "CREATE TABLE t (x)");
	err = store_import(db, other, 0, &r);
	assert_true(util_error_is(err, UTIL_ERROR_BAD_DATA));
	util_error_destroy(err);
	FILE *f = fopen(tmp_path(other, sizeof(other), "refuse-text.db"), "w");
	assert_non_null(f);
	fputs("not a database, not at all, though long enough to be read as a header...", f);
	fclose(f);
	err = store_import(db, other, 0, &r);
	assert_non_null(err);
	assert_non_null(strstr(err->message, "refuse-text.db"));
	util_error_destroy(err);
	err = store_import(db, tmp_path(other, sizeof(other), "missing.db"), 0, &r);
	assert_true(util_error_is(err, UTIL_ERROR_OS));
	util_error_destroy(err);
	assert_int_equal(query_int(db, "SELECT count(*) FROM incident"), 0);
	store_close(db);
}

static void test_import_from_v1(void **state)
{
	char path[4096], dst[4096];
	tmp_path(path, sizeof(path), "import-v1.db");
	schema_upto(path, 1);
	raw_exec(path, "INSERT INTO incident (core_path, core_sha256, exe_build_id, goroutine_count)"
		       " VALUES ('old.core', printf('%064d', 0), '', 1);"
		       " INSERT INTO sync_wait (incident_id, goid, addr, kind) VALUES (1, 5, 4096, 'mutex')");
	struct store_db *db = open_ok(tmp_path(dst, sizeof(dst), "import-v1-dst.db"));
	struct store_import_result r = {0};
	assert_null(store_import(db, path, 0, &r));
	assert_int_equal(r.imported, 1);
	assert_string_equal(query_text(db, "SELECT goid || ' ' || quote(ctx_addr) FROM sync_wait"),
			    "5 NULL");
	store_close(db);
	// The source was only read: still version 1, no table of version 2.
	db = NULL;
	sqlite3 *h;
	assert_int_equal(sqlite3_open_v2(path, &h, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	sqlite3_stmt *s;
	assert_int_equal(sqlite3_prepare_v2(h, "SELECT (SELECT user_version FROM pragma_user_version),"
					       " (SELECT count(*) FROM sqlite_master WHERE name = 'heap_scan')",
					    -1, &s, NULL),
			 SQLITE_OK);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(s, 0), 1);
	assert_int_equal(sqlite3_column_int(s, 1), 0);
	sqlite3_finalize(s);
	sqlite3_close(h);
}

/* The obvious lookups use an index, never a scan of a big table. */
static void test_query_plans(void **state)
{
	static const char *const queries[] = {
		"SELECT * FROM frame WHERE incident_id = 1 AND stack_id = 2 ORDER BY depth",
		"SELECT goid FROM goroutine WHERE incident_id = 1 AND stack_id = 2",
		"SELECT goid FROM goroutine WHERE incident_id = 1 AND wait_reason = 'select'",
		"SELECT stack_id FROM frame WHERE incident_id = 1 AND func = 'main.worker'",
		"SELECT * FROM goroutine_frame WHERE incident_id = 1 AND goid = 7 ORDER BY depth",
		"SELECT * FROM diagnostic WHERE incident_id = 1",
		"SELECT id FROM incident WHERE core_sha256 = 'x' AND exe_build_id = ''",
	};
	char path[4096];
	struct store_db *db = open_ok(tmp_path(path, sizeof(path), "plans.db"));
	for (size_t i = 0; i < sizeof(queries) / sizeof(queries[0]); i++) {
		char *q;
		assert_true(asprintf(&q, "EXPLAIN QUERY PLAN %s", queries[i]) >= 0);
		sqlite3_stmt *s;
		assert_int_equal(sqlite3_prepare_v2(store_handle(db), q, -1, &s, NULL), SQLITE_OK);
		while (sqlite3_step(s) == SQLITE_ROW) {
			const char *detail = (const char *)sqlite3_column_text(s, 3);
			if (strstr(detail, "SCAN") || strstr(detail, "TEMP B-TREE"))
				fail_msg("%s: %s", queries[i], detail);
		}
		sqlite3_finalize(s);
		free(q);
	}
	store_close(db);
}

/* ---- The work budget ------------------------------------------------- */

/* Counts to 10^9 in one step: minutes of work, unless the budget stops it. */
#define COUNT_TO_A_BILLION \
	"WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 1000000000)" \
	" SELECT count(*) FROM c"
/* Counts to 100,000: some hundred thousand steps. */
#define COUNT_TO_100K \
	"WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 100000)" \
	" SELECT count(*) FROM c"

static sqlite3_stmt *prepare_ok(struct store_db *db, const char *sql)
{
	sqlite3_stmt *s = NULL;
	if (sqlite3_prepare_v2(store_handle(db), sql, -1, &s, NULL) != SQLITE_OK)
		fail_msg("%s: %s", sql, sqlite3_errmsg(store_handle(db)));
	return s;
}

static double seconds_since(const struct timespec *t0)
{
	struct timespec t1;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

static void test_budget_stops_a_statement(void **state)
{
	char path[4096];
	struct store_db *db = open_ok(tmp_path(path, sizeof(path), "budget.db"));
	assert_int_equal(store_budget(db), STORE_BUDGET_DEFAULT);

	// A billion rows under a budget of 100,000 steps: stopped at once,
	// with an error naming the statement, the budget and the database.
	store_set_budget(db, 100000);
	sqlite3_stmt *s = prepare_ok(db, COUNT_TO_A_BILLION);
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	bool row = true;
	struct util_error *err = store_step(db, s, "the query count_to_a_billion", &row);
	assert_true(seconds_since(&t0) < 2.0);
	assert_true(util_error_is(err, UTIL_ERROR_BUDGET));
	assert_non_null(strstr(err->message, path));
	assert_non_null(strstr(err->message, "the query count_to_a_billion did more than 100000 steps"));
	util_error_destroy(err);
	sqlite3_finalize(s);

	// A moderate statement: stopped under a small budget, done without one
	// (0) and under the default.
	s = prepare_ok(db, COUNT_TO_100K);
	store_set_budget(db, 10000);
	err = store_step(db, s, "counting", &row);
	assert_true(util_error_is(err, UTIL_ERROR_BUDGET));
	util_error_destroy(err);
	sqlite3_reset(s);
	uint64_t budgets[] = {0, STORE_BUDGET_DEFAULT};
	for (size_t i = 0; i < 2; i++) {
		store_set_budget(db, budgets[i]);
		row = false;
		assert_null(store_step(db, s, "counting", &row));
		assert_true(row);
		assert_int_equal(sqlite3_column_int64(s, 0), 100000);
		assert_null(store_step(db, s, "counting", &row));
		assert_false(row);
		sqlite3_reset(s);
	}

	// Other failures stay SQLite's, naming the statement.
	sqlite3_finalize(s);
	s = prepare_ok(db, "SELECT abs(-9223372036854775807 - 1)");
	err = store_step(db, s, "the overflow", &row);
	assert_true(util_error_is(err, UTIL_ERROR_LIB));
	assert_non_null(strstr(err->message, "the overflow: integer overflow"));
	util_error_destroy(err);
	sqlite3_finalize(s);
	store_close(db);
}

/*
 * A run counts its steps over all its rows, even when another statement
 * is stepped for each of them: a statement that returns rows forever is
 * stopped too, and the one stepped in between starts afresh each time.
 */
static void test_budget_counts_a_run(void **state)
{
	char path[4096];
	struct store_db *db = open_ok(tmp_path(path, sizeof(path), "budget-run.db"));
	sqlite3_stmt *outer = prepare_ok(db, "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL"
					     " SELECT x + 1 FROM c) SELECT x FROM c");
	sqlite3_stmt *inner = prepare_ok(db, COUNT_TO_100K);
	store_set_budget(db, 2000000);
	struct util_error *err = NULL;
	int64_t rows = 0;
	bool row;
	while (!(err = store_step(db, outer, "the endless query", &row)) && row) {
		rows++;
		if (rows % 1000 == 0) {
			// Each run of INNER takes a good part of the budget.
			assert_null(store_step(db, inner, "the inner count", &row));
			assert_true(row);
			sqlite3_reset(inner);
		}
		if (rows > 10000000)
			fail_msg("the endless query was never stopped");
	}
	assert_true(util_error_is(err, UTIL_ERROR_BUDGET));
	assert_non_null(strstr(err->message, "the endless query did more than 2000000 steps"));
	// Some ten steps a row: stopped near 2,000,000 / 10 rows, not later.
	assert_true(rows > 20000 && rows < 1000000);
	util_error_destroy(err);
	sqlite3_finalize(outer);
	sqlite3_finalize(inner);
	store_close(db);
}

/* The summaries the store writes through the views have the budget too, and
 * an ingest stopped by it leaves the database as it was. */
static void test_budget_of_summaries(void **state)
{
	char path[4096];
	struct gr_snapshot snap;
	make_snapshot(&snap);
	tmp_path(path, sizeof(path), "budget-summary.db");
	struct store_db *db = open_ok(path);
	int64_t rows = row_total(db);
	store_set_budget(db, 1);
	int64_t id = -1;
	bool existed;
	struct util_error *err = store_ingest(db, &incident_a, &snap, &id, &existed);
	if (!util_error_is(err, UTIL_ERROR_BUDGET) ||
	    !strstr(err->message, "of incident 1 (view ") ||
	    !strstr(err->message, ") did more than 1 steps of work and was stopped"))
		fail_msg("%s", err ? err->message : "no error");
	util_error_destroy(err);
	assert_int_equal(id, -1);
	assert_int_equal(row_total(db), rows);

	store_set_budget(db, 0);
	id = ingest_ok(db, &incident_a, &snap, &existed);
	store_close(db);

	// Opening a database whose summaries are stale computes them under
	// the budget given to store_open_budget.
	raw_exec(path, "UPDATE incident SET summary_version = NULL");
	err = store_open_budget(path, 1, &db);
	assert_true(util_error_is(err, UTIL_ERROR_BUDGET));
	util_error_destroy(err);
	assert_null(store_open_budget(path, 0, &db));
	assert_int_equal(store_budget(db), 0);
	assert_int_equal(query_int(db, "SELECT summary_version FROM incident WHERE id = %lld",
				   (long long)id), STORE_SUMMARY_VERSION);
	store_close(db);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_schema_blocks),
		cmocka_unit_test(test_new_database),
		cmocka_unit_test(test_ingest_rows),
		cmocka_unit_test(test_keep_core),
		cmocka_unit_test(test_wait_rows),
		cmocka_unit_test(test_defers_first),
		cmocka_unit_test(test_context_rows),
		cmocka_unit_test(test_holdings_order),
		cmocka_unit_test(test_ingest_two_steps),
		cmocka_unit_test(test_ingest_twice_and_second_incident),
		cmocka_unit_test(test_duplicate_goid),
		cmocka_unit_test(test_stack_index),
		cmocka_unit_test(test_failure_rolls_back),
		cmocka_unit_test(test_newer_version_refused),
		cmocka_unit_test(test_not_sqlite_refused),
		cmocka_unit_test(test_foreign_sqlite_refused),
		cmocka_unit_test(test_readonly),
		cmocka_unit_test(test_upgrade_from_v1),
		cmocka_unit_test(test_upgrade_from_v2),
		cmocka_unit_test(test_upgrade_from_v3),
		cmocka_unit_test(test_upgrade_from_v4),
		cmocka_unit_test(test_upgrade_from_v9),
		cmocka_unit_test(test_upgrade_from_v5),
		cmocka_unit_test(test_upgrade_from_v10),
		cmocka_unit_test(test_upgrade_from_v11),
		cmocka_unit_test(test_upgrade_from_v13),
		cmocka_unit_test(test_text_is_utf8),
		cmocka_unit_test(test_query_plans),
		cmocka_unit_test(test_forget),
		cmocka_unit_test(test_import),
		cmocka_unit_test(test_fresh_database),
		cmocka_unit_test(test_upgrade_from_v14),
		cmocka_unit_test(test_import_refused),
		cmocka_unit_test(test_import_from_v1),
		cmocka_unit_test(test_budget_stops_a_statement),
		cmocka_unit_test(test_budget_counts_a_run),
		cmocka_unit_test(test_budget_of_summaries),
	};
	return cmocka_run_group_tests_name("store", tests, group_setup, group_teardown);
}
