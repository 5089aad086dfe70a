// SPDX-License-Identifier: Apache-2.0
// pcnames.c: the function names of Go's pclntab — as Go prints them
// (funcNameForPrint), checked to be text, a placeholder for a corrupt one;
// and the list of what the executable's tables had corrupt (dw_problem).
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dwarf/internal.h"

/*
 * funcNamePiecesForPrint (1.27 runtime/traceback.go:747): generic shapes
 * print as "[...]"; "pkg.T[...].M[...]" for a generic method of a generic
 * type (new in 1.27, identical to the 1.21 rule on names older releases emit).
 * Writes into OUT (at least LEN+6 bytes), returns its length.
 */
static size_t name_for_print(const char *name, size_t len, char *out)
{
	const char *lb = memchr(name, '[', len);
	if (!lb)
		goto whole;
	size_t i = lb - name, j = len - 1;
	while (j > 0 && name[j] != ']')
		j--;
	if (j <= i)
		goto whole;
	const char *in = name + i + 1;
	size_t inlen = j - i - 1;
	if (!memchr(in, '[', inlen)) {
		memcpy(out, name, i);
		memcpy(out + i, "[...]", 5);
		memcpy(out + i + 5, name + j + 1, len - j - 1);
		return i + 5 + len - j - 1;
	}
	long depth = 1, rbr = -1, lbr = -1;
	for (size_t k = 0; k < inlen; k++) {
		if (in[k] == '[') {
			depth++;
			if (depth != 1)
				continue;
			lbr = k;
			break;
		}
		if (in[k] == ']') {
			depth--;
			if (depth < 0)
				break;
			if (depth != 0)
				continue;
			rbr = k;
		}
	}
	if (depth == 1) {
		if (rbr >= 0 && lbr > rbr) {
			size_t n = 0, mid = lbr - rbr - 1;
			memcpy(out, name, i), n += i;
			memcpy(out + n, "[...]", 5), n += 5;
			memcpy(out + n, in + rbr + 1, mid), n += mid;
			memcpy(out + n, "[...]", 5), n += 5;
			memcpy(out + n, name + j + 1, len - j - 1), n += len - j - 1;
			return n;
		}
		if (rbr == -1 && lbr == -1) {
			memcpy(out, name, i);
			memcpy(out + i, "[...]", 5);
			memcpy(out + i + 5, name + j + 1, len - j - 1);
			return i + 5 + len - j - 1;
		}
	}
whole:
	memcpy(out, name, len);
	return len;
}

/* The raw name at funcnametab[OFF], NULL if out of bounds. */
const char *dw_pcln_raw_name(const struct dw_pclntab *p, int64_t off, size_t *len)
{
	if (off < 0 || (uint64_t)off >= p->funcnametab_size)
		return NULL;
	const char *s = (const char *)p->funcnametab + off;
	const char *nul = memchr(s, 0, p->funcnametab_size - off);
	if (!nul)
		return NULL;
	*len = nul - s;
	return s;
}

bool dw_pcln_is_text(const unsigned char *s, size_t len)
{
	if (len == 0)
		return false;
	for (size_t i = 0; i < len;) {
		unsigned c = s[i];
		if (c < 0x80) {
			if (c < 0x20 || c == 0x7f)
				return false;
			i++;
			continue;
		}
		size_t n = c >= 0xf0 && c <= 0xf4 ? 4 : c >= 0xe0 && c < 0xf0 ? 3 : c >= 0xc2 && c < 0xe0 ? 2 : 0;
		if (!n || len - i < n)
			return false;
		uint32_t cp = c & (0x7fu >> n);
		for (size_t k = 1; k < n; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return false;
			cp = cp << 6 | (s[i + k] & 0x3f);
		}
		if ((n == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
		    (n == 4 && (cp < 0x10000 || cp > 0x10ffff)))
			return false;
		i += n;
	}
	return true;
}

/* dw_pcln_func_name (internal.h). */
struct util_error *dw_pcln_func_name(struct dw_binary *b, int64_t off, uint64_t where,
				    const char **ret)
{
	struct dw_pclntab *p = &b->pcln;
	uint64_t v;
	if (off >= 0 && util_u64map_get(&p->names, off, &v)) {
		*ret = (const char *)(uintptr_t)v;
		return NULL;
	}
	size_t len;
	const char *raw = dw_pcln_raw_name(p, off, &len);
	const char *name;
	if (!raw || !dw_pcln_is_text((const unsigned char *)raw, len)) {
		// A corrupt pclntab: binary junk must not become a frame's name.
		dw_problem(b, "function at 0x%llx: its name at funcnametab offset %lld is %s; "
			   "named ?func@0x%llx", (unsigned long long)where, (long long)off,
			   off < 0 || (uint64_t)off >= p->funcnametab_size ? "outside the name table"
			   : !raw ? "not NUL-terminated in the name table" : "not printable UTF-8",
			   (unsigned long long)where);
		name = NULL;
	} else if (p->print_names && memchr(raw, '[', len)) {
		char stack[256];
		char *buf = len + 16 <= sizeof(stack) ? stack : malloc(len + 16);
		if (!buf)
			return &util_enomem;
		size_t n = name_for_print(raw, len, buf);
		name = util_strtab_intern(&b->strings, buf, n);
		if (buf != stack)
			free(buf);
	} else {
		name = util_strtab_intern(&b->strings, raw, len);
	}
	if (!name && raw && dw_pcln_is_text((const unsigned char *)raw, len))
		return &util_enomem;
	if (off >= 0) {
		struct util_error *err = util_u64map_put(&p->names, off, (uintptr_t)name);
		if (err)
			return err;
	}
	*ret = name;
	return NULL;
}

const char *dw_pcln_placeholder(struct dw_binary *b, uint64_t pc)
{
	char buf[32];
	int n = snprintf(buf, sizeof(buf), "?func@0x%llx", (unsigned long long)pc);
	return util_strtab_intern(&b->strings, buf, (size_t)n);
}

void dw_problem(struct dw_binary *b, const char *fmt, ...)
{
	if (b->nproblems >= DW_MAX_PROBLEMS) {
		b->problems_dropped++;
		return;
	}
	char text[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	const char *s = util_strtab_intern(&b->strings, text, strlen(text));
	// Without memory for it, the problem goes uncounted: the read goes on.
	if (s && !util_grow((void **)&b->problems, b->nproblems, &b->problems_cap,
			    sizeof(*b->problems), 16))
		b->problems[b->nproblems++] = s;
}
