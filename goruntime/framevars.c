// framevars.c: channels held in goroutines' frame variables — parameters and
// locals whose type is a channel, or a struct or *struct with channel fields
// (one level) — so that channels nobody waits on are listed too. Only memory
// locations (CFA-relative, from DWARF) are read, and only in frames stopped at
// a call: callers (their return address minus one is the CALL, as Go's own
// liveness maps are looked up) and the innermost frame of a parked goroutine.
// The DWARF work is done once per distinct stack; each goroutine then costs a
// few word reads.
#include <stdlib.h>
#include <string.h>

#include "goruntime/waits.h"

enum { MAX_READS_PER_STACK = 256 };

/* One word to read in a goroutine's frame: at frame_sp[frame] + sp_off. */
struct fv_read {
	uint32_t frame;             /* index into the goroutine's frames */
	bool innermost;             /* only for a parked goroutine */
	int64_t sp_off;
	const struct dw_var *via;   /* non-NULL: the word is a *struct, its chan fields at via->chan_offsets */
};

struct fv_plan {
	struct fv_read *reads;
	size_t n;
};

struct fv_state {
	struct gr_waits *w;
	struct util_u64map plans;   /* frames pointer → struct fv_plan * (malloc'd) */
	struct fv_plan **all;
	size_t nall, all_cap;
};

/* The piece of LOC holding the 8 bytes at byte OFF of the value, as a CFA offset. */
static bool word_at(const struct dw_var_loc *loc, uint64_t off, int64_t *cfa_off)
{
	uint64_t at = 0;
	for (size_t i = 0; i < loc->npieces; i++) {
		const struct dw_var_piece *p = &loc->pieces[i];
		if (p->size == 0) { // the whole value, no pieces
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

static struct util_error *push(struct fv_plan *p, size_t *cap, struct fv_read r)
{
	if (p->n >= MAX_READS_PER_STACK)
		return NULL;
	if (p->n == *cap) {
		size_t ncap = *cap ? 2 * *cap : 8;
		struct fv_read *v = realloc(p->reads, ncap * sizeof(*v));
		if (!v)
			return &util_enomem;
		p->reads = v;
		*cap = ncap;
	}
	p->reads[p->n++] = r;
	return NULL;
}

static bool is_trap(const struct gr_reader *r, const struct dw_func *f)
{
	return f && (f == r->fn_sigpanic || f == r->fn_async_preempt || f == r->fn_debug_call ||
		     f == r->fn_sigtramp);
}

struct util_error *gr_frame_vars_each(struct gr_reader *r, const struct gr_goroutine *g,
				      struct util_error *(*want)(void *arg, const struct dw_func_vars *fv,
								 const struct dw_var *v, bool *yes),
				      struct util_error *(*fn)(void *arg, const struct gr_frame_var *fv),
				      void *arg)
{
	struct dw_binary *bin = r->bin;
	bool first = true;
	const struct dw_func *inner = NULL;
	for (size_t i = 0; i < g->nframes; i++) {
		const struct gr_frame *fr = &g->frames[i];
		if (fr->inlined)
			continue;
		struct gr_frame_var out = {.frame = i, .innermost = first};
		first = false;
		// A frame interrupted by a signal or an injected call is not at a
		// call: its pc is not a return address.
		bool at_call = !is_trap(r, inner);
		inner = fr->pc ? dw_func_at(bin, fr->pc - 1) : NULL;
		out.fn = inner;
		if (!at_call || !out.fn || !fr->pc)
			continue;
		const struct dw_func_vars *fv;
		struct util_error *err = dw_func_vars(bin, out.fn, &fv);
		if (err)
			return err;
		bool have_cfa = false;
		for (size_t k = 0; k < fv->n; k++) {
			bool yes = false;
			out.var = &fv->vars[k];
			err = want(arg, fv, out.var, &yes);
			if (err)
				return err;
			if (!yes)
				continue;
			if (!have_cfa) { // the frame size, only for frames with wanted variables
				int32_t spdelta;
				err = dw_func_spdelta(bin, out.fn, fr->pc, &spdelta);
				if (err) {
					util_error_destroy(err);
					break;
				}
				out.cfa_off = (int64_t)spdelta + 8;
				have_cfa = true;
			}
			err = dw_var_location_at(bin, out.fn, out.var, fr->pc - 1, &out.loc);
			if (err) { // corrupt DWARF for this variable: skip it
				util_error_destroy(err);
				continue;
			}
			if (!out.loc.npieces)
				continue;
			err = fn(arg, &out);
			if (err)
				return err;
		}
	}
	return NULL;
}

struct chan_plan {
	struct fv_plan *plan;
	size_t cap;
};

static struct util_error *want_chans(void *arg, const struct dw_func_vars *fv,
				     const struct dw_var *v, bool *yes)
{
	*yes = fv->has_chans && v->nchans;
	return NULL;
}

static struct util_error *plan_chans(void *arg, const struct gr_frame_var *x)
{
	struct chan_plan *cp = arg;
	const struct dw_var *v = x->var;
	struct util_error *err = NULL;
	int64_t off;
	if (v->chans_via_pointer) {
		if (word_at(&x->loc, 0, &off))
			err = push(cp->plan, &cp->cap,
				   (struct fv_read){(uint32_t)x->frame, x->innermost, x->cfa_off + off, v});
	} else {
		for (size_t c = 0; c < v->nchans && !err; c++)
			if (word_at(&x->loc, v->chan_offsets[c], &off))
				err = push(cp->plan, &cp->cap,
					   (struct fv_read){(uint32_t)x->frame, x->innermost,
							    x->cfa_off + off, NULL});
	}
	return err;
}

/* The reads for one distinct stack. */
static struct util_error *make_plan(struct fv_state *st, const struct gr_goroutine *g,
				    struct fv_plan *plan)
{
	struct chan_plan cp = {plan, 0};
	return gr_frame_vars_each(st->w->r, g, want_chans, plan_chans, &cp);
}

static struct util_error *get_plan(struct fv_state *st, const struct gr_goroutine *g,
				   const struct fv_plan **ret)
{
	uint64_t v;
	uint64_t key = (uint64_t)(uintptr_t)g->frames;
	if (util_u64map_get(&st->plans, key, &v)) {
		*ret = (const struct fv_plan *)(uintptr_t)v;
		return NULL;
	}
	struct fv_plan *plan = calloc(1, sizeof(*plan));
	if (!plan)
		return &util_enomem;
	if (st->nall == st->all_cap) {
		size_t ncap = st->all_cap ? 2 * st->all_cap : 64;
		struct fv_plan **a = realloc(st->all, ncap * sizeof(*a));
		if (!a) {
			free(plan);
			return &util_enomem;
		}
		st->all = a;
		st->all_cap = ncap;
	}
	st->all[st->nall++] = plan;
	struct util_error *err = make_plan(st, g, plan);
	if (!err)
		err = util_u64map_put(&st->plans, key, (uintptr_t)plan);
	*ret = plan;
	return err;
}

static struct util_error *take(struct gr_waits *w, uint64_t addr)
{
	bool added;
	struct util_error *err = gr_waits_frame_channel(w, addr, &added);
	if (!err && added)
		w->nframe_chans++;
	return err;
}

struct util_error *gr_waits_frame_chans(struct gr_waits *w)
{
	struct gr_reader *r = w->r;
	const struct gr_snapshot *snap = r->snap;
	struct fv_state st = {.w = w};
	util_u64map_init(&st.plans);
	struct util_error *err = NULL;
	for (size_t gi = 0; gi < snap->ngoroutines && !err; gi++) {
		const struct gr_goroutine *g = &snap->goroutines[gi];
		if (!g->nframes || !g->frame_sp)
			continue;
		const struct fv_plan *plan;
		err = get_plan(&st, g, &plan);
		if (err || !plan->n)
			continue;
		bool parked = gr_waits_is_parked(r, g);
		for (size_t k = 0; k < plan->n && !err; k++) {
			const struct fv_read *rd = &plan->reads[k];
			if (rd->frame >= g->nframes || (rd->innermost && !parked))
				continue;
			uint64_t word, addr = g->frame_sp[rd->frame] + (uint64_t)rd->sp_off;
			struct util_error *rerr = core_read_u64(r->core, addr, &word);
			if (rerr) {
				util_error_destroy(rerr);
				continue;
			}
			if (!rd->via) {
				err = take(w, word);
				continue;
			}
			for (size_t c = 0; c < rd->via->nchans && !err && word; c++) {
				uint64_t ch;
				rerr = core_read_u64(r->core, word + rd->via->chan_offsets[c], &ch);
				if (rerr) {
					util_error_destroy(rerr);
					break;
				}
				err = take(w, ch);
			}
		}
	}
	for (size_t i = 0; i < st.nall; i++) {
		free(st.all[i]->reads);
		free(st.all[i]);
	}
	free(st.all);
	util_u64map_deinit(&st.plans);
	return err;
}
