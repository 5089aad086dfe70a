// core.c: opening and closing a core, its accessors, and the faulting memory reader.
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/internal.h"

#define ZSTD_FRAME_MAGIC 0xFD2FB528u
#define ZSTD_SKIPPABLE_MAGIC 0x184D2A50u /* low 4 bits vary */

/** What absent pages of a decompressed core hold. */
static const uint8_t zero_page[CORE_PAGE_SIZE];

static struct core_file *core_alloc(const char *path)
{
	struct core_file *core = calloc(1, sizeof(*core));
	if (!core)
		return NULL;
	core->path = strdup(path);
	if (!core->path) {
		free(core);
		return NULL;
	}
	core->fd = -1;
	core->cached_pageno = ~(uint64_t)0;
	core->exe_build_id = "";
	util_arena_init(&core->arena);
	util_arena_init(&core->page_arena);
	util_strtab_init(&core->strings);
	util_u64map_init(&core->pages);
	return core;
}

static void fp_thread_stop(struct core_file *core);
static void fp_thread_start(struct core_file *core);
static void cache_init(struct core_page_cache *c);

void core_destroy(struct core_file *core)
{
	if (!core)
		return;
	fp_thread_stop(core);
	if (core->map)
		munmap((void *)core->map, core->file_size);
	if (core->fd >= 0)
		close(core->fd);
	if (core->exe_map)
		munmap(core->exe_map, core->exe_size);
	if (core->cache.pages)
		munmap(core->cache.pages, core->cache.nsets * CORE_CACHE_WAYS * CORE_PAGE_SIZE);
	free(core->cache.tags);
	free(core->cache.turn);
	util_u64map_deinit(&core->pages);
	util_arena_deinit(&core->page_arena);
	util_arena_deinit(&core->arena);
	util_strtab_deinit(&core->strings);
	free(core->path);
	free(core);
}

static bool is_zstd_magic(const uint8_t *m)
{
	uint32_t v = core_le32(m);
	return v == ZSTD_FRAME_MAGIC || (v & ~0xFu) == ZSTD_SKIPPABLE_MAGIC;
}

struct util_error *core_open(const char *path, struct core_file **ret)
{
	struct util_error *err = NULL;
	struct core_file *core = core_alloc(path);
	if (!core)
		return &util_enomem;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		err = util_error_os(errno, path, "cannot open core");
		goto fail;
	}
	struct stat st;
	if (fstat(fd, &st) < 0) {
		err = util_error_os(errno, path, "fstat");
		close(fd);
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		err = util_error_create(UTIL_ERROR_INVALID, "%s: not a regular file", path);
		close(fd);
		goto fail;
	}
	if (st.st_size == 0) {
		err = util_error_create(UTIL_ERROR_BAD_DATA, "%s: empty file", path);
		close(fd);
		goto fail;
	}
	uint8_t magic[4] = {0};
	ssize_t n = pread(fd, magic, sizeof(magic), 0);
	if (n < 0) {
		err = util_error_os(errno, path, "read");
		close(fd);
		goto fail;
	}
	if (n == (ssize_t)sizeof(magic) && is_zstd_magic(magic)) {
		core->info.compressed = true;
		err = core_zstd_load(core, fd);
		close(fd);
		if (err)
			goto fail;
	} else {
		void *map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
		if (map == MAP_FAILED) {
			err = util_error_os(errno, path, "mmap");
			close(fd);
			goto fail;
		}
		core->fd = fd;
		core->map = map;
		core->file_size = (uint64_t)st.st_size;
		cache_init(&core->cache);
	}
	core->info.file_size = core->file_size;
	core->info.mtime = (int64_t)st.st_mtime;
	core->src_size = (uint64_t)st.st_size;
	core->src_mtim = st.st_mtim;
	err = core_elf_parse(core);
	if (err)
		goto fail;
	if (core->fd >= 0)
		fp_thread_start(core);
	*ret = core;
	return NULL;
fail:
	core_destroy(core);
	return err;
}

const char *core_path(const struct core_file *core)
{
	return core->path;
}

const struct core_info *core_info(const struct core_file *core)
{
	return &core->info;
}

/* ---- Fingerprint (core_sha256) ---------------------------------------- */

bool core_page_is_zero(const uint8_t *p, size_t len)
{
	return memcmp(p, zero_page, len) == 0;
}

static void put_le64(struct sha256_ctx *ctx, uint64_t v)
{
	uint8_t b[8];
	for (int i = 0; i < 8; i++)
		b[i] = (uint8_t)(v >> (8 * i));
	sha256_update(ctx, b, sizeof(b));
}

void core_fingerprint_init(struct sha256_ctx *ctx, uint64_t size)
{
	sha256_init(ctx);
	put_le64(ctx, size);
}

void core_fingerprint_page(struct sha256_ctx *ctx, uint64_t off, const uint8_t *p, size_t len)
{
	put_le64(ctx, off);
	sha256_update(ctx, p, len);
}

/** Read through this much at a time: a whole number of pages that stays in L2. */
enum { FP_CHUNK = 64 * CORE_PAGE_SIZE };

/** Add the non-zero pages of [start, end) of the raw core; START is page-aligned. */
static bool fingerprint_extent(int fd, struct sha256_ctx *ctx, uint8_t *buf, uint64_t start,
			       uint64_t end, const int *cancel)
{
	while (start < end) {
		if (__atomic_load_n(cancel, __ATOMIC_RELAXED))
			return false;
		size_t want = end - start < FP_CHUNK ? (size_t)(end - start) : FP_CHUNK;
		for (size_t got = 0; got < want;) {
			ssize_t n = pread(fd, buf + got, want - got, (off_t)(start + got));
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				return false;
			got += (size_t)n;
		}
		for (size_t off = 0; off < want; off += CORE_PAGE_SIZE) {
			size_t len = want - off < CORE_PAGE_SIZE ? want - off : CORE_PAGE_SIZE;
			if (!core_page_is_zero(buf + off, len))
				core_fingerprint_page(ctx, start + off, buf + off, len);
		}
		start += want;
	}
	return true;
}

/**
 * The fingerprint of the raw core of SIZE bytes on FD into HEX; false if FD
 * cannot be read, has another size, or *CANCEL became nonzero.
 */
static bool fingerprint_raw(int fd, uint64_t size, const int *cancel, char hex[65])
{
	struct stat st;
	if (fstat(fd, &st) < 0 || (uint64_t)st.st_size != size)
		return false;
	// Through a small buffer, not the mapping, so RSS stays small.
	uint8_t *buf = malloc(FP_CHUNK);
	if (!buf)
		return false;
	struct sha256_ctx ctx;
	core_fingerprint_init(&ctx, size);
	// Visit only data extents: holes read as zeros, so they add nothing. An
	// extent need not be page-aligned (small filesystem blocks): widen it to
	// whole pages, never revisiting one. Without SEEK_DATA, all is data.
	uint64_t next = 0;
	while (next < size) {
		uint64_t data, hole;
		off_t d = lseek(fd, (off_t)next, SEEK_DATA);
		if (d < 0 && errno == ENXIO)
			break; // nothing but a hole up to the end
		if (d < 0) {
			data = next;
			hole = size;
		} else {
			data = (uint64_t)d;
			off_t h = lseek(fd, d, SEEK_HOLE);
			hole = h < 0 ? size : (uint64_t)h;
		}
		if (data >= size)
			break;
		if (hole > size)
			hole = size;
		uint64_t start = data / CORE_PAGE_SIZE * CORE_PAGE_SIZE;
		uint64_t end = (hole + CORE_PAGE_SIZE - 1) / CORE_PAGE_SIZE * CORE_PAGE_SIZE;
		if (start < next)
			start = next;
		if (end <= start) // a confused filesystem: still make progress
			end = start + CORE_PAGE_SIZE;
		if (end > size)
			end = size;
		if (!fingerprint_extent(fd, &ctx, buf, start, end, cancel)) {
			free(buf);
			return false;
		}
		next = end;
	}
	free(buf);
	sha256_final_hex(&ctx, hex);
	return true;
}

void (*core_fp_thread_hook)(int fd);

static void *fp_thread_main(void *arg)
{
	struct core_fp_job *job = arg;
	if (core_fp_thread_hook)
		core_fp_thread_hook(job->fd);
	job->ok = fingerprint_raw(job->fd, job->size, &job->cancel, job->hex);
	return NULL;
}

/** Start fingerprinting the raw core in the background; on failure, core_sha256 will. */
static void fp_thread_start(struct core_file *core)
{
	struct core_fp_job *job = &core->fp;
	job->fd = core->fd;
	job->size = core->file_size;
	job->cancel = 0;
	job->ok = false;
	// Signals are for the caller's threads: the new one inherits a full mask.
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	job->running = pthread_create(&job->thread, NULL, fp_thread_main, job) == 0;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
}

/** Wait for the background fingerprint, if any; true if it produced one. */
static bool fp_thread_join(struct core_file *core)
{
	struct core_fp_job *job = &core->fp;
	if (!job->running)
		return false;
	pthread_join(job->thread, NULL);
	job->running = false;
	return job->ok;
}

/** Make the background fingerprint stop early and wait for it. */
static void fp_thread_stop(struct core_file *core)
{
	if (!core->fp.running)
		return;
	__atomic_store_n(&core->fp.cancel, 1, __ATOMIC_RELAXED);
	fp_thread_join(core);
}

const char *core_sha256(struct core_file *core)
{
	if (core->have_sha256)
		return core->sha256;
	if (core->fd < 0)
		return NULL;
	if (core->fp.running) {
		// The thread's answer, good or bad; a later call starts afresh.
		if (!fp_thread_join(core))
			return NULL;
		struct stat st;
		if (fstat(core->fd, &st) < 0 || (uint64_t)st.st_size != core->file_size)
			return NULL;
		memcpy(core->sha256, core->fp.hex, sizeof(core->sha256));
		core->have_sha256 = true;
		return core->sha256;
	}
	static const int no_cancel = 0;
	if (!fingerprint_raw(core->fd, core->file_size, &no_cancel, core->sha256))
		return NULL;
	core->have_sha256 = true;
	return core->sha256;
}

size_t core_num_threads(const struct core_file *core)
{
	return core->nthreads;
}

const struct core_thread *core_thread(const struct core_file *core, size_t i)
{
	return i < core->nthreads ? &core->threads[i] : NULL;
}

size_t core_num_mappings(const struct core_file *core)
{
	return core->nmappings;
}

const struct core_mapping *core_mapping(const struct core_file *core, size_t i)
{
	return i < core->nmappings ? &core->mappings[i] : NULL;
}

const char *core_exe_path(const struct core_file *core)
{
	return core->exe_path;
}

void core_find_exe_path(struct core_file *core)
{
	uint64_t wanted[2] = {core->info.auxv_entry, core->info.auxv_phdr};
	for (int w = 0; w < 2; w++) {
		if (!wanted[w])
			continue;
		for (size_t i = 0; i < core->nmappings; i++) {
			const struct core_mapping *m = &core->mappings[i];
			if (m->start <= wanted[w] && wanted[w] < m->end) {
				core->exe_path = m->path;
				return;
			}
		}
	}
	for (size_t i = 0; i < core->nmappings; i++) {
		if (core->mappings[i].file_offset == 0) {
			core->exe_path = core->mappings[i].path;
			return;
		}
	}
}

/* ---- Reading memory ---------------------------------------------------- */

/* ---- The page cache of a raw core (struct core_page_cache) ------------- */

/* Without memory for it, a raw core is read through its mapping as before. */
size_t core_cache_test_sets;

static void cache_init(struct core_page_cache *c)
{
	size_t nsets = core_cache_test_sets ? core_cache_test_sets : CORE_CACHE_SETS;
	size_t slots = nsets * CORE_CACHE_WAYS;
	// Address space only: a page counts in memory once a read fills it.
	void *p = mmap(NULL, slots * CORE_PAGE_SIZE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	c->tags = calloc(slots, sizeof(*c->tags));
	c->turn = calloc(nsets, sizeof(*c->turn));
	if (p == MAP_FAILED || !c->tags || !c->turn) {
		if (p != MAP_FAILED)
			munmap(p, slots * CORE_PAGE_SIZE);
		free(c->tags);
		free(c->turn);
		*c = (struct core_page_cache){0};
		return;
	}
	c->pages = p;
	c->nsets = nsets;
#ifdef MADV_HUGEPAGE
	madvise(p, slots * CORE_PAGE_SIZE, MADV_HUGEPAGE); // filled in 2 MiB faults
#endif
}

/*
 * Bytes [OFF, OFF+LEN) of a raw core, which lie within the file: read, or if
 * the descriptor fails (the tests swap it for one that cannot read), copied
 * from the mapping, as all reads were before the cache.
 */
static void file_copy(struct core_file *core, uint64_t off, uint8_t *buf, size_t len)
{
	size_t got = 0;
	while (got < len) {
		ssize_t n = pread(core->fd, buf + got, len - got, (off_t)(off + got));
		if (n < 0 && errno == EINTR)
			continue;
		if (n == 0) {
			// The file shrank since core_open (where the mapping would
			// fault with SIGBUS): zeros, and the fingerprint, which checks
			// the size, refuses the core.
			memset(buf + got, 0, len - got);
			return;
		}
		if (n < 0)
			break;
		got += (size_t)n;
	}
	if (got < len)
		memcpy(buf + got, core->map + off + got, len - got);
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

static const uint8_t *cache_lookup(struct core_file *core, uint64_t pageno)
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
	uint64_t off = pageno * CORE_PAGE_SIZE;
	size_t len = off < core->file_size ? (size_t)(core->file_size - off) : 0;
	if (len > CORE_PAGE_SIZE)
		len = CORE_PAGE_SIZE;
	file_copy(core, off, page, len);
	memset(page + len, 0, CORE_PAGE_SIZE - len); // past the end of the file
	c->tags[slot] = pageno + 1;
	return page;
}

static const uint8_t *page_lookup(struct core_file *core, uint64_t pageno)
{
	if (pageno == core->cached_pageno)
		return core->cached_page;
	if (core->cache.pages) {
		const uint8_t *page = cache_lookup(core, pageno);
		core->cached_pageno = pageno;
		core->cached_page = page;
		return page;
	}
	uint64_t v;
	const uint8_t *page = zero_page;
	if (util_u64map_get(&core->pages, pageno, &v))
		page = (const uint8_t *)(uintptr_t)v;
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
		memcpy(out, page_lookup(core, off / CORE_PAGE_SIZE) + in, n);
		out += n;
		off += n;
		len -= n;
	}
}

void core_reset_cache(struct core_file *core)
{
	memset(&core->fast, 0, sizeof(core->fast));
	memset(&core->win, 0, sizeof(core->win));
}

/** Index of the last segment with start <= addr, or n if there is none. */
static size_t seg_search(const struct core_segment *segs, size_t n, uint64_t addr)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (segs[mid].start <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo ? lo - 1 : n;
}

/**
 * The readable range around ADDR: a core segment's file bytes, or (with
 * USE_OVERLAY) the part of an executable segment lying in a hole of the core.
 */
static bool range_lookup(struct core_file *core, uint64_t addr, bool use_overlay,
			 struct core_range *r)
{
	size_t i = seg_search(core->segs, core->nsegs, addr);
	// The hole of the core around addr: no bytes in [hole_start, hole_end).
	uint64_t hole_start = 0, hole_end = UINT64_MAX;
	if (i < core->nsegs) {
		const struct core_segment *s = &core->segs[i];
		if (addr < s->file_end) {
			r->start = s->start;
			r->end = s->file_end;
			r->data = s->data;
			r->offset = s->offset;
			return true;
		}
		if (addr < s->end) {
			hole_start = s->file_end;
			hole_end = s->end;
		} else {
			hole_start = s->end;
			if (i + 1 < core->nsegs)
				hole_end = core->segs[i + 1].start;
		}
	} else if (core->nsegs) {
		hole_end = core->segs[0].start;
	}
	if (!use_overlay || !core->noverlay)
		return false;
	size_t j = seg_search(core->overlay, core->noverlay, addr);
	if (j == core->noverlay || addr >= core->overlay[j].file_end)
		return false;
	const struct core_segment *o = &core->overlay[j];
	r->start = o->start > hole_start ? o->start : hole_start;
	r->end = o->file_end < hole_end ? o->file_end : hole_end;
	r->data = o->data + (r->start - o->start);
	r->offset = 0;
	return true;
}

static inline void range_copy(struct core_file *core, const struct core_range *r, uint64_t addr,
			      void *buf, size_t len)
{
	if (r->data)
		memcpy(buf, r->data + (addr - r->start), len);
	else
		core_file_read(core, r->offset + (addr - r->start), buf, len);
}

/**
 * Copy (BUF non-NULL) or probe [addr, addr+len) range by range. False with
 * *FAULT set to the first address nothing holds.
 */
static bool core_walk(struct core_file *core, uint64_t addr, void *buf, size_t len,
		      bool use_overlay, uint64_t *fault)
{
	uint8_t *out = buf;
	uint64_t a = addr;
	size_t left = len;
	while (left) {
		struct core_range r;
		if (!range_lookup(core, a, use_overlay, &r)) {
			*fault = a;
			return false;
		}
		size_t n = r.end - a < left ? (size_t)(r.end - a) : left;
		if (out) {
			range_copy(core, &r, a, out, n);
			out += n;
		}
		if (use_overlay)
			core->fast = r;
		a += n;
		left -= n;
	}
	return true;
}

static struct util_error *core_access(struct core_file *core, uint64_t addr, void *buf,
				      size_t len, bool use_overlay)
{
	uint64_t fault;
	if (core_walk(core, addr, buf, len, use_overlay, &fault))
		return NULL;
	return util_error_fault(fault, "reading %zu bytes at 0x%" PRIx64, len, addr);
}

/** Make win[0] the bytes around ADDR, which range R holds; older windows move down. */
static void set_window(struct core_file *core, const struct core_range *r, uint64_t addr)
{
	memmove(&core->win[1], &core->win[0], (CORE_WINDOWS - 1) * sizeof(core->win[0]));
	struct core_window *w = &core->win[0];
	if (r->data) {
		w->start = r->start;
		w->end = r->end;
		w->data = r->data;
		return;
	}
	// One page of the sparse store, as virtual addresses clipped to the range.
	uint64_t fo = r->offset + (addr - r->start);
	uint64_t in = fo % CORE_PAGE_SIZE;
	w->start = addr - in < r->start || addr - in > addr ? r->start : addr - in;
	w->end = addr - in + CORE_PAGE_SIZE;
	if (w->end > r->end || w->end < addr)
		w->end = r->end;
	w->data = page_lookup(core, fo / CORE_PAGE_SIZE) + (in - (addr - w->start));
}

static inline bool in_window(const struct core_window *w, uint64_t addr, size_t len)
{
	return addr - w->start < w->end - w->start && len <= w->end - addr;
}

/** Everything but the win[0] hit: older windows, the cached range, a full lookup. */
static struct util_error *core_read_slow(struct core_file *core, uint64_t addr, void *buf,
					 size_t len)
{
	if (len == 0)
		return NULL;
	for (size_t i = 1; i < CORE_WINDOWS; i++) {
		if (in_window(&core->win[i], addr, len)) {
			struct core_window w = core->win[i];
			memmove(&core->win[1], &core->win[0], i * sizeof(w));
			core->win[0] = w;
			memcpy(buf, w.data + (addr - w.start), len);
			return NULL;
		}
	}
	const struct core_range *f = &core->fast;
	if (!(addr - f->start < f->end - f->start && len <= f->end - addr)) {
		struct util_error *err = core_access(core, addr, buf, len, true);
		if (err)
			return err;
	} else {
		range_copy(core, f, addr, buf, len);
	}
	set_window(core, &core->fast, addr + len - 1);
	return NULL;
}

struct util_error *core_read_once(struct core_file *core, uint64_t addr, void *buf, size_t len)
{
	if (core->fd < 0 || !core->cache.pages)
		return core_read(core, addr, buf, len);
	uint8_t *out = buf;
	uint64_t a = addr;
	size_t left = len;
	while (left) {
		struct core_range r;
		if (!range_lookup(core, a, true, &r))
			return util_error_fault(a, "reading %zu bytes at 0x%" PRIx64, len, addr);
		size_t n = r.end - a < left ? (size_t)(r.end - a) : left;
		// The core's own segments are read from the file (their data is
		// NULL: see core_page_cache); the executable's overlay as always.
		if (!r.data) {
			file_copy(core, r.offset + (a - r.start), out, n);
		} else {
			range_copy(core, &r, a, out, n);
		}
		out += n;
		a += n;
		left -= n;
	}
	return NULL;
}

void core_pin(struct core_file *core, uint64_t addr, size_t len, const void *bytes)
{
	core->pin = (struct core_window){.start = addr, .end = addr + len, .data = bytes};
	if (core->pin.end < addr)
		core->pin.end = core->pin.start; // wraps: pin nothing
}

void core_unpin(struct core_file *core)
{
	core->pin = (struct core_window){0};
}

/** The read from the pinned copy or win[0], if one holds it all. */
static inline bool read_fast(const struct core_file *core, uint64_t addr, void *buf, size_t len)
{
	const struct core_window *w = in_window(&core->pin, addr, len) ? &core->pin
				    : in_window(&core->win[0], addr, len) ? &core->win[0]
									  : NULL;
	if (w)
		memcpy(buf, w->data + (addr - w->start), len);
	return w != NULL;
}

struct util_error *core_read(struct core_file *core, uint64_t addr, void *buf, size_t len)
{
	if (read_fast(core, addr, buf, len))
		return NULL;
	return core_read_slow(core, addr, buf, len);
}

struct util_error *core_read_no_overlay(struct core_file *core, uint64_t addr, void *buf,
					size_t len)
{
	return core_access(core, addr, buf, len, false);
}

struct util_error *core_read_u64(struct core_file *core, uint64_t addr, uint64_t *ret)
{
	if (read_fast(core, addr, ret, sizeof(*ret)))
		return NULL;
	uint64_t v;
	struct util_error *err = core_read_slow(core, addr, &v, sizeof(v));
	if (!err)
		*ret = v;
	return err;
}

struct util_error *core_read_u32(struct core_file *core, uint64_t addr, uint32_t *ret)
{
	if (read_fast(core, addr, ret, sizeof(*ret)))
		return NULL;
	uint32_t v;
	struct util_error *err = core_read_slow(core, addr, &v, sizeof(v));
	if (!err)
		*ret = v;
	return err;
}

struct util_error *core_read_u8(struct core_file *core, uint64_t addr, uint8_t *ret)
{
	if (read_fast(core, addr, ret, sizeof(*ret)))
		return NULL;
	uint8_t v;
	struct util_error *err = core_read_slow(core, addr, &v, sizeof(v));
	if (!err)
		*ret = v;
	return err;
}

bool core_readable(struct core_file *core, uint64_t addr, size_t len)
{
	for (size_t i = 0; i < CORE_WINDOWS; i++)
		if (in_window(&core->win[i], addr, len))
			return true;
	uint64_t fault;
	return core_walk(core, addr, NULL, len, true, &fault);
}
