// SPDX-License-Identifier: Apache-2.0
// u64map.c: an open-addressing uint64 → uint64 map (address lookups, dedup).
#include <stdlib.h>
#include <string.h>

#include "util/util.h"

#define EMPTY_KEY (~(uint64_t)0)

/*
 * A table of CAP words, from 1 MiB a mapping of its own (util_alloc_big):
 * the tables double, and the sudogs' and goroutines' maps of a core of
 * 300,000 goroutines are tens of MB.
 */
static uint64_t *table_alloc(size_t cap)
{
	return cap > SIZE_MAX / sizeof(uint64_t) ? NULL : util_alloc_big(cap * sizeof(uint64_t));
}

static void table_free(uint64_t *t, size_t cap)
{
	util_free_big(t, cap * sizeof(uint64_t));
}

static size_t slot_of(uint64_t key, size_t cap)
{
	key ^= key >> 33;
	key *= 0xff51afd7ed558ccdULL;
	key ^= key >> 33;
	return (size_t)key & (cap - 1);
}

void util_u64map_init(struct util_u64map *m)
{
	memset(m, 0, sizeof(*m));
}

void util_u64map_deinit(struct util_u64map *m)
{
	table_free(m->keys, m->cap);
	table_free(m->vals, m->cap);
	memset(m, 0, sizeof(*m));
}

static bool u64map_grow(struct util_u64map *m)
{
	size_t ncap = m->cap ? m->cap * 2 : 64;
	uint64_t *keys = table_alloc(ncap);
	uint64_t *vals = table_alloc(ncap);
	if (!keys || !vals) {
		table_free(keys, ncap);
		table_free(vals, ncap);
		return false;
	}
	memset(keys, 0xff, ncap * sizeof(*keys));
	for (size_t i = 0; i < m->cap; i++) {
		if (m->keys[i] == EMPTY_KEY)
			continue;
		size_t j = slot_of(m->keys[i], ncap);
		while (keys[j] != EMPTY_KEY)
			j = (j + 1) & (ncap - 1);
		keys[j] = m->keys[i];
		vals[j] = m->vals[i];
	}
	table_free(m->keys, m->cap);
	table_free(m->vals, m->cap);
	m->keys = keys;
	m->vals = vals;
	m->cap = ncap;
	return true;
}

struct util_error *util_u64map_put(struct util_u64map *m, uint64_t key, uint64_t val)
{
	if (key == EMPTY_KEY) {
		m->count += !m->has_max;
		m->has_max = true;
		m->max_val = val;
		return NULL;
	}
	if ((m->count + 1) * 4 > m->cap * 3 && !u64map_grow(m))
		return &util_enomem;
	size_t j = slot_of(key, m->cap);
	while (m->keys[j] != EMPTY_KEY && m->keys[j] != key)
		j = (j + 1) & (m->cap - 1);
	if (m->keys[j] == EMPTY_KEY)
		m->count++;
	m->keys[j] = key;
	m->vals[j] = val;
	return NULL;
}

bool util_u64map_get(const struct util_u64map *m, uint64_t key, uint64_t *val)
{
	if (key == EMPTY_KEY) {
		if (m->has_max && val)
			*val = m->max_val;
		return m->has_max;
	}
	if (!m->cap)
		return false;
	size_t j = slot_of(key, m->cap);
	while (m->keys[j] != EMPTY_KEY) {
		if (m->keys[j] == key) {
			if (val)
				*val = m->vals[j];
			return true;
		}
		j = (j + 1) & (m->cap - 1);
	}
	return false;
}
