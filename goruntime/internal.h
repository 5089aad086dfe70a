/* internal.h: goruntime's private declarations — the probed runtime layout and
 * the reader state shared by the files of this folder. */
#ifndef GOCORONER_GORUNTIME_INTERNAL_H
#define GOCORONER_GORUNTIME_INTERNAL_H

#include "goruntime/goruntime.h"

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
	uint64_t g_sched_sp, g_sched_pc, g_sched_bp;
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

/** One result of the per-PC cache: how to step over a frame and what it shows. */
struct gr_pcinfo {
	const struct dw_func *fn;
	int32_t spdelta;
	bool has_spdelta;
	uint8_t nlocs;
	struct dw_location *locs;  /* logical frames, innermost first */
};

/** The reader: one core, one binary, the probed layout and the caches. */
/** Most bytes of one goroutine's live stack copied (the context scan's own bound). */
#define GR_STACK_COPY_MAX (1u << 20)
/** Most bytes of stack copies in all (address space reserved; memory as used). */
#define GR_STACKS_MAX ((size_t)160 << 20)

/**
 * A copy of the goroutine's live stack [lo, lo + len): the unwinder's start
 * sp up to stack.hi; bytes is packed (stackcopy.c), except for the pending
 * copy, which is the plain bytes in scratch.
 */
struct gr_stack_copy {
	uint64_t lo;
	size_t len;
	const unsigned char *bytes;   /* NULL: no copy (unreadable, or the region was full) */
};

/** The live stacks of the snapshot's goroutines (goruntime/stackcopy.c). */
struct gr_stacks {
	struct gr_stack_copy *by_g;   /* by index in snapshot->goroutines */
	size_t n;
	unsigned char *base;          /* the region the copies are in; NULL: none */
	size_t used, cap;
	struct gr_stack_copy pending; /* the last fill, not yet taken */
	unsigned char *scratch;       /* GR_STACK_COPY_MAX bytes: the last fill */
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
 * Keep the copy the last gr_stacks_fill made as that of G, snapshot
 * goroutine GI; without a call, the next fill reuses its room. The caller
 * unpins it (core_unpin) once the unwinder is done.
 */
void gr_stacks_take(struct gr_stacks *st, size_t gi, const struct gr_goroutine *g);
/** Copy bytes [ADDR, ADDR + LEN) of goroutine GI's copy to BUF; false if the copy does not hold them all. */
bool gr_stacks_read(const struct gr_stacks *st, size_t gi, uint64_t addr, void *buf, size_t len);
void gr_stacks_deinit(struct gr_stacks *st);

struct gr_reader {
	struct core_file *core;
	struct dw_binary *bin;
	struct gr_layout layout;
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
	struct gr_stacks stacks_copy;  /* live stacks, from the goroutines' read to the contexts' */
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
	struct util_u64map plans;    /* pc<<1 | innermost → index into plans_list */
	struct gr_frame_plan **plans_list;
	size_t nplans, plans_cap;
	uint64_t frames_exact, frames_words; /* frames scanned by their maps, word by word */
};

/** What gr_stackmaps_visit reports, to scan. */
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
 * Report the pointer words of G's stack from LO (its innermost SP) to HI
 * (stack.hi): precisely where the stack maps describe a frame, every word
 * where they cannot. EXACT_TOP: the innermost frame stopped at a safe point
 * (parked, in a syscall), not at any instruction (on a CPU).
 */
void gr_stackmaps_visit(struct gr_stackmaps *m, const struct gr_goroutine *g, uint64_t lo,
			uint64_t hi, bool exact_top, const struct gr_stack_visit *v);

/** A distinct frame sequence already stored in the snapshot's arena. */
struct gr_stack_ref {
	const struct gr_frame *frames;
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

/** Record a diagnostic in the snapshot (printf-style detail). */
void gr_diag(struct gr_snapshot *s, const char *severity, const char *what, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/** Intern a string in the snapshot. */
const char *gr_intern(struct gr_snapshot *s, const char *str);

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
	uint64_t stack_lo, stack_hi;
	bool trap;              /* pc is a trapping instruction, not a return address */
};

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
 * The wait-for facts of every goroutine already in r->snap (goruntime/waits.c):
 * the channels they are queued on (from g.waiting and the channels' own
 * queues) and the sync primitives and semaphores they wait on. Problems
 * become diagnostics.
 */
struct util_error *gr_read_waits(struct gr_reader *r);

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
 * Decode the context object DATA whose dynamic type is the runtime type at
 * TYPE_ADDR (the eface type word, or itab->Type of an iface), adding it and
 * its ancestors (bounded) to r->snap->contexts once each. *IS_CONTEXT is
 * false (and nothing is added) when TYPE_ADDR is not a context type or the
 * object does not validate; *INDEX_RET is its index in snap->contexts.
 */
struct util_error *gr_context_add(struct gr_reader *r, uint64_t type_addr, uint64_t data,
				  bool *is_context, size_t *index_ret);

/**
 * Heap reachability (goroutine/heap.c, reach.c), after waits and contexts:
 * sync_waits' ctx_addr, and the heap marking from what can run into
 * heap_scan, wait_reaches and wait_wakers. No usable heap is a diagnostic.
 */
struct util_error *gr_read_reach(struct gr_reader *r);

/** Decode pprof labels at LABELS_PTR into a JSON object text (NULL if none). */
struct util_error *gr_labels_read(struct gr_reader *r, uint64_t labels_ptr, const char **ret);

/** Read a Go string header {ptr, len} at ADDR from the core (len capped at MAX). */
struct util_error *gr_read_gostring(struct gr_reader *r, uint64_t addr, size_t max,
				    const char **ret);

#endif
