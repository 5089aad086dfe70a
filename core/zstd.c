// SPDX-License-Identifier: Apache-2.0
// zstd.c: decompress a core once, keeping and fingerprinting only its non-zero
// pages, before it is read or (core_open_streaming) while it is.
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zstd.h>

#include "core/internal.h"
#ifdef GOCORONER_TESTING
#include "core/testing.h"

uint64_t core_zstd_test_max;
uint64_t core_zstd_test_mem;
void (*core_stream_test_hook)(uint64_t pages);
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

/** The stored pages in file order, for the fingerprint once the size is known. */
struct page_list {
	struct core_stored_page *v;
	size_t n, cap;
	uint64_t max_bytes; /**< the most the pages may take (max_stored) */
};

/*
 * Room for one page of the store. The pages of a big core are hundreds of
 * MiB, each first touched as it is stored: in chunks asked for in 2 MiB
 * pages (transparent huge pages, "madvise" mode), the kernel is entered once
 * per 512 pages instead of once per page, which on a virtual machine was
 * much of a compressed core's extra time (bench/README.md).
 */
static uint8_t *page_alloc(struct core_page_store *ps)
{
	if (!ps->nchunks || ps->used == CORE_PAGE_CHUNK) {
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
	uint8_t *page = ps->chunks[ps->nchunks - 1] + ps->used;
	ps->used += CORE_PAGE_SIZE;
	return page;
}

/** Keep decompressed page PAGENO (LEN bytes, the last may be short) unless it is zero. */
static struct util_error *store_page(struct core_file *core, struct page_list *list,
				     uint64_t pageno, const uint8_t *p, size_t len)
{
	if (core_page_is_zero(p, len))
		return NULL;
	if ((uint64_t)(list->n + 1) * CORE_PAGE_SIZE > list->max_bytes)
		return util_error_create(UTIL_ERROR_BUDGET,
					 "%s: its non-zero pages need more than the %" PRIu64
					 " MiB of memory a compressed core may use here (3/4 of this"
					 " machine's): decompress it ('zstd -d --sparse') and analyze"
					 " the raw core", core->path, list->max_bytes >> 20);
	if (list->n == list->cap) {
		size_t cap = list->cap ? 2 * list->cap : 1024;
		struct core_stored_page *v = realloc(list->v, cap * sizeof(*v));
		if (!v)
			return &util_enomem;
		list->v = v;
		list->cap = cap;
	}
	uint8_t *copy = page_alloc(&core->page_store);
	if (!copy)
		return &util_enomem;
	memcpy(copy, p, len); // the rest of a short page stays zero
	list->v[list->n++] = (struct core_stored_page){pageno, copy};
	return core_index_put(core, pageno, copy);
}

/** Make pages [0, N) readable to core_page_lookup on other threads. */
static void publish(struct core_file *core, uint64_t n)
{
	struct core_stream *st = core->stream;
	if (!st)
		return;
#ifdef GOCORONER_TESTING
	if (core_stream_test_hook)
		core_stream_test_hook(n);
#endif
	pthread_mutex_lock(&st->mu);
	__atomic_store_n(&core->stream_pages, n, __ATOMIC_RELEASE);
	pthread_cond_broadcast(&st->cond);
	pthread_mutex_unlock(&st->mu);
}

/*
 * Decompress the zstd stream on FD into the page store; *SIZE_RET the bytes
 * it gave, *LIST the non-zero pages kept. With a stream, publish the pages
 * as they come and stop early if it is canceled.
 */
static struct util_error *decompress(struct core_file *core, int fd, struct page_list *list,
				     uint64_t *size_ret)
{
	const char *path = core->path;
	struct util_error *err = NULL;
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
		if (core->stream && __atomic_load_n(&core->stream->cancel, __ATOMIC_RELAXED)) {
			err = util_error_create(UTIL_ERROR_INVALID, "%s: decompression stopped", path);
			goto out;
		}
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
		if (!checked_magic && declared != ZSTD_CONTENTSIZE_UNKNOWN &&
		    declared != ZSTD_CONTENTSIZE_ERROR && declared > max_output()) {
			err = too_big(path, declared);
			goto out;
		}
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
					err = store_page(core, list, total / CORE_PAGE_SIZE + i,
							 outbuf + i * CORE_PAGE_SIZE, CORE_PAGE_SIZE);
					if (err)
						goto out;
				}
				total += out.size;
				out.pos = 0;
				if (total > max_output()) {
					err = too_big(path, 0);
					goto out;
				}
				publish(core, total / CORE_PAGE_SIZE);
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
	for (size_t off = 0; off < out.pos; off += CORE_PAGE_SIZE) {
		size_t len = out.pos - off < CORE_PAGE_SIZE ? out.pos - off : CORE_PAGE_SIZE;
		err = store_page(core, list, (total + off) / CORE_PAGE_SIZE, outbuf + off, len);
		if (err)
			goto out;
	}
	total += out.pos;
	if (total == 0) {
		err = util_error_create(UTIL_ERROR_BAD_DATA,
					"%s: empty file (zstd stream decompresses to nothing)", path);
		goto out;
	}
	*size_ret = total;
out:
	ZSTD_freeDStream(ds);
	free(inbuf);
	free(outbuf);
	return err;
}

struct util_error *core_zstd_load(struct core_file *core, int fd)
{
	struct page_list list = {.max_bytes = max_stored()};
	uint64_t size = 0;
	struct util_error *err = core->pindex ? NULL : core_index_init(core, max_output());
	if (!err)
		err = decompress(core, fd, &list, &size);
	if (err) {
		free(list.v);
		return err;
	}
	core->file_size = size;
	// Hashed on a thread while the core is analyzed (core_sha256 waits).
	core_fp_pages_start(core, list.v, list.n, size);
	return NULL;
}

/* ---- Decompressed while read (core_open_streaming) --------------------- */

static void *stream_main(void *arg)
{
	struct core_file *core = arg;
	struct core_stream *st = core->stream;
	struct page_list list = {.max_bytes = max_stored()};
	uint64_t size = 0;
	struct util_error *err = decompress(core, st->fd, &list, &size);
	// The fingerprint here, on this thread, once the size is known.
	bool have_hex = !err && core_fingerprint_pages(list.v, list.n, size, &st->cancel, st->hex);
	free(list.v);
	pthread_mutex_lock(&st->mu);
	st->err = err;
	st->size = size;
	st->have_hex = have_hex;
	st->done = true;
	__atomic_store_n(&core->stream_pages, UINT64_MAX, __ATOMIC_RELEASE);
	pthread_cond_broadcast(&st->cond);
	pthread_mutex_unlock(&st->mu);
	return NULL;
}

/*
 * Start decompressing FD on a thread; return once its first MiB is there
 * (the ELF header, program headers and notes of any core but a huge one),
 * with *STREAMING set, or once the whole stream is, if it is that short or
 * the thread could not be had, with *STREAMING false and the core loaded as
 * core_zstd_load does.
 */
struct util_error *core_zstd_stream(struct core_file *core, int fd, bool *streaming)
{
	*streaming = false;
	struct util_error *err = core_index_init(core, max_output());
	if (err)
		return err;
	struct core_stream *st = calloc(1, sizeof(*st));
	if (!st)
		return &util_enomem;
	st->fd = dup(fd);
	if (st->fd < 0) {
		free(st);
		return core_zstd_load(core, fd);
	}
	pthread_mutex_init(&st->mu, NULL);
	pthread_cond_init(&st->cond, NULL);
	core->stream = st;
	core->stream_pages = 0;
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	st->started = pthread_create(&st->thread, NULL, stream_main, core) == 0;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (!st->started) {
		core_stream_free(core);
		return core_zstd_load(core, fd);
	}
	core_stream_wait_page(core, OUT_PAGES - 1);
	pthread_mutex_lock(&st->mu);
	bool done = st->done;
	pthread_mutex_unlock(&st->mu);
	if (!done) {
		*streaming = true;
		// Until the end: big enough for any offset, checked again then.
		core->file_size = max_output();
		return NULL;
	}
	// A short stream, or one that failed early: as core_zstd_load.
	pthread_join(st->thread, NULL);
	st->started = false;
	err = st->err;
	st->err = NULL;
	core->file_size = st->size;
	if (!err) {
		core->have_sha256 = st->have_hex;
		memcpy(core->sha256, st->hex, sizeof(core->sha256));
	}
	core_stream_free(core);
	return err;
}

void core_stream_free(struct core_file *core)
{
	struct core_stream *st = core->stream;
	if (!st)
		return;
	if (st->started) {
		__atomic_store_n(&st->cancel, 1, __ATOMIC_RELAXED);
		pthread_join(st->thread, NULL);
	}
	close(st->fd);
	pthread_mutex_destroy(&st->mu);
	pthread_cond_destroy(&st->cond);
	util_error_destroy(st->err);
	util_error_destroy(st->check);
	free(st);
	core->stream = NULL;
	core->stream_pages = UINT64_MAX;
}


struct util_error *core_stream_finish(struct core_file *core)
{
	struct core_stream *st = core->stream;
	if (!st->finished) {
		core_stream_wait_done(st);
		pthread_join(st->thread, NULL);
		st->started = false;
		st->finished = true;
		if (!st->err) {
			core->file_size = st->size;
			core->info.file_size = st->size;
		}
	}
	return st->err ? core_error_copy(st->err) : NULL;
}
