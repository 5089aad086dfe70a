// SPDX-License-Identifier: Apache-2.0
// framevars.c: the variables of a goroutine's frames, as DWARF locates them
// at each frame's pc — the walk the channel finder (waits-frames.c) and the
// context finder (ctxfind.c) share. Only frames stopped at a call are
// walked: callers (their return address minus one is the CALL, as Go's own
// liveness maps are looked up) and the innermost frame, which the callers
// take only for a parked goroutine.
//
// A variable in DWARF scope is not necessarily live: the compiler's
// liveness analysis (cmd/compile/internal/liveness/plive.go) ends a
// variable at its last use, and its slot keeps the old pointer while the
// collector may free and reuse what it pointed to (net/http's handlers and
// conn.serve leave their finished request's r that way). So the readers
// trust a variable only where the stack maps say the word holding its
// pointer is live at the frame's pc (gr_stack_live_word): a live slot of
// the locals or args bitmap — register arguments' spill slots included,
// which plive counts among the callee's args (pointerMap: a PPARAM's
// FrameOffset is its spill slot, Go 1.19-1.27) — or a stack object the
// collector would mark. Debug builds (-N -l) follow the same rule: nothing
// is SSA'd there (ssagen/ssa.go canSSA is false with -N), every variable
// has one frame slot over the whole function and DWARF places it there at
// every pc, but plive still ends each slot's liveness at its last use (-N
// only changes liveness/arg.go: register arguments are spilled at entry),
// and the maps say so at each safe point — checked in Go 1.19, 1.22 and
// 1.27's sources; on the corpus's debug cores 44-123 variables per core
// are dead at their frame's pc (the hang program's main keeps deepCtx in
// scope at its last <-mainBlock, dead there).
#include <stdlib.h>

#include "goruntime/internal.h"

bool gr_frame_var_word(const struct dw_var_loc *loc, uint64_t off, int64_t *cfa_off)
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
		bool at_call = !gr_unwind_is_trap(r, inner);
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
				// The CFA is the frame's fp, the caller's SP.
				out.cfa_off = (int64_t)spdelta + dw_binary_arch(bin)->ret_size;
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

struct util_error *gr_per_stack_init(struct gr_per_stack *p, const struct gr_snapshot *s)
{
	p->n = s->nstacks;
	p->v = calloc(p->n ? p->n : 1, sizeof(*p->v));
	return p->v ? NULL : &util_enomem;
}

struct util_error *gr_per_stack_get(struct gr_per_stack *p, const struct gr_goroutine *g,
				    size_t size, gr_per_stack_fn *make, void *arg, void **ret)
{
	if (g->stack_index >= p->n)
		return util_error_create(UTIL_ERROR_INVALID,
					 "goroutine %llu: stack %u, but the snapshot has %zu",
					 (unsigned long long)g->goid, g->stack_index, p->n);
	void **slot = &p->v[g->stack_index];
	if (!*slot) {
		if (!(*slot = calloc(1, size)))
			return &util_enomem;
		struct util_error *err = make(arg, g, *slot);
		if (err)
			return err;
	}
	*ret = *slot;
	return NULL;
}

void gr_per_stack_deinit(struct gr_per_stack *p, void (*free_fn)(void *))
{
	for (size_t i = 0; p->v && i < p->n; i++)
		if (p->v[i])
			free_fn(p->v[i]);
	free(p->v);
	p->v = NULL;
	p->n = 0;
}

struct util_error *gr_frame_maps(struct gr_reader *r, struct gr_stackmaps **ret)
{
	if (!r->frame_maps) {
		r->frame_maps = malloc(sizeof(*r->frame_maps));
		if (!r->frame_maps)
			return &util_enomem;
		gr_stackmaps_init(r->frame_maps, r);
	}
	*ret = r->frame_maps;
	return NULL;
}

void gr_frame_maps_free(struct gr_reader *r)
{
	if (r->frame_maps)
		gr_stackmaps_deinit(r->frame_maps);
	free(r->frame_maps);
	r->frame_maps = NULL;
}
