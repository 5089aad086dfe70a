/* ctx.h: private to goruntime/contexts.c and ctxfind.c — the context
 * decoder's probed layouts, its caches and the vectors it fills. */
#ifndef GOCORONER_GORUNTIME_CTX_H
#define GOCORONER_GORUNTIME_CTX_H

#include "goruntime/defers.h"

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

struct gr_ctx {
	struct gr_reader *r;
	struct gr_panics *pan;
	bool ok;                   /* the context layouts were found */
	uint64_t types_base;
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
	/* maps */
	bool swiss, map_ok;
	uint64_t hm_count, hm_flags, hm_b, hm_buckets, hm_oldbuckets;
	uint64_t bk_size, bk_keys, bk_keystride, bk_overflow;
	uint64_t sm_used, sm_dirptr, sm_dirlen, st_groups, st_mask;
	uint64_t gp_size, gp_keys, gp_keystride;
	/* caches */
	struct util_u64map type_index; /* type descriptor → index+1 into types, 0 (absent) */
	struct gr_ctx_type *types;
	size_t ntypes, types_cap;
	struct util_u64map itabs;      /* itab → its Type, for itabs whose Inter is context.Context */
	struct util_u64map by_addr;    /* context addr → index into ctxs */
	/* output */
	struct gr_context *ctxs;
	size_t nctxs, ctxs_cap;
	struct gr_context_child *children;
	size_t nchildren, children_cap;
	size_t *walk;                  /* contexts whose children are still to be walked */
	size_t nwalk, walk_cap;
	struct gr_ctx_key *keys;       /* children map keys of one round of walks, to sort */
	size_t nkeys, keys_cap;
	unsigned ndiags;
	unsigned quiet;                /* >0: gr_ctx_diag records nothing (trial decodes) */
	uint64_t last_region;           /* 64 KiB region of the last context read */
	unsigned far_reads;             /* regions read since core_release_pages */
};

/** Set up r->ctx (probes); errors only for memory. */
struct util_error *gr_ctx_init(struct gr_reader *r);
void gr_ctx_free(struct gr_reader *r);

/**
 * gr_context_add with VOUCHED: the caller knows TYPE implements
 * context.Context (it came from a context.Context interface), so a type
 * outside package context is taken as a "user" context. The registered
 * children of what it adds are not read yet: gr_ctx_walk reads them.
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

/** Record a diagnostic (at most 100). */
void gr_ctx_diag(struct gr_ctx *c, const char *severity, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
