// SPDX-License-Identifier: Apache-2.0
// memory.c: the faulting memory reader: virtual addresses to the core's
// segments or the executable overlay, through the windows reads remember.
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "core/internal.h"

void core_reset_cache(struct core_file *core)
{
	memset(&core->fast, 0, sizeof(core->fast));
	memset(&core->win, 0, sizeof(core->win));
}

/** Index of the last segment with start <= addr, or n if there is none. */
static size_t seg_search(const struct core_segment *segs, size_t n, uint64_t addr)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (segs[mid].start <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo ? lo - 1 : n;
}

/**
 * The readable range around ADDR: a core segment's file bytes, or (with
 * USE_OVERLAY) the part of an executable segment lying in a hole of the core.
 */
static bool range_lookup(struct core_file *core, uint64_t addr, bool use_overlay,
			 struct core_range *r)
{
	size_t i = seg_search(core->segs, core->nsegs, addr);
	// The hole of the core around addr: no bytes in [hole_start, hole_end).
	uint64_t hole_start = 0, hole_end = UINT64_MAX;
	if (i < core->nsegs) {
		const struct core_segment *s = &core->segs[i];
		if (addr < s->file_end) {
			r->start = s->start;
			r->end = s->file_end;
			r->data = s->data;
			r->offset = s->offset;
			return true;
		}
		if (addr < s->end) {
			hole_start = s->file_end;
			hole_end = s->end;
		} else {
			hole_start = s->end;
			if (i + 1 < core->nsegs)
				hole_end = core->segs[i + 1].start;
		}
	} else if (core->nsegs) {
		hole_end = core->segs[0].start;
	}
	if (!use_overlay || !core->noverlay)
		return false;
	size_t j = seg_search(core->overlay, core->noverlay, addr);
	if (j == core->noverlay || addr >= core->overlay[j].file_end)
		return false;
	const struct core_segment *o = &core->overlay[j];
	r->start = o->start > hole_start ? o->start : hole_start;
	r->end = o->file_end < hole_end ? o->file_end : hole_end;
	r->data = o->data + (r->start - o->start);
	r->offset = 0;
	return true;
}

static inline void range_copy(struct core_file *core, const struct core_range *r, uint64_t addr,
			      void *buf, size_t len)
{
	if (r->data)
		memcpy(buf, r->data + (addr - r->start), len);
	else
		core_file_read(core, r->offset + (addr - r->start), buf, len);
}

/**
 * Copy (BUF non-NULL) or probe [addr, addr+len) range by range. False with
 * *FAULT set to the first address nothing holds.
 */
static bool core_walk(struct core_file *core, uint64_t addr, void *buf, size_t len,
		      bool use_overlay, uint64_t *fault)
{
	uint8_t *out = buf;
	uint64_t a = addr;
	size_t left = len;
	while (left) {
		struct core_range r;
		if (!range_lookup(core, a, use_overlay, &r)) {
			*fault = a;
			return false;
		}
		size_t n = r.end - a < left ? (size_t)(r.end - a) : left;
		if (out) {
			range_copy(core, &r, a, out, n);
			out += n;
		}
		if (use_overlay)
			core->fast = r;
		a += n;
		left -= n;
	}
	return true;
}

static struct util_error *core_access(struct core_file *core, uint64_t addr, void *buf,
				      size_t len, bool use_overlay)
{
	uint64_t fault;
	if (core_walk(core, addr, buf, len, use_overlay, &fault))
		return NULL;
	return util_error_fault(fault, "reading %zu bytes at 0x%" PRIx64, len, addr);
}

/** Make win[0] the bytes around ADDR, which range R holds; older windows move down. */
static void set_window(struct core_file *core, const struct core_range *r, uint64_t addr)
{
	memmove(&core->win[1], &core->win[0], (CORE_WINDOWS - 1) * sizeof(core->win[0]));
	struct core_window *w = &core->win[0];
	if (r->data) {
		w->start = r->start;
		w->end = r->end;
		w->data = r->data;
		return;
	}
	// One page of the page cache or store, as virtual addresses clipped to the range.
	uint64_t fo = r->offset + (addr - r->start);
	uint64_t in = fo % CORE_PAGE_SIZE;
	w->start = addr - in < r->start || addr - in > addr ? r->start : addr - in;
	w->end = addr - in + CORE_PAGE_SIZE;
	if (w->end > r->end || w->end < addr)
		w->end = r->end;
	w->data = core_page_lookup(core, fo / CORE_PAGE_SIZE) + (in - (addr - w->start));
}

static inline bool in_window(const struct core_window *w, uint64_t addr, size_t len)
{
	return addr - w->start < w->end - w->start && len <= w->end - addr;
}

/** Everything but the win[0] hit: older windows, the cached range, a full lookup. */
static struct util_error *core_read_slow(struct core_file *core, uint64_t addr, void *buf,
					 size_t len)
{
	if (len == 0)
		return NULL;
	for (size_t i = 1; i < CORE_WINDOWS; i++) {
		if (in_window(&core->win[i], addr, len)) {
			struct core_window w = core->win[i];
			memmove(&core->win[1], &core->win[0], i * sizeof(w));
			core->win[0] = w;
			memcpy(buf, w.data + (addr - w.start), len);
			return NULL;
		}
	}
	const struct core_range *f = &core->fast;
	if (!(addr - f->start < f->end - f->start && len <= f->end - addr)) {
		struct util_error *err = core_access(core, addr, buf, len, true);
		if (err)
			return err;
	} else {
		range_copy(core, f, addr, buf, len);
	}
	set_window(core, &core->fast, addr + len - 1);
	return NULL;
}

struct util_error *core_read_once(struct core_file *core, uint64_t addr, void *buf, size_t len)
{
	if (core->fd < 0 || !core->cache.pages)
		return core_read(core, addr, buf, len);
	uint8_t *out = buf;
	uint64_t a = addr;
	size_t left = len;
	while (left) {
		struct core_range r;
		if (!range_lookup(core, a, true, &r))
			return util_error_fault(a, "reading %zu bytes at 0x%" PRIx64, len, addr);
		size_t n = r.end - a < left ? (size_t)(r.end - a) : left;
		// The core's own segments are read from the file (their data is
		// NULL: see core_page_cache); the executable's overlay as always.
		if (!r.data) {
			core_file_copy(core, r.offset + (a - r.start), out, n);
		} else {
			range_copy(core, &r, a, out, n);
		}
		out += n;
		a += n;
		left -= n;
	}
	return NULL;
}

/** A range of a batch by where its bytes are in the core file. */
struct batch_at {
	uint64_t off;
	size_t i;
};

static int batch_at_cmp(const void *a, const void *b)
{
	const struct batch_at *x = a, *y = b;
	return x->off < y->off ? -1 : x->off > y->off;
}

void core_read_batch(struct core_file *core, struct core_batch_read *reads, size_t n,
		     void *scratch, size_t scratch_len)
{
	for (size_t i = 0; i < n; i++)
		reads[i].ok = false;
	// A compressed core's pages are in memory already: nothing to batch.
	if (core->fd < 0 || !core->cache.pages || !n)
		return;
	struct batch_at *at = malloc(n * sizeof(*at));
	if (!at)
		return;
	size_t m = 0;
	for (size_t i = 0; i < n; i++) {
		struct core_batch_read *b = &reads[i];
		size_t k = seg_search(core->segs, core->nsegs, b->addr);
		if (k == core->nsegs)
			continue;
		const struct core_segment *s = &core->segs[k];
		// Only what core_read_once would read from this segment's file bytes.
		if (b->addr >= s->file_end || b->len > s->file_end - b->addr)
			continue;
		if (s->data) {
			memcpy(b->buf, s->data + (b->addr - s->start), b->len);
			b->ok = true;
			continue;
		}
		at[m++] = (struct batch_at){s->offset + (b->addr - s->start), i};
	}
	qsort(at, m, sizeof(*at), batch_at_cmp);
	for (size_t k = 0; k < m;) {
		// Ranges less than a page apart share a read, as long as it fits SCRATCH.
		uint64_t from = at[k].off, to = from + reads[at[k].i].len;
		size_t end = k + 1;
		while (end < m && at[end].off <= to + CORE_PAGE_SIZE) {
			uint64_t e = at[end].off + reads[at[end].i].len;
			if ((e > to ? e : to) - from > scratch_len)
				break;
			if (e > to)
				to = e;
			end++;
		}
		if (end == k + 1) {
			core_file_copy(core, from, reads[at[k].i].buf, reads[at[k].i].len);
		} else {
			core_file_copy(core, from, scratch, (size_t)(to - from));
			for (size_t j = k; j < end; j++)
				memcpy(reads[at[j].i].buf, (const uint8_t *)scratch + (at[j].off - from),
				       reads[at[j].i].len);
		}
		for (size_t j = k; j < end; j++)
			reads[at[j].i].ok = true;
		k = end;
	}
	free(at);
}

void core_pin(struct core_file *core, uint64_t addr, size_t len, const void *bytes)
{
	core->pin = (struct core_window){.start = addr, .end = addr + len, .data = bytes};
	if (core->pin.end < addr)
		core->pin.end = core->pin.start; // wraps: pin nothing
}

void core_unpin(struct core_file *core)
{
	core->pin = (struct core_window){0};
}

/** The read from the pinned copy or win[0], if one holds it all. */
static inline bool read_fast(const struct core_file *core, uint64_t addr, void *buf, size_t len)
{
	const struct core_window *w = in_window(&core->pin, addr, len) ? &core->pin
				    : in_window(&core->win[0], addr, len) ? &core->win[0]
									  : NULL;
	if (w)
		memcpy(buf, w->data + (addr - w->start), len);
	return w != NULL;
}

struct util_error *core_read(struct core_file *core, uint64_t addr, void *buf, size_t len)
{
	if (read_fast(core, addr, buf, len))
		return NULL;
	return core_read_slow(core, addr, buf, len);
}

struct util_error *core_read_no_overlay(struct core_file *core, uint64_t addr, void *buf,
					size_t len)
{
	return core_access(core, addr, buf, len, false);
}

struct util_error *core_read_u64(struct core_file *core, uint64_t addr, uint64_t *ret)
{
	if (read_fast(core, addr, ret, sizeof(*ret)))
		return NULL;
	uint64_t v;
	struct util_error *err = core_read_slow(core, addr, &v, sizeof(v));
	if (!err)
		*ret = v;
	return err;
}

struct util_error *core_read_u32(struct core_file *core, uint64_t addr, uint32_t *ret)
{
	if (read_fast(core, addr, ret, sizeof(*ret)))
		return NULL;
	uint32_t v;
	struct util_error *err = core_read_slow(core, addr, &v, sizeof(v));
	if (!err)
		*ret = v;
	return err;
}

struct util_error *core_read_u8(struct core_file *core, uint64_t addr, uint8_t *ret)
{
	if (read_fast(core, addr, ret, sizeof(*ret)))
		return NULL;
	uint8_t v;
	struct util_error *err = core_read_slow(core, addr, &v, sizeof(v));
	if (!err)
		*ret = v;
	return err;
}

bool core_readable(struct core_file *core, uint64_t addr, size_t len)
{
	for (size_t i = 0; i < CORE_WINDOWS; i++)
		if (in_window(&core->win[i], addr, len))
			return true;
	uint64_t fault;
	return core_walk(core, addr, NULL, len, true, &fault);
}
