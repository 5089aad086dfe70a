// SPDX-License-Identifier: Apache-2.0
// waits-frames.c: channels held in goroutines' frame variables — parameters
// and locals whose type is a channel, or a struct or *struct with channel
// fields (one level) — so that channels nobody waits on are listed too. Only
// memory locations (CFA-relative, from DWARF) are read, through
// gr_frame_vars_each. The DWARF work is done once per distinct stack; each
// goroutine then costs a few word reads. A variable whose word is dead at
// its frame's pc (gr_stack_live_word) is not followed: the channel it
// pointed to may be freed and its memory reused.
#include <stdlib.h>
#include <string.h>

#include "goruntime/waits.h"

enum { MAX_READS_PER_STACK = 256 };

/* One word to read in a goroutine's frame: at gr_frame_sp(g, frame) + sp_off. */
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
	struct gr_per_stack plans;  /* struct fv_plan * (malloc'd) by stack */
};

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
		if (gr_frame_var_word(&x->loc, 0, &off))
			err = push(cp->plan, &cp->cap,
				   (struct fv_read){(uint32_t)x->frame, x->innermost, x->cfa_off + off, v});
	} else {
		for (size_t c = 0; c < v->nchans && !err; c++)
			if (gr_frame_var_word(&x->loc, v->chan_offsets[c], &off))
				err = push(cp->plan, &cp->cap,
					   (struct fv_read){(uint32_t)x->frame, x->innermost,
							    x->cfa_off + off, NULL});
	}
	return err;
}

/* The reads for one distinct stack. */
static struct util_error *make_plan(void *arg, const struct gr_goroutine *g, void *value)
{
	struct fv_state *st = arg;
	struct chan_plan cp = {value, 0};
	return gr_frame_vars_each(st->w->r, g, want_chans, plan_chans, &cp);
}

static void free_plan(void *p)
{
	free(((struct fv_plan *)p)->reads);
	free(p);
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
	struct gr_stack_live live;
	struct gr_stackmaps *maps;
	struct util_error *err = gr_frame_maps(r, &maps);
	if (err)
		return err;
	gr_stack_live_init(&live, maps, gr_stack_read_core, r);
	err = gr_per_stack_init(&st.plans, snap);
	for (size_t gi = 0; gi < snap->ngoroutines && !err; gi++) {
		const struct gr_goroutine *g = &snap->goroutines[gi];
		if (!g->nframes || !g->frame_sp_off)
			continue;
		struct fv_plan *plan = NULL;
		err = gr_per_stack_get(&st.plans, g, sizeof(*plan), make_plan, &st, (void **)&plan);
		if (err || !plan->n)
			continue;
		bool parked = gr_goroutine_parked(r, g);
		for (size_t k = 0; k < plan->n && !err; k++) {
			const struct fv_read *rd = &plan->reads[k];
			if (rd->frame >= g->nframes || (rd->innermost && !parked))
				continue;
			uint64_t word, addr = gr_frame_sp(g, rd->frame) + (uint64_t)rd->sp_off;
			err = gr_stack_live_of(&live, g, !gr_goroutine_running(r, g));
			if (err)
				break;
			if (gr_stack_live_word(&live, addr) == GR_LIVE_DEAD) {
				r->dead_vars++;
				continue;
			}
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
	gr_per_stack_deinit(&st.plans, free_plan);
	gr_stack_live_deinit(&live);
	return err;
}
