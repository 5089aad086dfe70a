// SPDX-License-Identifier: Apache-2.0
// show.c: 'gocoroner traceback' — an incident's goroutines read back from the
// database as Go's own traceback text.
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "store/store.h"

struct show_opts {
	const char *db_path;
	uint64_t budget;
	int64_t incident;
	bool system;   /* show runtime frames and system goroutines (GOTRACEBACK=system) */
	bool waits;    /* a comment line saying what each goroutine waits on */
	int labels;    /* -1: as the binary's traceback does; 0 --no-labels; 1 --labels */
	int64_t *goids; /* --goid: only these goroutines, sorted, without repeats */
	size_t ngoids, goids_cap;
};

static int by_value(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

/* --goid N or --goid N,M,...: add them to O's goids. */
static int parse_goids(const char *arg, struct show_opts *o)
{
	const char *p = arg;
	do {
		char *end;
		long long v = strtoll(p, &end, 10);
		if (end == p || v < 0 || (*end && *end != ',') || *p == '-' || *p == '+') {
			fprintf(stderr,
				"gocoroner traceback: --goid takes goroutine ids (N or N,M,...), not '%s'\n",
				arg);
			return CLI_USAGE;
		}
		if (util_grow((void **)&o->goids, o->ngoids + 1, &o->goids_cap, sizeof(*o->goids), 16)) {
			fputs("gocoroner traceback: out of memory\n", stderr);
			return CLI_ERROR;
		}
		o->goids[o->ngoids++] = v;
		p = *end ? end + 1 : end;
	} while (*p);
	return CLI_OK;
}

static const char traceback_usage[] =
	"usage: gocoroner traceback [--db FILE] [--incident N] [--goid N[,M...]]...\n"
	"                           [--system] [--waits] [--labels|--no-labels]\n"
	"                           [--budget N]\n"
	"\n"
	"Print the incident's goroutines in the text format of Go's own traceback,\n"
	"so tools that read Go dumps (panicparse...) read it too.\n"
	"\n"
	"  --db FILE      database (default " CLI_DEFAULT_DB ")\n"
	"  --incident N   incident id (default: the newest)\n"
	"  --goid N       only goroutine N (repeat it, or N,M,...), in id order,\n"
	"                 system goroutines too\n"
	"  --system       include runtime frames and system goroutines, as\n"
	"                 GOTRACEBACK=system (or crash) prints them\n"
	"  --waits        after each goroutine's header, '# waits on ...' lines: the\n"
	"                 channels it is queued on, the sync primitive it waits for\n"
	"                 (not Go's format: leave it out for tools that read dumps)\n"
	"  --labels       print pprof labels in goroutine headers; by default they\n"
	"                 are printed as the process's own traceback would have\n"
	"                 (Go 1.26 and later with GODEBUG tracebacklabels=1, the\n"
	"                 default from Go 1.27; the setting is read from the core)\n"
	"  --no-labels    never print them\n"
	CLI_BUDGET_HELP("     ", "                 ");

static int parse_show(int argc, char **argv, struct show_opts *o)
{
	static const struct option opts[] = {
		{"db", required_argument, NULL, 'd'},
		{"incident", required_argument, NULL, 'i'},
		{"goid", required_argument, NULL, 'g'},
		{"system", no_argument, NULL, 's'},
		{"waits", no_argument, NULL, 'w'},
		{"labels", no_argument, NULL, 'l'},
		{"no-labels", no_argument, NULL, 'L'},
		{"budget", required_argument, NULL, 'B'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	*o = (struct show_opts){.db_path = CLI_DEFAULT_DB, .budget = STORE_BUDGET_DEFAULT,
				.labels = -1};
	int c, rc;
	optind = 1;
	opterr = 0; // one line of our own instead of getopt's message plus usage
	while ((c = getopt_long(argc, argv, ":d:i:swh", opts, NULL)) != -1) {
		switch (c) {
		case 'd': o->db_path = optarg; break;
		case 'i':
			if (cli_parse_incident("traceback", optarg, &o->incident))
				return CLI_USAGE;
			break;
		case 'g':
			if ((rc = parse_goids(optarg, o)))
				return rc;
			break;
		case 's': o->system = true; break;
		case 'w': o->waits = true; break;
		case 'l': o->labels = 1; break;
		case 'L': o->labels = 0; break;
		case 'B':
			if (cli_parse_budget("traceback", optarg, &o->budget))
				return CLI_USAGE;
			break;
		case 'h': fputs(traceback_usage, stdout); return -1;
		case ':':
			fprintf(stderr, "gocoroner traceback: %s needs a value; see 'gocoroner"
				" traceback --help'\n", argv[optind - 1]);
			return CLI_USAGE;
		default: return cli_bad_option("traceback", argv);
		}
	}
	if (optind != argc) {
		fprintf(stderr, "gocoroner traceback: unexpected argument '%s'; see 'gocoroner"
			" traceback --help'\n", argv[optind]);
		return CLI_USAGE;
	}
	if (o->ngoids) {
		qsort(o->goids, o->ngoids, sizeof(*o->goids), by_value);
		size_t n = 1;
		for (size_t i = 1; i < o->ngoids; i++)
			if (o->goids[i] != o->goids[n - 1])
				o->goids[n++] = o->goids[i];
		o->ngoids = n;
	}
	return CLI_OK;
}

static const char *col(sqlite3_stmt *st, int i)
{
	const unsigned char *t = sqlite3_column_text(st, i);
	return t ? (const char *)t : NULL;
}

/* A column that should hold text, or "?" when a damaged row holds NULL. */
static const char *text(sqlite3_stmt *st, int i)
{
	const char *t = col(st, i);
	return t ? t : "?";
}

/* runtime.showfuncinfo at GOTRACEBACK below "system". */
static bool show_frame(const char *name, bool first)
{
	if (strcmp(name, "runtime.gopanic") == 0 && !first)
		return true;
	if (!strchr(name, '.'))
		return false;
	if (strncmp(name, "runtime.", 8) != 0)
		return true;
	char c = name[8];
	return c >= 'A' && c <= 'Z'; // exported runtime functions
}

/* Go's quoted(): a double-quoted string with backslash escapes. */
static void print_quoted(const char *s)
{
	putchar('"');
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			printf("\\%c", *p);
		else if (*p < 0x20 || *p == 0x7f)
			printf("\\x%02x", *p);
		else
			putchar(*p);
	}
	putchar('"');
}

/* runtime.tracebackStringNeedsQuoting (Go 1.27). */
static bool needs_quoting(const char *s)
{
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
		      *s == '.' || *s == '/' || *s == '_'))
			return true;
	return false;
}

/*
 * Print pprof labels the way the incident's Go release prints them in a
 * goroutine header: Go 1.26 " labels:{"k": "v"}" inside the brackets, Go 1.27
 * " {k: v}" after them (quoting only when needed). Earlier releases print
 * none: asked for with --labels, they get Go 1.27's form. LABELS is our JSON
 * object text {"k":"v",...}; NULL prints nothing.
 */
static void print_labels(const char *labels, int go_minor, bool inside)
{
	if (!labels || (go_minor == 26) != inside)
		return;
	printf(go_minor == 26 ? " labels:{" : " {");
	int tokens = 0;
	char tok[1024];
	for (const char *p = labels; *p; p++) {
		if (*p != '"')
			continue;
		size_t n = 0;
		for (p++; *p && *p != '"'; p++) {
			if (*p == '\\' && p[1])
				p++;
			if (n + 1 < sizeof(tok))
				tok[n++] = *p;
		}
		tok[n] = '\0';
		if (tokens)
			printf(tokens % 2 ? ": " : ", ");
		if (go_minor == 26 || needs_quoting(tok))
			print_quoted(tok);
		else
			fputs(tok, stdout);
		tokens++;
		if (!*p)
			break;
	}
	putchar('}');
}

static const char *print_name(const char *name)
{
	return strcmp(name, "runtime.gopanic") == 0 ? "panic" : name;
}

/*
 * traceback --waits: after a goroutine's header, one comment line per thing
 * it waits on — "# waits on chan 0xc000012000 (recv, select, position 0)",
 * "# waits on sync.Mutex 0xc000014090".
 */
static struct util_error *print_waits(struct store_db *db, sqlite3_stmt *ws, int64_t id,
				      int64_t goid)
{
	struct util_error *err;
	bool row;
	sqlite3_reset(ws);
	sqlite3_bind_int64(ws, 1, id);
	sqlite3_bind_int64(ws, 2, goid);
	while (!(err = cli_step(db, ws, "goroutine_waits", &row)) && row) {
		const char *kind = text(ws, 0);
		unsigned long long addr = (unsigned long long)sqlite3_column_int64(ws, 1);
		if (strcmp(kind, "chan") != 0) {
			printf("# waits on %s 0x%llx\n", kind, addr);
			continue;
		}
		printf("# waits on chan 0x%llx (%s%s, ", addr, text(ws, 2),
		       sqlite3_column_int(ws, 3) ? ", select" : "");
		if (sqlite3_column_int64(ws, 4) >= 0)
			printf("position %lld)\n", sqlite3_column_int64(ws, 4));
		else
			printf("position unknown)\n");
	}
	return err;
}

/* The statements one goroutine's traceback reads, and how to print it. */
struct tb {
	struct store_db *db;
	int64_t id;
	sqlite3_stmt *fs, *ws; /* stack_frames; goroutine_waits or NULL */
	const struct show_opts *o;
	int go_minor;          /* the incident's Go release, 1.GO_MINOR */
	bool labels;           /* print pprof labels in the headers */
	bool first;            /* nothing printed yet */
	char **stacks;         /* by stack_id: its frame lines (stack_text), or NULL */
	size_t nstacks;
};

/*
 * The frame lines of stored stack STACK_ID as Go prints them, in *RET: made
 * once per stack and kept, since goroutines share few stacks (100,000
 * goroutines of a server, a few dozen).
 */
static struct util_error *stack_text(struct tb *t, int64_t stack_id, const char **ret)
{
	if (stack_id < 0 || stack_id >= (1 << 26))
		return util_error_create(UTIL_ERROR_INVALID, "incident %lld: stack id %lld",
					 (long long)t->id, (long long)stack_id);
	if ((size_t)stack_id < t->nstacks && t->stacks[stack_id]) {
		*ret = t->stacks[stack_id];
		return NULL;
	}
	if ((size_t)stack_id >= t->nstacks) {
		size_t n = (size_t)stack_id + 1 > 2 * t->nstacks ? (size_t)stack_id + 1 : 2 * t->nstacks;
		char **v = realloc(t->stacks, n * sizeof(*v));
		if (!v)
			return &util_enomem;
		memset(v + t->nstacks, 0, (n - t->nstacks) * sizeof(*v));
		t->stacks = v;
		t->nstacks = n;
	}
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);
	if (!out)
		return &util_enomem;
	struct util_error *err;
	sqlite3_reset(t->fs);
	sqlite3_bind_int64(t->fs, 1, t->id);
	sqlite3_bind_int64(t->fs, 2, stack_id);
	bool first = true, frame;
	char callee[256] = "";
	while (!(err = cli_step(t->db, t->fs, "stack_frames", &frame)) && frame) {
		const char *fn = text(t->fs, 1);
		// Wrappers are elided unless they called a panic (elideWrapperCalling).
		bool elide = sqlite3_column_int(t->fs, 6) && strcmp(callee, "runtime.gopanic") != 0 &&
			     strcmp(callee, "runtime.sigpanic") != 0 &&
			     strcmp(callee, "runtime.panicwrap") != 0;
		snprintf(callee, sizeof(callee), "%s", fn);
		if (!t->o->system && (elide || !show_frame(fn, first)))
			continue;
		first = false;
		bool inl = sqlite3_column_int(t->fs, 4);
		fprintf(out, "%s(...)\n\t%s:%lld", print_name(fn), text(t->fs, 2),
			sqlite3_column_int64(t->fs, 3));
		if (!inl && sqlite3_column_int64(t->fs, 5) > 0)
			fprintf(out, " +0x%llx", (unsigned long long)sqlite3_column_int64(t->fs, 5));
		fprintf(out, "\n");
	}
	if (fclose(out) != 0 && !err)
		err = &util_enomem;
	if (err) {
		free(buf);
		return err;
	}
	*ret = t->stacks[stack_id] = buf;
	return NULL;
}

/* Print the goroutine of GS's current row (statement 'goroutines') as Go does. */
static struct util_error *print_traceback(struct tb *t, sqlite3_stmt *gs)
{
	struct util_error *err = NULL;
	const struct show_opts *o = t->o;
	int64_t goid = sqlite3_column_int64(gs, 0);
	const char *status = text(gs, 1), *reason = col(gs, 2);
	printf("%sgoroutine %lld [%s", t->first ? "" : "\n", (long long)goid,
	       reason ? reason : status);
	t->first = false;
	if (strcmp(status, "leaked") == 0)
		printf(" (leaked)");
	if (sqlite3_column_type(gs, 3) != SQLITE_NULL && sqlite3_column_int64(gs, 3) >= 1)
		printf(", %lld minutes", sqlite3_column_int64(gs, 3));
	if (sqlite3_column_int(gs, 12))
		printf(", locked to thread");
	const char *labels = t->labels ? col(gs, 13) : NULL;
	print_labels(labels, t->go_minor, true);
	printf("]");
	print_labels(labels, t->go_minor, false);
	printf(":\n");
	if (t->ws && (err = print_waits(t->db, t->ws, t->id, goid)))
		return err;
	const char *frames;
	if ((err = stack_text(t, sqlite3_column_int64(gs, 14), &frames)))
		return err;
	fputs(frames, stdout);
	const char *cfn = col(gs, 5);
	if (cfn && goid != 1 && (o->system || show_frame(cfn, false))) {
		printf("created by %s", print_name(cfn));
		if (sqlite3_column_type(gs, 4) != SQLITE_NULL && sqlite3_column_int64(gs, 4))
			printf(" in goroutine %lld", sqlite3_column_int64(gs, 4));
		printf("\n\t%s:%lld", col(gs, 6) ? col(gs, 6) : "?", sqlite3_column_int64(gs, 7));
		if (sqlite3_column_int64(gs, 8) > 0)
			printf(" +0x%llx", (unsigned long long)sqlite3_column_int64(gs, 8));
		printf("\n");
	}
	return NULL;
}

/* traceback --goid: the goroutines asked for; an error names those missing. */
static struct util_error *print_goids(struct tb *t)
{
	sqlite3_stmt *gs;
	struct util_error *err = cli_prepare(t->db, "goroutine", &gs);
	char missing[256] = "";
	size_t nmissing = 0, len = 0;
	for (size_t i = 0; !err && i < t->o->ngoids; i++) {
		bool row;
		sqlite3_reset(gs);
		sqlite3_bind_int64(gs, 1, t->id);
		sqlite3_bind_int64(gs, 2, t->o->goids[i]);
		if ((err = cli_step(t->db, gs, "goroutine", &row)))
			break;
		if (row) {
			err = print_traceback(t, gs);
			continue;
		}
		if (nmissing++ < 10 && len < sizeof(missing))
			len += (size_t)snprintf(missing + len, sizeof(missing) - len, "%s%lld",
						nmissing > 1 ? ", " : "", (long long)t->o->goids[i]);
	}
	sqlite3_finalize(gs);
	if (!err && nmissing)
		err = util_error_create(UTIL_ERROR_NOT_FOUND, "incident %lld has no goroutine %s%s",
					(long long)t->id, missing, nmissing > 10 ? "..." : "");
	return err;
}

int cli_traceback(int argc, char **argv)
{
	struct show_opts o;
	int rc = parse_show(argc, argv, &o);
	if (rc) {
		free(o.goids);
		return rc < 0 ? CLI_OK : rc;
	}
	struct tb t = {.o = &o, .first = true};
	sqlite3_stmt *gs = NULL;
	struct util_error *err = cli_open_readonly(o.db_path, o.budget, &t.db);
	if (!err)
		err = cli_pick_incident(t.db, o.incident, &t.id);
	if (!err)
		err = cli_prepare(t.db, "stack_frames", &t.fs);
	if (!err && o.waits)
		err = cli_prepare(t.db, "goroutine_waits", &t.ws);
	if (err)
		goto out;
	sqlite3_stmt *vs;
	bool row;
	int process_labels = -1; // incident.traceback_labels, -1 when NULL
	if (!cli_prepare(t.db, "incident_go_version", &vs)) {
		sqlite3_bind_int64(vs, 1, t.id);
		err = cli_step(t.db, vs, "incident_go_version", &row);
		if (!err && row && col(vs, 0))
			sscanf(col(vs, 0), "go1.%d", &t.go_minor);
		if (!err && row && sqlite3_column_type(vs, 1) != SQLITE_NULL)
			process_labels = sqlite3_column_int(vs, 1) == 1;
		sqlite3_finalize(vs);
	}
	// Labels as the process's own traceback would have printed them
	// (runtime.debug.tracebacklabels, read at ingest); for incidents that
	// did not record it, as Go 1.26 and later do by default in our corpus.
	t.labels = o.labels >= 0 ? o.labels : process_labels >= 0 ? process_labels : t.go_minor >= 26;
	if (err)
		goto out;
	if (o.ngoids) {
		err = print_goids(&t);
		goto out;
	}
	if ((err = cli_prepare(t.db, "goroutines", &gs)))
		goto out;
	sqlite3_bind_int64(gs, 1, t.id);
	while (!err && !(err = cli_step(t.db, gs, "goroutines", &row)) && row) {
		if (!o.system && sqlite3_column_int(gs, 10))
			continue; // a system goroutine: Go hides it below GOTRACEBACK=system
		err = print_traceback(&t, gs);
	}
out:
	for (size_t i = 0; i < t.nstacks; i++)
		free(t.stacks[i]);
	free(t.stacks);
	free(o.goids);
	sqlite3_finalize(gs);
	sqlite3_finalize(t.fs);
	sqlite3_finalize(t.ws);
	store_close(t.db);
	return err ? cli_fail(err) : CLI_OK;
}
