// SPDX-License-Identifier: Apache-2.0
// graph.c: 'gocoroner graph' — an incident's context trees or wait-for graph
// as Graphviz DOT, findings marked; SVG through dot(1) when asked.
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "cli/cli.h"
#include "cli/ctxtree.h"
#include "store/store.h"

static const char graph_usage[] =
	"usage: gocoroner graph [--db FILE] [--incident N] --contexts|--waits [--svg]\n"
	"                       [--goid G] [--canceled] [--component C] [--limit N]\n"
	"                       [--all] [--budget N]\n"
	"\n"
	"Print a graph of the incident as Graphviz DOT on standard output; what a\n"
	"bounded graph left out is said on standard error.\n"
	"  --contexts   the context trees: an edge from each context to its parent;\n"
	"               canceled contexts red, broken links orange (dashed red edge\n"
	"               at the break), WithoutCancel under a canceled ancestor blue,\n"
	"               goroutines blocked holding a canceled context as red boxes.\n"
	"               Siblings whose subtrees look alike are one example node with\n"
	"               '+ N more like this' (double outline)\n"
	"  --waits      the wait-for graph: goroutines (boxes) to the channel or\n"
	"               primitive they wait on (ellipses), objects to the goroutines\n"
	"               that could wake them (dashed); stuck goroutines red, wait\n"
	"               cycles bold. Goroutines waiting on one object in one state are\n"
	"               one box (\"4000 goroutines\", an example and where it blocks)\n"
	"  --goid G     --contexts: only the contexts G holds and their ancestors;\n"
	"               --waits: only G's objects, or those of G's wait component\n"
	"  --canceled   --contexts: only the canceled contexts, the path to them and\n"
	"               what is under them\n"
	"  --component C  --waits: only the objects of wait component C\n"
	"               (wait_component.component_id; a cycle's is its cycle_id)\n"
	"  --limit N    --contexts: at most N contexts (default 200); --waits: the N\n"
	"               most waited-on objects (default 50); 0: all\n"
	"  --all        everything: no folding of like contexts, no --limit\n"
	"  --svg        render through dot -Tsvg (Graphviz must be installed)\n"
	"  --db FILE    database (default " CLI_DEFAULT_DB ")\n"
	"  --incident N incident id (default: the newest)\n"
	CLI_BUDGET_HELP("   ", "               ");

static const char *text(sqlite3_stmt *st, int col)
{
	const unsigned char *t = sqlite3_column_text(st, col);
	return t ? (const char *)t : NULL;
}

/* One wait row of graph_waits. */
struct wrow {
	uint64_t addr;
	int64_t goid, stack_id, component;
	const char *kind, *reason, *comp_kind; /* interned in the graph's string table */
	bool stuck;
};

/* Goroutines waiting on one object in one state (stuck or not, wait component): one node. */
struct wnode {
	size_t first, n;           /* rows[first .. first + n) */
	size_t obj;                /* index into objs */
	bool drawn;
};

struct wobj {
	uint64_t addr;
	const char *kind;
	size_t first_node, nnodes, waiters;
	bool selected;
};

struct wgraph {
	struct wrow *rows;
	size_t nrows, rows_cap;
	struct wnode *nodes;
	size_t nnodes, nodes_cap;
	struct wobj *objs;
	size_t nobjs, objs_cap;
	struct util_u64map node_of_goid; /* goid → its first node */
	struct util_strtab strings;
};

static int cmp_wrow(const void *a, const void *b)
{
	const struct wrow *x = a, *y = b;
	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	if (x->component != y->component)
		return x->component < y->component ? -1 : 1;
	if (x->stuck != y->stuck)
		return x->stuck ? -1 : 1;
	return x->goid < y->goid ? -1 : x->goid > y->goid;
}

static int cmp_obj_waiters(const void *a, const void *b)
{
	const struct wobj *x = *(const struct wobj *const *)a, *y = *(const struct wobj *const *)b;
	if (x->waiters != y->waiters)
		return x->waiters > y->waiters ? -1 : 1;
	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

static const char *intern(struct wgraph *w, const char *s)
{
	return s ? util_strtab_intern_cstr(&w->strings, s) : NULL;
}

/* Read the waits and fold them into objects and nodes. */
static struct util_error *wgraph_read(struct wgraph *w, struct store_db *db, int64_t id)
{
	sqlite3_stmt *st;
	bool row;
	struct util_error *err = cli_prepare(db, "graph_waits", &st);
	if (err)
		return err;
	sqlite3_bind_int64(st, 1, id);
	while (!(err = cli_step(db, st, "graph_waits", &row)) && row) {
		if ((err = util_grow((void **)&w->rows, w->nrows, &w->rows_cap, sizeof(*w->rows), 1024)))
			break;
		w->rows[w->nrows++] = (struct wrow){
			.addr = (uint64_t)sqlite3_column_int64(st, 0),
			.kind = intern(w, text(st, 1)),
			.goid = sqlite3_column_int64(st, 2),
			.stack_id = sqlite3_column_int64(st, 3),
			.reason = intern(w, text(st, 4)),
			.stuck = sqlite3_column_int(st, 5) != 0,
			.component = sqlite3_column_type(st, 6) == SQLITE_NULL ? 0 : sqlite3_column_int64(st, 6),
			.comp_kind = intern(w, text(st, 7)),
		};
	}
	sqlite3_finalize(st);
	if (err)
		return err;
	if (w->nrows > 1)
		qsort(w->rows, w->nrows, sizeof(*w->rows), cmp_wrow);
	for (size_t i = 0; i < w->nrows && !err; i++) {
		const struct wrow *r = &w->rows[i], *p = i ? &w->rows[i - 1] : NULL;
		if (!p || p->addr != r->addr) {
			if ((err = util_grow((void **)&w->objs, w->nobjs, &w->objs_cap, sizeof(*w->objs), 256)))
				break;
			w->objs[w->nobjs++] = (struct wobj){.addr = r->addr, .kind = r->kind,
							   .first_node = w->nnodes};
		}
		struct wobj *o = &w->objs[w->nobjs - 1];
		if (!p || p->addr != r->addr || p->component != r->component || p->stuck != r->stuck) {
			if ((err = util_grow((void **)&w->nodes, w->nnodes, &w->nodes_cap, sizeof(*w->nodes), 256)))
				break;
			w->nodes[w->nnodes++] = (struct wnode){.first = i, .obj = w->nobjs - 1};
			o->nnodes++;
		}
		w->nodes[w->nnodes - 1].n++;
		o->waiters++;
		if (!util_u64map_get(&w->node_of_goid, (uint64_t)r->goid, NULL))
			err = util_u64map_put(&w->node_of_goid, (uint64_t)r->goid, w->nnodes - 1);
	}
	return err;
}

/* Which objects to draw: --component, --goid, else all; the LIMIT most waited on. */
static size_t wgraph_select(struct wgraph *w, int64_t goid, int64_t component, size_t limit,
			    size_t *candidates)
{
	int64_t comp = component;
	if (goid) {
		uint64_t n;
		if (!util_u64map_get(&w->node_of_goid, (uint64_t)goid, &n))
			return *candidates = 0;
		comp = w->rows[w->nodes[n].first].component;
	}
	struct wobj **sel = malloc((w->nobjs + 1) * sizeof(*sel));
	if (!sel)
		return *candidates = 0;
	size_t ns = 0;
	for (size_t o = 0; o < w->nobjs; o++) {
		bool take = !goid && !component;
		for (size_t k = 0; k < w->objs[o].nnodes && !take; k++) {
			const struct wnode *nd = &w->nodes[w->objs[o].first_node + k];
			for (size_t i = nd->first; i < nd->first + nd->n && !take; i++)
				take = (comp && w->rows[i].component == comp) ||
				       (goid && w->rows[i].goid == goid);
		}
		if (take)
			sel[ns++] = &w->objs[o];
	}
	if (ns > 1)
		qsort(sel, ns, sizeof(*sel), cmp_obj_waiters);
	*candidates = ns;
	size_t n = limit && ns > limit ? limit : ns;
	for (size_t i = 0; i < n; i++)
		sel[i]->selected = true;
	free(sel);
	return n;
}

/* "\nfunc:line" where stack STACK_ID blocks, outside the runtime (empty if unknown). */
static void stack_where(struct store_db *db, int64_t id, int64_t stack_id, char *buf, size_t size)
{
	sqlite3_stmt *st;
	*buf = '\0';
	struct util_error *err = cli_prepare(db, "graph_stack_frame", &st);
	if (!err) {
		sqlite3_bind_int64(st, 1, id);
		sqlite3_bind_int64(st, 2, stack_id);
		bool row = false;
		err = cli_step(db, st, "graph_stack_frame", &row);
		if (!err && row)
			snprintf(buf, size, "\n%s:%lld", text(st, 0) ? text(st, 0) : "?",
				 (long long)sqlite3_column_int64(st, 1));
		sqlite3_finalize(st);
	}
	util_error_destroy(err); // a label without its frame is still a label
}

static void draw_node(FILE *out, struct store_db *db, int64_t id, struct wgraph *w, size_t ni)
{
	struct wnode *nd = &w->nodes[ni];
	if (nd->drawn)
		return;
	nd->drawn = true;
	const struct wrow *r = &w->rows[nd->first];
	char where[300];
	stack_where(db, id, r->stack_id, where, sizeof(where));
	char label[512];
	if (nd->n == 1)
		snprintf(label, sizeof(label), "goroutine %lld [%s]%s", (long long)r->goid,
			 r->reason ? r->reason : "?", where);
	else
		snprintf(label, sizeof(label), "%zu goroutines [%s]%s\ne.g. goroutine %lld", nd->n,
			 r->reason ? r->reason : "?", where, (long long)r->goid);
	fprintf(out, "  n%zu [shape=box, label=", ni);
	ctx_dot_string(out, label);
	if (r->stuck)
		fputs(", color=red, style=filled, fillcolor=\"#f4a6a6\"", out);
	if (r->comp_kind && strcmp(r->comp_kind, "cycle") == 0)
		fputs(", penwidth=3", out);
	fputs("];\n", out);
}

static struct util_error *graph_waits(FILE *out, struct store_db *db, int64_t id, int64_t goid,
				      int64_t component, size_t limit)
{
	struct wgraph w = {0};
	util_u64map_init(&w.node_of_goid);
	util_strtab_init(&w.strings);
	struct util_error *err = wgraph_read(&w, db, id);
	size_t candidates = 0, drawn = 0;
	if (!err)
		drawn = wgraph_select(&w, goid, component, limit, &candidates);
	if (!err && !candidates && goid)
		err = util_error_create(UTIL_ERROR_NOT_FOUND,
					"incident %lld: goroutine %lld waits on no channel or primitive",
					(long long)id, (long long)goid);
	else if (!err && !candidates && component)
		err = util_error_create(UTIL_ERROR_NOT_FOUND,
					"incident %lld has no wait component %lld (wait_component)",
					(long long)id, (long long)component);
	if (err)
		goto out;
	fprintf(out, "digraph waits {\n  node [fontsize=10];\n");
	if (drawn < candidates) {
		char label[200];
		snprintf(label, sizeof(label),
			 "the %zu most waited-on objects of %zu (--limit 0 draws all; --goid, --component narrow it)",
			 drawn, candidates);
		fputs("  labelloc=t;\n  label=", out);
		ctx_dot_string(out, label);
		fputs(";\n", out);
	}
	for (size_t o = 0; o < w.nobjs; o++) {
		const struct wobj *ob = &w.objs[o];
		if (!ob->selected)
			continue;
		char label[256];
		snprintf(label, sizeof(label), "%s\n%#llx\n%zu %s", ob->kind ? ob->kind : "?",
			 (unsigned long long)ob->addr, ob->waiters, ob->waiters == 1 ? "waiter" : "waiters");
		fprintf(out, "  o%llx [shape=ellipse, label=", (unsigned long long)ob->addr);
		ctx_dot_string(out, label);
		fputs("];\n", out);
		for (size_t k = 0; k < ob->nnodes; k++) {
			size_t ni = ob->first_node + k;
			draw_node(out, db, id, &w, ni);
			const struct wrow *r = &w.rows[w.nodes[ni].first];
			bool cycle = r->comp_kind && strcmp(r->comp_kind, "cycle") == 0;
			fprintf(out, "  n%zu -> o%llx [", ni, (unsigned long long)ob->addr);
			if (w.nodes[ni].n > 1)
				fprintf(out, "label=\"%zu\"%s", w.nodes[ni].n, cycle ? ", " : "");
			fprintf(out, "%s];\n", cycle ? "penwidth=3" : "");
		}
	}
	// Who could wake the waiters of each drawn object: a node's goroutines
	// counted once per object.
	sqlite3_stmt *st;
	err = cli_prepare(db, "graph_wakers", &st);
	if (err)
		goto out;
	sqlite3_bind_int64(st, 1, id);
	uint64_t last_obj = 0;
	size_t last_node = SIZE_MAX;
	bool row;
	while (!(err = cli_step(db, st, "graph_wakers", &row)) && row) {
		uint64_t a = (uint64_t)sqlite3_column_int64(st, 0), n;
		int64_t g = sqlite3_column_int64(st, 1);
		bool selected = false;
		// The objects are sorted by address: find this one.
		size_t lo = 0, hi = w.nobjs;
		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;
			if (w.objs[mid].addr < a)
				lo = mid + 1;
			else
				hi = mid;
		}
		selected = lo < w.nobjs && w.objs[lo].addr == a && w.objs[lo].selected;
		if (!selected)
			continue;
		if (!util_u64map_get(&w.node_of_goid, (uint64_t)g, &n)) {
			// A goroutine that waits on nothing drawn: it can run. Its
			// state and function, so the box says who it is.
			char where[300], label[400];
			if (sqlite3_column_type(st, 3) != SQLITE_NULL)
				stack_where(db, id, sqlite3_column_int64(st, 3), where, sizeof(where));
			else
				*where = '\0';
			snprintf(label, sizeof(label), "goroutine %lld [%s]%s", (long long)g,
				 text(st, 2) ? text(st, 2) : "?", where);
			fprintf(out, "  g%lld [shape=box, style=dashed, label=", (long long)g);
			ctx_dot_string(out, label);
			fputs("];\n", out);
			fprintf(out, "  o%llx -> g%lld [style=dashed, label=\"reached by\"];\n",
				(unsigned long long)a, (long long)g);
			continue;
		}
		if (a == last_obj && n == last_node)
			continue;
		last_obj = a, last_node = (size_t)n;
		draw_node(out, db, id, &w, (size_t)n);
		fprintf(out, "  o%llx -> n%zu [style=dashed, label=\"reached by\"];\n",
			(unsigned long long)a, (size_t)n);
	}
	sqlite3_finalize(st);
	if (!err)
		fputs("}\n", out);
out:
	free(w.rows);
	free(w.nodes);
	free(w.objs);
	util_u64map_deinit(&w.node_of_goid);
	util_strtab_deinit(&w.strings);
	return err;
}

int cli_graph(int argc, char **argv)
{
	static const struct option opts[] = {
		{"db", required_argument, NULL, 'd'},
		{"incident", required_argument, NULL, 'i'},
		{"contexts", no_argument, NULL, 'c'},
		{"waits", no_argument, NULL, 'w'},
		{"svg", no_argument, NULL, 's'},
		{"goid", required_argument, NULL, 'g'},
		{"component", required_argument, NULL, 'C'},
		{"limit", required_argument, NULL, 'l'},
		{"canceled", no_argument, NULL, 'x'},
		{"all", no_argument, NULL, 'a'},
		{"budget", required_argument, NULL, 'B'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	const char *db_path = CLI_DEFAULT_DB;
	uint64_t budget = STORE_BUDGET_DEFAULT;
	int64_t incident = 0;
	int kind = 0;
	bool svg = false, canceled = false, all = false, limit_given = false;
	int64_t goid = 0, component = 0, limit = 0;
	int c;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":d:i:h", opts, NULL)) != -1) {
		switch (c) {
		case 'd': db_path = optarg; break;
		case 'i':
			if (cli_parse_incident("graph", optarg, &incident))
				return CLI_USAGE;
			break;
		case 'c':
		case 'w':
			if (kind && kind != c) {
				fprintf(stderr, "gocoroner graph: give --contexts or --waits, not both\n");
				return CLI_USAGE;
			}
			kind = c;
			break;
		case 's': svg = true; break;
		case 'x': canceled = true; break;
		case 'a': all = true; break;
		case 'B':
			if (cli_parse_budget("graph", optarg, &budget))
				return CLI_USAGE;
			break;
		case 'g':
		case 'C':
		case 'l': {
			char *end;
			errno = 0;
			long long v = strtoll(optarg, &end, 10);
			if (errno || *end || end == optarg || v < 0 || (c != 'l' && v == 0)) {
				fprintf(stderr, "gocoroner graph: --%s takes a %s number, not '%s'\n",
					c == 'g' ? "goid" : c == 'C' ? "component" : "limit",
					c == 'l' ? "whole" : "positive", optarg);
				return CLI_USAGE;
			}
			*(c == 'g' ? &goid : c == 'C' ? &component : &limit) = v;
			limit_given |= c == 'l';
			break;
		}
		case 'h': fputs(graph_usage, stdout); return CLI_OK;
		case ':':
			fprintf(stderr, "gocoroner graph: %s needs a value; see 'gocoroner graph --help'\n",
				argv[optind - 1]);
			return CLI_USAGE;
		default: return cli_bad_option("graph", argv);
		}
	}
	if (optind != argc) {
		fprintf(stderr, "gocoroner graph: unexpected argument '%s'; see 'gocoroner graph --help'\n",
			argv[optind]);
		return CLI_USAGE;
	}
	if (!kind) {
		fprintf(stderr, "gocoroner graph: give --contexts or --waits; see 'gocoroner graph --help'\n");
		return CLI_USAGE;
	}
	if (kind == 'c' && component) {
		fprintf(stderr, "gocoroner graph: --component goes with --waits, not --contexts\n");
		return CLI_USAGE;
	}
	if (kind == 'w' && canceled) {
		fprintf(stderr, "gocoroner graph: --canceled goes with --contexts, not --waits\n");
		return CLI_USAGE;
	}
	if (!limit_given)
		limit = all ? 0 : kind == 'c' ? 200 : 50;
	struct store_db *db = NULL;
	int64_t id = 0;
	FILE *out = stdout, *pipe = NULL;
	struct util_error *err = cli_open_readonly(db_path, budget, &db);
	if (!err)
		err = cli_pick_incident(db, incident, &id);
	if (err)
		goto out;
	if (svg) {
		if (system("command -v dot >/dev/null 2>&1") != 0) {
			err = util_error_create(UTIL_ERROR_NOT_FOUND,
						"--svg needs Graphviz's dot, which is not installed; drop --svg for DOT text");
			goto out;
		}
		fflush(stdout);
		pipe = popen("dot -Tsvg", "w");
		if (!pipe) {
			err = util_error_os(errno, "dot", "cannot start");
			goto out;
		}
		out = pipe;
	}
	if (kind == 'c') {
		struct ctx_graph_options o = {.goid = goid ? goid : -1, .canceled = canceled,
					      .all = all, .limit = (size_t)limit};
		err = ctx_graph(out, db, id, &o);
	} else {
		err = graph_waits(out, db, id, goid, component, (size_t)limit);
	}
out:
	if (pipe) {
		int st = pclose(pipe);
		if (!err && (st == -1 || !WIFEXITED(st) || WEXITSTATUS(st) != 0))
			err = util_error_create(UTIL_ERROR_LIB, "dot -Tsvg failed");
	}
	store_close(db);
	return err ? cli_fail(err) : CLI_OK;
}
