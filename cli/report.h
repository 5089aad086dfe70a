// SPDX-License-Identifier: Apache-2.0
/* report.h: what 'report' (report.c) shares with its finding blocks
 * (report-blocks.c); private to cli/. */
#ifndef GOCORONER_CLI_REPORT_H
#define GOCORONER_CLI_REPORT_H

#include "cli/cli.h"

/** Where the report goes: text to OUT, or, when JSON is set, objects of its
 * "findings" array. */
struct report_out {
	FILE *out;
	struct cli_json *json;
	/** The counts of cli_count_findings, for what the blocks leave out. */
	const struct cli_findings *counts;
};

/**
 * Print the finding blocks of incident ID, whose findings cli_count_findings
 * computed, in the order a person should read them: the culprits (most
 * victims, then the deepest context chain first), the leaks others are
 * stuck behind, deadlocks, the other leaks, broken cancel links, goroutines
 * stuck behind an unreported one, then the informational blocks.
 */
struct util_error *report_blocks(struct report_out *o, struct store_db *db, int64_t id);

/** Column COL of ST as text, "" when NULL. */
const char *report_text(sqlite3_stmt *st, int col);

#endif
