// SPDX-License-Identifier: Apache-2.0
// defers.c: the deferred calls each goroutine will run, and its panics in progress.
//
// Three kinds of defer (go-runtime-layouts.md §6): _defer records on the
// g._defer list ("heap" from deferproc, "stack" from deferprocStack),
// range-over-func records whose loop-body defers hang off *head (Go 1.22+,
// "rangefunc"), and open-coded defers, which have no record: the frame keeps a
// deferBits byte and one closure slot per defer, described by the function's
// FUNCDATA_OpenCodedDeferInfo. They are listed in the order the runtime will
// run them: frame by frame from the innermost, within a frame the records
// first (in list order), then the open-coded defers, highest bit first
// (1.27 runtime/panic.go nextDefer/nextFrame).
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "goruntime/defers.h"

enum {
	FUNCDATA_OPEN_CODED_DEFER_INFO = 4, /* 1.19 runtime/symtab.go:310, 1.27 internal/abi/symtab.go:118 */
	MAX_OPEN_DEFERS = 8,                /* deferBits is one byte */
	MAX_RECORD_SIZE = 256,
	MAX_WRAPPER_CODE = 4096,
	MAX_EXPAND = 64,
	G_RELEASE_EVERY = 4096,             /* goroutines between core_release_pages calls */
};

/** The open-coded defer description of one function (decoded funcdata 4). */
struct open_info {
	uint32_t bits_off;      /* deferBits is at varp - bits_off */
	uint8_t n;              /* 1.19–1.21: number of defers; 1.22+: 0 (bits say) */
	uint32_t slot_off[MAX_OPEN_DEFERS]; /* 1.19–1.21: closure i at varp - slot_off[i];
					       1.22+: slot_off[0] = slotsOffset, closure i at
					       varp - slotsOffset + 8*i */
};

/** A physical frame of a stack whose function has open-coded defers. */
struct plan_frame {
	uint32_t frame;   /* index in the goroutine's frames */
	int32_t varp_off; /* varp = frame SP + varp_off */
	uint32_t info;    /* index in infos */
};

struct plan {
	uint32_t start, count; /* in plan_frames */
	bool done;
};

/** A pending _defer record of one goroutine. */
struct record {
	uint64_t sp, fn;
	const char *kind;
};

struct reader {
	struct gr_reader *r;
	struct gr_snapshot *s;
	/* runtime.g */
	uint64_t g_defer, g_panic;
	/* runtime._defer: 1.19–1.21 {started, heap, openDefer, sp, pc, fn,
	 * _panic, link, fd, varp, framepc}; 1.22+ {heap, rangefunc, sp, pc, fn,
	 * link, head} */
	bool records_ok;
	uint64_t d_size, d_started, d_heap, d_open, d_rangefunc, d_sp, d_fn, d_link, d_head;
	uint64_t head_ptr;  /* the pointer inside the atomic.Pointer[_defer] *head */
	bool old_funcdata;  /* 1.19–1.21 open-coded funcdata format */
	/* caches */
	struct util_u64map fn_info;  /* dw_func * → index+1 in infos, 0 = none */
	struct open_info *infos;
	size_t ninfos, infos_cap;
	struct plan *plans;          /* by stack_index */
	size_t nplans;
	struct plan_frame *pframes;
	size_t npframes, pframes_cap;
	struct util_u64map names;    /* code PC → interned name of what runs */
	struct util_u64map reported; /* dw_func * of wrappers already diagnosed */
	/* one goroutine's records */
	struct record *recs;
	size_t nrecs, recs_cap;
	/* output */
	struct gr_defer *defers;
	size_t ndefers, defers_cap;
	struct gr_panic *panics;
	size_t npanics, panics_cap;
	struct gr_panics *preader;
	struct gr_diag_cap diags;    /* every "defer" diagnostic */
};

/* dw_binary_read, true on success. */
static bool bin_read(struct dw_binary *bin, uint64_t addr, void *buf, size_t len)
{
	struct util_error *err = dw_binary_read(bin, addr, buf, len);
	util_error_destroy(err);
	return !err;
}

static void probe(struct reader *d)
{
	struct dw_binary *bin = d->r->bin;
	const char *D = "runtime._defer";
	d->g_defer = gr_member(bin, "runtime.g", "_defer");
	d->g_panic = gr_member(bin, "runtime.g", "_panic");
	struct util_error *err = dw_type_size(bin, D, &d->d_size);
	if (err) {
		util_error_destroy(err);
		d->d_size = 0;
	}
	d->d_sp = gr_member(bin, D, "sp");
	d->d_fn = gr_member(bin, D, "fn");
	d->d_link = gr_member(bin, D, "link");
	d->d_heap = gr_member(bin, D, "heap");
	d->d_started = gr_member(bin, D, "started");     // 1.19–1.21
	d->d_open = gr_member(bin, D, "openDefer");      // 1.19–1.21
	d->d_rangefunc = gr_member(bin, D, "rangefunc"); // 1.22+
	d->d_head = gr_member(bin, D, "head");           // 1.22+
	// 1.19–1.21 _defer carries fd (the open-coded funcdata); Go 1.22 rewrote
	// _defer and changed the funcdata to {deferBitsOffset, slotsOffset}
	// (1.22 cmd/compile/internal/ssagen/ssa.go:270) in the same release.
	d->old_funcdata = dw_has_member(bin, D, "fd");
	d->head_ptr = 0;
	if (d->d_head != GR_ABSENT) {
		// *head is an atomic.Pointer[_defer] (runtime/internal/atomic in
		// 1.22, internal/runtime/atomic from 1.23) whose pointer is "v".
		const char *tn = NULL;
		err = dw_member_type_name(bin, D, "head", &tn);
		if (!err && tn && tn[0] == '*') {
			uint64_t v = gr_member(bin, tn + 1, "v");
			if (v != GR_ABSENT)
				d->head_ptr = v;
		}
		util_error_destroy(err);
	}
	d->records_ok = d->g_defer != GR_ABSENT && d->d_size && d->d_size <= MAX_RECORD_SIZE &&
			d->d_sp != GR_ABSENT && d->d_fn != GR_ABSENT && d->d_link != GR_ABSENT &&
			d->d_heap != GR_ABSENT && d->d_sp + 8 <= d->d_size &&
			d->d_fn + 8 <= d->d_size && d->d_link + 8 <= d->d_size &&
			(d->d_head == GR_ABSENT || d->d_head + 8 <= d->d_size);
	if (!d->records_ok)
		gr_diag_capped(d->s, &d->diags, "warning",
			"runtime._defer layout not understood: the defer lists are not read");
}

/* ---- Names of deferred functions ----------------------------------------- */

static bool skip_callee(const struct dw_func *f)
{
	// Calls a wrapper may make that are not the wrapped call: the stack
	// check, race instrumentation, and the failure paths of checks that
	// come before the call (a devirtualized interface method asserts the
	// type: runtime.panicdottypeI; index checks: runtime.panicIndex...).
	return strncmp(f->name, "runtime.morestack", 17) == 0 ||
	       strncmp(f->name, "runtime.racefunc", 16) == 0 ||
	       strncmp(f->name, "runtime.panic", 13) == 0;
}

/* The logical function a PC of F belongs to at the top level: the inlined
 * call directly under F, or NULL if the PC is F's own code. */
static const char *top_inlined(struct reader *d, const struct dw_func *f, uint64_t pc)
{
	struct dw_location locs[MAX_EXPAND];
	size_t n = 0;
	struct util_error *err = dw_pc_expand(d->r->bin, f, pc, locs, MAX_EXPAND, &n);
	if (err) {
		util_error_destroy(err);
		return NULL;
	}
	return n >= 2 ? locs[n - 2].func : NULL;
}

/*
 * The function a compiler-made defer wrapper (pkg.F.funcN in 1.19–1.21,
 * pkg.F.deferwrapN from 1.22; FuncID_wrapper either way) calls: the body is
 * the one call of the deferred statement. The first direct CALL/JMP rel32
 * (arm64: BL/B imm26) to another function's entry (morestack aside) is it — unless that code is
 * inlined there, in which case the inline tree names the call that was
 * inlined. NULL when the wrapper calls through a func value or an interface.
 */
static const char *wrapped_callee(struct reader *d, const struct dw_func *f)
{
	struct dw_binary *bin = d->r->bin;
	size_t len = f->end - f->entry;
	if (len > MAX_WRAPPER_CODE)
		len = MAX_WRAPPER_CODE;
	unsigned char *code = malloc(len ? len : 1);
	if (!code)
		return NULL;
	const char *found = NULL;
	if (len >= 5 && !bin_read(bin, f->entry, code, len)) {
		free(code);
		return NULL;
	}
	bool arm64 = dw_binary_arch(bin)->uses_lr;
	for (size_t i = 0; len >= 5 && i + 5 <= len && !found; i += arm64 ? 4 : 1) {
		uint64_t target;
		if (arm64) {
			// BL or B imm26: target = pc + 4 × imm26 (signed).
			uint32_t insn;
			memcpy(&insn, code + i, 4);
			if ((insn & 0x7c000000u) != 0x14000000u)
				continue;
			int32_t imm = (int32_t)(insn << 6) >> 6;
			target = f->entry + i + (uint64_t)((int64_t)imm * 4);
		} else {
			if (code[i] != 0xe8 && code[i] != 0xe9)
				continue;
			int32_t rel;
			memcpy(&rel, code + i + 1, 4);
			target = f->entry + i + 5 + (uint64_t)(int64_t)rel;
		}
		const struct dw_func *callee = dw_func_at(bin, target);
		if (!callee || callee->entry != target || callee == f || skip_callee(callee))
			continue;
		found = top_inlined(d, f, f->entry + i);
		if (!found)
			found = callee->name;
	}
	// No call: the whole callee may have been inlined into the wrapper.
	for (uint64_t pc = f->entry; !found && pc < f->entry + len; pc++)
		found = top_inlined(d, f, pc);
	free(code);
	return found;
}

/* NAME without a trailing "-fm" (the wrapper of a method value). */
static const char *strip_fm(struct gr_snapshot *s, const char *name)
{
	size_t n = strlen(name);
	if (n < 3 || strcmp(name + n - 3, "-fm") != 0)
		return name;
	const char *r = util_strtab_intern(&s->strings, name, n - 3);
	return r ? r : name;
}

/* What a func() value at FUNCVAL will run, as the user wrote it; NULL if unreadable. */
static const char *func_name(struct reader *d, const struct gr_goroutine *g, uint64_t funcval)
{
	struct gr_reader *r = d->r;
	uint64_t pc, v;
	if (!funcval || !gr_read_ok(r->core, funcval, &pc, 8)) {
		gr_diag_capped(d->s, &d->diags, "warning", "goroutine %llu: deferred func value 0x%llx unreadable",
			(unsigned long long)g->goid, (unsigned long long)funcval);
		return NULL;
	}
	if (util_u64map_get(&d->names, pc, &v))
		return (const char *)(uintptr_t)v;
	const struct dw_func *f = dw_func_at(r->bin, pc);
	if (!f) {
		gr_diag_capped(d->s, &d->diags, "warning",
			"goroutine %llu: deferred call to 0x%llx, which is no Go function",
			(unsigned long long)g->goid, (unsigned long long)pc);
		return NULL;
	}
	const char *name = f->name;
	size_t n = strlen(name);
	if (n > 3 && strcmp(name + n - 3, "-fm") == 0) {
		name = strip_fm(d->s, name); // method value: "main.(*closer).Close"
	} else if (dw_func_is_wrapper(r->bin, f)) {
		const char *callee = wrapped_callee(d, f);
		if (callee) {
			name = strip_fm(d->s, callee);
		} else if (!util_u64map_get(&d->reported, (uintptr_t)f, NULL)) {
			gr_diag_capped(d->s, &d->diags, "info",
				"defer wrapper %s: the function it calls cannot be told (a call "
				"through a func value or an interface, or an empty inlined body); "
				"the wrapper's name is reported",
				f->name);
			if (util_u64map_put(&d->reported, (uintptr_t)f, 1))
				return NULL;
		}
	}
	name = gr_intern(d->s, name);
	if (name && util_u64map_put(&d->names, pc, (uintptr_t)name))
		return NULL;
	return name;
}

/* ---- Open-coded defers: funcdata, once per function ---------------------- */

static bool read_uvarint(struct dw_binary *bin, uint64_t *at, uint32_t *ret)
{
	uint32_t v = 0;
	for (int shift = 0; shift < 35; shift += 7) {
		uint8_t c;
		if (!bin_read(bin, (*at)++, &c, 1))
			return false;
		v |= (uint32_t)(c & 0x7f) << shift;
		if (!(c & 0x80)) {
			*ret = v;
			return true;
		}
	}
	return false;
}

/* The open-coded defer info of F: index in d->infos, or -1 if it has none. */
static struct util_error *open_info(struct reader *d, const struct dw_func *f, long *ret)
{
	uint64_t v;
	if (util_u64map_get(&d->fn_info, (uintptr_t)f, &v)) {
		*ret = (long)v - 1;
		return NULL;
	}
	*ret = -1;
	struct dw_binary *bin = d->r->bin;
	uint64_t at;
	struct util_error *err = dw_func_funcdata(bin, f, FUNCDATA_OPEN_CODED_DEFER_INFO, &at);
	struct open_info info = {0};
	bool ok = false;
	if (!err) {
		// readvarintUnsafe sequences (1.19 runtime/panic.go:751 runOpenDeferFrame;
		// 1.27 runtime/panic.go initOpenCodedDefers).
		uint32_t n = 0;
		ok = read_uvarint(bin, &at, &info.bits_off);
		if (ok && d->old_funcdata) {
			// deferBitsOffset, nDefers, closure offsets from the last defer to the first.
			ok = read_uvarint(bin, &at, &n) && n <= MAX_OPEN_DEFERS;
			for (long i = (long)n - 1; ok && i >= 0; i--)
				ok = read_uvarint(bin, &at, &info.slot_off[i]);
			info.n = (uint8_t)n;
		} else if (ok) {
			// deferBitsOffset, slotsOffset.
			ok = read_uvarint(bin, &at, &info.slot_off[0]);
		}
		if (!ok)
			gr_diag_capped(d->s, &d->diags, "warning", "%s: open-coded defer info unreadable", f->name);
	} else if (!util_error_is(err, UTIL_ERROR_NOT_FOUND)) {
		gr_diag_capped(d->s, &d->diags, "warning", "%s: %s", f->name, err->message);
	}
	util_error_destroy(err);
	if (ok) {
		if (d->ninfos == d->infos_cap) {
			size_t ncap = d->infos_cap ? d->infos_cap * 2 : 64;
			struct open_info *n = realloc(d->infos, ncap * sizeof(*n));
			if (!n)
				return &util_enomem;
			d->infos = n;
			d->infos_cap = ncap;
		}
		d->infos[d->ninfos++] = info;
		*ret = (long)d->ninfos - 1;
	}
	return util_u64map_put(&d->fn_info, (uintptr_t)f, (uint64_t)(*ret + 1));
}

/* The frames of stack G->stack_index that have open-coded defers, once per stack. */
static struct util_error *stack_plan(struct reader *d, const struct gr_goroutine *g,
				     const struct plan **ret)
{
	static const struct plan none = {0, 0, true};
	*ret = &none;
	if (g->stack_index >= d->nplans || !g->frame_sp_off)
		return NULL;
	struct plan *p = &d->plans[g->stack_index];
	*ret = p;
	if (p->done)
		return NULL;
	p->done = true;
	p->start = (uint32_t)d->npframes;
	for (size_t i = 0; i < g->nframes; i++) {
		const struct gr_frame *fr = &g->frames[i];
		if (fr->inlined)
			continue; // a function with defers is never inlined
		const struct dw_func *f = dw_func_at(d->r->bin, fr->pc);
		if (!f)
			continue;
		long info;
		struct util_error *err = open_info(d, f, &info);
		if (err)
			return err;
		if (info < 0)
			continue;
		int32_t spdelta;
		err = dw_func_spdelta(d->r->bin, f, fr->pc, &spdelta);
		if (err) {
			util_error_destroy(err);
			continue;
		}
		if (spdelta <= 0)
			continue; // in the prologue: deferBits is not set up yet
		if (d->npframes == d->pframes_cap) {
			size_t ncap = d->pframes_cap ? d->pframes_cap * 2 : 64;
			struct plan_frame *n = realloc(d->pframes, ncap * sizeof(*n));
			if (!n)
				return &util_enomem;
			d->pframes = n;
			d->pframes_cap = ncap;
		}
		// varp = fp - 8, and - 8 again for the saved frame pointer when
		// the frame is bigger than the return address (1.27
		// runtime/traceback.go:384-408, 1.19 :274-298); fp = sp + spdelta + 8.
		// On arm64 fp = sp + spdelta and varp = fp - 8: the same offset.
		d->pframes[d->npframes++] = (struct plan_frame){
			.frame = (uint32_t)i,
			.varp_off = spdelta - 8,
			.info = (uint32_t)info,
		};
	}
	p->count = (uint32_t)(d->npframes - p->start);
	return NULL;
}

/* ---- Emitting ------------------------------------------------------------ */

static struct util_error *emit(struct reader *d, const struct gr_goroutine *g, uint32_t *seq,
			       const char *func, int32_t depth, const char *kind)
{
	// In a mapping of its own (40 MB at 300,000 goroutines, copied into the
	// arena): doubling in the heap, it left holes the heap grew past.
	struct util_error *err = util_grow_mapped((void **)&d->defers, d->ndefers, &d->defers_cap,
						  sizeof(*d->defers), 4096);
	if (err)
		return err;
	d->defers[d->ndefers++] = (struct gr_defer){
		.goid = g->goid,
		.seq = (*seq)++,
		.func = func,
		.frame_depth = depth,
		.kind = kind,
	};
	return NULL;
}

/* The pending open-coded defers of one frame, highest bit first. */
static struct util_error *emit_open(struct reader *d, const struct gr_goroutine *g, uint32_t *seq,
				    const struct plan_frame *pf)
{
	struct gr_reader *r = d->r;
	const struct open_info *info = &d->infos[pf->info];
	uint64_t varp = gr_frame_sp(g, pf->frame) + (uint64_t)(int64_t)pf->varp_off;
	uint8_t bits;
	struct util_error *err = core_read_u8(r->core, varp - info->bits_off, &bits);
	if (err) {
		gr_diag_capped(d->s, &d->diags, "warning", "goroutine %llu: deferBits of %s: %s",
			(unsigned long long)g->goid, g->frames[pf->frame].func, err->message);
		util_error_destroy(err);
		return NULL;
	}
	if (d->old_funcdata && info->n < MAX_OPEN_DEFERS && (bits >> info->n) != 0) {
		gr_diag_capped(d->s, &d->diags, "warning",
			"goroutine %llu: deferBits 0x%02x of %s has bits beyond its %u defers",
			(unsigned long long)g->goid, bits, g->frames[pf->frame].func, info->n);
		bits &= (uint8_t)((1u << info->n) - 1);
	}
	for (int i = MAX_OPEN_DEFERS - 1; i >= 0; i--) {
		if (!(bits & (1u << i)))
			continue;
		uint64_t slot = d->old_funcdata ? varp - info->slot_off[i]
						: varp - info->slot_off[0] + 8 * (uint64_t)i;
		uint64_t fv = 0;
		err = core_read_u64(r->core, slot, &fv);
		if (err) {
			util_error_destroy(err);
			fv = 0;
		}
		err = emit(d, g, seq, func_name(d, g, fv), (int32_t)pf->frame, "open-coded");
		if (err)
			return err;
	}
	return NULL;
}

static struct util_error *push_record(struct reader *d, uint64_t sp, uint64_t fn, const char *kind)
{
	if (d->nrecs == d->recs_cap) {
		size_t ncap = d->recs_cap ? d->recs_cap * 2 : 16;
		struct record *n = realloc(d->recs, ncap * sizeof(*n));
		if (!n)
			return &util_enomem;
		d->recs = n;
		d->recs_cap = ncap;
	}
	d->recs[d->nrecs++] = (struct record){sp, fn, kind};
	return NULL;
}

/* Read one _defer record at AT into REC; false (after a diagnostic) if it cannot be. */
static bool read_record(struct reader *d, const struct gr_goroutine *g, uint64_t at,
			unsigned char *rec)
{
	// In a debug build the records are in the goroutine's frames.
	if (!(at & 7) && gr_read_stack(d->r, g, at, rec, d->d_size))
		return true;
	struct util_error *err = (at & 7) ? util_error_fault(at, "misaligned _defer 0x%llx",
							     (unsigned long long)at)
					  : core_read(d->r->core, at, rec, d->d_size);
	if (!err)
		return true;
	gr_diag_capped(d->s, &d->diags, "warning", "goroutine %llu: _defer 0x%llx: %s",
		(unsigned long long)g->goid, (unsigned long long)at, err->message);
	util_error_destroy(err);
	return false;
}

/* The pending records of g._defer, in list order (which is the order they run). */
static struct util_error *read_records(struct reader *d, const struct gr_goroutine *g, uint64_t first)
{
	unsigned char rec[MAX_RECORD_SIZE];
	struct gr_cycle cyc = {0};
	size_t count = 0;
	d->nrecs = 0;
	for (uint64_t at = first; at;) {
		if (++count > GR_MAX_RECORDS || gr_cycle_step(&cyc, at)) {
			gr_diag_capped(d->s, &d->diags, "warning", "goroutine %llu: the _defer list %s",
				(unsigned long long)g->goid,
				count > GR_MAX_RECORDS ? "is too long" : "loops");
			break;
		}
		if (!read_record(d, g, at, rec))
			break;
		uint64_t sp = gr_rd64(rec, d->d_sp), fn = gr_rd64(rec, d->d_fn);
		bool open = d->d_open != GR_ABSENT && rec[d->d_open];
		bool started = d->d_started != GR_ABSENT && rec[d->d_started];
		bool rangefunc = d->d_rangefunc != GR_ABSENT && rec[d->d_rangefunc];
		struct util_error *err = NULL;
		if (open || started) {
			// 1.19–1.21: an openDefer record stands for a frame's open-coded
			// defers (read from the frame itself); a started record's call is
			// running now. Neither is pending.
		} else if (rangefunc && d->d_head != GR_ABSENT) {
			// The loop body's defers, last registered first, run in place
			// of this record (deferconvert); nil or badDefer() (1) ends them.
			uint64_t head = gr_rd64(rec, d->d_head), sub = 0;
			char what[80];
			snprintf(what, sizeof(what), "goroutine %llu: range-over-func defer list",
				 (unsigned long long)g->goid);
			if (head && !gr_read(d->r, &d->diags, head + d->head_ptr, &sub, 8, what))
				sub = 0;
			unsigned char srec[MAX_RECORD_SIZE];
			struct gr_cycle scyc = {0};
			while (sub && !(sub & 7) && !err) {
				if (++count > GR_MAX_RECORDS || gr_cycle_step(&scyc, sub)) {
					gr_diag_capped(d->s, &d->diags, "warning",
						"goroutine %llu: a range-over-func defer list %s",
						(unsigned long long)g->goid,
						count > GR_MAX_RECORDS ? "is too long" : "loops");
					break;
				}
				if (!read_record(d, g, sub, srec))
					break;
				err = push_record(d, sp, gr_rd64(srec, d->d_fn), "rangefunc");
				sub = gr_rd64(srec, d->d_link);
			}
		} else {
			err = push_record(d, sp, fn, rec[d->d_heap] ? "heap" : "stack");
		}
		if (err)
			return err;
		at = gr_rd64(rec, d->d_link);
	}
	return NULL;
}

/* All pending defers of G, in the order they will run. */
static struct util_error *goroutine_defers(struct reader *d, const struct gr_goroutine *g,
					   uint64_t first, const struct plan *p)
{
	struct util_error *err = NULL;
	d->nrecs = 0;
	if (first && d->records_ok) {
		err = read_records(d, g, first);
		if (err)
			return err;
	}
	uint32_t seq = 0;
	size_t ri = 0, pi = 0;
	for (size_t i = 0; i < g->nframes && !err; i++) {
		if (g->frames[i].inlined)
			continue;
		uint64_t sp = gr_frame_sp(g, i);
		// Records of frames not in the stack we have run before the first
		// frame above them (the list is sorted by sp).
		while (!err && ri < d->nrecs && d->recs[ri].sp < sp) {
			err = emit(d, g, &seq, func_name(d, g, d->recs[ri].fn), -1, d->recs[ri].kind);
			ri++;
		}
		while (!err && ri < d->nrecs && d->recs[ri].sp == sp) {
			err = emit(d, g, &seq, func_name(d, g, d->recs[ri].fn), (int32_t)i,
				   d->recs[ri].kind);
			ri++;
		}
		while (!err && pi < p->count && d->pframes[p->start + pi].frame < i)
			pi++;
		if (!err && pi < p->count && d->pframes[p->start + pi].frame == i)
			err = emit_open(d, g, &seq, &d->pframes[p->start + pi]);
	}
	for (; !err && ri < d->nrecs; ri++)
		err = emit(d, g, &seq, func_name(d, g, d->recs[ri].fn), -1, d->recs[ri].kind);
	return err;
}

static void reader_free(struct reader *d)
{
	util_u64map_deinit(&d->fn_info);
	util_u64map_deinit(&d->names);
	util_u64map_deinit(&d->reported);
	free(d->infos);
	free(d->plans);
	free(d->pframes);
	free(d->recs);
	util_unmap_array(d->defers, d->defers_cap, sizeof(*d->defers));
	free(d->panics);
	gr_panics_free(d->preader);
}

/* Move a malloc'd vector into the snapshot's arena. */
struct util_error *gr_read_defers(struct gr_reader *r)
{
	struct gr_snapshot *s = r->snap;
	struct reader d = {.r = r, .s = s, .diags = GR_DIAG_CAP("defer", GR_DIAG_MAX)};
	util_u64map_init(&d.fn_info);
	util_u64map_init(&d.names);
	util_u64map_init(&d.reported);
	probe(&d);
	struct util_error *err = gr_panics_init(r, &d.preader);
	if (err)
		goto out;
	d.nplans = s->nstacks;
	d.plans = calloc(d.nplans ? d.nplans : 1, sizeof(*d.plans));
	if (!d.plans) {
		err = &util_enomem;
		goto out;
	}
	// g._panic and g._defer are neighbours (32 and 40 in every release): one read.
	uint64_t lo = d.g_defer, hi = d.g_defer;
	if (d.g_panic != GR_ABSENT) {
		lo = d.g_panic < lo ? d.g_panic : lo;
		hi = d.g_panic > hi ? d.g_panic : hi;
	}
	if (d.g_defer == GR_ABSENT || hi - lo > 56) {
		gr_diag(s, "warning", "defer", "runtime.g has no _defer/_panic where expected");
		goto out;
	}
	for (size_t i = 0; i < s->ngoroutines; i++) {
		const struct gr_goroutine *g = &s->goroutines[i];
		if (i % G_RELEASE_EVERY == G_RELEASE_EVERY - 1)
			core_release_pages(r->core);
		uint64_t first_defer = 0, first_panic = 0;
		err = gr_g_word(r, g, d.g_defer, &first_defer);
		if (!err && d.g_panic != GR_ABSENT)
			err = gr_g_word(r, g, d.g_panic, &first_panic);
		if (err) {
			gr_diag_capped(s, &d.diags, "warning", "goroutine %llu: g._defer: %s",
				(unsigned long long)g->goid, err->message);
			util_error_destroy(err);
			err = NULL;
			continue;
		}
		const struct plan *p;
		err = stack_plan(&d, g, &p);
		if (!err && (first_defer || p->count))
			err = goroutine_defers(&d, g, first_defer, p);
		if (!err && first_panic)
			err = gr_panics_read(d.preader, g, first_panic, &d.panics, &d.npanics,
					     &d.panics_cap);
		if (err)
			goto out;
	}
	// The defers' mapping becomes the snapshot's, not copied into its arena:
	// the writer lets it go once it has stored them (gr_snapshot_drop_defers),
	// before the peaks of the contexts pass and the heap's marking.
	s->defers = d.defers, s->defers_mapped = d.defers_cap;
	d.defers = NULL, d.defers_cap = 0;
	s->panics = gr_arena_copy(s, d.panics, d.npanics, sizeof(*d.panics));
	if (d.npanics && !s->panics) {
		err = &util_enomem;
		goto out;
	}
	s->ndefers = d.ndefers;
	s->npanics = d.npanics;
out:
	gr_diag_cap_flush(s, &d.diags);
	reader_free(&d);
	return err;
}
