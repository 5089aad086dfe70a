// SPDX-License-Identifier: Apache-2.0
// freshidx.c: a new database's secondary indexes, dropped for its first
// incident (ingest.c) and built again by one sort each: when the tables
// they index are written, or at the end (struct fresh_indexes).
#include <stdlib.h>
#include <string.h>

#include "store/store-private.h"

void store_fresh_indexes_free(struct fresh_indexes *f)
{
	for (size_t i = 0; i < f->n; i++) {
		free(f->v[i].sql);
		free(f->v[i].table);
	}
	free(f->v);
	f->v = NULL;
	f->n = 0;
}

struct util_error *store_recreate_indexes(struct store_db *db, struct fresh_indexes *f,
					  const char *const *tables, size_t n)
{
	struct util_error *err = NULL;
	for (size_t i = 0; i < f->n && !err; i++) {
		struct fresh_index *x = &f->v[i];
		bool named = !n;
		for (size_t k = 0; k < n && !named; k++)
			named = !strcmp(x->table, tables[k]);
		if (!x->made && named)
			err = store_exec(db, x->sql, "creating an index");
		x->made |= named && !err;
	}
	return err;
}

struct util_error *store_drop_indexes_if_fresh(struct store_db *db, struct fresh_indexes *f)
{
	static const char sql[] =
		"SELECT name, sql, tbl_name FROM sqlite_schema WHERE type = 'index'"
		" AND sql IS NOT NULL AND NOT EXISTS (SELECT 1 FROM incident) ORDER BY rowid";
	sqlite3_stmt *s = NULL;
	int rc = sqlite3_prepare_v2(db->h, sql, -1, &s, NULL);
	char **names = NULL;
	struct util_error *err = NULL;
	while (rc == SQLITE_OK || rc == SQLITE_ROW) {
		if ((rc = store_step_rc(db, s)) != SQLITE_ROW)
			break;
		const char *name = (const char *)sqlite3_column_text(s, 0);
		const char *text = (const char *)sqlite3_column_text(s, 1);
		const char *table = (const char *)sqlite3_column_text(s, 2);
		struct fresh_index *nv = realloc(f->v, (f->n + 1) * sizeof(*nv));
		if (nv)
			f->v = nv;
		char **nnames = nv ? realloc(names, (f->n + 1) * sizeof(*nnames)) : NULL;
		if (nnames)
			names = nnames;
		char *a = nnames && name ? strdup(name) : NULL, *b = a && text ? strdup(text) : NULL;
		char *c = b && table ? strdup(table) : NULL;
		if (!c) {
			free(a);
			free(b);
			err = &util_enomem;
			break;
		}
		names[f->n] = a;
		f->v[f->n++] = (struct fresh_index){.sql = b, .table = c};
	}
	if (!err && rc != SQLITE_DONE)
		err = store_error_sqlite(db, rc, "reading the schema's indexes");
	sqlite3_finalize(s);
	for (size_t i = 0; i < f->n && !err; i++) {
		char *drop = sqlite3_mprintf("DROP INDEX \"%w\"", names[i]);
		if (!drop) {
			err = &util_enomem;
			break;
		}
		err = store_exec(db, drop, "dropping an index for the first incident");
		sqlite3_free(drop);
	}
	for (size_t i = 0; i < f->n; i++)
		free(names[i]);
	free(names);
	if (err)
		store_fresh_indexes_free(f); // nothing to recreate: the transaction is rolled back
	return err;
}
