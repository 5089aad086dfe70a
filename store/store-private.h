// SPDX-License-Identifier: Apache-2.0
/* store-private.h: what the files of store/ share; not for other modules. */
#ifndef GOCORONER_STORE_PRIVATE_H
#define GOCORONER_STORE_PRIVATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <string.h>

#include <pthread.h>
#include <sqlite3.h>

#include "goruntime/goruntime.h"
#include "util/util.h"

/** The writer's statements, prepared on first use and kept until close. */
enum store_stmt {
	STORE_STMT_FIND_INCIDENT,
	STORE_STMT_INSERT_INCIDENT,
	STORE_STMT_INSERT_STACK,
	STORE_STMT_INSERT_FRAME,
	STORE_STMT_INSERT_GOROUTINE,
	STORE_STMT_INSERT_DIAGNOSTIC,
	STORE_STMT_INSERT_CHANNEL,
	STORE_STMT_INSERT_CHAN_WAIT,
	STORE_STMT_INSERT_SYNC_WAIT,
	STORE_STMT_INSERT_DEFER,
	STORE_STMT_INSERT_PANIC,
	STORE_STMT_INSERT_CONTEXT,
	STORE_STMT_INSERT_CONTEXT_CHILD,
	STORE_STMT_INSERT_CTX_CANCELED,
	STORE_STMT_INSERT_CTX_BELOW,
	STORE_STMT_INSERT_GOROUTINE_CONTEXT,
	STORE_STMT_INSERT_HEAP_SCAN,
	STORE_STMT_INSERT_WAIT_REACH,
	STORE_STMT_INSERT_WAIT_REACHER,
	STORE_STMT_INSERT_WAIT_COMPONENT,
	STORE_STMT_INSERT_WAIT_MEMBER,
	STORE_STMT_INSERT_BLOCKER,
	STORE_STMT_INSERT_CORE_BLOB,
	STORE_STMT_NEXT_TEXT_ID,
	STORE_STMT_INSERT_TEXT,
	STORE_STMT_COUNT
};

/** Statement runs paused at a row whose steps store_step keeps counting:
 * a command steps one statement for each row of another, not deeper. */
#define STORE_BUDGET_RUNS 8

/** The steps one run of a statement (from its first step to its last) has taken. */
struct store_run {
	sqlite3_stmt *st; /**< only compared, never used: it may be finalized; NULL: free */
	uint64_t used;    /**< steps of SQLite's virtual machine */
};

/** The work budget of store_step (store/step.c). */
struct store_budget {
	uint64_t limit;   /**< steps one run may take; 0: no limit */
	uint64_t used;    /**< steps of the run being stepped */
	bool counting;    /**< inside store_step: the progress handler counts */
	bool stopped;     /**< the progress handler stopped the step (past limit) */
	struct store_run runs[STORE_BUDGET_RUNS]; /**< runs paused at a row */
	unsigned evict;   /**< which entry of runs a new run takes when none is free */
};

struct store_db {
	sqlite3 *h;                            /**< the connection */
	char *path;                            /**< as given to store_open*, for messages */
	bool readonly;                         /**< opened by store_open_readonly */
	sqlite3_stmt *stmts[STORE_STMT_COUNT]; /**< NULL until first used */
	sqlite3_stmt *batch[STORE_STMT_COUNT]; /**< STORE_BATCH rows at once; NULL until first used */
	struct store_budget budget;            /**< store_set_budget, store_step */
	int progress_ops;                      /**< the progress handler's interval; 0: none installed */
	util_stage_fn *stage;                  /**< store_set_stage_hook; may be NULL */
	void *stage_arg;
	bool ckpt_deferred;                    /**< store_checkpoint_defer: commits do not checkpoint */
	bool ckpt_running;                     /**< ckpt_thread started and not joined */
	pthread_t ckpt_thread;                 /**< store_checkpoint_start's */
	char *ckpt_path;                       /**< the file ckpt_thread opens (owned) */
	char *fresh;                           /**< store_open_fresh's temporary file until
						    store_publish; store_close removes it */
#ifdef GOCORONER_TESTING
	unsigned long crash_left;              /**< store_test_crash_after's countdown */
#endif
};

/** Rows a batched INSERT writes per step. */
#define STORE_BATCH 32

/** PRAGMA application_id of gocoroner databases: "GoCo". */
#define STORE_APPLICATION_ID 0x476f436f

/** The id a new incident gets (schema.sql, incident_last_id): one more than
 * any id an incident of the database has ever had. */
#define STORE_NEXT_INCIDENT_ID \
	"(SELECT max(COALESCE((SELECT max(id) FROM main.incident), 0)," \
	" COALESCE((SELECT max(last_id) FROM main.incident_last_id), 0)) + 1)"

/**
 * An SQLite failure (RC, just returned by a call on DB's connection) as a
 * util_error: "PATH: WHAT: sqlite's message". SQLITE_NOTADB and
 * SQLITE_CORRUPT become UTIL_ERROR_BAD_DATA, SQLITE_CANTOPEN with an errno
 * UTIL_ERROR_OS, SQLITE_NOMEM util_enomem, the rest UTIL_ERROR_LIB.
 */
struct util_error *store_error_sqlite(const struct store_db *db, int rc, const char *what);

/** Run SQL (one or more statements, no results) on DB, all of it one run
 * under DB's budget; WHAT names it in errors. */
struct util_error *store_exec(struct store_db *db, const char *sql, const char *what);

/**
 * sqlite3_step(ST) under DB's budget, counted as store_step counts (per
 * run): SQLite's result code. Past the budget it is SQLITE_INTERRUPT, which
 * store_error_sqlite turns into UTIL_ERROR_BUDGET.
 */
int store_step_rc(struct store_db *db, sqlite3_stmt *st);

/**
 * S[0..N) as valid UTF-8: *RET NULL when it is already, else a malloc'ed
 * NUL-terminated copy in which every byte that does not belong to a valid
 * UTF-8 sequence is written "\xNN" (two lowercase hex digits; schema.sql,
 * "Text"). Valid sequences, backslashes included, are kept as they are.
 */
struct util_error *store_utf8_escape(const char *s, size_t n, char **ret);

/**
 * Bind the NUL-terminated S (NULL: SQL NULL) to parameter I of ST as TEXT,
 * escaped by store_utf8_escape when it is not valid UTF-8: every byte string
 * from a core or an executable goes into a TEXT column this way. Valid text
 * is bound SQLITE_STATIC (S must live until the step); an SQLite code.
 */
int store_bind_text(sqlite3_stmt *st, int i, const char *s);

/**
 * The place of V in VOCAB (N words), -1 if V is NULL or none of them: the
 * code a column of a fixed vocabulary stores (schema version 12), which the
 * column's view decodes with the same list, in the same order.
 */
static inline int store_vocab_index(const char *v, const char *const *vocab, size_t n)
{
	for (size_t k = 0; v && k < n; k++)
		if (strcmp(v, vocab[k]) == 0)
			return (int)k;
	return -1;
}
#define STORE_VOCAB(v, vocab) store_vocab_index(v, vocab, sizeof(vocab) / sizeof(vocab[0]))

/** The writer's statement ID, preparing it on first use. */
struct util_error *store_stmt(struct store_db *db, enum store_stmt id, sqlite3_stmt **ret);

/**
 * The row statement ID made to insert STORE_BATCH rows in one step: the
 * same INSERT with STORE_BATCH value tuples, ?1 (the incident id) shared,
 * the other parameters of tuple k numbered as the single row's plus k times
 * their count (*PER_ROW). Prepared on first use.
 */
struct util_error *store_stmt_batch(struct store_db *db, enum store_stmt id, sqlite3_stmt **ret,
				    int *per_row);

/**
 * The texts an incident's rows share, each stored once in incident_text
 * (schema version 12) and referred to by id: store_texts_begin, then
 * store_text_id for each text, then store_texts_end. Writers of one incident
 * may each have their own: ids continue from the incident's largest
 * (store/waits.c).
 */
struct store_texts {
	struct store_db *db;
	int64_t incident_id;
	int64_t next;                   /**< the id the next new text gets */
	struct util_strtab tab;         /**< the texts seen, one pointer each */
	struct util_u64map ids;         /**< tab's pointer → its id */
};

struct util_error *store_texts_begin(struct store_db *db, int64_t incident_id,
				     struct store_texts *t);
void store_texts_end(struct store_texts *t);
/** The id of text S (not NULL), writing its incident_text row the first
 * time. S's address is remembered: S must not change until store_texts_end. */
struct util_error *store_text_id(struct store_texts *t, const char *s, int64_t *ret);

/**
 * The rows of goroutine_group (schema version 14), counted while the
 * goroutines are written: store_groups_add for each goroutine row, then
 * store_groups_write (store/groups.c). Texts are G's, not copied: write
 * before the snapshot goes.
 */
struct store_groups {
	struct store_group *slots;      /**< open addressing; state NULL: empty */
	size_t cap, count;
};

void store_groups_init(struct store_groups *gs);
void store_groups_deinit(struct store_groups *gs);
struct util_error *store_groups_add(struct store_groups *gs, const struct gr_goroutine *g,
				    int64_t stack_id);
struct util_error *store_groups_write(struct store_db *db, int64_t incident_id,
				      const struct store_groups *gs);
/** goroutine_group's rows of every incident whose goroutine_groups is NULL
 * (stored before schema version 14, or changed by hand), from their
 * goroutine rows, each incident in a transaction of its own. */
struct util_error *store_goroutine_groups_stale(struct store_db *db);

/**
 * Write SNAP's channels and channel waits as rows of incident INCIDENT_ID
 * (store/waits.c); called inside the ingest's transaction.
 */
struct util_error *store_write_waits(struct store_db *db, int64_t incident_id,
				     const struct gr_snapshot *snap);
/** The same for SNAP's deferred calls and panics. */
struct util_error *store_write_defers(struct store_db *db, int64_t incident_id,
				      const struct gr_snapshot *snap);
/** The same for SNAP's heap reachability: heap_scan, wait reaches and
 * reachers, wait components and their members, blockers. */
struct util_error *store_write_reach(struct store_db *db, int64_t incident_id,
				     const struct gr_snapshot *snap);
/** The same for SNAP's contexts, their children and who holds them, and
 * the sync waits, which name the contexts whose lock they wait on. */
struct util_error *store_write_contexts(struct store_db *db, int64_t incident_id,
					const struct gr_snapshot *snap);
/** A row's key (A, B, C) and its index in the snapshot (store/sort.c). */
struct store_keyed {
	uint64_t a, b, c;
	uint32_t i;
};

/** Sort K[0..N-1] by key, then index, and put their indexes, in that order,
 * in ORDER. Keys are compared as the tables' are: addresses are stored as
 * signed integers. K's keys are changed. */
void store_sort_keyed(struct store_keyed *k, size_t n, uint32_t *order);

/** Rows keyed by one address (a context's): K[i].key the address, K[i].val
 * the row's index. Sorted stably by address as the tables compare them
 * (rows with the same key keep the order K had), their indexes in that order
 * put in ORDER. K's keys are changed. */
struct util_error *store_sort_keyed1(struct util_keyed *k, size_t n, uint32_t *order);

/**
 * The children map each of SNAP's contexts is in (schema version 15,
 * context_base.registered_in; store/ctxchild.c): *REG_RET[i] is 1 + the
 * index in snap->context_children of context i's pair, 0 for none. ORDER
 * lists the contexts by address, as they are written. The pairs that do
 * not fit (a child with no context, a child's second map) are listed in
 * *EXTRA_RET, *NEXTRA_RET of them, for context_child_extra. Both util_alloc_big's,
 * of (ncontexts + 1) * 4 and ncontext_children * 4 + 1 bytes (util_free_big).
 */
struct util_error *store_context_registrations(const struct gr_snapshot *snap,
					       const uint32_t *order, uint32_t **reg_ret,
					       uint32_t **extra_ret, size_t *nextra_ret);
/** The rows of context_canceled and context_below_canceled, from SNAP's cancel_sets. */
struct util_error *store_write_cancel_sets(struct store_db *db, int64_t incident_id,
					   const struct gr_snapshot *snap);

/**
 * context_canceled and context_below_canceled of every incident whose
 * incident.context_sets is NULL (stored before schema version 10, or
 * written by hand), from its context rows, each in a transaction of its own
 * (store/cancel.c).
 */
struct util_error *store_context_sets_stale(struct store_db *db);

/**
 * Write the summary rows of incident ID (incident_finding,
 * incident_finding_count, incident_signature, incident.summary_version;
 * store/summary.c), replacing any; called inside a
 * write transaction, with the schema's indexes in place (the views name them).
 */
struct util_error *store_write_summary(struct store_db *db, int64_t id);

/**
 * FN(DB, ID) for each incident id the one-column query SQL lists, each in a
 * write transaction of its own (BEGIN IMMEDIATE; WHAT names the COMMIT in
 * errors); the first error stops it, rolled back.
 */
struct util_error *store_each_incident(struct store_db *db, const char *sql,
				       struct util_error *(*fn)(struct store_db *db, int64_t id),
				       const char *what);

/**
 * The wait components (wait_component, wait_member) of every incident stored
 * before schema version 5, from its wait_reach and wait_reacher rows, each
 * in a transaction of its own (store/waits.c).
 */
struct util_error *store_wait_graph_stale(struct store_db *db);

/** Summarize every incident whose summary_version is not STORE_SUMMARY_VERSION,
 * one transaction each (store_open, writable). */
struct util_error *store_summarize_stale(struct store_db *db);

/**
 * Block VERSION of schema.sql (see the comment at its top) as a NUL-terminated
 * copy the caller frees. UTIL_ERROR_NOT_FOUND if there is no such block,
 * UTIL_ERROR_INVALID if the blocks are not numbered 1..STORE_SCHEMA_VERSION.
 */
struct util_error *store_schema_block(int version, char **ret);

/**
 * Run blocks FROM+1 .. STORE_SCHEMA_VERSION of schema.sql on DB, setting
 * PRAGMA user_version after each and the application id at the end. The
 * caller holds the write transaction (FROM is 0 for a new database).
 */
struct util_error *store_schema_upgrade(struct store_db *db, int from);

/**
 * Set DB's PRAGMA secure_delete to ON (0 or 1; -1: leave it as it is) and return
 * what it was (-1 if unknown). SQLite built with SQLITE_SECURE_DELETE
 * (Debian's) zeroes every byte a B-tree operation frees, the cells that
 * balancing moves to another page included: 1.3% of the instructions of
 * the writer of ctxgen's incident, for bytes still stored where they went.
 */
int store_secure_delete(struct store_db *db, int on);

/** Remove FILE and the -journal, -wal and -shm files SQLite may have made beside it. */
void store_remove_files(const char *file);

/** Tell DB's stage hook (store_set_stage_hook) that stage NAME begins. */
static inline void store_stage(struct store_db *db, const char *name)
{
	if (db->stage)
		db->stage(name, db->stage_arg);
}

/* The first incident of a new database fills tables that are empty: SQLite
 * builds an index over them by one sort far faster than by as many inserts
 * at random places. So while nothing else is stored, the ingest drops the
 * schema's secondary indexes and creates them again, from their own SQL,
 * before COMMIT: in the same transaction, so a failure undoes both and a
 * reader never sees the database without them. */
struct fresh_index {
	char *sql, *table;
	bool made;                      /* created again already */
};

struct fresh_indexes { struct fresh_index *v; size_t n; };

/** Free what F holds (the ingest's dropped indexes). */
void store_fresh_indexes_free(struct fresh_indexes *f);
/**
 * In a database without an incident yet, drop every secondary index, kept in
 * F to be built again (store_recreate_indexes); nothing in one with
 * incidents. Inside the ingest's transaction.
 */
struct util_error *store_drop_indexes_if_fresh(struct store_db *db, struct fresh_indexes *f);
/** Create again the indexes of F on the N TABLES (none: all that are left), in DB's transaction. */
struct util_error *store_recreate_indexes(struct store_db *db, struct fresh_indexes *f,
					  const char *const *tables, size_t n);

#endif
