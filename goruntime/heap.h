// SPDX-License-Identifier: Apache-2.0
/* heap.h: private to goruntime/heap.c, heapgraph.c and reach.c — the Go
 * heap's in-use spans as read from runtime.mheap_.allspans, with one bit per
 * object slot for "allocated", the bitmaps the reachability marking uses and
 * the objects' pointers read ahead. */
#ifndef GOCORONER_GORUNTIME_HEAP_H
#define GOCORONER_GORUNTIME_HEAP_H

#include "goruntime/internal.h"

/** An in-use span: objects [base, base + nelems * elemsize). */
struct gr_span {
	uint64_t base;
	uint64_t end;         /* base + nelems * elemsize */
	uint64_t elemsize;
	uint32_t nelems;
	bool noscan;          /* spanclass says its objects hold no pointers */
	bool large;           /* size class 0: one object of its own pages */
	size_t first;         /* object number of slot 0 (objects are numbered across spans) */
	uint64_t limit;       /* base + npages * page size: where the span's pages end */
	uint64_t large_type;  /* mspan.largeType (Go 1.22+, large spans): the object's type, 0 if none */
	uint64_t specials;    /* mspan.specials: the first special record, 0 if none */
};

/*
 * The pointers of the heap's objects, read once in address order
 * (heapgraph.c), if bit o of has is set: object o of span si has edges
 * soff[si] + roff[o] up to the next object's first (the next span's, for
 * its span's last), each a word number of the heap's range (lo + 8 * n).
 * The edges are in blocks, none of them moved or grown: in a heap that
 * keeps what is freed (cli/analyze.c), a doubling array kept each old copy.
 */
enum { GR_GRAPH_BLOCK_BITS = 16 }; /* edges per block: 65,536 (256 KiB) */
struct gr_heap_graph {
	uint32_t *soff;            /* per span, and one past the last: its first edge */
	uint16_t *roff;            /* per object: its first edge, from its span's */
	uint64_t *has;             /* bit per object: its pointers are here */
	uint32_t **blocks;         /* edge e: blocks[e >> GR_GRAPH_BLOCK_BITS][e % block] */
	size_t nblocks, blocks_cap, nedges;
};

static inline uint32_t gr_graph_edge(const struct gr_heap_graph *g, size_t e)
{
	return g->blocks[e >> GR_GRAPH_BLOCK_BITS][e & (((size_t)1 << GR_GRAPH_BLOCK_BITS) - 1)];
}

/** The heap: spans sorted by address, and per-object bitmaps. */
struct gr_heap {
	struct gr_span *spans;
	size_t nspans;
	size_t nobjects;      /* object slots, allocated or not */
	size_t nallocated;    /* allocated objects */
	uint64_t *alloc;      /* bit per object slot: allocated (mspan.isFree is false) */
	uint64_t lo, hi;      /* [lo, hi): from the lowest span's base to the highest's end */
	uint64_t page_size;
	uint32_t *page_span;  /* (hi - lo) / page_size entries: span index + 1, 0 = none; NULL
	                         when the range is too wide (then binary search) */
	bool complete;        /* every in-use span and its allocation bits were read */
	struct gr_heap_graph graph; /* the objects' pointers, read ahead (heapgraph.c) */
};

/**
 * Read the in-use spans of runtime.mheap_.allspans. *FOUND is false (and a
 * diagnostic says why) when the binary or the core has no usable heap; bad
 * spans are skipped with a diagnostic and make the heap incomplete. Errors
 * only for memory.
 */
struct util_error *gr_heap_read(struct gr_reader *r, struct gr_heap *h, bool *found);
/**
 * The heap as gr_heap_read reads it, with its objects' pointers read in
 * address order (heapgraph.c).
 */
struct util_error *gr_heap_take(struct gr_reader *r, struct gr_heap *h, bool *found);
/** Free the spans, bits and graph, keeping the counts (nobjects, nallocated, complete). */
void gr_heap_release(struct gr_heap *h);
void gr_heap_deinit(struct gr_heap *h);
void gr_heap_graph_deinit(struct gr_heap_graph *g);

/**
 * The runtime's per-P structures (runtime.allp), which the marking reads by
 * their DWARF type instead of word by word: a runtime.p keeps addresses as
 * uintptrs (its write barrier buffer holds stale ones), which keep nothing
 * alive. *OBJS: the p objects, to leave out of the conservative scan;
 * *WORDS: what their pointer fields hold, roots. Both malloc'd; none (and an
 * "info" diagnostic) when the type or allp cannot be read. Errors only for
 * memory.
 */
struct util_error *gr_heap_runtime_roots(struct gr_reader *r, uint64_t **objs, size_t *nobjs,
					 uint64_t **words, size_t *nwords);

/** The object holding ADDR: its number and span; false if ADDR is in no object slot. */
static inline bool gr_heap_find(const struct gr_heap *h, uint64_t addr, size_t *span, size_t *obj)
{
	if (addr - h->lo >= h->hi - h->lo)
		return false;
	size_t si;
	if (h->page_span) {
		uint32_t v = h->page_span[(addr - h->lo) / h->page_size];
		if (!v)
			return false;
		si = v - 1;
	} else {
		size_t lo = 0, hi = h->nspans;
		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;
			if (h->spans[mid].base <= addr)
				lo = mid + 1;
			else
				hi = mid;
		}
		if (lo == 0)
			return false;
		si = lo - 1;
	}
	const struct gr_span *s = &h->spans[si];
	if (addr < s->base || addr >= s->end)
		return false;
	*span = si;
	*obj = s->first + (size_t)((addr - s->base) / s->elemsize);
	return true;
}

static inline bool gr_bit(const uint64_t *bits, size_t i)
{
	return (bits[i / 64] >> (i % 64)) & 1;
}

static inline void gr_bit_set(uint64_t *bits, size_t i)
{
	bits[i / 64] |= (uint64_t)1 << (i % 64);
}

/* Edges [*E, *END) of object O of span SI, if the graph has them. */
static inline bool gr_graph_edges(const struct gr_heap *h, size_t si, size_t o, size_t *e,
				  size_t *end)
{
	const struct gr_heap_graph *g = &h->graph;
	if (!g->has || !gr_bit(g->has, o))
		return false;
	const struct gr_span *s = &h->spans[si];
	*e = g->soff[si] + g->roff[o];
	*end = o + 1 < s->first + s->nelems ? g->soff[si] + g->roff[o + 1] : g->soff[si + 1];
	return true;
}

#endif
