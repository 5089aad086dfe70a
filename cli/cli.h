// SPDX-License-Identifier: Apache-2.0
/* cli.h: shared pieces of the gocoroner command's subcommands. */
#ifndef GOCORONER_CLI_H
#define GOCORONER_CLI_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include <sqlite3.h>

#include "dwarf/dwarf.h"
#include "store/store.h"
#include "util/util.h"

/** Exit statuses of the gocoroner command. */
enum {
	CLI_OK = 0,
	CLI_ERROR = 1,  /**< the input or an operation failed */
	CLI_USAGE = 2,  /**< bad command line */
	/** analyze --fail-on-findings, report --fail-on-findings: the incident
	 * has bug findings (cancel_unobserved, cancel_broken_link, leak_suspect,
	 * wait_cycle) */
	CLI_FINDINGS = 3,
};

/** Output formats of 'query'. */
enum cli_format { CLI_FORMAT_TABLE, CLI_FORMAT_CSV, CLI_FORMAT_JSON };

#define CLI_DEFAULT_DB "gocoroner.db"

#define CLI_STR_(x) #x
#define CLI_STR(x) CLI_STR_(x)
/** The --budget lines of every command's usage (store_set_budget), its
 * description after GAP (spaces) and continued after INDENT. */
#define CLI_BUDGET_HELP(GAP, INDENT) \
	"  --budget N" GAP "stop any one SQL statement after N steps of work\n" \
	INDENT "(default " CLI_STR(STORE_BUDGET_DEFAULT) "; 0: no limit)\n"

int cli_analyze(int argc, char **argv);
int cli_goroutines(int argc, char **argv);
int cli_traceback(int argc, char **argv);
int cli_frame(int argc, char **argv);
int cli_locals(int argc, char **argv);
int cli_contexts(int argc, char **argv);
int cli_query(int argc, char **argv);
int cli_report(int argc, char **argv);
int cli_graph(int argc, char **argv);
int cli_capture(int argc, char **argv);
int cli_incidents(int argc, char **argv);
int cli_tag(int argc, char **argv);
int cli_similar(int argc, char **argv);
int cli_diff(int argc, char **argv);
int cli_core(int argc, char **argv);
int cli_forget(int argc, char **argv);
int cli_export(int argc, char **argv);
int cli_import(int argc, char **argv);

struct store_db;
#ifdef GOCORONER_TESTING
/** Test hooks set through the environment, in tests/gocoroner-test only (the
 * command built with GOCORONER_TESTING, for the reliability tests):
 * GOCORONER_TEST_CRASH_AFTER=N: store_test_crash_after(DB, N);
 * GOCORONER_TEST_CACHE_KIB=K: a page cache of K KiB, so that a transaction
 * spills uncommitted pages into the WAL. The I/O fault injector's variables
 * (GOCORONER_TEST_IOFAULT...) are read by main (store/testing.h). */
void cli_test_hooks(struct store_db *db);
#else
/** The installed command reads no test hooks. */
static inline void cli_test_hooks(struct store_db *db)
{
	(void)db;
}
#endif

/** A streaming JSON writer (cli/json.c), indented two spaces a level: the
 * output of every command's --format json. Values inside an object take a
 * KEY; inside an array and at the top, KEY is NULL. */
/* Deep enough for 'contexts': two levels a context, 256 contexts deep. */
struct cli_json {
	FILE *out;
	int depth;
	/** Values written so far at each depth, for the commas: INLINE_COUNT,
	 * or a heap array of CAP when nesting goes deeper (context chains
	 * nest as deep as they are), freed when depth returns to 0. */
	int *count;
	int cap;
	int inline_count[32];
};
void cli_json_init(struct cli_json *j, FILE *out);
/** Write S as a JSON string literal, quoted and escaped. */
void cli_json_quote(FILE *out, const char *s);
void cli_json_begin_object(struct cli_json *j, const char *key);
void cli_json_end_object(struct cli_json *j);
void cli_json_begin_array(struct cli_json *j, const char *key);
void cli_json_end_array(struct cli_json *j);
/** A string, or null when S is NULL. */
void cli_json_string(struct cli_json *j, const char *key, const char *s);
void cli_json_int(struct cli_json *j, const char *key, int64_t v);
/** A number, or null for NaN and infinities. */
void cli_json_real(struct cli_json *j, const char *key, double v);
void cli_json_bool(struct cli_json *j, const char *key, bool v);
void cli_json_null(struct cli_json *j, const char *key);
/** Column COL of ST's current row, typed as SQLite stores it. */
void cli_json_column(struct cli_json *j, const char *key, sqlite3_stmt *st, int col);
/** ST's current row as an object keyed by its column names. */
void cli_json_row(struct cli_json *j, const char *key, sqlite3_stmt *st);

/** Parse --incident's value (a number > 0) for COMMAND; on error print why
 * and return true. */
bool cli_parse_incident(const char *command, const char *arg, int64_t *ret);
/** Parse --budget's value (steps, 0: no limit) for COMMAND; on error print
 * why and return true. */
bool cli_parse_budget(const char *command, const char *arg, uint64_t *ret);
/** Parse --format's value for COMMAND; on error print why and return true. */
bool cli_parse_format(const char *command, const char *arg, enum cli_format *ret);
/**
 * After getopt_long returned '?' (opterr 0): say which option of COMMAND
 * is wrong and how, in one line ("gocoroner goroutines: unknown option
 * '--foo'; see 'gocoroner goroutines --help'"; "option '--db' needs a
 * value"; "option '--help' takes no value"); returns CLI_USAGE.
 * SHORTOPTS, getopt's option string, tells a short option missing its
 * value from an unknown one; with NULL both are "unknown option".
 */
int cli_bad_option_in(const char *command, char **argv, const char *shortopts);
/** cli_bad_option_in without the short options. */
int cli_bad_option(const char *command, char **argv);
/**
 * The options of a command that takes --db FILE, --budget N, --help and, if
 * FILE_OPT is not NULL, --FILE_OPT VALUE (into *FILE). Returns -1 to go on
 * with the arguments from optind, else the exit status (--help printed USAGE).
 */
int cli_parse_db_options(const char *command, const char *usage, int argc, char **argv,
			 const char **db_path, uint64_t *budget, const char *file_opt,
			 const char **file);
/** Print every row of ST (stepped here, under DB's budget; WHAT names it in
 * errors) in FORMAT. A table is printed only once every row is read. */
struct util_error *cli_print_rows(FILE *out, struct store_db *db, sqlite3_stmt *st,
				  const char *what, enum cli_format format);
/** Counts of findings of an incident (report_counts); computes the findings
 * into the connection's temporary tables that 'report' prints from. */
struct cli_findings {
	int64_t unobserved, broken_links, detached, lock_waits;
	int64_t leaks, leak_groups;   /* leaked goroutines, and the groups they are in */
	int64_t cycles, in_cycles;    /* wait cycles, and their goroutines */
	int64_t victims;              /* goroutines stuck behind those reported, not counted above */
	bool heap_scanned;
};
struct util_error *cli_count_findings(struct store_db *db, int64_t incident,
				      struct cli_findings *ret);
/** The same counts as the ingest stored them (table incident_finding_count),
 * without evaluating the finding views again; cli_count_findings's when the
 * incident has none that follow this gocoroner's summary definition. */
struct util_error *cli_stored_findings(struct store_db *db, int64_t incident,
				       struct cli_findings *ret);
/** True if the incident has findings that are bugs (not informational). */
bool cli_has_bugs(const struct cli_findings *f);
/** True if the incident has findings of any kind, informational included. */
bool cli_has_findings(const struct cli_findings *f);
/** The short form of the report: one line per kind of finding. */
void cli_print_findings_short(FILE *out, const struct cli_findings *f);

/** Print "gocoroner: MESSAGE" to stderr and free err; returns CLI_ERROR. A
 * statement stopped by its budget (UTIL_ERROR_BUDGET) gets how to lift it. */
int cli_fail(struct util_error *err);
/** The command being run ("analyze"), for messages: set by main. */
extern const char *cli_command;
/** The named statement of cli/statements.sql, or NULL. */
const char *cli_statement(const char *name);
/** Prepare a named statement; errors name the database. */
struct util_error *cli_prepare(struct store_db *db, const char *name, sqlite3_stmt **ret);
/** Step ST, the named statement NAME, under DB's budget (store_step): *ROW
 * true for a row, false when done. */
struct util_error *cli_step(struct store_db *db, sqlite3_stmt *st, const char *name, bool *row);
/** store_open_readonly, then BUDGET for every statement (store_set_budget). */
struct util_error *cli_open_readonly(const char *path, uint64_t budget, struct store_db **ret);
/**
 * store_open_budget for COMMAND, which writes to the database: a database
 * (or folder) this user may not write is refused at once with a message
 * naming the file and COMMAND.
 */
struct util_error *cli_open_writable(const char *command, const char *path, uint64_t budget,
				     struct store_db **ret);
/** Resolve --incident (0 = the newest) against the database. */
struct util_error *cli_pick_incident(struct store_db *db, int64_t requested, int64_t *ret);
/** Print the header and summary of an incident (counts by state, largest stack groups). */
struct util_error *cli_print_summary(FILE *out, struct store_db *db, int64_t incident,
				     const char *extra);

/** Room for a time as 'YYYY-MM-DDTHH:MM:SSZ' and its NUL. */
#define CLI_TIME_LEN 32
/** When a core was captured, and how that is known (cli/capture.c). */
struct cli_capture {
	char at[CLI_TIME_LEN];  /**< 'YYYY-MM-DDTHH:MM:SSZ', "" if unknown */
	/** incident.captured_at_source: "option", "file name" or "file
	 * mtime"; NULL when unknown */
	const char *source;
};
/**
 * Parse a time given on the command line: ISO-8601 UTC
 * ('2026-03-02T14:05:09Z', a fraction of a second or '+00:00' accepted) or
 * '@EPOCH' (seconds). *RET in Unix seconds; false if ARG is neither.
 */
bool cli_parse_time(const char *arg, int64_t *ret);
/** The dump time a systemd-coredump file name (core.COMM.UID.BOOTID.PID.USEC,
 * maybe .zst, .lz4 or .xz) carries, in Unix seconds; false if PATH's base
 * name is not one. */
bool cli_coredump_name_time(const char *path, int64_t *ret);
/**
 * When the core at CORE_PATH was captured: OPTION (analyze --captured-at,
 * already checked with cli_parse_time) if given, else the time in a
 * systemd-coredump file name, else MTIME, its file's modification time.
 */
void cli_capture_time(const char *core_path, const char *option, int64_t mtime,
		      struct cli_capture *ret);

struct core_file;
/** The executable's file name as CORE records it, into BUF (LEN bytes): the
 * base name of the file mapped at its entry point (NT_FILE), else the
 * process's name (NT_PRPSINFO pr_fname, at most 15 bytes); "" if neither. */
void cli_exe_name(const struct core_file *core, char *buf, size_t len);

/**
 * The status line of a long command on a terminal (cli/progress.c): one line
 * on OUT, rewritten in place (\r), naming the phase of the main thread and
 * of the database writer ("analyze: heap marking | writing waits"). Only
 * when OUT is a terminal and ON; every call is then a no-op.
 */
struct cli_status {
	pthread_mutex_t mu;
	FILE *out;
	bool on;
	const char *main, *writer;  /**< what each thread does, NULL: nothing told */
	size_t done, total;         /**< goroutines read, of how many */
	struct timespec last;       /**< when a count was last drawn */
};
void cli_status_init(struct cli_status *s, FILE *out, bool on);
/** Stage STAGE (the names of --timings) begins on the main thread or on the
 * writer; stages not meant for people clear that thread's part. */
void cli_status_stage(struct cli_status *s, const char *stage, bool main_thread);
/** DONE of TOTAL goroutines read, drawn at most ten times a second. */
void cli_status_count(struct cli_status *s, size_t done, size_t total);
/** N with thousands separators ("100,008") into BUF of LEN bytes (32 is
 * room for any); returns BUF. For counts shown to people. */
const char *cli_thousands(char *buf, size_t len, int64_t n);
/** Erase the line, to print a message; the next stage draws it again. */
void cli_status_clear(struct cli_status *s);
/** Erase the line and stop: before anything else is printed. */
void cli_status_end(struct cli_status *s);

/**
 * 'analyze --format json' (cli/jsonout.c): one object with the incident's
 * id, whether it EXISTED before, its header (paths, executable, Go
 * release, capture time and its source, goroutines), goroutines by state,
 * the number of DIAGNOSTICS and the counts of findings F.
 */
struct util_error *cli_analyze_json(FILE *out, struct store_db *db, int64_t incident,
				    bool existed, size_t diagnostics,
				    const struct cli_findings *f);
/** 'diff --format json': incidents A and B (a, b) and the rows of each
 * section (goroutine_groups, findings, context_trees) as objects. */
struct util_error *cli_diff_json(FILE *out, struct store_db *db, int64_t a, int64_t b);
/** A group of goroutines as the summaries list it (cli_print_groups). */
struct cli_group {
	int64_t goroutines;
	const char *state;          /**< wait reason or status, or 'mixed' */
	int64_t min_wait, max_wait; /**< minutes; max_wait <= 0: not shown */
	int64_t example_goid;
	/** The stack's functions, innermost first, joined by " < ", the
	 * runtime's included. */
	const char *funcs;
	/** Where the user's code is (_user_frame), or NULL func. */
	const char *func, *file;
	int64_t line;
	/** The function whose go statement created them all, or NULL. */
	const char *creator;
};
/**
 * Print N groups one line each (within 100 characters): count, state, the
 * user's frame and the user functions below it (Delve's userloc), or every
 * function when RUNTIME. A group that would print the same line as another
 * gets a second line saying how they differ: their creators, or the first
 * functions where their stacks part.
 */
void cli_print_groups(FILE *out, const struct cli_group *groups, size_t n, bool runtime);

/** The statements file compiled into the binary. */
extern const char cli_statements_sql[];

/** Where analyze looks for separate debug info: --debug-file, --debug-dir... */
struct cli_debug_dirs {
	struct dw_debug_options opts; /**< for dw_binary_open_with */
	const char **dirs;            /**< --debug-dir, else $GOCORONER_DEBUG_DIRS's */
	size_t n;
	char *env;                    /**< the copy of $GOCORONER_DEBUG_DIRS split */
};
/** Add a --debug-dir (DIR not copied); -1 when out of memory. */
int cli_debug_dirs_add(struct cli_debug_dirs *d, const char *dir);
/** Fill d->opts: the directories given, else $GOCORONER_DEBUG_DIRS's, else the default. */
struct util_error *cli_debug_dirs_finish(struct cli_debug_dirs *d);
void cli_debug_dirs_free(struct cli_debug_dirs *d);
#endif
