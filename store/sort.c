// SPDX-License-Identifier: Apache-2.0
// sort.c: rows put in their table's key order before they are written, so
// that each B-tree fills page after page.
#include <stdlib.h>
#include <string.h>

#include "store/store-private.h"

static int keyed_cmp(const void *x, const void *y)
{
	const struct store_keyed *p = x, *q = y;
	if (p->a != q->a)
		return p->a < q->a ? -1 : 1;
	if (p->b != q->b)
		return p->b < q->b ? -1 : 1;
	if (p->c != q->c)
		return p->c < q->c ? -1 : 1;
	return p->i < q->i ? -1 : p->i > q->i;
}

void store_sort_keyed(struct store_keyed *k, size_t n, uint32_t *order)
{
	for (size_t i = 0; i < n; i++) {
		k[i].a ^= UINT64_C(1) << 63; // signed order, compared unsigned
		k[i].b ^= UINT64_C(1) << 63;
		k[i].c ^= UINT64_C(1) << 63;
	}
	qsort(k, n, sizeof(*k), keyed_cmp);
	for (size_t i = 0; i < n; i++)
		order[i] = k[i].i;
}

/*
 * util_sort_keyed, a radix sort: stable, and bytes all keys share (most of
 * an address's) cost one counting pass for all of them. On ctxgen's 416,613
 * contexts it took a tenth of the instructions of qsort's merge sort, with
 * its comparisons through a pointer (bench/README.md).
 */
struct util_error *store_sort_keyed1(struct util_keyed *k, size_t n, uint32_t *order)
{
	for (size_t i = 0; i < n; i++)
		k[i].key ^= UINT64_C(1) << 63; // signed order, compared unsigned
	struct util_error *err = util_sort_keyed(k, n);
	for (size_t i = 0; !err && i < n; i++)
		order[i] = (uint32_t)k[i].val;
	return err;
}
