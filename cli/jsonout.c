// SPDX-License-Identifier: Apache-2.0
// jsonout.c: 'analyze --format json' and 'diff --format json' — what the
// text summaries say, as one JSON object for scripts.
#include <string.h>

#include "cli/cli.h"

struct util_error *cli_analyze_json(FILE *out, struct store_db *db, int64_t incident,
				    bool existed, size_t diagnostics,
				    const struct cli_findings *f)
{
	struct cli_json j;
	sqlite3_stmt *st;
	bool row;
	cli_json_init(&j, out);
	cli_json_begin_object(&j, NULL);
	cli_json_int(&j, "incident", incident);
	cli_json_bool(&j, "existed", existed);
	struct util_error *err = cli_prepare(db, "incident_info", &st);
	if (err)
		return err;
	sqlite3_bind_int64(st, 1, incident);
	err = cli_step(db, st, "incident_info", &row);
	if (!err && row) {
		// The columns of incident_info (cli/statements.sql), by name.
		static const struct {
			int col;
			const char *key;
		} cols[] = {
			{1, "core_path"}, {2, "exe_path"}, {13, "executable"}, {3, "go_version"},
			{4, "core_kind"}, {5, "signal"}, {6, "pid"}, {7, "cmdline"},
			{11, "captured_at"}, {12, "captured_at_source"}, {9, "ingested_at"},
			{8, "goroutines"},
		};
		for (size_t i = 0; i < sizeof(cols) / sizeof(cols[0]); i++)
			cli_json_column(&j, cols[i].key, st, cols[i].col);
	}
	sqlite3_finalize(st);
	if (err)
		return err;

	err = cli_prepare(db, "status_counts", &st);
	if (err)
		return err;
	sqlite3_bind_int64(st, 1, incident);
	cli_json_begin_array(&j, "by_state");
	while (!(err = cli_step(db, st, "status_counts", &row)) && row) {
		cli_json_begin_object(&j, NULL);
		cli_json_column(&j, "state", st, 0);
		cli_json_column(&j, "user", st, 1);
		cli_json_column(&j, "system", st, 2);
		cli_json_end_object(&j);
	}
	cli_json_end_array(&j);
	sqlite3_finalize(st);
	if (err)
		return err;

	cli_json_int(&j, "diagnostics", (int64_t)diagnostics);
	cli_json_begin_object(&j, "findings");
	cli_json_int(&j, "cancel_unobserved", f->unobserved);
	cli_json_int(&j, "cancel_broken_link", f->broken_links);
	cli_json_int(&j, "leak_suspects", f->leaks);
	cli_json_int(&j, "leak_groups", f->leak_groups);
	cli_json_int(&j, "wait_cycles", f->cycles);
	cli_json_int(&j, "in_wait_cycles", f->in_cycles);
	cli_json_int(&j, "victims", f->victims);
	cli_json_int(&j, "cancel_detached", f->detached);
	cli_json_int(&j, "context_lock_waits", f->lock_waits);
	cli_json_bool(&j, "heap_scanned", f->heap_scanned);
	cli_json_bool(&j, "bugs", cli_has_bugs(f));
	cli_json_end_object(&j);
	cli_json_end_object(&j);
	return NULL;
}

/* One side of a diff: incident ID's name, capture time, executable... */
static struct util_error *diff_side(struct cli_json *j, struct store_db *db, const char *key,
				    int64_t id)
{
	sqlite3_stmt *st;
	bool row;
	struct util_error *err = cli_prepare(db, "diff_header", &st);
	if (err)
		return err;
	sqlite3_bind_int64(st, 1, id);
	err = cli_step(db, st, "diff_header", &row);
	if (!err && row)
		cli_json_row(j, key, st);
	else if (!err)
		cli_json_null(j, key);
	sqlite3_finalize(st);
	return err;
}

struct util_error *cli_diff_json(FILE *out, struct store_db *db, int64_t a, int64_t b)
{
	static const struct {
		const char *key, *stmt;
	} sections[] = {
		{"goroutine_groups", "diff_buckets"},
		{"findings", "diff_findings"},
		{"context_trees", "diff_contexts"},
	};
	struct cli_json j;
	cli_json_init(&j, out);
	cli_json_begin_object(&j, NULL);
	struct util_error *err = diff_side(&j, db, "a", a);
	if (!err)
		err = diff_side(&j, db, "b", b);
	for (size_t i = 0; !err && i < sizeof(sections) / sizeof(sections[0]); i++) {
		sqlite3_stmt *st;
		bool row;
		err = cli_prepare(db, sections[i].stmt, &st);
		if (err)
			break;
		sqlite3_bind_int64(st, 1, a);
		sqlite3_bind_int64(st, 2, b);
		cli_json_begin_array(&j, sections[i].key);
		while (!(err = cli_step(db, st, sections[i].stmt, &row)) && row)
			cli_json_row(&j, NULL, st);
		cli_json_end_array(&j);
		sqlite3_finalize(st);
	}
	if (err)
		return err; // the output is cut: the caller says why and fails
	cli_json_end_object(&j);
	return NULL;
}
