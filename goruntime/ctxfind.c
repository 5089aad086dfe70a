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
	MAX_FIELDS = 2,
	MAX_MEMBERS = 64,
	MAX_SCAN = GR_STACK_COPY_MAX, /* bytes of one goroutine's stack scanned */
	RELEASE_EVERY = 1024,     /* goroutines between core_release_pages */
};

enum rd_mode { RD_IFACE, RD_PTRCTX, RD_PTRFIELD };

/* One context to read in a goroutine's frame (offsets from frame_sp[frame]). */
struct cf_read {
	uint32_t frame;
	bool innermost;           /* only for a parked goroutine */
	uint8_t mode;
	int64_t off, off2;        /* IFACE: itab and data words; PTR*: the pointer */
	uint64_t field;           /* PTRFIELD: the iface's offset in the pointee */
	uint64_t type;            /* PTRCTX: runtime type of the pointer type */
	const char *name;         /* "ctx", "r.ctx" */
};

struct cf_plan {
	struct cf_read *reads;
	size_t n, cap;
};

/* What a DWARF type holds, as contexts (cached per type DIE). */
struct cf_class {
	enum { CL_NONE, CL_IFACE, CL_PTRCTX, CL_STRUCT, CL_PTRSTRUCT } kind;
	uint64_t type;            /* CL_PTRCTX */
	size_t nfields;
	uint64_t field_off[MAX_FIELDS];
	const char *field_name[MAX_FIELDS];
};

/* Per distinct stack (its frames array): what the scans ask of each frame. */
struct cf_frames {
	bool *self;               /* not runtime, and its function has a context variable */
	int32_t *callee;          /* the callee whose spilled arguments start the frame, or -1 */
	uint64_t *args;           /* bytes of those arguments */
};

struct cf_state {
	struct gr_reader *r;
	struct gr_ctx *c;
	struct util_u64map plans;     /* frames pointer → struct cf_plan * */
	struct cf_plan **all;
	size_t nall, all_cap;
	struct util_u64map classes;   /* type DIE → index+1 into cls */
	struct cf_class *cls;
	size_t ncls, cls_cap;
	struct util_u64map scan_words; /* itab or type word → 1 (itab) or 2 (type) */
	uint64_t scan_lo, scan_hi;    /* least and greatest key of scan_words */
	uint64_t ctx_lo, ctx_hi;      /* least and greatest context address (pass 3) */
	struct util_u64map ctx_pages; /* 4 KiB pages holding a context → 1 (pass 3) */
	struct util_u64map takes;     /* function entry → takes a context parameter */
	struct util_u64map mentions;  /* function entry → has any context variable */
	struct util_u64map frame_info; /* frames pointer → struct cf_frames * */
	struct cf_frames **infos;
	size_t ninfos, infos_cap;
	struct gr_goroutine_context *held;
	size_t nheld, held_cap;
	size_t ndwarf, nscan;
	unsigned char *stack;         /* MAX_SCAN bytes */
};

static struct util_error *grow(void **arr, size_t n, size_t *cap, size_t elem)
{
	if (n < *cap)
		return NULL;
	size_t ncap = *cap ? *cap * 2 : 16;
	void *p = realloc(*arr, ncap * elem);
	if (!p)
		return &util_enomem;
	*arr = p;
	*cap = ncap;
	return NULL;
}

/* ---- Classifying variable types ------------------------------------------ */

static const char *const ctx_types[] = {
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
	for (size_t i = 0; i < n && cl->nfields < MAX_FIELDS; i++) {
		if (!is_ctx_iface(st->r->bin, ms[i].type_die))
			continue;
		cl->field_off[cl->nfields] = ms[i].offset;
		cl->field_name[cl->nfields++] = gr_intern(st->r->snap, ms[i].name);
	}
}

static struct util_error *classify(struct cf_state *st, uint64_t die, const struct cf_class **ret)
{
	uint64_t v;
	*ret = NULL;
	if (!die)
		return NULL;
	if (util_u64map_get(&st->classes, die, &v)) {
		*ret = &st->cls[v];
		return NULL;
	}
	struct util_error *err = grow((void **)&st->cls, st->ncls, &st->cls_cap, sizeof(*st->cls));
	if (err)
		return err;
	struct cf_class cl = {0};
	struct dw_binary *b = st->r->bin;
	const char *name = dw_type_die_name(b, die);
	uint64_t sd;
	if (name && strcmp(name, "context.Context") == 0) {
		cl.kind = CL_IFACE;
	} else if (name && strncmp(name, "*context.", 9) == 0) {
		for (size_t i = 0; i < sizeof(ctx_types) / sizeof(ctx_types[0]); i++) {
			if (strcmp(name, ctx_types[i]) != 0)
				continue;
			uint64_t off;
			struct util_error *e = dw_type_runtime_offset(b, name, &off);
			if (!e && st->c->types_base) {
				cl.kind = CL_PTRCTX;
				cl.type = st->c->types_base + off;
			}
			util_error_destroy(e);
		}
	} else if (name && strncmp(name, "context.", 8) == 0) {
		// context's own structs: their Context fields are read as contexts anyway
	} else if (dw_type_is_struct(b, die, &sd)) {
		struct_fields(st, sd, &cl);
		cl.kind = cl.nfields ? CL_STRUCT : CL_NONE;
	} else if (dw_type_is_pointer_to_struct(b, die, &sd)) {
		struct_fields(st, sd, &cl);
		cl.kind = cl.nfields ? CL_PTRSTRUCT : CL_NONE;
	}
	st->cls[st->ncls] = cl;
	err = util_u64map_put(&st->classes, die, st->ncls);
	if (!err)
		*ret = &st->cls[st->ncls++];
	return err;
}

/* ---- Per-stack plans ------------------------------------------------------ */

/* The piece of LOC holding the 8 bytes at byte OFF of the value, as a CFA offset. */
static bool word_at(const struct dw_var_loc *loc, uint64_t off, int64_t *cfa_off)
{
	uint64_t at = 0;
	for (size_t i = 0; i < loc->npieces; i++) {
		const struct dw_var_piece *p = &loc->pieces[i];
		if (p->size == 0) {
			if (!p->available)
				return false;
			*cfa_off = p->cfa_offset + (int64_t)off;
			return true;
		}
		if (off >= at && off + 8 <= at + p->size) {
			if (!p->available)
				return false;
			*cfa_off = p->cfa_offset + (int64_t)(off - at);
			return true;
		}
		at += p->size;
	}
	return false;
}

static struct util_error *push(struct cf_plan *p, struct cf_read rd)
{
	if (p->n >= MAX_READS_PER_STACK)
		return NULL;
	struct util_error *err = grow((void **)&p->reads, p->n, &p->cap, sizeof(*p->reads));
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
		if (!word_at(loc, 0, &a) || !word_at(loc, 8, &b))
			return NULL;
		rd.mode = RD_IFACE, rd.off = cfa + a, rd.off2 = cfa + b;
		rd.name = gr_intern(st->r->snap, name);
		return push(plan, rd);
	case CL_PTRCTX:
		if (!word_at(loc, 0, &a))
			return NULL;
		rd.mode = RD_PTRCTX, rd.off = cfa + a, rd.type = cl->type;
		rd.name = gr_intern(st->r->snap, name);
		return push(plan, rd);
	case CL_STRUCT:
		for (size_t k = 0; k < cl->nfields; k++) {
			if (!word_at(loc, cl->field_off[k], &a) || !word_at(loc, cl->field_off[k] + 8, &b))
				continue;
			rd.mode = RD_IFACE, rd.off = cfa + a, rd.off2 = cfa + b;
			rd.name = dotted(st, name, cl->field_name[k]);
			struct util_error *err = push(plan, rd);
			if (err)
				return err;
		}
		return NULL;
	case CL_PTRSTRUCT:
		if (!word_at(loc, 0, &a))
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

struct ctx_plan {
	struct cf_state *st;
	struct cf_plan *plan;
};

static struct util_error *want_ctx(void *arg, const struct dw_func_vars *fv, const struct dw_var *v,
				   bool *yes)
{
	const struct cf_class *cl;
	struct util_error *err = classify(((struct ctx_plan *)arg)->st, v->type_die, &cl);
	*yes = !err && cl && cl->kind != CL_NONE;
	return err;
}

static struct util_error *plan_ctx(void *arg, const struct gr_frame_var *x)
{
	struct ctx_plan *cp = arg;
	const struct cf_class *cl;
	struct util_error *err = classify(cp->st, x->var->type_die, &cl); // cached
	if (err)
		return err;
	return plan_var(cp->st, cp->plan, (uint32_t)x->frame, x->innermost, x->cfa_off, x->var,
			&x->loc, cl);
}

static struct util_error *make_plan(struct cf_state *st, const struct gr_goroutine *g,
				    struct cf_plan *plan)
{
	struct ctx_plan cp = {st, plan};
	return gr_frame_vars_each(st->r, g, want_ctx, plan_ctx, &cp);
}

static struct util_error *get_plan(struct cf_state *st, const struct gr_goroutine *g,
				   const struct cf_plan **ret)
{
	uint64_t v;
	uint64_t key = (uint64_t)(uintptr_t)g->frames;
	if (util_u64map_get(&st->plans, key, &v)) {
		*ret = (const struct cf_plan *)(uintptr_t)v;
		return NULL;
	}
	struct cf_plan *plan = calloc(1, sizeof(*plan));
	if (!plan)
		return &util_enomem;
	struct util_error *err = grow((void **)&st->all, st->nall, &st->all_cap, sizeof(*st->all));
	if (err) {
		free(plan);
		return err;
	}
	st->all[st->nall++] = plan;
	err = make_plan(st, g, plan);
	if (!err)
		err = util_u64map_put(&st->plans, key, (uintptr_t)plan);
	*ret = plan;
	return err;
}

/* ---- Holdings ------------------------------------------------------------- */

static bool held_already(struct cf_state *st, size_t first, uint64_t ctx, int32_t depth)
{
	for (size_t i = first; i < st->nheld; i++)
		if (st->held[i].ctx_addr == ctx && st->held[i].frame_depth == depth)
			return true;
	return false;
}

static struct util_error *hold(struct cf_state *st, const struct gr_goroutine *g, int32_t depth,
			       const char *name, uint64_t ctx, bool dwarf)
{
	struct util_error *err = grow((void **)&st->held, st->nheld, &st->held_cap, sizeof(*st->held));
	if (err)
		return err;
	st->held[st->nheld++] = (struct gr_goroutine_context){
		.goid = g->goid, .frame_depth = depth, .var_name = name, .ctx_addr = ctx,
		.found_by = dwarf ? "dwarf" : "stack-scan"};
	if (dwarf)
		st->ndwarf++;
	else
		st->nscan++;
	return NULL;
}

/* LEN bytes at ADDR of G's stack: from its copy when it holds them, else from the core. */
static bool stack_read(const struct cf_state *st, const struct gr_goroutine *g, uint64_t addr,
		       void *buf, size_t len)
{
	const struct gr_reader *r = st->r;
	if (gr_stacks_read(&r->stacks_copy, (size_t)(g - r->snap->goroutines), addr, buf, len))
		return true;
	return gr_read_ok(r->core, addr, buf, len);
}

/* The contexts DWARF locates in G's frames; FRAME_HAS[i] set for frames with one. */
static struct util_error *dwarf_holdings(struct cf_state *st, const struct gr_goroutine *g,
					 size_t first, bool *frame_has)
{
	struct gr_reader *r = st->r;
	const struct cf_plan *plan;
	struct util_error *err = get_plan(st, g, &plan);
	if (err || !plan->n)
		return err;
	bool parked = gr_waits_is_parked(r, g);
	for (size_t k = 0; k < plan->n; k++) {
		const struct cf_read *rd = &plan->reads[k];
		if (rd->frame >= g->nframes || (rd->innermost && !parked))
			continue;
		uint64_t sp = g->frame_sp[rd->frame], w0, w1 = 0, type = 0, data = 0;
		bool vouched = true;
		if (!stack_read(st, g, sp + (uint64_t)rd->off, &w0, 8))
			continue;
		switch (rd->mode) {
		case RD_IFACE:
			if (!w0 || !stack_read(st, g, sp + (uint64_t)rd->off2, &w1, 8))
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
		err = hold(st, g, (int32_t)rd->frame, rd->name, data, true);
		if (err)
			return err;
	}
	return NULL;
}

/* The words that start a context interface value on a stack. */
static struct util_error *collect_scan_words(struct cf_state *st)
{
	struct gr_ctx *c = st->c;
	struct dw_binary *b = st->r->bin;
	struct util_error *err = NULL;
	char sym[128];
	for (size_t i = 0; i < sizeof(ctx_types) / sizeof(ctx_types[0]) && !err; i++) {
		uint64_t off, addr;
		struct util_error *e = dw_type_runtime_offset(b, ctx_types[i], &off);
		if (!e && c->types_base)
			err = util_u64map_put(&st->scan_words, c->types_base + off, 2);
		util_error_destroy(e);
		// Static itabs up to 1.26: go:itab.T,I (1.20+), go.itab.T,I (1.19).
		for (int k = 0; k < 2 && !err; k++) {
			snprintf(sym, sizeof(sym), "%s.%s,context.Context", k ? "go.itab" : "go:itab",
				 ctx_types[i]);
			e = dw_symbol(b, sym, &addr);
			if (!e && gr_ctx_itab_type(c, addr))
				err = util_u64map_put(&st->scan_words, addr, 1);
			util_error_destroy(e);
		}
	}
	// Up to 1.26: every static itab is listed in moduledata.itablinks.
	uint64_t md0, sz0, il = GR_ABSENT, links[2];
	struct util_error *e0 = dw_variable(b, "runtime.firstmoduledata", &md0, &sz0);
	if (!e0)
		util_error_destroy(dw_member_offset(b, "runtime.moduledata", "itablinks", &il));
	if (!e0 && il != GR_ABSENT && c->iface_ctx_type &&
	    gr_read_ok(st->r->core, md0 + il, links, 16) && links[1] < (1u << 22)) {
		uint64_t *tabs = malloc(links[1] * 8 + 8);
		if (!tabs) {
			util_error_destroy(e0);
			return &util_enomem;
		}
		if (gr_read_ok(st->r->core, links[0], tabs, links[1] * 8)) {
			for (uint64_t i = 0; i < links[1] && !err; i++) {
				uint64_t inter;
				if (gr_read_ok(st->r->core, tabs[i], &inter, 8) && inter == c->iface_ctx_type &&
				    gr_ctx_itab_type(c, tabs[i]))
					err = util_u64map_put(&st->scan_words, tabs[i], 1);
			}
		}
		free(tabs);
	}
	util_error_destroy(e0);
	// 1.27: itabs in the type data, moduledata.types + itaboffset, itabsize bytes.
	uint64_t md, size, io = GR_ABSENT, is = GR_ABSENT, ioff = 0, isz = 0;
	struct util_error *e = dw_variable(b, "runtime.firstmoduledata", &md, &size);
	if (!e && c->types_base && c->iface_ctx_type) {
		util_error_destroy(dw_member_offset(b, "runtime.moduledata", "itaboffset", &io));
		util_error_destroy(dw_member_offset(b, "runtime.moduledata", "itabsize", &is));
		if (io != GR_ABSENT && is != GR_ABSENT && gr_read_ok(st->r->core, md + io, &ioff, 8) &&
		    gr_read_ok(st->r->core, md + is, &isz, 8) && isz < (64u << 20)) {
			uint64_t p = c->types_base + ioff, end = p + isz;
			while (p + 32 <= end && !err) {
				uint64_t it[4], nm = 1;
				if (!gr_read_ok(st->r->core, p, it, 32))
					break;
				if (it[3] && !gr_read_ok(st->r->core, it[0] + 56 + 8, &nm, 8))
					break;
				if (it[0] == c->iface_ctx_type && it[3] && gr_ctx_itab_type(c, p))
					err = util_u64map_put(&st->scan_words, p, 1);
				if (!it[3] || nm == 0)
					p += 32;
				else if (nm > 4096)
					break;
				else
					p += 32 + 8 * (nm - 1);
			}
		}
	}
	util_error_destroy(e);
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
		err = classify(st, var->type_die, &cl);
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
static struct util_error *frame_info(struct cf_state *st, const struct gr_goroutine *g,
				     const struct cf_frames **ret)
{
	uint64_t key = (uint64_t)(uintptr_t)g->frames, v;
	if (util_u64map_get(&st->frame_info, key, &v)) {
		*ret = (const struct cf_frames *)(uintptr_t)v;
		return NULL;
	}
	struct util_error *err = grow((void **)&st->infos, st->ninfos, &st->infos_cap, sizeof(*st->infos));
	if (err)
		return err;
	size_t n = g->nframes ? g->nframes : 1;
	struct cf_frames *fi = calloc(1, sizeof(*fi));
	if (fi) {
		st->infos[st->ninfos++] = fi;
		fi->self = calloc(n, sizeof(*fi->self));
		fi->callee = calloc(n, sizeof(*fi->callee));
		fi->args = calloc(n, sizeof(*fi->args));
	}
	if (!fi || !fi->self || !fi->callee || !fi->args)
		return &util_enomem;
	for (size_t i = 0; i < g->nframes; i++) {
		fi->self[i] = strncmp(g->frames[i].func, "runtime.", 8) != 0 && ctx_vars(st, g, i, true);
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
				fi->args[i] = args;
			}
			break;
		}
	}
	*ret = fi;
	return util_u64map_put(&st->frame_info, key, (uintptr_t)fi);
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
	if (addr >= g->frame_sp[fi] + 64 || info->callee[fi] < 0 ||
	    addr >= g->frame_sp[fi] + info->args[fi])
		return fi;
	return (size_t)info->callee[fi];
}

/* Scan G's live stack in the frames without a DWARF holding. */
static struct util_error *scan_stack(struct cf_state *st, const struct gr_goroutine *g,
				     size_t first, const bool *frame_has)
{
	// stack.hi as read with the goroutine (the same bytes of its g).
	uint64_t hi = g->stack_hi;
	if (!g->nframes || !g->frame_sp)
		return NULL;
	uint64_t lo = g->frame_sp[0] & ~7ULL;
	if (hi <= lo)
		return NULL;
	if (hi - lo > MAX_SCAN)
		hi = lo + MAX_SCAN;
	size_t n = (size_t)(hi - lo);
	const struct cf_frames *info;
	struct util_error *ierr = frame_info(st, g, &info);
	if (ierr)
		return ierr;
	if (!stack_read(st, g, lo, st->stack, n))
		return NULL;
	const unsigned char *stack = st->stack;
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
			if (g->frame_sp[j] > addr)
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
		bool is;
		size_t idx;
		// An itab word says context.Context: a type outside package context is a user context.
		struct util_error *err = gr_ctx_add_found(st->c, type, data, v == 1, &is, &idx);
		if (err)
			return err;
		if (!is)
			continue;
		if (held_already(st, first, data, depth)) // one holding per frame
			continue;
		err = hold(st, g, depth, NULL, data, false);
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
static struct util_error *pointer_scan(struct cf_state *st, const struct gr_goroutine *g,
				       const size_t *from, const size_t *to, size_t nr)
{
	const struct gr_ctx *c = st->c;
	uint64_t hi = g->stack_hi;
	if (!g->nframes || !g->frame_sp)
		return NULL;
	size_t first = st->nheld;
	const struct cf_frames *info;
	struct util_error *ierr = frame_info(st, g, &info);
	if (ierr)
		return ierr;
	for (size_t fi = 0; fi < g->nframes; fi++) {
		if (g->frames[fi].inlined)
			continue;
		size_t nx = fi + 1;
		while (nx < g->nframes && g->frames[nx].inlined)
			nx++;
		uint64_t lo = g->frame_sp[fi] & ~7ULL, end = nx < g->nframes ? g->frame_sp[nx] : hi;
		if (end <= lo || lo < (g->frame_sp[0] & ~7ULL) || end > hi)
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
		if (end - lo > MAX_SCAN)
			end = lo + MAX_SCAN;
		size_t n = (size_t)(end - lo);
		if (!stack_read(st, g, lo, st->stack, n))
			continue;
		const unsigned char *stack = st->stack;
		for (size_t off = 0; off + 8 <= n; off += 8) {
			uint64_t w, idx;
			memcpy(&w, stack + off, 8);
			// Words off the few pages that hold contexts (frame pointers,
			// other heap pointers) are turned away by a small map that
			// stays in the cache, before the big map of contexts.
			if (w < st->ctx_lo || w > st->ctx_hi ||
			    !util_u64map_get(&st->ctx_pages, w >> 12, NULL) ||
			    !util_u64map_get(&c->by_addr, w, &idx) || idx >= c->nctxs)
				continue;
			const char *kind = c->ctxs[idx].kind;
			if (strcmp(kind, "background") == 0 || strcmp(kind, "todo") == 0)
				continue;
			size_t depth = callee_frame(info, g, fi, lo + off);
			if (depth == fi && !self)
				continue;
			if (held_in(st, from, to, nr, first, w, (int32_t)depth))
				continue;
			struct util_error *err = hold(st, g, (int32_t)depth, NULL, w, false);
			if (err)
				return err;
		}
	}
	return NULL;
}

/* ---- Publishing ----------------------------------------------------------- */

static void *to_arena(struct gr_snapshot *s, const void *v, size_t size)
{
	if (!size)
		return NULL;
	void *a = util_arena_alloc(&s->arena, size);
	if (a)
		memcpy(a, v, size);
	return a;
}

static struct util_error *publish(struct cf_state *st)
{
	struct gr_snapshot *s = st->r->snap;
	struct gr_ctx *c = st->c;
	s->contexts = to_arena(s, c->ctxs, c->nctxs * sizeof(*c->ctxs));
	s->context_children = to_arena(s, c->children, c->nchildren * sizeof(*c->children));
	if (st->held) // else already in the arena
		s->goroutine_contexts = to_arena(s, st->held, st->nheld * sizeof(*st->held));
	if ((c->nctxs && !s->contexts) || (c->nchildren && !s->context_children) ||
	    (st->nheld && !s->goroutine_contexts))
		return &util_enomem;
	s->ncontexts = c->nctxs;
	s->ncontext_children = c->nchildren;
	s->ngoroutine_contexts = st->nheld;
	return NULL;
}

struct util_error *gr_read_contexts(struct gr_reader *r)
{
	struct gr_snapshot *s = r->snap;
	struct cf_state st = {.r = r};
	util_u64map_init(&st.plans);
	util_u64map_init(&st.classes);
	util_u64map_init(&st.scan_words);
	util_u64map_init(&st.takes);
	util_u64map_init(&st.mentions);
	util_u64map_init(&st.frame_info);
	util_u64map_init(&st.ctx_pages);
	size_t *firsts = NULL, *from2, *to2, *from3, *to3;
	bool *frame_has = NULL;
	size_t max_frames = 1;
	struct util_error *err = r->ctx ? NULL : gr_ctx_init(r);
	if (err)
		goto out;
	st.c = r->ctx;
	if (!st.c->ok && !dw_has_type(r->bin, "context.cancelCtx"))
		goto out; // the program does not use contexts
	for (size_t gi = 0; gi < s->ngoroutines; gi++)
		if (s->goroutines[gi].nframes > max_frames)
			max_frames = s->goroutines[gi].nframes;
	firsts = malloc((s->ngoroutines + 1) * sizeof(*firsts) * 5);
	frame_has = malloc(max_frames);
	st.stack = malloc(MAX_SCAN);
	if (!firsts || !frame_has || !st.stack) {
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
		firsts[gi] = st.nheld;
		if (gi % RELEASE_EVERY == RELEASE_EVERY - 1)
			core_release_pages(r->core);
		if (!g->nframes || !g->frame_sp)
			continue;
		memset(frame_has, 0, g->nframes);
		err = dwarf_holdings(&st, g, st.nheld, frame_has);
	}
	firsts[s->ngoroutines] = st.nheld;
	// The children of every context found, before anything asks which are known.
	if (!err)
		err = gr_ctx_walk(st.c);
	if (!err)
		err = collect_scan_words(&st);
	if (!err)
		err = learn_itabs(&st);
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
		from2[gi] = to2[gi] = from3[gi] = to3[gi] = st.nheld;
	for (size_t gi = 0; gi < ng && !err && st.scan_words.count; gi++) {
		const struct gr_goroutine *g = &s->goroutines[gi];
		from2[gi] = to2[gi] = st.nheld;
		if (!g->nframes || !g->frame_sp)
			continue;
		if (gi % RELEASE_EVERY == RELEASE_EVERY - 1)
			core_release_pages(r->core);
		memset(frame_has, 0, g->nframes);
		for (size_t i = firsts[gi]; i < firsts[gi + 1]; i++)
			if (st.held[i].frame_depth >= 0 && (size_t)st.held[i].frame_depth < g->nframes)
				frame_has[st.held[i].frame_depth] = true;
		size_t first = st.nheld;
		err = scan_stack(&st, g, first, frame_has);
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
		to2[gi] = st.nheld;
	}
	if (!err)
		err = gr_ctx_walk(st.c);
	// Pass 3: bare pointers to the contexts the passes above validated.
	st.ctx_lo = UINT64_MAX;
	for (size_t i = 0; i < st.c->nctxs && !err; i++) {
		uint64_t a = st.c->ctxs[i].addr;
		st.ctx_lo = a < st.ctx_lo ? a : st.ctx_lo;
		st.ctx_hi = a > st.ctx_hi ? a : st.ctx_hi;
		err = util_u64map_put(&st.ctx_pages, a >> 12, 1);
	}
	for (size_t gi = 0; gi < ng && !err && st.c->nctxs; gi++) {
		const struct gr_goroutine *g = &s->goroutines[gi];
		from3[gi] = to3[gi] = st.nheld;
		if (!g->nframes || !g->frame_sp)
			continue;
		if (gi % RELEASE_EVERY == RELEASE_EVERY - 1)
			core_release_pages(r->core);
		size_t rf[2] = {firsts[gi], from2[gi]}, rt[2] = {firsts[gi + 1], to2[gi]};
		err = pointer_scan(&st, g, rf, rt, 2);
		to3[gi] = st.nheld;
	}
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
		free(st.held);
		st.held = NULL;
		st.nheld = o;
		s->goroutine_contexts = sorted;
	}
	if (!err)
		err = publish(&st);
	if (!err && st.nscan)
		gr_diag(s, "info", "context",
			"%zu context holdings from DWARF variables, %zu from a stack scan",
			st.ndwarf, st.nscan);
out:
	for (size_t i = 0; i < st.nall; i++) {
		free(st.all[i]->reads);
		free(st.all[i]);
	}
	free(st.all);
	free(st.cls);
	free(st.held);
	free(st.stack);
	free(firsts);
	free(frame_has);
	util_u64map_deinit(&st.plans);
	util_u64map_deinit(&st.classes);
	util_u64map_deinit(&st.scan_words);
	util_u64map_deinit(&st.takes);
	util_u64map_deinit(&st.mentions);
	util_u64map_deinit(&st.frame_info);
	util_u64map_deinit(&st.ctx_pages);
	for (size_t i = 0; i < st.ninfos; i++) {
		free(st.infos[i]->self);
		free(st.infos[i]->callee);
		free(st.infos[i]->args);
		free(st.infos[i]);
	}
	free(st.infos);
	gr_ctx_free(r);
	return err;
}
