// SPDX-License-Identifier: Apache-2.0
// fuzz-exe.c: libFuzzer harness for loading an executable: a real Go
// executable patched by the input, then opened (ELF, DWARF through libdw,
// pclntab), its layout probed and a sample of functions, lines, frame
// sizes, variables and types looked up.
//
// Why patches and not whole images: a Go executable is MBs, and a mutation
// of a random byte of it mostly lands in machine code nothing parses, while
// one that breaks the ELF header ends every input at the first check. So
// the executable is held in memory (a memfd) and the input is a list of
// patches aimed at the parts that are parsed: record = region (u8, an index
// into regions[] below), offset in that region (u32 LE, modulo its size),
// length (u8), then that many bytes. The empty input loads the executable
// as it is. Patches are undone after each run, so runs do not affect each
// other.
//
// The DWARF sections of the executable are zlib-compressed (SHF_COMPRESSED)
// as Go's linker writes them; patching compressed bytes would only test the
// decompressor. At start-up they are decompressed once (libelf) and the
// image rewritten with them stored plain at its end, which libdw reads the
// same way.
//
// The executable: $FUZZ_EXE (raw or .zst), else corpus/bin/diag-go1.27-opt.zst.
#include <gelf.h>
#include <libelf.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

#include "dwarf/dwarf.h"
#include "fuzz/fuzz.h"
#include "goruntime/goruntime.h"
#include "goruntime/internal.h"

#ifndef TOP_SRCDIR
#define TOP_SRCDIR "."
#endif

/* Patchable regions, by section name, plus two by ELF structure. Keep the
 * order: the seeds (fuzz/make-seeds.py) name regions by index. */
static const char *const regions[] = {
	"file", "ehdr", "shdrs", ".gopclntab", ".debug_info", ".debug_abbrev",
	".debug_line", ".debug_loclists", ".debug_rnglists", ".debug_addr",
	".debug_frame", ".symtab", ".strtab", ".note.go.buildid", ".go.buildinfo",
	".rodata", ".shstrtab", ".noptrdata",
};
#define NREGIONS (sizeof(regions) / sizeof(regions[0]))

static uint8_t *image;          /* the executable as the harness serves it */
static size_t image_size;
static uint64_t region_off[NREGIONS], region_size[NREGIONS];
static uint64_t text_addr, text_size;
static int image_fd = -1;
static char image_path[64];

static void fold_str(const char *s)
{
	if (s)
		fold(s, strlen(s));
}

static bool ok(struct util_error *err)
{
	if (!err)
		return true;
	fold_str(err->message);
	util_error_destroy(err);
	return false;
}

__attribute__((noreturn)) static void die(const char *what)
{
	fprintf(stderr, "fuzz-exe: %s\n", what);
	exit(1);
}

static uint8_t *load_file(const char *path, size_t *size)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	size_t cap = 1 << 20, len = 0;
	uint8_t *p = malloc(cap);
	while (p) {
		len += fread(p + len, 1, cap - len, f);
		if (len < cap)
			break;
		uint8_t *n = realloc(p, cap *= 2);
		if (!n)
			free(p);
		p = n;
	}
	fclose(f);
	if (p && len >= 4 && p[0] == 0x28 && p[1] == 0xb5 && p[2] == 0x2f && p[3] == 0xfd) {
		unsigned long long n = ZSTD_getFrameContentSize(p, len);
		uint8_t *raw = n < (1ull << 31) ? malloc(n) : NULL;
		if (!raw || ZSTD_isError(ZSTD_decompress(raw, n, p, len))) {
			free(raw);
			raw = NULL;
		}
		free(p);
		p = raw;
		len = n;
	}
	*size = len;
	return p;
}

/* Store the compressed sections of IMAGE plain at its end (see the top). */
static void decompress_sections(void)
{
	elf_version(EV_CURRENT);
	Elf *e = elf_memory((char *)image, image_size);
	if (!e)
		die("not an ELF file");
	GElf_Ehdr eh;
	if (!gelf_getehdr(e, &eh) || eh.e_ident[EI_CLASS] != ELFCLASS64)
		die("not a 64-bit ELF file");
	size_t cap = image_size, len = image_size;
	uint8_t *out = malloc(cap);
	if (!out)
		die("out of memory");
	memcpy(out, image, image_size);
	Elf_Scn *scn = NULL;
	while ((scn = elf_nextscn(e, scn))) {
		GElf_Shdr sh;
		if (!gelf_getshdr(scn, &sh) || !(sh.sh_flags & SHF_COMPRESSED))
			continue;
		Elf_Data *d;
		if (elf_compress(scn, 0, 0) < 0 || !(d = elf_getdata(scn, NULL)))
			die(elf_errmsg(-1));
		len = (len + 7) & ~(size_t)7;
		if (len + d->d_size > cap) {
			cap = (len + d->d_size) * 2;
			if (!(out = realloc(out, cap)))
				die("out of memory");
		}
		memcpy(out + len, d->d_buf, d->d_size);
		// Patch our copy of the section header: plain, at its new place.
		Elf64_Shdr *osh = (Elf64_Shdr *)(out + eh.e_shoff) + elf_ndxscn(scn);
		osh->sh_offset = len;
		osh->sh_size = d->d_size;
		osh->sh_flags &= ~(uint64_t)SHF_COMPRESSED;
		osh->sh_addralign = 1;
		len += d->d_size;
	}
	elf_end(e);
	free(image);
	image = out;
	image_size = len;
}

static void find_regions(void)
{
	const Elf64_Ehdr *eh = (const Elf64_Ehdr *)image;
	region_off[0] = 0, region_size[0] = image_size;
	region_off[1] = 0, region_size[1] = eh->e_phoff + (uint64_t)eh->e_phnum * eh->e_phentsize;
	region_off[2] = eh->e_shoff, region_size[2] = (uint64_t)eh->e_shnum * eh->e_shentsize;
	const Elf64_Shdr *sh = (const Elf64_Shdr *)(image + eh->e_shoff);
	const char *names = (const char *)image + sh[eh->e_shstrndx].sh_offset;
	for (size_t i = 0; i < eh->e_shnum; i++) {
		const char *name = names + sh[i].sh_name;
		if (strcmp(name, ".text") == 0)
			text_addr = sh[i].sh_addr, text_size = sh[i].sh_size;
		for (size_t r = 3; r < NREGIONS; r++)
			if (strcmp(name, regions[r]) == 0 && sh[i].sh_type != SHT_NOBITS)
				region_off[r] = sh[i].sh_offset, region_size[r] = sh[i].sh_size;
	}
	for (size_t r = 0; r < NREGIONS; r++)
		if (!region_size[r] || region_off[r] + region_size[r] > image_size)
			region_off[r] = 0, region_size[r] = image_size; // absent: anywhere
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *path = getenv("FUZZ_EXE");
	if (!path || !*path)
		path = TOP_SRCDIR "/corpus/bin/diag-go1.27-opt.zst";
	if (!(image = load_file(path, &image_size)) || image_size < sizeof(Elf64_Ehdr))
		die("cannot read the executable (set FUZZ_EXE)");
	decompress_sections();
	find_regions();
	image_fd = fuzz_memfd("fuzz-exe", image, image_size, image_path, sizeof(image_path));
	if (image_fd < 0)
		die("memfd_create failed");
	return 0;
}

/* A function's lines, frames, frame size and variables, as unwinding asks. */
static void probe_func(struct dw_binary *b, const struct dw_func *f, uint64_t pc)
{
	fold_str(f->name);
	sink += dw_func_is_topframe(b, f) + dw_func_is_spwrite(b, f) + dw_func_is_wrapper(b, f);
	int32_t delta;
	if (ok(dw_func_spdelta(b, f, pc, &delta)))
		sink += (uint64_t)delta;
	sink += (uint64_t)dw_func_pcdata(b, f, 0, pc) + (uint64_t)dw_func_pcdata(b, f, 1, pc);
	sink += (uint64_t)dw_func_args(b, f);
	uint64_t fd;
	for (int i = 0; i < 4; i++)
		if (ok(dw_func_funcdata(b, f, i, &fd)))
			sink += fd;
	const char *file;
	int line;
	if (ok(dw_pc_line(b, f, pc, &file, &line)))
		fold_str(file), sink += (uint64_t)line;
	struct dw_location locs[16];
	size_t n = 0;
	if (ok(dw_pc_expand(b, f, pc, locs, 16, &n)))
		for (size_t i = 0; i < n && i < 16; i++)
			fold_str(locs[i].func), fold_str(locs[i].file);
	const struct dw_func_vars *vars;
	if (ok(dw_func_vars(b, f, &vars)))
		for (size_t i = 0; i < vars->n && i < 32; i++) {
			struct dw_var_loc loc;
			if (ok(dw_var_location_at(b, f, &vars->vars[i], pc, &loc)))
				sink += loc.npieces;
		}
}

static struct util_error *count_global(void *arg, const char *name, uint64_t addr,
				       uint64_t type_die)
{
	size_t *n = arg;
	if (++*n % 64 == 0)
		fold_str(name);
	return NULL;
}

static void probe_binary(struct dw_binary *b)
{
	fold_str(dw_binary_go_build_id(b));
	fold_str(dw_binary_gnu_build_id(b));
	fold_str(dw_binary_producer(b));
	const char *version;
	if (ok(gr_go_version(b, &version))) {
		fold_str(version);
		free((void *)version);
	}
	struct gr_layout layout;
	if (ok(gr_layout_probe(b, &layout)))
		fold(&layout.g_size, sizeof(layout.g_size));
	// Functions across .text, and by name.
	for (uint64_t k = 0; k < 32 && text_size; k++) {
		uint64_t pc = text_addr + k * (text_size / 32) + 1;
		const struct dw_func *f = dw_func_at(b, pc);
		if (f)
			probe_func(b, f, pc);
	}
	static const char *const funcs[] = {"main.main", "runtime.gopark", "runtime.goexit",
					    "runtime.mcall", "runtime.sigpanic"};
	for (size_t i = 0; i < sizeof(funcs) / sizeof(funcs[0]); i++) {
		const struct dw_func *f = dw_func_by_name(b, funcs[i]);
		if (f)
			probe_func(b, f, f->entry + (f->end - f->entry) / 2);
	}
	// Types, members, constants and variables the readers ask for.
	uint64_t v, size;
	int64_t c;
	const char *s;
	if (ok(dw_type_size(b, "runtime.hchan", &v)))
		sink += v;
	if (ok(dw_member_offset(b, "runtime.g", "sched.sp", &v)))
		sink += v;
	if (ok(dw_member_type_name(b, "runtime.sudog", "c", &s)))
		fold_str(s);
	if (ok(dw_constant(b, "runtime._Gwaiting", &c)))
		sink += (uint64_t)c;
	if (ok(dw_variable(b, "runtime.allgs", &v, &size)))
		sink += v + size;
	if (ok(dw_symbol(b, "runtime.firstmoduledata", &v)))
		sink += v;
	if (ok(dw_type_runtime_offset(b, "runtime.g", &v)) &&
	    ok(dw_type_by_runtime_offset(b, v, &s)))
		fold_str(s);
	uint64_t die = dw_type_die(b, "runtime.g"), sdie;
	if (die) {
		fold_str(dw_type_die_name(b, die));
		struct dw_struct_member members[64];
		size_t n = dw_struct_members(b, die, members, 64);
		for (size_t i = 0; i < n && i < 64; i++)
			fold_str(members[i].name);
		struct dw_type_shape shape;
		sink += dw_type_shape(b, die, &shape) + dw_type_is_struct(b, die, &sdie);
	}
	uint64_t offs[32];
	size_t n = 0;
	if (ok(dw_type_pointer_offsets(b, "runtime.hchan", offs, 32, &n)))
		sink += n;
	size_t nglobals = 0;
	ok(dw_globals_each(b, count_global, &nglobals));
}

struct patch {
	uint64_t off;
	size_t len;
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	// At most 64 patches: more only slows each run down.
	struct patch done[64];
	size_t ndone = 0, pos = 0;
	while (pos + 6 <= size && ndone < 64) {
		size_t r = data[pos] % NREGIONS;
		uint32_t off;
		memcpy(&off, data + pos + 1, 4);
		size_t len = data[pos + 5];
		pos += 6;
		if (len > size - pos)
			len = size - pos;
		uint64_t at = region_off[r] + off % region_size[r];
		if (len > image_size - at)
			len = image_size - at;
		if (len && pwrite(image_fd, data + pos, len, (off_t)at) == (ssize_t)len)
			done[ndone++] = (struct patch){at, len};
		pos += len;
	}
	struct dw_binary *b = NULL;
	struct util_error *err = dw_binary_open(image_path, &b);
	// FUZZ_VERBOSE=1: say why an input was refused (for seeds that should not be).
	if (err && getenv("FUZZ_VERBOSE"))
		fprintf(stderr, "fuzz-exe: %s\n", err->message);
	if (ok(err)) {
		probe_binary(b);
		dw_binary_destroy(b);
	}
	for (size_t i = 0; i < ndone; i++)
		if (pwrite(image_fd, image + done[i].off, done[i].len, (off_t)done[i].off) !=
		    (ssize_t)done[i].len)
			die("cannot restore the executable");
	return 0;
}
