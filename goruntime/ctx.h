// SPDX-License-Identifier: Apache-2.0
/* ctx.h: private to goruntime/contexts.c and ctxfind.c — the context
 * decoder's probed layouts, its caches and the vectors it fills. */
#ifndef GOCORONER_GORUNTIME_CTX_H
#define GOCORONER_GORUNTIME_CTX_H

#include "goruntime/internal.h"

enum gr_ctx_kind {
	CK_NONE, CK_BACKGROUND, CK_TODO, CK_EMPTY, CK_CANCEL, CK_TIMER, CK_VALUE,
	CK_WITHOUT, CK_AFTERFUNC, CK_STOP, CK_USER,
};

/** What a runtime type is, as a context (cached per type descriptor). */
struct gr_ctx_type {
	enum gr_ctx_kind kind;
	const char *name;          /* %T name */
	bool direct;               /* data word is the value (pointer-shaped) */
	bool fields_direct;        /* user types: a direct struct value, fields unreadable */
	uint64_t parent_off;       /* user types: a context.Context field, GR_ABSENT if none */
	uint64_t done_off;         /* user types: a chan field, GR_ABSENT if none */
};

/** A key of a cancelCtx's children map (a canceler iface) and whose map it is in. */
struct gr_ctx_key {
	uint64_t parent;           /* the cancelCtx whose map holds the key */
	uint64_t itab, data;       /* the canceler interface */
};

enum {
	GR_CTX_HITS = 4096,        /* slots of gr_ctx.hits, a power of two */
	GR_CTX_TEXTS = 251,        /* slots of gr_ctx.texts */
	GR_CTX_STRS = 1024,        /* slots of gr_ctx.str_ids, a power of two */
};

/** A string's id in gr_ctx.strs (gr_ctx.str_ids). */
struct gr_ctx_strid {
	const char *s;
	uint32_t id;
};

/** A value's text as decode gave it (gr_ctx.texts). */
struct gr_ctx_text {
	uint64_t type, data;       /* the eface; type 0: an empty slot */
	const char *text;          /* NULL: unreadable */
};

/**
 * A context address found in by_addr, and its index (gr_ctx_index); also a
 * slot of by_addr, where addr 0 is an empty slot.
 */
struct gr_ctx_hit {
	uint64_t addr, idx;
};

/**
 * A slot of by_addr: the top half of the address's hash (gr_ctx_slot), and
 * index+1 into gr_ctx.ctxs, whose address is compared when the tags agree;
 * 0 an empty slot. Eight bytes, not an address and an index in sixteen:
 * 16 MiB at 300,000 goroutines, at the contexts pass's peak.
 */
struct gr_ctx_entry {
	uint32_t tag, idx1;
};

/** A context whose children map is to be read (gr_ctx_walk). */
struct gr_ctx_queued {
	size_t idx;                /* into gr_ctx.ctxs */
	uint64_t children;         /* its cancelCtx.children as decoded; GR_ABSENT: not read yet */
};

struct gr_ctx {
	struct gr_reader *r;
	bool ok;                   /* the context layouts were found */
	/* cancelCtx */
	uint64_t cc_size, cc_parent, cc_done, cc_children, cc_err, cc_cause;
	bool err_atomic;           /* err is atomic.Value (1.26+), else an error iface */
	/* timerCtx, afterFuncCtx: the embedded cancelCtx */
	uint64_t tc_cancel, tc_timer, tc_deadline, tc_size;
	uint64_t af_cancel, af_size;
	uint64_t vc_parent, vc_key, vc_val, vc_size;
	uint64_t wc_parent, sc_parent;
	/* timers: time.Timer.r (≤1.22) or runtime.timeTimer.timer (1.23+) */
	uint64_t tm_when, tm_status;
	bool tm_runtime;           /* 1.23+: pending iff when > 0 */
	uint64_t hc_closed, hc_size;
	/* globals */
	uint64_t canceled_data, deadline_type, closedchan, background, todo;
	uint64_t iface_ctx_type;   /* runtime type of context.Context (itab.Inter) */
	struct gr_map_type children_map; /* cancelCtx.children: map[canceler]struct{} */
	/* caches */
	struct util_u64map type_index; /* type descriptor → index+1 into types, 0 (absent) */
	struct gr_ctx_type *types;
	size_t ntypes, types_cap;
	struct util_u64map itabs;      /* itab → its Type, for itabs whose Inter is context.Context */
	/* context addr → index into ctxs: open addressing, linear probing, at
	 * most 3/4 full; each address's tag beside its index, so that a miss
	 * takes one cache miss, and a hit one more, in ctxs */
	struct gr_ctx_entry *by_addr;
	size_t by_addr_cap, by_addr_count;  /* slots (a power of two), used */
	struct gr_ctx_hit hits[GR_CTX_HITS]; /* by_addr's recent hits, by address (gr_ctx_index) */
	struct gr_ctx_text texts[GR_CTX_TEXTS]; /* recent value texts, by (type, data) (value_text) */
	/* output */
	struct gr_strings strs;        /* the contexts' strings (their ids) */
	struct gr_ctx_strid str_ids[GR_CTX_STRS]; /* recent strings' ids, by address (gr_ctx_str) */
	struct gr_context *ctxs;       /* util_grow_mapped's */
	size_t nctxs, ctxs_cap;
	struct gr_context_child *children; /* util_grow_mapped's, as keys */
	size_t nchildren, children_cap;
	struct gr_ctx_queued *walk;    /* contexts whose children are still to be walked */
	size_t nwalk, walk_cap;
	struct gr_ctx_key *keys;       /* children map keys of one round of walks, to sort
					  (util_grow_mapped's: growing in the heap, each array
					  left a hole the heap then grew past) */
	size_t nkeys, keys_cap;
	struct gr_diag_cap diags;      /* gr_ctx_diag's */
	unsigned quiet;                /* >0: gr_ctx_diag records nothing (trial decodes) */
	uint64_t last_region;           /* 64 KiB region of the last context read */
	unsigned far_reads;             /* regions read since core_release_pages */
};

/**
 * Whether ADDR is a context added, and *IDX its index in c->ctxs. A stack
 * holds the few contexts of its goroutine many times over (a debug build's
 * copies: 1.3 million such words on ctxgen's core), and a hit in by_addr
 * takes two cache misses: recent hits are kept in a
 * small table first. Contexts are only ever added, so a hit stays true;
 * misses are not kept.
 */
/** Where by_addr's probe for ADDR starts (before the mask). */
static inline size_t gr_ctx_slot(uint64_t addr)
{
	addr ^= addr >> 33;
	addr *= 0xff51afd7ed558ccdULL;
	return (size_t)(addr ^ addr >> 33);
}

/** Start loading by_addr's slot for ADDR, to be asked about soon (a hint only). */
static inline void gr_ctx_prefetch(const struct gr_ctx *c, uint64_t addr)
{
	if (c->by_addr_cap)
		__builtin_prefetch(&c->by_addr[gr_ctx_slot(addr) & (c->by_addr_cap - 1)]);
}

static inline bool gr_ctx_index(struct gr_ctx *c, uint64_t addr, uint64_t *idx)
{
	struct gr_ctx_hit *h = &c->hits[((addr >> 3) ^ (addr >> 15)) & (GR_CTX_HITS - 1)];
	if (addr && h->addr == addr) {
		*idx = h->idx;
		return true;
	}
	if (!addr || !c->by_addr_cap)
		return false;
	size_t mask = c->by_addr_cap - 1, hash = gr_ctx_slot(addr);
	uint32_t tag = (uint32_t)(hash >> 32);
	for (size_t j = hash & mask; c->by_addr[j].idx1; j = (j + 1) & mask) {
		size_t k = c->by_addr[j].idx1 - 1;
		if (c->by_addr[j].tag == tag && c->ctxs[k].addr == addr) {
			*idx = k;
			*h = (struct gr_ctx_hit){addr, k};
			return true;
		}
	}
	return false;
}

/**
 * The id in c->strs of the string S (interned or static: it is kept), for a
 * gr_context; 0 for NULL. Most are one of a few (type names, "context
 * canceled", a valueCtx's usual keys): those are added once.
 */
static inline uint32_t gr_ctx_str(struct gr_ctx *c, const char *s)
{
	if (!s)
		return 0;
	uintptr_t a = (uintptr_t)s;
	struct gr_ctx_strid *e = &c->str_ids[((a >> 3) ^ (a >> 13)) & (GR_CTX_STRS - 1)];
	if (e->s != s)
		*e = (struct gr_ctx_strid){s, gr_strings_add(&c->strs, s)};
	return e->id;
}

/**
 * Note in by_addr that the context at ADDR (not there yet, not 0) is
 * c->ctxs[IDX], to be stored before the next lookup; those before it are.
 */
struct util_error *gr_ctx_by_addr_put(struct gr_ctx *c, uint64_t addr, size_t idx);

/** Set up r->ctx (probes); errors only for memory. */
struct util_error *gr_ctx_init(struct gr_reader *r);
void gr_ctx_free(struct gr_reader *r);
/**
 * Free what only finding and decoding contexts needs (the address map, the
 * walk's queues, the children once published): 16 MiB and more on ctxgen's
 * core that the cancel sets computed next would otherwise add to.
 */
void gr_ctx_drop_lookups(struct gr_ctx *c);

/**
 * Decode the context object DATA whose dynamic type is the runtime type at
 * TYPE (the eface type word, or itab->Type of an iface), adding it and its
 * ancestors (bounded) to c->ctxs once each. *IS_CONTEXT is false (and
 * nothing is added) when TYPE is not a context type or the object does not
 * validate; *INDEX_RET is its index in c->ctxs. VOUCHED: the caller knows
 * TYPE implements context.Context (it came from a context.Context
 * interface), so a type outside package context is taken as a "user"
 * context. The registered children of what it adds are not read yet:
 * gr_ctx_walk reads them.
 */
struct util_error *gr_ctx_add(struct gr_ctx *c, uint64_t type, uint64_t data, bool vouched,
			      bool *is_context, size_t *index_ret);

/**
 * gr_ctx_add for a value found on a stack by a scan, where no variable
 * vouches that the slot is live: a dead slot may still hold a context that
 * the GC freed, and memory it pointed to (its parent) since reused. A context
 * not known yet is added only if it and every ancestor up to a root or a
 * known context decode; otherwise *IS_CONTEXT is false and nothing is said.
 */
struct util_error *gr_ctx_add_found(struct gr_ctx *c, uint64_t type, uint64_t data, bool vouched,
				    bool *is_context, size_t *index_ret);

/**
 * Read the registered children of every context added since the last call,
 * and theirs, level by level. Each level is read in address order: a busy
 * parent's children lie all over the heap, and taken in map (hash) order
 * each would fault a page of the core in again.
 */
struct util_error *gr_ctx_walk(struct gr_ctx *c);

/** The context type of ITAB (itab.Inter is context.Context); 0 if it is none. */
uint64_t gr_ctx_itab_type(struct gr_ctx *c, uint64_t itab);

/** Stripped: a user context type's parent and Done fields from the fields of
 * its type descriptor TYPE (ctxtypes.c). */
void gr_ctx_desc_fields(struct gr_ctx *c, uint64_t type, struct gr_ctx_type *t);

/** The text of an errors.New error (TYPE *errors.errorString, DATA), its layout
 * from the descriptor (stripped); NULL if it is not one or is unreadable. */
const char *gr_ctx_error_string(struct gr_ctx *c, uint64_t type, uint64_t data);

/** Record a diagnostic (at most 100; gr_diag_capped). */
void gr_ctx_diag(struct gr_ctx *c, const char *severity, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* ---- Finding the contexts goroutines hold (ctxfind.c, ctxscan.c) ---------- */

enum {
	GR_CF_MAX_FIELDS = 2,                /* context fields of one struct variable */
	GR_CF_MAX_SCAN = GR_STACK_COPY_MAX,  /* bytes of one goroutine's stack scanned */
	GR_NCTX_TYPES = 9,
};

/** The DWARF names of package context's own context types. */
extern const char *const gr_ctx_types[GR_NCTX_TYPES];

enum rd_mode { RD_IFACE, RD_PTRCTX, RD_PTRFIELD, RD_WALK };

/* One context to read in a goroutine's frame (offsets from gr_frame_sp(g, frame)). */
struct cf_read {
	uint32_t frame;
	bool innermost;           /* only for a parked goroutine */
	uint8_t mode;
	int64_t off, off2;        /* IFACE: itab and data words; PTR*: the pointer */
	uint64_t field;           /* PTRFIELD: the iface's offset in the pointee */
	uint64_t type;            /* PTRCTX: runtime type of the pointer type; WALK: type DIE */
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
	uint64_t field_off[GR_CF_MAX_FIELDS];
	const char *field_name[GR_CF_MAX_FIELDS];
	bool walk;                /* a pointer, map or chan that may lead to a context (ctxroots.c) */
};

/* Per distinct stack (its frames array): what the scans ask of each frame. */
struct cf_frames {
	bool *self;               /* not runtime, and its function has a context variable */
	int32_t *callee;          /* the callee whose spilled arguments start the frame, or -1 */
	uint64_t *args;           /* bytes of those arguments */
};

struct gr_cr;

struct cf_state {
	struct gr_reader *r;
	struct gr_ctx *c;
	struct gr_per_stack plans;    /* struct cf_plan * by stack */
	struct util_u64map classes;   /* type DIE → index+1 into cls */
	struct cf_class *cls;
	size_t ncls, cls_cap;
	struct util_u64map scan_words; /* itab or type word → 1 (itab) or 2 (type) */
	uint64_t scan_lo, scan_hi;    /* least and greatest key of scan_words */
	uint64_t ctx_lo, ctx_hi;      /* least and greatest context address (pass 3) */
	uint64_t win_lo, win_hi;      /* the window of ctx_pages (pass 3) */
	uint64_t *ctx_pages;          /* bit per 4 KiB page from win_lo's: it holds a context (pass 3) */
	uint64_t *ctx_pages_far;      /* pages holding a context outside the window, ascending (pass 3) */
	size_t nctx_pages_far;
	uint64_t *not_ctx;            /* GR_CTX_HITS words on context pages found no context (pass 3) */
	size_t not_ctx_n;             /* c->nctxs when they were (a context added empties it) */
	struct util_u64map takes;     /* function entry → takes a context parameter */
	struct util_u64map mentions;  /* function entry → has any context variable */
	struct gr_per_stack frame_info; /* struct cf_frames * by stack (ctxscan.c) */
	struct gr_goroutine_context *held; /* util_grow_mapped's */
	size_t nheld, held_cap;
	size_t ndwarf, nscan;
	struct gr_stack_live live;    /* the liveness of the stack words of the goroutine asked about last */
	uint8_t *live_tab;            /* gr_stack_live_table of live's stack, from live_lo (gr_cf_live) */
	size_t live_n, live_cap;      /* words in live_tab; its room */
	uint64_t live_lo;
	const struct gr_goroutine *live_g; /* whose stack live_tab describes; NULL: none */
	uint64_t live_goid;
	/* One goroutine's live stack read whole (gr_cf_stack_image), for the
	 * scans and the marking of its stack objects */
	const struct gr_goroutine *img_g; /* whose; NULL: none */
	uint64_t img_goid, img_lo;
	size_t img_len;               /* bytes in img; 0: not readable whole */
	unsigned char *img;           /* GR_CF_MAX_SCAN bytes */
	uint64_t *live_marks;         /* per goroutine: gr_stack_live_marks once marked, else 0 */
	unsigned char *stack;         /* GR_CF_MAX_SCAN bytes */
	struct gr_cr *cr;             /* the walk from every root (ctxroots.c) */
	struct util_u64map impl;      /* runtime types with a context.Context itab → 1 */
};

/** What the DWARF type DIE holds, as contexts (cached); *RET NULL if unknown. */
struct util_error *gr_cf_classify(struct cf_state *st, uint64_t die, const struct cf_class **ret);
/** A holding (CTX, DEPTH) among G's, from st->held[FIRST] on. */
bool gr_cf_held_already(struct cf_state *st, size_t first, uint64_t ctx, int32_t depth);
/**
 * Record that G's frame DEPTH holds CTX (through variable NAME, NULL from a
 * scan); LIVE: how the stack maps vouch for the word it was read from.
 */
struct util_error *gr_cf_hold(struct cf_state *st, const struct gr_goroutine *g, int32_t depth,
			      const char *name, uint64_t ctx, bool dwarf, enum gr_live live);
/** Whether the word at ADDR of G's stack is live at its frame's pc. */
struct util_error *gr_cf_live(struct cf_state *st, const struct gr_goroutine *g, uint64_t addr,
			      enum gr_live *ret);
/**
 * G's live stack from its innermost sp (aligned down) up to stack.hi, at
 * most GR_CF_MAX_SCAN bytes, read whole once for all the readers of one
 * pass (the copy of a stack is packed: each read of it unpacks); NULL if it
 * cannot be read so, else *LO and *LEN say which bytes it holds.
 */
const unsigned char *gr_cf_stack_image(struct cf_state *st, const struct gr_goroutine *g,
				       uint64_t *lo, size_t *len);
/** LEN bytes at ADDR of G's stack: from its copy when it holds them, else from the core. */
bool gr_cf_stack_read(const struct cf_state *st, const struct gr_goroutine *g, uint64_t addr,
		      void *buf, size_t len);

/**
 * The static context.Context itabs (ctxscan.c): the words that start a
 * context interface value on a stack, and in st->impl the types they name,
 * the user-defined context types among them. Before the DWARF pass.
 */
struct util_error *gr_cf_static_itabs(struct cf_state *st);
/** Add the context itabs the DWARF pass met to the words a stack scan looks for. */
struct util_error *gr_cf_scan_words(struct cf_state *st);
/** Pass 2: scan G's live stack in the frames FRAME_HAS says no variable gave a context. */
struct util_error *gr_cf_scan_stack(struct cf_state *st, const struct gr_goroutine *g,
				    size_t first, const bool *frame_has);
/**
 * Pass 3: bare pointers in G's frames to contexts already validated; the
 * holdings G already has are st->held[FROM[k]..TO[k]) for k < NR.
 */
struct util_error *gr_cf_pointer_scan(struct cf_state *st, const struct gr_goroutine *g,
				      const size_t *from, const size_t *to, size_t nr);

/* ---- User-defined context types (ctxtypes.c) -------------------------------- */

/**
 * The runtime type of the pointer type NAME ("*main.reqCtx") if it is a
 * user-defined type that implements context.Context (a context.Context
 * itab names it, or it has the four methods), else 0.
 */
uint64_t gr_cf_user_ctx_type(struct cf_state *st, const char *name);
/** Whether the context type NAME (DWARF) defines Done itself, not promoted from a field. */
bool gr_ctx_own_done(struct gr_reader *r, const char *name);

/* ---- Contexts from every root (ctxroots.c) --------------------------------- */

struct util_error *gr_cr_init(struct cf_state *st);
void gr_cr_destroy(struct cf_state *st);
/**
 * Whether a frame variable of type DIE (a pointer, map or chan) is worth
 * walking from: it may lead to a context other than through the
 * context.Context fields of the struct it points to (read as "r.ctx").
 */
bool gr_cr_walkable(struct cf_state *st, uint64_t die);
/** G's live frame variable of type DIE holds WORD: walk from it (now, queued). */
struct util_error *gr_cr_frame_root(struct cf_state *st, const struct gr_goroutine *g,
				    uint64_t word, uint64_t die);
/** Walk what the frames queued, then every package variable. */
struct util_error *gr_cr_walk(struct cf_state *st);
/** A frame holds CTX: context.found_in "frame" (its holders are goroutine_context's rows). */
void gr_cr_found_frame(struct cf_state *st, uint64_t ctx);
/** Name where the contexts no root gave were found: ancestor, child. */
void gr_cr_finish(struct cf_state *st);

#endif
