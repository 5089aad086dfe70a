// SPDX-License-Identifier: Apache-2.0
// fuzz-core.c: libFuzzer harness for core/: an ELF core image (raw or zstd)
// opened, its notes, threads and mappings read, memory read across segments,
// an executable overlaid.
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "core/testing.h"
#include "fuzz/fuzz.h"

/* True on success; an error is dropped (its message read first). */
static bool ok(struct util_error *err)
{
	if (!err)
		return true;
	fold(err->message, strlen(err->message));
	util_error_destroy(err);
	return false;
}

/* Read around ADDR every way core/ offers, then follow the word found there
 * once: real cores are full of pointers into their own segments. */
static void probe(struct core_file *core, uint64_t addr, int depth)
{
	uint8_t buf[256];
	uint64_t v64 = 0;
	uint32_t v32;
	uint8_t v8;
	if (ok(core_read_u64(core, addr, &v64)))
		fold(&v64, sizeof(v64));
	else
		v64 = 0;
	if (ok(core_read_u32(core, addr + 4, &v32)))
		fold(&v32, sizeof(v32));
	if (ok(core_read_u8(core, addr - 1, &v8)))
		fold(&v8, 1);
	if (ok(core_read(core, addr & ~(uint64_t)0xfff, buf, sizeof(buf))))
		fold(buf, sizeof(buf));
	// A read across a page boundary and maybe a segment end.
	if (ok(core_read_once(core, (addr | 0xfff) - 63, buf, 128)))
		fold(buf, 128);
	sink += core_readable(core, addr, 4096);
	if (depth < 2 && v64)
		probe(core, v64, depth + 1);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	// Two sets of four pages: cheap to set up, and inputs evict.
	core_cache_test_sets = 2;
	char path[64];
	int fd = fuzz_memfd("fuzz-core", data, size, path, sizeof(path));
	if (fd < 0)
		return 0;
	struct core_file *core = NULL;
	struct util_error *err = core_open(path, &core);
	if (!ok(err)) {
		close(fd);
		return 0;
	}
	const struct core_info *info = core_info(core);
	if (info->fname)
		fold(info->fname, strlen(info->fname));
	if (info->psargs)
		fold(info->psargs, strlen(info->psargs));
	fold(&info->auxv_entry, sizeof(info->auxv_entry));
	const char *exe = core_exe_path(core);
	if (exe)
		fold(exe, strlen(exe));

	size_t nthreads = core_num_threads(core);
	for (size_t i = 0; i < nthreads; i++) {
		const struct core_thread *t = core_thread(core, i);
		fold(&t->regs, sizeof(t->regs));
		if (i < 8) {
			probe(core, t->regs.rsp, 0);
			probe(core, t->regs.rip, 0);
			probe(core, t->regs.fs_base - 8, 0);
		}
	}
	size_t nmaps = core_num_mappings(core);
	for (size_t i = 0; i < nmaps; i++) {
		const struct core_mapping *m = core_mapping(core, i);
		fold(m->path, strlen(m->path));
		if (i < 16) {
			probe(core, m->start, 0);
			probe(core, m->end - 8, 0);
			probe(core, m->start + (m->end - m->start) / 2, 0);
		}
	}
	// Addresses from the input itself: words at a stride through the image,
	// as a walk would find pointers in the segments' bytes.
	size_t stride = size / 64 > 8 ? (size / 64) & ~(size_t)7 : 8;
	for (size_t off = 0; off + 8 <= size; off += stride) {
		uint64_t a;
		memcpy(&a, data + off, 8);
		probe(core, a, 1);
	}
	// A goroutine stack as the walk reads it: once, then pinned.
	if (nthreads) {
		uint64_t sp = core_thread(core, 0)->regs.rsp;
		static uint8_t stack[8192];
		if (ok(core_read_once(core, sp, stack, sizeof(stack)))) {
			core_pin(core, sp, sizeof(stack), stack);
			probe(core, sp + 64, 0);
			core_unpin(core);
		}
	}
	// The executable overlay (core/exe.c), with this program standing in for
	// the executable: the build-id checks against the core's notes and first
	// page refuse it, then it is forced and read through.
	if (ok(core_attach_exe(core, "/proc/self/exe", false)) ||
	    ok(core_attach_exe(core, "/proc/self/exe", true))) {
		const char *id = core_exe_build_id(core);
		if (id)
			fold(id, strlen(id));
		probe(core, info->auxv_entry, 1);
		probe(core, info->auxv_phdr, 1);
	}
	core_release_pages(core);
	const char *id = core_sha256(core);
	if (id)
		fold(id, strlen(id));
	// --keep-core's copy, at the fastest level; only for small images and
	// one input in eight (chosen by its last byte): its compression
	// context's large allocations were two thirds of the harness's time
	// under ASan, and the copy's code is the same for every input.
	if (size <= 1 << 16 && size && (data[size - 1] & 7) == 0) {
		void *z = NULL;
		size_t zlen = 0;
		if (ok(core_zstd_image(core, 1, &z, &zlen))) {
			fold(z, zlen < 64 ? zlen : 64);
			free(z);
		}
	}
	core_destroy(core);
	close(fd);
	return 0;
}
