// SPDX-License-Identifier: Apache-2.0
// transfer.c: 'gocoroner forget', 'export' and 'import' — removing an incident
// and moving incidents between gocoroner databases.
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "store/store.h"
#ifdef GOCORONER_TESTING
#include "store/testing.h"
#endif

static const char forget_usage[] =
	"usage: gocoroner forget [--db FILE] [--budget N] INCIDENT\n"
	"\n"
	"Remove incident INCIDENT from the database completely: its goroutines,\n"
	"stacks, contexts, findings' data and every other row that belongs to it,\n"
	"and its stored core unless another incident has the same core. One\n"
	"transaction: either all of it goes or nothing does.\n"
	"\n"
	"  --db FILE   the database (default " CLI_DEFAULT_DB ")\n"
	CLI_BUDGET_HELP("  ", "              ");

static const char export_usage[] =
	"usage: gocoroner export [--db FILE] [--budget N] INCIDENT --to OUT.db\n"
	"\n"
	"Write incident INCIDENT into OUT.db, a gocoroner database of its own that\n"
	"any gocoroner (or SQLite client) can read and 'gocoroner import' can merge.\n"
	"A new OUT.db is created; an existing one must be a gocoroner database, and\n"
	"the incident is added to it (unless it already holds it). Any other\n"
	"existing file is left alone.\n"
	"\n"
	"  --db FILE   the database to read (default " CLI_DEFAULT_DB ")\n"
	"  --to OUT.db the database to write\n"
	CLI_BUDGET_HELP("  ", "              ");

static const char import_usage[] =
	"usage: gocoroner import [--db FILE] [--budget N] --from OTHER.db\n"
	"\n"
	"Merge every incident of OTHER.db, another gocoroner database, into FILE.\n"
	"An incident FILE already holds (the same core analysed with the same\n"
	"executable build) is skipped; the others get new incident numbers. One\n"
	"transaction: either all of them are added or none is. OTHER.db is only\n"
	"read: one from an older gocoroner is upgraded in a temporary copy, one from\n"
	"a newer gocoroner is refused.\n"
	"\n"
	"  --db FILE       the database to write (default " CLI_DEFAULT_DB ")\n"
	"  --from OTHER.db the database to read\n"
	CLI_BUDGET_HELP("      ", "                  ");

#ifdef GOCORONER_TESTING
void cli_test_hooks(struct store_db *db)
{
	// For tests of crash safety (tests/test-archive-reliability.sh). A small
	// page cache makes a big transaction spill pages into the WAL before
	// its COMMIT, so a crash finds uncommitted frames there.
	const char *kib = getenv("GOCORONER_TEST_CACHE_KIB");
	if (kib && *kib) {
		char sql[64];
		snprintf(sql, sizeof(sql), "PRAGMA cache_size = -%lu", strtoul(kib, NULL, 10));
		sqlite3_exec(store_handle(db), sql, NULL, NULL, NULL);
	}
	const char *v = getenv("GOCORONER_TEST_CRASH_AFTER");
	if (v && *v) {
		unsigned long n = strtoul(v, NULL, 10);
		if (n)
			store_test_crash_after(db, n);
	}
}
#endif

/* The INCIDENT argument: exactly one number > 0. */
static bool parse_incident_arg(const char *cmd, int argc, char **argv, int64_t *ret)
{
	if (optind != argc - 1) {
		fprintf(stderr, "gocoroner %s: give one incident number; see 'gocoroner %s --help' (usage)\n",
			cmd, cmd);
		return true;
	}
	char *end;
	long long v = strtoll(argv[optind], &end, 10);
	if (!*argv[optind] || *end || v <= 0) {
		fprintf(stderr, "gocoroner %s: the incident is a number > 0, not '%s'\n", cmd,
			argv[optind]);
		return true;
	}
	*ret = v;
	return false;
}

/* Open an existing database for writing (never create one by mistake). */
static struct util_error *open_existing(const char *path, uint64_t budget, struct store_db **ret)
{
	struct stat st;
	if (stat(path, &st) != 0)
		return util_error_os(errno, path, "cannot open database");
	return cli_open_writable("forget", path, budget, ret);
}

int cli_forget(int argc, char **argv)
{
	const char *db_path = CLI_DEFAULT_DB;
	uint64_t budget = STORE_BUDGET_DEFAULT;
	int status = cli_parse_db_options("forget", forget_usage, argc, argv, &db_path, &budget, NULL,
					  NULL);
	if (status >= 0)
		return status;
	int64_t id;
	if (parse_incident_arg("forget", argc, argv, &id))
		return CLI_USAGE;
	struct store_db *db = NULL;
	struct util_error *err = open_existing(db_path, budget, &db);
	if (!err) {
		cli_test_hooks(db);
		err = store_forget(db, id);
	}
	store_close(db);
	if (err)
		return cli_fail(err);
	printf("forgot incident %lld of %s\n", (long long)id, db_path);
	return CLI_OK;
}

int cli_export(int argc, char **argv)
{
	const char *db_path = CLI_DEFAULT_DB, *to = NULL;
	uint64_t budget = STORE_BUDGET_DEFAULT;
	int status = cli_parse_db_options("export", export_usage, argc, argv, &db_path, &budget, "to",
					  &to);
	if (status >= 0)
		return status;
	int64_t id;
	if (parse_incident_arg("export", argc, argv, &id))
		return CLI_USAGE;
	if (!to) {
		fprintf(stderr, "gocoroner export: give the file to write with --to; see 'gocoroner export --help' (usage)\n");
		return CLI_USAGE;
	}
	// store_open refuses files that are not gocoroner databases, but would
	// make an empty file one: an existing empty file is not ours either.
	struct stat st;
	bool existed = stat(to, &st) == 0;
	if (existed && (!S_ISREG(st.st_mode) || st.st_size == 0))
		return cli_fail(util_error_create(UTIL_ERROR_INVALID,
						  "%s: exists and is not a gocoroner database; not overwritten",
						  to));
	struct store_db *db = NULL;
	struct store_import_result res = {0};
	struct util_error *err = cli_open_writable("export", to, budget, &db);
	if (!err) {
		cli_test_hooks(db);
		err = store_import(db, db_path, id, &res);
	}
	store_close(db);
	if (err && !existed) {
		// Leave no empty database behind (a wrong incident number, say).
		static const char *const suffixes[] = { "", "-wal", "-shm" };
		for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
			char name[4096];
			if ((size_t)snprintf(name, sizeof(name), "%s%s", to, suffixes[i]) < sizeof(name))
				unlink(name);
		}
	}
	if (err)
		return cli_fail(err);
	if (res.imported)
		printf("exported incident %lld of %s to %s as incident %lld\n", (long long)id, db_path,
		       to, (long long)res.last_id);
	else
		printf("%s already holds incident %lld of %s (as incident %lld)\n", to, (long long)id,
		       db_path, (long long)res.last_id);
	return CLI_OK;
}

int cli_import(int argc, char **argv)
{
	const char *db_path = CLI_DEFAULT_DB, *from = NULL;
	uint64_t budget = STORE_BUDGET_DEFAULT;
	int status = cli_parse_db_options("import", import_usage, argc, argv, &db_path, &budget,
					  "from", &from);
	if (status >= 0)
		return status;
	if (optind != argc || !from) {
		fprintf(stderr, "gocoroner import: give the database to read with --from, and nothing else; see 'gocoroner import --help' (usage)\n");
		return CLI_USAGE;
	}
	struct store_db *db = NULL;
	struct store_import_result res = {0};
	struct util_error *err = cli_open_writable("import", db_path, budget, &db);
	if (!err) {
		cli_test_hooks(db);
		err = store_import(db, from, 0, &res);
	}
	store_close(db);
	if (err)
		return cli_fail(err);
	printf("imported %lld incidents from %s into %s, skipped %lld duplicates\n",
	       (long long)res.imported, from, db_path, (long long)res.skipped);
	return CLI_OK;
}
