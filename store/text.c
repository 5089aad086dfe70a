// SPDX-License-Identifier: Apache-2.0
// text.c: binding byte strings from a core or an executable as TEXT that is
// valid UTF-8, whatever bytes they hold.
#include <stdlib.h>
#include <string.h>

#include "store/store-private.h"

/*
 * The length of the valid UTF-8 sequence at P (N bytes left), 0 if there is
 * none: no overlong forms, no surrogates, nothing above U+10FFFF (RFC 3629,
 * as Go's utf8.Valid).
 */
static size_t utf8_seq(const unsigned char *p, size_t n)
{
	unsigned c = p[0];
	if (c < 0x80)
		return 1;
	size_t len;
	unsigned lo = 0x80, hi = 0xbf; // the bounds of the second byte
	if (c >= 0xc2 && c <= 0xdf)
		len = 2;
	else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		if (c == 0xe0)
			lo = 0xa0; // overlong
		else if (c == 0xed)
			hi = 0x9f; // surrogates
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		if (c == 0xf0)
			lo = 0x90; // overlong
		else if (c == 0xf4)
			hi = 0x8f; // above U+10FFFF
	} else
		return 0;
	if (n < len || p[1] < lo || p[1] > hi)
		return 0;
	for (size_t i = 2; i < len; i++)
		if ((p[i] & 0xc0) != 0x80)
			return 0;
	return len;
}

struct util_error *store_utf8_escape(const char *s, size_t n, char **ret)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, k;
	while (i < n && (k = utf8_seq(p + i, n - i)))
		i += k;
	*ret = NULL;
	if (i == n)
		return NULL;
	// Each invalid byte becomes 4 ("\xNN"); the valid prefix is copied.
	char *out = malloc(i + (n - i) * 4 + 1), *o = out;
	if (!out)
		return &util_enomem;
	memcpy(o, s, i);
	o += i;
	static const char hex[] = "0123456789abcdef";
	while (i < n) {
		if ((k = utf8_seq(p + i, n - i))) {
			memcpy(o, p + i, k);
			o += k;
			i += k;
			continue;
		}
		*o++ = '\\';
		*o++ = 'x';
		*o++ = hex[p[i] >> 4];
		*o++ = hex[p[i] & 15];
		i++;
	}
	*o = '\0';
	*ret = out;
	return NULL;
}

int store_bind_text(sqlite3_stmt *st, int i, const char *s)
{
	if (!s)
		return sqlite3_bind_null(st, i);
	size_t n = strlen(s);
	char *esc;
	if (store_utf8_escape(s, n, &esc))
		return SQLITE_NOMEM;
	// Valid text, the common case, is bound without a copy.
	if (!esc)
		return sqlite3_bind_text(st, i, s, (int)n, SQLITE_STATIC);
	return sqlite3_bind_text(st, i, esc, -1, free);
}
