// SPDX-License-Identifier: Apache-2.0
// ingest.c: the writer — one incident, with its goroutines, shared stacks and
// diagnostics, in one transaction.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store-private.h"
#include "store/store.h"

static const char *const stmt_sql[STORE_STMT_COUNT] = {
	[STORE_STMT_FIND_INCIDENT] =
		"SELECT id FROM incident WHERE core_sha256 = ?1 AND exe_build_id = ?2",
	[STORE_STMT_INSERT_INCIDENT] =
		"INSERT INTO incident (id, core_path, core_sha256, exe_path, exe_build_id,"
		" go_version, arch, pid, cmdline, signal, core_kind, tool_version, now_ns,"
		" now_source, build_settings, goroutine_count, captured_at, context_sets,"
		" captured_at_source, exe_name, traceback_labels, goroutine_groups)"
		" VALUES (" STORE_NEXT_INCIDENT_ID ","
		" ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, 1, ?17, ?18, ?19, 1)",
	[STORE_STMT_INSERT_STACK] =
		"INSERT INTO stack (incident_id, stack_id, depth, user_depth) VALUES (?1, ?2, ?3, ?4)",
	[STORE_STMT_INSERT_FRAME] =
		"INSERT INTO frame (incident_id, stack_id, depth, pc, pc_offset, func, file, line,"
		" inlined, wrapper) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
	[STORE_STMT_INSERT_GOROUTINE] =
		"INSERT INTO goroutine_base (incident_id, goid, status, status_code, wait_reason,"
		" wait_since_ns, wait_minutes, creator_goid, created_by_func, created_by_file,"
		" created_by_line, created_by_pc_offset, start_func, is_system, thread_id, locked,"
		" labels, stack_id, g_addr, stack_error)"
		" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16,"
		" ?17, ?18, ?19, ?20)",
	[STORE_STMT_INSERT_DIAGNOSTIC] =
		"INSERT INTO diagnostic (incident_id, severity, what, detail) VALUES (?1, ?2, ?3, ?4)",
	// The wait-for rows: OR IGNORE, so a corrupt core's repeated goid (only
	// its first goroutine is kept) cannot fail the ingest.
	[STORE_STMT_INSERT_CHANNEL] =
		"INSERT OR IGNORE INTO channel (incident_id, addr, elem_type, cap, len, closed,"
		" is_timer, send_waiters, recv_waiters) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
	[STORE_STMT_INSERT_CHAN_WAIT] =
		"INSERT OR IGNORE INTO chan_wait_base (incident_id, goid, chan_addr, direction, in_select,"
		" queue_pos) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
	[STORE_STMT_INSERT_SYNC_WAIT] =
		"INSERT OR IGNORE INTO sync_wait (incident_id, goid, kind, addr, ctx_addr)"
		" VALUES (?1, ?2, ?3, ?4, ?5)",
	[STORE_STMT_INSERT_DEFER] =
		"INSERT OR IGNORE INTO defer_call_base (incident_id, goid, seq, func, frame_depth, kind)"
		" VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
	[STORE_STMT_INSERT_PANIC] =
		"INSERT OR IGNORE INTO panic (incident_id, goid, seq, value_type, value_text,"
		" recovered, aborted, goexit) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
	[STORE_STMT_INSERT_CONTEXT] =
		"INSERT OR IGNORE INTO context_base (incident_id, addr, kind, type_name, parent_addr,"
		" done_chan, state, err, cause, deadline_unix_ns, value_key, value_text, found_at,"
		" registered_in) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
	// The pairs context_base.registered_in does not hold (store_context_registrations).
	[STORE_STMT_INSERT_CONTEXT_CHILD] =
		"INSERT OR IGNORE INTO context_child_extra (incident_id, parent_addr, child_addr)"
		" VALUES (?1, ?2, ?3)",
	[STORE_STMT_INSERT_CTX_CANCELED] =
		"INSERT OR IGNORE INTO context_canceled (incident_id, addr, origin_addr, origin_steps)"
		" VALUES (?1, ?2, ?3, ?4)",
	[STORE_STMT_INSERT_CTX_BELOW] =
		"INSERT OR IGNORE INTO context_below_canceled (incident_id, seed_addr, depth, addr, kind,"
		" canceled, origin_addr, user_addr, path) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
	[STORE_STMT_INSERT_GOROUTINE_CONTEXT] =
		"INSERT OR IGNORE INTO goroutine_context_base (incident_id, goid, seq, frame_depth,"
		" var_name, ctx_addr, how) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
	[STORE_STMT_INSERT_HEAP_SCAN] =
		"INSERT INTO heap_scan (incident_id, spans, objects, marked_objects, marked_bytes,"
		" rounds, complete, components, heap_bits, objects_precise, objects_conservative,"
		" global_words_precise, global_words_conservative)"
		" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
	[STORE_STMT_INSERT_WAIT_REACH] =
		"INSERT OR IGNORE INTO wait_reach_base (incident_id, goid, obj_addr, reached_by, via_goid)"
		" VALUES (?1, ?2, ?3, ?4, ?5)",
	[STORE_STMT_INSERT_WAIT_REACHER] =
		"INSERT OR IGNORE INTO wait_reacher (incident_id, obj_addr, goid) VALUES (?1, ?2, ?3)",
	[STORE_STMT_INSERT_WAIT_COMPONENT] =
		"INSERT INTO wait_component (incident_id, component_id, kind, goroutines, objects,"
		" obj_addr, example_goid, behind_goid) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
	[STORE_STMT_INSERT_WAIT_MEMBER] =
		"INSERT INTO wait_member (incident_id, goid, component_id, position, obj_addr,"
		" waker_goid) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
	[STORE_STMT_INSERT_BLOCKER] =
		"INSERT OR IGNORE INTO goroutine_blocker (incident_id, goid, culprit_goid, obj_addr, via,"
		" hops) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
	// Content-addressed: a core kept before stays as it is.
	[STORE_STMT_INSERT_CORE_BLOB] =
		"INSERT OR IGNORE INTO core_blob (sha256, compression, size, data)"
		" VALUES (?1, 'zstd', ?2, ?3)",
	// incident_text (store/waits.c).
	[STORE_STMT_NEXT_TEXT_ID] =
		"SELECT COALESCE(max(id), 0) + 1 FROM incident_text WHERE incident_id = ?1",
	[STORE_STMT_INSERT_TEXT] =
		"INSERT INTO incident_text (incident_id, id, text) VALUES (?1, ?2, ?3)",
};

struct util_error *store_stmt(struct store_db *db, enum store_stmt id, sqlite3_stmt **ret)
{
	if (!db->stmts[id]) {
		int rc = sqlite3_prepare_v3(db->h, stmt_sql[id], -1, SQLITE_PREPARE_PERSISTENT,
					    &db->stmts[id], NULL);
		if (rc != SQLITE_OK)
			return store_error_sqlite(db, rc, "preparing a statement");
	}
	*ret = db->stmts[id];
	return NULL;
}

/*
 * A step costs about as much as the small row it writes: the statement
 * starts, opens its cursors and stops each time. The tables of many small
 * rows (a big server's holdings of contexts, say) are written STORE_BATCH
 * rows a step; the goroutine rows, wide, gained nothing so.
 */
struct util_error *store_stmt_batch(struct store_db *db, enum store_stmt id, sqlite3_stmt **ret,
				    int *per_row)
{
	sqlite3_stmt *one;
	struct util_error *err = store_stmt(db, id, &one);
	if (err)
		return err;
	*per_row = sqlite3_bind_parameter_count(one) - 1;
	if (db->batch[id]) {
		*ret = db->batch[id];
		return NULL;
	}
	// The single-row statement up to its tuple, then the tuples.
	const char *sql = stmt_sql[id], *values = strstr(sql, " VALUES (");
	if (!values || *per_row < 1)
		return util_error_create(UTIL_ERROR_INVALID, "%s: no batched form of a statement",
					 db->path);
	sqlite3_str *b = sqlite3_str_new(db->h);
	sqlite3_str_append(b, sql, (int)(values - sql));
	sqlite3_str_appendall(b, " VALUES");
	for (int k = 0; k < STORE_BATCH; k++) {
		sqlite3_str_appendf(b, "%s(?1", k ? ", " : " ");
		for (int j = 0; j < *per_row; j++)
			sqlite3_str_appendf(b, ", ?%d", 2 + k * *per_row + j);
		sqlite3_str_appendchar(b, 1, ')');
	}
	char *text = sqlite3_str_finish(b);
	if (!text)
		return &util_enomem;
	int rc = sqlite3_prepare_v3(db->h, text, -1, SQLITE_PREPARE_PERSISTENT, &db->batch[id], NULL);
	sqlite3_free(text);
	if (rc != SQLITE_OK)
		return store_error_sqlite(db, rc, "preparing a statement");
	*ret = db->batch[id];
	return NULL;
}

/* ---- Binding --------------------------------------------------------- */

/* Binds a row's parameters, remembering the first failure (e.g. SQLITE_TOOBIG)
 * so one check covers the row: a failed bind would silently keep the previous
 * row's value. */
struct binder {
	sqlite3_stmt *s;
	int rc;
};

static inline void bind_int64(struct binder *b, int i, int64_t v)
{
	if (b->rc == SQLITE_OK)
		b->rc = sqlite3_bind_int64(b->s, i, v);
}

static inline void bind_null(struct binder *b, int i)
{
	if (b->rc == SQLITE_OK)
		b->rc = sqlite3_bind_null(b->s, i);
}

/* NULL when !known, so "unknown" never reads as a number. */
static inline void bind_int64_if(struct binder *b, int i, bool known, int64_t v)
{
	if (known)
		bind_int64(b, i, v);
	else
		bind_null(b, i);
}

/* Strings stay alive until the step that uses them: valid UTF-8 is bound
 * without a copy (store_bind_text). */
static inline void bind_text(struct binder *b, int i, const char *s)
{
	if (b->rc != SQLITE_OK)
		return;
	b->rc = store_bind_text(b->s, i, s);
}

/* goroutine_base.status: its place in the vocabulary of schema.sql's
 * version 12 (the view goroutine decodes it), other text as it is. */
static inline void bind_status(struct binder *b, int i, const char *s)
{
	static const char *const names[] = {
		"idle", "runnable", "running", "syscall", "waiting", "dead", "copystack",
		"preempted", "leaked", "???",
	};
	int k = STORE_VOCAB(s, names);
	if (k >= 0)
		bind_int64(b, i, k);
	else
		bind_text(b, i, s);
}

/* Step a row statement. Bind failures are reported like step failures,
 * naming WHAT was written and for which goroutine G (may be NULL). */
static struct util_error *step_done(struct store_db *db, struct binder *b, const char *what,
				    const struct gr_goroutine *g)
{
	int rc = b->rc == SQLITE_OK ? sqlite3_step(b->s) : b->rc;
	if (rc == SQLITE_DONE) {
		sqlite3_reset(b->s);
		return NULL;
	}
	char buf[96];
	if (g)
		snprintf(buf, sizeof(buf), "writing %s of goroutine %llu", what,
			 (unsigned long long)g->goid);
	else
		snprintf(buf, sizeof(buf), "writing %s", what);
	struct util_error *err = store_error_sqlite(db, rc, buf);
	sqlite3_reset(b->s);
	return err;
}

/* ---- Rows ------------------------------------------------------------ */

/* Statements and state of one ingest (store_ingest_begin .. _finish). */
struct store_ingest {
	struct store_db *db;
	const struct store_incident *inc;
	int64_t incident_id;
	int64_t existing;               /* the incident this core already is; 0: new */
	sqlite3_stmt *stack, *frame, *goroutine, *diagnostic;
	int64_t *stack_ids;             /* by the snapshot's stack_index; 0: not written yet */
	size_t nstacks;                 /* entries of stack_ids: the snapshot's nstacks */
	int64_t next_stack_id;
	size_t *dup, ndups;             /* find_duplicates */
	struct fresh_indexes fresh;     /* dropped for the first incident, to build again */
	bool contexts_written;          /* by store_ingest_contexts */
	bool waits_written;             /* by store_ingest_waits */
	struct store_texts texts;       /* function and file names of the goroutine rows */
	struct store_groups groups;     /* goroutine_group's rows, as the goroutines are written */
	int secure_delete;              /* the connection's, restored by ingest_free; -1: not set */
};

// stack.user_depth: G's innermost frame outside packages runtime, sync and
// internal/..., else 0 (the rule of the view _user_frame).
static size_t user_depth(const struct gr_goroutine *g)
{
	for (size_t i = 0; i < g->nframes; i++) {
		const char *f = g->frames[i].func;
		if (f && strncmp(f, "runtime.", 8) != 0 && strncmp(f, "internal/", 9) != 0 &&
		    strncmp(f, "sync.", 5) != 0)
			return i;
	}
	return 0;
}

static struct util_error *write_stack(struct store_ingest *in, const struct gr_goroutine *g,
				      int64_t stack_id)
{
	struct binder b = { in->stack, SQLITE_OK };
	bind_int64(&b, 2, stack_id);
	bind_int64(&b, 3, (int64_t)g->nframes);
	bind_int64(&b, 4, (int64_t)user_depth(g));
	struct util_error *err = step_done(in->db, &b, "the stack", g);
	if (err)
		return err;
	b.s = in->frame;
	bind_int64(&b, 2, stack_id);
	for (size_t i = 0; i < g->nframes; i++) {
		const struct gr_frame *f = &g->frames[i];
		bind_int64(&b, 3, (int64_t)i);
		bind_int64(&b, 4, (int64_t)f->pc);
		bind_int64(&b, 5, f->pc_offset);
		bind_text(&b, 6, f->func);
		bind_text(&b, 7, f->file);
		bind_int64_if(&b, 8, f->line > 0, f->line);
		bind_int64(&b, 9, f->inlined);
		bind_int64(&b, 10, f->wrapper);
		err = step_done(in->db, &b, "a frame", g);
		if (err)
			return err;
	}
	return NULL;
}

/*
 * The stack_id of G's frames, writing them if this incident has not seen
 * them. Which goroutines share a stack is the snapshot's to say
 * (gr_goroutine.stack_index). stack_ids are 1, 2, 3... in order of first
 * use as the goroutines are written, so an index no kept goroutine uses (a
 * dropped duplicate's) takes no number.
 */
static struct util_error *stack_id_of(struct store_ingest *in, const struct gr_goroutine *g,
				      int64_t *ret)
{
	if (g->stack_index >= in->nstacks)
		return util_error_create(UTIL_ERROR_INVALID,
					 "%s: goroutine %llu: stack_index %u, but the snapshot has"
					 " %zu stacks (gr_snapshot.nstacks)", in->db->path,
					 (unsigned long long)g->goid, (unsigned)g->stack_index,
					 in->nstacks);
	int64_t *id = &in->stack_ids[g->stack_index];
	if (*id == 0) {
		struct util_error *err = write_stack(in, g, in->next_stack_id);
		if (err)
			return err;
		*id = in->next_stack_id++;
	}
	*ret = *id;
	return NULL;
}

static struct util_error *write_goroutine(struct store_ingest *in, const struct gr_goroutine *g)
{
	int64_t stack_id = 0; // set unless stack_id_of fails
	struct util_error *err = stack_id_of(in, g, &stack_id);
	if (err)
		return err;
	struct binder b = { in->goroutine, SQLITE_OK };
	bind_int64(&b, 2, (int64_t)g->goid);
	// Names many goroutines share go to incident_text once (schema 12).
	const char *file = g->created_by_func ? g->created_by_file : NULL;
	int64_t created_by = 0, created_file = 0, start = 0;
	if ((g->created_by_func &&
	     (err = store_text_id(&in->texts, g->created_by_func, &created_by))) ||
	    (file && (err = store_text_id(&in->texts, file, &created_file))) ||
	    (g->start_func && (err = store_text_id(&in->texts, g->start_func, &start))))
		return err;
	bind_status(&b, 3, g->status_name ? g->status_name : "???"); // as Go's traceback
	bind_int64(&b, 4, g->status);
	bind_text(&b, 5, g->wait_reason);
	bind_int64_if(&b, 6, g->wait_since_ns != 0, g->wait_since_ns);
	bind_int64_if(&b, 7, g->wait_minutes >= 0, g->wait_minutes);
	bind_int64_if(&b, 8, g->has_creator, (int64_t)g->creator_goid);
	bind_int64_if(&b, 9, g->created_by_func != NULL, created_by);
	bind_int64_if(&b, 10, file != NULL, created_file);
	bind_int64_if(&b, 11, g->created_by_func && g->created_by_line > 0, g->created_by_line);
	bind_int64_if(&b, 12, g->created_by_func != NULL, g->created_by_pc_offset);
	bind_int64_if(&b, 13, g->start_func != NULL, start);
	bind_int64(&b, 14, g->is_system);
	bind_int64_if(&b, 15, g->thread_id != 0, g->thread_id);
	bind_int64(&b, 16, g->locked);
	bind_text(&b, 17, g->labels);
	bind_int64(&b, 18, stack_id);
	bind_int64(&b, 19, (int64_t)g->g_addr);
	bind_text(&b, 20, g->stack_error);
	err = step_done(in->db, &b, "the row", g);
	return err ? err : store_groups_add(&in->groups, g, stack_id);
}

static struct util_error *write_diagnostic(struct store_ingest *in, const char *severity,
					   const char *what, const char *detail)
{
	struct binder b = { in->diagnostic, SQLITE_OK };
	bind_text(&b, 2, severity);
	bind_text(&b, 3, what);
	bind_text(&b, 4, detail);
	return step_done(in->db, &b, "a diagnostic", NULL);
}

/* ---- Duplicate goids ------------------------------------------------- */

/* Goids are unique in a live Go process; a corrupt core may repeat one. The
 * first goroutine with a goid is kept: DUP[i] is the index of that first one
 * for a repeat, SIZE_MAX for a kept goroutine. */
static struct util_error *find_duplicates(const struct gr_snapshot *snap, size_t **dup_ret,
					  size_t *ndups_ret)
{
	size_t n = snap->ngoroutines, ndups = 0;
	size_t *dup = malloc((n ? n : 1) * sizeof(*dup));
	if (!dup)
		return &util_enomem;
	struct util_u64map seen;
	util_u64map_init(&seen);
	size_t max_goid_at = SIZE_MAX; // ~0 is the map's reserved key
	struct util_error *err = NULL;
	for (size_t i = 0; i < n && !err; i++) {
		uint64_t goid = snap->goroutines[i].goid, first;
		dup[i] = SIZE_MAX;
		if (goid == ~(uint64_t)0) {
			if (max_goid_at != SIZE_MAX)
				dup[i] = max_goid_at;
			else
				max_goid_at = i;
		} else if (util_u64map_get(&seen, goid, &first)) {
			dup[i] = first;
		} else {
			err = util_u64map_put(&seen, goid, i);
		}
		ndups += dup[i] != SIZE_MAX;
	}
	util_u64map_deinit(&seen);
	if (err) {
		free(dup);
		return err;
	}
	*dup_ret = dup;
	*ndups_ret = ndups;
	return NULL;
}

/* ---- The transaction ------------------------------------------------- */

static struct util_error *write_incident(struct store_ingest *in, const struct store_incident *inc,
					 const struct gr_snapshot *snap, size_t ngoroutines)
{
	sqlite3_stmt *s;
	struct util_error *err = store_stmt(in->db, STORE_STMT_INSERT_INCIDENT, &s);
	if (err)
		return err;
	struct binder b = { s, SQLITE_OK };
	bind_text(&b, 1, inc->core_path);
	bind_text(&b, 2, inc->core_sha256);
	bind_text(&b, 3, inc->exe_path);
	bind_text(&b, 4, inc->exe_build_id ? inc->exe_build_id : "");
	bind_text(&b, 5, inc->go_version ? inc->go_version : snap->go_version);
	bind_text(&b, 6, inc->arch);
	bind_int64_if(&b, 7, inc->pid > 0, inc->pid);
	bind_text(&b, 8, inc->cmdline);
	bind_int64_if(&b, 9, inc->signal > 0, inc->signal);
	bind_text(&b, 10, inc->core_kind);
	bind_text(&b, 11, inc->tool_version);
	bind_int64_if(&b, 12, snap->now_ns != 0, snap->now_ns);
	bind_text(&b, 13, snap->now_ns != 0 ? snap->now_source : NULL);
	bind_text(&b, 14, snap->build_settings);
	bind_int64(&b, 15, (int64_t)ngoroutines);
	bind_text(&b, 16, inc->captured_at);
	bind_text(&b, 17, inc->captured_at ? inc->captured_at_source : NULL);
	bind_text(&b, 18, inc->exe_name);
	bind_int64_if(&b, 19, snap->traceback_labels >= 0, snap->traceback_labels);
	err = step_done(in->db, &b, "the incident", NULL);
	if (!err)
		in->incident_id = sqlite3_last_insert_rowid(in->db->h);
	return err;
}

/* The existing incident for this core and executable, or 0. */
static struct util_error *find_incident(struct store_db *db, const struct store_incident *inc,
					int64_t *ret)
{
	sqlite3_stmt *s;
	struct util_error *err = store_stmt(db, STORE_STMT_FIND_INCIDENT, &s);
	if (err)
		return err;
	struct binder b = { s, SQLITE_OK };
	bind_text(&b, 1, inc->core_sha256);
	bind_text(&b, 2, inc->exe_build_id ? inc->exe_build_id : "");
	int rc = b.rc == SQLITE_OK ? sqlite3_step(s) : b.rc;
	*ret = 0;
	if (rc == SQLITE_ROW)
		*ret = sqlite3_column_int64(s, 0);
	else if (rc != SQLITE_DONE)
		err = store_error_sqlite(db, rc, "looking for the incident");
	sqlite3_reset(s);
	return err;
}

/* The core itself, when asked to keep it; nothing if it is kept already. */
static struct util_error *write_core_blob(struct store_db *db, const struct store_incident *inc,
					  bool *added_ret)
{
	*added_ret = false;
	if (!inc->core_zstd)
		return NULL;
	sqlite3_stmt *s = NULL;
	struct util_error *err = store_stmt(db, STORE_STMT_INSERT_CORE_BLOB, &s);
	if (err)
		return err;
	struct binder b = { s, SQLITE_OK };
	bind_text(&b, 1, inc->core_sha256);
	bind_int64(&b, 2, (int64_t)inc->core_size);
	if (b.rc == SQLITE_OK)
		b.rc = sqlite3_bind_blob64(s, 3, inc->core_zstd, inc->core_zstd_len, SQLITE_STATIC);
	err = step_done(db, &b, "the core", NULL);
	if (!err)
		*added_ret = sqlite3_changes(db->h) > 0;
	return err;
}

/* The tables store_write_defers and store_write_waits fill, whose indexes they can build. */
static const char *const defer_tables[] = {"defer_call_base", "panic"};
static const char *const wait_tables[] = {"channel", "chan_wait_base"};

/* The incident's row, its defers and panics, and its goroutines (with their stacks). */
static struct util_error *write_goroutines(struct store_ingest *in, const struct gr_snapshot *snap)
{
	struct util_error *err = find_duplicates(snap, &in->dup, &in->ndups);
	if (err)
		return err;
	in->stack_ids = calloc(snap->nstacks ? snap->nstacks : 1, sizeof(*in->stack_ids));
	if (!in->stack_ids)
		return &util_enomem;
	in->nstacks = snap->nstacks;
	err = write_incident(in, in->inc, snap, snap->ngoroutines - in->ndups);
	if (err)
		return err;
	// incident_id is ?1 of every row statement: bind it once.
	sqlite3_stmt *row_stmts[] = { in->stack, in->frame, in->goroutine, in->diagnostic };
	for (size_t i = 0; i < sizeof(row_stmts) / sizeof(row_stmts[0]); i++) {
		int rc = sqlite3_bind_int64(row_stmts[i], 1, in->incident_id);
		if (rc != SQLITE_OK)
			return store_error_sqlite(in->db, rc, "binding the incident id");
	}
	// The defers first, so that analyze's writer can let go of them before
	// the contexts pass's peak (gr_snapshot_drop_defers); their function
	// names take the first incident_text ids.
	store_stage(in->db, "store defers");
	err = store_write_defers(in->db, in->incident_id, snap);
	if (!err)
		err = store_recreate_indexes(in->db, &in->fresh, defer_tables,
					     sizeof(defer_tables) / sizeof(defer_tables[0]));
	if (err)
		return err;
	store_stage(in->db, "store goroutines");
	err = store_texts_begin(in->db, in->incident_id, &in->texts);
	for (size_t i = 0; i < snap->ngoroutines && !err; i++)
		if (in->dup[i] == SIZE_MAX)
			err = write_goroutine(in, &snap->goroutines[i]);
	store_texts_end(&in->texts);
	err = err ? err : store_groups_write(in->db, in->incident_id, &in->groups);
	store_groups_deinit(&in->groups);
	return err;
}

/* The rest of the rows: waits, defers, contexts..., diagnostics. */
static struct util_error *write_rest(struct store_ingest *in, const struct gr_snapshot *snap)
{
	struct util_error *err = NULL;
	// In the writer thread's order (cli/analyze.c): the same incident_text ids.
	if (!in->waits_written)
		err = store_write_waits(in->db, in->incident_id, snap);
	if (!err && !in->contexts_written)
		err = store_write_contexts(in->db, in->incident_id, snap);
	if (!err) {
		store_stage(in->db, "store reach");
		err = store_write_reach(in->db, in->incident_id, snap);
	}
	for (size_t i = 0; i < snap->ndiags && !err; i++) {
		const struct gr_diag *d = &snap->diags[i];
		err = write_diagnostic(in, d->severity, d->what, d->detail);
	}
	for (size_t i = 0; i < snap->ngoroutines && in->ndups && !err; i++) {
		if (in->dup[i] == SIZE_MAX)
			continue;
		const struct gr_goroutine *g = &snap->goroutines[i];
		char detail[160];
		snprintf(detail, sizeof(detail),
			 "goroutine %llu appears twice (runtime.g at %#llx and %#llx); kept the first",
			 (unsigned long long)g->goid,
			 (unsigned long long)snap->goroutines[in->dup[i]].g_addr,
			 (unsigned long long)g->g_addr);
		err = write_diagnostic(in, "warning", "goid", detail);
	}
	return err;
}

static void ingest_free(struct store_ingest *in)
{
	store_fresh_indexes_free(&in->fresh);
	store_secure_delete(in->db, in->secure_delete);
	free(in->stack_ids);
	free(in->dup);
	free(in);
}

void store_ingest_abort(struct store_ingest *in)
{
	if (!in)
		return;
	if (!sqlite3_get_autocommit(in->db->h))
		sqlite3_exec(in->db->h, "ROLLBACK", NULL, NULL, NULL);
	ingest_free(in);
}

struct util_error *store_ingest_begin(struct store_db *db, const struct store_incident *inc,
				      const struct gr_snapshot *snap, struct store_ingest **ret)
{
	if (!inc || !snap || !inc->core_path || !inc->core_sha256)
		return util_error_create(UTIL_ERROR_INVALID,
					 "%s: store_ingest needs a snapshot, core_path and core_sha256",
					 db->path);
	if (db->readonly)
		return util_error_create(UTIL_ERROR_INVALID, "%s: database was opened read-only",
					 db->path);
	struct store_ingest *in = calloc(1, sizeof(*in));
	if (!in)
		return &util_enomem;
	*in = (struct store_ingest){.db = db, .inc = inc, .next_stack_id = 1, .secure_delete = -1};
	struct util_error *err;
	if ((err = store_stmt(db, STORE_STMT_INSERT_STACK, &in->stack)) ||
	    (err = store_stmt(db, STORE_STMT_INSERT_FRAME, &in->frame)) ||
	    (err = store_stmt(db, STORE_STMT_INSERT_GOROUTINE, &in->goroutine)) ||
	    (err = store_stmt(db, STORE_STMT_INSERT_DIAGNOSTIC, &in->diagnostic))) {
		ingest_free(in);
		return err;
	}
	// IMMEDIATE: take the write lock now, so the existence check and the
	// insert see the same database even with another gocoroner writing.
	err = store_exec(db, "BEGIN IMMEDIATE", "cannot lock database");
	if (err) {
		ingest_free(in);
		return err;
	}
	// An ingest only adds rows: what B-tree balancing moves need not be
	// zeroed where it was (store_secure_delete).
	in->secure_delete = store_secure_delete(db, 0);
	err = find_incident(db, inc, &in->existing);
	if (!err && in->existing == 0)
		err = store_drop_indexes_if_fresh(db, &in->fresh);
	if (!err && in->existing == 0)
		err = write_goroutines(in, snap);
	if (!err && in->existing == 0)
		err = store_recreate_indexes(db, &in->fresh, (const char *const[]){"goroutine_base"}, 1);
	if (err) {
		store_ingest_abort(in);
		return err;
	}
	*ret = in;
	return NULL;
}

/* The tables store_write_contexts fills, whose indexes it can build. */
static const char *const context_tables[] = {"context_base", "context_child_extra",
					      "goroutine_context_base", "sync_wait"};

struct util_error *store_ingest_contexts(struct store_ingest *in, const struct gr_snapshot *snap)
{
	if (in->existing || in->contexts_written)
		return NULL;
	store_stage(in->db, "store contexts");
	// Beside the heap's marking and its peak: rows go to the end of each
	// B-tree (the indexes come after), which a small cache does as well.
	struct util_error *err = store_exec(in->db, "PRAGMA cache_size = -4096", "setting the cache size");
	if (!err)
		err = store_write_contexts(in->db, in->incident_id, snap);
	if (!err)
		err = store_exec(in->db, "PRAGMA cache_size = -16384", "setting the cache size");
	if (err) {
		store_ingest_abort(in);
		return err;
	}
	in->contexts_written = true;
	return NULL;
}

struct util_error *store_ingest_context_indexes(struct store_ingest *in)
{
	if (in->existing || !in->contexts_written)
		return NULL;
	store_stage(in->db, "store context indexes");
	struct util_error *err = store_recreate_indexes(in->db, &in->fresh, context_tables,
						  sizeof(context_tables) / sizeof(context_tables[0]));
	if (err)
		store_ingest_abort(in);
	return err;
}

struct util_error *store_ingest_waits(struct store_ingest *in, const struct gr_snapshot *snap)
{
	if (in->existing || in->waits_written || in->contexts_written)
		return NULL;
	store_stage(in->db, "store waits");
	struct util_error *err = store_write_waits(in->db, in->incident_id, snap);
	if (!err)
		err = store_recreate_indexes(in->db, &in->fresh, wait_tables,
					     sizeof(wait_tables) / sizeof(wait_tables[0]));
	if (err) {
		store_ingest_abort(in);
		return err;
	}
	in->waits_written = true;
	// The cache's pages to the file, and their memory back to the heap,
	// where the contexts pass's peak finds room (the writer waits for it).
	if (sqlite3_db_cacheflush(in->db->h) == SQLITE_OK)
		sqlite3_db_release_memory(in->db->h);
	return NULL;
}

struct util_error *store_ingest_finish(struct store_ingest *in, const struct gr_snapshot *snap,
				       int64_t *id_ret, bool *existed_ret)
{
	struct store_db *db = in->db;
	struct util_error *err = NULL;
	if (in->existing == 0) {
		if (!in->waits_written)
			store_stage(db, "store waits");
		err = write_rest(in, snap);
	}
	if (!err && in->existing == 0) {
		store_stage(db, "store indexes");
		err = store_recreate_indexes(db, &in->fresh, NULL, 0);
	}
	// The summary reads the new rows through the views, which name indexes.
	if (!err && in->existing == 0) {
		store_stage(db, "store summary");
		err = store_write_summary(db, in->incident_id);
	}
	if (!err)
		store_stage(db, "store commit");
	bool blob_added = false;
	if (!err)
		err = write_core_blob(db, in->inc, &blob_added);
	if (!err)
		err = store_exec(db, in->existing && !blob_added ? "ROLLBACK" : "COMMIT",
				 "committing the incident");
	if (err) {
		store_ingest_abort(in);
		return err;
	}
	*id_ret = in->existing ? in->existing : in->incident_id;
	*existed_ret = in->existing != 0;
	ingest_free(in);
	return NULL;
}

struct util_error *store_ingest(struct store_db *db, const struct store_incident *inc,
				const struct gr_snapshot *snap, int64_t *id_ret, bool *existed_ret)
{
	struct store_ingest *in;
	struct util_error *err = store_ingest_begin(db, inc, snap, &in);
	if (!err)
		err = store_ingest_finish(in, snap, id_ret, existed_ret);
	return err;
}
