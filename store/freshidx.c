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
