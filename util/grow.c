// SPDX-License-Identifier: Apache-2.0
// grow.c: the one way a malloc'd array grows by doubling, and the one way
// big buffers get a mapping of their own.
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "util/util.h"

/** The capacity, from CAP (MIN, else 1, when 0) doubled, that holds index N; false on overflow. */
static bool doubled(size_t n, size_t cap, size_t min, size_t *ret)
{
	size_t ncap = cap ? cap : (min ? min : 1);
	while (ncap <= n) {
		if (ncap > SIZE_MAX / 2)
			return false;
		ncap *= 2;
	}
	*ret = ncap;
	return true;
}

struct util_error *util_grow(void **arr, size_t n, size_t *cap, size_t elem, size_t min)
{
	if (n < *cap)
		return NULL;
	size_t ncap;
	if (!doubled(n, *cap, min, &ncap) || (elem && ncap > SIZE_MAX / elem))
		return &util_enomem;
	void *p = realloc(*arr, ncap * elem);
	if (!p)
		return &util_enomem;
	*arr = p;
	*cap = ncap;
	return NULL;
}

void *util_map_anon(size_t len, bool huge)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
		       -1, 0);
	if (p == MAP_FAILED)
		return NULL;
#ifdef MADV_HUGEPAGE
	if (huge)
		madvise(p, len, MADV_HUGEPAGE);
#else
	(void)huge;
#endif
	return p;
}

struct util_error *util_grow_mapped(void **arr, size_t n, size_t *cap, size_t elem, size_t min)
{
	if (n < *cap)
		return NULL;
	size_t ncap;
	if (!doubled(n, *cap, min, &ncap) || !elem || ncap > SIZE_MAX / elem)
		return &util_enomem;
	size_t olen = *cap * elem, nlen = ncap * elem;
	void *p;
	if (!*arr) {
		p = util_map_anon(nlen, true);
	} else {
#ifdef MREMAP_MAYMOVE
		p = mremap(*arr, olen, nlen, MREMAP_MAYMOVE);
		p = p == MAP_FAILED ? NULL : p;
#else
		if ((p = util_map_anon(nlen, true))) {
			memcpy(p, *arr, olen);
			munmap(*arr, olen);
		}
#endif
	}
	if (!p)
		return &util_enomem;
	*arr = p;
	*cap = ncap;
	return NULL;
}

enum { BIG_BLOCK = 1 << 20 };

void *util_alloc_big(size_t len)
{
	return len >= BIG_BLOCK ? util_map_anon(len, true) : calloc(1, len ? len : 1);
}

void util_free_big(void *p, size_t len)
{
	if (p && len >= BIG_BLOCK)
		munmap(p, len);
	else
		free(p);
}

void util_release_mapped(void *arr, size_t cap, size_t elem)
{
	if (arr && cap && elem)
		madvise(arr, cap * elem, MADV_DONTNEED);
}

void util_unmap_array(void *arr, size_t cap, size_t elem)
{
	if (arr && cap && elem)
		munmap(arr, cap * elem);
}
