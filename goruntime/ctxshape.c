// SPDX-License-Identifier: Apache-2.0
// ctxshape.c: the types the walk for contexts meets (ctxroots.c): each
// type's shape from DWARF (dw_type_shape), with what Go's DWARF does not say
// outright — atomic.Pointer[T] is a *T, sync.Map's trie nodes head an entry
// or an indirect node — and whether a value of it can lead to a context at
// all, decided once per type, recursive types included, so that the walk
// never enters what cannot (a []byte, a struct of numbers).
#include <stdlib.h>
#include <string.h>

#include "goruntime/ctxshape.h"

enum { MAX_NEST = 24, MAX_MEMBERS = 128 };

/* The runtime's types and internal packages' (but internal/sync, sync.Map's trie). */
bool gr_shape_runtime_name(const char *n)
{
	if (n && n[0] == '*')
		n++;
	return n && (strncmp(n, "runtime.", 8) == 0 ||
		     (strncmp(n, "internal/", 9) == 0 && strncmp(n, "internal/sync.", 14) != 0));
}

/* Whether walking a value of DIE can meet a context: an interface (any
 * dynamic type may be one), or something pointing or holding one. Package
 * context's own structs and the runtime's are not entered: contexts are
 * decoded by contexts.c, and the runtime's bookkeeping leads everywhere. */
static bool leads(struct gr_shapes *w, uint64_t die, int depth)
{
	struct shape *sh = gr_shape_of(w, die);
	if (!sh)
		return false;
	if (sh->leads >= 0)
		return sh->leads;
	if (depth > MAX_NEST)
		return true;
	size_t idx = (size_t)(sh - w->v);
	w->v[idx].leads = -1;
	bool yes = false, cut = false;
	const char *name = sh->s.name;
	struct dw_binary *b = w->st->r->bin;
	uint64_t elem = sh->s.elem, key = sh->s.key;
	switch (sh->s.kind) {
	case DW_GO_IFACE:
		yes = true;
		break;
	case DW_GO_FUNC: // a closure may capture a context; a CancelFunc's holds a *cancelCtx
		yes = !name || (strcmp(name, "context.CancelFunc") && strcmp(name, "context.CancelCauseFunc"));
		break;
	case DW_GO_PTR:
		if (sh->ctx_type) {
			yes = true;
			break;
		}
		// fallthrough
	case DW_GO_SLICE:
	case DW_GO_ARRAY:
	case DW_GO_CHAN:
	case DW_GO_MAP:
		for (int k = 0; k < 2 && !yes; k++) {
			uint64_t t = k ? key : elem;
			if (!t)
				continue;
			struct shape *e = gr_shape_of(w, t);
			if (e && e->leads == -1)
				cut = true; // a recursive type: decided by its other members
			else
				yes = leads(w, t, depth + 1);
		}
		break;
	case DW_GO_STRUCT: {
		if (gr_shape_runtime_name(name) || (name && strncmp(name, "context.", 8) == 0))
			break;
		if (sh->entry || sh->indirect) { // sync.Map's trie (1.24+): entries hold the values
			yes = leads(w, sh->entry, depth + 1) || leads(w, sh->indirect, depth + 1);
			break;
		}
		struct dw_struct_member ms[MAX_MEMBERS];
		size_t n = dw_struct_members(b, sh->s.die, ms, MAX_MEMBERS);
		struct dw_struct_member keep[MAX_MEMBERS];
		size_t nk = 0;
		for (size_t i = 0; i < n; i++) {
			// Go 1.19's sync.Map entry: p unsafe.Pointer is an *interface{}.
			const char *tn = dw_type_die_name(b, ms[i].type_die);
			if (name && strcmp(name, "sync.entry") == 0 && strcmp(ms[i].name, "p") == 0 &&
			    tn && strcmp(tn, "unsafe.Pointer") == 0)
				ms[i].type_die = dw_type_die(b, "*interface {}");
			struct shape *m = gr_shape_of(w, ms[i].type_die);
			// A member of a type being decided is walked: if that type
			// leads anywhere it is through here too.
			bool rec = m && m->leads == -1;
			bool l = rec || leads(w, ms[i].type_die, depth + 1);
			cut |= rec;
			if (l)
				keep[nk++] = ms[i];
			yes |= l && !rec;
		}
		sh = &w->v[idx];
		if (yes && nk) {
			sh->members = util_arena_alloc(&w->st->r->snap->arena, nk * sizeof(*keep));
			if (sh->members) {
				memcpy(sh->members, keep, nk * sizeof(*keep));
				sh->nmembers = (uint16_t)nk;
			}
		}
		break;
	}
	default:
		break;
	}
	sh = &w->v[idx];
	// "No" is final only if no type still being decided was consulted;
	// otherwise worth() settles it once the outermost question is answered.
	sh->leads = yes ? 1 : (cut ? -3 : 0);
	if (sh->leads == -3 && !util_grow((void **)&w->undecided, w->nundecided,
					   &w->undecided_cap, sizeof(*w->undecided), 64))
		w->undecided[w->nundecided++] = idx;
	return yes;
}

struct shape *gr_shape_of(struct gr_shapes *w, uint64_t die)
{
	uint64_t v;
	if (!die)
		return NULL;
	if (util_u64map_get(&w->index, die, &v)) {
		struct shape *sh = v ? &w->v[v - 1] : NULL;
		return sh;
	}
	struct dw_type_shape s;
	struct dw_binary *b = w->st->r->bin;
	if (!dw_type_shape(b, die, &s) ||
	    util_grow((void **)&w->v, w->n, &w->cap, sizeof(*w->v), 64)) {
		util_error_destroy(util_u64map_put(&w->index, die, 0));
		return NULL;
	}
	const char *n = s.name;
	if (s.kind == DW_GO_STRUCT && n && strncmp(n, "sync/atomic.Pointer[", 20) == 0) {
		// atomic.Pointer[T] (Go 1.19+) is a *T: its v unsafe.Pointer (at 0,
		// after zero-size fields), typed by its member _ [0]*T.
		struct dw_struct_member ms[4];
		size_t nm = dw_struct_members(b, s.die, ms, 4);
		struct dw_type_shape a, p;
		for (size_t i = 0; i < nm; i++)
			if (strcmp(ms[i].name, "_") == 0 && dw_type_shape(b, ms[i].type_die, &a) &&
			    a.kind == DW_GO_ARRAY && dw_type_shape(b, a.elem, &p) && p.kind == DW_GO_PTR)
				s.kind = DW_GO_PTR, s.elem = p.elem, s.size = 8;
	}
	uint64_t entry = 0, indirect = 0, is_entry = GR_ABSENT;
	if (n && strcmp(n, "internal/sync.node[interface {},interface {}]") == 0) {
		// The nodes of sync.Map's HashTrieMap (Go 1.24+) head an entry or an
		// indirect node, as isEntry says; DWARF may name only the shape type.
		entry = dw_type_die(b, "internal/sync.entry[interface {},interface {}]");
		if (!entry)
			entry = dw_type_die(b, "internal/sync.entry[go.shape.interface {},go.shape.interface {}]");
		indirect = dw_type_die(b, "internal/sync.indirect[interface {},interface {}]");
		is_entry = gr_member(b, n, "isEntry");
		if (is_entry == GR_ABSENT)
			entry = indirect = 0;
	}
	struct shape *sh = &w->v[w->n];
	*sh = (struct shape){.s = s, .leads = -3, .entry = entry, .indirect = indirect,
			     .is_entry = is_entry};
	sh->ctx_iface = s.kind == DW_GO_IFACE && s.name && strcmp(s.name, "context.Context") == 0;
	if (s.kind == DW_GO_PTR)
		sh->ctx_type = gr_cf_user_ctx_type(w->st, s.name);
	if (s.elem) {
		struct dw_type_shape e;
		if (dw_type_shape(b, s.elem, &e))
			sh->esize = e.kind == DW_GO_PTR || e.kind == DW_GO_MAP || e.kind == DW_GO_CHAN ||
					    e.kind == DW_GO_FUNC ? 8 : e.size;
	}
	if (s.key) {
		struct dw_type_shape k;
		if (dw_type_shape(b, s.key, &k))
			sh->ksize = k.kind == DW_GO_PTR || k.kind == DW_GO_MAP || k.kind == DW_GO_CHAN ||
					    k.kind == DW_GO_FUNC ? 8 : k.size;
	}
	if (util_u64map_put(&w->index, die, w->n + 1))
		return NULL;
	return &w->v[w->n++];
}

/* Whether DIE leads to a context, decided once per type. */
bool gr_shape_worth(struct gr_shapes *w, uint64_t die)
{
	struct shape *sh = gr_shape_of(w, die);
	if (!sh)
		return false;
	if (sh->leads == 0 || sh->leads == 1)
		return sh->leads;
	w->nundecided = 0;
	if (leads(w, die, 0))
		return true;
	// The outermost type cannot: nor can any type its question left undecided
	// (each was waiting on a type on the way down from it, all "no").
	for (size_t i = 0; i < w->nundecided; i++)
		if (w->v[w->undecided[i]].leads == -3)
			w->v[w->undecided[i]].leads = 0;
	return false;
}

void gr_shapes_init(struct gr_shapes *w, struct cf_state *st)
{
	memset(w, 0, sizeof(*w));
	w->st = st;
	util_u64map_init(&w->index);
}

void gr_shapes_deinit(struct gr_shapes *w)
{
	util_u64map_deinit(&w->index);
	free(w->v);
	free(w->undecided);
}
