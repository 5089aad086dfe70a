// SPDX-License-Identifier: Apache-2.0
// victims.c: who each blocked goroutine is stuck behind. The releasers of an
// object are the goroutines whose own stacks reach it (reach.c searches
// them), other than those blocked on that object alone. A blocked goroutine
// V is stuck behind C when every releaser of every object V waits on is C or
// is itself stuck behind C, and C is stuck behind nobody: nothing V waits on
// can change until C runs. Computed over objects, not goroutine pairs, in
// time linear in goroutines, waits and reaches: a thousand goroutines on one
// lock are a thousand edges into one object.
//
// Two passes. The first resolves in dependency order: a goroutine that waits
// on nothing is its own culprit; an object is resolved once its releasers
// are (or as soon as two of them have different culprits); a blocked
// goroutine once its objects are. What is left depends on itself — the
// culprit's mutex reached by the goroutine waiting on the group its waiters
// hold, a deadlock — and is settled by the second pass, which spreads the
// culprits that flow into it: every way out of such a knot goes through
// what flows in, so when a single culprit does, all of it is stuck behind
// that one; when none does (a deadlock by itself) or several, no claim. A
// goroutine whose search was cut short (GR_VICTIM cut) may reach any object:
// it counts as a releaser of every object, so unless it too is stuck behind
// the same culprit nothing is claimed; and an object no search found a
// releaser of is claimed behind nobody, cut searches or not (it may have no
// releaser at all: its waiters are leaked, not stuck behind the cut one).
#include <stdlib.h>
#include <string.h>

#include "goruntime/reach.h"

enum { UNSET = 0 };               /* no culprit known yet; culprit labels are index+1 */
#define MIXED UINT32_MAX          /* several culprits, or none possible */
#define NONE UINT32_MAX           /* vic.only: not one object */

/*
 * Nodes, edges and labels in 32 bits (gr_victims_find refuses more): the
 * arrays were half the search's memory in size_t, at an analyze's peak
 * (bench/README.md).
 */
typedef uint32_t vix;

struct vic {
	size_t n, m;                  /* goroutines, objects; node m = "any object" (the cut) */
	vix *woff, *wadj;             /* CSR goroutine → objects it waits on (distinct) */
	vix *ooff, *oadj;             /* CSR object → its waiters */
	vix *roff, *radj;             /* CSR goroutine → objects it releases */
	vix *only;                    /* per goroutine: its one object, NONE if not one */
	vix *pend;                    /* per node (goroutines, then objects, then any) */
	vix *agg;                     /* per node: UNSET, culprit index+1, or MIXED */
	uint32_t *hop;                /* per node */
	unsigned char *done;          /* per node */
	vix *queue;
	size_t nq, qhead;
	const bool *cut;
	size_t ncut;
	vix *known;                   /* per object: releasers the searches found */
};

static vix merge(vix a, vix b)
{
	if (a == UNSET)
		return b;
	if (b == UNSET || a == b)
		return a;
	return MIXED;
}

/* CSR of N rows from EDGES (row, col), cols distinct per row (STAMP: scratch of NCOLS). */
static struct util_error *csr(size_t n, const struct gr_victim_edge *e, size_t ne, bool by_obj,
			      size_t ncols, vix **off_out, vix **adj_out)
{
	vix *off = calloc(n + 2, sizeof(*off)), *adj = malloc((ne + 1) * sizeof(*adj));
	vix *stamp = calloc(ncols + 1, sizeof(*stamp));
	if (!off || !adj || !stamp) {
		free(off);
		free(adj);
		free(stamp);
		return &util_enomem;
	}
	for (size_t i = 0; i < ne; i++)
		off[(by_obj ? e[i].obj : e[i].g) + 2]++;
	for (size_t r = 2; r < n + 2; r++)
		off[r] += off[r - 1];
	for (size_t i = 0; i < ne; i++) {
		size_t row = by_obj ? e[i].obj : e[i].g;
		adj[off[row + 1]++] = (vix)(by_obj ? e[i].g : e[i].obj);
	}
	// Drop repeated columns of a row in place.
	vix k = 0;
	for (size_t r = 0; r < n; r++) {
		vix start = k;
		for (size_t i = off[r]; i < off[r + 1]; i++)
			if (stamp[adj[i]] != r + 1) {
				stamp[adj[i]] = (vix)(r + 1);
				adj[k++] = adj[i];
			}
		off[r] = start;
	}
	off[n] = k;
	free(stamp);
	*off_out = off;
	*adj_out = adj;
	return NULL;
}

static void push(struct vic *v, size_t node)
{
	v->done[node] = 1;
	v->queue[v->nq++] = (vix)node;
}

/* Goroutine G is settled: behind culprit label L (index+1; G+1 for itself). */
static void settle(struct vic *v, size_t g, vix label, uint32_t hop)
{
	v->agg[g] = label;
	v->hop[g] = hop;
	push(v, g);
}

/* Node D (an object or "any") hears of a releaser behind LABEL. */
static void feed_obj(struct vic *v, size_t d, vix label, uint32_t hop)
{
	if (v->done[d])
		return;
	v->agg[d] = merge(v->agg[d], label);
	if (hop > v->hop[d])
		v->hop[d] = hop;
	if (--v->pend[d] == 0 || v->agg[d] == MIXED)
		push(v, d);
}

/* Goroutine G hears that an object it waits on is settled. */
static void feed_g(struct vic *v, size_t g, vix label, uint32_t hop)
{
	if (v->done[g])
		return;
	if (label == UNSET || label == MIXED) { // nobody or several can release it
		settle(v, g, (vix)(g + 1), 0);
		return;
	}
	v->agg[g] = merge(v->agg[g], label);
	if (hop + 1 > v->hop[g])
		v->hop[g] = hop + 1;
	if (v->agg[g] == MIXED)
		settle(v, g, (vix)(g + 1), 0);
	else if (--v->pend[g] == 0)
		settle(v, g, v->agg[g], v->hop[g]);
}

/* The first pass: in dependency order. */
static void resolve(struct vic *v)
{
	size_t any = v->n + v->m;
	while (v->qhead < v->nq) {
		size_t x = v->queue[v->qhead++];
		if (x < v->n) {
			for (size_t i = v->roff[x]; i < v->roff[x + 1]; i++)
				feed_obj(v, v->n + v->radj[i], v->agg[x], v->hop[x]);
			if (v->cut && v->cut[x])
				feed_obj(v, any, v->agg[x], v->hop[x]);
		} else if (x < any) {
			size_t o = x - v->n;
			for (size_t i = v->ooff[o]; i < v->ooff[o + 1]; i++)
				feed_g(v, v->oadj[i], v->agg[x], v->hop[x]);
		} else {
			for (size_t o = 0; o < v->m; o++)
				feed_obj(v, v->n + o, v->known[o] ? v->agg[x] : MIXED, v->hop[x]);
		}
	}
}

/* Raise node D's label by LABEL in the second pass; queue it when it changed. */
static void raise(struct vic *v, size_t d, vix label, uint32_t hop)
{
	if (v->done[d] || label == UNSET)
		return;
	vix a = merge(v->agg[d], label);
	if (a == v->agg[d])
		return;
	if (v->agg[d] == UNSET)
		v->hop[d] = hop;
	v->agg[d] = a;
	v->queue[v->nq++] = (vix)d; // twice at most per node: UNSET → a culprit → MIXED
}

/* The second pass: the knots the first left, by the culprits flowing in. */
static struct util_error *knots(struct vic *v)
{
	size_t nodes = v->n + v->m + 1, any = v->n + v->m;
	free(v->queue);
	v->queue = malloc((2 * nodes + 1) * sizeof(*v->queue));
	if (!v->queue)
		return &util_enomem;
	v->nq = v->qhead = 0;
	for (size_t d = 0; d < nodes; d++)
		if (!v->done[d] && v->agg[d] != UNSET)
			v->queue[v->nq++] = (vix)d;
	while (v->qhead < v->nq) {
		size_t x = v->queue[v->qhead++];
		vix label = v->agg[x];
		if (x < v->n) {
			for (size_t i = v->roff[x]; i < v->roff[x + 1]; i++)
				raise(v, v->n + v->radj[i], label, v->hop[x]);
			if (v->cut && v->cut[x])
				raise(v, any, label, v->hop[x]);
		} else if (x < any) {
			for (size_t i = v->ooff[x - v->n]; i < v->ooff[x - v->n + 1]; i++)
				raise(v, v->oadj[i], label, v->hop[x] + 1);
		} else {
			for (size_t o = 0; o < v->m; o++)
				raise(v, v->n + o, v->known[o] ? label : MIXED, v->hop[x]);
		}
	}
	return NULL;
}

struct util_error *gr_victims_find(const struct gr_victims_in *in, size_t *culprit, uint32_t *hops)
{
	struct vic v = {.n = in->ngoroutines, .m = in->nobjects, .cut = in->cut};
	size_t nodes = v.n + v.m + 1, any = v.n + v.m;
	if (v.n >= UINT32_MAX / 4 || v.m >= UINT32_MAX / 4 || in->nwaits >= UINT32_MAX / 2 ||
	    in->nreaches >= UINT32_MAX / 2)
		return util_error_create(UTIL_ERROR_BAD_DATA,
					 "victim search: %zu goroutines, %zu objects, %zu reaches are "
					 "past its 32-bit indexes", v.n, v.m, in->nreaches);
	struct util_error *err = NULL;
	struct gr_victim_edge *rel = NULL;
	v.only = malloc((v.n + 1) * sizeof(*v.only));
	v.pend = calloc(nodes, sizeof(*v.pend));
	v.agg = calloc(nodes, sizeof(*v.agg));
	v.hop = calloc(nodes, sizeof(*v.hop));
	v.done = calloc(nodes, 1);
	v.queue = malloc(nodes * sizeof(*v.queue));
	v.known = malloc((v.m + 1) * sizeof(*v.known));
	rel = malloc((in->nreaches + 1) * sizeof(*rel));
	if (!v.only || !v.pend || !v.agg || !v.hop || !v.done || !v.queue || !v.known || !rel)
		err = &util_enomem;
	// Waits on something anyone reaches (GR_VICTIM_ANYONE) are left out of
	// the CSR, and settle their goroutine as its own culprit below.
	struct gr_victim_edge *w = err ? NULL : malloc((in->nwaits + 1) * sizeof(*w));
	unsigned char *anyone = err ? NULL : calloc(v.n + 1, 1);
	if (!err && (!w || !anyone))
		err = &util_enomem;
	size_t nw = 0, nrel = 0;
	for (size_t i = 0; !err && i < in->nwaits; i++) {
		if (in->waits[i].g >= v.n)
			continue;
		if (in->waits[i].obj >= v.m)
			anyone[in->waits[i].g] = 1;
		else
			w[nw++] = in->waits[i];
	}
	if (!err)
		err = csr(v.n, w, nw, false, v.m, &v.woff, &v.wadj);
	if (!err)
		err = csr(v.m, w, nw, true, v.n, &v.ooff, &v.oadj);
	for (size_t g = 0; !err && g < v.n; g++)
		v.only[g] = v.woff[g + 1] - v.woff[g] == 1 && !anyone[g] ? v.wadj[v.woff[g]] : NONE;
	// A goroutine blocked on that object alone cannot release it.
	for (size_t i = 0; !err && i < in->nreaches; i++) {
		const struct gr_victim_edge *e = &in->reaches[i];
		if (e->g < v.n && e->obj < v.m && v.only[e->g] != e->obj)
			rel[nrel++] = *e;
	}
	if (!err)
		err = csr(v.n, rel, nrel, false, v.m, &v.roff, &v.radj);
	if (!err) {
		for (size_t g = 0; g < v.n; g++) {
			v.pend[g] = v.woff[g + 1] - v.woff[g];
			for (size_t i = v.roff[g]; i < v.roff[g + 1]; i++)
				v.pend[v.n + v.radj[i]]++;
			if (in->cut && in->cut[g])
				v.ncut++;
		}
		v.pend[any] = (vix)v.ncut;
		for (size_t o = 0; o < v.m; o++) {
			v.known[o] = v.pend[v.n + o];
			v.pend[v.n + o] += v.ncut > 0; // "any object" releases it too
		}
		if (!v.ncut)
			v.done[any] = 1;
		for (size_t g = 0; g < v.n; g++)
			if (anyone[g] || !v.pend[g])
				settle(&v, g, (vix)(g + 1), 0);
		for (size_t o = 0; o < v.m; o++)
			if (!v.pend[v.n + o]) // no releaser at all
				push(&v, v.n + o);
		resolve(&v);
		err = knots(&v);
	}
	for (size_t g = 0; !err && g < v.n; g++) {
		vix a = v.agg[g];
		bool claim = a != UNSET && a != MIXED && a != g + 1;
		culprit[g] = claim ? a - 1 : SIZE_MAX;
		hops[g] = claim ? v.hop[g] : 0;
	}
	free(w);
	free(anyone);
	free(rel);
	free(v.woff);
	free(v.wadj);
	free(v.ooff);
	free(v.oadj);
	free(v.roff);
	free(v.radj);
	free(v.only);
	free(v.pend);
	free(v.agg);
	free(v.hop);
	free(v.done);
	free(v.queue);
	free(v.known);
	return err;
}

/* How a victim waits, from what waits-sync.c named the primitive. */
static const char *via_of(const char *kind)
{
	static const char *const names[][2] = {
		{"sync.Mutex", "mutex"}, {"sync.RWMutex", "rwmutex"}, {"sync.WaitGroup", "waitgroup"},
		{"sync.Cond", "cond"},
	};
	for (size_t i = 0; kind && i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(kind, names[i][0]))
			return names[i][1];
	return "sema";
}

static int cmp_blocker(const void *a, const void *b)
{
	const struct gr_blocker *x = a, *y = b;
	return x->goid < y->goid ? -1 : x->goid > y->goid;
}

/* The snapshot's blockers, from CULPRIT and HOPS per goroutine; OBJ: what each waits on. */
static struct util_error *publish(struct gr_snapshot *s, const size_t *culprit,
				  const uint32_t *hops, const uint64_t *obj)
{
	size_t n = 0;
	for (size_t g = 0; g < s->ngoroutines; g++)
		n += culprit[g] < s->ngoroutines;
	if (!n)
		return NULL;
	struct util_u64map sync; // goid → index+1 of its sync wait
	util_u64map_init(&sync);
	struct util_error *err = NULL;
	for (size_t i = 0; !err && i < s->nsync_waits; i++)
		err = util_u64map_put(&sync, s->sync_waits[i].goid, i + 1);
	s->blockers = err ? NULL : util_arena_alloc(&s->arena, (n + 1) * sizeof(*s->blockers));
	if (!err && !s->blockers)
		err = &util_enomem;
	for (size_t g = 0; !err && g < s->ngoroutines; g++) {
		if (culprit[g] >= s->ngoroutines)
			continue;
		uint64_t goid = s->goroutines[g].goid, k;
		const char *via = "chan";
		if (util_u64map_get(&sync, goid, &k) && s->sync_waits[k - 1].addr == obj[g])
			via = via_of(s->sync_waits[k - 1].kind);
		s->blockers[s->nblockers++] = (struct gr_blocker){
			.goid = goid, .culprit_goid = s->goroutines[culprit[g]].goid,
			.obj_addr = obj[g], .via = via, .hops = hops[g]};
	}
	util_u64map_deinit(&sync);
	if (!err)
		qsort(s->blockers, s->nblockers, sizeof(*s->blockers), cmp_blocker);
	return err;
}

/*
 * The marking is over, and what follows (here, and reach.c's publish) reads
 * the entries, their maps, the reach edges and the heap's counts alone: the
 * marking's memory goes now, and the victims' arrays take its room rather
 * than add theirs to it (the peak of an analyze: on ctxgen's core the heap
 * graph was 13 MB of it; at 300,000 goroutines the graph ~50 MB, the spans,
 * the stacks' bounds and the marks some 25 MB more).
 */
static void drop_marking(struct reach *x)
{
	gr_heap_release(&x->h);
	uint64_t **words[] = {&x->mark, &x->mark2, &x->gmark, &x->is_wait, &x->glo, &x->ghi, &x->buf};
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
		free(*words[i]);
		*words[i] = NULL;
	}
	x->skip = NULL;
	free(x->stks);
	free(x->stack);
	free(x->span_stack);
	free(x->touched);
	x->stks = NULL, x->stack = NULL, x->span_stack = NULL, x->touched = NULL;
	x->nstks = x->nstack = x->stack_cap = x->ntouched = x->touched_cap = 0;
	gr_stacks_ahead_deinit(&x->ahead);
}

struct util_error *gr_victims_of_reach(struct reach *x, const struct gr_victim_search *vs)
{
	struct gr_snapshot *s = x->r->snap;
	size_t n = s->ngoroutines;
	if (vs->clipped)
		gr_diag(s, "warning", "victims",
			"victim search stopped after %d objects for %zu goroutines (goroutine %llu "
			"first): they may reach any object, so nothing they could release is said to "
			"be stuck behind anyone", VICTIM_OBJECTS, vs->clipped,
			(unsigned long long)s->goroutines[vs->example].goid);
	if (vs->unsearched)
		gr_diag(s, "warning", "victims",
			"victim search stopped after %zu objects in all (limit %d), or found no readable "
			"stack: %zu goroutines not searched may reach any object, so goroutine_blocker "
			"claims less", x->edge_objects, VICTIM_TOTAL_OBJECTS, vs->unsearched);
	drop_marking(x);
	struct gr_victim_edge *waits = malloc((x->nentries + 1) * sizeof(*waits));
	size_t *culprit = malloc((n + 1) * sizeof(*culprit));
	uint32_t *hops = malloc((n + 1) * sizeof(*hops));
	uint64_t *obj = calloc(n + 1, sizeof(*obj));
	struct util_error *err = NULL;
	if (!waits || !culprit || !hops || !obj)
		err = &util_enomem;
	// An object is a chain of reach.c's entries, by its head's index; a wait
	// on what the package variables reach is a wait on something anyone may.
	for (size_t i = 0; !err && i < x->nentries; i++) {
		const struct entry *en = &x->entries[i];
		uint64_t head = 0;
		if (!en->reached_by || strcmp(en->reached_by, "global"))
			util_u64map_get(en->where == W_HEAP ? &x->wait_obj : &x->wait_stack, en->obj, &head);
		waits[i] = (struct gr_victim_edge){en->gi, head ? (size_t)head - 1 : SIZE_MAX};
		if (!obj[en->gi])
			obj[en->gi] = en->addr; // entries by goroutine, then address
	}
	struct gr_victims_in in = {.ngoroutines = n, .nobjects = x->nentries, .waits = waits,
				   .nwaits = x->nentries, .reaches = x->vreach,
				   .nreaches = x->nvreach, .cut = vs->cut};
	if (!err)
		err = gr_victims_find(&in, culprit, hops);
	if (!err)
		err = publish(s, culprit, hops, obj);
	free(waits);
	free(culprit);
	free(hops);
	free(obj);
	return err;
}

bool gr_victims_wanted(const struct reach *x)
{
	for (size_t i = 0; i < x->nentries; i++)
		if (!x->entries[i].reached_by || strcmp(x->entries[i].reached_by, "global"))
			return true;
	return false;
}

struct util_error *gr_victims_keep_globals(struct reach *x)
{
	size_t words = x->h.nobjects / 64 + 1;
	x->gmark = malloc(words * sizeof(uint64_t));
	if (!x->gmark)
		return &util_enomem;
	memcpy(x->gmark, x->mark, words * sizeof(uint64_t));
	return NULL;
}

void gr_victims_reach(struct reach *x, size_t head)
{
	// Mapped: doubled in the heap, each old copy stayed a hole in it.
	if (!x->err)
		x->err = util_grow_mapped((void **)&x->vreach, x->nvreach, &x->vreach_cap,
					  sizeof(*x->vreach), 4096);
	if (!x->err)
		x->vreach[x->nvreach++] = (struct gr_victim_edge){x->edge_goroutine, head - 1};
}
