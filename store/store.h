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
#define STORE_SCHEMA_VERSION 3

/**
 * The definition of an incident's summary rows (incident_finding from view
 * finding_group, incident_signature from view signature_term): stored in
 * incident.summary_version. Raise it when either view changes what it
 * produces; incidents with an older number are summarized again the next
 * time the database is opened for writing.
 */
#define STORE_SUMMARY_VERSION 1

/** Facts about one incident (one core of one executable). */
struct store_incident {
	const char *core_path;
	const char *core_sha256;
	const char *exe_path;
	const char *exe_build_id;
	const char *go_version;
	const char *arch;        /**< "amd64" */
	int pid;
	const char *cmdline;
	int signal;
	const char *core_kind;   /**< "kernel" or "gcore" */
	const char *tool_version;
	const char *captured_at; /**< "YYYY-MM-DDTHH:MM:SSZ"; NULL if unknown */
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
void store_close(struct store_db *db);
sqlite3 *store_handle(struct store_db *db);

/**
 * Write one incident with all of SNAP in one transaction: on any failure the
 * database is left as it was. A core already ingested (same core_sha256 and
 * exe_build_id) is not written again: *EXISTED_RET is set and *ID_RET is the
 * existing incident id.
 */
struct util_error *store_ingest(struct store_db *db, const struct store_incident *inc,
				const struct gr_snapshot *snap, int64_t *id_ret, bool *existed_ret);

/**
 * Compute the summary rows of incident ID again (incident_finding and
 * incident_signature from the query library's views), in one transaction.
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

/** The newest incident id, UTIL_ERROR_NOT_FOUND when the database is empty. */
struct util_error *store_latest_incident(struct store_db *db, int64_t *ret);

/** The schema text compiled into the binary (store/schema.sql). */
extern const char store_schema_sql[];

#endif
