// SPDX-License-Identifier: Apache-2.0
// frame.c: 'gocoroner frame' and 'gocoroner locals' — one goroutine's frames
// with what gocoroner decoded for each: the contexts its variables hold (with
// their ancestors), the object it waits on, its deferred calls.
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "store/store.h"

/* Ancestors shown per context by default (a macro: the usage text names it). */
#define DEFAULT_CHAIN 8
enum { MAX_CHAIN = 1000 };

struct frame_opts {
	const char *db_path;
	uint64_t budget;
	int64_t incident;
	int64_t goid;
	int64_t depth;  /* the frame, -1 for all */
	int64_t chain;  /* --depth: ancestors shown per context */
	bool locals;    /* 'locals': the variables only */
};

/* The statements one goroutine's frames are printed from. */
struct frame_ctx {
	struct store_db *db;
	int64_t id;
	const struct frame_opts *o;
	sqlite3_stmt *cs;      /* frame_contexts */
	sqlite3_stmt *one;     /* context_one */
	sqlite3_stmt *ws;      /* frame_waits */
	sqlite3_stmt *ds;      /* frame_defers */
	int64_t user_depth;    /* the user's frame: the wait shows from 0 to it */
	char pending[1100];    /* 'locals' without DEPTH: the frame's line, printed before
				  its first variable, if it has any */
	bool any;              /* a variable was printed */
};

/* Before a variable of the frame: its line, if still to print. */
static void before_var(struct frame_ctx *f)
{
	if (f->pending[0])
		fputs(f->pending, stdout);
	f->pending[0] = '\0';
	f->any = true;
}

static const char *col(sqlite3_stmt *st, int i)
{
	return (const char *)sqlite3_column_text(st, i);
}

static const char *text(sqlite3_stmt *st, int i)
{
	const char *t = col(st, i);
	return t ? t : "?";
}

/* The usage's first lines name the command asked for first: "%s" is
 * 'frame' or 'locals', then the other. */
static const char frame_usage_head[] =
	"usage: gocoroner %s GOID [DEPTH] [--db FILE] [--incident N] [--depth N]\n"
	"                        [--budget N]\n"
	"       gocoroner %s GOID [DEPTH] [same options]\n"
	"\n";
static const char frame_usage[] =
	"Print goroutine GOID's frame DEPTH (0 is the innermost; without DEPTH,\n"
	"every frame) as Delve's 'stack' does, depth, pc, function and file:line,\n"
	"each followed by what gocoroner decoded for it: the context.Context\n"
	"variables the frame holds, in Go syntax, each with its ancestors; the\n"
	"channel or sync object the goroutine waits on (on its user frame, the\n"
	"one that made the blocking call); the frame's deferred calls, in the\n"
	"order they will run. 'locals' without DEPTH prints only the frames that\n"
	"have some of these. The stack pointer is not kept in the database.\n"
	"\n"
	"  --db FILE      database (default " CLI_DEFAULT_DB ")\n"
	"  --incident N   incident id (default: the newest)\n"
	"  --depth N      ancestors shown for each context (default "
	CLI_STR(DEFAULT_CHAIN) "; 0: none)\n"
	CLI_BUDGET_HELP("     ", "                 ");

static bool parse_number(const char *s, int64_t max, int64_t *ret)
{
	char *end;
	if (*s < '0' || *s > '9')
		return false;
	long long v = strtoll(s, &end, 10);
	if (*end || v > max)
		return false;
	*ret = v;
	return true;
}

static int parse_frame(const char *cmd, int argc, char **argv, struct frame_opts *o)
{
	static const struct option opts[] = {
		{"db", required_argument, NULL, 'd'},
		{"incident", required_argument, NULL, 'i'},
		{"depth", required_argument, NULL, 'D'},
		{"budget", required_argument, NULL, 'B'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	*o = (struct frame_opts){.db_path = CLI_DEFAULT_DB, .budget = STORE_BUDGET_DEFAULT,
				 .depth = -1, .chain = DEFAULT_CHAIN, .goid = -1};
	int c;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":d:i:h", opts, NULL)) != -1) {
		switch (c) {
		case 'd': o->db_path = optarg; break;
		case 'i':
			if (cli_parse_incident(cmd, optarg, &o->incident))
				return CLI_USAGE;
			break;
		case 'D':
			if (!parse_number(optarg, MAX_CHAIN, &o->chain)) {
				fprintf(stderr, "gocoroner %s: --depth takes a number from 0 to %d, not '%s'\n",
					cmd, MAX_CHAIN, optarg);
				return CLI_USAGE;
			}
			break;
		case 'B':
			if (cli_parse_budget(cmd, optarg, &o->budget))
				return CLI_USAGE;
			break;
		case 'h':
			printf(frame_usage_head, cmd, strcmp(cmd, "frame") == 0 ? "locals" : "frame");
			fputs(frame_usage, stdout);
			return -1;
		case ':':
			fprintf(stderr, "gocoroner %s: %s needs a value; see 'gocoroner %s --help'\n", cmd,
				argv[optind - 1], cmd);
			return CLI_USAGE;
		default: return cli_bad_option(cmd, argv);
		}
	}
	int rest = argc - optind;
	if (rest < 1 || rest > 2) {
		fprintf(stderr, "gocoroner %s: %s; see 'gocoroner %s --help'\n", cmd,
			rest < 1 ? "which goroutine? give its id (GOID)" : "too many arguments", cmd);
		return CLI_USAGE;
	}
	if (!parse_number(argv[optind], INT64_MAX, &o->goid)) {
		fprintf(stderr, "gocoroner %s: GOID is a goroutine id, not '%s'\n", cmd, argv[optind]);
		return CLI_USAGE;
	}
	if (rest == 2 && !parse_number(argv[optind + 1], INT64_MAX, &o->depth)) {
		fprintf(stderr, "gocoroner %s: DEPTH is a frame number (0 is the innermost), not '%s'\n",
			cmd, argv[optind + 1]);
		return CLI_USAGE;
	}
	return CLI_OK;
}

/* A context as Go would show the value in an interface: its dynamic type and
 * address, what it carries, and whether it is canceled. */
static void print_ctx_value(sqlite3_stmt *one, uint64_t addr)
{
	const char *kind = text(one, 1), *type = col(one, 2);
	if (strcmp(kind, "background") == 0 || strcmp(kind, "todo") == 0)
		printf("%s{}", type ? type : kind);
	else if (type && type[0] == '*')
		printf("(%s)(0x%llx)", type, (unsigned long long)addr);
	else
		printf("%s(0x%llx)", type ? type : "?", (unsigned long long)addr);
	if (strcmp(kind, "value") == 0) {
		printf(" {key: %s, val: %s}", text(one, 8), text(one, 9));
	} else if (sqlite3_column_type(one, 7) != SQLITE_NULL) {
		time_t t = (time_t)(sqlite3_column_int64(one, 7) / 1000000000);
		struct tm tm;
		char when[32] = "?";
		if (gmtime_r(&t, &tm))
			strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
		printf(" {deadline: %s}", when);
	}
	if (sqlite3_column_type(one, 4) == SQLITE_NULL && strcmp(kind, "user") == 0)
		printf(" (canceled or not: unknown)");
	else if (sqlite3_column_int(one, 4) == 1) {
		printf(" CANCELED: %s", col(one, 5) ? col(one, 5) : "context canceled");
		if (col(one, 6))
			printf(" (cause: %s)", col(one, 6));
	}
}

/* Read context ADDR into ONE's row; false if the incident has none there. */
static struct util_error *ctx_row(struct frame_ctx *f, uint64_t addr, bool *found)
{
	sqlite3_reset(f->one);
	sqlite3_bind_int64(f->one, 1, f->id);
	sqlite3_bind_int64(f->one, 2, (int64_t)addr);
	return cli_step(f->db, f->one, "context_one", found);
}

/* "NAME context.Context = VALUE", then up to --depth ancestors. */
static struct util_error *print_ctx(struct frame_ctx *f, const char *name, uint64_t addr,
				    const char *how)
{
	bool found;
	struct util_error *err = ctx_row(f, addr, &found);
	if (err)
		return err;
	printf("    %s context.Context = ", name);
	if (!found) {
		printf("0x%llx (not decoded)%s\n", (unsigned long long)addr, how);
		return NULL;
	}
	print_ctx_value(f->one, addr);
	printf("%s\n", how);
	int64_t shown = 0, more = 0;
	while (sqlite3_column_type(f->one, 3) != SQLITE_NULL && shown + more < MAX_CHAIN) {
		uint64_t parent = (uint64_t)sqlite3_column_int64(f->one, 3);
		if ((err = ctx_row(f, parent, &found)))
			return err;
		if (!found) {
			if (shown < f->o->chain)
				printf("        <- 0x%llx (not decoded)\n", (unsigned long long)parent);
			break;
		}
		if (shown >= f->o->chain) {
			more++;
			continue;
		}
		printf("        <- ");
		print_ctx_value(f->one, parent);
		printf("\n");
		shown++;
	}
	if (more)
		printf("        and %lld more ancestor%s; --depth %lld to show them\n", (long long)more,
		       more == 1 ? "" : "s", (long long)(shown + more));
	return NULL;
}

/* The variables of frame DEPTH: contexts, the wait, defers. */
static struct util_error *print_locals(struct frame_ctx *f, int64_t depth)
{
	struct util_error *err;
	bool row;
	if (depth == f->user_depth) {
		sqlite3_reset(f->ws);
		sqlite3_bind_int64(f->ws, 1, f->id);
		sqlite3_bind_int64(f->ws, 2, f->o->goid);
		while (!(err = cli_step(f->db, f->ws, "frame_waits", &row)) && row) {
			before_var(f);
			unsigned long long addr = (unsigned long long)sqlite3_column_int64(f->ws, 1);
			const char *kind = text(f->ws, 0);
			// In Go syntax: (*sync.Mutex)(0xc000014090), (chan int)(0xc000012000).
			if (strcmp(kind, "semaphore") == 0) {
				printf("    waits on a semaphore (*uint32)(0x%llx)\n", addr);
				continue;
			}
			if (strcmp(kind, "chan") != 0) {
				printf("    waits on (*%s)(0x%llx)\n", kind, addr);
				continue;
			}
			printf("    waits on (chan %s)(0x%llx): %s%s", text(f->ws, 5), addr, text(f->ws, 2),
			       sqlite3_column_int(f->ws, 3) ? " in a select" : "");
			if (sqlite3_column_int64(f->ws, 4) >= 0)
				printf(", position %lld in its queue", sqlite3_column_int64(f->ws, 4));
			if (sqlite3_column_int64(f->ws, 6) > 0)
				printf(", %lld of %lld buffered", sqlite3_column_int64(f->ws, 7),
				       sqlite3_column_int64(f->ws, 6));
			if (sqlite3_column_int(f->ws, 8))
				printf(", closed");
			printf("\n");
		}
		if (err)
			return err;
	}
	sqlite3_reset(f->cs);
	sqlite3_bind_int64(f->cs, 1, f->id);
	sqlite3_bind_int64(f->cs, 2, f->o->goid);
	sqlite3_bind_int64(f->cs, 3, depth);
	while (!(err = cli_step(f->db, f->cs, "frame_contexts", &row)) && row) {
		before_var(f);
		// A stack scan found the value between the frame's variables: no
		// name, '_' as Go writes a value it does not name.
		const char *name = col(f->cs, 0) ? col(f->cs, 0) : "_";
		const char *ev = col(f->cs, 3);
		const char *how = strcmp(text(f->cs, 2), "stack-scan") == 0
					  ? "  (no variable: found by a stack scan)"
				  : ev && strstr(ev, "unverified") ? "  (probably: no stack map)" : "";
		if ((err = print_ctx(f, name, (uint64_t)sqlite3_column_int64(f->cs, 1), how)))
			return err;
	}
	if (err)
		return err;
	sqlite3_reset(f->ds);
	sqlite3_bind_int64(f->ds, 1, f->id);
	sqlite3_bind_int64(f->ds, 2, f->o->goid);
	sqlite3_bind_int64(f->ds, 3, depth);
	while (!(err = cli_step(f->db, f->ds, "frame_defers", &row)) && row) {
		before_var(f);
		long long n = sqlite3_column_int64(f->ds, 0) + 1;
		const char *th = n % 100 >= 11 && n % 100 <= 13 ? "th"
				 : n % 10 == 1 ? "st" : n % 10 == 2 ? "nd" : n % 10 == 3 ? "rd" : "th";
		printf("    defer %s() (%s; runs %lld%s of the goroutine's defers)\n", text(f->ds, 1),
		       text(f->ds, 2), n, th);
	}
	return err;
}

static int run(const char *cmd, int argc, char **argv, bool locals)
{
	struct frame_opts o;
	int rc = parse_frame(cmd, argc, argv, &o);
	if (rc)
		return rc < 0 ? CLI_OK : rc;
	o.locals = locals;
	struct frame_ctx f = {.o = &o};
	sqlite3_stmt *gs = NULL, *fs = NULL;
	bool row;
	struct util_error *err = cli_open_readonly(o.db_path, o.budget, &f.db);
	if (!err)
		err = cli_pick_incident(f.db, o.incident, &f.id);
	if (!err)
		err = cli_prepare(f.db, "goroutine", &gs);
	if (!err)
		err = cli_prepare(f.db, "goroutine_frames", &fs);
	if (!err)
		err = cli_prepare(f.db, "frame_contexts", &f.cs);
	if (!err)
		err = cli_prepare(f.db, "context_one", &f.one);
	if (!err)
		err = cli_prepare(f.db, "frame_waits", &f.ws);
	if (!err)
		err = cli_prepare(f.db, "frame_defers", &f.ds);
	if (err)
		goto out;
	sqlite3_bind_int64(gs, 1, f.id);
	sqlite3_bind_int64(gs, 2, o.goid);
	if ((err = cli_step(f.db, gs, "goroutine", &row)))
		goto out;
	if (!row) {
		err = util_error_create(UTIL_ERROR_NOT_FOUND, "incident %lld has no goroutine %lld",
					(long long)f.id, (long long)o.goid);
		goto out;
	}
	// With DEPTH, the header waits for the frame: no half output before an error.
	char ghead[256];
	snprintf(ghead, sizeof(ghead), "goroutine %lld [%s]:\n", (long long)o.goid,
		 col(gs, 2) ? col(gs, 2) : text(gs, 1));
	if (o.depth < 0)
		fputs(ghead, stdout);
	sqlite3_bind_int64(fs, 1, f.id);
	sqlite3_bind_int64(fs, 2, o.goid);
	int64_t frames = 0;
	while (!(err = cli_step(f.db, fs, "goroutine_frames", &row)) && row) {
		int64_t depth = sqlite3_column_int64(fs, 0);
		frames++;
		f.user_depth = sqlite3_column_type(fs, 7) == SQLITE_NULL ? 0 : sqlite3_column_int64(fs, 7);
		if (o.depth >= 0 && depth != o.depth)
			continue;
		if (o.depth >= 0)
			fputs(ghead, stdout);
		char head[1024];
		int n = snprintf(head, sizeof(head), "%3lld  0x%016llx in %s%s\n     at %s:%lld",
				 (long long)depth, (unsigned long long)sqlite3_column_int64(fs, 4),
				 text(fs, 1), sqlite3_column_int(fs, 6) ? " (inlined)" : "", text(fs, 2),
				 sqlite3_column_int64(fs, 3));
		if (n > 0 && (size_t)n < sizeof(head) && !sqlite3_column_int(fs, 6) &&
		    sqlite3_column_int64(fs, 5) > 0)
			snprintf(head + n, sizeof(head) - (size_t)n, " +0x%llx",
				 (unsigned long long)sqlite3_column_int64(fs, 5));
		if (!locals || o.depth >= 0)
			printf("%s\n", head);
		else // only the frames that have something
			snprintf(f.pending, sizeof(f.pending), "%s\n", head);
		if ((err = print_locals(&f, depth)))
			break;
		f.pending[0] = '\0';
	}
	if (err)
		goto out;
	if (o.depth >= frames) {
		err = util_error_create(UTIL_ERROR_NOT_FOUND,
					"goroutine %lld has %lld frames (0 to %lld), no frame %lld",
					(long long)o.goid, (long long)frames, (long long)frames - 1,
					(long long)o.depth);
		goto out;
	}
	if (locals && !f.any)
		printf("    (nothing decoded for %s)\n", o.depth >= 0 ? "this frame" : "its frames");
out:
	sqlite3_finalize(gs);
	sqlite3_finalize(fs);
	sqlite3_finalize(f.cs);
	sqlite3_finalize(f.one);
	sqlite3_finalize(f.ws);
	sqlite3_finalize(f.ds);
	store_close(f.db);
	return err ? cli_fail(err) : CLI_OK;
}

int cli_frame(int argc, char **argv)
{
	return run("frame", argc, argv, false);
}

int cli_locals(int argc, char **argv)
{
	return run("locals", argc, argv, true);
}
