// SPDX-License-Identifier: Apache-2.0
// arena.c: a bump allocator so one core's rebuilt objects are freed at once.
#include <stdlib.h>
#include <string.h>

#include "util/util.h"

struct util_arena_block {
	struct util_arena_block *next;
	size_t used, size;
	_Alignas(16) unsigned char data[];
};

enum { ARENA_BLOCK = 64 * 1024 };

void util_arena_init(struct util_arena *a)
{
	a->head = NULL;
	a->total = 0;
}

void util_arena_deinit(struct util_arena *a)
{
	struct util_arena_block *b = a->head;
	while (b) {
		struct util_arena_block *next = b->next;
		free(b);
		b = next;
	}
	a->head = NULL;
	a->total = 0;
}

void *util_arena_alloc(struct util_arena *a, size_t size)
{
	size = (size + 15) & ~(size_t)15;
	if (size == 0)
		size = 16;
	struct util_arena_block *b = a->head;
	if (!b || b->size - b->used < size) {
		size_t bsize = size > ARENA_BLOCK / 4 ? size : ARENA_BLOCK;
		struct util_arena_block *nb = malloc(sizeof(*nb) + bsize);
		if (!nb)
			return NULL;
		nb->used = 0;
		nb->size = bsize;
		a->total += bsize;
		if (b && size > ARENA_BLOCK / 4) {
			// A large one-off: keep the current block for small allocations.
			nb->next = b->next;
			b->next = nb;
		} else {
			nb->next = b;
			a->head = nb;
		}
		b = nb;
	}
	void *p = b->data + b->used;
	b->used += size;
	memset(p, 0, size);
	return p;
}

char *util_arena_strndup(struct util_arena *a, const char *s, size_t n)
{
	char *p = util_arena_alloc(a, n + 1);
	if (!p)
		return NULL;
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}
