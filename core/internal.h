// SPDX-License-Identifier: Apache-2.0
/* internal.h: private to core/ — the core_file structure and the helpers its
 * files share (the file's bytes, the fingerprint, ELF and note parsing, the zstd loader). */
#ifndef GOCORONER_CORE_INTERNAL_H
#define GOCORONER_CORE_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "core/core.h"
#include "core/sha256.h"
#ifdef GOCORONER_TESTING
#include "core/testing.h"
#endif

/* Every read of a core file's bytes: in the test build, through the fault
 * hook (core_read_fault_hook), so that a test can fail any of them. */
#ifdef GOCORONER_TESTING
#define CORE_READ(fd, buf, len) core_test_read((fd), (buf), (len), -1)
#define CORE_PREAD(fd, buf, len, off) core_test_read((fd), (buf), (len), (off_t)(off))
#else
#define CORE_READ(fd, buf, len) read((fd), (buf), (len))
#define CORE_PREAD(fd, buf, len, off) pread((fd), (buf), (len), (off_t)(off))
#endif

#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "core/ reads little-endian x86-64 cores with plain loads; port le*() first"
#endif

/** Page of the core file: the unit of the page cache, the page store and the fingerprint. */
#define CORE_PAGE_SIZE 4096u

/** How many recent windows reads remember (readers alternate stack, heap, text). */
#define CORE_WINDOWS 4
/** Bytes of a decompressed core's page store asked for at once (a whole number of 2 MiB pages). */
#define CORE_PAGE_CHUNK ((size_t)32 << 20)

/**
 * Most bytes a compressed core may decompress to. The largest cores seen are
 * a few GiB of content in a few hundred GiB of address space; a stream
 * beyond this is a zstd bomb (a tiny file expanding without end), stopped
 * before it takes hours or all memory. The test build can lower it
 * (core_zstd_test_max, core/testing.h).
 */
#define CORE_MAX_ZSTD_OUTPUT ((uint64_t)1 << 40)

/** Upper bound on one PT_NOTE segment we are willing to load. */
#define CORE_MAX_NOTE_SEGMENT (256u << 20)

/**
 * A range of virtual memory backed by bytes: a PT_LOAD of the core, or an
 * executable's PT_LOAD in the overlay. Bytes exist for [start, file_end);
 * [file_end, end) is known to the core but its contents were not dumped.
 */
struct core_segment {
	uint64_t start;        /**< p_vaddr */
	uint64_t file_end;     /**< p_vaddr + p_filesz */
	uint64_t end;          /**< p_vaddr + p_memsz */
	uint64_t offset;       /**< file offset of start (core segments) */
	const uint8_t *data;   /**< bytes of start if directly addressable, else NULL */
};

/** The most recent readable range, so repeated nearby reads skip all searching. */
struct core_range {
	uint64_t start, end;   /**< [start, end) readable; empty when start == end */
	const uint8_t *data;   /**< bytes of start, or NULL to go through the file */
	uint64_t offset;       /**< file offset of start when data is NULL */
};

/**
 * Bytes of [start, end) at data: the whole of fast when its bytes are directly
 * addressable (the executable, or a raw core read through its mapping), else
 * one page of it from the page cache or the page store. The read fast path is
 * one range check and a memcpy from here.
 */
struct core_window {
	uint64_t start, end;
	const uint8_t *data;
};

/**
 * The pages of a raw core that reads went to, read with pread into a
 * bounded cache: CORE_CACHE_SETS sets of CORE_CACHE_WAYS pages, a page
 * number going to one set (a multiplicative hash), its ways replaced in turn.
 *
 * Not the mapping: a page of a mapped file is paid for once per mapping
 * (page tables, on a virtual machine a trap each), the kernel maps 16 pages
 * around each fault, and all of them count in the process's resident
 * memory; keeping that flat means dropping them (core_release_pages), and
 * every later pass then faults them in again. Read here, a page costs one
 * pread the first time, and memory stays at the cache's size. Measured
 * figures: bench/README.md.
 */
#define CORE_CACHE_WAYS 4
#define CORE_CACHE_SETS 1024u /* 16 MiB */
struct core_page_cache {
	size_t nsets;          /**< CORE_CACHE_SETS, or core_cache_test_sets (core/testing.h) */
	uint8_t *pages;        /**< nsets * CORE_CACHE_WAYS pages; NULL: no cache */
	uint64_t *tags;        /**< page number + 1 of each slot; 0: empty */
	uint8_t *turn;         /**< per set: the way to replace next */
};

/**
 * A non-zero page of a decompressed core as the page store keeps it, in one
 * of two forms (span.c), each right after this header, 8-byte aligned:
 * - a span (nz 0): the bytes [lo, lo + len) of the page, which hold all its
 *   non-zero ones; the rest of the page is zero. A whole page (lo 0, len
 *   CORE_PAGE_SIZE) is read in place.
 * - sparse (nz > 0): of the words of [lo, lo + len), a bitmap of the
 *   non-zero ones (word i at bit i % 64 of 64-bit word i / 64), then those
 *   nz words in order.
 * Most pages of a Go core are partly zero (a stack's unused top, a span's
 * free slots, nil pointers and small numbers between the pointers): kept
 * so, a big core's store is a half to a third of its non-zero pages, and
 * fewer fresh pages are touched (bench/README.md).
 */
struct core_span {
	uint16_t lo, len;
	uint16_t nz;
	uint16_t unused;
};

/** The bytes the span S keeps (nz 0), those of its page from S->lo. */
static inline const uint8_t *core_span_bytes(const struct core_span *s)
{
	return (const uint8_t *)(s + 1);
}

/** True if S is a whole page, which can be read in place (core_span_bytes). */
static inline bool core_span_whole(const struct core_span *s)
{
	return !s->nz && s->len == CORE_PAGE_SIZE;
}

/**
 * How the store keeps the non-zero page P: its header into *HDR; returns
 * the bytes it takes, header included (a multiple of 8).
 */
size_t core_span_plan(const uint8_t *p, struct core_span *hdr);

/** Write the page P as HDR (from core_span_plan) says into OUT, header and all. */
void core_span_encode(const uint8_t *p, const struct core_span *hdr, uint8_t *out);

/** Write the whole page S keeps (CORE_PAGE_SIZE bytes) into PAGE. */
void core_span_fill(const struct core_span *s, uint8_t *page);

/** A non-zero page of a decompressed core, in file order (core_zstd_load). */
struct core_stored_page {
	uint64_t pageno;
	const struct core_span *span;
};

/** A read of the core file that failed: where, and the errno (0: none). */
struct core_read_fail {
	int errnum;
	uint64_t off;
};

/**
 * The fingerprint (core_sha256), computed on a thread so it overlaps
 * whatever the caller does next: a raw core's from the file, started by
 * core_open; a decompressed core's from its stored pages, started by
 * core_zstd_load. The thread reads fd (with pread), size and the pages,
 * which stay fixed while it runs, and writes only ok, fail and hex, which
 * the owner reads after joining it. The one lock is a streaming job's
 * (below); none is in core_read.
 */
struct core_fp_job {
	pthread_t thread;
	bool running;          /**< started and not joined yet */
	int cancel;            /**< nonzero (set atomically): stop at the next chunk */
	int fd;                /**< the raw core's; -1 for a decompressed one */
	/** A decompressed core's pages (util_grow_mapped, CAP of them; owned), else NULL. */
	struct core_stored_page *pages;
	size_t npages, cap;
	uint64_t size;
	bool ok;               /**< after the join: hex holds the fingerprint */
	struct core_read_fail fail; /**< the read that stopped it, if one did */
	char hex[65];
	/*
	 * A decompressed core hashed while it is decompressed (core_fp_stream_*):
	 * the thread hashes pages[0..published) as they are published; pages
	 * does not move meanwhile (no more than limit pages, all room made first).
	 */
	bool streaming;
	size_t limit;          /**< pages the declared size has: past them, streaming stops */
	pthread_mutex_t lock;  /**< guards published and closed while streaming */
	pthread_cond_t more;   /**< signalled when either changes, or cancel is set */
	size_t published;
	bool closed;           /**< no page will come after pages[published - 1] */
};

struct core_file {
	char *path;                     /**< as given to core_open */
	struct core_info info;
	struct util_arena arena;        /**< segments, threads, mappings */
	struct util_strtab strings;     /**< fname, psargs, mapping paths */
	uint64_t src_size;              /**< size of the file given, at core_open */
	struct timespec src_mtim;       /**< its modification time then */

	// Where the (decompressed) core bytes live: a raw file, read with pread
	// through the page cache, or a sparse store of non-zero pages (absent
	// pages inside file_size are zero).
	int fd;                         /**< raw core, for pread and the fingerprint; -1 */
	/** Raw core mapping, NULL when compressed: read without a cache, when a
	 *  pread fails, and to keep the core (core_zstd_image). */
	const uint8_t *map;
	bool map_read;                  /**< a read with a page cache went to map (a failed pread) */
	uint64_t file_size;             /**< bytes of the (decompressed) core */
	struct util_u64map pages;       /**< page number → its struct core_span (zstd) */
	/** Pages of a raw core, read with pread; of a decompressed one, its kept pages made whole. */
	struct core_page_cache cache;
	struct core_page_store {        /**< the stored pages (zstd): chunks asked for in huge pages */
		uint8_t **chunks;
		size_t nchunks, cap;
		size_t used;            /**< bytes used of the last chunk */
		uint64_t bytes;         /**< bytes kept, headers included */
	} page_store;
	uint64_t cached_pageno;         /**< last page core_page_lookup found, ~0 if none */
	const uint8_t *cached_page;

	struct core_segment *segs;      /**< PT_LOADs with memsz > 0, sorted by start */
	size_t nsegs;
	struct core_segment *overlay;   /**< executable PT_LOADs, sorted by start */
	size_t noverlay;
	struct core_range fast;         /**< last range a read was served from */
	/** Recently used windows, most recent first; win[0] is the fast path. */
	struct core_window win[CORE_WINDOWS];
	/** Bytes core_pin lent for reads of [start, end); empty when end == start. */
	struct core_window pin;

	struct core_thread *threads;
	size_t nthreads;
	struct core_mapping *mappings;
	size_t nmappings;
	const char *exe_path;           /**< interned, or NULL */

	bool have_sha256;
	char sha256[65];
	struct core_fp_job fp;          /**< the background fingerprint */
	/** The first read of the raw core that failed (core_read_error); what
	 *  it should have read was taken as zeros. */
	struct core_read_fail read_fail;

	// Attached executable.
	uint8_t *exe_map;
	size_t exe_size;
	const char *exe_build_id;       /**< interned; "" when none could be read */
	uint64_t exe_bias;              /**< load minus link address of the attached executable */
};

static inline uint16_t core_le16(const uint8_t *p)
{
	uint16_t v;
	memcpy(&v, p, sizeof(v));
	return v;
}

static inline uint32_t core_le32(const uint8_t *p)
{
	uint32_t v;
	memcpy(&v, p, sizeof(v));
	return v;
}

static inline uint64_t core_le64(const uint8_t *p)
{
	uint64_t v;
	memcpy(&v, p, sizeof(v));
	return v;
}

/* cache.c: the bytes of the (decompressed) core file. */

/**
 * Set up the page cache of NSETS sets (CORE_CACHE_SETS for a raw core); left
 * empty (pages NULL) if it cannot be had.
 */
void core_cache_init(struct core_page_cache *c, size_t nsets);
/** Free the page cache; accepts an empty one. */
void core_cache_deinit(struct core_page_cache *c);

/** Copy [off, off+len) of the (decompressed) core file; the caller checked bounds. */
void core_file_read(struct core_file *core, uint64_t off, void *buf, size_t len);

/**
 * Copy [OFF, OFF+LEN) of a raw core, which lie within the file, with pread,
 * bypassing the page cache.
 */
void core_file_copy(struct core_file *core, uint64_t off, uint8_t *buf, size_t len);

/** The CORE_PAGE_SIZE bytes of page PAGENO of the (decompressed) core file. */
const uint8_t *core_page_lookup(struct core_file *core, uint64_t pageno);

/** True if the LEN bytes at P (at most CORE_PAGE_SIZE) are all zero. */
bool core_page_is_zero(const uint8_t *p, size_t len);

/* fingerprint.c: core_sha256. */

/** Start the fingerprint of a core image of SIZE bytes (see core_sha256). */
void core_fingerprint_init(struct sha256_ctx *ctx, uint64_t size);

/**
 * Add the non-zero page at file offset OFF (a multiple of CORE_PAGE_SIZE) to
 * the fingerprint: LEN bytes, CORE_PAGE_SIZE except for a short last page.
 * Pages must come in increasing order of offset.
 */
void core_fingerprint_page(struct sha256_ctx *ctx, uint64_t off, const uint8_t *p, size_t len);
/** Add a stored page, as core_fingerprint_page would add the whole LEN bytes of it. */
void core_fingerprint_span(struct sha256_ctx *ctx, uint64_t off, const struct core_span *s,
			   size_t len);

/** Start fingerprinting the raw core in the background; on failure, core_sha256 will. */
void core_fp_thread_start(struct core_file *core);
/*
 * A decompressed core's fingerprint, fed page by page as core_zstd_load
 * keeps them: begin with the size the stream declares (0: not declared),
 * add the non-zero pages in file order, publish after each batch, end with
 * the size the stream had. See fingerprint.c for when the hash runs.
 */
void core_fp_stream_begin(struct core_file *core, uint64_t declared);
struct util_error *core_fp_stream_add(struct core_file *core, uint64_t pageno,
				      const struct core_span *span);
void core_fp_stream_publish(struct core_file *core);
void core_fp_stream_end(struct core_file *core, uint64_t size);
/** Make the background fingerprint stop early and wait for it, and free its pages. */
void core_fp_thread_stop(struct core_file *core);

/* zstd.c */

/**
 * Decompress the zstd stream on FD into the sparse page store and compute the
 * core's fingerprint (core_sha256) from the pages kept.
 */
struct util_error *core_zstd_load(struct core_file *core, int fd);

/* elfcore.c, notes.c */

/** Parse the ELF header and program headers; fill segs, kind, then the notes. */
struct util_error *core_elf_parse(struct core_file *core);

/**
 * Parse one PT_NOTE segment (index PHIDX) already copied to BUF. With COUNT_ONLY
 * only validate and count threads and mappings into *nthreads / *nmappings;
 * otherwise fill core->threads/mappings from those counters.
 */
struct util_error *core_notes_parse(struct core_file *core, const uint8_t *buf, size_t len,
				    size_t align, size_t phidx, bool count_only,
				    size_t *nthreads, size_t *nmappings);

/** One note inside a note buffer. */
struct core_note {
	uint32_t type;
	const char *name;      /**< not NUL-terminated: namesz bytes */
	uint32_t namesz;
	const uint8_t *desc;
	uint32_t descsz;
};

/**
 * Step to the next note of BUF at *POS (ALIGN 4 or 8). Returns 1 with *NOTE
 * filled, 0 at the end, -1 if the note's lengths run past the buffer.
 */
int core_note_next(const uint8_t *buf, size_t len, size_t align, size_t *pos,
		   struct core_note *note);

/** True if NOTE's name is NAME followed by nothing but NULs (or by nothing). */
bool core_note_name_is(const struct core_note *note, const char *name);

/** Choose core_exe_path from AT_ENTRY, AT_PHDR, then the first offset-0 mapping. */
void core_find_exe_path(struct core_file *core);

/* memory.c */

/** Forget cached ranges (after the overlay changes). */
void core_reset_cache(struct core_file *core);

/** Read memory like core_read but ignoring the executable overlay. */
struct util_error *core_read_no_overlay(struct core_file *core, uint64_t addr, void *buf,
					size_t len);

#endif
