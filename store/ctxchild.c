// SPDX-License-Identifier: Apache-2.0
// ctxchild.c: which children map each context is registered in — the column
// context_base.registered_in (schema version 15) and the pairs left over for
// context_child_extra.
#include <stdlib.h>

#include "store/store-private.h"

struct util_error *store_context_registrations(const struct gr_snapshot *snap,
					       const uint32_t *order, uint32_t **reg_ret,
					       uint32_t **extra_ret, size_t *nextra_ret)
{
	size_t nc = snap->ncontexts, nch = snap->ncontext_children, nextra = 0;
	const struct gr_context_child *ch = snap->context_children;
	// Mapped (util_alloc_big), as store_write_contexts's: zeroed.
	struct util_keyed *k = util_alloc_big(nch * sizeof(*k) + 1);
	uint32_t *reg = util_alloc_big((nc + 1) * sizeof(*reg));
	uint32_t *extra = util_alloc_big(nch * sizeof(*extra) + 1);
	uint32_t *by = util_alloc_big(nch * sizeof(*by) + 1);
	struct util_error *err = k && reg && extra && by ? NULL : &util_enomem;
	// By child, then parent, then index: sorted by parent, then (stable)
	// by child.
	for (size_t i = 0; !err && i < nch; i++)
		k[i] = (struct util_keyed){.key = ch[i].parent_addr, .val = i};
	if (!err)
		err = store_sort_keyed1(k, nch, by);
	for (size_t i = 0; !err && i < nch; i++)
		k[i] = (struct util_keyed){.key = ch[by[i]].child_addr, .val = by[i]};
	if (!err)
		err = store_sort_keyed1(k, nch, by);
	util_free_big(k, nch * sizeof(*k) + 1);
	if (err) {
		util_free_big(reg, (nc + 1) * sizeof(*reg));
		util_free_big(extra, nch * sizeof(*extra) + 1);
		util_free_big(by, nch * sizeof(*by) + 1);
		return err;
	}
	// Both in address order: a merge. A child's first pair (its lowest
	// parent, as the upgrade to version 15 chose) goes into its context's
	// row, the first of the contexts with its address (the one INSERT OR
	// IGNORE keeps); the others, and children with no context, are extra.
	// A pair twice is once, as in the table's key.
	size_t j = 0;
#define SAME_AS_LAST(j) \
	((j) > 0 && ch[by[(j) - 1]].child_addr == ch[by[j]].child_addr && \
	 ch[by[(j) - 1]].parent_addr == ch[by[j]].parent_addr)
#define EXTRA(j) (SAME_AS_LAST(j) ? (void)0 : (void)(extra[nextra++] = by[j]))
	for (size_t p = 0; p < nc; p++) {
		uint32_t c = order[p];
		int64_t addr = (int64_t)snap->contexts[c].addr;
		if (p > 0 && (int64_t)snap->contexts[order[p - 1]].addr == addr)
			continue;
		for (; j < nch && (int64_t)ch[by[j]].child_addr < addr; j++)
			EXTRA(j);
		if (j < nch && (int64_t)ch[by[j]].child_addr == addr)
			reg[c] = by[j++] + 1;
		for (; j < nch && (int64_t)ch[by[j]].child_addr == addr; j++)
			EXTRA(j);
	}
	for (; j < nch; j++)
		EXTRA(j);
#undef EXTRA
#undef SAME_AS_LAST
	util_free_big(by, nch * sizeof(*by) + 1);
	*reg_ret = reg;
	*extra_ret = extra;
	*nextra_ret = nextra;
	return NULL;
}
