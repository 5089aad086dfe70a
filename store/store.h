// SPDX-License-Identifier: Apache-2.0
/* store: the SQLite archive — schema (store/schema.sql, compiled in) and the
 * writer that ingests one incident per transaction. */
#ifndef GOCORONER_STORE_H
#define GOCORONER_STORE_H

#include <stdbool.h>
#include <stdint.h>

#include <sqlite3.h>

#include "goruntime/goruntime.h"
#include "util/util.h"

/** An open database. Use it from one thread at a time (it is opened with
 * SQLITE_OPEN_NOMUTEX); several processes may share the file. */
struct store_db;

/** The schema version this gocoroner writes (PRAGMA user_version). */
#define STORE_SCHEMA_VERSION 15

/**
 * The definition of an incident's summary rows (incident_finding from view
 * finding_group, incident_finding_count, incident_signature from view
 * signature_term): stored in incident.summary_version. Raise it when any of
 * them changes what it produces; incidents with an older number are
 * summarized again the next time the database is opened for writing.
 * 3: incident_finding_count (schema version 14).
 */
#define STORE_SUMMARY_VERSION 3

/** Facts about one incident (one core of one executable). */
struct store_incident {
	const char *core_path;
	const char *core_sha256;
	const char *exe_path;
	/** The executable's file name as the core records it; NULL if unknown */
	const char *exe_name;
	const char *exe_build_id;
	const char *go_version;
	const char *arch;        /**< "amd64" */
	int pid;
	const char *cmdline;
	int signal;
	const char *core_kind;   /**< "kernel" or "gcore" */
	const char *tool_version;
	const char *captured_at; /**< "YYYY-MM-DDTHH:MM:SSZ"; NULL if unknown */
	/** Where captured_at came from: "file name", "option" or "file mtime" */
	const char *captured_at_source;
	/** The core to keep (core_blob), as one zstd stream; NULL: keep none. */
	const void *core_zstd;
	size_t core_zstd_len;
	uint64_t core_size;      /**< bytes of the decompressed core */
};

/**
 * Open (creating if needed) a gocoroner database. A new file gets the schema;
 * an existing one must carry STORE_SCHEMA_VERSION (an older one is upgraded,
 * a newer one is refused with a message naming both versions); a file that is
 * not SQLite or not ours is an error naming PATH.
 */
struct util_error *store_open(const char *path, struct store_db **ret);
/** Open read-only; the file must exist. */
struct util_error *store_open_readonly(const char *path, struct store_db **ret);
/**
 * store_open with BUDGET (store_set_budget) in force from the start: opening
 * an older database computes its incidents' summaries through the views.
 * store_open is store_open_budget with STORE_BUDGET_DEFAULT.
 */
struct util_error *store_open_budget(const char *path, uint64_t budget, struct store_db **ret);
void store_close(struct store_db *db);

/**
 * Open PATH for one ingest when there is nothing at PATH yet: the new
 * database is made under a temporary name beside it (PATH.PID-N.new) and
 * written there without a journal file, WAL or sync (no other connection
 * can see it), to appear at PATH only through store_publish. Until then
 * store_close removes it: a failure leaves no PATH. *RET is NULL, and no
 * error told, when PATH exists or no file can be made beside it: open it
 * with store_open_budget then, which says what is wrong.
 */
struct util_error *store_open_fresh(const char *path, uint64_t budget, struct store_db **ret);
/** The temporary file of DB (store_open_fresh) while it is not published, else NULL. */
const char *store_fresh_path(const struct store_db *db);
/**
 * Once the ingest into *DB committed incident *ID: a database of
 * store_open_fresh is switched to WAL mode, closed, synced to disk, and
 * linked to its path, then *DB is that path opened with store_open_budget.
 * If something appeared at the path meanwhile (another gocoroner made it),
 * the incident is imported into it instead (store_import: *ID its new id,
 * *EXISTED true if it held that core already). The temporary file is gone
 * either way. On an error *DB is NULL, and the incident is stored only if
 * the error came from opening the path once linked.
 * Any other *DB: store_checkpoint_start.
 */
struct util_error *store_publish(struct store_db **db, int64_t *id, bool *existed);

/**
 * WAL checkpoints on a thread: after store_checkpoint_defer, DB's commits no
 * longer copy the WAL into the database file themselves (a big incident's
 * commit wrote its rows twice and waited for two fsyncs);
 * store_checkpoint_start copies what is committed on a connection of its own
 * on another thread, while DB goes on being used; store_checkpoint_wait (and
 * store_close) waits for it. Nothing is told of a failure: the WAL keeps the
 * committed rows for the next checkpoint. No effect on a read-only DB.
 */
void store_checkpoint_defer(struct store_db *db);
void store_checkpoint_start(struct store_db *db);
void store_checkpoint_wait(struct store_db *db);
sqlite3 *store_handle(struct store_db *db);

/* ---- The work budget ------------------------------------------------- */

/**
 * The work budget of a statement that a connection starts with: steps of
 * SQLite's virtual machine one run of a statement may take (store_step).
 * Counting steps, not time, stops a statement at the same point on every
 * machine. Far above what any command's statement takes on the
 * 100,000-goroutine benchmark database, and a statement that runs away is
 * stopped within some tens of seconds (bench/README.md).
 */
#define STORE_BUDGET_DEFAULT 1000000000

/**
 * Give every statement stepped with store_step on DB, from now on, a budget
 * of STEPS steps of SQLite's virtual machine per run; 0 = no limit. The
 * steps are counted in thousands: a run of fewer than a thousand steps is
 * never stopped. Every statement store/ runs is under it (the summaries
 * through the views, index builds, upgrades, import, forget, tags) but the
 * ingest's row by row writes, whose work the snapshot bounds.
 */
void store_set_budget(struct store_db *db, uint64_t steps);
/** Tell FN, with ARG, as each stage of an ingest into DB begins; FN may be NULL. */
void store_set_stage_hook(struct store_db *db, util_stage_fn *fn, void *arg);
/** DB's budget (store_set_budget). */
uint64_t store_budget(const struct store_db *db);

/**
 * sqlite3_step(ST), ST a statement prepared on DB's connection, under DB's
 * budget: *ROW_RET is true for a row, false once the statement is done. A
 * run lasts from ST's first step (after preparing or sqlite3_reset) to its
 * end and counts only ST's own steps, so a statement stepped once for each
 * row of another has a budget of its own, per run. Past the budget the step
 * is stopped (a write statement's transaction is rolled back, as SQLite
 * does on an interrupt): UTIL_ERROR_BUDGET, "PATH: WHAT did more than N
 * steps of work and was stopped"; WHAT names the statement ("the query
 * wait_cycle (incident 3)"). Other failures are SQLite's errors naming WHAT.
 */
struct util_error *store_step(struct store_db *db, sqlite3_stmt *st, const char *what,
			      bool *row_ret);

/**
 * Write one incident with all of SNAP in one transaction: on any failure the
 * database is left as it was. A core already ingested (same core_sha256 and
 * exe_build_id) is not written again: *EXISTED_RET is set and *ID_RET is the
 * existing incident id. Goroutines share a stack row exactly when they share
 * a stack_index (gr_goroutine.stack_index); an index not below SNAP's nstacks
 * is the caller's bug, refused with UTIL_ERROR_INVALID.
 */
struct util_error *store_ingest(struct store_db *db, const struct store_incident *inc,
				const struct gr_snapshot *snap, int64_t *id_ret, bool *existed_ret);

/**
 * store_ingest in two steps, so that the goroutines can be written while the
 * rest of the snapshot is still being read (gr_options.defers_done).
 * store_ingest_begin starts the transaction and, unless the core is already
 * an incident, writes the incident, its deferred calls and panics, and its
 * goroutines: it reads only what gr_snapshot_create has finished with by
 * then (goroutines, nstacks, go_version, now_ns, now_source,
 * build_settings, defers, panics), and the defers no more once it
 * returns. store_ingest_finish writes the rest from the finished SNAP,
 * commits, and frees the ingest;
 * store_ingest_abort rolls back and frees it. INC must stay valid until
 * then; its core_zstd may be set in between. Either step failing leaves the
 * database as it was (the ingest is freed).
 */
struct store_ingest;
struct util_error *store_ingest_begin(struct store_db *db, const struct store_incident *inc,
				      const struct gr_snapshot *snap, struct store_ingest **ret);
/**
 * Optionally, between begin and finish: write the channels and channel
 * waits of SNAP, once gr_snapshot_create has finished with them
 * (gr_options.waits_done). Does nothing once the contexts are written
 * (store_ingest_finish then writes them). On failure the ingest is rolled
 * back and freed, as by store_ingest_abort.
 */
struct util_error *store_ingest_waits(struct store_ingest *in, const struct gr_snapshot *snap);
/**
 * Optionally, between begin and finish, after store_ingest_waits if that is
 * called: write the contexts of SNAP, their children, who holds them and
 * the sync waits (which name the contexts whose lock they wait on), once
 * gr_snapshot_create has finished with them (gr_options.contexts_done), so
 * that store_ingest_finish has only the heap reachability and the
 * diagnostics left to write. On failure the ingest is rolled back and
 * freed, as by store_ingest_abort.
 */
struct util_error *store_ingest_contexts(struct store_ingest *in, const struct gr_snapshot *snap);
/**
 * Optionally, after store_ingest_contexts: build the indexes of the tables
 * it wrote (else store_ingest_finish does). Apart because a new database's
 * index builds sort in memory (as large as the index: 50 MB at 300,000
 * goroutines), best done once the snapshot has let go of its own (cli/analyze.c). On
 * failure the ingest is rolled back and freed, as by store_ingest_abort.
 */
struct util_error *store_ingest_context_indexes(struct store_ingest *in);
struct util_error *store_ingest_finish(struct store_ingest *in, const struct gr_snapshot *snap,
				       int64_t *id_ret, bool *existed_ret);
void store_ingest_abort(struct store_ingest *in);

/**
 * Compute the summary rows of incident ID again (incident_finding and
 * incident_signature from the query library's views, under DB's budget),
 * in one transaction.
 * store_ingest does it for a new incident; store_open for every incident
 * whose summary_version is not STORE_SUMMARY_VERSION (old databases).
 */
struct util_error *store_summarize(struct store_db *db, int64_t id);

/**
 * Set tag KEY of incident ID to VALUE; VALUE NULL or "" deletes it. KEY
 * "name" sets incident.name instead (NULL or "" clears it). KEY must be
 * letters, digits, '_', '-' or '.', at most 64 bytes (UTIL_ERROR_INVALID);
 * UTIL_ERROR_NOT_FOUND when there is no incident ID.
 */
struct util_error *store_set_tag(struct store_db *db, int64_t id, const char *key,
				 const char *value);
/** store_set_tag for N tags (KEYS[i] to VALUES[i]) in one transaction: all
 * of them are set or, on any error (a bad key included), none is. */
struct util_error *store_set_tags(struct store_db *db, int64_t id, const char *const *keys,
				  const char *const *values, size_t n);

/** The newest incident id, UTIL_ERROR_NOT_FOUND when the database is empty. */
struct util_error *store_latest_incident(struct store_db *db, int64_t *ret);

/**
 * Remove incident ID completely, in one transaction: its row, every row of
 * every table with an incident_id column (found in the database itself, so
 * tables of later schema versions are covered) and, when the schema keeps
 * cores (table core_blob), its core unless another incident has the same
 * core_sha256. UTIL_ERROR_NOT_FOUND if there is no incident ID.
 */
struct util_error *store_forget(struct store_db *db, int64_t id);

/** What store_import did. */
struct store_import_result {
	int64_t imported; /**< incidents copied */
	int64_t skipped;  /**< incidents DB already had (same core_sha256 and exe_build_id) */
	int64_t last_id;  /**< DB's id of the last incident copied or skipped; 0 if none */
};

/**
 * Copy the incidents of the gocoroner database at SRC_PATH into DB, in one
 * transaction (all or nothing). ONLY = 0 copies every incident, else just
 * incident ONLY of the source (UTIL_ERROR_NOT_FOUND if it has none).
 * Incidents DB already holds (same core_sha256 and exe_build_id, as
 * store_ingest dedups) are skipped; copied ones get new ids, and their rows of
 * every per-incident table (every table with an incident_id column, matched
 * by table and column names; a rowid-alias key such as diagnostic.id is
 * renumbered) are copied with it, and the core blob if DB lacks it.
 * SRC_PATH is only read: a source of a newer schema is refused
 * (UTIL_ERROR_UNSUPPORTED); one of an older schema is copied to a temporary
 * file, upgraded there (under DB's budget), and imported from the copy. A file that is not a
 * gocoroner database is UTIL_ERROR_BAD_DATA, and DB itself UTIL_ERROR_INVALID.
 */
struct util_error *store_import(struct store_db *db, const char *src_path, int64_t only,
				struct store_import_result *ret);

/** The schema text compiled into the binary (store/schema.sql). */
extern const char store_schema_sql[];
/** store/summary.sql: an incident's summary rows (store/summary.c). */
extern const char store_summary_sql[];

#endif
