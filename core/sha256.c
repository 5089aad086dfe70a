// sha256.c: SHA-256 written from FIPS 180-4, used for core file identity.
#include <string.h>

#include "core/sha256.h"

static const uint32_t K[64] = {
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

void sha256_init(struct sha256_ctx *ctx)
{
	static const uint32_t iv[8] = {
		0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
		0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
	};
	memcpy(ctx->h, iv, sizeof(iv));
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
		sha256_block(ctx->h, ctx->block);
		ctx->fill = 0;
	}
	for (; len >= 64; p += 64, len -= 64)
		sha256_block(ctx->h, p);
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
