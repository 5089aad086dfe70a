// SPDX-License-Identifier: Apache-2.0
// open.c: opening a gocoroner database — creating, checking or upgrading its
// schema.
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "queries/queries.h"
#include "store/store-private.h"
#include "store/store.h"

/* Wait this long for another gocoroner writing the same database. */
enum { STORE_BUSY_TIMEOUT_MS = 10000 };

/*
 * store_exec, trying again while another connection holds a lock SQLite
 * does not wait for by itself: two gocoroners creating the same new file at
 * once meet this when one switches it to WAL while the other writes its
 * first page.
 */
static struct util_error *exec_patiently(struct store_db *db, const char *sql, const char *what)
{
	for (int waited = 0;; waited += 10) {
		int rc = sqlite3_exec(db->h, sql, NULL, NULL, NULL);
		if (rc == SQLITE_OK)
			return NULL;
		if (((rc & 0xff) != SQLITE_BUSY && (rc & 0xff) != SQLITE_LOCKED) ||
		    waited >= STORE_BUSY_TIMEOUT_MS)
			return store_error_sqlite(db, rc, what);
		struct timespec ten_ms = {0, 10 * 1000 * 1000};
		nanosleep(&ten_ms, NULL);
	}
}

/* What a database says about itself before we touch it. */
struct store_header {
	int version;  /**< PRAGMA user_version */
	int app_id;   /**< PRAGMA application_id */
	int nobjects; /**< tables, indexes, views... in sqlite_master */
};

static struct util_error *read_header(struct store_db *db, struct store_header *ret)
{
	// The first read of the file: an SQLITE_NOTADB here means "not SQLite".
	static const char sql[] = "SELECT (SELECT user_version FROM pragma_user_version),"
				  " (SELECT application_id FROM pragma_application_id),"
				  " (SELECT count(*) FROM sqlite_master)";
	sqlite3_stmt *s = NULL;
	int rc = sqlite3_prepare_v2(db->h, sql, -1, &s, NULL);
	if (rc == SQLITE_OK) {
		rc = sqlite3_step(s);
		if (rc == SQLITE_ROW) {
			ret->version = sqlite3_column_int(s, 0);
			ret->app_id = sqlite3_column_int(s, 1);
			ret->nobjects = sqlite3_column_int(s, 2);
			rc = SQLITE_OK;
		}
	}
	struct util_error *err = NULL;
	if (rc != SQLITE_OK)
		err = store_error_sqlite(db, rc, "cannot read database");
	sqlite3_finalize(s);
	return err;
}

/* Refuse what we must not write to or read: newer, foreign or (read-only) missing schemas. */
static struct util_error *check_header(const struct store_db *db, const struct store_header *h)
{
	if (h->version > STORE_SCHEMA_VERSION)
		return util_error_create(UTIL_ERROR_UNSUPPORTED,
					 "%s: database schema version %d is newer than this gocoroner supports (%d); upgrade gocoroner",
					 db->path, h->version, STORE_SCHEMA_VERSION);
	if (h->version == 0 && h->nobjects > 0)
		return util_error_create(UTIL_ERROR_BAD_DATA,
					 "%s: not a gocoroner database (it has tables but no schema version)",
					 db->path);
	if (h->version > 0 && h->app_id != STORE_APPLICATION_ID)
		return util_error_create(UTIL_ERROR_BAD_DATA,
					 "%s: not a gocoroner database (application_id %#x, schema version %d)",
					 db->path, (unsigned)h->app_id, h->version);
	if (db->readonly && h->version == 0)
		return util_error_create(UTIL_ERROR_BAD_DATA,
					 "%s: not a gocoroner database (it is empty)", db->path);
	if (db->readonly && h->version < STORE_SCHEMA_VERSION)
		return util_error_create(UTIL_ERROR_UNSUPPORTED,
					 "%s: database schema version %d is older than this gocoroner's (%d); open it for writing once to upgrade it",
					 db->path, h->version, STORE_SCHEMA_VERSION);
	return NULL;
}

/* Create or upgrade the schema; another process may be doing the same, so decide under the write lock. */
static struct util_error *install_schema(struct store_db *db)
{
	struct util_error *err = store_exec(db, "BEGIN IMMEDIATE", "cannot lock database");
	if (err)
		return err;
	struct store_header h;
	err = read_header(db, &h);
	if (!err)
		err = check_header(db, &h);
	if (!err && h.version < STORE_SCHEMA_VERSION)
		err = store_schema_upgrade(db, h.version);
	if (!err)
		err = store_exec(db, "COMMIT", "writing schema");
	if (err)
		sqlite3_exec(db->h, "ROLLBACK", NULL, NULL, NULL);
	return err;
}

/*
 * A connection opened for writing on a file it may not write: SQLite falls
 * back to reading only, and the first write failed with "attempt to write a
 * readonly database" under whatever the caller was doing. Say it at once,
 * with the file. The folder must be writable too: WAL mode keeps its -wal
 * and -shm files next to the database.
 */
static struct util_error *check_writable(struct store_db *db)
{
	int e = 0;
	const char *what = "the database file is read-only";
	if (db->h && sqlite3_db_readonly(db->h, "main") == 1)
		e = access(db->path, W_OK) == 0 ? EACCES : errno;
	else {
		char *dir = strdup(db->path);
		if (!dir)
			return &util_enomem;
		char *slash = strrchr(dir, '/');
		const char *d = slash ? (slash == dir ? "/" : (*slash = '\0', dir)) : ".";
		if (access(d, W_OK | X_OK) != 0 && (errno == EACCES || errno == EROFS || errno == EPERM)) {
			e = errno;
			what = "the database's folder is read-only (WAL mode writes its -wal and -shm files there)";
		}
		free(dir);
	}
	if (!e)
		return NULL;
	struct util_error *err = util_error_create(UTIL_ERROR_OS, "%s: %s (%s)", db->path, what,
						   strerror(e));
	if (err != &util_enomem)
		err->errnum = e;
	return err;
}

/*
 * A read-only connection to a WAL database must create the -shm file when it
 * does not exist, which it cannot in a folder it may not write: every read
 * then fails with "attempt to write a readonly database". When there is no
 * -wal file either, no connection is using the database and everything is in
 * the main file: read it as immutable (no locks, no -shm). A writer that
 * starts meanwhile writes its -wal, not the main file, until a checkpoint.
 */
static struct util_error *read_without_shm(struct store_db *db, const char *name)
{
	struct store_header h;
	struct util_error *err = read_header(db, &h);
	bool readonly = err && (sqlite3_extended_errcode(db->h) & 0xff) == SQLITE_READONLY;
	util_error_destroy(err);
	if (!readonly)
		return NULL; // read_header, again later, says what went wrong
	char *wal = sqlite3_mprintf("%s-wal", db->path);
	if (!wal)
		return &util_enomem;
	struct stat st;
	bool has_wal = stat(wal, &st) == 0;
	sqlite3_free(wal);
	if (has_wal)
		return util_error_create(UTIL_ERROR_OS,
					 "%s: cannot read the database: its -wal file exists but its -shm file cannot be created (the folder is read-only)",
					 db->path);
	sqlite3_close(db->h);
	db->h = NULL;
	// NAME as a URI: '%', '?' and '#' escaped.
	sqlite3_str *s = sqlite3_str_new(NULL);
	sqlite3_str_appendall(s, "file:");
	for (const char *p = name; *p; p++)
		if (*p == '%' || *p == '?' || *p == '#')
			sqlite3_str_appendf(s, "%%%02X", (unsigned)(unsigned char)*p);
		else
			sqlite3_str_appendchar(s, 1, *p);
	sqlite3_str_appendall(s, "?immutable=1");
	char *uri = sqlite3_str_finish(s);
	if (!uri)
		return &util_enomem;
	int rc = sqlite3_open_v2(uri, &db->h, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_URI, NULL);
	sqlite3_free(uri);
	return rc == SQLITE_OK ? NULL : store_error_sqlite(db, rc, "cannot open database");
}

/*
 * Once per process, before SQLite initializes itself: no statistics of its
 * memory, which took a global mutex around every allocation of every
 * connection (5-6% of the CPU the writer of ctxgen's incident took; nothing
 * reads them). Without effect (SQLITE_MISUSE, ignored) if something
 * initialized SQLite first.
 */
static void configure_sqlite(void)
{
	sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

/*
 * Open PATH; FRESH, if not NULL, is the file to open instead: a new
 * database's temporary file (store_open_fresh), which the store_db then
 * owns. Messages name PATH.
 */
static struct util_error *db_open(const char *path, char *fresh, bool readonly, uint64_t budget,
				   struct store_db **ret)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	pthread_once(&once, configure_sqlite);
	// SQLite would open a FIFO and wait on its first read.
	bool exists;
	struct util_error *err = util_check_regular(fresh ? fresh : path, "the database",
						    readonly ? NULL : &exists);
	if (err) {
		free(fresh);
		return err;
	}
	struct store_db *db = calloc(1, sizeof(*db));
	if (!db) {
		free(fresh);
		return &util_enomem;
	}
	db->readonly = readonly;
	db->fresh = fresh;
	db->path = strdup(path);
	if (!db->path) {
		store_close(db);
		return &util_enomem;
	}
	if (fresh)
		path = fresh;
	// NOMUTEX: a store_db is used by one thread at a time (store.h), so
	// SQLite's per-call locking is pure cost (bench/README.md).
	// URI: store_import attaches its source as "file:...?mode=ro", which
	// only a connection opened with URI names enabled accepts. A PATH that
	// itself starts with "file:" is a file name: "./" keeps it one.
	int flags = SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_URI |
		    (readonly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
	bool uri_like = strncmp(path, "file:", 5) == 0;
	char *name = uri_like ? malloc(strlen(path) + 3) : NULL;
	if (uri_like && !name) {
		store_close(db);
		return &util_enomem;
	}
	if (name)
		strcat(strcpy(name, "./"), path);
	int rc = sqlite3_open_v2(name ? name : path, &db->h, flags, NULL);
	if (!readonly && !fresh && (rc == SQLITE_OK || (rc & 0xff) == SQLITE_CANTOPEN))
		err = check_writable(db);
	if (rc == SQLITE_OK && !err && readonly)
		err = read_without_shm(db, name ? name : path);
	free(name);
	if (rc != SQLITE_OK && !err)
		err = store_error_sqlite(db, rc, "cannot open database");
	if (err)
		goto out;
	sqlite3_extended_result_codes(db->h, 1);
	sqlite3_busy_timeout(db->h, STORE_BUSY_TIMEOUT_MS);
	// Before anything runs through the views (store_summarize_stale).
	store_set_budget(db, budget);

	struct store_header h;
	err = read_header(db, &h);
	if (err)
		goto out;
	err = check_header(db, &h);
	if (err)
		goto out;
	if (readonly) {
		// The library's views, as TEMP views if the file's are missing or
		// differ from this binary's (queries/queries.h).
		err = queries_sync(db->h, db->path, false);
		goto out;
	}
	// WAL: readers (queries) never block the writer and a commit is one
	// append; NORMAL: durable across crashes of gocoroner, which is all an
	// archive rebuilt from cores needs. journal_mode must be set outside a
	// transaction and persists in the file.
	// A new, empty file: 32 KiB pages. An incident is written in one
	// transaction of tens of MiB; its commit writes one WAL frame per page
	// (one write each) and the checkpoint as many pages: bigger pages, fewer
	// of both (bench/README.md). Only possible before the first write (WAL
	// mode included); an existing file keeps its size.
	if (h.version == 0 && h.nobjects == 0)
		err = store_exec(db, "PRAGMA page_size = 32768", "setting the page size");
	// A new database's temporary file: no other connection sees it, and
	// on any failure it is removed (store_close). No WAL then, whose
	// checkpoint copied every page of it a second time, and no sync but
	// the one store_publish does; a journal in memory, of the few pages
	// the schema wrote (the rest are new), so that ROLLBACK still works.
	if (!err && fresh)
		err = store_exec(db, "PRAGMA journal_mode = MEMORY", "setting the journal mode");
	if (!err && fresh)
		err = store_exec(db, "PRAGMA synchronous = OFF", "setting synchronous mode");
	if (!err && !fresh)
		err = exec_patiently(db, "PRAGMA journal_mode = WAL", "setting WAL mode");
	if (!err && !fresh)
		err = store_exec(db, "PRAGMA synchronous = NORMAL", "setting synchronous mode");
	// An incident is one transaction: with SQLite's default 2 MiB cache a
	// big one spills pages to the WAL and reads them back. 64 MiB held a
	// big incident's whole transaction, but then the cache was a quarter
	// of the ingest's peak memory, held beside the snapshot; 16 MiB spills
	// some, at no cost measured (bench/README.md). The cache grows only as
	// far as it is used.
	if (!err)
		err = store_exec(db, "PRAGMA cache_size = -16384", "setting the cache size");
	// Inside the ingest's transaction every multi-row INSERT into a table
	// whose CHECK calls a function (typeof in context_base and
	// goroutine_context_base) keeps a statement journal, to take back its
	// own rows if it fails: in a temporary file once past 64 KiB, which
	// with 32 KiB pages nearly every batch was. On ctxgen's core that was
	// 53,000 writes, 858 MB to /var/tmp read by no one. In memory the
	// journal of a batch is at most a few pages, freed as it ends. The
	// sorts that build a new database's indexes go to memory too (about
	// the size of the index: context_by_parent is 8 MB on ctxgen), after
	// the stack copies are freed: the peak did not move (bench/README.md).
	if (!err)
		err = store_exec(db, "PRAGMA temp_store = MEMORY", "setting the temporary store");
	if (!err && h.version < STORE_SCHEMA_VERSION)
		err = install_schema(db);
	// The library's views live in every database gocoroner writes, so any
	// SQLite client can run them.
	if (!err)
		err = queries_sync(db->h, db->path, true);
	// The wait components of incidents stored before schema version 5; the
	// summaries below count them.
	if (!err)
		err = store_wait_graph_stale(db);
	// The canceled contexts of incidents stored before schema version 10,
	// which the cancel_* views of the summaries below read.
	if (!err)
		err = store_context_sets_stale(db);
	// The goroutine groups of incidents stored before schema version 14,
	// which the summaries' signature reads (view _stack_funcs).
	if (!err)
		err = store_goroutine_groups_stale(db);
	// Summary rows the views of this binary define, for incidents of older
	// databases (or an older summary definition): needs the views above.
	if (!err)
		err = store_summarize_stale(db);
out:
	if (err) {
		store_close(db);
		return err;
	}
	*ret = db;
	return NULL;
}

struct util_error *store_open(const char *path, struct store_db **ret)
{
	return db_open(path, NULL, false, STORE_BUDGET_DEFAULT, ret);
}

struct util_error *store_open_budget(const char *path, uint64_t budget, struct store_db **ret)
{
	return db_open(path, NULL, false, budget, ret);
}

struct util_error *store_open_readonly(const char *path, struct store_db **ret)
{
	return db_open(path, NULL, true, STORE_BUDGET_DEFAULT, ret);
}

struct util_error *store_open_fresh(const char *path, uint64_t budget, struct store_db **ret)
{
	*ret = NULL;
	struct stat st;
	if (lstat(path, &st) == 0 || errno != ENOENT)
		return NULL; // there is something at PATH: store_open's business
	// Beside PATH, so that link(2) can put it there; created here with
	// SQLite's mode for a new file (0644 under the umask).
	size_t n = strlen(path) + 48;
	char *tmp = malloc(n);
	if (!tmp)
		return &util_enomem;
	static unsigned seq;
	int fd = -1;
	for (int tries = 0; fd < 0 && tries < 100; tries++) {
		unsigned r = __atomic_add_fetch(&seq, 1, __ATOMIC_RELAXED);
		snprintf(tmp, n, "%s.%ld-%u.new", path, (long)getpid(), r);
		fd = open(tmp, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
		if (fd < 0 && errno != EEXIST)
			break;
	}
	if (fd < 0) {
		free(tmp);
		return NULL; // store_open says what is wrong with the folder
	}
	close(fd);
	return db_open(path, tmp, false, budget, ret);
}

const char *store_fresh_path(const struct store_db *db)
{
	return db ? db->fresh : NULL;
}

/* Remove FILE and the files SQLite may have made beside it. */
void store_remove_files(const char *file)
{
	static const char *const suffixes[] = { "-journal", "-wal", "-shm", "" };
	size_t n = strlen(file) + 16;
	char *p = malloc(n);
	for (size_t i = 0; p && i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
		snprintf(p, n, "%s%s", file, suffixes[i]);
		unlink(p);
	}
	if (!p)
		unlink(file);
	free(p);
}

/*
 * SQLite copies the WAL into the database file after any commit that leaves
 * it over 1000 pages, inside that commit: a big incident's commit wrote its
 * tens of MiB a second time and waited for two fsyncs (0.15-0.2 s of the
 * 0.23 s 'store commit' took on ctxgen's core). Copied instead on a second
 * connection, on a thread, it overlaps what the caller reads next (the
 * summary analyze prints). Its failure is not told, as SQLite does not tell
 * a failed automatic checkpoint: the WAL keeps the committed rows, and the
 * next checkpoint copies them (at the latest when the last connection
 * closes).
 */
void store_checkpoint_defer(struct store_db *db)
{
	if (db->readonly || db->fresh || !sqlite3_threadsafe())
		return;
	const char *file = sqlite3_db_filename(db->h, "main");
	db->ckpt_path = file && *file ? strdup(file) : NULL;
	if (db->ckpt_path && sqlite3_wal_autocheckpoint(db->h, 0) == SQLITE_OK)
		db->ckpt_deferred = true;
}

static void *checkpoint_main(void *arg)
{
	const char *path = arg;
	sqlite3 *h = NULL;
	// A read first: a connection finds the WAL when it first reads, and
	// until then has none to checkpoint.
	int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX;
	if (sqlite3_open_v2(path, &h, flags, NULL) == SQLITE_OK &&
	    sqlite3_exec(h, "PRAGMA schema_version", NULL, NULL, NULL) == SQLITE_OK)
		sqlite3_wal_checkpoint_v2(h, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
	sqlite3_close(h);
	return NULL;
}

void store_checkpoint_start(struct store_db *db)
{
	if (!db->ckpt_deferred || db->ckpt_running)
		return;
	db->ckpt_running = pthread_create(&db->ckpt_thread, NULL, checkpoint_main,
					  db->ckpt_path) == 0;
	if (!db->ckpt_running)
		sqlite3_wal_checkpoint_v2(db->h, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
}

void store_checkpoint_wait(struct store_db *db)
{
	if (db && db->ckpt_running) {
		pthread_join(db->ckpt_thread, NULL);
		db->ckpt_running = false;
	}
}

void store_close(struct store_db *db)
{
	if (!db)
		return;
	store_checkpoint_wait(db);
	free(db->ckpt_path);
	for (int i = 0; i < STORE_STMT_COUNT; i++) {
		sqlite3_finalize(db->stmts[i]);
		sqlite3_finalize(db->batch[i]);
	}
	sqlite3_close(db->h);
	// A new database not published: never seen at its path, and gone.
	if (db->fresh)
		store_remove_files(db->fresh);
	free(db->fresh);
	free(db->path);
	free(db);
}

sqlite3 *store_handle(struct store_db *db)
{
	return db->h;
}

struct util_error *store_latest_incident(struct store_db *db, int64_t *ret)
{
	sqlite3_stmt *s = NULL;
	int rc = sqlite3_prepare_v2(db->h, "SELECT max(id) FROM incident", -1, &s, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(s);
	struct util_error *err = NULL;
	if (rc != SQLITE_ROW)
		err = store_error_sqlite(db, rc, "reading the latest incident");
	else if (sqlite3_column_type(s, 0) == SQLITE_NULL)
		err = util_error_create(UTIL_ERROR_NOT_FOUND, "%s: no incidents in the database",
					db->path);
	else
		*ret = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return err;
}
