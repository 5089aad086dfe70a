// SPDX-License-Identifier: Apache-2.0
// stackmap.c: which words of a goroutine's stack hold live pointers, from the
// stack maps the compiler leaves for Go's collector: per safe point (the
// PCDATA_StackMapIndex table), a bitmap of the frame's pointer-holding local
// slots (FUNCDATA_LocalsPointerMaps) and argument slots
// (FUNCDATA_ArgsPointerMaps), and the frame's address-taken objects
// (FUNCDATA_StackObjects). Read as runtime/stkframe.go getStackMap does
// (1.21+; runtime/stack.go in 1.19), with the frame geometry of
// runtime/traceback.go (fp = sp + spdelta + the return address a CALL
// pushes, 8 on amd64, 0 on arm64; varp = fp less that return address, less
// the saved frame pointer when the frame has one; argp = fp + MinFrameSize,
// 0 on amd64, 8 on arm64).
//
// A frame the maps cannot describe precisely is scanned word by word, as
// before: the innermost frame of a goroutine stopped at any instruction (on
// a CPU, or interrupted by a signal), frames with missing or inconsistent
// maps, reflect's call stubs. Stack objects are scanned only when the
// collector would scan them: reached from a live pointer of the same stack,
// each by its own pointer mask (scanning every object word by word let a
// dead object's stale word keep a leaked channel reachable: httpsvc's
// orphans, from an idle persistConn.readLoop's stack). One description of a
// stack's frames (gr_stack_live_of) serves both the marking
// (gr_stack_live_visit) and the readers of frame variables.
//
// The same maps answer "is this stack word live at the frame's pc?" for the
// readers of frame variables (gr_stack_live_word): a DWARF variable's
// location stays in scope over ranges where the compiler's liveness
// (cmd/compile/internal/liveness/plive.go) already let it die, and the slot
// then holds a pointer to memory the collector may have freed and reused.
// There the stack objects count only when marked as the collector marks
// them (runtime/mgcmark.go scanstack, Go 1.19-1.27): reached from a live
// pointer slot or a word-by-word frame of the same stack, then through the
// pointer words of marked objects (their gcdata bitmap), transitively.
#include <stdlib.h>
#include <string.h>

#include "goruntime/internal.h"

enum {
	MAX_MAP_ENTRIES = 1 << 20,  /* stackmap.n and .nbit beyond this are corrupt */
	MAX_STACK_OBJECTS = 4096,   /* stack objects of one function */
	MAX_PLANS = 1 << 20,        /* distinct PCs remembered */
	MAX_MASK_BYTES = 4096,      /* a stack object's pointer mask read (larger: every word) */
	MAX_LIVE_PTRS = 1 << 20,    /* stack pointers followed while marking one stack's objects */
	MAX_STACK_PCS = 1 << 22,    /* frames of distinct stacks remembered (gr_live_pc) */
};

/*
 * What a frame's pc says of its frame, the same for every goroutine with
 * that stack: gr_stack_live_of describes each goroutine's stack once per
 * pass (three context passes, reach, waits), and looking the function up
 * twice per frame was half its work. Slot 0 of a stack's records holds
 * its count of frames in ARGS.
 */
struct gr_live_pc {
	const struct gr_frame_plan *plan; /* plan_at's, once asked; NULL: not yet */
	int32_t args;                     /* dw_func_args of the frame's function; -1: none */
	bool trap;                        /* gr_unwind_is_trap of the function at its pc */
};

/* A stack object of a frame (runtime.stackObjectRecord). */
struct plan_obj {
	int32_t off;                /* from varp if negative, else from fp (argp) */
	int32_t size;
	uint32_t ptrbytes;          /* its first ptrbytes bytes may hold pointers */
	uint8_t *mask;              /* bit k: word k is a pointer; NULL: each word below ptrbytes */
};

/* How one frame at one PC is scanned. */
struct gr_frame_plan {
	bool conservative;
	int32_t spdelta;
	uint32_t locals_nbit, args_nbit;
	uint8_t *locals, *args;     /* bitmaps, (nbit + 7) / 8 bytes */
	uint32_t nobjs;
	struct plan_obj *objs;
};

static const struct gr_frame_plan conservative_plan = {.conservative = true};

/* True if ERR is NULL; otherwise drop it (a probe whose failure is an answer). */
static bool ok(struct util_error *err)
{
	util_error_destroy(err);
	return !err;
}

void gr_stackmaps_init(struct gr_stackmaps *m, struct gr_reader *r)
{
	memset(m, 0, sizeof(*m));
	m->r = r;
	util_u64map_init(&m->plans);
	util_u64map_init(&m->stacks);
	struct dw_binary *b = r->bin;
	// The indexes are internal/abi constants from 1.21 (internal/abi/symtab.go)
	// and runtime ones, with an underscore, in 1.19 (runtime/symtab.go).
	static const char *const pcd[] = {"internal/abi.PCDATA_StackMapIndex", "runtime._PCDATA_StackMapIndex", NULL};
	static const char *const args[] = {"internal/abi.FUNCDATA_ArgsPointerMaps", "runtime._FUNCDATA_ArgsPointerMaps", NULL};
	static const char *const locals[] = {"internal/abi.FUNCDATA_LocalsPointerMaps", "runtime._FUNCDATA_LocalsPointerMaps", NULL};
	static const char *const objs[] = {"internal/abi.FUNCDATA_StackObjects", "runtime._FUNCDATA_StackObjects", NULL};
	int64_t v[4];
	uint64_t osz, ssz;
	m->ok = dw_constant_any(b, pcd, &v[0]) && dw_constant_any(b, args, &v[1]) &&
		dw_constant_any(b, locals, &v[2]) && dw_constant_any(b, objs, &v[3]) &&
		ok(dw_member_offset(b, "runtime.stackmap", "n", &m->sm_n)) &&
		ok(dw_member_offset(b, "runtime.stackmap", "nbit", &m->sm_nbit)) &&
		ok(dw_member_offset(b, "runtime.stackmap", "bytedata", &m->sm_data)) &&
		ok(dw_type_size(b, "runtime.stackObjectRecord", &m->rec_size)) &&
		ok(dw_member_offset(b, "runtime.stackObjectRecord", "off", &m->rec_off)) &&
		ok(dw_member_offset(b, "runtime.stackObjectRecord", "size", &m->rec_sz)) &&
		ok(dw_member_size(b, "runtime.stackObjectRecord", "off", &osz)) &&
		ok(dw_member_size(b, "runtime.stackObjectRecord", "size", &ssz)) && osz == 4 &&
		ssz == 4 && m->rec_size >= 8 && m->rec_size <= 64 && v[0] >= 0 && v[1] >= 0 &&
		v[2] >= 0 && v[3] >= 0 && v[0] < 256 && v[1] < 256 && v[2] < 256 && v[3] < 256;
	// The object's pointer bytes: _ptrdata (negative for a GC program) up
	// to 1.23, ptrBytes from 1.24 (runtime/stack.go); its mask is at
	// moduledata.rodata + gcdataoff on every release.
	m->rec_ptr = m->rec_gcdata = GR_ABSENT;
	if (m->ok && r->types.moduledata && gr_moduledata_read(r, "rodata", &m->rodata, 8)) {
		m->rec_ptr = gr_member_any(b, "runtime.stackObjectRecord", "ptrBytes", "_ptrdata");
		m->rec_gcdata = gr_member(b, "runtime.stackObjectRecord", "gcdataoff");
	}
	// Roots of the stack objects besides the frames (runtime/mgcmark.go
	// scanstack, 1.19-1.27): each _defer's fn and link, and g._panic.
	m->g_defer = gr_member(b, "runtime.g", "_defer");
	m->g_panic = gr_member(b, "runtime.g", "_panic");
	m->d_fn = gr_member(b, "runtime._defer", "fn");
	m->d_link = gr_member(b, "runtime._defer", "link");
	if (m->ok) {
		m->pcdata_stackmap = (uint32_t)v[0];
		m->fd_args = (int)v[1];
		m->fd_locals = (int)v[2];
		m->fd_objects = (int)v[3];
	}
}

static void free_plan(struct gr_frame_plan *p)
{
	for (uint32_t k = 0; p->objs && k < p->nobjs; k++)
		free(p->objs[k].mask);
	free(p->locals);
	free(p->args);
	free(p->objs);
	free(p);
}

void gr_stackmaps_deinit(struct gr_stackmaps *m)
{
	for (size_t i = 0; i < m->nplans; i++)
		free_plan(m->plans_list[i]);
	free(m->plans_list);
	util_u64map_deinit(&m->plans);
	util_u64map_deinit(&m->stacks);
	free(m->pcs);
}

/* Bitmap ID of the stack map at FD of F (nbit bits), or false. */
static bool read_map(struct gr_stackmaps *m, const struct dw_func *f, int fd, int32_t id,
		     uint32_t max_bits, uint32_t *nbit_ret, uint8_t **bits_ret)
{
	struct dw_binary *b = m->r->bin;
	uint64_t at;
	struct util_error *err = dw_func_funcdata(b, f, fd, &at);
	if (err) {
		util_error_destroy(err);
		return false; // the runtime throws "missing stackmap"
	}
	int32_t n, nbit;
	if (!ok(dw_binary_read(b, at + m->sm_n, &n, 4)) ||
	    !ok(dw_binary_read(b, at + m->sm_nbit, &nbit, 4)) || n <= 0 || n > MAX_MAP_ENTRIES ||
	    nbit < 0 || (uint32_t)nbit > max_bits)
		return false;
	*nbit_ret = (uint32_t)nbit;
	*bits_ret = NULL;
	if (!nbit)
		return true;
	if (id < 0 || id >= n)
		return false; // "bad symbol table"
	size_t bytes = ((size_t)nbit + 7) / 8;
	uint8_t *bits = malloc(bytes);
	if (!bits || !ok(dw_binary_read(b, at + m->sm_data + (uint64_t)id * bytes, bits, bytes))) {
		free(bits);
		return false;
	}
	*bits_ret = bits;
	return true;
}

/*
 * Which words of stack object O (its record at REC) may hold pointers: its
 * ptrBytes and gcdata mask (runtime/stack.go stackObjectRecord.gcdata). A
 * GC program (_ptrdata < 0, up to 1.23) or an unreadable mask: every word
 * below ptrBytes; no probe at all: every word.
 */
static void read_obj_mask(struct gr_stackmaps *m, uint64_t rec, struct plan_obj *o)
{
	struct dw_binary *b = m->r->bin;
	int32_t ptr;
	uint32_t gcoff;
	o->ptrbytes = (uint32_t)o->size;
	if (m->rec_ptr == GR_ABSENT || !ok(dw_binary_read(b, rec + m->rec_ptr, &ptr, 4)))
		return;
	o->ptrbytes = (uint32_t)(ptr < 0 ? -(int64_t)ptr : ptr);
	if (o->ptrbytes > (uint32_t)o->size)
		o->ptrbytes = (uint32_t)o->size;
	size_t bytes = (o->ptrbytes / 8 + 7) / 8;
	if (ptr <= 0 || m->rec_gcdata == GR_ABSENT || bytes > MAX_MASK_BYTES ||
	    !ok(dw_binary_read(b, rec + m->rec_gcdata, &gcoff, 4)))
		return;
	uint8_t *mask = malloc(bytes);
	if (mask && ok(dw_binary_read(b, m->rodata + gcoff, mask, bytes)))
		o->mask = mask;
	else
		free(mask);
}

/* Work out how the frame of F at PC is scanned (getStackMap). */
static struct gr_frame_plan *make_plan(struct gr_stackmaps *m, const struct dw_func *f, uint64_t pc)
{
	struct dw_binary *b = m->r->bin;
	struct gr_frame_plan *p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	int32_t spdelta;
	struct util_error *err = dw_func_spdelta(b, f, pc, &spdelta);
	if (err || spdelta < 0 || strncmp(f->name, "reflect.makeFuncStub", 20) == 0 ||
	    strncmp(f->name, "reflect.methodValueCall", 23) == 0) {
		util_error_destroy(err);
		p->conservative = true;
		return p;
	}
	p->spdelta = spdelta;
	int32_t id = pc == f->entry ? -1 : dw_func_pcdata(b, f, m->pcdata_stackmap, pc - 1);
	if (id == -1)
		id = 0; // the prologue: the runtime assumes map 0 too
	// Locals: [varp - 8*nbit, varp) with varp = sp + spdelta (- 8 for the
	// saved frame pointer, which every amd64 and arm64 frame with locals
	// has: on arm64 varp = fp and the frame pointer is saved below it). The
	// runtime reads the map only for more than 16 bytes on arm64, where
	// the saved LR and the frame pointer take as much (getStackMap's
	// minsize: 1.27 runtime/stkframe.go, 1.19 runtime/stack.go:1277-1285).
	uint32_t size = spdelta > 8 ? (uint32_t)spdelta - 8 : 0;
	if (dw_binary_arch(b)->uses_lr && size <= 16)
		size = 0;
	if (size > 0 && !read_map(m, f, m->fd_locals, id, size / 8, &p->locals_nbit, &p->locals))
		p->conservative = true;
	int32_t args = dw_func_args(b, f); // negative: unknown size (assembly)
	if (!p->conservative && args > 0 &&
	    !read_map(m, f, m->fd_args, id, (uint32_t)args / 8, &p->args_nbit, &p->args))
		p->conservative = true;
	uint64_t at, n;
	err = dw_func_funcdata(b, f, m->fd_objects, &at);
	if (!err && !p->conservative) {
		if (!ok(dw_binary_read(b, at, &n, 8)) || n > MAX_STACK_OBJECTS) {
			p->conservative = true;
		} else if (n) {
			p->objs = calloc(n, sizeof(*p->objs));
			p->nobjs = p->objs ? (uint32_t)n : 0;
			for (uint64_t k = 0; p->objs && k < n; k++) {
				uint64_t rec = at + 8 + k * m->rec_size;
				struct plan_obj *o = &p->objs[k];
				if (!ok(dw_binary_read(b, rec + m->rec_off, &o->off, 4)) ||
				    !ok(dw_binary_read(b, rec + m->rec_sz, &o->size, 4)) || o->size < 0)
					p->conservative = true;
				else
					read_obj_mask(m, rec, o);
			}
			if (!p->objs)
				p->conservative = true;
		}
	}
	util_error_destroy(err);
	return p;
}

static const struct gr_frame_plan *plan_at(struct gr_stackmaps *m, uint64_t pc, bool innermost)
{
	uint64_t key = pc << 1 | innermost, v;
	if (util_u64map_get(&m->plans, key, &v))
		return m->plans_list[v];
	// A caller's pc is a return address: its call is the instruction before.
	const struct dw_func *f = dw_func_at(m->r->bin, innermost ? pc : pc - 1);
	struct gr_frame_plan *p = f && m->nplans < MAX_PLANS ? make_plan(m, f, pc) : NULL;
	if (!p)
		return &conservative_plan;
	if (m->nplans == m->plans_cap) {
		size_t cap = m->plans_cap ? 2 * m->plans_cap : 256;
		struct gr_frame_plan **a = realloc(m->plans_list, cap * sizeof(*a));
		if (!a)
			goto fail;
		m->plans_list = a;
		m->plans_cap = cap;
	}
	struct util_error *err = util_u64map_put(&m->plans, key, m->nplans);
	if (err) {
		util_error_destroy(err);
		goto fail;
	}
	m->plans_list[m->nplans++] = p;
	return p;
fail:
	free_plan(p);
	return &conservative_plan;
}

/* ---- Liveness of stack words (gr_stack_live_word) -------------------------- */

void gr_stack_live_init(struct gr_stack_live *l, struct gr_stackmaps *m,
			bool (*read)(void *arg, const struct gr_goroutine *g, uint64_t addr,
				     void *buf, size_t len),
			void *arg)
{
	memset(l, 0, sizeof(*l));
	l->m = m;
	l->read = read;
	l->read_arg = arg;
}

bool gr_stack_read_core(void *arg, const struct gr_goroutine *g, uint64_t addr, void *buf, size_t len)
{
	return gr_read_stack(arg, g, addr, buf, len);
}

void gr_stack_live_deinit(struct gr_stack_live *l)
{
	free(l->frames);
	free(l->objs);
	free(l->ptrs);
	memset(l, 0, sizeof(*l));
}

static bool bit(const uint8_t *bits, uint64_t k)
{
	return bits[k / 8] >> (k % 8) & 1;
}

/* A frame from SP up to NEXT whose maps cannot be used: every word unverified. */
static struct util_error *add_unverified(struct gr_stack_live *l, uint64_t sp, uint64_t next,
					 uint64_t args_end)
{
	struct util_error *err = util_grow((void **)&l->frames, l->nframes, &l->frames_cap,
					   sizeof(*l->frames), 16);
	if (!err)
		l->frames[l->nframes++] = (struct gr_live_frame){
			.lo = sp, .hi = next, .args_end = args_end > next ? args_end : next};
	return err;
}

/* The function of frame I of G: AT its pc, F its call's (a caller's pc is a return address). */
static void frame_funcs(struct gr_stackmaps *m, const struct gr_goroutine *g, size_t i,
			const struct dw_func **at, const struct dw_func **f)
{
	*at = dw_func_at(m->r->bin, g->frames[i].pc);
	*f = i ? dw_func_at(m->r->bin, g->frames[i].pc - 1) : *at;
}

/* The records of G's frames (their pcs), made on its stack's first goroutine; NULL: none kept. */
static struct gr_live_pc *stack_pcs(struct gr_stackmaps *m, const struct gr_goroutine *g)
{
	uint64_t key = (uint64_t)(uintptr_t)g->frames, v;
	size_t n = g->nframes;
	if (util_u64map_get(&m->stacks, key, &v))
		return m->pcs[v].args == (int32_t)n ? &m->pcs[v + 1] : NULL;
	if (n >= MAX_STACK_PCS || m->npcs > MAX_STACK_PCS - n - 1 ||
	    util_grow((void **)&m->pcs, m->npcs + n, &m->pcs_cap, sizeof(*m->pcs), 256) ||
	    !ok(util_u64map_put(&m->stacks, key, m->npcs)))
		return NULL; // only without memory (util_grow's error is static)
	struct gr_live_pc *pc = &m->pcs[m->npcs];
	pc[0] = (struct gr_live_pc){.args = (int32_t)n};
	for (size_t i = 0; i < n; i++) {
		const struct dw_func *at, *f;
		frame_funcs(m, g, i, &at, &f);
		pc[i + 1] = (struct gr_live_pc){.args = f ? dw_func_args(m->r->bin, f) : -1,
						.trap = gr_unwind_is_trap(m->r, at)};
	}
	m->npcs += n + 1;
	return pc + 1;
}

struct util_error *gr_stack_live_of(struct gr_stack_live *l, const struct gr_goroutine *g,
				    bool exact_top)
{
	if (l->g == g && l->goid == g->goid)
		return NULL;
	struct gr_stackmaps *m = l->m;
	l->g = g;
	l->goid = g->goid;
	l->g_addr = g->g_addr;
	l->nframes = l->nobjs = 0;
	l->marked = false;
	l->lo = g->nframes && g->frame_sp_off ? gr_frame_sp(g, 0) : 0;
	l->hi = g->stack_hi;
	size_t n = g->nframes;
	if (!n || !g->frame_sp_off || l->lo >= l->hi)
		return NULL; // nothing known: every word is outside a frame, unverified
	bool exact = exact_top && m->ok;
	struct util_error *err = NULL;
	struct gr_live_pc *pcs = stack_pcs(m, g);
	for (size_t i = 0; i < n && !err;) {
		if (g->frames[i].inlined) {
			i++;
			continue;
		}
		size_t j = i + 1;
		while (j < n && g->frames[j].inlined)
			j++;
		uint64_t sp = gr_frame_sp(g, i), next = j < n ? gr_frame_sp(g, j) : l->hi;
		if (sp < l->lo || sp > l->hi || next < sp || next > l->hi)
			return add_unverified(l, sp < l->lo || sp > l->hi ? l->lo : sp, l->hi, l->hi);
		int32_t args;
		bool trap;
		if (pcs) {
			args = pcs[i].args;
			trap = pcs[i].trap;
		} else {
			const struct dw_func *at, *f;
			frame_funcs(m, g, i, &at, &f);
			args = f ? dw_func_args(m->r->bin, f) : -1;
			trap = gr_unwind_is_trap(m->r, at);
		}
		// Assembly (no argument size) has no maps of its own to vouch
		// for its words: the collector scans it by the maps its author
		// declared, which say nothing of variables.
		const struct gr_frame_plan *p = &conservative_plan;
		if (exact && args >= 0 && pcs)
			p = pcs[i].plan ? pcs[i].plan : (pcs[i].plan = plan_at(m, g->frames[i].pc, i == 0));
		else if (exact && args >= 0)
			p = plan_at(m, g->frames[i].pc, i == 0);
		const struct dw_arch *arch = dw_binary_arch(m->r->bin);
		uint64_t fp = sp + (uint64_t)p->spdelta + arch->ret_size;
		uint64_t argp = fp + arch->min_frame;
		if (!p->conservative && j < n && fp != next) // the maps disagree with the unwind
			return add_unverified(l, sp, l->hi, l->hi);
		if (p->conservative) {
			// Its arguments (register spill slots included) are above
			// NEXT, in the caller's frame; their size is known for Go code.
			err = add_unverified(l, sp, next,
					     next + (args > 0 ? arch->min_frame + (uint64_t)args : 0));
		} else {
			uint64_t varp = fp - arch->ret_size;
			if (varp > sp)
				varp -= 8;
			err = util_grow((void **)&l->frames, l->nframes, &l->frames_cap, sizeof(*l->frames), 16);
			if (err)
				break;
			l->frames[l->nframes++] = (struct gr_live_frame){
				.lo = sp, .hi = next, .verified = true,
				.locals = varp - 8 * (uint64_t)p->locals_nbit, .locals_nbit = p->locals_nbit,
				.locals_bits = p->locals, .args = argp, .args_nbit = p->args_nbit,
				.args_bits = p->args};
			for (uint32_t k = 0; k < p->nobjs && !err; k++) {
				const struct plan_obj *o = &p->objs[k];
				uint64_t base = (o->off < 0 ? varp : argp) + (uint64_t)(int64_t)o->off;
				if (base < l->lo || base + (uint64_t)o->size > l->hi)
					continue;
				err = util_grow((void **)&l->objs, l->nobjs, &l->objs_cap, sizeof(*l->objs), 16);
				if (!err)
					l->objs[l->nobjs++] = (struct gr_live_object){
						.base = base, .size = (uint64_t)o->size,
						.ptrbytes = o->ptrbytes, .mask = o->mask};
			}
		}
		exact = m->ok && !trap;
		i = j;
	}
	return err;
}

/* Note the value V as a pointer to follow when it points into the stack. */
static void follow(struct gr_stack_live *l, uint64_t v)
{
	if (v < l->lo || v >= l->hi || l->nptrs >= MAX_LIVE_PTRS)
		return;
	struct util_error *err = util_grow((void **)&l->ptrs, l->nptrs, &l->ptrs_cap, sizeof(*l->ptrs), 64);
	if (err) { // out of memory: what it would have marked stays unmarked (dead)
		util_error_destroy(err);
		return;
	}
	l->ptrs[l->nptrs++] = v;
}

/* The words at BASE whose bit is set in BITS (NBIT bits; NULL: all NBIT), followed. */
static void follow_bits(struct gr_stack_live *l, uint64_t base, const uint8_t *bits, uint64_t nbit)
{
	for (uint64_t k = 0; k < nbit; k++) {
		uint64_t v;
		if ((!bits || bit(bits, k)) && l->read(l->read_arg, l->g, base + 8 * k, &v, 8))
			follow(l, v);
	}
}

/*
 * The pointers into the stack that the goroutine's defer and panic records
 * hold (scanstack: a deferred closure may be a stack object reached from
 * nothing else, in debug builds above all, which never open-code defers).
 */
static void follow_records(struct gr_stack_live *l)
{
	const struct gr_stackmaps *m = l->m;
	uint64_t d = 0, v;
	if (!l->g_addr || m->g_defer == GR_ABSENT || m->d_fn == GR_ABSENT || m->d_link == GR_ABSENT)
		return;
	if (m->g_panic != GR_ABSENT && l->read(l->read_arg, l->g, l->g_addr + m->g_panic, &v, 8))
		follow(l, v);
	struct gr_cycle cyc = {0};
	if (!l->read(l->read_arg, l->g, l->g_addr + m->g_defer, &d, 8))
		return;
	for (unsigned k = 0; d && k < GR_MAX_RECORDS && !gr_cycle_step(&cyc, d); k++) {
		if (l->read(l->read_arg, l->g, d + m->d_fn, &v, 8))
			follow(l, v);
		if (!l->read(l->read_arg, l->g, d + m->d_link, &d, 8))
			break;
		follow(l, d);
	}
}

/*
 * Mark the stack objects the collector would (scanstack): the pointers of
 * the frames' live slots, of every word of the frames without maps, and of
 * the defer and panic records, that point into the stack; then the pointer
 * words of each object they reach.
 */
static void mark_objects(struct gr_stack_live *l)
{
	l->marked = true;
	l->nptrs = 0;
	follow_records(l);
	for (size_t i = 0; i < l->nframes; i++) {
		const struct gr_live_frame *f = &l->frames[i];
		if (!f->verified) {
			follow_bits(l, f->lo, NULL, (f->hi - f->lo) / 8);
			continue;
		}
		follow_bits(l, f->locals, f->locals_bits, f->locals_nbit);
		follow_bits(l, f->args, f->args_bits, f->args_nbit);
	}
	for (size_t k = 0; k < l->nptrs; k++) {
		uint64_t p = l->ptrs[k];
		for (size_t o = 0; o < l->nobjs; o++) {
			struct gr_live_object *ob = &l->objs[o];
			if (ob->marked || p < ob->base || p >= ob->base + ob->size)
				continue;
			ob->marked = true;
			follow_bits(l, ob->base, ob->mask, ob->ptrbytes / 8);
		}
	}
}

void gr_stack_live_visit(struct gr_stack_live *l, uint64_t lo, uint64_t hi,
			 const struct gr_stack_visit *v)
{
	struct gr_stackmaps *m = l->m;
	if (!l->nframes) { // nothing described: every word
		v->words(v->arg, lo, hi);
		m->frames_words++;
		return;
	}
	for (size_t i = 0; i < l->nframes; i++) {
		const struct gr_live_frame *f = &l->frames[i];
		if (!f->verified) {
			v->words(v->arg, f->lo, f->hi);
			m->frames_words++;
			continue;
		}
		m->frames_exact++;
		if (f->locals_nbit)
			v->bits(v->arg, f->locals, f->locals_bits, f->locals_nbit);
		if (f->args_nbit)
			v->bits(v->arg, f->args, f->args_bits, f->args_nbit);
	}
	if (!l->nobjs)
		return;
	if (!l->marked)
		mark_objects(l);
	for (size_t o = 0; o < l->nobjs; o++) {
		const struct gr_live_object *ob = &l->objs[o];
		if (!ob->marked || !ob->ptrbytes)
			continue;
		if (ob->mask)
			v->bits(v->arg, ob->base, ob->mask, (uint32_t)(ob->ptrbytes / 8));
		else
			v->words(v->arg, ob->base, ob->base + ob->ptrbytes);
	}
}

enum gr_live gr_stack_live_word(struct gr_stack_live *l, uint64_t addr)
{
	bool unverified = false, in_frame = false;
	for (size_t i = 0; i < l->nframes; i++) {
		const struct gr_live_frame *f = &l->frames[i];
		in_frame |= addr >= f->lo && addr < f->hi;
		if (!f->verified) {
			unverified |= addr >= f->lo && addr < f->args_end;
			continue;
		}
		if (addr >= f->locals && addr < f->locals + 8 * (uint64_t)f->locals_nbit &&
		    (addr - f->locals) % 8 == 0 && bit(f->locals_bits, (addr - f->locals) / 8))
			return GR_LIVE_YES;
		if (addr >= f->args && addr < f->args + 8 * (uint64_t)f->args_nbit &&
		    (addr - f->args) % 8 == 0 && bit(f->args_bits, (addr - f->args) / 8))
			return GR_LIVE_YES;
	}
	for (size_t o = 0; o < l->nobjs; o++) {
		const struct gr_live_object *ob = &l->objs[o];
		if (addr < ob->base || addr >= ob->base + ob->size)
			continue;
		if (!l->marked)
			mark_objects(l);
		if (ob->marked)
			return GR_LIVE_YES;
	}
	return unverified || !in_frame ? GR_LIVE_UNVERIFIED : GR_LIVE_DEAD;
}

/* The words LO + 8j (j < N) with A <= word < B: j in [*J0, *J1). */
static void word_span(uint64_t lo, size_t n, uint64_t a, uint64_t b, size_t *j0, size_t *j1)
{
	uint64_t end = lo + 8 * (uint64_t)n;
	*j0 = *j1 = 0;
	if (b <= lo || a >= end || a >= b)
		return;
	*j0 = a <= lo ? 0 : (size_t)((a - lo + 7) / 8);
	*j1 = b >= end ? n : (size_t)((b - lo + 7) / 8);
}

/* Set FLAG in T for the words LO + 8j (j < N) with A <= word < B. */
static void flag_range(uint8_t *t, uint64_t lo, size_t n, uint64_t a, uint64_t b, uint8_t flag)
{
	size_t j0, j1;
	word_span(lo, n, a, b, &j0, &j1);
	for (size_t j = j0; j < j1; j++)
		t[j] |= flag;
}

/* Set GR_LIVE_T_YES in T for the words of BITS (NBIT bits from BASE) that are set. */
static void flag_bits(uint8_t *t, uint64_t lo, size_t n, uint64_t base, const uint8_t *bits,
		      uint32_t nbit)
{
	// gr_stack_live_word asks for a whole word of the bitmap: none of the
	// table's words is one when BASE is not aligned with LO.
	if (!nbit || (base - lo) % 8)
		return;
	uint64_t end = lo + 8 * (uint64_t)n, top = base + 8 * (uint64_t)nbit;
	if (top < base || top <= lo || base >= end) // past the address space: no word
		return;
	uint64_t k0 = base >= lo ? 0 : (lo - base) / 8, k1 = top <= end ? nbit : (end - base) / 8;
	for (uint64_t k = k0; k < k1;) {
		// Bit by set bit: most of a frame's slots hold no pointer.
		unsigned byte = bits[k / 8] >> (k % 8);
		if (!byte) {
			k = (k / 8 + 1) * 8;
			continue;
		}
		k += (uint64_t)__builtin_ctz(byte);
		if (k >= k1)
			break;
		t[(base + 8 * k - lo) / 8] |= GR_LIVE_T_YES;
		k++;
	}
}

void gr_stack_live_table(const struct gr_stack_live *l, uint64_t lo, size_t n, uint8_t *t)
{
	memset(t, 0, n);
	// The frames' words first, so that a memset sets their flag: each run
	// of adjacent frames at once (mostly the whole stack).
	for (size_t i = 0, k; i < l->nframes; i = k) {
		uint64_t hi = l->frames[i].hi;
		for (k = i + 1; k < l->nframes && l->frames[k].lo == hi && l->frames[k].hi >= hi; k++)
			hi = l->frames[k].hi;
		size_t j0, j1;
		word_span(lo, n, l->frames[i].lo, hi, &j0, &j1);
		memset(t + j0, GR_LIVE_T_FRAME, j1 - j0);
	}
	for (size_t i = 0; i < l->nframes; i++) {
		const struct gr_live_frame *f = &l->frames[i];
		if (!f->verified) {
			flag_range(t, lo, n, f->lo, f->args_end, GR_LIVE_T_UNVERIFIED);
			continue;
		}
		flag_bits(t, lo, n, f->locals, f->locals_bits, f->locals_nbit);
		flag_bits(t, lo, n, f->args, f->args_bits, f->args_nbit);
	}
	for (size_t o = 0; o < l->nobjs; o++)
		flag_range(t, lo, n, l->objs[o].base, l->objs[o].base + l->objs[o].size,
			   GR_LIVE_T_OBJECT);
}

uint64_t gr_stack_live_marks(const struct gr_stack_live *l)
{
	uint64_t m = 0;
	if (!l->marked || l->nobjs >= 64)
		return 0;
	for (size_t o = 0; o < l->nobjs; o++)
		m |= (uint64_t)l->objs[o].marked << o;
	return m | UINT64_C(1) << 63;
}

void gr_stack_live_set_marks(struct gr_stack_live *l, uint64_t marks)
{
	if (!(marks >> 63) || l->nobjs >= 64 || l->marked)
		return;
	for (size_t o = 0; o < l->nobjs; o++)
		l->objs[o].marked = marks >> o & 1;
	l->marked = true;
}
