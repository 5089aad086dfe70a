// SPDX-License-Identifier: Apache-2.0
// index.c: the DWARF index — named types, constants, global variables and
// DW_AT_go_runtime_type, gathered in one pass over the top-level DIEs of every
// unit; member offsets are resolved on demand and cached.
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <dwarf.h>

#include "dwarf/internal.h"

/* Go's DWARF dialect (cmd/internal/dwarf/dwarf.go, 1.19 :312-321, 1.27 :309-319). */
#define DW_AT_go_runtime_type 0x2904

/* Bound on a dotted member path, so a corrupt type graph cannot loop forever. */
#define MAX_PATH_DEPTH 64

static struct util_error *dwarf_err(const struct dw_binary *b, const char *what)
{
	return util_error_create(UTIL_ERROR_BAD_DATA, "%s: corrupt DWARF (%s): %s", b->path, what,
				 dwarf_errmsg(-1));
}

static bool is_type_tag(int tag)
{
	switch (tag) {
	case DW_TAG_base_type:
	case DW_TAG_structure_type:
	case DW_TAG_union_type:
	case DW_TAG_class_type:
	case DW_TAG_typedef:
	case DW_TAG_pointer_type:
	case DW_TAG_array_type:
	case DW_TAG_subroutine_type:
	case DW_TAG_enumeration_type:
	case DW_TAG_unspecified_type:
	case DW_TAG_const_type:
	case DW_TAG_volatile_type:
		return true;
	default:
		return false;
	}
}

static struct util_error *add_const(struct dw_binary *b, Dwarf_Die *die, const char *name)
{
	Dwarf_Attribute attr;
	Dwarf_Sword v;
	if (!dwarf_attr(die, DW_AT_const_value, &attr) || dwarf_formsdata(&attr, &v))
		return NULL; // not an integer constant (Go writes only integers)
	if (b->nconsts == b->consts_cap) {
		size_t ncap = b->consts_cap ? 2 * b->consts_cap : 1024;
		struct dw_const *c = realloc(b->consts, ncap * sizeof(*c));
		if (!c)
			return &util_enomem;
		b->consts = c;
		b->consts_cap = ncap;
	}
	b->consts[b->nconsts++] = (struct dw_const){name, v};
	return NULL;
}

/* A DW_OP_addr (DWARF 4) or DW_OP_addrx (DWARF 5) location. */
static bool location_addr(Dwarf_Attribute *attr, uint64_t *addr)
{
	// Go writes DW_FORM_block1 even in DWARF 4/5 units, which libdw 0.188
	// does not take as an expression; decode the one-op form directly.
	Dwarf_Block blk;
	if (dwarf_whatform(attr) != DW_FORM_exprloc && dwarf_formblock(attr, &blk) == 0) {
		if (blk.length != 9 || blk.data[0] != DW_OP_addr)
			return false;
		*addr = dw_le64(blk.data + 1);
		return true;
	}
	Dwarf_Op *ops;
	size_t nops;
	if (dwarf_getlocation(attr, &ops, &nops) || nops != 1)
		return false;
	if (ops[0].atom == DW_OP_addr) {
		*addr = ops[0].number;
		return true;
	}
	if (ops[0].atom == DW_OP_addrx || ops[0].atom == DW_OP_GNU_addr_index) {
		Dwarf_Attribute res;
		Dwarf_Addr a;
		if (dwarf_getlocation_attr(attr, ops, &res) || dwarf_formaddr(&res, &a))
			return false;
		*addr = a;
		return true;
	}
	return false;
}

static struct util_error *add_var(struct dw_binary *b, Dwarf_Die *die, const char *name)
{
	Dwarf_Attribute attr;
	uint64_t addr;
	if (!dwarf_attr(die, DW_AT_location, &attr) || !location_addr(&attr, &addr))
		return NULL; // not a static global
	struct dw_global *v = util_arena_alloc(&b->arena, sizeof(*v));
	if (!v)
		return &util_enomem;
	v->addr = addr;
	Dwarf_Die type;
	if (dwarf_attr(die, DW_AT_type, &attr) && dwarf_formref_die(&attr, &type))
		v->type = dwarf_dieoffset(&type);
	return dw_namemap_add(&b->vars, name, strlen(name), (uintptr_t)v, NULL);
}

static struct util_error *add_type(struct dw_binary *b, Dwarf_Die *die, const char *name)
{
	struct util_error *err = dw_namemap_add(&b->types, name, strlen(name), dwarf_dieoffset(die), NULL);
	if (err)
		return err;
	Dwarf_Attribute attr;
	Dwarf_Addr v;
	Dwarf_Word w;
	if (!dwarf_attr(die, DW_AT_go_runtime_type, &attr))
		return NULL;
	// DW_FORM_addr in every release; accept a constant form too.
	if (dwarf_formaddr(&attr, &v)) {
		if (dwarf_formudata(&attr, &w))
			return NULL;
		v = w;
	}
	if (!v)
		return NULL; // a DWARF-only type
	if (b->nrtypes == b->rtypes_cap) {
		size_t ncap = b->rtypes_cap ? 2 * b->rtypes_cap : 1024;
		struct dw_rtype *r = realloc(b->rtypes, ncap * sizeof(*r));
		if (!r)
			return &util_enomem;
		b->rtypes = r;
		b->rtypes_cap = ncap;
	}
	b->rtypes[b->nrtypes++] = (struct dw_rtype){v, name};
	return NULL;
}

static struct util_error *index_die(struct dw_binary *b, Dwarf_Die *die)
{
	int tag = dwarf_tag(die);
	if (tag != DW_TAG_constant && tag != DW_TAG_variable && tag != DW_TAG_subprogram &&
	    !is_type_tag(tag))
		return NULL;
	const char *name = dwarf_diename(die);
	if (!name || !*name)
		return NULL;
	switch (tag) {
	case DW_TAG_constant:
		return add_const(b, die, name);
	case DW_TAG_variable:
		return add_var(b, die, name);
	case DW_TAG_subprogram:
		// Go 1.21 started printing generic names as "F[...]"
		// (runtime/traceback.go funcNamePiecesForPrint); 1.19 prints the raw name.
		if (strcmp(name, "runtime.funcNamePiecesForPrint") == 0)
			b->has_print_names = true;
		return NULL;
	default:
		return add_type(b, die, name);
	}
}

static int const_cmp(const void *x, const void *y)
{
	return strcmp(((const struct dw_const *)x)->name, ((const struct dw_const *)y)->name);
}

struct util_error *dw_index_dwarf(struct dw_binary *b)
{
	Dwarf_CU *cu = NULL;
	Dwarf_Half version;
	uint8_t unit_type;
	Dwarf_Die cudie, child;
	int rc;
	while ((rc = dwarf_get_units(b->dwarf, cu, &cu, &version, &unit_type, &cudie, NULL)) == 0) {
		if (unit_type != DW_UT_compile && unit_type != DW_UT_partial)
			continue;
		Dwarf_Attribute attr;
		Dwarf_Word lang;
		if (!*b->producer && dwarf_attr(&cudie, DW_AT_language, &attr) &&
		    !dwarf_formudata(&attr, &lang) && lang == DW_LANG_Go &&
		    dwarf_attr(&cudie, DW_AT_producer, &attr)) {
			const char *p = dwarf_formstring(&attr);
			if (p)
				b->producer = p;
		}
		rc = dwarf_child(&cudie, &child);
		if (rc < 0)
			return dwarf_err(b, "unit children");
		if (rc > 0)
			continue;
		do {
			struct util_error *err = index_die(b, &child);
			// Functions by entry pc, for their variables (vars.c).
			Dwarf_Addr lo;
			if (!err && dwarf_tag(&child) == DW_TAG_subprogram && dwarf_lowpc(&child, &lo) == 0)
				err = util_u64map_put(&b->subprograms, lo, dwarf_dieoffset(&child));
			if (err)
				return err;
		} while ((rc = dwarf_siblingof(&child, &child)) == 0);
		if (rc < 0)
			return dwarf_err(b, "DIE siblings");
	}
	if (rc < 0)
		return dwarf_err(b, "units");
	if (!b->types.count)
		return util_error_create(UTIL_ERROR_BAD_DATA, "%s: DWARF has no named types", b->path);
	if (b->nconsts)
		qsort(b->consts, b->nconsts, sizeof(*b->consts), const_cmp);
	return NULL;
}

static struct util_error *add_rtype(struct dw_binary *b, uint64_t off, const char *name)
{
	struct util_error *err = util_u64map_put(&b->rtype_map, off, (uintptr_t)name);
	if (!err)
		err = dw_namemap_add(&b->rtype_names, name, strlen(name), off, NULL);
	return err;
}

struct util_error *dw_index_rtypes(struct dw_binary *b, uint64_t types, uint64_t etypes)
{
	uint64_t span = etypes - types, v;
	// Offsets from moduledata.types first.
	for (size_t i = 0; i < b->nrtypes; i++) {
		if (b->rtypes[i].value < span &&
		    !util_u64map_get(&b->rtype_map, b->rtypes[i].value, &v)) {
			struct util_error *err = add_rtype(b, b->rtypes[i].value, b->rtypes[i].name);
			if (err)
				return err;
		}
	}
	// 1.19–1.22 give uintptr an absolute address (DW_CLS_ADDRESS,
	// cmd/internal/dwarf/dwarf.go 1.19 :1784, fixed in 1.23 :1763);
	// keep it only if it lands in the type data and no offset claims it.
	for (size_t i = 0; i < b->nrtypes; i++) {
		uint64_t a = b->rtypes[i].value;
		if (a >= types && a < etypes && !util_u64map_get(&b->rtype_map, a - types, &v)) {
			struct util_error *err = add_rtype(b, a - types, b->rtypes[i].name);
			if (err)
				return err;
		}
	}
	free(b->rtypes);
	b->rtypes = NULL;
	b->nrtypes = b->rtypes_cap = 0;
	return NULL;
}

struct util_error *dw_type_by_runtime_offset(struct dw_binary *b, uint64_t offset,
					     const char **name_ret)
{
	uint64_t v;
	if (!util_u64map_get(&b->rtype_map, offset, &v))
		return util_error_create(UTIL_ERROR_NOT_FOUND,
					 "%s: no DWARF type for runtime type offset %#" PRIx64, b->path,
					 offset);
	*name_ret = (const char *)(uintptr_t)v;
	return NULL;
}

struct util_error *dw_type_runtime_offset(struct dw_binary *b, const char *type_name,
					  uint64_t *offset_ret)
{
	uint64_t v;
	if (!dw_namemap_get(&b->rtype_names, type_name, strlen(type_name), &v))
		return util_error_create(UTIL_ERROR_NOT_FOUND, "%s: no runtime type for %s", b->path,
					 type_name);
	*offset_ret = v;
	return NULL;
}

/* ---- types and members -------------------------------------------------- */

static bool find_type(struct dw_binary *b, const char *name, Dwarf_Die *die)
{
	uint64_t off;
	return b->dwarf && dw_namemap_get(&b->types, name, strlen(name), &off) &&
	       dwarf_offdie(b->dwarf, off, die) != NULL;
}

/* Strip typedefs and qualifiers, as a dotted path goes through named structs. */
static bool peel(Dwarf_Die *die)
{
	for (int i = 0; i < MAX_PATH_DEPTH; i++) {
		int tag = dwarf_tag(die);
		if (tag != DW_TAG_typedef && tag != DW_TAG_const_type && tag != DW_TAG_volatile_type)
			return true;
		if (!dw_next_type(die))
			return false;
	}
	return false;
}

static bool member_location(Dwarf_Die *m, uint64_t *off)
{
	Dwarf_Attribute attr;
	Dwarf_Word w;
	if (!dwarf_attr(m, DW_AT_data_member_location, &attr))
		return dwarf_tag(m) == DW_TAG_member; // union members sit at 0
	if (dwarf_formudata(&attr, &w) == 0) {
		*off = w;
		return true;
	}
	Dwarf_Op *ops;
	size_t nops;
	if (dwarf_getlocation(&attr, &ops, &nops) == 0 && nops == 1 &&
	    ops[0].atom == DW_OP_plus_uconst) {
		*off = ops[0].number;
		return true;
	}
	return false;
}

/* Resolve TYPE_NAME + dotted MEMBER without the cache. */
static bool resolve_member(struct dw_binary *b, const char *type_name, const char *member,
			   struct dw_member *ret)
{
	Dwarf_Die die;
	if (!find_type(b, type_name, &die))
		return false;
	uint64_t total = 0;
	const char *p = member;
	for (int depth = 0; depth < MAX_PATH_DEPTH; depth++) {
		const char *dot = strchr(p, '.');
		size_t len = dot ? (size_t)(dot - p) : strlen(p);
		if (!peel(&die))
			return false;
		Dwarf_Die child;
		if (dwarf_child(&die, &child) != 0)
			return false;
		bool found = false;
		do {
			if (dwarf_tag(&child) != DW_TAG_member)
				continue;
			const char *n = dwarf_diename(&child);
			if (n && strncmp(n, p, len) == 0 && n[len] == '\0') {
				found = true;
				break;
			}
		} while (dwarf_siblingof(&child, &child) == 0);
		uint64_t off = 0;
		Dwarf_Attribute attr;
		if (!found || !member_location(&child, &off) ||
		    !dwarf_attr(&child, DW_AT_type, &attr) || !dwarf_formref_die(&attr, &die))
			return false;
		total += off;
		if (!dot) {
			ret->found = true;
			ret->offset = total;
			ret->type = dwarf_dieoffset(&die);
			return true;
		}
		p = dot + 1;
	}
	return false;
}

static struct util_error *lookup_member(struct dw_binary *b, const char *type_name,
					const char *member, const struct dw_member **ret)
{
	size_t tl = strlen(type_name), ml = strlen(member), kl = tl + 1 + ml;
	char stack[256];
	char *key = kl <= sizeof(stack) ? stack : malloc(kl);
	if (!key)
		return &util_enomem;
	memcpy(key, type_name, tl);
	key[tl] = '\001';
	memcpy(key + tl + 1, member, ml);
	uint64_t v;
	struct util_error *err = NULL;
	struct dw_member *m;
	if (dw_namemap_get(&b->members, key, kl, &v)) {
		m = (struct dw_member *)(uintptr_t)v;
	} else {
		m = util_arena_alloc(&b->arena, sizeof(*m));
		char *k = util_arena_strndup(&b->arena, key, kl);
		if (!m || !k) {
			err = &util_enomem;
			goto out;
		}
		resolve_member(b, type_name, member, m);
		err = dw_namemap_add(&b->members, k, kl, (uintptr_t)m, NULL);
		if (err)
			goto out;
	}
	if (!m->found)
		err = util_error_create(UTIL_ERROR_NOT_FOUND, "%s: no member %s in type %s", b->path,
					member, type_name);
	else
		*ret = m;
out:
	if (key != stack)
		free(key);
	return err;
}

static struct util_error *die_size(struct dw_binary *b, Dwarf_Die *die, const char *what,
				   uint64_t *ret)
{
	Dwarf_Word size;
	Dwarf_Die peeled = *die;
	// libdw 0.188 gives pointers no size; Go pointers are 8 bytes on amd64.
	if (peel(&peeled) && dwarf_tag(&peeled) == DW_TAG_pointer_type &&
	    !dwarf_hasattr(&peeled, DW_AT_byte_size)) {
		*ret = 8;
		return NULL;
	}
	if (dwarf_aggregate_size(die, &size) != 0)
		return util_error_create(UTIL_ERROR_BAD_DATA, "%s: no byte size for %s: %s", b->path,
					 what, dwarf_errmsg(-1));
	*ret = size;
	return NULL;
}

struct util_error *dw_type_size(struct dw_binary *b, const char *type_name, uint64_t *ret)
{
	Dwarf_Die die;
	// Stripped mode: the built-in layouts' sizes, held by pointer (stripped.c).
	uint64_t p;
	if (!b->dwarf && dw_namemap_get(&b->synth_sizes, type_name, strlen(type_name), &p)) {
		*ret = *(const uint64_t *)(uintptr_t)p;
		return NULL;
	}
	if (!find_type(b, type_name, &die))
		return util_error_create(UTIL_ERROR_NOT_FOUND, "%s: no type %s", b->path, type_name);
	return die_size(b, &die, type_name, ret);
}

struct util_error *dw_member_offset(struct dw_binary *b, const char *type_name,
				    const char *member, uint64_t *ret)
{
	const struct dw_member *m;
	struct util_error *err = lookup_member(b, type_name, member, &m);
	if (!err)
		*ret = m->offset;
	return err;
}

struct util_error *dw_member_type_name(struct dw_binary *b, const char *type_name,
				       const char *member, const char **ret)
{
	const struct dw_member *m;
	struct util_error *err = lookup_member(b, type_name, member, &m);
	if (err)
		return err;
	Dwarf_Die die;
	const char *name;
	if (!b->dwarf || !dwarf_offdie(b->dwarf, m->type, &die) || !(name = dwarf_diename(&die)))
		return util_error_create(UTIL_ERROR_NOT_FOUND, "%s: the type of %s.%s has no name",
					 b->path, type_name, member);
	*ret = name;
	return NULL;
}

struct util_error *dw_member_size(struct dw_binary *b, const char *type_name,
				  const char *member, uint64_t *ret)
{
	const struct dw_member *m;
	struct util_error *err = lookup_member(b, type_name, member, &m);
	if (err)
		return err;
	Dwarf_Die die;
	if (!b->dwarf)
		return util_error_create(UTIL_ERROR_NOT_FOUND, "%s: stripped: no size for %s.%s",
					 b->path, type_name, member);
	if (!dwarf_offdie(b->dwarf, m->type, &die))
		return dwarf_err(b, "member type");
	return die_size(b, &die, member, ret);
}

bool dw_has_type(struct dw_binary *b, const char *type_name)
{
	uint64_t off;
	return dw_namemap_get(&b->types, type_name, strlen(type_name), &off);
}

bool dw_has_member(struct dw_binary *b, const char *type_name, const char *member)
{
	const struct dw_member *m;
	return dw_ok(lookup_member(b, type_name, member, &m));
}

/* ---- constants and variables ------------------------------------------- */

/* First constant whose name is >= NAME. */
static size_t const_lower_bound(const struct dw_binary *b, const char *name)
{
	size_t lo = 0, hi = b->nconsts;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (strcmp(b->consts[mid].name, name) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

struct util_error *dw_constant(struct dw_binary *b, const char *name, int64_t *ret)
{
	size_t i = const_lower_bound(b, name);
	if (i == b->nconsts || strcmp(b->consts[i].name, name) != 0)
		return util_error_create(UTIL_ERROR_NOT_FOUND, "%s: no constant %s", b->path, name);
	*ret = b->consts[i].value;
	return NULL;
}

struct util_error *dw_constants_with_prefix(struct dw_binary *b, const char *prefix,
					    struct util_error *(*fn)(const char *name, int64_t value, void *arg),
					    void *arg)
{
	size_t n = strlen(prefix);
	for (size_t i = const_lower_bound(b, prefix);
	     i < b->nconsts && strncmp(b->consts[i].name, prefix, n) == 0; i++) {
		struct util_error *err = fn(b->consts[i].name, b->consts[i].value, arg);
		if (err)
			return err;
	}
	return NULL;
}

struct util_error *dw_variable(struct dw_binary *b, const char *name, uint64_t *addr_ret,
			       uint64_t *size_ret)
{
	uint64_t v;
	if (!dw_namemap_get(&b->vars, name, strlen(name), &v))
		return util_error_create(UTIL_ERROR_NOT_FOUND, "%s: no variable %s", b->path, name);
	const struct dw_global *var = (const struct dw_global *)(uintptr_t)v;
	uint64_t size = var->size;
	Dwarf_Die die;
	if (var->type) {
		if (!dwarf_offdie(b->dwarf, var->type, &die))
			return dwarf_err(b, "variable type");
		struct util_error *err = die_size(b, &die, name, &size);
		if (err)
			return err;
	}
	*addr_ret = var->addr + b->bias;
	*size_ret = size;
	return NULL;
}

struct util_error *dw_globals_each(struct dw_binary *b,
				   struct util_error *(*fn)(void *arg, const char *name,
							    uint64_t addr, uint64_t type_die),
				   void *arg)
{
	char name[512];
	for (size_t i = 0; i < b->vars.cap; i++) {
		const struct dw_name_slot *sl = &b->vars.slots[i];
		if (!sl->name || sl->len >= sizeof(name))
			continue;
		memcpy(name, sl->name, sl->len);
		name[sl->len] = 0;
		const struct dw_global *v = (const struct dw_global *)(uintptr_t)sl->value;
		struct util_error *err = fn(arg, name, v->addr + b->bias, v->type);
		if (err)
			return err;
	}
	return NULL;
}
