// SPDX-License-Identifier: Apache-2.0
// step.c: running statements on a gocoroner connection — SQLite's errors as
// util_errors, the work budget that stops a statement before it hangs a
// command (store_step), in the connection's one progress handler, and the
// loop that updates incidents one transaction each (store_each_incident).
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store-private.h"
#include "store/store.h"
#ifdef GOCORONER_TESTING
#include "store/testing.h"
#endif

/* Steps of SQLite's virtual machine between two calls of the progress
 * handler: the budget is counted in these. */
enum { STORE_PROGRESS_OPS = 1000 };

/* The I/O call an extended SQLITE_IOERR_* code says failed, or NULL. */
static const char *ioerr_call(int rc)
{
	switch (rc) {
	case SQLITE_IOERR_READ:
	case SQLITE_IOERR_SHORT_READ:
		return "read";
	case SQLITE_IOERR_WRITE:
		return "write";
	case SQLITE_IOERR_FSYNC:
	case SQLITE_IOERR_DIR_FSYNC:
		return "fsync";
	case SQLITE_IOERR_TRUNCATE:
		return "truncate";
	case SQLITE_IOERR_FSTAT:
		return "fstat";
	default:
		return NULL;
	}
}

struct util_error *store_error_sqlite(const struct store_db *db, int rc, const char *what)
{
	int primary = rc & 0xff;
	if (primary == SQLITE_NOMEM)
		return &util_enomem;
	// Stopped by the progress handler: the budget, not SQLite, says why.
	if (primary == SQLITE_INTERRUPT && db->budget.stopped)
		return util_error_create(UTIL_ERROR_BUDGET,
					 "%s: %s: stopped after more than %llu steps of work",
					 db->path, what, (unsigned long long)db->budget.limit);
	const char *msg = db->h ? sqlite3_errmsg(db->h) : sqlite3_errstr(rc);
	enum util_error_code code = UTIL_ERROR_LIB;
	int errnum = 0;
	const char *call = NULL;
	if (primary == SQLITE_NOTADB || primary == SQLITE_CORRUPT)
		code = UTIL_ERROR_BAD_DATA;
	else if (primary == SQLITE_CANTOPEN && db->h && (errnum = sqlite3_system_errno(db->h)))
		code = UTIL_ERROR_OS;
	else if (primary == SQLITE_IOERR) {
		// "disk I/O error" says neither which call failed nor why. SQLite
		// keeps the errno for some failures only (not a COMMIT's fsync).
		code = UTIL_ERROR_OS;
		call = ioerr_call(db->h ? sqlite3_extended_errcode(db->h) : rc);
		errnum = db->h ? sqlite3_system_errno(db->h) : 0;
	} else if (primary == SQLITE_FULL) {
		// What SQLite's unix VFS returns when a write finds no space
		// (ENOSPC or a short write); it keeps no errno for it.
		code = UTIL_ERROR_OS;
		errnum = ENOSPC;
	}
	struct util_error *err;
	if (call && errnum)
		err = util_error_create(code, "%s: %s: %s (%s: %s)", db->path, what, msg, call,
					strerror(errnum));
	else if (call)
		err = util_error_create(code, "%s: %s: %s (%s failed)", db->path, what, msg, call);
	else if (errnum)
		err = util_error_create(code, "%s: %s: %s (%s)", db->path, what, msg,
					strerror(errnum));
	else
		err = util_error_create(code, "%s: %s: %s", db->path, what, msg);
	if (err != &util_enomem)
		err->errnum = errnum;
	return err;
}

struct util_error *store_exec(struct store_db *db, const char *sql, const char *what)
{
	// One run under the budget, all of SQL's statements together.
	struct store_budget *b = &db->budget;
	b->used = 0;
	b->stopped = false;
	b->counting = true;
	int rc = sqlite3_exec(db->h, sql, NULL, NULL, NULL);
	b->counting = false;
	return rc == SQLITE_OK ? NULL : store_error_sqlite(db, rc, what);
}

/*
 * The connection's progress handler, called every db->progress_ops steps of
 * any statement: counts down the test build's crash hook, and counts the
 * steps of the run store_step, store_step_rc or store_exec is stepping,
 * stopping it (SQLITE_INTERRUPT) past the budget. Statements stepped
 * otherwise (the ingest's row by row writes, bounded by the snapshot) are
 * not counted.
 */
static int progress(void *arg)
{
	struct store_db *db = arg;
#ifdef GOCORONER_TESTING
	if (db->crash_left && --db->crash_left == 0)
		raise(SIGKILL);
#endif
	struct store_budget *b = &db->budget;
	if (!b->counting || !b->limit)
		return 0;
	b->used += (uint64_t)db->progress_ops;
	if (b->used <= b->limit)
		return 0;
	b->stopped = true;
	return 1;
}

/* Install the progress handler when something needs it, at the interval it needs. */
static void progress_install(struct store_db *db)
{
	int ops = db->budget.limit ? STORE_PROGRESS_OPS : 0;
#ifdef GOCORONER_TESTING
	// store_test_crash_after counts in hundreds of steps.
	if (db->crash_left)
		ops = 100;
#endif
	if (ops == db->progress_ops)
		return;
	sqlite3_progress_handler(db->h, ops, ops ? progress : NULL, db);
	db->progress_ops = ops;
}

void store_set_budget(struct store_db *db, uint64_t steps)
{
	db->budget.limit = steps;
	progress_install(db);
}

void store_set_stage_hook(struct store_db *db, util_stage_fn *fn, void *arg)
{
	db->stage = fn;
	db->stage_arg = arg;
}

uint64_t store_budget(const struct store_db *db)
{
	return db->budget.limit;
}

/* The count of ST's run: the one kept while it was paused at a row, or a
 * fresh one when ST starts a run (or its count was given up for another's). */
static struct store_run *run_of(struct store_budget *b, sqlite3_stmt *st)
{
	struct store_run *run = NULL, *free_run = NULL;
	for (size_t i = 0; i < STORE_BUDGET_RUNS; i++) {
		if (b->runs[i].st == st)
			run = &b->runs[i];
		else if (!b->runs[i].st && !free_run)
			free_run = &b->runs[i];
	}
	if (run && sqlite3_stmt_busy(st))
		return run;
	if (!run)
		run = free_run ? free_run : &b->runs[b->evict++ % STORE_BUDGET_RUNS];
	*run = (struct store_run){.st = st};
	return run;
}

int store_step_rc(struct store_db *db, sqlite3_stmt *st)
{
	struct store_budget *b = &db->budget;
	struct store_run *run = run_of(b, st);
	b->used = run->used;
	b->stopped = false;
	b->counting = true;
	int rc = sqlite3_step(st);
	b->counting = false;
	run->used = b->used;
	if (rc != SQLITE_ROW)
		run->st = NULL; // the run is over
	return rc;
}

struct util_error *store_step(struct store_db *db, sqlite3_stmt *st, const char *what,
			      bool *row_ret)
{
	struct store_budget *b = &db->budget;
	int rc = store_step_rc(db, st);
	if (rc == SQLITE_ROW || rc == SQLITE_DONE) {
		*row_ret = rc == SQLITE_ROW;
		return NULL;
	}
	if ((rc & 0xff) == SQLITE_INTERRUPT && b->stopped)
		return util_error_create(UTIL_ERROR_BUDGET,
					 "%s: %s did more than %llu steps of work and was stopped",
					 db->path, what, (unsigned long long)b->limit);
	return store_error_sqlite(db, rc, what);
}

#ifdef GOCORONER_TESTING
void store_test_crash_after(struct store_db *db, unsigned long n)
{
	db->crash_left = n;
	progress_install(db);
}
#endif

struct util_error *store_each_incident(struct store_db *db, const char *sql,
				       struct util_error *(*fn)(struct store_db *db, int64_t id),
				       const char *what)
{
	// The ids first: each incident is then done in a transaction of its own.
	sqlite3_stmt *s = NULL;
	int64_t *ids = NULL;
	size_t n = 0, cap = 0;
	struct util_error *err = NULL;
	int rc = sqlite3_prepare_v2(db->h, sql, -1, &s, NULL);
	while (rc == SQLITE_OK || rc == SQLITE_ROW) {
		if ((rc = store_step_rc(db, s)) != SQLITE_ROW)
			break;
		if ((err = util_grow((void **)&ids, n, &cap, sizeof(*ids), 16)))
			break;
		ids[n++] = sqlite3_column_int64(s, 0);
	}
	if (!err && rc != SQLITE_DONE)
		err = store_error_sqlite(db, rc, "looking for incidents to update");
	sqlite3_finalize(s);
	for (size_t i = 0; i < n && !err; i++) {
		err = store_exec(db, "BEGIN IMMEDIATE", "cannot lock database");
		if (!err)
			err = fn(db, ids[i]);
		if (!err)
			err = store_exec(db, "COMMIT", what);
		if (err && !sqlite3_get_autocommit(db->h))
			sqlite3_exec(db->h, "ROLLBACK", NULL, NULL, NULL);
	}
	free(ids);
	return err;
}

int store_secure_delete(struct store_db *db, int on)
{
	if (on < 0)
		return -1;
	sqlite3_stmt *s = NULL;
	int old = -1;
	char sql[40];
	snprintf(sql, sizeof(sql), "PRAGMA main.secure_delete = %d", on ? 1 : 0);
	// The pragma answers with the new setting: the old one is read first.
	if (sqlite3_prepare_v2(db->h, "PRAGMA main.secure_delete", -1, &s, NULL) == SQLITE_OK &&
	    sqlite3_step(s) == SQLITE_ROW)
		old = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	sqlite3_exec(db->h, sql, NULL, NULL, NULL);
	return old;
}
