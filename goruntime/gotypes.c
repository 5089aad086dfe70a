// SPDX-License-Identifier: Apache-2.0
// gotypes.c: Go's own type metadata as every reader of this folder needs it —
// runtime.firstmoduledata, runtime type descriptors (name as %T prints it,
// kind, directness) and Go maps, classic (Go ≤ 1.23) and swiss (1.24+).
// Layouts come from DWARF by member name; value rendering is in govalues.c.
#include <stdlib.h>
#include <string.h>

#include "goruntime/internal.h"

enum {
	DIRECT_IFACE = 0x20,     /* Kind_ bit until Go 1.25, TFlag bit from 1.26 */
	TFLAG_EXTRA_STAR = 2,    /* abi.TFlagExtraStar: the name has a '*' to drop */
	MAX_TYPE_NAME = 4096,
	MAX_BUCKET = 4096,       /* bytes of one classic bucket or swiss group */
	MAX_CHAIN = 1024,        /* overflow buckets followed from one bucket */
	MAX_READS = 1 << 21,     /* buckets or groups read from one map */
};

/* ---- Probing ------------------------------------------------------------- */

void gr_types_init(struct gr_reader *r)
{
	struct gr_types *t = &r->types;
	struct dw_binary *b = r->bin;
	memset(t, 0, sizeof(*t));
	util_u64map_init(&t->index);
	t->moduledata = gr_global_addr(b, "runtime.firstmoduledata");
	uint64_t etypes = 0;
	if (!gr_moduledata_read(r, "types", &t->types, 8))
		t->types = 0;
	if (gr_moduledata_read(r, "etypes", &etypes, 8) && etypes > t->types)
		t->etypes = etypes;
	// The type descriptor: runtime._type (tflag, kind, str) until Go 1.20,
	// internal/abi.Type (TFlag, Kind_, Str) from 1.21; the same offsets,
	// asked by name all the same.
	const char *T = dw_has_type(b, "internal/abi.Type") ? "internal/abi.Type" : "runtime._type";
	t->t_tflag = gr_member_any(b, T, "TFlag", "tflag");
	t->t_kind = gr_member_any(b, T, "Kind_", "kind");
	t->t_str = gr_member_any(b, T, "Str", "str");
	if (t->types && t->t_tflag != GR_ABSENT && t->t_kind != GR_ABSENT && t->t_str != GR_ABSENT) {
		t->t_read = t->t_str + 4;
		if (t->t_tflag >= t->t_read)
			t->t_read = t->t_tflag + 1;
		if (t->t_kind >= t->t_read)
			t->t_read = t->t_kind + 1;
		t->ok = t->t_read <= 128;
	}
	// Map headers: runtime.hmap until Go 1.23, internal/runtime/maps from 1.24.
	struct gr_maps *m = &t->maps;
	if (dw_has_type(b, "runtime.hmap") && !dw_has_type(b, "internal/runtime/maps.Map")) {
		const char *H = "runtime.hmap";
		m->hm_count = gr_member(b, H, "count");
		m->hm_flags = gr_member(b, H, "flags");
		m->hm_b = gr_member(b, H, "B");
		m->hm_buckets = gr_member(b, H, "buckets");
		m->hm_oldbuckets = gr_member(b, H, "oldbuckets");
		m->ok = m->hm_count != GR_ABSENT && m->hm_b != GR_ABSENT && m->hm_flags != GR_ABSENT &&
			m->hm_buckets != GR_ABSENT && m->hm_oldbuckets != GR_ABSENT &&
			m->hm_oldbuckets + 8 <= 64;
	} else {
		const char *M = "internal/runtime/maps.Map", *TB = "internal/runtime/maps.table";
		m->swiss = true;
		m->sm_used = gr_member(b, M, "used");
		m->sm_dirptr = gr_member(b, M, "dirPtr");
		m->sm_dirlen = gr_member(b, M, "dirLen");
		m->st_groups = gr_member(b, TB, "groups.data");
		m->st_mask = gr_member(b, TB, "groups.lengthMask");
		m->ok = m->sm_used != GR_ABSENT && m->sm_dirptr != GR_ABSENT &&
			m->sm_dirlen != GR_ABSENT && m->st_groups != GR_ABSENT &&
			m->st_mask != GR_ABSENT;
	}
}

void gr_types_deinit(struct gr_types *t)
{
	util_u64map_deinit(&t->index);
	free(t->cache);
	t->cache = NULL;
	t->ncache = t->cache_cap = 0;
}

bool gr_moduledata_read(struct gr_reader *r, const char *field, void *buf, size_t len)
{
	uint64_t off = gr_member(r->bin, "runtime.moduledata", field);
	return r->types.moduledata && off != GR_ABSENT &&
	       gr_read_ok(r->core, r->types.moduledata + off, buf, len);
}

uint64_t gr_type_addr(struct gr_reader *r, const char *dwarf_name)
{
	uint64_t off;
	if (!r->types.types)
		return 0;
	struct util_error *err = dw_type_runtime_offset(r->bin, dwarf_name, &off);
	if (err) {
		util_error_destroy(err);
		return 0;
	}
	return r->types.types + off;
}

/* ---- Type descriptors ------------------------------------------------------ */

/*
 * A DWARF type name in the form %T prints, for a descriptor whose own name
 * cannot be read: full package paths become the package name
 * ("net/http.Header" → "http.Header"), compiler markers "noalg." and the "·N"
 * suffixes of function-local types go.
 */
static const char *dwarf_short_name(struct gr_reader *r, const char *name)
{
	size_t n = strlen(name);
	if (n > MAX_TYPE_NAME)
		return NULL;
	char out[MAX_TYPE_NAME + 1];
	size_t o = 0, word = 0;
	for (size_t i = 0; i < n;) {
		const char *p = name + i;
		if (strncmp(p, "noalg.", 6) == 0 && (i == 0 || !strchr("._/", p[-1]))) {
			i += 6;
			continue;
		}
		if ((unsigned char)p[0] == 0xc2 && (unsigned char)p[1] == 0xb7) { // '·' N
			i += 2;
			while (i < n && name[i] >= '0' && name[i] <= '9')
				i++;
			continue;
		}
		if (o >= 2 && out[o - 1] == ' ' && (out[o - 2] == '{' || out[o - 2] == ';')) {
			// A field name, which DWARF qualifies ("struct { main.a int }").
			size_t end = i, dot = 0;
			while (end < n && name[end] != ' ' && name[end] != '}')
				if (name[end++] == '.')
					dot = end;
			if (dot && end < n && name[end] == ' ') {
				i = dot;
				p = name + i;
			}
		}
		char c = *p;
		bool ident = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			     (c >= '0' && c <= '9') || strchr("._-~/", c) || (unsigned char)c >= 0x80;
		if (!ident)
			word = o + 1;
		if (c == '/') { // drop the path up to the last element
			o = word;
			i++;
			continue;
		}
		out[o++] = c;
		i++;
	}
	out[o] = '\0';
	return gr_intern(r->snap, out);
}

/*
 * The name at moduledata.types + STR (a flag byte, a uvarint length, the
 * bytes: 1.19 runtime/type.go name.readvarint, 1.27 internal/abi/type.go
 * Name), minus the leading '*' when TFlagExtraStar is set.
 */
static const char *runtime_name(struct gr_reader *r, int32_t str, uint8_t tflag)
{
	uint64_t at = r->types.types + (uint64_t)(int64_t)str;
	unsigned char hdr[11];
	if (!str || !gr_read_ok(r->core, at, hdr, sizeof(hdr)))
		return NULL;
	uint64_t len = 0;
	size_t i = 1;
	for (int shift = 0; i < sizeof(hdr); i++, shift += 7) {
		len |= (uint64_t)(hdr[i] & 0x7f) << shift;
		if (!(hdr[i] & 0x80))
			break;
	}
	if (i == sizeof(hdr) || len == 0 || len > MAX_TYPE_NAME)
		return NULL;
	char buf[MAX_TYPE_NAME + 1];
	if (!gr_read_ok(r->core, at + i + 1, buf, len))
		return NULL;
	buf[len] = '\0';
	const char *s = buf;
	if ((tflag & TFLAG_EXTRA_STAR) && s[0] == '*')
		s++;
	return gr_intern(r->snap, s);
}

/* Read the descriptor at ADDR into *T; false if neither it nor DWARF names it. */
static bool read_type(struct gr_reader *r, uint64_t addr, struct gr_type *t)
{
	const struct gr_types *ty = &r->types;
	memset(t, 0, sizeof(*t));
	// Descriptors of this module lie in [types, etypes); one made by
	// package reflect at run time names itself through a table not read here.
	if (!addr || !ty->types || addr < ty->types || (ty->etypes && addr >= ty->etypes))
		return false;
	const char *dwarf = NULL;
	struct util_error *err = dw_type_by_runtime_offset(r->bin, addr - ty->types, &dwarf);
	if (err) {
		util_error_destroy(err);
		dwarf = NULL;
	}
	t->dwarf = dwarf ? gr_intern(r->snap, dwarf) : NULL;
	unsigned char desc[128];
	if (ty->ok && gr_read_ok(r->core, addr, desc, ty->t_read)) {
		uint8_t tflag = desc[ty->t_tflag], kind = desc[ty->t_kind];
		int32_t str;
		memcpy(&str, desc + ty->t_str, 4);
		t->kind = kind & GR_KIND_MASK;
		t->direct = (kind & DIRECT_IFACE) || (tflag & DIRECT_IFACE);
		t->name = runtime_name(r, str, tflag);
	}
	if (!t->name && t->dwarf)
		t->name = dwarf_short_name(r, t->dwarf);
	return t->name != NULL;
}

const struct gr_type *gr_type_read(struct gr_reader *r, uint64_t addr)
{
	struct gr_types *ty = &r->types;
	uint64_t v;
	if (util_u64map_get(&ty->index, addr, &v))
		return v ? &ty->cache[v - 1] : NULL;
	struct gr_type t;
	bool ok = read_type(r, addr, &t);
	if (ok && util_grow((void **)&ty->cache, ty->ncache, &ty->cache_cap, sizeof(*ty->cache), 64))
		ok = false; // out of memory: unnamed, like an unreadable type
	if (ok)
		ty->cache[ty->ncache++] = t;
	// A failed put only loses the cache entry.
	util_error_destroy(util_u64map_put(&ty->index, addr, ok ? ty->ncache : 0));
	return ok ? &ty->cache[ty->ncache - 1] : NULL;
}

const char *gr_type_name(struct gr_reader *r, uint64_t addr)
{
	const struct gr_type *t = addr ? gr_type_read(r, addr) : NULL;
	return t ? t->name : NULL;
}

/* ---- Maps ---------------------------------------------------------------- */

void gr_map_type_probe(struct gr_reader *r, const char *bucket, const char *group, uint64_t ksize,
		       uint64_t esize, struct gr_map_type *mt)
{
	struct dw_binary *b = r->bin;
	memset(mt, 0, sizeof(*mt));
	if (!r->types.maps.swiss) {
		// A bucket: tophash [8]uint8, keys [8]K, elems [8]V, overflow
		// (runtime/map.go bmap); the compiler's own type when DWARF has it.
		mt->size = gr_type_size(b, bucket);
		mt->keys = gr_member(b, bucket, "keys");
		mt->elems = gr_member(b, bucket, "elems");
		mt->overflow = gr_member(b, bucket, "overflow");
		if (!mt->size || mt->keys == GR_ABSENT || mt->elems == GR_ABSENT ||
		    mt->overflow == GR_ABSENT) {
			mt->keys = 8;
			mt->elems = 8 + 8 * ksize;
			mt->overflow = mt->elems + 8 * esize;
			mt->size = mt->overflow + 8;
		}
		mt->key_stride = ksize;
		mt->elem_stride = esize;
	} else {
		// A group: a control word, then slots [8]struct{key; elem}
		// (1.24–1.26) or keys [8]K then elems [8]V (1.27's split layout).
		uint64_t keys = gr_member(b, group, "slots"), sz = 0;
		struct util_error *err = NULL;
		mt->size = gr_type_size(b, group);
		if (keys != GR_ABSENT) {
			err = dw_member_size(b, group, "slots", &sz);
			mt->key_stride = mt->elem_stride = sz / 8;
			mt->elems = keys + ksize;
		} else if ((keys = gr_member(b, group, "keys")) != GR_ABSENT) {
			err = dw_member_size(b, group, "keys", &sz);
			mt->key_stride = sz / 8;
			mt->elems = gr_member(b, group, "elems");
			mt->elem_stride = esize;
		}
		util_error_destroy(err);
		mt->keys = keys;
		if (err || keys == GR_ABSENT || !sz || !mt->size || mt->elems == GR_ABSENT) {
			// The slot form; Go pads a trailing zero-size elem to a word.
			uint64_t slot = ksize + (esize ? esize : 8);
			mt->keys = 8;
			mt->key_stride = mt->elem_stride = slot;
			mt->elems = 8 + ksize;
			mt->size = 8 + 8 * slot;
		}
	}
	mt->ksize = ksize;
	mt->ok = r->types.maps.ok && mt->size <= MAX_BUCKET && mt->key_stride >= ksize &&
		 mt->keys + 7 * mt->key_stride + ksize <= mt->size;
}

struct map_walk {
	struct gr_reader *r;
	const struct gr_map_type *mt;
	size_t *budget;
	gr_map_fn *fn;
	void *arg;
	size_t reads;
	struct util_error *fault;  /* the first unreadable bucket or group; the walk goes on */
	unsigned char buf[MAX_BUCKET];
};

/* Read the bucket or group at AT into w->buf; false (noting why) if that fails. */
static bool read_bucket(struct map_walk *w, uint64_t at)
{
	struct util_error *err = NULL;
	if (++w->reads > MAX_READS)
		err = util_error_create(UTIL_ERROR_BAD_DATA, "more than %d buckets in one map",
					MAX_READS);
	else
		err = core_read(w->r->core, at, w->buf, w->mt->size);
	if (!err)
		return true;
	if (!w->fault)
		w->fault = err;
	else
		util_error_destroy(err);
	return false;
}

static struct util_error *each_slot(struct map_walk *w, uint64_t at, int slot)
{
	const struct gr_map_type *mt = w->mt;
	if (!*w->budget)
		return NULL;
	(*w->budget)--;
	uint64_t k = mt->keys + (uint64_t)slot * mt->key_stride;
	uint64_t e = mt->elems + (uint64_t)slot * mt->elem_stride;
	return w->fn(w->arg, at + k, w->buf + k, at + e);
}

/* Every full slot of NB classic buckets from BUCKETS, with their overflow chains. */
static struct util_error *classic_buckets(struct map_walk *w, uint64_t buckets, uint64_t nb)
{
	const struct gr_map_type *mt = w->mt;
	for (uint64_t i = 0; i < nb && buckets && *w->budget && w->reads <= MAX_READS; i++) {
		uint64_t bk = buckets + i * mt->size;
		for (int chain = 0; bk && chain < MAX_CHAIN; chain++) {
			if (!read_bucket(w, bk))
				break;
			struct util_error *err;
			for (int s = 0; s < 8; s++) {
				if (w->buf[s] < 5) // emptyRest, emptyOne, evacuated* (minTopHash)
					continue;
				if ((err = each_slot(w, bk, s)))
					return err;
			}
			bk = gr_rd64(w->buf, mt->overflow);
		}
	}
	return NULL;
}

/* Every full slot of the swiss group at G. */
static struct util_error *swiss_group(struct map_walk *w, uint64_t g)
{
	struct util_error *err = NULL;
	if (!read_bucket(w, g))
		return NULL;
	uint64_t ctrl = gr_rd64(w->buf, 0);
	for (int s = 0; s < 8 && !err; s++)
		if (!((ctrl >> (8 * s)) & 0x80)) // empty and deleted slots have the high bit
			err = each_slot(w, g, s);
	return err;
}

struct util_error *gr_map_each(struct gr_reader *r, const struct gr_map_type *mt, uint64_t m,
			       size_t *budget, gr_map_fn *fn, void *arg)
{
	const struct gr_maps *l = &r->types.maps;
	if (!mt->ok || !m)
		return NULL;
	struct map_walk *w = malloc(sizeof(*w));
	if (!w)
		return &util_enomem;
	*w = (struct map_walk){.r = r, .mt = mt, .budget = budget, .fn = fn, .arg = arg};
	struct util_error *err = NULL;
	if (!l->swiss) {
		unsigned char h[64];
		if ((err = core_read(r->core, m, h, l->hm_oldbuckets + 8)))
			goto out;
		uint8_t B = h[l->hm_b], flags = h[l->hm_flags];
		if (B > 40) {
			err = util_error_create(UTIL_ERROR_BAD_DATA, "map 0x%llx with 2^%u buckets",
						(unsigned long long)m, B);
			goto out;
		}
		uint64_t nb = 1ULL << B, old = gr_rd64(h, l->hm_oldbuckets);
		err = classic_buckets(w, gr_rd64(h, l->hm_buckets), nb);
		// While growing, the old array is twice smaller unless sameSizeGrow.
		if (!err && old)
			err = classic_buckets(w, old, (flags & 8) || !B ? nb : nb / 2);
		goto out;
	}
	uint64_t hdr[3];
	if ((err = core_read(r->core, m + l->sm_used, &hdr[0], 8)) ||
	    (err = core_read(r->core, m + l->sm_dirptr, &hdr[1], 8)) ||
	    (err = core_read(r->core, m + l->sm_dirlen, &hdr[2], 8)))
		goto out;
	uint64_t used = hdr[0], dir = hdr[1], dirlen = hdr[2];
	if (!used || !dir)
		goto out;
	if (dirlen == 0) { // a small map: one group, no table
		err = swiss_group(w, dir);
		goto out;
	}
	if (dirlen > (1u << 20)) {
		err = util_error_create(UTIL_ERROR_BAD_DATA, "map 0x%llx with a directory of %llu",
					(unsigned long long)m, (unsigned long long)dirlen);
		goto out;
	}
	uint64_t prev = 0;
	for (uint64_t i = 0; i < dirlen && *budget && !err; i++) {
		uint64_t tab, groups, mask;
		if ((err = core_read(r->core, dir + 8 * i, &tab, 8)))
			break;
		if (!tab || tab == prev) // tables are listed once per directory slot they cover
			continue;
		prev = tab;
		struct util_error *terr = core_read(r->core, tab + l->st_groups, &groups, 8);
		if (!terr)
			terr = core_read(r->core, tab + l->st_mask, &mask, 8);
		if (!terr && mask >= (1u << 24))
			terr = util_error_create(UTIL_ERROR_BAD_DATA, "map table 0x%llx with %llu groups",
						 (unsigned long long)tab, (unsigned long long)mask + 1);
		if (terr) { // skipped, like an unreadable group
			if (!w->fault)
				w->fault = terr;
			else
				util_error_destroy(terr);
			continue;
		}
		for (uint64_t g = 0; g <= mask && *budget && !err && w->reads <= MAX_READS; g++)
			err = swiss_group(w, groups + g * mt->size);
	}
out:
	// A failure of the callback (out of memory) before the first fault.
	if (err)
		util_error_destroy(w->fault);
	else
		err = w->fault;
	free(w);
	return err;
}
