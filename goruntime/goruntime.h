// SPDX-License-Identifier: Apache-2.0
/* goruntime: rebuild the Go runtime's state from a core — goroutines, their
 * stacks, threads, labels — with every layout probed from the binary's DWARF. */
#ifndef GOCORONER_GORUNTIME_H
#define GOCORONER_GORUNTIME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/core.h"
#include "dwarf/dwarf.h"
#include "util/util.h"

/**
 * One logical frame of a goroutine's stack (inlined calls are frames too).
 * Goroutines with identical stacks share one frame array; what differs
 * between them (the stack pointers) is in gr_goroutine.frame_sp0.
 */
struct gr_frame {
	uint64_t pc;            /**< PC in this frame (return address for callers) */
	const char *func;       /**< "main.(*conn).Read", as Go's traceback prints it */
	const char *file;
	int line;
	bool inlined;           /**< an inlined call inside the next frame's function */
	uint32_t pc_offset;     /**< pc minus the physical function's entry (Go prints "+0x1d") */
	bool wrapper;           /**< a compiler-generated wrapper, elided by Go's default traceback */
};

/**
 * One goroutine, as Go's traceback would describe it. Strings are interned.
 * The small members last, together: a snapshot holds one per goroutine
 * (300,000 on the benchmark's largest core), 192 bytes each with them
 * interleaved, 168 so.
 */
struct gr_goroutine {
	uint64_t g_addr;        /**< address of the runtime.g */
	uint64_t goid;
	const char *status_name;/**< "running", "runnable", "syscall", "waiting", "preempted", "leaked"... */
	const char *wait_reason;/**< "chan receive" (runtime.waitReasonStrings), NULL if none */
	int64_t wait_since_ns;  /**< raw g.waitsince (monotonic ns), 0 if never set */
	int64_t wait_minutes;   /**< estimated minutes waited, -1 if unknown (see gr_snapshot.now_ns) */
	uint64_t creator_goid;  /**< valid if has_creator */
	const char *created_by_func;  /**< function with the go statement (NULL for goroutine 1) */
	const char *created_by_file;
	uint64_t gopc;
	const char *start_func; /**< function at g.startpc */
	const char *labels;     /**< pprof labels as a JSON object text, NULL if none */
	const struct gr_frame *frames; /**< innermost first; shared by identical stacks */
	/**
	 * The SP of each frame's physical frame (parallel to frames), read by
	 * gr_frame_sp: frame_sp0 plus frame_sp_off[i]. A frame's size follows
	 * from its pc, so goroutines with the same stack share the offsets
	 * (NULL when there are no frames): a word per frame each took 11 MB
	 * of ctxgen's 100,008 goroutines.
	 */
	const uint32_t *frame_sp_off;
	uint64_t frame_sp0;
	size_t nframes;
	const char *stack_error;/**< why unwinding stopped early, NULL if it reached the top */
	uint64_t stack_lo, stack_hi; /**< g.stack bounds */
	uint32_t status;        /**< g.atomicstatus with _Gscan masked */
	int created_by_line;
	uint32_t created_by_pc_offset; /**< gopc minus the creator's entry */
	uint32_t thread_id;     /**< OS thread (LWP) running it or in a syscall, 0 if none */
	uint32_t stack_index;   /**< THE definition of "the same stack": goroutines whose frames
				     are equal (pc, func, line and inlined at every depth) share
				     one index and one frames pointer; an empty stack is a stack
				     too. 0-based, below gr_snapshot.nstacks, in unwind order.
				     The store writes one stack row per index it meets. */
	bool has_creator;       /**< creator_goid is known (g.parentGoid, Go 1.21+) */
	bool is_system;         /**< hidden by Go's default traceback (isSystemGoroutine) */
	bool locked;            /**< locked to its thread (g.lockedm != 0) */
};

/** The SP of frame I of G (below g->nframes): that of its physical frame. */
static inline uint64_t gr_frame_sp(const struct gr_goroutine *g, size_t i)
{
	return g->frame_sp0 + g->frame_sp_off[i];
}

/** A channel a goroutine waits on. */
struct gr_channel {
	uint64_t addr;          /**< the runtime.hchan */
	const char *elem_type;  /**< element type as Go names it ("int", "*main.Request"), NULL if unknown */
	uint64_t cap;           /**< dataqsiz (0 for timer channels, as cap() reports) */
	uint64_t len;           /**< qcount (0 for timer channels, as len() reports) */
	bool closed;
	bool is_timer;          /**< hchan.timer != nil: a synchronous timer channel (Go 1.23+) */
	uint32_t send_waiters;  /**< length of sendq */
	uint32_t recv_waiters;  /**< length of recvq */
};

/** One goroutine queued on one channel (a select waits on several). */
struct gr_chan_wait {
	uint64_t goid;
	uint64_t chan_addr;
	bool send;              /**< in the channel's sendq (else its recvq) */
	bool in_select;         /**< sudog.isSelect */
	int32_t queue_pos;      /**< position in that queue, 0 = first; -1 if not found there */
};

/** A goroutine waiting on a sync primitive or a runtime semaphore. */
struct gr_sync_wait {
	uint64_t goid;
	const char *kind;       /**< "sync.Mutex", "sync.RWMutex", "sync.WaitGroup", "sync.Cond", "semaphore" */
	uint64_t addr;          /**< the primitive (the *sync.Mutex...), or the semaphore word */
	uint64_t ctx_addr;      /**< the context whose cancelCtx.mu addr is, 0 if none */
};

/** A deferred call that will run when its frame returns or panics. */
struct gr_defer {
	uint64_t goid;
	uint32_t seq;           /**< order of running: 0 runs first */
	const char *func;       /**< the function that will run, as Go names it */
	int32_t frame_depth;    /**< index in the goroutine's frames of the frame that registered it, -1 if unknown */
	const char *kind;       /**< "open-coded", "stack", "heap", "rangefunc" */
};

/** A panic in progress. */
struct gr_panic {
	uint64_t goid;
	uint32_t seq;           /**< 0 = innermost (most recent) */
	const char *value_type; /**< the value's dynamic type, "string", "*errors.errorString" */
	const char *value_text; /**< the value as Go would print it, NULL if it cannot be rendered */
	bool recovered, aborted, goexit;
};

/** A context.Context object of the process, decoded. */
/** gr_context.kind: what a context is (gr_context_kind_name). */
enum gr_context_kind {
	GR_CTXK_NONE, GR_CTXK_BACKGROUND, GR_CTXK_TODO, GR_CTXK_CANCEL, GR_CTXK_TIMER, GR_CTXK_VALUE,
	GR_CTXK_WITHOUT_CANCEL, GR_CTXK_AFTER_FUNC, GR_CTXK_STOP, GR_CTXK_USER,
};

/**
 * gr_context.found_in: where a context was best found, in order of
 * preference (gr_context_found_in_name): a goroutine's frame variable, a
 * package variable itself, a channel's buffer, a map, the heap (an object
 * reached from a package variable or a frame), else only as the parent of
 * one found, or only in a registered children map.
 */
enum gr_context_found {
	GR_FOUND_NONE, GR_FOUND_FRAME, GR_FOUND_GLOBAL, GR_FOUND_CHAN, GR_FOUND_MAP, GR_FOUND_HEAP,
	GR_FOUND_ANCESTOR, GR_FOUND_CHILD,
};

/** "background", "todo", "cancel", "timer", "value", "withoutCancel", "afterFunc", "stop",
 * "user" (a type outside package context); NULL for GR_CTXK_NONE or out of range. */
const char *gr_context_kind_name(unsigned kind);
/** The kind named NAME (gr_context_kind_name's); GR_CTXK_NONE if none is. */
enum gr_context_kind gr_context_kind_code(const char *name);
/** "frame", "global", "chan buffer", "map", "heap", "ancestor", "child"; NULL for none. */
const char *gr_context_found_in_name(unsigned found_in);

/**
 * Strings by number, 0 standing for NULL: gr_context's strings, four bytes
 * each rather than a pointer's eight (416,613 contexts on ctxgen's core).
 */
struct gr_strings {
	const char **v;           /**< v[0] is NULL; the strings are someone else's (interned) */
	uint32_t n, cap;
	bool failed;              /**< a string could not be added (out of memory) */
};

/** String ID of T (NULL for 0 or an unknown id). */
static inline const char *gr_str(const struct gr_strings *t, uint32_t id)
{
	return id && id < t->n ? t->v[id] : NULL;
}

/** Add S (kept, not copied) to T: its id, 0 for NULL; 0 and t->failed on out of memory. */
uint32_t gr_strings_add(struct gr_strings *t, const char *s);

/**
 * A context.Context object. 64 bytes: its strings are ids into the
 * snapshot's context_strings (gr_str), its kind and where it was found small
 * codes (104 bytes with pointers, 43 MB of ctxgen's 416,613 contexts).
 */
struct gr_context {
	uint64_t addr;            /**< the object (data word of a context.Context interface) */
	uint64_t parent_addr;     /**< the context it wraps, 0 for a root or when unknown */
	uint64_t done_chan;       /**< its Done channel (hchan), 0 if never created or none */
	int64_t deadline_unix_ns; /**< timerCtx deadline as wall-clock Unix nanoseconds */
	/* Strings, as ids (gr_str): */
	uint32_t type_name;       /**< dynamic type as Go names it: "*context.cancelCtx", "*main.myCtx" */
	uint32_t err;             /**< "context canceled", "context deadline exceeded" or a custom
	                               error's text; 0 when not canceled */
	uint32_t cause;           /**< the cause's text (WithCancelCause), 0 if none */
	uint32_t value_key;       /**< valueCtx: the key and value as Go would print them */
	uint32_t value_text;
	/** The package variable, "goroutine N", or the channel ("0x...") it was found from; 0 for frame, ancestor, child. */
	uint32_t found_at;
	uint8_t kind;             /**< enum gr_context_kind */
	uint8_t found_in;         /**< enum gr_context_found, also its rank: 1 = frame */
	bool done_closed;         /**< that channel is closed (or is context.closedchan) */
	bool has_deadline;
	int8_t canceled;          /**< 1 canceled, 0 not, -1 cannot tell (user types) */
	int8_t timer_pending;     /**< timerCtx: 1 its timer is still to fire, 0 not, -1 n/a */
};
_Static_assert(sizeof(struct gr_context) == 64, "a context in a cache line");

/** A canceled context with a state of its own, and where its cancellation started (table context_canceled). */
struct gr_ctx_canceled {
	uint64_t addr;
	uint64_t origin_addr;     /**< the outermost canceled ancestor reached through delegating
				       or canceled contexts; addr itself if none */
	uint32_t origin_steps;    /**< parent steps from addr up to origin_addr */
};

/** A context a canceled one's cancellation should reach (table context_below_canceled). */
struct gr_ctx_below {
	uint64_t seed_addr;       /**< the canceled context (gr_ctx_canceled.addr) the walk began at */
	uint64_t addr;            /**< the context reached; seed_addr itself at depth 0 */
	uint64_t origin_addr;     /**< the seed's origin_addr */
	uint64_t user_addr;       /**< the first user-defined context on the way down, 0 if none */
	const char *kind;         /**< its kind ("user" for a type outside package context) */
	int canceled;             /**< its gr_context.canceled */
	const char *path;         /**< "0xADDR KIND (canceled) > 0xADDR KIND > ..." */
	uint32_t depth;           /**< parent steps down from the seed */
};

/** The canceled contexts and what their cancellation should reach (gr_cancel_sets). */
struct gr_cancel_sets {
	struct gr_ctx_canceled *canceled;
	size_t ncanceled;
	struct gr_ctx_below *below;   /**< seed by seed, each breadth first */
	size_t nbelow;
	bool cut;                     /**< the walks down stopped at their bound (4 million rows) */
};

/**
 * The canceled contexts among the N contexts CTXS (unique addresses, their
 * strings in STRS) and the contexts below each that its cancellation should reach, by the rules of
 * store/schema.sql's context_canceled and context_below_canceled. The arrays
 * and paths are allocated in ARENA. Linear in the contexts and the rows
 * produced, after two sorts.
 */
struct util_error *gr_cancel_sets(const struct gr_context *ctxs, size_t n, const struct gr_strings *strs,
				  struct util_arena *arena, struct gr_cancel_sets *ret);

/** A child registered in a cancelCtx's children map. */
struct gr_context_child {
	uint64_t parent_addr, child_addr;
};

/** A context a goroutine's frame holds. */
struct gr_goroutine_context {
	uint64_t goid;
	int32_t frame_depth;      /**< index in the goroutine's frames, -1 if not tied to a frame */
	const char *var_name;     /**< "ctx", "r.ctx" (path through fields), NULL from a stack scan */
	uint64_t ctx_addr;
	const char *found_by;     /**< "dwarf" (a described variable) or "stack-scan" */
	/**
	 * How the stack maps vouch for the word it was read from:
	 * "dwarf-live", "stack-scan-live" (a live pointer slot, or in a live
	 * stack object, at the frame's pc), "dwarf-unverified",
	 * "stack-scan-unverified" (the frame has no usable maps).
	 */
	const char *evidence;
};

/** What the heap marking of gr_snapshot covered (a heap_scan row). */
struct gr_heap_scan {
	uint64_t spans;           /**< in-use spans read */
	uint64_t objects;         /**< allocated objects in them */
	uint64_t marked_objects, marked_bytes; /**< reached from what can run */
	uint32_t rounds;          /**< 1 + rounds of woken goroutines' stacks */
	bool complete;            /**< no span or marked memory was missing from the core */
	const char *heap_bits;    /**< the runtime's pointer bitmaps read: "headers" (Go 1.22+),
	                               "arena" (1.20-1.21), "arena2" (1.19); NULL: none */
	uint64_t objects_precise;      /**< objects scanned by those bitmaps (noscan ones never are) */
	uint64_t objects_conservative; /**< objects scanned word by word */
	uint64_t global_words_precise;      /**< data and bss words read by their masks */
	uint64_t global_words_conservative; /**< data and bss words read one by one */
};

/** An object a blocked goroutine waits on, and how marking first reached it. */
struct gr_wait_reach {
	uint64_t goid;
	uint64_t obj_addr;        /**< the channel or sync primitive (chan_wait/sync_wait addr) */
	const char *reached_by;   /**< "global", "goroutine" (via_goid's stack), NULL: unreached */
	uint64_t via_goid;
};

/**
 * A blocked goroutine whose own stack reaches an object that blocked
 * goroutines wait on and nothing that can run reaches: were it woken, it
 * could wake them. It may wait on that object itself (the workers of an idle
 * pool all hold the channel they receive on).
 */
struct gr_wait_reacher {
	uint64_t obj_addr;        /**< the object (a gr_wait_reach with reached_by NULL) */
	uint64_t goid;
};

/**
 * A strongly connected component of the wait-for graph among goroutines
 * nothing can wake — goroutine → object it waits on → goroutine that
 * reaches it — with more than one node (gr_wait_graph).
 */
struct gr_wait_component {
	uint32_t id;              /**< 1, 2...: the cycles, then the groups, each in order of
	                               its smallest goid (a cycle's id is its number among cycles) */
	const char *kind;         /**< "cycle": two or more objects, each waited on by a member
	                               and reached by another (a deadlock); "group": one object
	                               that only the goroutines waiting on it reach, or several
	                               that every member waits on (abandoned select loops) */
	uint32_t goroutines, objects;
	uint64_t obj_addr;        /**< a group's object (the smallest); 0 for a cycle */
	uint64_t example_goid;    /**< its smallest goid */
	uint64_t behind_goid;     /**< the smallest goid of a blocked goroutine outside that reaches
	                               one of its objects (it waits behind that one's wait), 0 if none */
};

/** A goroutine of a gr_wait_component. */
struct gr_wait_member {
	uint64_t goid;
	uint32_t component;       /**< gr_wait_component.id */
	uint32_t position;        /**< cycle: its place going round, 0 = the smallest goid;
	                               group: its rank by goid */
	uint64_t obj_addr;        /**< what it waits on in the component (the smallest if several) */
	uint64_t waker_goid;      /**< cycle: the next member round, which reaches obj_addr; group: 0 */
};

/** The components of a wait-for graph, malloc'd (gr_wait_graph). */
struct gr_wait_graph {
	struct gr_wait_component *components;  /**< by id */
	size_t ncomponents;
	struct gr_wait_member *members;        /**< by goid */
	size_t nmembers;
};

/**
 * The components of the wait-for graph of WAITS (every object each blocked
 * goroutine waits on; a goroutine with a reached one is not stuck and left
 * out) and REACHERS, into *OUT, in time linear in their number. Kinds are
 * static strings. gr_wait_graph_deinit frees *OUT.
 */
struct util_error *gr_wait_graph_build(const struct gr_wait_reach *waits, size_t nwaits,
				       const struct gr_wait_reacher *reachers, size_t nreachers,
				       struct gr_wait_graph *out);
void gr_wait_graph_deinit(struct gr_wait_graph *g);

/**
 * A blocked goroutine stuck behind another (gr_victims_find): every
 * goroutine that could release what it waits on is that culprit or stuck
 * behind it, so it cannot move before the culprit does.
 */
struct gr_blocker {
	uint64_t goid;            /**< the victim */
	uint64_t culprit_goid;    /**< the goroutine it is stuck behind, stuck behind nobody */
	uint64_t obj_addr;        /**< the object it waits on (the smallest if several) */
	const char *via;          /**< "mutex", "rwmutex", "waitgroup", "cond", "sema", "chan" */
	uint32_t hops;            /**< 1: the culprit releases obj_addr; 2: a victim of hops 1... */
};

/** Goroutine G (an index) waits on, or reaches, object OBJ (an index). */
struct gr_victim_edge {
	size_t g, obj;
};

/** The input of gr_victims_find: goroutines 0..ngoroutines-1, objects 0..nobjects-1. */
struct gr_victims_in {
	size_t ngoroutines, nobjects;
	/** G waits on OBJ; OBJ >= nobjects: on something anyone may reach (a package variable). */
	const struct gr_victim_edge *waits;
	size_t nwaits;
	/** G's own stack reaches OBJ (through live slots and heap objects). */
	const struct gr_victim_edge *reaches;
	size_t nreaches;
	/** Per goroutine, or NULL: its search was cut short or not made, so it may reach any object. */
	const bool *cut;
};

/**
 * Who each goroutine is stuck behind: CULPRIT[g] the culprit's index or
 * SIZE_MAX (not stuck behind anyone, or not known for sure), HOPS[g] how
 * many waits away (1: the culprit itself releases what g waits on). A
 * goroutine waiting on nothing is its own culprit; one blocked on an object
 * nobody or several independent goroutines could release, too. Linear in
 * goroutines, objects, waits and reaches. CULPRIT and HOPS hold ngoroutines.
 */
struct util_error *gr_victims_find(const struct gr_victims_in *in, size_t *culprit, uint32_t *hops);

/** Something read but not understood; becomes a row of the diagnostic table. */
struct gr_diag {
	const char *severity;   /**< "error", "warning" or "info" */
	const char *what;       /**< short kind, e.g. "unwind", "allgs", "labels" */
	const char *detail;
};

/** Everything rebuilt from one core. All memory lives in the arena. */
struct gr_snapshot {
	struct util_arena arena;
	void **owned;                 /**< blocks malloc'd by a pass, handed over whole (gr_own) */
	size_t nowned, owned_cap;
	struct util_strtab strings;
	const char *go_version;       /**< runtime.buildVersion, e.g. "go1.27.3" */
	const char *build_settings;   /**< .go.buildinfo modinfo text ("" if none) */
	const char *main_path;        /**< main package path from build info */
	int64_t now_ns;               /**< estimated nanotime() at the dump, 0 if unknown */
	const char *now_source;       /**< how now_ns was estimated */
	/** Whether the process's own traceback prints pprof labels in goroutine
	 * headers: runtime.debug.tracebacklabels (1 yes, 0 no; 0 for a release
	 * without it, which never does), -1 if it could not be read. */
	int traceback_labels;
	struct gr_goroutine *goroutines;
	size_t ngoroutines;
	size_t nstacks;               /**< distinct stacks (gr_goroutine.stack_index); an index may
					   belong to no goroutine (one dropped as a repeated goid) */
	struct gr_channel *channels;  /**< every channel in chan_waits, once */
	size_t nchannels;
	struct gr_chan_wait *chan_waits;
	size_t nchan_waits;
	struct gr_sync_wait *sync_waits;
	size_t nsync_waits;
	struct gr_defer *defers;      /**< by goroutine, then seq; NULL once dropped */
	size_t ndefers;
	size_t defers_mapped;         /**< defers is a mapping of this many (util_grow_mapped) */
	struct gr_panic *panics;      /**< by goroutine, then seq */
	size_t npanics;
	struct gr_context *contexts;  /**< every context found, once, parents included */
	size_t ncontexts;
	struct gr_strings context_strings; /**< the contexts' strings (gr_str) */
	size_t contexts_mapped;       /**< contexts is a mapping of this many (util_grow_mapped); 0: not the snapshot's */
	struct gr_context_child *context_children;
	size_t ncontext_children;
	struct gr_goroutine_context *goroutine_contexts;
	size_t ngoroutine_contexts;
	struct gr_cancel_sets cancel_sets; /**< of contexts, with them (contexts_done) */
	bool has_heap_scan;           /**< the heap was read: heap_scan, wait_reaches are valid */
	struct gr_heap_scan heap_scan;
	struct gr_wait_reach *wait_reaches; /**< one per (goroutine, wait object), by goid */
	size_t nwait_reaches;
	struct gr_wait_reacher *wait_reachers; /**< by object, then goid */
	size_t nwait_reachers;
	struct gr_wait_component *wait_components; /**< by id; NULL kinds never */
	size_t nwait_components;
	struct gr_wait_member *wait_members;   /**< by goid */
	size_t nwait_members;
	struct gr_blocker *blockers;           /**< by goid: who is stuck behind whom */
	size_t nblockers;
	struct gr_diag *diags;
	size_t ndiags, diags_cap;
};

/** Options for gr_snapshot_create. */
struct gr_options {
	size_t max_frames;            /**< per goroutine; 0 = default (1024) */
	size_t max_goroutines;        /**< 0 = default (10,000,000) */
	/** Called now and then with (done, total) goroutines; may be NULL. */
	void (*progress)(size_t done, size_t total, void *arg);
	void *progress_arg;
	/**
	 * Called once the goroutines are read, before their defers, contexts
	 * and waits; may be NULL. From then on the snapshot's goroutines (and
	 * what they point to), ngoroutines, go_version, now_ns, now_source,
	 * traceback_labels and build_settings do not change, so another thread
	 * may read them while gr_snapshot_create goes on. Nothing else of the
	 * snapshot may be read before gr_snapshot_create returns.
	 */
	void (*goroutines_done)(const struct gr_snapshot *snap, void *arg);
	void *goroutines_done_arg;
	/**
	 * Called once the defers are read, before the waits; may be NULL.
	 * From then on the snapshot's defers and panics (with their counts) do
	 * not change either, and another thread may read them too
	 * (store_ingest_begin does, with the goroutines), and free the defers
	 * (gr_snapshot_drop_defers).
	 */
	void (*defers_done)(const struct gr_snapshot *snap, void *arg);
	void *defers_done_arg;
	/**
	 * Called once the waits are read, before the contexts; may be NULL.
	 * From then on the snapshot's channels and chan_waits (with their
	 * counts) do not change either, and another thread may read them too
	 * (the defers and panics are that thread's since defers_done). The
	 * sync_waits do not, until contexts_done: their ctx_addr is the
	 * contexts'.
	 */
	void (*waits_done)(const struct gr_snapshot *snap, void *arg);
	void *waits_done_arg;
	/**
	 * Called once the contexts are read, before the heap reachability; may
	 * be NULL. From then on the snapshot's contexts, context_children,
	 * goroutine_contexts, cancel_sets and sync_waits (with their counts) do
	 * not change either, and another thread may read them too.
	 */
	void (*contexts_done)(const struct gr_snapshot *snap, void *arg);
	void *contexts_done_arg;
	/**
	 * Called when gr_snapshot_create fails after goroutines_done was
	 * called, before it frees the snapshot; may be NULL (then nothing may
	 * read the snapshot on another thread). Whatever goroutines_done
	 * started reading it must have stopped when this returns.
	 */
	void (*snapshot_failed)(const struct gr_snapshot *snap, void *arg);
	void *snapshot_failed_arg;
	/** Told as each stage of the snapshot begins; may be NULL. */
	util_stage_fn *stage;
	void *stage_arg;
};

/**
 * Free S's defers (after they are stored: nothing else reads them), and
 * set none; may be called while gr_snapshot_create runs (its writer
 * thread, cli/analyze.c), which reads no defer once it has read them.
 */
void gr_snapshot_drop_defers(struct gr_snapshot *s);

/**
 * Read every live goroutine from runtime.allgs with its stack. Fatal problems
 * (no runtime.allgs, allgs header unreadable, layout probes failing) are
 * errors; problems with single goroutines become diagnostics.
 */
struct util_error *gr_snapshot_create(struct core_file *core, struct dw_binary *bin,
				      const struct gr_options *opts, struct gr_snapshot **ret);
void gr_snapshot_destroy(struct gr_snapshot *s);

/** Go's version string from the executable (runtime.buildVersion, else DW_AT_producer); *RET is malloc'd, the caller frees it. */
struct util_error *gr_go_version(struct dw_binary *bin, const char **ret);

#endif
