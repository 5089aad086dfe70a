// SPDX-License-Identifier: Apache-2.0
// summary.c: an incident's summary rows (finding counts and signature, from
// the query library's views), computed again for old databases, and tags.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store-private.h"
#include "store/store.h"

/*
 * An incident's summary rows, ?1 the incident, ?2 STORE_SUMMARY_VERSION:
 * statements run in order. Each finding view is evaluated once, into a
 * temporary table of the columns the summary reads, and every summary row
 * comes from those: incident_finding grouped exactly as view finding_group
 * groups (queries/finding_group.sql, which stays the definition; tests
 * compare the two), incident_finding_count counted as cli/statements.sql's
 * report_counts counts, then the signature, which reads incident_finding.
 * Version 2 evaluated the views for incident_finding only, and 'analyze'
 * evaluated them all again for its counts (0.05-0.15 s on the benchmark
 * cores, bench/README.md).
 */
static const char summary_sql[] =
	"DELETE FROM incident_finding WHERE incident_id = ?1;"
	"DELETE FROM incident_finding_count WHERE incident_id = ?1;"
	"DELETE FROM incident_signature WHERE incident_id = ?1;"
	"DROP TABLE IF EXISTS temp.summary_unobserved;"
	"DROP TABLE IF EXISTS temp.summary_broken;"
	"DROP TABLE IF EXISTS temp.summary_leak;"
	"DROP TABLE IF EXISTS temp.summary_cycle;"
	"CREATE TEMP TABLE summary_unobserved AS"
	" SELECT goid, func, ctx_kind FROM cancel_unobserved WHERE incident_id = ?1;"
	"CREATE TEMP TABLE summary_broken AS"
	" SELECT reason, break_type, ctx_type FROM cancel_broken_link WHERE incident_id = ?1;"
	"CREATE TEMP TABLE summary_leak AS"
	" SELECT goid, func, obj_kind FROM leak_suspect WHERE incident_id = ?1;"
	"CREATE TEMP TABLE summary_cycle AS"
	" SELECT cycle_id, goid FROM wait_cycle WHERE incident_id = ?1;"
	// finding_group's arms, in its order, on the tables above.
	"INSERT INTO incident_finding (incident_id, kind, culprit, object, count)"
	" SELECT ?1, 'cancel_unobserved', u.func, u.ctx_kind, count(*)"
	"   FROM summary_unobserved AS u GROUP BY u.func, u.ctx_kind"
	" UNION ALL"
	" SELECT ?1, 'cancel_broken_link', b.reason || ' ' || COALESCE(b.break_type, '?'),"
	"        b.ctx_type, count(*)"
	"   FROM summary_broken AS b GROUP BY b.reason, b.break_type, b.ctx_type"
	" UNION ALL"
	" SELECT ?1, 'leak_suspect', l.func, l.obj_kind, count(DISTINCT l.goid)"
	"   FROM summary_leak AS l GROUP BY l.func, l.obj_kind"
	" UNION ALL"
	" SELECT ?1, 'wait_cycle', lw.func, NULL, count(DISTINCT cy.goid)"
	"   FROM summary_cycle AS cy"
	"   JOIN long_wait AS lw ON lw.incident_id = ?1 AND lw.goid = cy.goid"
	"  GROUP BY lw.func"
	" UNION ALL"
	" SELECT ?1, 'cancel_detached', NULL, NULL, count(*)"
	"   FROM cancel_detached AS d WHERE d.incident_id = ?1 GROUP BY d.incident_id"
	" UNION ALL"
	" SELECT ?1, 'context_lock_wait', NULL, c.kind, count(DISTINCT k.ctx_addr)"
	"   FROM sync_wait AS k INDEXED BY sync_wait_by_ctx"
	"   LEFT JOIN context AS c ON c.incident_id = k.incident_id AND c.addr = k.ctx_addr"
	"  WHERE k.incident_id = ?1 AND k.ctx_addr IS NOT NULL"
	"  GROUP BY c.kind;"
	// report_counts' subqueries, on the same tables (f_* there); the
	// detached contexts as just counted.
	"INSERT INTO incident_finding_count (incident_id, unobserved, broken_links, leaked, cycles,"
	" detached, lock_waits, heap_scanned, in_cycles, leak_groups, victims)"
	" SELECT ?1,"
	"  (SELECT count(*) FROM summary_unobserved),"
	"  (SELECT count(*) FROM summary_broken),"
	"  (SELECT count(DISTINCT goid) FROM summary_leak),"
	"  (SELECT count(DISTINCT cycle_id) FROM summary_cycle),"
	"  COALESCE((SELECT sum(count) FROM incident_finding"
	"             WHERE incident_id = ?1 AND kind = 'cancel_detached'), 0),"
	"  (SELECT count(*) FROM context_lock_wait WHERE incident_id = ?1),"
	"  EXISTS (SELECT 1 FROM heap_scan WHERE incident_id = ?1),"
	"  (SELECT count(DISTINCT goid) FROM summary_cycle),"
	"  (SELECT count(DISTINCT COALESCE('c' || m.component_id, 'g' || l.goid))"
	"     FROM summary_leak AS l"
	"     LEFT JOIN wait_member AS m ON m.incident_id = ?1 AND m.goid = l.goid"
	"    WHERE l.goid NOT IN (SELECT goid FROM summary_cycle)),"
	"  (SELECT count(*) FROM goroutine_blocker AS b"
	"     JOIN goroutine_base AS g ON g.incident_id = b.incident_id AND g.goid = b.goid"
	"    WHERE b.incident_id = ?1"
	"      AND (b.culprit_goid IN (SELECT goid FROM summary_unobserved)"
	"           OR b.culprit_goid IN (SELECT goid FROM summary_leak))"
	"      AND b.goid NOT IN (SELECT goid FROM summary_unobserved));"
	"INSERT INTO incident_signature (incident_id, term, weight)"
	" SELECT incident_id, term, weight FROM signature_term WHERE incident_id = ?1;"
	"UPDATE incident SET summary_version = ?2 WHERE id = ?1;"
	"DROP TABLE temp.summary_unobserved;"
	"DROP TABLE temp.summary_broken;"
	"DROP TABLE temp.summary_leak;"
	"DROP TABLE temp.summary_cycle;";

struct util_error *store_write_summary(struct store_db *db, int64_t id)
{
	struct util_error *err = NULL;
	for (const char *sql = summary_sql; *sql && !err;) {
		sqlite3_stmt *s = NULL;
		const char *tail = NULL;
		int rc = sqlite3_prepare_v2(db->h, sql, -1, &s, &tail);
		if (rc != SQLITE_OK)
			return store_error_sqlite(db, rc, "preparing the summary");
		if (!s) // nothing but blanks left
			break;
		if (sqlite3_bind_parameter_count(s) >= 1)
			rc = sqlite3_bind_int64(s, 1, id);
		if (rc == SQLITE_OK && sqlite3_bind_parameter_count(s) >= 2)
			rc = sqlite3_bind_int(s, 2, STORE_SUMMARY_VERSION);
		// Errors name the view a budget would stop: the first after FROM.
		char what[128];
		const char *from = strstr(sql, " FROM ");
		if (from && from < tail && strncmp(from + 6, "summary_", 8) != 0)
			snprintf(what, sizeof(what), "the summary of incident %lld (view %.*s)",
				 (long long)id, (int)strcspn(from + 6, " ;"), from + 6);
		else
			snprintf(what, sizeof(what), "the summary of incident %lld", (long long)id);
		bool row;
		err = rc == SQLITE_OK ? store_step(db, s, what, &row) : store_error_sqlite(db, rc, what);
		sqlite3_finalize(s);
		sql = tail;
	}
	return err;
}

/* Whether incident ID exists and needs its summary (re)computed. */
static struct util_error *is_stale(struct store_db *db, int64_t id, bool *exists, bool *stale)
{
	sqlite3_stmt *s = NULL;
	int rc = sqlite3_prepare_v2(db->h, "SELECT summary_version IS ?2 FROM incident WHERE id = ?1",
				    -1, &s, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(s, 1, id);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int(s, 2, STORE_SUMMARY_VERSION);
	if (rc == SQLITE_OK)
		rc = store_step_rc(db, s);
	*exists = rc == SQLITE_ROW;
	*stale = rc == SQLITE_ROW && sqlite3_column_int(s, 0) == 0;
	struct util_error *err = NULL;
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		err = store_error_sqlite(db, rc, "reading the summary version");
	sqlite3_finalize(s);
	return err;
}

/* BEGIN IMMEDIATE on incident ID, which must exist; *STALE: its summary is
 * not up to date. On error the transaction may be open: roll it back. */
static struct util_error *begin_on(struct store_db *db, int64_t id, bool *stale)
{
	struct util_error *err = store_exec(db, "BEGIN IMMEDIATE", "cannot lock database");
	if (err)
		return err;
	bool exists;
	err = is_stale(db, id, &exists, stale);
	if (!err && !exists)
		err = util_error_create(UTIL_ERROR_NOT_FOUND, "%s: no incident %lld", db->path,
					(long long)id);
	return err;
}

/* One incident in its own transaction; FORCE: even when it is up to date. */
static struct util_error *summarize_one(struct store_db *db, int64_t id, bool force)
{
	bool stale;
	struct util_error *err = begin_on(db, id, &stale);
	if (!err && (stale || force))
		err = store_write_summary(db, id);
	if (!err)
		err = store_exec(db, "COMMIT", "committing the summary");
	if (err && !sqlite3_get_autocommit(db->h))
		sqlite3_exec(db->h, "ROLLBACK", NULL, NULL, NULL);
	return err;
}

struct util_error *store_summarize(struct store_db *db, int64_t id)
{
	if (db->readonly)
		return util_error_create(UTIL_ERROR_INVALID, "%s: database was opened read-only",
					 db->path);
	return summarize_one(db, id, true);
}

struct util_error *store_summarize_stale(struct store_db *db)
{
	// Collect the ids first: each is summarized in a transaction of its own.
	sqlite3_stmt *s = NULL;
	int rc = sqlite3_prepare_v2(db->h,
				    "SELECT id FROM incident WHERE summary_version IS NOT ?1 ORDER BY id",
				    -1, &s, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int(s, 1, STORE_SUMMARY_VERSION);
	int64_t *ids = NULL;
	size_t n = 0, cap = 0;
	struct util_error *err = NULL;
	while (rc == SQLITE_OK || rc == SQLITE_ROW) {
		rc = store_step_rc(db, s);
		if (rc != SQLITE_ROW)
			break;
		if (n == cap) {
			size_t ncap = cap ? cap * 2 : 64;
			int64_t *nids = realloc(ids, ncap * sizeof(*ids));
			if (!nids) {
				err = &util_enomem;
				break;
			}
			ids = nids;
			cap = ncap;
		}
		ids[n++] = sqlite3_column_int64(s, 0);
	}
	if (!err && rc != SQLITE_DONE)
		err = store_error_sqlite(db, rc, "looking for incidents to summarize");
	sqlite3_finalize(s);
	for (size_t i = 0; i < n && !err; i++)
		err = summarize_one(db, ids[i], false);
	free(ids);
	return err;
}

static bool key_ok(const char *key)
{
	size_t n = strlen(key);
	if (n == 0 || n > 64)
		return false;
	for (const char *p = key; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '_' || *p == '-' || *p == '.'))
			return false;
	return true;
}

/* Set tag KEY of incident ID to VALUE inside the caller's transaction. */
static struct util_error *write_tag(struct store_db *db, int64_t id, const char *key,
				    const char *value)
{
	bool clear = !value || !*value;
	const char *sql = strcmp(key, "name") == 0
		? "UPDATE incident SET name = ?3 WHERE id = ?1"
		: clear ? "DELETE FROM incident_tag WHERE incident_id = ?1 AND key = ?2"
			: "INSERT INTO incident_tag (incident_id, key, value) VALUES (?1, ?2, ?3)"
			  " ON CONFLICT (incident_id, key) DO UPDATE SET value = excluded.value";
	sqlite3_stmt *s = NULL;
	int rc = sqlite3_prepare_v2(db->h, sql, -1, &s, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(s, 1, id);
	if (rc == SQLITE_OK && sqlite3_bind_parameter_count(s) >= 2)
		rc = sqlite3_bind_text(s, 2, key, -1, SQLITE_STATIC);
	if (rc == SQLITE_OK && sqlite3_bind_parameter_count(s) >= 3)
		rc = clear ? sqlite3_bind_null(s, 3) : sqlite3_bind_text(s, 3, value, -1, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = store_step_rc(db, s);
	struct util_error *err = NULL;
	if (rc != SQLITE_DONE)
		err = store_error_sqlite(db, rc, "writing the tag");
	sqlite3_finalize(s);
	return err;
}

struct util_error *store_set_tags(struct store_db *db, int64_t id, const char *const *keys,
				  const char *const *values, size_t n)
{
	if (db->readonly)
		return util_error_create(UTIL_ERROR_INVALID, "%s: database was opened read-only",
					 db->path);
	// Every key checked before anything is written: all the tags or none.
	for (size_t i = 0; i < n; i++)
		if (!key_ok(keys[i]))
			return util_error_create(UTIL_ERROR_INVALID,
						 "tag name '%s': use 1 to 64 letters, digits, '_', '-' or '.'",
						 keys[i]);
	bool stale;
	struct util_error *err = begin_on(db, id, &stale);
	for (size_t i = 0; i < n && !err; i++)
		err = write_tag(db, id, keys[i], values[i]);
	if (!err)
		err = store_exec(db, "COMMIT", "committing the tags");
	if (err && !sqlite3_get_autocommit(db->h))
		sqlite3_exec(db->h, "ROLLBACK", NULL, NULL, NULL);
	return err;
}

struct util_error *store_set_tag(struct store_db *db, int64_t id, const char *key,
				 const char *value)
{
	return store_set_tags(db, id, &key, &value, 1);
}
