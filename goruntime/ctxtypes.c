// SPDX-License-Identifier: Apache-2.0
// ctxtypes.c: which types outside package context are contexts. A program's
// own Context type is known by a context.Context itab naming it (a static
// conversion) or, when the program never converts it, by its methods in the
// pclntab: Deadline, Done, Err and Value, on *T or on T. And whether such a
// type defines Done itself or has it promoted from an embedded Context (the
// compiler's wrapper): only a Done of its own can return a channel the
// parent's cancellation never closes.
#include <stdio.h>
#include <string.h>

#include "goruntime/ctx.h"

/* NAME ("*main.reqCtx", "main.reqCtx") as a package and receivers "(*T)", "T". */
static bool split_type(const char *name, char *pkg, char *ptr_recv, char *recv)
{
	const char *base = name[0] == '*' ? name + 1 : name, *slash = strrchr(base, '/');
	const char *dot = strchr(slash ? slash : base, '.');
	if (!dot || strlen(base) > 400 || strchr(base, '['))
		return false;
	snprintf(pkg, 512, "%.*s", (int)(dot - base), base);
	snprintf(ptr_recv, 512, "(*%s)", dot + 1);
	snprintf(recv, 512, "%s", dot + 1);
	return true;
}

/* The function PKG.RECV.M, NULL if none. */
static const struct dw_func *method(struct dw_binary *b, const char *pkg, const char *recv,
				    const char *m)
{
	char fn[1100];
	snprintf(fn, sizeof(fn), "%s.%s.%s", pkg, recv, m);
	return dw_func_by_name(b, fn);
}

/* Whether PKG.RECV has every method of context.Context. */
static bool has_methods(struct dw_binary *b, const char *pkg, const char *recv)
{
	static const char *const methods[] = {"Deadline", "Done", "Err", "Value"};
	for (size_t i = 0; i < 4; i++)
		if (!method(b, pkg, recv, methods[i]))
			return false;
	return true;
}

uint64_t gr_cf_user_ctx_type(struct cf_state *st, const char *name)
{
	// A pointer type outside package context (and not generic).
	if (!name || name[0] != '*' || strncmp(name, "*context.", 9) == 0 || strncmp(name, "*runtime.", 9) == 0)
		return 0;
	uint64_t t = gr_type_addr(st->r, name);
	if (!t)
		return 0;
	if (util_u64map_get(&st->impl, t, NULL)) // it has a context.Context itab
		return t;
	// Else by its methods, *T's or T's (a program that never converts its
	// type to context.Context has no itab for it, but calls its methods).
	char pkg[512], ptr_recv[512], recv[512];
	struct dw_binary *b = st->r->bin;
	if (!split_type(name, pkg, ptr_recv, recv))
		return 0;
	return has_methods(b, pkg, ptr_recv) || has_methods(b, pkg, recv) ? t : 0;
}

bool gr_ctx_own_done(struct gr_reader *r, const char *name)
{
	char pkg[512], ptr_recv[512], recv[512];
	if (!name || !split_type(name, pkg, ptr_recv, recv))
		return false;
	// A Done promoted from an embedded Context is a compiler-made wrapper.
	const struct dw_func *f = method(r->bin, pkg, ptr_recv, "Done");
	if (f && !dw_func_is_wrapper(r->bin, f))
		return true;
	f = method(r->bin, pkg, recv, "Done");
	return f && !dw_func_is_wrapper(r->bin, f);
}


void gr_ctx_desc_fields(struct gr_ctx *c, uint64_t type, struct gr_ctx_type *t)
{
	struct dw_desc_field fs[64];
	bool ptr;
	size_t n = dw_binary_desc_fields(c->r->bin, type, &ptr, fs, 64);
	if (n && !ptr)
		t->fields_direct = t->direct; // a one-pointer struct held in the data word
	for (size_t i = 0; i < n; i++) {
		const struct gr_type *ft = gr_type_read(c->r, fs[i].type);
		if (t->parent_off == GR_ABSENT && fs[i].type == c->iface_ctx_type)
			t->parent_off = fs[i].offset;
		else if (t->done_off == GR_ABSENT && ft && ft->kind == GR_KIND_CHAN &&
			 gr_ctx_own_done(c->r, t->name))
			t->done_off = fs[i].offset; // the channel its own Done returns, presumably
	}
}

const char *gr_ctx_error_string(struct gr_ctx *c, uint64_t type, uint64_t data)
{
	const char *tn = gr_type_name(c->r, type), *t = NULL;
	uint64_t s = gr_member(c->r->bin, "errors.errorString", "s");
	if (!tn || strcmp(tn, "*errors.errorString") != 0 || s == GR_ABSENT)
		return NULL;
	struct util_error *err = gr_read_gostring(c->r, data + s, 4096, &t);
	util_error_destroy(err);
	return err ? NULL : t;
}
