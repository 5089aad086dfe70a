// SPDX-License-Identifier: Apache-2.0
// fuzz-analyze.c: 'gocoroner analyze' as the command runs it (snapshot, writer
// thread, store) on a small real core whose memory words the input rewrites.
//
// The core (corpus/cores/diag-go1.27-opt-kernel.core.zst) is decompressed once
// to a temporary file; its ELF headers and notes are never touched, so every
// input describes the same process with some of its memory corrupted, which
// gocoroner must turn into diagnostics, not crashes or hangs. Random offsets
// into 3 MB of pages would rarely hit a word that matters, so an input names
// its targets by what they are: a goroutine's g, a sudog it waits with, a
// channel, a context, a live stack word, a runtime global, or else a raw
// offset. Those objects are found once, by reading the pristine core.
//
// Input: records of REC_SIZE bytes (a trailing partial record is ignored):
//   [0] kind: enum target % NTARGETS     [1..2] index (little endian)
//   [3..4] word index within the object  [5] op: enum op % NOPS
//   [6..13] value bytes v[0..7], read according to op
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <zstd.h>

#include "cli/cli.h"
#include "fuzz/scratch.h"
#include "core/core.h"
#include "dwarf/dwarf.h"
#include "goruntime/goruntime.h"

#ifndef TOP_SRCDIR
#define TOP_SRCDIR "."
#endif
#define CORE_ZST TOP_SRCDIR "/corpus/cores/diag-go1.27-opt-kernel.core.zst"
#define EXE_ZST TOP_SRCDIR "/corpus/bin/diag-go1.27-opt.zst"

enum { REC_SIZE = 14, MAX_PATCHES = 16 };

enum target {
	T_G,        /* a goroutine's runtime.g */
	T_SUDOG,    /* a sudog on a g.waiting list */
	T_HCHAN,    /* a channel some goroutine waits on */
	T_CONTEXT,  /* a context object */
	T_STACK,    /* a word of a live stack, from the innermost frame's SP up */
	T_GLOBAL,   /* a runtime global (allgs, allglen, allm, sched...) */
	T_RAW,      /* any 8-byte word of the core's memory pages */
	NTARGETS
};

enum op {
	OP_ZERO,    /* 0 */
	OP_ONES,    /* 0xffffffffffffffff */
	OP_SMALL,   /* v[0] */
	OP_HUGE,    /* 1 << (v[0] % 64), and 10,000,000 when v[0] is 0 */
	OP_RAW,     /* v[0..7] */
	OP_POINTER, /* the address of another target: v[0] kind, v[1..2] index, v[3..4] word */
	OP_FLIP,    /* the word with bit v[0] % 64 flipped */
	OP_ADD,     /* the word plus (int8_t)v[0] */
	OP_U32,     /* v[0..3] into the word's low half only */
	OP_BYTE,    /* v[0] into byte v[1] % 8 of the word only */
	NOPS
};

struct object {
	uint64_t addr, size;  /* bytes of memory */
};

static struct {
	struct object *obj[NTARGETS];
	size_t nobj[NTARGETS];
	struct {
		uint64_t vaddr, filesz, offset;
	} seg[256];                   /* the core's PT_LOADs with file data */
	size_t nsegs;
	char dir[128], core[160], exe[160], db[160];
	int fd;                       /* the core, read-write */
	FILE *devnull;
} fz;

static __attribute__((noreturn)) void die(const char *what)
{
	fprintf(stderr, "fuzz-analyze: %s\n", what);
	abort();
}

static void add_object(enum target t, uint64_t addr, uint64_t size)
{
	if (!addr || !size)
		return;
	struct object *o = realloc(fz.obj[t], (fz.nobj[t] + 1) * sizeof(*o));
	if (!o)
		die("out of memory");
	o[fz.nobj[t]++] = (struct object){addr, size};
	fz.obj[t] = o;
}

/* The core's PT_LOADs that hold file data: the only bytes a patch may change. */
static void read_segments(void)
{
	Elf64_Ehdr eh;
	if (pread(fz.fd, &eh, sizeof(eh), 0) != sizeof(eh) || eh.e_phentsize != sizeof(Elf64_Phdr))
		die("core: ELF header");
	for (size_t i = 0; i < eh.e_phnum && fz.nsegs < 256; i++) {
		Elf64_Phdr ph;
		if (pread(fz.fd, &ph, sizeof(ph), (off_t)(eh.e_phoff + i * sizeof(ph))) != sizeof(ph))
			die("core: program headers");
		if (ph.p_type != PT_LOAD || ph.p_filesz < 8)
			continue;
		fz.seg[fz.nsegs].vaddr = ph.p_vaddr;
		fz.seg[fz.nsegs].filesz = ph.p_filesz;
		fz.seg[fz.nsegs].offset = ph.p_offset;
		fz.nsegs++;
		add_object(T_RAW, ph.p_vaddr, ph.p_filesz);
	}
}

/* The file offset of the LEN bytes at ADDR, or -1 if the core holds no file data there. */
static int64_t file_offset(uint64_t addr, size_t len)
{
	for (size_t i = 0; i < fz.nsegs; i++)
		if (addr >= fz.seg[i].vaddr && addr - fz.seg[i].vaddr <= fz.seg[i].filesz - len)
			return (int64_t)(fz.seg[i].offset + (addr - fz.seg[i].vaddr));
	return -1;
}

static uint64_t type_size(struct dw_binary *bin, const char *type, uint64_t dflt)
{
	uint64_t n;
	struct util_error *err = dw_type_size(bin, type, &n);
	util_error_destroy(err);
	return err ? dflt : n;
}

static uint64_t member(struct dw_binary *bin, const char *type, const char *name, uint64_t dflt)
{
	uint64_t n;
	struct util_error *err = dw_member_offset(bin, type, name, &n);
	util_error_destroy(err);
	return err ? dflt : n;
}

/* Read the pristine core once: where its goroutines, sudogs, channels,
 * contexts, stacks and runtime globals are. */
static void find_targets(void)
{
	struct core_file *core;
	struct dw_binary *bin;
	struct gr_snapshot *snap;
	if (core_open(fz.core, &core) || dw_binary_open(fz.exe, &bin) ||
	    core_attach_exe(core, fz.exe, false))
		die("cannot open the core");
	struct gr_options opts = {0};
	if (gr_snapshot_create(core, bin, &opts, &snap))
		die("cannot read the pristine core");
	uint64_t gsize = type_size(bin, "runtime.g", 448);
	uint64_t sudog_size = type_size(bin, "runtime.sudog", 104);
	uint64_t hchan_size = type_size(bin, "runtime.hchan", 112);
	uint64_t waiting = member(bin, "runtime.g", "waiting", 320);
	uint64_t waitlink = member(bin, "runtime.sudog", "waitlink", 72);
	for (size_t i = 0; i < snap->ngoroutines; i++) {
		const struct gr_goroutine *g = &snap->goroutines[i];
		add_object(T_G, g->g_addr, gsize);
		uint64_t s = 0;
		if (core_read_u64(core, g->g_addr + waiting, &s) == NULL)
			for (int n = 0; s && n < 16; n++) {
				add_object(T_SUDOG, s, sudog_size);
				if (core_read_u64(core, s + waitlink, &s) != NULL)
					break;
			}
		if (g->nframes && gr_frame_sp(g, 0) < g->stack_hi && gr_frame_sp(g, 0) >= g->stack_lo)
			add_object(T_STACK, gr_frame_sp(g, 0), g->stack_hi - gr_frame_sp(g, 0));
	}
	for (size_t i = 0; i < snap->nchannels; i++)
		add_object(T_HCHAN, snap->channels[i].addr, hchan_size);
	for (size_t i = 0; i < snap->ncontexts; i++)
		add_object(T_CONTEXT, snap->contexts[i].addr, 96);
	static const char *const globals[] = {
		"runtime.allgs", "runtime.allglen", "runtime.allm", "runtime.sched",
		"runtime.buildVersion", "runtime.firstmoduledata", "runtime.mheap_",
		"runtime.allp", "runtime.m0", "runtime.g0", "runtime.nanotime1",
	};
	for (size_t i = 0; i < sizeof(globals) / sizeof(*globals); i++) {
		uint64_t addr;
		struct util_error *err = dw_symbol(bin, globals[i], &addr);
		if (err) {
			util_error_destroy(err);
			continue;
		}
		// A global's first words are what a reader uses most; mheap_ is MBs.
		add_object(T_GLOBAL, addr, 512);
	}
	gr_snapshot_destroy(snap);
	dw_binary_destroy(bin);
	core_destroy(core);
	for (int t = 0; t < NTARGETS; t++)
		if (!fz.nobj[t])
			add_object((enum target)t, fz.seg[0].vaddr, fz.seg[0].filesz);
}

static void remove_db(void)
{
	char p[192];
	static const char *const suffix[] = {"", "-wal", "-shm", "-journal"};
	for (size_t i = 0; i < 4; i++) {
		snprintf(p, sizeof(p), "%s%s", fz.db, suffix[i]);
		unlink(p);
	}
}

static void cleanup(void)
{
	unlink(fz.core);
	unlink(fz.exe);
	remove_db();
	rmdir(fz.dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	// tmpfs when there is one: a database per input is written and removed.
	if (fuzz_scratch_make("analyze", fz.dir, sizeof(fz.dir)) != 0)
		die("mkdtemp");
	snprintf(fz.core, sizeof(fz.core), "%s/diag.core", fz.dir);
	snprintf(fz.exe, sizeof(fz.exe), "%s/diag", fz.dir);
	snprintf(fz.db, sizeof(fz.db), "%s/analyze.db", fz.dir);
	atexit(cleanup);
	if (fuzz_unzstd(CORE_ZST, fz.core) != 0)
		die(CORE_ZST);
	if (fuzz_unzstd(EXE_ZST, fz.exe) != 0)
		die(EXE_ZST);
	fz.fd = open(fz.core, O_RDWR | O_CLOEXEC);
	if (fz.fd < 0)
		die(fz.core);
	read_segments();
	find_targets();
	fz.devnull = fopen("/dev/null", "w");
	if (!fz.devnull)
		die("/dev/null");
	if (getenv("FUZZ_ANALYZE_VERBOSE"))
		for (int t = 0; t < NTARGETS; t++)
			fprintf(stderr, "fuzz-analyze: target %d: %zu objects\n", t, fz.nobj[t]);
	return 0;
}

static uint64_t le(const uint8_t *p, size_t n)
{
	uint64_t v = 0;
	for (size_t i = 0; i < n; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

/* The address of word WORD of object INDEX of kind KIND (all taken modulo). */
static uint64_t target_addr(unsigned kind, unsigned index, unsigned word)
{
	enum target t = (enum target)(kind % NTARGETS);
	const struct object *o = &fz.obj[t][index % fz.nobj[t]];
	uint64_t words = o->size / 8;
	if (t == T_RAW) // 65,536 words would reach only the first 512 KiB
		return o->addr + (((uint64_t)index << 16 | word) % words) * 8;
	return o->addr + (word % words) * 8;
}

struct patch {
	int64_t off;
	uint8_t old[8], new[8];
};

/* Turn one record into the bytes to write where; false if it lands outside the file data. */
static bool make_patch(const uint8_t *r, struct patch *p)
{
	uint64_t addr = target_addr(r[0], (unsigned)le(r + 1, 2), (unsigned)le(r + 3, 2));
	const uint8_t *v = r + 6;
	p->off = file_offset(addr, 8);
	if (p->off < 0 || pread(fz.fd, p->old, 8, p->off) != 8)
		return false;
	uint64_t old = le(p->old, 8), val;
	switch ((enum op)(r[5] % NOPS)) {
	case OP_ZERO: val = 0; break;
	case OP_ONES: val = ~(uint64_t)0; break;
	case OP_SMALL: val = v[0]; break;
	case OP_HUGE: val = v[0] ? (uint64_t)1 << (v[0] % 64) : 10000000; break;
	case OP_RAW: val = le(v, 8); break;
	case OP_POINTER: val = target_addr(v[0], (unsigned)le(v + 1, 2), (unsigned)le(v + 3, 2)); break;
	case OP_FLIP: val = old ^ ((uint64_t)1 << (v[0] % 64)); break;
	case OP_ADD: val = old + (uint64_t)(int64_t)(int8_t)v[0]; break;
	case OP_U32: val = (old & ~(uint64_t)0xffffffff) | le(v, 4); break;
	case OP_BYTE: {
		unsigned b = v[1] % 8;
		val = (old & ~((uint64_t)0xff << (8 * b))) | (uint64_t)v[0] << (8 * b);
		break;
	}
	default: val = old; break;
	}
	for (int i = 0; i < 8; i++)
		p->new[i] = (uint8_t)(val >> (8 * i));
	if (getenv("FUZZ_ANALYZE_VERBOSE"))
		fprintf(stderr, "fuzz-analyze: patch kind %u object %u word %u at 0x%llx: 0x%llx -> 0x%llx\n",
			r[0] % NTARGETS, (unsigned)(le(r + 1, 2) % fz.nobj[r[0] % NTARGETS]),
			(unsigned)le(r + 3, 2), (unsigned long long)addr, (unsigned long long)old,
			(unsigned long long)val);
	return true;
}

/* Messages of a refusal that are defects in themselves: an internal
 * structure's error reaching the user instead of a diagnostic. */
static const char *const never_said[] = {"u64map", "reserved key"};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct patch patches[MAX_PATCHES];
	size_t n = 0;
	for (size_t at = 0; at + REC_SIZE <= size && n < MAX_PATCHES; at += REC_SIZE)
		if (make_patch(data + at, &patches[n])) {
			// Patches are applied in order; a revert in reverse order
			// restores bytes two patches both changed.
			if (pwrite(fz.fd, patches[n].new, 8, patches[n].off) != 8)
				die("pwrite");
			n++;
		}
	remove_db();
	// The command prints through stdio only: its stdout goes nowhere, its
	// stderr is kept to be checked (sanitizers write to fd 2 directly).
	char *said = NULL;
	size_t said_len = 0;
	FILE *err_stream = open_memstream(&said, &said_len);
	if (!err_stream)
		die("open_memstream");
	FILE *real_out = stdout, *real_err = stderr;
	stdout = fz.devnull;
	stderr = err_stream;
	char *argv[] = {"analyze", "--quiet", "--budget", "1000000", "--db", fz.db, "--exe", fz.exe,
			fz.core, NULL};
	int status = cli_analyze(9, argv);
	stdout = real_out;
	stderr = real_err;
	fclose(err_stream);
	for (size_t i = n; i-- > 0;)
		if (pwrite(fz.fd, patches[i].old, 8, patches[i].off) != 8)
			die("pwrite");
	if (getenv("FUZZ_ANALYZE_VERBOSE"))
		fprintf(stderr, "fuzz-analyze: %zu patches, status %d%s%s", n, status, *said ? ": " : "\n",
			said);
	for (size_t i = 0; i < sizeof(never_said) / sizeof(*never_said); i++)
		if (status != CLI_OK && strstr(said, never_said[i])) {
			fprintf(stderr, "fuzz-analyze: refused with an internal error: %s", said);
			cleanup(); // abort() skips atexit
			abort();
		}
	free(said);
	return 0;
}
