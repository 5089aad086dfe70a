// SPDX-License-Identifier: Apache-2.0
// span.c: how a decompressed core's page store keeps a non-zero page (struct
// core_span): trimmed to its non-zero bytes, or as the bitmap of its non-zero
// words and those words, whichever is smaller; and the page made whole again.
#include "core/internal.h"

enum {
	/** A page trimmed by less than this is kept whole, and read in place. */
	TRIM_MIN = 256,
	/**
	 * A page is kept sparse when that saves at least this much on its span:
	 * the sparse form costs a little more to make whole on a lookup. That
	 * is 97% of `corpus/bench`'s non-zero pages, 58% of ctxgen's
	 * (bench/README.md).
	 */
	SPARSE_MIN = 256,
	PAGE_WORDS = CORE_PAGE_SIZE / 8,
};

/** True if the 64 bytes at P are zero. */
static inline bool line_is_zero(const uint8_t *p)
{
	uint64_t acc = 0;
	for (size_t i = 0; i < 64; i += 8)
		acc |= core_le64(p + i);
	return acc == 0;
}

/*
 * The page at P (not all zero) trimmed to [*LO, *HI), 8-byte aligned, the
 * bytes from its first non-zero word to its last, or the whole page if that
 * trims less than TRIM_MIN bytes.
 */
static void page_trim(const uint8_t *p, size_t *lo, size_t *hi)
{
	size_t a = 0, b = CORE_PAGE_SIZE;
	while (line_is_zero(p + a)) // stops: the page is not all zero
		a += 64;
	while (line_is_zero(p + b - 64))
		b -= 64;
	while (core_le64(p + a) == 0)
		a += 8;
	while (core_le64(p + b - 8) == 0)
		b -= 8;
	if (a + (CORE_PAGE_SIZE - b) < TRIM_MIN)
		a = 0, b = CORE_PAGE_SIZE;
	*lo = a;
	*hi = b;
}

/** The 64-bit words of the bitmap of NWORDS words. */
static inline size_t bitmap_words(size_t nwords)
{
	return (nwords + 63) / 64;
}

size_t core_span_plan(const uint8_t *p, struct core_span *hdr)
{
	size_t lo, hi;
	page_trim(p, &lo, &hi);
	size_t nwords = (hi - lo) / 8, nz = 0;
	for (size_t i = 0; i < nwords; i++)
		nz += core_le64(p + lo + 8 * i) != 0;
	size_t sparse = 8 * (bitmap_words(nwords) + nz);
	bool use_sparse = sparse + SPARSE_MIN <= hi - lo;
	*hdr = (struct core_span){.lo = (uint16_t)lo, .len = (uint16_t)(hi - lo),
				  .nz = use_sparse ? (uint16_t)nz : 0};
	return sizeof(*hdr) + (use_sparse ? sparse : hi - lo);
}

void core_span_encode(const uint8_t *p, const struct core_span *hdr, uint8_t *out)
{
	memcpy(out, hdr, sizeof(*hdr));
	out += sizeof(*hdr);
	if (!hdr->nz) {
		memcpy(out, p + hdr->lo, hdr->len);
		return;
	}
	size_t nwords = hdr->len / 8, bw = bitmap_words(nwords);
	uint64_t bits[PAGE_WORDS / 64] = {0};
	uint8_t *w = out + 8 * bw;
	for (size_t i = 0; i < nwords; i++) {
		const uint8_t *src = p + hdr->lo + 8 * i;
		if (core_le64(src) == 0)
			continue;
		bits[i / 64] |= UINT64_C(1) << (i % 64);
		memcpy(w, src, 8);
		w += 8;
	}
	memcpy(out, bits, 8 * bw);
}

void core_span_fill(const struct core_span *s, uint8_t *page)
{
	const uint8_t *in = (const uint8_t *)(s + 1);
	if (!s->nz) {
		memset(page, 0, s->lo);
		memcpy(page + s->lo, in, s->len);
		memset(page + s->lo + s->len, 0, CORE_PAGE_SIZE - s->lo - s->len);
		return;
	}
	memset(page, 0, CORE_PAGE_SIZE);
	size_t nwords = s->len / 8, bw = bitmap_words(nwords);
	const uint8_t *w = in + 8 * bw;
	uint8_t *base = page + s->lo;
	for (size_t k = 0; k < bw; k++) {
		uint64_t b;
		memcpy(&b, in + 8 * k, 8);
		while (b) {
			size_t i = 64 * k + (size_t)__builtin_ctzll(b);
			b &= b - 1;
			memcpy(base + 8 * i, w, 8);
			w += 8;
		}
	}
}
