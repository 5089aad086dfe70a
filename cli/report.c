// report.c: 'gocoroner report' — the findings of the query library as a
// person reads them: one block per bucket of findings, most severe first;
// and the short form 'analyze' ends with.
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "store/store.h"

static const char report_usage[] =
	"usage: gocoroner report [--db FILE] [--incident N] [--short] [--fail-on-findings]\n"
	"                        [--budget N]\n"
	"\n"
	"Print the findings of an incident, most severe first: wait cycles\n"
	"(deadlocks), goroutines blocked while holding a canceled context (with the\n"
	"frame that holds it and the context chain up to where it was canceled),\n"
	"broken cancel links, leak suspects, contexts whose lock goroutines wait on;\n"
	"then contexts detached on purpose, the largest goroutine groups and the\n"
	"longest waits. Each block says how many other goroutines share it.\n"
	"\n"
	"  --db FILE            database (default " CLI_DEFAULT_DB ")\n"
	"  --incident N         incident id (default: the newest)\n"
	"  --short              one line per kind of finding\n"
	"  --fail-on-findings   exit with status 3 when there are bug findings\n"
	CLI_BUDGET_HELP("           ", "                       ");

static const char *text(sqlite3_stmt *st, int col)
{
	const unsigned char *t = sqlite3_column_text(st, col);
	return t ? (const char *)t : "";
}

static bool null(sqlite3_stmt *st, int col)
{
	return sqlite3_column_type(st, col) == SQLITE_NULL;
}

static unsigned long long addr(sqlite3_stmt *st, int col)
{
	return (unsigned long long)sqlite3_column_int64(st, col);
}

/* "[chan receive, 5 minutes]" */
static void print_wait(FILE *out, sqlite3_stmt *st, int reason_col, int minutes_col)
{
	fprintf(out, "[%s", text(st, reason_col));
	if (minutes_col >= 0 && !null(st, minutes_col) && sqlite3_column_int64(st, minutes_col) > 0)
		fprintf(out, ", %lld minutes", (long long)sqlite3_column_int64(st, minutes_col));
	fputc(']', out);
}

/* "main.epoll (/src/main.go:197)", or what is known. */
static void print_frame(FILE *out, sqlite3_stmt *st, int func_col)
{
	if (null(st, func_col)) {
		fputs("(frame unknown)", out);
		return;
	}
	fprintf(out, "%s (%s:%s)", text(st, func_col), text(st, func_col + 1), text(st, func_col + 2));
}

/* "goroutines 21, 22, 23": the first 20 of a comma-separated list. */
static void print_goids(FILE *out, const char *list)
{
	int shown = 0, total = 0;
	for (const char *p = list; *p;) {
		size_t len = strcspn(p, ",");
		if (shown < 20)
			fprintf(out, "%s%.*s", shown ? ", " : "", (int)len, p), shown++;
		total++;
		p += len;
		if (*p)
			p++;
	}
	if (total > shown)
		fprintf(out, " and %d more", total - shown);
}

/* Run every statement of report_findings: the findings into temporary tables. */
/*
 * Run every statement of report_findings: the findings into temporary
 * tables. Each has its own budget; errors name the view it reads (the last
 * name after FROM), the one a budget would stop.
 */
static struct util_error *compute_findings(struct store_db *db, int64_t incident)
{
	sqlite3 *h = store_handle(db);
	const char *sql = cli_statement("report_findings");
	if (!sql)
		return util_error_create(UTIL_ERROR_NOT_FOUND, "no statement named report_findings");
	while (*sql) {
		sqlite3_stmt *st = NULL;
		const char *tail = NULL;
		if (sqlite3_prepare_v2(h, sql, -1, &st, &tail) != SQLITE_OK)
			return util_error_create(UTIL_ERROR_LIB, "%s: statement report_findings: %s",
						 sqlite3_db_filename(h, "main"), sqlite3_errmsg(h));
		if (!st) // only comments or blanks were left
			break;
		if (sqlite3_bind_parameter_count(st) >= 1)
			sqlite3_bind_int64(st, 1, incident);
		char what[128] = "the statement report_findings";
		const char *from = NULL;
		for (const char *p = sql; (p = strstr(p, "FROM ")) && p < tail; p += 5)
			from = p + 5;
		if (from)
			snprintf(what, sizeof(what), "the findings of incident %lld (view %.*s)",
				 (long long)incident, (int)strcspn(from, " \n;"), from);
		bool row;
		struct util_error *err = store_step(db, st, what, &row);
		sqlite3_finalize(st);
		if (err)
			return err;
		sql = tail;
	}
	return NULL;
}

struct util_error *cli_count_findings(struct store_db *db, int64_t incident,
				      struct cli_findings *ret)
{
	sqlite3_stmt *st;
	struct util_error *err = compute_findings(db, incident);
	if (err)
		return err;
	err = cli_prepare(db, "report_counts", &st);
	if (err)
		return err;
	sqlite3_bind_int64(st, 1, incident);
	bool row = false;
	err = cli_step(db, st, "report_counts", &row);
	if (!err && row) {
		*ret = (struct cli_findings){
			.unobserved = sqlite3_column_int64(st, 0),
			.broken_links = sqlite3_column_int64(st, 1),
			.leaks = sqlite3_column_int64(st, 2),
			.cycles = sqlite3_column_int64(st, 3),
			.detached = sqlite3_column_int64(st, 4),
			.lock_waits = sqlite3_column_int64(st, 5),
			.heap_scanned = sqlite3_column_int64(st, 6) > 0,
			.in_cycles = sqlite3_column_int64(st, 7),
			.leak_groups = sqlite3_column_int64(st, 8),
			.victims = sqlite3_column_int64(st, 9),
		};
	} else if (!err) {
		err = util_error_create(UTIL_ERROR_LIB, "%s: counting findings: no row",
					sqlite3_db_filename(store_handle(db), "main"));
	}
	sqlite3_finalize(st);
	return err;
}

bool cli_has_bugs(const struct cli_findings *f)
{
	return f->unobserved || f->broken_links || f->leaks || f->cycles;
}

static const char *plural(int64_t n, const char *one, const char *many)
{
	return n == 1 ? one : many;
}

void cli_print_findings_short(FILE *out, const struct cli_findings *f, int64_t incident)
{
	fprintf(out, "findings: %lld %s blocked holding a canceled context, %lld broken cancel %s",
		(long long)f->unobserved, plural(f->unobserved, "goroutine", "goroutines"),
		(long long)f->broken_links, plural(f->broken_links, "link", "links"));
	// Goroutines and the groups or cycles they are in, each named: a pool
	// of 5,000 leaked workers is one group, not 5,000 findings.
	if (f->heap_scanned) {
		int64_t grouped = f->leaks - f->in_cycles;
		fprintf(out, ", %lld leaked %s", (long long)f->leaks,
			plural(f->leaks, "goroutine", "goroutines"));
		if (grouped > 0 && f->cycles)
			fprintf(out, " (%lld in %lld %s, %lld in %lld wait %s)", (long long)grouped,
				(long long)f->leak_groups, plural(f->leak_groups, "group", "groups"),
				(long long)f->in_cycles, (long long)f->cycles,
				plural(f->cycles, "cycle", "cycles"));
		else if (grouped > 0)
			fprintf(out, " in %lld %s", (long long)f->leak_groups,
				plural(f->leak_groups, "group", "groups"));
		else if (f->cycles)
			fprintf(out, " in %lld wait %s", (long long)f->cycles,
				plural(f->cycles, "cycle", "cycles"));
		fputc('\n', out);
	}
	else
		fputs(" (no leak analysis for this incident)\n", out);
	if (f->victims)
		fprintf(out, "and %lld %s stuck behind the goroutines found (gocoroner query stuck_behind)\n",
			(long long)f->victims, plural(f->victims, "goroutine", "goroutines"));
	fprintf(out, "info: %lld %s detached on purpose (WithoutCancel), %lld %s with goroutines waiting on its lock\n",
		(long long)f->detached, plural(f->detached, "context", "contexts"),
		(long long)f->lock_waits, plural(f->lock_waits, "context", "contexts"));
	if (cli_has_bugs(f) || f->detached || f->lock_waits)
		fprintf(out, "details: gocoroner report --incident %lld\n", (long long)incident);
}

static struct util_error *report_cycles(FILE *out, struct store_db *db, int64_t id, int *blocks)
{
	sqlite3_stmt *st;
	bool row;
	struct util_error *err = cli_prepare(db, "report_cycles", &st);
	if (err)
		return err;
	sqlite3_bind_int64(st, 1, id);
	int64_t cycle = -1;
	while (!(err = cli_step(db, st, "report_cycles", &row)) && row) {
		if (sqlite3_column_int64(st, 0) != cycle) {
			cycle = sqlite3_column_int64(st, 0);
			fprintf(out, "\n== BUG wait cycle %lld: %lld goroutines wait on each other; nothing else can wake them\n",
				(long long)cycle, (long long)sqlite3_column_int64(st, 4));
			++*blocks;
		}
		fprintf(out, "  goroutine %lld ", (long long)sqlite3_column_int64(st, 1));
		print_wait(out, st, 5, -1);
		fputs(" at ", out);
		print_frame(out, st, 6);
		fprintf(out, "\n    waits on %#llx, which goroutine %lld reaches (and no goroutine able to run)\n",
			addr(st, 2), (long long)sqlite3_column_int64(st, 3));
	}
	sqlite3_finalize(st);
	return err;
}

/* The chain from the held context up to where cancellation happened. */
static struct util_error *report_chain(FILE *out, struct store_db *db, int64_t id, int64_t ctx,
				       int64_t canceled)
{
	sqlite3_stmt *st;
	bool row;
	struct util_error *err = cli_prepare(db, "report_ctx_chain", &st);
	if (err)
		return err;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, ctx);
	sqlite3_bind_int64(st, 3, canceled);
	bool first = true;
	while (!(err = cli_step(db, st, "report_ctx_chain", &row)) && row) {
		fprintf(out, "  %s %#llx %s", first ? "context" : "   <- ", addr(st, 0),
			null(st, 1) ? "?" : text(st, 1));
		if (!null(st, 2) && strcmp(text(st, 1), "user") == 0)
			fprintf(out, " %s", text(st, 2));
		if (!null(st, 6))
			fprintf(out, " %s=%s", text(st, 6), null(st, 7) ? "?" : text(st, 7));
		if (sqlite3_column_int(st, 3) == 1 && !null(st, 3)) {
			fprintf(out, " CANCELED (%s", null(st, 4) ? "?" : text(st, 4));
			if (!null(st, 5))
				fprintf(out, "; cause: %s", text(st, 5));
			fputc(')', out);
		}
		if (sqlite3_column_int64(st, 0) == canceled)
			fputs("   <- canceled here", out);
		fputc('\n', out);
		first = false;
	}
	sqlite3_finalize(st);
	return err;
}

/*
 * The goroutines stuck behind those of one finding (GOIDS, comma-separated;
 * N of them), by wait reason and where they block: "101 goroutines stuck
 * behind it: 100 × sync.Mutex.Lock in main.worker, 1 × ...".
 */
static struct util_error *report_victims(FILE *out, struct store_db *db, int64_t id,
					 const char *goids, int64_t n)
{
	sqlite3_stmt *st;
	bool row;
	struct util_error *err = cli_prepare(db, "report_victims", &st);
	if (err)
		return err;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_text(st, 2, goids, -1, SQLITE_TRANSIENT);
	int shown = 0;
	while (!(err = cli_step(db, st, "report_victims", &row)) && row) {
		if (!shown)
			fprintf(out, "  %lld %s stuck behind %s: ", (long long)sqlite3_column_int64(st, 3),
				plural(sqlite3_column_int64(st, 3), "goroutine", "goroutines"),
				n > 1 ? "them" : "it");
		else
			fputs(", ", out);
		if (shown++ == 8) {
			fputs("...", out);
			break;
		}
		fprintf(out, "%lld \u00d7 %s in %s", (long long)sqlite3_column_int64(st, 0),
			null(st, 1) ? "?" : text(st, 1), null(st, 2) ? "?" : text(st, 2));
	}
	if (shown)
		fputc('\n', out);
	sqlite3_finalize(st);
	return err;
}

static struct util_error *report_unobserved(FILE *out, struct store_db *db, int64_t id, int *blocks)
{
	sqlite3_stmt *st;
	bool row;
	struct util_error *err = cli_prepare(db, "report_unobserved", &st);
	if (err)
		return err;
	sqlite3_bind_int64(st, 1, id);
	while (!err && !(err = cli_step(db, st, "report_unobserved", &row)) && row) {
		int64_t n = sqlite3_column_int64(st, 6);
		fprintf(out, "\n== BUG blocked holding a canceled context: goroutine %lld ",
			(long long)sqlite3_column_int64(st, 7));
		print_wait(out, st, 4, 8);
		if (n > 1)
			fprintf(out, " and %lld more", (long long)(n - 1));
		fputc('\n', out);
		fputs("  culprit: ", out);
		print_frame(out, st, 0);
		if (!null(st, 3))
			fprintf(out, ", variable %s", text(st, 3));
		else if (strcmp(text(st, 13), "stack-scan") == 0)
			fputs(", found on its stack", out);
		// Every holding behind it in a frame without usable stack maps:
		// reported, but not vouched for (goroutine_context.evidence).
		if (sqlite3_column_int64(st, 15))
			fputs(" (probable: no stack maps vouch that it is live there)", out);
		fputs(": the context was canceled but the goroutine does not wait on ctx.Done()\n", out);
		err = report_chain(out, db, id, sqlite3_column_int64(st, 10), sqlite3_column_int64(st, 5));
		if (n > 1) {
			fprintf(out, "  %lld goroutines share it", (long long)n);
			if (sqlite3_column_int64(st, 14) > 1)
				fprintf(out, " (their contexts were canceled at %lld places)",
					(long long)sqlite3_column_int64(st, 14));
			fputs(": ", out);
			print_goids(out, text(st, 9));
			fputc('\n', out);
		}
		if (!err)
			err = report_victims(out, db, id, text(st, 9), n);
		++*blocks;
	}
	sqlite3_finalize(st);
	return err;
}

static struct util_error *report_broken(FILE *out, struct store_db *db, int64_t id, int *blocks)
{
	sqlite3_stmt *st, *who;
	bool row;
	struct util_error *err = cli_prepare(db, "report_broken_link", &st);
	if (err)
		return err;
	err = cli_prepare(db, "report_ctx_goroutines", &who);
	if (err) {
		sqlite3_finalize(st);
		return err;
	}
	sqlite3_bind_int64(st, 1, id);
	while (!(err = cli_step(db, st, "report_broken_link", &row)) && row) {
		bool user = strcmp(text(st, 5), "user-type") == 0;
		bool own = strcmp(text(st, 5), "own-done") == 0;
		int64_t n = sqlite3_column_int64(st, 7);
		fprintf(out, "\n== BUG broken cancel link: context %#llx %s is live under canceled %#llx",
			addr(st, 0), text(st, 1), addr(st, 2));
		if (n > 1)
			fprintf(out, " (and %lld more like it)", (long long)(n - 1));
		fputc('\n', out);
		if (user)
			fprintf(out, "  break: %#llx %s, a user-defined Context, does not forward cancellation\n",
				addr(st, 3), text(st, 4));
		else if (own)
			fprintf(out, "  break: %s returns its own Done channel, still open although an "
				"ancestor it wraps is canceled: whoever waits on it waits for good\n",
				text(st, 4));
		else
			fprintf(out, "  break: it is missing from the children of %#llx %s, so its cancel never reached it\n",
				addr(st, 3), text(st, 4));
		fprintf(out, "  path: %s\n", text(st, 6));
		sqlite3_reset(who);
		sqlite3_bind_int64(who, 1, id);
		sqlite3_bind_int64(who, 2, sqlite3_column_int64(st, 0));
		bool held;
		err = cli_step(db, who, "report_ctx_goroutines", &held);
		if (err)
			break;
		if (held) {
			if (!null(who, 0)) {
				fputs("  waiting on its Done channel: goroutines ", out);
				print_goids(out, text(who, 0));
				fputc('\n', out);
			}
			if (!null(who, 1)) {
				fputs("  held by goroutines ", out);
				print_goids(out, text(who, 1));
				fputc('\n', out);
			}
		}
		++*blocks;
	}
	sqlite3_finalize(who);
	sqlite3_finalize(st);
	return err;
}

static struct util_error *report_leaks(FILE *out, struct store_db *db, int64_t id, int *blocks)
{
	sqlite3_stmt *st;
	bool row;
	struct util_error *err = cli_prepare(db, "report_leaks", &st);
	if (err)
		return err;
	sqlite3_bind_int64(st, 1, id);
	while (!(err = cli_step(db, st, "report_leaks", &row)) && row) {
		int64_t n = sqlite3_column_int64(st, 5);
		fprintf(out, "\n== BUG leak suspect: goroutine %lld ", (long long)sqlite3_column_int64(st, 6));
		print_wait(out, st, 3, 7);
		if (n > 1)
			fprintf(out, " and %lld more", (long long)(n - 1));
		fputs("\n  at ", out);
		print_frame(out, st, 0);
		if (null(st, 4))
			fputs(": waits on a nil channel or an empty select, which nothing can wake\n", out);
		else
			fprintf(out, ": waits on a %s that no goroutine able to run and no package variable reaches\n",
				text(st, 4));
		if (sqlite3_column_int(st, 9) == 0)
			fputs("  (probable: the heap scan was incomplete; it may be reachable through memory "
			      "missing from the core)\n",
			      out);
		if (n > 1) {
			fprintf(out, "  %lld goroutines share it: ", (long long)n);
			print_goids(out, text(st, 8));
			fputc('\n', out);
		}
		if (!null(st, 10))
			fprintf(out, "  waiting behind goroutine %lld, which could wake them but is stuck itself\n",
				(long long)sqlite3_column_int64(st, 10));
		err = report_victims(out, db, id, text(st, 8), n);
		if (err)
			break;
		++*blocks;
	}
	sqlite3_finalize(st);
	return err;
}

static struct util_error *report_lock_waits(FILE *out, struct store_db *db, int64_t id)
{
	sqlite3_stmt *st;
	bool row;
	struct util_error *err = cli_prepare(db, "report_lock_waits", &st);
	if (err)
		return err;
	sqlite3_bind_int64(st, 1, id);
	while (!(err = cli_step(db, st, "report_lock_waits", &row)) && row) {
		fprintf(out, "\n== context lock: %lld goroutines wait on the mutex of context %#llx %s\n  goroutines ",
			(long long)sqlite3_column_int64(st, 2), addr(st, 0), null(st, 1) ? "?" : text(st, 1));
		print_goids(out, text(st, 3));
		fputc('\n', out);
	}
	sqlite3_finalize(st);
	return err;
}

static struct util_error *report_detached(FILE *out, struct store_db *db, int64_t id)
{
	sqlite3_stmt *st;
	bool row;
	struct util_error *err = cli_prepare(db, "report_detached", &st);
	if (err)
		return err;
	sqlite3_bind_int64(st, 1, id);
	while (!(err = cli_step(db, st, "report_detached", &row)) && row) {
		fprintf(out, "\n== info: context %#llx is detached on purpose (WithoutCancel) from canceled %#llx\n",
			addr(st, 0), addr(st, 1));
		fprintf(out, "  path: %s\n", text(st, 2));
		if (!null(st, 3)) {
			fputs("  held by goroutines ", out);
			print_goids(out, text(st, 3));
			fputc('\n', out);
		}
	}
	sqlite3_finalize(st);
	return err;
}

static struct util_error *report_overview(FILE *out, struct store_db *db, int64_t id)
{
	sqlite3_stmt *st;
	bool row;
	struct util_error *err = cli_prepare(db, "report_buckets", &st);
	if (err)
		return err;
	sqlite3_bind_int64(st, 1, id);
	fputs("\nlargest groups of user goroutines (same functions; gocoroner query goroutine_bucket):\n", out);
	while (!(err = cli_step(db, st, "report_buckets", &row)) && row) {
		fprintf(out, "  %6lld  [%s", (long long)sqlite3_column_int64(st, 0), text(st, 1));
		if (!null(st, 3) && sqlite3_column_int64(st, 3) > 0)
			fprintf(out, ", %lld-%lld minutes", (long long)sqlite3_column_int64(st, 2),
				(long long)sqlite3_column_int64(st, 3));
		const char *key = text(st, 5);
		fprintf(out, "] e.g. goroutine %lld: %.160s%s\n", (long long)sqlite3_column_int64(st, 4), key,
			strlen(key) > 160 ? "..." : "");
	}
	sqlite3_finalize(st);
	if (err)
		return err;
	err = cli_prepare(db, "report_long_waits", &st);
	if (err)
		return err;
	sqlite3_bind_int64(st, 1, id);
	bool any = false;
	while (!(err = cli_step(db, st, "report_long_waits", &row)) && row) {
		if (!any)
			fputs("\nlongest waits (gocoroner query long_wait):\n", out);
		any = true;
		fprintf(out, "  goroutine %lld ", (long long)sqlite3_column_int64(st, 0));
		print_wait(out, st, 1, 2);
		fputs(" at ", out);
		print_frame(out, st, 3);
		fputc('\n', out);
	}
	sqlite3_finalize(st);
	return err;
}

int cli_report(int argc, char **argv)
{
	static const struct option opts[] = {
		{"db", required_argument, NULL, 'd'},
		{"incident", required_argument, NULL, 'i'},
		{"short", no_argument, NULL, 's'},
		{"fail-on-findings", no_argument, NULL, 'F'},
		{"budget", required_argument, NULL, 'B'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	const char *db_path = CLI_DEFAULT_DB;
	uint64_t budget = STORE_BUDGET_DEFAULT;
	int64_t incident = 0;
	bool short_form = false, fail_on_findings = false;
	int c;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "d:i:sh", opts, NULL)) != -1) {
		switch (c) {
		case 'd': db_path = optarg; break;
		case 'i':
			if (cli_parse_incident("report", optarg, &incident))
				return CLI_USAGE;
			break;
		case 's': short_form = true; break;
		case 'F': fail_on_findings = true; break;
		case 'B':
			if (cli_parse_budget("report", optarg, &budget))
				return CLI_USAGE;
			break;
		case 'h': fputs(report_usage, stdout); return CLI_OK;
		default:
			fprintf(stderr, "gocoroner report: bad arguments; see 'gocoroner report --help' (usage)\n");
			return CLI_USAGE;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "gocoroner report: bad arguments; see 'gocoroner report --help' (usage)\n");
		return CLI_USAGE;
	}
	struct store_db *db = NULL;
	int64_t id = 0;
	struct cli_findings f;
	struct util_error *err = cli_open_readonly(db_path, budget, &db);
	if (!err)
		err = cli_pick_incident(db, incident, &id);
	if (!err)
		err = cli_count_findings(db, id, &f);
	if (err)
		goto out;
	if (short_form) {
		cli_print_findings_short(stdout, &f, id);
		goto out;
	}
	printf("incident %lld\n", (long long)id);
	cli_print_findings_short(stdout, &f, id);
	int blocks = 0;
	err = report_cycles(stdout, db, id, &blocks);
	if (!err)
		err = report_unobserved(stdout, db, id, &blocks);
	if (!err)
		err = report_broken(stdout, db, id, &blocks);
	if (!err)
		err = report_leaks(stdout, db, id, &blocks);
	if (!err)
		err = report_lock_waits(stdout, db, id);
	if (!err)
		err = report_detached(stdout, db, id);
	if (!err)
		err = report_overview(stdout, db, id);
out:
	store_close(db);
	if (err)
		return cli_fail(err);
	return fail_on_findings && cli_has_bugs(&f) ? CLI_FINDINGS : CLI_OK;
}
