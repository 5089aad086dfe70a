// SPDX-License-Identifier: Apache-2.0
// stackcopy.c: each goroutine's live stack, copied once while the goroutines
// are read, for the unwinder and the context passes that read every stack.
//
// The unwinder reads a goroutine's live stack, and then three context passes
// read it again (the DWARF variables, the scan for interface words, the scan
// for bare context pointers). A live stack is mostly far smaller than the
// pages it lies on, so the copies of all of them take a fraction of the
// memory their pages would, and reading them faults nothing. Each copy is
// made before the goroutine is unwound, straight from the core file
// (core_read_once), and lent to the core reader (core_pin) while the
// unwinder runs: the stack pages are never mapped, nor dropped and mapped
// again by every later pass. The stacks of each chunk of goroutines are read
// ahead together (gr_stacks_prefetch): runtime.allgs lists goroutines in no
// order of their stacks, and one small pread each, out of order, cost more
// than the copying (on a core of 100,000 goroutines, 100,000 reads of ~1 KiB
// became ~8,000 of a few stacks each).
// The copies go into one anonymous region asked for in huge pages, so
// filling it takes a few dozen faults, not one per 4 KiB. They are packed:
// a bitmap of the words that differ from what is expected there, then those
// words, most of them in 4 bytes (struct packed). Expected is zero, or,
// once a goroutine with the same stack was copied, that goroutine's word
// (struct gr_stack_tmpl): goroutines parked in the same frames hold the
// same return addresses, frame pointers (shifted by where their stacks
// lie), numbers and zeros, and differ mostly in their heap pointers. What
// this saved is measured in bench/README.md.
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "goruntime/internal.h"

/*
 * A packed copy of NWORDS words: the bitmap of the words that are not the
 * expected ones (word i at bit i % 64 of bits[i / 64]; see expected), then
 * those NNZ words, in order, as a stream of NBYTES bytes: each a byte CODE,
 * below RECENT_MAX for the same word as the CODE-th of the last RECENT_MAX
 * words written in full (a stack holds the same few heap pointers over and
 * over: a debug build copies a context into every frame), else one of
 * CODE_LOW (4 bytes follow, the high half zero: small numbers, code and
 * data addresses), CODE_BASED (4 bytes follow, the high half BASE_HI, the
 * stack's own: pointers into the stack and, mostly, the heap) or CODE_WIDE
 * (8 bytes follow). What this saved is measured in bench/README.md.
 */
struct packed {
	uint32_t nwords, nnz;
	uint32_t base_hi, nbytes;
	uint32_t tmpl;          /* 1 + the index of the template in gr_stacks.tmpls; 0: none */
	uint64_t bits[];
};

enum { RECENT_MAX = 16, CODE_LOW = RECENT_MAX, CODE_BASED, CODE_WIDE };

/* The words last written in full, to refer back to. */
struct recent {
	uint64_t w[RECENT_MAX];
	unsigned next;
};

/*
 * Append word W to the stream at OUT (NULL: only count), base BASE_HI;
 * return its bytes. The decoder (decode_copy) keeps R the same way.
 */
static size_t encode_word(struct recent *r, uint64_t w, uint32_t base_hi, unsigned char *out)
{
	for (unsigned k = 0; k < RECENT_MAX; k++)
		if (r->w[k] == w) {
			if (out)
				*out = (unsigned char)k;
			return 1;
		}
	r->w[r->next++ % RECENT_MAX] = w;
	uint32_t hi = (uint32_t)(w >> 32), lo = (uint32_t)w;
	if (!hi || hi == base_hi) {
		if (out) {
			*out = hi ? CODE_BASED : CODE_LOW;
			memcpy(out + 1, &lo, 4);
		}
		return 5;
	}
	if (out) {
		*out = CODE_WIDE;
		memcpy(out + 1, &w, 8);
	}
	return 9;
}

/*
 * The word expected at word I of a copy at LO made from template T (NULL:
 * none, zero): T's word, moved along with the stack if it pointed into T's.
 */
static inline uint64_t expected(const struct gr_stack_tmpl *t, uint64_t lo, size_t i)
{
	if (!t || i >= t->nwords)
		return 0;
	uint64_t w = t->words[i];
	if (w >= t->lo && w - t->lo < 8 * (uint64_t)t->nwords)
		w = w - t->lo + lo;
	return w;
}

static const struct gr_stack_tmpl *tmpl_of(const struct gr_stacks *st, const struct packed *p)
{
	return p->tmpl && p->tmpl <= st->ntmpls ? &st->tmpls[p->tmpl - 1] : NULL;
}

static size_t bitmap_words(size_t nwords)
{
	return (nwords + 63) / 64;
}

static size_t packed_size(size_t nwords, size_t nbytes)
{
	return sizeof(struct packed) + 8 * bitmap_words(nwords) + nbytes;
}

/* The words of P, a copy at LO, into OUT (8 * P->nwords bytes). */
static void decode_copy(const struct gr_stacks *st, const struct packed *p, uint64_t lo,
			uint64_t *out)
{
	const struct gr_stack_tmpl *t = tmpl_of(st, p);
	const unsigned char *at = (const unsigned char *)(p->bits + bitmap_words(p->nwords));
	const unsigned char *end = at + p->nbytes;
	struct recent r = {{0}, 0};
	for (size_t b = 0; b < bitmap_words(p->nwords); b++) {
		uint64_t m = p->bits[b];
		size_t n = p->nwords - 64 * b < 64 ? p->nwords - 64 * b : 64;
		for (size_t j = 0; j < n; j++) {
			size_t i = 64 * b + j;
			uint64_t w;
			if (!(m >> j & 1)) {
				w = expected(t, lo, i);
			} else if (at >= end) {
				w = 0; // NEVER: the stream holds a word per bit
			} else if (*at < RECENT_MAX) {
				w = r.w[*at++];
			} else if (*at == CODE_WIDE) {
				memcpy(&w, at + 1, 8);
				at += 9;
				r.w[r.next++ % RECENT_MAX] = w;
			} else {
				uint32_t v;
				memcpy(&v, at + 1, 4);
				w = *at == CODE_BASED ? (uint64_t)p->base_hi << 32 | v : v;
				at += 5;
				r.w[r.next++ % RECENT_MAX] = w;
			}
			out[i] = w;
		}
	}
}

void gr_stacks_init(struct gr_stacks *st)
{
	memset(st, 0, sizeof(*st));
	st->next = SIZE_MAX;
}

void gr_stacks_reserve(struct gr_stacks *st, size_t ngoroutines)
{
	// The copies only spare work: without memory for them, none are made.
	st->by_g = calloc(ngoroutines ? ngoroutines : 1, sizeof(*st->by_g));
	st->scratch = malloc(GR_STACK_COPY_MAX);
	st->dec = malloc(sizeof(*st->dec));
	if (st->dec)
		st->dec->words = malloc(GR_STACK_COPY_MAX + 8);
	if (!st->by_g || !st->scratch || !st->dec || !st->dec->words) {
		free(st->by_g);
		free(st->scratch);
		if (st->dec)
			free(st->dec->words);
		free(st->dec);
		st->by_g = NULL;
		st->scratch = NULL;
		st->dec = NULL;
		return;
	}
	st->dec->gi = SIZE_MAX;
	st->n = ngoroutines;
	void *p = util_map_anon(GR_STACKS_MAX, true);
	if (!p)
		return; // no copies: the passes read the core
	st->base = p;
	st->cap = GR_STACKS_MAX;
}

/*
 * GR_STACK_PREFETCH_MAX bytes for stacks read ahead, asked for in huge
 * pages: on a virtual machine each first touch of a 4 KiB page is a trap
 * (~12 us measured here), and these buffers are filled megabytes at a time.
 */
static unsigned char *prefetch_alloc(void)
{
	return util_map_anon(GR_STACK_PREFETCH_MAX, true);
}

static void prefetch_free(unsigned char *p)
{
	if (p)
		munmap(p, GR_STACK_PREFETCH_MAX);
}

/* The bytes gr_stacks_fill copies for a start at SP: [*LO, *LO + *LEN); false: none. */
static bool fill_range(uint64_t sp, uint64_t hi, uint64_t *lo, size_t *len)
{
	*lo = sp & ~7ULL;
	if (hi <= *lo)
		return false;
	if (hi - *lo > GR_STACK_COPY_MAX)
		hi = *lo + GR_STACK_COPY_MAX;
	*len = (size_t)(hi - *lo);
	return true;
}

/*
 * Read the N ranges of READS (addr, len; len 0: none) ahead, laid out in
 * order in BUF (GR_STACK_PREFETCH_MAX bytes; what does not fit is left
 * out) and read with one core_read_batch through SCRATCH: COPIES[i] gets
 * range i's plain bytes, or none if it was not read. The two read-ahead
 * passes, the goroutines' and the searches' (gr_stacks_ahead_pin), share it.
 */
static void read_ahead(struct core_file *core, struct core_batch_read *reads, size_t n,
		       unsigned char *buf, unsigned char *scratch, struct gr_stack_copy *copies)
{
	size_t used = 0;
	for (size_t i = 0; i < n; i++) {
		struct core_batch_read *b = &reads[i];
		if (!b->len || b->len > GR_STACK_PREFETCH_MAX - used) {
			*b = (struct core_batch_read){0}; // none, or full: read as it comes
			continue;
		}
		b->buf = buf + used;
		used += (b->len + 7) & ~(size_t)7;
		if (used > GR_STACK_PREFETCH_MAX)
			used = GR_STACK_PREFETCH_MAX;
	}
	// The ranges left empty (len 0 at 0) are no range of the core: not read.
	core_read_batch(core, reads, n, scratch, GR_STACK_COPY_MAX);
	for (size_t i = 0; i < n; i++)
		copies[i] = reads[i].ok && reads[i].len
				    ? (struct gr_stack_copy){.lo = reads[i].addr, .len = reads[i].len,
							     .bytes = reads[i].buf}
				    : (struct gr_stack_copy){0};
}

void gr_stacks_prefetch(struct gr_stacks *st, struct core_file *core,
			const struct gr_stack_want *want, size_t n)
{
	st->next = SIZE_MAX;
	for (size_t i = 0; i < st->npre; i++)
		st->pre[i] = (struct gr_stack_copy){0};
	if (!st->base)
		return;
	if (n > st->npre) {
		struct gr_stack_copy *pre = realloc(st->pre, n * sizeof(*pre));
		if (!pre)
			return;
		st->pre = pre;
		struct core_batch_read *batch = realloc(st->batch, n * sizeof(*batch));
		if (!batch)
			return;
		st->batch = batch;
		for (size_t i = st->npre; i < n; i++)
			st->pre[i] = (struct gr_stack_copy){0};
		st->npre = n;
	}
	if (!st->prebuf && !(st->prebuf = prefetch_alloc()))
		return;
	for (size_t i = 0; i < n; i++) {
		uint64_t lo = 0;
		size_t len = 0;
		if (!want[i].sp || !fill_range(want[i].sp, want[i].hi, &lo, &len))
			lo = 0, len = 0;
		st->batch[i] = (struct core_batch_read){.addr = lo, .len = len};
	}
	read_ahead(core, st->batch, n, st->prebuf, st->scratch, st->pre);
}

void gr_stacks_next(struct gr_stacks *st, size_t slot)
{
	st->next = slot;
}

void gr_stacks_prefetch_done(struct gr_stacks *st)
{
	free(st->pre);
	free(st->batch);
	prefetch_free(st->prebuf);
	st->pre = NULL;
	st->batch = NULL;
	st->prebuf = NULL;
	st->npre = 0;
	st->next = SIZE_MAX;
}

void gr_stacks_fill(struct gr_stacks *st, struct core_file *core, uint64_t sp, uint64_t hi)
{
	st->pending = (struct gr_stack_copy){0};
	size_t next = st->next;
	st->next = SIZE_MAX;
	if (!st->base)
		return;
	uint64_t lo;
	size_t len;
	if (!fill_range(sp, hi, &lo, &len))
		return;
	if (next < st->npre && st->pre[next].bytes && st->pre[next].lo == lo &&
	    st->pre[next].len == len) {
		st->pending = st->pre[next];
		core_pin(core, lo, len, st->pending.bytes);
		return;
	}
	struct util_error *err = core_read_once(core, lo, st->scratch, len);
	if (err) {
		util_error_destroy(err); // not all in the core: read as it comes
		return;
	}
	st->pending = (struct gr_stack_copy){.lo = lo, .len = len, .bytes = st->scratch};
	core_pin(core, lo, len, st->scratch);
}

/* Word I of the LEN bytes at SRC; the last may be partial (a stack.hi not 8-aligned): zero-padded. */
static inline uint64_t copy_word(const unsigned char *src, size_t len, size_t i)
{
	uint64_t w = 0;
	if (len - 8 * i >= 8)
		memcpy(&w, src + 8 * i, 8);
	else
		memcpy(&w, src + 8 * i, len - 8 * i);
	return w;
}

/*
 * The template of stack INDEX, made from the NWORDS words at SRC (LEN bytes,
 * at LO) if there is none yet and the budget allows; NULL: none.
 */
static const struct gr_stack_tmpl *tmpl_for(struct gr_stacks *st, uint32_t index, uint64_t lo,
					    const unsigned char *src, size_t len, size_t nwords)
{
	if (index >= st->ntmpls) {
		size_t n = st->ntmpls;
		if (util_grow((void **)&st->tmpls, index, &st->tmpls_cap, sizeof(*st->tmpls), 64))
			return NULL;
		st->ntmpls = index + 1;
		memset(st->tmpls + n, 0, (st->ntmpls - n) * sizeof(*st->tmpls));
	}
	struct gr_stack_tmpl *t = &st->tmpls[index];
	if (t->words)
		return t;
	// Past the budget (a core whose stacks are all different), copies
	// are kept against zeros, as without templates.
	if (st->tmpl_bytes + 8 * nwords > GR_STACK_TMPLS_MAX || !(t->words = malloc(8 * nwords)))
		return NULL;
	for (size_t i = 0; i < nwords; i++)
		t->words[i] = copy_word(src, len, i);
	t->lo = lo;
	t->nwords = nwords;
	st->tmpl_bytes += 8 * nwords;
	return t;
}

void gr_stacks_take(struct gr_stacks *st, size_t gi, const struct gr_goroutine *g)
{
	struct gr_stack_copy c = st->pending;
	st->pending = (struct gr_stack_copy){0};
	if (!c.bytes || gi >= st->n)
		return;
	st->by_g[gi] = (struct gr_stack_copy){0};
	if (!g->nframes || !g->frame_sp_off)
		return;
	if (st->dec && st->dec->gi == gi)
		st->dec->gi = SIZE_MAX;
	size_t nwords = (c.len + 7) / 8, nnz = 0, nbytes = 0;
	const unsigned char *src = c.bytes;
	uint32_t base_hi = (uint32_t)(c.lo >> 32);
	const struct gr_stack_tmpl *t = tmpl_for(st, g->stack_index, c.lo, src, c.len, nwords);
	// Written in place, in one pass: the region is address space, and
	// only the bytes written count. A copy that might not fit (9 bytes a
	// word at most) is read from the core instead.
	size_t at = (st->used + 7) & ~(size_t)7;
	if (at > st->cap || st->cap - at < packed_size(nwords, 9 * nwords))
		return;
	struct packed *p = (struct packed *)(st->base + at);
	uint64_t *bits = p->bits;
	memset(bits, 0, 8 * bitmap_words(nwords));
	unsigned char *out = (unsigned char *)(bits + bitmap_words(nwords)), *start = out;
	struct recent r = {{0}, 0};
	for (size_t i = 0; i < nwords; i++) {
		uint64_t w = copy_word(src, c.len, i);
		if (w == expected(t, c.lo, i))
			continue;
		bits[i / 64] |= 1ULL << (i % 64);
		out += encode_word(&r, w, base_hi, out);
		nnz++;
	}
	nbytes = (size_t)(out - start);
	*p = (struct packed){.nwords = (uint32_t)nwords, .nnz = (uint32_t)nnz, .base_hi = base_hi,
			     .nbytes = (uint32_t)nbytes,
			     .tmpl = t ? (uint32_t)(t - st->tmpls) + 1 : 0};
	size_t size = packed_size(nwords, nbytes);
	st->by_g[gi] = (struct gr_stack_copy){.lo = c.lo, .len = c.len, .bytes = st->base + at};
	st->used = at + size;
}

bool gr_stacks_read(const struct gr_stacks *st, size_t gi, uint64_t addr, void *buf, size_t len)
{
	if (gi >= st->n || !st->dec)
		return false;
	const struct gr_stack_copy *c = &st->by_g[gi];
	if (!c->bytes || addr < c->lo || addr - c->lo > c->len || len > c->len - (addr - c->lo))
		return false;
	if (!len)
		return true;
	// The passes read a goroutine's stack many times over, one goroutine
	// after the other: its words are decoded once, for all those reads.
	struct gr_stack_decoded *d = st->dec;
	if (d->gi != gi) {
		decode_copy(st, (const struct packed *)c->bytes, c->lo, d->words);
		d->gi = gi;
	}
	memcpy(buf, (const unsigned char *)d->words + (addr - c->lo), len);
	return true;
}

void gr_stacks_deinit(struct gr_stacks *st)
{
	if (st->base)
		munmap(st->base, st->cap);
	for (size_t i = 0; i < st->ntmpls; i++)
		free(st->tmpls[i].words);
	free(st->tmpls);
	if (st->dec)
		free(st->dec->words);
	free(st->dec);
	free(st->by_g);
	free(st->scratch);
	gr_stacks_prefetch_done(st);
	memset(st, 0, sizeof(*st));
	st->next = SIZE_MAX;
}

void gr_stacks_ahead_init(struct gr_stacks_ahead *a)
{
	memset(a, 0, sizeof(*a));
}

void gr_stacks_ahead_deinit(struct gr_stacks_ahead *a)
{
	free(a->pre);
	free(a->batch);
	prefetch_free(a->buf);
	free(a->scratch);
	memset(a, 0, sizeof(*a));
}

/* Read the live stacks of goroutines [FIRST, FIRST + GR_STACK_AHEAD) ahead. */
static void ahead_read(struct gr_stacks_ahead *a, const struct gr_reader *r, size_t first,
		       const uint64_t *lo, const uint64_t *hi)
{
	const struct gr_snapshot *s = r->snap;
	a->first = first;
	a->n = 0;
	if (!a->pre) {
		a->pre = malloc(GR_STACK_AHEAD * sizeof(*a->pre));
		a->batch = malloc(GR_STACK_AHEAD * sizeof(*a->batch));
		a->buf = prefetch_alloc();
		a->scratch = malloc(GR_STACK_COPY_MAX);
	}
	if (!a->pre || !a->batch || !a->buf || !a->scratch)
		return;
	size_t n = s->ngoroutines - first < GR_STACK_AHEAD ? s->ngoroutines - first : GR_STACK_AHEAD;
	for (size_t k = 0; k < n; k++) {
		size_t gi = first + k;
		const struct gr_goroutine *g = &s->goroutines[gi];
		a->batch[k] = (struct core_batch_read){0};
		// The range reach.c's scan_stack reads: from the innermost frame up.
		uint64_t sp = g->nframes ? gr_frame_sp(g, 0) : lo[gi], rlo;
		if (sp < lo[gi] || sp > hi[gi])
			sp = lo[gi];
		size_t len;
		if (hi[gi] && fill_range(sp, hi[gi], &rlo, &len))
			a->batch[k] = (struct core_batch_read){.addr = rlo, .len = len};
	}
	read_ahead(r->core, a->batch, n, a->buf, a->scratch, a->pre);
	a->n = n;
}

void gr_stacks_ahead_pin(struct gr_stacks_ahead *a, const struct gr_reader *r, size_t gi,
			 const uint64_t *lo, const uint64_t *hi)
{
	if (gi >= r->snap->ngoroutines)
		return;
	if (gi < a->first || gi - a->first >= a->n)
		ahead_read(a, r, gi, lo, hi);
	if (gi < a->first || gi - a->first >= a->n)
		return;
	const struct gr_stack_copy *c = &a->pre[gi - a->first];
	if (c->bytes)
		core_pin(r->core, c->lo, c->len, c->bytes);
}

bool gr_read_stack(const struct gr_reader *r, const struct gr_goroutine *g, uint64_t addr,
		   void *buf, size_t len)
{
	const struct gr_snapshot *s = r->snap;
	if (g && g >= s->goroutines && g < s->goroutines + s->ngoroutines) {
		size_t gi = (size_t)(g - s->goroutines);
		if (gr_stacks_read(&r->stacks_copy, gi, addr, buf, len))
			return true;
		// The members of its runtime.g kept when it was read (gr_g_word).
		for (size_t k = 0; r->gwords && len == 8 && k < GR_GW_COUNT; k++)
			if (r->gw_off[k] != GR_ABSENT && addr == g->g_addr + r->gw_off[k]) {
				memcpy(buf, &r->gwords[gi * GR_GW_COUNT + k], 8);
				return true;
			}
	}
	return gr_read_ok(r->core, addr, buf, len);
}
