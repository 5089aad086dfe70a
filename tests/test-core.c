// SPDX-License-Identifier: Apache-2.0
// test-core.c: unit tests for core/ — synthetic ELF cores (raw and zstd) built
// here, the executable overlay and build-id check, and real corpus cores.
#include <dirent.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <zstd.h>

#include "core/core.h"
#include "core/internal.h" /* struct core_span and its forms (span.c) */
#include "core/testing.h" /* core_fp_thread_hook, core_cache_test_sets */
#include "core/sha256.h"

#ifndef NT_FILE
#define NT_FILE 0x46494c45
#endif

static char tmpdir[64];

/* ---- Byte buffers -------------------------------------------------------- */

struct buf {
	uint8_t *p;
	size_t len, cap;
};

static void buf_reserve(struct buf *b, size_t n)
{
	if (b->len + n <= b->cap)
		return;
	size_t cap = b->cap ? b->cap : 4096;
	while (cap < b->len + n)
		cap *= 2;
	b->p = realloc(b->p, cap);
	assert_non_null(b->p);
	memset(b->p + b->cap, 0, cap - b->cap);
	b->cap = cap;
}

static void buf_put(struct buf *b, const void *d, size_t n)
{
	buf_reserve(b, n);
	memcpy(b->p + b->len, d, n);
	b->len += n;
}

/** Grow with zeros to offset OFF. */
static void buf_to(struct buf *b, size_t off)
{
	assert_true(off >= b->len);
	buf_reserve(b, off - b->len);
	memset(b->p + b->len, 0, off - b->len);
	b->len = off;
}

static void buf_align(struct buf *b, size_t align)
{
	buf_to(b, (b->len + align - 1) / align * align);
}

static void note(struct buf *b, const char *name, uint32_t type, const void *desc,
		 uint32_t descsz)
{
	// Go's linker writes its name as "Go\0\0" with namesz 4; do the same.
	bool go = strcmp(name, "Go") == 0;
	uint32_t hdr[3] = {go ? 4 : (uint32_t)strlen(name) + 1, descsz, type};
	buf_put(b, hdr, sizeof(hdr));
	buf_put(b, go ? "Go\0\0" : name, hdr[0]);
	buf_align(b, 4);
	buf_put(b, desc, descsz);
	buf_align(b, 4);
}

static char *tmp_path(const char *name)
{
	static char paths[8][256];
	static int next;
	char *p = paths[next++ % 8];
	snprintf(p, 256, "%s/%s", tmpdir, name);
	return p;
}

static void write_file(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	if (len)
		assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

/**
 * Compress DATA as NFRAMES concatenated zstd frames (as systemd-coredump may),
 * each declaring its size; NFRAMES 0: one frame that does not (as a pipe
 * into zstd gives).
 */
static struct buf zstd_frames(const uint8_t *data, size_t len, int nframes)
{
	struct buf out = {0};
	if (nframes == 0) {
		ZSTD_CCtx *cc = ZSTD_createCCtx();
		assert_non_null(cc);
		assert_false(ZSTD_isError(ZSTD_CCtx_setParameter(cc, ZSTD_c_contentSizeFlag, 0)));
		size_t bound = ZSTD_compressBound(len);
		buf_reserve(&out, bound);
		size_t r = ZSTD_compress2(cc, out.p, bound, data, len);
		assert_false(ZSTD_isError(r));
		assert_int_equal(ZSTD_getFrameContentSize(out.p, r), ZSTD_CONTENTSIZE_UNKNOWN);
		out.len = r;
		ZSTD_freeCCtx(cc);
		return out;
	}
	size_t per = (len + nframes - 1) / nframes;
	for (size_t off = 0; off < len; off += per) {
		size_t n = len - off < per ? len - off : per;
		size_t bound = ZSTD_compressBound(n);
		buf_reserve(&out, bound);
		size_t r = ZSTD_compress(out.p + out.len, bound, data + off, n, 3);
		assert_false(ZSTD_isError(r));
		out.len += r;
	}
	return out;
}

static void sha256_hex(const void *data, size_t len, char hex[65])
{
	struct sha256_ctx ctx;
	sha256_init(&ctx);
	sha256_update(&ctx, data, len);
	sha256_final_hex(&ctx, hex);
}

/** The fingerprint core_sha256 must give, computed here from its definition. */
static void fingerprint_hex(const uint8_t *data, size_t len, char hex[65])
{
	struct sha256_ctx ctx;
	sha256_init(&ctx);
	uint64_t size = len;
	sha256_update(&ctx, &size, 8); // little-endian, as the test host is
	for (uint64_t off = 0; off < len; off += 4096) {
		size_t n = len - off < 4096 ? len - off : 4096;
		size_t i = 0;
		while (i < n && data[off + i] == 0)
			i++;
		if (i == n)
			continue;
		sha256_update(&ctx, &off, 8);
		sha256_update(&ctx, data + off, n);
	}
	sha256_final_hex(&ctx, hex);
}

static bool all_zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return false;
	return true;
}

/** Write DATA leaving every all-zero 4 KiB page a hole; true if the file has holes. */
static bool write_sparse(const char *path, const uint8_t *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	for (size_t off = 0; off < len; off += 4096) {
		size_t n = len - off < 4096 ? len - off : 4096;
		if (!all_zero(data + off, n))
			assert_int_equal(pwrite(fd, data + off, n, (off_t)off), (ssize_t)n);
	}
	assert_int_equal(ftruncate(fd, (off_t)len), 0);
	assert_int_equal(close(fd), 0);
	fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	off_t hole = lseek(fd, 0, SEEK_HOLE);
	close(fd);
	return hole >= 0 && (size_t)hole < len;
}

/** Fingerprint of the core at PATH through core_open, copied to HEX. */
static void core_fingerprint(const char *path, char hex[65])
{
	struct core_file *core = NULL;
	struct util_error *err = core_open(path, &core);
	if (err)
		fail_msg("core_open %s: %s", path, err->message);
	const char *fp = core_sha256(core);
	assert_non_null(fp);
	assert_int_equal(strlen(fp), 64);
	snprintf(hex, 65, "%s", fp);
	core_destroy(core);
}

/* ---- A synthetic executable ---------------------------------------------- */

#define EXE_BASE 0x400000u
#define EXE_SIZE 0x3000u
#define EXE_ENTRY 0x401000u
#define GO_ID_OK "synthAction/synthContent"
#define GO_ID_BAD "otherAction/otherContent"

static uint8_t exe_byte(uint64_t addr)
{
	return (uint8_t)((addr ^ 0x5a) + (addr >> 9));
}

/** make_exe makes a position-independent executable (ET_DYN linked at 0), which
 * the synthetic core has loaded at EXE_BASE: a load bias of EXE_BASE. */
static bool synth_pie;

/**
 * An ET_EXEC x86-64 file: one PT_LOAD of EXE_SIZE bytes at EXE_BASE and a
 * PT_NOTE at offset 0x200 with a Go and a GNU build id. No section headers.
 * With synth_pie, ET_DYN with the same contents linked at 0.
 */
static uint16_t exe_machine = EM_X86_64; /**< make_exe's e_machine */

static struct buf make_exe(const char *go_id, uint8_t gnu_last)
{
	struct buf b = {0};
	buf_to(&b, EXE_SIZE);
	for (uint64_t off = 0x1000; off < EXE_SIZE; off++)
		b.p[off] = exe_byte(EXE_BASE + off);
	struct buf notes = {0};
	note(&notes, "Go", 4, go_id, (uint32_t)strlen(go_id));
	uint8_t gnu[20];
	for (int i = 0; i < 20; i++)
		gnu[i] = (uint8_t)(0x10 + i);
	gnu[19] = gnu_last;
	note(&notes, "GNU", NT_GNU_BUILD_ID, gnu, sizeof(gnu));
	memcpy(b.p + 0x200, notes.p, notes.len);

	Elf64_Ehdr eh = {0};
	memcpy(eh.e_ident, ELFMAG, SELFMAG);
	eh.e_ident[EI_CLASS] = ELFCLASS64;
	eh.e_ident[EI_DATA] = ELFDATA2LSB;
	eh.e_ident[EI_VERSION] = EV_CURRENT;
	eh.e_type = synth_pie ? ET_DYN : ET_EXEC;
	eh.e_machine = exe_machine;
	eh.e_version = EV_CURRENT;
	eh.e_entry = EXE_ENTRY;
	eh.e_phoff = sizeof(eh);
	eh.e_ehsize = sizeof(eh);
	eh.e_phentsize = sizeof(Elf64_Phdr);
	eh.e_phnum = 2;
	Elf64_Phdr ph[2] = {
		{.p_type = PT_LOAD, .p_flags = PF_R | PF_X, .p_offset = 0, .p_vaddr = EXE_BASE,
		 .p_paddr = EXE_BASE, .p_filesz = EXE_SIZE, .p_memsz = EXE_SIZE, .p_align = 0x1000},
		{.p_type = PT_NOTE, .p_flags = PF_R, .p_offset = 0x200, .p_vaddr = EXE_BASE + 0x200,
		 .p_paddr = EXE_BASE + 0x200, .p_filesz = notes.len, .p_memsz = notes.len,
		 .p_align = 4},
	};
	if (synth_pie) {
		eh.e_entry -= EXE_BASE;
		for (int i = 0; i < 2; i++)
			ph[i].p_vaddr = ph[i].p_paddr = ph[i].p_vaddr - EXE_BASE;
	}
	memcpy(b.p, &eh, sizeof(eh));
	memcpy(b.p + sizeof(eh), ph, sizeof(ph));
	free(notes.p);
	return b;
}

/* ---- A synthetic core ---------------------------------------------------- */

/** Contents of the synthetic core's anonymous memory (never zero... mostly). */
static uint8_t mem_byte(uint64_t addr)
{
	return (uint8_t)(addr * 131 + (addr >> 8) + 1) | 1;
}

struct core_opts {
	bool corrupt_note;   /**< a note whose descsz runs past the segment */
	bool no_exe_page;    /**< the executable's first page is not dumped */
	bool sections;       /**< add section headers, as gdb's gcore does */
	bool unaligned;      /**< segment data at odd file offsets, as gcore writes */
	bool exec_type;      /**< e_type ET_EXEC instead of ET_CORE */
	bool no_auxv_entry;  /**< NT_AUXV without AT_ENTRY (AT_PHDR only) */
};

struct seg_spec {
	uint64_t vaddr, filesz, memsz;
};

enum { NSEGS = 4 };

/*
 * Segments: the executable's first page (text, memsz 3 pages); anonymous
 * memory at 0x10000 (3 pages, the middle one all zeros) directly followed by
 * 0x13000 (1 page); and 0x20000 with only 0x800 of 0x2000 bytes dumped.
 */
static struct buf make_core(const struct core_opts *o, const struct buf *exe)
{
	const struct seg_spec segs[NSEGS] = {
		{EXE_BASE, o->no_exe_page ? 0 : 0x1000, EXE_SIZE},
		{0x10000, 0x3000, 0x3000},
		{0x13000, 0x1000, 0x1000},
		{0x20000, 0x800, 0x2000},
	};
	struct buf notes = {0};
	uint8_t prstatus[336] = {0};
	uint32_t tid = 101;
	int16_t sig = 6;
	uint64_t rip = 0x401234, rsp = 0x10010;
	memcpy(prstatus + 12, &sig, 2);
	memcpy(prstatus + 32, &tid, 4);
	memcpy(prstatus + 112 + 16 * 8, &rip, 8);
	memcpy(prstatus + 112 + 19 * 8, &rsp, 8);
	note(&notes, "CORE", NT_PRSTATUS, prstatus, sizeof(prstatus));
	uint8_t xstate[64];
	memset(xstate, 0xee, sizeof(xstate));
	note(&notes, "LINUX", 0x202, xstate, sizeof(xstate)); // skipped: not "CORE"
	tid = 102;
	sig = 0;
	rip = EXE_ENTRY;
	memcpy(prstatus + 12, &sig, 2);
	memcpy(prstatus + 32, &tid, 4);
	memcpy(prstatus + 112 + 16 * 8, &rip, 8);
	note(&notes, "CORE", NT_PRSTATUS, prstatus, sizeof(prstatus));

	uint8_t psinfo[136] = {0};
	int32_t pid = 100;
	memcpy(psinfo + 24, &pid, 4);
	memcpy(psinfo + 40, "synth", 5);
	memcpy(psinfo + 56, "synth -x ", 9);
	note(&notes, "CORE", NT_PRPSINFO, psinfo, sizeof(psinfo));

	uint64_t auxv[] = {AT_PHDR, EXE_BASE + 0x40, AT_ENTRY, EXE_ENTRY, AT_NULL, 0};
	if (o->no_auxv_entry)
		auxv[2] = AT_NULL, auxv[3] = 0;
	note(&notes, "CORE", NT_AUXV, auxv, sizeof(auxv));

	// NT_FILE: the library first, so "first mapping at offset 0" would be wrong.
	struct buf nf = {0};
	uint64_t head[] = {2, 4096, 0x500000, 0x501000, 0, EXE_BASE, EXE_BASE + EXE_SIZE, 0};
	buf_put(&nf, head, sizeof(head));
	buf_put(&nf, "/lib/libother.so", 17);
	buf_put(&nf, "/usr/bin/synth", 15);
	if (o->corrupt_note) {
		// Claims more than the whole note segment holds.
		uint32_t hdr[3] = {5, 0x100000, NT_FILE};
		buf_put(&notes, hdr, sizeof(hdr));
		buf_put(&notes, "CORE\0\0\0", 8);
		buf_put(&notes, nf.p, nf.len);
	} else {
		note(&notes, "CORE", NT_FILE, nf.p, (uint32_t)nf.len);
	}
	free(nf.p);

	struct buf b = {0};
	size_t phnum = 1 + NSEGS;
	size_t notes_off = sizeof(Elf64_Ehdr) + phnum * sizeof(Elf64_Phdr);
	buf_to(&b, notes_off);
	buf_put(&b, notes.p, notes.len);
	Elf64_Phdr ph[1 + NSEGS] = {{.p_type = PT_NOTE, .p_offset = notes_off,
				     .p_filesz = notes.len, .p_align = 4}};
	for (int i = 0; i < NSEGS; i++) {
		if (o->unaligned)
			buf_to(&b, b.len + 0x5f0 - b.len % 16);
		else
			buf_align(&b, 0x1000);
		ph[1 + i] = (Elf64_Phdr){.p_type = PT_LOAD, .p_flags = PF_R | PF_W,
					 .p_offset = b.len, .p_vaddr = segs[i].vaddr,
					 .p_filesz = segs[i].filesz, .p_memsz = segs[i].memsz,
					 .p_align = 0x1000};
		for (uint64_t a = segs[i].vaddr; a < segs[i].vaddr + segs[i].filesz; a++) {
			uint8_t v;
			if (i == 0)
				v = exe->p[a - EXE_BASE];
			else if (a >= 0x11000 && a < 0x12000)
				v = 0;
			else
				v = mem_byte(a);
			buf_put(&b, &v, 1);
		}
	}
	Elf64_Ehdr eh = {0};
	memcpy(eh.e_ident, ELFMAG, SELFMAG);
	eh.e_ident[EI_CLASS] = ELFCLASS64;
	eh.e_ident[EI_DATA] = ELFDATA2LSB;
	eh.e_ident[EI_VERSION] = EV_CURRENT;
	eh.e_type = o->exec_type ? ET_EXEC : ET_CORE;
	eh.e_machine = EM_X86_64;
	eh.e_version = EV_CURRENT;
	eh.e_phoff = sizeof(eh);
	eh.e_ehsize = sizeof(eh);
	eh.e_phentsize = sizeof(Elf64_Phdr);
	eh.e_phnum = (uint16_t)phnum;
	if (o->sections) {
		// Two empty section headers at the end, like BFD's (minus names).
		buf_align(&b, 8);
		eh.e_shoff = b.len;
		eh.e_shentsize = sizeof(Elf64_Shdr);
		eh.e_shnum = 2;
		Elf64_Shdr sh[2] = {{0}};
		buf_put(&b, sh, sizeof(sh));
	}
	memcpy(b.p, &eh, sizeof(eh));
	memcpy(b.p + sizeof(eh), ph, sizeof(ph));
	free(notes.p);
	return b;
}

/** Write the standard synthetic core (raw) and the matching executable. */
static const char *write_synthetic(const char *name, const struct core_opts *o, bool zst,
				   int nframes)
{
	struct buf exe = make_exe(GO_ID_OK, 0x23);
	struct buf core = make_core(o, &exe);
	const char *path = tmp_path(name);
	if (zst) {
		struct buf z = zstd_frames(core.p, core.len, nframes);
		write_file(path, z.p, z.len);
		free(z.p);
	} else {
		write_file(path, core.p, core.len);
	}
	free(exe.p);
	free(core.p);
	return path;
}

static struct core_file *open_ok(const char *path)
{
	struct core_file *core = NULL;
	struct util_error *err = core_open(path, &core);
	if (err)
		fail_msg("core_open: %s", err->message);
	assert_non_null(core);
	return core;
}

static struct util_error *open_err(const char *path)
{
	struct core_file *core = NULL;
	struct util_error *err = core_open(path, &core);
	assert_non_null(err);
	assert_null(core);
	return err;
}

static void assert_fault(struct util_error *err, uint64_t addr)
{
	assert_non_null(err);
	assert_int_equal(err->code, UTIL_ERROR_FAULT);
	assert_int_equal(err->address, addr);
	util_error_destroy(err);
}

/** Everything the synthetic core says, whichever way it was stored. */
static void check_synthetic(struct core_file *core, enum core_kind kind)
{
	const struct core_info *info = core_info(core);
	assert_int_equal(info->pid, 100);
	assert_int_equal(info->signal, 6);
	assert_string_equal(info->fname, "synth");
	assert_string_equal(info->psargs, "synth -x");
	assert_int_equal(info->auxv_entry, EXE_ENTRY);
	assert_int_equal(info->auxv_phdr, EXE_BASE + 0x40);
	assert_int_equal(info->kind, kind);

	assert_int_equal(core_num_threads(core), 2);
	assert_int_equal(core_thread(core, 0)->tid, 101);
	assert_int_equal(core_thread(core, 0)->cursig, 6);
	assert_int_equal(core_thread(core, 0)->regs.rip, 0x401234);
	assert_int_equal(core_thread(core, 0)->regs.rsp, 0x10010);
	assert_int_equal(core_thread(core, 1)->tid, 102);
	assert_int_equal(core_thread(core, 1)->regs.rip, EXE_ENTRY);
	assert_null(core_thread(core, 2));

	assert_int_equal(core_num_mappings(core), 2);
	assert_string_equal(core_mapping(core, 0)->path, "/lib/libother.so");
	assert_int_equal(core_mapping(core, 1)->start, EXE_BASE);
	assert_int_equal(core_mapping(core, 1)->end, EXE_BASE + EXE_SIZE);
	assert_null(core_mapping(core, 2));
	assert_string_equal(core_exe_path(core), "/usr/bin/synth");
	assert_string_equal(core_exe_build_id(core), "");

	// Plain reads, including the all-zero page and a read across segments.
	uint8_t buf[0x3000];
	assert_null(core_read(core, 0x10000, buf, 0x3000));
	for (uint64_t a = 0x10000; a < 0x13000; a++)
		assert_int_equal(buf[a - 0x10000], (a >= 0x11000 && a < 0x12000) ? 0 : mem_byte(a));
	assert_null(core_read(core, 0x12ff0, buf, 0x20));
	for (uint64_t a = 0x12ff0; a < 0x13010; a++)
		assert_int_equal(buf[a - 0x12ff0], mem_byte(a));
	uint64_t v64;
	uint32_t v32;
	uint8_t v8;
	assert_null(core_read_u64(core, 0x13008, &v64));
	assert_int_equal(v64 & 0xff, mem_byte(0x13008));
	assert_null(core_read_u32(core, 0x207fc, &v32));
	assert_int_equal(v32 >> 24, mem_byte(0x207ff));
	assert_null(core_read_u8(core, 0x11800, &v8));
	assert_int_equal(v8, 0);
	assert_null(core_read(core, EXE_BASE, buf, 4));
	assert_memory_equal(buf, ELFMAG, 4);

	// Faults carry the first missing address and leave outputs alone.
	v64 = 42;
	assert_fault(core_read_u64(core, 0x5000, &v64), 0x5000);
	assert_int_equal(v64, 42);
	assert_fault(core_read(core, 0x207f8, buf, 16), 0x20800);   // filesz < memsz
	assert_fault(core_read_u8(core, 0x21fff, &v8), 0x21fff);
	assert_fault(core_read(core, 0x13ff8, buf, 16), 0x14000);   // past the last byte
	assert_fault(core_read(core, EXE_ENTRY, buf, 8), EXE_ENTRY); // no overlay yet
	assert_fault(core_read_u64(core, UINT64_MAX - 3, &v64), UINT64_MAX - 3);
	assert_true(core_readable(core, 0x10000, 0x4000));
	assert_false(core_readable(core, 0x10000, 0x4001));
	assert_false(core_readable(core, 0x20000, 0x801));
	assert_true(core_readable(core, 0x20000, 0x800));
	// After a fault the fast path must still answer correctly.
	assert_null(core_read_u64(core, 0x10008, &v64));
	assert_int_equal(v64 & 0xff, mem_byte(0x10008));
}

/* ---- Tests --------------------------------------------------------------- */

/* The implementations this CPU runs: portable always, SHA-NI if it has it. */
static size_t sha256_impls(enum sha256_impl out[2])
{
	size_t n = 0;
	out[n++] = SHA256_IMPL_PORTABLE;
	if (sha256_impl_available(SHA256_IMPL_SHANI))
		out[n++] = SHA256_IMPL_SHANI;
	else
		print_message("no SHA-NI on this CPU: testing the portable SHA-256 only\n");
	return n;
}

static const char *impl_name(enum sha256_impl impl)
{
	return impl == SHA256_IMPL_SHANI ? "sha-ni" : impl == SHA256_IMPL_PORTABLE ? "portable" : "auto";
}

static void sha256_hex_impl(enum sha256_impl impl, const void *data, size_t len, char hex[65])
{
	struct sha256_ctx ctx;
	sha256_init_impl(&ctx, impl);
	sha256_update(&ctx, data, len);
	sha256_final_hex(&ctx, hex);
}

static void test_sha256_vectors(void **state)
{
	// FIPS 180-4 examples (NIST CSRC "SHA256.pdf", "SHA2_Additional.pdf").
	static const struct {
		const char *msg, *digest;
	} vec[] = {
		{"", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
		{"abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
		{"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
		 "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"},
		{"abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnop"
		 "jklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu",
		 "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1"},
	};
	enum sha256_impl impl[2];
	size_t nimpl = sha256_impls(impl);
	for (size_t k = 0; k < nimpl; k++) {
		char hex[65];
		for (size_t v = 0; v < sizeof(vec) / sizeof(vec[0]); v++) {
			sha256_hex_impl(impl[k], vec[v].msg, strlen(vec[v].msg), hex);
			if (strcmp(hex, vec[v].digest) != 0)
				fail_msg("%s: vector %zu: %s, want %s", impl_name(impl[k]), v, hex,
					 vec[v].digest);
		}
		// One million 'a', fed in odd-sized pieces to exercise the block buffer.
		struct sha256_ctx ctx;
		sha256_init_impl(&ctx, impl[k]);
		char a[997];
		memset(a, 'a', sizeof(a));
		size_t left = 1000000;
		for (size_t n = 1; left; n = (n * 7 + 3) % sizeof(a) + 1) {
			size_t c = n < left ? n : left;
			sha256_update(&ctx, a, c);
			left -= c;
		}
		sha256_final_hex(&ctx, hex);
		assert_string_equal(hex,
				    "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
	}
	// The default is the fastest there is; sha256_hex goes through it.
	assert_int_equal(sha256_current_impl(), impl[nimpl - 1]);
	char hex[65];
	sha256_hex("abc", 3, hex);
	assert_string_equal(hex, vec[1].digest);
}

static uint64_t xorshift(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/** Random bytes of every length, misaligned, whole or in random pieces: same digests. */
static void test_sha256_impls_agree(void **state)
{
	enum sha256_impl impl[2];
	if (sha256_impls(impl) < 2) {
		skip();
		return;
	}
	uint64_t seed = (uint64_t)time(NULL) * 0x9e3779b97f4a7c15u | 1;
	print_message("seed %" PRIu64 "\n", seed);
	uint64_t rng = seed;
	enum { MAX = 3 << 20 };
	uint8_t *data = malloc(MAX + 16);
	assert_non_null(data);
	for (size_t i = 0; i < MAX + 16; i++)
		data[i] = (uint8_t)(xorshift(&rng) >> 32);
	// Every length through several blocks, then some large ones.
	size_t lens[4200 + 8];
	size_t nlens = 0;
	for (size_t len = 0; len < 4200; len++)
		lens[nlens++] = len;
	const size_t big[] = {8191, 8192, 8200, 65536 + 55, 1 << 20, (1 << 20) + 63,
			      MAX - 1, MAX};
	for (size_t i = 0; i < sizeof(big) / sizeof(big[0]); i++)
		lens[nlens++] = big[i];
	for (size_t i = 0; i < nlens; i++) {
		size_t len = lens[i];
		const uint8_t *p = data + (len & 15); // every alignment
		char want[65], got[65];
		sha256_hex_impl(SHA256_IMPL_PORTABLE, p, len, want);
		sha256_hex_impl(SHA256_IMPL_SHANI, p, len, got);
		if (strcmp(want, got) != 0)
			fail_msg("length %zu: portable %s, sha-ni %s (seed %" PRIu64 ")", len,
				 want, got, seed);
		if (len % 97 != 0 && len < 4200)
			continue;
		// The same bytes in random pieces through one context, the other whole.
		struct sha256_ctx ctx;
		sha256_init_impl(&ctx, SHA256_IMPL_SHANI);
		for (size_t off = 0; off < len;) {
			size_t n = (size_t)(xorshift(&rng) % 300);
			if (n > len - off)
				n = len - off;
			sha256_update(&ctx, p + off, n);
			off += n;
		}
		sha256_final_hex(&ctx, got);
		if (strcmp(want, got) != 0)
			fail_msg("length %zu in pieces: portable %s, sha-ni %s (seed %" PRIu64 ")",
				 len, want, got, seed);
	}
	free(data);
}

/** The internal switch: sha256_init, and so core_sha256, on the portable code. */
static void test_sha256_force_portable(void **state)
{
	struct sha256_ctx a, b;
	assert_true(sha256_set_impl(SHA256_IMPL_PORTABLE));
	assert_int_equal(sha256_current_impl(), SHA256_IMPL_PORTABLE);
	sha256_init(&a);
	sha256_init_impl(&b, SHA256_IMPL_PORTABLE);
	assert_ptr_equal(a.blocks, b.blocks);
	if (sha256_impl_available(SHA256_IMPL_SHANI)) {
		sha256_init_impl(&b, SHA256_IMPL_SHANI);
		assert_ptr_not_equal(a.blocks, b.blocks);
		assert_true(sha256_set_impl(SHA256_IMPL_SHANI));
		sha256_init(&a);
		assert_ptr_equal(a.blocks, b.blocks);
	} else {
		assert_false(sha256_set_impl(SHA256_IMPL_SHANI));
		assert_int_equal(sha256_current_impl(), SHA256_IMPL_PORTABLE);
	}
	assert_true(sha256_set_impl(SHA256_IMPL_AUTO));
	assert_int_equal(sha256_current_impl(), sha256_impl_available(SHA256_IMPL_SHANI)
							? SHA256_IMPL_SHANI
							: SHA256_IMPL_PORTABLE);
}

static int force_portable(void **state)
{
	return sha256_set_impl(SHA256_IMPL_PORTABLE) ? 0 : -1;
}

static int restore_impl(void **state)
{
	return sha256_set_impl(SHA256_IMPL_AUTO) ? 0 : -1;
}

static void test_raw(void **state)
{
	struct core_opts o = {0};
	const char *path = write_synthetic("raw.core", &o, false, 1);
	struct core_file *core = open_ok(path);
	check_synthetic(core, CORE_KIND_KERNEL);
	assert_false(core_info(core)->compressed);
	assert_string_equal(core_path(core), path);

	struct buf exe = make_exe(GO_ID_OK, 0x23);
	struct buf raw = make_core(&o, &exe);
	char hex[65], plain[65];
	fingerprint_hex(raw.p, raw.len, hex);
	sha256_hex(raw.p, raw.len, plain);
	assert_string_not_equal(hex, plain); // a fingerprint, not the file's sha256sum
	assert_int_equal(core_info(core)->file_size, raw.len);
	assert_string_equal(core_sha256(core), hex);
	assert_string_equal(core_sha256(core), hex); // cached
	// Read through the page cache: no page of the mapping to let go of.
	unsigned statm = core_trim_test_statm;
	core_release_pages(core);
	assert_int_equal(core_trim_test_statm, statm);
	free(exe.p);
	free(raw.p);
	core_destroy(core);
	core_destroy(NULL);
}

static void test_zstd(void **state)
{
	struct core_opts o = {0};
	struct buf exe = make_exe(GO_ID_OK, 0x23);
	struct buf raw = make_core(&o, &exe);
	// One frame declaring its size (hashed while decompressed), one that
	// does not, three frames (the first declares a third: hashed after).
	for (int frames = 0; frames <= 3; frames += frames == 1 ? 2 : 1) {
		struct buf z = zstd_frames(raw.p, raw.len, frames);
		const char *path = tmp_path(frames == 0 ? "unsized.core.zst"
					    : frames == 1 ? "one.core.zst" : "three.core.zst");
		write_file(path, z.p, z.len);
		unsigned streamed = core_fp_test_streamed;
		struct core_file *core = open_ok(path);
		check_synthetic(core, CORE_KIND_KERNEL);
		assert_true(core_info(core)->compressed);
		assert_int_equal(core_info(core)->file_size, raw.len);
		char hex[65];
		fingerprint_hex(raw.p, raw.len, hex); // of the content, as for the raw core
		assert_string_equal(core_sha256(core), hex);
		assert_int_equal(core_fp_test_streamed - streamed, frames == 1);
		core_destroy(core);
		free(z.p);
	}
	free(exe.p);
	free(raw.p);
}

/* A zstd bomb: a frame declaring a petabyte is refused at once; a stream
 * without a declared size that goes past the limit (lowered to 2 MiB here)
 * is stopped there. Both say so, not some later build-id or ELF message. */
static void test_zstd_bomb(void **state)
{
	(void)state;
	// Magic; a single-segment frame with an 8-byte content size of 2^50;
	// one last RLE block of 4 zero bytes.
	static const uint8_t declared[] = {0x28, 0xb5, 0x2f, 0xfd, 0xe0, 0, 0, 0, 0, 0, 0, 4, 0,
					   0x23, 0, 0, 0};
	const char *path = tmp_path("declared.core.zst");
	write_file(path, declared, sizeof(declared));
	struct core_file *core = NULL;
	struct util_error *err = core_open(path, &core);
	assert_true(util_error_is(err, UTIL_ERROR_BAD_DATA));
	assert_non_null(strstr(err->message, "declared.core.zst: its zstd frame declares "
					     "1125899906842624 bytes, beyond the 1024 GiB"));
	util_error_destroy(err);

	size_t len = 8 << 20;
	uint8_t *zeros = calloc(1, len);
	assert_non_null(zeros);
	memcpy(zeros, "\177ELF", 4);
	ZSTD_CCtx *cc = ZSTD_createCCtx();
	assert_non_null(cc);
	assert_false(ZSTD_isError(ZSTD_CCtx_setParameter(cc, ZSTD_c_contentSizeFlag, 0)));
	size_t bound = ZSTD_compressBound(len);
	uint8_t *z = malloc(bound);
	assert_non_null(z);
	size_t zlen = ZSTD_compress2(cc, z, bound, zeros, len);
	assert_false(ZSTD_isError(zlen));
	ZSTD_freeCCtx(cc);
	path = tmp_path("stream.core.zst");
	write_file(path, z, zlen);
	core_zstd_test_max = 2 << 20;
	err = core_open(path, &core);
	core_zstd_test_max = 0;
	assert_true(util_error_is(err, UTIL_ERROR_BAD_DATA));
	assert_non_null(strstr(err->message, "stream.core.zst: decompresses beyond 2 MiB"));
	util_error_destroy(err);
	free(z);

	// Non-zero pages past the memory a compressed core may take here: a
	// limit with a way out, not the out-of-memory killer.
	Elf64_Ehdr eh = {.e_ident = {0x7f, 'E', 'L', 'F', ELFCLASS64, ELFDATA2LSB, EV_CURRENT},
			 .e_type = ET_CORE, .e_machine = EM_X86_64, .e_version = EV_CURRENT,
			 .e_ehsize = sizeof(Elf64_Ehdr), .e_phentsize = sizeof(Elf64_Phdr)};
	memcpy(zeros, &eh, sizeof(eh));
	memset(zeros + 4096, 0x5a, len - 4096);
	bound = ZSTD_compressBound(len);
	z = malloc(bound);
	assert_non_null(z);
	zlen = ZSTD_compress(z, bound, zeros, len, 1);
	assert_false(ZSTD_isError(zlen));
	path = tmp_path("memory.core.zst");
	write_file(path, z, zlen);
	core_zstd_test_mem = 1 << 20;
	err = core_open(path, &core);
	core_zstd_test_mem = 0;
	assert_true(util_error_is(err, UTIL_ERROR_BUDGET));
	assert_non_null(strstr(err->message, "memory.core.zst: its non-zero pages need more than"
					     " the 1 MiB of memory"));
	util_error_destroy(err);
	free(z);
	free(zeros);
}

/* The core to keep: a .zst core's own bytes, a raw core compressed (and
 * decompressing to it); a .zst core changed after core_open is refused. */
static void test_zstd_image(void **state)
{
	struct core_opts o = {0};
	struct buf exe = make_exe(GO_ID_OK, 0x23);
	struct buf raw = make_core(&o, &exe);
	const char *path = tmp_path("keep.core");
	write_file(path, raw.p, raw.len);
	struct core_file *core = open_ok(path);
	void *img = NULL;
	size_t len = 0;
	assert_null(core_zstd_image(core, 3, &img, &len));
	assert_true(len > 0 && len < raw.len);
	assert_int_equal(ZSTD_getFrameContentSize(img, len), raw.len);
	uint8_t *back = malloc(raw.len);
	assert_non_null(back);
	assert_int_equal(ZSTD_decompress(back, raw.len, img, len), raw.len);
	assert_memory_equal(back, raw.p, raw.len);
	free(back);
	free(img);
	core_destroy(core);

	struct buf z = zstd_frames(raw.p, raw.len, 3);
	path = tmp_path("keep.core.zst");
	write_file(path, z.p, z.len);
	core = open_ok(path);
	assert_null(core_zstd_image(core, 3, &img, &len));
	assert_int_equal(len, z.len);
	assert_memory_equal(img, z.p, z.len); // as given, all three frames
	free(img);
	// Another file in its place (one byte longer) is not the core analyzed.
	uint8_t *longer = malloc(z.len + 1);
	assert_non_null(longer);
	memcpy(longer, z.p, z.len);
	longer[z.len] = 0;
	write_file(path, longer, z.len + 1);
	img = NULL;
	struct util_error *err = core_zstd_image(core, 3, &img, &len);
	assert_true(util_error_is(err, UTIL_ERROR_BAD_DATA));
	assert_non_null(strstr(err->message, "changed"));
	assert_null(img);
	util_error_destroy(err);
	free(longer);
	core_destroy(core);
	free(z.p);
	free(exe.p);
	free(raw.p);
}

/** File offset of the PT_LOAD at VADDR in core image IMG. */
static size_t seg_offset(const struct buf *img, uint64_t vaddr)
{
	Elf64_Ehdr eh;
	memcpy(&eh, img->p, sizeof(eh));
	for (int i = 0; i < eh.e_phnum; i++) {
		Elf64_Phdr ph;
		memcpy(&ph, img->p + eh.e_phoff + i * sizeof(ph), sizeof(ph));
		if (ph.p_type == PT_LOAD && ph.p_vaddr == vaddr)
			return ph.p_offset;
	}
	fail_msg("no segment at 0x%llx", (unsigned long long)vaddr);
	return 0;
}

/** Write IMG as raw dense, raw sparse and zstd (1 unsized, 1 and 3 frames); all must give WANT. */
static void check_all_forms(const char *name, const struct buf *img, const char *want)
{
	char path[300], hex[65];
	snprintf(path, sizeof(path), "%s/%s.dense", tmpdir, name);
	write_file(path, img->p, img->len);
	core_fingerprint(path, hex);
	assert_string_equal(hex, want);
	unlink(path);

	snprintf(path, sizeof(path), "%s/%s.sparse", tmpdir, name);
	if (!write_sparse(path, img->p, img->len))
		print_message("%s: the filesystem made no holes\n", path);
	core_fingerprint(path, hex);
	assert_string_equal(hex, want);
	unlink(path);

	for (int frames = 0; frames <= 3; frames += frames == 1 ? 2 : 1) {
		struct buf z = zstd_frames(img->p, img->len, frames);
		snprintf(path, sizeof(path), "%s/%s.%d.zst", tmpdir, name, frames);
		write_file(path, z.p, z.len);
		core_fingerprint(path, hex);
		assert_string_equal(hex, want);
		unlink(path);
		free(z.p);
	}
}

static void test_fingerprint(void **state)
{
	// Both layouts: page-aligned segments, and gcore's unaligned ones whose
	// data straddles pages. After the core, unreferenced trailing bytes: 3 MiB
	// of zeros, a page with one byte set, 1.5 MiB of zeros, a short last page.
	for (int unaligned = 0; unaligned < 2; unaligned++) {
		struct core_opts o = {.unaligned = unaligned, .sections = unaligned};
		struct buf exe = make_exe(GO_ID_OK, 0x23);
		struct buf img = make_core(&o, &exe);
		buf_align(&img, 4096);
		buf_to(&img, img.len + (3u << 20));
		size_t marked = img.len + 100;
		buf_to(&img, img.len + 4096 + (3u << 19));
		img.p[marked] = 0x42;
		buf_to(&img, img.len + 1000);
		img.p[img.len - 1] = 0x17;
		assert_int_not_equal(img.len % 4096, 0);

		char want[65], hex[65];
		fingerprint_hex(img.p, img.len, want);
		check_all_forms("fp", &img, want);

		// A page of zeros written out, then punched into a hole: no change.
		size_t zero_off = 0;
		for (size_t off = 0; off + 4096 <= img.len && !zero_off; off += 4096)
			if (off && all_zero(img.p + off, 4096))
				zero_off = off;
		assert_true(zero_off > 0);
		const char *path = tmp_path("punched.core");
		write_file(path, img.p, img.len);
		int fd = open(path, O_RDWR);
		assert_true(fd >= 0);
		if (fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)zero_off,
			      4096) != 0)
			print_message("cannot punch a hole: %s\n", strerror(errno));
		else
			assert_true(lseek(fd, (off_t)zero_off, SEEK_HOLE) == (off_t)zero_off);
		close(fd);
		core_fingerprint(path, hex);
		assert_string_equal(hex, want);

		// One changed byte in a non-zero page changes it, in every form.
		uint8_t *at = img.p + seg_offset(&img, 0x10000) + 7;
		assert_int_not_equal(*at, 0);
		*at ^= 0x80;
		char changed[65];
		fingerprint_hex(img.p, img.len, changed);
		assert_string_not_equal(changed, want);
		check_all_forms("fp-byte", &img, changed);
		*at ^= 0x80;
		img.p[marked] = 0x43;
		fingerprint_hex(img.p, img.len, changed);
		assert_string_not_equal(changed, want);
		check_all_forms("fp-tail", &img, changed);
		img.p[marked] = 0x42;

		// A zero page that gets a byte, and the same bytes at another offset.
		img.p[zero_off + 4095] = 1;
		fingerprint_hex(img.p, img.len, changed);
		assert_string_not_equal(changed, want);
		check_all_forms("fp-zero", &img, changed);
		img.p[zero_off + 4095] = 0;
		img.p[marked] = 0;
		img.p[marked + 4096] = 0x42;
		fingerprint_hex(img.p, img.len, changed);
		assert_string_not_equal(changed, want);
		check_all_forms("fp-moved", &img, changed);
		img.p[marked + 4096] = 0;
		img.p[marked] = 0x42;

		// The size counts: one more zero byte at the end is another core.
		buf_to(&img, img.len + 1);
		fingerprint_hex(img.p, img.len, changed);
		assert_string_not_equal(changed, want);
		check_all_forms("fp-longer", &img, changed);

		free(exe.p);
		free(img.p);
	}
}

static void test_gcore_layout(void **state)
{
	// Section headers make it a gcore; data at unaligned offsets straddles
	// the pages of the sparse store.
	struct core_opts o = {.sections = true, .unaligned = true};
	for (int zst = 0; zst < 2; zst++) {
		struct core_file *core = open_ok(
			write_synthetic(zst ? "gcore.core.zst" : "gcore.core", &o, zst, 1));
		check_synthetic(core, CORE_KIND_GCORE);
		// Byte by byte and in odd sizes, so reads cross every page edge.
		for (uint64_t a = 0x12f00; a < 0x14000; a += 13) {
			uint8_t buf[29];
			size_t n = a + sizeof(buf) <= 0x14000 ? sizeof(buf) : 0x14000 - a;
			assert_null(core_read(core, a, buf, n));
			for (size_t i = 0; i < n; i++)
				assert_int_equal(buf[i], mem_byte(a + i));
		}
		core_destroy(core);
	}
}

/* What the synthetic core holds at A, in its first two segments. */
static uint8_t synthetic_byte(uint64_t a)
{
	return a >= 0x11000 && a < 0x12000 ? 0 : mem_byte(a);
}

/*
 * A raw core is read through a bounded cache of pages: with room for four
 * pages (one set), nearly every read replaces a page, and the windows the
 * reader kept into a replaced page must not serve its new contents.
 */
static void test_page_cache(void **state)
{
	struct core_opts plain = {0}, gcore = {.sections = true, .unaligned = true};
	for (int k = 0; k < 2; k++) {
		core_cache_test_sets = 1;
		struct core_file *core = open_ok(
			write_synthetic(k ? "cache-g.core" : "cache.core", k ? &gcore : &plain, false, 1));
		core_cache_test_sets = 0;
		check_synthetic(core, k ? CORE_KIND_GCORE : CORE_KIND_KERNEL);
		// Hop between six pages and two segments, words and odd sizes, so
		// that each read finds its window's page replaced.
		static const uint64_t at[] = {0x10008, 0x13ff0, 0x12010, 0x20400, 0x10ffc, 0x11ffc,
					      0x12ffd, 0x207f0, 0x10001, 0x13001};
		for (int round = 0; round < 50; round++) {
			for (size_t i = 0; i < sizeof(at) / sizeof(at[0]); i++) {
				uint64_t a = at[i] + (uint64_t)(round % 7);
				uint8_t buf[9];
				size_t n = a < 0x20000 ? (a + 9 <= 0x14000 ? 9 : 0x14000 - a)
						       : (a + 9 <= 0x20800 ? 9 : 0x20800 - a);
				assert_null(core_read(core, a, buf, n));
				for (size_t j = 0; j < n; j++)
					assert_int_equal(buf[j], synthetic_byte(a + j));
				uint64_t v;
				if (a + 8 <= (a < 0x20000 ? 0x14000u : 0x20800u)) {
					assert_null(core_read_u64(core, a, &v));
					for (int j = 0; j < 8; j++)
						assert_int_equal((v >> (8 * j)) & 0xff, synthetic_byte(a + j));
				}
			}
		}
		core_destroy(core);
	}
}


/*
 * Each form a .zst core's page store keeps a page in (span.c) gives back the
 * page it was made from, and the sparse form is used only where it saves
 * the bytes it is meant to: pages of every density, placed anywhere.
 */
static void test_span_forms(void **state)
{
	(void)state;
	static const double density[] = {0.005, 0.05, 0.2, 0.45, 0.7, 0.95, 1.0};
	uint64_t x = 0x9e3779b97f4a7c15ULL;
	size_t forms[2] = {0, 0};
	_Alignas(8) uint8_t page[CORE_PAGE_SIZE], back[CORE_PAGE_SIZE];
	_Alignas(8) uint8_t out[sizeof(struct core_span) + CORE_PAGE_SIZE];
	for (int round = 0; round < 3000; round++) {
		memset(page, 0, sizeof(page));
		// Words from A to B at a density, one byte of each random.
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		size_t a = x % 512, b = a + 1 + (x >> 16) % (512 - a);
		double d = density[round % (sizeof(density) / sizeof(density[0]))];
		for (size_t w = a; w < b; w++) {
			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			if ((double)(x % 10000) < d * 10000 || w == a)
				page[8 * w + (x >> 20) % 8] = (uint8_t)(1 + (x >> 32) % 255);
		}
		struct core_span h;
		size_t size = core_span_plan(page, &h);
		assert_int_equal(size % 8, 0);
		assert_true(size <= sizeof(out));
		assert_true(h.lo % 8 == 0 && h.len % 8 == 0 && h.lo + h.len <= CORE_PAGE_SIZE);
		if (h.nz) // sparse: its bitmap and words save at least 256 bytes
			assert_true(size - sizeof(h) + 256 <= h.len);
		else
			assert_int_equal(size, sizeof(h) + h.len);
		forms[h.nz != 0]++;
		memset(out, 0xee, sizeof(out));
		core_span_encode(page, &h, out);
		memset(back, 0xdd, sizeof(back));
		core_span_fill((const struct core_span *)out, back);
		if (memcmp(page, back, sizeof(page)) != 0)
			fail_msg("round %d: words %zu-%zu at %.3f: the page differs (nz %u)", round,
				 a, b, d, h.nz);
	}
	assert_true(forms[0] > 100 && forms[1] > 100);
}
/*
 * A .zst core keeps its pages trimmed to their non-zero bytes and makes a
 * trimmed page whole where it is read: pages with data only at their start,
 * only at their end, a single byte, a middle, and pages trimmed by so little
 * they are kept whole, read back through a cache of one set (so that nearly
 * every read makes a page whole again) as the raw core reads them; the
 * fingerprint is the raw core's.
 */
static void test_zstd_trimmed(void **state)
{
	for (int unaligned = 0; unaligned < 2; unaligned++) {
		struct core_opts o = {.unaligned = unaligned, .sections = unaligned};
		struct buf exe = make_exe(GO_ID_OK, 0x23);
		struct buf img = make_core(&o, &exe);
		// The segments at 0x10000 (3 pages) and 0x13000 (1 page), rewritten.
		static uint8_t seg[0x4000];
		memset(seg, 0, sizeof(seg));
		for (int i = 0; i < 8; i++)
			seg[i] = mem_byte(0x10000 + i);         // a page's first word
		seg[0x1800] = 0x5a;                             // a lone byte
		seg[0x1fff] = 0xa5;                             // a page's last byte
		for (size_t i = 0x1100; i < 0x1700; i += 40)
			seg[i + i % 8] = mem_byte(0x10000 + i); // words apart: sparse
		for (size_t i = 0x2100; i < 0x2f00; i++)
			seg[i] = mem_byte(0x10000 + i);         // a middle
		for (size_t i = 0x3040; i < 0x4000; i++)
			seg[i] = mem_byte(0x10000 + i);         // trimmed by 64 bytes: whole
		memcpy(img.p + seg_offset(&img, 0x10000), seg, 0x3000);
		memcpy(img.p + seg_offset(&img, 0x13000), seg + 0x3000, 0x1000);

		char want[65];
		fingerprint_hex(img.p, img.len, want);
		check_all_forms(unaligned ? "trim-g" : "trim", &img, want);
		const char *names[2] = {unaligned ? "trim-g.core" : "trim.core",
					unaligned ? "trim-g.core.zst" : "trim.core.zst"};
		struct buf z = zstd_frames(img.p, img.len, 1);
		write_file(tmp_path(names[0]), img.p, img.len);
		write_file(tmp_path(names[1]), z.p, z.len);
		free(z.p);
		for (int zst = 0; zst < 2; zst++) {
			core_cache_test_sets = 1;
			core_zstd_test_pages = core_zstd_test_stored = 0;
			struct core_file *core = open_ok(tmp_path(names[zst]));
			core_cache_test_sets = 0;
			if (zst) {
				// Fewer bytes than whole pages, headers included.
				assert_true(core_zstd_test_pages > 4);
				assert_true(core_zstd_test_stored + 0x1000 <
					    core_zstd_test_pages * 4096);
				// The page of words apart is kept sparse, the middle not.
				struct core_span h;
				core_span_plan(seg + 0x1000, &h);
				assert_true(h.nz > 0);
				core_span_plan(seg + 0x2000, &h);
				assert_int_equal(h.nz, 0);
				assert_true(core_zstd_test_sparse >= 1);
			}
			assert_string_equal(core_sha256(core), want);
			// Every byte, in odd sizes across every page edge, twice over.
			for (int round = 0; round < 2; round++) {
				for (uint64_t a = 0x10000 + (uint64_t)round; a < 0x14000; a += 11) {
					uint8_t buf[23];
					size_t n = a + sizeof(buf) <= 0x14000 ? sizeof(buf)
									      : 0x14000 - a;
					assert_null(core_read(core, a, buf, n));
					if (memcmp(buf, seg + (a - 0x10000), n) != 0)
						fail_msg("%s: %zu bytes at 0x%" PRIx64 " differ",
							 names[zst], n, a);
				}
			}
			// Hops between the pages, each read finding its window's page replaced.
			static const uint64_t at[] = {0x10000, 0x11ff8, 0x127f8, 0x13038, 0x11800,
						      0x12ef8, 0x10ff8, 0x12100, 0x13ff8};
			for (int round = 0; round < 20; round++) {
				for (size_t i = 0; i < sizeof(at) / sizeof(at[0]); i++) {
					uint64_t v;
					assert_null(core_read_u64(core, at[i], &v));
					uint64_t w;
					memcpy(&w, seg + (at[i] - 0x10000), 8);
					assert_int_equal(v, w);
				}
			}
			core_destroy(core);
		}
		free(exe.p);
		free(img.p);
	}
}

/*
 * core_read_once reads what core_read does, without the cache; a pinned copy
 * answers the reads that lie wholly inside it, until unpinned.
 */
static void test_read_once_and_pin(void **state)
{
	struct core_opts o = {.sections = true, .unaligned = true};
	for (int zst = 0; zst < 2; zst++) {
		struct core_file *core = open_ok(
			write_synthetic(zst ? "once.core.zst" : "once.core", &o, zst, 1));
		uint8_t a[0x2800], b[0x2800];
		assert_null(core_read_once(core, 0x10800, a, sizeof(a))); // across the zero page
		assert_null(core_read(core, 0x10800, b, sizeof(b)));
		assert_memory_equal(a, b, sizeof(a));
		for (size_t i = 0; i < sizeof(a); i++)
			assert_int_equal(a[i], synthetic_byte(0x10800 + i));
		assert_null(core_read_once(core, EXE_BASE, a, 4)); // the executable's first page
		assert_memory_equal(a, ELFMAG, 4);
		assert_fault(core_read_once(core, 0x13ff8, a, 16), 0x14000);
		assert_fault(core_read_once(core, 0x5000, a, 8), 0x5000);

		uint8_t mine[64];
		memset(mine, 0xee, sizeof(mine));
		core_pin(core, 0x12000, sizeof(mine), mine);
		uint64_t v;
		assert_null(core_read_u64(core, 0x12008, &v));
		assert_int_equal(v, 0xeeeeeeeeeeeeeeeeULL);
		assert_null(core_read(core, 0x12000, a, 64));
		assert_memory_equal(a, mine, 64);
		// Partly outside the copy: all from the core.
		assert_null(core_read(core, 0x12038, a, 16));
		for (size_t i = 0; i < 16; i++)
			assert_int_equal(a[i], mem_byte(0x12038 + i));
		core_unpin(core);
		assert_null(core_read_u64(core, 0x12008, &v));
		assert_int_equal(v & 0xff, mem_byte(0x12008));
		core_destroy(core);
	}
}

/*
 * core_read_batch reads what core_read does, in file order and grouped; what
 * is not all in one segment's file bytes (or a compressed core) is left to
 * the caller.
 */
static void test_read_batch(void **state)
{
	struct core_opts o = {.sections = true, .unaligned = true};
	// Close together, overlapping, bigger than the scratch, a gap, out of order.
	static const struct {
		uint64_t addr;
		size_t len;
		bool raw_ok;
	} want[] = {
		{0x12010, 24, true},  {0x12000, 40, true},   {0x10800, 0x900, true},
		{0x13000, 100, true}, {0x12028, 8, true},    {0x13ff8, 16, false},
		{0x5000, 8, false},   {EXE_BASE, 4, true},   {0x11ff0, 0, true},
		{0x12100, 64, true},
	};
	enum { N = sizeof(want) / sizeof(want[0]) };
	for (int zst = 0; zst < 2; zst++) {
		struct core_file *core = open_ok(
			write_synthetic(zst ? "batch.core.zst" : "batch.core", &o, zst, 1));
		struct core_batch_read reads[N];
		static uint8_t bufs[N][0x900];
		uint8_t scratch[256], b[0x900];
		for (size_t i = 0; i < N; i++)
			reads[i] = (struct core_batch_read){want[i].addr, want[i].len, bufs[i], true};
		core_read_batch(core, reads, N, scratch, sizeof(scratch));
		for (size_t i = 0; i < N; i++) {
			if (reads[i].ok != (!zst && want[i].raw_ok))
				fail_msg("read %zu of a %s core: ok %d", i, zst ? "compressed" : "raw",
					 reads[i].ok);
			if (!reads[i].ok)
				continue;
			assert_null(core_read(core, want[i].addr, b, want[i].len));
			assert_memory_equal(bufs[i], b, want[i].len);
		}
		core_read_batch(core, reads, 0, scratch, sizeof(scratch)); // nothing to do
		core_destroy(core);
	}
}

static void assert_open_fails(const char *path, enum util_error_code code, const char *text)
{
	struct util_error *err = open_err(path);
	if (err->code != code || !strstr(err->message, text) || !strstr(err->message, path))
		fail_msg("unexpected error %d: %s (wanted %d, \"%s\")", err->code, err->message,
			 code, text);
	util_error_destroy(err);
}

static void test_bad_files(void **state)
{
	const char *path = tmp_path("empty");
	write_file(path, "", 0);
	assert_open_fails(path, UTIL_ERROR_BAD_DATA, "empty file");

	path = tmp_path("text");
	write_file(path, "hello, this is not a core\n", 26);
	assert_open_fails(path, UTIL_ERROR_BAD_DATA, "not an ELF file");

	path = tmp_path("tiny");
	write_file(path, "\177E", 2);
	assert_open_fails(path, UTIL_ERROR_BAD_DATA, "not an ELF file");

	path = tmp_path("header-only");
	write_file(path, "\177ELF\2\1\1", 7);
	assert_open_fails(path, UTIL_ERROR_BAD_DATA, "truncated");

	assert_open_fails(tmp_path("does-not-exist"), UTIL_ERROR_OS, "does-not-exist");

	struct core_opts exec = {.exec_type = true};
	assert_open_fails(write_synthetic("exec.core", &exec, false, 1), UTIL_ERROR_BAD_DATA,
			  "ELF file is not a core (type EXEC)");

	struct core_opts corrupt = {.corrupt_note = true};
	assert_open_fails(write_synthetic("corrupt.core", &corrupt, false, 1),
			  UTIL_ERROR_BAD_DATA, "corrupt note");
	assert_open_fails(write_synthetic("corrupt.core.zst", &corrupt, true, 1),
			  UTIL_ERROR_BAD_DATA, "corrupt note");

	// Cut inside the last segment.
	struct core_opts o = {0};
	struct buf exe = make_exe(GO_ID_OK, 0x23);
	struct buf raw = make_core(&o, &exe);
	path = tmp_path("truncated.core");
	write_file(path, raw.p, raw.len - 0x100);
	assert_open_fails(path, UTIL_ERROR_BAD_DATA, "truncated: segment 4 at offset");
	assert_open_fails(path, UTIL_ERROR_BAD_DATA, "extends past end of file");
	// Cut inside the program headers.
	write_file(path, raw.p, 100);
	assert_open_fails(path, UTIL_ERROR_BAD_DATA, "truncated");

	// Compressed: a stream cut short, garbage compressed, and a stream of a cut core.
	struct buf z = zstd_frames(raw.p, raw.len, 1);
	path = tmp_path("cut.core.zst");
	write_file(path, z.p, z.len / 2);
	assert_open_fails(path, UTIL_ERROR_BAD_DATA, "zstd");
	struct buf g = zstd_frames((const uint8_t *)"garbage garbage garbage", 23, 1);
	path = tmp_path("garbage.zst");
	write_file(path, g.p, g.len);
	assert_open_fails(path, UTIL_ERROR_BAD_DATA, "not an ELF file");
	struct buf zc = zstd_frames(raw.p, raw.len - 0x100, 1);
	path = tmp_path("truncated.core.zst");
	write_file(path, zc.p, zc.len);
	assert_open_fails(path, UTIL_ERROR_BAD_DATA, "truncated: segment 4");
	// Corrupt compressed bytes must not crash.
	for (size_t i = 8; i < z.len; i += 7)
		z.p[i] ^= 0x5a;
	path = tmp_path("flipped.core.zst");
	write_file(path, z.p, z.len);
	struct core_file *core = NULL;
	struct util_error *err = core_open(path, &core);
	if (err)
		util_error_destroy(err);
	core_destroy(core);

	free(zc.p);
	free(g.p);
	free(z.p);
	free(exe.p);
	free(raw.p);
}

static const char *write_exe(const char *name, const char *go_id, uint8_t gnu_last)
{
	struct buf exe = make_exe(go_id, gnu_last);
	const char *path = tmp_path(name);
	write_file(path, exe.p, exe.len);
	free(exe.p);
	return path;
}

static void check_overlay(struct core_file *core)
{
	uint8_t buf[0x2000];
	assert_null(core_read(core, EXE_BASE + 0x1000, buf, 0x2000));
	for (uint64_t a = EXE_BASE + 0x1000; a < EXE_BASE + EXE_SIZE; a++)
		assert_int_equal(buf[a - EXE_BASE - 0x1000], exe_byte(a));
	// Across the core's page and the overlay.
	assert_null(core_read(core, EXE_BASE + 0xff8, buf, 16));
	assert_int_equal(buf[8], exe_byte(EXE_BASE + 0x1000));
	assert_true(core_readable(core, EXE_BASE, EXE_SIZE));
	assert_fault(core_read(core, EXE_BASE + EXE_SIZE - 4, buf, 8), EXE_BASE + EXE_SIZE);
	// The overlay does not invent the core's missing bytes elsewhere.
	assert_fault(core_read(core, 0x20800, buf, 1), 0x20800);
}

static void test_attach_exe(void **state)
{
	for (int zst = 0; zst < 2; zst++) {
		struct core_opts o = {0};
		struct core_file *core = open_ok(
			write_synthetic(zst ? "attach.core.zst" : "attach.core", &o, zst, 1));
		struct util_error *err = core_attach_exe(core, write_exe("synth", GO_ID_OK, 0x23),
							 false);
		if (err)
			fail_msg("attach: %s", err->message);
		assert_string_equal(core_exe_build_id(core), GO_ID_OK);
		check_overlay(core);
		// Attaching again replaces the overlay.
		assert_null(core_attach_exe(core, tmp_path("synth"), false));
		check_overlay(core);
		core_destroy(core);
	}
}

/*
 * A position-independent executable linked at 0 and loaded at EXE_BASE: the
 * load bias from AT_ENTRY minus e_entry (gcore and the kernel both write
 * NT_AUXV), else from NT_FILE's mapping of the executable at offset 0 minus
 * the link address of its first page; with the first page in the core (as
 * both write it) or not (checked by NT_FILE's layout). The overlay lands at
 * the load address, not the link address. A fixed-address executable: 0.
 */
static void test_pie_bias(void **state)
{
	for (int kind = 0; kind < 8; kind++) {
		struct core_opts o = {.sections = kind & 1, .no_auxv_entry = kind & 2,
				      .no_exe_page = kind & 4};
		synth_pie = true;
		const char *exe = write_exe("synth", GO_ID_OK, 0x23);
		struct core_file *core = open_ok(write_synthetic("pie.core", &o, false, 1));
		synth_pie = false;
		assert_int_equal(core_exe_bias(core), 0); // nothing attached yet
		assert_int_equal(core_info(core)->kind, o.sections ? CORE_KIND_GCORE : CORE_KIND_KERNEL);
		assert_int_equal(core_info(core)->auxv_entry, o.no_auxv_entry ? 0 : EXE_ENTRY);
		struct util_error *err = core_attach_exe(core, exe, false);
		if (err)
			fail_msg("attach (case %d): %s", kind, err->message);
		assert_int_equal(core_exe_bias(core), EXE_BASE);
		check_overlay(core);
		uint8_t v;
		// Nothing at the link address: the executable is not also overlaid there.
		assert_fault(core_read_u8(core, 0x1000, &v), 0x1000);
		core_destroy(core);
	}
	struct core_opts o = {0};
	struct core_file *core = open_ok(write_synthetic("exec.core", &o, false, 1));
	assert_null(core_attach_exe(core, write_exe("synth", GO_ID_OK, 0x23), false));
	assert_int_equal(core_exe_bias(core), 0);
	core_destroy(core);
}

static void test_build_id_mismatch(void **state)
{
	struct core_opts o = {0};
	const char *core_path_ = write_synthetic("mismatch.core", &o, false, 1);
	struct core_file *core = open_ok(core_path_);
	const char *bad = write_exe("synth-other", GO_ID_BAD, 0x99);
	struct util_error *err = core_attach_exe(core, bad, false);
	assert_non_null(err);
	assert_int_equal(err->code, UTIL_ERROR_MISMATCH);
	char want[512];
	snprintf(want, sizeof(want), "%s was not produced by %s: build id %s in core, %s in executable",
		 core_path_, bad, GO_ID_OK, GO_ID_BAD);
	assert_string_equal(err->message, want);
	util_error_destroy(err);
	uint8_t v;
	assert_fault(core_read_u8(core, EXE_ENTRY, &v), EXE_ENTRY); // no overlay after failure

	// Only the GNU id differs.
	err = core_attach_exe(core, write_exe("synth-gnu", GO_ID_OK, 0x99), false);
	assert_true(util_error_is(err, UTIL_ERROR_MISMATCH));
	assert_non_null(strstr(err->message, "101112131415161718191a1b1c1d1e1f20212223 in core"));
	assert_non_null(strstr(err->message, "101112131415161718191a1b1c1d1e1f20212299 in exec"));
	util_error_destroy(err);

	// Forced: accepted, overlaid, and the core's id is reported.
	assert_null(core_attach_exe(core, bad, true));
	assert_string_equal(core_exe_build_id(core), GO_ID_OK);
	assert_null(core_read_u8(core, EXE_ENTRY, &v));
	assert_int_equal(v, exe_byte(EXE_ENTRY));
	core_destroy(core);
}

/*
 * An aarch64 core as qemu-user writes it: NT_PRSTATUS with user_pt_regs (34
 * words), no NT_FILE, the executable's path only at AT_EXECFN, and of the
 * executable's read-only segment a page of its data but not its first page.
 */
static struct buf make_arm64_core(uint8_t flip)
{
	struct buf notes = {0};
	for (uint32_t t = 0; t < 2; t++) {
		uint8_t prstatus[392] = {0};
		uint32_t tid = 201 + t;
		int16_t sig = t ? 0 : 6;
		memcpy(prstatus + 12, &sig, 2);
		memcpy(prstatus + 32, &tid, 4);
		for (uint64_t r = 0; r < 34; r++) {
			uint64_t v = 0x1000 * (t + 1) + r; // x0..x30, sp, pc, pstate
			memcpy(prstatus + 112 + 8 * r, &v, 8);
		}
		note(&notes, "CORE", NT_PRSTATUS, prstatus, sizeof(prstatus));
	}
	uint8_t psinfo[136] = {0};
	int32_t pid = 200;
	memcpy(psinfo + 24, &pid, 4);
	memcpy(psinfo + 40, "app", 3);
	note(&notes, "CORE", NT_PRPSINFO, psinfo, sizeof(psinfo));
	uint64_t auxv[] = {AT_ENTRY, EXE_ENTRY, AT_EXECFN, 0x10100, AT_NULL, 0};
	note(&notes, "CORE", NT_AUXV, auxv, sizeof(auxv));

	struct buf exe = make_exe(GO_ID_OK, 0x23);
	struct buf b = {0};
	size_t notes_off = sizeof(Elf64_Ehdr) + 3 * sizeof(Elf64_Phdr);
	buf_to(&b, notes_off);
	buf_put(&b, notes.p, notes.len);
	buf_align(&b, 0x1000);
	Elf64_Phdr ph[3] = {
		{.p_type = PT_NOTE, .p_offset = notes_off, .p_filesz = notes.len, .p_align = 4},
		{.p_type = PT_LOAD, .p_flags = PF_R | PF_W, .p_offset = b.len, .p_vaddr = 0x10000,
		 .p_filesz = 0x1000, .p_memsz = 0x1000, .p_align = 0x1000},
		{.p_type = PT_LOAD, .p_flags = PF_R | PF_X, .p_vaddr = EXE_BASE + 0x1000,
		 .p_filesz = 0x1000, .p_memsz = 0x1000, .p_align = 0x1000},
	};
	size_t stack = b.len;
	buf_to(&b, stack + 0x1000);
	memcpy(b.p + stack + 0x100, "/srv/app", 9);
	ph[2].p_offset = b.len;
	buf_put(&b, exe.p + 0x1000, 0x1000);
	b.p[ph[2].p_offset + 0x123] ^= flip;
	Elf64_Ehdr eh = {0};
	memcpy(eh.e_ident, ELFMAG, SELFMAG);
	eh.e_ident[EI_CLASS] = ELFCLASS64;
	eh.e_ident[EI_DATA] = ELFDATA2LSB;
	eh.e_ident[EI_VERSION] = EV_CURRENT;
	eh.e_type = ET_CORE;
	eh.e_machine = EM_AARCH64;
	eh.e_version = EV_CURRENT;
	eh.e_phoff = sizeof(eh);
	eh.e_ehsize = sizeof(eh);
	eh.e_phentsize = sizeof(Elf64_Phdr);
	eh.e_phnum = 3;
	memcpy(b.p, &eh, sizeof(eh));
	memcpy(b.p + sizeof(eh), ph, sizeof(ph));
	free(notes.p);
	free(exe.p);
	return b;
}

static void test_arm64_core(void **state)
{
	exe_machine = EM_AARCH64;
	struct buf img = make_arm64_core(0);
	const char *path = tmp_path("arm64.core");
	write_file(path, img.p, img.len);
	free(img.p);
	struct core_file *core = open_ok(path);
	const struct core_info *info = core_info(core);
	assert_int_equal(info->machine, EM_AARCH64);
	assert_int_equal(info->kind, CORE_KIND_KERNEL);
	assert_int_equal(info->pid, 200);
	assert_int_equal(info->signal, 6);
	assert_int_equal(core_num_threads(core), 2);
	for (size_t t = 0; t < 2; t++) {
		const struct core_thread *th = core_thread(core, t);
		uint64_t base = 0x1000 * (t + 1);
		assert_int_equal(th->tid, 201 + t);
		assert_int_equal(th->regs_arm64.x[0], base);
		assert_int_equal(th->regs_arm64.x[28], base + 28); // Go's g
		assert_int_equal(th->fp, base + 29);
		assert_int_equal(th->lr, base + 30);
		assert_int_equal(th->sp, base + 31);
		assert_int_equal(th->pc, base + 32);
		assert_int_equal(th->regs_arm64.pstate, base + 33);
		assert_int_equal(th->regs.rip, 0); // not an x86-64 core
	}
	// No NT_FILE: the path given to execve, from AT_EXECFN.
	assert_int_equal(core_num_mappings(core), 0);
	assert_string_equal(core_exe_path(core), "/srv/app");

	// The executable's read-only bytes the core holds are compared.
	const char *exe = write_exe("app", GO_ID_OK, 0x23);
	struct util_error *err = core_attach_exe(core, exe, false);
	if (err)
		fail_msg("attach: %s", err->message);
	uint8_t v;
	assert_null(core_read_u8(core, EXE_BASE, &v)); // from the overlay
	assert_int_equal(v, ELFMAG[0]);
	core_destroy(core);

	img = make_arm64_core(0x40);
	path = tmp_path("arm64-other.core");
	write_file(path, img.p, img.len);
	free(img.p);
	core = open_ok(path);
	err = core_attach_exe(core, exe, false);
	assert_true(util_error_is(err, UTIL_ERROR_MISMATCH));
	assert_non_null(strstr(err->message, "read-only segment at 0x400000 differs at page 0x401000"));
	util_error_destroy(err);
	assert_null(core_attach_exe(core, exe, true));

	// An x86-64 executable is refused, forced or not.
	exe_machine = EM_X86_64;
	exe = write_exe("app-x86", GO_ID_OK, 0x23);
	for (int force = 0; force < 2; force++) {
		err = core_attach_exe(core, exe, force);
		assert_true(util_error_is(err, UTIL_ERROR_MISMATCH));
		assert_non_null(strstr(err->message, "the core is of an aarch64 process, "
						     "the executable for x86-64"));
		util_error_destroy(err);
	}
	core_destroy(core);

	// A truncated aarch64 NT_PRSTATUS (an x86-64 one's size) is named.
	img = make_arm64_core(0);
	uint32_t x86size = 336;
	memcpy(img.p + sizeof(Elf64_Ehdr) + 3 * sizeof(Elf64_Phdr) + 4, &x86size, 4);
	path = tmp_path("arm64-short.core");
	write_file(path, img.p, img.len);
	free(img.p);
	err = open_err(path);
	assert_non_null(strstr(err->message, "NT_PRSTATUS"));
	util_error_destroy(err);
}

static void test_layout_fallback(void **state)
{
	// Without the executable's first page, NT_FILE layout and name decide.
	struct core_opts o = {.no_exe_page = true};
	struct core_file *core = open_ok(write_synthetic("nopage.core", &o, false, 1));
	uint8_t v;
	assert_fault(core_read_u8(core, EXE_BASE, &v), EXE_BASE);
	struct util_error *err = core_attach_exe(core, write_exe("other-name", GO_ID_OK, 0x23),
						 false);
	assert_true(util_error_is(err, UTIL_ERROR_MISMATCH));
	assert_non_null(strstr(err->message, "/usr/bin/synth"));
	util_error_destroy(err);

	assert_null(core_attach_exe(core, write_exe("synth", GO_ID_BAD, 0x99), false));
	assert_string_equal(core_exe_build_id(core), ""); // could not be checked by id
	assert_null(core_read_u8(core, EXE_BASE, &v));    // now from the executable
	assert_int_equal(v, 0x7f);
	core_destroy(core);

	// Not an executable at all.
	core = open_ok(write_synthetic("nopage2.core", &o, false, 1));
	err = core_attach_exe(core, tmp_path("nopage.core"), false);
	assert_true(util_error_is(err, UTIL_ERROR_BAD_DATA));
	util_error_destroy(err);
	err = core_attach_exe(core, tmp_path("no-such-exe"), false);
	assert_true(util_error_is(err, UTIL_ERROR_OS));
	util_error_destroy(err);
	core_destroy(core);
}

/** Damaged cores must give an error or a usable core, never a crash (run under ASan). */
static void test_mutations(void **state)
{
	struct core_opts o = {0};
	struct buf exe = make_exe(GO_ID_OK, 0x23);
	struct buf raw = make_core(&o, &exe);
	const char *exe_path = write_exe("synth", GO_ID_OK, 0x23);
	const char *path = tmp_path("mutant.core");
	uint8_t *m = malloc(raw.len);
	assert_non_null(m);
	uint64_t seed = 0x9e3779b97f4a7c15ULL;
	size_t opened = 0;
	for (int iter = 0; iter < 1500; iter++) {
		memcpy(m, raw.p, raw.len);
		size_t len = raw.len;
		int nflips = 1 + iter % 4;
		for (int k = 0; k < nflips; k++) {
			seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
			// Mostly the headers and notes, where lengths and offsets live.
			size_t span = (seed >> 60) < 12 ? 0x800 : raw.len;
			size_t at = (size_t)(seed >> 20) % span;
			m[at] = (uint8_t)(seed >> 8);
		}
		if (iter % 10 == 9)
			len = (size_t)(seed >> 24) % raw.len;
		write_file(path, m, len);
		struct core_file *core = NULL;
		struct util_error *err = core_open(path, &core);
		if (err) {
			assert_null(core);
			assert_non_null(err->message);
			util_error_destroy(err);
			continue;
		}
		opened++;
		uint8_t buf[64];
		for (uint64_t a = 0x10000; a < 0x22000; a += 0x7f0)
			util_error_destroy(core_read(core, a, buf, sizeof(buf)));
		for (size_t i = 0; i < core_num_mappings(core); i++)
			assert_non_null(core_mapping(core, i)->path);
		util_error_destroy(core_attach_exe(core, exe_path, iter % 2));
		util_error_destroy(core_read(core, EXE_ENTRY, buf, sizeof(buf)));
		core_destroy(core);
	}
	print_message("%zu of 1500 damaged cores still opened\n", opened);
	free(m);
	free(exe.p);
	free(raw.p);
}

/* ---- Real cores from the corpus ------------------------------------------ */

struct corpus_row {
	char name[128], program[64], go_version[32], kind[16], exe[256], core[256];
	char exe_sha256[80];
};

static const char *corpus_dir(void)
{
	static char dir[1024];
	const char *env = getenv("GOCORONER_CORPUS");
	if (env)
		return env;
	const char *srcdir = getenv("srcdir");
	snprintf(dir, sizeof(dir), "%s/corpus", srcdir ? srcdir : TOP_SRCDIR);
	return dir;
}

/** Read manifest.tsv by column name; returns the number of rows (at most MAX). */
static size_t read_manifest(struct corpus_row *rows, size_t max)
{
	char path[1100], line[4096];
	snprintf(path, sizeof(path), "%s/manifest.tsv", corpus_dir());
	FILE *f = fopen(path, "r");
	if (!f)
		return 0;
	int col[7] = {-1, -1, -1, -1, -1, -1, -1};
	const char *names[7] = {"name", "program", "go_version", "core_kind", "exe", "core",
				"exe_sha256"};
	size_t n = 0;
	for (bool header = true; n < max && fgets(line, sizeof(line), f); header = false) {
		line[strcspn(line, "\r\n")] = '\0';
		bool split = strstr(line, "variant:split") != NULL;
		struct corpus_row r;
		memset(&r, 0, sizeof(r));
		char *save = NULL;
		int i = 0;
		for (char *tok = strtok_r(line, "\t", &save); tok; tok = strtok_r(NULL, "\t", &save), i++) {
			for (int k = 0; k < 7; k++) {
				if (header && strcmp(tok, names[k]) == 0)
					col[k] = i;
				if (header || col[k] != i)
					continue;
				char *dst[7] = {r.name, r.program, r.go_version, r.kind, r.exe, r.core,
						r.exe_sha256};
				size_t sz[7] = {sizeof(r.name), sizeof(r.program), sizeof(r.go_version),
						sizeof(r.kind), sizeof(r.exe), sizeof(r.core),
						sizeof(r.exe_sha256)};
				snprintf(dst[k], sz[k], "%s", tok);
			}
		}
		// Split rows (stripped executables) are test-debuginfo.sh's.
		if (!header && r.core[0] && r.exe[0] && !split)
			rows[n++] = r;
	}
	fclose(f);
	return n;
}

/** Decompress corpus file REL into the temp dir as NAME; false if it is missing. */
static bool unzstd(const char *rel, const char *name, char *out, size_t outsz);

/**
 * Decompress corpus file REL into the temp dir as NAME, a sparse file: pages
 * of zeros are left as holes, as a kernel or gcore writes them. False if REL
 * is missing.
 */
static bool unzstd_sparse(const char *rel, const char *name, char *out, size_t outsz)
{
	char src[1400];
	snprintf(src, sizeof(src), "%s/%s", corpus_dir(), rel);
	FILE *in = fopen(src, "rb");
	if (!in)
		return false;
	snprintf(out, outsz, "%s/%s", tmpdir, name);
	int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	ZSTD_DStream *ds = ZSTD_createDStream();
	static uint8_t ibuf[1 << 16], obuf[1 << 20]; // obuf: a whole number of pages
	uint64_t off = 0;
	size_t n;
	ZSTD_outBuffer ob = {obuf, sizeof(obuf), 0};
	for (bool eof = false; !eof;) {
		n = fread(ibuf, 1, sizeof(ibuf), in);
		eof = n == 0;
		ZSTD_inBuffer ib = {ibuf, n, 0};
		// Flush full buffers page by page; at the end, whatever is left.
		while (ib.pos < ib.size || (eof && ob.pos)) {
			if (!eof) {
				size_t r = ZSTD_decompressStream(ds, &ob, &ib);
				assert_false(ZSTD_isError(r));
				if (ob.pos < ob.size)
					continue;
			}
			for (size_t p = 0; p < ob.pos; p += 4096) {
				size_t k = ob.pos - p < 4096 ? ob.pos - p : 4096;
				if (!all_zero(obuf + p, k))
					assert_int_equal(pwrite(fd, obuf + p, k, (off_t)(off + p)),
							 (ssize_t)k);
			}
			off += ob.pos;
			ob.pos = 0;
		}
	}
	assert_int_equal(ftruncate(fd, (off_t)off), 0);
	ZSTD_freeDStream(ds);
	fclose(in);
	assert_int_equal(close(fd), 0);
	return true;
}

static bool unzstd(const char *rel, const char *name, char *out, size_t outsz)
{
	char src[1400];
	snprintf(src, sizeof(src), "%s/%s", corpus_dir(), rel);
	FILE *in = fopen(src, "rb");
	if (!in)
		return false;
	snprintf(out, outsz, "%s/%s", tmpdir, name);
	FILE *o = fopen(out, "wb");
	assert_non_null(o);
	ZSTD_DStream *ds = ZSTD_createDStream();
	static uint8_t ibuf[1 << 16], obuf[1 << 17];
	size_t n;
	while ((n = fread(ibuf, 1, sizeof(ibuf), in)) > 0) {
		ZSTD_inBuffer ib = {ibuf, n, 0};
		while (ib.pos < ib.size) {
			ZSTD_outBuffer ob = {obuf, sizeof(obuf), 0};
			size_t r = ZSTD_decompressStream(ds, &ob, &ib);
			assert_false(ZSTD_isError(r));
			assert_int_equal(fwrite(obuf, 1, ob.pos, o), ob.pos);
		}
	}
	ZSTD_freeDStream(ds);
	fclose(in);
	assert_int_equal(fclose(o), 0);
	return true;
}

/** A corpus executable (relative path) other than ROW's: another row's, or any in bin/. */
static void pick_other_exe(const struct corpus_row *row, const struct corpus_row *rows,
			   size_t nrows, char *out, size_t outsz)
{
	// Of the same machine: another machine's is refused even when forced.
	bool arm64 = strstr(row->name, "-arm64-") != NULL;
	for (size_t i = 0; i < nrows; i++) {
		if (strcmp(rows[i].exe, row->exe) != 0 &&
		    strcmp(rows[i].exe_sha256, row->exe_sha256) != 0 &&
		    (strstr(rows[i].name, "-arm64-") != NULL) == arm64) {
			snprintf(out, outsz, "%s", rows[i].exe);
			return;
		}
	}
	char dir[1100];
	snprintf(dir, sizeof(dir), "%s/bin", corpus_dir());
	DIR *d = opendir(dir);
	if (!d)
		return;
	struct dirent *de;
	while ((de = readdir(d))) {
		size_t n = strlen(de->d_name);
		char rel[300];
		snprintf(rel, sizeof(rel), "bin/%s", de->d_name);
		if (n > 4 && strcmp(de->d_name + n - 4, ".zst") == 0 && strcmp(rel, row->exe) != 0 &&
		    (strstr(de->d_name, "-arm64-") != NULL) == arm64) {
			snprintf(out, outsz, "%s", rel);
			break;
		}
	}
	closedir(d);
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/** The compressed core and its decompressed raw (sparse) file have one fingerprint. */
static void check_real_fingerprint(const struct corpus_row *row, struct core_file *zcore)
{
	char raw_path[1100], name[200];
	snprintf(name, sizeof(name), "%s.core", row->name);
	assert_true(unzstd_sparse(row->core, name, raw_path, sizeof(raw_path)));
	double t0 = now();
	struct core_file *raw = open_ok(raw_path);
	const char *fp = core_sha256(raw);
	double t = now() - t0;
	assert_non_null(fp);
	assert_false(core_info(raw)->compressed);
	assert_int_equal(core_info(raw)->file_size, core_info(zcore)->file_size);
	assert_string_equal(fp, core_sha256(zcore));
	print_message("%s: fingerprint %s (raw %" PRIu64 " bytes: open+fingerprint %.3f s)\n",
		      row->name, fp, core_info(raw)->file_size, t);
	core_destroy(raw);
	unlink(raw_path);
}

static void check_real_core(const struct corpus_row *row, const struct corpus_row *rows,
			    size_t nrows)
{
	char path[1400];
	snprintf(path, sizeof(path), "%s/%s", corpus_dir(), row->core);
	if (access(path, R_OK) != 0) {
		print_message("corpus core %s is missing\n", path);
		return;
	}
	struct core_file *core = open_ok(path);
	const struct core_info *info = core_info(core);
	assert_true(info->compressed);
	check_real_fingerprint(row, core);
	assert_int_equal(info->kind,
			 strcmp(row->kind, "gcore") == 0 ? CORE_KIND_GCORE : CORE_KIND_KERNEL);
	assert_true(core_num_threads(core) > 0);
	for (size_t i = 0; i < core_num_threads(core); i++)
		assert_true(core_thread(core, i)->tid > 0);
	// Every thread's stack pointer points into memory the core holds.
	uint64_t v;
	assert_null(core_read_u64(core, core_thread(core, 0)->sp, &v));
	assert_int_equal(info->machine, strstr(row->name, "-arm64-") ? EM_AARCH64 : EM_X86_64);
	const char *exe = core_exe_path(core);
	assert_non_null(exe);
	size_t el = strlen(exe), pl = strlen(row->program);
	assert_true(el >= pl && strcmp(exe + el - pl, row->program) == 0);

	char exe_path[1100], name[200];
	snprintf(name, sizeof(name), "%s.exe", row->name);
	assert_true(unzstd(row->exe, name, exe_path, sizeof(exe_path)));
	// Text at the entry point: kernel cores hold only the first page of it.
	uint8_t text[16];
	struct util_error *err = core_read(core, info->auxv_entry, text, sizeof(text));
	if (info->kind == CORE_KIND_KERNEL)
		assert_fault(err, info->auxv_entry);
	else
		assert_null(err);
	err = core_attach_exe(core, exe_path, false);
	if (err)
		fail_msg("attach %s: %s", row->exe, err->message);
	// qemu-user's cores (arm64) hold neither the text with the build ids
	// nor NT_FILE: the read-only data decides (check_contents in exe.c).
	if (core_num_mappings(core))
		assert_true(core_exe_build_id(core)[0] != '\0');
	print_message("%s: %zu threads, exe %s, build id %s\n", row->name,
		      core_num_threads(core), exe, core_exe_build_id(core));
	assert_null(core_read(core, info->auxv_entry, text, sizeof(text)));
	unlink(exe_path);

	// Another build of the program (another Go release or mode) must be refused.
	char other[300] = "";
	pick_other_exe(row, rows, nrows, other, sizeof(other));
	snprintf(name, sizeof(name), "%s.other", row->name);
	if (other[0] && unzstd(other, name, exe_path, sizeof(exe_path))) {
		err = core_attach_exe(core, exe_path, false);
		assert_true(util_error_is(err, UTIL_ERROR_MISMATCH));
		print_message("%s vs %s: %s\n", row->name, other, err->message);
		util_error_destroy(err);
		assert_null(core_attach_exe(core, exe_path, true)); // forced
		unlink(exe_path);
	} else {
		print_message("%s: no other executable in the corpus to mismatch\n", row->name);
	}
	core_destroy(core);
}

static void test_corpus(void **state)
{
	static struct corpus_row rows[512];
	size_t n = read_manifest(rows, 512);
	if (n == 0) {
		print_message("no corpus at %s (manifest.tsv missing or empty): skipped\n",
			      corpus_dir());
		skip();
	}
	// One core of each kind keeps `make check` quick; GOCORONER_CORPUS_ALL=1
	// opens them all.
	bool all = getenv("GOCORONER_CORPUS_ALL") != NULL;
	bool did[2] = {false, false};
	for (size_t i = 0; i < n; i++) {
		int k = strcmp(rows[i].kind, "gcore") == 0 ? 0 :
			strcmp(rows[i].kind, "kernel") == 0 ? 1 : -1;
		if (k < 0 || (did[k] && !all))
			continue;
		char path[1400];
		snprintf(path, sizeof(path), "%s/%s", corpus_dir(), rows[i].core);
		if (access(path, R_OK) != 0)
			continue;
		check_real_core(&rows[i], rows, n);
		did[k] = true;
	}
	if (!did[0] && !did[1]) {
		print_message("corpus has no readable cores: skipped\n");
		skip();
	}
}

/*
 * The corpus's position-independent builds (variant:pie, Go's linker at
 * 0x400000; pie-cgo, gcc's at 0; static-pie, gcc's at 0 without an
 * interpreter), gcore and kernel cores: the bias
 * core_attach_exe finds (from AT_ENTRY) is, independently, the start of
 * NT_FILE's mapping of the executable at offset 0 minus the link address
 * of its first page; page-aligned, not 0; and the entry point's code read
 * at e_entry + bias is the file's. A plain build of the same rows: 0.
 */
static void test_corpus_pie_bias(void **state)
{
	static struct corpus_row rows[512];
	size_t n = read_manifest(rows, 512), done = 0;
	bool plain = false;
	for (size_t i = 0; i < n; i++) {
		bool pie = strstr(rows[i].name, "-pie-") != NULL;
		if (!pie && (plain || strncmp(rows[i].name, "hang-go1.27-opt-", 16) != 0))
			continue;
		char path[1400], exe_path[1100], name[200];
		snprintf(path, sizeof(path), "%s/%s", corpus_dir(), rows[i].core);
		snprintf(name, sizeof(name), "%.120s.bias-exe", rows[i].name);
		if (access(path, R_OK) != 0 || !unzstd(rows[i].exe, name, exe_path, sizeof(exe_path)))
			continue;
		FILE *f = fopen(exe_path, "rb");
		assert_non_null(f);
		Elf64_Ehdr eh;
		Elf64_Phdr ph[64];
		assert_int_equal(fread(&eh, sizeof(eh), 1, f), 1);
		assert_true(eh.e_phnum <= 64);
		assert_int_equal(fseek(f, (long)eh.e_phoff, SEEK_SET), 0);
		assert_int_equal(fread(ph, sizeof(ph[0]), eh.e_phnum, f), eh.e_phnum);
		uint64_t first = UINT64_MAX, entry_off = 0;
		for (size_t k = 0; k < eh.e_phnum; k++) {
			if (ph[k].p_type != PT_LOAD)
				continue;
			if (ph[k].p_offset == 0)
				first = ph[k].p_vaddr & ~(uint64_t)0xfff;
			if (eh.e_entry >= ph[k].p_vaddr && eh.e_entry < ph[k].p_vaddr + ph[k].p_filesz)
				entry_off = ph[k].p_offset + (eh.e_entry - ph[k].p_vaddr);
		}
		assert_true(first != UINT64_MAX && entry_off);
		uint8_t want[16], got[16];
		assert_int_equal(fseek(f, (long)entry_off, SEEK_SET), 0);
		assert_int_equal(fread(want, 1, sizeof(want), f), sizeof(want));
		fclose(f);
		assert_int_equal(eh.e_type, pie ? ET_DYN : ET_EXEC);

		struct core_file *core = open_ok(path);
		assert_null(core_attach_exe(core, exe_path, false));
		uint64_t bias = core_exe_bias(core), mapped = 0;
		for (size_t k = 0; k < core_num_mappings(core); k++) {
			const struct core_mapping *m = core_mapping(core, k);
			if (m->path == core_exe_path(core) && m->file_offset == 0)
				mapped = m->start;
		}
		assert_int_equal(mapped - first, bias);
		if (pie) {
			assert_true(bias != 0 && bias % 4096 == 0);
			assert_int_equal(core_info(core)->auxv_entry, eh.e_entry + bias);
		} else {
			assert_int_equal(bias, 0);
			plain = true;
		}
		assert_null(core_read(core, eh.e_entry + bias, got, sizeof(got)));
		assert_memory_equal(got, want, sizeof(want));
		print_message("%s: %s linked at %#llx, loaded at %#llx\n", rows[i].name,
			      pie ? "ET_DYN" : "ET_EXEC", (unsigned long long)first,
			      (unsigned long long)mapped);
		core_destroy(core);
		unlink(exe_path);
		done++;
	}
	if (!done)
		skip();
}

/* ---- Fixture ------------------------------------------------------------- */

/* ---- The background fingerprint of raw cores ----------------------------- */

static int hook_fd = -1;          /**< the descriptor the fingerprint thread got */
static int hook_swap_fd = -1;     /**< put in its place before it reads, if >= 0 */
static unsigned hook_delay_ms;    /**< then wait this long */

/* Runs on the fingerprint thread: no cmocka asserts here. */
static void fp_hook(int fd)
{
	hook_fd = fd;
	if (hook_swap_fd >= 0 && dup2(hook_swap_fd, fd) != fd)
		hook_fd = -2;
	if (hook_delay_ms) {
		struct timespec ts = {0, (long)hook_delay_ms * 1000000};
		nanosleep(&ts, NULL);
	}
}

static void hook_reset(void)
{
	core_fp_thread_hook = NULL;
	hook_fd = -1;
	hook_swap_fd = -1;
	hook_delay_ms = 0;
}

static int hook_teardown(void **state)
{
	hook_reset();
	return 0;
}

static uint64_t file_size_of(const char *path)
{
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	return (uint64_t)st.st_size;
}

/** A read error on the thread is a NULL from core_sha256; the next call tries again. */
static void test_fingerprint_thread_error(void **state)
{
	struct core_opts o = {0};
	const char *path = write_synthetic("thread-err.core", &o, false, 1);
	char want[65];
	core_fingerprint(path, want);
	// Same size and data extents, so fstat and SEEK_DATA agree, but
	// write-only: the thread's pread fails with EBADF.
	uint64_t size = file_size_of(path);
	uint8_t *junk = malloc(size);
	assert_non_null(junk);
	memset(junk, 0xa5, size);
	const char *other = tmp_path("thread-err.wronly");
	write_file(other, junk, size);
	free(junk);
	int wfd = open(other, O_WRONLY);
	assert_true(wfd >= 0);

	hook_swap_fd = wfd;
	core_fp_thread_hook = fp_hook;
	struct core_file *core = open_ok(path);
	assert_null(core_sha256(core)); // joined: the hook has run
	assert_true(hook_fd >= 0);
	int fd = hook_fd;
	hook_reset();
	assert_int_equal(close(wfd), 0);
	unsigned statm = core_trim_test_statm;
	core_release_pages(core); // nothing read through the mapping yet
	assert_int_equal(core_trim_test_statm, statm);
	check_synthetic(core, CORE_KIND_KERNEL); // reads go through the mapping
	core_release_pages(core); // which may now hold pages: looked at
	assert_int_equal(core_trim_test_statm, statm + 1);

	// The core's own file back in place: now it is read, without a thread.
	int rfd = open(path, O_RDONLY);
	assert_true(rfd >= 0);
	assert_int_equal(dup2(rfd, fd), fd);
	assert_int_equal(close(rfd), 0);
	assert_string_equal(core_sha256(core), want);
	assert_string_equal(core_sha256(core), want);
	core_destroy(core);
}

/* A core cut short after core_open: reads of the lost part give zeros, not
 * a SIGBUS through the mapping, and the core has no fingerprint, so no
 * incident is written from it. */
static void test_shrunk_after_open(void **state)
{
	struct core_opts o = {0};
	const char *path = write_synthetic("shrunk.core", &o, false, 1);
	struct core_file *core = open_ok(path);
	uint64_t v;
	assert_null(core_read_u64(core, 0x10008, &v)); // read before: cached, still right
	assert_int_equal(v & 0xff, mem_byte(0x10008));
	assert_int_equal(truncate(path, 0), 0);
	assert_null(core_read_u64(core, 0x10008, &v));
	assert_int_equal(v & 0xff, mem_byte(0x10008));
	assert_null(core_read_u64(core, 0x13000, &v));
	assert_int_equal(v, 0);
	uint8_t buf[64];
	assert_null(core_read_once(core, 0x12000, buf, sizeof(buf)));
	for (size_t i = 0; i < sizeof(buf); i++)
		assert_int_equal(buf[i], 0);
	assert_null(core_sha256(core));
	core_destroy(core);
}

/** A core whose size changes after core_open has no fingerprint, whenever it changes. */
static void test_fingerprint_thread_resized(void **state)
{
	struct core_opts o = {0};
	const char *path = write_synthetic("resized.core", &o, false, 1);
	char want[65];
	core_fingerprint(path, want);
	uint64_t size = file_size_of(path);
	for (int early = 0; early < 2; early++) {
		// Grown before the thread looks at the file (it waits in the hook),
		// or most likely after it has finished: NULL either way.
		if (early) {
			hook_delay_ms = 20;
			core_fp_thread_hook = fp_hook;
		}
		struct core_file *core = open_ok(path);
		if (!early) {
			struct timespec ts = {0, 100 * 1000000};
			nanosleep(&ts, NULL);
		}
		assert_int_equal(truncate(path, (off_t)size + 4096), 0);
		assert_null(core_sha256(core));
		hook_reset();
		assert_int_equal(truncate(path, (off_t)size), 0);
		assert_string_equal(core_sha256(core), want);
		core_destroy(core);
	}
}

/** Destroying a core stops its fingerprint thread early; several can run at once. */
static void test_fingerprint_thread_cancel(void **state)
{
	struct core_opts o = {0};
	struct buf exe = make_exe(GO_ID_OK, 0x23);
	struct buf img = make_core(&o, &exe);
	buf_align(&img, 4096);
	size_t tail = img.len;
	buf_to(&img, img.len + (24u << 20)); // long enough to be caught hashing
	uint64_t rng = 0x2545f4914f6cdd1dULL;
	for (size_t i = tail; i < img.len; i += 8) {
		uint64_t v = xorshift(&rng);
		memcpy(img.p + i, &v, 8);
	}
	const char *path = tmp_path("cancel.core");
	write_file(path, img.p, img.len);
	char want[65];
	fingerprint_hex(img.p, img.len, want);

	// Destroyed before the thread starts reading, while it reads, unopened.
	for (unsigned delay = 0; delay <= 10; delay += 10) {
		hook_delay_ms = delay;
		core_fp_thread_hook = fp_hook;
		core_destroy(open_ok(path));
		hook_reset();
	}
	struct core_file *cores[4];
	for (int i = 0; i < 4; i++)
		cores[i] = open_ok(path);
	core_destroy(cores[1]);
	assert_string_equal(core_sha256(cores[0]), want);
	core_destroy(cores[2]);
	assert_string_equal(core_sha256(cores[3]), want);
	assert_string_equal(core_sha256(cores[0]), want);
	core_destroy(cores[0]);
	core_destroy(cores[3]);
	unlink(path);
	free(exe.p);
	free(img.p);
}

/* Under a forced portable SHA-256: the core fingerprints, as on CPUs without SHA-NI. */
static void test_fingerprint_portable(void **state)
{
	assert_int_equal(sha256_current_impl(), SHA256_IMPL_PORTABLE);
	test_raw(state);
	test_zstd(state);
	test_fingerprint(state);
}

static int setup(void **state)
{
	snprintf(tmpdir, sizeof(tmpdir), "%s/test-core-XXXXXX",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sha256_vectors),
		cmocka_unit_test(test_sha256_impls_agree),
		cmocka_unit_test_teardown(test_sha256_force_portable, restore_impl),
		cmocka_unit_test(test_raw),
		cmocka_unit_test(test_zstd),
		cmocka_unit_test(test_zstd_bomb),
		cmocka_unit_test(test_zstd_image),
		cmocka_unit_test(test_fingerprint),
		cmocka_unit_test_setup_teardown(test_fingerprint_portable, force_portable,
						restore_impl),
		cmocka_unit_test_teardown(test_fingerprint_thread_error, hook_teardown),
		cmocka_unit_test_teardown(test_fingerprint_thread_resized, hook_teardown),
		cmocka_unit_test_teardown(test_fingerprint_thread_cancel, hook_teardown),
		cmocka_unit_test(test_gcore_layout),
		cmocka_unit_test(test_page_cache),
		cmocka_unit_test(test_span_forms),
		cmocka_unit_test(test_zstd_trimmed),
		cmocka_unit_test(test_read_once_and_pin),
		cmocka_unit_test(test_read_batch),
		cmocka_unit_test(test_shrunk_after_open),
		cmocka_unit_test(test_bad_files),
		cmocka_unit_test(test_attach_exe),
		cmocka_unit_test(test_pie_bias),
		cmocka_unit_test(test_corpus_pie_bias),
		cmocka_unit_test(test_build_id_mismatch),
		cmocka_unit_test(test_layout_fallback),
		cmocka_unit_test(test_arm64_core),
		cmocka_unit_test(test_mutations),
		cmocka_unit_test(test_corpus),
	};
	return cmocka_run_group_tests_name("core", tests, setup, teardown);
}
