// SPDX-License-Identifier: Apache-2.0
// heap.c: the Go heap's in-use spans and their allocated object slots, read
// from runtime.mheap_.allspans with every mspan field probed from DWARF.
#include <stdlib.h>
#include <string.h>

#include "goruntime/heap.h"

enum {
	MAX_SPANS = 1 << 24,            /* allspans entries: 128 GiB of 8 KiB pages */
	MAX_OBJECTS = 1 << 28,          /* object slots over all spans */
	MAX_SPAN_DIAGS = 20,            /* diagnostics about single spans, then a count */
	MAX_P_POINTERS = 4096,          /* pointer words of one runtime.p */
	MAX_P_SIZE = 1 << 20,
	MAX_PROCS = 1 << 16,
	SPAN_CHUNK = 4096,              /* allspans pointers read at once */
	MAX_PAGE_TABLE = 1 << 22,       /* page → span entries (16 MiB): wider ranges search */
};

/* Where one mspan field sits and how wide it is. */
struct field {
	uint64_t off, size;
};

struct span_layout {
	uint64_t size;
	struct field start, npages, nelems, freeindex, alloc_bits, spanclass, state, elemsize;
	struct field large_type, specials; /* optional: size 0 when absent */
};

static bool probe_field(struct dw_binary *bin, const char *member, struct field *f)
{
	struct util_error *err = dw_member_offset(bin, "runtime.mspan", member, &f->off);
	if (!err)
		err = dw_member_size(bin, "runtime.mspan", member, &f->size);
	if (err) {
		util_error_destroy(err);
		return false;
	}
	return f->size == 1 || f->size == 2 || f->size == 4 || f->size == 8;
}

static uint64_t rdn(const unsigned char *buf, const struct field *f)
{
	switch (f->size) {
	case 1:
		return buf[f->off];
	case 2: {
		uint16_t v;
		memcpy(&v, buf + f->off, 2);
		return v;
	}
	case 4: {
		uint32_t v;
		memcpy(&v, buf + f->off, 4);
		return v;
	}
	default: {
		uint64_t v;
		memcpy(&v, buf + f->off, 8);
		return v;
	}
	}
}

/* NULL and the reason when the binary's mspan lacks a field gocoroner needs. */
static const char *probe_spans(struct dw_binary *bin, struct span_layout *l)
{
	struct util_error *err = dw_type_size(bin, "runtime.mspan", &l->size);
	if (err) {
		util_error_destroy(err);
		return "no runtime.mspan type in DWARF";
	}
	// Go 1.22 narrowed nelems, freeindex and freeIndexForScan from uintptr
	// to uint16: widths are read from DWARF, not assumed.
	if (!probe_field(bin, "startAddr", &l->start) || !probe_field(bin, "npages", &l->npages) ||
	    !probe_field(bin, "nelems", &l->nelems) || !probe_field(bin, "allocBits", &l->alloc_bits) ||
	    !probe_field(bin, "spanclass", &l->spanclass) ||
	    !probe_field(bin, "elemsize", &l->elemsize))
		return "runtime.mspan lacks startAddr, npages, nelems, allocBits, spanclass or elemsize";
	// isFree trusts slots below freeIndexForScan (Go 1.19+: the GC's view,
	// set when allocation is published); a runtime without it uses freeindex.
	if (!probe_field(bin, "freeIndexForScan", &l->freeindex) &&
	    !probe_field(bin, "freeindex", &l->freeindex))
		return "runtime.mspan has neither freeIndexForScan nor freeindex";
	// mspan.state is an mSpanStateBox: {s uint8} in Go 1.19, {s atomic.Uint8}
	// (s.value) from Go 1.20; a plain mSpanState in older runtimes.
	if (!probe_field(bin, "state.s.value", &l->state) && !probe_field(bin, "state.s", &l->state) &&
	    !probe_field(bin, "state", &l->state))
		return "runtime.mspan has no readable state";
	// Go 1.22's allocation headers put a large object's type in its span
	// (mspan.largeType); the specials (finalizers, cleanups) are on every
	// release. Without them the marking is conservative (heapbits.c).
	if (!probe_field(bin, "largeType", &l->large_type) || l->large_type.size != 8)
		l->large_type.size = 0;
	if (!probe_field(bin, "specials", &l->specials) || l->specials.size != 8)
		l->specials.size = 0;
	return NULL;
}

static int cmp_span(const void *a, const void *b)
{
	const struct gr_span *x = a, *y = b;
	return x->base < y->base ? -1 : x->base > y->base;
}

void gr_heap_release(struct gr_heap *h)
{
	free(h->spans);
	free(h->alloc);
	free(h->page_span);
	h->spans = NULL, h->alloc = NULL, h->page_span = NULL;
	gr_heap_graph_deinit(&h->graph);
}

void gr_heap_deinit(struct gr_heap *h)
{
	gr_heap_release(h);
	memset(h, 0, sizeof(*h));
}

void gr_heap_graph_deinit(struct gr_heap_graph *g)
{
	free(g->soff);
	free(g->roff);
	free(g->has);
	for (size_t i = 0; i < g->nblocks; i++)
		free(g->blocks[i]);
	free(g->blocks);
	memset(g, 0, sizeof(*g));
}

/* The allocated slots of span S (mspan.isFree), into h->alloc. */
static struct util_error *read_alloc_bits(struct gr_reader *r, struct gr_heap *h,
					  const struct gr_span *s, uint64_t freeindex,
					  uint64_t bits_addr, struct gr_diag_cap *diags)
{
	for (uint64_t i = 0; i < freeindex && i < s->nelems; i++)
		gr_bit_set(h->alloc, s->first + i);
	if (freeindex >= s->nelems)
		return NULL;
	size_t nbytes = (s->nelems + 7) / 8;
	unsigned char buf[8192 / 8 + 8]; // nelems is at most a page's 8-byte slots
	unsigned char *bits = nbytes <= sizeof(buf) ? buf : malloc(nbytes);
	if (!bits)
		return &util_enomem;
	struct util_error *err = bits_addr ? core_read(r->core, bits_addr, bits, nbytes)
					   : util_error_create(UTIL_ERROR_BAD_DATA, "nil allocBits");
	if (err) {
		// Unknown: every slot counts as allocated (marking errs towards
		// reachable), and the scan is incomplete.
		gr_diag_capped(r->snap, diags, "warning", "span 0x%llx: allocation bits at 0x%llx unreadable (%s); "
			  "all its slots taken as allocated",
			  (unsigned long long)s->base, (unsigned long long)bits_addr, err->message);
		util_error_destroy(err);
		h->complete = false;
		for (uint64_t i = freeindex; i < s->nelems; i++)
			gr_bit_set(h->alloc, s->first + i);
	} else {
		for (uint64_t i = freeindex; i < s->nelems; i++)
			if ((bits[i / 8] >> (i % 8)) & 1)
				gr_bit_set(h->alloc, s->first + i);
	}
	if (bits != buf)
		free(bits);
	return NULL;
}

struct util_error *gr_heap_read(struct gr_reader *r, struct gr_heap *h, bool *found)
{
	memset(h, 0, sizeof(*h));
	*found = false;
	h->complete = true;
	struct span_layout l;
	const char *why = probe_spans(r->bin, &l);
	uint64_t mheap = 0, allspans_off = 0, size;
	if (!why) {
		struct util_error *err = dw_variable(r->bin, "runtime.mheap_", &mheap, &size);
		if (!err)
			err = dw_member_offset(r->bin, "runtime.mheap", "allspans", &allspans_off);
		if (err) {
			util_error_destroy(err);
			why = "no runtime.mheap_.allspans in DWARF";
		}
	}
	if (why) {
		gr_diag(r->snap, "warning", "heap", "no heap scan: %s", why);
		return NULL;
	}
	// mSpanInUse has been 1 and _PageSize 8 KiB on every release; the
	// binary's own constants win when DWARF has them.
	int64_t in_use = gr_constant_or(r->bin, "runtime.mSpanInUse", 1);
	int64_t page_size = gr_constant_or(r->bin, "runtime._PageSize", 8192);
	struct util_error *err;
	if (page_size <= 0 || (page_size & (page_size - 1)))
		page_size = 8192;
	h->page_size = (uint64_t)page_size;

	uint64_t hdr[3];
	err = core_read(r->core, mheap + allspans_off, hdr, sizeof(hdr));
	if (err) {
		gr_diag(r->snap, "warning", "heap", "no heap scan: runtime.mheap_.allspans: %s",
			err->message);
		util_error_destroy(err);
		return NULL;
	}
	if (hdr[1] == 0 || hdr[1] > hdr[2] || hdr[1] > MAX_SPANS) {
		gr_diag(r->snap, "warning", "heap",
			"no heap scan: runtime.mheap_.allspans has length %llu, capacity %llu "
			"(corrupt, or more than %d spans)",
			(unsigned long long)hdr[1], (unsigned long long)hdr[2], MAX_SPANS);
		return NULL;
	}
	uint64_t *ptrs = malloc(SPAN_CHUNK * sizeof(*ptrs));
	unsigned char *sbuf = malloc(l.size);
	size_t cap = 1024;
	h->spans = malloc(cap * sizeof(*h->spans));
	uint64_t *freeidx = malloc(cap * sizeof(*freeidx)), *bitsp = malloc(cap * sizeof(*bitsp));
	struct gr_diag_cap diags = GR_DIAG_CAP("heap", MAX_SPAN_DIAGS);
	if (!ptrs || !sbuf || !h->spans || !freeidx || !bitsp) {
		err = &util_enomem;
		goto out;
	}
	uint64_t max_span_bytes = (uint64_t)1 << 40;
	for (uint64_t base = 0; base < hdr[1]; base += SPAN_CHUNK) {
		size_t n = hdr[1] - base < SPAN_CHUNK ? hdr[1] - base : SPAN_CHUNK;
		err = core_read(r->core, hdr[0] + base * 8, ptrs, n * 8);
		if (err) {
			gr_diag(r->snap, "warning", "heap",
				"runtime.mheap_.allspans array at 0x%llx: %s; the spans from #%llu "
				"on are not scanned",
				(unsigned long long)hdr[0], err->message, (unsigned long long)base);
			util_error_destroy(err);
			err = NULL;
			h->complete = false;
			break;
		}
		for (size_t i = 0; i < n; i++) {
			if (!ptrs[i])
				continue;
			struct util_error *e = core_read(r->core, ptrs[i], sbuf, l.size);
			if (e) {
				gr_diag_capped(r->snap, &diags, "warning", "span #%llu at 0x%llx: %s",
					  (unsigned long long)(base + i), (unsigned long long)ptrs[i],
					  e->message);
				util_error_destroy(e);
				h->complete = false;
				continue;
			}
			if ((int64_t)rdn(sbuf, &l.state) != in_use)
				continue;
			uint64_t start = rdn(sbuf, &l.start), npages = rdn(sbuf, &l.npages);
			uint64_t nelems = rdn(sbuf, &l.nelems), elemsize = rdn(sbuf, &l.elemsize);
			uint64_t fi = rdn(sbuf, &l.freeindex);
			// Nonsense fields: the span is skipped, never trusted.
			if (!npages || npages > max_span_bytes / h->page_size || !elemsize ||
			    !nelems || start % h->page_size || start + npages * h->page_size < start ||
			    nelems > npages * h->page_size / elemsize || fi > nelems ||
			    h->nobjects + nelems > MAX_OBJECTS) {
				gr_diag_capped(r->snap, &diags, "warning",
					  "span #%llu at 0x%llx: implausible (start 0x%llx, %llu pages, "
					  "%llu objects of %llu bytes, free index %llu); skipped",
					  (unsigned long long)(base + i), (unsigned long long)ptrs[i],
					  (unsigned long long)start, (unsigned long long)npages,
					  (unsigned long long)nelems, (unsigned long long)elemsize,
					  (unsigned long long)fi);
				h->complete = false;
				continue;
			}
			if (h->nspans == cap) {
				cap *= 2;
				void *a = realloc(h->spans, cap * sizeof(*h->spans));
				if (a)
					h->spans = a;
				void *b = realloc(freeidx, cap * sizeof(*freeidx));
				if (b)
					freeidx = b;
				void *c = realloc(bitsp, cap * sizeof(*bitsp));
				if (c)
					bitsp = c;
				if (!a || !b || !c) {
					err = &util_enomem;
					goto out;
				}
			}
			// spanclass: size class << 1 | noscan (runtime/mheap.go).
			h->spans[h->nspans] = (struct gr_span){
				.base = start,
				.end = start + nelems * elemsize,
				.elemsize = elemsize,
				.nelems = (uint32_t)nelems,
				.noscan = rdn(sbuf, &l.spanclass) & 1,
				.large = rdn(sbuf, &l.spanclass) >> 1 == 0,
				.first = h->nobjects,
				.limit = start + npages * h->page_size,
				.large_type = l.large_type.size ? rdn(sbuf, &l.large_type) : 0,
				.specials = l.specials.size ? rdn(sbuf, &l.specials) : 0,
			};
			freeidx[h->nspans] = fi;
			bitsp[h->nspans] = rdn(sbuf, &l.alloc_bits);
			h->nspans++;
			h->nobjects += nelems;
		}
	}
	if (!h->nspans) {
		gr_diag(r->snap, "warning", "heap", "no heap scan: no in-use span could be read");
		goto out;
	}
	h->alloc = calloc(h->nobjects / 64 + 1, sizeof(uint64_t));
	if (!h->alloc) {
		err = &util_enomem;
		goto out;
	}
	for (size_t i = 0; i < h->nspans; i++) {
		err = read_alloc_bits(r, h, &h->spans[i], freeidx[i], bitsp[i], &diags);
		if (err)
			goto out;
	}
	// Sort by address; overlapping spans cannot both be right: keep the first.
	qsort(h->spans, h->nspans, sizeof(*h->spans), cmp_span);
	size_t kept = 0;
	for (size_t i = 0; i < h->nspans; i++) {
		if (kept && h->spans[i].base < h->spans[kept - 1].end) {
			gr_diag_capped(r->snap, &diags, "warning", "span at 0x%llx overlaps the span at 0x%llx; skipped",
				  (unsigned long long)h->spans[i].base,
				  (unsigned long long)h->spans[kept - 1].base);
			h->complete = false;
			continue;
		}
		h->spans[kept++] = h->spans[i];
	}
	h->nspans = kept;
	// Number the objects again in address order, without the dropped spans.
	uint64_t *alloc2 = calloc(h->nobjects / 64 + 1, sizeof(uint64_t));
	if (!alloc2) {
		err = &util_enomem;
		goto out;
	}
	size_t next = 0;
	for (size_t i = 0; i < h->nspans; i++) {
		struct gr_span *s = &h->spans[i];
		for (uint32_t k = 0; k < s->nelems; k++)
			if (gr_bit(h->alloc, s->first + k)) {
				gr_bit_set(alloc2, next + k);
				h->nallocated++;
			}
		s->first = next;
		next += s->nelems;
	}
	free(h->alloc);
	h->alloc = alloc2;
	h->nobjects = next;
	h->lo = h->spans[0].base;
	h->hi = 0;
	for (size_t i = 0; i < h->nspans; i++)
		if (h->spans[i].end > h->hi)
			h->hi = h->spans[i].end;
	uint64_t npages = (h->hi - h->lo + h->page_size - 1) / h->page_size;
	if (npages <= MAX_PAGE_TABLE) {
		h->page_span = calloc(npages, sizeof(uint32_t));
		if (!h->page_span) {
			err = &util_enomem;
			goto out;
		}
		for (size_t i = 0; i < h->nspans; i++) {
			const struct gr_span *s = &h->spans[i];
			for (uint64_t p = (s->base - h->lo) / h->page_size;
			     p * h->page_size + h->lo < s->end; p++)
				h->page_span[p] = (uint32_t)(i + 1);
		}
	}
	gr_diag_cap_flush(r->snap, &diags);
	*found = true;
out:
	free(ptrs);
	free(sbuf);
	free(freeidx);
	free(bitsp);
	core_release_pages(r->core);
	if (err || !*found) {
		gr_heap_deinit(h);
		*found = false;
	}
	return err;
}

struct util_error *gr_heap_runtime_roots(struct gr_reader *r, uint64_t **objs, size_t *nobjs,
					 uint64_t **words, size_t *nwords)
{
	*objs = *words = NULL;
	*nobjs = *nwords = 0;
	uint64_t offs[MAX_P_POINTERS], allp = gr_global_addr(r->bin, "runtime.allp"), hdr[3];
	size_t noffs = 0;
	uint64_t psize = gr_type_size(r->bin, "runtime.p");
	struct util_error *err = dw_type_pointer_offsets(r->bin, "runtime.p", offs, MAX_P_POINTERS, &noffs);
	if (err || !allp || !psize || psize > MAX_P_SIZE ||
	    !gr_read_ok(r->core, allp, hdr, sizeof(hdr)) || hdr[1] > hdr[2] || hdr[1] > MAX_PROCS) {
		// Then the p structs are scanned word by word, as any heap object.
		gr_diag(r->snap, "info", "heap", "runtime.p not read by its type (%s): scanned word by word",
			err ? err->message : "no runtime.allp");
		util_error_destroy(err);
		return NULL;
	}
	uint64_t *ps = malloc((hdr[1] + 1) * sizeof(*ps));
	uint64_t *ws = malloc((hdr[1] * noffs + 1) * sizeof(*ws));
	unsigned char *buf = malloc(psize);
	if (!ps || !ws || !buf) {
		free(ps), free(ws), free(buf);
		return &util_enomem;
	}
	size_t np = 0, nw = 0;
	for (uint64_t i = 0; i < hdr[1]; i++) {
		uint64_t p;
		if (!gr_read_ok(r->core, hdr[0] + 8 * i, &p, 8) || !p ||
		    !gr_read_ok(r->core, p, buf, psize))
			continue; // left to the word-by-word scan
		ps[np++] = p;
		for (size_t k = 0; k < noffs; k++)
			if (offs[k] + 8 <= psize && (ws[nw] = gr_rd64(buf, offs[k])))
				nw++;
	}
	free(buf);
	*objs = ps, *nobjs = np;
	*words = ws, *nwords = nw;
	return NULL;
}
