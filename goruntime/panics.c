// SPDX-License-Identifier: Apache-2.0
// panics.c: the panics in progress of a goroutine (g._panic and its link
// list); the value's type is named and the value rendered by gotypes.c and
// govalues.c, as Go's panic message prints them.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "goruntime/defers.h"

struct gr_panics {
	struct gr_reader *r;
	/* runtime._panic */
	uint64_t size, arg, link, recovered, aborted, goexit;
	/* runtime.eface */
	uint64_t eface_type, eface_data;
	bool g_ok;
	struct gr_diag_cap diags;   /* every "panic" diagnostic */
};

struct util_error *gr_panics_init(struct gr_reader *r, struct gr_panics **ret)
{
	struct gr_panics *p = calloc(1, sizeof(*p));
	if (!p)
		return &util_enomem;
	p->r = r;
	p->diags = GR_DIAG_CAP("panic", GR_DIAG_MAX);
	const char *P = "runtime._panic";
	// _panic was rewritten in Go 1.22 (argp/pc/sp/aborted → startPC, sp,
	// fp, deferBitsPtr...), 1.25 added repanicked, 1.26 removed argp, 1.27
	// renamed lr to pc. Only arg, link and the flags are read, by name.
	p->size = gr_type_size(r->bin, P);
	p->arg = gr_member(r->bin, P, "arg");
	p->link = gr_member(r->bin, P, "link");
	p->recovered = gr_member(r->bin, P, "recovered");
	p->aborted = gr_member(r->bin, P, "aborted"); // Go 1.19–1.21 only
	p->goexit = gr_member(r->bin, P, "goexit");
	p->eface_type = gr_member(r->bin, "runtime.eface", "_type");
	p->eface_data = gr_member(r->bin, "runtime.eface", "data");
	p->g_ok = p->size && p->size <= 4096 && p->arg != GR_ABSENT && p->link != GR_ABSENT &&
		  p->eface_type != GR_ABSENT && p->eface_data != GR_ABSENT &&
		  p->arg + 16 <= p->size && p->link + 8 <= p->size;
	if (!p->g_ok)
		gr_diag_capped(r->snap, &p->diags, "warning",
			"runtime._panic layout not understood: panics are not read");
	*ret = p;
	return NULL;
}

void gr_panics_free(struct gr_panics *p)
{
	if (!p)
		return;
	gr_diag_cap_flush(p->r->snap, &p->diags);
	free(p);
}

struct util_error *gr_panics_read(struct gr_panics *p, const struct gr_goroutine *g,
				  uint64_t first, struct gr_panic **vec, size_t *n, size_t *cap)
{
	struct gr_reader *r = p->r;
	if (!p->g_ok || !first)
		return NULL;
	unsigned char rec[4096];
	struct gr_cycle cyc = {0};
	uint32_t seq = 0;
	for (uint64_t at = first; at; seq++) {
		if (seq >= GR_MAX_RECORDS || gr_cycle_step(&cyc, at)) {
			gr_diag_capped(r->snap, &p->diags, "warning", "goroutine %llu: the _panic list %s",
				(unsigned long long)g->goid,
				seq >= GR_MAX_RECORDS ? "is too long" : "loops");
			break;
		}
		struct util_error *err = (at & 7) ? util_error_fault(at, "misaligned _panic")
						  : core_read(r->core, at, rec, p->size);
		if (err) {
			gr_diag_capped(r->snap, &p->diags, "warning", "goroutine %llu: _panic 0x%llx: %s",
				(unsigned long long)g->goid, (unsigned long long)at, err->message);
			util_error_destroy(err);
			break;
		}
		if (*n == *cap) {
			size_t ncap = *cap ? *cap * 2 : 16;
			struct gr_panic *nv = realloc(*vec, ncap * sizeof(*nv));
			if (!nv)
				return &util_enomem;
			*vec = nv;
			*cap = ncap;
		}
		struct gr_panic *out = &(*vec)[(*n)++];
		memset(out, 0, sizeof(*out));
		out->goid = g->goid;
		out->seq = seq;
		if (p->recovered != GR_ABSENT)
			out->recovered = rec[p->recovered] != 0;
		if (p->aborted != GR_ABSENT)
			out->aborted = rec[p->aborted] != 0;
		if (p->goexit != GR_ABSENT)
			out->goexit = rec[p->goexit] != 0;
		uint64_t type, data;
		memcpy(&type, rec + p->arg + p->eface_type, 8);
		memcpy(&data, rec + p->arg + p->eface_data, 8);
		if (!type) {
			// runtime.Goexit has no value; panic(nil) before Go 1.21
			// (or with GODEBUG=panicnil=1) prints "nil".
			out->value_text = out->goexit ? NULL : "nil";
		} else {
			const struct gr_type *t = gr_type_read(r, type);
			if (t) {
				out->value_type = t->name;
				out->value_text = gr_value_text(r, type, data);
			} else {
				gr_diag_capped(r->snap, &p->diags, "warning",
					"goroutine %llu: panic value of unknown type at 0x%llx",
					(unsigned long long)g->goid, (unsigned long long)type);
			}
		}
		memcpy(&at, rec + p->link, 8);
	}
	return NULL;
}
