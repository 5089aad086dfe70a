// SPDX-License-Identifier: Apache-2.0
// summary.c: an incident's summary rows (finding counts and signature, from
// the query library's views), computed again for old databases, and tags.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store-private.h"
#include "store/store.h"

/* The statements of store/summary.sql, in order (store_summary_sql). */
struct util_error *store_write_summary(struct store_db *db, int64_t id)
{
	struct util_error *err = NULL;
	for (const char *sql = store_summary_sql; *sql && !err;) {
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
				 (long long)id, (int)strcspn(from + 6, " ;\n"), from + 6);
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
