// SPDX-License-Identifier: Apache-2.0
// test-corestream.c: unit tests for core_open_streaming — a zstd-compressed
// core read while a thread decompresses it must read as core_open reads it:
// the same bytes, threads, mappings, size and fingerprint; the same errors,
// put off to core_wait_loaded; and no hang or leak when it is given up early.
// On corpus cores (a kernel core, its notes first; a gcore core, its notes
// last), with the stream slowed down so that reads wait for it.
#include <elf.h>
#include <fcntl.h>
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <zstd.h>

#include "core/core.h"
#include "core/testing.h" /* core_stream_test_hook */

static char tmpdir[256];

static const char *corpus_path(const char *name, char *out, size_t outsz)
{
	const char *env = getenv("GOCORONER_CORPUS");
	const char *srcdir = getenv("srcdir");
	if (env && *env)
		snprintf(out, outsz, "%s/cores/%s", env, name);
	else
		snprintf(out, outsz, "%s/corpus/cores/%s", srcdir ? srcdir : TOP_SRCDIR, name);
	return out;
}

struct buf {
	uint8_t *p;
	size_t len;
};

static struct buf read_all(const char *path)
{
	struct buf b = {0};
	FILE *f = fopen(path, "rb");
	if (!f)
		return b;
	size_t cap = 1 << 20;
	b.p = malloc(cap);
	assert_non_null(b.p);
	size_t n;
	while ((n = fread(b.p + b.len, 1, cap - b.len, f)) > 0) {
		b.len += n;
		if (b.len == cap) {
			cap *= 2;
			b.p = realloc(b.p, cap);
			assert_non_null(b.p);
		}
	}
	fclose(f);
	return b;
}

static struct buf decompress(const struct buf *z)
{
	unsigned long long size = ZSTD_getFrameContentSize(z->p, z->len);
	assert_true(size != ZSTD_CONTENTSIZE_UNKNOWN && size != ZSTD_CONTENTSIZE_ERROR);
	struct buf raw = {malloc(size), (size_t)size};
	assert_non_null(raw.p);
	assert_int_equal(ZSTD_decompress(raw.p, raw.len, z->p, z->len), raw.len);
	return raw;
}

static struct buf compress(const uint8_t *p, size_t len)
{
	struct buf z = {malloc(ZSTD_compressBound(len)), 0};
	assert_non_null(z.p);
	z.len = ZSTD_compress(z.p, ZSTD_compressBound(len), p, len, 1);
	assert_false(ZSTD_isError(z.len));
	return z;
}

static const char *write_tmp(const char *name, const void *p, size_t len)
{
	static char paths[4][512];
	static int next;
	char *path = paths[next++ % 4];
	snprintf(path, 512, "%s/%s", tmpdir, name);
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(p, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
	return path;
}

/* The stream, slowed down: about 0.3 ms per MiB, so that reads overtake it. */
static uint64_t published_calls;
static void slow_stream(uint64_t pages)
{
	(void)pages;
	__atomic_add_fetch(&published_calls, 1, __ATOMIC_RELAXED);
	struct timespec t = {0, 300 * 1000};
	nanosleep(&t, NULL);
}

static struct core_file *open_streaming(const char *path)
{
	struct core_file *core = NULL;
	struct util_error *err = core_open_streaming(path, &core);
	if (err)
		fail_msg("%s", err->message);
	return core;
}

/** Each PT_LOAD's file bytes of the raw core RAW, read through A and B alike. */
static void compare_memory(const struct buf *raw, struct core_file *a, struct core_file *b)
{
	const Elf64_Ehdr *eh = (const void *)raw->p;
	const Elf64_Phdr *ph = (const void *)(raw->p + eh->e_phoff);
	static uint8_t x[1 << 16], y[1 << 16];
	size_t segments = 0;
	for (size_t i = 0; i < eh->e_phnum; i++) {
		if (ph[i].p_type != PT_LOAD || !ph[i].p_filesz)
			continue;
		segments++;
		for (uint64_t off = 0; off < ph[i].p_filesz; off += sizeof(x)) {
			size_t n = ph[i].p_filesz - off < sizeof(x) ? ph[i].p_filesz - off : sizeof(x);
			assert_null(core_read(b, ph[i].p_vaddr + off, y, n)); // b first: it waits
			assert_null(core_read(a, ph[i].p_vaddr + off, x, n));
			if (memcmp(x, y, n) != 0)
				fail_msg("segment %zu: bytes at 0x%" PRIx64 " differ", i,
					 (uint64_t)(ph[i].p_vaddr + off));
		}
	}
	assert_true(segments > 3);
}

/* A corpus core read streaming, against core_open of the same file. */
static void check_same(const char *name, bool notes_first)
{
	char path[1024];
	corpus_path(name, path, sizeof(path));
	struct buf z = read_all(path);
	if (!z.p)
		skip();
	struct buf raw = decompress(&z);
	const Elf64_Ehdr *eh = (const void *)raw.p;
	const Elf64_Phdr *ph = (const void *)(raw.p + eh->e_phoff);
	uint64_t notes_off = 0;
	for (size_t i = 0; i < eh->e_phnum; i++)
		if (ph[i].p_type == PT_NOTE)
			notes_off = ph[i].p_offset;
	assert_int_equal(notes_off < (1 << 20), notes_first); // what the case is about

	struct core_file *a = NULL;
	assert_null(core_open(path, &a));
	published_calls = 0;
	core_stream_test_hook = slow_stream;
	struct core_file *b = open_streaming(path);
	// Notes first: back before the stream's end, its size a bound till then.
	if (notes_first)
		assert_true(core_info(b)->file_size > raw.len);
	assert_int_equal(core_num_threads(a), core_num_threads(b));
	for (size_t i = 0; i < core_num_threads(a); i++)
		assert_memory_equal(core_thread(a, i), core_thread(b, i), sizeof(struct core_thread));
	assert_int_equal(core_num_mappings(a), core_num_mappings(b));
	for (size_t i = 0; i < core_num_mappings(a); i++) {
		assert_int_equal(core_mapping(a, i)->start, core_mapping(b, i)->start);
		assert_string_equal(core_mapping(a, i)->path, core_mapping(b, i)->path);
	}
	assert_int_equal(core_info(a)->pid, core_info(b)->pid);
	assert_int_equal(core_info(a)->kind, core_info(b)->kind);
	assert_string_equal(core_exe_path(a), core_exe_path(b));
	compare_memory(&raw, a, b);
	assert_null(core_wait_loaded(b));
	core_stream_test_hook = NULL;
	assert_true(published_calls > 0);
	assert_int_equal(core_info(b)->file_size, raw.len);
	assert_int_equal(core_loaded_size(b), raw.len);
	assert_string_equal(core_sha256(a), core_sha256(b));
	assert_null(core_read_error(b));
	core_destroy(a);
	core_destroy(b);
	free(raw.p);
	free(z.p);
}

static void test_kernel_core(void **state)
{
	(void)state;
	check_same("diag-go1.27-opt-kernel.core.zst", true);
}

static void test_gcore_core(void **state)
{
	(void)state;
	check_same("diag-go1.27-opt-gcore.core.zst", false);
}

/** ERR names WANT; consumed. */
static void assert_error(struct util_error *err, const char *want)
{
	assert_non_null(err);
	if (!strstr(err->message, want))
		fail_msg("error '%s' does not say '%s'", err->message, want);
	util_error_destroy(err);
}

/*
 * A core cut inside a segment, and a stream cut short: core_open refuses
 * them; streaming, the same error comes from core_wait_loaded and
 * core_read_error, the reads past the cut give zeros, and there is no
 * fingerprint (so no incident).
 */
static void test_errors_put_off(void **state)
{
	(void)state;
	char path[1024];
	struct buf z = read_all(corpus_path("diag-go1.27-opt-kernel.core.zst", path, sizeof(path)));
	if (!z.p)
		skip();
	struct buf raw = decompress(&z);

	struct buf cut = compress(raw.p, raw.len * 3 / 5);
	const char *cut_path = write_tmp("cut-segment.core.zst", cut.p, cut.len);
	struct buf half = {z.p, z.len * 3 / 5};
	const char *half_path = write_tmp("cut-stream.core.zst", half.p, half.len);
	const char *cases[][2] = {{cut_path, "truncated: segment"},
				  {half_path, "truncated zstd stream"}};
	for (size_t i = 0; i < 2; i++) {
		struct core_file *core = NULL;
		assert_error(core_open(cases[i][0], &core), cases[i][1]);
		assert_null(core);
		core = open_streaming(cases[i][0]);
		uint8_t page[4096];
		const Elf64_Ehdr *eh = (const void *)raw.p;
		const Elf64_Phdr *ph = (const void *)(raw.p + eh->e_phoff);
		for (size_t k = 0; k < eh->e_phnum; k++) // the last segment is past the cut
			if (ph[k].p_type == PT_LOAD && ph[k].p_filesz >= sizeof(page) &&
			    ph[k].p_offset > raw.len * 3 / 5)
				(void)core_read(core, ph[k].p_vaddr, page, sizeof(page));
		assert_error(core_wait_loaded(core), cases[i][1]);
		assert_error(core_wait_loaded(core), cases[i][1]); // asked again: the same
		assert_error(core_read_error(core), cases[i][1]);
		if (i == 1) // a stream cut short has no fingerprint
			assert_null(core_sha256(core));
		core_destroy(core);
	}
	free(cut.p);
	free(raw.p);
	free(z.p);
}

/* Given up while its thread decompresses: stopped and freed, no hang. */
static void test_destroy_early(void **state)
{
	(void)state;
	char path[1024];
	corpus_path("diag-go1.27-opt-kernel.core.zst", path, sizeof(path));
	if (access(path, R_OK) != 0)
		skip();
	core_stream_test_hook = slow_stream;
	struct core_file *core = open_streaming(path);
	core_destroy(core);
	core_stream_test_hook = NULL;
}

/* A short core (under a MiB) is loaded whole, as core_open does: no stream left. */
static void test_short_core(void **state)
{
	(void)state;
	char path[1024];
	struct buf z = read_all(corpus_path("diag-go1.27-opt-kernel.core.zst", path, sizeof(path)));
	if (!z.p)
		skip();
	struct buf raw = decompress(&z);
	// Its headers and notes only, and a PT_LOAD cut: refused at once.
	struct buf small = compress(raw.p, 64 * 1024);
	const char *p = write_tmp("short.core.zst", small.p, small.len);
	struct core_file *core = NULL;
	struct util_error *err = core_open_streaming(p, &core);
	assert_null(core);
	assert_error(err, "truncated");
	free(small.p);
	free(raw.p);
	free(z.p);
}

int main(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/test-corestream.XXXXXX");
	if (!mkdtemp(tmpdir))
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kernel_core),
		cmocka_unit_test(test_gcore_core),
		cmocka_unit_test(test_errors_put_off),
		cmocka_unit_test(test_destroy_early),
		cmocka_unit_test(test_short_core),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	char cmd[300];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	if (system(cmd) != 0)
		rc = rc ? rc : 1;
	return rc;
}
