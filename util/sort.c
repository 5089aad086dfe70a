// SPDX-License-Identifier: Apache-2.0
// sort.c: a stable sort of (64-bit key, payload) pairs by key, in linear time
// and without a heap block of the array's size (qsort's merge sort mallocs
// one), and a sort in place for arrays no scratch should be had for.
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/util.h"

struct util_error *util_sort_keyed(struct util_keyed *v, size_t n)
{
	if (n < 2)
		return NULL;
	size_t bytes = n * sizeof(*v);
	if (n > SIZE_MAX / sizeof(*v))
		return &util_enomem;
	struct util_keyed *tmp = util_alloc_big(bytes);
	if (!tmp)
		return &util_enomem;
	// Least significant byte first, each pass stable; the bytes every key
	// has alike (a heap's addresses share their top ones) are skipped.
	static const size_t B = 256;
	size_t (*count)[256] = calloc(8, sizeof(*count));
	if (!count) {
		util_free_big(tmp, bytes);
		return &util_enomem;
	}
	for (size_t i = 0; i < n; i++)
		for (unsigned d = 0; d < 8; d++)
			count[d][(v[i].key >> (8 * d)) & 0xff]++;
	struct util_keyed *src = v, *dst = tmp;
	for (unsigned d = 0; d < 8; d++) {
		size_t *c = count[d];
		if (c[(src[0].key >> (8 * d)) & 0xff] == n)
			continue;
		size_t sum = 0;
		for (size_t b = 0; b < B; b++) {
			size_t k = c[b];
			c[b] = sum;
			sum += k;
		}
		for (size_t i = 0; i < n; i++)
			dst[c[(src[i].key >> (8 * d)) & 0xff]++] = src[i];
		struct util_keyed *t = src;
		src = dst, dst = t;
	}
	if (src != v)
		memcpy(v, src, bytes);
	free(count);
	util_free_big(tmp, bytes);
	return NULL;
}

/* Swap the SIZE bytes at A and B. */
static void swap_bytes(unsigned char *a, unsigned char *b, size_t size)
{
	unsigned char t[64];
	if (a == b)
		return;
	while (size) {
		size_t k = size < sizeof(t) ? size : sizeof(t);
		memcpy(t, a, k);
		memcpy(a, b, k);
		memcpy(b, t, k);
		a += k, b += k, size -= k;
	}
}

/* Heap sort of the N elements at V, for a quicksort gone too deep. */
static void heap_sort(unsigned char *v, size_t n, size_t size,
		      int (*cmp)(const void *, const void *))
{
	for (size_t end = n, start = n / 2;;) {
		if (start > 0) {
			start--;
		} else if (end > 1) {
			end--;
			swap_bytes(v, v + end * size, size);
		} else {
			return;
		}
		for (size_t root = start, child; (child = 2 * root + 1) < end; root = child) {
			if (child + 1 < end && cmp(v + child * size, v + (child + 1) * size) < 0)
				child++;
			if (cmp(v + root * size, v + child * size) >= 0)
				break;
			swap_bytes(v + root * size, v + child * size, size);
		}
	}
}

void util_sort_in_place(void *base, size_t n, size_t size, int (*cmp)(const void *, const void *))
{
	unsigned char *v = base;
	unsigned depth = 0;
	for (size_t m = n; m > 1; m /= 2)
		depth += 2;
	while (n > 16) {
		if (!depth--) {
			heap_sort(v, n, size, cmp);
			return;
		}
		// The median of the first, middle and last as the pivot, at the end.
		unsigned char *a = v, *b = v + n / 2 * size, *c = v + (n - 1) * size;
		if (cmp(b, a) < 0)
			swap_bytes(a, b, size);
		if (cmp(c, b) < 0) {
			swap_bytes(b, c, size);
			if (cmp(b, a) < 0)
				swap_bytes(a, b, size);
		}
		swap_bytes(b, c, size); // the median, now at the end
		size_t i = 0;
		for (size_t j = 0; j < n - 1; j++)
			if (cmp(v + j * size, c) < 0)
				swap_bytes(v + i++ * size, v + j * size, size);
		swap_bytes(v + i * size, c, size);
		// The smaller side by recursion, the larger by the loop.
		if (i < n - 1 - i) {
			util_sort_in_place(v, i, size, cmp);
			v += (i + 1) * size;
			n -= i + 1;
		} else {
			util_sort_in_place(v + (i + 1) * size, n - 1 - i, size, cmp);
			n = i;
		}
	}
	for (size_t i = 1; i < n; i++)
		for (size_t j = i; j > 0 && cmp(v + (j - 1) * size, v + j * size) > 0; j--)
			swap_bytes(v + (j - 1) * size, v + j * size, size);
}
