// SPDX-License-Identifier: Apache-2.0
// cancel.c: the canceled contexts (context_canceled, context_below_canceled)
// of incidents stored without them, computed from their context rows by
// gr_cancel_sets, as an ingest computes them from the snapshot.
#include <stdlib.h>
#include <string.h>

#include "store/store-private.h"
#include "store/store.h"

static const char *arena_strdup(struct util_arena *a, const char *s)
{
	size_t n = strlen(s) + 1;
	char *p = util_arena_alloc(a, n);
	if (p)
		memcpy(p, s, n);
	return p;
}

/* Incident ID's contexts, as gr_cancel_sets reads them: the columns it uses,
 * strings in ARENA and numbered in STRS. */
static struct util_error *read_contexts(struct store_db *db, int64_t id, struct util_arena *arena,
					struct gr_strings *strs, struct gr_context **ret, size_t *nret)
{
	sqlite3_stmt *s = NULL;
	struct gr_context *v = NULL;
	size_t n = 0, cap = 0;
	struct util_error *err = NULL;
	int rc = sqlite3_prepare_v2(db->h,
				    "SELECT addr, kind, type_name, parent_addr, done_chan, canceled"
				    " FROM context WHERE incident_id = ?1",
				    -1, &s, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(s, 1, id);
	while (rc == SQLITE_OK || rc == SQLITE_ROW) {
		if ((rc = store_step_rc(db, s)) != SQLITE_ROW)
			break;
		if ((err = util_grow((void **)&v, n, &cap, sizeof(*v), 256)))
			break;
		const char *kind = (const char *)sqlite3_column_text(s, 1);
		const char *type = (const char *)sqlite3_column_text(s, 2);
		struct gr_context *c = &v[n++];
		*c = (struct gr_context){
			.addr = (uint64_t)sqlite3_column_int64(s, 0),
			.parent_addr = (uint64_t)sqlite3_column_int64(s, 3),
			.done_chan = (uint64_t)sqlite3_column_int64(s, 4),
			.canceled = sqlite3_column_type(s, 5) == SQLITE_NULL ? -1
								     : sqlite3_column_int(s, 5)};
		c->kind = (uint8_t)gr_context_kind_code(kind);
		const char *tn = type ? arena_strdup(arena, type) : NULL;
		if (type && (!tn || !(c->type_name = gr_strings_add(strs, tn))))
			err = &util_enomem;
		if (err)
			break;
	}
	if (!err && rc != SQLITE_DONE)
		err = store_error_sqlite(db, rc, "reading the contexts");
	sqlite3_finalize(s);
	if (err) {
		free(v);
		return err;
	}
	*ret = v;
	*nret = n;
	return NULL;
}

/* Run SQL with ?1 bound to ID; WHAT names it in an error. */
static struct util_error *run_id(struct store_db *db, const char *sql, int64_t id, const char *what)
{
	sqlite3_stmt *s = NULL;
	int rc = sqlite3_prepare_v2(db->h, sql, -1, &s, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(s, 1, id);
	if (rc == SQLITE_OK)
		rc = store_step_rc(db, s);
	struct util_error *err = rc == SQLITE_DONE ? NULL : store_error_sqlite(db, rc, what);
	sqlite3_finalize(s);
	return err;
}

/* Compute and write incident ID's sets, in the open transaction, replacing any. */
static struct util_error *sets_one(struct store_db *db, int64_t id)
{
	struct util_arena arena;
	util_arena_init(&arena);
	struct gr_context *ctxs = NULL;
	size_t n = 0;
	struct gr_snapshot snap = {0};
	struct gr_strings strs = {0};
	struct util_error *err = read_contexts(db, id, &arena, &strs, &ctxs, &n);
	if (!err)
		err = gr_cancel_sets(ctxs, n, &strs, &arena, &snap.cancel_sets);
	if (!err)
		err = run_id(db, "DELETE FROM context_canceled WHERE incident_id = ?1", id,
			     "clearing the canceled contexts");
	if (!err)
		err = run_id(db, "DELETE FROM context_below_canceled WHERE incident_id = ?1", id,
			     "clearing the contexts below canceled ones");
	if (!err)
		err = store_write_cancel_sets(db, id, &snap);
	if (!err)
		err = run_id(db, "UPDATE incident SET context_sets = 1 WHERE id = ?1", id,
			     "marking the canceled contexts computed");
	free(ctxs);
	free(strs.v);
	util_arena_deinit(&arena);
	return err;
}

struct util_error *store_context_sets_stale(struct store_db *db)
{
	return store_each_incident(db, "SELECT id FROM incident WHERE context_sets IS NULL ORDER BY id",
				   sets_one, "committing the canceled contexts");
}
