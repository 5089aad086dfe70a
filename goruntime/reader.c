// SPDX-License-Identifier: Apache-2.0
// reader.c: the floor every goruntime reader stands on — interned strings,
// copies into the snapshot's arena, diagnostics (one capped-per-kind
// policy), reads that say what failed and where, and Go strings.
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "goruntime/internal.h"

const char *gr_intern(struct gr_snapshot *s, const char *str)
{
	return str ? util_strtab_intern_cstr(&s->strings, str) : NULL;
}

void *gr_arena_copy(struct gr_snapshot *s, const void *v, size_t n, size_t size)
{
	void *p = util_arena_alloc(&s->arena, (n + 1) * size);
	if (p && n)
		memcpy(p, v, n * size);
	return p;
}

bool gr_own(struct gr_snapshot *s, void *p)
{
	struct util_error *err = util_grow((void **)&s->owned, s->nowned, &s->owned_cap,
					   sizeof(*s->owned), 16);
	if (err) {
		free(p);
		return false;
	}
	s->owned[s->nowned++] = p;
	return true;
}

int gr_cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static void add_diag(struct gr_snapshot *s, const char *severity, const char *what,
		     const char *detail)
{
	if (s->ndiags == s->diags_cap) {
		size_t ncap = s->diags_cap ? s->diags_cap * 2 : 16;
		struct gr_diag *n = util_arena_alloc(&s->arena, ncap * sizeof(*n));
		if (!n)
			return; // diagnostics are best effort under memory pressure
		if (s->ndiags)
			memcpy(n, s->diags, s->ndiags * sizeof(*n));
		s->diags = n;
		s->diags_cap = ncap;
	}
	s->diags[s->ndiags++] = (struct gr_diag){
		.severity = gr_intern(s, severity),
		.what = gr_intern(s, what),
		.detail = gr_intern(s, detail),
	};
}

void gr_diag(struct gr_snapshot *s, const char *severity, const char *what, const char *fmt, ...)
{
	char detail[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	add_diag(s, severity, what, detail);
}

void gr_vdiag_capped(struct gr_snapshot *s, struct gr_diag_cap *c, const char *severity,
		     const char *fmt, va_list ap)
{
	if (c->n++ >= c->max)
		return;
	char detail[512];
	vsnprintf(detail, sizeof(detail), fmt, ap);
	add_diag(s, severity, c->what, detail);
}

void gr_diag_capped(struct gr_snapshot *s, struct gr_diag_cap *c, const char *severity,
		    const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	gr_vdiag_capped(s, c, severity, fmt, ap);
	va_end(ap);
}

void gr_diag_cap_flush(struct gr_snapshot *s, struct gr_diag_cap *c)
{
	if (c->n > c->max)
		gr_diag(s, "info", c->what, "%u more such diagnostics not recorded", c->n - c->max);
	c->n = c->max; // said once
}

bool gr_read(struct gr_reader *r, struct gr_diag_cap *c, uint64_t addr, void *buf, size_t len,
	     const char *what)
{
	struct util_error *err = core_read(r->core, addr, buf, len);
	if (!err)
		return true;
	if (c)
		gr_diag_capped(r->snap, c, "warning", "%s: %s", what, err->message);
	util_error_destroy(err);
	return false;
}

struct util_error *gr_read_gostring(struct gr_reader *r, uint64_t addr, size_t max,
				    const char **ret)
{
	uint64_t hdr[2];
	struct util_error *err = core_read(r->core, addr, hdr, sizeof(hdr));
	if (err)
		return err;
	size_t len = hdr[1] > max ? max : hdr[1];
	char *tmp = malloc(len + 1);
	if (!tmp)
		return &util_enomem;
	if (len) {
		err = core_read(r->core, hdr[0], tmp, len);
		if (err) {
			free(tmp);
			return err;
		}
	}
	tmp[len] = '\0';
	*ret = util_strtab_intern(&r->snap->strings, tmp, len);
	free(tmp);
	return *ret ? NULL : &util_enomem;
}
