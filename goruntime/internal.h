// SPDX-License-Identifier: Apache-2.0
/* internal.h: goruntime's private declarations — the probed runtime layout and
 * the reader state shared by the files of this folder. */
#ifndef GOCORONER_GORUNTIME_INTERNAL_H
#define GOCORONER_GORUNTIME_INTERNAL_H

#include <stdarg.h>
#include <string.h>

#include "goruntime/goruntime.h"


struct gr_reader;

/* ---- The reader's floor (reader.c) ------------------------------------------ */

/** At most this many records in one runtime list (_defer, _panic...): a longer one is garbage or a cycle. */
#define GR_MAX_RECORDS 100000

/** Intern a string in the snapshot. */
const char *gr_intern(struct gr_snapshot *s, const char *str);
/** N elements of SIZE bytes at V, copied into S's arena (room for N + 1); NULL if out of memory. */
void *gr_arena_copy(struct gr_snapshot *s, const void *v, size_t n, size_t size);
/** Make S own block P (malloc'd; freed with S); false, and P freed, if out of memory. */
bool gr_own(struct gr_snapshot *s, void *p);
/** qsort's comparison of uint64_t values (or rows whose first member is one). */
int gr_cmp_u64(const void *a, const void *b);

/** Record a diagnostic in the snapshot (printf-style detail). */
void gr_diag(struct gr_snapshot *s, const char *severity, const char *what, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/**
 * A kind of diagnostic that may repeat without bound (one per channel, span,
 * context...): the first MAX are recorded, the rest counted, and
 * gr_diag_cap_flush says how many were left out. The one policy for every
 * reader of this folder.
 */
struct gr_diag_cap {
	const char *what;          /**< the diagnostic rows' "what" */
	unsigned max;              /**< recorded at most */
	unsigned n;                /**< seen so far */
};

/** The usual cap: enough to see a pattern, not a flood. */
#define GR_DIAG_MAX 100

#define GR_DIAG_CAP(what_, max_) ((struct gr_diag_cap){.what = (what_), .max = (max_)})

void gr_diag_capped(struct gr_snapshot *s, struct gr_diag_cap *c, const char *severity,
		    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
void gr_vdiag_capped(struct gr_snapshot *s, struct gr_diag_cap *c, const char *severity,
		     const char *fmt, va_list ap) __attribute__((format(printf, 4, 0)));
/** One diagnostic saying how many of C's kind were not recorded, if any. */
void gr_diag_cap_flush(struct gr_snapshot *s, struct gr_diag_cap *c);

/**
 * Read LEN bytes at ADDR; when the core does not hold them, a diagnostic of
 * C's kind says WHAT was read and the faulting address (C NULL: a probe,
 * whose failure is expected and says nothing).
 */
bool gr_read(struct gr_reader *r, struct gr_diag_cap *c, uint64_t addr, void *buf, size_t len,
	     const char *what);

/** core_read for a probe, whose failure is an answer, not a problem: only says whether it worked. */
static inline bool gr_read_ok(struct core_file *core, uint64_t addr, void *buf, size_t len)
{
	struct util_error *err = core_read(core, addr, buf, len);
	util_error_destroy(err);
	return !err;
}

/** Read a Go string header {ptr, len} at ADDR from the core (len capped at MAX). */
struct util_error *gr_read_gostring(struct gr_reader *r, uint64_t addr, size_t max,
				    const char **ret);

/** The little-endian word at byte OFF of a buffer read from the core. */
static inline uint64_t gr_rd64(const unsigned char *buf, uint64_t off)
{
	uint64_t v;
	memcpy(&v, buf + off, 8);
	return v;
}

static inline uint32_t gr_rd32(const unsigned char *buf, uint64_t off)
{
	uint32_t v;
	memcpy(&v, buf + off, 4);
	return v;
}

/**
 * Brent's cycle detection over a linked list read from the core: call with
 * each node in turn; true when NODE was seen before. Start with a zeroed
 * struct. Bounded memory, whatever the list.
 */
struct gr_cycle {
	uint64_t saved;
	uint64_t power, steps;
};

static inline bool gr_cycle_step(struct gr_cycle *c, uint64_t node)
{
	if (c->steps && node == c->saved)
		return true;
	if (++c->steps >= c->power) {
		c->power = c->power ? c->power * 2 : 2;
		c->steps = 0;
		c->saved = node;
	}
	return false;
}

/* ---- Layouts (layout.c) ------------------------------------------------------ */

/** Marks an offset the binary's runtime does not have. */
#define GR_ABSENT UINT64_MAX

/**
 * Offsets and sizes of the runtime structures gocoroner reads, all probed
 * from the executable's DWARF by gr_layout_probe (goruntime/layout.c, where
 * each probe names the Go release that changed the layout).
 */
struct gr_layout {
	/* runtime.g */
	uint64_t g_size;
	uint64_t g_stack_lo, g_stack_hi;
	uint64_t g_m;
	uint64_t g_sched_sp, g_sched_pc, g_sched_bp, g_sched_lr;
	uint64_t g_syscallsp, g_syscallpc, g_syscallbp; /* syscallbp: Go 1.23+ */
	uint64_t g_atomicstatus;
	uint64_t g_goid;
	uint64_t g_waitsince;
	uint64_t g_waitreason;
	uint64_t g_lockedm;
	uint64_t g_parent_goid;    /* Go 1.21+ */
	uint64_t g_gopc, g_startpc;
	uint64_t g_labels;
	/* runtime.m */
	uint64_t m_size;
	uint64_t m_g0, m_gsignal, m_curg, m_procid, m_id, m_alllink;
	uint64_t m_vdso_sp, m_vdso_pc;
	/* globals */
	uint64_t allgs_addr;       /* runtime.allgs: slice header */
	uint64_t allm_addr;        /* runtime.allm: *m */
	uint64_t wrs_addr;         /* runtime.waitReasonStrings: [N]string */
	uint64_t wrs_count;
	/* status constants (runtime._G*) */
	int64_t st_running, st_syscall, st_waiting, st_dead, st_leaked, st_deadextra;
	int64_t st_scan;
	const char *status_names[32]; /* indexed by status value */
	/* pprof labels: Go 1.24 replaced map[string]string with a sorted slice */
	bool labels_are_slice;
	uint64_t labels_list;      /* offset of the []label in labelMap (slice form) */
	uint64_t label_size, label_key, label_value;
	uint64_t fing_status_addr; /* runtime.fingStatus, GR_ABSENT if absent */
	int64_t fing_running_finalizer;
};

struct util_error *gr_layout_probe(struct dw_binary *bin, struct gr_layout *l);

/** A stripped executable (dw_binary_is_stripped): find runtime.allm and
 * runtime.allgs by heuristics (stripped.c), each told as a diagnostic. */
struct util_error *gr_stripped_globals(struct gr_reader *r);

/*
 * Probes every reader of this folder asks the binary, each answering "not
 * there" rather than failing: a layout is detected by what the binary has.
 */
/** Offset of MEMBER ("a.b" for nested members) in TYPE; GR_ABSENT when either is missing. */
uint64_t gr_member(struct dw_binary *bin, const char *type, const char *member);
/** gr_member of A, else of B (a member renamed between releases; B may be NULL). */
uint64_t gr_member_any(struct dw_binary *bin, const char *type, const char *a, const char *b);
/** Size of TYPE; 0 when the binary does not describe it. */
uint64_t gr_type_size(struct dw_binary *bin, const char *type);
/** Address of the package variable NAME (DWARF, else the symbol table); 0 if none. */
uint64_t gr_global_addr(struct dw_binary *bin, const char *name);
/** The DW_TAG_constant NAME; DFLT when the binary does not have it. */
int64_t gr_constant_or(struct dw_binary *bin, const char *name, int64_t dflt);

/* ---- Go's types, values and maps (gotypes.c, govalues.c) --------------------- */

/* internal/abi Kind values (1.27 internal/abi/type.go:52-80; 1.19 runtime/typekind.go). */
enum {
	GR_KIND_BOOL = 1, GR_KIND_INT, GR_KIND_INT8, GR_KIND_INT16, GR_KIND_INT32, GR_KIND_INT64,
	GR_KIND_UINT, GR_KIND_UINT8, GR_KIND_UINT16, GR_KIND_UINT32, GR_KIND_UINT64,
	GR_KIND_UINTPTR, GR_KIND_FLOAT32, GR_KIND_FLOAT64, GR_KIND_COMPLEX64, GR_KIND_COMPLEX128,
	GR_KIND_CHAN = 18,
	GR_KIND_STRING = 24,
	GR_KIND_MASK = 0x1f,
};

/** A runtime type descriptor, read. */
struct gr_type {
	const char *name;          /**< as %T prints it ("*http.Request") */
	const char *dwarf;         /**< the DWARF name (full package path), NULL if none */
	uint8_t kind;              /**< abi.Kind; 0 when only DWARF named it */
	bool direct;               /**< values are stored in an interface's data word itself */
};

/** Map header layouts, classic (runtime.hmap, Go ≤ 1.23) or swiss (1.24+). */
struct gr_maps {
	bool ok, swiss;
	uint64_t hm_count, hm_flags, hm_b, hm_buckets, hm_oldbuckets;
	uint64_t sm_used, sm_dirptr, sm_dirlen, st_groups, st_mask;
};

/** One map type's buckets (classic) or groups (swiss). */
struct gr_map_type {
	bool ok;
	uint64_t size;             /**< of a bucket or group */
	uint64_t keys, key_stride, ksize;
	uint64_t elems, elem_stride;
	uint64_t overflow;         /**< classic: the overflow pointer */
};

/** The reader's type metadata (gotypes.c), probed once per snapshot. */
struct gr_types {
	uint64_t moduledata;       /**< runtime.firstmoduledata's address, 0 if unknown */
	uint64_t types, etypes;    /**< moduledata.types/etypes, 0 if unknown */
	bool ok;                   /**< descriptors can be read */
	uint64_t t_tflag, t_kind, t_str, t_read;
	struct gr_maps maps;
	struct util_u64map index;  /**< descriptor → index+1 into cache, 0: unreadable */
	struct gr_type *cache;
	size_t ncache, cache_cap;
	/* govalues.c, probed on first use */
	bool values_probed;
	bool shortest_floats;      /**< the runtime prints floats like strconv 'g' -1 (1.26+) */
	bool nil_error_prefixed;   /**< PanicNilError.Error() has "runtime error: " (1.27+) */
};

/** Probe r->types (descriptor and map layouts); nothing fails, what is missing reads as unknown. */
void gr_types_init(struct gr_reader *r);
void gr_types_deinit(struct gr_types *t);

/** Read LEN bytes of runtime.firstmoduledata's member FIELD; false if unknown. */
bool gr_moduledata_read(struct gr_reader *r, const char *field, void *buf, size_t len);

/** The runtime type descriptor of the DWARF type DWARF_NAME (DW_AT_go_runtime_type); 0 if none. */
uint64_t gr_type_addr(struct gr_reader *r, const char *dwarf_name);

/** The descriptor at ADDR, read once and cached; NULL if neither it nor DWARF names it. */
const struct gr_type *gr_type_read(struct gr_reader *r, uint64_t addr);

/** Its name as %T prints it; NULL if unknown. */
const char *gr_type_name(struct gr_reader *r, uint64_t addr);

/**
 * The value of dynamic type TYPE (a descriptor) whose interface data word is
 * DATA, as the runtime prints a panic value: an error's text for the errors
 * whose Error() is a field, a basic value, TYPE(value) for named basic types,
 * "(TYPE) 0xADDR" otherwise (govalues.c). NULL if unreadable.
 */
const char *gr_value_text(struct gr_reader *r, uint64_t type, uint64_t data);

/**
 * Probe the buckets or groups of one map type: BUCKET and GROUP are the
 * compiler's DWARF names of them (classic and swiss), KSIZE and ESIZE the
 * key and element sizes, used where DWARF does not describe the type.
 */
void gr_map_type_probe(struct gr_reader *r, const char *bucket, const char *group, uint64_t ksize,
		       uint64_t esize, struct gr_map_type *mt);

/** Called for each entry: the key's address and bytes, the element's address. */
typedef struct util_error *gr_map_fn(void *arg, uint64_t key_addr, const unsigned char *key,
				     uint64_t elem_addr);

/**
 * Call FN for each entry of the map whose header is at M, at most *BUDGET
 * entries (decremented). Unreadable buckets are skipped and the first such
 * fault returned at the end; FN's error stops the walk.
 */
struct util_error *gr_map_each(struct gr_reader *r, const struct gr_map_type *mt, uint64_t m,
			       size_t *budget, gr_map_fn *fn, void *arg);

/** One result of the per-PC cache: how to step over a frame and what it shows. */
struct gr_pcinfo {
	const struct dw_func *fn;
	int32_t spdelta;
	bool has_spdelta;
	uint8_t nlocs;
	struct dw_location *locs;  /* logical frames, innermost first */
};

/** Most bytes of one goroutine's live stack copied (the context scan's own bound). */
#define GR_STACK_COPY_MAX (1u << 20)
/** Most bytes of stack copies in all (address space reserved; memory as used). */
#define GR_STACKS_MAX ((size_t)160 << 20)

/**
 * A copy of the goroutine's live stack [lo, lo + len): the unwinder's start
 * sp up to stack.hi; bytes is packed (stackcopy.c), except for the pending
 * and the prefetched copies, which are plain bytes (in scratch or prebuf).
 */
struct gr_stack_copy {
	uint64_t lo;
	size_t len;
	const unsigned char *bytes;   /* NULL: no copy (unreadable, or the region was full) */
};

/** Most bytes of stack templates (struct gr_stack_tmpl) in all. */
#define GR_STACK_TMPLS_MAX ((size_t)16 << 20)

/**
 * The live stack of the first goroutine copied with a given stack (its
 * stack_index), plain: the copies of the others keep only the words that
 * differ from it (stackcopy.c).
 */
struct gr_stack_tmpl {
	uint64_t lo;                  /* its copy's lo */
	size_t nwords;
	uint64_t *words;              /* NULL: none for this stack */
};

/** The words of the copy read last (gr_stacks_read). */
struct gr_stack_decoded {
	size_t gi;                    /* its goroutine; SIZE_MAX: none */
	uint64_t *words;              /* GR_STACK_COPY_MAX bytes */
};

/** The live stacks of the snapshot's goroutines (goruntime/stackcopy.c). */
struct gr_stacks {
	struct gr_stack_copy *by_g;   /* by index in snapshot->goroutines */
	size_t n;
	struct gr_stack_tmpl *tmpls;  /* by stack_index */
	size_t ntmpls, tmpls_cap, tmpl_bytes;
	struct gr_stack_decoded *dec; /* apart: written by gr_stacks_read, which is given a const */
	unsigned char *base;          /* the region the copies are in; NULL: none */
	size_t used, cap;
	struct gr_stack_copy pending; /* the last fill, not yet taken */
	unsigned char *scratch;       /* GR_STACK_COPY_MAX bytes: the last fill */
	/* The stacks of the goroutines being read, read ahead (gr_stacks_prefetch). */
	struct gr_stack_copy *pre;    /* by slot; plain bytes in prebuf; NULL bytes: not read */
	size_t npre;                  /* slots in pre */
	size_t next;                  /* the slot the next fill is for; SIZE_MAX: none */
	unsigned char *prebuf;        /* GR_STACK_PREFETCH_MAX bytes */
	struct core_batch_read *batch;/* npre reads */
};

/** Most bytes of live stacks read ahead at once (gr_stacks_prefetch). */
#define GR_STACK_PREFETCH_MAX ((size_t)16 << 20)
/** A live stack to read ahead: [sp, hi) as gr_stacks_fill would be asked; sp 0: none. */
struct gr_stack_want {
	uint64_t sp, hi;
};

void gr_stacks_init(struct gr_stacks *st);
/** Make room for NGOROUTINES copies; without memory for them, gr_stacks_read says false. */
void gr_stacks_reserve(struct gr_stacks *st, size_t ngoroutines);
/**
 * Copy the live stack [SP, HI) of the goroutine about to be unwound, if the
 * core holds it all and it fits, and pin it (core_pin) for the unwinder.
 */
void gr_stacks_fill(struct gr_stacks *st, struct core_file *core, uint64_t sp, uint64_t hi);
/**
 * Read the N live stacks WANT (a chunk of goroutines about to be read, by
 * slot) in one go (core_read_batch): in address order and with few system
 * calls, where one fill each reads them in the order of runtime.allgs. What
 * is not read ahead (no memory, not all in the core, past
 * GR_STACK_PREFETCH_MAX) is read by its fill as before.
 */
void gr_stacks_prefetch(struct gr_stacks *st, struct core_file *core,
			const struct gr_stack_want *want, size_t n);
/** The next gr_stacks_fill is that of slot SLOT of the last gr_stacks_prefetch. */
void gr_stacks_next(struct gr_stacks *st, size_t slot);
/** Free what gr_stacks_prefetch holds, once the goroutines are read. */
void gr_stacks_prefetch_done(struct gr_stacks *st);
/**
 * Live stacks read ahead for a pass that scans the goroutines' stacks in
 * snapshot order once the copies are gone (reach.c's searches), so that
 * their pages are not each a page cache miss: GR_STACK_AHEAD goroutines'
 * at a time, with core_read_batch, and lent to the core reader one at a time.
 */
struct gr_stacks_ahead {
	size_t first, n;                /* the goroutines read ahead: [first, first + n) */
	struct gr_stack_copy *pre;      /* by goroutine - first; plain bytes; NULL: not read */
	struct core_batch_read *batch;  /* GR_STACK_AHEAD reads */
	unsigned char *buf;             /* GR_STACK_PREFETCH_MAX bytes */
	unsigned char *scratch;         /* GR_STACK_COPY_MAX bytes: the batch's groups */
};
enum { GR_STACK_AHEAD = 4096 };

void gr_stacks_ahead_init(struct gr_stacks_ahead *a);
/**
 * Pin (core_pin) goroutine GI's live stack, from its innermost frame's SP
 * (LO[GI] if none) to HI[GI] (0: none), as the scan will read it; if GI is
 * not among those read ahead, read the next GR_STACK_AHEAD first. Without
 * memory, or where a stack is not in the core, nothing is pinned and the
 * scan reads the core as it would have. The caller unpins.
 */
void gr_stacks_ahead_pin(struct gr_stacks_ahead *a, const struct gr_reader *r, size_t gi,
			 const uint64_t *lo, const uint64_t *hi);
void gr_stacks_ahead_deinit(struct gr_stacks_ahead *a);
/**
 * Keep the copy the last gr_stacks_fill made as that of G, snapshot
 * goroutine GI; without a call, the next fill reuses its room. The caller
 * unpins it (core_unpin) once the unwinder is done.
 */
void gr_stacks_take(struct gr_stacks *st, size_t gi, const struct gr_goroutine *g);
/**
 * Bytes [ADDR, ADDR + LEN) as G (one of the snapshot's goroutines) sees
 * them: from the copy of its live stack while the copies last
 * (gr_read_contexts is their last reader), a member of its runtime.g from what
 * its read kept (gr_g_word), else from the core; false if none has them.
 */
bool gr_read_stack(const struct gr_reader *r, const struct gr_goroutine *g, uint64_t addr,
		   void *buf, size_t len);
/**
 * The 8-byte member at offset OFF of G's runtime.g (G one of the snapshot's
 * goroutines): from what the goroutines' read kept when OFF is one it kept
 * (enum gr_gword), else read from the core.
 */
struct util_error *gr_g_word(const struct gr_reader *r, const struct gr_goroutine *g, uint64_t off,
			     uint64_t *ret);
/** Copy bytes [ADDR, ADDR + LEN) of goroutine GI's copy to BUF; false if the copy does not hold them all. */
bool gr_stacks_read(const struct gr_stacks *st, size_t gi, uint64_t addr, void *buf, size_t len);
void gr_stacks_deinit(struct gr_stacks *st);

/**
 * The members of runtime.g that passes after the goroutines' read ask for,
 * kept from that read (gr_g_word): each g lies on a page of its own as often
 * as not, and each pass reading them again read 100,000 pages of ctxgen's core.
 */
enum gr_gword {
	GR_GW_DEFER,    /* g._defer */
	GR_GW_PANIC,    /* g._panic */
	GR_GW_WAITING,  /* g.waiting */
	GR_GW_STACK_HI, /* g.stack.hi */
	GR_GW_COUNT,
};

/** The reader: one core, one binary, the probed layout and the caches. */
struct gr_reader {
	struct core_file *core;
	struct dw_binary *bin;
	struct gr_layout layout;
	struct gr_types types;         /* Go's type metadata (gotypes.c) */
	struct gr_map_type labels_map; /* map[string]string of pprof labels (Go ≤ 1.23) */
	bool labels_map_probed;
	struct gr_snapshot *snap;
	struct util_u64map pc_cache;   /* (pc<<1 | trap) → index into pcinfos */
	struct util_u64map stacks;     /* hash of a frame sequence → index into stack_list */
	struct gr_stack_ref *stack_list;
	size_t nstack_list, stack_list_cap;
	struct gr_pcinfo *pcinfos;
	size_t npcinfos, pcinfos_cap;
	struct util_u64map m_by_addr;  /* m address → index into ms */
	struct gr_m *ms;
	size_t nms;
	const struct dw_func *fn_sigtramp, *fn_sigpanic, *fn_async_preempt, *fn_debug_call;
	const struct dw_func *fn_systemstack_switch;
	size_t max_frames;
	struct gr_ctx *ctx;            /* context decoder state (ctx.h), during gr_read_contexts */
	uint64_t *sudog_addrs;         /* every sudog gr_read_waits read: never traced by gr_read_reach */
	size_t nsudog_addrs, sudog_addrs_cap;
	struct gr_stacks stacks_copy;  /* live stacks, from the goroutines' read to the defers' */
	uint64_t gw_off[GR_GW_COUNT];  /* runtime.g members kept (enum gr_gword); GR_ABSENT: none */
	uint64_t *gwords;              /* by goroutine index, GR_GW_COUNT each; NULL: none kept */
	struct gr_stackmaps *frame_maps; /* the frame-variable readers' stack maps (gr_frame_maps) */
	struct gr_start_fn {            /* g.startpc's function and isSystemGoroutine, by (pc >> 4) % 64 */
		uint64_t pc;            /* 0: none */
		const struct dw_func *fn;
		bool is_system;
	} start_fns[64];
	size_t dead_vars;              /* frame variables dead at their frame's pc, not followed */
};

/**
 * The stack maps of the binary (stackmap.c): which stack words hold live
 * pointers at each safe point, for the heap marking of reach.c.
 */
struct gr_stackmaps {
	struct gr_reader *r;
	bool ok;                     /* the binary's maps can be read (layouts probed) */
	uint32_t pcdata_stackmap;    /* PCDATA_StackMapIndex */
	int fd_args, fd_locals, fd_objects; /* FUNCDATA_ indexes */
	uint64_t sm_n, sm_nbit, sm_data;    /* runtime.stackmap member offsets */
	uint64_t rec_size, rec_off, rec_sz; /* runtime.stackObjectRecord size, off, size */
	uint64_t rec_ptr, rec_gcdata; /* its ptrBytes (_ptrdata) and gcdataoff; GR_ABSENT if unknown */
	uint64_t rodata;             /* moduledata.rodata: the objects' masks are at rodata + gcdataoff */
	uint64_t g_defer, g_panic, d_fn, d_link; /* g._defer, g._panic, _defer.fn, .link; GR_ABSENT if unknown */
	struct util_u64map plans;    /* pc<<1 | innermost → index into plans_list */
	/* What each frame's pc says in gr_stack_live_of, per distinct stack:
	 * its frames array → index into pcs (the count of frames, then each) */
	struct util_u64map stacks;
	struct gr_live_pc *pcs;
	size_t npcs, pcs_cap;
	struct gr_frame_plan **plans_list;
	size_t nplans, plans_cap;
	uint64_t frames_exact, frames_words; /* frames scanned by their maps, word by word */
};

/** What gr_stack_live_visit (and heapbits.c) report, to scan. */
struct gr_stack_visit {
	/** Every aligned word of [LO, HI) may be a pointer. */
	void (*words)(void *arg, uint64_t lo, uint64_t hi);
	/** Word k of BASE holds a pointer if bit k of BITMAP is set (NBIT bits). */
	void (*bits)(void *arg, uint64_t base, const uint8_t *bitmap, uint32_t nbit);
	void *arg;
};

void gr_stackmaps_init(struct gr_stackmaps *m, struct gr_reader *r);
void gr_stackmaps_deinit(struct gr_stackmaps *m);
/**
 * Whether a word of a goroutine's stack holds a live value at its frame's
 * pc, by the stack maps (stackmap.c): the rule for trusting a frame
 * variable (and what is read through it).
 */
enum gr_live {
	GR_LIVE_UNVERIFIED,   /**< its frame has no usable maps: kept, but not vouched for */
	GR_LIVE_DEAD,         /**< the maps say no live pointer is there */
	GR_LIVE_YES,          /**< a live pointer slot, or in a stack object the collector would mark */
};

/** One physical frame of the stack gr_stack_live describes. */
struct gr_live_frame {
	uint64_t lo, hi;             /**< its words: [sp, the caller's sp) */
	bool verified;               /**< stopped at a safe point, maps usable and consistent */
	uint64_t locals, args;       /**< first word the locals and args bitmaps describe */
	uint32_t locals_nbit, args_nbit;
	const uint8_t *locals_bits, *args_bits;
	uint64_t args_end;           /**< !verified: end of its arguments, in the caller's frame */
};

/** A stack object of a verified frame. */
struct gr_live_object {
	uint64_t base, size;
	uint64_t ptrbytes;           /**< words below it may hold pointers */
	const uint8_t *mask;         /**< bit k: word k is a pointer; NULL: every word below ptrbytes */
	bool marked;                 /**< reached as the collector reaches stack objects */
};

/**
 * The liveness of one goroutine's stack words at a time (gr_stack_live_of
 * switches goroutines). Its stack objects are marked on the first question
 * about a word inside one.
 */
struct gr_stack_live {
	struct gr_stackmaps *m;
	const struct gr_goroutine *g;  /**< whose stack is described; NULL: none yet */
	uint64_t goid;
	uint64_t g_addr;               /**< its runtime.g, for the defer and panic roots; 0: none */
	uint64_t lo, hi;               /**< the innermost frame's sp, stack.hi */
	struct gr_live_frame *frames;
	size_t nframes, frames_cap;
	struct gr_live_object *objs;
	size_t nobjs, objs_cap;
	bool marked;                   /**< objs[].marked are set */
	uint64_t *ptrs;                /**< marking's worklist */
	size_t nptrs, ptrs_cap;
	/** Read LEN bytes at ADDR of G's stack (or memory it points to); false if unreadable. */
	bool (*read)(void *arg, const struct gr_goroutine *g, uint64_t addr, void *buf, size_t len);
	void *read_arg;
};

void gr_stack_live_init(struct gr_stack_live *l, struct gr_stackmaps *m,
			bool (*read)(void *arg, const struct gr_goroutine *g, uint64_t addr,
				     void *buf, size_t len),
			void *arg);
void gr_stack_live_deinit(struct gr_stack_live *l);
/** A gr_stack_live reader: gr_read_stack; ARG is the gr_reader. */
bool gr_stack_read_core(void *arg, const struct gr_goroutine *g, uint64_t addr, void *buf, size_t len);
/**
 * Describe G's stack (nothing to do if it is the one described). EXACT_TOP:
 * its innermost frame stopped at a safe point (parked, in a syscall). Frames
 * after a trap, without usable maps, or whose maps disagree with the unwind
 * (and those above) are unverified. Errors only for memory.
 */
struct util_error *gr_stack_live_of(struct gr_stack_live *l, const struct gr_goroutine *g,
				    bool exact_top);
/**
 * Report the pointer words of the stack described, as Go's collector scans
 * it: the live slots of each frame the maps describe, every word of the
 * others, and the stack objects the collector would scan (reached from a
 * live slot, a frame without maps, a defer or panic record, or another such
 * object), each by its pointer mask. [LO, HI): the stack's words from its
 * innermost SP, read word by word when no frame is described.
 */
void gr_stack_live_visit(struct gr_stack_live *l, uint64_t lo, uint64_t hi,
			 const struct gr_stack_visit *v);
/** The liveness of the 8-byte word at ADDR of the stack described. */
enum gr_live gr_stack_live_word(struct gr_stack_live *l, uint64_t addr);

/** What gr_stack_live_table says of a word (flags). */
enum {
	GR_LIVE_T_YES = 1,        /**< a live slot of a frame's maps: GR_LIVE_YES */
	GR_LIVE_T_UNVERIFIED = 2, /**< in a frame without usable maps, or its arguments */
	GR_LIVE_T_FRAME = 4,      /**< in a frame */
	GR_LIVE_T_OBJECT = 8,     /**< in a stack object: live if marked (gr_stack_live_word) */
};
/**
 * What gr_stack_live_word would say of each of the N words at LO, LO + 8...
 * of the stack described, as flags in T[0..N), for a reader that asks about
 * many words of each stack: a word with GR_LIVE_T_YES is GR_LIVE_YES; one
 * with GR_LIVE_T_OBJECT (and not YES) is for gr_stack_live_word, which
 * marks the stack objects when first asked; any other is GR_LIVE_UNVERIFIED
 * when UNVERIFIED is set or FRAME is not, else GR_LIVE_DEAD.
 */
void gr_stack_live_table(const struct gr_stack_live *l, uint64_t lo, size_t n, uint8_t *t);
/**
 * The marks of the stack objects of the stack described, to give back with
 * gr_stack_live_set_marks when the same stack is described again (the
 * marking reads the stack): bit k for object k, bit 63 set; 0 if the
 * objects are not marked yet or more than 63.
 */
uint64_t gr_stack_live_marks(const struct gr_stack_live *l);
/** Take MARKS (gr_stack_live_marks of the same goroutine's stack) as the objects' marks. */
void gr_stack_live_set_marks(struct gr_stack_live *l, uint64_t marks);

/** A distinct frame sequence already stored in the snapshot's arena. */
struct gr_stack_ref {
	const struct gr_frame *frames;
	const uint32_t *sp_off;  /* the first goroutine's gr_goroutine.frame_sp_off, to share */
	size_t nframes;
	uint64_t next;  /* index+1 of the next stack with the same hash, 0 at the end */
};

/** An M (OS thread) of the process and the core thread it maps to. */
struct gr_m {
	uint64_t addr;
	uint64_t curg, g0, gsignal;
	uint64_t procid;
	int64_t id;
	uint64_t vdso_sp, vdso_pc;
	const struct core_thread *thread; /* NULL if no thread in the core has that tid */
};


/**
 * Information for one PC, cached. TRAP says PC is a trapping instruction (or
 * the entry of a function not yet running), looked up as is; otherwise it is a
 * return address and its line is that of the CALL, one byte back.
 */
struct util_error *gr_pcinfo_get(struct gr_reader *r, uint64_t pc, bool trap,
				 const struct gr_pcinfo **ret);

/** Where to start unwinding a goroutine. */
struct gr_unwind_start {
	uint64_t pc, sp, bp;
	uint64_t lr;            /* arm64's link register; 0 if unknown */
	uint64_t stack_lo, stack_hi;
	bool trap;              /* pc is a trapping instruction, not a return address */
};

/* *LR := the return address of the frame [SP, FP): on amd64 at FP - 8; on arm64
 * at 0(SP), or *LR (the link register) for an INNERMOST frame not made yet. */
struct util_error *gr_unwind_step(struct gr_reader *r, uint64_t sp, uint64_t fp, bool innermost,
				  uint64_t *lr);
/* arm64, at the frame a sigpanic or asyncPreempt was injected into (*PC, *SP its fp):
 * pop the LR the signal handler saved, into *LR if that frame is not made yet. */
struct util_error *gr_unwind_injected_lr(struct gr_reader *r, uint64_t *pc, uint64_t *sp,
					 uint64_t *lr);

/** Look up the runtime functions the unwinder treats specially (unwind.c). */
void gr_unwind_init(struct gr_reader *r);

/**
 * A function whose frame was entered by a trap or an injected call, not by a
 * CALL (sigpanic, asyncPreempt, debugCallV2, sigtramp): the frame below it
 * has no return address to look up as a call site.
 */
bool gr_unwind_is_trap(const struct gr_reader *r, const struct dw_func *f);

/** Unwind a goroutine's stack into g->frames. Problems go to g->stack_error. */
struct util_error *gr_unwind(struct gr_reader *r, struct gr_goroutine *g,
			     const struct gr_unwind_start *start);

/**
 * For a thread stopped inside a signal handler, find the context the signal
 * interrupted: unwind the signal stack [LO, HI) from the thread's registers to
 * runtime.sigtramp and read the ucontext above it. *FOUND is false when the
 * thread is not in a handler.
 */
struct util_error *gr_signal_context(struct gr_reader *r, const struct core_thread *t,
				     uint64_t lo, uint64_t hi, struct gr_unwind_start *ret,
				     bool *found);

/**
 * Read every live goroutine of runtime.allgs into r->snap, its stack unwound
 * and copied (goroutines.c); the Ms first, to find running goroutines'
 * threads. Then estimate the dump's time and each wait's length.
 */
struct util_error *gr_read_goroutines(struct gr_reader *r, const struct gr_options *opts);

/** G is parked: waiting, or leaked (Go 1.26+) — the one definition every reader uses. */
bool gr_goroutine_parked(const struct gr_reader *r, const struct gr_goroutine *g);
/** G was on a CPU: its innermost frame stopped at any instruction, not at a safe point. */
bool gr_goroutine_running(const struct gr_reader *r, const struct gr_goroutine *g);

/**
 * The wait-for facts of every goroutine already in r->snap (goruntime/waits.c):
 * the channels they are queued on (from g.waiting and the channels' own
 * queues) and the sync primitives and semaphores they wait on. Problems
 * become diagnostics.
 */
struct util_error *gr_read_waits(struct gr_reader *r);

/**
 * Once the waits and the contexts are read: the context whose mutex each
 * sync wait is on (gr_sync_wait.ctx_addr; goruntime/waits.c).
 */
struct util_error *gr_waits_context_locks(struct gr_reader *r);

/**
 * Pending deferred calls and panics in progress of every goroutine in r->snap
 * (goruntime/defers.c): _defer records, open-coded defers of each frame,
 * g._panic. Problems become diagnostics.
 */
struct util_error *gr_read_defers(struct gr_reader *r);

/** A variable DWARF locates in one physical frame of a goroutine. */
struct gr_frame_var {
	size_t frame;              /**< index in g->frames of the physical frame */
	bool innermost;            /**< the goroutine's innermost physical frame */
	const struct dw_func *fn;
	const struct dw_var *var;
	struct dw_var_loc loc;     /**< at the frame's pc (the CALL, for a return address) */
	int64_t cfa_off;           /**< CFA minus the frame's SP: loc offsets are from the CFA */
};

/**
 * One value per distinct stack of the snapshot (gr_goroutine.stack_index,
 * the one definition of "the same stack"): what the frame-variable readers
 * work out once per stack, not once per goroutine (framevars.c).
 */
struct gr_per_stack {
	void **v;
	size_t n;
};

struct util_error *gr_per_stack_init(struct gr_per_stack *p, const struct gr_snapshot *s);
/** Fill VALUE (zeroed) for G's stack. */
typedef struct util_error *gr_per_stack_fn(void *arg, const struct gr_goroutine *g, void *value);
/**
 * *RET: the value of G's stack, SIZE bytes made by MAKE(ARG, G, value) the
 * first time the stack is seen; an error for a stack_index out of range.
 */
struct util_error *gr_per_stack_get(struct gr_per_stack *p, const struct gr_goroutine *g,
				    size_t size, gr_per_stack_fn *make, void *arg, void **ret);
/** Free every value set with FREE_FN, then the slots. */
void gr_per_stack_deinit(struct gr_per_stack *p, void (*free_fn)(void *));

/**
 * The stack maps the frame-variable readers share (r->frame_maps, made on
 * first use, freed with the reader): a variable DWARF locates is trusted
 * only if the word holding its pointer is live at the frame's pc
 * (gr_stack_live_word). Errors only for memory.
 */
struct util_error *gr_frame_maps(struct gr_reader *r, struct gr_stackmaps **ret);
void gr_frame_maps_free(struct gr_reader *r);

/** The piece of LOC holding the 8 bytes at byte OFF of the value, as a CFA offset; false if none or unavailable. */
bool gr_frame_var_word(const struct dw_var_loc *loc, uint64_t off, int64_t *cfa_off);

/**
 * Walk the variables of G's physical frames (goruntime/framevars.c): for each
 * frame stopped at a call (a frame a signal or an injected call interrupted
 * has no return address to look up), each variable WANT accepts whose
 * location DWARF gives at that pc is handed to FN. Unreadable DWARF for one
 * variable skips it.
 */
struct util_error *gr_frame_vars_each(struct gr_reader *r, const struct gr_goroutine *g,
				      struct util_error *(*want)(void *arg, const struct dw_func_vars *fv,
								 const struct dw_var *v, bool *yes),
				      struct util_error *(*fn)(void *arg, const struct gr_frame_var *fv),
				      void *arg);

/**
 * Contexts (goruntime/contexts.c and ctxfind.c): find the context.Context
 * values every goroutine's frames hold — described variables first, a scan of
 * the live stack for context type words where DWARF has no location — decode
 * them and their ancestors into r->snap->contexts, their registered children
 * into context_children, and the holdings into goroutine_contexts.
 */
struct util_error *gr_read_contexts(struct gr_reader *r);

/**
 * Heap reachability (goruntime/heap.c, reach.c), after waits and contexts:
 * the heap marking from what can run into
 * heap_scan, wait_reaches, wait_reachers and the wait-for graph's components
 * (waitgraph.c). No usable heap is a diagnostic.
 */
struct util_error *gr_read_reach(struct gr_reader *r);

/** Decode pprof labels at LABELS_PTR into a JSON object text (NULL if none). */
struct util_error *gr_labels_read(struct gr_reader *r, uint64_t labels_ptr, const char **ret);

/**
 * A valueCtx's key and value (KV: the key's type and data words, the
 * value's) when the key is one of the standard library's that prints badly
 * as a value: pprof.WithLabels' (key "pprof labels", value the labels as
 * JSON) and net/http's contextKeys (key as their String() says; *VAL left
 * alone). False, *KEY and *VAL untouched, for any other key.
 */
bool gr_ctx_std_value(struct gr_reader *r, const uint64_t kv[4], const char **key,
		      const char **val);


#endif
