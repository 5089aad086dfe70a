// SPDX-License-Identifier: Apache-2.0
// strtab.c: interned strings — function, file and type names are stored once.
#include <stdlib.h>
#include <string.h>

#include "util/util.h"

uint64_t util_hash_bytes(const void *p, size_t n, uint64_t seed)
{
	const unsigned char *s = p;
	uint64_t h = 1469598103934665603ULL ^ seed;
	for (size_t i = 0; i < n; i++) {
		h ^= s[i];
		h *= 1099511628211ULL;
	}
	return h;
}

void util_strtab_init(struct util_strtab *t)
{
	memset(t, 0, sizeof(*t));
	util_arena_init(&t->arena);
}

void util_strtab_deinit(struct util_strtab *t)
{
	util_arena_deinit(&t->arena);
	util_free_big(t->slots, t->cap * sizeof(*t->slots));
	util_free_big(t->hashes, t->cap * sizeof(*t->hashes));
	memset(t, 0, sizeof(*t));
}

static bool strtab_grow(struct util_strtab *t)
{
	size_t ncap = t->cap ? t->cap * 2 : 1024;
	const char **slots = util_alloc_big(ncap * sizeof(*slots));
	uint32_t *hashes = util_alloc_big(ncap * sizeof(*hashes));
	if (!slots || !hashes) {
		util_free_big(slots, ncap * sizeof(*slots));
		util_free_big(hashes, ncap * sizeof(*hashes));
		return false;
	}
	for (size_t i = 0; i < t->cap; i++) {
		if (!t->slots[i])
			continue;
		size_t j = t->hashes[i] & (ncap - 1);
		while (slots[j])
			j = (j + 1) & (ncap - 1);
		slots[j] = t->slots[i];
		hashes[j] = t->hashes[i];
	}
	util_free_big(t->slots, t->cap * sizeof(*t->slots));
	util_free_big(t->hashes, t->cap * sizeof(*t->hashes));
	t->slots = slots;
	t->hashes = hashes;
	t->cap = ncap;
	return true;
}

const char *util_strtab_intern(struct util_strtab *t, const char *s, size_t len)
{
	if ((t->count + 1) * 2 > t->cap && !strtab_grow(t))
		return NULL;
	uint32_t h = (uint32_t)util_hash_bytes(s, len, 0);
	size_t j = h & (t->cap - 1);
	while (t->slots[j]) {
		if (t->hashes[j] == h && strncmp(t->slots[j], s, len) == 0 &&
		    t->slots[j][len] == '\0')
			return t->slots[j];
		j = (j + 1) & (t->cap - 1);
	}
	char *copy = util_arena_strndup(&t->arena, s, len);
	if (!copy)
		return NULL;
	t->slots[j] = copy;
	t->hashes[j] = h;
	t->count++;
	return copy;
}
