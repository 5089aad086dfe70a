// SPDX-License-Identifier: Apache-2.0
// groups.c: the rows of goroutine_group (schema version 14), counted as the
// writer writes the goroutines: one hash on (stack, is_system, state,
// creator), a few rows per stack written at the end.
#include <stdlib.h>
#include <string.h>

#include "store/store-private.h"

struct store_group {
	int64_t stack_id;
	bool is_system;
	const char *state;   /* not NULL; the snapshot's, alive until the ingest's end */
	const char *creator; /* NULL: none */
	uint64_t hash;
	int64_t goroutines, example_goid;
	int64_t min_wait, max_wait; /* -1: none known */
};

static uint64_t mix(uint64_t h, const void *p, size_t n)
{
	const unsigned char *s = p;
	for (size_t i = 0; i < n; i++)
		h = (h ^ s[i]) * 0x100000001b3ull;
	return h;
}

static uint64_t key_hash(int64_t stack_id, bool is_system, const char *state, const char *creator)
{
	uint64_t h = 0xcbf29ce484222325ull;
	h = mix(h, &stack_id, sizeof(stack_id));
	h = mix(h, &is_system, sizeof(is_system));
	h = mix(h, state, strlen(state) + 1);
	// NULL apart from "": a creator that is the empty text is another group.
	return creator ? mix(h, creator, strlen(creator) + 1) : mix(h, "\xff", 1);
}

static bool same_text(const char *a, const char *b)
{
	return a == b || (a && b && strcmp(a, b) == 0);
}

void store_groups_init(struct store_groups *gs)
{
	memset(gs, 0, sizeof(*gs));
}

void store_groups_deinit(struct store_groups *gs)
{
	free(gs->slots);
	memset(gs, 0, sizeof(*gs));
}

static struct util_error *grow(struct store_groups *gs)
{
	size_t cap = gs->cap ? gs->cap * 2 : 64;
	struct store_group *slots = calloc(cap, sizeof(*slots));
	if (!slots)
		return &util_enomem;
	for (size_t i = 0; i < gs->cap; i++) {
		if (!gs->slots[i].state)
			continue;
		size_t k = gs->slots[i].hash & (cap - 1);
		while (slots[k].state)
			k = (k + 1) & (cap - 1);
		slots[k] = gs->slots[i];
	}
	free(gs->slots);
	gs->slots = slots;
	gs->cap = cap;
	return NULL;
}

struct util_error *store_groups_add(struct store_groups *gs, const struct gr_goroutine *g,
				    int64_t stack_id)
{
	// COALESCE(wait_reason, status), as the ingest writes the status.
	const char *state = g->wait_reason ? g->wait_reason
					   : g->status_name ? g->status_name : "???";
	const char *creator = g->created_by_func;
	bool sys = g->is_system;
	if (2 * (gs->count + 1) > gs->cap) {
		struct util_error *err = grow(gs);
		if (err)
			return err;
	}
	uint64_t h = key_hash(stack_id, sys, state, creator);
	size_t k = h & (gs->cap - 1);
	struct store_group *x;
	for (;; k = (k + 1) & (gs->cap - 1)) {
		x = &gs->slots[k];
		if (!x->state) {
			*x = (struct store_group){.stack_id = stack_id, .is_system = sys,
						  .state = state, .creator = creator, .hash = h,
						  .example_goid = (int64_t)g->goid,
						  .min_wait = -1, .max_wait = -1};
			gs->count++;
			break;
		}
		if (x->hash == h && x->stack_id == stack_id && x->is_system == sys &&
		    strcmp(x->state, state) == 0 && same_text(x->creator, creator))
			break;
	}
	x->goroutines++;
	// goids compare as the INTEGER column stores them: signed.
	if ((int64_t)g->goid < x->example_goid)
		x->example_goid = (int64_t)g->goid;
	if (g->wait_minutes >= 0) {
		if (x->min_wait < 0 || g->wait_minutes < x->min_wait)
			x->min_wait = g->wait_minutes;
		if (g->wait_minutes > x->max_wait)
			x->max_wait = g->wait_minutes;
	}
	return NULL;
}

struct util_error *store_groups_write(struct store_db *db, int64_t incident_id,
				      const struct store_groups *gs)
{
	static const char sql[] =
		"INSERT INTO goroutine_group (incident_id, stack_id, is_system, state, creator,"
		" goroutines, example_goid, min_wait_minutes, max_wait_minutes)"
		" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)";
	sqlite3_stmt *s = NULL;
	int rc = sqlite3_prepare_v2(db->h, sql, -1, &s, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(s, 1, incident_id);
	for (size_t i = 0; i < gs->cap && rc == SQLITE_OK; i++) {
		const struct store_group *x = &gs->slots[i];
		if (!x->state)
			continue;
		// Text as the goroutine rows hold it (escaped when not UTF-8).
		rc = sqlite3_bind_int64(s, 2, x->stack_id);
		if (rc == SQLITE_OK)
			rc = sqlite3_bind_int(s, 3, x->is_system);
		if (rc == SQLITE_OK)
			rc = store_bind_text(s, 4, x->state);
		if (rc == SQLITE_OK)
			rc = store_bind_text(s, 5, x->creator);
		if (rc == SQLITE_OK)
			rc = sqlite3_bind_int64(s, 6, x->goroutines);
		if (rc == SQLITE_OK)
			rc = sqlite3_bind_int64(s, 7, x->example_goid);
		if (rc == SQLITE_OK)
			rc = x->min_wait < 0 ? sqlite3_bind_null(s, 8)
					     : sqlite3_bind_int64(s, 8, x->min_wait);
		if (rc == SQLITE_OK)
			rc = x->max_wait < 0 ? sqlite3_bind_null(s, 9)
					     : sqlite3_bind_int64(s, 9, x->max_wait);
		if (rc == SQLITE_OK)
			rc = store_step_rc(db, s);
		if (rc == SQLITE_DONE)
			rc = sqlite3_reset(s);
	}
	struct util_error *err = NULL;
	if (rc != SQLITE_OK)
		err = store_error_sqlite(db, rc, "writing the goroutine groups");
	sqlite3_finalize(s);
	return err;
}

/* Incident ID's groups from its goroutine rows, in the open transaction,
 * replacing any: what the writer counts, as one GROUP BY. */
static struct util_error *groups_one(struct store_db *db, int64_t id)
{
	static const char *const sql[] = {
		"DELETE FROM goroutine_group WHERE incident_id = ?1",
		"INSERT INTO goroutine_group (incident_id, stack_id, is_system, state, creator,"
		" goroutines, example_goid, min_wait_minutes, max_wait_minutes)"
		" SELECT g.incident_id, g.stack_id, g.is_system, COALESCE(g.wait_reason, g.status),"
		" g.created_by_func, count(*), min(g.goid), min(g.wait_minutes), max(g.wait_minutes)"
		" FROM goroutine AS g WHERE g.incident_id = ?1"
		" GROUP BY g.stack_id, g.is_system, COALESCE(g.wait_reason, g.status),"
		" g.created_by_func",
		"UPDATE incident SET goroutine_groups = 1 WHERE id = ?1",
	};
	struct util_error *err = NULL;
	for (size_t i = 0; i < sizeof(sql) / sizeof(sql[0]) && !err; i++) {
		sqlite3_stmt *s = NULL;
		int rc = sqlite3_prepare_v2(db->h, sql[i], -1, &s, NULL);
		if (rc == SQLITE_OK)
			rc = sqlite3_bind_int64(s, 1, id);
		if (rc == SQLITE_OK)
			rc = store_step_rc(db, s);
		if (rc != SQLITE_DONE)
			err = store_error_sqlite(db, rc, "counting the goroutine groups");
		sqlite3_finalize(s);
	}
	return err;
}

struct util_error *store_goroutine_groups_stale(struct store_db *db)
{
	return store_each_incident(db,
				   "SELECT id FROM incident WHERE goroutine_groups IS NULL ORDER BY id",
				   groups_one, "committing the goroutine groups");
}
