// SPDX-License-Identifier: Apache-2.0
// sha256.c: SHA-256 written from FIPS 180-4, used for core file identity. Two
// compression functions: portable C, and the x86 SHA extensions (SHA-NI) when
// the CPU has them, chosen at run time; both give the same bits.
#include <string.h>

#if defined(__x86_64__) || defined(__i386__)
#define SHA256_HAVE_SHANI 1
#include <cpuid.h>
#include <immintrin.h>
#else
#define SHA256_HAVE_SHANI 0
#endif

#include "core/sha256.h"

static _Alignas(16) const uint32_t K[64] = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
	0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
	0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
	0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
	0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
	0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
	0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
	0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

static inline uint32_t ror(uint32_t x, unsigned n)
{
	return (x >> n) | (x << (32 - n));
}

#define BSIG0(x) (ror(x, 2) ^ ror(x, 13) ^ ror(x, 22))
#define BSIG1(x) (ror(x, 6) ^ ror(x, 11) ^ ror(x, 25))
#define SSIG0(x) (ror(x, 7) ^ ror(x, 18) ^ ((x) >> 3))
#define SSIG1(x) (ror(x, 17) ^ ror(x, 19) ^ ((x) >> 10))
#define CH(x, y, z) ((z) ^ ((x) & ((y) ^ (z))))
#define MAJ(x, y, z) (((x) & (y)) | ((z) & ((x) | (y))))

/* One round with the working variables renamed instead of shifted. */
#define ROUND(a, b, c, d, e, f, g, h, i)                                   \
	do {                                                               \
		uint32_t t1 = h + BSIG1(e) + CH(e, f, g) + K[i] + w[i];    \
		d += t1;                                                   \
		h = t1 + BSIG0(a) + MAJ(a, b, c);                          \
	} while (0)

#define ROUND8(i)                                          \
	do {                                               \
		ROUND(a, b, c, d, e, f, g, hh, (i) + 0);   \
		ROUND(hh, a, b, c, d, e, f, g, (i) + 1);   \
		ROUND(g, hh, a, b, c, d, e, f, (i) + 2);   \
		ROUND(f, g, hh, a, b, c, d, e, (i) + 3);   \
		ROUND(e, f, g, hh, a, b, c, d, (i) + 4);   \
		ROUND(d, e, f, g, hh, a, b, c, (i) + 5);   \
		ROUND(c, d, e, f, g, hh, a, b, (i) + 6);   \
		ROUND(b, c, d, e, f, g, hh, a, (i) + 7);   \
	} while (0)

/* The compression function with its 64 rounds unrolled. */
static void sha256_block(uint32_t h[8], const uint8_t *p)
{
	uint32_t w[64];
	for (int i = 0; i < 16; i++)
		w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
		       (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
	for (int i = 16; i < 64; i++)
		w[i] = SSIG1(w[i - 2]) + w[i - 7] + SSIG0(w[i - 15]) + w[i - 16];
	uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], hh = h[7];
	ROUND8(0);
	ROUND8(8);
	ROUND8(16);
	ROUND8(24);
	ROUND8(32);
	ROUND8(40);
	ROUND8(48);
	ROUND8(56);
	h[0] += a;
	h[1] += b;
	h[2] += c;
	h[3] += d;
	h[4] += e;
	h[5] += f;
	h[6] += g;
	h[7] += hh;
}

static void sha256_blocks_portable(uint32_t h[8], const uint8_t *p, size_t n)
{
	for (; n; n--, p += 64)
		sha256_block(h, p);
}

#if SHA256_HAVE_SHANI
/*
 * The compression function on the SHA extensions. The state lives in two
 * registers as sha256rnds2 wants it, lanes from high to low: ABEF and CDGH.
 * sha256rnds2(cdgh, abef, wk) does rounds i and i+1 with W[i]+K[i] and
 * W[i+1]+K[i+1] in the low two lanes of wk and returns the new ABEF; the new
 * CDGH is the old ABEF, so the two registers swap roles every call. The
 * schedule, four words W[4j..4j+3] per register M[j] (W[4j] in the low lane):
 * for j >= 4, W[t] = s1(W[t-2]) + W[t-7] + s0(W[t-15]) + W[t-16] is
 *   sha256msg1(M[j-4], M[j-3])           W[t-16] + s0(W[t-15]), 4 lanes
 *   + alignr(M[j-1], M[j-2], 4 bytes)    W[t-7]
 *   then sha256msg2(that, M[j-1])        + s1(W[t-2]), W[t-2] from M[j-1]
 *                                        for the low two lanes, from the
 *                                        result itself for the high two.
 */
__attribute__((target("sha,sse4.1,ssse3")))
static void sha256_blocks_shani(uint32_t h[8], const uint8_t *p, size_t n)
{
	// Message words are big-endian: reverse the bytes of each 32-bit lane.
	const __m128i bswap = _mm_set_epi8(12, 13, 14, 15, 8, 9, 10, 11, 4, 5, 6, 7, 0, 1, 2, 3);
	__m128i x = _mm_loadu_si128((const __m128i *)&h[0]); // lanes low..high: A B C D
	__m128i y = _mm_loadu_si128((const __m128i *)&h[4]); // E F G H
	x = _mm_shuffle_epi32(x, 0x1b);                      // D C B A
	y = _mm_shuffle_epi32(y, 0x1b);                      // H G F E
	__m128i abef = _mm_unpackhi_epi64(y, x);             // F E B A
	__m128i cdgh = _mm_unpacklo_epi64(y, x);             // H G D C
	for (; n; n--, p += 64) {
		const __m128i abef0 = abef, cdgh0 = cdgh;
		__m128i m[4]; // M[j-4..j-1] as a ring: M[j] goes to m[j % 4]
#pragma GCC unroll 16
		for (int j = 0; j < 16; j++) {
			__m128i w;
			if (j < 4) {
				w = _mm_loadu_si128((const __m128i *)(p + 16 * j));
				w = _mm_shuffle_epi8(w, bswap);
			} else {
				const __m128i m4 = m[j & 3], m3 = m[(j + 1) & 3];
				const __m128i m2 = m[(j + 2) & 3], m1 = m[(j + 3) & 3];
				w = _mm_sha256msg1_epu32(m4, m3);
				w = _mm_add_epi32(w, _mm_alignr_epi8(m1, m2, 4));
				w = _mm_sha256msg2_epu32(w, m1);
			}
			m[j & 3] = w;
			__m128i wk = _mm_add_epi32(w, _mm_load_si128((const __m128i *)&K[4 * j]));
			cdgh = _mm_sha256rnds2_epu32(cdgh, abef, wk); // rounds 4j, 4j+1
			wk = _mm_shuffle_epi32(wk, 0x0e);              // lanes 2, 3 down
			abef = _mm_sha256rnds2_epu32(abef, cdgh, wk); // rounds 4j+2, 4j+3
		}
		abef = _mm_add_epi32(abef, abef0);
		cdgh = _mm_add_epi32(cdgh, cdgh0);
	}
	x = _mm_shuffle_epi32(_mm_unpackhi_epi64(cdgh, abef), 0x1b); // A B C D
	y = _mm_shuffle_epi32(_mm_unpacklo_epi64(cdgh, abef), 0x1b); // E F G H
	_mm_storeu_si128((__m128i *)&h[0], x);
	_mm_storeu_si128((__m128i *)&h[4], y);
}
#endif

bool sha256_impl_available(enum sha256_impl impl)
{
	switch (impl) {
	case SHA256_IMPL_AUTO:
	case SHA256_IMPL_PORTABLE:
		return true;
	case SHA256_IMPL_SHANI:
#if SHA256_HAVE_SHANI
	{
		// CPUID leaf 7 EBX bit 29 is SHA: clang (14) has no "sha" for
		// __builtin_cpu_supports, and the fuzz build is made with clang.
		unsigned a, b, c, d;
		return __get_cpuid_count(7, 0, &a, &b, &c, &d) && (b & (1u << 29)) &&
		       __builtin_cpu_supports("sse4.1") && __builtin_cpu_supports("ssse3");
	}
#else
		return false;
#endif
	}
	return false;
}

/** What sha256_init uses; read and written atomically (hashing runs on threads). */
static int chosen_impl = SHA256_IMPL_AUTO;

bool sha256_set_impl(enum sha256_impl impl)
{
	if (!sha256_impl_available(impl))
		return false;
	__atomic_store_n(&chosen_impl, (int)impl, __ATOMIC_RELAXED);
	return true;
}

/** AUTO as the fastest available; an unavailable IMPL as PORTABLE. */
static enum sha256_impl resolve(enum sha256_impl impl)
{
	if (impl == SHA256_IMPL_AUTO)
		impl = SHA256_IMPL_SHANI;
	return sha256_impl_available(impl) ? impl : SHA256_IMPL_PORTABLE;
}

enum sha256_impl sha256_current_impl(void)
{
	return resolve((enum sha256_impl)__atomic_load_n(&chosen_impl, __ATOMIC_RELAXED));
}

void sha256_init(struct sha256_ctx *ctx)
{
	sha256_init_impl(ctx, sha256_current_impl());
}

void sha256_init_impl(struct sha256_ctx *ctx, enum sha256_impl impl)
{
	static const uint32_t iv[8] = {
		0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
		0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
	};
	memcpy(ctx->h, iv, sizeof(iv));
	ctx->blocks = sha256_blocks_portable;
#if SHA256_HAVE_SHANI
	if (resolve(impl) == SHA256_IMPL_SHANI)
		ctx->blocks = sha256_blocks_shani;
#endif
	ctx->length = 0;
	ctx->fill = 0;
}

void sha256_update(struct sha256_ctx *ctx, const void *data, size_t len)
{
	const uint8_t *p = data;
	ctx->length += len;
	if (ctx->fill) {
		size_t n = 64 - ctx->fill < len ? 64 - ctx->fill : len;
		memcpy(ctx->block + ctx->fill, p, n);
		ctx->fill += n;
		p += n;
		len -= n;
		if (ctx->fill < 64)
			return;
		ctx->blocks(ctx->h, ctx->block, 1);
		ctx->fill = 0;
	}
	if (len >= 64) {
		size_t n = len / 64;
		ctx->blocks(ctx->h, p, n);
		p += 64 * n;
		len -= 64 * n;
	}
	memcpy(ctx->block, p, len);
	ctx->fill = len;
}

void sha256_final(struct sha256_ctx *ctx, uint8_t digest[32])
{
	uint64_t bits = ctx->length * 8;
	uint8_t pad[72] = {0x80};
	// Pad to 56 mod 64, then append the bit length big-endian.
	size_t padlen = ctx->fill < 56 ? 56 - ctx->fill : 120 - ctx->fill;
	for (int i = 0; i < 8; i++)
		pad[padlen + i] = (uint8_t)(bits >> (56 - 8 * i));
	uint64_t saved = ctx->length;
	sha256_update(ctx, pad, padlen + 8);
	ctx->length = saved;
	for (int i = 0; i < 8; i++) {
		digest[4 * i] = (uint8_t)(ctx->h[i] >> 24);
		digest[4 * i + 1] = (uint8_t)(ctx->h[i] >> 16);
		digest[4 * i + 2] = (uint8_t)(ctx->h[i] >> 8);
		digest[4 * i + 3] = (uint8_t)ctx->h[i];
	}
}

void sha256_final_hex(struct sha256_ctx *ctx, char hex[65])
{
	static const char digits[] = "0123456789abcdef";
	uint8_t d[32];
	sha256_final(ctx, d);
	for (int i = 0; i < 32; i++) {
		hex[2 * i] = digits[d[i] >> 4];
		hex[2 * i + 1] = digits[d[i] & 15];
	}
	hex[64] = '\0';
}
