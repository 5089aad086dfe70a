// contexts.c: 'gocoroner contexts' — an incident's context.Context trees,
// canceled nodes marked, each node with the goroutines that hold it.
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "store/store.h"

enum { MAX_DEPTH = 256 };

struct node {
	int64_t addr, parent;
	char *kind, *type, *err, *cause, *key, *value;
	char *found;           /* "package variable main.current"...: where, when no frame holds it */
	int canceled;          /* 1, 0, -1 unknown */
	int timer_pending;     /* 1, 0, -1 n/a */
	bool has_deadline;
	int64_t deadline;
	size_t first_child, next_sibling; /* indexes + 1, 0 = none */
	bool has_parent;       /* parent is among the nodes */
	bool shown;            /* --goid: on a path to a held context */
	char *holders;         /* "goroutine 19 (main.epoll ctx, main.conn ctx +3 frames), ..." */
	int64_t last_goid;     /* holder being built: its goroutine, frames listed, frames more */
	int last_frames, more_frames;
};

static char *dup_col(sqlite3_stmt *st, int i)
{
	const unsigned char *t = sqlite3_column_text(st, i);
	return t ? strdup((const char *)t) : NULL;
}

static int cmp_addr(const void *a, const void *b)
{
	int64_t x = ((const struct node *)a)->addr, y = ((const struct node *)b)->addr;
	return x < y ? -1 : x > y;
}

static struct node *find(struct node *v, size_t n, int64_t addr)
{
	struct node key = {.addr = addr};
	return bsearch(&key, v, n, sizeof(*v), cmp_addr);
}

static void append_raw(char **s, const char *piece)
{
	size_t a = *s ? strlen(*s) : 0, b = strlen(piece);
	char *n = realloc(*s, a + b + 1);
	if (!n)
		return;
	memcpy(n + a, piece, b + 1);
	*s = n;
}

static void append(char **s, const char *piece)
{
	size_t a = *s ? strlen(*s) : 0, b = strlen(piece);
	char *n = realloc(*s, a + b + 3);
	if (!n)
		return;
	if (a)
		memcpy(n + a, ", ", 2), a += 2;
	memcpy(n + a, piece, b + 1);
	*s = n;
}

/* Close the holder entry being built ("+N frames)"). */
static void close_holder(struct node *x)
{
	if (x->last_goid < 0)
		return;
	char tail[32] = "";
	if (x->more_frames)
		snprintf(tail, sizeof(tail), " +%d frame%s", x->more_frames, x->more_frames > 1 ? "s" : "");
	if (x->last_frames || x->more_frames)
		append_raw(&x->holders, tail), append_raw(&x->holders, ")");
	x->last_goid = -1;
}

static void print_node(const struct node *v, size_t i, int depth)
{
	const struct node *n = &v[i];
	printf("%*s%#llx %s", 2 * depth, "", (unsigned long long)n->addr, n->kind);
	if (n->type && strcmp(n->kind, "user") == 0)
		printf(" %s", n->type);
	if (n->key)
		printf(" %s=%s", n->key, n->value ? n->value : "?");
	if (n->has_deadline) {
		time_t secs = (time_t)(n->deadline / 1000000000);
		struct tm tm;
		char buf[32];
		gmtime_r(&secs, &tm);
		strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
		printf(" deadline %s%s", buf, n->timer_pending == 1 ? " (timer pending)" : "");
	}
	if (n->canceled == 1) {
		printf("  CANCELED");
		if (n->err)
			printf(" (%s", n->err);
		if (n->cause && (!n->err || strcmp(n->cause, n->err) != 0))
			printf("%scause: %s", n->err ? "; " : " (", n->cause);
		if (n->err || n->cause)
			printf(")");
	} else if (n->canceled < 0) {
		printf("  (cancellation unknown: user type)");
	}
	if (n->holders)
		printf("  <- %s", n->holders);
	else if (n->found)
		printf("  (in %s)", n->found);
	printf("\n");
}

static void print_tree(const struct node *v, size_t i, int depth, bool only_shown)
{
	if (depth > MAX_DEPTH)
		return;
	if (only_shown && !v[i].shown)
		return;
	print_node(v, i, depth);
	for (size_t c = v[i].first_child; c; c = v[c - 1].next_sibling)
		print_tree(v, c - 1, depth + 1, only_shown);
}

static const char contexts_usage[] =
	"usage: gocoroner contexts [--db FILE] [--incident N] [--goid G] [--budget N]\n"
	"\n"
	"Print the incident's context.Context trees, one context a line, children\n"
	"indented under their parent: kind, value, deadline, CANCELED with the error\n"
	"and cause, and the goroutines holding it (goroutine, frame, variable) or,\n"
	"when no frame does, where it was found (a package variable, a map, a\n"
	"channel's buffer, a heap object reached from one).\n"
	"\n"
	"  --db FILE      database (default " CLI_DEFAULT_DB ")\n"
	"  --incident N   incident id (default: the newest)\n"
	"  --goid G       only the contexts goroutine G holds, with their ancestors\n"
	CLI_BUDGET_HELP("     ", "                 ");

int cli_contexts(int argc, char **argv)
{
	static const struct option opts[] = {
		{"db", required_argument, NULL, 'd'},
		{"incident", required_argument, NULL, 'i'},
		{"goid", required_argument, NULL, 'g'},
		{"budget", required_argument, NULL, 'B'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	const char *db_path = CLI_DEFAULT_DB;
	uint64_t budget = STORE_BUDGET_DEFAULT;
	int64_t incident = 0, goid = -1;
	int c;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "d:i:g:h", opts, NULL)) != -1) {
		char *end;
		switch (c) {
		case 'd': db_path = optarg; break;
		case 'i':
		case 'g': {
			long long v = strtoll(optarg, &end, 10);
			if (*end || v < 0 || (c == 'i' && v == 0)) {
				fprintf(stderr, "gocoroner contexts: --%s takes a number, not '%s'\n",
					c == 'i' ? "incident" : "goid", optarg);
				return CLI_USAGE;
			}
			if (c == 'i')
				incident = v;
			else
				goid = v;
			break;
		}
		case 'B':
			if (cli_parse_budget("contexts", optarg, &budget))
				return CLI_USAGE;
			break;
		case 'h': fputs(contexts_usage, stdout); return CLI_OK;
		default:
			fprintf(stderr, "gocoroner contexts: bad arguments; see 'gocoroner contexts --help' (usage)\n");
			return CLI_USAGE;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "gocoroner contexts: bad arguments; see 'gocoroner contexts --help' (usage)\n");
		return CLI_USAGE;
	}
	struct store_db *db = NULL;
	sqlite3_stmt *cs = NULL, *hs = NULL;
	struct node *v = NULL;
	size_t n = 0, cap = 0;
	int64_t id = 0;
	struct util_error *err = cli_open_readonly(db_path, budget, &db);
	if (!err)
		err = cli_pick_incident(db, incident, &id);
	if (!err)
		err = cli_prepare(db, "contexts", &cs);
	if (!err)
		err = cli_prepare(db, "context_holders", &hs);
	if (err)
		goto out;
	sqlite3_bind_int64(cs, 1, id);
	bool row;
	while (!(err = cli_step(db, cs, "contexts", &row)) && row) {
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			struct node *nv = realloc(v, cap * sizeof(*nv));
			if (!nv) {
				err = &util_enomem;
				goto out;
			}
			v = nv;
		}
		struct node *x = &v[n++];
		memset(x, 0, sizeof(*x));
		x->addr = sqlite3_column_int64(cs, 0);
		x->kind = dup_col(cs, 1);
		x->type = dup_col(cs, 2);
		x->parent = sqlite3_column_type(cs, 3) == SQLITE_NULL ? 0 : sqlite3_column_int64(cs, 3);
		x->canceled = sqlite3_column_type(cs, 4) == SQLITE_NULL ? -1 : sqlite3_column_int(cs, 4);
		x->err = dup_col(cs, 5);
		x->cause = dup_col(cs, 6);
		x->has_deadline = sqlite3_column_type(cs, 7) != SQLITE_NULL;
		x->deadline = sqlite3_column_int64(cs, 7);
		x->key = dup_col(cs, 8);
		x->value = dup_col(cs, 9);
		x->timer_pending = sqlite3_column_type(cs, 10) == SQLITE_NULL ? -1 : sqlite3_column_int(cs, 10);
		x->found = dup_col(cs, 12);
		x->last_goid = -1;
		if (!x->kind)
			x->kind = strdup("?");
	}
	if (err)
		goto out;
	if (n == 0) {
		printf("incident %lld: no contexts found\n", (long long)id);
		goto out;
	}
	qsort(v, n, sizeof(*v), cmp_addr);
	// Holders, and with --goid the contexts to show.
	sqlite3_bind_int64(hs, 1, id);
	while (!(err = cli_step(db, hs, "context_holders", &row)) && row) {
		struct node *x = find(v, n, sqlite3_column_int64(hs, 0));
		if (!x)
			continue;
		char piece[512];
		const char *fn = (const char *)sqlite3_column_text(hs, 2);
		const char *var = (const char *)sqlite3_column_text(hs, 3);
		int64_t g = sqlite3_column_int64(hs, 1);
		// One entry per goroutine: its innermost two holding frames, then
		// how many more (rows come by goroutine, innermost frame first).
		if (g != x->last_goid) {
			close_holder(x);
			snprintf(piece, sizeof(piece), "goroutine %lld", (long long)g);
			append(&x->holders, piece);
			x->last_goid = g;
			x->last_frames = x->more_frames = 0;
		}
		const char *ev = (const char *)sqlite3_column_text(hs, 5);
		bool unverified = ev && strstr(ev, "-unverified");
		if (fn && x->last_frames < 2) {
			snprintf(piece, sizeof(piece), "%s%s%s%s%s", x->last_frames ? ", " : " (", fn,
				 var ? " " : "", var ? var : "", unverified ? " unverified" : "");
			append_raw(&x->holders, piece);
			x->last_frames++;
		} else if (fn) {
			x->more_frames++;
		}
		if (goid >= 0 && g == goid) {
			// Mark the context and its ancestors, bounded against loops.
			for (int steps = 0; x && !x->shown && steps < MAX_DEPTH; steps++) {
				x->shown = true;
				x = x->parent ? find(v, n, x->parent) : NULL;
			}
		}
	}
	if (err)
		goto out;
	for (size_t i = 0; i < n; i++)
		close_holder(&v[i]);
	// Link children under parents, keeping address order among siblings.
	for (size_t i = n; i-- > 0;) {
		struct node *p = v[i].parent ? find(v, n, v[i].parent) : NULL;
		if (p && p != &v[i]) {
			v[i].has_parent = true;
			v[i].next_sibling = p->first_child;
			p->first_child = i + 1;
		}
	}
	size_t printed_roots = 0;
	for (size_t i = 0; i < n; i++) {
		if (v[i].has_parent)
			continue;
		if (goid >= 0 && !v[i].shown)
			continue;
		print_tree(v, i, 0, goid >= 0);
		printed_roots++;
	}
	if (goid >= 0 && printed_roots == 0)
		printf("goroutine %lld holds no context that was found\n", (long long)goid);
out:
	for (size_t i = 0; i < n; i++) {
		free(v[i].kind), free(v[i].type), free(v[i].err), free(v[i].cause);
		free(v[i].key), free(v[i].value), free(v[i].holders), free(v[i].found);
	}
	free(v);
	sqlite3_finalize(cs);
	sqlite3_finalize(hs);
	store_close(db);
	return err ? cli_fail(err) : CLI_OK;
}
