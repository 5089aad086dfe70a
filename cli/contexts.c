// SPDX-License-Identifier: Apache-2.0
// contexts.c: 'gocoroner contexts' — an incident's context.Context trees,
// canceled nodes marked, each node with the goroutines that hold it.
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/ctxtree.h"
#include "store/store.h"

/* What to print and what was left out. */
struct show {
	struct ctx_tree *t;
	struct cli_json *json;        /* NULL: text */
	size_t keep;                  /* examples of a shape among siblings; 0: all */
	size_t holders;               /* holders listed per context; 0: all */
	int depth;                    /* levels shown; 0: all */
	uint64_t limit;               /* contexts printed at most; 0: all */
	uint64_t printed, folded, cut, holders_cut;
	bool stopped;
};

/* The holders of X, "goroutine 19 (main.conn ctx +3 frames), ..., and N more". */
static void print_holders(FILE *out, const struct show *s, const struct ctx_node *x)
{
	size_t shown = 0;
	fputs("<- ", out);
	for (uint32_t i = x->first_holder; i != CTX_NONE; i = s->t->holders[i].next) {
		const struct ctx_holder *h = &s->t->holders[i];
		if (s->holders && shown == s->holders)
			break;
		fprintf(out, "%sgoroutine %lld", shown++ ? ", " : "", (long long)h->goid);
		// Two holding frames for a sole holder; the innermost of each when
		// several share the line.
		int frames = x->nholders > 1 && h->frames > 1 ? 1 : h->frames;
		int more = h->more_frames + h->frames - frames;
		for (int f = 0; f < frames; f++)
			fprintf(out, "%s%s%s%s%s", f ? ", " : " (", h->func[f], h->var[f] ? " " : "",
				h->var[f] ? h->var[f] : "", h->unverified[f] ? " unverified" : "");
		if (more)
			fprintf(out, " +%d frame%s", more, more > 1 ? "s" : "");
		if (frames)
			fputc(')', out);
	}
	if (shown < x->nholders) {
		char n[32];
		fprintf(out, ", and %s more", ctx_count(x->nholders - shown, n));
	}
}

/* One context: what it is, then who holds it or where it was found, on
 * the same line when that fits in 100 characters, else on the next, indented
 * under it (unless it is too long there too and the context itself short). */
static void print_node(struct show *s, const struct ctx_node *n, int depth)
{
	char buf[32], *head = NULL, *tail = NULL;
	size_t head_len = 0, tail_len = 0;
	FILE *h = open_memstream(&head, &head_len), *t = open_memstream(&tail, &tail_len);
	if (!h || !t) {
		if (h)
			fclose(h);
		if (t)
			fclose(t);
		free(head);
		free(tail);
		printf("%*s%#llx %s (out of memory)\n", 2 * depth, "", (unsigned long long)n->addr, n->kind);
		return;
	}
	fprintf(h, "%*s%#llx %s", 2 * depth, "", (unsigned long long)n->addr, n->kind);
	if (n->type && strcmp(n->kind, "user") == 0)
		fprintf(h, " %s", n->type);
	if (n->key)
		fprintf(h, " %s=%s", n->key, n->value ? n->value : "?");
	if (n->has_deadline)
		fprintf(h, " deadline %s%s", ctx_time(n->deadline, buf),
			n->timer_pending == 1 ? " (timer pending)" : "");
	if (n->canceled == 1) {
		fputs("  CANCELED", h);
		if (n->err)
			fprintf(h, " (%s", n->err);
		if (n->cause && (!n->err || strcmp(n->cause, n->err) != 0))
			fprintf(h, "%scause: %s", n->err ? "; " : " (", n->cause);
		if (n->err || n->cause)
			fputc(')', h);
	} else if (n->canceled < 0) {
		fputs("  (cancellation unknown: user type)", h);
	}
	if (n->nholders) {
		print_holders(t, s, n);
		if (s->holders && n->nholders > s->holders)
			s->holders_cut++;
	} else if (n->found) {
		fprintf(t, "(in %s)", n->found);
	}
	fclose(h);
	fclose(t);
	size_t indent = 2 * (size_t)depth + 4;
	if (!tail_len)
		printf("%s\n", head);
	else if (head_len + 2 + tail_len <= 100 || (indent + tail_len > 100 && head_len < indent + 24))
		printf("%s  %s\n", head, tail); // fits, or a short head: wrapping would gain little
	else
		printf("%s\n%*s%s\n", head, (int)indent, "", tail);
	free(head);
	free(tail);
}

static void json_node(struct show *s, const struct ctx_node *n)
{
	struct cli_json *j = s->json;
	char buf[32];
	snprintf(buf, sizeof(buf), "%#llx", (unsigned long long)n->addr);
	cli_json_string(j, "addr", buf);
	cli_json_string(j, "kind", n->kind);
	cli_json_string(j, "type", n->type);
	cli_json_string(j, "key", n->key);
	cli_json_string(j, "value", n->value);
	cli_json_string(j, "deadline", n->has_deadline ? ctx_time(n->deadline, buf) : NULL);
	if (n->has_deadline)
		cli_json_int(j, "deadline_unix_ns", n->deadline);
	else
		cli_json_null(j, "deadline_unix_ns");
	if (n->timer_pending >= 0)
		cli_json_bool(j, "timer_pending", n->timer_pending);
	else
		cli_json_null(j, "timer_pending");
	if (n->canceled >= 0)
		cli_json_bool(j, "canceled", n->canceled);
	else
		cli_json_null(j, "canceled");
	cli_json_string(j, "err", n->err);
	cli_json_string(j, "cause", n->cause);
	cli_json_string(j, "found_in", n->found);
	cli_json_int(j, "holders_total", n->nholders);
	cli_json_begin_array(j, "holders");
	size_t shown = 0;
	for (uint32_t i = n->first_holder; i != CTX_NONE; i = s->t->holders[i].next, shown++) {
		const struct ctx_holder *h = &s->t->holders[i];
		if (s->holders && shown == s->holders) {
			s->holders_cut++;
			break;
		}
		cli_json_begin_object(j, NULL);
		cli_json_int(j, "goid", h->goid);
		cli_json_begin_array(j, "frames");
		for (int f = 0; f < h->frames; f++) {
			cli_json_begin_object(j, NULL);
			cli_json_string(j, "func", h->func[f]);
			cli_json_string(j, "var", h->var[f]);
			cli_json_bool(j, "unverified", h->unverified[f]);
			cli_json_end_object(j);
		}
		cli_json_end_array(j);
		cli_json_int(j, "more_frames", h->more_frames);
		cli_json_end_object(j);
	}
	cli_json_end_array(j);
}

/* Holding functions counted over the visible subtree of I (bounded depth). */
struct by_func {
	const char *func[8];
	uint64_t count[8], other;
	size_t n;
};

static void count_holders(const struct ctx_tree *t, uint32_t i, struct by_func *b, int depth)
{
	const struct ctx_node *x = &t->v[i];
	for (uint32_t k = x->first_holder; k != CTX_NONE; k = t->holders[k].next) {
		const char *f = t->holders[k].func[0] ? t->holders[k].func[0] : "a stack scan";
		size_t j = 0;
		while (j < b->n && b->func[j] != f) // interned: one pointer a name
			j++;
		if (j == b->n && b->n < 8)
			b->func[b->n++] = f;
		if (j < b->n)
			b->count[j]++;
		else
			b->other++;
	}
	if (depth < CTX_MAX_DEPTH)
		for (uint32_t c = x->first_child; c != CTX_NONE; c = t->v[c].next_sibling)
			if (t->v[c].visible)
				count_holders(t, c, b, depth + 1);
}

/* "held in main.blockRecv (50,123), main.blockSelect (20,001) and 2 more
 * functions": the frames holding the contexts of the siblings folded after
 * EXAMPLE (those of its shape past the first KEEP), into BUF; its length. */
static int fold_holders(const struct show *s, uint32_t parent, const struct ctx_node *example,
			char *buf, size_t size)
{
	const struct ctx_tree *t = s->t;
	struct by_func b = {0};
	size_t seen = 0;
	uint32_t first = parent == CTX_NONE ? t->first_root : t->v[parent].first_child;
	for (uint32_t i = first; i != CTX_NONE; i = t->v[i].next_sibling)
		if (t->v[i].visible && t->v[i].shape == example->shape && seen++ >= s->keep)
			count_holders(t, i, &b, 0);
	// The two most frequent, then how many more functions.
	size_t top[2] = {SIZE_MAX, SIZE_MAX};
	for (size_t j = 0; j < b.n; j++) {
		if (top[0] == SIZE_MAX || b.count[j] > b.count[top[0]])
			top[1] = top[0], top[0] = j;
		else if (top[1] == SIZE_MAX || b.count[j] > b.count[top[1]])
			top[1] = j;
	}
	char n1[32], n2[32];
	int len = snprintf(buf, size, "held in %s (%s)", top[0] != SIZE_MAX ? b.func[top[0]] : "?",
			   top[0] != SIZE_MAX ? ctx_count(b.count[top[0]], n1) : "0");
	if (top[1] != SIZE_MAX && len >= 0 && (size_t)len < size)
		len += snprintf(buf + len, size - (size_t)len, ", %s (%s)", b.func[top[1]],
				ctx_count(b.count[top[1]], n2));
	size_t more = b.n > 2 ? b.n - 2 : 0;
	if (b.other && len >= 0 && (size_t)len < size)
		len += snprintf(buf + len, size - (size_t)len, " and more functions");
	else if (more && len >= 0 && (size_t)len < size)
		len += snprintf(buf + len, size - (size_t)len, " and %zu more function%s", more,
				more > 1 ? "s" : "");
	return len < 0 ? 0 : len >= (int)size ? (int)size - 1 : len;
}

/* The visible children of PARENT at DEPTH, folded, depth-cut and limited. */
static struct util_error *show_list(struct show *s, uint32_t parent, int depth)
{
	struct ctx_item *items;
	size_t n;
	struct util_error *err = ctx_tree_siblings(s->t, parent, s->keep, false, &items, &n);
	char a[32], b[32], c[32], what[160];
	for (size_t k = 0; k < n && !err; k++) {
		const struct ctx_node *x = &s->t->v[items[k].node];
		if (s->limit && s->printed >= s->limit) {
			s->stopped = true;
			break;
		}
		s->printed++;
		if (s->json) {
			cli_json_begin_object(s->json, NULL);
			json_node(s, x);
		} else {
			print_node(s, x, depth);
		}
		uint64_t below = x->size - 1;
		if (below && ((s->depth && depth + 1 >= s->depth) || depth + 1 >= CTX_MAX_DEPTH)) {
			s->cut += below;
			if (s->json)
				cli_json_int(s->json, "children_cut", (int64_t)below);
			else
				printf("%*s... %s context%s below, cut by --depth\n", 2 * depth + 2, "",
				       ctx_count(below, a), below > 1 ? "s" : "");
		} else if (below) {
			if (s->json)
				cli_json_begin_array(s->json, "children");
			err = show_list(s, items[k].node, depth + 1);
			if (s->json)
				cli_json_end_array(s->json);
		}
		const struct ctx_item *it = &items[k];
		if (s->stopped) {
			if (s->json)
				cli_json_end_object(s->json);
			break;
		}
		if (s->json && it->folded) {
			cli_json_begin_object(s->json, "more_like_this");
			cli_json_int(s->json, "count", (int64_t)it->folded);
			cli_json_int(s->json, "contexts", (int64_t)it->folded_size);
			cli_json_int(s->json, "held", (int64_t)it->folded_held);
			cli_json_end_object(s->json);
		}
		if (s->json)
			cli_json_end_object(s->json);
		if (!it->folded)
			continue;
		s->folded += it->folded_size;
		if (s->json)
			continue;
		ctx_describe(x, what, sizeof(what));
		int len = printf("%*s... %s more like this (%s): %s context%s", 2 * depth, "",
				 ctx_count(it->folded, a), what, ctx_count(it->folded_size, b),
				 it->folded_size > 1 ? "s" : "");
		if (it->folded_held)
			len += printf(", %s held", ctx_count(it->folded_held, c));
		if (it->folded_held) {
			char by[200];
			int blen = fold_holders(s, parent, x, by, sizeof(by));
			if (len + 2 + blen <= 100 || 2 * depth + 4 + blen > 100)
				printf("; %s", by);
			else
				printf("\n%*s%s", 2 * depth + 4, "", by);
		}
		putchar('\n');
	}
	free(items);
	return err;
}

/* What the output left out, and the option that shows it. */
static void print_notes(const struct show *s, uint64_t total)
{
	char a[32], b[32];
	if (s->stopped)
		printf("-- stopped after %s of %s contexts; --limit N or --limit 0 prints more\n",
		       ctx_count(s->printed, a), ctx_count(total, b));
	if (s->folded)
		printf("-- %s like contexts folded into 'more like this' lines; --all shows them\n",
		       ctx_count(s->folded, a));
	if (s->cut)
		printf("-- %s contexts below depth %d not shown; a larger --depth shows them\n",
		       ctx_count(s->cut, a), s->depth);
	if (s->holders_cut)
		printf("-- holders cut to %zu a context; --holders N or --all-holders lists more\n",
		       s->holders);
}

static const char contexts_usage[] =
	"usage: gocoroner contexts [--db FILE] [--incident N] [--goid G] [--canceled]\n"
	"                          [--depth N] [--holders N | --all-holders] [--all]\n"
	"                          [--limit N] [--format text|json] [--budget N]\n"
	"\n"
	"Print the incident's context.Context trees, one context a line, children\n"
	"indented under their parent: kind, value, deadline, CANCELED with the error\n"
	"and cause, and the goroutines holding it (goroutine, frame, variable) or,\n"
	"when no frame does, where it was found (a package variable, a map, a\n"
	"channel's buffer, a heap object reached from one). Siblings whose subtrees\n"
	"look alike (same kinds, keys and state; values, addresses and holders aside)\n"
	"are shown by two examples and a line '... N more like this'.\n"
	"\n"
	"  --db FILE      database (default " CLI_DEFAULT_DB ")\n"
	"  --incident N   incident id (default: the newest)\n"
	"  --goid G       only the contexts goroutine G holds, with their ancestors,\n"
	"                 and of their holders only G\n"
	"  --canceled     only the canceled contexts, their ancestors (the path to\n"
	"                 them) and everything under them (what is still live there)\n"
	"  --depth N      N levels of each tree (1: the roots); says what it cut\n"
	"  --holders N    list N goroutines a context (default 3; 0: all), the rest\n"
	"                 counted ('and 1,842 more')\n"
	"  --all-holders  the same as --holders 0\n"
	"  --all          every context: no folding of like siblings, no --limit\n"
	"  --limit N      print at most N contexts (default 1000; 0: no limit)\n"
	"  --format F     text (default) or json: the trees as nested objects\n"
	CLI_BUDGET_HELP("     ", "                 ");

/* Parse a number option's value into *RET; false, with a message, if bad. */
static bool parse_number(const char *opt, const char *arg, int64_t min, int64_t *ret)
{
	char *end;
	errno = 0;
	long long v = strtoll(arg, &end, 10);
	if (*arg == '\0' || *end || errno || v < min) {
		fprintf(stderr, "gocoroner contexts: --%s takes a number%s, not '%s'\n", opt,
			min > 0 ? " > 0" : min == 0 ? " >= 0" : "", arg);
		return false;
	}
	*ret = v;
	return true;
}

int cli_contexts(int argc, char **argv)
{
	static const struct option opts[] = {
		{"db", required_argument, NULL, 'd'},
		{"incident", required_argument, NULL, 'i'},
		{"goid", required_argument, NULL, 'g'},
		{"canceled", no_argument, NULL, 'c'},
		{"depth", required_argument, NULL, 'D'},
		{"holders", required_argument, NULL, 'H'},
		{"all-holders", no_argument, NULL, 'A'},
		{"all", no_argument, NULL, 'a'},
		{"limit", required_argument, NULL, 'l'},
		{"format", required_argument, NULL, 'f'},
		{"budget", required_argument, NULL, 'B'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	const char *db_path = CLI_DEFAULT_DB;
	uint64_t budget = STORE_BUDGET_DEFAULT;
	int64_t incident = 0, goid = -1, depth = 0, holders = 3, limit = 1000;
	bool canceled = false, all = false, limit_given = false;
	bool json = false;
	int c;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":d:i:g:h", opts, NULL)) != -1) {
		switch (c) {
		case 'd': db_path = optarg; break;
		case 'i':
			if (cli_parse_incident("contexts", optarg, &incident))
				return CLI_USAGE;
			break;
		case 'g':
			if (!parse_number("goid", optarg, 0, &goid))
				return CLI_USAGE;
			break;
		case 'D':
			if (!parse_number("depth", optarg, 1, &depth))
				return CLI_USAGE;
			break;
		case 'H':
			if (!parse_number("holders", optarg, 0, &holders))
				return CLI_USAGE;
			break;
		case 'l':
			if (!parse_number("limit", optarg, 0, &limit))
				return CLI_USAGE;
			limit_given = true;
			break;
		case 'c': canceled = true; break;
		case 'A': holders = 0; break;
		case 'a': all = true; break;
		case 'f':
			if (strcmp(optarg, "text") == 0 || strcmp(optarg, "table") == 0) {
				json = false;
			} else if (strcmp(optarg, "json") == 0) {
				json = true;
			} else {
				fprintf(stderr, "gocoroner contexts: --format takes text or json, not '%s'\n",
					optarg);
				return CLI_USAGE;
			}
			break;
		case 'B':
			if (cli_parse_budget("contexts", optarg, &budget))
				return CLI_USAGE;
			break;
		case 'h': fputs(contexts_usage, stdout); return CLI_OK;
		case ':':
			fprintf(stderr, "gocoroner contexts: %s needs a value; see 'gocoroner contexts --help'\n",
				argv[optind - 1]);
			return CLI_USAGE;
		default: return cli_bad_option("contexts", argv);
		}
	}
	if (optind != argc) {
		fprintf(stderr, "gocoroner contexts: unexpected argument '%s'; see 'gocoroner contexts --help'\n",
			argv[optind]);
		return CLI_USAGE;
	}
	struct store_db *db = NULL;
	struct ctx_tree t;
	ctx_tree_init(&t);
	int64_t id = 0;
	struct util_error *err = cli_open_readonly(db_path, budget, &db);
	if (!err)
		err = cli_pick_incident(db, incident, &id);
	if (!err)
		err = ctx_tree_load(&t, db, id, goid, true);
	if (err)
		goto out;
	ctx_tree_select(&t, goid, canceled);
	uint64_t total = 0;
	for (size_t i = 0; i < t.n; i++)
		total += t.v[i].visible;
	struct cli_json j;
	struct show s = {
		.t = &t, .json = json ? &j : NULL, .keep = all ? 0 : 2, .holders = (size_t)holders,
		.depth = (int)(depth > CTX_MAX_DEPTH ? CTX_MAX_DEPTH : depth),
		.limit = all && !limit_given ? 0 : (uint64_t)limit,
	};
	if (json) {
		cli_json_init(&j, stdout);
		cli_json_begin_object(&j, NULL);
		cli_json_int(&j, "incident", id);
		cli_json_int(&j, "contexts", (int64_t)total);
		cli_json_begin_array(&j, "trees");
		err = show_list(&s, CTX_NONE, 0);
		cli_json_end_array(&j);
		cli_json_int(&j, "printed", (int64_t)s.printed);
		cli_json_int(&j, "folded", (int64_t)s.folded);
		cli_json_int(&j, "cut_by_depth", (int64_t)s.cut);
		cli_json_bool(&j, "stopped_at_limit", s.stopped);
		cli_json_int(&j, "holders_max", (int64_t)s.holders);
		cli_json_end_object(&j);
		goto out;
	}
	if (t.n == 0) {
		printf("incident %lld: no contexts found\n", (long long)id);
		goto out;
	}
	if (total == 0) {
		if (goid >= 0)
			printf("goroutine %lld holds no context that was found%s\n", (long long)goid,
			       canceled ? " canceled or under a canceled one" : "");
		else
			printf("incident %lld: no canceled context found\n", (long long)id);
		goto out;
	}
	err = show_list(&s, CTX_NONE, 0);
	if (!err)
		print_notes(&s, total);
out:
	ctx_tree_deinit(&t);
	store_close(db);
	return err ? cli_fail(err) : CLI_OK;
}
