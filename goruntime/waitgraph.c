// SPDX-License-Identifier: Apache-2.0
// waitgraph.c: the wait-for graph of the goroutines nothing can wake, over
// objects rather than goroutine pairs — goroutine → each object it waits on
// → each blocked goroutine whose stack reaches that object — and its
// strongly connected components, in time linear in waits plus reaches,
// whatever the shape: a thousand goroutines on one lock are a thousand
// edges into one object and a thousand out of it, not a million pairs.
//
// A component with two or more objects is a wait cycle (a deadlock: each
// object is waited on by a member and reachable only by another), unless
// every member waits on every one of its objects: then, as with one object,
// it is a group — goroutines all waiting on what only they reach (an idle
// pool whose producer left; select loops abandoned on their input and quit
// channels, none of which can wake another), reported once. A goroutine in no component of more than one node waits on objects
// no stuck goroutine reaches, or only goroutines of other components.
#include <stdlib.h>
#include <string.h>

#include "goruntime/goruntime.h"

struct node {
	uint64_t key;              /* goid or object address */
	bool is_obj;
};

struct graph {
	struct node *nodes;
	size_t n, cap;
	struct util_u64map gidx, oidx; /* goid / address → node index */
	size_t *off, *adj;         /* CSR: goroutine → objects, object → reachers (by goid) */
	size_t *comp;
};

static struct util_error *node_of(struct graph *g, struct util_u64map *m, uint64_t key,
				  bool is_obj, size_t *ret)
{
	uint64_t v;
	if (util_u64map_get(m, key, &v)) {
		*ret = (size_t)v;
		return NULL;
	}
	struct util_error *err = util_grow((void **)&g->nodes, g->n, &g->cap, sizeof(*g->nodes), 256);
	if (!err)
		err = util_u64map_put(m, key, g->n);
	if (err)
		return err;
	g->nodes[g->n] = (struct node){key, is_obj};
	*ret = g->n++;
	return NULL;
}

struct edge {
	size_t from, to;
	uint64_t to_key;           /* targets sorted by key: reachers by goid */
};

static int cmp_edge(const void *a, const void *b)
{
	const struct edge *x = a, *y = b;
	if (x->from != y->from)
		return x->from < y->from ? -1 : 1;
	return x->to_key < y->to_key ? -1 : x->to_key > y->to_key;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static int cmp_member(const void *a, const void *b)
{
	const struct gr_wait_member *x = a, *y = b;
	return x->goid < y->goid ? -1 : x->goid > y->goid;
}

/* Per component: its counts, smallest goid and object, and its id. */
struct comp_info {
	uint32_t goroutines, objects;
	uint64_t min_goid, min_obj, behind;
	uint32_t id;               /* 0: a single node, not reported */
	bool partial;              /* a member waits on only some of its objects */
};

/* Two objects or more, and not all waited on by every member. */
static bool is_cycle(const struct comp_info *c)
{
	return c->objects >= 2 && c->partial;
}

struct util_error *gr_wait_graph_build(const struct gr_wait_reach *waits, size_t nwaits,
				       const struct gr_wait_reacher *reachers, size_t nreachers,
				       struct gr_wait_graph *out)
{
	memset(out, 0, sizeof(*out));
	struct graph g = {0};
	util_u64map_init(&g.gidx);
	util_u64map_init(&g.oidx);
	struct util_u64map woken;  /* goroutines with a reached wait: not stuck */
	util_u64map_init(&woken);
	struct edge *edges = NULL;
	size_t nedges = 0, edges_cap = 0;
	struct comp_info *ci = NULL;
	uint64_t *cgoids = NULL;
	size_t *cstart = NULL, *cursor = NULL, *order = NULL, *first_in = NULL, *second_in = NULL;
	unsigned char *visited = NULL;
	struct util_error *err = NULL;

	for (size_t i = 0; i < nwaits && !err; i++)
		if (waits[i].reached_by)
			err = util_u64map_put(&woken, waits[i].goid, 1);
	// Goroutine → object, for every wait of a stuck goroutine.
	for (size_t i = 0; i < nwaits && !err; i++) {
		const struct gr_wait_reach *w = &waits[i];
		size_t gn, on;
		if (w->reached_by || util_u64map_get(&woken, w->goid, NULL))
			continue;
		if ((err = node_of(&g, &g.gidx, w->goid, false, &gn)) ||
		    (err = node_of(&g, &g.oidx, w->obj_addr, true, &on)) ||
		    (err = util_grow((void **)&edges, nedges, &edges_cap, sizeof(*edges), 256)))
			break;
		edges[nedges++] = (struct edge){gn, on, w->obj_addr};
	}
	// Object → goroutine, for each stuck goroutine reaching an object of the graph.
	for (size_t i = 0; i < nreachers && !err; i++) {
		uint64_t on, gn;
		if (!util_u64map_get(&g.oidx, reachers[i].obj_addr, &on) ||
		    !util_u64map_get(&g.gidx, reachers[i].goid, &gn))
			continue; // reaching an object nobody stuck waits on, or not stuck itself
		if ((err = util_grow((void **)&edges, nedges, &edges_cap, sizeof(*edges), 256)))
			break;
		edges[nedges++] = (struct edge){(size_t)on, (size_t)gn, reachers[i].goid};
	}
	if (err || !g.n)
		goto out;
	qsort(edges, nedges, sizeof(*edges), cmp_edge);
	g.off = calloc(g.n + 1, sizeof(*g.off));
	g.adj = malloc((nedges + 1) * sizeof(*g.adj));
	g.comp = malloc(g.n * sizeof(*g.comp));
	if (!g.off || !g.adj || !g.comp) {
		err = &util_enomem;
		goto out;
	}
	size_t k = 0; // the same edge twice (two entries for one pair) counts once
	for (size_t i = 0; i < nedges; i++)
		if (!i || edges[i].from != edges[i - 1].from || edges[i].to != edges[i - 1].to)
			edges[k++] = edges[i];
	nedges = k;
	for (size_t i = 0; i < nedges; i++) {
		g.off[edges[i].from + 1]++;
		g.adj[i] = edges[i].to;
	}
	for (size_t v = 0; v < g.n; v++)
		g.off[v + 1] += g.off[v];
	size_t ncomp;
	if ((err = util_scc(g.n, g.off, g.adj, g.comp, &ncomp)))
		goto out;

	ci = calloc(ncomp + 1, sizeof(*ci));
	if (!ci) {
		err = &util_enomem;
		goto out;
	}
	for (size_t c = 0; c < ncomp; c++)
		ci[c].min_goid = ci[c].min_obj = UINT64_MAX;
	for (size_t v = 0; v < g.n; v++) {
		struct comp_info *c = &ci[g.comp[v]];
		uint64_t key = g.nodes[v].key;
		if (g.nodes[v].is_obj) {
			c->objects++;
			c->min_obj = key < c->min_obj ? key : c->min_obj;
			// A reacher outside: the component waits behind it.
			for (size_t e = g.off[v]; e < g.off[v + 1]; e++) {
				size_t w = g.adj[e];
				if (g.comp[w] != g.comp[v] && (!c->behind || g.nodes[w].key < c->behind))
					c->behind = g.nodes[w].key;
			}
		} else {
			c->goroutines++;
			c->min_goid = key < c->min_goid ? key : c->min_goid;
		}
	}
	// A member waiting on fewer of the component's objects than it has.
	for (size_t v = 0; v < g.n; v++) {
		struct comp_info *c = &ci[g.comp[v]];
		if (g.nodes[v].is_obj || c->partial)
			continue;
		uint32_t inside = 0;
		for (size_t e = g.off[v]; e < g.off[v + 1]; e++)
			inside += g.comp[g.adj[e]] == g.comp[v];
		c->partial = inside < c->objects;
	}
	// Ids for the components of more than one node: the cycles by smallest
	// goid, then the groups by smallest goid.
	size_t nreal = 0;
	cgoids = malloc((ncomp + 1) * 2 * sizeof(*cgoids));
	if (!cgoids) {
		err = &util_enomem;
		goto out;
	}
	// The cycles first, so that a cycle's id is its number among cycles.
	for (int pass = 0; pass < 2; pass++) {
		size_t from = nreal;
		for (size_t c = 0; c < ncomp; c++)
			if (ci[c].goroutines && ci[c].objects && is_cycle(&ci[c]) == (pass == 0)) {
				cgoids[2 * nreal] = ci[c].min_goid;
				cgoids[2 * nreal + 1] = c;
				nreal++;
			}
		qsort(cgoids + 2 * from, nreal - from, 2 * sizeof(*cgoids), cmp_u64);
	}
	out->components = calloc(nreal + 1, sizeof(*out->components));
	if (!out->components) {
		err = &util_enomem;
		goto out;
	}
	size_t nmembers = 0;
	for (size_t i = 0; i < nreal; i++) {
		struct comp_info *c = &ci[cgoids[2 * i + 1]];
		c->id = (uint32_t)(i + 1);
		nmembers += c->goroutines;
		out->components[i] = (struct gr_wait_component){
			.id = c->id,
			.kind = is_cycle(c) ? "cycle" : "group",
			.goroutines = c->goroutines,
			.objects = c->objects,
			.obj_addr = is_cycle(c) ? 0 : c->min_obj,
			.example_goid = c->min_goid,
			.behind_goid = c->behind,
		};
	}
	out->ncomponents = nreal;

	// The members, each component's in walking order: from its smallest
	// goid, on to the smallest unvisited member reaching the object it
	// waits on, round a planted cycle in its order. Each object's reachers
	// are sorted by goid and passed over once (cursor): linear.
	out->members = calloc(nmembers + 1, sizeof(*out->members));
	cursor = malloc((g.n + 1) * sizeof(*cursor));
	visited = calloc(g.n + 1, 1);
	cstart = calloc(nreal + 2, sizeof(*cstart));
	order = malloc((nmembers + 1) * sizeof(*order));
	if (!out->members || !cursor || !visited || !cstart || !order) {
		err = &util_enomem;
		goto out;
	}
	for (size_t v = 0; v < g.n; v++)
		cursor[v] = g.off[v];
	// Per object, its two smallest reachers in its own component: once, not
	// once per waiter (ten thousand waiters share one object).
	first_in = malloc((g.n + 1) * sizeof(*first_in));
	second_in = malloc((g.n + 1) * sizeof(*second_in));
	if (!first_in || !second_in) {
		err = &util_enomem;
		goto out;
	}
	for (size_t v = 0; v < g.n; v++) {
		first_in[v] = second_in[v] = SIZE_MAX;
		if (!g.nodes[v].is_obj)
			continue;
		for (size_t e = g.off[v]; e < g.off[v + 1] && second_in[v] == SIZE_MAX; e++) {
			size_t w = g.adj[e];
			if (g.comp[w] != g.comp[v])
				continue;
			if (first_in[v] == SIZE_MAX)
				first_in[v] = w;
			else
				second_in[v] = w;
		}
	}
	// The members of each component by goid: a counting sort by id of the
	// goroutine nodes, which come in no order, then each bucket sorted.
	for (size_t v = 0; v < g.n; v++)
		if (!g.nodes[v].is_obj && ci[g.comp[v]].id)
			cstart[ci[g.comp[v]].id]++;
	for (size_t i = 1; i <= nreal + 1; i++)
		cstart[i] += cstart[i - 1];
	for (size_t v = g.n; v-- > 0;)
		if (!g.nodes[v].is_obj && ci[g.comp[v]].id)
			order[--cstart[ci[g.comp[v]].id]] = v;
	// cstart[id] now starts id's bucket and cstart[id + 1] ends it
	// (cstart[nreal + 1], never decremented, is nmembers).
	for (size_t id = 1; id <= nreal; id++) {
		size_t lo = cstart[id], hi = cstart[id + 1];
		// Sort by goid: pack (goid, node) pairs.
		uint64_t *pairs = malloc((hi - lo + 1) * 2 * sizeof(*pairs));
		if (!pairs) {
			err = &util_enomem;
			goto out;
		}
		for (size_t i = lo; i < hi; i++) {
			pairs[2 * (i - lo)] = g.nodes[order[i]].key;
			pairs[2 * (i - lo) + 1] = order[i];
		}
		qsort(pairs, hi - lo, 2 * sizeof(*pairs), cmp_u64);
		for (size_t i = lo; i < hi; i++)
			order[i] = (size_t)pairs[2 * (i - lo) + 1];
		free(pairs);
	}
	size_t m = 0;
	for (size_t id = 1; id <= nreal; id++) {
		size_t lo = cstart[id], hi = cstart[id + 1];
		bool cycle = strcmp(out->components[id - 1].kind, "cycle") == 0;
		size_t next_unvisited = lo; // the smallest goid not yet walked
		uint32_t pos = 0;
		size_t v = order[lo];
		while (pos < hi - lo) {
			visited[v] = 1;
			size_t comp = g.comp[v];
			// The object it waits on in the component: its smallest that
			// another member reaches (one only it reaches names no waker:
			// a select's own never-ready channel), else its smallest.
			size_t obj = SIZE_MAX, own = SIZE_MAX;
			for (size_t e = g.off[v]; e < g.off[v + 1]; e++) {
				size_t o = g.adj[e];
				if (g.comp[o] != comp)
					continue;
				bool other = (first_in[o] != SIZE_MAX && first_in[o] != v) ||
					     second_in[o] != SIZE_MAX;
				size_t *best = other ? &obj : &own;
				if (*best == SIZE_MAX || g.nodes[o].key < g.nodes[*best].key)
					*best = o;
			}
			if (obj == SIZE_MAX)
				obj = own;
			// The next: the first unvisited member reaching that object;
			// its waker otherwise the smallest other member reaching it.
			size_t nx = SIZE_MAX, waker = SIZE_MAX;
			if (obj != SIZE_MAX) {
				waker = first_in[obj] != v ? first_in[obj] : second_in[obj];
				while (cursor[obj] < g.off[obj + 1]) {
					size_t w = g.adj[cursor[obj]];
					if (g.comp[w] == comp && !visited[w]) {
						nx = w;
						break;
					}
					cursor[obj]++;
				}
			}
			out->members[m++] = (struct gr_wait_member){
				.goid = g.nodes[v].key,
				.component = (uint32_t)id,
				.position = pos++,
				.obj_addr = obj != SIZE_MAX ? g.nodes[obj].key : 0,
				.waker_goid = cycle && nx != SIZE_MAX ? g.nodes[nx].key
					      : cycle && waker != SIZE_MAX ? g.nodes[waker].key : 0,
			};
			if (pos == hi - lo)
				break;
			if (!cycle || nx == SIZE_MAX) {
				while (visited[order[next_unvisited]])
					next_unvisited++;
				nx = order[next_unvisited];
			}
			v = nx;
		}
	}
	out->nmembers = m;
	qsort(out->members, m, sizeof(*out->members), cmp_member);
out:
	free(edges);
	free(ci);
	free(cgoids);
	free(cstart);
	free(cursor);
	free(first_in);
	free(second_in);
	free(order);
	free(visited);
	free(g.nodes);
	free(g.off);
	free(g.adj);
	free(g.comp);
	util_u64map_deinit(&g.gidx);
	util_u64map_deinit(&g.oidx);
	util_u64map_deinit(&woken);
	if (err)
		gr_wait_graph_deinit(out);
	return err;
}

void gr_wait_graph_deinit(struct gr_wait_graph *g)
{
	free(g->components);
	free(g->members);
	memset(g, 0, sizeof(*g));
}
