// SPDX-License-Identifier: Apache-2.0
// pclntab.c: Go's own function table — PC → function, pc-value tables
// (pcsp, pcfile, pcln, pcdata), the inline tree, and the names Go prints.
// Follows runtime/symtab.go (1.19) and runtime/symtab.go + symtabinl.go (1.21+).
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "dwarf/internal.h"

/* internal/abi/symtab.go (1.27 :16-25); 1.19 runtime/symtab.go:602. */
#define PCLNTAB_MAGIC_GO118 0xfffffff0u
#define PCLNTAB_MAGIC_GO120 0xfffffff1u
#define PCHEADER_SIZE 72

/* Indexes, unchanged 1.19–1.27 (1.19 runtime/symtab.go:301-313, 1.27 internal/abi/symtab.go:108-118). */
#define PCDATA_InlTreeIndex 2
#define FUNCDATA_InlTree 3

/* _func field offsets (1.19 runtime/runtime2.go:876, 1.27 :…); startLine sits
 * after cuOffset from 1.20, shifting funcID/flag/nfuncdata by 4. */
#define FUNC_NAMEOFF 4
#define FUNC_ARGS 8
#define FUNC_PCSP 16
#define FUNC_PCFILE 20
#define FUNC_PCLN 24
#define FUNC_NPCDATA 28
#define FUNC_CUOFFSET 32
#define FUNC_STARTLINE 36

/* Largest runtime.inlinedCall we accept (20 bytes in 1.19, 16 from 1.20). */
#define MAX_INL_ENTRY 32

/* Deeper inlining than this means a corrupt (cyclic) inline tree. */
#define MAX_INLINE_DEPTH 256

/** A memoized dw_pc_expand result. */
struct dw_expand_cache {
	const struct dw_func *f;
	size_t n;
	struct dw_location locs[];
};

static struct util_error *bad(const struct dw_binary *b, const char *what)
{
	return util_error_create(UTIL_ERROR_BAD_DATA, "%s: corrupt pclntab: %s", b->path, what);
}

static const uint8_t *func_ptr(const struct dw_pclntab *p, const struct dw_func *f)
{
	return p->pclntable + f->funcoff;
}

/* ---- pc-value tables ---------------------------------------------------- */

static bool read_varint(const uint8_t **q, const uint8_t *end, uint32_t *ret)
{
	uint32_t v = 0;
	for (int shift = 0; shift < 35; shift += 7) {
		if (*q >= end)
			return false;
		uint8_t c = *(*q)++;
		v |= (uint32_t)(c & 0x7f) << shift;
		if (!(c & 0x80)) {
			*ret = v;
			return true;
		}
	}
	return false;
}

/*
 * pcvalue (1.27 runtime/symtab.go pcvalue/step): value at TARGETPC of the
 * table at pctab[OFF]; false where Go returns -1 (no table, not covered, corrupt).
 */
static bool pcvalue(const struct dw_pclntab *p, const struct dw_func *f, uint32_t off,
		    uint64_t targetpc, int32_t *ret)
{
	if (off == 0 || off >= p->pctab_size)
		return false;
	const uint8_t *q = p->pctab + off, *end = p->pctab + p->pctab_size;
	uint64_t pc = f->entry;
	uint32_t val = (uint32_t)-1;
	for (;;) {
		uint32_t uvdelta, pcdelta;
		if (q >= end || (*q == 0 && pc != f->entry))
			return false; // end of table without covering targetpc
		if (!read_varint(&q, end, &uvdelta) || !read_varint(&q, end, &pcdelta))
			return false;
		val += -(uvdelta & 1) ^ (uvdelta >> 1); // zig-zag, wrapping like Go's int32
		pc += (uint64_t)pcdelta * p->minlc;
		if (targetpc < pc) {
			*ret = (int32_t)val;
			return true;
		}
	}
}

/* Whether the table at pctab[OFF] fails to decode before its end (Go's
 * pcvalue would throw "invalid pc-encoded table"), rather than not covering
 * a pc. */
static bool pctab_corrupt(const struct dw_pclntab *p, uint32_t off)
{
	if (off >= p->pctab_size)
		return true;
	const uint8_t *q = p->pctab + off, *end = p->pctab + p->pctab_size;
	for (bool first = true;; first = false) {
		uint32_t uvdelta, pcdelta;
		if (q < end && *q == 0 && !first)
			return false;
		if (!read_varint(&q, end, &uvdelta) || !read_varint(&q, end, &pcdelta))
			return true;
		if (pcdelta == 0 && !first)
			return true; // no progress: Go's step would loop
	}
}

static int32_t pcdata_value(const struct dw_pclntab *p, const struct dw_func *f, uint32_t table,
			    uint64_t pc)
{
	const uint8_t *fp = func_ptr(p, f);
	if (table >= dw_le32(fp + FUNC_NPCDATA))
		return -1;
	int32_t v;
	return pcvalue(p, f, dw_le32(fp + p->func_size + 4 * table), pc, &v) ? v : -1;
}

/* Address of funcdata I, 0 if absent (off 0xffffffff) or gofunc is unknown. */
static uint64_t funcdata(const struct dw_pclntab *p, const struct dw_func *f, uint8_t i)
{
	const uint8_t *fp = func_ptr(p, f);
	if (i >= fp[p->func_size - 1] || !p->gofunc)
		return 0;
	uint32_t off = dw_le32(fp + p->func_size + 4 * dw_le32(fp + FUNC_NPCDATA) + 4 * i);
	return off == 0xffffffffu ? 0 : p->gofunc + off;
}

/* funcline1 + funcfile (1.19 runtime/symtab.go:1008-1034): "?", 0 when unknown. */
static struct util_error *line_at(struct dw_binary *b, const struct dw_func *f, uint64_t pc,
				  const char **file_ret, int *line_ret)
{
	struct dw_pclntab *p = &b->pcln;
	const uint8_t *fp = func_ptr(p, f);
	int32_t fileno, line;
	*file_ret = "?";
	*line_ret = 0;
	uint32_t pcfile = dw_le32(fp + FUNC_PCFILE), pcln = dw_le32(fp + FUNC_PCLN);
	if (!pcvalue(p, f, pcfile, pc, &fileno) || !pcvalue(p, f, pcln, pc, &line) ||
	    fileno < 0 || line < 0) {
		// Told once per function: a table that does not decode, unlike
		// one that does not cover this pc, is a corrupt pclntab.
		bool bad_file = pcfile && pctab_corrupt(p, pcfile), bad_ln = pcln && pctab_corrupt(p, pcln);
		if ((bad_file || bad_ln) && !util_u64map_get(&p->bad_lines, f->entry - b->bias, NULL)) {
			dw_problem(b, "function %s at 0x%llx: its %s table at pctab offset %u does not "
				   "decode; its frames have no file and line", f->name,
				   (unsigned long long)f->entry, bad_ln ? "line" : "file",
				   bad_ln ? pcln : pcfile);
			return util_u64map_put(&p->bad_lines, f->entry - b->bias, 1);
		}
		return NULL;
	}
	uint64_t idx = (uint64_t)dw_le32(fp + FUNC_CUOFFSET) + (uint32_t)fileno;
	if (idx >= p->cutab_size / 4)
		return NULL;
	uint32_t fileoff = dw_le32(p->cutab + 4 * idx);
	if (fileoff == 0xffffffffu || fileoff >= p->filetab_size)
		return NULL;
	uint64_t v;
	if (!util_u64map_get(&p->files, fileoff, &v)) {
		const char *s = (const char *)p->filetab + fileoff;
		const char *nul = memchr(s, 0, p->filetab_size - fileoff);
		if (!nul)
			return NULL;
		const char *name;
		if (!dw_pcln_is_text((const unsigned char *)s, (size_t)(nul - s))) {
			// Binary junk must not become a frame's file either; told once.
			dw_problem(b, "function %s at 0x%llx: its file name at filetab offset %u is"
				   " not printable UTF-8; its frames' file is ?", f->name,
				   (unsigned long long)f->entry, fileoff);
			name = "?";
		} else if (!(name = util_strtab_intern(&b->strings, s, nul - s))) {
			return &util_enomem;
		}
		struct util_error *err = util_u64map_put(&p->files, fileoff, (uintptr_t)name);
		if (err)
			return err;
		v = (uintptr_t)name;
	}
	*file_ret = (const char *)(uintptr_t)v;
	*line_ret = line;
	return NULL;
}

/* ---- loading ------------------------------------------------------------ */

/* Find the pcHeader: the .gopclntab section, else the runtime.pclntab symbol. */
static struct util_error *locate(struct dw_binary *b, uint64_t *addr, uint64_t *size)
{
	*addr = b->pclntab_addr;
	*size = b->pclntab_size;
	if (!*size) {
		uint64_t end;
		if (!dw_ok(dw_symbol(b, "runtime.pclntab", addr)))
			return bad(b, "no .gopclntab and no runtime.pclntab symbol");
		if (dw_ok(dw_symbol(b, "runtime.epclntab", &end)) && end > *addr)
			*size = end - *addr;
		else
			*size = dw_binary_avail(b, *addr);
	}
	size_t avail = dw_binary_avail(b, *addr);
	if (*size > avail)
		*size = avail;
	if (*size < PCHEADER_SIZE)
		return bad(b, "no pcHeader in the file-backed segments");
	return NULL;
}

/* Tables follow the header in this order, but bound each by the next offset we know. */
static const uint8_t *table(const struct dw_pclntab *p, const uint64_t *offs, int k, size_t *size)
{
	uint64_t start = offs[k], end = p->size;
	if (start > p->size)
		return NULL;
	for (int i = 0; i < 5; i++)
		if (offs[i] > start && offs[i] < end)
			end = offs[i];
	*size = end - start;
	return p->data + start;
}

bool dw_constant_any(struct dw_binary *b, const char *const *names, int64_t *v)
{
	for (; *names; names++)
		if (dw_ok(dw_constant(b, *names, v)))
			return true;
	return false;
}

/* Probe layouts from DWARF, falling back on what the pclntab magic implies. */
static void probe_layouts(struct dw_binary *b)
{
	struct dw_pclntab *p = &b->pcln;
	bool go120 = p->magic == PCLNTAB_MAGIC_GO120;

	// _func.startLine: added in Go 1.20 (runtime/runtime2.go).
	if (dw_has_type(b, "runtime._func"))
		p->has_start_line = dw_has_member(b, "runtime._func", "startLine");
	else
		p->has_start_line = go120;
	p->func_size = p->has_start_line ? 44 : 40;

	// runtime.inlinedCall: 1.19 {parent int16; funcID; _ byte; file, line,
	// func_, parentPc int32} (runtime/symtab.go:1175); 1.20+ {funcID; _ [3]byte;
	// nameOff, parentPc, startLine int32} (1.21 runtime/symtabinl.go:10).
	uint64_t size, fid, name, ppc;
	if (dw_ok(dw_type_size(b, "runtime.inlinedCall", &size)) &&
	    dw_ok(dw_member_offset(b, "runtime.inlinedCall", "funcID", &fid)) &&
	    dw_ok(dw_member_offset(b, "runtime.inlinedCall", "parentPc", &ppc)) &&
	    (dw_ok(dw_member_offset(b, "runtime.inlinedCall", "nameOff", &name)) ||
	     dw_ok(dw_member_offset(b, "runtime.inlinedCall", "func_", &name))) &&
	    size <= MAX_INL_ENTRY && fid < size && name + 4 <= size && ppc + 4 <= size) {
		p->inl = (struct dw_inl_layout){size, fid, name, ppc};
	} else if (go120) {
		p->inl = (struct dw_inl_layout){16, 0, 4, 8};
	} else {
		p->inl = (struct dw_inl_layout){20, 2, 12, 16};
	}

	// FuncID_wrapper moves between releases (21 in 1.19/1.21, 22 in
	// 1.22–1.24, 23 in 1.26/1.27), so take it from the binary's own constant.
	static const char *const wrapper[] = {"internal/abi.FuncIDWrapper", "runtime.funcID_wrapper", NULL};
	static const char *const top[] = {"internal/abi.FuncFlagTopFrame", "runtime.funcFlag_TOPFRAME", NULL};
	static const char *const spw[] = {"internal/abi.FuncFlagSPWrite", "runtime.funcFlag_SPWRITE", NULL};
	int64_t v;
	if (dw_constant_any(b, wrapper, &v) && v > 0 && v < 256) {
		p->wrapper_known = true;
		p->wrapper_id = v;
	}
	// FuncFlag bits are 1 and 2 in every release (1.19 runtime/symtab.go:379, 1.27 internal/abi/symtab.go:41).
	p->flag_topframe = dw_constant_any(b, top, &v) && v > 0 && v < 256 ? v : 1;
	p->flag_spwrite = dw_constant_any(b, spw, &v) && v > 0 && v < 256 ? v : 2;
	p->print_names = b->has_print_names;
}

/* A uintptr field of runtime.firstmoduledata read from the file, 0 when unknown
 * (or when the linker left it to a dynamic relocation, as in PIE). */
uint64_t dw_moduledata_field(struct dw_binary *b, const char *field)
{
	uint64_t md, size, off, v;
	if ((dw_ok(dw_variable(b, "runtime.firstmoduledata", &md, &size)) ||
	     dw_ok(dw_symbol(b, "runtime.firstmoduledata", &md))) &&
	    dw_ok(dw_member_offset(b, "runtime.moduledata", field, &off)) &&
	    dw_ok(dw_binary_read(b, md + off, &v, sizeof(v))))
		return v;
	return 0;
}

/* The text base of ftab offsets: pcHeader.textStart is 0 from 1.26
 * (runtime/symtab.go:376-392), so prefer moduledata.text as the runtime does. */
static uint64_t text_base(struct dw_binary *b, uint64_t text_start)
{
	uint64_t v = dw_moduledata_field(b, "text");
	if (v)
		return v;
	if (text_start)
		return text_start;
	if (dw_ok(dw_symbol(b, "runtime.text", &v)))
		return v;
	return b->text_addr;
}

static uint64_t gofunc_base(struct dw_binary *b)
{
	uint64_t v = dw_moduledata_field(b, "gofunc");
	if (v)
		return v;
	// The symbol is go:func.* from 1.20 and go.func.* in 1.19.
	if (dw_ok(dw_symbol(b, "go:func.*", &v)) || dw_ok(dw_symbol(b, "go.func.*", &v)))
		return v;
	return 0;
}

/*
 * dw_func_at's index, as the runtime's findfunctab: per DW_PC_BUCKET bytes
 * of text, the function that bucket starts in. A stack of a debug build has
 * a dozen frames and each pass over 100,000 of them asked for each frame's
 * function again, a binary search of thousands of entries every time; with
 * the index it is a step or two. Without memory, or for a text range no
 * real binary has, dw_func_at searches as before.
 */
static void index_buckets(struct dw_pclntab *p)
{
	if (!p->nfunc || p->maxpc <= p->funcs[0].entry ||
	    p->maxpc - p->funcs[0].entry > DW_PC_INDEX_MAX_TEXT)
		return;
	uint64_t base = p->funcs[0].entry;
	size_t n = (size_t)((p->maxpc - base + DW_PC_BUCKET - 1) / DW_PC_BUCKET);
	uint32_t *first = malloc(n * sizeof(*first));
	if (!first)
		return;
	size_t i = 0;
	for (size_t k = 0; k < n; k++) {
		uint64_t start = base + (uint64_t)k * DW_PC_BUCKET;
		while (i + 1 < p->nfunc && p->funcs[i + 1].entry <= start)
			i++;
		first[k] = (uint32_t)i;
	}
	p->bucket_first = first;
	p->nbuckets = n;
}

static struct util_error *load_funcs(struct dw_binary *b)
{
	struct dw_pclntab *p = &b->pcln;
	const uint8_t *ftab = p->pclntable;
	p->funcs = calloc(p->nfunc ? p->nfunc : 1, sizeof(*p->funcs));
	if (!p->funcs)
		return &util_enomem;
	uint32_t prev = 0;
	for (uint64_t i = 0; i < p->nfunc; i++) {
		uint32_t entryoff = dw_le32(ftab + 8 * i), funcoff = dw_le32(ftab + 8 * i + 4);
		uint32_t next = dw_le32(ftab + 8 * (i + 1));
		if (entryoff < prev || next < entryoff)
			return bad(b, "ftab is not sorted");
		prev = entryoff;
		if (funcoff < 8 * (p->nfunc + 1) || funcoff > p->pclntable_size ||
		    p->pclntable_size - funcoff < p->func_size)
			return bad(b, "_func out of bounds");
		const uint8_t *fp = p->pclntable + funcoff;
		uint64_t extra = 4 * ((uint64_t)dw_le32(fp + FUNC_NPCDATA) + fp[p->func_size - 1]);
		if (p->pclntable_size - funcoff - p->func_size < extra)
			return bad(b, "_func pcdata/funcdata out of bounds");
		struct dw_func *f = &p->funcs[i];
		f->entry = p->text + entryoff;
		f->end = p->text + next;
		f->funcoff = funcoff;
		f->funcid = fp[p->func_size - 4];
		f->flag = fp[p->func_size - 3];
		f->start_line = p->has_start_line ? (int32_t)dw_le32(fp + FUNC_STARTLINE) : 0;
		int32_t nameoff = dw_le32(fp + FUNC_NAMEOFF);
		struct util_error *err = dw_pcln_func_name(b, nameoff, f->entry, &f->name);
		if (!err && !f->name && !(f->name = dw_pcln_placeholder(b, f->entry)))
			err = &util_enomem;
		if (err)
			return err;
		// By-name lookup under the printed and the raw name (they differ for generics).
		err = dw_namemap_add(&p->by_name, f->name, strlen(f->name), i, NULL);
		size_t len;
		const char *raw = dw_pcln_raw_name(p, nameoff, &len);
		if (!err && raw && f->name[0] != '?' &&
		    (len != strlen(f->name) || memcmp(raw, f->name, len) != 0))
			err = dw_namemap_add(&p->by_name, raw, len, i, NULL);
		if (err)
			return err;
	}
	p->maxpc = p->text + dw_le32(ftab + 8 * p->nfunc);
	index_buckets(p);
	return NULL;
}

struct util_error *dw_pclntab_load(struct dw_binary *b)
{
	struct dw_pclntab *p = &b->pcln;
	dw_namemap_init(&p->by_name);
	util_u64map_init(&p->names);
	util_u64map_init(&p->files);
	util_u64map_init(&p->expands);
	util_u64map_init(&p->bad_lines);

	uint64_t addr, size;
	struct util_error *err = locate(b, &addr, &size);
	if (err)
		return err;
	p->vaddr = addr;
	p->size = size;
	p->data = dw_binary_ptr(b, addr, size);
	const uint8_t *h = p->data;
	p->magic = dw_le32(h);
	if (p->magic != PCLNTAB_MAGIC_GO118 && p->magic != PCLNTAB_MAGIC_GO120)
		return util_error_create(UTIL_ERROR_UNSUPPORTED,
					 "%s: pclntab magic %#x is not Go 1.18–1.27's", b->path, p->magic);
	p->minlc = h[6];
	if (h[4] || h[5] || h[7] != 8 || (p->minlc != 1 && p->minlc != 2 && p->minlc != 4))
		return bad(b, "bad pcHeader");
	p->nfunc = dw_le64(h + 8);
	uint64_t text_start = dw_le64(h + 24);
	uint64_t offs[5];
	for (int i = 0; i < 5; i++)
		offs[i] = dw_le64(h + 32 + 8 * i);
	p->funcnametab = table(p, offs, 0, &p->funcnametab_size);
	p->cutab = table(p, offs, 1, &p->cutab_size);
	p->filetab = table(p, offs, 2, &p->filetab_size);
	p->pctab = table(p, offs, 3, &p->pctab_size);
	p->pclntable = table(p, offs, 4, &p->pclntable_size);
	if (!p->funcnametab || !p->cutab || !p->filetab || !p->pctab || !p->pclntable)
		return bad(b, "table offsets beyond the end");
	if (p->nfunc >= p->pclntable_size / 8)
		return bad(b, "nfunc exceeds the function table");

	probe_layouts(b);
	p->text = text_base(b, text_start);
	p->gofunc = gofunc_base(b);
	err = load_funcs(b);
	if (err)
		return err;
	if (!p->wrapper_known) {
		// No constant: FuncID_systemstack_switch precedes FuncIDWrapper in every
		// release 1.19–1.27 (internal/abi/symtab.go FuncID list).
		const struct dw_func *f = dw_func_by_name(b, "runtime.systemstack_switch");
		if (f && f->funcid) {
			p->wrapper_known = true;
			p->wrapper_id = f->funcid + 1;
		}
	}
	return NULL;
}

void dw_pclntab_deinit(struct dw_pclntab *p)
{
	free(p->funcs);
	free(p->bucket_first);
	dw_namemap_deinit(&p->by_name);
	util_u64map_deinit(&p->names);
	util_u64map_deinit(&p->files);
	util_u64map_deinit(&p->expands);
	util_u64map_deinit(&p->bad_lines);
	memset(p, 0, sizeof(*p));
}

void dw_pclntab_relocate(struct dw_pclntab *p, uint64_t delta)
{
	// The bucket index counts from funcs[0].entry and the caches are keyed
	// by offsets or link-time pcs: they stay valid.
	for (uint64_t i = 0; i < p->nfunc; i++) {
		p->funcs[i].entry += delta;
		p->funcs[i].end += delta;
	}
	p->vaddr += delta;
	p->text += delta;
	p->maxpc += delta;
	if (p->gofunc)
		p->gofunc += delta;
}

/* ---- lookups ------------------------------------------------------------ */

const struct dw_func *dw_func_at(struct dw_binary *b, uint64_t pc)
{
	const struct dw_pclntab *p = &b->pcln;
	if (!p->nfunc || pc < p->funcs[0].entry || pc >= p->maxpc)
		return NULL;
	// Last function whose entry <= pc (the non-empty one among equal entries).
	if (p->bucket_first) {
		size_t i = p->bucket_first[(pc - p->funcs[0].entry) / DW_PC_BUCKET];
		while (i + 1 < p->nfunc && p->funcs[i + 1].entry <= pc)
			i++;
		return &p->funcs[i];
	}
	size_t lo = 0, hi = p->nfunc;
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;
		if (p->funcs[mid].entry <= pc)
			lo = mid;
		else
			hi = mid;
	}
	return &p->funcs[lo];
}

const struct dw_func *dw_func_by_name(struct dw_binary *b, const char *name)
{
	uint64_t i;
	if (!dw_namemap_get(&b->pcln.by_name, name, strlen(name), &i))
		return NULL;
	return &b->pcln.funcs[i];
}

bool dw_func_is_topframe(const struct dw_binary *b, const struct dw_func *f)
{
	return f->flag & b->pcln.flag_topframe;
}

bool dw_func_is_spwrite(const struct dw_binary *b, const struct dw_func *f)
{
	return f->flag & b->pcln.flag_spwrite;
}

bool dw_func_is_wrapper(const struct dw_binary *b, const struct dw_func *f)
{
	return b->pcln.wrapper_known && f->funcid == b->pcln.wrapper_id;
}

static struct util_error *check_pc(struct dw_binary *b, const struct dw_func *f, uint64_t pc)
{
	const struct dw_pclntab *p = &b->pcln;
	if (!f || f < p->funcs || f >= p->funcs + p->nfunc)
		return util_error_create(UTIL_ERROR_INVALID, "%s: not a function of this binary", b->path);
	if (pc < f->entry || pc >= f->end)
		return util_error_create(UTIL_ERROR_INVALID, "%s: pc %#" PRIx64 " is not in %s",
					 b->path, pc, f->name);
	return NULL;
}

struct util_error *dw_func_spdelta(struct dw_binary *b, const struct dw_func *f, uint64_t pc,
				   int32_t *ret)
{
	struct util_error *err = check_pc(b, f, pc);
	if (err)
		return err;
	uint32_t off = dw_le32(func_ptr(&b->pcln, f) + FUNC_PCSP);
	if (!off)
		return util_error_create(UTIL_ERROR_NOT_FOUND, "%s: %s has no pcsp table", b->path,
					 f->name);
	int32_t v;
	if (!pcvalue(&b->pcln, f, off, pc, &v)) // e.g. alignment padding after the code
		return util_error_create(UTIL_ERROR_NOT_FOUND, "%s: the pcsp table of %s does not cover %#" PRIx64,
					 b->path, f->name, pc);
	*ret = v;
	return NULL;
}

struct util_error *dw_func_funcdata(struct dw_binary *b, const struct dw_func *f, int index,
				    uint64_t *addr_ret)
{
	const struct dw_pclntab *p = &b->pcln;
	if (!f || f < p->funcs || f >= p->funcs + p->nfunc || index < 0 || index > 255)
		return util_error_create(UTIL_ERROR_INVALID, "%s: bad function or funcdata index", b->path);
	if (!p->gofunc)
		return util_error_create(UTIL_ERROR_UNSUPPORTED, "%s: moduledata.gofunc is unknown",
					 b->path);
	uint64_t addr = funcdata(p, f, (uint8_t)index);
	if (!addr)
		return util_error_create(UTIL_ERROR_NOT_FOUND, "%s: %s has no funcdata %d", b->path,
					 f->name, index);
	*addr_ret = addr;
	return NULL;
}

int32_t dw_func_pcdata(struct dw_binary *b, const struct dw_func *f, uint32_t table, uint64_t pc)
{
	struct util_error *err = check_pc(b, f, pc);
	if (err) {
		util_error_destroy(err);
		return -1;
	}
	return pcdata_value(&b->pcln, f, table, pc);
}

int32_t dw_func_args(struct dw_binary *b, const struct dw_func *f)
{
	const struct dw_pclntab *p = &b->pcln;
	if (!f || f < p->funcs || f >= p->funcs + p->nfunc)
		return -1;
	return (int32_t)dw_le32(func_ptr(p, f) + FUNC_ARGS);
}

struct util_error *dw_pc_line(struct dw_binary *b, const struct dw_func *f, uint64_t pc,
			      const char **file_ret, int *line_ret)
{
	struct util_error *err = check_pc(b, f, pc);
	if (err)
		return err;
	return line_at(b, f, pc, file_ret, line_ret);
}

/* The inline-unwinder loop of 1.21+ runtime/symtabinl.go (and the printing
 * loop of 1.19 runtime/traceback.go:414-441), innermost first. */
static struct util_error *expand(struct dw_binary *b, const struct dw_func *f, uint64_t pc,
				 struct dw_location *out, size_t *n_ret)
{
	struct dw_pclntab *p = &b->pcln;
	size_t n = 0;
	uint64_t tracepc = pc;
	uint64_t inl = funcdata(p, f, FUNCDATA_InlTree);
	struct util_error *err;
	while (inl) {
		int32_t ix = pcdata_value(p, f, PCDATA_InlTreeIndex, tracepc);
		if (ix < 0)
			break;
		if (n == MAX_INLINE_DEPTH)
			return bad(b, "inline tree too deep or cyclic");
		uint8_t e[MAX_INL_ENTRY];
		err = dw_binary_read(b, inl + (uint64_t)ix * p->inl.size, e, p->inl.size);
		if (err)
			return util_error_prefix(err, "inline tree of %s: ", f->name);
		struct dw_location *l = &out[n++];
		int32_t nameoff = dw_le32(e + p->inl.nameoff);
		// An inlined call has no entry of its own: its pc stands for it.
		err = dw_pcln_func_name(b, nameoff, tracepc, &l->func);
		if (!err && !l->func && !(l->func = dw_pcln_placeholder(b, tracepc)))
			err = &util_enomem;
		if (!err)
			err = line_at(b, f, tracepc, &l->file, &l->line);
		if (err)
			return err;
		l->inlined = true;
		l->wrapper = p->wrapper_known && e[p->inl.funcid] == p->wrapper_id;
		// Back up to an instruction in the caller.
		tracepc = f->entry + (uint64_t)(int64_t)(int32_t)dw_le32(e + p->inl.parentpc);
	}
	struct dw_location *l = &out[n++];
	l->func = f->name;
	l->inlined = false;
	l->wrapper = dw_func_is_wrapper(b, f);
	err = line_at(b, f, tracepc, &l->file, &l->line);
	if (err)
		return err;
	*n_ret = n;
	return NULL;
}

struct util_error *dw_pc_expand(struct dw_binary *b, const struct dw_func *f, uint64_t pc,
				struct dw_location *out, size_t max, size_t *n_ret)
{
	struct util_error *err = check_pc(b, f, pc);
	if (err)
		return err;
	struct dw_pclntab *p = &b->pcln;
	uint64_t v;
	struct dw_expand_cache *c;
	// Many goroutines park at the same PCs: memoize per PC.
	// Keyed by the link-time pc, which a new bias does not change.
	uint64_t key = pc - b->bias;
	if (pc != ~(uint64_t)0 && util_u64map_get(&p->expands, key, &v)) {
		c = (struct dw_expand_cache *)(uintptr_t)v;
	} else {
		struct dw_location tmp[MAX_INLINE_DEPTH + 1];
		size_t n = 0;
		err = expand(b, f, pc, tmp, &n);
		if (err)
			return err;
		c = util_arena_alloc(&b->arena, sizeof(*c) + n * sizeof(c->locs[0]));
		if (!c)
			return &util_enomem;
		c->f = f;
		c->n = n;
		memcpy(c->locs, tmp, n * sizeof(tmp[0]));
		if (pc != ~(uint64_t)0 && (err = util_u64map_put(&p->expands, key, (uintptr_t)c)))
			return err;
	}
	size_t n = c->n < max ? c->n : max;
	memcpy(out, c->locs, n * sizeof(out[0]));
	*n_ret = n;
	return NULL;
}
