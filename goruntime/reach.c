// SPDX-License-Identifier: Apache-2.0
// reach.c: who can still wake a blocked goroutine. Marks the heap from what
// the process could still run — package variables and the stacks of
// goroutines not blocked on a channel or sync primitive — and, each time the
// object a blocked goroutine waits on is reached, that goroutine's stack too,
// until nothing changes (what Go 1.26's goroutine-leak detector does in a live
// process, in runtime/mgc.go and mgcmark.go). Then, for each object still
// unreached, which blocked goroutines' own stacks reach it: the edges of the
// wait-for graph whose components (waitgraph.c) are the wait cycles and the
// groups of goroutines leaked on one object.
// Last, every goroutine's own search: who is stuck behind whom (victims.c).
//
// Pointers are found as Go's collector finds them: by the heap objects'
// pointer bitmaps and the modules' data and bss masks (heapbits.c), stacks by
// the code's stack maps and live stack objects (stackmap.c), so a stale word
// (a uintptr, a dead slot, a freed object's field) keeps nothing alive; where
// that metadata cannot be read, every aligned word pointing into an object
// counts (towards "reachable"). Finalizers and cleanups are roots, as in
// markrootSpans. The runtime's own bookkeeping is not traced: runtime.g objects
// (allgs) and sudogs (g.waiting, channel queues, semtable) would otherwise
// make every channel and semaphore reachable, and Go's detector hides those
// pointers for the same reason (sudog.c and sudog.elem are
// maybeTraceableChan/maybeTraceablePtr in Go 1.26).
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "goruntime/reach.h"

static void wake(struct reach *x, size_t gi)
{
	if (x->state[gi] != 1)
		return;
	x->state[gi] = 2;
	if (!x->err)
		x->err = util_grow((void **)&x->queue, x->nqueue, &x->queue_cap, sizeof(*x->queue),
				   256);
	if (x->nqueue < x->queue_cap)
		x->queue[x->nqueue++] = gi;
}

/* The entries of a chain reached now: record how, and wake their goroutines. */
static void reach_chain(struct reach *x, size_t head)
{
	for (size_t e = head; e; e = x->entries[e - 1].next) {
		struct entry *en = &x->entries[e - 1];
		if (!en->reached_by) {
			en->reached_by = x->cur_by;
			en->via = x->cur_via;
			x->unreached--;
		}
		wake(x, en->gi);
	}
}

/*
 * Edges of the wait-for graph: goroutine edge_goroutine's stack reaches the
 * chain's object, so each unreached address in it. Once per address, not
 * per waiter: ten thousand goroutines on one mutex are one address.
 */
static void edge_chain(struct reach *x, size_t head)
{
	const struct entry *h = &x->entries[head - 1];
	uint64_t goid = x->r->snap->goroutines[x->edge_goroutine].goid;
	for (size_t k = 0; k < h->naddrs && !x->err; k++) {
		x->err = util_grow((void **)&x->reachers, x->nreachers, &x->reachers_cap,
				   sizeof(*x->reachers), 256);
		if (!x->err)
			x->reachers[x->nreachers++] =
				(struct gr_wait_reacher){.obj_addr = x->addrs[h->addrs + k], .goid = goid};
	}
}

/* WORD as a pointer: mark the object it points into (not yet marked). */
static inline void mark_word(struct reach *x, uint64_t word)
{
	size_t si, o;
	if (!gr_heap_find(&x->h, word, &si, &o) || !gr_bit(x->h.alloc, o) || gr_bit(x->skip, o))
		return;
	if (x->edges) {
		if (gr_bit(x->mark2, o))
			return;
		if (x->edge_objects >= x->edge_limit) {
			x->edge_cut = true;
			return;
		}
		gr_bit_set(x->mark2, o);
		x->edge_objects++;
		if (!x->err)
			x->err = util_grow((void **)&x->touched, x->ntouched, &x->touched_cap,
					   sizeof(*x->touched), 256);
		if (x->ntouched < x->touched_cap)
			x->touched[x->ntouched++] = o;
	} else {
		gr_bit_set(x->mark, o);
		x->marked_objects++;
		x->marked_bytes += x->h.spans[si].elemsize;
	}
	if (gr_bit(x->is_wait, o)) {
		uint64_t head;
		if (util_u64map_get(&x->wait_obj, o, &head)) {
			if (x->victims)
				gr_victims_reach(x, (size_t)head);
			else if (x->edges)
				edge_chain(x, (size_t)head);
			else
				reach_chain(x, (size_t)head);
		}
	}
	if (x->h.spans[si].noscan)
		return;
	if (x->nstack == x->stack_cap) {
		size_t ncap = x->stack_cap ? 2 * x->stack_cap : 1024;
		size_t *a = realloc(x->stack, ncap * sizeof(*a));
		if (a)
			x->stack = a;
		size_t *b = a ? realloc(x->span_stack, ncap * sizeof(*b)) : NULL;
		if (b)
			x->span_stack = b;
		if (!a || !b) {
			x->err = &util_enomem;
			return;
		}
		x->stack_cap = ncap;
	}
	x->stack[x->nstack] = o;
	x->span_stack[x->nstack++] = si;
}

/* Keep resident memory flat over a big heap: what was scanned is not read again. */
static void scanned(struct reach *x, uint64_t n)
{
	x->since_release += n;
	if (x->since_release >= RELEASE_BYTES) {
		core_release_pages(x->r->core);
		x->since_release = 0;
	}
}

static void missing(struct reach *x, uint64_t addr, const char *what)
{
	x->h.complete = false;
	gr_diag_capped(x->r->snap, &x->missing, "warning",
			"%s: memory at 0x%llx is not in the core; what it points to is not marked",
			what, (unsigned long long)addr);
}

/* Every aligned word of [LO, HI) as a pointer. */
static void scan_range(struct reach *x, uint64_t lo, uint64_t hi, const char *what)
{
	lo = (lo + 7) & ~(uint64_t)7;
	uint64_t hlo = x->h.lo, hspan = x->h.hi - x->h.lo;
	while (lo + 8 <= hi && !x->err) {
		uint64_t n = hi - lo < SCAN_CHUNK ? (hi - lo) & ~(uint64_t)7 : SCAN_CHUNK;
		struct util_error *err = core_read(x->r->core, lo, x->buf, n);
		if (err) {
			util_error_destroy(err);
			// Page by page: only what is really missing is skipped.
			uint64_t step = 4096 - (lo & 4095);
			if (step > n)
				step = n;
			err = core_read(x->r->core, lo, x->buf, step);
			if (err) {
				util_error_destroy(err);
				missing(x, lo, what);
				lo += step;
				continue;
			}
			n = step;
		}
		for (size_t i = 0; i < n / 8; i++)
			if (x->buf[i] - hlo < hspan)
				mark_word(x, x->buf[i]);
		lo += n;
		scanned(x, n);
	}
}

/* The words of [BASE, BASE + 8*NBIT) whose bit is set in BITMAP. */
static void scan_bits(struct reach *x, uint64_t base, const uint8_t *bitmap, uint32_t nbit,
		      const char *what)
{
	uint64_t hlo = x->h.lo, hspan = x->h.hi - x->h.lo;
	for (uint32_t k = 0; k < nbit && !x->err;) {
		uint32_t n = nbit - k < SCAN_CHUNK / 8 ? nbit - k : SCAN_CHUNK / 8;
		uint64_t at = base + 8 * (uint64_t)k;
		struct util_error *err = core_read(x->r->core, at, x->buf, 8 * (size_t)n);
		if (err) {
			util_error_destroy(err);
			scan_range(x, at, at + 8 * (uint64_t)n, what); // page by page
		} else {
			for (uint32_t i = 0; i < n; i++)
				if ((bitmap[(k + i) / 8] >> ((k + i) % 8) & 1) && x->buf[i] - hlo < hspan)
					mark_word(x, x->buf[i]);
			scanned(x, 8 * (uint64_t)n);
		}
		k += n;
	}
}

/* What stackmap.c and heapbits.c report, about memory of kind x->what. */
static void visit_words(void *arg, uint64_t lo, uint64_t hi)
{
	scan_range(arg, lo, hi, ((struct reach *)arg)->what);
}

static void visit_bits(void *arg, uint64_t base, const uint8_t *bitmap, uint32_t nbit)
{
	scan_bits(arg, base, bitmap, nbit, ((struct reach *)arg)->what);
}

/* The pointer words of object O of span SI: read ahead (heapgraph.c), or by its bitmap. */
static void scan_object(struct reach *x, size_t si, size_t o)
{
	const struct gr_span *s = &x->h.spans[si];
	size_t e, end;
	if (gr_graph_edges(&x->h, si, o, &e, &end)) { // as gr_heapbits_scan would find them
		x->hb.objects_precise++;
		for (; e < end && !x->err; e++)
			mark_word(x, x->h.lo + 8 * (uint64_t)gr_graph_edge(&x->h.graph, e));
		return;
	}
	struct gr_stack_visit v = {visit_words, visit_bits, x};
	x->what = "heap object";
	gr_heapbits_scan(&x->hb, s, s->base + (o - s->first) * s->elemsize, &v);
}

/* Scan the objects pushed until none is left. */
static void drain(struct reach *x)
{
	while (x->nstack && !x->err && (x->unreached || x->victims)) {
		x->nstack--;
		scan_object(x, x->span_stack[x->nstack], x->stack[x->nstack]);
	}
}

/*
 * The live part of goroutine GI's stack from its innermost SP: the pointer
 * slots of the stack maps and the stack objects the collector would scan,
 * every word where they cannot tell. A dead slot's old pointer would keep
 * what it points to reachable (diag's deadlocked mutexes, from a syscall).
 */
static void scan_stack(struct reach *x, size_t gi)
{
	const struct gr_goroutine *g = &x->r->snap->goroutines[gi];
	uint64_t lo = x->glo[gi], hi = x->ghi[gi];
	if (!hi) {
		missing(x, g->g_addr, "runtime.g stack bounds");
		return;
	}
	uint64_t sp = g->nframes ? gr_frame_sp(g, 0) : lo;
	if (sp < lo || sp > hi)
		sp = lo;
	// On a CPU, the innermost frame stopped at any instruction.
	bool exact_top = !gr_goroutine_running(x->r, g);
	struct gr_stack_visit v = {visit_words, visit_bits, x};
	x->what = "goroutine stack";
	struct util_error *err = gr_stack_live_of(&x->live, g, exact_top);
	if (!err)
		gr_stack_live_visit(&x->live, sp, hi, &v);
	else if (!x->err)
		x->err = err;
}

/* What goroutine GI holds: its stack, and what hangs off its g and thread. */
static void scan_roots(struct reach *x, size_t gi)
{
	struct gr_reader *r = x->r;
	const struct gr_goroutine *g = &r->snap->goroutines[gi];
	uint64_t w;
	scan_stack(x, gi);
	// Heap defer records and panics hang off the g, not the stack.
	if (x->g_defer != GR_ABSENT && !gr_g_word(r, g, x->g_defer, &w))
		mark_word(x, w);
	if (x->g_panic != GR_ABSENT && !gr_g_word(r, g, x->g_panic, &w))
		mark_word(x, w);
	// A goroutine on a CPU may hold pointers in its thread's registers.
	if (g->thread_id)
		for (size_t i = 0; i < core_num_threads(r->core); i++) {
			const struct core_thread *t = core_thread(r->core, i);
			if (t->tid != g->thread_id)
				continue;
			const uint64_t *a = (const uint64_t *)&t->regs, *b = (const uint64_t *)&t->regs_arm64;
			for (size_t k = 0, na = sizeof(t->regs) / 8; k < na + sizeof(t->regs_arm64) / 8; k++)
				mark_word(x, k < na ? a[k] : b[k - na]); // the other machine's are zeros
		}
	drain(x);
}

/* Goroutine GI can run: its stack (and what it holds outside it) are roots. */
static void scan_goroutine(struct reach *x, size_t gi)
{
	x->cur_by = "goroutine";
	x->cur_via = (uint32_t)gi + 1;
	uint64_t head;
	if (util_u64map_get(&x->wait_stack, gi, &head))
		reach_chain(x, (size_t)head); // waits on objects in its own stack frames
	scan_roots(x, gi);
}

static int cmp_stk(const void *a, const void *b)
{
	const struct stk *x = a, *y = b;
	return x->lo < y->lo ? -1 : x->lo > y->lo;
}

/* The goroutine whose stack holds ADDR, or SIZE_MAX. */
static size_t stack_owner(const struct reach *x, uint64_t addr)
{
	size_t lo = 0, hi = x->nstks;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (x->stks[mid].lo <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo && addr < x->stks[lo - 1].hi)
		return x->stks[lo - 1].gi;
	return SIZE_MAX;
}

static struct util_error *add_entry(struct reach *x, struct util_u64map *goidx, uint64_t goid,
				    uint64_t addr)
{
	uint64_t gi;
	if (!util_u64map_get(goidx, goid, &gi))
		return NULL;
	for (size_t e = x->first_entry[gi]; e && e <= x->nentries; e++) {
		if (x->entries[e - 1].gi != gi)
			break;
		if (x->entries[e - 1].addr == addr)
			return NULL; // a select on one channel twice
	}
	struct entry *en = &x->entries[x->nentries];
	*en = (struct entry){.addr = addr, .gi = (uint32_t)gi};
	size_t si, o, owner;
	if (gr_heap_find(&x->h, addr, &si, &o)) {
		en->where = W_HEAP;
		en->obj = o;
		// The goroutine's own stack points at it: it is live, whatever its
		// allocation bit said.
		gr_bit_set(x->h.alloc, o);
		gr_bit_set(x->is_wait, o);
		uint64_t head = 0;
		util_u64map_get(&x->wait_obj, o, &head);
		en->next = (size_t)head;
		struct util_error *err = util_u64map_put(&x->wait_obj, o, x->nentries + 1);
		if (err)
			return err;
	} else if ((owner = stack_owner(x, addr)) != SIZE_MAX) {
		en->where = W_STACK;
		en->obj = owner;
		uint64_t head = 0;
		util_u64map_get(&x->wait_stack, owner, &head);
		en->next = (size_t)head;
		struct util_error *err = util_u64map_put(&x->wait_stack, owner, x->nentries + 1);
		if (err)
			return err;
	} else {
		// A package variable, or runtime memory outside the heap: a root.
		en->where = W_GLOBAL;
		en->reached_by = "global";
	}
	if (!en->reached_by)
		x->unreached++;
	if (!x->first_entry[gi])
		x->first_entry[gi] = x->nentries + 1;
	x->state[gi] = 1;
	x->nentries++;
	return NULL;
}

/* A row per wait: the entries of each goroutine's chan and sync waits. */
static struct util_error *build_entries(struct reach *x)
{
	struct gr_snapshot *s = x->r->snap;
	struct util_u64map goidx;
	util_u64map_init(&goidx);
	struct util_error *err = NULL;
	for (size_t i = 0; !err && i < s->ngoroutines; i++)
		err = util_u64map_put(&goidx, s->goroutines[i].goid, i);
	// Rows of one goroutine must be adjacent: merge both lists by goid (a
	// stable sort, mapped: qsort's scratch stayed a hole at the marking's peak).
	size_t n = s->nchan_waits + s->nsync_waits, len = (n + 1) * sizeof(struct util_keyed);
	struct util_keyed *keys =
		n < UINT32_MAX && s->ngoroutines < UINT32_MAX ? util_alloc_big(len) : NULL;
	x->entries = calloc(n + 1, sizeof(*x->entries));
	if (!err && (!keys || !x->entries))
		err = &util_enomem;
	for (size_t i = 0; !err && i < s->nchan_waits; i++)
		keys[i] = (struct util_keyed){s->chan_waits[i].goid, s->chan_waits[i].chan_addr};
	for (size_t i = 0; !err && i < s->nsync_waits; i++)
		keys[s->nchan_waits + i] = (struct util_keyed){s->sync_waits[i].goid, s->sync_waits[i].addr};
	if (!err)
		err = util_sort_keyed(keys, n);
	for (size_t i = 0; !err && i < n; i++)
		err = add_entry(x, &goidx, keys[i].key, keys[i].val);
	util_free_big(keys, len);
	util_u64map_deinit(&goidx);
	return err;
}

/* Stack bounds of every goroutine, sorted: to find waits on stack objects. */
static struct util_error *read_stacks(struct reach *x)
{
	struct gr_snapshot *s = x->r->snap;
	x->stks = malloc((s->ngoroutines + 1) * sizeof(*x->stks));
	x->glo = calloc(s->ngoroutines + 1, sizeof(*x->glo));
	x->ghi = calloc(s->ngoroutines + 1, sizeof(*x->ghi));
	if (!x->stks || !x->glo || !x->ghi)
		return &util_enomem;
	for (size_t i = 0; i < s->ngoroutines; i++) {
		const struct gr_goroutine *g = &s->goroutines[i];
		if (g->stack_hi > g->stack_lo && g->stack_hi - g->stack_lo <= MAX_STACK_BYTES) {
			x->stks[x->nstks++] = (struct stk){g->stack_lo, g->stack_hi, i};
			x->glo[i] = g->stack_lo;
			x->ghi[i] = g->stack_hi;
		}
	}
	qsort(x->stks, x->nstks, sizeof(*x->stks), cmp_stk);
	return NULL;
}

/* Pre-mark what is never traced: every runtime.g of allgs and every sudog. */
static void exclude(struct reach *x, uint64_t addr)
{
	size_t si, o;
	if (gr_heap_find(&x->h, addr, &si, &o))
		gr_bit_set(x->mark, o);
}

static void exclude_runtime(struct reach *x)
{
	struct gr_reader *r = x->r;
	uint64_t hdr[3];
	if (!core_read(r->core, r->layout.allgs_addr, hdr, sizeof(hdr)) && hdr[1] <= hdr[2] &&
	    hdr[1] <= 100000000) {
		for (uint64_t i = 0; i < hdr[1]; i += SCAN_CHUNK / 8) {
			uint64_t n = hdr[1] - i < SCAN_CHUNK / 8 ? hdr[1] - i : SCAN_CHUNK / 8;
			struct util_error *err = core_read(r->core, hdr[0] + i * 8, x->buf, n * 8);
			if (err) {
				util_error_destroy(err);
				break;
			}
			for (uint64_t k = 0; k < n; k++)
				exclude(x, x->buf[k]);
		}
	}
	for (size_t i = 0; i < r->snap->ngoroutines; i++)
		exclude(x, r->snap->goroutines[i].g_addr);
	for (size_t i = 0; i < r->nsudog_addrs; i++)
		exclude(x, r->sudog_addrs[i]);
	free(r->sudog_addrs); // their last reader (4 MB at 300,000 goroutines)
	r->sudog_addrs = NULL, r->nsudog_addrs = r->sudog_addrs_cap = 0;
	for (size_t i = 0; i < x->nps; i++) // read by their type (scan_globals)
		exclude(x, x->ps[i]);
}

/*
 * The roots that are no goroutine: runtime.p by its type, each module's
 * data and bss (by their masks), and the finalizers and cleanups of the
 * span specials.
 */
static void scan_globals(struct reach *x)
{
	x->cur_by = "global";
	x->cur_via = 0;
	for (size_t i = 0; i < x->npwords; i++)
		mark_word(x, x->pwords[i]);
	drain(x);
	struct gr_stack_visit v = {visit_words, visit_bits, x};
	x->what = "data or bss";
	if (!gr_heapbits_globals(&x->hb, &v))
		x->h.complete = false;
	drain(x);
	x->what = "finalizer or cleanup";
	if (!gr_heapbits_specials(&x->hb, &x->h, &v))
		x->h.complete = false;
	drain(x);
	if (x->hb.err && !x->err)
		x->err = x->hb.err;
}

/* Each chain's distinct unreached addresses, for edge_chain. */
static struct util_error *chain_addrs(struct reach *x)
{
	x->addrs = malloc((x->nentries + 1) * sizeof(*x->addrs));
	if (!x->addrs)
		return &util_enomem;
	size_t n = 0;
	const struct util_u64map *maps[2] = {&x->wait_obj, &x->wait_stack};
	for (size_t mi = 0; mi < 2; mi++) {
		const struct util_u64map *heads = maps[mi];
		for (size_t i = 0; i < heads->cap; i++) {
			if (heads->keys[i] == ~(uint64_t)0) // the map's empty slot
				continue;
			struct entry *h = &x->entries[heads->vals[i] - 1];
			size_t start = n;
			for (size_t e = (size_t)heads->vals[i]; e; e = x->entries[e - 1].next)
				if (!x->entries[e - 1].reached_by)
					x->addrs[n++] = x->entries[e - 1].addr;
			qsort(x->addrs + start, n - start, sizeof(*x->addrs), gr_cmp_u64);
			size_t k = start;
			for (size_t a = start; a < n; a++)
				if (a == start || x->addrs[a] != x->addrs[k - 1])
					x->addrs[k++] = x->addrs[a];
			n = k;
			h->addrs = start;
			h->naddrs = n - start;
		}
	}
	return NULL;
}

/* Goroutines blocked on nothing anyone reaches: who could wake them. */
static void find_wakers(struct reach *x)
{
	struct gr_snapshot *s = x->r->snap;
	size_t searched = 0;
	x->mark2 = calloc(x->h.nobjects / 64 + 1, sizeof(uint64_t));
	if (!x->mark2) {
		x->err = &util_enomem;
		return;
	}
	x->err = chain_addrs(x);
	if (x->err)
		return;
	x->edges = true;
	x->edge_limit = MAX_EDGE_OBJECTS;
	size_t blocked = 0;
	for (size_t gi = 0; gi < s->ngoroutines; gi++)
		blocked += x->state[gi] == 1;
	for (size_t gi = 0; gi < s->ngoroutines && !x->err; gi++) {
		if (x->state[gi] != 1)
			continue;
		if (searched == MAX_EDGE_GOROUTINES || x->edge_objects >= MAX_EDGE_OBJECTS)
			break;
		searched++;
		x->edge_goroutine = gi;
		uint64_t head;
		if (util_u64map_get(&x->wait_stack, gi, &head))
			edge_chain(x, (size_t)head); // what others wait on in its own frames
		gr_stacks_ahead_pin(&x->ahead, x->r, gi, x->glo, x->ghi);
		scan_stack(x, gi);
		core_unpin(x->r->core);
		drain(x);
		for (size_t i = 0; i < x->ntouched; i++)
			x->mark2[x->touched[i] / 64] = 0;
		x->ntouched = 0;
	}
	if (searched < blocked || x->edge_objects >= MAX_EDGE_OBJECTS)
		gr_diag(s, "warning", "heap",
			"wakers searched from %zu of %zu unwoken blocked goroutines (%zu objects "
			"visited, limits %d and %d): wait_reacher is incomplete",
			searched, blocked, x->edge_objects, MAX_EDGE_GOROUTINES, MAX_EDGE_OBJECTS);
	x->edges = false;
}

/*
 * Who is stuck behind whom (victims.c) needs, for each wait object, every
 * goroutine whose own stack reaches it, blocked or not, reached by the
 * marking or not: a search per goroutine, skipping what the package
 * variables reach (anyone may reach that: no culprit there) and stopping at
 * VICTIM_OBJECTS objects; past VICTIM_TOTAL_OBJECTS in all the goroutines
 * left are not searched. A goroutine cut short may reach anything, and
 * gr_victims_find claims nothing it could release.
 */
static void find_victims(struct reach *x)
{
	size_t n = x->r->snap->ngoroutines;
	if (!gr_victims_wanted(x))
		return;
	struct gr_victim_search vs = {.cut = calloc(n + 1, sizeof(bool))};
	if (!vs.cut) {
		x->err = &util_enomem;
		return;
	}
	x->victims = x->edges = true;
	x->skip = x->gmark;
	x->edge_objects = 0;
	for (size_t gi = 0; gi < n && !x->err; gi++) {
		if (x->edge_objects >= VICTIM_TOTAL_OBJECTS || !x->ghi[gi]) {
			vs.cut[gi] = true;
			vs.unsearched++;
			continue;
		}
		x->edge_goroutine = gi;
		x->edge_limit = x->edge_objects + VICTIM_OBJECTS;
		if (x->edge_limit > VICTIM_TOTAL_OBJECTS)
			x->edge_limit = VICTIM_TOTAL_OBJECTS;
		x->edge_cut = false;
		uint64_t head;
		if (util_u64map_get(&x->wait_stack, gi, &head))
			gr_victims_reach(x, (size_t)head); // what others wait on in its own frames
		gr_stacks_ahead_pin(&x->ahead, x->r, gi, x->glo, x->ghi);
		scan_roots(x, gi);
		core_unpin(x->r->core);
		for (size_t i = 0; i < x->ntouched; i++)
			x->mark2[x->touched[i] / 64] = 0;
		x->ntouched = 0;
		if (x->edge_cut && !vs.clipped++)
			vs.example = gi;
		vs.cut[gi] |= x->edge_cut;
	}
	x->victims = x->edges = false;
	x->skip = x->mark;
	if (!x->err)
		x->err = gr_victims_of_reach(x, &vs);
	free(vs.cut);
}

static int cmp_reach(const void *a, const void *b)
{
	const struct gr_wait_reach *x = a, *y = b;
	if (x->goid != y->goid)
		return x->goid < y->goid ? -1 : 1;
	return x->obj_addr < y->obj_addr ? -1 : x->obj_addr > y->obj_addr;
}

static int cmp_reacher(const void *a, const void *b)
{
	const struct gr_wait_reacher *x = a, *y = b;
	if (x->obj_addr != y->obj_addr)
		return x->obj_addr < y->obj_addr ? -1 : 1;
	return x->goid < y->goid ? -1 : x->goid > y->goid;
}

/* A copy of N elements of SIZE in the snapshot's arena (one element at least). */
static struct util_error *publish(struct reach *x, unsigned rounds)
{
	struct gr_snapshot *s = x->r->snap;
	s->wait_reaches = util_arena_alloc(&s->arena, (x->nentries + 1) * sizeof(*s->wait_reaches));
	if (!s->wait_reaches)
		return &util_enomem;
	for (size_t i = 0; i < x->nentries; i++) {
		const struct entry *en = &x->entries[i];
		s->wait_reaches[i] = (struct gr_wait_reach){
			.goid = s->goroutines[en->gi].goid, .obj_addr = en->addr,
			.reached_by = en->reached_by,
			.via_goid = en->via ? s->goroutines[en->via - 1].goid : 0};
	}
	s->nwait_reaches = x->nentries;
	qsort(s->wait_reaches, s->nwait_reaches, sizeof(*s->wait_reaches), cmp_reach);
	// An object reached twice through one goroutine's stack counts once.
	if (x->nreachers > 1)
		qsort(x->reachers, x->nreachers, sizeof(*x->reachers), cmp_reacher);
	size_t k = 0;
	for (size_t i = 0; i < x->nreachers; i++)
		if (!k || cmp_reacher(&x->reachers[k - 1], &x->reachers[i]))
			x->reachers[k++] = x->reachers[i];
	x->nreachers = k;
	struct gr_wait_graph wg;
	struct util_error *err = gr_wait_graph_build(s->wait_reaches, s->nwait_reaches, x->reachers,
						     x->nreachers, &wg);
	if (err)
		return err;
	s->wait_reachers = gr_arena_copy(s, x->reachers, x->nreachers, sizeof(*x->reachers));
	s->wait_components = gr_arena_copy(s, wg.components, wg.ncomponents, sizeof(*wg.components));
	s->wait_members = gr_arena_copy(s, wg.members, wg.nmembers, sizeof(*wg.members));
	s->nwait_reachers = x->nreachers;
	s->nwait_components = wg.ncomponents;
	s->nwait_members = wg.nmembers;
	gr_wait_graph_deinit(&wg);
	if (!s->wait_reachers || !s->wait_components || !s->wait_members)
		return &util_enomem;
	s->has_heap_scan = true;
	s->heap_scan = (struct gr_heap_scan){
		.spans = x->h.nspans,
		.objects = x->h.nallocated,
		.marked_objects = x->marked_objects,
		.marked_bytes = x->marked_bytes,
		.rounds = rounds,
		.complete = x->h.complete,
		.heap_bits = x->hb.name,
		.objects_precise = x->hb.objects_precise,
		.objects_conservative = x->hb.objects_conservative,
		.global_words_precise = x->hb.global_words_precise,
		.global_words_conservative = x->hb.global_words_conservative,
	};
	return NULL;
}

struct util_error *gr_read_reach(struct gr_reader *r)
{
	struct gr_snapshot *s = r->snap;
	struct util_error *err;
	struct reach x = {.r = r, .missing = GR_DIAG_CAP("heap", MAX_MISSING_DIAGS)};
	util_u64map_init(&x.wait_obj);
	util_u64map_init(&x.wait_stack);
	gr_stacks_ahead_init(&x.ahead);
	bool found = false;
	// The frame plans the readers of frame variables already made.
	err = gr_frame_maps(r, &x.maps);
	gr_stack_live_init(&x.live, x.maps, gr_stack_read_core, r); // unused if that failed
	if (!err)
		err = gr_heap_take(r, &x.h, &found);
	if (err || !found)
		goto out;
	gr_heapbits_init(&x.hb, r, x.h.page_size);
	x.mark = calloc(x.h.nobjects / 64 + 1, sizeof(uint64_t));
	x.skip = x.mark;
	x.is_wait = calloc(x.h.nobjects / 64 + 1, sizeof(uint64_t));
	x.state = calloc(s->ngoroutines + 1, 1);
	x.first_entry = calloc(s->ngoroutines + 1, sizeof(*x.first_entry));
	x.buf = malloc(SCAN_CHUNK);
	if (!x.mark || !x.is_wait || !x.state || !x.first_entry || !x.buf) {
		err = &util_enomem;
		goto out;
	}
	x.g_defer = gr_member(r->bin, "runtime.g", "_defer");
	x.g_panic = gr_member(r->bin, "runtime.g", "_panic");
	err = read_stacks(&x);
	if (!err)
		err = gr_heap_runtime_roots(r, &x.ps, &x.nps, &x.pwords, &x.npwords);
	if (!err)
		err = build_entries(&x);
	if (err)
		goto out;
	exclude_runtime(&x);
	// Round 1: package variables first (so what they reach is "global"),
	// then every goroutine that can run.
	// Go 1.26's leak detector left _Gleaked on the goroutines it found:
	// blocked for good, never roots, whatever gocoroner found them waiting on.
	for (size_t i = 0; i < s->ngoroutines; i++)
		if (!x.state[i] && r->layout.st_leaked >= 0 &&
		    (int64_t)s->goroutines[i].status == r->layout.st_leaked)
			x.state[i] = 1;
	unsigned rounds = 1;
	scan_globals(&x);
	err = gr_victims_keep_globals(&x);
	if (err)
		goto out;
	for (size_t i = 0; i < x.nentries; i++)
		if (x.entries[i].where == W_GLOBAL)
			wake(&x, x.entries[i].gi); // waits on a package variable
	// Once every wait object is reached nothing more can be learned about
	// them: the marking stops there (a process without leaks costs little).
	for (size_t i = 0; i < s->ngoroutines && !x.err && x.unreached; i++)
		if (x.state[i] == 0)
			scan_goroutine(&x, i);
	// Then the goroutines woken by the last round, until none is.
	while (x.nqueue && !x.err && x.unreached) {
		rounds++;
		size_t n = x.nqueue;
		size_t *q = malloc(n * sizeof(*q));
		if (!q) {
			err = &util_enomem;
			goto out;
		}
		memcpy(q, x.queue, n * sizeof(*q));
		x.nqueue = 0;
		for (size_t i = 0; i < n && !x.err && x.unreached; i++)
			scan_goroutine(&x, q[i]);
		free(q);
	}
	if (!x.err)
		find_wakers(&x);
	if (!x.err)
		find_victims(&x);
	if (x.maps->frames_exact || x.maps->frames_words)
		gr_diag(s, "info", "heap",
			"stack frames scanned: %llu through the code's stack maps, %llu word by word%s",
			(unsigned long long)x.maps->frames_exact, (unsigned long long)x.maps->frames_words,
			x.maps->ok ? "" : " (the binary's stack maps could not be read)");
	gr_heapbits_report(&x.hb);
	gr_diag_cap_flush(s, &x.missing);
	err = x.err;
	if (!err)
		err = publish(&x, rounds);
out:
	core_release_pages(r->core);
	gr_stack_live_deinit(&x.live);
	gr_heap_deinit(&x.h);
	gr_heapbits_deinit(&x.hb);
	gr_stacks_ahead_deinit(&x.ahead);
	free(x.mark);
	free(x.mark2);
	free(x.gmark);
	util_unmap_array(x.vreach, x.vreach_cap, sizeof(*x.vreach));
	free(x.is_wait);
	free(x.state);
	free(x.first_entry);
	free(x.entries);
	free(x.queue);
	free(x.stack);
	free(x.span_stack);
	free(x.touched);
	free(x.reachers);
	free(x.addrs);
	free(x.ps);
	free(x.pwords);
	free(x.stks);
	free(x.glo);
	free(x.ghi);
	free(x.buf);
	util_u64map_deinit(&x.wait_obj);
	util_u64map_deinit(&x.wait_stack);
	return err;
}
