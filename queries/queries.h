// SPDX-License-Identifier: Apache-2.0
/* queries: the SQL library of findings — one documented view per topic
 * (one queries/NAME.sql file each, compiled in), and keeping a database's copies of them in
 * step with this binary. */
#ifndef GOCORONER_QUERIES_H
#define GOCORONER_QUERIES_H

#include <stdbool.h>
#include <stddef.h>

#include <sqlite3.h>

#include "util/util.h"

/** One view of the library (one queries/NAME.sql file). */
struct queries_view {
	const char *name;    /**< view name = file name without .sql */
	const char *header;  /**< the file's leading comment, "-- " prefixes kept */
	const char *create;  /**< the CREATE VIEW statement, without the final ';' */
	bool is_private;     /**< a helper (name starts with '_') */
};

/**
 * The library's views, in creation order (helpers before their users).
 * *RET points into a table that lives as long as the process.
 */
struct util_error *queries_list(const struct queries_view **ret, size_t *count_ret);

/** The view named NAME; UTIL_ERROR_NOT_FOUND when there is none. */
struct util_error *queries_find(const char *name, const struct queries_view **ret);

/**
 * Make the library's views usable on connection H (database file PATH, for
 * messages). WRITABLE: create or replace, in one transaction, the views of
 * the main database whose text differs from this binary's (nothing is written
 * when all match). Read-only: when any is missing or differs, create all of
 * them as TEMP views, which shadow the file's for this connection only.
 */
struct util_error *queries_sync(sqlite3 *h, const char *path, bool writable);

/** The documented column names of a view, parsed from "-- @column NAME:"
 * lines of its header; *RET is malloc'ed (free it and each name). */
struct util_error *queries_columns(const struct queries_view *v, char ***ret, size_t *count_ret);

/** The library text compiled into the binary (queries/library.sql). */
extern const char queries_library_sql[];

#endif
