// panics.c: the panics in progress of a goroutine (g._panic and its link
// list), with the panic value's dynamic type named as Go's %T does and the
// value rendered as Go's panic message would print it.
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "goruntime/defers.h"

/* internal/abi Kind values (1.27 internal/abi/type.go:52-80; 1.19 runtime/typekind.go). */
enum {
	KIND_BOOL = 1, KIND_INT, KIND_INT8, KIND_INT16, KIND_INT32, KIND_INT64,
	KIND_UINT, KIND_UINT8, KIND_UINT16, KIND_UINT32, KIND_UINT64, KIND_UINTPTR,
	KIND_FLOAT32, KIND_FLOAT64, KIND_COMPLEX64, KIND_COMPLEX128,
	KIND_STRING = 24,
	KIND_MASK = 0x1f,
	/* Kind_ bit until 1.25, TFlag bit from 1.26 (§9.1 of the layout notes). */
	DIRECT_IFACE = 0x20,
	TFLAG_EXTRA_STAR = 2,
	MAX_TYPE_NAME = 1024,
	MAX_TEXT = 4096,
};

struct gr_panics {
	struct gr_reader *r;
	/* runtime._panic */
	uint64_t size, arg, link, recovered, aborted, goexit;
	/* runtime.eface */
	uint64_t eface_type, eface_data;
	/* the type descriptor: runtime._type (1.19–1.20), internal/abi.Type (1.21+) */
	bool types_ok;
	uint64_t types_base;     /* moduledata.types */
	uint64_t t_tflag, t_kind, t_str, t_read;
	bool shortest_floats;    /* runtime prints floats like strconv 'g' -1 (1.26+) */
	bool nil_error_prefixed; /* PanicNilError.Error() has "runtime error: " (1.27+) */
	struct util_u64map type_names; /* type descriptor → interned %T name (0: unknown) */
	bool g_ok;
};

static uint64_t member(struct gr_reader *r, const char *type, const char *name)
{
	uint64_t off;
	struct util_error *err = dw_member_offset(r->bin, type, name, &off);
	if (err) {
		util_error_destroy(err);
		return GR_ABSENT;
	}
	return off;
}

static uint64_t member_any(struct gr_reader *r, const char *type, const char *a, const char *b)
{
	uint64_t off = member(r, type, a);
	return off != GR_ABSENT || !b ? off : member(r, type, b);
}

struct util_error *gr_panics_init(struct gr_reader *r, struct gr_panics **ret)
{
	struct gr_panics *p = calloc(1, sizeof(*p));
	if (!p)
		return &util_enomem;
	p->r = r;
	util_u64map_init(&p->type_names);
	const char *P = "runtime._panic";
	// _panic was rewritten in Go 1.22 (argp/pc/sp/aborted → startPC, sp,
	// fp, deferBitsPtr...), 1.25 added repanicked, 1.26 removed argp, 1.27
	// renamed lr to pc. Only arg, link and the flags are read, by name.
	struct util_error *err = dw_type_size(r->bin, P, &p->size);
	if (err) {
		util_error_destroy(err);
		p->size = 0;
	}
	p->arg = member(r, P, "arg");
	p->link = member(r, P, "link");
	p->recovered = member(r, P, "recovered");
	p->aborted = member(r, P, "aborted"); // Go 1.19–1.21 only
	p->goexit = member(r, P, "goexit");
	p->eface_type = member(r, "runtime.eface", "_type");
	p->eface_data = member(r, "runtime.eface", "data");
	p->g_ok = p->size && p->size <= 4096 && p->arg != GR_ABSENT && p->link != GR_ABSENT &&
		  p->eface_type != GR_ABSENT && p->eface_data != GR_ABSENT &&
		  p->arg + 16 <= p->size && p->link + 8 <= p->size;
	if (!p->g_ok)
		gr_diag(r->snap, "warning", "panic",
			"runtime._panic layout not understood: panics are not read");

	// Type descriptors: internal/abi.Type from Go 1.21 (Str, TFlag, Kind_),
	// runtime._type before (str, tflag, kind). The same offsets in every
	// release, but asked by name all the same.
	const char *T = dw_has_type(r->bin, "internal/abi.Type") ? "internal/abi.Type" : "runtime._type";
	p->t_tflag = member_any(r, T, "TFlag", "tflag");
	p->t_kind = member_any(r, T, "Kind_", "kind");
	p->t_str = member_any(r, T, "Str", "str");
	uint64_t md = 0, size, types_off = member(r, "runtime.moduledata", "types");
	err = dw_variable(r->bin, "runtime.firstmoduledata", &md, &size);
	if (err) {
		util_error_destroy(err);
		err = dw_symbol(r->bin, "runtime.firstmoduledata", &md);
		if (err) {
			util_error_destroy(err);
			md = 0;
		}
	}
	if (md && types_off != GR_ABSENT && gr_read_ok(r->core, md + types_off, &p->types_base, 8) &&
	    p->t_tflag != GR_ABSENT && p->t_kind != GR_ABSENT && p->t_str != GR_ABSENT) {
		p->types_ok = true;
		p->t_read = p->t_str + 4;
		if (p->t_tflag >= p->t_read)
			p->t_read = p->t_tflag + 1;
		if (p->t_kind >= p->t_read)
			p->t_read = p->t_kind + 1;
	}
	// Go 1.26 prints floats with strconv (shortest 'g'); before, the
	// runtime's own "+1.500000e+000" (runtime.printfloat).
	p->shortest_floats = dw_func_by_name(r->bin, "runtime.printfloat64") != NULL;
	// PanicNilError.Error gained the "runtime error: " prefix in Go 1.27
	// (runtime/panic.go:794): the binary then holds the whole literal.
	static const char prefixed[] = "runtime error: panic called with nil argument";
	p->nil_error_prefixed = dw_binary_contains(r->bin, prefixed, sizeof(prefixed) - 1);
	*ret = p;
	return NULL;
}

void gr_panics_free(struct gr_panics *p)
{
	if (!p)
		return;
	util_u64map_deinit(&p->type_names);
	free(p);
}

/* ---- Types -------------------------------------------------------------- */

struct rtype {
	const char *name;  /* as %T prints it */
	const char *dwarf; /* the DWARF name (full package path), NULL if unknown */
	uint8_t kind;      /* Kind_ & KIND_MASK */
	bool direct;       /* the value is stored in the interface word itself */
};

/*
 * Shorten a DWARF type name to the form %T prints: package paths become
 * package names ("*net/http.Request" → "*http.Request"). Only used when the
 * runtime's own name string cannot be read.
 */
static const char *short_name(struct gr_snapshot *s, const char *dwarf)
{
	char buf[MAX_TYPE_NAME];
	size_t n = 0;
	const char *tok = dwarf;
	for (const char *c = dwarf; *c && n + 1 < sizeof(buf); c++) {
		if (*c == '/') {
			// Drop the path up to here if this token is a qualified name.
			const char *dot = c;
			while (*dot && *dot != '.' && *dot != '[' && *dot != ' ' && *dot != '*')
				dot++;
			if (*dot == '.' && n >= (size_t)(c - tok)) {
				n -= (size_t)(c - tok);
				tok = c + 1;
				continue;
			}
		}
		if (*c == '*' || *c == '[' || *c == ']' || *c == ' ' || *c == '(' || *c == ',')
			tok = c + 1;
		buf[n++] = *c;
	}
	buf[n] = '\0';
	return gr_intern(s, buf);
}

/* The runtime type at ADDR: its name (resolveNameOff + ExtraStar), kind, directness. */
static bool read_type(struct gr_panics *p, uint64_t addr, struct rtype *t)
{
	struct gr_reader *r = p->r;
	memset(t, 0, sizeof(*t));
	if (!addr)
		return false;
	const char *dwarf = NULL;
	if (p->types_ok && addr >= p->types_base) {
		struct util_error *err = dw_type_by_runtime_offset(r->bin, addr - p->types_base, &dwarf);
		if (err) {
			util_error_destroy(err);
			dwarf = NULL;
		}
	}
	t->dwarf = dwarf ? gr_intern(r->snap, dwarf) : NULL;
	unsigned char desc[128];
	if (!p->types_ok || p->t_read > sizeof(desc) || !gr_read_ok(r->core, addr, desc, p->t_read)) {
		if (!t->dwarf)
			return false;
		t->name = short_name(r->snap, t->dwarf);
		return true;
	}
	uint8_t tflag = desc[p->t_tflag], kind = desc[p->t_kind];
	t->kind = kind & KIND_MASK;
	t->direct = (kind & DIRECT_IFACE) || (tflag & DIRECT_IFACE);
	uint64_t cached;
	if (util_u64map_get(&p->type_names, addr, &cached) && cached) {
		t->name = (const char *)(uintptr_t)cached;
		return true;
	}
	// The name: one flag byte, a uvarint length, the bytes (1.19
	// runtime/type.go name.readvarint; 1.27 internal/abi/type.go Name).
	int32_t str;
	memcpy(&str, desc + p->t_str, 4);
	uint64_t at = p->types_base + (uint64_t)(int64_t)str;
	unsigned char hdr[11];
	size_t len = 0, hdrlen = 0;
	bool ok = gr_read_ok(r->core, at, hdr, sizeof(hdr));
	for (int i = 0; ok && i < 10; i++) {
		len |= (size_t)(hdr[1 + i] & 0x7f) << (7 * i);
		if (!(hdr[1 + i] & 0x80)) {
			hdrlen = 2 + i;
			break;
		}
	}
	char name[MAX_TYPE_NAME];
	if (ok && hdrlen && len > 0 && len < sizeof(name) &&
	    gr_read_ok(r->core, at + hdrlen, name, len)) {
		name[len] = '\0';
		const char *n = name;
		if ((tflag & TFLAG_EXTRA_STAR) && n[0] == '*')
			n++;
		t->name = gr_intern(r->snap, n);
	} else if (t->dwarf) {
		t->name = short_name(r->snap, t->dwarf);
	} else {
		return false;
	}
	if (util_u64map_put(&p->type_names, addr, (uintptr_t)t->name))
		return true; // out of memory only loses the cache entry
	return true;
}

/* ---- Values --------------------------------------------------------------- */

/* runtime.printfloat (Go 1.19–1.25): "+d.dddddde±ddd", ported as is. */
static void old_float(char *out, size_t cap, double v)
{
	if (v != v) {
		snprintf(out, cap, "NaN");
		return;
	}
	if (v + v == v && v > 0) {
		snprintf(out, cap, "+Inf");
		return;
	}
	if (v + v == v && v < 0) {
		snprintf(out, cap, "-Inf");
		return;
	}
	enum { N = 7 };
	char buf[N + 8];
	buf[0] = '+';
	int e = 0;
	if (v == 0) {
		if (signbit(v))
			buf[0] = '-';
	} else {
		if (v < 0) {
			v = -v;
			buf[0] = '-';
		}
		while (v >= 10) {
			e++;
			v /= 10;
		}
		while (v < 1) {
			e--;
			v *= 10;
		}
		double h = 5.0;
		for (int i = 0; i < N; i++)
			h /= 10;
		v += h;
		if (v >= 10) {
			e++;
			v /= 10;
		}
	}
	for (int i = 0; i < N; i++) {
		int s = (int)v;
		buf[i + 2] = (char)(s + '0');
		v -= s;
		v *= 10;
	}
	buf[1] = buf[2];
	buf[2] = '.';
	buf[N + 2] = 'e';
	buf[N + 3] = '+';
	if (e < 0) {
		e = -e;
		buf[N + 3] = '-';
	}
	buf[N + 4] = (char)(e / 100 + '0');
	buf[N + 5] = (char)(e / 10 % 10 + '0');
	buf[N + 6] = (char)(e % 10 + '0');
	buf[N + 7] = '\0';
	snprintf(out, cap, "%s", buf);
}

/* strconv.FormatFloat(v, 'g', -1, BITS), as Go 1.26+ prints floats. */
static void short_float(char *out, size_t cap, double v, int bits)
{
	if (isnan(v)) {
		snprintf(out, cap, "NaN");
		return;
	}
	if (isinf(v)) {
		snprintf(out, cap, v > 0 ? "+Inf" : "-Inf");
		return;
	}
	const char *sign = signbit(v) ? "-" : "";
	if (v == 0) {
		snprintf(out, cap, "%s0", sign);
		return;
	}
	// The shortest decimal that reads back as the same value.
	char e[64];
	int prec;
	for (prec = 1; prec <= 17; prec++) {
		snprintf(e, sizeof(e), "%.*e", prec - 1, fabs(v));
		double back = strtod(e, NULL);
		if (bits == 32 ? (float)back == (float)fabs(v) : back == fabs(v))
			break;
	}
	// e is "d.ddde±XX": collect the digits and the exponent.
	char digits[32];
	int nd = 0, exp = 0;
	for (const char *c = e; *c && *c != 'e'; c++)
		if (*c >= '0' && *c <= '9')
			digits[nd++] = *c;
	const char *ep = strchr(e, 'e');
	if (ep)
		exp = atoi(ep + 1);
	while (nd > 1 && digits[nd - 1] == '0')
		nd--;
	digits[nd] = '\0';
	if (exp < -4 || exp >= 6) {
		// %e with nd-1 decimals and at least two exponent digits.
		snprintf(out, cap, "%s%c%s%.*se%c%02d", sign, digits[0], nd > 1 ? "." : "", nd - 1,
			 digits + 1, exp < 0 ? '-' : '+', exp < 0 ? -exp : exp);
		return;
	}
	// %f with max(nd - (exp+1), 0) decimals.
	char f[64];
	size_t n = 0;
	int dp = exp + 1;
	if (dp <= 0) {
		f[n++] = '0';
		f[n++] = '.';
		for (int i = 0; i < -dp; i++)
			f[n++] = '0';
		for (int i = 0; i < nd; i++)
			f[n++] = digits[i];
	} else {
		for (int i = 0; i < dp; i++)
			f[n++] = i < nd ? digits[i] : '0';
		if (nd > dp) {
			f[n++] = '.';
			for (int i = dp; i < nd; i++)
				f[n++] = digits[i];
		}
	}
	f[n] = '\0';
	snprintf(out, cap, "%s%s", sign, f);
}

static void fmt_float(const struct gr_panics *p, char *out, size_t cap, double v, int bits)
{
	if (p->shortest_floats)
		short_float(out, cap, v, bits);
	else
		old_float(out, cap, v);
}

/* print(complex) of the release: "(re+imi)". */
static void fmt_complex(const struct gr_panics *p, char *out, size_t cap, double re, double im,
			int bits)
{
	char a[32], b[32];
	fmt_float(p, a, sizeof(a), re, bits);
	fmt_float(p, b, sizeof(b), im, bits);
	bool sign = b[0] == '+' || b[0] == '-';
	snprintf(out, cap, "(%s%s%si)", a, sign ? "" : "+", b);
}

/*
 * A basic-kind value at ADDR as print() shows it (runtime/print.go); false
 * for other kinds. 1.26+ print(float32) keeps float32's shortest form.
 */
static bool fmt_basic(struct gr_panics *p, uint8_t kind, uint64_t addr, char *out, size_t cap)
{
	unsigned char v[16];
	static const uint8_t sizes[] = {
		[KIND_BOOL] = 1, [KIND_INT] = 8, [KIND_INT8] = 1, [KIND_INT16] = 2,
		[KIND_INT32] = 4, [KIND_INT64] = 8, [KIND_UINT] = 8, [KIND_UINT8] = 1,
		[KIND_UINT16] = 2, [KIND_UINT32] = 4, [KIND_UINT64] = 8, [KIND_UINTPTR] = 8,
		[KIND_FLOAT32] = 4, [KIND_FLOAT64] = 8, [KIND_COMPLEX64] = 8, [KIND_COMPLEX128] = 16,
	};
	if (kind == 0 || kind > KIND_COMPLEX128)
		return false;
	if (!gr_read_ok(p->r->core, addr, v, sizes[kind]))
		return false;
	int64_t i = 0;
	uint64_t u = 0;
	float f32[2];
	double f64[2];
	switch (kind) {
	case KIND_BOOL:
		snprintf(out, cap, "%s", v[0] ? "true" : "false");
		return true;
	case KIND_INT8:
		i = (int8_t)v[0];
		break;
	case KIND_INT16: {
		int16_t x;
		memcpy(&x, v, 2);
		i = x;
		break;
	}
	case KIND_INT32: {
		int32_t x;
		memcpy(&x, v, 4);
		i = x;
		break;
	}
	case KIND_INT:
	case KIND_INT64:
		memcpy(&i, v, 8);
		break;
	case KIND_UINT8:
		u = v[0];
		break;
	case KIND_UINT16: {
		uint16_t x;
		memcpy(&x, v, 2);
		u = x;
		break;
	}
	case KIND_UINT32: {
		uint32_t x;
		memcpy(&x, v, 4);
		u = x;
		break;
	}
	case KIND_UINT:
	case KIND_UINT64:
	case KIND_UINTPTR:
		memcpy(&u, v, 8);
		break;
	case KIND_FLOAT32:
		memcpy(f32, v, 4);
		fmt_float(p, out, cap, f32[0], 32);
		return true;
	case KIND_FLOAT64:
		memcpy(f64, v, 8);
		fmt_float(p, out, cap, f64[0], 64);
		return true;
	case KIND_COMPLEX64:
		memcpy(f32, v, 8);
		fmt_complex(p, out, cap, f32[0], f32[1], 32);
		return true;
	case KIND_COMPLEX128:
		memcpy(f64, v, 16);
		fmt_complex(p, out, cap, f64[0], f64[1], 64);
		return true;
	}
	if (kind >= KIND_INT && kind <= KIND_INT64)
		snprintf(out, cap, "%lld", (long long)i);
	else
		snprintf(out, cap, "%llu", (unsigned long long)u);
	return true;
}

/* A string header at ADDR, into the snapshot's strings. */
static const char *read_string(struct gr_panics *p, uint64_t addr)
{
	const char *s = NULL;
	struct util_error *err = gr_read_gostring(p->r, addr, MAX_TEXT, &s);
	if (err) {
		util_error_destroy(err);
		return NULL;
	}
	return s;
}

/* A string member of the struct type STRUCT_NAME at ADDR. */
static const char *string_member(struct gr_panics *p, uint64_t addr, const char *struct_name,
				 const char *field)
{
	uint64_t off = member(p->r, struct_name, field);
	return off == GR_ABSENT ? NULL : read_string(p, addr + off);
}

/* runtime.boundsError.Error(), with the format strings of the binary itself. */
static const char *bounds_error(struct gr_panics *p, uint64_t addr, char *out, size_t cap)
{
	struct gr_reader *r = p->r;
	const char *T = "runtime.boundsError";
	uint64_t ox = member(r, T, "x"), oy = member(r, T, "y"), os = member(r, T, "signed"),
		 oc = member(r, T, "code");
	if (ox == GR_ABSENT || oy == GR_ABSENT || os == GR_ABSENT || oc == GR_ABSENT)
		return NULL;
	int64_t x, y;
	uint8_t sgn, code;
	if (!gr_read_ok(r->core, addr + ox, &x, 8) || !gr_read_ok(r->core, addr + oy, &y, 8) ||
	    !gr_read_ok(r->core, addr + os, &sgn, 1) || !gr_read_ok(r->core, addr + oc, &code, 1))
		return NULL;
	bool neg = sgn && x < 0;
	uint64_t fmts, size;
	struct util_error *err = dw_variable(r->bin, neg ? "runtime.boundsNegErrorFmts" : "runtime.boundsErrorFmts",
					     &fmts, &size);
	if (err) {
		util_error_destroy(err);
		return NULL;
	}
	if ((uint64_t)code * 16 + 16 > size)
		return NULL;
	const char *fmt = read_string(p, fmts + 16 * (uint64_t)code);
	if (!fmt)
		return NULL;
	size_t n = (size_t)snprintf(out, cap, "runtime error: ");
	for (const char *c = fmt; *c && n + 24 < cap; c++) {
		if (*c != '%' || (c[1] != 'x' && c[1] != 'y')) {
			out[n++] = *c;
			continue;
		}
		c++;
		if (*c == 'x' && !sgn)
			n += (size_t)snprintf(out + n, cap - n, "%llu", (unsigned long long)x);
		else
			n += (size_t)snprintf(out + n, cap - n, "%lld", (long long)(*c == 'x' ? x : y));
	}
	out[n] = '\0';
	return out;
}

/* (*runtime.TypeAssertionError).Error(). */
static const char *type_assertion_error(struct gr_panics *p, uint64_t addr, char *out, size_t cap)
{
	struct gr_reader *r = p->r;
	const char *T = "runtime.TypeAssertionError";
	uint64_t oi = member(r, T, "_interface"), oc = member(r, T, "concrete"),
		 oa = member(r, T, "asserted"), om = member(r, T, "missingMethod");
	uint64_t iface, concrete, asserted;
	if (oi == GR_ABSENT || oc == GR_ABSENT || oa == GR_ABSENT || om == GR_ABSENT ||
	    !gr_read_ok(r->core, addr + oi, &iface, 8) || !gr_read_ok(r->core, addr + oc, &concrete, 8) ||
	    !gr_read_ok(r->core, addr + oa, &asserted, 8))
		return NULL;
	struct rtype ti, tc, ta;
	const char *inter = iface && read_type(p, iface, &ti) ? ti.name : "interface";
	if (!read_type(p, asserted, &ta))
		return NULL;
	if (!concrete) {
		snprintf(out, cap, "interface conversion: %s is nil, not %s", inter, ta.name);
		return out;
	}
	if (!read_type(p, concrete, &tc))
		return NULL;
	const char *missing = read_string(p, addr + om);
	if (missing && *missing)
		snprintf(out, cap, "interface conversion: %s is not %s: missing method %s", tc.name,
			 ta.name, missing);
	else
		snprintf(out, cap, "interface conversion: %s is %s, not %s", inter, tc.name, ta.name);
	return out;
}

/*
 * The panic value as the runtime prints it: an error's or a known
 * runtime.Error's text (what preprintpanics gets from Error()), a basic
 * value (printpanicval), TYPE(value) for named basic types
 * (printanycustomtype), "(TYPE) 0xADDR" otherwise. NULL if unreadable.
 */
static const char *render(struct gr_panics *p, const struct rtype *t, uint64_t data)
{
	struct gr_snapshot *s = p->r->snap;
	char buf[MAX_TEXT + 128];
	// Errors whose Error() is a field: match by the DWARF (full path) name
	// when there is one, else by the printed name.
	const char *id = t->dwarf ? t->dwarf : t->name;
	// Pointer-shaped types hold the pointer in the data word; others point to the value.
	uint64_t val = data;
	if (strcmp(id, "*errors.errorString") == 0)
		return string_member(p, val, "errors.errorString", "s");
	if (strcmp(id, "*fmt.wrapError") == 0)
		return string_member(p, val, "fmt.wrapError", "msg");
	if (strcmp(id, "*fmt.wrapErrors") == 0)
		return string_member(p, val, "fmt.wrapErrors", "msg");
	if (strcmp(id, "runtime.plainError") == 0)
		return read_string(p, val);
	if (strcmp(id, "runtime.errorString") == 0 || strcmp(id, "runtime.errorAddressString") == 0) {
		const char *msg = strcmp(id, "runtime.errorString") == 0
					  ? read_string(p, val)
					  : string_member(p, val, "runtime.errorAddressString", "msg");
		if (!msg)
			return NULL;
		snprintf(buf, sizeof(buf), "runtime error: %s", msg);
		return gr_intern(s, buf);
	}
	if (strcmp(id, "runtime.boundsError") == 0)
		return gr_intern(s, bounds_error(p, val, buf, sizeof(buf)));
	if (strcmp(id, "*runtime.TypeAssertionError") == 0)
		return gr_intern(s, type_assertion_error(p, val, buf, sizeof(buf)));
	if (strcmp(id, "*runtime.PanicNilError") == 0)
		return p->nil_error_prefixed ? "runtime error: panic called with nil argument"
					     : "panic called with nil argument";

	bool predeclared = !strchr(t->name, '.'); // "int", "string": not a named type of a package
	if (t->kind == KIND_STRING && !t->direct) {
		const char *str = read_string(p, val);
		if (!str)
			return NULL;
		if (predeclared)
			return str;
		snprintf(buf, sizeof(buf), "%s(\"%s\")", t->name, str);
		return gr_intern(s, buf);
	}
	char v[128];
	if (!t->direct && fmt_basic(p, t->kind, val, v, sizeof(v))) {
		if (predeclared)
			return gr_intern(s, v);
		if (t->kind == KIND_COMPLEX64 || t->kind == KIND_COMPLEX128)
			snprintf(buf, sizeof(buf), "%s%s", t->name, v);
		else
			snprintf(buf, sizeof(buf), "%s(%s)", t->name, v);
		return gr_intern(s, buf);
	}
	snprintf(buf, sizeof(buf), "(%s) 0x%llx", t->name, (unsigned long long)data);
	return gr_intern(s, buf);
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
			gr_diag(r->snap, "warning", "panic", "goroutine %llu: the _panic list %s",
				(unsigned long long)g->goid,
				seq >= GR_MAX_RECORDS ? "is too long" : "loops");
			break;
		}
		struct util_error *err = (at & 7) ? util_error_fault(at, "misaligned _panic")
						  : core_read(r->core, at, rec, p->size);
		if (err) {
			gr_diag(r->snap, "warning", "panic", "goroutine %llu: _panic 0x%llx: %s",
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
			struct rtype t;
			if (read_type(p, type, &t)) {
				out->value_type = t.name;
				out->value_text = render(p, &t, data);
			} else {
				gr_diag(r->snap, "warning", "panic",
					"goroutine %llu: panic value of unknown type at 0x%llx",
					(unsigned long long)g->goid, (unsigned long long)type);
			}
		}
		memcpy(&at, rec + p->link, 8);
	}
	return NULL;
}

bool gr_panics_type(struct gr_panics *p, uint64_t type, const char **name, const char **dwarf,
		    uint8_t *kind, bool *direct)
{
	struct rtype t;
	if (!read_type(p, type, &t))
		return false;
	*name = t.name;
	*dwarf = t.dwarf;
	*kind = t.kind;
	*direct = t.direct;
	return true;
}

const char *gr_panics_render(struct gr_panics *p, uint64_t type, uint64_t data)
{
	struct rtype t;
	if (!read_type(p, type, &t))
		return NULL;
	return render(p, &t, data);
}
