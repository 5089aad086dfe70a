// SPDX-License-Identifier: Apache-2.0
// cache.c: the bytes of the (decompressed) core file, page by page: a raw
// core's bounded page cache read with pread, a decompressed core's store of
// non-zero pages.
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "core/internal.h"
#ifdef GOCORONER_TESTING
#include "core/testing.h"
#endif

/** What absent pages of a decompressed core hold. */
static const uint8_t zero_page[CORE_PAGE_SIZE];

bool core_page_is_zero(const uint8_t *p, size_t len)
{
	return memcmp(p, zero_page, len) == 0;
}

/* ---- The page cache of a raw core (struct core_page_cache) ------------- */

#ifdef GOCORONER_TESTING
size_t core_cache_test_sets;
int (*core_read_fault_hook)(void);

ssize_t core_test_read(int fd, void *buf, size_t len, off_t off)
{
	int err = core_read_fault_hook ? core_read_fault_hook() : 0;
	if (err) {
		errno = err;
		return -1;
	}
	return off < 0 ? read(fd, buf, len) : pread(fd, buf, len, off);
}
#endif

/* Without memory for it, a raw core is read through its mapping. */
void core_cache_init(struct core_page_cache *c, size_t nsets)
{
#ifdef GOCORONER_TESTING
	if (core_cache_test_sets)
		nsets = core_cache_test_sets;
#endif
	size_t slots = nsets * CORE_CACHE_WAYS;
	// A page counts in memory once a read fills it, in 2 MiB faults.
	void *p = util_map_anon(slots * CORE_PAGE_SIZE, true);
	c->tags = calloc(slots, sizeof(*c->tags));
	c->turn = calloc(nsets, sizeof(*c->turn));
	if (!p || !c->tags || !c->turn) {
		if (p)
			munmap(p, slots * CORE_PAGE_SIZE);
		free(c->tags);
		free(c->turn);
		*c = (struct core_page_cache){0};
		return;
	}
	c->pages = p;
	c->nsets = nsets;
}

void core_drop_page_cache(struct core_file *core)
{
	struct core_page_cache *c = &core->cache;
	if (!c->pages)
		return;
	size_t slots = c->nsets * CORE_CACHE_WAYS;
	// Nothing may point into the pages once they are gone: the windows, the
	// last page looked up, and every slot's tag.
	memset(&core->fast, 0, sizeof(core->fast));
	memset(&core->win, 0, sizeof(core->win));
	core->cached_pageno = ~(uint64_t)0;
	memset(c->tags, 0, slots * sizeof(*c->tags));
	memset(c->turn, 0, c->nsets * sizeof(*c->turn));
	// Private and anonymous: given back now, zeros when next touched.
	madvise(c->pages, slots * CORE_PAGE_SIZE, MADV_DONTNEED);
}

void core_cache_deinit(struct core_page_cache *c)
{
	if (c->pages)
		munmap(c->pages, c->nsets * CORE_CACHE_WAYS * CORE_PAGE_SIZE);
	free(c->tags);
	free(c->turn);
}

/*
 * Bytes [OFF, OFF+LEN) of a raw core, which lie within the file: read, or if
 * the descriptor cannot read (EBADF: the tests swap it for a write-only one),
 * copied from the mapping. A read the file itself fails (EIO: a bad sector,
 * which the mapping would turn into a SIGBUS) gives zeros and is kept for
 * core_read_error, which refuses the analysis.
 */
void core_file_copy(struct core_file *core, uint64_t off, uint8_t *buf, size_t len)
{
	size_t got = 0;
	while (got < len) {
		ssize_t n = CORE_PREAD(core->fd, buf + got, len - got, off + got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n == 0) {
			// The file shrank since core_open (where the mapping would
			// fault with SIGBUS): zeros, and the fingerprint, which checks
			// the size, refuses the core.
			memset(buf + got, 0, len - got);
			return;
		}
		if (n < 0 && errno != EBADF) {
			if (!core->read_fail.errnum)
				core->read_fail = (struct core_read_fail){errno, off + got};
			memset(buf + got, 0, len - got);
			return;
		}
		if (n < 0)
			break;
		got += (size_t)n;
	}
	if (got < len) {
		core->map_read = true; // core_release_pages has pages to drop
		memcpy(buf + got, core->map + off + got, len - got);
	}
}

/* Forget every pointer into PAGE, which is about to hold another page. */
static void cache_evict(struct core_file *core, const uint8_t *page)
{
	for (size_t i = 0; i < CORE_WINDOWS; i++) {
		struct core_window *w = &core->win[i];
		// A window of the page store covers its page only (set_window).
		if (w->data && (uintptr_t)(w->data + (w->end - w->start) - 1) >= (uintptr_t)page &&
		    (uintptr_t)w->data < (uintptr_t)page + CORE_PAGE_SIZE)
			*w = (struct core_window){0};
	}
	if (core->cached_page == page)
		core->cached_pageno = ~(uint64_t)0;
}

/*
 * Page PAGENO in the cache: SPAN's page made whole for a decompressed core,
 * else read from the raw core's file.
 */
static const uint8_t *cache_lookup(struct core_file *core, uint64_t pageno,
				   const struct core_span *span)
{
	struct core_page_cache *c = &core->cache;
	uint64_t h = pageno * 0x9e3779b97f4a7c15ULL;
	size_t set = (size_t)((h >> 32) % c->nsets), first = set * CORE_CACHE_WAYS;
	for (size_t w = 0; w < CORE_CACHE_WAYS; w++)
		if (c->tags[first + w] == pageno + 1)
			return c->pages + (first + w) * CORE_PAGE_SIZE;
	size_t slot = first + c->turn[set];
	c->turn[set] = (uint8_t)((c->turn[set] + 1) % CORE_CACHE_WAYS);
	uint8_t *page = c->pages + slot * CORE_PAGE_SIZE;
	if (c->tags[slot])
		cache_evict(core, page);
	c->tags[slot] = pageno + 1;
	if (span) {
		core_span_fill(span, page);
		return page;
	}
	uint64_t off = pageno * CORE_PAGE_SIZE;
	size_t len = off < core->file_size ? (size_t)(core->file_size - off) : 0;
	if (len > CORE_PAGE_SIZE)
		len = CORE_PAGE_SIZE;
	core_file_copy(core, off, page, len);
	memset(page + len, 0, CORE_PAGE_SIZE - len); // past the end of the file
	return page;
}

const uint8_t *core_page_lookup(struct core_file *core, uint64_t pageno)
{
	if (pageno == core->cached_pageno)
		return core->cached_page;
	const uint8_t *page = zero_page;
	if (core->fd >= 0) {
		// A raw core: read through its mapping when it has no cache.
		uint64_t off = pageno * CORE_PAGE_SIZE;
		if (core->cache.pages)
			page = cache_lookup(core, pageno, NULL);
		else if (off < core->file_size)
			page = core->map + off; // the last page's tail maps as zeros
	} else {
		// A decompressed core's page: whole, kept as it is; else made whole
		// in the cache (core_zstd_load made one).
		uint64_t v;
		if (util_u64map_get(&core->pages, pageno, &v)) {
			const struct core_span *span = (const struct core_span *)(uintptr_t)v;
			page = core_span_whole(span) ? core_span_bytes(span)
						     : cache_lookup(core, pageno, span);
		}
	}
	core->cached_pageno = pageno;
	core->cached_page = page;
	return page;
}

void core_file_read(struct core_file *core, uint64_t off, void *buf, size_t len)
{
	if (core->map && !core->cache.pages) {
		memcpy(buf, core->map + off, len);
		return;
	}
	uint8_t *out = buf;
	while (len) {
		size_t in = (size_t)(off % CORE_PAGE_SIZE);
		size_t n = CORE_PAGE_SIZE - in < len ? CORE_PAGE_SIZE - in : len;
		memcpy(out, core_page_lookup(core, off / CORE_PAGE_SIZE) + in, n);
		out += n;
		off += n;
		len -= n;
	}
}

