// SPDX-License-Identifier: Apache-2.0
/* heapbits.h: private to goruntime/heapbits.c and reach.c — where the Go
 * runtime's own metadata says the pointers are, so that the marking reads
 * what Go's collector reads instead of every word: the pointer bitmaps of
 * heap objects, the data and bss masks of each module, and the span
 * specials that are roots (finalizers, cleanups, weak handles). */
#ifndef GOCORONER_GORUNTIME_HEAPBITS_H
#define GOCORONER_GORUNTIME_HEAPBITS_H

#include "goruntime/heap.h"

/** How heap objects' pointer words are found, probed from DWARF. */
enum gr_heapbits_scheme {
	GR_HB_NONE,     /* every word: no metadata this reader can read */
	GR_HB_HEADERS,  /* Go 1.22+: bits at the end of small spans, malloc headers, largeType */
	GR_HB_ARENA,    /* Go 1.20-1.21: heapArena.bitmap, one bit per word, and noMorePtrs */
	GR_HB_ARENA2,   /* Go 1.19: heapArena.bitmap, pointer and scan bits, four words a byte */
};

/** A type descriptor's pointer mask, as the marking uses it (heapbits.c). */
struct gr_hb_type {
	uint64_t size, ptrbytes;   /* Size_, PtrBytes */
	size_t mask;               /* offset of its mask in gr_heapbits.masks */
	const char *why;           /* NULL: usable; else why objects of it are read word by word */
};

enum { GR_HB_REASONS = 8 };

struct gr_heapbits {
	struct gr_reader *r;
	enum gr_heapbits_scheme scheme;
	const char *name;          /* heap_scan.heap_bits: "headers", "arena", "arena2" or NULL */
	const char *why;           /* GR_HB_NONE: why */
	uint64_t page_size;
	/* GR_HB_HEADERS */
	uint64_t max_small;        /* minSizeForMallocHeader: objects this small keep bits in the span */
	uint64_t inline_marks;     /* sizeof(spanInlineMarkBits) (Green Tea, Go 1.26+), else 0 */
	uint64_t t_size, t_ptrbytes, t_gcdata, t_tflag, t_kind, t_read;
	int64_t tflag_ondemand;    /* internal/abi.TFlagGCMaskOnDemand (Go 1.24+), 0 if none */
	int64_t kind_gcprog;       /* KindGCProg (Go <= 1.23), 0 if none */
	uint64_t in_progress;      /* &runtime.inProgress: a mask being built */
	struct util_u64map type_index; /* descriptor -> index+1 into types */
	struct gr_hb_type *types;
	size_t ntypes, types_cap;
	uint8_t *masks;
	size_t nmasks, masks_cap;
	/* The heap bits of the small spans scanned so far, each read once. */
	struct util_u64map span_bits; /* address of the bits -> offset + 1 into sbits; ~0: unreadable */
	uint8_t *sbits;
	size_t nsbits, sbits_cap;
	bool once;                 /* each span is visited once (heapgraph.c): its bits are not kept */
	/* GR_HB_ARENA, GR_HB_ARENA2 */
	uint64_t arenas;           /* &mheap_.arenas */
	uint64_t arena_bytes, base_offset;
	unsigned l2_bits;
	uint64_t ha_bitmap, ha_nomore; /* heapArena member offsets */
	uint64_t last_ai, last_ha;     /* the last arena looked up, and its heapArena (0: none) */
	/* what was done */
	uint64_t objects_precise, objects_conservative;
	uint64_t global_words_precise, global_words_conservative;
	const char *reason[GR_HB_REASONS]; /* why objects were read word by word */
	uint64_t reason_n[GR_HB_REASONS];
	uint8_t *bits;             /* scratch bitmap of one chunk */
	uint64_t *words;           /* scratch: bitmap words read from the core */
	struct util_error *err;    /* first allocation failure */
};

/** Probe the binary's scheme; nothing fails (what is missing makes the scan conservative). */
void gr_heapbits_init(struct gr_heapbits *hb, struct gr_reader *r, uint64_t page_size);
void gr_heapbits_deinit(struct gr_heapbits *hb);

/**
 * Report the pointer words of the object at A of span S to V: bits() where
 * the runtime's metadata says which words hold pointers, words() over the
 * whole object where it cannot be read (counted, with the reason).
 */
void gr_heapbits_scan(struct gr_heapbits *hb, const struct gr_span *s, uint64_t a,
		      const struct gr_stack_visit *v);

/**
 * Report the pointer words of every module's data and bss: by its
 * gcdatamask and gcbssmask, every word where they cannot be read. False
 * (and a diagnostic) for a section whose bounds are unknown.
 */
bool gr_heapbits_globals(struct gr_heapbits *hb, const struct gr_stack_visit *v);

/**
 * Report to V the roots Go's markrootSpans takes from mspan.specials: for a
 * finalizer, its function and the pointer words of the object (not the
 * object itself); for a cleanup (Go 1.24+), its function (and argument, Go
 * 1.26+); for a weak handle (Go 1.24+), the handle. False (and a
 * diagnostic) when some could not be read: the marking is incomplete.
 */
bool gr_heapbits_specials(struct gr_heapbits *hb, const struct gr_heap *h,
			  const struct gr_stack_visit *v);

/** Diagnostics ("info") saying how the heap and the globals were scanned. */
void gr_heapbits_report(struct gr_heapbits *hb);

#endif
