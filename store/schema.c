// SPDX-License-Identifier: Apache-2.0
// schema.c: the numbered blocks of schema.sql and running them to create or
// upgrade a database.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store-private.h"
#include "store/store.h"

/* A line starting with this opens block N of schema.sql ("-- @version N"). */
static const char block_marker[] = "-- @version ";

struct util_error *store_schema_block(int version, char **ret)
{
	const char *text = store_schema_sql;
	const char *start = NULL, *end = NULL;
	int next = 1; // the number the next marker must carry
	const size_t mlen = sizeof(block_marker) - 1;

	for (const char *line = text; *line;) {
		const char *nl = strchr(line, '\n');
		const char *after = nl ? nl + 1 : line + strlen(line);
		if (strncmp(line, block_marker, mlen) == 0) {
			char *e;
			long n = strtol(line + mlen, &e, 10);
			if (n != next || (*e != '\n' && *e != '\0'))
				return util_error_create(UTIL_ERROR_INVALID,
							 "store/schema.sql: block marker '%.*s' should be '%s%d'",
							 (int)(after - line - (nl ? 1 : 0)), line,
							 block_marker, next);
			if (start && !end)
				end = line;
			if (n == version)
				start = line;
			next++;
		}
		line = after;
	}
	if (next - 1 != STORE_SCHEMA_VERSION)
		return util_error_create(UTIL_ERROR_INVALID,
					 "store/schema.sql ends at version %d but STORE_SCHEMA_VERSION is %d",
					 next - 1, STORE_SCHEMA_VERSION);
	if (!start)
		return util_error_create(UTIL_ERROR_NOT_FOUND, "store/schema.sql has no version %d",
					 version);
	if (!end)
		end = text + strlen(text);
	char *copy = strndup(start, end - start);
	if (!copy)
		return &util_enomem;
	*ret = copy;
	return NULL;
}

struct util_error *store_schema_upgrade(struct store_db *db, int from)
{
	struct util_error *err;
	char what[64];
	for (int v = from + 1; v <= STORE_SCHEMA_VERSION; v++) {
		char *sql;
		err = store_schema_block(v, &sql);
		if (err)
			return err;
		snprintf(what, sizeof(what), "applying schema version %d", v);
		err = store_exec(db, sql, what);
		free(sql);
		if (err)
			return err;
		// Numbers only: PRAGMA takes no bound parameters.
		snprintf(what, sizeof(what), "PRAGMA user_version = %d", v);
		err = store_exec(db, what, "setting the schema version");
		if (err)
			return err;
	}
	snprintf(what, sizeof(what), "PRAGMA application_id = %d", STORE_APPLICATION_ID);
	return store_exec(db, what, "setting the application id");
}
