// SPDX-License-Identifier: Apache-2.0
// ctxroots.c: the contexts no goroutine frame holds. A canceled request
// subtree kept only by a registry in a package variable, export jobs queued
// in a channel's buffer, sessions in a map: the canceled parent dropped them
// from its children, so no walk down from a held context finds them. They
// are found by walking values with their DWARF types from every root the
// collector has — package variables and the live pointer-shaped variables of
// goroutine frames — through pointers, structs, arrays, slices, maps,
// channel buffers and interfaces (the dynamic type's DWARF type, from its
// runtime type descriptor). A context.Context interface met on the way is a
// context, as is an interface whose dynamic type is one of package
// context's. Where no type says what a word is — the variables a closure
// captured — the words that start a context interface are taken, each
// validated with its parents, as a stack scan does. Types are ctxshape.c's. Each context keeps where it was best found (context.found_in,
// found_at): a frame, a package variable itself, a channel buffer, a map,
// a heap object reached from a root, else as an ancestor or a registered
// child of one found.
//
// Typed memory is what the program can still reach: the live length of a
// slice, the occupied slots of a map, the queued elements of a channel, so
// no stale word is taken for a context (what stack scans must guard against).
// Types that cannot lead to an interface, a context or a pointer to one are
// never entered; the values walked are bounded and a diagnostic says when a
// bound stopped the walk.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "goruntime/ctxshape.h"

enum {
	MAX_ITEMS = 2000000,  /* heap values, maps and channels taken from the queue */
	MAX_ELEMS = 1 << 16,  /* elements walked of one array, slice, map or buffer */
	MAX_VALUE = 1 << 16,  /* bytes of one value read at once */
	MAX_NEST = 24,        /* structs and arrays nested inside one value */
	MAX_MAP = 1 << 16,    /* entries of one map */
	CLOSURE_WORDS = 8,    /* words of a closure looked at: its code, then captures */
};

/* Where a value sits; the order is context.found_in's preference (gr_context.found_in). */
enum where {
	WH_FRAME = GR_FOUND_FRAME, WH_GLOBAL = GR_FOUND_GLOBAL, WH_CHAN = GR_FOUND_CHAN,
	WH_MAP = GR_FOUND_MAP, WH_HEAP = GR_FOUND_HEAP, WH_ANCESTOR = GR_FOUND_ANCESTOR,
	WH_CHILD = GR_FOUND_CHILD,
};

enum item_kind { IT_VALUES, IT_MAP, IT_CHAN, IT_CLOSURE };

/* Something to walk later: N values of type DIE at ADDR, a map or a channel. */
struct item {
	uint64_t addr, die, n;
	uint32_t root;             /* index into roots */
	uint8_t kind;
};

struct gr_cr {
	struct cf_state *st;
	struct gr_ctx *c;
	struct gr_shapes shapes;   /* the types met (ctxshape.c) */
	struct util_u64map dyn;    /* runtime type → its DWARF DIE + 1 (1: none) */
	struct util_u64map seen;   /* mix(address, DIE) of what was queued */
	struct item *queue;
	size_t nqueue, queue_cap;
	const char **roots;        /* package variable names, "goroutine N" */
	size_t nroots, roots_cap;
	size_t items;              /* taken from the queue */
	bool stopped;              /* a bound was reached */
	/* runtime.hchan */
	uint64_t hc_size, hc_qcount, hc_dataqsiz, hc_buf, hc_elemsize, hc_recvx;
	int nest;
};

/* ---- Contexts met ------------------------------------------------------------ */

static const char *root_at(struct gr_cr *w, uint32_t root, enum where wh, uint64_t chan)
{
	if (wh == WH_CHAN) {
		char b[32];
		snprintf(b, sizeof(b), "%#llx", (unsigned long long)chan);
		return gr_intern(w->st->r->snap, b);
	}
	return w->roots[root];
}

static void set_found(struct gr_ctx *c, size_t idx, enum where wh, const char *at)
{
	struct gr_context *x = &c->ctxs[idx];
	if (x->found_in && x->found_in <= wh)
		return;
	x->found_in = (uint8_t)wh;
	x->found_at = gr_ctx_str(c, at);
}

void gr_cr_found_frame(struct cf_state *st, uint64_t ctx)
{
	uint64_t v;
	struct gr_ctx *c = st->c;
	if (!gr_ctx_index(c, ctx, &v) ||
	    (c->ctxs[v].found_in && c->ctxs[v].found_in <= WH_FRAME))
		return;
	set_found(c, v, WH_FRAME, NULL);
}

/* (TYPE, DATA) of an interface met at WH: a context? */
static struct util_error *met(struct gr_cr *w, uint64_t type, uint64_t data, bool vouched,
			      enum where wh, uint32_t root, uint64_t chan, bool *is)
{
	size_t idx;
	struct util_error *err = gr_ctx_add(w->c, type, data, vouched, is, &idx);
	if (!err && *is)
		set_found(w->c, idx, wh, root_at(w, root, wh, chan));
	return err;
}

/* ---- The walk ---------------------------------------------------------------- */

static uint64_t mix(uint64_t a, uint64_t b)
{
	uint64_t h = a * 0x9e3779b97f4a7c15ULL ^ (b + 0x632be59bd9b4e019ULL + (a << 6) + (a >> 2));
	return h == ~0ULL ? 0 : h; // ~0 is the map's empty key
}

static struct util_error *enqueue(struct gr_cr *w, uint64_t addr, uint64_t die, uint64_t n,
				  uint32_t root, enum item_kind kind)
{
	if (!addr || !n || !die)
		return NULL;
	uint64_t k = mix(addr, die);
	if (util_u64map_get(&w->seen, k, NULL))
		return NULL;
	struct util_error *err = util_u64map_put(&w->seen, k, 1);
	if (!err)
		err = util_grow((void **)&w->queue, w->nqueue, &w->queue_cap, sizeof(*w->queue), 256);
	if (err)
		return err;
	w->queue[w->nqueue++] = (struct item){addr, die, n > MAX_ELEMS ? MAX_ELEMS : n, root, kind};
	if (n > MAX_ELEMS)
		w->stopped = true;
	return NULL;
}

/* The DWARF DIE of the runtime type TYPE, 0 if none. */
static uint64_t dyn_die(struct gr_cr *w, uint64_t type)
{
	uint64_t v;
	if (util_u64map_get(&w->dyn, type, &v))
		return v - 1;
	const struct gr_type *t = gr_type_read(w->st->r, type);
	v = t && t->dwarf ? dw_type_die(w->st->r->bin, t->dwarf) : 0;
	util_error_destroy(util_u64map_put(&w->dyn, type, v + 1));
	return v;
}

static struct util_error *walk_value(struct gr_cr *w, const unsigned char *buf, uint64_t len,
				     uint64_t die, enum where wh, uint32_t root, uint64_t chan);

static struct util_error *walk_iface(struct gr_cr *w, const struct shape *sh, uint64_t tab,
				     uint64_t data, enum where wh, uint32_t root, uint64_t chan)
{
	if (!tab || !data)
		return NULL;
	uint64_t type = tab;
	bool is = false;
	struct util_error *err;
	if (sh->ctx_iface) {
		type = gr_ctx_itab_type(w->c, tab);
		return type ? met(w, type, data, true, wh, root, chan, &is) : NULL;
	}
	if (!sh->s.empty_iface) { // itab.Type (1.22+ abi.ITab; itab._type before)
		uint64_t t[2];
		if (!gr_read_ok(w->st->r->core, tab, t, 16) || !t[1])
			return NULL;
		type = t[1];
	}
	// Not vouched for by a context.Context interface: only package context's
	// own types count (a zero-size value's data word is runtime.zerobase, as
	// is context.Background()'s, so the address alone says nothing).
	const struct gr_type *rt = gr_type_read(w->st->r, type);
	if (rt && rt->name && (strncmp(rt->name, "*context.", 9) == 0 ||
			       strncmp(rt->name, "context.", 8) == 0)) {
		w->c->quiet++;
		err = met(w, type, data, false, wh, root, chan, &is);
		w->c->quiet--;
		return err;
	}
	uint64_t die = rt ? dyn_die(w, type) : 0;
	if (!die || !gr_shape_worth(&w->shapes, die))
		return NULL;
	if (rt->direct) // the data word is the value (a pointer, map, chan, or a struct of one)
		return walk_value(w, (const unsigned char *)&data, 8, die, wh, root, chan);
	return enqueue(w, data, die, 1, root, IT_VALUES);
}

/* The value of type DIE in BUF (LEN bytes), sitting at WH. */
static struct util_error *walk_value(struct gr_cr *w, const unsigned char *buf, uint64_t len,
				     uint64_t die, enum where wh, uint32_t root, uint64_t chan)
{
	if (!gr_shape_worth(&w->shapes, die))
		return NULL;
	struct shape *sh = gr_shape_of(&w->shapes, die);
	if (!sh || w->nest > MAX_NEST)
		return NULL;
	struct util_error *err = NULL;
	uint64_t word = len >= 8 ? gr_rd64(buf, 0) : 0;
	w->nest++;
	switch (sh->s.kind) {
	case DW_GO_IFACE:
		if (len >= 16)
			err = walk_iface(w, sh, word, gr_rd64(buf, 8), wh, root, chan);
		break;
	case DW_GO_PTR:
		if (sh->ctx_type) { // a user-defined context type
			bool is;
			if (word)
				err = met(w, sh->ctx_type, word, true, wh, root, chan, &is);
			break;
		}
		err = enqueue(w, word, sh->s.elem, 1, root, IT_VALUES);
		break;
	case DW_GO_SLICE:
		if (len >= 16 && sh->esize)
			err = enqueue(w, word, sh->s.elem, gr_rd64(buf, 8), root, IT_VALUES);
		break;
	case DW_GO_MAP:
		err = enqueue(w, word, die, 1, root, IT_MAP);
		break;
	case DW_GO_CHAN:
		err = enqueue(w, word, die, 1, root, IT_CHAN);
		break;
	case DW_GO_FUNC:
		err = enqueue(w, word, die, 1, root, IT_CLOSURE);
		break;
	case DW_GO_ARRAY:
		for (uint64_t i = 0; sh->esize && i < sh->s.count && i < MAX_ELEMS && !err; i++) {
			if ((i + 1) * sh->esize > len)
				break;
			err = walk_value(w, buf + i * sh->esize, sh->esize, sh->s.elem, wh, root, chan);
			sh = gr_shape_of(&w->shapes, die); // the cache may have moved
		}
		break;
	case DW_GO_STRUCT:
		for (size_t i = 0; i < sh->nmembers && !err; i++) {
			const struct dw_struct_member *m = &sh->members[i];
			struct shape *ms = gr_shape_of(&w->shapes, m->type_die);
			sh = gr_shape_of(&w->shapes, die);
			uint64_t msz = ms ? (ms->s.kind == DW_GO_PTR || ms->s.kind == DW_GO_MAP ||
					     ms->s.kind == DW_GO_CHAN ? 8 : ms->s.size) : 0;
			if (!msz || m->offset + msz > len)
				continue;
			err = walk_value(w, buf + m->offset, msz, m->type_die, wh, root, chan);
			sh = gr_shape_of(&w->shapes, die);
		}
		break;
	default:
		break;
	}
	w->nest--;
	return err;
}

/* ---- Maps and channels --------------------------------------------------------- */

struct map_arg {
	struct gr_cr *w;
	const struct shape *sh;
	uint32_t root;
	struct util_error *err;
};

static struct util_error *map_entry(void *arg, uint64_t key_addr, const unsigned char *key,
				    uint64_t elem_addr)
{
	struct map_arg *a = arg;
	struct gr_cr *w = a->w;
	uint64_t kd = a->sh->s.key, ed = a->sh->s.elem, ks = a->sh->ksize, es = a->sh->esize;
	unsigned char ebuf[128];
	struct util_error *err = NULL;
	(void)key_addr;
	if (ks && gr_shape_worth(&w->shapes, kd))
		err = walk_value(w, key, ks, kd, WH_MAP, a->root, 0);
	if (!err && es && es <= sizeof(ebuf) && gr_shape_worth(&w->shapes, ed) &&
	    gr_read_ok(w->st->r->core, elem_addr, ebuf, es))
		err = walk_value(w, ebuf, es, ed, WH_MAP, a->root, 0);
	return err;
}

static struct util_error *walk_map(struct gr_cr *w, const struct item *it)
{
	struct shape *sh = gr_shape_of(&w->shapes, it->die);
	// Keys and elements over 128 bytes are stored indirectly: not walked.
	if (!sh || !sh->ksize || sh->ksize > 128 || sh->esize > 128)
		return NULL;
	if (!sh->map) {
		struct dw_binary *b = w->st->r->bin;
		const char *kn = dw_type_die_name(b, sh->s.key), *en = dw_type_die_name(b, sh->s.elem);
		char bucket[512], group[512];
		snprintf(bucket, sizeof(bucket), "bucket<%s,%s>", kn ? kn : "?", en ? en : "?");
		snprintf(group, sizeof(group), "noalg.map.group[%s]%s", kn ? kn : "?", en ? en : "?");
		struct gr_map_type *mt = util_arena_alloc(&w->st->r->snap->arena, sizeof(*mt));
		if (!mt)
			return &util_enomem;
		gr_map_type_probe(w->st->r, bucket, group, sh->ksize, sh->esize, mt);
		sh = gr_shape_of(&w->shapes, it->die);
		sh->map = mt;
	}
	size_t budget = MAX_MAP;
	struct map_arg a = {w, sh, it->root, NULL};
	struct util_error *err = gr_map_each(w->st->r, sh->map, it->addr, &budget, map_entry, &a);
	if (!budget)
		w->stopped = true;
	// An unreadable bucket is the map's problem, not the walk's.
	if (err && err->code != UTIL_ERROR_NOMEM) {
		util_error_destroy(err);
		err = NULL;
	}
	return err;
}

static struct util_error *walk_chan(struct gr_cr *w, const struct item *it)
{
	struct shape *sh = gr_shape_of(&w->shapes, it->die);
	unsigned char h[256];
	if (!sh || !w->hc_size || w->hc_size > sizeof(h) || !gr_read_ok(w->st->r->core, it->addr, h, w->hc_size))
		return NULL;
	uint64_t q = gr_rd64(h, w->hc_qcount), size = gr_rd64(h, w->hc_dataqsiz);
	uint64_t buf = gr_rd64(h, w->hc_buf), recvx = gr_rd64(h, w->hc_recvx);
	uint16_t esz;
	memcpy(&esz, h + w->hc_elemsize, 2);
	if (!q || !size || q > size || recvx >= size || !buf || esz != sh->esize || !esz)
		return NULL;
	unsigned char *e = malloc(esz);
	struct util_error *err = e ? NULL : &util_enomem;
	for (uint64_t i = 0; i < q && i < MAX_ELEMS && !err; i++)
		if (gr_read_ok(w->st->r->core, buf + ((recvx + i) % size) * esz, e, esz))
			err = walk_value(w, e, esz, sh->s.elem, WH_CHAN, it->root, it->addr);
	free(e);
	return err;
}

/*
 * A closure (a func value's funcval): its captured variables have no type
 * DWARF ties to the object. Its first word must be the code of a function;
 * then the words that start a context interface (a context.Context itab or
 * a context type's descriptor, as the stack scan looks for) among the next
 * few, each validated with its whole parent chain as a stack scan's are.
 */
static struct util_error *walk_closure(struct gr_cr *w, const struct item *it)
{
	uint64_t v[CLOSURE_WORDS], kind;
	struct cf_state *st = w->st;
	if (!gr_read_ok(st->r->core, it->addr, v, sizeof(v)) || !dw_func_at(st->r->bin, v[0]))
		return NULL;
	struct util_error *err = NULL;
	for (size_t k = 1; k + 1 < CLOSURE_WORDS && !err; k++) {
		if (!v[k + 1] || !util_u64map_get(&st->scan_words, v[k], &kind))
			continue;
		uint64_t type = kind == 1 ? gr_ctx_itab_type(w->c, v[k]) : v[k];
		bool is = false;
		size_t idx;
		w->c->quiet++;
		err = type ? gr_ctx_add_found(w->c, type, v[k + 1], kind == 1, &is, &idx) : NULL;
		w->c->quiet--;
		if (is) {
			set_found(w->c, idx, WH_HEAP, w->roots[it->root]);
			k++;
		}
	}
	return err;
}

/* N values of type DIE at ADDR in the heap (or a stack object). */
static struct util_error *walk_values(struct gr_cr *w, const struct item *it)
{
	struct shape *sh = gr_shape_of(&w->shapes, it->die);
	if (!sh)
		return NULL;
	if (sh->entry || sh->indirect) { // a trie node: walk what it heads
		uint8_t e;
		struct item x = *it;
		if (!gr_read_ok(w->st->r->core, it->addr + sh->is_entry, &e, 1))
			return NULL;
		x.die = e ? sh->entry : sh->indirect;
		return x.die ? walk_values(w, &x) : NULL;
	}
	uint64_t size = sh->s.kind == DW_GO_PTR || sh->s.kind == DW_GO_MAP ||
				sh->s.kind == DW_GO_CHAN || sh->s.kind == DW_GO_FUNC ? 8 : sh->s.size;
	if (!size || size > MAX_VALUE)
		return NULL;
	uint64_t per = MAX_VALUE / size;
	struct util_error *err = NULL;
	for (uint64_t i = 0; i < it->n && !err; i += per) {
		uint64_t n = it->n - i < per ? it->n - i : per;
		unsigned char *b = malloc(n * size);
		if (!b)
			return &util_enomem;
		if (gr_read_ok(w->st->r->core, it->addr + i * size, b, n * size))
			for (uint64_t k = 0; k < n && !err; k++)
				err = walk_value(w, b + k * size, size, it->die, WH_HEAP, it->root, 0);
		free(b);
	}
	return err;
}

static struct util_error *drain(struct gr_cr *w)
{
	struct util_error *err = NULL;
	while (w->nqueue && !err) {
		if (w->items >= MAX_ITEMS) {
			w->stopped = true;
			w->nqueue = 0;
			break;
		}
		struct item it = w->queue[--w->nqueue];
		w->items++;
		if (it.kind == IT_MAP)
			err = walk_map(w, &it);
		else if (it.kind == IT_CHAN)
			err = walk_chan(w, &it);
		else if (it.kind == IT_CLOSURE)
			err = walk_closure(w, &it);
		else
			err = walk_values(w, &it);
		if (w->items % 4096 == 0)
			core_release_pages(w->st->r->core);
	}
	return err;
}

/* ---- Roots --------------------------------------------------------------------- */

static struct util_error *add_root(struct gr_cr *w, const char *name, uint32_t *ret)
{
	struct util_error *err = util_grow((void **)&w->roots, w->nroots, &w->roots_cap,
					   sizeof(*w->roots), 64);
	if (err)
		return err;
	w->roots[w->nroots] = gr_intern(w->st->r->snap, name);
	*ret = (uint32_t)w->nroots++;
	return NULL;
}

struct global {
	uint64_t addr, die;
	const char *name;
};

struct globals {
	struct gr_cr *w;
	struct global *v;
	size_t n, cap;
};

static struct util_error *take_global(void *arg, const char *name, uint64_t addr, uint64_t die)
{
	struct globals *g = arg;
	if (!addr || !die || gr_shape_runtime_name(name) || strncmp(name, "context.", 8) == 0 ||
	    strncmp(name, "type:", 5) == 0 || strncmp(name, "go:", 3) == 0 ||
	    !gr_shape_worth(&g->w->shapes, die))
		return NULL;
	struct util_error *err = util_grow((void **)&g->v, g->n, &g->cap, sizeof(*g->v), 64);
	if (err)
		return err;
	g->v[g->n++] = (struct global){addr, die, gr_intern(g->w->st->r->snap, name)};
	return NULL;
}

static int by_addr(const void *a, const void *b)
{
	const struct global *x = a, *y = b;
	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

static struct util_error *walk_globals(struct gr_cr *w)
{
	struct globals g = {.w = w};
	struct util_error *err = dw_globals_each(w->st->r->bin, take_global, &g);
	if (!err && g.n)
		qsort(g.v, g.n, sizeof(*g.v), by_addr);
	for (size_t i = 0; i < g.n && !err; i++) {
		struct shape *sh = gr_shape_of(&w->shapes, g.v[i].die);
		uint64_t size = sh ? (sh->s.kind == DW_GO_PTR || sh->s.kind == DW_GO_MAP ||
				      sh->s.kind == DW_GO_CHAN ? 8 : sh->s.size) : 0;
		if (!size || size > MAX_VALUE)
			continue;
		uint32_t root;
		unsigned char *b = malloc(size);
		err = b ? add_root(w, g.v[i].name, &root) : &util_enomem;
		if (!err && gr_read_ok(w->st->r->core, g.v[i].addr, b, size))
			err = walk_value(w, b, size, g.v[i].die, WH_GLOBAL, root, 0);
		free(b);
		if (!err)
			err = drain(w);
	}
	free(g.v);
	return err;
}

bool gr_cr_walkable(struct cf_state *st, uint64_t die)
{
	struct gr_cr *w = st->cr;
	if (!w)
		return false;
	struct shape *sh = gr_shape_of(&w->shapes, die);
	if (!sh || (sh->s.kind != DW_GO_PTR && sh->s.kind != DW_GO_MAP && sh->s.kind != DW_GO_CHAN))
		return false;
	const char *n = sh->s.name;
	if (gr_shape_runtime_name(n) || (n && strncmp(n, "*context.", 9) == 0) || !gr_shape_worth(&w->shapes, die))
		return false;
	// A pointer to a struct whose only way to a context is its own
	// context.Context fields: the frame's reader takes those ("r.ctx").
	// (Shapes move as the cache grows: each is looked up again after.)
	sh = gr_shape_of(&w->shapes, die);
	uint64_t elem = sh->s.kind == DW_GO_PTR ? sh->s.elem : 0;
	struct shape *t = elem ? gr_shape_of(&w->shapes, elem) : NULL;
	if (!t || t->s.kind != DW_GO_STRUCT || !gr_shape_worth(&w->shapes, elem) || !gr_shape_of(&w->shapes, elem)->nmembers)
		return true;
	for (size_t i = 0; i < gr_shape_of(&w->shapes, elem)->nmembers; i++) {
		struct shape *m = gr_shape_of(&w->shapes, gr_shape_of(&w->shapes, elem)->members[i].type_die);
		if (!m || !m->ctx_iface)
			return true;
	}
	return false;
}

struct util_error *gr_cr_frame_root(struct cf_state *st, const struct gr_goroutine *g,
				    uint64_t word, uint64_t die)
{
	struct gr_cr *w = st->cr;
	if (!w || !word)
		return NULL;
	char name[40];
	snprintf(name, sizeof(name), "goroutine %llu", (unsigned long long)g->goid);
	uint32_t root;
	if (!w->nroots || strcmp(w->roots[w->nroots - 1], name) != 0) {
		struct util_error *err = add_root(w, name, &root);
		if (err)
			return err;
	}
	root = (uint32_t)w->nroots - 1;
	return walk_value(w, (const unsigned char *)&word, 8, die, WH_HEAP, root, 0);
}

struct util_error *gr_cr_init(struct cf_state *st)
{
	struct gr_cr *w = calloc(1, sizeof(*w));
	if (!w)
		return &util_enomem;
	w->st = st;
	w->c = st->c;
	gr_shapes_init(&w->shapes, st);
	util_u64map_init(&w->dyn);
	util_u64map_init(&w->seen);
	struct dw_binary *b = st->r->bin;
	const char *HC = "runtime.hchan";
	w->hc_size = gr_type_size(b, HC);
	w->hc_qcount = gr_member(b, HC, "qcount");
	w->hc_dataqsiz = gr_member(b, HC, "dataqsiz");
	w->hc_buf = gr_member(b, HC, "buf");
	w->hc_elemsize = gr_member(b, HC, "elemsize");
	w->hc_recvx = gr_member(b, HC, "recvx");
	if (w->hc_qcount == GR_ABSENT || w->hc_dataqsiz == GR_ABSENT || w->hc_buf == GR_ABSENT ||
	    w->hc_elemsize == GR_ABSENT || w->hc_recvx == GR_ABSENT)
		w->hc_size = 0; // channel buffers are not walked
	st->cr = w;
	return NULL;
}

struct util_error *gr_cr_walk(struct cf_state *st)
{
	struct gr_cr *w = st->cr;
	if (!w)
		return NULL;
	// What the frames queued (their roots came first), then the package variables.
	struct util_error *err = drain(w);
	if (!err)
		err = walk_globals(w);
	if (!err && w->stopped)
		gr_diag(st->r->snap, "warning", "context",
			"the walk for contexts outside frames stopped at a bound (%d values, %d "
			"elements of one slice, map or channel): contexts only they hold are missing",
			MAX_ITEMS, MAX_ELEMS);
	return err;
}

void gr_cr_finish(struct cf_state *st)
{
	struct gr_ctx *c = st->c;
	uint64_t v;
	// What no root gave: an ancestor of one found, else a registered child.
	for (size_t i = 0; i < c->nctxs; i++) {
		const struct gr_context *x = &c->ctxs[i];
		if (x->parent_addr && gr_ctx_index(c, x->parent_addr, &v) &&
		    !c->ctxs[v].found_in)
			c->ctxs[v].found_in = WH_ANCESTOR + 16; // marked; named below
	}
	for (size_t i = 0; i < c->nctxs; i++) {
		struct gr_context *x = &c->ctxs[i];
		if (x->found_in == WH_ANCESTOR + 16)
			x->found_in = WH_ANCESTOR;
		else if (!x->found_in)
			x->found_in = WH_CHILD;
	}
}

void gr_cr_destroy(struct cf_state *st)
{
	struct gr_cr *w = st->cr;
	if (!w)
		return;
	gr_shapes_deinit(&w->shapes);
	util_u64map_deinit(&w->dyn);
	util_u64map_deinit(&w->seen);
	free(w->queue);
	free(w->roots);
	free(w);
	st->cr = NULL;
}
