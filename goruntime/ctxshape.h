// SPDX-License-Identifier: Apache-2.0
/* ctxshape.h: private to goruntime/ctxroots.c and ctxshape.c — the types
 * the walk for contexts meets, and whether a value of each can lead to one. */
#ifndef GOCORONER_GORUNTIME_CTXSHAPE_H
#define GOCORONER_GORUNTIME_CTXSHAPE_H

#include "goruntime/ctx.h"

/* A type's shape and what walking it can lead to, cached per DIE. */
struct shape {
	struct dw_type_shape s;
	int8_t leads;              /* 1 can lead to a context, 0 cannot, -1 being worked
	                              out, -3 not known yet */
	int8_t ctx_iface;          /* the type is context.Context */
	uint64_t ctx_type;         /* a pointer type that implements it: its runtime type */
	uint16_t nmembers;
	struct dw_struct_member *members; /* the struct's members that lead somewhere */
	struct gr_map_type *map;   /* a map type's buckets, probed on first use */
	uint64_t esize, ksize;     /* element (and key) sizes: arrays, slices, maps, chans */
	uint64_t entry, indirect;  /* internal/sync.node[any,any]: what it heads, by isEntry */
	uint64_t is_entry;         /* node.isEntry's offset */
};

/** The types met, by DIE. */
struct gr_shapes {
	struct cf_state *st;
	struct util_u64map index;  /* type DIE → index+1 into v, 0: DWARF does not say */
	struct shape *v;
	size_t n, cap;
	size_t *undecided;         /* shapes the current question left undecided */
	size_t nundecided, undecided_cap;
};

void gr_shapes_init(struct gr_shapes *w, struct cf_state *st);
void gr_shapes_deinit(struct gr_shapes *w);
/** The shape of DIE (cached); NULL if DWARF does not say. Pointers into the
 * cache move as it grows: look a shape up again after asking about another. */
struct shape *gr_shape_of(struct gr_shapes *w, uint64_t die);
/** Whether a value of DIE can lead to a context (decided once per type). */
bool gr_shape_worth(struct gr_shapes *w, uint64_t die);
/** The runtime's types and internal packages' (but internal/sync: sync.Map's trie). */
bool gr_shape_runtime_name(const char *n);

#endif
