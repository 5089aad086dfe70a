// SPDX-License-Identifier: Apache-2.0
// ctxfind.c: find the contexts each goroutine's frames hold. First the
// variables DWARF locates at the frame's pc (a context.Context, a *context.X,
// a struct or *struct with a context.Context field: "r.ctx"), planned once per
// distinct stack; then, in the frames where no variable gave one (optimized
// code keeps ctx in registers), a scan of the live stack for the words that
// start a context interface value — the itab of (context type,
// context.Context) or a context type's descriptor — each candidate validated
// by decoding it.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "goruntime/ctx.h"
#include "goruntime/waits.h"

enum {
	MAX_READS_PER_STACK = 256,
	MAX_MEMBERS = 64,
	RELEASE_EVERY = 1024,     /* goroutines between core_release_pages */
};

/* ---- Classifying variable types ------------------------------------------ */

const char *const gr_ctx_types[GR_NCTX_TYPES] = {
	"*context.cancelCtx", "*context.timerCtx", "*context.valueCtx", "*context.emptyCtx",
	"context.backgroundCtx", "context.todoCtx", "context.withoutCancelCtx",
	"*context.afterFuncCtx", "*context.stopCtx",
};

static bool is_ctx_iface(struct dw_binary *b, uint64_t die)
{
	const char *n = dw_type_die_name(b, die);
	return n && strcmp(n, "context.Context") == 0;
}

static void struct_fields(struct cf_state *st, uint64_t sd, struct cf_class *cl)
{
	struct dw_struct_member ms[MAX_MEMBERS];
	size_t n = dw_struct_members(st->r->bin, sd, ms, MAX_MEMBERS);
	for (size_t i = 0; i < n && cl->nfields < GR_CF_MAX_FIELDS; i++) {
		if (!is_ctx_iface(st->r->bin, ms[i].type_die))
			continue;
		cl->field_off[cl->nfields] = ms[i].offset;
		cl->field_name[cl->nfields++] = gr_intern(st->r->snap, ms[i].name);
	}
}

struct util_error *gr_cf_classify(struct cf_state *st, uint64_t die, const struct cf_class **ret)
{
	uint64_t v;
	*ret = NULL;
	if (!die)
		return NULL;
	if (util_u64map_get(&st->classes, die, &v)) {
		*ret = &st->cls[v];
		return NULL;
	}
	struct util_error *err = util_grow((void **)&st->cls, st->ncls, &st->cls_cap, sizeof(*st->cls), 16);
	if (err)
		return err;
	struct cf_class cl = {0};
	struct dw_binary *b = st->r->bin;
	const char *name = dw_type_die_name(b, die);
	uint64_t sd;
	if (name && strcmp(name, "context.Context") == 0) {
		cl.kind = CL_IFACE;
	} else if (name && strncmp(name, "*context.", 9) == 0) {
		for (size_t i = 0; i < GR_NCTX_TYPES; i++) {
			if (strcmp(name, gr_ctx_types[i]) != 0)
				continue;
			uint64_t type = gr_type_addr(st->r, name);
			if (type) {
				cl.kind = CL_PTRCTX;
				cl.type = type;
			}
		}
	} else if ((cl.type = gr_cf_user_ctx_type(st, name))) {
		// A pointer to a user-defined type that implements context.Context.
		cl.kind = CL_PTRCTX;
	} else if (name && strncmp(name, "context.", 8) == 0) {
		// context's own structs: their Context fields are read as contexts anyway
	} else if (dw_type_is_struct(b, die, &sd)) {
		struct_fields(st, sd, &cl);
		cl.kind = cl.nfields ? CL_STRUCT : CL_NONE;
	} else if (dw_type_is_pointer_to_struct(b, die, &sd)) {
		struct_fields(st, sd, &cl);
		cl.kind = cl.nfields ? CL_PTRSTRUCT : CL_NONE;
	}
	if (cl.kind == CL_NONE || cl.kind == CL_PTRSTRUCT)
		cl.walk = gr_cr_walkable(st, die);
	// gr_cr_walkable may have classified other types: the vector may have moved.
	err = util_grow((void **)&st->cls, st->ncls, &st->cls_cap, sizeof(*st->cls), 16);
	if (err)
		return err;
	st->cls[st->ncls] = cl;
	err = util_u64map_put(&st->classes, die, st->ncls);
	if (!err)
		*ret = &st->cls[st->ncls++];
	return err;
}

/* ---- Per-stack plans ------------------------------------------------------ */

static struct util_error *push(struct cf_plan *p, struct cf_read rd)
{
	if (p->n >= MAX_READS_PER_STACK)
		return NULL;
	struct util_error *err = util_grow((void **)&p->reads, p->n, &p->cap, sizeof(*p->reads), 16);
	if (!err)
		p->reads[p->n++] = rd;
	return err;
}

static const char *dotted(struct cf_state *st, const char *a, const char *b)
{
	char buf[256];
	snprintf(buf, sizeof(buf), "%s.%s", a, b);
	return gr_intern(st->r->snap, buf);
}

static struct util_error *plan_var(struct cf_state *st, struct cf_plan *plan, uint32_t fi,
				   bool innermost, int64_t cfa, const struct dw_var *v,
				   const struct dw_var_loc *loc, const struct cf_class *cl)
{
	int64_t a, b;
	struct cf_read rd = {.frame = fi, .innermost = innermost};
	const char *name = v->name[0] ? v->name : "?";
	switch (cl->kind) {
	case CL_IFACE:
		if (!gr_frame_var_word(loc, 0, &a) || !gr_frame_var_word(loc, 8, &b))
			return NULL;
		rd.mode = RD_IFACE, rd.off = cfa + a, rd.off2 = cfa + b;
		rd.name = gr_intern(st->r->snap, name);
		return push(plan, rd);
	case CL_PTRCTX:
		if (!gr_frame_var_word(loc, 0, &a))
			return NULL;
		rd.mode = RD_PTRCTX, rd.off = cfa + a, rd.type = cl->type;
		rd.name = gr_intern(st->r->snap, name);
		return push(plan, rd);
	case CL_STRUCT:
		for (size_t k = 0; k < cl->nfields; k++) {
			if (!gr_frame_var_word(loc, cl->field_off[k], &a) || !gr_frame_var_word(loc, cl->field_off[k] + 8, &b))
				continue;
			rd.mode = RD_IFACE, rd.off = cfa + a, rd.off2 = cfa + b;
			rd.name = dotted(st, name, cl->field_name[k]);
			struct util_error *err = push(plan, rd);
			if (err)
				return err;
		}
		return NULL;
	case CL_PTRSTRUCT:
		if (!gr_frame_var_word(loc, 0, &a))
			return NULL;
		for (size_t k = 0; k < cl->nfields; k++) {
			rd.mode = RD_PTRFIELD, rd.off = cfa + a, rd.field = cl->field_off[k];
			rd.name = dotted(st, name, cl->field_name[k]);
			struct util_error *err = push(plan, rd);
			if (err)
				return err;
		}
		return NULL;
	case CL_NONE:
		break;
	}
	return NULL;
}

/* A pointer, map or chan variable that may lead to contexts: a root of ctxroots.c's walk. */
static struct util_error *plan_walk(struct cf_plan *plan, uint32_t fi, bool innermost,
				    int64_t cfa, const struct dw_var *v, const struct dw_var_loc *loc)
{
	int64_t a;
	if (!gr_frame_var_word(loc, 0, &a))
		return NULL;
	struct cf_read rd = {.frame = fi, .innermost = innermost, .mode = RD_WALK,
			     .off = cfa + a, .type = v->type_die};
	return push(plan, rd);
}

struct ctx_plan {
	struct cf_state *st;
	struct cf_plan *plan;
};

static struct util_error *want_ctx(void *arg, const struct dw_func_vars *fv, const struct dw_var *v,
				   bool *yes)
{
	const struct cf_class *cl;
	struct util_error *err = gr_cf_classify(((struct ctx_plan *)arg)->st, v->type_die, &cl);
	*yes = !err && cl && (cl->kind != CL_NONE || cl->walk);
	return err;
}

static struct util_error *plan_ctx(void *arg, const struct gr_frame_var *x)
{
	struct ctx_plan *cp = arg;
	const struct cf_class *cl;
	struct util_error *err = gr_cf_classify(cp->st, x->var->type_die, &cl); // cached
	if (err)
		return err;
	err = plan_var(cp->st, cp->plan, (uint32_t)x->frame, x->innermost, x->cfa_off, x->var,
		       &x->loc, cl);
	if (!err && cl->walk)
		err = plan_walk(cp->plan, (uint32_t)x->frame, x->innermost, x->cfa_off, x->var,
				&x->loc);
	return err;
}

/* The reads for one distinct stack. */
static struct util_error *make_plan(void *arg, const struct gr_goroutine *g, void *value)
{
	struct ctx_plan cp = {arg, value};
	return gr_frame_vars_each(cp.st->r, g, want_ctx, plan_ctx, &cp);
}

static void free_plan(void *p)
{
	free(((struct cf_plan *)p)->reads);
	free(p);
}

static void free_frames(void *p)
{
	struct cf_frames *fi = p;
	free(fi->self);
	free(fi->callee);
	free(fi->args);
	free(fi);
}

/* ---- Holdings ------------------------------------------------------------- */

bool gr_cf_held_already(struct cf_state *st, size_t first, uint64_t ctx, int32_t depth)
{
	for (size_t i = first; i < st->nheld; i++)
		if (st->held[i].ctx_addr == ctx && st->held[i].frame_depth == depth)
			return true;
	return false;
}

struct util_error *gr_cf_hold(struct cf_state *st, const struct gr_goroutine *g, int32_t depth,
			       const char *name, uint64_t ctx, bool dwarf, enum gr_live live)
{
	if (st->nheld >= UINT32_MAX) // gr_read_contexts's ranges of them are 32-bit
		return &util_enomem;
	struct util_error *err = util_grow_mapped((void **)&st->held, st->nheld, &st->held_cap, sizeof(*st->held),
						  4096);
	if (err)
		return err;
	bool yes = live == GR_LIVE_YES;
	st->held[st->nheld++] = (struct gr_goroutine_context){
		.goid = g->goid, .frame_depth = depth, .var_name = name, .ctx_addr = ctx,
		.found_by = dwarf ? "dwarf" : "stack-scan",
		.evidence = dwarf ? (yes ? "dwarf-live" : "dwarf-unverified")
				  : (yes ? "stack-scan-live" : "stack-scan-unverified")};
	if (dwarf)
		st->ndwarf++;
	else
		st->nscan++;
	gr_cr_found_frame(st, ctx);
	return NULL;
}

/* The marking of stack objects (gr_stack_live_word) reads the stack word by word. */
static bool live_read(void *arg, const struct gr_goroutine *g, uint64_t addr, void *buf, size_t len)
{
	struct cf_state *st = arg;
	uint64_t lo;
	size_t n;
	const unsigned char *img = gr_cf_stack_image(st, g, &lo, &n);
	// A runtime.g on its own stack (corrupt) is read apart (gr_g_word).
	bool g_inside = g->g_addr < lo + n && g->g_addr + 65536 > lo;
	if (img && !g_inside && addr >= lo && addr - lo <= n && len <= n - (addr - lo)) {
		memcpy(buf, img + (addr - lo), len);
		return true;
	}
	return gr_cf_stack_read(arg, g, addr, buf, len);
}

/*
 * The passes ask about some 40 words of each stack (4.4 million on ctxgen's
 * core), and gr_stack_live_word goes through every frame for each: its
 * answers for the whole stack are worked out once per goroutine instead.
 */
static struct util_error *live_table(struct cf_state *st, const struct gr_goroutine *g)
{
	const struct gr_stack_live *l = &st->live;
	st->live_g = g;
	st->live_goid = g->goid;
	st->live_lo = l->lo;
	st->live_n = 0;
	if (!l->nframes || l->lo >= l->hi)
		return NULL; // nothing described: gr_stack_live_word's loops are empty
	size_t n = (size_t)((l->hi - l->lo) / 8);
	if (n > GR_CF_MAX_SCAN / 8)
		n = GR_CF_MAX_SCAN / 8;
	struct util_error *err = util_grow((void **)&st->live_tab, n ? n - 1 : 0, &st->live_cap, 1, 4096);
	if (err)
		return err;
	gr_stack_live_table(l, l->lo, n, st->live_tab);
	st->live_n = n;
	return NULL;
}

struct util_error *gr_cf_live(struct cf_state *st, const struct gr_goroutine *g, uint64_t addr,
			      enum gr_live *ret)
{
	*ret = GR_LIVE_UNVERIFIED;
	if (!st->live.m) {
		struct gr_stackmaps *m;
		struct util_error *err = gr_frame_maps(st->r, &m);
		if (err)
			return err;
		gr_stack_live_init(&st->live, m, live_read, st);
	}
	struct util_error *err = gr_stack_live_of(&st->live, g, !gr_goroutine_running(st->r, g));
	if (!err && (st->live_g != g || st->live_goid != g->goid))
		err = live_table(st, g);
	if (err)
		return err;
	uint64_t j = (addr - st->live_lo) / 8;
	uint8_t f = addr >= st->live_lo && addr % 8 == st->live_lo % 8 && j < st->live_n
			    ? st->live_tab[j] : GR_LIVE_T_OBJECT;
	if (f & GR_LIVE_T_YES) {
		*ret = GR_LIVE_YES;
	} else if (f & GR_LIVE_T_OBJECT) { // or outside the table
		// Each pass comes back to the goroutine: its stack objects are
		// marked once (the marking reads the stack), not once a pass.
		size_t gi = (size_t)(g - st->r->snap->goroutines);
		bool mine = st->live_marks && g >= st->r->snap->goroutines && gi < st->r->snap->ngoroutines;
		if (mine)
			gr_stack_live_set_marks(&st->live, st->live_marks[gi]);
		*ret = gr_stack_live_word(&st->live, addr);
		if (mine && !st->live_marks[gi])
			st->live_marks[gi] = gr_stack_live_marks(&st->live);
	} else {
		*ret = f & GR_LIVE_T_UNVERIFIED || !(f & GR_LIVE_T_FRAME) ? GR_LIVE_UNVERIFIED : GR_LIVE_DEAD;
	}
	return NULL;
}

const unsigned char *gr_cf_stack_image(struct cf_state *st, const struct gr_goroutine *g,
				       uint64_t *lo, size_t *len)
{
	if (st->img_g != g || st->img_goid != g->goid) {
		st->img_g = g;
		st->img_goid = g->goid;
		st->img_len = 0;
		uint64_t hi = g->stack_hi;
		st->img_lo = g->nframes && g->frame_sp_off ? gr_frame_sp(g, 0) & ~7ULL : hi;
		if (hi > st->img_lo) {
			size_t n = hi - st->img_lo > GR_CF_MAX_SCAN ? GR_CF_MAX_SCAN : (size_t)(hi - st->img_lo);
			if (!st->img)
				st->img = malloc(GR_CF_MAX_SCAN);
			if (st->img && gr_cf_stack_read(st, g, st->img_lo, st->img, n))
				st->img_len = n;
		}
	}
	*lo = st->img_lo;
	*len = st->img_len;
	return st->img_len ? st->img : NULL;
}

/* LEN bytes at ADDR of G's stack: from its copy when it holds them, else from the core. */
bool gr_cf_stack_read(const struct cf_state *st, const struct gr_goroutine *g, uint64_t addr,
		       void *buf, size_t len)
{
	return gr_read_stack(st->r, g, addr, buf, len);
}

/* The contexts DWARF locates in G's frames; FRAME_HAS[i] set for frames with one. */
static struct util_error *dwarf_holdings(struct cf_state *st, const struct gr_goroutine *g,
					 size_t first, bool *frame_has)
{
	struct gr_reader *r = st->r;
	struct cf_plan *plan = NULL;
	struct util_error *err = gr_per_stack_get(&st->plans, g, sizeof(*plan), make_plan, st,
						  (void **)&plan);
	if (err || !plan->n)
		return err;
	bool parked = gr_goroutine_parked(r, g);
	for (size_t k = 0; k < plan->n; k++) {
		const struct cf_read *rd = &plan->reads[k];
		if (rd->frame >= g->nframes || (rd->innermost && !parked))
			continue;
		uint64_t sp = gr_frame_sp(g, rd->frame), w0, w1 = 0, type = 0, data = 0;
		bool vouched = true;
		// The word holding the pointer: an interface's data word (the
		// maps never count its itab word), else the pointer itself.
		enum gr_live live;
		err = gr_cf_live(st, g, sp + (uint64_t)(rd->mode == RD_IFACE ? rd->off2 : rd->off), &live);
		if (err)
			return err;
		if (live == GR_LIVE_DEAD) {
			r->dead_vars++;
			continue;
		}
		if (!gr_cf_stack_read(st, g, sp + (uint64_t)rd->off, &w0, 8))
			continue;
		if (rd->mode == RD_WALK) {
			err = gr_cr_frame_root(st, g, w0, rd->type);
			if (err)
				return err;
			continue;
		}
		switch (rd->mode) {
		case RD_IFACE:
			if (!w0 || !gr_cf_stack_read(st, g, sp + (uint64_t)rd->off2, &w1, 8))
				continue;
			type = gr_ctx_itab_type(st->c, w0);
			data = w1;
			break;
		case RD_PTRCTX:
			type = rd->type, data = w0;
			break;
		case RD_PTRFIELD: {
			uint64_t iface[2];
			if (!w0 || !gr_read_ok(r->core, w0 + rd->field, iface, 16) || !iface[0])
				continue;
			type = gr_ctx_itab_type(st->c, iface[0]);
			data = iface[1];
			break;
		}
		}
		if (!type || !data)
			continue;
		bool is;
		size_t idx;
		err = gr_ctx_add(st->c, type, data, vouched, &is, &idx);
		if (err)
			return err;
		if (!is)
			continue;
		// The same context in the same frame through two variables: once.
		bool dup = false;
		for (size_t i = first; i < st->nheld && !dup; i++)
			dup = st->held[i].ctx_addr == data && st->held[i].frame_depth == (int32_t)rd->frame &&
			      strcmp(st->held[i].var_name, rd->name) == 0;
		if (dup)
			continue;
		frame_has[rd->frame] = true;
		err = gr_cf_hold(st, g, (int32_t)rd->frame, rd->name, data, true, live);
		if (err)
			return err;
	}
	return NULL;
}

/* ---- Publishing ----------------------------------------------------------- */

static struct util_error *publish(struct cf_state *st)
{
	struct gr_snapshot *s = st->r->snap;
	struct gr_ctx *c = st->c;
	// Handed over, not copied: 400,000 contexts are 60 MB, and a copy
	// was that much more memory at the peak, and fresh pages to fault in.
	if (c->ctxs) {
		s->contexts = c->ctxs;
		s->contexts_mapped = c->ctxs_cap;
		c->ctxs = NULL;
		c->ctxs_cap = 0;
	}
	if (c->strs.v) {
		s->context_strings = gr_own(s, c->strs.v) ? c->strs : (struct gr_strings){.failed = true};
		c->strs = (struct gr_strings){0};
	}
	s->context_children = gr_arena_copy(s, c->children, c->nchildren, sizeof(*c->children));
	if (st->held) // else already in the arena
		s->goroutine_contexts = gr_arena_copy(s, st->held, st->nheld, sizeof(*st->held));
	if ((c->nctxs && !s->contexts) || (c->nchildren && !s->context_children) ||
	    (st->nheld && !s->goroutine_contexts) || s->context_strings.failed || c->strs.failed)
		return &util_enomem;
	s->ncontexts = c->nctxs;
	s->ncontext_children = c->nchildren;
	s->ngoroutine_contexts = st->nheld;
	return NULL;
}

/*
 * Which pages hold a context, for pass 3, which asks it of every word of
 * every stack (a map lookup each was most of that pass): a bitmap of the
 * pages within 2 GiB of a middle context, where the heap's are, and a
 * sorted array of the pages of the few elsewhere (context.Background's, in
 * the data). Not a map: the words between the two (pointers to the data,
 * itabs) asked it 64,000 times on ctxgen's core, a cache miss each. The
 * middle is the median of a sample, not of all: any window gives the same
 * pages, and sorting every address took a heap block of them and qsort's
 * scratch as large (20 MB at 300,000 goroutines), at the pass's peak.
 */
static struct util_error *context_pages(struct cf_state *st)
{
	enum { SAMPLE = 1025 };
	const struct gr_ctx *c = st->c;
	size_t n = c->nctxs;
	st->ctx_lo = UINT64_MAX;
	st->ctx_hi = 0;
	if (!n)
		return NULL;
	uint64_t sample[SAMPLE];
	size_t ns = n < SAMPLE ? n : SAMPLE;
	for (size_t i = 0; i < ns; i++)
		sample[i] = c->ctxs[i * (n / ns)].addr;
	qsort(sample, ns, sizeof(*sample), gr_cmp_u64);
	uint64_t mid = sample[ns / 2];
	for (size_t i = 0; i < n; i++) {
		uint64_t a = c->ctxs[i].addr;
		st->ctx_lo = a < st->ctx_lo ? a : st->ctx_lo;
		st->ctx_hi = a > st->ctx_hi ? a : st->ctx_hi;
	}
	const uint64_t half = (uint64_t)2 << 30;
	st->win_lo = (mid > half ? mid - half : 0) & ~(uint64_t)4095;
	st->win_hi = mid < UINT64_MAX - half ? mid + half : UINT64_MAX;
	st->ctx_pages = calloc(((st->win_hi - st->win_lo) >> 12) / 64 + 1, sizeof(uint64_t));
	struct util_error *err = st->ctx_pages ? NULL : &util_enomem;
	uint64_t *far = NULL;
	size_t nfar = 0, far_cap = 0;
	for (size_t i = 0; i < n && !err; i++) {
		uint64_t a = c->ctxs[i].addr;
		if (a >= st->win_lo && a <= st->win_hi) {
			uint64_t pg = (a - st->win_lo) >> 12;
			st->ctx_pages[pg / 64] |= UINT64_C(1) << (pg % 64);
		} else if (!(err = util_grow((void **)&far, nfar, &far_cap, sizeof(*far), 16))) {
			far[nfar++] = a >> 12;
		}
	}
	if (!err && nfar) {
		qsort(far, nfar, sizeof(*far), gr_cmp_u64);
		size_t k = 0;
		for (size_t i = 0; i < nfar; i++)
			if (!k || far[k - 1] != far[i])
				far[k++] = far[i];
		st->ctx_pages_far = far;
		st->nctx_pages_far = k;
		return NULL;
	}
	free(far);
	return err;
}

struct util_error *gr_read_contexts(struct gr_reader *r)
{
	struct gr_snapshot *s = r->snap;
	struct cf_state st = {.r = r};
	util_u64map_init(&st.classes);
	util_u64map_init(&st.scan_words);
	util_u64map_init(&st.takes);
	util_u64map_init(&st.mentions);
	util_u64map_init(&st.impl);
	// Each goroutine's holdings of each pass, as ranges of st.held: 32-bit
	// (gr_cf_hold stops short of more), 6 MB less at 300,000 goroutines.
	uint32_t *firsts = NULL, *from2, *to2, *from3, *to3;
	bool *frame_has = NULL;
	size_t max_frames = 1;
	struct util_error *err = r->ctx ? NULL : gr_ctx_init(r);
	if (!err)
		err = gr_per_stack_init(&st.plans, s);
	if (!err)
		err = gr_per_stack_init(&st.frame_info, s);
	if (err)
		goto out;
	st.c = r->ctx;
	if (!st.c->ok && !dw_has_type(r->bin, "context.cancelCtx"))
		goto out; // the program does not use contexts
	err = gr_cf_static_itabs(&st);
	if (!err)
		err = gr_cr_init(&st);
	if (err)
		goto out;
	for (size_t gi = 0; gi < s->ngoroutines; gi++)
		if (s->goroutines[gi].nframes > max_frames)
			max_frames = s->goroutines[gi].nframes;
	firsts = malloc((s->ngoroutines + 1) * sizeof(*firsts) * 5);
	st.live_marks = calloc(s->ngoroutines + 1, sizeof(*st.live_marks));
	frame_has = malloc(max_frames);
	st.stack = malloc(GR_CF_MAX_SCAN);
	if (!firsts || !frame_has || !st.stack || !st.live_marks) {
		err = &util_enomem;
		goto out;
	}
	from2 = firsts + s->ngoroutines + 1;
	to2 = from2 + s->ngoroutines + 1;
	from3 = to2 + s->ngoroutines + 1;
	to3 = from3 + s->ngoroutines + 1;
	// Pass 1: variables DWARF locates.
	for (size_t gi = 0; gi < s->ngoroutines && !err; gi++) {
		const struct gr_goroutine *g = &s->goroutines[gi];
		firsts[gi] = (uint32_t)st.nheld;
		if (gi % RELEASE_EVERY == RELEASE_EVERY - 1)
			core_release_pages(r->core);
		if (!g->nframes || !g->frame_sp_off)
			continue;
		memset(frame_has, 0, g->nframes);
		err = dwarf_holdings(&st, g, st.nheld, frame_has);
	}
	firsts[s->ngoroutines] = (uint32_t)st.nheld;
	// The children of every context found, before anything asks which are known.
	if (!err)
		err = gr_ctx_walk(st.c);
	if (!err)
		err = gr_cf_scan_words(&st);
	st.scan_lo = UINT64_MAX;
	for (size_t i = 0; i < st.scan_words.cap; i++) {
		uint64_t k = st.scan_words.keys[i];
		if (k == ~0ULL) // the map's empty slot
			continue;
		st.scan_lo = k < st.scan_lo ? k : st.scan_lo;
		st.scan_hi = k > st.scan_hi ? k : st.scan_hi;
	}
	// Pass 2: the stack scan, in frames without a DWARF holding.
	size_t ng = s->ngoroutines;
	for (size_t gi = 0; gi < ng; gi++)
		from2[gi] = to2[gi] = from3[gi] = to3[gi] = (uint32_t)st.nheld;
	for (size_t gi = 0; gi < ng && !err && st.scan_words.count; gi++) {
		const struct gr_goroutine *g = &s->goroutines[gi];
		from2[gi] = to2[gi] = (uint32_t)st.nheld;
		if (!g->nframes || !g->frame_sp_off)
			continue;
		if (gi % RELEASE_EVERY == RELEASE_EVERY - 1)
			core_release_pages(r->core);
		memset(frame_has, 0, g->nframes);
		for (size_t i = firsts[gi]; i < firsts[gi + 1]; i++)
			if (st.held[i].frame_depth >= 0 && (size_t)st.held[i].frame_depth < g->nframes)
				frame_has[st.held[i].frame_depth] = true;
		size_t first = st.nheld;
		err = gr_cf_scan_stack(&st, g, first, frame_has);
		// Not twice for one goroutine: drop scan hits DWARF already gave.
		size_t o = first;
		for (size_t i = first; i < st.nheld && !err; i++) {
			bool dup = false;
			for (size_t k = firsts[gi]; k < firsts[gi + 1] && !dup; k++)
				dup = st.held[k].ctx_addr == st.held[i].ctx_addr;
			if (!dup)
				st.held[o++] = st.held[i];
			else
				st.nscan--;
		}
		if (!err)
			st.nheld = o;
		to2[gi] = (uint32_t)st.nheld;
	}
	if (!err)
		err = gr_ctx_walk(st.c);
	// Pass 3: bare pointers to the contexts the passes above validated.
	if (!err)
		err = context_pages(&st);
	for (size_t gi = 0; gi < ng && !err && st.c->nctxs; gi++) {
		const struct gr_goroutine *g = &s->goroutines[gi];
		from3[gi] = to3[gi] = (uint32_t)st.nheld;
		if (!g->nframes || !g->frame_sp_off)
			continue;
		if (gi % RELEASE_EVERY == RELEASE_EVERY - 1)
			core_release_pages(r->core);
		size_t rf[2] = {firsts[gi], from2[gi]}, rt[2] = {firsts[gi + 1], to2[gi]};
		err = gr_cf_pointer_scan(&st, g, rf, rt, 2);
		to3[gi] = (uint32_t)st.nheld;
	}
	// Pass 3 was the stack copies' last reader (snapshot.c): they go before
	// pass 4 decodes more contexts, at the pass's peak (56 of 446 MiB at
	// 300,000 goroutines).
	gr_stacks_deinit(&r->stacks_copy);
	// Pass 4: the contexts no frame holds, from every root (ctxroots.c).
	if (!err)
		err = gr_cr_walk(&st);
	if (!err)
		err = gr_ctx_walk(st.c);
	if (!err)
		gr_cr_finish(&st);
	// Holdings sorted by goroutine (each pass appended its own), straight
	// into the snapshot's arena: half a million of them, copied once.
	if (!err && st.nheld > firsts[ng]) {
		struct gr_goroutine_context *sorted = util_arena_alloc(&s->arena, st.nheld * sizeof(*sorted));
		if (!sorted) {
			err = &util_enomem;
			goto out;
		}
		size_t o = 0;
		for (size_t gi = 0; gi < ng; gi++) {
			for (size_t i = firsts[gi]; i < firsts[gi + 1]; i++)
				sorted[o++] = st.held[i];
			for (size_t i = from2[gi]; i < to2[gi]; i++)
				sorted[o++] = st.held[i];
			for (size_t i = from3[gi]; i < to3[gi]; i++)
				sorted[o++] = st.held[i];
		}
		util_unmap_array(st.held, st.held_cap, sizeof(*st.held));
		st.held = NULL;
		st.nheld = o;
		s->goroutine_contexts = sorted;
	}
	if (!err)
		err = publish(&st);
	if (!err)
		gr_ctx_drop_lookups(st.c);
	if (!err)
		err = gr_cancel_sets(s->contexts, s->ncontexts, &s->context_strings, &s->arena, &s->cancel_sets);
	if (!err && s->cancel_sets.cut)
		gr_diag(s, "warning", "context",
			"the contexts below canceled ones were cut short after %zu rows",
			s->cancel_sets.nbelow);
	if (!err && st.nscan)
		gr_diag(s, "info", "context",
			"%zu context holdings from DWARF variables, %zu from a stack scan",
			st.ndwarf, st.nscan);
out:
	gr_cr_destroy(&st);
	gr_per_stack_deinit(&st.plans, free_plan);
	gr_per_stack_deinit(&st.frame_info, free_frames);
	gr_stack_live_deinit(&st.live);
	free(st.live_tab);
	free(st.img);
	free(st.live_marks);
	free(st.not_ctx);
	free(st.cls);
	util_unmap_array(st.held, st.held_cap, sizeof(*st.held));
	free(st.stack);
	free(firsts);
	free(frame_has);
	util_u64map_deinit(&st.classes);
	util_u64map_deinit(&st.scan_words);
	util_u64map_deinit(&st.takes);
	util_u64map_deinit(&st.mentions);
	free(st.ctx_pages);
	free(st.ctx_pages_far);
	util_u64map_deinit(&st.impl);
	gr_ctx_free(r);
	return err;
}
