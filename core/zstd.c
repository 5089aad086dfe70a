// SPDX-License-Identifier: Apache-2.0
// zstd.c: decompress a core once, keeping (span.c) and fingerprinting only its non-zero pages.
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <zstd.h>

#include "core/internal.h"
#ifdef GOCORONER_TESTING
#include "core/testing.h"

uint64_t core_zstd_test_max;
uint64_t core_zstd_test_mem;
uint64_t core_zstd_test_pages, core_zstd_test_stored, core_zstd_test_sparse;
#endif

/* The most bytes a .zst core may decompress to, and the error past it. */
static uint64_t max_output(void)
{
#ifdef GOCORONER_TESTING
	if (core_zstd_test_max)
		return core_zstd_test_max;
#endif
	return CORE_MAX_ZSTD_OUTPUT;
}

/* The error for a stream past max_output: DECLARED by its frame header, or
 * 0 when found while decompressing. */
static struct util_error *too_big(const char *path, uint64_t declared)
{
	uint64_t max = max_output();
	char limit[48];
	snprintf(limit, sizeof(limit), "%" PRIu64 " %s", max >= (1u << 30) ? max >> 30 : max >> 20,
		 max >= (1u << 30) ? "GiB" : "MiB");
	if (declared)
		return util_error_create(UTIL_ERROR_BAD_DATA,
					 "%s: its zstd frame declares %" PRIu64 " bytes, beyond the %s"
					 " a core may have: not a core (a zstd bomb?)", path, declared, limit);
	return util_error_create(UTIL_ERROR_BAD_DATA,
				 "%s: decompresses beyond %s, more than a core may have: not a core"
				 " (a zstd bomb?)", path, limit);
}

enum {
	IN_CHUNK = 1 << 20,
	OUT_PAGES = 256, /**< decompress into 1 MiB, a whole number of pages */
	/**
	 * Sets of the cache a kept page is made whole in (4 MiB): a miss
	 * costs a copy of at most a page, not a read as for a raw core.
	 */
	ZSTD_CACHE_SETS = 256,
};

/*
 * The most bytes of non-zero pages a .zst core may keep in memory: three
 * quarters of the machine's. A core that needs more would end in the
 * out-of-memory killer, with nothing said; decompressed to a file it is read
 * through the page cache instead.
 */
static uint64_t max_stored(void)
{
#ifdef GOCORONER_TESTING
	if (core_zstd_test_mem)
		return core_zstd_test_mem;
#endif
	long pages = sysconf(_SC_PHYS_PAGES), size = sysconf(_SC_PAGESIZE);
	if (pages <= 0 || size <= 0)
		return UINT64_MAX;
	return (uint64_t)pages / 4 * 3 * (uint64_t)size;
}

/*
 * Room for BYTES (a multiple of 8, at most a page and its header) in the
 * store. The pages of a big core are hundreds of MiB, each first touched as
 * it is stored: in chunks asked for in 2 MiB pages (transparent huge pages,
 * "madvise" mode), the kernel is entered once per 512 pages instead of once
 * per page, which on a virtual machine was much of a compressed core's extra
 * time (bench/README.md). A span never straddles two chunks.
 */
static uint8_t *span_alloc(struct core_page_store *ps, size_t bytes)
{
	if (!ps->nchunks || CORE_PAGE_CHUNK - ps->used < bytes) {
		if (ps->nchunks == ps->cap) {
			size_t cap = ps->cap ? 2 * ps->cap : 16;
			uint8_t **v = realloc(ps->chunks, cap * sizeof(*v));
			if (!v)
				return NULL;
			ps->chunks = v;
			ps->cap = cap;
		}
		void *p = util_map_anon(CORE_PAGE_CHUNK, true);
		if (!p)
			return NULL;
		ps->chunks[ps->nchunks++] = p;
		ps->used = 0;
	}
	uint8_t *at = ps->chunks[ps->nchunks - 1] + ps->used;
	ps->used += bytes;
	ps->bytes += bytes;
	return at;
}

/*
 * Keep decompressed page PAGENO at P unless it is zero: CORE_PAGE_SIZE bytes,
 * those past the end of a short last page zero.
 */
static struct util_error *store_page(struct core_file *core, uint64_t max_bytes,
				     uint64_t pageno, const uint8_t *p)
{
	if (core_page_is_zero(p, CORE_PAGE_SIZE))
		return NULL;
	struct core_span hdr;
	size_t bytes = core_span_plan(p, &hdr);
	if (core->page_store.bytes + bytes > max_bytes)
		return util_error_create(UTIL_ERROR_BUDGET,
					 "%s: its non-zero pages need more than the %" PRIu64
					 " MiB of memory a compressed core may use here (3/4 of this"
					 " machine's): decompress it ('zstd -d --sparse') and analyze"
					 " the raw core", core->path, max_bytes >> 20);
	uint8_t *at = span_alloc(&core->page_store, bytes);
	if (!at)
		return &util_enomem;
	core_span_encode(p, &hdr, at);
	const struct core_span *span = (const struct core_span *)at;
#ifdef GOCORONER_TESTING
	core_zstd_test_sparse += hdr.nz != 0;
#endif
	struct util_error *err = core_fp_stream_add(core, pageno, span);
	return err ? err : util_u64map_put(&core->pages, pageno, (uint64_t)(uintptr_t)span);
}

struct util_error *core_zstd_load(struct core_file *core, int fd)
{
	const char *path = core->path;
	struct util_error *err = NULL;
	uint64_t max_bytes = max_stored();
#ifdef GOCORONER_TESTING
	core_zstd_test_sparse = 0;
#endif
	ZSTD_DStream *ds = ZSTD_createDStream();
	uint8_t *inbuf = malloc(IN_CHUNK);
	uint8_t *outbuf = malloc(OUT_PAGES * CORE_PAGE_SIZE);
	if (!ds || !inbuf || !outbuf) {
		err = &util_enomem;
		goto out;
	}
	// Accept the largest window the format allows (zstd --long=31): the
	// window costs memory only when a frame asks for it.
	ZSTD_DCtx_setParameter(ds, ZSTD_d_windowLogMax, 31);

	uint64_t in_off = 0;      // compressed bytes read
	uint64_t total = 0;       // decompressed bytes flushed to pages
	size_t last_ret = 0;      // 0 when the last frame was complete
	bool checked_magic = false;
	ZSTD_outBuffer out = {outbuf, OUT_PAGES * CORE_PAGE_SIZE, 0};
	// Bounded by the input: every iteration consumes input or flushes output.
	for (;;) {
		ssize_t n = CORE_READ(fd, inbuf, IN_CHUNK);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			// Where in the file: a bad sector is found by its offset.
			int e = errno;
			char what[64];
			snprintf(what, sizeof(what), "read error at offset %" PRIu64, in_off);
			err = util_error_os(e, path, what);
			goto out;
		}
		if (n == 0)
			break;
		in_off += (uint64_t)n;
		// A frame that says how big it is: refused at once when too big.
		unsigned long long declared = ZSTD_getFrameContentSize(inbuf, (size_t)n);
		bool sized = declared != ZSTD_CONTENTSIZE_UNKNOWN &&
			     declared != ZSTD_CONTENTSIZE_ERROR;
		if (!checked_magic && sized && declared > max_output()) {
			err = too_big(path, declared);
			goto out;
		}
		if (in_off == (uint64_t)n) // the first read: the hash can start at once when sized
			core_fp_stream_begin(core, sized ? declared : 0);
		ZSTD_inBuffer in = {inbuf, (size_t)n, 0};
		// Call again while the output fills up: the decoder may hold more
		// than one buffer's worth; stop once the input is consumed.
		for (;;) {
			size_t ret = ZSTD_decompressStream(ds, &out, &in);
			if (ZSTD_isError(ret)) {
				err = util_error_create(UTIL_ERROR_BAD_DATA,
							"%s: corrupt zstd stream at byte %" PRIu64
							" of the output: %s",
							path, total + out.pos, ZSTD_getErrorName(ret));
				goto out;
			}
			last_ret = ret;
			if (!checked_magic && total + out.pos >= 4) {
				if (memcmp(outbuf, "\177ELF", 4) != 0) {
					err = util_error_create(UTIL_ERROR_BAD_DATA,
								"%s: not an ELF file (zstd-compressed)",
								path);
					goto out;
				}
				checked_magic = true;
			}
			if (out.pos == out.size) {
				for (size_t i = 0; i < OUT_PAGES; i++) {
					err = store_page(core, max_bytes, total / CORE_PAGE_SIZE + i,
							 outbuf + i * CORE_PAGE_SIZE);
					if (err)
						goto out;
				}
				core_fp_stream_publish(core);
				total += out.size;
				out.pos = 0;
				if (total > max_output()) {
					err = too_big(path, 0);
					goto out;
				}
				continue;
			}
			if (in.pos == in.size)
				break;
		}
	}
	if (last_ret != 0) {
		err = util_error_create(UTIL_ERROR_BAD_DATA,
					"%s: truncated zstd stream (ends inside a frame)", path);
		goto out;
	}
	// The last pages: a short one's tail is zero.
	memset(outbuf + out.pos, 0, out.size - out.pos);
	for (size_t off = 0; off < out.pos; off += CORE_PAGE_SIZE) {
		err = store_page(core, max_bytes, (total + off) / CORE_PAGE_SIZE, outbuf + off);
		if (err)
			goto out;
	}
	total += out.pos;
	if (total == 0) {
		err = util_error_create(UTIL_ERROR_BAD_DATA,
					"%s: empty file (zstd stream decompresses to nothing)", path);
		goto out;
	}
	core->file_size = total;
#ifdef GOCORONER_TESTING
	core_zstd_test_pages = core->pages.count;
	core_zstd_test_stored = core->page_store.bytes;
#endif
	// Where a kept page is made whole to be read (core_span_fill).
	core_cache_init(&core->cache, ZSTD_CACHE_SETS);
	if (!core->cache.pages) {
		err = &util_enomem;
		goto out;
	}
	// Hashed on a thread, by now or while the core is analyzed (core_sha256 waits).
	core_fp_stream_end(core, total);
out:
	if (err)
		core_fp_thread_stop(core);
	ZSTD_freeDStream(ds);
	free(inbuf);
	free(outbuf);
	return err;
}
