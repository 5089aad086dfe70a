// SPDX-License-Identifier: Apache-2.0
// report.c: 'gocoroner report' — the findings of the query library as a
// person reads them, most important first (blocks: report-blocks.c), or as
// JSON for scripts; and the short form 'analyze' ends with.
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cli/report.h"
#include "store/store.h"

static const char report_usage[] =
	"usage: gocoroner report [--db FILE] [--incident N] [--short] [--fail-on-findings]\n"
	"                        [--format text|json] [--runtime-frames] [--budget N]\n"
	"\n"
	"Print the findings of an incident, one block each, labelled by what it is and\n"
	"in the order to read them: CULPRIT, a goroutine blocked holding a canceled\n"
	"context it does not watch (with its frame, the context chain up to where it\n"
	"was canceled and the goroutines stuck behind it; most victims and deepest\n"
	"chain first); DEADLOCK, goroutines waiting on each other; LEAK, goroutines\n"
	"waiting on what nothing can reach (those others are stuck behind come\n"
	"right after the culprits); BROKEN LINK, a live context under a\n"
	"canceled one; STUCK BEHIND, goroutines blocked holding a canceled context\n"
	"behind a goroutine no finding reports; then info blocks (contexts detached\n"
	"on purpose, context locks), the largest goroutine groups and the longest\n"
	"waits. A block of several goroutines says what they share.\n"
	"\n"
	"  --db FILE            database (default " CLI_DEFAULT_DB ")\n"
	"  --incident N         incident id (default: the newest)\n"
	"  --short              one line per kind of finding\n"
	"  --fail-on-findings   exit with status 3 when there are bug findings\n"
	"  --format F           text (default) or json: one object with the counts,\n"
	"                       the blocks as a \"findings\" array (kind, label,\n"
	"                       goroutines, frame, context_chain, victims...), the\n"
	"                       largest groups and the longest waits\n"
	"  --runtime-frames     show the runtime's frames in the goroutine groups too\n"
	CLI_BUDGET_HELP("           ", "                       ");

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

static struct cli_findings findings_of(sqlite3_stmt *st);

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
		*ret = findings_of(st);
	} else if (!err) {
		err = util_error_create(UTIL_ERROR_LIB, "%s: counting findings: no row",
					sqlite3_db_filename(store_handle(db), "main"));
	}
	sqlite3_finalize(st);
	return err;
}

/* The counts of report_counts' row (or stored_counts', the same columns) ST. */
static struct cli_findings findings_of(sqlite3_stmt *st)
{
	return (struct cli_findings){
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
}

struct util_error *cli_stored_findings(struct store_db *db, int64_t incident,
				       struct cli_findings *ret)
{
	sqlite3_stmt *st;
	struct util_error *err = cli_prepare(db, "stored_counts", &st);
	if (err)
		return err;
	sqlite3_bind_int64(st, 1, incident);
	sqlite3_bind_int(st, 2, STORE_SUMMARY_VERSION);
	bool row = false;
	err = cli_step(db, st, "stored_counts", &row);
	if (!err && row)
		*ret = findings_of(st);
	sqlite3_finalize(st);
	return err || row ? err : cli_count_findings(db, incident, ret);
}

bool cli_has_bugs(const struct cli_findings *f)
{
	return f->unobserved || f->broken_links || f->leaks || f->cycles;
}

static const char *plural(int64_t n, const char *one, const char *many)
{
	return n == 1 ? one : many;
}

/* Print LINE broken after ", " before 100 characters, continued indented. */
static void print_sentence(FILE *out, const char *line)
{
	int col = 0;
	for (const char *p = line; *p;) {
		const char *comma = strstr(p, ", ");
		int len = comma ? (int)(comma - p) + 1 : (int)strlen(p);
		if (col > 2 && col + 1 + len > 100) {
			fputs("\n  ", out);
			col = 2;
		} else if (p != line) {
			col += fprintf(out, " ");
		}
		col += fprintf(out, "%.*s", len, p);
		p += len;
		if (*p == ' ')
			p++;
	}
	fputc('\n', out);
}

void cli_print_findings_short(FILE *stream, const struct cli_findings *f)
{
	char a[32], b[32], c[32], d[32], e[32];
	char *line = NULL;
	size_t size = 0;
	FILE *out = open_memstream(&line, &size);
	if (!out)
		out = stream;
	fprintf(out, "findings: %s %s blocked holding a canceled context, %s broken cancel %s",
		cli_thousands(a, sizeof(a), f->unobserved), plural(f->unobserved, "goroutine", "goroutines"),
		cli_thousands(b, sizeof(b), f->broken_links), plural(f->broken_links, "link", "links"));
	// Goroutines and the groups or cycles they are in, each named: a pool
	// of 5,000 leaked workers is one group, not 5,000 findings.
	if (f->heap_scanned) {
		int64_t grouped = f->leaks - f->in_cycles;
		fprintf(out, ", %s leaked %s", cli_thousands(a, sizeof(a), f->leaks),
			plural(f->leaks, "goroutine", "goroutines"));
		if (grouped > 0 && f->cycles)
			fprintf(out, " (%s in %s %s, %s in %s wait %s)", cli_thousands(a, sizeof(a), grouped),
				cli_thousands(b, sizeof(b), f->leak_groups), plural(f->leak_groups, "group", "groups"),
				cli_thousands(c, sizeof(c), f->in_cycles), cli_thousands(d, sizeof(d), f->cycles),
				plural(f->cycles, "cycle", "cycles"));
		else if (grouped > 0)
			fprintf(out, " in %s %s", cli_thousands(a, sizeof(a), f->leak_groups),
				plural(f->leak_groups, "group", "groups"));
		else if (f->cycles)
			fprintf(out, " in %s wait %s", cli_thousands(a, sizeof(a), f->cycles),
				plural(f->cycles, "cycle", "cycles"));
	}
	else
		fputs(" (no leak analysis for this incident)", out);
	// The sentence so far, wrapped; then lines that fit as they are.
	bool kept = out != stream && fclose(out) == 0 && line;
	out = stream;
	if (kept)
		print_sentence(out, line);
	else
		fputc('\n', out);
	free(line);
	if (f->victims)
		fprintf(out, "and %s %s stuck behind the goroutines found (gocoroner query stuck_behind)\n",
			cli_thousands(e, sizeof(e), f->victims), plural(f->victims, "goroutine", "goroutines"));
	fprintf(out, "info: %s %s detached on purpose (WithoutCancel), %s %s with goroutines waiting "
		"on its lock\n", cli_thousands(a, sizeof(a), f->detached), plural(f->detached, "context", "contexts"),
		cli_thousands(b, sizeof(b), f->lock_waits), plural(f->lock_waits, "context", "contexts"));
}

bool cli_has_findings(const struct cli_findings *f)
{
	return cli_has_bugs(f) || f->detached || f->lock_waits;
}

static struct util_error *report_overview(struct report_out *o, struct store_db *db, int64_t id,
					  bool runtime)
{
	sqlite3_stmt *st;
	bool row;
	FILE *out = o->out;
	struct cli_json *j = o->json;
	char n[32];
	struct util_error *err = cli_prepare(db, "report_buckets", &st);
	if (err)
		return err;
	sqlite3_bind_int64(st, 1, id);
	if (j)
		cli_json_begin_array(j, "largest_groups");
	else
		fputs("\nlargest groups of user goroutines (same functions; gocoroner query goroutine_bucket):\n",
		      out);
	// At most 5 groups: read them all, then print them (cli_print_groups
	// compares them with each other).
	struct cli_group g[5];
	char *strings[5][4] = {{0}};
	int64_t shown = 0, groups = 0;
	while (shown < 5 && !(err = cli_step(db, st, "report_buckets", &row)) && row) {
		groups = sqlite3_column_int64(st, 9);
		if (j) {
			cli_json_begin_object(j, NULL);
			cli_json_column(j, "goroutines", st, 0);
			cli_json_column(j, "state", st, 1);
			cli_json_column(j, "min_wait_minutes", st, 2);
			cli_json_column(j, "max_wait_minutes", st, 3);
			cli_json_column(j, "example_goid", st, 4);
			cli_json_column(j, "funcs", st, 5);
			if (sqlite3_column_type(st, 6) == SQLITE_NULL) {
				cli_json_null(j, "user_frame");
			} else {
				cli_json_begin_object(j, "user_frame");
				cli_json_column(j, "func", st, 6);
				cli_json_column(j, "file", st, 7);
				cli_json_column(j, "line", st, 8);
				cli_json_end_object(j);
			}
			cli_json_end_object(j);
			continue;
		}
		for (int k = 0; k < 4; k++)
			strings[shown][k] = strdup(report_text(st, k == 0 ? 1 : 4 + k));
		g[shown] = (struct cli_group){
			.goroutines = sqlite3_column_int64(st, 0),
			.state = strings[shown][0],
			.min_wait = sqlite3_column_int64(st, 2),
			.max_wait = sqlite3_column_int64(st, 3),
			.example_goid = sqlite3_column_int64(st, 4),
			.funcs = strings[shown][1],
			.func = sqlite3_column_type(st, 6) == SQLITE_NULL ? NULL : strings[shown][2],
			.file = strings[shown][3],
			.line = sqlite3_column_int64(st, 8),
		};
		shown++;
	}
	sqlite3_finalize(st);
	if (j) {
		cli_json_end_array(j);
	} else if (!err) {
		bool oom = false;
		for (int64_t i = 0; i < shown; i++)
			for (int k = 0; k < 4; k++)
				oom |= !strings[i][k];
		if (oom)
			err = &util_enomem;
		else
			cli_print_groups(out, g, (size_t)shown, runtime);
		if (!err && groups > shown)
			fprintf(out, "  and %s more groups (gocoroner query goroutine_bucket)%s\n",
				cli_thousands(n, sizeof(n), groups - shown),
				runtime ? "" : "; --runtime-frames shows runtime frames");
	}
	for (int64_t i = 0; i < shown; i++)
		for (int k = 0; k < 4; k++)
			free(strings[i][k]);
	if (err)
		return err;
	err = cli_prepare(db, "report_long_waits", &st);
	if (err)
		return err;
	sqlite3_bind_int64(st, 1, id);
	bool any = false;
	if (j)
		cli_json_begin_array(j, "longest_waits");
	while (!(err = cli_step(db, st, "report_long_waits", &row)) && row) {
		if (j) {
			cli_json_row(j, NULL, st);
			continue;
		}
		if (!any)
			fputs("\nlongest waits (gocoroner query long_wait):\n", out);
		any = true;
		fprintf(out, "  goroutine %lld [%s, %s minutes] at %s (%s:%s)\n",
			(long long)sqlite3_column_int64(st, 0), report_text(st, 1),
			cli_thousands(n, sizeof(n), sqlite3_column_int64(st, 2)), report_text(st, 3),
			report_text(st, 4), report_text(st, 5));
	}
	if (j)
		cli_json_end_array(j);
	sqlite3_finalize(st);
	return err;
}

/* The counts of the short form, for --format json. */
static void json_counts(struct cli_json *j, const struct cli_findings *f)
{
	cli_json_begin_object(j, "counts");
	cli_json_int(j, "unobserved", f->unobserved);
	cli_json_int(j, "broken_links", f->broken_links);
	if (f->heap_scanned) {
		cli_json_int(j, "leaks", f->leaks);
		cli_json_int(j, "leak_groups", f->leak_groups);
		cli_json_int(j, "cycles", f->cycles);
		cli_json_int(j, "in_cycles", f->in_cycles);
	} else { // no leak analysis: unknown, not none
		cli_json_null(j, "leaks");
		cli_json_null(j, "leak_groups");
		cli_json_null(j, "cycles");
		cli_json_null(j, "in_cycles");
	}
	cli_json_int(j, "victims", f->victims);
	cli_json_int(j, "detached", f->detached);
	cli_json_int(j, "lock_waits", f->lock_waits);
	cli_json_end_object(j);
}

int cli_report(int argc, char **argv)
{
	static const struct option opts[] = {
		{"db", required_argument, NULL, 'd'},
		{"incident", required_argument, NULL, 'i'},
		{"short", no_argument, NULL, 's'},
		{"fail-on-findings", no_argument, NULL, 'F'},
		{"format", required_argument, NULL, 'f'},
		{"runtime-frames", no_argument, NULL, 'R'},
		{"budget", required_argument, NULL, 'B'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	const char *db_path = CLI_DEFAULT_DB;
	uint64_t budget = STORE_BUDGET_DEFAULT;
	int64_t incident = 0;
	bool short_form = false, fail_on_findings = false, runtime = false, json = false;
	int c;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":d:i:sh", opts, NULL)) != -1) {
		switch (c) {
		case 'd': db_path = optarg; break;
		case 'i':
			if (cli_parse_incident("report", optarg, &incident))
				return CLI_USAGE;
			break;
		case 's': short_form = true; break;
		case 'F': fail_on_findings = true; break;
		case 'f':
			// json or text; table, which 'query' calls its text, too.
			if (strcmp(optarg, "text") == 0 || strcmp(optarg, "table") == 0) {
				json = false;
			} else if (strcmp(optarg, "json") == 0) {
				json = true;
			} else {
				fprintf(stderr, "gocoroner report: --format takes text or json, not '%s'\n",
					optarg);
				return CLI_USAGE;
			}
			break;
		case 'R': runtime = true; break;
		case 'B':
			if (cli_parse_budget("report", optarg, &budget))
				return CLI_USAGE;
			break;
		case 'h': fputs(report_usage, stdout); return CLI_OK;
		case ':':
			fprintf(stderr, "gocoroner report: %s needs a value; see 'gocoroner report --help'\n",
				argv[optind - 1]);
			return CLI_USAGE;
		default: return cli_bad_option("report", argv);
		}
	}
	if (optind != argc) {
		fprintf(stderr, "gocoroner report: unexpected argument '%s'; see 'gocoroner report --help'\n",
			argv[optind]);
		return CLI_USAGE;
	}
	struct store_db *db = NULL;
	int64_t id = 0;
	struct cli_findings f;
	struct util_error *err = cli_open_readonly(db_path, budget, &db);
	if (!err)
		err = cli_pick_incident(db, incident, &id);
	if (!err)
		// The short form needs the counts only: the ingest's.
		err = short_form ? cli_stored_findings(db, id, &f) : cli_count_findings(db, id, &f);
	if (err)
		goto out;
	struct cli_json j;
	struct report_out o = {.out = stdout, .json = json ? &j : NULL, .counts = &f};
	if (json) {
		cli_json_init(&j, stdout);
		cli_json_begin_object(&j, NULL);
		cli_json_int(&j, "incident", id);
		cli_json_bool(&j, "bugs", cli_has_bugs(&f));
		json_counts(&j, &f);
		if (!short_form) {
			cli_json_begin_array(&j, "findings");
			err = report_blocks(&o, db, id);
			cli_json_end_array(&j);
			if (!err)
				err = report_overview(&o, db, id, runtime);
		}
		cli_json_end_object(&j);
		fputc('\n', stdout);
		goto out;
	}
	if (short_form) {
		cli_print_findings_short(stdout, &f);
		goto out;
	}
	printf("incident %lld\n", (long long)id);
	cli_print_findings_short(stdout, &f);
	err = report_blocks(&o, db, id);
	if (!err)
		err = report_overview(&o, db, id, runtime);
out:
	store_close(db);
	if (err)
		return cli_fail(err);
	return fail_on_findings && cli_has_bugs(&f) ? CLI_FINDINGS : CLI_OK;
}
