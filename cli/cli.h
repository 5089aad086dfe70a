/* cli.h: shared pieces of the gocoroner command's subcommands. */
#ifndef GOCORONER_CLI_H
#define GOCORONER_CLI_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <sqlite3.h>

#include "util/util.h"

/** Exit statuses of the gocoroner command. */
enum {
	CLI_OK = 0,
	CLI_ERROR = 1,  /**< the input or an operation failed */
	CLI_USAGE = 2,  /**< bad command line */
};

#define CLI_DEFAULT_DB "gocoroner.db"

int cli_analyze(int argc, char **argv);
int cli_goroutines(int argc, char **argv);
int cli_traceback(int argc, char **argv);
int cli_contexts(int argc, char **argv);

/** Print "gocoroner: MESSAGE" to stderr and free err; returns CLI_ERROR. */
int cli_fail(struct util_error *err);
/** The named statement of cli/statements.sql, or NULL. */
const char *cli_statement(const char *name);
/** Prepare a named statement; errors name the database. */
struct util_error *cli_prepare(sqlite3 *db, const char *name, sqlite3_stmt **ret);
/** Resolve --incident (0 = the newest) against the database. */
struct util_error *cli_pick_incident(sqlite3 *db, int64_t requested, int64_t *ret);
/** Print the header and summary of an incident (counts by state, largest stack groups). */
struct util_error *cli_print_summary(FILE *out, sqlite3 *db, int64_t incident);

/** The statements file compiled into the binary. */
extern const char cli_statements_sql[];

#endif
