// show.c: 'gocoroner goroutines' and 'gocoroner traceback' — read an incident
// back from the database as a listing or as Go's own traceback text.
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "store/store.h"

struct show_opts {
	const char *db_path;
	uint64_t budget;
	int64_t incident;
	bool system;   /* traceback: show runtime frames and system goroutines (GOTRACEBACK=system) */
	bool waits;    /* traceback: a comment line saying what each goroutine waits on */
	bool has_chan; /* goroutines: list the goroutines queued on channel chan */
	uint64_t chan;
};

/* The subcommand-specific options parse_show accepts. */
enum { OPT_SYSTEM = 1, OPT_WAITS = 2, OPT_CHAN = 4 };

/* An address as the user gives it: 0x-prefixed hex, or decimal. */
static bool parse_addr(const char *s, uint64_t *ret)
{
	char *end;
	bool hex = s[0] == '0' && (s[1] == 'x' || s[1] == 'X');
	if (!*s || *s == '-' || *s == '+' || (hex && !s[2]))
		return false;
	unsigned long long v = strtoull(hex ? s + 2 : s, &end, hex ? 16 : 10);
	if (*end || v == 0 || v > INT64_MAX)
		return false;
	*ret = v;
	return true;
}

static int parse_show(int argc, char **argv, const char *usage, int allowed, struct show_opts *o)
{
	static const struct option opts[] = {
		{"db", required_argument, NULL, 'd'},
		{"incident", required_argument, NULL, 'i'},
		{"system", no_argument, NULL, 's'},
		{"waits", no_argument, NULL, 'w'},
		{"chan", required_argument, NULL, 'c'},
		{"budget", required_argument, NULL, 'B'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	*o = (struct show_opts){.db_path = CLI_DEFAULT_DB, .budget = STORE_BUDGET_DEFAULT};
	int c;
	optind = 1;
	opterr = 0; // one line of our own instead of getopt's message plus usage
	while ((c = getopt_long(argc, argv, "d:i:swc:h", opts, NULL)) != -1) {
		switch (c) {
		case 'd': o->db_path = optarg; break;
		case 'i': {
			char *end;
			o->incident = strtoll(optarg, &end, 10);
			if (*end || o->incident <= 0) {
				fprintf(stderr, "gocoroner: --incident takes a positive number, not '%s'\n", optarg);
				return CLI_USAGE;
			}
			break;
		}
		case 's':
			if (!(allowed & OPT_SYSTEM))
				goto bad;
			o->system = true;
			break;
		case 'w':
			if (!(allowed & OPT_WAITS))
				goto bad;
			o->waits = true;
			break;
		case 'c':
			if (!(allowed & OPT_CHAN))
				goto bad;
			if (!parse_addr(optarg, &o->chan)) {
				fprintf(stderr, "gocoroner: --chan takes a channel address (0x... or decimal), not '%s'\n",
					optarg);
				return CLI_USAGE;
			}
			o->has_chan = true;
			break;
		case 'B':
			if (cli_parse_budget(argv[0], optarg, &o->budget))
				return CLI_USAGE;
			break;
		case 'h': fputs(usage, stdout); return -1;
		default: goto bad;
		}
	}
	if (optind != argc)
		goto bad;
	return CLI_OK;
bad:
	fprintf(stderr, "gocoroner %s: bad arguments; see 'gocoroner %s --help' (usage)\n", argv[0],
		argv[0]);
	return CLI_USAGE;
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
 * " {k: v}" after them (quoting only when needed); earlier releases none.
 * LABELS is our JSON object text {"k":"v",...}.
 */
static void print_labels(const char *labels, int go_minor, bool inside)
{
	if (!labels || go_minor < 26 || (go_minor == 26) != inside)
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

/* Open the database read-only, pick the incident and prepare the goroutine
 * and frame statements both listings step through. */
static struct util_error *open_listing(const struct show_opts *o, struct store_db **db,
				       int64_t *id, sqlite3_stmt **gs, sqlite3_stmt **fs)
{
	struct util_error *err = cli_open_readonly(o->db_path, o->budget, db);
	if (!err)
		err = cli_pick_incident(*db, o->incident, id);
	if (!err)
		err = cli_prepare(*db, "goroutines", gs);
	if (!err)
		err = cli_prepare(*db, "stack_frames", fs);
	if (!err)
		sqlite3_bind_int64(*gs, 1, *id);
	return err;
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

static const char traceback_usage[] =
	"usage: gocoroner traceback [--db FILE] [--incident N] [--system] [--waits]\n"
	"                           [--budget N]\n"
	"\n"
	"Print the incident's goroutines in the text format of Go's own traceback,\n"
	"so tools that read Go dumps (panicparse...) read it too.\n"
	"\n"
	"  --db FILE      database (default " CLI_DEFAULT_DB ")\n"
	"  --incident N   incident id (default: the newest)\n"
	"  --system       include runtime frames and system goroutines, as\n"
	"                 GOTRACEBACK=system (or crash) prints them\n"
	"  --waits        after each goroutine's header, '# waits on ...' lines: the\n"
	"                 channels it is queued on, the sync primitive it waits for\n"
	"                 (not Go's format: leave it out for tools that read dumps)\n"
	CLI_BUDGET_HELP("     ", "                 ");

int cli_traceback(int argc, char **argv)
{
	struct show_opts o;
	int rc = parse_show(argc, argv, traceback_usage, OPT_SYSTEM | OPT_WAITS, &o);
	if (rc)
		return rc < 0 ? CLI_OK : rc;
	struct store_db *db = NULL;
	int64_t id = 0;
	sqlite3_stmt *gs = NULL, *fs = NULL, *ws = NULL;
	struct util_error *err = open_listing(&o, &db, &id, &gs, &fs);
	if (!err && o.waits)
		err = cli_prepare(db, "goroutine_waits", &ws);
	if (err)
		goto out;
	int go_minor = 0;
	sqlite3_stmt *vs;
	bool row;
	if (!cli_prepare(db, "incident_go_version", &vs)) {
		sqlite3_bind_int64(vs, 1, id);
		err = cli_step(db, vs, "incident_go_version", &row);
		if (!err && row && col(vs, 0))
			sscanf(col(vs, 0), "go1.%d", &go_minor);
		sqlite3_finalize(vs);
	}
	bool first_g = true;
	while (!err && !(err = cli_step(db, gs, "goroutines", &row)) && row) {
		if (!o.system && sqlite3_column_int(gs, 10))
			continue; // a system goroutine: Go hides it below GOTRACEBACK=system
		int64_t goid = sqlite3_column_int64(gs, 0);
		const char *status = text(gs, 1), *reason = col(gs, 2);
		printf("%sgoroutine %lld [%s", first_g ? "" : "\n", (long long)goid,
		       reason ? reason : status);
		first_g = false;
		if (strcmp(status, "leaked") == 0)
			printf(" (leaked)");
		if (sqlite3_column_type(gs, 3) != SQLITE_NULL && sqlite3_column_int64(gs, 3) >= 1)
			printf(", %lld minutes", sqlite3_column_int64(gs, 3));
		if (sqlite3_column_int(gs, 12))
			printf(", locked to thread");
		print_labels(col(gs, 13), go_minor, true);
		printf("]");
		print_labels(col(gs, 13), go_minor, false);
		printf(":\n");
		if (ws && (err = print_waits(db, ws, id, goid)))
			break;
		sqlite3_reset(fs);
		sqlite3_bind_int64(fs, 1, id);
		sqlite3_bind_int64(fs, 2, sqlite3_column_int64(gs, 14));
		bool first = true, frame;
		char callee[256] = "";
		while (!(err = cli_step(db, fs, "stack_frames", &frame)) && frame) {
			const char *fn = text(fs, 1);
			// Wrappers are elided unless they called a panic (elideWrapperCalling).
			bool elide = sqlite3_column_int(fs, 6) && strcmp(callee, "runtime.gopanic") != 0 &&
				     strcmp(callee, "runtime.sigpanic") != 0 &&
				     strcmp(callee, "runtime.panicwrap") != 0;
			snprintf(callee, sizeof(callee), "%s", fn);
			if (!o.system && (elide || !show_frame(fn, first)))
				continue;
			first = false;
			bool inl = sqlite3_column_int(fs, 4);
			printf("%s(...)\n\t%s:%lld", print_name(fn), text(fs, 2),
			       sqlite3_column_int64(fs, 3));
			if (!inl && sqlite3_column_int64(fs, 5) > 0)
				printf(" +0x%llx", (unsigned long long)sqlite3_column_int64(fs, 5));
			printf("\n");
		}
		if (err)
			break;
		const char *cfn = col(gs, 5);
		if (cfn && goid != 1 && (o.system || show_frame(cfn, false))) {
			printf("created by %s", print_name(cfn));
			if (sqlite3_column_type(gs, 4) != SQLITE_NULL && sqlite3_column_int64(gs, 4))
				printf(" in goroutine %lld", sqlite3_column_int64(gs, 4));
			printf("\n\t%s:%lld", col(gs, 6) ? col(gs, 6) : "?", sqlite3_column_int64(gs, 7));
			if (sqlite3_column_int64(gs, 8) > 0)
				printf(" +0x%llx", (unsigned long long)sqlite3_column_int64(gs, 8));
			printf("\n");
		}
	}
out:
	sqlite3_finalize(gs);
	sqlite3_finalize(fs);
	sqlite3_finalize(ws);
	store_close(db);
	return err ? cli_fail(err) : CLI_OK;
}

static const char goroutines_usage[] =
	"usage: gocoroner goroutines [--db FILE] [--incident N] [--chan ADDR]\n"
	"                            [--budget N]\n"
	"\n"
	"List the incident's goroutines, one a line: id, state, minutes waited,\n"
	"thread, innermost frame outside the runtime, and creator.\n"
	"\n"
	"  --db FILE      database (default " CLI_DEFAULT_DB ")\n"
	"  --incident N   incident id (default: the newest)\n"
	"  --chan ADDR    only the goroutines queued on the channel at ADDR (0x...\n"
	"                 or decimal, as %p prints the chan): its send queue, then\n"
	"                 its receive queue, in the order they will be woken\n"
	CLI_BUDGET_HELP("     ", "                 ");

/* *RET: the innermost frame outside the runtime of stored stack STACK_ID
 * (else the innermost), in BUF, or "?". */
static struct util_error *where_of(struct store_db *db, sqlite3_stmt *fs, int64_t id,
				   int64_t stack_id, char *buf, size_t n, const char **ret)
{
	const char *where = "?";
	struct util_error *err;
	bool row;
	sqlite3_reset(fs);
	sqlite3_bind_int64(fs, 1, id);
	sqlite3_bind_int64(fs, 2, stack_id);
	while (!(err = cli_step(db, fs, "stack_frames", &row)) && row) {
		const char *fn = text(fs, 1);
		if (show_frame(fn, false) || where[0] == '?') {
			snprintf(buf, n, "%s %s:%lld", fn, text(fs, 2), sqlite3_column_int64(fs, 3));
			where = buf;
			if (show_frame(fn, false))
				break;
		}
	}
	*ret = where;
	return err;
}

/* goroutines --chan ADDR: the channel, then its queues. */
static struct util_error *list_chan(struct store_db *db, sqlite3_stmt *fs, int64_t id,
				     uint64_t chan)
{
	sqlite3_stmt *cs = NULL, *ws = NULL;
	bool row;
	struct util_error *err = cli_prepare(db, "channel_info", &cs);
	if (!err)
		err = cli_prepare(db, "chan_waiters", &ws);
	if (err)
		goto out;
	sqlite3_bind_int64(cs, 1, id);
	sqlite3_bind_int64(cs, 2, (int64_t)chan);
	err = cli_step(db, cs, "channel_info", &row);
	if (err)
		goto out;
	if (!row) {
		err = util_error_create(UTIL_ERROR_NOT_FOUND,
					"incident %lld: no goroutine is queued on a channel at 0x%llx",
					(long long)id, (unsigned long long)chan);
		goto out;
	}
	printf("chan 0x%llx: chan %s, cap %lld, len %lld%s%s; %lld sending, %lld receiving\n",
	       (unsigned long long)chan, col(cs, 0) ? col(cs, 0) : "?", sqlite3_column_int64(cs, 1),
	       sqlite3_column_int64(cs, 2), sqlite3_column_int(cs, 3) ? ", closed" : "",
	       sqlite3_column_int(cs, 4) ? ", timer" : "", sqlite3_column_int64(cs, 5),
	       sqlite3_column_int64(cs, 6));
	printf("%8s  %-5s %4s  %-6s  %-22s %5s  %s\n", "GOID", "QUEUE", "POS", "SELECT", "STATE",
	       "MIN", "WHERE");
	sqlite3_bind_int64(ws, 1, id);
	sqlite3_bind_int64(ws, 2, (int64_t)chan);
	while (!err && !(err = cli_step(db, ws, "chan_waiters", &row)) && row) {
		char pos[24] = "?", minutes[24] = "", wbuf[512];
		const char *where;
		if (sqlite3_column_int64(ws, 3) >= 0)
			snprintf(pos, sizeof(pos), "%lld", sqlite3_column_int64(ws, 3));
		if (sqlite3_column_type(ws, 5) != SQLITE_NULL && sqlite3_column_int64(ws, 5) >= 0)
			snprintf(minutes, sizeof(minutes), "%lld", sqlite3_column_int64(ws, 5));
		err = where_of(db, fs, id, sqlite3_column_int64(ws, 6), wbuf, sizeof(wbuf), &where);
		if (!err)
			printf("%8lld  %-5s %4s  %-6s  %-22.22s %5s  %s\n", sqlite3_column_int64(ws, 0),
			       text(ws, 1), pos, sqlite3_column_int(ws, 2) ? "yes" : "", text(ws, 4),
			       minutes, where);
	}
out:
	sqlite3_finalize(cs);
	sqlite3_finalize(ws);
	return err;
}

int cli_goroutines(int argc, char **argv)
{
	struct show_opts o;
	int rc = parse_show(argc, argv, goroutines_usage, OPT_CHAN, &o);
	if (rc)
		return rc < 0 ? CLI_OK : rc;
	struct store_db *db = NULL;
	int64_t id = 0;
	sqlite3_stmt *gs = NULL, *fs = NULL;
	struct util_error *err = open_listing(&o, &db, &id, &gs, &fs);
	if (!err && o.has_chan)
		err = list_chan(db, fs, id, o.chan);
	if (err || o.has_chan)
		goto out;
	printf("%8s  %-22s %5s %8s  %-6s %s\n", "GOID", "STATE", "MIN", "THREAD", "FLAGS",
	       "WHERE / CREATED BY");
	bool row;
	while (!err && !(err = cli_step(db, gs, "goroutines", &row)) && row) {
		const char *reason = col(gs, 2);
		char minutes[24] = "", thread[24] = "", flags[8] = "";
		if (sqlite3_column_type(gs, 3) != SQLITE_NULL && sqlite3_column_int64(gs, 3) >= 0)
			snprintf(minutes, sizeof(minutes), "%lld", sqlite3_column_int64(gs, 3));
		if (sqlite3_column_int64(gs, 11))
			snprintf(thread, sizeof(thread), "%lld", sqlite3_column_int64(gs, 11));
		snprintf(flags, sizeof(flags), "%s%s%s", sqlite3_column_int(gs, 10) ? "S" : "",
			 sqlite3_column_int(gs, 12) ? "L" : "", col(gs, 13) ? "@" : "");
		char wbuf[512];
		const char *where;
		err = where_of(db, fs, id, sqlite3_column_int64(gs, 14), wbuf, sizeof(wbuf), &where);
		if (err)
			break;
		printf("%8lld  %-22.22s %5s %8s  %-6s %s", sqlite3_column_int64(gs, 0),
		       reason ? reason : text(gs, 1), minutes, thread, flags, where);
		if (col(gs, 5) && sqlite3_column_int64(gs, 0) != 1) // Go names no creator for goroutine 1
			printf("  <- %s", col(gs, 5));
		if (col(gs, 13))
			printf("  %s", col(gs, 13));
		printf("\n");
	}
	if (!err)
		printf("\nFLAGS: S system goroutine, L locked to its thread, @ has pprof labels\n");
out:
	sqlite3_finalize(gs);
	sqlite3_finalize(fs);
	store_close(db);
	return err ? cli_fail(err) : CLI_OK;
}
