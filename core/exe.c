// SPDX-License-Identifier: Apache-2.0
// exe.c: check an executable against the core by build id, then overlay its PT_LOADs.
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <inttypes.h>
#include <libelf.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/internal.h"

#define NT_GO_BUILDID 4       /**< note type of .note.go.buildid, owner "Go" */
#define MAX_NOTE_REGION 65536 /**< build-id notes are tiny; don't read more */
#define MAX_NOTE_REGIONS 16
#define MAX_EXE_PHNUM 256

/** Build ids found in one place (executable file or core memory); "" if absent. */
struct build_ids {
	char go[256];   /**< Go build id text ("actionID/contentID"...), possibly cut */
	char gnu[129];  /**< NT_GNU_BUILD_ID as hex */
};

/** Where, in virtual memory, the executable keeps its notes. */
struct note_region {
	uint64_t vaddr, size;
	size_t align;
};

/** What we learn from the executable file. */
struct exe {
	const char *path;
	int fd;
	uint8_t *map;
	size_t size;
	Elf *elf;
	GElf_Ehdr ehdr;
	GElf_Phdr *phdrs;
	size_t phnum;
	struct build_ids ids;
	struct note_region regions[MAX_NOTE_REGIONS];
	size_t nregions;
	uint64_t bias;  /**< load address minus link address (PIE) */
	bool compressed; /**< PATH is zstd-compressed (prog.zst): its name ends in .zst */
};

static uint64_t page_down(uint64_t v)
{
	return v & ~(uint64_t)(CORE_PAGE_SIZE - 1);
}

/** Fill the ids still empty in IDS from the notes in BUF; malformed notes end the scan. */
static void collect_ids(const uint8_t *buf, size_t len, size_t align, struct build_ids *ids)
{
	size_t pos = 0;
	struct core_note n;
	while (core_note_next(buf, len, align, &pos, &n) > 0) {
		if (n.type == NT_GO_BUILDID && core_note_name_is(&n, "Go") && !ids->go[0]) {
			size_t k = strnlen((const char *)n.desc, n.descsz);
			if (k >= sizeof(ids->go))
				k = sizeof(ids->go) - 1;
			memcpy(ids->go, n.desc, k);
			ids->go[k] = '\0';
		} else if (n.type == NT_GNU_BUILD_ID && core_note_name_is(&n, "GNU") &&
			   !ids->gnu[0] && n.descsz && n.descsz * 2 < sizeof(ids->gnu)) {
			for (uint32_t i = 0; i < n.descsz; i++)
				snprintf(ids->gnu + 2 * i, 3, "%02x", n.desc[i]);
		}
	}
}

static void add_region(struct exe *e, uint64_t vaddr, uint64_t size, uint64_t align)
{
	if (e->nregions < MAX_NOTE_REGIONS && size && size <= MAX_NOTE_REGION)
		e->regions[e->nregions++] = (struct note_region){vaddr, size, align == 8 ? 8 : 4};
}

static void exe_close(struct exe *e)
{
	if (e->elf)
		elf_end(e->elf);
	free(e->phdrs);
	if (e->fd >= 0)
		close(e->fd);
	if (e->map)
		munmap(e->map, e->size);
}

static struct util_error *exe_libelf_error(const char *path, const char *what)
{
	return util_error_create(UTIL_ERROR_LIB, "%s: %s: %s", path, what, elf_errmsg(-1));
}

/** Open and map the executable, read its headers and its build ids. */
static struct util_error *exe_open(const char *path, struct exe *e)
{
	memset(e, 0, sizeof(*e));
	e->path = path;
	e->fd = -1;
	// prog.zst: its decompressed bytes, in an anonymous file.
	struct util_error *err = util_open_unzstd(path, "the executable", &e->fd, &e->compressed);
	if (err)
		return err;
	struct stat st;
	if (fstat(e->fd, &st) < 0)
		return util_error_os(errno, path, "fstat");
	if (!S_ISREG(st.st_mode) || st.st_size == 0)
		return util_error_create(UTIL_ERROR_BAD_DATA, "%s: not an ELF file", path);
	e->size = (size_t)st.st_size;
	void *map = mmap(NULL, e->size, PROT_READ, MAP_PRIVATE, e->fd, 0);
	if (map == MAP_FAILED)
		return util_error_os(errno, path, "mmap");
	e->map = map;

	elf_version(EV_CURRENT);
	e->elf = elf_begin(e->fd, ELF_C_READ_MMAP, NULL);
	if (!e->elf)
		return exe_libelf_error(path, "elf_begin");
	if (elf_kind(e->elf) != ELF_K_ELF)
		return util_error_create(UTIL_ERROR_BAD_DATA, "%s: not an ELF file", path);
	if (!gelf_getehdr(e->elf, &e->ehdr))
		return exe_libelf_error(path, "cannot read ELF header");
	if (e->ehdr.e_ident[EI_CLASS] != ELFCLASS64 ||
	    (e->ehdr.e_machine != EM_X86_64 && e->ehdr.e_machine != EM_AARCH64))
		return util_error_create(UTIL_ERROR_UNSUPPORTED,
					 "%s: not an x86-64 or aarch64 ELF executable", path);
	if (e->ehdr.e_type != ET_EXEC && e->ehdr.e_type != ET_DYN)
		return util_error_create(UTIL_ERROR_BAD_DATA,
					 "%s: ELF file is not an executable (type %u)", path,
					 e->ehdr.e_type);
	if (elf_getphdrnum(e->elf, &e->phnum) != 0)
		return exe_libelf_error(path, "cannot count program headers");
	if (e->phnum == 0 || e->phnum > MAX_EXE_PHNUM)
		return util_error_create(UTIL_ERROR_BAD_DATA, "%s: %zu program headers", path,
					 e->phnum);
	e->phdrs = calloc(e->phnum, sizeof(*e->phdrs));
	if (!e->phdrs)
		return &util_enomem;
	for (size_t i = 0; i < e->phnum; i++) {
		GElf_Phdr *ph = &e->phdrs[i];
		if (!gelf_getphdr(e->elf, (int)i, ph))
			return exe_libelf_error(path, "cannot read program header");
		if ((ph->p_type == PT_LOAD || ph->p_type == PT_NOTE) && ph->p_filesz &&
		    (ph->p_offset > e->size || ph->p_filesz > e->size - ph->p_offset))
			return util_error_create(UTIL_ERROR_BAD_DATA,
						 "%s: truncated: segment %zu at offset 0x%" PRIx64
						 " extends past end of file (size %zu)",
						 path, i, (uint64_t)ph->p_offset, e->size);
	}

	// Build ids: note sections first (the GNU id often has no PT_NOTE of its
	// own), then PT_NOTE segments for executables stripped of sections.
	Elf_Scn *scn = NULL;
	for (size_t guard = 0; (scn = elf_nextscn(e->elf, scn)) && guard < 65536; guard++) {
		GElf_Shdr sh;
		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_NOTE)
			continue;
		if (sh.sh_offset > e->size || sh.sh_size > e->size - sh.sh_offset)
			continue;
		collect_ids(e->map + sh.sh_offset, sh.sh_size, sh.sh_addralign, &e->ids);
		if (sh.sh_flags & SHF_ALLOC)
			add_region(e, sh.sh_addr, sh.sh_size, sh.sh_addralign);
	}
	for (size_t i = 0; i < e->phnum; i++) {
		const GElf_Phdr *ph = &e->phdrs[i];
		if (ph->p_type != PT_NOTE || !ph->p_filesz)
			continue;
		collect_ids(e->map + ph->p_offset, ph->p_filesz, ph->p_align, &e->ids);
		add_region(e, ph->p_vaddr, ph->p_filesz, ph->p_align);
	}
	return NULL;
}

/** The NT_FILE mapping of PATH at file offset 0, or NULL. */
static const struct core_mapping *first_mapping(const struct core_file *core, const char *path)
{
	for (size_t i = 0; path && i < core->nmappings; i++)
		if (core->mappings[i].path == path && core->mappings[i].file_offset == 0)
			return &core->mappings[i];
	return NULL;
}

/** Link address of the executable's first page: the PT_LOAD at file offset 0. */
static bool exe_first_vaddr(const struct exe *e, uint64_t *ret)
{
	for (size_t i = 0; i < e->phnum; i++) {
		if (e->phdrs[i].p_type == PT_LOAD && e->phdrs[i].p_offset == 0) {
			*ret = page_down(e->phdrs[i].p_vaddr);
			return true;
		}
	}
	return false;
}

static void compute_bias(const struct core_file *core, struct exe *e)
{
	e->bias = 0;
	if (e->ehdr.e_type != ET_DYN)
		return;
	uint64_t first;
	const struct core_mapping *m = first_mapping(core, core->exe_path);
	if (core->info.auxv_entry)
		e->bias = core->info.auxv_entry - e->ehdr.e_entry;
	else if (m && exe_first_vaddr(e, &first))
		e->bias = m->start - first;
}

/**
 * The executable's first page as the core holds it: read its ELF header and
 * program headers, and the build ids of its PT_NOTEs. False if it is absent.
 */
static bool core_header_ids(struct core_file *core, const struct exe *e, Elf64_Ehdr *ehdr,
			    struct build_ids *ids)
{
	uint64_t base;
	const struct core_mapping *m = first_mapping(core, core->exe_path);
	if (m)
		base = m->start;
	else if (exe_first_vaddr(e, &base))
		base += e->bias;
	else
		return false;
	struct util_error *err = core_read_no_overlay(core, base, ehdr, sizeof(*ehdr));
	if (err) {
		util_error_destroy(err); // only "not in the core"
		return false;
	}
	if (memcmp(ehdr->e_ident, ELFMAG, SELFMAG) != 0)
		return false;
	if (ehdr->e_phentsize != sizeof(Elf64_Phdr) || ehdr->e_phnum > MAX_EXE_PHNUM)
		return true;
	Elf64_Phdr phdrs[MAX_EXE_PHNUM];
	size_t phnum = ehdr->e_phnum;
	err = core_read_no_overlay(core, base + ehdr->e_phoff, phdrs, phnum * sizeof(phdrs[0]));
	if (err) {
		util_error_destroy(err);
		return true;
	}
	uint64_t cbias = 0;
	if (ehdr->e_type == ET_DYN) {
		for (size_t i = 0; i < phnum; i++)
			if (phdrs[i].p_type == PT_LOAD && phdrs[i].p_offset == 0)
				cbias = base - page_down(phdrs[i].p_vaddr);
	}
	uint8_t *buf = malloc(MAX_NOTE_REGION);
	for (size_t i = 0; buf && i < phnum; i++) {
		if (phdrs[i].p_type != PT_NOTE || phdrs[i].p_filesz > MAX_NOTE_REGION)
			continue;
		err = core_read_no_overlay(core, phdrs[i].p_vaddr + cbias, buf, phdrs[i].p_filesz);
		if (err) {
			util_error_destroy(err);
			continue;
		}
		collect_ids(buf, phdrs[i].p_filesz, phdrs[i].p_align, ids);
	}
	free(buf);
	return true;
}

/** Read the executable's note regions from core memory for ids still missing. */
static void core_region_ids(struct core_file *core, const struct exe *e, struct build_ids *ids)
{
	uint8_t *buf = malloc(MAX_NOTE_REGION);
	for (size_t i = 0; buf && i < e->nregions; i++) {
		const struct note_region *r = &e->regions[i];
		struct util_error *err = core_read_no_overlay(core, r->vaddr + e->bias, buf, r->size);
		if (err) {
			util_error_destroy(err);
			continue;
		}
		collect_ids(buf, r->size, r->align, ids);
	}
	free(buf);
}

static struct util_error *mismatch(const struct core_file *core, const struct exe *e,
				   const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static struct util_error *mismatch(const struct core_file *core, const struct exe *e,
				   const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	struct util_error *err = util_error_vcreate(UTIL_ERROR_MISMATCH, fmt, ap);
	va_end(ap);
	return util_error_prefix(err, "%s was not produced by %s: ", core->path, e->path);
}

static const char *machine_name(unsigned machine)
{
	return machine == EM_AARCH64 ? "aarch64" : machine == EM_X86_64 ? "x86-64" : "unknown";
}

static const char *base_name(const char *p)
{
	const char *s = strrchr(p, '/');
	return s ? s + 1 : p;
}

/**
 * Without the executable's first page in the core: each file-backed PT_LOAD
 * must appear in NT_FILE as a mapping of the core's executable at the same
 * page and file offset, and the file names must agree.
 */
static struct util_error *check_contents(struct core_file *core, const struct exe *e);

static struct util_error *check_layout(struct core_file *core, const struct exe *e)
{
	const char *path = core->exe_path;
	if (!path || !core->nmappings)
		return check_contents(core, e); // no NT_FILE (qemu-user's cores)

	// A compressed copy's name is the executable's and ".zst".
	const char *mine = base_name(e->path);
	size_t n = strlen(mine);
	if (e->compressed && n > 4 && strcmp(mine + n - 4, ".zst") == 0)
		n -= 4;
	if (strlen(base_name(path)) != n || strncmp(base_name(path), mine, n) != 0)
		return mismatch(core, e, "the core's executable is %s", path);
	for (size_t i = 0; i < e->phnum; i++) {
		const GElf_Phdr *ph = &e->phdrs[i];
		if (ph->p_type != PT_LOAD || !ph->p_filesz)
			continue;
		uint64_t start = page_down(ph->p_vaddr + e->bias);
		uint64_t offset = page_down(ph->p_offset);
		bool found = false;
		for (size_t j = 0; j < core->nmappings && !found; j++) {
			const struct core_mapping *m = &core->mappings[j];
			found = m->path == path && m->start == start && m->file_offset == offset;
		}
		if (!found)
			return mismatch(core, e,
					"its segment at 0x%" PRIx64 " (file offset 0x%" PRIx64
					") is not mapped from %s in the core",
					start, offset, path);
	}
	return NULL;
}

/**
 * Without the first page and without NT_FILE (qemu-user's cores have
 * neither; it dumps the read-only data but not the text): the pages of
 * the executable's read-only segments that the core holds must be the
 * file's bytes (pclntab, type data and strings differ between builds).
 * With none to compare, the executable is accepted unchecked.
 */
static struct util_error *check_contents(struct core_file *core, const struct exe *e)
{
	uint8_t page[CORE_PAGE_SIZE];
	for (size_t i = 0; i < e->phnum; i++) {
		const GElf_Phdr *ph = &e->phdrs[i];
		if (ph->p_type != PT_LOAD || !ph->p_filesz || (ph->p_flags & PF_W) ||
		    ph->p_offset > e->size || ph->p_filesz > e->size - ph->p_offset)
			continue;
		for (uint64_t off = 0; off < ph->p_filesz; off += CORE_PAGE_SIZE) {
			size_t n = ph->p_filesz - off < CORE_PAGE_SIZE ? (size_t)(ph->p_filesz - off)
								       : CORE_PAGE_SIZE;
			uint64_t addr = ph->p_vaddr + e->bias + off;
			struct util_error *err = core_read_no_overlay(core, addr, page, n);
			if (err) {
				util_error_destroy(err); // only "not in the core"
				continue;
			}
			if (memcmp(page, e->map + ph->p_offset + off, n) != 0)
				return mismatch(core, e,
						"the core's copy of its read-only segment at 0x%" PRIx64
						" differs at page 0x%" PRIx64,
						ph->p_vaddr + e->bias, addr);
		}
	}
	return NULL;
}

/** Decide whether E belongs to CORE; CORE_IDS gets the build ids seen in the core. */
static struct util_error *check_exe(struct core_file *core, const struct exe *e,
				    struct build_ids *core_ids)
{
	Elf64_Ehdr ch;
	bool header = core_header_ids(core, e, &ch, core_ids);
	core_region_ids(core, e, core_ids);

	bool checked = false;
	if (e->ids.go[0] && core_ids->go[0]) {
		checked = true;
		if (strcmp(e->ids.go, core_ids->go) != 0)
			return mismatch(core, e, "build id %s in core, %s in executable",
					core_ids->go, e->ids.go);
	}
	if (e->ids.gnu[0] && core_ids->gnu[0]) {
		checked = true;
		if (strcmp(e->ids.gnu, core_ids->gnu) != 0)
			return mismatch(core, e, "build id %s in core, %s in executable",
					core_ids->gnu, e->ids.gnu);
	}
	if (checked)
		return NULL;
	if (header) {
		// No comparable id: the ELF header must at least be the same bytes.
		if (e->size < sizeof(ch) || memcmp(&ch, e->map, sizeof(ch)) != 0)
			return mismatch(core, e, "the ELF header in the core differs");
		return NULL;
	}
	return check_layout(core, e);
}

static int seg_cmp(const void *a, const void *b)
{
	const struct core_segment *x = a, *y = b;
	return x->start < y->start ? -1 : x->start > y->start;
}

static struct util_error *build_overlay(struct core_file *core, struct exe *e)
{
	size_t n = 0;
	for (size_t i = 0; i < e->phnum; i++)
		if (e->phdrs[i].p_type == PT_LOAD && e->phdrs[i].p_filesz)
			n++;
	struct core_segment *segs = util_arena_alloc(&core->arena, n * sizeof(*segs));
	if (!segs)
		return &util_enomem;
	size_t k = 0;
	for (size_t i = 0; i < e->phnum; i++) {
		const GElf_Phdr *ph = &e->phdrs[i];
		if (ph->p_type != PT_LOAD || !ph->p_filesz)
			continue;
		uint64_t start = ph->p_vaddr + e->bias;
		if (start + ph->p_filesz < start)
			return util_error_create(UTIL_ERROR_BAD_DATA,
						 "%s: segment %zu wraps around the address space",
						 e->path, i);
		segs[k++] = (struct core_segment){
			.start = start,
			.file_end = start + ph->p_filesz,
			.end = start + ph->p_filesz,
			.data = e->map + ph->p_offset,
		};
	}
	qsort(segs, n, sizeof(*segs), seg_cmp);
	for (size_t i = 1; i < n; i++)
		if (segs[i].start < segs[i - 1].end)
			return util_error_create(UTIL_ERROR_BAD_DATA,
						 "%s: PT_LOAD segments at 0x%" PRIx64
						 " and 0x%" PRIx64 " overlap",
						 e->path, segs[i - 1].start, segs[i].start);
	core->overlay = segs;
	core->noverlay = n;
	return NULL;
}

struct util_error *core_attach_exe(struct core_file *core, const char *exe_path, bool force)
{
	// A new attachment replaces the old one; until it succeeds there is none.
	core->overlay = NULL;
	core->noverlay = 0;
	core->exe_build_id = "";
	core->exe_bias = 0;
	core_reset_cache(core);
	if (core->exe_map) {
		munmap(core->exe_map, core->exe_size);
		core->exe_map = NULL;
		core->exe_size = 0;
	}

	struct exe e;
	struct util_error *err = exe_open(exe_path, &e);
	if (err)
		goto out;
	if (e.ehdr.e_machine != core->info.machine) {
		// Not even --force reads one machine's core with another's code.
		err = mismatch(core, &e, "the core is of an %s process, the executable for %s",
			       machine_name(core->info.machine), machine_name(e.ehdr.e_machine));
		goto out;
	}
	compute_bias(core, &e);
	struct build_ids core_ids = {{0}, {0}};
	err = check_exe(core, &e, &core_ids);
	if (err) {
		if (!force || err == &util_enomem)
			goto out;
		util_error_destroy(err);
		err = NULL;
	}
	const char *id = core_ids.go[0] ? core_ids.go : core_ids.gnu;
	core->exe_build_id = util_strtab_intern_cstr(&core->strings, id);
	if (!core->exe_build_id) {
		core->exe_build_id = "";
		err = &util_enomem;
		goto out;
	}
	err = build_overlay(core, &e);
	if (err)
		goto out;
	core->exe_bias = e.bias;
	core->exe_map = e.map; // the overlay points into it
	core->exe_size = e.size;
	e.map = NULL;
out:
	exe_close(&e);
	return err;
}

const char *core_exe_build_id(const struct core_file *core)
{
	return core->exe_build_id;
}

uint64_t core_exe_bias(const struct core_file *core)
{
	return core->exe_bias;
}
