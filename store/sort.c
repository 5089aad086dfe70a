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
 * A least significant digit radix sort, a byte at a time: stable, and
 * bytes all keys share (most of an address's) cost one counting pass for
 * all of them. On ctxgen's 416,613 contexts it took a tenth of the
 * instructions of qsort's merge sort, with its comparisons through a
 * pointer (bench/README.md). The second buffer is the one that merge sort
 * took too.
 */
struct util_error *store_sort_keyed1(struct store_keyed1 *k, size_t n, uint32_t *order)
{
	struct store_keyed1 *tmp = malloc(n * sizeof(*k) + 1);
	size_t (*count)[256] = calloc(8, sizeof(*count));
	if (!tmp || !count) {
		free(tmp);
		free(count);
		return &util_enomem;
	}
	for (size_t i = 0; i < n; i++) {
		uint64_t a = k[i].a ^ (UINT64_C(1) << 63); // signed order
		for (int d = 0; d < 8; d++)
			count[d][(a >> (8 * d)) & 0xff]++;
	}
	struct store_keyed1 *src = k, *dst = tmp;
	for (int d = 0; d < 8; d++) {
		uint64_t a0 = src[0].a ^ (UINT64_C(1) << 63);
		if (n == 0 || count[d][(a0 >> (8 * d)) & 0xff] == n)
			continue; // every key has this byte: the order stays
		size_t at = 0;
		for (int b = 0; b < 256; b++) {
			size_t c = count[d][b];
			count[d][b] = at;
			at += c;
		}
		for (size_t i = 0; i < n; i++) {
			uint64_t a = src[i].a ^ (UINT64_C(1) << 63);
			dst[count[d][(a >> (8 * d)) & 0xff]++] = src[i];
		}
		struct store_keyed1 *t = src;
		src = dst;
		dst = t;
	}
	if (src != k)
		memcpy(k, src, n * sizeof(*k));
	for (size_t i = 0; i < n; i++)
		order[i] = k[i].i;
	free(tmp);
	free(count);
	return NULL;
}
