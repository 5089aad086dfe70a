// graph.c: 'gocoroner graph' — an incident's context trees or wait-for graph
// as Graphviz DOT, findings marked; SVG through dot(1) when asked.
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "cli/cli.h"
#include "store/store.h"

static const char graph_usage[] =
	"usage: gocoroner graph [--db FILE] [--incident N] --contexts|--waits [--svg]\n"
	"                       [--budget N]\n"
	"\n"
	"Print a graph of the incident as Graphviz DOT on standard output.\n"
	"  --contexts   the context trees: an edge from each context to its parent;\n"
	"               canceled contexts red, broken links orange (dashed red edge\n"
	"               at the break), WithoutCancel under a canceled ancestor blue,\n"
	"               goroutines blocked holding a canceled context as red boxes\n"
	"  --waits      the wait-for graph: goroutines (boxes) to the channel or\n"
	"               primitive they wait on (ellipses), objects to the goroutines\n"
	"               that could wake them (dashed); leak suspects red, wait cycles bold\n"
	"  --svg        render through dot -Tsvg (Graphviz must be installed)\n"
	"  --db FILE    database (default " CLI_DEFAULT_DB ")\n"
	"  --incident N incident id (default: the newest)\n"
	CLI_BUDGET_HELP("   ", "               ");

/* A DOT string: quotes and backslashes escaped. */
static void dot_string(FILE *out, const char *s)
{
	fputc('"', out);
	for (; s && *s; s++) {
		if (*s == '"' || *s == '\\')
			fputc('\\', out);
		if (*s == '\n') {
			fputs("\\n", out);
			continue;
		}
		fputc(*s, out);
	}
	fputc('"', out);
}

static const char *text(sqlite3_stmt *st, int col)
{
	const unsigned char *t = sqlite3_column_text(st, col);
	return t ? (const char *)t : NULL;
}

static struct util_error *graph_contexts(FILE *out, struct store_db *db, int64_t id)
{
	sqlite3_stmt *st;
	bool row;
	struct util_error *err = cli_prepare(db, "graph_contexts", &st);
	if (err)
		return err;
	sqlite3_bind_int64(st, 1, id);
	fprintf(out, "digraph contexts {\n  rankdir=BT;\n  node [shape=ellipse, fontsize=10];\n");
	char label[512];
	while (!(err = cli_step(db, st, "graph_contexts", &row)) && row) {
		unsigned long long a = (unsigned long long)sqlite3_column_int64(st, 0);
		const char *kind = text(st, 1), *type = text(st, 2), *err_text = text(st, 5);
		bool canceled = sqlite3_column_type(st, 4) != SQLITE_NULL && sqlite3_column_int(st, 4);
		bool broken = sqlite3_column_type(st, 8) != SQLITE_NULL;
		bool detached = sqlite3_column_int(st, 10);
		snprintf(label, sizeof(label), "%#llx\n%s%s%s%s%s%s%s", a,
			 kind && strcmp(kind, "user") == 0 && type ? type : kind ? kind : "?",
			 text(st, 6) ? "\n" : "", text(st, 6) ? text(st, 6) : "",
			 text(st, 6) ? "=" : "", text(st, 6) && text(st, 7) ? text(st, 7) : "",
			 canceled ? "\nCANCELED: " : "", canceled && err_text ? err_text : "");
		fprintf(out, "  c%llx [label=", a);
		dot_string(out, label);
		if (canceled)
			fputs(", style=filled, fillcolor=\"#f4a6a6\"", out);
		else if (broken)
			fputs(", style=filled, fillcolor=\"#f8c471\", xlabel=\"broken link\"", out);
		else if (detached)
			fputs(", style=filled, fillcolor=\"#aed6f1\", xlabel=\"detached\"", out);
		fputs("];\n", out);
		if (sqlite3_column_type(st, 3) != SQLITE_NULL) {
			unsigned long long p = (unsigned long long)sqlite3_column_int64(st, 3);
			fprintf(out, "  c%llx -> c%llx;\n", a, p);
		}
		if (broken)
			fprintf(out, "  c%llx -> c%llx [style=dashed, color=red, constraint=false, label=\"break\"];\n",
				a, (unsigned long long)sqlite3_column_int64(st, 8));
	}
	sqlite3_finalize(st);
	if (err)
		return err;
	err = cli_prepare(db, "graph_context_holders", &st);
	if (err)
		return err;
	sqlite3_bind_int64(st, 1, id);
	while (!(err = cli_step(db, st, "graph_context_holders", &row)) && row) {
		long long g = sqlite3_column_int64(st, 0);
		snprintf(label, sizeof(label), "goroutine %lld\n[%s]\n%s:%s", g,
			 text(st, 1) ? text(st, 1) : "?", text(st, 3) ? text(st, 3) : "?",
			 text(st, 4) ? text(st, 4) : "?");
		fprintf(out, "  g%lld [shape=box, color=red, label=", g);
		dot_string(out, label);
		fprintf(out, "];\n  g%lld -> c%llx [color=red, label=\"holds\"];\n", g,
			(unsigned long long)sqlite3_column_int64(st, 2));
	}
	sqlite3_finalize(st);
	if (!err)
		fputs("}\n", out);
	return err;
}

static struct util_error *graph_waits(FILE *out, struct store_db *db, int64_t id)
{
	sqlite3_stmt *st;
	bool row;
	struct util_error *err = cli_prepare(db, "graph_waits", &st);
	if (err)
		return err;
	sqlite3_bind_int64(st, 1, id);
	fprintf(out, "digraph waits {\n  node [fontsize=10];\n");
	char label[256];
	unsigned long long last = 0;
	bool have_last = false;
	while (!(err = cli_step(db, st, "graph_waits", &row)) && row) {
		long long g = sqlite3_column_int64(st, 0);
		unsigned long long a = (unsigned long long)sqlite3_column_int64(st, 2);
		bool leak = sqlite3_column_int(st, 5), cycle = sqlite3_column_int(st, 6);
		if (!have_last || a != last) {
			snprintf(label, sizeof(label), "%s\n%#llx", text(st, 1) ? text(st, 1) : "?", a);
			fprintf(out, "  o%llx [shape=ellipse, label=", a);
			dot_string(out, label);
			fputs("];\n", out);
			last = a, have_last = true;
		}
		snprintf(label, sizeof(label), "goroutine %lld\n[%s]", g, text(st, 3) ? text(st, 3) : "?");
		fprintf(out, "  g%lld [shape=box, label=", g);
		dot_string(out, label);
		if (leak)
			fputs(", color=red, style=filled, fillcolor=\"#f4a6a6\"", out);
		if (cycle)
			fputs(", penwidth=3", out);
		fprintf(out, "];\n  g%lld -> o%llx%s;\n", g, a, cycle ? " [penwidth=3]" : "");
	}
	sqlite3_finalize(st);
	if (err)
		return err;
	err = cli_prepare(db, "graph_wakers", &st);
	if (err)
		return err;
	sqlite3_bind_int64(st, 1, id);
	while (!(err = cli_step(db, st, "graph_wakers", &row)) && row)
		fprintf(out, "  o%llx -> g%lld [style=dashed, label=\"reached by\"];\n",
			(unsigned long long)sqlite3_column_int64(st, 0),
			(long long)sqlite3_column_int64(st, 1));
	sqlite3_finalize(st);
	if (!err)
		fputs("}\n", out);
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
		{"budget", required_argument, NULL, 'B'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	const char *db_path = CLI_DEFAULT_DB;
	uint64_t budget = STORE_BUDGET_DEFAULT;
	int64_t incident = 0;
	int kind = 0;
	bool svg = false;
	int c;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "d:i:h", opts, NULL)) != -1) {
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
		case 'B':
			if (cli_parse_budget("graph", optarg, &budget))
				return CLI_USAGE;
			break;
		case 'h': fputs(graph_usage, stdout); return CLI_OK;
		default:
			fprintf(stderr, "gocoroner graph: bad arguments; see 'gocoroner graph --help' (usage)\n");
			return CLI_USAGE;
		}
	}
	if (optind != argc || !kind) {
		fprintf(stderr, "gocoroner graph: give --contexts or --waits; see 'gocoroner graph --help' (usage)\n");
		return CLI_USAGE;
	}
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
	err = kind == 'c' ? graph_contexts(out, db, id) : graph_waits(out, db, id);
out:
	if (pipe) {
		int st = pclose(pipe);
		if (!err && (st == -1 || !WIFEXITED(st) || WEXITSTATUS(st) != 0))
			err = util_error_create(UTIL_ERROR_LIB, "dot -Tsvg failed");
	}
	store_close(db);
	return err ? cli_fail(err) : CLI_OK;
}
