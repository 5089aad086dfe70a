// SPDX-License-Identifier: Apache-2.0
// stream.c: a decompressed core's page index, and the state of a stream
// decompressing one while it is read (core_open_streaming): what page reads,
// the fingerprint and the errors ask of it, from any thread. The lowest layer
// of core/ for a compressed core: it calls nothing else of core/.
#include <pthread.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "core/internal.h"

/*
 * The page index: page number -> stored page, in blocks of CORE_INDEX_BLOCK
 * entries made when a block gets its first non-zero page, under a table of
 * blocks sized once for the largest core and mapped, so that only its
 * entries in use take memory. Nothing in it moves once written, which is
 * what lets the page lookups read it while the stream adds to it.
 */
enum { CORE_INDEX_BLOCK = 512 };

struct util_error *core_index_init(struct core_file *core, uint64_t max_bytes)
{
	core->pindex_nblocks = (size_t)(max_bytes / CORE_PAGE_SIZE / CORE_INDEX_BLOCK) + 1;
	core->pindex = util_map_anon(core->pindex_nblocks * sizeof(*core->pindex), false);
	return core->pindex ? NULL : &util_enomem;
}

struct util_error *core_index_put(struct core_file *core, uint64_t pageno, const uint8_t *page)
{
	size_t b = (size_t)(pageno / CORE_INDEX_BLOCK);
	if (b >= core->pindex_nblocks) // past the most a core may have: refused before
		return &util_enomem;
	const uint8_t **block = core->pindex[b];
	if (!block) {
		block = calloc(CORE_INDEX_BLOCK, sizeof(*block));
		if (!block)
			return &util_enomem;
		// A reader may look at this block's earlier (zero) pages meanwhile.
		__atomic_store_n(&core->pindex[b], block, __ATOMIC_RELEASE);
	}
	block[pageno % CORE_INDEX_BLOCK] = page;
	return NULL;
}

const uint8_t *core_index_get(const struct core_file *core, uint64_t pageno)
{
	size_t b = (size_t)(pageno / CORE_INDEX_BLOCK);
	if (!core->pindex || b >= core->pindex_nblocks)
		return NULL;
	const uint8_t **block = __atomic_load_n(&core->pindex[b], __ATOMIC_ACQUIRE);
	return block ? block[pageno % CORE_INDEX_BLOCK] : NULL;
}

void core_index_free(struct core_file *core)
{
	if (!core->pindex)
		return;
	for (size_t b = 0; b < core->pindex_nblocks; b++)
		free(core->pindex[b]);
	munmap(core->pindex, core->pindex_nblocks * sizeof(*core->pindex));
	core->pindex = NULL;
}

void core_stream_wait_done(struct core_stream *st)
{
	pthread_mutex_lock(&st->mu);
	while (!st->done)
		pthread_cond_wait(&st->cond, &st->mu);
	pthread_mutex_unlock(&st->mu);
}

void core_stream_wait_page(struct core_file *core, uint64_t pageno)
{
	struct core_stream *st = core->stream;
	pthread_mutex_lock(&st->mu);
	while (!st->done && __atomic_load_n(&core->stream_pages, __ATOMIC_ACQUIRE) <= pageno)
		pthread_cond_wait(&st->cond, &st->mu);
	pthread_mutex_unlock(&st->mu);
}

struct util_error *core_error_copy(const struct util_error *err)
{
	if (err == &util_enomem)
		return &util_enomem;
	return util_error_create(err->code, "%s", err->message);
}

const char *core_stream_sha256(struct core_file *core)
{
	struct core_stream *st = core->stream;
	core_stream_wait_done(st);
	return st->have_hex && !st->err ? st->hex : NULL;
}

uint64_t core_loaded_size(struct core_file *core)
{
	struct core_stream *st = core->stream;
	if (!st)
		return core->file_size;
	core_stream_wait_done(st);
	return st->size;
}

struct util_error *core_stream_error(const struct core_file *core)
{
	struct core_stream *st = core->stream;
	if (!st)
		return NULL;
	pthread_mutex_lock(&st->mu);
	struct util_error *err = !st->done  ? NULL
			       : st->err    ? core_error_copy(st->err)
			       : st->check  ? core_error_copy(st->check)
					    : NULL;
	pthread_mutex_unlock(&st->mu);
	return err;
}
