/* sha256.h: private to core/ — a streaming SHA-256 (FIPS 180-4) for hashing
 * core files without a crypto library dependency. */
#ifndef GOCORONER_CORE_SHA256_H
#define GOCORONER_CORE_SHA256_H

#include <stddef.h>
#include <stdint.h>

/** Running state of one SHA-256 computation. */
struct sha256_ctx {
	uint32_t h[8];        /**< chaining value */
	uint64_t length;      /**< bytes hashed so far */
	uint8_t block[64];    /**< pending partial block */
	size_t fill;          /**< bytes used in block */
};

void sha256_init(struct sha256_ctx *ctx);
void sha256_update(struct sha256_ctx *ctx, const void *data, size_t len);
/** Finish and write the 32-byte digest; ctx must be re-initialised to reuse. */
void sha256_final(struct sha256_ctx *ctx, uint8_t digest[32]);
/** Finish and write the digest as 64 lowercase hex digits plus NUL. */
void sha256_final_hex(struct sha256_ctx *ctx, char hex[65]);

#endif
