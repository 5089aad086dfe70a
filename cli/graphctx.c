// SPDX-License-Identifier: Apache-2.0
// graphctx.c: 'gocoroner graph --contexts' — the context trees as DOT, like siblings folded into one node.
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/ctxtree.h"
#include "store/store.h"

void ctx_dot_string(FILE *out, const char *s)
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

/* Broken links, detached contexts and blocked holders onto the trees, before
 * their shapes are taken: a marked context is never folded with unmarked ones. */
static struct util_error *read_marks(struct ctx_tree *t, struct store_db *db, int64_t id)
{
	sqlite3_stmt *st;
	bool row;
	struct util_error *err = cli_prepare(db, "graph_context_marks", &st);
	if (err)
		return err;
	sqlite3_bind_int64(st, 1, id);
	while (!(err = cli_step(db, st, "graph_context_marks", &row)) && row) {
		struct ctx_node *x = ctx_tree_find(t, sqlite3_column_int64(st, 0));
		const char *what = text(st, 2);
		if (!x || !what)
			continue;
		if (strcmp(what, "broken") == 0) {
			x->broken = true;
			x->break_addr = sqlite3_column_int64(st, 1);
		} else {
			x->detached = true;
		}
	}
	sqlite3_finalize(st);
	if (err)
		return err;
	if ((err = cli_prepare(db, "graph_context_holders", &st)))
		return err;
	sqlite3_bind_int64(st, 1, id);
	while (!(err = cli_step(db, st, "graph_context_holders", &row)) && row) {
		struct ctx_node *x = ctx_tree_find(t, sqlite3_column_int64(st, 2));
		if (x)
			x->blocked = true;
	}
	sqlite3_finalize(st);
	return err;
}

struct draw {
	FILE *out;
	struct ctx_tree *t;
	const struct ctx_graph_options *o;
	bool *drawn;
	size_t count, folded;
	bool stopped;
};

static void draw_node(struct draw *d, const struct ctx_node *x, const struct ctx_item *it)
{
	char label[640], more[160] = "";
	if (it->folded) {
		char a[32], b[32];
		snprintf(more, sizeof(more), "\n+ %s more like this (%s context%s)",
			 ctx_count(it->folded, a), ctx_count(it->folded_size, b),
			 it->folded_size > 1 ? "s" : "");
	}
	const char *what = strcmp(x->kind, "user") == 0 && x->type ? x->type : x->kind;
	snprintf(label, sizeof(label), "%#llx\n%s%s%s%s%s%s%s%s", (unsigned long long)x->addr, what,
		 x->key ? "\n" : "", x->key ? x->key : "", x->key ? "=" : "",
		 x->key && x->value ? x->value : "", x->canceled == 1 ? "\nCANCELED: " : "",
		 x->canceled == 1 && x->err ? x->err : "", more);
	fprintf(d->out, "  c%llx [label=", (unsigned long long)x->addr);
	ctx_dot_string(d->out, label);
	if (x->canceled == 1)
		fputs(", style=filled, fillcolor=\"#f4a6a6\"", d->out);
	else if (x->broken)
		fputs(", style=filled, fillcolor=\"#f8c471\", xlabel=\"broken link\"", d->out);
	else if (x->detached)
		fputs(", style=filled, fillcolor=\"#aed6f1\", xlabel=\"detached\"", d->out);
	if (it->folded)
		fputs(", peripheries=2", d->out);
	fputs("];\n", d->out);
	if (x->up != CTX_NONE)
		fprintf(d->out, "  c%llx -> c%llx;\n", (unsigned long long)x->addr,
			(unsigned long long)x->parent);
}

/* Draw the visible children of PARENT, one example a shape. */
static struct util_error *draw_list(struct draw *d, uint32_t parent, int depth)
{
	struct ctx_item *items;
	size_t n;
	struct util_error *err = ctx_tree_siblings(d->t, parent, d->o->all ? 0 : 1, true, &items, &n);
	for (size_t k = 0; k < n && !err && !d->stopped; k++) {
		if (d->o->limit && d->count >= d->o->limit) {
			d->stopped = true;
			break;
		}
		const struct ctx_node *x = &d->t->v[items[k].node];
		draw_node(d, x, &items[k]);
		d->drawn[items[k].node] = true;
		d->count++;
		d->folded += items[k].folded_size;
		if (x->size > 1 && depth + 1 < CTX_MAX_DEPTH)
			err = draw_list(d, items[k].node, depth + 1);
	}
	free(items);
	return err;
}

struct util_error *ctx_graph(FILE *out, struct store_db *db, int64_t id,
			     const struct ctx_graph_options *o)
{
	struct ctx_tree t;
	ctx_tree_init(&t);
	struct draw d = {.out = out, .t = &t, .o = o};
	sqlite3_stmt *st = NULL;
	// The graph draws no holder: it needs them only to find G's contexts
	// (the holders read are half the time on 430,000 contexts).
	struct util_error *err = ctx_tree_load(&t, db, id, o->goid, o->goid >= 0);
	if (!err)
		err = read_marks(&t, db, id);
	if (err)
		goto out;
	ctx_tree_select(&t, o->goid, o->canceled);
	size_t total = 0;
	for (size_t i = 0; i < t.n; i++)
		total += t.v[i].visible;
	if (o->goid >= 0 && total == 0) {
		err = util_error_create(UTIL_ERROR_NOT_FOUND,
					"incident %lld: goroutine %lld holds no context that was found%s",
					(long long)id, (long long)o->goid,
					o->canceled ? " canceled or under a canceled one" : "");
		goto out;
	}
	if (!(d.drawn = calloc(t.n + 1, sizeof(*d.drawn)))) {
		err = &util_enomem;
		goto out;
	}
	fprintf(out, "digraph contexts {\n  rankdir=BT;\n  node [shape=ellipse, fontsize=10];\n");
	if ((err = draw_list(&d, CTX_NONE, 0)))
		goto out;
	// A broken link's dashed edge, when both ends are drawn.
	for (size_t i = 0; i < t.n; i++) {
		struct ctx_node *b = t.v[i].broken && d.drawn[i] ? ctx_tree_find(&t, t.v[i].break_addr) : NULL;
		if (b && d.drawn[b - t.v])
			fprintf(out, "  c%llx -> c%llx [style=dashed, color=red, constraint=false, label=\"break\"];\n",
				(unsigned long long)t.v[i].addr, (unsigned long long)b->addr);
	}
	// The goroutines blocked on a canceled context they hold, when it is drawn.
	size_t holders = 0, holders_left = 0;
	if ((err = cli_prepare(db, "graph_context_holders", &st)))
		goto out;
	sqlite3_bind_int64(st, 1, id);
	bool row;
	while (!(err = cli_step(db, st, "graph_context_holders", &row)) && row) {
		long long g = sqlite3_column_int64(st, 0);
		struct ctx_node *x = ctx_tree_find(&t, sqlite3_column_int64(st, 2));
		if (o->goid >= 0 && g != o->goid)
			continue;
		if (!x || !d.drawn[x - t.v]) {
			holders_left++;
			continue;
		}
		char label[512];
		snprintf(label, sizeof(label), "goroutine %lld\n[%s]\n%s:%s", g,
			 text(st, 1) ? text(st, 1) : "?", text(st, 3) ? text(st, 3) : "?",
			 text(st, 4) ? text(st, 4) : "?");
		fprintf(out, "  g%lld [shape=box, color=red, label=", g);
		ctx_dot_string(out, label);
		fprintf(out, "];\n  g%lld -> c%llx [color=red, label=\"holds\"];\n", g,
			(unsigned long long)x->addr);
		holders++;
	}
	if (err)
		goto out;
	char a[32], b[32], c[32];
	if (d.stopped || d.folded) {
		// Said in the picture too, for whoever opens only the SVG.
		char label[200];
		snprintf(label, sizeof(label), "%s of %s contexts drawn%s (--all draws every one)",
			 ctx_count(d.count, a), ctx_count(total, b),
			 d.folded ? ", like siblings folded into '+ N more like this'" : "");
		fputs("  labelloc=t;\n  label=", out);
		ctx_dot_string(out, label);
		fputs(";\n", out);
	}
	fputs("}\n", out);
	// What was left out, on stderr: standard output is the graph.
	if (d.stopped)
		fprintf(stderr, "gocoroner graph: drew %s of %s contexts; --limit N draws more, --limit 0 all;"
			" --canceled or --goid G narrow it\n", ctx_count(d.count, a), ctx_count(total, b));
	if (d.folded)
		fprintf(stderr, "gocoroner graph: %s like context%s folded into an example"
			" ('+ N more like this'); --all draws each\n", ctx_count(d.folded, c),
			d.folded > 1 ? "s" : "");
	if (holders_left)
		fprintf(stderr, "gocoroner graph: %s of %s blocked goroutines not drawn: their context"
			" is folded or cut\n", ctx_count(holders_left, a), ctx_count(holders + holders_left, b));
out:
	sqlite3_finalize(st);
	free(d.drawn);
	ctx_tree_deinit(&t);
	return err;
}
