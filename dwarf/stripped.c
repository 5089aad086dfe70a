// SPDX-License-Identifier: Apache-2.0
// stripped.c: the degraded mode for an executable without DWARF (built with
// -ldflags='-s -w'): its Go release from .go.buildinfo, the runtime's layouts
// from that release's built-in table (layouts.c), and the globals the file
// itself holds (runtime.firstmoduledata, runtime.waitReasonStrings) found by
// searching its data. The queries of index.c then answer from these.
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dwarf/internal.h"

/*
 * The file's bytes at [ADDR, ADDR+LEN) and how many follow ADDR in its
 * segment (*AVAIL), NULL outside the file-backed PT_LOADs: binary.c's
 * dw_binary_ptr, kept apart so that binary.c (which calls this file) and
 * this file do not call each other with pclntab.c (tests/test-layering.sh).
 */
static const uint8_t *file_bytes(const struct dw_binary *b, uint64_t addr, size_t len,
				 size_t *avail)
{
	for (size_t i = 0; i < b->nsegs; i++) {
		const struct dw_segment *s = &b->segs[i];
		if (addr >= s->vaddr && addr - s->vaddr <= s->filesz &&
		    len <= s->filesz - (addr - s->vaddr)) {
			if (avail)
				*avail = s->filesz - (addr - s->vaddr);
			return b->map + s->offset + (addr - s->vaddr);
		}
	}
	return NULL;
}

bool dw_binary_is_stripped(const struct dw_binary *b)
{
	return b->layouts_release != NULL;
}

const char *dw_binary_layouts_release(const struct dw_binary *b)
{
	return b->layouts_release;
}

const char *dw_binary_heuristic(const struct dw_binary *b, size_t i)
{
	return i < b->nheuristics ? b->heuristics[i] : NULL;
}

const char *dw_binary_build_version(const struct dw_binary *b)
{
	return b->build_version ? b->build_version : "";
}

bool dw_binary_section(const struct dw_binary *b, const char *name, uint64_t *addr, uint64_t *size)
{
	const struct dw_range *r = !strcmp(name, ".data")	? &b->data
				   : !strcmp(name, ".noptrdata") ? &b->noptrdata
				   : !strcmp(name, ".bss")	? &b->bss
				   : !strcmp(name, ".noptrbss")	? &b->noptrbss
								: NULL;
	if (!r || !r->size)
		return false;
	*addr = r->addr;
	*size = r->size;
	return true;
}

/*
 * .go.buildinfo: a 32-byte header "\xff Go buildinf:", pointer size, flags;
 * with flag 2 (Go 1.18+) the version and the module info follow inline as
 * varint-prefixed strings (1.27 debug/buildinfo/buildinfo.go:223-262; the
 * linker's writer, cmd/link/internal/ld/data.go buildinfo).
 */
static void read_buildinfo(struct dw_binary *b)
{
	static const char magic[] = "\xff Go buildinf:";
	size_t avail = 0;
	const uint8_t *p = file_bytes(b, b->buildinfo.addr, 32, &avail);
	if (!b->buildinfo.size || !p || memcmp(p, magic, 14) != 0 || !(p[15] & 2))
		return;
	uint64_t len = 0;
	size_t i = 32;
	for (int shift = 0; i < avail && shift < 35; shift += 7) {
		len |= (uint64_t)(p[i] & 0x7f) << shift;
		if (!(p[i++] & 0x80))
			break;
	}
	if (len == 0 || len > 64 || len > avail - i || !dw_pcln_is_text(p + i, len))
		return;
	b->build_version = util_arena_strndup(&b->arena, (const char *)p + i, len);
}

static struct util_error *note_heuristic(struct dw_binary *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static struct util_error *note_heuristic(struct dw_binary *b, const char *fmt, ...)
{
	char buf[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	const char **h = realloc(b->heuristics, (b->nheuristics + 1) * sizeof(*h));
	if (!h)
		return &util_enomem;
	b->heuristics = h;
	h[b->nheuristics] = util_arena_strndup(&b->arena, buf, strlen(buf));
	if (!h[b->nheuristics])
		return &util_enomem;
	b->nheuristics++;
	return NULL;
}

static struct util_error *add_global(struct dw_binary *b, const char *name, uint64_t addr,
				     uint64_t size)
{
	struct dw_global *v = util_arena_alloc(&b->arena, sizeof(*v));
	if (!v)
		return &util_enomem;
	*v = (struct dw_global){.addr = addr, .size = size};
	return dw_namemap_add(&b->vars, name, strlen(name), (uintptr_t)v, NULL);
}

/* Addresses of the 8-aligned words of R holding VALUE, at most MAX. */
static size_t find_word(const struct dw_binary *b, struct dw_range r, uint64_t value,
			uint64_t *out, size_t max)
{
	size_t n = 0;
	const uint8_t *p = file_bytes(b, r.addr, r.size, NULL);
	for (uint64_t off = (8 - (r.addr & 7)) & 7; p && off + 8 <= r.size && n < max; off += 8)
		if (dw_le64(p + off) == value)
			out[n++] = r.addr + off;
	return n;
}

/*
 * runtime.firstmoduledata: a statically initialised runtime.moduledata whose
 * first word, pcHeader, is the address of .gopclntab (runtime/symtab.go
 * moduledata; written by cmd/link's ld/symtab.go). The linker puts it in a
 * .go.module section of its own from Go 1.26, in .noptrdata before: only it
 * holds that address there; two candidates is an error.
 */
static struct util_error *find_moduledata(struct dw_binary *b)
{
	uint64_t hits[2];
	const char *where = ".go.module";
	size_t n = find_word(b, b->gomodule, b->pclntab_addr, hits, 2);
	if (!n) {
		where = ".noptrdata";
		n = find_word(b, b->noptrdata, b->pclntab_addr, hits, 2);
	}
	if (n != 1)
		return util_error_create(UTIL_ERROR_BAD_DATA,
					 "%s: stripped executable: %s word in %s holds the "
					 "address of .gopclntab (%#" PRIx64 "): cannot find "
					 "runtime.firstmoduledata",
					 b->path, n ? "more than one" : "no", where, b->pclntab_addr);
	struct util_error *err = add_global(b, "runtime.firstmoduledata", hits[0], 0);
	if (!err)
		err = note_heuristic(b, "runtime.firstmoduledata at %#" PRIx64 ": the only word of "
				     "%s holding .gopclntab's address", hits[0], where);
	return err;
}

/* True if the string header at P (ptr, len) is the bytes S. */
static bool string_is(const struct dw_binary *b, const uint8_t *p, const char *s)
{
	size_t n = strlen(s);
	const uint8_t *q = dw_le64(p + 8) == n ? file_bytes(b, dw_le64(p), n, NULL) : NULL;
	return q && memcmp(q, s, n) == 0;
}

/*
 * runtime.waitReasonStrings, a statically initialised [N]string in .data:
 * entry 0 is "" and entry 1 "GC assist marking" in every release
 * (runtime2.go: waitReasonZero, waitReasonGCAssistMarking); N*16 bytes from
 * the table. Its entries for the reasons a corpus program shows are checked
 * too: "chan receive" is entry 14 in 1.19 and moves later.
 */
static struct util_error *find_wait_reasons(struct dw_binary *b, uint64_t size)
{
	const uint8_t *p = file_bytes(b, b->data.addr, b->data.size, NULL);
	uint64_t found = 0;
	size_t n = 0;
	for (uint64_t off = (8 - (b->data.addr & 7)) & 7; p && off + 32 <= b->data.size; off += 8) {
		if (dw_le64(p + off) != 0 || dw_le64(p + off + 8) != 0 ||
		    !string_is(b, p + off + 16, "GC assist marking") || off + size > b->data.size)
			continue;
		bool chan_receive = false;
		for (uint64_t e = 16; e + 16 <= size && !chan_receive; e += 16)
			chan_receive = string_is(b, p + off + e, "chan receive");
		if (!chan_receive)
			continue;
		found = b->data.addr + off;
		n++;
	}
	if (n != 1)
		return note_heuristic(b, "runtime.waitReasonStrings: %s candidates in .data: wait "
				      "reasons unavailable", n ? "several" : "no");
	struct util_error *err = add_global(b, "runtime.waitReasonStrings", found, size);
	if (!err)
		err = note_heuristic(b, "runtime.waitReasonStrings at %#" PRIx64 ": the only [%" PRIu64
				     "]string in .data starting \"\", \"GC assist marking\"",
				     found, size / 16);
	return err;
}

static struct util_error *add_entry(struct dw_binary *b, const struct dw_layout_entry *e,
				    uint64_t *wrs_size)
{
	switch (e->kind) {
	case DW_SY_SIZE: {
		// The size behind a pointer, which a type descriptor may correct.
		uint64_t *size = util_arena_alloc(&b->arena, sizeof(*size));
		if (!size)
			return &util_enomem;
		*size = (uint64_t)e->value;
		struct util_error *err = dw_namemap_add(&b->synth_sizes, e->type, strlen(e->type),
							(uintptr_t)size, NULL);
		// dw_has_type: the type is known (no DIE: value 0).
		if (!err)
			err = dw_namemap_add(&b->types, e->type, strlen(e->type), 0, NULL);
		return err;
	}
	case DW_SY_MEMBER: {
		// Pre-fill index.c's member cache: the key is "type\001member".
		size_t tl = strlen(e->type), ml = strlen(e->member);
		char *key = util_arena_alloc(&b->arena, tl + 1 + ml);
		struct dw_member *m = util_arena_alloc(&b->arena, sizeof(*m));
		if (!key || !m)
			return &util_enomem;
		memcpy(key, e->type, tl);
		key[tl] = '\001';
		memcpy(key + tl + 1, e->member, ml);
		*m = (struct dw_member){.found = true, .offset = (uint64_t)e->value};
		return dw_namemap_add(&b->members, key, tl + 1 + ml, (uintptr_t)m, NULL);
	}
	case DW_SY_CONST:
		if (b->nconsts == b->consts_cap) {
			size_t ncap = b->consts_cap ? 2 * b->consts_cap : 64;
			struct dw_const *c = realloc(b->consts, ncap * sizeof(*c));
			if (!c)
				return &util_enomem;
			b->consts = c;
			b->consts_cap = ncap;
		}
		b->consts[b->nconsts++] = (struct dw_const){e->type, e->value};
		return NULL;
	case DW_SY_VARSIZE:
		if (strcmp(e->type, "runtime.waitReasonStrings") == 0)
			*wrs_size = (uint64_t)e->value;
		return NULL;
	default:
		return NULL;
	}
}

/* ---- runtime type descriptors ------------------------------------------------ */

/*
 * A type descriptor, the same in every release read: internal/abi.Type
 * (1.27 internal/abi/type.go:20-40; runtime._type in 1.19 runtime/type.go:35)
 * is Size_ at 0, TFlag at 20, Kind_ at 23 and Str (a nameOff from
 * moduledata.types) at 40, 48 bytes; a struct's (abi.StructType, 1.27
 * type.go:583; 1.19 structtype, type.go:422) PkgPath at 48 and its Fields
 * slice at 56, each field {Name, Typ *Type, Offset} in 24 bytes. A name
 * (abi.Name) is a flags byte, a varint length and the bytes.
 */
enum { T_SIZE = 0, T_TFLAG = 20, T_KIND = 23, T_STR = 40, T_FIELDS = 56, FIELD_SIZE = 24,
       KIND_STRUCT = 25, KIND_PTR = 22, KIND_ANY = -1, KIND_MASK = 0x1f, TFLAG_EXTRA_STAR = 2,
       MAX_FIELDS = 512 };

/* Make the cached member TYPE.MEMBER (add_entry's) say offset V. */
static void override_member(struct dw_binary *b, const char *type, const char *member, uint64_t v)
{
	char key[256];
	int n = snprintf(key, sizeof(key), "%s\001%s", type, member);
	uint64_t slot;
	if (n > 0 && (size_t)n < sizeof(key) && dw_namemap_get(&b->members, key, n, &slot))
		((struct dw_member *)(uintptr_t)slot)->offset = v;
}

/* The name at ADDR (abi.Name): its bytes and length; NULL if unreadable. */
static const char *desc_name(const struct dw_binary *b, uint64_t addr, size_t *len)
{
	size_t avail = 0;
	const uint8_t *p = file_bytes(b, addr, 2, &avail);
	if (!p)
		return NULL;
	uint64_t n = 0;
	size_t i = 1;
	for (int shift = 0; i < avail && shift < 28; shift += 7) {
		n |= (uint64_t)(p[i] & 0x7f) << shift;
		if (!(p[i++] & 0x80))
			break;
	}
	if (n > avail - i)
		return NULL;
	*len = n;
	return (const char *)p + i;
}

/*
 * The descriptor of the type NAME ("runtime.g") in [TYPES, ETYPES), 0 if
 * none: of kind KIND (KIND_ANY: any), or with PTR the pointer type *NAME,
 * which shares the named type's name "*NAME" without tflagExtraStar
 * (1.27 cmd/compile/internal/reflectdata/reflect.go:490, dcommontype).
 */
static uint64_t find_named(const struct dw_binary *b, uint64_t types, uint64_t etypes,
			   const char *name, int kind, bool ptr)
{
	size_t size = etypes - types;
	const uint8_t *t = file_bytes(b, types, size, NULL);
	char want[128];
	int wl = snprintf(want, sizeof(want), "%c*%s", (int)(strlen(name) + 1), name);
	if (!t || wl <= 0 || (size_t)wl >= sizeof(want) || wl > 127)
		return 0;
	// Its name, "*runtime.g" (tflagExtraStar), after a flags byte; then
	// the struct type whose Str is that name's offset.
	for (const uint8_t *q = t + 1; (q = memmem(q, size - (q - t), want, wl)); q++) {
		uint32_t off = (uint32_t)(q - 1 - t);
		for (size_t d = 0; d + T_FIELDS + 16 <= size; d += 8)
			if (dw_le32(t + d + T_STR) == off &&
			    (ptr ? (t[d + T_KIND] & KIND_MASK) == KIND_PTR &&
					   !(t[d + T_TFLAG] & TFLAG_EXTRA_STAR)
				 : (kind == KIND_ANY || (t[d + T_KIND] & KIND_MASK) == kind) &&
					   (t[d + T_TFLAG] & TFLAG_EXTRA_STAR)))
				return types + d;
	}
	return 0;
}

static uint64_t find_descriptor(const struct dw_binary *b, uint64_t types, uint64_t etypes,
				const char *name)
{
	return find_named(b, types, etypes, name, KIND_STRUCT, false);
}

/* Resolve the dotted PATH in the struct descriptor DESC: its offset; false if absent. */
static bool desc_member(const struct dw_binary *b, uint64_t desc, const char *path, uint64_t *ret)
{
	uint64_t total = 0;
	for (int depth = 0; depth < 8; depth++) {
		const uint8_t *t = file_bytes(b, desc, T_FIELDS + 16, NULL);
		if (!t || (t[T_KIND] & KIND_MASK) != KIND_STRUCT)
			return false;
		uint64_t fields = dw_le64(t + T_FIELDS), n = dw_le64(t + T_FIELDS + 8);
		const uint8_t *f = n <= MAX_FIELDS ? file_bytes(b, fields, n * FIELD_SIZE, NULL) : NULL;
		const char *dot = strchr(path, '.');
		size_t want = dot ? (size_t)(dot - path) : strlen(path), len;
		bool found = false;
		for (uint64_t i = 0; f && i < n && !found; i++, f += FIELD_SIZE) {
			const char *nm = desc_name(b, dw_le64(f), &len);
			if (nm && len == want && memcmp(nm, path, len) == 0) {
				found = true;
				total += dw_le64(f + 16);
				desc = dw_le64(f + 8);
			}
		}
		if (!found)
			return false;
		if (!dot) {
			*ret = total;
			return true;
		}
		path = dot + 1;
	}
	return false;
}

/* Answer dw_type_runtime_offset(NAME) with the descriptor at TYPES+OFF, and back. */
static struct util_error *add_rtype(struct dw_binary *b, const char *name, uint64_t off)
{
	uint64_t v;
	if (dw_namemap_get(&b->rtype_names, name, strlen(name), &v))
		return NULL;
	char *n = util_arena_strndup(&b->arena, name, strlen(name));
	if (!n)
		return &util_enomem;
	struct util_error *err = util_u64map_put(&b->rtype_map, off, (uintptr_t)n);
	if (!err)
		err = dw_namemap_add(&b->rtype_names, n, strlen(n), off, NULL);
	return err;
}

/* The member TYPE.PATH at OFF, as add_entry caches it, unless the table gave it. */
static struct util_error *add_member(struct dw_binary *b, const char *type, const char *path,
				     size_t plen, uint64_t off)
{
	char key[256];
	int n = snprintf(key, sizeof(key), "%s\001%.*s", type, (int)plen, path);
	uint64_t slot;
	if (n <= 0 || (size_t)n >= sizeof(key) || dw_namemap_get(&b->members, key, n, &slot))
		return NULL;
	char *k = util_arena_alloc(&b->arena, n);
	struct dw_member *m = util_arena_alloc(&b->arena, sizeof(*m));
	if (!k || !m)
		return &util_enomem;
	memcpy(k, key, n);
	*m = (struct dw_member){.found = true, .offset = off};
	return dw_namemap_add(&b->members, k, n, (uintptr_t)m, NULL);
}

/* The fields of the struct descriptor DESC as members of TYPE, PREFIX.field at BASE+offset. */
static struct util_error *add_fields(struct dw_binary *b, const char *type, uint64_t desc,
				     const char *prefix, uint64_t base, int depth)
{
	const uint8_t *t = file_bytes(b, desc, T_FIELDS + 16, NULL);
	if (!t || (t[T_KIND] & KIND_MASK) != KIND_STRUCT)
		return NULL;
	uint64_t n = dw_le64(t + T_FIELDS + 8);
	const uint8_t *f = n <= MAX_FIELDS ? file_bytes(b, dw_le64(t + T_FIELDS), n * FIELD_SIZE, NULL)
					   : NULL;
	struct util_error *err = NULL;
	for (uint64_t i = 0; f && i < n && !err; i++, f += FIELD_SIZE) {
		size_t len;
		const char *nm = desc_name(b, dw_le64(f), &len);
		char path[160];
		int pl = nm ? snprintf(path, sizeof(path), "%s%.*s", prefix, (int)len, nm) : -1;
		if (pl <= 0 || (size_t)pl >= sizeof(path) - 1)
			continue;
		uint64_t off = base + dw_le64(f + 16);
		err = add_member(b, type, path, pl, off);
		if (!err && depth > 0) {
			path[pl] = '.';
			path[pl + 1] = 0;
			err = add_fields(b, type, dw_le64(f + 8), path, off, depth - 1);
		}
	}
	return err;
}

/* A pointer type (abi.PtrType, 1.27 internal/abi/type.go:568; 1.19 ptrtype,
 * runtime/type.go:411) has Elem right after its Type, at 48. */
enum { T_ELEM = 48 };

size_t dw_binary_desc_fields(const struct dw_binary *b, uint64_t desc, bool *ptr,
			     struct dw_desc_field *out, size_t max)
{
	const uint8_t *t = file_bytes(b, desc, T_FIELDS + 16, NULL);
	*ptr = false;
	if (t && (t[T_KIND] & KIND_MASK) == KIND_PTR) {
		*ptr = true;
		t = file_bytes(b, dw_le64(t + T_ELEM), T_FIELDS + 16, NULL);
	}
	if (!t || (t[T_KIND] & KIND_MASK) != KIND_STRUCT)
		return 0;
	uint64_t n = dw_le64(t + T_FIELDS + 8);
	const uint8_t *f = n <= MAX_FIELDS ? file_bytes(b, dw_le64(t + T_FIELDS), n * FIELD_SIZE, NULL)
					   : NULL;
	size_t k = 0;
	for (uint64_t i = 0; f && i < n && k < max; i++, f += FIELD_SIZE) {
		out[k].name = desc_name(b, dw_le64(f), &out[k].name_len);
		out[k].type = dw_le64(f + 8);
		out[k].offset = dw_le64(f + 16);
		k += out[k].name != NULL;
	}
	return k;
}

size_t dw_binary_ctx_itabs(const struct dw_binary *b, const uint64_t **ret)
{
	*ret = b->ctx_itabs;
	return b->nctx_itabs;
}

/*
 * The static itabs of the interface INTER: an itab (1.22 runtime/runtime2.go:
 * 997 itab; 1.27 internal/abi/iface.go:17 ITab) is Inter at 0, Type at 8
 * and Fun[0] at 24; an aligned word of the file equal to INTER followed by a
 * type descriptor in [TYPES, ETYPES) and a nonzero Fun[0] is one (a struct
 * field naming INTER is followed by its offset instead).
 */
static struct util_error *find_itabs(struct dw_binary *b, uint64_t inter, uint64_t types,
				     uint64_t etypes)
{
	size_t cap = 0;
	for (size_t i = 0; i < b->nsegs; i++) {
		const struct dw_segment *s = &b->segs[i];
		const uint8_t *p = b->map + s->offset;
		for (uint64_t o = (8 - s->vaddr % 8) % 8; o + 32 <= s->filesz; o += 8) {
			uint64_t t, f;
			if (dw_le64(p + o) != inter || (t = dw_le64(p + o + 8)) < types ||
			    t >= etypes || !(f = dw_le64(p + o + 24)))
				continue;
			struct util_error *err = util_grow((void **)&b->ctx_itabs, b->nctx_itabs, &cap, 8, 64);
			if (err)
				return err;
			b->ctx_itabs[b->nctx_itabs++] = s->vaddr + o;
		}
	}
	return NULL;
}

/*
 * The context package's types (and the timers a timerCtx holds) have
 * descriptors too: they are stored in interfaces. Each found answers
 * dw_type_runtime_offset for it and for its pointer type, and, a struct,
 * dw_type_size and dw_member_offset for its fields (a level of embedded
 * structs deep: "cancelCtx.Context", "timer.when", "err.v"), so that
 * goruntime/contexts.c probes them as it probes DWARF's.
 */
static struct util_error *read_context_descriptors(struct dw_binary *b, uint64_t types,
						   uint64_t etypes)
{
	static const char *const wanted[] = {
		"context.Context", "context.cancelCtx", "context.timerCtx", "context.valueCtx",
		"context.emptyCtx", "context.backgroundCtx", "context.todoCtx",
		"context.withoutCancelCtx", "context.afterFuncCtx", "context.stopCtx",
		"context.deadlineExceededError", "runtime.timeTimer", "time.Timer", "time.Time", "errors.errorString",
	};
	struct util_error *err = NULL;
	size_t found = 0;
	for (size_t w = 0; w < sizeof(wanted) / sizeof(wanted[0]) && !err; w++) {
		uint64_t desc = find_named(b, types, etypes, wanted[w], KIND_ANY, false), slot;
		uint64_t ptr = find_named(b, types, etypes, wanted[w], KIND_ANY, true);
		const uint8_t *p = desc ? file_bytes(b, desc + T_SIZE, 8, NULL) : NULL;
		size_t wl = strlen(wanted[w]);
		char star[64];
		snprintf(star, sizeof(star), "*%s", wanted[w]);
		if (ptr)
			err = add_rtype(b, star, ptr - types);
		if (!p || err)
			continue;
		found++;
		err = add_rtype(b, wanted[w], desc - types);
		if (!err && !dw_namemap_get(&b->types, wanted[w], wl, &slot))
			err = dw_namemap_add(&b->types, wanted[w], wl, 0, NULL);
		if (!err && !dw_namemap_get(&b->synth_sizes, wanted[w], wl, &slot)) {
			uint64_t *size = util_arena_alloc(&b->arena, sizeof(*size));
			if (!size)
				return &util_enomem;
			*size = dw_le64(p);
			err = dw_namemap_add(&b->synth_sizes, wanted[w], wl, (uintptr_t)size, NULL);
		}
		if (!err)
			err = add_fields(b, wanted[w], desc, "", 0, 1);
		if (!err && w == 0)
			err = find_itabs(b, desc, types, etypes);
	}
	return err ? err
		   : note_heuristic(b, "contexts: %zu of %zu context and timer types' layouts read "
				       "from their type descriptors; %zu static context.Context itabs", found,
				    sizeof(wanted) / sizeof(wanted[0]), b->nctx_itabs);
}

/*
 * Prefer what the binary's own type descriptors say: the runtime allocates
 * g, m, sudog and hchan with new(), so each has a descriptor carrying its
 * fields' names and offsets. Each member of the table found there takes
 * the descriptor's offset; which were read so is told as a heuristic (a
 * search of the type data by name).
 */
static struct util_error *read_descriptors(struct dw_binary *b, const struct dw_layout_entry *table)
{
	uint64_t md = 0, off, types = 0, etypes = 0, sz;
	const uint8_t *p;
	struct util_error *err = dw_variable(b, "runtime.firstmoduledata", &md, &sz);
	util_error_destroy(err);
	if (err || !dw_ok(dw_member_offset(b, "runtime.moduledata", "types", &off)) ||
	    !(p = file_bytes(b, md + off, 8, NULL)) || !(types = dw_le64(p)) ||
	    !dw_ok(dw_member_offset(b, "runtime.moduledata", "etypes", &off)) ||
	    !(p = file_bytes(b, md + off, 8, NULL)) || (etypes = dw_le64(p)) <= types)
		return note_heuristic(b, "no type data in moduledata: every layout from the %s table",
				      b->layouts_release);
	static const char *const wanted[] = {"runtime.g", "runtime.m", "runtime.sudog", "runtime.hchan"};
	for (size_t w = 0; w < sizeof(wanted) / sizeof(wanted[0]); w++) {
		uint64_t desc = find_descriptor(b, types, etypes, wanted[w]);
		size_t read = 0, differ = 0, total = 0;
		for (const struct dw_layout_entry *e = table; desc && e->kind != DW_SY_END; e++) {
			if (strcmp(e->type, wanted[w]) != 0)
				continue;
			total++;
			uint64_t v, m;
			if (e->kind == DW_SY_SIZE && (p = file_bytes(b, desc + T_SIZE, 8, NULL))) {
				read++;
				if ((v = dw_le64(p)) != (uint64_t)e->value) {
					differ++;
					uint64_t slot;
					if (dw_namemap_get(&b->synth_sizes, e->type, strlen(e->type), &slot))
						*(uint64_t *)(uintptr_t)slot = v;
				}
			} else if (e->kind == DW_SY_MEMBER && desc_member(b, desc, e->member, &v) &&
				   dw_ok(dw_member_offset(b, e->type, e->member, &m))) {
				read++;
				if (v != m) {
					differ++;
					override_member(b, e->type, e->member, v);
				}
			}
		}
		err = desc ? note_heuristic(b, "%s: %zu of %zu layout entries read from its type "
					    "descriptor at %#" PRIx64 " (%zu differ from the %s table; "
					    "the descriptor's taken), the rest from the table",
					    wanted[w], read, total, desc, differ, b->layouts_release)
			   : note_heuristic(b, "%s: no type descriptor found: its layout from the %s table",
					    wanted[w], b->layouts_release);
		if (err)
			return err;
	}
	return read_context_descriptors(b, types, etypes);
}

static int const_cmp(const void *x, const void *y)
{
	return strcmp(((const struct dw_const *)x)->name, ((const struct dw_const *)y)->name);
}

struct util_error *dw_stripped_load(struct dw_binary *b)
{
	read_buildinfo(b);
	const char *v = dw_binary_build_version(b), *release = NULL;
	if (!*v)
		return util_error_create(UTIL_ERROR_UNSUPPORTED,
					 "has no DWARF debug info and no Go version in .go.buildinfo: "
					 "gocoroner needs the unstripped executable");
	const struct dw_layout_entry *e = dw_layouts_for(v, 0, &release);
	if (!e)
		return util_error_create(UTIL_ERROR_UNSUPPORTED,
					 "has no DWARF debug info (stripped, e.g. built with "
					 "-ldflags='-s -w') and gocoroner has no built-in layouts for "
					 "%s; it needs the unstripped executable", v);
	b->layouts_release = release;
	uint64_t wrs_size = 0;
	for (; e->kind != DW_SY_END; e++) {
		struct util_error *err = add_entry(b, e, &wrs_size);
		if (err)
			return err;
	}
	qsort(b->consts, b->nconsts, sizeof(*b->consts), const_cmp);
	struct util_error *err = find_moduledata(b);
	if (!err && wrs_size)
		err = find_wait_reasons(b, wrs_size);
	if (!err)
		err = read_descriptors(b, dw_layouts_for(v, 0, &release));
	return err;
}
