// grow.c: the one way a malloc'd array grows by doubling.
#include <stdint.h>
#include <stdlib.h>

#include "util/util.h"

struct util_error *util_grow(void **arr, size_t n, size_t *cap, size_t elem, size_t min)
{
	if (n < *cap)
		return NULL;
	size_t ncap = *cap ? *cap : (min ? min : 1);
	while (ncap <= n) {
		if (ncap > SIZE_MAX / 2)
			return &util_enomem;
		ncap *= 2;
	}
	if (elem && ncap > SIZE_MAX / elem)
		return &util_enomem;
	void *p = realloc(*arr, ncap * elem);
	if (!p)
		return &util_enomem;
	*arr = p;
	*cap = ncap;
	return NULL;
}
