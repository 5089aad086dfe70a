// SPDX-License-Identifier: Apache-2.0
// ctxscan.c: where no variable DWARF locates gives a frame's context
// (optimized code keeps ctx in registers), scan the live stack for the words
// that start a context interface value — the itab of (context type,
// context.Context) or a context type's descriptor — each candidate validated
// by decoding it; then bare pointers to contexts already validated. Where a
// frame's stack maps are usable only live pointer slots count (the data
// word of the interface, the bare pointer: gr_stack_live_word); frames
// without them are scanned word by word as before, their finds labelled
// unverified.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "goruntime/ctx.h"

/* The words that start a context interface value on a stack. */
static struct util_error *collect_scan_words(struct cf_state *st)
{
	struct gr_ctx *c = st->c;
	struct dw_binary *b = st->r->bin;
	struct util_error *err = NULL;
	char sym[128];
	for (size_t i = 0; i < GR_NCTX_TYPES && !err; i++) {
		uint64_t addr, type = gr_type_addr(st->r, gr_ctx_types[i]);
		struct util_error *e;
		if (type)
			err = util_u64map_put(&st->scan_words, type, 2);
		// Static itabs up to 1.26: go:itab.T,I (1.20+), go.itab.T,I (1.19).
		for (int k = 0; k < 2 && !err; k++) {
			snprintf(sym, sizeof(sym), "%s.%s,context.Context", k ? "go.itab" : "go:itab",
				 gr_ctx_types[i]);
			e = dw_symbol(b, sym, &addr);
			if (!e && gr_ctx_itab_type(c, addr))
				err = util_u64map_put(&st->scan_words, addr, 1);
			util_error_destroy(e);
		}
	}
	// Stripped: no symbols; the itabs the dwarf module found in the file.
	const uint64_t *found;
	size_t nfound = dw_binary_ctx_itabs(b, &found);
	for (size_t i = 0; i < nfound && !err; i++)
		if (gr_ctx_itab_type(c, found[i]))
			err = util_u64map_put(&st->scan_words, found[i], 1);
	// Up to 1.26: every static itab is listed in moduledata.itablinks.
	struct core_file *core = st->r->core;
	uint64_t links[2], types = st->r->types.types;
	if (c->iface_ctx_type && gr_moduledata_read(st->r, "itablinks", links, 16) &&
	    links[1] < (1u << 22)) {
		uint64_t *tabs = malloc(links[1] * 8 + 8);
		if (!tabs)
			return &util_enomem;
		if (gr_read(st->r, &c->diags, links[0], tabs, links[1] * 8,
			    "moduledata.itablinks, where the stack scan finds context itabs")) {
			for (uint64_t i = 0; i < links[1] && !err; i++) {
				uint64_t inter;
				if (gr_read_ok(core, tabs[i], &inter, 8) && inter == c->iface_ctx_type &&
				    gr_ctx_itab_type(c, tabs[i]))
					err = util_u64map_put(&st->scan_words, tabs[i], 1);
			}
		}
		free(tabs);
	}
	// 1.27: itabs in the type data, moduledata.types + itaboffset, itabsize
	// bytes, each an internal/abi.ITab with as many Fun words as its
	// interface has methods (one, Fun[0] = 0, for a type that lacks them).
	uint64_t ioff = 0, isz = 0, tab_size = gr_type_size(b, "internal/abi.ITab"),
		 tab_fun = gr_member(b, "internal/abi.ITab", "Fun"),
		 methods = gr_member(b, "internal/abi.InterfaceType", "Methods");
	if (types && c->iface_ctx_type && tab_size == tab_fun + 8 && tab_size <= 64 &&
	    methods != GR_ABSENT && gr_moduledata_read(st->r, "itaboffset", &ioff, 8) &&
	    gr_moduledata_read(st->r, "itabsize", &isz, 8) && isz < (64u << 20)) {
		uint64_t p = types + ioff, end = p + isz;
		while (p + tab_size <= end && !err) {
			uint64_t it[8], nm = 1; // Inter, Type, Hash, Fun[0]
			if (!gr_read(st->r, &c->diags, p, it, tab_size,
				     "the itabs in moduledata.types, where the stack scan finds context itabs"))
				break;
			uint64_t fun0 = it[tab_fun / 8];
			if (fun0 && !gr_read_ok(core, it[0] + methods + 8, &nm, 8)) // len(Methods)
				break;
			if (it[0] == c->iface_ctx_type && fun0 && gr_ctx_itab_type(c, p))
				err = util_u64map_put(&st->scan_words, p, 1);
			if (!fun0 || nm == 0)
				p += tab_size;
			else if (nm > 4096)
				break;
			else
				p += tab_size + 8 * (nm - 1);
		}
	}
	return err;
}

/* Learned from the DWARF pass: every context.Context itab seen. */
static struct util_error *learn_itabs(struct cf_state *st)
{
	struct util_error *err = NULL;
	struct gr_ctx *c = st->c;
	for (size_t i = 0; i < c->itabs.cap && !err; i++) {
		uint64_t key = c->itabs.keys[i], type = c->itabs.vals[i], v;
		if (key == ~0ULL || !type)
			continue;
		if (util_u64map_get(&c->type_index, type, &v) && v &&
		    c->types[v - 1].kind != CK_NONE)
			err = util_u64map_put(&st->scan_words, key, 1);
	}
	return err;
}

/* Byte size of a parameter's type, 0 if unknown. */
static uint64_t param_size(struct cf_state *st, uint64_t type_die)
{
	const char *n = type_die ? dw_type_die_name(st->r->bin, type_die) : NULL;
	uint64_t size = 0;
	if (!n)
		return 0;
	if (n[0] == '*' || strncmp(n, "map[", 4) == 0 || strncmp(n, "chan ", 5) == 0 ||
	    strncmp(n, "func(", 5) == 0 || strcmp(n, "unsafe.Pointer") == 0)
		return 8;
	struct util_error *err = dw_type_size(st->r->bin, n, &size);
	util_error_destroy(err);
	return err ? 0 : size;
}

/*
 * The function of frame I has a context variable (cached per function). With
 * ANY: any variable or parameter of a context type or of a struct with a
 * context.Context field; 1 or 0. Without: a context parameter; 0 if none,
 * else the bytes its arguments take in the caller's spill area (laid out as
 * stack arguments: results, "~r", excluded), 64 when a size is unknown.
 */
static uint64_t ctx_vars(struct cf_state *st, const struct gr_goroutine *g, size_t i, bool any)
{
	const struct gr_frame *fr = &g->frames[i];
	const struct dw_func *f = fr->pc ? dw_func_at(st->r->bin, fr->pc - (i ? 1 : 0)) : NULL;
	struct util_u64map *cache = any ? &st->mentions : &st->takes;
	uint64_t v;
	if (!f)
		return 0;
	if (util_u64map_get(cache, f->entry, &v))
		return v;
	const struct dw_func_vars *fv;
	v = 0;
	uint64_t args = 0;
	bool sized = true;
	struct util_error *err = dw_func_vars(st->r->bin, f, &fv);
	for (size_t k = 0; !err && k < fv->n; k++) {
		const struct dw_var *var = &fv->vars[k];
		const struct cf_class *cl;
		if (!any && !var->is_param)
			continue;
		err = gr_cf_classify(st, var->type_die, &cl);
		if (!err && cl && cl->kind != CL_NONE)
			v = 1;
		if (any || strncmp(var->name, "~r", 2) == 0)
			continue;
		uint64_t size = param_size(st, var->type_die), align = 8;
		while (align > 1 && align > size)
			align /= 2;
		sized = sized && size;
		args = (args + align - 1) / align * align + size;
	}
	if (v && !any)
		v = sized && args <= 4096 ? (args + 7) / 8 * 8 : 64;
	util_error_destroy(err);
	util_error_destroy(util_u64map_put(cache, f->entry, v));
	return v;
}

static uint64_t takes_ctx(struct cf_state *st, const struct gr_goroutine *g, size_t i)
{
	return ctx_vars(st, g, i, false);
}

/* What the scans need of G's frames, worked out once per distinct stack. */
static struct util_error *make_frame_info(void *arg, const struct gr_goroutine *g, void *value)
{
	struct cf_state *st = arg;
	struct cf_frames *fi = value;
	size_t n = g->nframes ? g->nframes : 1;
	fi->self = calloc(n, sizeof(*fi->self));
	fi->callee = calloc(n, sizeof(*fi->callee));
	fi->args = calloc(n, sizeof(*fi->args));
	if (!fi->self || !fi->callee || !fi->args)
		return &util_enomem;
	// Stripped: no variables to ask; every frame outside the runtime may
	// hold one, the stack maps' liveness the only filter (a conservative scan).
	bool stripped = dw_binary_is_stripped(st->r->bin);
	for (size_t i = 0; i < g->nframes; i++) {
		fi->self[i] = strncmp(g->frames[i].func, "runtime.", 8) != 0 &&
			      (stripped || ctx_vars(st, g, i, true));
		fi->callee[i] = -1;
		// Register arguments are spilled to the bottom of the caller's
		// frame (the callee's CFA + k): the nearest physical callee's, when
		// it takes a context.
		for (size_t j = i; j-- > 0;) {
			if (g->frames[j].inlined)
				continue;
			uint64_t args;
			if (strncmp(g->frames[j].func, "runtime.", 8) != 0 && (args = takes_ctx(st, g, j))) {
				fi->callee[i] = (int32_t)j;
				// From the caller's SP: on arm64 its saved LR
				// comes first (MinFrameSize).
				fi->args[i] = args + dw_binary_arch(st->r->bin)->min_frame;
			}
			break;
		}
	}
	return NULL;
}

static struct util_error *frame_info(struct cf_state *st, const struct gr_goroutine *g,
				     const struct cf_frames **ret)
{
	return gr_per_stack_get(&st->frame_info, g, sizeof(**ret), make_frame_info, st, (void **)ret);
}

/*
 * The frame a stack word found in frame FI's region belongs to: register
 * arguments are spilled to the bottom of the caller's frame (the callee's
 * CFA + k), so a word in the callee's argument area belongs to the callee
 * when it takes a context; the caller's own slots start above that area.
 */
static size_t callee_frame(const struct cf_frames *info, const struct gr_goroutine *g, size_t fi,
			   uint64_t addr)
{
	if (addr >= gr_frame_sp(g, fi) + 64 || info->callee[fi] < 0 ||
	    addr >= gr_frame_sp(g, fi) + info->args[fi])
		return fi;
	return (size_t)info->callee[fi];
}

/* Scan G's live stack in the frames without a DWARF holding. */
struct util_error *gr_cf_scan_stack(struct cf_state *st, const struct gr_goroutine *g,
				     size_t first, const bool *frame_has)
{
	// stack.hi as read with the goroutine (the same bytes of its g).
	uint64_t hi = g->stack_hi;
	if (!g->nframes || !g->frame_sp_off)
		return NULL;
	uint64_t lo = gr_frame_sp(g, 0) & ~7ULL;
	if (hi <= lo)
		return NULL;
	if (hi - lo > GR_CF_MAX_SCAN)
		hi = lo + GR_CF_MAX_SCAN;
	size_t n = (size_t)(hi - lo);
	const struct cf_frames *info;
	struct util_error *ierr = frame_info(st, g, &info);
	if (ierr)
		return ierr;
	uint64_t img_lo;
	size_t img_len;
	const unsigned char *stack = gr_cf_stack_image(st, g, &img_lo, &img_len);
	if (!stack || img_lo != lo || img_len != n) { // the same bytes: both as read above
		if (!gr_cf_stack_read(st, g, lo, st->stack, n))
			return NULL;
		stack = st->stack;
	}
	size_t fi = 0; // the physical frame containing the word
	for (size_t off = 0; off + 16 <= n; off += 8) {
		uint64_t w, v, addr = lo + off;
		memcpy(&w, stack + off, 8);
		// Most words are no itab or type: a range check spares the lookup.
		if (w < st->scan_lo || w > st->scan_hi || !util_u64map_get(&st->scan_words, w, &v))
			continue;
		// Advance to the outermost physical frame whose sp is <= addr.
		for (size_t j = fi + 1; j < g->nframes; j++) {
			if (g->frames[j].inlined)
				continue;
			if (gr_frame_sp(g, j) > addr)
				break;
			fi = j;
		}
		while (fi < g->nframes && g->frames[fi].inlined)
			fi++;
		if (fi >= g->nframes)
			fi = g->nframes - 1;
		// Runtime frames (selectgo, gopark...) hold copies, not the program's contexts.
		if (frame_has[fi] || strncmp(g->frames[fi].func, "runtime.", 8) == 0)
			continue;
		// A frame whose function has no context variable at all holds no
		// context: what looks like one there is a dead slot left by an
		// earlier call (seen in the diag corpus: a forgotten channel sender
		// "holding" another scenario's canceled context). The callee's
		// spilled arguments at the frame's bottom are the callee's.
		int32_t depth = (int32_t)callee_frame(info, g, fi, addr);
		if (depth == (int32_t)fi ? !info->self[fi] : frame_has[depth])
			continue;
		uint64_t data, type = v == 1 ? gr_ctx_itab_type(st->c, w) : w;
		memcpy(&data, stack + off + 8, 8);
		if (!type || !data)
			continue;
		// Only a live data word (the maps never count the type word):
		// a dead slot may point to a freed, reused context.
		enum gr_live live;
		struct util_error *err = gr_cf_live(st, g, addr + 8, &live);
		if (err)
			return err;
		if (live == GR_LIVE_DEAD)
			continue;
		bool is;
		size_t idx;
		// An itab word says context.Context: a type outside package context is a user context.
		err = gr_ctx_add_found(st->c, type, data, v == 1, &is, &idx);
		if (err)
			return err;
		if (!is)
			continue;
		if (gr_cf_held_already(st, first, data, depth)) // one holding per frame
			continue;
		err = gr_cf_hold(st, g, depth, NULL, data, false, live);
		if (err)
			return err;
		off += 8;
	}
	return NULL;
}

/* The holding (CTX, DEPTH) is among G's: in one of the NR ranges of st->held or at FIRST on. */
static bool held_in(const struct cf_state *st, const size_t *from, const size_t *to, size_t nr,
		    size_t first, uint64_t ctx, int32_t depth)
{
	for (size_t k = 0; k < nr; k++)
		for (size_t i = from[k]; i < to[k]; i++)
			if (st->held[i].ctx_addr == ctx && st->held[i].frame_depth == depth)
				return true;
	for (size_t i = first; i < st->nheld; i++)
		if (st->held[i].ctx_addr == ctx && st->held[i].frame_depth == depth)
			return true;
	return false;
}

/* A holding DWARF gave (st->held[FROM..TO), pass 1) at frame DEPTH. */
static bool dwarf_at(const struct cf_state *st, size_t from, size_t to, int32_t depth)
{
	for (size_t i = from; i < to; i++)
		if (st->held[i].frame_depth == depth)
			return true;
	return false;
}

/* Whether page PG, outside the window of st->ctx_pages, holds a context. */
static bool far_page(const struct cf_state *st, uint64_t pg)
{
	size_t lo = 0, hi = st->nctx_pages_far;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (st->ctx_pages_far[mid] < pg)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < st->nctx_pages_far && st->ctx_pages_far[lo] == pg;
}

/*
 * Pass 3: optimized code that keeps a context alive may spill only the data
 * word of the interface (the itab is a constant of the code), with no DWARF
 * location at the call. In G's frames, a word equal to the address of a
 * context already validated is a holding of the frame — of the callee for
 * the argument spill slots at the bottom, as scan_stack credits them — when
 * that function has a context variable and does not hold that context yet.
 * Background and TODO are left out: from 1.21 they are &runtime.zerobase,
 * which any zero-size value shares.
 */
struct util_error *gr_cf_pointer_scan(struct cf_state *st, const struct gr_goroutine *g,
				       const size_t *from, const size_t *to, size_t nr)
{
	struct gr_ctx *c = st->c;
	uint64_t hi = g->stack_hi;
	if (!g->nframes || !g->frame_sp_off)
		return NULL;
	size_t first = st->nheld;
	const struct cf_frames *info;
	struct util_error *ierr = frame_info(st, g, &info);
	if (ierr)
		return ierr;
	if (!st->not_ctx && !(st->not_ctx = malloc(GR_CTX_HITS * sizeof(*st->not_ctx))))
		return &util_enomem;
	if (st->not_ctx_n != c->nctxs) {
		memset(st->not_ctx, 0, GR_CTX_HITS * sizeof(*st->not_ctx));
		st->not_ctx_n = c->nctxs;
	}
	uint64_t img_lo = 0;
	size_t img_len = 0;
	const unsigned char *img = NULL;
	bool img_read = false;
	for (size_t fi = 0; fi < g->nframes; fi++) {
		if (g->frames[fi].inlined)
			continue;
		size_t nx = fi + 1;
		while (nx < g->nframes && g->frames[nx].inlined)
			nx++;
		uint64_t lo = gr_frame_sp(g, fi) & ~7ULL, end = nx < g->nframes ? gr_frame_sp(g, nx) : hi;
		if (end <= lo || lo < (gr_frame_sp(g, 0) & ~7ULL) || end > hi)
			continue;
		// A frame DWARF already gave its contexts (pass 1) is done: other
		// context addresses in it are dead slots of earlier calls (debug
		// builds' big frames keep many; the diag corpus's live-select
		// look-alike "held" the deep chain's canceled context that way).
		bool self = info->self[fi] &&
			    !dwarf_at(st, from[0], to[0], (int32_t)fi);
		bool callee = callee_frame(info, g, fi, lo) != fi &&
			      !dwarf_at(st, from[0], to[0], info->callee[fi]);
		if (!self && !callee)
			continue;
		if (!self && end > lo + 64)
			end = lo + 64;
		if (end - lo > GR_CF_MAX_SCAN)
			end = lo + GR_CF_MAX_SCAN;
		size_t n = (size_t)(end - lo);
		const unsigned char *stack;
		if (!img_read) { // for the first frame that needs it
			img = gr_cf_stack_image(st, g, &img_lo, &img_len);
			img_read = true;
		}
		if (img && lo >= img_lo && lo - img_lo <= img_len && n <= img_len - (lo - img_lo))
			stack = img + (lo - img_lo); // the frame, out of the stack read whole
		else if (gr_cf_stack_read(st, g, lo, st->stack, n))
			stack = st->stack;
		else
			continue;
		for (size_t off = 0; off + 8 <= n; off += 8) {
			uint64_t w, idx;
			memcpy(&w, stack + off, 8);
			// Words off the few pages that hold contexts (frame pointers,
			// other heap pointers) are turned away by a bitmap of pages
			// that stays in the cache, before the big map of contexts.
			if (w < st->ctx_lo || w > st->ctx_hi)
				continue;
			if (w >= st->win_lo && w <= st->win_hi
				    ? !(st->ctx_pages[(w - st->win_lo) >> 18] >> (((w - st->win_lo) >> 12) % 64) & 1)
				    : !far_page(st, w >> 12))
				continue;
			// Most words left are other objects on those pages, met again
			// and again down a debug build's stack: a miss is remembered.
			uint64_t *no = &st->not_ctx[((w >> 3) ^ (w >> 15)) & (GR_CTX_HITS - 1)];
			if (w == *no)
				continue;
			if (!gr_ctx_index(c, w, &idx) || idx >= c->nctxs) {
				*no = w;
				continue;
			}
			uint8_t kind = c->ctxs[idx].kind;
			if (kind == GR_CTXK_BACKGROUND || kind == GR_CTXK_TODO)
				continue;
			size_t depth = callee_frame(info, g, fi, lo + off);
			if (depth == fi && !self)
				continue;
			if (held_in(st, from, to, nr, first, w, (int32_t)depth))
				continue;
			enum gr_live live;
			struct util_error *err = gr_cf_live(st, g, lo + off, &live);
			if (!err && live != GR_LIVE_DEAD)
				err = gr_cf_hold(st, g, (int32_t)depth, NULL, w, false, live);
			if (err)
				return err;
		}
	}
	return NULL;
}

struct util_error *gr_cf_static_itabs(struct cf_state *st)
{
	struct util_error *err = collect_scan_words(st);
	struct gr_ctx *c = st->c;
	// Every type with a context.Context itab implements it: user types too.
	for (size_t i = 0; i < c->itabs.cap && !err; i++)
		if (c->itabs.keys[i] != ~0ULL && c->itabs.vals[i])
			err = util_u64map_put(&st->impl, c->itabs.vals[i], 1);
	return err;
}

struct util_error *gr_cf_scan_words(struct cf_state *st)
{
	return learn_itabs(st);
}
