// SPDX-License-Identifier: Apache-2.0
// ptrmap.c: where a Go type holds pointers, from its DWARF — what Go's own
// collector reads from the type's GC bitmap: pointers, channels, maps,
// funcs, unsafe.Pointers, the data words of slices, strings and interfaces,
// through structs and arrays. A uintptr is no pointer: a runtime structure
// that keeps addresses as uintptrs (the write barrier's buffer in runtime.p)
// keeps nothing alive, and a conservative scan that read them would. And
// the shape of a type (dw_type_shape): what kind of value it is and what it
// points to or holds, for walking values with their types.
#include <stdlib.h>
#include <string.h>

#include <dwarf.h>

#include "dwarf/internal.h"

#define MAX_PEEL 16
#define MAX_DEPTH 16

struct walk {
	uint64_t *offsets;
	size_t n, max;
	bool overflow;
};

static void add(struct walk *w, uint64_t off)
{
	if (w->n < w->max)
		w->offsets[w->n++] = off;
	else
		w->overflow = true;
}

static uint64_t byte_size(Dwarf_Die *die)
{
	Dwarf_Attribute attr;
	Dwarf_Word v;
	if (!dwarf_attr(die, DW_AT_byte_size, &attr) || dwarf_formudata(&attr, &v))
		return 0;
	return v;
}

/* The size of a value of the type DIE, through typedefs: a pointer's is a
 * word (Go's DWARF gives pointer types no byte size). 0 if unknown. */
static uint64_t type_size(Dwarf_Die die)
{
	for (int i = 0; i < MAX_PEEL; i++) {
		int tag = dwarf_tag(&die);
		if (tag == DW_TAG_pointer_type || tag == DW_TAG_subroutine_type)
			return 8;
		uint64_t size = byte_size(&die);
		if (size || (tag != DW_TAG_typedef && tag != DW_TAG_const_type &&
			     tag != DW_TAG_volatile_type) || !dw_next_type(&die))
			return size;
	}
	return 0;
}

/* The number of elements of the array type DIE (its subrange's count or bound). */
static uint64_t array_count(Dwarf_Die *die)
{
	Dwarf_Die sub;
	if (dwarf_child(die, &sub) != 0)
		return 0;
	do {
		if (dwarf_tag(&sub) != DW_TAG_subrange_type)
			continue;
		Dwarf_Attribute attr;
		Dwarf_Word v;
		if (dwarf_attr(&sub, DW_AT_count, &attr) && !dwarf_formudata(&attr, &v))
			return v;
		if (dwarf_attr(&sub, DW_AT_upper_bound, &attr) && !dwarf_formudata(&attr, &v))
			return v + 1;
		return 0;
	} while (dwarf_siblingof(&sub, &sub) == 0);
	return 0;
}

static bool walk_type(struct walk *w, Dwarf_Die die, uint64_t base, int depth)
{
	if (depth > MAX_DEPTH)
		return false;
	for (int i = 0; i < MAX_PEEL; i++) {
		int tag = dwarf_tag(&die);
		if (tag == DW_TAG_typedef || tag == DW_TAG_const_type || tag == DW_TAG_volatile_type) {
			if (!dw_next_type(&die))
				return true; // nothing under it: no pointer
			continue;
		}
		switch (tag) {
		case DW_TAG_pointer_type: // also chan, map, func and unsafe.Pointer in Go's DWARF
		case DW_TAG_subroutine_type:
			add(w, base);
			return true;
		case DW_TAG_structure_type: {
			Dwarf_Die m;
			if (dwarf_child(&die, &m) != 0)
				return true;
			do {
				if (dwarf_tag(&m) != DW_TAG_member)
					continue;
				Dwarf_Attribute attr;
				Dwarf_Word off;
				Dwarf_Die t = m;
				if (!dwarf_attr(&m, DW_AT_data_member_location, &attr) ||
				    dwarf_formudata(&attr, &off) || !dw_next_type(&t))
					return false;
				if (!walk_type(w, t, base + off, depth + 1))
					return false;
			} while (dwarf_siblingof(&m, &m) == 0);
			return true;
		}
		case DW_TAG_array_type: {
			Dwarf_Die elem = die;
			uint64_t count = array_count(&die);
			if (!count || !dw_next_type(&elem))
				return true;
			// The element's pointers once, then repeated: a [512]uintptr
			// costs one look.
			size_t first = w->n;
			if (!walk_type(w, elem, base, depth + 1))
				return false;
			size_t per = w->n - first;
			uint64_t size = type_size(elem);
			if (!per)
				return true;
			if (!size)
				return false;
			for (uint64_t j = 1; j < count && !w->overflow; j++)
				for (size_t k = 0; k < per; k++)
					add(w, w->offsets[first + k] + j * size);
			return true;
		}
		default: // base types (uintptr among them): no pointer
			return true;
		}
	}
	return false;
}

struct util_error *dw_type_pointer_offsets(struct dw_binary *b, const char *type_name,
					   uint64_t *offsets, size_t max, size_t *n)
{
	*n = 0;
	uint64_t off = dw_type_die(b, type_name);
	Dwarf_Die die;
	if (!off || !dwarf_offdie(b->dwarf, off, &die))
		return util_error_create(UTIL_ERROR_NOT_FOUND, "%s: no DWARF type %s", b->path,
					 type_name);
	struct walk w = {offsets, 0, max, false};
	if (!walk_type(&w, die, 0, 0))
		return util_error_create(UTIL_ERROR_BAD_DATA, "%s: the DWARF of %s is not understood",
					 b->path, type_name);
	if (w.overflow)
		return util_error_create(UTIL_ERROR_BAD_DATA, "%s: %s holds more than %zu pointers",
					 b->path, type_name, max);
	*n = w.n;
	return NULL;
}

/* ---- Shapes of values, for walking them (goruntime/ctxroots.c) ------------ */

#define DW_AT_go_kind 0x2900
#define DW_AT_go_key 0x2901
#define DW_AT_go_elem 0x2902

static int64_t attr_udata(Dwarf_Die *die, unsigned name)
{
	Dwarf_Attribute attr;
	Dwarf_Word v;
	if (!dwarf_attr(die, name, &attr) || dwarf_formudata(&attr, &v))
		return -1;
	return (int64_t)v;
}

static uint64_t attr_ref(Dwarf_Die *die, unsigned name)
{
	Dwarf_Attribute attr;
	Dwarf_Die t;
	if (!dwarf_attr(die, name, &attr) || !dwarf_formref_die(&attr, &t))
		return 0;
	return dwarf_dieoffset(&t);
}

bool dw_type_shape(struct dw_binary *b, uint64_t off, struct dw_type_shape *out)
{
	Dwarf_Die die;
	memset(out, 0, sizeof(*out));
	if (!off || !dwarf_offdie(b->dwarf, off, &die))
		return false;
	out->name = dwarf_diename(&die);
	for (int i = 0; i < MAX_PEEL; i++) {
		int tag = dwarf_tag(&die);
		int64_t kind = attr_udata(&die, DW_AT_go_kind);
		// chan, map and interface types are typedefs that say so (cmd/link's
		// DW_ABRV_CHANTYPE, MAPTYPE, IFACETYPE); named types are plain ones.
		if (tag == DW_TAG_typedef && kind != DW_GO_CHAN && kind != DW_GO_MAP &&
		    kind != DW_GO_IFACE) {
			if (!dw_next_type(&die))
				return false;
			continue;
		}
		out->die = dwarf_dieoffset(&die);
		out->kind = kind > 0 ? (int)kind : 0;
		switch (tag) {
		case DW_TAG_typedef:
			out->size = 16;
			if (kind == DW_GO_IFACE) {
				Dwarf_Die t = die;
				const char *n = dw_next_type(&t) ? dwarf_diename(&t) : NULL;
				out->empty_iface = n && strcmp(n, "runtime.eface") == 0;
				return true;
			}
			out->size = 8;
			out->elem = attr_ref(&die, DW_AT_go_elem);
			out->key = kind == DW_GO_MAP ? attr_ref(&die, DW_AT_go_key) : 0;
			return out->elem != 0;
		case DW_TAG_pointer_type: {
			Dwarf_Die t = die;
			out->kind = DW_GO_PTR;
			out->size = 8;
			out->elem = dw_next_type(&t) ? dwarf_dieoffset(&t) : 0; // 0: unsafe.Pointer
			if (kind == DW_GO_UNSAFEPTR)
				out->elem = 0;
			return true;
		}
		case DW_TAG_subroutine_type:
			out->kind = DW_GO_FUNC;
			out->size = 8;
			return true;
		case DW_TAG_structure_type:
			out->size = byte_size(&die);
			if (!out->kind)
				out->kind = DW_GO_STRUCT;
			if (out->kind == DW_GO_SLICE)
				out->elem = attr_ref(&die, DW_AT_go_elem);
			return true;
		case DW_TAG_array_type: {
			Dwarf_Die t = die;
			out->kind = DW_GO_ARRAY;
			out->count = array_count(&die);
			out->elem = dw_next_type(&t) ? dwarf_dieoffset(&t) : 0;
			out->size = byte_size(&die);
			if (!out->size && out->elem)
				out->size = out->count * type_size(t);
			return out->elem != 0;
		}
		case DW_TAG_base_type:
			out->size = byte_size(&die);
			return true;
		default:
			return false;
		}
	}
	return false;
}
