// SPDX-License-Identifier: Apache-2.0
// transfer.c: moving whole incidents — forgetting one, copying incidents
// between gocoroner databases (import, export). Per-incident tables are found
// at run time (every table with an incident_id column), so tables added by
// later schema versions are covered without changes here.
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store/store-private.h"
#include "store/store.h"

/* The table holding compressed cores, keyed by incident.core_sha256, when the
 * schema has one; its key column. */
static const char blob_table[] = "core_blob";
static const char blob_key[] = "sha256";

/* Name of the attached source database during an import. */
#define SRC_SCHEMA "gocoroner_src"

/* A list of names (tables or columns), each from sqlite3_mprintf. */
struct names {
	char **v;
	size_t n, cap;
};

static void names_free(struct names *l)
{
	for (size_t i = 0; i < l->n; i++)
		sqlite3_free(l->v[i]);
	free(l->v);
	*l = (struct names){0};
}

static struct util_error *names_add(struct names *l, const char *name)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 16;
		char **v = realloc(l->v, cap * sizeof(*v));
		if (!v)
			return &util_enomem;
		l->v = v;
		l->cap = cap;
	}
	char *copy = sqlite3_mprintf("%s", name);
	if (!copy)
		return &util_enomem;
	l->v[l->n++] = copy;
	return NULL;
}

static bool names_has(const struct names *l, const char *name)
{
	for (size_t i = 0; i < l->n; i++)
		if (sqlite3_stricmp(l->v[i], name) == 0)
			return true;
	return false;
}

/* Run a query whose first column is a name, adding each row to RET. Text
 * parameters ?1 and ?2 are bound to P1 and P2 when not NULL. */
static struct util_error *query_names(struct store_db *db, const char *sql, const char *p1,
				      const char *p2, const char *what, struct names *ret)
{
	sqlite3_stmt *s = NULL;
	int rc = sqlite3_prepare_v2(db->h, sql, -1, &s, NULL);
	if (rc == SQLITE_OK && p1)
		rc = sqlite3_bind_text(s, 1, p1, -1, SQLITE_STATIC);
	if (rc == SQLITE_OK && p2)
		rc = sqlite3_bind_text(s, 2, p2, -1, SQLITE_STATIC);
	struct util_error *err = NULL;
	while (rc == SQLITE_OK && (rc = store_step_rc(db, s)) == SQLITE_ROW) {
		err = names_add(ret, (const char *)sqlite3_column_text(s, 0));
		if (err)
			break;
		rc = SQLITE_OK;
	}
	if (!err && rc != SQLITE_DONE)
		err = store_error_sqlite(db, rc, what);
	sqlite3_finalize(s);
	return err;
}

/* The tables of SCHEMA ("main" or the attached source) holding rows of
 * incidents: every ordinary table with an incident_id column. */
static struct util_error *incident_tables(struct store_db *db, const char *schema,
					  struct names *ret)
{
	char *sql = sqlite3_mprintf(
		"SELECT m.name FROM \"%w\".sqlite_master AS m"
		" WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite\\_%%' ESCAPE '\\'"
		" AND EXISTS (SELECT 1 FROM pragma_table_info(m.name, ?1) AS c"
		"             WHERE c.name = 'incident_id')"
		" ORDER BY m.name",
		schema);
	if (!sql)
		return &util_enomem;
	struct util_error *err = query_names(db, sql, schema, NULL, "listing the incident tables", ret);
	sqlite3_free(sql);
	return err;
}

/* Whether SCHEMA has table NAME. */
static struct util_error *has_table(struct store_db *db, const char *schema, const char *name,
				    bool *ret)
{
	struct names l = {0};
	char *sql = sqlite3_mprintf("SELECT name FROM \"%w\".sqlite_master"
				    " WHERE type = 'table' AND name = ?1", schema);
	if (!sql)
		return &util_enomem;
	struct util_error *err = query_names(db, sql, name, NULL, "looking for a table", &l);
	sqlite3_free(sql);
	if (!err)
		*ret = l.n > 0;
	names_free(&l);
	return err;
}

/*
 * The columns of TABLE in SCHEMA that a copy must carry, in table order: all
 * but SKIP (NULL: none) and the rowid alias (a lone INTEGER PRIMARY KEY of a
 * rowid table, e.g. diagnostic.id), which gets a fresh value in the target.
 */
static struct util_error *copy_columns(struct store_db *db, const char *schema, const char *table,
				       const char *skip, struct names *ret)
{
	// pk = 1 of a single-column primary key typed INTEGER is the rowid alias
	// unless the table is WITHOUT ROWID (which has an index of origin 'pk').
	static const char sql[] =
		"SELECT c.name FROM pragma_table_info(?1, ?2) AS c"
		" WHERE NOT (c.pk = 1 AND upper(c.type) = 'INTEGER'"
		"   AND (SELECT count(*) FROM pragma_table_info(?1, ?2) WHERE pk > 0) = 1"
		"   AND NOT EXISTS (SELECT 1 FROM pragma_index_list(?1, ?2) WHERE origin = 'pk'))"
		" ORDER BY c.cid";
	struct names all = {0};
	struct util_error *err = query_names(db, sql, table, schema, "reading a table's columns", &all);
	for (size_t i = 0; !err && i < all.n; i++)
		if (!skip || sqlite3_stricmp(all.v[i], skip) != 0)
			err = names_add(ret, all.v[i]);
	names_free(&all);
	return err;
}

/* ---- forget ---------------------------------------------------------- */

/* Run SQL binding ?1 to ID and, if SHA is not NULL, ?2 to SHA. */
static struct util_error *exec_bound(struct store_db *db, const char *sql, int64_t id,
				     const char *sha, const char *what)
{
	sqlite3_stmt *s = NULL;
	int rc = sqlite3_prepare_v2(db->h, sql, -1, &s, NULL);
	if (rc == SQLITE_OK && sqlite3_bind_parameter_count(s) >= 1)
		rc = sqlite3_bind_int64(s, 1, id);
	if (rc == SQLITE_OK && sha)
		rc = sqlite3_bind_text(s, 2, sha, -1, SQLITE_TRANSIENT);
	if (rc == SQLITE_OK)
		rc = store_step_rc(db, s);
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? NULL : store_error_sqlite(db, rc, what);
}

/* The core_sha256 of incident ID in SCHEMA (a copy the caller frees with
 * sqlite3_free), UTIL_ERROR_NOT_FOUND if there is no such incident. */
static struct util_error *incident_sha(struct store_db *db, const char *schema, const char *file,
				       int64_t id, char **ret)
{
	char *sql = sqlite3_mprintf("SELECT core_sha256 FROM \"%w\".incident WHERE id = ?1", schema);
	if (!sql)
		return &util_enomem;
	sqlite3_stmt *s = NULL;
	int rc = sqlite3_prepare_v2(db->h, sql, -1, &s, NULL);
	sqlite3_free(sql);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(s, 1, id);
	if (rc == SQLITE_OK)
		rc = store_step_rc(db, s);
	struct util_error *err = NULL;
	if (rc == SQLITE_ROW) {
		*ret = sqlite3_mprintf("%s", (const char *)sqlite3_column_text(s, 0));
		if (!*ret)
			err = &util_enomem;
	} else if (rc == SQLITE_DONE) {
		err = util_error_create(UTIL_ERROR_NOT_FOUND, "%s: no incident %lld", file,
					(long long)id);
	} else {
		err = store_error_sqlite(db, rc, "reading the incident");
	}
	sqlite3_finalize(s);
	return err;
}

static struct util_error *forget_rows(struct store_db *db, int64_t id)
{
	char *sha = NULL;
	struct names tables = {0};
	// Tables go in name order, not parents last: with foreign keys
	// enforced, check them at COMMIT.
	struct util_error *err = store_exec(db, "PRAGMA defer_foreign_keys = ON",
					    "deferring foreign key checks");
	if (!err)
		err = incident_sha(db, "main", db->path, id, &sha);
	if (!err)
		err = incident_tables(db, "main", &tables);
	for (size_t i = 0; !err && i < tables.n; i++) {
		char *sql = sqlite3_mprintf("DELETE FROM main.\"%w\" WHERE incident_id = ?1",
					    tables.v[i]);
		char *what = sqlite3_mprintf("deleting the incident's rows of %s", tables.v[i]);
		err = sql && what ? exec_bound(db, sql, id, NULL, what) : &util_enomem;
		sqlite3_free(sql);
		sqlite3_free(what);
	}
	if (!err)
		err = exec_bound(db, "DELETE FROM main.incident WHERE id = ?1", id, NULL,
				 "deleting the incident");
	bool blobs = false;
	if (!err)
		err = has_table(db, "main", blob_table, &blobs);
	if (!err && blobs) {
		// The core may be shared with another incident (same core, other
		// executable build): keep it then.
		char *sql = sqlite3_mprintf(
			"DELETE FROM main.\"%w\" WHERE \"%w\" = ?2"
			" AND NOT EXISTS (SELECT 1 FROM main.incident WHERE core_sha256 = ?2)",
			blob_table, blob_key);
		err = sql ? exec_bound(db, sql, id, sha, "deleting the incident's core") : &util_enomem;
		sqlite3_free(sql);
	}
	names_free(&tables);
	sqlite3_free(sha);
	return err;
}

struct util_error *store_forget(struct store_db *db, int64_t id)
{
	if (db->readonly)
		return util_error_create(UTIL_ERROR_INVALID, "%s: database was opened read-only",
					 db->path);
	struct util_error *err = store_exec(db, "BEGIN IMMEDIATE", "cannot lock database");
	if (err)
		return err;
	err = forget_rows(db, id);
	if (!err)
		err = store_exec(db, "COMMIT", "committing the removal");
	if (err && !sqlite3_get_autocommit(db->h))
		sqlite3_exec(db->h, "ROLLBACK", NULL, NULL, NULL);
	return err;
}

/* ---- import ---------------------------------------------------------- */

/* PATH as a read-only SQLite URI ("file:/abs%3Fpath?mode=ro"), from
 * sqlite3_mprintf; IMMUTABLE adds "&immutable=1" (source_version). */
static char *readonly_uri(const char *path, bool immutable)
{
	sqlite3_str *s = sqlite3_str_new(NULL);
	sqlite3_str_appendall(s, "file:");
	for (const unsigned char *p = (const unsigned char *)path; *p; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		    strchr("/._-~", *p))
			sqlite3_str_appendchar(s, 1, (char)*p);
		else
			sqlite3_str_appendf(s, "%%%02X", *p);
	}
	sqlite3_str_appendall(s, immutable ? "?mode=ro&immutable=1" : "?mode=ro");
	return sqlite3_str_finish(s);
}

/*
 * What the source file says about itself, read through its own read-only
 * connection before it is attached. *IMMUTABLE_RET: it must be read as
 * immutable, as store_open_readonly does in a folder this user cannot write
 * (no -shm file can be made there) when it has no -wal file (store/open.c).
 */
static struct util_error *source_version(const char *path, int *ret, bool *immutable_ret)
{
	struct stat st;
	if (stat(path, &st) != 0)
		return util_error_os(errno, path, "cannot open database");
	sqlite3 *h = NULL;
	struct util_error *err = NULL;
	sqlite3_stmt *s = NULL;
	int rc = SQLITE_OK;
	*immutable_ret = false;
	for (int attempt = 0; attempt < 2; attempt++) {
		sqlite3_finalize(s);
		s = NULL;
		sqlite3_close(h);
		h = NULL;
		char *uri = readonly_uri(path, *immutable_ret);
		if (!uri)
			return &util_enomem;
		rc = sqlite3_open_v2(uri, &h, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, NULL);
		sqlite3_free(uri);
		if (rc == SQLITE_OK) {
			sqlite3_busy_timeout(h, 10000);
			rc = sqlite3_prepare_v2(h,
						"SELECT (SELECT user_version FROM pragma_user_version),"
						" (SELECT application_id FROM pragma_application_id),"
						" (SELECT count(*) FROM sqlite_master)",
						-1, &s, NULL);
		}
		if (rc == SQLITE_OK)
			rc = sqlite3_step(s);
		char wal[4096];
		if ((rc & 0xff) != SQLITE_READONLY || *immutable_ret ||
		    (size_t)snprintf(wal, sizeof(wal), "%s-wal", path) >= sizeof(wal) ||
		    stat(wal, &st) == 0)
			break;
		*immutable_ret = true;
	}
	if (rc == SQLITE_ROW) {
		int version = sqlite3_column_int(s, 0), app = sqlite3_column_int(s, 1);
		if (version == 0 || app != STORE_APPLICATION_ID)
			err = util_error_create(UTIL_ERROR_BAD_DATA, "%s: not a gocoroner database",
						path);
		else if (version > STORE_SCHEMA_VERSION)
			err = util_error_create(UTIL_ERROR_UNSUPPORTED,
						"%s: database schema version %d is newer than this gocoroner supports (%d); upgrade gocoroner to import from it",
						path, version, STORE_SCHEMA_VERSION);
		else
			*ret = version;
	} else {
		// A connection of its own: its errors said as the store's are.
		struct store_db src = {.h = h, .path = (char *)path};
		err = store_error_sqlite(&src, rc, "cannot read database");
	}
	sqlite3_finalize(s);
	sqlite3_close(h);
	return err;
}

/*
 * A source of an older schema is never written: it is copied (SQLite's
 * online backup, from a read-only connection) to a temporary file, which is
 * upgraded like any database gocoroner opens, under BUDGET (the summaries it
 * computes). *TMP_RET is that file's name.
 */
static struct util_error *upgraded_copy(const char *path, bool immutable, uint64_t budget,
				       char **tmp_ret)
{
	const char *dir = getenv("TMPDIR");
	char *tmp = sqlite3_mprintf("%s/gocoroner-import-XXXXXX", dir && *dir ? dir : "/tmp");
	if (!tmp)
		return &util_enomem;
	int fd = mkstemp(tmp);
	if (fd < 0) {
		struct util_error *err = util_error_os(errno, tmp, "cannot create a temporary copy");
		sqlite3_free(tmp);
		return err;
	}
	close(fd);
	struct util_error *err = NULL;
	sqlite3 *from = NULL, *to = NULL;
	char *uri = readonly_uri(path, immutable);
	int rc = uri ? sqlite3_open_v2(uri, &from, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, NULL)
		     : SQLITE_NOMEM;
	sqlite3_free(uri);
	if (rc == SQLITE_OK)
		rc = sqlite3_open_v2(tmp, &to, SQLITE_OPEN_READWRITE, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_busy_timeout(from, 10000);
		sqlite3_backup *b = sqlite3_backup_init(to, "main", from, "main");
		if (!b) {
			rc = sqlite3_errcode(to);
		} else {
			rc = sqlite3_backup_step(b, -1);
			sqlite3_backup_finish(b);
			rc = rc == SQLITE_DONE ? SQLITE_OK : rc;
		}
	}
	if (rc != SQLITE_OK)
		err = util_error_create(UTIL_ERROR_LIB, "%s: copying the database to %s: %s", path,
					tmp, sqlite3_errstr(rc));
	sqlite3_close(from);
	sqlite3_close(to);
	struct store_db *up = NULL;
	if (!err)
		err = store_open_budget(tmp, budget, &up);
	store_close(up);
	if (err) {
		err = util_error_prefix(err, "%s: upgrading a copy of an older database: ", path);
		unlink(tmp);
		sqlite3_free(tmp);
		return err;
	}
	*tmp_ret = tmp;
	return NULL;
}

/* Remove a temporary copy and what SQLite left beside it. */
static void remove_copy(char *tmp)
{
	if (!tmp)
		return;
	static const char *const suffixes[] = { "", "-wal", "-shm", "-journal" };
	for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
		char *name = sqlite3_mprintf("%s%s", tmp, suffixes[i]);
		if (name)
			unlink(name);
		sqlite3_free(name);
	}
	sqlite3_free(tmp);
}

/* One per-incident table and the statement copying an incident's rows of it. */
struct copier {
	sqlite3_stmt **stmts; /**< INSERT … SELECT, ?1 = new id, ?2 = source id */
	size_t n;
	sqlite3_stmt *incident; /**< INSERT the incident row; ?1 = source id */
	sqlite3_stmt *blob;     /**< copy the core blob if absent; ?1 = sha; NULL without blobs */
	sqlite3_stmt *find;     /**< the target's incident of (?1 sha, ?2 build id) */
};

static void copier_free(struct copier *c)
{
	for (size_t i = 0; i < c->n; i++)
		sqlite3_finalize(c->stmts[i]);
	free(c->stmts);
	sqlite3_finalize(c->incident);
	sqlite3_finalize(c->blob);
	sqlite3_finalize(c->find);
	*c = (struct copier){0};
}

/* "c1", "c2"... of COLS present in both databases (named as in the target). */
static char *column_list(const struct names *cols, const struct names *src_cols)
{
	sqlite3_str *s = sqlite3_str_new(NULL);
	bool first = true;
	for (size_t i = 0; i < cols->n; i++) {
		if (!names_has(src_cols, cols->v[i]))
			continue; // older source: the target's default fills it
		sqlite3_str_appendf(s, "%s\"%w\"", first ? "" : ", ", cols->v[i]);
		first = false;
	}
	return sqlite3_str_finish(s);
}

/* INSERT INTO main.TABLE (PREFIX cols) SELECT SELECT_PREFIX cols FROM src.TABLE WHERE WHERE. */
static struct util_error *prepare_copy(struct store_db *db, const char *table, const char *skip,
				       const char *prefix, const char *select_prefix,
				       const char *where, sqlite3_stmt **ret)
{
	struct names cols = {0}, src_cols = {0};
	struct util_error *err = copy_columns(db, "main", table, skip, &cols);
	if (!err)
		err = copy_columns(db, SRC_SCHEMA, table, NULL, &src_cols);
	char *list = err ? NULL : column_list(&cols, &src_cols);
	char *sql = NULL;
	if (!err && !list)
		err = &util_enomem;
	if (!err) {
		bool none = !*list;
		sql = sqlite3_mprintf("INSERT INTO main.\"%w\" (%s%s%s) SELECT %s%s%s FROM " SRC_SCHEMA
				      ".\"%w\" WHERE %s",
				      table, prefix, *prefix && !none ? ", " : "", list, select_prefix,
				      *select_prefix && !none ? ", " : "", list, table, where);
		if (!sql)
			err = &util_enomem;
	}
	if (!err) {
		int rc = sqlite3_prepare_v2(db->h, sql, -1, ret, NULL);
		if (rc != SQLITE_OK) {
			char what[160];
			snprintf(what, sizeof(what), "preparing the copy of table %s", table);
			err = store_error_sqlite(db, rc, what);
		}
	}
	sqlite3_free(sql);
	sqlite3_free(list);
	names_free(&cols);
	names_free(&src_cols);
	return err;
}

static struct util_error *copier_init(struct store_db *db, struct copier *c)
{
	struct names tables = {0}, src_tables = {0};
	struct util_error *err = incident_tables(db, "main", &tables);
	if (!err)
		err = incident_tables(db, SRC_SCHEMA, &src_tables);
	if (!err && !(c->stmts = calloc(tables.n ? tables.n : 1, sizeof(*c->stmts))))
		err = &util_enomem;
	for (size_t i = 0; !err && i < tables.n; i++) {
		// A table the (upgraded) source lacks has no rows to copy.
		if (!names_has(&src_tables, tables.v[i]))
			continue;
		err = prepare_copy(db, tables.v[i], "incident_id", "incident_id", "?1",
				   "incident_id = ?2", &c->stmts[c->n]);
		if (!err)
			c->n++;
	}
	if (!err)
		err = prepare_copy(db, "incident", "id", "id", STORE_NEXT_INCIDENT_ID, "id = ?1",
				   &c->incident);
	bool blobs = false, src_blobs = false;
	if (!err)
		err = has_table(db, "main", blob_table, &blobs);
	if (!err && blobs)
		err = has_table(db, SRC_SCHEMA, blob_table, &src_blobs);
	if (!err && blobs && src_blobs) {
		char *where = sqlite3_mprintf("\"%w\" = ?1 AND NOT EXISTS (SELECT 1 FROM main.\"%w\""
					      " WHERE \"%w\" = ?1)",
					      blob_key, blob_table, blob_key);
		err = where ? prepare_copy(db, blob_table, NULL, "", "", where, &c->blob) : &util_enomem;
		sqlite3_free(where);
	}
	if (!err) {
		int rc = sqlite3_prepare_v2(db->h,
					    "SELECT id FROM main.incident"
					    " WHERE core_sha256 = ?1 AND exe_build_id = ?2",
					    -1, &c->find, NULL);
		if (rc != SQLITE_OK)
			err = store_error_sqlite(db, rc, "preparing the duplicate check");
	}
	names_free(&tables);
	names_free(&src_tables);
	return err;
}

static struct util_error *step_copy(struct store_db *db, sqlite3_stmt *s, const char *what)
{
	int rc = store_step_rc(db, s);
	sqlite3_reset(s);
	return rc == SQLITE_DONE ? NULL : store_error_sqlite(db, rc, what);
}

/* Copy source incident SRC_ID (core SHA, build BUILD) unless the target has it. */
static struct util_error *copy_incident(struct store_db *db, struct copier *c, int64_t src_id,
					const char *sha, const char *build,
					struct store_import_result *res)
{
	int rc = sqlite3_bind_text(c->find, 1, sha, -1, SQLITE_TRANSIENT);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_text(c->find, 2, build, -1, SQLITE_TRANSIENT);
	if (rc == SQLITE_OK)
		rc = store_step_rc(db, c->find);
	int64_t existing = rc == SQLITE_ROW ? sqlite3_column_int64(c->find, 0) : 0;
	sqlite3_reset(c->find);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return store_error_sqlite(db, rc, "looking for a duplicate incident");
	if (existing) {
		res->skipped++;
		res->last_id = existing;
		return NULL;
	}
	char what[96];
	snprintf(what, sizeof(what), "copying incident %lld", (long long)src_id);
	rc = sqlite3_bind_int64(c->incident, 1, src_id);
	if (rc != SQLITE_OK)
		return store_error_sqlite(db, rc, what);
	struct util_error *err = step_copy(db, c->incident, what);
	if (err)
		return err;
	int64_t new_id = sqlite3_last_insert_rowid(db->h);
	for (size_t i = 0; !err && i < c->n; i++) {
		rc = sqlite3_bind_int64(c->stmts[i], 1, new_id);
		if (rc == SQLITE_OK)
			rc = sqlite3_bind_int64(c->stmts[i], 2, src_id);
		err = rc == SQLITE_OK ? step_copy(db, c->stmts[i], what)
				      : store_error_sqlite(db, rc, what);
	}
	if (!err && c->blob) {
		rc = sqlite3_bind_text(c->blob, 1, sha, -1, SQLITE_TRANSIENT);
		err = rc == SQLITE_OK ? step_copy(db, c->blob, what) : store_error_sqlite(db, rc, what);
	}
	if (!err) {
		res->imported++;
		res->last_id = new_id;
	}
	return err;
}

/* Everything between BEGIN and COMMIT of an import. */
static struct util_error *import_rows(struct store_db *db, const char *src_path, int64_t only,
				      struct store_import_result *res)
{
	// Rows of one incident are inserted table by table: with foreign keys
	// enforced, children could come before their parents. Check at COMMIT.
	struct util_error *err = store_exec(db, "PRAGMA defer_foreign_keys = ON",
					    "deferring foreign key checks");
	struct copier c = {0};
	if (!err)
		err = copier_init(db, &c);
	sqlite3_stmt *s = NULL;
	if (!err) {
		int rc = sqlite3_prepare_v2(db->h,
					    "SELECT id, core_sha256, exe_build_id FROM " SRC_SCHEMA
					    ".incident WHERE ?1 = 0 OR id = ?1 ORDER BY id",
					    -1, &s, NULL);
		if (rc == SQLITE_OK)
			rc = sqlite3_bind_int64(s, 1, only);
		if (rc != SQLITE_OK)
			err = store_error_sqlite(db, rc, "listing the incidents to import");
	}
	int rc = SQLITE_ROW;
	while (!err && (rc = store_step_rc(db, s)) == SQLITE_ROW)
		err = copy_incident(db, &c, sqlite3_column_int64(s, 0),
				    (const char *)sqlite3_column_text(s, 1),
				    (const char *)sqlite3_column_text(s, 2), res);
	if (!err && rc != SQLITE_DONE)
		err = store_error_sqlite(db, rc, "reading the incidents to import");
	if (!err && only && res->imported + res->skipped == 0)
		err = util_error_create(UTIL_ERROR_NOT_FOUND, "%s: no incident %lld", src_path,
					(long long)only);
	sqlite3_finalize(s);
	copier_free(&c);
	return err;
}

/* ATTACH the database at URI as SRC_SCHEMA (outside any transaction). */
static struct util_error *exec_attach(struct store_db *db, const char *uri)
{
	sqlite3_stmt *s = NULL;
	int rc = sqlite3_prepare_v2(db->h, "ATTACH ?1 AS " SRC_SCHEMA, -1, &s, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_text(s, 1, uri, -1, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = store_step_rc(db, s);
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? NULL : store_error_sqlite(db, rc, "attaching the source database");
}

struct util_error *store_import(struct store_db *db, const char *src_path, int64_t only,
				struct store_import_result *ret)
{
	if (db->readonly)
		return util_error_create(UTIL_ERROR_INVALID, "%s: database was opened read-only",
					 db->path);
	struct util_error *err = util_check_regular(src_path, "the database to read", NULL);
	if (err)
		return err;
	char *src_real = realpath(src_path, NULL), *db_real = realpath(db->path, NULL);
	bool same = src_real && db_real && strcmp(src_real, db_real) == 0;
	free(db_real);
	if (same) {
		free(src_real);
		return util_error_create(UTIL_ERROR_INVALID, "%s: cannot import a database into itself",
					 src_path);
	}
	int version = 0;
	char *tmp = NULL;
	bool immutable = false;
	err = source_version(src_real ? src_real : src_path, &version, &immutable);
	if (!err && version < STORE_SCHEMA_VERSION)
		err = upgraded_copy(src_real ? src_real : src_path, immutable, db->budget.limit, &tmp);
	char *uri = NULL;
	if (!err && !(uri = readonly_uri(tmp ? tmp : src_real ? src_real : src_path,
					 immutable && !tmp)))
		err = &util_enomem;
	free(src_real);
	bool attached = false;
	if (!err) {
		err = exec_attach(db, uri);
		attached = !err;
	}
	struct store_import_result res = {0};
	if (!err)
		err = store_exec(db, "BEGIN IMMEDIATE", "cannot lock database");
	if (!err) {
		err = import_rows(db, src_path, only, &res);
		if (!err)
			err = store_exec(db, "COMMIT", "committing the import");
		if (err && !sqlite3_get_autocommit(db->h))
			sqlite3_exec(db->h, "ROLLBACK", NULL, NULL, NULL);
	}
	if (attached)
		sqlite3_exec(db->h, "DETACH " SRC_SCHEMA, NULL, NULL, NULL);
	sqlite3_free(uri);
	remove_copy(tmp);
	if (err)
		return err;
	*ret = res;
	return NULL;
}
