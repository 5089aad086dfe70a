// SPDX-License-Identifier: Apache-2.0
// queries.c: splitting the compiled-in library into views, and creating
// them in databases.
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "queries/queries.h"

enum { QUERIES_MAX = 64 };

static const char file_marker[] = "-- @file ";
static const char create_marker[] = "CREATE VIEW ";

static struct queries_view views[QUERIES_MAX];
static size_t nviews;
static struct util_error *parse_error; // kept: the library is fixed at build time
static bool parsed;

/* One "-- @file NAME" chunk: header comment, then the CREATE VIEW statement. */
static struct util_error *parse_chunk(const char *name, size_t nlen, const char *body, size_t blen)
{
	if (nviews == QUERIES_MAX)
		return util_error_create(UTIL_ERROR_INVALID, "queries: more than %d views", QUERIES_MAX);
	char *text = strndup(body, blen);
	char *vname = strndup(name, nlen);
	if (!text || !vname) {
		free(text), free(vname);
		return &util_enomem;
	}
	char *create = NULL;
	for (char *line = text; line && *line;) {
		if (strncmp(line, create_marker, sizeof(create_marker) - 1) == 0) {
			create = line;
			break;
		}
		char *nl = strchr(line, '\n');
		line = nl ? nl + 1 : NULL;
	}
	size_t want = strlen(vname);
	if (!create || strncmp(create + sizeof(create_marker) - 1, vname, want) != 0 ||
	    strncmp(create + sizeof(create_marker) - 1 + want, " AS", 3) != 0) {
		struct util_error *err = util_error_create(UTIL_ERROR_INVALID,
			"queries/%s.sql: no line 'CREATE VIEW %s AS'", vname, vname);
		free(text), free(vname);
		return err;
	}
	// The statement ends at its last ';' (comments may follow none).
	char *end = strrchr(create, ';');
	if (!end) {
		struct util_error *err = util_error_create(UTIL_ERROR_INVALID,
			"queries/%s.sql: the CREATE VIEW statement does not end with ';'", vname);
		free(text), free(vname);
		return err;
	}
	*end = '\0';
	create[-1] = '\0'; // ends the header (the '\n' before CREATE)
	// The file's licence line opens it but is not the view's documentation.
	const char *header = text;
	static const char spdx[] = "-- SPDX-License-Identifier:";
	if (strncmp(header, spdx, sizeof(spdx) - 1) == 0) {
		const char *nl = strchr(header, '\n');
		header = nl ? nl + 1 : header + strlen(header);
	}
	views[nviews++] = (struct queries_view){
		.name = vname,
		.header = header,
		.create = create,
		.is_private = vname[0] == '_',
	};
	return NULL;
}

static struct util_error *parse(void)
{
	if (parsed)
		return parse_error;
	parsed = true;
	const char *p = strstr(queries_library_sql, file_marker);
	while (p && !parse_error) {
		const char *name = p + sizeof(file_marker) - 1;
		size_t nlen = strcspn(name, "\n");
		const char *body = name + nlen + (name[nlen] == '\n');
		const char *next = strstr(body, file_marker);
		size_t blen = next ? (size_t)(next - body) : strlen(body);
		parse_error = parse_chunk(name, nlen, body, blen);
		p = next;
	}
	if (!parse_error && nviews == 0)
		parse_error = util_error_create(UTIL_ERROR_INVALID, "queries: the library is empty");
	return parse_error;
}

struct util_error *queries_list(const struct queries_view **ret, size_t *count_ret)
{
	struct util_error *err = parse();
	if (err)
		return err == &util_enomem ? err
			: util_error_create(err->code, "%s", err->message);
	*ret = views;
	*count_ret = nviews;
	return NULL;
}

struct util_error *queries_find(const char *name, const struct queries_view **ret)
{
	const struct queries_view *v;
	size_t n;
	struct util_error *err = queries_list(&v, &n);
	if (err)
		return err;
	for (size_t i = 0; i < n; i++)
		if (strcmp(v[i].name, name) == 0) {
			*ret = &v[i];
			return NULL;
		}
	return util_error_create(UTIL_ERROR_NOT_FOUND, "no query named '%s'", name);
}

struct util_error *queries_columns(const struct queries_view *v, char ***ret, size_t *count_ret)
{
	static const char tag[] = "-- @column ";
	char **names = NULL;
	size_t n = 0;
	for (const char *p = strstr(v->header, tag); p; p = strstr(p + 1, tag)) {
		if (p != v->header && p[-1] != '\n')
			continue;
		const char *name = p + sizeof(tag) - 1;
		size_t len = strcspn(name, ": \n");
		char **grown = realloc(names, (n + 1) * sizeof(*names));
		if (!grown)
			goto nomem;
		names = grown;
		if (!(names[n] = strndup(name, len)))
			goto nomem;
		n++;
	}
	*ret = names;
	*count_ret = n;
	return NULL;
nomem:
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return &util_enomem;
}

static struct util_error *sql_error(sqlite3 *h, const char *path, const char *what)
{
	int rc = sqlite3_extended_errcode(h);
	if ((rc & 0xff) == SQLITE_NOMEM)
		return &util_enomem;
	// As store_error_sqlite says them: "disk I/O error" names neither the
	// call that failed nor why, "database or disk is full" is ENOSPC.
	const char *call = rc == SQLITE_IOERR_READ || rc == SQLITE_IOERR_SHORT_READ ? "read"
		: rc == SQLITE_IOERR_WRITE ? "write"
		: rc == SQLITE_IOERR_FSYNC || rc == SQLITE_IOERR_DIR_FSYNC ? "fsync"
		: rc == SQLITE_IOERR_TRUNCATE ? "truncate"
		: rc == SQLITE_IOERR_FSTAT ? "fstat" : NULL;
	int errnum = (rc & 0xff) == SQLITE_IOERR ? sqlite3_system_errno(h)
		   : (rc & 0xff) == SQLITE_FULL ? ENOSPC : 0;
	if ((rc & 0xff) == SQLITE_IOERR || (rc & 0xff) == SQLITE_FULL)
		return util_error_create(UTIL_ERROR_OS, "%s: %s: %s (%s%s%s)", path, what,
					 sqlite3_errmsg(h), call ? call : "",
					 call ? (errnum ? ": " : " failed") : "",
					 errnum ? strerror(errnum) : "");
	return util_error_create(UTIL_ERROR_LIB, "%s: %s: %s", path, what, sqlite3_errmsg(h));
}

/* Does SCHEMA hold view V with exactly this binary's text? */
static struct util_error *view_current(sqlite3 *h, const char *path, const char *schema,
				       const struct queries_view *v, bool *ret)
{
	char sql[128];
	snprintf(sql, sizeof(sql), "SELECT sql FROM %s.sqlite_master WHERE type = 'view' AND name = ?1",
		 schema);
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(h, sql, -1, &st, NULL) != SQLITE_OK)
		return sql_error(h, path, "reading the query views");
	sqlite3_bind_text(st, 1, v->name, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	*ret = rc == SQLITE_ROW && sqlite3_column_text(st, 0) &&
	       strcmp((const char *)sqlite3_column_text(st, 0), v->create) == 0;
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return sql_error(h, path, "reading the query views");
	return NULL;
}

static struct util_error *exec(sqlite3 *h, const char *path, const char *sql, const char *what)
{
	return sqlite3_exec(h, sql, NULL, NULL, NULL) == SQLITE_OK ? NULL : sql_error(h, path, what);
}

/* (Re)create every view: in main (writable) or as TEMP views. */
static struct util_error *create_all(sqlite3 *h, const char *path, bool writable)
{
	const char *schema = writable ? "main" : "temp";
	char what[160];
	// Drop in reverse order (users before helpers), create in order.
	for (size_t i = nviews; i-- > 0;) {
		char *sql = sqlite3_mprintf("DROP VIEW IF EXISTS %s.\"%w\"", schema, views[i].name);
		if (!sql)
			return &util_enomem;
		snprintf(what, sizeof(what), "dropping view %s", views[i].name);
		struct util_error *err = exec(h, path, sql, what);
		sqlite3_free(sql);
		if (err)
			return err;
	}
	for (size_t i = 0; i < nviews; i++) {
		const char *create = views[i].create;
		char *sql = writable ? NULL
				     : sqlite3_mprintf("CREATE TEMP VIEW %s",
						       create + sizeof(create_marker) - 1);
		if (!writable && !sql)
			return &util_enomem;
		snprintf(what, sizeof(what), "creating view %s (queries/%s.sql)", views[i].name,
			 views[i].name);
		struct util_error *err = exec(h, path, sql ? sql : create, what);
		sqlite3_free(sql);
		if (err)
			return err;
	}
	return NULL;
}

struct util_error *queries_sync(sqlite3 *h, const char *path, bool writable)
{
	const struct queries_view *v;
	size_t n;
	struct util_error *err = queries_list(&v, &n);
	if (err)
		return err;
	bool all = true;
	for (size_t i = 0; i < n && !err && all; i++)
		err = view_current(h, path, "main", &v[i], &all);
	if (err || all)
		return err;
	if (!writable)
		return create_all(h, path, false);
	// Decide again under the write lock: another gocoroner may have done it.
	err = exec(h, path, "BEGIN IMMEDIATE", "locking the database to update the query views");
	if (err)
		return err;
	all = true;
	for (size_t i = 0; i < n && !err && all; i++)
		err = view_current(h, path, "main", &v[i], &all);
	if (!err && !all)
		err = create_all(h, path, true);
	if (!err)
		err = exec(h, path, "COMMIT", "writing the query views");
	if (err)
		sqlite3_exec(h, "ROLLBACK", NULL, NULL, NULL);
	return err;
}
