// SPDX-License-Identifier: Apache-2.0
// fingerprint.c: a core's identity (core_sha256), for a raw core computed on
// a thread core_open starts, reading only the file's data extents.
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/internal.h"
#ifdef GOCORONER_TESTING
#include "core/testing.h"
#endif

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

void core_fingerprint_span(struct sha256_ctx *ctx, uint64_t off, const struct core_span *s,
			   size_t len)
{
	static const uint8_t zeros[CORE_PAGE_SIZE];
	put_le64(ctx, off);
	if (s->nz) { // sparse: the page made whole
		uint8_t page[CORE_PAGE_SIZE];
		core_span_fill(s, page);
		sha256_update(ctx, page, len);
		return;
	}
	// The page's bytes [0, len): zeros, the span's bytes, zeros.
	size_t lo = s->lo < len ? s->lo : len;
	size_t hi = (size_t)s->lo + s->len < len ? (size_t)s->lo + s->len : len;
	sha256_update(ctx, zeros, lo);
	sha256_update(ctx, core_span_bytes(s), hi - lo);
	sha256_update(ctx, zeros, len - hi);
}

/** Read through this much at a time: a whole number of pages that stays in L2. */
enum { FP_CHUNK = 64 * CORE_PAGE_SIZE };

/** Add the non-zero pages of [start, end) of the raw core; START is page-aligned. */
static bool fingerprint_extent(int fd, struct sha256_ctx *ctx, uint8_t *buf, uint64_t start,
			       uint64_t end, const int *cancel, struct core_read_fail *fail)
{
	while (start < end) {
		if (__atomic_load_n(cancel, __ATOMIC_RELAXED))
			return false;
		size_t want = end - start < FP_CHUNK ? (size_t)(end - start) : FP_CHUNK;
		for (size_t got = 0; got < want;) {
			ssize_t n = CORE_PREAD(fd, buf + got, want - got, start + got);
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0 && !fail->errnum)
				*fail = (struct core_read_fail){errno, start + got};
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
 * cannot be read (a failed read in *FAIL), has another size, or *CANCEL
 * became nonzero.
 */
static bool fingerprint_raw(int fd, uint64_t size, const int *cancel, char hex[65],
			    struct core_read_fail *fail)
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
		if (!fingerprint_extent(fd, &ctx, buf, start, end, cancel, fail)) {
			free(buf);
			return false;
		}
		next = end;
	}
	free(buf);
	sha256_final_hex(&ctx, hex);
	return true;
}

#ifdef GOCORONER_TESTING
void (*core_fp_thread_hook)(int fd);
unsigned core_fp_test_streamed;
#endif

/** The bytes of a decompressed core of SIZE bytes that its stored PAGE holds. */
static size_t page_len(const struct core_stored_page *page, uint64_t size)
{
	uint64_t off = page->pageno * CORE_PAGE_SIZE;
	return size - off < CORE_PAGE_SIZE ? (size_t)(size - off) : CORE_PAGE_SIZE;
}

/**
 * The fingerprint of a decompressed core of SIZE bytes from its stored
 * pages, into HEX; false if *CANCEL became nonzero. The result equals
 * core_sha256 of the same core raw.
 */
static bool fingerprint_pages(const struct core_stored_page *pages, size_t n, uint64_t size,
			      const int *cancel, char hex[65])
{
	struct sha256_ctx sha;
	core_fingerprint_init(&sha, size);
	for (size_t i = 0; i < n; i++) {
		if (i % 4096 == 0 && __atomic_load_n(cancel, __ATOMIC_RELAXED))
			return false;
		core_fingerprint_span(&sha, pages[i].pageno * CORE_PAGE_SIZE, pages[i].span,
				      page_len(&pages[i], size));
	}
	sha256_final_hex(&sha, hex);
	return true;
}

/** Hash the pages of a streaming JOB as they are published, up to the last. */
static bool fingerprint_stream(struct core_fp_job *job)
{
	struct sha256_ctx sha;
	core_fingerprint_init(&sha, job->size);
	for (size_t done = 0;;) {
		pthread_mutex_lock(&job->lock);
		while (done == job->published && !job->closed &&
		       !__atomic_load_n(&job->cancel, __ATOMIC_RELAXED))
			pthread_cond_wait(&job->more, &job->lock);
		size_t upto = job->published;
		bool closed = job->closed;
		pthread_mutex_unlock(&job->lock);
		if (__atomic_load_n(&job->cancel, __ATOMIC_RELAXED))
			return false;
		for (; done < upto; done++) {
			const struct core_stored_page *pg = &job->pages[done];
			core_fingerprint_span(&sha, pg->pageno * CORE_PAGE_SIZE, pg->span,
					      page_len(pg, job->size));
		}
		if (closed && done == upto)
			break;
	}
	sha256_final_hex(&sha, job->hex);
#ifdef GOCORONER_TESTING
	__atomic_add_fetch(&core_fp_test_streamed, 1, __ATOMIC_RELAXED);
#endif
	return true;
}

#ifdef GOCORONER_TESTING
void (*core_fp_thread_hook)(int fd);
unsigned core_fp_test_streamed;
#endif

static void *fp_thread_main(void *arg)
{
	struct core_fp_job *job = arg;
#ifdef GOCORONER_TESTING
	if (core_fp_thread_hook)
		core_fp_thread_hook(job->fd);
#endif
	if (job->streaming)
		job->ok = fingerprint_stream(job);
	else if (job->pages)
		job->ok = fingerprint_pages(job->pages, job->npages, job->size, &job->cancel,
					    job->hex);
	else
		job->ok = fingerprint_raw(job->fd, job->size, &job->cancel, job->hex, &job->fail);
	return NULL;
}

/** Start JOB's thread with every signal blocked (signals are for the caller's threads). */
static bool fp_thread_create(struct core_fp_job *job)
{
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	job->running = pthread_create(&job->thread, NULL, fp_thread_main, job) == 0;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return job->running;
}

/** Start fingerprinting the raw core in the background; on failure, core_sha256 will. */
void core_fp_thread_start(struct core_file *core)
{
	struct core_fp_job *job = &core->fp;
	job->fd = core->fd;
	job->size = core->file_size;
	job->cancel = 0;
	job->ok = false;
	fp_thread_create(job);
}

/** Free a decompressed core's pages once no thread reads them. */
static void free_pages(struct core_fp_job *job)
{
	util_unmap_array(job->pages, job->cap, sizeof(*job->pages));
	job->pages = NULL;
	job->npages = job->cap = 0;
}

/** Wait for the background fingerprint, if any; true if it produced one. Keeps the pages. */
static bool fp_join(struct core_fp_job *job)
{
	if (!job->running)
		return false;
	pthread_join(job->thread, NULL);
	job->running = false;
	if (job->streaming) {
		pthread_cond_destroy(&job->more);
		pthread_mutex_destroy(&job->lock);
		job->streaming = false;
	}
	return job->ok;
}

/** Make the thread stop at its next check and wait for it; the pages stay. */
static void fp_cancel(struct core_fp_job *job)
{
	if (!job->running)
		return;
	__atomic_store_n(&job->cancel, 1, __ATOMIC_RELAXED);
	if (job->streaming) { // it may be waiting for pages
		pthread_mutex_lock(&job->lock);
		pthread_cond_broadcast(&job->more);
		pthread_mutex_unlock(&job->lock);
	}
	fp_join(job);
	job->cancel = 0;
}

/*
 * A decompressed core's fingerprint starts with the core's size. When the
 * zstd frame declares it (zstd's command line does, compressing a file),
 * the pages are hashed on a thread while the stream is decompressed: the
 * decompression keeps one CPU busy and the other would idle, where hashing
 * after it would take a CPU from the analysis (on corpus/bench's core, the
 * writer waited 0.1 s for it; bench/README.md). Otherwise, or when the
 * stream turns out to have another size (frames concatenated, as
 * systemd-coredump may write them), the pages are hashed after it, on a
 * thread beside the analysis.
 */
void core_fp_stream_begin(struct core_file *core, uint64_t declared)
{
	struct core_fp_job *job = &core->fp;
	*job = (struct core_fp_job){.fd = -1, .size = declared};
	size_t limit = (size_t)((declared + CORE_PAGE_SIZE - 1) / CORE_PAGE_SIZE);
	if (!declared || (uint64_t)limit * CORE_PAGE_SIZE < declared)
		return;
	// Room for every page at once: only the entries written take memory.
	if (util_grow_mapped((void **)&job->pages, limit - 1, &job->cap, sizeof(*job->pages),
			     limit))
		return;
	if (pthread_mutex_init(&job->lock, NULL) != 0)
		return;
	if (pthread_cond_init(&job->more, NULL) != 0) {
		pthread_mutex_destroy(&job->lock);
		return;
	}
	job->limit = limit;
	job->streaming = true;
	if (!fp_thread_create(job)) {
		pthread_cond_destroy(&job->more);
		pthread_mutex_destroy(&job->lock);
		job->streaming = false;
	}
}

struct util_error *core_fp_stream_add(struct core_file *core, uint64_t pageno,
				      const struct core_span *span)
{
	struct core_fp_job *job = &core->fp;
	if (job->streaming && pageno >= job->limit)
		fp_cancel(job); // longer than declared: hashed at the end instead
	struct util_error *err = util_grow_mapped((void **)&job->pages, job->npages, &job->cap,
						  sizeof(*job->pages), 1024);
	if (err)
		return err;
	job->pages[job->npages++] = (struct core_stored_page){pageno, span};
	return NULL;
}

void core_fp_stream_publish(struct core_file *core)
{
	struct core_fp_job *job = &core->fp;
	if (!job->streaming || job->published == job->npages)
		return;
	pthread_mutex_lock(&job->lock);
	job->published = job->npages;
	pthread_cond_signal(&job->more);
	pthread_mutex_unlock(&job->lock);
}

void core_fp_stream_end(struct core_file *core, uint64_t size)
{
	struct core_fp_job *job = &core->fp;
	if (job->streaming && size == job->size) {
		pthread_mutex_lock(&job->lock);
		job->published = job->npages;
		job->closed = true;
		pthread_cond_signal(&job->more);
		pthread_mutex_unlock(&job->lock);
		return; // core_sha256 joins it
	}
	fp_cancel(job);
	job->size = size;
	if (!fp_thread_create(job)) { // no thread: now
		static const int no_cancel = 0;
		core->have_sha256 = fingerprint_pages(job->pages, job->npages, size, &no_cancel,
						      core->sha256);
		free_pages(job);
	}
}

/** Wait for the background fingerprint, if any, and free its pages; true if it produced one. */
static bool fp_thread_join(struct core_file *core)
{
	bool ok = fp_join(&core->fp);
	free_pages(&core->fp);
	return ok;
}

/** Make the background fingerprint stop early and wait for it. */
void core_fp_thread_stop(struct core_file *core)
{
	fp_cancel(&core->fp);
	free_pages(&core->fp);
}

const char *core_sha256(struct core_file *core)
{
	if (core->have_sha256)
		return core->sha256;
	if (core->fp.running) {
		// The thread's answer, good or bad; a later call starts afresh.
		if (!fp_thread_join(core))
			return NULL; // a failed read is in core->fp.fail
		struct stat st;
		if (core->fd >= 0 &&
		    (fstat(core->fd, &st) < 0 || (uint64_t)st.st_size != core->file_size))
			return NULL;
		memcpy(core->sha256, core->fp.hex, sizeof(core->sha256));
		core->have_sha256 = true;
		return core->sha256;
	}
	if (core->fd < 0)
		return NULL;
	static const int no_cancel = 0;
	core->fp.fail = (struct core_read_fail){0};
	if (!fingerprint_raw(core->fd, core->file_size, &no_cancel, core->sha256, &core->fp.fail))
		return NULL;
	core->have_sha256 = true;
	return core->sha256;
}

struct util_error *core_read_error(const struct core_file *core)
{
	// The page cache's (this thread's), else the fingerprint's: written by
	// its thread, read here only once core_sha256 has joined it.
	const struct core_read_fail *f = &core->read_fail;
	if (!f->errnum && !core->fp.running && !core->have_sha256)
		f = &core->fp.fail;
	if (!f->errnum)
		return NULL;
	char what[64];
	snprintf(what, sizeof(what), "read error at offset %" PRIu64, f->off);
	return util_error_os(f->errnum, core->path, what);
}
