// SPDX-License-Identifier: Apache-2.0
// ctxchild.c: which children map each context is registered in — the column
// context_base.registered_in (schema version 15) and the pairs left over for
// context_child_extra.
#include <stdlib.h>

#include "store/store-private.h"

/* A pair of snap->context_children by its child, then its parent. */
struct child_key {
	int64_t child, parent; /**< as the table compares them: signed */
	uint32_t i;
};

static int child_cmp(const void *x, const void *y)
{
	const struct child_key *p = x, *q = y;
	if (p->child != q->child)
		return p->child < q->child ? -1 : 1;
	if (p->parent != q->parent)
		return p->parent < q->parent ? -1 : 1;
	return p->i < q->i ? -1 : p->i > q->i;
}

struct util_error *store_context_registrations(const struct gr_snapshot *snap,
					       const uint32_t *order, uint32_t **reg_ret,
					       uint32_t **extra_ret, size_t *nextra_ret)
{
	size_t nc = snap->ncontexts, nch = snap->ncontext_children, nextra = 0;
	struct child_key *k = malloc(nch * sizeof(*k) + 1);
	uint32_t *reg = calloc(nc + 1, sizeof(*reg)), *extra = malloc(nch * sizeof(*extra) + 1);
	if (!k || !reg || !extra) {
		free(k);
		free(reg);
		free(extra);
		return &util_enomem;
	}
	for (size_t i = 0; i < nch; i++)
		k[i] = (struct child_key){.child = (int64_t)snap->context_children[i].child_addr,
					  .parent = (int64_t)snap->context_children[i].parent_addr,
					  .i = (uint32_t)i};
	qsort(k, nch, sizeof(*k), child_cmp);
	// Both in address order: a merge. A child's first pair (its lowest
	// parent, as the upgrade to version 15 chose) goes into its context's
	// row, the first of the contexts with its address (the one INSERT OR
	// IGNORE keeps); the others, and children with no context, are extra.
	size_t j = 0;
	for (size_t p = 0; p < nc; p++) {
		uint32_t c = order[p];
		int64_t addr = (int64_t)snap->contexts[c].addr;
		if (p > 0 && (int64_t)snap->contexts[order[p - 1]].addr == addr)
			continue;
		for (; j < nch && k[j].child < addr; j++)
			extra[nextra++] = k[j].i;
		if (j < nch && k[j].child == addr)
			reg[c] = k[j++].i + 1;
		for (; j < nch && k[j].child == addr; j++)
			extra[nextra++] = k[j].i;
	}
	for (; j < nch; j++)
		extra[nextra++] = k[j].i;
	free(k);
	*reg_ret = reg;
	*extra_ret = extra;
	*nextra_ret = nextra;
	return NULL;
}
