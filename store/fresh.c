// SPDX-License-Identifier: Apache-2.0
// fresh.c: a new database written once — put at its path only when complete
// (store_open_fresh, store_publish).
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/store-private.h"
#include "store/store.h"

/* fsync(2) FILE (a folder too); an error naming WHAT. */
static struct util_error *sync_file(const char *file, const char *what)
{
	int fd = open(file, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fsync(fd) != 0) {
		int e = errno;
		if (fd >= 0)
			close(fd);
		return util_error_os(e, file, what);
	}
	close(fd);
	return NULL;
}

/* The folder of PATH, synced so that a new name in it lasts; errors ignored
 * (a file system may not sync folders): the file itself is complete. */
static void sync_folder(const char *path)
{
	char *dir = strdup(path);
	if (!dir)
		return;
	char *slash = strrchr(dir, '/');
	const char *d = slash ? (slash == dir ? "/" : (*slash = '\0', dir)) : ".";
	util_error_destroy(sync_file(d, "cannot sync the folder"));
	free(dir);
}

/*
 * PATH appeared while TMP was written (another gocoroner made it), or TMP
 * could not be linked there: its incident goes into PATH the way 'gocoroner
 * import' copies one (a new id; none if PATH already has that core).
 */
static struct util_error *import_into(const char *path, const char *tmp, uint64_t budget,
				      struct store_db **ret, int64_t *id, bool *existed)
{
	struct store_db *db = NULL;
	struct util_error *err = store_open_budget(path, budget, &db);
	struct store_import_result r = {0};
	if (!err)
		err = store_import(db, tmp, 0, &r);
	if (!err && r.imported + r.skipped != 1)
		err = util_error_create(UTIL_ERROR_INVALID, "%s: %lld incidents in a new database",
					tmp, (long long)(r.imported + r.skipped));
	if (err) {
		store_close(db);
		return err;
	}
	*id = r.last_id;
	*existed = r.imported == 0;
	*ret = db;
	return NULL;
}

struct util_error *store_publish(struct store_db **dbp, int64_t *id, bool *existed)
{
	struct store_db *db = *dbp;
	if (!db->fresh) {
		store_checkpoint_start(db);
		return NULL;
	}
	// From here on the temporary file is this function's to remove.
	char *tmp = db->fresh, *path = strdup(db->path);
	uint64_t budget = db->budget.limit;
	db->fresh = NULL;
	*dbp = NULL;
	struct util_error *err = path ? NULL : &util_enomem;
	// WAL mode, as every archive is in; then the connection goes, and with
	// it the -wal and -shm files of the temporary name.
	int rc = err ? SQLITE_OK : sqlite3_exec(db->h, "PRAGMA journal_mode = WAL", NULL, NULL, NULL);
	if (rc != SQLITE_OK)
		err = store_error_sqlite(db, rc, "setting WAL mode");
	store_close(db);
	// Every page on disk before the file has its name: a crash never
	// leaves a half-written database at PATH.
	if (!err)
		err = sync_file(tmp, "cannot sync the new database");
	if (!err && link(tmp, path) == 0) {
		sync_folder(path);
		err = store_open_budget(path, budget, dbp);
	} else if (!err) {
		err = import_into(path, tmp, budget, dbp, id, existed);
	}
	store_remove_files(tmp);
	free(tmp);
	free(path);
	return err;
}
