// SPDX-License-Identifier: Apache-2.0
// vars.c: the parameters and locals of a function and where they live at a pc
// — DW_OP_fbreg / DW_OP_call_frame_cfa relative to the CFA, or "not
// available" — plus the few type questions the channel reader asks. Built per
// function on first use and cached.
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <dwarf.h>

#include "dwarf/internal.h"

/* Go's DWARF dialect (cmd/internal/dwarf/dwarf.go). */
#define DW_AT_go_kind 0x2900
#define GO_KIND_CHAN 18   /* abi.Chan */
#define GO_KIND_STRUCT 25 /* abi.Struct */

/* Bounds against corrupt DWARF: typedef chains, block nesting, ops. */
#define MAX_PEEL 16
#define MAX_BLOCK_DEPTH 8
#define MAX_OPS 64

static struct util_error *dwarf_err(const struct dw_binary *b, const char *what)
{
	return util_error_create(UTIL_ERROR_BAD_DATA, "%s: corrupt DWARF (%s): %s", b->path, what,
				 dwarf_errmsg(-1));
}

/* ---- types ---------------------------------------------------------------- */

static bool type_die(struct dw_binary *b, uint64_t off, Dwarf_Die *die)
{
	return off && dwarf_offdie(b->dwarf, off, die) != NULL;
}

static int64_t go_kind(Dwarf_Die *die)
{
	Dwarf_Attribute attr;
	Dwarf_Word k;
	if (!dwarf_attr(die, DW_AT_go_kind, &attr) || dwarf_formudata(&attr, &k))
		return -1;
	return (int64_t)k;
}

static bool is_qualifier(int tag)
{
	return tag == DW_TAG_typedef || tag == DW_TAG_const_type || tag == DW_TAG_volatile_type;
}

/* Follow typedefs to the underlying type; false if a level says chan (Go's
 * chan types are typedefs of *hchan) or the chain breaks. */
static bool peel_not_chan(Dwarf_Die *die)
{
	for (int i = 0; i < MAX_PEEL; i++) {
		if (go_kind(die) == GO_KIND_CHAN)
			return false;
		if (!is_qualifier(dwarf_tag(die)))
			return true;
		if (!dw_next_type(die))
			return false;
	}
	return false;
}

bool dw_type_is_chan(struct dw_binary *b, uint64_t off)
{
	Dwarf_Die die;
	if (!type_die(b, off, &die))
		return false;
	for (int i = 0; i < MAX_PEEL; i++) {
		if (go_kind(&die) == GO_KIND_CHAN)
			return true;
		if (!is_qualifier(dwarf_tag(&die)) || !dw_next_type(&die))
			return false;
	}
	return false;
}

bool dw_type_is_struct(struct dw_binary *b, uint64_t off, uint64_t *struct_die)
{
	Dwarf_Die die;
	if (!type_die(b, off, &die) || !peel_not_chan(&die) ||
	    dwarf_tag(&die) != DW_TAG_structure_type)
		return false;
	int64_t k = go_kind(&die);
	if (k >= 0 && k != GO_KIND_STRUCT)
		return false; // strings, slices, interfaces are structs in DWARF too
	*struct_die = dwarf_dieoffset(&die);
	return true;
}

bool dw_type_is_pointer_to_struct(struct dw_binary *b, uint64_t off, uint64_t *struct_die)
{
	Dwarf_Die die;
	if (!type_die(b, off, &die) || !peel_not_chan(&die) || dwarf_tag(&die) != DW_TAG_pointer_type ||
	    !dw_next_type(&die))
		return false;
	return dw_type_is_struct(b, dwarf_dieoffset(&die), struct_die);
}

static bool member_offset(Dwarf_Die *m, uint64_t *off)
{
	Dwarf_Attribute attr;
	Dwarf_Word w;
	if (!dwarf_attr(m, DW_AT_data_member_location, &attr))
		return false;
	if (dwarf_formudata(&attr, &w) == 0) {
		*off = w;
		return true;
	}
	return false;
}

size_t dw_struct_chan_members(struct dw_binary *b, uint64_t struct_die, uint32_t *offsets,
			      size_t max)
{
	Dwarf_Die die, child;
	if (!type_die(b, struct_die, &die) || dwarf_child(&die, &child) != 0)
		return 0;
	size_t n = 0;
	do {
		Dwarf_Attribute attr;
		Dwarf_Die t;
		uint64_t off;
		if (n >= max)
			break;
		if (dwarf_tag(&child) != DW_TAG_member || !member_offset(&child, &off) ||
		    off > UINT32_MAX || !dwarf_attr(&child, DW_AT_type, &attr) ||
		    !dwarf_formref_die(&attr, &t))
			continue;
		if (dw_type_is_chan(b, dwarf_dieoffset(&t)))
			offsets[n++] = (uint32_t)off;
	} while (dwarf_siblingof(&child, &child) == 0);
	return n;
}

/* ---- the variables of a function ----------------------------------------- */

struct var_list {
	struct dw_var *v;
	size_t n, cap;
};

static struct util_error *add_var(struct dw_binary *b, struct var_list *l, Dwarf_Die *die,
				  uint64_t scope)
{
	Dwarf_Attribute attr;
	if (!dwarf_attr(die, DW_AT_location, &attr))
		return NULL; // optimized out entirely
	if (l->n == l->cap) {
		size_t ncap = l->cap ? 2 * l->cap : 8;
		struct dw_var *v = realloc(l->v, ncap * sizeof(*v));
		if (!v)
			return &util_enomem;
		l->v = v;
		l->cap = ncap;
	}
	struct dw_var *v = &l->v[l->n++];
	*v = (struct dw_var){.is_param = dwarf_tag(die) == DW_TAG_formal_parameter,
			     .die = dwarf_dieoffset(die), .scope_die = scope};
	const char *name = NULL;
	if (dwarf_attr_integrate(die, DW_AT_name, &attr))
		name = dwarf_formstring(&attr);
	v->name = name ? name : "";
	Dwarf_Die t;
	if (dwarf_attr_integrate(die, DW_AT_type, &attr) && dwarf_formref_die(&attr, &t))
		v->type_die = dwarf_dieoffset(&t);
	uint64_t sd;
	if (dw_type_is_chan(b, v->type_die)) {
		v->nchans = 1;
	} else if (dw_type_is_struct(b, v->type_die, &sd)) {
		v->nchans = (uint8_t)dw_struct_chan_members(b, sd, v->chan_offsets, DW_VAR_MAX_CHANS);
	} else if (dw_type_is_pointer_to_struct(b, v->type_die, &sd)) {
		v->nchans = (uint8_t)dw_struct_chan_members(b, sd, v->chan_offsets, DW_VAR_MAX_CHANS);
		v->chans_via_pointer = v->nchans > 0;
	}
	return NULL;
}

static struct util_error *collect(struct dw_binary *b, struct var_list *l, Dwarf_Die *parent,
				  uint64_t scope, int depth)
{
	Dwarf_Die child;
	if (depth > MAX_BLOCK_DEPTH || dwarf_child(parent, &child) != 0)
		return NULL;
	do {
		struct util_error *err = NULL;
		switch (dwarf_tag(&child)) {
		case DW_TAG_formal_parameter:
		case DW_TAG_variable:
			err = add_var(b, l, &child, scope);
			break;
		case DW_TAG_lexical_block:
			err = collect(b, l, &child, dwarf_dieoffset(&child), depth + 1);
			break;
		default: // inlined calls' variables are not listed
			break;
		}
		if (err)
			return err;
	} while (dwarf_siblingof(&child, &child) == 0);
	return NULL;
}

/* The frame base is exactly DW_OP_call_frame_cfa (Go's, in every release). */
static bool frame_base_is_cfa(Dwarf_Die *sp)
{
	Dwarf_Attribute attr;
	Dwarf_Block blk;
	return dwarf_attr_integrate(sp, DW_AT_frame_base, &attr) && dwarf_formblock(&attr, &blk) == 0 &&
	       blk.length == 1 && blk.data[0] == DW_OP_call_frame_cfa;
}

/* Private tail of a dw_func_vars. */
struct func_vars {
	struct dw_func_vars pub;
	bool fb_cfa;
};

struct util_error *dw_func_vars(struct dw_binary *b, const struct dw_func *f,
				const struct dw_func_vars **ret)
{
	// Keyed by DWARF's link-time entry: a new bias leaves them valid.
	uint64_t v, entry = f->entry - b->bias;
	if (util_u64map_get(&b->func_vars, entry, &v)) {
		*ret = (const struct dw_func_vars *)(uintptr_t)v;
		return NULL;
	}
	struct util_error *err = NULL;
	struct func_vars *fv = util_arena_alloc(&b->arena, sizeof(*fv));
	if (!fv)
		return &util_enomem;
	*fv = (struct func_vars){0};
	struct var_list l = {0};
	Dwarf_Die sp;
	if (util_u64map_get(&b->subprograms, entry, &v) && dwarf_offdie(b->dwarf, v, &sp)) {
		fv->fb_cfa = frame_base_is_cfa(&sp);
		err = collect(b, &l, &sp, 0, 0);
	}
	if (!err && l.n) {
		struct dw_var *vars = util_arena_alloc(&b->arena, l.n * sizeof(*vars));
		if (!vars) {
			err = &util_enomem;
		} else {
			memcpy(vars, l.v, l.n * sizeof(*vars));
			fv->pub.vars = vars;
			fv->pub.n = l.n;
			for (size_t i = 0; i < l.n; i++)
				fv->pub.has_chans |= vars[i].nchans > 0;
		}
	}
	free(l.v);
	if (!err)
		err = util_u64map_put(&b->func_vars, entry, (uintptr_t)fv);
	if (!err)
		*ret = &fv->pub;
	return err;
}

/* ---- location expressions --------------------------------------------- */

struct op {
	uint8_t atom;
	int64_t num;
};

static bool uleb(const uint8_t **p, const uint8_t *end, uint64_t *ret)
{
	uint64_t v = 0;
	for (int shift = 0; *p < end && shift < 64; shift += 7) {
		uint8_t c = *(*p)++;
		v |= (uint64_t)(c & 0x7f) << shift;
		if (!(c & 0x80)) {
			*ret = v;
			return true;
		}
	}
	return false;
}

static bool sleb(const uint8_t **p, const uint8_t *end, int64_t *ret)
{
	uint64_t v = 0;
	int shift = 0;
	while (*p < end && shift < 64) {
		uint8_t c = *(*p)++;
		v |= (uint64_t)(c & 0x7f) << shift;
		shift += 7;
		if (!(c & 0x80)) {
			if (shift < 64 && (c & 0x40))
				v |= ~(uint64_t)0 << shift;
			*ret = (int64_t)v;
			return true;
		}
	}
	return false;
}

/* Decode a raw block; an operation not needed here ends it as DW_OP_nop
 * marker 0 (unsupported). Returns the count, or -1 when too long. */
static int decode_block(const uint8_t *p, size_t len, struct op *ops)
{
	const uint8_t *end = p + len;
	int n = 0;
	while (p < end) {
		if (n == MAX_OPS)
			return -1;
		struct op *o = &ops[n++];
		o->atom = *p++;
		o->num = 0;
		uint64_t u = 0;
		bool ok = true;
		switch (o->atom) {
		case DW_OP_fbreg:
		case DW_OP_consts:
			ok = sleb(&p, end, &o->num);
			break;
		case DW_OP_constu:
		case DW_OP_plus_uconst:
		case DW_OP_piece:
		case DW_OP_regx:
			ok = uleb(&p, end, &u);
			o->num = (int64_t)u;
			break;
		case DW_OP_call_frame_cfa:
		case DW_OP_plus:
			break;
		default:
			if ((o->atom >= DW_OP_reg0 && o->atom <= DW_OP_reg31) ||
			    (o->atom >= DW_OP_lit0 && o->atom <= DW_OP_lit31))
				break;
			o->atom = 0; // unsupported: the rest cannot be decoded
			return n;
		}
		if (!ok) {
			ops[n - 1].atom = 0;
			return n;
		}
	}
	return n;
}

/* Evaluate decoded ops into pieces. */
static void evaluate(const struct op *ops, int n, bool fb_cfa, struct dw_var_loc *ret)
{
	ret->npieces = 0;
	int i = 0;
	while (i < n) {
		// One piece: [location ops] [DW_OP_piece size]
		bool avail = false, bad = false;
		int64_t off = 0;
		int start = i;
		while (i < n && ops[i].atom != DW_OP_piece)
			i++;
		int len = i - start;
		const struct op *o = ops + start;
		if (len == 1 && o[0].atom == DW_OP_fbreg && fb_cfa) {
			avail = true;
			off = o[0].num;
		} else if (len >= 1 && o[0].atom == DW_OP_call_frame_cfa) {
			avail = true;
			if (len == 1)
				off = 0;
			else if (len == 2 && o[1].atom == DW_OP_plus_uconst)
				off = o[1].num;
			else if (len == 3 && (o[1].atom == DW_OP_consts || o[1].atom == DW_OP_constu) &&
				 o[2].atom == DW_OP_plus)
				off = o[1].num;
			else if (len == 3 && o[1].atom >= DW_OP_lit0 && o[1].atom <= DW_OP_lit31 &&
				 o[2].atom == DW_OP_plus)
				off = o[1].atom - DW_OP_lit0;
			else
				avail = false, bad = true;
		} else if (len == 1 && ((o[0].atom >= DW_OP_reg0 && o[0].atom <= DW_OP_reg31) ||
					o[0].atom == DW_OP_regx)) {
			avail = false; // a register: gone in a caller frame
		} else if (len == 0) {
			avail = false; // an empty piece: optimized out
		} else {
			bad = true;
		}
		if (bad) { // not understood: nothing at all, rather than a guess
			ret->npieces = 0;
			return;
		}
		if (ret->npieces == DW_VAR_MAX_PIECES) {
			ret->npieces = 0;
			return;
		}
		struct dw_var_piece *p = &ret->pieces[ret->npieces++];
		*p = (struct dw_var_piece){.available = avail, .cfa_offset = avail ? off : 0};
		if (i < n) { // DW_OP_piece
			p->size = (uint64_t)ops[i].num;
			i++;
		} else if (ret->npieces > 1) { // location after the last piece: malformed
			ret->npieces = 0;
			return;
		}
	}
	// All pieces unavailable is simply "not available".
	bool any = false;
	for (size_t k = 0; k < ret->npieces; k++)
		any |= ret->pieces[k].available;
	if (!any)
		ret->npieces = 0;
}

static bool block_form(unsigned form)
{
	return form == DW_FORM_exprloc || form == DW_FORM_block1 || form == DW_FORM_block2 ||
	       form == DW_FORM_block4 || form == DW_FORM_block;
}

struct util_error *dw_var_location_at(struct dw_binary *b, const struct dw_func *f,
				      const struct dw_var *v, uint64_t pc, struct dw_var_loc *ret)
{
	ret->npieces = 0;
	const struct dw_func_vars *pub;
	struct util_error *err = dw_func_vars(b, f, &pub);
	if (err)
		return err;
	const struct func_vars *fv = (const struct func_vars *)pub;
	pc -= b->bias; // DWARF's ranges and location lists are link-time
	Dwarf_Die die, scope;
	Dwarf_Attribute attr;
	if (!dwarf_offdie(b->dwarf, v->die, &die) || !dwarf_attr(&die, DW_AT_location, &attr))
		return dwarf_err(b, "variable location");
	if (v->scope_die) {
		// A lexical block must cover PC (a range list, which is not loaded,
		// counts as not covering it).
		if (!dwarf_offdie(b->dwarf, v->scope_die, &scope) || dwarf_haspc(&scope, pc) != 1)
			return NULL;
	}
	struct op ops[MAX_OPS];
	int n;
	if (block_form(dwarf_whatform(&attr))) {
		Dwarf_Block blk;
		if (dwarf_formblock(&attr, &blk) != 0)
			return dwarf_err(b, "location block");
		n = decode_block(blk.data, blk.length, ops);
	} else {
		Dwarf_Op *expr;
		size_t len;
		int rc = dwarf_getlocation_addr(&attr, pc, &expr, &len, 1);
		if (rc < 0)
			return dwarf_err(b, "location list");
		if (rc == 0)
			return NULL; // no range covers PC
		if (len > MAX_OPS)
			return NULL;
		n = 0;
		for (size_t i = 0; i < len; i++) {
			uint8_t a = expr[i].atom;
			bool known = a == DW_OP_fbreg || a == DW_OP_consts || a == DW_OP_constu ||
				     a == DW_OP_plus_uconst || a == DW_OP_piece || a == DW_OP_regx ||
				     a == DW_OP_call_frame_cfa || a == DW_OP_plus ||
				     (a >= DW_OP_reg0 && a <= DW_OP_reg31) ||
				     (a >= DW_OP_lit0 && a <= DW_OP_lit31);
			ops[n++] = (struct op){known ? a : 0, (int64_t)expr[i].number};
			if (!known)
				break;
		}
	}
	if (n < 0)
		return NULL;
	for (int i = 0; i < n; i++)
		if (ops[i].atom == 0)
			return NULL; // an operation we do not evaluate
	evaluate(ops, n, fv->fb_cfa, ret);
	return NULL;
}

/* ---- type DIEs by offset ----------------------------------------------- */

uint64_t dw_type_die(struct dw_binary *b, const char *type_name)
{
	uint64_t off;
	return dw_namemap_get(&b->types, type_name, strlen(type_name), &off) ? off : 0;
}

const char *dw_type_die_name(struct dw_binary *b, uint64_t off)
{
	Dwarf_Die die;
	Dwarf_Attribute attr;
	if (!type_die(b, off, &die) || !dwarf_attr(&die, DW_AT_name, &attr))
		return NULL;
	return dwarf_formstring(&attr);
}

#define DW_AT_go_embedded_field 0x2903

size_t dw_struct_members(struct dw_binary *b, uint64_t struct_die, struct dw_struct_member *out,
			 size_t max)
{
	Dwarf_Die die, child;
	if (!type_die(b, struct_die, &die) || dwarf_child(&die, &child) != 0)
		return 0;
	size_t n = 0;
	do {
		Dwarf_Attribute attr;
		Dwarf_Die t;
		uint64_t off;
		if (n >= max)
			break;
		if (dwarf_tag(&child) != DW_TAG_member || !member_offset(&child, &off))
			continue;
		struct dw_struct_member *m = &out[n++];
		*m = (struct dw_struct_member){.offset = off};
		if (dwarf_attr(&child, DW_AT_name, &attr))
			m->name = dwarf_formstring(&attr);
		if (!m->name)
			m->name = "";
		if (dwarf_attr(&child, DW_AT_type, &attr) && dwarf_formref_die(&attr, &t))
			m->type_die = dwarf_dieoffset(&t);
		bool flag = false;
		m->embedded = dwarf_attr(&child, DW_AT_go_embedded_field, &attr) &&
			      dwarf_formflag(&attr, &flag) == 0 && flag;
	} while (dwarf_siblingof(&child, &child) == 0);
	return n;
}
