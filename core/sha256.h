// SPDX-License-Identifier: Apache-2.0
/* sha256.h: private to core/ — a streaming SHA-256 (FIPS 180-4) for hashing
 * core files without a crypto library dependency. */
#ifndef GOCORONER_CORE_SHA256_H
#define GOCORONER_CORE_SHA256_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/** Compression functions: the portable C one, or one using the x86 SHA extensions. */
enum sha256_impl {
	SHA256_IMPL_AUTO = 0,  /**< the fastest this CPU supports (the default) */
	SHA256_IMPL_PORTABLE,  /**< plain C, everywhere */
	SHA256_IMPL_SHANI,     /**< SHA-NI (sha256rnds2/msg1/msg2), if the CPU has it */
};

/** Running state of one SHA-256 computation. */
struct sha256_ctx {
	uint32_t h[8];        /**< chaining value */
	/** compression over N consecutive 64-byte blocks, fixed by sha256_init */
	void (*blocks)(uint32_t h[8], const uint8_t *p, size_t n);
	uint64_t length;      /**< bytes hashed so far */
	uint8_t block[64];    /**< pending partial block */
	size_t fill;          /**< bytes used in block */
};

/** True if IMPL can run on this CPU (AUTO and PORTABLE always can). */
bool sha256_impl_available(enum sha256_impl impl);
/**
 * Choose the implementation later sha256_init calls use, for the whole
 * process (AUTO by default). For tests and benchmarks: forcing PORTABLE keeps
 * the C path exercised on SHA-NI machines. False, changing nothing, if IMPL
 * is not available. Contexts already initialised keep theirs.
 */
bool sha256_set_impl(enum sha256_impl impl);
/** The implementation sha256_init uses now, AUTO resolved. */
enum sha256_impl sha256_current_impl(void);

void sha256_init(struct sha256_ctx *ctx);
/** sha256_init with IMPL, ignoring sha256_set_impl; PORTABLE if IMPL is unavailable. */
void sha256_init_impl(struct sha256_ctx *ctx, enum sha256_impl impl);
void sha256_update(struct sha256_ctx *ctx, const void *data, size_t len);
/** Finish and write the 32-byte digest; ctx must be re-initialised to reuse. */
void sha256_final(struct sha256_ctx *ctx, uint8_t digest[32]);
/** Finish and write the digest as 64 lowercase hex digits plus NUL. */
void sha256_final_hex(struct sha256_ctx *ctx, char hex[65]);

#endif
