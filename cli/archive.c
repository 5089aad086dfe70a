// SPDX-License-Identifier: Apache-2.0
// archive.c: the incident archive — 'incidents', 'tag', 'similar', 'diff'
// and 'core': listing, naming, recognizing and comparing incidents, and
// getting a kept core back.
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "store/store.h"

static const char incidents_usage[] =
	"usage: gocoroner incidents [--db FILE] [--format table|csv|json] [--budget N]\n"
	"\n"
	"List the incidents of the archive, oldest first: name, when the core was\n"
	"captured and how that is known (captured_from: 'option' for\n"
	"analyze --captured-at, 'file name' for a systemd-coredump name, 'file\n"
	"mtime'), and ingested, executable and build id, Go release, goroutines,\n"
	"findings of each kind (goroutines blocked holding a\n"
	"canceled context, broken cancel links, leak suspects, goroutines in wait\n"
	"cycles, detached contexts, contexts with lock waiters), tags, and whether\n"
	"the core itself is kept. The table shows the columns that tell incidents\n"
	"apart, the bug findings in one (unobserved: goroutines blocked holding a\n"
	"canceled context; broken: cancel links; leaked: goroutines; cycles: wait\n"
	"cycles); csv and json give every column.\n"
	"\n"
	"  --db FILE    database (default " CLI_DEFAULT_DB ")\n"
	"  --format F   table (default), csv or json\n"
	CLI_BUDGET_HELP("   ", "               ");

static const char tag_usage[] =
	"usage: gocoroner tag [--db FILE] [--budget N] INCIDENT KEY=VALUE...\n"
	"\n"
	"Set tags of an incident (KEY: letters, digits, '_', '-', '.'); 'KEY=' with\n"
	"nothing after '=' removes the tag. The key 'name' sets the incident's name\n"
	"instead, which 'incidents', 'similar' and 'diff' print ('name=' clears it).\n"
	"All of them are set in one transaction, or none of them is.\n"
	"\n"
	"  --db FILE    database (default " CLI_DEFAULT_DB ")\n"
	CLI_BUDGET_HELP("   ", "               ");

static const char similar_usage[] =
	"usage: gocoroner similar [--db FILE] [--limit N] [--all] [--format table|csv|json]\n"
	"                         [--budget N] INCIDENT\n"
	"\n"
	"Rank the earlier incidents (captured before INCIDENT) by how much their signature shares with\n"
	"INCIDENT's: its findings (kind and culprit function) and its largest\n"
	"goroutine groups by function names, which a rebuild of the same code\n"
	"keeps. score is the weighted Jaccard index of the two signatures (1: the\n"
	"same terms with the same weights); 'shared' names the heaviest shared terms.\n"
	"Incidents sharing no term are not listed.\n"
	"\n"
	"  --db FILE    database (default " CLI_DEFAULT_DB ")\n"
	"  --limit N    at most N incidents (default 10)\n"
	"  --all        the incidents captured later too\n"
	"  --format F   table (default, then a line naming the incidents with a\n"
	"               score of at least 0.5), csv or json\n"
	CLI_BUDGET_HELP("   ", "               ");

static const char diff_usage[] =
	"usage: gocoroner diff [--db FILE] [--format text|json] [--budget N] A B\n"
	"\n"
	"What changed from incident A to incident B: groups of goroutines (by\n"
	"function names, runtime frames left out) that appeared, vanished, grew or\n"
	"shrank; findings (kind, culprit, object) new, gone, more or fewer; and\n"
	"context trees of another shape (contexts by kind and depth, canceled ones\n"
	"counted apart). Addresses and line numbers are not compared.\n"
	"\n"
	"  --db FILE    database (default " CLI_DEFAULT_DB ")\n"
	"  --format F   text (default) or json: both incidents and each section's\n"
	"               rows as one object, for scripts\n"
	CLI_BUDGET_HELP("   ", "               ");

static const char core_usage[] =
	"usage: gocoroner core [--db FILE] [--budget N] INCIDENT --to FILE\n"
	"\n"
	"Write the core of INCIDENT, kept by 'analyze --keep-core', to FILE as a\n"
	"zstd stream ('gocoroner analyze' reads it as it is; 'zstd -d' gives the\n"
	"raw core). FILE must not exist.\n"
	"\n"
	"  --db FILE    database (default " CLI_DEFAULT_DB ")\n"
	"  --to FILE    where to write the core\n"
	CLI_BUDGET_HELP("   ", "               ");

/* The usual option loop's pieces: one line of our own on a bad option. */
static const char *text(sqlite3_stmt *st, int col)
{
	const unsigned char *t = sqlite3_column_text(st, col);
	return t ? (const char *)t : "";
}

/* ---- incidents -------------------------------------------------------- */

int cli_incidents(int argc, char **argv)
{
	static const struct option opts[] = {
		{"db", required_argument, NULL, 'd'},
		{"format", required_argument, NULL, 'f'},
		{"budget", required_argument, NULL, 'B'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	const char *db_path = CLI_DEFAULT_DB;
	uint64_t budget = STORE_BUDGET_DEFAULT;
	enum cli_format format = CLI_FORMAT_TABLE;
	static const char shortopts[] = "d:f:h";
	int c;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, shortopts, opts, NULL)) != -1) {
		switch (c) {
		case 'd': db_path = optarg; break;
		case 'f':
			if (cli_parse_format("incidents", optarg, &format))
				return CLI_USAGE;
			break;
		case 'B':
			if (cli_parse_budget("incidents", optarg, &budget))
				return CLI_USAGE;
			break;
		case 'h': fputs(incidents_usage, stdout); return CLI_OK;
		default: return cli_bad_option_in("incidents", argv, shortopts);
		}
	}
	if (optind != argc) {
		fprintf(stderr, "gocoroner incidents: no arguments expected; see 'gocoroner incidents --help' (usage)\n");
		return CLI_USAGE;
	}
	struct store_db *db = NULL;
	sqlite3_stmt *st = NULL;
	struct util_error *err = cli_open_readonly(db_path, budget, &db);
	if (!err)
		err = cli_prepare(db, format == CLI_FORMAT_TABLE ? "incidents_table" : "incidents", &st);
	if (!err)
		err = cli_print_rows(stdout, db, st, "the statement incidents", format);
	sqlite3_finalize(st);
	store_close(db);
	return err ? cli_fail(err) : CLI_OK;
}

/* ---- tag -------------------------------------------------------------- */

int cli_tag(int argc, char **argv)
{
	const char *db_path = CLI_DEFAULT_DB;
	uint64_t budget = STORE_BUDGET_DEFAULT;
	int status = cli_parse_db_options("tag", tag_usage, argc, argv, &db_path, &budget, NULL, NULL);
	if (status >= 0)
		return status;
	if (argc - optind < 2) {
		fprintf(stderr, "gocoroner tag: give an incident and KEY=VALUE; see 'gocoroner tag --help' (usage)\n");
		return CLI_USAGE;
	}
	int64_t id;
	if (cli_parse_incident("tag", argv[optind], &id))
		return CLI_USAGE;
	for (int i = optind + 1; i < argc; i++)
		if (!strchr(argv[i], '=') || argv[i][0] == '=') {
			fprintf(stderr, "gocoroner tag: '%s' is not KEY=VALUE\n", argv[i]);
			return CLI_USAGE;
		}
	// All the tags in one transaction: a failure (a bad key, a full disk)
	// leaves the incident's tags as they were, not half of them set.
	size_t n = (size_t)(argc - optind - 1);
	char **keys = calloc(n, sizeof(*keys));
	const char **values = calloc(n, sizeof(*values));
	struct util_error *err = keys && values ? NULL : &util_enomem;
	for (size_t i = 0; i < n && !err; i++) {
		const char *arg = argv[optind + 1 + (int)i], *eq = strchr(arg, '=');
		keys[i] = strndup(arg, (size_t)(eq - arg));
		values[i] = eq + 1;
		if (!keys[i])
			err = &util_enomem;
	}
	struct store_db *db = NULL;
	if (!err)
		err = cli_open_writable("tag", db_path, budget, &db);
	if (!err)
		err = store_set_tags(db, id, (const char *const *)keys, values, n);
	for (size_t i = 0; keys && i < n; i++)
		free(keys[i]);
	free(keys);
	free(values);
	store_close(db);
	return err ? cli_fail(err) : CLI_OK;
}

/* ---- similar ---------------------------------------------------------- */

/* After the table: "this hang also happened on DATE (incident ID) and DATE
 * (incident ID)", for the incidents scoring 0.5 or more. */
static struct util_error *print_recurrence(FILE *out, struct store_db *db, int64_t id,
					   int64_t limit, bool all)
{
	sqlite3_stmt *st;
	struct util_error *err = cli_prepare(db, "similar", &st);
	if (err)
		return err;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, limit);
	sqlite3_bind_int(st, 3, all);
	char (*seen)[64] = calloc((size_t)limit, sizeof(*seen));
	if (!seen) {
		sqlite3_finalize(st);
		return &util_enomem;
	}
	int64_t n = 0;
	bool row;
	while (n < limit && !(err = cli_step(db, st, "similar", &row)) && row) {
		if (sqlite3_column_double(st, 3) < 0.5)
			break; // ordered by score
		const char *when = text(st, 2);
		// The day of captured_at ("2026-03-02T..."), as it is otherwise.
		int wlen = strlen(when) >= 10 && when[4] == '-' ? 10 : (int)strlen(when);
		snprintf(seen[n++], sizeof(seen[0]), "%.*s (incident %lld)", wlen,
			 *when ? when : "an unknown date", (long long)sqlite3_column_int64(st, 0));
	}
	if (!err && n == 0) {
		fprintf(out, all ? "\nno other incident scores 0.5 or more: not seen elsewhere\n"
				 : "\nno earlier incident scores 0.5 or more: not seen before\n");
	} else if (!err) {
		fprintf(out, "\nthis hang also happened on ");
		for (int64_t i = 0; i < n; i++)
			fprintf(out, "%s%s", i == 0 ? "" : i + 1 == n ? " and " : ", ", seen[i]);
		fputc('\n', out);
	}
	free(seen);
	sqlite3_finalize(st);
	return err;
}

int cli_similar(int argc, char **argv)
{
	static const struct option opts[] = {
		{"db", required_argument, NULL, 'd'},
		{"limit", required_argument, NULL, 'l'},
		{"format", required_argument, NULL, 'f'},
		{"all", no_argument, NULL, 'a'},
		{"budget", required_argument, NULL, 'B'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	const char *db_path = CLI_DEFAULT_DB;
	uint64_t budget = STORE_BUDGET_DEFAULT;
	enum cli_format format = CLI_FORMAT_TABLE;
	int64_t limit = 10;
	bool all = false;
	static const char shortopts[] = "d:l:f:ah";
	int c;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, shortopts, opts, NULL)) != -1) {
		switch (c) {
		case 'd': db_path = optarg; break;
		case 'a': all = true; break;
		case 'l':
		{
			char *end;
			limit = strtoll(optarg, &end, 10);
			if (!*optarg || *end || limit <= 0) {
				fprintf(stderr, "gocoroner similar: --limit takes a number > 0, not '%s'\n",
					optarg);
				return CLI_USAGE;
			}
			break;
		}
		case 'f':
			if (cli_parse_format("similar", optarg, &format))
				return CLI_USAGE;
			break;
		case 'B':
			if (cli_parse_budget("similar", optarg, &budget))
				return CLI_USAGE;
			break;
		case 'h': fputs(similar_usage, stdout); return CLI_OK;
		default: return cli_bad_option_in("similar", argv, shortopts);
		}
	}
	if (optind != argc - 1) {
		fprintf(stderr, "gocoroner similar: give one incident; see 'gocoroner similar --help' (usage)\n");
		return CLI_USAGE;
	}
	int64_t id;
	if (cli_parse_incident("similar", argv[optind], &id))
		return CLI_USAGE;
	struct store_db *db = NULL;
	sqlite3_stmt *st = NULL;
	struct util_error *err = cli_open_readonly(db_path, budget, &db);
	if (err)
		goto out;
	err = cli_pick_incident(db, id, &id);
	if (err)
		goto out;
	err = cli_prepare(db, "signature_size", &st);
	if (err)
		goto out;
	sqlite3_bind_int64(st, 1, id);
	bool row;
	err = cli_step(db, st, "signature_size", &row);
	if (!err && !row)
		err = util_error_create(UTIL_ERROR_LIB, "%s: reading the signature: no row", db_path);
	if (err)
		goto out;
	if (sqlite3_column_int64(st, 0) == 0) {
		err = util_error_create(UTIL_ERROR_NOT_FOUND,
					"%s: incident %lld has no signature (no user goroutine and no finding)",
					db_path, (long long)id);
		goto out;
	}
	sqlite3_finalize(st);
	st = NULL;
	err = cli_prepare(db, "similar", &st);
	if (err)
		goto out;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, limit);
	sqlite3_bind_int(st, 3, all);
	err = cli_print_rows(stdout, db, st, "the statement similar", format);
	if (!err && format == CLI_FORMAT_TABLE)
		err = print_recurrence(stdout, db, id, limit, all);
out:
	sqlite3_finalize(st);
	store_close(db);
	return err ? cli_fail(err) : CLI_OK;
}

/* ---- diff ------------------------------------------------------------- */

static struct util_error *print_side(FILE *out, struct store_db *db, const char *label,
				     int64_t id)
{
	sqlite3_stmt *st;
	bool row;
	struct util_error *err = cli_prepare(db, "diff_header", &st);
	if (err)
		return err;
	sqlite3_bind_int64(st, 1, id);
	err = cli_step(db, st, "diff_header", &row);
	if (!err && row) {
		fprintf(out, "%s: incident %lld", label, (long long)id);
		if (sqlite3_column_type(st, 1) != SQLITE_NULL)
			fprintf(out, " \"%s\"", text(st, 1));
		fprintf(out, ", %s %s, %lld goroutines, captured %s\n", text(st, 3), text(st, 4),
			(long long)sqlite3_column_int64(st, 5),
			sqlite3_column_type(st, 2) == SQLITE_NULL ? "(unknown)" : text(st, 2));
	}
	sqlite3_finalize(st);
	return err;
}

/* Run statement NAME for A and B, printing each row with PRINT; *N_RET rows. */
static struct util_error *diff_section(struct store_db *db, const char *name, int64_t a,
				       int64_t b, void (*print)(sqlite3_stmt *), int *n_ret)
{
	sqlite3_stmt *st;
	struct util_error *err = cli_prepare(db, name, &st);
	if (err)
		return err;
	sqlite3_bind_int64(st, 1, a);
	sqlite3_bind_int64(st, 2, b);
	bool row;
	*n_ret = 0;
	while (!(err = cli_step(db, st, name, &row)) && row) {
		print(st);
		(*n_ret)++;
	}
	sqlite3_finalize(st);
	return err;
}

static void print_bucket(sqlite3_stmt *st)
{
	printf("  %-9s %5lld -> %-5lld %s\n", text(st, 0), (long long)sqlite3_column_int64(st, 1),
	       (long long)sqlite3_column_int64(st, 2), text(st, 3));
}

static void print_finding(sqlite3_stmt *st)
{
	printf("  %-9s %5lld -> %-5lld %s %s", text(st, 0), (long long)sqlite3_column_int64(st, 1),
	       (long long)sqlite3_column_int64(st, 2), text(st, 3),
	       sqlite3_column_type(st, 4) == SQLITE_NULL ? "-" : text(st, 4));
	if (sqlite3_column_type(st, 5) != SQLITE_NULL)
		printf(" (%s)", text(st, 5));
	putchar('\n');
}

static void print_context_shape(sqlite3_stmt *st)
{
	printf("  %-9s %5lld -> %-5lld %s at depth %lld (canceled %lld -> %lld)\n", "changed",
	       (long long)sqlite3_column_int64(st, 2), (long long)sqlite3_column_int64(st, 4),
	       text(st, 0), (long long)sqlite3_column_int64(st, 1),
	       (long long)sqlite3_column_int64(st, 3), (long long)sqlite3_column_int64(st, 5));
}

int cli_diff(int argc, char **argv)
{
	static const struct option opts[] = {
		{"db", required_argument, NULL, 'd'},
		{"format", required_argument, NULL, 'f'},
		{"budget", required_argument, NULL, 'B'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	static const char shortopts[] = "d:f:h";
	const char *db_path = CLI_DEFAULT_DB;
	uint64_t budget = STORE_BUDGET_DEFAULT;
	bool json = false;
	int c;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, shortopts, opts, NULL)) != -1) {
		switch (c) {
		case 'd': db_path = optarg; break;
		case 'f':
			if (strcmp(optarg, "json") != 0 && strcmp(optarg, "text") != 0) {
				fprintf(stderr, "gocoroner diff: --format takes text or json, not '%s'\n",
					optarg);
				return CLI_USAGE;
			}
			json = strcmp(optarg, "json") == 0;
			break;
		case 'B':
			if (cli_parse_budget("diff", optarg, &budget))
				return CLI_USAGE;
			break;
		case 'h': fputs(diff_usage, stdout); return CLI_OK;
		default: return cli_bad_option_in("diff", argv, shortopts);
		}
	}
	if (optind != argc - 2) {
		fprintf(stderr, "gocoroner diff: give two incidents; see 'gocoroner diff --help' (usage)\n");
		return CLI_USAGE;
	}
	int64_t a, b;
	if (cli_parse_incident("diff", argv[optind], &a) || cli_parse_incident("diff", argv[optind + 1], &b))
		return CLI_USAGE;
	struct store_db *db = NULL;
	struct util_error *err = cli_open_readonly(db_path, budget, &db);
	if (err)
		return cli_fail(err);
	static const struct {
		const char *title, *stmt, *same;
		void (*print)(sqlite3_stmt *);
	} sections[] = {
		{"goroutine groups (functions innermost first, runtime frames left out; A -> B)",
		 "diff_buckets", "(the same)", print_bucket},
		{"findings (kind, culprit, object; A -> B)", "diff_findings", "(the same)",
		 print_finding},
		{"context trees (contexts by kind and depth; A -> B)", "diff_contexts",
		 "(the same shape)", print_context_shape},
	};
	int n[3] = {0};
	if ((err = cli_pick_incident(db, a, &a)) || (err = cli_pick_incident(db, b, &b)))
		goto out;
	if (json) {
		err = cli_diff_json(stdout, db, a, b);
		goto out;
	}
	if ((err = print_side(stdout, db, "A", a)) || (err = print_side(stdout, db, "B", b)))
		goto out;
	for (size_t i = 0; i < 3; i++) {
		printf("\n%s:\n", sections[i].title);
		err = diff_section(db, sections[i].stmt, a, b, sections[i].print, &n[i]);
		if (err)
			goto out;
		if (!n[i])
			printf("  %s\n", sections[i].same);
	}
	printf("\n%d goroutine groups, %d findings and %d context shapes differ\n", n[0], n[1], n[2]);
out:
	store_close(db);
	return err ? cli_fail(err) : CLI_OK;
}

/* ---- core ------------------------------------------------------------- */

int cli_core(int argc, char **argv)
{
	const char *db_path = CLI_DEFAULT_DB, *to = NULL;
	uint64_t budget = STORE_BUDGET_DEFAULT;
	int status = cli_parse_db_options("core", core_usage, argc, argv, &db_path, &budget, "to",
					  &to);
	if (status >= 0)
		return status;
	if (optind != argc - 1 || !to) {
		fprintf(stderr, "gocoroner core: give one incident and --to FILE; see 'gocoroner core --help' (usage)\n");
		return CLI_USAGE;
	}
	int64_t id;
	if (cli_parse_incident("core", argv[optind], &id))
		return CLI_USAGE;
	struct store_db *db = NULL;
	sqlite3_stmt *st = NULL;
	int fd = -1;
	struct util_error *err = cli_open_readonly(db_path, budget, &db);
	if (err)
		goto out;
	err = cli_pick_incident(db, id, &id);
	if (err)
		goto out;
	err = cli_prepare(db, "core_blob", &st);
	if (err)
		goto out;
	sqlite3_bind_int64(st, 1, id);
	bool row;
	err = cli_step(db, st, "core_blob", &row);
	if (err)
		goto out;
	if (!row) {
		err = util_error_create(UTIL_ERROR_NOT_FOUND,
					"%s: the core of incident %lld is not kept (analyze it with --keep-core)",
					db_path, (long long)id);
		goto out;
	}
	const unsigned char *data = sqlite3_column_blob(st, 0);
	size_t len = (size_t)sqlite3_column_bytes(st, 0);
	fd = open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0) {
		err = util_error_os(errno, to, "cannot create");
		goto out;
	}
	for (size_t done = 0; done < len;) {
		ssize_t n = write(fd, data + done, len - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err = util_error_os(errno, to, "write");
			break;
		}
		done += (size_t)n;
	}
	if (!err && close(fd) < 0)
		err = util_error_os(errno, to, "close");
	fd = -1;
	if (err)
		unlink(to); // no half-written core left behind
	else
		fprintf(stderr, "wrote the core of incident %lld to %s (%zu bytes of zstd, %lld once decompressed)\n",
			(long long)id, to, len, (long long)sqlite3_column_int64(st, 1));
out:
	if (fd >= 0) {
		close(fd);
		unlink(to);
	}
	sqlite3_finalize(st);
	store_close(db);
	return err ? cli_fail(err) : CLI_OK;
}
