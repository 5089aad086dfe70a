// SPDX-License-Identifier: Apache-2.0
// binary.c: opening a Go executable — ELF checks, PT_LOAD reads, notes, .symtab,
// zstd-compressed sections, then the DWARF index and the pclntab.
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <zstd.h>

#include "dwarf/internal.h"

#ifndef ELFCOMPRESS_ZSTD
#define ELFCOMPRESS_ZSTD 2 /* not in older <elf.h>; elfutils 0.188 cannot decompress it */
#endif

/* Sanity bound for one decompressed section; real Go DWARF is far smaller. */
#define MAX_DECOMPRESSED ((uint64_t)1 << 32)

static struct util_error *elf_err(const char *what)
{
	return util_error_create(UTIL_ERROR_LIB, "%s: %s", what, elf_errmsg(-1));
}

const uint8_t *dw_binary_ptr(const struct dw_binary *b, uint64_t addr, size_t len)
{
	for (size_t i = 0; i < b->nsegs; i++) {
		const struct dw_segment *s = &b->segs[i];
		if (addr >= s->vaddr && addr - s->vaddr <= s->filesz &&
		    len <= s->filesz - (addr - s->vaddr))
			return b->map + s->offset + (addr - s->vaddr);
	}
	return NULL;
}

size_t dw_binary_avail(const struct dw_binary *b, uint64_t addr)
{
	for (size_t i = 0; i < b->nsegs; i++) {
		const struct dw_segment *s = &b->segs[i];
		if (addr >= s->vaddr && addr - s->vaddr < s->filesz)
			return s->filesz - (addr - s->vaddr);
	}
	return 0;
}

struct util_error *dw_binary_read(const struct dw_binary *b, uint64_t addr, void *buf, size_t len)
{
	// A read may span adjacent segments; each piece must be file-backed.
	uint8_t *out = buf;
	uint64_t a = addr;
	while (len) {
		size_t n = dw_binary_avail(b, a);
		if (!n) {
			struct util_error *err = util_error_create(
				UTIL_ERROR_FAULT, "%s: address %#" PRIx64 " is not in the executable's file-backed segments",
				b->path, a);
			if (err != &util_enomem)
				err->address = a;
			return err;
		}
		if (n > len)
			n = len;
		memcpy(out, dw_binary_ptr(b, a, n), n);
		out += n;
		a += n;
		len -= n;
	}
	return NULL;
}

struct util_error *dw_binary_read_pointer(const struct dw_binary *b, uint64_t addr,
					  uint64_t *ret)
{
	uint64_t v;
	struct util_error *err = dw_binary_read(b, addr, &v, sizeof(v));
	if (!err)
		*ret = v + b->bias;
	return err;
}

void dw_binary_set_bias(struct dw_binary *b, uint64_t bias)
{
	uint64_t delta = bias - b->bias; // modulo 2^64: a new bias replaces the old
	if (!delta)
		return;
	for (size_t i = 0; i < b->nsegs; i++)
		b->segs[i].vaddr += delta;
	b->text_addr += delta;
	b->pclntab_addr += delta;
	dw_pclntab_relocate(&b->pcln, delta);
	b->bias = bias;
}

uint64_t dw_binary_bias(const struct dw_binary *b)
{
	return b->bias;
}

bool dw_binary_contains(const struct dw_binary *b, const void *bytes, size_t len)
{
	for (size_t i = 0; i < b->nsegs; i++) {
		const struct dw_segment *s = &b->segs[i];
		const uint8_t *p = dw_binary_ptr(b, s->vaddr, s->filesz);
		if (p && len && memmem(p, s->filesz, bytes, len))
			return true;
	}
	return false;
}

const char *dw_binary_path(const struct dw_binary *b)
{
	return b->path;
}

const char *dw_binary_go_build_id(const struct dw_binary *b)
{
	return b->go_build_id;
}

const char *dw_binary_gnu_build_id(const struct dw_binary *b)
{
	return b->gnu_build_id;
}

const struct dw_arch *dw_binary_arch(const struct dw_binary *b)
{
	return &b->arch;
}

const char *dw_binary_producer(const struct dw_binary *b)
{
	return b->producer;
}

struct util_error *dw_symbol(struct dw_binary *b, const char *name, uint64_t *addr_ret)
{
	uint64_t v;
	if (!dw_namemap_get(&b->symbols, name, strlen(name), &v))
		return util_error_create(UTIL_ERROR_NOT_FOUND, "%s: no symbol %s", b->path, name);
	*addr_ret = v + b->bias;
	return NULL;
}

static struct util_error *load_segments(struct dw_binary *b)
{
	size_t phnum;
	if (elf_getphdrnum(b->elf, &phnum))
		return elf_err("program headers");
	if (phnum > 65536)
		return util_error_create(UTIL_ERROR_BAD_DATA, "too many program headers");
	b->segs = util_arena_alloc(&b->arena, (phnum + 1) * sizeof(*b->segs));
	if (!b->segs)
		return &util_enomem;
	for (size_t i = 0; i < phnum; i++) {
		GElf_Phdr ph;
		if (!gelf_getphdr(b->elf, i, &ph))
			return elf_err("program header");
		if (ph.p_type != PT_LOAD || ph.p_offset >= b->map_size)
			continue;
		uint64_t filesz = ph.p_filesz;
		// A truncated file backs only what it holds.
		if (filesz > b->map_size - ph.p_offset)
			filesz = b->map_size - ph.p_offset;
		if (ph.p_vaddr + filesz < ph.p_vaddr)
			return util_error_create(UTIL_ERROR_BAD_DATA, "PT_LOAD wraps around");
		b->segs[b->nsegs++] = (struct dw_segment){ph.p_vaddr, filesz, ph.p_offset};
	}
	return NULL;
}

static struct util_error *note_hex(struct dw_binary *b, const uint8_t *p, size_t n, const char **ret)
{
	char *s = util_arena_alloc(&b->arena, 2 * n + 1);
	if (!s)
		return &util_enomem;
	for (size_t i = 0; i < n; i++)
		snprintf(s + 2 * i, 3, "%02x", p[i]);
	*ret = s;
	return NULL;
}

/* Go build id: note name "Go", type 4 (cmd/link elfGoBuildIdNote); GNU: "GNU", type 3.
 * Into *GO and *GNU ("" until found), in the binary's arena. */
static struct util_error *read_notes(struct dw_binary *b, Elf_Scn *scn, const char **go,
				     const char **gnu)
{
	Elf_Data *d = elf_getdata(scn, NULL);
	if (!d)
		return NULL; // unreadable note: no build id, not fatal
	GElf_Nhdr nh;
	size_t off = 0, name_off, desc_off, next;
	while (off < d->d_size && (next = gelf_getnote(d, off, &nh, &name_off, &desc_off)) > 0) {
		const char *name = (const char *)d->d_buf + name_off;
		const uint8_t *desc = (const uint8_t *)d->d_buf + desc_off;
		if ((nh.n_namesz == 3 || nh.n_namesz == 4) && memcmp(name, "Go", 3) == 0 && nh.n_type == 4 && !**go) {
			*go = util_arena_strndup(&b->arena, (const char *)desc,
						 strnlen((const char *)desc, nh.n_descsz));
			if (!*go)
				return &util_enomem;
		} else if (nh.n_namesz == 4 && memcmp(name, "GNU", 4) == 0 &&
			   nh.n_type == NT_GNU_BUILD_ID && !**gnu) {
			struct util_error *err = note_hex(b, desc, nh.n_descsz, gnu);
			if (err)
				return err;
		}
		off = next;
	}
	return NULL;
}

static struct util_error *load_symbols(struct dw_binary *b, Elf *elf, Elf_Scn *scn, GElf_Shdr *sh)
{
	Elf_Data *d = elf_getdata(scn, NULL);
	if (!d)
		return elf_err(".symtab");
	size_t n = sh->sh_entsize ? d->d_size / sh->sh_entsize : 0;
	for (size_t i = 1; i < n; i++) {
		GElf_Sym sym;
		if (!gelf_getsym(d, i, &sym))
			return elf_err(".symtab");
		const char *name = elf_strptr(elf, sh->sh_link, sym.st_name);
		if (!name || !*name)
			continue;
		struct util_error *err = dw_namemap_add(&b->symbols, name, strlen(name), sym.st_value, NULL);
		if (err)
			return err;
	}
	return NULL;
}

/*
 * elfutils 0.188 decompresses only ELFCOMPRESS_ZLIB sections; the linker never
 * writes zstd, but objcopy --compress-debug-sections=zstd does. Decompress
 * those here and hand libdw plain data (the mapping is private and writable).
 */
static struct util_error *decompress_zstd(struct dw_binary *b, const uint8_t *map, size_t map_size,
					  Elf_Scn *scn, GElf_Shdr *sh, const char *name)
{
	if (sh->sh_offset > map_size || sh->sh_size > map_size - sh->sh_offset ||
	    sh->sh_size < sizeof(Elf64_Chdr))
		return util_error_create(UTIL_ERROR_BAD_DATA, "section %s is truncated", name);
	Elf64_Chdr ch;
	memcpy(&ch, map + sh->sh_offset, sizeof(ch));
	if (ch.ch_type != ELFCOMPRESS_ZSTD)
		return NULL;
	if (ch.ch_size > MAX_DECOMPRESSED)
		return util_error_create(UTIL_ERROR_BAD_DATA, "section %s: bad compressed size", name);
	void *buf = malloc(ch.ch_size ? ch.ch_size : 1);
	if (!buf)
		return &util_enomem;
	void **owned = realloc(b->owned, (b->nowned + 1) * sizeof(*owned));
	if (!owned) {
		free(buf);
		return &util_enomem;
	}
	b->owned = owned;
	b->owned[b->nowned++] = buf;
	size_t r = ZSTD_decompress(buf, ch.ch_size, map + sh->sh_offset + sizeof(ch),
				   sh->sh_size - sizeof(ch));
	if (ZSTD_isError(r) || r != ch.ch_size)
		return util_error_create(UTIL_ERROR_BAD_DATA, "section %s: zstd: %s", name,
					 ZSTD_isError(r) ? ZSTD_getErrorName(r) : "short output");
	Elf_Data *d = elf_getdata(scn, NULL);
	if (!d)
		return elf_err(name);
	d->d_buf = buf;
	d->d_size = ch.ch_size;
	d->d_type = ELF_T_BYTE;
	d->d_align = 1;
	sh->sh_flags &= ~(uint64_t)SHF_COMPRESSED;
	sh->sh_size = ch.ch_size;
	if (!gelf_update_shdr(scn, sh))
		return elf_err(name);
	return NULL;
}

/*
 * libdw decompresses every .debug_* section in dwarf_begin_elf; the index
 * needs .debug_info, .debug_abbrev, .debug_str and .debug_addr, and frame
 * variables (vars.c) the location lists, .debug_loc (DWARF 4) and
 * .debug_loclists (DWARF 5). Lines come from the pclntab, frames from pcsp:
 * handing libdw the rest empty saves time (zlib dominates). Whoever needs
 * .debug_line or range lists later must drop the section from this list.
 */
static bool skip_debug_section(const char *name)
{
	static const char *const skip[] = {".debug_line", ".debug_frame", ".debug_ranges",
					   ".debug_rnglists", NULL};
	for (const char *const *s = skip; *s; s++)
		if (strcmp(name, *s) == 0)
			return true;
	return false;
}

static struct util_error *hide_section(Elf_Scn *scn, GElf_Shdr *sh, const char *name)
{
	Elf_Data *d = elf_getdata(scn, NULL);
	if (!d)
		return elf_err(name);
	d->d_size = 0;
	d->d_type = ELF_T_BYTE;
	sh->sh_flags &= ~(uint64_t)SHF_COMPRESSED;
	sh->sh_size = 0;
	if (!gelf_update_shdr(scn, sh))
		return elf_err(name);
	return NULL;
}

/* .gnu_debuglink: the debug file's name, NUL-padded to 4 bytes, then its CRC-32. */
static struct util_error *read_debuglink(struct dw_binary *b, Elf_Scn *scn)
{
	Elf_Data *d = elf_getdata(scn, NULL);
	if (!d || !d->d_buf)
		return NULL; // unreadable: no debuglink, not fatal
	size_t n = strnlen(d->d_buf, d->d_size);
	size_t crc_off = (n + 4) & ~(size_t)3;
	if (!n || crc_off + 4 > d->d_size)
		return NULL;
	b->debuglink = util_arena_strndup(&b->arena, d->d_buf, n);
	if (!b->debuglink)
		return &util_enomem;
	b->debuglink_crc = dw_le32((const uint8_t *)d->d_buf + crc_off);
	return NULL;
}

/*
 * The sections of the executable (DBG false: pclntab, .text, notes, .symtab,
 * .gnu_debuglink, its DWARF) or of its separate debug file (DBG true: its
 * .symtab and DWARF), ELF mapped at MAP.
 */
static struct util_error *scan_sections(struct dw_binary *b, Elf *elf, const uint8_t *map,
					size_t map_size, bool dbg, bool *has_debug_info)
{
	size_t shstrndx;
	if (elf_getshdrstrndx(elf, &shstrndx))
		return elf_err("section headers");
	Elf_Scn *scn = NULL;
	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		if (!gelf_getshdr(scn, &sh))
			return elf_err("section header");
		const char *name = elf_strptr(elf, shstrndx, sh.sh_name);
		if (!name)
			continue;
		if (sh.sh_type != SHT_NOBITS &&
		    (sh.sh_offset > map_size || sh.sh_size > map_size - sh.sh_offset))
			return util_error_create(UTIL_ERROR_BAD_DATA,
						 "truncated ELF file (section %s beyond the end)", name);
		struct util_error *err = NULL;
		if (dbg) {
			// The loaded sections are SHT_NOBITS here: only DWARF and symbols.
		} else if (strcmp(name, ".gopclntab") == 0 && sh.sh_type != SHT_NOBITS) {
			b->pclntab_addr = sh.sh_addr;
			b->pclntab_size = sh.sh_size;
		} else if (strcmp(name, ".go.buildinfo") == 0) {
			b->buildinfo = (struct dw_range){sh.sh_addr, sh.sh_size};
		} else if (strcmp(name, ".go.module") == 0) {
			b->gomodule = (struct dw_range){sh.sh_addr, sh.sh_size};
		} else if (strcmp(name, ".noptrdata") == 0) {
			b->noptrdata = (struct dw_range){sh.sh_addr, sh.sh_size};
		} else if (strcmp(name, ".data") == 0) {
			b->data = (struct dw_range){sh.sh_addr, sh.sh_size};
		} else if (strcmp(name, ".bss") == 0) {
			b->bss = (struct dw_range){sh.sh_addr, sh.sh_size};
		} else if (strcmp(name, ".noptrbss") == 0) {
			b->noptrbss = (struct dw_range){sh.sh_addr, sh.sh_size};
		} else if (strcmp(name, ".text") == 0) {
			b->text_addr = sh.sh_addr;
			b->text_size = sh.sh_size;
		} else if (sh.sh_type == SHT_NOTE) {
			err = read_notes(b, scn, &b->go_build_id, &b->gnu_build_id);
		} else if (strcmp(name, ".gnu_debuglink") == 0 && sh.sh_type != SHT_NOBITS) {
			err = read_debuglink(b, scn);
		}
		if (strcmp(name, ".debug_info") == 0 || strcmp(name, ".zdebug_info") == 0)
			*has_debug_info = true;
		else if (sh.sh_type == SHT_SYMTAB && !err)
			err = load_symbols(b, elf, scn, &sh);
		if (!err && skip_debug_section(name))
			err = hide_section(scn, &sh, name);
		else if (!err && (sh.sh_flags & SHF_COMPRESSED) && strncmp(name, ".debug_", 7) == 0)
			err = decompress_zstd(b, map, map_size, scn, &sh, name);
		if (err)
			return err;
	}
	return NULL;
}

static struct util_error *open_elf(struct dw_binary *b)
{
	const unsigned char *id = b->map;
	if (b->map_size < EI_NIDENT || memcmp(id, ELFMAG, SELFMAG) != 0)
		return util_error_create(UTIL_ERROR_BAD_DATA, "not an ELF file");
	if (id[EI_CLASS] != ELFCLASS64 || id[EI_DATA] != ELFDATA2LSB)
		return util_error_create(UTIL_ERROR_UNSUPPORTED, "not a 64-bit little-endian ELF file");
	b->elf = elf_memory((char *)b->map, b->map_size);
	if (!b->elf || elf_kind(b->elf) != ELF_K_ELF)
		return elf_err("ELF");
	GElf_Ehdr eh;
	if (!gelf_getehdr(b->elf, &eh))
		return elf_err("ELF header");
	if (eh.e_machine == EM_X86_64)
		b->arch = (struct dw_arch){.machine = EM_X86_64, .ret_size = 8};
	else if (eh.e_machine == EM_AARCH64)
		b->arch = (struct dw_arch){.machine = EM_AARCH64, .uses_lr = true, .min_frame = 8};
	else
		return util_error_create(UTIL_ERROR_UNSUPPORTED,
					 "not an x86-64 or aarch64 executable (e_machine %u)",
					 eh.e_machine);
	// ET_DYN covers -buildmode=pie: link-time addresses until dw_binary_set_bias.
	if (eh.e_type != ET_EXEC && eh.e_type != ET_DYN)
		return util_error_create(UTIL_ERROR_UNSUPPORTED, "not an executable (e_type %u)", eh.e_type);
	size_t shnum;
	if (elf_getshdrnum(b->elf, &shnum))
		return elf_err("section headers");
	// libelf quietly shows no sections when a truncated file lost its headers.
	if (eh.e_shoff > b->map_size || shnum * (uint64_t)sizeof(Elf64_Shdr) > b->map_size - eh.e_shoff ||
	    eh.e_phoff > b->map_size ||
	    eh.e_phnum * (uint64_t)sizeof(Elf64_Phdr) > b->map_size - eh.e_phoff)
		return util_error_create(UTIL_ERROR_BAD_DATA, "truncated ELF file (headers beyond the end)");
	return NULL;
}

static void dw_close_debug_file(struct dw_binary *b)
{
	if (b->dbg_elf)
		elf_end(b->dbg_elf);
	if (b->dbg_map)
		munmap(b->dbg_map, b->dbg_map_size);
	free(b->debug_path);
	b->dbg_elf = NULL;
	b->dbg_map = NULL;
	b->debug_path = NULL;
}

/* What a debug file says of itself, before it is taken. */
struct debug_ids {
	const char *go, *gnu;     /**< build ids, "" if none */
	uint64_t text_addr, text_size;
	bool has_debug_info;
};

static struct util_error *probe_debug_file(struct dw_binary *b, Elf *elf, struct debug_ids *ids)
{
	size_t shstrndx;
	if (elf_getshdrstrndx(elf, &shstrndx))
		return elf_err("section headers");
	Elf_Scn *scn = NULL;
	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		if (!gelf_getshdr(scn, &sh))
			return elf_err("section header");
		const char *name = elf_strptr(elf, shstrndx, sh.sh_name);
		struct util_error *err = NULL;
		if (!name)
			continue;
		if (sh.sh_type == SHT_NOTE)
			err = read_notes(b, scn, &ids->go, &ids->gnu);
		else if (strcmp(name, ".text") == 0)
			ids->text_addr = sh.sh_addr, ids->text_size = sh.sh_size;
		else if (strcmp(name, ".debug_info") == 0 || strcmp(name, ".zdebug_info") == 0)
			ids->has_debug_info = true;
		if (err)
			return err;
	}
	return NULL;
}

/* Why the debug file (ids, mapped at MAP) is not the executable's, NULL if it is. */
static char *debug_mismatch(const struct dw_binary *b, const struct debug_ids *ids,
			    const uint8_t *map, size_t size)
{
	char *why = NULL;
	int n = 0;
	if (*b->gnu_build_id && *ids->gnu) {
		if (strcmp(b->gnu_build_id, ids->gnu))
			n = asprintf(&why, "GNU build id %s in the debug file, %s in the executable",
				     ids->gnu, b->gnu_build_id);
	} else if (*b->go_build_id && *ids->go) {
		if (strcmp(b->go_build_id, ids->go))
			n = asprintf(&why, "Go build id %s in the debug file, %s in the executable",
				     ids->go, b->go_build_id);
	} else if (b->debuglink) {
		uint32_t crc = dw_crc32(0, map, size);
		if (crc != b->debuglink_crc)
			n = asprintf(&why, "its CRC-32 is %08x, the executable's .gnu_debuglink says %08x",
				     crc, b->debuglink_crc);
	} else if (ids->text_size && (ids->text_addr != b->text_addr || ids->text_size != b->text_size)) {
		n = asprintf(&why, "its .text is %#" PRIx64 "+%#" PRIx64 ", the executable's %#" PRIx64
			     "+%#" PRIx64, ids->text_addr, ids->text_size, b->text_addr, b->text_size);
	}
	return n < 0 ? strdup("out of memory") : why;
}

/*
 * Take the DWARF and .symtab of the debug file PATH (raw or .zst), found by
 * SOURCE, if it matches the executable. SEARCH NULL: PATH was named by the
 * user, and what is wrong with it is the error; else it goes into SEARCH's
 * account and the search goes on.
 */
static struct util_error *dw_open_debug_file(struct dw_binary *b, const char *path, const char *source,
					     struct dw_debug_search *search)
{
	int fd;
	struct stat st;
	uint8_t *map = NULL;
	size_t size = 0;
	Elf *elf = NULL;
	char *why = NULL;
	struct util_error *err = util_open_unzstd(path, "the debug file", &fd, NULL);
	if (err)
		goto out;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size < EI_NIDENT) {
		why = strdup("not an ELF file");
		close(fd);
		goto out;
	}
	map = mmap(NULL, st.st_size, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	close(fd);
	if (map == MAP_FAILED) {
		map = NULL;
		err = util_error_os(errno, path, "mmap");
		goto out;
	}
	size = st.st_size;
	elf = memcmp(map, ELFMAG, SELFMAG) == 0 ? elf_memory((char *)map, size) : NULL;
	GElf_Ehdr eh;
	struct debug_ids ids = {.go = "", .gnu = ""};
	if (!elf || elf_kind(elf) != ELF_K_ELF || !gelf_getehdr(elf, &eh) || map[EI_CLASS] != ELFCLASS64) {
		why = strdup("not a 64-bit ELF file");
		goto out;
	}
	if (eh.e_machine != EM_X86_64) {
		why = strdup("not for x86-64");
		goto out;
	}
	if ((err = probe_debug_file(b, elf, &ids)))
		goto out;
	why = debug_mismatch(b, &ids, map, size);
	if (!why && !ids.has_debug_info)
		why = strdup("it has no DWARF debug info either");
	if (why)
		goto out;
	// Taken: from here on the symbols point into it, and a failure is the
	// binary's, not a candidate's to pass over.
	bool has_debug_info;
	if ((err = scan_sections(b, elf, map, size, true, &has_debug_info))) {
		search = NULL;
		if (err != &util_enomem)
			err = util_error_prefix(err, "the debug file %s: ", path);
		goto out;
	}
	dw_close_debug_file(b);
	b->dbg_elf = elf;
	b->dbg_map = map;
	b->dbg_map_size = size;
	b->debug_source = source;
	b->debug_path = strdup(path);
	if (!b->debug_path)
		err = &util_enomem;
	return err;
out:
	if (elf)
		elf_end(elf);
	if (map)
		munmap(map, size);
	if (why && !err && search) {
		err = dw_debug_looked(search, "%s: %s", path, why);
	} else if (why && !err) {
		err = util_error_create(UTIL_ERROR_MISMATCH,
					"%s: the debug file %s does not match it: %s", b->path, path, why);
	} else if (err && search && err != &util_enomem) {
		// An unreadable candidate is passed over, and said.
		struct util_error *e = dw_debug_looked(search, "%s", err->message);
		util_error_destroy(err);
		err = e;
	}
	free(why);
	return err;
}

/*
 * Look for the debug file of an executable without DWARF: the candidates of
 * debugfile.c in order, then debuginfod. Each that is missing or does not
 * match goes into the account dw_debug_info_missing gives.
 */
static struct util_error *find_debug_file(struct dw_binary *b, const struct dw_debug_options *opts)
{
	struct dw_debug_search s;
	dw_debug_search_init(&s, b->path, opts);
	struct util_error *err = dw_debug_candidates(&s, b->gnu_build_id, b->debuglink);
	for (size_t i = 0; !err && !b->dbg_elf && i < s.ncands; i++) {
		const char *path = s.cands[i].path;
		if (!path) {
			err = dw_debug_looked(&s, "%s", s.cands[i].source);
			continue;
		}
		if (access(path, F_OK) != 0) {
			err = dw_debug_looked(&s, "%s: none", path);
			continue;
		}
		err = dw_open_debug_file(b, path, s.cands[i].source, &s);
	}
	char *found = NULL;
	if (!err && !b->dbg_elf && !(err = dw_debuginfod_find(&s, b->gnu_build_id, &found)) && found)
		err = dw_open_debug_file(b, found, "debuginfod", &s);
	free(found);
	if (!err && !b->dbg_elf) {
		// Nothing found: the caller goes on in the degraded mode, which
		// says where we looked (dw_binary_debug_looked).
		b->debug_looked = s.looked ? s.looked : strdup("nowhere");
		s.looked = NULL;
		if (!b->debug_looked)
			err = &util_enomem;
	}
	dw_debug_search_deinit(&s);
	return err;
}

static struct util_error *binary_open(struct dw_binary *b, const struct dw_debug_options *opts)
{
	struct util_error *err = open_elf(b);
	if (!err)
		err = load_segments(b);
	bool has_debug_info = false;
	if (!err)
		err = scan_sections(b, b->elf, b->map, b->map_size, false, &has_debug_info);
	if (err)
		return err;

	uint64_t v;
	if (!b->pclntab_size && !dw_namemap_get(&b->symbols, "runtime.pclntab", 15, &v) &&
	    !(opts && opts->debug_file))
		return util_error_create(UTIL_ERROR_UNSUPPORTED, "not a Go executable (no .gopclntab)");
	if (opts && opts->debug_file)
		err = dw_open_debug_file(b, opts->debug_file, "--debug-file", NULL);
	else if (!has_debug_info)
		err = find_debug_file(b, opts);
	if (err)
		return err;
	if (!b->pclntab_size && !dw_namemap_get(&b->symbols, "runtime.pclntab", 15, &v))
		return util_error_create(UTIL_ERROR_UNSUPPORTED, "not a Go executable (no .gopclntab)");
	// No debug info, in the file or apart: the degraded mode, from the
	// built-in layouts of the binary's Go release (stripped.c).
	if (!has_debug_info && !b->dbg_elf) {
		err = dw_stripped_load(b);
		return err ? err : dw_pclntab_load(b);
	}

	b->dwarf = dwarf_begin_elf(b->dbg_elf ? b->dbg_elf : b->elf, DWARF_C_READ, NULL);
	if (!b->dwarf)
		return util_error_create(UTIL_ERROR_BAD_DATA, "cannot read DWARF: %s", dwarf_errmsg(-1));
	err = dw_index_dwarf(b);
	if (!err)
		err = dw_pclntab_load(b);
	if (err)
		return err;

	// DW_AT_go_runtime_type values are offsets from moduledata.types.
	uint64_t types = dw_moduledata_field(b, "types");
	uint64_t etypes = dw_moduledata_field(b, "etypes");
	if (types && etypes > types)
		return dw_index_rtypes(b, types, etypes);
	return NULL;
}

struct util_error *dw_binary_open(const char *path, struct dw_binary **ret)
{
	return dw_binary_open_with(path, NULL, ret);
}

struct util_error *dw_binary_open_with(const char *path, const struct dw_debug_options *opts,
				       struct dw_binary **ret)
{
	struct dw_binary *b = calloc(1, sizeof(*b));
	if (!b)
		return &util_enomem;
	util_arena_init(&b->arena);
	util_strtab_init(&b->strings);
	dw_namemap_init(&b->symbols);
	dw_namemap_init(&b->types);
	dw_namemap_init(&b->vars);
	dw_namemap_init(&b->members);
	util_u64map_init(&b->rtype_map);
	util_u64map_init(&b->subprograms);
	util_u64map_init(&b->func_vars);
	dw_namemap_init(&b->rtype_names);
	dw_namemap_init(&b->synth_sizes);
	b->go_build_id = b->gnu_build_id = b->producer = "";
	b->path = strdup(path);
	if (!b->path) {
		dw_binary_destroy(b);
		return &util_enomem;
	}
	elf_version(EV_CURRENT);

	struct util_error *err = NULL;
	int fd;
	struct stat st;
	// An executable kept compressed (prog.zst) is read decompressed.
	if ((err = util_open_unzstd(path, "the executable", &fd, NULL)))
		goto fail;
	if (fstat(fd, &st) < 0) {
		err = util_error_os(errno, path, "stat");
		close(fd);
		goto fail;
	}
	if (!S_ISREG(st.st_mode) || st.st_size == 0) {
		close(fd);
		err = util_error_create(UTIL_ERROR_BAD_DATA, "%s: not an ELF file (%s)", path,
					S_ISREG(st.st_mode) ? "empty" : "not a regular file");
		goto fail;
	}
	// Private and writable: libelf may patch section headers of zstd sections.
	b->map = mmap(NULL, st.st_size, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	close(fd);
	if (b->map == MAP_FAILED) {
		b->map = NULL;
		err = util_error_os(errno, path, "mmap");
		goto fail;
	}
	b->map_size = st.st_size;
	err = binary_open(b, opts);
	if (err) {
		// Lookup errors already name the file; the ELF checks do not.
		size_t n = strlen(path);
		if (err != &util_enomem && (strncmp(err->message, path, n) || strncmp(err->message + n, ": ", 2)))
			err = util_error_prefix(err, "%s: ", path);
		goto fail;
	}
	*ret = b;
	return NULL;
fail:
	dw_binary_destroy(b);
	return err;
}

size_t dw_binary_num_problems(const struct dw_binary *b)
{
	return b->nproblems;
}

const char *dw_binary_problem(const struct dw_binary *b, size_t i)
{
	return i < b->nproblems ? b->problems[i] : NULL;
}

size_t dw_binary_problems_dropped(const struct dw_binary *b)
{
	return b->problems_dropped;
}

void dw_binary_destroy(struct dw_binary *b)
{
	if (!b)
		return;
	free(b->problems);
	free(b->debug_looked);
	dw_pclntab_deinit(&b->pcln);
	if (b->dwarf)
		dwarf_end(b->dwarf);
	if (b->elf)
		elf_end(b->elf);
	dw_close_debug_file(b);
	for (size_t i = 0; i < b->nowned; i++)
		free(b->owned[i]);
	free(b->owned);
	if (b->map)
		munmap(b->map, b->map_size);
	dw_namemap_deinit(&b->symbols);
	dw_namemap_deinit(&b->types);
	dw_namemap_deinit(&b->vars);
	dw_namemap_deinit(&b->members);
	util_u64map_deinit(&b->rtype_map);
	util_u64map_deinit(&b->subprograms);
	util_u64map_deinit(&b->func_vars);
	dw_namemap_deinit(&b->rtype_names);
	dw_namemap_deinit(&b->synth_sizes);
	free(b->heuristics);
	free(b->ctx_itabs);
	free(b->consts);
	free(b->rtypes);
	util_strtab_deinit(&b->strings);
	util_arena_deinit(&b->arena);
	free(b->path);
	free(b);
}
