// SPDX-License-Identifier: Apache-2.0
// ctxcancel.c: which contexts are canceled, where each cancellation started,
// and which contexts below a canceled one it should reach (the rows of
// context_canceled and context_below_canceled, store/schema.sql version 10).
//
// The cancel_* queries start from these sets. As recursive SQL they were
// evaluated again by every query that read them; here they are computed once,
// in time linear in the contexts and the rows written: one walk up from each
// canceled context, one walk down from it. The rules are the ones the views
// had (queries/_ctx_canceled.sql, _ctx_below_canceled.sql), bounds included.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "goruntime/internal.h"

enum {
	MAX_STEPS = 1000,           /* parent steps up, and down, as the views had */
	MAX_BELOW = 4000000,        /* rows of the walks down, all seeds together */
};

static const char *kind_of(const struct gr_context *c)
{
	const char *k = gr_context_kind_name(c->kind);
	return k ? k : "user";
}

static bool is(const char *kind, const char *what)
{
	return strcmp(kind, what) == 0;
}

/* A context with a cancellation state of its own. */
static bool has_state(const char *kind)
{
	return is(kind, "cancel") || is(kind, "timer") || is(kind, "afterFunc");
}

static bool canceled_with_state(const struct gr_context *c)
{
	return c->canceled == 1 && has_state(kind_of(c));
}

/*
 * The contexts sorted by one of their addresses, for lookups: that address
 * (key) and the context's index (val), side by side. The sorts and the
 * searches compare what the array holds: sorting indexes by the contexts they
 * named took two cache misses a comparison, 0.1 s of ctxgen's 416,613
 * contexts. The sort is stable: equal keys stay in the order given.
 */
struct sorted {
	const struct gr_context *ctxs;
	struct util_keyed *k;        /* a mapping of its own: 6.5 MB on ctxgen's core, freed at once,
					and in the heap it stayed, a hole the heap grew past */
	size_t n;
};

/* By address; equal addresses (not in a snapshot) in index order. */
static bool sort_by_addr(struct sorted *s, const struct gr_context *ctxs, size_t n)
{
	s->ctxs = ctxs;
	s->n = n;
	s->k = util_map_anon((n ? n : 1) * sizeof(*s->k), true);
	if (!s->k)
		return false;
	for (size_t i = 0; i < n; i++)
		s->k[i] = (struct util_keyed){ctxs[i].addr, i};
	struct util_error *err = util_sort_keyed(s->k, n);
	util_error_destroy(err);
	return !err;
}

/* By parent address, then address (then index): SA's order breaks the ties. */
static bool sort_by_parent(struct sorted *s, const struct sorted *sa)
{
	size_t n = sa->n;
	s->ctxs = sa->ctxs;
	s->n = n;
	s->k = util_map_anon((n ? n : 1) * sizeof(*s->k), true);
	if (!s->k)
		return false;
	for (size_t i = 0; i < n; i++)
		s->k[i] = (struct util_keyed){sa->ctxs[sa->k[i].val].parent_addr, sa->k[i].val};
	struct util_error *err = util_sort_keyed(s->k, n);
	util_error_destroy(err);
	return !err;
}

/* The first position in S whose key is >= V. */
static size_t lower_bound(const struct sorted *s, uint64_t v)
{
	size_t lo = 0, hi = s->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (s->k[mid].key < v)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static const struct gr_context *find(const struct sorted *by_addr_s, uint64_t addr)
{
	size_t k = lower_bound(by_addr_s, addr);
	return k < by_addr_s->n && by_addr_s->k[k].key == addr ? &by_addr_s->ctxs[by_addr_s->k[k].val]
								: NULL;
}

/* The walk up from canceled context C: the outermost canceled ancestor
 * reached through delegating or canceled contexts. */
static struct gr_ctx_canceled walk_up(const struct sorted *s, const struct gr_context *c)
{
	struct gr_ctx_canceled r = {.addr = c->addr, .origin_addr = c->addr};
	uint64_t cur = c->parent_addr;
	for (uint32_t steps = 0; cur && steps < MAX_STEPS;) {
		const struct gr_context *p = find(s, cur);
		if (!p)
			break;
		const char *k = kind_of(p);
		if (!(is(k, "value") || is(k, "stop") || (is(k, "user") && !p->done_chan) ||
		      canceled_with_state(p)))
			break;
		steps++;
		if (p->canceled == 1) {
			r.origin_addr = p->addr;
			r.origin_steps = steps;
		}
		cur = p->parent_addr;
	}
	return r;
}

/* "PREFIX > 0xADDR NAME", or "0xADDR NAME (canceled)" for a seed, in ARENA. */
static const char *path_of(struct util_arena *arena, const char *prefix, uint64_t addr,
			   const char *name)
{
	char seg[512];
	int n = prefix ? snprintf(seg, sizeof(seg), " > %#llx %s", (unsigned long long)addr, name)
		       : snprintf(seg, sizeof(seg), "%#llx %s (canceled)", (unsigned long long)addr, name);
	if (n < 0)
		return NULL;
	size_t seglen = (size_t)n < sizeof(seg) ? (size_t)n : sizeof(seg) - 1;
	size_t plen = prefix ? strlen(prefix) : 0;
	char *p = util_arena_alloc(arena, plen + seglen + 1);
	if (!p)
		return NULL;
	if (plen)
		memcpy(p, prefix, plen);
	memcpy(p + plen, seg, seglen);
	p[plen + seglen] = '\0';
	return p;
}

struct util_error *gr_cancel_sets(const struct gr_context *ctxs, size_t n, const struct gr_strings *strs,
				  struct util_arena *arena, struct gr_cancel_sets *ret)
{
	struct sorted sa = {0}, sp = {0};
	struct gr_ctx_canceled *up = NULL;
	struct gr_ctx_below *rows = NULL;
	size_t nup = 0, nrows = 0, rows_cap = 0;
	struct util_error *err = NULL;
	*ret = (struct gr_cancel_sets){0};
	if (n > UINT32_MAX)
		return util_error_create(UTIL_ERROR_INVALID, "%zu contexts: too many", n);
	// The seeds straight into the arena, as many as there are: one for
	// each context was 9.7 MB on ctxgen's core for 13,298 of them, at the
	// top of the heap as the contexts pass ended.
	size_t nseeds = 0;
	for (size_t i = 0; i < n; i++)
		nseeds += canceled_with_state(&ctxs[i]);
	if (!sort_by_addr(&sa, ctxs, n) || !sort_by_parent(&sp, &sa) ||
	    !(up = util_arena_alloc(arena, (nseeds ? nseeds : 1) * sizeof(*up)))) {
		err = &util_enomem;
		goto out;
	}
	for (size_t i = 0; i < n; i++)
		if (canceled_with_state(&ctxs[i]))
			up[nup++] = walk_up(&sa, &ctxs[i]);
	// Down from each seed, breadth first: the rows appended are the queue.
	bool cut = false;
	for (size_t i = 0; i < nup && !err && !cut; i++) {
		const struct gr_context *seed = find(&sa, up[i].addr);
		const char *path = path_of(arena, NULL, seed->addr, kind_of(seed));
		err = path ? util_grow((void **)&rows, nrows, &rows_cap, sizeof(*rows), 1024) : &util_enomem;
		if (err)
			break;
		size_t first = nrows;
		rows[nrows++] = (struct gr_ctx_below){
			.seed_addr = seed->addr, .addr = seed->addr, .origin_addr = up[i].origin_addr,
			.kind = kind_of(seed), .canceled = seed->canceled, .path = path};
		for (size_t k = first; k < nrows && !err && !cut; k++) {
			struct gr_ctx_below d = rows[k]; // rows may move as they grow
			if (d.depth >= MAX_STEPS ||
			    !(d.depth == 0 || is(d.kind, "value") || is(d.kind, "stop") || is(d.kind, "user")))
				continue;
			for (size_t j = lower_bound(&sp, d.addr); j < sp.n && sp.k[j].key == d.addr; j++) {
				const struct gr_context *c = &ctxs[sp.k[j].val];
				if (canceled_with_state(c))
					continue;
				if (nrows >= MAX_BELOW) {
					cut = true;
					break;
				}
				const char *k2 = kind_of(c);
				const char *tn = gr_str(strs, c->type_name);
				const char *name = is(k2, "user") ? (tn ? tn : "user") : k2;
				const char *p = path_of(arena, d.path, c->addr, name);
				err = p ? util_grow((void **)&rows, nrows, &rows_cap, sizeof(*rows), 1024)
					: &util_enomem;
				if (err)
					break;
				rows[nrows++] = (struct gr_ctx_below){
					.seed_addr = d.seed_addr, .addr = c->addr, .origin_addr = d.origin_addr,
					.user_addr = d.user_addr ? d.user_addr : is(k2, "user") ? c->addr : 0,
					.kind = k2, .canceled = c->canceled, .path = p, .depth = d.depth + 1};
			}
		}
	}
	if (err)
		goto out;
	ret->canceled = up;
	ret->below = util_arena_alloc(arena, (nrows ? nrows : 1) * sizeof(*rows));
	if (!ret->below) {
		err = &util_enomem;
		goto out;
	}
	if (nrows)
		memcpy(ret->below, rows, nrows * sizeof(*rows));
	ret->ncanceled = nup;
	ret->nbelow = nrows;
	ret->cut = cut;
out:
	if (err)
		*ret = (struct gr_cancel_sets){0};
	util_unmap_array(sa.k, sa.n ? sa.n : 1, sizeof(*sa.k));
	util_unmap_array(sp.k, sp.n ? sp.n : 1, sizeof(*sp.k));
	free(rows);
	return err;
}
