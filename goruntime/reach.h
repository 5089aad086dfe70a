// SPDX-License-Identifier: Apache-2.0
// reach.h: the state of the heap marking (reach.c), private to it and to
// victims.c, which turns its per-goroutine searches into who is stuck
// behind whom; kept apart so that reach.c stays under 800 lines.
#ifndef GORUNTIME_REACH_H
#define GORUNTIME_REACH_H

#include "goruntime/heapbits.h"

enum {
	SCAN_CHUNK = 1 << 16,            /* bytes read at once while scanning */
	MAX_MISSING_DIAGS = 20,          /* diagnostics about unreadable memory, then a count */
	MAX_EDGE_GOROUTINES = 10000000,  /* blocked goroutines whose wakers are searched */
	MAX_EDGE_OBJECTS = 5000000,      /* objects visited over all those searches */
	MAX_STACK_BYTES = 1 << 30,       /* a goroutine stack larger than this is corrupt */
	RELEASE_BYTES = 32 << 20,        /* core bytes read between releases of its pages */
	VICTIM_OBJECTS = 4096,           /* objects one goroutine's victim search may visit */
	VICTIM_TOTAL_OBJECTS = 4000000,  /* objects all victim searches together may visit */
};

enum where { W_HEAP, W_STACK, W_GLOBAL };

/*
 * One object a blocked goroutine waits on (a row of wait_reach), in 48
 * bytes, not 80: goroutines by index, entries' indexes in 32 bits
 * (build_entries refuses more); 15 MB less at 300,000 goroutines.
 */
struct entry {
	uint64_t addr;
	uint64_t obj;              /* W_HEAP: object number; W_STACK: the owner goroutine's index */
	const char *reached_by;    /* "global", "goroutine" or NULL */
	uint32_t gi;               /* the waiting goroutine's index (its goid is the row's) */
	uint32_t next;             /* index+1 of the next entry on the same object, 0 at the end */
	uint32_t addrs, naddrs;    /* the chain's head: its distinct unreached addresses in x->addrs */
	uint32_t via;              /* index+1 of the goroutine that reached it, 0: none */
	uint8_t where;             /* enum where */
};

/* A goroutine's stack range, for the waits on an object inside a stack. */
struct stk {
	uint64_t lo, hi;
	size_t gi;
};

struct reach {
	struct gr_reader *r;
	struct gr_heap h;
	struct gr_heapbits hb;     /* the runtime's pointer bitmaps */
	const char *what;          /* what is being scanned, for the diagnostics */
	uint64_t *mark;            /* bit per object: marked (or excluded: g and sudog objects) */
	uint64_t *is_wait;         /* bit per object: some entry waits on it */
	struct util_u64map wait_obj;   /* object number → index+1 of its first entry */
	struct util_u64map wait_stack; /* owner goroutine index → index+1 of its first stack entry */
	struct entry *entries;
	size_t nentries;
	size_t unreached;          /* entries not reached yet: marking stops at 0 */
	unsigned char *state;      /* per goroutine: 0 can run, 1 blocked, 2 blocked then woken */
	uint32_t *first_entry;     /* per goroutine: index+1 of its first entry (entries by goroutine) */
	size_t *queue, nqueue, queue_cap;    /* goroutines woken, to scan next round */
	size_t *stack, nstack, stack_cap;    /* objects (number) to scan; spans in span_stack */
	size_t *span_stack;
	/* attribution of what the current root reaches */
	const char *cur_by;
	uint32_t cur_via;          /* index+1 of the goroutine scanned, 0 for the globals */
	/* the wake-edge searches: objects visited in the current search */
	bool edges;
	uint64_t *mark2;
	size_t *touched, ntouched, touched_cap;
	size_t edge_goroutine;     /* the blocked goroutine whose stack is searched */
	size_t edge_objects;
	size_t edge_limit;         /* edge_objects at which the current search stops */
	bool edge_cut;             /* the current search stopped there */
	/* the victim searches (gr_victims_find): every goroutine's, past the globals */
	bool victims;
	uint64_t *skip;            /* bit per object not to visit: mark, or gmark for victims */
	uint64_t *gmark;           /* mark as the package variables left it */
	struct gr_victim_edge *vreach;   /* goroutine → object (chain head index) it reaches (mapped) */
	size_t nvreach, vreach_cap;
	struct gr_wait_reacher *reachers;
	size_t nreachers, reachers_cap;
	uint64_t *addrs;           /* per chain head (entry.addrs): its distinct unreached addresses */
	struct stk *stks;          /* sorted by lo */
	size_t nstks;
	uint64_t *glo, *ghi;       /* per goroutine: its stack bounds, 0 when unreadable */
	struct gr_stacks_ahead ahead; /* the searches' stacks, read ahead */
	uint64_t *buf;
	struct gr_stackmaps *maps; /* the code's stack maps (gr_frame_maps) */
	struct gr_stack_live live; /* one goroutine's stack as the collector scans it */
	uint64_t marked_objects, marked_bytes;
	uint64_t since_release;    /* bytes read since the core's pages were last released */
	struct gr_diag_cap missing;  /* memory the marking could not read */
	struct util_error *err;    /* first allocation failure */
	uint64_t g_defer, g_panic; /* runtime.g members that are roots of a runnable goroutine */
	uint64_t *ps, *pwords;     /* runtime.p objects, and their pointer fields' words */
	size_t nps, npwords;
};

/** What find_victims (reach.c) searched, for gr_victims_of_reach. */
struct gr_victim_search {
	bool *cut;                 /* per goroutine: cut short or not searched */
	size_t unsearched;         /* goroutines not searched (past the total, no stack) */
	size_t clipped;            /* goroutines whose search stopped at VICTIM_OBJECTS */
	size_t example;            /* the first of those */
};

/** Whether any wait is on something the package variables do not reach. */
bool gr_victims_wanted(const struct reach *x);
/** X->gmark: what the package variables reach (X->mark after them). */
struct util_error *gr_victims_keep_globals(struct reach *x);
/** The goroutine searched for victims reaches the object of chain HEAD (index+1). */
void gr_victims_reach(struct reach *x, size_t head);
/** The snapshot's blockers from the marking's waits and X->vreach (victims.c). */
struct util_error *gr_victims_of_reach(struct reach *x, const struct gr_victim_search *vs);

#endif
