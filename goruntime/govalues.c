// SPDX-License-Identifier: Apache-2.0
// govalues.c: a Go value rendered as the runtime prints it — print()'s
// numbers of the release, strings, and the text of the errors whose Error() is
// a field — for panic values and context values alike.
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "goruntime/internal.h"

enum { MAX_TEXT = 4096 };

/* What differs between releases in how values print, probed once. */
static void probe(struct gr_reader *r)
{
	struct gr_types *ty = &r->types;
	if (ty->values_probed)
		return;
	ty->values_probed = true;
	// Go 1.26 prints floats with strconv (shortest 'g'); before, the
	// runtime's own "+1.500000e+000" (runtime.printfloat).
	ty->shortest_floats = dw_func_by_name(r->bin, "runtime.printfloat64") != NULL;
	// PanicNilError.Error gained the "runtime error: " prefix in Go 1.27
	// (runtime/panic.go:794): the binary then holds the whole literal.
	static const char prefixed[] = "runtime error: panic called with nil argument";
	ty->nil_error_prefixed = dw_binary_contains(r->bin, prefixed, sizeof(prefixed) - 1);
}

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

static void fmt_float(const struct gr_types *ty, char *out, size_t cap, double v, int bits)
{
	if (ty->shortest_floats)
		short_float(out, cap, v, bits);
	else
		old_float(out, cap, v);
}

/* print(complex) of the release: "(re+imi)". */
static void fmt_complex(const struct gr_types *ty, char *out, size_t cap, double re, double im,
			int bits)
{
	char a[32], b[32];
	fmt_float(ty, a, sizeof(a), re, bits);
	fmt_float(ty, b, sizeof(b), im, bits);
	bool sign = b[0] == '+' || b[0] == '-';
	snprintf(out, cap, "(%s%s%si)", a, sign ? "" : "+", b);
}

/*
 * A basic-kind value at ADDR as print() shows it (runtime/print.go); false
 * for other kinds. 1.26+ print(float32) keeps float32's shortest form.
 */
static bool fmt_basic(struct gr_reader *r, uint8_t kind, uint64_t addr, char *out, size_t cap)
{
	unsigned char v[16];
	static const uint8_t sizes[] = {
		[GR_KIND_BOOL] = 1, [GR_KIND_INT] = 8, [GR_KIND_INT8] = 1, [GR_KIND_INT16] = 2,
		[GR_KIND_INT32] = 4, [GR_KIND_INT64] = 8, [GR_KIND_UINT] = 8, [GR_KIND_UINT8] = 1,
		[GR_KIND_UINT16] = 2, [GR_KIND_UINT32] = 4, [GR_KIND_UINT64] = 8, [GR_KIND_UINTPTR] = 8,
		[GR_KIND_FLOAT32] = 4, [GR_KIND_FLOAT64] = 8, [GR_KIND_COMPLEX64] = 8, [GR_KIND_COMPLEX128] = 16,
	};
	if (kind == 0 || kind > GR_KIND_COMPLEX128)
		return false;
	if (!gr_read_ok(r->core, addr, v, sizes[kind]))
		return false;
	int64_t i = 0;
	uint64_t u = 0;
	float f32[2];
	double f64[2];
	switch (kind) {
	case GR_KIND_BOOL:
		snprintf(out, cap, "%s", v[0] ? "true" : "false");
		return true;
	case GR_KIND_INT8:
		i = (int8_t)v[0];
		break;
	case GR_KIND_INT16: {
		int16_t x;
		memcpy(&x, v, 2);
		i = x;
		break;
	}
	case GR_KIND_INT32: {
		int32_t x;
		memcpy(&x, v, 4);
		i = x;
		break;
	}
	case GR_KIND_INT:
	case GR_KIND_INT64:
		memcpy(&i, v, 8);
		break;
	case GR_KIND_UINT8:
		u = v[0];
		break;
	case GR_KIND_UINT16: {
		uint16_t x;
		memcpy(&x, v, 2);
		u = x;
		break;
	}
	case GR_KIND_UINT32: {
		uint32_t x;
		memcpy(&x, v, 4);
		u = x;
		break;
	}
	case GR_KIND_UINT:
	case GR_KIND_UINT64:
	case GR_KIND_UINTPTR:
		memcpy(&u, v, 8);
		break;
	case GR_KIND_FLOAT32:
		memcpy(f32, v, 4);
		fmt_float(&r->types, out, cap, f32[0], 32);
		return true;
	case GR_KIND_FLOAT64:
		memcpy(f64, v, 8);
		fmt_float(&r->types, out, cap, f64[0], 64);
		return true;
	case GR_KIND_COMPLEX64:
		memcpy(f32, v, 8);
		fmt_complex(&r->types, out, cap, f32[0], f32[1], 32);
		return true;
	case GR_KIND_COMPLEX128:
		memcpy(f64, v, 16);
		fmt_complex(&r->types, out, cap, f64[0], f64[1], 64);
		return true;
	}
	if (kind >= GR_KIND_INT && kind <= GR_KIND_INT64)
		snprintf(out, cap, "%lld", (long long)i);
	else
		snprintf(out, cap, "%llu", (unsigned long long)u);
	return true;
}

/* A string header at ADDR, into the snapshot's strings. */
static const char *read_string(struct gr_reader *r, uint64_t addr)
{
	const char *s = NULL;
	struct util_error *err = gr_read_gostring(r, addr, MAX_TEXT, &s);
	if (err) {
		util_error_destroy(err);
		return NULL;
	}
	return s;
}

/* A string member of the struct type STRUCT_NAME at ADDR. */
static const char *string_member(struct gr_reader *r, uint64_t addr, const char *struct_name,
				 const char *field)
{
	uint64_t off = gr_member(r->bin, struct_name, field);
	return off == GR_ABSENT ? NULL : read_string(r, addr + off);
}

/* runtime.boundsError.Error(), with the format strings of the binary itself. */
static const char *bounds_error(struct gr_reader *r, uint64_t addr, char *out, size_t cap)
{
	const char *T = "runtime.boundsError";
	uint64_t ox = gr_member(r->bin, T, "x"), oy = gr_member(r->bin, T, "y"), os = gr_member(r->bin, T, "signed"),
		 oc = gr_member(r->bin, T, "code");
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
	const char *fmt = read_string(r, fmts + 16 * (uint64_t)code);
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
static const char *type_assertion_error(struct gr_reader *r, uint64_t addr, char *out, size_t cap)
{
	const char *T = "runtime.TypeAssertionError";
	uint64_t oi = gr_member(r->bin, T, "_interface"), oc = gr_member(r->bin, T, "concrete"),
		 oa = gr_member(r->bin, T, "asserted"), om = gr_member(r->bin, T, "missingMethod");
	uint64_t iface, concrete, asserted;
	if (oi == GR_ABSENT || oc == GR_ABSENT || oa == GR_ABSENT || om == GR_ABSENT ||
	    !gr_read_ok(r->core, addr + oi, &iface, 8) || !gr_read_ok(r->core, addr + oc, &concrete, 8) ||
	    !gr_read_ok(r->core, addr + oa, &asserted, 8))
		return NULL;
	const struct gr_type *ti = iface ? gr_type_read(r, iface) : NULL, *tc;
	const struct gr_type *ta = gr_type_read(r, asserted);
	const char *inter = ti ? ti->name : "interface";
	if (!ta)
		return NULL;
	if (!concrete) {
		snprintf(out, cap, "interface conversion: %s is nil, not %s", inter, ta->name);
		return out;
	}
	if (!(tc = gr_type_read(r, concrete)))
		return NULL;
	const char *missing = read_string(r, addr + om);
	if (missing && *missing)
		snprintf(out, cap, "interface conversion: %s is not %s: missing method %s", tc->name,
			 ta->name, missing);
	else
		snprintf(out, cap, "interface conversion: %s is %s, not %s", inter, tc->name, ta->name);
	return out;
}

/*
 * The panic value as the runtime prints it: an error's or a known
 * runtime.Error's text (what preprintpanics gets from Error()), a basic
 * value (printpanicval), TYPE(value) for named basic types
 * (printanycustomtype), "(TYPE) 0xADDR" otherwise. NULL if unreadable.
 */
const char *gr_value_text(struct gr_reader *r, uint64_t type, uint64_t data)
{
	const struct gr_type *t = gr_type_read(r, type);
	if (!t)
		return NULL;
	struct gr_snapshot *s = r->snap;
	char buf[MAX_TEXT + 128];
	probe(r);
	// Errors whose Error() is a field: match by the DWARF (full path) name
	// when there is one, else by the printed name.
	const char *id = t->dwarf ? t->dwarf : t->name;
	// Pointer-shaped types hold the pointer in the data word; others point to the value.
	uint64_t val = data;
	if (strcmp(id, "*errors.errorString") == 0)
		return string_member(r, val, "errors.errorString", "s");
	if (strcmp(id, "*fmt.wrapError") == 0)
		return string_member(r, val, "fmt.wrapError", "msg");
	if (strcmp(id, "*fmt.wrapErrors") == 0)
		return string_member(r, val, "fmt.wrapErrors", "msg");
	if (strcmp(id, "runtime.plainError") == 0)
		return read_string(r, val);
	if (strcmp(id, "runtime.errorString") == 0 || strcmp(id, "runtime.errorAddressString") == 0) {
		const char *msg = strcmp(id, "runtime.errorString") == 0
					  ? read_string(r, val)
					  : string_member(r, val, "runtime.errorAddressString", "msg");
		if (!msg)
			return NULL;
		snprintf(buf, sizeof(buf), "runtime error: %s", msg);
		return gr_intern(s, buf);
	}
	if (strcmp(id, "runtime.boundsError") == 0)
		return gr_intern(s, bounds_error(r, val, buf, sizeof(buf)));
	if (strcmp(id, "*runtime.TypeAssertionError") == 0)
		return gr_intern(s, type_assertion_error(r, val, buf, sizeof(buf)));
	if (strcmp(id, "*runtime.PanicNilError") == 0)
		return r->types.nil_error_prefixed ? "runtime error: panic called with nil argument"
					     : "panic called with nil argument";

	bool predeclared = !strchr(t->name, '.'); // "int", "string": not a named type of a package
	if (t->kind == GR_KIND_STRING && !t->direct) {
		const char *str = read_string(r, val);
		if (!str)
			return NULL;
		if (predeclared)
			return str;
		snprintf(buf, sizeof(buf), "%s(\"%s\")", t->name, str);
		return gr_intern(s, buf);
	}
	char v[128];
	if (!t->direct && fmt_basic(r, t->kind, val, v, sizeof(v))) {
		if (predeclared)
			return gr_intern(s, v);
		if (t->kind == GR_KIND_COMPLEX64 || t->kind == GR_KIND_COMPLEX128)
			snprintf(buf, sizeof(buf), "%s%s", t->name, v);
		else
			snprintf(buf, sizeof(buf), "%s(%s)", t->name, v);
		return gr_intern(s, buf);
	}
	snprintf(buf, sizeof(buf), "(%s) 0x%llx", t->name, (unsigned long long)data);
	return gr_intern(s, buf);
}

