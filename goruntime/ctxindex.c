// SPDX-License-Identifier: Apache-2.0
// ctxindex.c: the context decoder's lookups by address: the contexts added
// (by_addr, asked about some 2 million times on ctxgen's core, most of them
// for a stack word that is no context) and the context.Context itabs.
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "goruntime/ctx.h"

/*
 * by_addr's room is mapped, not malloc'd: freeing a malloc'd 16 MiB block
 * raises glibc's threshold for mapping big blocks to 16 MiB, and the later
 * stages' blocks below it then stay in the heap once freed (4 MiB more
 * resident after this stage on ctxgen's core).
 */
static struct gr_ctx_entry *table_alloc(size_t cap)
{
	return util_map_anon(cap * sizeof(struct gr_ctx_entry), false); // zeroed: every slot empty
}

static void table_free(struct gr_ctx_entry *t, size_t cap)
{
	if (t)
		munmap(t, cap * sizeof(*t));
}

struct util_error *gr_ctx_by_addr_put(struct gr_ctx *c, uint64_t addr, size_t idx)
{
	if (idx >= UINT32_MAX)
		return &util_enomem; // past what a slot's index holds
	if ((c->by_addr_count + 1) * 4 > c->by_addr_cap * 3) {
		size_t cap = c->by_addr_cap ? 2 * c->by_addr_cap : 1024;
		struct gr_ctx_entry *t = cap <= SIZE_MAX / 2 / sizeof(*t) ? table_alloc(cap) : NULL;
		if (!t)
			return &util_enomem;
		for (size_t i = 0; i < c->by_addr_cap; i++) {
			if (!c->by_addr[i].idx1)
				continue;
			size_t j = gr_ctx_slot(c->ctxs[c->by_addr[i].idx1 - 1].addr) & (cap - 1);
			while (t[j].idx1)
				j = (j + 1) & (cap - 1);
			t[j] = c->by_addr[i];
		}
		table_free(c->by_addr, c->by_addr_cap);
		c->by_addr = t;
		c->by_addr_cap = cap;
	}
	size_t mask = c->by_addr_cap - 1, hash = gr_ctx_slot(addr), j = hash & mask;
	uint32_t tag = (uint32_t)(hash >> 32);
	while (c->by_addr[j].idx1 &&
	       (c->by_addr[j].tag != tag || c->ctxs[c->by_addr[j].idx1 - 1].addr != addr))
		j = (j + 1) & mask;
	c->by_addr_count += !c->by_addr[j].idx1;
	c->by_addr[j] = (struct gr_ctx_entry){tag, (uint32_t)idx + 1};
	return NULL;
}

uint64_t gr_ctx_itab_type(struct gr_ctx *c, uint64_t itab)
{
	uint64_t v, w[2];
	if (!itab)
		return 0;
	if (util_u64map_get(&c->itabs, itab, &v))
		return v;
	v = 0;
	if (gr_read_ok(c->r->core, itab, w, 16) && w[1] &&
	    (!c->iface_ctx_type || w[0] == c->iface_ctx_type))
		v = w[1];
	struct util_error *err = util_u64map_put(&c->itabs, itab, v);
	util_error_destroy(err);
	return v;
}

void gr_ctx_drop_lookups(struct gr_ctx *c)
{
	table_free(c->by_addr, c->by_addr_cap);
	c->by_addr = NULL;
	c->by_addr_cap = c->by_addr_count = 0;
	memset(c->hits, 0, sizeof(c->hits));
	util_unmap_array(c->children, c->children_cap, sizeof(*c->children));
	free(c->walk);
	util_unmap_array(c->keys, c->keys_cap, sizeof(*c->keys));
	c->children = NULL, c->walk = NULL, c->keys = NULL;
	c->nchildren = c->children_cap = c->nwalk = c->walk_cap = c->nkeys = c->keys_cap = 0;
}
