// SPDX-License-Identifier: Apache-2.0
// fuzz-sql.c: every read-only command and every query of the library on a
// database whose rows the input corrupts.
//
// A pristine database is built once, by 'gocoroner analyze' of two small
// corpus cores (the first with --keep-core, so 'core' has a blob to write).
// Each input is a list of row corruptions applied to a copy of it with the
// database's own SQL; then the commands run on the copy under a small work
// budget, output thrown away. Nothing may crash, and every statement must
// end (libFuzzer's -timeout catches one that does not).
//
// Input: a first byte choosing the commands: below 0x80 every one, else
// only command number (byte - 0x80) modulo their number (each run of every
// command takes seconds under ASan; a single one lets the fuzzer go faster).
// Then records of REC_SIZE bytes (a trailing partial record is ignored):
//   [0] table (in sqlite_master order, % number of tables)
//   [1..2] row (little endian, % the table's rows, in primary key order)
//   [3] column (% the table's columns)   [4] what: enum what % NWHAT
//   [5..12] value bytes v[0..7], used according to what
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>
#include <zstd.h>

#include "cli/cli.h"
#include "fuzz/scratch.h"
#include "queries/queries.h"

#ifndef TOP_SRCDIR
#define TOP_SRCDIR "."
#endif

enum { REC_SIZE = 13, MAX_RECORDS = 16, MAX_TABLES = 64, MAX_COLS = 32 };

/* The budget of every statement a command runs: the pristine database's
 * heaviest command needs far less. */
#define BUDGET "2000000"

enum what {
	W_NULL,
	W_ZERO,
	W_MINUS_ONE,
	W_INT64_MAX,
	W_INT64_MIN,
	W_SMALL,        /* (int8_t)v[0] */
	W_INT,          /* v[0..7] as an int64 */
	W_EMPTY,        /* '' */
	W_LONG,         /* 64 KiB of text */
	W_NOT_UTF8,     /* text that is not UTF-8 */
	W_BLOB,         /* a blob where text or a number belongs */
	W_REAL,         /* a real where an integer belongs */
	W_DANGLING,     /* an id no row has */
	W_OTHER_ROW,    /* the same column of row v[0..1]: repeated ids, cycles in parent links */
	W_OTHER_COLUMN, /* column v[0] of the same row: a parent link to itself */
	W_ODD_TEXT,     /* newlines, quotes, escapes, a NUL byte, format directives */
	W_BYTES,        /* v[0..7] as text */
	W_NUMERIC_TEXT, /* text that looks like a number */
	W_DELETE,       /* the row goes */
	NWHAT
};

struct table {
	char name[64];
	char cols[MAX_COLS][64];
	int ncols;
	char key[256];  /* the primary key's columns, or rowid, joined by "," */
	int64_t nrows;
};

static struct {
	char dir[128], db[160], out[160];
	void *pristine;
	size_t pristine_len;
	struct table tables[MAX_TABLES];
	int ntables;
	char (*views)[64];
	size_t nviews;
	FILE *devnull;
	char *long_text;
} fz;

static __attribute__((noreturn)) void die(const char *what)
{
	fprintf(stderr, "fuzz-sql: %s\n", what);
	abort();
}

static void remove_db(void)
{
	char p[192];
	static const char *const suffix[] = {"", "-wal", "-shm", "-journal"};
	for (size_t i = 0; i < 4; i++) {
		snprintf(p, sizeof(p), "%s%s", fz.db, suffix[i]);
		unlink(p);
	}
	unlink(fz.out);
}

static void cleanup(void)
{
	remove_db();
	rmdir(fz.dir);
}

/* Run a command of the CLI with its output thrown away; its exit status. */
static int run(int argc, char **argv)
{
	FILE *real_out = stdout, *real_err = stderr;
	stdout = fz.devnull;
	if (!getenv("FUZZ_SQL_VERBOSE"))
		stderr = fz.devnull;
	int status;
	if (!strcmp(argv[0], "analyze"))
		status = cli_analyze(argc, argv);
	else if (!strcmp(argv[0], "incidents"))
		status = cli_incidents(argc, argv);
	else if (!strcmp(argv[0], "report"))
		status = cli_report(argc, argv);
	else if (!strcmp(argv[0], "goroutines"))
		status = cli_goroutines(argc, argv);
	else if (!strcmp(argv[0], "traceback"))
		status = cli_traceback(argc, argv);
	else if (!strcmp(argv[0], "frame"))
		status = cli_frame(argc, argv);
	else if (!strcmp(argv[0], "locals"))
		status = cli_locals(argc, argv);
	else if (!strcmp(argv[0], "contexts"))
		status = cli_contexts(argc, argv);
	else if (!strcmp(argv[0], "graph"))
		status = cli_graph(argc, argv);
	else if (!strcmp(argv[0], "similar"))
		status = cli_similar(argc, argv);
	else if (!strcmp(argv[0], "diff"))
		status = cli_diff(argc, argv);
	else if (!strcmp(argv[0], "core"))
		status = cli_core(argc, argv);
	else if (!strcmp(argv[0], "query"))
		status = cli_query(argc, argv);
	else
		die(argv[0]);
	fflush(stdout);
	fflush(stderr);
	stdout = real_out;
	stderr = real_err;
	if (getenv("FUZZ_SQL_VERBOSE")) {
		fprintf(stderr, "fuzz-sql: status %d:", status);
		for (int i = 0; i < argc; i++)
			fprintf(stderr, " %s", argv[i]);
		fputc('\n', stderr);
	}
	if (status == CLI_USAGE) { // the harness's own command line is wrong
		fprintf(stderr, "fuzz-sql: usage error from %s\n", argv[0]);
		abort();
	}
	return status;
}

/* Analyze a corpus core into the pristine database. */
static void analyze(const char *core, const char *exe_zst, bool keep)
{
	char exe[192];
	snprintf(exe, sizeof(exe), "%s/exe", fz.dir);
	if (fuzz_unzstd(exe_zst, exe) != 0)
		die(exe_zst);
	char *argv[] = {"analyze", "--quiet", "--db", fz.db, "--exe", exe, (char *)core,
			keep ? "--keep-core" : NULL, NULL};
	if (run(keep ? 8 : 7, argv) != CLI_OK)
		die(core);
	unlink(exe);
}

static void read_schema(sqlite3 *h)
{
	sqlite3_stmt *st, *info;
	if (sqlite3_prepare_v2(h, "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY rowid",
			       -1, &st, NULL) != SQLITE_OK)
		die(sqlite3_errmsg(h));
	while (sqlite3_step(st) == SQLITE_ROW && fz.ntables < MAX_TABLES) {
		struct table *t = &fz.tables[fz.ntables];
		snprintf(t->name, sizeof(t->name), "%s", sqlite3_column_text(st, 0));
		char sql[256];
		snprintf(sql, sizeof(sql), "PRAGMA table_info(\"%s\")", t->name);
		if (sqlite3_prepare_v2(h, sql, -1, &info, NULL) != SQLITE_OK)
			die(sqlite3_errmsg(h));
		// The key's columns in their order in the key (pk is 1, 2...).
		char pk[8][64] = {{0}};
		int npk = 0;
		while (sqlite3_step(info) == SQLITE_ROW && t->ncols < MAX_COLS) {
			const char *name = (const char *)sqlite3_column_text(info, 1);
			snprintf(t->cols[t->ncols++], 64, "%s", name);
			int k = sqlite3_column_int(info, 5);
			if (k >= 1 && k <= 8) {
				snprintf(pk[k - 1], 64, "\"%s\"", name);
				npk = k > npk ? k : npk;
			}
		}
		sqlite3_finalize(info);
		if (!npk)
			snprintf(t->key, sizeof(t->key), "rowid");
		for (int i = 0; i < npk; i++) {
			size_t len = strlen(t->key);
			snprintf(t->key + len, sizeof(t->key) - len, "%s%s", i ? "," : "", pk[i]);
		}
		snprintf(sql, sizeof(sql), "SELECT count(*) FROM \"%s\"", t->name);
		if (sqlite3_prepare_v2(h, sql, -1, &info, NULL) != SQLITE_OK)
			die(sqlite3_errmsg(h));
		if (sqlite3_step(info) == SQLITE_ROW)
			t->nrows = sqlite3_column_int64(info, 0);
		sqlite3_finalize(info);
		if (t->nrows > 0 && t->ncols > 0)
			fz.ntables++;
		else
			memset(t, 0, sizeof(*t));
	}
	sqlite3_finalize(st);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if (fuzz_scratch_make("sql", fz.dir, sizeof(fz.dir)) != 0)
		die("mkdtemp");
	snprintf(fz.db, sizeof(fz.db), "%s/sql.db", fz.dir);
	snprintf(fz.out, sizeof(fz.out), "%s/core.out", fz.dir);
	atexit(cleanup);
	fz.devnull = fopen("/dev/null", "w");
	fz.long_text = malloc(65537);
	if (!fz.devnull || !fz.long_text)
		die("setup");
	memset(fz.long_text, 'x', 65536);
	fz.long_text[65536] = 0;
	analyze(TOP_SRCDIR "/corpus/cores/diag-go1.27-opt-kernel.core.zst",
		TOP_SRCDIR "/corpus/bin/diag-go1.27-opt.zst", true);
	analyze(TOP_SRCDIR "/corpus/cores/ctxroots-go1.27-opt-gcore.core.zst",
		TOP_SRCDIR "/corpus/bin/ctxroots-go1.27-opt.zst", false);
	sqlite3 *h;
	if (sqlite3_open(fz.db, &h) != SQLITE_OK)
		die("open");
	// One file, no WAL beside it: each input starts from a copy of it.
	if (sqlite3_exec(h, "PRAGMA journal_mode = DELETE", NULL, NULL, NULL) != SQLITE_OK)
		die(sqlite3_errmsg(h));
	read_schema(h);
	sqlite3_close(h);
	FILE *f = fopen(fz.db, "rb");
	struct stat st;
	if (!f || fstat(fileno(f), &st) != 0)
		die(fz.db);
	fz.pristine_len = (size_t)st.st_size;
	fz.pristine = malloc(fz.pristine_len);
	if (!fz.pristine || fread(fz.pristine, 1, fz.pristine_len, f) != fz.pristine_len)
		die(fz.db);
	fclose(f);
	const struct queries_view *views;
	size_t nviews;
	if (queries_list(&views, &nviews))
		die("queries_list");
	fz.views = calloc(nviews ? nviews : 1, sizeof(*fz.views));
	if (!fz.views)
		die("out of memory");
	for (size_t i = 0; i < nviews; i++)
		if (!views[i].is_private)
			snprintf(fz.views[fz.nviews++], 64, "%s", views[i].name);
	if (getenv("FUZZ_SQL_VERBOSE"))
		fprintf(stderr, "fuzz-sql: %d tables, %zu views, %zu bytes\n", fz.ntables, fz.nviews,
			fz.pristine_len);
	for (int i = 0; getenv("FUZZ_SQL_VERBOSE") && i < fz.ntables; i++) {
		fprintf(stderr, "fuzz-sql: table %d %s (%lld rows):", i, fz.tables[i].name,
			(long long)fz.tables[i].nrows);
		for (int j = 0; j < fz.tables[i].ncols; j++)
			fprintf(stderr, " %d:%s", j, fz.tables[i].cols[j]);
		fputc('\n', stderr);
	}
	return 0;
}

static uint64_t le(const uint8_t *p, size_t n)
{
	uint64_t v = 0;
	for (size_t i = 0; i < n; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

/* Apply one record; a statement the schema refuses (a constraint) changes nothing. */
static void corrupt(sqlite3 *h, const uint8_t *r)
{
	const struct table *t = &fz.tables[r[0] % fz.ntables];
	int64_t row = (int64_t)(le(r + 1, 2) % (uint64_t)t->nrows);
	const char *col = t->cols[r[3] % t->ncols];
	enum what w = (enum what)(r[4] % NWHAT);
	const uint8_t *v = r + 5;
	char sql[1024], where[512];
	snprintf(where, sizeof(where), "(%s) IN (SELECT %s FROM \"%s\" ORDER BY %s LIMIT 1 OFFSET %lld)",
		 t->key, t->key, t->name, t->key, (long long)row);
	if (w == W_DELETE)
		snprintf(sql, sizeof(sql), "DELETE FROM \"%s\" WHERE %s", t->name, where);
	else if (w == W_OTHER_ROW)
		snprintf(sql, sizeof(sql),
			 "UPDATE \"%s\" SET \"%s\" = (SELECT \"%s\" FROM \"%s\" ORDER BY %s LIMIT 1 OFFSET %lld) WHERE %s",
			 t->name, col, col, t->name, t->key,
			 (long long)(le(v, 2) % (uint64_t)t->nrows), where);
	else if (w == W_OTHER_COLUMN)
		snprintf(sql, sizeof(sql), "UPDATE \"%s\" SET \"%s\" = \"%s\" WHERE %s", t->name, col,
			 t->cols[v[0] % t->ncols], where);
	else if (w == W_DANGLING)
		snprintf(sql, sizeof(sql),
			 "UPDATE \"%s\" SET \"%s\" = (SELECT coalesce(max(\"%s\"), 0) + 1 + %u FROM \"%s\") WHERE %s",
			 t->name, col, col, v[0], t->name, where);
	else
		snprintf(sql, sizeof(sql), "UPDATE \"%s\" SET \"%s\" = ? WHERE %s", t->name, col, where);
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(h, sql, -1, &st, NULL) != SQLITE_OK)
		die(sqlite3_errmsg(h)); // the harness's SQL is wrong
	static const char not_utf8[] = "\xff\xfe\xc3\x28\xa0\xa1\xe2\x28\xa1\xf0\x90\x28\xbc";
	static const char odd[] = "a\nb\r\t'\"\\%s%n\x1b[31m<>&{}\0after the NUL";
	switch (w) {
	case W_NULL: sqlite3_bind_null(st, 1); break;
	case W_ZERO: sqlite3_bind_int64(st, 1, 0); break;
	case W_MINUS_ONE: sqlite3_bind_int64(st, 1, -1); break;
	case W_INT64_MAX: sqlite3_bind_int64(st, 1, INT64_MAX); break;
	case W_INT64_MIN: sqlite3_bind_int64(st, 1, INT64_MIN); break;
	case W_SMALL: sqlite3_bind_int64(st, 1, (int8_t)v[0]); break;
	case W_INT: sqlite3_bind_int64(st, 1, (int64_t)le(v, 8)); break;
	case W_EMPTY: sqlite3_bind_text(st, 1, "", 0, SQLITE_STATIC); break;
	case W_LONG: sqlite3_bind_text(st, 1, fz.long_text, 65536, SQLITE_STATIC); break;
	case W_NOT_UTF8: sqlite3_bind_text(st, 1, not_utf8, sizeof(not_utf8) - 1, SQLITE_STATIC); break;
	case W_BLOB: sqlite3_bind_blob(st, 1, v, 8, SQLITE_TRANSIENT); break;
	case W_REAL: sqlite3_bind_double(st, 1, v[0] & 1 ? 1e300 : -0.5); break;
	case W_ODD_TEXT: sqlite3_bind_text(st, 1, odd, sizeof(odd) - 1, SQLITE_STATIC); break;
	case W_BYTES: sqlite3_bind_text(st, 1, (const char *)v, 8, SQLITE_TRANSIENT); break;
	case W_NUMERIC_TEXT: sqlite3_bind_text(st, 1, v[0] & 1 ? "12abc" : "0x10", -1, SQLITE_STATIC); break;
	default: break;
	}
	sqlite3_step(st);
	sqlite3_finalize(st);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	remove_db();
	FILE *f = fopen(fz.db, "wb");
	if (!f || fwrite(fz.pristine, 1, fz.pristine_len, f) != fz.pristine_len || fclose(f) != 0)
		die(fz.db);
	sqlite3 *h;
	if (sqlite3_open(fz.db, &h) != SQLITE_OK)
		die("open");
	unsigned only = size && data[0] >= 0x80 ? data[0] - 0x80u : ~0u;
	if (size) {
		data++;
		size--;
	}
	sqlite3_exec(h, "BEGIN", NULL, NULL, NULL);
	for (size_t at = 0, n = 0; at + REC_SIZE <= size && n < MAX_RECORDS; at += REC_SIZE, n++)
		corrupt(h, data + at);
	sqlite3_exec(h, "COMMIT", NULL, NULL, NULL);
	sqlite3_close(h);

	char *db = fz.db, *out = fz.out;
	unsigned ncommands = 33 + (unsigned)fz.nviews, k = 0;
	only = only == ~0u ? only : only % ncommands;
#define RUN(...)                                                                              \
	do {                                                                                  \
		char *argv_[] = {__VA_ARGS__, "--db", db, "--budget", BUDGET, NULL};          \
		if (only == ~0u || only == k)                                                 \
			run((int)(sizeof(argv_) / sizeof(*argv_)) - 1, argv_);                \
		k++;                                                                          \
	} while (0)
	RUN("incidents");
	RUN("incidents", "--format", "json");
	RUN("incidents", "--format", "csv");
	RUN("report");
	RUN("report", "--incident", "1");
	RUN("report", "--short", "--fail-on-findings");
	RUN("report", "--format", "json", "--runtime-frames");
	RUN("goroutines");
	RUN("goroutines", "--incident", "1");
	RUN("goroutines", "--chan", "0xc000024060");
	RUN("traceback", "--system", "--waits");
	RUN("traceback", "--incident", "1");
	RUN("goroutines", "--group", "label", "k", "--with", "func", "main", "--format", "json");
	RUN("traceback", "--goid", "1,2,3");
	RUN("frame", "1");
	RUN("locals", "1", "0");
	RUN("contexts");
	RUN("contexts", "--incident", "1");
	RUN("contexts", "--goid", "1");
	RUN("contexts", "--canceled", "--format", "json");
	RUN("contexts", "--depth", "2", "--all-holders");
	RUN("graph", "--contexts");
	RUN("graph", "--contexts", "--incident", "1");
	RUN("graph", "--contexts", "--canceled", "--all");
	RUN("graph", "--waits");
	RUN("graph", "--waits", "--incident", "1");
	RUN("similar", "--all", "2");
	RUN("diff", "1", "2");
	RUN("diff", "2", "1");
	RUN("diff", "--format", "json", "1", "2");
	RUN("core", "1", "--to", out);
	RUN("query", "--format", "json", "incident_summary");
	RUN("query", "--format", "csv", "SELECT * FROM goroutine_frame");
	for (size_t i = 0; i < fz.nviews; i++)
		RUN("query", fz.views[i]);
#undef RUN
	if (k != ncommands)
		die("ncommands is not the number of commands");
	return 0;
}
