// SPDX-License-Identifier: Apache-2.0
// elfcore.c: validate a core's ELF and program headers into the sorted segment table.
#include <elf.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/internal.h"

static const char *elf_type_name(unsigned type)
{
	switch (type) {
	case ET_NONE:
		return "NONE";
	case ET_REL:
		return "REL";
	case ET_EXEC:
		return "EXEC";
	case ET_DYN:
		return "DYN";
	default:
		return NULL;
	}
}

static int seg_cmp(const void *a, const void *b)
{
	const struct core_segment *x = a, *y = b;
	return x->start < y->start ? -1 : x->start > y->start;
}

/** True when [off, off+len) lies inside a file of SIZE bytes. */
static bool in_file(uint64_t off, uint64_t len, uint64_t size)
{
	return off <= size && len <= size - off;
}

static struct util_error *check_header(struct core_file *core, Elf64_Ehdr *eh)
{
	const char *path = core->path;
	uint64_t size = core->file_size;
	uint8_t ident[SELFMAG] = {0};
	core_file_read(core, 0, ident, size < SELFMAG ? size : SELFMAG);
	if (size < SELFMAG || memcmp(ident, ELFMAG, SELFMAG) != 0)
		return util_error_create(UTIL_ERROR_BAD_DATA, "%s: not an ELF file", path);
	if (size < sizeof(*eh))
		return util_error_create(UTIL_ERROR_BAD_DATA,
					 "%s: truncated: ELF header needs %zu bytes, file has %" PRIu64,
					 path, sizeof(*eh), size);
	core_file_read(core, 0, eh, sizeof(*eh));
	if (eh->e_ident[EI_CLASS] != ELFCLASS64)
		return util_error_create(UTIL_ERROR_UNSUPPORTED,
					 "%s: ELF class %u is not supported (only 64-bit cores)", path,
					 eh->e_ident[EI_CLASS]);
	if (eh->e_ident[EI_DATA] != ELFDATA2LSB)
		return util_error_create(UTIL_ERROR_UNSUPPORTED,
					 "%s: only little-endian ELF cores are supported", path);
	if (eh->e_type != ET_CORE) {
		const char *t = elf_type_name(eh->e_type);
		if (t)
			return util_error_create(UTIL_ERROR_BAD_DATA,
						 "%s: ELF file is not a core (type %s)", path, t);
		return util_error_create(UTIL_ERROR_BAD_DATA,
					 "%s: ELF file is not a core (type %u)", path, eh->e_type);
	}
	if (eh->e_machine != EM_X86_64 && eh->e_machine != EM_AARCH64)
		return util_error_create(UTIL_ERROR_UNSUPPORTED,
					 "%s: unsupported machine %u (only x86-64 and aarch64 cores "
					 "are supported)",
					 path, eh->e_machine);
	core->info.machine = eh->e_machine;
	if (eh->e_phentsize != sizeof(Elf64_Phdr))
		return util_error_create(UTIL_ERROR_BAD_DATA,
					 "%s: bad program header size %u (expected %zu)", path,
					 eh->e_phentsize, sizeof(Elf64_Phdr));
	return NULL;
}

/** Number of program headers, following PN_XNUM into section header 0. */
static struct util_error *get_phnum(struct core_file *core, const Elf64_Ehdr *eh, size_t *ret)
{
	if (eh->e_phnum != PN_XNUM) {
		*ret = eh->e_phnum;
		return NULL;
	}
	Elf64_Shdr sh0;
	if (eh->e_shnum == 0 && eh->e_shoff == 0)
		return util_error_create(UTIL_ERROR_BAD_DATA,
					 "%s: e_phnum is PN_XNUM but there is no section header 0",
					 core->path);
	if (!in_file(eh->e_shoff, sizeof(sh0), core->file_size))
		return util_error_create(UTIL_ERROR_BAD_DATA,
					 "%s: truncated: section header 0 at offset 0x%" PRIx64
					 " extends past end of file (size %" PRIu64 ")",
					 core->path, (uint64_t)eh->e_shoff, core->file_size);
	core_file_read(core, eh->e_shoff, &sh0, sizeof(sh0));
	*ret = sh0.sh_info;
	return NULL;
}

/*
 * gdb's gcore writes through BFD, which always emits section headers; the
 * kernel writes none, except a lone header 0 carrying the real e_phnum when
 * there are more than PN_XNUM segments.
 */
static enum core_kind detect_kind(const Elf64_Ehdr *eh)
{
	if (eh->e_shnum > 1 || (eh->e_shnum == 1 && eh->e_phnum != PN_XNUM))
		return CORE_KIND_GCORE;
	return CORE_KIND_KERNEL;
}

static struct util_error *check_segment(struct core_file *core, const Elf64_Phdr *ph, size_t i)
{
	const char *path = core->path;
	if (ph->p_filesz && !in_file(ph->p_offset, ph->p_filesz, core->file_size))
		return util_error_create(UTIL_ERROR_BAD_DATA,
					 "%s: truncated: segment %zu at offset 0x%" PRIx64
					 " extends past end of file (size %" PRIu64 ")",
					 path, i, (uint64_t)ph->p_offset, core->file_size);
	if (ph->p_type != PT_LOAD)
		return NULL;
	if (ph->p_filesz > ph->p_memsz)
		return util_error_create(UTIL_ERROR_BAD_DATA,
					 "%s: segment %zu has p_filesz 0x%" PRIx64
					 " larger than p_memsz 0x%" PRIx64,
					 path, i, (uint64_t)ph->p_filesz, (uint64_t)ph->p_memsz);
	if (ph->p_vaddr + ph->p_memsz < ph->p_vaddr)
		return util_error_create(UTIL_ERROR_BAD_DATA,
					 "%s: segment %zu at 0x%" PRIx64 " wraps around the address space",
					 path, i, (uint64_t)ph->p_vaddr);
	return NULL;
}

/** Load each PT_NOTE and run notes.c over it, counting or filling. */
static struct util_error *parse_all_notes(struct core_file *core, const Elf64_Phdr *phdrs,
					  size_t phnum, bool count_only, size_t *nthreads,
					  size_t *nmappings)
{
	for (size_t i = 0; i < phnum; i++) {
		const Elf64_Phdr *ph = &phdrs[i];
		if (ph->p_type != PT_NOTE || ph->p_filesz == 0)
			continue;
		if (ph->p_filesz > CORE_MAX_NOTE_SEGMENT)
			return util_error_create(UTIL_ERROR_BAD_DATA,
						 "%s: note segment %zu is too large (%" PRIu64 " bytes)",
						 core->path, i, (uint64_t)ph->p_filesz);
		uint8_t *buf = malloc(ph->p_filesz);
		if (!buf)
			return &util_enomem;
		core_file_read(core, ph->p_offset, buf, ph->p_filesz);
		struct util_error *err = core_notes_parse(core, buf, ph->p_filesz,
							  ph->p_align == 8 ? 8 : 4, i, count_only,
							  nthreads, nmappings);
		free(buf);
		if (err)
			return err;
	}
	return NULL;
}

static struct util_error *build_segments(struct core_file *core, const Elf64_Phdr *phdrs,
					 size_t phnum)
{
	size_t nloads = 0;
	for (size_t i = 0; i < phnum; i++)
		if (phdrs[i].p_type == PT_LOAD && phdrs[i].p_memsz)
			nloads++;
	core->segs = util_arena_alloc(&core->arena, nloads * sizeof(*core->segs));
	if (!core->segs)
		return &util_enomem;
	for (size_t i = 0; i < phnum; i++) {
		const Elf64_Phdr *ph = &phdrs[i];
		if (ph->p_type != PT_LOAD || !ph->p_memsz)
			continue;
		struct core_segment *s = &core->segs[core->nsegs++];
		s->start = ph->p_vaddr;
		s->file_end = ph->p_vaddr + ph->p_filesz;
		s->end = ph->p_vaddr + ph->p_memsz;
		s->offset = ph->p_offset;
		// A raw core's memory is read through the page cache, when there is one.
		s->data = core->map && !core->cache.pages && ph->p_filesz ? core->map + ph->p_offset
									   : NULL;
	}
	qsort(core->segs, core->nsegs, sizeof(*core->segs), seg_cmp);
	for (size_t i = 1; i < core->nsegs; i++) {
		if (core->segs[i].start < core->segs[i - 1].end)
			return util_error_create(UTIL_ERROR_BAD_DATA,
						 "%s: segments at 0x%" PRIx64 " and 0x%" PRIx64
						 " overlap",
						 core->path, core->segs[i - 1].start,
						 core->segs[i].start);
	}
	return NULL;
}

/*
 * A file cut after every segment and note, inside the section headers
 * (gcore writes them last; the kernel writes none): nothing the reading
 * needs is lost, so the core is read, but the cut is told (core_info's
 * problem) rather than passed over.
 */
static void check_section_headers(struct core_file *core, const Elf64_Ehdr *eh)
{
	uint64_t end = eh->e_shoff + (uint64_t)eh->e_shnum * eh->e_shentsize;
	if (!eh->e_shoff || !eh->e_shnum || in_file(eh->e_shoff, end - eh->e_shoff, core->file_size))
		return;
	char text[320];
	int n = snprintf(text, sizeof(text),
			 "%s: truncated: its %u section headers end at byte %" PRIu64 " of the file,"
			 " which has %" PRIu64 " bytes; its segments and notes are whole",
			 core->path, (unsigned)eh->e_shnum, end, core->file_size);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(text))
		n = sizeof(text) - 1;
	char *p = util_arena_alloc(&core->arena, (size_t)n + 1);
	if (p) {
		memcpy(p, text, (size_t)n + 1);
		core->info.problem = p;
	}
}

struct util_error *core_elf_parse(struct core_file *core)
{
	Elf64_Ehdr eh;
	struct util_error *err = check_header(core, &eh);
	if (err)
		return err;
	size_t phnum = 0;
	if ((err = get_phnum(core, &eh, &phnum)))
		return err;
	if (phnum == 0)
		return util_error_create(UTIL_ERROR_BAD_DATA, "%s: core has no program headers",
					 core->path);
	if (!in_file(eh.e_phoff, (uint64_t)phnum * sizeof(Elf64_Phdr), core->file_size))
		return util_error_create(UTIL_ERROR_BAD_DATA,
					 "%s: truncated: %zu program headers at offset 0x%" PRIx64
					 " extend past end of file (size %" PRIu64 ")",
					 core->path, phnum, (uint64_t)eh.e_phoff, core->file_size);
	core->info.kind = detect_kind(&eh);

	Elf64_Phdr *phdrs = malloc(phnum * sizeof(*phdrs));
	if (!phdrs)
		return &util_enomem;
	core_file_read(core, eh.e_phoff, phdrs, phnum * sizeof(*phdrs));
	for (size_t i = 0; i < phnum && !err; i++)
		err = check_segment(core, &phdrs[i], i);
	if (!err)
		err = build_segments(core, phdrs, phnum);

	// Notes: validate and count, allocate, then fill.
	size_t nthreads = 0, nmappings = 0;
	if (!err)
		err = parse_all_notes(core, phdrs, phnum, true, &nthreads, &nmappings);
	if (!err) {
		core->threads = util_arena_alloc(&core->arena, nthreads * sizeof(*core->threads));
		core->mappings = util_arena_alloc(&core->arena,
						  nmappings * sizeof(*core->mappings));
		if (!core->threads || !core->mappings)
			err = &util_enomem;
	}
	if (!err)
		err = parse_all_notes(core, phdrs, phnum, false, &core->nthreads,
				      &core->nmappings);
	free(phdrs);
	if (err)
		return err;
	check_section_headers(core, &eh);
	if (core->nthreads)
		core->info.signal = core->threads[0].cursig;
	core_find_exe_path(core);
	return NULL;
}
