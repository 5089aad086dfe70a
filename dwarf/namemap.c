// SPDX-License-Identifier: Apache-2.0
// namemap.c: a name → u64 hash map over strings the caller keeps alive
// (names in libdw's section data, in the pclntab mapping or interned).
#include <stdlib.h>
#include <string.h>

#include "dwarf/internal.h"

void dw_namemap_init(struct dw_namemap *m)
{
	memset(m, 0, sizeof(*m));
}

void dw_namemap_deinit(struct dw_namemap *m)
{
	free(m->slots);
	memset(m, 0, sizeof(*m));
}

static bool namemap_grow(struct dw_namemap *m)
{
	size_t ncap = m->cap ? m->cap * 2 : 256;
	struct dw_name_slot *slots = calloc(ncap, sizeof(*slots));
	if (!slots)
		return false;
	for (size_t i = 0; i < m->cap; i++) {
		if (!m->slots[i].name)
			continue;
		size_t j = m->slots[i].hash & (ncap - 1);
		while (slots[j].name)
			j = (j + 1) & (ncap - 1);
		slots[j] = m->slots[i];
	}
	free(m->slots);
	m->slots = slots;
	m->cap = ncap;
	return true;
}

static struct dw_name_slot *namemap_find(const struct dw_namemap *m, const char *name,
					 size_t len, uint64_t hash)
{
	size_t j = hash & (m->cap - 1);
	for (;;) {
		struct dw_name_slot *s = &m->slots[j];
		if (!s->name)
			return s;
		if (s->hash == hash && s->len == len && memcmp(s->name, name, len) == 0)
			return s;
		j = (j + 1) & (m->cap - 1);
	}
}

struct util_error *dw_namemap_add(struct dw_namemap *m, const char *name, size_t len,
				  uint64_t value, bool *inserted)
{
	if ((m->count + 1) * 2 > m->cap && !namemap_grow(m))
		return &util_enomem;
	uint64_t hash = util_hash_bytes(name, len, 0);
	struct dw_name_slot *s = namemap_find(m, name, len, hash);
	if (inserted)
		*inserted = !s->name;
	if (s->name)
		return NULL;
	s->name = name;
	s->len = len;
	s->hash = hash;
	s->value = value;
	m->count++;
	return NULL;
}

bool dw_namemap_get(const struct dw_namemap *m, const char *name, size_t len, uint64_t *value)
{
	if (!m->cap)
		return false;
	struct dw_name_slot *s = namemap_find(m, name, len, util_hash_bytes(name, len, 0));
	if (!s->name)
		return false;
	*value = s->value;
	return true;
}
