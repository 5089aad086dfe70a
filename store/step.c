// step.c: running statements on a gocoroner connection — SQLite's errors as
// util_errors, and the connection's progress handler.
#include <signal.h>
#include <string.h>

#include "store/store-private.h"
#include "store/store.h"
#ifdef GOCORONER_TESTING
#include "store/testing.h"
#endif

struct util_error *store_error_sqlite(const struct store_db *db, int rc, const char *what)
{
	int primary = rc & 0xff;
	if (primary == SQLITE_NOMEM)
		return &util_enomem;
	const char *msg = db->h ? sqlite3_errmsg(db->h) : sqlite3_errstr(rc);
	enum util_error_code code = UTIL_ERROR_LIB;
	int errnum = 0;
	if (primary == SQLITE_NOTADB || primary == SQLITE_CORRUPT)
		code = UTIL_ERROR_BAD_DATA;
	else if (primary == SQLITE_CANTOPEN && db->h && (errnum = sqlite3_system_errno(db->h)))
		code = UTIL_ERROR_OS;
	struct util_error *err;
	if (errnum)
		err = util_error_create(code, "%s: %s: %s (%s)", db->path, what, msg,
					strerror(errnum));
	else
		err = util_error_create(code, "%s: %s: %s", db->path, what, msg);
	if (err != &util_enomem)
		err->errnum = errnum;
	return err;
}

struct util_error *store_exec(struct store_db *db, const char *sql, const char *what)
{
	int rc = sqlite3_exec(db->h, sql, NULL, NULL, NULL);
	return rc == SQLITE_OK ? NULL : store_error_sqlite(db, rc, what);
}

#ifdef GOCORONER_TESTING
/* Progress handler of store_test_crash_after: counts calls down to 0. */
static int crash_countdown(void *arg)
{
	unsigned long *left = arg;
	if (--*left == 0)
		raise(SIGKILL);
	return 0;
}

void store_test_crash_after(struct store_db *db, unsigned long n)
{
	db->crash_left = n;
	sqlite3_progress_handler(db->h, n ? 100 : 0, n ? crash_countdown : NULL, &db->crash_left);
}
#endif
