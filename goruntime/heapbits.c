// SPDX-License-Identifier: Apache-2.0
// heapbits.c: which words of heap objects and package variables hold
// pointers, from the runtime's own metadata (what mgcmark.go's scanobject and
// markrootBlock read), and the span specials that are roots: so the marking
// of reach.c does not take a stale word for a pointer. Each layout is probed
// from DWARF; where the metadata cannot be read, every word counts, and the
// report says how often and why.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "goruntime/heapbits.h"

enum {
	CHUNK_WORDS = 8192,             /* words of an object reported at once (64 KiB) */
	MAX_MASKS = 64 << 20,           /* bytes of type masks kept */
	MAX_TYPE_PTRBYTES = 1 << 30,    /* a type with more pointer bytes is implausible */
	MAX_MODULES = 64,               /* moduledata.next chain */
	MAX_SECTION = 1 << 30,          /* bytes of one data or bss section */
	MAX_SPECIALS = 1 << 24,         /* special records over all spans */
	MAX_SPECIAL_PTRS = 16,          /* pointer words of one special record */
	MAX_SPAN_BITS = 32 << 20,       /* bytes of small spans' heap bits kept */
	MAX_ONE_SPAN_BITS = 4096,       /* of one span (a 256 KiB span; small ones are far less) */
};

/* Go 1.22+: allocation headers. Small objects keep one bit per word at the
 * end of their span, the others a *_type (malloc header, or mspan.largeType). */
static const char *probe_headers(struct gr_heapbits *hb)
{
	struct dw_binary *b = hb->r->bin;
	hb->max_small = (uint64_t)gr_constant_or(b, "runtime.minSizeForMallocHeader", 512);
	if (hb->max_small != (uint64_t)gr_constant_or(b, "internal/runtime/gc.MinSizeForMallocHeader",
						   (int64_t)hb->max_small))
		return "two different minSizeForMallocHeader constants";
	// Go 1.26's Green Tea collector puts a spanInlineMarkBits after the
	// heap bits of spans of objects of 16 to 512 bytes (mbitmap.go
	// spanHeapBitsRange); built without it, the type is empty.
	hb->inline_marks = gr_type_size(b, "runtime.spanInlineMarkBits");
	// The descriptor: internal/abi.Type from Go 1.21 (Size_, PtrBytes, GCData).
	const char *T = "internal/abi.Type";
	hb->t_size = gr_member(b, T, "Size_");
	hb->t_ptrbytes = gr_member(b, T, "PtrBytes");
	hb->t_gcdata = gr_member(b, T, "GCData");
	hb->t_tflag = hb->r->types.t_tflag; // probed once, in gotypes.c
	hb->t_kind = hb->r->types.t_kind;
	uint64_t offs[] = {hb->t_size + 8, hb->t_ptrbytes + 8, hb->t_gcdata + 8, hb->t_tflag + 1,
			   hb->t_kind + 1};
	for (size_t i = 0; i < sizeof(offs) / sizeof(offs[0]); i++) {
		if (offs[i] - 1 == GR_ABSENT || offs[i] > 256)
			return "internal/abi.Type lacks Size_, PtrBytes, GCData, TFlag or Kind_";
		if (offs[i] > hb->t_read)
			hb->t_read = offs[i];
	}
	// Go 1.24 builds big types' masks on first use (GCData then points to
	// the slot of the mask); up to 1.23 GCData may be a GC program.
	hb->tflag_ondemand = gr_constant_or(b, "internal/abi.TFlagGCMaskOnDemand", 0);
	hb->kind_gcprog = gr_constant_or(b, "internal/abi.KindGCProg", 0);
	hb->in_progress = gr_global_addr(b, "runtime.inProgress");
	return NULL;
}

/* Go 1.20-1.21: heapArena.bitmap, one bit per word, and noMorePtrs. */
static const char *probe_arena(struct gr_heapbits *hb)
{
	struct dw_binary *b = hb->r->bin;
	uint64_t mheap = gr_global_addr(b, "runtime.mheap_");
	uint64_t arenas = gr_member(b, "runtime.mheap", "arenas");
	hb->ha_bitmap = gr_member(b, "runtime.heapArena", "bitmap");
	hb->ha_nomore = gr_member(b, "runtime.heapArena", "noMorePtrs");
	if (!mheap || arenas == GR_ABSENT || hb->ha_bitmap == GR_ABSENT)
		return "no runtime.mheap_.arenas or heapArena.bitmap";
	hb->arenas = mheap + arenas;
	// The linux/amd64 values (malloc.go) when DWARF lacks the constants.
	hb->arena_bytes = (uint64_t)gr_constant_or(b, "runtime.heapArenaBytes", 64 << 20);
	hb->base_offset = (uint64_t)gr_constant_or(b, "runtime.arenaBaseOffset",
						(int64_t)0xffff800000000000ull);
	int64_t l1 = gr_constant_or(b, "runtime.arenaL1Bits", 0);
	int64_t l2 = gr_constant_or(b, "runtime.arenaL2Bits", 22);
	if (hb->arena_bytes < hb->page_size || hb->arena_bytes & (hb->arena_bytes - 1) || l1 < 0 ||
	    l2 <= 0 || l1 + l2 > 48)
		return "implausible heap arena constants";
	hb->l2_bits = (unsigned)l2;
	return NULL;
}

void gr_heapbits_init(struct gr_heapbits *hb, struct gr_reader *r, uint64_t page_size)
{
	memset(hb, 0, sizeof(*hb));
	hb->r = r;
	hb->page_size = page_size;
	util_u64map_init(&hb->type_index);
	util_u64map_init(&hb->span_bits);
	struct dw_binary *b = r->bin;
	const char *why;
	if (dw_has_member(b, "runtime.mspan", "largeType")) {
		// Go 1.22 (mbitmap_allocheaders.go; mbitmap.go from 1.23).
		why = probe_headers(hb);
		hb->scheme = GR_HB_HEADERS;
		hb->name = "headers";
	} else if (dw_has_member(b, "runtime.heapArena", "noMorePtrs")) {
		// Go 1.20 replaced 1.19's 2-bit bitmap by one bit per word.
		why = probe_arena(hb);
		hb->scheme = GR_HB_ARENA;
		hb->name = "arena";
	} else if (dw_has_member(b, "runtime.heapArena", "bitmap")) {
		// Go 1.19 and before: two bits per word, a pointer bit and a
		// scan bit ("more pointers from here"), four words a byte.
		why = probe_arena(hb);
		hb->scheme = GR_HB_ARENA2;
		hb->name = "arena2";
	} else {
		why = "no heap bitmap this reader knows";
	}
	hb->bits = malloc(CHUNK_WORDS / 8 + 8);
	hb->words = malloc((CHUNK_WORDS / 64 + 2) * 8);
	if (!hb->bits || !hb->words) {
		hb->err = &util_enomem;
		why = "no memory";
	}
	if (why) {
		hb->scheme = GR_HB_NONE;
		hb->name = NULL;
		hb->why = why;
	}
}

void gr_heapbits_deinit(struct gr_heapbits *hb)
{
	util_u64map_deinit(&hb->type_index);
	util_u64map_deinit(&hb->span_bits);
	free(hb->sbits);
	free(hb->types);
	free(hb->masks);
	free(hb->bits);
	free(hb->words);
	memset(hb, 0, sizeof(*hb));
}

/* Count an object read word by word, and why. */
static void conservative(struct gr_heapbits *hb, const char *why)
{
	hb->objects_conservative++;
	for (size_t i = 0; i < GR_HB_REASONS; i++) {
		if (!hb->reason[i])
			hb->reason[i] = why;
		if (hb->reason[i] == why) {
			hb->reason_n[i]++;
			return;
		}
	}
	hb->reason_n[GR_HB_REASONS - 1]++; // more reasons than slots: the last takes them
}

static bool read_ok(struct gr_heapbits *hb, uint64_t addr, void *buf, size_t len)
{
	return gr_read_ok(hb->r->core, addr, buf, len);
}

/* Read and check the descriptor at T; the reason it cannot be used, or NULL. */
static const char *read_type(struct gr_heapbits *hb, uint64_t t, struct gr_hb_type *ty)
{
	unsigned char d[256];
	if (!read_ok(hb, t, d, hb->t_read))
		return "its type descriptor is not in the core";
	ty->size = gr_rd64(d, hb->t_size);
	ty->ptrbytes = gr_rd64(d, hb->t_ptrbytes);
	uint64_t gcdata = gr_rd64(d, hb->t_gcdata);
	if (!ty->size || ty->size % 8 || ty->ptrbytes > ty->size ||
	    ty->ptrbytes > MAX_TYPE_PTRBYTES)
		return "its type descriptor is implausible";
	if (hb->kind_gcprog && (d[hb->t_kind] & hb->kind_gcprog))
		return "its type has a GC program"; // Go <= 1.23: never in a header in practice
	if (hb->tflag_ondemand && (d[hb->t_tflag] & hb->tflag_ondemand)) {
		// GCData is the slot the runtime fills with the mask on first use
		// (Go 1.24 runtime/type.go getGCMaskOnDemand).
		uint64_t slot;
		if (!read_ok(hb, gcdata, &slot, 8))
			return "its type's on-demand mask slot is not in the core";
		if (!slot || (hb->in_progress && slot == hb->in_progress))
			return "its type's mask is built on demand and was not built yet";
		gcdata = slot;
	}
	size_t n = (size_t)((ty->ptrbytes / 8 + 7) / 8);
	if (hb->nmasks + n > MAX_MASKS)
		return "the type masks kept reached their limit";
	if (hb->nmasks + n > hb->masks_cap) {
		struct util_error *err = util_grow((void **)&hb->masks, hb->nmasks + n - 1,
						   &hb->masks_cap, 1, 4096);
		if (err) {
			hb->err = err;
			return "no memory";
		}
	}
	if (n && !read_ok(hb, gcdata, hb->masks + hb->nmasks, n))
		return "its type's pointer mask is not in the core";
	ty->mask = hb->nmasks;
	hb->nmasks += n;
	return NULL;
}

/* The descriptor at T, read once; never NULL (why says whether it is usable). */
static const struct gr_hb_type *type_at(struct gr_heapbits *hb, uint64_t t)
{
	static const struct gr_hb_type nomem = {.why = "no memory"};
	uint64_t i;
	if (util_u64map_get(&hb->type_index, t, &i))
		return &hb->types[i - 1];
	struct util_error *err = util_grow((void **)&hb->types, hb->ntypes, &hb->types_cap,
					   sizeof(*hb->types), 256);
	if (!err)
		err = util_u64map_put(&hb->type_index, t, hb->ntypes + 1);
	if (err) {
		hb->err = err;
		return &nomem;
	}
	struct gr_hb_type *ty = &hb->types[hb->ntypes++];
	memset(ty, 0, sizeof(*ty));
	ty->why = read_type(hb, t, ty);
	return ty;
}

/*
 * Go 1.22+, an object with a type (typePointers): the mask tiled every
 * type size from ELEM (after the malloc header, or the object's start) to
 * END, each element's words up to PtrBytes.
 */
static void scan_typed(struct gr_heapbits *hb, const struct gr_hb_type *ty, uint64_t elem,
		       uint64_t end, const struct gr_stack_visit *v)
{
	const uint8_t *mask = hb->masks + ty->mask;
	uint64_t rel = 0; // offset of the word in its element
	for (uint64_t at = elem; at + 8 <= end && !hb->err;) {
		uint32_t n = (end - at) / 8 < CHUNK_WORDS ? (uint32_t)((end - at) / 8) : CHUNK_WORDS;
		memset(hb->bits, 0, (n + 7) / 8);
		bool any = false;
		for (uint32_t k = 0; k < n; k++) {
			if (rel < ty->ptrbytes && (mask[rel / 64] >> (rel / 8 % 8) & 1)) {
				hb->bits[k / 8] |= (uint8_t)(1u << (k % 8));
				any = true;
			}
			rel += 8;
			if (rel == ty->size)
				rel = 0;
		}
		if (any)
			v->bits(v->arg, at, hb->bits, n);
		at += 8 * (uint64_t)n;
	}
}

/*
 * The LEN bytes of heap bits at HBITS of a small span, read once: the
 * marking visits a span's objects far apart in time, and reading the bits
 * page again for each object cost one page cache miss, and pread, each
 * (on a core of 100,000 goroutines, 36,000 of 120,000). NULL: read them
 * object by object, as before (not all in the core, or no room).
 */
static const uint8_t *span_bits(struct gr_heapbits *hb, uint64_t hbits, size_t len)
{
	// Each entry: its length (4 bytes), then the bits. By where the bits
	// are: spans of a corrupt heap may share them with another length.
	uint64_t v;
	uint32_t had;
	if (util_u64map_get(&hb->span_bits, hbits, &v)) {
		if (v == ~(uint64_t)0)
			return NULL;
		memcpy(&had, hb->sbits + (v - 1), 4);
		return had == len ? hb->sbits + (v - 1) + 4 : NULL;
	}
	size_t at = hb->nsbits;
	if (len > MAX_ONE_SPAN_BITS || len + 4 > MAX_SPAN_BITS - at ||
	    util_grow((void **)&hb->sbits, at + len + 3, &hb->sbits_cap, 1, 4096) ||
	    !read_ok(hb, hbits, hb->sbits + at + 4, len)) {
		struct util_error *err = util_u64map_put(&hb->span_bits, hbits, ~(uint64_t)0);
		util_error_destroy(err); // without the entry, it is only tried again
		return NULL;
	}
	struct util_error *err = util_u64map_put(&hb->span_bits, hbits, at + 1);
	if (err) {
		util_error_destroy(err); // no memory: the object's own bytes are read
		return NULL;
	}
	had = (uint32_t)len;
	memcpy(hb->sbits + at, &had, 4);
	hb->nsbits = at + 4 + len;
	return hb->sbits + at + 4;
}

/* Go 1.22+: the bits of a small object, in the span after its objects. */
static bool scan_small(struct gr_heapbits *hb, const struct gr_span *s, uint64_t a,
		       const struct gr_stack_visit *v)
{
	// mbitmap.go heapBitsSmallForAddr: one bit per word of the span, at
	// its end (before the inline mark bits of Green Tea, Go 1.26+).
	uint64_t span_size = s->limit - s->base;
	uint64_t hbits = s->limit - span_size / 64;
	if (s->elemsize >= 16)
		hbits -= hb->inline_marks;
	uint64_t w = (a - s->base) / 8, nw = s->elemsize / 8;
	uint8_t raw[10] = {0};
	uint64_t first = w / 8, last = (w + nw - 1) / 8;
	// At most 64 words (minSizeForMallocHeader is 512 bytes on amd64).
	if (!nw || nw > 64 || a + s->elemsize > hbits)
		return false;
	// One bit per word of the span: its objects' bits, and any after them.
	size_t nbits_bytes = (size_t)(span_size / 64);
	const uint8_t *all = last < nbits_bytes && !hb->once ? span_bits(hb, hbits, nbits_bytes) : NULL;
	if (all)
		memcpy(raw, all + first, last - first + 1);
	else if (!read_ok(hb, hbits + first, raw, last - first + 1))
		return false;
	memset(hb->bits, 0, (nw + 7) / 8);
	bool any = false;
	for (uint64_t k = 0; k < nw; k++) {
		uint64_t bit = w + k - first * 8;
		if (raw[bit / 8] >> (bit % 8) & 1) {
			hb->bits[k / 8] |= (uint8_t)(1u << (k % 8));
			any = true;
		}
	}
	if (any)
		v->bits(v->arg, a, hb->bits, (uint32_t)nw);
	return true;
}

/* Go 1.20-1.21: the heapArena of address A (mheap_.arenas[l1][l2]), 0 if none. */
static uint64_t arena_of(struct gr_heapbits *hb, uint64_t a)
{
	uint64_t ai = (a - hb->base_offset) / hb->arena_bytes;
	if (hb->last_ha && ai == hb->last_ai)
		return hb->last_ha;
	uint64_t l1 = ai >> hb->l2_bits, l2 = ai & (((uint64_t)1 << hb->l2_bits) - 1), l2arr, ha;
	if (!read_ok(hb, hb->arenas + 8 * l1, &l2arr, 8) || !l2arr ||
	    !read_ok(hb, l2arr + 8 * l2, &ha, 8))
		return 0;
	hb->last_ai = ai;
	hb->last_ha = ha;
	return ha;
}

/*
 * Go 1.19 (mbitmap.go heapBitsForAddr, mgcmark.go scanobject): the arena
 * bitmap's byte for words 4k..4k+3 holds their pointer bits in its low
 * nibble and their scan bits in its high one; the first word whose scan
 * bit is clear ends the object's pointers. False if it cannot be read.
 */
static bool scan_arena2(struct gr_heapbits *hb, uint64_t a, uint64_t end,
			const struct gr_stack_visit *v)
{
	uint64_t arena_words = hb->arena_bytes / 8;
	bool stop = false, any_read = false;
	uint8_t *bytes = (uint8_t *)hb->words; // CHUNK_WORDS / 4 bytes fit
	for (uint64_t at = a; at + 8 <= end && !stop && !hb->err;) {
		uint64_t ha = arena_of(hb, at);
		uint64_t word = at / 8 % arena_words, n = (end - at) / 8;
		if (n > CHUNK_WORDS / 2)
			n = CHUNK_WORDS / 2;
		if (n > arena_words - word)
			n = arena_words - word;
		uint64_t b0 = word / 4, b1 = (word + n - 1) / 4;
		if (!ha || !read_ok(hb, ha + hb->ha_bitmap + b0, bytes, b1 - b0 + 1))
			return any_read ? (v->words(v->arg, at, end), true) : false;
		any_read = true;
		memset(hb->bits, 0, (n + 7) / 8);
		uint64_t k = 0;
		for (; k < n; k++) {
			uint64_t wi = word + k;
			uint8_t byte = bytes[wi / 4 - b0];
			if (!(byte >> (wi % 4 + 4) & 1)) {
				stop = true; // dead: no more pointers in the object
				break;
			}
			if (byte >> (wi % 4) & 1)
				hb->bits[k / 8] |= (uint8_t)(1u << (k % 8));
		}
		if (k)
			v->bits(v->arg, at, hb->bits, (uint32_t)k);
		at += 8 * k;
	}
	return true;
}

/*
 * Go 1.20-1.21 (mbitmap.go heapBitsForAddr, next): the arena bitmap's bits
 * for [A, END), stopping after a bitmap word whose noMorePtrs bit says the
 * object has no pointers past it. False if the bitmap cannot be read.
 */
static bool scan_arena(struct gr_heapbits *hb, uint64_t a, uint64_t end,
		       const struct gr_stack_visit *v)
{
	uint64_t arena_words = hb->arena_bytes / 8;
	bool stop = false, any_read = false;
	for (uint64_t at = a; at + 8 <= end && !stop && !hb->err;) {
		uint64_t ha = arena_of(hb, at);
		if (!ha)
			return any_read ? (v->words(v->arg, at, end), true) : false;
		// Up to CHUNK_WORDS words, within this arena.
		uint64_t word = at / 8 % arena_words;
		uint64_t n = (end - at) / 8;
		if (n > CHUNK_WORDS)
			n = CHUNK_WORDS;
		if (n > arena_words - word)
			n = arena_words - word;
		uint64_t idx0 = word / 64, idx1 = (word + n - 1) / 64;
		uint8_t nomore[CHUNK_WORDS / 64 / 8 + 2];
		uint64_t nb0 = idx0 / 8, nb1 = idx1 / 8;
		if (!read_ok(hb, ha + hb->ha_bitmap + 8 * idx0, hb->words, 8 * (idx1 - idx0 + 1)) ||
		    (hb->ha_nomore != GR_ABSENT &&
		     !read_ok(hb, ha + hb->ha_nomore + nb0, nomore, nb1 - nb0 + 1)))
			return any_read ? (v->words(v->arg, at, end), true) : false;
		any_read = true;
		memset(hb->bits, 0, (n + 7) / 8);
		uint64_t k = 0;
		for (; k < n; k++) {
			uint64_t wi = word + k;
			if (hb->words[wi / 64 - idx0] >> (wi % 64) & 1)
				hb->bits[k / 8] |= (uint8_t)(1u << (k % 8));
			// The last word of bitmap word wi/64, with more of the object after it.
			if (wi % 64 == 63 && at + 8 * (k + 1) < end && hb->ha_nomore != GR_ABSENT &&
			    (nomore[wi / 64 / 8 - nb0] >> (wi / 64 % 8) & 1)) {
				stop = true;
				k++;
				break;
			}
		}
		v->bits(v->arg, at, hb->bits, (uint32_t)k);
		at += 8 * k;
	}
	return true;
}

void gr_heapbits_scan(struct gr_heapbits *hb, const struct gr_span *s, uint64_t a,
		      const struct gr_stack_visit *v)
{
	uint64_t end = a + s->elemsize;
	if (s->noscan) { // the spanclass says: no pointers
		hb->objects_precise++;
		return;
	}
	switch (hb->scheme) {
	case GR_HB_HEADERS: {
		// mbitmap.go typePointersOfUnchecked.
		if (!s->large && s->elemsize <= hb->max_small) {
			if (scan_small(hb, s, a, v))
				hb->objects_precise++;
			else {
				conservative(hb, "its span's heap bits are not in the core");
				v->words(v->arg, a, end);
			}
			return;
		}
		uint64_t t = s->large_type, elem = a;
		if (!s->large) {
			// The malloc header: the first word is the *_type.
			if (!read_ok(hb, a, &t, 8)) {
				conservative(hb, "its malloc header is not in the core");
				v->words(v->arg, a, end);
				return;
			}
			elem = a + 8;
			if (!t) {
				conservative(hb, "its malloc header is nil");
				v->words(v->arg, a, end);
				return;
			}
		}
		if (!t) { // a large object without a type: no pointers (or not yet zeroed)
			hb->objects_precise++;
			return;
		}
		const struct gr_hb_type *ty = type_at(hb, t);
		if (ty->why) {
			conservative(hb, ty->why);
			v->words(v->arg, a, end);
			return;
		}
		hb->objects_precise++;
		if (ty->ptrbytes)
			scan_typed(hb, ty, elem, end, v);
		return;
	}
	case GR_HB_ARENA:
	case GR_HB_ARENA2:
		if (hb->scheme == GR_HB_ARENA ? scan_arena(hb, a, end, v) : scan_arena2(hb, a, end, v))
			hb->objects_precise++;
		else {
			conservative(hb, "its heap arena bitmap is not in the core");
			v->words(v->arg, a, end);
		}
		return;
	default:
		conservative(hb, hb->why);
		v->words(v->arg, a, end);
	}
}

/* One section of a module, [LO, HI): by MASK's N bits (one per word) when it has one. */
static void scan_section(struct gr_heapbits *hb, const char *name, uint64_t lo, uint64_t hi,
			 int32_t n, uint64_t mask, const struct gr_stack_visit *v)
{
	const char *why = NULL;
	uint8_t *bits = NULL;
	if (!mask || n < 0 || (uint64_t)n != (hi - lo) / 8)
		why = "no mask of the section's size";
	else if (!(bits = malloc((size_t)n / 8 + 1)))
		why = "no memory", hb->err = &util_enomem;
	else if (n && !read_ok(hb, mask, bits, ((size_t)n + 7) / 8))
		why = "its mask is not in the core";
	if (why) {
		gr_diag(hb->r->snap, "info", "heap", "%s 0x%llx-0x%llx scanned word by word: %s", name,
			(unsigned long long)lo, (unsigned long long)hi, why);
		hb->global_words_conservative += (hi - lo) / 8;
		v->words(v->arg, lo, hi);
	} else {
		hb->global_words_precise += (uint64_t)n;
		if (n)
			v->bits(v->arg, lo, bits, (uint32_t)n);
	}
	free(bits);
}

/* The sections by the linker's symbols (or moduledata's copy), word by word. */
static bool globals_by_symbols(struct gr_heapbits *hb, const struct gr_stack_visit *v)
{
	static const char *const names[][2] = {{"data", "edata"}, {"bss", "ebss"}};
	struct gr_reader *r = hb->r;
	bool all = true;
	for (size_t i = 0; i < 2; i++) {
		uint64_t lo = 0, hi = 0;
		char sym[32];
		snprintf(sym, sizeof(sym), "runtime.%s", names[i][0]);
		struct util_error *err = dw_symbol(r->bin, sym, &lo);
		if (!err) {
			snprintf(sym, sizeof(sym), "runtime.%s", names[i][1]);
			err = dw_symbol(r->bin, sym, &hi);
		}
		if (err && gr_moduledata_read(r, names[i][0], &lo, 8) &&
		    gr_moduledata_read(r, names[i][1], &hi, 8)) {
			util_error_destroy(err);
			err = NULL;
		}
		if (err || hi <= lo || hi - lo > MAX_SECTION) {
			gr_diag(r->snap, "warning", "heap",
				"no %s section bounds (%s): package variables there are not roots",
				names[i][0], err ? err->message : "empty or implausible");
			util_error_destroy(err);
			all = false;
			continue;
		}
		hb->global_words_conservative += (hi - lo) / 8;
		v->words(v->arg, lo, hi);
	}
	return all;
}

bool gr_heapbits_globals(struct gr_heapbits *hb, const struct gr_stack_visit *v)
{
	struct gr_reader *r = hb->r;
	struct dw_binary *b = r->bin;
	const char *M = "runtime.moduledata";
	// moduledata.gcdatamask/gcbssmask (runtime.bitvector{n int32, bytedata
	// *uint8}, the same from 1.19 to 1.27), as markroot's markrootBlock.
	uint64_t o_data = gr_member(b, M, "data"), o_edata = gr_member(b, M, "edata");
	uint64_t o_bss = gr_member(b, M, "bss"), o_ebss = gr_member(b, M, "ebss");
	uint64_t o_dmask = gr_member(b, M, "gcdatamask"), o_bmask = gr_member(b, M, "gcbssmask");
	uint64_t o_next = gr_member(b, M, "next");
	uint64_t o_n = gr_member(b, "runtime.bitvector", "n");
	uint64_t o_bytes = gr_member(b, "runtime.bitvector", "bytedata");
	uint64_t md = r->types.moduledata ? r->types.moduledata
					  : gr_global_addr(b, "runtime.firstmoduledata");
	if (!md || o_data == GR_ABSENT || o_edata == GR_ABSENT || o_bss == GR_ABSENT ||
	    o_ebss == GR_ABSENT || o_dmask == GR_ABSENT || o_bmask == GR_ABSENT ||
	    o_next == GR_ABSENT || o_n == GR_ABSENT || o_bytes == GR_ABSENT) {
		gr_diag(r->snap, "info", "heap",
			"no runtime.moduledata with gcdatamask and gcbssmask: data and bss scanned "
			"word by word");
		return globals_by_symbols(hb, v);
	}
	size_t modules = 0;
	bool all = true;
	struct gr_cycle cyc = {0};
	for (; md && modules < MAX_MODULES && !gr_cycle_step(&cyc, md) && !hb->err; modules++) {
		uint64_t lo[2], hi[2], mask[2] = {0, 0}, next = 0;
		int32_t n[2] = {-1, -1};
		uint64_t o_mask[2] = {o_dmask, o_bmask};
		if (!read_ok(hb, md + o_data, &lo[0], 8) || !read_ok(hb, md + o_edata, &hi[0], 8) ||
		    !read_ok(hb, md + o_bss, &lo[1], 8) || !read_ok(hb, md + o_ebss, &hi[1], 8) ||
		    !read_ok(hb, md + o_next, &next, 8)) {
			if (modules) // else the first: the linker's symbols below
				gr_diag(r->snap, "warning", "heap",
					"runtime.moduledata at 0x%llx is not in the core: its "
					"package variables are not roots", (unsigned long long)md);
			all = false;
			break;
		}
		for (size_t i = 0; i < 2; i++) {
			if (hi[i] < lo[i] || hi[i] - lo[i] > MAX_SECTION) {
				gr_diag(r->snap, "warning", "heap",
					"module 0x%llx: implausible %s bounds 0x%llx-0x%llx: package "
					"variables there are not roots", (unsigned long long)md,
					i ? "bss" : "data", (unsigned long long)lo[i],
					(unsigned long long)hi[i]);
				all = false;
				continue;
			}
			if (!read_ok(hb, md + o_mask[i] + o_n, &n[i], 4) ||
			    !read_ok(hb, md + o_mask[i] + o_bytes, &mask[i], 8))
				mask[i] = 0;
			scan_section(hb, i ? "bss" : "data", lo[i], hi[i], n[i], mask[i], v);
		}
		md = next;
	}
	if (!modules) {
		gr_diag(r->snap, "info", "heap",
			"runtime.firstmoduledata is not in the core: data and bss scanned word by word");
		return globals_by_symbols(hb, v);
	}
	return all;
}

/* Offsets of the special records gr_heapbits_specials reads. */
struct special_layout {
	uint64_t next, offset, offset_size, kind, size;
	int64_t k_final, k_cleanup, k_weak;
	uint64_t fin_fn, weak_handle;
	uint64_t cleanup[MAX_SPECIAL_PTRS];
	size_t ncleanup;
};

static bool probe_specials(struct dw_binary *b, struct special_layout *l)
{
	const char *S = "runtime.special";
	memset(l, 0, sizeof(*l));
	l->next = gr_member(b, S, "next");
	l->offset = gr_member(b, S, "offset");
	l->kind = gr_member(b, S, "kind");
	l->size = gr_type_size(b, S);
	struct util_error *err = dw_member_size(b, S, "offset", &l->offset_size);
	bool ok = !err;
	util_error_destroy(err);
	// special.offset: uint16 up to Go 1.23, uintptr from 1.24.
	if (!ok || (l->offset_size != 2 && l->offset_size != 8) || l->next == GR_ABSENT ||
	    l->kind == GR_ABSENT || !l->size)
		return false;
	// The kinds are renumbered between releases (Go 1.27 put TinyBlock first).
	l->k_final = gr_constant_or(b, "runtime._KindSpecialFinalizer", -1);
	l->k_cleanup = gr_constant_or(b, "runtime._KindSpecialCleanup", -1);   // Go 1.24+
	l->k_weak = gr_constant_or(b, "runtime._KindSpecialWeakHandle", -1);   // Go 1.24+
	l->fin_fn = gr_member(b, "runtime.specialfinalizer", "fn");
	l->weak_handle = gr_member(b, "runtime.specialWeakHandle", "handle");
	uint64_t offs[MAX_SPECIAL_PTRS];
	size_t n = 0;
	err = dw_type_pointer_offsets(b, "runtime.specialCleanup", offs, MAX_SPECIAL_PTRS, &n);
	if (err)
		n = 0; // before Go 1.24: no cleanups
	util_error_destroy(err);
	for (size_t i = 0; i < n; i++)
		if (offs[i] >= l->size) // the function (and argument), not special.next
			l->cleanup[l->ncleanup++] = offs[i];
	return l->k_final >= 0 && l->fin_fn != GR_ABSENT;
}

/* The word at ADDR is a pointer (scanblock with oneptrmask). */
static void one_word(const struct gr_stack_visit *v, uint64_t addr)
{
	static const uint8_t one = 1;
	v->bits(v->arg, addr, &one, 1);
}

bool gr_heapbits_specials(struct gr_heapbits *hb, const struct gr_heap *h,
			  const struct gr_stack_visit *v)
{
	struct special_layout l;
	struct gr_reader *r = hb->r;
	bool any = false;
	for (size_t si = 0; si < h->nspans && !any; si++)
		any = h->spans[si].specials != 0;
	if (!any)
		return true;
	if (!probe_specials(r->bin, &l)) {
		gr_diag(r->snap, "warning", "heap",
			"runtime.special or _KindSpecialFinalizer not in DWARF: what finalizers and "
			"cleanups reference is not marked");
		return false;
	}
	uint64_t seen = 0, finalizers = 0, cleanups = 0, bad = 0;
	for (size_t si = 0; si < h->nspans && !hb->err; si++) {
		const struct gr_span *s = &h->spans[si];
		struct gr_cycle cyc = {0};
		for (uint64_t sp = s->specials; sp; seen++) {
			unsigned char rec[64];
			if (seen >= MAX_SPECIALS || gr_cycle_step(&cyc, sp) || l.size > sizeof(rec) ||
			    !read_ok(hb, sp, rec, l.size)) {
				bad++;
				break;
			}
			uint64_t off = l.offset_size == 2 ? (uint64_t)(rec[l.offset] | rec[l.offset + 1] << 8)
							  : gr_rd64(rec, l.offset);
			int64_t kind = rec[l.kind];
			if (kind == l.k_final && off < s->end - s->base) {
				// mgcmark.go markrootSpans: the object's referents and
				// the function; the object itself stays unmarked.
				if (!s->noscan)
					gr_heapbits_scan(hb, s, s->base + off / s->elemsize * s->elemsize, v);
				one_word(v, sp + l.fin_fn);
				finalizers++;
			} else if (kind == l.k_cleanup) {
				for (size_t k = 0; k < l.ncleanup; k++)
					one_word(v, sp + l.cleanup[k]);
				cleanups++;
			} else if (kind == l.k_weak && l.weak_handle != GR_ABSENT) {
				one_word(v, sp + l.weak_handle);
			}
			sp = gr_rd64(rec, l.next);
		}
	}
	if (bad)
		gr_diag(r->snap, "warning", "heap",
			"%llu span special lists unreadable, cyclic or too long: the finalizers and "
			"cleanups past that point are not roots",
			(unsigned long long)bad);
	gr_diag(r->snap, "info", "heap", "span specials: %llu finalizers, %llu cleanups are roots",
		(unsigned long long)finalizers, (unsigned long long)cleanups);
	return !bad;
}

void gr_heapbits_report(struct gr_heapbits *hb)
{
	struct gr_snapshot *s = hb->r->snap;
	gr_diag(s, "info", "heap",
		"heap objects scanned: %llu by the runtime's pointer bitmaps (%s), %llu word by "
		"word; data and bss words: %llu by their masks, %llu word by word",
		(unsigned long long)hb->objects_precise, hb->name ? hb->name : "none",
		(unsigned long long)hb->objects_conservative,
		(unsigned long long)hb->global_words_precise,
		(unsigned long long)hb->global_words_conservative);
	for (size_t i = 0; i < GR_HB_REASONS && hb->reason[i]; i++)
		gr_diag(s, "info", "heap", "%llu heap objects scanned word by word: %s",
			(unsigned long long)hb->reason_n[i], hb->reason[i]);
}
