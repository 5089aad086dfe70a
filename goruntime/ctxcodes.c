// SPDX-License-Identifier: Apache-2.0
// ctxcodes.c: gr_context's small codes (kind, found_in) and its strings by
// number (struct gr_strings), which keep a context to 64 bytes.
#include <stdlib.h>
#include <string.h>

#include "goruntime/goruntime.h"
#include "util/util.h"

static const char *const kind_names[] = {
	[GR_CTXK_NONE] = NULL, [GR_CTXK_BACKGROUND] = "background", [GR_CTXK_TODO] = "todo",
	[GR_CTXK_CANCEL] = "cancel", [GR_CTXK_TIMER] = "timer", [GR_CTXK_VALUE] = "value",
	[GR_CTXK_WITHOUT_CANCEL] = "withoutCancel", [GR_CTXK_AFTER_FUNC] = "afterFunc",
	[GR_CTXK_STOP] = "stop", [GR_CTXK_USER] = "user",
};

static const char *const found_names[] = {
	[GR_FOUND_NONE] = NULL, [GR_FOUND_FRAME] = "frame", [GR_FOUND_GLOBAL] = "global",
	[GR_FOUND_CHAN] = "chan buffer", [GR_FOUND_MAP] = "map", [GR_FOUND_HEAP] = "heap",
	[GR_FOUND_ANCESTOR] = "ancestor", [GR_FOUND_CHILD] = "child",
};

const char *gr_context_kind_name(unsigned kind)
{
	return kind < sizeof(kind_names) / sizeof(kind_names[0]) ? kind_names[kind] : NULL;
}

enum gr_context_kind gr_context_kind_code(const char *name)
{
	for (unsigned k = GR_CTXK_NONE + 1; name && k < sizeof(kind_names) / sizeof(kind_names[0]); k++)
		if (strcmp(name, kind_names[k]) == 0)
			return (enum gr_context_kind)k;
	return GR_CTXK_NONE;
}

const char *gr_context_found_in_name(unsigned found_in)
{
	return found_in < sizeof(found_names) / sizeof(found_names[0]) ? found_names[found_in] : NULL;
}

uint32_t gr_strings_add(struct gr_strings *t, const char *s)
{
	if (!s)
		return 0;
	if (t->n + 1 > t->cap) {
		// From 1 (v[0], NULL) up; ids are 32-bit.
		uint32_t cap = t->cap ? 2 * t->cap : 256;
		const char **v = cap > t->cap ? realloc(t->v, (size_t)cap * sizeof(*v)) : NULL;
		if (!v) {
			t->failed = true;
			return 0;
		}
		t->v = v, t->cap = cap;
		if (!t->n)
			t->v[t->n++] = NULL;
	}
	t->v[t->n] = s;
	return t->n++;
}
