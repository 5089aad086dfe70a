// stackmap.c: which words of a goroutine's stack hold live pointers, from the
// stack maps the compiler leaves for Go's collector: per safe point (the
// PCDATA_StackMapIndex table), a bitmap of the frame's pointer-holding local
// slots (FUNCDATA_LocalsPointerMaps) and argument slots
// (FUNCDATA_ArgsPointerMaps), and the frame's address-taken objects
// (FUNCDATA_StackObjects). Read as runtime/stkframe.go getStackMap does
// (1.21+; runtime/stack.go in 1.19), with the frame geometry of
// runtime/traceback.go (fp = sp + spdelta + return address; varp = fp - 8,
// less the saved frame pointer when the frame has one).
//
// A frame the maps cannot describe precisely is scanned word by word, as
// before: the innermost frame of a goroutine stopped at any instruction (on
// a CPU, or interrupted by a signal), frames with missing or inconsistent
// maps, reflect's call stubs. Stack objects are scanned word by word (the
// collector scans them only when a live pointer reaches them, with their own
// type bitmap: word by word over-marks, which is the safe side here).
#include <stdlib.h>
#include <string.h>

#include "goruntime/internal.h"

enum {
	MAX_MAP_ENTRIES = 1 << 20,  /* stackmap.n and .nbit beyond this are corrupt */
	MAX_STACK_OBJECTS = 4096,   /* stack objects of one function */
	MAX_PLANS = 1 << 20,        /* distinct PCs remembered */
};

/* How one frame at one PC is scanned. */
struct gr_frame_plan {
	bool conservative;
	int32_t spdelta;
	uint32_t locals_nbit, args_nbit;
	uint8_t *locals, *args;     /* bitmaps, (nbit + 7) / 8 bytes */
	uint32_t nobjs;
	int32_t *objs;              /* (off, size) pairs */
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
	if (m->ok) {
		m->pcdata_stackmap = (uint32_t)v[0];
		m->fd_args = (int)v[1];
		m->fd_locals = (int)v[2];
		m->fd_objects = (int)v[3];
	}
}

void gr_stackmaps_deinit(struct gr_stackmaps *m)
{
	for (size_t i = 0; i < m->nplans; i++) {
		struct gr_frame_plan *p = m->plans_list[i];
		free(p->locals);
		free(p->args);
		free(p->objs);
		free(p);
	}
	free(m->plans_list);
	util_u64map_deinit(&m->plans);
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
	// saved frame pointer, which every amd64 frame with locals has).
	uint32_t size = spdelta > 0 ? (uint32_t)spdelta - 8 : 0;
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
			p->objs = malloc(n * 2 * sizeof(*p->objs));
			p->nobjs = (uint32_t)n;
			for (uint64_t k = 0; p->objs && k < n; k++) {
				uint64_t rec = at + 8 + k * m->rec_size;
				if (!ok(dw_binary_read(b, rec + m->rec_off, &p->objs[2 * k], 4)) ||
				    !ok(dw_binary_read(b, rec + m->rec_sz, &p->objs[2 * k + 1], 4)) ||
				    p->objs[2 * k + 1] < 0)
					p->conservative = true;
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
	free(p->locals);
	free(p->args);
	free(p->objs);
	free(p);
	return &conservative_plan;
}

void gr_stackmaps_visit(struct gr_stackmaps *m, const struct gr_goroutine *g, uint64_t lo,
			uint64_t hi, bool exact_top, const struct gr_stack_visit *v)
{
	size_t n = g->nframes;
	if (!m->ok || !n || !g->frame_sp || lo >= hi) {
		v->words(v->arg, lo, hi);
		m->frames_words++;
		return;
	}
	bool exact = exact_top;
	for (size_t i = 0; i < n;) {
		if (g->frames[i].inlined) {
			i++;
			continue;
		}
		size_t j = i + 1;
		while (j < n && g->frames[j].inlined)
			j++;
		uint64_t sp = g->frame_sp[i], next = j < n ? g->frame_sp[j] : hi;
		if (sp < lo || sp > hi || next < sp || next > hi) {
			v->words(v->arg, sp >= lo && sp < hi ? sp : lo, hi); // the unwind is off
			m->frames_words++;
			return;
		}
		const struct gr_frame_plan *p = exact ? plan_at(m, g->frames[i].pc, i == 0) : &conservative_plan;
		uint64_t fp = sp + (uint64_t)p->spdelta + 8;
		if (!p->conservative && j < n && fp != next) {
			v->words(v->arg, sp, hi); // the maps disagree with the unwind
			m->frames_words++;
			return;
		}
		if (p->conservative) {
			v->words(v->arg, sp, next);
			m->frames_words++;
		} else {
			m->frames_exact++;
			uint64_t varp = fp - 8;
			if (varp > sp)
				varp -= 8;
			if (p->locals_nbit)
				v->bits(v->arg, varp - 8 * (uint64_t)p->locals_nbit, p->locals, p->locals_nbit);
			if (p->args_nbit)
				v->bits(v->arg, fp, p->args, p->args_nbit);
			for (uint32_t k = 0; k < p->nobjs; k++) {
				int32_t off = p->objs[2 * k], size = p->objs[2 * k + 1];
				uint64_t base = (off < 0 ? varp : fp) + (uint64_t)(int64_t)off;
				if (base >= lo && base + (uint64_t)size <= hi)
					v->words(v->arg, base, base + (uint64_t)size);
			}
		}
		// A frame interrupted by a signal, preempted asynchronously or
		// entered by an injected call was stopped between safe points:
		// its caller's maps do not apply.
		exact = !gr_unwind_is_trap(m->r, dw_func_at(m->r->bin, g->frames[i].pc));
		i = j;
	}
}
