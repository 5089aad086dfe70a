// SPDX-License-Identifier: Apache-2.0
// sort.c: a stable sort of (64-bit key, payload) pairs by key, in linear time
// and without a heap block of the array's size (qsort's merge sort mallocs one).
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
