// SPDX-License-Identifier: Apache-2.0
// common.c: helpers the subcommands share — errors, embedded statements, summaries.
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "store/store.h"

const char *cli_command = "";

int cli_fail(struct util_error *err)
{
	if (util_error_is(err, UTIL_ERROR_BUDGET))
		fprintf(stderr,
			"gocoroner: %s; to let it finish, run 'gocoroner %s' again with a larger"
			" --budget (steps per statement), or --budget 0 for no limit\n",
			err->message, cli_command);
	else
		fprintf(stderr, "gocoroner: %s\n", err ? err->message : "unknown error");
	util_error_destroy(err);
	return CLI_ERROR;
}

const char *cli_statement(const char *name)
{
	// Statements are split once at "-- STMT name" markers into a table
	// sized by counting them, so a new statement never falls off its end.
	static char **texts;
	static char **names;
	static size_t count;
	static bool split;
	if (!split) {
		split = true;
		size_t n = 0;
		for (const char *p = cli_statements_sql; (p = strstr(p, "-- STMT ")); p += 8)
			n++;
		names = calloc(n ? n : 1, sizeof(*names));
		texts = calloc(n ? n : 1, sizeof(*texts));
		const char *p = cli_statements_sql;
		while (names && texts && count < n && (p = strstr(p, "-- STMT "))) {
			p += 8;
			size_t nlen = strcspn(p, " \n");
			const char *body = p + nlen;
			const char *end = strstr(body, "-- STMT ");
			if (!end)
				end = body + strlen(body);
			names[count] = strndup(p, nlen);
			texts[count] = strndup(body, (size_t)(end - body));
			if (!names[count] || !texts[count])
				break;
			count++;
			p = end;
		}
	}
	for (size_t i = 0; i < count; i++)
		if (strcmp(names[i], name) == 0)
			return texts[i];
	return NULL;
}

struct util_error *cli_prepare(struct store_db *db, const char *name, sqlite3_stmt **ret)
{
	sqlite3 *h = store_handle(db);
	const char *sql = cli_statement(name);
	if (!sql)
		return util_error_create(UTIL_ERROR_NOT_FOUND, "no statement named %s", name);
	if (sqlite3_prepare_v2(h, sql, -1, ret, NULL) != SQLITE_OK)
		return util_error_create(UTIL_ERROR_LIB, "%s: statement %s: %s",
					 sqlite3_db_filename(h, "main"), name, sqlite3_errmsg(h));
	return NULL;
}

struct util_error *cli_step(struct store_db *db, sqlite3_stmt *st, const char *name, bool *row)
{
	// "the statement NAME", made without printf: some statements are
	// stepped once per goroutine.
	static const char prefix[] = "the statement ";
	char what[sizeof(prefix) + 64];
	size_t n = strnlen(name, 64);
	memcpy(what, prefix, sizeof(prefix) - 1);
	memcpy(what + sizeof(prefix) - 1, name, n);
	what[sizeof(prefix) - 1 + n] = '\0';
	return store_step(db, st, what, row);
}

struct util_error *cli_open_readonly(const char *path, uint64_t budget, struct store_db **ret)
{
	struct util_error *err = store_open_readonly(path, ret);
	if (!err)
		store_set_budget(*ret, budget);
	return err;
}

struct util_error *cli_open_writable(const char *command, const char *path, uint64_t budget,
				     struct store_db **ret)
{
	struct util_error *err = store_open_budget(path, budget, ret);
	if (!util_error_is(err, UTIL_ERROR_OS) ||
	    (err->errnum != EACCES && err->errnum != EROFS && err->errnum != EPERM))
		return err;
	struct util_error *wrapped = util_error_create(
		UTIL_ERROR_OS, "%s; 'gocoroner %s' needs to write to it",
		err->message, command);
	if (wrapped != &util_enomem)
		wrapped->errnum = err->errnum;
	util_error_destroy(err);
	return wrapped;
}

struct util_error *cli_pick_incident(struct store_db *db, int64_t requested, int64_t *ret)
{
	sqlite3_stmt *st;
	struct util_error *err;
	bool row = false;
	const char *path = sqlite3_db_filename(store_handle(db), "main");
	if (requested > 0) {
		err = cli_prepare(db, "incident_info", &st);
		if (err)
			return err;
		sqlite3_bind_int64(st, 1, requested);
		err = cli_step(db, st, "incident_info", &row);
		sqlite3_finalize(st);
		if (err)
			return err;
		if (!row)
			return util_error_create(UTIL_ERROR_NOT_FOUND, "%s: no incident %lld", path,
						 (long long)requested);
		*ret = requested;
		return NULL;
	}
	err = cli_prepare(db, "latest_incident", &st);
	if (err)
		return err;
	int64_t id = 0;
	err = cli_step(db, st, "latest_incident", &row);
	if (!err && row)
		id = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	if (err)
		return err;
	if (id <= 0)
		return util_error_create(UTIL_ERROR_NOT_FOUND,
					 "%s: the database holds no incident yet; run 'gocoroner analyze' first",
					 path);
	*ret = id;
	return NULL;
}

static const char *text(sqlite3_stmt *st, int col)
{
	const unsigned char *t = sqlite3_column_text(st, col);
	return t ? (const char *)t : "";
}

struct util_error *cli_print_summary(FILE *out, struct store_db *db, int64_t incident,
				     const char *extra)
{
	sqlite3_stmt *st;
	bool row;
	struct util_error *err = cli_prepare(db, "incident_info", &st);
	if (err)
		return err;
	sqlite3_bind_int64(st, 1, incident);
	err = cli_step(db, st, "incident_info", &row);
	if (!err && row) {
		fprintf(out, "incident %lld: %s core %s\n", (long long)incident, text(st, 4),
			text(st, 1));
		// How far to trust the time: a copied core's mtime is the copy's.
		if (*text(st, 11))
			fprintf(out, "  captured %s (%s)\n", text(st, 11),
				*text(st, 12) ? text(st, 12) : "file mtime");
		else
			fprintf(out, "  captured at an unknown time\n");
		// The program's own name first: the file given may be a copy
		// named otherwise ('exe', 'app.debug').
		const char *path = text(st, 2), *base = strrchr(path, '/');
		base = base ? base + 1 : path;
		if (*text(st, 13) && strcmp(text(st, 13), base) != 0)
			fprintf(out, "  executable %s, read from %s (%s)\n", text(st, 13), path,
				text(st, 3));
		else
			fprintf(out, "  executable %s (%s)\n", path, text(st, 3));
		if (extra)
			fputs(extra, out);
		char n[32];
		fprintf(out, "  pid %lld, signal %lld, %s goroutines", sqlite3_column_int64(st, 6),
			sqlite3_column_int64(st, 5),
			cli_thousands(n, sizeof(n), sqlite3_column_int64(st, 8)));
		if (*text(st, 7))
			fprintf(out, ", command: %s", text(st, 7));
		fputc('\n', out);
	}
	sqlite3_finalize(st);
	if (err)
		return err;

	// A stripped executable: say up front what was assumed and what is missing.
	err = cli_prepare(db, "degraded", &st);
	if (err)
		return err;
	sqlite3_bind_int64(st, 1, incident);
	while (!(err = cli_step(db, st, "degraded", &row)) && row)
		fprintf(out, "  degraded: %s\n", text(st, 0));
	sqlite3_finalize(st);
	if (err)
		return err;

	err = cli_prepare(db, "status_counts", &st);
	if (err)
		return err;
	sqlite3_bind_int64(st, 1, incident);
	fprintf(out, "\ngoroutines by state:         user   system\n");
	while (!(err = cli_step(db, st, "status_counts", &row)) && row) {
		char u[32], s[32];
		fprintf(out, "  %-24s %7s  %7s\n", text(st, 0),
			cli_thousands(u, sizeof(u), sqlite3_column_int64(st, 1)),
			cli_thousands(s, sizeof(s), sqlite3_column_int64(st, 2)));
	}
	sqlite3_finalize(st);
	if (err)
		return err;

	err = cli_prepare(db, "largest_stacks", &st);
	if (err)
		return err;
	sqlite3_bind_int64(st, 1, incident);
	// At most 10 groups, read before they are printed: cli_print_groups
	// compares them with each other.
	enum { MAX = 10, STRS = 5 };
	struct cli_group g[MAX];
	char *strs[MAX][STRS] = {{0}};
	size_t n = 0;
	while (n < MAX && !(err = cli_step(db, st, "largest_stacks", &row)) && row) {
		static const int cols[STRS] = {2, 7, 3, 4, 8}; // state, funcs, func, file, creator
		for (int k = 0; k < STRS; k++)
			if (sqlite3_column_type(st, cols[k]) != SQLITE_NULL &&
			    !(strs[n][k] = strdup(text(st, cols[k]))))
				err = &util_enomem;
		g[n] = (struct cli_group){
			.goroutines = sqlite3_column_int64(st, 1),
			.state = strs[n][0] ? strs[n][0] : "?",
			.example_goid = sqlite3_column_int64(st, 6),
			.funcs = strs[n][1],
			.func = strs[n][2],
			.file = strs[n][3],
			.line = sqlite3_column_int64(st, 5),
			.creator = strs[n][4],
			.min_wait = sqlite3_column_int64(st, 9),
			.max_wait = sqlite3_column_int64(st, 10),
		};
		n++;
		if (err)
			break;
	}
	sqlite3_finalize(st);
	if (!err) {
		fprintf(out, "\nlargest groups of identical stacks (user goroutines):\n");
		cli_print_groups(out, g, n, false);
	}
	for (size_t i = 0; i < n; i++)
		for (int k = 0; k < STRS; k++)
			free(strs[i][k]);
	return err;
}

bool cli_parse_incident(const char *command, const char *arg, int64_t *ret)
{
	char *end;
	errno = 0;
	long long v = strtoll(arg, &end, 10);
	if (*arg == '\0' || *end || v <= 0 || errno) {
		fprintf(stderr, "gocoroner %s: an incident is a number > 0, not '%s'\n", command, arg);
		return true;
	}
	*ret = v;
	return false;
}

bool cli_parse_budget(const char *command, const char *arg, uint64_t *ret)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(arg, &end, 10);
	if (*arg < '0' || *arg > '9' || *end || errno) {
		fprintf(stderr, "gocoroner %s: --budget takes a number of steps (0: no limit), not '%s'\n",
			command, arg);
		return true;
	}
	*ret = v;
	return false;
}

bool cli_parse_format(const char *command, const char *arg, enum cli_format *ret)
{
	if (strcmp(arg, "table") == 0)
		*ret = CLI_FORMAT_TABLE;
	else if (strcmp(arg, "csv") == 0)
		*ret = CLI_FORMAT_CSV;
	else if (strcmp(arg, "json") == 0)
		*ret = CLI_FORMAT_JSON;
	else {
		fprintf(stderr, "gocoroner %s: --format takes table, csv or json, not '%s'\n", command,
			arg);
		return true;
	}
	return false;
}

int cli_bad_option_in(const char *command, char **argv, const char *shortopts)
{
	// getopt_long has just returned '?': argv[optind - 1] is the argument
	// it stopped at, optopt the option's value if it knew the option
	// (then its value was missing, or given to one that takes none), 0
	// for an unknown long option, the character for a short one.
	const char *arg = argv[optind - 1];
	char name[64];
	if (arg && strncmp(arg, "--", 2) == 0) {
		size_t n = strcspn(arg, "=");
		snprintf(name, sizeof(name), "%.*s", (int)(n < 60 ? n : 60), arg);
		if (optopt == 0)
			fprintf(stderr, "gocoroner %s: unknown option '%s'", command, name);
		else if (arg[n] == '=')
			fprintf(stderr, "gocoroner %s: option '%s' takes no value", command, name);
		else
			fprintf(stderr, "gocoroner %s: option '%s' needs a value", command, name);
	} else {
		const char *known = shortopts && optopt > 0 ? strchr(shortopts, optopt) : NULL;
		if (known && known[1] == ':')
			fprintf(stderr, "gocoroner %s: option '-%c' needs a value", command, optopt);
		else if (optopt > ' ' && optopt < 127)
			fprintf(stderr, "gocoroner %s: unknown option '-%c'", command, optopt);
		else
			fprintf(stderr, "gocoroner %s: bad option '%s'", command, arg ? arg : "");
	}
	fprintf(stderr, "; see 'gocoroner %s --help'\n", command);
	return CLI_USAGE;
}

int cli_bad_option(const char *command, char **argv)
{
	return cli_bad_option_in(command, argv, NULL);
}

int cli_parse_db_options(const char *command, const char *usage, int argc, char **argv,
			 const char **db_path, uint64_t *budget, const char *file_opt,
			 const char **file)
{
	struct option opts[] = {
		{"db", required_argument, NULL, 'd'},
		{"budget", required_argument, NULL, 'B'},
		{file_opt ? file_opt : "db", required_argument, NULL, 'f'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	int c;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "d:h", opts, NULL)) != -1) {
		switch (c) {
		case 'd': *db_path = optarg; break;
		case 'B':
			if (cli_parse_budget(command, optarg, budget))
				return CLI_USAGE;
			break;
		case 'f': *file = optarg; break;
		case 'h': fputs(usage, stdout); return CLI_OK;
		default: return cli_bad_option_in(command, argv, "d:h");
		}
	}
	return -1;
}

/* Group lines stay within this many characters, unless a name alone is longer. */
#define GROUP_WIDTH 100
#define GROUP_MAX_FUNCS 256

/* One function of a " < "-joined list. */
struct func_tok {
	const char *s;
	int len;
};

/* Where the user's code is not: the runtime and the packages that only
 * park for it (the frames _user_frame skips). */
static bool runtime_func(const char *f, int len)
{
	return (len >= 8 && strncmp(f, "runtime.", 8) == 0) ||
	       (len >= 9 && strncmp(f, "internal/", 9) == 0) || (len >= 5 && strncmp(f, "sync.", 5) == 0);
}

/* The functions of KEY, the runtime's left out unless RUNTIME, into TOKS. */
static size_t split_funcs(const char *key, bool runtime, struct func_tok *toks)
{
	size_t n = 0;
	for (const char *p = key ? key : ""; *p && n < GROUP_MAX_FUNCS;) {
		const char *end = strstr(p, " < ");
		int len = end ? (int)(end - p) : (int)strlen(p);
		if (runtime || !runtime_func(p, len))
			toks[n++] = (struct func_tok){p, len};
		p += len;
		if (end)
			p += 3;
	}
	return n;
}

static bool tok_is(struct func_tok t, const char *s)
{
	return s && (int)strlen(s) == t.len && strncmp(t.s, s, (size_t)t.len) == 0;
}

static bool tok_eq(struct func_tok a, struct func_tok b)
{
	return a.len == b.len && strncmp(a.s, b.s, (size_t)a.len) == 0;
}

/* Append " < F < F ..." from TOKS[FROM..N) to LINE (USED long), cut with
 * " < ..." at GROUP_WIDTH unless ALL; a function repeated (recursion) is
 * written once, "main.walk \u00d74": how deep is often what tells two
 * stacks apart. */
static void add_funcs(char *line, size_t size, int *used, const struct func_tok *toks, size_t from,
		      size_t n, bool all, bool lead)
{
	for (size_t i = from; i < n;) {
		size_t run = 1;
		while (i + run < n && tok_eq(toks[i], toks[i + run]))
			run++;
		char times[32] = "";
		if (run > 1)
			snprintf(times, sizeof(times), " \u00d7%zu", run);
		const char *sep = lead || i > from ? " < " : "";
		int need = (int)strlen(sep) + toks[i].len + (int)strlen(times) + (i + run < n ? 6 : 0);
		if (!all && (lead || i > from) && *used + need > GROUP_WIDTH) {
			*used += snprintf(line + *used, size - (size_t)*used, " < ...");
			return;
		}
		*used += snprintf(line + *used, size - (size_t)*used, "%s%.*s%s", sep, toks[i].len,
				  toks[i].s, times);
		if ((size_t)*used >= size)
			*used = (int)size - 1;
		i += run;
	}
}

/* Print LINE, broken at " < " before GROUP_WIDTH, continued under INDENT. */
static void print_wrapped(FILE *out, const char *line, int indent)
{
	int col = 0;
	for (const char *p = line; *p;) {
		const char *end = strstr(p + (p != line), " < ");
		int len = end ? (int)(end - p) : (int)strlen(p);
		if (col > indent && col + len > GROUP_WIDTH && strncmp(p, " < ", 3) == 0) {
			fprintf(out, "\n%*s", indent, "");
			col = indent;
		}
		col += fprintf(out, "%.*s", len, p);
		p += len;
	}
	fputc('\n', out);
}

void cli_print_groups(FILE *out, const struct cli_group *groups, size_t n, bool runtime)
{
	char (*lines)[1024] = calloc(n ? n : 1, sizeof(*lines));
	struct func_tok (*toks)[GROUP_MAX_FUNCS] = calloc(n ? n : 1, sizeof(*toks));
	size_t *ntoks = calloc(n ? n : 1, sizeof(*ntoks));
	if (!lines || !toks || !ntoks) {
		free(lines), free(toks), free(ntoks);
		return;
	}
	char c[32];
	// "  count     e.g.  [state] where": the lines are compared from the
	// state on (PLACE), the part two groups may share.
	enum { PLACE = 20 };
	int body = 0; // where the functions start, for continuation lines
	fprintf(out, "  %7s  %7s  %s\n", "count", "e.g.", runtime ? "[state] stack, innermost first" :
		"[state] where the user's code waits < its callers");
	for (size_t i = 0; i < n; i++) {
		const struct cli_group *g = &groups[i];
		char *line = lines[i];
		size_t size = sizeof(lines[i]);
		int used = snprintf(line, size, "  %7s  %7lld  [%s", cli_thousands(c, sizeof(c), g->goroutines),
				    (long long)g->example_goid, g->state);
		if (g->max_wait > 0)
			used += snprintf(line + used, size - (size_t)used, ", %lld-%lld minutes",
					 (long long)g->min_wait, (long long)g->max_wait);
		used += snprintf(line + used, size - (size_t)used, "] ");
		body = used;
		ntoks[i] = split_funcs(g->funcs, false, toks[i]);
		if (runtime) {
			struct func_tok all[GROUP_MAX_FUNCS];
			size_t nall = split_funcs(g->funcs, true, all);
			add_funcs(line, size, &used, all, 0, nall, true, false);
			continue;
		}
		size_t from = 0;
		if (g->func) {
			used += snprintf(line + used, size - (size_t)used, "%s (%s:%lld)", g->func,
					 g->file ? g->file : "?", (long long)g->line);
			while (from < ntoks[i] && !tok_is(toks[i][from], g->func))
				from++;
			from = from < ntoks[i] ? from + 1 : ntoks[i];
			add_funcs(line, size, &used, toks[i], from, ntoks[i], false, true);
		} else if (ntoks[i]) {
			add_funcs(line, size, &used, toks[i], 0, ntoks[i], false, false);
		} else {
			snprintf(line + used, size - (size_t)used, "(runtime only)");
		}
	}
	for (size_t i = 0; i < n; i++) {
		if (runtime)
			print_wrapped(out, lines[i], body > 40 ? PLACE + 2 : body);
		else
			fprintf(out, "%s\n", lines[i]);
		// Another group printed the same: say what tells them apart.
		size_t part = 0;
		bool twin = false, creators = false;
		for (size_t k = 0; k < n; k++) {
			if (k == i || strcmp(lines[k] + PLACE, lines[i] + PLACE) != 0)
				continue;
			twin = true;
			const char *a = groups[i].creator, *b = groups[k].creator;
			if (a && b && strcmp(a, b) != 0)
				creators = true;
			size_t d = 0;
			while (d < ntoks[i] && d < ntoks[k] && tok_eq(toks[i][d], toks[k][d]))
				d++;
			if (d > part)
				part = d;
		}
		if (!twin)
			continue;
		char hint[1024];
		int used = snprintf(hint, sizeof(hint), "%*s", PLACE + 2, "");
		// Their creators, when those differ, say enough.
		if (creators)
			snprintf(hint + used, sizeof(hint) - (size_t)used, "created by %s", groups[i].creator);
		else if (part < ntoks[i]) {
			// From the last function they share, all of its run: two
			// stacks often part in how deep a recursion goes.
			if (part > 0)
				part--;
			while (part > 0 && tok_eq(toks[i][part - 1], toks[i][part]))
				part--;
			used += snprintf(hint + used, sizeof(hint) - (size_t)used, "below: %s",
					 part ? "... < " : "");
			add_funcs(hint, sizeof(hint), &used, toks[i], part, ntoks[i], false, false);
		} else {
			snprintf(hint + used, sizeof(hint) - (size_t)used,
				 "differs only in the runtime's frames");
		}
		fprintf(out, "%s\n", hint);
	}
	free(lines);
	free(toks);
	free(ntoks);
}

int cli_debug_dirs_add(struct cli_debug_dirs *d, const char *dir)
{
	const char **dirs = realloc(d->dirs, (d->n + 1) * sizeof(*dirs));
	if (!dirs)
		return -1;
	d->dirs = dirs;
	d->dirs[d->n++] = dir;
	return 0;
}

struct util_error *cli_debug_dirs_finish(struct cli_debug_dirs *d)
{
	// No --debug-dir: $GOCORONER_DEBUG_DIRS, colon-separated, as gdb's
	// debug-file-directory; neither: the library's default.
	const char *env = getenv("GOCORONER_DEBUG_DIRS");
	if (!d->n && env && *env) {
		d->env = strdup(env);
		if (!d->env)
			return &util_enomem;
		for (char *save = NULL, *t = strtok_r(d->env, ":", &save); t; t = strtok_r(NULL, ":", &save))
			if (cli_debug_dirs_add(d, t))
				return &util_enomem;
	}
	if (d->n) {
		d->opts.debug_dirs = d->dirs;
		d->opts.ndebug_dirs = d->n;
	}
	return NULL;
}

void cli_debug_dirs_free(struct cli_debug_dirs *d)
{
	free(d->dirs);
	free(d->env);
	memset(d, 0, sizeof(*d));
}
