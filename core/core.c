// SPDX-License-Identifier: Apache-2.0
// core.c: opening and closing a core, and its accessors.
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/internal.h"

#define ZSTD_FRAME_MAGIC 0xFD2FB528u
#define ZSTD_SKIPPABLE_MAGIC 0x184D2A50u /* low 4 bits vary */

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
	util_strtab_init(&core->strings);
	util_u64map_init(&core->pages);
	return core;
}

void core_destroy(struct core_file *core)
{
	if (!core)
		return;
	core_fp_thread_stop(core);
	if (core->map)
		munmap((void *)core->map, core->file_size);
	if (core->fd >= 0)
		close(core->fd);
	if (core->exe_map)
		munmap(core->exe_map, core->exe_size);
	core_cache_deinit(&core->cache);
	util_u64map_deinit(&core->pages);
	for (size_t i = 0; i < core->page_store.nchunks; i++)
		munmap(core->page_store.chunks[i], CORE_PAGE_CHUNK);
	free(core->page_store.chunks);
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
	int fd;
	err = util_open_regular(path, "the core", &fd);
	if (err)
		goto fail;
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
		core_cache_init(&core->cache, CORE_CACHE_SETS);
	}
	core->info.file_size = core->file_size;
	core->info.mtime = (int64_t)st.st_mtime;
	core->src_size = (uint64_t)st.st_size;
	core->src_mtim = st.st_mtim;
	err = core_elf_parse(core);
	// Headers that a failed read turned into zeros: say the read failed.
	struct util_error *read_err = core_read_error(core);
	if (read_err) {
		util_error_destroy(err);
		err = read_err;
	}
	if (err)
		goto fail;
	if (core->fd >= 0)
		core_fp_thread_start(core);
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
