// SPDX-License-Identifier: Apache-2.0
// query.c: 'gocoroner query' — a view of the query library by name, or any
// SQL, printed as a table, CSV or JSON; '--list' describes the library.
#include <ctype.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "queries/queries.h"
#include "store/store.h"

static const char query_usage[] =
	"usage: gocoroner query [--db FILE] [--incident N] [--format table|csv|json]\n"
	"                       [--budget N] NAME|SQL\n"
	"       gocoroner query --list\n"
	"\n"
	"Run a query of the library by NAME for one incident, or any SQL (read-only;\n"
	"?1 or :incident in it is the incident id). 'gocoroner query --list' shows\n"
	"each query with what it finds.\n"
	"\n"
	"  --db FILE       database (default " CLI_DEFAULT_DB ")\n"
	"  --incident N    incident id (default: the newest)\n"
	"  --format F      table (default; *_addr columns in hex), csv (RFC 4180,\n"
	"                  header line) or json (an array of objects)\n"
	"  --list          list the queries with their descriptions\n"
	CLI_BUDGET_HELP("      ", "                  ");

/* One result cell as text: NULL stays NULL. */
static char *cell(sqlite3_stmt *st, int i, bool hex)
{
	if (sqlite3_column_type(st, i) == SQLITE_NULL)
		return NULL;
	if (hex && sqlite3_column_type(st, i) == SQLITE_INTEGER) {
		char buf[32];
		snprintf(buf, sizeof(buf), "%#llx", (unsigned long long)sqlite3_column_int64(st, i));
		return strdup(buf);
	}
	return strdup((const char *)sqlite3_column_text(st, i));
}

static bool is_addr_column(const char *name)
{
	size_t n = strlen(name);
	return n >= 5 && strcmp(name + n - 5, "_addr") == 0;
}

static void csv_field(FILE *out, const char *s)
{
	if (!s)
		return;
	if (!strpbrk(s, ",\"\r\n")) {
		fputs(s, out);
		return;
	}
	fputc('"', out);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', out);
		fputc(*s, out);
	}
	fputc('"', out);
}

struct util_error *cli_print_rows(FILE *out, struct store_db *db, sqlite3_stmt *st,
				  const char *what, enum cli_format format)
{
	int ncol = sqlite3_column_count(st);
	struct util_error *err = NULL;
	bool row;
	if (format == CLI_FORMAT_CSV) {
		for (int i = 0; i < ncol; i++) {
			if (i)
				fputc(',', out);
			csv_field(out, sqlite3_column_name(st, i));
		}
		fputs("\r\n", out);
		while (!(err = store_step(db, st, what, &row)) && row) {
			for (int i = 0; i < ncol; i++) {
				if (i)
					fputc(',', out);
				csv_field(out, (const char *)sqlite3_column_text(st, i));
			}
			fputs("\r\n", out);
		}
	} else if (format == CLI_FORMAT_JSON) {
		struct cli_json j;
		cli_json_init(&j, out);
		cli_json_begin_array(&j, NULL);
		while (!(err = store_step(db, st, what, &row)) && row)
			cli_json_row(&j, NULL, st);
		if (!err)
			cli_json_end_array(&j);
	} else {
		// A table: read every row to size the columns.
		size_t nrows = 0, cap = 0;
		char **cells = NULL;
		size_t *width = calloc((size_t)ncol + 1, sizeof(*width));
		if (!width)
			return &util_enomem;
		for (int i = 0; i < ncol; i++)
			width[i] = strlen(sqlite3_column_name(st, i));
		while (!(err = store_step(db, st, what, &row)) && row) {
			if (nrows == cap) {
				cap = cap ? 2 * cap : 64;
				char **grown = realloc(cells, cap * (size_t)ncol * sizeof(*cells));
				if (!grown) {
					err = &util_enomem;
					break;
				}
				cells = grown;
			}
			for (int i = 0; i < ncol; i++) {
				char *s = cell(st, i, is_addr_column(sqlite3_column_name(st, i)));
				cells[nrows * (size_t)ncol + (size_t)i] = s;
				if (s && strlen(s) > width[i])
					width[i] = strlen(s);
			}
			nrows++;
		}
		// Rows missing at the end would pass for the whole answer.
		for (int i = 0; i < ncol && !err; i++)
			fprintf(out, "%-*s%s", i + 1 < ncol ? (int)width[i] : 0,
				sqlite3_column_name(st, i), i + 1 < ncol ? "  " : "\n");
		for (size_t r = 0; r < nrows && !err; r++)
			for (int i = 0; i < ncol; i++) {
				const char *s = cells[r * (size_t)ncol + (size_t)i];
				fprintf(out, "%-*s%s", i + 1 < ncol ? (int)width[i] : 0, s ? s : "",
					i + 1 < ncol ? "  " : "\n");
			}
		for (size_t k = 0; k < nrows * (size_t)ncol; k++)
			free(cells[k]);
		free(cells);
		free(width);
		if (!err)
			fprintf(out, "(%zu row%s)\n", nrows, nrows == 1 ? "" : "s");
	}
	return err;
}

/* The header of a view without its "-- " prefixes and its @column lines' tag. */
static void print_header(FILE *out, const struct queries_view *v)
{
	const char *p = v->header;
	while (*p) {
		size_t len = strcspn(p, "\n");
		const char *line = p;
		if (strncmp(line, "--", 2) == 0) {
			line += 2, len -= 2;
			if (*line == ' ')
				line++, len--;
		}
		if (strncmp(line, "@column ", 8) == 0)
			line += 8, len -= 8;
		// The first line repeats the name ("NAME: what it finds").
		size_t nlen = strlen(v->name);
		if (p == v->header && len > nlen + 2 && strncmp(line, v->name, nlen) == 0 &&
		    line[nlen] == ':')
			line += nlen + 2, len -= nlen + 2;
		fprintf(out, len ? "  %.*s\n" : "\n", (int)len, line);
		p += strcspn(p, "\n");
		if (*p)
			p++;
	}
}

int cli_query(int argc, char **argv)
{
	static const struct option opts[] = {
		{"db", required_argument, NULL, 'd'},
		{"incident", required_argument, NULL, 'i'},
		{"format", required_argument, NULL, 'f'},
		{"list", no_argument, NULL, 'l'},
		{"budget", required_argument, NULL, 'B'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	const char *db_path = CLI_DEFAULT_DB;
	uint64_t budget = STORE_BUDGET_DEFAULT;
	int64_t incident = 0;
	enum cli_format format = CLI_FORMAT_TABLE;
	bool list = false;
	static const char shortopts[] = "d:i:f:lh";
	int c;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, shortopts, opts, NULL)) != -1) {
		switch (c) {
		case 'd': db_path = optarg; break;
		case 'i':
			if (cli_parse_incident("query", optarg, &incident))
				return CLI_USAGE;
			break;
		case 'f':
			if (cli_parse_format("query", optarg, &format))
				return CLI_USAGE;
			break;
		case 'l': list = true; break;
		case 'B':
			if (cli_parse_budget("query", optarg, &budget))
				return CLI_USAGE;
			break;
		case 'h': fputs(query_usage, stdout); return CLI_OK;
		default: return cli_bad_option_in("query", argv, shortopts);
		}
	}
	if (list) {
		if (optind != argc) {
			fprintf(stderr, "gocoroner query: --list takes no query\n");
			return CLI_USAGE;
		}
		const struct queries_view *v;
		size_t n;
		struct util_error *err = queries_list(&v, &n);
		if (err)
			return cli_fail(err);
		for (size_t i = 0; i < n; i++) {
			if (v[i].is_private)
				continue;
			printf("%s\n", v[i].name);
			print_header(stdout, &v[i]);
			printf("\n");
		}
		return CLI_OK;
	}
	if (optind != argc - 1) {
		fprintf(stderr, "gocoroner query: give one query NAME or SQL; see 'gocoroner query --help' (usage)\n");
		return CLI_USAGE;
	}
	const char *query = argv[optind];
	bool named = query[0] != '\0' && strspn(query, "abcdefghijklmnopqrstuvwxyz_0123456789") == strlen(query);
	char *sql = NULL;
	struct store_db *db = NULL;
	sqlite3_stmt *st = NULL;
	int64_t id = 0;
	struct util_error *err = NULL;
	if (named) {
		const struct queries_view *v;
		err = queries_find(query, &v);
		if (err)
			goto out;
		const char *tmpl = cli_statement("query_view");
		// The placeholder is the quoted identifier "{view}" (the
		// statement's comment mentions it unquoted).
		const char *mark = tmpl ? strstr(tmpl, "\"{view}\"") : NULL;
		if (!mark) {
			err = util_error_create(UTIL_ERROR_NOT_FOUND, "no statement query_view");
			goto out;
		}
		if (asprintf(&sql, "%.*s\"%s\"%s", (int)(mark - tmpl), tmpl, v->name, mark + 8) < 0) {
			sql = NULL;
			err = &util_enomem;
			goto out;
		}
	}
	err = cli_open_readonly(db_path, budget, &db);
	if (err)
		goto out;
	sqlite3 *h = store_handle(db);
	const char *tail = NULL;
	if (sqlite3_prepare_v2(h, sql ? sql : query, -1, &st, &tail) != SQLITE_OK) {
		err = util_error_create(UTIL_ERROR_INVALID, "%s: %s", db_path, sqlite3_errmsg(h));
		goto out;
	}
	if (!st) {
		err = util_error_create(UTIL_ERROR_INVALID, "the query is empty");
		goto out;
	}
	while (tail && isspace((unsigned char)*tail))
		tail++;
	if (tail && *tail && *tail != ';') {
		err = util_error_create(UTIL_ERROR_INVALID, "give one SQL statement, not several");
		goto out;
	}
	// One parameter at most: ?, ?1 or :incident, the incident id.
	int nparams = sqlite3_bind_parameter_count(st);
	if (nparams > 1) {
		err = util_error_create(UTIL_ERROR_INVALID,
					"the query may have one parameter, ?1 or :incident (the incident id)");
		goto out;
	}
	if (nparams == 1) {
		err = cli_pick_incident(db, incident, &id);
		if (err)
			goto out;
		sqlite3_bind_int64(st, 1, id);
	}
	// How errors name it: the view and the incident, or the user's SQL.
	char what[128] = "the SQL query";
	if (named)
		snprintf(what, sizeof(what), "the query %s (incident %lld)", query, (long long)id);
	err = cli_print_rows(stdout, db, st, what, format);
out:
	sqlite3_finalize(st);
	store_close(db);
	free(sql);
	return err ? cli_fail(err) : CLI_OK;
}
