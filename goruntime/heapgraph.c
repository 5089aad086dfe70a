// SPDX-License-Identifier: Apache-2.0
// heapgraph.c: the pointers of the heap's objects, read once in address
// order, for the marking (reach.c) to follow without reading the core.
//
// The marking visits objects in the order its depth-first walk finds them,
// all over the heap: each object read cost a page of the core's page cache,
// and the heap it walks is larger than the cache (on a core of 100,000
// goroutines, 63,000 preads of 4 KiB for 9,100 distinct pages; on a debug
// build's, 35,000 for 27,500). That order is the answer (which goroutine
// reached a wait object first, where the walk stopped), so it stays; what
// changes is where the objects' words come from. Here every allocated
// object of the scannable spans is read span after span, up to 1 MiB with
// one pread, and the words its heap bits (heapbits.c) say are pointers
// into the heap are kept, in order, as 32-bit word numbers of the heap's
// range. The marking then follows these instead of reading the object.
// An object left out (its span not all in the core, or read word by word
// for want of its metadata, or past the budget) is read as before, so
// the diagnostics and the counts are those of the marking alone.
#include <stdlib.h>
#include <string.h>

#include "goruntime/heapbits.h"

enum {
	CHUNK_MAX = 1 << 20,           /* bytes of spans read at once */
	CHUNK_GAP = 64 << 10,          /* spans this close share a read */
	MAX_EDGES = 1u << 30,          /* words kept (4 GiB of them: far past any core seen) */
};

/* One object being recorded: its pointer words come from BUF. */
struct rec {
	struct gr_heap_graph *g;
	const struct gr_heap *h;
	const uint8_t *buf;
	uint64_t lo, hi;               /* the addresses BUF holds */
	bool bad;                      /* a word outside BUF, or no memory */
};

/* Word WORD as the marking's mark_word would take it. */
static inline void rec_word(struct rec *rc, uint64_t word)
{
	size_t si, o;
	if (!gr_heap_find(rc->h, word, &si, &o))
		return;
	struct gr_heap_graph *g = rc->g;
	uint32_t n = (uint32_t)((word - rc->h->lo) / 8);
	size_t b = g->nedges >> GR_GRAPH_BLOCK_BITS;
	if (b == g->nblocks) {
		uint32_t *block = NULL;
		if (g->nedges >= MAX_EDGES ||
		    util_grow((void **)&g->blocks, g->nblocks, &g->blocks_cap, sizeof(*g->blocks), 64) ||
		    !(block = malloc(sizeof(*block) << GR_GRAPH_BLOCK_BITS))) {
			rc->bad = true;
			return;
		}
		g->blocks[g->nblocks++] = block;
	}
	g->blocks[b][g->nedges++ & (((size_t)1 << GR_GRAPH_BLOCK_BITS) - 1)] = n;
}

static inline bool rec_load(struct rec *rc, uint64_t at, uint64_t *w)
{
	if (at < rc->lo || at + 8 > rc->hi) {
		rc->bad = true;
		return false;
	}
	memcpy(w, rc->buf + (at - rc->lo), 8);
	return true;
}

/* As reach.c's scan_range. */
static void rec_words(void *arg, uint64_t lo, uint64_t hi)
{
	struct rec *rc = arg;
	uint64_t w;
	for (lo = (lo + 7) & ~(uint64_t)7; lo + 8 <= hi && !rc->bad; lo += 8)
		if (rec_load(rc, lo, &w))
			rec_word(rc, w);
}

/* As reach.c's scan_bits. */
static void rec_bits(void *arg, uint64_t base, const uint8_t *bitmap, uint32_t nbit)
{
	struct rec *rc = arg;
	uint64_t w;
	for (uint32_t k = 0; k < nbit && !rc->bad; k++)
		if ((bitmap[k / 8] >> (k % 8) & 1) && rec_load(rc, base + 8 * (uint64_t)k, &w))
			rec_word(rc, w);
}

/* The allocated objects of span SI, S, whose bytes [RC->lo, RC->hi) hold. */
static void record_span(struct gr_heap *h, struct gr_heapbits *hb, struct rec *rc, size_t si,
			const struct gr_span *s)
{
	struct gr_heap_graph *g = &h->graph;
	struct gr_stack_visit v = {rec_words, rec_bits, rc};
	for (uint32_t j = 0; j < s->nelems; j++) {
		size_t o = s->first + j;
		if (g->nedges - g->soff[si] > UINT16_MAX) {
			// Too many for the offsets: the span's objects are read as before.
			for (uint32_t k = 0; k < j; k++)
				g->has[(s->first + k) / 64] &= ~((uint64_t)1 << ((s->first + k) % 64));
			g->nedges = g->soff[si];
			return;
		}
		g->roff[o] = (uint16_t)(g->nedges - g->soff[si]);
		if (!gr_bit(h->alloc, o))
			continue;
		size_t had = g->nedges;
		uint64_t precise = hb->objects_precise, conservative = hb->objects_conservative;
		rc->bad = false;
		gr_heapbits_scan(hb, s, s->base + j * s->elemsize, &v);
		if (rc->bad || hb->err || hb->objects_precise != precise + 1 ||
		    hb->objects_conservative != conservative) {
			g->nedges = had; // read as before, when the marking gets there
			continue;
		}
		gr_bit_set(g->has, o);
	}
}

/*
 * The graph of H's objects into H->graph, read from CORE with HB (its
 * spans' bits cached once each); no graph without memory.
 */
static void graph_build(struct gr_heap *h, struct gr_heapbits *hb, struct core_file *core)
{
	struct gr_heap_graph *g = &h->graph;
	// Word numbers of the heap's range in 32 bits: 32 GiB of it.
	if ((h->hi - h->lo) / 8 > UINT32_MAX || h->nobjects >= UINT32_MAX)
		return;
	g->soff = malloc((h->nspans + 1) * sizeof(*g->soff));
	g->roff = malloc((h->nobjects + 1) * sizeof(*g->roff));
	g->has = calloc(h->nobjects / 64 + 1, sizeof(uint64_t));
	uint8_t *buf = malloc(CHUNK_MAX);
	if (!g->soff || !g->roff || !g->has || !buf || hb->err) {
		gr_heap_graph_deinit(g);
		goto out;
	}
	struct rec rc = {.g = g, .h = h, .buf = buf};
	size_t chunk_end = 0; // spans [.., chunk_end) are read into buf, [rc.lo, rc.hi)
	bool pinned = false;
	for (size_t i = 0; i < h->nspans && !hb->err; i++) {
		const struct gr_span *s = &h->spans[i];
		g->soff[i] = (uint32_t)g->nedges;
		bool fits = !s->noscan && s->limit > s->base && s->limit - s->base <= CHUNK_MAX;
		if (i >= chunk_end && fits) {
			// The scannable spans from here that fit one read.
			if (pinned)
				core_unpin(core);
			pinned = false;
			uint64_t lo = s->base, hi = s->limit;
			size_t end = i + 1;
			for (; end < h->nspans; end++) {
				const struct gr_span *t = &h->spans[end];
				if (t->noscan)
					continue;
				if (t->base > hi + CHUNK_GAP || t->limit < t->base ||
				    t->limit - lo > CHUNK_MAX)
					break;
				if (t->limit > hi)
					hi = t->limit;
			}
			struct util_error *err = core_read_once(core, lo, buf, (size_t)(hi - lo));
			if (err) {
				// Not all in the core: this span alone, or as before.
				util_error_destroy(err);
				end = i + 1;
				hi = s->limit;
				err = core_read_once(core, lo, buf, (size_t)(hi - lo));
			}
			chunk_end = end;
			if (err) {
				util_error_destroy(err);
				rc.lo = rc.hi = 0;
			} else {
				rc.lo = lo;
				rc.hi = hi;
				core_pin(core, lo, (size_t)(hi - lo), buf);
				pinned = true;
			}
		}
		if (fits && i < chunk_end && s->base >= rc.lo && s->limit <= rc.hi && rc.hi)
			record_span(h, hb, &rc, i, s);
	}
	if (pinned)
		core_unpin(core);
	// Past the type masks' limit, which types are read precisely depends
	// on the order they are met in: the marking's order, not this one.
	bool limited = false;
	for (size_t i = 0; i < hb->ntypes; i++)
		limited |= hb->types[i].why && strstr(hb->types[i].why, "limit");
	if (hb->err || limited) {
		util_error_destroy(hb->err);
		hb->err = NULL;
		gr_heap_graph_deinit(g);
		goto out;
	}
	g->soff[h->nspans] = (uint32_t)g->nedges;
out:
	free(buf);
}

/* The graph of H, read now with R's core. */
static void graph_now(struct gr_reader *r, struct gr_heap *h)
{
	struct gr_heapbits hb;
	gr_heapbits_init(&hb, r, h->page_size);
	hb.once = true;
	graph_build(h, &hb, r->core);
	gr_heapbits_deinit(&hb);
}

struct util_error *gr_heap_take(struct gr_reader *r, struct gr_heap *h, bool *found)
{
	struct util_error *err = gr_heap_read(r, h, found);
	if (!err && *found)
		graph_now(r, h);
	return err;
}
