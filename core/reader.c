// SPDX-License-Identifier: Apache-2.0
// reader.c: a second reader of an open core, for another thread. What a read
// changes is the reader's own (the windows, the last range, the pinned
// bytes, the page cache and the first failed read); what it reads is shared
// and fixed once the core is open (the segments, the file, its mapping, a
// decompressed core's pages, the executable's overlay).
#include <stdlib.h>
#include <string.h>

#include "core/internal.h"

enum { READER_CACHE_SETS = 64 }; /* 1 MiB: the other thread reads mostly with core_read_once */

struct core_file *core_reader_open(struct core_file *core)
{
	struct core_file *r = malloc(sizeof(*r));
	if (!r)
		return NULL;
	*r = *core;
	memset(&r->fast, 0, sizeof(r->fast));
	memset(&r->win, 0, sizeof(r->win));
	memset(&r->pin, 0, sizeof(r->pin));
	r->cached_pageno = ~(uint64_t)0;
	r->cached_page = NULL;
	r->read_fail = (struct core_read_fail){0};
	r->fp = (struct core_fp_job){.fd = -1}; // never started, never joined
	r->cache = (struct core_page_cache){0};
	if (core->cache.pages) {
		size_t nsets = core->cache.nsets < READER_CACHE_SETS ? core->cache.nsets
								     : READER_CACHE_SETS;
		core_cache_init_sets(&r->cache, nsets);
		if (!r->cache.pages) {
			free(r);
			return NULL;
		}
	}
	return r;
}

void core_reader_close(struct core_file *core, struct core_file *reader)
{
	if (!reader)
		return;
	if (reader->read_fail.errnum && !core->read_fail.errnum)
		core->read_fail = reader->read_fail;
	core_cache_deinit(&reader->cache);
	free(reader);
}
